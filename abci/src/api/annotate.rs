//! Readable forms beside the HTTP read API's proto3 JSON fields, which show
//! every byte string as base64: a blob's signer as its bech32 address
//! (`signerAddress`), an L1 member's signer as its `0x` address
//! (`signerHex`), namespaces, hashes, roots and digests as hex (`namespaceHex`,
//! `txHashHex`, `blockHashHex`, …), and an attestation's signed header
//! summarised (`header`: height, time, chain id, the block's hash and its
//! data, app and validator hashes in hex). The proto3 fields stay as they
//! are, so clients that decode the messages are unaffected.

use base64::Engine;
use prost::Message;
use quire_core::Address;
use serde_json::{Map, Value};

/// Serializes `message` to JSON with the readable fields added.
pub fn annotated(message: &impl serde::Serialize) -> Value {
    let mut value = serde_json::to_value(message).unwrap_or(Value::Null);
    annotate(&mut value);
    value
}

/// Adds the readable fields to every object in `value`, depth first.
pub fn annotate(value: &mut Value) {
    match value {
        Value::Array(items) => items.iter_mut().for_each(annotate),
        Value::Object(object) => {
            object.values_mut().for_each(annotate);
            let added = readable_fields(object);
            object.extend(added);
        }
        _ => {}
    }
}

fn bytes_of(value: Option<&Value>) -> Option<Vec<u8>> {
    let text = value?.as_str()?;
    base64::engine::general_purpose::STANDARD.decode(text).ok()
}

/// Whether `key` names a hash-like field shown in hex too.
fn is_hash_key(key: &str) -> bool {
    key == "namespace"
        || key == "hash"
        || key == "digest"
        || key.ends_with("Hash")
        || key.ends_with("Root")
        || key == "root"
        || key == "consensusAddress"
}

/// The fields to add to `object`.
fn readable_fields(object: &Map<String, Value>) -> Vec<(String, Value)> {
    let mut added = Vec::new();
    for (key, value) in object {
        if is_hash_key(key) {
            if let Some(bytes) = bytes_of(Some(value)) {
                added.push((format!("{key}Hex"), Value::String(hex::encode(bytes))));
            }
        }
    }
    if let Some(signer) = bytes_of(object.get("signer")) {
        if object.contains_key("data") {
            // A blob: its submitter on Quire.
            if let Ok(address) = <[u8; 20]>::try_from(signer.as_slice()) {
                let bech32 = Address::new(address).to_bech32();
                added.push(("signerAddress".into(), Value::String(bech32)));
            }
        } else if object.contains_key("power") {
            // An L1 member: an Ethereum address.
            added.push((
                "signerHex".into(),
                Value::String(format!("0x{}", hex::encode(signer))),
            ));
        }
    }
    if let Some(header) = bytes_of(object.get("signedHeader")).and_then(|b| header_summary(&b)) {
        added.push(("header".into(), header));
    }
    added
}

/// The parts of a protobuf `tendermint.types.SignedHeader` readers look at.
fn header_summary(bytes: &[u8]) -> Option<Value> {
    use tendermint_proto::v0_38::types::SignedHeader;
    let signed = SignedHeader::decode(bytes).ok()?;
    let header = signed.header?;
    let hex_of = |b: &[u8]| Value::String(hex::encode(b));
    let time = header
        .time
        .and_then(|t| tendermint::Time::from_unix_timestamp(t.seconds, t.nanos as u32).ok())
        .map_or(Value::Null, |t| Value::String(t.to_rfc3339()));
    let block_hash = signed
        .commit
        .and_then(|c| c.block_id)
        .map_or(Value::Null, |id| hex_of(&id.hash));
    Some(serde_json::json!({
        "height": header.height.to_string(),
        "time": time,
        "chainId": header.chain_id,
        "blockHashHex": block_hash,
        "dataHashHex": hex_of(&header.data_hash),
        "appHashHex": hex_of(&header.app_hash),
        "validatorsHashHex": hex_of(&header.validators_hash),
        "proposerAddressHex": hex_of(&header.proposer_address),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn b64(bytes: &[u8]) -> String {
        base64::engine::general_purpose::STANDARD.encode(bytes)
    }

    #[test]
    fn blobs_l1_members_and_hashes_get_readable_forms() {
        let signer = [7u8; 20];
        let mut value = json!({
            "height": "5",
            "namespace": b64(&[0xab; 32]),
            "blobs": [{ "signer": b64(&signer), "data": b64(b"x"), "txHash": b64(&[1; 32]) }],
            "members": [{ "signer": b64(&signer), "power": "3", "consensusAddress": b64(&[2; 20]) }],
            "checkpoint": { "blockHash": b64(&[3; 32]), "historyRoot": b64(&[4; 32]) },
            "note": "not base64 !",
        });
        annotate(&mut value);
        assert_eq!(value["namespaceHex"], hex::encode([0xab; 32]));
        let blob = &value["blobs"][0];
        assert_eq!(blob["signerAddress"], Address::new(signer).to_bech32());
        assert_eq!(blob["txHashHex"], hex::encode([1; 32]));
        assert!(blob.get("signerHex").is_none());
        let member = &value["members"][0];
        assert_eq!(member["signerHex"], format!("0x{}", hex::encode(signer)));
        assert_eq!(member["consensusAddressHex"], hex::encode([2; 20]));
        assert!(member.get("signerAddress").is_none());
        assert_eq!(value["checkpoint"]["blockHashHex"], hex::encode([3; 32]));
        assert_eq!(value["checkpoint"]["historyRootHex"], hex::encode([4; 32]));
        // The proto3 fields are untouched.
        assert_eq!(value["blobs"][0]["signer"], b64(&signer));
        assert!(value.get("noteHex").is_none());
    }

    #[test]
    fn a_signed_header_is_summarised_and_garbage_is_left_alone() {
        use tendermint_proto::v0_38::types::{BlockId, Commit, Header, SignedHeader};
        let signed = SignedHeader {
            header: Some(Header {
                height: 9,
                chain_id: "quire-test".into(),
                data_hash: vec![5; 32],
                app_hash: vec![6; 32],
                ..Default::default()
            }),
            commit: Some(Commit {
                height: 9,
                block_id: Some(BlockId {
                    hash: vec![8; 32],
                    ..Default::default()
                }),
                ..Default::default()
            }),
        };
        let mut value = json!({ "signedHeader": b64(&signed.encode_to_vec()) });
        annotate(&mut value);
        let header = &value["header"];
        assert_eq!(header["height"], "9");
        assert_eq!(header["chainId"], "quire-test");
        assert_eq!(header["dataHashHex"], hex::encode([5; 32]));
        assert_eq!(header["appHashHex"], hex::encode([6; 32]));
        assert_eq!(header["blockHashHex"], hex::encode([8; 32]));
        let mut junk = json!({ "signedHeader": b64(b"\xff\xff not a header") });
        annotate(&mut junk);
        assert!(junk.get("header").is_none());
    }
}
