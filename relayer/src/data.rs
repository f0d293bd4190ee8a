//! The opt-in data mode (docs/l1.md, "Data on L1"): Quire's blocks posted
//! as EIP-4844 blobs, each run of anchored heights once per poster, every
//! transaction recorded by the anchor's `recordBatchData(from, to)`.
//!
//! Stateless like the checkpoints: what this poster has posted is read back
//! from the anchor's `BatchDataRecorded` events (a run is complete once a
//! transaction of it has fewer than six blobs, see `quire_core::l1::data`),
//! and the next run starts after it. A run interrupted by a crash is posted
//! again whole. It pays from its own account: geth keeps an account's blob
//! transactions apart from its others, so one account cannot do both.

use crate::anchor::QuireAnchor;
use crate::metrics::Metrics;
use crate::relay::{l1_error, RelayError, RelayerConfig};
use crate::sender::{Bump, Sender};
use alloy_eips::eip4844::Blob;
use alloy_eips::eip7594::{BlobTransactionSidecarEip7594, BlobTransactionSidecarVariant};
use alloy_network::{TransactionBuilder, TransactionBuilder4844};
use alloy_primitives::{Address, B256};
use alloy_provider::{DynProvider, Provider};
use alloy_rpc_types_eth::{Filter, TransactionRequest};
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::{SolCall, SolEvent};
use quire_client::read::ReadClient;
use quire_core::l1::data::{Run, RunBlob, RunHeight, MAX_BLOBS_PER_TX};
use quire_core::l1::L1Address;
use quire_core::proto::{blob_signer, hash32};
use quire_core::Namespace;
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// How much one run may hold.
#[derive(Debug, Clone)]
pub struct DataConfig {
    /// Most heights per run.
    pub max_heights: u64,
    /// Most blob bytes per run, before compression (a run holds at least
    /// one height, however large).
    pub max_bytes: usize,
    /// Fewest anchored heights to wait for before posting a run (each
    /// blob transaction pays for whole blobs, data or not).
    pub min_heights: u64,
    /// The L1 block to search the anchor's events from (its deployment).
    pub from_block: u64,
}

impl Default for DataConfig {
    fn default() -> Self {
        DataConfig {
            max_heights: 256,
            // About five blobs of incompressible data: one transaction.
            max_bytes: 600_000,
            min_heights: 32,
            from_block: 0,
        }
    }
}

/// What one data round did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DataRound {
    /// Every anchored height is posted (up to `posted`, 0: none yet).
    Idle {
        /// The last height this poster has posted.
        posted: u64,
    },
    /// A run was posted.
    Posted(PostedRun),
}

/// A run this poster posted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostedRun {
    /// First height.
    pub from: u64,
    /// Last height.
    pub to: u64,
    /// The anchored history size the run is proven in.
    pub history_size: u64,
    /// Transactions sent (one per part).
    pub transactions: usize,
    /// Blobs in them.
    pub blobs: usize,
    /// The run's blob data (Quire's blobs), uncompressed.
    pub data_bytes: usize,
    /// Execution gas used.
    pub gas_used: u64,
    /// Blob gas used.
    pub blob_gas_used: u64,
    /// The last transaction.
    pub tx: B256,
}

impl PostedRun {
    fn log(&self) {
        let (from, to, blobs) = (self.from, self.to, self.blobs);
        tracing::info!(
            from,
            to,
            history_size = self.history_size,
            transactions = self.transactions,
            blobs,
            data_bytes = self.data_bytes,
            gas_used = self.gas_used,
            blob_gas_used = self.blob_gas_used,
            tx = %self.tx,
            "posted heights {from}..={to} as {blobs} blobs"
        );
    }
}

/// Posts Quire's anchored heights as blobs.
pub struct DataPoster {
    read: ReadClient,
    provider: DynProvider,
    from: Address,
    anchor: Address,
    chain_id: u64,
    initial_height: u64,
    relay: RelayerConfig,
    config: DataConfig,
    metrics: Arc<Metrics>,
}

impl DataPoster {
    /// Connects to the read API at `quire_api` and the L1 at `l1_url`; pays
    /// from `signer`, which must not be the checkpoint relayer's account.
    pub async fn connect(
        quire_api: &str,
        l1_url: &str,
        anchor: L1Address,
        signer: PrivateKeySigner,
        relay: RelayerConfig,
        config: DataConfig,
        metrics: Arc<Metrics>,
    ) -> Result<Self, RelayError> {
        let (read, info, from, provider) =
            crate::relay::endpoints(quire_api, l1_url, signer).await?;
        let poster = DataPoster {
            read,
            provider,
            from,
            anchor: crate::anchor::address(&anchor),
            chain_id: info.l1_chain_id,
            initial_height: info.initial_height,
            relay,
            config,
            metrics,
        };
        let initial = poster.view(QuireAnchor::initialHeightCall {}, None).await?;
        if initial != info.initial_height {
            return Err(RelayError::Mismatch(format!(
                "the contract at {anchor} is not this Quire chain's anchor (initial height {initial}, the chain's {})",
                info.initial_height
            )));
        }
        Ok(poster)
    }

