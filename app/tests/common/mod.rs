//! Test support shared by the state-machine test files: committed state in
//! memory, which is what the node's store does, minus the disk.

use quire_app::state::{ChangeSet, StateReader};
use quire_app::StorageError;
use std::collections::BTreeMap;

/// Committed state in memory, with the chain's last app hash and height.
#[derive(Default, Clone)]
pub struct MemState {
    pub data: BTreeMap<Vec<u8>, Vec<u8>>,
    pub app_hash: [u8; 32],
    pub height: u64,
}

impl StateReader for MemState {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        Ok(self.data.get(key).cloned())
    }
}

impl MemState {
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
