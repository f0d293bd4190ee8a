//! Test-only byzantine proposers, compiled in only with the
//! `fault-injection` cargo feature (like [`crate::fault`]).
//!
//! With the feature, `QUIRED_BYZANTINE=<behaviour>` set when `quired start`
//! runs makes this node's PrepareProposal misbehave, so the tests can show
//! that every honest node rejects what it builds and the chain goes on.
//! Behaviours:
//!
//! - `reorder`: the block's user txs in reverse of the canonical order (a
//!   proposer putting later txs, e.g. its own, ahead of a victim's).
//! - `skip-reveal`: the reveal system tx left out of a block that must
//!   carry one (a proposer holding back decryption).
//! - `bad-key`: one key of the reveal altered (a proposer revealing a
//!   wrong key, e.g. to make an envelope look undecryptable).
//!
//! Without the feature `quired start` refuses to run with the variable set.
//! Unset or empty, it means an honest node in both builds.

use std::ffi::OsStr;

/// The environment variable that makes the proposer byzantine.
pub const BYZANTINE_ENV: &str = "QUIRED_BYZANTINE";

/// How a byzantine proposer misbehaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Behaviour {
    /// Reverses the user txs.
    Reorder,
    /// Leaves the reveal out.
    SkipReveal,
    /// Alters a key of the reveal.
    BadKey,
}

#[cfg(feature = "fault-injection")]
static ARMED: std::sync::OnceLock<Option<Behaviour>> = std::sync::OnceLock::new();

/// The behaviour a value of `QUIRED_BYZANTINE` asks for: none if unset or
/// empty; any other value is an error in a build without the feature.
pub fn requested(value: Option<&OsStr>) -> Result<Option<Behaviour>, String> {
    let Some(value) = value.filter(|value| !value.is_empty()) else {
        return Ok(None);
    };
    if !crate::fault::ENABLED {
        return Err(format!(
            "{BYZANTINE_ENV} is set, but this quired was built without the fault-injection feature \
             (unset {BYZANTINE_ENV}, or build quired with `--features fault-injection`)"
        ));
    }
    match value.to_str() {
        Some("reorder") => Ok(Some(Behaviour::Reorder)),
        Some("skip-reveal") => Ok(Some(Behaviour::SkipReveal)),
        Some("bad-key") => Ok(Some(Behaviour::BadKey)),
        _ => Err(format!(
            "{BYZANTINE_ENV}={value:?}: unknown behaviour; use reorder, skip-reveal or bad-key"
        )),
    }
}

/// Reads the environment once.
pub fn init_from_env() -> Result<(), String> {
    let armed = requested(std::env::var_os(BYZANTINE_ENV).as_deref())?;
    #[cfg(feature = "fault-injection")]
    {
        if let Some(behaviour) = armed {
            tracing::warn!(?behaviour, "byzantine proposer armed");
        }
        let _ = ARMED.set(armed);
    }
    #[cfg(not(feature = "fault-injection"))]
    let _ = armed;
    Ok(())
}

/// The behaviour armed, if any.
pub fn armed() -> Option<Behaviour> {
    #[cfg(feature = "fault-injection")]
    {
        ARMED.get().copied().flatten()
    }
    #[cfg(not(feature = "fault-injection"))]
    {
        None
    }
}

/// Applies the armed behaviour to an honest proposal.
pub fn tamper(proposal: &mut quire_app::block::Proposal) {
    use quire_app::encryption::REVEAL_TAG;
    use quire_core::encryption::{Reveal, SlotResolution};
    match armed() {
        Some(Behaviour::Reorder) if proposal.chosen.len() > 1 => {
            proposal.chosen.reverse();
            tracing::warn!(txs = proposal.chosen.len(), "byzantine: user txs reversed");
        }
        Some(Behaviour::SkipReveal) => {
            let before = proposal.system_txs.len();
            proposal.system_txs.retain(|tx| !REVEAL_TAG.matches(tx));
            if proposal.system_txs.len() < before {
                tracing::warn!("byzantine: reveal left out");
            }
        }
        Some(Behaviour::BadKey) => {
            for tx in &mut proposal.system_txs {
                let Some(mut reveal) = REVEAL_TAG
                    .payload(tx)
                    .and_then(|payload| Reveal::decode(payload).ok())
                else {
                    continue;
                };
                let altered =
                    reveal
                        .slots
                        .iter_mut()
                        .find_map(|(_, resolution)| match resolution {
                            SlotResolution::Keys(keys) => keys.first_mut(),
                            SlotResolution::Expired => None,
                        });
                if let Some(key) = altered {
                    key[47] ^= 1;
                    *tx = reveal.to_tx();
                    tracing::warn!("byzantine: a reveal key altered");
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_parse_or_are_refused() {
        assert_eq!(requested(None), Ok(None));
        assert_eq!(requested(Some(OsStr::new(""))), Ok(None));
        let reorder = requested(Some(OsStr::new("reorder")));
        if crate::fault::ENABLED {
            assert_eq!(reorder, Ok(Some(Behaviour::Reorder)));
            assert_eq!(
                requested(Some(OsStr::new("bad-key"))),
                Ok(Some(Behaviour::BadKey))
            );
            assert!(requested(Some(OsStr::new("peek")))
                .unwrap_err()
                .contains("unknown behaviour"));
        } else {
            assert!(reorder
                .unwrap_err()
                .contains("without the fault-injection feature"));
        }
    }
}
