//! The REST routes of the distribution methods
//! ([`crate::cosmos::distribution`]), with the gateway's paths and JSON.
//!
//! | route | method |
//! |---|---|
//! | `GET /cosmos/distribution/v1beta1/params` | `Params` |
//! | `GET /cosmos/distribution/v1beta1/validators/{validator}` | `ValidatorDistributionInfo` |
//! | `GET /cosmos/distribution/v1beta1/validators/{validator}/outstanding_rewards` | `ValidatorOutstandingRewards` |
//! | `GET /cosmos/distribution/v1beta1/validators/{validator}/commission` | `ValidatorCommission` |
//! | `GET /cosmos/distribution/v1beta1/delegators/{delegator}/rewards` | `DelegationTotalRewards` |
//! | `GET /cosmos/distribution/v1beta1/delegators/{delegator}/rewards/{validator}` | `DelegationRewards` |
//! | `GET /cosmos/distribution/v1beta1/delegators/{delegator}/validators` | `DelegatorValidators` |
//! | `GET /cosmos/distribution/v1beta1/delegators/{delegator}/withdraw_address` | `DelegatorWithdrawAddress` |
//! | `GET /cosmos/distribution/v1beta1/community_pool` | `CommunityPool` |

use super::json::dec;
use super::{ask, reply, AskedHeight, Rest, RestResult};
use axum::extract::{Path, State};
use axum::routing::get;
use axum::Router;
use cosmrs::proto::cosmos::base::v1beta1::DecCoin;
use cosmrs::proto::cosmos::distribution::v1beta1 as sdk;
use serde_json::{json, Value};

/// Adds the routes to `router`.
pub(super) fn routes(router: Router<Rest>) -> Router<Rest> {
    const BASE: &str = "/cosmos/distribution/v1beta1";
    router
        .route(&format!("{BASE}/params"), get(params))
        .route(
            &format!("{BASE}/validators/{{validator}}"),
            get(validator_info),
        )
        .route(
            &format!("{BASE}/validators/{{validator}}/outstanding_rewards"),
            get(outstanding_rewards),
        )
        .route(
            &format!("{BASE}/validators/{{validator}}/commission"),
            get(commission),
        )
        .route(
            &format!("{BASE}/delegators/{{delegator}}/rewards"),
            get(total_rewards),
        )
        .route(
            &format!("{BASE}/delegators/{{delegator}}/rewards/{{validator}}"),
            get(rewards),
        )
        .route(
            &format!("{BASE}/delegators/{{delegator}}/validators"),
            get(delegator_validators),
        )
        .route(
            &format!("{BASE}/delegators/{{delegator}}/withdraw_address"),
            get(withdraw_address),
        )
        .route(&format!("{BASE}/community_pool"), get(community_pool))
}

/// DecCoins in the gateway's JSON (amounts as LegacyDec decimals).
fn dec_coins(list: &[DecCoin]) -> Vec<Value> {
    list.iter()
        .map(|c| json!({ "denom": c.denom, "amount": dec(&c.amount) }))
        .collect()
}

#[allow(deprecated)] // The proposer rewards are deprecated, still shown as the SDK does.
async fn params(State(q): State<Rest>, asked: AskedHeight) -> RestResult {
    let (height, r): (u64, sdk::QueryParamsResponse) = ask(
        &q,
        asked,
        "/cosmos.distribution.v1beta1.Query/Params",
        sdk::QueryParamsRequest {},
    )
    .await?;
    let params = r.params.as_ref().map_or(Value::Null, |p| {
        json!({
            "community_tax": dec(&p.community_tax),
            "base_proposer_reward": dec(&p.base_proposer_reward),
            "bonus_proposer_reward": dec(&p.bonus_proposer_reward),
            "withdraw_addr_enabled": p.withdraw_addr_enabled,
        })
    });
    Ok(reply(height, json!({ "params": params })))
}

async fn validator_info(
    State(q): State<Rest>,
    asked: AskedHeight,
    Path(validator_address): Path<String>,
) -> RestResult {
    let (height, r): (u64, sdk::QueryValidatorDistributionInfoResponse) = ask(
        &q,
        asked,
        "/cosmos.distribution.v1beta1.Query/ValidatorDistributionInfo",
        sdk::QueryValidatorDistributionInfoRequest { validator_address },
    )
    .await?;
    Ok(reply(
        height,
        json!({
            "operator_address": r.operator_address,
            "self_bond_rewards": dec_coins(&r.self_bond_rewards),
            "commission": dec_coins(&r.commission),
        }),
    ))
}

