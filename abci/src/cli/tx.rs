//! `quired tx`: sign and broadcast transactions.

use crate::cli::{HomeArg, NodeArg, Output};
use anyhow::{bail, Context};
use quire_client::encrypt::EncryptionKey;
use quire_client::keyring::Keyring;
use quire_client::{Address, Msg, NodeClient, Submitter};
use quire_core::envelope::EnvelopePayload;
use quire_core::Namespace;
use std::path::PathBuf;
use std::time::Duration;

/// `quired tx ...`
#[derive(Debug, clap::Subcommand)]
pub enum TxCommand {
    /// Submit one or more blobs in one transaction (included atomically).
    SubmitBlob(SubmitBlobArgs),
    /// Send uquire to another account.
    Send(SendArgs),
    /// Validators and delegations (Cosmos SDK staking messages).
    #[command(subcommand)]
    Staking(crate::cli::staking::StakingTx),
    /// Slashing: unjail.
    #[command(subcommand)]
    Slashing(crate::cli::staking::SlashingTx),
    /// L1 anchoring: register or rotate the validator's L1 key.
    #[command(subcommand)]
    L1(crate::cli::l1::L1Tx),
    /// Blind ordering: register or rotate the validator's key-generation
    /// keys.
    #[command(subcommand)]
    Encryption(crate::cli::encryption::EncryptionTx),
}

/// Flags every transaction command shares.
#[derive(Debug, clap::Args)]
pub struct TxCommon {
    #[command(flatten)]
    home: HomeArg,
    #[command(flatten)]
    node: NodeArg,
    /// Name of the signing key in the keyring (<home>/keyring).
    #[arg(long)]
    from: String,
    /// Fee in the fee denom; default: the minimum the chain requires.
    #[arg(long)]
    fee: Option<u128>,
    /// Wait until the transaction is committed and print its height.
    #[arg(long)]
    wait: bool,
    /// How long --wait waits, in seconds.
    #[arg(long, default_value_t = 60)]
    wait_secs: u64,
    /// Output format.
    #[arg(long, value_enum, default_value_t = crate::cli::client_config::default_output())]
    output: Output,
}

/// `quired tx submit-blob`
#[derive(Debug, clap::Args)]
pub struct SubmitBlobArgs {
    #[command(flatten)]
    common: TxCommon,
    /// Namespace as 64 hex digits.
    #[arg(long, conflicts_with = "rollup")]
    namespace: Option<Namespace>,
    /// Rollup name; its namespace is sha256(name).
    #[arg(long)]
    rollup: Option<String>,
    /// Blob contents as text.
    #[arg(long, conflicts_with = "data_file")]
    data: Option<String>,
    /// Read the blob from this file.
    #[arg(long)]
    data_file: Option<PathBuf>,
    /// Further blobs of the same tx, as ROLLUP=TEXT (repeatable): all blobs of a
    /// transaction are included together or not at all.
    #[arg(long = "also", value_name = "ROLLUP=TEXT")]
    also: Vec<String>,
    /// Seal the blobs to the chain's threshold key (blind ordering,
    /// docs/blind-ordering.md): no proposer sees them before their block
    /// commits; they are readable at the height that reveals them, two
    /// blocks later. Needs --genesis for the key.
    #[arg(long, requires = "genesis")]
    encrypt: bool,
    /// The chain's genesis.json: --encrypt seals to its dealer's key
    /// (app_state.encryption.epoch_key), or, on a chain that generates its
    /// keys, to the current epoch key read from --node and verified by a
    /// state proof against the genesis validators.
    #[arg(long, value_name = "FILE")]
    genesis: Option<PathBuf>,
}

/// `quired tx send`
#[derive(Debug, clap::Args)]
pub struct SendArgs {
    #[command(flatten)]
    common: TxCommon,
    /// Recipient address (quire1...).
    #[arg(long)]
    to: Address,
    /// Amount in the fee denom.
    #[arg(long)]
    amount: u128,
}

impl TxCommand {
    /// Runs the command.
    pub fn run(self) -> anyhow::Result<()> {
        let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
        runtime.block_on(async move {
            match self {
                TxCommand::SubmitBlob(args) => {
                    let messages = args.messages()?;
                    match args.encryption_key().await? {
                        Some(key) => {
                            let payload = envelope_payload(&messages);
                            broadcast_built(args.common, |submitter| {
                                let envelope = key.seal(
                                    submitter.chain_id(),
                                    &submitter.address(),
                                    submitter.next_sequence(),
                                    &payload,
                                )?;
                                Ok(vec![Msg::SubmitEncrypted(envelope)])
                            })
                            .await
                        }
                        None => broadcast(args.common, messages).await,
                    }
                }
                TxCommand::Send(args) => {
                    let messages = vec![Msg::send(args.to, "uquire", args.amount)];
                    broadcast(args.common, messages).await
                }
                TxCommand::Staking(command) => command.run().await,
                TxCommand::Slashing(command) => command.run().await,
                TxCommand::L1(command) => command.run().await,
                TxCommand::Encryption(command) => command.run().await,
            }
        })
    }
}

