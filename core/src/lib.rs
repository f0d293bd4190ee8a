//! Quire's core: the domain types every other crate shares, and everything a
//! rollup needs to check what Quire serves it.
//!
//! - Domain types, one name per concept: [`Address`], [`Namespace`],
//!   [`Params`], [`Blob`], [`Msg`].
//! - The Merkle trees ([`merkle`]) and the per-block namespace commitment
//!   with its inclusion and absence proofs and their verification
//!   ([`commitment`]).
//! - Building and signing transactions ([`builder`]).
//! - Conversions between the protobuf wire types and the domain types, with
//!   validation at construction ([`proto::Protobuf`]).
//! - Staking's messages, numbers and parameters ([`staking`]).
//! - What validators sign for the L1 anchor: checkpoints, the height
//!   history, validator-set hashes, attestations ([`l1`]).
//! - The canonical order of a block's user transactions ([`order`]), and
//!   the plaintext of an encrypted blob envelope ([`envelope`]).
//! - The stable ABCI codes ([`codes`]).
//!
//! No consensus logic, no I/O, no clock, no C dependency: the rollup SDK
//! (`quire-client`) depends on this crate, not on the state machine.

pub mod account;
pub mod address;
pub mod blob;
pub mod builder;
pub mod codes;
pub mod commitment;
pub mod encryption;
pub mod envelope;
pub mod l1;
pub mod merkle;
pub mod msg;
pub mod namespace;
pub mod order;
pub mod params;
pub mod proto;
pub mod staking;
pub mod state_proof;

pub use address::Address;
pub use blob::Blob;
pub use msg::Msg;
pub use namespace::Namespace;
pub use params::Params;
