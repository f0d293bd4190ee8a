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

    // Staking and slashing (docs/staking.md): 40-69.

    /// No validator with that operator address.
    pub const UNKNOWN_VALIDATOR: u32 = 40;
    /// The operator already runs a validator.
    pub const VALIDATOR_EXISTS: u32 = 41;
    /// The consensus key is (or was) used by another validator.
    pub const CONSENSUS_KEY_IN_USE: u32 = 42;
    /// The consensus key is not an ed25519 key of 32 bytes.
    pub const CONSENSUS_KEY_TYPE: u32 = 43;
    /// Commission rates out of range (rate above max, max above 1, …).
    pub const COMMISSION_INVALID: u32 = 44;
    /// A commission change too large or too soon after the last one.
    pub const COMMISSION_CHANGE: u32 = 45;
    /// The operator's self-delegation would be below its minimum.
    pub const SELF_DELEGATION_BELOW_MIN: u32 = 46;
    /// A zero amount, or one that is worth no shares or tokens.
    pub const AMOUNT_TOO_SMALL: u32 = 47;
    /// An amount in another denom than the bond denom.
    pub const BOND_DENOM: u32 = 48;
    /// No delegation, or fewer shares than asked for.
    pub const NO_DELEGATION: u32 = 49;
    /// Too many unbonding or redelegation entries for one pair.
    pub const MAX_ENTRIES: u32 = 50;
    /// The validator has shares but no tokens left.
    pub const INVALID_EXCHANGE_RATE: u32 = 51;
    /// The validator is tombstoned (slashed for double signing).
    pub const TOMBSTONED: u32 = 52;
    /// MsgUnjail for a validator that is not jailed.
    pub const NOT_JAILED: u32 = 53;
    /// MsgUnjail before the jail time is over.
    pub const STILL_JAILED: u32 = 54;
    /// A redelegation to the same validator.
    pub const SELF_REDELEGATION: u32 = 55;
    /// A redelegation of stake that is itself still being redelegated.
    pub const TRANSITIVE_REDELEGATION: u32 = 56;
    /// No unbonding entry at that creation height, or less in it than asked.
    pub const NO_UNBONDING_ENTRY: u32 = 57;
    /// A lower minimum self-delegation than the current one.
    pub const MIN_SELF_DELEGATION_DECREASE: u32 = 58;
    /// A description field longer than allowed.
    pub const DESCRIPTION_TOO_LONG: u32 = 59;
    /// The validator is jailed.
    pub const VALIDATOR_JAILED: u32 = 60;

    // L1 anchoring (docs/l1.md): 70-79.

    /// An L1 key on a chain that is not anchored on an L1.
    pub const L1_NOT_ANCHORED: u32 = 70;
    /// The L1 key's proof of possession does not verify.
    pub const L1_KEY_PROOF: u32 = 71;
    /// The L1 key is (or was) another operator's.
    pub const L1_KEY_IN_USE: u32 = 72;
    /// A new validator without an L1 key on an anchored chain.
    pub const L1_KEY_REQUIRED: u32 = 73;
    /// The L1 key is already the validator's.
    pub const L1_KEY_UNCHANGED: u32 = 74;

    // Blind ordering (docs/blind-ordering.md): 80-89.

    /// The chain has no encryption key (none at genesis, or not yet).
    pub const ENCRYPTION_OFF: u32 = 80;
    /// Encryption was switched off after repeated expiries (plaintext only).
    pub const ENCRYPTION_INACTIVE: u32 = 81;
    /// The envelope is encrypted to another key epoch than the current one.
    pub const ENCRYPTION_WRONG_EPOCH: u32 = 82;
    /// An encrypted transaction with other messages beside its envelope.
    pub const ENCRYPTION_NOT_ALONE: u32 = 83;
    /// The block already holds as many envelopes as it may.
    pub const ENCRYPTION_BLOCK_FULL: u32 = 84;
    /// The envelope's ciphertext is not well formed (e.g. not a G2 point).
    pub const ENCRYPTION_MALFORMED: u32 = 85;
    /// No epoch key yet: the first key generation is running.
    pub const ENCRYPTION_KEY_GENERATION: u32 = 86;
    /// A new epoch key is made: the current epoch takes no more envelopes
    /// (its pending ones are resolved first, then the new key is installed).
    pub const ENCRYPTION_EPOCH_ENDING: u32 = 87;

    // Key generation (docs/blind-ordering.md §4): 90-99.

    /// Key-generation keys on a chain whose keys come from a dealer.
    pub const DKG_NOT_GENERATED: u32 = 90;
    /// The key-generation keys' proof of possession does not verify (or the
    /// identity is not an ed25519 point).
    pub const DKG_KEY_PROOF: u32 = 91;
    /// The key-generation keys are (or were) another operator's.
    pub const DKG_KEY_IN_USE: u32 = 92;
    /// A new validator without key-generation keys on a chain that
    /// generates its keys.
    pub const DKG_KEY_REQUIRED: u32 = 93;
    /// The key-generation keys are already the validator's.
    pub const DKG_KEY_UNCHANGED: u32 = 94;
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
