//! The threshold encryption's CPU costs (docs/blind-ordering.md records
//! them): sealing and opening, one validator's share, checking one share and
//! a batch of 32, combining a key at n ∈ {4, 16, 64, 128}, and checking a
//! reveal's 32 keys. `cargo bench -p quire-tpke --bench tpke`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use quire_tpke::{
    combine, deal, open, seal, share, verify_key, verify_keys, verify_share, verify_shares_of,
    DecryptionKey, DecryptionShare, Identity,
};

fn identity(sequence: u64) -> Identity {
    Identity::derive("quire-bench", 1, &[7; 20], sequence, &[9; 32])
}

fn envelopes(c: &mut Criterion) {
    let (epoch, shares) = deal([1; 32], 4).unwrap();
    let id = identity(0);
    let mut group = c.benchmark_group("envelope");
    for size in [10_000usize, 100_000] {
        let payload = vec![0xab; size];
        group.throughput(Throughput::Bytes(size as u64));
        group.bench_with_input(BenchmarkId::new("seal", size), &payload, |b, payload| {
            b.iter(|| seal(&epoch.group_key(), &id, black_box(payload), [2; 32]).unwrap())
        });
        let sealed = seal(&epoch.group_key(), &id, &payload, [2; 32]).unwrap();
        let partials: Vec<DecryptionShare> = shares.iter().map(|s| share(s, &id)).collect();
        let key = combine(&epoch, &partials).unwrap();
        group.bench_with_input(BenchmarkId::new("open", size), &sealed, |b, sealed| {
            b.iter(|| open(&key, &id, &sealed.ibe, black_box(&sealed.body)).unwrap())
        });
    }
    group.finish();
}

fn shares_and_keys(c: &mut Criterion) {
    let mut group = c.benchmark_group("shares");
    let (epoch, shares) = deal([3; 32], 4).unwrap();
    let id = identity(1);
    group.bench_function("share", |b| b.iter(|| share(&shares[0], black_box(&id))));
    let one = share(&shares[0], &id);
    group.bench_function("verify_share", |b| {
        b.iter(|| verify_share(&epoch, &id, black_box(&one)).unwrap())
    });
    let ids: Vec<Identity> = (0..32).map(identity).collect();
    let batch: Vec<(Identity, DecryptionShare)> =
        ids.iter().map(|id| (*id, share(&shares[1], id))).collect();
    group.bench_function("verify_shares_of_32", |b| {
        b.iter(|| verify_shares_of(&epoch, 1, black_box(&batch)).unwrap())
    });
    for n in [4u32, 16, 64, 128] {
        let (epoch, shares) = deal([n as u8; 32], n).unwrap();
        let t = epoch.threshold() as usize;
        let partials: Vec<DecryptionShare> = shares[..t].iter().map(|s| share(s, &id)).collect();
        group.bench_with_input(BenchmarkId::new("combine", n), &partials, |b, partials| {
            b.iter(|| combine(&epoch, black_box(partials)).unwrap())
        });
    }
    let key = combine(
        &epoch,
        &shares.iter().map(|s| share(s, &id)).collect::<Vec<_>>(),
    )
    .unwrap();
    group.bench_function("verify_key", |b| {
        b.iter(|| verify_key(&epoch.group_key(), &id, black_box(&key)).unwrap())
    });
    let keys: Vec<(Identity, DecryptionKey)> = ids
        .iter()
        .map(|id| {
            let partials: Vec<DecryptionShare> = shares.iter().map(|s| share(s, id)).collect();
            (*id, combine(&epoch, &partials).unwrap())
        })
        .collect();
    group.bench_function("verify_keys_32", |b| {
        b.iter(|| verify_keys(&epoch.group_key(), black_box(&keys)).unwrap())
    });
    group.finish();
}

criterion_group!(benches, envelopes, shares_and_keys);
criterion_main!(benches);
