//! The state tree: a Jellyfish Merkle Tree (jmt 0.12, SHA-256) over every
//! state entry, each under `sha256(key)`; its root after block H is the app
//! hash of H (see docs/decisions.md for why a JMT).
//!
//! Version = height: genesis writes version `initial_height - 1`, block H
//! version H. Computing a version only reads nodes, through [`TreeRead`];
//! what it produces ([`TreeChanges`]: nodes to write, nodes the version no
//! longer needs) is persisted by the node in the same atomic Commit as the
//! state it commits to. Only the latest version is kept: Commit deletes the
//! stale nodes, so proofs ([`prove`]) are of the last committed height.
//!
//! jmt's leaf stores only the hash of a value; values are read from the
//! state itself, so the tree keeps no second copy of them.

use crate::error::StateReadError;
use crate::state::ChangeSet;
use jmt::storage::{LeafNode, NibblePath, Node, NodeKey, TreeReader};
use jmt::{JellyfishMerkleTree, KeyHash, OwnedValue, Version};
use quire_core::state_proof::StateProof;
use sha2::Sha256;
use std::collections::{BTreeMap, BTreeSet};

/// Read access to the committed tree's nodes (the node's store keeps them):
/// encoded node key -> encoded node.
pub trait TreeRead {
    /// The node stored under `key`, if any.
    fn tree_node(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StateReadError>;
}

/// A tree with no nodes: what a node has before genesis.
pub struct EmptyTree;

impl TreeRead for EmptyTree {
    fn tree_node(&self, _key: &[u8]) -> Result<Option<Vec<u8>>, StateReadError> {
        Ok(None)
    }
}

/// What Commit must write for one version of the tree.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TreeChanges {
    /// New nodes: encoded node key -> encoded node.
    pub nodes: BTreeMap<Vec<u8>, Vec<u8>>,
    /// Encoded keys of nodes the new version no longer uses (to delete).
    pub stale: BTreeSet<Vec<u8>>,
}

impl TreeChanges {
    /// Appends the changes of the next version: its stale nodes are dropped
    /// from these changes' new nodes, or deleted from the store.
    pub fn then(mut self, next: TreeChanges) -> TreeChanges {
        for key in next.stale {
            if self.nodes.remove(&key).is_none() {
                self.stale.insert(key);
            }
        }
        self.nodes.extend(next.nodes);
        self
    }
}

pub(crate) fn storage_error(what: &str, error: impl std::fmt::Display) -> StateReadError {
    StateReadError(format!("state tree: {what}: {error}"))
}

/// A node key as the store keeps it: the version big-endian, then the borsh
/// encoding of its nibble path (self-delimiting, so the key is unique). The
/// table then sorts by version: each version's nodes are together, and old
/// versions come first.
pub(crate) fn encode_key(key: &NodeKey) -> Result<Vec<u8>, StateReadError> {
    let path =
        borsh::to_vec(key.nibble_path()).map_err(|e| storage_error("encoding a node key", e))?;
    let mut out = Vec::with_capacity(8 + path.len());
    out.extend_from_slice(&key.version().to_be_bytes());
    out.extend_from_slice(&path);
    Ok(out)
}

/// The encoded key of the root node of `version` (the empty nibble path;
/// jmt 0.12 has no public constructor for it, so it is decoded from its
/// borsh form: 0 nibbles, no bytes).
fn root_key(version: u64) -> Result<Vec<u8>, StateReadError> {
    let empty: NibblePath =
        borsh::from_slice(&[0u8; 12]).map_err(|e| storage_error("the empty path", e))?;
    encode_key(&NodeKey::new(version, empty))
}

/// jmt's view of the committed nodes, with not yet persisted changes on top
/// (genesis, until the first Commit), and at most one value it may be asked
/// for (the one being proven).
struct Reader<'a> {
    base: &'a dyn TreeRead,
    overlay: Option<&'a TreeChanges>,
    value: Option<(KeyHash, Option<OwnedValue>)>,
}

impl TreeReader for Reader<'_> {
    fn get_node_option(&self, node_key: &NodeKey) -> anyhow::Result<Option<Node>> {
        let key = encode_key(node_key)?;
        let bytes = match self.overlay {
            Some(overlay) if overlay.nodes.contains_key(&key) => overlay.nodes.get(&key).cloned(),
            Some(overlay) if overlay.stale.contains(&key) => None,
            _ => self.base.tree_node(&key)?,
        };
        match bytes {
            Some(bytes) => Ok(Some(
                borsh::from_slice(&bytes).map_err(|e| storage_error("a stored node", e))?,
            )),
            None => Ok(None),
        }
    }

    fn get_value_option(
        &self,
        _max_version: Version,
        key_hash: KeyHash,
    ) -> anyhow::Result<Option<OwnedValue>> {
        match &self.value {
            Some((hash, value)) if *hash == key_hash => Ok(value.clone()),
            _ => Err(anyhow::anyhow!(
                "the state tree keeps no values; only the proven key's is known"
            )),
        }
    }

    fn get_rightmost_leaf(&self) -> anyhow::Result<Option<(NodeKey, LeafNode)>> {
        Err(anyhow::anyhow!(
            "the rightmost leaf is only needed to restore a tree, which Quire does not do"
        ))
    }
}