    /// The account that pays for the blobs.
    pub fn from(&self) -> Address {
        self.from
    }

    async fn view<C: SolCall>(&self, call: C, block: Option<u64>) -> Result<C::Return, RelayError> {
        crate::relay::view(&self.provider, self.anchor, call, block).await
    }

    /// The last height of the last complete run this poster recorded (0:
    /// none), from the anchor's events.
    pub async fn posted_height(&self) -> Result<u64, RelayError> {
        let filter = Filter::new()
            .address(self.anchor)
            .event_signature(QuireAnchor::BatchDataRecorded::SIGNATURE_HASH)
            .topic1(self.from.into_word())
            .from_block(self.config.from_block);
        let logs = self.provider.get_logs(&filter).await.map_err(l1_error)?;
        let mut posted = 0u64;
        for log in &logs {
            let event = QuireAnchor::BatchDataRecorded::decode_log(&log.inner).map_err(l1_error)?;
            if event.count < alloy_primitives::U256::from(MAX_BLOBS_PER_TX) {
                posted = posted.max(event.toHeight);
            }
        }
        Ok(posted)
    }

    /// The run `from..` of the history of `size` heights, read from the
    /// node (at most `max_heights` heights and `max_bytes` of blobs).
    pub async fn read_run(&self, from: u64, last: u64, size: u64) -> Result<Run, RelayError> {
        let mut heights = Vec::new();
        let mut bytes = 0usize;
        let mut edges = (Vec::new(), Vec::new());
        let mut height = from;
        while height <= last && (heights.len() as u64) < self.config.max_heights {
            let proof = self.read.history_proof(height, size).await?;
            let block = self.read.block(height).await?;
            let mut blobs = Vec::new();
            for namespace in &block.namespaces {
                let id = Namespace::new(hash32("namespace", &namespace.namespace).map_err(bad)?);
                for blob in &namespace.blobs {
                    blobs.push(RunBlob {
                        namespace: id,
                        signer: blob_signer(blob).map_err(bad)?,
                        data: blob.data.to_vec(),
                    });
                }
            }
            let size_here: usize = blobs.iter().map(|b| b.data.len()).sum();
            if !heights.is_empty() && bytes + size_here > self.config.max_bytes {
                break;
            }
            bytes += size_here;
            let aunts = proof
                .proof
                .as_ref()
                .map(|p| {
                    p.aunts
                        .iter()
                        .map(|a| hash32("aunt", a))
                        .collect::<Result<Vec<_>, _>>()
                })
                .transpose()
                .map_err(bad)?
                .unwrap_or_default();
            if heights.is_empty() {
                edges.0 = aunts.clone();
            }
            edges.1 = aunts;
            heights.push(RunHeight {
                block_hash: hash32("block hash", &proof.block_hash).map_err(bad)?,
                blobs,
            });
            height += 1;
        }
        Ok(Run {
            history_size: size,
            first_height: from,
            heights,
            first_aunts: edges.0,
            last_aunts: edges.1,
        })
    }

