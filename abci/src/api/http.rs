//! The read API over HTTP/JSON (axum), with the gRPC messages' shapes in the
//! proto3 JSON mapping (bytes as base64, 64-bit integers as strings), and
//! readable forms beside them ([`super::annotate`]: bech32 signers, hex
//! namespaces and hashes, a summary of each signed header).
//!
//! | route | answer |
//! |---|---|
//! | `GET /v1/height` | `GetLatestHeightResponse` |
//! | `GET /v1/namespaces/{namespace}/heights/{height}` | `NamespaceData` |
//! | `GET /v1/namespaces/{namespace}/range?from=F&to=T` | `GetNamespaceRangeResponse` |
//! | `GET /v1/namespaces/{namespace}/stream?from=F` | server-sent events, one `NamespaceData` each (`id` = height) |
//! | `GET /v1/blocks/{height}` | `BlockData` |
//! | `GET /v1/light_blocks/{height}` | `Attestation` (signed header, validator sets of the height and the next; no commitment) |
//! | `GET /v1/l1/info` | `L1Info` |
//! | `GET /v1/encryption` | `EncryptionInfo` (blind ordering's epoch key and rules) |
//! | `GET /v1/encryption/reveals/{height}` | `RevealRecord` (what the reveal at that height resolved) |
//! | `GET /v1/l1/checkpoint?height=H&rotation_after=A` | `SignedCheckpoint` (both optional: the latest attested height) |
//! | `GET /v1/l1/history_proof?height=H&size=S` | `HistoryProof` |
//!
//! The Cosmos services' REST routes (`/cosmos/...`) are merged in when the
//! API has them ([`crate::cosmos::rest`]), and the explorer page
//! (`/explorer`, [`super::explorer`]) always.
//!
//! `{namespace}` is 64 hex digits. Errors are `{"code": "...", "message": "..."}`
//! with 400 (bad request), 404 (unknown or not yet available height; a chain
//! not anchored on an L1 for the `/v1/l1` routes, no encryption for
//! `/v1/encryption`), 429 (too
//! many streams), 503 (CometBFT unavailable), 504 (timeout) or 500.

use super::annotate::annotated;
use super::{ApiError, ReadApi};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use quire_core::Namespace;
use quire_proto::sequencer::v1 as pb;
use serde::Deserialize;
use serde_json::Value;
use std::sync::Arc;
use tokio_stream::wrappers::ReceiverStream;
use tokio_stream::StreamExt;

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = match &self {
            ApiError::InvalidArgument(_) => (StatusCode::BAD_REQUEST, "invalid_argument"),
            ApiError::NotYetAvailable { .. } => (StatusCode::NOT_FOUND, "not_yet_available"),
            ApiError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            ApiError::TooManyStreams(_) => (StatusCode::TOO_MANY_REQUESTS, "too_many_streams"),
            ApiError::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
            ApiError::Timeout(_) => (StatusCode::GATEWAY_TIMEOUT, "timeout"),
            ApiError::NotAnchored => (StatusCode::NOT_FOUND, "not_anchored"),
            ApiError::NoEncryption => (StatusCode::NOT_FOUND, "no_encryption"),
            ApiError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        };
        (
            status,
            Json(serde_json::json!({ "code": code, "message": self.to_string() })),
        )
            .into_response()
    }
}

fn namespace(text: &str) -> Result<Namespace, ApiError> {
    text.parse()
        .map_err(|e| ApiError::InvalidArgument(format!("namespace: {e}")))
}

async fn timed<T>(
    api: &ReadApi,
    work: impl std::future::Future<Output = Result<T, ApiError>>,
) -> Result<T, ApiError> {
    let limit = api.limits().request_timeout;
    tokio::time::timeout(limit, work)
        .await
        .unwrap_or(Err(ApiError::Timeout(limit)))
}

