//! An in-process network of quired nodes, without CometBFT: [`TestNet`]
//! plays CometBFT's part for `n` validators, each a real [`quired::node::Node`]
//! over its own redb store in a temporary directory, driven through the real
//! ABCI service handlers ([`quired::server::Abci`]) on all four connections.
//!
//! For every height it does what CometBFT does: CheckTx of submitted txs on
//! every node (and a recheck after each Commit), PrepareProposal on the
//! height's proposer (round robin) with the mempool and the proposer's view of
//! the last commit *with* its vote extensions, ProcessProposal on every node
//! (all must accept), ExtendVote on every node and VerifyVoteExtension of
//! every extension on every other node (all must accept), FinalizeBlock on
//! every node with the decided last commit (all responses must be equal), and
//! Commit. It keeps the decided blocks and each FinalizeBlock response, as
//! CometBFT's block store does, so that a node that "crashes" (its process
//! state dropped, its store reopened) at any ABCI boundary is brought back by
//! CometBFT's handshake: Info, InitChain if the store is empty, then every
//! missing block replayed through FinalizeBlock and Commit — and a replayed
//! FinalizeBlock must give exactly the response recorded (CometBFT panics
//! otherwise).

use anyhow::{bail, ensure, Context};
use bytes::Bytes;
use quire_app::{App, GenesisState};
use quire_genesis::GenesisDoc;
use quire_store::Store;
use quired::node::Node;
use quired::server::Abci;
use std::sync::Arc;
use tendermint::abci::request::CheckTxKind;
use tendermint::abci::types::{
    BlockSignatureInfo, CommitInfo, ExtendedCommitInfo, ExtendedVoteInfo, Validator, VoteInfo,
};
use tendermint::block::BlockIdFlag;
use tendermint::v0_38::abci::{
    request, response, ConsensusRequest, ConsensusResponse, InfoRequest, InfoResponse,
    MempoolRequest, MempoolResponse, SnapshotRequest, SnapshotResponse,
};

/// Where a node can be made to crash, relative to the ABCI calls of one height.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Boundary {
    /// Before the height's PrepareProposal (or ProcessProposal, for a non-proposer).
    BeforeProposal,
    /// After its ProcessProposal answered.
    AfterProcess,
    /// After its ExtendVote answered.
    AfterExtendVote,
    /// After its FinalizeBlock answered, before Commit.
    AfterFinalize,
    /// After its Commit answered.
    AfterCommit,
}

impl Boundary {
    /// Every boundary, in call order.
    pub const ALL: [Boundary; 5] = [
        Boundary::BeforeProposal,
        Boundary::AfterProcess,
        Boundary::AfterExtendVote,
        Boundary::AfterFinalize,
        Boundary::AfterCommit,
    ];
}

/// Builds a node's app from its validator index and its store's last commit
/// (tests give apps extra components, e.g. one that makes vote extensions).
pub type AppFactory = Arc<dyn Fn(usize, Option<u64>) -> anyhow::Result<App> + Send + Sync>;

/// One validator of the network.
struct SimNode {
    /// Its consensus address and power.
    validator: Validator,
    /// Its ed25519 consensus key (public).
    pub_key: [u8; 32],
    dir: tempfile::TempDir,
    /// `None` while crashed.
    abci: Option<Abci>,
}

/// One decided block, as CometBFT's block store keeps it.
#[derive(Debug, Clone)]
struct DecidedBlock {
    height: u64,
    time: tendermint::Time,
    proposer: tendermint::account::Id,
    txs: Vec<Bytes>,
    last_commit: CommitInfo,
    /// What FinalizeBlock answered (every node gave the same).
    response: response::FinalizeBlock,
}

/// An in-process network of quired validators.
pub struct TestNet {
    chain_id: String,
    genesis: tendermint::Genesis<serde_json::Value>,
    app_state: Vec<u8>,
    nodes: Vec<SimNode>,
    factory: AppFactory,
    blocks: Vec<DecidedBlock>,
    mempool: Vec<Bytes>,
    max_tx_bytes: i64,
    /// The extensions each validator made for the last height, in validator
    /// order (what the next proposer's `local_last_commit` carries).
    last_extensions: Vec<Bytes>,
    /// Crashes taken so far, by boundary.
    pub crashes: Vec<(u64, usize, Boundary)>,
    /// Blocks replayed after crashes.
    pub replayed: u64,
}

