//! The [`Component`] trait: one module of the state machine (auth, bank,
//! blob, …) and the block hooks it may implement.
//!
//! [`crate::App`] owns the components in one fixed order and calls each hook
//! on every component in that order. Every hook has a default that does
//! nothing, so a component implements only what it needs. Components own
//! their state under their own key prefix and never write another's keys
//! except through that component's state extension trait.
//!
//! The order of the hooks for one transaction (the tx pipeline,
//! [`crate::execute`]): every message's `check_stateless`; every component's
//! [`check_tx`](Component::check_tx); every component's
//! [`authenticate`](Component::authenticate); every message's
//! `check_stateful`; every component's [`charge`](Component::charge); every
//! message's `execute`. In a block, [`admit`](Component::admit) runs first.

use crate::context::{BlockContext, TxContext, ValidatorUpdate, VoteContext};
use crate::error::{StateReadError, SystemTxError, TxError};
use crate::event::Event;
use crate::genesis::{Genesis, GenesisError};
use crate::router::MsgDecoder;
use crate::state::{StateDelta, StateRead, StateWrite};
use crate::system_tx::SystemTxTag;
use crate::tx::DecodedTx;

/// One module of the state machine.
pub trait Component: Send + Sync {
    /// The component's name: its state prefix is `{name}/`, its vote
    /// extension section and its logs carry it.
    fn name(&self) -> &'static str;

    /// The message types it handles: `(type URL, decoder)`.
    fn msg_types(&self) -> Vec<(&'static str, MsgDecoder)> {
        Vec::new()
    }

    /// The system transaction it puts first in blocks, if any.
    fn system_tx(&self) -> Option<SystemTxTag> {
        None
    }

    /// Writes the component's genesis state.
    fn init_chain(
        &self,
        _state: &mut dyn StateWrite,
        _genesis: &Genesis<'_>,
    ) -> Result<(), GenesisError> {
        Ok(())
    }

    /// The validators this component bonds at genesis, after every
    /// component's `init_chain` (InitChain returns them to CometBFT).
    fn genesis_validators(
        &self,
        _state: &mut dyn StateWrite,
        _genesis: &Genesis<'_>,
    ) -> Result<Vec<ValidatorUpdate>, GenesisError> {
        Ok(Vec::new())
    }

    /// Runs before the block's transactions.
    fn begin_block(
        &self,
        _state: &mut dyn StateWrite,
        _ctx: &BlockContext,
    ) -> Result<(), StateReadError> {
        Ok(())
    }

    /// Whether a transaction still fits in the block being built or checked
    /// (e.g. the block's blob budget). Not run by CheckTx.
    fn admit(
        &self,
        _state: &dyn StateRead,
        _ctx: &TxContext<'_>,
        _tx: &DecodedTx,
    ) -> Result<(), TxError> {
        Ok(())
    }

    /// Transaction-wide checks that need no account (size, timeout, limits).
    fn check_tx(
        &self,
        _state: &dyn StateRead,
        _ctx: &TxContext<'_>,
        _tx: &DecodedTx,
    ) -> Result<(), TxError> {
        Ok(())
    }

    /// Authenticates the transaction and checks what it offers to pay
    /// (account, signature and sequence; fee denom and amount).
    fn authenticate(
        &self,
        _state: &mut dyn StateWrite,
        _ctx: &TxContext<'_>,
        _tx: &DecodedTx,
    ) -> Result<(), TxError> {
        Ok(())
    }

    /// Charges the transaction, once every message passed its stateful check.
    fn charge(
        &self,
        _state: &mut dyn StateWrite,
        _ctx: &TxContext<'_>,
        _tx: &DecodedTx,
    ) -> Result<(), TxError> {
        Ok(())
    }

    /// Runs after the block's transactions; returns validator-set changes.
    fn end_block(
        &self,
        _state: &mut dyn StateWrite,
        _ctx: &BlockContext,
    ) -> Result<Vec<ValidatorUpdate>, StateReadError> {
        Ok(Vec::new())
    }

