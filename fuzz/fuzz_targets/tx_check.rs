//! Any bytes as a submitted transaction: `DecodedTx::decode` and CheckTx over
//! a genesis state with three funded accounts must never panic.
//!
//! Invariants checked on top:
//! - CheckTx accepts only what decodes;
//! - a transaction CheckTx accepted is refused when replayed (its signer's
//!   sequence has moved on), with `SequenceReused`;
//! - a transaction CheckTx accepted for block 1 is chosen by PrepareProposal
//!   for block 1, that proposal passes ProcessProposal, and FinalizeBlock
//!   applies the transaction successfully;
//! - the signature cache changes nothing: decoding and signature checks give
//!   the same results with and without it, and the CheckTx / proposal / block
//!   path above runs through one cache (warm after CheckTx), as on a node.
#![no_main]

use libfuzzer_sys::fuzz_target;
use quire_app::{finalize_block, prepare_proposal, process_proposal, CheckState, DecodedTx, SignatureCache, TxError};
use quire_core::Msg;
use quire_fuzz::{params, MemState};
use std::sync::OnceLock;

static STATE: OnceLock<MemState> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let state = STATE.get_or_init(MemState::genesis);
    let max_tx_bytes = params().max_tx_bytes;

    let sigs = SignatureCache::new(16);
    let decoded = DecodedTx::decode(data, max_tx_bytes);
    let _ = DecodedTx::decode(data, u64::MAX);
    if let Ok(tx) = &decoded {
        assert_eq!(tx.size, data.len());
        assert!((1..=quire_app::tx::MAX_MESSAGES_PER_TX).contains(&tx.messages.len()));
        let blob_bytes: u64 = tx
            .messages
            .iter()
            .map(|m| match m {
                Msg::SubmitBlob { data, .. } => data.len() as u64,
                Msg::Send { .. } => 0,
            })
            .sum();
        assert_eq!(tx.blob_bytes, blob_bytes);
        let plain: Vec<_> = (0..3)
            .map(|account_number| tx.verify_signature(quire_fuzz::CHAIN, account_number))
            .collect();
        // Cold, warm, and decoded again with the cache warm (the public key
        // then stays compressed until a verification misses).
        for _ in 0..2 {
            for (account_number, plain) in (0..3).zip(&plain) {
                let cached = tx.verify_signature_cached(quire_fuzz::CHAIN, account_number, &sigs);
                assert_eq!(&cached, plain, "the signature check depends on the cache");
            }
        }
        let again = DecodedTx::decode_cached(data, max_tx_bytes, &sigs)
            .expect("decoding depends on the signature cache");
        assert_eq!((again.hash, again.signer), (tx.hash, tx.signer));
        for (account_number, plain) in (0..3).zip(&plain) {
            let cached = again.verify_signature_cached(quire_fuzz::CHAIN, account_number, &sigs);
            assert_eq!(&cached, plain, "the signature check depends on the cache");
        }
        sigs.clear();
    }

    let mut check = CheckState::new();
    let first = check.check_tx(state, 1, data, &sigs);
    if decoded.is_err() {
        assert!(first.is_err(), "CheckTx accepted a tx that does not decode");
    }
    let second = check.check_tx(state, 1, data, &sigs);
    let Ok((tx, receipt)) = first else { return };
    assert!(
        matches!(second, Err(TxError::SequenceReused { .. })),
        "replayed tx not refused as a reused sequence: {second:?}"
    );
    assert_eq!(receipt.signer, tx.signer);

    // What CheckTx admits for block 1, block 1 can carry.
    let proposal = prepare_proposal(state, 1, &[data], u64::MAX, &sigs).expect("in-memory state");
    assert_eq!(
        proposal.chosen,
        vec![0],
        "PrepareProposal dropped a tx CheckTx accepted"
    );
    let block = [proposal.commitment_tx.as_slice(), data];
    process_proposal(state, 1, &block, &sigs).expect("an honest proposal is accepted");
    let finalized =
        finalize_block(state, &state.app_hash, 1, &block, &sigs).expect("in-memory state");
    assert_eq!(finalized.txs.len(), 1);
    let outcome = finalized.txs[0]
        .result
        .as_ref()
        .expect("FinalizeBlock applies the tx");
    assert_eq!(
        outcome, &receipt,
        "FinalizeBlock and CheckTx disagree on the receipt"
    );
});
