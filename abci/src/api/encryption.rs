//! The read API's blind-ordering part (docs/blind-ordering.md): the epoch
//! key submitters seal to, and each reveal height's record, which binds a
//! revealed blob to the envelope it came from. Both from the committed
//! state (reveal records are never pruned); the ABCI query paths
//! `/encryption/info` and `/encryption/revealed/{height}` answer the same
//! messages and, with `prove = true`, the state proofs of their entries.

use super::ApiError;
use quire_app::encryption::{EncryptionRead, ResolvedEnvelope};
use quire_app::StateRead;
use quire_core::encryption::record;
use quire_proto::sequencer::v1 as pb;

fn internal(e: impl std::fmt::Display) -> ApiError {
    ApiError::Internal(e.to_string())
}

/// The state entries [`info`] is made of, in order.
pub fn info_keys() -> Vec<Vec<u8>> {
    vec![
        record::PARAMS_KEY.to_vec(),
        record::EPOCH_KEY_KEY.to_vec(),
        record::STATUS_KEY.to_vec(),
    ]
}

/// The epoch key and rules at the last committed height `committed`, or
/// [`ApiError::NoEncryption`].
pub fn info(state: &dyn StateRead, committed: u64) -> Result<pb::EncryptionInfo, ApiError> {
    let params = state
        .encryption_params()
        .map_err(internal)?
        .ok_or(ApiError::NoEncryption)?;
    let key = state
        .encryption_key()
        .map_err(internal)?
        .ok_or_else(|| internal("encryption has params but no epoch key"))?;
    let status = state.encryption_status().map_err(internal)?;
    Ok(pb::EncryptionInfo {
        epoch: params.epoch,
        epoch_key_hash: key.hash().to_vec(),
        epoch_key: key.to_bytes(),
        active: status.inactive_since.is_none(),
        inactive_since: status.inactive_since.unwrap_or(0),
        expired_in_row: status.expired_in_row,
        max_envelopes_per_block: params.max_envelopes_per_block,
        expiry_blocks: params.expiry_blocks,
        expiries_to_disable: params.expiries_to_disable,
        members: params.members.iter().map(|m| m.to_vec()).collect(),
        height: committed,
    })
}

/// What the reveal at `height` resolved (an empty record if it had none);
/// the height must be committed.
pub fn reveal_record(
    state: &dyn StateRead,
    committed: u64,
    height: u64,
) -> Result<pb::RevealRecord, ApiError> {
    if state.encryption_params().map_err(internal)?.is_none() {
        return Err(ApiError::NoEncryption);
    }
    if height == 0 {
        return Err(ApiError::InvalidArgument(
            "heights start at 1: no reveal at height 0".into(),
        ));
    }
    if height > committed {
        return Err(ApiError::NotYetAvailable {
            requested: height,
            latest: committed,
        });
    }
    let envelopes = state.revealed_at(height).map_err(internal)?;
    Ok(pb::RevealRecord {
        height,
        envelopes: envelopes.iter().map(envelope_to_raw).collect(),
    })
}

/// The wire form of one record entry.
pub fn envelope_to_raw(envelope: &ResolvedEnvelope) -> pb::RevealedEnvelope {
    pb::RevealedEnvelope {
        slot: envelope.slot,
        tx_index: envelope.tx_index,
        tx_hash: envelope.tx_hash.to_vec(),
        outcome: envelope.outcome.code().1.to_string(),
        first_blob: envelope.first_blob,
        blobs: envelope
            .blobs
            .iter()
            .map(|b| pb::RevealedBlob {
                namespace: b.namespace.as_bytes().to_vec(),
                leaf: b.leaf.to_vec(),
            })
            .collect(),
    }
}
