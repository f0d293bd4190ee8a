//! The ABCI application: CometBFT's requests mapped onto the deterministic
//! state machine (`quire-app`) and the store (`quire-store`).
//!
//! Crash safety: FinalizeBlock computes and keeps its result in memory only;
//! Commit writes it in one atomic redb transaction; Info reports exactly the
//! last committed height and app hash. InitChain's genesis writes are likewise
//! held in memory and persisted with the first block's Commit, so a crash before
//! that simply makes CometBFT call InitChain again.

use crate::fault::{self, FaultPoint};
use crate::query::{self, QueryError};
use quire_app::state::StateReader;
use quire_app::{
    block, ChangeSet, CheckState, FinalizedBlock, GenesisState, Proposal, SignatureCache,
    StateReadError, TxError,
};
use quire_store::{CommitBatch, CommitmentRecord, LastCommit, Store, StoreError};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use thiserror::Error;

/// A failure that must stop the node rather than be answered: the node could
/// not read or write its own storage, or CometBFT broke the ABCI call order.
#[derive(Debug, Error)]
pub enum NodeError {
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// State could not be read.
    #[error(transparent)]
    State(#[from] StateReadError),
    /// A call out of order (e.g. Commit without FinalizeBlock).
    #[error("ABCI protocol violation: {0}")]
    Protocol(String),
    /// InitChain with a genesis quired cannot use.
    #[error("bad genesis: {0}")]
    Genesis(String),
}

/// State in flight between InitChain/FinalizeBlock and Commit.
#[derive(Default)]
struct Consensus {
    /// Genesis writes not yet persisted (until the first Commit).
    genesis: Option<Arc<ChangeSet>>,
    /// App hash the next block chains from.
    last_app_hash: [u8; 32],
    /// Height of the last committed block (initial_height - 1 before the first).
    last_height: u64,
    /// The finalized, not yet committed block.
    pending: Option<Arc<FinalizedBlock>>,
}

/// State reads through the genesis writes (if not yet persisted) into the store.
struct Layered<'a> {
    changes: Option<&'a ChangeSet>,
    base: &'a dyn StateReader,
}

impl StateReader for Layered<'_> {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StateReadError> {
        if let Some(value) = self.changes.and_then(|c| c.get(key)) {
            return Ok(value.clone());
        }
        self.base.get(key)
    }
}

