//! Proof of stake as the Cosmos SDK's x/staking and x/slashing define it:
//! the messages (decoded with their rules of form), the fixed-point numbers
//! shares and rates are in, the parameters and the refusal codes. The rules
//! that need state are the app's staking component.

pub mod dec;
pub mod error;
pub mod msg;
pub mod params;

pub use dec::Dec;
pub use error::StakingError;
pub use params::{voting_power, StakingParams, MAX_TOTAL_VOTING_POWER, POWER_REDUCTION};

/// A validator's consensus address: the first 20 bytes of SHA-256 of its
/// ed25519 consensus key (what CometBFT's votes and evidence name).
pub fn consensus_address(key: &[u8; 32]) -> [u8; 20] {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(key);
    let mut address = [0u8; 20];
    address.copy_from_slice(&digest[..20]);
    address
}

/// The bech32 form of a consensus address (`quirevalcons1...`).
pub fn consensus_address_bech32(address: &[u8; 20]) -> String {
    crate::Address::new(*address).to_bech32_with(crate::address::VALCONS_PREFIX)
}
