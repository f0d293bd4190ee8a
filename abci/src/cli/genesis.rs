//! `quired genesis`: create and validate CometBFT genesis files carrying
//! Quire's app state.

use anyhow::{bail, Context};
use quire_app::{GenesisAccount, GenesisState};
use quire_core::{Address, Params};
use quire_genesis::{parse_ed25519_pubkey, GenesisDoc, GenesisValidator};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// Voting power of a `--validator` given without one (as `cometbft init` uses).
pub const DEFAULT_POWER: u64 = 10;

/// Largest `--params` file read.
const MAX_PARAMS_BYTES: u64 = 1024 * 1024;

/// `quired genesis ...`
#[derive(Debug, clap::Subcommand)]
pub enum GenesisCommand {
    /// Write a genesis file for a new chain.
    Create(CreateArgs),
    /// Check a genesis file and print a summary.
    Validate(ValidateArgs),
}

/// `quired genesis create`
#[derive(Debug, clap::Args)]
pub struct CreateArgs {
    /// Chain id: 1-50 characters of [a-zA-Z0-9._-].
    #[arg(long, value_parser = parse_chain_id)]
    chain_id: String,
    /// A validator: its base64 ed25519 key (the "value" of `cometbft
    /// show-validator`), voting power (default 10) and name. Repeatable.
    #[arg(long = "validator", value_name = "PUBKEY[:POWER[:NAME]]", required = true, value_parser = parse_validator)]
    validators: Vec<GenesisValidator>,
    /// A funded account and its balance in the fee denom. Repeatable.
    #[arg(long = "account", value_name = "ADDRESS:AMOUNT", value_parser = parse_account)]
    accounts: Vec<GenesisAccount>,
    /// JSON file with the chain parameters (default: quire_app's defaults).
    #[arg(long, value_name = "FILE")]
    params: Option<PathBuf>,
    /// Largest block in bytes, `consensus_params.block.max_bytes` (default:
    /// CometBFT's 22020096). Must hold a max-size tx.
    #[arg(long, value_name = "BYTES")]
    block_max_bytes: Option<i64>,
    /// First height with vote extensions, `consensus_params.abci.
    /// vote_extensions_enable_height` (default: the first height, 1); 0
    /// disables them (only to measure what they cost).
    #[arg(long, value_name = "HEIGHT")]
    vote_extensions_enable_height: Option<i64>,
    /// Genesis time, RFC 3339 (default: now).
    #[arg(long, value_name = "RFC3339", value_parser = parse_time)]
    genesis_time: Option<String>,
    /// Where to write the genesis file.
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    /// Overwrite --out if it exists.
    #[arg(long)]
    force: bool,
}

/// `quired genesis validate`
#[derive(Debug, clap::Args)]
pub struct ValidateArgs {
    /// The genesis file.
    file: PathBuf,
}

fn parse_chain_id(text: &str) -> Result<String, String> {
    quire_app::genesis::validate_chain_id(text).map_err(|e| e.to_string())?;
    Ok(text.to_string())
}

/// Parses `PUBKEY[:POWER[:NAME]]`. Base64 has no ':', so the split is exact.
fn parse_validator(text: &str) -> Result<GenesisValidator, String> {
    let mut parts = text.splitn(3, ':');
    let key = parts.next().unwrap_or_default();
    let key = parse_ed25519_pubkey(key).map_err(|e| format!("public key {key:?}: {e}"))?;
    let power = match parts.next() {
        None => DEFAULT_POWER,
        Some(power) => match power.parse::<u64>() {
            Ok(p) if p > 0 => p,
            _ => {
                return Err(format!(
                    "power {power:?} must be a whole number greater than 0"
                ))
            }
        },
    };
    Ok(GenesisValidator::ed25519(
        key,
        power,
        parts.next().unwrap_or_default(),
    ))
}

/// Parses `ADDRESS:AMOUNT`.
fn parse_account(text: &str) -> Result<GenesisAccount, String> {
    let Some((address, amount)) = text.split_once(':') else {
        return Err("expected ADDRESS:AMOUNT, e.g. quire1...:1000000".to_string());
    };
    let address: Address = address.parse().map_err(|e| format!("{e}"))?;
    let balance = amount
        .parse::<u128>()
        .map_err(|e| format!("amount {amount:?} is not a whole number of the fee denom: {e}"))?;
    Ok(GenesisAccount {
        address: address.to_bech32(),
        balance,
    })
}

