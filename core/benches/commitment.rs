//! Benchmarks of the per-block namespace commitment: building it, building
//! proofs from it, and verifying proofs as an untrusting client would.
//!
//! Run: `cargo bench -p quire-core --bench commitment -- --quick`

// Test and bench code: a failed unwrap is the test failing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use quire_core::commitment::{NamespaceProof, NamespaceTree};
use quire_core::{Address, Blob, Namespace};
use std::hint::black_box;

/// Size of every blob in the benchmark blocks.
const BLOB_LEN: usize = 64;

/// (label, namespaces, blobs per namespace)
const SHAPES: [(&str, usize, usize); 4] = [
    ("1ns_x1", 1, 1),
    ("100ns_x1", 100, 1),
    ("100ns_x10", 100, 10),
    ("10000ns_x1", 10_000, 1),
];

/// Namespace `i` of the benchmark blocks. Even ids only, so that the odd id
/// between two of them is absent.
fn namespace(i: usize) -> Namespace {
    let mut bytes = [0u8; 32];
    bytes[24..].copy_from_slice(&((i as u64) * 2 + 2).to_be_bytes());
    Namespace::new(bytes)
}

/// A block of `namespaces × per_namespace` blobs, namespaces interleaved in
/// block order as independent rollups' txs would be.
fn block(namespaces: usize, per_namespace: usize) -> Vec<Blob> {
    let mut blobs = Vec::with_capacity(namespaces * per_namespace);
    for round in 0..per_namespace {
        for i in 0..namespaces {
            let tx_index = (round * namespaces + i) as u32;
            blobs.push(Blob {
                namespace: namespace(i),
                signer: Address::new([(i % 251) as u8; 20]),
                tx_hash: [0; 32],
                tx_index,
                msg_index: 0,
                data: vec![(tx_index % 256) as u8; BLOB_LEN],
            });
        }
    }
    blobs
}

fn blobs_of(blobs: &[Blob], ns: &Namespace) -> Vec<(Address, Vec<u8>)> {
    blobs
        .iter()
        .filter(|b| b.namespace == *ns)
        .map(|b| (b.signer, b.data.clone()))
        .collect()
}

fn bench_build(c: &mut Criterion) {
    let mut group = c.benchmark_group("commitment_build");
    for (label, namespaces, per) in SHAPES {
        let blobs = block(namespaces, per);
        group.throughput(Throughput::Elements(blobs.len() as u64));
        group.bench_with_input(BenchmarkId::from_parameter(label), &blobs, |b, blobs| {
            b.iter(|| NamespaceTree::build(7, black_box(blobs)).commitment())
        });
    }
    group.finish();
}

fn bench_prove(c: &mut Criterion) {
    let mut group = c.benchmark_group("proof_build");
    for (label, namespaces, per) in SHAPES {
        let tree = NamespaceTree::build(7, &block(namespaces, per));
        let middle = namespace(namespaces / 2);
        group.throughput(Throughput::Elements(1));
        group.bench_function(BenchmarkId::new("one_inclusion", label), |b| {
            b.iter(|| tree.prove(black_box(&middle)))
        });
        let all: Vec<Namespace> = (0..namespaces).map(namespace).collect();
        group.throughput(Throughput::Elements(namespaces as u64));
        group.bench_function(BenchmarkId::new("every_namespace", label), |b| {
            b.iter(|| {
                all.iter()
                    .map(|ns| tree.prove(black_box(ns)))
                    .collect::<Vec<_>>()
            })
        });
    }
    group.finish();
}

fn bench_verify(c: &mut Criterion) {
    let mut group = c.benchmark_group("proof_verify");
    for (label, namespaces, per) in SHAPES {
        let blobs = block(namespaces, per);
        let tree = NamespaceTree::build(7, &blobs);
        let commitment = tree.commitment();

        let present = namespace(namespaces / 2);
        let proof = tree.prove(&present);
        let owned = blobs_of(&blobs, &present);
        let given: Vec<(Address, &[u8])> = owned.iter().map(|(a, d)| (*a, d.as_slice())).collect();
        assert!(matches!(proof, NamespaceProof::Inclusion { .. }));
        assert_eq!(proof.verify(&commitment, &present, &given), Ok(()));
        group.bench_function(BenchmarkId::new("inclusion", label), |b| {
            b.iter(|| black_box(&proof).verify(black_box(&commitment), black_box(&present), &given))
        });

        // Between two present namespaces where there are two, else below the first.
        let mut absent_bytes = *namespace(namespaces / 2).as_bytes();
        absent_bytes[31] = absent_bytes[31].wrapping_sub(1);
        let absent = Namespace::new(absent_bytes);
        let proof = tree.prove(&absent);
        assert!(matches!(proof, NamespaceProof::Absence(_)));
        assert_eq!(proof.verify(&commitment, &absent, &[]), Ok(()));
        group.bench_function(BenchmarkId::new("absence", label), |b| {
            b.iter(|| black_box(&proof).verify(black_box(&commitment), black_box(&absent), &[]))
        });
    }
    group.finish();
}

criterion_group!(benches, bench_build, bench_prove, bench_verify);
criterion_main!(benches);
