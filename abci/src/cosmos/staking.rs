//! `cosmos.staking.v1beta1.Query` and the part of
//! `cosmos.distribution.v1beta1.Query` wallets read, over Quire's proof of
//! stake (docs/staking.md). The answers are built by
//! [`crate::query::staking`], which also serves the `/staking/...` ABCI
//! paths; here they take the SDK's requests and errors.
//!
//! Rewards compound into stake (docs/staking.md, "Rewards"): a delegation's
//! balance already includes them, so `DelegationTotalRewards` lists each
//! delegation with nothing left to withdraw.

use super::{address, CosmosError, QueryContext};
use crate::query::staking as answers;
use crate::query::QueryError;
use cosmrs::proto::cosmos::distribution::v1beta1 as distribution;
use cosmrs::proto::cosmos::staking::v1beta1 as sdk;
use quire_app::chain::ChainRead;
use quire_app::staking::state::StakingRead;

impl From<QueryError> for CosmosError {
    fn from(error: QueryError) -> Self {
        match error {
            QueryError::NotFound(message) => CosmosError::not_found(message),
            QueryError::BadArgument(message) | QueryError::UnknownPath(message) => {
                CosmosError::invalid(message)
            }
            other => CosmosError::internal(&other),
        }
    }
}

/// `Validators`: every validator, or those of the asked status
/// (`BOND_STATUS_BONDED`, …), in one page.
pub fn validators(
    ctx: &QueryContext<'_>,
    request: sdk::QueryValidatorsRequest,
) -> Result<sdk::QueryValidatorsResponse, CosmosError> {
    let status = match request.status.as_str() {
        "" => None,
        name => Some(sdk::BondStatus::from_str_name(name).ok_or_else(|| {
            CosmosError::invalid(format!(
                "invalid validator status {name}: expected BOND_STATUS_BONDED, BOND_STATUS_UNBONDING or BOND_STATUS_UNBONDED"
            ))
        })?),
    };
    let mut response = answers::validators(ctx.state, status)?;
    response.pagination = Some(page(response.validators.len()));
    Ok(response)
}

fn page(total: usize) -> cosmrs::proto::cosmos::base::query::v1beta1::PageResponse {
    cosmrs::proto::cosmos::base::query::v1beta1::PageResponse {
        next_key: Vec::new(),
        total: total as u64,
    }
}

/// `Validator`: one validator by operator address.
pub fn validator(
    ctx: &QueryContext<'_>,
    request: sdk::QueryValidatorRequest,
) -> Result<sdk::QueryValidatorResponse, CosmosError> {
    Ok(answers::validator(ctx.state, &request.validator_addr)?)
}

/// `Delegation`: one delegation, with what it is worth.
pub fn delegation(
    ctx: &QueryContext<'_>,
    request: sdk::QueryDelegationRequest,
) -> Result<sdk::QueryDelegationResponse, CosmosError> {
    Ok(answers::delegation(
        ctx.state,
        &request.delegator_addr,
        &request.validator_addr,
    )?)
}

/// `DelegatorDelegations`: a delegator's delegations, in one page.
pub fn delegator_delegations(
    ctx: &QueryContext<'_>,
    request: sdk::QueryDelegatorDelegationsRequest,
) -> Result<sdk::QueryDelegatorDelegationsResponse, CosmosError> {
    let mut response = answers::delegator_delegations(ctx.state, &request.delegator_addr)?;
    response.pagination = Some(page(response.delegation_responses.len()));
    Ok(response)
}

/// `UnbondingDelegation`: a delegator's unbonding entries from a validator.
pub fn unbonding_delegation(
    ctx: &QueryContext<'_>,
    request: sdk::QueryUnbondingDelegationRequest,
) -> Result<sdk::QueryUnbondingDelegationResponse, CosmosError> {
    Ok(answers::unbonding(
        ctx.state,
        &request.delegator_addr,
        &request.validator_addr,
    )?)
}

/// `Pool`: bonded and not-bonded tokens.
pub fn pool(
    ctx: &QueryContext<'_>,
    _request: sdk::QueryPoolRequest,
) -> Result<sdk::QueryPoolResponse, CosmosError> {
    Ok(answers::pool(ctx.state)?)
}

/// `Params`: Quire's staking parameters in the SDK's terms (the bond denom
/// is the fee denom; no historical entries are kept).
pub fn params(
    ctx: &QueryContext<'_>,
    _request: sdk::QueryParamsRequest,
) -> Result<sdk::QueryParamsResponse, CosmosError> {
    let internal = |e: quire_app::StateReadError| CosmosError::internal(&e);
    let staking = ctx.state.staking_params().map_err(internal)?;
    let chain = ctx.state.params().map_err(internal)?;
    Ok(sdk::QueryParamsResponse {
        params: Some(sdk::Params {
            unbonding_time: Some(tendermint_proto::google::protobuf::Duration {
                seconds: i64::try_from(staking.unbonding_time_secs).unwrap_or(i64::MAX),
                nanos: 0,
            }),
            max_validators: staking.max_validators,
            max_entries: staking.max_entries,
            historical_entries: 0,
            bond_denom: chain.fee_denom,
            min_commission_rate: staking.min_commission_rate.to_atoms_string(),
        }),
    })
}

/// `DelegationTotalRewards`: each delegation with no reward left to
/// withdraw (rewards compound into the delegation's stake).
pub fn delegation_total_rewards(
    ctx: &QueryContext<'_>,
    request: distribution::QueryDelegationTotalRewardsRequest,
) -> Result<distribution::QueryDelegationTotalRewardsResponse, CosmosError> {
    address(&request.delegator_address)?;
    let delegations = answers::delegator_delegations(ctx.state, &request.delegator_address)?;
    Ok(distribution::QueryDelegationTotalRewardsResponse {
        rewards: delegations
            .delegation_responses
            .iter()
            .filter_map(|d| d.delegation.as_ref())
            .map(|d| distribution::DelegationDelegatorReward {
                validator_address: d.validator_address.clone(),
                reward: Vec::new(),
            })
            .collect(),
        total: Vec::new(),
    })
}
