//! The active set: at the end of a block in which anything that ranks
//! validators changed, the top `max_validators` unjailed validators with
//! power ≥ 1 become (or stay) bonded, everyone else in the last set starts
//! unbonding, and CometBFT gets the difference from the set last sent.
//!
//! CometBFT halts on a removal of a key it does not have, a duplicate key,
//! or an empty set; so updates are diffed against `staking/last` only,
//! collected by key, and a change that would empty the set is not made.

use super::keys;
use super::ops;
use super::state::{BondStatus, StakingRead, StakingWrite, Validator};
use crate::context::{BlockContext, ValidatorUpdate};
use crate::error::{StateReadError, TxError};
use crate::state::StateWrite;
use quire_core::staking::StakingParams;
use quire_core::Address;
use std::collections::{BTreeMap, BTreeSet};

/// The validators that rank for the active set, best first: not jailed,
/// power ≥ 1, by power (descending) then operator address (ascending), at
/// most `max_validators`.
pub fn ranked(validators: &[Validator], max_validators: u32) -> Vec<&Validator> {
    let mut candidates: Vec<&Validator> = validators
        .iter()
        .filter(|v| !v.jailed && v.power() >= 1)
        .collect();
    candidates.sort_by(|a, b| {
        b.power()
            .cmp(&a.power())
            .then_with(|| a.operator.cmp(&b.operator))
    });
    candidates.truncate(max_validators as usize);
    candidates
}

/// Recomputes the active set and returns the updates for CometBFT, ordered
/// by key. Moves tokens between the pools for every validator that bonds
/// or starts unbonding; each validator changes status at most once.
pub fn apply_updates(
    state: &mut dyn StateWrite,
    params: &StakingParams,
    ctx: &BlockContext,
) -> Result<Vec<ValidatorUpdate>, StateReadError> {
    let validators = state.validators()?;
    let next = ranked(&validators, params.max_validators);
    if next.is_empty() {
        // Nobody ranks (all jailed or unbonded): keep the set CometBFT has
        // rather than halt it with an empty one.
        return Ok(Vec::new());
    }
    let last: BTreeMap<Address, u64> = state.last_set()?.into_iter().collect();
    let mut updates: BTreeMap<[u8; 32], u64> = BTreeMap::new();
    let mut members = BTreeSet::new();
    let mut total: u64 = 0;
    for validator in next {
        let operator = validator.operator();
        let power = validator.power();
        if validator.status != BondStatus::Bonded {
            bond(state, validator.clone())?;
        }
        if last.get(&operator) != Some(&power) {
            updates.insert(validator.consensus_key, power);
        }
        state.put_last_power(&operator, power);
        members.insert(operator);
        total = total.saturating_add(power);
    }
    for operator in last.keys().filter(|op| !members.contains(*op)) {
        let validator = state.validator(operator)?.ok_or_else(|| {
            StateReadError(format!("validator {operator} of the last set is gone"))
        })?;
        updates.insert(validator.consensus_key, 0);
        state.put_last_power(operator, 0);
        begin_unbonding(state, validator, params, ctx)?;
    }
    state.put_last_total_power(total);
    Ok(updates
        .into_iter()
        .map(|(pub_key, power)| ValidatorUpdate { pub_key, power })
        .collect())
}

fn pool_error(error: TxError) -> StateReadError {
    StateReadError(format!("staking pools: {error}"))
}

/// An unbonded or unbonding validator joins the set: its tokens move to the
/// bonded pool; an unbonding one leaves the validator queue.
fn bond(state: &mut dyn StateWrite, mut validator: Validator) -> Result<(), StateReadError> {
    if validator.status == BondStatus::Unbonding {
        state.delete(keys::validator_queue(
            validator.unbonding_completion.into(),
            &validator.operator(),
        ));
    }
    ops::move_between_pools(state, false, true, validator.tokens).map_err(pool_error)?;
    validator.status = BondStatus::Bonded;
    state.put_validator(&validator);
    Ok(())
}

/// A bonded validator leaves the set: unbonding until `time + unbonding_time`.
fn begin_unbonding(
    state: &mut dyn StateWrite,
    mut validator: Validator,
    params: &StakingParams,
    ctx: &BlockContext,
) -> Result<(), StateReadError> {
    ops::move_between_pools(state, true, false, validator.tokens).map_err(pool_error)?;
    let completion = ctx.time.plus_seconds(params.unbonding_time_secs);
    validator.status = BondStatus::Unbonding;
    validator.unbonding_height = ctx.height;
    validator.unbonding_completion = completion.into();
    state.put_raw(
        keys::validator_queue(completion, &validator.operator()),
        Vec::new(),
    );
    state.put_validator(&validator);
    Ok(())
}
