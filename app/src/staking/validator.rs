//! `MsgCreateValidator`, `MsgEditValidator` and `MsgUnjail`: the messages a
//! validator's operator signs.

use super::ops::{self, fail, Funds};
use super::state::{BondStatus, StakingRead, StakingWrite, Time, Validator};
use crate::context::{Timestamp, TxContext};
use crate::error::TxError;
use crate::event::{Event, Events};
use crate::router::{ActionHandler, MsgContext};
use crate::state::{StateRead, StateWrite};
use quire_core::staking::msg::{CreateValidator, EditValidator, Unjail};
use quire_core::staking::{consensus_address, consensus_address_bech32, Dec, StakingError};
use quire_core::Address;
use std::any::Any;

/// The amount must be in the bond denom (the fee denom).
pub(crate) fn check_bond_denom(
    ctx: &TxContext<'_>,
    denom: &str,
    index: usize,
) -> Result<(), TxError> {
    if denom != ctx.params.fee_denom {
        return Err(fail(
            index,
            StakingError::BondDenom {
                expected: ctx.params.fee_denom.clone(),
                got: denom.chars().take(128).collect(),
            },
        ));
    }
    Ok(())
}

/// The validator `operator` runs, or the refusal of message `index`.
pub(crate) fn existing(
    state: &(impl StateRead + ?Sized),
    operator: &Address,
    index: usize,
) -> Result<Validator, TxError> {
    state
        .validator(operator)?
        .ok_or_else(|| fail(index, StakingError::UnknownValidator(operator.to_valoper())))
}

/// Tokens the operator's own delegation is worth.
pub(crate) fn self_delegation(
    state: &(impl StateRead + ?Sized),
    validator: &Validator,
) -> Result<u128, TxError> {
    let shares = state.delegation(&validator.operator(), &validator.operator())?;
    Ok(ops::tokens_for_shares(validator, shares))
}

impl ActionHandler for CreateValidator {
    fn check_stateful(
        &self,
        state: &dyn StateRead,
        ctx: &TxContext<'_>,
        index: usize,
    ) -> Result<(), TxError> {
        check_bond_denom(ctx, &self.value.denom, index)?;
        let params = state.staking_params()?;
        if self.commission.rate() < params.min_commission_rate {
            return Err(fail(
                index,
                StakingError::Commission(format!(
                    "rate {} is below the chain's minimum {}",
                    self.commission.rate(),
                    params.min_commission_rate
                )),
            ));
        }
        Ok(())
    }

