//! Quire's proofs in the layout of the L1 contracts (`contracts/src/QuireProofs.sol`,
//! `ExampleRollup.sol`): the Solidity types, core's proofs converted to them,
//! and a rollup's claim (`ExampleRollup.prove`'s arguments) read from a node.

use alloy_primitives::{Address, B256};
use anyhow::Context;
use quire_client::read::ReadClient;
use quire_core::commitment::{self, AbsenceProof, IncludedLeaf, NamespaceProof};
use quire_core::merkle::InclusionProof;
use quire_core::proto::Protobuf;
use quire_core::Namespace;

/// `QuireProofs.sol`'s types, and the two contracts that use them.
pub mod evm {
    alloy_sol_types::sol! {
        #[derive(Debug, PartialEq, Eq)]
        struct MerkleProof {
            uint64 index;
            uint64 total;
            bytes32[] aunts;
        }

        #[derive(Debug, PartialEq, Eq)]
        struct Blob {
            address signer;
            bytes data;
        }

        #[derive(Debug, PartialEq, Eq)]
        struct NamespaceLeaf {
            bytes32 namespace;
            uint32 blobCount;
            bytes32 blobsRoot;
        }

        #[derive(Debug, PartialEq, Eq)]
        struct LeafProof {
            NamespaceLeaf leaf;
            MerkleProof proof;
        }

        #[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
        enum ProofKind { Inclusion, EmptyBlock, BeforeFirst, AfterLast, Between }

        #[derive(Debug, PartialEq, Eq)]
        struct NamespaceProof {
            ProofKind kind;
            LeafProof left;
            LeafProof right;
        }

        #[derive(Debug, PartialEq, Eq)]
        struct HeightProof {
            uint64 height;
            bytes32 blockHash;
            uint32 namespaceCount;
            bytes32 namespaceRoot;
            MerkleProof proof;
        }

        #[derive(Debug)]
        contract QuireProofs {
            function leafHash(bytes item) external pure returns (bytes32);
            function rootFromLeafHashes(bytes32[] leaves) external pure returns (bytes32);
            function computeRoot(MerkleProof proof, bytes32 leaf) external pure returns (bytes32);
            function heightLeaf(uint64 height, bytes32 blockHash, uint32 namespaceCount, bytes32 namespaceRoot) external pure returns (bytes32);
            function blobLeaf(address signer, bytes data) external pure returns (bytes32);
            function namespaceLeaf(NamespaceLeaf leaf) external pure returns (bytes32);
            function blobsRoot(Blob[] blobs) external pure returns (bytes32);
            function verifyNamespace(uint64 initialHeight, uint64 historySize, bytes32 historyRoot, bytes32 namespace, HeightProof hp, NamespaceProof np, Blob[] blobs) external pure;
        }

        /// With `QuireProofsLib`'s errors, which its calls revert with.
        #[derive(Debug)]
        contract ExampleRollup {
            constructor(address anchor_, bytes32 namespace_);
            function prove(HeightProof hp, NamespaceProof np, Blob[] blobs) external returns (bytes32 batchHash);
            function proveAt(uint64 size, HeightProof hp, NamespaceProof np, Blob[] blobs) external returns (bytes32 batchHash);
            function batchHashOf(uint64 height) external view returns (bytes32);
            function namespace() external view returns (bytes32);
            function initialHeight() external view returns (uint64);

            event NamespaceProven(uint64 indexed height, uint256 blobCount, bytes32 batchHash);

            error AnchorFrozen();
            error NotAnchored(uint64 size);
            error AlreadyProven(uint64 height, bytes32 batchHash);

            error EmptyTree();
            error IndexOutOfRange(uint64 index, uint64 total);
            error TooManyAunts(uint256 count);
            error WrongAuntCount(uint64 index, uint64 total, uint256 expected, uint256 got);
            error HistorySizeMismatch(uint64 proofTotal, uint64 anchoredSize);
            error HeightBeforeInitial(uint64 height, uint64 initialHeight);
            error HistoryIndexMismatch(uint64 proofIndex, uint64 expectedIndex);
            error HistoryRootMismatch();
            error WrongNamespace(bytes32 expected, bytes32 got);
            error NoBlobs();
            error BlobCountMismatch(uint32 committed, uint256 given);
            error BlobsRootMismatch();
            error TotalMismatch(uint64 proofTotal, uint32 namespaceCount);
            error NamespaceRootMismatch();
            error BlobsWithAbsence(uint256 count);
            error NotEmptyBlock(uint32 namespaceCount);
            error NotFirstLeaf(uint64 index);
            error NotLastLeaf(uint64 index, uint64 total);
            error NotAdjacent(uint64 left, uint64 right);
            error NotBounding();
            error NamespacePresent();
        }
    }
}

/// Core's Merkle path in the contract's layout.
pub fn merkle_proof(proof: &InclusionProof) -> evm::MerkleProof {
    evm::MerkleProof {
        index: proof.index,
        total: proof.total,
        aunts: proof.aunts.iter().map(|a| B256::from(*a)).collect(),
    }
}

