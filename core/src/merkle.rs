//! RFC 6962 Merkle trees over SHA-256.
//!
//! This is exactly CometBFT's `crypto/merkle` "simple tree" (the tree behind a
//! block header's `data_hash`), and RFC 6962's Merkle Tree Hash:
//!
//! - the empty tree hashes to `sha256("")`;
//! - a leaf hashes to `sha256(0x00 ‖ item)`;
//! - an inner node hashes to `sha256(0x01 ‖ left ‖ right)`;
//! - a tree of `n > 1` leaves splits at the largest power of two strictly
//!   less than `n`: the left subtree is perfect, the right one holds the rest.
//!
//! Inclusion proofs list the sibling hashes ("aunts") from the leaf up to the
//! root, as CometBFT's `merkle.Proof` does. Proofs arrive from untrusted
//! servers, so verification checks every index and length before hashing and
//! never panics.

use sha2::{Digest, Sha256};
use thiserror::Error;

/// Length of every hash in the tree.
pub const HASH_LEN: usize = 32;

/// The longest inclusion path accepted. A tree of at most `u64::MAX` leaves
/// is never deeper than 64, so no honest proof is longer.
pub const MAX_PROOF_DEPTH: usize = 64;

const LEAF_PREFIX: u8 = 0x00;
const INNER_PREFIX: u8 = 0x01;

/// An inclusion proof was malformed or did not lead to the expected root.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum MerkleError {
    /// A proof claims a tree of zero leaves, which contains nothing.
    #[error("a proof cannot be for an empty tree")]
    EmptyTree,
    /// The leaf index is not below the tree size.
    #[error("leaf index {index} is out of range for a tree of {total} leaves")]
    IndexOutOfRange {
        /// The claimed leaf index.
        index: u64,
        /// The claimed tree size.
        total: u64,
    },
    /// More aunts than any tree can need.
    #[error("proof has {0} aunts, more than the maximum of {MAX_PROOF_DEPTH}")]
    TooManyAunts(usize),
    /// The number of aunts does not match the leaf's depth in a tree of
    /// `total` leaves.
    #[error("leaf {index} of a {total}-leaf tree needs {expected} aunts, proof has {got}")]
    WrongAuntCount {
        /// The claimed leaf index.
        index: u64,
        /// The claimed tree size.
        total: u64,
        /// The number of aunts that position needs.
        expected: usize,
        /// The number of aunts in the proof.
        got: usize,
    },
    /// The path is well formed but hashes to a different root.
    #[error("proof does not lead to the expected root")]
    RootMismatch,
    /// A range proof was given no leaves, or leaves past the tree's end.
    #[error("a range of {count} leaves from {first} does not fit a tree of {total}")]
    BadRange {
        /// The range's first leaf.
        first: u64,
        /// Its number of leaves.
        count: u64,
        /// The tree size.
        total: u64,
    },
    /// A range's edge proof is for another leaf or tree size.
    #[error("the edge proof of leaf {want} is for leaf {index} of {total}")]
    EdgeMismatch {
        /// The leaf the proof should be for.
        want: u64,
        /// The leaf it is for.
        index: u64,
        /// The tree size it is for.
        total: u64,
    },
    /// A range's two edge proofs disagree on a subtree both carry.
    #[error("the two edge proofs disagree on the subtree of leaves {lo}..{hi}")]
    EdgesDisagree {
        /// The subtree's first leaf.
        lo: u64,
        /// One past its last leaf.
        hi: u64,
    },
}

/// `sha256(0x00 ‖ item)`: the hash of a leaf.
pub fn leaf_hash(item: &[u8]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update([LEAF_PREFIX]);
    hasher.update(item);
    hasher.finalize().into()
}

/// `sha256(0x01 ‖ left ‖ right)`: the hash of an inner node.
pub fn inner_hash(left: &[u8; 32], right: &[u8; 32]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update([INNER_PREFIX]);
    hasher.update(left);
    hasher.update(right);
    hasher.finalize().into()
}

