//! State sync: the snapshots this node keeps and serves, and the restore of
//! one from peers (ABCI ListSnapshots, LoadSnapshotChunk, OfferSnapshot,
//! ApplySnapshotChunk). The format and its checks are
//! [`quire_app::state::snapshot`]; this module keeps the files.
//!
//! Every `snapshot_interval` heights (0: never), right after Commit, a
//! consistent read view of that height's state is taken and a background
//! thread writes `<dir>/<height>/manifest` and `chunk-<i>` (into a temporary
//! directory renamed when complete, so a crash leaves no half snapshot);
//! the newest `snapshot_keep_recent` are kept.

use quire_app::state::snapshot::{self, Applied, Manifest, Restorer, SnapshotError};
use quire_store::Store;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// Fetches the attestation (signed header and validator sets, encoded as
/// the read API stores them) of a height, for the blob index a snapshot
/// carries. Called on the snapshot thread; it may block.
pub type Attestor = Arc<dyn Fn(u64) -> Result<Vec<u8>, String> + Send + Sync>;

/// Where and how often snapshots are taken.
#[derive(Clone)]
pub struct SnapshotConfig {
    /// The directory snapshots are kept in.
    pub dir: PathBuf,
    /// A snapshot every this many heights; 0 takes none.
    pub interval: u64,
    /// How many of the newest snapshots are kept.
    pub keep_recent: u32,
    /// The size chunks are cut at.
    pub chunk_bytes: usize,
    /// How many of the newest heights' blob index a snapshot carries
    /// (0: none).
    pub index_heights: u64,
    /// Where those heights' attestations come from; without one a snapshot
    /// carries only heights whose attestation the store holds.
    pub attestor: Option<Attestor>,
}

impl std::fmt::Debug for SnapshotConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SnapshotConfig")
            .field("dir", &self.dir)
            .field("interval", &self.interval)
            .field("keep_recent", &self.keep_recent)
            .field("chunk_bytes", &self.chunk_bytes)
            .field("index_heights", &self.index_heights)
            .field("attestor", &self.attestor.is_some())
            .finish()
    }
}

/// A snapshot on disk, as ListSnapshots offers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSnapshot {
    /// The height it is of.
    pub height: u64,
    /// The number of chunks.
    pub chunks: u32,
    /// sha256 of the manifest.
    pub hash: [u8; 32],
    /// The manifest.
    pub manifest: Vec<u8>,
}

/// What ApplySnapshotChunk answers.
#[derive(Debug, PartialEq, Eq)]
pub enum ChunkVerdict {
    /// Applied; more to come.
    Accepted,
    /// The last chunk: the state is restored at this height.
    Restored(u64),
    /// Not the manifest's chunk: fetch it again, from another peer.
    Refetch,
    /// The snapshot is bad: try another.
    RejectSnapshot,
    /// No restore is under way (or it cannot go on).
    Abort,
}

/// The node's snapshots and the restore under way, if any.
pub struct Snapshots {
    config: SnapshotConfig,
    building: Arc<AtomicBool>,
    restoring: Mutex<Option<RestoreWorker>>,
}

/// A restore under way, on its own thread: jmt's restore is not `Send`, so
/// one thread owns it from the offer to the last chunk.
struct RestoreWorker {
    chunks: std::sync::mpsc::Sender<(u32, Vec<u8>)>,
    results: std::sync::mpsc::Receiver<Result<Applied, SnapshotError>>,
}

