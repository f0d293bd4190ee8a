//! L1 keys: Ethereum addresses, recoverable secp256k1 signatures over
//! 32-byte digests, and the proof that an operator holds its L1 key.

use super::checkpoint::Domain;
use k256::ecdsa::{RecoveryId, Signature, SigningKey, VerifyingKey};
use sha3::{Digest, Keccak256};
use std::fmt;
use std::str::FromStr;
use thiserror::Error;

/// Keccak-256, Ethereum's hash.
pub fn keccak256(data: &[u8]) -> [u8; 32] {
    Keccak256::digest(data).into()
}

/// Why an L1 address, key or signature was refused.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum L1KeyError {
    /// Not `0x` and 40 hex digits, or a mixed-case address whose EIP-55
    /// checksum is wrong.
    #[error("invalid L1 address {0:?}: want 0x and 40 hex digits (EIP-55 checksum if mixed case)")]
    Address(String),
    /// The zero address, which `ecrecover` returns for every bad signature.
    #[error("the zero address cannot be an L1 key")]
    ZeroAddress,
    /// A signature of the wrong length.
    #[error("an L1 signature is 65 bytes (r ‖ s ‖ v), got {0}")]
    SignatureLength(usize),
    /// `v` is not 27 or 28.
    #[error("L1 signature v must be 27 or 28, got {0}")]
    RecoveryByte(u8),
    /// `s` is above half the curve order (a malleated signature).
    #[error("L1 signature s is not in the lower half of the curve order")]
    HighS,
    /// `r` or `s` is zero or not below the curve order.
    #[error("L1 signature r or s is out of range")]
    Scalar,
    /// No public key recovers from the signature.
    #[error("no L1 key recovers from the signature")]
    Unrecoverable,
    /// A secret key that is not a valid secp256k1 scalar.
    #[error("invalid L1 secret key: {0}")]
    SecretKey(String),
}

/// An Ethereum address: the last 20 bytes of keccak-256 of the key's
/// uncompressed point.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct L1Address(pub [u8; 20]);

impl L1Address {
    /// The address of a public key.
    pub fn of(key: &VerifyingKey) -> Self {
        let point = key.to_encoded_point(false);
        let hash = keccak256(&point.as_bytes()[1..]);
        let mut out = [0u8; 20];
        out.copy_from_slice(&hash[12..]);
        L1Address(out)
    }

    /// The raw 20 bytes.
    pub fn as_bytes(&self) -> &[u8; 20] {
        &self.0
    }

    /// Whether this is the zero address.
    pub fn is_zero(&self) -> bool {
        self.0 == [0u8; 20]
    }

    /// The address as an ABI word (left-padded to 32 bytes).
    pub fn abi_word(&self) -> [u8; 32] {
        let mut word = [0u8; 32];
        word[12..].copy_from_slice(&self.0);
        word
    }

    /// EIP-55 mixed-case checksum form, `0x`-prefixed.
    pub fn to_checksum(&self) -> String {
        let lower = hex::encode(self.0);
        let hash = keccak256(lower.as_bytes());
        let mut out = String::with_capacity(42);
        out.push_str("0x");
        for (i, c) in lower.chars().enumerate() {
            let nibble = (hash[i / 2] >> (if i % 2 == 0 { 4 } else { 0 })) & 0x0f;
            if c.is_ascii_alphabetic() && nibble >= 8 {
                out.push(c.to_ascii_uppercase());
            } else {
                out.push(c);
            }
        }
        out
    }
}

impl fmt::Display for L1Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_checksum())
    }
}

impl fmt::Debug for L1Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "L1Address({})", self.to_checksum())
    }
}

impl FromStr for L1Address {
    type Err = L1KeyError;

    /// `0x` and 40 hex digits; all lower case, all upper case, or EIP-55.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || L1KeyError::Address(s.chars().take(64).collect());
        let digits = s.strip_prefix("0x").ok_or_else(bad)?;
        if digits.len() != 40 {
            return Err(bad());
        }
        let mut out = [0u8; 20];
        hex::decode_to_slice(digits, &mut out).map_err(|_| bad())?;
        let address = L1Address(out);
        let mixed = digits.chars().any(|c| c.is_ascii_lowercase())
            && digits.chars().any(|c| c.is_ascii_uppercase());
        if mixed && address.to_checksum()[2..] != *digits {
            return Err(bad());
        }
        Ok(address)
    }
}

impl serde::Serialize for L1Address {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_checksum())
    }
}

