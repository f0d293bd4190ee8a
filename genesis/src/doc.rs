//! The genesis document's types, laid out exactly as CometBFT v0.38 reads and
//! writes `genesis.json` (64-bit integers as decimal strings).

use crate::error::{GenesisDocError, KeyError};
use crate::num_string;
use crate::validate::{parse_ed25519_pubkey, validator_address};
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use quire_app::GenesisState;
use serde::{Deserialize, Serialize};

/// The amino type name CometBFT gives ed25519 public keys in JSON.
pub const ED25519_PUBKEY_TYPE: &str = "tendermint/PubKeyEd25519";

/// A CometBFT v0.38 genesis document whose `app_state` is Quire's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisDoc {
    /// Time of the genesis block, RFC 3339 (e.g. `2025-01-01T00:00:00Z`).
    pub genesis_time: String,
    /// Chain id: 1-50 characters of `[a-zA-Z0-9._-]`.
    pub chain_id: String,
    /// Height of the first block (a string in JSON).
    #[serde(with = "num_string")]
    pub initial_height: u64,
    /// Consensus parameters.
    pub consensus_params: ConsensusParams,
    /// The initial validator set.
    pub validators: Vec<GenesisValidator>,
    /// Expected genesis app hash: always empty, `quired` computes it in `InitChain`.
    #[serde(default)]
    pub app_hash: String,
    /// Quire's genesis state, handed to `quired` in `InitChain`.
    pub app_state: GenesisState,
}

/// CometBFT consensus parameters (`consensus_params`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsensusParams {
    /// Block size limits.
    pub block: BlockParams,
    /// Evidence age and size limits.
    pub evidence: EvidenceParams,
    /// Allowed validator key types.
    pub validator: ValidatorParams,
    /// Application version.
    #[serde(default)]
    pub version: VersionParams,
    /// ABCI 2.0 settings.
    #[serde(default)]
    pub abci: AbciParams,
}

/// `consensus_params.block`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BlockParams {
    /// Largest block in bytes (CometBFT's default: 22020096 = 21 MiB).
    #[serde(with = "num_string")]
    pub max_bytes: i64,
    /// Largest gas per block; -1 for unlimited (Quire has no gas).
    #[serde(with = "num_string")]
    pub max_gas: i64,
}

/// `consensus_params.evidence`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvidenceParams {
    /// Oldest evidence accepted, in blocks.
    #[serde(with = "num_string")]
    pub max_age_num_blocks: i64,
    /// Oldest evidence accepted, in nanoseconds.
    #[serde(with = "num_string")]
    pub max_age_duration: i64,
    /// Largest total of evidence per block, in bytes.
    #[serde(with = "num_string")]
    pub max_bytes: i64,
}

/// `consensus_params.validator`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValidatorParams {
    /// Key types validators may use (`"ed25519"`, `"secp256k1"`).
    pub pub_key_types: Vec<String>,
}

/// `consensus_params.version`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VersionParams {
    /// The application protocol version.
    #[serde(with = "num_string")]
    pub app: u64,
}

/// `consensus_params.abci`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AbciParams {
    /// First height with vote extensions; 0 disables them. Quire's genesis
    /// files enable them from the first height (components put their part of
    /// each validator's vote there, e.g. signatures the next proposer
    /// injects).
    #[serde(with = "num_string")]
    pub vote_extensions_enable_height: i64,
}

impl Default for ConsensusParams {
    /// CometBFT v0.38's defaults, as `cometbft init` writes them.
    fn default() -> Self {
        ConsensusParams {
            block: BlockParams {
                max_bytes: 22_020_096,
                max_gas: -1,
            },
            evidence: EvidenceParams {
                max_age_num_blocks: 100_000,
                max_age_duration: 172_800_000_000_000,
                max_bytes: 1_048_576,
            },
            validator: ValidatorParams {
                pub_key_types: vec!["ed25519".to_string()],
            },
            version: VersionParams::default(),
            abci: AbciParams::default(),
        }
    }
}

/// A validator of the initial set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisValidator {
    /// Upper-case hex of the first 20 bytes of SHA-256 of the public key.
    pub address: String,
    /// The validator's consensus key.
    pub pub_key: ValidatorPubKey,
    /// Voting power (a string in JSON).
    #[serde(with = "num_string")]
    pub power: u64,
    /// A human-readable name (CometBFT ignores it).
    #[serde(default)]
    pub name: String,
}

