//! The reveal system transaction: PrepareProposal builds it from the
//! decryption shares in the last commit's vote extensions; every node
//! checks it (slots in queue order, keys against the epoch key, the
//! deadline) and applies it (decrypts, adds the blobs to the block).

use super::state::{
    EncryptionParams, EncryptionRead, EncryptionWrite, Outcome, PendingEnvelope, ResolvedEnvelope,
    RevealedBlob,
};
use crate::blob;
use crate::chain::ChainRead;
use crate::context::{BlockContext, VoteFlag};
use crate::error::{StateReadError, SystemTxError};
use crate::event::Event;
use crate::state::{StateRead, StateWrite};
use crate::vote_extension;
use quire_core::commitment::blob_leaf_hash;
use quire_core::encryption::{
    Reveal, ShareSection, SlotResolution, MAX_SLOTS_PER_REVEAL, REVEAL_TX_PREFIX,
};
use quire_core::envelope::EnvelopePayload;
use quire_core::{Blob, Namespace};
use quire_tpke::{DecryptionKey, DecryptionShare, EpochKey, Identity};

/// The slots the reveal of height `height` may resolve: the oldest pending
/// slots committed at least two blocks before it, at most
/// [`MAX_SLOTS_PER_REVEAL`], oldest first, with their envelope counts.
pub(super) fn eligible(pending: &[(u64, u32)], height: u64) -> Vec<(u64, u32)> {
    pending
        .iter()
        .copied()
        .take_while(|&(slot, _)| slot.saturating_add(2) <= height)
        .take(MAX_SLOTS_PER_REVEAL)
        .collect()
}

fn identities(envelopes: &[PendingEnvelope]) -> Vec<Identity> {
    envelopes
        .iter()
        .map(|e| Identity::from_bytes(e.identity))
        .collect()
}

/// The reveal PrepareProposal puts in the block: for each eligible slot in
/// order, its keys if the last commit carries enough valid shares, else
/// `Expired` once the deadline is reached, else nothing more (slots resolve
/// in order).
pub(super) fn build(
    state: &dyn StateRead,
    ctx: &BlockContext,
    section_name: &str,
) -> Result<Reveal, StateReadError> {
    let mut reveal = Reveal { slots: Vec::new() };
    let Some(params) = state.encryption_params()? else {
        return Ok(reveal);
    };
    let slots = eligible(&state.pending_slots()?, ctx.height);
    if slots.is_empty() {
        return Ok(reveal);
    }
    let key = state
        .encryption_key()?
        .ok_or_else(|| StateReadError("encryption has params but no epoch key".into()))?;
    let sections = share_sections(&params, ctx, section_name);
    for (slot, _) in slots {
        let ids = identities(&state.pending_envelopes(slot)?);
        match recover_keys(&key, &sections, slot, &ids) {
            Some(keys) => reveal.slots.push((
                slot,
                SlotResolution::Keys(keys.iter().map(DecryptionKey::to_bytes).collect()),
            )),
            None if ctx.height >= slot.saturating_add(params.expiry_blocks) => {
                reveal.slots.push((slot, SlotResolution::Expired))
            }
            None => break,
        }
    }
    Ok(reveal)
}

/// `(participant index, section)` of every Commit vote of a key-share
/// holder whose encryption section decodes, is of the current epoch, and
/// whose shares all name the voter's index. Late precommits reach the
/// proposer unverified: nothing here is trusted before the keys verify.
fn share_sections(
    params: &EncryptionParams,
    ctx: &BlockContext,
    section_name: &str,
) -> Vec<(u32, ShareSection)> {
    let mut out: Vec<(u32, ShareSection)> = ctx
        .last_commit
        .votes
        .iter()
        .filter(|vote| vote.flag == VoteFlag::Commit)
        .filter_map(|vote| {
            let index = params.member_index(&vote.validator)?;
            let sections = vote_extension::decode(&vote.extension).ok()?;
            let data = sections.iter().find(|s| s.component == section_name)?.data;
            let section = ShareSection::decode(data).ok()?;
            (section.epoch == params.epoch).then_some((index, section))
        })
        .collect();
    out.sort_by_key(|(index, _)| *index);
    out.dedup_by_key(|(index, _)| *index);
    out
}

/// One voter's shares of `slot`'s envelopes, if it sent one per envelope,
/// each decodable and of its own index.
fn slot_shares(
    index: u32,
    section: &ShareSection,
    slot: u64,
    envelopes: usize,
) -> Option<Vec<DecryptionShare>> {
    let entry = section.slots.iter().find(|s| s.slot == slot)?;
    if entry.shares.len() != envelopes {
        return None;
    }
    entry
        .shares
        .iter()
        .map(|bytes| {
            DecryptionShare::from_bytes(bytes)
                .ok()
                .filter(|s| s.index() == index)
        })
        .collect()
}

