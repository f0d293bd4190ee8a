//! The tower-abci (CometBFT v0.38, ABCI 2.0) server: four services over one
//! [`Node`], translating ABCI types to and from the app's.
//!
//! Every handler runs inside `block_in_place`, in the order CometBFT sent the
//! requests on its connection (CheckTx order matters for sequences). A
//! [`NodeError`] (storage failure, protocol violation) is returned as a service
//! error: tower-abci then drops the connection and CometBFT halts, which is the
//! safe outcome when the node can no longer trust its own state.

use crate::convert;
use crate::node::{Node, NodeError};
use crate::query::QueryError;
use bytes::Bytes;
use futures::future::{ready, Ready};
use quire_app::{AppError, FinalizedBlock, TxError, ValidatorUpdate, VoteContext};
use quire_core::codes::CODESPACE;
use quire_core::state_proof::PROOF_OP_TYPE;
use std::sync::Arc;
use std::task::{Context, Poll};
use tendermint::abci::{response::ProcessProposal, types::ExecTxResult, Code};
use tendermint::merkle::proof::{ProofOp, ProofOps};
use tendermint::v0_38::abci::{
    response, ConsensusRequest, ConsensusResponse, InfoRequest, InfoResponse, MempoolRequest,
    MempoolResponse, SnapshotRequest, SnapshotResponse,
};
use tower::Service;
use tower_abci::BoxError;

/// The protocol version the app reports in Info (bump on consensus changes).
pub const APP_VERSION: u64 = 3;

/// One service value implementing all four ABCI connections.
#[derive(Clone)]
pub struct Abci {
    node: Arc<Node>,
}

impl Abci {
    /// Serves `node`.
    pub fn new(node: Arc<Node>) -> Self {
        Abci { node }
    }

    /// The node served.
    pub fn node(&self) -> Arc<Node> {
        self.node.clone()
    }

    /// Answers one request of the consensus connection.
    pub fn consensus(&self, request: ConsensusRequest) -> Result<ConsensusResponse, NodeError> {
        let node = &self.node;
        Ok(match request {
            ConsensusRequest::InitChain(req) => {
                let (app_hash, validators) = node.init_chain(
                    &req.chain_id,
                    req.initial_height.value(),
                    &req.app_state_bytes,
                )?;
                let validators = genesis_validator_set(&validators, &req.validators)?;
                tracing::info!(
                    chain_id = %req.chain_id,
                    app_hash = %hex::encode(app_hash),
                    validators = validators.len(),
                    "init chain"
                );
                match req.consensus_params.abci.vote_extensions_enable_height {
                    Some(height) => {
                        tracing::info!(from_height = %height, "vote extensions enabled")
                    }
                    None => tracing::warn!(
                        "vote extensions are disabled in this genesis: components that put data \
                         in votes cannot work"
                    ),
                }
                ConsensusResponse::InitChain(response::InitChain {
                    consensus_params: None,
                    validators,
                    app_hash: app_hash_bytes(&app_hash)?,
                })
            }
            ConsensusRequest::PrepareProposal(req) => {
                let ctx = convert::block_context(
                    req.height,
                    req.time,
                    &req.proposer_address,
                    None,
                    req.local_last_commit
                        .as_ref()
                        .map(convert::extended_commit_info)
                        .unwrap_or_default(),
                    &req.misbehavior,
                );
                let max = u64::try_from(req.max_tx_bytes).unwrap_or(0);
                let proposal = node.prepare_proposal(&ctx, &req.txs, max)?;
                tracing::info!(
                    height = ctx.height,
                    candidates = req.txs.len(),
                    chosen = proposal.chosen.len(),
                    "prepared proposal"
                );
                let mut txs = Vec::with_capacity(proposal.system_txs.len() + proposal.chosen.len());
                txs.extend(proposal.system_txs.into_iter().map(Bytes::from));
                txs.extend(
                    proposal
                        .chosen
                        .into_iter()
                        .filter_map(|i| req.txs.get(i).cloned()),
                );
                ConsensusResponse::PrepareProposal(response::PrepareProposal { txs })
            }
            ConsensusRequest::ProcessProposal(req) => {
                let ctx = convert::block_context(
                    req.height,
                    req.time,
                    &req.proposer_address,
                    Some(&req.hash),
                    req.proposed_last_commit
                        .as_ref()
                        .map(convert::commit_info)
                        .unwrap_or_default(),
                    &req.misbehavior,
                );
                match node.process_proposal(&ctx, &req.txs)? {
                    Ok(()) => ConsensusResponse::ProcessProposal(ProcessProposal::Accept),
                    Err(rejection) => {
                        tracing::warn!(height = ctx.height, proposer = %req.proposer_address, reason = %rejection, "rejected proposal");
                        ConsensusResponse::ProcessProposal(ProcessProposal::Reject)
                    }
                }
            }
            ConsensusRequest::ExtendVote(req) => {
                let ctx = VoteContext {
                    height: req.height.value(),
                    block_hash: req.hash.as_bytes().to_vec(),
                };
                let extension = node.extend_vote(&ctx)?;
                ConsensusResponse::ExtendVote(response::ExtendVote {
                    vote_extension: Bytes::from(extension),
                })
            }
            ConsensusRequest::VerifyVoteExtension(req) => {
                let ctx = VoteContext {
                    height: req.height.value(),
                    block_hash: req.hash.as_bytes().to_vec(),
                };
                let validator = convert::address(&req.validator_address);
                ConsensusResponse::VerifyVoteExtension(
                    match node.verify_vote_extension(&ctx, &validator, &req.vote_extension)? {
                        Ok(()) => response::VerifyVoteExtension::Accept,
                        Err(rejection) => {
                            tracing::warn!(
                                height = ctx.height,
                                validator = %req.validator_address,
                                size = req.vote_extension.len(),
                                reason = %rejection,
                                "rejected vote extension"
                            );
                            response::VerifyVoteExtension::Reject
                        }
                    },
                )
            }
            ConsensusRequest::FinalizeBlock(req) => {
                let ctx = convert::block_context(
                    req.height,
                    req.time,
                    &req.proposer_address,
                    Some(&req.hash),
                    convert::commit_info(&req.decided_last_commit),
                    &req.misbehavior,
                );
                let block = node.finalize_block(&ctx, &req.txs)?;
                match &block.commitment {
                    Some(c) if !c.matches_blobs => tracing::error!(
                        height = ctx.height,
                        "decided block's commitment does not match its blobs: more than 1/3 of \
                         the voting power accepted an invalid proposal"
                    ),
                    None => tracing::error!(
                        height = ctx.height,
                        "decided block has no namespace commitment"
                    ),
                    Some(_) => {}
                }
                tracing::info!(
                    height = ctx.height,
                    txs = req.txs.len(),
                    blobs = block.blobs.len(),
                    app_hash = %hex::encode(block.app_hash),
                    "finalized block"
                );
                ConsensusResponse::FinalizeBlock(finalize_response(&block)?)
            }
            ConsensusRequest::Commit => {
                let height = node.commit()?;
                let retain = node.retain_height(height)?;
                tracing::debug!(height, retain, "committed");
                ConsensusResponse::Commit(response::Commit {
                    data: Bytes::new(),
                    retain_height: tendermint::block::Height::try_from(retain)
                        .map_err(|e| NodeError::Encoding(e.to_string()))?,
                })
            }
        })
    }

