//! FinalizeBlock: execute a decided block. Nothing is persisted here.

use super::executor::BlockExecutor;
use crate::blob::{self, COMMITMENT_TAG};
use crate::chain::ChainWrite;
use crate::context::{BlockContext, ValidatorUpdate};
use crate::error::{StateReadError, SystemTxError, TxError};
use crate::event::Event;
use crate::execute::TxReceipt;
use crate::machine::StateMachine;
use crate::state::tree::{self, TreeChanges};
use crate::state::{ChangeSet, CommittedState, Overlay};
use quire_core::commitment::{NamespaceLeaf, NamespaceTree};
use quire_core::merkle::{self, InclusionProof};
use quire_core::Blob;
use sha2::{Digest, Sha256};

/// The outcome of one system transaction in a finalized block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SystemTxOutcome {
    /// Its kind.
    pub kind: &'static str,
    /// Hash of the transaction.
    pub hash: [u8; 32],
    /// Its events, or why it is invalid (possible only if more than a third
    /// of the voting power accepted an invalid proposal).
    pub result: Result<Vec<Event>, SystemTxError>,
}

/// The outcome of one user transaction in a finalized block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TxOutcome {
    /// Hash of the transaction.
    pub hash: [u8; 32],
    /// Its receipt, or why it was not applied.
    pub result: Result<TxReceipt, TxError>,
}

/// The block's namespace commitment as finalized, with what the read API needs
/// to prove namespaces against it.
#[derive(Debug, Clone)]
pub struct FinalizedCommitment {
    /// The commitment transaction as it is in the block.
    pub tx: Vec<u8>,
    /// Proof of `sha256(tx)` under the header's data hash.
    pub tx_proof: InclusionProof,
    /// The namespace tree's leaves, sorted by namespace.
    pub leaves: Vec<NamespaceLeaf>,
    /// Whether the block's commitment equals the one its blobs give (always,
    /// unless more than a third of the voting power is byzantine).
    pub matches_blobs: bool,
}

/// Everything FinalizeBlock computes; nothing of it is persisted until Commit.
#[derive(Debug, Clone)]
pub struct FinalizedBlock {
    /// Height of the block.
    pub height: u64,
    /// One outcome per system transaction, in block order (they come first).
    pub system_txs: Vec<SystemTxOutcome>,
    /// The block's commitment, if it has its commitment system transaction.
    pub commitment: Option<FinalizedCommitment>,
    /// One outcome per user transaction, in block order (after the system
    /// transactions).
    pub txs: Vec<TxOutcome>,
    /// The block's state writes.
    pub changes: ChangeSet,
    /// The state tree's new version (its root is the app hash).
    pub tree: TreeChanges,
    /// The block's blobs, in block order.
    pub blobs: Vec<Blob>,
    /// Validator-set changes (take effect at height + 2).
    pub validator_updates: Vec<ValidatorUpdate>,
    /// The app hash after this block.
    pub app_hash: [u8; 32],
}

/// Executes a decided block over committed state `base` (with `pending`, the
/// genesis writes not yet persisted, on top). Deterministic: it depends only
/// on the committed state, the block context and the transactions. A
/// transaction that fails (possible only if a byzantine proposer got a block
/// through) gets an error result and changes nothing. The node's signature
/// cache changes only how fast.
pub(crate) fn finalize_block(
    app: &StateMachine,
    base: &dyn CommittedState,
    pending: Option<(&ChangeSet, &TreeChanges)>,
    ctx: &BlockContext,
    txs: &[impl AsRef<[u8]>],
) -> Result<FinalizedBlock, StateReadError> {
    let state = Overlay {
        changes: pending.map(|(changes, _)| changes),
        base,
    };
    let mut executor = BlockExecutor::begin(app, &state, ctx)?.with_events();
    let mut system_txs = Vec::new();
    let mut commitment_position = None;
    for &(component, tag) in app.system_tx_components().iter() {
        let position = system_txs.len();
        let Some(tx) = txs
            .get(position)
            .map(AsRef::as_ref)
            .filter(|tx| tag.matches(tx))
        else {
            continue;
        };
        if tag == COMMITMENT_TAG {
            commitment_position = Some(position);
        }
        let result = executor.deliver_system_tx(component, ctx, position, tx);
        system_txs.push(SystemTxOutcome {
            kind: tag.kind,
            hash: Sha256::digest(tx).into(),
            result,
        });
    }
    let mut outcomes = Vec::with_capacity(txs.len());
    for (tx_index, bytes) in txs.iter().enumerate().skip(system_txs.len()) {
        let bytes = bytes.as_ref();
        let decoded = executor.decode(bytes);
        let hash = match &decoded {
            Ok(tx) => tx.hash,
            Err(_) => Sha256::digest(bytes).into(),
        };
        let result = decoded.and_then(|tx| executor.apply(tx, tx_index as u32));
        if let Err(TxError::Storage(e)) = result {
            return Err(e);
        }
        outcomes.push(TxOutcome { hash, result });
    }
    executor.state.put_last_block_hash(&ctx.hash);
    let mut validator_updates = Vec::new();
    for component in app.components() {
        validator_updates.extend(component.end_block(&mut executor.state, ctx)?);
    }
    if app.checks_invariants() {
        crate::invariants::check(&executor.state, ctx.time)
            .map_err(|e| StateReadError(format!("after block {}: {e}", ctx.height)))?;
    }
    let claimed = blob::claimed_commitment(&executor.state);
    let blobs = blob::take_block_blobs(&mut executor.state);
    let commitment = match commitment_position.and_then(|p| Some((p, txs.get(p)?))) {
        Some((position, tx)) => {
            let tree = blob::take_block_tree(&mut executor.state)
                .unwrap_or_else(|| NamespaceTree::build(ctx.height, &blobs));
            if let Some(SystemTxOutcome {
                result: Ok(events), ..
            }) = system_txs.get_mut(position)
            {
                events.push(Event::new("commitment").unindexed("namespaces", tree.leaves().len()));
            }
            // Every tx's hash is known by now: the system txs' and the user
            // txs' (computed while decoding them).
            let tx_hashes: Vec<[u8; 32]> = system_txs
                .iter()
                .map(|outcome| outcome.hash)
                .chain(outcomes.iter().map(|outcome| outcome.hash))
                .map(|hash| merkle::leaf_hash(&hash))
                .collect();
            merkle::prove(&tx_hashes, position).map(|tx_proof| FinalizedCommitment {
                tx: tx.as_ref().to_vec(),
                tx_proof,
                leaves: tree.leaves().to_vec(),
                matches_blobs: claimed == Some(tree.commitment()),
            })
        }
        None => None,
    };
    let changes = executor.state.into_changes();
    let (app_hash, tree) = tree::update(
        base,
        pending.map(|(_, tree)| tree),
        ctx.height,
        &changes,
        false,
    )?;
    Ok(FinalizedBlock {
        height: ctx.height,
        system_txs,
        commitment,
        txs: outcomes,
        changes,
        tree,
        blobs,
        validator_updates,
        app_hash,
    })
}
