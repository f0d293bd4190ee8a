//! FinalizeBlock followed by Commit into a real redb store: the part of a
//! block's cost that grows with the state it touches (state writes, the app
//! hash, the fsynced commit). Blocks of 1 000 and 10 000 txs, each tx from a
//! different account (so a block touches that many accounts), over a store
//! holding 100 000 funded accounts. Signatures are cached (the node checked
//! the txs in CheckTx first), so signature checks do not hide the state cost.
//!
//! Run: `cargo bench -p quire-store --bench finalize_commit -- --quick`

use cosmrs::crypto::secp256k1::SigningKey;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use quire_app::{finalize_block, CheckState, GenesisAccount, GenesisState, SignatureCache};
use quire_core::builder::{address_of, sign_tx, SignerContext};
use quire_core::Msg;
use quire_core::{Namespace, Params};
use quire_store::{CommitBatch, CommitmentRecord, Store};
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

/// A store at height 1 (genesis plus an empty block) with `ACCOUNTS` funded
/// accounts, whose keys are `keys`.
fn genesis_store(dir: &std::path::Path, keys: &[SigningKey]) -> (Store, [u8; 32]) {
    let genesis = GenesisState {
        params: Params {
            max_block_blob_bytes: 100 * 1024 * 1024,
            ..Params::default()
        },
        accounts: (0..ACCOUNTS)
            .map(|i| GenesisAccount {
                address: match keys.get(i) {
                    Some(k) => address_of(k).to_bech32(),
                    None => quire_core::Address::new(synthetic_address(i)).to_bech32(),
                },
                balance: u128::MAX / (2 * ACCOUNTS as u128),
            })
            .collect(),
    };
    let (changes, app_hash) = genesis.init(CHAIN, 1).expect("genesis");
    let store = Store::open(&dir.join("bench.redb")).expect("store");
    let state = store.state().expect("snapshot");
    // Genesis writes go to disk with block 1 (as quired does).
    let layered = Layered(&changes, &state);
    let block = finalize_block(
        &layered,
        &app_hash,
        1,
        &[] as &[Vec<u8>],
        &SignatureCache::default(),
    )
    .expect("finalize 1");
    let mut all = changes.clone();
    all.extend(block.changes.clone());
    store
        .commit(&CommitBatch {
            height: 1,
            app_hash: block.app_hash,
            changes: &all,
            blobs: &block.blobs,
            commitment: None,
        })
        .expect("commit 1");
    (store, block.app_hash)
}

fn synthetic_address(i: usize) -> [u8; 20] {
    let mut address = [0xabu8; 20];
    address[..8].copy_from_slice(&(i as u64).to_be_bytes());
    address
}

struct Layered<'a>(&'a quire_app::ChangeSet, &'a dyn quire_app::StateReader);

impl quire_app::StateReader for Layered<'_> {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, quire_app::StateReadError> {
        match self.0.get(key) {
            Some(value) => Ok(value.clone()),
            None => self.1.get(key),
        }
    }
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("finalize_commit");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(20));
    for count in [1_000usize, 10_000] {
        let keys: Vec<SigningKey> = (0..count).map(key).collect();
        let dir = tempfile::tempdir().expect("tempdir");
        let (store, mut app_hash) = genesis_store(dir.path(), &keys);
        let mut height = 1u64;
        let sigs = SignatureCache::default();
        group.throughput(Throughput::Elements(count as u64));
        group.bench_function(BenchmarkId::from_parameter(count), |b| {
            b.iter_custom(|iters| {
                let mut spent = Duration::ZERO;
                for _ in 0..iters {
                    // Untimed: sign the next block and pass it through CheckTx
                    // (as the node's mempool does), warming the signature cache.
                    let txs = block_txs(&keys, count, height - 1);
                    let state = store.state().expect("snapshot");
                    let mut check = CheckState::new();
                    for tx in &txs {
                        check
                            .check_tx(&state, height + 1, tx, &sigs)
                            .expect("valid");
                    }
                    let proposal =
                        quire_app::prepare_proposal(&state, height + 1, &txs, u64::MAX, &sigs)
                            .expect("prepare");
                    assert_eq!(proposal.chosen.len(), count);
                    let mut block = vec![proposal.commitment_tx];
                    block.extend(txs);
                    height += 1;

                    let start = Instant::now();
                    let state = store.state().expect("snapshot");
                    let finalized =
                        finalize_block(&state, &app_hash, height, &block, &sigs).expect("finalize");
                    let commitment = finalized.commitment.as_ref().map(|c| CommitmentRecord {
                        tx: &c.tx,
                        tx_proof: &c.tx_proof,
                        leaves: &c.leaves,
                    });
                    store
                        .commit(&CommitBatch {
                            height,
                            app_hash: finalized.app_hash,
                            changes: &finalized.changes,
                            blobs: &finalized.blobs,
                            commitment,
                        })
                        .expect("commit");
                    spent += start.elapsed();
                    app_hash = finalized.app_hash;
                }
                spent
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
