//! quired's Prometheus metrics (`quired_*`), served as OpenMetrics text on
//! `metrics_addr` (`/metrics`; docs/operators.md lists each one).
//!
//! Labels are bounded: ABCI method names, result codes (a fixed, small
//! set), read API routes as their templates (never a height, address or
//! namespace) and HTTP/gRPC statuses. One process-wide set, [`metrics`],
//! which the ABCI server, the node and the read API update; values that are
//! cheaper to read than to track (store size, mempool overlay, open
//! streams, signature cache) are read when a scrape comes.

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;
use std::sync::atomic::AtomicU64;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// A label set: (name, value) pairs.
type Labels = Vec<(&'static str, String)>;

fn labels(pairs: &[(&'static str, &str)]) -> Labels {
    pairs.iter().map(|(k, v)| (*k, v.to_string())).collect()
}

/// Latency buckets: 100 µs to ~26 s.
fn latency_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.0001, 2.0, 19))
}

/// Size buckets: 1 KiB to 64 MiB.
fn bytes_histogram() -> Histogram {
    Histogram::new(exponential_buckets(1024.0, 4.0, 9))
}

/// Count buckets: 1 to 4096.
fn count_histogram() -> Histogram {
    Histogram::new(exponential_buckets(1.0, 2.0, 13))
}

type HistogramFamily = Family<Labels, Histogram, fn() -> Histogram>;

/// Readings taken when a scrape comes.
type Refresh = Box<dyn Fn(&Metrics) + Send + Sync>;

/// Every metric quired exports.
pub struct Metrics {
    registry: Registry,
    refresh: Mutex<Option<Refresh>>,
    /// `quired_checktx_total{result, code}`: CheckTx outcomes (new txs and
    /// rechecks).
    pub checktx: Family<Labels, Counter>,
    /// `quired_tx_results_total{code}`: user txs in committed blocks, by
    /// result code.
    pub tx_results: Family<Labels, Counter>,
    /// `quired_abci_request_duration_seconds{method}`.
    pub abci_duration: HistogramFamily,
    /// `quired_process_proposal_rejections_total`.
    pub proposal_rejections: Counter,
    /// `quired_block_height`: the last committed height.
    pub block_height: Gauge,
    /// `quired_block_txs`: user txs per finalized block.
    pub block_txs: Histogram,
    /// `quired_block_blob_bytes`: blob bytes per finalized block.
    pub block_blob_bytes: Histogram,
    /// `quired_block_namespaces`: namespaces per finalized block.
    pub block_namespaces: Histogram,
    /// `quired_blobs_total`.
    pub blobs: Counter,
    /// `quired_blob_bytes_total`.
    pub blob_bytes: Counter,
    /// `quired_store_commit_duration_seconds`: Commit's atomic write.
    pub store_commit_duration: Histogram,
    /// `quired_store_size_bytes`: the redb file's size.
    pub store_size_bytes: Gauge,
    /// `quired_mempool_overlay_entries`: state writes pending in the
    /// mempool's view.
    pub mempool_overlay_entries: Gauge,
    /// `quired_sigcache_hits_total`: signatures found verified.
    pub sigcache_hits: Counter,
    /// `quired_sigcache_misses_total`: signatures verified.
    pub sigcache_misses: Counter,
    /// `quired_read_api_requests_total{transport, route, status}`.
    pub read_api_requests: Family<Labels, Counter>,
    /// `quired_read_api_request_duration_seconds{transport, route}`.
    pub read_api_duration: HistogramFamily,
    /// `quired_read_api_open_streams`.
    pub open_streams: Gauge,
    /// The read API routes seen, to bound that label (see
    /// [`MAX_ROUTES`]).
    routes: Mutex<std::collections::BTreeSet<String>>,
}

/// Most distinct read API routes labelled; any further one is counted as
/// `other` (a client can send any gRPC path).
pub const MAX_ROUTES: usize = 256;

