//! `quire-relayer`: anchors a Quire chain's checkpoints on its L1.

use anyhow::Context;
use clap::Parser;
use quire_core::l1::L1Address;
use quire_relayer::data::{DataConfig, DataPoster};
use quire_relayer::metrics::Metrics;
use quire_relayer::{Relayer, RelayerConfig};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Posts Quire's signed checkpoints to the QuireAnchor contract. Stateless:
/// run as many as you like, restart at will.
#[derive(Debug, Parser)]
#[command(version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Follow the chain and anchor every attested checkpoint.
    Run(RunArgs),
    /// Deploy a QuireAnchor for the chain (initial height, salt and set
    /// read from the node and printed: check them against the genesis).
    /// Prints the contract's address on the last line.
    Deploy(DeployArgs),
    /// Print the address of the account in --key-file (the one to fund).
    Account {
        /// File holding the account's secp256k1 key as hex.
        #[arg(long)]
        key_file: PathBuf,
    },
}

/// Where the chain and the L1 are, and who pays.
#[derive(Debug, clap::Args)]
struct Endpoints {
    /// gRPC read API of any Quire node (nothing it says is trusted).
    #[arg(long, env = "QUIRE_GRPC", default_value = "http://127.0.0.1:9190")]
    quire_api: String,
    /// The L1's JSON-RPC URL.
    #[arg(long, env = "QUIRE_L1_RPC", default_value = "http://127.0.0.1:8545")]
    l1: String,
    /// File holding the paying account's secp256k1 key as hex.
    #[arg(long, env = "QUIRE_RELAYER_KEY_FILE")]
    key_file: PathBuf,
}

#[derive(Debug, clap::Args)]
struct RunArgs {
    #[command(flatten)]
    endpoints: Endpoints,
    /// The QuireAnchor contract's address.
    #[arg(long, env = "QUIRE_ANCHOR")]
    anchor: L1Address,
    /// Serve Prometheus metrics here (`/metrics`); empty: off.
    #[arg(long, default_value = "127.0.0.1:9464")]
    metrics_addr: String,
    /// Pause between rounds when caught up, in milliseconds.
    #[arg(long, default_value_t = 1000)]
    poll_ms: u64,
    /// Replace a transaction not mined after this many seconds.
    #[arg(long, default_value_t = 30)]
    replace_after_secs: u64,
    /// After each checkpoint, wait up to this many seconds for the L1 to
    /// finalize it (0: do not wait).
    #[arg(long, default_value_t = 0)]
    finality_timeout_secs: u64,
    /// Stop once caught up instead of following.
    #[arg(long)]
    once: bool,
    /// Data mode (opt-in): also post every anchored height's blobs as
    /// EIP-4844 blob transactions, paid from the account in this file (not
    /// the checkpoint account: geth keeps an account's blob transactions
    /// apart from its others).
    #[arg(long, env = "QUIRE_DATA_KEY_FILE")]
    data_key_file: Option<PathBuf>,
    /// Data mode: most heights per run of blobs.
    #[arg(long, default_value_t = 256)]
    data_max_heights: u64,
    /// Data mode: most Quire blob bytes per run (uncompressed).
    #[arg(long, default_value_t = 600_000)]
    data_max_bytes: usize,
    /// Data mode: wait for this many anchored heights before posting a run
    /// (a blob transaction pays for whole blobs, however little they hold).
    #[arg(long, default_value_t = 32)]
    data_min_heights: u64,
}

#[derive(Debug, clap::Args)]
struct DeployArgs {
    #[command(flatten)]
    endpoints: Endpoints,
    /// The compiled contract (contracts/out/QuireAnchor.json).
    #[arg(long, default_value = "contracts/out/QuireAnchor.json")]
    artifact: PathBuf,
}

