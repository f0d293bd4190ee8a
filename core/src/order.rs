//! The canonical order of a block's user transactions: the proposer chooses
//! which transactions go in, never where.
//!
//! Signers are ranked by `sha256("quire/order/v1" ‖ seed ‖ signer)`, where
//! the seed is the hash of the previous block (32 zero bytes before the
//! first block). Signers take turns in rank order, one transaction per turn,
//! each signer's transactions in sequence order: round 0 holds every
//! signer's first transaction by rank, round 1 every second one, and so on.
//! The order is a function of the set of transactions and the seed only, so
//! ProcessProposal recomputes it and rejects any other, and a rollup can
//! check it from a block's transactions (docs/blind-ordering.md says what a
//! proposer can still do).

use crate::Address;
use sha2::{Digest, Sha256};
use std::collections::btree_map::{BTreeMap, Entry};

/// Domain separation of the signer rank.
const ORDER_DOMAIN: &[u8] = b"quire/order/v1";

/// A signer's place in the turn order of one block: lower goes first. Ties
/// (a sha256 collision) are broken by the address, so the order is total.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct SignerRank {
    hash: [u8; 32],
    signer: Address,
}

/// The rank of `signer` in the block whose order seed is `seed`.
pub fn signer_rank(seed: &[u8; 32], signer: &Address) -> SignerRank {
    let mut hasher = Sha256::new();
    hasher.update(ORDER_DOMAIN);
    hasher.update(seed);
    hasher.update(signer.as_bytes());
    SignerRank {
        hash: hasher.finalize().into(),
        signer: *signer,
    }
}

/// How a block's user transactions break the canonical order.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OrderError {
    /// A signer's transactions are not in increasing sequence order.
    #[error(
        "user tx {position} has sequence {sequence}, not above its signer's previous {previous}"
    )]
    Sequence {
        /// Position among the block's user transactions.
        position: usize,
        /// Its sequence.
        sequence: u64,
        /// The signer's sequence before it in the block.
        previous: u64,
    },
    /// A transaction sits before one the canonical order puts ahead of it.
    #[error(
        "user tx {position} is out of the canonical order: it is turn {round} of its signer and \
         must come after user tx {follows}"
    )]
    Turn {
        /// Position among the block's user transactions.
        position: usize,
        /// Its signer's turn (0 for the signer's first transaction).
        round: usize,
        /// The position of the transaction it was placed before.
        follows: usize,
    },
}

/// Checks that `txs` (each user transaction's signer and sequence, in block
/// order) are in the canonical order for `seed`.
pub fn check(seed: &[u8; 32], txs: &[(Address, u64)]) -> Result<(), OrderError> {
    // Per signer: its rank, its transactions so far, the last sequence.
    let mut signers: BTreeMap<Address, (SignerRank, usize, u64)> = BTreeMap::new();
    let mut previous: Option<(usize, SignerRank)> = None;
    for (position, (signer, sequence)) in txs.iter().enumerate() {
        let (rank, round) = match signers.entry(*signer) {
            Entry::Occupied(mut entry) => {
                let (rank, count, last) = entry.get_mut();
                if *sequence <= *last {
                    return Err(OrderError::Sequence {
                        position,
                        sequence: *sequence,
                        previous: *last,
                    });
                }
                *last = *sequence;
                *count += 1;
                (*rank, *count - 1)
            }
            Entry::Vacant(entry) => {
                let rank = signer_rank(seed, signer);
                entry.insert((rank, 1, *sequence));
                (rank, 0)
            }
        };
        if let Some((previous_round, previous_rank)) = previous {
            if (round, rank) < (previous_round, previous_rank) {
                return Err(OrderError::Turn {
                    position,
                    round,
                    follows: position - 1,
                });
            }
        }
        previous = Some((round, rank));
    }
    Ok(())
}

/// The canonical order of `txs` (signer and sequence each, in any order):
/// positions into `txs`, in block order. Each signer's transactions are
/// taken in sequence order (ties by position).
pub fn canonical_positions(seed: &[u8; 32], txs: &[(Address, u64)]) -> Vec<usize> {
    let mut by_signer: BTreeMap<Address, Vec<(u64, usize)>> = BTreeMap::new();
    for (position, (signer, sequence)) in txs.iter().enumerate() {
        by_signer
            .entry(*signer)
            .or_default()
            .push((*sequence, position));
    }
    let mut keyed: Vec<((usize, SignerRank), usize)> = Vec::with_capacity(txs.len());
    for (signer, mut sequences) in by_signer {
        sequences.sort_unstable();
        let rank = signer_rank(seed, &signer);
        keyed.extend(
            sequences
                .into_iter()
                .enumerate()
                .map(|(round, (_, position))| ((round, rank), position)),
        );
    }
    keyed.sort_unstable_by_key(|(key, _)| *key);
    keyed.into_iter().map(|(_, position)| position).collect()
}

