//! The per-block namespace commitment, and proofs against it.
//!
//! The proposer puts one commitment transaction first in every block. It
//! commits to every blob of the block, grouped by namespace, so that a reader
//! who trusts only the block (through its header's `data_hash`) can check a
//! server's answer to "what did namespace N get at height H?" — both that the
//! blobs returned are all of them, in order, and that an empty answer is true.
//!
//! Layout (every tree is the RFC 6962 / CometBFT tree of [`crate::merkle`]):
//!
//! - a blob's leaf is `leaf_hash(signer (20 bytes) ‖ data)`;
//! - a namespace's `blobs_root` is the root over its blobs' leaves in block order;
//! - a namespace's leaf is `leaf_hash(namespace (32) ‖ blob_count (u32 BE) ‖ blobs_root (32))`;
//! - the `namespace_root` is the root over the namespace leaves of the
//!   namespaces present in the block, sorted bytewise by namespace id, each once.
//!
//! The commitment transaction is [`COMMITMENT_TX_PREFIX`] ‖ height (u64 BE) ‖
//! namespace_count (u32 BE) ‖ namespace_root (32 bytes).
//!
//! Because the leaves are sorted and the commitment fixes their number,
//! the indexes in inclusion proofs are authentic, which is what makes absence
//! proofs work: two leaves at adjacent indexes whose namespaces bracket N leave
//! no room for N.

use crate::merkle::{self, InclusionProof, MerkleError, MerkleTree};
use crate::{Address, Blob, Namespace};
use sha2::{Digest, Sha256};
use std::cmp::Ordering;
use std::collections::BTreeMap;
use thiserror::Error;

/// The bytes every commitment transaction starts with.
///
/// Its first byte is 0x00: a protobuf field tag of 0 is invalid, so no
/// `TxRaw` (which begins with tag 0x0a) can ever start like this, and a
/// commitment transaction never decodes as a user transaction.
pub const COMMITMENT_TX_PREFIX: &[u8] = b"\x00quire/commitment/v1\x00";

/// The exact length of an encoded commitment transaction.
pub const COMMITMENT_TX_LEN: usize = COMMITMENT_TX_PREFIX.len() + 8 + 4 + 32;

/// A commitment transaction could not be decoded.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CommitmentError {
    /// The bytes do not start with [`COMMITMENT_TX_PREFIX`].
    #[error("not a commitment transaction")]
    NotACommitment,
    /// The bytes start like a commitment but are not exactly its length.
    #[error("commitment transaction must be {expected} bytes, got {got}")]
    WrongLength {
        /// [`COMMITMENT_TX_LEN`].
        expected: usize,
        /// The length received.
        got: usize,
    },
    /// A commitment to no namespaces must carry the empty tree's root.
    #[error("commitment has no namespaces but a root other than the empty root")]
    NonEmptyRootForEmptyBlock,
}

/// A namespace proof did not check out against a commitment.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProofError {
    /// The proven leaf belongs to another namespace.
    #[error("proof is for namespace {got}, not {expected}")]
    WrongNamespace {
        /// The namespace asked about.
        expected: Namespace,
        /// The namespace of the proven leaf.
        got: Namespace,
    },
    /// An inclusion proof with no blobs: a present namespace has at least one.
    #[error("an inclusion proof must come with at least one blob")]
    NoBlobs,
    /// The number of blobs given differs from the count in the leaf.
    #[error("leaf commits to {committed} blobs, {given} were given")]
    BlobCountMismatch {
        /// The count in the namespace leaf.
        committed: u32,
        /// The number of blobs given.
        given: usize,
    },
    /// The blobs given (content, signers or order) do not hash to the leaf's
    /// `blobs_root`.
    #[error("blobs do not match the namespace leaf's blobs root")]
    BlobsRootMismatch,
    /// A proof claims a tree size other than the commitment's namespace count.
    #[error("proof is for a tree of {proof_total} namespaces, commitment has {namespace_count}")]
    TotalMismatch {
        /// The tree size in the proof.
        proof_total: u64,
        /// The namespace count in the commitment.
        namespace_count: u32,
    },
    /// A Merkle path is malformed (index out of range, wrong length, …).
    #[error("malformed merkle path: {0}")]
    BadMerklePath(MerkleError),
    /// A leaf and its path do not hash to the commitment's namespace root.
    #[error("namespace leaf is not in the committed namespace tree")]
    NamespaceRootMismatch,
    /// Blobs were given with a proof that the namespace has none.
    #[error("absence proof given with {0} blobs")]
    BlobsWithAbsence(usize),
    /// The proof claims an empty block, but the commitment has namespaces.
    #[error("claimed empty block, but the commitment has {namespace_count} namespaces")]
    NotEmptyBlock {
        /// The namespace count in the commitment.
        namespace_count: u32,
    },
    /// "Below the first leaf" with a leaf that is not the first.
    #[error("leaf at index {index} is not the first leaf")]
    NotFirstLeaf {
        /// The index of the leaf given.
        index: u64,
    },
    /// "Above the last leaf" with a leaf that is not the last.
    #[error("leaf at index {index} is not the last of {total}")]
    NotLastLeaf {
        /// The index of the leaf given.
        index: u64,
        /// The number of leaves.
        total: u64,
    },
    /// "Between two leaves" with leaves that are not neighbours.
    #[error("leaves at indexes {left} and {right} are not adjacent")]
    NotAdjacent {
        /// The index of the left leaf.
        left: u64,
        /// The index of the right leaf.
        right: u64,
    },
    /// The leaves given do not bracket the namespace as the proof claims.
    #[error("the leaves given do not bound the namespace")]
    NotBounding,
    /// The proof claims absence, but one of its own (authentic) leaves is the
    /// namespace: it is present.
    #[error("claimed absence, but the namespace is present")]
    NamespacePresent,
}