/// A consensus public key in CometBFT's amino JSON form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValidatorPubKey {
    /// Always [`ED25519_PUBKEY_TYPE`] for Quire.
    #[serde(rename = "type")]
    pub key_type: String,
    /// Standard base64 of the 32-byte key.
    pub value: String,
}

impl GenesisValidator {
    /// A validator with the ed25519 key `key`, its address derived from it.
    pub fn ed25519(key: [u8; 32], power: u64, name: impl Into<String>) -> Self {
        GenesisValidator {
            address: validator_address(&key),
            pub_key: ValidatorPubKey {
                key_type: ED25519_PUBKEY_TYPE.to_string(),
                value: BASE64.encode(key),
            },
            power,
            name: name.into(),
        }
    }

    /// A validator from the base64 key `cometbft show-validator` prints.
    pub fn from_base64_key(
        key: &str,
        power: u64,
        name: impl Into<String>,
    ) -> Result<Self, KeyError> {
        Ok(Self::ed25519(parse_ed25519_pubkey(key)?, power, name))
    }
}

impl GenesisDoc {
    /// A genesis document with CometBFT's default consensus parameters but
    /// vote extensions on from the first height, initial height 1 and an
    /// empty app hash; its validators are the ones `app_state.staking`
    /// bonds ([`GenesisDoc::sync_validators`]). Call [`GenesisDoc::validate`]
    /// (or [`GenesisDoc::save`], which does) to check it.
    pub fn new(
        chain_id: impl Into<String>,
        genesis_time: impl Into<String>,
        app_state: GenesisState,
    ) -> Self {
        let mut doc = GenesisDoc {
            genesis_time: genesis_time.into(),
            chain_id: chain_id.into(),
            initial_height: 1,
            consensus_params: ConsensusParams {
                abci: AbciParams {
                    vote_extensions_enable_height: 1,
                },
                ..ConsensusParams::default()
            },
            validators: Vec::new(),
            app_hash: String::new(),
            app_state,
        };
        // A genesis the app refuses keeps no validators: validate() then
        // reports why.
        let _ = doc.sync_validators();
        doc
    }

    /// The set the app bonds at genesis from `app_state.staking` (what
    /// `quired` returns in InitChain), as CometBFT's `validators`, sorted by
    /// power then address. Named by each validator's moniker.
    pub fn bonded_validators(&self) -> Result<Vec<GenesisValidator>, GenesisDocError> {
        let machine = quire_app::StateMachine::standard()
            .build()
            .map_err(|e| GenesisDocError::new("app_state", e.to_string()))?;
        let output = machine
            .genesis(&self.chain_id, self.initial_height.max(1), &self.app_state)
            .map_err(crate::validate::app_error)?;
        let mut validators: Vec<GenesisValidator> = output
            .validators
            .iter()
            .map(|update| {
                let name = self
                    .app_state
                    .staking
                    .validators
                    .iter()
                    .find(|bond| bond.consensus_key().ok() == Some(update.pub_key))
                    .map(|bond| bond.moniker.clone())
                    .unwrap_or_default();
                GenesisValidator::ed25519(update.pub_key, update.power, name)
            })
            .collect();
        validators.sort_by(|a, b| {
            b.power
                .cmp(&a.power)
                .then_with(|| a.address.cmp(&b.address))
        });
        Ok(validators)
    }

    /// Sets `validators` to [`GenesisDoc::bonded_validators`].
    pub fn sync_validators(&mut self) -> Result<(), GenesisDocError> {
        self.validators = self.bonded_validators()?;
        Ok(())
    }

    /// Bonds a validator at genesis (a gentx): `operator` self-bonds
    /// `self_bond` from its genesis account, which must hold it. Updates
    /// `validators` to match.
    pub fn add_validator(
        &mut self,
        bond: quire_app::staking::GenesisBond,
    ) -> Result<(), GenesisDocError> {
        self.app_state.staking.validators.push(bond);
        if let Err(e) = self.sync_validators() {
            self.app_state.staking.validators.pop();
            return Err(e);
        }
        Ok(())
    }

    /// The current time in the RFC 3339 form genesis files use.
    pub fn now() -> String {
        tendermint::Time::now().to_rfc3339()
    }
}