/// Every envelope's key from the voters' shares: combined optimistically
/// from all of them and checked in one batch; on failure only the voters
/// whose shares check are kept, and the keys combined again.
fn recover_keys(
    key: &EpochKey,
    sections: &[(u32, ShareSection)],
    slot: u64,
    ids: &[Identity],
) -> Option<Vec<DecryptionKey>> {
    let voters: Vec<(u32, Vec<DecryptionShare>)> = sections
        .iter()
        .filter_map(|(index, section)| {
            Some((*index, slot_shares(*index, section, slot, ids.len())?))
        })
        .collect();
    let combine_all = |voters: &[(u32, Vec<DecryptionShare>)]| -> Option<Vec<DecryptionKey>> {
        if voters.len() < key.threshold() as usize {
            return None;
        }
        let keys = (0..ids.len())
            .map(|j| {
                let shares: Vec<DecryptionShare> = voters
                    .iter()
                    .filter_map(|(_, s)| s.get(j).cloned())
                    .collect();
                quire_tpke::combine(key, &shares).ok()
            })
            .collect::<Option<Vec<_>>>()?;
        let pairs: Vec<(Identity, DecryptionKey)> =
            ids.iter().copied().zip(keys.iter().copied()).collect();
        quire_tpke::verify_keys(&key.group_key(), &pairs)
            .is_ok()
            .then_some(keys)
    };
    if let Some(keys) = combine_all(&voters) {
        return Some(keys);
    }
    let honest: Vec<(u32, Vec<DecryptionShare>)> = voters
        .into_iter()
        .filter(|(index, shares)| {
            let pairs: Vec<(Identity, DecryptionShare)> =
                ids.iter().copied().zip(shares.iter().cloned()).collect();
            quire_tpke::verify_shares_of(key, *index, &pairs).is_ok()
        })
        .collect();
    combine_all(&honest)
}

/// The blobs an envelope revealed: (namespace, data), in its order.
type Bundle = Vec<(Namespace, Vec<u8>)>;

/// Opens one envelope with its (verified) key: its blobs, or why it
/// reveals none.
fn open(
    envelope: &PendingEnvelope,
    key: &DecryptionKey,
    max_blob_bytes: u64,
) -> Result<Bundle, Outcome> {
    let ibe = quire_tpke::IbeCiphertext::from_bytes(&envelope.ibe_ciphertext)
        .map_err(|_| Outcome::Undecryptable)?;
    let plain = quire_tpke::open(
        key,
        &Identity::from_bytes(envelope.identity),
        &ibe,
        &envelope.body,
    )
    .map_err(|_| Outcome::Undecryptable)?;
    let payload = EnvelopePayload::decode(&plain).map_err(|_| Outcome::Invalid)?;
    if payload
        .blobs
        .iter()
        .any(|(_, data)| data.len() as u64 > max_blob_bytes)
    {
        return Err(Outcome::Invalid);
    }
    Ok(payload.blobs)
}

