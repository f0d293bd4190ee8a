//! The Cosmos services over REST (the Cosmos SDK's gRPC-gateway routes), on
//! the HTTP read API's listener: what Keplr and explorers read.
//!
//! Each route builds the method's request, asks the same method functions
//! as ABCI and gRPC (through [`CosmosServices`]) and
//! renders the response in the gateway's proto3 JSON: the proto field names
//! (snake_case), every field present, 64-bit integers as strings, bytes as
//! base64, `Any` with `@type`. The height answered at is in the response
//! header `x-cosmos-block-height`. Errors are the gateway's
//! `{"code": <gRPC code>, "message": …, "details": []}` with the HTTP status
//! of the code (NotFound 404, InvalidArgument 400, Unimplemented 501,
//! Internal 500). Every response allows any origin (CORS), and preflight
//! `OPTIONS` requests are answered, so browser apps can call it.
//!
//! | route | method |
//! |---|---|
//! | `GET /cosmos/auth/v1beta1/accounts?pagination.key=&pagination.limit=` | auth `Accounts` |
//! | `GET /cosmos/auth/v1beta1/accounts/{address}` | auth `Account` |
//! | `GET /cosmos/auth/v1beta1/params` | auth `Params` |
//! | `GET /cosmos/bank/v1beta1/balances/{address}` | bank `AllBalances` |
//! | `GET /cosmos/bank/v1beta1/balances/{address}/by_denom?denom=` | bank `Balance` |
//! | `GET /cosmos/bank/v1beta1/spendable_balances/{address}` | bank `SpendableBalances` |
//! | `GET /cosmos/bank/v1beta1/spendable_balances/{address}/by_denom?denom=` | bank `SpendableBalanceByDenom` |
//! | `GET /cosmos/bank/v1beta1/supply` | bank `TotalSupply` |
//! | `GET /cosmos/bank/v1beta1/supply/by_denom?denom=` | bank `SupplyOf` |
//! | `GET /cosmos/bank/v1beta1/params` | bank `Params` |
//! | `GET /cosmos/bank/v1beta1/denoms_metadata` | bank `DenomsMetadata` |
//! | `GET /cosmos/bank/v1beta1/denoms_metadata/{denom}` | bank `DenomMetadata` |
//! | `POST /cosmos/tx/v1beta1/simulate` `{"tx_bytes": base64}` | tx `Simulate` |

use super::grpc::HEIGHT_HEADER;
use super::{CosmosError, CosmosServices, StatusCode as Code, MAX_REQUEST_BYTES};
use axum::extract::DefaultBodyLimit;
use axum::extract::{Path, Query, Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use cosmrs::proto::cosmos::auth::v1beta1 as auth;
use cosmrs::proto::cosmos::bank::v1beta1 as bank;
use cosmrs::proto::cosmos::base::query::v1beta1::PageResponse;
use cosmrs::proto::cosmos::base::v1beta1::Coin;
use cosmrs::proto::cosmos::tx::v1beta1 as tx;
use prost::Message;
use serde::Deserialize;
use serde_json::{json, Value};
use std::time::Duration;

mod chain;
mod distribution;
mod json;
mod slashing;
mod staking;

/// Most REST requests of the Cosmos services served at once.
const MAX_CONCURRENT_REQUESTS: usize = 256;

/// What the handlers share: where the methods are answered, and how long
/// one may take.
#[derive(Clone)]
struct Rest {
    services: CosmosServices,
    timeout: Duration,
}

/// The REST routes over `services`; each request answered within `timeout`.
pub fn router(services: CosmosServices, timeout: Duration) -> Router {
    let router = Router::new()
        .route("/cosmos/auth/v1beta1/accounts", get(accounts))
        .route("/cosmos/auth/v1beta1/accounts/{address}", get(account))
        .route("/cosmos/auth/v1beta1/params", get(auth_params))
        .route("/cosmos/bank/v1beta1/balances/{address}", get(all_balances))
        .route(
            "/cosmos/bank/v1beta1/balances/{address}/by_denom",
            get(balance),
        )
        .route(
            "/cosmos/bank/v1beta1/spendable_balances/{address}",
            get(spendable_balances),
        )
        .route(
            "/cosmos/bank/v1beta1/spendable_balances/{address}/by_denom",
            get(spendable_balance),
        )
        .route("/cosmos/bank/v1beta1/supply", get(total_supply))
        .route("/cosmos/bank/v1beta1/supply/by_denom", get(supply_of))
        .route("/cosmos/bank/v1beta1/params", get(bank_params))
        .route("/cosmos/bank/v1beta1/denoms_metadata", get(denoms_metadata))
        .route(
            "/cosmos/bank/v1beta1/denoms_metadata/{denom}",
            get(denom_metadata),
        )
        .route("/cosmos/tx/v1beta1/simulate", post(simulate))
        .route("/cosmos/base/node/v1beta1/config", get(node_config));
    let router = distribution::routes(staking::routes(chain::routes(router)));
    slashing::routes(router)
        .layer(DefaultBodyLimit::max(base64_len(MAX_REQUEST_BYTES) + 1024))
        .layer(tower::limit::GlobalConcurrencyLimitLayer::new(
            MAX_CONCURRENT_REQUESTS,
        ))
        .layer(axum::middleware::from_fn(cors))
        .with_state(Rest { services, timeout })
}

/// The base64 length of `n` bytes.
const fn base64_len(n: usize) -> usize {
    n.div_ceil(3) * 4
}

/// A `/cosmos/` path no route has, in the gateway's error form (the HTTP
/// listener's fallback sends those here).
pub fn unknown_route(uri: &axum::http::Uri) -> Response {
    let mut response = RestError(CosmosError {
        code: Code::Unimplemented,
        message: format!("no REST route {}: see docs/wallets.md", uri.path()),
    })
    .into_response();
    response.headers_mut().insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    response
}

/// The height a request asks for: its `x-cosmos-block-height` header, or 0
/// (the latest).
struct AskedHeight(u64);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for AskedHeight {
    type Rejection = RestError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _state: &S,
    ) -> Result<Self, RestError> {
        match parts.headers.get(HEIGHT_HEADER) {
            None => Ok(AskedHeight(0)),
            Some(value) => value
                .to_str()
                .ok()
                .and_then(|text| text.parse().ok())
                .map(AskedHeight)
                .ok_or_else(|| {
                    RestError(CosmosError::invalid(format!(
                        "{HEIGHT_HEADER} must be a non-negative integer"
                    )))
                }),
        }
    }
}

