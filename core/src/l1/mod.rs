//! L1 anchoring: what Quire's validators sign so that a contract on Ethereum
//! can check Quire's blocks (docs/l1.md).
//!
//! Each validator holds a secp256k1 "L1 key" besides its ed25519 consensus
//! key. In the vote extension for height `h` it signs, EIP-712 style, the
//! [`checkpoint::Checkpoint`] of `h`: the block hash, the root of the
//! [`history`] of every earlier height (block hash and namespace commitment),
//! and the hashes of the validator sets of `h` and `h + 1`
//! ([`valset::L1Valset`]). The proposer of `h + 1` puts more than 2/3 of the
//! power's signatures first in its block ([`attestation::Attestation`]);
//! the anchor contract checks them with `ecrecover` and stores the history
//! root, against which rollups prove their namespace's data.
//!
//! Everything here is byte-exact with the Solidity side
//! (`contracts/src/QuireAnchor.sol`): keccak-256, ABI words, 65-byte
//! signatures `r ‖ s ‖ v` with `v ∈ {27, 28}` and low `s`.

pub mod attestation;
pub mod checkpoint;
#[cfg(feature = "l1-data")]
pub mod data;
pub mod history;
pub mod key;
pub mod msg;
pub mod valset;

pub use attestation::Attestation;
pub use checkpoint::{Checkpoint, Domain};
pub use key::{keccak256, L1Address, L1KeyError, L1Signature, L1Signer};
pub use msg::{L1TxError, SetL1Key};
pub use valset::{L1Member, L1Valset};
