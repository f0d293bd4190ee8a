// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

// QuireAnchor: Quire's checkpoints on Ethereum.
//
// Trust model. Each Quire validator holds a secp256k1 "L1 key" and, in its
// vote extension for height h, signs the EIP-712 `Checkpoint` of h: the block
// hash, the RFC 6962 SHA-256 root over the leaves of every earlier height
// (block hash and namespace commitment, core/src/l1/history.rs), and the
// hashes of the validator sets of h and h + 1. This contract accepts a
// checkpoint signed by more than 2/3 of the power of the set it knows
// (`valsetHash`), Gravity-style: the set itself travels in calldata and only
// its hash is stored, so total power is computed from calldata only after the
// calldata has been checked against the stored hash. It then stores the
// history root by size; `QuireProofs` proves a namespace's data at any height
// below an anchored size against it.
//
// The set changes only through a checkpoint the current set signed, which
// names the next set's hash; a new set's checkpoints carry its own hash, so a
// transition cannot be skipped. Safety therefore rests on fewer than 1/3 of
// the power of every set being faulty, exactly as Quire's own consensus does.
// If two different checkpoints of one height are each signed by more than 2/3
// of the current set, that assumption is broken and anyone may freeze the
// contract (`reportConflict`); a frozen anchor accepts nothing more.
//
// No owner, no admin, no proxy, no upgrade: the constructor's arguments
// (initial height, salt = keccak256(Quire chain id), genesis set) are checked
// by whoever relies on a deployment, against Quire's genesis.
//
// Byte-exact with core/src/l1: checkpoint.rs (EIP-712 digest), valset.rs
// (set hash), key.rs (65-byte signatures, v ∈ {27, 28}, low s).

/// What the validators of `height` sign about it (`l1::Checkpoint`).
struct Checkpoint {
    /// The Quire height.
    uint64 height;
    /// Its block hash (CometBFT header hash).
    bytes32 blockHash;
    /// Heights in the history: `height - initialHeight` (every earlier one).
    uint64 historySize;
    /// RFC 6962 root of the history of `historySize` heights.
    bytes32 historyRoot;
    /// Hash of the set that signs `height`.
    bytes32 valsetHash;
    /// Hash of the set of `height + 1` (equal to `valsetHash` unless the set changes).
    bytes32 nextValsetHash;
}

/// A validator set in L1 order (power descending, then consensus address).
struct Valset {
    /// Each member's L1 address.
    address[] signers;
    /// Each member's voting power.
    uint64[] powers;
}

/// A signature `r ‖ s ‖ v` over the checkpoint digest; `v == 0` means the
/// member at that position did not sign.
struct Signature {
    bytes32 r;
    bytes32 s;
    uint8 v;
}

