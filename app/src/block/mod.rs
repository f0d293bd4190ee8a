//! Blocks: building a proposal ([`prepare`]), checking one ([`process`]) and
//! executing a decided one ([`finalize`]). All three run the same
//! [`executor::BlockExecutor`], so what an honest proposer builds is exactly
//! what every honest validator accepts.
//!
//! A block starts with its system transactions (one per component that
//! makes one, in component order: today the namespace commitment), then the
//! user transactions, unwrapped, so their hashes are the ones their
//! submitters computed.

pub(crate) mod executor;
pub mod finalize;
pub mod prepare;
pub mod process;

pub use finalize::{FinalizedBlock, FinalizedCommitment, SystemTxOutcome, TxOutcome};
pub use prepare::Proposal;
