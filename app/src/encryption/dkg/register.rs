//! `MsgSetDkgKey`: an operator registers the keys its validator plays key
//! generation with (with proof of possession in this chain), and the rule
//! that a new validator on a chain that generates its keys comes with them.
//!
//! As with L1 keys: an account may register before it creates its
//! validator, in the same transaction (after `MsgCreateValidator`), or
//! later to rotate them (a lost `dkg_key.json`). An identity stays bound to
//! the first operator that registered it. New keys change the players the
//! next round would have, so a round starts (players.rs).

use super::state::{DkgRead, DkgWrite};
use crate::context::TxContext;
use crate::error::TxError;
use crate::event::{Event, Events};
use crate::router::{ActionHandler, MsgContext};
use crate::state::{StateRead, StateWrite};
use crate::tx::DecodedTx;
use quire_core::encryption::{EncryptionTxError, SetDkgKey};
use quire_core::Address;
use quire_tpke::dkg::DkgPublic;
use std::any::Any;

fn fail(index: usize, error: EncryptionTxError) -> TxError {
    TxError::Encryption { index, error }
}

/// A decoded `MsgSetDkgKey` and the operator that signed it.
type Registration = crate::registration::Registration<SetDkgKey>;

impl crate::registration::RegistrationMsg for SetDkgKey {
    fn decode(value: &[u8], signer: &Address) -> Result<Self, quire_core::msg::MsgError> {
        SetDkgKey::decode(value, signer)
    }
}

/// On a chain that generates its keys, a transaction that creates a
/// validator must register its keys unless the operator already has them.
pub(crate) fn check_new_validator_key(
    state: &dyn StateRead,
    tx: &DecodedTx,
) -> Result<(), TxError> {
    let Some(index) = crate::staking::new_validator_without::<Registration>(tx) else {
        return Ok(());
    };
    if state.dkg_config()?.is_none() || state.dkg_key(tx.signer.as_bytes())?.is_some() {
        return Ok(());
    }
    Err(fail(index, EncryptionTxError::DkgKeyRequired))
}

impl Registration {
    fn public(&self, index: usize) -> Result<DkgPublic, TxError> {
        DkgPublic::from_bytes(&self.msg.key).map_err(|e| {
            fail(
                index,
                EncryptionTxError::DkgKeyProof {
                    operator: self.operator.to_bech32(),
                    reason: e.to_string(),
                },
            )
        })
    }
}

impl ActionHandler for Registration {
    fn check_stateful(
        &self,
        state: &dyn StateRead,
        ctx: &TxContext<'_>,
        index: usize,
    ) -> Result<(), TxError> {
        if state.dkg_config()?.is_none() {
            return Err(fail(index, EncryptionTxError::DkgNotGenerated));
        }
        let public = self.public(index)?;
        let operator = self.operator.as_bytes();
        if !public.verify_registration(ctx.chain_id, operator, &self.msg.proof) {
            return Err(fail(
                index,
                EncryptionTxError::DkgKeyProof {
                    operator: self.operator.to_bech32(),
                    reason: format!("not its identity's signature for chain {}", ctx.chain_id),
                },
            ));
        }
        if let Some(owner) = state.dkg_owner(&public.identity)? {
            if &owner != operator {
                return Err(fail(index, EncryptionTxError::DkgKeyInUse));
            }
        }
        if state.dkg_key(operator)? == Some(public) {
            return Err(fail(index, EncryptionTxError::DkgKeyUnchanged));
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
        let public = self.public(0)?;
        state.put_dkg_key(msg.signer.as_bytes(), &public);
        events.emit(&msg.signer, |_| {
            Event::new("dkg_key_set")
                .indexed("operator", msg.signer.to_valoper())
                .indexed("identity", hex::encode(public.identity))
        });
        Ok(())
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
