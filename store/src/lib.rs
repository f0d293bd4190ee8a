//! quired's durable storage on redb: the committed state, the blob index and the
//! last commit (height + app hash), all written in one atomic, fsynced redb
//! transaction per block.
//!
//! Why redb: a pure-Rust, ACID, copy-on-write B-tree with a stable file format;
//! a commit is either fully on disk or not at all, so `kill -9` at any moment
//! leaves the last committed block intact (sled 0.34, the original choice, is
//! an unmaintained beta with corruption reports after unclean shutdowns).

mod codec;

use codec::{
    blob_key, decode_blob, decode_commitment, decode_leaf, encode_blob, encode_commitment,
    encode_leaf, leaf_key,
};
use quire_app::state::snapshot::{IndexedHeight, RestoredState};
use quire_app::state::TreeRead;
use quire_app::{CommitBatch, StateRead, StateReadError};
use quire_core::commitment::{NamespaceLeaf, NamespaceTree};
use quire_core::merkle::InclusionProof;
use quire_core::{Blob, Namespace};
use redb::{Database, ReadOnlyTable, ReadableTable, TableDefinition};
use std::path::Path;
use thiserror::Error;

const STATE: TableDefinition<&[u8], &[u8]> = TableDefinition::new("state");
/// The state tree's nodes (latest version only): node key (version u64 BE ‖
/// nibble path, borsh) -> node (borsh), as `quire_app::state::tree` encodes
/// them.
const TREE: TableDefinition<&[u8], &[u8]> = TableDefinition::new("tree");
const BLOBS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("blobs");
const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");
const NAMESPACES: TableDefinition<&[u8], &[u8]> = TableDefinition::new("namespaces");
const COMMITMENTS: TableDefinition<u64, &[u8]> = TableDefinition::new("commitments");
/// Attestations (signed header and validator sets, as the read API encodes
/// them) of heights restored from a snapshot, whose blocks this node's
/// CometBFT does not have. Pruned with the blob index.
const ATTESTATIONS: TableDefinition<u64, &[u8]> = TableDefinition::new("attestations");
const LAST_HEIGHT: &str = "last_height";
const LAST_APP_HASH: &str = "last_app_hash";

/// A storage failure.
#[derive(Debug, Error)]
#[non_exhaustive]
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

/// Deletes the blob index below the `retention` heights that end at
/// `height`, oldest first, at most [`MAX_PRUNED_PER_COMMIT`] heights.
fn prune_blob_index(
    txn: &redb::WriteTransaction,
    height: u64,
    retention: u64,
) -> Result<(), StoreError> {
    let keep_from = height.saturating_sub(retention).saturating_add(1);
    let mut commitments = txn.open_table(COMMITMENTS)?;
    let Some(first) = commitments.first()?.map(|(h, _)| h.value()) else {
        return Ok(());
    };
    let end = keep_from.min(first.saturating_add(MAX_PRUNED_PER_COMMIT));
    if first >= end {
        return Ok(());
    }
    let lowest = Namespace::new([0; 32]);
    commitments.retain_in(first..end, |_, _| false)?;
    txn.open_table(ATTESTATIONS)?
        .retain_in(first..end, |_, _| false)?;
    let (from, to) = (leaf_key(first, &lowest), leaf_key(end, &lowest));
    txn.open_table(NAMESPACES)?
        .retain_in(from.as_slice()..to.as_slice(), |_, _| false)?;
    let (from, to) = (blob_key(first, &lowest, 0), blob_key(end, &lowest, 0));
    txn.open_table(BLOBS)?
        .retain_in(from.as_slice()..to.as_slice(), |_, _| false)?;
    Ok(())
}

