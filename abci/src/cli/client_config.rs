//! The client configuration, `<home>/config/client.toml`, as in the Cosmos
//! SDK: defaults for the flags a user would otherwise repeat on every
//! command (`--node`, `--output`, `--keyring-backend`) and the chain the
//! transactions are meant for. A flag or its environment variable still
//! wins; `quired config` writes the file.
//!
//! ```toml
//! node = "http://127.0.0.1:26657"
//! chain-id = "quire-mainnet"
//! output = "text"
//! keyring-backend = "file"
//! ```
//!
//! The file is read once, before the command line is parsed, from the home
//! the command names (`--home`, else `QUIRED_HOME`, else `~/.quired`).

use crate::cli::keys::KeyringBackend;
use crate::cli::Output;
use anyhow::{bail, Context};
use serde::{Deserialize, Serialize};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The built-in default of `--node` (CometBFT's default RPC address).
pub const DEFAULT_NODE: &str = "http://127.0.0.1:26657";

/// Largest client.toml read.
const MAX_FILE_BYTES: u64 = 64 * 1024;

/// What `client.toml` may set; every key is optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ClientConfig {
    /// Default `--node`: a node's CometBFT RPC URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
    /// The chain transactions are for: `quired tx` refuses a node of
    /// another chain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chain_id: Option<String>,
    /// Default `--output`: `text` or `json`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<String>,
    /// Default `--keyring-backend`: `file` or `test`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keyring_backend: Option<String>,
}

/// The keys `quired config` knows, in file order.
pub const KEYS: &[&str] = &["node", "chain-id", "output", "keyring-backend"];

/// The client config file of `home`.
pub fn path(home: &Path) -> PathBuf {
    home.join("config").join("client.toml")
}

impl ClientConfig {
    /// Reads `<home>/config/client.toml`; a missing file is an empty config.
    pub fn load(home: &Path) -> anyhow::Result<ClientConfig> {
        use std::io::Read;
        let file = path(home);
        let mut text = String::new();
        match std::fs::File::open(&file) {
            Ok(f) => {
                f.take(MAX_FILE_BYTES + 1)
                    .read_to_string(&mut text)
                    .with_context(|| format!("cannot read {}", file.display()))?;
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Self::default()),
            Err(e) => return Err(e).with_context(|| format!("cannot open {}", file.display())),
        }
        if text.len() as u64 > MAX_FILE_BYTES {
            bail!("{} is larger than {MAX_FILE_BYTES} bytes", file.display());
        }
        let config: ClientConfig = toml::from_str(&text)
            .map_err(|e| anyhow::anyhow!("{}: {}", file.display(), e.message()))?;
        for key in KEYS {
            if let Some(value) = config.get(key) {
                check(key, &value).with_context(|| format!("{}", file.display()))?;
            }
        }
        Ok(config)
    }

    /// The value of `key`, if set.
    pub fn get(&self, key: &str) -> Option<String> {
        match key {
            "node" => self.node.clone(),
            "chain-id" => self.chain_id.clone(),
            "output" => self.output.clone(),
            "keyring-backend" => self.keyring_backend.clone(),
            _ => None,
        }
    }

    /// Sets `key` to `value` (checked), or unsets it when `value` is empty.
    pub fn set(&mut self, key: &str, value: &str) -> anyhow::Result<()> {
        let value = (!value.is_empty()).then(|| value.to_string());
        if let Some(v) = &value {
            check(key, v)?;
        }
        match key {
            "node" => self.node = value,
            "chain-id" => self.chain_id = value,
            "output" => self.output = value,
            "keyring-backend" => self.keyring_backend = value,
            _ => bail!(
                "unknown client config key {key:?}: the keys are {}",
                KEYS.join(", ")
            ),
        }
        Ok(())
    }

    /// Writes the config to `<home>/config/client.toml` (atomically: a
    /// temporary file renamed over it).
    pub fn save(&self, home: &Path) -> anyhow::Result<PathBuf> {
        let file = path(home);
        let dir = file.parent().unwrap_or(home);
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let text = format!(
            "# quired client configuration: defaults for --node, --output and\n# --keyring-backend, and the chain txs are for. Written by `quired config`.\n{}",
            toml::to_string(self).context("cannot encode the client config")?
        );
        let temporary = file.with_extension("toml.tmp");
        std::fs::write(&temporary, text)
            .with_context(|| format!("cannot write {}", temporary.display()))?;
        std::fs::rename(&temporary, &file)
            .with_context(|| format!("cannot replace {}", file.display()))?;
        Ok(file)
    }
}

