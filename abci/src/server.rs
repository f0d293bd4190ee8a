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
use quire_app::{FinalizedBlock, TxError, VoteContext};
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
pub const APP_VERSION: u64 = 2;

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
                let app_hash = node.init_chain(
                    &req.chain_id,
                    req.initial_height.value(),
                    &req.app_state_bytes,
                )?;
                tracing::info!(chain_id = %req.chain_id, app_hash = %hex::encode(app_hash), "init chain");
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
                    validators: req.validators,
                    app_hash: app_hash_bytes(&app_hash)?,
                })
            }
            ConsensusRequest::PrepareProposal(req) => {
                let ctx = convert::block_context(
                    req.height,
                    req.time,
                    &req.proposer_address,
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
                tracing::debug!(height, "committed");
                ConsensusResponse::Commit(response::Commit {
                    data: Bytes::new(),
                    retain_height: 0u32.into(),
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

    /// Answers one request of the snapshot connection. State sync is not
    /// offered: no snapshots, every offer refused.
    pub fn snapshot(&self, request: SnapshotRequest) -> Result<SnapshotResponse, NodeError> {
        Ok(match request {
            SnapshotRequest::ListSnapshots => SnapshotResponse::ListSnapshots(Default::default()),
            SnapshotRequest::OfferSnapshot(_) => {
                SnapshotResponse::OfferSnapshot(response::OfferSnapshot::Reject)
            }
            SnapshotRequest::LoadSnapshotChunk(_) => {
                SnapshotResponse::LoadSnapshotChunk(Default::default())
            }
            SnapshotRequest::ApplySnapshotChunk(_) => {
                SnapshotResponse::ApplySnapshotChunk(response::ApplySnapshotChunk {
                    result: tendermint::abci::response::ApplySnapshotChunkResult::Abort,
                    refetch_chunks: Vec::new(),
                    reject_senders: Vec::new(),
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
/// the commitment tx; `tx {signer, sequence, fee}` and one
/// `blob {namespace, signer, size, msg_index}` per blob on each user tx.
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
        Ok(receipt) => ok_result(&receipt.events),
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