/// The ed25519 consensus public key of validator `index` (stable, distinct).
fn ed25519_key(index: usize) -> [u8; 32] {
    let secret = ed25519_consensus::SigningKey::from([index as u8 + 1; 32]);
    secret.verification_key().to_bytes()
}

/// What each [`TestNet`] validator self-bonds at genesis: power 10.
pub const VALIDATOR_SELF_BOND: u128 = 10_000_000;

/// The operator account of validator `index` of every [`TestNet`] (funded
/// with exactly its self-bond at genesis).
pub fn operator_address(index: usize) -> quire_core::Address {
    quire_core::builder::address_of(&operator_key(index))
}

/// The secp256k1 key of validator `index`'s operator.
pub fn operator_key(index: usize) -> cosmrs::crypto::secp256k1::SigningKey {
    quire_test_utils::key(200 + index as u8)
}

/// The consensus address of validator `index` of every [`TestNet`]: the
/// first 20 bytes of sha256 of its key, as CometBFT derives it.
pub fn validator_address(index: usize) -> [u8; 20] {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(ed25519_key(index));
    let mut address = [0u8; 20];
    address.copy_from_slice(&digest[..20]);
    address
}

impl TestNet {
    /// `validators` nodes (power 10 each) with the standard app, on a fresh
    /// chain whose app state is `app_state`.
    pub fn new(validators: usize, app_state: GenesisState) -> anyhow::Result<Self> {
        Self::with_apps(
            validators,
            app_state,
            Arc::new(|_, last| Ok(App::new(last)?)),
        )
    }

    /// Like [`TestNet::new`], each node's app built by `factory`.
    pub fn with_apps(
        validators: usize,
        app_state: GenesisState,
        factory: AppFactory,
    ) -> anyhow::Result<Self> {
        ensure!(validators > 0, "a network needs a validator");
        let chain_id = "quire-testnet".to_string();
        let keys: Vec<[u8; 32]> = (0..validators).map(ed25519_key).collect();
        let mut app_state = app_state;
        for (i, key) in keys.iter().enumerate() {
            let operator = operator_address(i);
            app_state.accounts.push(quire_app::GenesisAccount {
                address: operator.to_bech32(),
                balance: VALIDATOR_SELF_BOND,
            });
            app_state
                .staking
                .validators
                .push(quire_app::staking::GenesisBond::new(
                    &operator,
                    key,
                    &format!("node{i}"),
                    VALIDATOR_SELF_BOND,
                ));
        }
        let doc = GenesisDoc::new(chain_id.clone(), "2026-01-01T00:00:00Z", app_state);
        doc.validate().context("the test network's genesis")?;
        let json = serde_json::to_string(&doc)?;
        let genesis: tendermint::Genesis<serde_json::Value> =
            serde_json::from_str(&json).context("genesis as CometBFT reads it")?;
        let app_state = serde_json::to_vec(&genesis.app_state)?;
        let mut nodes = Vec::with_capacity(validators);
        for key in keys {
            let pub_key = tendermint::PublicKey::from_raw_ed25519(&key).context("ed25519 key")?;
            let address: [u8; 20] = tendermint::account::Id::from(pub_key)
                .as_bytes()
                .try_into()
                .context("address")?;
            ensure!(
                address == validator_address(nodes.len()),
                "address derivation"
            );
            nodes.push(SimNode {
                validator: Validator {
                    address,
                    power: 10u32.into(),
                },
                pub_key: key,
                dir: tempfile::Builder::new()
                    .prefix("quire-testnet-")
                    .tempdir()?,
                abci: None,
            });
        }
        let mut net = TestNet {
            chain_id,
            max_tx_bytes: doc.consensus_params.block.max_bytes,
            genesis,
            app_state,
            nodes,
            factory,
            blocks: Vec::new(),
            mempool: Vec::new(),
            last_extensions: Vec::new(),
            crashes: Vec::new(),
            replayed: 0,
        };
        for index in 0..validators {
            net.start(index)?;
        }
        Ok(net)
    }

