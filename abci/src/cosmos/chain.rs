//! The Cosmos methods answered from this node's CometBFT (over its RPC)
//! rather than from Quire's state: broadcasting and finding txs
//! (`cosmos.tx.v1beta1.Service` `BroadcastTx`, `GetTx`, `GetTxsEvent`),
//! blocks, validators and the node (`cosmos.base.tendermint.v1beta1.Service`)
//! and the node's status (`cosmos.base.node.v1beta1.Service/Status`).
//!
//! These are what Keplr (which broadcasts over REST) and explorers call.
//! They are served over gRPC and REST only: the SDK reaches them the same
//! way, and over CometBFT's RPC a client has the originals
//! (`broadcast_tx_sync`, `tx`, `tx_search`, `block`, `validators`).

use super::{CosmosError, StatusCode};
use cosmrs::proto::cosmos::base::abci::v1beta1::TxResponse;
use cosmrs::proto::cosmos::base::node::v1beta1 as node;
use cosmrs::proto::cosmos::base::query::v1beta1::PageResponse;
use cosmrs::proto::cosmos::base::tendermint::v1beta1 as tm;
use cosmrs::proto::cosmos::tx::v1beta1 as tx;
use prost::Message;
use std::collections::BTreeMap;
use std::future::Future;
use std::time::Duration;
use tendermint::block::Height;
use tendermint_rpc::{Client, HttpClient, Order, Paging};

/// The type URL of a tx in `TxResponse.tx`.
pub const TX_TYPE_URL: &str = "/cosmos.tx.v1beta1.Tx";
/// The type URL of a validator's consensus key.
pub const ED25519_PUBKEY_TYPE_URL: &str = "/cosmos.crypto.ed25519.PubKey";
/// The Cosmos SDK release whose service definitions Quire follows
/// (cosmos-sdk-proto 0.27): explorers read `cosmos_sdk_version` to choose
/// which of the SDK's REST routes to call.
pub const COSMOS_SDK_API_VERSION: &str = "v0.50.9";
/// Most txs one `GetTxsEvent` page returns (CometBFT's `tx_search` limit).
pub const MAX_TXS_PER_PAGE: u64 = 100;
/// The page size `GetTxsEvent` uses when the request gives none (the SDK's).
pub const DEFAULT_TXS_PER_PAGE: u64 = 100;
/// Most tx bytes one `GetTxsEvent` page answers with (a page of larger txs
/// is refused: ask for a smaller `limit`).
pub const MAX_PAGE_TX_BYTES: usize = 8 * 1024 * 1024;
/// Most calls of this module served at once (each may hold a page of txs);
/// further ones wait their turn, within the request timeout.
pub const MAX_CONCURRENT_CALLS: usize = 16;

/// The methods of this module, by gRPC path.
pub const METHODS: &[&str] = &[
    "/cosmos.tx.v1beta1.Service/BroadcastTx",
    "/cosmos.tx.v1beta1.Service/GetTx",
    "/cosmos.tx.v1beta1.Service/GetTxsEvent",
    "/cosmos.base.tendermint.v1beta1.Service/GetNodeInfo",
    "/cosmos.base.tendermint.v1beta1.Service/GetSyncing",
    "/cosmos.base.tendermint.v1beta1.Service/GetLatestBlock",
    "/cosmos.base.tendermint.v1beta1.Service/GetBlockByHeight",
    "/cosmos.base.tendermint.v1beta1.Service/GetLatestValidatorSet",
    "/cosmos.base.tendermint.v1beta1.Service/GetValidatorSetByHeight",
    "/cosmos.base.node.v1beta1.Service/Status",
];

/// Whether `path` is answered here (from CometBFT) rather than from state.
pub fn serves(path: &str) -> bool {
    METHODS.contains(&path)
}

/// This node's CometBFT, as the Cosmos methods see it.
pub struct Chain {
    rpc: HttpClient,
    url: String,
    calls: tokio::sync::Semaphore,
}

