//! State-sync snapshots of the committed state (format 2): every state
//! entry, in the order of its key's hash, in chunks that each carry a range
//! proof, so that a node restoring the state checks every chunk against the
//! app hash it trusts (the light client's) as it arrives, not only at the
//! end; then the recent blob index ([`index`]), checked against the
//! restored state.
//!
//! A snapshot of height H is its **manifest** (ABCI `Snapshot.metadata`):
//!
//! ```text
//! "quire/snapshot/v2\0" ‖ entries u64 ‖ chunks u32 ‖ index_chunks u32
//!   ‖ sha256(chunk) × chunks
//! ```
//!
//! (`Snapshot.hash` = sha256(manifest)), and its **chunks**: first the state
//! chunks, then the last `index_chunks` are blob index chunks ([`index`]).
//! A state chunk:
//!
//! ```text
//! "quire/chunk/v1\0" ‖ count u32 ‖ (key_len u32 ‖ key ‖ value_len u32 ‖ value) × count
//!   ‖ proof_len u32 ‖ proof (borsh jmt SparseMerkleRangeProof: the right siblings
//!     of the chunk's last key)
//! ```
//!
//! All integers big-endian. Entries are sorted by `sha256(key)` (the tree's
//! key hash), strictly increasing across the whole snapshot. A [`Restorer`]
//! checks each chunk's hash against the manifest (a peer sending a wrong
//! chunk), then feeds it to jmt's restore, which checks the leaves so far
//! with the chunk's range proof against the trusted root (a snapshot that is
//! wrong as a whole). The last chunk fixes the root completely.
//!
//! The blob index (the blobs themselves) is not state: the state holds each
//! height's commitment and a digest of its index. A snapshot carries the
//! index of its last heights, checked against those records, so a restoring
//! node serves reads of them too; older heights it never has.

use crate::error::StateReadError;
use crate::state::tree::{self, encode_key, storage_error, TreeRead};
use jmt::proof::SparseMerkleRangeProof;
use jmt::restore::{JellyfishMerkleRestore, StateSnapshotReceiver};
use jmt::storage::{NodeBatch, TreeWriter};
use jmt::{KeyHash, RootHash};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use thiserror::Error;

pub mod index;

pub use index::IndexedHeight;

/// The snapshot format this module writes and reads.
pub const FORMAT: u32 = 2;
const MANIFEST_MAGIC: &[u8] = b"quire/snapshot/v2\0";
const CHUNK_MAGIC: &[u8] = b"quire/chunk/v1\0";
/// Most chunks a manifest may list (a 2 MiB manifest).
pub const MAX_CHUNKS: u32 = 65_536;
/// Most bytes of one chunk a node writes or accepts: CometBFT's state-sync
/// reactor drops chunk messages over 16 000 000 bytes, framing included.
pub const MAX_CHUNK_BYTES: usize = 15_000_000;
/// The size chunks are cut at by default (a chunk holds at least one entry).
pub const DEFAULT_CHUNK_BYTES: usize = 4 * 1024 * 1024;

/// Why a snapshot or chunk was refused.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SnapshotError {
    /// The manifest does not decode or is out of bounds.
    #[error("bad snapshot manifest: {0}")]
    BadManifest(String),
    /// A chunk other than the next one was given.
    #[error("chunk {got} given, chunk {expected} expected")]
    OutOfOrder {
        /// The next chunk.
        expected: u32,
        /// The one given.
        got: u32,
    },
    /// The chunk is not the one the manifest lists (refetch it elsewhere).
    #[error("chunk {0} does not have the hash the manifest lists")]
    ChunkHash(u32),
    /// The chunk matches the manifest but is malformed or does not prove
    /// against the trusted app hash: the snapshot itself is bad.
    #[error("chunk {index} is invalid: {reason}")]
    InvalidChunk {
        /// The chunk.
        index: u32,
        /// What is wrong.
        reason: String,
    },
    /// Reading the state to snapshot failed.
    #[error(transparent)]
    State(#[from] StateReadError),
}