    /// Answers one request of the mempool connection.
    pub fn mempool(&self, request: MempoolRequest) -> Result<MempoolResponse, NodeError> {
        let MempoolRequest::CheckTx(req) = request;
        let response = match self.node.check_tx(&req.tx)? {
            Ok(receipt) => response::CheckTx {
                code: Code::Ok,
                sender: receipt.signer.to_bech32(),
                ..Default::default()
            },
            Err(error) => {
                tracing::debug!(code = error.code(), reason = %error, kind = ?req.kind, "check tx refused");
                response::CheckTx {
                    code: Code::from(error.code()),
                    log: error.to_string(),
                    codespace: CODESPACE.to_string(),
                    ..Default::default()
                }
            }
        };
        Ok(MempoolResponse::CheckTx(response))
    }

    fn query(&self, req: &tendermint::v0_38::abci::request::Query) -> response::Query {
        if crate::cosmos::is_cosmos_method(&req.path) {
            return self.cosmos_query(req);
        }
        let failed = |error: QueryError, height: u64, proof: Option<ProofOps>| response::Query {
            code: Code::from(error.code()),
            log: error.to_string(),
            codespace: CODESPACE.to_string(),
            height: height.try_into().unwrap_or_default(),
            proof,
            ..Default::default()
        };
        let answer = match self
            .node
            .query_with_proof(&req.path, req.height.value(), req.prove)
        {
            Ok(answer) => answer,
            Err(error) => return failed(error, 0, None),
        };
        let proof = (!answer.proofs.is_empty()).then(|| ProofOps {
            ops: answer
                .proofs
                .iter()
                .map(|proof| ProofOp {
                    field_type: PROOF_OP_TYPE.to_string(),
                    key: proof.key.clone(),
                    data: proof.encode_op_data(),
                })
                .collect(),
        });
        match answer.result {
            Ok(value) => response::Query {
                code: Code::Ok,
                value: value.into(),
                height: answer.height.try_into().unwrap_or_default(),
                proof,
                ..Default::default()
            },
            Err(error) => failed(error, answer.height, proof),
        }
    }

    /// A Cosmos service method over ABCI Query: the SDK's codes, codespace
    /// and log form (see [`crate::cosmos`]).
    fn cosmos_query(&self, req: &tendermint::v0_38::abci::request::Query) -> response::Query {
        if req.prove {
            let error = crate::cosmos::CosmosError::invalid(
                "prove is not supported for Cosmos service queries: use Quire's paths (/account/{address}, ...) for state proofs",
            );
            return response::Query {
                code: Code::from(error.abci_code()),
                log: error.to_string(),
                codespace: crate::cosmos::CODESPACE.to_string(),
                ..Default::default()
            };
        }
        let (height, result) = self
            .node
            .cosmos_query(&req.path, &req.data, req.height.value());
        let height = height.try_into().unwrap_or_default();
        match result {
            Ok(value) => response::Query {
                code: Code::Ok,
                value: value.into(),
                height,
                ..Default::default()
            },
            Err(error) => {
                tracing::debug!(path = %req.path, code = error.abci_code(), reason = %error, "cosmos query refused");
                response::Query {
                    code: Code::from(error.abci_code()),
                    log: error.to_string(),
                    codespace: crate::cosmos::CODESPACE.to_string(),
                    height,
                    ..Default::default()
                }
            }
        }
    }

