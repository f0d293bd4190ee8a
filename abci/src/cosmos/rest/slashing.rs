//! The REST routes of the slashing methods ([`crate::cosmos::slashing`]),
//! with the gateway's paths and JSON.
//!
//! | route | method |
//! |---|---|
//! | `GET /cosmos/slashing/v1beta1/signing_infos?pagination.key=&pagination.limit=` | `SigningInfos` |
//! | `GET /cosmos/slashing/v1beta1/signing_infos/{cons_address}` | `SigningInfo` |
//! | `GET /cosmos/slashing/v1beta1/params` | `Params` |

use super::json::{dec_bytes, duration, timestamp};
use super::{ask, page, reply, AskedHeight, PageQuery, Rest, RestResult};
use axum::extract::{Path, Query, State};
use axum::routing::get;
use axum::Router;
use cosmrs::proto::cosmos::slashing::v1beta1 as sdk;
use serde_json::{json, Value};

/// Adds the routes to `router`.
pub(super) fn routes(router: Router<Rest>) -> Router<Rest> {
    router
        .route("/cosmos/slashing/v1beta1/signing_infos", get(signing_infos))
        .route(
            "/cosmos/slashing/v1beta1/signing_infos/{cons_address}",
            get(signing_info),
        )
        .route("/cosmos/slashing/v1beta1/params", get(params))
}

/// A signing info in the gateway's JSON.
fn info_json(i: &sdk::ValidatorSigningInfo) -> Value {
    json!({
        "address": i.address,
        "start_height": i.start_height.to_string(),
        "index_offset": i.index_offset.to_string(),
        "jailed_until": timestamp(i.jailed_until.as_ref()),
        "tombstoned": i.tombstoned,
        "missed_blocks_counter": i.missed_blocks_counter.to_string(),
    })
}

async fn signing_infos(
    State(q): State<Rest>,
    asked: AskedHeight,
    Query(paging): Query<PageQuery>,
) -> RestResult {
    let (height, r): (u64, sdk::QuerySigningInfosResponse) = ask(
        &q,
        asked,
        "/cosmos.slashing.v1beta1.Query/SigningInfos",
        sdk::QuerySigningInfosRequest {
            pagination: Some(paging.request()?),
        },
    )
    .await?;
    let info: Vec<Value> = r.info.iter().map(info_json).collect();
    Ok(reply(
        height,
        json!({ "info": info, "pagination": page(r.pagination.as_ref()) }),
    ))
}

async fn signing_info(
    State(q): State<Rest>,
    asked: AskedHeight,
    Path(cons_address): Path<String>,
) -> RestResult {
    let (height, r): (u64, sdk::QuerySigningInfoResponse) = ask(
        &q,
        asked,
        "/cosmos.slashing.v1beta1.Query/SigningInfo",
        sdk::QuerySigningInfoRequest { cons_address },
    )
    .await?;
    Ok(reply(
        height,
        json!({ "val_signing_info": r.val_signing_info.as_ref().map_or(Value::Null, info_json) }),
    ))
}

async fn params(State(q): State<Rest>, asked: AskedHeight) -> RestResult {
    let (height, r): (u64, sdk::QueryParamsResponse) = ask(
        &q,
        asked,
        "/cosmos.slashing.v1beta1.Query/Params",
        sdk::QueryParamsRequest {},
    )
    .await?;
    let params = r.params.as_ref().map_or(Value::Null, |p| {
        json!({
            "signed_blocks_window": p.signed_blocks_window.to_string(),
            "min_signed_per_window": dec_bytes(&p.min_signed_per_window),
            "downtime_jail_duration": duration(p.downtime_jail_duration.as_ref()),
            "slash_fraction_double_sign": dec_bytes(&p.slash_fraction_double_sign),
            "slash_fraction_downtime": dec_bytes(&p.slash_fraction_downtime),
        })
    });
    Ok(reply(height, json!({ "params": params })))
}
