//! Decryption shares (one validator's signature on an identity), their
//! combination into the identity's key, and the checks of both.

use crate::error::{exact, Error};
use crate::identity::{Identity, IBE_NAMESPACE};
use crate::keys::{hex_prefix, EpochKey, GroupKey, KeyShare};
use crate::V;
use commonware_codec::{Copying, Decode, Encode};
use commonware_cryptography::bls12381::primitives::group::G1;
use commonware_cryptography::bls12381::primitives::ops;
use commonware_cryptography::bls12381::primitives::variant::PartialSignature;
use commonware_parallel::Sequential;
use commonware_utils::iter::NonEmpty;
use commonware_utils::Participant;
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::fmt;

/// Bytes of a [`DecryptionShare`]: index u32 BE ‖ G1 point 48.
pub const DECRYPTION_SHARE_LEN: usize = 52;

/// Bytes of a [`DecryptionKey`]: a compressed G1 point.
pub const DECRYPTION_KEY_LEN: usize = 48;

/// Domain separation of the batch checks' weights.
const BATCH_DOMAIN: &[u8] = b"quire/tpke-batch/v1";

/// One participant's share of an identity's key.
#[derive(Clone, PartialEq, Eq)]
pub struct DecryptionShare(PartialSignature<V>);

impl DecryptionShare {
    /// The participant who made it.
    pub fn index(&self) -> u32 {
        self.0.index.get()
    }

    /// index u32 BE ‖ the compressed point.
    pub fn to_bytes(&self) -> [u8; DECRYPTION_SHARE_LEN] {
        let mut out = [0; DECRYPTION_SHARE_LEN];
        out[..4].copy_from_slice(&self.index().to_be_bytes());
        out[4..].copy_from_slice(&self.0.value.encode());
        out
    }

    /// Reads [`to_bytes`](Self::to_bytes)' form; the point must be in G1
    /// and not the identity.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        let bytes: [u8; DECRYPTION_SHARE_LEN] = exact("decryption share", bytes)?;
        let (index, point) = bytes.split_at(4);
        let index = u32::from_be_bytes(exact("decryption share index", index)?);
        let value = G1::decode_cfg(Copying(point), &())
            .map_err(|e| Error::encoding("decryption share", e))?;
        Ok(DecryptionShare(PartialSignature {
            index: Participant::new(index),
            value,
        }))
    }
}

impl fmt::Debug for DecryptionShare {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "DecryptionShare({}: {})",
            self.index(),
            hex_prefix(&self.to_bytes()[4..])
        )
    }
}

/// An identity's decryption key: the group's signature on it.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct DecryptionKey(pub(crate) G1);

impl DecryptionKey {
    /// The compressed point.
    pub fn to_bytes(&self) -> [u8; DECRYPTION_KEY_LEN] {
        let mut out = [0; DECRYPTION_KEY_LEN];
        out.copy_from_slice(&self.0.encode());
        out
    }

    /// Reads a compressed point, checked to be in G1 and not the identity.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        let bytes: [u8; DECRYPTION_KEY_LEN] = exact("decryption key", bytes)?;
        G1::decode_cfg(Copying(&bytes[..]), &())
            .map(DecryptionKey)
            .map_err(|e| Error::encoding("decryption key", e))
    }
}

impl fmt::Debug for DecryptionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DecryptionKey({})", hex_prefix(&self.to_bytes()))
    }
}

/// `key_share`'s share of `identity`'s key.
pub fn share(key_share: &KeyShare, identity: &Identity) -> DecryptionShare {
    DecryptionShare(ops::threshold::sign_message::<V>(
        &key_share.0,
        IBE_NAMESPACE,
        identity.as_bytes(),
    ))
}

fn check_participant(epoch: &EpochKey, index: u32) -> Result<(), Error> {
    if index >= epoch.participants() {
        return Err(Error::UnknownParticipant {
            index,
            participants: epoch.participants(),
        });
    }
    Ok(())
}

/// Checks that `share` is its participant's share of `identity`'s key
/// under `epoch` (one pairing check).
pub fn verify_share(
    epoch: &EpochKey,
    identity: &Identity,
    share: &DecryptionShare,
) -> Result<(), Error> {
    check_participant(epoch, share.index())?;
    ops::threshold::verify_message::<V>(
        &epoch.sharing,
        IBE_NAMESPACE,
        identity.as_bytes(),
        &share.0,
    )
    .map_err(|_| Error::InvalidShare {
        index: share.index(),
    })
}

