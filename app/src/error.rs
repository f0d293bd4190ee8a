//! Why a transaction, a proposal or a vote extension is refused; a
//! transaction's error carries the stable code CometBFT reports for it.

use quire_core::codes::tx as codes;
use thiserror::Error;

/// State could not be read (I/O, or a record that does not decode). Not the
/// transaction's fault: it is surfaced to the node operator rather than
/// charged to the submitter, and it stops the node.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[error("storage error: {0}")]
pub struct StateReadError(pub String);

/// A transaction was refused. Each variant has a distinct, stable ABCI code (see
/// [`TxError::code`]); the `Display` text is the readable log.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TxError {
    /// The bytes are not a Cosmos SDK `TxRaw` with decodable body and auth info.
    #[error("tx decode failed: {0}")]
    Decode(String),
    /// The encoded transaction is larger than the chain allows.
    #[error("tx is {size} bytes, larger than the maximum of {max} bytes")]
    TooLarge { size: usize, max: u64 },
    /// The transaction decodes but its content breaks a rule (no messages,
    /// several signers, unknown message type, malformed address or namespace...).
    #[error("invalid tx: {0}")]
    Invalid(InvalidTx),
    /// The transaction names a chain id other than this chain's.
    #[error("wrong chain id: tx is for {got:?}, this chain is {expected:?}")]
    WrongChainId { expected: String, got: String },
    /// The signature does not verify over the signed bytes.
    #[error("signature verification failed: check the chain id ({chain_id}) and account number ({account_number}) the tx was signed for")]
    BadSignature {
        chain_id: String,
        account_number: u64,
    },
    /// The signer has no account on this chain.
    #[error("account {0} does not exist: fund it first")]
    UnknownAccount(String),
    /// The sequence was already used by an earlier transaction of this account.
    #[error("sequence {got} of account {account} was already used; expected {expected}")]
    SequenceReused {
        account: String,
        expected: u64,
        got: u64,
    },
    /// The sequence skips ahead of the account's next sequence.
    #[error("sequence {got} of account {account} is ahead of the expected {expected}; send the missing sequences first")]
    SequenceGap {
        account: String,
        expected: u64,
        got: u64,
    },
    /// The offered fee is lower than base + per-byte x blob bytes.
    #[error("insufficient fee: offered {offered}{denom}, required {required}{denom}")]
    InsufficientFee {
        offered: u128,
        required: u128,
        denom: String,
    },
    /// The fee is not paid in the chain's fee denom.
    #[error("fee must be paid in {expected}, got {got:?}")]
    WrongFeeDenom { expected: String, got: String },
    /// The signer cannot pay the fee plus what it sends.
    #[error("insufficient funds: account {account} has {balance}, needs {needed}")]
    InsufficientFunds {
        account: String,
        balance: u128,
        needed: u128,
    },
    /// One blob is larger than the chain allows.
    #[error("blob {index} is {size} bytes, larger than the maximum of {max} bytes")]
    BlobTooLarge { index: usize, size: usize, max: u64 },
    /// The transaction's blobs would not fit in the block's blob-byte budget.
    #[error("block blob budget exceeded: tx carries {tx_bytes} blob bytes, {remaining} of {max} remain in this block")]
    BlockBlobBudget {
        tx_bytes: u64,
        remaining: u64,
        max: u64,
    },
    /// The transaction's timeout height has passed.
    #[error("tx timed out: timeout height {timeout_height} < block height {height}")]
    TimedOut { timeout_height: u64, height: u64 },
    /// The transaction appears twice in one block.
    #[error("duplicate tx in block")]
    Duplicate,
    /// A staking or slashing message breaks one of their rules (each rule
    /// has its own code, 40-69).
    #[error("message {index}: {error}")]
    Staking {
        /// Position of the message.
        index: usize,
        /// The rule broken.
        error: quire_core::staking::StakingError,
    },
    /// An L1 anchoring rule is broken (codes 70-79).
    #[error("message {index}: {error}")]
    L1 {
        /// Position of the message.
        index: usize,
        /// The rule broken.
        error: quire_core::l1::L1TxError,
    },
    /// A rule of encrypted submission is broken (codes 80-89).
    #[error("message {index}: {error}")]
    Encryption {
        /// Position of the message.
        index: usize,
        /// The rule broken.
        error: quire_core::encryption::EncryptionTxError,
    },
    /// State could not be read; the node operator must look at the node.
    #[error("internal error: {0}")]
    Storage(#[from] StateReadError),
}

