//! auth's state: account records and the account-number counter.

use super::keys;
use crate::error::StateReadError;
use crate::state::{decode_u64, StateRead, StateWrite};
use quire_core::Address;

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

/// Typed reads of auth's state.
pub trait AuthRead: StateRead {
    /// The account at `address`, if it exists.
    fn account(&self, address: &Address) -> Result<Option<Account>, StateReadError> {
        self.get(&keys::account(address))?
            .map(|b| Account::decode(&b))
            .transpose()
    }

    /// The account number the next created account gets.
    fn next_account_number(&self) -> Result<u64, StateReadError> {
        self.get(keys::NEXT_ACCOUNT_NUMBER)?
            .map(|b| decode_u64(&b, "next account number"))
            .transpose()
            .map(|n| n.unwrap_or(0))
    }
}

impl<S: StateRead + ?Sized> AuthRead for S {}

/// Typed writes of auth's state.
pub trait AuthWrite: StateWrite {
    /// Writes an account.
    fn put_account(&mut self, address: &Address, account: &Account) {
        self.put_raw(keys::account(address), account.encode());
    }

    /// Writes the next account number.
    fn put_next_account_number(&mut self, next: u64) {
        self.put_raw(
            keys::NEXT_ACCOUNT_NUMBER.to_vec(),
            next.to_be_bytes().to_vec(),
        );
    }

    /// The account at `address`, created (with the next account number, no
    /// balance) if it does not exist yet.
    fn account_or_create(&mut self, address: &Address) -> Result<Account, StateReadError> {
        if let Some(account) = self.account(address)? {
            return Ok(account);
        }
        let number = self.next_account_number()?;
        let next = number
            .checked_add(1)
            .ok_or_else(|| StateReadError("account numbers exhausted".into()))?;
        self.put_next_account_number(next);
        let account = Account {
            balance: 0,
            account_number: number,
            sequence: 0,
        };
        self.put_account(address, &account);
        Ok(account)
    }
}

impl<S: StateWrite + ?Sized> AuthWrite for S {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::{EmptyState, StateDelta};

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
    fn new_accounts_get_consecutive_numbers() {
        let mut state = StateDelta::new(&EmptyState);
        state.put_next_account_number(4);
        let a = state.account_or_create(&Address::new([1; 20])).unwrap();
        let b = state.account_or_create(&Address::new([2; 20])).unwrap();
        let again = state.account_or_create(&Address::new([1; 20])).unwrap();
        assert_eq!((a.account_number, b.account_number), (4, 5));
        assert_eq!(again, a);
        assert_eq!(state.next_account_number().unwrap(), 6);
    }
}
