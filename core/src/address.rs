//! Account addresses: 20 bytes (RIPEMD-160 of SHA-256 of the compressed
//! secp256k1 public key, as in the Cosmos SDK), shown as bech32 with the
//! `quire` prefix.

use cosmrs::AccountId;
use std::fmt;
use std::str::FromStr;
use thiserror::Error;

/// The bech32 human-readable prefix of Quire account addresses.
pub const ADDRESS_PREFIX: &str = "quire";

/// Length of an account address in bytes.
pub const ADDRESS_LEN: usize = 20;

/// An account address.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Address([u8; ADDRESS_LEN]);

/// An address could not be parsed.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AddressError {
    /// Not valid bech32.
    #[error("invalid bech32 address {0:?}: {1}")]
    Bech32(String, String),
    /// Valid bech32 with a prefix other than `quire`.
    #[error("address {0:?} has prefix {1:?}, expected {ADDRESS_PREFIX:?}")]
    WrongPrefix(String, String),
    /// Valid bech32 but not 20 bytes long.
    #[error("address {0:?} is {1} bytes, expected {ADDRESS_LEN}")]
    WrongLength(String, usize),
}

impl Address {
    /// Wraps 20 raw bytes.
    pub const fn new(bytes: [u8; ADDRESS_LEN]) -> Self {
        Address(bytes)
    }

    /// The address of a compressed secp256k1 public key (33 bytes).
    pub fn from_secp256k1(compressed_key: &[u8]) -> Self {
        use sha2::{Digest, Sha256};
        let sha = Sha256::digest(compressed_key);
        let ripemd = ripemd160(&sha);
        Address(ripemd)
    }

    /// The raw bytes.
    pub fn as_bytes(&self) -> &[u8; ADDRESS_LEN] {
        &self.0
    }

    /// The bech32 form, e.g. `quire1...`.
    pub fn to_bech32(&self) -> String {
        match AccountId::new(ADDRESS_PREFIX, &self.0) {
            Ok(id) => id.to_string(),
            // Unreachable: the prefix is a valid constant and 20 bytes fit.
            Err(_) => hex::encode(self.0),
        }
    }
}

/// RIPEMD-160 (the same crate cosmrs uses for account ids).
fn ripemd160(data: &[u8]) -> [u8; ADDRESS_LEN] {
    use ripemd::{Digest, Ripemd160};
    Ripemd160::digest(data).into()
}

impl FromStr for Address {
    type Err = AddressError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let id = AccountId::from_str(s)
            .map_err(|e| AddressError::Bech32(s.to_string(), e.to_string()))?;
        if id.prefix() != ADDRESS_PREFIX {
            return Err(AddressError::WrongPrefix(
                s.to_string(),
                id.prefix().to_string(),
            ));
        }
        let bytes = id.to_bytes();
        let array: [u8; ADDRESS_LEN] = bytes
            .as_slice()
            .try_into()
            .map_err(|_| AddressError::WrongLength(s.to_string(), bytes.len()))?;
        Ok(Address(array))
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_bech32())
    }
}

impl fmt::Debug for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Address({})", self.to_bech32())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bech32_round_trip() {
        let addr = Address::new([7u8; ADDRESS_LEN]);
        let text = addr.to_bech32();
        assert!(text.starts_with("quire1"));
        assert_eq!(text.parse::<Address>().unwrap(), addr);
    }

    #[test]
    fn rejects_other_prefix_and_garbage() {
        let cosmos = AccountId::new("cosmos", &[7u8; ADDRESS_LEN])
            .unwrap()
            .to_string();
        assert!(matches!(
            cosmos.parse::<Address>(),
            Err(AddressError::WrongPrefix(..))
        ));
        assert!(matches!(
            "quire1notbech32".parse::<Address>(),
            Err(AddressError::Bech32(..))
        ));
        let short = AccountId::new(ADDRESS_PREFIX, &[7u8; 8])
            .unwrap()
            .to_string();
        assert!(matches!(
            short.parse::<Address>(),
            Err(AddressError::WrongLength(..))
        ));
    }

    #[test]
    fn matches_cosmrs_derivation() {
        let key = cosmrs::crypto::secp256k1::SigningKey::from_slice(&[1u8; 32]).unwrap();
        let public = key.public_key();
        let expected = public.account_id(ADDRESS_PREFIX).unwrap().to_string();
        assert_eq!(
            Address::from_secp256k1(&public.to_bytes()).to_bech32(),
            expected
        );
    }
}
