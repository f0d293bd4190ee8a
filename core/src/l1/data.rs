//! Quire's blocks posted on the L1 as EIP-4844 blob data (the opt-in data
//! mode, docs/l1.md): a run of consecutive heights with every blob,
//! compressed and packed into blobs, that a reader checks against an
//! anchored history root alone.
//!
//! The validators do not sign this data, and need not: the history root
//! they signed commits to it, since each height's leaf holds the block hash
//! and the namespace commitment. A reader rebuilds every height's namespace
//! tree and leaf from the posted blobs, the run's root with the history
//! proofs of its first and last height ([`merkle::range_root`]), and
//! compares it with the root the anchor holds for the run's history size.
//! Whoever posts is not trusted; a wrong post only fails that check.
//!
//! Layout, all integers big-endian:
//! - a run: `version u8 = 1 ‖ history_size u64 ‖ first_height u64 ‖
//!   height_count u32 ‖ first aunts (count u8, 32 B each) ‖ last aunts (same) ‖`
//!   per height `block_hash 32 ‖ blob_count u32 ‖` per blob
//!   `namespace 32 ‖ signer 20 ‖ len u32 ‖ data`;
//! - compressed with DEFLATE (RFC 1951) and cut into parts, one per L1
//!   transaction: `"QDA1" ‖ part u16 ‖ parts u16 ‖ len u32 ‖ bytes`;
//!   The last part always has fewer than [`MAX_BLOBS_PER_TX`] blobs (an
//!   empty part is added if need be): a run whose last transaction has
//!   fewer is complete, which the L1's record shows without the blobs;
//! - each part's stream packed into blobs 31 bytes per 32-byte field
//!   element, the element's first byte 0 (so it is below the BLS12-381
//!   modulus), zero-padded to whole blobs.

use super::history::height_leaf;
use crate::commitment::NamespaceTree;
use crate::merkle::{self, InclusionProof, MerkleError};
use crate::{Address, Namespace};
use std::io::{Read, Write};

/// Field elements per EIP-4844 blob.
pub const FIELD_ELEMENTS_PER_BLOB: usize = 4096;
/// Bytes of an EIP-4844 blob.
pub const BYTES_PER_BLOB: usize = FIELD_ELEMENTS_PER_BLOB * 32;
/// Payload bytes per blob: 31 per field element.
pub const PAYLOAD_BYTES_PER_BLOB: usize = FIELD_ELEMENTS_PER_BLOB * 31;
/// Blobs per L1 transaction (EIP-7594's limit, since Osaka).
pub const MAX_BLOBS_PER_TX: usize = 6;
/// The largest run, decompressed, that a reader accepts.
pub const MAX_RUN_BYTES: usize = 64 << 20;
/// The most parts one run is cut into.
pub const MAX_PARTS: usize = 64;

/// The start of every part.
const MAGIC: [u8; 4] = *b"QDA1";
/// Magic, part, parts, length.
const PART_HEADER_LEN: usize = 4 + 2 + 2 + 4;
/// The run encoding's version.
const RUN_VERSION: u8 = 1;
/// The fewest bytes a height takes (hash and count).
const MIN_HEIGHT_LEN: usize = 32 + 4;
/// The fewest bytes a blob takes (namespace, signer, length).
const MIN_BLOB_LEN: usize = 32 + 20 + 4;

