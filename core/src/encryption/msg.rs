//! `MsgSubmitEncrypted`: a blob bundle encrypted to the validators'
//! threshold key, and the errors of its rules.

use super::{AEAD_TAG_LEN, IBE_CIPHERTEXT_LEN, NONCE_LEN};
use crate::codes;
use crate::msg::{check_signer, MsgError};
use crate::Address;
use cosmrs::Any;
use prost::Message;
use quire_proto::blob::v1::MsgSubmitEncrypted;
use thiserror::Error;

pub use quire_proto::blob::v1::MSG_SUBMIT_ENCRYPTED_TYPE_URL;

/// The smallest body: a one-blob payload of one byte (1 + 2 + 32 + 4 + 1)
/// and the AEAD tag.
pub const MIN_BODY_LEN: usize = 40 + AEAD_TAG_LEN;

/// An encrypted blob bundle (`MsgSubmitEncrypted`). Its identity is
/// derived from the chain, `epoch`, the tx's signer and sequence and
/// `nonce` (`quire_tpke::Identity::derive`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubmitEncrypted {
    /// The key epoch it is encrypted to.
    pub epoch: u64,
    /// Its fresh nonce.
    pub nonce: [u8; NONCE_LEN],
    /// The IBE ciphertext of its key (checked as a group element by the app).
    pub ibe_ciphertext: [u8; IBE_CIPHERTEXT_LEN],
    /// The payload under its key, tag included.
    pub body: Vec<u8>,
}

impl SubmitEncrypted {
    /// Decodes the `Any` value of a `MsgSubmitEncrypted` signed by `signer`.
    pub fn decode(value: &[u8], signer: &Address) -> Result<Self, MsgError> {
        let msg = MsgSubmitEncrypted::decode(value).map_err(|e| MsgError::Decode {
            message: "MsgSubmitEncrypted",
            reason: e.to_string(),
        })?;
        check_signer(&msg.signer, signer)?;
        let nonce: [u8; NONCE_LEN] = msg.nonce.as_slice().try_into().map_err(|_| {
            MsgError::Invalid(format!(
                "envelope nonce must be {NONCE_LEN} bytes, got {}",
                msg.nonce.len()
            ))
        })?;
        let ibe_ciphertext: [u8; IBE_CIPHERTEXT_LEN] =
            msg.ibe_ciphertext.as_slice().try_into().map_err(|_| {
                MsgError::Invalid(format!(
                    "envelope IBE ciphertext must be {IBE_CIPHERTEXT_LEN} bytes, got {}",
                    msg.ibe_ciphertext.len()
                ))
            })?;
        if msg.body.len() < MIN_BODY_LEN {
            return Err(MsgError::Invalid(format!(
                "envelope body of {} bytes: at least {MIN_BODY_LEN} (a one-byte blob and the tag)",
                msg.body.len()
            )));
        }
        Ok(SubmitEncrypted {
            epoch: msg.epoch,
            nonce,
            ibe_ciphertext,
            body: msg.body,
        })
    }

    /// The `Any` form, signed by `signer`.
    pub fn to_any(&self, signer: &Address) -> Any {
        Any {
            type_url: MSG_SUBMIT_ENCRYPTED_TYPE_URL.to_string(),
            value: MsgSubmitEncrypted {
                signer: signer.to_bech32(),
                epoch: self.epoch,
                nonce: self.nonce.to_vec(),
                ibe_ciphertext: self.ibe_ciphertext.to_vec(),
                body: self.body.clone(),
            }
            .encode_to_vec(),
        }
    }

    /// Bytes it is charged for as blob bytes: body and ciphertext.
    pub fn charged_bytes(&self) -> u64 {
        (self.body.len() + IBE_CIPHERTEXT_LEN) as u64
    }
}