/// The last commit recorded in `meta`.
fn read_last_commit(
    meta: &impl redb::ReadableTable<&'static str, &'static [u8]>,
) -> Result<Option<LastCommit>, StoreError> {
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

/// Most heights of the blob index one Commit prunes: lowering the retention
/// prunes the backlog over several blocks, and a Commit stays short.
pub const MAX_PRUNED_PER_COMMIT: u64 = 64;

/// The node's database.
pub struct Store {
    db: Database,
    /// Heights of the blob index kept (0: all).
    blob_retention: u64,
}

impl Store {
    /// Opens (or creates) the database at `path`.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let db = Database::create(path)?;
        let txn = db.begin_write()?;
        txn.open_table(STATE)?;
        txn.open_table(TREE)?;
        txn.open_table(BLOBS)?;
        txn.open_table(META)?;
        txn.open_table(NAMESPACES)?;
        txn.open_table(COMMITMENTS)?;
        txn.open_table(ATTESTATIONS)?;
        txn.commit()?;
        Ok(Store {
            db,
            blob_retention: 0,
        })
    }

    /// Keeps the blob index (blobs, namespace leaves, commitments: what the
    /// read API serves) of the last `heights` heights only; 0 keeps all.
    /// Older heights are deleted in the Commits that follow, at most
    /// [`MAX_PRUNED_PER_COMMIT`] heights each. The state is never pruned.
    pub fn with_blob_retention(mut self, heights: u64) -> Self {
        self.blob_retention = heights;
        self
    }

    /// The lowest height whose blob index is stored, if any.
    pub fn first_indexed_height(&self) -> Result<Option<u64>, StoreError> {
        let txn = self.db.begin_read()?;
        let commitments = txn.open_table(COMMITMENTS)?;
        let first = commitments.first()?.map(|(height, _)| height.value());
        Ok(first)
    }

    /// The last committed block, or `None` before the first commit.
    pub fn last_commit(&self) -> Result<Option<LastCommit>, StoreError> {
        let txn = self.db.begin_read()?;
        read_last_commit(&txn.open_table(META)?)
    }

    /// Persists one block atomically: state writes, blob index entries and the
    /// new last commit, in one fsynced transaction. A crash leaves either all
    /// of it or none of it on disk.
    pub fn commit(&self, batch: &CommitBatch<'_>) -> Result<(), StoreError> {
        self.commit_with(batch, || {})
    }

    /// [`Store::commit`], calling `before_durable` once every write is staged
    /// and before the transaction is made durable (crash-injection tests use
    /// it to die at that point).
    pub fn commit_with(
        &self,
        batch: &CommitBatch<'_>,
        before_durable: impl FnOnce(),
    ) -> Result<(), StoreError> {
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
            let mut tree = txn.open_table(TREE)?;
            for (key, node) in &batch.tree.nodes {
                tree.insert(key.as_slice(), node.as_slice())?;
            }
            for key in &batch.tree.stale {
                tree.remove(key.as_slice())?;
            }
            write_blobs(&txn, batch.height, batch.blobs)?;
            if let Some(commitment) = batch.commitment {
                write_commitment(
                    &txn,
                    batch.height,
                    &commitment.leaves,
                    &commitment.tx,
                    &commitment.tx_proof,
                )?;
            }

            let mut meta = txn.open_table(META)?;
            meta.insert(LAST_HEIGHT, batch.height.to_be_bytes().as_slice())?;
            meta.insert(LAST_APP_HASH, batch.app_hash.as_slice())?;
        }
        if self.blob_retention > 0 {
            prune_blob_index(&txn, batch.height, self.blob_retention)?;
        }
        before_durable();
        txn.commit()?;
        Ok(())
    }

    /// Replaces everything with a state restored from a snapshot (state
    /// sync), in one fsynced transaction: the state entries, the tree's
    /// nodes, the last commit and the blob index become the snapshot's (its
    /// recent heights, with their attestations). A crash leaves either the
    /// old store or the restored one.
    pub fn restore(&self, restored: &RestoredState) -> Result<(), StoreError> {
        let txn = self.db.begin_write()?;
        for table in [STATE, TREE, BLOBS, NAMESPACES] {
            txn.delete_table(table)?;
        }
        txn.delete_table(COMMITMENTS)?;
        txn.delete_table(ATTESTATIONS)?;
        {
            let mut state = txn.open_table(STATE)?;
            for (key, value) in &restored.entries {
                state.insert(key.as_slice(), value.as_slice())?;
            }
            let mut tree = txn.open_table(TREE)?;
            for (key, node) in &restored.nodes {
                tree.insert(key.as_slice(), node.as_slice())?;
            }
            txn.open_table(BLOBS)?;
            txn.open_table(NAMESPACES)?;
            txn.open_table(COMMITMENTS)?;
            let mut attestations = txn.open_table(ATTESTATIONS)?;
            for indexed in &restored.blob_index {
                let tree = NamespaceTree::build(indexed.height, &indexed.blobs);
                write_blobs(&txn, indexed.height, &indexed.blobs)?;
                write_commitment(
                    &txn,
                    indexed.height,
                    tree.leaves(),
                    &indexed.commitment_tx,
                    &indexed.tx_proof,
                )?;
                attestations.insert(indexed.height, indexed.attestation.as_slice())?;
            }
            let mut meta = txn.open_table(META)?;
            meta.insert(LAST_HEIGHT, restored.height.to_be_bytes().as_slice())?;
            meta.insert(LAST_APP_HASH, restored.app_hash.as_slice())?;
        }
        txn.commit()?;
        Ok(())
    }

    /// A consistent read view of the committed state, its tree and the
    /// last commit they are of.
    pub fn state(&self) -> Result<StateSnapshot, StoreError> {
        let txn = self.db.begin_read()?;
        Ok(StateSnapshot {
            last_commit: read_last_commit(&txn.open_table(META)?)?,
            table: txn.open_table(STATE)?,
            tree: txn.open_table(TREE)?,
            blobs: txn.open_table(BLOBS)?,
            commitments: txn.open_table(COMMITMENTS)?,
            attestations: txn.open_table(ATTESTATIONS)?,
        })
    }

    /// The attestation a snapshot gave for `height`, if it was restored
    /// from one (this node's CometBFT has no block of it).
    pub fn attestation(&self, height: u64) -> Result<Option<Vec<u8>>, StoreError> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(ATTESTATIONS)?;
        Ok(table.get(height)?.map(|v| v.value().to_vec()))
    }

    /// The blobs of `namespace` at `height`, in block order (empty if none).
    pub fn blobs(&self, height: u64, namespace: &Namespace) -> Result<Vec<Blob>, StoreError> {
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

    /// Every blob of the block at `height`, sorted by namespace, then block order.
    pub fn block_blobs(&self, height: u64) -> Result<Vec<Blob>, StoreError> {
        let txn = self.db.begin_read()?;
        read_block_blobs(&txn.open_table(BLOBS)?, height)
    }

    /// The namespace tree leaves of the block at `height`, sorted by namespace.
    pub fn namespace_leaves(&self, height: u64) -> Result<Vec<NamespaceLeaf>, StoreError> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(NAMESPACES)?;
        let start = leaf_key(height, &Namespace::new([0; 32]));
        let end = leaf_key(height, &Namespace::new([0xff; 32]));
        let mut out = Vec::new();
        for entry in table.range(start.as_slice()..=end.as_slice())? {
            let (key, value) = entry?;
            out.push(decode_leaf(key.value(), value.value())?);
        }
        Ok(out)
    }

    /// The commitment tx of the block at `height` and its proof under the
    /// header's data hash, if the block has one.
    pub fn commitment(&self, height: u64) -> Result<Option<(Vec<u8>, InclusionProof)>, StoreError> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(COMMITMENTS)?;
        let Some(value) = table.get(height)? else {
            return Ok(None);
        };
        decode_commitment(value.value()).map(Some)
    }
}