fn parse_time(text: &str) -> Result<String, String> {
    tendermint::Time::parse_from_rfc3339(text)
        .map(|time| time.to_rfc3339())
        .map_err(|e| format!("{text:?} is not an RFC 3339 time such as 2025-01-01T00:00:00Z: {e}"))
}

/// Reads `--params FILE`: a JSON `quire_core::Params`.
fn read_params(path: &Path) -> anyhow::Result<Params> {
    let mut text = Vec::new();
    std::fs::File::open(path)
        .and_then(|file| file.take(MAX_PARAMS_BYTES + 1).read_to_end(&mut text))
        .with_context(|| format!("--params: cannot read {}", path.display()))?;
    if text.len() as u64 > MAX_PARAMS_BYTES {
        bail!(
            "--params: {} is larger than {MAX_PARAMS_BYTES} bytes",
            path.display()
        );
    }
    let params: Params = serde_json::from_slice(&text)
        .with_context(|| format!("--params: {} is not a JSON params object", path.display()))?;
    params
        .validate()
        .with_context(|| format!("--params: {}", path.display()))?;
    Ok(params)
}

/// Which flag produced a genesis field, for error messages.
fn flag_for(field: &str) -> &'static str {
    match field {
        f if f.starts_with("validators") => "the --validator flags, in the order given",
        f if f.starts_with("app_state.accounts") => "the --account flags, in the order given",
        f if f.starts_with("app_state.params") => "the --params file",
        "consensus_params.block.max_bytes" => "--block-max-bytes and the --params file",
        "consensus_params.abci.vote_extensions_enable_height" => "--vote-extensions-enable-height",
        "chain_id" => "the --chain-id flag",
        "genesis_time" => "the --genesis-time flag",
        _ => "the flags",
    }
}

impl GenesisCommand {
    /// Runs the subcommand, printing to stdout.
    pub fn run(self) -> anyhow::Result<()> {
        self.execute(&mut std::io::stdout().lock())
    }

    fn execute(self, out: &mut dyn Write) -> anyhow::Result<()> {
        match self {
            GenesisCommand::Create(args) => args.execute(out),
            GenesisCommand::Validate(args) => {
                let doc = GenesisDoc::load(&args.file)?;
                writeln!(
                    out,
                    "genesis {} is valid: {}",
                    args.file.display(),
                    summary(&doc)
                )?;
                Ok(())
            }
        }
    }
}

fn summary(doc: &GenesisDoc) -> String {
    format!(
        "chain id {}, {} validators, {} accounts",
        doc.chain_id,
        doc.validators.len(),
        doc.app_state.accounts.len()
    )
}

impl CreateArgs {
    fn execute(self, out: &mut dyn Write) -> anyhow::Result<()> {
        if self.out.exists() && !self.force {
            bail!(
                "--out: {} already exists: pass --force to overwrite it",
                self.out.display()
            );
        }
        let params = match &self.params {
            Some(path) => read_params(path)?,
            None => Params::default(),
        };
        let app_state = GenesisState {
            params,
            accounts: self.accounts,
        };
        let genesis_time = self.genesis_time.unwrap_or_else(GenesisDoc::now);
        let mut doc = GenesisDoc::new(self.chain_id, genesis_time, self.validators, app_state);
        if let Some(max_bytes) = self.block_max_bytes {
            doc.consensus_params.block.max_bytes = max_bytes;
        }
        if let Some(height) = self.vote_extensions_enable_height {
            doc.consensus_params.abci.vote_extensions_enable_height = height;
        }
        if let Err(e) = doc.validate() {
            bail!("cannot create genesis: {e} (check {})", flag_for(&e.field));
        }
        doc.save(&self.out)?;
        writeln!(
            out,
            "wrote genesis {}: {}",
            self.out.display(),
            summary(&doc)
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(subcommand)]
        command: GenesisCommand,
    }

    const KEY_A: &str = "cSCNOue0A+AHPCHOmyh3eDza/HCHPdd1Bxdjfqs6nB4=";
    const KEY_B: &str = "CQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQk=";

