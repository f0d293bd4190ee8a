// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {Blob, HeightProof, NamespaceProof, QuireProofsLib} from "./QuireProofs.sol";

/// The part of QuireAnchor a rollup reads.
interface IQuireAnchorReader {
    function latest() external view returns (uint64 height, uint64 historySize, uint64 l1Block, bool isFrozen);
    function historyRoot(uint64 size) external view returns (bytes32);
    function initialHeight() external view returns (uint64);
}

/// @title ExampleRollup
/// @notice A minimal rollup inbox: it accepts, once per Quire height, the
/// exact data its namespace got at that height (or the proof that it got
/// none), proven against a history root anchored in QuireAnchor.
/// @dev The history size and root always come from the anchor, never from the
/// caller; `prove` uses the anchor's newest checkpoint, `proveAt` any anchored
/// size (a proof built for an older size stays valid after newer checkpoints).
contract ExampleRollup {
    /// The anchor whose history roots are trusted.
    IQuireAnchorReader public immutable anchor;
    /// The rollup's namespace.
    bytes32 public immutable namespace;
    /// The anchor's initial height (immutable there too).
    uint64 public immutable initialHeight;

    /// keccak256(abi.encode(blobs)) of each proven height (zero: not proven).
    mapping(uint64 height => bytes32 batchHash) public batchHashOf;

    /// The namespace's data at `height` was proven: `blobCount` blobs (0 when
    /// absent) with `batchHash = keccak256(abi.encode(blobs))`.
    event NamespaceProven(uint64 indexed height, uint256 blobCount, bytes32 batchHash);

    /// The anchor is frozen: its roots are no longer trusted.
    error AnchorFrozen();
    /// `size` was never anchored.
    error NotAnchored(uint64 size);
    /// The height was already proven.
    error AlreadyProven(uint64 height, bytes32 batchHash);

    /// @param anchor_ The QuireAnchor to read.
    /// @param namespace_ The namespace whose data this rollup accepts.
    constructor(address anchor_, bytes32 namespace_) {
        anchor = IQuireAnchorReader(anchor_);
        namespace = namespace_;
        initialHeight = IQuireAnchorReader(anchor_).initialHeight();
    }

    /// @notice Proves against the anchor's newest checkpoint that `blobs`
    /// (signer, data, in block order) are exactly this namespace's data at
    /// `hp.height`, empty meaning "none", and records the height's batch hash.
    /// @param hp The height's history leaf and its path in the newest anchored history.
    /// @param np The namespace proof against the height's namespace root.
    /// @param blobs The namespace's blobs at that height.
    /// @return batchHash keccak256(abi.encode(blobs)).
    function prove(HeightProof calldata hp, NamespaceProof calldata np, Blob[] calldata blobs)
        external
        returns (bytes32 batchHash)
    {
        (, uint64 size,, bool isFrozen) = anchor.latest();
        if (isFrozen) revert AnchorFrozen();
        return _prove(size, hp, np, blobs);
    }

    /// @notice As `prove`, against the anchored history of `size` heights.
    /// @param size An anchored history size (`historyRoot(size) != 0` on the anchor).
    /// @param hp The height's history leaf and its path in that history.
    /// @param np The namespace proof against the height's namespace root.
    /// @param blobs The namespace's blobs at that height.
    /// @return batchHash keccak256(abi.encode(blobs)).
    function proveAt(uint64 size, HeightProof calldata hp, NamespaceProof calldata np, Blob[] calldata blobs)
        external
        returns (bytes32 batchHash)
    {
        (,,, bool isFrozen) = anchor.latest();
        if (isFrozen) revert AnchorFrozen();
        return _prove(size, hp, np, blobs);
    }

    function _prove(uint64 size, HeightProof calldata hp, NamespaceProof calldata np, Blob[] calldata blobs)
        private
        returns (bytes32 batchHash)
    {
        bytes32 root = anchor.historyRoot(size);
        if (root == bytes32(0)) revert NotAnchored(size);
        uint64 height = hp.height;
        bytes32 seen = batchHashOf[height];
        if (seen != bytes32(0)) revert AlreadyProven(height, seen);
        QuireProofsLib.verifyNamespace(initialHeight, size, root, namespace, hp, np, blobs);
        batchHash = keccak256(abi.encode(blobs));
        batchHashOf[height] = batchHash;
        emit NamespaceProven(height, blobs.length, batchHash);
    }
}