/// A read-only view of committed state (entries and tree) at the moment it
/// was taken.
pub struct StateSnapshot {
    last_commit: Option<LastCommit>,
    table: ReadOnlyTable<&'static [u8], &'static [u8]>,
    tree: ReadOnlyTable<&'static [u8], &'static [u8]>,
    blobs: ReadOnlyTable<&'static [u8], &'static [u8]>,
    commitments: ReadOnlyTable<u64, &'static [u8]>,
    attestations: ReadOnlyTable<u64, &'static [u8]>,
}

impl StateSnapshot {
    /// The commit this view is of (`None` before the first).
    pub fn last_commit(&self) -> Option<LastCommit> {
        self.last_commit
    }

    /// The blob index of the newest heights up to this view's, oldest
    /// first: at most `heights` consecutive heights, stopping before the
    /// first one not indexed (pruned, or before a restore) or whose blobs
    /// exceed `max_height_bytes`. Each height's attestation is the one the
    /// store holds (heights restored from a snapshot), empty otherwise.
    pub fn recent_index(
        &self,
        heights: u64,
        max_height_bytes: usize,
    ) -> Result<Vec<IndexedHeight>, StoreError> {
        let Some(last) = self.last_commit else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        let mut height = last.height;
        while (out.len() as u64) < heights && height > 0 {
            let Some(record) = self.commitments.get(height)? else {
                break;
            };
            let (commitment_tx, tx_proof) = decode_commitment(record.value())?;
            let mut blobs = read_block_blobs(&self.blobs, height)?;
            blobs.sort_by_key(|b| (b.tx_index, b.msg_index));
            let attestation = self
                .attestations
                .get(height)?
                .map(|v| v.value().to_vec())
                .unwrap_or_default();
            let indexed = IndexedHeight {
                height,
                commitment_tx,
                tx_proof,
                attestation,
                blobs,
            };
            if indexed.encoded_len() > max_height_bytes {
                break;
            }
            out.push(indexed);
            height -= 1;
        }
        out.reverse();
        Ok(out)
    }
}

