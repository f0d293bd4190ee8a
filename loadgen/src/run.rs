//! `quire-loadgen run`: send pre-built transactions to the nodes' CometBFT
//! RPC, watch the blocks they land in, read samples back from the read API,
//! and summarise throughput, latency and the nodes' CPU and memory.

use crate::procstat::{ProcessUsage, UsageMeter, Watched};
use crate::stats::{series, Percentiles, Second};
use crate::uri::UriClient;
use crate::workload::{self, App, ChainInfo, PreparedTx, Shape, TxKey};
use anyhow::{bail, Context};
use indicatif::{ProgressBar, ProgressStyle};
use quire_client::read::ReadClient;
use quire_client::{Namespace, NodeClient};
use std::collections::{BTreeMap, HashMap};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tendermint_rpc::Client;

/// `quire-loadgen run`
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// The application the network runs.
    #[arg(long, value_enum)]
    pub app: App,
    /// CometBFT RPC URL of a node to send to; repeat for several nodes
    /// (accounts are spread over them). The first one is also watched for
    /// blocks.
    #[arg(long = "rpc", required = true)]
    pub rpc: Vec<String>,
    /// gRPC read API of a node, to measure when blobs become readable (Quire).
    #[arg(long)]
    pub api: Option<String>,
    /// Name of the scenario in the report.
    #[arg(long)]
    pub name: String,
    /// Validators in the network (recorded in the report).
    #[arg(long, default_value_t = 1)]
    pub validators: usize,
    /// Seed of the load accounts (must match `quire-loadgen accounts`).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Number of load accounts, each sending its txs in sequence order.
    #[arg(long, default_value_t = 64)]
    pub accounts: usize,
    /// Bytes per blob.
    #[arg(long, default_value_t = 250)]
    pub blob_size: usize,
    /// Blobs per transaction, each to the next namespace.
    #[arg(long, default_value_t = 1)]
    pub blobs_per_tx: usize,
    /// Namespaces the blobs are spread over.
    #[arg(long, default_value_t = 1)]
    pub namespaces: usize,
    /// Seal each tx's blobs into one encrypted envelope (blind ordering,
    /// docs/blind-ordering.md; Quire with an epoch key only). Readable is
    /// then measured at the reveal, two blocks after the commit.
    #[arg(long)]
    pub encrypt: bool,
    /// kvstore tx size in bytes (default: the size of a Quire tx of this shape).
    #[arg(long)]
    pub tx_size: Option<usize>,
    /// Seconds of load before measuring (fills mempools and pipelines).
    #[arg(long, default_value_t = 5)]
    pub warmup: u64,
    /// Seconds measured.
    #[arg(long, default_value_t = 20)]
    pub duration: u64,
    /// Target tx/s over all accounts; 0 = as fast as the nodes take them.
    #[arg(long, default_value_t = 0)]
    pub rate: u64,
    /// Most tx bytes sent but not yet seen committed, MiB: the load keeps
    /// this much work queued at the nodes, a few blocks' worth. Without a
    /// bound the senders outrun the chain, the mempools grow without limit,
    /// and ingesting what cannot be committed starves consensus of CPU.
    #[arg(long, default_value_t = 32)]
    pub max_uncommitted_mib: usize,
    /// Most txs sent but not yet seen committed. For small txs this binds
    /// before the byte bound: every tx still in the mempool after a block is
    /// rechecked (one ABCI round trip each), so a deep queue of small txs
    /// costs CPU without adding throughput.
    #[arg(long, default_value_t = 6000)]
    pub max_uncommitted_txs: usize,
    /// How txs are sent to CometBFT's RPC.
    #[arg(long, value_enum, default_value_t = Submit::Uri)]
    pub submit: Submit,
    /// Most txs to pre-build.
    #[arg(long, default_value_t = 200_000)]
    pub max_txs: usize,
    /// Most MiB of txs to pre-build.
    #[arg(long, default_value_t = 1536)]
    pub max_mib: usize,
    /// A process to measure CPU and memory of, as NAME=PID. Repeatable.
    #[arg(long = "watch", value_parser = crate::procstat::parse_watched)]
    pub watch: Vec<Watched>,
    /// Where to write the result (JSON).
    #[arg(long)]
    pub out: PathBuf,
}

