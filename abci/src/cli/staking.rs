//! `quired tx staking …`, `quired tx slashing unjail`, `quired query
//! staking …` and `quired query distribution rewards`, in the Cosmos SDK
//! CLI's shape: positional validator addresses (`quirevaloper1…`) and
//! amounts (`1000000` or `1000000uquire`).

use crate::cli::tx::{broadcast, TxCommon};
use crate::cli::NodeArg;
use anyhow::{bail, Context};
use cosmrs::proto::cosmos::staking::v1beta1 as sdk;
use quire_client::NodeClient;
use quire_core::msg::CheckedCoin;
use quire_core::staking::msg::{
    BeginRedelegate, CommissionRates, CreateValidator, Delegate, Description, DescriptionEdit,
    EditValidator, Undelegate, Unjail,
};
use quire_core::staking::Dec;
use quire_core::{Address, Msg};

/// The bond denom (the fee denom).
const DENOM: &str = "uquire";

/// Parses `AMOUNT` or `AMOUNT` followed by the bond denom.
fn parse_amount(text: &str) -> Result<u128, String> {
    let digits = text.strip_suffix(DENOM).unwrap_or(text);
    digits
        .parse::<u128>()
        .map_err(|_| format!("{text:?} is not an amount such as 1000000 or 1000000{DENOM}"))
}

fn parse_valoper(text: &str) -> Result<Address, String> {
    Address::from_valoper(text).map_err(|e| e.to_string())
}

fn parse_dec(text: &str) -> Result<Dec, String> {
    Dec::parse(text).map_err(|e| e.to_string())
}

/// Parses the consensus key: base64, or `cometbft show-validator`'s JSON.
fn parse_consensus_key(text: &str) -> Result<[u8; 32], String> {
    let value = match serde_json::from_str::<serde_json::Value>(text) {
        Ok(json) => json["value"]
            .as_str()
            .map(str::to_string)
            .ok_or("the JSON has no \"value\" (expected `cometbft show-validator` output)")?,
        Err(_) => text.to_string(),
    };
    quire_genesis::parse_ed25519_pubkey(&value).map_err(|e| format!("consensus key: {e}"))
}

/// `quired tx staking …`
#[derive(Debug, clap::Subcommand)]
pub enum StakingTx {
    /// Become a validator: bond --amount from the --from account, which is
    /// the operator.
    CreateValidator(CreateValidatorArgs),
    /// Change a validator's description, commission rate or minimum
    /// self-delegation.
    EditValidator(EditValidatorArgs),
    /// Delegate to a validator.
    Delegate {
        /// The validator (quirevaloper1…).
        #[arg(value_parser = parse_valoper)]
        validator: Address,
        /// How much.
        #[arg(value_parser = parse_amount)]
        amount: u128,
        #[command(flatten)]
        common: TxCommon,
    },
    /// Undelegate from a validator: paid out after the unbonding time.
    Unbond {
        /// The validator (quirevaloper1…).
        #[arg(value_parser = parse_valoper)]
        validator: Address,
        /// How many tokens.
        #[arg(value_parser = parse_amount)]
        amount: u128,
        #[command(flatten)]
        common: TxCommon,
    },
    /// Move stake from one validator to another at once.
    Redelegate {
        /// From (quirevaloper1…).
        #[arg(value_parser = parse_valoper)]
        src: Address,
        /// To (quirevaloper1…).
        #[arg(value_parser = parse_valoper)]
        dst: Address,
        /// How many tokens.
        #[arg(value_parser = parse_amount)]
        amount: u128,
        #[command(flatten)]
        common: TxCommon,
    },
}

