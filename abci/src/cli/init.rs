//! `quired init`: create a node home (`config/quired.toml` and `data/`), and
//! [`NodeConfig`], the config file every other command reads.

use crate::cli::HomeArg;
use anyhow::{bail, Context};
use serde::{Deserialize, Serialize};
use std::io::{Read, Write};
use std::net::SocketAddr;
use std::ops::RangeInclusive;
use std::path::{Path, PathBuf};

/// The config file, relative to the home directory.
pub const CONFIG_FILE: &str = "config/quired.toml";

/// Default ABCI listen address (CometBFT's default `proxy_app`).
pub const DEFAULT_ABCI_ADDR: &str = "tcp://127.0.0.1:26658";

/// Default database path, relative to the home directory.
pub const DEFAULT_DB_PATH: &str = "data/quired.redb";

/// Default tracing filter.
pub const DEFAULT_LOG_FILTER: &str = "info";

/// Default CometBFT RPC URL of this node (CometBFT's default `rpc.laddr`).
pub const DEFAULT_COMETBFT_RPC: &str = "http://127.0.0.1:26657";

/// Default listen address of the gRPC read API (loopback only).
pub const DEFAULT_GRPC_ADDR: &str = "127.0.0.1:9090";

/// Default listen address of the HTTP/JSON read API (loopback only).
pub const DEFAULT_HTTP_ADDR: &str = "127.0.0.1:8080";

/// Default most heights one range request of the read API returns.
pub const DEFAULT_API_MAX_RANGE: u64 = 100;

/// Allowed values of `api_max_range`.
pub const API_MAX_RANGE_BOUNDS: RangeInclusive<u64> = 1..=1000;

/// Default per-request timeout of the read API, in seconds.
pub const DEFAULT_API_REQUEST_TIMEOUT_SECS: u64 = 30;

/// Allowed values of `api_request_timeout_secs`.
pub const API_REQUEST_TIMEOUT_SECS_BOUNDS: RangeInclusive<u64> = 1..=600;

/// Default most concurrent streams of the read API.
pub const DEFAULT_API_MAX_STREAMS: usize = 256;

/// Allowed values of `api_max_streams`.
pub const API_MAX_STREAMS_BOUNDS: RangeInclusive<usize> = 1..=10_000;

/// Default most bytes one range or block response of the read API carries (64 MiB).
pub const DEFAULT_API_MAX_RESPONSE_BYTES: u64 = 64 * 1024 * 1024;

/// Allowed values of `api_max_response_bytes`: 1 MiB to 1 GiB.
pub const API_MAX_RESPONSE_BYTES_BOUNDS: RangeInclusive<u64> = 1024 * 1024..=1024 * 1024 * 1024;

/// Largest config file read.
const MAX_CONFIG_BYTES: u64 = 1024 * 1024;

/// `<home>/config/quired.toml`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NodeConfig {
    /// Where quired listens for CometBFT: `tcp://host:port` or `unix:///path`.
    pub abci_addr: String,
    /// The database file; relative paths are relative to the home directory.
    pub db_path: PathBuf,
    /// `tracing` EnvFilter directive (`RUST_LOG` overrides it).
    pub log_filter: String,
    /// This node's CometBFT RPC (`http://` or `https://` URL): the read API
    /// fetches signed headers, commits and validator sets from it.
    pub cometbft_rpc: String,
    /// Listen address (`ip:port`) of the gRPC read API; empty disables it.
    pub grpc_addr: String,
    /// Listen address (`ip:port`) of the HTTP/JSON read API; empty disables it.
    pub http_addr: String,
    /// Most heights one range request returns.
    pub api_max_range: u64,
    /// Per-request timeout of the read API, in seconds.
    pub api_request_timeout_secs: u64,
    /// Most concurrent streams of the read API.
    pub api_max_streams: usize,
    /// Most bytes one range or block response carries.
    pub api_max_response_bytes: u64,
}

