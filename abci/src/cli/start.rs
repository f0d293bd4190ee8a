//! `quired start`: run the ABCI application for CometBFT.

use crate::cli::HomeArg;
use crate::config::NodeConfig;
use crate::node::Node;
use anyhow::Context;
use quire_store::Store;
use std::sync::Arc;

/// Arguments of `quired start`.
#[derive(Debug, clap::Args)]
pub struct StartArgs {
    #[command(flatten)]
    home: HomeArg,
    /// Listen address for CometBFT's ABCI connections; overrides the config file.
    #[arg(long)]
    abci_addr: Option<String>,
}

impl StartArgs {
    /// Opens the store and serves ABCI until SIGINT or SIGTERM.
    pub fn run(self) -> anyhow::Result<()> {
        let home = &self.home.home;
        let config = NodeConfig::load(home)?;
        crate::logging::init(&config.log_filter, &config.log_format)?;
        crate::fault::init_from_env().map_err(|e| anyhow::anyhow!(e))?;
        crate::byzantine::init_from_env().map_err(|e| anyhow::anyhow!(e))?;
        let abci_addr = self.abci_addr.unwrap_or(config.abci_addr.clone());
        let db_path = config.resolve_db_path(home);
        if let Some(parent) = db_path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create data directory {}", parent.display()))?;
        }
        let store = Store::open(&db_path)
            .with_context(|| {
                format!(
                    "cannot open database {} (is another quired using this home?)",
                    db_path.display()
                )
            })?
            .with_blob_retention(config.blob_retention_blocks);
        let l1_key_path = crate::l1_key::path(home);
        let l1_signer = crate::l1_key::load_if_present(&l1_key_path)
            .context("cannot load the L1 checkpoint key")?;
        let l1_address = l1_signer
            .as_ref()
            .map_or_else(|| "none".to_string(), |s| s.address().to_string());
        let encryption_share =
            crate::encryption_share::load_if_present(&crate::encryption_share::path(home))
                .context("cannot load the encryption key share")?;
        crate::byzantine::set_key_share(encryption_share.as_ref());
        let share_index = encryption_share
            .as_ref()
            .map_or_else(|| "none".to_string(), |s| s.index().to_string());
        let dkg_secret = crate::dkg_key::load_if_present(&crate::dkg_key::path(home))
            .context("cannot load the key-generation secret")?;
        let dkg_key = dkg_secret.as_ref().map_or_else(
            || "none".to_string(),
            |s| crate::dkg_key::public_hex(&s.public()),
        );
        let keys = quire_app::NodeKeys {
            l1_signer,
            encryption_share,
            dkg_secret,
        };
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .context("cannot start the async runtime")?;
        let attestor: crate::snapshots::Attestor = {
            let _entered = runtime.enter();
            let source = Arc::new(
                crate::api::attestation::AttestationSource::new(
                    &config.cometbft_rpc,
                    std::time::Duration::from_secs(config.api_request_timeout_secs),
                )
                .map_err(|e| anyhow::anyhow!("snapshot attestations: {e}"))?
                .canonical_only(),
            );
            let handle = runtime.handle().clone();
            Arc::new(move |height| {
                // The snapshot's own height is canonical once the next block
                // commits: wait for it (a block or two), then give up.
                let mut tries = 0;
                loop {
                    match handle.block_on(source.encoded(height)) {
                        Ok(bytes) => return Ok(bytes),
                        Err(crate::api::ApiError::Unavailable(_)) if tries < 60 => {
                            tries += 1;
                            std::thread::sleep(std::time::Duration::from_millis(500));
                        }
                        Err(error) => return Err(error.to_string()),
                    }
                }
            })
        };
        let snapshots = crate::snapshots::Snapshots::new(crate::snapshots::SnapshotConfig {
            dir: db_path
                .parent()
                .map_or_else(|| home.join("data"), std::path::Path::to_path_buf)
                .join("snapshots"),
            interval: config.snapshot_interval,
            keep_recent: u32::try_from(config.snapshot_keep_recent).unwrap_or(u32::MAX),
            chunk_bytes: quire_app::state::snapshot::DEFAULT_CHUNK_BYTES,
            index_heights: config.snapshot_index_heights,
            attestor: Some(attestor),
        });
        let node = Arc::new(
            Node::with_keys(store, keys)
                .context("cannot load the last commit")?
                .with_snapshots(snapshots)
                .with_retention(crate::retention::Retention {
                    min_retain_blocks: config.min_retain_blocks,
                    snapshot_blocks: config
                        .snapshot_interval
                        .saturating_mul(config.snapshot_keep_recent),
                }),
        );
        let last = node.info()?;
        tracing::info!(
            home = %home.display(),
            db = %db_path.display(),
            abci = %abci_addr,
            l1_key = %l1_address,
            encryption_share = %share_index,
            dkg_key = %dkg_key,
            last_height = last.map(|l| l.height).unwrap_or(0),
            "starting quired"
        );
        let api_limits = crate::api::ApiLimits {
            max_range: config.api_max_range,
            max_response_bytes: config.api_max_response_bytes,
            request_timeout: std::time::Duration::from_secs(config.api_request_timeout_secs),
            max_streams: config.api_max_streams,
        };
        runtime.block_on(async move {
            let api = Arc::new(
                crate::api::ReadApi::new(
                    node.store(),
                    &config.cometbft_rpc,
                    node.subscribe_commits(),
                    api_limits,
                )
                .map_err(|e| anyhow::anyhow!("read API: {e}"))?
                .with_cosmos(crate::cosmos::CosmosServices::new(
                    {
                        let node = node.clone();
                        Arc::new(move |path: &str, data: &[u8], height: u64| {
                            node.cosmos_query(path, data, height)
                        })
                    },
                    crate::cosmos::chain::Chain::new(
                        &config.cometbft_rpc,
                        api_limits.request_timeout,
                    )
                    .map_err(|e| anyhow::anyhow!("Cosmos services: {e}"))?,
                )),
            );
            crate::api::spawn_servers(api.clone(), &config.grpc_addr, &config.http_addr)?;
            spawn_metrics(&config.metrics_addr, node.clone(), api, db_path.clone())?;
            let mut terminate =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                    .context("cannot install the SIGTERM handler")?;
            tokio::select! {
                served = crate::server::serve(node, &abci_addr) => {
                    served.map_err(|e| anyhow::anyhow!("ABCI server on {abci_addr} stopped: {e}"))
                }
                _ = tokio::signal::ctrl_c() => {
                    tracing::info!("interrupted; every committed block is on disk");
                    Ok(())
                }
                _ = terminate.recv() => {
                    tracing::info!("terminated; every committed block is on disk");
                    Ok(())
                }
            }
        })
    }
}

