//! What can go wrong, one variant per cause.

/// Why a threshold-encryption operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Bytes that are not a valid encoding of the item named.
    #[error("invalid {what}: {why}")]
    Encoding {
        /// The item, e.g. `decryption share`.
        what: &'static str,
        /// Why, e.g. `48 bytes expected, got 47` or `not in the subgroup`.
        why: String,
    },
    /// A dealing for no participants or for more than [`crate::MAX_PARTICIPANTS`].
    #[error("{0} participants: between 1 and {max} allowed", max = crate::MAX_PARTICIPANTS)]
    Participants(u32),
    /// A share from a participant the epoch key does not have.
    #[error("share index {index} is not a participant of an epoch key of {participants}")]
    UnknownParticipant {
        /// The index given.
        index: u32,
        /// The epoch key's participants.
        participants: u32,
    },
    /// Fewer distinct shares than the threshold.
    #[error("{got} distinct shares, {needed} needed")]
    NotEnoughShares {
        /// The threshold.
        needed: u32,
        /// Distinct participants among the shares given.
        got: usize,
    },
    /// A share that is not its participant's signature on the identity.
    #[error("decryption share of participant {index} does not verify")]
    InvalidShare {
        /// Its participant.
        index: u32,
    },
    /// A key that is not the group's signature on the identity.
    #[error("decryption key does not verify against the group key")]
    InvalidKey,
    /// The group key is the identity element (nothing would be hidden).
    #[error("the group key is the identity element")]
    DegenerateGroupKey,
    /// The envelope does not open: the key is not its identity's, or the
    /// ciphertext or its associated data was altered.
    #[error("envelope does not open with this key (wrong key, or altered ciphertext)")]
    Open,
    /// A key-generation round produced no key (too few usable dealer logs),
    /// or a player's share could not be derived.
    #[error("key generation failed: {0}")]
    DkgFailed(String),
}

impl Error {
    pub(crate) fn encoding(what: &'static str, why: impl std::fmt::Display) -> Self {
        Error::Encoding {
            what,
            why: why.to_string(),
        }
    }
}

/// Reads exactly `N` bytes from `bytes` for the item `what`.
pub(crate) fn exact<const N: usize>(what: &'static str, bytes: &[u8]) -> Result<[u8; N], Error> {
    bytes
        .try_into()
        .map_err(|_| Error::encoding(what, format!("{N} bytes expected, got {}", bytes.len())))
}

/// Reads an item of exactly `N` bytes with its commonware decoding (which
/// checks points on the curve, in the subgroup and not the identity).
pub(crate) fn read_fixed<T, const N: usize>(what: &'static str, bytes: &[u8]) -> Result<T, Error>
where
    T: commonware_codec::Decode<Cfg = ()>,
{
    let bytes: [u8; N] = exact(what, bytes)?;
    T::decode_cfg(commonware_codec::Copying(&bytes[..]), &()).map_err(|e| Error::encoding(what, e))
}

/// The `N`-byte encoding of a fixed-size item.
pub(crate) fn write_fixed<const N: usize>(item: &impl commonware_codec::Encode) -> [u8; N] {
    let encoded = item.encode();
    let mut out = [0; N];
    let len = encoded.len().min(N);
    out[..len].copy_from_slice(&encoded[..len]);
    out
}
