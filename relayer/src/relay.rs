//! One relayer: rounds of "read the anchor, read Quire, post what is
//! missing", each derived from scratch (nothing is kept between rounds but
//! metrics).

use crate::anchor::QuireAnchor;
use crate::metrics::Metrics;
use crate::prepare::{prepare, PrepareError};
use crate::sender::{Bump, Sender};
use alloy_network::TransactionBuilder;
use alloy_primitives::{Address, B256};
use alloy_provider::{DynProvider, Provider, ProviderBuilder};
use alloy_rpc_types_eth::{BlockId, BlockNumberOrTag, TransactionRequest};
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::SolCall;
use quire_client::read::{ReadClient, ReadError};
use quire_core::l1::{Domain, L1Address};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use thiserror::Error;

/// Why a round failed.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum RelayError {
    /// The Quire node's read API failed.
    #[error("Quire read API: {0}")]
    Read(#[from] ReadError),
    /// The L1 node failed or refused.
    #[error("L1 RPC: {0}")]
    L1(String),
    /// The anchor and the Quire chain do not belong together.
    #[error("{0}")]
    Mismatch(String),
    /// The checkpoint from the read API does not check out.
    #[error("checkpoint refused before posting: {0}")]
    Prepare(#[from] PrepareError),
    /// The anchor is frozen: nothing more can be posted.
    #[error("the anchor is frozen (conflicting checkpoints were signed); the relayer stops")]
    Frozen,
    /// Simulating the call reverted (other than `Stale`).
    #[error("the anchor refuses checkpoint {height}: {reason}")]
    Refused {
        /// The height.
        height: u64,
        /// The decoded revert.
        reason: String,
    },
    /// The transaction was mined but reverted.
    #[error("the transaction {tx} for checkpoint {height} reverted")]
    Reverted {
        /// The height.
        height: u64,
        /// The transaction hash.
        tx: B256,
    },
    /// No transaction at the nonce was mined in time, replacements included.
    #[error("no transaction at nonce {nonce} was mined after {attempts} attempts")]
    Stuck {
        /// The nonce.
        nonce: u64,
        /// Transactions sent.
        attempts: u32,
    },
}

pub(crate) fn l1_error(e: impl std::fmt::Display) -> RelayError {
    RelayError::L1(e.to_string())
}

/// `eth_call` of the anchor's view `call` at `block` (the head if `None`).
pub(crate) async fn view<C: SolCall>(
    provider: &DynProvider,
    anchor: Address,
    call: C,
    block: Option<u64>,
) -> Result<C::Return, RelayError> {
    let tx = TransactionRequest::default()
        .with_to(anchor)
        .with_input(call.abi_encode());
    let request = provider.call(tx);
    let out = match block {
        Some(n) => request.block(BlockId::number(n)).await,
        None => request.await,
    }
    .map_err(l1_error)?;
    C::abi_decode_returns(&out).map_err(l1_error)
}

/// The read API at `quire_api` with its L1 info, and the L1 at `l1_url`
/// paying from `signer` (every field of a transaction is set by the caller:
/// the wallet only signs).
pub(crate) async fn endpoints(
    quire_api: &str,
    l1_url: &str,
    signer: PrivateKeySigner,
) -> Result<
    (
        ReadClient,
        quire_proto::sequencer::v1::L1Info,
        Address,
        DynProvider,
    ),
    RelayError,
> {
    let read = ReadClient::connect(quire_api).await?;
    let info = read.l1_info().await?;
    let from = signer.address();
    let url = l1_url
        .parse()
        .map_err(|e| RelayError::Mismatch(format!("--l1 {l1_url:?}: {e}")))?;
    let provider = ProviderBuilder::new()
        .disable_recommended_fillers()
        .wallet(signer)
        .connect_http(url)
        .erased();
    Ok((read, info, from, provider))
}

/// How the relayer behaves.
#[derive(Debug, Clone)]
pub struct RelayerConfig {
    /// Pause between rounds when caught up.
    pub poll: Duration,
    /// How long a sent transaction may stay unmined before it is replaced.
    pub replace_after: Duration,
    /// Most replacements of one transaction.
    pub max_replacements: u32,
    /// Wait, after each anchored checkpoint, until the L1 finalizes it (at
    /// most this long; zero: do not wait).
    pub finality_timeout: Duration,
}

impl Default for RelayerConfig {
    fn default() -> Self {
        RelayerConfig {
            poll: Duration::from_secs(1),
            replace_after: Duration::from_secs(30),
            max_replacements: 8,
            finality_timeout: Duration::ZERO,
        }
    }
}

/// What one round did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Round {
    /// Nothing to post: the anchor holds `anchored`, Quire's latest attested
    /// height is `attested`.
    Idle {
        /// The anchor's height.
        anchored: u64,
        /// Quire's latest attested height.
        attested: u64,
    },
    /// This relayer anchored `height`.
    Anchored {
        /// The checkpoint's height.
        height: u64,
        /// Quire's latest attested height when it was read.
        attested: u64,
        /// Gas the transaction used.
        gas_used: u64,
        /// Whether it rotated the anchor's set.
        rotated: bool,
        /// The L1 transaction.
        tx: B256,
    },
    /// Someone else anchored `height` (or a later one) first.
    Skipped {
        /// The checkpoint's height.
        height: u64,
    },
}

