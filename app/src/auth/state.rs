//! auth's state: account records and the account-number counter.

use super::keys;
use crate::error::StateReadError;
use crate::state::{decode_u64, StateRead, StateWrite};
use quire_core::Address;

pub use quire_core::account::Account;

/// Typed reads of auth's state.
pub trait AuthRead: StateRead {
    /// The account at `address`, if it exists.
    fn account(&self, address: &Address) -> Result<Option<Account>, StateReadError> {
        self.get(&keys::account(address))?
            .map(|b| Account::decode(&b).map_err(|e| StateReadError(e.to_string())))
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
