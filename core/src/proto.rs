//! Conversions between protobuf wire types and Quire's domain types, one
//! trait for all of them ([`Protobuf`], Astria's pattern): decoding checks
//! every length and rule, so a value that converts is well-formed. What a
//! server or a peer sends is untrusted.

use crate::commitment::{AbsenceProof, IncludedLeaf, NamespaceLeaf, NamespaceProof};
use crate::merkle::{InclusionProof, MAX_PROOF_DEPTH};
use crate::params::Params;
use crate::{Address, Blob, Namespace};
use quire_proto::blob::v1 as blob_pb;
use quire_proto::sequencer::v1 as pb;
use thiserror::Error;

/// A message that does not have the right shape.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[error("malformed {field}: {reason}")]
pub struct WireError {
    /// Which field.
    pub field: &'static str,
    /// What is wrong.
    pub reason: String,
}

/// A domain type with a protobuf wire form.
pub trait Protobuf: Sized {
    /// The generated protobuf message.
    type Raw: prost::Message + Default;

    /// Converts a wire message, checking every rule of form.
    fn try_from_raw(raw: &Self::Raw) -> Result<Self, WireError>;

    /// The wire message.
    fn to_raw(&self) -> Self::Raw;

    /// Decodes protobuf bytes.
    fn decode(bytes: &[u8]) -> Result<Self, WireError> {
        let raw = <Self::Raw as prost::Message>::decode(bytes).map_err(|e| WireError {
            field: std::any::type_name::<Self::Raw>(),
            reason: e.to_string(),
        })?;
        Self::try_from_raw(&raw)
    }

    /// Encodes to protobuf bytes.
    fn encode_to_vec(&self) -> Vec<u8> {
        prost::Message::encode_to_vec(&self.to_raw())
    }
}

fn malformed(field: &'static str, reason: impl Into<String>) -> WireError {
    WireError {
        field,
        reason: reason.into(),
    }
}

/// A 32-byte hash from wire bytes.
pub fn hash32(field: &'static str, bytes: &[u8]) -> Result<[u8; 32], WireError> {
    bytes
        .try_into()
        .map_err(|_| malformed(field, format!("expected 32 bytes, got {}", bytes.len())))
}

impl Protobuf for InclusionProof {
    type Raw = pb::MerkleProof;

    fn try_from_raw(proof: &pb::MerkleProof) -> Result<Self, WireError> {
        if proof.aunts.len() > MAX_PROOF_DEPTH {
            return Err(malformed(
                "merkle proof",
                format!("{} aunts", proof.aunts.len()),
            ));
        }
        let aunts = proof
            .aunts
            .iter()
            .map(|a| hash32("merkle proof aunt", a))
            .collect::<Result<_, _>>()?;
        Ok(InclusionProof {
            index: proof.index,
            total: proof.total,
            aunts,
        })
    }

    fn to_raw(&self) -> pb::MerkleProof {
        pb::MerkleProof {
            index: self.index,
            total: self.total,
            aunts: self.aunts.iter().map(|a| a.to_vec()).collect(),
        }
    }
}

impl Protobuf for NamespaceLeaf {
    type Raw = pb::NamespaceLeaf;

    fn try_from_raw(leaf: &pb::NamespaceLeaf) -> Result<Self, WireError> {
        Ok(NamespaceLeaf {
            namespace: Namespace::from_slice(&leaf.namespace)
                .map_err(|e| malformed("leaf namespace", e.to_string()))?,
            blob_count: leaf.blob_count,
            blobs_root: hash32("leaf blobs_root", &leaf.blobs_root)?,
        })
    }

    fn to_raw(&self) -> pb::NamespaceLeaf {
        pb::NamespaceLeaf {
            namespace: self.namespace.as_bytes().to_vec(),
            blob_count: self.blob_count,
            blobs_root: self.blobs_root.to_vec(),
        }
    }
}

impl Protobuf for IncludedLeaf {
    type Raw = pb::LeafProof;

    fn try_from_raw(leaf: &pb::LeafProof) -> Result<Self, WireError> {
        Ok(IncludedLeaf {
            leaf: NamespaceLeaf::try_from_raw(
                leaf.leaf
                    .as_ref()
                    .ok_or_else(|| malformed("leaf proof", "no leaf"))?,
            )?,
            proof: InclusionProof::try_from_raw(
                leaf.proof
                    .as_ref()
                    .ok_or_else(|| malformed("leaf proof", "no proof"))?,
            )?,
        })
    }

    fn to_raw(&self) -> pb::LeafProof {
        pb::LeafProof {
            leaf: Some(self.leaf.to_raw()),
            proof: Some(self.proof.to_raw()),
        }
    }
}

impl Protobuf for NamespaceProof {
    type Raw = pb::NamespaceProof;

