//! The read API's L1 part (docs/l1.md): the anchoring domain, signed
//! checkpoints with the sets the anchor contract needs, and proofs that a
//! height is in an anchored history. Everything comes from the committed
//! state: checkpoints and the history are never pruned.

use super::ApiError;
use quire_app::blob::keys as blob_keys;
use quire_app::l1::keys as l1_keys;
use quire_app::l1::state::StoredHistory;
use quire_app::l1::{checkpoint_at, L1Config, L1Read};
use quire_app::StateRead;
use quire_core::l1::history;
use quire_core::proto::Protobuf;
use quire_proto::sequencer::v1 as pb;

fn internal(e: impl std::fmt::Display) -> ApiError {
    ApiError::Internal(e.to_string())
}

/// The chain's anchoring config, or [`ApiError::NotAnchored`].
fn config(state: &dyn StateRead) -> Result<L1Config, ApiError> {
    state
        .l1_config()
        .map_err(internal)?
        .ok_or(ApiError::NotAnchored)
}

/// The latest attested height when `committed` is the last committed
/// height: the attestation of `h` is in block `h + 1` (0 if none yet).
pub fn latest_attested(config: &L1Config, committed: u64) -> u64 {
    if committed > config.initial_height {
        committed - 1
    } else {
        0
    }
}

/// `L1Info` of the chain, with its latest attested height.
pub fn info(state: &dyn StateRead, committed: u64) -> Result<pb::L1Info, ApiError> {
    let config = config(state)?;
    Ok(pb::L1Info {
        l1_chain_id: config.l1_chain_id,
        initial_height: config.initial_height,
        salt: config.salt.to_vec(),
        domain_separator: config.domain().separator().to_vec(),
        latest_attested_height: latest_attested(&config, committed),
    })
}

/// The first height in `(after, upto]` whose checkpoint rotates the set:
/// a set recorded from `f` makes the checkpoint of `f - 1` name it.
fn first_rotation(state: &dyn StateRead, after: u64, upto: u64) -> Result<Option<u64>, ApiError> {
    let mut first = None;
    for (key, _) in state.prefix(l1_keys::SETS).map_err(internal)? {
        let Some(from) = key
            .get(l1_keys::SETS.len()..)
            .and_then(|b| <[u8; 8]>::try_from(b).ok())
            .map(u64::from_be_bytes)
        else {
            return Err(internal("corrupt L1 set key"));
        };
        let height = from.saturating_sub(1);
        if height > after && height <= upto {
            first = Some(first.map_or(height, |f: u64| f.min(height)));
        }
    }
    Ok(first)
}

/// The signed checkpoint of `height` (0: the latest attested), or of the
/// first rotation in `(rotation_after, height]` when `rotation_after` is
/// given, from the state committed at `committed`.
pub fn signed_checkpoint(
    state: &dyn StateRead,
    committed: u64,
    height: u64,
    rotation_after: Option<u64>,
) -> Result<pb::SignedCheckpoint, ApiError> {
    let config = config(state)?;
    let latest = latest_attested(&config, committed);
    let mut height = if height == 0 { latest } else { height };
    if height < config.initial_height {
        return Err(ApiError::InvalidArgument(format!(
            "height {height} is below the initial height {}: no checkpoint",
            config.initial_height
        )));
    }
    if height > latest {
        return Err(ApiError::NotYetAvailable {
            requested: height,
            latest,
        });
    }
    if let Some(after) = rotation_after {
        if let Some(rotation) = first_rotation(state, after, height)? {
            height = rotation;
        }
    }
    let block_hash = state
        .l1_block_hash(height)
        .map_err(internal)?
        .ok_or(ApiError::NotFound(height))?;
    let attestation = state
        .l1_attestation(height)
        .map_err(internal)?
        .ok_or(ApiError::NotFound(height))?;
    let checkpoint = checkpoint_at(state, &config, height, block_hash).map_err(internal)?;
    let valset = state.l1_set_at(height).map_err(internal)?;
    let next = state.l1_set_at(height + 1).map_err(internal)?;
    Ok(pb::SignedCheckpoint {
        digest: checkpoint.digest(&config.domain()).to_vec(),
        checkpoint: Some(checkpoint.to_raw()),
        next_valset: (next != valset).then(|| next.to_raw()),
        valset: Some(valset.to_raw()),
        signatures: attestation
            .signatures
            .iter()
            .map(|(index, signature)| pb::CheckpointSignature {
                index: u32::from(*index),
                signature: signature.to_bytes().to_vec(),
            })
            .collect(),
    })
}

/// The proof that `height` is leaf `height - initial` of the history of
/// `size` heights.
pub fn history_proof(
    state: &dyn StateRead,
    committed: u64,
    height: u64,
    size: u64,
) -> Result<pb::HistoryProof, ApiError> {
    let config = config(state)?;
    let index = height.checked_sub(config.initial_height).ok_or_else(|| {
        ApiError::InvalidArgument(format!(
            "height {height} is below the initial height {}",
            config.initial_height
        ))
    })?;
    // Every committed height is a leaf.
    let stored = committed.saturating_sub(config.initial_height) + 1;
    if size > stored {
        return Err(ApiError::InvalidArgument(format!(
            "history size {size} is larger than the {stored} heights committed"
        )));
    }
    if index >= size {
        return Err(ApiError::InvalidArgument(format!(
            "height {height} is not in a history of {size} heights (it holds heights {} to {})",
            config.initial_height,
            (config.initial_height + size).saturating_sub(1)
        )));
    }
    let source = StoredHistory(state);
    let proof = history::prove(&source, index, size)
        .map_err(internal)?
        .ok_or_else(|| internal("no proof for an index inside the history"))?;
    let root = history::root(&source, size).map_err(internal)?;
    let block_hash = state
        .l1_block_hash(height)
        .map_err(internal)?
        .ok_or(ApiError::NotFound(height))?;
    let record = state
        .get(&blob_keys::commitment(height))
        .map_err(internal)?
        .ok_or(ApiError::NotFound(height))?;
    let blob_keys::CommitmentRecord {
        namespace_count: count,
        namespace_root,
        ..
    } = blob_keys::decode_commitment_record(&record)
        .ok_or_else(|| internal("corrupt commitment record"))?;
    Ok(pb::HistoryProof {
        height,
        block_hash: block_hash.to_vec(),
        namespace_count: count,
        namespace_root: namespace_root.to_vec(),
        leaf: history::height_leaf(height, &block_hash, count, &namespace_root).to_vec(),
        size,
        root: root.to_vec(),
        proof: Some(proof.to_raw()),
    })
}