    /// The chain id.
    pub fn chain_id(&self) -> &str {
        &self.chain_id
    }

    /// Height of the last decided block.
    pub fn height(&self) -> u64 {
        self.blocks.last().map_or(0, |b| b.height)
    }

    /// The txs of a decided block.
    pub fn block_txs(&self, height: u64) -> Option<&[Bytes]> {
        self.blocks
            .iter()
            .find(|b| b.height == height)
            .map(|b| b.txs.as_slice())
    }

    /// What FinalizeBlock answered for a decided block.
    pub fn finalize_response(&self, height: u64) -> Option<&response::FinalizeBlock> {
        self.blocks
            .iter()
            .find(|b| b.height == height)
            .map(|b| &b.response)
    }

    /// Node `index`'s node (for queries and its store), if it is running.
    pub fn node(&self, index: usize) -> Option<Arc<Node>> {
        self.nodes.get(index)?.abci.as_ref().map(Abci::node)
    }

    fn abci(&self, index: usize) -> anyhow::Result<&Abci> {
        self.nodes
            .get(index)
            .and_then(|n| n.abci.as_ref())
            .with_context(|| format!("node {index} is not running"))
    }

    /// Starts node `index` over its store (fresh or after a crash) and runs
    /// CometBFT's handshake: Info; InitChain on an empty store; every decided
    /// block the store lacks replayed, each FinalizeBlock compared with the
    /// recorded response.
    fn start(&mut self, index: usize) -> anyhow::Result<()> {
        let node_dir = self.nodes[index].dir.path().join("quired.redb");
        let store = Store::open(&node_dir)?;
        let last = store.last_commit()?;
        let app = (self.factory)(index, last.map(|l| l.height))?;
        let abci = Abci::new(Arc::new(Node::with_app(store, app)));
        let info = match abci.info(InfoRequest::Info(request::Info {
            version: "0.38.26".into(),
            block_version: 11,
            p2p_version: 8,
            abci_version: "2.0.0".into(),
        }))? {
            InfoResponse::Info(info) => info,
            other => bail!("Info answered {other:?}"),
        };
        let height = info.last_block_height.value();
        if height == 0 {
            let validators = self
                .nodes
                .iter()
                .map(|n| {
                    Ok(tendermint::validator::Update {
                        pub_key: tendermint::PublicKey::from_raw_ed25519(&n.pub_key)
                            .context("ed25519 key")?,
                        power: n.validator.power,
                    })
                })
                .collect::<anyhow::Result<Vec<_>>>()?;
            match abci.consensus(ConsensusRequest::InitChain(request::InitChain {
                time: self.genesis.genesis_time,
                chain_id: self.chain_id.clone(),
                consensus_params: self.genesis.consensus_params.clone(),
                validators,
                app_state_bytes: self.app_state.clone().into(),
                initial_height: 1u32.into(),
            }))? {
                ConsensusResponse::InitChain(_) => {}
                other => bail!("InitChain answered {other:?}"),
            }
        } else {
            // The app hash Info reports is the one the last committed block
            // produced.
            if let Some(block) = self.blocks.iter().find(|b| b.height == height) {
                ensure!(
                    info.last_block_app_hash.as_bytes() == block.response.app_hash.as_bytes(),
                    "node {index}: Info reports app hash {} at {height}, the block gave {}",
                    hex::encode(info.last_block_app_hash.as_bytes()),
                    hex::encode(block.response.app_hash.as_bytes())
                );
            }
        }
        let missing: Vec<DecidedBlock> = self
            .blocks
            .iter()
            .filter(|b| b.height > height)
            .cloned()
            .collect();
        for block in missing {
            let response = finalize(&abci, &block)?;
            ensure!(
                response == block.response,
                "node {index}: replayed FinalizeBlock {} differs from the recorded one \
                 (CometBFT would panic)",
                block.height
            );
            commit(&abci)?;
            self.replayed += 1;
        }
        // The mempool is rebuilt as CometBFT rebuilds it after a restart:
        // CometBFT keeps no mempool across restarts, so the txs are submitted
        // to this node again by their submitters; here, from the shared pool.
        for tx in &self.mempool {
            let _ = check_tx(&abci, tx.clone(), CheckTxKind::New)?;
        }
        self.nodes[index].abci = Some(abci);
        Ok(())
    }