impl Default for NodeConfig {
    fn default() -> Self {
        NodeConfig {
            abci_addr: DEFAULT_ABCI_ADDR.to_string(),
            db_path: PathBuf::from(DEFAULT_DB_PATH),
            log_filter: DEFAULT_LOG_FILTER.to_string(),
            cometbft_rpc: DEFAULT_COMETBFT_RPC.to_string(),
            grpc_addr: DEFAULT_GRPC_ADDR.to_string(),
            http_addr: DEFAULT_HTTP_ADDR.to_string(),
            api_max_range: DEFAULT_API_MAX_RANGE,
            api_request_timeout_secs: DEFAULT_API_REQUEST_TIMEOUT_SECS,
            api_max_streams: DEFAULT_API_MAX_STREAMS,
            api_max_response_bytes: DEFAULT_API_MAX_RESPONSE_BYTES,
        }
    }
}

impl NodeConfig {
    /// The config file of `home`.
    pub fn path(home: impl AsRef<Path>) -> PathBuf {
        home.as_ref().join(CONFIG_FILE)
    }

    /// Reads and checks `<home>/config/quired.toml`. Missing keys take their
    /// defaults; unknown keys are refused. Errors name the file and the field.
    pub fn load(home: impl AsRef<Path>) -> anyhow::Result<NodeConfig> {
        let home = home.as_ref();
        if !home.is_dir() {
            bail!(
                "home directory {} does not exist: run `quired init --home {}` first",
                home.display(),
                home.display()
            );
        }
        let path = Self::path(home);
        if !path.exists() {
            bail!(
                "config file {} does not exist: run `quired init --home {}` first",
                path.display(),
                home.display()
            );
        }
        let mut text = String::new();
        std::fs::File::open(&path)
            .and_then(|file| file.take(MAX_CONFIG_BYTES + 1).read_to_string(&mut text))
            .with_context(|| format!("cannot read config file {}", path.display()))?;
        if text.len() as u64 > MAX_CONFIG_BYTES {
            bail!(
                "config file {} is larger than {MAX_CONFIG_BYTES} bytes",
                path.display()
            );
        }
        let config: NodeConfig = toml::from_str(&text).map_err(|e| {
            anyhow::anyhow!(
                "config file {}: {}",
                path.display(),
                e.to_string().trim_end()
            )
        })?;
        config
            .validate()
            .map_err(|e| anyhow::anyhow!("config file {}: {e}", path.display()))?;
        Ok(config)
    }

    /// Checks every field, naming the first bad one.
    pub fn validate(&self) -> anyhow::Result<()> {
        validate_abci_addr(&self.abci_addr)
            .map_err(|reason| anyhow::anyhow!("field abci_addr: {reason}"))?;
        if self.db_path.as_os_str().is_empty() {
            bail!("field db_path: must not be empty");
        }
        if self.db_path.to_str().is_none() {
            bail!("field db_path: must be valid UTF-8");
        }
        tracing_subscriber::EnvFilter::try_new(&self.log_filter).map_err(|e| {
            anyhow::anyhow!(
                "field log_filter: {:?} is not a valid filter directive: {e}",
                self.log_filter
            )
        })?;
        validate_http_url(&self.cometbft_rpc)
            .map_err(|reason| anyhow::anyhow!("field cometbft_rpc: {reason}"))?;
        let grpc = parse_listen_addr(&self.grpc_addr)
            .map_err(|reason| anyhow::anyhow!("field grpc_addr: {reason}"))?;
        let http = parse_listen_addr(&self.http_addr)
            .map_err(|reason| anyhow::anyhow!("field http_addr: {reason}"))?;
        if let (Some(grpc), Some(http)) = (grpc, http) {
            if grpc.port() == http.port()
                && (grpc.ip() == http.ip()
                    || grpc.ip().is_unspecified()
                    || http.ip().is_unspecified())
            {
                bail!(
                    "field http_addr: {:?} overlaps grpc_addr {:?}: the two APIs need different ports",
                    self.http_addr,
                    self.grpc_addr
                );
            }
        }
        check_bounds(
            "api_max_range",
            self.api_max_range,
            &API_MAX_RANGE_BOUNDS,
            "heights",
        )?;
        check_bounds(
            "api_request_timeout_secs",
            self.api_request_timeout_secs,
            &API_REQUEST_TIMEOUT_SECS_BOUNDS,
            "seconds",
        )?;
        check_bounds(
            "api_max_streams",
            self.api_max_streams,
            &API_MAX_STREAMS_BOUNDS,
            "streams",
        )?;
        check_bounds(
            "api_max_response_bytes",
            self.api_max_response_bytes,
            &API_MAX_RESPONSE_BYTES_BOUNDS,
            "bytes (1 MiB to 1 GiB)",
        )?;
        Ok(())
    }

