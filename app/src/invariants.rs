//! The state's invariants, checked after every block in debug builds and
//! tests (and by `quired debug check-invariants`): tokens are conserved,
//! the pools hold exactly what is staked, shares add up, the last set is the
//! bonded validators, and every queue entry has its record.

use crate::bank::state::BankRead;
use crate::context::Timestamp;
use crate::error::StateReadError;
use crate::staking::keys;
use crate::staking::state::{BondStatus, StakingRead};
use crate::state::StateRead;
use quire_core::account::{Account, ACCOUNT_KEY_PREFIX};
use quire_core::Address;
use std::collections::{BTreeMap, BTreeSet};

/// Which invariant failed, and how.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invariant {name} broken: {detail}")]
pub struct InvariantError {
    /// The invariant.
    pub name: &'static str,
    /// What was found.
    pub detail: String,
}

fn broken(name: &'static str, detail: String) -> Result<(), InvariantError> {
    Err(InvariantError { name, detail })
}

fn read<T>(result: Result<T, StateReadError>) -> Result<T, InvariantError> {
    result.map_err(|e| InvariantError {
        name: "readable",
        detail: e.to_string(),
    })
}

/// Checks every invariant of `state` at block time `now`.
pub fn check(state: &dyn StateRead, now: Timestamp) -> Result<(), InvariantError> {
    supply(state)?;
    staking(state, now)
}

/// Σ balances + fee pool + staking pools = the genesis supply.
fn supply(state: &dyn StateRead) -> Result<(), InvariantError> {
    let Some(expected) = read(state.supply())? else {
        return Ok(());
    };
    let mut total: u128 = 0;
    for (_, value) in read(state.prefix(ACCOUNT_KEY_PREFIX))? {
        let Ok(account) = Account::decode(&value) else {
            return broken("supply", "an account record is corrupt".into());
        };
        total = total.saturating_add(account.balance);
    }
    total = total
        .saturating_add(read(state.fee_pool())?)
        .saturating_add(read(state.pool(true))?)
        .saturating_add(read(state.pool(false))?);
    if total != expected {
        return broken(
            "supply",
            format!("balances, fee pool and staking pools hold {total}, the supply is {expected}"),
        );
    }
    Ok(())
}

fn staking(state: &dyn StateRead, now: Timestamp) -> Result<(), InvariantError> {
    let validators = read(state.validators())?;
    let mut bonded: u128 = 0;
    let mut not_bonded: u128 = 0;
    let mut keys_seen = BTreeSet::new();
    let mut shares: BTreeMap<[u8; 20], u128> = BTreeMap::new();
    for v in &validators {
        if !keys_seen.insert(v.consensus_key) {
            return broken("consensus keys", format!("{} shares a key", v.valoper()));
        }
        let cons = quire_core::staking::consensus_address(&v.consensus_key);
        if read(state.operator_of(&cons))? != Some(v.operator()) {
            return broken(
                "consensus keys",
                format!("{} is not indexed by its key", v.valoper()),
            );
        }
        if v.tokens == 0 && v.delegator_shares == 0 && v.status == BondStatus::Unbonded {
            return broken(
                "validators",
                format!("{} is empty and unbonded but kept", v.valoper()),
            );
        }
        match v.status {
            BondStatus::Bonded => bonded = bonded.saturating_add(v.tokens),
            _ => not_bonded = not_bonded.saturating_add(v.tokens),
        }
        shares.insert(v.operator, 0);
    }
    let delegations = read(state.prefix(keys::DELEGATIONS))?;
    let index = read(state.prefix(keys::VALIDATOR_DELEGATIONS))?;
    if index.len() != delegations.len() {
        return broken(
            "delegations",
            format!(
                "{} delegations but {} entries in the by-validator index",
                delegations.len(),
                index.len()
            ),
        );
    }
    for (key, value) in delegations {
        let Some([delegator, operator]) = keys::split_addresses(keys::DELEGATIONS, &key, 2)
            .and_then(|a| <[Address; 2]>::try_from(a).ok())
        else {
            return broken("delegations", "a delegation key is malformed".into());
        };
        let indexed = read(state.get(&keys::validator_delegation(&operator, &delegator)))?;
        if indexed.as_ref() != Some(&value) {
            return broken(
                "delegations",
                format!("{delegator}'s delegation to {operator} is not in the by-validator index"),
            );
        }
        let amount = read(crate::state::decode_u128(&value, "delegation"))?;
        if amount == 0 {
            return broken(
                "delegations",
                "a delegation of zero shares is stored".into(),
            );
        }
        match shares.get_mut(operator.as_bytes()) {
            Some(sum) => *sum = sum.saturating_add(amount),
            None => return broken("delegations", format!("a delegation to unknown {operator}")),
        }
    }
    for v in &validators {
        let sum = shares.get(&v.operator).copied().unwrap_or(0);
        if sum != v.delegator_shares {
            return broken(
                "shares",
                format!(
                    "{} has {} delegator shares, its delegations hold {sum}",
                    v.valoper(),
                    v.delegator_shares
                ),
            );
        }
    }
    entries(state, now, &mut not_bonded)?;
    let pool_bonded = read(state.pool(true))?;
    let pool_not_bonded = read(state.pool(false))?;
    if pool_bonded != bonded || pool_not_bonded != not_bonded {
        return broken(
            "pools",
            format!(
                "bonded pool {pool_bonded} (validators {bonded}), not-bonded pool \
                 {pool_not_bonded} (validators and entries {not_bonded})"
            ),
        );
    }
    last_set(state, &validators)
}

