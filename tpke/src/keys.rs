//! Epoch keys (the group key and the public polynomial), key shares, and the
//! trusted dealer of test networks.

use crate::error::{exact, read_fixed, write_fixed, Error};
use crate::V;
use commonware_codec::{Copying, Decode, Encode};
use commonware_cryptography::bls12381::dkg::feldman_desmedt::deal_anonymous;
use commonware_cryptography::bls12381::primitives::group::{Private, Share, G2};
use commonware_cryptography::bls12381::primitives::sharing::{Mode, ModeVersion, Sharing};
use commonware_utils::{N3f1, Participant};
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;
use sha2::{Digest, Sha256};
use std::fmt;
use std::num::NonZeroU32;

/// Most participants an epoch key may have (bounds what decoding one
/// allocates and computes).
pub const MAX_PARTICIPANTS: u32 = 1024;

/// Bytes of a [`GroupKey`]: a compressed G2 point.
pub const GROUP_KEY_LEN: usize = 96;

/// Bytes of a [`KeyShare`]: index u32 BE ‖ scalar 32.
pub const KEY_SHARE_LEN: usize = 36;

/// The key envelopes are encrypted to: the group's public key (G2).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct GroupKey(pub(crate) G2);

impl GroupKey {
    /// The compressed point.
    pub fn to_bytes(&self) -> [u8; GROUP_KEY_LEN] {
        write_fixed(&self.0)
    }

    /// Reads a compressed point, checked to be in G2 and not the identity.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        read_fixed::<G2, GROUP_KEY_LEN>("group key", bytes).map(GroupKey)
    }
}

impl fmt::Debug for GroupKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "GroupKey({})", hex_prefix(&self.to_bytes()))
    }
}

/// One key epoch's public side: the public polynomial of the validators'
/// shared secret (its constant term is the [`GroupKey`]), the number of
/// participants and the threshold. Enough to check every share and key.
#[derive(Clone)]
pub struct EpochKey {
    pub(crate) sharing: Sharing<V>,
}

impl EpochKey {
    /// The group key envelopes of this epoch are encrypted to.
    pub fn group_key(&self) -> GroupKey {
        GroupKey(*self.sharing.public())
    }

    /// How many distinct shares make a key.
    pub fn threshold(&self) -> u32 {
        self.sharing.required()
    }

    /// How many participants hold a share (indexes `0..participants`).
    pub fn participants(&self) -> u32 {
        self.sharing.total().get()
    }

    /// The stored form: commonware's `Sharing` encoding (mode, total, the
    /// polynomial's coefficients as compressed G2 points).
    pub fn to_bytes(&self) -> Vec<u8> {
        self.sharing.encode().to_vec()
    }

    /// Reads [`to_bytes`](Self::to_bytes)' form: at most
    /// [`MAX_PARTICIPANTS`], every point in G2, nothing after it.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        let max = NonZeroU32::new(MAX_PARTICIPANTS).ok_or(Error::Participants(0))?;
        let sharing = Sharing::<V>::decode_cfg(Copying(bytes), &(max, ModeVersion::v0()))
            .map_err(|e| Error::encoding("epoch key", e))?;
        if sharing.required() > sharing.total().get() {
            return Err(Error::encoding(
                "epoch key",
                "threshold above the participants",
            ));
        }
        Ok(EpochKey { sharing })
    }

    /// Whether `share` is a participant's share of this key (its public
    /// share matches the polynomial's).
    pub fn holds(&self, share: &KeyShare) -> bool {
        self.sharing
            .partial_public(share.0.index)
            .is_ok_and(|public| public == share.0.public::<V>())
    }

    /// `sha256` of the stored form: what the chain records and clients
    /// check before encrypting to it.
    pub fn hash(&self) -> [u8; 32] {
        Sha256::digest(self.to_bytes()).into()
    }
}

impl fmt::Debug for EpochKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EpochKey")
            .field("group_key", &self.group_key())
            .field("threshold", &self.threshold())
            .field("participants", &self.participants())
            .finish()
    }
}

impl PartialEq for EpochKey {
    fn eq(&self, other: &Self) -> bool {
        self.to_bytes() == other.to_bytes()
    }
}

impl Eq for EpochKey {}

/// One participant's secret share of the epoch's key. Its `Debug` shows the
/// index only.
#[derive(Clone)]
pub struct KeyShare(pub(crate) Share);

impl KeyShare {
    /// The participant's index (0-based).
    pub fn index(&self) -> u32 {
        self.0.index.get()
    }

    /// index u32 BE ‖ the scalar (32 bytes). Secret: store it 0600.
    pub fn to_bytes(&self) -> [u8; KEY_SHARE_LEN] {
        let mut out = [0; KEY_SHARE_LEN];
        out[..4].copy_from_slice(&self.index().to_be_bytes());
        out[4..].copy_from_slice(&self.0.private.encode());
        out
    }

    /// Reads [`to_bytes`](Self::to_bytes)' form.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        let bytes: [u8; KEY_SHARE_LEN] = exact("key share", bytes)?;
        let (index, scalar) = bytes.split_at(4);
        let index = u32::from_be_bytes(exact("key share index", index)?);
        let private = Private::decode_cfg(Copying(scalar), &())
            .map_err(|e| Error::encoding("key share", e))?;
        Ok(KeyShare(Share::new(Participant::new(index), private)))
    }
}

impl fmt::Debug for KeyShare {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyShare {{ index: {}, .. }}", self.index())
    }
}

/// A trusted dealer: a random polynomial from `seed`, its epoch key, and one
/// share per participant, threshold `n − f` with `f = ⌊(n − 1) / 3⌋`. Whoever
/// runs it knows the secret: for tests and local networks only (a real chain
/// runs the on-chain key generation).
pub fn deal(seed: [u8; 32], participants: u32) -> Result<(EpochKey, Vec<KeyShare>), Error> {
    let n = NonZeroU32::new(participants)
        .filter(|n| n.get() <= MAX_PARTICIPANTS)
        .ok_or(Error::Participants(participants))?;
    let rng = ChaCha20Rng::from_seed(seed);
    let (sharing, shares) = deal_anonymous::<V, N3f1>(rng, Mode::NonZeroCounter, n);
    Ok((
        EpochKey { sharing },
        shares.into_iter().map(KeyShare).collect(),
    ))
}

/// The first bytes of `bytes` in hex, for Debug output.
pub(crate) fn hex_prefix(bytes: &[u8]) -> String {
    let mut out: String = bytes.iter().take(6).map(|b| format!("{b:02x}")).collect();
    out.push('…');
    out
}
