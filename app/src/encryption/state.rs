//! encryption's state: its parameters and epoch key, its status (active or
//! plaintext-only), the queue of pending slots with their envelopes, and
//! each reveal height's record.
//!
//! Keys (all values explicit bytes):
//! - `encryption/params`, `encryption/key`, `encryption/status`,
//!   `encryption/revealed/{R u64 BE}`: the records clients verify too, with
//!   their encodings in `quire_core::encryption::record`; the epoch key is
//!   read only where shares or keys are checked;
//! - `encryption/slot/{S u64 BE}` → envelope count u32 BE: the queue, small
//!   so that vote checks read no ciphertext;
//! - `encryption/pending/{S u64 BE}` → the slot's [`PendingEnvelope`]s.

use crate::error::StateReadError;
use crate::state::{StateRead, StateWrite};
use quire_core::encryption::IBE_CIPHERTEXT_LEN;
use quire_core::Address;

use quire_core::encryption::record::{
    decode_record, encode_record, revealed_key, EPOCH_KEY_KEY as KEY, PARAMS_KEY as PARAMS,
    STATUS_KEY as STATUS,
};
pub use quire_core::encryption::record::{
    EncryptionParams, Outcome, ResolvedEnvelope, RevealedBlob, Status,
};
use quire_core::encryption::FormatError;

const SLOT_PREFIX: &[u8] = b"encryption/slot/";
const PENDING_PREFIX: &[u8] = b"encryption/pending/";

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
}

fn stored(e: FormatError) -> StateReadError {
    StateReadError(format!("corrupt encryption record: {e}"))
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

/// Reads encryption's state.
pub trait EncryptionRead: StateRead {
    /// The rules, if the chain has encryption.
    fn encryption_params(&self) -> Result<Option<EncryptionParams>, StateReadError> {
        self.get(PARAMS)?
            .map(|b| EncryptionParams::decode(&b).map_err(stored))
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
        self.get(STATUS)?.map_or(Ok(Status::default()), |b| {
            Status::decode(&b).map_err(stored)
        })
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
        self.get(&revealed_key(height))?
            .map_or(Ok(Vec::new()), |b| decode_record(&b).map_err(stored))
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
        self.put_raw(revealed_key(height), encode_record(resolved));
    }
}

impl<T: StateWrite + ?Sized> EncryptionWrite for T {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pending_envelopes_round_trip() {
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
    }
}
