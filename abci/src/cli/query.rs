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
        #[command(flatten)]
        proof: ProofArgs,
        /// Output format.
        #[arg(long, value_enum, default_value_t = crate::cli::client_config::default_output())]
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
        /// Also verify the read on this L1 (Ethereum JSON-RPC URL), against
        /// the anchor contract's history at the L1's finalized block.
        #[arg(long, requires = "anchor")]
        l1: Option<String>,
        /// The QuireAnchor contract's address (with --l1).
        #[arg(long, requires = "l1", value_parser = parse_l1_address)]
        anchor: Option<quire_core::l1::L1Address>,
        /// How long to wait until the height is anchored and final on the
        /// L1, in seconds (with --l1).
        #[arg(long, default_value_t = 180)]
        l1_wait_secs: u64,
        /// Also say where each blob came from: the encrypted envelope that
        /// revealed it (its slot, position and tx hash, from the height's
        /// reveal record, proven in state against the validator set of
        /// --genesis; needs --node), or the block's own transactions.
        #[arg(long)]
        origins: bool,
        #[command(flatten)]
        node: NodeArg,
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// Blind ordering's epoch key and rules (docs/blind-ordering.md): what
    /// `tx submit-blob --encrypt` seals to. With --verify, proven in state
    /// against the validator set of --genesis.
    Encryption {
        #[command(flatten)]
        node: NodeArg,
        #[command(flatten)]
        proof: ProofArgs,
    },
    /// Audit the reveal at a height (docs/blind-ordering.md, "Audit"): its
    /// record proven in state, then every envelope it resolved re-opened
    /// with the key the reveal published (checked against the epoch key)
    /// from the slot's block, and compared with the record. Exit status 1
    /// with the first difference.
    AuditReveal {
        /// The reveal height.
        #[arg(long)]
        height: u64,
        /// The chain's genesis.json (the root of trust).
        #[arg(long, env = "QUIRE_GENESIS")]
        genesis: PathBuf,
        /// How long to wait for the next two blocks, in seconds.
        #[arg(long, default_value_t = 30)]
        wait_secs: u64,
        #[command(flatten)]
        node: NodeArg,
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

/// `--verify` of the state queries.
#[derive(Debug, clap::Args)]
pub struct ProofArgs {
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
}

impl ProofArgs {
    /// The verifier and wait of `--verify`, or `None` without it.
    fn verifier(&self) -> anyhow::Result<Option<(Verifier, Duration)>> {
        match (&self.verify, &self.genesis) {
            (true, Some(genesis)) => Ok(Some((
                verifier_from(genesis)?,
                Duration::from_secs(self.wait_secs),
            ))),
            _ => Ok(None),
        }
    }
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

fn parse_l1_address(text: &str) -> Result<quire_core::l1::L1Address, String> {
    text.parse().map_err(|e| format!("{e}"))
}

/// Verifies `namespace` at `height` on the L1 at `url`, waiting (with a
/// progress line on stderr) until the height is anchored and final there.
async fn l1_verified(
    read: &ReadClient,
    url: &str,
    anchor: quire_core::l1::L1Address,
    height: u64,
    namespace: &Namespace,
    wait: Duration,
) -> anyhow::Result<quire_client::l1::L1VerifiedNamespace> {
    use quire_client::l1::{verify_namespace, AnchorReader, EthRpc, L1Error};
    let anchor = AnchorReader::new(EthRpc::new(url)?, anchor);
    let deadline = std::time::Instant::now() + wait;
    let mut said = String::new();
    let mut progress = |line: String| {
        if line != said {
            eprintln!("{line}");
            said = line;
        }
    };
    loop {
        match verify_namespace(read, &anchor, height, namespace).await {
            Err(L1Error::NotAnchoredYet { below, .. }) if std::time::Instant::now() < deadline => {
                progress(format!("waiting for height {height} to be anchored and final on L1 (the finalized anchor holds heights below {below})"));
                tokio::time::sleep(Duration::from_secs(2)).await;
            }
            Err(L1Error::NoContract { .. }) if std::time::Instant::now() < deadline => {
                progress(format!("waiting for the anchor's deployment to be final on L1 (then for height {height})"));
                tokio::time::sleep(Duration::from_secs(2)).await;
            }
            Err(L1Error::NotAnchoredYet { below, .. }) => anyhow::bail!(
                "height {height} is not anchored and final on L1 after {wait:?} (the finalized anchor holds heights below {below}); is a relayer running?"
            ),
            other => return Ok(other?),
        }
    }
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

fn origin_json(blob: &quire_client::reveal::BoundBlob) -> serde_json::Value {
    match &blob.envelope {
        Some(envelope) => serde_json::json!({
            "kind": "envelope",
            "slot": envelope.slot,
            "tx_index": envelope.tx_index,
            "tx_hash": hex::encode_upper(envelope.tx_hash),
        }),
        None => serde_json::json!({ "kind": "plaintext" }),
    }
}

fn origin_text(blob: &quire_client::reveal::BoundBlob) -> String {
    match &blob.envelope {
        Some(envelope) => format!(
            "revealed from the envelope ordered at height {}, tx {} ({}), proven by the reveal record",
            envelope.slot,
            envelope.tx_index,
            hex::encode_upper(envelope.tx_hash)
        ),
        None => "a plaintext blob of this block's own transactions".into(),
    }
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
                proof,
                output,
            } => {
                let client = NodeClient::new(&node.node)?;
                let (account, proven_at) = match proof.verifier()? {
                    Some((mut verifier, wait)) => {
                        let verified = client
                            .verified_account(&address, &mut verifier, wait)
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
                    None => {
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
                l1,
                anchor,
                l1_wait_secs,
                origins,
                node,
                json,
            } => {
                let namespace = target.namespace()?;
                let mut reader = read.reader().await?;
                let verified = reader
                    .fetch(height, &namespace, Duration::from_secs(read.wait_secs))
                    .await?;
                let bound = if origins {
                    let mut verifier = verifier_from(&read.genesis)?;
                    let record = NodeClient::new(&node.node)?
                        .verified_reveal_record(
                            height,
                            &mut verifier,
                            Duration::from_secs(read.wait_secs),
                        )
                        .await?;
                    Some(record.bind(&verified)?)
                } else {
                    None
                };
                let on_l1 = match (l1, anchor) {
                    (Some(url), Some(anchor)) => {
                        let read_client = ReadClient::connect(&read.api).await?;
                        let on_l1 = l1_verified(
                            &read_client,
                            &url,
                            anchor,
                            height,
                            &namespace,
                            Duration::from_secs(l1_wait_secs),
                        )
                        .await?;
                        if on_l1.blobs != verified.blobs {
                            anyhow::bail!("the read verified on L1 differs from the one verified by the light client: the node or one of the verifiers is faulty");
                        }
                        Some(on_l1)
                    }
                    _ => None,
                };
                if json {
                    let mut value = verified_json(&verified);
                    if let Some(bound) = &bound {
                        for (blob, origin) in value["blobs"]
                            .as_array_mut()
                            .into_iter()
                            .flatten()
                            .zip(bound)
                        {
                            blob["origin"] = origin_json(origin);
                        }
                    }
                    if let Some(v) = &on_l1 {
                        value["l1"] = serde_json::json!({
                            "anchor": anchor.map(|a| a.to_string()),
                            "finalized_l1_block": v.l1_block,
                            "anchored_height": v.anchored_height,
                            "history_size": v.history_size,
                        });
                    }
                    println!("{value}");
                } else {
                    if let (Some(v), Some(anchor)) = (&on_l1, anchor) {
                        println!(
                            "height {height} is anchored on L1: verified against anchor {anchor} at finalized L1 block {} (anchored up to height {}, history of {} heights)",
                            v.l1_block, v.anchored_height, v.history_size
                        );
                    }
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
                        if let Some(origin) = bound.as_ref().and_then(|b| b.get(i)) {
                            println!("      {}", origin_text(origin));
                        }
                    }
                }
            }
            QueryCommand::AuditReveal {
                height,
                genesis,
                wait_secs,
                node,
            } => {
                let client = NodeClient::new(&node.node)?;
                let wait = Duration::from_secs(wait_secs);
                let mut verifier = verifier_from(&genesis)?;
                let record = client
                    .verified_reveal_record(height, &mut verifier, wait)
                    .await?;
                let Some(key) = client.verified_encryption(&mut verifier, wait).await? else {
                    bail!("this chain has no encrypted blobs (proven: no encryption state)");
                };
                let audit = client
                    .audit_reveal(&record, &key.key, &mut verifier_from(&genesis)?)
                    .await
                    .with_context(|| format!("the reveal at height {height} does not audit"))?;
                let envelopes: Vec<_> = audit
                    .envelopes
                    .iter()
                    .map(|e| {
                        serde_json::json!({
                            "slot": e.slot,
                            "tx_index": e.tx_index,
                            "outcome": e.outcome.code().1,
                            "blobs": e.blobs,
                        })
                    })
                    .collect();
                let value = serde_json::json!({
                    "height": audit.height,
                    "epoch": key.params.epoch,
                    "audited": true,
                    "envelopes": envelopes,
                });
                println!("{}", serde_json::to_string_pretty(&value)?);
            }
            QueryCommand::Encryption { node, proof } => {
                let client = NodeClient::new(&node.node)?;
                let value = match proof.verifier()? {
                    Some((mut verifier, wait)) => {
                        let Some(proven) = client.verified_encryption(&mut verifier, wait).await?
                        else {
                            bail!(
                                "this chain has no encrypted blobs (proven: no encryption state)"
                            );
                        };
                        serde_json::json!({
                            "epoch": proven.params.epoch,
                            "epoch_key_hash": hex::encode(proven.key.hash),
                            "active": proven.status.inactive_since.is_none(),
                            "inactive_since": proven.status.inactive_since,
                            "expired_in_row": proven.status.expired_in_row,
                            "max_envelopes_per_block": proven.params.max_envelopes_per_block,
                            "expiry_blocks": proven.params.expiry_blocks,
                            "expiries_to_disable": proven.params.expiries_to_disable,
                            "members": proven.params.members.len(),
                            "verified": true,
                            "height": proven.height,
                        })
                    }
                    None => {
                        let Some(info) = client.encryption_info().await? else {
                            bail!("this chain has no encrypted blobs (no encryption key in its genesis)");
                        };
                        serde_json::json!({
                            "epoch": info.epoch,
                            "epoch_key_hash": hex::encode(&info.epoch_key_hash),
                            "active": info.active,
                            "inactive_since": (info.inactive_since != 0).then_some(info.inactive_since),
                            "expired_in_row": info.expired_in_row,
                            "max_envelopes_per_block": info.max_envelopes_per_block,
                            "expiry_blocks": info.expiry_blocks,
                            "expiries_to_disable": info.expiries_to_disable,
                            "members": info.members.len(),
                            "verified": false,
                            "height": info.height,
                        })
                    }
                };
                println!("{}", serde_json::to_string_pretty(&value)?);
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
