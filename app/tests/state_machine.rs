//! The state machine end to end, without CometBFT: genesis, CheckTx,
//! PrepareProposal, ProcessProposal and FinalizeBlock over in-memory state.

// Test and bench code: a failed unwrap is the test failing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use cosmrs::crypto::secp256k1::SigningKey;
use quire_app::auth::state::AuthRead;
use quire_app::bank::state::BankRead;
use quire_app::chain::ChainRead;
use quire_app::state::{EmptyState, StateDelta};
use quire_app::{
    AppError, BlockContext, CheckState, FinalizedBlock, GenesisAccount, GenesisState, Proposal,
    ProposalError, StateMachine, StateReadError, SystemTxError, TxError,
};
use quire_core::builder::{address_of, sign_tx, SignerContext};
use quire_core::commitment::COMMITMENT_TX_LEN;
use quire_core::order::signer_rank;
use quire_core::Msg;
use quire_core::{Namespace, Params};
use quire_test_utils::{key, MemState};
use sha2::{Digest, Sha256};
use std::sync::LazyLock;

const CHAIN: &str = "quire-test";

/// One state machine (one signature cache) for every test, as one node has
/// one for CheckTx and the blocks: the tests pass with it as they do without
/// (results never depend on the cache).
static MACHINE: LazyLock<StateMachine> = LazyLock::new(quire_test_utils::machine);

fn genesis(params: Params, keys: &[&SigningKey], balance: u128) -> MemState {
    MemState::from_genesis(
        &MACHINE,
        &quire_test_utils::genesis(params, keys, balance),
        CHAIN,
    )
}

/// Finalizes and commits one block; returns the per-tx codes.
fn commit_block(state: &mut MemState, txs: &[Vec<u8>]) -> Vec<u32> {
    let block = finalize_block(state, state.height + 1, txs).unwrap();
    state.commit(&block);
    block
        .txs
        .iter()
        .map(|t| t.result.as_ref().map(|_| 0).unwrap_or_else(|e| e.code()))
        .collect()
}

fn balance(state: &MemState, key: &SigningKey) -> u128 {
    state.account(&address_of(key)).unwrap().unwrap().balance
}

fn finalize_block(
    state: &MemState,
    height: u64,
    txs: &[impl AsRef<[u8]>],
) -> Result<FinalizedBlock, StateReadError> {
    MACHINE.finalize_block(state, None, &BlockContext::at_height(height), txs)
}

fn prepare_proposal(
    state: &MemState,
    height: u64,
    txs: &[impl AsRef<[u8]>],
    max_tx_bytes: u64,
) -> Result<Proposal, AppError> {
    MACHINE.prepare_proposal(state, &BlockContext::at_height(height), txs, max_tx_bytes)
}

fn process_proposal(
    state: &MemState,
    height: u64,
    txs: &[impl AsRef<[u8]>],
) -> Result<(), ProposalError> {
    MACHINE.process_proposal(state, &BlockContext::at_height(height), txs)
}

fn params() -> Params {
    quire_test_utils::small_params()
}

fn tx(key: &SigningKey, account_number: u64, sequence: u64, fee: u128, msgs: &[Msg]) -> Vec<u8> {
    tx_for(CHAIN, key, account_number, sequence, fee, msgs)
}

use quire_test_utils::{blob, signed_tx as tx_for};

fn check(state: &MemState, check: &mut CheckState, tx: &[u8]) -> Result<(), TxError> {
    check
        .check_tx(&MACHINE, state, state.height + 1, tx)
        .map(|_| ())
}

#[test]
fn fee_is_charged_and_sequence_advances() {
    let alice = key(1);
    let mut state = genesis(params(), &[&alice], 10_000);
    let fee = 100 + 2 * 5;
    let codes = commit_block(&mut state, &[tx(&alice, 0, 0, fee, &[blob("a", b"hello")])]);
    assert_eq!(codes, vec![0]);
    assert_eq!(balance(&state, &alice), 10_000 - fee);
    assert_eq!(
        state
            .account(&address_of(&alice))
            .unwrap()
            .unwrap()
            .sequence,
        1
    );
    assert_eq!(state.fee_pool().unwrap(), fee);
}

