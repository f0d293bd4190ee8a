//! bank's state: the fee pool and the total supply. (Balances are in auth's account records.)

use super::keys;
use crate::error::StateReadError;
use crate::state::{decode_u128, StateRead, StateWrite};

/// Typed reads of bank's state.
pub trait BankRead: StateRead {
    /// Total fees collected since genesis.
    fn fee_pool(&self) -> Result<u128, StateReadError> {
        self.get(keys::FEE_POOL)?
            .map(|b| decode_u128(&b, "fee pool"))
            .transpose()
            .map(|n| n.unwrap_or(0))
    }

    /// The total supply, if genesis recorded it.
    fn supply(&self) -> Result<Option<u128>, StateReadError> {
        self.get(keys::SUPPLY)?
            .map(|b| decode_u128(&b, "supply"))
            .transpose()
    }
}

impl<S: StateRead + ?Sized> BankRead for S {}

/// Typed writes of bank's state.
pub trait BankWrite: StateWrite {
    /// Writes the fee pool.
    fn put_fee_pool(&mut self, total: u128) {
        self.put_raw(keys::FEE_POOL.to_vec(), total.to_be_bytes().to_vec());
    }

    /// Writes the total supply.
    fn put_supply(&mut self, supply: u128) {
        self.put_raw(keys::SUPPLY.to_vec(), supply.to_be_bytes().to_vec());
    }
}

impl<S: StateWrite + ?Sized> BankWrite for S {}
