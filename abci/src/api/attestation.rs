//! Attestations: what ties a block's namespace commitment to consensus — the
//! commitment tx with its data-hash proof (from the store) and the signed
//! header and validator sets (from this node's CometBFT RPC, or, for heights
//! restored from a snapshot that CometBFT never had, from the store, as the
//! snapshot carried them).

use super::ApiError;
use quire_proto::sequencer::v1 as pb;
use quire_store::Store;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tendermint::block::Height;
use tendermint_proto::Protobuf;
use tendermint_rpc::{Client, HttpClient, Paging};

/// How many heights' consensus data are cached (streams and ranges re-read
/// recent heights).
const CACHE_HEIGHTS: usize = 512;

/// Consensus data of one height, protobuf-encoded.
#[derive(Clone, Debug, PartialEq, Eq)]
struct ConsensusData {
    signed_header: Vec<u8>,
    validator_set: Vec<u8>,
    next_validator_set: Vec<u8>,
}

impl ConsensusData {
    /// The bytes a snapshot carries and the store keeps: the three
    /// protobuf messages, each as length u32 BE ‖ bytes.
    fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(
            12 + self.signed_header.len()
                + self.validator_set.len()
                + self.next_validator_set.len(),
        );
        for part in [
            &self.signed_header,
            &self.validator_set,
            &self.next_validator_set,
        ] {
            out.extend_from_slice(&(part.len() as u32).to_be_bytes());
            out.extend_from_slice(part);
        }
        out
    }

    /// Inverse of [`encode`](Self::encode); `None` for anything else.
    fn decode(mut bytes: &[u8]) -> Option<Self> {
        let mut part = || {
            let (len, rest) = bytes.split_first_chunk::<4>()?;
            let len = u32::from_be_bytes(*len) as usize;
            let (part, rest) = (rest.get(..len)?, rest.get(len..)?);
            bytes = rest;
            Some(part.to_vec())
        };
        let data = ConsensusData {
            signed_header: part()?,
            validator_set: part()?,
            next_validator_set: part()?,
        };
        bytes.is_empty().then_some(data)
    }
}

/// Fetches and caches consensus data from CometBFT (and the store).
///
/// The newest block's commit is the one CometBFT has seen (its own +2/3 of
/// precommits, signatures that differ from node to node) until the next
/// block carries the canonical one; a seen commit is served (a height is
/// readable as soon as it is committed) and replaced by the canonical one
/// once CometBFT has it.
pub struct AttestationSource {
    rpc: HttpClient,
    url: String,
    /// By height: the data and whether its commit is canonical.
    cache: Mutex<BTreeMap<u64, (ConsensusData, bool)>>,
    /// Where attestations of heights restored from a snapshot are.
    store: Option<Arc<Store>>,
    /// Refuse a height whose commit is not canonical yet (CometBFT's own
    /// seen commit of its newest block, whose signatures differ from node
    /// to node).
    canonical_only: bool,
}

impl AttestationSource {
    /// A source reading CometBFT's RPC at `url`.
    pub fn new(url: &str, timeout: Duration) -> Result<Self, ApiError> {
        let rpc = crate::cometbft::rpc_client(url, timeout).map_err(ApiError::InvalidArgument)?;
        Ok(AttestationSource {
            rpc,
            url: url.to_string(),
            cache: Mutex::new(BTreeMap::new()),
            store: None,
            canonical_only: false,
        })
    }

    /// Only canonical commits: what every node's snapshot carries alike.
    pub fn canonical_only(mut self) -> Self {
        self.canonical_only = true;
        self
    }

    /// Also answers from `store`'s attestations of restored heights.
    pub fn with_store(mut self, store: Arc<Store>) -> Self {
        self.store = Some(store);
        self
    }

    /// The consensus data of `height` in the form a snapshot carries it
    /// (see [`quire_app::state::snapshot::IndexedHeight::attestation`]).
    pub async fn encoded(&self, height: u64) -> Result<Vec<u8>, ApiError> {
        Ok(self.consensus_data(height).await?.encode())
    }