/// `signers` sorted into their turn order for `seed`.
pub fn sort_signers(seed: &[u8; 32], signers: &mut [Address]) {
    signers.sort_by_cached_key(|signer| signer_rank(seed, signer));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn address(byte: u8) -> Address {
        Address::new([byte; 20])
    }

    /// The canonical order of `per_signer` (each signer's sequences), built
    /// the obvious way: rank the signers, then take rounds.
    fn canonical(seed: &[u8; 32], per_signer: &[(Address, Vec<u64>)]) -> Vec<(Address, u64)> {
        let mut ranked: Vec<&(Address, Vec<u64>)> = per_signer.iter().collect();
        ranked.sort_by_key(|(signer, _)| signer_rank(seed, signer));
        let rounds = per_signer.iter().map(|(_, s)| s.len()).max().unwrap_or(0);
        let mut out = Vec::new();
        for round in 0..rounds {
            for (signer, sequences) in &ranked {
                if let Some(sequence) = sequences.get(round) {
                    out.push((*signer, *sequence));
                }
            }
        }
        out
    }

    #[test]
    fn the_canonical_order_passes_and_every_swap_of_two_signers_fails() {
        let per_signer = vec![
            (address(1), vec![0, 1, 2]),
            (address(2), vec![5]),
            (address(3), vec![7, 8]),
            (address(4), vec![3, 4, 5, 6]),
        ];
        for seed_byte in 0..8u8 {
            let seed = [seed_byte; 32];
            let order = canonical(&seed, &per_signer);
            assert_eq!(check(&seed, &order), Ok(()));
            let mut shuffled = order.clone();
            shuffled.reverse();
            let positions = canonical_positions(&seed, &shuffled);
            let rebuilt: Vec<(Address, u64)> = positions.iter().map(|&p| shuffled[p]).collect();
            assert_eq!(rebuilt, order);
            for i in 0..order.len() {
                for j in i + 1..order.len() {
                    if order[i].0 == order[j].0 {
                        continue;
                    }
                    let mut swapped = order.clone();
                    swapped.swap(i, j);
                    assert!(
                        check(&seed, &swapped).is_err(),
                        "seed {seed_byte}: swapping {i} and {j} passed"
                    );
                }
            }
        }
    }

    #[test]
    fn the_seed_decides_who_goes_first() {
        let signers: Vec<Address> = (1..=8).map(address).collect();
        let mut firsts = std::collections::BTreeSet::new();
        for seed_byte in 0..32u8 {
            let mut sorted = signers.clone();
            sort_signers(&[seed_byte; 32], &mut sorted);
            firsts.insert(sorted[0]);
            let order: Vec<(Address, u64)> = sorted.iter().map(|s| (*s, 0)).collect();
            assert_eq!(check(&[seed_byte; 32], &order), Ok(()));
        }
        assert!(
            firsts.len() > 3,
            "the first signer barely changes: {firsts:?}"
        );
    }

    #[test]
    fn a_signer_out_of_sequence_or_ahead_of_its_turn_is_refused() {
        let seed = [9; 32];
        let (a, b) = (address(1), address(2));
        let mut pair = [a, b];
        sort_signers(&seed, &mut pair);
        let [first, second] = pair;
        assert!(matches!(
            check(&seed, &[(first, 1), (second, 0), (first, 0)]),
            Err(OrderError::Sequence { position: 2, .. })
        ));
        assert!(matches!(
            check(&seed, &[(first, 0), (first, 1), (second, 0)]),
            Err(OrderError::Turn {
                position: 2,
                round: 0,
                follows: 1
            })
        ));
        assert!(matches!(
            check(&seed, &[(second, 0), (first, 0)]),
            Err(OrderError::Turn { position: 1, .. })
        ));
        assert_eq!(check(&seed, &[]), Ok(()));
        assert_eq!(
            canonical_positions(&seed, &[(first, 1), (second, 0), (first, 0)]),
            vec![2, 1, 0]
        );
        assert_eq!(check(&seed, &[(second, 4)]), Ok(()));
    }
}