/// A snapshot's manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    /// Number of state entries.
    pub entries: u64,
    /// sha256 of each chunk, in order.
    pub chunk_hashes: Vec<[u8; 32]>,
    /// How many of the chunks, at the end, are blob index chunks.
    pub index_chunks: u32,
}

impl Manifest {
    /// The manifest's bytes (ABCI `Snapshot.metadata`).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(MANIFEST_MAGIC.len() + 16 + 32 * self.chunk_hashes.len());
        out.extend_from_slice(MANIFEST_MAGIC);
        out.extend_from_slice(&self.entries.to_be_bytes());
        let chunks = u32::try_from(self.chunk_hashes.len()).unwrap_or(u32::MAX);
        out.extend_from_slice(&chunks.to_be_bytes());
        out.extend_from_slice(&self.index_chunks.to_be_bytes());
        for hash in &self.chunk_hashes {
            out.extend_from_slice(hash);
        }
        out
    }

    /// Decodes a manifest from a peer, within [`MAX_CHUNKS`].
    pub fn decode(bytes: &[u8]) -> Result<Self, SnapshotError> {
        let bad = |why: &str| SnapshotError::BadManifest(why.to_string());
        let rest = bytes
            .strip_prefix(MANIFEST_MAGIC)
            .ok_or_else(|| bad("not a Quire format 2 manifest"))?;
        let mut reader = Reader(rest);
        let entries = reader.u64().ok_or_else(|| bad("truncated"))?;
        let chunks = reader.u32().ok_or_else(|| bad("truncated"))?;
        let index_chunks = reader.u32().ok_or_else(|| bad("truncated"))?;
        if chunks == 0 || chunks > MAX_CHUNKS {
            return Err(bad("chunk count out of range"));
        }
        if index_chunks >= chunks {
            return Err(bad("no state chunk before the index chunks"));
        }
        if reader.0.len() != 32 * chunks as usize {
            return Err(bad("chunk hashes do not match the chunk count"));
        }
        let chunk_hashes = reader
            .0
            .chunks_exact(32)
            .map(|h| {
                let mut hash = [0u8; 32];
                hash.copy_from_slice(h);
                hash
            })
            .collect();
        Ok(Manifest {
            entries,
            chunk_hashes,
            index_chunks,
        })
    }

    /// The snapshot's hash (ABCI `Snapshot.hash`): sha256 of the manifest.
    pub fn hash(&self) -> [u8; 32] {
        Sha256::digest(self.encode()).into()
    }
}

/// A snapshot made by [`build`]: the manifest and the chunks' bytes.
#[derive(Debug, Clone)]
pub struct Built {
    /// The manifest.
    pub manifest: Manifest,
    /// The chunks, in order.
    pub chunks: Vec<Vec<u8>>,
}

/// A cursor over bytes from a peer.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.0.len() < n {
            return None;
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Some(head)
    }
    fn u32(&mut self) -> Option<u32> {
        self.take(4)
            .and_then(|b| b.try_into().ok())
            .map(u32::from_be_bytes)
    }
    fn u64(&mut self) -> Option<u64> {
        self.take(8)
            .and_then(|b| b.try_into().ok())
            .map(u64::from_be_bytes)
    }
    fn field(&mut self) -> Option<&'a [u8]> {
        let len = self.u32()? as usize;
        self.take(len)
    }
}

/// The body of a chunk framed as `magic` ‖ item count u32 BE ‖ items: its
/// count (at least one) and a reader at the first item. `kind` names the
/// chunk in errors, `item` what it holds.
fn framed<'a>(
    chunk: &'a [u8],
    magic: &[u8],
    kind: &str,
    item: &str,
) -> Result<(u32, Reader<'a>), String> {
    let rest = chunk
        .strip_prefix(magic)
        .ok_or_else(|| format!("not a {kind}"))?;
    let mut reader = Reader(rest);
    let count = reader.u32().ok_or("truncated")?;
    if count == 0 {
        return Err(format!("a {kind} holds at least one {item}"));
    }
    Ok((count, reader))
}

fn put_field(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
    out.extend_from_slice(bytes);
}

