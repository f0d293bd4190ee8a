//! slashing's state: signing info and the missed-vote bitmap.

use super::keys;
use crate::error::StateReadError;
use crate::state::{StateRead, StateWrite};

/// A validator's liveness record (the SDK's `ValidatorSigningInfo`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SigningInfo {
    /// Height liveness is judged from (its first vote, or its last reset).
    pub start_height: u64,
    /// Votes counted since then (the bitmap index is this mod the window).
    pub index_offset: u64,
    /// Misses in the current window (= the bitmap's population).
    pub missed_blocks: u64,
}

impl SigningInfo {
    /// 24 bytes: the three fields, u64 BE each.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(24);
        out.extend_from_slice(&self.start_height.to_be_bytes());
        out.extend_from_slice(&self.index_offset.to_be_bytes());
        out.extend_from_slice(&self.missed_blocks.to_be_bytes());
        out
    }

    /// Inverse of [`encode`](Self::encode).
    pub fn decode(bytes: &[u8]) -> Result<Self, StateReadError> {
        let corrupt = || StateReadError("corrupt signing info".into());
        let field = |i: usize| -> Result<u64, StateReadError> {
            let chunk: [u8; 8] = bytes
                .get(i * 8..i * 8 + 8)
                .and_then(|b| b.try_into().ok())
                .ok_or_else(corrupt)?;
            Ok(u64::from_be_bytes(chunk))
        };
        if bytes.len() != 24 {
            return Err(corrupt());
        }
        Ok(SigningInfo {
            start_height: field(0)?,
            index_offset: field(1)?,
            missed_blocks: field(2)?,
        })
    }
}

/// Typed reads of slashing's state.
pub trait SlashingRead: StateRead {
    /// The signing info of a consensus address.
    fn signing_info(&self, consensus: &[u8; 20]) -> Result<Option<SigningInfo>, StateReadError> {
        self.get(&keys::info(consensus))?
            .map(|b| SigningInfo::decode(&b))
            .transpose()
    }

    /// Whether the vote at `index` of the window was missed.
    fn missed(&self, consensus: &[u8; 20], index: u64) -> Result<bool, StateReadError> {
        Ok(self.get(&keys::missed(consensus, index))?.is_some())
    }

    /// How many misses the bitmap holds.
    fn missed_count(&self, consensus: &[u8; 20]) -> Result<u64, StateReadError> {
        Ok(self.prefix(&keys::missed_prefix(consensus))?.len() as u64)
    }
}

impl<S: StateRead + ?Sized> SlashingRead for S {}

/// Typed writes of slashing's state.
pub trait SlashingWrite: StateWrite {
    /// Writes signing info.
    fn put_signing_info(&mut self, consensus: &[u8; 20], info: &SigningInfo) {
        self.put_raw(keys::info(consensus), info.encode());
    }

    /// Marks (or clears) the vote at `index` as missed.
    fn put_missed(&mut self, consensus: &[u8; 20], index: u64, missed: bool) {
        let key = keys::missed(consensus, index);
        if missed {
            self.put_raw(key, Vec::new());
        } else {
            self.delete(key);
        }
    }

    /// Clears the bitmap.
    fn clear_missed(&mut self, consensus: &[u8; 20]) -> Result<(), StateReadError> {
        for (key, _) in self.prefix(&keys::missed_prefix(consensus))? {
            self.delete(key);
        }
        Ok(())
    }
}

impl<S: StateWrite + ?Sized> SlashingWrite for S {}