async fn height(State(api): State<Arc<ReadApi>>) -> Json<Value> {
    Json(annotated(&pb::GetLatestHeightResponse {
        height: api.latest_height(),
    }))
}

async fn namespace_at(
    State(api): State<Arc<ReadApi>>,
    Path((ns, height)): Path<(String, u64)>,
) -> Result<Json<Value>, ApiError> {
    let ns = namespace(&ns)?;
    Ok(Json(annotated(
        &timed(&api, api.namespace_data(height, ns)).await?,
    )))
}

#[derive(Deserialize)]
struct RangeQuery {
    from: u64,
    to: u64,
}

async fn namespace_range(
    State(api): State<Arc<ReadApi>>,
    Path(ns): Path<String>,
    Query(range): Query<RangeQuery>,
) -> Result<Json<Value>, ApiError> {
    let ns = namespace(&ns)?;
    Ok(Json(annotated(
        &timed(&api, api.namespace_range(ns, range.from, range.to)).await?,
    )))
}

#[derive(Deserialize)]
struct StreamQuery {
    from: u64,
}

async fn namespace_stream(
    State(api): State<Arc<ReadApi>>,
    Path(ns): Path<String>,
    Query(query): Query<StreamQuery>,
) -> Result<impl IntoResponse, ApiError> {
    let ns = namespace(&ns)?;
    let receiver = api.stream(ns, query.from)?;
    let events = ReceiverStream::new(receiver).map(|item| {
        Ok::<Event, std::convert::Infallible>(match item {
            Ok(data) => Event::default()
                .id(data.height.to_string())
                .json_data(annotated(&data))
                .unwrap_or_else(|e| Event::default().event("error").data(e.to_string())),
            // The stream ends after this event; resume from the last id + 1.
            Err(error) => Event::default().event("error").data(error.to_string()),
        })
    });
    Ok(Sse::new(events).keep_alive(KeepAlive::default()))
}

async fn block(
    State(api): State<Arc<ReadApi>>,
    Path(height): Path<u64>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(annotated(&timed(&api, api.block(height)).await?)))
}

async fn light_block(
    State(api): State<Arc<ReadApi>>,
    Path(height): Path<u64>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(annotated(
        &timed(&api, api.light_block(height)).await?,
    )))
}

async fn encryption(State(api): State<Arc<ReadApi>>) -> Result<Json<Value>, ApiError> {
    Ok(Json(annotated(&api.encryption()?)))
}

async fn reveal_record(
    State(api): State<Arc<ReadApi>>,
    Path(height): Path<u64>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(annotated(&api.reveal_record(height)?)))
}

async fn l1_info(State(api): State<Arc<ReadApi>>) -> Result<Json<Value>, ApiError> {
    Ok(Json(annotated(&api.l1_info()?)))
}

#[derive(Deserialize)]
struct CheckpointQuery {
    #[serde(default)]
    height: u64,
    rotation_after: Option<u64>,
}

async fn checkpoint(
    State(api): State<Arc<ReadApi>>,
    Query(query): Query<CheckpointQuery>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(annotated(
        &api.checkpoint(query.height, query.rotation_after)?,
    )))
}

#[derive(Deserialize)]
struct HistoryProofQuery {
    height: u64,
    size: u64,
}

async fn history_proof(
    State(api): State<Arc<ReadApi>>,
    Query(query): Query<HistoryProofQuery>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(annotated(
        &api.history_proof(query.height, query.size)?,
    )))
}

/// The router of the HTTP read API, with the Cosmos services' REST routes
/// when the API has them ([`crate::cosmos::rest`]).
pub fn router(api: Arc<ReadApi>) -> Router {
    let cosmos = api.cosmos();
    let timeout = api.limits().request_timeout;
    let read = read_router(api).merge(super::explorer::router());
    let router = match cosmos {
        Some(services) => read.merge(crate::cosmos::rest::router(services, timeout)),
        None => read,
    };
    router
        .fallback(unknown_route)
        .layer(axum::middleware::from_fn(uniform_errors))
        .layer(axum::middleware::from_fn(count_request))
}

