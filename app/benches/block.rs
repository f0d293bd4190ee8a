//! Benchmarks of the ABCI hot paths over in-memory state: CheckTx per tx, and
//! PrepareProposal, ProcessProposal and FinalizeBlock for blocks of 1 000 and
//! 10 000 txs (250-byte blobs from 100 accounts, signature checks included).
//! Each path runs with a cold signature cache (every signature verified) and a
//! warm one (the txs passed the node's CheckTx first: a recheck, or a block of
//! txs from the node's own mempool).
//!
//! Run: `cargo bench -p quire-app --bench block -- --quick`

// Test and bench code: a failed unwrap is the test failing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use cosmrs::crypto::secp256k1::SigningKey;
use criterion::{criterion_group, criterion_main, BatchSize, BenchmarkId, Criterion, Throughput};
use quire_app::{BlockContext, CheckState, DecodedTx, GenesisAccount, GenesisState, StateMachine};
use quire_core::builder::{address_of, sign_tx, SignerContext};
use quire_core::Msg;
use quire_core::{Namespace, Params};
use quire_test_utils::MemState;
use std::hint::black_box;

const CHAIN: &str = "quire-bench";
const ACCOUNTS: usize = 100;
const BLOB_LEN: usize = 250;

/// A state machine whose signature cache holds `capacity` entries (0: none).
fn machine(capacity: usize) -> StateMachine {
    StateMachine::standard()
        .sig_cache_capacity(capacity)
        .build()
        .expect("machine")
}

fn keys() -> Vec<SigningKey> {
    (0..ACCOUNTS)
        .map(|i| {
            let mut seed = [7u8; 32];
            seed[..8].copy_from_slice(&(i as u64 + 1).to_be_bytes());
            SigningKey::from_slice(&seed).expect("valid key")
        })
        .collect()
}

fn genesis(keys: &[SigningKey]) -> MemState {
    let state = GenesisState {
        staking: Default::default(),
        l1: None,
        encryption: None,
        params: Params {
            max_block_blob_bytes: 100 * 1024 * 1024,
            ..Params::default()
        },
        accounts: keys
            .iter()
            .map(|k| GenesisAccount {
                address: address_of(k).to_bech32(),
                balance: u128::MAX / 1024,
            })
            .collect(),
    };
    MemState::from_genesis(&machine(0), &state, CHAIN)
}

/// `count` signed blob txs, round-robin over the accounts, sequences in order.
fn txs(keys: &[SigningKey], count: usize) -> Vec<Vec<u8>> {
    (0..count)
        .map(|i| {
            let account = i % keys.len();
            let params = SignerContext {
                chain_id: CHAIN.into(),
                account_number: account as u64,
                sequence: (i / keys.len()) as u64,
                fee_denom: "uquire".into(),
                fee: 1_000_000,
                timeout_height: 0,
                memo: String::new(),
            };
            let blob = Msg::submit_blob(
                Namespace::from_rollup_name(&format!("rollup-{}", i % 10)),
                vec![(i % 251) as u8; BLOB_LEN],
            );
            sign_tx(&keys[account], &params, &[blob]).expect("sign")
        })
        .collect()
}

/// A state machine whose signature cache has seen every tx of `txs` pass
/// CheckTx, as a node's has by the time those txs are proposed.
fn warm(state: &MemState, txs: &[Vec<u8>]) -> StateMachine {
    let machine = machine(quire_app::sigcache::DEFAULT_CAPACITY);
    let mut check = CheckState::new();
    for tx in txs {
        machine.check_tx(&mut check, state, 1, tx).expect("valid");
    }
    machine
}

