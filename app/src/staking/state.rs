//! staking's state: validator, delegation and entry records, the pools, the
//! last set sent, and typed reads and writes of them.
//!
//! Records are borsh (fixed field order, explicit integer widths); a version
//! byte leads each so a later layout can be told apart.

use super::keys;
use crate::context::Timestamp;
use crate::error::StateReadError;
use crate::state::{decode_u128, decode_u64, StateRead, StateWrite};
use borsh::{BorshDeserialize, BorshSerialize};
use quire_core::staking::msg::{CommissionRates, Description};
use quire_core::staking::{voting_power, StakingParams};
use quire_core::Address;

/// Version byte of every staking record.
const RECORD_V1: u8 = 1;

/// Where a validator is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, BorshSerialize, BorshDeserialize)]
#[borsh(use_discriminant = true)]
#[repr(u8)]
pub enum BondStatus {
    /// Not in the active set; its stake is not slashable for new faults.
    Unbonded = 1,
    /// Left the active set; its stake stays slashable until `unbonding_completion`.
    Unbonding = 2,
    /// In the active set.
    Bonded = 3,
}

impl BondStatus {
    /// The SDK's name (`BOND_STATUS_BONDED`, …).
    pub fn sdk_name(self) -> &'static str {
        match self {
            BondStatus::Unbonded => "BOND_STATUS_UNBONDED",
            BondStatus::Unbonding => "BOND_STATUS_UNBONDING",
            BondStatus::Bonded => "BOND_STATUS_BONDED",
        }
    }
}

/// A time as records keep it.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, BorshSerialize, BorshDeserialize,
)]
pub struct Time {
    /// Seconds since the epoch.
    pub seconds: i64,
    /// Nanoseconds within the second.
    pub nanos: u32,
}

impl From<Timestamp> for Time {
    fn from(t: Timestamp) -> Self {
        Time {
            seconds: t.seconds,
            nanos: t.nanos,
        }
    }
}

impl From<Time> for Timestamp {
    fn from(t: Time) -> Self {
        Timestamp {
            seconds: t.seconds,
            nanos: t.nanos,
        }
    }
}

/// A validator.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct Validator {
    /// The operator's account (its `quirevaloper` address is the same bytes).
    pub operator: Address20,
    /// The ed25519 consensus key.
    pub consensus_key: [u8; 32],
    /// Bonded, unbonding or unbonded.
    pub status: BondStatus,
    /// Jailed validators are never in the active set.
    pub jailed: bool,
    /// Jailed for good (double signing).
    pub tombstoned: bool,
    /// May not be unjailed before this time.
    pub jailed_until: Time,
    /// Bonded tokens (in the pool of its status).
    pub tokens: u128,
    /// Total shares of its delegators (`Dec` atoms).
    pub delegator_shares: u128,
    /// Public description.
    pub description: Description,
    /// Height it started unbonding at.
    pub unbonding_height: u64,
    /// When its unbonding completes.
    pub unbonding_completion: Time,
    /// Commission rates.
    pub commission: CommissionRates,
    /// When the commission rate last changed.
    pub commission_update_time: Time,
    /// The least the operator's own delegation may be worth.
    pub min_self_delegation: u128,
    /// The height it was created at.
    pub creation_height: u64,
}

/// Raw address bytes in records (borsh has no `Address`).
pub type Address20 = [u8; 20];

impl Validator {
    /// The operator.
    pub fn operator(&self) -> Address {
        Address::new(self.operator)
    }

    /// Its voting power.
    pub fn power(&self) -> u64 {
        voting_power(self.tokens)
    }

    /// The operator's address in bech32 (`quirevaloper1…`).
    pub fn valoper(&self) -> String {
        self.operator().to_valoper()
    }
}

/// One unbonding (or, for redelegations, one move) in progress.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct Entry {
    /// Height it was created at.
    pub creation_height: u64,
    /// When it matures.
    pub completion: Time,
    /// Tokens at creation.
    pub initial_balance: u128,
    /// Unbonding: tokens still to pay out (slashing lowers it).
    /// Redelegation: shares it added at the destination.
    pub balance: u128,
}

