//! The relayer's Prometheus metrics, served as text on `/metrics`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// What the relayer has done, for `/metrics`.
#[derive(Debug, Default)]
pub struct Metrics {
    /// The anchor's newest height at the L1 head.
    pub anchored_height: AtomicU64,
    /// The anchor's newest height at the L1's finalized block.
    pub finalized_height: AtomicU64,
    /// Quire's latest attested height.
    pub attested_height: AtomicU64,
    /// How long the oldest attested height not yet anchored has waited, in
    /// milliseconds (0 when caught up).
    pub lag_millis: AtomicU64,
    /// Gas used by this relayer's mined transactions.
    pub gas_used: AtomicU64,
    /// Wei paid for it.
    pub wei_paid: AtomicU64,
    /// Checkpoints this relayer anchored.
    pub submitted: AtomicU64,
    /// Its transactions that were mined but reverted.
    pub reverted: AtomicU64,
    /// Replacements of a stuck transaction.
    pub replaced: AtomicU64,
    /// Checkpoints skipped because someone else anchored them first.
    pub skipped: AtomicU64,
    /// Data mode: the last height posted as blobs.
    pub data_height: AtomicU64,
    /// Data mode: Quire blob bytes posted (uncompressed).
    pub data_bytes: AtomicU64,
    /// Data mode: EIP-4844 blobs posted.
    pub data_blobs: AtomicU64,
    /// Data mode: execution gas used.
    pub data_gas_used: AtomicU64,
    /// Data mode: blob gas used.
    pub data_blob_gas_used: AtomicU64,
    /// Data mode: wei paid (execution and blob gas).
    pub data_wei_paid: AtomicU64,
}

impl Metrics {
    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let get = |v: &AtomicU64| v.load(Ordering::Relaxed);
        let anchored = get(&self.anchored_height);
        let attested = get(&self.attested_height);
        let mut out = String::new();
        let mut metric = |name: &str, kind: &str, help: &str, value: f64| {
            out.push_str(&format!(
                "# HELP quire_relayer_{name} {help}\n# TYPE quire_relayer_{name} {kind}\nquire_relayer_{name} {value}\n"
            ));
        };
        metric(
            "anchored_height",
            "gauge",
            "Newest Quire height anchored at the L1 head.",
            anchored as f64,
        );
        metric(
            "finalized_anchored_height",
            "gauge",
            "Newest Quire height anchored at the L1's finalized block.",
            get(&self.finalized_height) as f64,
        );
        metric(
            "attested_height",
            "gauge",
            "Latest Quire height with an attested checkpoint.",
            attested as f64,
        );
        metric(
            "lag_heights",
            "gauge",
            "Attested heights not yet anchored.",
            attested.saturating_sub(anchored) as f64,
        );
        metric(
            "lag_seconds",
            "gauge",
            "How long the oldest attested, unanchored height has waited.",
            get(&self.lag_millis) as f64 / 1000.0,
        );
        metric(
            "gas_used_total",
            "counter",
            "Gas used by this relayer's mined transactions.",
            get(&self.gas_used) as f64,
        );
        metric(
            "wei_paid_total",
            "counter",
            "Wei paid for that gas.",
            get(&self.wei_paid) as f64,
        );
        metric(
            "checkpoints_submitted_total",
            "counter",
            "Checkpoints this relayer anchored.",
            get(&self.submitted) as f64,
        );
        metric(
            "reverted_total",
            "counter",
            "Mined transactions that reverted.",
            get(&self.reverted) as f64,
        );
        metric(
            "replaced_total",
            "counter",
            "Stuck transactions replaced at the same nonce.",
            get(&self.replaced) as f64,
        );
        metric(
            "skipped_total",
            "counter",
            "Checkpoints someone else anchored first.",
            get(&self.skipped) as f64,
        );
        for (name, kind, help, value) in [
            (
                "data_posted_height",
                "gauge",
                "Data mode: the last Quire height posted as blobs.",
                &self.data_height,
            ),
            (
                "data_bytes_total",
                "counter",
                "Data mode: Quire blob bytes posted, uncompressed.",
                &self.data_bytes,
            ),
            (
                "data_blobs_total",
                "counter",
                "Data mode: EIP-4844 blobs posted.",
                &self.data_blobs,
            ),
            (
                "data_gas_used_total",
                "counter",
                "Data mode: execution gas used.",
                &self.data_gas_used,
            ),
            (
                "data_blob_gas_used_total",
                "counter",
                "Data mode: blob gas used.",
                &self.data_blob_gas_used,
            ),
            (
                "data_wei_paid_total",
                "counter",
                "Data mode: wei paid for execution and blob gas.",
                &self.data_wei_paid,
            ),
        ] {
            metric(name, kind, help, get(value) as f64);
        }
        out
    }
}

/// Serves `metrics` on `addr` (`/metrics`) until the process ends.
pub async fn serve(metrics: Arc<Metrics>, addr: std::net::SocketAddr) -> std::io::Result<()> {
    let app = axum::Router::new().route(
        "/metrics",
        axum::routing::get(move || {
            let metrics = metrics.clone();
            async move { metrics.render() }
        }),
    );
    let listener = tokio::net::TcpListener::bind(addr).await?;
    tracing::info!(%addr, "metrics listening");
    axum::serve(listener, app).await
}
