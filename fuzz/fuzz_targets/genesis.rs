//! Any bytes as a genesis file: `GenesisDoc::from_json` (with its error
//! locator), `GenesisDoc::validate`, the app's `GenesisState` and `Params`
//! parsing and validation, and the verifying client's genesis reader must
//! never panic.
//!
//! Invariants checked on top: a document that validates initialises the app
//! (`StateMachine::genesis` succeeds, deterministically) and survives a JSON
//! round trip; an app state that validates initialises.
#![no_main]

use libfuzzer_sys::fuzz_target;
use quire_app::{GenesisState, StateMachine};
use quire_core::Params;
use quire_genesis::GenesisDoc;
use std::sync::OnceLock;

static MACHINE: OnceLock<StateMachine> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let machine = MACHINE.get_or_init(quire_fuzz::machine);
    if let Ok(doc) = GenesisDoc::from_json(data, "fuzz/genesis.json") {
        if doc.validate().is_ok() {
            let output = match machine.genesis(&doc.chain_id, doc.initial_height, &doc.app_state) {
                Ok(output) => output,
                Err(e) => panic!("a validated genesis does not initialise the app: {e}"),
            };
            let again = machine
                .genesis(&doc.chain_id, doc.initial_height, &doc.app_state)
                .expect("genesis initialised once");
            assert_eq!(
                (&again.changes, &again.tree, &again.app_hash),
                (&output.changes, &output.tree, &output.app_hash),
                "genesis is not deterministic"
            );
            let json = serde_json::to_vec(&doc).expect("a parsed document encodes");
            let back = GenesisDoc::from_json(&json, "round-trip.json").expect("round trip parses");
            assert_eq!(back, doc, "genesis JSON round trip");
            back.validate().expect("round trip validates");
        }
    }
    if let Ok(state) = serde_json::from_slice::<GenesisState>(data) {
        if let Ok(accounts) = state.validate() {
            assert_eq!(accounts.len(), state.accounts.len());
            if let Err(e) = machine.genesis(quire_fuzz::CHAIN, 1, &state) {
                panic!("a validated app state does not initialise: {e}");
            }
        }
    }
    if let Ok(params) = serde_json::from_slice::<Params>(data) {
        if params.validate().is_ok() {
            // Every size a tx can have has a fee (or a reported overflow).
            let _ = params.fee_for(params.max_block_blob_bytes);
        }
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = quire_client::verify::Verifier::from_genesis_json(text);
    }
});
