//! Verifying what a read-API server sends, trusting only a validator set.
//!
//! For a [`NamespaceData`](pb::NamespaceData) at height H the checks are:
//! 1. the signed header of H is signed by enough of the validators the client
//!    trusts (CometBFT light-client rules via
//!    `tendermint-light-client-verifier`; the trust follows validator-set
//!    changes from one verified height to the next);
//! 2. the commitment tx is in the header's `data_hash` at index 0;
//! 3. the commitment is for height H;
//! 4. the namespace proof shows the blobs are all of the namespace's blobs at
//!    H, in order, unaltered — or that it has none.
//!
//! A blob's `tx_hash`, `tx_index` and `msg_index` are informational: the
//! commitment covers each blob's signer and data.

use quire_core::commitment::NamespaceProof;
use quire_core::commitment::{NamespaceCommitment, ProofError};
use quire_core::merkle::InclusionProof;
use quire_core::merkle::{self, MerkleError};
use quire_core::proto::{blob_signer, Protobuf as _, WireError};
use quire_core::state_proof::{StateProof, StateProofError};
use quire_core::{Address, Namespace};
use quire_proto::sequencer::v1 as pb;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::time::Duration;
use tendermint::block::signed_header::SignedHeader;
use tendermint::chain::Id as ChainId;
use tendermint::validator::Set as ValidatorSet;
use tendermint::Time;
use tendermint_light_client_verifier::options::Options;
use tendermint_light_client_verifier::types::{
    TrustThreshold, TrustedBlockState, UntrustedBlockState,
};
use tendermint_light_client_verifier::{ProdVerifier, Verdict, Verifier as _};
use tendermint_proto::Protobuf;
use thiserror::Error;

/// How many verified header hashes are remembered (to re-check old heights).
const REMEMBERED_HEADERS: usize = 100_000;

