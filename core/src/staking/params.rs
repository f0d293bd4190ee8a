//! Staking and slashing parameters, fixed at genesis (`app_state.staking.params`).

use super::dec::Dec;
use serde::{Deserialize, Serialize};

/// Tokens per unit of voting power (the SDK's `DefaultPowerReduction`).
pub const POWER_REDUCTION: u128 = 1_000_000;

/// CometBFT's ceiling on the total (and any single) voting power:
/// `i64::MAX / 8`.
pub const MAX_TOTAL_VOTING_POWER: u64 = (i64::MAX / 8) as u64;

/// The voting power `tokens` give: `floor(tokens / 10^6)`, capped at
/// [`MAX_TOTAL_VOTING_POWER`].
pub fn voting_power(tokens: u128) -> u64 {
    u64::try_from(tokens / POWER_REDUCTION)
        .unwrap_or(MAX_TOTAL_VOTING_POWER)
        .min(MAX_TOTAL_VOTING_POWER)
}

/// The staking and slashing parameters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StakingParams {
    /// How long unbonding stake stays slashable and locked, in seconds
    /// (default 21 days). Must exceed a light client's trusting period and
    /// the evidence age limit.
    pub unbonding_time_secs: u64,
    /// The largest active set.
    pub max_validators: u32,
    /// The most unbonding (or redelegation) entries per delegator and validator.
    pub max_entries: u32,
    /// The lowest commission a validator may charge.
    pub min_commission_rate: Dec,
    /// The shortest time between two commission changes, in seconds (24 h).
    pub commission_change_interval_secs: u64,
    /// Blocks over which liveness is judged.
    pub signed_blocks_window: u64,
    /// Share of the window a validator must sign.
    pub min_signed_per_window: Dec,
    /// How long a validator is jailed for downtime, in seconds.
    pub downtime_jail_duration_secs: u64,
    /// Share of stake slashed for double signing.
    pub slash_fraction_double_sign: Dec,
    /// Share of stake slashed for downtime.
    pub slash_fraction_downtime: Dec,
    /// Evidence older than this many blocks *and* than
    /// [`evidence_max_age_secs`](Self::evidence_max_age_secs) is ignored
    /// (keep equal to `consensus_params.evidence`).
    pub evidence_max_age_blocks: u64,
    /// See [`evidence_max_age_blocks`](Self::evidence_max_age_blocks).
    pub evidence_max_age_secs: u64,
}

impl Default for StakingParams {
    fn default() -> Self {
        StakingParams {
            unbonding_time_secs: 21 * 24 * 3600,
            max_validators: 100,
            max_entries: 7,
            min_commission_rate: Dec::ZERO,
            commission_change_interval_secs: 24 * 3600,
            signed_blocks_window: 100,
            min_signed_per_window: Dec::from_atoms(crate::staking::dec::DEC_ONE_ATOMS / 2),
            downtime_jail_duration_secs: 600,
            slash_fraction_double_sign: Dec::from_atoms(crate::staking::dec::DEC_ONE_ATOMS / 20),
            slash_fraction_downtime: Dec::from_atoms(crate::staking::dec::DEC_ONE_ATOMS / 100),
            evidence_max_age_blocks: 100_000,
            evidence_max_age_secs: 48 * 3600,
        }
    }
}

/// A parameter that cannot run a chain: `(field, reason)`.
pub type StakingParamsError = (&'static str, String);

impl StakingParams {
    /// Checks every parameter's range.
    pub fn validate(&self) -> Result<(), StakingParamsError> {
        const TEN_YEARS: u64 = 10 * 365 * 24 * 3600;
        let fraction = |field: &'static str, value: Dec| {
            if value > Dec::ONE {
                Err((field, format!("{value} is above 1")))
            } else {
                Ok(())
            }
        };
        if self.unbonding_time_secs == 0 || self.unbonding_time_secs > TEN_YEARS {
            return Err((
                "unbonding_time_secs",
                format!("must be 1..={TEN_YEARS}, got {}", self.unbonding_time_secs),
            ));
        }
        if self.max_validators == 0 || self.max_validators > 10_000 {
            return Err((
                "max_validators",
                format!("must be 1..=10000, got {}", self.max_validators),
            ));
        }
        if self.max_entries == 0 || self.max_entries > 100 {
            return Err((
                "max_entries",
                format!("must be 1..=100, got {}", self.max_entries),
            ));
        }
        fraction("min_commission_rate", self.min_commission_rate)?;
        if self.commission_change_interval_secs > TEN_YEARS {
            return Err((
                "commission_change_interval_secs",
                format!("must be at most {TEN_YEARS}"),
            ));
        }
        if self.signed_blocks_window == 0 || self.signed_blocks_window > 1_000_000 {
            return Err((
                "signed_blocks_window",
                format!("must be 1..=1000000, got {}", self.signed_blocks_window),
            ));
        }
        fraction("min_signed_per_window", self.min_signed_per_window)?;
        if self.downtime_jail_duration_secs > TEN_YEARS {
            return Err((
                "downtime_jail_duration_secs",
                format!("must be at most {TEN_YEARS}"),
            ));
        }
        fraction(
            "slash_fraction_double_sign",
            self.slash_fraction_double_sign,
        )?;
        fraction("slash_fraction_downtime", self.slash_fraction_downtime)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_as_documented() {
        let params = StakingParams::default();
        params.validate().unwrap();
        assert_eq!(params.unbonding_time_secs, 1_814_400);
        assert_eq!(
            params.min_signed_per_window.to_string(),
            "0.500000000000000000"
        );
        assert_eq!(
            params.slash_fraction_double_sign.to_string(),
            "0.050000000000000000"
        );
        assert_eq!(
            params.slash_fraction_downtime.to_string(),
            "0.010000000000000000"
        );
    }

    #[test]
    fn ranges_are_checked() {
        let mut params = StakingParams {
            max_validators: 0,
            ..StakingParams::default()
        };
        assert_eq!(params.validate().unwrap_err().0, "max_validators");
        params.max_validators = 5;
        params.slash_fraction_downtime = Dec::from_int(2).unwrap();
        assert_eq!(params.validate().unwrap_err().0, "slash_fraction_downtime");
    }

    #[test]
    fn power_is_tokens_over_a_million() {
        assert_eq!(voting_power(999_999), 0);
        assert_eq!(voting_power(10_000_000), 10);
        assert_eq!(voting_power(u128::MAX), MAX_TOTAL_VOTING_POWER);
    }
}
