//! The threshold encryption end to end: seal, share, combine, verify, open;
//! every tampering and every wrong key fails; the formats are frozen.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use quire_tpke::{
    combine, deal, open, seal, share, verify_key, verify_keys, verify_share, verify_shares_of,
    DecryptionKey, DecryptionShare, EpochKey, Error, GroupKey, IbeCiphertext, Identity, KeyShare,
    Sealed, DECRYPTION_KEY_LEN, DECRYPTION_SHARE_LEN, GROUP_KEY_LEN, IBE_CIPHERTEXT_LEN, TAG_LEN,
};
use sha2::{Digest, Sha256};

fn identity(sequence: u64) -> Identity {
    Identity::derive("quire-test", 1, &[7; 20], sequence, &[9; 32])
}

fn key_for(epoch: &EpochKey, shares: &[KeyShare], id: &Identity) -> DecryptionKey {
    let partials: Vec<DecryptionShare> = shares.iter().map(|s| share(s, id)).collect();
    combine(epoch, &partials).unwrap()
}

#[test]
fn a_sealed_payload_opens_with_its_identitys_key_only() {
    let (epoch, shares) = deal([1; 32], 4).unwrap();
    assert_eq!((epoch.threshold(), epoch.participants()), (3, 4));
    let id = identity(0);
    let payload = b"a rollup's batch, hidden until committed".to_vec();
    let sealed = seal(&epoch.group_key(), &id, &payload, [2; 32]).unwrap();
    assert_eq!(sealed.body.len(), payload.len() + TAG_LEN);
    assert!(!sealed
        .body
        .windows(8)
        .any(|w| payload.windows(8).any(|p| p == w)));

    let key = key_for(&epoch, &shares[..3], &id);
    verify_key(&epoch.group_key(), &id, &key).unwrap();
    assert_eq!(open(&key, &id, &sealed.ibe, &sealed.body).unwrap(), payload);

    // Another identity's key (a copy under another signer or sequence, or a
    // retry with a new nonce) neither verifies nor opens it.
    let other = identity(1);
    let other_key = key_for(&epoch, &shares[1..], &other);
    assert_eq!(
        verify_key(&epoch.group_key(), &id, &other_key),
        Err(Error::InvalidKey)
    );
    assert_eq!(
        open(&other_key, &id, &sealed.ibe, &sealed.body),
        Err(Error::Open)
    );
    // The right key with the envelope claimed for another identity: the
    // associated data binds it.
    assert_eq!(
        open(&key, &other, &sealed.ibe, &sealed.body),
        Err(Error::Open)
    );
    // Another epoch's key for the same identity.
    let (other_epoch, other_shares) = deal([3; 32], 4).unwrap();
    let foreign = key_for(&other_epoch, &other_shares, &id);
    assert_eq!(
        verify_key(&epoch.group_key(), &id, &foreign),
        Err(Error::InvalidKey)
    );
    assert_eq!(
        open(&foreign, &id, &sealed.ibe, &sealed.body),
        Err(Error::Open)
    );
    // An empty payload seals too.
    let empty = seal(&epoch.group_key(), &id, b"", [4; 32]).unwrap();
    assert_eq!(open(&key, &id, &empty.ibe, &empty.body).unwrap(), b"");
}

#[test]
fn every_tampered_byte_of_an_envelope_fails_to_open() {
    let (epoch, shares) = deal([5; 32], 4).unwrap();
    let id = identity(3);
    let sealed = seal(&epoch.group_key(), &id, b"sixteen byte msg", [6; 32]).unwrap();
    let key = key_for(&epoch, &shares, &id);
    let ibe = sealed.ibe.to_bytes();
    // U (0..96), V (96..128), W (128..160): a flipped bit either fails to
    // decode (U off the curve or out of the subgroup) or fails to open.
    for byte in 0..IBE_CIPHERTEXT_LEN {
        let mut tampered = ibe;
        tampered[byte] ^= 0x01;
        if let Ok(ct) = IbeCiphertext::from_bytes(&tampered) {
            assert_eq!(
                open(&key, &id, &ct, &sealed.body),
                Err(Error::Open),
                "IBE byte {byte}"
            );
        }
    }
    for byte in 0..sealed.body.len() {
        let mut body = sealed.body.clone();
        body[byte] ^= 0x80;
        assert_eq!(
            open(&key, &id, &sealed.ibe, &body),
            Err(Error::Open),
            "body byte {byte}"
        );
    }
    let truncated = &sealed.body[..sealed.body.len() - 1];
    assert_eq!(open(&key, &id, &sealed.ibe, truncated), Err(Error::Open));
    // Another envelope's KEM part with this body: the AD binds them.
    let other = seal(&epoch.group_key(), &id, b"sixteen byte msg", [7; 32]).unwrap();
    assert_ne!(other.ibe, sealed.ibe);
    assert_eq!(open(&key, &id, &other.ibe, &sealed.body), Err(Error::Open));
}