fn load_key(path: &PathBuf) -> anyhow::Result<alloy_signer_local::PrivateKeySigner> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("--key-file: cannot read {}", path.display()))?;
    let text = text.trim();
    if text.len() > 66 {
        anyhow::bail!("--key-file {}: expected 64 hex digits", path.display());
    }
    text.parse().map_err(|e| {
        anyhow::anyhow!(
            "--key-file {}: not a secp256k1 key in hex: {e}",
            path.display()
        )
    })
}

fn main() -> anyhow::Result<()> {
    // KZG cell proofs (data mode) keep whole cells and blobs on the stack,
    // several hundred KiB each: more than tokio's default 2 MiB allows in
    // debug builds.
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_stack_size(32 << 20)
        .build()
        .context("cannot start the async runtime")?
        .block_on(relayer_main())
}

async fn relayer_main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    match Cli::parse().command {
        Command::Run(args) => run(args).await,
        Command::Deploy(args) => deploy(args).await,
        Command::Account { key_file } => {
            println!("{}", load_key(&key_file)?.address());
            Ok(())
        }
    }
}

async fn deploy(args: DeployArgs) -> anyhow::Result<()> {
    let signer = load_key(&args.endpoints.key_file)?;
    let json = std::fs::read_to_string(&args.artifact)
        .with_context(|| format!("--artifact: cannot read {}", args.artifact.display()))?;
    let bytecode = quire_relayer::deploy::artifact_bytecode(&json)?;
    let read = quire_client::read::ReadClient::connect(&args.endpoints.quire_api).await?;
    let (address, set) =
        quire_relayer::deploy::deploy(&read, &args.endpoints.l1, signer, bytecode).await?;
    for member in set.members() {
        eprintln!(
            "initial set member {} power {}",
            member.signer, member.power
        );
    }
    println!("{address}");
    Ok(())
}

async fn run(args: RunArgs) -> anyhow::Result<()> {
    let signer = load_key(&args.endpoints.key_file)?;
    let metrics = Arc::new(Metrics::default());
    if !args.metrics_addr.is_empty() {
        let addr = args
            .metrics_addr
            .parse()
            .with_context(|| format!("--metrics-addr {:?}", args.metrics_addr))?;
        let metrics = metrics.clone();
        tokio::spawn(async move {
            if let Err(e) = quire_relayer::metrics::serve(metrics, addr).await {
                tracing::error!(error = %e, "metrics server failed");
            }
        });
    }
    let config = RelayerConfig {
        poll: Duration::from_millis(args.poll_ms),
        replace_after: Duration::from_secs(args.replace_after_secs),
        finality_timeout: Duration::from_secs(args.finality_timeout_secs),
        ..RelayerConfig::default()
    };
    let data = match &args.data_key_file {
        Some(path) => {
            let data_signer = load_key(path)?;
            if data_signer.address() == signer.address() {
                anyhow::bail!(
                    "--data-key-file: the data account must differ from --key-file's (geth keeps an account's blob transactions apart from its others)"
                );
            }
            let poster = DataPoster::connect(
                &args.endpoints.quire_api,
                &args.endpoints.l1,
                args.anchor,
                data_signer,
                config.clone(),
                DataConfig {
                    max_heights: args.data_max_heights.max(1),
                    max_bytes: args.data_max_bytes,
                    min_heights: args.data_min_heights.clamp(1, args.data_max_heights.max(1)),
                    ..DataConfig::default()
                },
                metrics.clone(),
            )
            .await
            .context("cannot start the data mode")?;
            tracing::info!(from = %poster.from(), "posting blocks as blobs");
            Some(poster)
        }
        None => None,
    };
    let relayer = Relayer::connect(
        &args.endpoints.quire_api,
        &args.endpoints.l1,
        args.anchor,
        signer,
        config,
        metrics,
    )
    .await
    .context("cannot start")?;
    tracing::info!(from = %relayer.from(), anchor = %args.anchor, "relaying");
    match &data {
        Some(poster) => {
            tokio::try_join!(relayer.run(args.once), poster.run(args.once))?;
        }
        None => relayer.run(args.once).await?,
    }
    Ok(())
}
