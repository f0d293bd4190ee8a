//! The whole `quired` command line: the top-level parser the binary runs
//! (and tests parse documented commands with).

use super::*;
use clap::{Parser, Subcommand};

/// Quire: a lazy shared sequencer for rollups.
#[derive(Debug, Parser)]
#[command(name = "quired", version, about)]
pub struct Cli {
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a node home: config and data directory.
    Init(init::InitArgs),
    /// Manage the keyring of signing keys.
    #[command(subcommand)]
    Keys(keys::KeysCommand),
    /// Create or validate a genesis file.
    #[command(subcommand)]
    Genesis(genesis::GenesisCommand),
    /// The validator's L1 checkpoint key.
    #[command(subcommand)]
    L1(l1::L1Command),
    /// Run the ABCI application for CometBFT.
    Start(start::StartArgs),
    /// Sign and broadcast transactions.
    #[command(subcommand)]
    Tx(tx::TxCommand),
    /// Query a node.
    #[command(subcommand)]
    Query(query::QueryCommand),
    /// Describe a running network for the Cosmos ecosystem: chain-registry
    /// chain.json and assetlist.json, Keplr's suggestChain object.
    ChainInfo(chain_info::ChainInfoArgs),
    /// Show or set the client config (default --node, --output,
    /// --keyring-backend, and the chain txs are for).
    #[command(subcommand)]
    Config(client_config::ConfigCommand),
    /// Offline checks of a stopped node's database.
    #[command(subcommand)]
    Debug(debug::DebugCommand),
}

impl Cli {
    /// Runs the parsed command.
    pub fn run(self) -> anyhow::Result<()> {
        match self.command {
            Command::Init(args) => args.run(),
            Command::Keys(command) => command.run(),
            Command::Genesis(command) => command.run(),
            Command::L1(command) => command.run(),
            Command::Start(args) => args.run(),
            Command::Tx(command) => command.run(),
            Command::Query(command) => command.run(),
            Command::ChainInfo(args) => args.run(),
            Command::Config(command) => command.run(),
            Command::Debug(command) => command.run(),
        }
    }
}