impl<'de> serde::Deserialize<'de> for L1Address {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// A recoverable secp256k1 signature as Ethereum's `ecrecover` takes it:
/// `r ‖ s ‖ v`, `v ∈ {27, 28}`, `s` in the lower half of the order.
/// Construction checks all of it, so a held value is never malleable.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct L1Signature {
    signature: Signature,
    recovery: RecoveryId,
}

impl L1Signature {
    /// Encoded length.
    pub const LEN: usize = 65;

    /// Parses and checks `r ‖ s ‖ v`.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, L1KeyError> {
        let bytes: &[u8; 65] = bytes
            .try_into()
            .map_err(|_| L1KeyError::SignatureLength(bytes.len()))?;
        let v = bytes[64];
        if v != 27 && v != 28 {
            return Err(L1KeyError::RecoveryByte(v));
        }
        let signature = Signature::from_slice(&bytes[..64]).map_err(|_| L1KeyError::Scalar)?;
        if signature.normalize_s().is_some() {
            return Err(L1KeyError::HighS);
        }
        let recovery = RecoveryId::from_byte(v - 27).ok_or(L1KeyError::RecoveryByte(v))?;
        Ok(L1Signature {
            signature,
            recovery,
        })
    }

    /// `r ‖ s ‖ v`.
    pub fn to_bytes(&self) -> [u8; 65] {
        let mut out = [0u8; 65];
        out[..64].copy_from_slice(&self.signature.to_bytes());
        out[64] = 27 + self.recovery.to_byte();
        out
    }

    /// The address whose key made this signature over `digest`, as
    /// `ecrecover` would return it.
    pub fn recover(&self, digest: &[u8; 32]) -> Result<L1Address, L1KeyError> {
        VerifyingKey::recover_from_prehash(digest, &self.signature, self.recovery)
            .map(|key| L1Address::of(&key))
            .map_err(|_| L1KeyError::Unrecoverable)
    }
}

impl fmt::Debug for L1Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "L1Signature(0x{})", hex::encode(self.to_bytes()))
    }
}

/// A validator's L1 secret key (node-local; never in state).
#[derive(Clone)]
pub struct L1Signer {
    key: SigningKey,
    address: L1Address,
}

impl L1Signer {
    /// The signer of a 32-byte secret scalar.
    pub fn from_secret(secret: &[u8; 32]) -> Result<Self, L1KeyError> {
        let key = SigningKey::from_bytes(secret.into())
            .map_err(|e| L1KeyError::SecretKey(e.to_string()))?;
        let address = L1Address::of(key.verifying_key());
        Ok(L1Signer { key, address })
    }

    /// The 32-byte secret scalar (for the key file).
    pub fn secret(&self) -> [u8; 32] {
        self.key.to_bytes().into()
    }

    /// The key's address.
    pub fn address(&self) -> L1Address {
        self.address
    }

    /// Signs a 32-byte digest (RFC 6979, deterministic), low `s`.
    pub fn sign(&self, digest: &[u8; 32]) -> Result<L1Signature, L1KeyError> {
        let (signature, recovery) = self
            .key
            .sign_prehash_recoverable(digest)
            .map_err(|_| L1KeyError::Unrecoverable)?;
        let (signature, recovery) = match signature.normalize_s() {
            Some(low) => (
                low,
                RecoveryId::new(!recovery.is_y_odd(), recovery.is_x_reduced()),
            ),
            None => (signature, recovery),
        };
        Ok(L1Signature {
            signature,
            recovery,
        })
    }
}

impl fmt::Debug for L1Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "L1Signer({})", self.address)
    }
}

/// EIP-712 type of the proof of possession: the L1 key signs the operator
/// account it belongs to, under Quire's domain, so no one can register an
/// address whose key they do not hold.
pub const KEY_PROOF_TYPE: &str = "L1Key(address operator,address key)";

/// The digest an L1 key signs to prove it belongs to `operator` (the
/// operator account's 20 bytes) on the chain of `domain`.
pub fn key_proof_digest(domain: &Domain, operator: &[u8; 20], key: &L1Address) -> [u8; 32] {
    let mut encoded = Vec::with_capacity(96);
    encoded.extend_from_slice(&keccak256(KEY_PROOF_TYPE.as_bytes()));
    encoded.extend_from_slice(&L1Address(*operator).abi_word());
    encoded.extend_from_slice(&key.abi_word());
    domain.typed_digest(&keccak256(&encoded))
}

