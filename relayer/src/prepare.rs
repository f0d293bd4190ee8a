//! A signed checkpoint from an untrusted Quire node, checked before any gas
//! is paid: its digest recomputed in the anchor's domain, its set hashing to
//! the anchor's current set, every signature recovering to its member and
//! more than 2/3 of the power signing, and the next set when it rotates.

use crate::anchor::{QuireAnchor, Signature, Valset};
use quire_core::l1::{Checkpoint, Domain, L1Signature, L1Valset};
use quire_core::proto::{Protobuf, WireError};
use quire_proto::sequencer::v1 as pb;
use thiserror::Error;

/// Why a checkpoint from the read API is not worth posting.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum PrepareError {
    /// A field is missing or malformed.
    #[error(transparent)]
    Wire(#[from] WireError),
    /// The node's digest is not the checkpoint's in the anchor's domain.
    #[error("the checkpoint's digest is not its EIP-712 digest in the anchor's domain (wrong chain or L1 chain id?)")]
    Digest,
    /// The checkpoint is signed by another set than the anchor holds.
    #[error("checkpoint {height} is signed by set 0x{got}, the anchor holds set 0x{expected}: a rotation must be anchored first")]
    OtherSet {
        /// The height.
        height: u64,
        /// The anchor's set hash (hex).
        expected: String,
        /// The checkpoint's (hex).
        got: String,
    },
    /// The set sent does not hash to the checkpoint's set hash.
    #[error("the set sent with checkpoint {0} is not the one it names")]
    SetMismatch(u64),
    /// A signature does not recover to its member.
    #[error("signature {index} of checkpoint {height} is not its member's")]
    BadSignature {
        /// The height.
        height: u64,
        /// The signer index.
        index: u32,
    },
    /// Not more than 2/3 of the power signed.
    #[error("checkpoint {height} carries {signed} of {total} power, more than 2/3 needed")]
    Quorum {
        /// The height.
        height: u64,
        /// Power that signed.
        signed: u128,
        /// The set's power.
        total: u128,
    },
    /// The checkpoint rotates the set but the next set is missing or wrong.
    #[error("checkpoint {0} rotates the set but the next set sent is not the one it names")]
    NextSet(u64),
}

/// A checked checkpoint, ready to post.
#[derive(Debug)]
pub struct Submission {
    /// The checkpoint.
    pub checkpoint: Checkpoint,
    /// Whether it rotates the anchor's set.
    pub rotates: bool,
    /// How many members signed.
    pub signers: usize,
    /// The call.
    pub call: QuireAnchor::submitCheckpointCall,
}