/// Checks the reveal of block `ctx` (the block's transaction number
/// `tx_index`) and applies it: each slot it resolves must be the next in
/// the queue, keys must verify against the epoch key, an expiry must be
/// due, and a slot at its deadline must be resolved. The revealed blobs
/// join the block's blob list at the reveal's position.
pub(super) fn deliver(
    state: &mut dyn StateWrite,
    ctx: &BlockContext,
    tx_index: u32,
    tx: &[u8],
) -> Result<Vec<Event>, SystemTxError> {
    let storage = |e: StateReadError| SystemTxError::Malformed(format!("state: {e}"));
    let fail = |reason: String| SystemTxError::Reveal(reason);
    let payload = tx
        .strip_prefix(REVEAL_TX_PREFIX)
        .ok_or_else(|| SystemTxError::Malformed("no reveal tag".into()))?;
    let reveal = Reveal::decode(payload).map_err(|e| SystemTxError::Malformed(e.to_string()))?;
    let params = state
        .encryption_params()
        .map_err(storage)?
        .ok_or_else(|| fail("this chain has no encryption".into()))?;
    let slots = eligible(&state.pending_slots().map_err(storage)?, ctx.height);
    if reveal.slots.len() > slots.len() {
        return Err(fail(format!(
            "resolves {} slots, only {} are pending and committed two blocks ago",
            reveal.slots.len(),
            slots.len()
        )));
    }
    let max_blob_bytes = state.params().map_err(storage)?.max_blob_bytes;
    let mut key: Option<EpochKey> = None;
    let mut status = state.encryption_status().map_err(storage)?;
    let was_active = status.inactive_since.is_none();
    let mut resolved: Vec<ResolvedEnvelope> = Vec::new();
    let mut events = Vec::new();
    let mut blob_index: u32 = 0;
    for ((slot, resolution), &(expected, count)) in reveal.slots.iter().zip(&slots) {
        if *slot != expected {
            return Err(fail(format!(
                "resolves slot {slot}; the oldest unresolved slot is {expected}"
            )));
        }
        let envelopes = state.pending_envelopes(*slot).map_err(storage)?;
        if envelopes.len() != count as usize {
            return Err(storage(StateReadError(format!(
                "slot {slot} lists {count} envelopes but stores {}",
                envelopes.len()
            ))));
        }
        let outcomes: Vec<(Outcome, Bundle)> = match resolution {
            SlotResolution::Keys(keys) => {
                if keys.len() != envelopes.len() {
                    return Err(fail(format!(
                        "{} keys for slot {slot}, which has {} envelopes",
                        keys.len(),
                        envelopes.len()
                    )));
                }
                let keys = keys
                    .iter()
                    .enumerate()
                    .map(|(i, bytes)| {
                        DecryptionKey::from_bytes(bytes)
                            .map_err(|e| fail(format!("slot {slot} key {i}: {e}")))
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                if key.is_none() {
                    key = Some(state.encryption_key().map_err(storage)?.ok_or_else(|| {
                        storage(StateReadError("encryption has no epoch key".into()))
                    })?);
                }
                let group_key = key
                    .as_ref()
                    .map(EpochKey::group_key)
                    .ok_or_else(|| storage(StateReadError("encryption has no epoch key".into())))?;
                let pairs: Vec<(Identity, DecryptionKey)> = identities(&envelopes)
                    .into_iter()
                    .zip(keys.iter().copied())
                    .collect();
                quire_tpke::verify_keys(&group_key, &pairs).map_err(|_| {
                    fail(format!(
                        "the keys of slot {slot} are not the epoch key's for its envelopes"
                    ))
                })?;
                status.expired_in_row = 0;
                envelopes
                    .iter()
                    .zip(&keys)
                    .map(
                        |(envelope, key)| match open(envelope, key, max_blob_bytes) {
                            Ok(blobs) => (Outcome::Revealed, blobs),
                            Err(outcome) => (outcome, Vec::new()),
                        },
                    )
                    .collect()
            }
            SlotResolution::Expired => {
                let due = slot.saturating_add(params.expiry_blocks);
                if ctx.height < due {
                    return Err(fail(format!(
                        "slot {slot} may expire at height {due}, not at {}",
                        ctx.height
                    )));
                }
                status.expired_in_row = status.expired_in_row.saturating_add(1);
                if status.expired_in_row >= params.expiries_to_disable
                    && status.inactive_since.is_none()
                {
                    status.inactive_since = Some(ctx.height);
                }
                envelopes
                    .iter()
                    .map(|_| (Outcome::Expired, Vec::new()))
                    .collect()
            }
        };
        let mut counts = [0usize; 4];
        for (envelope, (outcome, blobs)) in envelopes.iter().zip(outcomes) {
            counts[usize::from(outcome.code().0)] += 1;
            resolved.push(ResolvedEnvelope {
                slot: *slot,
                tx_index: envelope.tx_index,
                tx_hash: envelope.tx_hash,
                outcome,
                first_blob: blob_index,
                blobs: blobs
                    .iter()
                    .map(|(namespace, data)| RevealedBlob {
                        namespace: *namespace,
                        leaf: blob_leaf_hash(&envelope.signer, data),
                    })
                    .collect(),
            });
            for (namespace, data) in blobs {
                blob::put_block_blob(
                    state,
                    Blob {
                        namespace,
                        signer: envelope.signer,
                        tx_hash: envelope.tx_hash,
                        tx_index,
                        msg_index: blob_index,
                        data,
                    },
                );
                blob_index = blob_index.saturating_add(1);
            }
        }
        state.remove_pending(*slot);
        events.push(
            Event::new("reveal")
                .indexed("slot", slot)
                .unindexed("envelopes", envelopes.len())
                .unindexed("revealed", counts[0])
                .unindexed("undecryptable", counts[1])
                .unindexed("invalid", counts[2])
                .unindexed("expired", counts[3]),
        );
    }
    if reveal.slots.len() < MAX_SLOTS_PER_REVEAL {
        if let Some(&(next, _)) = slots.get(reveal.slots.len()) {
            let due = next.saturating_add(params.expiry_blocks);
            if ctx.height >= due {
                return Err(fail(format!(
                    "slot {next} reached its deadline {due}: it must be revealed or expired"
                )));
            }
        }
    }
    if !resolved.is_empty() {
        state.put_revealed(ctx.height, &resolved);
        state.put_encryption_status(&status);
    }
    if was_active && status.inactive_since.is_some() {
        events.push(
            Event::new("encryption_inactive").unindexed("expired_in_row", status.expired_in_row),
        );
    }
    Ok(events)
}
