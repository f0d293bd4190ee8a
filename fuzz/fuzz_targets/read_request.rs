//! Any bytes as a read-API request or answer: protobuf decoding of every
//! request message, namespace parsing (raw and the 64-hex-digit text form of
//! URLs) and the proto3-JSON (pbjson) shapes of the HTTP API must never
//! panic.
//!
//! Invariants checked on top: protobuf and JSON round trips give back the
//! same message; a parsed namespace prints as the hex it was parsed from.
#![no_main]

use libfuzzer_sys::fuzz_target;
use prost::Message;
use quire_core::Namespace;
use quire_proto::sequencer::v1 as pb;
use std::fmt::Debug;

fuzz_target!(|data: &[u8]| {
    proto_round_trip::<pb::GetNamespaceDataRequest>(data);
    proto_round_trip::<pb::GetNamespaceRangeRequest>(data);
    proto_round_trip::<pb::StreamNamespaceRequest>(data);
    proto_round_trip::<pb::GetBlockRequest>(data);
    proto_round_trip::<pb::NamespaceData>(data);

    if let Ok(ns) = Namespace::from_slice(data) {
        assert_eq!(ns.as_bytes().as_slice(), data);
    }
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(ns) = text.parse::<Namespace>() {
            let digits = text.strip_prefix("0x").unwrap_or(text);
            assert!(digits.eq_ignore_ascii_case(&ns.to_hex()));
            assert_eq!(ns.to_hex().parse::<Namespace>(), Ok(ns));
        }
    }

    json_round_trip::<pb::NamespaceData>(data);
    json_round_trip::<pb::BlockData>(data);
    json_round_trip::<pb::GetNamespaceRangeResponse>(data);
    json_round_trip::<pb::GetNamespaceRangeRequest>(data);
});

fn proto_round_trip<M: Message + Default + PartialEq + Debug>(data: &[u8]) {
    if let Ok(message) = M::decode(data) {
        let encoded = message.encode_to_vec();
        let back = M::decode(encoded.as_slice()).expect("re-encoded message decodes");
        assert_eq!(back, message, "protobuf round trip");
    }
}

fn json_round_trip<M>(data: &[u8])
where
    M: serde::Serialize + serde::de::DeserializeOwned + PartialEq + Debug,
{
    if let Ok(message) = serde_json::from_slice::<M>(data) {
        let json = serde_json::to_vec(&message).expect("message encodes as JSON");
        let back: M = serde_json::from_slice(&json).expect("encoded JSON parses");
        assert_eq!(back, message, "JSON round trip");
    }
}