async fn outstanding_rewards(
    State(q): State<Rest>,
    asked: AskedHeight,
    Path(validator_address): Path<String>,
) -> RestResult {
    let (height, r): (u64, sdk::QueryValidatorOutstandingRewardsResponse) = ask(
        &q,
        asked,
        "/cosmos.distribution.v1beta1.Query/ValidatorOutstandingRewards",
        sdk::QueryValidatorOutstandingRewardsRequest { validator_address },
    )
    .await?;
    let rewards = r.rewards.map(|r| r.rewards).unwrap_or_default();
    Ok(reply(
        height,
        json!({ "rewards": { "rewards": dec_coins(&rewards) } }),
    ))
}

async fn commission(
    State(q): State<Rest>,
    asked: AskedHeight,
    Path(validator_address): Path<String>,
) -> RestResult {
    let (height, r): (u64, sdk::QueryValidatorCommissionResponse) = ask(
        &q,
        asked,
        "/cosmos.distribution.v1beta1.Query/ValidatorCommission",
        sdk::QueryValidatorCommissionRequest { validator_address },
    )
    .await?;
    let commission = r.commission.map(|c| c.commission).unwrap_or_default();
    Ok(reply(
        height,
        json!({ "commission": { "commission": dec_coins(&commission) } }),
    ))
}

async fn total_rewards(
    State(q): State<Rest>,
    asked: AskedHeight,
    Path(delegator_address): Path<String>,
) -> RestResult {
    let (height, r): (u64, sdk::QueryDelegationTotalRewardsResponse) = ask(
        &q,
        asked,
        "/cosmos.distribution.v1beta1.Query/DelegationTotalRewards",
        sdk::QueryDelegationTotalRewardsRequest { delegator_address },
    )
    .await?;
    let rewards: Vec<Value> = r
        .rewards
        .iter()
        .map(
            |d| json!({ "validator_address": d.validator_address, "reward": dec_coins(&d.reward) }),
        )
        .collect();
    Ok(reply(
        height,
        json!({ "rewards": rewards, "total": dec_coins(&r.total) }),
    ))
}

async fn rewards(
    State(q): State<Rest>,
    asked: AskedHeight,
    Path((delegator_address, validator_address)): Path<(String, String)>,
) -> RestResult {
    let (height, r): (u64, sdk::QueryDelegationRewardsResponse) = ask(
        &q,
        asked,
        "/cosmos.distribution.v1beta1.Query/DelegationRewards",
        sdk::QueryDelegationRewardsRequest {
            delegator_address,
            validator_address,
        },
    )
    .await?;
    Ok(reply(height, json!({ "rewards": dec_coins(&r.rewards) })))
}

async fn delegator_validators(
    State(q): State<Rest>,
    asked: AskedHeight,
    Path(delegator_address): Path<String>,
) -> RestResult {
    let (height, r): (u64, sdk::QueryDelegatorValidatorsResponse) = ask(
        &q,
        asked,
        "/cosmos.distribution.v1beta1.Query/DelegatorValidators",
        sdk::QueryDelegatorValidatorsRequest { delegator_address },
    )
    .await?;
    Ok(reply(height, json!({ "validators": r.validators })))
}

async fn withdraw_address(
    State(q): State<Rest>,
    asked: AskedHeight,
    Path(delegator_address): Path<String>,
) -> RestResult {
    let (height, r): (u64, sdk::QueryDelegatorWithdrawAddressResponse) = ask(
        &q,
        asked,
        "/cosmos.distribution.v1beta1.Query/DelegatorWithdrawAddress",
        sdk::QueryDelegatorWithdrawAddressRequest { delegator_address },
    )
    .await?;
    Ok(reply(
        height,
        json!({ "withdraw_address": r.withdraw_address }),
    ))
}

async fn community_pool(State(q): State<Rest>, asked: AskedHeight) -> RestResult {
    let (height, r): (u64, sdk::QueryCommunityPoolResponse) = ask(
        &q,
        asked,
        "/cosmos.distribution.v1beta1.Query/CommunityPool",
        sdk::QueryCommunityPoolRequest {},
    )
    .await?;
    Ok(reply(height, json!({ "pool": dec_coins(&r.pool) })))
}