/// How txs are sent to CometBFT's RPC: both call `broadcast_tx_sync`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Submit {
    /// `GET /broadcast_tx_sync?tx=0x<hex>`: CometBFT hex-decodes the query
    /// parameter; no JSON to parse.
    Uri,
    /// JSON-RPC `POST` with the tx in base64 (what tendermint-rpc sends):
    /// CometBFT's JSON-RPC server scans the body with Go's encoding/json
    /// several times, ~5× the CPU of `uri` per byte.
    Jsonrpc,
}

/// Sends one account's txs to one node.
struct Sender {
    node: NodeClient,
    uri: UriClient,
    submit: Submit,
}

/// CometBFT's answer to a broadcast.
enum Broadcast {
    Accepted,
    Refused(u32, String),
    Failed(String),
}

impl Sender {
    async fn broadcast(&mut self, tx: &[u8]) -> Broadcast {
        match self.submit {
            Submit::Jsonrpc => match self.node.broadcast(tx.to_vec()).await {
                Ok(result) if result.accepted() => Broadcast::Accepted,
                Ok(result) => Broadcast::Refused(result.code, result.log),
                Err(e) => Broadcast::Failed(e.to_string()),
            },
            Submit::Uri => {
                let body = match self.uri.broadcast_tx_sync(tx).await {
                    Ok(body) => body,
                    Err(e) => return Broadcast::Failed(e),
                };
                let answer: serde_json::Value = match serde_json::from_slice(&body) {
                    Ok(answer) => answer,
                    Err(e) => return Broadcast::Failed(format!("not JSON ({e})")),
                };
                if let Some(error) = answer.get("error") {
                    // e.g. {"code":-32603,"message":"Internal error","data":"mempool is full: ..."}
                    return Broadcast::Failed(error.to_string());
                }
                let result = &answer["result"];
                match result["code"].as_u64() {
                    Some(0) => Broadcast::Accepted,
                    Some(code) => Broadcast::Refused(
                        code as u32,
                        result["log"].as_str().unwrap_or_default().to_string(),
                    ),
                    None => Broadcast::Failed(format!("unexpected answer {answer}")),
                }
            }
        }
    }
}

/// Block statistics of a run.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct BlockStats {
    /// Blocks seen in the measured window.
    pub count: usize,
    /// Time between consecutive blocks as the watcher saw them, ms.
    pub interval_ms: Percentiles,
    /// Mean txs of this run per block.
    pub txs_mean: f64,
    /// Most txs of this run in one block.
    pub txs_max: u64,
    /// Mean distinct namespaces per block (Quire).
    pub namespaces_mean: f64,
    /// Most distinct namespaces in one block (Quire).
    pub namespaces_max: u64,
    /// Most tx bytes of this run in one block, MB.
    pub mb_max: f64,
}

/// Latencies of a run, ms.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct Latencies {
    /// Broadcast → CheckTx answered (`broadcast_tx_sync` round trip).
    pub check_tx: Percentiles,
    /// Broadcast → the block holding the tx is seen committed.
    pub commit: Percentiles,
    /// Broadcast → the blob is served by the read API (sampled, Quire).
    pub readable: Percentiles,
}