/// Snapshots the committed state `state` (whose tree is at `version`, the
/// height it was committed at) and the blob index `recent` (consecutive
/// heights ending at `version`, oldest first; may be empty) in chunks of
/// about `chunk_bytes`.
pub fn build(
    state: &impl crate::state::CommittedState,
    version: u64,
    recent: &[IndexedHeight],
    chunk_bytes: usize,
) -> Result<Built, SnapshotError> {
    let consecutive = recent.windows(2).all(|w| w[1].height == w[0].height + 1);
    if !consecutive || recent.last().is_some_and(|last| last.height != version) {
        return Err(SnapshotError::State(StateReadError(format!(
            "the blob index to snapshot is not the heights ending at {version}"
        ))));
    }
    let mut entries: Vec<(KeyHash, Vec<u8>, Vec<u8>)> = state
        .prefix(b"")?
        .into_iter()
        .map(|(key, value)| (KeyHash::with::<Sha256>(&key), key, value))
        .collect();
    entries.sort_by_key(|entry| entry.0);
    let mut chunks = Vec::new();
    let mut start = 0;
    while start < entries.len() {
        let mut end = start;
        let mut size = 0;
        while end < entries.len() && (end == start || size < chunk_bytes) {
            size += 8 + entries[end].1.len() + entries[end].2.len();
            end += 1;
        }
        let slice = &entries[start..end];
        let mut out = Vec::with_capacity(size + 64);
        out.extend_from_slice(CHUNK_MAGIC);
        out.extend_from_slice(&(slice.len() as u32).to_be_bytes());
        for (_, key, value) in slice {
            put_field(&mut out, key);
            put_field(&mut out, value);
        }
        let (last_hash, _, last_value) = &slice[slice.len() - 1];
        let proof = tree::range_proof(state, version, *last_hash, last_value.clone())?;
        put_field(&mut out, &proof);
        chunks.push(out);
        start = end;
    }
    if chunks.is_empty() {
        return Err(SnapshotError::State(StateReadError(
            "there is no state to snapshot".into(),
        )));
    }
    let index_chunks = index::encode_chunks(recent, chunk_bytes);
    let manifest = Manifest {
        entries: entries.len() as u64,
        index_chunks: index_chunks.len() as u32,
        chunk_hashes: chunks
            .iter()
            .chain(&index_chunks)
            .map(|c| Sha256::digest(c).into())
            .collect(),
    };
    chunks.extend(index_chunks);
    Ok(Built { manifest, chunks })
}

/// Encoded node key -> encoded node.
type Nodes = BTreeMap<Vec<u8>, Vec<u8>>;

/// The nodes jmt's restore writes, encoded as the store keeps them (an
/// error once they are taken).
struct CollectedNodes(Mutex<Result<Nodes, String>>);

impl TreeWriter for CollectedNodes {
    fn write_node_batch(&self, batch: &NodeBatch) -> anyhow::Result<()> {
        let mut guard = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let Ok(nodes) = guard.as_mut() else {
            return Err(anyhow::anyhow!("an earlier batch failed"));
        };
        for (key, node) in batch.nodes() {
            let key = encode_key(key).map_err(|e| anyhow::anyhow!(e.0))?;
            nodes.insert(key, borsh::to_vec(node)?);
        }
        Ok(())
    }
}

impl TreeRead for BTreeMap<Vec<u8>, Vec<u8>> {
    fn tree_node(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StateReadError> {
        Ok(self.get(key).cloned())
    }
}

/// The state restored from a whole snapshot, checked against its app hash:
/// what the node's store writes in one transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestoredState {
    /// The height the state is of (the tree's version).
    pub height: u64,
    /// Its root: the app hash of `height`.
    pub app_hash: [u8; 32],
    /// Every state entry, in key order.
    pub entries: BTreeMap<Vec<u8>, Vec<u8>>,
    /// The tree's nodes (encoded key -> encoded node), all of version `height`.
    pub nodes: BTreeMap<Vec<u8>, Vec<u8>>,
    /// The blob index of the last heights up to `height`, oldest first,
    /// each checked against the state.
    pub blob_index: Vec<IndexedHeight>,
}

/// What applying a chunk led to.
#[derive(Debug)]
pub enum Applied {
    /// More chunks are needed.
    More,
    /// The last chunk: the whole state, checked.
    Done(Box<RestoredState>),
}