    /// The database path: `db_path` itself if absolute, else joined to `home`.
    pub fn resolve_db_path(&self, home: impl AsRef<Path>) -> PathBuf {
        if self.db_path.is_absolute() {
            self.db_path.clone()
        } else {
            home.as_ref().join(&self.db_path)
        }
    }

    /// The config file's text, with a comment on every key. `chain_id`, if
    /// given, is recorded in a comment (CometBFT's genesis file is what sets it).
    pub fn to_toml(&self, chain_id: Option<&str>) -> anyhow::Result<String> {
        let quote = |s: &str| toml::Value::String(s.to_string()).to_string();
        let db_path = self
            .db_path
            .to_str()
            .context("field db_path: must be valid UTF-8")?;
        let mut text = String::from("# quired configuration\n");
        if let Some(chain_id) = chain_id {
            text.push_str(&format!(
                "# chain id: {chain_id} (informational: CometBFT's genesis.json sets it)\n"
            ));
        }
        let lines = [
            (
                format!("abci_addr = {}", quote(&self.abci_addr)),
                "where quired listens for CometBFT (tcp://host:port or unix:///path)",
            ),
            (format!("db_path = {}", quote(db_path)), "relative to home"),
            (
                format!("log_filter = {}", quote(&self.log_filter)),
                "tracing EnvFilter directive",
            ),
            (
                format!("cometbft_rpc = {}", quote(&self.cometbft_rpc)),
                "this node's CometBFT RPC (http:// or https://), used by the read API",
            ),
            (
                format!("grpc_addr = {}", quote(&self.grpc_addr)),
                "gRPC read API listen address (ip:port); \"\" disables it",
            ),
            (
                format!("http_addr = {}", quote(&self.http_addr)),
                "HTTP/JSON read API listen address (ip:port); \"\" disables it",
            ),
            (
                format!("api_max_range = {}", self.api_max_range),
                "most heights one range request returns (1 to 1000)",
            ),
            (
                format!(
                    "api_request_timeout_secs = {}",
                    self.api_request_timeout_secs
                ),
                "read API per-request timeout in seconds (1 to 600)",
            ),
            (
                format!("api_max_streams = {}", self.api_max_streams),
                "most concurrent read API streams (1 to 10000)",
            ),
            (
                format!("api_max_response_bytes = {}", self.api_max_response_bytes),
                "most bytes in one range or block response (1 MiB to 1 GiB)",
            ),
        ];
        for (key_value, comment) in lines {
            text.push_str(&format!("{key_value:<35}   # {comment}\n"));
        }
        Ok(text)
    }
}

/// Accepts `tcp://host:port` (port 1-65535) and `unix:///absolute/path`.
pub fn validate_abci_addr(addr: &str) -> Result<(), String> {
    if let Some(path) = addr.strip_prefix("unix://") {
        if !path.starts_with('/') || path.len() < 2 {
            return Err(format!("{addr:?}: a unix socket address needs an absolute path, e.g. unix:///tmp/quired.sock"));
        }
        return Ok(());
    }
    let Some(host_port) = addr.strip_prefix("tcp://") else {
        return Err(format!("{addr:?} must start with tcp:// or unix://"));
    };
    let Some((host, port)) = host_port.rsplit_once(':') else {
        return Err(format!("{addr:?} has no port: expected tcp://host:port"));
    };
    if host.is_empty() {
        return Err(format!("{addr:?} has no host: expected tcp://host:port"));
    }
    match port.parse::<u16>() {
        Ok(p) if p > 0 => Ok(()),
        _ => Err(format!(
            "{addr:?} has port {port:?}: expected a number from 1 to 65535"
        )),
    }
}