#[test]
fn any_threshold_of_shares_makes_the_one_key_and_fewer_do_not() {
    for n in [4u32, 7, 10] {
        let (epoch, shares) = deal([n as u8; 32], n).unwrap();
        let t = epoch.threshold() as usize;
        assert_eq!(t, n as usize - (n as usize - 1) / 3);
        let id = identity(u64::from(n));
        let partials: Vec<DecryptionShare> = shares.iter().map(|s| share(s, &id)).collect();
        for p in &partials {
            verify_share(&epoch, &id, p).unwrap();
        }
        let reference = combine(&epoch, &partials[..t]).unwrap();
        verify_key(&epoch.group_key(), &id, &reference).unwrap();
        // Every window of t consecutive participants, and the last t.
        for start in 0..=(n as usize - t) {
            let key = combine(&epoch, &partials[start..start + t]).unwrap();
            assert_eq!(key, reference, "n {n}, participants {start}..{}", start + t);
        }
        // Duplicates do not count twice.
        let mut short: Vec<DecryptionShare> = partials[..t - 1].to_vec();
        short.push(partials[0].clone());
        assert_eq!(
            combine(&epoch, &short),
            Err(Error::NotEnoughShares {
                needed: t as u32,
                got: t - 1
            })
        );
    }
}

#[test]
fn a_bad_share_is_found_and_spoils_the_key() {
    let (epoch, shares) = deal([8; 32], 4).unwrap();
    let id = identity(4);
    let other = identity(5);
    let good: Vec<DecryptionShare> = shares.iter().map(|s| share(s, &id)).collect();
    // Participant 1 sends its share of another identity.
    let bad = share(&shares[1], &other);
    assert_eq!(
        verify_share(&epoch, &id, &bad),
        Err(Error::InvalidShare { index: 1 })
    );
    let spoiled = combine(&epoch, &[good[0].clone(), bad.clone(), good[2].clone()]).unwrap();
    assert_eq!(
        verify_key(&epoch.group_key(), &id, &spoiled),
        Err(Error::InvalidKey)
    );
    // Participant 2's share claimed by participant 3.
    let mut forged = good[2].to_bytes();
    forged[..4].copy_from_slice(&3u32.to_be_bytes());
    let forged = DecryptionShare::from_bytes(&forged).unwrap();
    assert_eq!(
        verify_share(&epoch, &id, &forged),
        Err(Error::InvalidShare { index: 3 })
    );
    // A participant the epoch does not have.
    let mut stranger = good[0].to_bytes();
    stranger[..4].copy_from_slice(&4u32.to_be_bytes());
    let stranger = DecryptionShare::from_bytes(&stranger).unwrap();
    assert_eq!(
        verify_share(&epoch, &id, &stranger),
        Err(Error::UnknownParticipant {
            index: 4,
            participants: 4
        })
    );

    // Batches: one validator's shares of many identities, many keys.
    let ids: Vec<Identity> = (10..42).map(identity).collect();
    let mut batch: Vec<(Identity, DecryptionShare)> =
        ids.iter().map(|id| (*id, share(&shares[2], id))).collect();
    verify_shares_of(&epoch, 2, &batch).unwrap();
    verify_shares_of(&epoch, 2, &[]).unwrap();
    assert_eq!(
        verify_shares_of(&epoch, 1, &batch),
        Err(Error::InvalidShare { index: 1 })
    );
    batch[17].1 = share(&shares[2], &ids[16]);
    assert_eq!(
        verify_shares_of(&epoch, 2, &batch),
        Err(Error::InvalidShare { index: 2 })
    );
    let mut keys: Vec<(Identity, DecryptionKey)> = ids
        .iter()
        .map(|id| (*id, key_for(&epoch, &shares, id)))
        .collect();
    verify_keys(&epoch.group_key(), &keys).unwrap();
    verify_keys(&epoch.group_key(), &[]).unwrap();
    // Two keys swapped between their identities.
    let third = keys[3].1;
    keys[3].1 = keys[4].1;
    keys[4].1 = third;
    assert_eq!(
        verify_keys(&epoch.group_key(), &keys),
        Err(Error::InvalidKey)
    );
}

