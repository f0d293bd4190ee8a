//! [`App`]: the state machine in the ABCI call order.
//!
//! CometBFT calls InitChain once, then for every height PrepareProposal (on
//! the proposer), ProcessProposal, ExtendVote / VerifyVoteExtension,
//! FinalizeBlock and Commit; CheckTx and queries run concurrently. `App`
//! keeps what lives between those calls: the genesis writes until the first
//! Commit persists them, the last committed height and app hash, the
//! finalized block waiting for Commit, and the mempool's pending effects.
//! It reads committed state through what the node passes in and persists
//! nothing itself: [`App::commit`] hands the block to the node's persist
//! function and advances only when it succeeded.
//!
//! Crash safety follows: FinalizeBlock keeps its result in memory only;
//! Commit persists atomically (the node's store); after a restart the node
//! reports its store's last commit and CometBFT replays from there. Genesis
//! writes are persisted with the first block, so a crash before it makes
//! CometBFT call InitChain again.

use crate::block::{FinalizedBlock, FinalizedCommitment, Proposal};
use crate::context::{BlockContext, ValidatorUpdate, VoteContext};
use crate::error::{AppError, ProposalError, TxError, VoteExtensionError};
use crate::execute::TxReceipt;
use crate::genesis::GenesisState;
use crate::machine::{Builder, GenesisOutput, StateMachine};
use crate::mempool::CheckState;
use crate::state::{ChangeSet, CommittedState, Overlay, StateRead, TreeChanges};
use quire_core::Blob;
use std::sync::{Arc, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};

/// Everything one Commit persists, in one atomic write.
#[derive(Debug)]
pub struct CommitBatch<'a> {
    /// Height being committed.
    pub height: u64,
    /// App hash after it.
    pub app_hash: [u8; 32],
    /// State writes (with the genesis writes on the first block).
    pub changes: &'a ChangeSet,
    /// The state tree's nodes to write and to delete.
    pub tree: &'a TreeChanges,
    /// The block's blobs in block order.
    pub blobs: &'a [Blob],
    /// The block's namespace commitment, if it has one.
    pub commitment: Option<&'a FinalizedCommitment>,
}

