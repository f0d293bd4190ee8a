//! `app_state.l1`: the L1 chain id and each genesis validator's L1 key with
//! its proof of possession.

use super::state::{L1Config, L1Write};
use crate::genesis::{Genesis, GenesisError};
use crate::state::StateWrite;
use quire_core::l1::key::verify_key_proof;
use quire_core::l1::{keccak256, Domain, L1Address, L1Signature};
use quire_core::Address;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// The `app_state.l1` section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct L1Genesis {
    /// The chain id of the L1 the anchor contract lives on (1337 for the
    /// dev node); part of every signature's domain. Not 0.
    pub chain_id: u64,
    /// The L1 key of every genesis validator (and of any other operator).
    pub signers: Vec<GenesisL1Signer>,
}

/// One operator's L1 key at genesis.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisL1Signer {
    /// The operator account (`quire1…`), as in `app_state.staking.validators`.
    pub operator: String,
    /// The L1 address (`0x…`).
    pub address: L1Address,
    /// The key's signature of its ownership (`0x` ‖ r ‖ s ‖ v, see
    /// [`quire_core::l1::key::key_proof_digest`]).
    pub proof: String,
}

impl GenesisL1Signer {
    /// The entry for `signer` as `operator`'s key on chain `chain_id`
    /// anchored on L1 `l1_chain_id`, with its proof.
    pub fn prove(
        signer: &quire_core::l1::L1Signer,
        operator: &Address,
        chain_id: &str,
        l1_chain_id: u64,
    ) -> Result<Self, quire_core::l1::L1KeyError> {
        let domain = Domain::new(l1_chain_id, chain_id);
        let digest =
            quire_core::l1::key::key_proof_digest(&domain, operator.as_bytes(), &signer.address());
        let proof = signer.sign(&digest)?;
        Ok(GenesisL1Signer {
            operator: operator.to_bech32(),
            address: signer.address(),
            proof: format!("0x{}", hex::encode(proof.to_bytes())),
        })
    }
}

/// Checks the section and writes the config and the keys.
pub(super) fn init(
    state: &mut dyn StateWrite,
    genesis: &Genesis<'_>,
    l1: &L1Genesis,
) -> Result<(), GenesisError> {
    if l1.chain_id == 0 {
        return Err(GenesisError::L1("chain_id must not be 0".into()));
    }
    let domain = Domain::new(l1.chain_id, genesis.chain_id);
    let mut operators = BTreeSet::new();
    let mut addresses = BTreeSet::new();
    for (index, entry) in l1.signers.iter().enumerate() {
        let fail = |reason: String| GenesisError::L1(format!("signers[{index}]: {reason}"));
        let operator: Address = entry
            .operator
            .parse()
            .map_err(|e| fail(format!("operator: {e}")))?;
        let proof = entry
            .proof
            .strip_prefix("0x")
            .and_then(|h| hex::decode(h).ok())
            .ok_or_else(|| fail("proof is not 0x-prefixed hex".into()))?;
        let proof = L1Signature::from_bytes(&proof).map_err(|e| fail(format!("proof: {e}")))?;
        verify_key_proof(&domain, operator.as_bytes(), &entry.address, &proof).map_err(|e| {
            fail(format!(
                "proof does not show that {} holds this key for {operator} on this chain ({e})",
                entry.address
            ))
        })?;
        if !operators.insert(operator) {
            return Err(fail(format!("operator {operator} has two L1 keys")));
        }
        if !addresses.insert(entry.address) {
            return Err(fail(format!(
                "L1 address {} is listed twice",
                entry.address
            )));
        }
        state.put_l1_key(operator.as_bytes(), &entry.address);
    }
    state.put_l1_config(&L1Config {
        l1_chain_id: l1.chain_id,
        initial_height: genesis.initial_height,
        salt: keccak256(genesis.chain_id.as_bytes()),
    });
    Ok(())
}