impl Chain {
    /// Reads CometBFT's RPC at `url`, each call bounded by `timeout`.
    pub fn new(url: &str, timeout: Duration) -> Result<Self, CosmosError> {
        let rpc = crate::cometbft::rpc_client(url, timeout).map_err(CosmosError::invalid)?;
        Ok(Chain {
            rpc,
            url: url.to_string(),
            calls: tokio::sync::Semaphore::new(MAX_CONCURRENT_CALLS),
        })
    }

    /// Answers the method `path` (one that [`serves`]) with the encoded
    /// request `data`.
    pub async fn answer(&self, path: &str, data: &[u8]) -> Result<Vec<u8>, CosmosError> {
        let _turn = self
            .calls
            .acquire()
            .await
            .map_err(|e| CosmosError::internal(&e))?;
        match path {
            "/cosmos.tx.v1beta1.Service/BroadcastTx" => call(data, |r| self.broadcast_tx(r)).await,
            "/cosmos.tx.v1beta1.Service/GetTx" => call(data, |r| self.get_tx(r)).await,
            "/cosmos.tx.v1beta1.Service/GetTxsEvent" => call(data, |r| self.get_txs_event(r)).await,
            "/cosmos.base.tendermint.v1beta1.Service/GetNodeInfo" => {
                call(data, |r| self.node_info(r)).await
            }
            "/cosmos.base.tendermint.v1beta1.Service/GetSyncing" => {
                call(data, |r| self.syncing(r)).await
            }
            "/cosmos.base.tendermint.v1beta1.Service/GetLatestBlock" => {
                call(data, |r| self.latest_block(r)).await
            }
            "/cosmos.base.tendermint.v1beta1.Service/GetBlockByHeight" => {
                call(data, |r| self.block_by_height(r)).await
            }
            "/cosmos.base.tendermint.v1beta1.Service/GetLatestValidatorSet" => {
                call(data, |r| self.latest_validator_set(r)).await
            }
            "/cosmos.base.tendermint.v1beta1.Service/GetValidatorSetByHeight" => {
                call(data, |r| self.validator_set_by_height(r)).await
            }
            "/cosmos.base.node.v1beta1.Service/Status" => call(data, |r| self.status(r)).await,
            _ => Err(CosmosError {
                code: StatusCode::Unimplemented,
                message: format!("unknown method {path}"),
            }),
        }
    }

    /// CometBFT failed or could not be reached.
    ///
    /// The details (CometBFT's address, which may hold credentials, and its
    /// error) go to the node's log, not to the caller.
    fn unavailable(&self, what: &str, error: &tendermint_rpc::Error) -> CosmosError {
        tracing::warn!(call = what, url = %self.url, %error, "CometBFT RPC call failed");
        CosmosError {
            code: StatusCode::Unavailable,
            message: format!(
                "this node's CometBFT did not answer {what}; try again or another node"
            ),
        }
    }

    /// `BroadcastTx`: hands the tx to CometBFT's mempool (`SYNC`: after
    /// CheckTx, with its result; `ASYNC`: at once). `BLOCK` is refused, as
    /// since Cosmos SDK 0.47: broadcast with `SYNC` and poll `GetTx`.
    pub async fn broadcast_tx(
        &self,
        request: tx::BroadcastTxRequest,
    ) -> Result<tx::BroadcastTxResponse, CosmosError> {
        if request.tx_bytes.is_empty() {
            return Err(CosmosError::invalid("invalid empty tx"));
        }
        let mode = tx::BroadcastMode::try_from(request.mode).map_err(|_| {
            CosmosError::invalid(format!("unknown broadcast mode {}", request.mode))
        })?;
        let response = match mode {
            tx::BroadcastMode::Sync => {
                match self.rpc.broadcast_tx_sync(request.tx_bytes.clone()).await {
                    Ok(r) => (r.hash, r.code, r.codespace, r.data, r.log),
                    Err(e) => return mempool_refusal(&request.tx_bytes, &e)
                        .ok_or_else(|| self.unavailable("broadcast_tx_sync", &e)),
                }
            }
            tx::BroadcastMode::Async => {
                match self.rpc.broadcast_tx_async(request.tx_bytes.clone()).await {
                    Ok(r) => (r.hash, r.code, r.codespace, r.data, r.log),
                    Err(e) => return mempool_refusal(&request.tx_bytes, &e)
                        .ok_or_else(|| self.unavailable("broadcast_tx_async", &e)),
                }
            }
            tx::BroadcastMode::Block => {
                return Err(CosmosError::invalid(
                    "BROADCAST_MODE_BLOCK was removed in Cosmos SDK 0.47: broadcast with BROADCAST_MODE_SYNC and poll GetTx",
                ))
            }
            tx::BroadcastMode::Unspecified => {
                return Err(CosmosError::invalid(
                    "invalid broadcast mode BROADCAST_MODE_UNSPECIFIED: use BROADCAST_MODE_SYNC or BROADCAST_MODE_ASYNC",
                ))
            }
        };
        let (hash, code, codespace, data, log) = response;
        Ok(tx::BroadcastTxResponse {
            tx_response: Some(TxResponse {
                txhash: hash.to_string(),
                code: code.value(),
                codespace,
                data: hex::encode_upper(&data),
                raw_log: log,
                ..Default::default()
            }),
        })
    }