    /// Crashes node `index` (drops everything it holds in memory, as a
    /// killed process would) and restarts it.
    pub fn crash_and_restart(&mut self, index: usize, boundary: Boundary) -> anyhow::Result<()> {
        self.nodes
            .get_mut(index)
            .with_context(|| format!("no node {index}"))?
            .abci = None;
        self.crashes.push((self.height() + 1, index, boundary));
        self.start(index)
    }

    /// Submits a tx: CheckTx on every node; accepted when every node accepts
    /// it. Returns each node's CheckTx answer.
    pub fn submit(&mut self, tx: Vec<u8>) -> anyhow::Result<Vec<response::CheckTx>> {
        let tx = Bytes::from(tx);
        let mut answers = Vec::with_capacity(self.nodes.len());
        for index in 0..self.nodes.len() {
            answers.push(check_tx(self.abci(index)?, tx.clone(), CheckTxKind::New)?);
        }
        if answers.iter().all(|a| a.code.is_ok()) {
            self.mempool.push(tx);
        }
        Ok(answers)
    }

    /// Runs one height with no crash.
    pub fn produce_block(&mut self) -> anyhow::Result<u64> {
        self.produce_block_crashing(None)
    }

    /// Runs `count` heights.
    pub fn fast_forward(&mut self, count: u64) -> anyhow::Result<u64> {
        for _ in 0..count {
            self.produce_block()?;
        }
        Ok(self.height())
    }

