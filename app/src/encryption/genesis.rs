//! `app_state.encryption`: the epoch key of a trusted dealer (test and
//! local networks only, docs/blind-ordering.md: one point of trust until
//! the on-chain key generation lands), who holds which key share, and the
//! rules.

use super::state::{EncryptionParams, EncryptionWrite};
use crate::genesis::{Genesis, GenesisError};
use crate::state::StateWrite;
use quire_core::encryption::MAX_ENVELOPES_PER_BLOCK;
use quire_core::staking::consensus_address;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// Default cap on envelopes per block.
pub const DEFAULT_MAX_ENVELOPES_PER_BLOCK: u32 = 32;
/// Default E: blocks after its own by which a slot must be revealed.
pub const DEFAULT_EXPIRY_BLOCKS: u64 = 20;
/// Default K: expired slots in a row that switch encryption off.
pub const DEFAULT_EXPIRIES_TO_DISABLE: u32 = 3;
/// The smallest E: a slot is revealed at `S + 2` at the earliest, and gets
/// at least one more chance.
pub const MIN_EXPIRY_BLOCKS: u64 = 3;
/// The largest E (bounds the queue: at most E slots of envelopes wait).
pub const MAX_EXPIRY_BLOCKS: u64 = 1000;

/// The `app_state.encryption` section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EncryptionGenesis {
    /// The epoch key (hex of `quire_tpke::EpochKey::to_bytes`): the group
    /// key and every participant's public share.
    pub epoch_key: String,
    /// The consensus key (base64, as in `app_state.staking.validators`) of
    /// the validator holding each key share, by participant index.
    pub members: Vec<String>,
    /// The most envelopes one block may carry.
    #[serde(default = "default_max_envelopes")]
    pub max_envelopes_per_block: u32,
    /// E: a slot not revealed within E blocks of its own expires.
    #[serde(default = "default_expiry")]
    pub expiry_blocks: u64,
    /// K: expired slots in a row that switch the chain to plaintext only.
    #[serde(default = "default_expiries")]
    pub expiries_to_disable: u32,
}

fn default_max_envelopes() -> u32 {
    DEFAULT_MAX_ENVELOPES_PER_BLOCK
}
fn default_expiry() -> u64 {
    DEFAULT_EXPIRY_BLOCKS
}
fn default_expiries() -> u32 {
    DEFAULT_EXPIRIES_TO_DISABLE
}

impl EncryptionGenesis {
    /// The section for `key`, held by the validators of `members` (their
    /// consensus keys, by participant index), with the default rules.
    pub fn new(key: &quire_tpke::EpochKey, members: &[[u8; 32]]) -> Self {
        use base64::Engine as _;
        EncryptionGenesis {
            epoch_key: hex::encode(key.to_bytes()),
            members: members
                .iter()
                .map(|k| base64::engine::general_purpose::STANDARD.encode(k))
                .collect(),
            max_envelopes_per_block: DEFAULT_MAX_ENVELOPES_PER_BLOCK,
            expiry_blocks: DEFAULT_EXPIRY_BLOCKS,
            expiries_to_disable: DEFAULT_EXPIRIES_TO_DISABLE,
        }
    }
}

/// Checks the section and writes the rules and the key (epoch 1).
pub(super) fn init(
    state: &mut dyn StateWrite,
    genesis: &Genesis<'_>,
    section: &EncryptionGenesis,
) -> Result<(), GenesisError> {
    let fail = |reason: String| GenesisError::Encryption(reason);
    let bytes = hex::decode(section.epoch_key.trim_start_matches("0x"))
        .map_err(|e| fail(format!("epoch_key is not hex: {e}")))?;
    let key =
        quire_tpke::EpochKey::from_bytes(&bytes).map_err(|e| fail(format!("epoch_key: {e}")))?;
    if section.members.len() != key.participants() as usize {
        return Err(fail(format!(
            "members lists {} validators, the epoch key has {} participants",
            section.members.len(),
            key.participants()
        )));
    }
    let mut validators = BTreeSet::new();
    for bond in &genesis.state.staking.validators {
        if let Ok(key) = bond.consensus_key() {
            validators.insert(key);
        }
    }
    let mut members = Vec::with_capacity(section.members.len());
    let mut seen = BTreeSet::new();
    for (index, member) in section.members.iter().enumerate() {
        use base64::Engine as _;
        let pubkey: [u8; 32] = base64::engine::general_purpose::STANDARD
            .decode(member)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| fail(format!("members[{index}] is not a base64 32-byte key")))?;
        if !validators.contains(&pubkey) {
            return Err(fail(format!(
                "members[{index}] is not the consensus key of a genesis validator"
            )));
        }
        if !seen.insert(pubkey) {
            return Err(fail(format!("members[{index}] is listed twice")));
        }
        members.push(consensus_address(&pubkey));
    }
    if section.max_envelopes_per_block == 0
        || section.max_envelopes_per_block as usize > MAX_ENVELOPES_PER_BLOCK
    {
        return Err(fail(format!(
            "max_envelopes_per_block must be 1..={MAX_ENVELOPES_PER_BLOCK}, got {}",
            section.max_envelopes_per_block
        )));
    }
    if !(MIN_EXPIRY_BLOCKS..=MAX_EXPIRY_BLOCKS).contains(&section.expiry_blocks) {
        return Err(fail(format!(
            "expiry_blocks must be {MIN_EXPIRY_BLOCKS}..={MAX_EXPIRY_BLOCKS}, got {}",
            section.expiry_blocks
        )));
    }
    if section.expiries_to_disable == 0 {
        return Err(fail("expiries_to_disable must be at least 1".into()));
    }
    state.put_encryption(
        &EncryptionParams {
            epoch: 1,
            max_envelopes_per_block: section.max_envelopes_per_block,
            expiry_blocks: section.expiry_blocks,
            expiries_to_disable: section.expiries_to_disable,
            members,
        },
        &key,
    );
    Ok(())
}