/// Why posted data cannot be read, or does not match the anchored root.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum DataError {
    /// The bytes end before `what`.
    #[error("data ends inside {what}")]
    Truncated {
        /// What was being read.
        what: &'static str,
    },
    /// Bytes follow the run's last blob.
    #[error("{0} bytes follow the run")]
    Trailing(usize),
    /// An unknown run version.
    #[error("unknown run version {0}")]
    Version(u8),
    /// A blob is not `BYTES_PER_BLOB` long.
    #[error("a blob of {0} bytes (EIP-4844 blobs have {BYTES_PER_BLOB})")]
    BlobSize(usize),
    /// A field element's first byte is not 0: not this packing.
    #[error("blob {blob}, field element {element} does not start with a zero byte")]
    Element {
        /// Index of the blob in its transaction.
        blob: usize,
        /// Index of the element in the blob.
        element: usize,
    },
    /// A part does not start with the magic bytes.
    #[error("not a Quire data part (no \"QDA1\" magic)")]
    Magic,
    /// The parts do not make up one whole run.
    #[error("parts: {0}")]
    Parts(String),
    /// The run is larger than a reader accepts.
    #[error("the run is larger than {MAX_RUN_BYTES} bytes")]
    TooLarge,
    /// DEFLATE failed.
    #[error("decompression: {0}")]
    Compression(String),
    /// The run has no heights.
    #[error("a run holds at least one height")]
    Empty,
    /// The run starts below the chain's initial height.
    #[error("the run starts at {first}, below the initial height {initial}")]
    BelowInitial {
        /// The run's first height.
        first: u64,
        /// The chain's initial height.
        initial: u64,
    },
    /// The run's heights and edge proofs do not lead to the anchored root.
    #[error("the run does not match the anchored history: {0}")]
    History(MerkleError),
    /// They lead to another root.
    #[error("the run does not hash to the anchored history root")]
    RootMismatch,
}

/// One blob of a height, as the namespace commitment covers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunBlob {
    /// Its namespace.
    pub namespace: Namespace,
    /// Who submitted it.
    pub signer: Address,
    /// Its bytes.
    pub data: Vec<u8>,
}

/// One height of a run: its block hash and every blob, in block order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RunHeight {
    /// CometBFT's header hash.
    pub block_hash: [u8; 32],
    /// Every blob of the block, in block order.
    pub blobs: Vec<RunBlob>,
}

impl RunHeight {
    /// The height's history leaf (block hash and namespace commitment).
    pub fn leaf(&self, height: u64) -> [u8; 32] {
        let tree = NamespaceTree::build_from(
            height,
            self.blobs
                .iter()
                .map(|b| (b.namespace, &b.signer, b.data.as_slice())),
        );
        let commitment = tree.commitment();
        height_leaf(
            height,
            &self.block_hash,
            commitment.namespace_count,
            &commitment.namespace_root,
        )
    }
}

/// Consecutive heights with their blobs, and the history proofs of the
/// first and last height in an anchored history of `history_size` heights.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run {
    /// The anchored history size the edge proofs are for.
    pub history_size: u64,
    /// The first height.
    pub first_height: u64,
    /// The heights, from `first_height` on.
    pub heights: Vec<RunHeight>,
    /// The aunts of the first height's history proof.
    pub first_aunts: Vec<[u8; 32]>,
    /// The aunts of the last height's history proof.
    pub last_aunts: Vec<[u8; 32]>,
}

impl Run {
    /// The last height (`first_height` for an empty run).
    pub fn last_height(&self) -> u64 {
        self.first_height
            .saturating_add((self.heights.len() as u64).saturating_sub(1))
    }

    /// Checks the run against `root`, the anchored history root of
    /// `history_size` heights of a chain starting at `initial_height`.
    pub fn verify(&self, initial_height: u64, root: &[u8; 32]) -> Result<(), DataError> {
        if self.heights.is_empty() {
            return Err(DataError::Empty);
        }
        let first =
            self.first_height
                .checked_sub(initial_height)
                .ok_or(DataError::BelowInitial {
                    first: self.first_height,
                    initial: initial_height,
                })?;
        let count = self.heights.len() as u64;
        if self.first_height.checked_add(count).is_none() {
            return Err(DataError::History(MerkleError::BadRange {
                first,
                count,
                total: self.history_size,
            }));
        }
        let leaves: Vec<[u8; 32]> = self
            .heights
            .iter()
            .enumerate()
            .map(|(i, h)| h.leaf(self.first_height + i as u64))
            .collect();
        let edge = |index: u64, aunts: &[[u8; 32]]| InclusionProof {
            index,
            total: self.history_size,
            aunts: aunts.to_vec(),
        };
        // Saturating: an impossible range is refused by range_root.
        let last = first.saturating_add(leaves.len() as u64 - 1);
        let computed = merkle::range_root(
            self.history_size,
            first,
            &leaves,
            &edge(first, &self.first_aunts),
            &edge(last, &self.last_aunts),
        )
        .map_err(DataError::History)?;
        if computed == *root {
            Ok(())
        } else {
            Err(DataError::RootMismatch)
        }
    }

