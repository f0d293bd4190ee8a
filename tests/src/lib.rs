//! Harness for integration tests: starts a real localnet (CometBFT + quired
//! per node, via `localnet/localnet.sh`) on free loopback ports in a temporary
//! directory, and always stops it again, also when a test fails.

use anyhow::{bail, Context};
use std::collections::BTreeMap;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// The quired binary cargo built for this test run (`QUIRED_BIN` if set).
/// `cargo test --workspace` builds it with the `fault-injection` feature, which
/// the crash tests need.
pub fn quired_bin() -> anyhow::Result<PathBuf> {
    if let Some(path) = std::env::var_os("QUIRED_BIN") {
        return Ok(PathBuf::from(path));
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("target"));
    let bin = target.join("debug").join("quired");
    if !bin.exists() {
        bail!("{} does not exist: build it with `cargo build -p quired --features fault-injection` (cargo test --workspace does)", bin.display());
    }
    Ok(bin)
}

/// Starts a localnet of `nodes` validators from async code; panics (failing
/// the test, with the nodes' log tails) if it does not come up.
pub async fn start_localnet(nodes: usize) -> Localnet {
    match tokio::task::spawn_blocking(move || Localnet::start(nodes)).await {
        Ok(Ok(net)) => net,
        Ok(Err(e)) => panic!("localnet does not start: {e:#}"),
        Err(e) => panic!("localnet start panicked: {e}"),
    }
}

/// Runs a test scenario with a time bound; panics with the scenario's error
/// (or the timeout), so the localnet guard prints the nodes' log tails.
pub async fn run_scenario<T>(
    limit: std::time::Duration,
    scenario: impl std::future::Future<Output = anyhow::Result<T>>,
) -> T {
    match tokio::time::timeout(limit, scenario).await {
        Ok(Ok(value)) => value,
        Ok(Err(e)) => panic!("scenario failed: {e:#}"),
        Err(_) => panic!("scenario did not finish within {limit:?}"),
    }
}

/// A running localnet; stopped and deleted on drop.
pub struct Localnet {
    dir: Option<tempfile::TempDir>,
    env: BTreeMap<String, String>,
    /// Number of validators.
    pub nodes: usize,
}

/// `count` consecutive free loopback ports starting at a multiple of 100,
/// between 20000 and 32000: below Linux's ephemeral range (32768+), where
/// outgoing connections could take a port between our probe and the bind.
///
/// Each call in one process starts its search at a later block, so two
/// networks started by one test binary never probe the same block before
/// either has bound it; the pid spreads concurrent test binaries apart.
pub(crate) fn free_port_base(count: u16) -> anyhow::Result<u16> {
    static CALLS: std::sync::atomic::AtomicU16 = std::sync::atomic::AtomicU16::new(0);
    let call = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let seed = ((std::process::id() % 120) as u16 + call.wrapping_mul(7)) % 120;
    for attempt in 0..120u16 {
        let base = 20_000 + ((seed + attempt * 7) % 120) * 100;
        if (0..count).all(|offset| TcpListener::bind(("127.0.0.1", base + offset)).is_ok()) {
            return Ok(base);
        }
    }
    bail!("no free block of {count} loopback ports found")
}

impl Localnet {
    /// Starts `nodes` validators and waits until they produce blocks.
    pub fn start(nodes: usize) -> anyhow::Result<Self> {
        Self::start_with(nodes, &[])
    }

    /// Like [`Localnet::start`], with more `localnet.sh up` arguments.
    pub fn start_with(nodes: usize, up_args: &[&str]) -> anyhow::Result<Self> {
        let dir = tempfile::Builder::new()
            .prefix("quire-localnet-")
            .tempdir()?;
        // One node's ports spare, for `add_validator`.
        let base = free_port_base((nodes as u16 + 1) * 10)?;
        let script = repo_root().join("localnet").join("localnet.sh");
        let mut net = Localnet {
            dir: Some(dir),
            env: BTreeMap::new(),
            nodes,
        };
        let status = Command::new("bash")
            .arg(&script)
            .args([
                "up",
                "--nodes",
                &nodes.to_string(),
                "--base-port",
                &base.to_string(),
            ])
            .args(up_args)
            .arg("--dir")
            .arg(net.dir())
            .env("QUIRED_BIN", quired_bin()?)
            .status()
            .with_context(|| format!("cannot run {}", script.display()))?;
        if !status.success() {
            print_log_tails(&net.dir().join("logs"));
            bail!(
                "localnet up failed ({status}); logs in {}",
                net.dir().join("logs").display()
            );
        }
        net.load_env()?;
        Ok(net)
    }

