//! `quired genesis`: create and validate CometBFT genesis files carrying
//! Quire's app state.

use anyhow::{bail, Context};
use quire_app::staking::{GenesisBond, GenesisCommission};
use quire_app::{GenesisAccount, GenesisState};
use quire_core::staking::{Dec, POWER_REDUCTION};
use quire_core::{Address, Params};
use quire_genesis::{parse_ed25519_pubkey, GenesisDoc};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// Voting power of a `--validator` given without one (as `cometbft init`
/// uses): a self-bond of 10 × 10^6.
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
    /// Bond one more validator at genesis (a gentx): its operator self-bonds
    /// from its genesis account.
    AddValidator(AddValidatorArgs),
}

/// `quired genesis create`
#[derive(Debug, clap::Args)]
pub struct CreateArgs {
    /// Chain id: 1-50 characters of [a-zA-Z0-9._-].
    #[arg(long, value_parser = parse_chain_id)]
    chain_id: String,
    /// A validator bonded at genesis: its base64 ed25519 key (the "value"
    /// of `cometbft show-validator`), its operator's account (a `--account`
    /// holding the self-bond), voting power (default 10: a self-bond of
    /// POWER × 10^6, taken from that account) and moniker. Repeatable.
    #[arg(long = "validator", value_name = "PUBKEY:OPERATOR[:POWER[:NAME]]", required = true, value_parser = parse_validator)]
    validators: Vec<GenesisBond>,
    /// Anchor the chain on the L1 of this chain id (1337 for the dev node):
    /// validators then sign checkpoints, and every genesis validator needs
    /// an `--l1-signer`.
    #[arg(long, value_name = "CHAIN_ID")]
    l1_chain_id: Option<u64>,
    /// A validator operator's L1 key with its proof, as `quired l1
    /// key-proof` prints it. Repeatable; needs --l1-chain-id.
    #[arg(long = "l1-signer", value_name = "OPERATOR:ADDRESS:PROOF", value_parser = parse_l1_signer, requires = "l1_chain_id")]
    l1_signers: Vec<quire_app::l1::GenesisL1Signer>,
    /// Turn on blind ordering with a trusted dealer's key (test and local
    /// networks only: whoever runs this could decrypt every envelope): deal
    /// one key share per `--validator`, in their order, and write share `i`
    /// to DIR/encryption_share_<i>.json (mode 0600), for the validator's
    /// `<home>/config/encryption_share.json`.
    #[arg(long, value_name = "DIR", conflicts_with = "dkg_players")]
    encryption_dealer: Option<PathBuf>,
    /// Turn on blind ordering with the key generated on chain by the
    /// validators: a player, its base64 consensus key and the hex
    /// key-generation keys `quired init` printed ("dkg key"). Repeatable:
    /// every validator that will hold a key share.
    #[arg(long = "encryption-dkg-player", value_name = "PUBKEY:DKG_KEY", value_parser = parse_dkg_player)]
    dkg_players: Vec<quire_app::encryption::genesis::DkgPlayer>,
    /// With --encryption-dkg-player: blocks per key-generation phase (deal,
    /// ack, log; 3..=10000; default 10). The key is ready after 3 phases.
    #[arg(long, value_name = "BLOCKS")]
    encryption_dkg_phase_blocks: Option<u64>,
    /// With blind ordering: E, the blocks after which a slot not revealed
    /// expires (3..=1000; default 20).
    #[arg(long, value_name = "BLOCKS")]
    encryption_expiry_blocks: Option<u64>,
    /// With blind ordering: K, the expired slots in a row that switch the
    /// chain to plaintext only (default 3).
    #[arg(long, value_name = "COUNT")]
    encryption_expiries_to_disable: Option<u32>,
    /// A funded account and its balance in the fee denom. Repeatable.
    #[arg(long = "account", value_name = "ADDRESS:AMOUNT", value_parser = parse_account)]
    accounts: Vec<GenesisAccount>,
    /// JSON file with the chain parameters (default: quire_app's defaults).
    #[arg(long, value_name = "FILE")]
    params: Option<PathBuf>,
    /// JSON file with the staking and slashing parameters (default: 21-day
    /// unbonding, 100 validators, …; docs/staking.md).
    #[arg(long, value_name = "FILE")]
    staking_params: Option<PathBuf>,
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

/// `quired genesis add-validator`
#[derive(Debug, clap::Args)]
pub struct AddValidatorArgs {
    /// The genesis file to add to (rewritten in place).
    file: PathBuf,
    /// The operator's account (`quire1…`); its genesis balance must cover
    /// the self-bond.
    #[arg(long, value_parser = parse_address)]
    operator: Address,
    /// The base64 ed25519 consensus key (`cometbft show-validator`'s "value").
    #[arg(long, value_parser = parse_key)]
    pubkey: [u8; 32],
    /// Tokens to self-bond (≥ 10^6: power is tokens / 10^6).
    #[arg(long, default_value_t = u128::from(DEFAULT_POWER) * POWER_REDUCTION)]
    self_bond: u128,
    /// Display name.
    #[arg(long)]
    moniker: String,
    /// Commission rate, e.g. 0.1.
    #[arg(long, value_parser = parse_dec)]
    commission_rate: Option<Dec>,
    /// Highest commission rate it may ever set.
    #[arg(long, value_parser = parse_dec)]
    commission_max_rate: Option<Dec>,
    /// Largest commission change per day.
    #[arg(long, value_parser = parse_dec)]
    commission_max_change_rate: Option<Dec>,
    /// Minimum self-delegation in tokens.
    #[arg(long, default_value_t = 1)]
    min_self_delegation: u128,
}

fn parse_l1_signer(text: &str) -> Result<quire_app::l1::GenesisL1Signer, String> {
    let mut parts = text.split(':');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(operator), Some(address), Some(proof), None) => {
            let operator: Address = operator.parse().map_err(|e| format!("operator: {e}"))?;
            Ok(quire_app::l1::GenesisL1Signer {
                operator: operator.to_bech32(),
                address: address.parse().map_err(|e| format!("address: {e}"))?,
                proof: proof.to_string(),
            })
        }
        _ => Err(format!(
            "{text:?} is not OPERATOR:ADDRESS:PROOF (see `quired l1 key-proof`)"
        )),
    }
}

