//! The read API: rollups fetch their namespace at a height, over a range, as a
//! resumable stream, or a whole block — each with the proofs and the consensus
//! attestation a client needs to verify it without trusting this node.
//!
//! [`ReadApi`] holds the logic; [`grpc`] and [`http`] are two transports with
//! the same message shapes (`quire.sequencer.v1`).
//!
//! A height is served as soon as it is committed: CometBFT stores a block
//! with the commit it has seen for it (+2/3 of precommits) before the app
//! commits it, and the next height's validator set a block earlier, so the
//! attestation is complete at once. It carries that seen commit until the
//! next block brings the canonical one, which replaces it
//! ([`attestation::AttestationSource`]); both verify alike.

pub mod annotate;
pub mod attestation;
pub mod encryption;
pub mod explorer;
pub mod grpc;
pub mod http;
pub mod l1;

use attestation::AttestationSource;
use quire_core::commitment::{NamespaceProof, NamespaceTree};
use quire_core::proto::{blob_to_raw, Protobuf};
use quire_core::Namespace;
use quire_proto::sequencer::v1 as pb;
use quire_store::Store;
use std::sync::Arc;
use std::time::Duration;
use thiserror::Error;
use tokio::sync::watch;

/// Limits of the read API (see docs/configuration.md).
#[derive(Debug, Clone, Copy)]
pub struct ApiLimits {
    /// Most heights one range request returns.
    pub max_range: u64,
    /// Most bytes of blob data one range or block response carries.
    pub max_response_bytes: u64,
    /// Per-request timeout.
    pub request_timeout: Duration,
    /// Most concurrent streams.
    pub max_streams: usize,
}

/// Why a read request failed; each maps to a gRPC status and an HTTP status.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ApiError {
    /// A malformed request (bad namespace, zero height, inverted range...).
    #[error("{0}")]
    InvalidArgument(String),
    /// The height is not served yet.
    #[error("height {requested} is not available yet; the latest served height is {latest}")]
    NotYetAvailable {
        /// Asked for.
        requested: u64,
        /// Latest served.
        latest: u64,
    },
    /// The height is below the first one this node has.
    #[error("height {0} is not stored on this node")]
    NotFound(u64),
    /// CometBFT's RPC did not answer.
    #[error("CometBFT RPC unavailable: {0}")]
    Unavailable(String),
    /// Too many concurrent streams.
    #[error("too many concurrent streams (limit {0}); retry later")]
    TooManyStreams(usize),
    /// The request took longer than the timeout.
    #[error("request timed out after {0:?}")]
    Timeout(Duration),
    /// The chain is not anchored on an L1: it has no checkpoints.
    #[error("this chain is not anchored on an L1")]
    NotAnchored,
    /// The chain has no blind ordering (no encryption key at genesis).
    #[error("this chain has no encrypted blobs (no encryption key in its genesis)")]
    NoEncryption,
    /// Local storage failed.
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<quire_store::StoreError> for ApiError {
    fn from(e: quire_store::StoreError) -> Self {
        ApiError::Internal(e.to_string())
    }
}

/// Parses a namespace from request bytes.
pub fn parse_namespace(bytes: &[u8]) -> Result<Namespace, ApiError> {
    Namespace::from_slice(bytes).map_err(|e| ApiError::InvalidArgument(e.to_string()))
}

/// The namespace tree of the block at `height`, rebuilt from the stored leaves.
/// Also returns the block's commitment tx as a partial attestation (commitment
/// tx and its data-hash proof; the consensus fields are filled by the caller).
fn stored_tree(store: &Store, height: u64) -> Result<(NamespaceTree, pb::Attestation), ApiError> {
    let (commitment_tx, tx_proof) = store
        .commitment(height)?
        .ok_or(ApiError::NotFound(height))?;
    let tree = NamespaceTree::from_leaves(height, store.namespace_leaves(height)?);
    let attestation = pb::Attestation {
        commitment_tx,
        commitment_tx_proof: Some(tx_proof.to_raw()),
        ..Default::default()
    };
    Ok((tree, attestation))
}

