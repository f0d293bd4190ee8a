//! The operations every staking message is made of: moving tokens between
//! accounts and the two pools, issuing and redeeming shares, jailing. Each
//! keeps the pools equal to what they hold (the invariants in
//! [`super::invariants`]).

use super::state::{BondStatus, StakingRead, StakingWrite, Validator};
use crate::auth::state::{AuthRead, AuthWrite};
use crate::error::{InvalidTx, StateReadError, TxError};
use crate::state::StateWrite;
use quire_core::staking::dec::{mul_div_ceil, mul_div_floor, DEC_ONE_ATOMS};
use quire_core::staking::StakingError;
use quire_core::Address;

/// Object keys (per block, never persisted).
pub(crate) mod objects {
    /// Set when anything that decides the active set changed in this block
    /// (tokens, jailing, a new validator): EndBlock then recomputes the set.
    pub const CHANGED: &[u8] = b"staking/changed";
}

/// Notes that the active set must be recomputed at the end of the block.
pub(crate) fn mark_changed(state: &mut dyn StateWrite) {
    state.put_object(objects::CHANGED.to_vec(), Box::new(()));
}

/// Whether anything that decides the active set changed in this block (so
/// EndBlock recomputes it): what later components check before they derive
/// something from the set (the L1 set).
pub fn ranking_changed(state: &dyn crate::state::StateRead) -> bool {
    crate::state::ObjectRead::object_get::<()>(state, objects::CHANGED).is_some()
}

/// A staking refusal of message `index`.
pub(crate) fn fail(index: usize, error: StakingError) -> TxError {
    TxError::Staking { index, error }
}

fn overflow() -> TxError {
    TxError::Invalid(InvalidTx::StakeOverflow)
}

/// Where delegated tokens come from.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Funds {
    /// An account's balance.
    Account(Address),
    /// A pool (tokens already staked: redelegations, cancelled unbondings).
    Pool {
        /// The bonded pool, or the not-bonded one.
        bonded: bool,
    },
}

/// Adds `amount` to a pool (negative amounts are [`take_from_pool`]).
pub(crate) fn add_to_pool(
    state: &mut dyn StateWrite,
    bonded: bool,
    amount: u128,
) -> Result<(), TxError> {
    let pool = state
        .pool(bonded)?
        .checked_add(amount)
        .ok_or_else(overflow)?;
    state.put_pool(bonded, pool);
    Ok(())
}

/// Takes `amount` from a pool; a pool short of it is corrupt state.
pub(crate) fn take_from_pool(
    state: &mut dyn StateWrite,
    bonded: bool,
    amount: u128,
) -> Result<(), StateReadError> {
    let pool = state.pool(bonded)?.checked_sub(amount).ok_or_else(|| {
        StateReadError(format!(
            "the {} pool holds less than {amount}",
            if bonded { "bonded" } else { "not-bonded" }
        ))
    })?;
    state.put_pool(bonded, pool);
    Ok(())
}

/// Moves `amount` from one pool to the other (no-op if both are the same).
pub(crate) fn move_between_pools(
    state: &mut dyn StateWrite,
    from_bonded: bool,
    to_bonded: bool,
    amount: u128,
) -> Result<(), TxError> {
    if from_bonded != to_bonded && amount > 0 {
        take_from_pool(state, from_bonded, amount)?;
        add_to_pool(state, to_bonded, amount)?;
    }
    Ok(())
}

/// Pays `amount` from a pool into an account (created if needed).
pub(crate) fn pay_out(
    state: &mut dyn StateWrite,
    bonded: bool,
    to: &Address,
    amount: u128,
) -> Result<(), TxError> {
    take_from_pool(state, bonded, amount)?;
    let mut account = state.account_or_create(to)?;
    account.balance = account
        .balance
        .checked_add(amount)
        .ok_or(TxError::Invalid(InvalidTx::BalanceOverflow(*to)))?;
    state.put_account(to, &account);
    Ok(())
}

/// Shares `amount` tokens are worth at `validator` (rounded down when
/// issuing, up when redeeming tokens); `None` if the rate is invalid (tokens
/// 0 but shares left) or the result overflows.
pub(crate) fn shares_for_tokens(
    validator: &Validator,
    amount: u128,
    round_up: bool,
) -> Option<u128> {
    if validator.delegator_shares == 0 {
        return amount.checked_mul(DEC_ONE_ATOMS);
    }
    if validator.tokens == 0 {
        return None;
    }
    if round_up {
        mul_div_ceil(amount, validator.delegator_shares, validator.tokens)
    } else {
        mul_div_floor(amount, validator.delegator_shares, validator.tokens)
    }
}

