//! Audit mode of blind ordering (docs/blind-ordering.md, "Reads"): a
//! reader re-does a reveal itself instead of trusting the validators' app
//! hash for it. From the blocks — the slot's, with each envelope, and the
//! reveal height's, with the reveal system transaction that published the
//! keys — each checked against a header signed by the trusted validators,
//! it re-derives every envelope's identity (chain, epoch, signer, sequence,
//! nonce), checks the published key against the epoch key, opens the
//! envelope with it, and compares what it finds with the reveal record:
//! the outcome and, blob by blob, the namespace and leaf. A validator
//! majority that revealed something else than the envelopes held, or
//! claimed an envelope undecryptable that opens, is caught here.

use crate::encrypt::EncryptionKey;
use crate::reveal::VerifiedRevealRecord;
use crate::rpc::{ClientError, NodeClient};
use crate::verify::{Verifier, VerifyError};
use cosmrs::proto::cosmos::crypto::secp256k1::PubKey;
use cosmrs::proto::cosmos::tx::v1beta1::{AuthInfo, TxBody, TxRaw};
use prost::Message;
use quire_core::commitment::blob_leaf_hash;
use quire_core::encryption::{
    Outcome, ResolvedEnvelope, Reveal, SlotResolution, SubmitEncrypted,
    MSG_SUBMIT_ENCRYPTED_TYPE_URL, REVEAL_TX_PREFIX,
};
use quire_core::envelope::EnvelopePayload;
use quire_core::Address;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};

/// One envelope as the audit found it (it agreed with the record).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditedEnvelope {
    /// Its slot.
    pub slot: u64,
    /// Its position in the slot's block.
    pub tx_index: u32,
    /// What became of it (the record's, reproduced).
    pub outcome: Outcome,
    /// How many blobs it revealed.
    pub blobs: usize,
}

/// A reveal height whose every envelope the audit reproduced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Audit {
    /// The reveal height.
    pub height: u64,
    /// The envelopes, in the record's order.
    pub envelopes: Vec<AuditedEnvelope>,
}

/// Why an audit did not confirm a reveal.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// The node could not be asked.
    #[error(transparent)]
    Client(#[from] ClientError),
    /// A block does not verify against the trusted headers.
    #[error("block {height}: {source}")]
    Verify {
        /// The height.
        height: u64,
        /// Why.
        source: VerifyError,
    },
    /// A block lacks what the record says it holds.
    #[error("block {height}: {reason}")]
    Block {
        /// The height.
        height: u64,
        /// What is wrong.
        reason: String,
    },
    /// The record says otherwise than the audit found: the validators'
    /// reveal is not what the envelope and its published key give.
    #[error("envelope {tx_index} of slot {slot}: {reason}")]
    Mismatch {
        /// Its slot.
        slot: u64,
        /// Its position.
        tx_index: u32,
        /// What differs.
        reason: String,
    },
}