    fn load_env(&mut self) -> anyhow::Result<()> {
        let env_file = self.dir().join("localnet.env");
        let text = std::fs::read_to_string(&env_file)
            .with_context(|| format!("cannot read {}", env_file.display()))?;
        self.env.clear();
        for line in text.lines() {
            let line = line.trim().trim_start_matches("export ");
            if let Some((key, value)) = line.split_once('=') {
                self.env
                    .insert(key.to_string(), value.trim_matches(['"', '\'']).to_string());
            }
        }
        Ok(())
    }

    /// `localnet.sh add-validator`: node `nodes` joins, block-syncs and bonds
    /// `self_bond` as a validator (operator key `node{nodes}`). Returns its
    /// index.
    pub fn add_validator(&mut self, self_bond: u128) -> anyhow::Result<usize> {
        self.script(&["add-validator", "--self-bond", &self_bond.to_string()])?;
        self.load_env()?;
        self.nodes += 1;
        Ok(self.nodes - 1)
    }

    /// Node `i`'s ed25519 consensus key, from its CometBFT home.
    pub fn consensus_key(&self, i: usize) -> anyhow::Result<[u8; 32]> {
        let cometbft = PathBuf::from(self.var("QUIRE_COMETBFT_BIN")?);
        let json = Self::run_quiet(
            Command::new(cometbft)
                .arg("show-validator")
                .arg("--home")
                .arg(self.dir().join(format!("node{i}/cometbft"))),
        )?;
        let value: serde_json::Value = serde_json::from_str(&json)?;
        let key = value["value"]
            .as_str()
            .context("show-validator printed no value")?;
        Ok(quire_genesis::parse_ed25519_pubkey(key)?)
    }

    fn var(&self, name: &str) -> anyhow::Result<&str> {
        self.env
            .get(name)
            .map(String::as_str)
            .with_context(|| format!("localnet.env has no {name}"))
    }

    /// The chain id.
    pub fn chain_id(&self) -> anyhow::Result<&str> {
        self.var("QUIRE_CHAIN_ID")
    }

    /// CometBFT RPC URL of node `i`.
    pub fn rpc(&self, i: usize) -> anyhow::Result<String> {
        let url = self.var(&format!("QUIRE_RPC_{i}"))?;
        Ok(if url.starts_with("http") {
            url.to_string()
        } else {
            format!("http://{url}")
        })
    }

    /// gRPC read API URL of node `i`.
    pub fn grpc(&self, i: usize) -> anyhow::Result<String> {
        Ok(self.var(&format!("QUIRE_GRPC_{i}"))?.to_string())
    }

    /// HTTP read API URL of node `i`.
    pub fn http(&self, i: usize) -> anyhow::Result<String> {
        Ok(self.var(&format!("QUIRE_API_{i}"))?.to_string())
    }

    /// quired's Prometheus metrics URL of node `i` (`…/metrics`).
    pub fn metrics(&self, i: usize) -> anyhow::Result<String> {
        Ok(self.var(&format!("QUIRED_METRICS_{i}"))?.to_string())
    }

    /// The genesis file's text.
    pub fn genesis_json(&self) -> anyhow::Result<String> {
        let path = self.dir().join("genesis.json");
        std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))
    }

    /// The client home whose `keyring/` holds the funded test keys.
    pub fn client_home(&self) -> anyhow::Result<PathBuf> {
        Ok(PathBuf::from(self.var("QUIRE_KEYRING_HOME")?))
    }

    /// The run directory (homes, logs, pids).
    pub fn dir(&self) -> &Path {
        self.dir
            .as_ref()
            .map(|d| d.path())
            .unwrap_or_else(|| Path::new("/nonexistent"))
    }

    /// Runs a localnet.sh subcommand against this network.
    pub fn script(&self, args: &[&str]) -> anyhow::Result<()> {
        self.script_with_env(args, &[])
    }

    /// [`script`](Self::script) with extra environment variables (e.g.
    /// `restart N` with `QUIRED_FAULT` or `QUIRED_BYZANTINE`, which the
    /// restarted quired inherits).
    pub fn script_with_env(&self, args: &[&str], env: &[(&str, &str)]) -> anyhow::Result<()> {
        let script = repo_root().join("localnet").join("localnet.sh");
        // Output is captured (and shown on failure) so that a closed stderr
        // cannot kill the script halfway, e.g. while stopping the network.
        let output = Command::new("bash")
            .arg(&script)
            .args(args)
            .arg("--dir")
            .arg(self.dir())
            .envs(env.iter().copied())
            .output()?;
        if !output.status.success() {
            bail!(
                "localnet.sh {args:?} failed: {}\n{}{}",
                output.status,
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
        }
        Ok(())
    }
}

