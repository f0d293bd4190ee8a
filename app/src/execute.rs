//! The transaction pipeline: one transaction, checked and applied through
//! every component and every message handler, all or nothing.
//!
//! Order (each step stops at the first error): every message's
//! `check_stateless`; every component's `check_tx`; every component's
//! `authenticate`; every message's `check_stateful`; every component's
//! `charge`; every message's `execute`. Everything runs on the
//! transaction's own delta over the block's, which is applied only when all
//! of it succeeded.

use crate::component::Component;
use crate::context::TxContext;
use crate::error::TxError;
use crate::event::{Event, Events};
use crate::router::MsgContext;
use crate::state::StateDelta;
use crate::tx::DecodedTx;
use quire_core::Address;

/// What an applied transaction did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TxReceipt {
    /// The signer.
    pub signer: Address,
    /// The sequence it used.
    pub sequence: u64,
    /// Fee charged, in the fee denom.
    pub fee: u128,
    /// The fee the rules require (base + per message), which Quire reports
    /// as the gas used (one gas is one unit of the fee denom; the fee
    /// charged, the whole fee offered, is the gas wanted).
    pub required_fee: u128,
    /// Its events: `tx {signer, sequence, fee}`, then its messages' events
    /// (FinalizeBlock only; empty elsewhere).
    pub events: Vec<Event>,
}

/// Checks `tx`, the block's transaction number `tx_index`, against `state`
/// and applies it if every rule holds; on error `state` is unchanged.
pub(crate) fn deliver_tx(
    components: &[Box<dyn Component>],
    state: &mut StateDelta<'_>,
    ctx: &TxContext<'_>,
    tx: DecodedTx,
    tx_index: u32,
) -> Result<TxReceipt, TxError> {
    for (index, msg) in tx.messages.iter().enumerate() {
        msg.check_stateless(ctx, index)?;
    }
    let (parts, receipt) = {
        let mut tx_state = StateDelta::new(state);
        for component in components {
            component.check_tx(&tx_state, ctx, &tx)?;
        }
        for component in components {
            component.authenticate(&mut tx_state, ctx, &tx)?;
        }
        for (index, msg) in tx.messages.iter().enumerate() {
            msg.check_stateful(&tx_state, ctx, index)?;
        }
        for component in components {
            component.charge(&mut tx_state, ctx, &tx)?;
        }
        let fee = tx.fee.as_ref().map_or(0, |(_, amount)| *amount);
        let required_fee = crate::bank::required_fee(ctx, &tx)?;
        let mut events = Events::new(ctx.events);
        events.emit(&tx.signer, |signer| {
            Event::new("tx")
                .indexed("signer", signer)
                .indexed("sequence", tx.sequence)
                .unindexed("fee", fee)
        });
        // The Cosmos SDK's per-message event, which explorers search
        // (`message.sender='…'`, `message.action='…'`).
        for (msg_index, type_url) in tx.message_types.iter().enumerate() {
            events.emit(&tx.signer, |signer| {
                Event::new("message")
                    .indexed("action", type_url.as_str())
                    .indexed("sender", signer)
                    .indexed("module", module_of(type_url))
                    .unindexed("msg_index", msg_index)
            });
        }
        let DecodedTx {
            hash,
            signer,
            sequence,
            messages,
            ..
        } = tx;
        for (msg_index, msg) in messages.into_iter().enumerate() {
            let msg_ctx = MsgContext {
                signer,
                tx_hash: hash,
                sequence,
                tx_index,
                msg_index: msg_index as u32,
            };
            msg.execute(&mut tx_state, ctx, &msg_ctx, &mut events)?;
        }
        let receipt = TxReceipt {
            signer,
            sequence,
            fee,
            required_fee,
            events: events.into_vec(),
        };
        (tx_state.into_parts(), receipt)
    };
    state.apply(parts);
    Ok(receipt)
}

/// The module of a message type, as the SDK names it in `message.module`:
/// the package's second part (`/cosmos.bank.v1beta1.MsgSend` → `bank`,
/// `/quire.blob.v1.MsgSubmitBlob` → `blob`).
pub(crate) fn module_of(type_url: &str) -> &str {
    type_url
        .trim_start_matches('/')
        .split('.')
        .nth(1)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    #[test]
    fn modules_are_the_package_names_second_part() {
        assert_eq!(super::module_of("/cosmos.bank.v1beta1.MsgSend"), "bank");
        assert_eq!(super::module_of("/quire.blob.v1.MsgSubmitBlob"), "blob");
        assert_eq!(
            super::module_of("/cosmos.staking.v1beta1.MsgDelegate"),
            "staking"
        );
        assert_eq!(super::module_of("nodots"), "");
    }
}
