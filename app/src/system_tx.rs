//! System transactions: what a proposer itself puts first in a block (the
//! namespace commitment; later e.g. the L1 checkpoint signatures gathered in
//! vote extensions).
//!
//! A system transaction is `prefix ‖ payload`, where the prefix is its kind's
//! tag: `0x00 ‖ "quire/" ‖ kind ‖ "/v" ‖ version ‖ 0x00`. A protobuf field tag
//! of 0 is invalid, so no `TxRaw` (which begins with 0x0a) can ever start
//! with 0x00: a user transaction can never carry a system tag, and CheckTx
//! refuses any transaction that does. System transactions come first in a
//! block, one per component that makes one, in component order; they count
//! against `max_tx_bytes` like every transaction.

/// The first byte of every system transaction.
pub const SYSTEM_TX_MARKER: u8 = 0x00;

/// The tag of one kind of system transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SystemTxTag {
    /// Its kind, for logs and errors (e.g. `commitment`).
    pub kind: &'static str,
    /// The exact bytes every transaction of the kind starts with.
    pub prefix: &'static [u8],
}

impl SystemTxTag {
    /// Whether `bytes` carry this tag.
    pub fn matches(&self, bytes: &[u8]) -> bool {
        bytes.starts_with(self.prefix)
    }

    /// The payload after the tag, if `bytes` carry it.
    pub fn payload<'b>(&self, bytes: &'b [u8]) -> Option<&'b [u8]> {
        bytes.strip_prefix(self.prefix)
    }

    /// Whether the tag has the required shape: the marker, `quire/`, a kind,
    /// `/v` and a version, and a closing 0x00.
    pub fn is_well_formed(&self) -> bool {
        let expected_start = [
            &[SYSTEM_TX_MARKER][..],
            b"quire/",
            self.kind.as_bytes(),
            b"/v",
        ]
        .concat();
        self.prefix.starts_with(&expected_start)
            && self.prefix.len() > expected_start.len() + 1
            && self.prefix.last() == Some(&0)
            && self.prefix[expected_start.len()..self.prefix.len() - 1]
                .iter()
                .all(u8::is_ascii_digit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_commitment_tag_is_well_formed_and_no_tx_raw_carries_it() {
        let tag = SystemTxTag {
            kind: "commitment",
            prefix: quire_core::commitment::COMMITMENT_TX_PREFIX,
        };
        assert!(tag.is_well_formed());
        assert!(!SystemTxTag {
            kind: "other",
            prefix: b"\x00quire/other/vx\x00"
        }
        .is_well_formed());
        assert!(!SystemTxTag {
            kind: "other",
            prefix: b"quire/other/v1\x00"
        }
        .is_well_formed());
        // Every TxRaw starts with field 1's tag (0x0a) or, with an empty
        // body, field 2's or 3's: never 0x00.
        let tx = cosmrs::proto::cosmos::tx::v1beta1::TxRaw {
            body_bytes: vec![1],
            auth_info_bytes: vec![2],
            signatures: vec![vec![3]],
        };
        assert_ne!(prost::Message::encode_to_vec(&tx)[0], SYSTEM_TX_MARKER);
    }
}