/// Unbonding entries: counted into the not-bonded total, none overdue, each
/// queued; queue keys each with a record.
fn entries(
    state: &dyn StateRead,
    now: Timestamp,
    not_bonded: &mut u128,
) -> Result<(), InvariantError> {
    let mut queued = BTreeSet::new();
    for (key, _) in read(state.prefix(keys::UNBONDING_QUEUE))? {
        let Some((time, parts)) = keys::split_queue_key(keys::UNBONDING_QUEUE, &key, 2) else {
            return broken("queues", "an unbonding queue key is malformed".into());
        };
        if time <= now {
            return broken("queues", "an unbonding is overdue".into());
        }
        queued.insert((time, parts));
    }
    for (key, _) in read(state.prefix(keys::UNBONDINGS))? {
        let Some(parts) = keys::split_addresses(keys::UNBONDINGS, &key, 2) else {
            return broken("queues", "an unbonding key is malformed".into());
        };
        let list = read(state.unbonding(&parts[0], &parts[1]))?;
        if list.is_empty() {
            return broken("queues", "an empty unbonding record is stored".into());
        }
        for entry in list {
            *not_bonded = not_bonded.saturating_add(entry.balance);
            if !queued.contains(&(Timestamp::from(entry.completion), parts.clone())) {
                return broken(
                    "queues",
                    format!("an unbonding of {} is not queued", parts[0]),
                );
            }
        }
    }
    for (key, _) in read(state.prefix(keys::VALIDATOR_QUEUE))? {
        let Some((time, parts)) = keys::split_queue_key(keys::VALIDATOR_QUEUE, &key, 1) else {
            return broken("queues", "a validator queue key is malformed".into());
        };
        let validator = read(state.validator(&parts[0]))?;
        match validator {
            Some(v)
                if v.status == BondStatus::Unbonding
                    && Timestamp::from(v.unbonding_completion) == time
                    && time > now => {}
            _ => {
                return broken(
                    "queues",
                    format!("validator queue entry of {} is stale", parts[0]),
                )
            }
        }
    }
    Ok(())
}

/// The last set is exactly the bonded validators, none jailed, at their
/// power (unless no validator ranks, when the last set is kept as it was).
fn last_set(
    state: &dyn StateRead,
    validators: &[crate::staking::state::Validator],
) -> Result<(), InvariantError> {
    let last: BTreeMap<Address, u64> = read(state.last_set())?.into_iter().collect();
    let params = read(state.staking_params())?;
    if crate::staking::set::ranked(validators, params.max_validators).is_empty() {
        return Ok(());
    }
    let bonded: BTreeMap<Address, u64> = validators
        .iter()
        .filter(|v| v.status == BondStatus::Bonded)
        .map(|v| (v.operator(), v.power()))
        .collect();
    if last != bonded {
        return broken(
            "last set",
            format!("last set {last:?}, bonded validators {bonded:?}"),
        );
    }
    if validators
        .iter()
        .any(|v| v.status == BondStatus::Bonded && v.jailed)
    {
        return broken("last set", "a jailed validator is bonded".into());
    }
    if last.len() > params.max_validators as usize {
        return broken("last set", "larger than max_validators".into());
    }
    let total: u64 = last.values().sum();
    if total != read(state.last_total_power())? {
        return broken("last set", "the stored total power differs".into());
    }
    Ok(())
}
