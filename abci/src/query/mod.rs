//! ABCI Query paths served by quired (through CometBFT's `abci_query`):
//!
//! | path | answer (protobuf, package `quire.blob.v1`) |
//! |---|---|
//! | `/account/{bech32 address}` | `QueryAccountResponse` |
//! | `/params` | `QueryParamsResponse` |
//! | `/blobs/{height}/{namespace: 64 hex digits}` | `QueryBlobsResponse` (empty list if none) |
//! | `/namespace/{height}/{namespace: 64 hex digits}` | `quire.sequencer.v1.NamespaceData`: blobs, namespace proof, commitment tx and its data-hash proof (the signed header comes from CometBFT's `/commit`) |
//! | `/staking/...` | the Cosmos SDK's staking responses ([`staking`]) |
//! | `/l1/info` | `quire.sequencer.v1.L1Info`: the L1 domain (not found: the chain is not anchored) |
//! | `/encryption/info` | `quire.sequencer.v1.EncryptionInfo`: blind ordering's epoch key and rules (not found: no encryption) |
//! | `/encryption/revealed/{height}` | `quire.sequencer.v1.RevealRecord`: what the reveal at that height resolved |
//!
//! Answers are always from the last committed state: no historical state is
//! kept. With `prove = true`, `/account`, `/params`, `/l1/info`, `/staking/...`
//! and `/encryption/...` answers carry a state
//! proof (one `ProofOp` of type `quire/jmt/v1` per state entry the answer is
//! made of, also for an account that does not exist) that verifies against
//! the app hash in the header of the next height; a `prove` query must ask
//! for height 0 or the last committed height. Blobs are kept for every
//! committed height (their proofs are the namespace proofs of `/namespace`).

pub mod staking;

use prost::Message;
use quire_app::auth::state::AuthRead;
use quire_app::chain::ChainRead;
use quire_app::StateRead;
use quire_core::codes::query as codes;
use quire_core::proto::Protobuf;
use quire_core::{Address, Namespace};
use quire_proto::blob::v1::{
    IndexedBlob, QueryAccountResponse, QueryBlobsResponse, QueryParamsResponse,
};
use quire_store::Store;
use thiserror::Error;

/// A query that cannot be answered, with its ABCI code (codespace `quire`).
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum QueryError {
    /// No such path.
    #[error("unknown query path {0:?}; known: /account/{{address}}, /params, /blobs/{{height}}/{{namespace hex}}, /namespace/{{height}}/{{namespace hex}}, /staking/validators, /staking/validator/{{valoper}}, /staking/delegation/{{delegator}}/{{valoper}}, /staking/delegations/{{delegator}}, /staking/unbonding/{{delegator}}/{{valoper}}, /staking/pool, /l1/info, /encryption/info, /encryption/revealed/{{height}}")]
    UnknownPath(String),
    /// A malformed argument.
    #[error("bad query argument: {0}")]
    BadArgument(String),
    /// The thing asked for does not exist.
    #[error("{0}")]
    NotFound(String),
    /// The height is above the last committed height.
    #[error("height {requested} is not committed yet (last committed height is {last})")]
    HeightNotCommitted {
        /// Asked for.
        requested: u64,
        /// Last committed.
        last: u64,
    },
    /// Storage failed.
    #[error("internal error: {0}")]
    Internal(String),
}

impl QueryError {
    /// ABCI code; distinct from the tx codes in `quire_app::TxError`.
    pub fn code(&self) -> u32 {
        match self {
            QueryError::UnknownPath(_) => codes::UNKNOWN_PATH,
            QueryError::BadArgument(_) => codes::BAD_ARGUMENT,
            QueryError::NotFound(_) => codes::NOT_FOUND,
            QueryError::HeightNotCommitted { .. } => codes::HEIGHT_NOT_COMMITTED,
            QueryError::Internal(_) => codes::INTERNAL,
        }
    }
}

/// A query's answer, and the state entries it is made of (what a proof of
/// it must cover).
#[derive(Debug)]
pub struct Answer {
    /// The encoded response, or why there is none.
    pub result: Result<Vec<u8>, QueryError>,
    /// The state keys read to make it, in order (empty for blob queries).
    pub keys: Vec<Vec<u8>>,
}

/// Answers `path` against committed `state` (at `height`) and the blob index.
pub fn answer(path: &str, height: u64, state: &dyn StateRead, store: &Store) -> Answer {
    let keys = state_keys(path);
    Answer {
        result: value(path, height, state, store),
        keys,
    }
}

