//! encryption's records in the state tree, as explicit bytes: written by
//! `quire-app`, read back there and by clients that verify them with a
//! state proof (`quire_core::state_proof`) against a signed app hash.
//!
//! - `encryption/params` → [`EncryptionParams`];
//! - `encryption/key` → the epoch key (`quire_tpke::EpochKey` bytes);
//! - `encryption/status` → [`Status`] (absent: active, no expiry yet);
//! - `encryption/revealed/{R u64 BE}` → the [`ResolvedEnvelope`]s the reveal
//!   of height R resolved: what binds a revealed blob to the envelope it came
//!   from ([`bind_revealed`]).
//!
//! The queue of pending slots (`encryption/slot/`, `encryption/pending/`) is
//! the app's own business and stays there.

use super::{FormatError, Reader, MAX_ENVELOPES_PER_BLOCK};
use crate::{commitment, Address, Namespace};

/// Key of the [`EncryptionParams`].
pub const PARAMS_KEY: &[u8] = b"encryption/params";
/// Key of the epoch key.
pub const EPOCH_KEY_KEY: &[u8] = b"encryption/key";
/// Key of the [`Status`].
pub const STATUS_KEY: &[u8] = b"encryption/status";
/// Prefix of the reveal records.
pub const REVEALED_PREFIX: &[u8] = b"encryption/revealed/";

/// The most blobs one envelope reveals (an envelope payload's bound).
pub const MAX_BLOBS_PER_ENVELOPE: usize = crate::envelope::MAX_ENVELOPE_BLOBS;

/// The key of the record of the reveal at height `height`.
pub fn revealed_key(height: u64) -> Vec<u8> {
    let mut key = REVEALED_PREFIX.to_vec();
    key.extend_from_slice(&height.to_be_bytes());
    key
}

/// The chain's encryption rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncryptionParams {
    /// The current key epoch.
    pub epoch: u64,
    /// The most envelopes one block may carry.
    pub max_envelopes_per_block: u32,
    /// E: a slot not revealed by `S + E` expires.
    pub expiry_blocks: u64,
    /// K: this many expired slots in a row switch the chain to plaintext only.
    pub expiries_to_disable: u32,
    /// The consensus address of each key-share holder, by participant index.
    pub members: Vec<[u8; 20]>,
}

impl EncryptionParams {
    /// `epoch u64 ‖ cap u32 ‖ E u64 ‖ K u32 ‖ member count u32 ‖ members (20
    /// bytes each)`, big-endian.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(28 + 20 * self.members.len());
        out.extend_from_slice(&self.epoch.to_be_bytes());
        out.extend_from_slice(&self.max_envelopes_per_block.to_be_bytes());
        out.extend_from_slice(&self.expiry_blocks.to_be_bytes());
        out.extend_from_slice(&self.expiries_to_disable.to_be_bytes());
        out.extend_from_slice(&(self.members.len() as u32).to_be_bytes());
        for member in &self.members {
            out.extend_from_slice(member);
        }
        out
    }

    /// Reads what [`EncryptionParams::encode`] wrote.
    pub fn decode(bytes: &[u8]) -> Result<Self, FormatError> {
        let mut r = Reader::new("encryption params", bytes);
        let epoch = r.u64()?;
        let max_envelopes_per_block = r.u32()?;
        let expiry_blocks = r.u64()?;
        let expiries_to_disable = r.u32()?;
        let count = r.u32()? as usize;
        if r.remaining() != count.saturating_mul(20) {
            return Err(r.fail(format!("{count} members do not fill the record")));
        }
        let members = (0..count)
            .map(|_| r.array::<20>())
            .collect::<Result<_, _>>()?;
        r.finish()?;
        Ok(EncryptionParams {
            epoch,
            max_envelopes_per_block,
            expiry_blocks,
            expiries_to_disable,
            members,
        })
    }

    /// The participant index of the validator with consensus address
    /// `validator`.
    pub fn member_index(&self, validator: &[u8; 20]) -> Option<u32> {
        self.members
            .iter()
            .position(|m| m == validator)
            .map(|i| i as u32)
    }
}

