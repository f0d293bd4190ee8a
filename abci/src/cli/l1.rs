//! `quired l1`: the validator's L1 checkpoint key (docs/l1.md).

use crate::cli::tx::{broadcast, TxCommon};
use crate::cli::HomeArg;
use anyhow::{bail, Context};
use quire_app::l1::GenesisL1Signer;
use quire_core::l1::{Domain, SetL1Key};
use quire_core::{Address, Msg};
use std::io::Write;
use std::path::{Path, PathBuf};

/// `quired l1 ...`
#[derive(Debug, clap::Subcommand)]
pub enum L1Command {
    /// Print the address of this node's L1 key.
    ShowKey {
        #[command(flatten)]
        home: HomeArg,
    },
    /// Prove that this node's L1 key belongs to an operator: prints the
    /// `--l1-signer OPERATOR:ADDRESS:PROOF` value for `quired genesis create`.
    KeyProof {
        #[command(flatten)]
        home: HomeArg,
        /// The operator account (`quire1…`) the key signs for.
        #[arg(long, value_parser = parse_address)]
        operator: Address,
        /// The Quire chain id.
        #[arg(long)]
        chain_id: String,
        /// The L1's chain id (1337 for the dev node).
        #[arg(long)]
        l1_chain_id: u64,
    },
}

fn parse_address(text: &str) -> Result<Address, String> {
    text.parse().map_err(|e| format!("{e}"))
}

impl L1Command {
    /// Runs the command, printing to stdout.
    pub fn run(self) -> anyhow::Result<()> {
        self.execute(&mut std::io::stdout().lock())
    }

    fn execute(self, out: &mut dyn Write) -> anyhow::Result<()> {
        match self {
            L1Command::ShowKey { home } => {
                let signer = crate::l1_key::load(&crate::l1_key::path(&home.home))
                    .context("run `quired init` to create the key")?;
                writeln!(out, "{}", signer.address())?;
            }
            L1Command::KeyProof {
                home,
                operator,
                chain_id,
                l1_chain_id,
            } => {
                quire_app::genesis::validate_chain_id(&chain_id)?;
                if l1_chain_id == 0 {
                    anyhow::bail!("--l1-chain-id must not be 0");
                }
                let signer = crate::l1_key::load(&crate::l1_key::path(&home.home))
                    .context("run `quired init` to create the key")?;
                let entry = GenesisL1Signer::prove(&signer, &operator, &chain_id, l1_chain_id)?;
                writeln!(out, "{}:{}:{}", entry.operator, entry.address, entry.proof)?;
            }
        }
        Ok(())
    }
}

/// `quired tx l1 ...`
#[derive(Debug, clap::Subcommand)]
pub enum L1Tx {
    /// Register (or rotate to) the L1 key in --l1-key as the --from
    /// validator's: it signs checkpoints from the second block after this
    /// transaction's. Restart the node with the new key file once that
    /// block is committed (the old key signs until then).
    SetKey {
        /// The L1 key file (`<node home>/config/l1_signer_key.json`).
        #[arg(long)]
        l1_key: PathBuf,
        #[command(flatten)]
        common: TxCommon,
    },
}

impl L1Tx {
    /// Signs and broadcasts.
    pub async fn run(self) -> anyhow::Result<()> {
        match self {
            L1Tx::SetKey { l1_key, common } => {
                let Some(msg) = set_key_msg(&common, Some(&l1_key)).await? else {
                    bail!("this chain is not anchored on an L1: it takes no L1 keys");
                };
                broadcast(common, vec![msg]).await
            }
        }
    }
}

/// The `MsgSetL1Key` registering the key in `key_file` for `common`'s
/// signer, with its proof in the node's chain's domain; `None` on a chain
/// that is not anchored (an error if a key file was given for one).
pub(crate) async fn set_key_msg(
    common: &TxCommon,
    key_file: Option<&Path>,
) -> anyhow::Result<Option<Msg>> {
    let client = common.client()?;
    let info = client.l1_info().await?;
    let (info, key_file) = match (info, key_file) {
        (None, None) => return Ok(None),
        (None, Some(_)) => bail!("this chain is not anchored on an L1: drop --l1-key"),
        (Some(_), None) => bail!(
            "this chain is anchored on an L1: give --l1-key <node home>/config/l1_signer_key.json (the key the validator's node signs checkpoints with)"
        ),
        (Some(info), Some(path)) => (info, path),
    };
    let signer = crate::l1_key::load(key_file)
        .with_context(|| format!("--l1-key {}", key_file.display()))?;
    let (chain_id, _) = client.status().await?;
    let domain = Domain::new(info.l1_chain_id, &chain_id);
    let msg = SetL1Key::prove(&signer, &common.signer()?, &domain)?;
    Ok(Some(Msg::SetL1Key(msg)))
}
