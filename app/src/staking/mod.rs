//! staking: proof of stake as the Cosmos SDK's x/staking defines it —
//! validators, delegations and their shares, unbonding and redelegation
//! queues keyed by block time, and the active set CometBFT runs with.
//!
//! Messages (standard SDK types, so cosmjs, Keplr and explorers speak
//! them): `MsgCreateValidator`, `MsgEditValidator`, `MsgDelegate`,
//! `MsgUndelegate`, `MsgBeginRedelegate`, `MsgCancelUnbondingDelegation`
//! and slashing's `MsgUnjail`. Rules and codes: docs/staking.md.
//!
//! Every block's end: if anything that ranks validators changed, the
//! active set is recomputed and CometBFT gets the difference from the set
//! last sent ([`set`]); then the queues mature ([`queue`]). An update
//! returned at height H is in header H+1's `next_validators_hash` and signs
//! from H+2.
//!
//! State, all under `staking/` ([`keys`]): validators, the consensus keys
//! ever used, delegations, unbonding and redelegation entries and their
//! queues, the validator queue, the bonded and not-bonded pools, the last
//! set sent, the parameters.

pub mod delegation;
pub mod genesis;
pub mod keys;
pub mod ops;
pub mod queue;
pub mod set;
pub mod slash;
pub mod state;
pub mod validator;

use crate::component::Component;
use crate::context::{BlockContext, ValidatorUpdate};
use crate::error::StateReadError;
use crate::genesis::{Genesis, GenesisError};
use crate::router::{ActionHandler, MsgDecoder};
use crate::state::{ObjectRead, StateWrite};
use quire_core::msg::MsgError;
use quire_core::staking::msg::{
    BeginRedelegate, CancelUnbonding, CreateValidator, Delegate, EditValidator, Undelegate, Unjail,
    MSG_BEGIN_REDELEGATE_TYPE_URL, MSG_CANCEL_UNBONDING_TYPE_URL, MSG_CREATE_VALIDATOR_TYPE_URL,
    MSG_DELEGATE_TYPE_URL, MSG_EDIT_VALIDATOR_TYPE_URL, MSG_UNDELEGATE_TYPE_URL,
    MSG_UNJAIL_TYPE_URL,
};
use quire_core::Address;
use state::{StakingRead, StakingWrite};

pub use genesis::{GenesisBond, GenesisCommission, StakingGenesis};

/// The index of the transaction's `MsgCreateValidator` if it has one and
/// no message of type `R` (a new validator may have to register keys with
/// it: L1, key generation).
pub(crate) fn new_validator_without<R: 'static>(tx: &crate::tx::DecodedTx) -> Option<usize> {
    let index = tx
        .messages
        .iter()
        .position(|m| m.as_any().is::<CreateValidator>())?;
    (!tx.messages.iter().any(|m| m.as_any().is::<R>())).then_some(index)
}

/// The staking component.
#[derive(Debug, Default)]
pub struct Staking;

macro_rules! decoder {
    ($name:ident, $ty:ty) => {
        fn $name(value: &[u8], signer: &Address) -> Result<Box<dyn ActionHandler>, MsgError> {
            Ok(Box::new(<$ty>::decode(value, signer)?))
        }
    };
}

decoder!(decode_create_validator, CreateValidator);
decoder!(decode_edit_validator, EditValidator);
decoder!(decode_delegate, Delegate);
decoder!(decode_undelegate, Undelegate);
decoder!(decode_begin_redelegate, BeginRedelegate);
decoder!(decode_cancel_unbonding, CancelUnbonding);
decoder!(decode_unjail, Unjail);

impl Component for Staking {
    fn name(&self) -> &'static str {
        "staking"
    }

    fn msg_types(&self) -> Vec<(&'static str, MsgDecoder)> {
        vec![
            (MSG_CREATE_VALIDATOR_TYPE_URL, decode_create_validator),
            (MSG_EDIT_VALIDATOR_TYPE_URL, decode_edit_validator),
            (MSG_DELEGATE_TYPE_URL, decode_delegate),
            (MSG_UNDELEGATE_TYPE_URL, decode_undelegate),
            (MSG_BEGIN_REDELEGATE_TYPE_URL, decode_begin_redelegate),
            (MSG_CANCEL_UNBONDING_TYPE_URL, decode_cancel_unbonding),
            (MSG_UNJAIL_TYPE_URL, decode_unjail),
        ]
    }

    /// Writes the parameters and empty pools, then creates every genesis
    /// validator as a `MsgCreateValidator` of its operator would.
    fn init_chain(
        &self,
        state: &mut dyn StateWrite,
        genesis: &Genesis<'_>,
    ) -> Result<(), GenesisError> {
        let staking = &genesis.state.staking;
        state.put_staking_params(&staking.params);
        state.put_pool(true, 0);
        state.put_pool(false, 0);
        for (index, bond) in staking.validators.iter().enumerate() {
            let reason = |reason: String| GenesisError::Validator { index, reason };
            let operator: Address = bond
                .operator
                .parse()
                .map_err(|e| reason(format!("operator: {e}")))?;
            let msg = bond
                .to_msg(&genesis.state.params.fee_denom)
                .map_err(reason)?;
            validator::create(
                state,
                &operator,
                &msg,
                genesis.initial_height,
                Default::default(),
                0,
            )
            .map_err(|e| reason(e.to_string()))?;
        }
        Ok(())
    }

    /// The genesis validators that rank, bonded: what InitChain returns.
    fn genesis_validators(
        &self,
        state: &mut dyn StateWrite,
        genesis: &Genesis<'_>,
    ) -> Result<Vec<ValidatorUpdate>, GenesisError> {
        let ctx = BlockContext::at_height(genesis.initial_height.saturating_sub(1));
        set::apply_updates(state, &genesis.state.staking.params, &ctx)
            .map_err(|e| GenesisError::State(e.to_string()))
    }

    /// Recomputes the set if anything that ranks validators changed, then
    /// matures the queues due at the block's time.
    fn end_block(
        &self,
        state: &mut dyn StateWrite,
        ctx: &BlockContext,
    ) -> Result<Vec<ValidatorUpdate>, StateReadError> {
        let params = state.staking_params()?;
        let updates = if state.object_get::<()>(ops::objects::CHANGED).is_some() {
            set::apply_updates(state, &params, ctx)?
        } else {
            Vec::new()
        };
        queue::mature(state, ctx.time)?;
        Ok(updates)
    }
}
