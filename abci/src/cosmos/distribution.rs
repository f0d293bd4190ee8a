//! `cosmos.distribution.v1beta1.Query` in Quire's terms. Rewards compound
//! into stake and commission is paid as spendable balance in the block it
//! is earned (docs/staking.md, "Rewards"), so nothing waits to be
//! withdrawn: rewards, outstanding rewards, commission and the community
//! pool are empty lists, a delegator's withdraw address is itself, and a
//! delegation's balance (`DelegatorDelegations`) already holds its rewards.
//! Each method still checks what it is asked about (a validator or
//! delegation that does not exist is NotFound), so a wallet is not told
//! "no rewards" for a typo.

use super::{address, CosmosError, QueryContext};
use crate::query::staking as answers;
use cosmrs::proto::cosmos::distribution::v1beta1 as sdk;

/// `Params`: no community tax and no proposer bonus (fees go to the
/// signers of the previous block by power); withdraw addresses cannot be
/// set (there is nothing to withdraw).
#[allow(deprecated)] // The proposer rewards are deprecated, still answered (0) as the SDK does.
pub fn params(
    _ctx: &QueryContext<'_>,
    _request: sdk::QueryParamsRequest,
) -> Result<sdk::QueryParamsResponse, CosmosError> {
    let zero = quire_core::staking::Dec::ZERO.to_atoms_string();
    Ok(sdk::QueryParamsResponse {
        params: Some(sdk::Params {
            community_tax: zero.clone(),
            base_proposer_reward: zero.clone(),
            bonus_proposer_reward: zero,
            withdraw_addr_enabled: false,
        }),
    })
}

/// The validator `text` names, which must exist.
fn validator(ctx: &QueryContext<'_>, text: &str) -> Result<String, CosmosError> {
    let operator = answers::valoper(text)?;
    Ok(answers::existing(ctx.state, &operator)?.valoper())
}

/// `ValidatorOutstandingRewards`: none (they are added to its tokens).
pub fn validator_outstanding_rewards(
    ctx: &QueryContext<'_>,
    request: sdk::QueryValidatorOutstandingRewardsRequest,
) -> Result<sdk::QueryValidatorOutstandingRewardsResponse, CosmosError> {
    validator(ctx, &request.validator_address)?;
    Ok(sdk::QueryValidatorOutstandingRewardsResponse {
        rewards: Some(sdk::ValidatorOutstandingRewards { rewards: vec![] }),
    })
}

/// `ValidatorCommission`: none accumulated (paid to the operator's balance
/// in the block it is earned).
pub fn validator_commission(
    ctx: &QueryContext<'_>,
    request: sdk::QueryValidatorCommissionRequest,
) -> Result<sdk::QueryValidatorCommissionResponse, CosmosError> {
    validator(ctx, &request.validator_address)?;
    Ok(sdk::QueryValidatorCommissionResponse {
        commission: Some(sdk::ValidatorAccumulatedCommission { commission: vec![] }),
    })
}

/// `ValidatorDistributionInfo`: the operator's account, nothing to withdraw.
pub fn validator_distribution_info(
    ctx: &QueryContext<'_>,
    request: sdk::QueryValidatorDistributionInfoRequest,
) -> Result<sdk::QueryValidatorDistributionInfoResponse, CosmosError> {
    let operator = answers::valoper(&request.validator_address)?;
    answers::existing(ctx.state, &operator)?;
    Ok(sdk::QueryValidatorDistributionInfoResponse {
        operator_address: operator.to_bech32(),
        self_bond_rewards: vec![],
        commission: vec![],
    })
}

/// `DelegationRewards`: none left to withdraw from an existing delegation.
pub fn delegation_rewards(
    ctx: &QueryContext<'_>,
    request: sdk::QueryDelegationRewardsRequest,
) -> Result<sdk::QueryDelegationRewardsResponse, CosmosError> {
    answers::delegation(
        ctx.state,
        &request.delegator_address,
        &request.validator_address,
    )?;
    Ok(sdk::QueryDelegationRewardsResponse { rewards: vec![] })
}

/// `DelegationTotalRewards`: each delegation with no reward left to
/// withdraw.
pub fn delegation_total_rewards(
    ctx: &QueryContext<'_>,
    request: sdk::QueryDelegationTotalRewardsRequest,
) -> Result<sdk::QueryDelegationTotalRewardsResponse, CosmosError> {
    Ok(sdk::QueryDelegationTotalRewardsResponse {
        rewards: delegated_validators(ctx, &request.delegator_address)?
            .into_iter()
            .map(|validator_address| sdk::DelegationDelegatorReward {
                validator_address,
                reward: vec![],
            })
            .collect(),
        total: vec![],
    })
}

/// `DelegatorValidators`: the validators a delegator delegates to.
pub fn delegator_validators(
    ctx: &QueryContext<'_>,
    request: sdk::QueryDelegatorValidatorsRequest,
) -> Result<sdk::QueryDelegatorValidatorsResponse, CosmosError> {
    Ok(sdk::QueryDelegatorValidatorsResponse {
        validators: delegated_validators(ctx, &request.delegator_address)?,
    })
}

/// The operator addresses of a delegator's delegations.
fn delegated_validators(
    ctx: &QueryContext<'_>,
    delegator: &str,
) -> Result<Vec<String>, CosmosError> {
    address(delegator)?;
    Ok(answers::delegator_delegations(ctx.state, delegator)?
        .delegation_responses
        .into_iter()
        .filter_map(|d| d.delegation.map(|d| d.validator_address))
        .collect())
}

/// `DelegatorWithdrawAddress`: the delegator itself.
pub fn delegator_withdraw_address(
    _ctx: &QueryContext<'_>,
    request: sdk::QueryDelegatorWithdrawAddressRequest,
) -> Result<sdk::QueryDelegatorWithdrawAddressResponse, CosmosError> {
    let delegator = address(&request.delegator_address)?;
    Ok(sdk::QueryDelegatorWithdrawAddressResponse {
        withdraw_address: delegator.to_bech32(),
    })
}

/// `CommunityPool`: empty (Quire has no community pool; rounding dust stays
/// in the fee pool for the next block).
pub fn community_pool(
    _ctx: &QueryContext<'_>,
    _request: sdk::QueryCommunityPoolRequest,
) -> Result<sdk::QueryCommunityPoolResponse, CosmosError> {
    Ok(sdk::QueryCommunityPoolResponse { pool: vec![] })
}
