//! Accounts as the state stores them: the record and its key. They live in
//! core because a client that verifies an account against a state proof
//! must find the key and decode the record itself.

use crate::proto::WireError;
use crate::Address;

/// Prefix of account records in the state: `auth/account/` + 20 address bytes.
pub const ACCOUNT_KEY_PREFIX: &[u8] = b"auth/account/";

/// The state key of `address`'s account record.
pub fn account_key(address: &Address) -> Vec<u8> {
    let mut key = ACCOUNT_KEY_PREFIX.to_vec();
    key.extend_from_slice(address.as_bytes());
    key
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

/// Length of an encoded account record.
pub const ACCOUNT_RECORD_LEN: usize = 32;

impl Account {
    /// Fixed 32-byte encoding: balance u128 BE, account number u64 BE, sequence u64 BE.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(ACCOUNT_RECORD_LEN);
        out.extend_from_slice(&self.balance.to_be_bytes());
        out.extend_from_slice(&self.account_number.to_be_bytes());
        out.extend_from_slice(&self.sequence.to_be_bytes());
        out
    }

    /// Inverse of [`Account::encode`].
    pub fn decode(bytes: &[u8]) -> Result<Self, WireError> {
        let corrupt = || WireError {
            field: "account record",
            reason: format!("expected {ACCOUNT_RECORD_LEN} bytes, got {}", bytes.len()),
        };
        let record: &[u8; ACCOUNT_RECORD_LEN] = bytes.try_into().map_err(|_| corrupt())?;
        let (balance, rest) = record.split_first_chunk::<16>().ok_or_else(corrupt)?;
        let (number, sequence) = rest.split_first_chunk::<8>().ok_or_else(corrupt)?;
        let sequence: &[u8; 8] = sequence.try_into().map_err(|_| corrupt())?;
        Ok(Account {
            balance: u128::from_be_bytes(*balance),
            account_number: u64::from_be_bytes(*number),
            sequence: u64::from_be_bytes(*sequence),
        })
    }
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
        assert!(Account::decode(&[0; 33]).is_err());
    }
}
