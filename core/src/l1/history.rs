//! The height history: an append-only RFC 6962 Merkle tree with one leaf per
//! height, from the initial height on.
//!
//! ```text
//! leaf(k) = sha256(0x00 ‖ "quire/height/v1" ‖ k u64 BE ‖ blockHash(k) ‖ namespaceCount(k) u32 BE ‖ namespaceRoot(k))
//! ```
//!
//! The tree of the first `size` leaves is the one [`crate::merkle`] builds,
//! so its inclusion proofs are [`crate::merkle::InclusionProof`]s. It is
//! kept as its perfect subtrees: node `(level, index)` is the root of leaves
//! `[index·2^level, (index+1)·2^level)`, stored once complete and never
//! changed. Appending writes the leaf and each subtree it completes (one on
//! average); the root of any size and any proof read `O(log size)` nodes.

use crate::merkle::{self, InclusionProof};

/// Domain tag of a height leaf.
pub const HEIGHT_LEAF_TAG: &[u8] = b"quire/height/v1";

/// The leaf of height `height`: its block hash and namespace commitment.
pub fn height_leaf(
    height: u64,
    block_hash: &[u8; 32],
    namespace_count: u32,
    namespace_root: &[u8; 32],
) -> [u8; 32] {
    let mut item = Vec::with_capacity(HEIGHT_LEAF_TAG.len() + 8 + 32 + 4 + 32);
    item.extend_from_slice(HEIGHT_LEAF_TAG);
    item.extend_from_slice(&height.to_be_bytes());
    item.extend_from_slice(block_hash);
    item.extend_from_slice(&namespace_count.to_be_bytes());
    item.extend_from_slice(namespace_root);
    merkle::leaf_hash(&item)
}

/// A node of the history was needed and not found (or could not be read).
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[error("history node (level {level}, index {index}) is missing: {reason}")]
pub struct MissingNode {
    /// Its level (0 = leaves).
    pub level: u8,
    /// Its index within the level.
    pub index: u64,
    /// What the lookup said.
    pub reason: String,
}

/// Where the stored nodes come from.
pub trait NodeSource {
    /// Node `(level, index)`, if stored.
    fn node(&self, level: u8, index: u64) -> Result<[u8; 32], MissingNode>;
}

impl<F: Fn(u8, u64) -> Result<[u8; 32], MissingNode>> NodeSource for F {
    fn node(&self, level: u8, index: u64) -> Result<[u8; 32], MissingNode> {
        self(level, index)
    }
}

/// The nodes to store when leaf `leaf` is appended to a history of `size`
/// leaves: the leaf at `(0, size)` and every subtree it completes.
pub fn append(
    source: &impl NodeSource,
    size: u64,
    leaf: [u8; 32],
) -> Result<Vec<(u8, u64, [u8; 32])>, MissingNode> {
    let mut out = vec![(0u8, size, leaf)];
    let (mut level, mut index, mut hash) = (0u8, size, leaf);
    while !index.is_multiple_of(2) {
        let left = source.node(level, index - 1)?;
        hash = merkle::inner_hash(&left, &hash);
        level += 1;
        index /= 2;
        out.push((level, index, hash));
    }
    Ok(out)
}

/// The root of leaves `[start, start + len)`, where the range is a subtree
/// of an RFC 6962 tree (every split is at an aligned power of two).
fn range_root(source: &impl NodeSource, start: u64, len: u64) -> Result<[u8; 32], MissingNode> {
    if len == 0 {
        return Ok(merkle::empty_root());
    }
    if len.is_power_of_two() && start.is_multiple_of(len) {
        return source.node(len.trailing_zeros() as u8, start / len);
    }
    let k = merkle::split_point(len);
    let left = range_root(source, start, k)?;
    let right = range_root(source, start + k, len - k)?;
    Ok(merkle::inner_hash(&left, &right))
}

/// The root of the first `size` leaves (`sha256("")` for none).
pub fn root(source: &impl NodeSource, size: u64) -> Result<[u8; 32], MissingNode> {
    range_root(source, 0, size)
}

/// The proof that leaf `index` is in the history of `size` leaves, or
/// `None` if `index ≥ size`.
pub fn prove(
    source: &impl NodeSource,
    index: u64,
    size: u64,
) -> Result<Option<InclusionProof>, MissingNode> {
    if index >= size {
        return Ok(None);
    }
    // Walk down, collecting the sibling subtree roots top-down.
    let mut aunts = Vec::new();
    let (mut start, mut len) = (0u64, size);
    while len > 1 {
        let k = merkle::split_point(len);
        if index < start + k {
            aunts.push(range_root(source, start + k, len - k)?);
            len = k;
        } else {
            aunts.push(range_root(source, start, k)?);
            start += k;
            len -= k;
        }
    }
    aunts.reverse();
    Ok(Some(InclusionProof {
        index,
        total: size,
        aunts,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;
    use std::collections::BTreeMap;

    struct Nodes(RefCell<BTreeMap<(u8, u64), [u8; 32]>>);

    impl NodeSource for Nodes {
        fn node(&self, level: u8, index: u64) -> Result<[u8; 32], MissingNode> {
            self.0
                .borrow()
                .get(&(level, index))
                .copied()
                .ok_or(MissingNode {
                    level,
                    index,
                    reason: "not stored".into(),
                })
        }
    }

    #[test]
    fn appended_history_matches_the_full_tree_and_proves_every_leaf() {
        let nodes = Nodes(RefCell::new(BTreeMap::new()));
        let mut leaves = Vec::new();
        assert_eq!(root(&nodes, 0).unwrap(), merkle::empty_root());
        for size in 0..300u64 {
            let leaf = height_leaf(size + 1, &[size as u8; 32], size as u32, &[7; 32]);
            for (level, index, hash) in append(&nodes, size, leaf).unwrap() {
                assert!(nodes.0.borrow_mut().insert((level, index), hash).is_none());
            }
            leaves.push(leaf);
            let expected = merkle::root_from_leaf_hashes(&leaves);
            assert_eq!(
                root(&nodes, size + 1).unwrap(),
                expected,
                "size {}",
                size + 1
            );
        }
        // Fewer than two nodes per leaf are stored.
        assert!(nodes.0.borrow().len() < 2 * leaves.len());
        for size in [1u64, 2, 3, 5, 8, 13, 100, 255, 256, 257, 300] {
            let expected_root = merkle::root_from_leaf_hashes(&leaves[..size as usize]);
            for index in 0..size {
                let proof = prove(&nodes, index, size).unwrap().unwrap();
                assert_eq!(
                    proof,
                    merkle::prove(&leaves[..size as usize], index as usize).unwrap()
                );
                proof
                    .verify(&expected_root, &leaves[index as usize])
                    .unwrap();
            }
            assert_eq!(prove(&nodes, size, size).unwrap(), None);
        }
    }
}
