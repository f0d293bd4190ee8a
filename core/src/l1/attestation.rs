//! The attestation: the checkpoint signatures of one height that the next
//! proposer gathered from the vote extensions, put first in its block as a
//! system transaction and kept in state forever.
//!
//! ```text
//! tx      = "\x00quire/attestation/v1\x00" ‖ payload
//! payload = height u64 BE ‖ n u16 BE ‖ n × (index u16 BE ‖ r ‖ s ‖ v)
//! ```
//!
//! `index` is the signer's position in the height's [`super::L1Valset`];
//! indexes are strictly increasing. A block at the initial height (or on a
//! chain without anchoring) carries `n = 0` for the height before it.

use super::key::{L1KeyError, L1Signature};
use super::valset::MAX_L1_VALIDATORS;

/// The system transaction's tag.
pub const ATTESTATION_TX_PREFIX: &[u8] = b"\x00quire/attestation/v1\x00";

const ENTRY_LEN: usize = 2 + L1Signature::LEN;
const HEADER_LEN: usize = 8 + 2;

/// One height's checkpoint signatures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attestation {
    /// The height whose checkpoint is signed.
    pub height: u64,
    /// `(index in the height's set, signature)`, indexes strictly increasing.
    pub signatures: Vec<(u16, L1Signature)>,
}

/// Why bytes are not an attestation.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AttestationError {
    /// Too short, too long, or a count that does not match the length.
    #[error("malformed attestation: {0}")]
    Malformed(&'static str),
    /// More signatures than any set can have.
    #[error("attestation has {0} signatures, at most {MAX_L1_VALIDATORS} allowed")]
    TooMany(usize),
    /// Indexes not strictly increasing.
    #[error("attestation signer indexes are not strictly increasing at entry {0}")]
    Unsorted(usize),
    /// A signature that is not a valid L1 signature.
    #[error("attestation entry {index}: {error}")]
    Signature {
        /// Its position.
        index: usize,
        /// What is wrong.
        error: L1KeyError,
    },
}

impl Attestation {
    /// Encoded payload length for `n` signatures.
    pub fn payload_len(n: usize) -> usize {
        HEADER_LEN + n * ENTRY_LEN
    }

    /// The whole system transaction, tag included.
    pub fn to_tx(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(
            ATTESTATION_TX_PREFIX.len() + Self::payload_len(self.signatures.len()),
        );
        out.extend_from_slice(ATTESTATION_TX_PREFIX);
        out.extend_from_slice(&self.encode());
        out
    }

    /// The payload (what state keeps).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(Self::payload_len(self.signatures.len()));
        out.extend_from_slice(&self.height.to_be_bytes());
        out.extend_from_slice(&(self.signatures.len() as u16).to_be_bytes());
        for (index, signature) in &self.signatures {
            out.extend_from_slice(&index.to_be_bytes());
            out.extend_from_slice(&signature.to_bytes());
        }
        out
    }

    /// Parses a payload, checking its length, its count, the order of the
    /// indexes and every signature's form (low `s`, `v ∈ {27, 28}`).
    pub fn decode(bytes: &[u8]) -> Result<Self, AttestationError> {
        let (height, rest) = bytes
            .split_first_chunk::<8>()
            .ok_or(AttestationError::Malformed("truncated height"))?;
        let (count, mut rest) = rest
            .split_first_chunk::<2>()
            .ok_or(AttestationError::Malformed("truncated count"))?;
        let count = usize::from(u16::from_be_bytes(*count));
        if count > MAX_L1_VALIDATORS {
            return Err(AttestationError::TooMany(count));
        }
        if rest.len() != count * ENTRY_LEN {
            return Err(AttestationError::Malformed(
                "length does not match the signature count",
            ));
        }
        let mut signatures: Vec<(u16, L1Signature)> = Vec::with_capacity(count);
        let mut position = 0;
        while let Some((entry, after)) = rest.split_first_chunk::<ENTRY_LEN>() {
            let index = u16::from_be_bytes([entry[0], entry[1]]);
            if signatures.last().is_some_and(|(last, _)| *last >= index) {
                return Err(AttestationError::Unsorted(position));
            }
            let signature = L1Signature::from_bytes(&entry[2..]).map_err(|error| {
                AttestationError::Signature {
                    index: position,
                    error,
                }
            })?;
            signatures.push((index, signature));
            position += 1;
            rest = after;
        }
        Ok(Attestation {
            height: u64::from_be_bytes(*height),
            signatures,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::l1::L1Signer;

    #[test]
    fn round_trip_and_every_malformation() {
        let signer = L1Signer::from_secret(&[3; 32]).unwrap();
        let sig = |m: u8| signer.sign(&[m; 32]).unwrap();
        let att = Attestation {
            height: 9,
            signatures: vec![(0, sig(1)), (2, sig(2)), (7, sig(3))],
        };
        let bytes = att.encode();
        assert_eq!(bytes.len(), Attestation::payload_len(3));
        assert_eq!(Attestation::decode(&bytes).unwrap(), att);
        assert!(att.to_tx().starts_with(ATTESTATION_TX_PREFIX));
        for cut in 0..bytes.len() {
            assert!(Attestation::decode(&bytes[..cut]).is_err(), "cut {cut}");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(Attestation::decode(&longer).is_err());
        let unsorted = Attestation {
            height: 9,
            signatures: vec![(2, sig(1)), (2, sig(2))],
        };
        assert_eq!(
            Attestation::decode(&unsorted.encode()),
            Err(AttestationError::Unsorted(1))
        );
        let mut bad_v = bytes.clone();
        bad_v[10 + 66] = 30;
        assert!(matches!(
            Attestation::decode(&bad_v),
            Err(AttestationError::Signature { index: 0, .. })
        ));
        let mut huge = 9u64.to_be_bytes().to_vec();
        huge.extend_from_slice(&u16::MAX.to_be_bytes());
        assert_eq!(
            Attestation::decode(&huge),
            Err(AttestationError::TooMany(u16::MAX as usize))
        );
        let empty = Attestation {
            height: 0,
            signatures: vec![],
        };
        assert_eq!(Attestation::decode(&empty.encode()).unwrap(), empty);
    }
}
