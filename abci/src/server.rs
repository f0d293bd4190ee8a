//! The tower-abci (CometBFT v0.38, ABCI 2.0) server: four services over one
//! [`Node`], translating ABCI types to and from the app's.
//!
//! Every handler runs inside `block_in_place`, in the order CometBFT sent the
//! requests on its connection (CheckTx order matters for sequences). A
//! [`NodeError`] (storage failure, protocol violation) is returned as a service
//! error: tower-abci then drops the connection and CometBFT halts, which is the
//! safe outcome when the node can no longer trust its own state.

use crate::node::{Node, NodeError};
use bytes::Bytes;
use futures::future::{ready, Ready};
use quire_app::exec::TxReceipt;
use quire_app::{FinalizedBlock, FinalizedCommitment, TxError};
use quire_core::codes::CODESPACE;
use std::sync::Arc;
use std::task::{Context, Poll};
use tendermint::abci::{
    response::ProcessProposal, types::ExecTxResult, Code, Event, EventAttributeIndexExt,
};
use tendermint::v0_38::abci::{
    response, ConsensusRequest, ConsensusResponse, InfoRequest, InfoResponse, MempoolRequest,
    MempoolResponse, SnapshotRequest, SnapshotResponse,
};
use tower::Service;
use tower_abci::BoxError;

/// The protocol version the app reports in Info (bump on consensus changes).
pub const APP_VERSION: u64 = 1;

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

    fn consensus(&self, request: ConsensusRequest) -> Result<ConsensusResponse, NodeError> {
        let node = &self.node;
        Ok(match request {
            ConsensusRequest::InitChain(req) => {
                let app_hash = node.init_chain(
                    &req.chain_id,
                    req.initial_height.value(),
                    &req.app_state_bytes,
                )?;
                tracing::info!(chain_id = %req.chain_id, app_hash = %hex::encode(app_hash), "init chain");
                ConsensusResponse::InitChain(response::InitChain {
                    consensus_params: None,
                    validators: req.validators,
                    app_hash: app_hash.to_vec().try_into().unwrap_or_default(),
                })
            }
            ConsensusRequest::PrepareProposal(req) => {
                let height = req.height.value();
                let max = u64::try_from(req.max_tx_bytes).unwrap_or(0);
                let proposal = node.prepare_proposal(height, &req.txs, max)?;
                tracing::info!(
                    height,
                    candidates = req.txs.len(),
                    chosen = proposal.chosen.len(),
                    "prepared proposal"
                );
                let mut txs = Vec::with_capacity(proposal.chosen.len() + 1);
                txs.push(Bytes::from(proposal.commitment_tx));
                txs.extend(
                    proposal
                        .chosen
                        .into_iter()
                        .filter_map(|i| req.txs.get(i).cloned()),
                );
                ConsensusResponse::PrepareProposal(response::PrepareProposal { txs })
            }
            ConsensusRequest::ProcessProposal(req) => {
                let height = req.height.value();
                match node.process_proposal(height, &req.txs)? {
                    Ok(()) => ConsensusResponse::ProcessProposal(ProcessProposal::Accept),
                    Err(rejection) => {
                        tracing::warn!(height, proposer = %req.proposer_address, reason = %rejection, "rejected proposal");
                        ConsensusResponse::ProcessProposal(ProcessProposal::Reject)
                    }
                }
            }
            ConsensusRequest::ExtendVote(_) => {
                ConsensusResponse::ExtendVote(response::ExtendVote {
                    vote_extension: Bytes::new(),
                })
            }
            ConsensusRequest::VerifyVoteExtension(req) => {
                // Quire uses no vote extensions: only an empty one is valid.
                ConsensusResponse::VerifyVoteExtension(if req.vote_extension.is_empty() {
                    response::VerifyVoteExtension::Accept
                } else {
                    response::VerifyVoteExtension::Reject
                })
            }
            ConsensusRequest::FinalizeBlock(req) => {
                let height = req.height.value();
                let block = node.finalize_block(height, &req.txs)?;
                match &block.commitment {
                    Some(c) if !c.matches_blobs => tracing::error!(
                        height,
                        "decided block's commitment does not match its blobs: more than 1/3 of \
                         the voting power accepted an invalid proposal"
                    ),
                    None => tracing::error!(height, "decided block has no namespace commitment"),
                    Some(_) => {}
                }
                tracing::info!(
                    height,
                    txs = req.txs.len(),
                    blobs = block.blobs.len(),
                    app_hash = %hex::encode(block.app_hash),
                    "finalized block"
                );
                ConsensusResponse::FinalizeBlock(finalize_response(&block))
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

    fn mempool(&self, request: MempoolRequest) -> Result<MempoolResponse, NodeError> {
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

    fn info(&self, request: InfoRequest) -> Result<InfoResponse, NodeError> {
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
                    last_block_app_hash: last
                        .map(|l| l.app_hash.to_vec())
                        .unwrap_or_default()
                        .try_into()
                        .unwrap_or_default(),
                })
            }
            InfoRequest::Query(req) => InfoResponse::Query(match self.node.query(&req.path) {
                Ok((height, value)) => response::Query {
                    code: Code::Ok,
                    value: value.into(),
                    height: height.try_into().unwrap_or_default(),
                    ..Default::default()
                },
                Err(error) => response::Query {
                    code: Code::from(error.code()),
                    log: error.to_string(),
                    codespace: CODESPACE.to_string(),
                    ..Default::default()
                },
            }),
            InfoRequest::Echo(req) => InfoResponse::Echo(response::Echo {
                message: req.message,
            }),
        })
    }
}

