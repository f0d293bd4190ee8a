//! `quired query`: read accounts, params and blobs from a node.

use crate::cli::{NodeArg, Output};
use anyhow::{bail, Context};
use quire_app::{Address, Namespace};
use quire_client::NodeClient;

/// `quired query ...`
#[derive(Debug, clap::Subcommand)]
pub enum QueryCommand {
    /// An account's balance, number and next sequence.
    Account {
        /// Address (quire1...).
        address: Address,
        #[command(flatten)]
        node: NodeArg,
        /// Output format.
        #[arg(long, value_enum, default_value_t)]
        output: Output,
    },
    /// The chain parameters.
    Params {
        #[command(flatten)]
        node: NodeArg,
    },
    /// The blobs of one namespace at one height, in block order.
    Blobs {
        /// Block height.
        #[arg(long)]
        height: u64,
        /// Namespace as 64 hex digits.
        #[arg(long, conflicts_with = "rollup")]
        namespace: Option<Namespace>,
        /// Rollup name; its namespace is sha256(name).
        #[arg(long)]
        rollup: Option<String>,
        #[command(flatten)]
        node: NodeArg,
        /// Output format.
        #[arg(long, value_enum, default_value_t)]
        output: Output,
        /// Shorthand for --output json.
        #[arg(long)]
        json: bool,
    },
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
                output,
            } => {
                let client = NodeClient::new(&node.node)?;
                let Some(account) = client.account(&address).await? else {
                    bail!("account {address} not found");
                };
                match output {
                    Output::Json => println!(
                        "{}",
                        serde_json::json!({
                            "address": account.address,
                            "balance": account.balance,
                            "account_number": account.account_number,
                            "sequence": account.sequence,
                        })
                    ),
                    Output::Text => {
                        println!("address: {}", account.address);
                        println!("balance: {}", account.balance);
                        println!("account_number: {}", account.account_number);
                        println!("sequence: {}", account.sequence);
                    }
                }
            }
            QueryCommand::Params { node } => {
                let params = NodeClient::new(&node.node)?.params().await?;
                println!("{}", serde_json::to_string_pretty(&params)?);
            }
            QueryCommand::Blobs {
                height,
                namespace,
                rollup,
                node,
                output,
                json,
            } => {
                let namespace = match (namespace, rollup) {
                    (Some(ns), None) => ns,
                    (None, Some(name)) => Namespace::from_rollup_name(&name),
                    _ => bail!(
                        "give the namespace with --namespace <64 hex digits> or --rollup <name>"
                    ),
                };
                let answer = NodeClient::new(&node.node)?
                    .blobs(height, &namespace)
                    .await?;
                if json || output == Output::Json {
                    let blobs: Vec<_> = answer
                        .blobs
                        .iter()
                        .map(|b| {
                            serde_json::json!({
                                "signer": b.signer,
                                "tx_hash": hex::encode_upper(&b.tx_hash),
                                "tx_index": b.tx_index,
                                "msg_index": b.msg_index,
                                "data_hex": hex::encode(&b.data),
                                "data_utf8": String::from_utf8(b.data.clone()).ok(),
                            })
                        })
                        .collect();
                    println!(
                        "{}",
                        serde_json::json!({ "height": height, "namespace": namespace.to_hex(), "blobs": blobs })
                    );
                } else {
                    println!(
                        "height {height}, namespace {namespace}: {} blob(s)",
                        answer.blobs.len()
                    );
                    for (i, b) in answer.blobs.iter().enumerate() {
                        let shown = match std::str::from_utf8(&b.data) {
                            Ok(text) => text.to_string(),
                            Err(_) => format!("0x{}", hex::encode(&b.data)),
                        };
                        println!(
                            "  [{i}] tx {} (index {}, msg {}) from {}: {}",
                            hex::encode_upper(&b.tx_hash),
                            b.tx_index,
                            b.msg_index,
                            b.signer,
                            shown
                        );
                    }
                }
            }
        }
        Ok(())
    }
}
