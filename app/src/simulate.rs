//! Simulation: what a transaction would cost and do, without its signature
//! (the Cosmos `Simulate` a wallet calls before it signs).
//!
//! Quire has no gas. Its fee is `base_fee + fee_per_blob_byte × blob bytes`
//! (see [`crate::bank::required_fee`]); a simulation reports that fee as the
//! gas used, so one unit of gas is one unit of the fee denom and a wallet's
//! gas price of 1 (in the fee denom) pays exactly the fee. A wallet that
//! multiplies the estimate (cosmjs: ×1.4 with `fee: "auto"`) offers more,
//! and Quire charges the whole offered fee.
//!
//! The draft runs through every rule a real tx meets (decoding, the chain
//! id, account, sequence, funds, each message's checks and execution) on a
//! throwaway overlay of committed state, with two exceptions: the signature
//! is not checked (wallets send an empty one) and a missing or too small fee
//! is raised to the required one, so the estimate is what is asked for.

use crate::bank::required_fee;
use crate::chain::ChainRead;
use crate::context::TxContext;
use crate::error::TxError;
use crate::event::Event;
use crate::execute::deliver_tx;
use crate::machine::StateMachine;
use crate::state::{StateDelta, StateRead};
use crate::tx::DecodedTx;

/// What a simulated transaction would do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Simulation {
    /// The least fee the transaction must offer, in the fee denom (also its
    /// "gas used").
    pub required_fee: u128,
    /// The fee the simulation charged: the offered one if at least the
    /// required, else the required.
    pub charged_fee: u128,
    /// The events the transaction would emit in its block.
    pub events: Vec<Event>,
}