/// Checks `signed` against the anchor's `domain` and current set hash.
pub fn prepare(
    signed: &pb::SignedCheckpoint,
    domain: &Domain,
    anchor_set: [u8; 32],
) -> Result<Submission, PrepareError> {
    let missing = |field: &'static str| WireError {
        field,
        reason: "missing".into(),
    };
    let checkpoint =
        Checkpoint::try_from_raw(signed.checkpoint.as_ref().ok_or(missing("checkpoint"))?)?;
    let height = checkpoint.height;
    let digest = checkpoint.digest(domain);
    if signed.digest != digest {
        return Err(PrepareError::Digest);
    }
    if checkpoint.valset_hash != anchor_set {
        return Err(PrepareError::OtherSet {
            height,
            expected: hex::encode(anchor_set),
            got: hex::encode(checkpoint.valset_hash),
        });
    }
    let set = L1Valset::try_from_raw(signed.valset.as_ref().ok_or(missing("valset"))?)?;
    if set.hash() != checkpoint.valset_hash {
        return Err(PrepareError::SetMismatch(height));
    }
    let mut sigs = vec![Signature::default(); set.len()];
    let mut signed_power: u128 = 0;
    for sig in &signed.signatures {
        let bad = || PrepareError::BadSignature {
            height,
            index: sig.index,
        };
        let member = set.members().get(sig.index as usize).ok_or_else(bad)?;
        let signature = L1Signature::from_bytes(&sig.signature).map_err(|_| bad())?;
        if signature.recover(&digest).map_err(|_| bad())? != member.signer {
            return Err(bad());
        }
        let slot = &mut sigs[sig.index as usize];
        if slot.v != 0 {
            return Err(bad());
        }
        *slot = Signature::from(&signature);
        signed_power += u128::from(member.power);
    }
    if !set.is_quorum(signed_power) {
        return Err(PrepareError::Quorum {
            height,
            signed: signed_power,
            total: set.total_power(),
        });
    }
    let rotates = checkpoint.next_valset_hash != checkpoint.valset_hash;
    let next = if rotates {
        let next = signed
            .next_valset
            .as_ref()
            .ok_or(PrepareError::NextSet(height))
            .and_then(|raw| {
                L1Valset::try_from_raw(raw).map_err(|_| PrepareError::NextSet(height))
            })?;
        if next.hash() != checkpoint.next_valset_hash {
            return Err(PrepareError::NextSet(height));
        }
        Valset::from(&next)
    } else {
        Valset::default()
    };
    Ok(Submission {
        rotates,
        signers: signed.signatures.len(),
        call: QuireAnchor::submitCheckpointCall {
            cp: (&checkpoint).into(),
            cur: (&set).into(),
            sigs,
            next,
        },
        checkpoint,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use quire_core::l1::{L1Member, L1Signer};

    fn signers() -> Vec<L1Signer> {
        (1..=4u8)
            .map(|i| L1Signer::from_secret(&[i; 32]).unwrap())
            .collect()
    }

    fn set_of(signers: &[L1Signer]) -> L1Valset {
        L1Valset::new(
            signers
                .iter()
                .enumerate()
                .map(|(i, s)| L1Member {
                    consensus: [i as u8 + 1; 20],
                    signer: s.address(),
                    power: 10,
                })
                .collect(),
        )
    }

    /// The checkpoint of height 5 signed by the first `count` members.
    fn signed(domain: &Domain, count: usize) -> (pb::SignedCheckpoint, L1Valset) {
        let keys = signers();
        let set = set_of(&keys);
        let checkpoint = Checkpoint {
            height: 5,
            block_hash: [5; 32],
            history_size: 4,
            history_root: [4; 32],
            valset_hash: set.hash(),
            next_valset_hash: set.hash(),
        };
        let digest = checkpoint.digest(domain);
        let signatures = set
            .members()
            .iter()
            .enumerate()
            .take(count)
            .map(|(index, member)| {
                let key = keys.iter().find(|k| k.address() == member.signer).unwrap();
                pb::CheckpointSignature {
                    index: index as u32,
                    signature: key.sign(&digest).unwrap().to_bytes().to_vec(),
                }
            })
            .collect();
        let signed = pb::SignedCheckpoint {
            checkpoint: Some(checkpoint.to_raw()),
            digest: digest.to_vec(),
            valset: Some(set.to_raw()),
            next_valset: None,
            signatures,
        };
        (signed, set)
    }

    #[test]
    fn a_checkpoint_is_posted_only_if_everything_checks_out() {
        let domain = Domain::new(1337, "quire-test");
        let (good, set) = signed(&domain, 3);
        let submission = prepare(&good, &domain, set.hash()).unwrap();
        assert_eq!(submission.signers, 3);
        assert!(!submission.rotates);
        assert_eq!(submission.call.sigs.len(), 4);
        assert_eq!(
            submission.call.sigs[3].v, 0,
            "the fourth member did not sign"
        );

        let other_l1 = Domain::new(1, "quire-test");
        assert!(matches!(
            prepare(&good, &other_l1, set.hash()),
            Err(PrepareError::Digest)
        ));
        assert!(matches!(
            prepare(&good, &domain, [9; 32]),
            Err(PrepareError::OtherSet { .. })
        ));
        let (two, _) = signed(&domain, 2);
        assert!(matches!(
            prepare(&two, &domain, set.hash()),
            Err(PrepareError::Quorum {
                signed: 20,
                total: 40,
                ..
            })
        ));
        let mut shifted = good.clone();
        shifted.signatures[0].index = 3;
        assert!(matches!(
            prepare(&shifted, &domain, set.hash()),
            Err(PrepareError::BadSignature { index: 3, .. })
        ));
        let mut twice = good.clone();
        twice.signatures[1] = twice.signatures[0].clone();
        assert!(matches!(
            prepare(&twice, &domain, set.hash()),
            Err(PrepareError::BadSignature { index: 0, .. })
        ));
        let mut rotating = good.clone();
        let mut cp = rotating.checkpoint.clone().unwrap();
        cp.next_valset_hash = vec![7; 32];
        rotating.checkpoint = Some(cp);
        rotating.digest = Checkpoint::try_from_raw(rotating.checkpoint.as_ref().unwrap())
            .unwrap()
            .digest(&domain)
            .to_vec();
        assert!(matches!(
            prepare(&rotating, &domain, set.hash()),
            Err(PrepareError::NextSet(5)) | Err(PrepareError::BadSignature { .. })
        ));
        let mut reordered = good;
        let mut raw_set = reordered.valset.clone().unwrap();
        raw_set.members.swap(0, 1);
        reordered.valset = Some(raw_set);
        assert!(matches!(
            prepare(&reordered, &domain, set.hash()),
            Err(PrepareError::Wire(_))
        ));
    }
}
