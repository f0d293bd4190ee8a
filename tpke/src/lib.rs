//! Quire's threshold encryption: what makes a blob unreadable to everyone,
//! the proposer included, until the validators release its key after the
//! block that orders it is committed (docs/blind-ordering.md).
//!
//! The construction is identity-based threshold encryption on BLS12-381, the
//! one of drand's tlock and Shutter: Boneh–Franklin IBE made CCA-secure by
//! the Fujisaki–Okamoto transform (`commonware-cryptography`'s `tle`), in the
//! **MinSig** variant (keys, shares and decryption keys 48 bytes in G1; the
//! group key and the ciphertext's U 96 bytes in G2).
//!
//! - Every envelope has its own [`Identity`], bound to the chain, the key
//!   epoch, the signer, its sequence and a fresh nonce: a ciphertext copied
//!   into another tx, or re-signed with a new nonce, is another identity and
//!   is never revealed by the first one's key.
//! - [`seal`] encrypts a fresh 32-byte key to the identity with IBE and the
//!   payload with ChaCha20-Poly1305 under that key ([`Sealed`]).
//! - The key of an identity is the threshold BLS signature on it: each
//!   validator's [`DecryptionShare`] ([`share`]), checked with
//!   [`verify_share`], any `threshold` of them [`combine`]d into the
//!   [`DecryptionKey`], which anyone checks against the [`GroupKey`] with one
//!   pairing ([`verify_key`]) before [`open`]ing the envelope.
//!
//! This crate owns every wire format of the scheme (fixed sizes, explicit
//! bytes, every point checked to be in its subgroup when read), so a later
//! change of library or construction changes this crate only. It has no
//! randomness of its own: callers pass entropy in ([`seal`], [`deal`]), and
//! everything else is deterministic.

pub mod dkg;
mod envelope;
mod error;
mod identity;
mod keys;
mod shares;

pub use envelope::{open, seal, IbeCiphertext, Sealed, IBE_CIPHERTEXT_LEN, TAG_LEN};
pub use error::Error;
pub use identity::{Identity, IBE_NAMESPACE, IDENTITY_DOMAIN};
pub use keys::{
    deal, EpochKey, GroupKey, KeyShare, GROUP_KEY_LEN, KEY_SHARE_LEN, MAX_PARTICIPANTS,
};
pub use shares::{
    combine, share, verify_key, verify_keys, verify_share, verify_shares_of, DecryptionKey,
    DecryptionShare, DECRYPTION_KEY_LEN, DECRYPTION_SHARE_LEN,
};

/// The BLS12-381 variant: signatures (shares, keys) in G1, public keys in G2.
type V = commonware_cryptography::bls12381::primitives::variant::MinSig;