/// `sha256("")`: the root of a tree with no leaves.
pub fn empty_root() -> [u8; 32] {
    Sha256::digest([]).into()
}

/// The largest power of two strictly less than `n`. Only meaningful for `n ≥ 2`.
pub(crate) fn split_point(n: u64) -> u64 {
    debug_assert!(n >= 2);
    1u64 << (63 - (n - 1).leading_zeros())
}

/// The root over leaves that are already hashed (with [`leaf_hash`]).
///
/// Linear time, and one scratch buffer the size of the input.
pub fn root_from_leaf_hashes(leaves: &[[u8; 32]]) -> [u8; 32] {
    match leaves {
        [] => empty_root(),
        [only] => *only,
        _ => {
            // Hashing adjacent pairs level by level, and carrying an odd last
            // node up unchanged, builds exactly the RFC 6962 tree: every
            // left subtree is perfect and the ragged edge stays on the right.
            let mut level: Vec<[u8; 32]> = leaves.to_vec();
            let mut len = level.len();
            while len > 1 {
                let mut write = 0;
                let mut read = 0;
                while read + 1 < len {
                    level[write] = inner_hash(&level[read], &level[read + 1]);
                    write += 1;
                    read += 2;
                }
                if read < len {
                    level[write] = level[read];
                    write += 1;
                }
                len = write;
            }
            level[0]
        }
    }
}

/// A proof that a leaf sits at `index` in a tree of `total` leaves, in
/// CometBFT's layout: `aunts` are the sibling hashes from the leaf's level
/// up to just below the root (bottom-up).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InclusionProof {
    /// Position of the leaf, counted from 0.
    pub index: u64,
    /// Number of leaves in the tree.
    pub total: u64,
    /// Sibling hashes, bottom-up.
    pub aunts: Vec<[u8; 32]>,
}

/// The sides taken walking from the root down to leaf `index` of a tree of
/// `total` leaves: `true` where the leaf is in the left subtree. Returns the
/// number of levels; entries beyond it are unused.
fn path_sides(index: u64, total: u64) -> Result<([bool; MAX_PROOF_DEPTH], usize), MerkleError> {
    if total == 0 {
        return Err(MerkleError::EmptyTree);
    }
    if index >= total {
        return Err(MerkleError::IndexOutOfRange { index, total });
    }
    let mut sides = [false; MAX_PROOF_DEPTH];
    let mut depth = 0;
    let (mut index, mut total) = (index, total);
    while total > 1 {
        // A subtree of `total ≤ u64::MAX` leaves is at most 64 levels deep,
        // so `depth` stays in bounds; checked anyway rather than trusted.
        let slot = sides
            .get_mut(depth)
            .ok_or(MerkleError::TooManyAunts(depth + 1))?;
        let split = split_point(total);
        if index < split {
            *slot = true;
            total = split;
        } else {
            *slot = false;
            index -= split;
            total -= split;
        }
        depth += 1;
    }
    Ok((sides, depth))
}

/// The number of aunts that leaf `index` of a `total`-leaf tree needs.
pub fn proof_len(index: u64, total: u64) -> Result<usize, MerkleError> {
    path_sides(index, total).map(|(_, depth)| depth)
}

impl InclusionProof {
    /// Hashes `leaf_hash` up the path to the root this proof implies.
    ///
    /// Fails, without hashing, if the index is not below `total`, `total` is 0,
    /// or the number of aunts is not exactly the leaf's depth.
    pub fn compute_root(&self, leaf_hash: &[u8; 32]) -> Result<[u8; 32], MerkleError> {
        if self.aunts.len() > MAX_PROOF_DEPTH {
            return Err(MerkleError::TooManyAunts(self.aunts.len()));
        }
        let (sides, depth) = path_sides(self.index, self.total)?;
        if self.aunts.len() != depth {
            return Err(MerkleError::WrongAuntCount {
                index: self.index,
                total: self.total,
                expected: depth,
                got: self.aunts.len(),
            });
        }
        let mut hash = *leaf_hash;
        // aunts[0] is the sibling at the bottom level, which is the last side
        // recorded walking down from the root.
        for (aunt, is_left) in self.aunts.iter().zip(sides[..depth].iter().rev()) {
            hash = if *is_left {
                inner_hash(&hash, aunt)
            } else {
                inner_hash(aunt, &hash)
            };
        }
        Ok(hash)
    }

