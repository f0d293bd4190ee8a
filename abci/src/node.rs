//! The node: the app ([`quire_app::App`], which keeps the ABCI call order)
//! over the store ([`quire_store::Store`]), plus the crash-fault points.
//!
//! Crash safety: FinalizeBlock computes and keeps its result in memory only;
//! Commit writes it in one atomic redb transaction; Info reports exactly the
//! last committed height and app hash. InitChain's genesis writes are likewise
//! held in memory and persisted with the first block's Commit, so a crash before
//! that simply makes CometBFT call InitChain again.

use crate::fault::{self, FaultPoint};
use crate::metrics::{metrics, AbciTimer};
use crate::query::{self, QueryError};
use crate::retention::Retention;
use crate::snapshots::{ChunkVerdict, Snapshots};
use quire_app::state::tree;
use quire_app::StateRead;
use quire_app::{
    App, AppError, BlockContext, CommitError, FinalizedBlock, Proposal, ProposalError, TxError,
    TxReceipt, ValidatorUpdate, VoteContext, VoteExtensionError,
};
use quire_core::state_proof::StateProof;
use quire_store::{LastCommit, Store, StoreError};
use std::sync::Arc;
use thiserror::Error;

/// A failure that must stop the node rather than be answered: the node could
/// not read or write its own storage, or CometBFT broke the ABCI call order.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum NodeError {
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The app refused to go on (its state, the call order, genesis).
    #[error(transparent)]
    App(#[from] AppError),
    /// A value the app computed has no ABCI form (a bug: stop loudly).
    #[error("cannot encode for CometBFT: {0}")]
    Encoding(String),
}

impl From<CommitError<StoreError>> for NodeError {
    fn from(error: CommitError<StoreError>) -> Self {
        match error {
            CommitError::App(e) => NodeError::App(e),
            CommitError::Persist(e) => NodeError::Store(e),
        }
    }
}

/// A query's answer with the proofs of the state it is made of.
#[derive(Debug)]
pub struct ProvenAnswer {
    /// The height the answer is of.
    pub height: u64,
    /// The encoded response, or why there is none.
    pub result: Result<Vec<u8>, QueryError>,
    /// One proof per state entry the answer is made of (when asked for).
    pub proofs: Vec<StateProof>,
}

/// One quired node.
pub struct Node {
    store: Arc<Store>,
    app: App,
    /// Announces each committed height (to the read API's streams).
    commits: tokio::sync::watch::Sender<u64>,
    /// State-sync snapshots: taken after Commit, served, restored.
    snapshots: Option<Snapshots>,
    /// What CometBFT may prune (Commit's retain_height).
    retention: Retention,
}

impl Node {
    /// Opens the node over `store`, resuming from its last commit.
    pub fn new(store: Store) -> Result<Self, NodeError> {
        Self::with_keys(store, quire_app::NodeKeys::default())
    }

    /// A node that votes with `keys` (its L1 key signs checkpoints).
    pub fn with_keys(store: Store, keys: quire_app::NodeKeys) -> Result<Self, NodeError> {
        let last = store.last_commit()?;
        let app = App::with(
            quire_app::StateMachine::standard_with(keys),
            last.map(|l| l.height),
        )?;
        Ok(Self::with_app(store, app))
    }

    /// Opens the node over `store` with `app` (tests give it extra components).
    pub fn with_app(store: Store, app: App) -> Self {
        let (commits, _) = tokio::sync::watch::channel(app.last_height());
        Node {
            store: Arc::new(store),
            app,
            commits,
            snapshots: None,
            retention: Retention::default(),
        }
    }

    /// The node with these retention settings (archival by default).
    pub fn with_retention(mut self, retention: Retention) -> Self {
        self.retention = retention;
        self
    }