    fn execute(
        self: Box<Self>,
        state: &mut dyn StateWrite,
        ctx: &TxContext<'_>,
        msg: &MsgContext,
        events: &mut Events,
    ) -> Result<(), TxError> {
        let index = msg.msg_index as usize;
        let operator = msg.signer;
        create(state, &operator, &self, ctx.height, ctx.time, index)?;
        let valcons = consensus_address_bech32(&consensus_address(&self.consensus_key));
        events.emit(&operator, |_| {
            Event::new("create_validator")
                .indexed("validator", operator.to_valoper())
                .indexed("consensus_address", valcons)
                .unindexed(
                    "amount",
                    format!("{}{}", self.value.amount, self.value.denom),
                )
        });
        Ok(())
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// Creates `operator`'s validator and its self-delegation (also used at
/// genesis). The validator starts unbonded; EndBlock bonds it if it ranks.
pub(crate) fn create(
    state: &mut dyn StateWrite,
    operator: &Address,
    msg: &CreateValidator,
    height: u64,
    time: Timestamp,
    index: usize,
) -> Result<(), TxError> {
    if state.validator(operator)?.is_some() {
        return Err(fail(
            index,
            StakingError::ValidatorExists(operator.to_valoper()),
        ));
    }
    let consensus = consensus_address(&msg.consensus_key);
    if state.operator_of(&consensus)?.is_some() {
        return Err(fail(
            index,
            StakingError::ConsensusKeyInUse(consensus_address_bech32(&consensus)),
        ));
    }
    let mut validator = Validator {
        operator: *operator.as_bytes(),
        consensus_key: msg.consensus_key,
        status: BondStatus::Unbonded,
        jailed: false,
        tombstoned: false,
        jailed_until: Time::default(),
        tokens: 0,
        delegator_shares: 0,
        description: msg.description.clone(),
        unbonding_height: 0,
        unbonding_completion: Time::default(),
        commission: msg.commission,
        commission_update_time: time.into(),
        min_self_delegation: msg.min_self_delegation,
        creation_height: height,
    };
    state.put_consensus_key(&consensus, operator);
    ops::add_delegation(
        state,
        operator,
        &mut validator,
        msg.value.amount,
        Funds::Account(*operator),
        index,
    )?;
    state.put_validator(&validator);
    Ok(())
}

impl ActionHandler for EditValidator {
    /// Every rule needs the validator: they are checked as it is loaded.
    fn execute(
        self: Box<Self>,
        state: &mut dyn StateWrite,
        ctx: &TxContext<'_>,
        msg: &MsgContext,
        events: &mut Events,
    ) -> Result<(), TxError> {
        let index = msg.msg_index as usize;
        let mut validator = existing(&*state, &msg.signer, index)?;
        let params = state.staking_params()?;
        let description = self.description.apply(&validator.description);
        description.validate().map_err(|e| fail(index, e))?;
        validator.description = description;
        if let Some(rate) = self.commission_rate {
            let old = validator.commission.rate();
            let max_rate = Dec::from_atoms(validator.commission.max_rate);
            let max_change = Dec::from_atoms(validator.commission.max_change_rate);
            let since: Timestamp = validator.commission_update_time.into();
            if ctx.time < since.plus_seconds(params.commission_change_interval_secs) {
                return Err(fail(
                    index,
                    StakingError::CommissionChange(format!(
                        "the rate was changed less than {} s ago",
                        params.commission_change_interval_secs
                    )),
                ));
            }
            if rate > max_rate {
                return Err(fail(
                    index,
                    StakingError::Commission(format!(
                        "rate {rate} is above the max rate {max_rate}"
                    )),
                ));
            }
            if rate < params.min_commission_rate {
                return Err(fail(
                    index,
                    StakingError::Commission(format!(
                        "rate {rate} is below the chain's minimum {}",
                        params.min_commission_rate
                    )),
                ));
            }
            let change = if rate > old {
                rate.checked_sub(old)
            } else {
                old.checked_sub(rate)
            }
            .unwrap_or(Dec::ZERO);
            if change > max_change {
                return Err(fail(
                    index,
                    StakingError::CommissionChange(format!(
                        "{old} → {rate} changes by more than the max change rate {max_change}"
                    )),
                ));
            }
            validator.commission.rate = rate.atoms();
            validator.commission_update_time = ctx.time.into();
        }
        if let Some(min) = self.min_self_delegation {
            if min <= validator.min_self_delegation {
                return Err(fail(
                    index,
                    StakingError::MinSelfDelegationDecrease {
                        current: validator.min_self_delegation,
                        requested: min,
                    },
                ));
            }
            if min > validator.tokens {
                return Err(fail(
                    index,
                    StakingError::SelfDelegationBelowMin {
                        self_delegation: validator.tokens,
                        min,
                    },
                ));
            }
            validator.min_self_delegation = min;
        }
        state.put_validator(&validator);
        let valoper = validator.valoper();
        events.emit(&msg.signer, |_| {
            Event::new("edit_validator")
                .indexed("validator", valoper)
                .unindexed("commission_rate", validator.commission.rate())
                .unindexed("min_self_delegation", validator.min_self_delegation)
        });
        Ok(())
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

impl ActionHandler for Unjail {
    fn execute(
        self: Box<Self>,
        state: &mut dyn StateWrite,
        ctx: &TxContext<'_>,
        msg: &MsgContext,
        events: &mut Events,
    ) -> Result<(), TxError> {
        let index = msg.msg_index as usize;
        let mut validator = existing(&*state, &msg.signer, index)?;
        let valoper = validator.valoper();
        if validator.tombstoned {
            return Err(fail(index, StakingError::Tombstoned(valoper)));
        }
        if !validator.jailed {
            return Err(fail(index, StakingError::NotJailed(valoper)));
        }
        let own = self_delegation(&*state, &validator)?;
        if own < validator.min_self_delegation {
            return Err(fail(
                index,
                StakingError::SelfDelegationBelowMin {
                    self_delegation: own,
                    min: validator.min_self_delegation,
                },
            ));
        }
        let until: Timestamp = validator.jailed_until.into();
        if ctx.time < until {
            return Err(fail(
                index,
                StakingError::StillJailed {
                    validator: valoper,
                    until_seconds: until.seconds,
                    now_seconds: ctx.time.seconds,
                },
            ));
        }
        validator.jailed = false;
        state.put_validator(&validator);
        ops::mark_changed(state);
        events.emit(&msg.signer, |_| {
            Event::new("unjail").indexed("validator", valoper)
        });
        Ok(())
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