impl NodeClient {
    /// Audits the reveal of `record` (verified with
    /// [`NodeClient::verified_reveal_record`]) with epoch `key` (the one its
    /// envelopes were sealed to). `verifier` checks the slot blocks and the
    /// reveal block against signed headers: its anchor must be below the
    /// oldest slot (e.g. a fresh one from the genesis), as it moves up.
    pub async fn audit_reveal(
        &self,
        record: &VerifiedRevealRecord,
        key: &EncryptionKey,
        verifier: &mut Verifier,
    ) -> Result<Audit, AuditError> {
        let (chain_id, _) = self.status().await?;
        let max_blob_bytes = self.params().await?.max_blob_bytes;
        let slots: BTreeSet<u64> = record.envelopes.iter().map(|e| e.slot).collect();
        let mut blocks = BTreeMap::new();
        for height in slots.iter().copied().chain([record.height]) {
            blocks.insert(height, self.verified_txs(height, verifier).await?);
        }
        let block = |height: u64| -> &[Vec<u8>] {
            blocks.get(&height).map(Vec::as_slice).unwrap_or_default()
        };
        let reveal = block(record.height)
            .iter()
            .find_map(|tx| tx.strip_prefix(REVEAL_TX_PREFIX))
            .map(Reveal::decode)
            .transpose()
            .map_err(|e| AuditError::Block {
                height: record.height,
                reason: format!("its reveal does not decode: {e}"),
            })?
            .unwrap_or(Reveal { slots: Vec::new() });
        let resolved: BTreeSet<u64> = reveal.slots.iter().map(|(slot, _)| *slot).collect();
        if resolved != slots {
            return Err(AuditError::Block {
                height: record.height,
                reason: format!(
                    "its reveal resolves slots {resolved:?}, the record lists {slots:?}"
                ),
            });
        }
        let context = Context {
            chain_id: &chain_id,
            key,
            max_blob_bytes,
        };
        let mut envelopes = Vec::with_capacity(record.envelopes.len());
        for (slot, resolution) in &reveal.slots {
            let recorded: Vec<&ResolvedEnvelope> = record
                .envelopes
                .iter()
                .filter(|e| e.slot == *slot)
                .collect();
            match resolution {
                SlotResolution::Expired => {
                    for envelope in recorded {
                        if envelope.outcome != Outcome::Expired || !envelope.blobs.is_empty() {
                            return Err(mismatch(
                                envelope,
                                "its slot expired, the record says otherwise",
                            ));
                        }
                        envelopes.push(audited(envelope));
                    }
                }
                SlotResolution::Keys(keys) => {
                    if keys.len() != recorded.len() {
                        return Err(AuditError::Block {
                            height: record.height,
                            reason: format!(
                                "{} keys for slot {slot}, the record lists {} envelopes",
                                keys.len(),
                                recorded.len()
                            ),
                        });
                    }
                    for (envelope, key) in recorded.into_iter().zip(keys) {
                        envelopes.push(context.audit(block(*slot), envelope, key)?);
                    }
                }
            }
        }
        Ok(Audit {
            height: record.height,
            envelopes,
        })
    }

    /// Block `height`'s transactions, checked against its signed header's
    /// data hash.
    async fn verified_txs(
        &self,
        height: u64,
        verifier: &mut Verifier,
    ) -> Result<Vec<Vec<u8>>, AuditError> {
        let light_block = self.consensus(height).await?;
        let at = tendermint::block::Height::try_from(height)
            .map_err(|e| ClientError::Malformed("height", e.to_string()))?;
        let block = tendermint_rpc::Client::block(self.rpc(), at)
            .await
            .map_err(|e| ClientError::Malformed("block", e.to_string()))?
            .block;
        let txs = block.data;
        verifier
            .verify_block_txs(&light_block, height, &txs)
            .map_err(|source| AuditError::Verify { height, source })?;
        Ok(txs)
    }
}

fn mismatch(envelope: &ResolvedEnvelope, reason: impl Into<String>) -> AuditError {
    AuditError::Mismatch {
        slot: envelope.slot,
        tx_index: envelope.tx_index,
        reason: reason.into(),
    }
}

fn audited(envelope: &ResolvedEnvelope) -> AuditedEnvelope {
    AuditedEnvelope {
        slot: envelope.slot,
        tx_index: envelope.tx_index,
        outcome: envelope.outcome,
        blobs: envelope.blobs.len(),
    }
}

/// What an audit of one reveal knows besides the blocks.
struct Context<'a> {
    chain_id: &'a str,
    key: &'a EncryptionKey,
    max_blob_bytes: u64,
}

