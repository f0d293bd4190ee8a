//! Checks that a genesis document can start a Quire chain under CometBFT v0.38.

use crate::doc::{ConsensusParams, GenesisDoc, GenesisValidator, ED25519_PUBKEY_TYPE};
use crate::error::{GenesisDocError, KeyError};
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use quire_app::genesis::{validate_chain_id, GenesisError};
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;

/// CometBFT's hard block size limit (`types.MaxBlockSizeBytes`, 100 MiB).
pub const MAX_BLOCK_BYTES: i64 = 104_857_600;

/// CometBFT's limit on the total voting power (`MaxTotalVotingPower`).
pub const MAX_TOTAL_VOTING_POWER: u64 = (i64::MAX / 8) as u64;

/// Key types CometBFT v0.38 knows for `consensus_params.validator.pub_key_types`.
const KNOWN_KEY_TYPES: [&str; 2] = ["ed25519", "secp256k1"];

/// Decodes a base64 ed25519 public key (the `value` CometBFT prints).
pub fn parse_ed25519_pubkey(text: &str) -> Result<[u8; 32], KeyError> {
    let bytes = BASE64
        .decode(text.trim())
        .map_err(|e| KeyError::Base64(e.to_string()))?;
    <[u8; 32]>::try_from(bytes.as_slice()).map_err(|_| KeyError::Length(bytes.len()))
}

/// A validator's CometBFT address: upper-case hex of the first 20 bytes of
/// SHA-256 of its ed25519 public key.
pub fn validator_address(key: &[u8; 32]) -> String {
    hex::encode_upper(&Sha256::digest(key)[..20])
}

fn fail<T>(field: impl Into<String>, reason: impl Into<String>) -> Result<T, GenesisDocError> {
    Err(GenesisDocError::new(field, reason))
}

impl GenesisDoc {
    /// Checks everything CometBFT and `quired` will check at genesis, naming
    /// the first offending field: chain id, genesis time, initial height,
    /// consensus params (also against the app's `max_tx_bytes`), validators
    /// (at least one, ed25519, unique, power > 0, address matching the key)
    /// and the app state.
    pub fn validate(&self) -> Result<(), GenesisDocError> {
        validate_chain_id(&self.chain_id).map_err(app_error)?;
        if let Err(e) = tendermint::Time::parse_from_rfc3339(&self.genesis_time) {
            return fail(
                "genesis_time",
                format!("{:?} is not an RFC 3339 time: {e}", self.genesis_time),
            );
        }
        if self.initial_height == 0 || self.initial_height > i64::MAX as u64 {
            return fail(
                "initial_height",
                "must be between 1 and 2^63-1 (the first block's height)",
            );
        }
        if !self.app_hash.is_empty() {
            return fail(
                "app_hash",
                "must be empty: quired computes the genesis app hash in InitChain",
            );
        }
        self.app_state.validate().map_err(app_error)?;
        validate_consensus_params(&self.consensus_params, self.app_state.params.max_tx_bytes)?;
        let ve_height = self.consensus_params.abci.vote_extensions_enable_height;
        if ve_height != 0 && (ve_height as u64) < self.initial_height {
            return fail(
                "consensus_params.abci.vote_extensions_enable_height",
                format!(
                    "must be 0 (disabled) or at least the initial height {}",
                    self.initial_height
                ),
            );
        }
        if self.app_state.l1.is_some() && ve_height as u64 != self.initial_height {
            // Every height's checkpoint is signed in its vote extensions.
            return fail(
                "consensus_params.abci.vote_extensions_enable_height",
                format!(
                    "must be the initial height {} on a chain anchored on an L1 (app_state.l1)",
                    self.initial_height
                ),
            );
        }
        if self.app_state.encryption.is_some() && ve_height as u64 != self.initial_height {
            // Decryption shares travel in vote extensions from the start.
            return fail(
                "consensus_params.abci.vote_extensions_enable_height",
                format!(
                    "must be the initial height {} on a chain with blind ordering (app_state.encryption)",
                    self.initial_height
                ),
            );
        }
        if self.validators.is_empty() {
            // Says whether staking bonds none, or the list was not written.
            return self.validate_bonded_set();
        }
        validate_validators(&self.validators)?;
        self.validate_bonded_set()
    }

