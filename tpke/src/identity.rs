//! The identity an envelope is encrypted to.

use sha2::{Digest, Sha256};

/// Domain separation of an identity's hash.
pub const IDENTITY_DOMAIN: &[u8] = b"quire/ibe-id/v1";

/// The namespace of the IBE target (and so of the threshold signature that
/// is an identity's decryption key): nothing else Quire signs uses it.
pub const IBE_NAMESPACE: &[u8] = b"quire/enc/v1";

/// An envelope's identity: `sha256(IDENTITY_DOMAIN ‖ sha256(chain_id) ‖
/// epoch u64 BE ‖ signer 20 ‖ sequence u64 BE ‖ nonce 32)`. Its key is the
/// group's signature on these 32 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Identity([u8; 32]);

impl Identity {
    /// The identity of the envelope `signer` sends at `sequence` on
    /// `chain_id`, encrypted to key epoch `epoch`, with its fresh `nonce`.
    pub fn derive(
        chain_id: &str,
        epoch: u64,
        signer: &[u8; 20],
        sequence: u64,
        nonce: &[u8; 32],
    ) -> Self {
        let mut hasher = Sha256::new();
        hasher.update(IDENTITY_DOMAIN);
        hasher.update(Sha256::digest(chain_id.as_bytes()));
        hasher.update(epoch.to_be_bytes());
        hasher.update(signer);
        hasher.update(sequence.to_be_bytes());
        hasher.update(nonce);
        Identity(hasher.finalize().into())
    }

    /// Wraps 32 bytes computed elsewhere.
    pub const fn from_bytes(bytes: [u8; 32]) -> Self {
        Identity(bytes)
    }

    /// The 32 bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_part_changes_the_identity() {
        let base = Identity::derive("quire-1", 1, &[1; 20], 5, &[2; 32]);
        let others = [
            Identity::derive("quire-2", 1, &[1; 20], 5, &[2; 32]),
            Identity::derive("quire-1", 2, &[1; 20], 5, &[2; 32]),
            Identity::derive("quire-1", 1, &[3; 20], 5, &[2; 32]),
            Identity::derive("quire-1", 1, &[1; 20], 6, &[2; 32]),
            Identity::derive("quire-1", 1, &[1; 20], 5, &[4; 32]),
        ];
        for other in others {
            assert_ne!(base, other);
        }
        assert_eq!(base, Identity::derive("quire-1", 1, &[1; 20], 5, &[2; 32]));
    }
}