/// Every blob of the block at `height` in `table`, sorted by namespace,
/// then block order.
fn read_block_blobs(
    table: &impl ReadableTable<&'static [u8], &'static [u8]>,
    height: u64,
) -> Result<Vec<Blob>, StoreError> {
    let start = blob_key(height, &Namespace::new([0; 32]), 0);
    let end = blob_key(height, &Namespace::new([0xff; 32]), u32::MAX);
    let mut out = Vec::new();
    for entry in table.range(start.as_slice()..=end.as_slice())? {
        let (key, value) = entry?;
        let namespace = Namespace::from_slice(key.value().get(8..40).unwrap_or_default())
            .map_err(|_| StoreError::Corrupt("blob key".into()))?;
        out.push(decode_blob(namespace, value.value())?);
    }
    Ok(out)
}

/// Writes a block's blobs (in block order) to the blob index.
fn write_blobs(txn: &redb::WriteTransaction, height: u64, list: &[Blob]) -> Result<(), StoreError> {
    let mut blobs = txn.open_table(BLOBS)?;
    let mut positions: std::collections::BTreeMap<Namespace, u32> = Default::default();
    for blob in list {
        let position = positions.entry(blob.namespace).or_insert(0);
        let key = blob_key(height, &blob.namespace, *position);
        *position += 1;
        blobs.insert(key.as_slice(), encode_blob(blob).as_slice())?;
    }
    Ok(())
}

/// Writes a block's namespace leaves and its commitment tx with its proof.
fn write_commitment(
    txn: &redb::WriteTransaction,
    height: u64,
    leaves: &[NamespaceLeaf],
    tx: &[u8],
    tx_proof: &InclusionProof,
) -> Result<(), StoreError> {
    let mut table = txn.open_table(NAMESPACES)?;
    for leaf in leaves {
        let key = leaf_key(height, &leaf.namespace);
        table.insert(key.as_slice(), encode_leaf(leaf).as_slice())?;
    }
    let mut commitments = txn.open_table(COMMITMENTS)?;
    commitments.insert(height, encode_commitment(tx, tx_proof).as_slice())?;
    Ok(())
}

