//! Byzantine proposals, and the coherence and fairness of honest ones, over
//! in-memory state (no CometBFT).
//!
//! 1. Proposals a byzantine proposer could make, driven straight at
//!    `process_proposal`: each is rejected for the right reason (variant, and
//!    for a bad transaction its index and `TxError`), whatever commitment it
//!    carries; `finalize_block` of such a block (as if more than a third of
//!    the validators had let it through) is deterministic and leaves the bad
//!    transaction without effect.
//! 2. A property test over seeded random mempools: what `prepare_proposal`
//!    builds on one node, `process_proposal` accepts on another, both nodes
//!    finalize it identically, and it leaves out nothing it could have taken;
//!    block after block.
//! 3. PrepareProposal's turns keep a flooding account from crowding out others.
//!
//! At the end, tests for problems found on the way. Those marked `#[ignore]`
//! assert the behaviour we want and still fail (`-- --ignored` runs them).

// Test and bench code: a failed unwrap is the test failing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use cosmrs::crypto::secp256k1::SigningKey;
use cosmrs::proto::cosmos::tx::v1beta1::TxRaw;
use prost::Message;
use quire_app::auth::state::AuthRead;
use quire_app::blob::tx_blob_bytes;
use quire_app::error::InvalidTx;
use quire_app::{
    AppError, BlockContext, CheckState, DecodedTx, FinalizedBlock, GenesisAccount, GenesisState,
    Proposal, ProposalError, StateMachine, SystemTxError, TxError,
};
use quire_core::builder::{address_of, sign_tx, SignerContext};
use quire_core::commitment::{NamespaceCommitment, NamespaceTree, COMMITMENT_TX_LEN};
use quire_core::msg::{Send, SubmitBlob};
use quire_core::order::signer_rank;
use quire_core::{Address, Blob, Msg, Namespace, Params};
use quire_test_utils::{MemState, Rng};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;

const CHAIN: &str = "quire-test";
const DENOM: &str = "uquire";

/// A state machine without a signature cache: every check here verifies (the
/// coherence run gives one of its two nodes a cache).
static MACHINE: LazyLock<StateMachine> = LazyLock::new(|| machine_with_cache(0));

/// A state machine whose signature cache holds `capacity` entries.
fn machine_with_cache(capacity: usize) -> StateMachine {
    StateMachine::standard()
        .sig_cache_capacity(capacity)
        .build()
        .unwrap()
}

fn prepare(
    machine: &StateMachine,
    state: &MemState,
    height: u64,
    candidates: &[impl AsRef<[u8]>],
    max_tx_bytes: u64,
) -> Result<Proposal, AppError> {
    machine.prepare_proposal(
        state,
        &BlockContext::at_height(height),
        candidates,
        max_tx_bytes,
    )
}

fn process(
    machine: &StateMachine,
    state: &MemState,
    height: u64,
    txs: &[impl AsRef<[u8]>],
) -> Result<(), ProposalError> {
    machine.process_proposal(state, &BlockContext::at_height(height), txs)
}

fn decode(bytes: &[u8], max_tx_bytes: u64) -> Result<DecodedTx, TxError> {
    DecodedTx::decode(bytes, max_tx_bytes, MACHINE.router(), MACHINE.sig_cache())
}

// ---------------------------------------------------------------------------
// Helpers: in-memory node state, a seeded PRNG, tx building, commitments.
// ---------------------------------------------------------------------------

fn genesis_state(params: Params, accounts: &[(Address, u128)]) -> MemState {
    let genesis = GenesisState {
        staking: Default::default(),
        l1: None,
        encryption: None,
        params,
        accounts: accounts
            .iter()
            .map(|(address, balance)| GenesisAccount {
                address: address.to_bech32(),
                balance: *balance,
            })
            .collect(),
    };
    MemState::from_genesis(&MACHINE, &genesis, CHAIN)
}

/// FinalizeBlock of the next height over `state` (nothing committed).
fn finalize(state: &MemState, txs: &[Vec<u8>]) -> FinalizedBlock {
    finalize_with(state, txs, &MACHINE)
}

/// [`finalize`] with signature checks through `machine`'s cache.
fn finalize_with(state: &MemState, txs: &[Vec<u8>], machine: &StateMachine) -> FinalizedBlock {
    machine
        .finalize_block(state, None, &BlockContext::at_height(state.height + 1), txs)
        .unwrap()
}

/// [`finalize_with`] of a block whose hash is `hash` (the next block's order
/// seed).
fn finalize_at(
    state: &MemState,
    txs: &[Vec<u8>],
    machine: &StateMachine,
    hash: [u8; 32],
) -> FinalizedBlock {
    let ctx = BlockContext {
        hash,
        ..BlockContext::at_height(state.height + 1)
    };
    machine.finalize_block(state, None, &ctx, txs).unwrap()
}

/// Commit of a block finalized over `state`.
fn commit(state: &mut MemState, block: &FinalizedBlock) {
    assert_eq!(block.height, state.height + 1);
    state.commit(block);
}

fn sequence(state: &MemState, address: &Address) -> u64 {
    state.account(address).unwrap().map_or(0, |a| a.sequence)
}

fn key(seed: u8) -> SigningKey {
    SigningKey::from_slice(&[seed; 32]).unwrap()
}

fn tx_params(account_number: u64, sequence: u64, fee: u128) -> SignerContext {
    SignerContext {
        chain_id: CHAIN.into(),
        account_number,
        sequence,
        fee_denom: DENOM.into(),
        fee,
        timeout_height: 0,
        memo: String::new(),
    }
}

fn signed(key: &SigningKey, params: &SignerContext, msgs: &[Msg]) -> Vec<u8> {
    sign_tx(key, params, msgs).unwrap()
}

fn blob(rollup: &str, data: &[u8]) -> Msg {
    Msg::submit_blob(Namespace::from_rollup_name(rollup), data.to_vec())
}