/// Serves quired's metrics on `addr` (unless it is empty), with the readings
/// taken at each scrape: the mempool overlay, the signature cache, the
/// store's size and the open read API streams.
fn spawn_metrics(
    addr: &str,
    node: Arc<Node>,
    api: Arc<crate::api::ReadApi>,
    db_path: std::path::PathBuf,
) -> anyhow::Result<()> {
    use crate::metrics::{metrics, Metrics};
    if addr.is_empty() {
        return Ok(());
    }
    let addr: std::net::SocketAddr = addr
        .parse()
        .with_context(|| format!("metrics_addr {addr:?} is not ip:port"))?;
    metrics().set_refresh(move |m| {
        let to_i64 = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
        m.mempool_overlay_entries
            .set(to_i64(node.app().mempool_overlay_entries() as u64));
        let cache = node.app().machine().sig_cache().stats();
        Metrics::raise_to(&m.sigcache_hits, cache.hits);
        Metrics::raise_to(&m.sigcache_misses, cache.misses);
        if let Ok(meta) = std::fs::metadata(&db_path) {
            m.store_size_bytes.set(to_i64(meta.len()));
        }
        m.open_streams.set(to_i64(api.open_streams() as u64));
    });
    // Bind now so that a taken port fails the start, not a background task.
    let listener =
        std::net::TcpListener::bind(addr).with_context(|| format!("cannot listen on {addr}"))?;
    listener.set_nonblocking(true)?;
    let listener = tokio::net::TcpListener::from_std(listener)?;
    tokio::spawn(async move {
        if let Err(error) = crate::metrics::serve(listener).await {
            tracing::error!(%addr, %error, "metrics server stopped");
        }
    });
    Ok(())
}
