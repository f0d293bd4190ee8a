//! bank's storage keys.

/// Total fees collected since genesis, u128 big-endian.
pub const FEE_POOL: &[u8] = b"bank/fee_pool";
