//! [`BlockExecutor`]: one block's state, its transactions applied one after
//! another.

use crate::auth::state::AuthRead;
use crate::chain::{ChainRead, ChainWrite};
use crate::context::{BlockContext, Timestamp, TxContext};
use crate::error::{StateReadError, SystemTxError, TxError};
use crate::event::Event;
use crate::execute::{deliver_tx, TxReceipt};
use crate::machine::StateMachine;
use crate::state::{StateDelta, StateRead};
use crate::tx::DecodedTx;
use quire_core::{Address, Params};
use std::collections::BTreeSet;

/// Runs a block's transactions one after another on the block's state,
/// refusing a transaction seen twice; every component's hooks run in the
/// app's order.
pub(crate) struct BlockExecutor<'a> {
    app: &'a StateMachine,
    /// The block's state so far.
    pub(crate) state: StateDelta<'a>,
    chain_id: String,
    params: Params,
    height: u64,
    time: Timestamp,
    events: bool,
    seen: BTreeSet<[u8; 32]>,
}

impl<'a> BlockExecutor<'a> {
    /// Starts the block `ctx` over committed state `base`: records the
    /// block's time, then runs every component's `begin_block`.
    pub(crate) fn begin(
        app: &'a StateMachine,
        base: &'a dyn StateRead,
        ctx: &BlockContext,
    ) -> Result<Self, StateReadError> {
        let mut state = StateDelta::new(base);
        state.put_block_time(ctx.time);
        for component in app.components() {
            component.begin_block(&mut state, ctx)?;
        }
        Ok(BlockExecutor {
            app,
            chain_id: state.chain_id()?,
            params: state.params()?,
            state,
            height: ctx.height,
            time: ctx.time,
            events: false,
            seen: BTreeSet::new(),
        })
    }

    /// Builds transactions' events (FinalizeBlock's results carry them).
    pub(crate) fn with_events(mut self) -> Self {
        self.events = true;
        self
    }

    /// Decodes a user transaction for this block.
    pub(crate) fn decode(&self, bytes: &[u8]) -> Result<DecodedTx, TxError> {
        DecodedTx::decode(
            bytes,
            self.params.max_tx_bytes,
            self.app.router(),
            self.app.sig_cache(),
        )
    }

    /// Applies `tx`, the block's transaction number `tx_index`, if it is new
    /// in the block, fits (every component's `admit`) and is valid at this
    /// point of the block; otherwise changes nothing.
    pub(crate) fn apply(&mut self, tx: DecodedTx, tx_index: u32) -> Result<TxReceipt, TxError> {
        if self.seen.contains(&tx.hash) {
            return Err(TxError::Duplicate);
        }
        let hash = tx.hash;
        {
            let ctx = TxContext {
                chain_id: &self.chain_id,
                params: &self.params,
                height: self.height,
                time: self.time,
                sig_cache: self.app.sig_cache(),
                events: self.events,
            };
            for component in self.app.components() {
                component.admit(&self.state, &ctx, &tx)?;
            }
            let receipt = deliver_tx(self.app.components(), &mut self.state, &ctx, tx, tx_index)?;
            self.seen.insert(hash);
            Ok(receipt)
        }
    }

    /// Delivers the system transaction `tx`, the block's transaction number
    /// `tx_index`, of the component at `component`.
    pub(crate) fn deliver_system_tx(
        &mut self,
        component: usize,
        ctx: &BlockContext,
        tx_index: usize,
        tx: &[u8],
    ) -> Result<Vec<Event>, SystemTxError> {
        match self.app.components().get(component) {
            Some(component) => {
                component.deliver_system_tx(&mut self.state, ctx, tx_index as u32, tx)
            }
            None => Err(SystemTxError::Malformed("no such component".into())),
        }
    }

    /// The sequence `address`'s next transaction must carry at this point of
    /// the block, or `None` if the account does not exist.
    pub(crate) fn next_sequence(&self, address: &Address) -> Result<Option<u64>, StateReadError> {
        Ok(self.state.account(address)?.map(|account| account.sequence))
    }
}