/// Accepts an `http://` or `https://` URL with a host, e.g. `http://127.0.0.1:26657`.
pub fn validate_http_url(url: &str) -> Result<(), String> {
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return Err(format!("{url:?} must start with http:// or https://"));
    }
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!(
            "{url:?} must not contain spaces or control characters"
        ));
    }
    if let Err(e) = url.parse::<tendermint_rpc::client::HttpClientUrl>() {
        // The trace's alternate form is the message chain ("parse error: empty
        // host"), without the location and backtrace the error's Display adds.
        return Err(format!("{url:?} is not a valid URL: {:#}", e.trace()));
    }
    Ok(())
}

/// Parses a listen address: `ip:port` (port 1-65535, IPv6 as `[::1]:port`),
/// or the empty string, which means "disabled" (`None`).
pub fn parse_listen_addr(addr: &str) -> Result<Option<SocketAddr>, String> {
    if addr.is_empty() {
        return Ok(None);
    }
    let parsed: SocketAddr = addr.parse().map_err(|_| {
        format!(
            "{addr:?} is not an ip:port address (e.g. 127.0.0.1:9090 or [::1]:9090; \"\" disables)"
        )
    })?;
    if parsed.port() == 0 {
        return Err(format!(
            "{addr:?} has port 0: expected a port from 1 to 65535"
        ));
    }
    Ok(Some(parsed))
}

/// Fails unless `value` lies in `bounds`, naming `field`.
fn check_bounds<T: PartialOrd + std::fmt::Display>(
    field: &str,
    value: T,
    bounds: &RangeInclusive<T>,
    unit: &str,
) -> anyhow::Result<()> {
    if !bounds.contains(&value) {
        bail!(
            "field {field}: {value} is out of range: expected {} to {} {unit}",
            bounds.start(),
            bounds.end()
        );
    }
    Ok(())
}

/// Arguments of `quired init`.
#[derive(Debug, clap::Args)]
pub struct InitArgs {
    #[command(flatten)]
    home: HomeArg,
    /// Chain id the node is for (checked, and noted in the config file).
    #[arg(long, value_parser = parse_chain_id)]
    chain_id: Option<String>,
    /// Where quired will listen for CometBFT: tcp://host:port or unix:///path.
    #[arg(long, default_value = DEFAULT_ABCI_ADDR, value_parser = parse_abci_addr)]
    abci_addr: String,
    /// This node's CometBFT RPC URL (http:// or https://), used by the read API.
    #[arg(long, default_value = DEFAULT_COMETBFT_RPC, value_parser = parse_http_url)]
    cometbft_rpc: String,
    /// Listen address (ip:port) of the gRPC read API; "" disables it.
    #[arg(long, default_value = DEFAULT_GRPC_ADDR, value_parser = parse_listen_addr_arg)]
    grpc_addr: String,
    /// Listen address (ip:port) of the HTTP/JSON read API; "" disables it.
    #[arg(long, default_value = DEFAULT_HTTP_ADDR, value_parser = parse_listen_addr_arg)]
    http_addr: String,
    /// Overwrite an existing config file (the data directory is left alone).
    #[arg(long)]
    force: bool,
}

fn parse_chain_id(text: &str) -> Result<String, String> {
    quire_app::genesis::validate_chain_id(text).map_err(|e| e.to_string())?;
    Ok(text.to_string())
}

fn parse_abci_addr(text: &str) -> Result<String, String> {
    validate_abci_addr(text).map(|()| text.to_string())
}

fn parse_http_url(text: &str) -> Result<String, String> {
    validate_http_url(text).map(|()| text.to_string())
}

fn parse_listen_addr_arg(text: &str) -> Result<String, String> {
    parse_listen_addr(text).map(|_| text.to_string())
}

impl InitArgs {
    /// Creates `<home>/config/quired.toml` and `<home>/data/`.
    pub fn run(self) -> anyhow::Result<()> {
        self.execute(&mut std::io::stdout().lock())
    }

