//! secp256k1 ECDSA verification of a prehashed message with k256 (pure Rust,
//! what `quire-app` uses) and with the `secp256k1` crate (bindings to
//! Bitcoin Core's libsecp256k1, built from its C sources): verification, and
//! parsing a compressed public key (the point decompression).
//!
//! Run: `cargo bench -p quire-app --bench verify -- --quick`

// Test and bench code: a failed unwrap is the test failing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use k256::ecdsa::signature::hazmat::{PrehashSigner, PrehashVerifier};
use k256::ecdsa::{Signature, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};
use std::hint::black_box;

const COUNT: usize = 100;

struct Case {
    digest: [u8; 32],
    key: [u8; 33],
    signature: [u8; 64],
}

fn cases() -> Vec<Case> {
    (0..COUNT)
        .map(|i| {
            let mut seed = [7u8; 32];
            seed[..8].copy_from_slice(&(i as u64 + 1).to_be_bytes());
            let signing = SigningKey::from_slice(&seed).expect("valid key");
            let digest: [u8; 32] = Sha256::digest(i.to_be_bytes()).into();
            let signature: Signature = signing.sign_prehash(&digest).expect("signs");
            let key: [u8; 33] = signing
                .verifying_key()
                .to_encoded_point(true)
                .as_bytes()
                .try_into()
                .expect("33 bytes");
            Case {
                digest,
                key,
                signature: signature.to_bytes().into(),
            }
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let cases = cases();
    let k256_keys: Vec<VerifyingKey> = cases
        .iter()
        .map(|c| VerifyingKey::from_sec1_bytes(&c.key).expect("key"))
        .collect();
    let k256_sigs: Vec<Signature> = cases
        .iter()
        .map(|c| Signature::from_slice(&c.signature).expect("signature"))
        .collect();
    let secp = secp256k1::Secp256k1::verification_only();
    let lib_keys: Vec<secp256k1::PublicKey> = cases
        .iter()
        .map(|c| secp256k1::PublicKey::from_slice(&c.key).expect("key"))
        .collect();
    let lib_sigs: Vec<secp256k1::ecdsa::Signature> = cases
        .iter()
        .map(|c| secp256k1::ecdsa::Signature::from_compact(&c.signature).expect("signature"))
        .collect();

    let mut group = c.benchmark_group("verify");
    group.throughput(Throughput::Elements(COUNT as u64));
    group.bench_function("k256", |b| {
        b.iter(|| {
            for ((case, key), sig) in cases.iter().zip(&k256_keys).zip(&k256_sigs) {
                key.verify_prehash(&case.digest, sig).expect("verifies");
            }
        })
    });
    group.bench_function("libsecp256k1", |b| {
        b.iter(|| {
            for ((case, key), sig) in cases.iter().zip(&lib_keys).zip(&lib_sigs) {
                let message = secp256k1::Message::from_slice(&case.digest).expect("32 bytes");
                secp.verify_ecdsa(&message, sig, key).expect("verifies");
            }
        })
    });
    group.finish();

    let mut group = c.benchmark_group("parse_key");
    group.throughput(Throughput::Elements(COUNT as u64));
    group.bench_function("k256", |b| {
        b.iter(|| {
            for case in &cases {
                black_box(VerifyingKey::from_sec1_bytes(&case.key).expect("key"));
            }
        })
    });
    group.bench_function("libsecp256k1", |b| {
        b.iter(|| {
            for case in &cases {
                black_box(secp256k1::PublicKey::from_slice(&case.key).expect("key"));
            }
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
