//! `app_state.encryption`: the rules, and where the first epoch key comes
//! from: the validators' on-chain key generation (`dkg`: who plays, with
//! which keys, and how long each phase lasts), or a trusted dealer's key
//! and who holds which share (`epoch_key`, `members`: test and local
//! networks only, one point of trust; docs/blind-ordering.md).

use super::dkg::state::{DkgConfig, DkgRead, DkgWrite, RoundPlayers};
use super::state::{EncryptionParams, EncryptionWrite};
use crate::genesis::{Genesis, GenesisError};
use crate::state::StateWrite;
use quire_core::encryption::MAX_ENVELOPES_PER_BLOCK;
use quire_core::staking::consensus_address;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

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
/// Default blocks per key-generation phase.
pub const DEFAULT_DKG_PHASE_BLOCKS: u64 = 10;
/// The fewest blocks per phase: a phase's messages are recorded from its
/// second block, and need a second chance.
pub const MIN_DKG_PHASE_BLOCKS: u64 = 3;
/// The most blocks per phase.
pub const MAX_DKG_PHASE_BLOCKS: u64 = 10_000;

/// `app_state.encryption.dkg`: the on-chain key generation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DkgGenesis {
    /// Blocks per phase (deal, ack, log): the first key is known at the end
    /// of block `initial_height + 3 × phase_blocks − 1`.
    #[serde(default = "default_phase_blocks")]
    pub phase_blocks: u64,
    /// The players: every genesis validator that will hold a key share.
    pub players: Vec<DkgPlayer>,
}

/// One player of the key generation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DkgPlayer {
    /// The validator's consensus key (base64, as in
    /// `app_state.staking.validators`).
    pub consensus_key: String,
    /// Its key-generation keys (hex of `quire_tpke::dkg::DkgPublic`:
    /// ed25519 identity ‖ x25519 sealing key; `quired init` makes them).
    pub dkg_key: String,
}

fn default_phase_blocks() -> u64 {
    DEFAULT_DKG_PHASE_BLOCKS
}

/// The `app_state.encryption` section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EncryptionGenesis {
    /// A trusted dealer's epoch key (hex of `quire_tpke::EpochKey::to_bytes`):
    /// the group key and every participant's public share. Absent: `dkg`
    /// generates it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epoch_key: Option<String>,
    /// With `epoch_key`: the consensus key (base64, as in
    /// `app_state.staking.validators`) of the validator holding each key
    /// share, by participant index.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub members: Vec<String>,
    /// The on-chain key generation of the first epoch key (instead of
    /// `epoch_key`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dkg: Option<DkgGenesis>,
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
            epoch_key: Some(hex::encode(key.to_bytes())),
            members: members
                .iter()
                .map(|k| base64::engine::general_purpose::STANDARD.encode(k))
                .collect(),
            dkg: None,
            max_envelopes_per_block: DEFAULT_MAX_ENVELOPES_PER_BLOCK,
            expiry_blocks: DEFAULT_EXPIRY_BLOCKS,
            expiries_to_disable: DEFAULT_EXPIRIES_TO_DISABLE,
        }
    }

    /// The section of a chain whose validators generate the key: `players`
    /// are (consensus key, key-generation keys), with the default rules.
    pub fn generated(
        players: &[([u8; 32], quire_tpke::dkg::DkgPublic)],
        phase_blocks: u64,
    ) -> Self {
        use base64::Engine as _;
        EncryptionGenesis {
            epoch_key: None,
            members: Vec::new(),
            dkg: Some(DkgGenesis {
                phase_blocks,
                players: players
                    .iter()
                    .map(|(key, public)| DkgPlayer {
                        consensus_key: base64::engine::general_purpose::STANDARD.encode(key),
                        dkg_key: hex::encode(public.to_bytes()),
                    })
                    .collect(),
            }),
            max_envelopes_per_block: DEFAULT_MAX_ENVELOPES_PER_BLOCK,
            expiry_blocks: DEFAULT_EXPIRY_BLOCKS,
            expiries_to_disable: DEFAULT_EXPIRIES_TO_DISABLE,
        }
    }
}

/// The consensus key `value` (base64) of a genesis validator, once.
fn validator_key(
    value: &str,
    what: &str,
    validators: &BTreeSet<[u8; 32]>,
    seen: &mut BTreeSet<[u8; 32]>,
) -> Result<[u8; 32], GenesisError> {
    use base64::Engine as _;
    let fail = |reason: String| GenesisError::Encryption(reason);
    let pubkey: [u8; 32] = base64::engine::general_purpose::STANDARD
        .decode(value)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| fail(format!("{what} is not a base64 32-byte key")))?;
    if !validators.contains(&pubkey) {
        return Err(fail(format!(
            "{what} is not the consensus key of a genesis validator"
        )));
    }
    if !seen.insert(pubkey) {
        return Err(fail(format!("{what} is listed twice")));
    }
    Ok(pubkey)
}

/// Checks the section and writes the rules and the key (epoch 1), or the
/// key generation's players and its first round.
pub(super) fn init(
    state: &mut dyn StateWrite,
    genesis: &Genesis<'_>,
    section: &EncryptionGenesis,
) -> Result<(), GenesisError> {
    let fail = |reason: String| GenesisError::Encryption(reason);
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
    let mut validators = BTreeSet::new();
    for bond in &genesis.state.staking.validators {
        if let Ok(key) = bond.consensus_key() {
            validators.insert(key);
        }
    }
    match (&section.epoch_key, &section.dkg) {
        (Some(epoch_key), None) => init_dealt(state, section, epoch_key, &validators),
        (None, Some(dkg)) => init_generated(state, genesis, section, dkg, &validators),
        (Some(_), Some(_)) => Err(fail(
            "give either epoch_key (a trusted dealer's) or dkg (generated on chain), not both"
                .into(),
        )),
        (None, None) => Err(fail(
            "no key: give dkg (generated on chain) or epoch_key (a trusted dealer's)".into(),
        )),
    }
}

