//! slashing: punishes validators for what CometBFT reports at the start of
//! every block —
//!
//! - **double signing** (FinalizeBlock's `misbehavior`, both kinds treated
//!   as equivocation): slash `slash_fraction_double_sign` of the stake at
//!   the infraction (height − 2: the set that signed it), including the
//!   unbonding and redelegated stake that left since, jail forever,
//!   tombstone. Evidence older than both age limits, of an unknown, unbonded
//!   or already tombstoned validator, is ignored.
//! - **downtime** (the last block's commit): each validator's last
//!   `signed_blocks_window` votes are kept as a bitmap; one that misses more
//!   than `window × (1 − min_signed_per_window)` after its first full window
//!   is slashed `slash_fraction_downtime` (at height − 3), jailed for
//!   `downtime_jail_duration_secs`, and its window reset. A vote counts as
//!   signed unless it is `Absent` (nil votes sign, as in the SDK ≥ 0.50).
//!
//! The votes judged are CometBFT's (`decided_last_commit`), never the app's
//! own set, so a validator is judged from the first block it actually
//! signs in. Jailed validators leave the active set at the block's end
//! (staking's EndBlock); `MsgUnjail` brings them back.
//!
//! State under `slashing/` ([`keys`]): signing info per consensus address,
//! and the missed-vote bitmap as one key per missed index.

pub mod keys;
pub mod state;

use crate::component::Component;
use crate::context::{BlockContext, MisbehaviorKind, VoteFlag};
use crate::error::StateReadError;
use crate::staking::slash;
use crate::staking::state::{BondStatus, StakingRead};
use crate::state::StateWrite;
use quire_core::staking::StakingParams;
use state::{SigningInfo, SlashingRead, SlashingWrite};

/// Blocks between a validator update and the set it makes signing (CometBFT's
/// `ValidatorUpdateDelay` + 1: an infraction at `h` was by the set bonded at
/// `h − 2`).
const UPDATE_DELAY: u64 = 2;

/// The slashing component.
#[derive(Debug, Default)]
pub struct Slashing;

impl Component for Slashing {
    fn name(&self) -> &'static str {
        "slashing"
    }

    /// Evidence first, then liveness over the last block's commit.
    fn begin_block(
        &self,
        state: &mut dyn StateWrite,
        ctx: &BlockContext,
    ) -> Result<(), StateReadError> {
        let params = state.staking_params()?;
        handle_evidence(state, &params, ctx)?;
        handle_liveness(state, &params, ctx)
    }
}

fn handle_evidence(
    state: &mut dyn StateWrite,
    params: &StakingParams,
    ctx: &BlockContext,
) -> Result<(), StateReadError> {
    for evidence in &ctx.misbehavior {
        if evidence.kind == MisbehaviorKind::Unknown {
            continue;
        }
        let age_blocks = ctx.height.saturating_sub(evidence.height);
        let age_secs = ctx.time.seconds.saturating_sub(evidence.time.seconds);
        if age_blocks > params.evidence_max_age_blocks
            && u64::try_from(age_secs).unwrap_or(0) > params.evidence_max_age_secs
        {
            continue;
        }
        let Some(operator) = state.operator_of(&evidence.validator)? else {
            continue;
        };
        let Some(validator) = state.validator(&operator)? else {
            continue;
        };
        if validator.tombstoned || validator.status == BondStatus::Unbonded {
            continue;
        }
        let infraction = evidence.height.saturating_sub(UPDATE_DELAY).max(1);
        slash::slash(
            state,
            &operator,
            infraction,
            evidence.power,
            params.slash_fraction_double_sign,
            ctx.time,
        )?;
        slash::jail(
            state,
            &operator,
            crate::context::Timestamp::from_seconds(i64::MAX),
            true,
        )?;
    }
    Ok(())
}

/// The most misses a window allows: `window − floor(window × min_signed)`.
pub fn max_missed(params: &StakingParams) -> u64 {
    let min_signed = params
        .min_signed_per_window
        .mul_int_floor(u128::from(params.signed_blocks_window))
        .unwrap_or(0);
    params
        .signed_blocks_window
        .saturating_sub(u64::try_from(min_signed).unwrap_or(u64::MAX))
}

fn handle_liveness(
    state: &mut dyn StateWrite,
    params: &StakingParams,
    ctx: &BlockContext,
) -> Result<(), StateReadError> {
    let window = params.signed_blocks_window;
    let allowed = max_missed(params);
    for vote in &ctx.last_commit.votes {
        let Some(operator) = state.operator_of(&vote.validator)? else {
            continue;
        };
        match state.validator(&operator)? {
            Some(validator) if !validator.jailed => {}
            _ => continue,
        }
        let mut info = state.signing_info(&vote.validator)?.unwrap_or(SigningInfo {
            start_height: ctx.height,
            index_offset: 0,
            missed_blocks: 0,
        });
        let index = info.index_offset % window;
        info.index_offset = info.index_offset.saturating_add(1);
        let missed = vote.flag == VoteFlag::Absent;
        let was_missed = state.missed(&vote.validator, index)?;
        if missed && !was_missed {
            state.put_missed(&vote.validator, index, true);
            info.missed_blocks += 1;
        } else if !missed && was_missed {
            state.put_missed(&vote.validator, index, false);
            info.missed_blocks = info.missed_blocks.saturating_sub(1);
        }
        if ctx.height > info.start_height.saturating_add(window) && info.missed_blocks > allowed {
            let infraction = ctx.height.saturating_sub(UPDATE_DELAY + 1).max(1);
            slash::slash(
                state,
                &operator,
                infraction,
                vote.power,
                params.slash_fraction_downtime,
                ctx.time,
            )?;
            let until = ctx.time.plus_seconds(params.downtime_jail_duration_secs);
            slash::jail(state, &operator, until, false)?;
            state.clear_missed(&vote.validator)?;
            info = SigningInfo {
                start_height: ctx.height,
                index_offset: 0,
                missed_blocks: 0,
            };
        }
        state.put_signing_info(&vote.validator, &info);
    }
    Ok(())
}