/// The commitment the proposer puts first in a block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NamespaceCommitment {
    /// Height of the block it commits.
    pub height: u64,
    /// Number of distinct namespaces in the block.
    pub namespace_count: u32,
    /// Root of the namespace tree ([`merkle::empty_root`] if there are none).
    pub namespace_root: [u8; 32],
}

impl NamespaceCommitment {
    /// The transaction bytes: prefix ‖ height (u64 BE) ‖ namespace_count
    /// (u32 BE) ‖ namespace_root.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(COMMITMENT_TX_LEN);
        out.extend_from_slice(COMMITMENT_TX_PREFIX);
        out.extend_from_slice(&self.height.to_be_bytes());
        out.extend_from_slice(&self.namespace_count.to_be_bytes());
        out.extend_from_slice(&self.namespace_root);
        out
    }

    /// Parses transaction bytes made by [`encode`](Self::encode). Rejects
    /// anything else: a missing prefix, any other length, and a commitment
    /// to no namespaces whose root is not the empty root.
    pub fn decode(bytes: &[u8]) -> Result<Self, CommitmentError> {
        let body = bytes
            .strip_prefix(COMMITMENT_TX_PREFIX)
            .ok_or(CommitmentError::NotACommitment)?;
        let wrong_length = CommitmentError::WrongLength {
            expected: COMMITMENT_TX_LEN,
            got: bytes.len(),
        };
        let (height, rest) = body.split_first_chunk::<8>().ok_or(wrong_length.clone())?;
        let (count, rest) = rest.split_first_chunk::<4>().ok_or(wrong_length.clone())?;
        let root: [u8; 32] = rest.try_into().map_err(|_| wrong_length)?;
        let commitment = NamespaceCommitment {
            height: u64::from_be_bytes(*height),
            namespace_count: u32::from_be_bytes(*count),
            namespace_root: root,
        };
        if commitment.namespace_count == 0 && commitment.namespace_root != merkle::empty_root() {
            return Err(CommitmentError::NonEmptyRootForEmptyBlock);
        }
        Ok(commitment)
    }
}

/// Whether `bytes` are (or claim to be) a commitment transaction: they start
/// with [`COMMITMENT_TX_PREFIX`]. [`NamespaceCommitment::decode`] checks the rest.
pub fn is_commitment_tx(bytes: &[u8]) -> bool {
    bytes.starts_with(COMMITMENT_TX_PREFIX)
}

/// The leaf of one blob: `leaf_hash(signer ‖ data)`.
pub fn blob_leaf_hash(signer: &Address, data: &[u8]) -> [u8; 32] {
    // Streamed, so a large blob is not copied: equals
    // `merkle::leaf_hash(&[signer, data].concat())`.
    let mut hasher = Sha256::new();
    hasher.update([0x00]);
    hasher.update(signer.as_bytes());
    hasher.update(data);
    hasher.finalize().into()
}

/// The root over the leaves of `blobs` (signer, data), in the order given.
pub fn blobs_root(blobs: &[(Address, &[u8])]) -> [u8; 32] {
    let leaves: Vec<[u8; 32]> = blobs
        .iter()
        .map(|(signer, data)| blob_leaf_hash(signer, data))
        .collect();
    merkle::root_from_leaf_hashes(&leaves)
}

/// One namespace's entry in the namespace tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NamespaceLeaf {
    /// The namespace.
    pub namespace: Namespace,
    /// How many blobs it has in the block (at least one in an honest tree).
    pub blob_count: u32,
    /// Root over its blobs' leaves, in block order.
    pub blobs_root: [u8; 32],
}

impl NamespaceLeaf {
    /// `leaf_hash(namespace ‖ blob_count (u32 BE) ‖ blobs_root)`.
    pub fn leaf_hash(&self) -> [u8; 32] {
        let mut item = [0u8; 32 + 4 + 32];
        item[..32].copy_from_slice(self.namespace.as_bytes());
        item[32..36].copy_from_slice(&self.blob_count.to_be_bytes());
        item[36..].copy_from_slice(&self.blobs_root);
        merkle::leaf_hash(&item)
    }
}

/// The namespace tree of one block, kept whole so that proofs for any number
/// of namespaces cost no rehashing.
#[derive(Debug, Clone)]
pub struct NamespaceTree {
    height: u64,
    leaves: Vec<NamespaceLeaf>,
    tree: MerkleTree,
}