    /// `GetTx`: a committed tx by its hash (hex), with its result and the
    /// time of its block; `NotFound` until it is committed.
    pub async fn get_tx(
        &self,
        request: tx::GetTxRequest,
    ) -> Result<tx::GetTxResponse, CosmosError> {
        let hash = tx_hash(&request.hash)?;
        let found = self.rpc.tx(hash, false).await.map_err(|e| {
            if e.to_string().contains("not found") {
                CosmosError::not_found(format!("tx not found: {}", request.hash))
            } else {
                self.unavailable("tx", &e)
            }
        })?;
        let mut times = BlockTimes::default();
        let (tx, tx_response) = self.tx_response(found, &mut times).await?;
        Ok(tx::GetTxResponse {
            tx,
            tx_response: Some(tx_response),
        })
    }

    /// `GetTxsEvent`: committed txs matching a CometBFT event query (`query`,
    /// as in SDK 0.50, or `events`, joined with `AND`, as before it), a page
    /// at a time (`page` from 1, `limit` up to [`MAX_TXS_PER_PAGE`]).
    // `events` and `pagination` are deprecated in SDK 0.50; clients of older SDKs still send them.
    #[allow(deprecated)]
    pub async fn get_txs_event(
        &self,
        request: tx::GetTxsEventRequest,
    ) -> Result<tx::GetTxsEventResponse, CosmosError> {
        let text = if request.query.is_empty() {
            request.events.join(" AND ")
        } else {
            request.query.clone()
        };
        if text.trim().is_empty() {
            return Err(CosmosError::invalid(
                "query cannot be empty: give an event query such as message.sender='quire1…' or tx.height=5",
            ));
        }
        let query: tendermint_rpc::query::Query = text
            .parse()
            .map_err(|e| CosmosError::invalid(format!("invalid event query {text:?}: {e}")))?;
        let (page, limit) = page_and_limit(&request)?;
        let order = if request.order_by == tx::OrderBy::Desc as i32 {
            Order::Descending
        } else {
            Order::Ascending
        };
        // `limit` ≤ 100 by `page_and_limit`.
        let per_page = u8::try_from(limit).unwrap_or(u8::MAX);
        let found = self
            .rpc
            .tx_search(query, false, page, per_page, order)
            .await
            .map_err(|e| {
                let text = e.to_string();
                if text.contains("page should be within") {
                    CosmosError::invalid(format!("page {page}: {text}"))
                } else {
                    self.unavailable("tx_search", &e)
                }
            })?;
        let bytes: usize = found.txs.iter().map(|t| t.tx.len()).sum();
        if bytes > MAX_PAGE_TX_BYTES {
            return Err(CosmosError::invalid(format!(
                "the page's txs hold {bytes} bytes, more than the {MAX_PAGE_TX_BYTES} one answer carries: ask for a smaller limit"
            )));
        }
        let mut times = BlockTimes::default();
        let mut txs = Vec::with_capacity(found.txs.len());
        let mut tx_responses = Vec::with_capacity(found.txs.len());
        for one in found.txs {
            let (tx, response) = self.tx_response(one, &mut times).await?;
            txs.push(tx.unwrap_or_default());
            tx_responses.push(response);
        }
        Ok(tx::GetTxsEventResponse {
            txs,
            tx_responses,
            pagination: None,
            total: u64::from(found.total_count),
        })
    }