/// `quired tx staking create-validator`
#[derive(Debug, clap::Args)]
pub struct CreateValidatorArgs {
    /// The ed25519 consensus key: base64, or `cometbft show-validator`'s JSON.
    #[arg(long, value_parser = parse_consensus_key)]
    pubkey: [u8; 32],
    /// Self-bond (≥ 10^6 for any voting power).
    #[arg(long, value_parser = parse_amount)]
    amount: u128,
    /// Display name.
    #[arg(long)]
    moniker: String,
    /// Identity (e.g. a Keybase signature).
    #[arg(long, default_value = "")]
    identity: String,
    /// Website.
    #[arg(long, default_value = "")]
    website: String,
    /// Details.
    #[arg(long, default_value = "")]
    details: String,
    /// Commission rate.
    #[arg(long, value_parser = parse_dec, default_value = "0.1")]
    commission_rate: Dec,
    /// Highest commission rate it may ever set.
    #[arg(long, value_parser = parse_dec, default_value = "0.2")]
    commission_max_rate: Dec,
    /// Largest commission change per day.
    #[arg(long, value_parser = parse_dec, default_value = "0.01")]
    commission_max_change_rate: Dec,
    /// Minimum self-delegation: below it the validator is jailed.
    #[arg(long, value_parser = parse_amount, default_value = "1")]
    min_self_delegation: u128,
    /// On a chain anchored on an L1: the node's L1 key file
    /// (`<node home>/config/l1_signer_key.json`), registered in the same
    /// transaction.
    #[arg(long)]
    l1_key: Option<std::path::PathBuf>,
    /// On a chain that generates its encryption keys: the node's
    /// key-generation key file (`<node home>/config/dkg_key.json`),
    /// registered in the same transaction.
    #[arg(long)]
    dkg_key: Option<std::path::PathBuf>,
    #[command(flatten)]
    common: TxCommon,
}

/// `quired tx staking edit-validator`
#[derive(Debug, clap::Args)]
pub struct EditValidatorArgs {
    /// New display name.
    #[arg(long)]
    moniker: Option<String>,
    /// New website.
    #[arg(long)]
    website: Option<String>,
    /// New details.
    #[arg(long)]
    details: Option<String>,
    /// New commission rate (once a day, by at most the max change rate).
    #[arg(long, value_parser = parse_dec)]
    commission_rate: Option<Dec>,
    /// New, higher minimum self-delegation.
    #[arg(long, value_parser = parse_amount)]
    min_self_delegation: Option<u128>,
    #[command(flatten)]
    common: TxCommon,
}

/// `quired tx slashing …`
#[derive(Debug, clap::Subcommand)]
pub enum SlashingTx {
    /// Bring the --from account's validator back after its jail time.
    Unjail {
        #[command(flatten)]
        common: TxCommon,
    },
}

fn bond(amount: u128) -> CheckedCoin {
    CheckedCoin::new(DENOM, amount)
}

impl StakingTx {
    /// Signs and broadcasts.
    pub async fn run(self) -> anyhow::Result<()> {
        let (common, msg) = match self {
            StakingTx::CreateValidator(a) => {
                let msg = Msg::CreateValidator(CreateValidator {
                    description: Description {
                        moniker: a.moniker,
                        identity: a.identity,
                        website: a.website,
                        security_contact: String::new(),
                        details: a.details,
                    },
                    commission: CommissionRates::new(
                        a.commission_rate,
                        a.commission_max_rate,
                        a.commission_max_change_rate,
                    ),
                    min_self_delegation: a.min_self_delegation,
                    consensus_key: a.pubkey,
                    value: bond(a.amount),
                });
                let mut messages = vec![msg];
                messages.extend(crate::cli::l1::set_key_msg(&a.common, a.l1_key.as_deref()).await?);
                if let Some(path) = &a.dkg_key {
                    messages.push(crate::cli::encryption::set_dkg_key_msg(&a.common, path).await?);
                }
                return broadcast(a.common, messages).await;
            }
            StakingTx::EditValidator(a) => {
                if a.moniker.is_none()
                    && a.website.is_none()
                    && a.details.is_none()
                    && a.commission_rate.is_none()
                    && a.min_self_delegation.is_none()
                {
                    bail!("nothing to edit: give --moniker, --website, --details, --commission-rate or --min-self-delegation");
                }
                let msg = Msg::EditValidator(EditValidator {
                    description: DescriptionEdit {
                        moniker: a.moniker,
                        website: a.website,
                        details: a.details,
                        ..DescriptionEdit::default()
                    },
                    commission_rate: a.commission_rate,
                    min_self_delegation: a.min_self_delegation,
                });
                (a.common, msg)
            }
            StakingTx::Delegate {
                validator,
                amount,
                common,
            } => (
                common,
                Msg::Delegate(Delegate {
                    validator,
                    amount: bond(amount),
                }),
            ),
            StakingTx::Unbond {
                validator,
                amount,
                common,
            } => (
                common,
                Msg::Undelegate(Undelegate {
                    validator,
                    amount: bond(amount),
                }),
            ),
            StakingTx::Redelegate {
                src,
                dst,
                amount,
                common,
            } => (
                common,
                Msg::BeginRedelegate(BeginRedelegate {
                    src,
                    dst,
                    amount: bond(amount),
                }),
            ),
        };
        broadcast(common, vec![msg]).await
    }
}

