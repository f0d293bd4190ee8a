//! `quired init`: create a node home (`config/quired.toml` and `data/`). The
//! config file itself is [`crate::config::NodeConfig`].

use crate::cli::HomeArg;
use crate::config::{
    parse_listen_addr, validate_abci_addr, validate_http_url, NodeConfig, ABCI_ADDR, COMETBFT_RPC,
    GRPC_ADDR, HTTP_ADDR, METRICS_ADDR, SNAPSHOT_INDEX_HEIGHTS,
};
use anyhow::{bail, Context};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Arguments of `quired init`.
#[derive(Debug, clap::Args)]
pub struct InitArgs {
    #[command(flatten)]
    home: HomeArg,
    /// Chain id the node is for (checked, and noted in the config file).
    #[arg(long, value_parser = parse_chain_id)]
    chain_id: Option<String>,
    /// Where quired will listen for CometBFT: tcp://host:port or unix:///path.
    #[arg(long, default_value = ABCI_ADDR.default, value_parser = parse_abci_addr)]
    abci_addr: String,
    /// This node's CometBFT RPC URL (http:// or https://), used by the read API.
    #[arg(long, default_value = COMETBFT_RPC.default, value_parser = parse_http_url)]
    cometbft_rpc: String,
    /// Listen address (ip:port) of the gRPC read API; "" disables it.
    #[arg(long, default_value = GRPC_ADDR.default, value_parser = parse_listen_addr_arg)]
    grpc_addr: String,
    /// Listen address (ip:port) of the HTTP/JSON read API; "" disables it.
    #[arg(long, default_value = HTTP_ADDR.default, value_parser = parse_listen_addr_arg)]
    http_addr: String,
    /// Listen address (ip:port) of the Prometheus metrics; "" disables them.
    #[arg(long, default_value = METRICS_ADDR.default, value_parser = parse_listen_addr_arg)]
    metrics_addr: String,
    /// A state-sync snapshot every this many heights (0: none; see
    /// docs/operators.md, "State sync").
    #[arg(long, default_value_t = 0)]
    snapshot_interval: u64,
    /// How many recent heights' blob index each snapshot carries (so a node
    /// that state-syncs serves reads of them; 0: none).
    #[arg(long, default_value_t = SNAPSHOT_INDEX_HEIGHTS.default)]
    snapshot_index_heights: u64,
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
            metrics_addr: self.metrics_addr,
            snapshot_interval: self.snapshot_interval,
            snapshot_index_heights: self.snapshot_index_heights,
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
        // The L1 key is never replaced, not even with --force: losing it
        // would leave a validator unable to sign checkpoints.
        let key_path = crate::l1_key::path(home);
        let (l1_signer, created) = match crate::l1_key::load_if_present(&key_path)? {
            Some(signer) => (signer, false),
            None => (crate::l1_key::generate(&key_path)?, true),
        };
        // Nor is the key-generation secret.
        let dkg_path = crate::dkg_key::path(home);
        let (dkg_secret, dkg_created) = match crate::dkg_key::load_if_present(&dkg_path)? {
            Some(secret) => (secret, false),
            None => (crate::dkg_key::generate(&dkg_path)?, true),
        };
        writeln!(out, "initialised quired home {}", home.display())?;
        writeln!(out, "  config:    {}", path.display())?;
        writeln!(
            out,
            "  L1 key:    {} ({}{})",
            l1_signer.address(),
            key_path.display(),
            if created { "" } else { ", kept" }
        )?;
        writeln!(
            out,
            "  dkg key:   {} ({}{})",
            crate::dkg_key::public_hex(&dkg_secret.public()),
            dkg_path.display(),
            if dkg_created { "" } else { ", kept" }
        )?;
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
        writeln!(out, "  metrics:   {}", or_off(&config.metrics_addr))?;
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
    use crate::config::{API_MAX_RANGE, CONFIG_FILE, DB_PATH};
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
        assert_eq!(config.db_path, PathBuf::from(DB_PATH.default));
        assert_eq!(config.log_filter, "info");
        assert_eq!(config.cometbft_rpc, "http://127.0.0.1:26611");
        assert_eq!(config.grpc_addr, "127.0.0.1:26614");
        assert_eq!(config.http_addr, "[::1]:26615");
        assert_eq!(config.api_max_range, API_MAX_RANGE.default);
        assert_eq!(config.resolve_db_path(&home), home.join("data/quired.redb"));
    }

    #[test]
    fn init_defaults_to_loopback_and_empty_addresses_disable_the_apis() {
        let tmp = tempfile::tempdir().unwrap();
        let home = tmp.path().to_str().unwrap();
        let out = init(&["--home", home]).unwrap();
        assert!(
            out.contains("read API:  grpc 127.0.0.1:9190, http 127.0.0.1:8080"),
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
        assert_eq!(NodeConfig::load(home).unwrap().abci_addr, ABCI_ADDR.default);
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
            (["--grpc-addr", "localhost:9190"], "not an ip:port address"),
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
}
