//! `MsgSubmitBlob`: a blob for a namespace, added to the block's blob list.

use super::{add_block_blob_bytes, put_block_blob};
use crate::context::TxContext;
use crate::error::TxError;
use crate::event::{Event, Events};
use crate::router::{ActionHandler, MsgContext};
use crate::state::StateWrite;
use quire_core::msg::SubmitBlob;
use quire_core::Blob;
use std::any::Any;

impl ActionHandler for SubmitBlob {
    fn check_stateless(&self, ctx: &TxContext<'_>, index: usize) -> Result<(), TxError> {
        if self.data.len() as u64 > ctx.params.max_blob_bytes {
            return Err(TxError::BlobTooLarge {
                index,
                size: self.data.len(),
                max: ctx.params.max_blob_bytes,
            });
        }
        Ok(())
    }

    /// `fee_per_blob_byte` for every byte.
    fn fee(&self, ctx: &TxContext<'_>) -> Option<u128> {
        ctx.params
            .fee_per_blob_byte
            .checked_mul(self.data.len() as u128)
    }

    /// Adds the blob to the block (moved, not copied), with a `blob` event.
    fn execute(
        self: Box<Self>,
        state: &mut dyn StateWrite,
        _ctx: &TxContext<'_>,
        msg: &MsgContext,
        events: &mut Events,
    ) -> Result<(), TxError> {
        let size = self.data.len();
        events.emit(&msg.signer, |signer| {
            Event::new("blob")
                .indexed("namespace", self.namespace.to_hex())
                .indexed("signer", signer)
                .indexed("size", size)
                .unindexed("msg_index", msg.msg_index)
        });
        add_block_blob_bytes(state, size as u64);
        put_block_blob(
            state,
            Blob {
                namespace: self.namespace,
                signer: msg.signer,
                tx_hash: msg.tx_hash,
                tx_index: msg.tx_index,
                msg_index: msg.msg_index,
                data: self.data,
            },
        );
        Ok(())
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
