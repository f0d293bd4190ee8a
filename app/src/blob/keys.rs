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

/// The namespace count and root of a height's record (see
/// [`encode_commitment_record`]), if it has the record's length.
pub fn decode_commitment_record(record: &[u8]) -> Option<(u32, [u8; 32])> {
    if record.len() != 76 {
        return None;
    }
    let count = u32::from_be_bytes(record[8..12].try_into().ok()?);
    let root: [u8; 32] = record[12..44].try_into().ok()?;
    Some((count, root))
}
