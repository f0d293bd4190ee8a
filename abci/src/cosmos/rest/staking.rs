//! The REST routes of the staking methods ([`crate::cosmos::staking`]),
//! with the gateway's paths and JSON.
//!
//! | route | method |
//! |---|---|
//! | `GET /cosmos/staking/v1beta1/validators?status=BOND_STATUS_…` | `Validators` |
//! | `GET /cosmos/staking/v1beta1/validators/{validator}` | `Validator` |
//! | `GET /cosmos/staking/v1beta1/validators/{validator}/delegations/{delegator}` | `Delegation` |
//! | `GET /cosmos/staking/v1beta1/validators/{validator}/delegations/{delegator}/unbonding_delegation` | `UnbondingDelegation` |
//! | `GET /cosmos/staking/v1beta1/validators/{validator}/delegations?pagination.key=&pagination.limit=` | `ValidatorDelegations` |
//! | `GET /cosmos/staking/v1beta1/delegations/{delegator}` | `DelegatorDelegations` |
//! | `GET /cosmos/staking/v1beta1/delegators/{delegator}/redelegations?src_validator_addr=&dst_validator_addr=&pagination.key=` | `Redelegations` |
//! | `GET /cosmos/staking/v1beta1/pool` | `Pool` |
//! | `GET /cosmos/staking/v1beta1/params` | `Params` |

use super::json::{any, dec, description, duration, timestamp};
use super::{ask, page, reply, AskedHeight, PageQuery, Rest, RestResult};
use axum::extract::{Path, Query, State};
use axum::routing::get;
use axum::Router;
use cosmrs::proto::cosmos::staking::v1beta1 as sdk;
use serde::Deserialize;
use serde_json::{json, Value};

/// Adds the routes to `router`.
pub(super) fn routes(router: Router<Rest>) -> Router<Rest> {
    router
        .route("/cosmos/staking/v1beta1/validators", get(validators))
        .route(
            "/cosmos/staking/v1beta1/validators/{validator}",
            get(validator),
        )
        .route(
            "/cosmos/staking/v1beta1/validators/{validator}/delegations/{delegator}",
            get(delegation),
        )
        .route(
            "/cosmos/staking/v1beta1/validators/{validator}/delegations/{delegator}/unbonding_delegation",
            get(unbonding_delegation),
        )
        .route(
            "/cosmos/staking/v1beta1/delegations/{delegator}",
            get(delegator_delegations),
        )
        .route(
            "/cosmos/staking/v1beta1/validators/{validator}/delegations",
            get(validator_delegations),
        )
        .route(
            "/cosmos/staking/v1beta1/delegators/{delegator}/redelegations",
            get(redelegations),
        )
        .route("/cosmos/staking/v1beta1/pool", get(pool))
        .route("/cosmos/staking/v1beta1/params", get(params))
}

/// A validator in the gateway's JSON.
fn validator_json(v: &sdk::Validator) -> Value {
    let status =
        sdk::BondStatus::try_from(v.status).map_or("BOND_STATUS_UNSPECIFIED", |s| s.as_str_name());
    let description = description(v.description.as_ref());
    let commission = v.commission.as_ref().map_or(Value::Null, |c| {
        json!({
            "commission_rates": c.commission_rates.as_ref().map_or(Value::Null, |r| json!({
                "rate": dec(&r.rate),
                "max_rate": dec(&r.max_rate),
                "max_change_rate": dec(&r.max_change_rate),
            })),
            "update_time": timestamp(c.update_time.as_ref()),
        })
    });
    json!({
        "operator_address": v.operator_address,
        "consensus_pubkey": v.consensus_pubkey.as_ref().map_or(Value::Null, any),
        "jailed": v.jailed,
        "status": status,
        "tokens": v.tokens,
        "delegator_shares": dec(&v.delegator_shares),
        "description": description,
        "unbonding_height": v.unbonding_height.to_string(),
        "unbonding_time": timestamp(v.unbonding_time.as_ref()),
        "commission": commission,
        "min_self_delegation": v.min_self_delegation,
        "unbonding_on_hold_ref_count": v.unbonding_on_hold_ref_count.to_string(),
        "unbonding_ids": v.unbonding_ids.iter().map(u64::to_string).collect::<Vec<_>>(),
    })
}

