//! The key-value state the app reads and writes, its key layout and encodings,
//! and the app hash that commits to it.
//!
//! The app never touches a database: it reads through [`StateReader`] and
//! records writes in a [`StateDelta`], whose [`ChangeSet`] the node persists
//! atomically at Commit.

use crate::error::StateReadError;
use quire_core::proto::Protobuf;
use quire_core::Address;
use quire_core::Params;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// Writes of one block (or of genesis): key -> new value, `None` deletes.
/// A BTreeMap, so iteration (and thus the app hash) is in key order.
pub type ChangeSet = BTreeMap<Vec<u8>, Option<Vec<u8>>>;

/// Read access to committed state.
pub trait StateReader {
    /// The value stored under `key`, if any.
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StateReadError>;
}

/// An empty state: what a node has before genesis.
pub struct EmptyState;

impl StateReader for EmptyState {
    fn get(&self, _key: &[u8]) -> Result<Option<Vec<u8>>, StateReadError> {
        Ok(None)
    }
}

/// Uncommitted writes layered over a base state.
pub struct StateDelta<'a> {
    base: &'a dyn StateReader,
    changes: ChangeSet,
}

impl<'a> StateDelta<'a> {
    /// A delta with no writes yet.
    pub fn new(base: &'a dyn StateReader) -> Self {
        Self::with_changes(base, ChangeSet::new())
    }

    /// A delta that resumes earlier writes over `base`.
    pub fn with_changes(base: &'a dyn StateReader, changes: ChangeSet) -> Self {
        StateDelta { base, changes }
    }

    /// Records a write.
    pub fn put(&mut self, key: Vec<u8>, value: Vec<u8>) {
        self.changes.insert(key, Some(value));
    }

    /// The writes so far.
    pub fn changes(&self) -> &ChangeSet {
        &self.changes
    }

    /// Gives up the writes.
    pub fn into_changes(self) -> ChangeSet {
        self.changes
    }
}

impl StateReader for StateDelta<'_> {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StateReadError> {
        match self.changes.get(key) {
            Some(value) => Ok(value.clone()),
            None => self.base.get(key),
        }
    }
}

/// Storage keys. Every key starts with a one-word table name and a slash.
pub mod keys {
    use quire_core::Address;

    /// `acct/` + 20 address bytes -> [`super::Account`] encoding.
    pub fn account(address: &Address) -> Vec<u8> {
        let mut key = b"acct/".to_vec();
        key.extend_from_slice(address.as_bytes());
        key
    }
    /// The chain id, UTF-8.
    pub const CHAIN_ID: &[u8] = b"meta/chain_id";
    /// The params, protobuf `quire.blob.v1.Params`.
    pub const PARAMS: &[u8] = b"meta/params";
    /// The account number the next new account gets, u64 big-endian.
    pub const NEXT_ACCOUNT_NUMBER: &[u8] = b"meta/next_account_number";
    /// Total fees collected, u128 big-endian.
    pub const FEES_COLLECTED: &[u8] = b"meta/fees_collected";
}

/// An account: balance in the fee denom, number, next sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Account {
    /// Spendable balance in the fee denom.
    pub balance: u128,
    /// Assigned once, when the account is created; part of what a tx signs.
    pub account_number: u64,
    /// The sequence the account's next transaction must carry.
    pub sequence: u64,
}

const ACCOUNT_LEN: usize = 32;

impl Account {
    /// Fixed 32-byte encoding: balance u128 BE, account number u64 BE, sequence u64 BE.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(ACCOUNT_LEN);
        out.extend_from_slice(&self.balance.to_be_bytes());
        out.extend_from_slice(&self.account_number.to_be_bytes());
        out.extend_from_slice(&self.sequence.to_be_bytes());
        out
    }

    /// Inverse of [`Account::encode`].
    pub fn decode(bytes: &[u8]) -> Result<Self, StateReadError> {
        let corrupt = || StateReadError(format!("corrupt account record of {} bytes", bytes.len()));
        if bytes.len() != ACCOUNT_LEN {
            return Err(corrupt());
        }
        let (balance, rest) = bytes.split_first_chunk::<16>().ok_or_else(corrupt)?;
        let (number, rest) = rest.split_first_chunk::<8>().ok_or_else(corrupt)?;
        let sequence: &[u8; 8] = rest.try_into().map_err(|_| corrupt())?;
        Ok(Account {
            balance: u128::from_be_bytes(*balance),
            account_number: u64::from_be_bytes(*number),
            sequence: u64::from_be_bytes(*sequence),
        })
    }
}