impl Metrics {
    fn new() -> Metrics {
        let mut registry = Registry::with_prefix("quired");
        let build_info: Family<Labels, Gauge> = Family::default();
        build_info
            .get_or_create(&labels(&[("version", env!("CARGO_PKG_VERSION"))]))
            .set(1);
        registry.register("build_info", "quired's version (always 1)", build_info);
        let metrics = Metrics {
            refresh: Mutex::new(None),
            checktx: Family::default(),
            tx_results: Family::default(),
            abci_duration: Family::new_with_constructor(latency_histogram),
            proposal_rejections: Counter::default(),
            block_height: Gauge::default(),
            block_txs: count_histogram(),
            block_blob_bytes: bytes_histogram(),
            block_namespaces: count_histogram(),
            blobs: Counter::default(),
            blob_bytes: Counter::default(),
            store_commit_duration: latency_histogram(),
            store_size_bytes: Gauge::default(),
            mempool_overlay_entries: Gauge::default(),
            sigcache_hits: Counter::default(),
            sigcache_misses: Counter::default(),
            read_api_requests: Family::default(),
            read_api_duration: Family::new_with_constructor(latency_histogram),
            open_streams: Gauge::default(),
            routes: Mutex::new(std::collections::BTreeSet::new()),
            registry: Registry::default(),
        };
        let r = &mut registry;
        r.register(
            "checktx",
            "CheckTx outcomes (new txs and rechecks) by result and code",
            metrics.checktx.clone(),
        );
        r.register(
            "tx_results",
            "User txs in finalized blocks, by result code",
            metrics.tx_results.clone(),
        );
        r.register(
            "abci_request_duration_seconds",
            "Time spent in each ABCI method",
            metrics.abci_duration.clone(),
        );
        r.register(
            "process_proposal_rejections",
            "Proposals this node rejected",
            metrics.proposal_rejections.clone(),
        );
        r.register(
            "block_height",
            "Last committed height",
            metrics.block_height.clone(),
        );
        r.register(
            "block_txs",
            "User txs per finalized block",
            metrics.block_txs.clone(),
        );
        r.register(
            "block_blob_bytes",
            "Blob bytes per finalized block",
            metrics.block_blob_bytes.clone(),
        );
        r.register(
            "block_namespaces",
            "Namespaces per finalized block",
            metrics.block_namespaces.clone(),
        );
        r.register("blobs", "Blobs committed", metrics.blobs.clone());
        r.register(
            "blob_bytes",
            "Blob bytes committed",
            metrics.blob_bytes.clone(),
        );
        r.register(
            "store_commit_duration_seconds",
            "Time of Commit's atomic store write",
            metrics.store_commit_duration.clone(),
        );
        r.register(
            "store_size_bytes",
            "Size of the redb database file",
            metrics.store_size_bytes.clone(),
        );
        r.register(
            "mempool_overlay_entries",
            "State writes pending in the mempool's view of state",
            metrics.mempool_overlay_entries.clone(),
        );
        r.register(
            "sigcache_hits",
            "Signature checks skipped: the tx was verified before",
            metrics.sigcache_hits.clone(),
        );
        r.register(
            "sigcache_misses",
            "Signatures verified",
            metrics.sigcache_misses.clone(),
        );
        r.register(
            "read_api_requests",
            "Read API and Cosmos service requests by transport, route and status",
            metrics.read_api_requests.clone(),
        );
        r.register(
            "read_api_request_duration_seconds",
            "Read API and Cosmos service request latency by transport and route",
            metrics.read_api_duration.clone(),
        );
        r.register(
            "read_api_open_streams",
            "Streaming read API requests open now",
            metrics.open_streams.clone(),
        );
        Metrics {
            registry,
            ..metrics
        }
    }

    /// Readings to take at each scrape (replaces any earlier one).
    pub fn set_refresh(&self, refresh: impl Fn(&Metrics) + Send + Sync + 'static) {
        *self.refresh.lock().unwrap_or_else(|p| p.into_inner()) = Some(Box::new(refresh));
    }

    /// The OpenMetrics text of every metric, after the scrape-time readings.
    pub fn render(&self) -> String {
        if let Some(refresh) = self
            .refresh
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
        {
            refresh(self);
        }
        let mut out = String::new();
        if encode(&mut out, &self.registry).is_err() {
            out.clear();
        }
        out
    }

    /// Counts an ABCI method's time.
    pub fn observe_abci(&self, method: &'static str, elapsed: Duration) {
        self.abci_duration
            .get_or_create(&labels(&[("method", method)]))
            .observe(elapsed.as_secs_f64());
    }

    /// Counts a CheckTx outcome (`code` 0: accepted).
    pub fn observe_checktx(&self, code: u32) {
        let result = if code == 0 { "accepted" } else { "rejected" };
        self.checktx
            .get_or_create(&labels(&[("result", result), ("code", &code.to_string())]))
            .inc();
    }

    /// Counts a read API request.
    pub fn observe_read_api(
        &self,
        transport: &'static str,
        route: &str,
        status: &str,
        elapsed: Duration,
    ) {
        // A path no service has (gRPC Unimplemented) is one label, so junk
        // paths cannot take the route labels real methods need.
        let route = if transport == "grpc" && status == "12" {
            "unimplemented"
        } else {
            let mut seen = self.routes.lock().unwrap_or_else(|p| p.into_inner());
            if seen.contains(route) {
                route
            } else if seen.len() < MAX_ROUTES {
                seen.insert(route.to_string());
                route
            } else {
                "other"
            }
        };
        self.read_api_requests
            .get_or_create(&labels(&[
                ("transport", transport),
                ("route", route),
                ("status", status),
            ]))
            .inc();
        self.read_api_duration
            .get_or_create(&labels(&[("transport", transport), ("route", route)]))
            .observe(elapsed.as_secs_f64());
    }

