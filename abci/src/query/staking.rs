//! Staking's ABCI query paths; answers are the Cosmos SDK's own response
//! messages (`cosmos.staking.v1beta1`), so SDK clients decode them as is.
//!
//! | path | answer |
//! |---|---|
//! | `/staking/validators` | `QueryValidatorsResponse` (every validator, operator order) |
//! | `/staking/validator/{valoper}` | `QueryValidatorResponse` |
//! | `/staking/delegation/{delegator}/{valoper}` | `QueryDelegationResponse` |
//! | `/staking/delegations/{delegator}` | `QueryDelegatorDelegationsResponse` (with the tokens each is worth: rewards included) |
//! | `/staking/unbonding/{delegator}/{valoper}` | `QueryUnbondingDelegationResponse` |
//! | `/staking/pool` | `QueryPoolResponse` |

use super::QueryError;
use cosmrs::proto::cosmos::base::v1beta1::Coin;
use cosmrs::proto::cosmos::staking::v1beta1 as sdk;
use cosmrs::proto::Timestamp;
use prost::Message;
use quire_app::chain::ChainRead;
use quire_app::staking::keys;
use quire_app::staking::ops::tokens_for_shares_of;
use quire_app::staking::state::{Entry, StakingRead, Time, Validator};
use quire_app::StateRead;
use quire_core::staking::msg::ed25519_key_any;
use quire_core::staking::Dec;
use quire_core::Address;

pub(crate) fn internal(e: impl std::fmt::Display) -> QueryError {
    QueryError::Internal(e.to_string())
}

pub(crate) fn timestamp(t: Time) -> Timestamp {
    Timestamp {
        seconds: t.seconds,
        nanos: i32::try_from(t.nanos).unwrap_or(0),
    }
}

pub(crate) fn valoper(text: &str) -> Result<Address, QueryError> {
    Address::from_valoper(text).map_err(|e| QueryError::BadArgument(e.to_string()))
}

pub(crate) fn account(text: &str) -> Result<Address, QueryError> {
    text.parse()
        .map_err(|e: quire_core::address::AddressError| QueryError::BadArgument(e.to_string()))
}

/// A validator record as the SDK's `Validator`.
pub fn sdk_validator(v: &Validator) -> sdk::Validator {
    let rate = |atoms: u128| Dec::from_atoms(atoms).to_atoms_string();
    sdk::Validator {
        operator_address: v.valoper(),
        consensus_pubkey: Some(ed25519_key_any(&v.consensus_key)),
        jailed: v.jailed,
        status: v.status as i32,
        tokens: v.tokens.to_string(),
        delegator_shares: Dec::from_atoms(v.delegator_shares).to_atoms_string(),
        description: Some(sdk::Description {
            moniker: v.description.moniker.clone(),
            identity: v.description.identity.clone(),
            website: v.description.website.clone(),
            security_contact: v.description.security_contact.clone(),
            details: v.description.details.clone(),
        }),
        unbonding_height: i64::try_from(v.unbonding_height).unwrap_or(i64::MAX),
        unbonding_time: Some(timestamp(v.unbonding_completion)),
        commission: Some(sdk::Commission {
            commission_rates: Some(sdk::CommissionRates {
                rate: rate(v.commission.rate),
                max_rate: rate(v.commission.max_rate),
                max_change_rate: rate(v.commission.max_change_rate),
            }),
            update_time: Some(timestamp(v.commission_update_time)),
        }),
        min_self_delegation: v.min_self_delegation.to_string(),
        unbonding_on_hold_ref_count: 0,
        unbonding_ids: Vec::new(),
    }
}

pub(crate) fn delegation_response(
    delegator: &Address,
    validator: &Validator,
    shares: u128,
    denom: &str,
) -> sdk::DelegationResponse {
    sdk::DelegationResponse {
        delegation: Some(sdk::Delegation {
            delegator_address: delegator.to_bech32(),
            validator_address: validator.valoper(),
            shares: Dec::from_atoms(shares).to_atoms_string(),
        }),
        balance: Some(Coin {
            denom: denom.to_string(),
            amount: tokens_for_shares_of(validator, shares).to_string(),
        }),
    }
}

fn entries(list: &[Entry]) -> Vec<sdk::UnbondingDelegationEntry> {
    list.iter()
        .map(|e| sdk::UnbondingDelegationEntry {
            creation_height: i64::try_from(e.creation_height).unwrap_or(i64::MAX),
            completion_time: Some(timestamp(e.completion)),
            initial_balance: e.initial_balance.to_string(),
            balance: e.balance.to_string(),
            unbonding_id: 0,
            unbonding_on_hold_ref_count: 0,
        })
        .collect()
}

pub(crate) fn existing(state: &dyn StateRead, operator: &Address) -> Result<Validator, QueryError> {
    state.validator(operator).map_err(internal)?.ok_or_else(|| {
        QueryError::NotFound(format!("validator {} not found", operator.to_valoper()))
    })
}