#[test]
fn overpaying_is_allowed_and_charged_underpaying_is_refused() {
    let alice = key(1);
    let state = genesis(params(), &[&alice], 10_000);
    let mut cs = CheckState::new();
    let err = check(
        &state,
        &mut cs,
        &tx(&alice, 0, 0, 109, &[blob("a", b"hello")]),
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            TxError::InsufficientFee {
                offered: 109,
                required: 110,
                ..
            }
        ),
        "{err}"
    );
    let err = check(
        &state,
        &mut cs,
        &tx(&alice, 0, 0, 0, &[blob("a", b"hello")]),
    )
    .unwrap_err();
    assert!(
        matches!(err, TxError::InsufficientFee { offered: 0, .. }),
        "{err}"
    );
    check(
        &state,
        &mut cs,
        &tx(&alice, 0, 0, 500, &[blob("a", b"hello")]),
    )
    .unwrap();
}

#[test]
fn check_tx_pipelines_sequences_and_refuses_reuse_and_gaps() {
    let alice = key(1);
    let mut state = genesis(params(), &[&alice], 1_000_000);
    let mut cs = CheckState::new();
    let txs: Vec<Vec<u8>> = (0..200)
        .map(|s| tx(&alice, 0, s, 200, &[blob("a", &s.to_be_bytes())]))
        .collect();
    for t in &txs {
        check(&state, &mut cs, t).unwrap();
    }
    assert!(matches!(
        check(&state, &mut cs, &txs[5]),
        Err(TxError::SequenceReused {
            expected: 200,
            got: 5,
            ..
        })
    ));
    let gap = tx(&alice, 0, 201, 200, &[blob("a", b"x")]);
    assert!(matches!(
        check(&state, &mut cs, &gap),
        Err(TxError::SequenceGap {
            expected: 200,
            got: 201,
            ..
        })
    ));

    // A block takes the first 50; recheck of the rest rebuilds the pending state.
    assert_eq!(commit_block(&mut state, &txs[..50]), vec![0; 50]);
    cs.reset();
    for t in &txs[50..] {
        check(&state, &mut cs, t).unwrap();
    }
    assert!(matches!(
        check(&state, &mut cs, &txs[10]),
        Err(TxError::SequenceReused { .. })
    ));
}

