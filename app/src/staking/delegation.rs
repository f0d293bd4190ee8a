//! `MsgDelegate`, `MsgUndelegate`, `MsgBeginRedelegate` and
//! `MsgCancelUnbondingDelegation`: the messages a delegator signs.

use super::keys;
use super::ops::{self, fail, Funds};
use super::state::{BondStatus, Entry, StakingRead, StakingWrite, Validator};
use super::validator::{check_bond_denom, existing};
use crate::context::{Timestamp, TxContext};
use crate::error::TxError;
use crate::event::{Event, Events};
use crate::router::{ActionHandler, MsgContext};
use crate::state::{StateRead, StateWrite};
use quire_core::staking::msg::{BeginRedelegate, CancelUnbonding, Delegate, Undelegate};
use quire_core::staking::StakingError;
use quire_core::Address;
use std::any::Any;

/// A validator that can take new stake: exists, not tombstoned.
fn delegation_target(
    state: &(impl StateRead + ?Sized),
    operator: &Address,
    index: usize,
) -> Result<Validator, TxError> {
    let validator = existing(state, operator, index)?;
    if validator.tombstoned {
        return Err(fail(index, StakingError::Tombstoned(validator.valoper())));
    }
    Ok(validator)
}

/// The shares to redeem for `amount` tokens of `delegator`'s delegation:
/// rounded up, capped at what it holds; refused if it holds fewer.
fn shares_to_redeem(
    state: &(impl StateRead + ?Sized),
    delegator: &Address,
    validator: &Validator,
    amount: u128,
    index: usize,
) -> Result<u128, TxError> {
    let held = state.delegation(delegator, &validator.operator())?;
    let no_delegation = || {
        fail(
            index,
            StakingError::NoDelegation(format!(
                "{delegator} has no delegation of {amount} tokens to {}",
                validator.valoper()
            )),
        )
    };
    if held == 0 {
        return Err(no_delegation());
    }
    let floor = ops::shares_for_tokens(validator, amount, false).ok_or_else(|| {
        fail(
            index,
            StakingError::InvalidExchangeRate(validator.valoper()),
        )
    })?;
    if floor > held {
        return Err(no_delegation());
    }
    let ceil = ops::shares_for_tokens(validator, amount, true).unwrap_or(held);
    Ok(ceil.min(held))
}

/// Redeems the shares `amount` tokens of `delegator`'s delegation are worth
/// (see [`shares_to_redeem`]); returns the tokens, refusing zero.
fn redeem(
    state: &mut dyn StateWrite,
    delegator: &Address,
    validator: &mut Validator,
    amount: u128,
    index: usize,
) -> Result<u128, TxError> {
    let shares = shares_to_redeem(&*state, delegator, validator, amount, index)?;
    let tokens = ops::remove_delegation(state, delegator, validator, shares, index)?;
    if tokens == 0 {
        return Err(fail(
            index,
            StakingError::AmountTooSmall("the shares redeemed are worth no tokens".into()),
        ));
    }
    Ok(tokens)
}

fn completion_after(ctx: &TxContext<'_>, seconds: u64) -> Timestamp {
    ctx.time.plus_seconds(seconds)
}

impl ActionHandler for Delegate {
    fn check_stateful(
        &self,
        state: &dyn StateRead,
        ctx: &TxContext<'_>,
        index: usize,
    ) -> Result<(), TxError> {
        check_bond_denom(ctx, &self.amount.denom, index)?;
        delegation_target(state, &self.validator, index).map(|_| ())
    }

