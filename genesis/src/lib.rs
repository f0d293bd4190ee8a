//! Quire's genesis file: the CometBFT v0.38 genesis document (`genesis.json`)
//! wrapped around Quire's `app_state` ([`quire_app::GenesisState`]).
//!
//! Every validator's CometBFT reads this file to learn the chain id, the
//! consensus parameters and the initial validator set, and passes `app_state`
//! to `quired` in `InitChain`. `quired` and the operator tools read it with
//! [`GenesisDoc::load`], which bounds the read, reports JSON errors with the
//! file, the field path and the line, and then runs [`GenesisDoc::validate`].
//!
//! ```no_run
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use quire_app::staking::GenesisBond;
//! use quire_app::{GenesisAccount, GenesisState};
//! use quire_core::{Address, Params};
//! use quire_genesis::{parse_ed25519_pubkey, GenesisDoc};
//! let operator = Address::new([1; 20]);
//! let key = parse_ed25519_pubkey("cSCNOue0A+AHPCHOmyh3eDza/HCHPdd1Bxdjfqs6nB4=")?;
//! let mut app_state = GenesisState {
//!     params: Params::default(),
//!     accounts: vec![GenesisAccount { address: operator.to_bech32(), balance: 10_000_000 }],
//!     staking: Default::default(),
//!     l1: None,
//!     encryption: None,
//! };
//! // A validator of power 10, self-bonded from its operator's account.
//! app_state.staking.validators.push(GenesisBond::new(&operator, &key, "node0", 10_000_000));
//! let doc = GenesisDoc::new("quire-1", "2025-01-01T00:00:00Z", app_state);
//! doc.save("genesis.json")?;
//! let back = GenesisDoc::load("genesis.json")?;
//! assert_eq!(back, doc);
//! # Ok(()) }
//! ```

mod doc;
mod error;
mod file;
mod locate;
mod num_string;
mod validate;

pub use doc::{
    AbciParams, BlockParams, ConsensusParams, EvidenceParams, GenesisDoc, GenesisValidator,
    ValidatorParams, ValidatorPubKey, VersionParams, ED25519_PUBKEY_TYPE,
};
pub use error::{GenesisDocError, GenesisFileError, KeyError};
pub use file::MAX_GENESIS_FILE_BYTES;
pub use validate::{
    parse_ed25519_pubkey, validator_address, MAX_BLOCK_BYTES, MAX_TOTAL_VOTING_POWER,
};

#[cfg(test)]
mod tests;