/// Restores a snapshot chunk by chunk, checking each.
pub struct Restorer {
    height: u64,
    app_hash: [u8; 32],
    manifest: Manifest,
    next: u32,
    restore: Option<JellyfishMerkleRestore<Sha256>>,
    nodes: Arc<CollectedNodes>,
    entries: BTreeMap<Vec<u8>, Vec<u8>>,
    /// The state, once its chunks are all in (the index chunks follow).
    restored: Option<RestoredState>,
}

impl Restorer {
    /// Starts restoring the snapshot of `height` described by `manifest`
    /// (bytes from a peer) to the trusted `app_hash`.
    pub fn new(height: u64, app_hash: [u8; 32], manifest: &[u8]) -> Result<Self, SnapshotError> {
        let manifest = Manifest::decode(manifest)?;
        let nodes = Arc::new(CollectedNodes(Mutex::new(Ok(BTreeMap::new()))));
        let restore =
            JellyfishMerkleRestore::new_overwrite(nodes.clone(), height, RootHash(app_hash))
                .map_err(|e| SnapshotError::BadManifest(e.to_string()))?;
        Ok(Restorer {
            height,
            app_hash,
            manifest,
            next: 0,
            restore: Some(restore),
            nodes,
            entries: BTreeMap::new(),
            restored: None,
        })
    }

    /// The number of state chunks (the index chunks come after them).
    fn state_chunks(&self) -> u32 {
        self.chunks() - self.manifest.index_chunks
    }

    /// The number of chunks the snapshot has.
    pub fn chunks(&self) -> u32 {
        self.manifest.chunk_hashes.len() as u32
    }