impl Context<'_> {
    /// Re-does the reveal of `recorded`, found in `txs` (its slot's block),
    /// with `key_bytes` (the key the reveal published for it).
    fn audit(
        &self,
        txs: &[Vec<u8>],
        recorded: &ResolvedEnvelope,
        key_bytes: &[u8],
    ) -> Result<AuditedEnvelope, AuditError> {
        let fail = |reason: String| mismatch(recorded, reason);
        let tx = txs
            .get(recorded.tx_index as usize)
            .ok_or_else(|| fail(format!("its block has {} transactions", txs.len())))?;
        if <[u8; 32]>::from(Sha256::digest(tx)) != recorded.tx_hash {
            return Err(fail(
                "the transaction at its position has another hash".into(),
            ));
        }
        let (signer, sequence, msg) = envelope_of(tx).map_err(fail)?;
        if msg.epoch != self.key.epoch {
            return Err(fail(format!(
                "sealed to epoch {}, the audit has the key of epoch {}",
                msg.epoch, self.key.epoch
            )));
        }
        let identity = quire_tpke::Identity::derive(
            self.chain_id,
            msg.epoch,
            signer.as_bytes(),
            sequence,
            &msg.nonce,
        );
        let key = quire_tpke::DecryptionKey::from_bytes(key_bytes)
            .map_err(|e| fail(format!("its published key: {e}")))?;
        quire_tpke::verify_key(&self.key.group_key, &identity, &key).map_err(|_| {
            fail("its published key is not the epoch key's for its identity".into())
        })?;
        let (outcome, blobs) = self.open(&identity, &key, &msg);
        if outcome != recorded.outcome {
            return Err(fail(format!(
                "the audit finds it {outcome:?}, the record {:?}",
                recorded.outcome
            )));
        }
        if blobs.len() != recorded.blobs.len() {
            return Err(fail(format!(
                "it holds {} blobs, the record lists {}",
                blobs.len(),
                recorded.blobs.len()
            )));
        }
        for (i, ((namespace, data), expected)) in blobs.iter().zip(&recorded.blobs).enumerate() {
            if *namespace != expected.namespace || blob_leaf_hash(&signer, data) != expected.leaf {
                return Err(fail(format!(
                    "its blob {i} is not the one the record lists"
                )));
            }
        }
        Ok(audited(recorded))
    }

    /// What the chain's reveal must have made of the envelope (the app's
    /// rules: it opens, its payload decodes, no blob is over the limit).
    fn open(
        &self,
        identity: &quire_tpke::Identity,
        key: &quire_tpke::DecryptionKey,
        msg: &SubmitEncrypted,
    ) -> (Outcome, Vec<(quire_core::Namespace, Vec<u8>)>) {
        let Ok(ibe) = quire_tpke::IbeCiphertext::from_bytes(&msg.ibe_ciphertext) else {
            return (Outcome::Undecryptable, Vec::new());
        };
        let Ok(plain) = quire_tpke::open(key, identity, &ibe, &msg.body) else {
            return (Outcome::Undecryptable, Vec::new());
        };
        match EnvelopePayload::decode(&plain) {
            Ok(payload)
                if payload
                    .blobs
                    .iter()
                    .all(|(_, data)| data.len() as u64 <= self.max_blob_bytes) =>
            {
                (Outcome::Revealed, payload.blobs)
            }
            _ => (Outcome::Invalid, Vec::new()),
        }
    }
}

/// The signer, sequence and envelope of a committed envelope transaction.
fn envelope_of(tx: &[u8]) -> Result<(Address, u64, SubmitEncrypted), String> {
    let raw = TxRaw::decode(tx).map_err(|e| format!("not a TxRaw: {e}"))?;
    let body = TxBody::decode(raw.body_bytes.as_slice()).map_err(|e| format!("body: {e}"))?;
    let auth =
        AuthInfo::decode(raw.auth_info_bytes.as_slice()).map_err(|e| format!("auth info: {e}"))?;
    let [signer_info] = auth.signer_infos.as_slice() else {
        return Err(format!("{} signers", auth.signer_infos.len()));
    };
    let key = signer_info
        .public_key
        .as_ref()
        .map(|any| PubKey::decode(any.value.as_slice()))
        .transpose()
        .map_err(|e| format!("public key: {e}"))?
        .ok_or("no public key")?;
    let signer = Address::from_secp256k1(&key.key);
    let [any] = body.messages.as_slice() else {
        return Err(format!(
            "{} messages, an envelope travels alone",
            body.messages.len()
        ));
    };
    if any.type_url != MSG_SUBMIT_ENCRYPTED_TYPE_URL {
        return Err(format!("a {}, not an envelope", any.type_url));
    }
    let msg = SubmitEncrypted::decode(&any.value, &signer).map_err(|e| e.to_string())?;
    Ok((signer, signer_info.sequence, msg))
}

