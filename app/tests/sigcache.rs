//! The signature cache changes how fast a node checks transactions, never what
//! it decides: a cached verification is reused only for the same tx, account
//! number and chain id; failures are never cached; the chain-id check still
//! runs on a hit; and CheckTx, PrepareProposal, ProcessProposal and
//! FinalizeBlock give identical results without a cache, with a cold, a tiny
//! (evicting) or a warm one.

// Test and bench code: a failed unwrap is the test failing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use cosmrs::crypto::secp256k1::SigningKey;
use cosmrs::proto::cosmos::crypto::secp256k1::PubKey;
use cosmrs::proto::cosmos::tx::v1beta1::{AuthInfo, SignDoc, TxBody, TxRaw};
use k256::ecdsa::{Signature, VerifyingKey};
use prost::Message;
use quire_app::blob::tx_blob_bytes;
use quire_app::block::TxOutcome;
use quire_app::state::ChangeSet;
use quire_app::{
    BlockContext, CheckState, DecodedTx, GenesisAccount, GenesisState, Proposal, ProposalError,
    SignatureCache, StateMachine, TxError,
};
use quire_core::builder::{address_of, sign_tx, SignerContext};
use quire_core::Msg;
use quire_core::{Blob, Namespace, Params};
use quire_test_utils::MemState;
use std::sync::LazyLock;

const CHAIN: &str = "quire-test";

/// The message router (and a state machine for the tests that need no
/// particular cache).
static MACHINE: LazyLock<StateMachine> = LazyLock::new(quire_test_utils::machine);

/// A state machine whose signature cache holds `capacity` entries (0: none).
fn machine_with_cache(capacity: usize) -> StateMachine {
    StateMachine::standard()
        .sig_cache_capacity(capacity)
        .build()
        .unwrap()
}

fn key(seed: u8) -> SigningKey {
    SigningKey::from_slice(&[seed; 32]).unwrap()
}

fn genesis(keys: &[&SigningKey]) -> MemState {
    let genesis = GenesisState {
        staking: Default::default(),
        l1: None,
        encryption: None,
        params: Params::default(),
        accounts: keys
            .iter()
            .map(|k| GenesisAccount {
                address: address_of(k).to_bech32(),
                balance: 1_000_000_000,
            })
            .collect(),
    };
    MemState::from_genesis(&MACHINE, &genesis, CHAIN)
}

/// A blob tx of `key` for `chain`, signed for `account_number`.
fn signed(key: &SigningKey, chain: &str, account_number: u64, sequence: u64) -> Vec<u8> {
    let params = SignerContext {
        chain_id: chain.into(),
        account_number,
        sequence,
        fee_denom: "uquire".into(),
        fee: 100_000,
        timeout_height: 0,
        memo: String::new(),
    };
    let blob = Msg::submit_blob(
        Namespace::from_rollup_name("r"),
        vec![sequence as u8 + 1; 40],
    );
    sign_tx(key, &params, &[blob]).unwrap()
}

fn raw(tx: &[u8]) -> TxRaw {
    TxRaw::decode(tx).unwrap()
}

/// `tx` with its body changed by `edit`, signed again by `key` for `chain`
/// and `account_number`.
fn resigned(
    tx: &[u8],
    key: &SigningKey,
    chain: &str,
    account_number: u64,
    edit: impl FnOnce(&mut TxBody),
) -> Vec<u8> {
    let mut raw = raw(tx);
    let mut body = TxBody::decode(raw.body_bytes.as_slice()).unwrap();
    edit(&mut body);
    raw.body_bytes = body.encode_to_vec();
    let sign_doc = SignDoc {
        body_bytes: raw.body_bytes.clone(),
        auth_info_bytes: raw.auth_info_bytes.clone(),
        chain_id: chain.into(),
        account_number,
    };
    raw.signatures = vec![key.sign(&sign_doc.encode_to_vec()).unwrap().to_vec()];
    raw.encode_to_vec()
}

/// `tx` with a bit of its signature's `r` flipped.
fn tampered(tx: &[u8]) -> Vec<u8> {
    let mut raw = raw(tx);
    raw.signatures[0][5] ^= 0x10;
    raw.encode_to_vec()
}