#[test]
fn check_tx_counts_pending_fees_against_the_balance() {
    let alice = key(1);
    let state = genesis(params(), &[&alice], 250);
    let mut cs = CheckState::new();
    check(&state, &mut cs, &tx(&alice, 0, 0, 200, &[blob("a", b"x")])).unwrap();
    let err = check(&state, &mut cs, &tx(&alice, 0, 1, 200, &[blob("a", b"y")])).unwrap_err();
    assert!(
        matches!(
            err,
            TxError::InsufficientFunds {
                balance: 50,
                needed: 200,
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn bad_transactions_get_distinct_errors() {
    let alice = key(1);
    let stranger = key(9);
    let state = genesis(params(), &[&alice], 1_000_000);
    let mut cs = CheckState::new();
    let ok_msgs = [blob("a", b"data")];

    let wrong_chain = tx_for("other-chain", &alice, 0, 0, 500, &ok_msgs);
    assert!(matches!(
        check(&state, &mut cs, &wrong_chain),
        Err(TxError::WrongChainId { .. })
    ));

    let wrong_account_number = tx(&alice, 7, 0, 500, &ok_msgs);
    assert!(matches!(
        check(&state, &mut cs, &wrong_account_number),
        Err(TxError::BadSignature { .. })
    ));

    let mut tampered = tx(&alice, 0, 0, 500, &ok_msgs);
    let last = tampered.len() - 1;
    tampered[last] ^= 1; // flip a bit of the signature
    assert!(matches!(
        check(&state, &mut cs, &tampered),
        Err(TxError::BadSignature { .. })
    ));

    assert!(matches!(
        check(&state, &mut cs, b"\xff\xffgarbage"),
        Err(TxError::Decode(_))
    ));
    // The unsigned envelope cannot be varied to give the same signed tx a
    // second hash: an unknown trailing field, or the fields reordered.
    let valid = tx(&alice, 0, 0, 500, &ok_msgs);
    let mut extended = valid.clone();
    extended.extend_from_slice(&[0x22, 0x01, 0xAA]);
    assert!(matches!(
        check(&state, &mut cs, &extended),
        Err(TxError::Decode(_))
    ));
    let raw =
        <cosmrs::proto::cosmos::tx::v1beta1::TxRaw as prost::Message>::decode(valid.as_slice())
            .unwrap();
    let mut reordered = Vec::new();
    prost::encoding::bytes::encode(3, &raw.signatures[0], &mut reordered);
    prost::encoding::bytes::encode(1, &raw.body_bytes, &mut reordered);
    prost::encoding::bytes::encode(2, &raw.auth_info_bytes, &mut reordered);
    assert_eq!(reordered.len(), valid.len());
    assert!(matches!(
        check(&state, &mut cs, &reordered),
        Err(TxError::Decode(_))
    ));
    assert!(matches!(
        check(&state, &mut cs, &tx(&stranger, 0, 0, 500, &ok_msgs)),
        Err(TxError::UnknownAccount(_))
    ));
    let big = tx(&alice, 0, 0, 100_000, &[blob("a", &[7u8; 1001])]);
    assert!(matches!(
        check(&state, &mut cs, &big),
        Err(TxError::BlobTooLarge {
            size: 1001,
            max: 1000,
            ..
        })
    ));
    let huge = tx(&alice, 0, 0, 100_000, &[blob("a", &[7u8; 4000])]);
    assert!(matches!(
        check(&state, &mut cs, &huge),
        Err(TxError::TooLarge { .. })
    ));
    let empty = tx(&alice, 0, 0, 500, &[blob("a", b"")]);
    assert!(matches!(
        check(&state, &mut cs, &empty),
        Err(TxError::Invalid(_))
    ));
    let params_ = SignerContext {
        chain_id: CHAIN.into(),
        account_number: 0,
        sequence: 0,
        fee_denom: "uatom".into(),
        fee: 500,
        timeout_height: 0,
        memo: String::new(),
    };
    let other_denom = sign_tx(&alice, &params_, &ok_msgs).unwrap();
    assert!(matches!(
        check(&state, &mut cs, &other_denom),
        Err(TxError::WrongFeeDenom { .. })
    ));
    // Nothing above changed the pending state: sequence 0 is still free.
    check(&state, &mut cs, &tx(&alice, 0, 0, 500, &ok_msgs)).unwrap();
}

#[test]
fn a_bundle_is_all_or_nothing() {
    let alice = key(1);
    let bob = key(2);
    let mut state = genesis(params(), &[&alice, &bob], 1_000_000);
    // Second blob too large: the whole tx fails, the first blob is not included.
    let bundle = tx(
        &alice,
        0,
        0,
        100_000,
        &[blob("a", b"first"), blob("b", &[1u8; 1001])],
    );
    let block = finalize_block(&state, 1, &[bundle]).unwrap();
    assert!(block.blobs.is_empty());
    assert!(matches!(
        block.txs[0].result,
        Err(TxError::BlobTooLarge { index: 1, .. })
    ));
    assert_eq!(commit_block(&mut state, &[]), Vec::<u32>::new());

    // A bundle for two namespaces plus a send: all applied.
    let fee = 100 + 2 * 11; // "first" + "second"
    let ok = tx(
        &alice,
        0,
        0,
        fee,
        &[
            blob("a", b"first"),
            blob("b", b"second"),
            Msg::send(address_of(&bob), "uquire", 7),
        ],
    );
    let block = finalize_block(&state, 2, std::slice::from_ref(&ok)).unwrap();
    assert_eq!(block.blobs.len(), 2);
    assert_eq!(block.blobs[0].namespace, Namespace::from_rollup_name("a"));
    assert_eq!(block.blobs[1].namespace, Namespace::from_rollup_name("b"));
    assert_eq!(commit_block(&mut state, &[ok]), vec![0]);
    assert_eq!(balance(&state, &alice), 1_000_000 - fee - 7);
    assert_eq!(balance(&state, &bob), 1_000_007);

    // Sending more than the balance fails the whole tx.
    let too_much = tx(
        &bob,
        1,
        0,
        100,
        &[
            blob("c", b""),
            Msg::send(address_of(&alice), "uquire", 10_000_000),
        ],
    );
    let block = finalize_block(&state, 3, &[too_much]).unwrap();
    assert!(block.txs[0].result.is_err());
    // Nothing but the height's blob record, the block's hash and its time
    // (every block writes all three).
    let keys: Vec<&Vec<u8>> = block.changes.keys().collect();
    assert_eq!(
        keys,
        vec![
            &quire_app::blob::keys::commitment(3),
            &quire_app::chain::keys::LAST_BLOCK_HASH.to_vec(),
            &quire_app::chain::keys::BLOCK_TIME.to_vec()
        ]
    );
}

#[test]
fn send_creates_accounts_with_new_numbers() {
    let alice = key(1);
    let newcomer = key(3);
    let mut state = genesis(params(), &[&alice], 1_000_000);
    let send = tx(
        &alice,
        0,
        0,
        100,
        &[Msg::send(address_of(&newcomer), "uquire", 5_000)],
    );
    assert_eq!(commit_block(&mut state, &[send]), vec![0]);
    let account = state.account(&address_of(&newcomer)).unwrap().unwrap();
    assert_eq!(
        (account.balance, account.account_number, account.sequence),
        (5_000, 1, 0)
    );
    // The newcomer can now submit, signing with account number 1.
    assert_eq!(
        commit_block(&mut state, &[tx(&newcomer, 1, 0, 102, &[blob("n", b"x")])]),
        vec![0]
    );
}

/// The block a proposer would build from exactly `txs`: their commitment first.
fn proposal(state: &MemState, height: u64, txs: &[&Vec<u8>]) -> Vec<Vec<u8>> {
    let prepared = prepare_proposal(state, height, txs, 1 << 30).unwrap();
    let mut block = vec![prepared.system_txs[0].clone()];
    block.extend(txs.iter().map(|t| t.to_vec()));
    block
}

fn tx_error(result: Result<(), ProposalError>) -> (usize, TxError) {
    match result {
        Err(ProposalError::Tx { index, error }) => (index, error),
        other => panic!("expected a tx error, got {other:?}"),
    }
}

#[test]
fn block_blob_budget_is_enforced() {
    let alice = key(1);
    let bob = key(2);
    let state = genesis(params(), &[&alice, &bob], 1_000_000);
    // Budget 3000 bytes; three 1000-byte blobs fit, a fourth does not.
    let txs: Vec<Vec<u8>> = (0..4)
        .map(|s| tx(&alice, 0, s, 100_000, &[blob("a", &[s as u8; 1000])]))
        .collect();
    let prepared = prepare_proposal(&state, 1, &txs, 1 << 20).unwrap();
    assert_eq!(prepared.chosen, vec![0, 1, 2]);
    let all: Vec<&Vec<u8>> = txs.iter().collect();
    let (index, error) = tx_error(process_proposal(&state, 1, &proposal(&state, 1, &all)));
    assert_eq!(index, 4, "tx 0 is the commitment");
    assert!(matches!(error, TxError::BlockBlobBudget { .. }));
}

#[test]
fn prepare_orders_by_sequence_takes_turns_and_drops_bad_txs() {
    let alice = key(1);
    let bob = key(2);
    let state = genesis(params(), &[&alice, &bob], 1_000_000);
    let a0 = tx(&alice, 0, 0, 200, &[blob("a", b"a0")]);
    let a1 = tx(&alice, 0, 1, 200, &[blob("a", b"a1")]);
    let a2 = tx(&alice, 0, 2, 200, &[blob("a", b"a2")]);
    let b0 = tx(&bob, 1, 0, 200, &[blob("b", b"b0")]);
    let b_unpaid = tx(&bob, 1, 1, 1, &[blob("b", b"b1")]);
    let garbage = b"not a tx".to_vec();
    // Out of order, with junk mixed in.
    let candidates = vec![
        a2.clone(),
        garbage,
        a1.clone(),
        b0.clone(),
        a0.clone(),
        b_unpaid,
        a0.clone(),
    ];
    let prepared = prepare_proposal(&state, 1, &candidates, 1 << 20).unwrap();
    let picked: Vec<&Vec<u8>> = prepared.chosen.iter().map(|&i| &candidates[i]).collect();
    // Round 0: both signers' first txs, in their turn order at this block's
    // order seed (zero); then alice's rest.
    let seed = [0; 32];
    let alice_first =
        signer_rank(&seed, &address_of(&alice)) < signer_rank(&seed, &address_of(&bob));
    let round_zero = if alice_first { [&a0, &b0] } else { [&b0, &a0] };
    assert_eq!(picked, [round_zero[0], round_zero[1], &a1, &a2]);
    let mut block = vec![prepared.system_txs[0].clone()];
    block.extend(picked.iter().map(|t| t.to_vec()));
    process_proposal(&state, 1, &block).unwrap();
}

#[test]
fn prepare_respects_max_tx_bytes_and_what_it_builds_is_accepted() {
    let alice = key(1);
    let state = genesis(params(), &[&alice], 1_000_000);
    let txs: Vec<Vec<u8>> = (0..10)
        .map(|s| tx(&alice, 0, s, 1_000, &[blob("a", &[1u8; 100])]))
        .collect();
    // Room for the commitment and three txs, not four.
    // Each tx also costs its protobuf framing (tag + 2-byte length here).
    let framed: usize = txs[..3].iter().map(|t| t.len() + 3).sum();
    let limit = (COMMITMENT_TX_LEN + 2 + framed + 2) as u64;
    let prepared = prepare_proposal(&state, 1, &txs, limit).unwrap();
    assert_eq!(prepared.chosen, vec![0, 1, 2]);
    let mut block = vec![prepared.system_txs[0].clone()];
    block.extend(prepared.chosen.iter().map(|&i| txs[i].clone()));
    let total: usize = block.iter().map(Vec::len).sum();
    assert!(total as u64 <= limit);
    process_proposal(&state, 1, &block).unwrap();
}

#[test]
fn process_rejects_duplicates_and_out_of_sequence() {
    let alice = key(1);
    let state = genesis(params(), &[&alice], 1_000_000);
    let a0 = tx(&alice, 0, 0, 200, &[blob("a", b"a0")]);
    let a1 = tx(&alice, 0, 1, 200, &[blob("a", b"a1")]);
    let (index, error) = tx_error(process_proposal(
        &state,
        1,
        &proposal(&state, 1, &[&a0, &a0]),
    ));
    assert_eq!((index, error), (2, TxError::Duplicate));
    let (index, error) = tx_error(process_proposal(
        &state,
        1,
        &proposal(&state, 1, &[&a1, &a0]),
    ));
    assert_eq!(index, 1);
    assert!(matches!(error, TxError::SequenceGap { .. }));
}

#[test]
fn process_requires_the_right_commitment_first() {
    let alice = key(1);
    let state = genesis(params(), &[&alice], 1_000_000);
    let a0 = tx(&alice, 0, 0, 200, &[blob("a", b"a0")]);
    let a1 = tx(&alice, 0, 1, 200, &[blob("b", b"a1")]);
    let good = proposal(&state, 1, &[&a0, &a1]);
    process_proposal(&state, 1, &good).unwrap();

    // No commitment at all, or not first.
    let no_commitment = vec![a0.clone(), a1.clone()];
    assert_eq!(
        process_proposal(&state, 1, &no_commitment),
        Err(ProposalError::MissingSystemTx { kind: "commitment" })
    );
    assert_eq!(
        process_proposal(&state, 1, &Vec::<Vec<u8>>::new()),
        Err(ProposalError::MissingSystemTx { kind: "commitment" })
    );
    let late = vec![a0.clone(), good[0].clone(), a1.clone()];
    assert_eq!(
        process_proposal(&state, 1, &late),
        Err(ProposalError::MissingSystemTx { kind: "commitment" })
    );

    // The commitment of other blobs, of another height, or a truncated one.
    let other = proposal(&state, 1, &[&a0]);
    let mut wrong = vec![other[0].clone()];
    wrong.extend([a0.clone(), a1.clone()]);
    assert!(matches!(
        process_proposal(&state, 1, &wrong),
        Err(ProposalError::SystemTx {
            index: 0,
            error: SystemTxError::CommitmentMismatch { .. },
            ..
        })
    ));
    let mut other_height = proposal(&state, 2, &[&a0, &a1]);
    other_height.truncate(3);
    assert!(matches!(
        process_proposal(&state, 1, &other_height),
        Err(ProposalError::SystemTx {
            index: 0,
            error: SystemTxError::CommitmentMismatch { .. },
            ..
        })
    ));
    let mut truncated = good.clone();
    truncated[0].pop();
    assert!(matches!(
        process_proposal(&state, 1, &truncated),
        Err(ProposalError::SystemTx {
            index: 0,
            error: SystemTxError::Malformed(_),
            ..
        })
    ));

    // A commitment can never come in as a user tx.
    let mut cs = CheckState::new();
    assert!(matches!(
        check(&state, &mut cs, &good[0]),
        Err(TxError::Invalid(_))
    ));
}

#[test]
fn finalize_indexes_blobs_after_the_commitment_and_proves_it_in_the_data_hash() {
    let alice = key(1);
    let state = genesis(params(), &[&alice], 1_000_000);
    let a0 = tx(&alice, 0, 0, 200, &[blob("a", b"a0")]);
    let a1 = tx(&alice, 0, 1, 300, &[blob("b", b"b1"), blob("a", b"a1")]);
    let block = proposal(&state, 1, &[&a0, &a1]);
    let finalized = finalize_block(&state, 1, &block).unwrap();
    assert_eq!(finalized.txs.len(), 2);
    assert!(finalized.txs.iter().all(|t| t.result.is_ok()));
    let positions: Vec<(u32, u32)> = finalized
        .blobs
        .iter()
        .map(|b| (b.tx_index, b.msg_index))
        .collect();
    assert_eq!(positions, vec![(1, 0), (2, 0), (2, 1)]);
    let commitment = finalized.commitment.expect("block has a commitment");
    assert!(commitment.matches_blobs);
    assert_eq!(commitment.tx, block[0]);
    assert_eq!(commitment.leaves.len(), 2);
    // The proof verifies against CometBFT's data hash of the block.
    let tx_hashes: Vec<Vec<u8>> = block.iter().map(|t| Sha256::digest(t).to_vec()).collect();
    let data_hash = tendermint::merkle::simple_hash_from_byte_vectors::<
        tendermint::crypto::default::Sha256,
    >(&tx_hashes);
    let leaf = quire_core::merkle::leaf_hash(&Sha256::digest(&block[0]));
    commitment.tx_proof.verify(&data_hash, &leaf).unwrap();
}

#[test]
fn same_blocks_on_two_fresh_states_give_the_same_app_hashes() {
    let alice = key(1);
    let bob = key(2);
    let blocks: Vec<Vec<Vec<u8>>> = vec![
        vec![
            tx(&alice, 0, 0, 300, &[blob("a", b"one")]),
            tx(&bob, 1, 0, 300, &[blob("b", b"two")]),
        ],
        vec![],
        vec![tx(
            &alice,
            0,
            1,
            300,
            &[blob("a", b"three"), blob("c", b"four")],
        )],
    ];
    let run = || {
        let mut state = genesis(params(), &[&alice, &bob], 1_000_000);
        let mut hashes = vec![state.app_hash];
        for block in &blocks {
            commit_block(&mut state, block);
            hashes.push(state.app_hash);
        }
        hashes
    };
    let first = run();
    assert_eq!(first, run());
    // Every block changes the hash, even an empty one (the height is chained).
    let unique: std::collections::BTreeSet<_> = first.iter().collect();
    assert_eq!(unique.len(), first.len());
    // A different tx order is a different history.
    let mut state = genesis(params(), &[&alice, &bob], 1_000_000);
    let mut swapped = blocks[0].clone();
    swapped.reverse();
    commit_block(&mut state, &swapped);
    assert_ne!(state.app_hash, first[1]);
}

#[test]
fn genesis_is_validated() {
    let alice = key(1);
    let addr = address_of(&alice).to_bech32();
    let dup = GenesisState {
        staking: Default::default(),
        l1: None,
        encryption: None,
        params: params(),
        accounts: vec![
            GenesisAccount {
                address: addr.clone(),
                balance: 1,
            },
            GenesisAccount {
                address: addr,
                balance: 2,
            },
        ],
    };
    assert!(MACHINE
        .genesis(CHAIN, 1, &dup)
        .unwrap_err()
        .to_string()
        .contains("accounts[1]"));
    let bad = GenesisState {
        staking: Default::default(),
        l1: None,
        encryption: None,
        params: params(),
        accounts: vec![GenesisAccount {
            address: "cosmos1xyz".into(),
            balance: 1,
        }],
    };
    assert!(MACHINE
        .genesis(CHAIN, 1, &bad)
        .unwrap_err()
        .to_string()
        .contains("accounts[0]"));
    let ok = GenesisState {
        staking: Default::default(),
        l1: None,
        encryption: None,
        params: params(),
        accounts: vec![],
    };
    assert!(MACHINE
        .genesis("bad chain id!", 1, &ok)
        .unwrap_err()
        .to_string()
        .contains("chain_id"));
    let delta = StateDelta::new(&EmptyState);
    assert!(delta.chain_id().is_err());
}