/// Checks a value of `key`.
fn check(key: &str, value: &str) -> anyhow::Result<()> {
    match key {
        "node" => {
            value
                .parse::<tendermint_rpc::HttpClientUrl>()
                .map_err(|e| anyhow::anyhow!("node {value:?} is not an http(s) URL: {e}"))?;
        }
        "chain-id" => {
            value
                .parse::<tendermint::chain::Id>()
                .map_err(|e| anyhow::anyhow!("chain-id {value:?}: {e}"))?;
        }
        "output" => {
            <Output as clap::ValueEnum>::from_str(value, false)
                .map_err(|_| anyhow::anyhow!("output {value:?}: expected text or json"))?;
        }
        "keyring-backend" => {
            <KeyringBackend as clap::ValueEnum>::from_str(value, false)
                .map_err(|_| anyhow::anyhow!("keyring-backend {value:?}: expected file or test"))?;
        }
        _ => bail!(
            "unknown client config key {key:?}: the keys are {}",
            KEYS.join(", ")
        ),
    }
    Ok(())
}

static CURRENT: OnceLock<ClientConfig> = OnceLock::new();

/// The home a command line names: `--home X` / `--home=X`, else
/// `QUIRED_HOME`, else the default home.
pub fn home_of(args: &[OsString]) -> PathBuf {
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        if arg == "--home" {
            if let Some(value) = iter.next() {
                return PathBuf::from(value);
            }
        } else if let Some(value) = arg.to_str().and_then(|a| a.strip_prefix("--home=")) {
            return PathBuf::from(value);
        }
    }
    std::env::var_os("QUIRED_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(crate::cli::default_home)
}

/// The commands whose flags take defaults from the client config (the
/// others only warn when it is broken).
pub const CLIENT_COMMANDS: &[&str] = &["keys", "tx", "query", "chain-info"];

/// Whether `args` run one of [`CLIENT_COMMANDS`].
pub fn is_client_command(args: &[OsString]) -> bool {
    args.iter()
        .skip(1)
        .find(|a| !a.to_string_lossy().starts_with('-'))
        .is_some_and(|command| CLIENT_COMMANDS.iter().any(|c| command == *c))
}

/// Loads the client config of the home `args` name, for the flag defaults
/// below. Call once, before parsing the command line.
pub fn init(args: &[OsString]) -> anyhow::Result<()> {
    let config = ClientConfig::load(&home_of(args))?;
    let _ = CURRENT.set(config);
    Ok(())
}

/// The loaded client config (empty before [`init`]).
pub fn current() -> &'static ClientConfig {
    CURRENT.get_or_init(ClientConfig::default)
}

/// The default of `--node`.
pub fn default_node() -> String {
    current()
        .node
        .clone()
        .unwrap_or_else(|| DEFAULT_NODE.to_string())
}

/// The default of `--output`.
pub fn default_output() -> Output {
    current()
        .output
        .as_deref()
        .and_then(|o| <Output as clap::ValueEnum>::from_str(o, false).ok())
        .unwrap_or_default()
}

/// The default of `--keyring-backend`.
pub fn default_keyring_backend() -> KeyringBackend {
    current()
        .keyring_backend
        .as_deref()
        .and_then(|b| <KeyringBackend as clap::ValueEnum>::from_str(b, false).ok())
        .unwrap_or_default()
}

/// `quired config`: show or change `<home>/config/client.toml`.
#[derive(Debug, clap::Subcommand)]
pub enum ConfigCommand {
    /// Print the value of one key (empty when unset).
    Get {
        /// node, chain-id, output or keyring-backend.
        key: String,
        #[command(flatten)]
        home: crate::cli::HomeArg,
    },
    /// Set a key (an empty value unsets it).
    Set {
        /// node, chain-id, output or keyring-backend.
        key: String,
        /// The value.
        value: String,
        #[command(flatten)]
        home: crate::cli::HomeArg,
    },
    /// Print the whole file's settings.
    Show {
        #[command(flatten)]
        home: crate::cli::HomeArg,
    },
}

