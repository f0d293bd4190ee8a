//! The on-chain key generation's CPU costs per validator and per node
//! (docs/blind-ordering.md §4 records them), at n ∈ {4, 16, 32} players:
//! one dealer's `deal`, one player's `acks` over every deal, checking one
//! deal (`check_deal`, every node for every recorded deal), one dealer's
//! `dealer_log`, `observe` over every log (every node, once per round) and
//! one player's `player_share`. `cargo bench -p quire-tpke --bench dkg`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use quire_tpke::dkg::{
    acks, check_deal, deal, dealer_log, observe, player_share, DkgSecret, Round, ACK_LEN,
};
use std::collections::BTreeMap;

/// A whole honest round of `n`: its secrets, the round, deals, acks per
/// dealer and logs.
struct Fixture {
    secrets: Vec<DkgSecret>,
    round: Round,
    deals: Vec<(u32, Vec<u8>)>,
    acks_for: BTreeMap<u32, Vec<(u32, [u8; ACK_LEN])>>,
    logs: Vec<(u32, Vec<u8>)>,
}

fn fixture(n: u8) -> Fixture {
    let secrets: Vec<DkgSecret> = (1..=n).map(|i| DkgSecret::from_bytes([i; 32])).collect();
    let players: Vec<_> = secrets.iter().map(DkgSecret::public).collect();
    let round = Round::new("quire-bench", 1, &players).unwrap();
    let index = |s: &DkgSecret| round.index_of(&s.public().identity).unwrap();
    let mut deals: Vec<_> = secrets
        .iter()
        .map(|s| (index(s), deal(&round, s).unwrap()))
        .collect();
    deals.sort_by_key(|d| d.0);
    let mut acks_for: BTreeMap<u32, Vec<(u32, [u8; ACK_LEN])>> = BTreeMap::new();
    for s in &secrets {
        for (dealer, ack) in acks(&round, s, &deals).unwrap() {
            acks_for.entry(dealer).or_default().push((index(s), ack));
        }
    }
    let mut logs: Vec<_> = secrets
        .iter()
        .map(|s| {
            let d = index(s);
            (d, dealer_log(&round, s, &acks_for[&d]).unwrap())
        })
        .collect();
    logs.sort_by_key(|l| l.0);
    Fixture {
        secrets,
        round,
        deals,
        acks_for,
        logs,
    }
}

fn key_generation(c: &mut Criterion) {
    let mut group = c.benchmark_group("dkg");
    group.sample_size(10);
    for n in [4u8, 16, 32] {
        let f = fixture(n);
        let me = &f.secrets[0];
        let my_index = f.round.index_of(&me.public().identity).unwrap();
        group.bench_with_input(BenchmarkId::new("deal", n), &f, |b, f| {
            b.iter(|| deal(&f.round, me).unwrap())
        });
        group.bench_with_input(BenchmarkId::new("check_deal", n), &f, |b, f| {
            b.iter(|| check_deal(&f.round, &f.deals[0].1).unwrap())
        });
        group.bench_with_input(BenchmarkId::new("acks_of_all_deals", n), &f, |b, f| {
            b.iter(|| acks(&f.round, me, &f.deals).unwrap())
        });
        group.bench_with_input(BenchmarkId::new("dealer_log", n), &f, |b, f| {
            b.iter(|| dealer_log(&f.round, me, &f.acks_for[&my_index]).unwrap())
        });
        group.bench_with_input(BenchmarkId::new("observe", n), &f, |b, f| {
            b.iter(|| observe(&f.round, &f.logs).unwrap())
        });
        group.bench_with_input(BenchmarkId::new("player_share", n), &f, |b, f| {
            b.iter(|| player_share(&f.round, me, &f.deals, &f.logs).unwrap())
        });
    }
    group.finish();
}

criterion_group!(benches, key_generation);
criterion_main!(benches);
