//! Signature checks: SIGN_MODE_DIRECT over the sign doc built from the raw
//! `body_bytes` and `auth_info_bytes` (never a re-encoding), verified with
//! libsecp256k1. Which encodings are accepted is documented in the parent
//! module.

use super::{Authorization, DecodedTx};
use crate::error::{InvalidTx, TxError};
use crate::sigcache::SignatureCache;
use secp256k1::ecdsa::Signature;
use secp256k1::{Message as SecpMessage, PublicKey, Secp256k1, VerifyOnly};
use sha2::{Digest, Sha256};
use std::sync::OnceLock;

impl DecodedTx {
    /// Checks the chain id (when the body names one) and the signature over the
    /// SIGN_MODE_DIRECT sign doc for `chain_id` and `account_number`.
    pub fn verify_signature(&self, chain_id: &str, account_number: u64) -> Result<(), TxError> {
        self.verify_signature_cached(chain_id, account_number, &SignatureCache::disabled())
    }

    /// [`DecodedTx::verify_signature`], with the same result, skipping the
    /// sign-doc digest and the ECDSA verification when `sigs` holds a
    /// successful verification of this tx for `account_number` and
    /// `chain_id`; a successful verification is stored in `sigs`. The chain-id
    /// check runs either way.
    pub fn verify_signature_cached(
        &self,
        chain_id: &str,
        account_number: u64,
        sigs: &SignatureCache,
    ) -> Result<(), TxError> {
        if let Some(named) = &self.chain_id {
            if named != chain_id {
                return Err(TxError::WrongChainId {
                    expected: chain_id.to_string(),
                    got: named.clone(),
                });
            }
        }
        let signature = match self.authorization {
            Authorization::Signed(signature) => signature,
            Authorization::Simulation => return Ok(()),
        };
        if sigs.lookup(&self.hash, account_number, chain_id) {
            return Ok(());
        }
        let digest = sign_doc_digest(
            &self.body_bytes,
            &self.auth_info_bytes,
            chain_id,
            account_number,
        );
        let key = match self.point {
            Some(key) => key,
            // Decoding skipped it because a verification of this tx was
            // cached, which proves the key valid: this cannot fail.
            None => decompress(&self.public_key)?,
        };
        verify_prehash(&key, &digest, &signature).map_err(|()| TxError::BadSignature {
            chain_id: chain_id.to_string(),
            account_number,
        })?;
        sigs.insert(self.hash, account_number, chain_id);
        Ok(())
    }
}

/// The point of a 33-byte SEC1 secp256k1 public key: `02` (even y) or `03`
/// (odd y), then `x < p` with `x³ + 7` a square. SEC1's "compact" `05 ‖ x`
/// is refused (by `decode`, and by libsecp256k1 here): it would give one key
/// a second address, and the Cosmos SDK refuses it too.
pub(super) fn decompress(compressed: &[u8; 33]) -> Result<PublicKey, TxError> {
    PublicKey::from_slice(compressed).map_err(|_| TxError::Invalid(InvalidTx::PublicKeyNotOnCurve))
}

/// ECDSA verification of `signature` over the 32-byte `digest` (reduced mod
/// n), refusing high-S signatures. Deterministic; the libsecp256k1 context
/// is created once and only verifies.
pub(super) fn verify_prehash(
    key: &PublicKey,
    digest: &[u8; 32],
    signature: &Signature,
) -> Result<(), ()> {
    static VERIFIER: OnceLock<Secp256k1<VerifyOnly>> = OnceLock::new();
    let verifier = VERIFIER.get_or_init(Secp256k1::verification_only);
    let message = SecpMessage::from_slice(digest).map_err(|_| ())?;
    verifier
        .verify_ecdsa(&message, signature, key)
        .map_err(|_| ())
}

/// SHA-256 of the protobuf encoding of `SignDoc{body_bytes, auth_info_bytes,
/// chain_id, account_number}`, streamed from the raw parts without building the
/// (up to megabytes large) sign doc in memory. Proto3 rules: empty or zero
/// fields are omitted; fields in tag order.
pub(super) fn sign_doc_digest(
    body: &[u8],
    auth_info: &[u8],
    chain_id: &str,
    account_number: u64,
) -> [u8; 32] {
    use prost::encoding::{encode_key, encode_varint, WireType};
    let mut hasher = Sha256::new();
    let mut header = Vec::with_capacity(16);
    for (tag, field) in [(1u32, body), (2, auth_info), (3, chain_id.as_bytes())] {
        if field.is_empty() {
            continue;
        }
        header.clear();
        encode_key(tag, WireType::LengthDelimited, &mut header);
        encode_varint(field.len() as u64, &mut header);
        hasher.update(&header);
        hasher.update(field);
    }
    if account_number != 0 {
        header.clear();
        encode_key(4, WireType::Varint, &mut header);
        encode_varint(account_number, &mut header);
        hasher.update(&header);
    }
    hasher.finalize().into()
}