fn delegation_json(d: &sdk::DelegationResponse) -> Value {
    json!({
        "delegation": d.delegation.as_ref().map_or(Value::Null, |d| json!({
            "delegator_address": d.delegator_address,
            "validator_address": d.validator_address,
            "shares": dec(&d.shares),
        })),
        "balance": d.balance.as_ref().map_or(Value::Null, |c| json!({
            "denom": c.denom,
            "amount": c.amount,
        })),
    })
}

#[derive(Deserialize)]
struct StatusQuery {
    #[serde(default)]
    status: String,
}

async fn validators(
    State(q): State<Rest>,
    asked: AskedHeight,
    Query(query): Query<StatusQuery>,
) -> RestResult {
    let (height, r): (u64, sdk::QueryValidatorsResponse) = ask(
        &q,
        asked,
        "/cosmos.staking.v1beta1.Query/Validators",
        sdk::QueryValidatorsRequest {
            status: query.status,
            pagination: None,
        },
    )
    .await?;
    let list: Vec<Value> = r.validators.iter().map(validator_json).collect();
    Ok(reply(
        height,
        json!({ "validators": list, "pagination": page(r.pagination.as_ref()) }),
    ))
}

async fn validator(
    State(q): State<Rest>,
    asked: AskedHeight,
    Path(validator_addr): Path<String>,
) -> RestResult {
    let (height, r): (u64, sdk::QueryValidatorResponse) = ask(
        &q,
        asked,
        "/cosmos.staking.v1beta1.Query/Validator",
        sdk::QueryValidatorRequest { validator_addr },
    )
    .await?;
    Ok(reply(
        height,
        json!({ "validator": r.validator.as_ref().map_or(Value::Null, validator_json) }),
    ))
}

async fn delegation(
    State(q): State<Rest>,
    asked: AskedHeight,
    Path((validator_addr, delegator_addr)): Path<(String, String)>,
) -> RestResult {
    let (height, r): (u64, sdk::QueryDelegationResponse) = ask(
        &q,
        asked,
        "/cosmos.staking.v1beta1.Query/Delegation",
        sdk::QueryDelegationRequest {
            delegator_addr,
            validator_addr,
        },
    )
    .await?;
    Ok(reply(
        height,
        json!({ "delegation_response": r.delegation_response.as_ref().map_or(Value::Null, delegation_json) }),
    ))
}

async fn unbonding_delegation(
    State(q): State<Rest>,
    asked: AskedHeight,
    Path((validator_addr, delegator_addr)): Path<(String, String)>,
) -> RestResult {
    let (height, r): (u64, sdk::QueryUnbondingDelegationResponse) = ask(
        &q,
        asked,
        "/cosmos.staking.v1beta1.Query/UnbondingDelegation",
        sdk::QueryUnbondingDelegationRequest {
            delegator_addr,
            validator_addr,
        },
    )
    .await?;
    let unbond = r.unbond.as_ref().map_or(Value::Null, |u| {
        json!({
            "delegator_address": u.delegator_address,
            "validator_address": u.validator_address,
            "entries": u.entries.iter().map(|e| json!({
                "creation_height": e.creation_height.to_string(),
                "completion_time": timestamp(e.completion_time.as_ref()),
                "initial_balance": e.initial_balance,
                "balance": e.balance,
                "unbonding_id": e.unbonding_id.to_string(),
                "unbonding_on_hold_ref_count": e.unbonding_on_hold_ref_count.to_string(),
            })).collect::<Vec<_>>(),
        })
    });
    Ok(reply(height, json!({ "unbond": unbond })))
}

async fn delegator_delegations(
    State(q): State<Rest>,
    asked: AskedHeight,
    Path(delegator_addr): Path<String>,
) -> RestResult {
    let (height, r): (u64, sdk::QueryDelegatorDelegationsResponse) = ask(
        &q,
        asked,
        "/cosmos.staking.v1beta1.Query/DelegatorDelegations",
        sdk::QueryDelegatorDelegationsRequest {
            delegator_addr,
            pagination: None,
        },
    )
    .await?;
    let list: Vec<Value> = r.delegation_responses.iter().map(delegation_json).collect();
    Ok(reply(
        height,
        json!({ "delegation_responses": list, "pagination": page(r.pagination.as_ref()) }),
    ))
}