    /// One round: post the next run of anchored heights, if any.
    pub async fn round(&self) -> Result<DataRound, RelayError> {
        let head = self.view(QuireAnchor::latestCall {}, None).await?;
        if head.isFrozen {
            return Err(RelayError::Frozen);
        }
        let posted = self.posted_height().await?;
        self.metrics.data_height.store(posted, Ordering::Relaxed);
        let size = head.historySize;
        let next = posted.saturating_add(1).max(self.initial_height);
        // One past the newest anchored height (saturating: L1 answers are
        // input like any other).
        let end = self.initial_height.saturating_add(size);
        if size == 0 || next >= end {
            return Ok(DataRound::Idle { posted });
        }
        let last = end - 1;
        if end - next < self.config.min_heights {
            return Ok(DataRound::Idle { posted });
        }
        let run = self.read_run(next, last, size).await?;
        // Checked before paying: a node that lies costs nothing.
        let root = self
            .view(QuireAnchor::historyRootCall { size }, None)
            .await?;
        run.verify(self.initial_height, &root.0)
            .map_err(|e| RelayError::Mismatch(format!("the node's data for {next}..: {e}")))?;
        let to = run.last_height();
        let data_bytes: usize = run
            .heights
            .iter()
            .flat_map(|h| &h.blobs)
            .map(|b| b.data.len())
            .sum();
        let parts = run
            .pack()
            .map_err(|e| RelayError::Mismatch(format!("cannot pack {next}..={to}: {e}")))?;
        let sender = Sender {
            provider: &self.provider,
            from: self.from,
            chain_id: self.chain_id,
            config: &self.relay,
            metrics: &self.metrics,
        };
        let (mut gas_used, mut blob_gas_used, mut blobs, mut tx) = (0u64, 0u64, 0usize, B256::ZERO);
        for part in &parts {
            // Cell proofs take a while: off the async threads, so the
            // checkpoints (same task) and the metrics are not held up.
            let part_blobs = part.clone();
            let sidecar = tokio::task::spawn_blocking(move || sidecar(&part_blobs))
                .await
                .map_err(|e| RelayError::Mismatch(format!("KZG task: {e}")))??;
            let mut request = TransactionRequest::default()
                .with_from(self.from)
                .with_to(self.anchor)
                .with_input(
                    QuireAnchor::recordBatchDataCall {
                        fromHeight: next,
                        toHeight: to,
                    }
                    .abi_encode(),
                );
            request.set_blob_sidecar(BlobTransactionSidecarVariant::Eip7594(sidecar));
            let receipt = sender.send(request, Bump::Blob).await?;
            if !receipt.status() {
                self.metrics.reverted.fetch_add(1, Ordering::Relaxed);
                return Err(RelayError::Reverted {
                    height: to,
                    tx: receipt.transaction_hash,
                });
            }
            gas_used += receipt.gas_used;
            blob_gas_used += receipt.blob_gas_used.unwrap_or(0);
            blobs += part.len();
            tx = receipt.transaction_hash;
            let wei = u128::from(receipt.gas_used)
                .saturating_mul(receipt.effective_gas_price)
                .saturating_add(
                    u128::from(receipt.blob_gas_used.unwrap_or(0))
                        .saturating_mul(receipt.blob_gas_price.unwrap_or(0)),
                );
            self.metrics
                .data_wei_paid
                .fetch_add(wei.min(u128::from(u64::MAX)) as u64, Ordering::Relaxed);
        }
        let m = &self.metrics;
        m.data_height.store(to, Ordering::Relaxed);
        m.data_bytes.fetch_add(data_bytes as u64, Ordering::Relaxed);
        m.data_blobs.fetch_add(blobs as u64, Ordering::Relaxed);
        m.data_gas_used.fetch_add(gas_used, Ordering::Relaxed);
        m.data_blob_gas_used
            .fetch_add(blob_gas_used, Ordering::Relaxed);
        Ok(DataRound::Posted(PostedRun {
            from: next,
            to,
            history_size: size,
            transactions: parts.len(),
            blobs,
            data_bytes,
            gas_used,
            blob_gas_used,
            tx,
        }))
    }
}

impl DataPoster {
    /// Runs rounds until an unrecoverable error or, with `once`, until
    /// every anchored height is posted. Transient errors are logged and
    /// retried after a pause.
    pub async fn run(&self, once: bool) -> Result<(), RelayError> {
        loop {
            match self.round().await {
                Ok(DataRound::Posted(run)) => run.log(),
                Ok(DataRound::Idle { posted }) => {
                    tracing::debug!(posted, "data caught up");
                    if once {
                        return Ok(());
                    }
                    tokio::time::sleep(self.relay.poll).await;
                }
                Err(e @ RelayError::Frozen) => return Err(e),
                Err(e) => {
                    tracing::warn!(error = %e, "data round failed; retrying");
                    tokio::time::sleep(self.relay.poll.max(std::time::Duration::from_secs(1)))
                        .await;
                }
            }
        }
    }
}

/// A malformed field from the read API.
fn bad(e: impl std::fmt::Display) -> RelayError {
    RelayError::Mismatch(format!("the read API sent {e}"))
}

/// The EIP-7594 sidecar of one part's blobs: KZG commitments and cell
/// proofs (what geth accepts since Osaka).
pub fn sidecar(blobs: &[Vec<u8>]) -> Result<BlobTransactionSidecarEip7594, RelayError> {
    let blobs = blobs
        .iter()
        .map(|b| Blob::try_from(b.as_slice()).map_err(|_| bad("a blob of the wrong size")))
        .collect::<Result<Vec<_>, _>>()?;
    BlobTransactionSidecarEip7594::try_from_blobs(blobs)
        .map_err(|e| RelayError::Mismatch(format!("KZG: {e}")))
}
