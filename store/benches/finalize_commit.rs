//! FinalizeBlock followed by Commit into a real redb store, as quired runs
//! them: the part of a block's cost that grows with the state it touches
//! (state writes, the app hash, the fsynced commit). Blocks of 1 000 and
//! 10 000 txs, each tx from a different account (so a block touches that
//! many accounts), over a store holding 100 000 funded accounts. Signatures
//! are cached (the node checked the txs in CheckTx first), so signature
//! checks do not hide the state cost.
//!
//! Run: `cargo bench -p quire-store --bench finalize_commit -- --quick`

use cosmrs::crypto::secp256k1::SigningKey;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use quire_app::{App, BlockContext, GenesisAccount, GenesisState};
use quire_core::builder::{address_of, sign_tx, SignerContext};
use quire_core::{Address, Msg, Namespace, Params};
use quire_store::Store;
use std::time::{Duration, Instant};

const CHAIN: &str = "quire-bench";
const ACCOUNTS: usize = 100_000;
const BLOB_LEN: usize = 250;

fn key(i: usize) -> SigningKey {
    let mut seed = [7u8; 32];
    seed[..8].copy_from_slice(&(i as u64 + 1).to_be_bytes());
    SigningKey::from_slice(&seed).expect("valid key")
}

/// Signed blob txs from accounts `0..count`, each at `sequence`.
fn block_txs(keys: &[SigningKey], count: usize, sequence: u64) -> Vec<Vec<u8>> {
    keys[..count]
        .iter()
        .enumerate()
        .map(|(account, key)| {
            let params = SignerContext {
                chain_id: CHAIN.into(),
                account_number: account as u64,
                sequence,
                fee_denom: "uquire".into(),
                fee: 1_000_000,
                timeout_height: 0,
                memo: String::new(),
            };
            let blob = Msg::submit_blob(
                Namespace::from_rollup_name(&format!("rollup-{}", account % 10)),
                vec![(account % 251) as u8; BLOB_LEN],
            );
            sign_tx(key, &params, &[blob]).expect("sign")
        })
        .collect()
}

fn synthetic_address(i: usize) -> [u8; 20] {
    let mut address = [0xabu8; 20];
    address[..8].copy_from_slice(&(i as u64).to_be_bytes());
    address
}

/// A store and app at height 1 (genesis plus an empty block, as quired
/// commits them) with `ACCOUNTS` funded accounts, the first of them `keys`'.
fn genesis_node(dir: &std::path::Path, keys: &[SigningKey]) -> (Store, App) {
    let genesis = GenesisState {
        staking: Default::default(),
        l1: None,
        encryption: None,
        params: Params {
            max_block_blob_bytes: 100 * 1024 * 1024,
            ..Params::default()
        },
        accounts: (0..ACCOUNTS)
            .map(|i| GenesisAccount {
                address: match keys.get(i) {
                    Some(k) => address_of(k).to_bech32(),
                    None => Address::new(synthetic_address(i)).to_bech32(),
                },
                balance: u128::MAX / (2 * ACCOUNTS as u128),
            })
            .collect(),
    };
    let store = Store::open(&dir.join("bench.redb")).expect("store");
    let app = App::new(None).expect("app");
    let app_state = serde_json::to_vec(&genesis).expect("json");
    app.init_chain(CHAIN, 1, &app_state, None).expect("genesis");
    let state = store.state().expect("snapshot");
    app.finalize_block(&state, &BlockContext::at_height(1), &[] as &[Vec<u8>])
        .expect("finalize 1");
    app.commit(|batch| store.commit(batch)).expect("commit 1");
    (store, app)
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("finalize_commit");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(20));
    for count in [1_000usize, 10_000] {
        let keys: Vec<SigningKey> = (0..count).map(key).collect();
        let dir = tempfile::tempdir().expect("tempdir");
        let (store, app) = genesis_node(dir.path(), &keys);
        let mut height = 1u64;
        group.throughput(Throughput::Elements(count as u64));
        group.bench_function(BenchmarkId::from_parameter(count), |b| {
            b.iter_custom(|iters| {
                let mut spent = Duration::ZERO;
                for _ in 0..iters {
                    // Untimed: sign the next block and pass it through CheckTx
                    // (as the node's mempool does), warming the signature cache.
                    let txs = block_txs(&keys, count, height - 1);
                    let state = store.state().expect("snapshot");
                    for tx in &txs {
                        app.check_tx(&state, tx).expect("state").expect("valid");
                    }
                    let ctx = BlockContext::at_height(height + 1);
                    let proposal = app
                        .prepare_proposal(&state, &ctx, &txs, u64::MAX)
                        .expect("prepare");
                    assert_eq!(proposal.chosen.len(), count);
                    let block = proposal.txs(&txs);
                    height += 1;

                    let start = Instant::now();
                    let state = store.state().expect("snapshot");
                    app.finalize_block(&state, &ctx, &block).expect("finalize");
                    app.commit(|batch| store.commit(batch)).expect("commit");
                    spent += start.elapsed();
                }
                spent
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
