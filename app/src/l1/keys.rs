//! l1's storage keys and records.

/// The anchoring constants: L1 chain id u64 BE ‖ initial height u64 BE ‖
/// salt (keccak-256 of the Quire chain id, 32). Absent: not anchored.
pub const CONFIG: &[u8] = b"l1/config";
/// Prefix of the L1 keys: `l1/key/{operator account 20}` -> L1 address (20).
pub const KEYS: &[u8] = b"l1/key/";
/// Prefix of the owners of L1 addresses: `l1/addr/{L1 address 20}` ->
/// operator (20). Kept after a key is replaced: an address is never reused.
pub const OWNERS: &[u8] = b"l1/addr/";
/// Prefix of the L1 sets: `l1/set/{first height u64 BE}` -> the set
/// ([`quire_core::l1::L1Valset::encode`]) in force from that height on.
pub const SETS: &[u8] = b"l1/set/";
/// The first heights of the latest sets, newest first (u64 BE each, at
/// most [`RECENT_SETS`]): lookups from the consensus paths read no prefix.
pub const RECENT: &[u8] = b"l1/recent";
/// How many set heights [`RECENT`] keeps.
pub const RECENT_SETS: usize = 4;
/// Prefix of the history's nodes: `l1/hist/{level u8}{index u64 BE}` -> hash.
pub const HISTORY: &[u8] = b"l1/hist/";
/// Prefix of block hashes: `l1/block/{height u64 BE}` -> hash (32).
pub const BLOCKS: &[u8] = b"l1/block/";
/// Prefix of attestations: `l1/att/{height u64 BE}` -> the attestation's
/// payload ([`quire_core::l1::Attestation::encode`]). Never pruned.
pub const ATTESTATIONS: &[u8] = b"l1/att/";
/// Per-block object (never stored): set when an L1 key changed in the
/// block, so that EndBlock re-derives the L1 set.
pub const KEYS_CHANGED: &[u8] = b"l1/keys_changed";

fn key(prefix: &[u8], part: &[u8]) -> Vec<u8> {
    let mut key = Vec::with_capacity(prefix.len() + part.len());
    key.extend_from_slice(prefix);
    key.extend_from_slice(part);
    key
}

/// An operator's L1 key.
pub fn key_of(operator: &[u8; 20]) -> Vec<u8> {
    key(KEYS, operator)
}

/// Who owns an L1 address.
pub fn owner(address: &[u8; 20]) -> Vec<u8> {
    key(OWNERS, address)
}

/// The set in force from `height`.
pub fn set(height: u64) -> Vec<u8> {
    key(SETS, &height.to_be_bytes())
}

/// History node `(level, index)`.
pub fn history_node(level: u8, index: u64) -> Vec<u8> {
    let mut key = key(HISTORY, &[level]);
    key.extend_from_slice(&index.to_be_bytes());
    key
}

/// A height's block hash.
pub fn block(height: u64) -> Vec<u8> {
    key(BLOCKS, &height.to_be_bytes())
}

/// A height's attestation.
pub fn attestation(height: u64) -> Vec<u8> {
    key(ATTESTATIONS, &height.to_be_bytes())
}