/// `tx` with its (low-S) signature `(r, s)` replaced by `(r, n - s)`: the same
/// ECDSA signature in its other, high-S form, which Cosmos SDK chains refuse.
fn high_s(tx: &[u8]) -> Vec<u8> {
    let mut raw = raw(tx);
    let signature = Signature::from_slice(&raw.signatures[0]).unwrap();
    assert!(signature.normalize_s().is_none(), "signed low-S");
    let negated = -*signature.s().as_ref();
    let mut flipped = raw.signatures[0][..32].to_vec();
    flipped.extend_from_slice(&negated.to_bytes());
    let parsed = Signature::from_slice(&flipped).unwrap();
    assert!(parsed.normalize_s().is_some(), "now high-S");
    raw.signatures = vec![flipped];
    raw.encode_to_vec()
}

/// `tx` with its public key replaced by 33 bytes that are no curve point.
fn off_curve_key(tx: &[u8]) -> Vec<u8> {
    let bad_key = (0u8..=255)
        .map(|x| {
            let mut key = [0u8; 33];
            key[0] = 0x02;
            key[32] = x;
            key
        })
        .find(|key| VerifyingKey::from_sec1_bytes(key).is_err())
        .unwrap();
    let mut raw = raw(tx);
    let mut auth_info = AuthInfo::decode(raw.auth_info_bytes.as_slice()).unwrap();
    let any = auth_info.signer_infos[0].public_key.as_mut().unwrap();
    any.value = PubKey {
        key: bad_key.to_vec(),
    }
    .encode_to_vec();
    raw.auth_info_bytes = auth_info.encode_to_vec();
    raw.encode_to_vec()
}

fn decode(tx: &[u8], sigs: &SignatureCache) -> DecodedTx {
    decode_limited(tx, u64::MAX, sigs).unwrap()
}

fn decode_limited(tx: &[u8], max: u64, sigs: &SignatureCache) -> Result<DecodedTx, TxError> {
    DecodedTx::decode(tx, max, MACHINE.router(), sigs)
}

#[test]
fn a_cached_verification_is_reused_only_for_its_account_number_and_chain() {
    let alice = key(1);
    let sigs = SignatureCache::new(100);
    let tx = signed(&alice, CHAIN, 3, 0);
    let decoded = decode(&tx, &sigs);
    assert_eq!(decoded.verify_signature_cached(CHAIN, 3, &sigs), Ok(()));
    let stats = sigs.stats();
    assert_eq!((stats.hits, stats.misses, stats.entries), (0, 1, 1));
    assert_eq!(decoded.verify_signature_cached(CHAIN, 3, &sigs), Ok(()));
    assert_eq!(sigs.stats().hits, 1, "the second check is a hit");

    // The same tx under another account number is verified, and fails, as
    // without a cache; nothing is stored for it.
    let wrong_number = Err(TxError::BadSignature {
        chain_id: CHAIN.into(),
        account_number: 4,
    });
    assert_eq!(decoded.verify_signature(CHAIN, 4), wrong_number);
    assert_eq!(
        decoded.verify_signature_cached(CHAIN, 4, &sigs),
        wrong_number
    );
    // Decoded again, its key is known valid and left compressed until a
    // verification needs it: the miss still verifies (and fails).
    let again = decode(&tx, &sigs);
    assert_eq!(again.verify_signature_cached(CHAIN, 4, &sigs), wrong_number);
    assert_eq!(again.verify_signature_cached(CHAIN, 3, &sigs), Ok(()));
    assert_eq!(sigs.stats().entries, 1);

    // The tx names its chain: the chain-id check runs before the cache.
    assert_eq!(
        decoded.verify_signature_cached("other-chain", 3, &sigs),
        Err(TxError::WrongChainId {
            expected: "other-chain".into(),
            got: CHAIN.into(),
        })
    );

    // A tx naming no chain: the chain id is only in the signed bytes, so the
    // cache (which serves one chain) misses on another and the check fails.
    let unnamed = resigned(&tx, &alice, CHAIN, 3, |body| {
        body.non_critical_extension_options.clear()
    });
    let unnamed = decode(&unnamed, &sigs);
    assert_eq!(unnamed.chain_id, None);
    assert_eq!(unnamed.verify_signature_cached(CHAIN, 3, &sigs), Ok(()));
    let other_chain = Err(TxError::BadSignature {
        chain_id: "other-chain".into(),
        account_number: 3,
    });
    assert_eq!(unnamed.verify_signature("other-chain", 3), other_chain);
    assert_eq!(
        unnamed.verify_signature_cached("other-chain", 3, &sigs),
        other_chain
    );
    assert_eq!(unnamed.verify_signature_cached(CHAIN, 3, &sigs), Ok(()));
    assert_eq!(sigs.stats().entries, 2);
}

