//! Proofs of Quire's state: the app hash of every block is the root of a
//! Jellyfish Merkle Tree (jmt 0.12, SHA-256) over the whole state, each
//! entry under `sha256(key)`. A [`StateProof`] shows that a key holds a value
//! — or holds none — under a root; a client checks the root against the app
//! hash of a header it verified (the header of height H + 1 carries the app
//! hash after block H).

use crate::proto::WireError;
use jmt::proof::SparseMerkleProof;
use jmt::{KeyHash, RootHash};
use sha2::Sha256;
use thiserror::Error;

/// Largest encoded proof accepted (a proof has at most 256 siblings of 33
/// bytes, plus its leaf).
pub const MAX_PROOF_BYTES: usize = 16 * 1024;

/// The `ProofOp` type of a Quire state proof in an ABCI Query answer.
pub const PROOF_OP_TYPE: &str = "quire/jmt/v1";

/// A state proof did not check out.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StateProofError {
    /// The proof bytes do not decode.
    #[error(transparent)]
    Wire(#[from] WireError),
    /// The proof does not prove this key and value under this root.
    #[error("state proof does not verify: {0}")]
    Invalid(String),
}

/// Proof that `key` holds `value` (`None`: holds nothing) in the state whose
/// root is the app hash of one block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateProof {
    /// The state key.
    pub key: Vec<u8>,
    /// The value it holds, if any.
    pub value: Option<Vec<u8>>,
    /// The encoded Merkle proof (jmt's `SparseMerkleProof`, borsh).
    pub proof: Vec<u8>,
}

impl StateProof {
    /// Checks the proof against `root` (an app hash).
    pub fn verify(&self, root: &[u8; 32]) -> Result<(), StateProofError> {
        if self.proof.len() > MAX_PROOF_BYTES {
            return Err(WireError {
                field: "state proof",
                reason: format!("{} bytes, at most {MAX_PROOF_BYTES}", self.proof.len()),
            }
            .into());
        }
        let proof: SparseMerkleProof<Sha256> =
            borsh::from_slice(&self.proof).map_err(|e| WireError {
                field: "state proof",
                reason: e.to_string(),
            })?;
        proof
            .verify(
                RootHash(*root),
                KeyHash::with::<Sha256>(&self.key),
                self.value.as_deref(),
            )
            .map_err(|e| StateProofError::Invalid(e.to_string()))
    }

    /// The proof as an ABCI `ProofOp`'s data: value presence (1 byte),
    /// value length (u32 BE) and value, then the Merkle proof.
    pub fn encode_op_data(&self) -> Vec<u8> {
        let mut out =
            Vec::with_capacity(5 + self.value.as_ref().map_or(0, Vec::len) + self.proof.len());
        match &self.value {
            Some(value) => {
                out.push(1);
                out.extend_from_slice(&(value.len() as u32).to_be_bytes());
                out.extend_from_slice(value);
            }
            None => out.push(0),
        }
        out.extend_from_slice(&self.proof);
        out
    }

    /// Inverse of [`encode_op_data`](Self::encode_op_data), for the state
    /// key the `ProofOp` names.
    pub fn decode_op_data(key: &[u8], data: &[u8]) -> Result<Self, WireError> {
        let malformed = |reason: &str| WireError {
            field: "state proof op",
            reason: reason.to_string(),
        };
        let (&present, rest) = data.split_first().ok_or_else(|| malformed("empty"))?;
        let (value, proof) = match present {
            0 => (None, rest),
            1 => {
                let (len, rest) = rest
                    .split_first_chunk::<4>()
                    .ok_or_else(|| malformed("truncated value length"))?;
                let (value, proof) = rest
                    .split_at_checked(u32::from_be_bytes(*len) as usize)
                    .ok_or_else(|| malformed("truncated value"))?;
                (Some(value.to_vec()), proof)
            }
            _ => return Err(malformed("bad presence byte")),
        };
        Ok(StateProof {
            key: key.to_vec(),
            value,
            proof: proof.to_vec(),
        })
    }
}