    /// Checks that `leaf_hash` is at `index` in the `total`-leaf tree whose
    /// root is `root`.
    pub fn verify(&self, root: &[u8; 32], leaf_hash: &[u8; 32]) -> Result<(), MerkleError> {
        if self.compute_root(leaf_hash)? == *root {
            Ok(())
        } else {
            Err(MerkleError::RootMismatch)
        }
    }
}

/// A Merkle tree with every level kept, so that proofs for many leaves cost
/// no rehashing. Holds about twice the leaves' size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MerkleTree {
    /// `levels[0]` are the leaf hashes, the last level is the root alone
    /// (absent for an empty tree). An odd last node is carried up unchanged.
    levels: Vec<Vec<[u8; 32]>>,
}

impl MerkleTree {
    /// Builds the tree over leaves already hashed with [`leaf_hash`].
    pub fn from_leaf_hashes(leaves: Vec<[u8; 32]>) -> Self {
        let mut levels = vec![leaves];
        loop {
            let below = match levels.last() {
                Some(level) if level.len() > 1 => level,
                _ => break,
            };
            let pairs = below.chunks_exact(2);
            let odd = pairs.remainder().first().copied();
            let mut next: Vec<[u8; 32]> = pairs
                .filter_map(|pair| match pair {
                    [left, right] => Some(inner_hash(left, right)),
                    _ => None,
                })
                .collect();
            // An odd last node is carried up unchanged.
            next.extend(odd);
            levels.push(next);
        }
        MerkleTree { levels }
    }

    /// Number of leaves.
    pub fn len(&self) -> usize {
        self.levels.first().map_or(0, Vec::len)
    }

    /// Whether the tree has no leaves.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The leaf hashes, in order.
    pub fn leaves(&self) -> &[[u8; 32]] {
        self.levels.first().map_or(&[], Vec::as_slice)
    }

    /// The root ([`empty_root`] for no leaves); equals
    /// [`root_from_leaf_hashes`] over the same leaves.
    pub fn root(&self) -> [u8; 32] {
        match self.levels.last().map(Vec::as_slice) {
            Some([root]) => *root,
            _ => empty_root(),
        }
    }

    /// The inclusion proof of leaf `index`, or `None` if there is no such leaf.
    pub fn prove(&self, index: usize) -> Option<InclusionProof> {
        let total = self.len();
        if index >= total {
            return None;
        }
        let (_root, below_root) = self.levels.split_last()?;
        let mut aunts = Vec::with_capacity(below_root.len());
        let mut position = index;
        for level in below_root {
            // A node without a sibling (the odd last one) is carried up
            // unchanged and contributes no aunt.
            if let Some(sibling) = level.get(position ^ 1) {
                aunts.push(*sibling);
            }
            position /= 2;
        }
        Some(InclusionProof {
            index: index as u64,
            total: total as u64,
            aunts,
        })
    }
}

/// The inclusion proof of leaf `index` among `leaves` (already hashed), or
/// `None` if there is no such leaf. For many proofs over one tree, build a
/// [`MerkleTree`] once or use [`prove_all`].
pub fn prove(leaves: &[[u8; 32]], index: usize) -> Option<InclusionProof> {
    if index >= leaves.len() {
        return None;
    }
    MerkleTree::from_leaf_hashes(leaves.to_vec()).prove(index)
}