    /// The `retain_height` to answer the Commit of `height` with (see
    /// [`Retention::retain_height`]), from the committed evidence window.
    pub fn retain_height(&self, height: u64) -> Result<u64, NodeError> {
        if self.retention == Retention::default() {
            return Ok(0);
        }
        use quire_app::staking::state::StakingRead;
        let params = self
            .store
            .state()?
            .staking_params()
            .map_err(|e| NodeError::App(e.into()))?;
        Ok(self
            .retention
            .retain_height(height, params.evidence_max_age_blocks))
    }

    /// The node with state-sync snapshots (taken every
    /// `config.interval` heights, served and restored).
    pub fn with_snapshots(mut self, snapshots: Snapshots) -> Self {
        self.snapshots = Some(snapshots);
        self
    }

    /// The node's snapshots, if it keeps any.
    pub fn snapshots(&self) -> Option<&Snapshots> {
        self.snapshots.as_ref()
    }

    /// ApplySnapshotChunk: applies one chunk of the snapshot being restored;
    /// after the last, the node resumes from the restored height.
    pub fn apply_snapshot_chunk(&self, index: u32, chunk: &[u8], sender: &str) -> ChunkVerdict {
        let Some(snapshots) = &self.snapshots else {
            return ChunkVerdict::Abort;
        };
        let verdict = snapshots.apply(&self.store, index, chunk, sender);
        if let ChunkVerdict::Restored(height) = verdict {
            self.app.restored(height);
            metrics()
                .block_height
                .set(i64::try_from(height).unwrap_or(i64::MAX));
            self.commits.send_replace(height);
        }
        verdict
    }

    /// The store, shared with the read API.
    pub fn store(&self) -> Arc<Store> {
        self.store.clone()
    }

