//! The recent blob index in a snapshot: for each of the last heights up to
//! the snapshot's, the block's blobs, its commitment tx with the proof under
//! the header's data hash, and its attestation (the signed header and
//! validator sets, as the read API serves them), so a node that restores the
//! snapshot serves verified reads of those heights too.
//!
//! An index chunk:
//!
//! ```text
//! "quire/index/v1\0" ‖ heights u32 ‖ height record × heights
//! height record = height u64 ‖ tx_len u32 ‖ commitment tx
//!   ‖ proof index u64 ‖ proof total u64 ‖ aunts u32 ‖ aunt (32) × aunts
//!   ‖ attestation_len u32 ‖ attestation ‖ blobs u32 ‖ blob × blobs
//! blob = namespace (32) ‖ signer (20) ‖ tx hash (32) ‖ tx index u32
//!   ‖ msg index u32 ‖ data_len u32 ‖ data
//! ```
//!
//! Heights are consecutive and end at the snapshot's height; a height's
//! blobs are in block order (tx index, then message index). The state pins
//! every height's blobs: its `blob/commitment/{height}` record holds the
//! namespace commitment the blobs give and the digest of their index
//! entries, so [`check`] rebuilds both from the chunk and compares them with
//! the restored (and proven) state. The commitment tx must be a commitment
//! of that height. The proof under the data hash and the attestation are
//! not checked here: the node has no trusted header of those heights, and
//! every reader checks both against its own light client, as for any read
//! (a wrong one makes reads fail, never verify).

use super::{framed, put_field, Reader};
use crate::blob::{blob_index_digest, keys as blob_keys};
use quire_core::commitment::{NamespaceCommitment, NamespaceTree};
use quire_core::merkle::InclusionProof;
use quire_core::{Address, Blob, Namespace};
use std::collections::BTreeMap;

const INDEX_CHUNK_MAGIC: &[u8] = b"quire/index/v1\0";
/// Most aunts a proof can have (a tree of 2^64 leaves).
const MAX_AUNTS: u32 = 64;
/// Most heights of blob index a node restores from one snapshot (what it
/// holds in memory until the restore is written).
pub const MAX_INDEX_HEIGHTS: usize = 1000;
/// Most bytes of one height's attestation (a signed header and two
/// validator sets: about 30 KB for 100 validators).
pub const MAX_ATTESTATION_BYTES: usize = 4 * 1024 * 1024;

/// One height of the blob index, as a snapshot carries it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexedHeight {
    /// The height.
    pub height: u64,
    /// The block's commitment tx, as it is in the block.
    pub commitment_tx: Vec<u8>,
    /// Its proof under the header's data hash.
    pub tx_proof: InclusionProof,
    /// The height's attestation (signed header and validator sets), opaque
    /// here: the read API encodes and serves it, readers check it.
    pub attestation: Vec<u8>,
    /// The block's blobs in block order.
    pub blobs: Vec<Blob>,
}

impl IndexedHeight {
    /// About the bytes the height takes in a chunk.
    pub fn encoded_len(&self) -> usize {
        48 + self.commitment_tx.len()
            + 32 * self.tx_proof.aunts.len()
            + self.attestation.len()
            + self.blobs.iter().map(|b| 96 + b.data.len()).sum::<usize>()
    }

    fn encode_into(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.height.to_be_bytes());
        put_field(out, &self.commitment_tx);
        out.extend_from_slice(&self.tx_proof.index.to_be_bytes());
        out.extend_from_slice(&self.tx_proof.total.to_be_bytes());
        out.extend_from_slice(&(self.tx_proof.aunts.len() as u32).to_be_bytes());
        for aunt in &self.tx_proof.aunts {
            out.extend_from_slice(aunt);
        }
        put_field(out, &self.attestation);
        out.extend_from_slice(&(self.blobs.len() as u32).to_be_bytes());
        for blob in &self.blobs {
            out.extend_from_slice(blob.namespace.as_bytes());
            out.extend_from_slice(blob.signer.as_bytes());
            out.extend_from_slice(&blob.tx_hash);
            out.extend_from_slice(&blob.tx_index.to_be_bytes());
            out.extend_from_slice(&blob.msg_index.to_be_bytes());
            put_field(out, &blob.data);
        }
    }

    fn decode(reader: &mut Reader<'_>) -> Option<Self> {
        let height = reader.u64()?;
        let commitment_tx = reader.field()?.to_vec();
        let index = reader.u64()?;
        let total = reader.u64()?;
        let aunt_count = reader.u32()?;
        if aunt_count > MAX_AUNTS {
            return None;
        }
        let mut aunts = Vec::with_capacity(aunt_count as usize);
        for _ in 0..aunt_count {
            aunts.push(reader.take(32)?.try_into().ok()?);
        }
        let attestation = reader.field()?;
        if attestation.len() > MAX_ATTESTATION_BYTES {
            return None;
        }
        let attestation = attestation.to_vec();
        let blob_count = reader.u32()?;
        // Each blob takes at least 96 bytes: no count can allocate more
        // than the chunk holds.
        if (blob_count as usize).saturating_mul(96) > reader.0.len() {
            return None;
        }
        let mut blobs = Vec::with_capacity(blob_count as usize);
        for _ in 0..blob_count {
            let namespace = Namespace::from_slice(reader.take(32)?).ok()?;
            let signer = Address::new(reader.take(20)?.try_into().ok()?);
            let tx_hash = reader.take(32)?.try_into().ok()?;
            let tx_index = reader.u32()?;
            let msg_index = reader.u32()?;
            let data = reader.field()?.to_vec();
            blobs.push(Blob {
                namespace,
                signer,
                tx_hash,
                tx_index,
                msg_index,
                data,
            });
        }
        Some(IndexedHeight {
            height,
            commitment_tx,
            tx_proof: InclusionProof {
                index,
                total,
                aunts,
            },
            attestation,
            blobs,
        })
    }
}

