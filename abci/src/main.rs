//! `quired`: the Quire validator application and its command line (the
//! library `quired` holds everything; this is its entry point).

use clap::{Parser, Subcommand};
use quired::cli;

/// Quire: a lazy shared sequencer for rollups.
#[derive(Debug, Parser)]
#[command(name = "quired", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create a node home: config and data directory.
    Init(cli::init::InitArgs),
    /// Manage the keyring of signing keys.
    #[command(subcommand)]
    Keys(cli::keys::KeysCommand),
    /// Create or validate a genesis file.
    #[command(subcommand)]
    Genesis(cli::genesis::GenesisCommand),
    /// The validator's L1 checkpoint key.
    #[command(subcommand)]
    L1(cli::l1::L1Command),
    /// Run the ABCI application for CometBFT.
    Start(cli::start::StartArgs),
    /// Sign and broadcast transactions.
    #[command(subcommand)]
    Tx(cli::tx::TxCommand),
    /// Query a node.
    #[command(subcommand)]
    Query(cli::query::QueryCommand),
    /// Describe a running network for the Cosmos ecosystem: chain-registry
    /// chain.json and assetlist.json, Keplr's suggestChain object.
    ChainInfo(cli::chain_info::ChainInfoArgs),
    /// Show or set the client config (default --node, --output,
    /// --keyring-backend, and the chain txs are for).
    #[command(subcommand)]
    Config(cli::client_config::ConfigCommand),
    /// Offline checks of a stopped node's database.
    #[command(subcommand)]
    Debug(cli::debug::DebugCommand),
}

fn main() -> std::process::ExitCode {
    // The client config gives flag defaults, so it is read first.
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if let Err(error) = cli::client_config::init(&args) {
        // Only the client commands read it: a broken client file must not
        // stop a node from starting (nor `quired config` from saying so).
        if cli::client_config::is_client_command(&args) {
            eprintln!("error: client config: {}", cli::error_line(&error));
            return std::process::ExitCode::FAILURE;
        }
        eprintln!(
            "warning: client config ignored: {}",
            cli::error_line(&error)
        );
    }
    let cli = Cli::parse_from(args);
    let result = match cli.command {
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
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {}", cli::error_line(&error));
            if std::env::var_os("RUST_BACKTRACE").is_some_and(|v| v != "0") {
                eprintln!("\n{error:?}");
            }
            std::process::ExitCode::FAILURE
        }
    }
}
