//! Why a staking or slashing message is refused: one variant per rule, each
//! with its own stable ABCI code (`crate::codes::tx`, 40-69).

use crate::codes::tx as codes;
use thiserror::Error;

/// A staking or slashing message breaks a rule.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StakingError {
    /// No validator with that operator address.
    #[error("validator {0} does not exist")]
    UnknownValidator(String),
    /// The operator already runs a validator.
    #[error("validator {0} already exists")]
    ValidatorExists(String),
    /// The consensus key is, or was, another validator's.
    #[error("consensus key {0} is already used by a validator (keys are never reused)")]
    ConsensusKeyInUse(String),
    /// The consensus key is not ed25519.
    #[error("consensus key: {0}")]
    ConsensusKeyType(String),
    /// Commission rates out of range.
    #[error("commission: {0}")]
    Commission(String),
    /// A commission change that is too large or too soon.
    #[error("commission change: {0}")]
    CommissionChange(String),
    /// The operator's self-delegation would fall below its minimum.
    #[error("self-delegation {self_delegation} is below the minimum self-delegation {min}")]
    SelfDelegationBelowMin {
        /// What the self-delegation would be, in tokens.
        self_delegation: u128,
        /// The minimum.
        min: u128,
    },
    /// A zero amount, or one worth no shares or tokens.
    #[error("amount too small: {0}")]
    AmountTooSmall(String),
    /// Not the bond denom.
    #[error("amount must be in the bond denom {expected}, got {got:?}")]
    BondDenom {
        /// The bond denom.
        expected: String,
        /// What was given.
        got: String,
    },
    /// No delegation, or not enough of it.
    #[error("{0}")]
    NoDelegation(String),
    /// Too many entries for one pair.
    #[error("{kind} entries for this pair are at the maximum of {max}; wait for one to mature")]
    MaxEntries {
        /// `unbonding` or `redelegation`.
        kind: &'static str,
        /// The limit (`max_entries`).
        max: u32,
    },
    /// Shares but no tokens.
    #[error("validator {0} has delegator shares but no tokens: it cannot take delegations")]
    InvalidExchangeRate(String),
    /// Tombstoned.
    #[error(
        "validator {0} is tombstoned for double signing and can never be unjailed or delegated to"
    )]
    Tombstoned(String),
    /// Not jailed.
    #[error("validator {0} is not jailed")]
    NotJailed(String),
    /// Jailed until later.
    #[error("validator {validator} is jailed until {until_seconds} (unix seconds); block time is {now_seconds}")]
    StillJailed {
        /// The validator.
        validator: String,
        /// End of the jail time.
        until_seconds: i64,
        /// The block time.
        now_seconds: i64,
    },
    /// Source equals destination.
    #[error("cannot redelegate to the same validator")]
    SelfRedelegation,
    /// Redelegating stake still arriving from another redelegation.
    #[error(
        "stake redelegated to {0} is still maturing: it cannot be redelegated again until then"
    )]
    TransitiveRedelegation(String),
    /// No such unbonding entry.
    #[error("{0}")]
    NoUnbondingEntry(String),
    /// The minimum self-delegation may only rise.
    #[error("minimum self-delegation may only increase: {current} → {requested}")]
    MinSelfDelegationDecrease {
        /// The current minimum.
        current: u128,
        /// The requested one.
        requested: u128,
    },
    /// A description field is too long.
    #[error("description {field} is {len} bytes, at most {max} allowed")]
    DescriptionTooLong {
        /// Which field.
        field: &'static str,
        /// Its length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The validator is jailed.
    #[error("validator {0} is jailed")]
    ValidatorJailed(String),
}

impl StakingError {
    /// The ABCI code, stable across versions and distinct per variant.
    pub fn code(&self) -> u32 {
        match self {
            StakingError::UnknownValidator(_) => codes::UNKNOWN_VALIDATOR,
            StakingError::ValidatorExists(_) => codes::VALIDATOR_EXISTS,
            StakingError::ConsensusKeyInUse(_) => codes::CONSENSUS_KEY_IN_USE,
            StakingError::ConsensusKeyType(_) => codes::CONSENSUS_KEY_TYPE,
            StakingError::Commission(_) => codes::COMMISSION_INVALID,
            StakingError::CommissionChange(_) => codes::COMMISSION_CHANGE,
            StakingError::SelfDelegationBelowMin { .. } => codes::SELF_DELEGATION_BELOW_MIN,
            StakingError::AmountTooSmall(_) => codes::AMOUNT_TOO_SMALL,
            StakingError::BondDenom { .. } => codes::BOND_DENOM,
            StakingError::NoDelegation(_) => codes::NO_DELEGATION,
            StakingError::MaxEntries { .. } => codes::MAX_ENTRIES,
            StakingError::InvalidExchangeRate(_) => codes::INVALID_EXCHANGE_RATE,
            StakingError::Tombstoned(_) => codes::TOMBSTONED,
            StakingError::NotJailed(_) => codes::NOT_JAILED,
            StakingError::StillJailed { .. } => codes::STILL_JAILED,
            StakingError::SelfRedelegation => codes::SELF_REDELEGATION,
            StakingError::TransitiveRedelegation(_) => codes::TRANSITIVE_REDELEGATION,
            StakingError::NoUnbondingEntry(_) => codes::NO_UNBONDING_ENTRY,
            StakingError::MinSelfDelegationDecrease { .. } => codes::MIN_SELF_DELEGATION_DECREASE,
            StakingError::DescriptionTooLong { .. } => codes::DESCRIPTION_TOO_LONG,
            StakingError::ValidatorJailed(_) => codes::VALIDATOR_JAILED,
        }
    }
}
