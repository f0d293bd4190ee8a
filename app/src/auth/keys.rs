//! auth's storage keys.

pub use quire_core::account::account_key as account;

/// The account number the next new account gets, u64 big-endian.
pub const NEXT_ACCOUNT_NUMBER: &[u8] = b"auth/next_account_number";
