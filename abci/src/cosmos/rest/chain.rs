//! The REST routes of the methods that read CometBFT
//! ([`crate::cosmos::chain`]): broadcasting and finding txs, blocks,
//! validator sets, node info and status.
//!
//! | route | method |
//! |---|---|
//! | `POST /cosmos/tx/v1beta1/txs` `{"tx_bytes": base64, "mode": "BROADCAST_MODE_SYNC"}` | tx `BroadcastTx` |
//! | `GET /cosmos/tx/v1beta1/txs/{hash}` | tx `GetTx` |
//! | `GET /cosmos/tx/v1beta1/txs?query=…` (or `events=…`, repeated; `page`, `limit`, `order_by`) | tx `GetTxsEvent` |
//! | `GET /cosmos/base/tendermint/v1beta1/node_info` | `GetNodeInfo` |
//! | `GET /cosmos/base/tendermint/v1beta1/syncing` | `GetSyncing` |
//! | `GET /cosmos/base/tendermint/v1beta1/blocks/latest`, `…/blocks/{height}` | `GetLatestBlock`, `GetBlockByHeight` |
//! | `GET /cosmos/base/tendermint/v1beta1/validatorsets/latest`, `…/validatorsets/{height}` | `GetLatestValidatorSet`, `GetValidatorSetByHeight` |
//! | `GET /cosmos/base/node/v1beta1/status` | node `Status` |

