//! Tests of the genesis document: layout, round trips, CometBFT compatibility
//! and every rejection.

use crate::*;
use quire_app::{GenesisAccount, GenesisState};
use quire_core::Params;
use serde_json::{json, Value};

const KEY_A: &str = "cSCNOue0A+AHPCHOmyh3eDza/HCHPdd1Bxdjfqs6nB4=";
const ADDRESS_A: &str = "0E652F1C85348C542D94B518B360DF75B27AB41B";

fn account(seed: u8) -> String {
    quire_core::Address::new([seed; 20]).to_bech32()
}

fn sample() -> GenesisDoc {
    let key_a = parse_ed25519_pubkey(KEY_A).unwrap();
    let operator = |seed: u8| quire_core::Address::new([seed; 20]);
    let mut app_state = GenesisState {
        staking: Default::default(),
        l1: None,
        encryption: None,
        params: Params::default(),
        accounts: vec![
            GenesisAccount {
                address: account(1),
                balance: 1_000_000_000_000_000,
            },
            GenesisAccount {
                address: account(2),
                balance: 7,
            },
            GenesisAccount {
                address: account(3),
                balance: 5_000_000,
            },
        ],
    };
    app_state.staking.validators = vec![
        quire_app::staking::GenesisBond::new(&operator(1), &key_a, "node0", 10_000_000),
        quire_app::staking::GenesisBond::new(&operator(3), &[9; 32], "node1", 5_000_000),
    ];
    GenesisDoc::new("quire-test-1", "2025-01-02T03:04:05.123456789Z", app_state)
}

fn to_value(doc: &GenesisDoc) -> Value {
    serde_json::to_value(doc).unwrap()
}

/// Parses `value` as a genesis document and validates it.
fn check(value: &Value) -> Result<GenesisDoc, GenesisFileError> {
    let doc = GenesisDoc::from_json(&serde_json::to_vec(value).unwrap(), "test.json")?;
    doc.validate().map_err(|source| GenesisFileError::Invalid {
        path: "test.json".into(),
        source,
    })?;
    Ok(doc)
}

fn rejected_field(value: &Value) -> String {
    match check(value) {
        Ok(_) => panic!("accepted an invalid document: {value:#}"),
        Err(e) => {
            assert!(
                e.to_string().contains("test.json"),
                "error does not name the file: {e}"
            );
            e.field()
                .unwrap_or_else(|| panic!("error names no field: {e}"))
                .to_string()
        }
    }
}

#[test]
fn sample_is_valid_and_has_cometbft_layout() {
    let doc = sample();
    doc.validate().unwrap();
    let value = to_value(&doc);
    assert_eq!(value["initial_height"], "1");
    assert_eq!(value["app_hash"], "");
    assert_eq!(
        value["consensus_params"],
        json!({
            "block": {"max_bytes": "22020096", "max_gas": "-1"},
            "evidence": {"max_age_num_blocks": "100000", "max_age_duration": "172800000000000", "max_bytes": "1048576"},
            "validator": {"pub_key_types": ["ed25519"]},
            "version": {"app": "0"},
            "abci": {"vote_extensions_enable_height": "1"}
        })
    );
    assert_eq!(
        value["validators"][0],
        json!({
            "address": ADDRESS_A,
            "pub_key": {"type": "tendermint/PubKeyEd25519", "value": KEY_A},
            "power": "10",
            "name": "node0"
        })
    );
    assert_eq!(
        value["app_state"]["accounts"][0]["balance"],
        "1000000000000000"
    );
}

#[test]
fn address_matches_cometbft() {
    // Key and address as `cometbft init` v0.38 generated them.
    let key = parse_ed25519_pubkey(KEY_A).unwrap();
    assert_eq!(validator_address(&key), ADDRESS_A);
    let id = tendermint::account::Id::from(tendermint::PublicKey::from_raw_ed25519(&key).unwrap());
    assert_eq!(id.to_string(), ADDRESS_A);
}

#[test]
fn saved_doc_loads_back_equal() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("genesis.json");
    let doc = sample();
    doc.save(&path).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(
        text.contains("\n  \"chain_id\": \"quire-test-1\""),
        "not pretty JSON: {text}"
    );
    assert_eq!(GenesisDoc::load(&path).unwrap(), doc);
    assert!(!dir.path().join("genesis.json.tmp").exists());
}