/// Core's namespace leaf in the contract's layout.
pub fn namespace_leaf(leaf: &commitment::NamespaceLeaf) -> evm::NamespaceLeaf {
    evm::NamespaceLeaf {
        namespace: leaf.namespace.as_bytes().into(),
        blobCount: leaf.blob_count,
        blobsRoot: leaf.blobs_root.into(),
    }
}

/// A namespace leaf and its path, in the contract's layout.
pub fn leaf_proof(leaf: &commitment::NamespaceLeaf, proof: &InclusionProof) -> evm::LeafProof {
    evm::LeafProof {
        leaf: namespace_leaf(leaf),
        proof: merkle_proof(proof),
    }
}

/// The leaf a proof kind does not use.
pub fn no_leaf() -> evm::LeafProof {
    evm::LeafProof {
        leaf: evm::NamespaceLeaf {
            namespace: B256::ZERO,
            blobCount: 0,
            blobsRoot: B256::ZERO,
        },
        proof: evm::MerkleProof {
            index: 0,
            total: 0,
            aunts: Vec::new(),
        },
    }
}

/// Core's namespace proof in the contract's layout.
pub fn namespace_proof(proof: &commitment::NamespaceProof) -> evm::NamespaceProof {
    use commitment::NamespaceProof as P;
    use evm::ProofKind as K;
    let included = |l: &IncludedLeaf| leaf_proof(&l.leaf, &l.proof);
    let (kind, left, right) = match proof {
        P::Inclusion { leaf, proof } => (K::Inclusion, leaf_proof(leaf, proof), no_leaf()),
        P::Absence(AbsenceProof::EmptyBlock) => (K::EmptyBlock, no_leaf(), no_leaf()),
        P::Absence(AbsenceProof::BeforeFirst(first)) => {
            (K::BeforeFirst, no_leaf(), included(first))
        }
        P::Absence(AbsenceProof::AfterLast(last)) => (K::AfterLast, included(last), no_leaf()),
        P::Absence(AbsenceProof::Between { left, right }) => {
            (K::Between, included(left), included(right))
        }
    };
    evm::NamespaceProof { kind, left, right }
}

/// The creation code of the committed artifact `contracts/out/{name}.json`
/// followed by the ABI-encoded constructor `args`.
pub fn deploy_code(name: &str, args: &[u8]) -> anyhow::Result<Vec<u8>> {
    let path = crate::repo_root()
        .join("contracts/out")
        .join(format!("{name}.json"));
    let artifact: serde_json::Value = serde_json::from_slice(
        &std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?,
    )?;
    let hex = artifact["bytecode"]
        .as_str()
        .with_context(|| format!("{} has no bytecode", path.display()))?;
    let mut code = alloy_primitives::hex::decode(hex)?;
    code.extend_from_slice(args);
    Ok(code)
}

/// `ExampleRollup.prove`'s arguments: the height's leaf with its path in
/// the anchored history, the namespace proof and the namespace's blobs.
#[derive(Debug, Clone)]
pub struct RollupClaim {
    /// The height's leaf and its path in the history of `size` heights.
    pub height_proof: evm::HeightProof,
    /// The namespace's inclusion or absence in the height's namespace tree.
    pub namespace_proof: evm::NamespaceProof,
    /// The namespace's blobs, in block order.
    pub blobs: Vec<evm::Blob>,
}

/// Reads `namespace` at `height` and the height's path in the history of
/// `size` heights from a node, as a rollup's prover would. Nothing is
/// verified here: the contract does that.
pub async fn claim_from_node(
    read: &ReadClient,
    height: u64,
    namespace: &Namespace,
    size: u64,
) -> anyhow::Result<RollupClaim> {
    let history = read
        .history_proof(height, size)
        .await
        .with_context(|| format!("history proof of {height} in {size}"))?;
    let path = InclusionProof::try_from_raw(history.proof.as_ref().context("no Merkle path")?)?;
    let data = read
        .namespace(height, namespace)
        .await
        .with_context(|| format!("namespace read at {height}"))?;
    let proof = NamespaceProof::try_from_raw(data.proof.as_ref().context("no namespace proof")?)?;
    let blobs = data
        .blobs
        .iter()
        .map(|b| {
            Ok(evm::Blob {
                signer: Address::from(*quire_core::proto::blob_signer(b)?.as_bytes()),
                data: b.data.clone().into(),
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok(RollupClaim {
        height_proof: evm::HeightProof {
            height: history.height,
            blockHash: B256::try_from(history.block_hash.as_slice())
                .context("block hash is not 32 bytes")?,
            namespaceCount: history.namespace_count,
            namespaceRoot: B256::try_from(history.namespace_root.as_slice())
                .context("namespace root is not 32 bytes")?,
            proof: merkle_proof(&path),
        },
        namespace_proof: namespace_proof(&proof),
        blobs,
    })
}