    /// The SDK's view of a committed tx: the decoded tx (none for Quire's
    /// system txs, which are not Cosmos txs) and its `TxResponse`.
    async fn tx_response(
        &self,
        found: tendermint_rpc::endpoint::tx::Response,
        times: &mut BlockTimes,
    ) -> Result<(Option<tx::Tx>, TxResponse), CosmosError> {
        let decoded = decode_tx(&found.tx);
        let timestamp = self.block_time(found.height, times).await?;
        let result = found.tx_result;
        let response = TxResponse {
            height: i64::from(found.height),
            txhash: found.hash.to_string(),
            codespace: result.codespace,
            code: result.code.value(),
            data: hex::encode_upper(&result.data),
            raw_log: result.log,
            logs: Vec::new(),
            info: result.info,
            gas_wanted: result.gas_wanted,
            gas_used: result.gas_used,
            tx: decoded.as_ref().map(|t| cosmrs::Any {
                type_url: TX_TYPE_URL.to_string(),
                value: t.encode_to_vec(),
            }),
            timestamp,
            events: result.events.into_iter().map(proto_event).collect(),
        };
        Ok((decoded, response))
    }

    /// The time of block `height` in the SDK's form (RFC 3339, whole
    /// seconds), remembered in `times` for the txs of one answer.
    async fn block_time(
        &self,
        height: Height,
        times: &mut BlockTimes,
    ) -> Result<String, CosmosError> {
        if let Some(time) = times.0.get(&height.value()) {
            return Ok(time.clone());
        }
        let header = self
            .rpc
            .header(height)
            .await
            .map_err(|e| self.unavailable("header", &e))?;
        let time = rfc3339_seconds(&header.header.time);
        times.0.insert(height.value(), time.clone());
        Ok(time)
    }

    /// `GetNodeInfo`: CometBFT's node info and Quire's version.
    pub async fn node_info(
        &self,
        _request: tm::GetNodeInfoRequest,
    ) -> Result<tm::GetNodeInfoResponse, CosmosError> {
        let status = self
            .rpc
            .status()
            .await
            .map_err(|e| self.unavailable("status", &e))?;
        let info = status.node_info;
        let channels = hex::decode(info.channels.to_string()).unwrap_or_default();
        Ok(tm::GetNodeInfoResponse {
            default_node_info: Some(tendermint_proto::p2p::DefaultNodeInfo {
                protocol_version: Some(tendermint_proto::p2p::ProtocolVersion {
                    p2p: info.protocol_version.p2p,
                    block: info.protocol_version.block,
                    app: info.protocol_version.app,
                }),
                default_node_id: info.id.to_string(),
                listen_addr: info.listen_addr.to_string(),
                network: info.network.to_string(),
                version: info.version.to_string(),
                channels,
                moniker: info.moniker.to_string(),
                other: Some(tendermint_proto::p2p::DefaultNodeInfoOther {
                    tx_index: if bool::from(info.other.tx_index) {
                        "on".to_string()
                    } else {
                        "off".to_string()
                    },
                    rpc_address: info.other.rpc_address,
                }),
            }),
            application_version: Some(tm::VersionInfo {
                name: "quire".to_string(),
                app_name: "quired".to_string(),
                version: env!("CARGO_PKG_VERSION").to_string(),
                git_commit: String::new(),
                build_tags: String::new(),
                go_version: String::new(),
                build_deps: Vec::new(),
                cosmos_sdk_version: COSMOS_SDK_API_VERSION.to_string(),
            }),
        })
    }

    /// `GetSyncing`: whether CometBFT is still catching up.
    pub async fn syncing(
        &self,
        _request: tm::GetSyncingRequest,
    ) -> Result<tm::GetSyncingResponse, CosmosError> {
        let status = self
            .rpc
            .status()
            .await
            .map_err(|e| self.unavailable("status", &e))?;
        Ok(tm::GetSyncingResponse {
            syncing: status.sync_info.catching_up,
        })
    }

