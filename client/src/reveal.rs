//! Verified reads of blind ordering (docs/blind-ordering.md): the chain's
//! epoch key, proven in state (what [`crate::encrypt`] seals to), and a
//! reveal height's record, proven in state, which binds each revealed blob
//! of a namespace to the envelope it came from: its slot (the height it was
//! ordered at), its position in that block and its transaction's hash.
//!
//! Trust: the record is in the app hash every validator computed from the
//! slot's block and the reveal, so it is exactly as trusted as the blobs
//! themselves (both verified against headers signed by the trusted
//! validator set).

use crate::rpc::{ClientError, NodeClient};
use crate::verify::{VerifiedNamespace, Verifier};
use quire_core::encryption::record::{
    self, decode_record, EncryptionParams, ResolvedEnvelope, Status,
};
use quire_core::encryption::{bind_revealed, BindError, BlobOrigin};
use std::time::Duration;

/// The chain's encryption state as a state proof shows it.
#[derive(Debug, Clone)]
pub struct VerifiedEncryption {
    /// The height proven.
    pub height: u64,
    /// The rules and members.
    pub params: EncryptionParams,
    /// The epoch key, ready to seal to.
    pub key: crate::encrypt::EncryptionKey,
    /// Whether envelopes are accepted.
    pub status: Status,
}

/// The record of one reveal height as a state proof shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedRevealRecord {
    /// The reveal height R.
    pub height: u64,
    /// The height the proof is of (≥ R: records are never removed).
    pub proven_at: u64,
    /// What the reveal resolved (empty: no reveal at R).
    pub envelopes: Vec<ResolvedEnvelope>,
}

/// A blob read at a reveal height with where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoundBlob {
    /// Its signer.
    pub signer: quire_core::Address,
    /// Its data.
    pub data: Vec<u8>,
    /// The envelope that revealed it, or `None` for a plaintext blob of the
    /// block's own transactions.
    pub envelope: Option<ResolvedEnvelope>,
}

impl VerifiedRevealRecord {
    /// Binds the blobs of a verified namespace read at this record's height
    /// to their envelopes (see [`bind_revealed`]).
    pub fn bind(&self, read: &VerifiedNamespace) -> Result<Vec<BoundBlob>, BindError> {
        if read.height != self.height {
            return Err(BindError {
                namespace: read.namespace,
                reason: format!(
                    "the read is of height {}, the record of {}",
                    read.height, self.height
                ),
            });
        }
        let blobs: Vec<(quire_core::Address, &[u8])> = read
            .blobs
            .iter()
            .map(|(signer, data)| (*signer, data.as_slice()))
            .collect();
        let origins = bind_revealed(&self.envelopes, read.namespace, &blobs)?;
        Ok(read
            .blobs
            .iter()
            .zip(origins)
            .map(|((signer, data), origin)| BoundBlob {
                signer: *signer,
                data: data.clone(),
                envelope: match origin {
                    BlobOrigin::Envelope(envelope) => Some(envelope.clone()),
                    BlobOrigin::Plaintext => None,
                },
            })
            .collect())
    }
}

fn malformed(what: &'static str, e: impl std::fmt::Display) -> ClientError {
    ClientError::Malformed(what, e.to_string())
}

impl NodeClient {
    /// The chain's epoch key and rules, verified by a state proof with
    /// `verifier` (waits up to `wait` for the next two heights). `Ok(None)`:
    /// the chain has no encryption, proven absent.
    pub async fn verified_encryption(
        &self,
        verifier: &mut Verifier,
        wait: Duration,
    ) -> Result<Option<VerifiedEncryption>, ClientError> {
        let keys = [
            record::PARAMS_KEY.to_vec(),
            record::EPOCH_KEY_KEY.to_vec(),
            record::STATUS_KEY.to_vec(),
        ];
        let (height, proofs) = self
            .verified_entries("/encryption/info", &keys, verifier, wait)
            .await?;
        let [params, key, status] = <[_; 3]>::try_from(proofs)
            .map_err(|_| malformed("encryption proof", "not three proofs"))?;
        let Some(params) = params.value else {
            return Ok(None);
        };
        let params =
            EncryptionParams::decode(&params).map_err(|e| malformed("encryption params", e))?;
        let key = key
            .value
            .ok_or_else(|| malformed("encryption proof", "params without an epoch key"))?;
        let key = crate::encrypt::EncryptionKey::from_epoch_key(params.epoch, &key)
            .map_err(|e| malformed("epoch key", e))?;
        let status = status
            .value
            .map(|bytes| Status::decode(&bytes))
            .transpose()
            .map_err(|e| malformed("encryption status", e))?
            .unwrap_or_default();
        Ok(Some(VerifiedEncryption {
            height,
            params,
            key,
            status,
        }))
    }

    /// The record of the reveal at height `height`, verified by a state
    /// proof of the latest committed state with `verifier`. Waits up to
    /// `wait` for this node to have committed `height` (another node may
    /// have served the height's blobs a moment earlier) and for the next
    /// two heights.
    pub async fn verified_reveal_record(
        &self,
        height: u64,
        verifier: &mut Verifier,
        wait: Duration,
    ) -> Result<VerifiedRevealRecord, ClientError> {
        let key = record::revealed_key(height);
        let path = format!("/encryption/revealed/{height}");
        let deadline = tokio::time::Instant::now() + wait;
        let (proven_at, proofs) = loop {
            match self
                .verified_entries(&path, std::slice::from_ref(&key), verifier, wait)
                .await
            {
                Err(ClientError::Query { code, .. })
                    if code == quire_core::codes::query::HEIGHT_NOT_COMMITTED
                        && tokio::time::Instant::now() < deadline =>
                {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                other => break other?,
            }
        };
        if proven_at < height {
            return Err(malformed(
                "reveal record",
                format!("proven at {proven_at}, before the reveal height {height}"),
            ));
        }
        let envelopes = match proofs.into_iter().next().and_then(|p| p.value) {
            Some(bytes) => decode_record(&bytes).map_err(|e| malformed("reveal record", e))?,
            None => Vec::new(),
        };
        Ok(VerifiedRevealRecord {
            height,
            proven_at,
            envelopes,
        })
    }
}
