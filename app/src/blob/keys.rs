//! blob's storage keys and records.

use quire_core::commitment::NamespaceCommitment;

/// Prefix of the per-height records: `blob/commitment/` + height u64 BE.
pub const COMMITMENT_PREFIX: &[u8] = b"blob/commitment/";

/// The key of `height`'s record.
pub fn commitment(height: u64) -> Vec<u8> {
    let mut key = COMMITMENT_PREFIX.to_vec();
    key.extend_from_slice(&height.to_be_bytes());
    key
}

/// A height's record: height u64 BE ‖ namespace count u32 BE ‖ namespace
/// root (32) ‖ blob index digest (32); 76 bytes.
pub fn encode_commitment_record(
    commitment: &NamespaceCommitment,
    index_digest: &[u8; 32],
) -> Vec<u8> {
    let mut out = Vec::with_capacity(76);
    out.extend_from_slice(&commitment.height.to_be_bytes());
    out.extend_from_slice(&commitment.namespace_count.to_be_bytes());
    out.extend_from_slice(&commitment.namespace_root);
    out.extend_from_slice(index_digest);
    out
}

/// A height's record, decoded (see [`encode_commitment_record`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommitmentRecord {
    /// The height it is of.
    pub height: u64,
    /// How many namespaces the height's blobs have.
    pub namespace_count: u32,
    /// The root of the height's namespace tree.
    pub namespace_root: [u8; 32],
    /// The digest of the height's blob index.
    pub index_digest: [u8; 32],
}

/// The fields of a height's record (see [`encode_commitment_record`]), if
/// it has the record's length.
pub fn decode_commitment_record(record: &[u8]) -> Option<CommitmentRecord> {
    let record: &[u8; 76] = record.try_into().ok()?;
    let (height, rest) = record.split_first_chunk::<8>()?;
    let (count, rest) = rest.split_first_chunk::<4>()?;
    let (root, digest) = rest.split_first_chunk::<32>()?;
    Some(CommitmentRecord {
        height: u64::from_be_bytes(*height),
        namespace_count: u32::from_be_bytes(*count),
        namespace_root: *root,
        index_digest: digest.try_into().ok()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_decodes_to_what_was_encoded() {
        let commitment = NamespaceCommitment {
            height: 7,
            namespace_count: 3,
            namespace_root: [4; 32],
        };
        let record = encode_commitment_record(&commitment, &[5; 32]);
        assert_eq!(
            decode_commitment_record(&record),
            Some(CommitmentRecord {
                height: 7,
                namespace_count: 3,
                namespace_root: [4; 32],
                index_digest: [5; 32],
            })
        );
        assert_eq!(decode_commitment_record(&record[..75]), None);
    }
}
