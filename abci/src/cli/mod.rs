//! The `quired` command line, one module per command group.

pub mod chain_info;
pub mod debug;
pub mod encryption;
pub mod genesis;
pub mod init;
pub mod keys;
pub mod l1;
pub mod query;
pub mod secret_input;
pub mod staking;
pub mod start;
pub mod tx;

use std::path::PathBuf;

/// `--home`: the node or client home directory.
#[derive(Debug, Clone, clap::Args)]
pub struct HomeArg {
    /// Home directory (config, data, keyring).
    #[arg(long, env = "QUIRED_HOME", default_value_os_t = default_home())]
    pub home: PathBuf,
}

/// `$HOME/.quired`, or `./.quired` when HOME is unset.
pub fn default_home() -> PathBuf {
    std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."))
        .join(".quired")
}

/// `--node`: a node's CometBFT RPC endpoint.
#[derive(Debug, Clone, clap::Args)]
pub struct NodeArg {
    /// CometBFT RPC URL of the node to talk to.
    #[arg(long, env = "QUIRE_NODE", default_value = "http://127.0.0.1:26657")]
    pub node: String,
}

/// `--output`: how results are printed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Output {
    /// Human-readable text.
    #[default]
    Text,
    /// One JSON object.
    Json,
}
