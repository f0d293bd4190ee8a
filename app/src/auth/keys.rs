//! auth's storage keys.

use quire_core::Address;

/// Prefix of account records: `acct/` + 20 address bytes.
pub const ACCOUNT_PREFIX: &[u8] = b"acct/";

/// The key of `address`'s account record ([`super::state::Account`]).
pub fn account(address: &Address) -> Vec<u8> {
    let mut key = ACCOUNT_PREFIX.to_vec();
    key.extend_from_slice(address.as_bytes());
    key
}

/// The account number the next new account gets, u64 big-endian.
pub const NEXT_ACCOUNT_NUMBER: &[u8] = b"meta/next_account_number";