fn encode<T: BorshSerialize>(record: &T) -> Vec<u8> {
    let mut out = vec![RECORD_V1];
    // Writing to a Vec cannot fail.
    let _ = borsh::to_writer(&mut out, record);
    out
}

fn decode<T: BorshDeserialize>(bytes: &[u8], what: &str) -> Result<T, StateReadError> {
    match bytes.split_first() {
        Some((&RECORD_V1, rest)) => borsh::from_slice(rest)
            .map_err(|e| StateReadError(format!("corrupt {what} record: {e}"))),
        _ => Err(StateReadError(format!(
            "corrupt {what} record: unknown version"
        ))),
    }
}

fn read<T: BorshDeserialize>(
    state: &(impl StateRead + ?Sized),
    key: &[u8],
    what: &str,
) -> Result<Option<T>, StateReadError> {
    state.get(key)?.map(|b| decode(&b, what)).transpose()
}

/// Typed reads of staking's state.
pub trait StakingRead: StateRead {
    /// The staking parameters.
    fn staking_params(&self) -> Result<StakingParams, StateReadError> {
        match self.get(keys::PARAMS)? {
            Some(bytes) => serde_json::from_slice(&bytes)
                .map_err(|e| StateReadError(format!("corrupt staking params: {e}"))),
            None => Ok(StakingParams::default()),
        }
    }

    /// The validator operated by `operator`.
    fn validator(&self, operator: &Address) -> Result<Option<Validator>, StateReadError> {
        read(self, &keys::validator(operator), "validator")
    }

    /// Every validator, in operator order.
    fn validators(&self) -> Result<Vec<Validator>, StateReadError> {
        self.prefix(keys::VALIDATORS)?
            .iter()
            .map(|(_, value)| decode(value, "validator"))
            .collect()
    }

    /// The operator that uses (or used) the consensus address.
    fn operator_of(&self, consensus: &[u8; 20]) -> Result<Option<Address>, StateReadError> {
        self.get(&keys::consensus(consensus))?
            .map(|bytes| {
                <[u8; 20]>::try_from(bytes.as_slice())
                    .map(Address::new)
                    .map_err(|_| StateReadError("corrupt consensus key record".into()))
            })
            .transpose()
    }

    /// A delegation's shares (`Dec` atoms); 0 if none.
    fn delegation(&self, delegator: &Address, operator: &Address) -> Result<u128, StateReadError> {
        self.get(&keys::delegation(delegator, operator))?
            .map(|b| decode_u128(&b, "delegation"))
            .transpose()
            .map(|shares| shares.unwrap_or(0))
    }

    /// Unbonding entries of a delegator at a validator.
    fn unbonding(
        &self,
        delegator: &Address,
        operator: &Address,
    ) -> Result<Vec<Entry>, StateReadError> {
        read(self, &keys::unbonding(delegator, operator), "unbonding")
            .map(Option::unwrap_or_default)
    }

    /// Redelegation entries of a delegator from `src` to `dst`.
    fn redelegation(
        &self,
        delegator: &Address,
        src: &Address,
        dst: &Address,
    ) -> Result<Vec<Entry>, StateReadError> {
        read(
            self,
            &keys::redelegation(delegator, src, dst),
            "redelegation",
        )
        .map(Option::unwrap_or_default)
    }

    /// A pool's tokens.
    fn pool(&self, bonded: bool) -> Result<u128, StateReadError> {
        let key = if bonded {
            keys::BONDED_POOL
        } else {
            keys::NOT_BONDED_POOL
        };
        self.get(key)?
            .map(|b| decode_u128(&b, "pool"))
            .transpose()
            .map(|n| n.unwrap_or(0))
    }

