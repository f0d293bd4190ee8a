//! Quire's deterministic state machine.
//!
//! Everything a validator must compute identically lives here: transaction
//! decoding and signature checks, fees and sequences, block building and
//! checking, block execution and the app hash. It does no I/O, reads no clock,
//! uses no randomness and knows nothing of ABCI: the `quired` crate adapts it to
//! CometBFT, and `quire-store` persists what it produces.
//!
//! The state machine is a fixed, ordered list of components
//! ([`StateMachine::standard`]): [`auth`] (accounts, signatures, sequences,
//! limits), [`bank`] (fees, transfers), [`blob`] (blobs, the blob budget, the
//! namespace commitment), [`staking`] (validators, delegations, the active
//! set), [`slashing`] (double signing, downtime), [`distribution`] (fees to
//! validators). [`App`] runs it in CometBFT's call order.

pub mod app;
pub mod auth;
pub mod bank;
pub mod blob;
pub mod block;
pub mod chain;
pub mod component;
pub mod context;
pub mod distribution;
pub mod encryption;
pub mod error;
pub mod event;
pub mod execute;
pub mod genesis;
pub mod invariants;
pub mod l1;
pub mod machine;
pub mod mempool;
pub(crate) mod registration;
pub mod router;
pub mod sigcache;
pub mod simulate;
pub mod slashing;
pub mod staking;
pub mod state;
pub mod system_tx;
pub mod tx;
pub mod vote_extension;

pub use app::{App, CommitBatch, CommitError};
pub use block::{FinalizedBlock, FinalizedCommitment, Proposal, SystemTxOutcome, TxOutcome};
pub use component::Component;
pub use context::{BlockContext, TxContext, ValidatorUpdate, VoteContext};
pub use error::{
    AppError, ProposalError, StateReadError, SystemTxError, TxError, VoteExtensionError,
};
pub use event::{Event, Events};
pub use execute::TxReceipt;
pub use genesis::{GenesisAccount, GenesisState};
pub use machine::{GenesisOutput, NodeKeys, StateMachine};
pub use mempool::CheckState;
pub use sigcache::SignatureCache;
pub use simulate::Simulation;
pub use state::{ChangeSet, StateRead, StateWrite};
pub use tx::DecodedTx;