/// The result of one run (one scenario), as written to JSON.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct RunResult {
    /// Scenario name.
    pub name: String,
    /// Application.
    pub app: App,
    /// Validators.
    pub validators: usize,
    /// Tx shape.
    pub shape: Shape,
    /// Bytes per tx (Quire: the largest built; kvstore: as asked).
    pub tx_size: usize,
    /// Load accounts.
    pub accounts: usize,
    /// Target rate (0 = as fast as possible).
    pub rate: u64,
    /// How txs were sent.
    #[serde(default = "default_submit")]
    pub submit: Submit,
    /// Warmup seconds.
    pub warmup_secs: u64,
    /// Measured seconds.
    pub duration_secs: u64,
    /// Unix time the load started.
    pub started_unix: u64,
    /// Txs pre-built.
    pub prepared: usize,
    /// Broadcasts made.
    pub submitted: u64,
    /// Accepted by CheckTx.
    pub accepted: u64,
    /// Refusals by reason.
    pub rejected: BTreeMap<String, u64>,
    /// Failed read-API reads by reason (Quire).
    #[serde(default)]
    pub read_errors: BTreeMap<String, u64>,
    /// Times the mempool was full and a broadcast was retried.
    pub mempool_full_retries: u64,
    /// Txs seen committed in the measured window.
    pub committed: u64,
    /// Committed tx/s over the window.
    pub tx_per_sec: f64,
    /// Committed tx MB/s (10^6 bytes) over the window.
    pub mb_per_sec: f64,
    /// Committed blob MB/s over the window (Quire).
    pub blob_mb_per_sec: f64,
    /// Latencies of txs committed in the window.
    pub latency_ms: Latencies,
    /// Blocks in the window.
    pub blocks: BlockStats,
    /// CPU and memory of the watched processes over the window.
    pub processes: Vec<ProcessUsage>,
    /// Per-second series over the whole run (warmup included).
    pub series: Vec<Second>,
}

/// A broadcast tx not yet seen committed.
struct InFlight {
    submitted: Instant,
    bytes: u64,
    blob_bytes: u64,
    namespace: Option<Namespace>,
}

/// A tx seen committed.
struct Committed {
    second: u64,
    in_window: bool,
    bytes: u64,
    blob_bytes: u64,
    latency_ms: f64,
}

/// A block seen by the watcher.
struct BlockSeen {
    at: Instant,
    ours: u64,
    bytes: u64,
    namespaces: u64,
}

