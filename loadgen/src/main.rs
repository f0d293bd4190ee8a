//! `quire-loadgen`: measures how many transactions and blob bytes a Quire
//! network commits, how fast, and at what cost, next to CometBFT's own
//! kvstore app on the same machine. See docs/benchmarks.md.
//!
//! - `accounts`: the load accounts' genesis lines (`ADDRESS:AMOUNT`), for
//!   `localnet.sh up --accounts-file`;
//! - `run`: one scenario against a running network, written as JSON;
//! - `report`: every scenario's JSON into a markdown report and PNG plots.

mod plot;
mod procstat;
mod report;
mod run;
mod stats;
mod uri;
mod workload;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "quire-loadgen",
    version,
    about = "Load generator and benchmark report for Quire"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print the load accounts as `ADDRESS:AMOUNT` lines (genesis funding).
    Accounts {
        /// Seed the accounts derive from.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// How many.
        #[arg(long, default_value_t = 64)]
        count: usize,
    },
    /// Run one scenario against a running network and write its result.
    Run(run::RunArgs),
    /// Turn the results of many runs into a markdown report with plots.
    Report(report::ReportArgs),
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Accounts { seed, count } => {
            for account in workload::derive_accounts(seed, count)? {
                println!(
                    "{}:{}",
                    account.address.to_bech32(),
                    workload::GENESIS_BALANCE
                );
            }
        }
        Command::Run(args) => {
            let result = run::run(args).await?;
            println!("{}", report::one_line(&result));
        }
        Command::Report(args) => report::write(&args)?,
    }
    Ok(())
}
