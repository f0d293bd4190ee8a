//! The validator set as the L1 anchor knows it: each member's L1 address and
//! power, in a fixed order, and its hash.
//!
//! ```text
//! valsetHash = keccak256(abi.encode(keccak256("quire/valset/v1"), address[] signers, uint64[] powers))
//! ```
//!
//! The order is power descending, then consensus address ascending (so a
//! signature's index names its signer); the contract receives the set in
//! calldata and stores only this hash.

use super::checkpoint::u64_word;
use super::key::{keccak256, L1Address};

/// Domain tag of the set hash: keccak-256 of this string is its first word.
pub const VALSET_TAG: &str = "quire/valset/v1";

/// The most validators a set may have on L1 (the contract's bound too).
pub const MAX_L1_VALIDATORS: usize = 1024;

/// One validator of an L1 set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct L1Member {
    /// Its CometBFT consensus address (which votes are for).
    pub consensus: [u8; 20],
    /// Its L1 address (which signatures recover to).
    pub signer: L1Address,
    /// Its voting power.
    pub power: u64,
}

/// A validator set, in L1 order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct L1Valset {
    members: Vec<L1Member>,
}

/// Why bytes are not an encoded set.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[error("malformed L1 validator set record: {0}")]
pub struct ValsetDecodeError(pub &'static str);

const MEMBER_LEN: usize = 20 + 20 + 8;

impl L1Valset {
    /// The set of `members`, put in L1 order (power descending, then
    /// consensus address ascending); members of power 0 are left out.
    pub fn new(mut members: Vec<L1Member>) -> Self {
        members.retain(|m| m.power > 0);
        members.sort_by(|a, b| b.power.cmp(&a.power).then(a.consensus.cmp(&b.consensus)));
        L1Valset { members }
    }

    /// The members, in order.
    pub fn members(&self) -> &[L1Member] {
        &self.members
    }

    /// Number of members.
    pub fn len(&self) -> usize {
        self.members.len()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    /// The member with consensus address `consensus`, with its index.
    pub fn by_consensus(&self, consensus: &[u8; 20]) -> Option<(usize, &L1Member)> {
        self.members
            .iter()
            .enumerate()
            .find(|(_, m)| m.consensus == *consensus)
    }

    /// Sum of the powers.
    pub fn total_power(&self) -> u128 {
        self.members.iter().map(|m| u128::from(m.power)).sum()
    }

    /// Whether `signed` power is more than 2/3 of the total.
    pub fn is_quorum(&self, signed: u128) -> bool {
        signed.saturating_mul(3) > self.total_power().saturating_mul(2)
    }

    /// The hash the anchor contract stores.
    pub fn hash(&self) -> [u8; 32] {
        let n = self.members.len() as u64;
        let mut encoded = Vec::with_capacity(32 * (5 + 2 * self.members.len()));
        encoded.extend_from_slice(&keccak256(VALSET_TAG.as_bytes()));
        // Offsets of the two dynamic arrays, from the start of the encoding.
        encoded.extend_from_slice(&u64_word(3 * 32));
        encoded.extend_from_slice(&u64_word(3 * 32 + 32 * (1 + n)));
        encoded.extend_from_slice(&u64_word(n));
        for member in &self.members {
            encoded.extend_from_slice(&member.signer.abi_word());
        }
        encoded.extend_from_slice(&u64_word(n));
        for member in &self.members {
            encoded.extend_from_slice(&u64_word(member.power));
        }
        keccak256(&encoded)
    }

    /// The state record: count u16 BE ‖ count × (consensus 20 ‖ signer 20 ‖ power u64 BE).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(2 + MEMBER_LEN * self.members.len());
        out.extend_from_slice(&(self.members.len() as u16).to_be_bytes());
        for member in &self.members {
            out.extend_from_slice(&member.consensus);
            out.extend_from_slice(member.signer.as_bytes());
            out.extend_from_slice(&member.power.to_be_bytes());
        }
        out
    }

    /// Inverse of [`encode`](Self::encode); the order is kept as stored.
    pub fn decode(bytes: &[u8]) -> Result<Self, ValsetDecodeError> {
        let (count, mut rest) = bytes
            .split_first_chunk::<2>()
            .ok_or(ValsetDecodeError("truncated count"))?;
        let count = usize::from(u16::from_be_bytes(*count));
        if rest.len() != count * MEMBER_LEN {
            return Err(ValsetDecodeError("length does not match the count"));
        }
        let mut members = Vec::with_capacity(count);
        while let Some((member, after)) = rest.split_first_chunk::<MEMBER_LEN>() {
            let mut consensus = [0u8; 20];
            let mut signer = [0u8; 20];
            let mut power = [0u8; 8];
            consensus.copy_from_slice(&member[..20]);
            signer.copy_from_slice(&member[20..40]);
            power.copy_from_slice(&member[40..]);
            members.push(L1Member {
                consensus,
                signer: L1Address(signer),
                power: u64::from_be_bytes(power),
            });
            rest = after;
        }
        Ok(L1Valset { members })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(byte: u8, power: u64) -> L1Member {
        L1Member {
            consensus: [byte; 20],
            signer: L1Address([byte.wrapping_add(100); 20]),
            power,
        }
    }

    #[test]
    fn order_quorum_and_round_trip() {
        let set = L1Valset::new(vec![
            member(3, 10),
            member(1, 10),
            member(2, 30),
            member(4, 0),
        ]);
        let order: Vec<u8> = set.members().iter().map(|m| m.consensus[0]).collect();
        assert_eq!(order, vec![2, 1, 3]);
        assert_eq!(set.total_power(), 50);
        assert!(!set.is_quorum(33));
        assert!(set.is_quorum(34));
        assert_eq!(L1Valset::decode(&set.encode()).unwrap(), set);
        assert!(L1Valset::decode(&set.encode()[..10]).is_err());
        assert_ne!(set.hash(), L1Valset::new(vec![member(1, 10)]).hash());
        // Exactly 2/3 is not enough.
        let equal = L1Valset::new(vec![member(1, 1), member(2, 1), member(3, 1)]);
        assert!(!equal.is_quorum(2));
        assert!(equal.is_quorum(3));
    }
}
