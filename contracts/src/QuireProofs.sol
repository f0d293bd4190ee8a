// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

// Quire's proofs, ported to the EVM: "namespace N at height H holds exactly
// these blobs" (or none), checked against a history root anchored on L1 by
// QuireAnchor. Byte-exact with the Rust side:
//
//   core/src/merkle.rs       RFC 6962 / CometBFT SHA-256 tree, inclusion proofs
//   core/src/commitment.rs   blob and namespace leaves, NamespaceProof::verify
//   core/src/l1/history.rs   the height leaf of the history tree
//
// Every tree is RFC 6962's: empty = sha256(""), leaf = sha256(0x00 ‖ item),
// inner = sha256(0x01 ‖ left ‖ right), a tree of n > 1 leaves splits at the
// largest power of two < n. Hashing uses the SHA-256 precompile (0x02)
// through Solidity's `sha256` builtin.
//
// A root does not commit to its tree's size, so every size is taken from an
// authenticated source, never from a proof: the history's size from the
// anchor, the namespace tree's from the (authenticated) height leaf.

/// An RFC 6962 inclusion proof in CometBFT's layout (`merkle::InclusionProof`).
struct MerkleProof {
    /// Position of the leaf, from 0.
    uint64 index;
    /// Number of leaves in the tree.
    uint64 total;
    /// Sibling hashes, bottom-up (from the leaf's level to just below the root).
    bytes32[] aunts;
}

/// One blob as a reader receives it: who submitted it and its bytes.
struct Blob {
    /// The submitter's 20-byte Quire address.
    address signer;
    /// The blob's data.
    bytes data;
}

/// A leaf of a block's namespace tree (`commitment::NamespaceLeaf`).
struct NamespaceLeaf {
    /// The namespace id (ordered bytewise, i.e. as a big-endian integer).
    bytes32 namespace;
    /// How many blobs the namespace has in the block.
    uint32 blobCount;
    /// Root over its blob leaves, in block order.
    bytes32 blobsRoot;
}

/// A namespace leaf with its path to the block's namespace root (`IncludedLeaf`).
struct LeafProof {
    NamespaceLeaf leaf;
    MerkleProof proof;
}

/// Which case a `NamespaceProof` is (`NamespaceProof` / `AbsenceProof` in Rust).
enum ProofKind {
    /// The namespace is present: `left` is its leaf.
    Inclusion,
    /// The block has no namespaces at all: neither leaf is used.
    EmptyBlock,
    /// The namespace sorts before the first leaf: `right` is leaf 0.
    BeforeFirst,
    /// The namespace sorts after the last leaf: `left` is leaf `namespaceCount - 1`.
    AfterLast,
    /// The namespace sorts strictly between two adjacent leaves `left` and `right`.
    Between
}

/// What a block holds for one namespace. The leaves a kind does not use are
/// ignored (pass a zero leaf and an empty path).
struct NamespaceProof {
    ProofKind kind;
    LeafProof left;
    LeafProof right;
}

/// A height's leaf of the history tree, with its inclusion proof.
struct HeightProof {
    /// The Quire height.
    uint64 height;
    /// Its block hash (CometBFT header hash).
    bytes32 blockHash;
    /// Number of namespaces in its block (the namespace tree's size).
    uint32 namespaceCount;
    /// Root of its namespace tree.
    bytes32 namespaceRoot;
    /// Path of the leaf in the history; `index = height - initialHeight`,
    /// `total` = the anchored history size.
    MerkleProof proof;
}

