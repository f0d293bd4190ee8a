//! quired's durable storage on redb: the committed state, the blob index and the
//! last commit (height + app hash), all written in one atomic, fsynced redb
//! transaction per block.
//!
//! Why redb: a pure-Rust, ACID, copy-on-write B-tree with a stable file format;
//! a commit is either fully on disk or not at all, so `kill -9` at any moment
//! leaves the last committed block intact (sled 0.34, the original choice, is
//! an unmaintained beta with corruption reports after unclean shutdowns).

use quire_app::{Address, BlobRecord, ChangeSet, Namespace, StateReader, StorageError};
use redb::{Database, ReadOnlyTable, TableDefinition};
use std::path::Path;
use thiserror::Error;

const STATE: TableDefinition<&[u8], &[u8]> = TableDefinition::new("state");
const BLOBS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("blobs");
const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");
const LAST_HEIGHT: &str = "last_height";
const LAST_APP_HASH: &str = "last_app_hash";

/// A storage failure.
#[derive(Debug, Error)]
pub enum StoreError {
    /// redb failed (I/O, corruption, full disk...).
    #[error("database error: {0}")]
    Db(Box<redb::Error>),
    /// A record on disk does not decode.
    #[error("corrupt record: {0}")]
    Corrupt(String),
    /// A commit that does not follow the last one.
    #[error("commit of height {got} does not follow the last committed height {last}")]
    OutOfOrder {
        /// Last committed height.
        last: u64,
        /// Height offered.
        got: u64,
    },
}

macro_rules! from_redb {
    ($($t:ty),*) => {$(
        impl From<$t> for StoreError {
            fn from(e: $t) -> Self {
                StoreError::Db(Box::new(e.into()))
            }
        }
    )*};
}
from_redb!(
    redb::Error,
    redb::DatabaseError,
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError
);

/// The last committed block: what ABCI Info reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LastCommit {
    /// Height of the last committed block (0 before the first).
    pub height: u64,
    /// App hash after it.
    pub app_hash: [u8; 32],
}

/// Everything one Commit writes.
#[derive(Debug)]
pub struct CommitBatch<'a> {
    /// Height being committed.
    pub height: u64,
    /// App hash after it.
    pub app_hash: [u8; 32],
    /// State writes.
    pub changes: &'a ChangeSet,
    /// The block's blobs in block order.
    pub blobs: &'a [BlobRecord],
}

/// The node's database.
pub struct Store {
    db: Database,
}

impl Store {
    /// Opens (or creates) the database at `path`.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let db = Database::create(path)?;
        let txn = db.begin_write()?;
        txn.open_table(STATE)?;
        txn.open_table(BLOBS)?;
        txn.open_table(META)?;
        txn.commit()?;
        Ok(Store { db })
    }

    /// The last committed block, or `None` before the first commit.
    pub fn last_commit(&self) -> Result<Option<LastCommit>, StoreError> {
        let txn = self.db.begin_read()?;
        let meta = txn.open_table(META)?;
        let Some(height) = meta.get(LAST_HEIGHT)? else {
            return Ok(None);
        };
        let height = u64::from_be_bytes(
            height
                .value()
                .try_into()
                .map_err(|_| StoreError::Corrupt("last_height".into()))?,
        );
        let hash = meta
            .get(LAST_APP_HASH)?
            .ok_or_else(|| StoreError::Corrupt("last_app_hash missing".into()))?;
        let app_hash = hash
            .value()
            .try_into()
            .map_err(|_| StoreError::Corrupt("last_app_hash".into()))?;
        Ok(Some(LastCommit { height, app_hash }))
    }

    /// Persists one block atomically: state writes, blob index entries and the
    /// new last commit, in one fsynced transaction. A crash leaves either all
    /// of it or none of it on disk.
    pub fn commit(&self, batch: &CommitBatch<'_>) -> Result<(), StoreError> {
        if let Some(last) = self.last_commit()? {
            if batch.height != last.height + 1 {
                return Err(StoreError::OutOfOrder {
                    last: last.height,
                    got: batch.height,
                });
            }
        }
        let txn = self.db.begin_write()?;
        {
            let mut state = txn.open_table(STATE)?;
            for (key, value) in batch.changes {
                match value {
                    Some(value) => {
                        state.insert(key.as_slice(), value.as_slice())?;
                    }
                    None => {
                        state.remove(key.as_slice())?;
                    }
                }
            }
            let mut blobs = txn.open_table(BLOBS)?;
            let mut positions: std::collections::BTreeMap<Namespace, u32> = Default::default();
            for blob in batch.blobs {
                let position = positions.entry(blob.namespace).or_insert(0);
                let key = blob_key(batch.height, &blob.namespace, *position);
                *position += 1;
                blobs.insert(key.as_slice(), encode_blob(blob).as_slice())?;
            }
            let mut meta = txn.open_table(META)?;
            meta.insert(LAST_HEIGHT, batch.height.to_be_bytes().as_slice())?;
            meta.insert(LAST_APP_HASH, batch.app_hash.as_slice())?;
        }
        txn.commit()?;
        Ok(())
    }

    /// A consistent read view of the committed state.
    pub fn state(&self) -> Result<StateSnapshot, StoreError> {
        let txn = self.db.begin_read()?;
        Ok(StateSnapshot {
            table: txn.open_table(STATE)?,
        })
    }

    /// The blobs of `namespace` at `height`, in block order (empty if none).
    pub fn blobs(&self, height: u64, namespace: &Namespace) -> Result<Vec<BlobRecord>, StoreError> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(BLOBS)?;
        let start = blob_key(height, namespace, 0);
        let end = blob_key(height, namespace, u32::MAX);
        let mut out = Vec::new();
        for entry in table.range(start.as_slice()..=end.as_slice())? {
            let (_, value) = entry?;
            out.push(decode_blob(*namespace, value.value())?);
        }
        Ok(out)
    }
}