fn bench(c: &mut Criterion) {
    let keys = keys();
    let state = genesis(&keys);
    let fresh = || machine(quire_app::sigcache::DEFAULT_CAPACITY);
    let ctx = BlockContext::at_height(1);

    let mut group = c.benchmark_group("check_tx");
    let batch = txs(&keys, 1_000);
    let max_tx_bytes = Params::default().max_tx_bytes;
    group.throughput(Throughput::Elements(batch.len() as u64));
    // New txs: nothing cached, every signature verified (and stored).
    group.bench_function("1000_new_txs", |b| {
        b.iter_batched_ref(
            || (CheckState::new(), fresh()),
            |(check, machine)| {
                for tx in &batch {
                    black_box(machine.check_tx(check, &state, 1, tx).expect("valid"));
                }
            },
            BatchSize::LargeInput,
        )
    });
    // CometBFT's recheck after a commit: the same txs again over a fresh
    // overlay, their signatures cached by their first CheckTx.
    let warm_machine = warm(&state, &batch);
    group.bench_function("1000_recheck", |b| {
        b.iter_batched_ref(
            CheckState::new,
            |check| {
                for tx in &batch {
                    black_box(warm_machine.check_tx(check, &state, 1, tx).expect("valid"));
                }
            },
            BatchSize::LargeInput,
        )
    });
    group.finish();

    // Decoding alone: with the public key's decompression, and skipping it
    // for txs whose signature is cached.
    let mut group = c.benchmark_group("decode");
    group.throughput(Throughput::Elements(batch.len() as u64));
    let cold_machine = machine(0);
    group.bench_function("1000_txs", |b| {
        b.iter(|| {
            for tx in &batch {
                black_box(
                    DecodedTx::decode(
                        tx,
                        max_tx_bytes,
                        cold_machine.router(),
                        cold_machine.sig_cache(),
                    )
                    .expect("decodes"),
                );
            }
        })
    });
    group.bench_function("1000_txs_cached", |b| {
        b.iter(|| {
            for tx in &batch {
                black_box(
                    DecodedTx::decode(
                        tx,
                        max_tx_bytes,
                        warm_machine.router(),
                        warm_machine.sig_cache(),
                    )
                    .expect("decodes"),
                );
            }
        })
    });
    group.finish();

    // Blocks. Cold: a fresh cache, every signature verified (a node that
    // never saw the txs). Warm: the txs passed this node's CheckTx first, the
    // usual case.
    let mut group = c.benchmark_group("block");
    group.sample_size(10);
    for count in [1_000usize, 10_000] {
        let candidates = txs(&keys, count);
        let proposal = fresh()
            .prepare_proposal(&state, &ctx, &candidates, u64::MAX)
            .expect("prepare");
        assert_eq!(proposal.chosen.len(), count);
        let block = proposal.txs(&candidates);
        let warm_machine = warm(&state, &candidates);
        group.throughput(Throughput::Elements(count as u64));
        for (name, cached) in [("", false), ("_warm", true)] {
            let machines = || if cached { None } else { Some(fresh()) };
            group.bench_with_input(
                BenchmarkId::new(format!("prepare_proposal{name}"), count),
                &candidates,
                |b, candidates| {
                    b.iter_batched_ref(
                        machines,
                        |cold| {
                            let machine = cold.as_ref().unwrap_or(&warm_machine);
                            black_box(
                                machine
                                    .prepare_proposal(&state, &ctx, candidates, u64::MAX)
                                    .expect("prepare"),
                            )
                        },
                        BatchSize::PerIteration,
                    )
                },
            );
            group.bench_with_input(
                BenchmarkId::new(format!("process_proposal{name}"), count),
                &block,
                |b, block| {
                    b.iter_batched_ref(
                        machines,
                        |cold| {
                            let machine = cold.as_ref().unwrap_or(&warm_machine);
                            machine
                                .process_proposal(&state, &ctx, block)
                                .expect("accepted")
                        },
                        BatchSize::PerIteration,
                    )
                },
            );
            group.bench_with_input(
                BenchmarkId::new(format!("finalize_block{name}"), count),
                &block,
                |b, block| {
                    b.iter_batched_ref(
                        machines,
                        |cold| {
                            let machine = cold.as_ref().unwrap_or(&warm_machine);
                            black_box(
                                machine
                                    .finalize_block(&state, None, &ctx, block)
                                    .expect("finalize"),
                            )
                        },
                        BatchSize::PerIteration,
                    )
                },
            );
        }
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