/// Whether envelopes are accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Status {
    /// Slots expired in a row (a reveal resets it).
    pub expired_in_row: u32,
    /// The height plaintext-only mode began, if it did.
    pub inactive_since: Option<u64>,
}

impl Status {
    /// `expired in a row u32 ‖ inactive since u64 (0: active)`, big-endian.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = self.expired_in_row.to_be_bytes().to_vec();
        out.extend_from_slice(&self.inactive_since.unwrap_or(0).to_be_bytes());
        out
    }

    /// Reads what [`Status::encode`] wrote.
    pub fn decode(bytes: &[u8]) -> Result<Self, FormatError> {
        let mut r = Reader::new("encryption status", bytes);
        let expired_in_row = r.u32()?;
        let since = r.u64()?;
        r.finish()?;
        Ok(Status {
            expired_in_row,
            inactive_since: (since != 0).then_some(since),
        })
    }
}

/// What became of an envelope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Decrypted: its blobs are in the reveal's block.
    Revealed,
    /// The key is right but the ciphertext does not open (a submitter's
    /// fault: the fee is kept).
    Undecryptable,
    /// It opened, but the payload breaks the blob rules (fee kept).
    Invalid,
    /// Not revealed in time: never decrypted (fee kept).
    Expired,
}

impl Outcome {
    /// The byte stored and the word in events and reads.
    pub fn code(self) -> (u8, &'static str) {
        match self {
            Outcome::Revealed => (0, "revealed"),
            Outcome::Undecryptable => (1, "undecryptable"),
            Outcome::Invalid => (2, "invalid"),
            Outcome::Expired => (3, "expired"),
        }
    }

    /// The outcome stored as `byte`.
    pub fn from_byte(byte: u8) -> Option<Self> {
        [
            Outcome::Revealed,
            Outcome::Undecryptable,
            Outcome::Invalid,
            Outcome::Expired,
        ]
        .into_iter()
        .find(|o| o.code().0 == byte)
    }
}

/// One blob an envelope revealed: its namespace and its leaf in the reveal
/// height's namespace tree (`commitment::blob_leaf_hash(signer, data)`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RevealedBlob {
    /// Its namespace.
    pub namespace: Namespace,
    /// `blob_leaf_hash(envelope signer, data)`.
    pub leaf: [u8; 32],
}

/// One envelope a reveal resolved: where it was ordered, what became of it,
/// and the blobs it revealed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedEnvelope {
    /// The height it was ordered at (its slot).
    pub slot: u64,
    /// Its transaction's index in that block.
    pub tx_index: u32,
    /// Its transaction's hash (sha256 of the tx bytes, as CometBFT's).
    pub tx_hash: [u8; 32],
    /// What became of it.
    pub outcome: Outcome,
    /// The index, among the reveal's blobs, of its first blob.
    pub first_blob: u32,
    /// Its blobs, in the reveal's order (empty unless revealed).
    pub blobs: Vec<RevealedBlob>,
}

/// Encodes a reveal record: `count u32 ‖ per envelope: slot u64 ‖ tx index
/// u32 ‖ tx hash 32 ‖ outcome u8 ‖ first blob u32 ‖ blob count u16 ‖ per
/// blob: namespace 32 ‖ leaf 32`, big-endian.
pub fn encode_record(resolved: &[ResolvedEnvelope]) -> Vec<u8> {
    let size: usize = resolved.iter().map(|r| 51 + 64 * r.blobs.len()).sum();
    let mut out = Vec::with_capacity(4 + size);
    out.extend_from_slice(&(resolved.len() as u32).to_be_bytes());
    for r in resolved {
        out.extend_from_slice(&r.slot.to_be_bytes());
        out.extend_from_slice(&r.tx_index.to_be_bytes());
        out.extend_from_slice(&r.tx_hash);
        out.push(r.outcome.code().0);
        out.extend_from_slice(&r.first_blob.to_be_bytes());
        out.extend_from_slice(&(r.blobs.len() as u16).to_be_bytes());
        for blob in &r.blobs {
            out.extend_from_slice(blob.namespace.as_bytes());
            out.extend_from_slice(&blob.leaf);
        }
    }
    out
}