/// A path no route has: a Cosmos one in the gateway's form, else 404.
async fn unknown_route(uri: axum::http::Uri) -> Response {
    if uri.path().starts_with("/cosmos/") {
        return crate::cosmos::rest::unknown_route(&uri);
    }
    (StatusCode::NOT_FOUND, format!("no route {}", uri.path())).into_response()
}

/// Most bytes of a plain-text error body carried into the JSON form.
const MAX_ERROR_TEXT: usize = 4096;

/// Gives the errors axum itself answers (a query string or path parameter
/// that does not parse, a wrong method, an unknown route) the JSON form of
/// the API they were asked of: the Cosmos gateway's `{"code": <gRPC code>,
/// "message", "details": []}` under `/cosmos/`, the read API's `{"code",
/// "message"}` elsewhere. Answers that are JSON already pass unchanged.
async fn uniform_errors(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let cosmos = request.uri().path().starts_with("/cosmos/");
    let response = next.run(request).await;
    let status = response.status();
    let is_json = response
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !status.is_client_error() || is_json {
        return response;
    }
    let (parts, body) = response.into_parts();
    let text = match axum::body::to_bytes(body, MAX_ERROR_TEXT).await {
        Ok(bytes) => String::from_utf8_lossy(&bytes).trim().to_string(),
        Err(_) => String::new(),
    };
    let message = if text.is_empty() {
        status.canonical_reason().unwrap_or("error").to_string()
    } else {
        text
    };
    let body = if cosmos {
        // gRPC's numeric codes: NotFound 5, Unimplemented 12, else InvalidArgument 3.
        let code = match status {
            StatusCode::NOT_FOUND => 5,
            StatusCode::METHOD_NOT_ALLOWED => 12,
            _ => 3,
        };
        serde_json::json!({ "code": code, "message": message, "details": [] })
    } else {
        let code = match status {
            StatusCode::NOT_FOUND => "not_found",
            StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
            _ => "invalid_argument",
        };
        serde_json::json!({ "code": code, "message": message })
    };
    let mut response = (status, Json(body)).into_response();
    // Keep what the layers below set (CORS, allow), but not the old body's.
    for (name, value) in parts.headers.iter() {
        if name != axum::http::header::CONTENT_TYPE && name != axum::http::header::CONTENT_LENGTH {
            response.headers_mut().insert(name.clone(), value.clone());
        }
    }
    response
}

/// Counts each request in `quired_read_api_*` by its route template (never
/// the path itself, whose heights and namespaces would make labels without
/// bound) and status.
async fn count_request(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let route = request
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |p| p.as_str().to_string());
    let start = std::time::Instant::now();
    let response = next.run(request).await;
    crate::metrics::metrics().observe_read_api(
        "http",
        &route,
        response.status().as_str(),
        start.elapsed(),
    );
    response
}

fn read_router(api: Arc<ReadApi>) -> Router {
    Router::new()
        .route("/v1/height", get(height))
        .route(
            "/v1/namespaces/{namespace}/heights/{height}",
            get(namespace_at),
        )
        .route("/v1/namespaces/{namespace}/range", get(namespace_range))
        .route("/v1/namespaces/{namespace}/stream", get(namespace_stream))
        .route("/v1/blocks/{height}", get(block))
        .route("/v1/light_blocks/{height}", get(light_block))
        .route("/v1/l1/info", get(l1_info))
        .route("/v1/encryption", get(encryption))
        .route("/v1/encryption/reveals/{height}", get(reveal_record))
        .route("/v1/l1/checkpoint", get(checkpoint))
        .route("/v1/l1/history_proof", get(history_proof))
        .layer(tower::limit::GlobalConcurrencyLimitLayer::new(1024))
        .with_state(api)
}
