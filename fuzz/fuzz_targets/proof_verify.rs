//! Untrusted read-API answers: verification must return a result, never
//! panic, whatever the server sends.
//!
//! Input: one mode byte, then
//! - even mode: a protobuf `NamespaceData` (blobs, proof, attestation), given
//!   to `Verifier::verify` of a verifier that trusts the fixed genesis
//!   (`quire_fuzz::genesis_json`, one ed25519 validator);
//! - odd mode: 44 bytes that, behind the commitment prefix, make a
//!   `NamespaceCommitment` (height ‖ count ‖ root), then a protobuf
//!   `NamespaceData` whose proof goes through core's `Protobuf` conversion
//!   (`NamespaceProof::try_from_raw`) and `NamespaceProof::verify` against
//!   that commitment.
//!
//! When verification succeeds, the answer is checked for consistency: the
//! verified blobs are exactly the wire blobs, a verified height re-verifies,
//! an added blob or another height is refused, and an inclusion proof's blobs
//! hash to its leaf (fewer or more blobs, or another namespace, are refused).
//! Commitment and proof encodings round-trip (raw message and bytes).
#![no_main]

use libfuzzer_sys::fuzz_target;
use prost::Message;
use quire_core::commitment::{
    blobs_root, NamespaceCommitment, NamespaceProof, COMMITMENT_TX_PREFIX,
};
use quire_core::proto::{blob_signer, Protobuf};
use quire_core::{Address, Namespace};
use quire_proto::sequencer::v1 as pb;
use std::sync::OnceLock;

static GENESIS: OnceLock<String> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    if mode & 1 == 0 {
        attested(rest);
    } else {
        proof_only(rest);
    }
});

fn attested(bytes: &[u8]) {
    let Ok(data) = pb::NamespaceData::decode(bytes) else {
        return;
    };
    let genesis = GENESIS.get_or_init(quire_fuzz::genesis_json);
    let namespace = Namespace::from_slice(&data.namespace).unwrap_or(Namespace::new([0; 32]));
    let mut verifier = quire_fuzz::verifier(genesis);
    let Ok(verified) = verifier.verify(&data, data.height, &namespace) else {
        return;
    };
    assert_eq!(verified.height, data.height);
    assert_eq!(verified.namespace, namespace);
    assert_eq!(verified.blobs.len(), data.blobs.len());
    for ((signer, blob), wire) in verified.blobs.iter().zip(&data.blobs) {
        assert_eq!(signer.as_bytes().as_slice(), wire.signer.as_slice());
        assert_eq!(blob, &wire.data);
    }
    // The height is now at the trust anchor: the same answer re-verifies.
    if let Err(e) = verifier.verify(&data, data.height, &namespace) {
        panic!("a verified answer fails re-verification: {e}");
    }
    // One blob more than the server committed to is refused.
    let mut padded = data.clone();
    padded.blobs.push(pb::Blob {
        signer: vec![0; 20],
        data: b"extra".to_vec(),
        ..Default::default()
    });
    assert!(
        quire_fuzz::verifier(genesis)
            .verify(&padded, data.height, &namespace)
            .is_err(),
        "an added blob was accepted"
    );
    // Asked about another height, the answer is refused.
    assert!(quire_fuzz::verifier(genesis)
        .verify(&data, data.height.wrapping_add(1), &namespace)
        .is_err());
}

fn proof_only(bytes: &[u8]) {
    let Some((head, tail)) = bytes.split_first_chunk::<44>() else {
        return;
    };
    let mut tx = COMMITMENT_TX_PREFIX.to_vec();
    tx.extend_from_slice(head);
    let Ok(commitment) = NamespaceCommitment::decode(&tx) else {
        return;
    };
    assert_eq!(commitment.encode(), tx, "commitment encoding round trip");
    let Ok(data) = pb::NamespaceData::decode(tail) else {
        return;
    };
    let Some(wire_proof) = &data.proof else {
        return;
    };
    let Ok(proof) = NamespaceProof::try_from_raw(wire_proof) else {
        return;
    };
    assert_eq!(
        NamespaceProof::try_from_raw(&proof.to_raw()).as_ref(),
        Ok(&proof),
        "proof wire round trip"
    );
    assert_eq!(
        <NamespaceProof as Protobuf>::decode(&proof.encode_to_vec()).as_ref(),
        Ok(&proof),
        "proof bytes round trip"
    );
    let namespace = Namespace::from_slice(&data.namespace).unwrap_or(Namespace::new([0; 32]));
    let blobs: Vec<(Address, &[u8])> = data
        .blobs
        .iter()
        .filter_map(|b| Some((blob_signer(b).ok()?, b.data.as_slice())))
        .collect();
    if proof.verify(&commitment, &namespace, &blobs).is_err() {
        return;
    }
    match &proof {
        NamespaceProof::Inclusion { leaf, .. } => {
            assert_eq!(leaf.namespace, namespace);
            assert_eq!(blobs.len(), leaf.blob_count as usize);
            assert_eq!(blobs_root(&blobs), leaf.blobs_root);
            // Another namespace is never proven by this leaf.
            let mut other = *namespace.as_bytes();
            other[31] ^= 1;
            assert!(proof
                .verify(&commitment, &Namespace::new(other), &blobs)
                .is_err());
            // Nor are fewer blobs.
            assert!(proof
                .verify(&commitment, &namespace, &blobs[..blobs.len() - 1])
                .is_err());
        }
        NamespaceProof::Absence(_) => assert!(blobs.is_empty()),
    }
    let mut more = blobs.clone();
    more.push((Address::new([0; 20]), b"extra"));
    assert!(
        proof.verify(&commitment, &namespace, &more).is_err(),
        "an added blob was accepted"
    );
}