/// State the senders, the watcher and the readers share.
struct Shared {
    start: Instant,
    window: (Duration, Duration),
    in_flight: Mutex<HashMap<TxKey, InFlight>>,
    committed: Mutex<Vec<Committed>>,
    blocks: Mutex<Vec<BlockSeen>>,
    check_tx_ms: Mutex<Vec<f64>>,
    readable_ms: Mutex<Vec<f64>>,
    rejected: Mutex<BTreeMap<String, u64>>,
    read_errors: Mutex<BTreeMap<String, u64>>,
    submitted: AtomicU64,
    accepted: AtomicU64,
    mempool_full: AtomicU64,
    last_height: AtomicU64,
    stop: AtomicBool,
    /// Permits for txs sent but not yet committed (see `max_uncommitted_mib`).
    uncommitted: Arc<tokio::sync::Semaphore>,
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Shared {
    fn in_window(&self, at: Instant) -> bool {
        let since = at.duration_since(self.start);
        since >= self.window.0 && since < self.window.1
    }

    fn reject(&self, reason: String) {
        *lock(&self.rejected).entry(reason).or_default() += 1;
    }

    fn read_error(&self, reason: String) {
        let reason: String = reason.chars().take(120).collect();
        *lock(&self.read_errors).entry(reason).or_default() += 1;
    }
}

/// Runs the load and writes the result.
pub async fn run(args: RunArgs) -> anyhow::Result<RunResult> {
    if args.accounts == 0 || args.duration == 0 {
        bail!("--accounts and --duration must be at least 1");
    }
    let nodes: Vec<NodeClient> = args
        .rpc
        .iter()
        .map(|url| NodeClient::new(url))
        .collect::<Result<_, _>>()?;
    let (chain_id, height) = nodes[0]
        .status()
        .await
        .with_context(|| format!("cannot reach {}", args.rpc[0]))?;
    eprintln!(
        "loadgen: {} at height {height}, chain {chain_id}: preparing txs",
        args.rpc[0]
    );
    let shape = Shape {
        blob_size: args.blob_size,
        blobs_per_tx: args.blobs_per_tx,
        namespaces: args.namespaces,
        encrypt: args.encrypt,
    };
    let prepared = prepare(&args, &nodes[0], chain_id, &shape).await?;
    let total: usize = prepared.iter().map(Vec::len).sum();
    let tx_size = prepared
        .iter()
        .flatten()
        .map(|tx| tx.bytes.len())
        .max()
        .unwrap_or_default();
    eprintln!("loadgen: {total} txs of {tx_size} bytes ready; sending");

    let start = Instant::now();
    let started_unix = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();
    let window = (
        Duration::from_secs(args.warmup),
        Duration::from_secs(args.warmup + args.duration),
    );
    let shared = Arc::new(Shared {
        start,
        window,
        in_flight: Mutex::new(HashMap::new()),
        committed: Mutex::new(Vec::new()),
        blocks: Mutex::new(Vec::new()),
        check_tx_ms: Mutex::new(Vec::new()),
        readable_ms: Mutex::new(Vec::new()),
        rejected: Mutex::new(BTreeMap::new()),
        read_errors: Mutex::new(BTreeMap::new()),
        submitted: AtomicU64::new(0),
        accepted: AtomicU64::new(0),
        mempool_full: AtomicU64::new(0),
        last_height: AtomicU64::new(height),
        stop: AtomicBool::new(false),
        uncommitted: Arc::new(tokio::sync::Semaphore::new(0)),
    });
    let signers: HashMap<String, u32> = workload::derive_accounts(args.seed, args.accounts)?
        .iter()
        .enumerate()
        .map(|(i, a)| (a.address.to_bech32(), i as u32))
        .collect();
    let reader = match (&args.api, args.app) {
        (Some(url), App::Quire) => Some(
            ReadClient::connect(url)
                .await
                .with_context(|| format!("cannot connect to the read API at {url}"))?,
        ),
        _ => None,
    };

    let watcher = tokio::spawn(watch_blocks(
        shared.clone(),
        nodes[0].clone(),
        args.app,
        signers,
        reader.map(|reader| (reader, args.encrypt)),
    ));
    let limiter = (args.rate > 0).then(|| {
        Arc::new(RateLimiter {
            next: Mutex::new(start),
            interval: Duration::from_secs_f64(1.0 / args.rate as f64),
        })
    });
    let window_txs = (args.max_uncommitted_mib * 1024 * 1024 / tx_size.max(1))
        .min(args.max_uncommitted_txs)
        .max(1);
    let window_permits = shared.uncommitted.clone();
    window_permits.add_permits(window_txs);
    let mut senders = Vec::new();
    for (index, txs) in prepared.into_iter().enumerate() {
        let node = &args.rpc[index % nodes.len()];
        let node = Sender {
            node: nodes[index % nodes.len()].clone(),
            uri: UriClient::new(node, Duration::from_secs(30)).map_err(anyhow::Error::msg)?,
            submit: args.submit,
        };
        senders.push(tokio::spawn(send_account(
            shared.clone(),
            node,
            txs,
            limiter.clone(),
            window_permits.clone(),
        )));
    }

    let mut meter: Option<UsageMeter> = None;
    let total_secs = args.warmup + args.duration;
    let progress = progress_bar(total_secs);
    let mut last_line = Instant::now();
    loop {
        tokio::time::sleep(Duration::from_millis(250)).await;
        let elapsed = start.elapsed();
        if meter.is_none() && elapsed >= window.0 {
            // The load generator shares the machine: measure it too.
            let mut watched = args.watch.clone();
            watched.push(Watched {
                name: "loadgen".into(),
                pid: std::process::id(),
            });
            meter = Some(UsageMeter::start(&watched));
        }
        if let Some(meter) = &mut meter {
            meter.sample();
        }
        let status = status_line(&shared, elapsed);
        progress.set_position(elapsed.as_secs().min(total_secs));
        progress.set_message(status.clone());
        if progress.is_hidden() && last_line.elapsed() >= Duration::from_secs(5) {
            eprintln!("loadgen: {:>3}s/{total_secs}s {status}", elapsed.as_secs());
            last_line = Instant::now();
        }
        if elapsed >= window.1 {
            break;
        }
    }
    let usage = meter.map(UsageMeter::finish).unwrap_or_default();
    progress.finish_and_clear();
    shared.stop.store(true, Ordering::SeqCst);
    for sender in &senders {
        sender.abort();
    }
    // Let the watcher see the blocks that closed the window.
    tokio::time::sleep(Duration::from_secs(2)).await;
    watcher.abort();

    let result = summarise(&args, &shared, shape, tx_size, total, started_unix, usage);
    let json = serde_json::to_string_pretty(&result)?;
    std::fs::write(&args.out, json)
        .with_context(|| format!("cannot write {}", args.out.display()))?;
    Ok(result)
}

fn progress_bar(total_secs: u64) -> ProgressBar {
    let progress = ProgressBar::new(total_secs);
    progress.set_style(
        ProgressStyle::with_template("{elapsed:>4} [{bar:30}] {pos:>3}/{len}s {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    if !std::io::stderr().is_terminal() {
        progress.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    progress
}

/// One line on how the run is going.
fn status_line(shared: &Shared, elapsed: Duration) -> String {
    let committed = lock(&shared.committed);
    let recent: Vec<&Committed> = committed
        .iter()
        .filter(|c| c.second + 5 >= elapsed.as_secs() && c.second < elapsed.as_secs())
        .collect();
    let secs = elapsed.as_secs().clamp(1, 5) as f64;
    let tx_rate = recent.len() as f64 / secs;
    let mb_rate = recent.iter().map(|c| c.bytes).sum::<u64>() as f64 / secs / 1e6;
    let p50 = Percentiles::of(recent.iter().map(|c| c.latency_ms).collect()).p50;
    format!(
        "height {} | sent {} | committed {} | {:.0} tx/s {:.2} MB/s | p50 {:.0} ms",
        shared.last_height.load(Ordering::Relaxed),
        shared.submitted.load(Ordering::Relaxed),
        committed.len(),
        tx_rate,
        mb_rate,
        p50
    )
}

/// Builds every account's txs, on all cores.
async fn prepare(
    args: &RunArgs,
    node: &NodeClient,
    chain_id: String,
    shape: &Shape,
) -> anyhow::Result<Vec<Vec<PreparedTx>>> {
    let accounts = workload::derive_accounts(args.seed, args.accounts)?;
    // kvstore has no Quire params: its txs weigh what a Quire tx of this
    // shape weighs under the default fee rules.
    let params = match args.app {
        App::Quire => node.params().await?,
        App::Kvstore => quire_client::Params::default(),
    };
    let encryption = match (args.encrypt, args.app) {
        (false, _) => None,
        (true, App::Kvstore) => bail!("--encrypt is for --app quire: kvstore has no envelopes"),
        (true, App::Quire) => {
            let info = node.encryption_info().await?.ok_or_else(|| {
                anyhow::anyhow!("--encrypt: the chain has no encryption key (start it with one)")
            })?;
            anyhow::ensure!(
                info.active,
                "--encrypt: the chain is in plaintext-only mode"
            );
            Some(
                quire_client::encrypt::EncryptionKey::from_epoch_key(info.epoch, &info.epoch_key)
                    .context("--encrypt: the chain's epoch key")?,
            )
        }
    };
    let chain = ChainInfo {
        chain_id,
        params,
        encryption,
    };
    let tx_size = match args.tx_size {
        Some(size) => size,
        None => workload::quire_tx_size(&chain, shape)?,
    };
    let chain = (args.app == App::Quire).then_some(chain);
    let mut total = args
        .max_txs
        .min(args.max_mib * 1024 * 1024 / tx_size.max(1));
    if args.rate > 0 {
        total = total.min((args.rate * (args.warmup + args.duration + 5)) as usize);
    }
    let per_account = total.div_ceil(args.accounts).max(1);

    let mut plans = Vec::with_capacity(accounts.len());
    for (index, account) in accounts.iter().enumerate() {
        let (number, sequence) = match args.app {
            App::Quire => {
                let info = node.account(&account.address).await?.with_context(|| {
                    format!(
                        "load account {index} ({}) does not exist on chain: fund the accounts of \
                         `quire-loadgen accounts --seed {} --count {}` at genesis \
                         (localnet.sh up --accounts-file)",
                        account.address.to_bech32(),
                        args.seed,
                        args.accounts
                    )
                })?;
                (info.account_number, info.sequence)
            }
            App::Kvstore => (0, 0),
        };
        plans.push((index as u32, number, sequence));
    }

    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let namespaces = workload::namespaces(shape.namespaces);
    let chunk = plans.len().div_ceil(threads).max(1);
    let account_count = accounts.len();
    std::thread::scope(|scope| {
        let handles: Vec<_> = plans
            .chunks(chunk)
            .map(|chunk| {
                let (accounts, chain, namespaces) = (&accounts, &chain, &namespaces);
                scope.spawn(move || -> anyhow::Result<Vec<Vec<PreparedTx>>> {
                    chunk
                        .iter()
                        .map(|&(index, account_number, first_sequence)| match chain {
                            Some(chain) => {
                                let plan = workload::AccountPlan {
                                    index,
                                    account: &accounts[index as usize],
                                    account_number,
                                    first_sequence,
                                };
                                workload::quire_txs(
                                    chain,
                                    &plan,
                                    account_count,
                                    shape,
                                    namespaces,
                                    per_account,
                                )
                            }
                            None => Ok(workload::kvstore_txs(index, tx_size, per_account)),
                        })
                        .collect()
                })
            })
            .collect();
        let mut all = Vec::new();
        for handle in handles {
            let built = handle
                .join()
                .map_err(|_| anyhow::anyhow!("a tx-building thread panicked"))??;
            all.extend(built);
        }
        Ok(all)
    })
}

/// Spaces broadcasts `interval` apart over all senders.
struct RateLimiter {
    next: Mutex<Instant>,
    interval: Duration,
}

impl RateLimiter {
    async fn wait(&self) {
        let slot = {
            let mut next = lock(&self.next);
            let slot = (*next).max(Instant::now());
            *next = slot + self.interval;
            slot
        };
        tokio::time::sleep_until(slot.into()).await;
    }
}

/// Sends one account's txs in sequence order, each after the previous one
/// was accepted. A refusal ends the account (its later sequences would gap).
async fn send_account(
    shared: Arc<Shared>,
    mut node: Sender,
    txs: Vec<PreparedTx>,
    limiter: Option<Arc<RateLimiter>>,
    window: Arc<tokio::sync::Semaphore>,
) {
    for tx in txs {
        if let Some(limiter) = &limiter {
            limiter.wait().await;
        }
        // Given back when the watcher sees the tx committed.
        match window.acquire().await {
            Ok(permit) => permit.forget(),
            Err(_) => return,
        }
        let mut failures = 0;
        loop {
            if shared.stop.load(Ordering::Relaxed) {
                return;
            }
            let submitted = Instant::now();
            lock(&shared.in_flight).insert(
                tx.key,
                InFlight {
                    submitted,
                    bytes: tx.bytes.len() as u64,
                    blob_bytes: tx.blob_bytes,
                    namespace: tx.namespace,
                },
            );
            shared.submitted.fetch_add(1, Ordering::Relaxed);
            match node.broadcast(&tx.bytes).await {
                Broadcast::Accepted => {
                    shared.accepted.fetch_add(1, Ordering::Relaxed);
                    if shared.in_window(submitted) {
                        lock(&shared.check_tx_ms).push(millis(submitted.elapsed()));
                    }
                    break;
                }
                Broadcast::Refused(code, log) => {
                    lock(&shared.in_flight).remove(&tx.key);
                    shared.uncommitted.add_permits(1);
                    let log: String = log.chars().take(80).collect();
                    shared.reject(format!("code {code}: {log}"));
                    return;
                }
                Broadcast::Failed(text) => {
                    if text.contains("mempool is full") {
                        shared.mempool_full.fetch_add(1, Ordering::Relaxed);
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        continue;
                    }
                    if text.contains("tx already exists in cache") {
                        // An earlier attempt got in after all.
                        shared.accepted.fetch_add(1, Ordering::Relaxed);
                        break;
                    }
                    failures += 1;
                    if failures >= 3 {
                        lock(&shared.in_flight).remove(&tx.key);
                        shared.uncommitted.add_permits(1);
                        let text: String = text.chars().take(80).collect();
                        shared.reject(format!("rpc: {text}"));
                        return;
                    }
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            }
        }
    }
}

fn default_submit() -> Submit {
    Submit::Jsonrpc
}

fn millis(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// `namespace` at `height`, asking until the read API serves the height
/// (once quired has committed it), for at most 15 s.
async fn read_when_served(
    reader: &ReadClient,
    height: u64,
    namespace: &Namespace,
) -> anyhow::Result<quire_proto::sequencer::v1::NamespaceData> {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let answer = reader.namespace(height, namespace).await;
        match &answer {
            Err(e) if e.to_string().contains("not available yet") && Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(10)).await
            }
            _ => return Ok(answer?),
        }
    }
}

/// Follows the chain through `node`: for each new height, which of our txs
/// it holds (from the block results' events), and for a sample of them when
/// the read API serves their namespace at that height (for envelopes, at
/// their reveal: two blocks later, or three or four after lost rounds; every
/// blob there is from an envelope of the sampled tx's block, since a reveal
/// resolves whole blocks).
async fn watch_blocks(
    shared: Arc<Shared>,
    node: NodeClient,
    app: App,
    signers: HashMap<String, u32>,
    reader: Option<(ReadClient, bool)>,
) {
    let reads = Arc::new(tokio::sync::Semaphore::new(4));
    let mut next = shared.last_height.load(Ordering::Relaxed) + 1;
    loop {
        let latest = match node.status().await {
            Ok((_, height)) => height,
            Err(_) => {
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        while next <= latest {
            let at = Instant::now();
            let results = match node.rpc().block_results(height_of(next)).await {
                Ok(results) => results,
                Err(_) => break,
            };
            shared.last_height.store(next, Ordering::Relaxed);
            let mut keys = Vec::new();
            let mut namespaces = 0;
            for result in results.txs_results.unwrap_or_default() {
                keys.extend(tx_key(app, &signers, &result.events));
                // Quire's tx 0, the block commitment, counts the namespaces.
                if let Some(count) = event_attr(&result.events, "commitment", "namespaces") {
                    namespaces = count.parse().unwrap_or_default();
                }
            }
            let mut ours = 0;
            let mut bytes = 0;
            let mut samples = Vec::new();
            {
                let mut in_flight = lock(&shared.in_flight);
                let mut committed = lock(&shared.committed);
                for key in keys {
                    let Some(sent) = in_flight.remove(&key) else {
                        continue;
                    };
                    ours += 1;
                    bytes += sent.bytes;
                    shared.uncommitted.add_permits(1);
                    committed.push(Committed {
                        second: at.duration_since(shared.start).as_secs(),
                        in_window: shared.in_window(at),
                        bytes: sent.bytes,
                        blob_bytes: sent.blob_bytes,
                        latency_ms: millis(at.duration_since(sent.submitted)),
                    });
                    if samples.len() < 2 {
                        if let Some(namespace) = sent.namespace {
                            samples.push((namespace, sent.submitted));
                        }
                    }
                }
            }
            lock(&shared.blocks).push(BlockSeen {
                at,
                ours,
                bytes,
                namespaces,
            });
            if let Some((reader, encrypted)) = &reader {
                for (namespace, submitted) in samples {
                    let (reader, shared, reads) = (reader.clone(), shared.clone(), reads.clone());
                    let heights = if *encrypted {
                        next + 2..=next + 4
                    } else {
                        next..=next
                    };
                    tokio::spawn(async move {
                        let Ok(_permit) = reads.acquire().await else {
                            return;
                        };
                        let mut answer = Err(anyhow::anyhow!("no height read"));
                        for height in heights {
                            answer = read_when_served(&reader, height, &namespace).await;
                            if matches!(&answer, Ok(data) if !data.blobs.is_empty()) {
                                break;
                            }
                        }
                        match answer {
                            Ok(data) if !data.blobs.is_empty() => {
                                if shared.in_window(submitted) {
                                    lock(&shared.readable_ms).push(millis(submitted.elapsed()));
                                }
                            }
                            Ok(_) => shared.read_error("namespace served without its blob".into()),
                            Err(e) => shared.read_error(e.to_string()),
                        }
                    });
                }
            }
            next += 1;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn height_of(height: u64) -> tendermint::block::Height {
    tendermint::block::Height::try_from(height).unwrap_or_default()
}

/// Which of our txs a tx result belongs to.
fn tx_key(
    app: App,
    signers: &HashMap<String, u32>,
    events: &[tendermint::abci::Event],
) -> Option<TxKey> {
    let attr = |kind: &str, key: &str| event_attr(events, kind, key);
    match app {
        App::Quire => Some(TxKey {
            account: *signers.get(attr("tx", "signer")?)?,
            sequence: attr("tx", "sequence")?.parse().ok()?,
        }),
        App::Kvstore => workload::parse_kvstore_key(attr("app", "key")?),
    }
}

/// The value of attribute `key` of the first `kind` event that has it.
fn event_attr<'a>(events: &'a [tendermint::abci::Event], kind: &str, key: &str) -> Option<&'a str> {
    events
        .iter()
        .filter(|e| e.kind == kind)
        .flat_map(|e| e.attributes.iter())
        .find(|a| a.key_str().ok() == Some(key))
        .and_then(|a| a.value_str().ok())
}

fn summarise(
    args: &RunArgs,
    shared: &Shared,
    shape: Shape,
    tx_size: usize,
    prepared: usize,
    started_unix: u64,
    processes: Vec<ProcessUsage>,
) -> RunResult {
    let committed = lock(&shared.committed);
    let window: Vec<&Committed> = committed.iter().filter(|c| c.in_window).collect();
    let secs = args.duration as f64;
    let blocks = lock(&shared.blocks);
    let in_window: Vec<&BlockSeen> = blocks.iter().filter(|b| shared.in_window(b.at)).collect();
    let intervals = blocks
        .windows(2)
        .filter(|pair| shared.in_window(pair[1].at))
        .map(|pair| millis(pair[1].at.duration_since(pair[0].at)))
        .collect();
    let count = in_window.len().max(1) as f64;
    let total_secs = args.warmup + args.duration + 2;
    let points: Vec<(u64, u64, f64)> = committed
        .iter()
        .map(|c| (c.second, c.bytes, c.latency_ms))
        .collect();
    RunResult {
        name: args.name.clone(),
        app: args.app,
        validators: args.validators,
        shape,
        tx_size,
        accounts: args.accounts,
        rate: args.rate,
        submit: args.submit,
        warmup_secs: args.warmup,
        duration_secs: args.duration,
        started_unix,
        prepared,
        submitted: shared.submitted.load(Ordering::Relaxed),
        accepted: shared.accepted.load(Ordering::Relaxed),
        rejected: lock(&shared.rejected).clone(),
        read_errors: lock(&shared.read_errors).clone(),
        mempool_full_retries: shared.mempool_full.load(Ordering::Relaxed),
        committed: window.len() as u64,
        tx_per_sec: window.len() as f64 / secs,
        mb_per_sec: window.iter().map(|c| c.bytes).sum::<u64>() as f64 / secs / 1e6,
        blob_mb_per_sec: window.iter().map(|c| c.blob_bytes).sum::<u64>() as f64 / secs / 1e6,
        latency_ms: Latencies {
            check_tx: Percentiles::of(lock(&shared.check_tx_ms).clone()),
            commit: Percentiles::of(window.iter().map(|c| c.latency_ms).collect()),
            readable: Percentiles::of(lock(&shared.readable_ms).clone()),
        },
        blocks: BlockStats {
            count: in_window.len(),
            interval_ms: Percentiles::of(intervals),
            txs_mean: in_window.iter().map(|b| b.ours).sum::<u64>() as f64 / count,
            txs_max: in_window.iter().map(|b| b.ours).max().unwrap_or_default(),
            namespaces_mean: in_window.iter().map(|b| b.namespaces).sum::<u64>() as f64 / count,
            namespaces_max: in_window
                .iter()
                .map(|b| b.namespaces)
                .max()
                .unwrap_or_default(),
            mb_max: in_window.iter().map(|b| b.bytes).max().unwrap_or_default() as f64 / 1e6,
        },
        processes,
        series: series(&points, total_secs),
    }
}
