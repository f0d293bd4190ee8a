//! Namespaces: the fixed 32-byte ids under which rollups file their blobs.

use sha2::{Digest, Sha256};
use std::fmt;
use std::str::FromStr;
use thiserror::Error;

/// Length of a namespace id in bytes.
pub const NAMESPACE_LEN: usize = 32;

/// A rollup's namespace: a fixed 32-byte id. A rollup name maps to `sha256(name)`.
///
/// Ordered bytewise, which is the order namespaces take in commitments.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Namespace([u8; NAMESPACE_LEN]);

/// A namespace could not be parsed.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum NamespaceError {
    /// Raw bytes of the wrong length.
    #[error("namespace must be exactly {NAMESPACE_LEN} bytes, got {0}")]
    WrongLength(usize),
    /// Text that is not 64 hex digits.
    #[error("namespace must be 64 hex digits: {0}")]
    BadHex(String),
}

impl Namespace {
    /// The namespace of a rollup called `name`: `sha256(name)`.
    pub fn from_rollup_name(name: &str) -> Self {
        Namespace(Sha256::digest(name.as_bytes()).into())
    }

    /// Wraps 32 raw bytes.
    pub const fn new(bytes: [u8; NAMESPACE_LEN]) -> Self {
        Namespace(bytes)
    }

    /// Parses raw bytes, which must be exactly 32 long.
    pub fn from_slice(bytes: &[u8]) -> Result<Self, NamespaceError> {
        let array: [u8; NAMESPACE_LEN] = bytes
            .try_into()
            .map_err(|_| NamespaceError::WrongLength(bytes.len()))?;
        Ok(Namespace(array))
    }

    /// The raw 32 bytes.
    pub fn as_bytes(&self) -> &[u8; NAMESPACE_LEN] {
        &self.0
    }

    /// Lower-case hex, 64 digits.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
}

impl FromStr for Namespace {
    type Err = NamespaceError;

    /// Parses 64 hex digits (an optional `0x` prefix is accepted).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let digits = s.strip_prefix("0x").unwrap_or(s);
        if digits.len() != NAMESPACE_LEN * 2 {
            return Err(NamespaceError::BadHex(format!("{} digits", digits.len())));
        }
        let bytes = hex::decode(digits).map_err(|e| NamespaceError::BadHex(e.to_string()))?;
        Namespace::from_slice(&bytes)
    }
}

impl fmt::Display for Namespace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for Namespace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Namespace({})", self.to_hex())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rollup_name_is_sha256() {
        // sha256("abc"), FIPS 180-2 test vector.
        assert_eq!(
            Namespace::from_rollup_name("abc").to_hex(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn hex_round_trip_and_errors() {
        let ns = Namespace::from_rollup_name("rollup-a");
        assert_eq!(ns.to_hex().parse::<Namespace>().unwrap(), ns);
        assert_eq!(format!("0x{ns}").parse::<Namespace>().unwrap(), ns);
        assert!(matches!(
            "abcd".parse::<Namespace>(),
            Err(NamespaceError::BadHex(_))
        ));
        assert!(matches!(
            "zz".repeat(32).parse::<Namespace>(),
            Err(NamespaceError::BadHex(_))
        ));
        assert_eq!(
            Namespace::from_slice(&[0u8; 31]),
            Err(NamespaceError::WrongLength(31))
        );
    }
}