    /// Answers one request of the snapshot connection: the snapshots this
    /// node keeps (none unless `snapshot_interval` is set), and the restore
    /// of one offered by peers (state sync; see [`crate::snapshots`]).
    pub fn snapshot(&self, request: SnapshotRequest) -> Result<SnapshotResponse, NodeError> {
        use crate::snapshots::{ChunkVerdict, Offer, Offered};
        use tendermint::abci::response::ApplySnapshotChunkResult as Chunk;
        let node = &self.node;
        let Some(snapshots) = node.snapshots() else {
            return Ok(match request {
                SnapshotRequest::ListSnapshots => {
                    SnapshotResponse::ListSnapshots(Default::default())
                }
                SnapshotRequest::OfferSnapshot(_) => {
                    SnapshotResponse::OfferSnapshot(response::OfferSnapshot::Reject)
                }
                SnapshotRequest::LoadSnapshotChunk(_) => {
                    SnapshotResponse::LoadSnapshotChunk(Default::default())
                }
                SnapshotRequest::ApplySnapshotChunk(_) => {
                    SnapshotResponse::ApplySnapshotChunk(response::ApplySnapshotChunk {
                        result: Chunk::Abort,
                        refetch_chunks: Vec::new(),
                        reject_senders: Vec::new(),
                    })
                }
            });
        };
        Ok(match request {
            SnapshotRequest::ListSnapshots => {
                let mut snapshots_out = Vec::new();
                for stored in snapshots.list() {
                    snapshots_out.push(tendermint::abci::types::Snapshot {
                        height: stored.height.try_into().map_err(|_| {
                            NodeError::Encoding("snapshot height out of range".into())
                        })?,
                        format: quire_app::state::snapshot::FORMAT,
                        chunks: stored.chunks,
                        hash: Bytes::copy_from_slice(&stored.hash),
                        metadata: Bytes::from(stored.manifest),
                    });
                }
                SnapshotResponse::ListSnapshots(response::ListSnapshots {
                    snapshots: snapshots_out,
                })
            }
            SnapshotRequest::LoadSnapshotChunk(req) => {
                let chunk = snapshots
                    .load_chunk(req.height.value(), req.format, req.chunk)
                    .unwrap_or_default();
                SnapshotResponse::LoadSnapshotChunk(response::LoadSnapshotChunk {
                    chunk: Bytes::from(chunk),
                })
            }
            SnapshotRequest::OfferSnapshot(req) => {
                let has_state = node.info()?.is_some();
                let offered = Offered {
                    height: req.snapshot.height.value(),
                    format: req.snapshot.format,
                    chunks: req.snapshot.chunks,
                    hash: &req.snapshot.hash,
                    manifest: &req.snapshot.metadata,
                };
                let answer = match snapshots.offer(has_state, &offered, req.app_hash.as_bytes()) {
                    Offer::Accept => response::OfferSnapshot::Accept,
                    Offer::Reject => response::OfferSnapshot::Reject,
                    Offer::RejectFormat => response::OfferSnapshot::RejectFormat,
                };
                SnapshotResponse::OfferSnapshot(answer)
            }
            SnapshotRequest::ApplySnapshotChunk(req) => {
                let verdict = node.apply_snapshot_chunk(req.index, &req.chunk, &req.sender);
                let (result, refetch_chunks, reject_senders) = match verdict {
                    ChunkVerdict::Accepted | ChunkVerdict::Restored(_) => {
                        (Chunk::Accept, Vec::new(), Vec::new())
                    }
                    ChunkVerdict::Refetch => (Chunk::Retry, vec![req.index], vec![req.sender]),
                    ChunkVerdict::RejectSnapshot => (Chunk::RejectSnapshot, Vec::new(), Vec::new()),
                    ChunkVerdict::Abort => (Chunk::Abort, Vec::new(), Vec::new()),
                };
                SnapshotResponse::ApplySnapshotChunk(response::ApplySnapshotChunk {
                    result,
                    refetch_chunks,
                    reject_senders,
                })
            }
        })
    }

    /// Answers one request of the info connection.
    pub fn info(&self, request: InfoRequest) -> Result<InfoResponse, NodeError> {
        Ok(match request {
            InfoRequest::Info(_) => {
                let last = self.node.info()?;
                InfoResponse::Info(response::Info {
                    data: "quired".to_string(),
                    version: env!("CARGO_PKG_VERSION").to_string(),
                    app_version: APP_VERSION,
                    last_block_height: last
                        .map(|l| l.height)
                        .unwrap_or(0)
                        .try_into()
                        .unwrap_or_default(),
                    last_block_app_hash: match last {
                        Some(last) => app_hash_bytes(&last.app_hash)?,
                        None => tendermint::AppHash::default(),
                    },
                })
            }
            InfoRequest::Query(req) => InfoResponse::Query(self.query(&req)),
            InfoRequest::Echo(req) => InfoResponse::Echo(response::Echo {
                message: req.message,
            }),
        })
    }
}

/// An app hash as CometBFT's type; a failure would be a bug, and stops the
/// node loudly rather than reporting a wrong hash.
fn app_hash_bytes(app_hash: &[u8; 32]) -> Result<tendermint::AppHash, NodeError> {
    tendermint::AppHash::try_from(app_hash.to_vec())
        .map_err(|e| NodeError::Encoding(format!("app hash: {e}")))
}