    /// The run's bytes, uncompressed.
    pub fn encode(&self) -> Vec<u8> {
        let data: usize = self
            .heights
            .iter()
            .flat_map(|h| &h.blobs)
            .map(|b| MIN_BLOB_LEN + b.data.len())
            .sum();
        let mut out = Vec::with_capacity(
            64 + data + self.heights.len() * MIN_HEIGHT_LEN + 32 * (self.first_aunts.len() * 2),
        );
        out.push(RUN_VERSION);
        out.extend_from_slice(&self.history_size.to_be_bytes());
        out.extend_from_slice(&self.first_height.to_be_bytes());
        out.extend_from_slice(&len_u32(self.heights.len()).to_be_bytes());
        for aunts in [&self.first_aunts, &self.last_aunts] {
            // At most 64 aunts in any tree: one byte.
            out.push(aunts.len().min(u8::MAX as usize) as u8);
            for aunt in aunts.iter().take(u8::MAX as usize) {
                out.extend_from_slice(aunt);
            }
        }
        for height in &self.heights {
            out.extend_from_slice(&height.block_hash);
            out.extend_from_slice(&len_u32(height.blobs.len()).to_be_bytes());
            for blob in &height.blobs {
                out.extend_from_slice(blob.namespace.as_bytes());
                out.extend_from_slice(blob.signer.as_bytes());
                out.extend_from_slice(&len_u32(blob.data.len()).to_be_bytes());
                out.extend_from_slice(&blob.data);
            }
        }
        out
    }

    /// Reads a run from [`Run::encode`]'s bytes; every count is checked
    /// against the bytes left before anything is allocated.
    pub fn decode(bytes: &[u8]) -> Result<Run, DataError> {
        let mut r = Cursor { bytes };
        let version = r.u8("version")?;
        if version != RUN_VERSION {
            return Err(DataError::Version(version));
        }
        let history_size = r.u64("history size")?;
        let first_height = r.u64("first height")?;
        let height_count = r.count("height count", MIN_HEIGHT_LEN)?;
        let mut aunts = [Vec::new(), Vec::new()];
        for list in &mut aunts {
            let n = usize::from(r.u8("aunt count")?);
            for _ in 0..n {
                list.push(r.hash("aunt")?);
            }
        }
        let [first_aunts, last_aunts] = aunts;
        let mut heights = Vec::with_capacity(height_count);
        for _ in 0..height_count {
            let block_hash = r.hash("block hash")?;
            let blob_count = r.count("blob count", MIN_BLOB_LEN)?;
            let mut blobs = Vec::with_capacity(blob_count);
            for _ in 0..blob_count {
                let namespace = Namespace::new(r.array("namespace")?);
                let signer = Address::new(r.array("signer")?);
                let len = r.count("blob length", 1)?;
                let data = r.take(len, "blob data")?.to_vec();
                blobs.push(RunBlob {
                    namespace,
                    signer,
                    data,
                });
            }
            heights.push(RunHeight { block_hash, blobs });
        }
        if !r.bytes.is_empty() {
            return Err(DataError::Trailing(r.bytes.len()));
        }
        Ok(Run {
            history_size,
            first_height,
            heights,
            first_aunts,
            last_aunts,
        })
    }

