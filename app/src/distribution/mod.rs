//! distribution: every block's fees go to the validators that signed the
//! previous block, by power. Each validator's operator gets its commission
//! (`rate × reward`, rounded down) as spendable balance; the rest is added
//! to the validator's bonded tokens, so every delegator's shares are worth
//! more (auto-compounding rewards).
//!
//! Why this and not the SDK's F1 distribution: no per-delegator reward
//! bookkeeping, no withdraw messages and no period records to keep
//! consistent through slashes; the cost is that delegators' rewards are
//! stake, not balance — they are withdrawn by undelegating, through the
//! unbonding period (docs/staking.md).
//!
//! At block H the fee pool holds the fees of block H−1 (and any dust left
//! from earlier splits); it is split over the votes of H−1's commit that
//! signed, by their power. Shares of votes whose validator is gone, and
//! the rounding dust, stay in the pool for the next block.

use crate::auth::state::AuthWrite;
use crate::bank::state::{BankRead, BankWrite};
use crate::component::Component;
use crate::context::{BlockContext, VoteFlag};
use crate::error::StateReadError;
use crate::staking::ops;
use crate::staking::state::{BondStatus, StakingRead, StakingWrite};
use crate::state::StateWrite;
use quire_core::staking::dec::mul_div_floor;

/// The distribution component.
#[derive(Debug, Default)]
pub struct Distribution;

impl Component for Distribution {
    fn name(&self) -> &'static str {
        "distribution"
    }

    fn begin_block(
        &self,
        state: &mut dyn StateWrite,
        ctx: &BlockContext,
    ) -> Result<(), StateReadError> {
        allocate(state, ctx).map(|_| ())
    }
}

/// What one validator got from a block's fees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reward {
    /// The validator's operator.
    pub operator: quire_core::Address,
    /// Added to its tokens.
    pub staked: u128,
    /// Paid to its operator.
    pub commission: u128,
}

/// Pays the fee pool out to the last commit's signers; returns who got what.
pub fn allocate(
    state: &mut dyn StateWrite,
    ctx: &BlockContext,
) -> Result<Vec<Reward>, StateReadError> {
    let pool = state.fee_pool()?;
    let signed: Vec<_> = ctx
        .last_commit
        .votes
        .iter()
        .filter(|vote| vote.flag != VoteFlag::Absent && vote.power > 0)
        .collect();
    let total_power: u128 = signed.iter().map(|vote| u128::from(vote.power)).sum();
    if pool == 0 || total_power == 0 {
        return Ok(Vec::new());
    }
    let mut paid: u128 = 0;
    let mut rewards = Vec::new();
    for vote in signed {
        let reward = mul_div_floor(pool, u128::from(vote.power), total_power).unwrap_or(0);
        if reward == 0 {
            continue;
        }
        let Some(operator) = state.operator_of(&vote.validator)? else {
            continue;
        };
        let Some(mut validator) = state.validator(&operator)? else {
            continue;
        };
        if validator.delegator_shares == 0 {
            // Nobody to compound for: the share stays in the pool.
            continue;
        }
        let commission = validator
            .commission
            .rate()
            .mul_int_floor(reward)
            .unwrap_or(0);
        let staked = reward - commission;
        let mut account = state.account_or_create(&operator)?;
        account.balance = account.balance.saturating_add(commission);
        state.put_account(&operator, &account);
        validator.tokens = validator.tokens.saturating_add(staked);
        state.put_validator(&validator);
        ops::add_to_pool(state, validator.status == BondStatus::Bonded, staked)
            .map_err(|e| StateReadError(format!("distribution: {e}")))?;
        ops::mark_changed(state);
        paid += reward;
        rewards.push(Reward {
            operator,
            staked,
            commission,
        });
    }
    state.put_fee_pool(pool - paid);
    Ok(rewards)
}