#[test]
fn save_refuses_an_invalid_doc() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("genesis.json");
    let mut doc = sample();
    doc.validators.clear();
    let err = doc.save(&path).unwrap_err();
    assert_eq!(err.field(), Some("validators"));
    assert!(!path.exists());
}

#[test]
fn tendermint_rs_parses_it_as_a_cometbft_genesis() {
    let doc = sample();
    let json = serde_json::to_string_pretty(&doc).unwrap();
    let parsed: tendermint::Genesis<Value> = serde_json::from_str(&json).unwrap();
    assert_eq!(parsed.chain_id.as_str(), "quire-test-1");
    assert_eq!(parsed.initial_height, 1);
    assert_eq!(parsed.genesis_time.to_rfc3339(), doc.genesis_time);
    assert_eq!(parsed.consensus_params.block.max_bytes, 22_020_096);
    assert_eq!(parsed.consensus_params.block.max_gas, -1);
    assert_eq!(parsed.consensus_params.evidence.max_age_num_blocks, 100_000);
    assert_eq!(
        parsed
            .consensus_params
            .evidence
            .max_age_duration
            .0
            .as_nanos(),
        172_800_000_000_000
    );
    assert_eq!(
        parsed.consensus_params.validator.pub_key_types,
        vec![tendermint::public_key::Algorithm::Ed25519]
    );
    assert_eq!(parsed.validators.len(), 2);
    assert_eq!(parsed.validators[0].address.to_string(), ADDRESS_A);
    assert_eq!(parsed.validators[0].power(), 10);
    assert_eq!(parsed.validators[0].name.as_deref(), Some("node0"));
    assert_eq!(parsed.validators[1].pub_key.to_bytes(), vec![9; 32]);
    assert!(parsed.app_hash.as_bytes().is_empty());
    let app_state: GenesisState = serde_json::from_value(parsed.app_state).unwrap();
    assert_eq!(app_state, doc.app_state);
}

#[test]
fn reads_what_cometbft_init_writes() {
    // `cometbft init` (v0.38.26) output, plus an app_state.
    let text = r#"{
  "genesis_time": "2026-11-25T19:59:50.418647449Z",
  "chain_id": "test-chain-1ncdsf",
  "initial_height": "0",
  "consensus_params": {
    "block": {"max_bytes": "22020096", "max_gas": "-1"},
    "evidence": {"max_age_num_blocks": "100000", "max_age_duration": "172800000000000", "max_bytes": "1048576"},
    "validator": {"pub_key_types": ["ed25519"]},
    "version": {"app": "0"},
    "abci": {"vote_extensions_enable_height": "0"}
  },
  "validators": [
    {
      "address": "0E652F1C85348C542D94B518B360DF75B27AB41B",
      "pub_key": {"type": "tendermint/PubKeyEd25519", "value": "cSCNOue0A+AHPCHOmyh3eDza/HCHPdd1Bxdjfqs6nB4="},
      "power": "10",
      "name": ""
    }
  ],
  "app_hash": "",
  "app_state": {"params": {"fee_denom": "uquire", "base_fee": "1000", "fee_per_blob_byte": "1",
    "max_blob_bytes": 2097152, "max_block_blob_bytes": 16777216, "max_tx_bytes": 2621440},
    "accounts": [{"address": "OPERATOR", "balance": "10000000"}],
    "staking": {"validators": [{"operator": "OPERATOR", "moniker": "node0", "self_bond": "10000000",
      "consensus_pubkey": "cSCNOue0A+AHPCHOmyh3eDza/HCHPdd1Bxdjfqs6nB4="}]}}
}"#
    .replace("OPERATOR", &account(1));
    let mut doc = GenesisDoc::from_json(text.as_bytes(), "cometbft.json").unwrap();
    assert_eq!(doc.validators[0].power, 10);
    assert_eq!(doc.consensus_params, ConsensusParams::default());
    // CometBFT treats height 0 as 1; Quire insists on writing 1.
    assert_eq!(doc.validate().unwrap_err().field, "initial_height");
    doc.initial_height = 1;
    doc.validate().unwrap();
}

