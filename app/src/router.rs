//! Messages routed by `Any` type URL to their handlers.
//!
//! Each component registers a decoder for each message type it owns
//! ([`crate::component::Component::msg_types`]). A decoded message is an
//! [`ActionHandler`]: it is checked without state, then against state, then
//! executed, in three phases (Penumbra's `ActionHandler` shape). The tx
//! pipeline ([`crate::execute`]) runs the phases of all of a transaction's
//! messages in order, so a transaction applies all of its messages or none.

use crate::context::TxContext;
use crate::error::{InvalidTx, TxError};
use crate::event::Events;
use crate::state::{StateRead, StateWrite};
use crate::system_tx::SystemTxTag;
use quire_core::msg::MsgError;
use quire_core::Address;
use std::any::Any;
use std::collections::BTreeMap;
use std::fmt::Debug;

/// Where a message sits: its transaction and position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MsgContext {
    /// The transaction's signer.
    pub signer: Address,
    /// The transaction's hash.
    pub tx_hash: [u8; 32],
    /// The transaction's sequence.
    pub sequence: u64,
    /// The transaction's index in the block (system transactions first).
    pub tx_index: u32,
    /// The message's index in the transaction.
    pub msg_index: u32,
}

/// A decoded message and the rules of its kind.
pub trait ActionHandler: Debug {
    /// Checks that need no account state (e.g. size limits); `index` is the
    /// message's position, for error texts.
    fn check_stateless(&self, _ctx: &TxContext<'_>, _index: usize) -> Result<(), TxError> {
        Ok(())
    }

    /// The fee this message adds to the transaction's base fee, or `None` if
    /// it overflows.
    fn fee(&self, _ctx: &TxContext<'_>) -> Option<u128> {
        Some(0)
    }

    /// Checks against state, before any fee is charged.
    fn check_stateful(
        &self,
        _state: &dyn StateRead,
        _ctx: &TxContext<'_>,
        _index: usize,
    ) -> Result<(), TxError> {
        Ok(())
    }

    /// Applies the message. It runs on the transaction's own delta: an error
    /// here drops every write of the transaction.
    fn execute(
        self: Box<Self>,
        state: &mut dyn StateWrite,
        ctx: &TxContext<'_>,
        msg: &MsgContext,
        events: &mut Events,
    ) -> Result<(), TxError>;

    /// The message as `Any`, for the components that need to look at their
    /// own messages across a transaction (e.g. blob bytes, amounts sent).
    fn as_any(&self) -> &dyn Any;
}

/// Decodes the `Any` value of one message type, signed by the given signer.
pub type MsgDecoder = fn(&[u8], &Address) -> Result<Box<dyn ActionHandler>, MsgError>;

/// What a transaction can carry: type URL -> decoder, for every message type
/// of every component, and the tags of the system transactions components
/// put in blocks.
#[derive(Default)]
pub struct MsgRouter {
    routes: BTreeMap<&'static str, MsgDecoder>,
    system_txs: Vec<SystemTxTag>,
}

impl MsgRouter {
    /// Registers `decoder` for `type_url`; `false` (and no change) if the
    /// type URL already has one.
    pub fn register(&mut self, type_url: &'static str, decoder: MsgDecoder) -> bool {
        if self.routes.contains_key(type_url) {
            return false;
        }
        self.routes.insert(type_url, decoder);
        true
    }

    /// Registers a system transaction tag; `false` (and no change) if it is
    /// not well-formed or clashes with one registered (same kind, or one
    /// prefix a prefix of the other).
    pub fn register_system_tx(&mut self, tag: SystemTxTag) -> bool {
        let clashes = self.system_txs.iter().any(|known| {
            known.kind == tag.kind
                || known.prefix.starts_with(tag.prefix)
                || tag.prefix.starts_with(known.prefix)
        });
        if clashes || !tag.is_well_formed() {
            return false;
        }
        self.system_txs.push(tag);
        true
    }

    /// The system transaction tag `bytes` carry, if any.
    pub fn system_tx(&self, bytes: &[u8]) -> Option<&SystemTxTag> {
        self.system_txs.iter().find(|tag| tag.matches(bytes))
    }

    /// The registered type URLs, sorted.
    pub fn type_urls(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.routes.keys().copied()
    }

    /// Decodes message `index` of a transaction signed by `signer`.
    pub fn decode(
        &self,
        index: usize,
        type_url: &str,
        value: &[u8],
        signer: &Address,
    ) -> Result<Box<dyn ActionHandler>, TxError> {
        let decoder = self.routes.get(type_url).ok_or_else(|| {
            TxError::Invalid(InvalidTx::UnknownMessage {
                index,
                type_url: type_url.to_string(),
            })
        })?;
        decoder(value, signer).map_err(|error| match error {
            MsgError::Decode { message, reason } => {
                TxError::Decode(format!("message {index}: bad {message}: {reason}"))
            }
            MsgError::Staking(error) => TxError::Staking { index, error },
            reason => TxError::Invalid(InvalidTx::Message { index, reason }),
        })
    }
}