impl TreeRead for StateSnapshot {
    fn tree_node(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StateReadError> {
        self.tree
            .get(key)
            .map(|v| v.map(|v| v.value().to_vec()))
            .map_err(|e| StateReadError(e.to_string()))
    }
}

impl StateRead for StateSnapshot {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StateReadError> {
        self.table
            .get(key)
            .map(|v| v.map(|v| v.value().to_vec()))
            .map_err(|e| StateReadError(e.to_string()))
    }

    fn prefix(&self, prefix: &[u8]) -> Result<quire_app::state::Entries, StateReadError> {
        let read_error = |e: redb::StorageError| StateReadError(e.to_string());
        let mut out = Vec::new();
        for entry in self.table.range(prefix..).map_err(read_error)? {
            let (key, value) = entry.map_err(read_error)?;
            if !key.value().starts_with(prefix) {
                break;
            }
            out.push((key.value().to_vec(), value.value().to_vec()));
        }
        Ok(out)
    }

    fn page(
        &self,
        prefix: &[u8],
        from: Option<&[u8]>,
        limit: usize,
    ) -> Result<quire_app::state::Entries, StateReadError> {
        let read_error = |e: redb::StorageError| StateReadError(e.to_string());
        let start = from.filter(|from| *from > prefix).unwrap_or(prefix);
        let mut out = Vec::new();
        for entry in self.table.range(start..).map_err(read_error)? {
            if out.len() >= limit {
                break;
            }
            let (key, value) = entry.map_err(read_error)?;
            if !key.value().starts_with(prefix) {
                break;
            }
            out.push((key.value().to_vec(), value.value().to_vec()));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quire_app::chain::ChainRead;
    use quire_app::{ChangeSet, FinalizedCommitment};
    use quire_core::Address;

    fn blob(ns: &str, tx_index: u32, data: &[u8]) -> Blob {
        Blob {
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
        changes.insert(
            quire_app::chain::keys::CHAIN_ID.to_vec(),
            Some(b"test-chain".to_vec()),
        );
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
                    tree: &Default::default(),
                    blobs: &blobs,
                    commitment: None,
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
    fn commitment_records_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("q.redb")).unwrap();
        let blobs = vec![
            blob("a", 1, b"one"),
            blob("b", 2, b"two"),
            blob("a", 3, b"three"),
        ];
        let leaves: Vec<NamespaceLeaf> = [("a", 2u32), ("b", 1)]
            .iter()
            .map(|(ns, count)| NamespaceLeaf {
                namespace: Namespace::from_rollup_name(ns),
                blob_count: *count,
                blobs_root: [*count as u8; 32],
            })
            .collect();
        let proof = InclusionProof {
            index: 0,
            total: 4,
            aunts: vec![[1; 32], [2; 32]],
        };
        let tx = b"commitment tx bytes".to_vec();
        let changes = ChangeSet::new();
        store
            .commit(&CommitBatch {
                height: 1,
                app_hash: [0; 32],
                changes: &changes,
                tree: &Default::default(),
                blobs: &blobs,
                commitment: Some(&FinalizedCommitment {
                    tx: tx.clone(),
                    tx_proof: proof.clone(),
                    leaves: leaves.clone(),
                    matches_blobs: true,
                }),
            })
            .unwrap();
        let mut sorted_leaves = leaves.clone();
        sorted_leaves.sort_by_key(|l| l.namespace);
        assert_eq!(store.namespace_leaves(1).unwrap(), sorted_leaves);
        assert!(store.namespace_leaves(2).unwrap().is_empty());
        assert_eq!(store.commitment(1).unwrap(), Some((tx, proof)));
        assert_eq!(store.commitment(2).unwrap(), None);
        let all = store.block_blobs(1).unwrap();
        assert_eq!(all.len(), 3);
        assert!(all.windows(2).all(|w| w[0].namespace <= w[1].namespace));
    }

    /// Commits `heights` with one blob and one namespace leaf each.
    fn commit_indexed(store: &Store, heights: std::ops::RangeInclusive<u64>) {
        let changes = ChangeSet::new();
        for height in heights {
            let blobs = vec![blob("a", 1, format!("blob {height}").as_bytes())];
            let leaves = vec![NamespaceLeaf {
                namespace: Namespace::from_rollup_name("a"),
                blob_count: 1,
                blobs_root: [1; 32],
            }];
            let proof = InclusionProof {
                index: 0,
                total: 2,
                aunts: vec![[1; 32]],
            };
            store
                .commit(&CommitBatch {
                    height,
                    app_hash: [height as u8; 32],
                    changes: &changes,
                    tree: &Default::default(),
                    blobs: &blobs,
                    commitment: Some(&FinalizedCommitment {
                        tx: height.to_be_bytes().to_vec(),
                        tx_proof: proof,
                        leaves,
                        matches_blobs: true,
                    }),
                })
                .unwrap();
        }
    }

    #[test]
    fn the_recent_blob_index_goes_into_a_snapshot_and_comes_back_from_a_restore() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("a.redb")).unwrap();
        commit_indexed(&store, 1..=6);
        let view = store.state().unwrap();
        let recent = view.recent_index(4, usize::MAX).unwrap();
        assert_eq!(
            recent.iter().map(|h| h.height).collect::<Vec<_>>(),
            vec![3, 4, 5, 6]
        );
        assert_eq!(recent[3].blobs, store.block_blobs(6).unwrap());
        assert_eq!(
            (recent[3].commitment_tx.clone(), recent[3].tx_proof.clone()),
            store.commitment(6).unwrap().unwrap()
        );
        assert!(recent[3].attestation.is_empty());
        // More heights than are indexed, or a size bound: stops early.
        assert_eq!(view.recent_index(100, usize::MAX).unwrap().len(), 6);
        assert!(view.recent_index(100, 10).unwrap().is_empty());

        // Restored into another store: the index and the attestations.
        let mut index = recent.clone();
        for h in &mut index {
            h.attestation = vec![h.height as u8; 8];
        }
        let other = Store::open(&dir.path().join("b.redb"))
            .unwrap()
            .with_blob_retention(3);
        other
            .restore(&RestoredState {
                height: 6,
                app_hash: [6; 32],
                entries: Default::default(),
                nodes: Default::default(),
                blob_index: index.clone(),
            })
            .unwrap();
        assert_eq!(other.first_indexed_height().unwrap(), Some(3));
        for h in 3..=6 {
            assert_eq!(other.block_blobs(h).unwrap(), store.block_blobs(h).unwrap());
            assert_eq!(other.commitment(h).unwrap(), store.commitment(h).unwrap());
            assert_eq!(other.attestation(h).unwrap(), Some(vec![h as u8; 8]));
        }
        assert_eq!(other.block_blobs(2).unwrap(), Vec::new());
        assert_eq!(other.attestation(2).unwrap(), None);
        assert_eq!(
            other.state().unwrap().recent_index(4, usize::MAX).unwrap(),
            index
        );
        // Pruning takes attestations with the rest of the index.
        commit_indexed(&other, 7..=7);
        assert_eq!(other.first_indexed_height().unwrap(), Some(5));
        assert_eq!(other.attestation(4).unwrap(), None);
        assert_eq!(other.attestation(5).unwrap(), Some(vec![5; 8]));
    }