/// Reads what [`encode_record`] wrote; bounded by the input and by
/// [`MAX_ENVELOPES_PER_BLOCK`] × 2 envelopes and [`MAX_BLOBS_PER_ENVELOPE`]
/// blobs each.
pub fn decode_record(bytes: &[u8]) -> Result<Vec<ResolvedEnvelope>, FormatError> {
    let mut r = Reader::new("reveal record", bytes);
    let count = r.u32()? as usize;
    if count > 2 * MAX_ENVELOPES_PER_BLOCK {
        return Err(r.fail(format!("{count} envelopes is more than two slots hold")));
    }
    let mut out = Vec::with_capacity(count.min(r.remaining() / 51));
    for _ in 0..count {
        let slot = r.u64()?;
        let tx_index = r.u32()?;
        let tx_hash = r.array()?;
        let byte = r.u8()?;
        let outcome = Outcome::from_byte(byte).ok_or_else(|| r.fail(format!("outcome {byte}")))?;
        let first_blob = r.u32()?;
        let blob_count = usize::from(r.u16()?);
        if blob_count > MAX_BLOBS_PER_ENVELOPE {
            return Err(r.fail(format!("{blob_count} blobs in one envelope")));
        }
        let blobs = (0..blob_count)
            .map(|_| {
                Ok(RevealedBlob {
                    namespace: Namespace::new(r.array()?),
                    leaf: r.array()?,
                })
            })
            .collect::<Result<_, FormatError>>()?;
        out.push(ResolvedEnvelope {
            slot,
            tx_index,
            tx_hash,
            outcome,
            first_blob,
            blobs,
        });
    }
    r.finish()?;
    Ok(out)
}

/// Where a blob read at a reveal height came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlobOrigin<'a> {
    /// Revealed from this envelope (ordered at its slot, at its position).
    Envelope(&'a ResolvedEnvelope),
    /// A plaintext blob of a transaction in the reveal height's own block.
    Plaintext,
}

/// Why a namespace's blobs do not match a reveal record.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the blobs of namespace {namespace} do not match the reveal record: {reason}")]
pub struct BindError {
    /// The namespace read.
    pub namespace: Namespace,
    /// What does not match.
    pub reason: String,
}

