//! The gateway's proto3 JSON for the CometBFT-backed answers (txs, blocks,
//! validators, node info): proto field names, every field present, 64-bit
//! integers as strings, bytes as base64, enums by name, timestamps in RFC
//! 3339, `Any` with `@type` and its message's fields.
//!
//! A message inside a tx is rendered by its type: every message Quire
//! accepts is known here. Anything else (which no committed Cosmos tx of
//! Quire's can hold) is rendered as `{"@type": …, "value": base64}`.

use base64::Engine;
use cosmrs::proto::cosmos::bank::v1beta1 as bank;
use cosmrs::proto::cosmos::base::abci::v1beta1::TxResponse;
use cosmrs::proto::cosmos::base::tendermint::v1beta1 as tm;
use cosmrs::proto::cosmos::base::v1beta1::Coin;
use cosmrs::proto::cosmos::crypto::{ed25519, secp256k1};
use cosmrs::proto::cosmos::slashing::v1beta1 as slashing;
use cosmrs::proto::cosmos::staking::v1beta1 as staking;
use cosmrs::proto::cosmos::tx::signing::v1beta1::SignMode;
use cosmrs::proto::cosmos::tx::v1beta1 as tx;
use cosmrs::Any;
use prost::Message;
use quire_proto::blob::v1 as blob;
use quire_proto::l1::v1 as l1;
use serde_json::{json, Map, Value};
use tendermint_proto::google::protobuf::Timestamp;
use tendermint_proto::types as cmt;

/// Bytes as base64.
pub fn bytes(value: &[u8]) -> Value {
    Value::String(base64::engine::general_purpose::STANDARD.encode(value))
}

/// A 64-bit integer as a string.
fn int(value: impl ToString) -> Value {
    Value::String(value.to_string())
}

/// A coin.
fn coin(c: &Coin) -> Value {
    json!({ "denom": c.denom, "amount": c.amount })
}

fn maybe_coin(c: Option<&Coin>) -> Value {
    c.map_or(Value::Null, coin)
}

fn coins(list: &[Coin]) -> Value {
    Value::Array(list.iter().map(coin).collect())
}

/// A `LegacyDec` as the gateway writes it: the SDK carries one on the wire
/// as its 18-decimal integer (`"100000000000000000"`), its JSON shows the
/// decimal (`"0.100000000000000000"`). Text that is not such an integer is
/// shown as it is.
pub fn dec(atoms: &str) -> Value {
    if atoms.is_empty() || !atoms.bytes().all(|b| b.is_ascii_digit()) {
        return Value::String(atoms.to_string());
    }
    let digits = atoms.trim_start_matches('0');
    let padded = format!("{digits:0>19}");
    let (int, frac) = padded.split_at(padded.len() - 18);
    Value::String(format!("{int}.{frac}"))
}

/// A `LegacyDec` carried as bytes (its integer's ASCII digits), as [`dec`].
pub fn dec_bytes(atoms: &[u8]) -> Value {
    dec(&String::from_utf8_lossy(atoms))
}

/// A protobuf `Duration` in proto3 JSON: seconds with an `s`.
pub fn duration(d: Option<&tendermint_proto::google::protobuf::Duration>) -> Value {
    d.map_or(Value::Null, |d| match d.nanos {
        0 => Value::String(format!("{}s", d.seconds)),
        n => Value::String(format!("{}.{:09}s", d.seconds, n.unsigned_abs())),
    })
}

/// A timestamp as protojson writes it: RFC 3339 in UTC with 0, 3, 6 or 9
/// fractional digits.
pub fn timestamp(t: Option<&Timestamp>) -> Value {
    let Some(t) = t else { return Value::Null };
    let Ok(nanos) = u32::try_from(t.nanos) else {
        return Value::Null;
    };
    let Ok(time) = tendermint::Time::from_unix_timestamp(t.seconds, nanos) else {
        return Value::Null;
    };
    let text = time.to_rfc3339();
    let whole = text
        .find('.')
        .map_or(text.trim_end_matches('Z').to_string(), |dot| {
            text[..dot].to_string()
        });
    let fraction = if nanos == 0 {
        String::new()
    } else if nanos % 1_000_000 == 0 {
        format!(".{:03}", nanos / 1_000_000)
    } else if nanos % 1_000 == 0 {
        format!(".{:06}", nanos / 1_000)
    } else {
        format!(".{nanos:09}")
    };
    Value::String(format!("{whole}{fraction}Z"))
}

