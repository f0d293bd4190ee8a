//! slashing's storage keys.

/// Prefix of signing info: `slashing/info/{consensus address}` -> record.
pub const INFO: &[u8] = b"slashing/info/";
/// Prefix of missed votes: `slashing/missed/{consensus address}{index u64 BE}` -> empty.
pub const MISSED: &[u8] = b"slashing/missed/";

/// A validator's signing info.
pub fn info(consensus: &[u8; 20]) -> Vec<u8> {
    let mut key = INFO.to_vec();
    key.extend_from_slice(consensus);
    key
}

/// All missed votes of a validator.
pub fn missed_prefix(consensus: &[u8; 20]) -> Vec<u8> {
    let mut key = MISSED.to_vec();
    key.extend_from_slice(consensus);
    key
}

/// One missed vote.
pub fn missed(consensus: &[u8; 20], index: u64) -> Vec<u8> {
    let mut key = missed_prefix(consensus);
    key.extend_from_slice(&index.to_be_bytes());
    key
}