impl SlashingTx {
    /// Signs and broadcasts.
    pub async fn run(self) -> anyhow::Result<()> {
        match self {
            SlashingTx::Unjail { common } => broadcast(common, vec![Msg::Unjail(Unjail)]).await,
        }
    }
}

/// `quired query staking …`
#[derive(Debug, clap::Subcommand)]
pub enum StakingQuery {
    /// Every validator: status, power, tokens, commission.
    Validators {
        #[command(flatten)]
        node: NodeArg,
    },
    /// One validator.
    Validator {
        /// quirevaloper1…
        #[arg(value_parser = parse_valoper)]
        validator: Address,
        #[command(flatten)]
        node: NodeArg,
    },
    /// One delegation and the tokens it is worth.
    Delegation {
        /// The delegator (quire1…).
        delegator: Address,
        /// The validator (quirevaloper1…).
        #[arg(value_parser = parse_valoper)]
        validator: Address,
        #[command(flatten)]
        node: NodeArg,
    },
    /// A delegator's unbonding entries at one validator.
    Unbonding {
        /// The delegator (quire1…).
        delegator: Address,
        /// The validator (quirevaloper1…).
        #[arg(value_parser = parse_valoper)]
        validator: Address,
        #[command(flatten)]
        node: NodeArg,
    },
    /// The bonded and not-bonded pools.
    Pool {
        #[command(flatten)]
        node: NodeArg,
    },
}

/// `quired query distribution …`
#[derive(Debug, clap::Subcommand)]
pub enum DistributionQuery {
    /// A delegator's rewards: rewards compound into stake, so this is what
    /// each of its delegations is worth now.
    Rewards {
        /// The delegator (quire1…).
        delegator: Address,
        #[command(flatten)]
        node: NodeArg,
    },
}

fn validator_json(v: &sdk::Validator) -> serde_json::Value {
    let status = match v.status {
        3 => "BOND_STATUS_BONDED",
        2 => "BOND_STATUS_UNBONDING",
        1 => "BOND_STATUS_UNBONDED",
        _ => "BOND_STATUS_UNSPECIFIED",
    };
    let rates = v
        .commission
        .as_ref()
        .and_then(|c| c.commission_rates.as_ref());
    let dec = |atoms: &str| {
        atoms
            .parse::<u128>()
            .map(|a| Dec::from_atoms(a).to_string())
            .unwrap_or_else(|_| atoms.to_string())
    };
    let power = v
        .tokens
        .parse::<u128>()
        .map(quire_core::staking::voting_power)
        .unwrap_or(0);
    serde_json::json!({
        "operator_address": v.operator_address,
        "moniker": v.description.as_ref().map(|d| d.moniker.clone()).unwrap_or_default(),
        "status": status,
        "jailed": v.jailed,
        "tokens": v.tokens,
        "voting_power": power,
        "delegator_shares": dec(&v.delegator_shares),
        "commission_rate": rates.map(|r| dec(&r.rate)),
        "commission_max_rate": rates.map(|r| dec(&r.max_rate)),
        "min_self_delegation": v.min_self_delegation,
        "unbonding_height": v.unbonding_height,
        "unbonding_time": v.unbonding_time.as_ref().map(|t| t.seconds),
    })
}

fn delegation_json(d: &sdk::DelegationResponse) -> serde_json::Value {
    let delegation = d.delegation.clone().unwrap_or_default();
    serde_json::json!({
        "delegator_address": delegation.delegator_address,
        "validator_address": delegation.validator_address,
        "shares": delegation
            .shares
            .parse::<u128>()
            .map(|a| Dec::from_atoms(a).to_string())
            .unwrap_or(delegation.shares),
        "balance": d.balance.as_ref().map(|c| format!("{}{}", c.amount, c.denom)),
    })
}

fn print(value: serde_json::Value) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(&value)?);
    Ok(())
}