    /// Applies chunk `index`, which must be the next one. After an error
    /// other than [`SnapshotError::OutOfOrder`] and [`SnapshotError::ChunkHash`]
    /// the restorer is spent: the snapshot is bad.
    pub fn apply(&mut self, index: u32, chunk: &[u8]) -> Result<Applied, SnapshotError> {
        if index != self.next {
            return Err(SnapshotError::OutOfOrder {
                expected: self.next,
                got: index,
            });
        }
        let expected =
            self.manifest
                .chunk_hashes
                .get(index as usize)
                .ok_or(SnapshotError::OutOfOrder {
                    expected: self.next,
                    got: index,
                })?;
        if chunk.len() > MAX_CHUNK_BYTES || <[u8; 32]>::from(Sha256::digest(chunk)) != *expected {
            return Err(SnapshotError::ChunkHash(index));
        }
        let invalid = |reason: String| SnapshotError::InvalidChunk { index, reason };
        if index >= self.state_chunks() {
            return self.apply_index(index, chunk);
        }
        let (entries, proof) = decode_chunk(chunk).map_err(|e| invalid(e.to_string()))?;
        let restore = self
            .restore
            .as_mut()
            .ok_or_else(|| invalid("an earlier chunk was refused".into()))?;
        let pairs: Vec<(KeyHash, Vec<u8>)> = entries
            .iter()
            .map(|(key, value)| (KeyHash::with::<Sha256>(key), value.to_vec()))
            .collect();
        // jmt checks the order of the keys and the proof; its restore code
        // asserts on states it thinks impossible: keep any panic an error.
        let added = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            restore.add_chunk(pairs, proof)
        }));
        match added {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                self.restore = None;
                return Err(invalid(e.to_string()));
            }
            Err(_) => {
                self.restore = None;
                return Err(invalid("the restore refused it".into()));
            }
        }
        for (key, value) in entries {
            self.entries.insert(key.to_vec(), value.to_vec());
        }
        self.next += 1;
        if self.next < self.state_chunks() {
            return Ok(Applied::More);
        }
        let restored = self.finish(index)?;
        if self.manifest.index_chunks == 0 {
            return Ok(Applied::Done(Box::new(restored)));
        }
        self.restored = Some(restored);
        Ok(Applied::More)
    }

    /// Applies index chunk `index` (its hash already checked): each height
    /// follows the one before and matches the restored state; the last
    /// chunk must end at the snapshot's height.
    fn apply_index(&mut self, index: u32, chunk: &[u8]) -> Result<Applied, SnapshotError> {
        let invalid = |reason: String| SnapshotError::InvalidChunk { index, reason };
        let restored = self
            .restored
            .as_mut()
            .ok_or_else(|| invalid("the state was not restored first".into()))?;
        let checked = index::decode_chunk(chunk).and_then(|heights| {
            for indexed in heights {
                if restored.blob_index.len() >= index::MAX_INDEX_HEIGHTS {
                    return Err(format!(
                        "more than {} heights of blob index",
                        index::MAX_INDEX_HEIGHTS
                    ));
                }
                let expected = restored
                    .blob_index
                    .last()
                    .map(|h| h.height.saturating_add(1));
                if expected.is_some_and(|e| indexed.height != e) || indexed.height > self.height {
                    return Err(format!(
                        "height {} out of sequence in the blob index",
                        indexed.height
                    ));
                }
                index::check(&indexed, &restored.entries)?;
                restored.blob_index.push(indexed);
            }
            Ok(())
        });
        if let Err(reason) = checked {
            self.restored = None;
            return Err(invalid(reason));
        }
        self.next += 1;
        if self.next < self.chunks() {
            return Ok(Applied::More);
        }
        let restored = self
            .restored
            .take()
            .ok_or_else(|| invalid("the restore is spent".into()))?;
        if restored.blob_index.last().map(|h| h.height) != Some(self.height) {
            return Err(invalid(format!(
                "the blob index does not end at the snapshot's height {}",
                self.height
            )));
        }
        Ok(Applied::Done(Box::new(restored)))
    }

    fn finish(&mut self, index: u32) -> Result<RestoredState, SnapshotError> {
        let invalid = |reason: String| SnapshotError::InvalidChunk { index, reason };
        let restore = self
            .restore
            .take()
            .ok_or_else(|| invalid("the restore is spent".into()))?;
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| restore.finish()))
            .map_err(|_| invalid("the restore could not finish".into()))?
            .map_err(|e| invalid(e.to_string()))?;
        let nodes = std::mem::replace(
            &mut *self
                .nodes
                .0
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner()),
            Err("taken".into()),
        )
        .map_err(invalid)?;
        if self.entries.len() as u64 != self.manifest.entries {
            return Err(invalid(format!(
                "{} entries restored, the manifest lists {}",
                self.entries.len(),
                self.manifest.entries
            )));
        }
        // The tree as it will be stored must have the trusted root.
        let root = tree::root(&nodes, None, self.height)?;
        if root != Some(self.app_hash) {
            return Err(invalid(
                "the restored tree's root is not the app hash".into(),
            ));
        }
        Ok(RestoredState {
            height: self.height,
            app_hash: self.app_hash,
            entries: std::mem::take(&mut self.entries),
            nodes,
            blob_index: Vec::new(),
        })
    }
}

type ChunkEntries<'a> = Vec<(&'a [u8], &'a [u8])>;