/// One namespace at a committed height from the store alone: blobs, namespace
/// proof, and the commitment tx with its data-hash proof. The consensus part
/// of the attestation (signed header, validator sets) is left empty: it comes
/// from CometBFT. Also served by ABCI Query (`/namespace/{height}/{namespace}`).
pub fn proven_namespace(
    store: &Store,
    height: u64,
    namespace: Namespace,
) -> Result<pb::NamespaceData, ApiError> {
    let (tree, attestation) = stored_tree(store, height)?;
    let proof = tree.prove(&namespace);
    let blobs = match proof {
        NamespaceProof::Inclusion { .. } => store.blobs(height, &namespace)?,
        NamespaceProof::Absence(_) => Vec::new(),
    };
    Ok(pb::NamespaceData {
        height,
        namespace: namespace.as_bytes().to_vec(),
        blobs: blobs.into_iter().map(blob_to_raw).collect(),
        proof: Some(proof.to_raw()),
        attestation: Some(attestation),
    })
}

/// The read API over one node's store and CometBFT.
pub struct ReadApi {
    store: Arc<Store>,
    attestations: AttestationSource,
    committed: watch::Receiver<u64>,
    limits: ApiLimits,
    streams: Arc<tokio::sync::Semaphore>,
    /// The Cosmos services, served beside the read API over gRPC and REST.
    cosmos: Option<crate::cosmos::CosmosServices>,
}

impl ReadApi {
    /// A read API over `store`, following `committed` (the last committed
    /// height), fetching headers from CometBFT at `cometbft_rpc`.
    pub fn new(
        store: Arc<Store>,
        cometbft_rpc: &str,
        committed: watch::Receiver<u64>,
        limits: ApiLimits,
    ) -> Result<Self, ApiError> {
        let attestations =
            AttestationSource::new(cometbft_rpc, limits.request_timeout)?.with_store(store.clone());
        Ok(ReadApi {
            store,
            attestations,
            committed,
            limits,
            streams: Arc::new(tokio::sync::Semaphore::new(limits.max_streams)),
            cosmos: None,
        })
    }

    /// Also serves the Cosmos services (auth, bank, tx, base tendermint,
    /// node) over gRPC and REST, answered by `services` (see
    /// [`crate::cosmos`]).
    pub fn with_cosmos(mut self, services: crate::cosmos::CosmosServices) -> Self {
        self.cosmos = Some(services);
        self
    }

    /// The Cosmos services' answers, when they are served.
    pub fn cosmos(&self) -> Option<crate::cosmos::CosmosServices> {
        self.cosmos.clone()
    }

    /// Streaming requests open now.
    pub fn open_streams(&self) -> usize {
        self.limits
            .max_streams
            .saturating_sub(self.streams.available_permits())
    }

    /// The limits in force.
    pub fn limits(&self) -> ApiLimits {
        self.limits
    }

    /// The latest height served: the last committed one.
    pub fn latest_height(&self) -> u64 {
        *self.committed.borrow()
    }

    fn check_height(&self, height: u64) -> Result<(), ApiError> {
        if height == 0 {
            return Err(ApiError::InvalidArgument(
                "height must be at least 1".into(),
            ));
        }
        let latest = self.latest_height();
        if height > latest {
            return Err(ApiError::NotYetAvailable {
                requested: height,
                latest,
            });
        }
        Ok(())
    }

    /// The signed header of `height` and the validator sets of `height` and
    /// `height + 1`, for light clients (an attestation without the
    /// commitment part). Served for every height CometBFT keeps.
    pub async fn light_block(&self, height: u64) -> Result<pb::Attestation, ApiError> {
        self.check_height(height)?;
        let mut attestation = pb::Attestation::default();
        self.attestations.fill(height, &mut attestation).await?;
        Ok(attestation)
    }

    /// One namespace at one height, with proof and attestation.
    pub async fn namespace_data(
        &self,
        height: u64,
        namespace: Namespace,
    ) -> Result<pb::NamespaceData, ApiError> {
        self.check_height(height)?;
        let mut data = proven_namespace(&self.store, height, namespace)?;
        if let Some(attestation) = data.attestation.as_mut() {
            self.attestations.fill(height, attestation).await?;
        }
        Ok(data)
    }

    /// One namespace over `from..=to`, at most `max_range` heights and about
    /// `max_response_bytes` of blobs; `next_height` says where to continue.
    pub async fn namespace_range(
        &self,
        namespace: Namespace,
        from: u64,
        to: u64,
    ) -> Result<pb::GetNamespaceRangeResponse, ApiError> {
        if from == 0 {
            return Err(ApiError::InvalidArgument(
                "from_height must be at least 1".into(),
            ));
        }
        if to < from {
            return Err(ApiError::InvalidArgument(format!(
                "to_height {to} is below from_height {from}"
            )));
        }
        self.check_height(from)?;
        let last = to
            .min(self.latest_height())
            .min(from.saturating_add(self.limits.max_range - 1));
        let mut items = Vec::new();
        let mut bytes: u64 = 0;
        let mut height = from;
        while height <= last {
            let item = match self.namespace_data(height, namespace).await {
                // The newest height, not attestable yet: the range ends
                // before it (next_height says to ask again).
                Err(ApiError::NotYetAvailable { .. }) if !items.is_empty() => break,
                other => other?,
            };
            bytes += item.blobs.iter().map(|b| b.data.len() as u64).sum::<u64>();
            items.push(item);
            height += 1;
            if bytes >= self.limits.max_response_bytes {
                break;
            }
        }
        let next_height = if height > to { 0 } else { height };
        Ok(pb::GetNamespaceRangeResponse { items, next_height })
    }