/// A relayer between one Quire read API and one anchor contract.
pub struct Relayer {
    read: ReadClient,
    provider: DynProvider,
    from: Address,
    anchor: Address,
    domain: Domain,
    config: RelayerConfig,
    metrics: Arc<Metrics>,
    /// The oldest attested, unanchored height and when it was first seen.
    waiting: Mutex<Option<(u64, Instant)>>,
}

impl Relayer {
    /// Connects to the read API at `quire_api` and the L1 at `l1_url`, and
    /// checks that the anchor at `anchor` is this Quire chain's (L1 chain
    /// id, salt, initial height).
    pub async fn connect(
        quire_api: &str,
        l1_url: &str,
        anchor: L1Address,
        signer: PrivateKeySigner,
        config: RelayerConfig,
        metrics: Arc<Metrics>,
    ) -> Result<Self, RelayError> {
        let (read, info, from, provider) = endpoints(quire_api, l1_url, signer).await?;
        let relayer = Relayer {
            read,
            provider,
            from,
            anchor: crate::anchor::address(&anchor),
            domain: Domain {
                l1_chain_id: info.l1_chain_id,
                salt: quire_core::proto::hash32("L1 info salt", &info.salt)
                    .map_err(|e| RelayError::Mismatch(e.to_string()))?,
            },
            config,
            metrics,
            waiting: Mutex::new(None),
        };
        let chain_id = relayer.provider.get_chain_id().await.map_err(l1_error)?;
        if chain_id != info.l1_chain_id {
            return Err(RelayError::Mismatch(format!(
                "the L1 node is chain {chain_id}, the Quire chain is anchored on chain {}",
                info.l1_chain_id
            )));
        }
        let salt = relayer.view(QuireAnchor::saltCall {}, None).await?;
        let initial = relayer
            .view(QuireAnchor::initialHeightCall {}, None)
            .await?;
        if salt.0 != relayer.domain.salt || initial != info.initial_height {
            return Err(RelayError::Mismatch(format!(
                "the contract at {anchor} is not this Quire chain's anchor (salt or initial height differ)"
            )));
        }
        Ok(relayer)
    }

    /// The account that pays.
    pub fn from(&self) -> Address {
        self.from
    }

    /// `eth_call` of a view at `block` (the head if `None`).
    async fn view<C: SolCall>(&self, call: C, block: Option<u64>) -> Result<C::Return, RelayError> {
        view(&self.provider, self.anchor, call, block).await
    }

    /// Records how long the oldest attested, unanchored height has waited.
    fn note_lag(&self, anchored: u64, attested: u64) {
        let Ok(mut waiting) = self.waiting.lock() else {
            return;
        };
        if attested <= anchored {
            *waiting = None;
        } else if waiting.is_none_or(|(h, _)| h <= anchored) {
            *waiting = Some((anchored + 1, Instant::now()));
        }
        let lag = waiting.map_or(0, |(_, since)| since.elapsed().as_millis() as u64);
        self.metrics.lag_millis.store(lag, Ordering::Relaxed);
    }