/// The state keys a staking answer is made of (for its proof).
pub fn state_keys(parts: &[&str]) -> Vec<Vec<u8>> {
    match parts {
        ["validator", op] => Address::from_valoper(op)
            .map(|op| vec![keys::validator(&op)])
            .unwrap_or_default(),
        ["delegation", del, op] => match (del.parse::<Address>(), Address::from_valoper(op)) {
            (Ok(del), Ok(op)) => vec![keys::delegation(&del, &op), keys::validator(&op)],
            _ => Vec::new(),
        },
        ["unbonding", del, op] => match (del.parse::<Address>(), Address::from_valoper(op)) {
            (Ok(del), Ok(op)) => vec![keys::unbonding(&del, &op)],
            _ => Vec::new(),
        },
        ["pool"] => vec![keys::BONDED_POOL.to_vec(), keys::NOT_BONDED_POOL.to_vec()],
        _ => Vec::new(),
    }
}

/// Every validator (operator order), or those of one bond status.
pub fn validators(
    state: &dyn StateRead,
    status: Option<sdk::BondStatus>,
) -> Result<sdk::QueryValidatorsResponse, QueryError> {
    let validators = state.validators().map_err(internal)?;
    Ok(sdk::QueryValidatorsResponse {
        validators: validators
            .iter()
            .map(sdk_validator)
            .filter(|v| status.is_none_or(|s| v.status == s as i32))
            .collect(),
        pagination: None,
    })
}

/// One validator by its `quirevaloper1…` address.
pub fn validator(
    state: &dyn StateRead,
    op: &str,
) -> Result<sdk::QueryValidatorResponse, QueryError> {
    let validator = existing(state, &valoper(op)?)?;
    Ok(sdk::QueryValidatorResponse {
        validator: Some(sdk_validator(&validator)),
    })
}

pub(crate) fn fee_denom(state: &dyn StateRead) -> Result<String, QueryError> {
    state.params().map(|p| p.fee_denom).map_err(internal)
}

/// A delegation (NotFound if there is none).
pub fn delegation(
    state: &dyn StateRead,
    del: &str,
    op: &str,
) -> Result<sdk::QueryDelegationResponse, QueryError> {
    let (delegator, operator) = (account(del)?, valoper(op)?);
    let validator = existing(state, &operator)?;
    let shares = state.delegation(&delegator, &operator).map_err(internal)?;
    if shares == 0 {
        return Err(QueryError::NotFound(format!(
            "{delegator} has no delegation to {}",
            operator.to_valoper()
        )));
    }
    Ok(sdk::QueryDelegationResponse {
        delegation_response: Some(delegation_response(
            &delegator,
            &validator,
            shares,
            &fee_denom(state)?,
        )),
    })
}

/// Every delegation of a delegator, with what each is worth.
pub fn delegator_delegations(
    state: &dyn StateRead,
    del: &str,
) -> Result<sdk::QueryDelegatorDelegationsResponse, QueryError> {
    let delegator = account(del)?;
    let denom = fee_denom(state)?;
    let mut prefix = keys::DELEGATIONS.to_vec();
    prefix.extend_from_slice(delegator.as_bytes());
    let mut responses = Vec::new();
    for (key, value) in state.prefix(&prefix).map_err(internal)? {
        let parts = keys::split_addresses(keys::DELEGATIONS, &key, 2)
            .ok_or_else(|| internal("corrupt delegation key"))?;
        let shares = quire_app::state::decode_u128(&value, "delegation").map_err(internal)?;
        let validator = existing(state, &parts[1])?;
        responses.push(delegation_response(&delegator, &validator, shares, &denom));
    }
    Ok(sdk::QueryDelegatorDelegationsResponse {
        delegation_responses: responses,
        pagination: None,
    })
}

/// A delegator's unbonding from a validator (NotFound if there is none).
pub fn unbonding(
    state: &dyn StateRead,
    del: &str,
    op: &str,
) -> Result<sdk::QueryUnbondingDelegationResponse, QueryError> {
    let (delegator, operator) = (account(del)?, valoper(op)?);
    let list = state.unbonding(&delegator, &operator).map_err(internal)?;
    if list.is_empty() {
        return Err(QueryError::NotFound(format!(
            "{delegator} is not unbonding from {}",
            operator.to_valoper()
        )));
    }
    Ok(sdk::QueryUnbondingDelegationResponse {
        unbond: Some(sdk::UnbondingDelegation {
            delegator_address: delegator.to_bech32(),
            validator_address: operator.to_valoper(),
            entries: entries(&list),
        }),
    })
}

/// The bonded and not-bonded pools.
pub fn pool(state: &dyn StateRead) -> Result<sdk::QueryPoolResponse, QueryError> {
    Ok(sdk::QueryPoolResponse {
        pool: Some(sdk::Pool {
            not_bonded_tokens: state.pool(false).map_err(internal)?.to_string(),
            bonded_tokens: state.pool(true).map_err(internal)?.to_string(),
        }),
    })
}

/// Answers `/staking/...` (`parts` after `staking`).
pub fn answer(parts: &[&str], state: &dyn StateRead) -> Result<Vec<u8>, QueryError> {
    match parts {
        ["validators"] => Ok(validators(state, None)?.encode_to_vec()),
        ["validator", op] => Ok(validator(state, op)?.encode_to_vec()),
        ["delegation", del, op] => Ok(delegation(state, del, op)?.encode_to_vec()),
        ["delegations", del] => Ok(delegator_delegations(state, del)?.encode_to_vec()),
        ["unbonding", del, op] => Ok(unbonding(state, del, op)?.encode_to_vec()),
        ["pool"] => Ok(pool(state)?.encode_to_vec()),
        _ => Err(QueryError::UnknownPath(format!(
            "/staking/{}",
            parts.join("/")
        ))),
    }
}