    /// A whole block: every namespace with its inclusion proof.
    pub async fn block(&self, height: u64) -> Result<pb::BlockData, ApiError> {
        self.check_height(height)?;
        let (tree, mut attestation) = stored_tree(&self.store, height)?;
        let all = self.store.block_blobs(height)?;
        let total: u64 = all.iter().map(|b| b.data.len() as u64).sum();
        if total > self.limits.max_response_bytes {
            return Err(ApiError::InvalidArgument(format!(
                "block {height} carries {total} bytes of blobs, over this node's response limit of {}; \
                 read it namespace by namespace",
                self.limits.max_response_bytes
            )));
        }
        let mut by_namespace: std::collections::BTreeMap<Namespace, Vec<quire_core::Blob>> =
            Default::default();
        for blob in all {
            by_namespace.entry(blob.namespace).or_default().push(blob);
        }
        let namespaces = tree
            .leaves()
            .iter()
            .map(|leaf| pb::NamespaceData {
                height,
                namespace: leaf.namespace.as_bytes().to_vec(),
                blobs: by_namespace
                    .remove(&leaf.namespace)
                    .unwrap_or_default()
                    .into_iter()
                    .map(blob_to_raw)
                    .collect(),
                proof: Some(tree.prove(&leaf.namespace).to_raw()),
                attestation: None,
            })
            .collect();
        self.attestations.fill(height, &mut attestation).await?;
        Ok(pb::BlockData {
            height,
            namespaces,
            attestation: Some(attestation),
        })
    }

    /// How the chain is anchored on its L1.
    pub fn l1_info(&self) -> Result<pb::L1Info, ApiError> {
        l1::info(&self.store.state()?, *self.committed.borrow())
    }

    /// Blind ordering's epoch key and rules.
    pub fn encryption(&self) -> Result<pb::EncryptionInfo, ApiError> {
        encryption::info(&self.store.state()?, *self.committed.borrow())
    }

    /// What the reveal at `height` resolved.
    pub fn reveal_record(&self, height: u64) -> Result<pb::RevealRecord, ApiError> {
        encryption::reveal_record(&self.store.state()?, *self.committed.borrow(), height)
    }

    /// A signed checkpoint (see [`l1::signed_checkpoint`]).
    pub fn checkpoint(
        &self,
        height: u64,
        rotation_after: Option<u64>,
    ) -> Result<pb::SignedCheckpoint, ApiError> {
        let committed = *self.committed.borrow();
        l1::signed_checkpoint(&self.store.state()?, committed, height, rotation_after)
    }

    /// A height's proof in the history of `size` heights.
    pub fn history_proof(&self, height: u64, size: u64) -> Result<pb::HistoryProof, ApiError> {
        let committed = *self.committed.borrow();
        l1::history_proof(&self.store.state()?, committed, height, size)
    }

    /// Streams `namespace` from `from` on: each height as soon as it is served.
    /// Items go into a bounded channel, so a slow reader slows the stream
    /// instead of being dropped. Ends (with the error) only if a height cannot
    /// be served; the reader resumes from its last height + 1.
    pub fn stream(
        self: &Arc<Self>,
        namespace: Namespace,
        from: u64,
    ) -> Result<tokio::sync::mpsc::Receiver<Result<pb::NamespaceData, ApiError>>, ApiError> {
        if from == 0 {
            return Err(ApiError::InvalidArgument(
                "from_height must be at least 1".into(),
            ));
        }
        let permit = self
            .streams
            .clone()
            .try_acquire_owned()
            .map_err(|_| ApiError::TooManyStreams(self.limits.max_streams))?;
        let (sender, receiver) = tokio::sync::mpsc::channel(16);
        let api = self.clone();
        tokio::spawn(async move {
            let _permit = permit;
            let mut committed = api.committed.clone();
            let mut height = from;
            loop {
                while height > api.latest_height() {
                    tokio::select! {
                        changed = committed.changed() => if changed.is_err() { return },
                        _ = sender.closed() => return,
                    }
                }
                let item = match api.namespace_data(height, namespace).await {
                    // Committed but not attestable yet (CometBFT is block
                    // syncing): wait for the next commit and ask again.
                    Err(ApiError::NotYetAvailable { .. }) => {
                        tokio::select! {
                            changed = committed.changed() => if changed.is_err() { return },
                            _ = sender.closed() => return,
                        }
                        continue;
                    }
                    other => other,
                };
                let failed = item.is_err();
                if sender.send(item).await.is_err() || failed {
                    return;
                }
                height += 1;
            }
        });
        Ok(receiver)
    }
}

