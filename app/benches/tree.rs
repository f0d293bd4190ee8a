//! The state tree's root update: a block touching 1 000 and 10 000 account
//! entries of a state holding 100 000, as FinalizeBlock computes it (reads
//! of committed nodes from memory, so this is the hashing and encoding cost,
//! not redb's). 2 000 and 20 000 show what two entries per tx (e.g. separate
//! auth and bank records) would cost.
//!
//! Run: `cargo bench -p quire-app --bench tree -- --quick`

// Bench code: a failed unwrap is the bench failing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use quire_app::state::tree::{self, EmptyTree, TreeRead};
use quire_app::{ChangeSet, StateReadError};
use quire_core::account::{account_key, Account};
use quire_core::Address;
use std::collections::BTreeMap;
use std::hint::black_box;

const ACCOUNTS: u64 = 100_000;

struct Nodes(BTreeMap<Vec<u8>, Vec<u8>>);

impl TreeRead for Nodes {
    fn tree_node(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StateReadError> {
        Ok(self.0.get(key).cloned())
    }
}

fn address(i: u64) -> Address {
    let mut bytes = [0x5au8; 20];
    bytes[..8].copy_from_slice(&i.to_be_bytes());
    Address::new(bytes)
}

fn account(i: u64, sequence: u64) -> Vec<u8> {
    Account {
        balance: 1_000_000 + u128::from(i),
        account_number: i,
        sequence,
    }
    .encode()
}

fn bench(c: &mut Criterion) {
    let genesis: ChangeSet = (0..ACCOUNTS)
        .map(|i| (account_key(&address(i)), Some(account(i, 0))))
        .collect();
    let (_, changes) = tree::update(&EmptyTree, None, 0, &genesis, true).unwrap();
    let nodes = Nodes(changes.nodes);
    let mut group = c.benchmark_group("state_tree");
    group.sample_size(10);
    for touched in [1_000u64, 2_000, 10_000, 20_000] {
        // Every `ACCOUNTS / touched`-th account's sequence advances.
        let step = ACCOUNTS / touched;
        let block: ChangeSet = (0..touched)
            .map(|j| {
                let i = j * step;
                (account_key(&address(i)), Some(account(i, 1)))
            })
            .collect();
        group.throughput(Throughput::Elements(touched));
        group.bench_with_input(BenchmarkId::new("update", touched), &block, |b, block| {
            b.iter(|| black_box(tree::update(&nodes, None, 1, block, false).unwrap()))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
