//! `quired chain-info`: a running network described the way the Cosmos
//! ecosystem reads chains: a chain-registry `chain.json`, its
//! `assetlist.json`, and a Keplr `experimentalSuggestChain` object.
//!
//! What is read from the network: the chain id (CometBFT's status) and the
//! fee denom (the chain's params); from the genesis file, when given, the
//! unbonding time (the registry's `lock_duration`). The rest is Quire's
//! constants: bech32 prefix `quire`, BIP-44 coin type 118, one token that
//! pays fees and stakes, gas priced at 1 (one gas is one unit of the fee
//! denom: docs/wallets.md).

use super::NodeArg;
use anyhow::Context;
use quire_client::NodeClient;
use serde_json::{json, Value};
use std::path::PathBuf;

/// The account address prefix; the other five follow from it.
const BECH32_PREFIX: &str = quire_core::address::ADDRESS_PREFIX;
/// BIP-44 coin type of Cosmos keys (`m/44'/118'/0'/0/0`).
const COIN_TYPE: u32 = 118;
/// The CometBFT version networks run (localnet/COMETBFT_VERSION).
const COMETBFT_VERSION: &str = include_str!("../../../localnet/COMETBFT_VERSION");

/// `quired chain-info`.
#[derive(Debug, clap::Args)]
pub struct ChainInfoArgs {
    /// The node read for the chain id and params.
    #[command(flatten)]
    pub node: NodeArg,
    /// Public CometBFT RPC URL to publish (default: --node).
    #[arg(long)]
    pub rpc_url: Option<String>,
    /// Public gRPC URL to publish (the read API and the Cosmos services).
    #[arg(long, default_value = "http://127.0.0.1:9190")]
    pub grpc_url: String,
    /// Public REST URL to publish (Keplr needs one): the HTTP read API's
    /// listener, which serves the Cosmos REST routes.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    pub rest_url: String,
    /// The network's genesis file, for the unbonding time (else left out).
    #[arg(long)]
    pub genesis: Option<PathBuf>,
    /// The registry's `network_type`.
    #[arg(long, default_value = "devnet", value_parser = ["mainnet", "testnet", "devnet"])]
    pub network_type: String,
    /// Which document to print (default: all three in one object).
    #[arg(long, value_enum, default_value_t = Document::All)]
    pub only: Document,
}

/// A document `chain-info` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Document {
    /// `{"chain": …, "assetlist": …, "keplr": …}`.
    All,
    /// The chain-registry `chain.json`.
    Chain,
    /// The chain-registry `assetlist.json`.
    Assetlist,
    /// Keplr's `experimentalSuggestChain` argument.
    Keplr,
}

/// What describes the chain, read once.
struct Chain {
    chain_id: String,
    fee_denom: String,
    unbonding_secs: Option<u64>,
}

impl Chain {
    /// The registry's `chain_name`: the chain id's letters and digits,
    /// lower case.
    fn name(&self) -> String {
        let name: String = self
            .chain_id
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .map(|c| c.to_ascii_lowercase())
            .collect();
        if name.is_empty() {
            "quire".into()
        } else {
            name
        }
    }

    /// The display unit and its exponent: `quire`, 6 for `uquire`, else the
    /// denom itself.
    fn display(&self) -> (String, u32) {
        quire_core::params::display_unit(&self.fee_denom)
            .map_or((self.fee_denom.clone(), 0), |(unit, exponent)| {
                (unit.to_string(), exponent)
            })
    }
}

impl ChainInfoArgs {
    /// Runs the command.
    pub fn run(self) -> anyhow::Result<()> {
        let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
        let chain = runtime.block_on(self.read())?;
        let rpc = self
            .rpc_url
            .clone()
            .unwrap_or_else(|| self.node.node.clone());
        let document = match self.only {
            Document::All => json!({
                "chain": chain_json(&chain, &rpc, &self.grpc_url, &self.rest_url, &self.network_type),
                "assetlist": assetlist_json(&chain),
                "keplr": keplr_json(&chain, &rpc, &self.rest_url),
            }),
            Document::Chain => chain_json(
                &chain,
                &rpc,
                &self.grpc_url,
                &self.rest_url,
                &self.network_type,
            ),
            Document::Assetlist => assetlist_json(&chain),
            Document::Keplr => keplr_json(&chain, &rpc, &self.rest_url),
        };
        println!("{}", serde_json::to_string_pretty(&document)?);
        Ok(())
    }