impl TxError {
    /// The ABCI code, stable across versions, unique per variant, never 0.
    pub fn code(&self) -> u32 {
        match self {
            TxError::Decode(_) => codes::DECODE,
            TxError::TooLarge { .. } => codes::TOO_LARGE,
            TxError::Invalid(_) => codes::INVALID,
            TxError::WrongChainId { .. } => codes::WRONG_CHAIN_ID,
            TxError::BadSignature { .. } => codes::BAD_SIGNATURE,
            TxError::UnknownAccount(_) => codes::UNKNOWN_ACCOUNT,
            TxError::SequenceReused { .. } => codes::SEQUENCE_REUSED,
            TxError::SequenceGap { .. } => codes::SEQUENCE_GAP,
            TxError::InsufficientFee { .. } => codes::INSUFFICIENT_FEE,
            TxError::WrongFeeDenom { .. } => codes::WRONG_FEE_DENOM,
            TxError::InsufficientFunds { .. } => codes::INSUFFICIENT_FUNDS,
            TxError::BlobTooLarge { .. } => codes::BLOB_TOO_LARGE,
            TxError::BlockBlobBudget { .. } => codes::BLOCK_BLOB_BUDGET,
            TxError::TimedOut { .. } => codes::TIMED_OUT,
            TxError::Duplicate => codes::DUPLICATE,
            TxError::Staking { error, .. } => error.code(),
            TxError::L1 { error, .. } => error.code(),
            TxError::Encryption { error, .. } => error.code(),
            TxError::Storage(_) => codes::INTERNAL,
        }
    }
}

/// Why a transaction that decodes is invalid (all [`TxError::Invalid`], ABCI
/// code 4).
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum InvalidTx {
    /// It carries a system transaction's tag.
    #[error("a {kind} system transaction is put in blocks by proposers, not submitted")]
    SystemTx {
        /// The kind of system transaction.
        kind: &'static str,
    },
    /// Not exactly one signature.
    #[error("expected exactly 1 signature, got {0}")]
    SignatureCount(usize),
    /// A signature that is not 64 bytes `r ‖ s` with r and s in range.
    #[error(
        "signature must be 64 bytes r ‖ s with r and s in 1..n (the group order), got {0} bytes"
    )]
    SignatureEncoding(usize),
    /// Not exactly one signer.
    #[error("expected exactly 1 signer, got {0}")]
    SignerCount(usize),
    /// The signer info has no public key.
    #[error("signer_info has no public key")]
    NoPublicKey,
    /// A public key of another type than secp256k1.
    #[error("unsupported public key type {0:?}: only secp256k1")]
    PublicKeyType(String),
    /// A public key that is not 33 bytes.
    #[error("public key must be 33 bytes (compressed), got {0}")]
    PublicKeyLength(usize),
    /// A public key that is not in compressed SEC1 form.
    #[error("public key must start with 02 or 03 (compressed), got {0:02x}")]
    PublicKeyPrefix(u8),
    /// A public key that is no point of the curve.
    #[error("public key is not a secp256k1 point")]
    PublicKeyNotOnCurve,
    /// Another sign mode than SIGN_MODE_DIRECT.
    #[error("only SIGN_MODE_DIRECT with a single signer is supported")]
    SignMode,
    /// The auth info has no fee.
    #[error("auth_info has no fee")]
    NoFee,
    /// A fee payer or granter.
    #[error("fee payer and fee granter are not supported")]
    FeePayer,
    /// A fee of several coins.
    #[error("fee must be one coin, got {0}")]
    FeeCoins(usize),
    /// An amount that is not a decimal u128.
    #[error("{what} amount {text:?} is not a non-negative integer")]
    Amount {
        /// Which amount.
        what: &'static str,
        /// What was given.
        text: String,
    },
    /// A critical extension option (none is supported).
    #[error("unsupported critical extension option {0:?}")]
    CriticalExtension(String),
    /// No messages.
    #[error("tx has no messages")]
    NoMessages,
    /// Too many messages.
    #[error("tx has {count} messages, at most {max} allowed")]
    TooManyMessages {
        /// How many.
        count: usize,
        /// The limit.
        max: usize,
    },
    /// A message of a type no component handles.
    #[error("message {index}: unsupported message type {type_url:?}")]
    UnknownMessage {
        /// Position of the message.
        index: usize,
        /// Its type URL.
        type_url: String,
    },
    /// A message that breaks a rule of form.
    #[error("message {index}: {reason}")]
    Message {
        /// Position of the message.
        index: usize,
        /// What is wrong.
        reason: quire_core::msg::MsgError,
    },
    /// A send of another denom than the fee denom.
    #[error("message {index}: can only send {allowed}, not {got:?}")]
    SendDenom {
        /// Position of the message.
        index: usize,
        /// The fee denom.
        allowed: String,
        /// The denom sent.
        got: String,
    },
    /// The required fee overflows.
    #[error("fee computation overflows")]
    FeeOverflow,
    /// The fee plus the amounts sent overflow.
    #[error("total amount overflows")]
    AmountOverflow,
    /// The fee pool would overflow.
    #[error("fee pool would overflow")]
    FeePoolOverflow,
    /// A recipient's balance would overflow.
    #[error("balance of {0} would overflow")]
    BalanceOverflow(quire_core::Address),
    /// Staked amounts or shares would overflow.
    #[error("staking amounts would overflow")]
    StakeOverflow,
}