    #[test]
    fn blob_retention_prunes_old_heights_a_bounded_number_per_commit() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("q.redb");
        // Archival by default: everything kept.
        let store = Store::open(&path).unwrap();
        commit_indexed(&store, 1..=100);
        assert_eq!(store.first_indexed_height().unwrap(), Some(1));
        drop(store);
        // Retention lowered to 10: the backlog goes at most 64 heights a
        // commit, oldest first, then the index holds exactly the last 10.
        let store = Store::open(&path).unwrap().with_blob_retention(10);
        commit_indexed(&store, 101..=101);
        assert_eq!(store.first_indexed_height().unwrap(), Some(65));
        assert!(store
            .blobs(64, &Namespace::from_rollup_name("a"))
            .unwrap()
            .is_empty());
        assert!(store.namespace_leaves(64).unwrap().is_empty());
        assert_eq!(store.commitment(64).unwrap(), None);
        assert_eq!(
            store
                .blobs(65, &Namespace::from_rollup_name("a"))
                .unwrap()
                .len(),
            1
        );
        commit_indexed(&store, 102..=103);
        assert_eq!(store.first_indexed_height().unwrap(), Some(94));
        for height in 94..=103 {
            assert!(store.commitment(height).unwrap().is_some(), "{height}");
            assert_eq!(store.namespace_leaves(height).unwrap().len(), 1);
            assert_eq!(store.block_blobs(height).unwrap().len(), 1);
        }
        assert!(store.block_blobs(93).unwrap().is_empty());
        // The last commit and the state are untouched.
        assert_eq!(store.last_commit().unwrap().unwrap().height, 103);
    }

