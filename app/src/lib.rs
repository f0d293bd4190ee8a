//! Quire's deterministic state machine.
//!
//! Everything a validator must compute identically lives here: transaction
//! decoding and signature checks, fees and sequences, block building and
//! checking, block execution and the app hash. It does no I/O, reads no clock,
//! uses no randomness and knows nothing of ABCI: the `quired` crate adapts it to
//! CometBFT, and `quire-store` persists what it produces.

pub mod block;
pub mod error;
pub mod exec;
pub mod genesis;
pub mod mempool;
pub mod sigcache;
pub mod state;
pub mod tx;

pub use block::{
    finalize_block, prepare_proposal, process_proposal, FinalizedBlock, FinalizedCommitment,
    Proposal, ProposalError,
};
pub use error::{StateReadError, TxError};
pub use genesis::{GenesisAccount, GenesisState};
pub use mempool::CheckState;
pub use sigcache::SignatureCache;
pub use state::{ChangeSet, StateReader};
pub use tx::DecodedTx;