/// A failure that must stop the node rather than be answered: its own state
/// could not be read, CometBFT broke the ABCI call order, the genesis is
/// unusable, or a component misbehaved.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AppError {
    /// State could not be read.
    #[error(transparent)]
    State(#[from] StateReadError),
    /// A call out of order (e.g. Commit without FinalizeBlock).
    #[error("ABCI protocol violation: {0}")]
    Protocol(String),
    /// InitChain with a genesis the app cannot use.
    #[error("bad genesis: {0}")]
    Genesis(String),
    /// A component broke its contract (a system tx larger than it reserved,
    /// an oversized vote extension section, a clashing registration).
    #[error("component error: {0}")]
    Component(String),
}

/// A system transaction (one the proposer puts first in a block) is wrong.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SystemTxError {
    /// The bytes do not decode as this kind of system transaction.
    #[error("malformed: {0}")]
    Malformed(String),
    /// The L1 checkpoint attestation is wrong (signers, signatures, power).
    #[error("attestation: {0}")]
    Attestation(String),
    /// The reveal is wrong (slots, keys, expiry).
    #[error("reveal: {0}")]
    Reveal(String),
    /// A key-generation message is wrong (round, phase, signature, content).
    #[error("dkg: {0}")]
    Dkg(String),
    /// The namespace commitment is not the one the block's blobs give.
    #[error("commitment {got:?} does not match the block's blobs ({expected:?})")]
    CommitmentMismatch {
        /// What the blobs give.
        expected: Box<quire_core::commitment::NamespaceCommitment>,
        /// What the proposal carries.
        got: Box<quire_core::commitment::NamespaceCommitment>,
    },
}

/// Why a proposal was rejected.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ProposalError {
    /// The block lacks a system transaction it must start with.
    #[error("the proposal does not start with its {kind} system transaction")]
    MissingSystemTx {
        /// The kind missing, e.g. `commitment`.
        kind: &'static str,
    },
    /// A system transaction is wrong.
    #[error("system tx {index} ({kind}) of the proposal is invalid: {error}")]
    SystemTx {
        /// Index of the system transaction in the block.
        index: usize,
        /// Its kind.
        kind: &'static str,
        /// What is wrong with it.
        error: SystemTxError,
    },
    /// A user transaction breaks a rule.
    #[error("tx {index} of the proposal is invalid: {error}")]
    Tx {
        /// Index of the offending transaction in the block.
        index: usize,
        /// What is wrong with it.
        error: TxError,
    },
    /// The user transactions are valid but not in the canonical order.
    #[error("the proposal's user txs (from block tx {first_user_tx} on) are not in the canonical order: {error}")]
    Order {
        /// Index in the block of the first user transaction.
        first_user_tx: usize,
        /// Where the order breaks.
        error: quire_core::order::OrderError,
    },
    /// State could not be read (the node's problem, not the proposal's).
    #[error(transparent)]
    Storage(#[from] StateReadError),
}

