//! `quired l1`: the validator's L1 checkpoint key (docs/l1.md).

use crate::cli::HomeArg;
use anyhow::Context;
use quire_app::l1::GenesisL1Signer;
use quire_core::Address;
use std::io::Write;

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