/// One quired node.
pub struct Node {
    store: Arc<Store>,
    consensus: Mutex<Consensus>,
    check: Mutex<CheckState>,
    /// Verified signatures, shared by CheckTx (new and recheck) and the
    /// consensus paths, so each tx's signature is verified once per node. It
    /// serves this node's one chain.
    sigs: SignatureCache,
    /// Genesis writes, visible to CheckTx and queries before the first commit.
    genesis: RwLock<Option<Arc<ChangeSet>>>,
    /// Last committed height, for CheckTx and queries.
    committed_height: AtomicU64,
    /// Announces each committed height (to the read API's streams).
    commits: tokio::sync::watch::Sender<u64>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding the lock would have aborted the process (panic =
    // abort is not set, but no code path panics while holding it); recover the
    // guard rather than poisoning every later call.
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Node {
    /// Opens the node over `store`, resuming from its last commit.
    pub fn new(store: Store) -> Result<Self, NodeError> {
        let last = store.last_commit()?;
        let consensus = Consensus {
            last_app_hash: last.map(|l| l.app_hash).unwrap_or([0; 32]),
            last_height: last.map(|l| l.height).unwrap_or(0),
            ..Consensus::default()
        };
        let (commits, _) = tokio::sync::watch::channel(consensus.last_height);
        Ok(Node {
            committed_height: AtomicU64::new(consensus.last_height),
            commits,
            store: Arc::new(store),
            consensus: Mutex::new(consensus),
            check: Mutex::new(CheckState::new()),
            sigs: SignatureCache::default(),
            genesis: RwLock::new(None),
        })
    }

    /// The store, shared with the read API.
    pub fn store(&self) -> Arc<Store> {
        self.store.clone()
    }

    /// Follows the last committed height.
    pub fn subscribe_commits(&self) -> tokio::sync::watch::Receiver<u64> {
        self.commits.subscribe()
    }

    /// The last committed block, as ABCI Info must report it: height 0 and an
    /// empty app hash before the first commit.
    pub fn info(&self) -> Result<Option<LastCommit>, NodeError> {
        Ok(self.store.last_commit()?)
    }

    /// InitChain: validates the genesis app state and computes the genesis
    /// app hash. Nothing is persisted until the first Commit.
    pub fn init_chain(
        &self,
        chain_id: &str,
        initial_height: u64,
        app_state: &[u8],
    ) -> Result<[u8; 32], NodeError> {
        if let Some(last) = self.store.last_commit()? {
            return Err(NodeError::Protocol(format!(
                "InitChain called but the store already holds height {}",
                last.height
            )));
        }
        let genesis: GenesisState = serde_json::from_slice(app_state)
            .map_err(|e| NodeError::Genesis(format!("app_state: {e}")))?;
        let initial_height = initial_height.max(1);
        let (changes, app_hash) = genesis
            .init(chain_id, initial_height)
            .map_err(|e| NodeError::Genesis(e.to_string()))?;
        let changes = Arc::new(changes);
        let mut consensus = lock(&self.consensus);
        consensus.genesis = Some(changes.clone());
        consensus.last_app_hash = app_hash;
        consensus.last_height = initial_height - 1;
        consensus.pending = None;
        self.committed_height
            .store(initial_height - 1, Ordering::SeqCst);
        *self.genesis.write().unwrap_or_else(|p| p.into_inner()) = Some(changes);
        Ok(app_hash)
    }

    fn with_state<R>(
        &self,
        genesis: Option<&ChangeSet>,
        f: impl FnOnce(&dyn StateReader) -> R,
    ) -> Result<R, NodeError> {
        let snapshot = self.store.state()?;
        let layered = Layered {
            changes: genesis,
            base: &snapshot,
        };
        Ok(f(&layered))
    }

    /// PrepareProposal: the commitment and the candidates to propose, in order.
    pub fn prepare_proposal(
        &self,
        height: u64,
        txs: &[impl AsRef<[u8]>],
        max_tx_bytes: u64,
    ) -> Result<Proposal, NodeError> {
        let consensus = lock(&self.consensus);
        let genesis = consensus.genesis.clone();
        drop(consensus);
        Ok(self.with_state(genesis.as_deref(), |state| {
            block::prepare_proposal(state, height, txs, max_tx_bytes, &self.sigs)
        })??)
    }

    /// ProcessProposal: `Ok(())` to accept, or why the proposal is rejected.
    pub fn process_proposal(
        &self,
        height: u64,
        txs: &[impl AsRef<[u8]>],
    ) -> Result<Result<(), quire_app::ProposalError>, NodeError> {
        let genesis = lock(&self.consensus).genesis.clone();
        let outcome = self.with_state(genesis.as_deref(), |state| {
            block::process_proposal(state, height, txs, &self.sigs)
        })?;
        match outcome {
            Err(quire_app::ProposalError::Storage(e)) => Err(e.into()),
            other => Ok(other),
        }
    }

    /// FinalizeBlock: executes the decided block and keeps the result for
    /// Commit. Persists nothing.
    pub fn finalize_block(
        &self,
        height: u64,
        txs: &[impl AsRef<[u8]>],
    ) -> Result<Arc<FinalizedBlock>, NodeError> {
        let mut consensus = lock(&self.consensus);
        if height != consensus.last_height + 1 {
            return Err(NodeError::Protocol(format!(
                "FinalizeBlock for height {height}, but the last committed height is {}",
                consensus.last_height
            )));
        }
        let genesis = consensus.genesis.clone();
        let prev = consensus.last_app_hash;
        let block = Arc::new(self.with_state(genesis.as_deref(), |state| {
            block::finalize_block(state, &prev, height, txs, &self.sigs)
        })??);
        consensus.pending = Some(block.clone());
        fault::check(FaultPoint::AfterFinalize, height);
        Ok(block)
    }

    /// Commit: persists the finalized block atomically (with the genesis writes
    /// on the first block) and resets the mempool's check state. Returns the
    /// committed height.
    pub fn commit(&self) -> Result<u64, NodeError> {
        let mut consensus = lock(&self.consensus);
        let block = consensus
            .pending
            .take()
            .ok_or_else(|| NodeError::Protocol("Commit without a finalized block".into()))?;
        // On the first block, the genesis writes go to disk with it.
        let merged;
        let changes = match consensus.genesis.as_deref() {
            Some(genesis) => {
                let mut all = genesis.clone();
                all.extend(block.changes.iter().map(|(k, v)| (k.clone(), v.clone())));
                merged = all;
                &merged
            }
            None => &block.changes,
        };
        let commitment = block.commitment.as_ref().map(|c| CommitmentRecord {
            tx: &c.tx,
            tx_proof: &c.tx_proof,
            leaves: &c.leaves,
        });
        let batch = CommitBatch {
            height: block.height,
            app_hash: block.app_hash,
            changes,
            blobs: &block.blobs,
            commitment,
        };
        self.store
            .commit_with(&batch, || fault::check(FaultPoint::MidCommit, block.height))?;
        fault::check(FaultPoint::AfterCommit, block.height);
        consensus.genesis = None;
        consensus.last_height = block.height;
        consensus.last_app_hash = block.app_hash;
        *self.genesis.write().unwrap_or_else(|p| p.into_inner()) = None;
        self.committed_height.store(block.height, Ordering::SeqCst);
        lock(&self.check).reset(block.height + 1);
        self.commits.send_replace(block.height);
        Ok(block.height)
    }

    /// CheckTx (new and recheck alike): checks the tx against committed state
    /// plus the effects of the mempool txs accepted before it.
    pub fn check_tx(
        &self,
        tx: &[u8],
    ) -> Result<Result<quire_app::exec::TxReceipt, TxError>, NodeError> {
        let genesis = self
            .genesis
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let next_height = self.committed_height.load(Ordering::SeqCst) + 1;
        let mut check = lock(&self.check);
        let result = self.with_state(genesis.as_deref(), |state| {
            check.check_tx(state, next_height, tx, &self.sigs)
        })?;
        match result {
            Err(TxError::Storage(e)) => Err(e.into()),
            other => Ok(other.map(|(_, receipt)| receipt)),
        }
    }

    /// Answers an ABCI query (see [`query`] for the paths).
    pub fn query(&self, path: &str) -> Result<(u64, Vec<u8>), QueryError> {
        let height = self.committed_height.load(Ordering::SeqCst);
        let genesis = self
            .genesis
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let snapshot = self
            .store
            .state()
            .map_err(|e| QueryError::Internal(e.to_string()))?;
        let state = Layered {
            changes: genesis.as_deref(),
            base: &snapshot,
        };
        let value = query::answer(path, height, &state, &self.store)?;
        Ok((height, value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quire_app::GenesisAccount;
    use quire_core::builder::{address_of, sign_tx, SignerContext};
    use quire_core::Msg;
    use quire_core::{Namespace, Params};

    fn key() -> cosmrs::crypto::secp256k1::SigningKey {
        cosmrs::crypto::secp256k1::SigningKey::from_slice(&[3; 32]).unwrap()
    }

    fn app_state() -> Vec<u8> {
        let genesis = GenesisState {
            params: Params::default(),
            accounts: vec![GenesisAccount {
                address: address_of(&key()).to_bech32(),
                balance: 10_000_000,
            }],
        };
        serde_json::to_vec(&genesis).unwrap()
    }

    fn blob_tx(sequence: u64) -> Vec<u8> {
        let params = SignerContext {
            chain_id: "node-test".into(),
            account_number: 0,
            sequence,
            fee_denom: "uquire".into(),
            fee: 10_000,
            timeout_height: 0,
            memo: String::new(),
        };
        sign_tx(
            &key(),
            &params,
            &[Msg::submit_blob(
                Namespace::from_rollup_name("r"),
                vec![sequence as u8; 10],
            )],
        )
        .unwrap()
    }

    fn open(path: &std::path::Path) -> Node {
        Node::new(Store::open(path).unwrap()).unwrap()
    }

    #[test]
    fn commit_persists_and_info_reports_it_after_restart() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db.redb");
        let node = open(&path);
        assert_eq!(node.info().unwrap(), None);
        node.init_chain("node-test", 1, &app_state()).unwrap();
        // CheckTx works before the first commit (reads the pending genesis).
        node.check_tx(&blob_tx(0)).unwrap().unwrap();
        let block = node.finalize_block(1, &[blob_tx(0)]).unwrap();
        assert_eq!(node.commit().unwrap(), 1);
        drop(node);

        let node = open(&path);
        assert_eq!(
            node.info().unwrap(),
            Some(LastCommit {
                height: 1,
                app_hash: block.app_hash
            })
        );
        let (height, bytes) = node
            .query(&format!("/blobs/1/{}", Namespace::from_rollup_name("r")))
            .unwrap();
        assert_eq!(height, 1);
        assert!(!bytes.is_empty());
        // Sequence 0 is used; the next block continues from the stored state.
        assert!(matches!(
            node.check_tx(&blob_tx(0)).unwrap(),
            Err(TxError::SequenceReused { .. })
        ));
        node.finalize_block(2, &[blob_tx(1)]).unwrap();
        node.commit().unwrap();
    }

    #[test]
    fn a_tx_signature_is_verified_once_per_node() {
        let dir = tempfile::tempdir().unwrap();
        let node = open(&dir.path().join("db.redb"));
        node.init_chain("node-test", 1, &app_state()).unwrap();
        let tx = blob_tx(0);
        node.check_tx(&tx).unwrap().unwrap();
        assert_eq!(node.sigs.stats().misses, 1, "CheckTx verifies");
        let proposal = node
            .prepare_proposal(1, std::slice::from_ref(&tx), 1 << 20)
            .unwrap();
        let block = vec![proposal.commitment_tx, tx];
        node.process_proposal(1, &block).unwrap().unwrap();
        let finalized = node.finalize_block(1, &block).unwrap();
        assert!(finalized.txs[0].result.is_ok());
        let stats = node.sigs.stats();
        assert_eq!(
            (stats.hits, stats.misses),
            (3, 1),
            "Prepare, Process and Finalize reuse CheckTx's verification"
        );
    }

    #[test]
    fn a_crash_between_finalize_and_commit_loses_nothing_and_replays_identically() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db.redb");
        let node = open(&path);
        node.init_chain("node-test", 1, &app_state()).unwrap();
        node.finalize_block(1, &[blob_tx(0)]).unwrap();
        node.commit().unwrap();
        let first = node.finalize_block(2, &[blob_tx(1)]).unwrap();
        drop(node); // "crash": FinalizeBlock ran, Commit did not.

        let node = open(&path);
        assert_eq!(
            node.info().unwrap().unwrap().height,
            1,
            "FinalizeBlock must not persist"
        );
        let replayed = node.finalize_block(2, &[blob_tx(1)]).unwrap();
        assert_eq!(replayed.app_hash, first.app_hash);
        node.commit().unwrap();
        assert_eq!(node.info().unwrap().unwrap().app_hash, first.app_hash);
    }

    #[test]
    fn a_crash_before_the_first_commit_means_init_chain_again() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db.redb");
        let node = open(&path);
        let genesis_hash = node.init_chain("node-test", 1, &app_state()).unwrap();
        node.finalize_block(1, &[blob_tx(0)]).unwrap();
        drop(node);
        let node = open(&path);
        assert_eq!(node.info().unwrap(), None);
        assert_eq!(
            node.init_chain("node-test", 1, &app_state()).unwrap(),
            genesis_hash
        );
    }

    #[test]
    fn out_of_order_calls_are_protocol_errors() {
        let dir = tempfile::tempdir().unwrap();
        let node = open(&dir.path().join("db.redb"));
        node.init_chain("node-test", 1, &app_state()).unwrap();
        assert!(matches!(node.commit(), Err(NodeError::Protocol(_))));
        assert!(matches!(
            node.finalize_block(5, &[blob_tx(0)]),
            Err(NodeError::Protocol(_))
        ));
        assert!(matches!(
            node.init_chain("node-test", 1, b"{not json"),
            Err(NodeError::Genesis(_))
        ));
    }

    #[test]
    fn queries_answer_with_distinct_errors() {
        let dir = tempfile::tempdir().unwrap();
        let node = open(&dir.path().join("db.redb"));
        node.init_chain("node-test", 1, &app_state()).unwrap();
        node.finalize_block(1, &[] as &[Vec<u8>]).unwrap();
        node.commit().unwrap();
        assert!(node.query("/params").is_ok());
        assert!(node
            .query(&format!("/account/{}", address_of(&key())))
            .is_ok());
        let codes: Vec<u32> = [
            "/nope".to_string(),
            "/blobs/x/00".to_string(),
            format!("/account/{}", quire_core::Address::new([0; 20])),
            format!("/blobs/99/{}", Namespace::from_rollup_name("r")),
        ]
        .iter()
        .map(|p| node.query(p).unwrap_err().code())
        .collect();
        assert_eq!(codes, vec![30, 31, 32, 33]);
    }
}
