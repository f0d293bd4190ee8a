//! Talking to a Quire node through CometBFT's RPC: broadcast transactions,
//! query accounts, params and blobs, wait for inclusion.

use prost::Message;
use quire_core::{Address, Namespace, Params};
use quire_proto::blob::v1::{QueryAccountResponse, QueryBlobsResponse, QueryParamsResponse};
use std::time::Duration;
use tendermint::Hash;
use tendermint_rpc::{Client, HttpClient, HttpClientUrl};
use thiserror::Error;

/// Query code for "not found" (see quired's query module).
pub const QUERY_NOT_FOUND: u32 = 32;

/// A failure talking to a node.
#[derive(Debug, Error)]
pub enum ClientError {
    /// The node URL is malformed.
    #[error("bad node URL {url:?}: {reason}")]
    BadUrl {
        /// The URL.
        url: String,
        /// Why.
        reason: String,
    },
    /// The RPC call failed (connection refused, timeout, HTTP error...).
    #[error("RPC {call} to {url} failed: {reason}")]
    Rpc {
        /// Which call.
        call: &'static str,
        /// The node.
        url: String,
        /// Why.
        reason: String,
    },
    /// The app answered a query with an error code.
    #[error("query {path} failed with code {code} ({codespace}): {log}")]
    Query {
        /// Path asked.
        path: String,
        /// ABCI code.
        code: u32,
        /// Codespace.
        codespace: String,
        /// The app's explanation.
        log: String,
    },
    /// An answer that does not decode.
    #[error("malformed answer to {0}: {1}")]
    Malformed(&'static str, String),
    /// Waiting for something took too long.
    #[error("timed out after {0:?} waiting for {1}")]
    Timeout(Duration, String),
}

/// What CheckTx said about a broadcast transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BroadcastResult {
    /// Tx hash (hex, upper case, as CometBFT prints it).
    pub hash: String,
    /// 0 when accepted into the mempool.
    pub code: u32,
    /// Codespace of a refusal.
    pub codespace: String,
    /// The app's explanation of a refusal.
    pub log: String,
}

impl BroadcastResult {
    /// Whether the mempool accepted the transaction.
    pub fn accepted(&self) -> bool {
        self.code == 0
    }
}

/// A committed transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommittedTx {
    /// Block height.
    pub height: u64,
    /// Position in the block.
    pub index: u32,
    /// 0 on success.
    pub code: u32,
    /// Explanation of a failure.
    pub log: String,
}

/// A client for one node's CometBFT RPC.
#[derive(Clone)]
pub struct NodeClient {
    rpc: HttpClient,
    url: String,
}

impl NodeClient {
    /// A client for the node at `url` (e.g. `http://127.0.0.1:26657`), with a
    /// 30 s per-request timeout.
    pub fn new(url: &str) -> Result<Self, ClientError> {
        let bad = |reason: String| ClientError::BadUrl {
            url: url.to_string(),
            reason,
        };
        let parsed: HttpClientUrl = url
            .parse()
            .map_err(|e: tendermint_rpc::Error| bad(e.to_string()))?;
        let rpc = HttpClient::builder(parsed)
            .timeout(Duration::from_secs(30))
            .build()
            .map_err(|e| bad(e.to_string()))?;
        Ok(NodeClient {
            rpc,
            url: url.to_string(),
        })
    }