#[test]
fn version_and_abci_params_may_be_omitted() {
    let mut value = to_value(&sample());
    let params = value["consensus_params"].as_object_mut().unwrap();
    params.remove("version");
    params.remove("abci");
    let doc = check(&value).unwrap();
    assert_eq!(doc.consensus_params.abci.vote_extensions_enable_height, 0);
}

/// A change to a valid document.
type Edit = Box<dyn FnOnce(&mut Value)>;

/// Applies `edit` to a valid document and returns the field the result is rejected for.
fn reject(edit: impl FnOnce(&mut Value)) -> String {
    let mut value = to_value(&sample());
    edit(&mut value);
    rejected_field(&value)
}

#[test]
fn each_invalid_value_is_rejected_naming_its_field() {
    let cases: Vec<(&str, Edit)> = vec![
        (
            "chain_id",
            Box::new(|v| v["chain_id"] = json!("bad chain id")),
        ),
        ("chain_id", Box::new(|v| v["chain_id"] = json!(""))),
        (
            "genesis_time",
            Box::new(|v| v["genesis_time"] = json!("yesterday")),
        ),
        (
            "initial_height",
            Box::new(|v| v["initial_height"] = json!("0")),
        ),
        ("app_hash", Box::new(|v| v["app_hash"] = json!("AB"))),
        ("validators", Box::new(|v| v["validators"] = json!([]))),
        (
            "validators[1].power",
            Box::new(|v| v["validators"][1]["power"] = json!("0")),
        ),
        // Above CometBFT's total power limit alone, and at it plus another validator.
        (
            "validators[0].power",
            Box::new(|v| v["validators"][0]["power"] = json!("1152921504606846976")),
        ),
        (
            "validators[1].power",
            Box::new(|v| v["validators"][0]["power"] = json!("1152921504606846975")),
        ),
        (
            "validators[0].pub_key.value",
            Box::new(|v| v["validators"][0]["pub_key"]["value"] = json!("%%%")),
        ),
        (
            "validators[0].pub_key.value",
            Box::new(|v| v["validators"][0]["pub_key"]["value"] = json!("AAAA")),
        ),
        (
            "validators[0].pub_key.type",
            Box::new(|v| {
                v["validators"][0]["pub_key"]["type"] = json!("tendermint/PubKeySecp256k1")
            }),
        ),
        (
            "validators[1].address",
            Box::new(|v| v["validators"][1]["address"] = json!(ADDRESS_A)),
        ),
        (
            "validators[1].pub_key.value",
            Box::new(|v| {
                v["validators"][1] = v["validators"][0].clone();
            }),
        ),
        (
            "consensus_params.block.max_bytes",
            Box::new(|v| v["consensus_params"]["block"]["max_bytes"] = json!("0")),
        ),
        (
            "consensus_params.block.max_bytes",
            Box::new(|v| v["consensus_params"]["block"]["max_bytes"] = json!("-1")),
        ),
        (
            "consensus_params.block.max_bytes",
            Box::new(|v| v["consensus_params"]["block"]["max_bytes"] = json!("104857601")),
        ),
        // Smaller than the app's max_tx_bytes (2621440).
        (
            "consensus_params.block.max_bytes",
            Box::new(|v| v["consensus_params"]["block"]["max_bytes"] = json!("2621439")),
        ),
        (
            "consensus_params.block.max_gas",
            Box::new(|v| v["consensus_params"]["block"]["max_gas"] = json!("-2")),
        ),
        (
            "consensus_params.evidence.max_age_num_blocks",
            Box::new(|v| v["consensus_params"]["evidence"]["max_age_num_blocks"] = json!("0")),
        ),
        (
            "consensus_params.evidence.max_age_duration",
            Box::new(|v| v["consensus_params"]["evidence"]["max_age_duration"] = json!("0")),
        ),
        (
            "consensus_params.evidence.max_bytes",
            Box::new(|v| v["consensus_params"]["evidence"]["max_bytes"] = json!("22020097")),
        ),
        (
            "consensus_params.validator.pub_key_types",
            Box::new(|v| v["consensus_params"]["validator"]["pub_key_types"] = json!([])),
        ),
        (
            "consensus_params.validator.pub_key_types",
            Box::new(|v| v["consensus_params"]["validator"]["pub_key_types"] = json!(["rsa"])),
        ),
        (
            "consensus_params.abci.vote_extensions_enable_height",
            Box::new(|v| {
                v["consensus_params"]["abci"]["vote_extensions_enable_height"] = json!("-1")
            }),
        ),
        (
            "app_state.params.max_blob_bytes",
            Box::new(|v| v["app_state"]["params"]["max_blob_bytes"] = json!(0)),
        ),
        (
            "app_state.params.fee_denom",
            Box::new(|v| v["app_state"]["params"]["fee_denom"] = json!("$")),
        ),
        (
            "app_state.accounts[1]",
            Box::new(|v| v["app_state"]["accounts"][1]["address"] = json!("cosmos1xyz")),
        ),
        (
            "app_state.accounts[1]",
            Box::new(|v| {
                v["app_state"]["accounts"][1]["address"] =
                    v["app_state"]["accounts"][0]["address"].clone()
            }),
        ),
        (
            "app_state.accounts",
            Box::new(|v| {
                v["app_state"]["accounts"][0]["balance"] = json!(u128::MAX.to_string());
            }),
        ),
    ];
    for (expected, edit) in cases {
        assert_eq!(reject(edit), expected);
    }
}

