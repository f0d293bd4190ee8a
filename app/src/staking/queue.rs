//! The three queues keyed by completion time — unbonding validators,
//! unbonding delegations, redelegations — matured at the end of every block
//! whose time has reached them, in key order (time, then addresses).

use super::keys;
use super::ops;
use super::state::{BondStatus, StakingRead, StakingWrite};
use crate::context::Timestamp;
use crate::error::StateReadError;
use crate::state::StateWrite;

/// A queue key and the addresses in it.
type QueueEntry = (Vec<u8>, Vec<quire_core::Address>);

/// The queue keys under `prefix` due at `now`, with their addresses.
fn due(
    state: &dyn StateWrite,
    prefix: &[u8],
    addresses: usize,
    now: Timestamp,
) -> Result<Vec<QueueEntry>, StateReadError> {
    let mut out = Vec::new();
    for (key, _) in state.prefix(prefix)? {
        let (time, parts) = keys::split_queue_key(prefix, &key, addresses)
            .ok_or_else(|| StateReadError("corrupt staking queue key".into()))?;
        if time > now {
            break;
        }
        out.push((key, parts));
    }
    Ok(out)
}

/// Matures everything due at `now`.
pub fn mature(state: &mut dyn StateWrite, now: Timestamp) -> Result<(), StateReadError> {
    for (key, parts) in due(state, keys::VALIDATOR_QUEUE, 1, now)? {
        state.delete(key);
        let [operator] = parts[..] else { continue };
        let Some(mut validator) = state.validator(&operator)? else {
            continue;
        };
        let completion: Timestamp = validator.unbonding_completion.into();
        if validator.status == BondStatus::Unbonding && completion <= now {
            validator.status = BondStatus::Unbonded;
            ops::save_or_remove(state, &validator);
        }
    }
    for (key, parts) in due(state, keys::UNBONDING_QUEUE, 2, now)? {
        state.delete(key);
        let [delegator, operator] = parts[..] else {
            continue;
        };
        let entries = state.unbonding(&delegator, &operator)?;
        let (matured, pending): (Vec<_>, Vec<_>) = entries
            .into_iter()
            .partition(|entry| Timestamp::from(entry.completion) <= now);
        let amount = matured
            .iter()
            .try_fold(0u128, |sum, entry| sum.checked_add(entry.balance))
            .ok_or_else(|| StateReadError("unbonding entries overflow".into()))?;
        if amount > 0 {
            ops::pay_out(state, false, &delegator, amount)
                .map_err(|e| StateReadError(format!("paying out an unbonding: {e}")))?;
        }
        state.put_unbonding(&delegator, &operator, &pending);
    }
    for (key, parts) in due(state, keys::REDELEGATION_QUEUE, 3, now)? {
        state.delete(key);
        let [delegator, src, dst] = parts[..] else {
            continue;
        };
        let entries = state.redelegation(&delegator, &src, &dst)?;
        let pending: Vec<_> = entries
            .into_iter()
            .filter(|entry| Timestamp::from(entry.completion) > now)
            .collect();
        state.put_redelegation(&delegator, &src, &dst, &pending);
    }
    Ok(())
}
