//! Talking to a Quire node through CometBFT's RPC: broadcast transactions,
//! query accounts, params and blobs, wait for inclusion.

use crate::verify::{Verifier, VerifyError};
use prost::Message;
use quire_core::account::{account_key, Account};
use quire_core::codes::query as codes;
use quire_core::proto::Protobuf as _;
use quire_core::state_proof::{StateProof, PROOF_OP_TYPE};
use quire_core::{Address, Namespace, Params};
use quire_proto::blob::v1::{QueryAccountResponse, QueryBlobsResponse, QueryParamsResponse};
use quire_proto::sequencer::v1 as pb;
use std::time::Duration;
use tendermint::Hash;
use tendermint_proto::Protobuf;
use tendermint_rpc::{Client, HttpClient, HttpClientUrl, Paging};
use thiserror::Error;

/// A failure talking to a node.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The node URL is malformed.
    #[error("bad node URL {url:?}: {reason}")]
    BadUrl {
        /// The URL.
        url: String,
        /// Why.
        reason: String,
    },
    /// The RPC call failed (connection refused, timeout, HTTP error...).
    #[error("RPC {call} to {url} failed: {reason}")]
    Rpc {
        /// Which call.
        call: &'static str,
        /// The node.
        url: String,
        /// Why.
        reason: String,
    },
    /// The app answered a query with an error code.
    #[error("query {path} failed with code {code} ({codespace}): {log}")]
    Query {
        /// Path asked.
        path: String,
        /// ABCI code.
        code: u32,
        /// Codespace.
        codespace: String,
        /// The app's explanation.
        log: String,
    },
    /// An answer that does not decode.
    #[error("malformed answer to {0}: {1}")]
    Malformed(&'static str, String),
    /// Waiting for something took too long.
    #[error("timed out after {0:?} waiting for {1}")]
    Timeout(Duration, String),
    /// What the node sent does not verify.
    #[error(transparent)]
    Verify(#[from] VerifyError),
}

/// An account as a state proof shows it, checked against the validator set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedAccount {
    /// The height of the state the account is of.
    pub height: u64,
    /// The address.
    pub address: Address,
    /// The account, or `None`: proven not to exist.
    pub account: Option<Account>,
}

/// What CheckTx said about a broadcast transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BroadcastResult {
    /// Tx hash (hex, upper case, as CometBFT prints it).
    pub hash: String,
    /// 0 when accepted into the mempool.
    pub code: u32,
    /// Codespace of a refusal.
    pub codespace: String,
    /// The app's explanation of a refusal.
    pub log: String,
}

impl BroadcastResult {
    /// Whether the mempool accepted the transaction.
    pub fn accepted(&self) -> bool {
        self.code == 0
    }
}

/// A committed transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommittedTx {
    /// Block height.
    pub height: u64,
    /// Position in the block.
    pub index: u32,
    /// 0 on success.
    pub code: u32,
    /// Explanation of a failure.
    pub log: String,
}

/// A client for one node's CometBFT RPC.
#[derive(Clone)]
pub struct NodeClient {
    rpc: HttpClient,
    url: String,
}

impl NodeClient {
    /// A client for the node at `url` (e.g. `http://127.0.0.1:26657`), with a
    /// 30 s per-request timeout.
    pub fn new(url: &str) -> Result<Self, ClientError> {
        let bad = |reason: String| ClientError::BadUrl {
            url: url.to_string(),
            reason,
        };
        let parsed: HttpClientUrl = url
            .parse()
            .map_err(|e: tendermint_rpc::Error| bad(e.to_string()))?;
        let rpc = HttpClient::builder(parsed)
            .timeout(Duration::from_secs(30))
            .build()
            .map_err(|e| bad(e.to_string()))?;
        Ok(NodeClient {
            rpc,
            url: url.to_string(),
        })
    }

