//! Test support shared by the state-machine test files: committed state in
//! memory, which is what the node's store does, minus the disk.

use quire_app::state::{ChangeSet, StateReader};
use quire_app::{GenesisState, StateReadError};
use std::collections::BTreeMap;

/// Committed state in memory, with the chain's last app hash and height.
#[derive(Default, Clone)]
pub struct MemState {
    pub data: BTreeMap<Vec<u8>, Vec<u8>>,
    pub app_hash: [u8; 32],
    pub height: u64,
}

impl StateReader for MemState {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StateReadError> {
        Ok(self.data.get(key).cloned())
    }
}

impl MemState {
    /// The committed state right after `genesis` for `chain_id`, at height 1.
    pub fn from_genesis(genesis: &GenesisState, chain_id: &str) -> Self {
        let (changes, app_hash) = genesis.init(chain_id, 1).unwrap();
        let mut state = MemState {
            app_hash,
            ..Default::default()
        };
        state.apply(&changes);
        state
    }

    /// Applies a block's (or genesis') writes.
    pub fn apply(&mut self, changes: &ChangeSet) {
        for (k, v) in changes {
            match v {
                Some(v) => self.data.insert(k.clone(), v.clone()),
                None => self.data.remove(k),
            };
        }
    }
}