fn decode_u64(bytes: &[u8], what: &str) -> Result<u64, StateReadError> {
    let array: [u8; 8] = bytes
        .try_into()
        .map_err(|_| StateReadError(format!("corrupt {what}")))?;
    Ok(u64::from_be_bytes(array))
}

fn decode_u128(bytes: &[u8], what: &str) -> Result<u128, StateReadError> {
    let array: [u8; 16] = bytes
        .try_into()
        .map_err(|_| StateReadError(format!("corrupt {what}")))?;
    Ok(u128::from_be_bytes(array))
}

/// Typed reads, for every [`StateReader`].
pub trait StateReadExt: StateReader {
    /// The account at `address`, if it exists.
    fn account(&self, address: &Address) -> Result<Option<Account>, StateReadError> {
        self.get(&keys::account(address))?
            .map(|b| Account::decode(&b))
            .transpose()
    }

    /// The chain id set at genesis.
    fn chain_id(&self) -> Result<String, StateReadError> {
        let bytes = self
            .get(keys::CHAIN_ID)?
            .ok_or_else(|| StateReadError("chain id not set: no genesis".into()))?;
        String::from_utf8(bytes).map_err(|_| StateReadError("corrupt chain id".into()))
    }

    /// The chain parameters set at genesis.
    fn params(&self) -> Result<Params, StateReadError> {
        let bytes = self
            .get(keys::PARAMS)?
            .ok_or_else(|| StateReadError("params not set: no genesis".into()))?;
        params_from_proto(&bytes)
    }

    /// The account number the next created account gets.
    fn next_account_number(&self) -> Result<u64, StateReadError> {
        self.get(keys::NEXT_ACCOUNT_NUMBER)?
            .map(|b| decode_u64(&b, "next account number"))
            .transpose()
            .map(|n| n.unwrap_or(0))
    }

    /// Total fees collected since genesis.
    fn fees_collected(&self) -> Result<u128, StateReadError> {
        self.get(keys::FEES_COLLECTED)?
            .map(|b| decode_u128(&b, "fees collected"))
            .transpose()
            .map(|n| n.unwrap_or(0))
    }
}

impl<T: StateReader + ?Sized> StateReadExt for T {}

impl StateDelta<'_> {
    /// Writes an account.
    pub fn put_account(&mut self, address: &Address, account: &Account) {
        self.put(keys::account(address), account.encode());
    }

    /// Writes the chain id.
    pub fn put_chain_id(&mut self, chain_id: &str) {
        self.put(keys::CHAIN_ID.to_vec(), chain_id.as_bytes().to_vec());
    }

    /// Writes the params.
    pub fn put_params(&mut self, params: &Params) {
        self.put(keys::PARAMS.to_vec(), encode_params(params));
    }

    /// Writes the next account number.
    pub fn put_next_account_number(&mut self, next: u64) {
        self.put(
            keys::NEXT_ACCOUNT_NUMBER.to_vec(),
            next.to_be_bytes().to_vec(),
        );
    }

    /// Writes the fees collected.
    pub fn put_fees_collected(&mut self, total: u128) {
        self.put(keys::FEES_COLLECTED.to_vec(), total.to_be_bytes().to_vec());
    }
}

/// The stored encoding of params (today the protobuf of the query form,
/// `quire.blob.v1.Params`).
pub fn encode_params(params: &Params) -> Vec<u8> {
    params.encode_to_vec()
}

fn params_from_proto(bytes: &[u8]) -> Result<Params, StateReadError> {
    Params::decode(bytes).map_err(|e| StateReadError(format!("corrupt params record: {e}")))
}

/// Domain tag of the app hash.
const APP_HASH_TAG: &[u8] = b"quire/app-hash/v1";