/// The inclusion proofs of every leaf, in leaf order, hashing the tree once.
pub fn prove_all(leaves: &[[u8; 32]]) -> Vec<InclusionProof> {
    let tree = MerkleTree::from_leaf_hashes(leaves.to_vec());
    (0..tree.len()).filter_map(|i| tree.prove(i)).collect()
}

/// The leaf spans `[lo, hi)` of the subtrees whose roots are leaf `index`'s
/// aunts in a `total`-leaf tree, bottom-up like [`InclusionProof::aunts`].
fn aunt_spans(index: u64, total: u64) -> Result<Vec<(u64, u64)>, MerkleError> {
    let (sides, depth) = path_sides(index, total)?;
    let mut spans = Vec::with_capacity(depth);
    let (mut lo, mut hi) = (0u64, total);
    for goes_left in &sides[..depth] {
        let mid = lo + split_point(hi - lo);
        if *goes_left {
            spans.push((mid, hi));
            hi = mid;
        } else {
            spans.push((lo, mid));
            lo = mid;
        }
    }
    spans.reverse();
    Ok(spans)
}

/// The root of a `total`-leaf tree from a run of consecutive leaves (already
/// hashed) starting at `first`, and the inclusion proofs of the run's first
/// and last leaf: every subtree outside the run that the root needs is an
/// aunt of one of the two edges, so nothing else is needed.
///
/// Compare the result with a trusted root; the proofs themselves are not
/// trusted. Hashes each leaf once, and at most two aunts per level.
pub fn range_root(
    total: u64,
    first: u64,
    leaves: &[[u8; 32]],
    first_proof: &InclusionProof,
    last_proof: &InclusionProof,
) -> Result<[u8; 32], MerkleError> {
    let count = leaves.len() as u64;
    let end = first
        .checked_add(count)
        .filter(|end| count > 0 && *end <= total)
        .ok_or(MerkleError::BadRange {
            first,
            count,
            total,
        })?;
    let mut known: std::collections::BTreeMap<(u64, u64), [u8; 32]> =
        std::collections::BTreeMap::new();
    for (proof, want) in [(first_proof, first), (last_proof, end - 1)] {
        if proof.index != want || proof.total != total {
            return Err(MerkleError::EdgeMismatch {
                want,
                index: proof.index,
                total: proof.total,
            });
        }
        let spans = aunt_spans(want, total)?;
        if proof.aunts.len() != spans.len() {
            return Err(MerkleError::WrongAuntCount {
                index: want,
                total,
                expected: spans.len(),
                got: proof.aunts.len(),
            });
        }
        for (span, aunt) in spans.into_iter().zip(&proof.aunts) {
            if let Some(seen) = known.insert(span, *aunt) {
                if seen != *aunt {
                    return Err(MerkleError::EdgesDisagree {
                        lo: span.0,
                        hi: span.1,
                    });
                }
            }
        }
    }
    subtree_root(0, total, first, end, leaves, &known)
}

