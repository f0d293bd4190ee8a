//! Test-only crash injection. Off unless the environment variable
//! `QUIRED_FAULT=<point>@<height>` is set when `quired start` runs; then quired
//! aborts (like `kill -9`: no destructors, no flushing) at that point of that
//! height. Points:
//!
//! - `after-finalize`: FinalizeBlock computed its result, Commit not yet called;
//! - `mid-commit`: Commit staged every write of the block in the database
//!   transaction but did not make it durable;
//! - `after-commit`: the block is durable, Commit has not answered CometBFT.
//!
//! Used by `tests/tests/crash_recovery.rs` to show that each crash recovers
//! through CometBFT's handshake with nothing lost or duplicated.

use std::fmt;
use std::sync::OnceLock;

/// The environment variable that arms a fault.
pub const FAULT_ENV: &str = "QUIRED_FAULT";

/// Where quired can be made to crash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultPoint {
    /// After FinalizeBlock, before Commit.
    AfterFinalize,
    /// Inside Commit, writes staged, not durable.
    MidCommit,
    /// After Commit made the block durable, before it answers.
    AfterCommit,
}

impl fmt::Display for FaultPoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FaultPoint::AfterFinalize => "after-finalize",
            FaultPoint::MidCommit => "mid-commit",
            FaultPoint::AfterCommit => "after-commit",
        })
    }
}

static ARMED: OnceLock<Option<(FaultPoint, u64)>> = OnceLock::new();

/// Parses `<point>@<height>`.
pub fn parse(spec: &str) -> Result<(FaultPoint, u64), String> {
    let (point, height) = spec
        .split_once('@')
        .ok_or_else(|| format!("{FAULT_ENV}={spec:?}: expected <point>@<height>"))?;
    let point = match point {
        "after-finalize" => FaultPoint::AfterFinalize,
        "mid-commit" => FaultPoint::MidCommit,
        "after-commit" => FaultPoint::AfterCommit,
        other => {
            return Err(format!(
            "{FAULT_ENV}: unknown point {other:?}; use after-finalize, mid-commit or after-commit"
        ))
        }
    };
    let height = height
        .parse()
        .map_err(|_| format!("{FAULT_ENV}: height {height:?} is not a number"))?;
    Ok((point, height))
}

/// Reads the environment once; an unparsable value is an error.
pub fn init_from_env() -> Result<(), String> {
    let armed = match std::env::var(FAULT_ENV) {
        Ok(spec) if !spec.is_empty() => Some(parse(&spec)?),
        _ => None,
    };
    if let Some((point, height)) = armed {
        tracing::warn!(%point, height, "fault injection armed: quired will abort");
    }
    let _ = ARMED.set(armed);
    Ok(())
}

/// Aborts the process if a fault is armed for `point` at `height`.
pub fn check(point: FaultPoint, height: u64) {
    if let Some(Some((armed_point, armed_height))) = ARMED.get() {
        if *armed_point == point && *armed_height == height {
            tracing::error!(%point, height, "fault injection: aborting");
            std::process::abort();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_points_and_refuses_garbage() {
        assert_eq!(parse("mid-commit@7"), Ok((FaultPoint::MidCommit, 7)));
        assert_eq!(
            parse("after-finalize@1"),
            Ok((FaultPoint::AfterFinalize, 1))
        );
        assert_eq!(parse("after-commit@99"), Ok((FaultPoint::AfterCommit, 99)));
        assert!(parse("mid-commit").is_err());
        assert!(parse("sometime@3").is_err());
        assert!(parse("mid-commit@x").is_err());
    }
}