async fn pool(State(q): State<Rest>, asked: AskedHeight) -> RestResult {
    let (height, r): (u64, sdk::QueryPoolResponse) = ask(
        &q,
        asked,
        "/cosmos.staking.v1beta1.Query/Pool",
        sdk::QueryPoolRequest {},
    )
    .await?;
    let pool = r.pool.as_ref().map_or(
        Value::Null,
        |p| json!({ "not_bonded_tokens": p.not_bonded_tokens, "bonded_tokens": p.bonded_tokens }),
    );
    Ok(reply(height, json!({ "pool": pool })))
}

async fn params(State(q): State<Rest>, asked: AskedHeight) -> RestResult {
    let (height, r): (u64, sdk::QueryParamsResponse) = ask(
        &q,
        asked,
        "/cosmos.staking.v1beta1.Query/Params",
        sdk::QueryParamsRequest {},
    )
    .await?;
    let params = r.params.as_ref().map_or(Value::Null, |p| {
        json!({
            "unbonding_time": duration(p.unbonding_time.as_ref()),
            "max_validators": p.max_validators,
            "max_entries": p.max_entries,
            "historical_entries": p.historical_entries,
            "bond_denom": p.bond_denom,
            "min_commission_rate": dec(&p.min_commission_rate),
        })
    });
    Ok(reply(height, json!({ "params": params })))
}

async fn validator_delegations(
    State(q): State<Rest>,
    asked: AskedHeight,
    Path(validator_addr): Path<String>,
    Query(paging): Query<PageQuery>,
) -> RestResult {
    let (height, r): (u64, sdk::QueryValidatorDelegationsResponse) = ask(
        &q,
        asked,
        "/cosmos.staking.v1beta1.Query/ValidatorDelegations",
        sdk::QueryValidatorDelegationsRequest {
            validator_addr,
            pagination: Some(paging.request()?),
        },
    )
    .await?;
    let list: Vec<Value> = r.delegation_responses.iter().map(delegation_json).collect();
    Ok(reply(
        height,
        json!({ "delegation_responses": list, "pagination": page(r.pagination.as_ref()) }),
    ))
}

#[derive(Deserialize)]
struct RedelegationFilter {
    #[serde(default)]
    src_validator_addr: String,
    #[serde(default)]
    dst_validator_addr: String,
}

async fn redelegations(
    State(q): State<Rest>,
    asked: AskedHeight,
    Path(delegator_addr): Path<String>,
    Query(filter): Query<RedelegationFilter>,
    Query(paging): Query<PageQuery>,
) -> RestResult {
    let (height, r): (u64, sdk::QueryRedelegationsResponse) = ask(
        &q,
        asked,
        "/cosmos.staking.v1beta1.Query/Redelegations",
        sdk::QueryRedelegationsRequest {
            delegator_addr,
            src_validator_addr: filter.src_validator_addr,
            dst_validator_addr: filter.dst_validator_addr,
            pagination: Some(paging.request()?),
        },
    )
    .await?;
    let entry = |e: Option<&sdk::RedelegationEntry>| {
        e.map_or(Value::Null, |e| {
            json!({
                "creation_height": e.creation_height.to_string(),
                "completion_time": timestamp(e.completion_time.as_ref()),
                "initial_balance": e.initial_balance,
                "shares_dst": dec(&e.shares_dst),
                "unbonding_id": e.unbonding_id.to_string(),
                "unbonding_on_hold_ref_count": e.unbonding_on_hold_ref_count.to_string(),
            })
        })
    };
    let list: Vec<Value> = r
        .redelegation_responses
        .iter()
        .map(|response| {
            json!({
                "redelegation": response.redelegation.as_ref().map_or(Value::Null, |d| json!({
                    "delegator_address": d.delegator_address,
                    "validator_src_address": d.validator_src_address,
                    "validator_dst_address": d.validator_dst_address,
                    "entries": d.entries.iter().map(|e| entry(Some(e))).collect::<Vec<_>>(),
                })),
                "entries": response.entries.iter().map(|e| json!({
                    "redelegation_entry": entry(e.redelegation_entry.as_ref()),
                    "balance": e.balance,
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    Ok(reply(
        height,
        json!({ "redelegation_responses": list, "pagination": page(r.pagination.as_ref()) }),
    ))
}