    fn try_from_raw(proof: &pb::NamespaceProof) -> Result<Self, WireError> {
        use pb::namespace_proof::Kind;
        match proof
            .kind
            .as_ref()
            .ok_or_else(|| malformed("namespace proof", "empty"))?
        {
            Kind::Inclusion(leaf) => {
                let IncludedLeaf { leaf, proof } = IncludedLeaf::try_from_raw(leaf)?;
                Ok(NamespaceProof::Inclusion { leaf, proof })
            }
            Kind::Absence(absence) => {
                let left = absence
                    .left
                    .as_ref()
                    .map(IncludedLeaf::try_from_raw)
                    .transpose()?;
                let right = absence
                    .right
                    .as_ref()
                    .map(IncludedLeaf::try_from_raw)
                    .transpose()?;
                Ok(NamespaceProof::Absence(match (left, right) {
                    (None, None) => AbsenceProof::EmptyBlock,
                    (None, Some(first)) => AbsenceProof::BeforeFirst(first),
                    (Some(last), None) => AbsenceProof::AfterLast(last),
                    (Some(left), Some(right)) => AbsenceProof::Between { left, right },
                }))
            }
        }
    }

    fn to_raw(&self) -> pb::NamespaceProof {
        use pb::namespace_proof::Kind;
        let kind = match self {
            NamespaceProof::Inclusion { leaf, proof } => Kind::Inclusion(pb::LeafProof {
                leaf: Some(leaf.to_raw()),
                proof: Some(proof.to_raw()),
            }),
            NamespaceProof::Absence(absence) => {
                let (left, right) = match absence {
                    AbsenceProof::EmptyBlock => (None, None),
                    AbsenceProof::BeforeFirst(first) => (None, Some(first)),
                    AbsenceProof::AfterLast(last) => (Some(last), None),
                    AbsenceProof::Between { left, right } => (Some(left), Some(right)),
                };
                Kind::Absence(pb::AbsenceProof {
                    left: left.map(IncludedLeaf::to_raw),
                    right: right.map(IncludedLeaf::to_raw),
                })
            }
        };
        pb::NamespaceProof { kind: Some(kind) }
    }
}

/// A blob as the read API serves it: its namespace is the one asked for,
/// so the wire form does not repeat it.
pub fn blob_to_raw(blob: Blob) -> pb::Blob {
    pb::Blob {
        signer: blob.signer.as_bytes().to_vec(),
        data: blob.data,
        tx_hash: blob.tx_hash.to_vec(),
        tx_index: blob.tx_index,
        msg_index: blob.msg_index,
    }
}

/// The signer of a served blob.
pub fn blob_signer(blob: &pb::Blob) -> Result<Address, WireError> {
    let bytes: [u8; 20] = blob.signer.as_slice().try_into().map_err(|_| {
        malformed(
            "blob signer",
            format!("expected 20 bytes, got {}", blob.signer.len()),
        )
    })?;
    Ok(Address::new(bytes))
}

fn parse_u128(field: &'static str, text: &str) -> Result<u128, WireError> {
    text.parse()
        .map_err(|_| malformed(field, format!("{text:?} is not a decimal amount")))
}

/// Params in the query response form (`quire.blob.v1.Params`; amounts as
/// decimal strings). Not the stored encoding, which is the app's.
impl Protobuf for Params {
    type Raw = blob_pb::Params;

    fn try_from_raw(raw: &blob_pb::Params) -> Result<Self, WireError> {
        Ok(Params {
            fee_denom: raw.fee_denom.clone(),
            base_fee: parse_u128("params.base_fee", &raw.base_fee)?,
            fee_per_blob_byte: parse_u128("params.fee_per_blob_byte", &raw.fee_per_blob_byte)?,
            max_blob_bytes: raw.max_blob_bytes,
            max_block_blob_bytes: raw.max_block_blob_bytes,
            max_tx_bytes: raw.max_tx_bytes,
        })
    }

    fn to_raw(&self) -> blob_pb::Params {
        blob_pb::Params {
            fee_denom: self.fee_denom.clone(),
            base_fee: self.base_fee.to_string(),
            fee_per_blob_byte: self.fee_per_blob_byte.to_string(),
            max_blob_bytes: self.max_blob_bytes,
            max_block_blob_bytes: self.max_block_blob_bytes,
            max_tx_bytes: self.max_tx_bytes,
        }
    }
}

impl Protobuf for crate::l1::Checkpoint {
    type Raw = pb::Checkpoint;

    fn try_from_raw(raw: &pb::Checkpoint) -> Result<Self, WireError> {
        Ok(crate::l1::Checkpoint {
            height: raw.height,
            block_hash: hash32("checkpoint block hash", &raw.block_hash)?,
            history_size: raw.history_size,
            history_root: hash32("checkpoint history root", &raw.history_root)?,
            valset_hash: hash32("checkpoint valset hash", &raw.valset_hash)?,
            next_valset_hash: hash32("checkpoint next valset hash", &raw.next_valset_hash)?,
        })
    }