    /// The node's URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    fn rpc_error(&self, call: &'static str, e: impl std::fmt::Display) -> ClientError {
        ClientError::Rpc {
            call,
            url: self.url.clone(),
            reason: e.to_string(),
        }
    }

    /// The underlying CometBFT RPC client.
    pub fn rpc(&self) -> &HttpClient {
        &self.rpc
    }

    /// The chain id and the latest block height.
    pub async fn status(&self) -> Result<(String, u64), ClientError> {
        let status = self
            .rpc
            .status()
            .await
            .map_err(|e| self.rpc_error("status", e))?;
        Ok((
            status.node_info.network.to_string(),
            status.sync_info.latest_block_height.value(),
        ))
    }

    async fn query(&self, path: String) -> Result<Option<Vec<u8>>, ClientError> {
        let answer = self
            .rpc
            .abci_query(Some(path.clone()), Vec::new(), None, false)
            .await
            .map_err(|e| self.rpc_error("abci_query", e))?;
        let code = answer.code.value();
        if code == QUERY_NOT_FOUND {
            return Ok(None);
        }
        if code != 0 {
            return Err(ClientError::Query {
                path,
                code,
                codespace: answer.codespace,
                log: answer.log,
            });
        }
        Ok(Some(answer.value))
    }

    /// The account at `address`, or `None` if it does not exist.
    pub async fn account(
        &self,
        address: &Address,
    ) -> Result<Option<QueryAccountResponse>, ClientError> {
        match self.query(format!("/account/{address}")).await? {
            None => Ok(None),
            Some(bytes) => QueryAccountResponse::decode(bytes.as_slice())
                .map(Some)
                .map_err(|e| ClientError::Malformed("account query", e.to_string())),
        }
    }

    /// The chain parameters.
    pub async fn params(&self) -> Result<Params, ClientError> {
        let bytes = self
            .query("/params".into())
            .await?
            .ok_or_else(|| ClientError::Malformed("params query", "not found".into()))?;
        let p = QueryParamsResponse::decode(bytes.as_slice())
            .map_err(|e| ClientError::Malformed("params query", e.to_string()))?
            .params
            .ok_or_else(|| ClientError::Malformed("params query", "empty".into()))?;
        let amount = |s: &str, what| {
            s.parse::<u128>()
                .map_err(|e| ClientError::Malformed(what, e.to_string()))
        };
        Ok(Params {
            base_fee: amount(&p.base_fee, "params.base_fee")?,
            fee_per_blob_byte: amount(&p.fee_per_blob_byte, "params.fee_per_blob_byte")?,
            fee_denom: p.fee_denom,
            max_blob_bytes: p.max_blob_bytes,
            max_block_blob_bytes: p.max_block_blob_bytes,
            max_tx_bytes: p.max_tx_bytes,
        })
    }

    /// The blobs of `namespace` at `height` from the node's blob index.
    pub async fn blobs(
        &self,
        height: u64,
        namespace: &Namespace,
    ) -> Result<QueryBlobsResponse, ClientError> {
        let bytes = self
            .query(format!("/blobs/{height}/{namespace}"))
            .await?
            .unwrap_or_default();
        QueryBlobsResponse::decode(bytes.as_slice())
            .map_err(|e| ClientError::Malformed("blobs query", e.to_string()))
    }

    /// Broadcasts a signed transaction and returns CheckTx's verdict (it does
    /// not wait for a block).
    pub async fn broadcast(&self, tx: Vec<u8>) -> Result<BroadcastResult, ClientError> {
        let answer = self
            .rpc
            .broadcast_tx_sync(tx)
            .await
            .map_err(|e| self.rpc_error("broadcast_tx_sync", e))?;
        Ok(BroadcastResult {
            hash: answer.hash.to_string(),
            code: answer.code.value(),
            codespace: answer.codespace,
            log: answer.log,
        })
    }

    /// The committed transaction with `hash` (hex), if the node has indexed it.
    pub async fn committed_tx(&self, hash: &str) -> Result<Option<CommittedTx>, ClientError> {
        let hash: Hash = hash
            .parse()
            .map_err(|e: tendermint::Error| ClientError::Malformed("tx hash", e.to_string()))?;
        match self.rpc.tx(hash, false).await {
            Ok(found) => Ok(Some(CommittedTx {
                height: found.height.value(),
                index: found.index,
                code: found.tx_result.code.value(),
                log: found.tx_result.log,
            })),
            // CometBFT answers an internal error "tx (...) not found" until indexed.
            Err(e) if e.to_string().contains("not found") => Ok(None),
            Err(e) => Err(self.rpc_error("tx", e)),
        }
    }

    /// Polls until the transaction `hash` is committed, or `timeout` passes.
    pub async fn wait_for_tx(
        &self,
        hash: &str,
        timeout: Duration,
    ) -> Result<CommittedTx, ClientError> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if let Some(tx) = self.committed_tx(hash).await? {
                return Ok(tx);
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(ClientError::Timeout(
                    timeout,
                    format!("tx {hash} to be committed"),
                ));
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Polls until the chain reaches `height`, or `timeout` passes.
    pub async fn wait_for_height(
        &self,
        height: u64,
        timeout: Duration,
    ) -> Result<u64, ClientError> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if let Ok((_, latest)) = self.status().await {
                if latest >= height {
                    return Ok(latest);
                }
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(ClientError::Timeout(timeout, format!("height {height}")));
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}
