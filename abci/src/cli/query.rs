//! `quired query`: read accounts, params and blobs from a node.

use crate::cli::{NodeArg, Output};
use anyhow::{bail, Context};
use quire_client::read::{ReadClient, VerifiedReader};
use quire_client::verify::{VerifiedNamespace, Verifier};
use quire_client::NodeClient;
use quire_core::{Address, Namespace};
use std::path::PathBuf;
use std::time::Duration;

/// `quired query ...`
#[derive(Debug, clap::Subcommand)]
pub enum QueryCommand {
    /// An account's balance, number and next sequence. With --verify, read
    /// with a state proof and checked against the chain's validator set:
    /// nothing the node says is trusted.
    Account {
        /// Address (quire1...).
        address: Address,
        #[command(flatten)]
        node: NodeArg,
        /// Verify the answer: its state proof against the app hash of the
        /// next header, the header against the validators of --genesis.
        #[arg(long, requires = "genesis")]
        verify: bool,
        /// The chain's genesis.json (the root of trust for --verify).
        #[arg(long, env = "QUIRE_GENESIS")]
        genesis: Option<PathBuf>,
        /// How long --verify waits for the next two blocks, in seconds.
        #[arg(long, default_value_t = 30)]
        wait_secs: u64,
        /// Output format.
        #[arg(long, value_enum, default_value_t)]
        output: Output,
    },
    /// Validators, delegations, unbondings, the pools.
    #[command(subcommand)]
    Staking(crate::cli::staking::StakingQuery),
    /// Rewards.
    #[command(subcommand)]
    Distribution(crate::cli::staking::DistributionQuery),
    /// The chain parameters.
    Params {
        #[command(flatten)]
        node: NodeArg,
    },
    /// The blobs of one namespace at one height, in block order, verified
    /// against the chain's validator set (from its genesis file).
    Blobs {
        /// Block height.
        #[arg(long)]
        height: u64,
        #[command(flatten)]
        target: NamespaceArgs,
        #[command(flatten)]
        read: ReadArgs,
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// Follow one namespace from a height on, verified: history, then every
    /// new block, one JSON line per height. Reconnects and resumes by itself.
    Follow {
        /// First height.
        #[arg(long, default_value_t = 1)]
        from: u64,
        /// Stop after this many heights (default: never).
        #[arg(long)]
        count: Option<u64>,
        #[command(flatten)]
        target: NamespaceArgs,
        #[command(flatten)]
        read: ReadArgs,
    },
}

/// Which namespace.
#[derive(Debug, clap::Args)]
pub struct NamespaceArgs {
    /// Namespace as 64 hex digits.
    #[arg(long, conflicts_with = "rollup")]
    namespace: Option<Namespace>,
    /// Rollup name; its namespace is sha256(name).
    #[arg(long)]
    rollup: Option<String>,
}

impl NamespaceArgs {
    fn namespace(&self) -> anyhow::Result<Namespace> {
        match (&self.namespace, &self.rollup) {
            (Some(ns), None) => Ok(*ns),
            (None, Some(name)) => Ok(Namespace::from_rollup_name(name)),
            _ => bail!("give the namespace with --namespace <64 hex digits> or --rollup <name>"),
        }
    }
}

/// Where to read and what to trust.
#[derive(Debug, clap::Args)]
pub struct ReadArgs {
    /// gRPC read API of a node (any node: nothing it says is trusted).
    #[arg(long, env = "QUIRE_GRPC", default_value = "http://127.0.0.1:9190")]
    api: String,
    /// The chain's genesis.json: its validator set is the root of trust.
    #[arg(long, env = "QUIRE_GENESIS")]
    genesis: PathBuf,
    /// How long to wait for a height that is not served yet, in seconds.
    #[arg(long, default_value_t = 30)]
    wait_secs: u64,
}

/// A verifier trusting the validators of the genesis file at `path`.
fn verifier_from(path: &std::path::Path) -> anyhow::Result<Verifier> {
    let genesis = std::fs::read_to_string(path)
        .with_context(|| format!("--genesis: cannot read {}", path.display()))?;
    Verifier::from_genesis_json(&genesis)
        .with_context(|| format!("--genesis: {} is not a usable genesis file", path.display()))
}

impl ReadArgs {
    async fn reader(&self) -> anyhow::Result<VerifiedReader> {
        Ok(VerifiedReader::new(
            ReadClient::connect(&self.api).await?,
            verifier_from(&self.genesis)?,
        ))
    }
}

fn verified_json(v: &VerifiedNamespace) -> serde_json::Value {
    let blobs: Vec<_> = v
        .blobs
        .iter()
        .map(|(signer, data)| {
            serde_json::json!({
                "signer": signer.to_bech32(),
                "data_hex": hex::encode(data),
                "data_utf8": std::str::from_utf8(data).ok(),
            })
        })
        .collect();
    serde_json::json!({
        "height": v.height,
        "namespace": v.namespace.to_hex(),
        "time": v.time.to_rfc3339(),
        "verified": true,
        "blobs": blobs,
    })
}

impl QueryCommand {
    /// Runs the command.
    pub fn run(self) -> anyhow::Result<()> {
        let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
        runtime.block_on(self.run_async())
    }