#[test]
fn shape_errors_name_the_field_and_line() {
    let cases: Vec<(&str, Edit)> = vec![
        (
            "consensus_params.block.max_bytes",
            Box::new(|v| v["consensus_params"]["block"]["max_bytes"] = json!(22020096)),
        ),
        (
            "consensus_params.block.max_bytes",
            Box::new(|v| v["consensus_params"]["block"]["max_bytes"] = json!("21MiB")),
        ),
        (
            "validators[1].power",
            Box::new(|v| v["validators"][1]["power"] = json!("-5")),
        ),
        (
            "initial_height",
            Box::new(|v| v["initial_height"] = json!(1)),
        ),
        (
            "app_state.accounts[1].balance",
            Box::new(|v| v["app_state"]["accounts"][1]["balance"] = json!(7)),
        ),
        (
            "app_state.params.max_tx_bytes",
            Box::new(|v| v["app_state"]["params"]["max_tx_bytes"] = json!("2621440")),
        ),
        (
            "consensus_params.evidence",
            Box::new(|v| v["consensus_params"]["evidence"] = json!([])),
        ),
        (
            "chain_id",
            Box::new(|v| drop(v.as_object_mut().unwrap().remove("chain_id"))),
        ),
        (
            "validators[0].pub_key.type",
            Box::new(|v| {
                drop(
                    v["validators"][0]["pub_key"]
                        .as_object_mut()
                        .unwrap()
                        .remove("type"),
                )
            }),
        ),
        (
            "consensus_params.block.max_byte",
            Box::new(|v| v["consensus_params"]["block"]["max_byte"] = json!("1")),
        ),
        (
            "app_state.extra",
            Box::new(|v| v["app_state"]["extra"] = json!(1)),
        ),
    ];
    for (expected, edit) in cases {
        let mut value = to_value(&sample());
        edit(&mut value);
        let text = serde_json::to_string_pretty(&value).unwrap();
        match GenesisDoc::from_json(text.as_bytes(), "g.json") {
            Err(GenesisFileError::Field {
                path, field, line, ..
            }) => {
                assert_eq!(field, expected);
                assert_eq!(path, std::path::Path::new("g.json"));
                assert!(line > 1, "{expected}: line {line}");
            }
            other => panic!("{expected}: unexpected {other:?}"),
        }
    }
}

/// Every path to a value inside `value`, as a list of keys/indices.
fn paths(value: &Value, prefix: Vec<Value>, out: &mut Vec<Vec<Value>>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                let mut path = prefix.clone();
                path.push(json!(key));
                out.push(path.clone());
                paths(child, path, out);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                let mut path = prefix.clone();
                path.push(json!(i));
                out.push(path.clone());
                paths(child, path, out);
            }
        }
        _ => {}
    }
}

fn render(path: &[Value]) -> String {
    let mut text = String::new();
    for part in path {
        match part {
            Value::String(key) if text.is_empty() => text.push_str(key),
            Value::String(key) => text.push_str(&format!(".{key}")),
            other => text.push_str(&format!("[{other}]")),
        }
    }
    text
}