/// A rule of encrypted submission broken (ABCI codes 80-89).
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum EncryptionTxError {
    /// The chain has no encryption key.
    #[error("this chain has no encryption key (app_state.encryption): submit plaintext blobs")]
    Off,
    /// Plaintext-only mode after repeated expiries.
    #[error("encryption is inactive since height {since} ({expired} slots in a row expired): submit plaintext blobs until a new key epoch")]
    Inactive {
        /// Height it was switched off at.
        since: u64,
        /// Slots that expired in a row.
        expired: u32,
    },
    /// Another epoch than the current one.
    #[error("envelope is encrypted to key epoch {got}, the current epoch is {current}: fetch the key again (GET /v1/encryption)")]
    WrongEpoch {
        /// The epoch it names.
        got: u64,
        /// The chain's.
        current: u64,
    },
    /// Other messages beside the envelope.
    #[error("a tx with a MsgSubmitEncrypted must carry it alone, got {0} messages")]
    NotAlone(usize),
    /// The block's envelope cap is reached.
    #[error("the block already holds its {max} envelopes")]
    BlockFull {
        /// The cap.
        max: u32,
    },
    /// The IBE ciphertext is not well formed.
    #[error("envelope ciphertext is malformed: {0}")]
    Malformed(String),
    /// No epoch key yet: the validators are generating the first one.
    #[error("the validators are generating the first encryption key (round {round}): submit plaintext blobs, or retry after height {deadline}")]
    KeyGeneration {
        /// The key-generation round running.
        round: u64,
        /// The height its outcome is known at.
        deadline: u64,
    },
    /// A new epoch key is waiting for the current epoch's pending slots.
    #[error("key epoch {current} is ending: a new key is made and is installed once the envelopes already ordered are revealed; retry after a few blocks with the new key (GET /v1/encryption)")]
    EpochEnding {
        /// The ending epoch.
        current: u64,
    },
    /// Key-generation keys on a chain whose keys come from a dealer.
    #[error("this chain's encryption keys come from a dealer at genesis: it takes no key-generation keys")]
    DkgNotGenerated,
    /// The proof of possession does not verify.
    #[error("the proof does not show that this dkg key is {operator}'s on this chain ({reason}); `quired tx encryption set-dkg-key` makes it from dkg_key.json")]
    DkgKeyProof {
        /// The operator it was registered for.
        operator: String,
        /// Why it does not verify.
        reason: String,
    },
    /// The keys are (or were) another operator's.
    #[error("this dkg key is registered to another operator (dkg keys are never reused)")]
    DkgKeyInUse,
    /// A new validator without keys on a chain that generates its keys.
    #[error("this chain generates its encryption keys: MsgCreateValidator needs a MsgSetDkgKey of the same operator after it in the transaction (quired tx staking create-validator --dkg-key <home>/config/dkg_key.json)")]
    DkgKeyRequired,
    /// The keys are already the operator's.
    #[error("this dkg key is already this validator's")]
    DkgKeyUnchanged,
}

impl EncryptionTxError {
    /// The ABCI code, stable across versions.
    pub fn code(&self) -> u32 {
        match self {
            EncryptionTxError::Off => codes::tx::ENCRYPTION_OFF,
            EncryptionTxError::Inactive { .. } => codes::tx::ENCRYPTION_INACTIVE,
            EncryptionTxError::WrongEpoch { .. } => codes::tx::ENCRYPTION_WRONG_EPOCH,
            EncryptionTxError::NotAlone(_) => codes::tx::ENCRYPTION_NOT_ALONE,
            EncryptionTxError::BlockFull { .. } => codes::tx::ENCRYPTION_BLOCK_FULL,
            EncryptionTxError::Malformed(_) => codes::tx::ENCRYPTION_MALFORMED,
            EncryptionTxError::KeyGeneration { .. } => codes::tx::ENCRYPTION_KEY_GENERATION,
            EncryptionTxError::EpochEnding { .. } => codes::tx::ENCRYPTION_EPOCH_ENDING,
            EncryptionTxError::DkgNotGenerated => codes::tx::DKG_NOT_GENERATED,
            EncryptionTxError::DkgKeyProof { .. } => codes::tx::DKG_KEY_PROOF,
            EncryptionTxError::DkgKeyInUse => codes::tx::DKG_KEY_IN_USE,
            EncryptionTxError::DkgKeyRequired => codes::tx::DKG_KEY_REQUIRED,
            EncryptionTxError::DkgKeyUnchanged => codes::tx::DKG_KEY_UNCHANGED,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelopes_round_trip_and_bad_sizes_are_refused() {
        let signer = Address::new([1; 20]);
        let msg = SubmitEncrypted {
            epoch: 3,
            nonce: [4; NONCE_LEN],
            ibe_ciphertext: [5; IBE_CIPHERTEXT_LEN],
            body: vec![6; MIN_BODY_LEN],
        };
        let any = msg.to_any(&signer);
        assert_eq!(SubmitEncrypted::decode(&any.value, &signer).unwrap(), msg);
        assert!(SubmitEncrypted::decode(&any.value, &Address::new([2; 20])).is_err());
        let mut short = msg.clone();
        short.body.pop();
        assert!(SubmitEncrypted::decode(&short.to_any(&signer).value, &signer).is_err());
        let bad_nonce = MsgSubmitEncrypted {
            signer: signer.to_bech32(),
            epoch: 1,
            nonce: vec![0; 31],
            ibe_ciphertext: vec![0; IBE_CIPHERTEXT_LEN],
            body: vec![0; MIN_BODY_LEN],
        };
        assert!(SubmitEncrypted::decode(&bad_nonce.encode_to_vec(), &signer).is_err());
        let bad_ct = MsgSubmitEncrypted {
            nonce: vec![0; 32],
            ibe_ciphertext: vec![0; 159],
            ..bad_nonce
        };
        assert!(SubmitEncrypted::decode(&bad_ct.encode_to_vec(), &signer).is_err());
    }
}
