//! Typed reads and writes of l1's state.

use super::keys;
use crate::error::StateReadError;
use crate::state::{StateRead, StateWrite};
use quire_core::l1::history::{self, MissingNode, NodeSource};
use quire_core::l1::{Attestation, Checkpoint, Domain, L1Address, L1Valset};

/// The anchoring constants, fixed at genesis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct L1Config {
    /// The L1's chain id.
    pub l1_chain_id: u64,
    /// Quire's initial height: the history's first leaf.
    pub initial_height: u64,
    /// keccak-256 of the Quire chain id.
    pub salt: [u8; 32],
}

impl L1Config {
    /// The EIP-712 domain.
    pub fn domain(&self) -> Domain {
        Domain {
            l1_chain_id: self.l1_chain_id,
            salt: self.salt,
        }
    }

    fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(48);
        out.extend_from_slice(&self.l1_chain_id.to_be_bytes());
        out.extend_from_slice(&self.initial_height.to_be_bytes());
        out.extend_from_slice(&self.salt);
        out
    }

    fn decode(bytes: &[u8]) -> Option<Self> {
        let bytes: &[u8; 48] = bytes.try_into().ok()?;
        Some(L1Config {
            l1_chain_id: u64::from_be_bytes(bytes[..8].try_into().ok()?),
            initial_height: u64::from_be_bytes(bytes[8..16].try_into().ok()?),
            salt: bytes[16..].try_into().ok()?,
        })
    }
}

fn corrupt(what: &str) -> StateReadError {
    StateReadError(format!("corrupt l1 record: {what}"))
}

fn array<const N: usize>(bytes: &[u8], what: &str) -> Result<[u8; N], StateReadError> {
    bytes.try_into().map_err(|_| corrupt(what))
}

/// The history's nodes as stored in a state.
pub struct StoredHistory<'s>(pub &'s dyn StateRead);

impl NodeSource for StoredHistory<'_> {
    fn node(&self, level: u8, index: u64) -> Result<[u8; 32], MissingNode> {
        let missing = |reason: String| MissingNode {
            level,
            index,
            reason,
        };
        match self.0.get(&keys::history_node(level, index)) {
            Ok(Some(bytes)) => bytes
                .as_slice()
                .try_into()
                .map_err(|_| missing("not 32 bytes".into())),
            Ok(None) => Err(missing("not stored".into())),
            Err(e) => Err(missing(e.0)),
        }
    }
}

/// Reads of l1's state.
pub trait L1Read: StateRead {
    /// The anchoring constants; `None` on a chain that is not anchored.
    fn l1_config(&self) -> Result<Option<L1Config>, StateReadError> {
        self.get(keys::CONFIG)?
            .map(|b| L1Config::decode(&b).ok_or_else(|| corrupt("config")))
            .transpose()
    }

    /// An operator's registered L1 key.
    fn l1_key(&self, operator: &[u8; 20]) -> Result<Option<L1Address>, StateReadError> {
        self.get(&keys::key_of(operator))?
            .map(|b| array(&b, "key").map(L1Address))
            .transpose()
    }

    /// Who registered an L1 address (ever).
    fn l1_owner(&self, address: &L1Address) -> Result<Option<[u8; 20]>, StateReadError> {
        self.get(&keys::owner(address.as_bytes()))?
            .map(|b| array(&b, "owner"))
            .transpose()
    }

    /// The first heights of the latest sets, newest first.
    fn l1_recent_sets(&self) -> Result<Vec<u64>, StateReadError> {
        let bytes = self.get(keys::RECENT)?.unwrap_or_default();
        if bytes.len() % 8 != 0 {
            return Err(corrupt("recent sets"));
        }
        Ok(bytes
            .chunks_exact(8)
            .map(|c| u64::from_be_bytes(c.try_into().unwrap_or_default()))
            .collect())
    }

