//! The descriptors gRPC reflection serves for the Cosmos services
//! (`quire_proto::COSMOS_FILE_DESCRIPTOR_SET`, from `proto/described/`)
//! describe exactly the methods quired answers, and their messages encode
//! as the prost types quired decodes and answers with.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use cosmrs::proto::cosmos;
use prost::Message;
use prost_types::field_descriptor_proto::{Label, Type};
use prost_types::{DescriptorProto, FileDescriptorSet};
use std::collections::{BTreeMap, BTreeSet};

fn descriptors() -> FileDescriptorSet {
    FileDescriptorSet::decode(quire_proto::COSMOS_FILE_DESCRIPTOR_SET)
        .expect("the Cosmos descriptor set decodes")
}

/// Every message of the set by full name (`.pkg.Outer.Inner`).
fn messages(set: &FileDescriptorSet) -> BTreeMap<String, DescriptorProto> {
    fn add(prefix: &str, message: &DescriptorProto, out: &mut BTreeMap<String, DescriptorProto>) {
        let name = format!("{prefix}.{}", message.name());
        for nested in &message.nested_type {
            add(&name, nested, out);
        }
        out.insert(name, message.clone());
    }
    let mut out = BTreeMap::new();
    for file in &set.file {
        for message in &file.message_type {
            add(&format!(".{}", file.package()), message, &mut out);
        }
    }
    out
}

#[test]
fn reflection_describes_exactly_the_served_methods() {
    let set = descriptors();
    let messages = messages(&set);
    let mut described = BTreeSet::new();
    for file in &set.file {
        for service in &file.service {
            for method in &service.method {
                described.insert(format!(
                    "/{}.{}/{}",
                    file.package(),
                    service.name(),
                    method.name()
                ));
                for type_name in [method.input_type(), method.output_type()] {
                    assert!(
                        messages.contains_key(type_name),
                        "{}: {type_name} is not declared",
                        method.name()
                    );
                }
            }
        }
    }
    let served: BTreeSet<String> = quired::cosmos::methods().map(str::to_string).collect();
    assert_eq!(
        described, served,
        "proto/described/ must declare what quired serves: run python3 proto/describe_cosmos.py"
    );
}

/// Walks `bytes` as the message `name` of the set: every field on the wire
/// must be declared with a wire type that matches, nested messages are
/// walked too. Returns how many fields were seen.
fn walk(messages: &BTreeMap<String, DescriptorProto>, name: &str, mut bytes: &[u8]) -> usize {
    let message = messages
        .get(name)
        .unwrap_or_else(|| panic!("{name} is not declared"));
    let mut seen = 0;
    while !bytes.is_empty() {
        let key = prost::encoding::decode_varint(&mut bytes).expect("a field key");
        let (number, wire) = ((key >> 3) as i32, key & 7);
        let field = message
            .field
            .iter()
            .find(|f| f.number() == number)
            .unwrap_or_else(|| panic!("{name}: field {number} is on the wire but not declared"));
        let packed = field.label() == Label::Repeated && wire == 2;
        let expected = match field.r#type() {
            Type::Double | Type::Fixed64 | Type::Sfixed64 => 1,
            Type::Float | Type::Fixed32 | Type::Sfixed32 => 5,
            Type::String | Type::Bytes | Type::Message => 2,
            _ if packed => 2,
            _ => 0,
        };
        assert_eq!(wire, expected, "{name}.{}: wire type", field.name());
        match wire {
            0 => {
                prost::encoding::decode_varint(&mut bytes).expect("a varint");
            }
            1 => bytes = &bytes[8..],
            5 => bytes = &bytes[4..],
            _ => {
                let len = prost::encoding::decode_varint(&mut bytes).expect("a length") as usize;
                let (value, rest) = bytes.split_at(len);
                if field.r#type() == Type::Message {
                    seen += walk(messages, field.type_name(), value);
                }
                bytes = rest;
            }
        }
        seen += 1;
    }
    seen
}

fn coin() -> cosmos::base::v1beta1::Coin {
    cosmos::base::v1beta1::Coin {
        denom: "uquire".into(),
        amount: "5".into(),
    }
}

fn any() -> cosmrs::proto::Any {
    cosmrs::proto::Any {
        type_url: "/cosmos.crypto.secp256k1.PubKey".into(),
        value: vec![10, 1, 2],
    }
}

fn timestamp() -> Option<cosmrs::proto::Timestamp> {
    Some(cosmrs::proto::Timestamp {
        seconds: 1_700_000_000,
        nanos: 5,
    })
}

