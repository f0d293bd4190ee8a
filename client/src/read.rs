//! Reading a namespace from a node's read API (gRPC), verified: one height,
//! a range, or a resumable stream that catches up from history and then
//! follows new blocks.

use crate::verify::{VerifiedNamespace, Verifier, VerifyError};
use quire_core::Namespace;
use quire_proto::sequencer::v1 as pb;
use quire_proto::sequencer::v1::sequencer_service_client::SequencerServiceClient;
use std::time::Duration;
use thiserror::Error;
use tonic::transport::Channel;
use tonic::Code;

/// Largest message the client accepts (a block's blobs and proofs).
const MAX_MESSAGE_BYTES: usize = 1 << 30;

/// A failure reading from the read API.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ReadError {
    /// The endpoint URL is malformed or unreachable.
    #[error("cannot connect to {url}: {reason}")]
    Connect {
        /// The endpoint.
        url: String,
        /// Why.
        reason: String,
    },
    /// The server answered with an error status.
    #[error("read API error ({code:?}): {message}")]
    Status {
        /// gRPC code.
        code: Code,
        /// The server's message.
        message: String,
    },
    /// The data did not verify.
    #[error(transparent)]
    Verify(#[from] VerifyError),
    /// Waiting took too long.
    #[error("timed out after {0:?} waiting for height {1}")]
    Timeout(Duration, u64),
}

impl From<tonic::Status> for ReadError {
    fn from(status: tonic::Status) -> Self {
        ReadError::Status {
            code: status.code(),
            message: status.message().to_string(),
        }
    }
}

/// A client of one node's gRPC read API (unverified responses).
#[derive(Clone)]
pub struct ReadClient {
    inner: SequencerServiceClient<Channel>,
}

impl ReadClient {
    /// Connects to `url`, e.g. `http://127.0.0.1:9190`.
    pub async fn connect(url: &str) -> Result<Self, ReadError> {
        let connect = |reason: String| ReadError::Connect {
            url: url.to_string(),
            reason,
        };
        let endpoint = Channel::from_shared(url.to_string())
            .map_err(|e| connect(e.to_string()))?
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(60));
        let channel = endpoint
            .connect()
            .await
            .map_err(|e| connect(e.to_string()))?;
        Ok(ReadClient {
            inner: SequencerServiceClient::new(channel)
                .max_decoding_message_size(MAX_MESSAGE_BYTES)
                .max_encoding_message_size(MAX_MESSAGE_BYTES),
        })
    }

    /// The latest height the node serves.
    pub async fn latest_height(&self) -> Result<u64, ReadError> {
        Ok(self
            .inner
            .clone()
            .get_latest_height(pb::GetLatestHeightRequest {})
            .await?
            .into_inner()
            .height)
    }

    /// One namespace at one height, as the server sent it.
    pub async fn namespace(
        &self,
        height: u64,
        namespace: &Namespace,
    ) -> Result<pb::NamespaceData, ReadError> {
        let request = pb::GetNamespaceDataRequest {
            height,
            namespace: namespace.as_bytes().to_vec(),
        };
        Ok(self
            .inner
            .clone()
            .get_namespace_data(request)
            .await?
            .into_inner())
    }

    /// One page of a range.
    pub async fn range_page(
        &self,
        namespace: &Namespace,
        from: u64,
        to: u64,
    ) -> Result<pb::GetNamespaceRangeResponse, ReadError> {
        let request = pb::GetNamespaceRangeRequest {
            namespace: namespace.as_bytes().to_vec(),
            from_height: from,
            to_height: to,
        };
        Ok(self
            .inner
            .clone()
            .get_namespace_range(request)
            .await?
            .into_inner())
    }

    /// A whole block.
    pub async fn block(&self, height: u64) -> Result<pb::BlockData, ReadError> {
        Ok(self
            .inner
            .clone()
            .get_block(pb::GetBlockRequest { height })
            .await?
            .into_inner())
    }

    /// The signed header and validator sets of `height` (a light block).
    pub async fn light_block(&self, height: u64) -> Result<pb::Attestation, ReadError> {
        Ok(self
            .inner
            .clone()
            .get_light_block(pb::GetLightBlockRequest { height })
            .await?
            .into_inner())
    }

    /// How the chain is anchored on its L1 (a failed-precondition status
    /// if it is not).
    pub async fn l1_info(&self) -> Result<pb::L1Info, ReadError> {
        Ok(self
            .inner
            .clone()
            .get_l1_info(pb::GetL1InfoRequest {})
            .await?
            .into_inner())
    }

    /// The signed checkpoint of `height` (0: the latest attested), or of
    /// the first set rotation in `(rotation_after, height]` when
    /// `rotation_after` is given. Unverified: check the signatures.
    pub async fn checkpoint(
        &self,
        height: u64,
        rotation_after: Option<u64>,
    ) -> Result<pb::SignedCheckpoint, ReadError> {
        Ok(self
            .inner
            .clone()
            .get_checkpoint(pb::GetCheckpointRequest {
                height,
                rotation_after,
            })
            .await?
            .into_inner())
    }

    /// The proof of `height` in the history of `size` heights. Unverified.
    pub async fn history_proof(
        &self,
        height: u64,
        size: u64,
    ) -> Result<pb::HistoryProof, ReadError> {
        Ok(self
            .inner
            .clone()
            .get_history_proof(pb::GetHistoryProofRequest { height, size })
            .await?
            .into_inner())
    }

    /// The raw stream of `namespace` from `from`.
    pub async fn stream(
        &self,
        namespace: &Namespace,
        from: u64,
    ) -> Result<tonic::Streaming<pb::NamespaceData>, ReadError> {
        let request = pb::StreamNamespaceRequest {
            namespace: namespace.as_bytes().to_vec(),
            from_height: from,
        };
        Ok(self
            .inner
            .clone()
            .stream_namespace(request)
            .await?
            .into_inner())
    }
}

