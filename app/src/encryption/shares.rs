//! The encryption section of vote extensions: a validator's decryption
//! shares for the oldest committed pending slots, made in ExtendVote and
//! checked, without any pairing, in VerifyVoteExtension.

use super::state::EncryptionRead;
use crate::context::VoteContext;
use crate::error::StateReadError;
use crate::state::StateRead;
use quire_core::encryption::{ShareSection, SlotShares, MAX_SLOTS_PER_REVEAL};
use quire_tpke::{Identity, KeyShare};
use std::collections::BTreeMap;

/// The slots a vote for height `height` shares: pending (so committed, at
/// most `height - 1`), not past the last height their reveal may be in
/// (`slot + expiry`), the oldest [`MAX_SLOTS_PER_REVEAL`].
fn shared_slots(pending: &[(u64, u32)], height: u64, expiry: u64) -> Vec<(u64, u32)> {
    pending
        .iter()
        .copied()
        .filter(|&(slot, _)| slot < height && height < slot.saturating_add(expiry))
        .take(MAX_SLOTS_PER_REVEAL)
        .collect()
}

/// This validator's section for the vote for `ctx.height`, if it holds a
/// key share and some slot is due.
pub(super) fn extend(
    state: &dyn StateRead,
    ctx: &VoteContext,
    share: &KeyShare,
) -> Result<Option<Vec<u8>>, StateReadError> {
    let Some(params) = state.encryption_params()? else {
        return Ok(None);
    };
    if share.index() as usize >= params.members.len() {
        return Ok(None);
    }
    let slots = shared_slots(&state.pending_slots()?, ctx.height, params.expiry_blocks);
    let mut section = ShareSection {
        epoch: params.epoch,
        slots: Vec::with_capacity(slots.len()),
    };
    for (slot, _) in slots {
        let shares = state
            .pending_envelopes(slot)?
            .iter()
            .map(|e| quire_tpke::share(share, &Identity::from_bytes(e.identity)).to_bytes())
            .collect();
        section.slots.push(SlotShares { slot, shares });
    }
    Ok((!section.slots.is_empty()).then(|| section.encode()))
}

/// Checks `validator`'s section: it may send none; if it sends one, it must
/// hold a key share, and share exactly the slots an honest validator shares
/// at this height (so never a slot not yet committed), one share per
/// envelope, each of its own index. Shares are not checked here (no
/// pairing: consensus never waits on decryption); the proposer checks them.
pub(super) fn verify(
    state: &dyn StateRead,
    ctx: &VoteContext,
    validator: &[u8; 20],
    section: Option<&[u8]>,
) -> Result<(), String> {
    let Some(section) = section else {
        return Ok(());
    };
    let params = state
        .encryption_params()
        .map_err(|e| e.to_string())?
        .ok_or("this chain has no encryption: no shares expected")?;
    let index = params
        .member_index(validator)
        .ok_or("this validator holds no key share")?;
    let section = ShareSection::decode(section).map_err(|e| e.to_string())?;
    if section.epoch != params.epoch {
        return Err(format!(
            "shares of epoch {}, the current epoch is {}",
            section.epoch, params.epoch
        ));
    }
    let pending = state.pending_slots().map_err(|e| e.to_string())?;
    let due: BTreeMap<u64, u32> = shared_slots(&pending, ctx.height, params.expiry_blocks)
        .into_iter()
        .collect();
    for entry in &section.slots {
        let count = due.get(&entry.slot).ok_or_else(|| {
            format!(
                "shares for slot {}, which is not a committed slot due at height {}",
                entry.slot, ctx.height
            )
        })?;
        if entry.shares.len() != *count as usize {
            return Err(format!(
                "{} shares for slot {}, which has {count} envelopes",
                entry.shares.len(),
                entry.slot
            ));
        }
        if let Some(bad) = entry.shares.iter().find(|s| s[..4] != index.to_be_bytes()) {
            return Err(format!(
                "a share of participant {} in the section of participant {index}",
                u32::from_be_bytes([bad[0], bad[1], bad[2], bad[3]])
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_committed_slots_before_their_deadline_are_shared() {
        let pending = [(3, 1), (5, 2), (9, 1)];
        assert_eq!(shared_slots(&pending, 6, 20), vec![(3, 1), (5, 2)]);
        assert_eq!(shared_slots(&pending, 5, 20), vec![(3, 1)]);
        assert_eq!(shared_slots(&pending, 23, 20), vec![(5, 2), (9, 1)]);
        assert_eq!(shared_slots(&pending, 3, 20), vec![]);
    }
}