/// Cuts `heights` (consecutive, oldest first) into chunks of at most
/// `chunk_bytes` (a height larger than that alone in its chunk); a height
/// is never split.
pub(super) fn encode_chunks(heights: &[IndexedHeight], chunk_bytes: usize) -> Vec<Vec<u8>> {
    let mut chunks = Vec::new();
    let mut start = 0;
    while start < heights.len() {
        let mut end = start;
        let mut size = 0;
        while end < heights.len()
            && (end == start || size + heights[end].encoded_len() <= chunk_bytes)
        {
            size += heights[end].encoded_len();
            end += 1;
        }
        let mut out = Vec::with_capacity(size + INDEX_CHUNK_MAGIC.len() + 4);
        out.extend_from_slice(INDEX_CHUNK_MAGIC);
        out.extend_from_slice(&((end - start) as u32).to_be_bytes());
        for height in &heights[start..end] {
            height.encode_into(&mut out);
        }
        chunks.push(out);
        start = end;
    }
    chunks
}

/// The heights of an index chunk from a peer.
pub(super) fn decode_chunk(chunk: &[u8]) -> Result<Vec<IndexedHeight>, String> {
    let (count, mut reader) = framed(chunk, INDEX_CHUNK_MAGIC, "Quire blob index chunk", "height")?;
    let mut heights = Vec::new();
    for _ in 0..count {
        heights.push(IndexedHeight::decode(&mut reader).ok_or("a truncated or malformed height")?);
    }
    if !reader.0.is_empty() {
        return Err("bytes after the last height".into());
    }
    Ok(heights)
}

/// Checks one height of the index against the restored state `entries`:
/// its blobs give the commitment and index digest the state records, in
/// block order, and its commitment tx is a commitment of that height.
pub(super) fn check(
    indexed: &IndexedHeight,
    entries: &BTreeMap<Vec<u8>, Vec<u8>>,
) -> Result<(), String> {
    let height = indexed.height;
    let record = entries
        .get(&blob_keys::commitment(height))
        .ok_or_else(|| format!("the state has no commitment of height {height}"))?;
    let record = blob_keys::decode_commitment_record(record)
        .filter(|record| record.height == height)
        .ok_or_else(|| format!("the state's commitment record of height {height} is corrupt"))?;
    let in_order = indexed
        .blobs
        .windows(2)
        .all(|w| (w[0].tx_index, w[0].msg_index) < (w[1].tx_index, w[1].msg_index));
    if !in_order {
        return Err(format!(
            "the blobs of height {height} are not in block order"
        ));
    }
    let commitment = NamespaceTree::build(height, &indexed.blobs).commitment();
    if commitment.namespace_count != record.namespace_count
        || commitment.namespace_root != record.namespace_root
    {
        return Err(format!(
            "the blobs of height {height} do not give the state's namespace commitment"
        ));
    }
    if blob_index_digest(&indexed.blobs) != record.index_digest {
        return Err(format!(
            "the blob index of height {height} does not have the state's digest"
        ));
    }
    match NamespaceCommitment::decode(&indexed.commitment_tx) {
        Ok(tx) if tx.height == height => {}
        _ => {
            return Err(format!(
                "the commitment tx of height {height} is not a commitment of that height"
            ))
        }
    }
    let proof = &indexed.tx_proof;
    if proof.total == 0 || proof.index >= proof.total {
        return Err(format!(
            "the commitment tx proof of height {height} is malformed"
        ));
    }
    Ok(())
}