impl StateMachine {
    /// Simulates `bytes` (a TxRaw whose signature may be empty) against
    /// `committed` as if in the block at `next_height`. Nothing is kept.
    pub fn simulate(
        &self,
        committed: &dyn StateRead,
        next_height: u64,
        bytes: &[u8],
    ) -> Result<Simulation, TxError> {
        let chain_id = committed.chain_id()?;
        let params = committed.params()?;
        let ctx = TxContext {
            chain_id: &chain_id,
            params: &params,
            height: next_height,
            time: committed.block_time()?,
            sig_cache: self.sig_cache(),
            events: true,
        };
        let mut tx = DecodedTx::decode_for_simulation(bytes, params.max_tx_bytes, self.router())?;
        let required = required_fee(&ctx, &tx)?;
        // A fee in another denom is left for the real rule to refuse.
        let raise = match &tx.fee {
            None => true,
            Some((denom, amount)) => denom == &params.fee_denom && *amount < required,
        };
        if raise {
            tx.fee = Some((params.fee_denom.clone(), required));
        }
        let mut scratch = StateDelta::new(committed);
        let receipt = deliver_tx(self.components(), &mut scratch, &ctx, tx, 0)?;
        Ok(Simulation {
            required_fee: required,
            charged_fee: receipt.fee,
            events: receipt.events,
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::error::TxError;
    use crate::state::{ChangeSet, StateRead};
    use crate::{GenesisAccount, GenesisState, StateMachine};
    use cosmrs::proto::cosmos::tx::signing::v1beta1::SignMode;
    use cosmrs::proto::cosmos::tx::v1beta1::{mode_info, AuthInfo, TxRaw};
    use prost::Message;
    use quire_core::builder::{address_of, sign_tx, SignerContext};
    use quire_core::{Msg, Namespace, Params};

    struct Genesis {
        machine: StateMachine,
        changes: ChangeSet,
    }

    fn key() -> cosmrs::crypto::secp256k1::SigningKey {
        cosmrs::crypto::secp256k1::SigningKey::from_slice(&[7; 32]).unwrap()
    }

    fn genesis(balance: u128) -> Genesis {
        let machine = StateMachine::standard().build().unwrap();
        let state = GenesisState {
            staking: Default::default(),
            l1: None,
            encryption: None,
            params: Params::default(),
            accounts: vec![GenesisAccount {
                address: address_of(&key()).to_bech32(),
                balance,
            }],
        };
        let output = machine.genesis("sim-chain", 1, &state).unwrap();
        Genesis {
            machine,
            changes: output.changes,
        }
    }

    /// A signed tx of sequence 0 with a sufficient fee.
    fn real(msgs: Vec<Msg>) -> Vec<u8> {
        sign_tx(
            &key(),
            &SignerContext {
                chain_id: "sim-chain".into(),
                account_number: 0,
                sequence: 0,
                fee_denom: "uquire".into(),
                fee: 100_000,
                timeout_height: 0,
                memo: String::new(),
            },
            &msgs,
        )
        .unwrap()
    }

    /// A signed tx turned into what cosmjs simulates: one empty signature
    /// and SIGN_MODE_UNSPECIFIED, no fee coin.
    fn draft(msgs: Vec<Msg>, sequence: u64) -> Vec<u8> {
        let signed = sign_tx(
            &key(),
            &SignerContext {
                chain_id: "sim-chain".into(),
                account_number: 0,
                sequence,
                fee_denom: "uquire".into(),
                fee: 1,
                timeout_height: 0,
                memo: String::new(),
            },
            &msgs,
        )
        .unwrap();
        let mut raw = TxRaw::decode(signed.as_slice()).unwrap();
        let mut auth = AuthInfo::decode(raw.auth_info_bytes.as_slice()).unwrap();
        auth.fee.as_mut().unwrap().amount.clear();
        if let Some(mode_info::Sum::Single(single)) = auth.signer_infos[0]
            .mode_info
            .as_mut()
            .unwrap()
            .sum
            .as_mut()
        {
            single.mode = SignMode::Unspecified as i32;
        }
        raw.auth_info_bytes = auth.encode_to_vec();
        raw.signatures = vec![Vec::new()];
        raw.encode_to_vec()
    }

    fn blob(bytes: usize) -> Msg {
        Msg::submit_blob(Namespace::from_rollup_name("sim"), vec![1; bytes])
    }

    fn simulate(g: &Genesis, tx: &[u8]) -> Result<super::Simulation, TxError> {
        let state = crate::state::Overlay {
            changes: Some(&g.changes),
            base: &crate::state::EmptyState,
        };
        g.machine.simulate(&state as &dyn StateRead, 1, tx)
    }

    #[test]
    fn the_estimate_is_the_fee_rule() {
        let g = genesis(10_000_000);
        let params = Params::default();
        let sim = simulate(&g, &draft(vec![blob(1000)], 0)).unwrap();
        assert_eq!(sim.required_fee, params.fee_for(1000).unwrap());
        assert_eq!(sim.charged_fee, sim.required_fee);
        assert!(
            sim.events.iter().any(|e| e.kind == "blob"),
            "{:?}",
            sim.events
        );
        let bigger = simulate(&g, &draft(vec![blob(2000)], 0)).unwrap();
        assert_eq!(
            bigger.required_fee - sim.required_fee,
            params.fee_per_blob_byte * 1000
        );
    }

    #[test]
    fn a_simulation_meets_every_rule_but_the_signature() {
        let g = genesis(10);
        // Not enough funds for the fee.
        let err = simulate(&g, &draft(vec![blob(1000)], 0)).unwrap_err();
        assert!(matches!(err, TxError::InsufficientFunds { .. }), "{err}");
        let g = genesis(10_000_000);
        // A wrong sequence.
        let err = simulate(&g, &draft(vec![blob(10)], 5)).unwrap_err();
        assert!(matches!(err, TxError::SequenceGap { .. }), "{err}");
    }

    #[test]
    fn an_unsigned_draft_is_refused_by_check_tx() {
        use crate::error::InvalidTx;
        let g = genesis(10_000_000);
        let state = crate::state::Overlay {
            changes: Some(&g.changes),
            base: &crate::state::EmptyState,
        };
        let check = |tx: &[u8]| {
            let mut check = crate::CheckState::new();
            g.machine
                .check_tx(&mut check, &state as &dyn StateRead, 1, tx)
                .unwrap_err()
        };
        // cosmjs's draft: an empty signature (it fails to parse first).
        let err = check(&draft(vec![blob(10)], 0));
        assert!(
            matches!(err, TxError::Invalid(InvalidTx::SignatureEncoding(0))),
            "{err}"
        );
        // A well-formed but bogus signature with SIGN_MODE_UNSPECIFIED: the
        // sign mode is refused.
        let mut raw = TxRaw::decode(draft(vec![blob(10)], 0).as_slice()).unwrap();
        let signed = TxRaw::decode(real(vec![blob(10)]).as_slice()).unwrap();
        raw.signatures = signed.signatures.clone();
        let err = check(&raw.encode_to_vec());
        assert!(
            matches!(err, TxError::Invalid(InvalidTx::SignMode)),
            "{err}"
        );
        // The simulation of either still works: it is only an estimate.
        assert!(simulate(&g, &raw.encode_to_vec()).is_ok());
        // A DIRECT tx with another signature: simulated (no check), refused
        // by CheckTx for its signature.
        let mut forged = signed.clone();
        forged.signatures = TxRaw::decode(real(vec![blob(11)]).as_slice())
            .unwrap()
            .signatures;
        let forged = forged.encode_to_vec();
        assert!(simulate(&g, &forged).is_ok());
        assert!(
            matches!(check(&forged), TxError::BadSignature { .. }),
            "{}",
            check(&forged)
        );
    }
}