    /// One round: post the next checkpoint the anchor lacks, if any.
    pub async fn round(&self) -> Result<Round, RelayError> {
        let head = self.view(QuireAnchor::latestCall {}, None).await?;
        if head.isFrozen {
            return Err(RelayError::Frozen);
        }
        let info = self.read.l1_info().await?;
        let attested = info.latest_attested_height;
        let m = &self.metrics;
        m.anchored_height.store(head.height, Ordering::Relaxed);
        m.attested_height.store(attested, Ordering::Relaxed);
        self.note_lag(head.height, attested);
        if attested <= head.height {
            return Ok(Round::Idle {
                anchored: head.height,
                attested,
            });
        }
        let signed = self.read.checkpoint(attested, Some(head.height)).await?;
        let anchor_set = self.view(QuireAnchor::valsetHashCall {}, None).await?;
        let submission = prepare(&signed, &self.domain, anchor_set.0)?;
        let height = submission.checkpoint.height;
        let tx = TransactionRequest::default()
            .with_from(self.from)
            .with_to(self.anchor)
            .with_input(submission.call.abi_encode());
        // Simulate: never pay for a checkpoint the anchor would refuse.
        if let Err(e) = self.provider.call(tx.clone()).await {
            let decoded = e
                .as_error_resp()
                .and_then(|r| r.as_decoded_interface_error::<QuireAnchor::QuireAnchorErrors>());
            return match decoded {
                Some(QuireAnchor::QuireAnchorErrors::Stale(_)) => {
                    m.skipped.fetch_add(1, Ordering::Relaxed);
                    Ok(Round::Skipped { height })
                }
                Some(QuireAnchor::QuireAnchorErrors::AnchorFrozen(_)) => Err(RelayError::Frozen),
                Some(other) => Err(RelayError::Refused {
                    height,
                    reason: format!("{other:?}"),
                }),
                None => Err(l1_error(e)),
            };
        }
        let receipt = self.sender().send(tx, Bump::Plain).await?;
        let hash = receipt.transaction_hash;
        let gas_used = receipt.gas_used;
        m.gas_used.fetch_add(gas_used, Ordering::Relaxed);
        m.wei_paid.fetch_add(
            u128::from(gas_used)
                .saturating_mul(receipt.effective_gas_price)
                .min(u128::from(u64::MAX)) as u64,
            Ordering::Relaxed,
        );
        if !receipt.status() {
            m.reverted.fetch_add(1, Ordering::Relaxed);
            return Err(RelayError::Reverted { height, tx: hash });
        }
        m.submitted.fetch_add(1, Ordering::Relaxed);
        m.anchored_height.store(height, Ordering::Relaxed);
        self.note_lag(height, attested);
        if let (Some(block), false) = (receipt.block_number, self.config.finality_timeout.is_zero())
        {
            self.await_finality(block).await?;
        }
        Ok(Round::Anchored {
            height,
            attested,
            gas_used,
            rotated: submission.rotates,
            tx: hash,
        })
    }

    /// The sender of this relayer's account.
    fn sender(&self) -> Sender<'_> {
        Sender {
            provider: &self.provider,
            from: self.from,
            chain_id: self.domain.l1_chain_id,
            config: &self.config,
            metrics: &self.metrics,
        }
    }

    /// Waits until the L1 finalizes `block` (bounded), then records the
    /// anchor's height at the finalized block.
    async fn await_finality(&self, block: u64) -> Result<(), RelayError> {
        let deadline = Instant::now() + self.config.finality_timeout;
        loop {
            let finalized = self
                .provider
                .get_block_by_number(BlockNumberOrTag::Finalized)
                .await
                .map_err(l1_error)?
                .map_or(0, |b| b.header.number);
            if finalized >= block {
                let head = self
                    .view(QuireAnchor::latestCall {}, Some(finalized))
                    .await?;
                self.metrics
                    .finalized_height
                    .store(head.height, Ordering::Relaxed);
                return Ok(());
            }
            if Instant::now() >= deadline {
                tracing::warn!(block, finalized, "L1 block not finalized in time; going on");
                return Ok(());
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }

    /// Runs rounds until an unrecoverable error (frozen anchor, wrong
    /// chain) or, with `once`, until caught up. Transient errors are logged
    /// and retried after a pause.
    pub async fn run(&self, once: bool) -> Result<(), RelayError> {
        loop {
            match self.round().await {
                Ok(Round::Anchored {
                    height,
                    attested,
                    gas_used,
                    rotated,
                    tx,
                }) => {
                    tracing::info!(
                        height,
                        attested,
                        behind = attested.saturating_sub(height),
                        gas_used,
                        rotated,
                        %tx,
                        "anchored checkpoint {height} (Quire attested {attested})"
                    );
                }
                Ok(Round::Skipped { height }) => {
                    tracing::info!(height, "checkpoint already anchored by someone else");
                }
                Ok(Round::Idle { anchored, attested }) => {
                    tracing::debug!(anchored, attested, "caught up");
                    if once {
                        return Ok(());
                    }
                    tokio::time::sleep(self.config.poll).await;
                }
                Err(e @ (RelayError::Frozen | RelayError::Mismatch(_))) => return Err(e),
                Err(e) => {
                    tracing::warn!(error = %e, "round failed; retrying");
                    tokio::time::sleep(self.config.poll.max(Duration::from_secs(1))).await;
                }
            }
        }
    }
}