    /// The node's URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    fn rpc_error(&self, call: &'static str, e: impl std::fmt::Display) -> ClientError {
        ClientError::Rpc {
            call,
            url: self.url.clone(),
            reason: e.to_string(),
        }
    }

    /// The underlying CometBFT RPC client.
    pub fn rpc(&self) -> &HttpClient {
        &self.rpc
    }

    /// The chain id and the latest block height.
    pub async fn status(&self) -> Result<(String, u64), ClientError> {
        let status = self
            .rpc
            .status()
            .await
            .map_err(|e| self.rpc_error("status", e))?;
        Ok((
            status.node_info.network.to_string(),
            status.sync_info.latest_block_height.value(),
        ))
    }

    pub(crate) async fn query(&self, path: String) -> Result<Option<Vec<u8>>, ClientError> {
        let answer = self
            .rpc
            .abci_query(Some(path.clone()), Vec::new(), None, false)
            .await
            .map_err(|e| self.rpc_error("abci_query", e))?;
        let code = answer.code.value();
        if code == codes::NOT_FOUND {
            return Ok(None);
        }
        if code != 0 {
            return Err(ClientError::Query {
                path,
                code,
                codespace: answer.codespace,
                log: answer.log,
            });
        }
        Ok(Some(answer.value))
    }

    /// The account at `address`, or `None` if it does not exist.
    pub async fn account(
        &self,
        address: &Address,
    ) -> Result<Option<QueryAccountResponse>, ClientError> {
        match self.query(format!("/account/{address}")).await? {
            None => Ok(None),
            Some(bytes) => QueryAccountResponse::decode(bytes.as_slice())
                .map(Some)
                .map_err(|e| ClientError::Malformed("account query", e.to_string())),
        }
    }

    /// The account at `address` with a state proof, verified by `verifier`:
    /// the proof against the app hash of the next height's header, the header
    /// against the trusted validators. Waits up to `wait` for the next two
    /// heights (the header that carries the app hash, and the validator set
    /// after it). Nothing the node says is trusted but what verifies.
    pub async fn verified_account(
        &self,
        address: &Address,
        verifier: &mut Verifier,
        wait: Duration,
    ) -> Result<VerifiedAccount, ClientError> {
        let key = account_key(address);
        let (height, proofs) = self
            .verified_entries(
                &format!("/account/{address}"),
                std::slice::from_ref(&key),
                verifier,
                wait,
            )
            .await?;
        let [proof] = <[StateProof; 1]>::try_from(proofs)
            .map_err(|_| ClientError::Malformed("account proof", "not one proof".into()))?;
        let account = proof
            .value
            .as_deref()
            .map(Account::decode)
            .transpose()
            .map_err(|e| ClientError::Malformed("account record", e.to_string()))?;
        Ok(VerifiedAccount {
            height,
            address: *address,
            account,
        })
    }

    /// Asks `path` with `prove = true` and verifies its state proofs, one
    /// per key of `keys` in that order, with `verifier`: the proofs against
    /// the app hash of the next height's header, the header against the
    /// trusted validators. Waits up to `wait` for the next two heights.
    /// Returns the height proven and the proofs (each with the entry's
    /// value, or `None` for an absent entry). A path the app answers "not
    /// found" still carries its proofs of absence.
    pub async fn verified_entries(
        &self,
        path: &str,
        keys: &[Vec<u8>],
        verifier: &mut Verifier,
        wait: Duration,
    ) -> Result<(u64, Vec<StateProof>), ClientError> {
        let answer = self
            .rpc
            .abci_query(Some(path.to_string()), Vec::new(), None, true)
            .await
            .map_err(|e| self.rpc_error("abci_query", e))?;
        let code = answer.code.value();
        if code != 0 && code != codes::NOT_FOUND {
            return Err(ClientError::Query {
                path: path.to_string(),
                code,
                codespace: answer.codespace,
                log: answer.log,
            });
        }
        let ops = answer.proof.as_ref().map_or(&[][..], |p| p.ops.as_slice());
        if ops.len() != keys.len() {
            return Err(ClientError::Malformed(
                "state proof",
                format!(
                    "{path}: {} proofs for {} state entries",
                    ops.len(),
                    keys.len()
                ),
            ));
        }
        let proofs = ops
            .iter()
            .zip(keys)
            .map(|(op, key)| {
                if op.field_type != PROOF_OP_TYPE || &op.key != key {
                    return Err(ClientError::Malformed(
                        "state proof",
                        format!(
                            "{path}: a proof of another entry or kind ({})",
                            op.field_type
                        ),
                    ));
                }
                StateProof::decode_op_data(&op.key, &op.data)
                    .map_err(|e| ClientError::Malformed("state proof", e.to_string()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let height = answer.height.value();
        let next = height + 1;
        self.wait_for_height(next + 1, wait).await?;
        let header = self.consensus(next).await?;
        verifier.verify_state(&header, height, &proofs)?;
        Ok((height, proofs))
    }

    /// The signed header of `height` and the validator sets of `height` and
    /// `height + 1`, as an attestation carries them (protobuf), for a
    /// [`Verifier`].
    pub async fn consensus(&self, height: u64) -> Result<pb::Attestation, ClientError> {
        let at = |h: u64| {
            tendermint::block::Height::try_from(h)
                .map_err(|e| ClientError::Malformed("height", e.to_string()))
        };
        let commit = self
            .rpc
            .commit(at(height)?)
            .await
            .map_err(|e| self.rpc_error("commit", e))?;
        let validators = self
            .rpc
            .validators(at(height)?, Paging::All)
            .await
            .map_err(|e| self.rpc_error("validators", e))?;
        let next_validators = self
            .rpc
            .validators(at(height + 1)?, Paging::All)
            .await
            .map_err(|e| self.rpc_error("validators", e))?;
        let set = |v: Vec<tendermint::validator::Info>| {
            Protobuf::<tendermint_proto::v0_38::types::ValidatorSet>::encode_vec(
                tendermint::validator::Set::without_proposer(v),
            )
        };
        Ok(pb::Attestation {
            signed_header: Protobuf::<tendermint_proto::v0_38::types::SignedHeader>::encode_vec(
                commit.signed_header,
            ),
            validator_set: set(validators.validators),
            next_validator_set: set(next_validators.validators),
            ..Default::default()
        })
    }

    /// Blind ordering's epoch key and rules as the node says (unverified:
    /// [`NodeClient::verified_encryption`] proves them), or `None` on a
    /// chain without encryption.
    pub async fn encryption_info(&self) -> Result<Option<pb::EncryptionInfo>, ClientError> {
        match self.query("/encryption/info".into()).await? {
            None => Ok(None),
            Some(bytes) => pb::EncryptionInfo::decode(bytes.as_slice())
                .map(Some)
                .map_err(|e| ClientError::Malformed("encryption query", e.to_string())),
        }
    }

    /// The chain parameters.
    pub async fn params(&self) -> Result<Params, ClientError> {
        let bytes = self
            .query("/params".into())
            .await?
            .ok_or_else(|| ClientError::Malformed("params query", "not found".into()))?;
        let p = QueryParamsResponse::decode(bytes.as_slice())
            .map_err(|e| ClientError::Malformed("params query", e.to_string()))?
            .params
            .ok_or_else(|| ClientError::Malformed("params query", "empty".into()))?;
        Params::try_from_raw(&p).map_err(|e| ClientError::Malformed("params query", e.to_string()))
    }

    /// How the chain is anchored on its L1, or `None` if it is not.
    pub async fn l1_info(&self) -> Result<Option<pb::L1Info>, ClientError> {
        let Some(bytes) = self.query("/l1/info".into()).await? else {
            return Ok(None);
        };
        pb::L1Info::decode(bytes.as_slice())
            .map(Some)
            .map_err(|e| ClientError::Malformed("l1 info query", e.to_string()))
    }

    /// The blobs of `namespace` at `height` from the node's blob index.
    pub async fn blobs(
        &self,
        height: u64,
        namespace: &Namespace,
    ) -> Result<QueryBlobsResponse, ClientError> {
        let bytes = self
            .query(format!("/blobs/{height}/{namespace}"))
            .await?
            .unwrap_or_default();
        QueryBlobsResponse::decode(bytes.as_slice())
            .map_err(|e| ClientError::Malformed("blobs query", e.to_string()))
    }

    /// Broadcasts a signed transaction and returns CheckTx's verdict (it does
    /// not wait for a block).
    pub async fn broadcast(&self, tx: Vec<u8>) -> Result<BroadcastResult, ClientError> {
        let answer = self
            .rpc
            .broadcast_tx_sync(tx)
            .await
            .map_err(|e| self.rpc_error("broadcast_tx_sync", e))?;
        Ok(BroadcastResult {
            hash: answer.hash.to_string(),
            code: answer.code.value(),
            codespace: answer.codespace,
            log: answer.log,
        })
    }

    /// The committed transaction with `hash` (hex), if the node has indexed it.
    pub async fn committed_tx(&self, hash: &str) -> Result<Option<CommittedTx>, ClientError> {
        let hash: Hash = hash
            .parse()
            .map_err(|e: tendermint::Error| ClientError::Malformed("tx hash", e.to_string()))?;
        match self.rpc.tx(hash, false).await {
            Ok(found) => Ok(Some(CommittedTx {
                height: found.height.value(),
                index: found.index,
                code: found.tx_result.code.value(),
                log: found.tx_result.log,
            })),
            // CometBFT answers an internal error "tx (...) not found" until indexed.
            Err(e) if e.to_string().contains("not found") => Ok(None),
            Err(e) => Err(self.rpc_error("tx", e)),
        }
    }

    /// Polls until the transaction `hash` is committed, or `timeout` passes.
    pub async fn wait_for_tx(
        &self,
        hash: &str,
        timeout: Duration,
    ) -> Result<CommittedTx, ClientError> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if let Some(tx) = self.committed_tx(hash).await? {
                return Ok(tx);
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(ClientError::Timeout(
                    timeout,
                    format!("tx {hash} to be committed"),
                ));
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Polls until the chain reaches `height`, or `timeout` passes.
    pub async fn wait_for_height(
        &self,
        height: u64,
        timeout: Duration,
    ) -> Result<u64, ClientError> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if let Ok((_, latest)) = self.status().await {
                if latest >= height {
                    return Ok(latest);
                }
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(ClientError::Timeout(timeout, format!("height {height}")));
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}
