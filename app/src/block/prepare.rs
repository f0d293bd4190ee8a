//! PrepareProposal: build a block from the mempool's candidates.

use super::executor::BlockExecutor;
use crate::chain::ChainRead;
use crate::component::Component;
use crate::context::BlockContext;
use crate::error::{AppError, TxError};
use crate::machine::StateMachine;
use crate::state::{StateDelta, StateRead};
use crate::system_tx::SystemTxTag;
use crate::tx::DecodedTx;
use quire_core::order;
use quire_core::Address;
use std::collections::{BTreeMap, VecDeque};

/// Bytes a tx of `len` bytes takes in CometBFT's `max_tx_bytes` accounting:
/// its protobuf encoding as a repeated `bytes` field of the block's data
/// (1 tag byte, the varint length, the tx).
pub fn proto_size(len: usize) -> u64 {
    let mut varint_len = 1;
    let mut rest = len >> 7;
    while rest > 0 {
        varint_len += 1;
        rest >>= 7;
    }
    (1 + varint_len + len) as u64
}

/// A proposal candidate: (sequence, index among the candidates, decoded tx).
type Candidate = (u64, usize, DecodedTx);

/// A block proposal: the system transactions, then the chosen candidates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proposal {
    /// The system transactions, to be the block's first transactions, in order.
    pub system_txs: Vec<Vec<u8>>,
    /// Indexes of the chosen candidates, in block order.
    pub chosen: Vec<usize>,
}

impl Proposal {
    /// The block's transactions: the system transactions, then the chosen
    /// candidates.
    pub fn txs<T: AsRef<[u8]>>(&self, candidates: &[T]) -> Vec<Vec<u8>> {
        self.system_txs
            .iter()
            .cloned()
            .chain(
                self.chosen
                    .iter()
                    .filter_map(|&i| candidates.get(i).map(|tx| tx.as_ref().to_vec())),
            )
            .collect()
    }
}