    /// The run compressed and packed into blobs: one list of at most
    /// [`MAX_BLOBS_PER_TX`] blobs (each [`BYTES_PER_BLOB`] long) per L1
    /// transaction, in part order.
    pub fn pack(&self) -> Result<Vec<Vec<Vec<u8>>>, DataError> {
        let mut encoder =
            flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
        encoder
            .write_all(&self.encode())
            .map_err(|e| DataError::Compression(e.to_string()))?;
        let compressed = encoder
            .finish()
            .map_err(|e| DataError::Compression(e.to_string()))?;
        let capacity = MAX_BLOBS_PER_TX * PAYLOAD_BYTES_PER_BLOB - PART_HEADER_LEN;
        let mut chunks: Vec<&[u8]> = compressed.chunks(capacity).collect();
        // The last part has fewer than MAX_BLOBS_PER_TX blobs, so that the
        // L1's record alone (blobs per transaction) shows a run complete.
        if chunks
            .last()
            .is_none_or(|c| c.len() > capacity - PAYLOAD_BYTES_PER_BLOB)
        {
            chunks.push(&[]);
        }
        if chunks.len() > MAX_PARTS {
            return Err(DataError::TooLarge);
        }
        let parts = chunks.len() as u16;
        Ok(chunks
            .iter()
            .enumerate()
            .map(|(part, chunk)| {
                let mut stream = Vec::with_capacity(PART_HEADER_LEN + chunk.len());
                stream.extend_from_slice(&MAGIC);
                stream.extend_from_slice(&(part as u16).to_be_bytes());
                stream.extend_from_slice(&parts.to_be_bytes());
                stream.extend_from_slice(&len_u32(chunk.len()).to_be_bytes());
                stream.extend_from_slice(chunk);
                to_blobs(&stream)
            })
            .collect())
    }

    /// Reads a run from the blobs of its transactions, in any order (one
    /// list per transaction). Does not check it: see [`Run::verify`].
    pub fn unpack<'a>(
        transactions: impl IntoIterator<Item = &'a [Vec<u8>]>,
    ) -> Result<Run, DataError> {
        let mut parts: Vec<(u16, u16, Vec<u8>)> = Vec::new();
        for blobs in transactions {
            if parts.len() >= MAX_PARTS {
                return Err(DataError::Parts(format!("more than {MAX_PARTS}")));
            }
            if blobs.len() > MAX_BLOBS_PER_TX {
                return Err(DataError::Parts(format!(
                    "a transaction with {} blobs (at most {MAX_BLOBS_PER_TX})",
                    blobs.len()
                )));
            }
            let stream = from_blobs(blobs)?;
            let mut r = Cursor { bytes: &stream };
            if r.array::<4>("magic")? != MAGIC {
                return Err(DataError::Magic);
            }
            let part = r.u16("part")?;
            let count = r.u16("parts")?;
            let len = r.count("part length", 1)?;
            parts.push((part, count, r.take(len, "part")?.to_vec()));
        }
        parts.sort_by_key(|(part, _, _)| *part);
        let count = parts.first().map_or(0, |(_, count, _)| *count);
        if parts.is_empty() || usize::from(count) != parts.len() {
            return Err(DataError::Parts(format!(
                "{} given, the first says {count}",
                parts.len()
            )));
        }
        let mut compressed = Vec::new();
        for (i, (part, of, bytes)) in parts.iter().enumerate() {
            if usize::from(*part) != i || *of != count {
                return Err(DataError::Parts(format!(
                    "part {part} of {of} where part {i} of {count} belongs"
                )));
            }
            compressed.extend_from_slice(bytes);
        }
        let mut run = Vec::new();
        flate2::read::DeflateDecoder::new(compressed.as_slice())
            .take(MAX_RUN_BYTES as u64 + 1)
            .read_to_end(&mut run)
            .map_err(|e| DataError::Compression(e.to_string()))?;
        if run.len() > MAX_RUN_BYTES {
            return Err(DataError::TooLarge);
        }
        Run::decode(&run)
    }
}

