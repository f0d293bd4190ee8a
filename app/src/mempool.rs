//! CheckTx: the mempool's view of state. Each accepted transaction is applied
//! to a pending overlay over committed state, so one account can have many
//! transactions in flight (sequence n, n+1, ...) without waiting for blocks.
//! After each Commit the overlay is dropped and CometBFT's recheck of the
//! remaining mempool transactions rebuilds it.

use crate::error::TxError;
use crate::exec::{execute_tx, ExecContext, TxReceipt};
use crate::sigcache::SignatureCache;
use crate::state::{ChangeSet, StateDelta, StateReadExt, StateReader};
use crate::tx::DecodedTx;

/// The pending effects of the transactions in the mempool.
#[derive(Debug, Default)]
pub struct CheckState {
    pending: ChangeSet,
    ctx: Option<ExecContext>,
}

impl CheckState {
    /// A check state with nothing pending.
    pub fn new() -> Self {
        Self::default()
    }

    /// Forgets pending effects after a commit; transactions will next be
    /// checked for inclusion at `next_height`.
    pub fn reset(&mut self, next_height: u64) {
        self.pending.clear();
        if let Some(ctx) = &mut self.ctx {
            ctx.height = next_height;
        }
    }

    /// Checks a transaction against committed state plus the pending effects of
    /// the transactions accepted before it, and records its effects if it is
    /// accepted. `next_height` is the height of the next block. Signature
    /// checks go through `sigs`, the node's cache shared with the consensus
    /// paths, so a recheck (and the tx's later block) skips the verification.
    pub fn check_tx(
        &mut self,
        committed: &dyn StateReader,
        next_height: u64,
        bytes: &[u8],
        sigs: &SignatureCache,
    ) -> Result<(DecodedTx, TxReceipt), TxError> {
        let ctx = match &mut self.ctx {
            Some(ctx) => {
                ctx.height = next_height;
                ctx
            }
            None => self.ctx.insert(ExecContext {
                chain_id: committed.chain_id()?,
                params: committed.params()?,
                height: next_height,
            }),
        };
        let tx = DecodedTx::decode_cached(bytes, ctx.params.max_tx_bytes, sigs)?;
        let mut delta = StateDelta::with_changes(committed, std::mem::take(&mut self.pending));
        let result = execute_tx(&mut delta, ctx, &tx, sigs);
        self.pending = delta.into_changes();
        result.map(|receipt| (tx, receipt))
    }
}