    /// `GetLatestBlock`.
    pub async fn latest_block(
        &self,
        _request: tm::GetLatestBlockRequest,
    ) -> Result<tm::GetLatestBlockResponse, CosmosError> {
        let found = self
            .rpc
            .latest_block()
            .await
            .map_err(|e| self.unavailable("block", &e))?;
        let (block_id, block, sdk_block) = block_answer(found);
        Ok(tm::GetLatestBlockResponse {
            block_id,
            block,
            sdk_block,
        })
    }

    /// `GetBlockByHeight`: a block this node has (`InvalidArgument` above
    /// the latest).
    pub async fn block_by_height(
        &self,
        request: tm::GetBlockByHeightRequest,
    ) -> Result<tm::GetBlockByHeightResponse, CosmosError> {
        let height = positive_height(request.height)?;
        let found = self.rpc.block(height).await.map_err(|e| {
            let text = e.to_string();
            if text.contains("must be less than or equal to") || text.contains("lowest height") {
                CosmosError::invalid(format!("no block at height {}: {text}", request.height))
            } else {
                self.unavailable("block", &e)
            }
        })?;
        let (block_id, block, sdk_block) = block_answer(found);
        Ok(tm::GetBlockByHeightResponse {
            block_id,
            block,
            sdk_block,
        })
    }

    /// `GetLatestValidatorSet`: the whole set (at most a few hundred; the
    /// pagination of the request is not needed and not read).
    pub async fn latest_validator_set(
        &self,
        _request: tm::GetLatestValidatorSetRequest,
    ) -> Result<tm::GetLatestValidatorSetResponse, CosmosError> {
        let status = self
            .rpc
            .status()
            .await
            .map_err(|e| self.unavailable("status", &e))?;
        let (block_height, validators, pagination) = self
            .validator_set(status.sync_info.latest_block_height)
            .await?;
        Ok(tm::GetLatestValidatorSetResponse {
            block_height,
            validators,
            pagination,
        })
    }

    /// `GetValidatorSetByHeight`.
    pub async fn validator_set_by_height(
        &self,
        request: tm::GetValidatorSetByHeightRequest,
    ) -> Result<tm::GetValidatorSetByHeightResponse, CosmosError> {
        let height = positive_height(request.height)?;
        let (block_height, validators, pagination) = self.validator_set(height).await?;
        Ok(tm::GetValidatorSetByHeightResponse {
            block_height,
            validators,
            pagination,
        })
    }

    async fn validator_set(
        &self,
        height: Height,
    ) -> Result<(i64, Vec<tm::Validator>, Option<PageResponse>), CosmosError> {
        let found = self
            .rpc
            .validators(height, Paging::All)
            .await
            .map_err(|e| {
                let text = e.to_string();
                if text.contains("must be less than or equal to") || text.contains("lowest height")
                {
                    CosmosError::invalid(format!("no validator set at height {height}: {text}"))
                } else {
                    self.unavailable("validators", &e)
                }
            })?;
        let validators: Vec<tm::Validator> = found.validators.iter().map(validator).collect();
        let total = validators.len() as u64;
        Ok((
            i64::from(found.block_height),
            validators,
            Some(PageResponse {
                next_key: Vec::new(),
                total,
            }),
        ))
    }

    /// `cosmos.base.node.v1beta1.Service/Status`: the latest block's height,
    /// time, app hash and validators hash, and the earliest block kept.
    pub async fn status(
        &self,
        _request: node::StatusRequest,
    ) -> Result<node::StatusResponse, CosmosError> {
        let status = self
            .rpc
            .status()
            .await
            .map_err(|e| self.unavailable("status", &e))?;
        let sync = status.sync_info;
        let validator_hash = if sync.latest_block_height.value() == 0 {
            Vec::new()
        } else {
            self.rpc
                .header(sync.latest_block_height)
                .await
                .map_err(|e| self.unavailable("header", &e))?
                .header
                .validators_hash
                .as_bytes()
                .to_vec()
        };
        Ok(node::StatusResponse {
            earliest_store_height: sync.earliest_block_height.value(),
            height: sync.latest_block_height.value(),
            timestamp: Some(sync.latest_block_time.into()),
            app_hash: sync.latest_app_hash.as_bytes().to_vec(),
            validator_hash,
        })
    }
}