#[cfg(test)]
mod tests {
    use super::*;
    use quire_core::builder::{address_of, sign_tx, SignerContext};
    use quire_core::encryption::RevealedBlob;
    use quire_core::{Msg, Namespace};

    const CHAIN: &str = "quire-audit";

    struct Fixture {
        key: EncryptionKey,
        tx: Vec<u8>,
        published: [u8; 48],
        record: ResolvedEnvelope,
    }

    /// An envelope of two blobs sealed to a dealt epoch key, its tx, the
    /// key the validators would publish and the record they would write.
    fn fixture() -> Fixture {
        let (epoch_key, shares) = quire_tpke::deal([7; 32], 4).unwrap();
        let key = EncryptionKey::from_epoch_key(1, &epoch_key.to_bytes()).unwrap();
        let signing = cosmrs::crypto::secp256k1::SigningKey::from_slice(&[9; 32]).unwrap();
        let signer = address_of(&signing);
        let payload = EnvelopePayload {
            blobs: vec![
                (Namespace::from_rollup_name("a"), b"first".to_vec()),
                (Namespace::from_rollup_name("b"), b"second".to_vec()),
            ],
        };
        let msg = key.seal(CHAIN, &signer, 3, &payload).unwrap();
        let identity = quire_tpke::Identity::derive(CHAIN, 1, signer.as_bytes(), 3, &msg.nonce);
        let decryption: Vec<_> = shares
            .iter()
            .map(|s| quire_tpke::share(s, &identity))
            .collect();
        let published = quire_tpke::combine(&epoch_key, &decryption)
            .unwrap()
            .to_bytes();
        let context = SignerContext {
            chain_id: CHAIN.into(),
            account_number: 0,
            sequence: 3,
            fee: 1_000,
            fee_denom: "uquire".into(),
            timeout_height: 0,
            memo: String::new(),
        };
        let tx = sign_tx(&signing, &context, &[Msg::SubmitEncrypted(msg)]).unwrap();
        let record = ResolvedEnvelope {
            slot: 10,
            tx_index: 1,
            tx_hash: Sha256::digest(&tx).into(),
            outcome: Outcome::Revealed,
            first_blob: 0,
            blobs: payload
                .blobs
                .iter()
                .map(|(namespace, data)| RevealedBlob {
                    namespace: *namespace,
                    leaf: blob_leaf_hash(&signer, data),
                })
                .collect(),
        };
        Fixture {
            key,
            tx,
            published,
            record,
        }
    }

    fn audit(
        f: &Fixture,
        record: &ResolvedEnvelope,
        key: &[u8],
    ) -> Result<AuditedEnvelope, AuditError> {
        let context = Context {
            chain_id: CHAIN,
            key: &f.key,
            max_blob_bytes: 1 << 20,
        };
        context.audit(&[b"commitment".to_vec(), f.tx.clone()], record, key)
    }

    #[test]
    fn an_honest_reveal_is_reproduced() {
        let f = fixture();
        let found = audit(&f, &f.record, &f.published).unwrap();
        assert_eq!((found.outcome, found.blobs), (Outcome::Revealed, 2));
    }

    #[test]
    fn a_reveal_other_than_the_envelope_is_caught() {
        let f = fixture();
        let reason = |r: Result<AuditedEnvelope, AuditError>| r.unwrap_err().to_string();
        // Another blob in the record than the envelope holds.
        let mut swapped = f.record.clone();
        swapped.blobs[1].leaf = blob_leaf_hash(&Address::new([1; 20]), b"second");
        assert!(reason(audit(&f, &swapped, &f.published)).contains("blob 1"));
        // Called undecryptable while it opens.
        let mut hidden = f.record.clone();
        hidden.outcome = Outcome::Undecryptable;
        hidden.blobs.clear();
        assert!(reason(audit(&f, &hidden, &f.published)).contains("Revealed"));
        // A key that is not the identity's.
        let mut wrong = f.published;
        wrong[47] ^= 1;
        assert!(reason(audit(&f, &f.record, &wrong)).contains("key"));
        // Another transaction at its position.
        let mut moved = f.record.clone();
        moved.tx_index = 0;
        assert!(reason(audit(&f, &moved, &f.published)).contains("hash"));
    }
}