    /// The set last sent to CometBFT: `(operator, power)` in operator order.
    fn last_set(&self) -> Result<Vec<(Address, u64)>, StateReadError> {
        self.prefix(keys::LAST)?
            .iter()
            .map(|(key, value)| {
                let operator = keys::split_addresses(keys::LAST, key, 1)
                    .and_then(|a| a.first().copied())
                    .ok_or_else(|| StateReadError("corrupt last-set key".into()))?;
                Ok((operator, decode_u64(value, "last power")?))
            })
            .collect()
    }

    /// Total power of the set last sent.
    fn last_total_power(&self) -> Result<u64, StateReadError> {
        self.get(keys::LAST_TOTAL)?
            .map(|b| decode_u64(&b, "last total power"))
            .transpose()
            .map(|n| n.unwrap_or(0))
    }
}

impl<S: StateRead + ?Sized> StakingRead for S {}

/// Typed writes of staking's state.
pub trait StakingWrite: StateWrite {
    /// Writes the parameters.
    fn put_staking_params(&mut self, params: &StakingParams) {
        // Serialising a struct of integers and strings cannot fail.
        let bytes = serde_json::to_vec(params).unwrap_or_default();
        self.put_raw(keys::PARAMS.to_vec(), bytes);
    }

    /// Writes a validator.
    fn put_validator(&mut self, validator: &Validator) {
        self.put_raw(keys::validator(&validator.operator()), encode(validator));
    }

    /// Removes a validator's record (its consensus key stays used).
    fn remove_validator(&mut self, operator: &Address) {
        self.delete(keys::validator(operator));
    }

    /// Records that `consensus` belongs to `operator`.
    fn put_consensus_key(&mut self, consensus: &[u8; 20], operator: &Address) {
        self.put_raw(keys::consensus(consensus), operator.as_bytes().to_vec());
    }

    /// Writes a delegation's shares, and its entry in the by-validator
    /// index; 0 removes both.
    fn put_delegation(&mut self, delegator: &Address, operator: &Address, shares: u128) {
        let key = keys::delegation(delegator, operator);
        let index = keys::validator_delegation(operator, delegator);
        if shares == 0 {
            self.delete(key);
            self.delete(index);
        } else {
            self.put_raw(key, shares.to_be_bytes().to_vec());
            self.put_raw(index, shares.to_be_bytes().to_vec());
        }
    }

    /// Writes unbonding entries; none removes the record.
    fn put_unbonding(&mut self, delegator: &Address, operator: &Address, entries: &[Entry]) {
        let key = keys::unbonding(delegator, operator);
        if entries.is_empty() {
            self.delete(key);
        } else {
            self.put_raw(key, encode(&entries.to_vec()));
        }
    }

    /// Writes redelegation entries; none removes the record.
    fn put_redelegation(
        &mut self,
        delegator: &Address,
        src: &Address,
        dst: &Address,
        entries: &[Entry],
    ) {
        let key = keys::redelegation(delegator, src, dst);
        if entries.is_empty() {
            self.delete(key);
        } else {
            self.put_raw(key, encode(&entries.to_vec()));
        }
    }

    /// Writes a pool.
    fn put_pool(&mut self, bonded: bool, tokens: u128) {
        let key = if bonded {
            keys::BONDED_POOL
        } else {
            keys::NOT_BONDED_POOL
        };
        self.put_raw(key.to_vec(), tokens.to_be_bytes().to_vec());
    }

    /// Writes one member of the last set; power 0 removes it.
    fn put_last_power(&mut self, operator: &Address, power: u64) {
        let key = keys::last(operator);
        if power == 0 {
            self.delete(key);
        } else {
            self.put_raw(key, power.to_be_bytes().to_vec());
        }
    }

    /// Writes the last set's total power.
    fn put_last_total_power(&mut self, total: u64) {
        self.put_raw(keys::LAST_TOTAL.to_vec(), total.to_be_bytes().to_vec());
    }
}

impl<S: StateWrite + ?Sized> StakingWrite for S {}