/// Quire's verification rules as internal functions, for contracts to inline.
library QuireProofsLib {
    /// `sha256("")`: the root of a tree with no leaves.
    bytes32 internal constant EMPTY_ROOT = 0xe3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855;
    /// The longest inclusion path accepted (`merkle::MAX_PROOF_DEPTH`).
    uint256 internal constant MAX_PROOF_DEPTH = 64;

    // ---- Merkle path errors (`merkle::MerkleError`) ----
    /// A proof claims a tree of zero leaves.
    error EmptyTree();
    /// The leaf index is not below the tree size.
    error IndexOutOfRange(uint64 index, uint64 total);
    /// More aunts than any tree can need.
    error TooManyAunts(uint256 count);
    /// The number of aunts is not the leaf's depth in a tree of `total` leaves.
    error WrongAuntCount(uint64 index, uint64 total, uint256 expected, uint256 got);

    // ---- History errors ----
    /// The history proof is for a tree of another size than the anchored one.
    error HistorySizeMismatch(uint64 proofTotal, uint64 anchoredSize);
    /// The height is below the chain's initial height.
    error HeightBeforeInitial(uint64 height, uint64 initialHeight);
    /// The history proof's index is not `height - initialHeight`.
    error HistoryIndexMismatch(uint64 proofIndex, uint64 expectedIndex);
    /// The height leaf and its path do not hash to the anchored history root.
    error HistoryRootMismatch();

    // ---- Namespace errors (`commitment::ProofError`) ----
    /// The proven leaf belongs to another namespace.
    error WrongNamespace(bytes32 expected, bytes32 got);
    /// An inclusion proof with no blobs (or a leaf that counts none).
    error NoBlobs();
    /// The number of blobs given differs from the leaf's count.
    error BlobCountMismatch(uint32 committed, uint256 given);
    /// The blobs given do not hash to the leaf's blobs root.
    error BlobsRootMismatch();
    /// A namespace path claims a tree size other than the block's namespace count.
    error TotalMismatch(uint64 proofTotal, uint32 namespaceCount);
    /// A namespace leaf and its path do not hash to the block's namespace root.
    error NamespaceRootMismatch();
    /// Blobs were given with an absence proof.
    error BlobsWithAbsence(uint256 count);
    /// "Empty block" claimed for a block that has namespaces (or a non-empty root).
    error NotEmptyBlock(uint32 namespaceCount);
    /// "Before the first leaf" with a leaf that is not the first.
    error NotFirstLeaf(uint64 index);
    /// "After the last leaf" with a leaf that is not the last.
    error NotLastLeaf(uint64 index, uint64 total);
    /// "Between two leaves" with leaves that are not neighbours.
    error NotAdjacent(uint64 left, uint64 right);
    /// The leaves given do not bracket the namespace as claimed.
    error NotBounding();
    /// Absence claimed, but one of the proof's own leaves is the namespace.
    error NamespacePresent();

    // ------------------------------------------------------------------
    // RFC 6962 primitives
    // ------------------------------------------------------------------

    /// `sha256(0x00 ‖ item)`.
    function leafHash(bytes memory item) internal pure returns (bytes32) {
        return sha256(abi.encodePacked(bytes1(0x00), item));
    }

    /// `sha256(0x01 ‖ left ‖ right)`.
    function innerHash(bytes32 left, bytes32 right) internal pure returns (bytes32) {
        return sha256(abi.encodePacked(bytes1(0x01), left, right));
    }

    /// The largest power of two strictly less than `n`; `n ≥ 2`.
    function splitPoint(uint64 n) internal pure returns (uint64) {
        unchecked {
            uint64 x = n - 1;
            x |= x >> 1;
            x |= x >> 2;
            x |= x >> 4;
            x |= x >> 8;
            x |= x >> 16;
            x |= x >> 32;
            return (x >> 1) + 1;
        }
    }

    /// The root over leaves already hashed, reducing `level` in place
    /// (adjacent pairs, an odd last node carried up unchanged), as
    /// `merkle::root_from_leaf_hashes`. Overwrites `level`.
    function rootFromLeafHashes(bytes32[] memory level) internal pure returns (bytes32) {
        uint256 len = level.length;
        if (len == 0) return EMPTY_ROOT;
        unchecked {
            while (len > 1) {
                uint256 write = 0;
                uint256 read = 0;
                while (read + 1 < len) {
                    level[write] = innerHash(level[read], level[read + 1]);
                    ++write;
                    read += 2;
                }
                if (read < len) {
                    level[write] = level[read];
                    ++write;
                }
                len = write;
            }
        }
        return level[0];
    }

    /// The root `proof` implies for `leaf`, as `InclusionProof::compute_root`:
    /// reverts, before hashing, if there are more than 64 aunts, `total` is 0,
    /// `index ≥ total`, or the aunt count is not exactly the leaf's depth.
    function computeRoot(MerkleProof calldata proof, bytes32 leaf) internal pure returns (bytes32) {
        bytes32[] calldata aunts = proof.aunts;
        if (aunts.length > MAX_PROOF_DEPTH) revert TooManyAunts(aunts.length);
        uint64 index = proof.index;
        uint64 total = proof.total;
        if (total == 0) revert EmptyTree();
        if (index >= total) revert IndexOutOfRange(index, total);
        // Walk down from the root: bit d of `sides` is set where the leaf is in
        // the left subtree at depth d. At most 64 levels for a u64 total.
        uint256 sides = 0;
        uint256 depth = 0;
        unchecked {
            uint64 i = index;
            uint64 t = total;
            while (t > 1) {
                uint64 k = splitPoint(t);
                if (i < k) {
                    sides |= uint256(1) << depth;
                    t = k;
                } else {
                    i -= k;
                    t -= k;
                }
                ++depth;
            }
        }
        if (aunts.length != depth) revert WrongAuntCount(index, total, depth, aunts.length);
        bytes32 hash = leaf;
        unchecked {
            // aunts[0] is the sibling at the bottom, the last side recorded.
            for (uint256 j = 0; j < depth; ++j) {
                if ((sides >> (depth - 1 - j)) & 1 == 1) {
                    hash = innerHash(hash, aunts[j]);
                } else {
                    hash = innerHash(aunts[j], hash);
                }
            }
        }
        return hash;
    }

    // ------------------------------------------------------------------
    // Quire's leaves
    // ------------------------------------------------------------------

    /// The history leaf of a height (`l1::history::height_leaf`):
    /// `sha256(0x00 ‖ "quire/height/v1" ‖ height u64 BE ‖ blockHash ‖ namespaceCount u32 BE ‖ namespaceRoot)`.
    function heightLeaf(uint64 height, bytes32 blockHash, uint32 namespaceCount, bytes32 namespaceRoot)
        internal
        pure
        returns (bytes32)
    {
        return sha256(
            abi.encodePacked(bytes1(0x00), "quire/height/v1", height, blockHash, namespaceCount, namespaceRoot)
        );
    }

    /// A blob's leaf (`commitment::blob_leaf_hash`): `sha256(0x00 ‖ signer (20) ‖ data)`.
    function blobLeaf(address signer, bytes calldata data) internal pure returns (bytes32) {
        return sha256(abi.encodePacked(bytes1(0x00), signer, data));
    }

    /// A namespace's leaf (`NamespaceLeaf::leaf_hash`):
    /// `sha256(0x00 ‖ namespace (32) ‖ blobCount u32 BE ‖ blobsRoot (32))`.
    function namespaceLeaf(NamespaceLeaf calldata leaf) internal pure returns (bytes32) {
        return sha256(abi.encodePacked(bytes1(0x00), leaf.namespace, leaf.blobCount, leaf.blobsRoot));
    }

    /// The root over the blobs' leaves, in the order given (`commitment::blobs_root`).
    function blobsRoot(Blob[] calldata blobs) internal pure returns (bytes32) {
        uint256 n = blobs.length;
        bytes32[] memory level = new bytes32[](n);
        unchecked {
            for (uint256 i = 0; i < n; ++i) {
                level[i] = blobLeaf(blobs[i].signer, blobs[i].data);
            }
        }
        return rootFromLeafHashes(level);
    }

    // ------------------------------------------------------------------
    // Verification
    // ------------------------------------------------------------------

    /// Checks that `hp` is the leaf of `hp.height` in the anchored history of
    /// `historySize` leaves with root `historyRoot` (both from the anchor).
    function verifyHeight(uint64 initialHeight, uint64 historySize, bytes32 historyRoot, HeightProof calldata hp)
        internal
        pure
    {
        if (hp.proof.total != historySize) revert HistorySizeMismatch(hp.proof.total, historySize);
        if (hp.height < initialHeight) revert HeightBeforeInitial(hp.height, initialHeight);
        uint64 expectedIndex;
        unchecked {
            expectedIndex = hp.height - initialHeight;
        }
        if (hp.proof.index != expectedIndex) revert HistoryIndexMismatch(hp.proof.index, expectedIndex);
        bytes32 leaf = heightLeaf(hp.height, hp.blockHash, hp.namespaceCount, hp.namespaceRoot);
        if (computeRoot(hp.proof, leaf) != historyRoot) revert HistoryRootMismatch();
    }

    /// Checks a namespace leaf's path against the block's commitment, taking
    /// the tree size from the commitment (`commitment::verify_leaf`).
    function verifyLeaf(LeafProof calldata lp, uint32 namespaceCount, bytes32 namespaceRoot) internal pure {
        if (lp.proof.total != namespaceCount) revert TotalMismatch(lp.proof.total, namespaceCount);
        if (computeRoot(lp.proof, namespaceLeaf(lp.leaf)) != namespaceRoot) revert NamespaceRootMismatch();
    }

    /// `NamespaceProof::verify`: trusting only the block's commitment
    /// (`namespaceCount`, `namespaceRoot`), checks that `blobs` are exactly
    /// what `namespace` has in the block: all of them, in order, and none when
    /// `blobs` is empty. Reverts with the reason otherwise.
    function verifyNamespaceProof(
        uint32 namespaceCount,
        bytes32 namespaceRoot,
        bytes32 namespace,
        NamespaceProof calldata np,
        Blob[] calldata blobs
    ) internal pure {
        ProofKind kind = np.kind;
        if (kind == ProofKind.Inclusion) {
            NamespaceLeaf calldata leaf = np.left.leaf;
            if (leaf.namespace != namespace) revert WrongNamespace(namespace, leaf.namespace);
            if (blobs.length == 0 || leaf.blobCount == 0) revert NoBlobs();
            if (blobs.length != leaf.blobCount) revert BlobCountMismatch(leaf.blobCount, blobs.length);
            if (blobsRoot(blobs) != leaf.blobsRoot) revert BlobsRootMismatch();
            verifyLeaf(np.left, namespaceCount, namespaceRoot);
            return;
        }
        if (blobs.length != 0) revert BlobsWithAbsence(blobs.length);
        // The leaves are verified first, so that the order checks reason
        // about authentic leaves at authentic indexes.
        if (kind == ProofKind.EmptyBlock) {
            if (namespaceCount != 0 || namespaceRoot != EMPTY_ROOT) revert NotEmptyBlock(namespaceCount);
        } else if (kind == ProofKind.BeforeFirst) {
            LeafProof calldata first = np.right;
            verifyLeaf(first, namespaceCount, namespaceRoot);
            if (first.proof.index != 0) revert NotFirstLeaf(first.proof.index);
            bytes32 other = first.leaf.namespace;
            if (namespace == other) revert NamespacePresent();
            if (namespace > other) revert NotBounding();
        } else if (kind == ProofKind.AfterLast) {
            LeafProof calldata last = np.left;
            verifyLeaf(last, namespaceCount, namespaceRoot);
            // total == namespaceCount ≤ 2^32 - 1 and index < total: no overflow.
            if (uint256(last.proof.index) + 1 != last.proof.total) {
                revert NotLastLeaf(last.proof.index, last.proof.total);
            }
            bytes32 other = last.leaf.namespace;
            if (namespace == other) revert NamespacePresent();
            if (namespace < other) revert NotBounding();
        } else {
            // ProofKind.Between (the ABI decoder rejects any other value).
            LeafProof calldata left = np.left;
            LeafProof calldata right = np.right;
            verifyLeaf(left, namespaceCount, namespaceRoot);
            verifyLeaf(right, namespaceCount, namespaceRoot);
            if (left.leaf.namespace == namespace || right.leaf.namespace == namespace) revert NamespacePresent();
            if (uint256(left.proof.index) + 1 != right.proof.index) {
                revert NotAdjacent(left.proof.index, right.proof.index);
            }
            if (!(left.leaf.namespace < namespace && namespace < right.leaf.namespace)) revert NotBounding();
        }
    }

    /// The whole check: `hp` is height `hp.height`'s leaf in the anchored
    /// history (`historySize`, `historyRoot`, both read from the anchor, never
    /// from the prover), and `np` proves that `blobs` are exactly
    /// `namespace`'s data at that height (none when `blobs` is empty).
    function verifyNamespace(
        uint64 initialHeight,
        uint64 historySize,
        bytes32 historyRoot,
        bytes32 namespace,
        HeightProof calldata hp,
        NamespaceProof calldata np,
        Blob[] calldata blobs
    ) internal pure {
        verifyHeight(initialHeight, historySize, historyRoot, hp);
        verifyNamespaceProof(hp.namespaceCount, hp.namespaceRoot, namespace, np, blobs);
    }
}