    fn to_raw(&self) -> pb::Checkpoint {
        pb::Checkpoint {
            height: self.height,
            block_hash: self.block_hash.to_vec(),
            history_size: self.history_size,
            history_root: self.history_root.to_vec(),
            valset_hash: self.valset_hash.to_vec(),
            next_valset_hash: self.next_valset_hash.to_vec(),
        }
    }
}

/// An L1 set from the wire: members in the wire order, which must be the
/// set's own order (so its hash is the one the members listed give), and
/// the hash the message claims must be that hash.
impl Protobuf for crate::l1::L1Valset {
    type Raw = pb::L1Valset;

    fn try_from_raw(raw: &pb::L1Valset) -> Result<Self, WireError> {
        if raw.members.len() > crate::l1::valset::MAX_L1_VALIDATORS {
            return Err(malformed(
                "L1 set",
                format!("{} members", raw.members.len()),
            ));
        }
        let members = raw
            .members
            .iter()
            .map(|m| {
                Ok(crate::l1::L1Member {
                    consensus: m.consensus_address.as_slice().try_into().map_err(|_| {
                        malformed("L1 member consensus address", "expected 20 bytes")
                    })?,
                    signer: crate::l1::L1Address(
                        m.signer
                            .as_slice()
                            .try_into()
                            .map_err(|_| malformed("L1 member signer", "expected 20 bytes"))?,
                    ),
                    power: m.power,
                })
            })
            .collect::<Result<Vec<_>, WireError>>()?;
        let set = crate::l1::L1Valset::new(members.clone());
        if set.members() != members.as_slice() {
            return Err(malformed(
                "L1 set",
                "members are not in set order (power descending, then consensus address), or have zero power",
            ));
        }
        if raw.hash != set.hash() {
            return Err(malformed("L1 set", "hash is not the members' hash"));
        }
        Ok(set)
    }

    fn to_raw(&self) -> pb::L1Valset {
        pb::L1Valset {
            members: self
                .members()
                .iter()
                .map(|m| pb::L1Member {
                    signer: m.signer.as_bytes().to_vec(),
                    power: m.power,
                    consensus_address: m.consensus.to_vec(),
                })
                .collect(),
            hash: self.hash().to_vec(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn included(n: u8) -> IncludedLeaf {
        IncludedLeaf {
            leaf: NamespaceLeaf {
                namespace: Namespace::new([n; 32]),
                blob_count: n.into(),
                blobs_root: [n; 32],
            },
            proof: InclusionProof {
                index: n.into(),
                total: 9,
                aunts: vec![[n; 32]; 3],
            },
        }
    }

    #[test]
    fn proofs_round_trip() {
        let proofs = [
            NamespaceProof::Inclusion {
                leaf: included(1).leaf,
                proof: included(1).proof,
            },
            NamespaceProof::Absence(AbsenceProof::EmptyBlock),
            NamespaceProof::Absence(AbsenceProof::BeforeFirst(included(2))),
            NamespaceProof::Absence(AbsenceProof::AfterLast(included(3))),
            NamespaceProof::Absence(AbsenceProof::Between {
                left: included(4),
                right: included(5),
            }),
        ];
        for proof in proofs {
            assert_eq!(
                NamespaceProof::try_from_raw(&proof.to_raw()).unwrap(),
                proof
            );
            assert_eq!(
                NamespaceProof::decode(&proof.encode_to_vec()).unwrap(),
                proof
            );
        }
    }

    #[test]
    fn params_round_trip_and_bad_amounts_are_refused() {
        let params = Params::default();
        assert_eq!(Params::try_from_raw(&params.to_raw()).unwrap(), params);
        let mut raw = params.to_raw();
        raw.base_fee = "-1".into();
        assert_eq!(
            Params::try_from_raw(&raw).unwrap_err().field,
            "params.base_fee"
        );
    }

    #[test]
    fn malformed_messages_are_refused() {
        let mut wire = NamespaceProof::Inclusion {
            leaf: included(1).leaf,
            proof: included(1).proof,
        }
        .to_raw();
        if let Some(pb::namespace_proof::Kind::Inclusion(leaf)) = &mut wire.kind {
            leaf.proof.as_mut().unwrap().aunts[0].pop();
        }
        assert_eq!(
            NamespaceProof::try_from_raw(&wire).unwrap_err().field,
            "merkle proof aunt"
        );
        assert!(NamespaceProof::try_from_raw(&pb::NamespaceProof { kind: None }).is_err());
        let too_many = pb::MerkleProof {
            index: 0,
            total: 1,
            aunts: vec![vec![0; 32]; MAX_PROOF_DEPTH + 1],
        };
        assert!(InclusionProof::try_from_raw(&too_many).is_err());
        let bad_signer = pb::Blob {
            signer: vec![1; 19],
            ..Default::default()
        };
        assert!(blob_signer(&bad_signer).is_err());
    }
}