/// The root of the tree at `version`, if the tree has that version.
pub fn root(
    base: &dyn TreeRead,
    overlay: Option<&TreeChanges>,
    version: u64,
) -> Result<Option<[u8; 32]>, StateReadError> {
    let reader = Reader {
        base,
        overlay,
        value: None,
    };
    JellyfishMerkleTree::<_, Sha256>::new(&reader)
        .get_root_hash_option(version)
        .map(|root| root.map(|r| r.0))
        .map_err(|e| storage_error("reading a root", e))
}

/// The tree's version `version`: `changes` applied to version `version - 1`
/// (which must exist, unless `first`: genesis starts from the empty tree).
/// Returns the new root and what Commit must write.
pub fn update(
    base: &dyn TreeRead,
    overlay: Option<&TreeChanges>,
    version: u64,
    changes: &ChangeSet,
    first: bool,
) -> Result<([u8; 32], TreeChanges), StateReadError> {
    // jmt silently starts from an empty tree when the previous root is
    // missing: refuse instead.
    let previous = version.checked_sub(1);
    if !first {
        let exists = match previous {
            Some(previous) => root(base, overlay, previous)?.is_some(),
            None => false,
        };
        if !exists {
            return Err(StateReadError(format!(
                "state tree has no version {} to build version {version} on",
                version.wrapping_sub(1)
            )));
        }
    }
    let reader = Reader {
        base,
        overlay,
        value: None,
    };
    let (root, batch) = JellyfishMerkleTree::<_, Sha256>::new(&reader)
        .put_value_set(
            changes
                .iter()
                .map(|(key, value)| (KeyHash::with::<Sha256>(key), value.clone())),
            version,
        )
        .map_err(|e| storage_error("computing the new root", e))?;
    let mut out = TreeChanges::default();
    for (key, node) in batch.node_batch.nodes() {
        out.nodes.insert(
            encode_key(key)?,
            borsh::to_vec(node).map_err(|e| storage_error("encoding a node", e))?,
        );
    }
    for stale in &batch.stale_node_index_batch {
        out.stale.insert(encode_key(&stale.node_key)?);
    }
    // A version that changes nothing copies the previous root without
    // marking it stale (jmt 0.12); it would never be deleted.
    if let (false, Some(previous)) = (first, previous) {
        out.stale.insert(root_key(previous)?);
    }
    Ok((root.0, out))
}

/// The range proof (borsh, jmt's `SparseMerkleRangeProof`) that every leaf
/// up to `rightmost` (which holds `value`) is in the tree at `version`, the
/// latest committed one: what a snapshot chunk carries (see
/// [`crate::state::snapshot`]).
pub fn range_proof(
    base: &dyn TreeRead,
    version: u64,
    rightmost: KeyHash,
    value: Vec<u8>,
) -> Result<Vec<u8>, StateReadError> {
    let reader = Reader {
        base,
        overlay: None,
        value: Some((rightmost, Some(value))),
    };
    // As in `prove`: a missing node below the root panics in jmt 0.12.
    let proof = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        JellyfishMerkleTree::<_, Sha256>::new(&reader).get_range_proof(rightmost, version)
    }))
    .map_err(|_| StateReadError(format!("state tree is incomplete at version {version}")))?
    .map_err(|e| storage_error("building a range proof", e))?;
    borsh::to_vec(&proof).map_err(|e| storage_error("encoding a range proof", e))
}

