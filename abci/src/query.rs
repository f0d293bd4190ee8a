//! ABCI Query paths served by quired (through CometBFT's `abci_query`):
//!
//! | path | answer (protobuf, package `quire.blob.v1`) |
//! |---|---|
//! | `/account/{bech32 address}` | `QueryAccountResponse` |
//! | `/params` | `QueryParamsResponse` |
//! | `/blobs/{height}/{namespace: 64 hex digits}` | `QueryBlobsResponse` (empty list if none) |
//! | `/namespace/{height}/{namespace: 64 hex digits}` | `quire.sequencer.v1.NamespaceData`: blobs, namespace proof, commitment tx and its data-hash proof (the signed header comes from CometBFT's `/commit`) |
//!
//! Answers are always from the last committed state; the `height` field of the
//! request is not supported for state (no historical state is kept) and is
//! ignored. Blobs are kept for every committed height.

use prost::Message;
use quire_app::auth::state::AuthRead;
use quire_app::chain::ChainRead;
use quire_app::StateRead;
use quire_core::proto::Protobuf;
use quire_core::{Address, Namespace};
use quire_proto::blob::v1::{
    IndexedBlob, QueryAccountResponse, QueryBlobsResponse, QueryParamsResponse,
};
use quire_store::Store;
use thiserror::Error;

/// A query that cannot be answered, with its ABCI code (codespace `quire`).
#[derive(Debug, Error)]
pub enum QueryError {
    /// No such path.
    #[error("unknown query path {0:?}; known: /account/{{address}}, /params, /blobs/{{height}}/{{namespace hex}}, /namespace/{{height}}/{{namespace hex}}")]
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
            QueryError::UnknownPath(_) => 30,
            QueryError::BadArgument(_) => 31,
            QueryError::NotFound(_) => 32,
            QueryError::HeightNotCommitted { .. } => 33,
            QueryError::Internal(_) => 1,
        }
    }
}

/// Answers `path` against committed `state` (at `height`) and the blob index.
pub fn answer(
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
        _ => Err(QueryError::UnknownPath(path.to_string())),
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
