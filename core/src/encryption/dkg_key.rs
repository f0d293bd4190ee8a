//! `MsgSetDkgKey`: a validator registers (or rotates) the keys it takes
//! part in key generation with, with proof that it holds them.

use crate::msg::{check_signer, MsgError};
use crate::Address;
use cosmrs::Any;
use prost::Message;
use quire_proto::blob::v1::MsgSetDkgKey;

pub use quire_proto::blob::v1::MSG_SET_DKG_KEY_TYPE_URL;

/// Bytes of a validator's key-generation keys: ed25519 identity ‖ x25519.
pub const DKG_KEY_LEN: usize = 64;
/// Bytes of the proof of possession (an ed25519 signature).
pub const DKG_KEY_PROOF_LEN: usize = 64;

/// Register `key` as the signer's key-generation keys (`MsgSetDkgKey`).
/// The proof is checked against the chain when the message executes (the
/// cryptography is `quire-tpke`'s: `DkgSecret::prove_registration`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetDkgKey {
    /// identity (32) ‖ sealing key (32).
    pub key: [u8; DKG_KEY_LEN],
    /// The identity key's signature of the chain id and the operator.
    pub proof: [u8; DKG_KEY_PROOF_LEN],
}

impl SetDkgKey {
    /// Decodes the `Any` value of a `MsgSetDkgKey` signed by `signer`.
    pub fn decode(value: &[u8], signer: &Address) -> Result<Self, MsgError> {
        let msg = MsgSetDkgKey::decode(value).map_err(|e| MsgError::Decode {
            message: "MsgSetDkgKey",
            reason: e.to_string(),
        })?;
        check_signer(&msg.signer, signer)?;
        let key = msg.key.as_slice().try_into().map_err(|_| {
            MsgError::Invalid(format!(
                "dkg key is {} bytes, it is {DKG_KEY_LEN} (identity ‖ sealing key)",
                msg.key.len()
            ))
        })?;
        let proof = msg.proof.as_slice().try_into().map_err(|_| {
            MsgError::Invalid(format!(
                "dkg key proof is {} bytes, it is {DKG_KEY_PROOF_LEN} (an ed25519 signature)",
                msg.proof.len()
            ))
        })?;
        Ok(SetDkgKey { key, proof })
    }

    /// The `Any` form, signed by `signer`.
    pub fn to_any(&self, signer: &Address) -> Any {
        Any {
            type_url: MSG_SET_DKG_KEY_TYPE_URL.to_string(),
            value: MsgSetDkgKey {
                signer: signer.to_bech32(),
                key: self.key.to_vec(),
                proof: self.proof.to_vec(),
            }
            .encode_to_vec(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_dkg_key_round_trips_and_refuses_bad_sizes() {
        let operator = Address::new([7; 20]);
        let msg = SetDkgKey {
            key: [1; DKG_KEY_LEN],
            proof: [2; DKG_KEY_PROOF_LEN],
        };
        let any = msg.to_any(&operator);
        assert_eq!(any.type_url, MSG_SET_DKG_KEY_TYPE_URL);
        assert_eq!(SetDkgKey::decode(&any.value, &operator), Ok(msg.clone()));
        assert!(SetDkgKey::decode(&any.value, &Address::new([8; 20])).is_err());
        let mut raw = MsgSetDkgKey::decode(any.value.as_slice()).unwrap();
        raw.key.pop();
        let err = SetDkgKey::decode(&raw.encode_to_vec(), &operator).unwrap_err();
        assert!(err.to_string().contains("63 bytes"), "{err}");
        raw.key = msg.key.to_vec();
        raw.proof = vec![0; 65];
        let err = SetDkgKey::decode(&raw.encode_to_vec(), &operator).unwrap_err();
        assert!(err.to_string().contains("65 bytes"), "{err}");
    }
}
