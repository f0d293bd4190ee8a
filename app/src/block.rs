//! Blocks: building a proposal, checking one, and finalizing one. All three run
//! the same [`BlockExecutor`], so what an honest proposer builds is exactly what
//! every honest validator accepts.

use crate::address::Address;
use crate::error::{StorageError, TxError};
use crate::exec::{execute_tx, ExecContext, TxReceipt};
use crate::namespace::Namespace;
use crate::state::{app_hash, ChangeSet, StateDelta, StateReadExt, StateReader};
use crate::tx::{DecodedTx, Msg};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// One blob as the blob index keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobRecord {
    /// Namespace it was filed under.
    pub namespace: Namespace,
    /// Who submitted it.
    pub signer: Address,
    /// Hash of the carrying transaction.
    pub tx_hash: [u8; 32],
    /// Index of the transaction in the block.
    pub tx_index: u32,
    /// Index of the message in the transaction.
    pub msg_index: u32,
    /// The blob.
    pub data: Vec<u8>,
}

/// Runs transactions one after another on a block's state, tracking the
/// block's blob-byte budget and refusing a transaction seen twice.
pub struct BlockExecutor<'a> {
    state: StateDelta<'a>,
    ctx: ExecContext,
    blob_bytes: u64,
    seen: BTreeSet<[u8; 32]>,
}

impl<'a> BlockExecutor<'a> {
    /// Starts a block at `height` over committed state `base`.
    pub fn new(base: &'a dyn StateReader, height: u64) -> Result<Self, StorageError> {
        let ctx = ExecContext {
            chain_id: base.chain_id()?,
            params: base.params()?,
            height,
        };
        Ok(BlockExecutor {
            state: StateDelta::new(base),
            ctx,
            blob_bytes: 0,
            seen: BTreeSet::new(),
        })
    }

    /// The context the block's transactions are checked against.
    pub fn context(&self) -> &ExecContext {
        &self.ctx
    }

    /// Applies `tx` if it is valid at this point of the block and fits in the
    /// block's blob budget; otherwise changes nothing.
    pub fn apply(&mut self, tx: &DecodedTx) -> Result<TxReceipt, TxError> {
        if self.seen.contains(&tx.hash) {
            return Err(TxError::Duplicate);
        }
        let max = self.ctx.params.max_block_blob_bytes;
        let remaining = max - self.blob_bytes;
        if tx.blob_bytes > remaining {
            return Err(TxError::BlockBlobBudget {
                tx_bytes: tx.blob_bytes,
                remaining,
                max,
            });
        }
        let receipt = execute_tx(&mut self.state, &self.ctx, tx)?;
        self.blob_bytes += tx.blob_bytes;
        self.seen.insert(tx.hash);
        Ok(receipt)
    }

    /// The block's state writes.
    pub fn into_changes(self) -> ChangeSet {
        self.state.into_changes()
    }
}

/// A proposal candidate: (sequence, index among the candidates, decoded tx).
type Candidate = (u64, usize, DecodedTx);

/// Builds a proposal from the mempool's candidates: only transactions that
/// decode, verify and pay are kept; each account's transactions go in sequence
/// order; accounts take turns (one transaction each per round) so a busy
/// submitter cannot crowd out the others; the total stays within
/// `max_tx_bytes` and the block's blob budget. Deterministic for given inputs.
pub fn prepare_proposal(
    base: &dyn StateReader,
    height: u64,
    candidates: &[impl AsRef<[u8]>],
    max_tx_bytes: u64,
) -> Result<Vec<usize>, StorageError> {
    let mut executor = BlockExecutor::new(base, height)?;
    let max_tx_size = executor.context().params.max_tx_bytes;

    // Group by signer, in order of first appearance, each group by sequence.
    let mut order: Vec<Address> = Vec::new();
    let mut queues: BTreeMap<Address, Vec<Candidate>> = BTreeMap::new();
    for (index, bytes) in candidates.iter().enumerate() {
        let Ok(tx) = DecodedTx::decode(bytes.as_ref(), max_tx_size) else {
            continue;
        };
        let queue = queues.entry(tx.signer).or_insert_with(|| {
            order.push(tx.signer);
            Vec::new()
        });
        queue.push((tx.sequence, index, tx));
    }
    let mut turns: VecDeque<(Address, VecDeque<Candidate>)> = order
        .into_iter()
        .filter_map(|signer| {
            let mut queue = queues.remove(&signer)?;
            queue.sort_by_key(|(sequence, index, _)| (*sequence, *index));
            Some((signer, queue.into()))
        })
        .collect();

    let mut chosen = Vec::new();
    let mut total_bytes: u64 = 0;
    while let Some((signer, mut queue)) = turns.pop_front() {
        let Some((_, index, tx)) = queue.pop_front() else {
            continue;
        };
        if total_bytes + tx.size as u64 > max_tx_bytes {
            // Doesn't fit; this account's later txs would then leave a gap.
            continue;
        }
        match executor.apply(&tx) {
            Ok(_) => {
                total_bytes += tx.size as u64;
                chosen.push(index);
                turns.push_back((signer, queue));
            }
            // A replayed or already-included tx: skip it, the next may be valid.
            Err(TxError::SequenceReused { .. }) | Err(TxError::Duplicate) => {
                turns.push_front((signer, queue))
            }
            Err(TxError::Storage(e)) => return Err(e),
            // Anything else invalidates this account's remaining txs for this block.
            Err(_) => {}
        }
    }
    Ok(chosen)
}