/// Any origin may call; a preflight is answered at once.
async fn cors(request: Request, next: Next) -> Response {
    let preflight = request.method() == Method::OPTIONS;
    let mut response = if preflight {
        StatusCode::NO_CONTENT.into_response()
    } else {
        next.run(request).await
    };
    let headers = response.headers_mut();
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    if preflight {
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static("GET, POST, OPTIONS"),
        );
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            HeaderValue::from_static("content-type, x-cosmos-block-height"),
        );
    }
    response
}

/// A failed request, in the gateway's form.
#[derive(Debug)]
struct RestError(CosmosError);

impl IntoResponse for RestError {
    fn into_response(self) -> Response {
        // gRPC's numeric codes, as the gateway puts them in `code`.
        let (status, grpc_code) = match self.0.code {
            Code::InvalidArgument => (StatusCode::BAD_REQUEST, 3),
            Code::NotFound => (StatusCode::NOT_FOUND, 5),
            Code::Unimplemented => (StatusCode::NOT_IMPLEMENTED, 12),
            Code::Internal => (StatusCode::INTERNAL_SERVER_ERROR, 13),
            Code::Unavailable => (StatusCode::SERVICE_UNAVAILABLE, 14),
        };
        (
            status,
            Json(json!({ "code": grpc_code, "message": self.0.message, "details": [] })),
        )
            .into_response()
    }
}

type RestResult = Result<Response, RestError>;

/// Asks `method` with `request`; decodes the answer.
async fn ask<Resp: Message + Default>(
    rest: &Rest,
    asked: AskedHeight,
    method: &'static str,
    request: impl Message,
) -> Result<(u64, Resp), RestError> {
    let data = request.encode_to_vec();
    let work = rest.services.call(method.to_string(), data, asked.0);
    let (height, bytes) = tokio::time::timeout(rest.timeout, work)
        .await
        .map_err(|_| {
            RestError(CosmosError::internal(&format!(
                "{method} took longer than {:?}",
                rest.timeout
            )))
        })?
        .map_err(RestError)?;
    let response = Resp::decode(bytes.as_slice())
        .map_err(|e| RestError(CosmosError::internal(&format!("answer of {method}: {e}"))))?;
    Ok((height, response))
}

/// `body` as JSON with the height header.
/// (No header for height 0: the methods that read CometBFT name their
/// heights in the body.)
fn reply(height: u64, body: Value) -> Response {
    let mut response = Json(body).into_response();
    if height > 0 {
        if let Ok(value) = HeaderValue::from_str(&height.to_string()) {
            response.headers_mut().insert(HEIGHT_HEADER, value);
        }
    }
    response
}

