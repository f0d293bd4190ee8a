//! One blob as Quire orders, indexes and serves it.

use crate::{Address, Namespace};

/// One blob of a block: where it was filed, who submitted it, where it sits
/// in the block, and its data. The blob index keeps exactly this record;
/// the namespace commitment covers `signer` and `data` (the positions and
/// the tx hash are informational).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Blob {
    /// Namespace it was filed under.
    pub namespace: Namespace,
    /// Who submitted it.
    pub signer: Address,
    /// Hash of the carrying transaction.
    pub tx_hash: [u8; 32],
    /// Index of the transaction in the block (system transactions first).
    pub tx_index: u32,
    /// Index of the message in the transaction.
    pub msg_index: u32,
    /// The blob.
    pub data: Vec<u8>,
}