/// The page (from 1) and page size of a `GetTxsEvent` request: `page` and
/// `limit`, or the deprecated `pagination` (its offset as a page of its
/// limit); the size defaults to [`DEFAULT_TXS_PER_PAGE`] and is capped at
/// [`MAX_TXS_PER_PAGE`], as CometBFT caps it.
#[allow(deprecated)] // `pagination`: clients of older SDKs still send it.
fn page_and_limit(request: &tx::GetTxsEventRequest) -> Result<(u32, u64), CosmosError> {
    let pagination = request.pagination.clone().unwrap_or_default();
    let limit = [request.limit, pagination.limit]
        .into_iter()
        .find(|l| *l > 0)
        .unwrap_or(DEFAULT_TXS_PER_PAGE)
        .min(MAX_TXS_PER_PAGE);
    let page = if request.page == 0 && pagination.offset > 0 {
        pagination.offset / limit + 1
    } else {
        request.page.max(1)
    };
    let page = u32::try_from(page)
        .map_err(|_| CosmosError::invalid(format!("page {page} is too large")))?;
    Ok((page, limit))
}

/// CometBFT's mempool refusing a tx before CheckTx (a copy already in its
/// cache, no room, too large), as the SDK reports it: a `TxResponse` with
/// `ErrTxInMempoolCache` (19), `ErrMempoolIsFull` (20) or `ErrTxTooLarge`
/// (21) of codespace `sdk`, not a failed call. `None` for any other error.
fn mempool_refusal(
    tx_bytes: &[u8],
    error: &tendermint_rpc::Error,
) -> Option<tx::BroadcastTxResponse> {
    use sha2::Digest;
    let text = error.to_string();
    let lower = text.to_lowercase();
    let (code, log) = if lower.contains("tx already exists in cache") {
        (19, "tx already exists in cache")
    } else if lower.contains("mempool is full") {
        (20, "mempool is full")
    } else if lower.contains("tx too large") {
        (
            21,
            "tx too large for this node's mempool (CometBFT's mempool.max_tx_bytes)",
        )
    } else {
        return None;
    };
    Some(tx::BroadcastTxResponse {
        tx_response: Some(TxResponse {
            txhash: hex::encode_upper(sha2::Sha256::digest(tx_bytes)),
            code,
            codespace: super::CODESPACE.to_string(),
            raw_log: log.to_string(),
            ..Default::default()
        }),
    })
}

/// Block times already fetched for one answer.
#[derive(Default)]
struct BlockTimes(BTreeMap<u64, String>);

/// Decodes the request, runs the method, encodes its response.
async fn call<Req, Resp, F, Fut>(data: &[u8], method: F) -> Result<Vec<u8>, CosmosError>
where
    Req: Message + Default,
    Resp: Message,
    F: FnOnce(Req) -> Fut,
    Fut: Future<Output = Result<Resp, CosmosError>>,
{
    let request = Req::decode(data)
        .map_err(|e| CosmosError::invalid(format!("the request does not decode: {e}")))?;
    method(request)
        .await
        .map(|response| response.encode_to_vec())
}

/// A tx hash of a request: 64 hex digits (either case, `0x` allowed).
fn tx_hash(text: &str) -> Result<tendermint::Hash, CosmosError> {
    let digits = text.strip_prefix("0x").unwrap_or(text);
    let bytes = hex::decode(digits)
        .ok()
        .filter(|b| b.len() == 32)
        .ok_or_else(|| {
            CosmosError::invalid(format!(
                "tx hash {text:?} is not 64 hex digits (the SHA-256 of the tx bytes)"
            ))
        })?;
    tendermint::Hash::from_bytes(tendermint::hash::Algorithm::Sha256, &bytes)
        .map_err(|e| CosmosError::invalid(format!("tx hash {text:?}: {e}")))
}