    /// `validators` must be the set `app_state.staking` bonds (CometBFT
    /// takes InitChain's set, and light clients trust this list).
    fn validate_bonded_set(&self) -> Result<(), GenesisDocError> {
        let bonded = self.bonded_validators()?;
        if bonded.is_empty() {
            return fail(
                "app_state.staking.validators",
                "no validator is bonded at genesis: add one with `quired genesis add-validator` \
                 (a self_bond of at least 1000000 from the operator's genesis account)",
            );
        }
        let as_set = |list: &[GenesisValidator]| -> BTreeSet<(String, u64)> {
            list.iter()
                .map(|v| (v.pub_key.value.clone(), v.power))
                .collect()
        };
        if as_set(&bonded) != as_set(&self.validators) {
            let show = |list: &[GenesisValidator]| {
                list.iter()
                    .map(|v| format!("{}:{}", v.pub_key.value, v.power))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            return fail(
                "validators",
                format!(
                    "[{}] is not the set app_state.staking bonds [{}]: edit the staking \
                     validators and let `quired genesis` rewrite this list",
                    show(&self.validators),
                    show(&bonded)
                ),
            );
        }
        Ok(())
    }
}

/// Maps the app's genesis errors to field paths.
pub(crate) fn app_error(error: GenesisError) -> GenesisDocError {
    match error {
        GenesisError::Params(e) => {
            GenesisDocError::new(format!("app_state.params.{}", e.field), e.reason)
        }
        GenesisError::Account { index, reason } => {
            GenesisDocError::new(format!("app_state.accounts[{index}]"), reason)
        }
        GenesisError::ChainId(reason) => GenesisDocError::new("chain_id", reason),
        GenesisError::SupplyOverflow => GenesisDocError::new(
            "app_state.accounts",
            "total supply overflows (it must stay below 2^60 × 10^6 for CometBFT's power limit)",
        ),
        GenesisError::Validator { index, reason } => {
            GenesisDocError::new(format!("app_state.staking.validators[{index}]"), reason)
        }
        GenesisError::StakingParams { field, reason } => {
            GenesisDocError::new(format!("app_state.staking.params.{field}"), reason)
        }
        GenesisError::L1(reason) => GenesisDocError::new("app_state.l1", reason),
        GenesisError::Encryption(reason) => GenesisDocError::new("app_state.encryption", reason),
        other => GenesisDocError::new("app_state", other.to_string()),
    }
}

fn validate_consensus_params(
    params: &ConsensusParams,
    max_tx_bytes: u64,
) -> Result<(), GenesisDocError> {
    let block = &params.block;
    if block.max_bytes <= 0 || block.max_bytes > MAX_BLOCK_BYTES {
        return fail(
            "consensus_params.block.max_bytes",
            format!(
                "must be between 1 and {MAX_BLOCK_BYTES}, got {}",
                block.max_bytes
            ),
        );
    }
    if (block.max_bytes as u64) < max_tx_bytes {
        return fail(
            "consensus_params.block.max_bytes",
            format!(
                "{} is smaller than app_state.params.max_tx_bytes {max_tx_bytes}: the largest tx would never fit a block",
                block.max_bytes
            ),
        );
    }
    if block.max_gas < -1 {
        return fail(
            "consensus_params.block.max_gas",
            format!("must be -1 (unlimited) or more, got {}", block.max_gas),
        );
    }
    let evidence = &params.evidence;
    if evidence.max_age_num_blocks <= 0 {
        return fail(
            "consensus_params.evidence.max_age_num_blocks",
            "must be greater than 0",
        );
    }
    if evidence.max_age_duration <= 0 {
        return fail(
            "consensus_params.evidence.max_age_duration",
            "must be greater than 0 (nanoseconds)",
        );
    }
    if evidence.max_bytes < 0 || evidence.max_bytes > block.max_bytes {
        return fail(
            "consensus_params.evidence.max_bytes",
            format!(
                "must be between 0 and consensus_params.block.max_bytes ({}), got {}",
                block.max_bytes, evidence.max_bytes
            ),
        );
    }
    let types = &params.validator.pub_key_types;
    if let Some(bad) = types
        .iter()
        .find(|t| !KNOWN_KEY_TYPES.contains(&t.as_str()))
    {
        return fail(
            "consensus_params.validator.pub_key_types",
            format!("unknown key type {bad:?}, expected one of {KNOWN_KEY_TYPES:?}"),
        );
    }
    if !types.iter().any(|t| t == "ed25519") {
        return fail(
            "consensus_params.validator.pub_key_types",
            "must include \"ed25519\", the genesis validators' key type",
        );
    }
    if params.abci.vote_extensions_enable_height < 0 {
        return fail(
            "consensus_params.abci.vote_extensions_enable_height",
            "must be 0 (disabled) or more",
        );
    }
    Ok(())
}

fn validate_validators(validators: &[GenesisValidator]) -> Result<(), GenesisDocError> {
    if validators.is_empty() {
        return fail("validators", "at least one validator is required");
    }
    let mut keys = BTreeSet::new();
    let mut total: u64 = 0;
    for (i, validator) in validators.iter().enumerate() {
        let field = |name: &str| format!("validators[{i}].{name}");
        if validator.pub_key.key_type != ED25519_PUBKEY_TYPE {
            return fail(
                field("pub_key.type"),
                format!(
                    "{:?} is not supported, expected {ED25519_PUBKEY_TYPE:?}",
                    validator.pub_key.key_type
                ),
            );
        }
        let key = parse_ed25519_pubkey(&validator.pub_key.value)
            .map_err(|e| GenesisDocError::new(field("pub_key.value"), e.to_string()))?;
        let expected = validator_address(&key);
        if !validator.address.eq_ignore_ascii_case(&expected) {
            return fail(
                field("address"),
                format!(
                    "{:?} does not match the public key, whose address is {expected}",
                    validator.address
                ),
            );
        }
        if !keys.insert(key) {
            return fail(
                field("pub_key.value"),
                format!("duplicate validator key {}", validator.pub_key.value),
            );
        }
        if validator.power == 0 {
            return fail(field("power"), "must be greater than 0");
        }
        total = match total.checked_add(validator.power) {
            Some(sum) if sum <= MAX_TOTAL_VOTING_POWER => sum,
            _ => {
                return fail(
                    field("power"),
                    format!("total voting power exceeds CometBFT's limit {MAX_TOTAL_VOTING_POWER}"),
                )
            }
        };
    }
    Ok(())
}