/// Binds the blobs of `namespace` at a reveal height — `(signer, data)` in
/// the namespace's order, as verified against that height's namespace
/// commitment — to the envelopes of the height's reveal `record` (verified
/// by a state proof).
///
/// The reveal is a system transaction, placed before every user
/// transaction, so in each namespace the revealed blobs come first, in the
/// record's order; the rest are the block's plaintext blobs. Each revealed
/// blob's leaf must equal the record's (which commits to the envelope's
/// signer and the data). Returns the origin of each blob, in order.
pub fn bind_revealed<'r>(
    record: &'r [ResolvedEnvelope],
    namespace: Namespace,
    blobs: &[(Address, &[u8])],
) -> Result<Vec<BlobOrigin<'r>>, BindError> {
    let fail = |reason: String| BindError { namespace, reason };
    let revealed: Vec<(&ResolvedEnvelope, &RevealedBlob)> = record
        .iter()
        .flat_map(|envelope| envelope.blobs.iter().map(move |blob| (envelope, blob)))
        .filter(|(_, blob)| blob.namespace == namespace)
        .collect();
    if blobs.len() < revealed.len() {
        return Err(fail(format!(
            "the record reveals {} blobs in it, the read has {}",
            revealed.len(),
            blobs.len()
        )));
    }
    let mut origins = Vec::with_capacity(blobs.len());
    for (i, ((envelope, expected), (signer, data))) in revealed.iter().zip(blobs).enumerate() {
        if commitment::blob_leaf_hash(signer, data) != expected.leaf {
            return Err(fail(format!(
                "blob {i} is not the one envelope {} of slot {} revealed",
                envelope.tx_index, envelope.slot
            )));
        }
        origins.push(BlobOrigin::Envelope(envelope));
    }
    origins.resize(blobs.len(), BlobOrigin::Plaintext);
    Ok(origins)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ns(byte: u8) -> Namespace {
        Namespace::new([byte; 32])
    }

    fn record() -> Vec<ResolvedEnvelope> {
        let alice = Address::new([1; 20]);
        let blob = |n: u8, data: &[u8]| RevealedBlob {
            namespace: ns(n),
            leaf: commitment::blob_leaf_hash(&alice, data),
        };
        vec![
            ResolvedEnvelope {
                slot: 7,
                tx_index: 2,
                tx_hash: [3; 32],
                outcome: Outcome::Revealed,
                first_blob: 0,
                blobs: vec![blob(1, b"a"), blob(2, b"b")],
            },
            ResolvedEnvelope {
                slot: 7,
                tx_index: 3,
                tx_hash: [4; 32],
                outcome: Outcome::Expired,
                first_blob: 2,
                blobs: vec![],
            },
            ResolvedEnvelope {
                slot: 8,
                tx_index: 1,
                tx_hash: [5; 32],
                outcome: Outcome::Revealed,
                first_blob: 2,
                blobs: vec![blob(1, b"c")],
            },
        ]
    }

    #[test]
    fn records_round_trip_and_refuse_garbage() {
        let params = EncryptionParams {
            epoch: 2,
            max_envelopes_per_block: 32,
            expiry_blocks: 20,
            expiries_to_disable: 3,
            members: vec![[1; 20], [2; 20]],
        };
        assert_eq!(EncryptionParams::decode(&params.encode()).unwrap(), params);
        assert!(EncryptionParams::decode(&params.encode()[..47]).is_err());
        let status = Status {
            expired_in_row: 2,
            inactive_since: Some(9),
        };
        assert_eq!(Status::decode(&status.encode()).unwrap(), status);
        let bytes = encode_record(&record());
        assert_eq!(decode_record(&bytes).unwrap(), record());
        assert!(decode_record(&bytes[..bytes.len() - 1]).is_err());
        assert!(decode_record(&[bytes.as_slice(), &[0]].concat()).is_err());
        assert!(decode_record(&u32::MAX.to_be_bytes()).is_err());
    }

    #[test]
    fn binds_revealed_blobs_first_then_plaintext() {
        let record = record();
        let alice = Address::new([1; 20]);
        let bob = Address::new([2; 20]);
        let read: Vec<(Address, &[u8])> = vec![(alice, b"a"), (alice, b"c"), (bob, b"plain")];
        let origins = bind_revealed(&record, ns(1), &read).unwrap();
        assert_eq!(
            origins,
            vec![
                BlobOrigin::Envelope(&record[0]),
                BlobOrigin::Envelope(&record[2]),
                BlobOrigin::Plaintext
            ]
        );
        // Another signer, other data, a missing blob or another order fail.
        for bad in [
            vec![(bob, b"a" as &[u8]), (alice, b"c")],
            vec![(alice, b"x"), (alice, b"c")],
            vec![(alice, b"a")],
            vec![(alice, b"c"), (alice, b"a")],
        ] {
            assert!(bind_revealed(&record, ns(1), &bad).is_err(), "{bad:?}");
        }
        // A namespace the reveal did not touch: all plaintext.
        assert_eq!(
            bind_revealed(&record, ns(9), &[(bob, b"p")]).unwrap(),
            vec![BlobOrigin::Plaintext]
        );
    }
}