/// The FinalizeBlock response: per-tx results with searchable events (the
/// system transactions first, then the user transactions), the validator
/// updates and the app hash.
///
/// Events (all attributes indexed but `fee`, `msg_index` and `namespaces`,
/// so `tx_search "blob.namespace='…'"` works): `commitment {namespaces}` on
/// the commitment tx; on each user tx `tx {signer, sequence, fee}`, one
/// Cosmos-SDK-style `message {action, sender, module, msg_index}` per
/// message, then the messages' own (e.g. one
/// `blob {namespace, signer, size, msg_index}` per blob). A user tx's
/// `gas_wanted` is the fee charged and `gas_used` the fee required.
fn finalize_response(block: &FinalizedBlock) -> Result<response::FinalizeBlock, NodeError> {
    let system = block
        .system_txs
        .iter()
        .map(|outcome| match &outcome.result {
            Ok(events) => ok_result(events),
            Err(error) => ExecTxResult {
                code: Code::from(quire_core::codes::tx::INVALID),
                log: format!("invalid {} system tx: {error}", outcome.kind),
                codespace: CODESPACE.to_string(),
                ..Default::default()
            },
        });
    let user = block.txs.iter().map(|outcome| match &outcome.result {
        Ok(receipt) => ExecTxResult {
            // One gas is one unit of the fee denom (docs/wallets.md): the
            // whole fee offered is charged (wanted), the rules require
            // `required_fee` of it (used), as `Simulate` reports it.
            gas_wanted: gas(receipt.fee),
            gas_used: gas(receipt.required_fee),
            ..ok_result(&receipt.events)
        },
        Err(error) => error_result(error),
    });
    let validator_updates = block
        .validator_updates
        .iter()
        .map(convert::validator_update)
        .collect::<Result<Vec<_>, _>>()
        .map_err(NodeError::Encoding)?;
    Ok(response::FinalizeBlock {
        events: Vec::new(),
        tx_results: system.chain(user).collect(),
        validator_updates,
        consensus_param_updates: None,
        app_hash: app_hash_bytes(&block.app_hash)?,
    })
}

/// A fee as CometBFT's gas (an i64; a fee beyond it saturates).
fn gas(fee: u128) -> i64 {
    i64::try_from(fee).unwrap_or(i64::MAX)
}

fn ok_result(events: &[quire_app::Event]) -> ExecTxResult {
    ExecTxResult {
        code: Code::Ok,
        events: events.iter().map(convert::event).collect(),
        ..Default::default()
    }
}

fn error_result(error: &TxError) -> ExecTxResult {
    ExecTxResult {
        code: Code::from(error.code()),
        log: error.to_string(),
        codespace: CODESPACE.to_string(),
        ..Default::default()
    }
}

macro_rules! abci_service {
    ($request:ty, $response:ty, $handler:ident) => {
        impl Service<$request> for Abci {
            type Response = $response;
            type Error = BoxError;
            type Future = Ready<Result<$response, BoxError>>;

            fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
                Poll::Ready(Ok(()))
            }

            fn call(&mut self, request: $request) -> Self::Future {
                let result = tokio::task::block_in_place(|| self.$handler(request));
                ready(result.map_err(|error| {
                    tracing::error!(%error, "fatal ABCI error; dropping the connection so CometBFT halts");
                    BoxError::from(error)
                }))
            }
        }
    };
}

abci_service!(ConsensusRequest, ConsensusResponse, consensus);
abci_service!(MempoolRequest, MempoolResponse, mempool);
abci_service!(InfoRequest, InfoResponse, info);

abci_service!(SnapshotRequest, SnapshotResponse, snapshot);

/// Serves ABCI on `addr` (`tcp://host:port` or `unix:///path`) until the process ends.
pub async fn serve(node: Arc<Node>, addr: &str) -> Result<(), BoxError> {
    let abci = Abci::new(node);
    let server = tower_abci::v038::Server::builder()
        .consensus(abci.clone())
        .mempool(abci.clone())
        .info(abci.clone())
        .snapshot(abci)
        .finish()
        .ok_or("ABCI server is missing a service")?;
    if let Some(path) = addr.strip_prefix("unix://") {
        let _ = std::fs::remove_file(path);
        server.listen_unix(path).await
    } else {
        let hostport = addr.strip_prefix("tcp://").unwrap_or(addr);
        server.listen_tcp(hostport).await
    }
}

/// The set InitChain returns: the one the app bonds from
/// `app_state.staking`, which must be non-empty and equal the
/// `validators` of genesis.json that CometBFT passes (CometBFT would take
/// the app's set over its own, and light clients trust genesis.json's: a
/// difference is a broken genesis, refused before the first block).
fn genesis_validator_set(
    app: &[ValidatorUpdate],
    genesis_json: &[tendermint::validator::Update],
) -> Result<Vec<tendermint::validator::Update>, NodeError> {
    if app.is_empty() {
        return Err(NodeError::App(AppError::Genesis(
            "app_state.staking bonds no validator: a chain needs at least one \
             (`quired genesis add-validator`)"
                .into(),
        )));
    }
    let ours = app
        .iter()
        .map(convert::validator_update)
        .collect::<Result<Vec<_>, _>>()
        .map_err(NodeError::Encoding)?;
    let as_set = |list: &[tendermint::validator::Update]| {
        list.iter()
            .map(|u| (u.pub_key.to_bytes(), u.power.value()))
            .collect::<std::collections::BTreeSet<_>>()
    };
    if as_set(&ours) != as_set(genesis_json) {
        return Err(NodeError::App(AppError::Genesis(format!(
            "genesis.json's validators ({} of them) are not the set app_state.staking bonds \
             ({} of them): `quired genesis validate` shows the difference",
            genesis_json.len(),
            ours.len()
        ))));
    }
    Ok(ours)
}