fn get_mut<'a>(value: &'a mut Value, path: &[Value]) -> &'a mut Value {
    path.iter().fold(value, |v, part| match part {
        Value::String(key) => &mut v[key.as_str()],
        other => &mut v[other.as_u64().unwrap() as usize],
    })
}

/// The shape description used for error locations must agree with the serde
/// types: a wrong type anywhere is located exactly there.
#[test]
fn every_field_with_a_wrong_type_is_located() {
    let valid = to_value(&sample());
    let mut all = Vec::new();
    paths(&valid, Vec::new(), &mut all);
    assert!(all.len() > 40, "{}", all.len());
    for path in all {
        let mut value = valid.clone();
        *get_mut(&mut value, &path) = json!(true);
        let text = serde_json::to_vec(&value).unwrap();
        match GenesisDoc::from_json(&text, "g.json") {
            Err(GenesisFileError::Field { field, .. }) => assert_eq!(field, render(&path)),
            other => panic!("{}: unexpected {other:?}", render(&path)),
        }
    }
}

#[test]
fn syntax_errors_report_line_and_column() {
    let text = "{\n  \"chain_id\": \"x\",\n  oops\n}";
    match GenesisDoc::from_json(text.as_bytes(), "g.json") {
        Err(e @ GenesisFileError::Syntax { line: 3, .. }) => {
            let message = e.to_string();
            assert!(
                message.contains("g.json") && message.contains("line 3"),
                "{message}"
            );
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn truncated_json_is_a_syntax_error_even_with_unknown_fields() {
    // serde's typed pass meets the unknown field first; the truncation is what matters.
    match GenesisDoc::from_json(b"{\"a\":", "g.json") {
        Err(GenesisFileError::Syntax { message, .. }) => {
            assert!(message.contains("EOF"), "{message}")
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn load_names_the_file_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("genesis.json");
    let mut value = to_value(&sample());
    value["validators"][0]["power"] = json!("0");
    std::fs::write(&path, serde_json::to_vec_pretty(&value).unwrap()).unwrap();
    let err = GenesisDoc::load(&path).unwrap_err();
    let message = err.to_string();
    assert!(matches!(err, GenesisFileError::Invalid { .. }));
    assert!(message.contains(&path.display().to_string()), "{message}");
    assert!(
        message.contains("validators[0].power: must be greater than 0"),
        "{message}"
    );
}

#[test]
fn load_refuses_missing_and_oversized_files() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("absent.json");
    let err = GenesisDoc::load(&missing).unwrap_err();
    assert!(matches!(err, GenesisFileError::Read { .. }));
    assert!(err.to_string().contains("absent.json"), "{err}");

    let big = dir.path().join("big.json");
    let file = std::fs::File::create(&big).unwrap();
    file.set_len(MAX_GENESIS_FILE_BYTES + 1).unwrap(); // sparse: no real 64 MiB write
    let err = GenesisDoc::load(&big).unwrap_err();
    assert!(matches!(err, GenesisFileError::TooLarge { .. }), "{err}");
    assert!(err.to_string().contains("big.json"), "{err}");
}

#[test]
fn keys_are_checked() {
    assert_eq!(parse_ed25519_pubkey("AAAA"), Err(KeyError::Length(3)));
    assert!(matches!(
        parse_ed25519_pubkey("not base64!"),
        Err(KeyError::Base64(_))
    ));
    assert_eq!(
        parse_ed25519_pubkey(&format!(" {KEY_A}\n")).map(|k| validator_address(&k)),
        Ok(ADDRESS_A.to_string())
    );
}

#[test]
fn vote_extensions_start_at_the_first_height_or_are_off() {
    let mut doc = sample();
    assert_eq!(doc.consensus_params.abci.vote_extensions_enable_height, 1);
    doc.initial_height = 5;
    let err = doc.validate().unwrap_err();
    assert_eq!(
        err.field,
        "consensus_params.abci.vote_extensions_enable_height"
    );
    doc.consensus_params.abci.vote_extensions_enable_height = 0;
    doc.validate().unwrap();
    doc.consensus_params.abci.vote_extensions_enable_height = 7;
    doc.validate().unwrap();
}
