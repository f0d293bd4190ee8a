//! The `quired` command line, one module per command group.

pub mod chain_info;
pub mod client_config;
pub mod command;
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

pub use command::Cli;

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
    /// CometBFT RPC URL of the node to talk to (default: client.toml's
    /// `node`, see `quired config`, else http://127.0.0.1:26657).
    #[arg(long, env = "QUIRE_NODE", default_value_t = client_config::default_node())]
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

/// An error as one line for the terminal: each cause's message, joined
/// with ": ", without the multi-line "Caused by" / "Location" / backtrace
/// blocks some libraries (tendermint-rpc's tracer) put into their messages.
/// With `RUST_BACKTRACE` set, [`main`](../../quired/index.html) prints the
/// full report as well.
pub fn error_line(error: &anyhow::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    for cause in error.chain() {
        let text = cause.to_string();
        let mut message = String::new();
        for line in text.lines() {
            let line = line.trim();
            if line.starts_with("Location:") || line.starts_with("Stack backtrace:") {
                break;
            }
            if line.is_empty() || line == "Caused by:" {
                continue;
            }
            if !message.is_empty() {
                message.push_str(": ");
            }
            message.push_str(line);
        }
        // A cause that repeats what its parent already said adds nothing.
        if !message.is_empty() && !parts.last().is_some_and(|p| p.ends_with(&message)) {
            parts.push(message);
        }
    }
    let mut line = parts.join(": ");
    if line.contains("Connection refused") {
        line.push_str(
            " (is a node running there? Give --node URL, or set a default with `quired config set node URL`)",
        );
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_print_on_one_line() {
        let traced = "HTTP error\n\nCaused by:\n    error sending request: Connection refused (os error 111)\n\nLocation:\n    /x/eyre.rs:10:9\n\nStack backtrace:\n   0: eyre::x\n             at /x.rs:1";
        let error =
            anyhow::anyhow!("{traced}").context("RPC abci_query to http://127.0.0.1:2 failed");
        assert!(
            error_line(&error).starts_with(
                "RPC abci_query to http://127.0.0.1:2 failed: HTTP error: error sending request: Connection refused (os error 111) (is a node"
            ),
            "{}",
            error_line(&error)
        );
        assert!(error_line(&error).ends_with("`quired config set node URL`)"));
        let plain = anyhow::anyhow!("inner").context("outer");
        assert_eq!(error_line(&plain), "outer: inner");
    }
}