    /// Runs one height; when `crash` is `Some((node, boundary))`, that node
    /// crashes and restarts at that boundary.
    pub fn produce_block_crashing(
        &mut self,
        crash: Option<(usize, Boundary)>,
    ) -> anyhow::Result<u64> {
        let height = self.height() + 1;
        let n = self.nodes.len();
        let proposer = (height as usize) % n;
        let crash_at = |boundary: Boundary, index: usize| crash == Some((index, boundary));
        let time = tendermint::Time::from_unix_timestamp(1_767_225_600 + height as i64, 0)
            .context("block time")?;
        let proposer_address = account(&self.nodes[proposer].validator);

        for index in 0..n {
            if crash_at(Boundary::BeforeProposal, index) {
                self.crash_and_restart(index, Boundary::BeforeProposal)?;
            }
        }

        // The proposer's view of the last commit carries the extensions.
        let local_last_commit = ExtendedCommitInfo {
            round: 0u8.into(),
            votes: if height == 1 {
                Vec::new()
            } else {
                self.nodes
                    .iter()
                    .enumerate()
                    .map(|(i, node)| ExtendedVoteInfo {
                        validator: node.validator.clone(),
                        sig_info: BlockSignatureInfo::Flag(BlockIdFlag::Commit),
                        vote_extension: self.last_extensions.get(i).cloned().unwrap_or_default(),
                        extension_signature: None,
                    })
                    .collect()
            },
        };
        let last_commit = CommitInfo {
            round: 0u8.into(),
            votes: local_last_commit
                .votes
                .iter()
                .map(|vote| VoteInfo {
                    validator: vote.validator.clone(),
                    sig_info: vote.sig_info,
                })
                .collect(),
        };
        let prepared = match self
            .abci(proposer)?
            .consensus(ConsensusRequest::PrepareProposal(
                request::PrepareProposal {
                    max_tx_bytes: self.max_tx_bytes,
                    txs: self.mempool.clone(),
                    local_last_commit: Some(local_last_commit),
                    misbehavior: Vec::new(),
                    height: height.try_into()?,
                    time,
                    next_validators_hash: tendermint::Hash::None,
                    proposer_address,
                },
            ))? {
            ConsensusResponse::PrepareProposal(p) => p.txs,
            other => bail!("PrepareProposal answered {other:?}"),
        };
        let total: i64 = prepared.iter().map(|tx| proto_len(tx.len())).sum();
        ensure!(
            total <= self.max_tx_bytes,
            "height {height}: the proposal's {total} bytes exceed max_tx_bytes {}",
            self.max_tx_bytes
        );
        let block_hash = tendermint::Hash::Sha256(sha256_of(&prepared, height));

        for index in 0..n {
            let answer = self
                .abci(index)?
                .consensus(ConsensusRequest::ProcessProposal(
                    request::ProcessProposal {
                        txs: prepared.clone(),
                        proposed_last_commit: Some(last_commit.clone()),
                        misbehavior: Vec::new(),
                        hash: block_hash,
                        height: height.try_into()?,
                        time,
                        next_validators_hash: tendermint::Hash::None,
                        proposer_address,
                    },
                ))?;
            ensure!(
                matches!(
                    answer,
                    ConsensusResponse::ProcessProposal(response::ProcessProposal::Accept)
                ),
                "height {height}: node {index} rejected node {proposer}'s proposal"
            );
            if crash_at(Boundary::AfterProcess, index) {
                self.crash_and_restart(index, Boundary::AfterProcess)?;
            }
        }

        let mut extensions = Vec::with_capacity(n);
        for index in 0..n {
            let extension = match self.abci(index)?.consensus(ConsensusRequest::ExtendVote(
                request::ExtendVote {
                    hash: block_hash,
                    height: height.try_into()?,
                    time,
                    txs: prepared.clone(),
                    proposed_last_commit: Some(last_commit.clone()),
                    misbehavior: Vec::new(),
                    next_validators_hash: tendermint::Hash::None,
                    proposer_address,
                },
            ))? {
                ConsensusResponse::ExtendVote(e) => e.vote_extension,
                other => bail!("ExtendVote answered {other:?}"),
            };
            extensions.push(extension);
            if crash_at(Boundary::AfterExtendVote, index) {
                self.crash_and_restart(index, Boundary::AfterExtendVote)?;
            }
        }
        for verifier in 0..n {
            for (signer, extension) in extensions.iter().enumerate() {
                if signer == verifier {
                    continue; // CometBFT does not verify its own extension
                }
                let answer =
                    self.abci(verifier)?
                        .consensus(ConsensusRequest::VerifyVoteExtension(
                            request::VerifyVoteExtension {
                                hash: block_hash,
                                validator_address: account(&self.nodes[signer].validator),
                                height: height.try_into()?,
                                vote_extension: extension.clone(),
                            },
                        ))?;
                ensure!(
                    matches!(
                        answer,
                        ConsensusResponse::VerifyVoteExtension(
                            response::VerifyVoteExtension::Accept
                        )
                    ),
                    "height {height}: node {verifier} rejected node {signer}'s vote extension"
                );
            }
        }

        let mut block = DecidedBlock {
            height,
            time,
            proposer: proposer_address,
            txs: prepared.clone(),
            last_commit,
            response: response::FinalizeBlock {
                events: Vec::new(),
                tx_results: Vec::new(),
                validator_updates: Vec::new(),
                consensus_param_updates: None,
                app_hash: Default::default(),
            },
        };
        let mut first: Option<response::FinalizeBlock> = None;
        for index in 0..n {
            let response = finalize(self.abci(index)?, &block)?;
            match &first {
                None => first = Some(response),
                Some(first) => ensure!(
                    &response == first,
                    "height {height}: node {index}'s FinalizeBlock differs from node 0's \
                     (app hash {} vs {})",
                    hex::encode(response.app_hash.as_bytes()),
                    hex::encode(first.app_hash.as_bytes())
                ),
            }
        }
        block.response = first.context("no node finalized")?;
        // Decided: CometBFT stores the block (and the results) before Commit.
        self.blocks.push(block);
        for index in 0..n {
            if crash_at(Boundary::AfterFinalize, index) {
                // Restarting replays the block just decided.
                self.crash_and_restart(index, Boundary::AfterFinalize)?;
                continue;
            }
            commit(self.abci(index)?)?;
            if crash_at(Boundary::AfterCommit, index) {
                self.crash_and_restart(index, Boundary::AfterCommit)?;
            }
        }
        self.last_extensions = extensions;

        // The mempool drops the block's txs and rechecks the rest on every
        // node, in order; a tx any node refuses is dropped.
        let included: std::collections::BTreeSet<Bytes> = prepared.into_iter().collect();
        let remaining: Vec<Bytes> = self
            .mempool
            .drain(..)
            .filter(|tx| !included.contains(tx))
            .collect();
        let mut kept = Vec::with_capacity(remaining.len());
        for tx in remaining {
            let mut ok = true;
            for index in 0..n {
                ok &= check_tx(self.abci(index)?, tx.clone(), CheckTxKind::Recheck)?
                    .code
                    .is_ok();
            }
            if ok {
                kept.push(tx);
            }
        }
        self.mempool = kept;
        Ok(height)
    }