/// A `TxResponse`, with its tx (already rendered) when it is a Cosmos tx.
pub fn tx_response(r: &TxResponse, tx: Option<&tx::Tx>) -> Value {
    let tx = tx.map_or(Value::Null, |t| {
        let mut rendered = tx_body(t);
        if let Value::Object(map) = &mut rendered {
            map.insert(
                "@type".to_string(),
                Value::String(crate::cosmos::chain::TX_TYPE_URL.to_string()),
            );
        }
        rendered
    });
    json!({
        "height": int(r.height),
        "txhash": r.txhash,
        "codespace": r.codespace,
        "code": r.code,
        "data": r.data,
        "raw_log": r.raw_log,
        "logs": [],
        "info": r.info,
        "gas_wanted": int(r.gas_wanted),
        "gas_used": int(r.gas_used),
        "tx": tx,
        "timestamp": r.timestamp,
        "events": events(&r.events),
    })
}

/// ABCI events.
pub fn events(list: &[tendermint_proto::abci::Event]) -> Value {
    Value::Array(
        list.iter()
            .map(|e| {
                json!({
                    "type": e.r#type,
                    "attributes": e.attributes.iter().map(|a| json!({
                        "key": a.key,
                        "value": a.value,
                        "index": a.index,
                    })).collect::<Vec<_>>(),
                })
            })
            .collect(),
    )
}

/// A `Tx` (body, auth info, signatures).
// `tip` is deprecated in SDK 0.50 but still a field of the gateway's JSON.
#[allow(deprecated)]
pub fn tx_body(t: &tx::Tx) -> Value {
    let body = t.body.as_ref().map_or(Value::Null, |b| {
        json!({
            "messages": b.messages.iter().map(any).collect::<Vec<_>>(),
            "memo": b.memo,
            "timeout_height": int(b.timeout_height),
            "extension_options": b.extension_options.iter().map(any).collect::<Vec<_>>(),
            "non_critical_extension_options":
                b.non_critical_extension_options.iter().map(any).collect::<Vec<_>>(),
        })
    });
    let auth_info = t.auth_info.as_ref().map_or(Value::Null, |a| {
        json!({
            "signer_infos": a.signer_infos.iter().map(|s| json!({
                "public_key": s.public_key.as_ref().map_or(Value::Null, any),
                "mode_info": s.mode_info.as_ref().map_or(Value::Null, mode_info),
                "sequence": int(s.sequence),
            })).collect::<Vec<_>>(),
            "fee": a.fee.as_ref().map_or(Value::Null, |f| json!({
                "amount": coins(&f.amount),
                "gas_limit": int(f.gas_limit),
                "payer": f.payer,
                "granter": f.granter,
            })),
            "tip": a.tip.as_ref().map_or(Value::Null, |t| json!({
                "amount": coins(&t.amount),
                "tipper": t.tipper,
            })),
        })
    });
    json!({
        "body": body,
        "auth_info": auth_info,
        "signatures": t.signatures.iter().map(|s| bytes(s)).collect::<Vec<_>>(),
    })
}

fn sign_mode(mode: i32) -> Value {
    SignMode::try_from(mode).map_or(Value::from(mode), |m| Value::from(m.as_str_name()))
}

fn mode_info(m: &tx::ModeInfo) -> Value {
    use tx::mode_info::Sum;
    match &m.sum {
        Some(Sum::Single(single)) => json!({ "single": { "mode": sign_mode(single.mode) } }),
        Some(Sum::Multi(multi)) => json!({
            "multi": {
                "bitarray": multi.bitarray.as_ref().map_or(Value::Null, |b| json!({
                    "extra_bits_stored": b.extra_bits_stored,
                    "elems": bytes(&b.elems),
                })),
                "mode_infos": multi.mode_infos.iter().map(mode_info).collect::<Vec<_>>(),
            }
        }),
        None => Value::Null,
    }
}

/// An `Any` as `{"@type": url, fields…}`.
pub fn any(a: &Any) -> Value {
    let fields = fields_of(a).unwrap_or_else(|| json!({ "value": bytes(&a.value) }));
    let mut map = Map::new();
    map.insert("@type".to_string(), Value::String(a.type_url.clone()));
    if let Value::Object(fields) = fields {
        map.extend(fields);
    }
    Value::Object(map)
}