    /// A store whose first commit wrote each of `keys` (as its own value).
    fn store_with_keys(dir: &tempfile::TempDir, keys: &[&[u8]]) -> (Store, ChangeSet) {
        let store = Store::open(&dir.path().join("q.redb")).unwrap();
        let mut changes = ChangeSet::new();
        for key in keys {
            changes.insert(key.to_vec(), Some(key.to_vec()));
        }
        store
            .commit(&CommitBatch {
                height: 1,
                app_hash: [0; 32],
                changes: &changes,
                tree: &Default::default(),
                blobs: &[],
                commitment: None,
            })
            .unwrap();
        (store, changes)
    }

    #[test]
    fn prefix_reads_are_in_key_order_and_bounded() {
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = store_with_keys(&dir, &[b"a/2", b"a/1", b"b/1", b"a", b"a/\xff"]);
        let keys: Vec<Vec<u8>> = store
            .state()
            .unwrap()
            .prefix(b"a/")
            .unwrap()
            .into_iter()
            .map(|(key, _)| key)
            .collect();
        assert_eq!(
            keys,
            vec![b"a/1".to_vec(), b"a/2".to_vec(), b"a/\xff".to_vec()]
        );
    }

    #[test]
    fn pages_read_from_a_key_and_stop_at_the_limit_or_the_prefix() {
        let dir = tempfile::tempdir().unwrap();
        let (store, changes) = store_with_keys(&dir, &[b"a", b"a/1", b"a/2", b"a/3", b"b/1"]);
        let view = store.state().unwrap();
        let keys = |from: Option<&[u8]>, limit| -> Vec<Vec<u8>> {
            view.page(b"a/", from, limit)
                .unwrap()
                .into_iter()
                .map(|(key, _)| key)
                .collect()
        };
        assert_eq!(keys(None, 2), vec![b"a/1".to_vec(), b"a/2".to_vec()]);
        assert_eq!(
            keys(Some(b"a/2"), 5),
            vec![b"a/2".to_vec(), b"a/3".to_vec()]
        );
        // A start before the prefix starts at the prefix; after it, nothing.
        assert_eq!(keys(Some(b"0"), 1), vec![b"a/1".to_vec()]);
        assert!(keys(Some(b"a/4"), 5).is_empty());
        assert!(keys(None, 0).is_empty());
        // The default (in-memory) page agrees with the store's.
        let overlay = quire_app::state::Overlay {
            changes: Some(&changes),
            base: &quire_app::state::EmptyState,
        };
        assert_eq!(
            overlay.page(b"a/", Some(b"a/2"), 5).unwrap(),
            view.page(b"a/", Some(b"a/2"), 5).unwrap()
        );
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
                tree: &Default::default(),
                blobs: &[],
                commitment: None,
            })
            .unwrap();
        let err = store.commit(&CommitBatch {
            height: 7,
            app_hash: [1; 32],
            changes: &changes,
            tree: &Default::default(),
            blobs: &[],
            commitment: None,
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
                tree: &Default::default(),
                blobs: &[],
                commitment: None,
            })
            .unwrap();
        assert_eq!(store.last_commit().unwrap().unwrap().height, 6);
    }
}
