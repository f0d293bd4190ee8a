//! blob: `MsgSubmitBlob`, the per-block blob budget, the block's blob list
//! (the blob index), and the namespace commitment the proposer puts first
//! in every block ([`quire_core::commitment`]).
//!
//! State: `blob/commitment/{height u64 BE}` for every height -> the
//! height's namespace commitment (as its blobs give it: height u64 BE ‖
//! namespace count u32 BE ‖ namespace root) ‖ the digest of its blob index
//! entries ([`blob_index_digest`]). So the state root, and with it every
//! later app hash, commits to every height's blobs and index.

pub mod keys;
pub mod submit;

use crate::component::Component;
use crate::context::{BlockContext, TxContext, ValidatorUpdate};
use crate::error::{StateReadError, SystemTxError, TxError};
use crate::event::Event;
use crate::router::{ActionHandler, MsgDecoder};
use crate::state::{ObjectRead, StateDelta, StateRead, StateWrite};
use crate::system_tx::SystemTxTag;
use crate::tx::DecodedTx;
use quire_core::commitment::{
    NamespaceCommitment, NamespaceTree, COMMITMENT_TX_LEN, COMMITMENT_TX_PREFIX,
};
use quire_core::encryption::SubmitEncrypted;
use quire_core::msg::{MsgError, SubmitBlob, MSG_SUBMIT_BLOB_TYPE_URL};
use quire_core::{Address, Blob};

/// The namespace commitment's system transaction tag.
pub const COMMITMENT_TAG: SystemTxTag = SystemTxTag {
    kind: "commitment",
    prefix: COMMITMENT_TX_PREFIX,
};

/// Object keys (per block, never persisted).
pub(crate) mod objects {
    /// Blob bytes the block holds so far: `u64`.
    pub const USED: &[u8] = b"blob/used";
    /// The commitment the block's system transaction claims.
    pub const CLAIMED: &[u8] = b"blob/claimed";
    /// Prefix of the block's blobs: `blob/tx/` ‖ tx index u32 BE ‖ msg index
    /// u32 BE -> [`quire_core::Blob`], so key order is block order.
    pub const BLOBS: &[u8] = b"blob/tx/";
    /// The block's namespace tree, once EndBlock built it.
    pub const TREE: &[u8] = b"blob/tree";

    /// The key of one blob.
    pub fn blob(tx_index: u32, msg_index: u32) -> Vec<u8> {
        let mut key = BLOBS.to_vec();
        key.extend_from_slice(&tx_index.to_be_bytes());
        key.extend_from_slice(&msg_index.to_be_bytes());
        key
    }
}

/// The blob component.
#[derive(Debug, Default)]
pub struct Blobs;

fn decode_submit_blob(value: &[u8], signer: &Address) -> Result<Box<dyn ActionHandler>, MsgError> {
    Ok(Box::new(SubmitBlob::decode(value, signer)?))
}

/// Total blob bytes of a transaction: plaintext blobs, and envelopes'
/// ciphertexts (their bytes count against the block's budget the same way).
pub fn tx_blob_bytes(tx: &DecodedTx) -> u64 {
    let plain: u64 = tx
        .messages_of::<SubmitBlob>()
        .map(|blob| blob.data.len() as u64)
        .sum();
    let sealed: u64 = tx
        .messages_of::<SubmitEncrypted>()
        .map(SubmitEncrypted::charged_bytes)
        .sum();
    plain.saturating_add(sealed)
}

/// Adds `bytes` to the blob bytes the block in `state` holds.
pub(crate) fn add_block_blob_bytes(state: &mut dyn StateWrite, bytes: u64) {
    let total = used(state).saturating_add(bytes);
    state.put_object(objects::USED.to_vec(), Box::new(total));
}

/// Adds a blob to the block's blob list at its position (`tx_index`,
/// `msg_index`): a message's, or one a reveal decrypted (not counted in the
/// block's budget: its ciphertext was, in its own block).
pub(crate) fn put_block_blob(state: &mut dyn StateWrite, blob: Blob) {
    state.put_object(objects::blob(blob.tx_index, blob.msg_index), Box::new(blob));
}

/// Blob bytes the block in `state` holds so far.
fn used(state: &dyn StateRead) -> u64 {
    state.object_get::<u64>(objects::USED).copied().unwrap_or(0)
}

/// The blobs of the block in `state` so far, in block order.
pub fn block_blobs(state: &dyn StateRead) -> Vec<&Blob> {
    state
        .object_prefix(objects::BLOBS)
        .into_iter()
        .filter_map(|(_, object)| object.downcast_ref::<Blob>())
        .collect()
}

/// The block's namespace tree, as EndBlock built it.
pub fn take_block_tree(state: &mut StateDelta<'_>) -> Option<NamespaceTree> {
    state
        .take_objects(objects::TREE)
        .into_iter()
        .find_map(|(_, object)| object.downcast::<NamespaceTree>().ok().map(|tree| *tree))
}