    /// Every running node's last committed app hash (Info), in node order.
    pub fn app_hashes(&self) -> anyhow::Result<Vec<Vec<u8>>> {
        (0..self.nodes.len())
            .map(|index| {
                match self.abci(index)?.info(InfoRequest::Info(request::Info {
                    version: String::new(),
                    block_version: 0,
                    p2p_version: 0,
                    abci_version: String::new(),
                }))? {
                    InfoResponse::Info(info) => Ok(info.last_block_app_hash.as_bytes().to_vec()),
                    other => bail!("Info answered {other:?}"),
                }
            })
            .collect()
    }

    /// ABCI Query on node `index`.
    pub fn query(
        &self,
        index: usize,
        path: &str,
        data: &[u8],
        prove: bool,
    ) -> anyhow::Result<response::Query> {
        match self.abci(index)?.info(InfoRequest::Query(request::Query {
            data: Bytes::copy_from_slice(data),
            path: path.to_string(),
            height: 0u32.into(),
            prove,
        }))? {
            InfoResponse::Query(answer) => Ok(answer),
            other => bail!("Query answered {other:?}"),
        }
    }

    /// ListSnapshots on node `index` (the snapshot connection).
    pub fn list_snapshots(&self, index: usize) -> anyhow::Result<response::ListSnapshots> {
        match self.abci(index)?.snapshot(SnapshotRequest::ListSnapshots)? {
            SnapshotResponse::ListSnapshots(list) => Ok(list),
            other => bail!("ListSnapshots answered {other:?}"),
        }
    }
}

fn account(validator: &Validator) -> tendermint::account::Id {
    tendermint::account::Id::new(validator.address)
}

/// A stand-in for the block hash: distinct per height and content.
fn sha256_of(txs: &[Bytes], height: u64) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    hasher.update(height.to_be_bytes());
    for tx in txs {
        hasher.update((tx.len() as u64).to_be_bytes());
        hasher.update(tx);
    }
    hasher.finalize().into()
}

/// One tx as a field of `tendermint.types.Data` (CometBFT's max_tx_bytes count).
fn proto_len(len: usize) -> i64 {
    let mut rest = len as u64;
    let mut varint = 1;
    while rest >= 0x80 {
        rest >>= 7;
        varint += 1;
    }
    1 + varint + len as i64
}

fn finalize(abci: &Abci, block: &DecidedBlock) -> anyhow::Result<response::FinalizeBlock> {
    match abci.consensus(ConsensusRequest::FinalizeBlock(request::FinalizeBlock {
        txs: block.txs.clone(),
        decided_last_commit: block.last_commit.clone(),
        misbehavior: Vec::new(),
        hash: tendermint::Hash::Sha256(sha256_of(&block.txs, block.height)),
        height: block.height.try_into()?,
        time: block.time,
        next_validators_hash: tendermint::Hash::None,
        proposer_address: block.proposer,
    }))? {
        ConsensusResponse::FinalizeBlock(response) => Ok(response),
        other => bail!("FinalizeBlock answered {other:?}"),
    }
}

fn commit(abci: &Abci) -> anyhow::Result<()> {
    match abci.consensus(ConsensusRequest::Commit)? {
        ConsensusResponse::Commit(_) => Ok(()),
        other => bail!("Commit answered {other:?}"),
    }
}

fn check_tx(abci: &Abci, tx: Bytes, kind: CheckTxKind) -> anyhow::Result<response::CheckTx> {
    match abci.mempool(MempoolRequest::CheckTx(request::CheckTx { tx, kind }))? {
        MempoolResponse::CheckTx(answer) => Ok(answer),
    }
}