/// A validator's description in the gateway's JSON (`null` when absent).
pub(super) fn description(d: Option<&staking::Description>) -> Value {
    d.map_or(Value::Null, |d| {
        json!({
            "moniker": d.moniker,
            "identity": d.identity,
            "website": d.website,
            "security_contact": d.security_contact,
            "details": d.details,
        })
    })
}

/// The fields of the message in `a`, when its type is known and it decodes.
// `MsgCreateValidator.delegator_address` is deprecated in SDK 0.50 but still a field.
#[allow(deprecated)]
fn fields_of(a: &Any) -> Option<Value> {
    let v = a.value.as_slice();
    Some(match a.type_url.as_str() {
        "/cosmos.bank.v1beta1.MsgSend" => {
            let m = bank::MsgSend::decode(v).ok()?;
            json!({ "from_address": m.from_address, "to_address": m.to_address, "amount": coins(&m.amount) })
        }
        blob::MSG_SUBMIT_BLOB_TYPE_URL => {
            let m = blob::MsgSubmitBlob::decode(v).ok()?;
            json!({ "signer": m.signer, "namespace": bytes(&m.namespace), "data": bytes(&m.data) })
        }
        blob::MSG_SUBMIT_ENCRYPTED_TYPE_URL => {
            let m = blob::MsgSubmitEncrypted::decode(v).ok()?;
            json!({
                "signer": m.signer,
                "epoch": int(m.epoch),
                "nonce": bytes(&m.nonce),
                "ibe_ciphertext": bytes(&m.ibe_ciphertext),
                "body": bytes(&m.body),
            })
        }
        blob::MSG_SET_DKG_KEY_TYPE_URL => {
            let m = blob::MsgSetDkgKey::decode(v).ok()?;
            json!({ "signer": m.signer, "key": bytes(&m.key), "proof": bytes(&m.proof) })
        }
        blob::CHAIN_ID_EXTENSION_TYPE_URL => {
            let m = blob::ChainIdExtension::decode(v).ok()?;
            json!({ "chain_id": m.chain_id })
        }
        l1::MSG_SET_L1_KEY_TYPE_URL => {
            let m = l1::MsgSetL1Key::decode(v).ok()?;
            json!({ "signer": m.signer, "key": bytes(&m.key), "proof": bytes(&m.proof) })
        }
        "/cosmos.staking.v1beta1.MsgCreateValidator" => {
            let m = staking::MsgCreateValidator::decode(v).ok()?;
            json!({
                "description": description(m.description.as_ref()),
                "commission": m.commission.as_ref().map_or(Value::Null, |c| json!({
                    "rate": c.rate,
                    "max_rate": c.max_rate,
                    "max_change_rate": c.max_change_rate,
                })),
                "min_self_delegation": m.min_self_delegation,
                "delegator_address": m.delegator_address,
                "validator_address": m.validator_address,
                "pubkey": m.pubkey.as_ref().map_or(Value::Null, any),
                "value": maybe_coin(m.value.as_ref()),
            })
        }
        "/cosmos.staking.v1beta1.MsgEditValidator" => {
            let m = staking::MsgEditValidator::decode(v).ok()?;
            json!({
                "description": description(m.description.as_ref()),
                "validator_address": m.validator_address,
                "commission_rate": m.commission_rate,
                "min_self_delegation": m.min_self_delegation,
            })
        }
        // The two share one wire form (delegator 1, validator 2, amount 3).
        "/cosmos.staking.v1beta1.MsgDelegate" | "/cosmos.staking.v1beta1.MsgUndelegate" => {
            let m = staking::MsgDelegate::decode(v).ok()?;
            json!({
                "delegator_address": m.delegator_address,
                "validator_address": m.validator_address,
                "amount": maybe_coin(m.amount.as_ref()),
            })
        }
        "/cosmos.staking.v1beta1.MsgBeginRedelegate" => {
            let m = staking::MsgBeginRedelegate::decode(v).ok()?;
            json!({
                "delegator_address": m.delegator_address,
                "validator_src_address": m.validator_src_address,
                "validator_dst_address": m.validator_dst_address,
                "amount": maybe_coin(m.amount.as_ref()),
            })
        }
        "/cosmos.staking.v1beta1.MsgCancelUnbondingDelegation" => {
            let m = staking::MsgCancelUnbondingDelegation::decode(v).ok()?;
            json!({
                "delegator_address": m.delegator_address,
                "validator_address": m.validator_address,
                "amount": maybe_coin(m.amount.as_ref()),
                "creation_height": int(m.creation_height),
            })
        }
        "/cosmos.slashing.v1beta1.MsgUnjail" => {
            let m = slashing::MsgUnjail::decode(v).ok()?;
            json!({ "validator_addr": m.validator_addr })
        }
        "/cosmos.crypto.secp256k1.PubKey" => {
            json!({ "key": bytes(&secp256k1::PubKey::decode(v).ok()?.key) })
        }
        crate::cosmos::chain::ED25519_PUBKEY_TYPE_URL => {
            json!({ "key": bytes(&ed25519::PubKey::decode(v).ok()?.key) })
        }
        _ => return None,
    })
}