/// The FinalizeBlock response: per-tx results with searchable events.
///
/// Events (all attributes indexed, so `tx_search "blob.namespace='…'"` works):
/// `tx {signer, sequence, fee}` and one `blob {namespace, signer, size, msg_index}`
/// per blob.
fn finalize_response(block: &FinalizedBlock) -> response::FinalizeBlock {
    // Blob tx indexes count the commitment (tx 0) when the block has one.
    let offset = usize::from(block.commitment.is_some());
    let mut blobs_by_tx: Vec<Vec<&quire_core::Blob>> = vec![Vec::new(); block.txs.len()];
    for blob in &block.blobs {
        let position = (blob.tx_index as usize).checked_sub(offset);
        if let Some(list) = position.and_then(|p| blobs_by_tx.get_mut(p)) {
            list.push(blob);
        }
    }
    let mut tx_results = Vec::with_capacity(block.txs.len() + offset);
    if let Some(commitment) = &block.commitment {
        tx_results.push(commitment_result(commitment));
    }
    tx_results.extend(block.txs.iter().zip(blobs_by_tx).map(
        |(outcome, blobs)| match &outcome.result {
            Ok(receipt) => ok_result(receipt, &blobs),
            Err(error) => error_result(error),
        },
    ));
    response::FinalizeBlock {
        events: Vec::new(),
        tx_results,
        validator_updates: Vec::new(),
        consensus_param_updates: None,
        app_hash: block.app_hash.to_vec().try_into().unwrap_or_default(),
    }
}

/// The commitment tx's result: event `commitment {namespaces}`.
fn commitment_result(commitment: &FinalizedCommitment) -> ExecTxResult {
    ExecTxResult {
        code: Code::Ok,
        events: vec![Event::new(
            "commitment",
            [("namespaces", commitment.leaves.len().to_string()).no_index()],
        )],
        ..Default::default()
    }
}

fn ok_result(receipt: &TxReceipt, blobs: &[&quire_core::Blob]) -> ExecTxResult {
    let signer = receipt.signer.to_bech32();
    let mut events = vec![Event::new(
        "tx",
        [
            ("signer", signer.clone()).index(),
            ("sequence", receipt.sequence.to_string()).index(),
            ("fee", receipt.fee.to_string()).no_index(),
        ],
    )];
    events.extend(blobs.iter().map(|blob| {
        Event::new(
            "blob",
            [
                ("namespace", blob.namespace.to_hex()).index(),
                ("signer", signer.clone()).index(),
                ("size", blob.data.len().to_string()).index(),
                ("msg_index", blob.msg_index.to_string()).no_index(),
            ],
        )
    }));
    ExecTxResult {
        code: Code::Ok,
        events,
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

impl Service<SnapshotRequest> for Abci {
    type Response = SnapshotResponse;
    type Error = BoxError;
    type Future = Ready<Result<SnapshotResponse, BoxError>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        Poll::Ready(Ok(()))
    }

    /// State sync is not offered: no snapshots, every offer refused.
    fn call(&mut self, request: SnapshotRequest) -> Self::Future {
        ready(Ok(match request {
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
        }))
    }
}

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