/// @title QuireProofs
/// @notice Quire's proof verification as a stateless contract: each function
/// is the `QuireProofsLib` function of the same name. Verifications revert
/// with the library's custom errors when a proof does not check out and return
/// nothing when it does.
contract QuireProofs {
    /// @notice `sha256(0x00 ‖ item)`.
    function leafHash(bytes calldata item) external pure returns (bytes32) {
        return QuireProofsLib.leafHash(item);
    }

    /// @notice `sha256(0x01 ‖ left ‖ right)`.
    function innerHash(bytes32 left, bytes32 right) external pure returns (bytes32) {
        return QuireProofsLib.innerHash(left, right);
    }

    /// @notice The RFC 6962 root over leaves already hashed (`sha256("")` for none).
    function rootFromLeafHashes(bytes32[] calldata leaves) external pure returns (bytes32) {
        return QuireProofsLib.rootFromLeafHashes(leaves);
    }

    /// @notice The root an inclusion proof implies for `leaf`; reverts on a malformed path.
    function computeRoot(MerkleProof calldata proof, bytes32 leaf) external pure returns (bytes32) {
        return QuireProofsLib.computeRoot(proof, leaf);
    }

    /// @notice The history leaf of a height.
    function heightLeaf(uint64 height, bytes32 blockHash, uint32 namespaceCount, bytes32 namespaceRoot)
        external
        pure
        returns (bytes32)
    {
        return QuireProofsLib.heightLeaf(height, blockHash, namespaceCount, namespaceRoot);
    }

    /// @notice A blob's leaf, `sha256(0x00 ‖ signer ‖ data)`.
    function blobLeaf(address signer, bytes calldata data) external pure returns (bytes32) {
        return QuireProofsLib.blobLeaf(signer, data);
    }

    /// @notice A namespace's leaf.
    function namespaceLeaf(NamespaceLeaf calldata leaf) external pure returns (bytes32) {
        return QuireProofsLib.namespaceLeaf(leaf);
    }

    /// @notice The root over blobs' leaves in the order given.
    function blobsRoot(Blob[] calldata blobs) external pure returns (bytes32) {
        return QuireProofsLib.blobsRoot(blobs);
    }

    /// @notice Reverts unless `hp` is in the history of `historySize` leaves with root `historyRoot`.
    function verifyHeight(uint64 initialHeight, uint64 historySize, bytes32 historyRoot, HeightProof calldata hp)
        external
        pure
    {
        QuireProofsLib.verifyHeight(initialHeight, historySize, historyRoot, hp);
    }

    /// @notice Reverts unless `np` proves that `blobs` are exactly `namespace`'s
    /// data in the block committed by (`namespaceCount`, `namespaceRoot`).
    function verifyNamespaceProof(
        uint32 namespaceCount,
        bytes32 namespaceRoot,
        bytes32 namespace,
        NamespaceProof calldata np,
        Blob[] calldata blobs
    ) external pure {
        QuireProofsLib.verifyNamespaceProof(namespaceCount, namespaceRoot, namespace, np, blobs);
    }

    /// @notice Reverts unless `blobs` are exactly `namespace`'s data at
    /// `hp.height` under the anchored history (`historySize`, `historyRoot`).
    /// A caller must take those two from the anchor (`QuireAnchor.latest()` and
    /// `historyRoot(size)`), never from the prover.
    function verifyNamespace(
        uint64 initialHeight,
        uint64 historySize,
        bytes32 historyRoot,
        bytes32 namespace,
        HeightProof calldata hp,
        NamespaceProof calldata np,
        Blob[] calldata blobs
    ) external pure {
        QuireProofsLib.verifyNamespace(initialHeight, historySize, historyRoot, namespace, hp, np, blobs);
    }
}
