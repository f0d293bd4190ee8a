//! The checkpoint validators sign for each height, and its EIP-712 digest.
//!
//! ```text
//! EIP712Domain(string name,string version,uint256 chainId,bytes32 salt)
//!   name "QuireAnchor", version "1", chainId = the L1's, salt = keccak256(Quire chain id)
//! Checkpoint(uint64 height,bytes32 blockHash,uint64 historySize,bytes32 historyRoot,
//!            bytes32 valsetHash,bytes32 nextValsetHash)
//! digest = keccak256(0x19 0x01 ‖ domainSeparator ‖ hashStruct(checkpoint))
//! ```
//!
//! The domain has no `verifyingContract`: the genesis that fixes it comes
//! before any deployment. The salt keeps two Quire chains on one L1 apart,
//! the chain id two L1s.

use super::key::keccak256;

/// The EIP-712 domain type.
pub const DOMAIN_TYPE: &str =
    "EIP712Domain(string name,string version,uint256 chainId,bytes32 salt)";
/// The domain's name.
pub const DOMAIN_NAME: &str = "QuireAnchor";
/// The domain's version.
pub const DOMAIN_VERSION: &str = "1";
/// The checkpoint's EIP-712 type.
pub const CHECKPOINT_TYPE: &str = "Checkpoint(uint64 height,bytes32 blockHash,uint64 historySize,bytes32 historyRoot,bytes32 valsetHash,bytes32 nextValsetHash)";

/// Which L1 and which Quire chain a signature is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Domain {
    /// The L1's chain id (`block.chainid` on the L1).
    pub l1_chain_id: u64,
    /// keccak-256 of the Quire chain id.
    pub salt: [u8; 32],
}

impl Domain {
    /// The domain of Quire chain `chain_id` anchored on L1 `l1_chain_id`.
    pub fn new(l1_chain_id: u64, chain_id: &str) -> Self {
        Domain {
            l1_chain_id,
            salt: keccak256(chain_id.as_bytes()),
        }
    }

    /// The EIP-712 domain separator.
    pub fn separator(&self) -> [u8; 32] {
        let mut encoded = Vec::with_capacity(5 * 32);
        encoded.extend_from_slice(&keccak256(DOMAIN_TYPE.as_bytes()));
        encoded.extend_from_slice(&keccak256(DOMAIN_NAME.as_bytes()));
        encoded.extend_from_slice(&keccak256(DOMAIN_VERSION.as_bytes()));
        encoded.extend_from_slice(&u64_word(self.l1_chain_id));
        encoded.extend_from_slice(&self.salt);
        keccak256(&encoded)
    }

    /// `keccak256(0x1901 ‖ separator ‖ struct_hash)`: what is signed.
    pub fn typed_digest(&self, struct_hash: &[u8; 32]) -> [u8; 32] {
        let mut encoded = Vec::with_capacity(66);
        encoded.extend_from_slice(&[0x19, 0x01]);
        encoded.extend_from_slice(&self.separator());
        encoded.extend_from_slice(struct_hash);
        keccak256(&encoded)
    }
}

/// A u64 as a 32-byte ABI word.
pub(crate) fn u64_word(value: u64) -> [u8; 32] {
    let mut word = [0u8; 32];
    word[24..].copy_from_slice(&value.to_be_bytes());
    word
}

/// What the validators of `height` sign about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Checkpoint {
    /// The height.
    pub height: u64,
    /// Its block hash (CometBFT's header hash).
    pub block_hash: [u8; 32],
    /// Heights in the history: `height - initial_height` (every earlier one).
    pub history_size: u64,
    /// The history root over those heights ([`super::history`]).
    pub history_root: [u8; 32],
    /// Hash of the validator set that signs `height` ([`super::L1Valset::hash`]).
    pub valset_hash: [u8; 32],
    /// Hash of the set of `height + 1`; differs when the set changes.
    pub next_valset_hash: [u8; 32],
}

impl Checkpoint {
    /// EIP-712 `hashStruct`.
    pub fn struct_hash(&self) -> [u8; 32] {
        let mut encoded = Vec::with_capacity(7 * 32);
        encoded.extend_from_slice(&keccak256(CHECKPOINT_TYPE.as_bytes()));
        encoded.extend_from_slice(&u64_word(self.height));
        encoded.extend_from_slice(&self.block_hash);
        encoded.extend_from_slice(&u64_word(self.history_size));
        encoded.extend_from_slice(&self.history_root);
        encoded.extend_from_slice(&self.valset_hash);
        encoded.extend_from_slice(&self.next_valset_hash);
        keccak256(&encoded)
    }

    /// The digest validators sign.
    pub fn digest(&self, domain: &Domain) -> [u8; 32] {
        domain.typed_digest(&self.struct_hash())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_digest_depends_on_every_field_and_the_domain() {
        let domain = Domain::new(1337, "quire-test");
        let cp = Checkpoint {
            height: 5,
            block_hash: [1; 32],
            history_size: 4,
            history_root: [2; 32],
            valset_hash: [3; 32],
            next_valset_hash: [3; 32],
        };
        let digest = cp.digest(&domain);
        let changed = [
            Checkpoint { height: 6, ..cp },
            Checkpoint {
                block_hash: [9; 32],
                ..cp
            },
            Checkpoint {
                history_size: 5,
                ..cp
            },
            Checkpoint {
                history_root: [9; 32],
                ..cp
            },
            Checkpoint {
                valset_hash: [9; 32],
                ..cp
            },
            Checkpoint {
                next_valset_hash: [9; 32],
                ..cp
            },
        ];
        for other in changed {
            assert_ne!(other.digest(&domain), digest, "{other:?}");
        }
        assert_ne!(cp.digest(&Domain::new(1, "quire-test")), digest);
        assert_ne!(cp.digest(&Domain::new(1337, "quire-other")), digest);
    }
}