#[test]
#[allow(deprecated)] // Fee's tip and SimulateRequest's tx are fields still.
fn declared_fields_match_what_prost_encodes() {
    use cosmos::base::abci::v1beta1 as abci;
    use cosmos::staking::v1beta1 as staking;
    use cosmos::tx::v1beta1 as tx;
    let messages = messages(&descriptors());
    let single = tx::mode_info::Single { mode: 1 };
    let signed_tx = tx::Tx {
        body: Some(tx::TxBody {
            messages: vec![any()],
            memo: "m".into(),
            timeout_height: 9,
            extension_options: vec![any()],
            non_critical_extension_options: vec![any()],
        }),
        auth_info: Some(tx::AuthInfo {
            signer_infos: vec![tx::SignerInfo {
                public_key: Some(any()),
                mode_info: Some(tx::ModeInfo {
                    sum: Some(tx::mode_info::Sum::Single(single)),
                }),
                sequence: 3,
            }],
            fee: Some(tx::Fee {
                amount: vec![coin()],
                gas_limit: 200_000,
                payer: "p".into(),
                granter: "g".into(),
            }),
            tip: None,
        }),
        signatures: vec![vec![7; 64]],
    };
    let cases: Vec<(&str, Vec<u8>)> = vec![
        (
            ".cosmos.tx.v1beta1.GetTxResponse",
            tx::GetTxResponse {
                tx: Some(signed_tx.clone()),
                tx_response: Some(abci::TxResponse {
                    height: 4,
                    txhash: "AB".into(),
                    codespace: "sdk".into(),
                    code: 5,
                    data: "00".into(),
                    raw_log: "log".into(),
                    logs: vec![abci::AbciMessageLog {
                        msg_index: 1,
                        log: "l".into(),
                        events: vec![abci::StringEvent {
                            r#type: "message".into(),
                            attributes: vec![abci::Attribute {
                                key: "k".into(),
                                value: "v".into(),
                            }],
                        }],
                    }],
                    info: "i".into(),
                    gas_wanted: 10,
                    gas_used: 9,
                    tx: Some(any()),
                    timestamp: "t".into(),
                    events: vec![tendermint_proto::abci::Event {
                        r#type: "tx".into(),
                        attributes: vec![tendermint_proto::abci::EventAttribute {
                            key: "fee".into(),
                            value: "1uquire".into(),
                            index: true,
                        }],
                    }],
                }),
            }
            .encode_to_vec(),
        ),
        (
            ".cosmos.staking.v1beta1.QueryValidatorResponse",
            staking::QueryValidatorResponse {
                validator: Some(staking::Validator {
                    operator_address: "quirevaloper1".into(),
                    consensus_pubkey: Some(any()),
                    jailed: true,
                    status: 3,
                    tokens: "10".into(),
                    delegator_shares: "10".into(),
                    description: Some(staking::Description {
                        moniker: "m".into(),
                        identity: "i".into(),
                        website: "w".into(),
                        security_contact: "s".into(),
                        details: "d".into(),
                    }),
                    unbonding_height: 2,
                    unbonding_time: timestamp(),
                    commission: Some(staking::Commission {
                        commission_rates: Some(staking::CommissionRates {
                            rate: "1".into(),
                            max_rate: "2".into(),
                            max_change_rate: "3".into(),
                        }),
                        update_time: timestamp(),
                    }),
                    min_self_delegation: "1".into(),
                    unbonding_on_hold_ref_count: 1,
                    unbonding_ids: vec![1, 2],
                }),
            }
            .encode_to_vec(),
        ),
        (
            ".cosmos.slashing.v1beta1.QuerySigningInfoResponse",
            cosmos::slashing::v1beta1::QuerySigningInfoResponse {
                val_signing_info: Some(cosmos::slashing::v1beta1::ValidatorSigningInfo {
                    address: "quirevalcons1".into(),
                    start_height: 1,
                    index_offset: 2,
                    jailed_until: timestamp(),
                    tombstoned: true,
                    missed_blocks_counter: 3,
                }),
            }
            .encode_to_vec(),
        ),
        (
            ".cosmos.tx.v1beta1.SimulateRequest",
            tx::SimulateRequest {
                tx: Some(signed_tx.clone()),
                tx_bytes: signed_tx.encode_to_vec(),
            }
            .encode_to_vec(),
        ),
        (
            ".cosmos.bank.v1beta1.QueryAllBalancesResponse",
            cosmos::bank::v1beta1::QueryAllBalancesResponse {
                balances: vec![coin(), coin()],
                pagination: Some(cosmos::base::query::v1beta1::PageResponse {
                    next_key: vec![1],
                    total: 2,
                }),
            }
            .encode_to_vec(),
        ),
    ];
    for (name, bytes) in cases {
        let seen = walk(&messages, name, &bytes);
        assert!(seen > 5, "{name}: only {seen} fields walked");
    }
}

#[test]
fn the_walk_catches_an_undeclared_field() {
    let messages = messages(&descriptors());
    // Field 9 of QueryBalanceRequest is not declared.
    let bytes = [0x48, 0x01];
    let caught = std::panic::catch_unwind(|| {
        walk(
            &messages,
            ".cosmos.bank.v1beta1.QueryBalanceRequest",
            &bytes,
        )
    });
    assert!(caught.is_err());
}

#[test]
fn the_declarations_are_current() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let output = std::process::Command::new("python3")
        .arg("proto/describe_cosmos.py")
        .arg("--check")
        .current_dir(&root)
        .output()
        .expect("python3 runs");
    assert!(
        output.status.success(),
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}
