//! Quire's Rust SDK: keys, signing Cosmos SDK transactions, submitting blobs
//! with pipelined sequences, and reading namespaces from a node.

pub mod keyring;
pub mod read;
pub mod rpc;
pub mod submitter;
pub mod verify;
pub mod wire;

pub use quire_app::builder::{address_of, sign_tx, OutgoingMsg, TxParams};
pub use quire_app::{Address, Namespace, Params};
pub use rpc::{BroadcastResult, ClientError, CommittedTx, NodeClient};
pub use submitter::{SubmitError, Submitter};