#[cfg(test)]
mod tests {
    use super::*;
    use quire_app::{GenesisAccount, GenesisState};
    use quire_core::builder::{address_of, sign_tx, SignerContext};
    use quire_core::{Msg, Namespace, Params};
    use quire_store::Store;
    use tendermint::abci::request::CheckTxKind;
    use tendermint::v0_38::abci::request;

    const CHAIN: &str = "server-test";

    fn key() -> cosmrs::crypto::secp256k1::SigningKey {
        cosmrs::crypto::secp256k1::SigningKey::from_slice(&[5; 32]).unwrap()
    }

    fn abci(dir: &std::path::Path) -> Abci {
        let store = Store::open(&dir.join("q.redb")).unwrap();
        Abci::new(Arc::new(Node::new(store).unwrap()))
    }

    /// A real ed25519 key (CometBFT's `cometbft init` output).
    const VALIDATOR_KEY: &str = "cSCNOue0A+AHPCHOmyh3eDza/HCHPdd1Bxdjfqs6nB4=";

    fn validator_key() -> [u8; 32] {
        quire_genesis::parse_ed25519_pubkey(VALIDATOR_KEY).unwrap()
    }

    fn genesis_state() -> GenesisState {
        let mut genesis = GenesisState {
            staking: Default::default(),
            l1: None,
            encryption: None,
            params: Params::default(),
            accounts: vec![GenesisAccount {
                address: address_of(&key()).to_bech32(),
                balance: 1_000_000_000,
            }],
        };
        genesis
            .staking
            .validators
            .push(quire_app::staking::GenesisBond::new(
                &address_of(&key()),
                &validator_key(),
                "v0",
                10_000_000,
            ));
        genesis
    }

    fn init_request(
        genesis: &GenesisState,
        validators: Vec<tendermint::validator::Update>,
    ) -> ConsensusRequest {
        let json = serde_json::json!({
            "genesis_time": "2026-01-01T00:00:00Z",
            "chain_id": CHAIN,
            "initial_height": "1",
            "consensus_params": {
                "block": {"max_bytes": "22020096", "max_gas": "-1"},
                "evidence": {"max_age_num_blocks": "100000", "max_age_duration": "172800000000000", "max_bytes": "1048576"},
                "validator": {"pub_key_types": ["ed25519"]},
                "version": {"app": "0"},
                "abci": {"vote_extensions_enable_height": "1"}
            },
            "validators": [],
            "app_hash": "",
            "app_state": genesis,
        });
        let doc: tendermint::Genesis<serde_json::Value> = serde_json::from_value(json).unwrap();
        ConsensusRequest::InitChain(request::InitChain {
            time: doc.genesis_time,
            chain_id: CHAIN.into(),
            consensus_params: doc.consensus_params,
            validators,
            app_state_bytes: serde_json::to_vec(&doc.app_state).unwrap().into(),
            initial_height: 1u32.into(),
        })
    }

    fn validator_update(power: u32) -> tendermint::validator::Update {
        tendermint::validator::Update {
            pub_key: tendermint::PublicKey::from_raw_ed25519(&validator_key()).unwrap(),
            power: power.into(),
        }
    }

    #[test]
    fn init_chain_returns_the_bonded_set_and_refuses_a_different_one() {
        let dir = tempfile::tempdir().unwrap();
        match abci(dir.path())
            .consensus(init_request(&genesis_state(), vec![validator_update(10)]))
            .unwrap()
        {
            ConsensusResponse::InitChain(answer) => {
                assert_eq!(answer.validators, vec![validator_update(10)])
            }
            other => panic!("{other:?}"),
        }
        for (genesis, listed) in [
            (genesis_state(), vec![validator_update(9)]),
            (genesis_state(), Vec::new()),
            (
                GenesisState {
                    staking: Default::default(),
                    l1: None,
                    encryption: None,
                    ..genesis_state()
                },
                vec![validator_update(10)],
            ),
        ] {
            let dir = tempfile::tempdir().unwrap();
            let err = abci(dir.path())
                .consensus(init_request(&genesis, listed))
                .unwrap_err()
                .to_string();
            assert!(err.contains("app_state.staking"), "{err}");
        }
    }

    fn init(abci: &Abci) {
        let genesis = genesis_state();
        match abci
            .consensus(init_request(&genesis, vec![validator_update(10)]))
            .unwrap()
        {
            ConsensusResponse::InitChain(answer) => {
                assert_eq!(answer.app_hash.as_bytes().len(), 32)
            }
            other => panic!("{other:?}"),
        }
    }

    fn tx(sequence: u64, fee: u128) -> Bytes {
        let context = SignerContext {
            chain_id: CHAIN.into(),
            account_number: 0,
            sequence,
            fee_denom: "uquire".into(),
            fee,
            timeout_height: 0,
            memo: String::new(),
        };
        let blob = Msg::submit_blob(Namespace::from_rollup_name("r"), vec![1; 10]);
        sign_tx(&key(), &context, &[blob]).unwrap().into()
    }

