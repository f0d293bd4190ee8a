//! `MsgSend`: moves the fee token from the signer to another account.

use crate::auth::state::{AuthRead, AuthWrite};
use crate::context::TxContext;
use crate::error::{InvalidTx, TxError};
use crate::event::Events;
use crate::router::{ActionHandler, MsgContext};
use crate::state::{StateRead, StateWrite};
use quire_core::msg::Send;
use std::any::Any;

impl ActionHandler for Send {
    /// Only the fee denom moves.
    fn check_stateful(
        &self,
        _state: &dyn StateRead,
        ctx: &TxContext<'_>,
        index: usize,
    ) -> Result<(), TxError> {
        if self.denom != ctx.params.fee_denom {
            return Err(TxError::Invalid(InvalidTx::SendDenom {
                index,
                allowed: ctx.params.fee_denom.clone(),
                got: self.denom.clone(),
            }));
        }
        Ok(())
    }

    /// The signer's balance covers the amount: [`super::Bank::charge`]
    /// checked the fee and every send of the transaction together.
    fn execute(
        self: Box<Self>,
        state: &mut dyn StateWrite,
        _ctx: &TxContext<'_>,
        msg: &MsgContext,
        _events: &mut Events,
    ) -> Result<(), TxError> {
        let signer = msg.signer;
        let mut from = state
            .account(&signer)?
            .ok_or_else(|| TxError::UnknownAccount(signer.to_bech32()))?;
        from.balance =
            from.balance
                .checked_sub(self.amount)
                .ok_or_else(|| TxError::InsufficientFunds {
                    account: signer.to_bech32(),
                    balance: from.balance,
                    needed: self.amount,
                })?;
        state.put_account(&signer, &from);
        let mut to = state.account_or_create(&self.to)?;
        to.balance = to
            .balance
            .checked_add(self.amount)
            .ok_or(TxError::Invalid(InvalidTx::BalanceOverflow(self.to)))?;
        state.put_account(&self.to, &to);
        Ok(())
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