impl ConfigCommand {
    /// Runs the subcommand.
    pub fn run(self) -> anyhow::Result<()> {
        self.execute(&mut std::io::stdout().lock())
    }

    fn execute(self, out: &mut dyn std::io::Write) -> anyhow::Result<()> {
        match self {
            ConfigCommand::Get { key, home } => {
                if !KEYS.contains(&key.as_str()) {
                    bail!(
                        "unknown client config key {key:?}: the keys are {}",
                        KEYS.join(", ")
                    );
                }
                let config = ClientConfig::load(&home.home)?;
                writeln!(out, "{}", config.get(&key).unwrap_or_default())?;
            }
            ConfigCommand::Set { key, value, home } => {
                let mut config = ClientConfig::load(&home.home)?;
                config.set(&key, &value)?;
                let file = config.save(&home.home)?;
                eprintln!("{key} = {value:?} in {}", file.display());
            }
            ConfigCommand::Show { home } => {
                let config = ClientConfig::load(&home.home)?;
                for key in KEYS {
                    writeln!(out, "{key} = {:?}", config.get(key).unwrap_or_default())?;
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(home: &Path, args: &[&str]) -> anyhow::Result<String> {
        use clap::Parser;
        #[derive(Debug, Parser)]
        struct Cli {
            #[command(subcommand)]
            command: ConfigCommand,
        }
        let argv = std::iter::once("config")
            .chain(args.iter().copied())
            .chain(["--home", home.to_str().unwrap_or_default()]);
        let mut out = Vec::new();
        Cli::try_parse_from(argv)?.command.execute(&mut out)?;
        Ok(String::from_utf8(out)?)
    }

    #[test]
    fn set_get_show_and_refuse_bad_values() {
        let tmp = tempfile::tempdir().unwrap();
        let home = tmp.path();
        assert_eq!(run(home, &["get", "node"]).unwrap(), "\n");
        run(home, &["set", "node", "http://10.0.0.5:26657"]).unwrap();
        run(home, &["set", "chain-id", "quire-test"]).unwrap();
        run(home, &["set", "output", "json"]).unwrap();
        assert_eq!(
            run(home, &["get", "node"]).unwrap(),
            "http://10.0.0.5:26657\n"
        );
        assert_eq!(
            run(home, &["show"]).unwrap(),
            "node = \"http://10.0.0.5:26657\"\nchain-id = \"quire-test\"\noutput = \"json\"\nkeyring-backend = \"\"\n"
        );
        let loaded = ClientConfig::load(home).unwrap();
        assert_eq!(loaded.output.as_deref(), Some("json"));
        // An empty value unsets.
        run(home, &["set", "output", ""]).unwrap();
        assert_eq!(ClientConfig::load(home).unwrap().output, None);
        for (key, value, expected) in [
            ("node", "localhost:26657", "not an http(s) URL"),
            ("output", "yaml", "expected text or json"),
            ("keyring-backend", "os", "expected file or test"),
            ("chain-id", &"x".repeat(60), "chain-id"),
            ("colour", "blue", "unknown client config key"),
        ] {
            let err = run(home, &["set", key, value]).unwrap_err().to_string();
            assert!(err.contains(expected), "{key}: {err}");
        }
        // A hand-edited file with a bad value or key is refused when read.
        std::fs::write(path(home), "output = \"yaml\"\n").unwrap();
        let err = format!("{:#}", ClientConfig::load(home).unwrap_err());
        assert!(err.contains("client.toml") && err.contains("yaml"), "{err}");
        std::fs::write(path(home), "nodes = \"x\"\n").unwrap();
        let err = format!("{:#}", ClientConfig::load(home).unwrap_err());
        assert!(err.contains("unknown field"), "{err}");
    }

    #[test]
    fn the_home_comes_from_the_command_line_first() {
        let args = |list: &[&str]| list.iter().map(OsString::from).collect::<Vec<_>>();
        assert_eq!(
            home_of(&args(&["quired", "tx", "send", "--home", "/a"])),
            PathBuf::from("/a")
        );
        assert_eq!(
            home_of(&args(&["quired", "query", "--home=/b", "params"])),
            PathBuf::from("/b")
        );
        assert!(is_client_command(&args(&["quired", "tx", "send"])));
        assert!(!is_client_command(&args(&[
            "quired", "start", "--home", "/a"
        ])));
        assert!(!is_client_command(&args(&["quired"])));
    }
}
