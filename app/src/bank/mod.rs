//! bank: fees and transfers of the fee token.
//!
//! Every transaction pays at least the base fee plus what its messages add
//! (blob bytes); the fee goes to the fee pool. `MsgSend` moves the fee
//! token between accounts, creating the recipient's account if needed.

pub mod keys;
pub mod send;
pub mod state;

use crate::auth::state::{AuthRead, AuthWrite};
use crate::component::Component;
use crate::context::TxContext;
use crate::error::{InvalidTx, TxError};
use crate::genesis::{Genesis, GenesisError};
use crate::router::{ActionHandler, MsgDecoder};
use crate::state::StateWrite;
use crate::tx::DecodedTx;
use quire_core::msg::{MsgError, Send, MSG_SEND_TYPE_URL};
use quire_core::Address;
use state::{BankRead, BankWrite};

/// The least fee `tx` must offer, in the fee denom: the base fee plus what
/// each message adds (its blob bytes times the per-byte fee).
pub fn required_fee(ctx: &TxContext<'_>, tx: &DecodedTx) -> Result<u128, TxError> {
    tx.messages
        .iter()
        .try_fold(ctx.params.base_fee, |total, msg| {
            total.checked_add(msg.fee(ctx)?)
        })
        .ok_or(TxError::Invalid(InvalidTx::FeeOverflow))
}

/// The bank component.
#[derive(Debug, Default)]
pub struct Bank;

fn decode_send(value: &[u8], signer: &Address) -> Result<Box<dyn ActionHandler>, MsgError> {
    Ok(Box::new(Send::decode(value, signer)?))
}

impl Component for Bank {
    fn name(&self) -> &'static str {
        "bank"
    }

    fn msg_types(&self) -> Vec<(&'static str, MsgDecoder)> {
        vec![(MSG_SEND_TYPE_URL, decode_send)]
    }

    /// An empty fee pool; the supply is the sum of the genesis balances.
    fn init_chain(
        &self,
        state: &mut dyn StateWrite,
        genesis: &Genesis<'_>,
    ) -> Result<(), GenesisError> {
        state.put_fee_pool(0);
        let supply = genesis
            .accounts
            .iter()
            .try_fold(0u128, |sum, (_, balance)| sum.checked_add(*balance))
            .ok_or(GenesisError::SupplyOverflow)?;
        state.put_supply(supply);
        Ok(())
    }

    /// The fee must be in the fee denom and at least the base fee plus what
    /// the messages add.
    fn authenticate(
        &self,
        _state: &mut dyn StateWrite,
        ctx: &TxContext<'_>,
        tx: &DecodedTx,
    ) -> Result<(), TxError> {
        let params = ctx.params;
        let required = required_fee(ctx, tx)?;
        let fee = match &tx.fee {
            None => 0,
            Some((denom, _)) if denom != &params.fee_denom => {
                return Err(TxError::WrongFeeDenom {
                    expected: params.fee_denom.clone(),
                    got: denom.clone(),
                })
            }
            Some((_, amount)) => *amount,
        };
        if fee < required {
            return Err(TxError::InsufficientFee {
                offered: fee,
                required,
                denom: params.fee_denom.clone(),
            });
        }
        Ok(())
    }

    /// The signer must hold the fee plus everything it sends; the fee is
    /// then taken into the fee pool.
    fn charge(
        &self,
        state: &mut dyn StateWrite,
        _ctx: &TxContext<'_>,
        tx: &DecodedTx,
    ) -> Result<(), TxError> {
        let fee = tx.fee.as_ref().map_or(0, |(_, amount)| *amount);
        let needed = tx
            .messages_of::<Send>()
            .try_fold(fee, |total, send| total.checked_add(send.amount))
            .ok_or(TxError::Invalid(InvalidTx::AmountOverflow))?;
        let signer = tx.signer;
        let mut account = state
            .account(&signer)?
            .ok_or_else(|| TxError::UnknownAccount(signer.to_bech32()))?;
        if account.balance < needed {
            return Err(TxError::InsufficientFunds {
                account: signer.to_bech32(),
                balance: account.balance,
                needed,
            });
        }
        account.balance -= fee;
        state.put_account(&signer, &account);
        let pool = state
            .fee_pool()?
            .checked_add(fee)
            .ok_or(TxError::Invalid(InvalidTx::FeePoolOverflow))?;
        state.put_fee_pool(pool);
        Ok(())
    }
}
