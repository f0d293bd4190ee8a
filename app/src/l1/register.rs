//! Registering L1 keys after genesis: `MsgSetL1Key` (any account, with
//! proof of possession in this chain's domain), and the rule that a new
//! validator on an anchored chain comes with its key.
//!
//! An account may register its key before it creates its validator, in the
//! same transaction (before or after `MsgCreateValidator`), or later to
//! rotate it. An L1 address stays bound to the first operator that
//! registered it. A key change re-derives the L1 set at the end of the
//! block; the new key signs from the second height after it.

use super::keys::KEYS_CHANGED;
use super::state::{L1Read, L1Write};
use crate::context::TxContext;
use crate::error::TxError;
use crate::event::{Event, Events};
use crate::router::{ActionHandler, MsgContext};
use crate::state::{StateRead, StateWrite};
use crate::tx::DecodedTx;
use quire_core::l1::key::verify_key_proof;
use quire_core::l1::{L1TxError, SetL1Key};
use quire_core::Address;
use std::any::Any;

fn fail(index: usize, error: L1TxError) -> TxError {
    TxError::L1 { index, error }
}

/// A decoded `MsgSetL1Key` and the operator that signed it.
type Registration = crate::registration::Registration<SetL1Key>;

impl crate::registration::RegistrationMsg for SetL1Key {
    fn decode(value: &[u8], signer: &Address) -> Result<Self, quire_core::msg::MsgError> {
        SetL1Key::decode(value, signer)
    }
}

/// On an anchored chain, a transaction that creates a validator must
/// register its key unless the operator already has one.
pub(super) fn check_new_validator_key(
    state: &dyn StateRead,
    tx: &DecodedTx,
) -> Result<(), TxError> {
    let Some(index) = crate::staking::new_validator_without::<Registration>(tx) else {
        return Ok(());
    };
    if state.l1_config()?.is_none() || state.l1_key(tx.signer.as_bytes())?.is_some() {
        return Ok(());
    }
    Err(fail(index, L1TxError::KeyRequired))
}

impl ActionHandler for Registration {
    fn check_stateful(
        &self,
        state: &dyn StateRead,
        _ctx: &TxContext<'_>,
        index: usize,
    ) -> Result<(), TxError> {
        let Some(config) = state.l1_config()? else {
            return Err(fail(index, L1TxError::NotAnchored));
        };
        let (operator, key) = (self.operator, self.msg.key);
        verify_key_proof(&config.domain(), operator.as_bytes(), &key, &self.msg.proof).map_err(
            |e| {
                fail(
                    index,
                    L1TxError::KeyProof {
                        key,
                        operator: operator.to_bech32(),
                        reason: e.to_string(),
                    },
                )
            },
        )?;
        if let Some(owner) = state.l1_owner(&key)? {
            if owner != *operator.as_bytes() {
                return Err(fail(index, L1TxError::KeyInUse(key)));
            }
        }
        if state.l1_key(operator.as_bytes())? == Some(key) {
            return Err(fail(index, L1TxError::KeyUnchanged(key)));
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
        let key = self.msg.key;
        state.put_l1_key(msg.signer.as_bytes(), &key);
        state.put_object(KEYS_CHANGED.to_vec(), Box::new(()));
        events.emit(&msg.signer, |_| {
            Event::new("l1_key_set")
                .indexed("operator", msg.signer.to_valoper())
                .indexed("key", key)
        });
        Ok(())
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
