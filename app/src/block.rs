//! Blocks: building a proposal, checking one, and finalizing one. All three run
//! the same [`BlockExecutor`], so what an honest proposer builds is exactly what
//! every honest validator accepts.
//!
//! Every proposal starts with the block's namespace commitment
//! ([`crate::commitment`]) as transaction 0; user transactions follow
//! unwrapped, so their hashes are the ones their submitters computed.

use crate::error::{StateReadError, TxError};
use crate::exec::{execute_tx, ExecContext, TxReceipt};
use crate::sigcache::SignatureCache;
use crate::state::{app_hash, ChangeSet, StateDelta, StateReadExt, StateReader};
use crate::tx::DecodedTx;
use quire_core::commitment::{
    is_commitment_tx, NamespaceCommitment, NamespaceLeaf, NamespaceTree, COMMITMENT_TX_LEN,
};
use quire_core::merkle::{self, InclusionProof};
use quire_core::msg::{Msg, SubmitBlob};
use quire_core::Address;
use quire_core::Blob;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// Runs transactions one after another on a block's state, tracking the
/// block's blob-byte budget, refusing a transaction seen twice, and collecting
/// the block's blobs in order. Signatures are checked through the node's
/// [`SignatureCache`].
pub struct BlockExecutor<'a> {
    state: StateDelta<'a>,
    ctx: ExecContext,
    sigs: &'a SignatureCache,
    blob_bytes: u64,
    seen: BTreeSet<[u8; 32]>,
    blobs: Vec<Blob>,
}

impl<'a> BlockExecutor<'a> {
    /// Starts a block at `height` over committed state `base`, checking
    /// signatures through `sigs`.
    pub fn new(
        base: &'a dyn StateReader,
        height: u64,
        sigs: &'a SignatureCache,
    ) -> Result<Self, StateReadError> {
        let ctx = ExecContext {
            chain_id: base.chain_id()?,
            params: base.params()?,
            height,
        };
        Ok(BlockExecutor {
            state: StateDelta::new(base),
            ctx,
            sigs,
            blob_bytes: 0,
            seen: BTreeSet::new(),
            blobs: Vec::new(),
        })
    }

    /// The context the block's transactions are checked against.
    pub fn context(&self) -> &ExecContext {
        &self.ctx
    }

    /// Decodes a transaction for this block (see [`DecodedTx::decode_cached`]).
    pub fn decode(&self, bytes: &[u8]) -> Result<DecodedTx, TxError> {
        DecodedTx::decode_cached(bytes, self.ctx.params.max_tx_bytes, self.sigs)
    }

    /// Applies `tx`, the block's transaction number `tx_index`, if it is valid
    /// at this point of the block and fits in the block's blob budget;
    /// otherwise changes nothing. Its blobs join the block's blob list.
    pub fn apply(&mut self, tx: DecodedTx, tx_index: u32) -> Result<TxReceipt, TxError> {
        if self.seen.contains(&tx.hash) {
            return Err(TxError::Duplicate);
        }
        let max = self.ctx.params.max_block_blob_bytes;
        let remaining = max.saturating_sub(self.blob_bytes);
        if tx.blob_bytes > remaining {
            return Err(TxError::BlockBlobBudget {
                tx_bytes: tx.blob_bytes,
                remaining,
                max,
            });
        }
        let receipt = execute_tx(&mut self.state, &self.ctx, &tx, self.sigs)?;
        self.blob_bytes += tx.blob_bytes;
        self.seen.insert(tx.hash);
        // The tx is done with: move its blobs into the block's list, no copy.
        for (msg_index, msg) in tx.messages.into_iter().enumerate() {
            if let Msg::SubmitBlob(SubmitBlob { namespace, data }) = msg {
                self.blobs.push(Blob {
                    namespace,
                    signer: tx.signer,
                    tx_hash: tx.hash,
                    tx_index,
                    msg_index: msg_index as u32,
                    data,
                });
            }
        }
        Ok(receipt)
    }

    /// The sequence `address`'s next transaction must carry at this point of
    /// the block, or `None` if the account does not exist.
    pub fn next_sequence(&self, address: &Address) -> Result<Option<u64>, StateReadError> {
        Ok(self.state.account(address)?.map(|account| account.sequence))
    }

    /// The block's blobs so far, in block order.
    pub fn blobs(&self) -> &[Blob] {
        &self.blobs
    }

    /// The block's state writes and blobs.
    pub fn finish(self) -> (ChangeSet, Vec<Blob>) {
        (self.state.into_changes(), self.blobs)
    }
}

