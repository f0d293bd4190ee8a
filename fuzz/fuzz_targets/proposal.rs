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
//!   ProcessProposal ("an honest proposal is always accepted");
//! - bits 2-3: PrepareProposal's `max_tx_bytes` (unlimited, 4000, 2000, 600);
//! - bits 4-7: the block height, 1 + (value % 3) (timeouts take effect).
//!
//! Every check also runs through a signature cache (cold, then warm) and must
//! decide exactly as without one.
#![no_main]

use libfuzzer_sys::fuzz_target;
use quire_core::commitment::{is_commitment_tx, NamespaceTree, COMMITMENT_TX_LEN};
use quire_app::{finalize_block, prepare_proposal, process_proposal, SignatureCache};
use quire_fuzz::{split_chunks, MemState};
use std::sync::OnceLock;

static STATE: OnceLock<MemState> = OnceLock::new();

const MAX_TX_BYTES: [u64; 4] = [u64::MAX, 4000, 2000, 600];

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let state = STATE.get_or_init(MemState::genesis);
    let height = 1 + u64::from(mode >> 4) % 3;
    let chunks = split_chunks(rest);
    match mode & 3 {
        0 => check_block(state, height, &chunks),
        1 => {
            // Placeholder commitment; FinalizeBlock's execution does not
            // depend on its content, only on its presence.
            let placeholder = NamespaceTree::build(height, &[]).commitment().encode();
            let mut block: Vec<&[u8]> = vec![&placeholder];
            block.extend_from_slice(&chunks);
            let finalized = finalize_block(
                state,
                &state.app_hash,
                height,
                &block,
                &SignatureCache::disabled(),
            )
            .expect("in-memory state");
            let commitment = NamespaceTree::build(height, &finalized.blobs)
                .commitment()
                .encode();
            block[0] = &commitment;
            check_block(state, height, &block);
        }
        _ => {
            let max_tx_bytes = MAX_TX_BYTES[usize::from(mode >> 2) & 3];
            let sigs = SignatureCache::new(64);
            let proposal = prepare_proposal(state, height, &chunks, max_tx_bytes, &sigs)
                .expect("in-memory state");
            assert_eq!(
                prepare_proposal(
                    state,
                    height,
                    &chunks,
                    max_tx_bytes,
                    &SignatureCache::disabled()
                )
                .expect("in-memory state"),
                proposal,
                "PrepareProposal depends on the signature cache"
            );
            let mut seen = std::collections::BTreeSet::new();
            for &index in &proposal.chosen {
                assert!(index < chunks.len(), "chosen index out of range");
                assert!(seen.insert(index), "candidate chosen twice");
            }
            let mut block: Vec<&[u8]> = vec![&proposal.commitment_tx];
            block.extend(proposal.chosen.iter().map(|&i| chunks[i]));
            let total: u64 = block.iter().map(|tx| tx.len() as u64).sum();
            assert!(
                total <= max_tx_bytes.max(COMMITMENT_TX_LEN as u64),
                "proposal of {total} bytes exceeds max_tx_bytes {max_tx_bytes}"
            );
            if let Err(e) = process_proposal(state, height, &block, &sigs) {
                panic!("ProcessProposal rejected PrepareProposal's own proposal: {e}");
            }
            check_block(state, height, &block);
        }
    }
});

/// ProcessProposal and FinalizeBlock on `block`; if the first accepts, the
/// second must apply every transaction. Without a signature cache, with a
/// cold one and with a warm one, the decisions are the same.
fn check_block(state: &MemState, height: u64, block: &[&[u8]]) {
    let sigs = SignatureCache::new(64);
    let verdict = process_proposal(state, height, block, &SignatureCache::disabled());
    assert_eq!(
        process_proposal(state, height, block, &sigs),
        verdict,
        "ProcessProposal depends on the signature cache"
    );
    let finalized = finalize_block(
        state,
        &state.app_hash,
        height,
        block,
        &SignatureCache::disabled(),
    )
    .expect("in-memory state");
    let has_commitment = block.first().is_some_and(|tx| is_commitment_tx(tx));
    assert_eq!(
        finalized.txs.len(),
        block.len() - usize::from(has_commitment),
        "one outcome per user tx"
    );
    let again =
        finalize_block(state, &state.app_hash, height, block, &sigs).expect("in-memory state");
    assert_eq!(
        (&finalized.app_hash, &finalized.txs),
        (&again.app_hash, &again.txs),
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