#[test]
fn failed_verifications_are_never_cached() {
    let alice = key(1);
    let sigs = SignatureCache::new(100);
    let good = signed(&alice, CHAIN, 0, 0);
    let bad_signature = Err(TxError::BadSignature {
        chain_id: CHAIN.into(),
        account_number: 0,
    });
    // A wrong signature, the high-S twin of a valid one, and a valid
    // signature over other bytes (the body changed after signing).
    let body_changed = {
        let mut raw = raw(&good);
        let mut body = TxBody::decode(raw.body_bytes.as_slice()).unwrap();
        body.memo = "changed".into();
        raw.body_bytes = body.encode_to_vec();
        raw.encode_to_vec()
    };
    for bad in [tampered(&good), high_s(&good), body_changed] {
        let decoded = decode(&bad, &sigs);
        for _ in 0..2 {
            assert_eq!(decoded.verify_signature(CHAIN, 0), bad_signature);
            assert_eq!(
                decoded.verify_signature_cached(CHAIN, 0, &sigs),
                bad_signature
            );
        }
        assert_eq!(sigs.stats().entries, 0);
    }
    assert_eq!(
        decode(&good, &sigs).verify_signature_cached(CHAIN, 0, &sigs),
        Ok(())
    );
    // The valid form cached does not make its twins pass.
    assert_eq!(
        decode(&high_s(&good), &sigs).verify_signature_cached(CHAIN, 0, &sigs),
        bad_signature
    );
    assert_eq!(
        decode(&tampered(&good), &sigs).verify_signature_cached(CHAIN, 0, &sigs),
        bad_signature
    );
}

#[test]
fn decoding_with_a_cache_gives_the_same_tx_and_the_same_errors() {
    let alice = key(1);
    let sigs = SignatureCache::new(100);
    let tx = signed(&alice, CHAIN, 0, 0);
    decode(&tx, &sigs)
        .verify_signature_cached(CHAIN, 0, &sigs)
        .unwrap();
    let plain = decode(&tx, &SignatureCache::disabled());
    let cached = decode(&tx, &sigs);
    assert_eq!(
        (
            plain.hash,
            plain.size,
            plain.signer,
            plain.sequence,
            &plain.fee,
            plain.timeout_height,
            &plain.chain_id,
            format!("{:?}", plain.messages),
            tx_blob_bytes(&plain)
        ),
        (
            cached.hash,
            cached.size,
            cached.signer,
            cached.sequence,
            &cached.fee,
            cached.timeout_height,
            &cached.chain_id,
            format!("{:?}", cached.messages),
            tx_blob_bytes(&cached)
        )
    );

    // A key that is no curve point is refused at decoding, with or without
    // a cache (code 4).
    let bad_key = off_curve_key(&tx);
    let plain = decode_limited(&bad_key, u64::MAX, &SignatureCache::disabled()).unwrap_err();
    assert_eq!(plain.code(), 4, "{plain}");
    assert_eq!(
        decode_limited(&bad_key, u64::MAX, &sigs).unwrap_err(),
        plain
    );
    // Too large still comes first.
    assert_eq!(
        decode_limited(&tx, 10, &sigs).unwrap_err(),
        decode_limited(&tx, 10, &SignatureCache::disabled()).unwrap_err()
    );
}

/// Everything the state machine decided for one run of the scenario.
#[derive(Debug, PartialEq)]
struct Decisions {
    check: Vec<Result<(), TxError>>,
    recheck: Vec<Result<(), TxError>>,
    proposal: Proposal,
    honest: Result<(), ProposalError>,
    byzantine: Vec<Result<(), ProposalError>>,
    finalized: (Vec<TxOutcome>, ChangeSet, Vec<Blob>, [u8; 32]),
}