use super::json as gateway;
use super::{ask, page, reply, AskedHeight, Rest, RestError, RestResult};
use crate::cosmos::CosmosError;
use axum::extract::{Path, Query, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use cosmrs::proto::cosmos::base::node::v1beta1 as node;
use cosmrs::proto::cosmos::base::query::v1beta1::PageRequest;
use cosmrs::proto::cosmos::base::tendermint::v1beta1 as tm;
use cosmrs::proto::cosmos::tx::v1beta1 as tx;
use serde::Deserialize;
use serde_json::{json, Value};

/// Adds the routes to `router`.
pub(super) fn routes(router: Router<Rest>) -> Router<Rest> {
    router
        .route(
            "/cosmos/tx/v1beta1/txs",
            post(broadcast_tx).get(get_txs_event),
        )
        .route("/cosmos/tx/v1beta1/txs/{hash}", get(get_tx))
        .route("/cosmos/base/tendermint/v1beta1/node_info", get(node_info))
        .route("/cosmos/base/tendermint/v1beta1/syncing", get(syncing))
        .route(
            "/cosmos/base/tendermint/v1beta1/blocks/latest",
            get(latest_block),
        )
        .route(
            "/cosmos/base/tendermint/v1beta1/blocks/{height}",
            get(block_by_height),
        )
        .route(
            "/cosmos/base/tendermint/v1beta1/validatorsets/latest",
            get(latest_validator_set),
        )
        .route(
            "/cosmos/base/tendermint/v1beta1/validatorsets/{height}",
            get(validator_set_by_height),
        )
        .route("/cosmos/base/node/v1beta1/status", get(status))
}

/// The methods here name their heights: no `x-cosmos-block-height` is read.
const LATEST: AskedHeight = AskedHeight(0);

/// A proto enum given by name or number, as the gateway accepts.
fn enum_value(
    value: &Value,
    what: &str,
    by_name: impl Fn(&str) -> Option<i32>,
) -> Result<i32, RestError> {
    match value {
        Value::Null => Ok(0),
        Value::String(name) => by_name(name)
            .or_else(|| name.parse().ok())
            .ok_or_else(|| RestError(CosmosError::invalid(format!("unknown {what} {name:?}")))),
        Value::Number(n) => n
            .as_i64()
            .and_then(|n| i32::try_from(n).ok())
            .ok_or_else(|| RestError(CosmosError::invalid(format!("unknown {what} {n}")))),
        other => Err(RestError(CosmosError::invalid(format!(
            "{what} must be a name or a number, not {other}"
        )))),
    }
}

/// `POST /cosmos/tx/v1beta1/txs`'s body.
#[derive(Debug, Deserialize)]
struct BroadcastBody {
    /// The signed TxRaw, base64.
    #[serde(default)]
    tx_bytes: String,
    /// `BROADCAST_MODE_SYNC` or `BROADCAST_MODE_ASYNC` (or their numbers).
    #[serde(default)]
    mode: Value,
}

async fn broadcast_tx(State(q): State<Rest>, Json(body): Json<BroadcastBody>) -> RestResult {
    let tx_bytes = base64::engine::general_purpose::STANDARD
        .decode(body.tx_bytes.as_bytes())
        .map_err(|e| RestError(CosmosError::invalid(format!("tx_bytes is not base64: {e}"))))?;
    let mode = enum_value(&body.mode, "broadcast mode", |name| {
        tx::BroadcastMode::from_str_name(name).map(|m| m as i32)
    })?;
    let (_, response): (u64, tx::BroadcastTxResponse) = ask(
        &q,
        LATEST,
        "/cosmos.tx.v1beta1.Service/BroadcastTx",
        tx::BroadcastTxRequest { tx_bytes, mode },
    )
    .await?;
    let tx_response = response
        .tx_response
        .as_ref()
        .map_or(Value::Null, |r| gateway::tx_response(r, None));
    Ok(reply(0, json!({ "tx_response": tx_response })))
}

async fn get_tx(State(q): State<Rest>, Path(hash): Path<String>) -> RestResult {
    let (_, response): (u64, tx::GetTxResponse) = ask(
        &q,
        LATEST,
        "/cosmos.tx.v1beta1.Service/GetTx",
        tx::GetTxRequest { hash },
    )
    .await?;
    let tx = response.tx.as_ref();
    Ok(reply(
        0,
        json!({
            "tx": tx.map_or(Value::Null, gateway::tx_body),
            "tx_response": response
                .tx_response
                .as_ref()
                .map_or(Value::Null, |r| gateway::tx_response(r, tx)),
        }),
    ))
}

/// The parameters of `GET /cosmos/tx/v1beta1/txs` (`events` may repeat).
// `events` and `pagination` are deprecated in SDK 0.50; clients of older SDKs still send them.
#[allow(deprecated)]
fn search_request(pairs: &[(String, String)]) -> Result<tx::GetTxsEventRequest, RestError> {
    let number = |key: &str, text: &str| {
        text.parse::<u64>().map_err(|_| {
            RestError(CosmosError::invalid(format!(
                "{key} must be a non-negative integer, not {text:?}"
            )))
        })
    };
    let mut request = tx::GetTxsEventRequest::default();
    let mut pagination = PageRequest::default();
    for (key, value) in pairs {
        match key.as_str() {
            "query" => request.query = value.clone(),
            "events" => request.events.push(value.clone()),
            "page" => request.page = number(key, value)?,
            "limit" => request.limit = number(key, value)?,
            "pagination.limit" => pagination.limit = number(key, value)?,
            "pagination.offset" => pagination.offset = number(key, value)?,
            "order_by" => {
                request.order_by = enum_value(&Value::String(value.clone()), "order_by", |n| {
                    tx::OrderBy::from_str_name(n).map(|o| o as i32)
                })?
            }
            _ => {}
        }
    }
    request.pagination = Some(pagination);
    Ok(request)
}

async fn get_txs_event(
    State(q): State<Rest>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> RestResult {
    let request = search_request(&pairs)?;
    let (_, response): (u64, tx::GetTxsEventResponse) = ask(
        &q,
        LATEST,
        "/cosmos.tx.v1beta1.Service/GetTxsEvent",
        request,
    )
    .await?;
    let txs: Vec<Value> = response.txs.iter().map(gateway::tx_body).collect();
    let tx_responses: Vec<Value> = response
        .tx_responses
        .iter()
        .zip(&response.txs)
        .map(|(r, t)| gateway::tx_response(r, (t.body.is_some()).then_some(t)))
        .collect();
    Ok(reply(
        0,
        json!({
            "txs": txs,
            "tx_responses": tx_responses,
            "pagination": Value::Null,
            "total": response.total.to_string(),
        }),
    ))
}

async fn node_info(State(q): State<Rest>) -> RestResult {
    let (_, response): (u64, tm::GetNodeInfoResponse) = ask(
        &q,
        LATEST,
        "/cosmos.base.tendermint.v1beta1.Service/GetNodeInfo",
        tm::GetNodeInfoRequest {},
    )
    .await?;
    Ok(reply(0, gateway::node_info(&response)))
}

async fn syncing(State(q): State<Rest>) -> RestResult {
    let (_, response): (u64, tm::GetSyncingResponse) = ask(
        &q,
        LATEST,
        "/cosmos.base.tendermint.v1beta1.Service/GetSyncing",
        tm::GetSyncingRequest {},
    )
    .await?;
    Ok(reply(0, json!({ "syncing": response.syncing })))
}

async fn latest_block(State(q): State<Rest>) -> RestResult {
    let (_, r): (u64, tm::GetLatestBlockResponse) = ask(
        &q,
        LATEST,
        "/cosmos.base.tendermint.v1beta1.Service/GetLatestBlock",
        tm::GetLatestBlockRequest {},
    )
    .await?;
    Ok(reply(
        0,
        gateway::block_answer(r.block_id.as_ref(), r.block.as_ref(), r.sdk_block.as_ref()),
    ))
}

/// A height in a path.
fn path_height(text: &str) -> Result<i64, RestError> {
    text.parse().map_err(|_| {
        RestError(CosmosError::invalid(format!(
            "height must be an integer, not {text:?}"
        )))
    })
}

async fn block_by_height(State(q): State<Rest>, Path(height): Path<String>) -> RestResult {
    let (_, r): (u64, tm::GetBlockByHeightResponse) = ask(
        &q,
        LATEST,
        "/cosmos.base.tendermint.v1beta1.Service/GetBlockByHeight",
        tm::GetBlockByHeightRequest {
            height: path_height(&height)?,
        },
    )
    .await?;
    Ok(reply(
        0,
        gateway::block_answer(r.block_id.as_ref(), r.block.as_ref(), r.sdk_block.as_ref()),
    ))
}

fn validator_set_reply(
    height: i64,
    validators: &[tm::Validator],
    pagination: Option<&cosmrs::proto::cosmos::base::query::v1beta1::PageResponse>,
) -> axum::response::Response {
    reply(
        0,
        json!({
            "block_height": height.to_string(),
            "validators": validators.iter().map(gateway::validator).collect::<Vec<_>>(),
            "pagination": page(pagination),
        }),
    )
}

async fn latest_validator_set(State(q): State<Rest>) -> RestResult {
    let (_, r): (u64, tm::GetLatestValidatorSetResponse) = ask(
        &q,
        LATEST,
        "/cosmos.base.tendermint.v1beta1.Service/GetLatestValidatorSet",
        tm::GetLatestValidatorSetRequest::default(),
    )
    .await?;
    Ok(validator_set_reply(
        r.block_height,
        &r.validators,
        r.pagination.as_ref(),
    ))
}

async fn validator_set_by_height(State(q): State<Rest>, Path(height): Path<String>) -> RestResult {
    let (_, r): (u64, tm::GetValidatorSetByHeightResponse) = ask(
        &q,
        LATEST,
        "/cosmos.base.tendermint.v1beta1.Service/GetValidatorSetByHeight",
        tm::GetValidatorSetByHeightRequest {
            height: path_height(&height)?,
            pagination: None,
        },
    )
    .await?;
    Ok(validator_set_reply(
        r.block_height,
        &r.validators,
        r.pagination.as_ref(),
    ))
}

async fn status(State(q): State<Rest>) -> RestResult {
    let (_, r): (u64, node::StatusResponse) = ask(
        &q,
        LATEST,
        "/cosmos.base.node.v1beta1.Service/Status",
        node::StatusRequest {},
    )
    .await?;
    Ok(reply(
        0,
        json!({
            "earliest_store_height": r.earliest_store_height.to_string(),
            "height": r.height.to_string(),
            "timestamp": gateway::timestamp(r.timestamp.as_ref()),
            "app_hash": gateway::bytes(&r.app_hash),
            "validator_hash": gateway::bytes(&r.validator_hash),
        }),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    #[allow(deprecated)] // `events`, as older clients send it
    fn search_parameters_follow_the_gateway() {
        let r = search_request(&pairs(&[
            ("events", "message.sender='a'"),
            ("events", "tx.height=3"),
            ("order_by", "ORDER_BY_DESC"),
            ("limit", "5"),
            ("page", "2"),
        ]))
        .unwrap();
        assert_eq!(r.events, vec!["message.sender='a'", "tx.height=3"]);
        assert_eq!(r.order_by, tx::OrderBy::Desc as i32);
        assert_eq!((r.page, r.limit), (2, 5));
        // The deprecated pagination is passed on (the method pages with it).
        let r = search_request(&pairs(&[
            ("query", "tx.height>1"),
            ("pagination.limit", "10"),
            ("pagination.offset", "20"),
        ]))
        .unwrap();
        assert_eq!(r.query, "tx.height>1");
        let pagination = r.pagination.unwrap();
        assert_eq!((pagination.limit, pagination.offset), (10, 20));
        assert!(search_request(&pairs(&[("page", "-1")])).is_err());
        assert!(search_request(&pairs(&[("order_by", "SIDEWAYS")])).is_err());
        assert_eq!(
            search_request(&pairs(&[("order_by", "2")]))
                .unwrap()
                .order_by,
            2
        );
    }

    #[test]
    fn broadcast_modes_by_name_or_number() {
        let by_name = |n: &str| tx::BroadcastMode::from_str_name(n).map(|m| m as i32);
        assert_eq!(
            enum_value(&json!("BROADCAST_MODE_SYNC"), "mode", by_name).unwrap(),
            2
        );
        assert_eq!(enum_value(&json!(3), "mode", by_name).unwrap(), 3);
        assert_eq!(enum_value(&Value::Null, "mode", by_name).unwrap(), 0);
        assert!(enum_value(&json!("FAST"), "mode", by_name).is_err());
        assert!(enum_value(&json!([1]), "mode", by_name).is_err());
    }
}