/// Builds a proposal from the mempool's candidates: only transactions that
/// decode, verify and pay are kept; each account's transactions go in
/// sequence order; accounts take turns (one transaction each per round, in
/// the canonical order of [`quire_core::order`]) so a busy submitter cannot crowd out the
/// others; the total, system
/// transactions included and counted as CometBFT counts it (with per-tx
/// protobuf framing), stays within `max_tx_bytes`. Deterministic for given
/// inputs; the node's signature cache changes only how fast.
pub(crate) fn prepare_proposal(
    app: &StateMachine,
    base: &dyn StateRead,
    ctx: &BlockContext,
    candidates: &[impl AsRef<[u8]>],
    max_tx_bytes: u64,
) -> Result<Proposal, AppError> {
    let mut executor = BlockExecutor::begin(app, base, ctx)?;
    let system = app.required_system_txs(base, ctx)?;
    let reserved: Vec<u64> = system
        .iter()
        .map(|&(index, _)| {
            app.components()
                .get(index)
                .map_or(0, |c| c.system_tx_reserve(base, ctx))
        })
        .collect();

    // System txs that depend on committed state only (a reveal) are built
    // and delivered first, as ProcessProposal delivers them before the user
    // txs: what they add to the block is there for the later ones.
    let mut early: Vec<Option<Vec<u8>>> = vec![None; system.len()];
    for (position, (&(index, tag), &reserve)) in system.iter().zip(&reserved).enumerate() {
        let Some(component) = app.components().get(index) else {
            continue;
        };
        if !component.builds_system_tx_first() {
            continue;
        }
        let tx = build_system_tx(component.as_ref(), tag, reserve, &executor.state, ctx)?;
        executor
            .deliver_system_tx(index, ctx, position, &tx)
            .map_err(|e| {
                AppError::Component(format!(
                    "{} built a {} system tx it does not accept: {e}",
                    component.name(),
                    tag.kind
                ))
            })?;
        early[position] = Some(tx);
    }

    // Group by signer, each group by sequence; signers take turns in the
    // canonical order (`order`), which ProcessProposal enforces.
    let mut signers: Vec<Address> = Vec::new();
    let mut queues: BTreeMap<Address, Vec<Candidate>> = BTreeMap::new();
    for (index, bytes) in candidates.iter().enumerate() {
        let Ok(tx) = executor.decode(bytes.as_ref()) else {
            continue;
        };
        let queue = queues.entry(tx.signer).or_insert_with(|| {
            signers.push(tx.signer);
            Vec::new()
        });
        queue.push((tx.sequence, index, tx));
    }
    order::sort_signers(&base.last_block_hash()?, &mut signers);
    // Turns rotate: a signer's k-th chosen tx lands in round k, and a signer
    // dropped from the rotation leaves the others' relative order alone, so
    // the chosen txs are in the canonical order of the set chosen.
    let mut turns: VecDeque<(Address, VecDeque<Candidate>)> = signers
        .into_iter()
        .filter_map(|signer| {
            let mut queue = queues.remove(&signer)?;
            queue.sort_by_key(|(sequence, index, _)| (*sequence, *index));
            Some((signer, queue.into()))
        })
        .collect();

    let mut chosen = Vec::new();
    let mut total_bytes: u64 = reserved.iter().map(|&r| proto_size(r as usize)).sum();
    let first_user_tx = system.len();
    while let Some((signer, mut queue)) = turns.pop_front() {
        let Some((sequence, index, tx)) = queue.pop_front() else {
            continue;
        };
        let size = proto_size(tx.size);
        if total_bytes + size > max_tx_bytes {
            // Doesn't fit. Another candidate for this sequence may; otherwise
            // the account's later txs would leave a gap.
            if queue.front().is_some_and(|(next, _, _)| *next == sequence) {
                turns.push_front((signer, queue));
            }
            continue;
        }
        let tx_index = (first_user_tx + chosen.len()) as u32;
        match executor.apply(tx, tx_index) {
            Ok(_) => {
                total_bytes += size;
                chosen.push(index);
                turns.push_back((signer, queue));
            }
            // A replayed or already-included tx: skip it, the next may be valid.
            Err(TxError::SequenceReused { .. }) | Err(TxError::Duplicate) => {
                turns.push_front((signer, queue))
            }
            Err(TxError::Storage(e)) => return Err(e.into()),
            // Another candidate for the same sequence may still be valid;
            // otherwise the account's later txs would leave a gap.
            // A stale candidate (its sequence already used, failing on
            // something else first, e.g. its signature) hides nothing either.
            Err(_) => {
                let stale = executor
                    .next_sequence(&signer)?
                    .is_some_and(|next| sequence < next);
                if stale || queue.front().is_some_and(|(next, _, _)| *next == sequence) {
                    turns.push_front((signer, queue));
                }
            }
        }
    }

    let mut system_txs = Vec::with_capacity(system.len());
    for ((&(index, tag), &reserve), early) in system.iter().zip(&reserved).zip(early) {
        if let Some(tx) = early {
            system_txs.push(tx);
            continue;
        }
        let Some(component) = app.components().get(index) else {
            continue;
        };
        system_txs.push(build_system_tx(
            component.as_ref(),
            tag,
            reserve,
            &executor.state,
            ctx,
        )?);
    }
    Ok(Proposal { system_txs, chosen })
}

/// Builds `component`'s system tx: every block carries every required
/// system tx (ProcessProposal checks it), so a component that requires one
/// must build it, tagged and within what it reserved.
fn build_system_tx(
    component: &dyn Component,
    tag: SystemTxTag,
    reserve: u64,
    state: &StateDelta<'_>,
    ctx: &BlockContext,
) -> Result<Vec<u8>, AppError> {
    let tx = component.build_system_tx(state, ctx)?.ok_or_else(|| {
        AppError::Component(format!(
            "{} declares a {} system tx but built none",
            component.name(),
            tag.kind
        ))
    })?;
    if tx.len() as u64 > reserve || !tag.matches(&tx) {
        return Err(AppError::Component(format!(
            "{} built a {} system tx of {} bytes, {} reserved, or without its tag",
            component.name(),
            tag.kind,
            tx.len(),
            reserve
        )));
    }
    Ok(tx)
}