/// Tokens `shares` are worth at `validator`, rounded down (what queries
/// report a delegation's balance as).
pub fn tokens_for_shares_of(validator: &Validator, shares: u128) -> u128 {
    tokens_for_shares(validator, shares)
}

/// Tokens `shares` are worth at `validator`, rounded down (in the chain's
/// favour).
pub(crate) fn tokens_for_shares(validator: &Validator, shares: u128) -> u128 {
    if shares >= validator.delegator_shares {
        return validator.tokens;
    }
    mul_div_floor(shares, validator.tokens, validator.delegator_shares).unwrap_or(0)
}

/// Delegates `amount` tokens from `from` to `validator` for `delegator`:
/// issues shares, moves the tokens into the pool of the validator's status.
/// Returns the shares issued. The caller saves the validator.
pub(crate) fn add_delegation(
    state: &mut dyn StateWrite,
    delegator: &Address,
    validator: &mut Validator,
    amount: u128,
    from: Funds,
    index: usize,
) -> Result<u128, TxError> {
    if validator.tokens == 0 && validator.delegator_shares > 0 {
        return Err(fail(
            index,
            StakingError::InvalidExchangeRate(validator.valoper()),
        ));
    }
    let shares = shares_for_tokens(validator, amount, false).ok_or_else(overflow)?;
    if shares == 0 {
        return Err(fail(
            index,
            StakingError::AmountTooSmall(format!("{amount} tokens are worth no shares")),
        ));
    }
    let bonded = validator.status == BondStatus::Bonded;
    match from {
        Funds::Account(owner) => {
            let mut account = state
                .account(&owner)?
                .ok_or_else(|| TxError::UnknownAccount(owner.to_bech32()))?;
            account.balance =
                account
                    .balance
                    .checked_sub(amount)
                    .ok_or_else(|| TxError::InsufficientFunds {
                        account: owner.to_bech32(),
                        balance: account.balance,
                        needed: amount,
                    })?;
            state.put_account(&owner, &account);
            add_to_pool(state, bonded, amount)?;
        }
        Funds::Pool { bonded: source } => move_between_pools(state, source, bonded, amount)?,
    }
    validator.tokens = validator.tokens.checked_add(amount).ok_or_else(overflow)?;
    validator.delegator_shares = validator
        .delegator_shares
        .checked_add(shares)
        .ok_or_else(overflow)?;
    let held = state.delegation(delegator, &validator.operator())?;
    let held = held.checked_add(shares).ok_or_else(overflow)?;
    state.put_delegation(delegator, &validator.operator(), held);
    mark_changed(state);
    Ok(shares)
}

/// Redeems `shares` of `delegator`'s delegation to `validator`: the tokens
/// leave the validator but stay in its status's pool (the caller moves
/// them). Jails the validator if its operator's own stake falls below its
/// minimum self-delegation. Returns the tokens. The caller saves the
/// validator.
pub(crate) fn remove_delegation(
    state: &mut dyn StateWrite,
    delegator: &Address,
    validator: &mut Validator,
    shares: u128,
    index: usize,
) -> Result<u128, TxError> {
    let operator = validator.operator();
    let held = state.delegation(delegator, &operator)?;
    let left = held.checked_sub(shares).ok_or_else(|| {
        fail(
            index,
            StakingError::NoDelegation(format!(
                "{delegator} holds {held} share atoms of {}, fewer than the {shares} asked for",
                validator.valoper()
            )),
        )
    })?;
    state.put_delegation(delegator, &operator, left);
    if *delegator == operator
        && !validator.jailed
        && tokens_for_shares(validator, left) < validator.min_self_delegation
    {
        validator.jailed = true;
    }
    let tokens = tokens_for_shares(validator, shares);
    validator.tokens -= tokens;
    validator.delegator_shares -= shares.min(validator.delegator_shares);
    mark_changed(state);
    Ok(tokens)
}

/// Saves `validator`, or removes it if it is unbonded and nobody delegates
/// to it any more (its consensus key stays used).
pub(crate) fn save_or_remove(state: &mut dyn StateWrite, validator: &Validator) {
    if validator.status == BondStatus::Unbonded && validator.delegator_shares == 0 {
        state.remove_validator(&validator.operator());
    } else {
        state.put_validator(validator);
    }
}