/// Digest of a block's blob index entries (namespace, signer, tx hash,
/// positions), so the state (and the app hash) also pins the index. The data
/// itself is already pinned by the commitment and the tx hash.
pub fn blob_index_digest<'b>(blobs: impl IntoIterator<Item = &'b Blob>) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    let blobs: Vec<&Blob> = blobs.into_iter().collect();
    let mut hasher = Sha256::new();
    hasher.update((blobs.len() as u64).to_be_bytes());
    for blob in blobs {
        hasher.update(blob.namespace.as_bytes());
        hasher.update(blob.signer.as_bytes());
        hasher.update(blob.tx_hash);
        hasher.update(blob.tx_index.to_be_bytes());
        hasher.update(blob.msg_index.to_be_bytes());
    }
    hasher.finalize().into()
}

/// Removes the block's blobs from `state`, in block order.
pub fn take_block_blobs(state: &mut StateDelta<'_>) -> Vec<Blob> {
    state
        .take_objects(objects::BLOBS)
        .into_iter()
        .filter_map(|(_, object)| object.downcast::<Blob>().ok().map(|blob| *blob))
        .collect()
}

/// The commitment the block's system transaction claimed, if it decoded.
pub fn claimed_commitment(state: &dyn StateRead) -> Option<NamespaceCommitment> {
    state
        .object_get::<NamespaceCommitment>(objects::CLAIMED)
        .copied()
}

impl Component for Blobs {
    fn name(&self) -> &'static str {
        "blob"
    }

    fn msg_types(&self) -> Vec<(&'static str, MsgDecoder)> {
        vec![(MSG_SUBMIT_BLOB_TYPE_URL, decode_submit_blob)]
    }

    fn system_tx(&self) -> Option<SystemTxTag> {
        Some(COMMITMENT_TAG)
    }

    /// The transaction's blobs must fit in what remains of the block's budget.
    fn admit(
        &self,
        state: &dyn StateRead,
        ctx: &TxContext<'_>,
        tx: &DecodedTx,
    ) -> Result<(), TxError> {
        let max = ctx.params.max_block_blob_bytes;
        let remaining = max.saturating_sub(used(state));
        let tx_bytes = tx_blob_bytes(tx);
        if tx_bytes > remaining {
            return Err(TxError::BlockBlobBudget {
                tx_bytes,
                remaining,
                max,
            });
        }
        Ok(())
    }

    /// A transaction whose blobs exceed a whole block's budget never fits.
    fn check_tx(
        &self,
        _state: &dyn StateRead,
        ctx: &TxContext<'_>,
        tx: &DecodedTx,
    ) -> Result<(), TxError> {
        let max = ctx.params.max_block_blob_bytes;
        let tx_bytes = tx_blob_bytes(tx);
        if tx_bytes > max {
            return Err(TxError::BlockBlobBudget {
                tx_bytes,
                remaining: max,
                max,
            });
        }
        Ok(())
    }

    /// Builds the block's namespace tree from its blobs and records the
    /// height's commitment and index digest in the state.
    fn end_block(
        &self,
        state: &mut dyn StateWrite,
        ctx: &BlockContext,
    ) -> Result<Vec<ValidatorUpdate>, StateReadError> {
        let (tree, digest) = {
            let blobs = block_blobs(&*state);
            (
                NamespaceTree::build(ctx.height, blobs.iter().copied()),
                blob_index_digest(blobs),
            )
        };
        state.put_raw(
            keys::commitment(ctx.height),
            keys::encode_commitment_record(&tree.commitment(), &digest),
        );
        state.put_object(objects::TREE.to_vec(), Box::new(tree));
        Ok(Vec::new())
    }

    fn system_tx_reserve(&self, _state: &dyn StateRead, _ctx: &BlockContext) -> u64 {
        COMMITMENT_TX_LEN as u64
    }

    fn build_system_tx(
        &self,
        state: &StateDelta<'_>,
        ctx: &BlockContext,
    ) -> Result<Option<Vec<u8>>, StateReadError> {
        let tree = NamespaceTree::build(ctx.height, block_blobs(state));
        Ok(Some(tree.commitment().encode()))
    }

    fn deliver_system_tx(
        &self,
        state: &mut dyn StateWrite,
        _ctx: &BlockContext,
        _tx_index: u32,
        tx: &[u8],
    ) -> Result<Vec<Event>, SystemTxError> {
        let claimed =
            NamespaceCommitment::decode(tx).map_err(|e| SystemTxError::Malformed(e.to_string()))?;
        state.put_object(objects::CLAIMED.to_vec(), Box::new(claimed));
        Ok(Vec::new())
    }

    fn verify_block(
        &self,
        state: &StateDelta<'_>,
        ctx: &BlockContext,
    ) -> Result<(), SystemTxError> {
        let expected = NamespaceTree::build(ctx.height, block_blobs(state)).commitment();
        match claimed_commitment(state) {
            Some(got) if got == expected => Ok(()),
            Some(got) => Err(SystemTxError::CommitmentMismatch {
                expected: Box::new(expected),
                got: Box::new(got),
            }),
            None => Err(SystemTxError::Malformed(
                "no commitment was delivered".into(),
            )),
        }
    }
}
