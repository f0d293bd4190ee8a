//! Any bytes as the parts of blind ordering (docs/blind-ordering.md): an
//! envelope's plaintext payload, every `quire-tpke` wire format (epoch key,
//! IBE ciphertext, decryption share and key, key share), the vote
//! extension's share section, the reveal transaction and the records a
//! reveal leaves in state, an envelope opened
//! with a valid key, and the canonical order check over arbitrary
//! (signer, sequence) lists. None may panic or allocate beyond its input.
//!
//! Invariants checked on top: what decodes re-encodes to the same bytes; no
//! bytes but the sealed ones open under the key; the order check accepts
//! exactly the order `canonical_positions` builds.
#![no_main]

use libfuzzer_sys::fuzz_target;
use quire_core::encryption::{record, Reveal, ShareSection, REVEAL_TX_PREFIX};
use quire_core::envelope::EnvelopePayload;
use quire_core::{order, Address};
use quire_tpke::{
    combine, deal, open, seal, share, DecryptionKey, DecryptionShare, EpochKey, IbeCiphertext,
    Identity, KeyShare,
};
use std::sync::LazyLock;

struct Fixture {
    identity: Identity,
    key: DecryptionKey,
    sealed: quire_tpke::Sealed,
}

static FIXTURE: LazyLock<Fixture> = LazyLock::new(|| {
    let (epoch, shares) = deal([1; 32], 4).expect("deal");
    let identity = Identity::derive("quire-fuzz", 1, &[2; 20], 0, &[3; 32]);
    let partials: Vec<DecryptionShare> = shares.iter().map(|s| share(s, &identity)).collect();
    let key = combine(&epoch, &partials).expect("combine");
    let sealed = seal(&epoch.group_key(), &identity, b"fuzz", [4; 32]).expect("seal");
    Fixture {
        identity,
        key,
        sealed,
    }
});

fuzz_target!(|data: &[u8]| {
    if let Ok(payload) = EnvelopePayload::decode(data) {
        assert_eq!(payload.encode(), data);
    }
    if let Ok(epoch) = EpochKey::from_bytes(data) {
        assert_eq!(epoch.to_bytes(), data);
        assert!(epoch.threshold() <= epoch.participants());
    }
    if let Ok(ct) = IbeCiphertext::from_bytes(data) {
        assert_eq!(ct.to_bytes().as_slice(), data);
    }
    if let Ok(share) = DecryptionShare::from_bytes(data) {
        assert_eq!(share.to_bytes().as_slice(), data);
    }
    if let Ok(key) = DecryptionKey::from_bytes(data) {
        assert_eq!(key.to_bytes().as_slice(), data);
    }
    if let Ok(key) = KeyShare::from_bytes(data) {
        assert_eq!(key.to_bytes().as_slice(), data);
    }
    if let Ok(section) = ShareSection::decode(data) {
        assert_eq!(section.encode(), data);
        assert!(data.len() <= ShareSection::MAX_LEN);
    }
    if let Ok(reveal) = Reveal::decode(data) {
        assert_eq!(&reveal.to_tx()[REVEAL_TX_PREFIX.len()..], data);
    }
    // The records clients decode from state proofs.
    if let Ok(record) = record::decode_record(data) {
        assert_eq!(record::encode_record(&record), data);
    }
    if let Ok(params) = record::EncryptionParams::decode(data) {
        assert_eq!(params.encode(), data);
    }
    if let Ok(status) = record::Status::decode(data) {
        assert_eq!(status.encode(), data);
    }

    // The fixture's key on the fixture's KEM part with any body: only the
    // sealed body opens.
    let fixture = &*FIXTURE;
    if let Ok(plain) = open(&fixture.key, &fixture.identity, &fixture.sealed.ibe, data) {
        assert_eq!(data, fixture.sealed.body.as_slice());
        assert_eq!(plain, b"fuzz");
    }

    // (signer byte, sequence byte) pairs.
    let txs: Vec<(Address, u64)> = data
        .chunks_exact(2)
        .take(64)
        .map(|pair| (Address::new([pair[0] % 8; 20]), u64::from(pair[1] % 16)))
        .collect();
    let positions = order::canonical_positions(&[5; 32], &txs);
    let canonical: Vec<(Address, u64)> = positions.iter().map(|&p| txs[p]).collect();
    let unique_sequences = {
        let mut seen = std::collections::BTreeSet::new();
        txs.iter().all(|tx| seen.insert(*tx))
    };
    if unique_sequences {
        assert_eq!(order::check(&[5; 32], &canonical), Ok(()));
        if order::check(&[5; 32], &txs).is_ok() {
            assert_eq!(txs, canonical);
        }
    }
});