impl StakingQuery {
    /// Queries and prints JSON.
    pub async fn run(self) -> anyhow::Result<()> {
        match self {
            StakingQuery::Validators { node } => {
                let validators = NodeClient::new(&node.node)?.validators().await?;
                print(serde_json::Value::Array(
                    validators.iter().map(validator_json).collect(),
                ))
            }
            StakingQuery::Validator { validator, node } => {
                match NodeClient::new(&node.node)?.validator(&validator).await? {
                    Some(v) => print(validator_json(&v)),
                    None => bail!("validator {} not found", validator.to_valoper()),
                }
            }
            StakingQuery::Delegation {
                delegator,
                validator,
                node,
            } => match NodeClient::new(&node.node)?
                .delegation(&delegator, &validator)
                .await?
            {
                Some(d) => print(delegation_json(&d)),
                None => bail!(
                    "{delegator} has no delegation to {}",
                    validator.to_valoper()
                ),
            },
            StakingQuery::Unbonding {
                delegator,
                validator,
                node,
            } => {
                let Some(u) = NodeClient::new(&node.node)?
                    .unbonding(&delegator, &validator)
                    .await?
                else {
                    bail!(
                        "{delegator} is not unbonding from {}",
                        validator.to_valoper()
                    );
                };
                print(serde_json::json!({
                    "delegator_address": u.delegator_address,
                    "validator_address": u.validator_address,
                    "entries": u.entries.iter().map(|e| serde_json::json!({
                        "creation_height": e.creation_height,
                        "completion_time": e.completion_time.as_ref().map(|t| t.seconds),
                        "initial_balance": e.initial_balance,
                        "balance": e.balance,
                    })).collect::<Vec<_>>(),
                }))
            }
            StakingQuery::Pool { node } => {
                let pool = NodeClient::new(&node.node)?.staking_pool().await?;
                print(serde_json::json!({
                    "bonded_tokens": pool.bonded_tokens,
                    "not_bonded_tokens": pool.not_bonded_tokens,
                }))
            }
        }
    }
}

impl DistributionQuery {
    /// Queries and prints JSON.
    pub async fn run(self) -> anyhow::Result<()> {
        match self {
            DistributionQuery::Rewards { delegator, node } => {
                let delegations = NodeClient::new(&node.node)?
                    .delegations(&delegator)
                    .await
                    .context("delegations query")?;
                print(serde_json::json!({
                    "delegator_address": delegator.to_bech32(),
                    "note": "rewards compound into each delegation: its balance includes them",
                    "delegations": delegations.iter().map(delegation_json).collect::<Vec<_>>(),
                }))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(subcommand)]
        command: StakingTx,
    }

    fn parse(args: &[&str]) -> Result<StakingTx, String> {
        Cli::try_parse_from(std::iter::once("staking").chain(args.iter().copied()))
            .map(|cli| cli.command)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn amounts_take_the_bond_denom_or_none() {
        assert_eq!(parse_amount("1000"), Ok(1000));
        assert_eq!(parse_amount("1000uquire"), Ok(1000));
        for bad in ["", "uquire", "10uatom", "-5", "1.5", "1e6"] {
            assert!(parse_amount(bad).is_err(), "{bad:?} parsed");
        }
    }

    #[test]
    fn consensus_keys_are_base64_or_show_validator_json() {
        let key = "cSCNOue0A+AHPCHOmyh3eDza/HCHPdd1Bxdjfqs6nB4=";
        let json = format!(r#"{{"type":"tendermint/PubKeyEd25519","value":"{key}"}}"#);
        assert_eq!(parse_consensus_key(key), parse_consensus_key(&json));
        assert!(parse_consensus_key(key).is_ok());
        assert!(parse_consensus_key(r#"{"type":"x"}"#)
            .unwrap_err()
            .contains("value"));
        assert!(parse_consensus_key("AAAA")
            .unwrap_err()
            .contains("32 bytes"));
    }

    #[test]
    fn bad_arguments_name_what_is_wrong() {
        let valoper = Address::new([1; 20]).to_valoper();
        let account = Address::new([1; 20]).to_bech32();
        let ok = parse(&["delegate", &valoper, "5", "--from", "alice"]);
        assert!(ok.is_ok(), "{ok:?}");
        let err = parse(&["delegate", &account, "5", "--from", "alice"]).unwrap_err();
        assert!(err.contains("quirevaloper"), "{err}");
        let err = parse(&["unbond", &valoper, "five", "--from", "alice"]).unwrap_err();
        assert!(err.contains("not an amount"), "{err}");
        let err = parse(&[
            "create-validator",
            "--pubkey",
            "AAAA",
            "--amount",
            "1",
            "--moniker",
            "m",
            "--from",
            "op",
        ])
        .unwrap_err();
        assert!(err.contains("32 bytes"), "{err}");
        let err = parse(&[
            "edit-validator",
            "--commission-rate",
            "0.1.2",
            "--from",
            "op",
        ])
        .unwrap_err();
        assert!(err.contains("decimal"), "{err}");
    }
}