#[test]
fn encodings_round_trip_and_garbage_is_refused() {
    let (epoch, shares) = deal([11; 32], 7).unwrap();
    let bytes = epoch.to_bytes();
    assert_eq!(EpochKey::from_bytes(&bytes).unwrap(), epoch);
    for cut in [0, 1, bytes.len() / 2, bytes.len() - 1] {
        assert!(EpochKey::from_bytes(&bytes[..cut]).is_err(), "cut at {cut}");
    }
    let mut longer = bytes.clone();
    longer.push(0);
    assert!(EpochKey::from_bytes(&longer).is_err());

    let group = epoch.group_key().to_bytes();
    assert_eq!(group.len(), GROUP_KEY_LEN);
    assert_eq!(GroupKey::from_bytes(&group).unwrap(), epoch.group_key());
    assert!(GroupKey::from_bytes(&[0; GROUP_KEY_LEN]).is_err());
    // The compressed point at infinity (0xc0 ‖ zeros) is refused.
    let mut infinity = [0u8; GROUP_KEY_LEN];
    infinity[0] = 0xc0;
    assert!(GroupKey::from_bytes(&infinity).is_err());

    let share_bytes = shares[3].to_bytes();
    let restored = KeyShare::from_bytes(&share_bytes).unwrap();
    assert_eq!(restored.index(), 3);
    assert_eq!(format!("{restored:?}"), "KeyShare { index: 3, .. }");
    let id = identity(6);
    assert_eq!(share(&restored, &id), share(&shares[3], &id));

    let partial = share(&shares[0], &id);
    let partial_bytes = partial.to_bytes();
    assert_eq!(partial_bytes.len(), DECRYPTION_SHARE_LEN);
    assert_eq!(
        DecryptionShare::from_bytes(&partial_bytes).unwrap(),
        partial
    );
    assert!(DecryptionShare::from_bytes(&partial_bytes[..51]).is_err());
    let mut infinity = [0u8; DECRYPTION_KEY_LEN];
    infinity[0] = 0xc0;
    assert!(DecryptionKey::from_bytes(&infinity).is_err());
    let mut off_curve = partial_bytes;
    off_curve[10] ^= 0xff;
    assert!(DecryptionShare::from_bytes(&off_curve).is_err());

    let key = key_for(&epoch, &shares, &id);
    assert_eq!(DecryptionKey::from_bytes(&key.to_bytes()).unwrap(), key);
    assert!(matches!(
        DecryptionKey::from_bytes(&[1; 47]),
        Err(Error::Encoding { .. })
    ));
    assert!(IbeCiphertext::from_bytes(&[0; IBE_CIPHERTEXT_LEN]).is_err());
    assert!(matches!(deal([0; 32], 0), Err(Error::Participants(0))));
    assert!(matches!(
        deal([0; 32], 1025),
        Err(Error::Participants(1025))
    ));
}

fn hex_sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// The formats are frozen: the same seeds give the same bytes in every
/// release. A change here is a change of the wire format (a new version).
#[test]
fn frozen_vectors() {
    let (epoch, shares) = deal([42; 32], 4).unwrap();
    let id = Identity::derive("quire-vectors", 7, &[1; 20], 3, &[2; 32]);
    let Sealed { ibe, body } = seal(&epoch.group_key(), &id, b"frozen", [3; 32]).unwrap();
    let partial = share(&shares[0], &id);
    let key = key_for(&epoch, &shares, &id);
    let got = [
        hex::encode(id.as_bytes()),
        hex_sha256(&epoch.to_bytes()),
        hex::encode(epoch.hash()),
        hex_sha256(&shares[0].to_bytes()),
        hex_sha256(&ibe.to_bytes()),
        hex::encode(&body),
        hex_sha256(&partial.to_bytes()),
        hex_sha256(&key.to_bytes()),
    ];
    let expected: [&str; 8] = FROZEN;
    assert_eq!(got.clone(), expected.map(String::from), "{got:#?}");
    assert_eq!(open(&key, &id, &ibe, &body).unwrap(), b"frozen");
}

/// identity, sha256(epoch key), epoch key hash, sha256(share 0), sha256(IBE
/// ciphertext), body, sha256(decryption share 0), sha256(decryption key).
const FROZEN: [&str; 8] = [
    "b4319e96e4bd01a9f0770daf1caea1670a94ed863af963cd301db95a16202613",
    "ef632e6abdbbef29b8f1603259208ebe5a7cbdc40cf599efcce7660c7d3b4b8b",
    "ef632e6abdbbef29b8f1603259208ebe5a7cbdc40cf599efcce7660c7d3b4b8b",
    "06a1ec6e5fea3668ec3e64d0bf6e8d295b102a7f0735867b5982eef042a4e86d",
    "5d54b5e0626894a0d0add31a8c6a12494d73f315a05570559e9ec2c00b7009d3",
    "a7465b4fa05cde6761bd5b38004628d8915eab84e859",
    "c4d4e66915f8da54bf75ab1588486eabfb839c4ffbe2d5562273a4acb71b5299",
    "a4147836f3c593e0ba73ac4166a76e27941e05397f725b1d02596c5a3092e99e",
];