/// Where light blocks come from (the read API's `GetLightBlock`, or a test's
/// generated chain).
pub trait LightBlockSource {
    /// The signed header and validator sets of `height`.
    fn light_block(
        &self,
        height: u64,
    ) -> impl std::future::Future<Output = Result<pb::Attestation, ReadError>> + Send;
}

impl LightBlockSource for ReadClient {
    async fn light_block(&self, height: u64) -> Result<pb::Attestation, ReadError> {
        ReadClient::light_block(self, height).await
    }
}

/// Moves `verifier`'s trust anchor to `target` by skipping verification: the
/// light block of `target` is verified directly if validators holding at
/// least 1/3 of the trusted power signed it; otherwise the height halfway is
/// verified first, recursively (bisection), so a far height is reached
/// through any number of validator-set changes with `O(log distance)` light
/// blocks when the set changes slowly. Returns how many light blocks were
/// verified. Safe only within the trusting period, which must be shorter
/// than the chain's unbonding time (docs/read-api.md).
pub async fn skip_to(
    verifier: &mut Verifier,
    source: &impl LightBlockSource,
    target: u64,
) -> Result<usize, ReadError> {
    let mut pending = vec![target];
    let mut verified = 0;
    while let Some(&height) = pending.last() {
        let anchor = verifier.trusted_height();
        if height <= anchor {
            pending.pop();
            continue;
        }
        let block = source.light_block(height).await?;
        match verifier.verify_light_block(&block, height) {
            Ok(()) => {
                verified += 1;
                pending.pop();
            }
            Err(VerifyError::NotEnoughTrust { .. }) if height > anchor + 1 => {
                pending.push(anchor + (height - anchor) / 2);
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(verified)
}

/// Reads and verifies: every answer is checked with a [`Verifier`] before it
/// is returned.
pub struct VerifiedReader {
    client: ReadClient,
    verifier: Verifier,
}

impl VerifiedReader {
    /// Verifies what `client` returns against `verifier`'s trust.
    pub fn new(client: ReadClient, verifier: Verifier) -> Self {
        VerifiedReader { client, verifier }
    }

    /// The underlying client.
    pub fn client(&self) -> &ReadClient {
        &self.client
    }

    /// The verifier (e.g. to check its trusted height).
    pub fn verifier(&self) -> &Verifier {
        &self.verifier
    }

    /// Moves the trust anchor to `target` by skipping verification (see
    /// [`skip_to`]) over this reader's light blocks. Returns how many light
    /// blocks were verified.
    pub async fn skip_to(&mut self, target: u64) -> Result<usize, ReadError> {
        skip_to(&mut self.verifier, &self.client, target).await
    }

    /// One namespace at one height, verified (by skipping from the trusted
    /// height if it is far: [`skip_to`](Self::skip_to)). Waits up to `wait`
    /// for the height to be served.
    pub async fn fetch(
        &mut self,
        height: u64,
        namespace: &Namespace,
        wait: Duration,
    ) -> Result<VerifiedNamespace, ReadError> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            match self.client.namespace(height, namespace).await {
                Ok(data) => match self.verifier.verify(&data, height, namespace) {
                    Err(VerifyError::NotEnoughTrust { .. }) => {
                        self.skip_to(height).await?;
                        return Ok(self.verifier.verify(&data, height, namespace)?);
                    }
                    result => return Ok(result?),
                },
                Err(ReadError::Status {
                    code: Code::OutOfRange,
                    ..
                }) if tokio::time::Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                Err(ReadError::Status {
                    code: Code::OutOfRange,
                    ..
                }) => return Err(ReadError::Timeout(wait, height)),
                Err(other) => return Err(other),
            }
        }
    }

    /// Heights `from..=to` of `namespace`, verified, following the server's pages.
    pub async fn range(
        &mut self,
        namespace: &Namespace,
        from: u64,
        to: u64,
    ) -> Result<Vec<VerifiedNamespace>, ReadError> {
        let mut out = Vec::new();
        let mut next = from;
        while next != 0 && next <= to {
            let page = self.client.range_page(namespace, next, to).await?;
            if page.items.is_empty() {
                break;
            }
            for item in &page.items {
                out.push(self.verifier.verify(item, next, namespace)?);
                next += 1;
            }
            if page.next_height != 0 && page.next_height != next {
                return Err(ReadError::Status {
                    code: Code::Internal,
                    message: format!("server skipped from {next} to {}", page.next_height),
                });
            }
            next = page.next_height;
        }
        Ok(out)
    }

    /// Follows `namespace` from `from` on. See [`Follower`].
    pub fn follow(self, namespace: Namespace, from: u64) -> Follower {
        Follower {
            reader: self,
            namespace,
            next_height: from,
            stream: None,
            retry: Duration::from_millis(200),
        }
    }
}

/// A resumable, verified stream of one namespace: history first, then every
/// new block. If the connection or the server's stream ends, it reconnects and
/// resumes from the next height it has not returned; it never skips a height.
pub struct Follower {
    reader: VerifiedReader,
    namespace: Namespace,
    next_height: u64,
    stream: Option<tonic::Streaming<pb::NamespaceData>>,
    retry: Duration,
}

impl Follower {
    /// The next height this follower will return.
    pub fn next_height(&self) -> u64 {
        self.next_height
    }

    /// The next height's verified data. Transport errors and stream ends are
    /// retried (with backoff up to 5 s); a verification failure is returned.
    pub async fn next(&mut self) -> Result<VerifiedNamespace, ReadError> {
        loop {
            let stream = match &mut self.stream {
                Some(stream) => stream,
                None => match self
                    .reader
                    .client
                    .stream(&self.namespace, self.next_height)
                    .await
                {
                    Ok(stream) => self.stream.insert(stream),
                    Err(e) if retryable(&e) => {
                        self.back_off().await;
                        continue;
                    }
                    Err(e) => return Err(e),
                },
            };
            match stream.message().await {
                Ok(Some(data)) => {
                    let verified =
                        self.reader
                            .verifier
                            .verify(&data, self.next_height, &self.namespace)?;
                    self.next_height += 1;
                    self.retry = Duration::from_millis(200);
                    return Ok(verified);
                }
                Ok(None) => self.stream = None,
                Err(status) => {
                    let error = ReadError::from(status);
                    if !retryable(&error) {
                        return Err(error);
                    }
                    self.stream = None;
                    self.back_off().await;
                }
            }
        }
    }

    async fn back_off(&mut self) {
        tokio::time::sleep(self.retry).await;
        self.retry = (self.retry * 2).min(Duration::from_secs(5));
    }
}

fn retryable(error: &ReadError) -> bool {
    match error {
        ReadError::Status { code, .. } => matches!(
            code,
            Code::Unavailable
                | Code::ResourceExhausted
                | Code::DeadlineExceeded
                | Code::Aborted
                | Code::Unknown
        ),
        ReadError::Connect { .. } => true,
        _ => false,
    }
}
