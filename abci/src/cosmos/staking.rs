//! `cosmos.staking.v1beta1.Query` over Quire's proof of stake
//! (docs/staking.md). Most answers are built by [`crate::query::staking`],
//! which also serves the `/staking/...` ABCI paths; here they take the
//! SDK's requests and errors. The listings by validator and of
//! redelegations are paged by key ([`super::state_page`]).

use super::{address, state_page, CosmosError, QueryContext};
use crate::query::staking as answers;
use crate::query::QueryError;
use cosmrs::proto::cosmos::staking::v1beta1 as sdk;
use quire_app::chain::ChainRead;
use quire_app::staking::keys;
use quire_app::staking::ops::tokens_for_shares_of;
use quire_app::staking::state::{Entry, StakingRead};
use quire_core::staking::Dec;

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

/// `ValidatorDelegations`: the delegations to a validator, paged by key
/// (the by-validator index, delegator order).
pub fn validator_delegations(
    ctx: &QueryContext<'_>,
    request: sdk::QueryValidatorDelegationsRequest,
) -> Result<sdk::QueryValidatorDelegationsResponse, CosmosError> {
    let operator = answers::valoper(&request.validator_addr)?;
    let validator = answers::existing(ctx.state, &operator)?;
    let denom = answers::fee_denom(ctx.state)?;
    let prefix = [keys::VALIDATOR_DELEGATIONS, operator.as_bytes()].concat();
    let (entries, pagination) = state_page(ctx.state, &prefix, request.pagination)?;
    let mut delegation_responses = Vec::with_capacity(entries.len());
    for (key, value) in entries {
        let corrupt = || CosmosError::internal(&"corrupt delegation index entry in state");
        let delegator = keys::split_addresses(&prefix, &key, 1)
            .and_then(|mut a| a.pop())
            .ok_or_else(corrupt)?;
        let shares = quire_app::state::decode_u128(&value, "delegation").map_err(|_| corrupt())?;
        delegation_responses.push(answers::delegation_response(
            &delegator, &validator, shares, &denom,
        ));
    }
    Ok(sdk::QueryValidatorDelegationsResponse {
        delegation_responses,
        pagination: Some(pagination),
    })
}

/// `Redelegations`: a delegator's redelegations, all of them (paged by key)
/// or those from one source validator, or the one from a source to a
/// destination. Listing every redelegation from a source validator (no
/// delegator) is not served: Quire keeps no index by source.
pub fn redelegations(
    ctx: &QueryContext<'_>,
    request: sdk::QueryRedelegationsRequest,
) -> Result<sdk::QueryRedelegationsResponse, CosmosError> {
    if request.delegator_addr.is_empty() {
        return Err(CosmosError::invalid(
            "delegator_addr is required: Quire lists redelegations by delegator (and optionally source and destination validator)",
        ));
    }
    let delegator = address(&request.delegator_addr)?;
    let src = match request.src_validator_addr.as_str() {
        "" => None,
        text => Some(answers::valoper(text)?),
    };
    let dst = match request.dst_validator_addr.as_str() {
        "" => None,
        text => Some(answers::valoper(text)?),
    };
    let mut prefix = [keys::REDELEGATIONS, delegator.as_bytes()].concat();
    match (src, dst) {
        (Some(src), Some(dst)) => {
            let entries = ctx
                .state
                .redelegation(&delegator, &src, &dst)
                .map_err(|e| CosmosError::internal(&e))?;
            if entries.is_empty() {
                return Err(CosmosError::not_found(format!(
                    "redelegation not found for delegator address {delegator} from validator address {} to {}",
                    src.to_valoper(),
                    dst.to_valoper()
                )));
            }
            let response = redelegation_response(ctx, &delegator, &src, &dst, &entries)?;
            return Ok(sdk::QueryRedelegationsResponse {
                redelegation_responses: vec![response],
                pagination: None,
            });
        }
        (Some(src), None) => prefix.extend_from_slice(src.as_bytes()),
        (None, Some(_)) => {
            return Err(CosmosError::invalid(
                "dst_validator_addr needs src_validator_addr too",
            ))
        }
        (None, None) => {}
    }
    let (page, pagination) = state_page(ctx.state, &prefix, request.pagination)?;
    let mut redelegation_responses = Vec::with_capacity(page.len());
    for (key, _) in page {
        let Some([_, src, dst]) = keys::split_addresses(keys::REDELEGATIONS, &key, 3)
            .and_then(|a| <[quire_core::Address; 3]>::try_from(a).ok())
        else {
            return Err(CosmosError::internal(&"corrupt redelegation key in state"));
        };
        let entries = ctx
            .state
            .redelegation(&delegator, &src, &dst)
            .map_err(|e| CosmosError::internal(&e))?;
        redelegation_responses.push(redelegation_response(
            ctx, &delegator, &src, &dst, &entries,
        )?);
    }
    Ok(sdk::QueryRedelegationsResponse {
        redelegation_responses,
        pagination: Some(pagination),
    })
}

/// One redelegation with its entries; each entry's balance is what the
/// shares it added at the destination are worth now.
fn redelegation_response(
    ctx: &QueryContext<'_>,
    delegator: &quire_core::Address,
    src: &quire_core::Address,
    dst: &quire_core::Address,
    entries: &[Entry],
) -> Result<sdk::RedelegationResponse, CosmosError> {
    let destination = ctx
        .state
        .validator(dst)
        .map_err(|e| CosmosError::internal(&e))?;
    let entry = |e: &Entry| sdk::RedelegationEntry {
        creation_height: i64::try_from(e.creation_height).unwrap_or(i64::MAX),
        completion_time: Some(crate::query::staking::timestamp(e.completion)),
        initial_balance: e.initial_balance.to_string(),
        shares_dst: Dec::from_atoms(e.balance).to_atoms_string(),
        unbonding_id: 0,
        unbonding_on_hold_ref_count: 0,
    };
    Ok(sdk::RedelegationResponse {
        redelegation: Some(sdk::Redelegation {
            delegator_address: delegator.to_bech32(),
            validator_src_address: src.to_valoper(),
            validator_dst_address: dst.to_valoper(),
            entries: entries.iter().map(entry).collect(),
        }),
        entries: entries
            .iter()
            .map(|e| sdk::RedelegationEntryResponse {
                redelegation_entry: Some(entry(e)),
                balance: destination
                    .as_ref()
                    .map_or(0, |v| tokens_for_shares_of(v, e.balance))
                    .to_string(),
            })
            .collect(),
    })
}