/// The root of leaves `[lo, hi)` for [`range_root`]: hashed from the run's
/// leaves where the subtree meets `[first, end)`, else an edge's aunt.
fn subtree_root(
    lo: u64,
    hi: u64,
    first: u64,
    end: u64,
    leaves: &[[u8; 32]],
    known: &std::collections::BTreeMap<(u64, u64), [u8; 32]>,
) -> Result<[u8; 32], MerkleError> {
    if hi <= first || lo >= end {
        // Outside the run: by construction an aunt of the first or last
        // leaf, both of whose proofs were complete.
        return known
            .get(&(lo, hi))
            .copied()
            .ok_or(MerkleError::RootMismatch);
    }
    if hi - lo == 1 {
        // Inside the run: lo - first < leaves.len().
        let index = usize::try_from(lo - first).map_err(|_| MerkleError::RootMismatch)?;
        return leaves.get(index).copied().ok_or(MerkleError::RootMismatch);
    }
    let mid = lo + split_point(hi - lo);
    Ok(inner_hash(
        &subtree_root(lo, mid, first, end, leaves, known)?,
        &subtree_root(mid, hi, first, end, leaves, known)?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_run_of_every_small_tree_proves_its_root() {
        for total in 1..=33u64 {
            let leaves: Vec<[u8; 32]> = (0..total).map(|i| leaf_hash(&i.to_be_bytes())).collect();
            let tree = MerkleTree::from_leaf_hashes(leaves.clone());
            let root = tree.root();
            for first in 0..total {
                for end in first + 1..=total {
                    let run = &leaves[first as usize..end as usize];
                    let a = tree.prove(first as usize).unwrap();
                    let b = tree.prove(end as usize - 1).unwrap();
                    assert_eq!(range_root(total, first, run, &a, &b), Ok(root));
                    // A changed leaf, a shifted run and swapped edges fail.
                    let mut changed = run.to_vec();
                    changed[run.len() / 2][0] ^= 1;
                    assert_ne!(range_root(total, first, &changed, &a, &b), Ok(root));
                    if end < total {
                        let shifted = &leaves[first as usize + 1..end as usize + 1];
                        assert!(range_root(total, first + 1, shifted, &a, &b).is_err());
                    }
                    if end - first > 1 {
                        assert!(range_root(total, first, run, &b, &a).is_err());
                    }
                }
            }
        }
    }

    #[test]
    fn range_proofs_refuse_bad_shapes() {
        let leaves: Vec<[u8; 32]> = (0..10u64).map(|i| leaf_hash(&i.to_be_bytes())).collect();
        let tree = MerkleTree::from_leaf_hashes(leaves.clone());
        let (a, b) = (tree.prove(2).unwrap(), tree.prove(6).unwrap());
        assert!(matches!(
            range_root(10, 2, &[], &a, &b),
            Err(MerkleError::BadRange { .. })
        ));
        assert!(matches!(
            range_root(10, 9, &leaves[2..7], &a, &b),
            Err(MerkleError::BadRange { .. })
        ));
        assert!(matches!(
            range_root(11, 2, &leaves[2..7], &a, &b),
            Err(MerkleError::EdgeMismatch { .. })
        ));
        let mut short = b.clone();
        short.aunts.pop();
        assert!(matches!(
            range_root(10, 2, &leaves[2..7], &a, &short),
            Err(MerkleError::WrongAuntCount { .. })
        ));
        // Leaves 0..8 and 8..10 split at the root: both edges carry nothing
        // in common, but two edges of one half share their upper aunts.
        let (c, d) = (tree.prove(1).unwrap(), tree.prove(2).unwrap());
        let mut lying = d.clone();
        let top = lying.aunts.len() - 1;
        lying.aunts[top][0] ^= 1;
        assert!(matches!(
            range_root(10, 1, &leaves[1..3], &c, &lying),
            Err(MerkleError::EdgesDisagree { .. })
        ));
    }

    fn h(s: &str) -> [u8; 32] {
        hex::decode(s).unwrap().try_into().unwrap()
    }

    /// The eight leaves of the RFC 6962 reference tests (certificate-transparency,
    /// transparency-dev/merkle `proof/verify_test.go`).
    fn rfc_leaves() -> Vec<Vec<u8>> {
        [
            "",
            "00",
            "10",
            "2021",
            "3031",
            "40414243",
            "5051525354555657",
            "606162636465666768696a6b6c6d6e6f",
        ]
        .iter()
        .map(|s| hex::decode(s).unwrap())
        .collect()
    }

    /// Published roots of the trees over the first 1..=8 reference leaves.
    const RFC_ROOTS: [&str; 8] = [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ];

    /// Published inclusion paths: (0-based leaf index, tree size, path).
    fn rfc_paths() -> Vec<(u64, u64, Vec<[u8; 32]>)> {
        vec![
            (0, 1, vec![]),
            (
                0,
                8,
                vec![
                    h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
                    h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
                    h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
                ],
            ),
            (
                5,
                8,
                vec![
                    h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
                    h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
                    h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
                ],
            ),
            (
                2,
                3,
                vec![h(
                    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
                )],
            ),
            (
                1,
                5,
                vec![
                    h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
                    h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
                    h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
                ],
            ),
        ]
    }

    /// The textbook recursive definition, as an independent reference.
    fn reference_root(leaves: &[[u8; 32]]) -> [u8; 32] {
        match leaves.len() {
            0 => empty_root(),
            1 => leaves[0],
            n => {
                let k = split_point(n as u64) as usize;
                inner_hash(&reference_root(&leaves[..k]), &reference_root(&leaves[k..]))
            }
        }
    }

    fn numbered_leaves(n: usize) -> Vec<[u8; 32]> {
        (0..n)
            .map(|i| leaf_hash(format!("leaf-{i}").as_bytes()))
            .collect()
    }

    #[test]
    fn hashing_primitives() {
        assert_eq!(
            hex::encode(empty_root()),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(root_from_leaf_hashes(&[]), empty_root());
        // Leaf of the empty item is sha256(0x00).
        assert_eq!(hex::encode(leaf_hash(b"")), RFC_ROOTS[0]);
        // Domain separation: a leaf over 64 bytes is not the inner node over
        // the same two halves.
        let (a, b) = (leaf_hash(b"a"), leaf_hash(b"b"));
        let mut concat = a.to_vec();
        concat.extend_from_slice(&b);
        assert_ne!(leaf_hash(&concat), inner_hash(&a, &b));
        assert_ne!(inner_hash(&a, &b), inner_hash(&b, &a));
    }

    #[test]
    fn split_points() {
        let cases = [(2, 1), (3, 2), (4, 2), (5, 4), (8, 4), (9, 8), (70, 64)];
        for (n, k) in cases {
            assert_eq!(split_point(n), k, "n = {n}");
        }
        assert_eq!(split_point(u64::MAX), 1 << 63);
        assert_eq!(split_point((1 << 63) + 1), 1 << 63);
        assert_eq!(split_point(1 << 63), 1 << 62);
    }

    #[test]
    fn rfc6962_published_roots() {
        let hashes: Vec<[u8; 32]> = rfc_leaves().iter().map(|l| leaf_hash(l)).collect();
        for (n, want) in RFC_ROOTS.iter().enumerate() {
            let leaves = &hashes[..=n];
            assert_eq!(
                hex::encode(root_from_leaf_hashes(leaves)),
                *want,
                "size {}",
                n + 1
            );
            let tree = MerkleTree::from_leaf_hashes(leaves.to_vec());
            assert_eq!(hex::encode(tree.root()), *want, "tree size {}", n + 1);
        }
    }

    #[test]
    fn rfc6962_published_inclusion_paths() {
        let hashes: Vec<[u8; 32]> = rfc_leaves().iter().map(|l| leaf_hash(l)).collect();
        for (index, total, path) in rfc_paths() {
            let leaves = &hashes[..total as usize];
            let produced = prove(leaves, index as usize).unwrap();
            assert_eq!(produced.aunts, path, "path of {index} in {total}");
            assert_eq!((produced.index, produced.total), (index, total));
            let root = h(RFC_ROOTS[total as usize - 1]);
            produced.verify(&root, &hashes[index as usize]).unwrap();
            // The published path verifies as given, too.
            let published = InclusionProof {
                index,
                total,
                aunts: path,
            };
            assert_eq!(published.compute_root(&hashes[index as usize]), Ok(root));
        }
    }

    #[test]
    fn roots_match_recursive_definition() {
        for n in 0..=130 {
            let leaves = numbered_leaves(n);
            let want = reference_root(&leaves);
            assert_eq!(root_from_leaf_hashes(&leaves), want, "n = {n}");
            assert_eq!(MerkleTree::from_leaf_hashes(leaves).root(), want, "n = {n}");
        }
    }

    #[test]
    fn every_proof_round_trips_up_to_70_leaves() {
        for n in 1..=70usize {
            let leaves = numbered_leaves(n);
            let root = root_from_leaf_hashes(&leaves);
            let all = prove_all(&leaves);
            assert_eq!(all.len(), n);
            for (i, proof) in all.iter().enumerate() {
                assert_eq!(Some(proof), prove(&leaves, i).as_ref());
                assert_eq!(proof.index, i as u64);
                assert_eq!(proof.total, n as u64);
                assert_eq!(proof.aunts.len(), proof_len(i as u64, n as u64).unwrap());
                assert_eq!(proof.verify(&root, &leaves[i]), Ok(()), "leaf {i} of {n}");
                // Another leaf does not verify at this position.
                let other = &leaves[(i + 1) % n];
                if n > 1 {
                    assert_eq!(proof.verify(&root, other), Err(MerkleError::RootMismatch));
                }
            }
            assert_eq!(prove(&leaves, n), None);
        }
        assert_eq!(prove(&[], 0), None);
        assert!(prove_all(&[]).is_empty());
    }

    /// Every way of corrupting a valid proof is rejected.
    #[test]
    fn tampered_proofs_are_rejected() {
        for n in 1..=70usize {
            let leaves = numbered_leaves(n);
            let root = root_from_leaf_hashes(&leaves);
            let tree = MerkleTree::from_leaf_hashes(leaves.clone());
            for (i, leaf) in leaves.iter().enumerate() {
                let good = tree.prove(i).unwrap();

                // Flipped bit in each aunt.
                for a in 0..good.aunts.len() {
                    let mut bad = good.clone();
                    bad.aunts[a][a % 32] ^= 0x08;
                    assert_eq!(bad.verify(&root, leaf), Err(MerkleError::RootMismatch));
                }
                // Wrong index (every other index).
                for j in 0..n as u64 {
                    if j == i as u64 {
                        continue;
                    }
                    let bad = InclusionProof {
                        index: j,
                        ..good.clone()
                    };
                    assert!(bad.verify(&root, leaf).is_err(), "index {j} for {i} of {n}");
                }
                // Index out of range.
                let bad = InclusionProof {
                    index: n as u64,
                    ..good.clone()
                };
                assert!(matches!(
                    bad.verify(&root, leaf),
                    Err(MerkleError::IndexOutOfRange { .. })
                ));
                // Wrong total. The root alone does not fix the tree size (see
                // `total_is_not_bound_by_the_root`), so a changed total is
                // rejected unless it walks the very same path.
                let (good_sides, good_depth) = path_sides(i as u64, n as u64).unwrap();
                for t in (i as u64 + 1..=2 * n as u64).chain([u64::MAX]) {
                    if t == n as u64 {
                        continue;
                    }
                    let bad = InclusionProof {
                        total: t,
                        ..good.clone()
                    };
                    let (sides, depth) = path_sides(i as u64, t).unwrap();
                    let same_path = depth == good_depth && sides == good_sides;
                    assert_eq!(
                        bad.verify(&root, leaf).is_ok(),
                        same_path,
                        "total {t} for {i} of {n}"
                    );
                }
                // Zero total.
                let bad = InclusionProof {
                    total: 0,
                    ..good.clone()
                };
                assert_eq!(bad.verify(&root, leaf), Err(MerkleError::EmptyTree));
                // Extra aunt at either end.
                for front in [false, true] {
                    let mut bad = good.clone();
                    if front {
                        bad.aunts.insert(0, root);
                    } else {
                        bad.aunts.push(root);
                    }
                    assert!(matches!(
                        bad.verify(&root, leaf),
                        Err(MerkleError::WrongAuntCount { .. })
                    ));
                }
                // Missing aunt at either end.
                if !good.aunts.is_empty() {
                    for front in [false, true] {
                        let mut bad = good.clone();
                        if front {
                            bad.aunts.remove(0);
                        } else {
                            bad.aunts.pop();
                        }
                        assert!(matches!(
                            bad.verify(&root, leaf),
                            Err(MerkleError::WrongAuntCount { .. })
                        ));
                    }
                }
                // An inner node is not accepted as a leaf: the root itself
                // with an empty path only verifies for a one-leaf tree.
                if n > 1 {
                    let bad = InclusionProof {
                        index: 0,
                        total: 1,
                        aunts: vec![],
                    };
                    assert_eq!(bad.verify(&root, leaf), Err(MerkleError::RootMismatch));
                }
            }
        }
    }

    /// As in RFC 6962, a root does not commit to its tree's size: the proof
    /// of leaf 0 in a 4-leaf tree also "verifies" as leaf 0 of a 3-leaf tree.
    /// Users of proofs must take `total` from an authenticated source (the
    /// block commitment's `namespace_count`), never from the proof.
    #[test]
    fn total_is_not_bound_by_the_root() {
        let leaves = numbered_leaves(4);
        let root = root_from_leaf_hashes(&leaves);
        let mut proof = prove(&leaves, 0).unwrap();
        proof.total = 3;
        assert_eq!(proof.verify(&root, &leaves[0]), Ok(()));
        // With the index fixed by a known total, the index is bound.
        proof.total = 4;
        proof.index = 1;
        assert_eq!(
            proof.verify(&root, &leaves[0]),
            Err(MerkleError::RootMismatch)
        );
    }

    #[test]
    fn oversized_paths_are_rejected_before_hashing() {
        let leaf = leaf_hash(b"x");
        let bad = InclusionProof {
            index: 0,
            total: u64::MAX,
            aunts: vec![[0; 32]; MAX_PROOF_DEPTH + 1],
        };
        assert_eq!(
            bad.compute_root(&leaf),
            Err(MerkleError::TooManyAunts(MAX_PROOF_DEPTH + 1))
        );
        // The deepest possible honest position takes exactly 64 aunts.
        assert_eq!(proof_len(0, u64::MAX), Ok(64));
        assert_eq!(proof_len(u64::MAX - 1, u64::MAX), Ok(63));
        let deep = InclusionProof {
            index: 0,
            total: u64::MAX,
            aunts: vec![[7; 32]; 64],
        };
        assert!(deep.compute_root(&leaf).is_ok());
        assert_eq!(
            proof_len(5, 5),
            Err(MerkleError::IndexOutOfRange { index: 5, total: 5 })
        );
        assert_eq!(proof_len(0, 0), Err(MerkleError::EmptyTree));
    }

    #[test]
    fn large_trees_are_fast_and_consistent() {
        let leaves = numbered_leaves(10_003);
        let root = root_from_leaf_hashes(&leaves);
        assert_eq!(root, reference_root(&leaves));
        let tree = MerkleTree::from_leaf_hashes(leaves.clone());
        assert_eq!(tree.root(), root);
        for i in [0, 1, 4095, 4096, 8191, 8192, 10_000, 10_002] {
            let proof = tree.prove(i).unwrap();
            assert_eq!(proof.verify(&root, &leaves[i]), Ok(()));
        }
    }

    /// CometBFT's data hash: the simple tree over the txs' SHA-256 hashes,
    /// as tendermint-rs computes it.
    #[test]
    fn matches_tendermint_rs_data_hash() {
        use tendermint::crypto::default::Sha256 as TmSha256;
        use tendermint::merkle::simple_hash_from_byte_vectors;

        for n in 0..=40usize {
            let txs: Vec<Vec<u8>> = (0..n)
                .map(|i| format!("tx number {i} with some payload").into_bytes())
                .collect();
            let tx_hashes: Vec<Vec<u8>> =
                txs.iter().map(|tx| Sha256::digest(tx).to_vec()).collect();
            let theirs = simple_hash_from_byte_vectors::<TmSha256>(&tx_hashes);
            let ours = root_from_leaf_hashes(
                &tx_hashes.iter().map(|th| leaf_hash(th)).collect::<Vec<_>>(),
            );
            assert_eq!(ours, theirs, "{n} txs");
        }
    }
}
