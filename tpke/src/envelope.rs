//! Sealing a payload to an identity and opening it with the identity's key.
//!
//! KEM: IBE (`tle::encrypt`, MinSig) of a fresh 32-byte key `k` to the
//! identity under [`IBE_NAMESPACE`]. DEM: ChaCha20-Poly1305 under `k`, nonce
//! zero (`k` is never used twice), associated data `identity ‖ IBE
//! ciphertext`, so the body cannot be moved under another identity or
//! another KEM ciphertext.

use crate::error::{exact, read_fixed, write_fixed, Error};
use crate::identity::{Identity, IBE_NAMESPACE};
use crate::keys::GroupKey;
use crate::shares::DecryptionKey;
use crate::V;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use commonware_cryptography::bls12381::tle::{self, Block, Ciphertext};
use rand_chacha::rand_core::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;
use sha2::{Digest, Sha256};

/// Bytes of an [`IbeCiphertext`]: U (G2, 96) ‖ V (32) ‖ W (32).
pub const IBE_CIPHERTEXT_LEN: usize = 160;

/// Bytes the AEAD adds to a payload.
pub const TAG_LEN: usize = 16;

/// Domain separation of the seal's randomness.
const SEAL_DOMAIN: &[u8] = b"quire/seal/v1";

/// The KEM part of an envelope: `k` encrypted to the identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IbeCiphertext(Ciphertext<V>);

impl IbeCiphertext {
    /// U ‖ V ‖ W.
    pub fn to_bytes(&self) -> [u8; IBE_CIPHERTEXT_LEN] {
        write_fixed(&self.0)
    }

    /// Reads [`to_bytes`](Self::to_bytes)' form; U must be in G2 and not
    /// the identity.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        read_fixed::<Ciphertext<V>, IBE_CIPHERTEXT_LEN>("IBE ciphertext", bytes).map(IbeCiphertext)
    }
}

/// A sealed payload: the KEM ciphertext and the AEAD body (payload length
/// + [`TAG_LEN`] bytes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sealed {
    /// `k` encrypted to the identity.
    pub ibe: IbeCiphertext,
    /// The payload under `k`, with its tag.
    pub body: Vec<u8>,
}

fn aad(identity: &Identity, ibe: &IbeCiphertext) -> Vec<u8> {
    let mut out = Vec::with_capacity(32 + IBE_CIPHERTEXT_LEN);
    out.extend_from_slice(identity.as_bytes());
    out.extend_from_slice(&ibe.to_bytes());
    out
}

fn cipher(k: &[u8; 32]) -> ChaCha20Poly1305 {
    ChaCha20Poly1305::new(&Key::from(*k))
}

/// Seals `payload` to `identity` under `group_key`. `entropy` must be 32
/// fresh random bytes (the SDK takes them from the OS); the randomness used
/// is `sha256(domain ‖ entropy ‖ identity)`, so even reused entropy never
/// reuses a key across identities.
pub fn seal(
    group_key: &GroupKey,
    identity: &Identity,
    payload: &[u8],
    entropy: [u8; 32],
) -> Result<Sealed, Error> {
    let mut seed = Sha256::new();
    seed.update(SEAL_DOMAIN);
    seed.update(entropy);
    seed.update(identity.as_bytes());
    let mut rng = ChaCha20Rng::from_seed(seed.finalize().into());
    let mut k = [0u8; 32];
    rng.fill_bytes(&mut k);
    let ibe = tle::encrypt::<_, V>(
        &mut rng,
        group_key.0,
        (IBE_NAMESPACE, identity.as_bytes()),
        &Block::new(k),
    )
    .map(IbeCiphertext)
    .map_err(|_| Error::DegenerateGroupKey)?;
    let body = cipher(&k)
        .encrypt(
            &Nonce::default(),
            Payload {
                msg: payload,
                aad: &aad(identity, &ibe),
            },
        )
        .map_err(|_| Error::encoding("payload", "too long for the AEAD"))?;
    Ok(Sealed { ibe, body })
}

/// Opens an envelope sealed to `identity` with the identity's key. Check
/// the key first ([`crate::verify_key`]): a wrong key and an altered
/// envelope both fail here with [`Error::Open`], and only a verified key
/// tells them apart.
pub fn open(
    key: &DecryptionKey,
    identity: &Identity,
    ibe: &IbeCiphertext,
    body: &[u8],
) -> Result<Vec<u8>, Error> {
    let k = tle::decrypt::<V>(&key.0, &ibe.0).ok_or(Error::Open)?;
    let k: [u8; 32] = exact("envelope key", k.as_ref())?;
    cipher(&k)
        .decrypt(
            &Nonce::default(),
            Payload {
                msg: body,
                aad: &aad(identity, ibe),
            },
        )
        .map_err(|_| Error::Open)
}