/// The app hash after a block: it chains the previous app hash, the height, every
/// state write of the block (in key order) and the block's blob index digest.
///
/// Because the state after height H is a function of the genesis writes and the
/// writes of blocks 1..=H, and the app hash chains exactly those, two nodes with
/// equal app hashes hold equal state and equal blob indexes. Encoding (all
/// lengths u32 big-endian):
/// `sha256(tag ‖ prev ‖ height u64 BE ‖ n_writes u64 BE ‖ writes… ‖ blob_digest)`,
/// each write `len(key) ‖ key ‖ 0x00` (delete) or `len(key) ‖ key ‖ 0x01 ‖ len(value) ‖ value`.
pub fn app_hash(
    prev: &[u8; 32],
    height: u64,
    changes: &ChangeSet,
    blob_digest: &[u8; 32],
) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(APP_HASH_TAG);
    hasher.update(prev);
    hasher.update(height.to_be_bytes());
    hasher.update((changes.len() as u64).to_be_bytes());
    for (key, value) in changes {
        hasher.update((key.len() as u32).to_be_bytes());
        hasher.update(key);
        match value {
            None => hasher.update([0u8]),
            Some(value) => {
                hasher.update([1u8]);
                hasher.update((value.len() as u32).to_be_bytes());
                hasher.update(value);
            }
        }
    }
    hasher.update(blob_digest);
    hasher.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_encoding_round_trips_and_rejects_garbage() {
        let a = Account {
            balance: u128::MAX - 5,
            account_number: 7,
            sequence: 9,
        };
        assert_eq!(Account::decode(&a.encode()).unwrap(), a);
        assert!(Account::decode(&[1, 2, 3]).is_err());
    }

    #[test]
    fn delta_reads_its_own_writes_over_the_base() {
        let mut base = StateDelta::new(&EmptyState);
        let addr = Address::new([1; 20]);
        base.put_account(
            &addr,
            &Account {
                balance: 5,
                account_number: 0,
                sequence: 0,
            },
        );
        let base_changes = base.into_changes();
        let committed = StateDelta::with_changes(&EmptyState, base_changes);
        let mut delta = StateDelta::new(&committed);
        assert_eq!(delta.account(&addr).unwrap().unwrap().balance, 5);
        delta.put_account(
            &addr,
            &Account {
                balance: 6,
                account_number: 0,
                sequence: 1,
            },
        );
        assert_eq!(delta.account(&addr).unwrap().unwrap().balance, 6);
        assert_eq!(committed.account(&addr).unwrap().unwrap().balance, 5);
    }

    #[test]
    fn params_round_trip_through_state() {
        let mut delta = StateDelta::new(&EmptyState);
        let params = Params {
            base_fee: 42,
            ..Params::default()
        };
        delta.put_params(&params);
        assert_eq!(delta.params().unwrap(), params);
    }

    #[test]
    fn app_hash_depends_on_every_input() {
        let mut changes = ChangeSet::new();
        changes.insert(b"a".to_vec(), Some(b"1".to_vec()));
        let base = app_hash(&[0; 32], 1, &changes, &[0; 32]);
        assert_ne!(base, app_hash(&[1; 32], 1, &changes, &[0; 32]));
        assert_ne!(base, app_hash(&[0; 32], 2, &changes, &[0; 32]));
        assert_ne!(base, app_hash(&[0; 32], 1, &changes, &[1; 32]));
        let mut deleted = ChangeSet::new();
        deleted.insert(b"a".to_vec(), None);
        assert_ne!(base, app_hash(&[0; 32], 1, &deleted, &[0; 32]));
        // Key/value boundaries are length-prefixed: ("ab","") != ("a","b").
        let mut x = ChangeSet::new();
        x.insert(b"ab".to_vec(), Some(Vec::new()));
        let mut y = ChangeSet::new();
        y.insert(b"a".to_vec(), Some(b"b".to_vec()));
        assert_ne!(
            app_hash(&[0; 32], 1, &x, &[0; 32]),
            app_hash(&[0; 32], 1, &y, &[0; 32])
        );
    }
}
