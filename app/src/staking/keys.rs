//! staking's storage keys: raw address bytes and order-preserving times,
//! never bech32 strings, so every prefix iterates in a fixed order.

use crate::context::Timestamp;
use quire_core::Address;

/// The parameters (JSON of `StakingParams`, written once at genesis).
pub const PARAMS: &[u8] = b"staking/params";
/// Tokens of bonded validators: u128 BE.
pub const BONDED_POOL: &[u8] = b"staking/pool/bonded";
/// Tokens of unbonding and unbonded validators and of unbonding entries: u128 BE.
pub const NOT_BONDED_POOL: &[u8] = b"staking/pool/not_bonded";
/// Prefix of validators: `staking/val/{operator}` -> validator record.
pub const VALIDATORS: &[u8] = b"staking/val/";
/// Prefix of consensus keys ever used: `staking/cons/{consensus address}` ->
/// operator. Kept after a validator is removed: a key is never reused.
pub const CONSENSUS: &[u8] = b"staking/cons/";
/// Prefix of the set last sent to CometBFT: `staking/last/{operator}` -> power u64 BE.
pub const LAST: &[u8] = b"staking/last/";
/// Total power of the set last sent: u64 BE.
pub const LAST_TOTAL: &[u8] = b"staking/last_total";
/// Prefix of delegations: `staking/del/{delegator}{operator}` -> shares (u128 BE atoms).
pub const DELEGATIONS: &[u8] = b"staking/del/";
/// Prefix of the delegations by validator (an index of [`DELEGATIONS`],
/// written with it): `staking/delv/{operator}{delegator}` -> shares.
pub const VALIDATOR_DELEGATIONS: &[u8] = b"staking/delv/";
/// Prefix of unbonding delegations: `staking/ubd/{delegator}{operator}` -> entries.
pub const UNBONDINGS: &[u8] = b"staking/ubd/";
/// Prefix of the unbonding queue: `staking/ubdq/{time}{delegator}{operator}` -> empty.
pub const UNBONDING_QUEUE: &[u8] = b"staking/ubdq/";
/// Prefix of redelegations: `staking/red/{delegator}{src}{dst}` -> entries.
pub const REDELEGATIONS: &[u8] = b"staking/red/";
/// Prefix of the redelegation queue: `staking/redq/{time}{delegator}{src}{dst}` -> empty.
pub const REDELEGATION_QUEUE: &[u8] = b"staking/redq/";
/// Prefix of the validator queue: `staking/valq/{time}{operator}` -> empty.
pub const VALIDATOR_QUEUE: &[u8] = b"staking/valq/";

fn key(prefix: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    let mut key = Vec::with_capacity(prefix.len() + parts.iter().map(|p| p.len()).sum::<usize>());
    key.extend_from_slice(prefix);
    for part in parts {
        key.extend_from_slice(part);
    }
    key
}

/// A validator's record.
pub fn validator(operator: &Address) -> Vec<u8> {
    key(VALIDATORS, &[operator.as_bytes()])
}

/// Which operator a consensus address belongs (or belonged) to.
pub fn consensus(address: &[u8; 20]) -> Vec<u8> {
    key(CONSENSUS, &[address])
}

/// A member of the last set sent.
pub fn last(operator: &Address) -> Vec<u8> {
    key(LAST, &[operator.as_bytes()])
}

/// A delegation.
pub fn delegation(delegator: &Address, operator: &Address) -> Vec<u8> {
    key(DELEGATIONS, &[delegator.as_bytes(), operator.as_bytes()])
}

/// A delegation in the by-validator index.
pub fn validator_delegation(operator: &Address, delegator: &Address) -> Vec<u8> {
    key(
        VALIDATOR_DELEGATIONS,
        &[operator.as_bytes(), delegator.as_bytes()],
    )
}

/// A delegator's unbonding entries from one validator.
pub fn unbonding(delegator: &Address, operator: &Address) -> Vec<u8> {
    key(UNBONDINGS, &[delegator.as_bytes(), operator.as_bytes()])
}

/// An unbonding queue entry.
pub fn unbonding_queue(time: Timestamp, delegator: &Address, operator: &Address) -> Vec<u8> {
    key(
        UNBONDING_QUEUE,
        &[&time.encode(), delegator.as_bytes(), operator.as_bytes()],
    )
}

/// A delegator's redelegation entries from `src` to `dst`.
pub fn redelegation(delegator: &Address, src: &Address, dst: &Address) -> Vec<u8> {
    key(
        REDELEGATIONS,
        &[delegator.as_bytes(), src.as_bytes(), dst.as_bytes()],
    )
}

/// A redelegation queue entry.
pub fn redelegation_queue(
    time: Timestamp,
    delegator: &Address,
    src: &Address,
    dst: &Address,
) -> Vec<u8> {
    key(
        REDELEGATION_QUEUE,
        &[
            &time.encode(),
            delegator.as_bytes(),
            src.as_bytes(),
            dst.as_bytes(),
        ],
    )
}

/// A validator queue entry.
pub fn validator_queue(time: Timestamp, operator: &Address) -> Vec<u8> {
    key(VALIDATOR_QUEUE, &[&time.encode(), operator.as_bytes()])
}

/// Splits a key under `prefix` into its time and the 20-byte addresses after
/// it (`n` of them), if it has that shape.
pub fn split_queue_key(prefix: &[u8], key: &[u8], n: usize) -> Option<(Timestamp, Vec<Address>)> {
    let rest = key.strip_prefix(prefix)?;
    let (time, rest) = rest.split_at_checked(12)?;
    Some((Timestamp::decode(time)?, addresses(rest, n)?))
}

/// The 20-byte addresses after `prefix` in `key` (`n` of them).
pub fn split_addresses(prefix: &[u8], key: &[u8], n: usize) -> Option<Vec<Address>> {
    addresses(key.strip_prefix(prefix)?, n)
}

fn addresses(bytes: &[u8], n: usize) -> Option<Vec<Address>> {
    if bytes.len() != 20 * n {
        return None;
    }
    Some(
        bytes
            .chunks_exact(20)
            .map(|chunk| {
                let mut address = [0u8; 20];
                address.copy_from_slice(chunk);
                Address::new(address)
            })
            .collect(),
    )
}