impl NamespaceTree {
    /// Builds the tree of the block at `height` from its blobs in block order.
    ///
    /// Counts saturate at `u32::MAX`, which no block within CometBFT's size
    /// limits comes near (every blob costs bytes of a transaction).
    pub fn build<'b>(height: u64, blobs: impl IntoIterator<Item = &'b Blob>) -> NamespaceTree {
        Self::build_from(
            height,
            blobs
                .into_iter()
                .map(|b| (b.namespace, &b.signer, b.data.as_slice())),
        )
    }

    /// As [`NamespaceTree::build`], from each blob's namespace, signer and
    /// data alone (in block order): what the commitment covers.
    pub fn build_from<'b>(
        height: u64,
        blobs: impl IntoIterator<Item = (Namespace, &'b Address, &'b [u8])>,
    ) -> NamespaceTree {
        let mut groups: BTreeMap<Namespace, Vec<[u8; 32]>> = BTreeMap::new();
        for (namespace, signer, data) in blobs {
            groups
                .entry(namespace)
                .or_default()
                .push(blob_leaf_hash(signer, data));
        }
        let leaves: Vec<NamespaceLeaf> = groups
            .into_iter()
            .map(|(namespace, blob_leaves)| NamespaceLeaf {
                namespace,
                blob_count: u32::try_from(blob_leaves.len()).unwrap_or(u32::MAX),
                blobs_root: merkle::root_from_leaf_hashes(&blob_leaves),
            })
            .collect();
        let tree =
            MerkleTree::from_leaf_hashes(leaves.iter().map(NamespaceLeaf::leaf_hash).collect());
        NamespaceTree {
            height,
            leaves,
            tree,
        }
    }

    /// Rebuilds the tree of the block at `height` from its stored leaves
    /// (e.g. from [`NamespaceTree::leaves`] of an earlier build). Leaves are
    /// sorted by namespace and duplicates dropped, so the result is always a
    /// well-formed tree.
    pub fn from_leaves(height: u64, mut leaves: Vec<NamespaceLeaf>) -> NamespaceTree {
        leaves.sort_by_key(|leaf| leaf.namespace);
        leaves.dedup_by_key(|leaf| leaf.namespace);
        let tree =
            MerkleTree::from_leaf_hashes(leaves.iter().map(NamespaceLeaf::leaf_hash).collect());
        NamespaceTree {
            height,
            leaves,
            tree,
        }
    }

    /// The block height this tree belongs to.
    pub fn height(&self) -> u64 {
        self.height
    }

    /// The commitment to put first in the block.
    pub fn commitment(&self) -> NamespaceCommitment {
        NamespaceCommitment {
            height: self.height,
            namespace_count: u32::try_from(self.leaves.len()).unwrap_or(u32::MAX),
            namespace_root: self.tree.root(),
        }
    }

    /// The namespace leaves, sorted by namespace.
    pub fn leaves(&self) -> &[NamespaceLeaf] {
        &self.leaves
    }

    /// The proof that `namespace` has exactly its blobs in this block, or
    /// that it has none.
    pub fn prove(&self, namespace: &Namespace) -> NamespaceProof {
        let position = self
            .leaves
            .binary_search_by(|leaf| leaf.namespace.cmp(namespace));
        let included = |index: usize| -> Option<IncludedLeaf> {
            Some(IncludedLeaf {
                leaf: *self.leaves.get(index)?,
                proof: self.tree.prove(index)?,
            })
        };
        let absence = match position {
            Ok(index) => {
                if let Some(IncludedLeaf { leaf, proof }) = included(index) {
                    return NamespaceProof::Inclusion { leaf, proof };
                }
                // Unreachable: the index came from the leaves themselves.
                None
            }
            Err(0) => match included(0) {
                Some(first) => Some(AbsenceProof::BeforeFirst(first)),
                None => Some(AbsenceProof::EmptyBlock),
            },
            Err(index) if index == self.leaves.len() => {
                included(index - 1).map(AbsenceProof::AfterLast)
            }
            Err(index) => match (included(index - 1), included(index)) {
                (Some(left), Some(right)) => Some(AbsenceProof::Between { left, right }),
                _ => None,
            },
        };
        // The `None`s above cannot happen; an empty-block claim is the
        // harmless fallback (it fails verification rather than panicking).
        NamespaceProof::Absence(absence.unwrap_or(AbsenceProof::EmptyBlock))
    }
}

/// A namespace leaf with its inclusion proof in the namespace tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncludedLeaf {
    /// The leaf.
    pub leaf: NamespaceLeaf,
    /// Its path to the namespace root.
    pub proof: InclusionProof,
}

impl IncludedLeaf {
    /// Checks that the leaf is in the tree `commitment` commits to, at the
    /// index its proof claims (the size is taken from the commitment).
    fn verify(&self, commitment: &NamespaceCommitment) -> Result<(), ProofError> {
        verify_leaf(&self.leaf, &self.proof, commitment)
    }
}

/// Why a namespace has no blobs in a block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AbsenceProof {
    /// The block has no blobs at all (`namespace_count == 0`).
    EmptyBlock,
    /// The namespace sorts before the first leaf (index 0).
    BeforeFirst(IncludedLeaf),
    /// The namespace sorts after the last leaf (index `namespace_count - 1`).
    AfterLast(IncludedLeaf),
    /// The namespace sorts strictly between two adjacent leaves.
    Between {
        /// The leaf at index i.
        left: IncludedLeaf,
        /// The leaf at index i + 1.
        right: IncludedLeaf,
    },
}

/// What a block holds for one namespace, provable to a reader who trusts only
/// the block's [`NamespaceCommitment`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NamespaceProof {
    /// The namespace is present: its leaf and the leaf's path.
    Inclusion {
        /// The namespace's leaf.
        leaf: NamespaceLeaf,
        /// Its path to the namespace root.
        proof: InclusionProof,
    },
    /// The namespace has no blobs in the block.
    Absence(AbsenceProof),
}

/// Checks a leaf's path against the commitment, taking the tree size from
/// the commitment (a root alone does not fix it).
fn verify_leaf(
    leaf: &NamespaceLeaf,
    proof: &InclusionProof,
    commitment: &NamespaceCommitment,
) -> Result<(), ProofError> {
    if proof.total != u64::from(commitment.namespace_count) {
        return Err(ProofError::TotalMismatch {
            proof_total: proof.total,
            namespace_count: commitment.namespace_count,
        });
    }
    match proof.compute_root(&leaf.leaf_hash()) {
        Ok(root) if root == commitment.namespace_root => Ok(()),
        Ok(_) => Err(ProofError::NamespaceRootMismatch),
        Err(e) => Err(ProofError::BadMerklePath(e)),
    }
}