    fn execute(self, out: &mut dyn Write) -> anyhow::Result<()> {
        let home = &self.home.home;
        let path = NodeConfig::path(home);
        if path.exists() && !self.force {
            bail!(
                "config file {} already exists: pass --force to overwrite it",
                path.display()
            );
        }
        let config = NodeConfig {
            abci_addr: self.abci_addr,
            cometbft_rpc: self.cometbft_rpc,
            grpc_addr: self.grpc_addr,
            http_addr: self.http_addr,
            ..NodeConfig::default()
        };
        config.validate()?;
        let text = config.to_toml(self.chain_id.as_deref())?;
        let config_dir = home.join("config");
        let data_dir = home.join("data");
        for dir in [&config_dir, &data_dir] {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create directory {}", dir.display()))?;
        }
        write_atomically(&path, text.as_bytes())?;
        writeln!(out, "initialised quired home {}", home.display())?;
        writeln!(out, "  config:    {}", path.display())?;
        writeln!(
            out,
            "  database:  {}",
            config.resolve_db_path(home).display()
        )?;
        writeln!(out, "  abci_addr: {}", config.abci_addr)?;
        writeln!(out, "  cometbft:  {}", config.cometbft_rpc)?;
        let or_off = |addr: &str| {
            if addr.is_empty() {
                "off".to_string()
            } else {
                addr.to_string()
            }
        };
        writeln!(
            out,
            "  read API:  grpc {}, http {}",
            or_off(&config.grpc_addr),
            or_off(&config.http_addr)
        )?;
        if let Some(chain_id) = &self.chain_id {
            writeln!(out, "  chain id:  {chain_id}")?;
        }
        Ok(())
    }
}

