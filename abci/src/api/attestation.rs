//! Attestations: what ties a block's namespace commitment to consensus — the
//! commitment tx with its data-hash proof (from the store) and the signed
//! header and validator sets (from this node's CometBFT RPC).

use super::ApiError;
use quire_proto::sequencer::v1 as pb;
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;
use tendermint::block::Height;
use tendermint_proto::Protobuf;
use tendermint_rpc::{Client, HttpClient, Paging};

/// How many heights' consensus data are cached (streams and ranges re-read
/// recent heights).
const CACHE_HEIGHTS: usize = 512;

/// Consensus data of one height, protobuf-encoded.
#[derive(Clone)]
struct ConsensusData {
    signed_header: Vec<u8>,
    validator_set: Vec<u8>,
    next_validator_set: Vec<u8>,
}

/// Fetches and caches consensus data from CometBFT.
pub struct AttestationSource {
    rpc: HttpClient,
    url: String,
    cache: Mutex<BTreeMap<u64, ConsensusData>>,
}

impl AttestationSource {
    /// A source reading CometBFT's RPC at `url`.
    pub fn new(url: &str, timeout: Duration) -> Result<Self, ApiError> {
        let rpc = crate::cometbft::rpc_client(url, timeout).map_err(ApiError::InvalidArgument)?;
        Ok(AttestationSource {
            rpc,
            url: url.to_string(),
            cache: Mutex::new(BTreeMap::new()),
        })
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
        if let Some(hit) = self
            .cache
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&height)
        {
            return Ok(hit.clone());
        }
        let unavailable = |what: &str, e: &dyn std::fmt::Display| {
            ApiError::Unavailable(format!("{what} of height {height} from {}: {e}", self.url))
        };
        let at = Height::try_from(height).map_err(|e| ApiError::InvalidArgument(e.to_string()))?;
        let next =
            Height::try_from(height + 1).map_err(|e| ApiError::InvalidArgument(e.to_string()))?;
        let commit = self
            .rpc
            .commit(at)
            .await
            .map_err(|e| unavailable("commit", &e))?;
        let validators = self
            .rpc
            .validators(at, Paging::All)
            .await
            .map_err(|e| unavailable("validators", &e))?;
        let next_validators = self
            .rpc
            .validators(next, Paging::All)
            .await
            .map_err(|e| unavailable("next validators", &e))?;
        let set = |v: Vec<tendermint::validator::Info>| {
            Protobuf::<tendermint_proto::v0_38::types::ValidatorSet>::encode_vec(
                tendermint::validator::Set::without_proposer(v),
            )
        };
        let data = ConsensusData {
            signed_header: Protobuf::<tendermint_proto::v0_38::types::SignedHeader>::encode_vec(
                commit.signed_header,
            ),
            validator_set: set(validators.validators),
            next_validator_set: set(next_validators.validators),
        };
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        cache.insert(height, data.clone());
        while cache.len() > CACHE_HEIGHTS {
            cache.pop_first();
        }
        Ok(data)
    }
}
