//! The reveal system transaction: the proposer of a block publishes the
//! decryption keys of the oldest pending slots (or declares them expired),
//! and every node checks the keys against the epoch key and decrypts.
//!
//! `REVEAL_TX_PREFIX ‖ version 1 ‖ slot count u8 ‖ per slot: slot u64 BE ‖
//! kind u8 (1 = keys, 2 = expired) ‖ for keys: key count u16 BE ‖ keys
//! (48 bytes each, in the slot's envelope order)`. At most
//! [`MAX_SLOTS_PER_REVEAL`] slots, increasing; zero slots is a valid reveal
//! (nothing could be revealed yet).

use super::{
    FormatError, Reader, DECRYPTION_KEY_LEN, MAX_ENVELOPES_PER_BLOCK, MAX_SLOTS_PER_REVEAL,
};

/// The system transaction tag of a reveal.
pub const REVEAL_TX_PREFIX: &[u8] = b"\x00quire/reveal/v1\x00";

/// Version byte after the tag.
pub const REVEAL_V1: u8 = 1;

const KIND_KEYS: u8 = 1;
const KIND_EXPIRED: u8 = 2;

/// How one pending slot is resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SlotResolution {
    /// The keys of every envelope of the slot, in block order.
    Keys(Vec<[u8; DECRYPTION_KEY_LEN]>),
    /// Not revealed in time: the envelopes expire, never decrypted.
    Expired,
}

/// A reveal: the slots it resolves, oldest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reveal {
    /// `(slot, resolution)`, in increasing slot order.
    pub slots: Vec<(u64, SlotResolution)>,
}

impl Reveal {
    /// The most bytes of a reveal transaction with `envelopes` envelopes in
    /// the slots it may resolve.
    pub fn max_tx_len(envelopes: usize) -> usize {
        REVEAL_TX_PREFIX.len()
            + 2
            + MAX_SLOTS_PER_REVEAL * (8 + 1 + 2)
            + envelopes * DECRYPTION_KEY_LEN
    }

    /// The whole transaction, tag included.
    pub fn to_tx(&self) -> Vec<u8> {
        let mut out = REVEAL_TX_PREFIX.to_vec();
        out.push(REVEAL_V1);
        out.push(self.slots.len().min(usize::from(u8::MAX)) as u8);
        for (slot, resolution) in &self.slots {
            out.extend_from_slice(&slot.to_be_bytes());
            match resolution {
                SlotResolution::Keys(keys) => {
                    out.push(KIND_KEYS);
                    out.extend_from_slice(
                        &(keys.len().min(usize::from(u16::MAX)) as u16).to_be_bytes(),
                    );
                    for key in keys {
                        out.extend_from_slice(key);
                    }
                }
                SlotResolution::Expired => out.push(KIND_EXPIRED),
            }
        }
        out
    }

    /// Reads a reveal's payload (after the tag); checks every bound and
    /// the slot order.
    pub fn decode(payload: &[u8]) -> Result<Self, FormatError> {
        let mut r = Reader::new("reveal", payload);
        let version = r.u8()?;
        if version != REVEAL_V1 {
            return Err(r.fail(format!("unknown version {version}")));
        }
        let count = usize::from(r.u8()?);
        if count > MAX_SLOTS_PER_REVEAL {
            return Err(r.fail(format!(
                "{count} slots: at most {MAX_SLOTS_PER_REVEAL} allowed"
            )));
        }
        let mut slots: Vec<(u64, SlotResolution)> = Vec::with_capacity(count);
        for _ in 0..count {
            let slot = r.u64()?;
            if slots.last().is_some_and(|(last, _)| *last >= slot) {
                return Err(r.fail("slots are not in increasing order"));
            }
            let resolution = match r.u8()? {
                KIND_KEYS => {
                    let n = usize::from(r.u16()?);
                    if n == 0 || n > MAX_ENVELOPES_PER_BLOCK {
                        return Err(r.fail(format!(
                            "{n} keys for slot {slot}: 1 to {MAX_ENVELOPES_PER_BLOCK} allowed"
                        )));
                    }
                    let mut keys = Vec::with_capacity(n);
                    for _ in 0..n {
                        keys.push(r.array::<DECRYPTION_KEY_LEN>()?);
                    }
                    SlotResolution::Keys(keys)
                }
                KIND_EXPIRED => SlotResolution::Expired,
                other => return Err(r.fail(format!("unknown resolution kind {other}"))),
            };
            slots.push((slot, resolution));
        }
        r.finish()?;
        Ok(Reveal { slots })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reveals_round_trip_and_bad_bytes_are_refused() {
        let reveal = Reveal {
            slots: vec![
                (4, SlotResolution::Expired),
                (6, SlotResolution::Keys(vec![[9; DECRYPTION_KEY_LEN]; 3])),
            ],
        };
        let tx = reveal.to_tx();
        assert!(tx.len() <= Reveal::max_tx_len(3));
        let payload = &tx[REVEAL_TX_PREFIX.len()..];
        assert_eq!(Reveal::decode(payload).unwrap(), reveal);
        for cut in 0..payload.len() {
            assert!(Reveal::decode(&payload[..cut]).is_err(), "cut {cut}");
        }
        let empty = Reveal { slots: vec![] };
        assert_eq!(
            Reveal::decode(&empty.to_tx()[REVEAL_TX_PREFIX.len()..]).unwrap(),
            empty
        );
        let mut backwards = reveal.clone();
        backwards.slots.reverse();
        assert!(Reveal::decode(&backwards.to_tx()[REVEAL_TX_PREFIX.len()..]).is_err());
        let three = Reveal {
            slots: (1..=3).map(|s| (s, SlotResolution::Expired)).collect(),
        };
        assert!(Reveal::decode(&three.to_tx()[REVEAL_TX_PREFIX.len()..]).is_err());
        let no_keys = Reveal {
            slots: vec![(1, SlotResolution::Keys(vec![]))],
        };
        assert!(Reveal::decode(&no_keys.to_tx()[REVEAL_TX_PREFIX.len()..]).is_err());
    }
}