/// A read-only view of committed state at the moment it was taken.
pub struct StateSnapshot {
    table: ReadOnlyTable<&'static [u8], &'static [u8]>,
}

impl StateReader for StateSnapshot {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        self.table
            .get(key)
            .map(|v| v.map(|v| v.value().to_vec()))
            .map_err(|e| StorageError(e.to_string()))
    }
}

/// Blob index key: height u64 BE ‖ namespace (32) ‖ position within the
/// namespace at that height u32 BE. Sorted by height, then namespace, then order.
fn blob_key(height: u64, namespace: &Namespace, position: u32) -> [u8; 44] {
    let mut key = [0u8; 44];
    key[..8].copy_from_slice(&height.to_be_bytes());
    key[8..40].copy_from_slice(namespace.as_bytes());
    key[40..].copy_from_slice(&position.to_be_bytes());
    key
}

/// Blob index value: signer (20) ‖ tx hash (32) ‖ tx index u32 BE ‖ msg index u32 BE ‖ data.
fn encode_blob(blob: &BlobRecord) -> Vec<u8> {
    let mut out = Vec::with_capacity(60 + blob.data.len());
    out.extend_from_slice(blob.signer.as_bytes());
    out.extend_from_slice(&blob.tx_hash);
    out.extend_from_slice(&blob.tx_index.to_be_bytes());
    out.extend_from_slice(&blob.msg_index.to_be_bytes());
    out.extend_from_slice(&blob.data);
    out
}

fn decode_blob(namespace: Namespace, bytes: &[u8]) -> Result<BlobRecord, StoreError> {
    if bytes.len() < 60 {
        return Err(StoreError::Corrupt(format!(
            "blob record of {} bytes",
            bytes.len()
        )));
    }
    let corrupt = |_| StoreError::Corrupt("blob record".into());
    Ok(BlobRecord {
        namespace,
        signer: Address::new(bytes[..20].try_into().map_err(corrupt)?),
        tx_hash: bytes[20..52].try_into().map_err(corrupt)?,
        tx_index: u32::from_be_bytes(bytes[52..56].try_into().map_err(corrupt)?),
        msg_index: u32::from_be_bytes(bytes[56..60].try_into().map_err(corrupt)?),
        data: bytes[60..].to_vec(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use quire_app::state::StateReadExt;

    fn blob(ns: &str, tx_index: u32, data: &[u8]) -> BlobRecord {
        BlobRecord {
            namespace: Namespace::from_rollup_name(ns),
            signer: Address::new([9; 20]),
            tx_hash: [tx_index as u8; 32],
            tx_index,
            msg_index: 0,
            data: data.to_vec(),
        }
    }

    #[test]
    fn commit_then_reopen_keeps_state_blobs_and_last_commit() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("q.redb");
        let mut changes = ChangeSet::new();
        changes.insert(b"meta/chain_id".to_vec(), Some(b"test-chain".to_vec()));
        changes.insert(b"gone".to_vec(), None);
        let blobs = vec![
            blob("a", 0, b"one"),
            blob("b", 1, b"two"),
            blob("a", 2, b"three"),
        ];
        {
            let store = Store::open(&path).unwrap();
            assert_eq!(store.last_commit().unwrap(), None);
            store
                .commit(&CommitBatch {
                    height: 1,
                    app_hash: [7; 32],
                    changes: &changes,
                    blobs: &blobs,
                })
                .unwrap();
        }
        let store = Store::open(&path).unwrap();
        assert_eq!(
            store.last_commit().unwrap(),
            Some(LastCommit {
                height: 1,
                app_hash: [7; 32]
            })
        );
        assert_eq!(store.state().unwrap().chain_id().unwrap(), "test-chain");
        let a = store.blobs(1, &Namespace::from_rollup_name("a")).unwrap();
        assert_eq!(
            a.iter().map(|b| b.data.as_slice()).collect::<Vec<_>>(),
            vec![&b"one"[..], &b"three"[..]]
        );
        assert_eq!(a[1], blobs[2]);
        assert!(store
            .blobs(2, &Namespace::from_rollup_name("a"))
            .unwrap()
            .is_empty());
        assert!(store
            .blobs(1, &Namespace::from_rollup_name("c"))
            .unwrap()
            .is_empty());
    }

    #[test]
    fn refuses_a_commit_out_of_order() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("q.redb")).unwrap();
        let changes = ChangeSet::new();
        store
            .commit(&CommitBatch {
                height: 5,
                app_hash: [1; 32],
                changes: &changes,
                blobs: &[],
            })
            .unwrap();
        let err = store.commit(&CommitBatch {
            height: 7,
            app_hash: [1; 32],
            changes: &changes,
            blobs: &[],
        });
        assert!(matches!(
            err,
            Err(StoreError::OutOfOrder { last: 5, got: 7 })
        ));
        store
            .commit(&CommitBatch {
                height: 6,
                app_hash: [2; 32],
                changes: &changes,
                blobs: &[],
            })
            .unwrap();
        assert_eq!(store.last_commit().unwrap().unwrap().height, 6);
    }
}