/// A height of a request: 1 or more.
fn positive_height(height: i64) -> Result<Height, CosmosError> {
    u64::try_from(height)
        .ok()
        .filter(|h| *h > 0)
        .and_then(|h| Height::try_from(h).ok())
        .ok_or_else(|| CosmosError::invalid(format!("height must be 1 or more, not {height}")))
}

/// A committed tx as the SDK's `Tx`, when it is one (a `TxRaw` whose body
/// and auth info decode); Quire's system txs are not.
pub fn decode_tx(bytes: &[u8]) -> Option<tx::Tx> {
    let raw = tx::TxRaw::decode(bytes).ok()?;
    Some(tx::Tx {
        body: Some(tx::TxBody::decode(raw.body_bytes.as_slice()).ok()?),
        auth_info: Some(tx::AuthInfo::decode(raw.auth_info_bytes.as_slice()).ok()?),
        signatures: raw.signatures,
    })
}

/// CometBFT's time in the SDK's tx-response form: RFC 3339 in whole seconds.
fn rfc3339_seconds(time: &tendermint::Time) -> String {
    let text = time.to_rfc3339();
    match text.find('.') {
        Some(dot) => format!("{}Z", &text[..dot]),
        None => text,
    }
}

/// An event of a tx result in protobuf form.
fn proto_event(event: tendermint::abci::Event) -> tendermint_proto::abci::Event {
    tendermint_proto::abci::Event {
        r#type: event.kind,
        attributes: event
            .attributes
            .into_iter()
            .map(|a| tendermint_proto::abci::EventAttribute {
                key: a.key_str().unwrap_or_default().to_string(),
                value: a.value_str().unwrap_or_default().to_string(),
                index: a.index(),
            })
            .collect(),
    }
}

/// A block in both forms the SDK answers: CometBFT's, and the SDK's (the
/// proposer as a `quirevalcons` address).
fn block_answer(
    found: tendermint_rpc::endpoint::block::Response,
) -> (
    Option<tendermint_proto::types::BlockId>,
    Option<tendermint_proto::types::Block>,
    Option<tm::Block>,
) {
    let block_id = tendermint_proto::types::BlockId::from(found.block_id);
    let block = tendermint_proto::types::Block::from(found.block);
    let sdk_block = tm::Block {
        header: block.header.clone().map(sdk_header),
        data: block.data.clone(),
        evidence: block.evidence.clone(),
        last_commit: block.last_commit.clone(),
    };
    (Some(block_id), Some(block), Some(sdk_block))
}

/// A header in the SDK's form.
fn sdk_header(header: tendermint_proto::types::Header) -> tm::Header {
    tm::Header {
        version: header.version,
        chain_id: header.chain_id,
        height: header.height,
        time: header.time,
        last_block_id: header.last_block_id,
        last_commit_hash: header.last_commit_hash,
        data_hash: header.data_hash,
        validators_hash: header.validators_hash,
        next_validators_hash: header.next_validators_hash,
        consensus_hash: header.consensus_hash,
        app_hash: header.app_hash,
        last_results_hash: header.last_results_hash,
        evidence_hash: header.evidence_hash,
        proposer_address: consensus_address(&header.proposer_address),
    }
}

/// A consensus address (20 bytes) as `quirevalcons1…` (empty if malformed).
fn consensus_address(bytes: &[u8]) -> String {
    <[u8; 20]>::try_from(bytes)
        .map(|a| quire_core::staking::consensus_address_bech32(&a))
        .unwrap_or_default()
}

