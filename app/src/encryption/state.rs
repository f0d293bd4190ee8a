//! encryption's state: its parameters and epoch key, its status (active or
//! plaintext-only), the queue of pending slots with their envelopes, and
//! each reveal height's record.
//!
//! Keys (all values explicit bytes):
//! - `encryption/params` → [`EncryptionParams`];
//! - `encryption/key` → the epoch key (`quire_tpke::EpochKey` bytes), read
//!   only where shares or keys are checked;
//! - `encryption/status` → [`Status`] (absent: active, no expiry yet);
//! - `encryption/slot/{S u64 BE}` → envelope count u32 BE: the queue, small
//!   so that vote checks read no ciphertext;
//! - `encryption/pending/{S u64 BE}` → the slot's [`PendingEnvelope`]s;
//! - `encryption/revealed/{R u64 BE}` → the [`ResolvedEnvelope`]s the reveal
//!   of height R resolved (what reads bind a revealed blob to).

use crate::error::StateReadError;
use crate::state::{StateRead, StateWrite};
use quire_core::encryption::IBE_CIPHERTEXT_LEN;
use quire_core::Address;

const PARAMS: &[u8] = b"encryption/params";
const KEY: &[u8] = b"encryption/key";
const STATUS: &[u8] = b"encryption/status";
const SLOT_PREFIX: &[u8] = b"encryption/slot/";
const PENDING_PREFIX: &[u8] = b"encryption/pending/";
const REVEALED_PREFIX: &[u8] = b"encryption/revealed/";

fn keyed(prefix: &[u8], height: u64) -> Vec<u8> {
    let mut key = prefix.to_vec();
    key.extend_from_slice(&height.to_be_bytes());
    key
}

fn corrupt(what: &str) -> StateReadError {
    StateReadError(format!("corrupt encryption record: {what}"))
}

/// Reads fixed-size fields off a stored record.
struct Fields<'a>(&'a [u8], &'static str);

impl<'a> Fields<'a> {
    fn take(&mut self, len: usize) -> Result<&'a [u8], StateReadError> {
        let (head, rest) = self
            .0
            .split_at_checked(len)
            .ok_or_else(|| corrupt(self.1))?;
        self.0 = rest;
        Ok(head)
    }
    fn array<const N: usize>(&mut self) -> Result<[u8; N], StateReadError> {
        self.take(N)?.try_into().map_err(|_| corrupt(self.1))
    }
    fn u32(&mut self) -> Result<u32, StateReadError> {
        Ok(u32::from_be_bytes(self.array()?))
    }
    fn u64(&mut self) -> Result<u64, StateReadError> {
        Ok(u64::from_be_bytes(self.array()?))
    }
}

/// The chain's encryption rules (from genesis).
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
    fn encode(&self) -> Vec<u8> {
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

    fn decode(bytes: &[u8]) -> Result<Self, StateReadError> {
        let mut f = Fields(bytes, "params");
        let epoch = f.u64()?;
        let max_envelopes_per_block = f.u32()?;
        let expiry_blocks = f.u64()?;
        let expiries_to_disable = f.u32()?;
        let count = f.u32()? as usize;
        if f.0.len() != count.saturating_mul(20) {
            return Err(corrupt("params members"));
        }
        let members =
            f.0.chunks_exact(20)
                .map(|c| c.try_into().map_err(|_| corrupt("params member")))
                .collect::<Result<_, _>>()?;
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
    fn encode(&self) -> Vec<u8> {
        let mut out = self.expired_in_row.to_be_bytes().to_vec();
        out.extend_from_slice(&self.inactive_since.map_or(0, |h| h).to_be_bytes());
        out
    }

    fn decode(bytes: &[u8]) -> Result<Self, StateReadError> {
        let mut f = Fields(bytes, "status");
        let expired_in_row = f.u32()?;
        let since = f.u64()?;
        Ok(Status {
            expired_in_row,
            inactive_since: (since != 0).then_some(since),
        })
    }
}

/// An envelope waiting for its key: what the reveal needs to decrypt it and
/// to name where it was ordered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingEnvelope {
    /// Its transaction's index in its block.
    pub tx_index: u32,
    /// Its transaction's hash.
    pub tx_hash: [u8; 32],
    /// Who signed it.
    pub signer: Address,
    /// Its identity (`quire_tpke::Identity`).
    pub identity: [u8; 32],
    /// The IBE ciphertext of its key.
    pub ibe_ciphertext: [u8; IBE_CIPHERTEXT_LEN],
    /// The payload under its key.
    pub body: Vec<u8>,
}