    async fn run_async(self) -> anyhow::Result<()> {
        match self {
            QueryCommand::Account {
                address,
                node,
                verify,
                genesis,
                wait_secs,
                output,
            } => {
                let client = NodeClient::new(&node.node)?;
                let (account, proven_at) = match (verify, genesis) {
                    (true, Some(genesis)) => {
                        let mut verifier = verifier_from(&genesis)?;
                        let verified = client
                            .verified_account(
                                &address,
                                &mut verifier,
                                Duration::from_secs(wait_secs),
                            )
                            .await?;
                        let Some(account) = verified.account else {
                            bail!(
                                "account {address} does not exist (proven at height {}, verified \
                                 against the validator set)",
                                verified.height
                            );
                        };
                        (account, Some(verified.height))
                    }
                    _ => {
                        let Some(account) = client.account(&address).await? else {
                            bail!("account {address} not found");
                        };
                        let balance = account.balance.parse::<u128>().with_context(|| {
                            format!("the node answered a balance {:?}", account.balance)
                        })?;
                        let account = quire_core::account::Account {
                            balance,
                            account_number: account.account_number,
                            sequence: account.sequence,
                        };
                        (account, None)
                    }
                };
                match output {
                    Output::Json => println!(
                        "{}",
                        serde_json::json!({
                            "address": address.to_bech32(),
                            "balance": account.balance.to_string(),
                            "account_number": account.account_number,
                            "sequence": account.sequence,
                            "verified": proven_at.is_some(),
                            "height": proven_at,
                        })
                    ),
                    Output::Text => {
                        println!("address: {address}");
                        println!("balance: {}", account.balance);
                        println!("account_number: {}", account.account_number);
                        println!("sequence: {}", account.sequence);
                        if let Some(height) = proven_at {
                            println!(
                                "verified: state at height {height}, proven against the app hash \
                                 of header {} (signed by the validator set)",
                                height + 1
                            );
                        }
                    }
                }
            }
            QueryCommand::Staking(command) => command.run().await?,
            QueryCommand::Distribution(command) => command.run().await?,
            QueryCommand::Params { node } => {
                let params = NodeClient::new(&node.node)?.params().await?;
                println!("{}", serde_json::to_string_pretty(&params)?);
            }
            QueryCommand::Blobs {
                height,
                target,
                read,
                json,
            } => {
                let namespace = target.namespace()?;
                let mut reader = read.reader().await?;
                let verified = reader
                    .fetch(height, &namespace, Duration::from_secs(read.wait_secs))
                    .await?;
                if json {
                    println!("{}", verified_json(&verified));
                } else {
                    println!(
                        "height {height}, namespace {namespace}: {} blob(s), verified against the \
                         validator set (block time {})",
                        verified.blobs.len(),
                        verified.time.to_rfc3339()
                    );
                    for (i, (signer, data)) in verified.blobs.iter().enumerate() {
                        let shown = match std::str::from_utf8(data) {
                            Ok(text) => text.to_string(),
                            Err(_) => format!("0x{}", hex::encode(data)),
                        };
                        println!("  [{i}] from {signer}: {shown}");
                    }
                }
            }
            QueryCommand::Follow {
                from,
                count,
                target,
                read,
            } => {
                let namespace = target.namespace()?;
                let mut follower = read.reader().await?.follow(namespace, from);
                let mut printed = 0;
                while count.is_none_or(|c| printed < c) {
                    let verified = follower.next().await?;
                    println!("{}", verified_json(&verified));
                    printed += 1;
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `--api` defaults to the gRPC read API a node listens on by default.
    #[test]
    fn the_api_default_is_the_default_grpc_addr() {
        let command = <ReadArgs as clap::Args>::augment_args(clap::Command::new("read"));
        let api = command
            .get_arguments()
            .find(|arg| arg.get_id() == "api")
            .unwrap();
        let defaults: Vec<_> = api.get_default_values().iter().collect();
        assert_eq!(
            defaults,
            [&format!("http://{}", crate::config::GRPC_ADDR.default)]
        );
    }
}