impl RestoreWorker {
    /// Starts the restore of `height` to `app_hash`; returns the worker and
    /// the snapshot's chunk count, or why the manifest is refused.
    fn start(height: u64, app_hash: [u8; 32], manifest: Vec<u8>) -> Result<(Self, u32), String> {
        let (chunk_tx, chunk_rx) = std::sync::mpsc::channel::<(u32, Vec<u8>)>();
        let (result_tx, result_rx) = std::sync::mpsc::channel();
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        std::thread::Builder::new()
            .name("snapshot-restore".into())
            .spawn(move || {
                let mut restorer = match Restorer::new(height, app_hash, &manifest) {
                    Ok(restorer) => {
                        let _ = ready_tx.send(Ok(restorer.chunks()));
                        restorer
                    }
                    Err(error) => {
                        let _ = ready_tx.send(Err(error.to_string()));
                        return;
                    }
                };
                // Ends when the last chunk is applied, the snapshot is
                // refused, or the worker is dropped.
                while let Ok((index, chunk)) = chunk_rx.recv() {
                    let result = restorer.apply(index, &chunk);
                    let last = matches!(
                        result,
                        Ok(Applied::Done(_))
                            | Err(SnapshotError::InvalidChunk { .. } | SnapshotError::State(_))
                    );
                    if result_tx.send(result).is_err() || last {
                        return;
                    }
                }
            })
            .map_err(|e| format!("cannot start the restore thread: {e}"))?;
        let chunks = ready_rx
            .recv()
            .map_err(|_| "the restore thread stopped".to_string())??;
        Ok((
            RestoreWorker {
                chunks: chunk_tx,
                results: result_rx,
            },
            chunks,
        ))
    }

