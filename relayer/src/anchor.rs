//! The `QuireAnchor` contract's interface (contracts/src/QuireAnchor.sol)
//! and conversions from Quire's own types.

use alloy_primitives::{Address, FixedBytes};
use quire_core::l1::{Checkpoint as QuireCheckpoint, L1Address, L1Signature, L1Valset};

alloy_sol_types::sol! {
    /// What the validators of `height` sign about it.
    #[derive(Debug, PartialEq, Eq)]
    struct Checkpoint {
        uint64 height;
        bytes32 blockHash;
        uint64 historySize;
        bytes32 historyRoot;
        bytes32 valsetHash;
        bytes32 nextValsetHash;
    }

    /// A validator set in L1 order.
    #[derive(Debug, PartialEq, Eq, Default)]
    struct Valset {
        address[] signers;
        uint64[] powers;
    }

    /// `r ‖ s ‖ v`; `v == 0`: the member did not sign.
    #[derive(Debug, PartialEq, Eq, Default)]
    struct Signature {
        bytes32 r;
        bytes32 s;
        uint8 v;
    }

    #[derive(Debug)]
    contract QuireAnchor {
        constructor(uint64 initialHeight_, bytes32 salt_, address[] signers, uint64[] powers);
        function submitCheckpoint(Checkpoint cp, Valset cur, Signature[] sigs, Valset next) external;
        function reportConflict(Checkpoint a, Checkpoint b, Valset cur, Signature[] sigsA, Signature[] sigsB) external;
        function latest() external view returns (uint64 height, uint64 historySize, uint64 l1Block, bool isFrozen);
        function valsetHash() external view returns (bytes32);
        function historyRoot(uint64 size) external view returns (bytes32);
        function hashCheckpoint(Checkpoint cp) external view returns (bytes32);
        function hashValset(Valset set) external pure returns (bytes32);
        function domainSeparator() external view returns (bytes32);
        function initialHeight() external view returns (uint64);
        function salt() external view returns (bytes32);
        function recordBatchData(uint64 fromHeight, uint64 toHeight) external;

        event CheckpointSubmitted(uint64 indexed height, uint64 historySize, bytes32 historyRoot);
        event ValsetRotated(uint64 indexed height, bytes32 newValsetHash);
        event Frozen(uint64 indexed height);
        event BatchDataRecorded(uint64 fromHeight, uint64 toHeight, bytes32 versionedHashesHash, uint256 count, address indexed poster);

        error LengthMismatch(uint256 signers, uint256 powers);
        error EmptyValset();
        error TooManyValidators(uint256 count);
        error ZeroSigner(uint256 index);
        error ZeroPower(uint256 index);
        error ZeroInitialHeight();
        error AnchorFrozen();
        error Stale(uint64 latestHeight);
        error WrongHistorySize(uint64 expected, uint64 got);
        error WrongValset(bytes32 expected, bytes32 got);
        error ValsetMismatch();
        error WrongSignatureCount(uint256 expected, uint256 got);
        error HighS(uint256 index);
        error BadV(uint256 index);
        error BadSignature(uint256 index);
        error InsufficientPower(uint256 signed, uint256 total);
        error BadNextValset();
        error DifferentHeights(uint64 a, uint64 b);
        error NoConflict();
        error NoBlobs();
        error BadRange(uint64 fromHeight, uint64 toHeight);
    }
}

/// An L1 address as alloy's.
pub fn address(a: &L1Address) -> Address {
    Address::from(*a.as_bytes())
}

impl From<&QuireCheckpoint> for Checkpoint {
    fn from(cp: &QuireCheckpoint) -> Self {
        Checkpoint {
            height: cp.height,
            blockHash: FixedBytes(cp.block_hash),
            historySize: cp.history_size,
            historyRoot: FixedBytes(cp.history_root),
            valsetHash: FixedBytes(cp.valset_hash),
            nextValsetHash: FixedBytes(cp.next_valset_hash),
        }
    }
}

impl From<&L1Valset> for Valset {
    fn from(set: &L1Valset) -> Self {
        Valset {
            signers: set.members().iter().map(|m| address(&m.signer)).collect(),
            powers: set.members().iter().map(|m| m.power).collect(),
        }
    }
}

impl From<&L1Signature> for Signature {
    fn from(sig: &L1Signature) -> Self {
        let bytes = sig.to_bytes();
        let mut r = [0u8; 32];
        let mut s = [0u8; 32];
        r.copy_from_slice(&bytes[..32]);
        s.copy_from_slice(&bytes[32..64]);
        Signature {
            r: FixedBytes(r),
            s: FixedBytes(s),
            v: bytes[64],
        }
    }
}