impl Localnet {
    /// Restarts node `node`'s processes with the test-only environment
    /// variable `key=value` (from async code: the script blocks).
    pub fn restart_with(&self, node: usize, key: &str, value: &str) -> anyhow::Result<()> {
        let node = node.to_string();
        tokio::task::block_in_place(|| self.script_with_env(&["restart", &node], &[(key, value)]))
    }

    /// Node `node`'s quired log so far.
    pub fn quired_log(&self, node: usize) -> anyhow::Result<String> {
        let path = self.dir().join(format!("logs/node{node}-quired.log"));
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))
    }

    /// Fails if node `node`'s quired refused a test-only variable because
    /// it was built without the `fault-injection` feature.
    pub fn ensure_test_build(&self, node: usize) -> anyhow::Result<()> {
        if self
            .quired_log(node)?
            .contains("built without the fault-injection feature")
        {
            bail!(
                "{} has no fault injection: build it with `cargo build -p quired --features \
                 fault-injection` (as `cargo test --workspace` does)",
                quired_bin()?.display()
            );
        }
        Ok(())
    }
}

impl Drop for Localnet {
    fn drop(&mut self) {
        if std::thread::panicking() {
            print_log_tails(&self.dir().join("logs"));
        }
        if let Err(e) = self.script(&["down"]) {
            eprintln!("warning: stopping the localnet failed: {e}");
        }
        if std::env::var_os("QUIRE_KEEP_LOCALNET").is_some() {
            if let Some(dir) = self.dir.take() {
                eprintln!("QUIRE_KEEP_LOCALNET: keeping {}", dir.keep().display());
            }
        }
    }
}

/// Prints the last lines of every log, so a failed CI run shows why.
fn print_log_tails(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for path in paths {
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let lines: Vec<&str> = text.lines().collect();
        eprintln!("----- last lines of {} -----", path.display());
        for line in &lines[lines.len().saturating_sub(25)..] {
            eprintln!("{line}");
        }
    }
}

/// A plain HTTP/1.1 GET on loopback: (status code, body). Enough for testing
/// the read API's HTTP transport without another client library.
pub fn http_get(base_url: &str, path: &str) -> anyhow::Result<(u16, String)> {
    let answer = http_call_with(base_url, "GET", path, None, &[])?;
    Ok((answer.status, answer.body))
}

/// One plain HTTP/1.1 exchange's answer.
#[derive(Debug)]
pub struct HttpAnswer {
    /// The status code.
    pub status: u16,
    /// The status line and headers, as sent.
    pub head: String,
    /// The body (de-chunked).
    pub body: String,
}

impl HttpAnswer {
    /// The value of header `name` (case-insensitive), if sent.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.trim()
                .eq_ignore_ascii_case(name)
                .then_some(value.trim())
        })
    }
}

/// A plain HTTP/1.1 `method` of `path` on loopback, with a JSON `body`.
pub fn http_call(
    base_url: &str,
    method: &str,
    path: &str,
    body: Option<&str>,
) -> anyhow::Result<HttpAnswer> {
    http_call_with(base_url, method, path, body, &[])
}

/// A JSON-RPC style POST of `body` to `url`; the body of a 200 answer.
pub fn http_post_json(url: &str, body: &str) -> anyhow::Result<String> {
    let answer = http_call_with(url, "POST", "/", Some(body), &[])?;
    if answer.status != 200 {
        bail!("POST {url}: HTTP {}: {}", answer.status, answer.body);
    }
    Ok(answer.body)
}