fn decode_chunk(
    chunk: &[u8],
) -> Result<(ChunkEntries<'_>, SparseMerkleRangeProof<Sha256>), String> {
    let (count, mut reader) = framed(chunk, CHUNK_MAGIC, "Quire format 2 state chunk", "entry")?;
    let mut entries = Vec::new();
    for _ in 0..count {
        let key = reader.field().ok_or("truncated entry")?;
        let value = reader.field().ok_or("truncated entry")?;
        entries.push((key, value));
    }
    let proof = reader.field().ok_or("truncated proof")?;
    if !reader.0.is_empty() {
        return Err("bytes after the proof".into());
    }
    let proof = borsh::from_slice(proof).map_err(|e| storage_error("a range proof", e).0)?;
    Ok((entries, proof))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::{ChangeSet, StateRead};

    /// A committed state in memory (quire-test-utils' `MemState` is of the
    /// crate's other build, not this test build's).
    struct Committed {
        data: BTreeMap<Vec<u8>, Vec<u8>>,
        tree: BTreeMap<Vec<u8>, Vec<u8>>,
        app_hash: [u8; 32],
    }

    impl StateRead for Committed {
        fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StateReadError> {
            Ok(self.data.get(key).cloned())
        }
        fn prefix(&self, prefix: &[u8]) -> Result<crate::state::Entries, StateReadError> {
            Ok(self
                .data
                .iter()
                .filter(|(k, _)| k.starts_with(prefix))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect())
        }
    }

    impl TreeRead for Committed {
        fn tree_node(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StateReadError> {
            self.tree.tree_node(key)
        }
    }

    /// `n` entries written over two versions (so nodes of both versions are
    /// in the tree), committed at version 2.
    fn committed(n: usize) -> Committed {
        committed_with(n, Vec::new())
    }

    /// [`committed`] with `extra` entries written at version 2.
    fn committed_with(n: usize, extra: Writes) -> Committed {
        let mut entries = BTreeMap::new();
        let mut nodes = BTreeMap::new();
        let mut root = [0; 32];
        for (version, range) in [(1u64, 0..n / 2), (2, n / 2..n)] {
            let mut changes = ChangeSet::new();
            let mut writes: Vec<(Vec<u8>, Vec<u8>)> = range
                .map(|i| (format!("key/{i}").into_bytes(), vec![i as u8; 10 + i % 50]))
                .collect();
            if version == 2 {
                writes.extend(extra.iter().cloned());
            }
            for (key, value) in writes {
                entries.insert(key.clone(), value.clone());
                changes.insert(key, Some(value));
            }
            let (new_root, tree_changes) =
                tree::update(&nodes, None, version, &changes, version == 1).unwrap();
            for stale in tree_changes.stale {
                nodes.remove(&stale);
            }
            nodes.extend(tree_changes.nodes);
            root = new_root;
        }
        Committed {
            data: entries,
            tree: nodes,
            app_hash: root,
        }
    }

    fn restore(state: &Committed, built: &Built) -> Result<RestoredState, SnapshotError> {
        let mut restorer = Restorer::new(2, state.app_hash, &built.manifest.encode())?;
        for (i, chunk) in built.chunks.iter().enumerate() {
            match restorer.apply(i as u32, chunk)? {
                Applied::More => {}
                Applied::Done(done) => return Ok(*done),
            }
        }
        panic!("no chunk finished the restore");
    }

    #[test]
    fn a_snapshot_in_many_chunks_restores_the_same_state_and_root() {
        let state = committed(300);
        let built = build(&state, 2, &[], 1_000).unwrap();
        assert!(built.chunks.len() > 5, "{} chunks", built.chunks.len());
        let restored = restore(&state, &built).unwrap();
        assert_eq!(restored.entries, state.data);
        assert_eq!(restored.app_hash, state.app_hash);
        assert_eq!(
            tree::root(&restored.nodes, None, 2).unwrap(),
            Some(state.app_hash)
        );
        // The restored tree takes the next version like the original.
        let mut next = ChangeSet::new();
        next.insert(b"key/7".to_vec(), None);
        next.insert(b"new".to_vec(), Some(b"v".to_vec()));
        let (a, _) = tree::update(&state, None, 3, &next, false).unwrap();
        let (b, _) = tree::update(&restored.nodes, None, 3, &next, false).unwrap();
        assert_eq!(a, b);
        // One chunk works too.
        let whole = build(&state, 2, &[], DEFAULT_CHUNK_BYTES).unwrap();
        assert_eq!(whole.chunks.len(), 1);
        assert_eq!(restore(&state, &whole).unwrap().entries, state.data);
    }

    #[test]
    fn forged_chunks_and_snapshots_are_refused() {
        let state = committed(120);
        let built = build(&state, 2, &[], 800).unwrap();
        let manifest = built.manifest.encode();

        // A chunk that is not the manifest's: refetch, the restore goes on.
        let mut restorer = Restorer::new(2, state.app_hash, &manifest).unwrap();
        let mut forged = built.chunks[0].clone();
        let last = forged.len() - 1;
        forged[last] ^= 1;
        assert_eq!(
            restorer.apply(0, &forged).unwrap_err(),
            SnapshotError::ChunkHash(0)
        );
        assert!(matches!(
            restorer.apply(1, &built.chunks[1]),
            Err(SnapshotError::OutOfOrder {
                expected: 0,
                got: 1
            })
        ));
        assert!(matches!(
            restorer.apply(0, &built.chunks[0]),
            Ok(Applied::More)
        ));

        // A whole forged snapshot (a changed value, with a manifest that
        // matches it): the range proof fails against the trusted root.
        let mut chunks = built.chunks.clone();
        let key_len_at = CHUNK_MAGIC.len() + 4;
        let key_len =
            u32::from_be_bytes(chunks[0][key_len_at..key_len_at + 4].try_into().unwrap()) as usize;
        let at = key_len_at + 4 + key_len + 4; // the first value's first byte
        chunks[0][at] ^= 1;
        let forged = Built {
            manifest: Manifest {
                entries: built.manifest.entries,
                index_chunks: 0,
                chunk_hashes: chunks.iter().map(|c| Sha256::digest(c).into()).collect(),
            },
            chunks,
        };
        assert!(matches!(
            restore(&state, &forged),
            Err(SnapshotError::InvalidChunk { index: 0, .. })
        ));
        // A dropped entry in the last chunk, likewise; and a root not the
        // snapshot's.
        let mut chunks = built.chunks.clone();
        let n = chunks.len() - 1;
        let (entries, proof) = decode_chunk(&chunks[n]).unwrap();
        let mut shorter = CHUNK_MAGIC.to_vec();
        shorter.extend_from_slice(&((entries.len() - 1) as u32).to_be_bytes());
        for (k, v) in &entries[1..] {
            put_field(&mut shorter, k);
            put_field(&mut shorter, v);
        }
        put_field(&mut shorter, &borsh::to_vec(&proof).unwrap());
        chunks[n] = shorter;
        let forged = Built {
            manifest: Manifest {
                entries: built.manifest.entries - 1,
                index_chunks: 0,
                chunk_hashes: chunks.iter().map(|c| Sha256::digest(c).into()).collect(),
            },
            chunks,
        };
        assert!(restore(&state, &forged).is_err());
        let other = Committed {
            app_hash: [7; 32],
            ..committed(120)
        };
        assert!(restore(&other, &built).is_err());

        // Malformed manifests.
        for bad in [
            &b"nope"[..],
            &manifest[..manifest.len() - 1],
            &manifest[..MANIFEST_MAGIC.len() + 12],
        ] {
            assert!(matches!(
                Restorer::new(2, state.app_hash, bad),
                Err(SnapshotError::BadManifest(_))
            ));
        }
        // Garbage that matches its own manifest is invalid, not a panic.
        let garbage = vec![vec![0xAB; 100]];
        let forged = Built {
            manifest: Manifest {
                entries: 1,
                index_chunks: 0,
                chunk_hashes: garbage.iter().map(|c| Sha256::digest(c).into()).collect(),
            },
            chunks: garbage,
        };
        assert!(matches!(
            restore(&state, &forged),
            Err(SnapshotError::InvalidChunk { .. })
        ));
    }

    /// State entries, as `(key, value)` pairs.
    type Writes = Vec<(Vec<u8>, Vec<u8>)>;
    /// A change to a blob index, to forge one.
    type Alteration<'a> = &'a dyn Fn(&mut Vec<IndexedHeight>);

    /// Heights 1 and 2 of a blob index, and the state records that pin them.
    fn indexed_heights() -> (Vec<IndexedHeight>, Writes) {
        use quire_core::commitment::NamespaceTree;
        use quire_core::merkle::InclusionProof;
        use quire_core::{Address, Blob, Namespace};
        let mut heights = Vec::new();
        let mut records = Vec::new();
        for height in 1..=2u64 {
            let blobs: Vec<Blob> = (0..3u32)
                .map(|i| Blob {
                    namespace: Namespace::from_rollup_name(if i == 1 { "b" } else { "a" }),
                    signer: Address::new([i as u8; 20]),
                    tx_hash: [i as u8 + 10; 32],
                    tx_index: i + 1,
                    msg_index: 0,
                    data: vec![height as u8; 40 + i as usize],
                })
                .collect();
            let commitment = NamespaceTree::build(height, &blobs).commitment();
            records.push((
                crate::blob::keys::commitment(height),
                crate::blob::keys::encode_commitment_record(
                    &commitment,
                    &crate::blob::blob_index_digest(&blobs),
                ),
            ));
            heights.push(IndexedHeight {
                height,
                commitment_tx: commitment.encode(),
                tx_proof: InclusionProof {
                    index: 0,
                    total: 4,
                    aunts: vec![[1; 32], [2; 32]],
                },
                attestation: vec![height as u8; 30],
                blobs,
            });
        }
        (heights, records)
    }

    #[test]
    fn the_recent_blob_index_restores_checked_against_the_state() {
        let (heights, records) = indexed_heights();
        let state = committed_with(50, records);
        let built = build(&state, 2, &heights, 300).unwrap();
        assert_eq!(built.manifest.index_chunks, 2, "one height per chunk");
        let restored = restore(&state, &built).unwrap();
        assert_eq!(restored.blob_index, heights);
        assert_eq!(restored.entries, state.data);

        // An index that does not end at the snapshot's height is not built.
        assert!(build(&state, 2, &heights[..1], 300).is_err());

        // Each alteration, with a manifest that matches it, is refused.
        let forge = |change: &dyn Fn(&mut Vec<IndexedHeight>)| {
            let mut forged = heights.clone();
            change(&mut forged);
            let mut built = build(&state, 2, &[], 300).unwrap();
            let index = index::encode_chunks(&forged, 300);
            built.manifest.index_chunks = index.len() as u32;
            built.chunks.extend(index);
            built.manifest.chunk_hashes = built
                .chunks
                .iter()
                .map(|c| Sha256::digest(c).into())
                .collect();
            restore(&state, &built)
        };
        let refusals: [Alteration<'_>; 7] = [
            &|h| h[1].blobs[0].data[0] ^= 1,
            &|h| h[1].blobs[2].signer = quire_core::Address::new([9; 20]),
            &|h| h[0].blobs[1].msg_index = 5,
            &|h| h[1].blobs.swap(0, 2),
            &|h| {
                h[1].blobs.pop();
            },
            &|h| h[1].commitment_tx = h[0].commitment_tx.clone(),
            &|h| {
                h.remove(0);
                h[0].height = 1;
            },
        ];
        for (i, change) in refusals.iter().enumerate() {
            assert!(
                matches!(forge(change), Err(SnapshotError::InvalidChunk { .. })),
                "alteration {i} was accepted"
            );
        }
        // A height the state has no record of, and garbage.
        let mut other = heights.clone();
        other[0].height = 0;
        assert!(forge(&|h| *h = other.clone()).is_err());
        let mut built = build(&state, 2, &[], 300).unwrap();
        built.chunks.push(vec![0xAB; 64]);
        built.manifest.index_chunks = 1;
        built.manifest.chunk_hashes = built
            .chunks
            .iter()
            .map(|c| Sha256::digest(c).into())
            .collect();
        assert!(matches!(
            restore(&state, &built),
            Err(SnapshotError::InvalidChunk { .. })
        ));
    }

    #[test]
    fn index_chunks_stay_within_their_size_and_attestations_are_bounded() {
        let (mut heights, _) = indexed_heights();
        heights[0].attestation = vec![1; 2_000];
        heights[1].attestation = vec![2; 100];
        let (a, b) = (heights[0].encoded_len(), heights[1].encoded_len());
        // Room for the first only: two chunks, each within the bound.
        let chunks = index::encode_chunks(&heights, a + 50);
        assert_eq!(chunks.len(), 2);
        assert!(
            chunks[0].len() <= a + 50 + 64,
            "{} > {}",
            chunks[0].len(),
            a + 50
        );
        // Room for both: one chunk.
        assert_eq!(index::encode_chunks(&heights, a + b + 64).len(), 1);
        // An attestation over the bound does not decode.
        heights[1].attestation = vec![0; index::MAX_ATTESTATION_BYTES + 1];
        let chunk = index::encode_chunks(&heights[1..], usize::MAX).remove(0);
        assert!(index::decode_chunk(&chunk).is_err());
    }
}
