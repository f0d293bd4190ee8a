//! The ABCI codes quired answers with, all in [`CODESPACE`]. Every number is
//! stable across versions: clients and explorers match on them.

/// The ABCI codespace of every error quired returns.
pub const CODESPACE: &str = "quire";

/// Codes of refused transactions (CheckTx and FinalizeBlock results).
pub mod tx {
    /// The node could not read its own state (not the tx's fault).
    pub const INTERNAL: u32 = 1;
    /// The bytes are not a Cosmos SDK `TxRaw` with decodable parts.
    pub const DECODE: u32 = 2;
    /// The tx is larger than `max_tx_bytes`.
    pub const TOO_LARGE: u32 = 3;
    /// The tx decodes but breaks a rule of form.
    pub const INVALID: u32 = 4;
    /// The tx names another chain id.
    pub const WRONG_CHAIN_ID: u32 = 5;
    /// The signature does not verify.
    pub const BAD_SIGNATURE: u32 = 6;
    /// The signer has no account.
    pub const UNKNOWN_ACCOUNT: u32 = 7;
    /// The sequence was already used.
    pub const SEQUENCE_REUSED: u32 = 8;
    /// The sequence skips ahead.
    pub const SEQUENCE_GAP: u32 = 9;
    /// The fee is below what the tx must pay.
    pub const INSUFFICIENT_FEE: u32 = 10;
    /// The fee is in another denom.
    pub const WRONG_FEE_DENOM: u32 = 11;
    /// The signer cannot pay.
    pub const INSUFFICIENT_FUNDS: u32 = 12;
    /// One blob is larger than `max_blob_bytes`.
    pub const BLOB_TOO_LARGE: u32 = 13;
    /// The tx's blobs do not fit the block's blob budget.
    pub const BLOCK_BLOB_BUDGET: u32 = 14;
    /// The tx's timeout height has passed.
    pub const TIMED_OUT: u32 = 15;
    /// The tx is twice in one block.
    pub const DUPLICATE: u32 = 16;
}

/// Codes of failed ABCI queries.
pub mod query {
    /// The node could not read its own state.
    pub const INTERNAL: u32 = 1;
    /// No such query path.
    pub const UNKNOWN_PATH: u32 = 30;
    /// A malformed argument.
    pub const BAD_ARGUMENT: u32 = 31;
    /// What was asked for does not exist.
    pub const NOT_FOUND: u32 = 32;
    /// The height is not committed yet.
    pub const HEIGHT_NOT_COMMITTED: u32 = 33;
}