/// Bytes a tx of `len` bytes takes in CometBFT's `max_tx_bytes` accounting:
/// its protobuf encoding as a repeated `bytes` field of the block's data
/// (1 tag byte, the varint length, the tx).
fn proto_size(len: usize) -> u64 {
    let mut varint_len = 1;
    let mut rest = len >> 7;
    while rest > 0 {
        varint_len += 1;
        rest >>= 7;
    }
    (1 + varint_len + len) as u64
}

/// A proposal candidate: (sequence, index among the candidates, decoded tx).
type Candidate = (u64, usize, DecodedTx);

/// A block proposal: the commitment transaction, then the chosen candidates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proposal {
    /// The namespace commitment, to be the block's first transaction.
    pub commitment_tx: Vec<u8>,
    /// Indexes of the chosen candidates, in block order.
    pub chosen: Vec<usize>,
}

/// Builds a proposal from the mempool's candidates: only transactions that
/// decode, verify and pay are kept; each account's transactions go in sequence
/// order; accounts take turns (one transaction each per round) so a busy
/// submitter cannot crowd out the others; the total, commitment included and
/// counted as CometBFT counts it (with per-tx protobuf framing), stays within
/// `max_tx_bytes`, and the blobs within the block's blob budget.
/// Deterministic for given inputs; `sigs` (the node's signature cache) changes
/// only how fast.
pub fn prepare_proposal(
    base: &dyn StateReader,
    height: u64,
    candidates: &[impl AsRef<[u8]>],
    max_tx_bytes: u64,
    sigs: &SignatureCache,
) -> Result<Proposal, StateReadError> {
    let mut executor = BlockExecutor::new(base, height, sigs)?;

    // Group by signer, in order of first appearance, each group by sequence.
    let mut order: Vec<Address> = Vec::new();
    let mut queues: BTreeMap<Address, Vec<Candidate>> = BTreeMap::new();
    for (index, bytes) in candidates.iter().enumerate() {
        let Ok(tx) = executor.decode(bytes.as_ref()) else {
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
    let mut total_bytes = proto_size(COMMITMENT_TX_LEN);
    while let Some((signer, mut queue)) = turns.pop_front() {
        let Some((sequence, index, tx)) = queue.pop_front() else {
            continue;
        };
        let size = proto_size(tx.size);
        if total_bytes + size > max_tx_bytes {
            // Doesn't fit. Another candidate for this sequence may; otherwise
            // the account's later txs would leave a gap.
            if queue.front().is_some_and(|(next, _, _)| *next == sequence) {
                turns.push_front((signer, queue));
            }
            continue;
        }
        let tx_index = chosen.len() as u32 + 1;
        match executor.apply(tx, tx_index) {
            Ok(_) => {
                total_bytes += size;
                chosen.push(index);
                turns.push_back((signer, queue));
            }
            // A replayed or already-included tx: skip it, the next may be valid.
            Err(TxError::SequenceReused { .. }) | Err(TxError::Duplicate) => {
                turns.push_front((signer, queue))
            }
            Err(TxError::Storage(e)) => return Err(e),
            // Another candidate for the same sequence may still be valid;
            // otherwise the account's later txs would leave a gap.
            // A stale candidate (its sequence already used, failing on
            // something else first, e.g. its signature) hides nothing either.
            Err(_) => {
                let stale = executor
                    .next_sequence(&signer)?
                    .is_some_and(|next| sequence < next);
                if stale || queue.front().is_some_and(|(next, _, _)| *next == sequence) {
                    turns.push_front((signer, queue));
                }
            }
        }
    }
    let commitment_tx = NamespaceTree::build(height, executor.blobs())
        .commitment()
        .encode();
    Ok(Proposal {
        commitment_tx,
        chosen,
    })
}

/// Why a proposal was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProposalError {
    /// Transaction 0 is not a namespace commitment.
    #[error("the proposal does not start with a namespace commitment")]
    MissingCommitment,
    /// The commitment does not decode.
    #[error("the proposal's commitment is malformed: {0}")]
    MalformedCommitment(String),
    /// The commitment is not the one the block's blobs give.
    #[error("the proposal's commitment {got:?} does not match its blobs ({expected:?})")]
    CommitmentMismatch {
        /// What the blobs give.
        expected: NamespaceCommitment,
        /// What the proposal carries.
        got: NamespaceCommitment,
    },
    /// A user transaction breaks a rule.
    #[error("tx {index} of the proposal is invalid: {error}")]
    Tx {
        /// Index of the offending transaction in the block.
        index: usize,
        /// What is wrong with it.
        error: TxError,
    },
    /// State could not be read (the node's problem, not the proposal's).
    #[error(transparent)]
    Storage(#[from] StateReadError),
}

/// Checks a proposal: transaction 0 must be the namespace commitment of the
/// block's blobs, and every other transaction must decode, verify, pay and
/// fit, in the order given. Returns the first problem found, the same with
/// any `sigs` (the node's signature cache).
pub fn process_proposal(
    base: &dyn StateReader,
    height: u64,
    txs: &[impl AsRef<[u8]>],
    sigs: &SignatureCache,
) -> Result<(), ProposalError> {
    let Some((first, user_txs)) = txs.split_first() else {
        return Err(ProposalError::MissingCommitment);
    };
    if !is_commitment_tx(first.as_ref()) {
        return Err(ProposalError::MissingCommitment);
    }
    let got = NamespaceCommitment::decode(first.as_ref())
        .map_err(|e| ProposalError::MalformedCommitment(e.to_string()))?;
    let mut executor = BlockExecutor::new(base, height, sigs)?;
    for (offset, bytes) in user_txs.iter().enumerate() {
        let index = offset + 1;
        let tx = executor
            .decode(bytes.as_ref())
            .map_err(|error| ProposalError::Tx { index, error })?;
        executor
            .apply(tx, index as u32)
            .map_err(|error| match error {
                TxError::Storage(e) => ProposalError::Storage(e),
                error => ProposalError::Tx { index, error },
            })?;
    }
    let expected = NamespaceTree::build(height, executor.blobs()).commitment();
    if expected != got {
        return Err(ProposalError::CommitmentMismatch { expected, got });
    }
    Ok(())
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
    /// The commitment transaction as it is in the block (tx 0).
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
    /// The block's commitment, if tx 0 is one.
    pub commitment: Option<FinalizedCommitment>,
    /// One outcome per user transaction, in block order (after the commitment).
    pub txs: Vec<TxOutcome>,
    /// The block's state writes.
    pub changes: ChangeSet,
    /// The block's blobs, in block order.
    pub blobs: Vec<Blob>,
    /// The app hash after this block.
    pub app_hash: [u8; 32],
}

/// Executes a decided block. Deterministic: it depends only on the committed
/// state, the previous app hash, the height and the transactions. A
/// transaction that fails (possible only if a byzantine proposer got a block
/// through) gets an error result and changes nothing. `sigs` (the node's
/// signature cache) changes only how fast.
pub fn finalize_block(
    base: &dyn StateReader,
    prev_app_hash: &[u8; 32],
    height: u64,
    txs: &[impl AsRef<[u8]>],
    sigs: &SignatureCache,
) -> Result<FinalizedBlock, StateReadError> {
    let mut executor = BlockExecutor::new(base, height, sigs)?;
    let has_commitment = txs.first().is_some_and(|tx| is_commitment_tx(tx.as_ref()));
    let first_user_tx = usize::from(has_commitment);
    let mut outcomes = Vec::with_capacity(txs.len());
    for (tx_index, bytes) in txs.iter().enumerate().skip(first_user_tx) {
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
    let (changes, blobs) = executor.finish();
    let commitment = match txs.first() {
        Some(first) if has_commitment => {
            let tree = NamespaceTree::build(height, &blobs);
            // The user txs' hashes were computed while decoding them.
            let tx_hashes: Vec<[u8; 32]> = std::iter::once(Sha256::digest(first.as_ref()).into())
                .chain(outcomes.iter().map(|outcome| outcome.hash))
                .map(|hash: [u8; 32]| merkle::leaf_hash(&hash))
                .collect();
            let matches_blobs =
                NamespaceCommitment::decode(first.as_ref()).ok() == Some(tree.commitment());
            merkle::prove(&tx_hashes, 0).map(|tx_proof| FinalizedCommitment {
                tx: first.as_ref().to_vec(),
                tx_proof,
                leaves: tree.leaves().to_vec(),
                matches_blobs,
            })
        }
        _ => None,
    };
    let app_hash = app_hash(prev_app_hash, height, &changes, &blob_index_digest(&blobs));
    Ok(FinalizedBlock {
        height,
        commitment,
        txs: outcomes,
        changes,
        blobs,
        app_hash,
    })
}

/// Digest of a block's blob index entries (namespace, signer, tx hash,
/// positions), so the app hash also pins the index. The data itself is already
/// pinned by the tx hash.
pub fn blob_index_digest(blobs: &[Blob]) -> [u8; 32] {
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