fn parse_address(text: &str) -> Result<Address, String> {
    text.parse().map_err(|e| format!("{e}"))
}

fn parse_key(text: &str) -> Result<[u8; 32], String> {
    parse_ed25519_pubkey(text).map_err(|e| format!("public key {text:?}: {e}"))
}

fn parse_dec(text: &str) -> Result<Dec, String> {
    Dec::parse(text).map_err(|e| e.to_string())
}

fn parse_chain_id(text: &str) -> Result<String, String> {
    quire_app::genesis::validate_chain_id(text).map_err(|e| e.to_string())?;
    Ok(text.to_string())
}

/// Parses `PUBKEY:OPERATOR[:POWER[:NAME]]`. Neither base64 nor bech32 has
/// a ':', so the split is exact.
fn parse_validator(text: &str) -> Result<GenesisBond, String> {
    let mut parts = text.splitn(4, ':');
    let key = parse_key(parts.next().unwrap_or_default())?;
    let operator = match parts.next() {
        None => {
            return Err(
                "expected PUBKEY:OPERATOR[:POWER[:NAME]]: the operator account (quire1…) \
                 that self-bonds is missing"
                    .into(),
            )
        }
        Some(operator) => operator.parse::<Address>().map_err(|e| {
            format!("expected PUBKEY:OPERATOR[:POWER[:NAME]]; operator {operator:?}: {e}")
        })?,
    };
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
    let name = parts.next().unwrap_or_default();
    let moniker = if name.is_empty() {
        operator.to_valoper()
    } else {
        name.to_string()
    };
    Ok(GenesisBond::new(
        &operator,
        &key,
        &moniker,
        u128::from(power) * POWER_REDUCTION,
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

/// Reads a JSON parameters file given with `flag` (at most 1 MiB).
fn read_json<T: serde::de::DeserializeOwned>(flag: &str, path: &Path) -> anyhow::Result<T> {
    let mut text = Vec::new();
    std::fs::File::open(path)
        .and_then(|file| file.take(MAX_PARAMS_BYTES + 1).read_to_end(&mut text))
        .with_context(|| format!("{flag}: cannot read {}", path.display()))?;
    if text.len() as u64 > MAX_PARAMS_BYTES {
        bail!(
            "{flag}: {} is larger than {MAX_PARAMS_BYTES} bytes",
            path.display()
        );
    }
    serde_json::from_slice(&text)
        .with_context(|| format!("{flag}: {} is not a JSON params object", path.display()))
}

/// Reads `--params FILE`: a JSON `quire_core::Params`.
fn read_params(path: &Path) -> anyhow::Result<Params> {
    let params: Params = read_json("--params", path)?;
    params
        .validate()
        .with_context(|| format!("--params: {}", path.display()))?;
    Ok(params)
}

/// Reads `--staking-params FILE`: a JSON `quire_core::staking::StakingParams`.
fn read_staking_params(path: &Path) -> anyhow::Result<quire_core::staking::StakingParams> {
    let params: quire_core::staking::StakingParams = read_json("--staking-params", path)?;
    params.validate().map_err(|(field, reason)| {
        anyhow::anyhow!("--staking-params: {}: {field}: {reason}", path.display())
    })?;
    Ok(params)
}

/// Which flag produced a genesis field, for error messages.
fn flag_for(field: &str) -> &'static str {
    match field {
        f if f.starts_with("validators") || f.starts_with("app_state.staking.validators") => {
            "the --validator flags, in the order given"
        }
        f if f.starts_with("app_state.accounts") => "the --account flags, in the order given",
        f if f.starts_with("app_state.params") => "the --params file",
        f if f.starts_with("app_state.l1") => "--l1-chain-id and the --l1-signer flags",
        f if f.starts_with("app_state.staking.params") => "the --staking-params file",
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
            GenesisCommand::AddValidator(args) => args.execute(out),
        }
    }
}

/// Deals a threshold key for `validators` (threshold n − ⌊(n − 1)/3⌋),
/// writes share `i` to `dir/encryption_share_<i>.json`, and returns the
/// genesis section.
fn deal_encryption_key(
    dir: &Path,
    validators: &[GenesisBond],
    out: &mut dyn Write,
) -> anyhow::Result<quire_app::encryption::EncryptionGenesis> {
    use rand_core::{OsRng, RngCore};
    let members = validators
        .iter()
        .map(|v| v.consensus_key().map_err(anyhow::Error::msg))
        .collect::<anyhow::Result<Vec<[u8; 32]>>>()
        .context("--validator")?;
    let mut seed = [0u8; 32];
    OsRng
        .try_fill_bytes(&mut seed)
        .map_err(|e| anyhow::anyhow!("cannot draw the dealer's randomness: {e}"))?;
    let participants = u32::try_from(members.len()).context("too many validators")?;
    let (key, shares) = quire_tpke::deal(seed, participants)
        .map_err(|e| anyhow::anyhow!("cannot deal the encryption key: {e}"))?;
    std::fs::create_dir_all(dir)
        .with_context(|| format!("--encryption-dealer: cannot create {}", dir.display()))?;
    for (i, share) in shares.iter().enumerate() {
        let path = dir.join(format!("encryption_share_{i}.json"));
        crate::encryption_share::save(&path, 1, &key, share).with_context(|| {
            "--encryption-dealer: cannot write a share (is the directory fresh?)"
        })?;
    }
    writeln!(
        out,
        "dealt encryption key epoch 1 ({} of {} shares decrypt, key hash {}): shares in {}",
        key.threshold(),
        key.participants(),
        hex::encode(key.hash()),
        dir.display()
    )?;
    Ok(quire_app::encryption::EncryptionGenesis::new(
        &key, &members,
    ))
}

/// `PUBKEY:DKG_KEY`: a validator's base64 consensus key and its hex
/// key-generation keys (checked here, and again by the genesis check).
fn parse_dkg_player(value: &str) -> Result<quire_app::encryption::genesis::DkgPlayer, String> {
    let (key, dkg) = value
        .split_once(':')
        .ok_or("expected PUBKEY:DKG_KEY (base64 consensus key, hex key-generation keys)")?;
    let bytes = hex::decode(dkg.trim_start_matches("0x"))
        .map_err(|e| format!("DKG_KEY is not hex: {e}"))?;
    quire_tpke::dkg::DkgPublic::from_bytes(&bytes).map_err(|e| format!("DKG_KEY: {e}"))?;
    Ok(quire_app::encryption::genesis::DkgPlayer {
        consensus_key: key.to_string(),
        dkg_key: dkg.to_string(),
    })
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
        let mut app_state = GenesisState {
            staking: Default::default(),
            l1: self.l1_chain_id.map(|chain_id| quire_app::l1::L1Genesis {
                chain_id,
                signers: self.l1_signers,
            }),
            params,
            accounts: self.accounts,
            encryption: None,
        };
        let section = match (&self.encryption_dealer, self.dkg_players.is_empty()) {
            (Some(dir), _) => Some(deal_encryption_key(dir, &self.validators, out)?),
            (None, false) => {
                let mut section = quire_app::encryption::EncryptionGenesis::generated(&[], 10);
                if let Some(dkg) = section.dkg.as_mut() {
                    dkg.players = self.dkg_players.clone();
                    if let Some(blocks) = self.encryption_dkg_phase_blocks {
                        dkg.phase_blocks = blocks;
                    }
                }
                Some(section)
            }
            (None, true) => {
                if self.encryption_dkg_phase_blocks.is_some()
                    || self.encryption_expiry_blocks.is_some()
                    || self.encryption_expiries_to_disable.is_some()
                {
                    bail!("the --encryption-* rules need blind ordering: pass --encryption-dkg-player (or --encryption-dealer on a test network)");
                }
                None
            }
        };
        if let Some(mut section) = section {
            if let Some(blocks) = self.encryption_expiry_blocks {
                section.expiry_blocks = blocks;
            }
            if let Some(count) = self.encryption_expiries_to_disable {
                section.expiries_to_disable = count;
            }
            app_state.encryption = Some(section);
        }
        app_state.staking.validators = self.validators;
        if let Some(path) = &self.staking_params {
            app_state.staking.params = read_staking_params(path)?;
        }
        let genesis_time = self.genesis_time.unwrap_or_else(GenesisDoc::now);
        let mut doc = GenesisDoc::new(self.chain_id, genesis_time, app_state);
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

impl AddValidatorArgs {
    fn execute(self, out: &mut dyn Write) -> anyhow::Result<()> {
        let mut doc = GenesisDoc::load(&self.file)?;
        let defaults = GenesisCommission::default();
        let mut bond =
            GenesisBond::new(&self.operator, &self.pubkey, &self.moniker, self.self_bond);
        bond.commission = GenesisCommission {
            rate: self.commission_rate.unwrap_or(defaults.rate),
            max_rate: self.commission_max_rate.unwrap_or(defaults.max_rate),
            max_change_rate: self
                .commission_max_change_rate
                .unwrap_or(defaults.max_change_rate),
        };
        bond.min_self_delegation = self.min_self_delegation;
        doc.add_validator(bond)
            .and_then(|()| doc.validate())
            .map_err(|e| {
                anyhow::anyhow!("cannot add the validator to {}: {e}", self.file.display())
            })?;
        doc.save(&self.file)?;
        writeln!(
            out,
            "bonded {} ({}) with {} in {}: {}",
            self.moniker,
            self.operator.to_valoper(),
            self.self_bond,
            self.file.display(),
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

    /// `--validator` for `key`, operated by account `seed`.
    fn val(key: &str, seed: u8) -> String {
        format!("{key}:{}", address(seed))
    }

    /// `--account` funding account `seed` with enough for a default self-bond.
    fn funded(seed: u8) -> String {
        format!("{}:100000000", address(seed))
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
            &val(KEY_A, 1),
            "--validator",
            &format!("{}:7:node1", val(KEY_B, 3)),
            "--account",
            &funded(3),
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
                "wrote genesis {file_arg}: chain id quire-localnet, 2 validators, 3 accounts\n"
            )
        );
        let doc = GenesisDoc::load(&file).unwrap();
        assert_eq!(doc.genesis_time, "2024-12-31T22:00:00Z");
        assert_eq!(
            (doc.validators[0].power, doc.validators[0].name.as_str()),
            (10, Address::new([1; 20]).to_valoper().as_str())
        );
        assert_eq!(
            (doc.validators[1].power, doc.validators[1].name.as_str()),
            (7, "node1")
        );
        let alice_account = doc
            .app_state
            .accounts
            .iter()
            .find(|a| a.address == address(1));
        assert_eq!(alice_account.unwrap().balance, 1_000_000_000_000_000);
        let bonds = &doc.app_state.staking.validators;
        assert_eq!(
            (bonds[0].self_bond, bonds[1].self_bond),
            (10_000_000, 7_000_000)
        );
        assert_eq!(doc.app_state.params, Params::default());

        let out = genesis(&["validate", file_arg]).unwrap();
        assert_eq!(
            out,
            format!(
                "genesis {file_arg} is valid: chain id quire-localnet, 2 validators, 3 accounts\n"
            )
        );

        // No silent overwrite.
        let err = genesis(&[
            "create",
            "--chain-id",
            "x",
            "--validator",
            &val(KEY_A, 1),
            "--account",
            &funded(1),
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
            &val(KEY_A, 1),
            "--account",
            &funded(1),
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
            &val(KEY_A, 1),
            "--account",
            &funded(1),
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
            &val(KEY_A, 1),
            "--account",
            &funded(1),
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
            &val(KEY_A, 1),
            "--account",
            &funded(1),
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
                &val(KEY_A, 1),
                "--account",
                &funded(1),
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
        let (va, fa) = (val(KEY_A, 1), funded(1));
        let (vb, fb) = (val(KEY_A, 2), funded(2));
        let unfunded = val(KEY_A, 9);
        let (zero_power, word_power) = (format!("{va}:0"), format!("{va}:ten"));
        let old_format = format!("{KEY_A}:10:node0");
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
                    &va,
                    "--account",
                    &fa,
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
                    &va,
                    "--account",
                    &fa,
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
                    &va,
                    "--account",
                    &fa,
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
                    &va,
                    "--account",
                    &fa,
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
                    &va,
                    "--account",
                    &fa,
                    "--validator",
                    &vb,
                    "--account",
                    &fb,
                ],
                "--validator",
                "used twice",
            ),
            (
                vec!["--chain-id", "c", "--validator", &old_format],
                "--validator",
                "PUBKEY:OPERATOR",
            ),
            (
                vec!["--chain-id", "c", "--validator", &unfunded],
                "--validator",
                "no genesis account",
            ),
            (
                vec![
                    "--chain-id",
                    "c",
                    "--validator",
                    &va,
                    "--account",
                    &fa,
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
    fn add_validator_bonds_from_a_genesis_account() {
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("genesis.json");
        let f = file.to_str().unwrap();
        genesis(&[
            "create",
            "--chain-id",
            "c",
            "--validator",
            &val(KEY_A, 1),
            "--account",
            &funded(1),
            "--account",
            &funded(2),
            "--out",
            f,
        ])
        .unwrap();
        let add = |extra: &[&str]| {
            let mut argv = vec!["add-validator", f, "--pubkey", KEY_B, "--moniker", "v2"];
            argv.extend_from_slice(extra);
            genesis(&argv)
        };
        // Operator 3 has no account; operator 2 cannot bond more than it holds.
        let err = add(&["--operator", &address(3)]).unwrap_err().to_string();
        assert!(err.contains("no genesis account"), "{err}");
        let err = add(&["--operator", &address(2), "--self-bond", "100000001"])
            .unwrap_err()
            .to_string();
        assert!(err.contains("less than its self_bond"), "{err}");
        let err = add(&["--operator", &address(2), "--commission-rate", "0.5"])
            .unwrap_err()
            .to_string();
        assert!(err.contains("above the max rate"), "{err}");
        let out = add(&["--operator", &address(2), "--self-bond", "25000000"]).unwrap();
        assert!(out.contains("2 validators"), "{out}");
        let doc = GenesisDoc::load(&file).unwrap();
        assert_eq!(doc.validators[0].power, 25);
        assert_eq!(doc.validators[0].name, "v2");
        // The same key again is refused.
        let err = add(&["--operator", &address(1)]).unwrap_err().to_string();
        assert!(
            err.contains("has two validators") || err.contains("used twice"),
            "{err}"
        );
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
            &val(KEY_A, 1),
            "--account",
            &funded(1),
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
