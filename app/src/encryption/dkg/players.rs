//! Who plays a round: the validators of the active set (the one last sent
//! to CometBFT) that registered key-generation keys, the most powerful
//! first, at most [`MAX_DKG_PLAYERS`], and of those the largest prefix
//! whose count threshold holds in stake ([`stake_bound_prefix`]). Fixed
//! when the round starts; a new round starts when they differ from the
//! players of the round that made the current key (docs/blind-ordering.md
//! §4, "Following the validator set", "Threshold in stake").

use super::state::{DkgRead, DkgWrite, RoundPlayers, RunningRound};
use crate::error::StateReadError;
use crate::staking::state::StakingRead;
use crate::state::StateWrite;
use quire_core::staking::consensus_address;
use quire_tpke::dkg::MAX_DKG_PLAYERS;

/// The players a round starting now would have.
pub fn eligible(state: &(impl StakingRead + ?Sized)) -> Result<RoundPlayers, StateReadError> {
    let mut active: Vec<_> = state
        .last_set()?
        .into_iter()
        .filter(|(_, power)| *power > 0)
        .collect();
    // By power, then operator: the cap keeps the most powerful.
    active.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let total: u64 = active
        .iter()
        .map(|(_, power)| *power)
        .fold(0, u64::saturating_add);
    let mut players = Vec::with_capacity(active.len().min(MAX_DKG_PLAYERS));
    let mut powers = Vec::with_capacity(players.capacity());
    for (operator, power) in active {
        if players.len() == MAX_DKG_PLAYERS {
            break;
        }
        let Some(public) = state.dkg_key(operator.as_bytes())? else {
            continue;
        };
        let Some(validator) = state.validator(&operator)? else {
            continue;
        };
        players.push((consensus_address(&validator.consensus_key), public));
        powers.push(power);
    }
    // Without a prefix that holds in stake (many validators beyond the
    // cap or without keys), all of them: the threshold then holds by count.
    players.truncate(stake_bound_prefix(&powers, total).unwrap_or(players.len()));
    Ok(RoundPlayers(players))
}

/// The most players, taken from the most powerful (`powers` in descending
/// order, `total` the whole active set's power), whose threshold
/// `t = n − f`, `f = ⌊(n − 1)/3⌋`, holds in stake: the `f + 1` least
/// powerful of them hold more than a third of `total`. Then any validators
/// holding at most a third of the stake hold at most `f` shares, so
/// - the validators holding more than two thirds (what consensus needs)
///   hold at least `t` shares: decryption is live whenever blocks are;
/// - any `t ≥ f + 1` shares belong to validators holding more than a
///   third: no coalition below the fault bound decrypts.
///
/// `None` if no prefix does (not even the most powerful alone, with more
/// than a third).
pub fn stake_bound_prefix(powers: &[u64], total: u64) -> Option<usize> {
    (1..=powers.len()).rev().find(|&n| {
        let faults = (n - 1) / 3;
        let weakest: u128 = powers[n - faults - 1..n]
            .iter()
            .map(|&p| u128::from(p))
            .sum();
        3 * weakest > u128::from(total)
    })
}

/// Starts round `round` at height `start` with `players`, its phases
/// `phase_blocks` long or longer for many players.
pub fn start(
    state: &mut dyn StateWrite,
    round: u64,
    start: u64,
    phase_blocks: u64,
    players: &RoundPlayers,
) {
    state.put_dkg_players(round, players);
    state.put_dkg_round(RunningRound {
        round,
        start,
        phase_blocks: RunningRound::phase_blocks_for(phase_blocks, players.len()),
    });
}

/// Starts round `round` at `start_height` with the eligible players, unless
/// there are none or the chain generates no keys (the next block's end
/// tries again).
pub fn start_eligible(
    state: &mut dyn StateWrite,
    round: u64,
    start_height: u64,
) -> Result<bool, StateReadError> {
    let Some(config) = state.dkg_config()? else {
        return Ok(false);
    };
    let players = eligible(&*state)?;
    if players.is_empty() {
        return Ok(false);
    }
    start(state, round, start_height, config.phase_blocks, &players);
    Ok(true)
}

/// Whether the eligible players differ from those of the round that made
/// the current key (or no round made one).
pub fn changed(state: &(impl StakingRead + ?Sized)) -> Result<bool, StateReadError> {
    let Some(keyed) = state.dkg_keyed_round()? else {
        return Ok(true);
    };
    Ok(!eligible(state)?.same_as(&state.dkg_players(keyed)?))
}

#[cfg(test)]
mod tests {
    use super::stake_bound_prefix;

    #[test]
    fn the_largest_prefix_whose_threshold_holds_in_stake() {
        // Equal powers: everyone (n = 4, t = 3; any two hold half).
        assert_eq!(stake_bound_prefix(&[10, 10, 10, 10], 40), Some(4));
        assert_eq!(stake_bound_prefix(&[10; 7], 70), Some(7));
        // Three tiny validators could decrypt without the big one: it
        // plays alone (it alone makes blocks too).
        assert_eq!(stake_bound_prefix(&[97, 1, 1, 1], 100), Some(1));
        // 40/30/10/10/10: two of the small ones hold 20 %, so five or four
        // players fail; 40 + 30 as two players: the weaker alone has 30 %.
        assert_eq!(stake_bound_prefix(&[40, 30, 10, 10, 10], 100), Some(1));
        assert_eq!(stake_bound_prefix(&[35, 35, 10, 10, 10], 100), Some(2));
        // A 5 % validator among four: with it the two weakest hold 35 %;
        // a second one would make them 10 %.
        assert_eq!(stake_bound_prefix(&[30, 30, 30, 5], 95), Some(4));
        assert_eq!(stake_bound_prefix(&[30, 30, 30, 5, 5], 100), Some(4));
        // A long tail: no count threshold holds in stake (weighted slots
        // would; docs/blind-ordering.md §4).
        assert_eq!(stake_bound_prefix(&[30, 30, 20, 10, 10], 100), None);
        // Stake outside the players (beyond the cap) counts in the total.
        assert_eq!(stake_bound_prefix(&[10, 10, 10, 10], 100), None);
        assert_eq!(stake_bound_prefix(&[], 0), None);
    }
}