    fn apply(&self, index: u32, chunk: &[u8]) -> Result<Applied, SnapshotError> {
        let stopped = || SnapshotError::InvalidChunk {
            index,
            reason: "the restore thread stopped".into(),
        };
        self.chunks
            .send((index, chunk.to_vec()))
            .map_err(|_| stopped())?;
        self.results.recv().map_err(|_| stopped())?
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Snapshots {
    /// Snapshots kept under `config.dir`.
    pub fn new(config: SnapshotConfig) -> Self {
        Snapshots {
            config,
            building: Arc::new(AtomicBool::new(false)),
            restoring: Mutex::new(None),
        }
    }

    /// Called after each Commit: starts a snapshot of `height` when it is
    /// due and none is being written. Returns whether one was started.
    pub fn after_commit(&self, store: &Store, height: u64) -> bool {
        let interval = self.config.interval;
        if interval == 0 || !height.is_multiple_of(interval) {
            return false;
        }
        if self.building.swap(true, Ordering::AcqRel) {
            tracing::warn!(
                height,
                "previous snapshot still being written; skipping this one"
            );
            return false;
        }
        // The view must be taken now, before the next block commits.
        let view = match store.state() {
            Ok(view) => view,
            Err(error) => {
                tracing::error!(height, %error, "cannot read the state to snapshot");
                self.building.store(false, Ordering::Release);
                return false;
            }
        };
        let config = self.config.clone();
        let building = self.building.clone();
        let spawned = std::thread::Builder::new()
            .name("snapshot".into())
            .spawn(move || {
                let start = std::time::Instant::now();
                match write_snapshot(&config, &view, height) {
                    Ok(stored) => tracing::info!(
                        height,
                        chunks = stored.chunks,
                        hash = %hex::encode(stored.hash),
                        ms = start.elapsed().as_millis() as u64,
                        "snapshot taken"
                    ),
                    Err(error) => tracing::error!(height, %error, "snapshot failed"),
                }
                building.store(false, Ordering::Release);
            });
        if let Err(error) = spawned {
            tracing::error!(height, %error, "cannot start the snapshot thread");
            self.building.store(false, Ordering::Release);
            return false;
        }
        true
    }

    /// Waits (up to `limit`) until no snapshot is being written.
    pub fn wait_idle(&self, limit: std::time::Duration) -> bool {
        let start = std::time::Instant::now();
        while self.building.load(Ordering::Acquire) {
            if start.elapsed() > limit {
                return false;
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        true
    }

    /// The complete snapshots on disk, newest first.
    pub fn list(&self) -> Vec<StoredSnapshot> {
        let mut heights = snapshot_heights(&self.config.dir);
        heights.sort_unstable_by(|a, b| b.cmp(a));
        heights
            .into_iter()
            .filter_map(|height| {
                let manifest =
                    std::fs::read(self.config.dir.join(height.to_string()).join("manifest"))
                        .ok()?;
                let decoded = Manifest::decode(&manifest).ok()?;
                Some(StoredSnapshot {
                    height,
                    chunks: decoded.chunk_hashes.len() as u32,
                    hash: decoded.hash(),
                    manifest,
                })
            })
            .collect()
    }

    /// Chunk `index` of the snapshot of `height` (format 1), if kept.
    pub fn load_chunk(&self, height: u64, format: u32, index: u32) -> Option<Vec<u8>> {
        if format != snapshot::FORMAT {
            return None;
        }
        std::fs::read(
            self.config
                .dir
                .join(height.to_string())
                .join(format!("chunk-{index}")),
        )
        .ok()
    }

    /// OfferSnapshot: whether to restore `offered` to `app_hash` (the
    /// light client's). Only a node with no state restores.
    pub fn offer(&self, has_state: bool, offered: &Offered<'_>, app_hash: &[u8]) -> Offer {
        let Offered {
            height,
            format,
            chunks,
            hash,
            manifest,
        } = *offered;
        if format != snapshot::FORMAT {
            return Offer::RejectFormat;
        }
        if has_state {
            tracing::warn!(height, "snapshot offered to a node that has state; refused");
            return Offer::Reject;
        }
        let Ok(app_hash) = <[u8; 32]>::try_from(app_hash) else {
            return Offer::Reject;
        };
        let computed = Manifest::decode(manifest).map(|m| m.hash());
        if computed.as_ref().map(|h| &h[..]) != Ok(hash) {
            tracing::warn!(height, "snapshot's hash is not its manifest's; refused");
            return Offer::Reject;
        }
        let worker = match RestoreWorker::start(height, app_hash, manifest.to_vec()) {
            Ok((worker, listed)) if listed == chunks => worker,
            Ok(_) => {
                tracing::warn!(
                    height,
                    "snapshot's chunk count is not its manifest's; refused"
                );
                return Offer::Reject;
            }
            Err(error) => {
                tracing::warn!(height, %error, "snapshot refused");
                return Offer::Reject;
            }
        };
        tracing::info!(height, chunks, "restoring a snapshot");
        *lock(&self.restoring) = Some(worker);
        Offer::Accept
    }

    /// ApplySnapshotChunk: checks and applies one chunk; on the last one,
    /// writes the restored state to `store`.
    pub fn apply(&self, store: &Store, index: u32, chunk: &[u8], sender: &str) -> ChunkVerdict {
        let mut restoring = lock(&self.restoring);
        let Some(worker) = restoring.as_ref() else {
            return ChunkVerdict::Abort;
        };
        match worker.apply(index, chunk) {
            Ok(Applied::More) => ChunkVerdict::Accepted,
            Ok(Applied::Done(state)) => {
                *restoring = None;
                if let Err(error) = check_attestations(&state) {
                    tracing::warn!(sender, %error, "snapshot refused");
                    return ChunkVerdict::RejectSnapshot;
                }
                match store.restore(&state) {
                    Ok(()) => {
                        tracing::info!(
                            height = state.height,
                            entries = state.entries.len(),
                            indexed_from = state.blob_index.first().map_or(0, |h| h.height),
                            indexed_heights = state.blob_index.len(),
                            "state restored from a snapshot"
                        );
                        ChunkVerdict::Restored(state.height)
                    }
                    Err(error) => {
                        tracing::error!(%error, "cannot write the restored state");
                        ChunkVerdict::Abort
                    }
                }
            }
            Err(error @ (SnapshotError::ChunkHash(_) | SnapshotError::OutOfOrder { .. })) => {
                tracing::warn!(index, sender, %error, "snapshot chunk refused; fetching it again");
                ChunkVerdict::Refetch
            }
            Err(error) => {
                tracing::warn!(index, sender, %error, "snapshot refused");
                *restoring = None;
                ChunkVerdict::RejectSnapshot
            }
        }
    }
}

/// A snapshot a peer offers (ABCI `Snapshot`).
#[derive(Debug, Clone, Copy)]
pub struct Offered<'a> {
    /// Its height.
    pub height: u64,
    /// Its format.
    pub format: u32,
    /// Its chunk count.
    pub chunks: u32,
    /// Its hash.
    pub hash: &'a [u8],
    /// Its metadata: the manifest.
    pub manifest: &'a [u8],
}

/// Writing a snapshot failed.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The state could not be snapshotted.
    #[error(transparent)]
    Build(#[from] SnapshotError),
    /// The files could not be written.
    #[error("snapshot files: {0}")]
    Io(#[from] std::io::Error),
    /// The blob index could not be read.
    #[error("blob index: {0}")]
    Store(#[from] quire_store::StoreError),
}

/// What OfferSnapshot answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Offer {
    /// Restore it.
    Accept,
    /// Not this one.
    Reject,
    /// Not this format.
    RejectFormat,
}

fn snapshot_heights(dir: &Path) -> Vec<u64> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u64>().ok())
        .collect()
}

/// Checks each restored height's attestation against what the state
/// proved: it decodes, its header is of that height, its data hash is the
/// root the commitment tx's proof gives, and its validator sets hash to the
/// header's. (Commit signatures are left to readers' light clients.)
fn check_attestations(state: &snapshot::RestoredState) -> Result<(), String> {
    for indexed in &state.blob_index {
        crate::api::attestation::check(
            indexed.height,
            &indexed.attestation,
            &indexed.commitment_tx,
            &indexed.tx_proof,
        )
        .map_err(|e| format!("the blob index of height {}: {e}", indexed.height))?;
    }
    Ok(())
}

/// The blob index of the newest `index_heights` heights, each with its
/// attestation: from the newest down, stopping at the first height without
/// one (the index must be consecutive heights ending at the snapshot's).
fn recent_index(
    config: &SnapshotConfig,
    view: &quire_store::StateSnapshot,
) -> Result<Vec<snapshot::IndexedHeight>, WriteError> {
    // A height must fit one chunk, with room for its framing.
    let max_height_bytes = snapshot::MAX_CHUNK_BYTES - 4096;
    let mut recent = view.recent_index(config.index_heights, max_height_bytes)?;
    let mut keep_from = 0;
    for (i, indexed) in recent.iter_mut().enumerate().rev() {
        if indexed.attestation.is_empty() {
            let fetched = match &config.attestor {
                Some(attestor) => attestor(indexed.height),
                None => Err("no attestation source".to_string()),
            };
            match fetched {
                Ok(attestation) if !attestation.is_empty() => indexed.attestation = attestation,
                outcome => {
                    let error = outcome.err().unwrap_or_else(|| "empty".into());
                    tracing::warn!(
                        height = indexed.height,
                        %error,
                        "no attestation for the snapshot's blob index; it starts after this height"
                    );
                    keep_from = i + 1;
                    break;
                }
            }
        }
        let too_big = indexed.encoded_len() > max_height_bytes
            || indexed.attestation.len() > snapshot::index::MAX_ATTESTATION_BYTES;
        if too_big {
            tracing::warn!(
                height = indexed.height,
                bytes = indexed.encoded_len(),
                "a height of the blob index does not fit a snapshot chunk; the index starts after it"
            );
            keep_from = i + 1;
            break;
        }
    }
    Ok(recent.split_off(keep_from))
}

fn write_snapshot(
    config: &SnapshotConfig,
    view: &quire_store::StateSnapshot,
    height: u64,
) -> Result<StoredSnapshot, WriteError> {
    let recent = recent_index(config, view)?;
    let built = snapshot::build(view, height, &recent, config.chunk_bytes)?;
    let tmp = config.dir.join(format!(".tmp-{height}"));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp)?;
    for (i, chunk) in built.chunks.iter().enumerate() {
        std::fs::write(tmp.join(format!("chunk-{i}")), chunk)?;
    }
    let manifest = built.manifest.encode();
    std::fs::write(tmp.join("manifest"), &manifest)?;
    let target = config.dir.join(height.to_string());
    let _ = std::fs::remove_dir_all(&target);
    std::fs::rename(&tmp, &target)?;
    let mut heights = snapshot_heights(&config.dir);
    heights.sort_unstable_by(|a, b| b.cmp(a));
    for old in heights.iter().skip(config.keep_recent.max(1) as usize) {
        let _ = std::fs::remove_dir_all(config.dir.join(old.to_string()));
    }
    Ok(StoredSnapshot {
        height,
        chunks: built.chunks.len() as u32,
        hash: built.manifest.hash(),
        manifest,
    })
}
