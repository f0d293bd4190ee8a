//! Any bytes as a submitted transaction: `DecodedTx::decode` and CheckTx over
//! a genesis state with three funded accounts must never panic.
//!
//! Invariants checked on top:
//! - CheckTx accepts only what decodes;
//! - a decoded tx carries only the message kinds the standard state machine
//!   routes (blobs, sends), and its blob bytes are its blobs' sizes;
//! - a transaction CheckTx accepted is refused when replayed (its signer's
//!   sequence has moved on), with `SequenceReused`;
//! - a transaction CheckTx accepted for block 1 is chosen by PrepareProposal
//!   for block 1, that proposal passes ProcessProposal, and FinalizeBlock
//!   applies the transaction successfully, with CheckTx's receipt;
//! - the signature cache changes nothing: decoding, signature checks and
//!   CheckTx give the same results with and without it, and the CheckTx /
//!   proposal / block path above runs through one state machine's cache
//!   (cold at the start of the input, warm after CheckTx), as on a node.
#![no_main]

use libfuzzer_sys::fuzz_target;
use quire_app::blob::tx_blob_bytes;
use quire_app::{BlockContext, CheckState, DecodedTx, SignatureCache, StateMachine, TxError};
use quire_core::msg::{Send, SubmitBlob};
use quire_fuzz::{params, MemState};
use std::sync::OnceLock;

struct Fixture {
    /// No signature cache.
    plain: StateMachine,
    /// A signature cache, cleared at the start of every input.
    cached: StateMachine,
    /// Genesis (next block: 1).
    state: MemState,
}

static FIXTURE: OnceLock<Fixture> = OnceLock::new();

fn fixture() -> Fixture {
    let plain = quire_fuzz::machine();
    let state = quire_fuzz::genesis_state(&plain);
    Fixture {
        plain,
        cached: quire_fuzz::cached_machine(16),
        state,
    }
}

fuzz_target!(|data: &[u8]| {
    let Fixture {
        plain,
        cached,
        state,
    } = FIXTURE.get_or_init(fixture);
    let max_tx_bytes = params().max_tx_bytes;
    let sigs = cached.sig_cache();
    sigs.clear();

    let decoded = DecodedTx::decode(
        data,
        max_tx_bytes,
        plain.router(),
        &SignatureCache::disabled(),
    );
    let unlimited = plain.decode_tx(data);
    if decoded.is_ok() {
        assert!(
            unlimited.is_ok(),
            "decodes within the limit but not without one"
        );
    }
    if let Ok(tx) = &decoded {
        assert_eq!(tx.size, data.len());
        assert!((1..=quire_app::tx::MAX_MESSAGES_PER_TX).contains(&tx.messages.len()));
        let mut blob_bytes = 0u64;
        for msg in &tx.messages {
            let any = msg.as_any();
            if let Some(blob) = any.downcast_ref::<SubmitBlob>() {
                blob_bytes += blob.data.len() as u64;
            } else {
                assert!(
                    any.downcast_ref::<Send>().is_some(),
                    "a message of an unknown kind decoded: {msg:?}"
                );
            }
        }
        assert_eq!(tx_blob_bytes(tx), blob_bytes);
        let plain_sigs: Vec<_> = (0..3)
            .map(|account_number| tx.verify_signature(quire_fuzz::CHAIN, account_number))
            .collect();
        // Cold, warm, and decoded again with the cache warm (the public key
        // then stays compressed until a verification misses).
        for _ in 0..2 {
            for (account_number, plain) in (0..3).zip(&plain_sigs) {
                let cached = tx.verify_signature_cached(quire_fuzz::CHAIN, account_number, sigs);
                assert_eq!(&cached, plain, "the signature check depends on the cache");
            }
        }
        let again = DecodedTx::decode(data, max_tx_bytes, plain.router(), sigs)
            .expect("decoding depends on the signature cache");
        assert_eq!((again.hash, again.signer), (tx.hash, tx.signer));
        for (account_number, plain) in (0..3).zip(&plain_sigs) {
            let cached = again.verify_signature_cached(quire_fuzz::CHAIN, account_number, sigs);
            assert_eq!(&cached, plain, "the signature check depends on the cache");
        }
        sigs.clear();
    }

    let reference = plain.check_tx(&mut CheckState::new(), state, 1, data);
    let mut check = CheckState::new();
    let first = cached.check_tx(&mut check, state, 1, data);
    assert_eq!(first, reference, "CheckTx depends on the signature cache");
    if decoded.is_err() {
        assert!(first.is_err(), "CheckTx accepted a tx that does not decode");
    }
    let second = cached.check_tx(&mut check, state, 1, data);
    let Ok(receipt) = first else { return };
    let tx = decoded.expect("CheckTx accepted it, so it decodes");
    assert!(
        matches!(second, Err(TxError::SequenceReused { .. })),
        "replayed tx not refused as a reused sequence: {second:?}"
    );
    assert_eq!(receipt.signer, tx.signer);
    assert_eq!(receipt.sequence, tx.sequence);

    // What CheckTx admits for block 1, block 1 can carry.
    let ctx = BlockContext::at_height(1);
    let candidates = [data];
    let proposal = cached
        .prepare_proposal(state, &ctx, &candidates, u64::MAX)
        .expect("in-memory state");
    assert_eq!(
        proposal.chosen,
        vec![0],
        "PrepareProposal dropped a tx CheckTx accepted"
    );
    let block = proposal.txs(&candidates);
    cached
        .process_proposal(state, &ctx, &block)
        .expect("an honest proposal is accepted");
    let finalized = cached
        .finalize_block(state, None, &ctx, &block)
        .expect("in-memory state");
    assert_eq!(finalized.txs.len(), 1);
    assert_eq!(finalized.txs[0].hash, tx.hash);
    let outcome = finalized.txs[0]
        .result
        .as_ref()
        .expect("FinalizeBlock applies the tx");
    assert_eq!(
        outcome, &receipt,
        "FinalizeBlock and CheckTx disagree on the receipt"
    );
});
