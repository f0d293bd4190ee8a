//! Golden tests: the state keys, their encodings and the app hash after a
//! fixed sequence of blocks, pinned as insta snapshots
//! (`app/tests/snapshots/`).
//!
//! **A snapshot change is a consensus-breaking change**: every node must then
//! run the new version from the same height. Review the diff
//! (`cargo insta review`, or read the `.snap.new` file) and say in the commit
//! why the state or the app hash changes.

// Test and bench code: a failed unwrap is the test failing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use cosmrs::crypto::secp256k1::SigningKey;
use quire_app::auth::{keys as auth_keys, state::Account};
use quire_app::bank::keys as bank_keys;
use quire_app::chain::{encode_params, keys as chain_keys};
use quire_app::{BlockContext, GenesisAccount, GenesisState};
use quire_core::builder::address_of;
use quire_core::commitment::NamespaceTree;
use quire_core::Msg;
use quire_core::{Address, Params};
use quire_test_utils::{blob, key, machine, MemState};
use std::fmt::Write;

const CHAIN: &str = "quire-golden";

fn params() -> Params {
    quire_test_utils::small_params()
}

fn tx(key: &SigningKey, number: u64, sequence: u64, fee: u128, msgs: &[Msg]) -> Vec<u8> {
    quire_test_utils::signed_tx(CHAIN, key, number, sequence, fee, msgs)
}

/// A key for the snapshot: as text if it is printable ASCII, otherwise its
/// printable `table/` prefix and the rest in hex (`acct/{0a0b…}`).
fn show_key(key: &[u8]) -> String {
    if key.iter().all(|b| b.is_ascii_graphic()) {
        return String::from_utf8_lossy(key).into_owned();
    }
    let printable = key.iter().take_while(|b| b.is_ascii_graphic()).count();
    let split = key[..printable]
        .iter()
        .rposition(|&b| b == b'/')
        .map_or(0, |slash| slash + 1);
    format!(
        "{}{{{}}}",
        String::from_utf8_lossy(&key[..split]),
        hex::encode(&key[split..])
    )
}

fn dump_state(out: &mut String, state: &MemState) {
    for (key, value) in &state.data {
        writeln!(out, "  {} = {}", show_key(key), hex::encode(value)).unwrap();
    }
}

#[test]
fn key_layout_and_record_encodings() {
    let address = Address::new([0x11; 20]);
    let account = Account {
        balance: 0x0102_0304_0506_0708_090a_0b0c_0d0e_0f10,
        account_number: 7,
        sequence: 9,
    };
    let mut out = String::new();
    writeln!(
        out,
        "account key: {}",
        show_key(&auth_keys::account(&address))
    )
    .unwrap();
    writeln!(out, "chain id key: {}", show_key(chain_keys::CHAIN_ID)).unwrap();
    writeln!(out, "params key: {}", show_key(chain_keys::PARAMS)).unwrap();
    writeln!(
        out,
        "next account number key: {}",
        show_key(auth_keys::NEXT_ACCOUNT_NUMBER)
    )
    .unwrap();
    writeln!(out, "fees collected key: {}", show_key(bank_keys::FEE_POOL)).unwrap();
    writeln!(
        out,
        "blob commitment key (height 5): {}",
        show_key(&quire_app::blob::keys::commitment(5))
    )
    .unwrap();
    writeln!(out, "account record: {}", hex::encode(account.encode())).unwrap();
    writeln!(
        out,
        "params record (default): {}",
        hex::encode(encode_params(&Params::default()))
    )
    .unwrap();
    let commitment = NamespaceTree::build(5, &[]).commitment();
    writeln!(
        out,
        "blob commitment record (empty, height 5): {}",
        hex::encode(quire_app::blob::keys::encode_commitment_record(
            &commitment,
            &quire_app::blob::blob_index_digest(&[])
        ))
    )
    .unwrap();
    writeln!(
        out,
        "commitment tx (empty, height 5): {}",
        hex::encode(commitment.encode())
    )
    .unwrap();
    insta::assert_snapshot!("keys_and_encodings", out);
}

#[test]
fn app_hash_after_a_fixed_sequence_of_blocks() {
    let alice = key(1);
    let bob = key(2);
    let carol = Address::new([0xcc; 20]);
    let genesis = GenesisState {
        staking: Default::default(),
        l1: None,
        encryption: None,
        params: params(),
        accounts: vec![
            GenesisAccount {
                address: address_of(&alice).to_bech32(),
                balance: 1_000_000,
            },
            GenesisAccount {
                address: address_of(&bob).to_bech32(),
                balance: 500_000,
            },
        ],
    };
    let machine = machine();
    let mut state = MemState::from_genesis(&machine, &genesis, CHAIN);
    let mut out = String::new();
    writeln!(out, "genesis app hash: {}", hex::encode(state.app_hash)).unwrap();
    dump_state(&mut out, &state);

    let blocks: Vec<(&str, Vec<Vec<u8>>)> = vec![
        ("empty block", vec![]),
        (
            "one blob",
            vec![tx(&alice, 0, 0, 1_000, &[blob("rollup-a", b"first batch")])],
        ),
        (
            "a two-namespace bundle and a send creating an account",
            vec![
                tx(
                    &alice,
                    0,
                    1,
                    2_000,
                    &[blob("rollup-a", b"batch 2"), blob("rollup-b", b"batch b1")],
                ),
                tx(&bob, 1, 0, 100, &[Msg::send(carol, "uquire", 12_345)]),
            ],
        ),
        (
            "a failing tx (sequence reused) between two good ones",
            vec![
                tx(&bob, 1, 1, 500, &[blob("rollup-c", &[0xab; 100])]),
                tx(&alice, 0, 1, 2_000, &[blob("rollup-a", b"replay")]),
                tx(&alice, 0, 2, 1_000, &[blob("rollup-a", b"batch 3")]),
            ],
        ),
    ];
    for (name, user_txs) in blocks {
        let height = state.height + 1;
        let ctx = BlockContext::at_height(height);
        let proposal = machine
            .prepare_proposal(&state, &ctx, &user_txs, u64::MAX)
            .unwrap();
        let mut block = proposal.system_txs;
        block.extend(user_txs);
        let finalized = machine.finalize_block(&state, None, &ctx, &block).unwrap();
        writeln!(out, "\nblock {height}: {name}").unwrap();
        writeln!(out, "  commitment tx: {}", hex::encode(&block[0])).unwrap();
        for outcome in &finalized.txs {
            let code = outcome
                .result
                .as_ref()
                .map(|_| 0)
                .unwrap_or_else(|e| e.code());
            writeln!(out, "  tx {} -> code {code}", hex::encode(outcome.hash)).unwrap();
        }
        for (key, value) in &finalized.changes {
            match value {
                Some(value) => writeln!(out, "  write {} = {}", show_key(key), hex::encode(value)),
                None => writeln!(out, "  delete {}", show_key(key)),
            }
            .unwrap();
        }
        for blob in &finalized.blobs {
            writeln!(
                out,
                "  blob {} tx {} msg {} signer {} {} bytes",
                blob.namespace,
                blob.tx_index,
                blob.msg_index,
                blob.signer,
                blob.data.len()
            )
            .unwrap();
        }
        writeln!(out, "  app hash: {}", hex::encode(finalized.app_hash)).unwrap();
        state.commit(&finalized);
    }
    insta::assert_snapshot!("app_hash_sequence", out);
}