/// `len` as a u32 (lengths beyond it do not fit any Quire block).
fn len_u32(len: usize) -> u32 {
    u32::try_from(len).unwrap_or(u32::MAX)
}

/// `stream` packed 31 bytes per field element, zero-padded to whole blobs.
fn to_blobs(stream: &[u8]) -> Vec<Vec<u8>> {
    stream
        .chunks(PAYLOAD_BYTES_PER_BLOB)
        .map(|payload| {
            let mut blob = vec![0u8; BYTES_PER_BLOB];
            for (element, bytes) in blob.chunks_mut(32).zip(payload.chunks(31)) {
                element[1..1 + bytes.len()].copy_from_slice(bytes);
            }
            blob
        })
        .collect()
}

/// The stream [`to_blobs`] packed, padding included.
fn from_blobs(blobs: &[Vec<u8>]) -> Result<Vec<u8>, DataError> {
    let mut stream = Vec::with_capacity(blobs.len() * PAYLOAD_BYTES_PER_BLOB);
    for (index, blob) in blobs.iter().enumerate() {
        if blob.len() != BYTES_PER_BLOB {
            return Err(DataError::BlobSize(blob.len()));
        }
        for (element, bytes) in blob.chunks(32).enumerate() {
            if bytes[0] != 0 {
                return Err(DataError::Element {
                    blob: index,
                    element,
                });
            }
            stream.extend_from_slice(&bytes[1..]);
        }
    }
    Ok(stream)
}

/// Reads big-endian fields off the front of a byte slice.
struct Cursor<'a> {
    bytes: &'a [u8],
}