/// Writes `bytes` to `path` through a temporary file renamed into place.
fn write_atomically(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    let result = std::fs::write(&tmp, bytes).and_then(|()| std::fs::rename(&tmp, path));
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(e).with_context(|| format!("cannot write config file {}", path.display()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(flatten)]
        args: InitArgs,
    }

    fn init(args: &[&str]) -> anyhow::Result<String> {
        let cli = Cli::try_parse_from(std::iter::once("init").chain(args.iter().copied()))?;
        let mut out = Vec::new();
        cli.args.execute(&mut out)?;
        Ok(String::from_utf8(out)?)
    }

    #[test]
    fn init_writes_a_config_that_loads() {
        let tmp = tempfile::tempdir().unwrap();
        let home = tmp.path().join("node0");
        let home_arg = home.to_str().unwrap();
        let out = init(&[
            "--home",
            home_arg,
            "--chain-id",
            "quire-1",
            "--abci-addr",
            "tcp://127.0.0.1:26612",
            "--cometbft-rpc",
            "http://127.0.0.1:26611",
            "--grpc-addr",
            "127.0.0.1:26614",
            "--http-addr",
            "[::1]:26615",
        ])
        .unwrap();
        assert!(out.contains("abci_addr: tcp://127.0.0.1:26612"), "{out}");
        assert!(out.contains("cometbft:  http://127.0.0.1:26611"), "{out}");
        assert!(
            out.contains("read API:  grpc 127.0.0.1:26614, http [::1]:26615"),
            "{out}"
        );
        assert!(home.join("data").is_dir());
        let text = std::fs::read_to_string(home.join(CONFIG_FILE)).unwrap();
        assert!(
            text.starts_with("# quired configuration\n# chain id: quire-1"),
            "{text}"
        );
        let config = NodeConfig::load(&home).unwrap();
        assert_eq!(config.abci_addr, "tcp://127.0.0.1:26612");
        assert_eq!(config.db_path, PathBuf::from(DEFAULT_DB_PATH));
        assert_eq!(config.log_filter, "info");
        assert_eq!(config.cometbft_rpc, "http://127.0.0.1:26611");
        assert_eq!(config.grpc_addr, "127.0.0.1:26614");
        assert_eq!(config.http_addr, "[::1]:26615");
        assert_eq!(config.api_max_range, DEFAULT_API_MAX_RANGE);
        assert_eq!(config.resolve_db_path(&home), home.join("data/quired.redb"));
    }

    #[test]
    fn init_defaults_to_loopback_and_empty_addresses_disable_the_apis() {
        let tmp = tempfile::tempdir().unwrap();
        let home = tmp.path().to_str().unwrap();
        let out = init(&["--home", home]).unwrap();
        assert!(
            out.contains("read API:  grpc 127.0.0.1:9090, http 127.0.0.1:8080"),
            "{out}"
        );
        let config = NodeConfig::load(home).unwrap();
        assert_eq!(config, NodeConfig::default());
        for addr in [&config.grpc_addr, &config.http_addr] {
            let parsed = parse_listen_addr(addr).unwrap().unwrap();
            assert!(parsed.ip().is_loopback(), "{addr}");
        }
        let out = init(&[
            "--home",
            home,
            "--force",
            "--grpc-addr",
            "",
            "--http-addr",
            "",
        ])
        .unwrap();
        assert!(out.contains("read API:  grpc off, http off"), "{out}");
        let config = NodeConfig::load(home).unwrap();
        assert_eq!(
            (config.grpc_addr.as_str(), config.http_addr.as_str()),
            ("", "")
        );
        assert_eq!(parse_listen_addr(&config.grpc_addr).unwrap(), None);
    }

    #[test]
    fn init_refuses_to_overwrite_without_force() {
        let tmp = tempfile::tempdir().unwrap();
        let home = tmp.path().to_str().unwrap();
        init(&["--home", home]).unwrap();
        let err = init(&["--home", home, "--abci-addr", "tcp://127.0.0.1:1"])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("already exists") && err.contains("--force"),
            "{err}"
        );
        assert_eq!(NodeConfig::load(home).unwrap().abci_addr, DEFAULT_ABCI_ADDR);
        init(&[
            "--home",
            home,
            "--abci-addr",
            "unix:///tmp/q.sock",
            "--force",
        ])
        .unwrap();
        assert_eq!(
            NodeConfig::load(home).unwrap().abci_addr,
            "unix:///tmp/q.sock"
        );
    }

    #[test]
    fn bad_flags_name_the_flag() {
        let tmp = tempfile::tempdir().unwrap();
        let home = tmp.path().to_str().unwrap();
        let err = init(&["--home", home, "--abci-addr", "127.0.0.1:26658"])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("--abci-addr") && err.contains("must start with tcp://"),
            "{err}"
        );
        let err = init(&["--home", home, "--chain-id", "bad id"])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("--chain-id") && err.contains("may only contain"),
            "{err}"
        );
        let cases = [
            (
                ["--cometbft-rpc", "tcp://127.0.0.1:26657"],
                "must start with http://",
            ),
            (["--cometbft-rpc", "http://"], "not a valid URL"),
            (["--grpc-addr", "localhost:9090"], "not an ip:port address"),
            (["--grpc-addr", "127.0.0.1"], "not an ip:port address"),
            (["--http-addr", "127.0.0.1:0"], "port 0"),
        ];
        for ([flag, value], reason) in cases {
            let err = init(&["--home", home, flag, value])
                .unwrap_err()
                .to_string();
            assert!(
                err.contains(flag) && err.contains(reason),
                "{flag} {value}: {err}"
            );
        }
        let err = init(&[
            "--home",
            home,
            "--grpc-addr",
            "0.0.0.0:9000",
            "--http-addr",
            "127.0.0.1:9000",
        ])
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("field http_addr") && err.contains("different ports"),
            "{err}"
        );
        assert!(!tmp.path().join(CONFIG_FILE).exists());
    }

    #[test]
    fn load_explains_a_missing_home_and_file() {
        let tmp = tempfile::tempdir().unwrap();
        let missing = tmp.path().join("nowhere");
        let err = NodeConfig::load(&missing).unwrap_err().to_string();
        let expected = format!(
            "home directory {} does not exist: run `quired init --home {}` first",
            missing.display(),
            missing.display()
        );
        assert_eq!(err, expected);
        let err = NodeConfig::load(tmp.path()).unwrap_err().to_string();
        assert!(
            err.contains("config file") && err.contains("quired init"),
            "{err}"
        );
    }

    fn load_text(text: &str) -> anyhow::Result<NodeConfig> {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::create_dir(tmp.path().join("config")).unwrap();
        std::fs::write(tmp.path().join(CONFIG_FILE), text).unwrap();
        NodeConfig::load(tmp.path())
    }

    #[test]
    fn load_names_the_file_and_the_bad_field() {
        let cases = [
            ("abci_addr = \"localhost\"\n", "field abci_addr"),
            ("abci_addr = \"tcp://127.0.0.1:99999\"\n", "field abci_addr"),
            ("abci_addr = \"unix://relative.sock\"\n", "field abci_addr"),
            ("db_path = \"\"\n", "field db_path"),
            ("log_filter = \"info,[[[\"\n", "field log_filter"),
            ("abci_adr = \"tcp://127.0.0.1:1\"\n", "abci_adr"),
            ("abci_addr = 26658\n", "abci_addr"),
            ("abci_addr = \n", "line 1"),
            ("cometbft_rpc = \"127.0.0.1:26657\"\n", "field cometbft_rpc"),
            (
                "cometbft_rpc = \"ws://127.0.0.1:26657\"\n",
                "field cometbft_rpc",
            ),
            (
                "cometbft_rpc = \"http://127.0.0.1:99999\"\n",
                "field cometbft_rpc",
            ),
            (
                "cometbft_rpc = \"http://127.0.0.1:26657 \"\n",
                "field cometbft_rpc",
            ),
            ("grpc_addr = \"localhost:9090\"\n", "field grpc_addr"),
            ("grpc_addr = \"127.0.0.1:65536\"\n", "field grpc_addr"),
            ("http_addr = \"http://127.0.0.1:8080\"\n", "field http_addr"),
            ("http_addr = \"127.0.0.1:9090\"\n", "field http_addr"),
            ("api_max_range = 0\n", "field api_max_range"),
            ("api_max_range = 1001\n", "field api_max_range"),
            ("api_max_range = -1\n", "api_max_range"),
            (
                "api_request_timeout_secs = 0\n",
                "field api_request_timeout_secs",
            ),
            (
                "api_request_timeout_secs = 601\n",
                "field api_request_timeout_secs",
            ),
            ("api_max_streams = 0\n", "field api_max_streams"),
            ("api_max_streams = 10001\n", "field api_max_streams"),
            (
                "api_max_response_bytes = 1048575\n",
                "field api_max_response_bytes",
            ),
            (
                "api_max_response_bytes = 1073741825\n",
                "field api_max_response_bytes",
            ),
            (
                "api_max_response_bytes = \"64MiB\"\n",
                "api_max_response_bytes",
            ),
            ("api_max_rang = 10\n", "api_max_rang"),
        ];
        for (text, expected) in cases {
            let err = load_text(text).unwrap_err().to_string();
            assert!(
                err.contains("config/quired.toml") && err.contains(expected),
                "{text:?}: {err}"
            );
        }
    }

    #[test]
    fn missing_keys_take_defaults_and_absolute_db_paths_stay() {
        let config = load_text("db_path = \"/var/lib/quired.redb\"\n").unwrap();
        assert_eq!(config.abci_addr, DEFAULT_ABCI_ADDR);
        assert_eq!(
            config.resolve_db_path("/home/x"),
            PathBuf::from("/var/lib/quired.redb")
        );
    }

    #[test]
    fn a_file_written_before_the_read_api_keys_loads_with_their_defaults() {
        let old = "# quired configuration\n\
                   # chain id: quire-1 (informational: CometBFT's genesis.json sets it)\n\
                   abci_addr = \"tcp://127.0.0.1:26612\"   # where quired listens for CometBFT (tcp://host:port or unix:///path)\n\
                   db_path = \"data/quired.redb\"          # relative to home\n\
                   log_filter = \"info\"                  # tracing EnvFilter directive\n";
        let config = load_text(old).unwrap();
        assert_eq!(
            config,
            NodeConfig {
                abci_addr: "tcp://127.0.0.1:26612".to_string(),
                ..NodeConfig::default()
            }
        );
        assert_eq!(config.cometbft_rpc, DEFAULT_COMETBFT_RPC);
        assert_eq!(config.grpc_addr, DEFAULT_GRPC_ADDR);
        assert_eq!(config.http_addr, DEFAULT_HTTP_ADDR);
        assert_eq!(config.api_max_range, DEFAULT_API_MAX_RANGE);
        assert_eq!(
            config.api_request_timeout_secs,
            DEFAULT_API_REQUEST_TIMEOUT_SECS
        );
        assert_eq!(config.api_max_streams, DEFAULT_API_MAX_STREAMS);
        assert_eq!(
            config.api_max_response_bytes,
            DEFAULT_API_MAX_RESPONSE_BYTES
        );
    }

    #[test]
    fn read_api_defaults_and_bounds() {
        let config = NodeConfig::default();
        assert_eq!(config.cometbft_rpc, "http://127.0.0.1:26657");
        assert_eq!(config.grpc_addr, "127.0.0.1:9090");
        assert_eq!(config.http_addr, "127.0.0.1:8080");
        assert_eq!(config.api_max_range, 100);
        assert_eq!(config.api_request_timeout_secs, 30);
        assert_eq!(config.api_max_streams, 256);
        assert_eq!(config.api_max_response_bytes, 67_108_864);
        config.validate().unwrap();
        let edges = "cometbft_rpc = \"https://rpc.example.org:443/cometbft\"\n\
                     grpc_addr = \"[::1]:1\"\n\
                     http_addr = \"\"\n\
                     api_max_range = 1000\n\
                     api_request_timeout_secs = 600\n\
                     api_max_streams = 10000\n\
                     api_max_response_bytes = 1073741824\n";
        let config = load_text(edges).unwrap();
        assert_eq!(config.http_addr, "");
        assert_eq!(config.api_max_response_bytes, 1 << 30);
        let low = "api_max_range = 1\napi_request_timeout_secs = 1\n\
                   api_max_streams = 1\napi_max_response_bytes = 1048576\n";
        assert_eq!(load_text(low).unwrap().api_max_response_bytes, 1 << 20);
        let err = load_text("api_max_range = 0\n").unwrap_err().to_string();
        assert!(
            err.ends_with("field api_max_range: 0 is out of range: expected 1 to 1000 heights"),
            "{err}"
        );
        let err = load_text("grpc_addr = \"localhost:9090\"\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("field grpc_addr: \"localhost:9090\" is not an ip:port address"),
            "{err}"
        );
    }

    #[test]
    fn the_written_file_has_the_documented_form() {
        let text = NodeConfig::default().to_toml(None).unwrap();
        assert_eq!(
            text,
            "# quired configuration\n\
             abci_addr = \"tcp://127.0.0.1:26658\"   # where quired listens for CometBFT (tcp://host:port or unix:///path)\n\
             db_path = \"data/quired.redb\"          # relative to home\n\
             log_filter = \"info\"                   # tracing EnvFilter directive\n\
             cometbft_rpc = \"http://127.0.0.1:26657\"   # this node's CometBFT RPC (http:// or https://), used by the read API\n\
             grpc_addr = \"127.0.0.1:9090\"          # gRPC read API listen address (ip:port); \"\" disables it\n\
             http_addr = \"127.0.0.1:8080\"          # HTTP/JSON read API listen address (ip:port); \"\" disables it\n\
             api_max_range = 100                   # most heights one range request returns (1 to 1000)\n\
             api_request_timeout_secs = 30         # read API per-request timeout in seconds (1 to 600)\n\
             api_max_streams = 256                 # most concurrent read API streams (1 to 10000)\n\
             api_max_response_bytes = 67108864     # most bytes in one range or block response (1 MiB to 1 GiB)\n"
        );
        assert_eq!(
            toml::from_str::<NodeConfig>(&text).unwrap(),
            NodeConfig::default()
        );
    }
}
