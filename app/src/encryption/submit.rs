//! `MsgSubmitEncrypted`: an envelope joins its block's slot, to be revealed
//! two blocks later at the earliest.

use super::objects;
use crate::blob;
use crate::context::TxContext;
use crate::error::TxError;
use crate::event::{Event, Events};
use crate::router::{ActionHandler, MsgContext};
use crate::state::{ObjectRead, StateRead, StateWrite};
use quire_core::encryption::{EncryptionTxError, SubmitEncrypted};
use std::any::Any;

use super::state::PendingEnvelope;

/// Envelopes the block in `state` holds so far.
pub(super) fn block_envelopes(state: &dyn StateRead) -> u32 {
    state
        .object_get::<u32>(objects::COUNT)
        .copied()
        .unwrap_or(0)
}

impl ActionHandler for SubmitEncrypted {
    /// The charged bytes fit a block's blob budget; the IBE ciphertext is a
    /// well-formed group element (so the reveal can never fail on it).
    fn check_stateless(&self, ctx: &TxContext<'_>, index: usize) -> Result<(), TxError> {
        let size = self.charged_bytes();
        if size > ctx.params.max_block_blob_bytes {
            return Err(TxError::BlobTooLarge {
                index,
                size: size as usize,
                max: ctx.params.max_block_blob_bytes,
            });
        }
        quire_tpke::IbeCiphertext::from_bytes(&self.ibe_ciphertext).map_err(|e| {
            TxError::Encryption {
                index,
                error: EncryptionTxError::Malformed(e.to_string()),
            }
        })?;
        Ok(())
    }

    /// `fee_per_blob_byte` for every byte of body and ciphertext.
    fn fee(&self, ctx: &TxContext<'_>) -> Option<u128> {
        ctx.params
            .fee_per_blob_byte
            .checked_mul(u128::from(self.charged_bytes()))
    }

    /// Adds the envelope to the block's slot, with an `envelope` event.
    fn execute(
        self: Box<Self>,
        state: &mut dyn StateWrite,
        ctx: &TxContext<'_>,
        msg: &MsgContext,
        events: &mut Events,
    ) -> Result<(), TxError> {
        let identity = quire_tpke::Identity::derive(
            ctx.chain_id,
            self.epoch,
            msg.signer.as_bytes(),
            msg.sequence,
            &self.nonce,
        );
        events.emit(&msg.signer, |signer| {
            Event::new("envelope")
                .indexed("signer", signer)
                .indexed("size", self.body.len())
                .unindexed("epoch", self.epoch)
                .unindexed("identity", hex::encode(identity.as_bytes()))
        });
        blob::add_block_blob_bytes(state, self.charged_bytes());
        let count = block_envelopes(state).saturating_add(1);
        state.put_object(objects::COUNT.to_vec(), Box::new(count));
        let SubmitEncrypted {
            ibe_ciphertext,
            body,
            ..
        } = *self;
        state.put_object(
            objects::envelope(msg.tx_index),
            Box::new(PendingEnvelope {
                tx_index: msg.tx_index,
                tx_hash: msg.tx_hash,
                signer: msg.signer,
                identity: *identity.as_bytes(),
                ibe_ciphertext,
                body,
            }),
        );
        Ok(())
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