impl NamespaceProof {
    /// Checks, trusting nothing but `commitment`, that `blobs` (signer, data,
    /// in block order) are exactly what `namespace` has in the committed
    /// block: all of them, in order, and none when `blobs` is empty.
    ///
    /// The caller must check that `commitment` is the one of the block it
    /// asked about (its height, and its inclusion in the block).
    pub fn verify(
        &self,
        commitment: &NamespaceCommitment,
        namespace: &Namespace,
        blobs: &[(Address, &[u8])],
    ) -> Result<(), ProofError> {
        match self {
            NamespaceProof::Inclusion { leaf, proof } => {
                if leaf.namespace != *namespace {
                    return Err(ProofError::WrongNamespace {
                        expected: *namespace,
                        got: leaf.namespace,
                    });
                }
                if blobs.is_empty() || leaf.blob_count == 0 {
                    return Err(ProofError::NoBlobs);
                }
                if u32::try_from(blobs.len()) != Ok(leaf.blob_count) {
                    return Err(ProofError::BlobCountMismatch {
                        committed: leaf.blob_count,
                        given: blobs.len(),
                    });
                }
                if blobs_root(blobs) != leaf.blobs_root {
                    return Err(ProofError::BlobsRootMismatch);
                }
                verify_leaf(leaf, proof, commitment)
            }
            NamespaceProof::Absence(absence) => {
                if !blobs.is_empty() {
                    return Err(ProofError::BlobsWithAbsence(blobs.len()));
                }
                absence.verify(commitment, namespace)
            }
        }
    }
}