/// A validator in the SDK's form.
fn validator(info: &tendermint::validator::Info) -> tm::Validator {
    tm::Validator {
        address: consensus_address(info.address.as_bytes()),
        pub_key: Some(cosmrs::Any {
            type_url: ED25519_PUBKEY_TYPE_URL.to_string(),
            value: cosmrs::proto::cosmos::crypto::ed25519::PubKey {
                key: info.pub_key.to_bytes(),
            }
            .encode_to_vec(),
        }),
        voting_power: i64::try_from(info.power.value()).unwrap_or(i64::MAX),
        proposer_priority: info.proposer_priority.value(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tx_hashes_are_64_hex_digits() {
        let hash = "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855";
        assert_eq!(tx_hash(hash).unwrap().to_string(), hash);
        assert_eq!(
            tx_hash(&format!("0x{}", hash.to_lowercase()))
                .unwrap()
                .to_string(),
            hash
        );
        for bad in ["", "zz", &hash[2..], &format!("{hash}00")] {
            let err = tx_hash(bad).unwrap_err();
            assert_eq!(err.code, StatusCode::InvalidArgument, "{bad}");
            assert!(err.message.contains("64 hex digits"), "{}", err.message);
        }
    }

    #[test]
    #[allow(deprecated)] // `pagination`, as older clients send it
    fn pages_come_from_page_limit_or_the_old_pagination() {
        let at = |page, limit, offset, page_limit| {
            page_and_limit(&tx::GetTxsEventRequest {
                page,
                limit,
                pagination: Some(cosmrs::proto::cosmos::base::query::v1beta1::PageRequest {
                    offset,
                    limit: page_limit,
                    ..Default::default()
                }),
                ..Default::default()
            })
            .unwrap()
        };
        assert_eq!(at(0, 0, 0, 0), (1, DEFAULT_TXS_PER_PAGE));
        assert_eq!(at(3, 10, 0, 0), (3, 10));
        assert_eq!(at(0, 0, 20, 10), (3, 10));
        assert_eq!(at(0, 5, 20, 0), (5, 5));
        // More than a page holds is capped, as CometBFT does.
        assert_eq!(at(1, 1000, 0, 0), (1, MAX_TXS_PER_PAGE));
        assert!(page_and_limit(&tx::GetTxsEventRequest {
            page: u64::MAX,
            ..Default::default()
        })
        .is_err());
    }

    #[test]
    fn mempool_refusals_are_tx_responses() {
        let refusal = |text: &str| {
            mempool_refusal(b"tx", &tendermint_rpc::Error::server(text.to_string()))
                .and_then(|r| r.tx_response)
                .map(|r| (r.code, r.codespace))
        };
        assert_eq!(
            refusal("tx already exists in cache"),
            Some((19, "sdk".into()))
        );
        assert_eq!(
            refusal("mempool is full: number of txs 5000"),
            Some((20, "sdk".into()))
        );
        assert_eq!(
            refusal("Tx too large. Max size is 1048576, but got 2000000"),
            Some((21, "sdk".into()))
        );
        assert_eq!(refusal("connection refused"), None);
    }

    #[test]
    fn heights_must_be_positive() {
        assert_eq!(positive_height(7).unwrap().value(), 7);
        for bad in [0, -1, i64::MIN] {
            assert_eq!(
                positive_height(bad).unwrap_err().code,
                StatusCode::InvalidArgument
            );
        }
    }

    #[test]
    fn tx_times_are_whole_seconds() {
        let time = tendermint::Time::from_unix_timestamp(1_796_000_000, 123_456_789).unwrap();
        assert_eq!(rfc3339_seconds(&time), "2026-11-30T00:53:20Z");
        let whole = tendermint::Time::from_unix_timestamp(1_796_000_000, 0).unwrap();
        assert_eq!(rfc3339_seconds(&whole), "2026-11-30T00:53:20Z");
    }

    #[test]
    fn only_cosmos_txs_decode() {
        let raw = tx::TxRaw {
            body_bytes: tx::TxBody {
                memo: "hi".to_string(),
                ..Default::default()
            }
            .encode_to_vec(),
            auth_info_bytes: tx::AuthInfo::default().encode_to_vec(),
            signatures: vec![vec![1, 2, 3]],
        };
        let decoded = decode_tx(&raw.encode_to_vec()).unwrap();
        assert_eq!(decoded.body.unwrap().memo, "hi");
        assert_eq!(decoded.signatures, vec![vec![1, 2, 3]]);
        assert!(decode_tx(&[0xff, 0xff, 0xff]).is_none());
    }

    #[test]
    fn the_methods_here_are_not_state_methods() {
        for method in METHODS {
            assert!(serves(method));
            assert!(super::super::is_cosmos_method(method));
        }
        assert!(!serves("/cosmos.tx.v1beta1.Service/Simulate"));
        assert!(!serves("/cosmos.bank.v1beta1.Query/Balance"));
    }
}
