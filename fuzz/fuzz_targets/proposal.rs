//! Any list of transactions as a block: ProcessProposal and FinalizeBlock
//! must never panic, and whenever ProcessProposal accepts a block,
//! FinalizeBlock must apply every one of its transactions successfully and
//! find the block's commitment matching its blobs.
//!
//! Input: one mode byte, then the transactions as u16-LE-length-prefixed
//! chunks (`quire_fuzz::split_chunks`). Mode bits:
//! - bits 0-1: 0 = the chunks are the block as given; 1 = the harness puts the
//!   correct namespace commitment of the chunks' blobs first (so the fuzzer
//!   gets past the commitment check); 2, 3 = the chunks are mempool
//!   candidates for PrepareProposal, whose proposal must then be accepted by
//!   ProcessProposal ("an honest proposal is always accepted"), choose each
//!   candidate at most once and stay within `max_tx_bytes` (as CometBFT
//!   counts it, with per-tx protobuf framing);
//! - bits 2-3: PrepareProposal's `max_tx_bytes` (unlimited, 4000, 2000, 600);
//! - bits 4-7: the block height, 1 + (value % 3) (timeouts take effect). Block
//!   h is built on the committed state below it: genesis, then h - 1 empty
//!   blocks (`quire_fuzz::state_below`), same accounts.
//!
//! Every check also runs through a signature cache (cold, then warm) and must
//! decide exactly as without one.
#![no_main]

use libfuzzer_sys::fuzz_target;
use quire_app::block::prepare::proto_size;
use quire_app::{BlockContext, StateMachine};
use quire_core::commitment::{is_commitment_tx, NamespaceTree};
use quire_fuzz::{split_chunks, MemState};
use std::sync::OnceLock;

struct Fixture {
    /// No signature cache.
    plain: StateMachine,
    /// A signature cache, cleared before each use that must start cold.
    cached: StateMachine,
    /// `states[h - 1]`: the committed state block `h` is built on, h = 1..=3.
    states: Vec<MemState>,
}

static FIXTURE: OnceLock<Fixture> = OnceLock::new();

fn fixture() -> Fixture {
    let plain = quire_fuzz::machine();
    let states = (1..=3)
        .map(|height| quire_fuzz::state_below(&plain, height))
        .collect();
    Fixture {
        plain,
        cached: quire_fuzz::cached_machine(64),
        states,
    }
}

const MAX_TX_BYTES: [u64; 4] = [u64::MAX, 4000, 2000, 600];

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let fixture = FIXTURE.get_or_init(fixture);
    let height = 1 + u64::from(mode >> 4) % 3;
    let state = &fixture.states[height as usize - 1];
    let ctx = BlockContext::at_height(height);
    let chunks = split_chunks(rest);
    match mode & 3 {
        0 => check_block(fixture, state, &ctx, &chunks),
        1 => {
            // Placeholder commitment; FinalizeBlock's execution does not
            // depend on its content, only on its presence.
            let placeholder = NamespaceTree::build(height, std::iter::empty())
                .commitment()
                .encode();
            let mut block: Vec<&[u8]> = vec![&placeholder];
            block.extend_from_slice(&chunks);
            let finalized = fixture
                .plain
                .finalize_block(state, None, &ctx, &block)
                .expect("in-memory state");
            let commitment = NamespaceTree::build(height, &finalized.blobs)
                .commitment()
                .encode();
            block[0] = &commitment;
            check_block(fixture, state, &ctx, &block);
        }
        _ => {
            let max_tx_bytes = MAX_TX_BYTES[usize::from(mode >> 2) & 3];
            let cached = &fixture.cached;
            cached.sig_cache().clear();
            let proposal = cached
                .prepare_proposal(state, &ctx, &chunks, max_tx_bytes)
                .expect("in-memory state");
            assert_eq!(
                fixture
                    .plain
                    .prepare_proposal(state, &ctx, &chunks, max_tx_bytes)
                    .expect("in-memory state"),
                proposal,
                "PrepareProposal depends on the signature cache"
            );
            assert_eq!(
                proposal.system_txs.len(),
                1,
                "one system tx: the commitment"
            );
            assert!(is_commitment_tx(&proposal.system_txs[0]));
            let mut seen = std::collections::BTreeSet::new();
            for &index in &proposal.chosen {
                assert!(index < chunks.len(), "chosen index out of range");
                assert!(seen.insert(index), "candidate chosen twice");
            }
            let block = proposal.txs(&chunks);
            assert_eq!(block.len(), 1 + proposal.chosen.len());
            let total: u64 = block.iter().map(|tx| proto_size(tx.len())).sum();
            assert!(
                total <= max_tx_bytes,
                "proposal of {total} bytes (framed) exceeds max_tx_bytes {max_tx_bytes}"
            );
            // Warm cache, as on the proposer itself.
            if let Err(e) = cached.process_proposal(state, &ctx, &block) {
                panic!("ProcessProposal rejected PrepareProposal's own proposal: {e}");
            }
            check_block(fixture, state, &ctx, &block);
        }
    }
});

/// ProcessProposal and FinalizeBlock on `block`; if the first accepts, the
/// second must apply every transaction. Without a signature cache, with a
/// cold one and with a warm one, the decisions are the same.
fn check_block<T: AsRef<[u8]>>(
    fixture: &Fixture,
    state: &MemState,
    ctx: &BlockContext,
    block: &[T],
) {
    let Fixture { plain, cached, .. } = fixture;
    cached.sig_cache().clear();
    let verdict = plain.process_proposal(state, ctx, block);
    assert_eq!(
        cached.process_proposal(state, ctx, block),
        verdict,
        "ProcessProposal depends on the signature cache"
    );
    let finalized = plain
        .finalize_block(state, None, ctx, block)
        .expect("in-memory state");
    assert_eq!(finalized.height, ctx.height);
    let has_commitment = block
        .first()
        .is_some_and(|tx| is_commitment_tx(tx.as_ref()));
    assert_eq!(
        finalized.system_txs.len(),
        usize::from(has_commitment),
        "the commitment is the only system tx, and only first"
    );
    assert_eq!(
        finalized.txs.len(),
        block.len() - usize::from(has_commitment),
        "one outcome per user tx"
    );
    let again = cached
        .finalize_block(state, None, ctx, block)
        .expect("in-memory state");
    assert_eq!(
        (
            &finalized.app_hash,
            &finalized.system_txs,
            &finalized.txs,
            &finalized.changes,
            &finalized.tree,
            &finalized.blobs,
        ),
        (
            &again.app_hash,
            &again.system_txs,
            &again.txs,
            &again.changes,
            &again.tree,
            &again.blobs,
        ),
        "FinalizeBlock is not deterministic, or depends on the signature cache"
    );
    if verdict.is_ok() {
        let commitment = finalized
            .commitment
            .as_ref()
            .expect("an accepted block has a commitment");
        assert!(
            commitment.matches_blobs,
            "accepted block's commitment does not match its blobs"
        );
        if let Some(Err(e)) = finalized.system_txs.first().map(|tx| &tx.result) {
            panic!(
                "ProcessProposal accepted the block but its commitment fails in FinalizeBlock: {e}"
            );
        }
        for (i, outcome) in finalized.txs.iter().enumerate() {
            if let Err(e) = &outcome.result {
                panic!(
                    "ProcessProposal accepted the block but tx {} fails in FinalizeBlock: {e}",
                    i + 1
                );
            }
        }
    }
}
