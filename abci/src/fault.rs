//! Test-only crash injection, compiled in only with the `fault-injection`
//! cargo feature (`cargo test --workspace` turns it on for the integration
//! tests; `cargo build -p quired` and release builds leave it off).
//!
//! With the feature, the environment variable `QUIRED_FAULT=<point>@<height>`,
//! set when `quired start` runs, makes quired abort (like `kill -9`: no
//! destructors, no flushing) at that point of that height. Points:
//!
//! - `after-finalize`: FinalizeBlock computed its result, Commit not yet called;
//! - `after-finalize-with-updates`: the same, at the first height from the
//!   one given whose FinalizeBlock returns validator updates (a crash in the
//!   block where the set changes, whenever that is);
//! - `mid-commit`: Commit staged every write of the block in the database
//!   transaction but did not make it durable;
//! - `after-commit`: the block is durable, Commit has not answered CometBFT.
//!
//! Without the feature [`check`] does nothing, and `quired start` refuses to
//! run with `QUIRED_FAULT` set rather than ignore it. Unset or empty, the
//! variable means no fault in both builds.
//!
//! Used by `tests/tests/crash_recovery.rs` to show that each crash recovers
//! through CometBFT's handshake with nothing lost or duplicated.

use std::ffi::OsStr;
use std::fmt;

/// The environment variable that arms a fault.
pub const FAULT_ENV: &str = "QUIRED_FAULT";

/// Whether this build has fault injection (the `fault-injection` feature).
pub const ENABLED: bool = cfg!(feature = "fault-injection");

/// Where quired can be made to crash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultPoint {
    /// After FinalizeBlock, before Commit.
    AfterFinalize,
    /// After FinalizeBlock of the first block from the height given that
    /// returns validator updates.
    AfterFinalizeWithUpdates,
    /// Inside Commit, writes staged, not durable.
    MidCommit,
    /// After Commit made the block durable, before it answers.
    AfterCommit,
}

impl fmt::Display for FaultPoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FaultPoint::AfterFinalize => "after-finalize",
            FaultPoint::AfterFinalizeWithUpdates => "after-finalize-with-updates",
            FaultPoint::MidCommit => "mid-commit",
            FaultPoint::AfterCommit => "after-commit",
        })
    }
}

#[cfg(feature = "fault-injection")]
static ARMED: std::sync::OnceLock<Option<(FaultPoint, u64)>> = std::sync::OnceLock::new();

/// Parses `<point>@<height>`.
pub fn parse(spec: &str) -> Result<(FaultPoint, u64), String> {
    let (point, height) = spec
        .split_once('@')
        .ok_or_else(|| format!("{FAULT_ENV}={spec:?}: expected <point>@<height>"))?;
    let point = match point {
        "after-finalize" => FaultPoint::AfterFinalize,
        "after-finalize-with-updates" => FaultPoint::AfterFinalizeWithUpdates,
        "mid-commit" => FaultPoint::MidCommit,
        "after-commit" => FaultPoint::AfterCommit,
        other => {
            return Err(format!(
            "{FAULT_ENV}: unknown point {other:?}; use after-finalize, after-finalize-with-updates, mid-commit or after-commit"
        ))
        }
    };
    let height = height
        .parse()
        .map_err(|_| format!("{FAULT_ENV}: height {height:?} is not a number"))?;
    Ok((point, height))
}

/// The fault a value of `QUIRED_FAULT` asks for: none if unset or empty.
/// Any other value is an error in a build without the feature, so that a
/// requested crash is never silently skipped.
pub fn requested(value: Option<&OsStr>) -> Result<Option<(FaultPoint, u64)>, String> {
    let Some(value) = value.filter(|value| !value.is_empty()) else {
        return Ok(None);
    };
    if !ENABLED {
        return Err(format!(
            "{FAULT_ENV} is set, but this quired was built without the fault-injection feature \
             (unset {FAULT_ENV}, or build quired with `--features fault-injection`)"
        ));
    }
    let spec = value
        .to_str()
        .ok_or_else(|| format!("{FAULT_ENV}={value:?}: not valid UTF-8"))?;
    parse(spec).map(Some)
}

/// Reads the environment once; an unparsable value, or any value in a build
/// without the feature, is an error.
pub fn init_from_env() -> Result<(), String> {
    let armed = requested(std::env::var_os(FAULT_ENV).as_deref())?;
    #[cfg(feature = "fault-injection")]
    {
        if let Some((point, height)) = armed {
            tracing::warn!(%point, height, "fault injection armed: quired will abort");
        }
        let _ = ARMED.set(armed);
    }
    // Without the feature `requested` refuses every value, so nothing is armed.
    #[cfg(not(feature = "fault-injection"))]
    let _ = armed;
    Ok(())
}

/// Aborts the process if a fault is armed for `point` at `height`.
#[cfg(feature = "fault-injection")]
pub fn check(point: FaultPoint, height: u64) {
    if let Some(Some((armed_point, armed_height))) = ARMED.get() {
        if *armed_point == point && *armed_height == height {
            tracing::error!(%point, height, "fault injection: aborting");
            std::process::abort();
        }
    }
}

/// Does nothing: this build has no fault injection.
#[cfg(not(feature = "fault-injection"))]
#[inline(always)]
pub fn check(_point: FaultPoint, _height: u64) {}

/// Aborts after FinalizeBlock of `height` if `after-finalize-with-updates`
/// is armed at or below it and the block returns validator updates.
#[cfg(feature = "fault-injection")]
pub fn check_updates(height: u64, has_updates: bool) {
    if let Some(Some((FaultPoint::AfterFinalizeWithUpdates, from))) = ARMED.get() {
        if has_updates && height >= *from {
            tracing::error!(
                height,
                "fault injection: aborting in a block with validator updates"
            );
            std::process::abort();
        }
    }
}

/// Without the feature: nothing.
#[cfg(not(feature = "fault-injection"))]
#[inline(always)]
pub fn check_updates(_height: u64, _has_updates: bool) {}

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
        assert_eq!(
            parse("after-finalize-with-updates@5"),
            Ok((FaultPoint::AfterFinalizeWithUpdates, 5))
        );
        assert!(parse("mid-commit").is_err());
        assert!(parse("sometime@3").is_err());
        assert!(parse("mid-commit@x").is_err());
    }

    #[test]
    fn unset_or_empty_means_no_fault_in_every_build() {
        assert_eq!(requested(None), Ok(None));
        assert_eq!(requested(Some(OsStr::new(""))), Ok(None));
    }

    #[cfg(feature = "fault-injection")]
    #[test]
    fn with_the_feature_a_value_arms_a_fault() {
        assert_eq!(
            requested(Some(OsStr::new("mid-commit@7"))),
            Ok(Some((FaultPoint::MidCommit, 7)))
        );
        let err = requested(Some(OsStr::new("sometime@3"))).unwrap_err();
        assert!(err.contains("unknown point"), "{err}");
    }

    #[cfg(not(feature = "fault-injection"))]
    #[test]
    fn without_the_feature_any_value_is_refused() {
        for value in ["mid-commit@7", "garbage"] {
            let err = requested(Some(OsStr::new(value))).unwrap_err();
            assert!(
                err.contains("built without the fault-injection feature") && !err.contains('\n'),
                "{err}"
            );
        }
    }
}