    /// Sets a monotonic counter to `total` (for totals kept elsewhere, such
    /// as the signature cache's).
    pub fn raise_to(counter: &Counter<u64, AtomicU64>, total: u64) {
        let now = counter.get();
        if total > now {
            counter.inc_by(total - now);
        }
    }
}

/// The process's metrics.
pub fn metrics() -> &'static Metrics {
    static METRICS: OnceLock<Metrics> = OnceLock::new();
    METRICS.get_or_init(Metrics::new)
}

/// Times a scope: records the elapsed time of an ABCI method when dropped.
pub struct AbciTimer {
    method: &'static str,
    start: Instant,
}

impl AbciTimer {
    /// Starts timing `method`.
    pub fn start(method: &'static str) -> AbciTimer {
        AbciTimer {
            method,
            start: Instant::now(),
        }
    }
}

impl Drop for AbciTimer {
    fn drop(&mut self) {
        metrics().observe_abci(self.method, self.start.elapsed());
    }
}

/// A tower layer counting gRPC requests in `quired_read_api_*` (route: the
/// method path, or `unimplemented` for a path no service has; status: the
/// `grpc-status` of the response headers, which holds an error answered
/// before any message, else 0).
#[derive(Debug, Clone, Copy, Default)]
pub struct GrpcMetricsLayer;

impl<S> tower::Layer<S> for GrpcMetricsLayer {
    type Service = GrpcMetrics<S>;

    fn layer(&self, inner: S) -> GrpcMetrics<S> {
        GrpcMetrics { inner }
    }
}

/// See [`GrpcMetricsLayer`].
#[derive(Debug, Clone)]
pub struct GrpcMetrics<S> {
    inner: S,
}

impl<S, B, R> tower::Service<axum::http::Request<B>> for GrpcMetrics<S>
where
    S: tower::Service<axum::http::Request<B>, Response = axum::http::Response<R>>,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future =
        std::pin::Pin<Box<dyn std::future::Future<Output = Result<S::Response, S::Error>> + Send>>;

    fn poll_ready(
        &mut self,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: axum::http::Request<B>) -> Self::Future {
        let route = request.uri().path().to_string();
        let start = Instant::now();
        let future = self.inner.call(request);
        Box::pin(async move {
            let response = future.await;
            let status = match &response {
                Ok(r) => r
                    .headers()
                    .get("grpc-status")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("0")
                    .to_string(),
                Err(_) => "transport_error".to_string(),
            };
            metrics().observe_read_api("grpc", &route, &status, start.elapsed());
            response
        })
    }
}

/// Serves `/metrics` on `listener` until the process ends.
pub async fn serve(listener: tokio::net::TcpListener) -> std::io::Result<()> {
    let app = axum::Router::new().route(
        "/metrics",
        axum::routing::get(|| async {
            (
                [(
                    axum::http::header::CONTENT_TYPE,
                    "application/openmetrics-text; version=1.0.0; charset=utf-8",
                )],
                metrics().render(),
            )
        }),
    );
    if let Ok(addr) = listener.local_addr() {
        tracing::info!(%addr, "metrics listening");
    }
    axum::serve(listener, app).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_histograms_and_scrape_readings() {
        let m = Metrics::new();
        m.observe_checktx(0);
        m.observe_checktx(0);
        m.observe_checktx(12);
        m.observe_abci("finalize_block", Duration::from_millis(3));
        m.observe_read_api(
            "http",
            "/v1/blobs/{height}",
            "200",
            Duration::from_millis(1),
        );
        for i in 0..MAX_ROUTES + 10 {
            m.observe_read_api("grpc", &format!("/x.Y/M{i}"), "5", Duration::ZERO);
        }
        m.observe_read_api("grpc", "/junk.Service/Nothing", "12", Duration::ZERO);
        Metrics::raise_to(&m.sigcache_hits, 5);
        Metrics::raise_to(&m.sigcache_hits, 3);
        m.set_refresh(|m| {
            m.store_size_bytes.set(4096);
        });
        let text = m.render();
        for line in [
            "quired_checktx_total{result=\"accepted\",code=\"0\"} 2",
            "quired_checktx_total{result=\"rejected\",code=\"12\"} 1",
            "quired_abci_request_duration_seconds_count{method=\"finalize_block\"} 1",
            "quired_read_api_requests_total{transport=\"http\",route=\"/v1/blobs/{height}\",status=\"200\"} 1",
            "quired_sigcache_hits_total 5",
            "quired_store_size_bytes 4096",
            "quired_build_info{version=",
            "quired_read_api_requests_total{transport=\"grpc\",route=\"other\",status=\"5\"} 11",
            "quired_read_api_requests_total{transport=\"grpc\",route=\"unimplemented\",status=\"12\"} 1",
        ] {
            assert!(text.contains(line), "{line} not in\n{text}");
        }
        assert!(text.ends_with("# EOF\n"), "{text}");
    }
}