    /// Fills the consensus part of `attestation` (signed header, validator
    /// sets) for `height`.
    pub async fn fill(
        &self,
        height: u64,
        attestation: &mut pb::Attestation,
    ) -> Result<(), ApiError> {
        let data = self.consensus_data(height).await?;
        attestation.signed_header = data.signed_header;
        attestation.validator_set = data.validator_set;
        attestation.next_validator_set = data.next_validator_set;
        Ok(())
    }

    async fn consensus_data(&self, height: u64) -> Result<ConsensusData, ApiError> {
        let cached = self
            .cache
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&height)
            .cloned();
        match cached {
            Some((data, true)) => return Ok(data),
            Some((data, false)) => return Ok(self.canonical_when_known(height, data).await),
            None => {}
        }
        if let Some(store) = &self.store {
            let stored = store
                .attestation(height)
                .map_err(|e| ApiError::Internal(e.to_string()))?;
            if let Some(bytes) = stored {
                return ConsensusData::decode(&bytes).ok_or_else(|| {
                    ApiError::Internal(format!(
                        "the stored attestation of height {height} is corrupt"
                    ))
                });
            }
        }
        let unavailable = |what: &str, e: &dyn std::fmt::Display| {
            ApiError::Unavailable(format!("{what} of height {height} from {}: {e}", self.url))
        };
        let set = |v: Vec<tendermint::validator::Info>| {
            Protobuf::<tendermint_proto::v0_38::types::ValidatorSet>::encode_vec(
                tendermint::validator::Set::without_proposer(v),
            )
        };
        let at = Height::try_from(height).map_err(|e| ApiError::InvalidArgument(e.to_string()))?;
        let next =
            Height::try_from(height + 1).map_err(|e| ApiError::InvalidArgument(e.to_string()))?;
        let commit = self
            .rpc
            .commit(at)
            .await
            .map_err(|e| unavailable("commit", &e))?;
        if self.canonical_only && !commit.canonical {
            return Err(ApiError::Unavailable(format!(
                "height {height} has no canonical commit yet (the next block is not committed)"
            )));
        }
        // The set of `height` is the next set of `height - 1`, when cached.
        let previous_next = self
            .cache
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&height.wrapping_sub(1))
            .map(|(data, _)| data.next_validator_set.clone());
        let validator_set = match previous_next {
            Some(set) => set,
            None => set(self
                .rpc
                .validators(at, Paging::All)
                .await
                .map_err(|e| unavailable("validators", &e))?
                .validators),
        };
        // CometBFT answered for the height itself; refusing the next
        // height's set means it has not stored the next block yet, which a
        // block-syncing CometBFT needs before it serves that set: the height
        // is not attestable yet (readers wait), not an outage.
        let next_validators = self.rpc.validators(next, Paging::All).await.map_err(|e| {
            tracing::debug!(height, error = %e, "next validator set not served yet");
            ApiError::NotYetAvailable {
                requested: height,
                latest: height.saturating_sub(1),
            }
        })?;
        let data = ConsensusData {
            signed_header: Protobuf::<tendermint_proto::v0_38::types::SignedHeader>::encode_vec(
                commit.signed_header,
            ),
            validator_set,
            next_validator_set: set(next_validators.validators),
        };
        self.remember(height, &data, commit.canonical);
        Ok(data)
    }

    fn remember(&self, height: u64, data: &ConsensusData, canonical: bool) {
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        // Never replace a canonical commit by a seen one (two fetches racing).
        if !canonical && cache.get(&height).is_some_and(|(_, known)| *known) {
            return;
        }
        cache.insert(height, (data.clone(), canonical));
        while cache.len() > CACHE_HEIGHTS {
            cache.pop_first();
        }
    }

    /// `seen` (a height's data with the commit CometBFT has seen) with the
    /// canonical commit once CometBFT has it; `seen` as it is until then,
    /// or when CometBFT does not answer (it is a valid attestation).
    async fn canonical_when_known(&self, height: u64, seen: ConsensusData) -> ConsensusData {
        let Ok(at) = Height::try_from(height) else {
            return seen;
        };
        match self.rpc.commit(at).await {
            Ok(commit) if commit.canonical => {
                let data = ConsensusData {
                    signed_header:
                        Protobuf::<tendermint_proto::v0_38::types::SignedHeader>::encode_vec(
                            commit.signed_header,
                        ),
                    ..seen
                };
                self.remember(height, &data, true);
                data
            }
            _ => seen,
        }
    }
}