/// A deterministic RNG for batch weights: seeded by everything checked, so
/// a batch check gives the same answer on every node and the one who chose
/// the inputs cannot choose the weights.
fn batch_rng(parts: &[&[u8]]) -> ChaCha20Rng {
    let mut hasher = Sha256::new();
    hasher.update(BATCH_DOMAIN);
    for part in parts {
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part);
    }
    ChaCha20Rng::from_seed(hasher.finalize().into())
}

/// Checks that every share in `shares` (one participant's shares of many
/// identities, e.g. one vote extension) verifies: one multi-pairing with
/// weights derived from the inputs. `Ok` for an empty list.
pub fn verify_shares_of(
    epoch: &EpochKey,
    index: u32,
    shares: &[(Identity, DecryptionShare)],
) -> Result<(), Error> {
    check_participant(epoch, index)?;
    let encoded: Vec<u8> = shares
        .iter()
        .flat_map(|(id, share)| id.as_bytes().iter().copied().chain(share.to_bytes()))
        .collect();
    let mut rng = batch_rng(&[&index.to_be_bytes(), &encoded]);
    let entries: Vec<(&[u8], &[u8], PartialSignature<V>)> = shares
        .iter()
        .map(|(id, share)| (IBE_NAMESPACE, id.as_bytes().as_slice(), share.0.clone()))
        .collect();
    let Some(entries) = NonEmpty::try_new(entries.iter()) else {
        return Ok(());
    };
    ops::threshold::batch_verify_same_signer::<_, V, _>(
        &mut rng,
        &epoch.sharing,
        Participant::new(index),
        entries,
        &Sequential,
    )
    .map_err(|_| Error::InvalidShare { index })
}

/// Combines `shares` of one identity's key (the first share of each
/// participant counts, the first `threshold` participants by index are
/// used). Does not check the shares: check the key with [`verify_key`], and
/// on failure find the bad shares with [`verify_share`].
pub fn combine(epoch: &EpochKey, shares: &[DecryptionShare]) -> Result<DecryptionKey, Error> {
    let mut distinct: BTreeMap<u32, &PartialSignature<V>> = BTreeMap::new();
    for share in shares {
        check_participant(epoch, share.index())?;
        distinct.entry(share.index()).or_insert(&share.0);
    }
    let needed = epoch.threshold();
    if distinct.len() < needed as usize {
        return Err(Error::NotEnoughShares {
            needed,
            got: distinct.len(),
        });
    }
    ops::threshold::recover::<V, _>(&epoch.sharing, distinct.into_values(), &Sequential)
        .map(DecryptionKey)
        .map_err(|_| Error::InvalidKey)
}

/// Checks that `key` is `identity`'s key under `group_key` (one pairing
/// check).
pub fn verify_key(
    group_key: &GroupKey,
    identity: &Identity,
    key: &DecryptionKey,
) -> Result<(), Error> {
    ops::verify_message::<V>(&group_key.0, IBE_NAMESPACE, identity.as_bytes(), &key.0)
        .map_err(|_| Error::InvalidKey)
}

/// Checks many identities' keys at once (a reveal): one multi-pairing with
/// weights derived from the inputs. `Ok` for an empty list.
pub fn verify_keys(group_key: &GroupKey, keys: &[(Identity, DecryptionKey)]) -> Result<(), Error> {
    let encoded: Vec<u8> = keys
        .iter()
        .flat_map(|(id, key)| id.as_bytes().iter().copied().chain(key.to_bytes()))
        .collect();
    let mut rng = batch_rng(&[&group_key.to_bytes(), &encoded]);
    let entries = keys
        .iter()
        .map(|(id, key)| (IBE_NAMESPACE, id.as_bytes().as_slice(), key.0));
    let Some(entries) = NonEmpty::try_new(entries) else {
        return Ok(());
    };
    ops::batch::verify_same_signer::<_, V, _>(&mut rng, &group_key.0, entries, &Sequential)
        .map_err(|_| Error::InvalidKey)
}
