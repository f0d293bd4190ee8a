//! `MsgSetL1Key`: a validator registers (or rotates) its L1 key, with proof
//! that it holds it; and the rules of the l1 module a transaction can break.

use super::checkpoint::Domain;
use super::key::{key_proof_digest, L1Address, L1KeyError, L1Signature, L1Signer};
use crate::codes;
use crate::msg::MsgError;
use crate::Address;
use cosmrs::Any;
use prost::Message;
use quire_proto::l1::v1::MsgSetL1Key;
use thiserror::Error;

pub use quire_proto::l1::v1::MSG_SET_L1_KEY_TYPE_URL;

/// Register `key` as the signer's L1 key (`MsgSetL1Key`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetL1Key {
    /// The new key's L1 address (never zero).
    pub key: L1Address,
    /// The key's signature of [`key_proof_digest`] for the signer (checked
    /// against the chain's domain when the message executes).
    pub proof: L1Signature,
}

impl SetL1Key {
    /// The message registering `signer`'s key for `operator` in `domain`,
    /// with its proof.
    pub fn prove(
        signer: &L1Signer,
        operator: &Address,
        domain: &Domain,
    ) -> Result<Self, L1KeyError> {
        let key = signer.address();
        let proof = signer.sign(&key_proof_digest(domain, operator.as_bytes(), &key))?;
        Ok(SetL1Key { key, proof })
    }

    /// Decodes the `Any` value of a `MsgSetL1Key` signed by `signer`.
    pub fn decode(value: &[u8], signer: &Address) -> Result<Self, MsgError> {
        let msg = MsgSetL1Key::decode(value).map_err(|e| MsgError::Decode {
            message: "MsgSetL1Key",
            reason: e.to_string(),
        })?;
        crate::msg::check_signer(&msg.signer, signer)?;
        let key: [u8; 20] = msg.key.as_slice().try_into().map_err(|_| {
            MsgError::Invalid(format!(
                "L1 key is {} bytes, an L1 address is 20",
                msg.key.len()
            ))
        })?;
        let key = L1Address(key);
        if key.is_zero() {
            return Err(MsgError::Invalid(L1KeyError::ZeroAddress.to_string()));
        }
        let proof = L1Signature::from_bytes(&msg.proof)
            .map_err(|e| MsgError::Invalid(format!("L1 key proof: {e}")))?;
        Ok(SetL1Key { key, proof })
    }

    /// The `Any` form, signed by `signer`.
    pub fn to_any(&self, signer: &Address) -> Any {
        Any {
            type_url: MSG_SET_L1_KEY_TYPE_URL.to_string(),
            value: MsgSetL1Key {
                signer: signer.to_bech32(),
                key: self.key.as_bytes().to_vec(),
                proof: self.proof.to_bytes().to_vec(),
            }
            .encode_to_vec(),
        }
    }
}

/// A transaction breaks one of the l1 module's rules (codes 70-79).
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum L1TxError {
    /// The chain has no `app_state.l1`: there is nothing to sign for.
    #[error("this chain is not anchored on an L1: it takes no L1 keys")]
    NotAnchored,
    /// The proof of possession does not verify in this chain's domain.
    #[error("the proof does not show that {key} holds this key for {operator} on this chain ({reason}); make it with `quired l1 key-proof`")]
    KeyProof {
        /// The key.
        key: L1Address,
        /// The operator it was registered for.
        operator: String,
        /// Why it does not verify.
        reason: String,
    },
    /// The key is (or was) another operator's.
    #[error("L1 key {0} is registered to another operator (L1 keys are never reused)")]
    KeyInUse(L1Address),
    /// A new validator on an anchored chain without an L1 key.
    #[error("on an anchored chain MsgCreateValidator needs a MsgSetL1Key of the same operator after it in the transaction")]
    KeyRequired,
    /// The key is already the operator's current key.
    #[error("{0} is already this validator's L1 key")]
    KeyUnchanged(L1Address),
}

impl L1TxError {
    /// The ABCI code, stable across versions.
    pub fn code(&self) -> u32 {
        match self {
            L1TxError::NotAnchored => codes::tx::L1_NOT_ANCHORED,
            L1TxError::KeyProof { .. } => codes::tx::L1_KEY_PROOF,
            L1TxError::KeyInUse(_) => codes::tx::L1_KEY_IN_USE,
            L1TxError::KeyRequired => codes::tx::L1_KEY_REQUIRED,
            L1TxError::KeyUnchanged(_) => codes::tx::L1_KEY_UNCHANGED,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_l1_key_round_trips_and_refuses_malformed_fields() {
        let operator = Address::new([7; 20]);
        let signer = L1Signer::from_secret(&[9; 32]).unwrap();
        let domain = Domain::new(1337, "quire-test");
        let msg = SetL1Key::prove(&signer, &operator, &domain).unwrap();
        super::super::key::verify_key_proof(&domain, operator.as_bytes(), &msg.key, &msg.proof)
            .unwrap();
        let any = msg.to_any(&operator);
        assert_eq!(any.type_url, MSG_SET_L1_KEY_TYPE_URL);
        assert_eq!(SetL1Key::decode(&any.value, &operator), Ok(msg.clone()));

        let other = Address::new([8; 20]);
        assert!(
            SetL1Key::decode(&any.value, &other).is_err(),
            "signer must match"
        );

        let mut raw = MsgSetL1Key::decode(any.value.as_slice()).unwrap();
        raw.key = vec![1; 19];
        let err = SetL1Key::decode(&raw.encode_to_vec(), &operator).unwrap_err();
        assert!(err.to_string().contains("19 bytes"), "{err}");
        raw.key = vec![0; 20];
        let err = SetL1Key::decode(&raw.encode_to_vec(), &operator).unwrap_err();
        assert!(err.to_string().contains("zero address"), "{err}");
        raw.key = msg.key.as_bytes().to_vec();
        raw.proof = vec![0; 64];
        let err = SetL1Key::decode(&raw.encode_to_vec(), &operator).unwrap_err();
        assert!(err.to_string().contains("65 bytes"), "{err}");
    }
}
