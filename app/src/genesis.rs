//! The app's part of genesis: params and funded accounts, and the state they
//! produce at InitChain.

use crate::staking::StakingGenesis;
use quire_core::params::{u128_string, Params, ParamsError};
use quire_core::Address;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use thiserror::Error;

/// The `app_state` of a Quire genesis file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisState {
    /// Chain parameters.
    pub params: Params,
    /// Accounts that exist at genesis, numbered in this order from 0.
    pub accounts: Vec<GenesisAccount>,
    /// Staking parameters and the validators bonded at genesis.
    #[serde(default)]
    pub staking: StakingGenesis,
    /// L1 anchoring: the L1's chain id and the validators' L1 keys. Absent:
    /// the chain is not anchored (no checkpoint signatures).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub l1: Option<crate::l1::L1Genesis>,
    /// Blind ordering: the epoch key and who holds its shares. Absent: the
    /// chain takes plaintext blobs only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encryption: Option<crate::encryption::EncryptionGenesis>,
}

/// A funded account at genesis.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisAccount {
    /// Bech32 address (`quire1...`).
    pub address: String,
    /// Balance in the fee denom, as a decimal string.
    #[serde(with = "u128_string")]
    pub balance: u128,
}

/// What every component's `init_chain` gets: the validated genesis.
#[derive(Debug, Clone)]
pub struct Genesis<'a> {
    /// The chain id.
    pub chain_id: &'a str,
    /// Height of the first block.
    pub initial_height: u64,
    /// The `app_state` as the genesis file has it.
    pub state: &'a GenesisState,
    /// The accounts, parsed and checked, in genesis order.
    pub accounts: Vec<(Address, u128)>,
}

/// Why a genesis state is unusable.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum GenesisError {
    /// Bad params.
    #[error("app_state.params: {0}")]
    Params(#[from] ParamsError),
    /// An account entry is wrong.
    #[error("app_state.accounts[{index}]: {reason}")]
    Account {
        /// Position in the list.
        index: usize,
        /// What is wrong.
        reason: String,
    },
    /// The chain id is unusable.
    #[error("chain_id: {0}")]
    ChainId(String),
    /// A genesis validator is wrong.
    #[error("app_state.staking.validators[{index}]: {reason}")]
    Validator {
        /// Position in the list.
        index: usize,
        /// What is wrong.
        reason: String,
    },
    /// A staking parameter is out of range.
    #[error("app_state.staking.params.{field}: {reason}")]
    StakingParams {
        /// The parameter.
        field: &'static str,
        /// Why.
        reason: String,
    },
    /// The L1 anchoring section is wrong.
    #[error("app_state.l1: {0}")]
    L1(String),
    /// The encryption section is wrong.
    #[error("app_state.encryption: {0}")]
    Encryption(String),
    /// The sum of balances overflows.
    #[error("app_state.accounts: total supply overflows u128")]
    SupplyOverflow,
    /// The genesis state could not be committed to (a bug, not the file's fault).
    #[error("genesis state tree: {0}")]
    State(String),
}

/// Checks a chain id: 1-50 characters of `[a-zA-Z0-9._-]` (CometBFT allows 50).
pub fn validate_chain_id(chain_id: &str) -> Result<(), GenesisError> {
    if chain_id.is_empty() || chain_id.len() > 50 {
        return Err(GenesisError::ChainId(format!(
            "must be 1-50 characters, got {}",
            chain_id.len()
        )));
    }
    if !chain_id
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
    {
        return Err(GenesisError::ChainId(format!(
            "{chain_id:?} may only contain letters, digits, '.', '_' and '-'"
        )));
    }
    Ok(())
}

impl GenesisState {
    /// Checks params, addresses (valid, unique) and the total supply.
    pub fn validate(&self) -> Result<Vec<(Address, u128)>, GenesisError> {
        self.params.validate()?;
        let mut seen = BTreeSet::new();
        let mut supply: u128 = 0;
        let mut accounts = Vec::with_capacity(self.accounts.len());
        for (index, entry) in self.accounts.iter().enumerate() {
            let address: Address = entry.address.parse().map_err(|e| GenesisError::Account {
                index,
                reason: format!("address: {e}"),
            })?;
            if !seen.insert(address) {
                return Err(GenesisError::Account {
                    index,
                    reason: format!("duplicate address {}", entry.address),
                });
            }
            supply = supply
                .checked_add(entry.balance)
                .ok_or(GenesisError::SupplyOverflow)?;
            accounts.push((address, entry.balance));
        }
        if supply / quire_core::staking::POWER_REDUCTION
            > u128::from(quire_core::staking::MAX_TOTAL_VOTING_POWER)
        {
            return Err(GenesisError::SupplyOverflow);
        }
        self.validate_staking(&accounts)?;
        Ok(accounts)
    }

    /// Checks the staking params and every genesis validator: a valid
    /// `MsgCreateValidator`, an operator with a genesis account holding
    /// its self-bond, one validator per operator and per key.
    fn validate_staking(&self, accounts: &[(Address, u128)]) -> Result<(), GenesisError> {
        let staking = &self.staking;
        staking
            .params
            .validate()
            .map_err(|(field, reason)| GenesisError::StakingParams { field, reason })?;
        let mut operators = BTreeSet::new();
        let mut keys = BTreeSet::new();
        for (index, bond) in staking.validators.iter().enumerate() {
            let reason = |reason: String| GenesisError::Validator { index, reason };
            let operator: Address = bond
                .operator
                .parse()
                .map_err(|e| reason(format!("operator: {e}")))?;
            let msg = bond.to_msg(&self.params.fee_denom).map_err(reason)?;
            if !operators.insert(operator) {
                return Err(reason(format!(
                    "operator {} has two validators",
                    bond.operator
                )));
            }
            if !keys.insert(msg.consensus_key) {
                return Err(reason(format!(
                    "consensus_pubkey {} is used twice",
                    bond.consensus_pubkey
                )));
            }
            match accounts.iter().find(|(address, _)| *address == operator) {
                None => {
                    return Err(reason(format!(
                        "operator {} has no genesis account to self-bond from",
                        bond.operator
                    )))
                }
                Some((_, balance)) if *balance < bond.self_bond => {
                    return Err(reason(format!(
                        "operator {} holds {balance}, less than its self_bond {}",
                        bond.operator, bond.self_bond
                    )))
                }
                Some(_) => {}
            }
        }
        Ok(())
    }
}