/// A block id.
pub fn block_id(id: Option<&cmt::BlockId>) -> Value {
    id.map_or(Value::Null, |id| {
        json!({
            "hash": bytes(&id.hash),
            "part_set_header": id.part_set_header.as_ref().map_or(Value::Null, |p| json!({
                "total": p.total,
                "hash": bytes(&p.hash),
            })),
        })
    })
}

/// CometBFT's header.
pub fn header(h: &cmt::Header) -> Value {
    json!({
        "version": h.version.as_ref().map_or(Value::Null, |v| {
            json!({ "block": int(v.block), "app": int(v.app) })
        }),
        "chain_id": h.chain_id,
        "height": int(h.height),
        "time": timestamp(h.time.as_ref()),
        "last_block_id": block_id(h.last_block_id.as_ref()),
        "last_commit_hash": bytes(&h.last_commit_hash),
        "data_hash": bytes(&h.data_hash),
        "validators_hash": bytes(&h.validators_hash),
        "next_validators_hash": bytes(&h.next_validators_hash),
        "consensus_hash": bytes(&h.consensus_hash),
        "app_hash": bytes(&h.app_hash),
        "last_results_hash": bytes(&h.last_results_hash),
        "evidence_hash": bytes(&h.evidence_hash),
        "proposer_address": bytes(&h.proposer_address),
    })
}

fn data(d: Option<&cmt::Data>) -> Value {
    d.map_or(
        Value::Null,
        |d| json!({ "txs": d.txs.iter().map(|t| bytes(t)).collect::<Vec<_>>() }),
    )
}

fn block_id_flag(flag: i32) -> Value {
    cmt::BlockIdFlag::try_from(flag).map_or(Value::from(flag), |f| Value::from(f.as_str_name()))
}

fn commit(c: Option<&cmt::Commit>) -> Value {
    c.map_or(Value::Null, |c| {
        json!({
            "height": int(c.height),
            "round": c.round,
            "block_id": block_id(c.block_id.as_ref()),
            "signatures": c.signatures.iter().map(|s| json!({
                "block_id_flag": block_id_flag(s.block_id_flag),
                "validator_address": bytes(&s.validator_address),
                "timestamp": timestamp(s.timestamp.as_ref()),
                "signature": bytes(&s.signature),
            })).collect::<Vec<_>>(),
        })
    })
}

