//! bank's storage keys.

/// Total fees collected since genesis, u128 big-endian.
pub const FEE_POOL: &[u8] = b"bank/fee_pool";

/// The total supply of the fee token, fixed at genesis (Σ genesis
/// balances; nothing mints or burns), u128 big-endian.
pub const SUPPLY: &[u8] = b"bank/supply";