fn coin(coin: &Coin) -> Value {
    json!({ "denom": coin.denom, "amount": coin.amount })
}

fn coins(list: &[Coin]) -> Value {
    Value::Array(list.iter().map(coin).collect())
}

fn maybe_coin(value: Option<&Coin>) -> Value {
    value.map_or(Value::Null, coin)
}

fn page(page: Option<&PageResponse>) -> Value {
    page.map_or(Value::Null, |p| {
        json!({
            "next_key": if p.next_key.is_empty() { Value::Null } else { json::bytes(&p.next_key) },
            "total": p.total.to_string(),
        })
    })
}

/// `{"balances": […], "pagination": …}`.
fn balances_reply(height: u64, balances: &[Coin], pagination: Option<&PageResponse>) -> Response {
    reply(
        height,
        json!({ "balances": coins(balances), "pagination": page(pagination) }),
    )
}

/// `{"balance": coin}`.
fn balance_reply(height: u64, balance: Option<&Coin>) -> Response {
    reply(height, json!({ "balance": maybe_coin(balance) }))
}

async fn account(
    State(q): State<Rest>,
    asked: AskedHeight,
    Path(address): Path<String>,
) -> RestResult {
    let (height, response): (u64, auth::QueryAccountResponse) = ask(
        &q,
        asked,
        "/cosmos.auth.v1beta1.Query/Account",
        auth::QueryAccountRequest { address },
    )
    .await?;
    let account = account_json(response.account.as_ref())?;
    Ok(reply(height, json!({ "account": account })))
}

/// An account answer (a `BaseAccount` in an `Any`) in the gateway's JSON.
fn account_json(answer: Option<&cosmrs::proto::Any>) -> Result<Value, RestError> {
    match answer {
        Some(any) if any.type_url == super::auth::BASE_ACCOUNT_TYPE_URL => {
            let base = auth::BaseAccount::decode(any.value.as_slice())
                .map_err(|e| RestError(CosmosError::internal(&format!("BaseAccount: {e}"))))?;
            Ok(json!({
                "@type": any.type_url,
                "address": base.address,
                "pub_key": Value::Null,
                "account_number": base.account_number.to_string(),
                "sequence": base.sequence.to_string(),
            }))
        }
        other => Err(RestError(CosmosError::internal(&format!(
            "unexpected account answer {:?}",
            other.map(|any| &any.type_url)
        )))),
    }
}

/// The gateway's `pagination.*` query parameters.
#[derive(Deserialize, Default)]
struct PageQuery {
    /// Base64 (standard or URL-safe) `next_key` of the page before.
    #[serde(rename = "pagination.key", default)]
    key: String,
    #[serde(rename = "pagination.offset", default)]
    offset: u64,
    #[serde(rename = "pagination.limit", default)]
    limit: u64,
    #[serde(rename = "pagination.count_total", default)]
    count_total: bool,
    #[serde(rename = "pagination.reverse", default)]
    reverse: bool,
}

impl PageQuery {
    /// The SDK's `PageRequest`, or why the key is not base64.
    fn request(
        self,
    ) -> Result<cosmrs::proto::cosmos::base::query::v1beta1::PageRequest, RestError> {
        use base64::engine::general_purpose::{STANDARD, URL_SAFE};
        // A `+` of a key pasted unencoded into the query string arrives as
        // a space: base64 has no spaces, so put it back.
        let text = self.key.replace(' ', "+");
        let key = if text.is_empty() {
            Vec::new()
        } else {
            STANDARD
                .decode(&text)
                .or_else(|_| URL_SAFE.decode(&text))
                .map_err(|_| {
                    RestError(CosmosError::invalid(format!(
                        "pagination.key must be base64 (a page's next_key), not {:?}",
                        self.key
                    )))
                })?
        };
        Ok(cosmrs::proto::cosmos::base::query::v1beta1::PageRequest {
            key,
            offset: self.offset,
            limit: self.limit,
            count_total: self.count_total,
            reverse: self.reverse,
        })
    }
}

async fn accounts(
    State(q): State<Rest>,
    asked: AskedHeight,
    Query(paging): Query<PageQuery>,
) -> RestResult {
    let (height, response): (u64, auth::QueryAccountsResponse) = ask(
        &q,
        asked,
        "/cosmos.auth.v1beta1.Query/Accounts",
        auth::QueryAccountsRequest {
            pagination: Some(paging.request()?),
        },
    )
    .await?;
    let accounts = response
        .accounts
        .iter()
        .map(|any| account_json(Some(any)))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(reply(
        height,
        json!({ "accounts": accounts, "pagination": page(response.pagination.as_ref()) }),
    ))
}

