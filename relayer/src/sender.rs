//! One transaction until it is mined: sent at the account's confirmed
//! nonce (a stuck transaction of an earlier run at that nonce is replaced,
//! not queued behind), and replaced with higher fees each time it stays
//! unmined for `replace_after`.

use crate::metrics::Metrics;
use crate::relay::{l1_error, RelayError, RelayerConfig};
use alloy_network::{TransactionBuilder, TransactionBuilder4844};
use alloy_primitives::{Address, B256};
use alloy_provider::{DynProvider, Provider};
use alloy_rpc_types_eth::{TransactionReceipt, TransactionRequest};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

/// geth's replacement rule: fees at least 10 % higher, and for a blob
/// transaction every fee cap (blob fee included) at least 100 % higher.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Bump {
    /// A plain transaction: fees 25 % higher per replacement.
    Plain,
    /// A blob transaction: every fee doubled per replacement.
    Blob,
}

impl Bump {
    fn raise(self, fee: u128) -> u128 {
        match self {
            Bump::Plain => fee + fee / 4 + 1,
            Bump::Blob => fee.saturating_mul(2).saturating_add(1),
        }
    }
}

/// Who sends, where, and how patiently.
pub(crate) struct Sender<'a> {
    /// The L1, with the paying account's wallet.
    pub provider: &'a DynProvider,
    /// The paying account.
    pub from: Address,
    /// The L1's chain id.
    pub chain_id: u64,
    /// Replacement timing.
    pub config: &'a RelayerConfig,
    /// Replacements are counted here.
    pub metrics: &'a Metrics,
}

impl Sender<'_> {
    /// Sends `tx` (every field but nonce, chain, gas and fees set; for a
    /// blob transaction, its sidecar too) until one transaction at its
    /// nonce is mined, and returns that receipt.
    pub async fn send(
        &self,
        tx: TransactionRequest,
        bump: Bump,
    ) -> Result<TransactionReceipt, RelayError> {
        // Estimated without the sidecar: geth needs only the hashes, and
        // the blobs would make a request of up to 1.5 MB of JSON.
        let mut estimate = tx.clone();
        estimate.sidecar = None;
        let blob_fee = match bump {
            Bump::Blob => {
                let base = self.provider.get_blob_base_fee().await.map_err(l1_error)?;
                let cap = base.saturating_mul(2).max(1);
                estimate.set_max_fee_per_blob_gas(cap);
                Some(cap)
            }
            Bump::Plain => None,
        };
        let gas = self
            .provider
            .estimate_gas(estimate)
            .await
            .map_err(l1_error)?;
        let nonce = self
            .provider
            .get_transaction_count(self.from)
            .await
            .map_err(l1_error)?;
        let fees = self
            .provider
            .estimate_eip1559_fees()
            .await
            .map_err(l1_error)?;
        let mut sent: Vec<B256> = Vec::new();
        let mut attempts = 0u32;
        let (mut max_fee, mut tip) = (fees.max_fee_per_gas, fees.max_priority_fee_per_gas.max(1));
        let mut blob_fee = blob_fee;
        while attempts <= self.config.max_replacements {
            attempts += 1;
            let mut request = tx
                .clone()
                .with_nonce(nonce)
                .with_chain_id(self.chain_id)
                .with_gas_limit(gas + gas / 5 + 10_000)
                .with_max_fee_per_gas(max_fee)
                .with_max_priority_fee_per_gas(tip);
            if let Some(cap) = blob_fee {
                request.set_max_fee_per_blob_gas(cap);
            }
            match self.provider.send_transaction(request).await {
                Ok(pending) => {
                    let hash = *pending.tx_hash();
                    tracing::debug!(%hash, nonce, max_fee, tip, ?blob_fee, "sent");
                    sent.push(hash);
                }
                // An earlier transaction at this nonce pays more: outbid it.
                // Anything else (a nonce used meanwhile included) ends the
                // attempt; the next round re-derives everything.
                Err(e) if e.to_string().contains("underpriced") => {
                    tracing::info!(
                        nonce,
                        "a pending transaction at this nonce pays as much or more; raising fees"
                    );
                    // Outbid it at once: waiting would not get ours mined.
                    max_fee = bump.raise(max_fee);
                    tip = bump.raise(tip);
                    blob_fee = blob_fee.map(|cap| bump.raise(cap));
                    continue;
                }
                Err(e) => return Err(l1_error(e)),
            }
            if let Some(receipt) = self.await_receipt(&sent, nonce).await? {
                return Ok(receipt);
            }
            self.metrics.replaced.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(
                nonce,
                attempt = attempts,
                "not mined in time; replacing with higher fees"
            );
            max_fee = bump.raise(max_fee);
            tip = bump.raise(tip);
            blob_fee = blob_fee.map(|cap| bump.raise(cap));
        }
        Err(RelayError::Stuck { nonce, attempts })
    }

    /// The receipt of any of `sent` within `replace_after`, or `None`.
    async fn await_receipt(
        &self,
        sent: &[B256],
        nonce: u64,
    ) -> Result<Option<TransactionReceipt>, RelayError> {
        let deadline = Instant::now() + self.config.replace_after;
        while Instant::now() < deadline {
            if let Some(receipt) = self.any_receipt(sent).await? {
                return Ok(Some(receipt));
            }
            let confirmed = self
                .provider
                .get_transaction_count(self.from)
                .await
                .map_err(l1_error)?;
            if confirmed > nonce {
                // Mined between the two reads, or another transaction at
                // this nonce (not one of ours, e.g. a replacement by an
                // earlier run) was.
                if let Some(receipt) = self.any_receipt(sent).await? {
                    return Ok(Some(receipt));
                }
                return Err(l1_error(format!(
                    "nonce {nonce} was used by another transaction"
                )));
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        Ok(None)
    }

    /// The receipt of the first of `sent` that was mined, if any.
    async fn any_receipt(&self, sent: &[B256]) -> Result<Option<TransactionReceipt>, RelayError> {
        for hash in sent {
            if let Some(receipt) = self
                .provider
                .get_transaction_receipt(*hash)
                .await
                .map_err(l1_error)?
            {
                return Ok(Some(receipt));
            }
        }
        Ok(None)
    }
}
