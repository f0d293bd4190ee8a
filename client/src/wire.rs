//! Conversions between the read API's protobuf messages
//! (`quire.sequencer.v1`) and the app's proof types. Decoding checks every
//! length: what a server sends is untrusted.

use quire_app::commitment::{AbsenceProof, IncludedLeaf, NamespaceLeaf, NamespaceProof};
use quire_app::merkle::InclusionProof;
use quire_app::{Address, BlobRecord, Namespace};
use quire_proto::sequencer::v1 as pb;
use thiserror::Error;

/// Most aunts a proof may carry (a tree of 2^64 leaves).
pub const MAX_AUNTS: usize = 64;

/// A message from the server that does not have the right shape.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[error("malformed {field}: {reason}")]
pub struct WireError {
    /// Which field.
    pub field: &'static str,
    /// What is wrong.
    pub reason: String,
}

fn malformed(field: &'static str, reason: impl Into<String>) -> WireError {
    WireError {
        field,
        reason: reason.into(),
    }
}

fn hash32(field: &'static str, bytes: &[u8]) -> Result<[u8; 32], WireError> {
    bytes
        .try_into()
        .map_err(|_| malformed(field, format!("expected 32 bytes, got {}", bytes.len())))
}

/// Encodes a Merkle proof.
pub fn merkle_to_proto(proof: &InclusionProof) -> pb::MerkleProof {
    pb::MerkleProof {
        index: proof.index,
        total: proof.total,
        aunts: proof.aunts.iter().map(|a| a.to_vec()).collect(),
    }
}

/// Decodes a Merkle proof.
pub fn merkle_from_proto(proof: &pb::MerkleProof) -> Result<InclusionProof, WireError> {
    if proof.aunts.len() > MAX_AUNTS {
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

fn leaf_to_proto(leaf: &NamespaceLeaf) -> pb::NamespaceLeaf {
    pb::NamespaceLeaf {
        namespace: leaf.namespace.as_bytes().to_vec(),
        blob_count: leaf.blob_count,
        blobs_root: leaf.blobs_root.to_vec(),
    }
}

fn leaf_from_proto(leaf: &pb::NamespaceLeaf) -> Result<NamespaceLeaf, WireError> {
    Ok(NamespaceLeaf {
        namespace: Namespace::from_slice(&leaf.namespace)
            .map_err(|e| malformed("leaf namespace", e.to_string()))?,
        blob_count: leaf.blob_count,
        blobs_root: hash32("leaf blobs_root", &leaf.blobs_root)?,
    })
}

fn included_to_proto(leaf: &NamespaceLeaf, proof: &InclusionProof) -> pb::LeafProof {
    pb::LeafProof {
        leaf: Some(leaf_to_proto(leaf)),
        proof: Some(merkle_to_proto(proof)),
    }
}

fn included_from_proto(leaf: &pb::LeafProof) -> Result<IncludedLeaf, WireError> {
    Ok(IncludedLeaf {
        leaf: leaf_from_proto(
            leaf.leaf
                .as_ref()
                .ok_or_else(|| malformed("leaf proof", "no leaf"))?,
        )?,
        proof: merkle_from_proto(
            leaf.proof
                .as_ref()
                .ok_or_else(|| malformed("leaf proof", "no proof"))?,
        )?,
    })
}

/// Encodes a namespace proof.
pub fn proof_to_proto(proof: &NamespaceProof) -> pb::NamespaceProof {
    use pb::namespace_proof::Kind;
    let kind = match proof {
        NamespaceProof::Inclusion { leaf, proof } => {
            Kind::Inclusion(included_to_proto(leaf, proof))
        }
        NamespaceProof::Absence(absence) => {
            let (left, right) = match absence {
                AbsenceProof::EmptyBlock => (None, None),
                AbsenceProof::BeforeFirst(first) => (None, Some(first)),
                AbsenceProof::AfterLast(last) => (Some(last), None),
                AbsenceProof::Between { left, right } => (Some(left), Some(right)),
            };
            Kind::Absence(pb::AbsenceProof {
                left: left.map(|l| included_to_proto(&l.leaf, &l.proof)),
                right: right.map(|r| included_to_proto(&r.leaf, &r.proof)),
            })
        }
    };
    pb::NamespaceProof { kind: Some(kind) }
}

/// Decodes a namespace proof.
pub fn proof_from_proto(proof: &pb::NamespaceProof) -> Result<NamespaceProof, WireError> {
    use pb::namespace_proof::Kind;
    match proof
        .kind
        .as_ref()
        .ok_or_else(|| malformed("namespace proof", "empty"))?
    {
        Kind::Inclusion(leaf) => {
            let IncludedLeaf { leaf, proof } = included_from_proto(leaf)?;
            Ok(NamespaceProof::Inclusion { leaf, proof })
        }
        Kind::Absence(absence) => {
            let left = absence.left.as_ref().map(included_from_proto).transpose()?;
            let right = absence
                .right
                .as_ref()
                .map(included_from_proto)
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

/// Encodes a blob.
pub fn blob_to_proto(blob: BlobRecord) -> pb::Blob {
    pb::Blob {
        signer: blob.signer.as_bytes().to_vec(),
        data: blob.data,
        tx_hash: blob.tx_hash.to_vec(),
        tx_index: blob.tx_index,
        msg_index: blob.msg_index,
    }
}

/// The signer of a blob.
pub fn blob_signer(blob: &pb::Blob) -> Result<Address, WireError> {
    let bytes: [u8; 20] = blob.signer.as_slice().try_into().map_err(|_| {
        malformed(
            "blob signer",
            format!("expected 20 bytes, got {}", blob.signer.len()),
        )
    })?;
    Ok(Address::new(bytes))
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
            assert_eq!(proof_from_proto(&proof_to_proto(&proof)).unwrap(), proof);
        }
    }

    #[test]
    fn malformed_messages_are_refused() {
        let mut wire = proof_to_proto(&NamespaceProof::Inclusion {
            leaf: included(1).leaf,
            proof: included(1).proof,
        });
        if let Some(pb::namespace_proof::Kind::Inclusion(leaf)) = &mut wire.kind {
            leaf.proof.as_mut().unwrap().aunts[0].pop();
        }
        assert_eq!(
            proof_from_proto(&wire).unwrap_err().field,
            "merkle proof aunt"
        );
        assert!(proof_from_proto(&pb::NamespaceProof { kind: None }).is_err());
        let too_many = pb::MerkleProof {
            index: 0,
            total: 1,
            aunts: vec![vec![0; 32]; MAX_AUNTS + 1],
        };
        assert!(merkle_from_proto(&too_many).is_err());
        let bad_signer = pb::Blob {
            signer: vec![1; 19],
            ..Default::default()
        };
        assert!(blob_signer(&bad_signer).is_err());
    }
}
