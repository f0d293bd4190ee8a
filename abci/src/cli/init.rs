//! `quired init`: create a node home (`config/quired.toml` and `data/`), and
//! [`NodeConfig`], the config file every other command reads.

use crate::cli::HomeArg;
use anyhow::{bail, Context};
use serde::{Deserialize, Serialize};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// The config file, relative to the home directory.
pub const CONFIG_FILE: &str = "config/quired.toml";

/// Default ABCI listen address (CometBFT's default `proxy_app`).
pub const DEFAULT_ABCI_ADDR: &str = "tcp://127.0.0.1:26658";

/// Default database path, relative to the home directory.
pub const DEFAULT_DB_PATH: &str = "data/quired.redb";

/// Default tracing filter.
pub const DEFAULT_LOG_FILTER: &str = "info";

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
}

impl Default for NodeConfig {
    fn default() -> Self {
        NodeConfig {
            abci_addr: DEFAULT_ABCI_ADDR.to_string(),
            db_path: PathBuf::from(DEFAULT_DB_PATH),
            log_filter: DEFAULT_LOG_FILTER.to_string(),
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
        text.push_str(&format!(
            "abci_addr = {}   # where quired listens for CometBFT (tcp://host:port or unix:///path)\n\
             db_path = {}          # relative to home\n\
             log_filter = {}                  # tracing EnvFilter directive\n",
            quote(&self.abci_addr),
            quote(db_path),
            quote(&self.log_filter),
        ));
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
        ])
        .unwrap();
        assert!(out.contains("abci_addr: tcp://127.0.0.1:26612"), "{out}");
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
        assert_eq!(config.resolve_db_path(&home), home.join("data/quired.redb"));
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
    fn the_written_file_has_the_documented_form() {
        let text = NodeConfig::default().to_toml(None).unwrap();
        assert_eq!(
            text,
            "# quired configuration\n\
             abci_addr = \"tcp://127.0.0.1:26658\"   # where quired listens for CometBFT (tcp://host:port or unix:///path)\n\
             db_path = \"data/quired.redb\"          # relative to home\n\
             log_filter = \"info\"                  # tracing EnvFilter directive\n"
        );
        assert_eq!(
            toml::from_str::<NodeConfig>(&text).unwrap(),
            NodeConfig::default()
        );
    }
}