/// Checks that `proof` is `key`'s signature of [`key_proof_digest`].
pub fn verify_key_proof(
    domain: &Domain,
    operator: &[u8; 20],
    key: &L1Address,
    proof: &L1Signature,
) -> Result<(), L1KeyError> {
    if key.is_zero() {
        return Err(L1KeyError::ZeroAddress);
    }
    if proof.recover(&key_proof_digest(domain, operator, key))? == *key {
        Ok(())
    } else {
        Err(L1KeyError::Unrecoverable)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signer(byte: u8) -> L1Signer {
        L1Signer::from_secret(&[byte; 32]).unwrap()
    }

    #[test]
    fn a_known_key_has_its_known_address() {
        // The well-known first dev account of hardhat/anvil.
        let secret =
            hex::decode("ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80")
                .unwrap();
        let signer = L1Signer::from_secret(&secret.try_into().unwrap()).unwrap();
        assert_eq!(
            signer.address().to_string(),
            "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
        );
    }

    #[test]
    fn addresses_parse_in_every_case_and_checksums_are_checked() {
        let a: L1Address = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
            .parse()
            .unwrap();
        assert_eq!(
            a,
            "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266"
                .parse()
                .unwrap()
        );
        assert_eq!(
            a,
            "0xF39FD6E51AAD88F6F4CE6AB8827279CFFFB92266"
                .parse()
                .unwrap()
        );
        assert!("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92267"
            .parse::<L1Address>()
            .is_err());
        assert!("0xF39fd6e51aad88F6F4ce6aB8827279cffFb92266"
            .parse::<L1Address>()
            .is_err());
        assert!("f39fd6e51aad88f6f4ce6ab8827279cfffb92266"
            .parse::<L1Address>()
            .is_err());
        assert!("0x1234".parse::<L1Address>().is_err());
    }

    #[test]
    fn signatures_recover_and_malleated_ones_are_refused() {
        let signer = signer(7);
        let digest = keccak256(b"checkpoint");
        let signature = signer.sign(&digest).unwrap();
        let bytes = signature.to_bytes();
        assert!(bytes[64] == 27 || bytes[64] == 28);
        assert_eq!(L1Signature::from_bytes(&bytes).unwrap(), signature);
        assert_eq!(signature.recover(&digest).unwrap(), signer.address());
        assert_ne!(
            signature.recover(&keccak256(b"other")).unwrap(),
            signer.address()
        );
        // The high-s twin (n - s, flipped v) recovers the same key on L1:
        // refused here, as on L1.
        let order = hex::decode("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141")
            .unwrap();
        let mut high = bytes;
        let mut borrow = 0i16;
        for i in (0..32).rev() {
            let d = i16::from(order[i]) - i16::from(bytes[32 + i]) - borrow;
            high[32 + i] = d.rem_euclid(256) as u8;
            borrow = i16::from(d < 0);
        }
        high[64] = if bytes[64] == 27 { 28 } else { 27 };
        assert_eq!(L1Signature::from_bytes(&high), Err(L1KeyError::HighS));
        let mut bad_v = bytes;
        bad_v[64] = 1;
        assert_eq!(
            L1Signature::from_bytes(&bad_v),
            Err(L1KeyError::RecoveryByte(1))
        );
        assert_eq!(
            L1Signature::from_bytes(&bytes[..64]),
            Err(L1KeyError::SignatureLength(64))
        );
        assert_eq!(
            L1Signature::from_bytes(&[0u8; 65]),
            Err(L1KeyError::RecoveryByte(0))
        );
        let mut zero = [0u8; 65];
        zero[64] = 27;
        assert_eq!(L1Signature::from_bytes(&zero), Err(L1KeyError::Scalar));
    }

    #[test]
    fn key_proofs_bind_the_operator_and_the_chain() {
        let signer = signer(9);
        let domain = Domain::new(1337, "quire-test");
        let operator = [4u8; 20];
        let digest = key_proof_digest(&domain, &operator, &signer.address());
        let proof = signer.sign(&digest).unwrap();
        verify_key_proof(&domain, &operator, &signer.address(), &proof).unwrap();
        assert!(verify_key_proof(&domain, &[5u8; 20], &signer.address(), &proof).is_err());
        assert!(verify_key_proof(
            &Domain::new(1337, "other"),
            &operator,
            &signer.address(),
            &proof
        )
        .is_err());
        assert!(verify_key_proof(&domain, &operator, &L1Address([1; 20]), &proof).is_err());
    }
}