    fn execute(
        self: Box<Self>,
        state: &mut dyn StateWrite,
        _ctx: &TxContext<'_>,
        msg: &MsgContext,
        events: &mut Events,
    ) -> Result<(), TxError> {
        let index = msg.msg_index as usize;
        let mut validator = delegation_target(&*state, &self.validator, index)?;
        let shares = ops::add_delegation(
            state,
            &msg.signer,
            &mut validator,
            self.amount.amount,
            Funds::Account(msg.signer),
            index,
        )?;
        state.put_validator(&validator);
        events.emit(&msg.signer, |delegator| {
            Event::new("delegate")
                .indexed("validator", self.validator.to_valoper())
                .indexed("delegator", delegator)
                .unindexed("amount", self.amount.amount)
                .unindexed("new_shares", quire_core::staking::Dec::from_atoms(shares))
        });
        Ok(())
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

impl ActionHandler for Undelegate {
    fn check_stateful(
        &self,
        state: &dyn StateRead,
        ctx: &TxContext<'_>,
        index: usize,
    ) -> Result<(), TxError> {
        check_bond_denom(ctx, &self.amount.denom, index)?;
        existing(state, &self.validator, index).map(|_| ())
    }

    fn execute(
        self: Box<Self>,
        state: &mut dyn StateWrite,
        ctx: &TxContext<'_>,
        msg: &MsgContext,
        events: &mut Events,
    ) -> Result<(), TxError> {
        let index = msg.msg_index as usize;
        let delegator = msg.signer;
        let params = state.staking_params()?;
        let mut validator = existing(&*state, &self.validator, index)?;
        let mut entries = state.unbonding(&delegator, &self.validator)?;
        if entries.len() >= params.max_entries as usize {
            return Err(fail(
                index,
                StakingError::MaxEntries {
                    kind: "unbonding",
                    max: params.max_entries,
                },
            ));
        }
        let tokens = redeem(state, &delegator, &mut validator, self.amount.amount, index)?;
        ops::move_between_pools(state, validator.status == BondStatus::Bonded, false, tokens)?;
        let completion = completion_after(ctx, params.unbonding_time_secs);
        entries.push(Entry {
            creation_height: ctx.height,
            completion: completion.into(),
            initial_balance: tokens,
            balance: tokens,
        });
        state.put_unbonding(&delegator, &self.validator, &entries);
        state.put_raw(
            keys::unbonding_queue(completion, &delegator, &self.validator),
            Vec::new(),
        );
        ops::save_or_remove(state, &validator);
        events.emit(&delegator, |delegator| {
            Event::new("unbond")
                .indexed("validator", self.validator.to_valoper())
                .indexed("delegator", delegator)
                .unindexed("amount", tokens)
                .unindexed("completion_time", completion.seconds)
        });
        Ok(())
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// Whether `delegator` has stake redelegated *to* `validator` that is still
/// maturing (it may not be redelegated again until then).
fn receiving_redelegation(
    state: &(impl StateRead + ?Sized),
    delegator: &Address,
    validator: &Address,
) -> Result<bool, TxError> {
    let mut prefix = keys::REDELEGATIONS.to_vec();
    prefix.extend_from_slice(delegator.as_bytes());
    Ok(state
        .prefix(&prefix)?
        .iter()
        .any(|(key, _)| key.ends_with(validator.as_bytes())))
}

impl ActionHandler for BeginRedelegate {
    fn check_stateful(
        &self,
        state: &dyn StateRead,
        ctx: &TxContext<'_>,
        index: usize,
    ) -> Result<(), TxError> {
        check_bond_denom(ctx, &self.amount.denom, index)?;
        existing(state, &self.src, index)?;
        delegation_target(state, &self.dst, index).map(|_| ())
    }

    fn execute(
        self: Box<Self>,
        state: &mut dyn StateWrite,
        ctx: &TxContext<'_>,
        msg: &MsgContext,
        events: &mut Events,
    ) -> Result<(), TxError> {
        let index = msg.msg_index as usize;
        let delegator = msg.signer;
        let params = state.staking_params()?;
        if receiving_redelegation(&*state, &delegator, &self.src)? {
            return Err(fail(
                index,
                StakingError::TransitiveRedelegation(self.src.to_valoper()),
            ));
        }
        let mut entries = state.redelegation(&delegator, &self.src, &self.dst)?;
        if entries.len() >= params.max_entries as usize {
            return Err(fail(
                index,
                StakingError::MaxEntries {
                    kind: "redelegation",
                    max: params.max_entries,
                },
            ));
        }
        let mut src = existing(&*state, &self.src, index)?;
        let mut dst = delegation_target(&*state, &self.dst, index)?;
        let tokens = redeem(state, &delegator, &mut src, self.amount.amount, index)?;
        let from_bonded = src.status == BondStatus::Bonded;
        let dst_shares = ops::add_delegation(
            state,
            &delegator,
            &mut dst,
            tokens,
            Funds::Pool {
                bonded: from_bonded,
            },
            index,
        )?;
        // Stake from a bonded validator stays slashable for its faults for
        // the unbonding time; from an unbonding one until it completes; from
        // an unbonded one not at all.
        let completion = match src.status {
            BondStatus::Bonded => Some(completion_after(ctx, params.unbonding_time_secs)),
            BondStatus::Unbonding => Some(src.unbonding_completion.into()),
            BondStatus::Unbonded => None,
        };
        if let Some(completion) = completion {
            entries.push(Entry {
                creation_height: ctx.height,
                completion: completion.into(),
                initial_balance: tokens,
                balance: dst_shares,
            });
            state.put_redelegation(&delegator, &self.src, &self.dst, &entries);
            state.put_raw(
                keys::redelegation_queue(completion, &delegator, &self.src, &self.dst),
                Vec::new(),
            );
        }
        ops::save_or_remove(state, &src);
        state.put_validator(&dst);
        let completion_seconds = completion.map_or(ctx.time.seconds, |t| t.seconds);
        events.emit(&delegator, |delegator| {
            Event::new("redelegate")
                .indexed("source_validator", self.src.to_valoper())
                .indexed("destination_validator", self.dst.to_valoper())
                .indexed("delegator", delegator)
                .unindexed("amount", tokens)
                .unindexed("completion_time", completion_seconds)
        });
        Ok(())
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

impl ActionHandler for CancelUnbonding {
    fn check_stateful(
        &self,
        state: &dyn StateRead,
        ctx: &TxContext<'_>,
        index: usize,
    ) -> Result<(), TxError> {
        check_bond_denom(ctx, &self.amount.denom, index)?;
        let validator = delegation_target(state, &self.validator, index)?;
        if validator.jailed {
            return Err(fail(
                index,
                StakingError::ValidatorJailed(validator.valoper()),
            ));
        }
        Ok(())
    }

    fn execute(
        self: Box<Self>,
        state: &mut dyn StateWrite,
        _ctx: &TxContext<'_>,
        msg: &MsgContext,
        events: &mut Events,
    ) -> Result<(), TxError> {
        let index = msg.msg_index as usize;
        let delegator = msg.signer;
        let mut entries = state.unbonding(&delegator, &self.validator)?;
        let position = entries
            .iter()
            .position(|entry| entry.creation_height == self.creation_height)
            .ok_or_else(|| {
                fail(
                    index,
                    StakingError::NoUnbondingEntry(format!(
                        "no unbonding of {delegator} from {} was created at height {}",
                        self.validator.to_valoper(),
                        self.creation_height
                    )),
                )
            })?;
        let entry = &mut entries[position];
        if self.amount.amount > entry.balance {
            return Err(fail(
                index,
                StakingError::NoUnbondingEntry(format!(
                    "the unbonding created at height {} holds {}, less than the {} asked for",
                    self.creation_height, entry.balance, self.amount.amount
                )),
            ));
        }
        entry.balance -= self.amount.amount;
        entry.initial_balance = entry.initial_balance.saturating_sub(self.amount.amount);
        let completion = entry.completion;
        if entry.balance == 0 {
            entries.remove(position);
        }
        let mut validator = delegation_target(&*state, &self.validator, index)?;
        ops::add_delegation(
            state,
            &delegator,
            &mut validator,
            self.amount.amount,
            Funds::Pool { bonded: false },
            index,
        )?;
        state.put_validator(&validator);
        if !entries.iter().any(|e| e.completion == completion) {
            state.delete(keys::unbonding_queue(
                completion.into(),
                &delegator,
                &self.validator,
            ));
        }
        state.put_unbonding(&delegator, &self.validator, &entries);
        events.emit(&delegator, |delegator| {
            Event::new("cancel_unbonding_delegation")
                .indexed("validator", self.validator.to_valoper())
                .indexed("delegator", delegator)
                .unindexed("amount", self.amount.amount)
                .unindexed("creation_height", self.creation_height)
        });
        Ok(())
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