/// Starts the gRPC and HTTP servers (an empty address disables one). Their
/// failure to bind is reported at once; a later failure is logged.
pub fn spawn_servers(api: Arc<ReadApi>, grpc_addr: &str, http_addr: &str) -> anyhow::Result<()> {
    use anyhow::Context;
    if !grpc_addr.is_empty() {
        let addr: std::net::SocketAddr = grpc_addr
            .parse()
            .with_context(|| format!("grpc_addr {grpc_addr:?} is not ip:port"))?;
        let api = api.clone();
        tokio::spawn(async move {
            if let Err(error) = grpc::serve(api, addr).await {
                tracing::error!(%addr, %error, "gRPC read API stopped");
            }
        });
    }
    if !http_addr.is_empty() {
        let addr: std::net::SocketAddr = http_addr
            .parse()
            .with_context(|| format!("http_addr {http_addr:?} is not ip:port"))?;
        // Bind now so that a taken port fails the start, not a background task.
        let listener = std::net::TcpListener::bind(addr)
            .with_context(|| format!("cannot listen on {addr}"))?;
        listener.set_nonblocking(true)?;
        let listener = tokio::net::TcpListener::from_std(listener)?;
        tokio::spawn(async move {
            tracing::info!(%addr, "HTTP read API listening");
            if let Err(error) = axum::serve(listener, http::router(api)).await {
                tracing::error!(%addr, %error, "HTTP read API stopped");
            }
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::node::Node;
    use quire_app::{BlockContext, GenesisAccount, GenesisState};
    use quire_core::builder::{address_of, sign_tx, SignerContext};
    use quire_core::commitment::NamespaceCommitment;
    use quire_core::proto::Protobuf;
    use quire_core::{Msg, Params};

    fn key() -> cosmrs::crypto::secp256k1::SigningKey {
        cosmrs::crypto::secp256k1::SigningKey::from_slice(&[6; 32]).unwrap()
    }

    /// A node at height 2: block 1 with blobs for `a` (two) and `c`, block 2
    /// empty.
    fn node(dir: &std::path::Path) -> Node {
        let node = Node::new(Store::open(&dir.join("q.redb")).unwrap()).unwrap();
        let genesis = GenesisState {
            staking: Default::default(),
            l1: None,
            encryption: None,
            params: Params::default(),
            accounts: vec![GenesisAccount {
                address: address_of(&key()).to_bech32(),
                balance: 1_000_000_000,
            }],
        };
        node.init_chain("api-test", 1, &serde_json::to_vec(&genesis).unwrap())
            .unwrap();
        let context = SignerContext {
            chain_id: "api-test".into(),
            account_number: 0,
            sequence: 0,
            fee_denom: "uquire".into(),
            fee: 100_000,
            timeout_height: 0,
            memo: String::new(),
        };
        let tx = sign_tx(
            &key(),
            &context,
            &[
                Msg::submit_blob(Namespace::from_rollup_name("a"), b"a1".to_vec()),
                Msg::submit_blob(Namespace::from_rollup_name("c"), b"c1".to_vec()),
                Msg::submit_blob(Namespace::from_rollup_name("a"), b"a2".to_vec()),
            ],
        )
        .unwrap();
        let ctx = BlockContext::at_height(1);
        let block = node
            .prepare_proposal(&ctx, std::slice::from_ref(&tx), 1 << 20)
            .unwrap()
            .txs(std::slice::from_ref(&tx));
        node.finalize_block(&ctx, &block).unwrap();
        node.commit().unwrap();
        let empty = node
            .prepare_proposal(&BlockContext::at_height(2), &[] as &[Vec<u8>], 1 << 20)
            .unwrap()
            .txs(&[] as &[Vec<u8>]);
        node.finalize_block(&BlockContext::at_height(2), &empty)
            .unwrap();
        node.commit().unwrap();
        node
    }

    fn verify(data: &pb::NamespaceData, namespace: &Namespace) -> Vec<Vec<u8>> {
        let attestation = data.attestation.as_ref().unwrap();
        let commitment = NamespaceCommitment::decode(&attestation.commitment_tx).unwrap();
        let proof = NamespaceProof::try_from_raw(data.proof.as_ref().unwrap()).unwrap();
        let blobs: Vec<(quire_core::Address, &[u8])> = data
            .blobs
            .iter()
            .map(|b| {
                (
                    quire_core::proto::blob_signer(b).unwrap(),
                    b.data.as_slice(),
                )
            })
            .collect();
        proof.verify(&commitment, namespace, &blobs).unwrap();
        data.blobs.iter().map(|b| b.data.clone()).collect()
    }

    #[test]
    fn stored_namespaces_come_with_proofs_that_verify() {
        let dir = tempfile::tempdir().unwrap();
        let node = node(dir.path());
        let store = node.store();
        let a = Namespace::from_rollup_name("a");
        let present = proven_namespace(&store, 1, a).unwrap();
        assert_eq!(verify(&present, &a), vec![b"a1".to_vec(), b"a2".to_vec()]);
        // Absent in a block with blobs, and in an empty block.
        let b = Namespace::from_rollup_name("b");
        assert!(verify(&proven_namespace(&store, 1, b).unwrap(), &b).is_empty());
        assert!(verify(&proven_namespace(&store, 2, a).unwrap(), &a).is_empty());
        // A height the store does not have.
        assert!(matches!(
            proven_namespace(&store, 9, a),
            Err(ApiError::NotFound(9))
        ));
        assert!(matches!(
            parse_namespace(&[1, 2, 3]),
            Err(ApiError::InvalidArgument(_))
        ));
    }

    #[test]
    fn errors_map_to_distinct_grpc_and_http_statuses() {
        use axum::response::IntoResponse;
        let errors = || {
            vec![
                ApiError::InvalidArgument("x".into()),
                ApiError::NotYetAvailable {
                    requested: 2,
                    latest: 1,
                },
                ApiError::NotFound(1),
                ApiError::Unavailable("x".into()),
                ApiError::TooManyStreams(1),
                ApiError::Timeout(Duration::from_secs(1)),
                ApiError::Internal("x".into()),
            ]
        };
        let grpc: Vec<tonic::Code> = errors()
            .into_iter()
            .map(|e| tonic::Status::from(e).code())
            .collect();
        assert_eq!(
            grpc,
            vec![
                tonic::Code::InvalidArgument,
                tonic::Code::OutOfRange,
                tonic::Code::NotFound,
                tonic::Code::Unavailable,
                tonic::Code::ResourceExhausted,
                tonic::Code::DeadlineExceeded,
                tonic::Code::Internal,
            ]
        );
        let http: Vec<u16> = errors()
            .into_iter()
            .map(|e| e.into_response().status().as_u16())
            .collect();
        assert_eq!(http, vec![400, 404, 404, 503, 429, 504, 500]);
    }

    #[tokio::test]
    async fn heights_are_served_once_committed() {
        let dir = tempfile::tempdir().unwrap();
        let node = node(dir.path());
        let limits = ApiLimits {
            max_range: 10,
            max_response_bytes: 1 << 20,
            request_timeout: Duration::from_secs(1),
            max_streams: 1,
        };
        let api = ReadApi::new(
            node.store(),
            "http://127.0.0.1:1",
            node.subscribe_commits(),
            limits,
        )
        .unwrap();
        // Two heights are committed: both are served, the third is not yet.
        assert_eq!(api.latest_height(), 2);
        let a = Namespace::from_rollup_name("a");
        assert!(matches!(
            api.namespace_data(3, a).await,
            Err(ApiError::NotYetAvailable {
                requested: 3,
                latest: 2
            })
        ));
        assert!(matches!(
            api.namespace_data(0, a).await,
            Err(ApiError::InvalidArgument(_))
        ));
        assert!(matches!(
            api.namespace_range(a, 3, 2).await,
            Err(ApiError::InvalidArgument(_))
        ));
        // Heights 1 and 2 are served, but their signed headers come from
        // CometBFT, which is not running: a clear "unavailable", not a hang
        // (and not "not yet available": an outage is not a wait).
        for height in [1, 2] {
            assert!(matches!(
                api.namespace_data(height, a).await,
                Err(ApiError::Unavailable(_))
            ));
        }
    }
}
