//! Account addresses: 20 bytes (RIPEMD-160 of SHA-256 of the compressed
//! secp256k1 public key, as in the Cosmos SDK), shown as bech32 with the
//! `quire` prefix.

use cosmrs::AccountId;
use std::fmt;
use std::str::FromStr;
use thiserror::Error;

/// The bech32 human-readable prefix of Quire account addresses.
pub const ADDRESS_PREFIX: &str = "quire";

/// The bech32 prefix of a validator's operator address (the same 20 bytes as
/// its operator's account).
pub const VALOPER_PREFIX: &str = "quirevaloper";

/// The bech32 prefix of a validator's consensus address (the first 20 bytes of
/// SHA-256 of its ed25519 consensus key).
pub const VALCONS_PREFIX: &str = "quirevalcons";

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
    /// Valid bech32 with another prefix than the one expected.
    #[error("address {0:?} has prefix {1:?}, expected {2:?}")]
    WrongPrefix(String, String, &'static str),
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
        self.to_bech32_with(ADDRESS_PREFIX)
    }

    /// The bech32 form of the validator this account operates,
    /// `quirevaloper1...`.
    pub fn to_valoper(&self) -> String {
        self.to_bech32_with(VALOPER_PREFIX)
    }

    /// The bech32 form with `prefix` (one of this module's constants).
    pub fn to_bech32_with(&self, prefix: &str) -> String {
        match AccountId::new(prefix, &self.0) {
            Ok(id) => id.to_string(),
            // Unreachable: the prefixes are valid constants and 20 bytes fit.
            Err(_) => hex::encode(self.0),
        }
    }
}

/// RIPEMD-160 (the same crate cosmrs uses for account ids).
fn ripemd160(data: &[u8]) -> [u8; ADDRESS_LEN] {
    use ripemd::{Digest, Ripemd160};
    Ripemd160::digest(data).into()
}

impl Address {
    /// Parses a validator operator address (`quirevaloper1...`).
    pub fn from_valoper(s: &str) -> Result<Self, AddressError> {
        Self::parse_with(s, VALOPER_PREFIX)
    }

    /// Parses a bech32 address that must carry `prefix`.
    pub fn parse_with(s: &str, prefix: &'static str) -> Result<Self, AddressError> {
        let id = AccountId::from_str(s)
            .map_err(|e| AddressError::Bech32(s.to_string(), e.to_string()))?;
        if id.prefix() != prefix {
            return Err(AddressError::WrongPrefix(
                s.to_string(),
                id.prefix().to_string(),
                prefix,
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

impl FromStr for Address {
    type Err = AddressError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse_with(s, ADDRESS_PREFIX)
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
    fn valoper_is_the_same_bytes() {
        let addr = Address::new([7u8; ADDRESS_LEN]);
        let valoper = addr.to_valoper();
        assert!(valoper.starts_with("quirevaloper1"));
        assert_eq!(Address::from_valoper(&valoper).unwrap(), addr);
        assert!(matches!(
            Address::from_valoper(&addr.to_bech32()),
            Err(AddressError::WrongPrefix(_, _, VALOPER_PREFIX))
        ));
        assert!(valoper.parse::<Address>().is_err());
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
