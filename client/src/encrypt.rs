//! Encrypted submission (docs/blind-ordering.md): seal a blob bundle to the
//! chain's threshold key under the identity of the transaction that will
//! carry it, so that no proposer sees it before its block commits.

use quire_core::encryption::SubmitEncrypted;
use quire_core::envelope::EnvelopePayload;
use quire_core::Address;
use rand_core::{OsRng, RngCore};
use thiserror::Error;

/// Why an envelope could not be made.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum EncryptError {
    /// The epoch key is not usable.
    #[error("encryption key: {0}")]
    Key(String),
    /// The payload breaks the envelope rules.
    #[error("envelope payload: {0}")]
    Payload(#[from] quire_core::envelope::PayloadError),
    /// Sealing failed.
    #[error("sealing the envelope: {0}")]
    Seal(String),
    /// The operating system's random number generator failed.
    #[error("cannot draw the envelope's nonce: {0}")]
    Random(String),
}

/// The key envelopes are sealed to: an epoch and its group key.
#[derive(Debug, Clone)]
pub struct EncryptionKey {
    /// The key epoch.
    pub epoch: u64,
    /// The group key.
    pub group_key: quire_tpke::GroupKey,
    /// sha256 of the epoch key's bytes (what a verified read of the chain's
    /// key shows).
    pub hash: [u8; 32],
}

impl EncryptionKey {
    /// Epoch `epoch`'s key from its bytes (`quire_tpke::EpochKey`).
    pub fn from_epoch_key(epoch: u64, bytes: &[u8]) -> Result<Self, EncryptError> {
        let key = quire_tpke::EpochKey::from_bytes(bytes)
            .map_err(|e| EncryptError::Key(e.to_string()))?;
        Ok(EncryptionKey {
            epoch,
            group_key: key.group_key(),
            hash: key.hash(),
        })
    }

    /// The genesis key (epoch 1) of a genesis file's `app_state.encryption`.
    pub fn from_genesis_json(genesis: &str) -> Result<Self, EncryptError> {
        let doc: serde_json::Value = serde_json::from_str(genesis)
            .map_err(|e| EncryptError::Key(format!("genesis: {e}")))?;
        let hex_key = doc
            .pointer("/app_state/encryption/epoch_key")
            .and_then(|v| v.as_str())
            .ok_or_else(|| {
                EncryptError::Key("the genesis has no app_state.encryption.epoch_key".into())
            })?;
        let bytes = hex::decode(hex_key.trim_start_matches("0x"))
            .map_err(|e| EncryptError::Key(format!("epoch_key is not hex: {e}")))?;
        Self::from_epoch_key(1, &bytes)
    }

    /// Seals `payload` for the tx that `signer` sends at `sequence` on
    /// `chain_id`, with a fresh nonce and fresh randomness.
    pub fn seal(
        &self,
        chain_id: &str,
        signer: &Address,
        sequence: u64,
        payload: &EnvelopePayload,
    ) -> Result<SubmitEncrypted, EncryptError> {
        let bytes = payload.encode();
        EnvelopePayload::decode(&bytes)?;
        let mut nonce = [0u8; 32];
        let mut entropy = [0u8; 32];
        OsRng
            .try_fill_bytes(&mut nonce)
            .and_then(|()| OsRng.try_fill_bytes(&mut entropy))
            .map_err(|e| EncryptError::Random(e.to_string()))?;
        let identity =
            quire_tpke::Identity::derive(chain_id, self.epoch, signer.as_bytes(), sequence, &nonce);
        let sealed = quire_tpke::seal(&self.group_key, &identity, &bytes, entropy)
            .map_err(|e| EncryptError::Seal(e.to_string()))?;
        Ok(SubmitEncrypted {
            epoch: self.epoch,
            nonce,
            ibe_ciphertext: sealed.ibe.to_bytes(),
            body: sealed.body,
        })
    }
}
