//! Slashing stake and jailing validators: what the slashing component does
//! with evidence and missed blocks, on staking's records.
//!
//! A slash for an infraction at height `h` takes `fraction` of the stake the
//! validator had then (`power × 10^6`): first from the unbonding entries and
//! redelegations that left it at or after `h` (that stake was bonded at the
//! infraction), then from its tokens. Slashed tokens are burned: the supply
//! falls by as much.

use super::keys;
use super::ops::{self, mark_changed};
use super::state::{BondStatus, StakingRead, StakingWrite, Validator};
use crate::bank::state::{BankRead, BankWrite};
use crate::context::Timestamp;
use crate::error::StateReadError;
use crate::state::StateWrite;
use quire_core::staking::{Dec, POWER_REDUCTION};
use quire_core::Address;

fn corrupt(what: &str) -> StateReadError {
    StateReadError(format!("slashing: {what}"))
}

/// Burns `amount` from a staking pool: the tokens leave the supply.
fn burn(state: &mut dyn StateWrite, bonded: bool, amount: u128) -> Result<(), StateReadError> {
    if amount == 0 {
        return Ok(());
    }
    ops::take_from_pool(state, bonded, amount)?;
    let supply = state
        .supply()?
        .and_then(|s| s.checked_sub(amount))
        .ok_or_else(|| corrupt("burning more than the supply"))?;
    state.put_supply(supply);
    Ok(())
}

/// What a slash took.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Slashed {
    /// From the validator's tokens.
    pub tokens: u128,
    /// From unbonding entries and redelegations.
    pub entries: u128,
}

/// Slashes `fraction` of the stake `power` stood for at `infraction_height`
/// from `operator`'s validator (a no-op if it is gone or unbonded). `now`
/// decides which entries already matured.
pub fn slash(
    state: &mut dyn StateWrite,
    operator: &Address,
    infraction_height: u64,
    power: u64,
    fraction: Dec,
    now: Timestamp,
) -> Result<Slashed, StateReadError> {
    let Some(mut validator) = state.validator(operator)? else {
        return Ok(Slashed::default());
    };
    if validator.status == BondStatus::Unbonded {
        return Ok(Slashed::default());
    }
    let at_infraction = u128::from(power).saturating_mul(POWER_REDUCTION);
    let target = fraction.mul_int_floor(at_infraction).unwrap_or(u128::MAX);
    let mut from_entries = slash_unbondings(state, operator, infraction_height, fraction, now)?;
    from_entries = from_entries.saturating_add(slash_redelegations(
        state,
        operator,
        infraction_height,
        fraction,
        now,
    )?);
    // Redelegated stake may have been this validator's: reload it.
    validator = state
        .validator(operator)?
        .ok_or_else(|| corrupt("validator vanished"))?;
    let from_tokens = target.saturating_sub(from_entries).min(validator.tokens);
    burn(state, validator.status == BondStatus::Bonded, from_tokens)?;
    validator.tokens -= from_tokens;
    state.put_validator(&validator);
    mark_changed(state);
    Ok(Slashed {
        tokens: from_tokens,
        entries: from_entries,
    })
}

/// Unbonding entries from `operator` created at or after the infraction.
fn slash_unbondings(
    state: &mut dyn StateWrite,
    operator: &Address,
    infraction_height: u64,
    fraction: Dec,
    now: Timestamp,
) -> Result<u128, StateReadError> {
    let mut total: u128 = 0;
    for (key, _) in state.prefix(keys::UNBONDINGS)? {
        let parts = keys::split_addresses(keys::UNBONDINGS, &key, 2)
            .ok_or_else(|| corrupt("unbonding key"))?;
        if parts[1] != *operator {
            continue;
        }
        let mut entries = state.unbonding(&parts[0], operator)?;
        for entry in &mut entries {
            if entry.creation_height < infraction_height || Timestamp::from(entry.completion) <= now
            {
                continue;
            }
            let cut = fraction
                .mul_int_floor(entry.initial_balance)
                .unwrap_or(u128::MAX)
                .min(entry.balance);
            entry.balance -= cut;
            burn(state, false, cut)?;
            total = total.saturating_add(cut);
        }
        // Entries slashed to zero stay until they mature (they pay 0).
        state.put_unbonding(&parts[0], operator, &entries);
    }
    Ok(total)
}

/// Redelegations away from `operator` created at or after the infraction:
/// the destination shares they added are unbonded and burned.
fn slash_redelegations(
    state: &mut dyn StateWrite,
    operator: &Address,
    infraction_height: u64,
    fraction: Dec,
    now: Timestamp,
) -> Result<u128, StateReadError> {
    let mut total: u128 = 0;
    for (key, _) in state.prefix(keys::REDELEGATIONS)? {
        let parts = keys::split_addresses(keys::REDELEGATIONS, &key, 3)
            .ok_or_else(|| corrupt("redelegation key"))?;
        let (delegator, src, dst) = (parts[0], parts[1], parts[2]);
        if src != *operator {
            continue;
        }
        for entry in state.redelegation(&delegator, &src, &dst)? {
            if entry.creation_height < infraction_height || Timestamp::from(entry.completion) <= now
            {
                continue;
            }
            let Some(mut target) = state.validator(&dst)? else {
                continue;
            };
            let held = state.delegation(&delegator, &dst)?;
            let shares = fraction.mul_int_floor(entry.balance).unwrap_or(0).min(held);
            if shares == 0 {
                continue;
            }
            let tokens = unbond_for_slash(state, &delegator, &mut target, shares)?;
            burn(state, target.status == BondStatus::Bonded, tokens)?;
            ops::save_or_remove(state, &target);
            total = total.saturating_add(tokens);
        }
    }
    Ok(total)
}

/// Removes `shares` of a delegation for a slash (no self-delegation jail:
/// the slash's own jailing decides).
fn unbond_for_slash(
    state: &mut dyn StateWrite,
    delegator: &Address,
    validator: &mut Validator,
    shares: u128,
) -> Result<u128, StateReadError> {
    let operator = validator.operator();
    let held = state.delegation(delegator, &operator)?;
    state.put_delegation(delegator, &operator, held.saturating_sub(shares));
    let tokens = ops::tokens_for_shares(validator, shares);
    validator.tokens -= tokens;
    validator.delegator_shares -= shares.min(validator.delegator_shares);
    mark_changed(state);
    Ok(tokens)
}

/// Jails `operator`'s validator until `until` (it leaves the set at the end
/// of the block); `tombstone` jails it for good.
pub fn jail(
    state: &mut dyn StateWrite,
    operator: &Address,
    until: Timestamp,
    tombstone: bool,
) -> Result<(), StateReadError> {
    let Some(mut validator) = state.validator(operator)? else {
        return Ok(());
    };
    validator.jailed = true;
    validator.jailed_until = validator.jailed_until.max(until.into());
    validator.tombstoned |= tombstone;
    state.put_validator(&validator);
    mark_changed(state);
    Ok(())
}