/// Why a proposal was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("tx {index} of the proposal is invalid: {error}")]
pub struct ProposalError {
    /// Index of the offending transaction.
    pub index: usize,
    /// What is wrong with it.
    pub error: TxError,
}

/// Checks a proposal: every transaction must decode, verify, pay and fit, in the
/// order given. Returns the first offending transaction.
pub fn process_proposal(
    base: &dyn StateReader,
    height: u64,
    txs: &[impl AsRef<[u8]>],
) -> Result<(), ProposalError> {
    let storage = |error: StorageError| ProposalError {
        index: 0,
        error: TxError::Storage(error),
    };
    let mut executor = BlockExecutor::new(base, height).map_err(storage)?;
    let max_tx_size = executor.context().params.max_tx_bytes;
    for (index, bytes) in txs.iter().enumerate() {
        let tx = DecodedTx::decode(bytes.as_ref(), max_tx_size)
            .map_err(|error| ProposalError { index, error })?;
        executor
            .apply(&tx)
            .map_err(|error| ProposalError { index, error })?;
    }
    Ok(())
}

/// The outcome of one transaction in a finalized block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TxOutcome {
    /// Hash of the transaction.
    pub hash: [u8; 32],
    /// Its receipt, or why it was not applied.
    pub result: Result<TxReceipt, TxError>,
}

/// Everything FinalizeBlock computes; nothing of it is persisted until Commit.
#[derive(Debug, Clone)]
pub struct FinalizedBlock {
    /// Height of the block.
    pub height: u64,
    /// One outcome per transaction, in block order.
    pub txs: Vec<TxOutcome>,
    /// The block's state writes.
    pub changes: ChangeSet,
    /// The block's blobs, in block order.
    pub blobs: Vec<BlobRecord>,
    /// The app hash after this block.
    pub app_hash: [u8; 32],
}

/// Executes a decided block. Deterministic: it depends only on the committed
/// state, the previous app hash, the height and the transactions. A
/// transaction that fails (possible only if a byzantine proposer got a block
/// through) gets an error result and changes nothing.
pub fn finalize_block(
    base: &dyn StateReader,
    prev_app_hash: &[u8; 32],
    height: u64,
    txs: &[impl AsRef<[u8]>],
) -> Result<FinalizedBlock, StorageError> {
    let mut executor = BlockExecutor::new(base, height)?;
    let max_tx_size = executor.context().params.max_tx_bytes;
    let mut outcomes = Vec::with_capacity(txs.len());
    let mut blobs = Vec::new();
    for (tx_index, bytes) in txs.iter().enumerate() {
        let bytes = bytes.as_ref();
        let decoded = DecodedTx::decode(bytes, max_tx_size);
        let hash = match &decoded {
            Ok(tx) => tx.hash,
            Err(_) => Sha256::digest(bytes).into(),
        };
        let result = decoded.and_then(|tx| {
            let receipt = executor.apply(&tx)?;
            // The tx is done with: move its blobs into the index, no copy.
            for (msg_index, msg) in tx.messages.into_iter().enumerate() {
                if let Msg::SubmitBlob { namespace, data } = msg {
                    blobs.push(BlobRecord {
                        namespace,
                        signer: tx.signer,
                        tx_hash: tx.hash,
                        tx_index: tx_index as u32,
                        msg_index: msg_index as u32,
                        data,
                    });
                }
            }
            Ok(receipt)
        });
        if let Err(TxError::Storage(e)) = result {
            return Err(e);
        }
        outcomes.push(TxOutcome { hash, result });
    }
    let changes = executor.into_changes();
    let app_hash = app_hash(prev_app_hash, height, &changes, &blob_index_digest(&blobs));
    Ok(FinalizedBlock {
        height,
        txs: outcomes,
        changes,
        blobs,
        app_hash,
    })
}

/// Digest of a block's blob index entries (namespace, signer, tx hash,
/// positions), so the app hash also pins the index. The data itself is already
/// pinned by the tx hash.
pub fn blob_index_digest(blobs: &[BlobRecord]) -> [u8; 32] {
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