/// @title QuireAnchor
/// @notice Stores Quire history roots signed by more than 2/3 of Quire's validator power.
contract QuireAnchor {
    /// The most members a set may have (`l1::valset::MAX_L1_VALIDATORS`).
    uint256 public constant MAX_VALIDATORS = 1024;

    bytes32 private constant VALSET_TAG = keccak256("quire/valset/v1");
    bytes32 private constant DOMAIN_TYPEHASH =
        keccak256("EIP712Domain(string name,string version,uint256 chainId,bytes32 salt)");
    bytes32 private constant NAME_HASH = keccak256("QuireAnchor");
    bytes32 private constant VERSION_HASH = keccak256("1");
    bytes32 private constant CHECKPOINT_TYPEHASH = keccak256(
        "Checkpoint(uint64 height,bytes32 blockHash,uint64 historySize,bytes32 historyRoot,bytes32 valsetHash,bytes32 nextValsetHash)"
    );
    /// secp256k1n / 2: the largest `s` accepted (EIP-2).
    uint256 private constant HALF_ORDER = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0;

    /// keccak-256 of the Quire chain id: the EIP-712 domain's salt.
    bytes32 public immutable salt;
    /// Quire's initial height: history index 0.
    uint64 public immutable initialHeight;
    uint256 private immutable _cachedChainId;
    bytes32 private immutable _cachedDomainSeparator;

    /// The packed head, one slot: bits 0-63 the newest anchored height (0
    /// before the first), 64-127 its history size, 128-191 the L1 block that
    /// anchored it (the deployment block before the first), bit 192 frozen.
    /// Written with a single SSTORE; never zero, so the first checkpoint does
    /// not pay for a fresh slot.
    uint256 private _head;
    uint256 private constant FROZEN_BIT = 1 << 192;
    /// Hash of the set that must sign the next checkpoint.
    bytes32 public valsetHash;
    /// Anchored history roots by history size (zero where none was anchored).
    mapping(uint64 size => bytes32 root) public historyRoot;
    /// Advisory batch-data records: poster => fromHeight => toHeight => keccak256 of the blobs' versioned hashes.
    mapping(address poster => mapping(uint64 fromHeight => mapping(uint64 toHeight => bytes32))) public batchData;

    // ---- Events ----
    /// A checkpoint was anchored.
    event CheckpointSubmitted(uint64 indexed height, uint64 historySize, bytes32 historyRoot);
    /// The validator set changed with the checkpoint of `height`; `newValsetHash` signs `height + 1` on.
    event ValsetRotated(uint64 indexed height, bytes32 newValsetHash);
    /// Two conflicting checkpoints of `height` were proven; the anchor is frozen.
    event Frozen(uint64 indexed height);
    /// Blobs carrying Quire's data for heights [fromHeight, toHeight] were posted (advisory).
    event BatchDataRecorded(
        uint64 fromHeight, uint64 toHeight, bytes32 versionedHashesHash, uint256 count, address indexed poster
    );

    // ---- Errors: the set ----
    /// `signers` and `powers` differ in length.
    error LengthMismatch(uint256 signers, uint256 powers);
    /// A set with no members.
    error EmptyValset();
    /// A set with more than `MAX_VALIDATORS` members.
    error TooManyValidators(uint256 count);
    /// A member whose L1 address is zero.
    error ZeroSigner(uint256 index);
    /// A member of power 0.
    error ZeroPower(uint256 index);
    /// Quire heights start at 1.
    error ZeroInitialHeight();

    // ---- Errors: checkpoints, in the order they are checked ----
    /// A conflict was reported: the anchor accepts nothing more.
    error AnchorFrozen();
    /// The checkpoint is not above the newest anchored height.
    error Stale(uint64 latestHeight);
    /// The checkpoint's history size is not `height - initialHeight`.
    error WrongHistorySize(uint64 expected, uint64 got);
    /// The checkpoint was not signed by (does not name) the current set.
    error WrongValset(bytes32 expected, bytes32 got);
    /// The set given does not hash to the current set's hash.
    error ValsetMismatch();
    /// Not one signature slot per member.
    error WrongSignatureCount(uint256 expected, uint256 got);
    /// Signature `index` has `s` above secp256k1n / 2.
    error HighS(uint256 index);
    /// Signature `index` has `v` other than 0 (absent), 27 or 28.
    error BadV(uint256 index);
    /// Signature `index` does not recover to member `index`.
    error BadSignature(uint256 index);
    /// The present signatures carry no more than 2/3 of the power.
    error InsufficientPower(uint256 signed, uint256 total);
    /// The next set given does not hash to the checkpoint's `nextValsetHash`.
    error BadNextValset();

    // ---- Errors: conflicts and batch data ----
    /// The two checkpoints are not of the same height.
    error DifferentHeights(uint64 a, uint64 b);
    /// The two checkpoints are identical.
    error NoConflict();
    /// `recordBatchData` in a transaction without blobs.
    error NoBlobs();
    /// `fromHeight > toHeight`.
    error BadRange(uint64 fromHeight, uint64 toHeight);

    /// @notice Deploys the anchor for a Quire chain.
    /// @param initialHeight_ Quire's initial height (≥ 1): its history starts there.
    /// @param salt_ keccak256 of the Quire chain id (the EIP-712 domain's salt).
    /// @param signers The genesis set's L1 addresses, in L1 order.
    /// @param powers Their powers, in the same order.
    constructor(uint64 initialHeight_, bytes32 salt_, address[] memory signers, uint64[] memory powers) {
        if (initialHeight_ == 0) revert ZeroInitialHeight();
        uint256 n = signers.length;
        if (n != powers.length) revert LengthMismatch(n, powers.length);
        if (n == 0) revert EmptyValset();
        if (n > MAX_VALIDATORS) revert TooManyValidators(n);
        for (uint256 i = 0; i < n; ++i) {
            if (signers[i] == address(0)) revert ZeroSigner(i);
            if (powers[i] == 0) revert ZeroPower(i);
        }
        initialHeight = initialHeight_;
        salt = salt_;
        valsetHash = keccak256(abi.encode(VALSET_TAG, signers, powers));
        _head = uint256(uint64(block.number)) << 128;
        _cachedChainId = block.chainid;
        _cachedDomainSeparator = _buildDomainSeparator(salt_);
    }

    // ------------------------------------------------------------------
    // Views
    // ------------------------------------------------------------------

    /// @notice The newest anchored checkpoint's height and history size (both
    /// 0 before the first), the L1 block that anchored it (the deployment
    /// block before the first), and whether the anchor is frozen.
    function latest() external view returns (uint64 height, uint64 historySize, uint64 l1Block, bool isFrozen) {
        uint256 head = _head;
        return (uint64(head), uint64(head >> 64), uint64(head >> 128), head & FROZEN_BIT != 0);
    }

    /// @notice Whether a conflict was reported (then nothing more is accepted).
    function frozen() external view returns (bool) {
        return _head & FROZEN_BIT != 0;
    }

    /// @notice The EIP-712 domain separator (name "QuireAnchor", version "1",
    /// chainId = block.chainid, salt); no verifyingContract.
    function domainSeparator() public view returns (bytes32) {
        if (block.chainid == _cachedChainId) return _cachedDomainSeparator;
        return _buildDomainSeparator(salt);
    }

    /// @notice The EIP-712 digest validators sign for `cp`:
    /// keccak256(0x1901 ‖ domainSeparator ‖ hashStruct(cp)).
    function hashCheckpoint(Checkpoint calldata cp) public view returns (bytes32) {
        return keccak256(abi.encodePacked(hex"1901", domainSeparator(), _structHash(cp)));
    }

    /// @notice keccak256(abi.encode(keccak256("quire/valset/v1"), signers, powers)):
    /// the hash a set is known by (`L1Valset::hash`). Hashes the calldata
    /// words as given, so a word with dirty high bits changes the hash.
    function hashValset(Valset calldata set) public pure returns (bytes32) {
        return _hashValset(set.signers, set.powers);
    }

    // ------------------------------------------------------------------
    // Checkpoints
    // ------------------------------------------------------------------

    /// @notice Anchors `cp` if more than 2/3 of the current set's power signed it.
    /// @param cp The checkpoint.
    /// @param cur The current set (must hash to `valsetHash()`).
    /// @param sigs One slot per member of `cur`, in its order; `v = 0` for a member that did not sign.
    /// @param next The set of `cp.height + 1` when `cp.nextValsetHash != valsetHash()`;
    /// otherwise ignored (pass empty arrays).
    function submitCheckpoint(
        Checkpoint calldata cp,
        Valset calldata cur,
        Signature[] calldata sigs,
        Valset calldata next
    ) external {
        uint256 head = _head;
        if (head & FROZEN_BIT != 0) revert AnchorFrozen();
        uint64 height = cp.height;
        if (height <= uint64(head)) revert Stale(uint64(head));
        uint64 initial = initialHeight;
        uint64 size = cp.historySize;
        if (height < initial || size != height - initial) {
            revert WrongHistorySize(height < initial ? 0 : height - initial, size);
        }
        bytes32 current = valsetHash;
        if (cp.valsetHash != current) revert WrongValset(current, cp.valsetHash);
        if (_hashValset(cur.signers, cur.powers) != current) revert ValsetMismatch();
        _checkQuorum(cp, cur, sigs);

        bytes32 nextHash = cp.nextValsetHash;
        bool rotates = nextHash != current;
        if (rotates) {
            if (_hashValset(next.signers, next.powers) != nextHash) revert BadNextValset();
            _checkMembers(next.signers, next.powers);
        }

        bytes32 root = cp.historyRoot;
        historyRoot[size] = root;
        _head = uint256(height) | (uint256(size) << 64) | (uint256(uint64(block.number)) << 128);
        emit CheckpointSubmitted(height, size, root);
        if (rotates) {
            valsetHash = nextHash;
            emit ValsetRotated(height, nextHash);
        }
    }

    /// @notice Freezes the anchor, given two different checkpoints of one
    /// height, each signed by more than 2/3 of the current set: proof that at
    /// least 1/3 of its power signed conflicting histories.
    /// @dev A conflict signed by an older set (before a rotation) is out of
    /// scope of this version: both checkpoints must name the current set.
    /// @param a One checkpoint.
    /// @param b Another checkpoint of the same height, differing in any field.
    /// @param cur The current set (must hash to `valsetHash()`).
    /// @param sigsA The signatures of `a`, one slot per member of `cur`.
    /// @param sigsB The signatures of `b`, one slot per member of `cur`.
    function reportConflict(
        Checkpoint calldata a,
        Checkpoint calldata b,
        Valset calldata cur,
        Signature[] calldata sigsA,
        Signature[] calldata sigsB
    ) external {
        if (_head & FROZEN_BIT != 0) revert AnchorFrozen();
        if (a.height != b.height) revert DifferentHeights(a.height, b.height);
        if (_structHash(a) == _structHash(b)) revert NoConflict();
        bytes32 current = valsetHash;
        if (a.valsetHash != current) revert WrongValset(current, a.valsetHash);
        if (b.valsetHash != current) revert WrongValset(current, b.valsetHash);
        if (_hashValset(cur.signers, cur.powers) != current) revert ValsetMismatch();
        _checkQuorum(a, cur, sigsA);
        _checkQuorum(b, cur, sigsB);
        _head |= FROZEN_BIT;
        emit Frozen(a.height);
    }

    // ------------------------------------------------------------------
    // Batch data (advisory)
    // ------------------------------------------------------------------

    /// @notice Records that this (EIP-4844) transaction's blobs carry Quire's
    /// data for heights [fromHeight, toHeight]: stores keccak256 of the
    /// concatenated versioned hashes `blobhash(0) ‖ … ‖ blobhash(n - 1)` under
    /// (msg.sender, fromHeight, toHeight). Unsigned by validators, so only
    /// advisory: a reader checks the data against an anchored history root.
    /// Records are kept per poster, so nobody can overwrite another's.
    /// @param fromHeight First Quire height in the blobs.
    /// @param toHeight Last Quire height in the blobs.
    function recordBatchData(uint64 fromHeight, uint64 toHeight) external {
        if (fromHeight > toHeight) revert BadRange(fromHeight, toHeight);
        uint256 n = 0;
        while (blobhash(n) != bytes32(0)) {
            unchecked {
                ++n;
            }
        }
        if (n == 0) revert NoBlobs();
        bytes32[] memory hashes = new bytes32[](n);
        unchecked {
            for (uint256 i = 0; i < n; ++i) {
                hashes[i] = blobhash(i);
            }
        }
        bytes32 h = keccak256(abi.encodePacked(hashes));
        batchData[msg.sender][fromHeight][toHeight] = h;
        emit BatchDataRecorded(fromHeight, toHeight, h, n, msg.sender);
    }

    // ------------------------------------------------------------------
    // Internals
    // ------------------------------------------------------------------

    function _buildDomainSeparator(bytes32 salt_) private view returns (bytes32) {
        return keccak256(abi.encode(DOMAIN_TYPEHASH, NAME_HASH, VERSION_HASH, block.chainid, salt_));
    }

    function _structHash(Checkpoint calldata cp) private pure returns (bytes32) {
        return keccak256(
            abi.encode(
                CHECKPOINT_TYPEHASH,
                cp.height,
                cp.blockHash,
                cp.historySize,
                cp.historyRoot,
                cp.valsetHash,
                cp.nextValsetHash
            )
        );
    }

    /// keccak256(abi.encode(VALSET_TAG, signers, powers)) over the raw calldata
    /// words. The stored hash is of clean words (addresses and u64s), so a
    /// match also proves every word clean, and the quorum loop can read them
    /// without further checks. Lengths may differ here; a match implies they
    /// are equal (the encoding is injective).
    function _hashValset(address[] calldata signers, uint64[] calldata powers) private pure returns (bytes32 h) {
        bytes32 tag = VALSET_TAG;
        assembly ("memory-safe") {
            let ns := signers.length
            let np := powers.length
            let p := mload(0x40)
            mstore(p, tag)
            mstore(add(p, 0x20), 0x60)
            mstore(add(p, 0x40), add(0x80, shl(5, ns)))
            mstore(add(p, 0x60), ns)
            calldatacopy(add(p, 0x80), signers.offset, shl(5, ns))
            let q := add(add(p, 0x80), shl(5, ns))
            mstore(q, np)
            calldatacopy(add(q, 0x20), powers.offset, shl(5, np))
            h := keccak256(p, sub(add(add(q, 0x20), shl(5, np)), p))
        }
    }

    /// Reverts unless more than 2/3 of `set`'s power signed `cp`. `set` must
    /// already match the stored hash: its powers are trusted and its words
    /// clean. Signatures are checked in order and the loop stops at the first
    /// quorum, so slots after it are not looked at.
    function _checkQuorum(Checkpoint calldata cp, Valset calldata set, Signature[] calldata sigs) private view {
        (uint256 signersPtr, uint256 powersPtr, uint256 n) = _members(set);
        if (sigs.length != n) revert WrongSignatureCount(n, sigs.length);
        uint256 total = _totalPower(powersPtr, n);
        uint256 sigPtr;
        assembly ("memory-safe") {
            sigPtr := sigs.offset
        }
        (uint256 status, uint256 index, uint256 signed) =
            _tally(hashCheckpoint(cp), signersPtr, powersPtr, sigPtr, n, total * 2);
        if (status == 0) return;
        if (status == 1) revert HighS(index);
        if (status == 2) revert BadV(index);
        if (status == 3) revert BadSignature(index);
        revert InsufficientPower(signed, total);
    }

    /// Where `set`'s two arrays start in calldata, and their common length.
    function _members(Valset calldata set) private pure returns (uint256 signersPtr, uint256 powersPtr, uint256 n) {
        address[] calldata signers = set.signers;
        uint64[] calldata powers = set.powers;
        n = signers.length;
        // Implied by a matching hash; checked anyway.
        if (powers.length != n) revert ValsetMismatch();
        assembly ("memory-safe") {
            signersPtr := signers.offset
            powersPtr := powers.offset
        }
    }

    /// The sum of `n` clean u64 words from `powersPtr` (at most 1024: no overflow).
    function _totalPower(uint256 powersPtr, uint256 n) private pure returns (uint256 total) {
        assembly ("memory-safe") {
            let end := add(powersPtr, shl(5, n))
            for { let q := powersPtr } lt(q, end) { q := add(q, 0x20) } { total := add(total, calldataload(q)) }
        }
    }

    /// Walks the `n` signature slots (r, s, v words from `sigPtr`) until
    /// `3·signed > total2` (`total2 = 2·total`): more than 2/3 of the power.
    /// status: 0 quorum, 1 high s, 2 bad v, 3 bad signature (at `index`),
    /// 4 the slots ran out short of a quorum.
    function _tally(bytes32 digest, uint256 signersPtr, uint256 powersPtr, uint256 sigPtr, uint256 n, uint256 total2)
        private
        view
        returns (uint256 status, uint256 index, uint256 signed)
    {
        assembly ("memory-safe") {
            status := 4
            // ecrecover's input (digest ‖ v ‖ r ‖ s) in scratch memory past
            // the free pointer; its output in 0x00.
            let mem := mload(0x40)
            mstore(mem, digest)
            for {} lt(index, n) { index := add(index, 1) } {
                let v := calldataload(add(sigPtr, 0x40))
                if v {
                    let s := calldataload(add(sigPtr, 0x20))
                    if gt(s, HALF_ORDER) {
                        status := 1
                        break
                    }
                    if iszero(or(eq(v, 27), eq(v, 28))) {
                        status := 2
                        break
                    }
                    mstore(add(mem, 0x20), v)
                    mstore(add(mem, 0x40), calldataload(sigPtr))
                    mstore(add(mem, 0x60), s)
                    mstore(0x00, 0)
                    // An invalid signature returns no data: 0x00 stays zero.
                    pop(staticcall(gas(), 0x01, mem, 0x80, 0x00, 0x20))
                    let who := mload(0x00)
                    if or(iszero(who), iszero(eq(who, calldataload(add(signersPtr, shl(5, index)))))) {
                        status := 3
                        break
                    }
                    signed := add(signed, calldataload(add(powersPtr, shl(5, index))))
                    if gt(mul(signed, 3), total2) {
                        status := 0
                        break
                    }
                }
                sigPtr := add(sigPtr, 0x60)
            }
        }
    }

    /// Reverts unless the set is non-empty, at most `MAX_VALIDATORS`, with
    /// equal lengths, no zero address and no zero power.
    function _checkMembers(address[] calldata signers, uint64[] calldata powers) private pure {
        uint256 n = signers.length;
        if (n != powers.length) revert LengthMismatch(n, powers.length);
        if (n == 0) revert EmptyValset();
        if (n > MAX_VALIDATORS) revert TooManyValidators(n);
        unchecked {
            for (uint256 i = 0; i < n; ++i) {
                if (signers[i] == address(0)) revert ZeroSigner(i);
                if (powers[i] == 0) revert ZeroPower(i);
            }
        }
    }
}