/// [`http_call`] with extra request `headers`.
pub fn http_call_with(
    base_url: &str,
    method: &str,
    path: &str,
    body: Option<&str>,
    headers: &[(&str, &str)],
) -> anyhow::Result<HttpAnswer> {
    use std::io::{Read, Write};
    let host = base_url.trim_start_matches("http://").trim_end_matches('/');
    let mut stream =
        std::net::TcpStream::connect(host).with_context(|| format!("cannot connect to {host}"))?;
    stream.set_read_timeout(Some(std::time::Duration::from_secs(30)))?;
    let body = body.unwrap_or("");
    let extra: String = headers
        .iter()
        .map(|(name, value)| format!("{name}: {value}\r\n"))
        .collect();
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nContent-Type: application/json\r\n{extra}Content-Length: {}\r\n\r\n{body}",
        body.len()
    )?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response)?;
    let text = String::from_utf8_lossy(&response).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .with_context(|| format!("no status line in {text:?}"))?;
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let body = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        dechunk(body)
    } else {
        body.to_string()
    };
    Ok(HttpAnswer {
        status,
        head: head.to_string(),
        body,
    })
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let Ok(size) = usize::from_str_radix(size.trim(), 16) else {
            break;
        };
        if size == 0 || rest.len() < size {
            break;
        }
        out.push_str(&rest[..size]);
        body = rest[size..].trim_start_matches("\r\n");
    }
    out
}

/// A non-validator full node (CometBFT + quired) that joins a running
/// localnet late and block-syncs; killed on drop.
pub struct FullNode {
    children: Vec<std::process::Child>,
    /// Its CometBFT RPC URL.
    pub rpc: String,
    /// Its gRPC read API URL.
    pub grpc: String,
    /// Its HTTP read API URL.
    pub http: String,
    /// Its home directory.
    pub dir: PathBuf,
}

/// Where a state-syncing node starts trusting the chain: a height and its
/// block hash (hex), as an operator takes them from a node they trust.
#[derive(Debug, Clone)]
pub struct TrustPoint {
    /// The trusted height.
    pub height: u64,
    /// Its block hash, hex.
    pub hash: String,
}

