//! The app hash: what a block's header commits to about the app.

use crate::state::ChangeSet;
use quire_core::Blob;
use sha2::{Digest, Sha256};

/// Domain tag of the app hash.
const APP_HASH_TAG: &[u8] = b"quire/app-hash/v1";

/// The app hash after a block: it chains the previous app hash, the height, every
/// state write of the block (in key order) and the block's blob index digest.
///
/// Because the state after height H is a function of the genesis writes and the
/// writes of blocks 1..=H, and the app hash chains exactly those, two nodes with
/// equal app hashes hold equal state and equal blob indexes. Encoding (all
/// lengths u32 big-endian):
/// `sha256(tag ‖ prev ‖ height u64 BE ‖ n_writes u64 BE ‖ writes… ‖ blob_digest)`,
/// each write `len(key) ‖ key ‖ 0x00` (delete) or `len(key) ‖ key ‖ 0x01 ‖ len(value) ‖ value`.
pub fn app_hash(
    prev: &[u8; 32],
    height: u64,
    changes: &ChangeSet,
    blob_digest: &[u8; 32],
) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(APP_HASH_TAG);
    hasher.update(prev);
    hasher.update(height.to_be_bytes());
    hasher.update((changes.len() as u64).to_be_bytes());
    for (key, value) in changes {
        hasher.update((key.len() as u32).to_be_bytes());
        hasher.update(key);
        match value {
            None => hasher.update([0u8]),
            Some(value) => {
                hasher.update([1u8]);
                hasher.update((value.len() as u32).to_be_bytes());
                hasher.update(value);
            }
        }
    }
    hasher.update(blob_digest);
    hasher.finalize().into()
}

/// Digest of a block's blob index entries (namespace, signer, tx hash,
/// positions), so the app hash also pins the index. The data itself is already
/// pinned by the tx hash.
pub fn blob_index_digest(blobs: &[Blob]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update((blobs.len() as u64).to_be_bytes());
    for blob in blobs {
        hasher.update(blob.namespace.as_bytes());
        hasher.update(blob.signer.as_bytes());
        hasher.update(blob.tx_hash);
        hasher.update(blob.tx_index.to_be_bytes());
        hasher.update(blob.msg_index.to_be_bytes());
    }
    hasher.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn app_hash_depends_on_every_input() {
        let mut changes = ChangeSet::new();
        changes.insert(b"a".to_vec(), Some(b"1".to_vec()));
        let base = app_hash(&[0; 32], 1, &changes, &[0; 32]);
        assert_ne!(base, app_hash(&[1; 32], 1, &changes, &[0; 32]));
        assert_ne!(base, app_hash(&[0; 32], 2, &changes, &[0; 32]));
        assert_ne!(base, app_hash(&[0; 32], 1, &changes, &[1; 32]));
        let mut deleted = ChangeSet::new();
        deleted.insert(b"a".to_vec(), None);
        assert_ne!(base, app_hash(&[0; 32], 1, &deleted, &[0; 32]));
        // Key/value boundaries are length-prefixed: ("ab","") != ("a","b").
        let mut x = ChangeSet::new();
        x.insert(b"ab".to_vec(), Some(Vec::new()));
        let mut y = ChangeSet::new();
        y.insert(b"a".to_vec(), Some(b"b".to_vec()));
        assert_ne!(
            app_hash(&[0; 32], 1, &x, &[0; 32]),
            app_hash(&[0; 32], 1, &y, &[0; 32])
        );
    }
}