/// Proof that `key` holds `value` (`None`: nothing) at `version`, the
/// latest committed version. `value` must be what the state holds: the
/// proof is checked against it before it is returned.
pub fn prove(
    base: &dyn TreeRead,
    version: u64,
    key: &[u8],
    value: Option<Vec<u8>>,
) -> Result<StateProof, StateReadError> {
    let key_hash = KeyHash::with::<Sha256>(key);
    let reader = Reader {
        base,
        overlay: None,
        value: Some((key_hash, value.clone())),
    };
    // jmt 0.12 unwraps reader errors below the root while building a proof
    // (a missing node means a corrupt or concurrently pruned tree): keep such
    // a failure an error, not a crash of the node.
    let proven = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        JellyfishMerkleTree::<_, Sha256>::new(&reader).get_with_proof(key_hash, version)
    }))
    .map_err(|_| StateReadError(format!("state tree is incomplete at version {version}")))?
    .map_err(|e| storage_error("building a proof", e))?;
    let (proven_value, proof) = proven;
    if proven_value != value {
        return Err(StateReadError(
            "the state tree and the state disagree about a value".into(),
        ));
    }
    let proof = StateProof {
        key: key.to_vec(),
        value,
        proof: borsh::to_vec(&proof).map_err(|e| storage_error("encoding a proof", e))?,
    };
    let root = root(base, None, version)?
        .ok_or_else(|| StateReadError(format!("state tree has no version {version}")))?;
    proof
        .verify(&root)
        .map_err(|e| storage_error("a proof it built", e))?;
    Ok(proof)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Committed nodes in memory.
    #[derive(Default)]
    struct Nodes(BTreeMap<Vec<u8>, Vec<u8>>);

    impl TreeRead for Nodes {
        fn tree_node(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StateReadError> {
            Ok(self.0.get(key).cloned())
        }
    }

    impl Nodes {
        fn commit(&mut self, changes: &TreeChanges) {
            self.0.extend(changes.nodes.clone());
            for key in &changes.stale {
                self.0.remove(key);
            }
        }
    }

    fn writes(pairs: &[(&[u8], Option<&[u8]>)]) -> ChangeSet {
        pairs
            .iter()
            .map(|(k, v)| (k.to_vec(), v.map(<[u8]>::to_vec)))
            .collect()
    }

    #[test]
    fn roots_follow_the_state_and_proofs_verify_against_them() {
        let mut nodes = Nodes::default();
        let (r0, c0) = update(
            &nodes,
            None,
            0,
            &writes(&[(b"a", Some(b"1")), (b"b", Some(b"2"))]),
            true,
        )
        .unwrap();
        nodes.commit(&c0);
        let (r1, c1) = update(
            &nodes,
            None,
            1,
            &writes(&[(b"a", Some(b"3")), (b"b", None)]),
            false,
        )
        .unwrap();
        nodes.commit(&c1);
        assert_ne!(r0, r1);
        assert_eq!(root(&nodes, None, 1).unwrap(), Some(r1));
        assert_eq!(
            root(&nodes, None, 0).unwrap(),
            None,
            "stale versions are pruned"
        );

        let present = prove(&nodes, 1, b"a", Some(b"3".to_vec())).unwrap();
        present.verify(&r1).unwrap();
        let absent = prove(&nodes, 1, b"b", None).unwrap();
        absent.verify(&r1).unwrap();
        // A proof does not carry to another value, key or root.
        let mut lie = present.clone();
        lie.value = Some(b"4".to_vec());
        assert!(lie.verify(&r1).is_err());
        let mut other_key = absent.clone();
        other_key.key = b"a".to_vec();
        assert!(other_key.verify(&r1).is_err());
        assert!(present.verify(&r0).is_err());
        // The state and the tree must agree.
        assert!(prove(&nodes, 1, b"a", Some(b"x".to_vec())).is_err());
    }

    #[test]
    fn the_root_key_is_the_one_jmt_writes() {
        let (_, changes) =
            update(&EmptyTree, None, 7, &writes(&[(b"a", Some(b"1"))]), true).unwrap();
        assert!(changes.nodes.contains_key(&root_key(7).unwrap()));
    }

    #[test]
    fn the_same_writes_give_the_same_root_in_any_order_and_missing_versions_are_refused() {
        let pairs: Vec<(Vec<u8>, Option<Vec<u8>>)> = (0..200u32)
            .map(|i| (i.to_be_bytes().to_vec(), Some(vec![i as u8; 3])))
            .collect();
        let forward: ChangeSet = pairs.iter().cloned().collect();
        let backward: ChangeSet = pairs.iter().rev().cloned().collect();
        let a = update(&EmptyTree, None, 0, &forward, true).unwrap();
        let b = update(&EmptyTree, None, 0, &backward, true).unwrap();
        assert_eq!(a, b);
        // No version 4 to build 5 on.
        assert!(update(&EmptyTree, None, 5, &forward, false).is_err());
    }

    #[test]
    fn changes_over_an_unpersisted_version_merge_with_it() {
        // Genesis (version 0) is not persisted before block 1: block 1 is
        // computed over it, and both are committed together.
        let genesis = writes(&[(b"a", Some(b"1")), (b"b", Some(b"2"))]);
        let (_, c0) = update(&EmptyTree, None, 0, &genesis, true).unwrap();
        let block = writes(&[(b"a", Some(b"9"))]);
        let (r1, c1) = update(&EmptyTree, Some(&c0), 1, &block, false).unwrap();
        let mut nodes = Nodes::default();
        nodes.commit(&c0.then(c1));
        assert_eq!(root(&nodes, None, 1).unwrap(), Some(r1));
        assert_eq!(root(&nodes, None, 0).unwrap(), None);
        // Exactly the version-1 tree is stored: a fresh build of the same
        // state has the same root.
        let mut all = genesis;
        all.extend(block);
        let (fresh, _) = update(&EmptyTree, None, 1, &all, true).unwrap();
        assert_eq!(fresh, r1);
        prove(&nodes, 1, b"b", Some(b"2".to_vec())).unwrap();
    }
}
