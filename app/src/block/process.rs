//! ProcessProposal: check a block someone else built.

use super::executor::BlockExecutor;
use crate::chain::ChainRead;
use crate::context::BlockContext;
use crate::error::{ProposalError, TxError};
use crate::machine::StateMachine;
use crate::state::StateRead;
use quire_core::order;

/// Checks a proposal: it must start with the system transaction of every
/// component that makes one, in component order, each valid; every other
/// transaction must decode, verify, pay and fit, in the order given, and that
/// order must be the canonical one ([`quire_core::order`]); then
/// every such component's final check (e.g. that the commitment is the one
/// the blobs give). Returns the first problem found, the same with any
/// signature cache.
pub(crate) fn process_proposal(
    app: &StateMachine,
    base: &dyn StateRead,
    ctx: &BlockContext,
    txs: &[impl AsRef<[u8]>],
) -> Result<(), ProposalError> {
    let mut executor = BlockExecutor::begin(app, base, ctx)?;
    let system = app.required_system_txs(base, ctx)?;
    // A system tx this block does not require must not be there either.
    for &(_, tag) in app.system_tx_components() {
        if !system.iter().any(|&(_, required)| required == tag) {
            if let Some(position) = txs.iter().position(|tx| tag.matches(tx.as_ref())) {
                return Err(ProposalError::SystemTx {
                    index: position,
                    kind: tag.kind,
                    error: crate::error::SystemTxError::Malformed(
                        "this block must not carry this system transaction".into(),
                    ),
                });
            }
        }
    }
    for (position, &(component, tag)) in system.iter().enumerate() {
        let tx = txs
            .get(position)
            .map(AsRef::as_ref)
            .filter(|tx| tag.matches(tx))
            .ok_or(ProposalError::MissingSystemTx { kind: tag.kind })?;
        executor
            .deliver_system_tx(component, ctx, position, tx)
            .map_err(|error| ProposalError::SystemTx {
                index: position,
                kind: tag.kind,
                error,
            })?;
    }
    let mut user_txs = Vec::with_capacity(txs.len().saturating_sub(system.len()));
    for (index, bytes) in txs.iter().enumerate().skip(system.len()) {
        let tx = executor
            .decode(bytes.as_ref())
            .map_err(|error| ProposalError::Tx { index, error })?;
        user_txs.push((tx.signer, tx.sequence));
        executor
            .apply(tx, index as u32)
            .map_err(|error| match error {
                TxError::Storage(e) => ProposalError::Storage(e),
                error => ProposalError::Tx { index, error },
            })?;
    }
    // Every tx is valid where it is; it must also be where the rules put it.
    order::check(&base.last_block_hash()?, &user_txs).map_err(|error| ProposalError::Order {
        first_user_tx: system.len(),
        error,
    })?;
    for (position, &(component, tag)) in system.iter().enumerate() {
        if let Some(component) = app.components().get(component) {
            component
                .verify_block(&executor.state, ctx)
                .map_err(|error| ProposalError::SystemTx {
                    index: position,
                    kind: tag.kind,
                    error,
                })?;
        }
    }
    Ok(())
}