impl<'a> Cursor<'a> {
    fn take(&mut self, len: usize, what: &'static str) -> Result<&'a [u8], DataError> {
        if self.bytes.len() < len {
            return Err(DataError::Truncated { what });
        }
        let (head, rest) = self.bytes.split_at(len);
        self.bytes = rest;
        Ok(head)
    }

    fn array<const N: usize>(&mut self, what: &'static str) -> Result<[u8; N], DataError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N, what)?);
        Ok(out)
    }

    fn hash(&mut self, what: &'static str) -> Result<[u8; 32], DataError> {
        self.array(what)
    }

    fn u8(&mut self, what: &'static str) -> Result<u8, DataError> {
        Ok(self.array::<1>(what)?[0])
    }

    fn u16(&mut self, what: &'static str) -> Result<u16, DataError> {
        Ok(u16::from_be_bytes(self.array(what)?))
    }

    fn u64(&mut self, what: &'static str) -> Result<u64, DataError> {
        Ok(u64::from_be_bytes(self.array(what)?))
    }

    /// A u32 count of items of at least `min_len` bytes each, refused if
    /// the bytes left cannot hold that many (so no allocation outgrows the
    /// input).
    fn count(&mut self, what: &'static str, min_len: usize) -> Result<usize, DataError> {
        let n = u32::from_be_bytes(self.array(what)?) as usize;
        if n.saturating_mul(min_len) > self.bytes.len() {
            return Err(DataError::Truncated { what });
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::merkle::MerkleTree;

    const INITIAL: u64 = 5;

    fn height(i: u64, blobs: usize) -> RunHeight {
        RunHeight {
            block_hash: [i as u8; 32],
            blobs: (0..blobs)
                .map(|b| RunBlob {
                    namespace: Namespace::new([(b % 2) as u8 + 1; 32]),
                    signer: Address::new([b as u8; 20]),
                    data: format!("height {i} blob {b} ").repeat(b + 1).into_bytes(),
                })
                .collect(),
        }
    }

    /// `len` incompressible bytes (xorshift64).
    fn noise(len: usize) -> Vec<u8> {
        let mut state = 0x2545_f491_4f6c_dd1du64;
        (0..len)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state as u8
            })
            .collect()
    }

    /// A run of one height, the whole history, holding one blob of `data`.
    fn one_blob_run(data: Vec<u8>) -> Run {
        Run {
            history_size: 1,
            first_height: INITIAL,
            heights: vec![RunHeight {
                block_hash: [1; 32],
                blobs: vec![RunBlob {
                    namespace: Namespace::new([9; 32]),
                    signer: Address::new([2; 20]),
                    data,
                }],
            }],
            first_aunts: Vec::new(),
            last_aunts: Vec::new(),
        }
    }

    /// A history of `size` heights and the run `[first, end)` of it.
    fn history_run(size: u64, first: u64, end: u64) -> (Run, [u8; 32]) {
        let heights: Vec<RunHeight> = (0..size).map(|i| height(i, (i % 4) as usize)).collect();
        let leaves: Vec<[u8; 32]> = heights
            .iter()
            .enumerate()
            .map(|(i, h)| h.leaf(INITIAL + i as u64))
            .collect();
        let tree = MerkleTree::from_leaf_hashes(leaves);
        let run = Run {
            history_size: size,
            first_height: INITIAL + first,
            heights: heights[first as usize..end as usize].to_vec(),
            first_aunts: tree.prove(first as usize).unwrap().aunts,
            last_aunts: tree.prove(end as usize - 1).unwrap().aunts,
        };
        (run, tree.root())
    }

    #[test]
    fn a_run_round_trips_through_blobs_and_verifies() {
        let (run, root) = history_run(23, 6, 17);
        let txs = run.pack().unwrap();
        assert_eq!(txs.len(), 1);
        assert!(txs[0].iter().all(|b| b.len() == BYTES_PER_BLOB));
        let back = Run::unpack(txs.iter().map(Vec::as_slice)).unwrap();
        assert_eq!(back, run);
        back.verify(INITIAL, &root).unwrap();
        assert_eq!(back.last_height(), INITIAL + 16);
    }

    #[test]
    fn any_change_to_the_data_fails_verification() {
        let (run, root) = history_run(23, 6, 17);
        let mut changed = run.clone();
        changed.heights[1].blobs[0].data.push(0);
        assert_eq!(changed.verify(INITIAL, &root), Err(DataError::RootMismatch));
        let mut dropped = run.clone();
        dropped.heights[1].blobs.pop();
        assert_eq!(dropped.verify(INITIAL, &root), Err(DataError::RootMismatch));
        let mut reordered = run.clone();
        // Blobs 0 and 2 share a namespace, whose order is committed (the
        // order between namespaces is not: the tree groups them).
        reordered.heights[1].blobs.swap(0, 2);
        assert_eq!(
            reordered.verify(INITIAL, &root),
            Err(DataError::RootMismatch)
        );
        let mut shifted = run.clone();
        shifted.first_height += 1;
        assert!(shifted.verify(INITIAL, &root).is_err());
        let mut short = run.clone();
        short.heights.pop();
        assert!(short.verify(INITIAL, &root).is_err());
        let mut hash = run.clone();
        hash.heights[0].block_hash[0] ^= 1;
        assert_eq!(hash.verify(INITIAL, &root), Err(DataError::RootMismatch));
        assert!(matches!(
            run.verify(INITIAL + 7, &root),
            Err(DataError::BelowInitial { .. }) | Err(DataError::History(_))
        ));
        let empty = Run {
            heights: Vec::new(),
            ..run.clone()
        };
        assert_eq!(empty.verify(INITIAL, &root), Err(DataError::Empty));
        // A hostile first height at the end of u64 is refused, not a panic.
        let mut far = run.clone();
        far.first_height = u64::MAX;
        assert!(far.verify(INITIAL, &root).is_err());
        assert_eq!(far.last_height(), u64::MAX);
    }

    #[test]
    fn a_large_run_is_cut_into_parts_read_in_any_order() {
        // Incompressible data past one transaction's six blobs.
        let run = one_blob_run(noise(900_000));
        let mut txs = run.pack().unwrap();
        assert_eq!(txs.len(), 2);
        assert_eq!(txs[0].len(), MAX_BLOBS_PER_TX);
        assert!(txs[1].len() < MAX_BLOBS_PER_TX);
        txs.reverse();
        assert_eq!(Run::unpack(txs.iter().map(Vec::as_slice)).unwrap(), run);
        let root = run.heights[0].leaf(INITIAL);
        run.verify(INITIAL, &root).unwrap();
        // A part missing or given twice.
        assert!(matches!(
            Run::unpack(txs[..1].iter().map(Vec::as_slice)),
            Err(DataError::Parts(_))
        ));
        let twice = [txs[0].clone(), txs[0].clone()];
        assert!(matches!(
            Run::unpack(twice.iter().map(Vec::as_slice)),
            Err(DataError::Parts(_))
        ));
    }

    #[test]
    fn a_megabyte_of_incompressible_data_takes_eight_blobs_in_two_transactions() {
        // 8 blobs' payload is 1,015,808 bytes: room for a MB, the run's
        // framing and DEFLATE's stored-block overhead (5 bytes per 64 KiB).
        let run = one_blob_run(noise(1_000_000));
        let txs = run.pack().unwrap();
        let blobs: Vec<usize> = txs.iter().map(Vec::len).collect();
        assert_eq!(blobs, vec![6, 2]);
    }

    #[test]
    fn malformed_blobs_are_refused_without_panics() {
        let (run, _) = history_run(4, 0, 4);
        let txs = run.pack().unwrap();
        let mut bad_element = txs[0].clone();
        bad_element[0][32 * 7] = 1;
        assert_eq!(
            Run::unpack([bad_element.as_slice()]),
            Err(DataError::Element {
                blob: 0,
                element: 7
            })
        );
        let mut short = txs[0].clone();
        short[0].pop();
        assert_eq!(
            Run::unpack([short.as_slice()]),
            Err(DataError::BlobSize(BYTES_PER_BLOB - 1))
        );
        let zero = vec![vec![0u8; BYTES_PER_BLOB]];
        assert_eq!(Run::unpack([zero.as_slice()]), Err(DataError::Magic));
        assert!(Run::unpack(std::iter::empty()).is_err());
        // Every truncation and a huge count in the run encoding.
        let bytes = run.encode();
        for len in 0..bytes.len() {
            assert!(Run::decode(&bytes[..len]).is_err(), "{len}");
        }
        let mut huge = bytes.clone();
        huge[17..21].copy_from_slice(&u32::MAX.to_be_bytes());
        assert!(matches!(
            Run::decode(&huge),
            Err(DataError::Truncated { .. })
        ));
        let mut trailing = bytes;
        trailing.push(0);
        assert_eq!(Run::decode(&trailing), Err(DataError::Trailing(1)));
    }

    #[test]
    fn a_decompression_bomb_stops_at_the_limit() {
        let mut encoder =
            flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
        let zeros = vec![0u8; 1 << 20];
        for _ in 0..(MAX_RUN_BYTES >> 20) + 1 {
            encoder.write_all(&zeros).unwrap();
        }
        let compressed = encoder.finish().unwrap();
        let mut stream = MAGIC.to_vec();
        stream.extend_from_slice(&0u16.to_be_bytes());
        stream.extend_from_slice(&1u16.to_be_bytes());
        stream.extend_from_slice(&(compressed.len() as u32).to_be_bytes());
        stream.extend_from_slice(&compressed);
        let blobs = to_blobs(&stream);
        assert_eq!(Run::unpack([blobs.as_slice()]), Err(DataError::TooLarge));
    }
}