    fn genesis(args: &[&str]) -> anyhow::Result<String> {
        let mut out = Vec::new();
        Cli::try_parse_from(std::iter::once("genesis").chain(args.iter().copied()))?
            .command
            .execute(&mut out)?;
        Ok(String::from_utf8(out)?)
    }

    fn address(seed: u8) -> String {
        Address::new([seed; 20]).to_bech32()
    }

    #[test]
    fn create_then_validate() {
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("genesis.json");
        let file_arg = file.to_str().unwrap();
        let (alice, bob) = (
            format!("{}:1000000000000000", address(1)),
            format!("{}:5", address(2)),
        );
        let out = genesis(&[
            "create",
            "--chain-id",
            "quire-localnet",
            "--validator",
            KEY_A,
            "--validator",
            &format!("{KEY_B}:7:node1"),
            "--account",
            &alice,
            "--account",
            &bob,
            "--genesis-time",
            "2025-01-01T00:00:00+02:00",
            "--out",
            file_arg,
        ])
        .unwrap();
        assert_eq!(
            out,
            format!(
                "wrote genesis {file_arg}: chain id quire-localnet, 2 validators, 2 accounts\n"
            )
        );
        let doc = GenesisDoc::load(&file).unwrap();
        assert_eq!(doc.genesis_time, "2024-12-31T22:00:00Z");
        assert_eq!(
            (doc.validators[0].power, doc.validators[0].name.as_str()),
            (10, "")
        );
        assert_eq!(
            (doc.validators[1].power, doc.validators[1].name.as_str()),
            (7, "node1")
        );
        assert_eq!(doc.app_state.accounts[0].balance, 1_000_000_000_000_000);
        assert_eq!(doc.app_state.params, Params::default());

        let out = genesis(&["validate", file_arg]).unwrap();
        assert_eq!(
            out,
            format!(
                "genesis {file_arg} is valid: chain id quire-localnet, 2 validators, 2 accounts\n"
            )
        );

        // No silent overwrite.
        let err = genesis(&[
            "create",
            "--chain-id",
            "x",
            "--validator",
            KEY_A,
            "--out",
            file_arg,
        ])
        .unwrap_err();
        assert!(err.to_string().contains("--force"), "{err}");
        genesis(&[
            "create",
            "--chain-id",
            "x",
            "--validator",
            KEY_A,
            "--out",
            file_arg,
            "--force",
        ])
        .unwrap();
        assert_eq!(GenesisDoc::load(&file).unwrap().chain_id, "x");
    }

    #[test]
    fn params_file_is_used_and_checked() {
        let tmp = tempfile::tempdir().unwrap();
        let params_file = tmp.path().join("params.json");
        let params = Params {
            base_fee: 5,
            ..Params::default()
        };
        std::fs::write(&params_file, serde_json::to_vec(&params).unwrap()).unwrap();
        let out = tmp.path().join("g.json");
        let (p, o) = (params_file.to_str().unwrap(), out.to_str().unwrap());
        genesis(&[
            "create",
            "--chain-id",
            "c",
            "--validator",
            KEY_A,
            "--params",
            p,
            "--out",
            o,
        ])
        .unwrap();
        assert_eq!(GenesisDoc::load(&out).unwrap().app_state.params.base_fee, 5);

        std::fs::write(&params_file, r#"{"fee_denom": "uquire"}"#).unwrap();
        let err = genesis(&[
            "create",
            "--chain-id",
            "c",
            "--validator",
            KEY_A,
            "--params",
            p,
            "--out",
            o,
            "--force",
        ])
        .unwrap_err();
        let message = format!("{err:#}");
        assert!(
            message.contains("--params")
                && message.contains("params.json")
                && message.contains("missing field"),
            "{message}"
        );

        let bad = Params {
            max_blob_bytes: 0,
            ..Params::default()
        };
        std::fs::write(&params_file, serde_json::to_vec(&bad).unwrap()).unwrap();
        let err = genesis(&[
            "create",
            "--chain-id",
            "c",
            "--validator",
            KEY_A,
            "--params",
            p,
            "--out",
            o,
            "--force",
        ])
        .unwrap_err();
        assert!(format!("{err:#}").contains("max_blob_bytes"), "{err:#}");
    }

    #[test]
    fn block_max_bytes_is_set_and_checked() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("g.json");
        let o = out.to_str().unwrap();
        let create = |max: &str| {
            genesis(&[
                "create",
                "--chain-id",
                "c",
                "--validator",
                KEY_A,
                "--block-max-bytes",
                max,
                "--out",
                o,
                "--force",
            ])
        };
        create("8388608").unwrap();
        assert_eq!(
            GenesisDoc::load(&out)
                .unwrap()
                .consensus_params
                .block
                .max_bytes,
            8_388_608
        );
        // Smaller than the largest tx the params allow.
        let err = create("1000000").unwrap_err();
        let message = format!("{err:#}");
        assert!(
            message.contains("consensus_params.block.max_bytes")
                && message.contains("--block-max-bytes"),
            "{message}"
        );
    }

