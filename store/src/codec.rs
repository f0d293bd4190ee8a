//! Key layouts and record encodings of the store's tables. Explicit
//! big-endian byte layouts: sortable keys, no serialisation library.

use crate::StoreError;
use quire_core::commitment::NamespaceLeaf;
use quire_core::merkle::InclusionProof;
use quire_core::{Address, Blob, Namespace};

/// Most aunts a stored proof can have (a tree of 2^64 leaves).
const MAX_AUNTS: usize = 64;

/// Blob index key: height u64 BE ‖ namespace (32) ‖ position within the
/// namespace at that height u32 BE. Sorted by height, then namespace, then order.
pub(crate) fn blob_key(height: u64, namespace: &Namespace, position: u32) -> [u8; 44] {
    let mut key = [0u8; 44];
    key[..8].copy_from_slice(&height.to_be_bytes());
    key[8..40].copy_from_slice(namespace.as_bytes());
    key[40..].copy_from_slice(&position.to_be_bytes());
    key
}

/// Blob index value: signer (20) ‖ tx hash (32) ‖ tx index u32 BE ‖ msg index u32 BE ‖ data.
pub(crate) fn encode_blob(blob: &Blob) -> Vec<u8> {
    let mut out = Vec::with_capacity(60 + blob.data.len());
    out.extend_from_slice(blob.signer.as_bytes());
    out.extend_from_slice(&blob.tx_hash);
    out.extend_from_slice(&blob.tx_index.to_be_bytes());
    out.extend_from_slice(&blob.msg_index.to_be_bytes());
    out.extend_from_slice(&blob.data);
    out
}

pub(crate) fn decode_blob(namespace: Namespace, bytes: &[u8]) -> Result<Blob, StoreError> {
    if bytes.len() < 60 {
        return Err(StoreError::Corrupt(format!(
            "blob record of {} bytes",
            bytes.len()
        )));
    }
    let corrupt = |_| StoreError::Corrupt("blob record".into());
    Ok(Blob {
        namespace,
        signer: Address::new(bytes[..20].try_into().map_err(corrupt)?),
        tx_hash: bytes[20..52].try_into().map_err(corrupt)?,
        tx_index: u32::from_be_bytes(bytes[52..56].try_into().map_err(corrupt)?),
        msg_index: u32::from_be_bytes(bytes[56..60].try_into().map_err(corrupt)?),
        data: bytes[60..].to_vec(),
    })
}

/// Namespace leaf key: height u64 BE ‖ namespace (32).
pub(crate) fn leaf_key(height: u64, namespace: &Namespace) -> [u8; 40] {
    let mut key = [0u8; 40];
    key[..8].copy_from_slice(&height.to_be_bytes());
    key[8..].copy_from_slice(namespace.as_bytes());
    key
}

/// Namespace leaf value: blob count u32 BE ‖ blobs root (32).
pub(crate) fn encode_leaf(leaf: &NamespaceLeaf) -> [u8; 36] {
    let mut out = [0u8; 36];
    out[..4].copy_from_slice(&leaf.blob_count.to_be_bytes());
    out[4..].copy_from_slice(&leaf.blobs_root);
    out
}

pub(crate) fn decode_leaf(key: &[u8], value: &[u8]) -> Result<NamespaceLeaf, StoreError> {
    let corrupt = || StoreError::Corrupt("namespace leaf record".into());
    if key.len() != 40 || value.len() != 36 {
        return Err(corrupt());
    }
    Ok(NamespaceLeaf {
        namespace: Namespace::from_slice(&key[8..]).map_err(|_| corrupt())?,
        blob_count: u32::from_be_bytes(value[..4].try_into().map_err(|_| corrupt())?),
        blobs_root: value[4..].try_into().map_err(|_| corrupt())?,
    })
}

/// Commitment value: proof index u64 ‖ total u64 ‖ aunt count u32 ‖ aunts ‖ tx bytes.
pub(crate) fn encode_commitment(tx: &[u8], proof: &InclusionProof) -> Vec<u8> {
    let mut out = Vec::with_capacity(20 + 32 * proof.aunts.len() + tx.len());
    out.extend_from_slice(&proof.index.to_be_bytes());
    out.extend_from_slice(&proof.total.to_be_bytes());
    out.extend_from_slice(&(proof.aunts.len() as u32).to_be_bytes());
    for aunt in &proof.aunts {
        out.extend_from_slice(aunt);
    }
    out.extend_from_slice(tx);
    out
}

pub(crate) fn decode_commitment(bytes: &[u8]) -> Result<(Vec<u8>, InclusionProof), StoreError> {
    let corrupt = || StoreError::Corrupt("commitment record".into());
    let header = bytes.get(..20).ok_or_else(corrupt)?;
    let index = u64::from_be_bytes(header[..8].try_into().map_err(|_| corrupt())?);
    let total = u64::from_be_bytes(header[8..16].try_into().map_err(|_| corrupt())?);
    let count = u32::from_be_bytes(header[16..20].try_into().map_err(|_| corrupt())?) as usize;
    if count > MAX_AUNTS {
        return Err(corrupt());
    }
    let aunts_end = 20 + 32 * count;
    let aunt_bytes = bytes.get(20..aunts_end).ok_or_else(corrupt)?;
    let aunts = aunt_bytes
        .chunks_exact(32)
        .map(|c| c.try_into().map_err(|_| corrupt()))
        .collect::<Result<Vec<[u8; 32]>, _>>()?;
    Ok((
        bytes[aunts_end..].to_vec(),
        InclusionProof {
            index,
            total,
            aunts,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The on-disk layouts, pinned: a change needs a store migration.
    #[test]
    fn record_layouts_are_pinned() {
        let namespace = Namespace::new([0x22; 32]);
        let blob = Blob {
            namespace,
            signer: Address::new([0x11; 20]),
            tx_hash: [0x33; 32],
            tx_index: 1,
            msg_index: 2,
            data: b"data".to_vec(),
        };
        let leaf = NamespaceLeaf {
            namespace,
            blob_count: 3,
            blobs_root: [0x44; 32],
        };
        let proof = InclusionProof {
            index: 1,
            total: 2,
            aunts: vec![[0x55; 32]],
        };
        let text = format!(
            "blob key: {}\nblob record: {}\nleaf key: {}\nleaf record: {}\ncommitment record: {}\n",
            hex::encode(blob_key(7, &namespace, 4)),
            hex::encode(encode_blob(&blob)),
            hex::encode(leaf_key(7, &namespace)),
            hex::encode(encode_leaf(&leaf)),
            hex::encode(encode_commitment(b"tx", &proof)),
        );
        assert_eq!(decode_blob(namespace, &encode_blob(&blob)).unwrap(), blob);
        assert_eq!(
            decode_leaf(&leaf_key(7, &namespace), &encode_leaf(&leaf)).unwrap(),
            leaf
        );
        assert_eq!(
            decode_commitment(&encode_commitment(b"tx", &proof)).unwrap(),
            (b"tx".to_vec(), proof)
        );
        insta::assert_snapshot!("store_record_layouts", text);
    }
}