impl Drop for FullNode {
    fn drop(&mut self) {
        for child in &mut self.children {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Localnet {
    fn run_quiet(command: &mut Command) -> anyhow::Result<String> {
        let output = command
            .output()
            .with_context(|| format!("cannot run {command:?}"))?;
        if !output.status.success() {
            bail!(
                "{command:?} failed: {}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        Ok(String::from_utf8_lossy(&output.stdout).trim().to_string())
    }

    /// Starts a full node (not a validator) that connects to every validator
    /// and catches up from genesis by block sync.
    pub fn join_full_node(&self) -> anyhow::Result<FullNode> {
        self.join_node("fullnode", None)
    }

    /// Starts a node named `name` that block-syncs from the validators; with
    /// `clone_key = Some(i)` it runs validator `i`'s consensus key too (a
    /// double signer: CometBFT's own evidence catches it).
    pub fn join_node(&self, name: &str, clone_key: Option<usize>) -> anyhow::Result<FullNode> {
        self.join(name, clone_key, None)
    }

    /// Starts a full node named `name` that state-syncs: CometBFT's light
    /// client, trusting `trust`, verifies a snapshot the validators offer
    /// (they must take snapshots: `localnet.sh up --snapshot-interval N`),
    /// quired restores it, and the node block-syncs from there.
    pub fn join_state_sync_node(&self, name: &str, trust: &TrustPoint) -> anyhow::Result<FullNode> {
        self.join(name, None, Some(trust))
    }

    fn join(
        &self,
        name: &str,
        clone_key: Option<usize>,
        trust: Option<&TrustPoint>,
    ) -> anyhow::Result<FullNode> {
        let cometbft = PathBuf::from(self.var("QUIRE_COMETBFT_BIN")?);
        let base_port: u16 = self.var("QUIRE_BASE_PORT")?.parse()?;
        let base = free_port_base(10)?;
        let dir = self.dir().join(name);
        let (cmt_home, quired_home) = (dir.join("cometbft"), dir.join("quired"));
        Self::run_quiet(
            Command::new(&cometbft)
                .arg("init")
                .arg("--home")
                .arg(&cmt_home),
        )?;
        if let Some(i) = clone_key {
            std::fs::copy(
                self.dir()
                    .join(format!("node{i}/cometbft/config/priv_validator_key.json")),
                cmt_home.join("config/priv_validator_key.json"),
            )?;
        }
        std::fs::copy(
            self.dir().join("genesis.json"),
            cmt_home.join("config/genesis.json"),
        )?;
        let mut peers = Vec::new();
        for i in 0..self.nodes {
            let home = self.dir().join(format!("node{i}/cometbft"));
            let id = Self::run_quiet(
                Command::new(&cometbft)
                    .arg("show-node-id")
                    .arg("--home")
                    .arg(home),
            )?;
            peers.push(format!("{id}@127.0.0.1:{}", base_port + 10 * i as u16));
        }
        // Unlisted keys keep CometBFT's defaults (block sync is on by default);
        // the p2p packet size must match the validators' (docs/localnet.md).
        let config = format!(
            "proxy_app = \"tcp://127.0.0.1:{abci}\"\nmoniker = \"{name}\"\n\n[rpc]\nladdr = \"tcp://127.0.0.1:{rpc}\"\n\n\
             [p2p]\nladdr = \"tcp://127.0.0.1:{p2p}\"\npersistent_peers = \"{peers}\"\naddr_book_strict = false\n\
             allow_duplicate_ip = true\npex = false\n\
             max_packet_msg_payload_size = 10240\nsend_rate = 52428800\nrecv_rate = 52428800\n\n[mempool]\nmax_tx_bytes = 2621440\n\n[consensus]\n\
             timeout_commit = \"500ms\"\n{propose}\n[tx_index]\nindexer = \"kv\"\n{statesync}",
            abci = base + 2,
            rpc = base + 1,
            p2p = base,
            peers = peers.join(","),
            // A clone gives up on proposals at once and prevotes nil while
            // the original prevotes the block: conflicting votes by one key.
            statesync = match trust {
                Some(trust) => format!(
                    "\n[statesync]\nenable = true\nrpc_servers = \"{servers}\"\ntrust_height = {height}\n\
                     trust_hash = \"{hash}\"\ntrust_period = \"168h0m0s\"\ndiscovery_time = \"5s\"\n\
                     chunk_request_timeout = \"10s\"\n",
                    // CometBFT wants two RPC servers (the same one twice will do).
                    servers = (0..2)
                        .map(|i| i % self.nodes.max(1))
                        .map(|i| format!("http://127.0.0.1:{}", base_port + 10 * i as u16 + 1))
                        .collect::<Vec<_>>()
                        .join(","),
                    height = trust.height,
                    hash = trust.hash,
                ),
                None => String::new(),
            },
            propose = if clone_key.is_some() {
                "timeout_propose = \"1ms\"\ntimeout_propose_delta = \"1ms\"\n"
            } else {
                ""
            },
        );
        std::fs::write(cmt_home.join("config/config.toml"), config)?;
        let quired = quired_bin()?;
        Self::run_quiet(
            Command::new(&quired)
                .args(["init", "--home"])
                .arg(&quired_home)
                .arg("--abci-addr")
                .arg(format!("tcp://127.0.0.1:{}", base + 2))
                .arg("--cometbft-rpc")
                .arg(format!("http://127.0.0.1:{}", base + 1))
                .arg("--grpc-addr")
                .arg(format!("127.0.0.1:{}", base + 4))
                .arg("--http-addr")
                .arg(format!("127.0.0.1:{}", base + 5))
                .arg("--metrics-addr")
                .arg(format!("127.0.0.1:{}", base + 6)),
        )?;
        let log = |kind: &str| {
            std::fs::File::create(self.dir().join("logs").join(format!("{name}-{kind}.log")))
        };
        let mut node = FullNode {
            children: Vec::new(),
            rpc: format!("http://127.0.0.1:{}", base + 1),
            grpc: format!("http://127.0.0.1:{}", base + 4),
            http: format!("http://127.0.0.1:{}", base + 5),
            dir,
        };
        let quired_log = log("quired")?;
        node.children.push(
            Command::new(&quired)
                .args(["start", "--home"])
                .arg(&quired_home)
                .stdout(quired_log.try_clone()?)
                .stderr(quired_log)
                .spawn()?,
        );
        std::thread::sleep(std::time::Duration::from_millis(500));
        let cometbft_log = log("cometbft")?;
        node.children.push(
            Command::new(&cometbft)
                .args(["start", "--home"])
                .arg(&cmt_home)
                .stdout(cometbft_log.try_clone()?)
                .stderr(cometbft_log)
                .spawn()?,
        );
        Ok(node)
    }
}

pub use quire_test_utils::Rng;
pub mod geth;
pub mod rollup;
pub mod test_node;
