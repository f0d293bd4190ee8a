//! CheckTx: the mempool's view of state. Each accepted transaction is applied
//! to a pending overlay over committed state, so one account can have many
//! transactions in flight (sequence n, n+1, ...) without waiting for blocks.
//! After each Commit the overlay is dropped (and the chain id and params are
//! read again), and CometBFT's recheck of the remaining mempool transactions
//! rebuilds it.

use crate::chain::ChainRead;
use crate::context::{Timestamp, TxContext};
use crate::error::TxError;
use crate::execute::{deliver_tx, TxReceipt};
use crate::machine::StateMachine;
use crate::state::{ChangeSet, StateDelta, StateRead};
use crate::tx::DecodedTx;
use quire_core::Params;

/// The pending effects of the transactions in the mempool.
#[derive(Debug, Default)]
pub struct CheckState {
    pending: ChangeSet,
    /// Chain id, params and the last block's time, read once per committed
    /// height.
    chain: Option<(String, Params, Timestamp)>,
}

impl CheckState {
    /// A check state with nothing pending.
    pub fn new() -> Self {
        Self::default()
    }

    /// State writes pending (the overlay's size).
    pub fn pending_entries(&self) -> usize {
        self.pending.len()
    }

    /// Forgets pending effects after a commit.
    pub fn reset(&mut self) {
        self.pending.clear();
        self.chain = None;
    }

    /// Checks a transaction against committed state plus the pending effects of
    /// the transactions accepted before it, and records its effects if it is
    /// accepted. `next_height` is the height of the next block. Signature
    /// checks go through the app's cache, shared with the consensus paths, so
    /// a recheck (and the tx's later block) skips the verification.
    pub fn check_tx(
        &mut self,
        app: &StateMachine,
        committed: &dyn StateRead,
        next_height: u64,
        bytes: &[u8],
    ) -> Result<TxReceipt, TxError> {
        let (chain_id, params, time) = match &self.chain {
            Some(chain) => chain,
            None => self.chain.insert((
                committed.chain_id()?,
                committed.params()?,
                committed.block_time()?,
            )),
        };
        let ctx = TxContext {
            chain_id,
            params,
            height: next_height,
            time: *time,
            sig_cache: app.sig_cache(),
            events: false,
        };
        let tx = DecodedTx::decode(bytes, params.max_tx_bytes, app.router(), app.sig_cache())?;
        let mut delta = StateDelta::with_changes(committed, std::mem::take(&mut self.pending));
        let result = deliver_tx(app.components(), &mut delta, &ctx, tx, 0);
        self.pending = delta.into_changes();
        result
    }
}