    /// Whether this block carries this component's system transaction
    /// (when it declares one). Decided from committed state and the block's
    /// context only: ProcessProposal rejects a block that lacks a required
    /// one or carries one that is not. The default: every block.
    fn requires_system_tx(
        &self,
        _state: &dyn StateRead,
        _ctx: &BlockContext,
    ) -> Result<bool, StateReadError> {
        Ok(true)
    }

    /// Bytes to reserve in a proposal for this component's system
    /// transaction (tag included), before the user transactions are chosen.
    fn system_tx_reserve(&self, _state: &dyn StateRead, _ctx: &BlockContext) -> u64 {
        0
    }

    /// Whether PrepareProposal builds this component's system transaction
    /// *before* the user transactions, and delivers it at once, so that
    /// what it adds to the block (a reveal's blobs) is there when later
    /// system transactions are built (the commitment). Such a transaction
    /// depends only on committed state and the block's context.
    fn builds_system_tx_first(&self) -> bool {
        false
    }

    /// Builds this component's system transaction (tag included) once the
    /// proposal's user transactions have run on `state`. At most
    /// [`system_tx_reserve`](Self::system_tx_reserve) bytes. A component
    /// that declares a [`system_tx`](Self::system_tx) must build one for
    /// every block that [requires](Self::requires_system_tx) it
    /// (ProcessProposal rejects a block without it): `Ok(None)` makes
    /// PrepareProposal fail.
    ///
    /// PrepareProposal runs the user transactions *before* it builds the
    /// system transactions, while ProcessProposal and FinalizeBlock deliver
    /// them first: delivering a system transaction must therefore not change
    /// what the block's user transactions see (the commitment only records
    /// what it claims, for `verify_block`).
    fn build_system_tx(
        &self,
        _state: &StateDelta<'_>,
        _ctx: &BlockContext,
    ) -> Result<Option<Vec<u8>>, StateReadError> {
        Ok(None)
    }

    /// Applies this component's system transaction (the whole transaction,
    /// tag included; [`SystemTxTag::payload`] strips it), the block's
    /// transaction number `tx_index`, before the block's user transactions
    /// run.
    fn deliver_system_tx(
        &self,
        _state: &mut dyn StateWrite,
        _ctx: &BlockContext,
        _tx_index: u32,
        _payload: &[u8],
    ) -> Result<Vec<Event>, SystemTxError> {
        Ok(Vec::new())
    }

    /// ProcessProposal's last check, after the user transactions ran: e.g.
    /// that the delivered commitment is the one the blobs give.
    fn verify_block(
        &self,
        _state: &StateDelta<'_>,
        _ctx: &BlockContext,
    ) -> Result<(), SystemTxError> {
        Ok(())
    }

    /// The most bytes this component's vote extension section may have.
    fn max_vote_extension_bytes(&self) -> usize {
        0
    }

    /// This component's section of the node's vote extension, if any.
    /// Node-local secrets (an L1 key, a key share) reach it through the
    /// component's own construction, never through state.
    ///
    /// The next proposer sees every validator's extension (PrepareProposal's
    /// `ctx.last_commit`), but ProcessProposal sees none, and the app is not
    /// given CometBFT's extension signatures: a system transaction built
    /// from extensions must carry data that proves itself (e.g. signatures
    /// by keys the component knows), so that `deliver_system_tx` can check
    /// it without trusting the proposer.
    fn extend_vote(
        &self,
        _state: &dyn StateRead,
        _ctx: &VoteContext,
    ) -> Result<Option<Vec<u8>>, StateReadError> {
        Ok(None)
    }

    /// Checks the section of `validator`'s vote (`None` when it sent none):
    /// deterministically, from the vote and committed state only. The
    /// default accepts only an absent section.
    fn verify_vote_extension(
        &self,
        _state: &dyn StateRead,
        _ctx: &VoteContext,
        _validator: &[u8; 20],
        section: Option<&[u8]>,
    ) -> Result<(), String> {
        match section {
            None => Ok(()),
            Some(_) => Err("this component makes no vote extension".into()),
        }
    }
}