    fn check(abci: &Abci, tx: Bytes) -> response::CheckTx {
        match abci
            .mempool(MempoolRequest::CheckTx(request::CheckTx {
                tx,
                kind: CheckTxKind::New,
            }))
            .unwrap()
        {
            MempoolResponse::CheckTx(answer) => answer,
        }
    }

    fn finalize(abci: &Abci, height: u32, txs: Vec<Bytes>) -> response::FinalizeBlock {
        match abci
            .consensus(ConsensusRequest::FinalizeBlock(request::FinalizeBlock {
                txs,
                decided_last_commit: tendermint::abci::types::CommitInfo {
                    round: 0u8.into(),
                    votes: Vec::new(),
                },
                misbehavior: Vec::new(),
                hash: tendermint::Hash::None,
                height: height.into(),
                time: tendermint::Time::unix_epoch(),
                next_validators_hash: tendermint::Hash::None,
                proposer_address: tendermint::account::Id::new([0; 20]),
            }))
            .unwrap()
        {
            ConsensusResponse::FinalizeBlock(answer) => answer,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn check_tx_answers_carry_code_codespace_log_and_sender() {
        let dir = tempfile::tempdir().unwrap();
        let abci = abci(dir.path());
        init(&abci);
        let ok = check(&abci, tx(0, 10_000));
        assert!(ok.code.is_ok(), "{}", ok.log);
        assert_eq!(ok.sender, address_of(&key()).to_bech32());
        let low_fee = check(&abci, tx(1, 1));
        assert_eq!(
            low_fee.code.value(),
            quire_core::codes::tx::INSUFFICIENT_FEE
        );
        assert_eq!(low_fee.codespace, CODESPACE);
        assert!(low_fee.log.contains("insufficient fee"), "{}", low_fee.log);
        let junk = check(&abci, Bytes::from_static(b"junk"));
        assert_eq!(junk.code.value(), quire_core::codes::tx::DECODE);
    }

    fn abci_with_snapshots(dir: &std::path::Path, interval: u64, chunk_bytes: usize) -> Abci {
        let store = Store::open(&dir.join("q.redb")).unwrap();
        let snapshots = crate::snapshots::Snapshots::new(crate::snapshots::SnapshotConfig {
            dir: dir.join("snapshots"),
            interval,
            keep_recent: 2,
            chunk_bytes,
            index_heights: 0,
            attestor: None,
        });
        Abci::new(Arc::new(
            Node::new(store).unwrap().with_snapshots(snapshots),
        ))
    }

    /// The block PrepareProposal makes at `height` from `candidates`.
    fn prepare(abci: &Abci, height: u32, candidates: Vec<Bytes>) -> Vec<Bytes> {
        match abci
            .consensus(ConsensusRequest::PrepareProposal(
                request::PrepareProposal {
                    max_tx_bytes: 1 << 20,
                    txs: candidates,
                    local_last_commit: None,
                    misbehavior: Vec::new(),
                    height: height.into(),
                    time: tendermint::Time::unix_epoch(),
                    next_validators_hash: tendermint::Hash::None,
                    proposer_address: tendermint::account::Id::new([0; 20]),
                },
            ))
            .unwrap()
        {
            ConsensusResponse::PrepareProposal(p) => p.txs,
            other => panic!("{other:?}"),
        }
    }

    /// Proposes, finalizes and commits block `height` with `candidates`.
    fn run_block(abci: &Abci, height: u32, candidates: Vec<Bytes>) {
        let txs = prepare(abci, height, candidates);
        finalize(abci, height, txs);
        abci.consensus(ConsensusRequest::Commit).unwrap();
    }

    fn last_commit(abci: &Abci) -> (u64, Vec<u8>) {
        match abci
            .info(InfoRequest::Info(request::Info {
                version: String::new(),
                block_version: 0,
                p2p_version: 0,
                abci_version: String::new(),
            }))
            .unwrap()
        {
            InfoResponse::Info(info) => (
                info.last_block_height.value(),
                info.last_block_app_hash.as_bytes().to_vec(),
            ),
            other => panic!("{other:?}"),
        }
    }

    fn apply(
        abci: &Abci,
        index: u32,
        chunk: Vec<u8>,
        sender: &str,
    ) -> response::ApplySnapshotChunk {
        match abci
            .snapshot(SnapshotRequest::ApplySnapshotChunk(
                request::ApplySnapshotChunk {
                    index,
                    chunk: chunk.into(),
                    sender: sender.into(),
                },
            ))
            .unwrap()
        {
            SnapshotResponse::ApplySnapshotChunk(answer) => answer,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_node_restores_a_peer_snapshot_over_abci_and_refuses_forged_chunks() {
        use tendermint::abci::response::ApplySnapshotChunkResult as Chunk;
        // The source: 4 blocks of blob txs, a snapshot every 2 heights in
        // chunks small enough that there are several.
        let source_dir = tempfile::tempdir().unwrap();
        let source = abci_with_snapshots(source_dir.path(), 2, 200);
        init(&source);
        for height in 1..=4u32 {
            run_block(&source, height, vec![tx(u64::from(height) - 1, 10_000)]);
            let node = source.node();
            assert!(node
                .snapshots()
                .unwrap()
                .wait_idle(std::time::Duration::from_secs(30)));
        }
        let snapshots = match source.snapshot(SnapshotRequest::ListSnapshots).unwrap() {
            SnapshotResponse::ListSnapshots(list) => list.snapshots,
            other => panic!("{other:?}"),
        };
        let heights: Vec<u64> = snapshots.iter().map(|s| s.height.value()).collect();
        assert_eq!(heights, [4, 2], "newest first, two kept");
        let snapshot = snapshots[0].clone();
        assert!(snapshot.chunks > 1, "{} chunks", snapshot.chunks);
        let chunks: Vec<Vec<u8>> = (0..snapshot.chunks)
            .map(|chunk| {
                match source
                    .snapshot(SnapshotRequest::LoadSnapshotChunk(
                        request::LoadSnapshotChunk {
                            height: snapshot.height,
                            format: snapshot.format,
                            chunk,
                        },
                    ))
                    .unwrap()
                {
                    SnapshotResponse::LoadSnapshotChunk(answer) => answer.chunk.to_vec(),
                    other => panic!("{other:?}"),
                }
            })
            .collect();
        let (height, app_hash) = last_commit(&source);
        assert_eq!(height, 4);

        let target_dir = tempfile::tempdir().unwrap();
        let target = abci_with_snapshots(target_dir.path(), 0, 200);
        let offer = |abci: &Abci, app_hash: &[u8]| match abci
            .snapshot(SnapshotRequest::OfferSnapshot(request::OfferSnapshot {
                snapshot: snapshot.clone(),
                app_hash: app_hash.to_vec().try_into().unwrap(),
            }))
            .unwrap()
        {
            SnapshotResponse::OfferSnapshot(answer) => answer,
            other => panic!("{other:?}"),
        };
        // A snapshot whose hash is not its manifest's, and another format.
        let mut wrong = snapshot.clone();
        wrong.hash = Bytes::from_static(&[0; 32]);
        let refused = target
            .snapshot(SnapshotRequest::OfferSnapshot(request::OfferSnapshot {
                snapshot: wrong,
                app_hash: app_hash.clone().try_into().unwrap(),
            }))
            .unwrap();
        assert!(matches!(
            refused,
            SnapshotResponse::OfferSnapshot(response::OfferSnapshot::Reject)
        ));
        // Restoring to an app hash the snapshot does not have: the first
        // chunk's proof fails, the snapshot is rejected.
        assert_eq!(offer(&target, &[9; 32]), response::OfferSnapshot::Accept);
        assert_eq!(
            apply(&target, 0, chunks[0].clone(), "peer-a").result,
            Chunk::RejectSnapshot
        );
        // The right app hash; a forged chunk from one peer is fetched again
        // from another and that peer is rejected.
        assert_eq!(offer(&target, &app_hash), response::OfferSnapshot::Accept);
        let mut forged = chunks[0].clone();
        forged[20] ^= 1;
        let answer = apply(&target, 0, forged, "peer-bad");
        assert_eq!(answer.result, Chunk::Retry);
        assert_eq!(answer.refetch_chunks, vec![0]);
        assert_eq!(answer.reject_senders, vec!["peer-bad".to_string()]);
        for (i, chunk) in chunks.iter().enumerate() {
            assert_eq!(
                apply(&target, i as u32, chunk.clone(), "peer-a").result,
                Chunk::Accept
            );
        }
        assert_eq!(last_commit(&target), (4, app_hash.clone()));
        // A node with state refuses offers; the restored one goes on with
        // block 5 to the same app hash as the source.
        assert_eq!(offer(&target, &app_hash), response::OfferSnapshot::Reject);
        run_block(&source, 5, vec![tx(4, 10_000)]);
        run_block(&target, 5, vec![tx(4, 10_000)]);
        assert_eq!(last_commit(&target), last_commit(&source));
        // Chunks with no restore under way: abort.
        assert_eq!(
            apply(&target, 0, chunks[0].clone(), "peer-a").result,
            Chunk::Abort
        );
    }

    #[test]
    fn finalize_results_put_system_txs_first_with_searchable_events() {
        let dir = tempfile::tempdir().unwrap();
        let abci = abci(dir.path());
        init(&abci);
        let candidates = vec![tx(0, 10_000), Bytes::from_static(b"junk")];
        let proposal = prepare(&abci, 1, candidates);
        assert_eq!(proposal.len(), 2, "the commitment and the valid tx");
        let answer = finalize(&abci, 1, proposal);
        assert_eq!(answer.tx_results.len(), 2);
        let commitment = &answer.tx_results[0];
        assert!(commitment.code.is_ok());
        assert_eq!(commitment.events[0].kind, "commitment");
        let user = &answer.tx_results[1];
        assert!(user.code.is_ok());
        let kinds: Vec<&str> = user.events.iter().map(|e| e.kind.as_str()).collect();
        assert_eq!(kinds, vec!["tx", "message", "blob"]);
        let message: Vec<(String, String)> = user.events[1]
            .attributes
            .iter()
            .map(|a| {
                (
                    a.key_str().unwrap().to_string(),
                    a.value_str().unwrap().to_string(),
                )
            })
            .collect();
        assert_eq!(message[0].1, "/quire.blob.v1.MsgSubmitBlob");
        assert_eq!(message[2], ("module".to_string(), "blob".to_string()));
        // The fee as gas: the required fee used, the fee charged wanted.
        // The tx offered 10 000 for a 10-byte blob: all of it charged,
        // base + per byte required (a consensus field: LastResultsHash).
        let required = quire_core::Params::default().fee_for(10).unwrap();
        assert_eq!(user.gas_wanted, 10_000, "{user:?}");
        assert_eq!(user.gas_used, i64::try_from(required).unwrap(), "{user:?}");
        let blob = &user.events[2];
        let indexed: Vec<(String, bool)> = blob
            .attributes
            .iter()
            .map(|a| (a.key_str().unwrap().to_string(), a.index()))
            .collect();
        assert_eq!(
            indexed,
            vec![
                ("namespace".to_string(), true),
                ("signer".to_string(), true),
                ("size".to_string(), true),
                ("msg_index".to_string(), false)
            ]
        );
        assert!(answer.validator_updates.is_empty());
        // Commit, then Info reports the block's app hash.
        abci.consensus(ConsensusRequest::Commit).unwrap();
        match abci
            .info(InfoRequest::Info(request::Info {
                version: String::new(),
                block_version: 0,
                p2p_version: 0,
                abci_version: String::new(),
            }))
            .unwrap()
        {
            InfoResponse::Info(info) => {
                assert_eq!(info.last_block_height.value(), 1);
                assert_eq!(
                    info.last_block_app_hash.as_bytes(),
                    answer.app_hash.as_bytes()
                );
                assert_eq!(info.app_version, APP_VERSION);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn queries_vote_extensions_and_snapshots_answer_through_the_services() {
        let dir = tempfile::tempdir().unwrap();
        let abci = abci(dir.path());
        init(&abci);
        finalize(&abci, 1, Vec::new());
        abci.consensus(ConsensusRequest::Commit).unwrap();
        let query = |path: &str, prove: bool| match abci
            .info(InfoRequest::Query(request::Query {
                data: Bytes::new(),
                path: path.into(),
                height: 0u32.into(),
                prove,
            }))
            .unwrap()
        {
            InfoResponse::Query(answer) => answer,
            other => panic!("{other:?}"),
        };
        let params = query("/params", true);
        assert!(params.code.is_ok());
        assert_eq!(params.height.value(), 1);
        let ops = params.proof.unwrap().ops;
        assert_eq!(ops.len(), 1);
        assert_eq!(ops[0].field_type, PROOF_OP_TYPE);
        let unknown = query("/nope", false);
        assert_eq!(unknown.code.value(), quire_core::codes::query::UNKNOWN_PATH);
        assert_eq!(unknown.codespace, CODESPACE);
        // Vote extensions: empty from the standard components; junk refused.
        let extension = match abci
            .consensus(ConsensusRequest::ExtendVote(request::ExtendVote {
                hash: tendermint::Hash::None,
                height: 2u32.into(),
                time: tendermint::Time::unix_epoch(),
                txs: Vec::new(),
                proposed_last_commit: None,
                misbehavior: Vec::new(),
                next_validators_hash: tendermint::Hash::None,
                proposer_address: tendermint::account::Id::new([0; 20]),
            }))
            .unwrap()
        {
            ConsensusResponse::ExtendVote(e) => e.vote_extension,
            other => panic!("{other:?}"),
        };
        assert!(extension.is_empty());
        let verify = |extension: Bytes| {
            abci.consensus(ConsensusRequest::VerifyVoteExtension(
                request::VerifyVoteExtension {
                    hash: tendermint::Hash::None,
                    validator_address: tendermint::account::Id::new([1; 20]),
                    height: 2u32.into(),
                    vote_extension: extension,
                },
            ))
            .unwrap()
        };
        assert!(matches!(
            verify(extension),
            ConsensusResponse::VerifyVoteExtension(response::VerifyVoteExtension::Accept)
        ));
        assert!(matches!(
            verify(Bytes::from_static(b"\x05junk")),
            ConsensusResponse::VerifyVoteExtension(response::VerifyVoteExtension::Reject)
        ));
        assert!(matches!(
            abci.snapshot(SnapshotRequest::ListSnapshots).unwrap(),
            SnapshotResponse::ListSnapshots(list) if list.snapshots.is_empty()
        ));
        // Out of order: FinalizeBlock two heights ahead stops the node.
        assert!(abci
            .consensus(ConsensusRequest::FinalizeBlock(request::FinalizeBlock {
                txs: Vec::new(),
                decided_last_commit: tendermint::abci::types::CommitInfo {
                    round: 0u8.into(),
                    votes: Vec::new(),
                },
                misbehavior: Vec::new(),
                hash: tendermint::Hash::None,
                height: 5u32.into(),
                time: tendermint::Time::unix_epoch(),
                next_validators_hash: tendermint::Hash::None,
                proposer_address: tendermint::account::Id::new([0; 20]),
            }))
            .is_err());
    }

    /// The tower Service wrapper answers like the handler, inside a
    /// multi-threaded runtime (it uses `block_in_place`).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_tower_service_wraps_the_handlers() {
        use tower::ServiceExt;
        let dir = tempfile::tempdir().unwrap();
        let abci = abci(dir.path());
        let answer = abci
            .clone()
            .oneshot(InfoRequest::Echo(request::Echo {
                message: "hello".into(),
            }))
            .await
            .unwrap();
        assert!(matches!(answer, InfoResponse::Echo(e) if e.message == "hello"));
        let commit: Result<ConsensusResponse, BoxError> =
            abci.oneshot(ConsensusRequest::Commit).await;
        assert!(commit.is_err(), "Commit without FinalizeBlock is fatal");
    }
}