/// Checks an attestation a snapshot gave for `height` against the height's
/// commitment tx and its proof (both already checked against the restored
/// state): the three messages decode, the header is of `height`, its data
/// hash is the root the proof gives for the commitment tx, and the two
/// validator sets hash to its `validators_hash` and `next_validators_hash`.
/// Commit signatures are not checked here: readers check them with their
/// own light client, as for any read.
pub fn check(
    height: u64,
    attestation: &[u8],
    commitment_tx: &[u8],
    tx_proof: &quire_core::merkle::InclusionProof,
) -> Result<(), String> {
    use sha2::{Digest, Sha256};
    use tendermint_proto::v0_38::types as raw;
    let data = ConsensusData::decode(attestation).ok_or("the attestation does not decode")?;
    let signed = tendermint::block::signed_header::SignedHeader::try_from(
        <raw::SignedHeader as prost::Message>::decode(data.signed_header.as_slice())
            .map_err(|e| format!("signed header: {e}"))?,
    )
    .map_err(|e| format!("signed header: {e}"))?;
    let header = &signed.header;
    if header.height.value() != height {
        return Err(format!("the header is of height {}", header.height));
    }
    let leaf = quire_core::merkle::leaf_hash(&Sha256::digest(commitment_tx));
    let root = tx_proof
        .compute_root(&leaf)
        .map_err(|e| format!("commitment tx proof: {e}"))?;
    if header.data_hash.map(|h| h.as_bytes().to_vec()) != Some(root.to_vec()) {
        return Err("the commitment tx proof does not lead to the header's data hash".into());
    }
    let set = |bytes: &[u8], what: &str| -> Result<tendermint::validator::Set, String> {
        let raw = <raw::ValidatorSet as prost::Message>::decode(bytes)
            .map_err(|e| format!("{what}: {e}"))?;
        tendermint::validator::Set::try_from(raw).map_err(|e| format!("{what}: {e}"))
    };
    if set(&data.validator_set, "validator set")?.hash() != header.validators_hash {
        return Err("the validator set is not the header's".into());
    }
    if set(&data.next_validator_set, "next validator set")?.hash() != header.next_validators_hash {
        return Err("the next validator set is not the header's".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::ConsensusData;

    #[test]
    fn consensus_data_round_trips_and_refuses_other_bytes() {
        let data = ConsensusData {
            signed_header: vec![1; 40],
            validator_set: vec![],
            next_validator_set: vec![3; 7],
        };
        let bytes = data.encode();
        assert_eq!(ConsensusData::decode(&bytes), Some(data));
        assert_eq!(ConsensusData::decode(&bytes[..bytes.len() - 1]), None);
        assert_eq!(
            ConsensusData::decode(&[bytes.as_slice(), &[0]].concat()),
            None
        );
        assert_eq!(ConsensusData::decode(&[0xff; 12]), None);
    }

    #[test]
    fn a_snapshot_attestation_that_does_not_decode_is_refused() {
        let proof = quire_core::merkle::InclusionProof {
            index: 0,
            total: 1,
            aunts: vec![],
        };
        assert!(super::check(5, b"junk", b"tx", &proof).is_err());
        let empty = ConsensusData {
            signed_header: vec![],
            validator_set: vec![],
            next_validator_set: vec![],
        }
        .encode();
        assert!(super::check(5, &empty, b"tx", &proof).is_err());
    }
}