async fn auth_params(State(q): State<Rest>, asked: AskedHeight) -> RestResult {
    let (height, response): (u64, auth::QueryParamsResponse) = ask(
        &q,
        asked,
        "/cosmos.auth.v1beta1.Query/Params",
        auth::QueryParamsRequest {},
    )
    .await?;
    let params = response.params.map_or(Value::Null, |p| {
        json!({
            "max_memo_characters": p.max_memo_characters.to_string(),
            "tx_sig_limit": p.tx_sig_limit.to_string(),
            "tx_size_cost_per_byte": p.tx_size_cost_per_byte.to_string(),
            "sig_verify_cost_ed25519": p.sig_verify_cost_ed25519.to_string(),
            "sig_verify_cost_secp256k1": p.sig_verify_cost_secp256k1.to_string(),
        })
    });
    Ok(reply(height, json!({ "params": params })))
}

/// `?denom=`.
#[derive(Debug, Deserialize)]
struct DenomQuery {
    #[serde(default)]
    denom: String,
}

async fn all_balances(
    State(q): State<Rest>,
    asked: AskedHeight,
    Path(address): Path<String>,
) -> RestResult {
    let (height, response): (u64, bank::QueryAllBalancesResponse) = ask(
        &q,
        asked,
        "/cosmos.bank.v1beta1.Query/AllBalances",
        bank::QueryAllBalancesRequest {
            address,
            ..Default::default()
        },
    )
    .await?;
    Ok(balances_reply(
        height,
        &response.balances,
        response.pagination.as_ref(),
    ))
}

async fn balance(
    State(q): State<Rest>,
    asked: AskedHeight,
    Path(address): Path<String>,
    Query(query): Query<DenomQuery>,
) -> RestResult {
    let (height, response): (u64, bank::QueryBalanceResponse) = ask(
        &q,
        asked,
        "/cosmos.bank.v1beta1.Query/Balance",
        bank::QueryBalanceRequest {
            address,
            denom: query.denom,
        },
    )
    .await?;
    Ok(balance_reply(height, response.balance.as_ref()))
}

async fn spendable_balances(
    State(q): State<Rest>,
    asked: AskedHeight,
    Path(address): Path<String>,
) -> RestResult {
    let (height, response): (u64, bank::QuerySpendableBalancesResponse) = ask(
        &q,
        asked,
        "/cosmos.bank.v1beta1.Query/SpendableBalances",
        bank::QuerySpendableBalancesRequest {
            address,
            pagination: None,
        },
    )
    .await?;
    Ok(balances_reply(
        height,
        &response.balances,
        response.pagination.as_ref(),
    ))
}

async fn spendable_balance(
    State(q): State<Rest>,
    asked: AskedHeight,
    Path(address): Path<String>,
    Query(query): Query<DenomQuery>,
) -> RestResult {
    let (height, response): (u64, bank::QuerySpendableBalanceByDenomResponse) = ask(
        &q,
        asked,
        "/cosmos.bank.v1beta1.Query/SpendableBalanceByDenom",
        bank::QuerySpendableBalanceByDenomRequest {
            address,
            denom: query.denom,
        },
    )
    .await?;
    Ok(balance_reply(height, response.balance.as_ref()))
}

async fn total_supply(State(q): State<Rest>, asked: AskedHeight) -> RestResult {
    let (height, response): (u64, bank::QueryTotalSupplyResponse) = ask(
        &q,
        asked,
        "/cosmos.bank.v1beta1.Query/TotalSupply",
        bank::QueryTotalSupplyRequest { pagination: None },
    )
    .await?;
    Ok(reply(
        height,
        json!({
            "supply": coins(&response.supply),
            "pagination": page(response.pagination.as_ref()),
        }),
    ))
}

async fn supply_of(
    State(q): State<Rest>,
    asked: AskedHeight,
    Query(query): Query<DenomQuery>,
) -> RestResult {
    let (height, response): (u64, bank::QuerySupplyOfResponse) = ask(
        &q,
        asked,
        "/cosmos.bank.v1beta1.Query/SupplyOf",
        bank::QuerySupplyOfRequest { denom: query.denom },
    )
    .await?;
    Ok(reply(
        height,
        json!({ "amount": maybe_coin(response.amount.as_ref()) }),
    ))
}

