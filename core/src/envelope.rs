//! The plaintext an encrypted blob envelope carries (docs/blind-ordering.md):
//! a bundle of blobs for one or several namespaces, still atomic, hidden
//! (namespaces included) until the envelope's key is revealed after its
//! block is committed.
//!
//! Wire format, version 1, explicit bytes: `0x01 ‖ count u16 BE ‖ count ×
//! (namespace 32 ‖ len u32 BE ‖ data)`, at least one blob, every blob
//! non-empty, nothing after the last. Decoding allocates no more than the
//! input's length.

use crate::namespace::{Namespace, NAMESPACE_LEN};
use thiserror::Error;

/// Version byte of [`EnvelopePayload`]'s encoding.
pub const ENVELOPE_PAYLOAD_V1: u8 = 1;

/// Most blobs one envelope may carry.
pub const MAX_ENVELOPE_BLOBS: usize = 64;

/// The blobs inside an envelope, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvelopePayload {
    /// (namespace, data) per blob, in the order the submitter gave.
    pub blobs: Vec<(Namespace, Vec<u8>)>,
}

/// Why a revealed plaintext is not a valid payload.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum PayloadError {
    /// Empty input, or a version this build does not know.
    #[error("unknown envelope payload version {0:?}")]
    Version(Option<u8>),
    /// No blob, or more than [`MAX_ENVELOPE_BLOBS`].
    #[error("{0} blobs in an envelope: 1 to {MAX_ENVELOPE_BLOBS} allowed")]
    Count(usize),
    /// A blob with no data.
    #[error("blob {0} of the envelope is empty")]
    EmptyBlob(usize),
    /// The bytes end inside a blob.
    #[error("envelope payload truncated in blob {0}")]
    Truncated(usize),
    /// Bytes after the last blob.
    #[error("{0} bytes after the envelope payload's last blob")]
    Trailing(usize),
}

impl EnvelopePayload {
    /// The version-1 encoding.
    pub fn encode(&self) -> Vec<u8> {
        let data: usize = self.blobs.iter().map(|(_, d)| d.len()).sum();
        let mut out = Vec::with_capacity(3 + self.blobs.len() * (NAMESPACE_LEN + 4) + data);
        out.push(ENVELOPE_PAYLOAD_V1);
        out.extend_from_slice(&(self.blobs.len().min(usize::from(u16::MAX)) as u16).to_be_bytes());
        for (namespace, data) in &self.blobs {
            out.extend_from_slice(namespace.as_bytes());
            out.extend_from_slice(&(data.len().min(u32::MAX as usize) as u32).to_be_bytes());
            out.extend_from_slice(data);
        }
        out
    }

    /// Reads the version-1 encoding, refusing anything else.
    pub fn decode(bytes: &[u8]) -> Result<Self, PayloadError> {
        let Some((&version, rest)) = bytes.split_first() else {
            return Err(PayloadError::Version(None));
        };
        if version != ENVELOPE_PAYLOAD_V1 {
            return Err(PayloadError::Version(Some(version)));
        }
        let (count, mut rest) = rest
            .split_first_chunk::<2>()
            .ok_or(PayloadError::Truncated(0))?;
        let count = usize::from(u16::from_be_bytes(*count));
        if count == 0 || count > MAX_ENVELOPE_BLOBS {
            return Err(PayloadError::Count(count));
        }
        let mut blobs = Vec::with_capacity(count);
        for index in 0..count {
            let (namespace, after) = rest
                .split_first_chunk::<NAMESPACE_LEN>()
                .ok_or(PayloadError::Truncated(index))?;
            let (len, after) = after
                .split_first_chunk::<4>()
                .ok_or(PayloadError::Truncated(index))?;
            let len = usize::try_from(u32::from_be_bytes(*len))
                .map_err(|_| PayloadError::Truncated(index))?;
            if len == 0 {
                return Err(PayloadError::EmptyBlob(index));
            }
            let (data, after) = after
                .split_at_checked(len)
                .ok_or(PayloadError::Truncated(index))?;
            blobs.push((Namespace::new(*namespace), data.to_vec()));
            rest = after;
        }
        if !rest.is_empty() {
            return Err(PayloadError::Trailing(rest.len()));
        }
        Ok(EnvelopePayload { blobs })
    }

    /// Total blob bytes (what the fee and the block budget count).
    pub fn blob_bytes(&self) -> u64 {
        self.blobs.iter().map(|(_, d)| d.len() as u64).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> EnvelopePayload {
        EnvelopePayload {
            blobs: vec![
                (Namespace::from_rollup_name("a"), b"first".to_vec()),
                (Namespace::from_rollup_name("b"), vec![7; 300]),
            ],
        }
    }

    #[test]
    fn payloads_round_trip_and_every_prefix_or_extension_is_refused() {
        let payload = sample();
        let bytes = payload.encode();
        assert_eq!(bytes.len(), 3 + 2 * 36 + 5 + 300);
        assert_eq!(EnvelopePayload::decode(&bytes), Ok(payload.clone()));
        assert_eq!(payload.blob_bytes(), 305);
        for cut in 0..bytes.len() {
            assert!(EnvelopePayload::decode(&bytes[..cut]).is_err(), "cut {cut}");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert_eq!(
            EnvelopePayload::decode(&longer),
            Err(PayloadError::Trailing(1))
        );
    }

    #[test]
    fn bad_payloads_say_why() {
        assert_eq!(
            EnvelopePayload::decode(&[]),
            Err(PayloadError::Version(None))
        );
        assert_eq!(
            EnvelopePayload::decode(&[2, 0, 1]),
            Err(PayloadError::Version(Some(2)))
        );
        assert_eq!(
            EnvelopePayload::decode(&[1, 0, 0]),
            Err(PayloadError::Count(0))
        );
        assert_eq!(
            EnvelopePayload::decode(&[1, 0, 65]),
            Err(PayloadError::Count(65))
        );
        let empty = EnvelopePayload {
            blobs: vec![(Namespace::from_rollup_name("a"), Vec::new())],
        };
        assert_eq!(
            EnvelopePayload::decode(&empty.encode()),
            Err(PayloadError::EmptyBlob(0))
        );
        // A length far beyond the input allocates nothing and is refused.
        let mut huge = vec![1, 0, 1];
        huge.extend_from_slice(&[0; 32]);
        huge.extend_from_slice(&u32::MAX.to_be_bytes());
        huge.extend_from_slice(b"x");
        assert_eq!(
            EnvelopePayload::decode(&huge),
            Err(PayloadError::Truncated(0))
        );
    }
}
