//! staking's part of genesis: the parameters and the validators bonded at
//! genesis, each self-bonded from its operator's genesis account (a gentx).

use quire_core::msg::CheckedCoin;
use quire_core::params::u128_string;
use quire_core::staking::msg::{CommissionRates, CreateValidator, Description};
use quire_core::staking::{Dec, StakingParams, POWER_REDUCTION};
use serde::{Deserialize, Serialize};

/// `app_state.staking`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StakingGenesis {
    /// Staking and slashing parameters.
    #[serde(default)]
    pub params: StakingParams,
    /// Validators bonded at genesis.
    #[serde(default)]
    pub validators: Vec<GenesisBond>,
}

/// A validator bonded at genesis.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisBond {
    /// The operator's account (`quire1…`); it must be a genesis account
    /// holding at least `self_bond`, which is taken from its balance.
    pub operator: String,
    /// The ed25519 consensus key, base64 (the `value` of `cometbft
    /// show-validator`).
    pub consensus_pubkey: String,
    /// Display name.
    pub moniker: String,
    /// Tokens the operator bonds; power = self_bond / 10^6 (≥ 1).
    #[serde(with = "u128_string")]
    pub self_bond: u128,
    /// Commission rates.
    #[serde(default)]
    pub commission: GenesisCommission,
    /// Minimum self-delegation (default 1).
    #[serde(with = "u128_string", default = "one")]
    pub min_self_delegation: u128,
}

fn one() -> u128 {
    1
}

/// Commission rates of a genesis validator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisCommission {
    /// Current rate.
    pub rate: Dec,
    /// Highest rate.
    pub max_rate: Dec,
    /// Largest change per change.
    pub max_change_rate: Dec,
}

impl Default for GenesisCommission {
    /// 10 %, at most 20 %, changing by at most 1 % a day (the SDK CLI's defaults).
    fn default() -> Self {
        let percent = |n: u128| Dec::from_atoms(n * 10_000_000_000_000_000);
        GenesisCommission {
            rate: percent(10),
            max_rate: percent(20),
            max_change_rate: percent(1),
        }
    }
}

impl GenesisBond {
    /// A validator bonding `self_bond` with the default commission.
    pub fn new(
        operator: &quire_core::Address,
        consensus_key: &[u8; 32],
        moniker: &str,
        self_bond: u128,
    ) -> Self {
        use base64::Engine as _;
        GenesisBond {
            operator: operator.to_bech32(),
            consensus_pubkey: base64::engine::general_purpose::STANDARD.encode(consensus_key),
            moniker: moniker.to_string(),
            self_bond,
            commission: GenesisCommission::default(),
            min_self_delegation: 1,
        }
    }

    /// The consensus key, decoded.
    pub fn consensus_key(&self) -> Result<[u8; 32], String> {
        use base64::Engine as _;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(&self.consensus_pubkey)
            .map_err(|e| format!("consensus_pubkey is not base64: {e}"))?;
        let key: [u8; 32] = bytes.as_slice().try_into().map_err(|_| {
            format!(
                "consensus_pubkey must be a 32-byte ed25519 key, got {} bytes",
                bytes.len()
            )
        })?;
        quire_core::staking::msg::ed25519_point(key).map_err(|e| e.to_string())
    }

    /// Its voting power.
    pub fn power(&self) -> u64 {
        quire_core::staking::voting_power(self.self_bond)
    }

    /// The equivalent `MsgCreateValidator`, checked as one (`fee_denom` is
    /// the bond denom).
    pub fn to_msg(&self, fee_denom: &str) -> Result<CreateValidator, String> {
        let description = Description {
            moniker: self.moniker.clone(),
            ..Description::default()
        };
        if description.moniker.is_empty() {
            return Err("moniker is empty".into());
        }
        description.validate().map_err(|e| e.to_string())?;
        let commission = CommissionRates::new(
            self.commission.rate,
            self.commission.max_rate,
            self.commission.max_change_rate,
        );
        commission.validate().map_err(|e| e.to_string())?;
        if self.min_self_delegation == 0 || self.min_self_delegation > self.self_bond {
            return Err(format!(
                "min_self_delegation must be 1..=self_bond ({}), got {}",
                self.self_bond, self.min_self_delegation
            ));
        }
        if self.self_bond < POWER_REDUCTION {
            return Err(format!(
                "self_bond {} gives no voting power: it must be at least {POWER_REDUCTION}",
                self.self_bond
            ));
        }
        Ok(CreateValidator {
            description,
            commission,
            min_self_delegation: self.min_self_delegation,
            consensus_key: self.consensus_key()?,
            value: CheckedCoin::new(fee_denom, self.self_bond),
        })
    }
}