fn init_dealt(
    state: &mut dyn StateWrite,
    section: &EncryptionGenesis,
    epoch_key: &str,
    validators: &BTreeSet<[u8; 32]>,
) -> Result<(), GenesisError> {
    let fail = |reason: String| GenesisError::Encryption(reason);
    let bytes = hex::decode(epoch_key.trim_start_matches("0x"))
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
    let mut seen = BTreeSet::new();
    let members = section
        .members
        .iter()
        .enumerate()
        .map(|(index, member)| {
            validator_key(member, &format!("members[{index}]"), validators, &mut seen)
                .map(|key| consensus_address(&key))
        })
        .collect::<Result<Vec<_>, _>>()?;
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

fn init_generated(
    state: &mut dyn StateWrite,
    genesis: &Genesis<'_>,
    section: &EncryptionGenesis,
    dkg: &DkgGenesis,
    validators: &BTreeSet<[u8; 32]>,
) -> Result<(), GenesisError> {
    let fail = |reason: String| GenesisError::Encryption(reason);
    if !(MIN_DKG_PHASE_BLOCKS..=MAX_DKG_PHASE_BLOCKS).contains(&dkg.phase_blocks) {
        return Err(fail(format!(
            "dkg.phase_blocks must be {MIN_DKG_PHASE_BLOCKS}..={MAX_DKG_PHASE_BLOCKS}, got {}",
            dkg.phase_blocks
        )));
    }
    // A message is recorded by any of the P − 1 proposers of its phase:
    // at least one must be honest, and f colluding proposers in a row is
    // the worst with equal powers.
    let faults = (dkg.players.len() as u64).saturating_sub(1) / 3;
    if dkg.phase_blocks < faults + 2 {
        return Err(fail(format!(
            "dkg.phase_blocks must be at least f + 2 = {} for {} players (f = {faults} faulty proposers in a row must not censor a phase)",
            faults + 2,
            dkg.players.len()
        )));
    }
    if dkg.players.is_empty() || dkg.players.len() > quire_tpke::dkg::MAX_DKG_PLAYERS {
        return Err(fail(format!(
            "dkg.players must list 1..={} validators, got {}",
            quire_tpke::dkg::MAX_DKG_PLAYERS,
            dkg.players.len()
        )));
    }
    let operators: BTreeMap<[u8; 32], (&str, u64)> = genesis
        .state
        .staking
        .validators
        .iter()
        .filter_map(|bond| {
            let power = quire_core::staking::voting_power(bond.self_bond);
            Some((bond.consensus_key().ok()?, (bond.operator.as_str(), power)))
        })
        .collect();
    let mut seen = BTreeSet::new();
    let mut players = Vec::with_capacity(dkg.players.len());
    for (index, player) in dkg.players.iter().enumerate() {
        let what = format!("dkg.players[{index}]");
        let key = validator_key(
            &player.consensus_key,
            &format!("{what}.consensus_key"),
            validators,
            &mut seen,
        )?;
        let public = hex::decode(player.dkg_key.trim_start_matches("0x"))
            .ok()
            .and_then(|b| quire_tpke::dkg::DkgPublic::from_bytes(&b).ok())
            .ok_or_else(|| {
                fail(format!(
                    "{what}.dkg_key is not the hex of 64 bytes of key-generation keys"
                ))
            })?;
        let (operator, power) = operators
            .get(&key)
            .and_then(|(o, power)| Some((o.parse::<quire_core::Address>().ok()?, *power)))
            .ok_or_else(|| fail(format!("{what}: its validator has no valid operator")))?;
        if state
            .dkg_owner(&public.identity)
            .map_err(|e| fail(e.to_string()))?
            .is_some()
        {
            return Err(fail(format!("{what}.dkg_key is listed twice")));
        }
        state.put_dkg_key(operator.as_bytes(), &public);
        players.push((power, operator, consensus_address(&key), public));
    }
    if let Some(missing) = validators.iter().find(|k| !seen.contains(*k)) {
        use base64::Engine as _;
        return Err(fail(format!(
            "dkg.players must list every genesis validator (each holds a key share and later rounds take the whole active set); {} is missing",
            base64::engine::general_purpose::STANDARD.encode(missing)
        )));
    }
    // Round 1 as every later round picks its players: the most powerful
    // first, the largest prefix whose threshold holds in stake.
    players.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    let powers: Vec<u64> = players.iter().map(|p| p.0).collect();
    let total = powers.iter().copied().fold(0, u64::saturating_add);
    let keep = super::dkg::players::stake_bound_prefix(&powers, total).unwrap_or(powers.len());
    let players = RoundPlayers(
        players
            .into_iter()
            .take(keep)
            .map(|(_, _, address, public)| (address, public))
            .collect(),
    );
    quire_tpke::dkg::Round::new(genesis.chain_id, 1, &players.publics())
        .map_err(|e| fail(format!("dkg.players: {e}")))?;
    state.put_dkg_config(&DkgConfig {
        phase_blocks: dkg.phase_blocks,
        max_envelopes_per_block: section.max_envelopes_per_block,
        expiry_blocks: section.expiry_blocks,
        expiries_to_disable: section.expiries_to_disable,
    });
    super::dkg::players::start(state, 1, genesis.initial_height, dkg.phase_blocks, &players);
    Ok(())
}