/// Why Commit failed.
#[derive(Debug, thiserror::Error)]
pub enum CommitError<E> {
    /// Commit without a finalized block.
    #[error(transparent)]
    App(#[from] AppError),
    /// The node's persist function failed; nothing advanced.
    #[error("persisting the block failed: {0}")]
    Persist(E),
}

/// What lives between ABCI calls.
#[derive(Default)]
struct Between {
    /// Genesis writes and tree not yet persisted (until the first Commit).
    genesis: Option<Arc<GenesisOutput>>,
    /// Height of the last committed block (initial_height - 1 before the first).
    last_height: u64,
    /// The finalized, not yet committed block.
    pending: Option<Arc<FinalizedBlock>>,
}

/// The state machine in the ABCI call order.
pub struct App {
    machine: StateMachine,
    between: RwLock<Between>,
    check: Mutex<CheckState>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // No code path panics while holding a lock; recover the guard rather than
    // poisoning every later call.
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl App {
    /// Quire's standard state machine, resuming after `last` (the height of
    /// the store's last commit), or fresh before genesis.
    pub fn new(last: Option<u64>) -> Result<Self, AppError> {
        Self::with(StateMachine::standard(), last)
    }

    /// A state machine built from `builder` (tests add components).
    pub fn with(builder: Builder, last: Option<u64>) -> Result<Self, AppError> {
        Ok(App {
            machine: builder.build()?,
            between: RwLock::new(Between {
                last_height: last.unwrap_or(0),
                ..Between::default()
            }),
            check: Mutex::new(CheckState::new()),
        })
    }

    /// The store now holds a state restored from a snapshot of `height`
    /// (state sync): resume after it, as after that height's Commit.
    pub fn restored(&self, height: u64) {
        let mut between = self.write();
        between.genesis = None;
        between.pending = None;
        between.last_height = height;
        drop(between);
        lock(&self.check).reset();
    }

    /// The state machine.
    pub fn machine(&self) -> &StateMachine {
        &self.machine
    }

    fn read(&self) -> RwLockReadGuard<'_, Between> {
        self.between
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, Between> {
        self.between
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The last committed height (`initial_height - 1` before the first).
    pub fn last_height(&self) -> u64 {
        self.read().last_height
    }

    /// Runs `f` over committed state as the app sees it: `committed` (the
    /// node's store) with the genesis writes on top until the first Commit.
    pub fn with_state<R>(
        &self,
        committed: &dyn StateRead,
        f: impl FnOnce(&dyn StateRead) -> R,
    ) -> R {
        let genesis = self.read().genesis.clone();
        f(&Overlay {
            changes: genesis.as_ref().map(|g| &g.changes),
            base: committed,
        })
    }

    /// [`with_state`](Self::with_state) for a query, which reads the store
    /// (`committed`, with a commit in it or not: `has_commit`) without the
    /// app's lock. Genesis' writes go on top only while nothing is
    /// committed. Returns `None` when the first Commit landed after
    /// `committed` was read: its writes (genesis' among them) are not in
    /// `committed` and no longer in memory, so read the store again.
    pub fn with_query_state<R>(
        &self,
        committed: &dyn StateRead,
        has_commit: bool,
        f: impl FnOnce(&dyn StateRead) -> R,
    ) -> Option<R> {
        let between = self.read();
        if has_commit {
            drop(between);
            return Some(f(committed));
        }
        if between.genesis.is_none() && between.last_height > 0 {
            return None;
        }
        let genesis = between.genesis.clone();
        drop(between);
        Some(f(&Overlay {
            changes: genesis.as_ref().map(|g| &g.changes),
            base: committed,
        }))
    }

    /// InitChain: validates the genesis app state and computes the genesis
    /// app hash and validator set. Nothing is persisted until the first
    /// Commit. `stored` is the
    /// height the node's store already holds, if any (then InitChain is a
    /// protocol violation).
    pub fn init_chain(
        &self,
        chain_id: &str,
        initial_height: u64,
        app_state: &[u8],
        stored: Option<u64>,
    ) -> Result<([u8; 32], Vec<ValidatorUpdate>), AppError> {
        if let Some(height) = stored {
            return Err(AppError::Protocol(format!(
                "InitChain called but the store already holds height {height}"
            )));
        }
        let genesis: GenesisState = serde_json::from_slice(app_state)
            .map_err(|e| AppError::Genesis(format!("app_state: {e}")))?;
        let initial_height = initial_height.max(1);
        let output = self
            .machine
            .genesis(chain_id, initial_height, &genesis)
            .map_err(|e| AppError::Genesis(e.to_string()))?;
        let app_hash = output.app_hash;
        let validators = output.validators.clone();
        let mut between = self.write();
        between.genesis = Some(Arc::new(output));
        between.last_height = initial_height - 1;
        between.pending = None;
        drop(between);
        lock(&self.check).reset();
        Ok((app_hash, validators))
    }

    /// State writes pending in the mempool's view of state (for metrics).
    pub fn mempool_overlay_entries(&self) -> usize {
        lock(&self.check).pending_entries()
    }

    /// CheckTx (new and recheck alike): the tx against committed state plus
    /// the effects of the mempool txs accepted before it.
    pub fn check_tx(
        &self,
        committed: &dyn StateRead,
        tx: &[u8],
    ) -> Result<Result<TxReceipt, TxError>, AppError> {
        let next_height = self.last_height() + 1;
        let mut check = lock(&self.check);
        let result = self.with_state(committed, |state| {
            self.machine.check_tx(&mut check, state, next_height, tx)
        });
        match result {
            Err(TxError::Storage(e)) => Err(e.into()),
            other => Ok(other),
        }
    }

    /// PrepareProposal: the system transactions and the candidates to
    /// propose, in order.
    pub fn prepare_proposal(
        &self,
        committed: &dyn StateRead,
        ctx: &BlockContext,
        candidates: &[impl AsRef<[u8]>],
        max_tx_bytes: u64,
    ) -> Result<Proposal, AppError> {
        self.with_state(committed, |state| {
            self.machine
                .prepare_proposal(state, ctx, candidates, max_tx_bytes)
        })
    }

    /// ProcessProposal: `Ok(())` to accept, or why the proposal is rejected.
    pub fn process_proposal(
        &self,
        committed: &dyn StateRead,
        ctx: &BlockContext,
        txs: &[impl AsRef<[u8]>],
    ) -> Result<Result<(), ProposalError>, AppError> {
        match self.with_state(committed, |state| {
            self.machine.process_proposal(state, ctx, txs)
        }) {
            Err(ProposalError::Storage(e)) => Err(e.into()),
            other => Ok(other),
        }
    }

    /// ExtendVote: this node's vote extension.
    pub fn extend_vote(
        &self,
        committed: &dyn StateRead,
        ctx: &VoteContext,
    ) -> Result<Vec<u8>, AppError> {
        self.with_state(committed, |state| self.machine.extend_vote(state, ctx))
    }

    /// VerifyVoteExtension: `Ok(())` to accept another validator's extension.
    pub fn verify_vote_extension(
        &self,
        committed: &dyn StateRead,
        ctx: &VoteContext,
        validator: &[u8; 20],
        extension: &[u8],
    ) -> Result<Result<(), VoteExtensionError>, AppError> {
        match self.with_state(committed, |state| {
            self.machine
                .verify_vote_extension(state, ctx, validator, extension)
        }) {
            Err(VoteExtensionError::Storage(e)) => Err(e.into()),
            other => Ok(other),
        }
    }

    /// FinalizeBlock: executes the decided block and keeps the result for
    /// Commit. Persists nothing.
    pub fn finalize_block(
        &self,
        committed: &dyn CommittedState,
        ctx: &BlockContext,
        txs: &[impl AsRef<[u8]>],
    ) -> Result<Arc<FinalizedBlock>, AppError> {
        let genesis = {
            let between = self.read();
            if ctx.height != between.last_height + 1 {
                return Err(AppError::Protocol(format!(
                    "FinalizeBlock for height {}, but the last committed height is {}",
                    ctx.height, between.last_height
                )));
            }
            between.genesis.clone()
        };
        let pending = genesis.as_ref().map(|g| (&g.changes, &g.tree));
        let block = Arc::new(self.machine.finalize_block(committed, pending, ctx, txs)?);
        self.write().pending = Some(block.clone());
        Ok(block)
    }

    /// Commit: hands the finalized block (with the genesis writes on the
    /// first block) to `persist`, which must write it atomically; once it
    /// succeeded, the app advances to the block and the mempool's pending
    /// effects are dropped. Returns the committed height.
    pub fn commit<E>(
        &self,
        persist: impl FnOnce(&CommitBatch<'_>) -> Result<(), E>,
    ) -> Result<u64, CommitError<E>> {
        let mut between = self.write();
        let block = between
            .pending
            .clone()
            .ok_or_else(|| AppError::Protocol("Commit without a finalized block".into()))?;
        let merged;
        let (changes, tree) = match between.genesis.as_deref() {
            Some(genesis) => {
                let mut all = genesis.changes.clone();
                all.extend(block.changes.iter().map(|(k, v)| (k.clone(), v.clone())));
                merged = (all, genesis.tree.clone().then(block.tree.clone()));
                (&merged.0, &merged.1)
            }
            None => (&block.changes, &block.tree),
        };
        persist(&CommitBatch {
            height: block.height,
            app_hash: block.app_hash,
            changes,
            tree,
            blobs: &block.blobs,
            commitment: block.commitment.as_ref(),
        })
        .map_err(CommitError::Persist)?;
        between.genesis = None;
        between.pending = None;
        between.last_height = block.height;
        drop(between);
        lock(&self.check).reset();
        Ok(block.height)
    }
}