impl AbsenceProof {
    /// Checks that `namespace` has no blobs in the block `commitment` commits.
    fn verify(
        &self,
        commitment: &NamespaceCommitment,
        namespace: &Namespace,
    ) -> Result<(), ProofError> {
        // The leaves are verified first, so that the order checks below
        // reason about authentic leaves at authentic indexes.
        match self {
            AbsenceProof::EmptyBlock => {
                if commitment.namespace_count != 0
                    || commitment.namespace_root != merkle::empty_root()
                {
                    return Err(ProofError::NotEmptyBlock {
                        namespace_count: commitment.namespace_count,
                    });
                }
                Ok(())
            }
            AbsenceProof::BeforeFirst(first) => {
                first.verify(commitment)?;
                if first.proof.index != 0 {
                    return Err(ProofError::NotFirstLeaf {
                        index: first.proof.index,
                    });
                }
                match namespace.cmp(&first.leaf.namespace) {
                    Ordering::Less => Ok(()),
                    Ordering::Equal => Err(ProofError::NamespacePresent),
                    Ordering::Greater => Err(ProofError::NotBounding),
                }
            }
            AbsenceProof::AfterLast(last) => {
                last.verify(commitment)?;
                let total = last.proof.total;
                if last.proof.index.checked_add(1) != Some(total) {
                    return Err(ProofError::NotLastLeaf {
                        index: last.proof.index,
                        total,
                    });
                }
                match namespace.cmp(&last.leaf.namespace) {
                    Ordering::Greater => Ok(()),
                    Ordering::Equal => Err(ProofError::NamespacePresent),
                    Ordering::Less => Err(ProofError::NotBounding),
                }
            }
            AbsenceProof::Between { left, right } => {
                left.verify(commitment)?;
                right.verify(commitment)?;
                if left.leaf.namespace == *namespace || right.leaf.namespace == *namespace {
                    return Err(ProofError::NamespacePresent);
                }
                if left.proof.index.checked_add(1) != Some(right.proof.index) {
                    return Err(ProofError::NotAdjacent {
                        left: left.proof.index,
                        right: right.proof.index,
                    });
                }
                if left.leaf.namespace < *namespace && *namespace < right.leaf.namespace {
                    Ok(())
                } else {
                    Err(ProofError::NotBounding)
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ns(byte: u8) -> Namespace {
        Namespace::new([byte; 32])
    }

    fn addr(byte: u8) -> Address {
        Address::new([byte; 20])
    }

    fn record(namespace: Namespace, signer: Address, data: &[u8]) -> Blob {
        Blob {
            namespace,
            signer,
            tx_hash: [0; 32],
            tx_index: 0,
            msg_index: 0,
            data: data.to_vec(),
        }
    }

    /// The blobs of `namespace` in `blobs`, in block order, as a reader gets them.
    fn blobs_of(blobs: &[Blob], namespace: &Namespace) -> Vec<(Address, Vec<u8>)> {
        blobs
            .iter()
            .filter(|b| b.namespace == *namespace)
            .map(|b| (b.signer, b.data.clone()))
            .collect()
    }

    fn as_refs(blobs: &[(Address, Vec<u8>)]) -> Vec<(Address, &[u8])> {
        blobs.iter().map(|(a, d)| (*a, d.as_slice())).collect()
    }

    /// A block with namespaces 0x20, 0x40, 0x60 (interleaved in block order)
    /// and several blobs each.
    fn sample_block() -> Vec<Blob> {
        vec![
            record(ns(0x40), addr(1), b"forty-a"),
            record(ns(0x20), addr(2), b"twenty-a"),
            record(ns(0x40), addr(3), b"forty-b"),
            record(ns(0x60), addr(1), b"sixty-a"),
            record(ns(0x20), addr(2), b""),
            record(ns(0x40), addr(1), b"forty-c"),
        ]
    }

    fn check(
        tree: &NamespaceTree,
        proof: &NamespaceProof,
        namespace: &Namespace,
        blobs: &[(Address, Vec<u8>)],
    ) -> Result<(), ProofError> {
        proof.verify(&tree.commitment(), namespace, &as_refs(blobs))
    }

    #[test]
    fn encoding_round_trip_and_known_bytes() {
        let c = NamespaceCommitment {
            height: 0x0102_0304_0506_0708,
            namespace_count: 0x0a0b_0c0d,
            namespace_root: [0xee; 32],
        };
        let bytes = c.encode();
        assert_eq!(bytes.len(), COMMITMENT_TX_LEN);
        assert_eq!(COMMITMENT_TX_LEN, 65);
        let mut want = b"\x00quire/commitment/v1\x00".to_vec();
        want.extend_from_slice(&[1, 2, 3, 4, 5, 6, 7, 8, 0x0a, 0x0b, 0x0c, 0x0d]);
        want.extend_from_slice(&[0xee; 32]);
        assert_eq!(bytes, want);
        assert!(is_commitment_tx(&bytes));
        assert_eq!(NamespaceCommitment::decode(&bytes), Ok(c));

        let empty = NamespaceTree::build(9, &[]).commitment();
        assert_eq!(NamespaceCommitment::decode(&empty.encode()), Ok(empty));
    }

    #[test]
    fn decoding_rejects_everything_else() {
        let bytes = NamespaceTree::build(7, &sample_block())
            .commitment()
            .encode();
        // Truncated at every length, and extended.
        for len in 0..bytes.len() {
            let got = NamespaceCommitment::decode(&bytes[..len]);
            if len < COMMITMENT_TX_PREFIX.len() {
                assert_eq!(got, Err(CommitmentError::NotACommitment), "len {len}");
            } else {
                assert_eq!(
                    got,
                    Err(CommitmentError::WrongLength {
                        expected: 65,
                        got: len
                    })
                );
            }
        }
        let mut long = bytes.clone();
        long.push(0);
        assert_eq!(
            NamespaceCommitment::decode(&long),
            Err(CommitmentError::WrongLength {
                expected: 65,
                got: 66
            })
        );
        // Any change to the prefix.
        for i in 0..COMMITMENT_TX_PREFIX.len() {
            let mut bad = bytes.clone();
            bad[i] ^= 1;
            assert!(!is_commitment_tx(&bad));
            assert_eq!(
                NamespaceCommitment::decode(&bad),
                Err(CommitmentError::NotACommitment)
            );
        }
        // A protobuf TxRaw starts with field 1's tag, 0x0a.
        let mut tx_raw = vec![0x0a, 0x40];
        tx_raw.extend_from_slice(&bytes);
        assert!(!is_commitment_tx(&tx_raw));
        // No namespaces, but a non-empty root.
        let bad = NamespaceCommitment {
            height: 1,
            namespace_count: 0,
            namespace_root: [1; 32],
        };
        assert_eq!(
            NamespaceCommitment::decode(&bad.encode()),
            Err(CommitmentError::NonEmptyRootForEmptyBlock)
        );
    }

    #[test]
    fn blob_and_namespace_leaf_layout() {
        let signer = addr(9);
        let data = b"hello".as_slice();
        let mut item = signer.as_bytes().to_vec();
        item.extend_from_slice(data);
        assert_eq!(blob_leaf_hash(&signer, data), merkle::leaf_hash(&item));

        let leaf = NamespaceLeaf {
            namespace: ns(3),
            blob_count: 0x0102_0304,
            blobs_root: [5; 32],
        };
        let mut item = vec![3u8; 32];
        item.extend_from_slice(&[1, 2, 3, 4]);
        item.extend_from_slice(&[5; 32]);
        assert_eq!(leaf.leaf_hash(), merkle::leaf_hash(&item));
    }

    /// The whole layout, recomputed from first principles for a small block,
    /// and a pinned root computed independently (Python hashlib) so other
    /// implementations can check against it.
    #[test]
    fn known_commitment_of_sample_block() {
        let blobs = sample_block();
        let tree = NamespaceTree::build(42, &blobs);
        let leaves = tree.leaves();
        assert_eq!(
            leaves.iter().map(|l| l.namespace).collect::<Vec<_>>(),
            vec![ns(0x20), ns(0x40), ns(0x60)]
        );
        assert_eq!(
            leaves.iter().map(|l| l.blob_count).collect::<Vec<_>>(),
            vec![2, 3, 1]
        );
        let forty = [
            blob_leaf_hash(&addr(1), b"forty-a"),
            blob_leaf_hash(&addr(3), b"forty-b"),
            blob_leaf_hash(&addr(1), b"forty-c"),
        ];
        assert_eq!(
            leaves[1].blobs_root,
            merkle::inner_hash(&merkle::inner_hash(&forty[0], &forty[1]), &forty[2])
        );
        let root = merkle::inner_hash(
            &merkle::inner_hash(&leaves[0].leaf_hash(), &leaves[1].leaf_hash()),
            &leaves[2].leaf_hash(),
        );
        let c = tree.commitment();
        assert_eq!(c.height, 42);
        assert_eq!(c.namespace_count, 3);
        assert_eq!(c.namespace_root, root);
        assert_eq!(hex::encode(c.namespace_root), SAMPLE_BLOCK_ROOT);
    }

    /// Computed with an independent Python implementation of the layout.
    const SAMPLE_BLOCK_ROOT: &str =
        "d2b86e5146bd8dcbdd17dcfd3415340feb77373ba4cbaa583ae8ed5ccd39cb3c";

    #[test]
    fn commitment_depends_on_every_blob_detail() {
        let blobs = sample_block();
        let base = NamespaceTree::build(1, &blobs).commitment();
        assert_eq!(NamespaceTree::build(1, &blobs).commitment(), base);
        // Fields that are not committed: tx hash and positions.
        let mut moved = blobs.clone();
        moved[0].tx_hash = [9; 32];
        moved[0].tx_index = 5;
        assert_eq!(NamespaceTree::build(1, &moved).commitment(), base);
        // Interleaving across namespaces does not matter, order within one does.
        let mut across = blobs.clone();
        across.swap(0, 1); // 0x40 and 0x20
        assert_eq!(NamespaceTree::build(1, &across).commitment(), base);
        let mut within = blobs.clone();
        within.swap(0, 2); // both 0x40
        assert_ne!(NamespaceTree::build(1, &within).commitment(), base);
        let mut data = blobs.clone();
        data[3].data.push(0);
        assert_ne!(NamespaceTree::build(1, &data).commitment(), base);
        let mut signer = blobs.clone();
        signer[3].signer = addr(77);
        assert_ne!(NamespaceTree::build(1, &signer).commitment(), base);
        let mut namespace = blobs.clone();
        namespace[3].namespace = ns(0x61);
        assert_ne!(NamespaceTree::build(1, &namespace).commitment(), base);
        assert_ne!(NamespaceTree::build(2, &blobs).commitment(), base);
    }

    #[test]
    fn present_namespaces_verify() {
        let blobs = sample_block();
        let tree = NamespaceTree::build(3, &blobs);
        for n in [ns(0x20), ns(0x40), ns(0x60)] {
            let proof = tree.prove(&n);
            assert!(matches!(proof, NamespaceProof::Inclusion { .. }));
            assert_eq!(check(&tree, &proof, &n, &blobs_of(&blobs, &n)), Ok(()));
        }
    }

    #[test]
    fn tampered_blobs_are_caught() {
        let blobs = sample_block();
        let tree = NamespaceTree::build(3, &blobs);
        let n = ns(0x40);
        let proof = tree.prove(&n);
        let good = blobs_of(&blobs, &n);
        assert_eq!(check(&tree, &proof, &n, &good), Ok(()));

        let mut changed = good.clone();
        changed[1].1[0] ^= 1;
        assert_eq!(
            check(&tree, &proof, &n, &changed),
            Err(ProofError::BlobsRootMismatch)
        );

        let mut dropped = good.clone();
        dropped.remove(1);
        assert_eq!(
            check(&tree, &proof, &n, &dropped),
            Err(ProofError::BlobCountMismatch {
                committed: 3,
                given: 2
            })
        );
        assert_eq!(check(&tree, &proof, &n, &[]), Err(ProofError::NoBlobs));

        let mut added = good.clone();
        added.push((addr(1), b"forty-d".to_vec()));
        assert_eq!(
            check(&tree, &proof, &n, &added),
            Err(ProofError::BlobCountMismatch {
                committed: 3,
                given: 4
            })
        );
        // Added with the count forged to match: the root gives it away.
        let (mut leaf, inclusion) = match &proof {
            NamespaceProof::Inclusion { leaf, proof } => (*leaf, proof.clone()),
            other => panic!("expected inclusion, got {other:?}"),
        };
        leaf.blob_count = 4;
        let forged = NamespaceProof::Inclusion {
            leaf,
            proof: inclusion.clone(),
        };
        assert_eq!(
            check(&tree, &forged, &n, &added),
            Err(ProofError::BlobsRootMismatch)
        );
        // ... and with the root forged too, the namespace tree gives it away.
        leaf.blobs_root = blobs_root(&as_refs(&added));
        let forged = NamespaceProof::Inclusion {
            leaf,
            proof: inclusion,
        };
        assert_eq!(
            check(&tree, &forged, &n, &added),
            Err(ProofError::NamespaceRootMismatch)
        );

        let mut reordered = good.clone();
        reordered.swap(0, 2);
        assert_eq!(
            check(&tree, &proof, &n, &reordered),
            Err(ProofError::BlobsRootMismatch)
        );

        let mut resigned = good.clone();
        resigned[0].0 = addr(3);
        assert_eq!(
            check(&tree, &proof, &n, &resigned),
            Err(ProofError::BlobsRootMismatch)
        );

        // Data of another namespace (same count, so only the root tells).
        let mut other = blobs_of(&blobs, &ns(0x20));
        other.push((addr(1), b"sixty-a".to_vec()));
        assert_eq!(
            check(&tree, &proof, &n, &other),
            Err(ProofError::BlobsRootMismatch)
        );
    }

    #[test]
    fn proofs_do_not_transfer() {
        let blobs = sample_block();
        let tree = NamespaceTree::build(3, &blobs);
        let n = ns(0x40);
        let proof = tree.prove(&n);
        let good = blobs_of(&blobs, &n);

        // Another height's commitment (a block with different content).
        let mut next_blobs = blobs.clone();
        next_blobs.push(record(ns(0x60), addr(2), b"sixty-b"));
        let next = NamespaceTree::build(4, &next_blobs).commitment();
        assert_eq!(
            proof.verify(&next, &n, &as_refs(&good)),
            Err(ProofError::NamespaceRootMismatch)
        );
        // A commitment with a different namespace count.
        let mut fewer = blobs.clone();
        fewer.retain(|b| b.namespace != ns(0x60));
        let fewer = NamespaceTree::build(3, &fewer).commitment();
        assert_eq!(
            proof.verify(&fewer, &n, &as_refs(&good)),
            Err(ProofError::TotalMismatch {
                proof_total: 3,
                namespace_count: 2
            })
        );

        // Passed off for another namespace, as is ...
        let other = ns(0x30);
        assert_eq!(
            check(&tree, &proof, &other, &good),
            Err(ProofError::WrongNamespace {
                expected: other,
                got: n
            })
        );
        // ... or with the leaf relabelled.
        let NamespaceProof::Inclusion {
            mut leaf,
            proof: path,
        } = proof.clone()
        else {
            panic!("expected inclusion");
        };
        leaf.namespace = other;
        let relabelled = NamespaceProof::Inclusion { leaf, proof: path };
        assert_eq!(
            check(&tree, &relabelled, &other, &good),
            Err(ProofError::NamespaceRootMismatch)
        );
    }

    #[test]
    fn tampered_inclusion_paths_are_caught() {
        let blobs = sample_block();
        let tree = NamespaceTree::build(3, &blobs);
        let n = ns(0x20);
        let good = blobs_of(&blobs, &n);
        let NamespaceProof::Inclusion { leaf, proof } = tree.prove(&n) else {
            panic!("expected inclusion");
        };
        let with = |proof: InclusionProof| {
            check(&tree, &NamespaceProof::Inclusion { leaf, proof }, &n, &good)
        };
        let mut flipped = proof.clone();
        flipped.aunts[0][0] ^= 1;
        assert_eq!(with(flipped), Err(ProofError::NamespaceRootMismatch));
        let mut extra = proof.clone();
        extra.aunts.push([0; 32]);
        assert!(matches!(with(extra), Err(ProofError::BadMerklePath(_))));
        let mut missing = proof.clone();
        missing.aunts.pop();
        assert!(matches!(with(missing), Err(ProofError::BadMerklePath(_))));
        let mut index = proof.clone();
        index.index = 1;
        assert_eq!(with(index), Err(ProofError::NamespaceRootMismatch));
        let mut out_of_range = proof.clone();
        out_of_range.index = 3;
        assert_eq!(
            with(out_of_range),
            Err(ProofError::BadMerklePath(MerkleError::IndexOutOfRange {
                index: 3,
                total: 3
            }))
        );
        let mut total = proof.clone();
        total.total = 4;
        assert!(matches!(with(total), Err(ProofError::TotalMismatch { .. })));
    }

    #[test]
    fn absence_in_every_position() {
        let blobs = sample_block();
        let tree = NamespaceTree::build(3, &blobs);
        let cases = [
            (ns(0x00), "before"),
            (ns(0x1f), "before"),
            (ns(0x21), "between"),
            (ns(0x50), "between"),
            (ns(0x61), "after"),
            (ns(0xff), "after"),
        ];
        for (n, place) in cases {
            let proof = tree.prove(&n);
            match (&proof, place) {
                (NamespaceProof::Absence(AbsenceProof::BeforeFirst(_)), "before")
                | (NamespaceProof::Absence(AbsenceProof::Between { .. }), "between")
                | (NamespaceProof::Absence(AbsenceProof::AfterLast(_)), "after") => {}
                _ => panic!("{n:?}: unexpected proof {proof:?}"),
            }
            assert_eq!(check(&tree, &proof, &n, &[]), Ok(()), "{n:?}");
            // Absence with blobs is refused.
            assert_eq!(
                check(&tree, &proof, &n, &[(addr(1), b"x".to_vec())]),
                Err(ProofError::BlobsWithAbsence(1))
            );
        }
    }

    #[test]
    fn absence_in_an_empty_block() {
        let tree = NamespaceTree::build(8, &[]);
        let c = tree.commitment();
        assert_eq!(c.namespace_count, 0);
        assert_eq!(c.namespace_root, merkle::empty_root());
        assert!(tree.leaves().is_empty());
        let proof = tree.prove(&ns(5));
        assert_eq!(proof, NamespaceProof::Absence(AbsenceProof::EmptyBlock));
        assert_eq!(proof.verify(&c, &ns(5), &[]), Ok(()));
        // An empty-block claim against a block that has namespaces.
        let full = NamespaceTree::build(8, &sample_block()).commitment();
        assert_eq!(
            proof.verify(&full, &ns(5), &[]),
            Err(ProofError::NotEmptyBlock { namespace_count: 3 })
        );
        // ... or that forges the count but keeps the real root.
        let forged = NamespaceCommitment {
            namespace_count: 0,
            ..full
        };
        assert_eq!(
            proof.verify(&forged, &ns(5), &[]),
            Err(ProofError::NotEmptyBlock { namespace_count: 0 })
        );
    }

    /// Every lie a server could tell about a present namespace being absent.
    #[test]
    fn lying_absence_claims_are_caught() {
        // Five namespaces: 0x10, 0x20, 0x30, 0x40, 0x50.
        let blobs: Vec<Blob> = (1..=5u8)
            .map(|i| record(ns(i * 0x10), addr(i), &[i; 3]))
            .collect();
        let tree = NamespaceTree::build(11, &blobs);
        let at = |i: usize| IncludedLeaf {
            leaf: tree.leaves()[i],
            proof: tree.tree.prove(i).unwrap(),
        };
        let absent =
            |a: AbsenceProof, n: Namespace| check(&tree, &NamespaceProof::Absence(a), &n, &[]);

        // 0x30 is present (index 2).
        let target = ns(0x30);
        // Non-adjacent leaves around it.
        assert_eq!(
            absent(
                AbsenceProof::Between {
                    left: at(1),
                    right: at(3)
                },
                target
            ),
            Err(ProofError::NotAdjacent { left: 1, right: 3 })
        );
        // Adjacent leaves, one of which is it.
        assert_eq!(
            absent(
                AbsenceProof::Between {
                    left: at(2),
                    right: at(3)
                },
                target
            ),
            Err(ProofError::NamespacePresent)
        );
        // Adjacent leaves that do not bracket it; swapped leaves.
        assert_eq!(
            absent(
                AbsenceProof::Between {
                    left: at(3),
                    right: at(4)
                },
                target
            ),
            Err(ProofError::NotBounding)
        );
        assert!(absent(
            AbsenceProof::Between {
                left: at(3),
                right: at(1)
            },
            target
        )
        .is_err());
        // Forged adjacency: the right leaf's index rewritten to 2.
        let mut moved = at(3);
        moved.proof.index = 2;
        assert_eq!(
            absent(
                AbsenceProof::Between {
                    left: at(1),
                    right: moved
                },
                target
            ),
            Err(ProofError::NamespaceRootMismatch)
        );
        // Forged leaf namespace, to make 0x20..0x40 look adjacent.
        let mut relabelled = at(3);
        relabelled.leaf.namespace = ns(0x31);
        assert_eq!(
            absent(
                AbsenceProof::Between {
                    left: at(1),
                    right: relabelled
                },
                target
            ),
            Err(ProofError::NamespaceRootMismatch)
        );
        // Wrong boundaries: "below the first" with the second leaf, "above the
        // last" with the second-to-last.
        assert_eq!(
            absent(AbsenceProof::BeforeFirst(at(1)), ns(0x10)),
            Err(ProofError::NotFirstLeaf { index: 1 })
        );
        assert_eq!(
            absent(AbsenceProof::AfterLast(at(3)), ns(0x50)),
            Err(ProofError::NotLastLeaf { index: 3, total: 5 })
        );
        // Right boundary leaf, but the namespace is it or on the wrong side.
        assert_eq!(
            absent(AbsenceProof::BeforeFirst(at(0)), ns(0x10)),
            Err(ProofError::NamespacePresent)
        );
        assert_eq!(
            absent(AbsenceProof::BeforeFirst(at(0)), target),
            Err(ProofError::NotBounding)
        );
        assert_eq!(
            absent(AbsenceProof::AfterLast(at(4)), ns(0x50)),
            Err(ProofError::NamespacePresent)
        );
        assert_eq!(
            absent(AbsenceProof::AfterLast(at(4)), target),
            Err(ProofError::NotBounding)
        );
        // A forged total makes any index look last; the commitment's count
        // catches it.
        let mut short = at(3);
        short.proof.total = 4;
        assert_eq!(
            absent(AbsenceProof::AfterLast(short), ns(0x45)),
            Err(ProofError::TotalMismatch {
                proof_total: 4,
                namespace_count: 5
            })
        );
        // Empty-block claim for a non-empty block.
        assert_eq!(
            absent(AbsenceProof::EmptyBlock, target),
            Err(ProofError::NotEmptyBlock { namespace_count: 5 })
        );
        // And the honest answer for it is inclusion, which verifies.
        assert_eq!(
            check(
                &tree,
                &tree.prove(&target),
                &target,
                &blobs_of(&blobs, &target)
            ),
            Ok(())
        );
    }

    /// xorshift64*: a deterministic PRNG, so failures reproduce.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }

        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }

        fn bytes<const N: usize>(&mut self) -> [u8; N] {
            let mut out = [0u8; N];
            for b in out.iter_mut() {
                *b = self.next() as u8;
            }
            out
        }
    }

    #[test]
    fn random_blocks_prove_presence_and_absence() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        for round in 0..300 {
            // A pool of namespaces, some sharing long prefixes so ordering is
            // decided late in the bytes.
            let pool: Vec<Namespace> = (0..1 + rng.below(24))
                .map(|_| {
                    let mut bytes = rng.bytes::<32>();
                    if rng.below(2) == 0 {
                        bytes[..30].fill(0x77);
                    }
                    Namespace::new(bytes)
                })
                .collect();
            let signers: Vec<Address> = (0..4).map(|_| Address::new(rng.bytes())).collect();
            let blob_count = rng.below(80);
            let blobs: Vec<Blob> = (0..blob_count)
                .map(|_| {
                    let n = pool[rng.below(pool.len() as u64) as usize];
                    let s = signers[rng.below(4) as usize];
                    let data: Vec<u8> = (0..rng.below(40)).map(|_| rng.next() as u8).collect();
                    record(n, s, &data)
                })
                .collect();
            let height = rng.next();
            let tree = NamespaceTree::build(height, &blobs);
            let c = tree.commitment();
            assert_eq!(NamespaceCommitment::decode(&c.encode()), Ok(c));

            let present: Vec<Namespace> = tree.leaves().iter().map(|l| l.namespace).collect();
            assert!(present.windows(2).all(|w| w[0] < w[1]), "round {round}");
            assert_eq!(c.namespace_count as usize, present.len());
            for n in &present {
                let mine = blobs_of(&blobs, n);
                assert!(!mine.is_empty());
                let proof = tree.prove(n);
                assert_eq!(check(&tree, &proof, n, &mine), Ok(()), "round {round}");
                assert!(check(&tree, &proof, n, &[]).is_err());
                // Not as another present namespace's proof.
                for other in &present {
                    if other != n {
                        assert!(check(&tree, &proof, other, &blobs_of(&blobs, other)).is_err());
                    }
                }
            }

            let mut candidates: Vec<Namespace> = pool.clone();
            candidates.extend([Namespace::new([0; 32]), Namespace::new([0xff; 32])]);
            for _ in 0..10 {
                let mut bytes = rng.bytes::<32>();
                if rng.below(2) == 0 {
                    bytes[..30].fill(0x77);
                }
                candidates.push(Namespace::new(bytes));
            }
            for n in candidates {
                let proof = tree.prove(&n);
                if present.binary_search(&n).is_ok() {
                    assert!(matches!(proof, NamespaceProof::Inclusion { .. }));
                    continue;
                }
                assert!(matches!(proof, NamespaceProof::Absence(_)));
                assert_eq!(check(&tree, &proof, &n, &[]), Ok(()), "round {round}");
                // The same absence proof does not prove a present namespace absent.
                for p in &present {
                    assert!(check(&tree, &proof, p, &[]).is_err(), "round {round}");
                }
            }
        }
    }
}