async fn bank_params(State(q): State<Rest>, asked: AskedHeight) -> RestResult {
    let (height, response): (u64, bank::QueryParamsResponse) = ask(
        &q,
        asked,
        "/cosmos.bank.v1beta1.Query/Params",
        bank::QueryParamsRequest {},
    )
    .await?;
    let params = response.params.map_or(
        Value::Null,
        |p| json!({ "send_enabled": [], "default_send_enabled": p.default_send_enabled }),
    );
    Ok(reply(height, json!({ "params": params })))
}

fn metadata(m: &bank::Metadata) -> Value {
    json!({
        "description": m.description,
        "denom_units": m.denom_units.iter().map(|u| json!({
            "denom": u.denom,
            "exponent": u.exponent,
            "aliases": u.aliases,
        })).collect::<Vec<_>>(),
        "base": m.base,
        "display": m.display,
        "name": m.name,
        "symbol": m.symbol,
        "uri": m.uri,
        "uri_hash": m.uri_hash,
    })
}

async fn denoms_metadata(State(q): State<Rest>, asked: AskedHeight) -> RestResult {
    let (height, response): (u64, bank::QueryDenomsMetadataResponse) = ask(
        &q,
        asked,
        "/cosmos.bank.v1beta1.Query/DenomsMetadata",
        bank::QueryDenomsMetadataRequest { pagination: None },
    )
    .await?;
    Ok(reply(
        height,
        json!({
            "metadatas": response.metadatas.iter().map(metadata).collect::<Vec<_>>(),
            "pagination": page(response.pagination.as_ref()),
        }),
    ))
}

async fn denom_metadata(
    State(q): State<Rest>,
    asked: AskedHeight,
    Path(denom): Path<String>,
) -> RestResult {
    let (height, response): (u64, bank::QueryDenomMetadataResponse) = ask(
        &q,
        asked,
        "/cosmos.bank.v1beta1.Query/DenomMetadata",
        bank::QueryDenomMetadataRequest { denom },
    )
    .await?;
    Ok(reply(
        height,
        json!({ "metadata": response.metadata.as_ref().map_or(Value::Null, metadata) }),
    ))
}

/// `POST /cosmos/tx/v1beta1/simulate`'s body.
#[derive(Debug, Deserialize)]
struct SimulateBody {
    /// The TxRaw, base64.
    #[serde(default)]
    tx_bytes: String,
}

async fn simulate(
    State(q): State<Rest>,
    asked: AskedHeight,
    Json(body): Json<SimulateBody>,
) -> RestResult {
    let tx_bytes = base64::engine::general_purpose::STANDARD
        .decode(body.tx_bytes.as_bytes())
        .map_err(|e| RestError(CosmosError::invalid(format!("tx_bytes is not base64: {e}"))))?;
    let (height, response): (u64, tx::SimulateResponse) = ask(
        &q,
        asked,
        "/cosmos.tx.v1beta1.Service/Simulate",
        tx::SimulateRequest {
            tx_bytes,
            ..Default::default()
        },
    )
    .await?;
    let gas_info = response.gas_info.map_or(
        Value::Null,
        |g| json!({ "gas_wanted": g.gas_wanted.to_string(), "gas_used": g.gas_used.to_string() }),
    );
    let result = response.result.map_or(Value::Null, |r| {
        json!({
            // `data` is deprecated in the SDK (msg_responses replace it); Quire
            // sets neither.
            "data": Value::Null,
            "log": r.log,
            "events": r.events.iter().map(|e| json!({
                "type": e.r#type,
                "attributes": e.attributes.iter().map(|a| json!({
                    "key": a.key,
                    "value": a.value,
                    "index": a.index,
                })).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
            "msg_responses": [],
        })
    });
    Ok(reply(
        height,
        json!({ "gas_info": gas_info, "result": result }),
    ))
}

async fn node_config(State(q): State<Rest>, asked: AskedHeight) -> RestResult {
    let (height, response): (
        u64,
        cosmrs::proto::cosmos::base::node::v1beta1::ConfigResponse,
    ) = ask(
        &q,
        asked,
        "/cosmos.base.node.v1beta1.Service/Config",
        cosmrs::proto::cosmos::base::node::v1beta1::ConfigRequest {},
    )
    .await?;
    Ok(reply(
        height,
        json!({
            "minimum_gas_price": response.minimum_gas_price,
            "pruning_keep_recent": response.pruning_keep_recent,
            "pruning_interval": response.pruning_interval,
            "halt_height": response.halt_height.to_string(),
        }),
    ))
}