    async fn read(&self) -> anyhow::Result<Chain> {
        let client = NodeClient::new(&self.node.node)?;
        let (chain_id, _) = client
            .status()
            .await
            .with_context(|| format!("cannot read the status of {}", self.node.node))?;
        let params = client
            .params()
            .await
            .context("cannot read the chain's params")?;
        let unbonding_secs = match &self.genesis {
            None => None,
            Some(path) => Some(unbonding_secs(path)?),
        };
        Ok(Chain {
            chain_id,
            fee_denom: params.fee_denom,
            unbonding_secs,
        })
    }
}

/// The unbonding time of a genesis file's staking params.
fn unbonding_secs(path: &std::path::Path) -> anyhow::Result<u64> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let genesis: Value =
        serde_json::from_str(&text).with_context(|| format!("{} is not JSON", path.display()))?;
    genesis["app_state"]["staking"]["params"]["unbonding_time_secs"]
        .as_u64()
        .with_context(|| {
            format!(
                "{} has no app_state.staking.params.unbonding_time_secs",
                path.display()
            )
        })
}

fn chain_json(chain: &Chain, rpc: &str, grpc: &str, rest: &str, network_type: &str) -> Value {
    let mut staking = json!({ "staking_tokens": [{ "denom": chain.fee_denom }] });
    if let Some(secs) = chain.unbonding_secs {
        staking["lock_duration"] = json!({ "time": format!("{secs}s") });
    }
    json!({
        "$schema": "../chain.schema.json",
        "chain_name": chain.name(),
        "chain_type": "cosmos",
        "chain_id": chain.chain_id,
        "pretty_name": "Quire",
        "status": "live",
        "network_type": network_type,
        "bech32_prefix": BECH32_PREFIX,
        "daemon_name": "quired",
        "node_home": "$HOME/.quired",
        "slip44": COIN_TYPE,
        "fees": {
            "fee_tokens": [{
                "denom": chain.fee_denom,
                "fixed_min_gas_price": 1,
                "low_gas_price": 1,
                "average_gas_price": 1,
                "high_gas_price": 1.5
            }]
        },
        "staking": staking,
        "codebase": {
            "consensus": { "type": "cometbft", "version": COMETBFT_VERSION.trim() },
            "sdk": { "type": "other" },
            "language": { "type": "rust" }
        },
        "apis": {
            "rpc": [{ "address": rpc, "provider": "quired chain-info" }],
            "rest": [{ "address": rest, "provider": "quired chain-info" }],
            "grpc": [{ "address": grpc, "provider": "quired chain-info" }]
        }
    })
}

fn assetlist_json(chain: &Chain) -> Value {
    let (display, exponent) = chain.display();
    let mut units = vec![json!({ "denom": chain.fee_denom, "exponent": 0 })];
    if exponent > 0 {
        units.push(json!({ "denom": display, "exponent": exponent }));
    }
    json!({
        "$schema": "../assetlist.schema.json",
        "chain_name": chain.name(),
        "assets": [{
            "description": "Quire's token: pays fees and stakes",
            "denom_units": units,
            "type_asset": "sdk.coin",
            "base": chain.fee_denom,
            "name": "Quire",
            "display": display,
            "symbol": display.to_uppercase()
        }]
    })
}

fn keplr_json(chain: &Chain, rpc: &str, rest: &str) -> Value {
    let (display, decimals) = chain.display();
    let currency = json!({
        "coinDenom": display.to_uppercase(),
        "coinMinimalDenom": chain.fee_denom,
        "coinDecimals": decimals
    });
    let mut fee_currency = currency.clone();
    fee_currency["gasPriceStep"] = json!({ "low": 1, "average": 1, "high": 1.5 });
    // Keplr wants 1 to 30 characters.
    let chain_name: String = format!("Quire {}", chain.chain_id)
        .chars()
        .take(30)
        .collect();
    use quire_core::address::{VALCONS_PREFIX, VALOPER_PREFIX};
    let p = BECH32_PREFIX;
    json!({
        "rpc": rpc,
        "rest": rest,
        "chainId": chain.chain_id,
        "chainName": chain_name,
        "bip44": { "coinType": COIN_TYPE },
        "bech32Config": {
            "bech32PrefixAccAddr": p,
            "bech32PrefixAccPub": format!("{p}pub"),
            "bech32PrefixValAddr": VALOPER_PREFIX,
            "bech32PrefixValPub": format!("{VALOPER_PREFIX}pub"),
            "bech32PrefixConsAddr": VALCONS_PREFIX,
            "bech32PrefixConsPub": format!("{VALCONS_PREFIX}pub")
        },
        "currencies": [currency.clone()],
        "feeCurrencies": [fee_currency],
        "stakeCurrency": currency
    })
}
