//! The encryption section of a validator's vote extension: its decryption
//! shares for the envelopes of the oldest committed slots still pending.
//!
//! Version 1: `0x01 ‖ epoch u64 BE ‖ slot count u8 ‖ per slot: slot u64 BE ‖
//! share count u16 BE ‖ shares (52 bytes each, in the slot's envelope
//! order)`. At most [`MAX_SLOTS_PER_REVEAL`] slots, in increasing slot
//! order, each with 1 to [`MAX_ENVELOPES_PER_BLOCK`] shares.

use super::{
    FormatError, Reader, DECRYPTION_SHARE_LEN, MAX_ENVELOPES_PER_BLOCK, MAX_SLOTS_PER_REVEAL,
};

/// Version byte of [`ShareSection`].
pub const SHARE_SECTION_V1: u8 = 1;

/// One slot's shares, one per envelope in block order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlotShares {
    /// The height whose envelopes these are.
    pub slot: u64,
    /// One share per envelope.
    pub shares: Vec<[u8; DECRYPTION_SHARE_LEN]>,
}

/// A validator's decryption shares, as its vote extension carries them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShareSection {
    /// The key epoch the shares are of.
    pub epoch: u64,
    /// The slots, oldest first.
    pub slots: Vec<SlotShares>,
}

impl ShareSection {
    /// The most bytes a section may have.
    pub const MAX_LEN: usize =
        1 + 8 + 1 + MAX_SLOTS_PER_REVEAL * (8 + 2 + MAX_ENVELOPES_PER_BLOCK * DECRYPTION_SHARE_LEN);

    /// The version-1 bytes.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = vec![SHARE_SECTION_V1];
        out.extend_from_slice(&self.epoch.to_be_bytes());
        out.push(self.slots.len().min(usize::from(u8::MAX)) as u8);
        for slot in &self.slots {
            out.extend_from_slice(&slot.slot.to_be_bytes());
            out.extend_from_slice(
                &(slot.shares.len().min(usize::from(u16::MAX)) as u16).to_be_bytes(),
            );
            for share in &slot.shares {
                out.extend_from_slice(share);
            }
        }
        out
    }

    /// Reads the version-1 bytes; checks every bound and the slot order.
    pub fn decode(bytes: &[u8]) -> Result<Self, FormatError> {
        let mut r = Reader::new("encryption vote extension", bytes);
        let version = r.u8()?;
        if version != SHARE_SECTION_V1 {
            return Err(r.fail(format!("unknown version {version}")));
        }
        let epoch = r.u64()?;
        let count = usize::from(r.u8()?);
        if count == 0 || count > MAX_SLOTS_PER_REVEAL {
            return Err(r.fail(format!(
                "{count} slots: 1 to {MAX_SLOTS_PER_REVEAL} allowed"
            )));
        }
        let mut slots: Vec<SlotShares> = Vec::with_capacity(count);
        for _ in 0..count {
            let slot = r.u64()?;
            if slots.last().is_some_and(|last| last.slot >= slot) {
                return Err(r.fail("slots are not in increasing order"));
            }
            let n = usize::from(r.u16()?);
            if n == 0 || n > MAX_ENVELOPES_PER_BLOCK {
                return Err(r.fail(format!(
                    "{n} shares for slot {slot}: 1 to {MAX_ENVELOPES_PER_BLOCK} allowed"
                )));
            }
            let mut shares = Vec::with_capacity(n);
            for _ in 0..n {
                shares.push(r.array::<DECRYPTION_SHARE_LEN>()?);
            }
            slots.push(SlotShares { slot, shares });
        }
        r.finish()?;
        Ok(ShareSection { epoch, slots })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_round_trip_and_every_cut_or_bad_bound_is_refused() {
        let section = ShareSection {
            epoch: 7,
            slots: vec![
                SlotShares {
                    slot: 3,
                    shares: vec![[1; DECRYPTION_SHARE_LEN]; 2],
                },
                SlotShares {
                    slot: 5,
                    shares: vec![[2; DECRYPTION_SHARE_LEN]],
                },
            ],
        };
        let bytes = section.encode();
        assert_eq!(ShareSection::decode(&bytes).unwrap(), section);
        for cut in 0..bytes.len() {
            assert!(ShareSection::decode(&bytes[..cut]).is_err(), "cut {cut}");
        }
        let mut trailing = bytes.clone();
        trailing.push(0);
        assert!(ShareSection::decode(&trailing).is_err());
        let mut swapped = section.clone();
        swapped.slots.reverse();
        assert!(ShareSection::decode(&swapped.encode()).is_err());
        let mut empty = section.clone();
        empty.slots[0].shares.clear();
        assert!(ShareSection::decode(&empty.encode()).is_err());
        let none = ShareSection {
            epoch: 1,
            slots: vec![],
        };
        assert!(ShareSection::decode(&none.encode()).is_err());
        let mut wrong_version = bytes;
        wrong_version[0] = 2;
        assert!(ShareSection::decode(&wrong_version).is_err());
    }
}