fn encode_envelopes(envelopes: &[PendingEnvelope]) -> Vec<u8> {
    let size: usize = envelopes.iter().map(|e| 252 + e.body.len()).sum();
    let mut out = Vec::with_capacity(4 + size);
    out.extend_from_slice(&(envelopes.len() as u32).to_be_bytes());
    for e in envelopes {
        out.extend_from_slice(&e.tx_index.to_be_bytes());
        out.extend_from_slice(&e.tx_hash);
        out.extend_from_slice(e.signer.as_bytes());
        out.extend_from_slice(&e.identity);
        out.extend_from_slice(&e.ibe_ciphertext);
        out.extend_from_slice(&(e.body.len() as u32).to_be_bytes());
        out.extend_from_slice(&e.body);
    }
    out
}

fn decode_envelopes(bytes: &[u8]) -> Result<Vec<PendingEnvelope>, StateReadError> {
    let mut f = Fields(bytes, "pending envelopes");
    let count = f.u32()? as usize;
    let mut out = Vec::with_capacity(count.min(quire_core::encryption::MAX_ENVELOPES_PER_BLOCK));
    for _ in 0..count {
        let tx_index = f.u32()?;
        let tx_hash = f.array()?;
        let signer = Address::new(f.array()?);
        let identity = f.array()?;
        let ibe_ciphertext = f.array()?;
        let len = f.u32()? as usize;
        let body = f.take(len)?.to_vec();
        out.push(PendingEnvelope {
            tx_index,
            tx_hash,
            signer,
            identity,
            ibe_ciphertext,
            body,
        });
    }
    if !f.0.is_empty() {
        return Err(corrupt("pending envelopes: trailing bytes"));
    }
    Ok(out)
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
    /// The byte stored and the word in events.
    pub fn code(self) -> (u8, &'static str) {
        match self {
            Outcome::Revealed => (0, "revealed"),
            Outcome::Undecryptable => (1, "undecryptable"),
            Outcome::Invalid => (2, "invalid"),
            Outcome::Expired => (3, "expired"),
        }
    }

    fn from_byte(byte: u8) -> Option<Self> {
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

/// One envelope a reveal resolved: where it was ordered, what became of it,
/// and where its blobs are in the reveal's block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedEnvelope {
    /// The height it was ordered at.
    pub slot: u64,
    /// Its transaction's index in that block.
    pub tx_index: u32,
    /// Its transaction's hash.
    pub tx_hash: [u8; 32],
    /// What became of it.
    pub outcome: Outcome,
    /// The index, among the reveal's blobs, of its first blob.
    pub first_blob: u32,
    /// How many blobs it revealed.
    pub blobs: u32,
}

fn encode_resolved(resolved: &[ResolvedEnvelope]) -> Vec<u8> {
    let mut out = Vec::with_capacity(4 + 53 * resolved.len());
    out.extend_from_slice(&(resolved.len() as u32).to_be_bytes());
    for r in resolved {
        out.extend_from_slice(&r.slot.to_be_bytes());
        out.extend_from_slice(&r.tx_index.to_be_bytes());
        out.extend_from_slice(&r.tx_hash);
        out.push(r.outcome.code().0);
        out.extend_from_slice(&r.first_blob.to_be_bytes());
        out.extend_from_slice(&r.blobs.to_be_bytes());
    }
    out
}

fn decode_resolved(bytes: &[u8]) -> Result<Vec<ResolvedEnvelope>, StateReadError> {
    let mut f = Fields(bytes, "revealed record");
    let count = f.u32()? as usize;
    if f.0.len() != count.saturating_mul(53) {
        return Err(corrupt("revealed record length"));
    }
    let mut out = Vec::with_capacity(count);
    for _ in 0..count {
        let slot = f.u64()?;
        let tx_index = f.u32()?;
        let tx_hash = f.array()?;
        let [outcome] = f.array::<1>()?;
        let outcome = Outcome::from_byte(outcome).ok_or_else(|| corrupt("outcome"))?;
        out.push(ResolvedEnvelope {
            slot,
            tx_index,
            tx_hash,
            outcome,
            first_blob: f.u32()?,
            blobs: f.u32()?,
        });
    }
    Ok(out)
}

/// Reads encryption's state.
pub trait EncryptionRead: StateRead {
    /// The rules, if the chain has encryption.
    fn encryption_params(&self) -> Result<Option<EncryptionParams>, StateReadError> {
        self.get(PARAMS)?
            .map(|b| EncryptionParams::decode(&b))
            .transpose()
    }

    /// The current epoch key (its bytes; checked when decoded).
    fn encryption_key(&self) -> Result<Option<quire_tpke::EpochKey>, StateReadError> {
        self.get(KEY)?
            .map(|b| {
                quire_tpke::EpochKey::from_bytes(&b)
                    .map_err(|e| StateReadError(format!("stored epoch key: {e}")))
            })
            .transpose()
    }

    /// The status.
    fn encryption_status(&self) -> Result<Status, StateReadError> {
        self.get(STATUS)?
            .map_or(Ok(Status::default()), |b| Status::decode(&b))
    }

    /// The pending slots, oldest first: `(slot, envelope count)`.
    fn pending_slots(&self) -> Result<Vec<(u64, u32)>, StateReadError> {
        self.prefix(SLOT_PREFIX)?
            .into_iter()
            .map(|(key, value)| {
                let slot = key
                    .get(SLOT_PREFIX.len()..)
                    .and_then(|k| <[u8; 8]>::try_from(k).ok())
                    .map(u64::from_be_bytes)
                    .ok_or_else(|| corrupt("slot key"))?;
                let count = <[u8; 4]>::try_from(value.as_slice())
                    .map(u32::from_be_bytes)
                    .map_err(|_| corrupt("slot count"))?;
                Ok((slot, count))
            })
            .collect()
    }

    /// The envelopes of pending slot `slot`.
    fn pending_envelopes(&self, slot: u64) -> Result<Vec<PendingEnvelope>, StateReadError> {
        self.get(&keyed(PENDING_PREFIX, slot))?
            .map_or(Ok(Vec::new()), |b| decode_envelopes(&b))
    }

    /// What the reveal at height `height` resolved (empty if none).
    fn revealed_at(&self, height: u64) -> Result<Vec<ResolvedEnvelope>, StateReadError> {
        self.get(&keyed(REVEALED_PREFIX, height))?
            .map_or(Ok(Vec::new()), |b| decode_resolved(&b))
    }
}

impl<T: StateRead + ?Sized> EncryptionRead for T {}

/// Writes encryption's state.
pub trait EncryptionWrite: StateWrite {
    /// Sets the rules and the epoch key.
    fn put_encryption(&mut self, params: &EncryptionParams, key: &quire_tpke::EpochKey) {
        self.put_raw(PARAMS.to_vec(), params.encode());
        self.put_raw(KEY.to_vec(), key.to_bytes());
    }

    /// Sets the status.
    fn put_encryption_status(&mut self, status: &Status) {
        self.put_raw(STATUS.to_vec(), status.encode());
    }

    /// Queues slot `slot` with its envelopes.
    fn put_pending(&mut self, slot: u64, envelopes: &[PendingEnvelope]) {
        self.put_raw(
            keyed(SLOT_PREFIX, slot),
            (envelopes.len() as u32).to_be_bytes().to_vec(),
        );
        self.put_raw(keyed(PENDING_PREFIX, slot), encode_envelopes(envelopes));
    }

    /// Removes a resolved slot from the queue.
    fn remove_pending(&mut self, slot: u64) {
        self.delete(keyed(SLOT_PREFIX, slot));
        self.delete(keyed(PENDING_PREFIX, slot));
    }

    /// Records what the reveal of `height` resolved.
    fn put_revealed(&mut self, height: u64, resolved: &[ResolvedEnvelope]) {
        self.put_raw(keyed(REVEALED_PREFIX, height), encode_resolved(resolved));
    }
}

impl<T: StateWrite + ?Sized> EncryptionWrite for T {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip() {
        let params = EncryptionParams {
            epoch: 2,
            max_envelopes_per_block: 32,
            expiry_blocks: 20,
            expiries_to_disable: 3,
            members: vec![[1; 20], [2; 20]],
        };
        assert_eq!(EncryptionParams::decode(&params.encode()).unwrap(), params);
        let status = Status {
            expired_in_row: 2,
            inactive_since: Some(9),
        };
        assert_eq!(Status::decode(&status.encode()).unwrap(), status);
        let envelope = PendingEnvelope {
            tx_index: 3,
            tx_hash: [4; 32],
            signer: Address::new([5; 20]),
            identity: [6; 32],
            ibe_ciphertext: [7; IBE_CIPHERTEXT_LEN],
            body: vec![8; 70],
        };
        let envelopes = vec![envelope.clone(), envelope];
        let bytes = encode_envelopes(&envelopes);
        assert_eq!(decode_envelopes(&bytes).unwrap(), envelopes);
        assert!(decode_envelopes(&bytes[..bytes.len() - 1]).is_err());
        let resolved = vec![ResolvedEnvelope {
            slot: 1,
            tx_index: 2,
            tx_hash: [3; 32],
            outcome: Outcome::Invalid,
            first_blob: 4,
            blobs: 0,
        }];
        assert_eq!(
            decode_resolved(&encode_resolved(&resolved)).unwrap(),
            resolved
        );
    }
}
