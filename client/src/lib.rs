//! Quire's Rust SDK: keys, signing Cosmos SDK transactions, submitting blobs
//! with pipelined sequences, and reading namespaces from a node.

pub mod audit;
pub mod encrypt;
pub mod keyring;
#[cfg(feature = "l1")]
pub mod l1;
pub mod read;
pub mod reveal;
pub mod rpc;
pub mod staking;
pub mod submitter;
pub mod verify;

pub use quire_core::builder::{address_of, sign_tx, SignerContext};
pub use quire_core::{Address, Msg, Namespace, Params};
pub use rpc::{BroadcastResult, ClientError, CommittedTx, NodeClient};
pub use submitter::{SubmitError, Submitter};