    #[test]
    fn malformed_flags_name_the_flag_and_reason() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("g.json");
        let o = out.to_str().unwrap();
        let good_account = format!("{}:1", address(1));
        let negative_account = format!("{}:-5", address(1));
        let (zero_power, word_power) = (format!("{KEY_A}:0"), format!("{KEY_A}:ten"));
        let cases: Vec<(Vec<&str>, &str, &str)> = vec![
            (
                vec!["--chain-id", "bad id", "--validator", KEY_A],
                "--chain-id",
                "may only contain",
            ),
            (
                vec!["--chain-id", "c", "--validator", "AAAA"],
                "--validator",
                "32 bytes",
            ),
            (
                vec!["--chain-id", "c", "--validator", "***"],
                "--validator",
                "base64",
            ),
            (
                vec!["--chain-id", "c", "--validator", &zero_power],
                "--validator",
                "greater than 0",
            ),
            (
                vec!["--chain-id", "c", "--validator", &word_power],
                "--validator",
                "power \"ten\"",
            ),
            (vec!["--chain-id", "c"], "--validator", "required"),
            (
                vec![
                    "--chain-id",
                    "c",
                    "--validator",
                    KEY_A,
                    "--account",
                    "quire1",
                ],
                "--account",
                "ADDRESS:AMOUNT",
            ),
            (
                vec![
                    "--chain-id",
                    "c",
                    "--validator",
                    KEY_A,
                    "--account",
                    "cosmos1abc:5",
                ],
                "--account",
                "bech32",
            ),
            (
                vec![
                    "--chain-id",
                    "c",
                    "--validator",
                    KEY_A,
                    "--account",
                    &negative_account,
                ],
                "--account",
                "amount \"-5\"",
            ),
            (
                vec![
                    "--chain-id",
                    "c",
                    "--validator",
                    KEY_A,
                    "--genesis-time",
                    "noon",
                ],
                "--genesis-time",
                "RFC 3339",
            ),
            (
                vec![
                    "--chain-id",
                    "c",
                    "--validator",
                    KEY_A,
                    "--validator",
                    KEY_A,
                ],
                "--validator",
                "duplicate validator key",
            ),
            (
                vec![
                    "--chain-id",
                    "c",
                    "--validator",
                    KEY_A,
                    "--account",
                    &good_account,
                    "--account",
                    &good_account,
                ],
                "--account",
                "duplicate address",
            ),
        ];
        for (args, flag, reason) in cases {
            let argv: Vec<&str> = ["create"]
                .into_iter()
                .chain(args.iter().copied())
                .chain(["--out", o])
                .collect();
            let err = genesis(&argv).unwrap_err().to_string();
            assert!(
                err.contains(flag) && err.contains(reason),
                "{args:?}: {err}"
            );
        }
        assert!(!out.exists());
    }

    #[test]
    fn validate_reports_the_file_and_field() {
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("genesis.json");
        let f = file.to_str().unwrap();
        genesis(&[
            "create",
            "--chain-id",
            "c",
            "--validator",
            KEY_A,
            "--out",
            f,
        ])
        .unwrap();
        let text = std::fs::read_to_string(&file)
            .unwrap()
            .replace("\"power\": \"10\"", "\"power\": 10");
        std::fs::write(&file, text).unwrap();
        let err = genesis(&["validate", f]).unwrap_err().to_string();
        assert!(
            err.contains(f) && err.contains("validators[0].power"),
            "{err}"
        );
        let err = genesis(&["validate", "/nonexistent/genesis.json"])
            .unwrap_err()
            .to_string();
        assert!(err.contains("/nonexistent/genesis.json"), "{err}");
    }
}