/// CheckTx, a recheck, PrepareProposal, ProcessProposal (of the honest block
/// and of blocks with one bad tx slipped in) and FinalizeBlock of everything,
/// all through `machine` (and its signature cache).
fn run(state: &MemState, valid: &[Vec<u8>], bad: &[Vec<u8>], machine: &StateMachine) -> Decisions {
    let height = state.height + 1;
    let all: Vec<Vec<u8>> = valid.iter().chain(bad).cloned().collect();
    let check = |txs: &[Vec<u8>]| {
        let mut check_state = CheckState::new();
        txs.iter()
            .map(|tx| {
                machine
                    .check_tx(&mut check_state, state, height, tx)
                    .map(|_| ())
            })
            .collect::<Vec<_>>()
    };
    let checked = check(&all);
    let recheck = check(&all);
    let ctx = BlockContext::at_height(height);
    let proposal = machine
        .prepare_proposal(state, &ctx, &all, u64::MAX)
        .unwrap();
    let block = proposal.txs(&all);
    let honest = machine.process_proposal(state, &ctx, &block);
    let byzantine = bad
        .iter()
        .map(|tx| {
            let mut block = block.clone();
            block.insert(2, tx.clone());
            machine.process_proposal(state, &ctx, &block)
        })
        .collect();
    let mut everything = proposal.system_txs.clone();
    everything.extend(all.iter().cloned());
    let finalized = machine
        .finalize_block(state, None, &ctx, &everything)
        .unwrap();
    Decisions {
        check: checked,
        recheck,
        proposal,
        honest,
        byzantine,
        finalized: (
            finalized.txs,
            finalized.changes,
            finalized.blobs,
            finalized.app_hash,
        ),
    }
}

#[test]
fn every_path_decides_the_same_with_and_without_a_cache() {
    let (alice, bob, carol) = (key(1), key(2), key(3));
    // Account numbers follow the genesis order: alice 0, bob 1, carol 2.
    let state = genesis(&[&alice, &bob, &carol]);
    let valid = vec![
        signed(&alice, CHAIN, 0, 0),
        signed(&alice, CHAIN, 0, 1),
        signed(&bob, CHAIN, 1, 0),
        signed(&carol, CHAIN, 2, 0),
        signed(&alice, CHAIN, 0, 2),
    ];
    let bad = vec![
        signed(&bob, CHAIN, 0, 1),           // bob's tx signed for alice's number
        signed(&carol, "other-chain", 2, 1), // names another chain
        tampered(&signed(&carol, CHAIN, 2, 1)),
        high_s(&signed(&carol, CHAIN, 2, 1)),
        resigned(
            &signed(&carol, CHAIN, 2, 1),
            &carol,
            "other-chain",
            2,
            |body| body.non_critical_extension_options.clear(),
        ), // signed for another chain, naming none
        off_curve_key(&signed(&carol, CHAIN, 2, 1)),
        b"not a tx".to_vec(),
    ];

    let baseline = run(&state, &valid, &bad, &machine_with_cache(0));
    // The scenario does reach the signature rules.
    assert!(baseline.check[..valid.len()].iter().all(Result::is_ok));
    let codes: Vec<u32> = baseline.check[valid.len()..]
        .iter()
        .map(|r| r.as_ref().unwrap_err().code())
        .collect();
    assert_eq!(codes, vec![6, 5, 6, 6, 6, 4, 2]);
    assert!(matches!(baseline.honest, Ok(())));
    let mut chosen = baseline.proposal.chosen.clone();
    chosen.sort_unstable();
    assert_eq!(chosen, vec![0, 1, 2, 3, 4], "exactly the valid txs");

    let cold_machine = machine_with_cache(1_000);
    let cold = cold_machine.sig_cache();
    assert_eq!(
        run(&state, &valid, &bad, &cold_machine),
        baseline,
        "cold cache"
    );
    assert!(cold.stats().hits > 0);
    assert_eq!(
        cold.stats().entries,
        valid.len(),
        "only the valid are stored"
    );
    // A warm cache: the same again, now hitting from the first CheckTx on.
    let hits = cold.stats().hits;
    assert_eq!(
        run(&state, &valid, &bad, &cold_machine),
        baseline,
        "warm cache"
    );
    assert!(cold.stats().hits > hits);
    let tiny_machine = machine_with_cache(2);
    let tiny = tiny_machine.sig_cache();
    assert_eq!(
        run(&state, &valid, &bad, &tiny_machine),
        baseline,
        "evicting cache"
    );
    assert_eq!(tiny.stats().entries, 2);
    // A cache that served another chain first.
    let other_machine = machine_with_cache(1_000);
    let other = other_machine.sig_cache();
    let elsewhere = signed(&alice, "other-chain", 0, 0);
    decode(&elsewhere, other)
        .verify_signature_cached("other-chain", 0, other)
        .unwrap();
    assert_eq!(
        run(&state, &valid, &bad, &other_machine),
        baseline,
        "rebound cache"
    );
}