fn vote(v: Option<&cmt::Vote>) -> Value {
    v.map_or(Value::Null, |v| {
        json!({
            "type": cmt::SignedMsgType::try_from(v.r#type)
                .map_or(Value::from(v.r#type), |t| Value::from(t.as_str_name())),
            "height": int(v.height),
            "round": v.round,
            "block_id": block_id(v.block_id.as_ref()),
            "timestamp": timestamp(v.timestamp.as_ref()),
            "validator_address": bytes(&v.validator_address),
            "validator_index": v.validator_index,
            "signature": bytes(&v.signature),
            "extension": bytes(&v.extension),
            "extension_signature": bytes(&v.extension_signature),
        })
    })
}

fn public_key(k: Option<&tendermint_proto::crypto::PublicKey>) -> Value {
    use tendermint_proto::crypto::public_key::Sum;
    match k.and_then(|k| k.sum.as_ref()) {
        Some(Sum::Ed25519(key)) => json!({ "ed25519": bytes(key) }),
        Some(Sum::Secp256k1(key)) => json!({ "secp256k1": bytes(key) }),
        _ => Value::Null,
    }
}

fn cmt_validator(v: &cmt::Validator) -> Value {
    json!({
        "address": bytes(&v.address),
        "pub_key": public_key(v.pub_key.as_ref()),
        "voting_power": int(v.voting_power),
        "proposer_priority": int(v.proposer_priority),
    })
}

fn evidence(list: Option<&cmt::EvidenceList>) -> Value {
    use cmt::evidence::Sum;
    let items = list.map_or(&[][..], |l| l.evidence.as_slice());
    let rendered: Vec<Value> = items
        .iter()
        .map(|e| match &e.sum {
            Some(Sum::DuplicateVoteEvidence(d)) => json!({
                "duplicate_vote_evidence": {
                    "vote_a": vote(d.vote_a.as_ref()),
                    "vote_b": vote(d.vote_b.as_ref()),
                    "total_voting_power": int(d.total_voting_power),
                    "validator_power": int(d.validator_power),
                    "timestamp": timestamp(d.timestamp.as_ref()),
                }
            }),
            Some(Sum::LightClientAttackEvidence(l)) => json!({
                "light_client_attack_evidence": {
                    "conflicting_block": l.conflicting_block.as_ref().map_or(Value::Null, |b| json!({
                        "signed_header": b.signed_header.as_ref().map_or(Value::Null, |s| json!({
                            "header": s.header.as_ref().map_or(Value::Null, header),
                            "commit": commit(s.commit.as_ref()),
                        })),
                        "validator_set": b.validator_set.as_ref().map_or(Value::Null, |set| json!({
                            "validators": set.validators.iter().map(cmt_validator).collect::<Vec<_>>(),
                            "proposer": set.proposer.as_ref().map_or(Value::Null, cmt_validator),
                            "total_voting_power": int(set.total_voting_power),
                        })),
                    })),
                    "common_height": int(l.common_height),
                    "byzantine_validators": l.byzantine_validators.iter().map(cmt_validator).collect::<Vec<_>>(),
                    "total_voting_power": int(l.total_voting_power),
                    "timestamp": timestamp(l.timestamp.as_ref()),
                }
            }),
            None => Value::Null,
        })
        .collect();
    json!({ "evidence": rendered })
}

/// A block's header, data, evidence and last commit.
fn block(
    header: Value,
    data_: Option<&cmt::Data>,
    evidence_: Option<&cmt::EvidenceList>,
    commit_: Option<&cmt::Commit>,
) -> Value {
    json!({
        "header": header,
        "data": data(data_),
        "evidence": evidence(evidence_),
        "last_commit": commit(commit_),
    })
}

/// A block and its SDK form, as `GetLatestBlock` and `GetBlockByHeight`
/// answer. The SDK's header is CometBFT's with the proposer as a bech32
/// consensus address (`sdk_block`'s own header gives that address).
pub fn block_answer(
    id: Option<&cmt::BlockId>,
    cometbft: Option<&cmt::Block>,
    sdk: Option<&tm::Block>,
) -> Value {
    let comet_header = cometbft
        .and_then(|b| b.header.as_ref())
        .map_or(Value::Null, header);
    let mut sdk_header = comet_header.clone();
    if let (Value::Object(map), Some(h)) = (&mut sdk_header, sdk.and_then(|b| b.header.as_ref())) {
        map.insert(
            "proposer_address".to_string(),
            Value::from(h.proposer_address.as_str()),
        );
    }
    json!({
        "block_id": block_id(id),
        "block": cometbft.map_or(Value::Null, |b| block(
            comet_header,
            b.data.as_ref(),
            b.evidence.as_ref(),
            b.last_commit.as_ref(),
        )),
        "sdk_block": sdk.map_or(Value::Null, |b| block(
            sdk_header,
            b.data.as_ref(),
            b.evidence.as_ref(),
            b.last_commit.as_ref(),
        )),
    })
}

/// A validator of a validator-set answer.
pub fn validator(v: &tm::Validator) -> Value {
    json!({
        "address": v.address,
        "pub_key": v.pub_key.as_ref().map_or(Value::Null, any),
        "voting_power": int(v.voting_power),
        "proposer_priority": int(v.proposer_priority),
    })
}

/// A `GetNodeInfo` answer.
pub fn node_info(r: &tm::GetNodeInfoResponse) -> Value {
    let info = r.default_node_info.as_ref().map_or(Value::Null, |i| {
        json!({
            "protocol_version": i.protocol_version.as_ref().map_or(Value::Null, |p| json!({
                "p2p": int(p.p2p),
                "block": int(p.block),
                "app": int(p.app),
            })),
            "default_node_id": i.default_node_id,
            "listen_addr": i.listen_addr,
            "network": i.network,
            "version": i.version,
            "channels": bytes(&i.channels),
            "moniker": i.moniker,
            "other": i.other.as_ref().map_or(Value::Null, |o| json!({
                "tx_index": o.tx_index,
                "rpc_address": o.rpc_address,
            })),
        })
    });
    let version = r.application_version.as_ref().map_or(Value::Null, |v| {
        json!({
            "name": v.name,
            "app_name": v.app_name,
            "version": v.version,
            "git_commit": v.git_commit,
            "build_tags": v.build_tags,
            "go_version": v.go_version,
            "build_deps": v.build_deps.iter().map(|d| json!({
                "path": d.path,
                "version": d.version,
                "sum": d.sum,
            })).collect::<Vec<_>>(),
            "cosmos_sdk_version": v.cosmos_sdk_version,
        })
    });
    json!({ "default_node_info": info, "application_version": version })
}

#[cfg(test)]
mod tests {
    #[test]
    fn decimals_show_as_the_gateway_shows_them() {
        assert_eq!(super::dec("100000000000000000"), "0.100000000000000000");
        assert_eq!(super::dec("1000000000000000000"), "1.000000000000000000");
        assert_eq!(super::dec("25000000000000000000"), "25.000000000000000000");
        assert_eq!(super::dec("0"), "0.000000000000000000");
        assert_eq!(super::dec("7"), "0.000000000000000007");
        assert_eq!(super::dec("0.5"), "0.5");
        assert_eq!(
            super::dec_bytes(b"50000000000000000"),
            "0.050000000000000000"
        );
    }

    use super::*;

    #[test]
    fn timestamps_have_protojson_fractions() {
        let at = |seconds, nanos| timestamp(Some(&Timestamp { seconds, nanos }));
        assert_eq!(at(0, 0), "1970-01-01T00:00:00Z");
        assert_eq!(at(0, 120_000_000), "1970-01-01T00:00:00.120Z");
        assert_eq!(at(0, 123_456_000), "1970-01-01T00:00:00.123456Z");
        assert_eq!(at(0, 123_456_789), "1970-01-01T00:00:00.123456789Z");
        assert_eq!(at(0, -1), Value::Null);
    }

    #[test]
    fn messages_render_with_their_fields() {
        let send = bank::MsgSend {
            from_address: "quire1a".to_string(),
            to_address: "quire1b".to_string(),
            amount: vec![Coin {
                denom: "uquire".to_string(),
                amount: "5".to_string(),
            }],
        };
        let rendered = any(&Any {
            type_url: "/cosmos.bank.v1beta1.MsgSend".to_string(),
            value: send.encode_to_vec(),
        });
        assert_eq!(
            rendered,
            json!({
                "@type": "/cosmos.bank.v1beta1.MsgSend",
                "from_address": "quire1a",
                "to_address": "quire1b",
                "amount": [{"denom": "uquire", "amount": "5"}],
            })
        );
        let blob = blob::MsgSubmitBlob {
            signer: "quire1a".to_string(),
            namespace: vec![7; 32],
            data: b"hi".to_vec(),
        };
        let rendered = any(&Any {
            type_url: blob::MSG_SUBMIT_BLOB_TYPE_URL.to_string(),
            value: blob.encode_to_vec(),
        });
        assert_eq!(rendered["data"], "aGk=");
        assert_eq!(rendered["@type"], "/quire.blob.v1.MsgSubmitBlob");
        // Unknown or undecodable: the bytes as they are.
        let unknown = any(&Any {
            type_url: "/x.y.Z".to_string(),
            value: vec![1, 2],
        });
        assert_eq!(unknown, json!({"@type": "/x.y.Z", "value": "AQI="}));
        let broken = any(&Any {
            type_url: "/cosmos.bank.v1beta1.MsgSend".to_string(),
            value: vec![0xff],
        });
        assert_eq!(broken["value"], "/w==");
    }
}