fn sha256(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

/// The commitment tx an honest proposer computes for a block whose user
/// transactions are `user_txs`, counting the blobs of *every* tx that decodes
/// (no size limit, no execution): what a sloppy proposer would commit to.
fn commitment_over(height: u64, user_txs: &[Vec<u8>]) -> Vec<u8> {
    let mut blobs = Vec::new();
    for (offset, bytes) in user_txs.iter().enumerate() {
        let Ok(tx) = decode(bytes, u64::MAX) else {
            continue;
        };
        for (msg_index, msg) in tx.messages.iter().enumerate() {
            if let Some(SubmitBlob { namespace, data }) = msg.as_any().downcast_ref() {
                blobs.push(Blob {
                    namespace: *namespace,
                    signer: tx.signer,
                    tx_hash: tx.hash,
                    tx_index: offset as u32 + 1,
                    msg_index: msg_index as u32,
                    data: data.clone(),
                });
            }
        }
    }
    NamespaceTree::build(height, &blobs).commitment().encode()
}

fn block_of(commitment: &[u8], user_txs: &[Vec<u8>]) -> Vec<Vec<u8>> {
    let mut block = vec![commitment.to_vec()];
    block.extend(user_txs.iter().cloned());
    block
}

/// A block's blobs without their tx index (which shifts when a tx is removed).
#[allow(clippy::type_complexity)]
fn blobs_without_index(blobs: &[Blob]) -> Vec<(Namespace, Address, [u8; 32], u32, Vec<u8>)> {
    blobs
        .iter()
        .map(|b| {
            (
                b.namespace,
                b.signer,
                b.tx_hash,
                b.msg_index,
                b.data.clone(),
            )
        })
        .collect()
}

/// A block's state writes but the height's blob record (which pins the blob
/// index, tx positions included, so it differs whenever a tx is removed) and
/// the block time.
fn account_writes(block: &FinalizedBlock) -> quire_app::ChangeSet {
    block
        .changes
        .iter()
        .filter(|(key, _)| {
            !key.starts_with(quire_app::blob::keys::COMMITMENT_PREFIX)
                && key.as_slice() != quire_app::chain::keys::BLOCK_TIME
                && key.as_slice() != quire_app::chain::keys::LAST_BLOCK_HASH
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// Two finalizations are the same in every respect.
fn assert_same_finalization(a: &FinalizedBlock, b: &FinalizedBlock, what: &str) {
    assert_eq!(a.height, b.height, "{what}: height");
    assert_eq!(a.txs, b.txs, "{what}: tx results");
    assert_eq!(a.changes, b.changes, "{what}: state changes");
    assert_eq!(a.blobs, b.blobs, "{what}: blobs");
    assert_eq!(a.app_hash, b.app_hash, "{what}: app hash");
    assert_eq!(
        format!("{:?}", a.commitment),
        format!("{:?}", b.commitment),
        "{what}: commitment"
    );
}

/// CometBFT's size of a block's txs: each is a `bytes` field of
/// `tendermint.types.Data` (tag, varint length, bytes) — what
/// `types.ComputeProtoSizeForTxs` counts and `Txs.Validate(max_tx_bytes)`
/// checks a PrepareProposal response against.
fn cometbft_proto_size(txs: &[Vec<u8>]) -> u64 {
    txs.iter().map(|tx| proto_len(tx.len())).sum()
}

/// One tx of `len` bytes as a field of `tendermint.types.Data`.
fn proto_len(len: usize) -> u64 {
    let mut rest = len as u64;
    let mut varint = 1;
    while rest >= 0x80 {
        rest >>= 7;
        varint += 1;
    }
    1 + varint + len as u64
}

// ---------------------------------------------------------------------------
// 1. Byzantine proposals.
// ---------------------------------------------------------------------------

fn byz_params() -> Params {
    quire_test_utils::small_params()
}

fn fee_for(blob_bytes: usize) -> u128 {
    100 + 2 * blob_bytes as u128
}

/// The accounts of the byzantine tests: alice (#0), bob (#1), carol (#2) are
/// rich, dave (#3) has 150; the stranger has no account. They take turns in
/// that order in the tests' blocks.
struct Cast {
    alice: SigningKey,
    bob: SigningKey,
    carol: SigningKey,
    dave: SigningKey,
    stranger: SigningKey,
}

/// `count` keys whose signers go in the order returned at the order seed of
/// these tests' blocks (zero: their contexts carry no block hash), so a
/// block written in that order is in the canonical order.
fn keys_in_turn_order(count: usize) -> Vec<SigningKey> {
    let mut keys = Vec::with_capacity(count);
    let mut last = None;
    for seed in 1..=u8::MAX {
        let rank = signer_rank(&[0; 32], &address_of(&key(seed)));
        if last.is_none_or(|last| rank > last) {
            keys.push(key(seed));
            last = Some(rank);
            if keys.len() == count {
                break;
            }
        }
    }
    keys
}

impl Cast {
    fn new() -> Self {
        let [alice, bob, carol, dave]: [SigningKey; 4] = keys_in_turn_order(4)
            .try_into()
            .unwrap_or_else(|_| panic!("four keys in turn order"));
        Cast {
            alice,
            bob,
            carol,
            dave,
            stranger: key(200),
        }
    }

    fn genesis(&self) -> MemState {
        genesis_state(
            byz_params(),
            &[
                (address_of(&self.alice), 1_000_000),
                (address_of(&self.bob), 1_000_000),
                (address_of(&self.carol), 1_000_000),
                (address_of(&self.dave), 150),
            ],
        )
    }

    /// A paying one-blob tx.
    fn blob_tx(key: &SigningKey, number: u64, sequence: u64, ns: &str, data: &[u8]) -> Vec<u8> {
        signed(
            key,
            &tx_params(number, sequence, fee_for(data.len())),
            &[blob(ns, data)],
        )
    }

    fn a0(&self) -> Vec<u8> {
        Self::blob_tx(&self.alice, 0, 0, "a", b"alice-0")
    }
    fn b0(&self) -> Vec<u8> {
        Self::blob_tx(&self.bob, 1, 0, "b", b"bob-0")
    }
    fn c0(&self) -> Vec<u8> {
        Self::blob_tx(&self.carol, 2, 0, "a", b"carol-0")
    }
}

type Check = Box<dyn Fn(&TxError) -> bool>;

fn is(expected: TxError) -> Check {
    Box::new(move |e| *e == expected)
}

/// One byzantine proposal: the valid txs with `bad` inserted at `bad_at`.
struct Case {
    name: &'static str,
    valid: Vec<Vec<u8>>,
    bad_at: usize,
    bad: Vec<u8>,
    expect: Check,
}

/// `s` of a low-S signature turned into `n - s`: the same signature in its
/// other (high-S) form, valid under plain ECDSA.
fn malleate_signature(tx: &[u8]) -> Vec<u8> {
    const N: [u8; 32] = [
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        0xFE, 0xBA, 0xAE, 0xDC, 0xE6, 0xAF, 0x48, 0xA0, 0x3B, 0xBF, 0xD2, 0x5E, 0x8C, 0xD0, 0x36,
        0x41, 0x41,
    ];
    let mut raw = TxRaw::decode(tx).unwrap();
    let sig = &mut raw.signatures[0];
    let s = sig[32..].to_vec();
    let mut borrow = 0i16;
    for i in (0..32).rev() {
        let d = N[i] as i16 - s[i] as i16 - borrow;
        borrow = i16::from(d < 0);
        sig[32 + i] = (d + if d < 0 { 256 } else { 0 }) as u8;
    }
    raw.encode_to_vec()
}

fn byzantine_cases(cast: &Cast) -> Vec<Case> {
    let (a0, b0, c0) = (cast.a0(), cast.b0(), cast.c0());
    let bob = address_of(&cast.bob).to_bech32();
    let mut cases = vec![
        Case {
            name: "a blob over max_blob_bytes (second message of a bundle)",
            valid: vec![a0.clone(), b0.clone()],
            bad_at: 1,
            bad: signed(
                &cast.carol,
                &tx_params(2, 0, fee_for(1011)),
                &[blob("c", &[1; 10]), blob("c", &[7; 1001])],
            ),
            expect: is(TxError::BlobTooLarge {
                index: 1,
                size: 1001,
                max: 1000,
            }),
        },
        Case {
            name: "blob bytes over max_block_blob_bytes",
            valid: vec![
                Cast::blob_tx(&cast.alice, 0, 0, "a", &[1; 900]),
                Cast::blob_tx(&cast.bob, 1, 0, "b", &[2; 900]),
                Cast::blob_tx(&cast.carol, 2, 0, "c", &[3; 900]),
            ],
            bad_at: 3,
            bad: Cast::blob_tx(&cast.alice, 0, 1, "a", &[4; 301]),
            expect: is(TxError::BlockBlobBudget {
                tx_bytes: 301,
                remaining: 300,
                max: 3000,
            }),
        },
        Case {
            name: "a flipped signature bit",
            valid: vec![a0.clone(), c0.clone()],
            bad_at: 1,
            bad: {
                let mut t = b0.clone();
                *t.last_mut().unwrap() ^= 1;
                t
            },
            expect: bob_bad_signature(),
        },
        Case {
            name: "signed for another account number",
            valid: vec![a0.clone(), c0.clone()],
            bad_at: 1,
            bad: signed(
                &cast.bob,
                &tx_params(0, 0, fee_for(5)),
                &[blob("b", b"bob-0")],
            ),
            expect: bob_bad_signature(),
        },
        Case {
            name: "a high-S (malleated) signature",
            valid: vec![a0.clone(), c0.clone()],
            bad_at: 1,
            bad: malleate_signature(&b0),
            expect: bob_bad_signature(),
        },
        Case {
            name: "zero fee",
            valid: vec![a0.clone(), c0.clone()],
            bad_at: 1,
            bad: signed(&cast.bob, &tx_params(1, 0, 0), &[blob("b", b"bob-0")]),
            expect: is(TxError::InsufficientFee {
                offered: 0,
                required: fee_for(5),
                denom: DENOM.into(),
            }),
        },
        Case {
            name: "fee one below the required fee",
            valid: vec![a0.clone(), c0.clone()],
            bad_at: 1,
            bad: signed(
                &cast.bob,
                &tx_params(1, 0, fee_for(5) - 1),
                &[blob("b", b"bob-0")],
            ),
            expect: is(TxError::InsufficientFee {
                offered: fee_for(5) - 1,
                required: fee_for(5),
                denom: DENOM.into(),
            }),
        },
        Case {
            name: "fee in another denom",
            valid: vec![a0.clone(), c0.clone()],
            bad_at: 1,
            bad: signed(
                &cast.bob,
                &SignerContext {
                    fee_denom: "uatom".into(),
                    ..tx_params(1, 0, 1_000)
                },
                &[blob("b", b"bob-0")],
            ),
            expect: is(TxError::WrongFeeDenom {
                expected: DENOM.into(),
                got: "uatom".into(),
            }),
        },
        Case {
            name: "a duplicated tx",
            valid: vec![a0.clone(), b0.clone(), c0.clone()],
            bad_at: 2,
            bad: a0.clone(),
            expect: is(TxError::Duplicate),
        },
        Case {
            name: "a sequence gap (first tx of the account)",
            valid: vec![a0.clone(), c0.clone()],
            bad_at: 1,
            bad: Cast::blob_tx(&cast.bob, 1, 1, "b", b"bob-1"),
            expect: is(TxError::SequenceGap {
                account: bob.clone(),
                expected: 0,
                got: 1,
            }),
        },
        Case {
            name: "a sequence gap after the account's own tx",
            valid: vec![a0.clone(), b0.clone(), c0.clone()],
            bad_at: 3,
            bad: Cast::blob_tx(&cast.bob, 1, 2, "b", b"bob-2"),
            expect: is(TxError::SequenceGap {
                account: bob.clone(),
                expected: 1,
                got: 2,
            }),
        },
        Case {
            name: "a replayed sequence (other content)",
            valid: vec![a0.clone(), b0.clone(), c0.clone()],
            bad_at: 2,
            bad: Cast::blob_tx(&cast.bob, 1, 0, "b", b"bob-0 again"),
            expect: is(TxError::SequenceReused {
                account: bob.clone(),
                expected: 1,
                got: 0,
            }),
        },
        Case {
            name: "a tx from an unknown account",
            valid: vec![a0.clone(), b0.clone()],
            bad_at: 1,
            bad: Cast::blob_tx(&cast.stranger, 0, 0, "s", b"hi"),
            expect: is(TxError::UnknownAccount(
                address_of(&cast.stranger).to_bech32(),
            )),
        },
        Case {
            name: "an account that cannot pay fee + send",
            valid: vec![a0.clone(), b0.clone()],
            bad_at: 2,
            bad: signed(
                &cast.dave,
                &tx_params(3, 0, fee_for(1)),
                &[
                    blob("d", b"x"),
                    Msg::send(address_of(&cast.alice), "uquire", 1_000),
                ],
            ),
            expect: is(TxError::InsufficientFunds {
                account: address_of(&cast.dave).to_bech32(),
                balance: 150,
                needed: fee_for(1) + 1_000,
            }),
        },
        Case {
            name: "a tx for another chain",
            valid: vec![a0.clone(), c0.clone()],
            bad_at: 1,
            bad: signed(
                &cast.bob,
                &SignerContext {
                    chain_id: "other-chain".into(),
                    ..tx_params(1, 0, fee_for(5))
                },
                &[blob("b", b"bob-0")],
            ),
            expect: is(TxError::WrongChainId {
                expected: CHAIN.into(),
                got: "other-chain".into(),
            }),
        },
        Case {
            name: "garbage bytes",
            valid: vec![a0.clone(), b0.clone()],
            bad_at: 1,
            bad: b"\xff\xffgarbage".to_vec(),
            expect: Box::new(|e| matches!(e, TxError::Decode(_))),
        },
        Case {
            name: "a truncated tx",
            valid: vec![a0.clone(), c0.clone()],
            bad_at: 1,
            bad: b0[..b0.len() - 1].to_vec(),
            expect: Box::new(|e| matches!(e, TxError::Decode(_))),
        },
    ];
    let memo_tx = signed(
        &cast.carol,
        &SignerContext {
            memo: "m".repeat(4000),
            ..tx_params(2, 0, fee_for(2))
        },
        &[blob("c", b"hi")],
    );
    assert!(memo_tx.len() > 4000);
    cases.push(Case {
        name: "a tx over max_tx_bytes",
        valid: vec![a0.clone(), b0.clone()],
        bad_at: 2,
        expect: is(TxError::TooLarge {
            size: memo_tx.len(),
            max: 4000,
        }),
        bad: memo_tx,
    });
    let valid = vec![a0.clone(), b0.clone()];
    cases.push(Case {
        name: "the commitment duplicated at position 1",
        bad: commitment_over(1, &valid),
        valid,
        bad_at: 0,
        expect: Box::new(|e| {
            matches!(
                e,
                TxError::Invalid(InvalidTx::SystemTx { kind: "commitment" })
            )
        }),
    });
    cases
}

/// The `BadSignature` of a tx claiming to be bob's (account number 1).
fn bob_bad_signature() -> Check {
    is(TxError::BadSignature {
        chain_id: CHAIN.into(),
        account_number: 1,
    })
}

#[test]
fn byzantine_transactions_are_rejected_whatever_the_commitment() {
    let cast = Cast::new();
    let cases = byzantine_cases(&cast);
    for case in &cases {
        let name = case.name;
        let state = cast.genesis();

        // The valid part alone is what an honest proposer builds, and is accepted.
        let valid_commitment = commitment_over(1, &case.valid);
        let prepared = prepare(&MACHINE, &state, 1, &case.valid, 1 << 30).unwrap();
        assert_eq!(
            prepared.chosen,
            (0..case.valid.len()).collect::<Vec<_>>(),
            "{name}"
        );
        assert_eq!(prepared.system_txs[0], valid_commitment, "{name}");
        let honest = block_of(&valid_commitment, &case.valid);
        assert_eq!(process(&MACHINE, &state, 1, &honest), Ok(()), "{name}");

        let mut user_txs = case.valid.clone();
        user_txs.insert(case.bad_at, case.bad.clone());
        let index = case.bad_at + 1;
        // Committing to the valid txs' blobs (so the commitment is not what is
        // caught) or recomputing it over every blob: rejected all the same.
        let all_blobs_commitment = commitment_over(1, &user_txs);
        for commitment in [&valid_commitment, &all_blobs_commitment] {
            match process(&MACHINE, &state, 1, &block_of(commitment, &user_txs)) {
                Err(ProposalError::Tx { index: i, error }) if i == index => {
                    assert!((case.expect)(&error), "{name}: wrong error {error:?}")
                }
                other => panic!("{name}: expected tx {index} to be rejected, got {other:?}"),
            }
        }

        // An honest proposer given the same candidates leaves the bad tx out.
        let prepared = prepare(&MACHINE, &state, 1, &user_txs, 1 << 30).unwrap();
        let picked: Vec<Vec<u8>> = prepared
            .chosen
            .iter()
            .map(|&i| user_txs[i].clone())
            .collect();
        assert_eq!(picked, case.valid, "{name}: prepare over the candidates");
        assert_eq!(prepared.system_txs[0], valid_commitment, "{name}");

        // FinalizeBlock of the bad block, as if > 1/3 byzantine got it through.
        let block = block_of(&valid_commitment, &user_txs);
        let first = finalize(&state, &block);
        assert_same_finalization(&first, &finalize(&state, &block), name);
        assert_same_finalization(&first, &finalize(&cast.genesis(), &block), name);
        assert_eq!(first.txs.len(), user_txs.len(), "{name}");
        for (i, outcome) in first.txs.iter().enumerate() {
            if i == case.bad_at {
                assert_eq!(outcome.hash, sha256(&case.bad), "{name}");
                match &outcome.result {
                    Err(e) => assert!((case.expect)(e), "{name}: finalize gave {e:?}"),
                    Ok(r) => panic!("{name}: finalize applied the bad tx: {r:?}"),
                }
            } else {
                assert!(outcome.result.is_ok(), "{name}: tx {i}: {outcome:?}");
            }
        }
        // The bad tx changed nothing: same writes and blobs as without it.
        let reference = finalize(&state, &honest);
        assert_eq!(
            account_writes(&first),
            account_writes(&reference),
            "{name}: writes"
        );
        assert_eq!(
            blobs_without_index(&first.blobs),
            blobs_without_index(&reference.blobs),
            "{name}: blobs"
        );
        if case.bad_at == case.valid.len() {
            assert_eq!(first.app_hash, reference.app_hash, "{name}: app hash");
        }
        let commitment = first.commitment.as_ref().expect("tx 0 is a commitment");
        assert!(commitment.matches_blobs, "{name}");
        // With the over-all-blobs commitment, finalize flags the mismatch (if
        // the bad tx carried blobs) but executes the same way.
        let sloppy = finalize(&state, &block_of(&all_blobs_commitment, &user_txs));
        assert_eq!(
            account_writes(&sloppy),
            account_writes(&reference),
            "{name}"
        );
        assert_eq!(
            sloppy.commitment.as_ref().unwrap().matches_blobs,
            all_blobs_commitment == valid_commitment,
            "{name}"
        );
    }
    assert_eq!(cases.len(), 19);
}

#[test]
fn wrong_missing_or_misplaced_commitments_are_rejected() {
    let cast = Cast::new();
    let state = cast.genesis();
    let valid = vec![cast.a0(), cast.b0(), cast.c0()];
    let good = commitment_over(1, &valid);
    assert_eq!(good.len(), COMMITMENT_TX_LEN);
    assert_eq!(
        process(&MACHINE, &state, 1, &block_of(&good, &valid)),
        Ok(())
    );
    let expected = NamespaceCommitment::decode(&good).unwrap();
    assert_eq!(expected.namespace_count, 2);

    let mismatch = |bytes: &[u8], what: &str| {
        let got = NamespaceCommitment::decode(bytes).unwrap();
        assert_ne!(got, expected, "{what}");
        assert_eq!(
            process(&MACHINE, &state, 1, &block_of(bytes, &valid)),
            Err(ProposalError::SystemTx {
                index: 0,
                kind: "commitment",
                error: SystemTxError::CommitmentMismatch {
                    expected: Box::new(expected),
                    got: Box::new(got),
                },
            }),
            "{what}"
        );
    };
    // The commitment of other blobs: a subset, or the same blobs reordered.
    mismatch(&commitment_over(1, &valid[..1]), "subset of the blobs");
    mismatch(&commitment_over(1, &valid[1..]), "other subset");
    let reordered = vec![valid[2].clone(), valid[1].clone(), valid[0].clone()];
    mismatch(&commitment_over(1, &reordered), "blobs in another order");
    mismatch(&commitment_over(1, &[]), "an empty block's commitment");
    // The commitment of the same blobs at another height.
    for height in [0, 2, u64::MAX] {
        mismatch(&commitment_over(height, &valid), "another height");
    }
    // A flipped bit in the root, the count or the height.
    let root_at = COMMITMENT_TX_LEN - 32;
    for byte in [root_at, root_at + 13, COMMITMENT_TX_LEN - 1] {
        for bit in [0, 3, 7] {
            let mut c = good.clone();
            c[byte] ^= 1 << bit;
            mismatch(&c, "flipped root bit");
        }
    }
    let mut c = good.clone();
    c[root_at - 1] ^= 1; // namespace count 2 -> 3
    mismatch(&c, "flipped count bit");
    let mut c = good.clone();
    c[root_at - 5] ^= 1; // height 1 -> 0
    mismatch(&c, "flipped height bit");

    // Malformed: truncated, extended, or no namespaces with a non-empty root.
    let malformed = |bytes: &[u8], what: &str| {
        let got = process(&MACHINE, &state, 1, &block_of(bytes, &valid));
        assert!(
            matches!(
                got,
                Err(ProposalError::SystemTx {
                    index: 0,
                    error: SystemTxError::Malformed(_),
                    ..
                })
            ),
            "{what}: {got:?}"
        );
    };
    let mut c = good.clone();
    c.pop();
    malformed(&c, "truncated by one byte");
    malformed(&good[..COMMITMENT_TX_LEN - 32], "truncated to its header");
    let mut c = good.clone();
    c.push(0);
    malformed(&c, "one byte too long");
    let mut c = good.clone();
    c[root_at - 4..root_at].copy_from_slice(&0u32.to_be_bytes());
    malformed(&c, "zero namespaces with a non-empty root");

    // Missing: none at all, a damaged prefix, or not at position 0.
    let missing = |block: &[Vec<u8>], what: &str| {
        assert_eq!(
            process(&MACHINE, &state, 1, block),
            Err(ProposalError::MissingSystemTx { kind: "commitment" }),
            "{what}"
        );
    };
    missing(&valid, "no commitment");
    missing(&Vec::<Vec<u8>>::new(), "empty proposal");
    let mut c = good.clone();
    c[0] ^= 1;
    missing(&block_of(&c, &valid), "damaged prefix");
    missing(
        &[
            valid[0].clone(),
            good.clone(),
            valid[1].clone(),
            valid[2].clone(),
        ],
        "commitment at position 1",
    );
    let mut at_end = valid.clone();
    at_end.push(good.clone());
    missing(&at_end, "commitment last");
    // Duplicated at position 1 (after a good one): the copy is a bad user tx.
    let mut twice = block_of(&good, &valid);
    twice.insert(1, good.clone());
    match process(&MACHINE, &state, 1, &twice) {
        Err(ProposalError::Tx {
            index: 1,
            error: TxError::Invalid(_),
        }) => {}
        other => panic!("duplicated commitment: {other:?}"),
    }

    // An empty block needs the empty commitment, and only that.
    let empty = commitment_over(1, &[]);
    assert_eq!(
        process(&MACHINE, &state, 1, std::slice::from_ref(&empty)),
        Ok(())
    );
    assert!(matches!(
        process(&MACHINE, &state, 1, std::slice::from_ref(&good)),
        Err(ProposalError::SystemTx {
            index: 0,
            error: SystemTxError::CommitmentMismatch { .. },
            ..
        })
    ));
}

#[test]
fn finalize_of_a_block_with_a_bad_commitment_is_deterministic_and_flags_it() {
    let cast = Cast::new();
    let state = cast.genesis();
    let valid = vec![cast.a0(), cast.b0(), cast.c0()];
    let good = commitment_over(1, &valid);
    let honest = finalize(&state, &block_of(&good, &valid));
    assert!(honest.commitment.as_ref().unwrap().matches_blobs);

    // A wrong commitment (of another height): txs execute as in the honest
    // block, the commitment is kept as it is in the block and flagged.
    let wrong = commitment_over(2, &valid);
    let block = block_of(&wrong, &valid);
    let first = finalize(&state, &block);
    assert_same_finalization(&first, &finalize(&state, &block), "wrong commitment");
    assert_same_finalization(
        &first,
        &finalize(&cast.genesis(), &block),
        "wrong commitment",
    );
    assert_eq!(first.txs, honest.txs);
    assert_eq!(account_writes(&first), account_writes(&honest));
    assert_eq!(first.blobs, honest.blobs);
    let c = first.commitment.as_ref().unwrap();
    assert!(!c.matches_blobs);
    assert_eq!(c.tx, wrong);
    // The app hash does not cover tx 0 (the header's data hash does).
    assert_eq!(first.app_hash, honest.app_hash);

    // No commitment: every tx is a user tx, indexed from 0.
    let first = finalize(&state, &valid);
    assert_same_finalization(&first, &finalize(&cast.genesis(), &valid), "no commitment");
    assert!(first.commitment.is_none());
    assert!(first.txs.iter().all(|t| t.result.is_ok()));
    assert_eq!(account_writes(&first), account_writes(&honest));
    assert_eq!(first.blobs[0].tx_index, 0);
    assert_ne!(first.app_hash, honest.app_hash, "blob positions differ");

    // A commitment at position 1: it is a failing user tx, the rest applies.
    let block = vec![
        valid[0].clone(),
        good.clone(),
        valid[1].clone(),
        valid[2].clone(),
    ];
    let first = finalize(&state, &block);
    assert_same_finalization(&first, &finalize(&cast.genesis(), &block), "misplaced");
    assert!(first.commitment.is_none());
    assert!(matches!(first.txs[1].result, Err(TxError::Invalid(_))));
    assert_eq!(first.txs[1].hash, sha256(&good));
    assert_eq!(account_writes(&first), account_writes(&honest));
}

/// The proposer chooses which txs go in, never where: of every order of one
/// set of valid txs exactly one is accepted, the canonical one for the
/// previous block's hash; putting one's own tx ahead of a victim's is
/// rejected though every tx is valid.
#[test]
fn only_the_canonical_order_of_user_txs_is_accepted() {
    let cast = Cast::new();
    let mut state = cast.genesis();
    // Height 1: the order seed is zero, in which the cast takes turns in
    // cast order.
    let valid = vec![cast.a0(), cast.b0(), cast.c0()];
    let commitment = commitment_over(1, &valid);
    assert_eq!(
        process(&MACHINE, &state, 1, &block_of(&commitment, &valid)),
        Ok(())
    );
    // Carol's tx ahead of Alice's (the victim): rejected for its order.
    let front_run = vec![cast.c0(), cast.a0(), cast.b0()];
    assert!(matches!(
        process(
            &MACHINE,
            &state,
            1,
            &block_of(&commitment_over(1, &front_run), &front_run)
        ),
        Err(ProposalError::Order {
            first_user_tx: 1,
            error: quire_core::order::OrderError::Turn {
                position: 1,
                round: 0,
                follows: 0
            },
        })
    ));
    let block = finalize_at(&state, &block_of(&commitment, &valid), &MACHINE, [7; 32]);
    commit(&mut state, &block);

    // Height 2: the seed is block 1's hash; each signer's next tx.
    let next = [
        Cast::blob_tx(&cast.alice, 0, 1, "a", b"alice-1"),
        Cast::blob_tx(&cast.bob, 1, 1, "b", b"bob-1"),
        Cast::blob_tx(&cast.carol, 2, 1, "a", b"carol-1"),
    ];
    let keyed: Vec<(Address, u64)> = next
        .iter()
        .map(|t| {
            let tx = decode(t, u64::MAX).unwrap();
            (tx.signer, tx.sequence)
        })
        .collect();
    let canonical: Vec<Vec<u8>> = quire_core::order::canonical_positions(&[7; 32], &keyed)
        .into_iter()
        .map(|i| next[i].clone())
        .collect();
    let prepared = prepare(&MACHINE, &state, 2, &next, 1 << 30).unwrap();
    assert_eq!(
        prepared.txs(&next)[1..],
        canonical[..],
        "prepare builds the canonical order"
    );
    let mut accepted = Vec::new();
    for permutation in [
        [0, 1, 2],
        [0, 2, 1],
        [1, 0, 2],
        [1, 2, 0],
        [2, 0, 1],
        [2, 1, 0],
    ] {
        let txs: Vec<Vec<u8>> = permutation.iter().map(|&i| next[i].clone()).collect();
        match process(
            &MACHINE,
            &state,
            2,
            &block_of(&commitment_over(2, &txs), &txs),
        ) {
            Ok(()) => accepted.push(txs),
            Err(ProposalError::Order { .. }) => {}
            other => panic!("{permutation:?}: {other:?}"),
        }
    }
    assert_eq!(accepted, vec![canonical]);
}

#[test]
fn replays_and_timeouts_across_blocks_are_rejected() {
    let cast = Cast::new();
    let mut state = cast.genesis();
    let a0 = cast.a0();
    let one = std::slice::from_ref(&a0);
    let block1 = block_of(&commitment_over(1, one), one);
    assert_eq!(process(&MACHINE, &state, 1, &block1), Ok(()));
    let finalized = finalize(&state, &block1);
    commit(&mut state, &finalized);

    let alice = address_of(&cast.alice).to_bech32();
    let reused = TxError::SequenceReused {
        account: alice,
        expected: 1,
        got: 0,
    };
    // The very same tx again in the next block: a replay, not a duplicate
    // (duplicates are per block), and rejected whatever the commitment.
    let other = Cast::blob_tx(&cast.alice, 0, 0, "a", b"alice-0 again");
    let expired = signed(
        &cast.alice,
        &SignerContext {
            timeout_height: 1,
            ..tx_params(0, 1, fee_for(3))
        },
        &[blob("a", b"old")],
    );
    let b0 = cast.b0();
    for (bad, expected) in [
        (a0.clone(), reused.clone()),
        (other, reused),
        (
            expired,
            TxError::TimedOut {
                timeout_height: 1,
                height: 2,
            },
        ),
    ] {
        let user = vec![b0.clone(), bad.clone()];
        for commitment in [commitment_over(2, &user[..1]), commitment_over(2, &user)] {
            assert_eq!(
                process(&MACHINE, &state, 2, &block_of(&commitment, &user)),
                Err(ProposalError::Tx {
                    index: 2,
                    error: expected.clone()
                })
            );
        }
        let finalized = finalize(&state, &block_of(&commitment_over(2, &user[..1]), &user));
        assert_eq!(finalized.txs[1].result, Err(expected));
        let prepared = prepare(&MACHINE, &state, 2, &user, 1 << 20).unwrap();
        assert_eq!(prepared.chosen, vec![0]);
    }
}

// ---------------------------------------------------------------------------
// 2. Coherence of honest proposals: a property test over random mempools.
// ---------------------------------------------------------------------------

/// One account of a random world.
struct Submitter {
    key: SigningKey,
    number: u64,
    /// Makes mistakes: gaps, low fees, wrong chain or account number, bad
    /// denom, oversize blobs or txs. A clean one only repeats itself (and may
    /// run out of funds, or be too slow for its timeout).
    messy: bool,
}

struct World {
    rng: Rng,
    params: Params,
    namespaces: Vec<Namespace>,
    submitters: Vec<Submitter>,
    addresses: Vec<Address>,
    genesis: Vec<(Address, u128)>,
    block_max: u64,
}

impl World {
    fn new(seed: u64) -> World {
        let mut rng = Rng::new(seed);
        let max_blob_bytes = rng.range(64, 512);
        let params = Params {
            base_fee: u128::from(rng.range(1, 200)),
            fee_per_blob_byte: u128::from(rng.below(4)),
            max_blob_bytes,
            // From one blob's worth (binds often) to many.
            max_block_blob_bytes: if rng.percent(50) {
                rng.range(max_blob_bytes, max_blob_bytes * 4)
            } else {
                rng.range(max_blob_bytes * 4, max_blob_bytes * 64)
            },
            max_tx_bytes: if rng.percent(15) {
                rng.range(max_blob_bytes + 1, max_blob_bytes + 400)
            } else {
                rng.range((max_blob_bytes + 1).max(1000), 4000)
            },
            ..Params::default()
        };
        params.validate().unwrap();
        let namespaces: Vec<Namespace> = (0..rng.range(1, 5))
            .map(|i| Namespace::from_rollup_name(&format!("rollup-{seed}-{i}")))
            .collect();
        let submitters: Vec<Submitter> = (0..rng.range(1, 6))
            .map(|number| Submitter {
                key: rng.key(),
                number,
                messy: rng.percent(30),
            })
            .collect();
        let addresses: Vec<Address> = submitters.iter().map(|s| address_of(&s.key)).collect();
        let genesis: Vec<(Address, u128)> = addresses
            .iter()
            .map(|a| {
                let balance = if rng.percent(70) {
                    rng.range(1_000_000, 1_000_000_000)
                } else {
                    rng.below(3_000) // a few txs' worth, or none
                };
                (*a, u128::from(balance))
            })
            .collect();
        // From room for the commitment alone to far more than the mempool.
        let block_max = match rng.below(20) {
            0 => rng.range(COMMITMENT_TX_LEN as u64, 600),
            1..=9 => rng.range(600, 4_000),
            10..=17 => rng.range(4_000, 30_000),
            _ => 1 << 20,
        };
        World {
            rng,
            params,
            namespaces,
            submitters,
            addresses,
            genesis,
            block_max,
        }
    }

    /// One tx of submitter `who` with `sequence` (which a messy submitter may
    /// spoil in one of many ways).
    fn tx(&mut self, who: usize, sequence: u64) -> Vec<u8> {
        let rng = &mut self.rng;
        let params = &self.params;
        let submitter = &self.submitters[who];
        let messy = submitter.messy;
        let mut msgs = Vec::new();
        let mut blob_bytes = 0u64;
        let blobs = if rng.percent(5) { 0 } else { rng.range(1, 3) };
        for _ in 0..blobs {
            let len = if messy && rng.percent(4) {
                params.max_blob_bytes + rng.range(1, 50) // oversize
            } else {
                rng.range(1, 300.min(params.max_blob_bytes))
            };
            blob_bytes += len;
            msgs.push(Msg::submit_blob(
                *rng.pick(&self.namespaces),
                rng.bytes(len as usize),
            ));
        }
        if blobs == 0 || rng.percent(8) {
            let to = if rng.percent(70) {
                *rng.pick(&self.addresses)
            } else {
                Address::new(rng.bytes(20).try_into().unwrap()) // a new account
            };
            msgs.push(Msg::send(to, "uquire", u128::from(rng.range(1, 5_000))));
        }
        let required = params.fee_for(blob_bytes).unwrap();
        let fee = if messy && rng.percent(8) {
            required.saturating_sub(1 + u128::from(rng.below(50))) // too low
        } else {
            required + u128::from(rng.below(50))
        };
        let mut tx = tx_params(submitter.number, sequence, fee);
        if messy && rng.percent(4) {
            tx.chain_id = "other-chain".into();
        }
        if messy && rng.percent(4) {
            tx.account_number += rng.range(1, 5); // bad signature
        }
        if messy && rng.percent(3) {
            tx.fee_denom = "uatom".into();
        }
        if rng.percent(3) {
            tx.timeout_height = rng.range(1, 6);
        }
        if messy && rng.percent(4) {
            tx.memo = "m".repeat(rng.below(1500) as usize); // maybe too large
        }
        signed(&submitter.key, &tx, &msgs)
    }

    /// `count` txs of submitter `who` from `first_sequence` on: mostly
    /// consecutive, a messy one skipping ahead now and then; some replays of
    /// sequences already used, some sent twice.
    fn txs(&mut self, who: usize, first_sequence: u64, count: u64, out: &mut Vec<Vec<u8>>) {
        let mut next_sequence = first_sequence;
        let mut used: Vec<u64> = Vec::new();
        for _ in 0..count {
            let roll = self.rng.below(100);
            let sequence = if self.submitters[who].messy && roll < 8 {
                next_sequence += self.rng.range(1, 3); // a gap
                next_sequence += 1;
                next_sequence - 1
            } else if roll >= 94 && !used.is_empty() {
                *self.rng.pick(&used) // a replay
            } else {
                next_sequence += 1;
                next_sequence - 1
            };
            used.push(sequence);
            let bytes = self.tx(who, sequence);
            if self.rng.percent(3) {
                out.push(bytes.clone()); // the same bytes twice
            }
            out.push(bytes);
        }
    }

    /// Junk a node's mempool should never hold, but a proposer must survive.
    fn junk(&mut self, mempool: &[Vec<u8>]) -> Vec<u8> {
        let rng = &mut self.rng;
        match rng.below(5) {
            0 => {
                let n = rng.below(200) as usize;
                rng.bytes(n)
            }
            1 if !mempool.is_empty() => {
                let t = rng.pick(mempool).clone();
                t[..rng.below(t.len() as u64) as usize].to_vec()
            }
            2 if !mempool.is_empty() => {
                let mut t = rng.pick(mempool).clone();
                let i = rng.below(t.len() as u64) as usize;
                t[i] ^= 1 << rng.below(8);
                t
            }
            3 => NamespaceTree::build(rng.range(1, 6), &[])
                .commitment()
                .encode(),
            _ => {
                let stranger = rng.key();
                signed(
                    &stranger,
                    &tx_params(0, 0, 10_000),
                    &[Msg::submit_blob(self.namespaces[0], b"who am i".to_vec())],
                )
            }
        }
    }

    /// The first mempool: 0-30 txs per submitter and some junk, shuffled.
    fn mempool(&mut self) -> Vec<Vec<u8>> {
        let mut mempool = Vec::new();
        for who in 0..self.submitters.len() {
            let count = self.rng.below(31);
            self.txs(who, 0, count, &mut mempool);
        }
        for _ in 0..self.rng.below(6) {
            let junk = self.junk(&mempool);
            mempool.push(junk);
        }
        self.rng.shuffle(&mut mempool);
        mempool
    }

    /// After a block, some submitters send more, continuing from their
    /// committed sequence (as a client that resyncs does); arrival order
    /// appends them after what is already waiting.
    fn top_up(&mut self, state: &MemState, mempool: &mut Vec<Vec<u8>>) {
        let mut fresh = Vec::new();
        for who in 0..self.submitters.len() {
            if self.rng.percent(50) {
                let sequence = sequence(state, &self.addresses[who]);
                let count = self.rng.range(1, 6);
                self.txs(who, sequence, count, &mut fresh);
            }
        }
        if self.rng.percent(20) {
            let junk = self.junk(mempool);
            fresh.push(junk);
        }
        self.rng.shuffle(&mut fresh);
        mempool.extend(fresh);
    }
}

/// What the run of one seed saw, to check the generator exercises the app.
#[derive(Default, Debug)]
struct Stats {
    /// Blocks built, and those with no user tx.
    blocks: u64,
    empty_blocks: u64,
    /// User txs included, and those in the later half of the heights.
    included: u64,
    late_included: u64,
    /// Accounts whose next tx was unambiguous after a block, and why it was
    /// rightly left out: no room, no blob budget, or it fails.
    maximality_checked: u64,
    bytes_bound: u64,
    budget_bound: u64,
    next_tx_invalid: u64,
    /// Signature checks node A's cache answered.
    sig_cache_hits: u64,
    /// Honest blocks with two signers' txs swapped, all rejected.
    reorders_rejected: u64,
}

const BLOCKS_PER_SEED: u64 = 8;

fn coherence_run(seed: u64, stats: &mut Stats) {
    let mut world = World::new(seed);
    let mut node_a = genesis_state(world.params.clone(), &world.genesis);
    let mut node_b = genesis_state(world.params.clone(), &world.genesis);
    // Node A runs like a node: one signature cache for CheckTx (the recheck)
    // and its blocks, small enough to evict; node B verifies every time. They
    // must agree on everything.
    let machine_a = machine_with_cache(64);
    let machine_b = machine_with_cache(0);
    let mut mempool = world.mempool();
    // Half the runs keep the whole leftover mempool (stale txs and junk stay
    // candidates); half drop what CometBFT's recheck would.
    let recheck = world.rng.percent(50);
    let params = world.params.clone();
    let params = &params;

    for _ in 0..BLOCKS_PER_SEED {
        let height = node_a.height + 1;
        let at = format!("seed {seed}, height {height}");

        let prepared = prepare(&machine_a, &node_a, height, &mempool, world.block_max).unwrap();
        assert_eq!(
            prepare(&machine_b, &node_b, height, &mempool, world.block_max).unwrap(),
            prepared,
            "{at}: prepare is deterministic"
        );
        let unique: BTreeSet<usize> = prepared.chosen.iter().copied().collect();
        assert_eq!(unique.len(), prepared.chosen.len(), "{at}: chosen twice");
        assert!(prepared.chosen.iter().all(|&i| i < mempool.len()), "{at}");
        let chosen_txs: Vec<Vec<u8>> = prepared
            .chosen
            .iter()
            .map(|&i| mempool[i].clone())
            .collect();
        let block = block_of(&prepared.system_txs[0], &chosen_txs);
        let raw: u64 = block.iter().map(|t| t.len() as u64).sum();
        let total = cometbft_proto_size(&block);
        assert!(
            raw < total && total <= world.block_max,
            "{at}: {raw} bytes, {total} by CometBFT's count, limit {}",
            world.block_max
        );

        // Another node accepts it (and so does the proposer).
        assert_eq!(process(&machine_b, &node_b, height, &block), Ok(()), "{at}");
        assert_eq!(process(&machine_a, &node_a, height, &block), Ok(()), "{at}");

        // The canonical order is the only one: swapping two neighbours of
        // different signers is rejected (for order, or because a tx no
        // longer executes where it lands).
        let user_signers: Vec<Address> = chosen_txs
            .iter()
            .map(|t| decode(t, params.max_tx_bytes).unwrap().signer)
            .collect();
        for i in (1..user_signers.len())
            .filter(|&i| user_signers[i - 1] != user_signers[i])
            .take(3)
        {
            let mut swapped = chosen_txs.clone();
            swapped.swap(i - 1, i);
            let reordered = block_of(&prepared.system_txs[0], &swapped);
            match process(&machine_b, &node_b, height, &reordered) {
                Err(ProposalError::Order { .. }) | Err(ProposalError::Tx { .. }) => {
                    stats.reorders_rejected += 1
                }
                other => panic!("{at}: user txs {} and {i} swapped: {other:?}", i - 1),
            }
        }

        // Each block has its own hash, so each next block its own order seed.
        let hash = sha256(format!("block {seed} {height}").as_bytes());
        let fa = finalize_at(&node_a, &block, &machine_a, hash);
        let fb = finalize_at(&node_b, &block, &machine_b, hash);
        assert_same_finalization(&fa, &fb, &at);
        for (i, outcome) in fa.txs.iter().enumerate() {
            assert!(
                outcome.result.is_ok(),
                "{at}: chosen tx {i} failed: {outcome:?}"
            );
        }
        assert!(fa.commitment.as_ref().unwrap().matches_blobs, "{at}");

        // Per account, sequences consecutive from the account's sequence;
        // the block's blobs are exactly the chosen txs' blobs, in order.
        let decoded: Vec<DecodedTx> = chosen_txs
            .iter()
            .map(|t| decode(t, params.max_tx_bytes).unwrap())
            .collect();
        let mut next: BTreeMap<Address, u64> = BTreeMap::new();
        let mut expected_blobs = Vec::new();
        let mut recipients = BTreeSet::new();
        let mut blob_bytes = 0;
        for tx in &decoded {
            let expected = next
                .entry(tx.signer)
                .or_insert_with(|| sequence(&node_a, &tx.signer));
            assert_eq!(tx.sequence, *expected, "{at}: sequence of {}", tx.signer);
            *expected += 1;
            blob_bytes += tx_blob_bytes(tx);
            for SubmitBlob { namespace, data } in tx.messages_of::<SubmitBlob>() {
                expected_blobs.push((*namespace, tx.signer, data.clone()));
            }
            for Send { to, .. } in tx.messages_of::<Send>() {
                recipients.insert(*to);
            }
        }
        let blobs: Vec<_> = fa
            .blobs
            .iter()
            .map(|b| (b.namespace, b.signer, b.data.clone()))
            .collect();
        assert_eq!(blobs, expected_blobs, "{at}: blobs");
        assert!(blob_bytes <= params.max_block_blob_bytes, "{at}");

        commit(&mut node_a, &fa);
        commit(&mut node_b, &fb);
        assert_eq!(node_a.data, node_b.data, "{at}: committed state");
        assert_eq!(node_a.app_hash, node_b.app_hash, "{at}");

        let mut leftover = Vec::with_capacity(mempool.len());
        for (i, tx) in mempool.into_iter().enumerate() {
            if !unique.contains(&i) {
                leftover.push(tx);
            }
        }
        mempool = leftover;

        // Nothing includable was left out: for every account whose next tx is
        // unambiguous, appending it would fail or not fit.
        let remaining_bytes = world.block_max - total;
        let remaining_budget = params.max_block_blob_bytes - blob_bytes;
        // One tx on its own over node A's state, as this block would have
        // checked it: CheckTx over committed state at this height.
        let alone = |bytes: &[u8]| MACHINE.check_tx(&mut CheckState::new(), &node_a, height, bytes);
        let mut by_signer: BTreeMap<Address, Vec<(DecodedTx, &[u8])>> = BTreeMap::new();
        for bytes in &mempool {
            if let Ok(tx) = decode(bytes, params.max_tx_bytes) {
                by_signer
                    .entry(tx.signer)
                    .or_default()
                    .push((tx, bytes.as_slice()));
            }
        }
        for (signer, txs) in &by_signer {
            let Some(account) = node_a.account(signer).unwrap() else {
                continue;
            };
            if recipients.contains(signer) {
                continue; // a tx that could not pay may pay now
            }
            // A stale lower-sequence candidate failing for another reason than
            // its sequence makes PrepareProposal give up on the account.
            let stale_blocks = txs.iter().any(|(tx, bytes)| {
                tx.sequence < account.sequence
                    && (proto_len(tx.size) > remaining_bytes
                        || tx_blob_bytes(tx) > remaining_budget
                        || !matches!(alone(bytes), Err(TxError::SequenceReused { .. })))
            });
            // Every candidate for the account's next sequence was tried
            // (PrepareProposal moves on to another candidate for the same
            // sequence when one fails) unless one did not fit.
            let next: BTreeMap<[u8; 32], &(DecodedTx, &[u8])> = txs
                .iter()
                .filter(|(tx, _)| tx.sequence == account.sequence)
                .map(|entry| (entry.0.hash, entry))
                .collect();
            let fits = |tx: &DecodedTx| proto_len(tx.size) <= remaining_bytes;
            if stale_blocks
                || next.is_empty()
                || (next.len() > 1 && !next.values().all(|(t, _)| fits(t)))
            {
                continue;
            }
            stats.maximality_checked += 1;
            for (tx, bytes) in next.values() {
                if !fits(tx) {
                    stats.bytes_bound += 1;
                } else if tx_blob_bytes(tx) > remaining_budget {
                    stats.budget_bound += 1;
                } else {
                    let result = alone(bytes);
                    assert!(
                        result.is_err(),
                        "{at}: prepare left out includable tx {} (sequence {} of {signer})",
                        hex::encode(tx.hash),
                        tx.sequence
                    );
                    stats.next_tx_invalid += 1;
                }
            }
        }

        if std::env::var("QUIRE_BYZANTINE_TRACE").is_ok() {
            eprintln!(
                "{at}: chosen {} of {} (block_max {}, budget {}, max_tx {}), {} blob bytes, {total} bytes",
                decoded.len(),
                mempool.len() + decoded.len(),
                world.block_max,
                params.max_block_blob_bytes,
                params.max_tx_bytes,
                blob_bytes
            );
        }
        stats.blocks += 1;
        stats.empty_blocks += u64::from(decoded.is_empty());
        if height > BLOCKS_PER_SEED / 2 {
            stats.late_included += decoded.len() as u64;
        }
        stats.included += decoded.len() as u64;
        if recheck {
            // CometBFT's recheck after Commit: the leftover mempool through
            // CheckTx again, in order, over the new state; failures dropped.
            let mut check = CheckState::new();
            mempool.retain(|tx| {
                machine_a
                    .check_tx(&mut check, &node_a, height + 1, tx)
                    .is_ok()
            });
        }
        world.top_up(&node_a, &mut mempool);
    }
    stats.sig_cache_hits += machine_a.sig_cache().stats().hits;
}

/// 200 seeds × 8 heights. `QUIRE_BYZANTINE_SEED=n` runs seed n alone;
/// `QUIRE_BYZANTINE_TRACE=1` prints each block (with `--nocapture`).
#[test]
fn honest_proposals_are_accepted_and_finalized_identically() {
    let seeds: Vec<u64> = match std::env::var("QUIRE_BYZANTINE_SEED") {
        Ok(seed) => vec![seed.parse().expect("QUIRE_BYZANTINE_SEED is a u64")],
        Err(_) => (0..200).collect(),
    };
    let mut stats = Stats::default();
    for &seed in &seeds {
        let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            coherence_run(seed, &mut stats)
        }));
        if let Err(panic) = run {
            eprintln!("coherence failed for seed {seed} (rerun: QUIRE_BYZANTINE_SEED={seed})");
            std::panic::resume_unwind(panic);
        }
    }
    eprintln!("coherence: {} seeds, {stats:?}", seeds.len());
    if seeds.len() > 1 {
        // The generator reaches the interesting cases.
        assert_eq!(stats.blocks, BLOCKS_PER_SEED * seeds.len() as u64);
        assert!(stats.included >= 3_000, "{stats:?}");
        assert!(stats.late_included >= 1_000, "{stats:?}");
        assert!(stats.next_tx_invalid >= 100, "{stats:?}");
        assert!(stats.budget_bound >= 100, "{stats:?}");
        assert!(stats.bytes_bound >= 100, "{stats:?}");
        assert!(stats.sig_cache_hits >= 3_000, "{stats:?}");
        assert!(stats.reorders_rejected >= 1_000, "{stats:?}");
    }
}

// ---------------------------------------------------------------------------
// 3. Fairness.
// ---------------------------------------------------------------------------

struct Flood {
    state: MemState,
    flood: Vec<Vec<u8>>,
    small: Vec<Vec<Vec<u8>>>,
    tx_len: usize,
}

/// One account with 200 txs, then three accounts with 3 txs each.
fn flood() -> Flood {
    let flooder = key(20);
    let smalls = [key(21), key(22), key(23)];
    let mut accounts = vec![(address_of(&flooder), 1_000_000_000)];
    accounts.extend(smalls.iter().map(|k| (address_of(k), 1_000_000_000)));
    let state = genesis_state(Params::default(), &accounts);
    let fee = Params::default().fee_for(100).unwrap();
    let flood: Vec<Vec<u8>> = (0..200)
        .map(|s| {
            signed(
                &flooder,
                &tx_params(0, s, fee),
                &[blob("flood", &[s as u8; 100])],
            )
        })
        .collect();
    let small: Vec<Vec<Vec<u8>>> = smalls
        .iter()
        .enumerate()
        .map(|(i, k)| {
            (0..3)
                .map(|s| {
                    signed(
                        k,
                        &tx_params(i as u64 + 1, s, fee),
                        &[blob(&format!("small-{i}"), &[s as u8; 100])],
                    )
                })
                .collect()
        })
        .collect();
    let tx_len = flood
        .iter()
        .chain(small.iter().flatten())
        .map(Vec::len)
        .max()
        .unwrap();
    Flood {
        state,
        flood,
        small,
        tx_len,
    }
}

#[test]
fn prepare_is_fair_to_small_accounts_behind_a_flood() {
    let f = flood();
    // The flood first, then the small accounts' txs: account by account, or
    // interleaved and in reverse (as a gossiping mempool might deliver them).
    let mut in_order = f.flood.clone();
    in_order.extend(f.small.iter().flatten().cloned());
    let mut shuffled = f.flood.clone();
    for s in (0..3).rev() {
        for account in &f.small {
            shuffled.push(account[s].clone());
        }
    }
    let max = (COMMITMENT_TX_LEN + 20 * f.tx_len + f.tx_len / 2) as u64;
    for candidates in [in_order, shuffled] {
        let prepared = prepare(&MACHINE, &f.state, 1, &candidates, max).unwrap();
        let picked: Vec<&Vec<u8>> = prepared.chosen.iter().map(|&i| &candidates[i]).collect();
        assert_eq!(picked.len(), 20);
        for (i, account) in f.small.iter().enumerate() {
            for tx in account {
                assert!(picked.contains(&tx), "small account {i} left out");
            }
        }
        // Turns: one tx per account per round, the flooder's in sequence order.
        assert_eq!(
            picked[..4],
            [&f.flood[0], &f.small[0][0], &f.small[1][0], &f.small[2][0]]
        );
        let flood_picked: Vec<&Vec<u8>> = picked
            .iter()
            .copied()
            .filter(|t| f.flood.contains(t))
            .collect();
        assert_eq!(flood_picked, f.flood[..11].iter().collect::<Vec<_>>());

        let block = block_of(
            &prepared.system_txs[0],
            &picked.into_iter().cloned().collect::<Vec<_>>(),
        );
        assert!(block.iter().map(|t| t.len() as u64).sum::<u64>() <= max);
        assert_eq!(process(&MACHINE, &f.state, 1, &block), Ok(()));
        let finalized = finalize(&f.state, &block);
        assert!(finalized.txs.iter().all(|t| t.result.is_ok()));
    }
}

// ---------------------------------------------------------------------------
// Problems found on the way. The first three failed against 90200f6 and pass
// since 641108e (regression tests now); the `#[ignore]`d ones still fail.
// ---------------------------------------------------------------------------

/// PrepareProposal counted raw tx bytes against `RequestPrepareProposal.max_tx_bytes`,
/// but CometBFT v0.38 checks the response with `Txs.Validate(maxDataBytes)`,
/// which sums `ComputeProtoSizeForTxs` (each tx + 1 tag byte + its varint
/// length) and, when it is exceeded, `CreateProposalBlock` errors and the
/// proposer's consensus routine panics. The candidates CometBFT reaps already
/// fill up to `maxDataBytes` by that measure, so with a full mempool the app
/// added its 65-byte commitment (67 by CometBFT's count) and kept every
/// candidate, because by raw bytes they left 3 bytes per tx of room.
#[test]
fn prepare_fits_cometbft_proto_size_of_a_full_mempool() {
    let alice = key(1);
    let state = genesis_state(Params::default(), &[(address_of(&alice), 1_000_000_000)]);
    let fee = Params::default().fee_for(200).unwrap();
    let txs: Vec<Vec<u8>> = (0..40)
        .map(|s| signed(&alice, &tx_params(0, s, fee), &[blob("a", &[7; 200])]))
        .collect();
    // What CometBFT would hand over with maxDataBytes = exactly these txs.
    let max_tx_bytes = cometbft_proto_size(&txs);
    let prepared = prepare(&MACHINE, &state, 1, &txs, max_tx_bytes).unwrap();
    let chosen: Vec<Vec<u8>> = prepared.chosen.iter().map(|&i| txs[i].clone()).collect();
    let block = block_of(&prepared.system_txs[0], &chosen);
    let raw: u64 = block.iter().map(|t| t.len() as u64).sum();
    assert!(raw <= max_tx_bytes);
    assert!(
        cometbft_proto_size(&block) <= max_tx_bytes,
        "{} txs + commitment: {} bytes by CometBFT's count, {raw} raw, limit {max_tx_bytes}",
        chosen.len(),
        cometbft_proto_size(&block)
    );
}

/// A user tx's hash could be changed by anyone who relays it (e.g. a byzantine
/// proposer): the signature covers `body_bytes` and `auth_info_bytes` only,
/// and `DecodedTx::decode` accepted any `TxRaw` encoding prost accepts, e.g.
/// with an unknown field appended or a field repeated. The malleated copy was
/// accepted by ProcessProposal and executed under a different tx hash, so the
/// submitter's `wait_for_tx(hash)` never saw its tx, though its sequence was
/// spent (docs/read-api.md: "their hashes are the ones their submitters
/// computed"). Now only the canonical encoding decodes.
#[test]
fn a_relayer_cannot_change_a_tx_hash() {
    let cast = Cast::new();
    let state = cast.genesis();
    let a0 = cast.a0();
    let mut appended = a0.clone();
    appended.extend_from_slice(&[0x20, 0x01]); // field 4 (unknown), varint 1
    let raw = TxRaw::decode(a0.as_slice()).unwrap();
    let mut repeated = TxRaw {
        body_bytes: b"overwritten by the next field 1".to_vec(),
        ..Default::default()
    }
    .encode_to_vec();
    repeated.extend_from_slice(&a0); // proto3: the last field 1 wins
    assert_eq!(TxRaw::decode(repeated.as_slice()).unwrap(), raw);

    for malleated in [appended, repeated] {
        assert_ne!(sha256(&malleated), sha256(&a0));
        let user = vec![malleated.clone()];
        let block = block_of(&commitment_over(1, &user), &user);
        match process(&MACHINE, &state, 1, &block) {
            Err(ProposalError::Tx {
                index: 1,
                error: TxError::Decode(_),
            }) => {}
            other => panic!(
                "a re-encoded copy of tx {} (hash {}): {other:?}",
                hex::encode(sha256(&a0)),
                hex::encode(sha256(&malleated))
            ),
        }
        let finalized = finalize(&state, &block);
        assert!(matches!(finalized.txs[0].result, Err(TxError::Decode(_))));
        assert!(account_writes(&finalized).is_empty());
    }
}

/// The fairness of PrepareProposal's turns only covers the candidates
/// CometBFT hands over. With `consensus_params.block.max_bytes` > 0 (genesis
/// validation requires it; -1 is rejected), CometBFT v0.38 reaps the mempool
/// in arrival order up to `maxDataBytes` (`ReapMaxBytesMaxGas`), so behind a
/// flood larger than a block the small accounts' txs are not candidates at
/// all. This models that reap (FIFO, stop at the first tx that does not fit,
/// proto size) over the same flood as the test above.
#[test]
#[ignore = "design limit: fairness does not survive CometBFT's FIFO reap with block.max_bytes > 0"]
fn fairness_survives_cometbft_fifo_reaping() {
    let f = flood();
    let mut mempool = f.flood.clone();
    mempool.extend(f.small.iter().flatten().cloned());
    let max = (COMMITMENT_TX_LEN + 20 * f.tx_len + f.tx_len / 2) as u64;
    let mut reaped = Vec::new();
    let mut size = 0;
    for tx in &mempool {
        let s = cometbft_proto_size(std::slice::from_ref(tx));
        if size + s > max {
            break;
        }
        size += s;
        reaped.push(tx.clone());
    }
    let prepared = prepare(&MACHINE, &f.state, 1, &reaped, max).unwrap();
    let picked: Vec<&Vec<u8>> = prepared.chosen.iter().map(|&i| &reaped[i]).collect();
    for (i, account) in f.small.iter().enumerate() {
        assert!(
            picked.contains(&&account[0]),
            "small account {i} is not in the block: CometBFT passed {} candidates, all the flooder's",
            reaped.len()
        );
    }
}

/// PrepareProposal gave up on an account for the block at its first
/// candidate that failed for another reason than a used sequence, even when
/// another candidate with the same sequence was valid. With CometBFT's recheck
/// on (the default) the stale candidate is evicted after each Commit, so this
/// needs `recheck = false` or a race with recheck; then the account is starved
/// for as long as the stale tx stays in the mempool.
#[test]
fn prepare_tries_every_candidate_for_a_sequence() {
    let cast = Cast::new();
    let mut state = cast.genesis();
    let empty = finalize(&state, &[commitment_over(1, &[])]);
    commit(&mut state, &empty);
    let expired = signed(
        &cast.alice,
        &SignerContext {
            timeout_height: 1,
            ..tx_params(0, 0, fee_for(7))
        },
        &[blob("a", b"alice-0")],
    );
    let underpaid = signed(&cast.alice, &tx_params(0, 0, 1), &[blob("a", b"alice-0")]);
    let resubmitted = cast.a0();
    for stale in [expired, underpaid] {
        let candidates = vec![stale, resubmitted.clone()];
        let prepared = prepare(&MACHINE, &state, 2, &candidates, 1 << 20).unwrap();
        assert_eq!(
            prepared.chosen,
            vec![1],
            "the valid sequence-0 tx is left out"
        );
    }
}

/// Left after 641108e: PrepareProposal still gives up on an account when a
/// candidate does not fit the block, without trying another candidate for the
/// same sequence, and when a candidate whose sequence is already used fails
/// for another reason than its sequence (here a bad signature, checked
/// first). Both need a mempool CheckTx and recheck would not leave so (e.g.
/// `recheck = false`): low severity.
#[test]
fn prepare_is_not_stopped_by_a_candidate_it_could_skip() {
    let cast = Cast::new();
    let state = cast.genesis();
    let a0 = cast.a0();
    let big = signed(
        &cast.alice,
        &SignerContext {
            memo: "m".repeat(1000),
            ..tx_params(0, 0, fee_for(7))
        },
        &[blob("a", b"alice-0")],
    );
    let max = proto_len(COMMITMENT_TX_LEN) + proto_len(a0.len()) + 10;
    let candidates = vec![big, a0.clone()];
    let prepared = prepare(&MACHINE, &state, 1, &candidates, max).unwrap();
    let too_big_first = prepared.chosen;

    let mut state = state;
    let block1 = finalize(
        &state,
        &block_of(
            &commitment_over(1, std::slice::from_ref(&a0)),
            std::slice::from_ref(&a0),
        ),
    );
    commit(&mut state, &block1);
    let mut stale = Cast::blob_tx(&cast.alice, 0, 0, "a", b"stale");
    *stale.last_mut().unwrap() ^= 1; // bad signature on a used sequence
    let a1 = Cast::blob_tx(&cast.alice, 0, 1, "a", b"alice-1");
    let candidates = vec![stale, a1];
    let prepared = prepare(&MACHINE, &state, 2, &candidates, 1 << 20).unwrap();
    assert_eq!(
        (too_big_first, prepared.chosen),
        (vec![1], vec![1]),
        "the valid tx is left out"
    );
}
