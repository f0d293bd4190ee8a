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
//! - `peek`: this validator's vote extension carries its decryption shares
//!   of the envelopes in the block it votes on, before that block commits
//!   (a validator helping a proposer read envelopes before ordering is
//!   final). Every honest node refuses the extension, so the vote is lost.
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
    /// Shares the envelopes of the block it votes on.
    Peek,
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
        Some("peek") => Ok(Some(Behaviour::Peek)),
        _ => Err(format!(
            "{BYZANTINE_ENV}={value:?}: unknown behaviour; use reorder, skip-reveal, bad-key or peek"
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

/// What a peeking validator saw in ProcessProposal: the height, and the
/// shares of its envelopes (slot = that height, epoch).
type Peeked = (u64, quire_core::encryption::ShareSection);

static PEEKED: std::sync::Mutex<Option<Peeked>> = std::sync::Mutex::new(None);
static PEEK_SHARE: std::sync::OnceLock<quire_tpke::KeyShare> = std::sync::OnceLock::new();

/// Gives a peeking validator its key share (a dealer's; `quired start`).
pub fn set_key_share(share: Option<&quire_tpke::KeyShare>) {
    if let (Some(Behaviour::Peek), Some(share)) = (armed(), share) {
        let _ = PEEK_SHARE.set(share.clone());
    }
}

/// Peek: computes this validator's shares of the envelopes in the proposal
/// for `height` it is processing.
pub fn observe_proposal(
    machine: &quire_app::StateMachine,
    state: &dyn quire_app::state::StateRead,
    height: u64,
    txs: &[impl AsRef<[u8]>],
) {
    use quire_app::chain::ChainRead;
    use quire_app::encryption::EncryptionRead;
    use quire_core::encryption::{ShareSection, SlotShares, SubmitEncrypted};
    let (Some(Behaviour::Peek), Some(share)) = (armed(), PEEK_SHARE.get()) else {
        return;
    };
    let (Ok(chain_id), Ok(Some(params))) = (state.chain_id(), state.encryption_params()) else {
        return;
    };
    let mut shares = Vec::new();
    for tx in txs {
        let Ok(decoded) = quire_app::tx::DecodedTx::decode(
            tx.as_ref(),
            u64::MAX,
            machine.router(),
            machine.sig_cache(),
        ) else {
            continue;
        };
        for envelope in decoded.messages_of::<SubmitEncrypted>() {
            let identity = quire_tpke::Identity::derive(
                &chain_id,
                envelope.epoch,
                decoded.signer.as_bytes(),
                decoded.sequence,
                &envelope.nonce,
            );
            shares.push(quire_tpke::share(share, &identity).to_bytes());
        }
    }
    if shares.is_empty() {
        return;
    }
    let section = ShareSection {
        epoch: params.epoch,
        slots: vec![SlotShares {
            slot: height,
            shares,
        }],
    };
    if let Ok(mut peeked) = PEEKED.lock() {
        *peeked = Some((height, section));
    }
}

/// Peek: the vote extension for `height` with the encryption section
/// replaced by the shares of that very block's envelopes, if it had any.
pub fn peek_extension(height: u64, extension: Vec<u8>) -> Vec<u8> {
    use quire_app::vote_extension;
    if armed() != Some(Behaviour::Peek) {
        return extension;
    }
    let Some((_, section)) = PEEKED
        .lock()
        .ok()
        .and_then(|mut p| p.take())
        .filter(|(h, _)| *h == height)
    else {
        return extension;
    };
    let Ok(sections) = vote_extension::decode(&extension) else {
        return extension;
    };
    // Sections go in component order: encryption's before dkg's, the last.
    let mut out: Vec<(&str, Vec<u8>)> = sections
        .iter()
        .filter(|s| s.component != "encryption")
        .map(|s| (s.component, s.data.to_vec()))
        .collect();
    let at = out
        .iter()
        .position(|(name, _)| *name == quire_app::encryption::dkg::NAME)
        .unwrap_or(out.len());
    let count = section.slots.first().map_or(0, |s| s.shares.len());
    out.insert(at, ("encryption", section.encode()));
    tracing::warn!(
        height,
        shares = count,
        "byzantine: shares of the block being voted on"
    );
    vote_extension::encode(&out)
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
            assert_eq!(
                requested(Some(OsStr::new("peek"))),
                Ok(Some(Behaviour::Peek))
            );
            assert!(requested(Some(OsStr::new("peep")))
                .unwrap_err()
                .contains("unknown behaviour"));
        } else {
            assert!(reorder
                .unwrap_err()
                .contains("without the fault-injection feature"));
        }
    }
}