/// Why a vote extension was rejected.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum VoteExtensionError {
    /// Larger than the total limit.
    #[error("vote extension is {size} bytes, more than the {max} allowed")]
    TooLarge {
        /// Its size.
        size: usize,
        /// The limit.
        max: usize,
    },
    /// Does not decode as sections.
    #[error("vote extension does not decode: {0}")]
    Malformed(String),
    /// Sections out of order, repeated, or of no component.
    #[error("vote extension section {index} ({component:?}) is not expected here")]
    UnexpectedSection {
        /// Position of the section.
        index: usize,
        /// The component it names.
        component: String,
    },
    /// A section is larger than its component allows.
    #[error("vote extension section {component} is {size} bytes, more than the {max} allowed")]
    SectionTooLarge {
        /// The component.
        component: &'static str,
        /// Its size.
        size: usize,
        /// The component's limit.
        max: usize,
    },
    /// A component's section is missing or wrong.
    #[error("vote extension section {component}: {reason}")]
    Invalid {
        /// The component.
        component: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// State could not be read (the node's problem).
    #[error(transparent)]
    Storage(#[from] StateReadError),
}

#[cfg(test)]
mod tests {
    use super::*;
    use quire_core::staking::StakingError;

    fn staking_errors() -> Vec<StakingError> {
        let s = String::new;
        vec![
            StakingError::UnknownValidator(s()),
            StakingError::ValidatorExists(s()),
            StakingError::ConsensusKeyInUse(s()),
            StakingError::ConsensusKeyType(s()),
            StakingError::Commission(s()),
            StakingError::CommissionChange(s()),
            StakingError::SelfDelegationBelowMin {
                self_delegation: 0,
                min: 0,
            },
            StakingError::AmountTooSmall(s()),
            StakingError::BondDenom {
                expected: s(),
                got: s(),
            },
            StakingError::NoDelegation(s()),
            StakingError::MaxEntries { kind: "", max: 0 },
            StakingError::InvalidExchangeRate(s()),
            StakingError::Tombstoned(s()),
            StakingError::NotJailed(s()),
            StakingError::StillJailed {
                validator: s(),
                until_seconds: 0,
                now_seconds: 0,
            },
            StakingError::SelfRedelegation,
            StakingError::TransitiveRedelegation(s()),
            StakingError::NoUnbondingEntry(s()),
            StakingError::MinSelfDelegationDecrease {
                current: 0,
                requested: 0,
            },
            StakingError::DescriptionTooLong {
                field: "",
                len: 0,
                max: 0,
            },
            StakingError::ValidatorJailed(s()),
        ]
    }

    #[test]
    fn codes_are_distinct_and_non_zero() {
        let errors = [
            TxError::Decode(String::new()),
            TxError::TooLarge { size: 0, max: 0 },
            TxError::Invalid(InvalidTx::NoMessages),
            TxError::WrongChainId {
                expected: String::new(),
                got: String::new(),
            },
            TxError::BadSignature {
                chain_id: String::new(),
                account_number: 0,
            },
            TxError::UnknownAccount(String::new()),
            TxError::SequenceReused {
                account: String::new(),
                expected: 0,
                got: 0,
            },
            TxError::SequenceGap {
                account: String::new(),
                expected: 0,
                got: 0,
            },
            TxError::InsufficientFee {
                offered: 0,
                required: 0,
                denom: String::new(),
            },
            TxError::WrongFeeDenom {
                expected: String::new(),
                got: String::new(),
            },
            TxError::InsufficientFunds {
                account: String::new(),
                balance: 0,
                needed: 0,
            },
            TxError::BlobTooLarge {
                index: 0,
                size: 0,
                max: 0,
            },
            TxError::BlockBlobBudget {
                tx_bytes: 0,
                remaining: 0,
                max: 0,
            },
            TxError::TimedOut {
                timeout_height: 0,
                height: 0,
            },
            TxError::Duplicate,
            TxError::Storage(StateReadError(String::new())),
        ];
        use quire_core::encryption::EncryptionTxError as E;
        let encryption = [
            E::Off,
            E::Inactive {
                since: 0,
                expired: 0,
            },
            E::WrongEpoch { got: 0, current: 0 },
            E::NotAlone(0),
            E::BlockFull { max: 0 },
            E::Malformed(String::new()),
        ]
        .into_iter()
        .map(|error| TxError::Encryption { index: 0, error });
        let staking = staking_errors()
            .into_iter()
            .map(|error| TxError::Staking { index: 0, error });
        let errors: Vec<TxError> = errors
            .into_iter()
            .chain(staking)
            .chain(encryption)
            .collect();
        let mut codes: Vec<u32> = errors.iter().map(TxError::code).collect();
        assert!(codes.iter().all(|c| *c != 0));
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), errors.len());
    }
}