/// The state keys the answer to `path` is made of.
fn state_keys(path: &str) -> Vec<Vec<u8>> {
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match parts.as_slice() {
        ["account", address] => match address.parse::<Address>() {
            Ok(address) => vec![quire_core::account::account_key(&address)],
            Err(_) => Vec::new(),
        },
        ["params"] => vec![quire_app::chain::keys::PARAMS.to_vec()],
        ["l1", "info"] => vec![quire_app::l1::keys::CONFIG.to_vec()],
        ["encryption", "info"] => crate::api::encryption::info_keys(),
        ["encryption", "revealed", at] => match at.parse::<u64>() {
            Ok(at) => vec![quire_core::encryption::record::revealed_key(at)],
            Err(_) => Vec::new(),
        },
        ["staking", rest @ ..] => staking::state_keys(rest),
        _ => Vec::new(),
    }
}

fn value(
    path: &str,
    height: u64,
    state: &dyn StateRead,
    store: &Store,
) -> Result<Vec<u8>, QueryError> {
    let internal = |e: &dyn std::fmt::Display| QueryError::Internal(e.to_string());
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match parts.as_slice() {
        ["account", address] => {
            let address: Address = address
                .parse()
                .map_err(|e| QueryError::BadArgument(format!("{e}")))?;
            let account = state
                .account(&address)
                .map_err(|e| internal(&e))?
                .ok_or_else(|| QueryError::NotFound(format!("account {address} not found")))?;
            Ok(QueryAccountResponse {
                address: address.to_bech32(),
                balance: account.balance.to_string(),
                account_number: account.account_number,
                sequence: account.sequence,
            }
            .encode_to_vec())
        }
        ["params"] => {
            let params = state.params().map_err(|e| internal(&e))?;
            Ok(QueryParamsResponse {
                params: Some(params.to_raw()),
            }
            .encode_to_vec())
        }
        ["blobs", at, namespace] => {
            let (at, namespace) = height_and_namespace(at, namespace, height)?;
            let blobs = store.blobs(at, &namespace).map_err(|e| internal(&e))?;
            Ok(QueryBlobsResponse {
                height: at,
                namespace: namespace.as_bytes().to_vec(),
                blobs: blobs
                    .into_iter()
                    .map(|b| IndexedBlob {
                        signer: b.signer.to_bech32(),
                        tx_hash: b.tx_hash.to_vec(),
                        tx_index: b.tx_index,
                        msg_index: b.msg_index,
                        data: b.data,
                    })
                    .collect(),
            }
            .encode_to_vec())
        }
        ["namespace", at, namespace] => {
            let (at, namespace) = height_and_namespace(at, namespace, height)?;
            let data = crate::api::proven_namespace(store, at, namespace).map_err(|e| match e {
                crate::api::ApiError::NotFound(h) => QueryError::NotFound(format!(
                    "height {h} has no namespace commitment on this node"
                )),
                other => QueryError::Internal(other.to_string()),
            })?;
            Ok(data.encode_to_vec())
        }
        ["staking", rest @ ..] => staking::answer(rest, state),
        ["l1", "info"] => match crate::api::l1::info(state, height) {
            Ok(info) => Ok(info.encode_to_vec()),
            Err(crate::api::ApiError::NotAnchored) => Err(QueryError::NotFound(
                "this chain is not anchored on an L1".into(),
            )),
            Err(e) => Err(internal(&e)),
        },
        ["encryption", "info"] => crate::api::encryption::info(state, height)
            .map(|info| info.encode_to_vec())
            .map_err(|e| api_error(e, height)),
        ["encryption", "revealed", at] => {
            let at: u64 = at.parse().map_err(|_| {
                QueryError::BadArgument(format!("height {at:?} is not a non-negative integer"))
            })?;
            crate::api::encryption::reveal_record(state, height, at)
                .map(|record| record.encode_to_vec())
                .map_err(|e| api_error(e, height))
        }
        _ => Err(QueryError::UnknownPath(path.to_string())),
    }
}

/// A read-API error as a query error at last committed height `committed`.
fn api_error(e: crate::api::ApiError, committed: u64) -> QueryError {
    use crate::api::ApiError;
    match e {
        ApiError::NoEncryption | ApiError::NotAnchored | ApiError::NotFound(_) => {
            QueryError::NotFound(e.to_string())
        }
        ApiError::NotYetAvailable { requested, .. } => QueryError::HeightNotCommitted {
            requested,
            last: committed,
        },
        ApiError::InvalidArgument(m) => QueryError::BadArgument(m),
        other => QueryError::Internal(other.to_string()),
    }
}

/// Parses `{height}/{namespace}` path parts; the height must be committed.
fn height_and_namespace(
    at: &str,
    namespace: &str,
    committed: u64,
) -> Result<(u64, Namespace), QueryError> {
    let at: u64 = at.parse().map_err(|_| {
        QueryError::BadArgument(format!("height {at:?} is not a non-negative integer"))
    })?;
    let namespace: Namespace = namespace
        .parse()
        .map_err(|e| QueryError::BadArgument(format!("{e}")))?;
    if at > committed {
        return Err(QueryError::HeightNotCommitted {
            requested: at,
            last: committed,
        });
    }
    Ok((at, namespace))
}