impl SubmitBlobArgs {
    fn messages(&self) -> anyhow::Result<Vec<Msg>> {
        let namespace = match (&self.namespace, &self.rollup) {
            (Some(ns), None) => *ns,
            (None, Some(name)) => Namespace::from_rollup_name(name),
            _ => bail!(
                "give the blob's namespace with --namespace <64 hex digits> or --rollup <name>"
            ),
        };
        let data = match (&self.data, &self.data_file) {
            (Some(text), None) => text.as_bytes().to_vec(),
            (None, Some(path)) => std::fs::read(path)
                .with_context(|| format!("--data-file: cannot read {}", path.display()))?,
            _ => bail!("give the blob with --data <text> or --data-file <path>"),
        };
        let mut messages = vec![Msg::submit_blob(namespace, data)];
        for extra in &self.also {
            let Some((rollup, text)) = extra.split_once('=') else {
                bail!("--also {extra:?}: expected ROLLUP=TEXT");
            };
            if rollup.is_empty() || text.is_empty() {
                bail!("--also {extra:?}: rollup name and text must not be empty");
            }
            messages.push(Msg::submit_blob(
                Namespace::from_rollup_name(rollup),
                text.as_bytes().to_vec(),
            ));
        }
        Ok(messages)
    }
}

impl SubmitBlobArgs {
    /// The key --encrypt seals to: the dealer's in --genesis, else the
    /// chain's current one, proven in state.
    async fn encryption_key(&self) -> anyhow::Result<Option<EncryptionKey>> {
        let (true, Some(path)) = (self.encrypt, &self.genesis) else {
            return Ok(None);
        };
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("--genesis: cannot read {}", path.display()))?;
        let dealt = serde_json::from_str::<serde_json::Value>(&text)
            .ok()
            .and_then(|v| v.pointer("/app_state/encryption/epoch_key").cloned())
            .is_some();
        if dealt {
            return EncryptionKey::from_genesis_json(&text)
                .map(Some)
                .with_context(|| format!("--encrypt: no usable key in {}", path.display()));
        }
        let mut verifier = quire_client::verify::Verifier::from_genesis_json(&text)
            .with_context(|| format!("--genesis: {}", path.display()))?;
        let client = NodeClient::new(&self.common.node.node)?;
        let info = client
            .verified_encryption(&mut verifier, std::time::Duration::from_secs(60))
            .await
            .context("--encrypt: cannot read the chain's epoch key")?
            .ok_or_else(|| {
                anyhow::anyhow!(
                    "--encrypt: the chain has no epoch key yet (key generation still running, or no blind ordering): retry later or submit in plaintext"
                )
            })?;
        if let Some(since) = info.status.inactive_since {
            bail!("--encrypt: encryption is off since height {since} (repeated expiries): submit in plaintext until a new key epoch");
        }
        Ok(Some(info.key))
    }
}

/// The bundle of `messages`' blobs, in order.
fn envelope_payload(messages: &[Msg]) -> EnvelopePayload {
    EnvelopePayload {
        blobs: messages
            .iter()
            .filter_map(|m| match m {
                Msg::SubmitBlob(blob) => Some((blob.namespace, blob.data.clone())),
                _ => None,
            })
            .collect(),
    }
}

impl TxCommon {
    /// The address of the `--from` key (the transaction's signer).
    pub(crate) fn signer(&self) -> anyhow::Result<Address> {
        let keyring = Keyring::open(&self.home.home.join("keyring"))?;
        let address = keyring.show(&self.from)?.address;
        address
            .parse()
            .map_err(|e| anyhow::anyhow!("key {:?} has a bad address {address}: {e}", self.from))
    }

    /// A client of the `--node`.
    pub(crate) fn client(&self) -> anyhow::Result<NodeClient> {
        Ok(NodeClient::new(&self.node.node)?)
    }
}

/// Signs `messages` with `common.from`'s key and broadcasts them.
pub(crate) async fn broadcast(common: TxCommon, messages: Vec<Msg>) -> anyhow::Result<()> {
    broadcast_built(common, |_| Ok(messages)).await
}

/// Signs the messages `build` makes for the connected account (its chain,
/// address and next sequence) and broadcasts them.
async fn broadcast_built(
    common: TxCommon,
    build: impl FnOnce(&Submitter) -> anyhow::Result<Vec<Msg>>,
) -> anyhow::Result<()> {
    let keyring = crate::cli::secret_input::unlock(
        Keyring::open(&common.home.home.join("keyring"))?,
        &common.from,
        &mut crate::cli::secret_input::Terminal,
    )?;
    let key = keyring.signing_key(&common.from)?;
    let client = NodeClient::new(&common.node.node)?;
    let mut submitter = Submitter::connect(client.clone(), key).await?;
    if let Some(expected) = &crate::cli::client_config::current().chain_id {
        if submitter.chain_id() != expected {
            bail!(
                "{} is on chain {:?} but client.toml's chain-id is {expected:?}: nothing was sent (change --node, or `quired config set chain-id`)",
                common.node.node,
                submitter.chain_id()
            );
        }
    }
    let sequence = submitter.next_sequence();
    let messages = build(&submitter)?;
    let result = submitter.submit(&messages, common.fee).await?;
    if !result.accepted() {
        bail!(
            "transaction {} refused by CheckTx: code {} ({}): {}",
            result.hash,
            result.code,
            result.codespace,
            result.log
        );
    }
    let committed = if common.wait {
        Some(
            client
                .wait_for_tx(&result.hash, Duration::from_secs(common.wait_secs))
                .await?,
        )
    } else {
        None
    };
    if let Some(tx) = &committed {
        if tx.code != 0 {
            bail!(
                "transaction {} failed in block {}: code {}: {}",
                result.hash,
                tx.height,
                tx.code,
                tx.log
            );
        }
    }
    match common.output {
        Output::Json => println!(
            "{}",
            serde_json::json!({
                "hash": result.hash,
                "signer": submitter.address().to_bech32(),
                "sequence": sequence,
                "height": committed.as_ref().map(|t| t.height),
            })
        ),
        Output::Text => {
            println!("txhash: {}", result.hash);
            println!("signer: {} (sequence {sequence})", submitter.address());
            if let Some(tx) = committed {
                println!("committed at height {}", tx.height);
            }
        }
    }
    Ok(())
}