    /// The app.
    pub fn app(&self) -> &App {
        &self.app
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
    /// app hash and the validator set it bonds. Nothing is persisted until
    /// the first Commit.
    pub fn init_chain(
        &self,
        chain_id: &str,
        initial_height: u64,
        app_state: &[u8],
    ) -> Result<([u8; 32], Vec<ValidatorUpdate>), NodeError> {
        let stored = self.store.last_commit()?.map(|last| last.height);
        Ok(self
            .app
            .init_chain(chain_id, initial_height, app_state, stored)?)
    }

    /// PrepareProposal: the system txs and the candidates to propose, in order.
    pub fn prepare_proposal(
        &self,
        ctx: &BlockContext,
        txs: &[impl AsRef<[u8]>],
        max_tx_bytes: u64,
    ) -> Result<Proposal, NodeError> {
        let _timer = AbciTimer::start("prepare_proposal");
        let state = self.store.state()?;
        let mut proposal = self.app.prepare_proposal(&state, ctx, txs, max_tx_bytes)?;
        crate::byzantine::tamper(&mut proposal);
        Ok(proposal)
    }

    /// ProcessProposal: `Ok(())` to accept, or why the proposal is rejected.
    pub fn process_proposal(
        &self,
        ctx: &BlockContext,
        txs: &[impl AsRef<[u8]>],
    ) -> Result<Result<(), ProposalError>, NodeError> {
        let _timer = AbciTimer::start("process_proposal");
        let state = self.store.state()?;
        crate::byzantine::observe_proposal(self.app.machine(), &state, ctx.height, txs);
        let verdict = self.app.process_proposal(&state, ctx, txs)?;
        if verdict.is_err() {
            metrics().proposal_rejections.inc();
        }
        Ok(verdict)
    }

    /// ExtendVote: this node's vote extension.
    pub fn extend_vote(&self, ctx: &VoteContext) -> Result<Vec<u8>, NodeError> {
        let _timer = AbciTimer::start("extend_vote");
        let state = self.store.state()?;
        let extension = self.app.extend_vote(&state, ctx)?;
        Ok(crate::byzantine::peek_extension(ctx.height, extension))
    }

    /// VerifyVoteExtension: `Ok(())` to accept another validator's extension.
    pub fn verify_vote_extension(
        &self,
        ctx: &VoteContext,
        validator: &[u8; 20],
        extension: &[u8],
    ) -> Result<Result<(), VoteExtensionError>, NodeError> {
        let _timer = AbciTimer::start("verify_vote_extension");
        let state = self.store.state()?;
        Ok(self
            .app
            .verify_vote_extension(&state, ctx, validator, extension)?)
    }

    /// FinalizeBlock: executes the decided block and keeps the result for
    /// Commit. Persists nothing.
    pub fn finalize_block(
        &self,
        ctx: &BlockContext,
        txs: &[impl AsRef<[u8]>],
    ) -> Result<Arc<FinalizedBlock>, NodeError> {
        let _timer = AbciTimer::start("finalize_block");
        let state = self.store.state()?;
        let block = self.app.finalize_block(&state, ctx, txs)?;
        record_block(&block);
        fault::check(FaultPoint::AfterFinalize, ctx.height);
        fault::check_updates(ctx.height, !block.validator_updates.is_empty());
        Ok(block)
    }

    /// Commit: persists the finalized block atomically (with the genesis writes
    /// on the first block). Returns the committed height.
    pub fn commit(&self) -> Result<u64, NodeError> {
        let _timer = AbciTimer::start("commit");
        let height = self.app.commit(|batch| {
            let start = std::time::Instant::now();
            let written = self
                .store
                .commit_with(batch, || fault::check(FaultPoint::MidCommit, batch.height));
            metrics()
                .store_commit_duration
                .observe(start.elapsed().as_secs_f64());
            written
        })?;
        metrics()
            .block_height
            .set(i64::try_from(height).unwrap_or(i64::MAX));
        fault::check(FaultPoint::AfterCommit, height);
        self.commits.send_replace(height);
        if let Some(snapshots) = &self.snapshots {
            snapshots.after_commit(&self.store, height);
        }
        Ok(height)
    }

    /// CheckTx (new and recheck alike): checks the tx against committed state
    /// plus the effects of the mempool txs accepted before it.
    pub fn check_tx(&self, tx: &[u8]) -> Result<Result<TxReceipt, TxError>, NodeError> {
        let _timer = AbciTimer::start("check_tx");
        let state = self.store.state()?;
        let result = self.app.check_tx(&state, tx)?;
        metrics().observe_checktx(match &result {
            Ok(_) => 0,
            Err(error) => error.code(),
        });
        Ok(result)
    }

    /// Answers an ABCI query (see [`query`] for the paths).
    pub fn query(&self, path: &str) -> Result<(u64, Vec<u8>), QueryError> {
        let answer = self.query_with_proof(path, 0, false)?;
        Ok((answer.height, answer.result?))
    }

    /// One read snapshot of the store, its last committed height, and the
    /// height queries answer at: before the first commit genesis' (its
    /// writes are held in memory until then).
    fn snapshot(&self) -> Result<(quire_store::StateSnapshot, u64, u64), StoreError> {
        let snapshot = self.store.state()?;
        let committed = snapshot.last_commit().map_or(0, |last| last.height);
        let latest = self.app.last_height().max(committed);
        Ok((snapshot, committed, latest))
    }

    /// Answers the Cosmos service method `path` (see [`crate::cosmos`]) with
    /// the encoded request `data`, at `height` (0 or the latest: no history
    /// is kept). Returns the height answered at and the encoded response.
    pub fn cosmos_query(
        &self,
        path: &str,
        data: &[u8],
        height: u64,
    ) -> (u64, Result<Vec<u8>, crate::cosmos::CosmosError>) {
        use crate::cosmos::{self, CosmosError};
        // The first Commit can land between reading the store and the
        // genesis overlay: then read again (it happens once).
        for _ in 0..3 {
            let (snapshot, committed, latest) = match self.snapshot() {
                Ok(read) => read,
                Err(e) => return (0, Err(CosmosError::internal(&e))),
            };
            if height != 0 && height != latest {
                return (
                    latest,
                    Err(CosmosError::invalid(format!(
                        "version does not exist: this node keeps only the last committed state (height {latest}), not height {height}"
                    ))),
                );
            }
            let answered = self
                .app
                .with_query_state(&snapshot, committed > 0, |state| {
                    cosmos::answer(
                        path,
                        data,
                        &cosmos::QueryContext {
                            state,
                            height: latest,
                            machine: self.app.machine(),
                        },
                    )
                });
            if let Some(result) = answered {
                return (latest, result);
            }
        }
        (
            0,
            Err(CosmosError::internal(
                &"the state kept changing while it was read",
            )),
        )
    }

    /// Answers an ABCI query at `height` (0: the latest), with state proofs
    /// when `prove` (see [`query`]). Answer, proofs and height are read from
    /// one store snapshot (a single read transaction); before the first
    /// commit the answer also sees genesis' writes, which the app still holds
    /// in memory, and proofs are refused.
    pub fn query_with_proof(
        &self,
        path: &str,
        height: u64,
        prove: bool,
    ) -> Result<ProvenAnswer, QueryError> {
        let internal = |e: &dyn std::fmt::Display| QueryError::Internal(e.to_string());
        // The first Commit can land between reading the store and the
        // genesis overlay: then read again (it happens once).
        let mut read = None;
        for _ in 0..3 {
            let (snapshot, committed, latest) = self.snapshot().map_err(|e| internal(&e))?;
            let answered = self
                .app
                .with_query_state(&snapshot, committed > 0, |state| {
                    query::answer(path, latest, state, &self.store)
                });
            if let Some(answer) = answered {
                read = Some((snapshot, committed, latest, answer));
                break;
            }
        }
        let (snapshot, committed, latest, answer) =
            read.ok_or_else(|| internal(&"the state kept changing while it was read"))?;
        if prove && committed == 0 {
            return Err(QueryError::BadArgument(
                "nothing is committed yet: there is no state to prove".into(),
            ));
        }
        if prove && height != 0 && height != committed {
            return Err(QueryError::BadArgument(format!(
                "proofs are of the last committed height ({committed}) only: no history is kept"
            )));
        }
        if !prove {
            return Ok(ProvenAnswer {
                height: latest,
                result: answer.result,
                proofs: Vec::new(),
            });
        }
        if answer.keys.is_empty() {
            // A malformed request (bad address, unknown path) says so first.
            answer.result?;
            return Err(QueryError::BadArgument(format!(
                "{path} has no state proof: prove works for /account, /params, /l1/info, /staking and /encryption queries"
            )));
        }
        let proofs = answer
            .keys
            .iter()
            .map(|key| {
                let value = snapshot.get(key).map_err(|e| internal(&e))?;
                tree::prove(&snapshot, committed, key, value).map_err(|e| internal(&e))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(ProvenAnswer {
            height: committed,
            result: answer.result,
            proofs,
        })
    }
}

/// A finalized block's counts in the metrics: its user txs by result code,
/// its blobs, their bytes and namespaces.
fn record_block(block: &FinalizedBlock) {
    let m = metrics();
    for outcome in &block.txs {
        let code = match &outcome.result {
            Ok(_) => 0,
            Err(error) => error.code(),
        };
        m.tx_results
            .get_or_create(&vec![("code", code.to_string())])
            .inc();
    }
    let bytes: u64 = block.blobs.iter().map(|b| b.data.len() as u64).sum();
    let namespaces: std::collections::BTreeSet<_> =
        block.blobs.iter().map(|b| b.namespace).collect();
    m.block_txs.observe(block.txs.len() as f64);
    m.block_blob_bytes.observe(bytes as f64);
    m.block_namespaces.observe(namespaces.len() as f64);
    m.blobs.inc_by(block.blobs.len() as u64);
    m.blob_bytes.inc_by(bytes);
}

#[cfg(test)]
mod tests {
    use super::*;
    use quire_app::{GenesisAccount, GenesisState};
    use quire_core::builder::{address_of, sign_tx, SignerContext};
    use quire_core::Msg;
    use quire_core::{Namespace, Params};

    fn key() -> cosmrs::crypto::secp256k1::SigningKey {
        cosmrs::crypto::secp256k1::SigningKey::from_slice(&[3; 32]).unwrap()
    }

    fn app_state() -> Vec<u8> {
        let genesis = GenesisState {
            staking: Default::default(),
            l1: None,
            encryption: None,
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
    fn a_query_never_reads_a_store_from_before_the_first_commit_without_genesis() {
        let dir = tempfile::tempdir().unwrap();
        let node = open(&dir.path().join("db.redb"));
        node.init_chain("node-test", 1, &app_state()).unwrap();
        let account_key =
            quire_core::account::account_key(&quire_core::builder::address_of(&key()));
        // Read before the first commit: the account is genesis' write.
        let before = node.store.state().unwrap();
        let read = |view: &quire_store::StateSnapshot, has_commit| {
            node.app
                .with_query_state(view, has_commit, |state| state.get(&account_key).unwrap())
        };
        assert!(read(&before, false).unwrap().is_some());
        node.finalize_block(&BlockContext::at_height(1), &[blob_tx(0)])
            .unwrap();
        node.commit().unwrap();
        // The same old view after the commit: genesis' writes are gone from
        // memory and not in it, so it must be read again, not answered.
        assert_eq!(read(&before, false), None);
        let after = node.store.state().unwrap();
        assert!(read(&after, true).unwrap().is_some());
        // And the node's queries answer from the committed store.
        let (height, answer) = node.cosmos_query(
            "/cosmos.auth.v1beta1.Query/Account",
            &prost::Message::encode_to_vec(
                &cosmrs::proto::cosmos::auth::v1beta1::QueryAccountRequest {
                    address: quire_core::builder::address_of(&key()).to_bech32(),
                },
            ),
            0,
        );
        assert_eq!(height, 1);
        assert!(answer.is_ok(), "{answer:?}");
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
        let block = node
            .finalize_block(&BlockContext::at_height(1), &[blob_tx(0)])
            .unwrap();
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
        node.finalize_block(&BlockContext::at_height(2), &[blob_tx(1)])
            .unwrap();
        node.commit().unwrap();
    }

    #[test]
    fn cosmos_services_answer_from_committed_state_in_the_sdk_forms() {
        use crate::cosmos::StatusCode;
        use cosmrs::proto::cosmos::auth::v1beta1::{
            BaseAccount, QueryAccountRequest, QueryAccountResponse,
        };
        use cosmrs::proto::cosmos::bank::v1beta1::{
            QueryAllBalancesRequest, QueryAllBalancesResponse, QueryBalanceRequest,
            QueryBalanceResponse, QuerySupplyOfRequest, QuerySupplyOfResponse,
        };
        use prost::Message;
        let dir = tempfile::tempdir().unwrap();
        let node = open(&dir.path().join("db.redb"));
        node.init_chain("node-test", 1, &app_state()).unwrap();
        let alice = address_of(&key()).to_bech32();
        let account = |address: &str| {
            node.cosmos_query(
                "/cosmos.auth.v1beta1.Query/Account",
                &QueryAccountRequest {
                    address: address.into(),
                }
                .encode_to_vec(),
                0,
            )
        };
        // Before the first commit: genesis' state.
        let (height, answer) = account(&alice);
        assert_eq!(height, 0);
        let any = QueryAccountResponse::decode(answer.unwrap().as_slice())
            .unwrap()
            .account
            .unwrap();
        assert_eq!(any.type_url, "/cosmos.auth.v1beta1.BaseAccount");
        let base = BaseAccount::decode(any.value.as_slice()).unwrap();
        assert_eq!((base.address.as_str(), base.sequence), (alice.as_str(), 0));

        node.finalize_block(&BlockContext::at_height(1), &[blob_tx(0)])
            .unwrap();
        node.commit().unwrap();
        let (height, answer) = account(&alice);
        assert_eq!(height, 1);
        let any = QueryAccountResponse::decode(answer.unwrap().as_slice())
            .unwrap()
            .account
            .unwrap();
        assert_eq!(
            BaseAccount::decode(any.value.as_slice()).unwrap().sequence,
            1
        );

        let nobody = quire_core::Address::new([9; 20]).to_bech32();
        let missing = account(&nobody).1.unwrap_err();
        assert_eq!(
            (missing.code, missing.abci_code()),
            (StatusCode::NotFound, 22)
        );
        assert_eq!(
            missing.to_string(),
            format!("rpc error: code = NotFound desc = account {nobody} not found")
        );
        let bad = account("quire1nope").1.unwrap_err();
        assert_eq!(bad.abci_code(), 18, "{bad}");

        let balance = |address: &str, denom: &str| {
            let answer = node
                .cosmos_query(
                    "/cosmos.bank.v1beta1.Query/Balance",
                    &QueryBalanceRequest {
                        address: address.into(),
                        denom: denom.into(),
                    }
                    .encode_to_vec(),
                    0,
                )
                .1
                .unwrap();
            let coin = QueryBalanceResponse::decode(answer.as_slice())
                .unwrap()
                .balance
                .unwrap();
            (coin.denom, coin.amount)
        };
        let fee = Params::default().fee_for(10).unwrap();
        assert_eq!(
            balance(&alice, "uquire"),
            ("uquire".into(), (10_000_000 - 10_000).to_string()),
            "the fee offered ({fee} needed) is charged"
        );
        assert_eq!(balance(&nobody, "uquire"), ("uquire".into(), "0".into()));
        assert_eq!(balance(&alice, "uatom"), ("uatom".into(), "0".into()));

        let all = node
            .cosmos_query(
                "/cosmos.bank.v1beta1.Query/AllBalances",
                &QueryAllBalancesRequest {
                    address: nobody.clone(),
                    ..Default::default()
                }
                .encode_to_vec(),
                0,
            )
            .1
            .unwrap();
        assert!(QueryAllBalancesResponse::decode(all.as_slice())
            .unwrap()
            .balances
            .is_empty());
        let supply = node
            .cosmos_query(
                "/cosmos.bank.v1beta1.Query/SupplyOf",
                &QuerySupplyOfRequest {
                    denom: "uquire".into(),
                }
                .encode_to_vec(),
                0,
            )
            .1
            .unwrap();
        assert_eq!(
            QuerySupplyOfResponse::decode(supply.as_slice())
                .unwrap()
                .amount
                .unwrap()
                .amount,
            "10000000",
            "fees stay in the supply"
        );

        // No history: another height is refused, not answered with the latest.
        let (_, old) = node.cosmos_query(
            "/cosmos.auth.v1beta1.Query/Account",
            &QueryAccountRequest { address: alice }.encode_to_vec(),
            5,
        );
        assert!(
            old.unwrap_err().message.contains("version does not exist"),
            "a past height"
        );
        let unknown = node
            .cosmos_query("/cosmos.auth.v1beta1.Query/ModuleAccounts", &[], 0)
            .1
            .unwrap_err();
        assert_eq!(unknown.abci_code(), 6);

        // Keplr's and explorers' probes: metadata, spendable balances, params.
        use cosmrs::proto::cosmos::bank::v1beta1::{
            QueryDenomMetadataRequest, QueryDenomMetadataResponse,
            QuerySpendableBalanceByDenomRequest, QuerySpendableBalanceByDenomResponse,
        };
        let meta = node
            .cosmos_query(
                "/cosmos.bank.v1beta1.Query/DenomMetadata",
                &QueryDenomMetadataRequest {
                    denom: "uquire".into(),
                }
                .encode_to_vec(),
                0,
            )
            .1
            .unwrap();
        let meta = QueryDenomMetadataResponse::decode(meta.as_slice())
            .unwrap()
            .metadata
            .unwrap();
        assert_eq!(
            (meta.base.as_str(), meta.display.as_str()),
            ("uquire", "quire")
        );
        assert_eq!(meta.denom_units[1].exponent, 6);
        let other = node
            .cosmos_query(
                "/cosmos.bank.v1beta1.Query/DenomMetadata",
                &QueryDenomMetadataRequest {
                    denom: "uatom".into(),
                }
                .encode_to_vec(),
                0,
            )
            .1
            .unwrap_err();
        assert_eq!(other.code, StatusCode::NotFound);
        let spendable = node
            .cosmos_query(
                "/cosmos.bank.v1beta1.Query/SpendableBalanceByDenom",
                &QuerySpendableBalanceByDenomRequest {
                    address: address_of(&key()).to_bech32(),
                    denom: "uquire".into(),
                }
                .encode_to_vec(),
                0,
            )
            .1
            .unwrap();
        assert_eq!(
            QuerySpendableBalanceByDenomResponse::decode(spendable.as_slice())
                .unwrap()
                .balance
                .unwrap()
                .amount,
            (10_000_000 - 10_000).to_string()
        );
        let auth_params = node
            .cosmos_query("/cosmos.auth.v1beta1.Query/Params", &[], 0)
            .1
            .unwrap();
        let auth_params = cosmrs::proto::cosmos::auth::v1beta1::QueryParamsResponse::decode(
            auth_params.as_slice(),
        )
        .unwrap()
        .params
        .unwrap();
        assert_eq!(auth_params.tx_sig_limit, 1);
        assert_eq!(
            auth_params.max_memo_characters,
            Params::default().max_tx_bytes
        );
        let garbage = node
            .cosmos_query("/cosmos.bank.v1beta1.Query/Balance", &[0xff, 0xff], 0)
            .1
            .unwrap_err();
        assert_eq!(garbage.code, StatusCode::InvalidArgument);
    }

    #[test]
    fn a_tx_signature_is_verified_once_per_node() {
        let dir = tempfile::tempdir().unwrap();
        let node = open(&dir.path().join("db.redb"));
        node.init_chain("node-test", 1, &app_state()).unwrap();
        let tx = blob_tx(0);
        node.check_tx(&tx).unwrap().unwrap();
        assert_eq!(
            node.app.machine().sig_cache().stats().misses,
            1,
            "CheckTx verifies"
        );
        let proposal = node
            .prepare_proposal(
                &BlockContext::at_height(1),
                std::slice::from_ref(&tx),
                1 << 20,
            )
            .unwrap();
        let block = proposal.txs(std::slice::from_ref(&tx));
        node.process_proposal(&BlockContext::at_height(1), &block)
            .unwrap()
            .unwrap();
        let finalized = node
            .finalize_block(&BlockContext::at_height(1), &block)
            .unwrap();
        assert!(finalized.txs[0].result.is_ok());
        let stats = node.app.machine().sig_cache().stats();
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
        node.finalize_block(&BlockContext::at_height(1), &[blob_tx(0)])
            .unwrap();
        node.commit().unwrap();
        let first = node
            .finalize_block(&BlockContext::at_height(2), &[blob_tx(1)])
            .unwrap();
        drop(node); // "crash": FinalizeBlock ran, Commit did not.

        let node = open(&path);
        assert_eq!(
            node.info().unwrap().unwrap().height,
            1,
            "FinalizeBlock must not persist"
        );
        let replayed = node
            .finalize_block(&BlockContext::at_height(2), &[blob_tx(1)])
            .unwrap();
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
        node.finalize_block(&BlockContext::at_height(1), &[blob_tx(0)])
            .unwrap();
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
        assert!(matches!(
            node.commit(),
            Err(NodeError::App(AppError::Protocol(_)))
        ));
        assert!(matches!(
            node.finalize_block(&BlockContext::at_height(5), &[blob_tx(0)]),
            Err(NodeError::App(AppError::Protocol(_)))
        ));
        assert!(matches!(
            node.init_chain("node-test", 1, b"{not json"),
            Err(NodeError::App(AppError::Genesis(_)))
        ));
    }

    #[test]
    fn queries_answer_with_distinct_errors() {
        let dir = tempfile::tempdir().unwrap();
        let node = open(&dir.path().join("db.redb"));
        node.init_chain("node-test", 1, &app_state()).unwrap();
        node.finalize_block(&BlockContext::at_height(1), &[] as &[Vec<u8>])
            .unwrap();
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