    /// The L1 set that signs `height`: the latest set whose first height
    /// is at most `height`. The consensus paths find it among the recent
    /// sets; older heights (the read API) scan every set.
    fn l1_set_at(&self, height: u64) -> Result<L1Valset, StateReadError> {
        let recent = self.l1_recent_sets()?;
        let from = match recent.iter().find(|&&from| from <= height) {
            Some(&from) => from,
            None => {
                let mut found = None;
                for (key, _) in self.prefix(keys::SETS)? {
                    let from = u64::from_be_bytes(array(&key[keys::SETS.len()..], "set key")?);
                    if from <= height {
                        found = Some(from);
                    }
                }
                found.ok_or_else(|| {
                    StateReadError(format!("no L1 validator set covers height {height}"))
                })?
            }
        };
        let bytes = self
            .get(&keys::set(from))?
            .ok_or_else(|| corrupt("recent set missing"))?;
        L1Valset::decode(&bytes).map_err(|e| corrupt(&e.to_string()))
    }

    /// A height's block hash, once the height is finalized.
    fn l1_block_hash(&self, height: u64) -> Result<Option<[u8; 32]>, StateReadError> {
        self.get(&keys::block(height))?
            .map(|b| array(&b, "block hash"))
            .transpose()
    }

    /// A height's attestation (stored by the next block).
    fn l1_attestation(&self, height: u64) -> Result<Option<Attestation>, StateReadError> {
        self.get(&keys::attestation(height))?
            .map(|b| Attestation::decode(&b).map_err(|e| corrupt(&e.to_string())))
            .transpose()
    }
}

impl<S: StateRead + ?Sized> L1Read for S {}

/// The checkpoint of `height` with block hash `block_hash`, from any state
/// at which `height - 1` is committed (the history then holds every height
/// before `height`, and the sets of `height` and `height + 1` are known).
pub fn checkpoint_at(
    state: &dyn StateRead,
    config: &L1Config,
    height: u64,
    block_hash: [u8; 32],
) -> Result<Checkpoint, StateReadError> {
    checkpoint_for(state, config, &state.l1_set_at(height)?, height, block_hash)
}

/// [`checkpoint_at`] for a caller that already read `set`, the L1 set of
/// `height`.
pub fn checkpoint_for(
    state: &dyn StateRead,
    config: &L1Config,
    set: &L1Valset,
    height: u64,
    block_hash: [u8; 32],
) -> Result<Checkpoint, StateReadError> {
    let history_size = height.checked_sub(config.initial_height).ok_or_else(|| {
        StateReadError(format!(
            "height {height} is before the initial height {}",
            config.initial_height
        ))
    })?;
    let history_root = history::root(&StoredHistory(state), history_size)
        .map_err(|e| StateReadError(e.to_string()))?;
    Ok(Checkpoint {
        height,
        block_hash,
        history_size,
        history_root,
        valset_hash: set.hash(),
        next_valset_hash: state.l1_set_at(height.saturating_add(1))?.hash(),
    })
}

/// Writes of l1's state.
pub trait L1Write: StateWrite {
    /// Records the anchoring constants (genesis).
    fn put_l1_config(&mut self, config: &L1Config) {
        self.put_raw(keys::CONFIG.to_vec(), config.encode());
    }

    /// Registers `address` as `operator`'s L1 key.
    fn put_l1_key(&mut self, operator: &[u8; 20], address: &L1Address) {
        self.put_raw(keys::key_of(operator), address.as_bytes().to_vec());
        self.put_raw(keys::owner(address.as_bytes()), operator.to_vec());
    }

    /// Records `set` as the one in force from `from` on.
    fn put_l1_set(&mut self, from: u64, set: &L1Valset) -> Result<(), StateReadError> {
        let mut recent = self.l1_recent_sets()?;
        recent.retain(|&h| h != from);
        recent.insert(0, from);
        recent.truncate(keys::RECENT_SETS);
        self.put_raw(keys::set(from), set.encode());
        self.put_raw(
            keys::RECENT.to_vec(),
            recent.iter().flat_map(|h| h.to_be_bytes()).collect(),
        );
        Ok(())
    }

    /// Records a height's block hash.
    fn put_l1_block_hash(&mut self, height: u64, hash: &[u8; 32]) {
        self.put_raw(keys::block(height), hash.to_vec());
    }

    /// Stores a history node.
    fn put_history_node(&mut self, level: u8, index: u64, hash: [u8; 32]) {
        self.put_raw(keys::history_node(level, index), hash.to_vec());
    }

    /// Stores a height's attestation.
    fn put_l1_attestation(&mut self, attestation: &Attestation) {
        self.put_raw(keys::attestation(attestation.height), attestation.encode());
    }
}

impl<S: StateWrite + ?Sized> L1Write for S {}