/// Why data failed verification.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// The message is malformed.
    #[error(transparent)]
    Wire(#[from] WireError),
    /// The response has no attestation.
    #[error("no attestation in the response")]
    NoAttestation,
    /// The consensus data does not decode.
    #[error("bad {0}: {1}")]
    Consensus(&'static str, String),
    /// The response is about another height or namespace than asked.
    #[error("response is for {what} {got}, asked for {expected}")]
    WrongTarget {
        /// "height" or "namespace".
        what: &'static str,
        /// Asked for.
        expected: String,
        /// Got.
        got: String,
    },
    /// The header is not from the trusted chain.
    #[error("header is for chain {got}, trusted chain is {expected}")]
    WrongChain {
        /// Trusted chain.
        expected: String,
        /// Header's chain.
        got: String,
    },
    /// Not enough trusted voting power signed, or the commit is invalid.
    #[error("the signed header of height {height} does not verify: {reason}")]
    Commit {
        /// Height.
        height: u64,
        /// The light-client verdict.
        reason: String,
    },
    /// Too little of the trusted validators' power signed a far header
    /// (under 1/3): verify heights in between first (bisection does).
    #[error("height {height} is too far from the trusted height {anchor}: {reason}")]
    NotEnoughTrust {
        /// Height.
        height: u64,
        /// Anchor height.
        anchor: u64,
        /// The tally.
        reason: String,
    },
    /// The height is at or below the trust anchor and was not verified before.
    #[error("height {height} is not above the trust anchor ({anchor}) and was not verified before; verify from an older trust anchor")]
    BelowAnchor {
        /// Asked for.
        height: u64,
        /// Anchor height.
        anchor: u64,
    },
    /// The header differs from the one verified earlier at this height.
    #[error("header of height {0} differs from the one verified before")]
    ConflictingHeader(u64),
    /// The commitment tx is not in the header's data hash.
    #[error("commitment tx is not in the block's data hash: {0}")]
    DataHash(String),
    /// The commitment does not decode or is for another height.
    #[error("bad commitment: {0}")]
    Commitment(String),
    /// The namespace proof fails.
    #[error("namespace proof fails: {0}")]
    Proof(#[from] ProofError),
    /// A state proof fails.
    #[error("state proof fails: {0}")]
    State(#[from] StateProofError),
    /// The header has no usable app hash.
    #[error("header of height {0} has no 32-byte app hash")]
    AppHash(u64),
}

/// Verified blobs of one namespace at one height.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedNamespace {
    /// Height.
    pub height: u64,
    /// Namespace.
    pub namespace: Namespace,
    /// The block's time.
    pub time: Time,
    /// The blobs, complete and in block order (empty when absent).
    pub blobs: Vec<(Address, Vec<u8>)>,
}

/// The last verified (or initially trusted) point.
#[derive(Debug, Clone)]
struct Anchor {
    height: u64,
    time: Time,
    next_validators: ValidatorSet,
}

/// Verifies read-API responses of one chain, starting from a trusted
/// validator set and moving its trust forward with every verified height.
pub struct Verifier {
    chain_id: ChainId,
    anchor: Anchor,
    verified: BTreeMap<u64, tendermint::Hash>,
    options: Options,
}

impl Verifier {
    /// Trusts the validators of a CometBFT genesis file (JSON text). The chain
    /// must be younger than the trusting period: 14 days, or two thirds of
    /// the chain's unbonding time (`app_state.staking.params`) if that is
    /// shorter — trust in a validator set is only safe while its stake can
    /// still be slashed.
    pub fn from_genesis_json(json: &str) -> Result<Self, VerifyError> {
        check_validator_keys(json)?;
        let genesis: tendermint::Genesis<serde_json::Value> = serde_json::from_str(json)
            .map_err(|e| VerifyError::Consensus("genesis", e.to_string()))?;
        let initial = genesis.initial_height.max(1) as u64;
        // Block `initial` carries the genesis time itself; the light-client
        // rules want the trusted time strictly earlier.
        let time = (genesis.genesis_time - Duration::from_nanos(1))
            .map_err(|e| VerifyError::Consensus("genesis time", e.to_string()))?;
        let unbonding = genesis.app_state["staking"]["params"]["unbonding_time_secs"]
            .as_u64()
            .map(Duration::from_secs);
        let verifier = Self::from_trusted(
            genesis.chain_id,
            initial - 1,
            time,
            ValidatorSet::without_proposer(genesis.validators),
        );
        Ok(match unbonding {
            Some(unbonding) => {
                let period = verifier.options.trusting_period.min(unbonding * 2 / 3);
                verifier.with_trusting_period(period)
            }
            None => verifier,
        })
    }

    /// How long a trusted validator set stays trusted.
    pub fn trusting_period(&self) -> Duration {
        self.options.trusting_period
    }

    /// Trusts `next_validators` to sign height `height + 1`, as of a header at
    /// `height` with time `time` that the caller trusts.
    pub fn from_trusted(
        chain_id: ChainId,
        height: u64,
        time: Time,
        next_validators: ValidatorSet,
    ) -> Self {
        Verifier {
            chain_id,
            anchor: Anchor {
                height,
                time,
                next_validators,
            },
            verified: BTreeMap::new(),
            options: Options {
                trust_threshold: TrustThreshold::ONE_THIRD,
                trusting_period: Duration::from_secs(14 * 24 * 3600),
                clock_drift: Duration::from_secs(10),
            },
        }
    }

    /// Sets how long a trusted validator set stays trusted. Keep it shorter
    /// than the chain's unbonding time (docs/read-api.md).
    pub fn with_trusting_period(mut self, period: Duration) -> Self {
        self.options.trusting_period = period;
        self
    }

    /// The height the verifier trusts up to.
    pub fn trusted_height(&self) -> u64 {
        self.anchor.height
    }

    /// Verifies `data` as the blobs of `namespace` at `height`.
    pub fn verify(
        &mut self,
        data: &pb::NamespaceData,
        height: u64,
        namespace: &Namespace,
    ) -> Result<VerifiedNamespace, VerifyError> {
        if data.height != height {
            return Err(VerifyError::WrongTarget {
                what: "height",
                expected: height.to_string(),
                got: data.height.to_string(),
            });
        }
        if data.namespace != namespace.as_bytes() {
            return Err(VerifyError::WrongTarget {
                what: "namespace",
                expected: namespace.to_hex(),
                got: hex::encode(&data.namespace),
            });
        }
        let attestation = data
            .attestation
            .as_ref()
            .ok_or(VerifyError::NoAttestation)?;
        let header = self.verify_header(attestation, height)?;
        let commitment = verify_commitment(attestation, &header, height)?;
        let proof = NamespaceProof::try_from_raw(data.proof.as_ref().ok_or(WireError {
            field: "proof",
            reason: "missing".into(),
        })?)?;
        let blobs = data
            .blobs
            .iter()
            .map(|b| Ok((blob_signer(b)?, b.data.as_slice())))
            .collect::<Result<Vec<(Address, &[u8])>, WireError>>()?;
        proof.verify(&commitment, namespace, &blobs)?;
        Ok(VerifiedNamespace {
            height,
            namespace: *namespace,
            time: header.header.time,
            blobs: blobs.into_iter().map(|(s, d)| (s, d.to_vec())).collect(),
        })
    }

    /// Verifies a light block (an attestation's signed header and validator
    /// sets, e.g. from the read API's `GetLightBlock`) of `height` and moves
    /// the trust anchor to it. An adjacent height must be signed by the
    /// trusted next validators; a farther one by validators holding at least
    /// 1/3 of the trusted power (else [`VerifyError::NotEnoughTrust`]: verify
    /// a height in between first).
    pub fn verify_light_block(
        &mut self,
        light_block: &pb::Attestation,
        height: u64,
    ) -> Result<(), VerifyError> {
        self.verify_header(light_block, height).map(|_| ())
    }

    /// Verifies the light block of `height` (moving the anchor to it, see
    /// [`Verifier::verify_light_block`]) and that `txs` are exactly its
    /// block's transactions: their Merkle root (leaves sha256 of each tx,
    /// as CometBFT's) is the signed header's `data_hash`.
    pub fn verify_block_txs(
        &mut self,
        light_block: &pb::Attestation,
        height: u64,
        txs: &[Vec<u8>],
    ) -> Result<(), VerifyError> {
        let header = self.verify_header(light_block, height)?;
        let leaves: Vec<[u8; 32]> = txs
            .iter()
            .map(|tx| merkle::leaf_hash(&Sha256::digest(tx)))
            .collect();
        let root = merkle::root_from_leaf_hashes(&leaves);
        let signed = header.header.data_hash.map(|h| h.as_bytes().to_vec());
        if signed.as_deref() != Some(root.as_slice()) {
            return Err(VerifyError::DataHash(format!(
                "the {} transactions given are not the block's (root {}, header {})",
                txs.len(),
                hex::encode(root),
                signed.map(hex::encode).unwrap_or_else(|| "none".into())
            )));
        }
        Ok(())
    }

    /// Checks state proofs of the state after block `height`: the signed
    /// header of `height + 1` in `next_header` (signed header and validator
    /// sets, as in an attestation) must verify against the trusted
    /// validators, and every proof against the app hash it carries. Moves the
    /// trust anchor to `height + 1`.
    pub fn verify_state(
        &mut self,
        next_header: &pb::Attestation,
        height: u64,
        proofs: &[StateProof],
    ) -> Result<(), VerifyError> {
        if proofs.is_empty() {
            return Err(VerifyError::State(StateProofError::Invalid(
                "no proof given".into(),
            )));
        }
        let next = height.checked_add(1).ok_or(VerifyError::AppHash(height))?;
        let header = self.verify_header(next_header, next)?;
        let app_hash: [u8; 32] = header
            .header
            .app_hash
            .as_bytes()
            .try_into()
            .map_err(|_| VerifyError::AppHash(next))?;
        for proof in proofs {
            proof.verify(&app_hash)?;
        }
        Ok(())
    }

    /// Checks the signed header of `height` against the trusted validators and
    /// moves the trust anchor to it.
    fn verify_header(
        &mut self,
        attestation: &pb::Attestation,
        height: u64,
    ) -> Result<SignedHeader, VerifyError> {
        let signed_header = <SignedHeader as Protobuf<
            tendermint_proto::v0_38::types::SignedHeader,
        >>::decode_vec(&attestation.signed_header)
        .map_err(|e| VerifyError::Consensus("signed header", e.to_string()))?;
        let decode_set = |bytes: &[u8], what| {
            <ValidatorSet as Protobuf<tendermint_proto::v0_38::types::ValidatorSet>>::decode_vec(
                bytes,
            )
            .map_err(|e| VerifyError::Consensus(what, e.to_string()))
        };
        let validators = decode_set(&attestation.validator_set, "validator set")?;
        let next_validators = decode_set(&attestation.next_validator_set, "next validator set")?;
        let header = &signed_header.header;
        if header.height.value() != height {
            return Err(VerifyError::WrongTarget {
                what: "header height",
                expected: height.to_string(),
                got: header.height.to_string(),
            });
        }
        if header.chain_id != self.chain_id {
            return Err(VerifyError::WrongChain {
                expected: self.chain_id.to_string(),
                got: header.chain_id.to_string(),
            });
        }
        if height <= self.anchor.height {
            return match self.verified.get(&height) {
                Some(hash) if *hash == header.hash() => Ok(signed_header),
                Some(_) => Err(VerifyError::ConflictingHeader(height)),
                None => Err(VerifyError::BelowAnchor {
                    height,
                    anchor: self.anchor.height,
                }),
            };
        }
        let untrusted = UntrustedBlockState {
            signed_header: &signed_header,
            validators: &validators,
            next_validators: Some(&next_validators),
        };
        let trusted = TrustedBlockState {
            chain_id: &self.chain_id,
            header_time: self.anchor.time,
            height: tendermint::block::Height::try_from(self.anchor.height)
                .map_err(|e| VerifyError::Consensus("anchor height", e.to_string()))?,
            next_validators: &self.anchor.next_validators,
            next_validators_hash: self.anchor.next_validators.hash(),
        };
        match ProdVerifier::default().verify_update_header(
            untrusted,
            trusted,
            &self.options,
            Time::now(),
        ) {
            Verdict::Success => {}
            Verdict::NotEnoughTrust(tally) => {
                return Err(VerifyError::NotEnoughTrust {
                    height,
                    anchor: self.anchor.height,
                    reason: format!("not enough trusted voting power signed: {tally}"),
                })
            }
            Verdict::Invalid(detail) => {
                return Err(VerifyError::Commit {
                    height,
                    reason: detail.to_string(),
                })
            }
        }
        self.anchor = Anchor {
            height,
            time: header.time,
            next_validators,
        };
        self.verified.insert(height, header.hash());
        while self.verified.len() > REMEMBERED_HEADERS {
            self.verified.pop_first();
        }
        Ok(signed_header)
    }
}

/// Checks every `validators[i].pub_key.value` is base64 of 32 bytes before
/// tendermint-rs parses the file: its base64 decoder (subtle-encoding 0.5)
/// panics on some malformed padding (found by the `genesis` fuzz target).
fn check_validator_keys(json: &str) -> Result<(), VerifyError> {
    use base64::Engine;
    let bad = |reason: String| VerifyError::Consensus("genesis", reason);
    let value: serde_json::Value = serde_json::from_str(json).map_err(|e| bad(e.to_string()))?;
    let validators = value
        .get("validators")
        .and_then(|v| v.as_array())
        .cloned()
        .unwrap_or_default();
    for (i, validator) in validators.iter().enumerate() {
        let key = validator
            .pointer("/pub_key/value")
            .and_then(|k| k.as_str())
            .ok_or_else(|| bad(format!("validators[{i}].pub_key.value is missing")))?;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(key)
            .map_err(|e| bad(format!("validators[{i}].pub_key.value is not base64: {e}")))?;
        if bytes.len() != 32 {
            return Err(bad(format!(
                "validators[{i}].pub_key.value is {} bytes, not 32",
                bytes.len()
            )));
        }
    }
    Ok(())
}

/// Header → data_hash → commitment tx → commitment of `height`.
fn verify_commitment(
    attestation: &pb::Attestation,
    signed_header: &SignedHeader,
    height: u64,
) -> Result<NamespaceCommitment, VerifyError> {
    let proof = InclusionProof::try_from_raw(attestation.commitment_tx_proof.as_ref().ok_or(
        WireError {
            field: "commitment_tx_proof",
            reason: "missing".into(),
        },
    )?)?;
    if proof.index != 0 {
        return Err(VerifyError::DataHash(format!(
            "commitment must be tx 0, proof is for tx {}",
            proof.index
        )));
    }
    let data_hash = signed_header
        .header
        .data_hash
        .ok_or_else(|| VerifyError::DataHash("block has no transactions".into()))?;
    let root: [u8; 32] = data_hash
        .as_bytes()
        .try_into()
        .map_err(|_| VerifyError::DataHash("data hash is not 32 bytes".into()))?;
    let leaf = merkle::leaf_hash(&Sha256::digest(&attestation.commitment_tx));
    proof
        .verify(&root, &leaf)
        .map_err(|e: MerkleError| VerifyError::DataHash(e.to_string()))?;
    let commitment = NamespaceCommitment::decode(&attestation.commitment_tx)
        .map_err(|e| VerifyError::Commitment(e.to_string()))?;
    if commitment.height != height {
        return Err(VerifyError::Commitment(format!(
            "commitment is for height {}, not {height}",
            commitment.height
        )));
    }
    Ok(commitment)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_genesis_keys_are_errors_not_panics() {
        // Reproducers from fuzz/artifacts-found/genesis: bad base64 padding
        // made tendermint-rs's decoder panic.
        for key in [
            "=AAA",
            "60iw=",
            "qmhaGx4yJ5X8Y5vxTu0K9N1mZ0cQ0wXlc2D9sMG0iw==",
        ] {
            let json = format!(
                r#"{{"validators":[{{"pub_key":{{"type":"tendermint/PubKeyEd25519","value":"{key}"}}}}]}}"#
            );
            assert!(matches!(
                Verifier::from_genesis_json(&json),
                Err(VerifyError::Consensus("genesis", _))
            ));
        }
        assert!(Verifier::from_genesis_json("{not json").is_err());
    }

    #[test]
    fn trust_in_genesis_lapses_before_its_stake_unbonds() {
        let genesis = |app_state: &str| {
            format!(
                r#"{{"genesis_time":"2026-01-01T00:00:00Z","chain_id":"c","initial_height":"1",
                "consensus_params":{{"block":{{"max_bytes":"22020096","max_gas":"-1"}},
                "evidence":{{"max_age_num_blocks":"100000","max_age_duration":"172800000000000","max_bytes":"1048576"}},
                "validator":{{"pub_key_types":["ed25519"]}},"version":{{"app":"0"}}}},
                "validators":[{{"address":"0E652F1C85348C542D94B518B360DF75B27AB41B",
                "pub_key":{{"type":"tendermint/PubKeyEd25519","value":"cSCNOue0A+AHPCHOmyh3eDza/HCHPdd1Bxdjfqs6nB4="}},
                "power":"10","name":""}}],"app_hash":"","app_state":{app_state}}}"#
            )
        };
        let days = |d: u64| Duration::from_secs(d * 24 * 3600);
        let default = Verifier::from_genesis_json(&genesis("{}")).unwrap();
        assert_eq!(default.trusting_period(), days(14));
        let short = Verifier::from_genesis_json(&genesis(
            r#"{"staking":{"params":{"unbonding_time_secs":30}}}"#,
        ))
        .unwrap();
        assert_eq!(short.trusting_period(), Duration::from_secs(20));
        let long = Verifier::from_genesis_json(&genesis(
            r#"{"staking":{"params":{"unbonding_time_secs":31536000}}}"#,
        ))
        .unwrap();
        assert_eq!(long.trusting_period(), days(14));
    }
}
