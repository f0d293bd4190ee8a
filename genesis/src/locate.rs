//! Finds the field a JSON document fails to deserialise at.
//!
//! serde_json reports a line and column but not which field of the genesis
//! document is wrong. When deserialising fails, the document is walked against
//! [`GENESIS`], a description of the expected shape that mirrors the types in
//! `doc.rs` (and `quire_app`'s `GenesisState`), to name the first bad field by
//! its JSON path. The tests keep both in step.

use crate::num_string;
use serde_json::{Map, Value};

/// Checks a JSON value that is a leaf of the schema.
type Check = fn(&Value) -> Result<(), String>;

/// The expected shape of a JSON value.
pub(crate) enum Shape {
    /// A scalar (or opaque value) and how to check it.
    Leaf(Check),
    /// An object with exactly these fields (unknown fields are refused).
    Object(&'static [Field]),
    /// An array whose elements all have this shape.
    Array(&'static Shape),
}

/// One field of an object.
pub(crate) struct Field {
    name: &'static str,
    required: bool,
    shape: Shape,
}

const fn req(name: &'static str, shape: Shape) -> Field {
    Field {
        name,
        required: true,
        shape,
    }
}

const fn opt(name: &'static str, shape: Shape) -> Field {
    Field {
        name,
        required: false,
        shape,
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn as_str(value: &Value) -> Result<&str, String> {
    value
        .as_str()
        .ok_or_else(|| format!("expected a string, got {}", kind(value)))
}

fn string(value: &Value) -> Result<(), String> {
    as_str(value).map(|_| ())
}

fn int_string<T>(value: &Value) -> Result<(), String>
where
    T: std::str::FromStr,
    T::Err: std::fmt::Display,
{
    num_string::parse::<T>(as_str(value)?).map(|_| ())
}

fn u64_number(value: &Value) -> Result<(), String> {
    value
        .as_u64()
        .map(|_| ())
        .ok_or_else(|| format!("expected a non-negative integer (a JSON number), got {value}"))
}

fn u32_number(value: &Value) -> Result<(), String> {
    value
        .as_u64()
        .filter(|n| u32::try_from(*n).is_ok())
        .map(|_| ())
        .ok_or_else(|| format!("expected an integer 0..=4294967295 (a JSON number), got {value}"))
}

fn decimal(value: &Value) -> Result<(), String> {
    quire_core::staking::Dec::parse(as_str(value)?)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

const STRING: Shape = Shape::Leaf(string);
const I64_STRING: Shape = Shape::Leaf(int_string::<i64>);
const U64_STRING: Shape = Shape::Leaf(int_string::<u64>);
const U128_STRING: Shape = Shape::Leaf(int_string::<u128>);
const U64_NUMBER: Shape = Shape::Leaf(u64_number);
const U32_NUMBER: Shape = Shape::Leaf(u32_number);
const DECIMAL: Shape = Shape::Leaf(decimal);

const STAKING: Shape = Shape::Object(&[
    opt(
        "params",
        Shape::Object(&[
            req("unbonding_time_secs", U64_NUMBER),
            req("max_validators", U32_NUMBER),
            req("max_entries", U32_NUMBER),
            req("min_commission_rate", DECIMAL),
            req("commission_change_interval_secs", U64_NUMBER),
            req("signed_blocks_window", U64_NUMBER),
            req("min_signed_per_window", DECIMAL),
            req("downtime_jail_duration_secs", U64_NUMBER),
            req("slash_fraction_double_sign", DECIMAL),
            req("slash_fraction_downtime", DECIMAL),
            req("evidence_max_age_blocks", U64_NUMBER),
            req("evidence_max_age_secs", U64_NUMBER),
        ]),
    ),
    opt(
        "validators",
        Shape::Array(&Shape::Object(&[
            req("operator", STRING),
            req("consensus_pubkey", STRING),
            req("moniker", STRING),
            req("self_bond", U128_STRING),
            opt(
                "commission",
                Shape::Object(&[
                    req("rate", DECIMAL),
                    req("max_rate", DECIMAL),
                    req("max_change_rate", DECIMAL),
                ]),
            ),
            opt("min_self_delegation", U128_STRING),
        ])),
    ),
]);

const CONSENSUS_PARAMS: Shape = Shape::Object(&[
    req(
        "block",
        Shape::Object(&[req("max_bytes", I64_STRING), req("max_gas", I64_STRING)]),
    ),
    req(
        "evidence",
        Shape::Object(&[
            req("max_age_num_blocks", I64_STRING),
            req("max_age_duration", I64_STRING),
            req("max_bytes", I64_STRING),
        ]),
    ),
    req(
        "validator",
        Shape::Object(&[req("pub_key_types", Shape::Array(&STRING))]),
    ),
    opt("version", Shape::Object(&[req("app", U64_STRING)])),
    opt(
        "abci",
        Shape::Object(&[req("vote_extensions_enable_height", I64_STRING)]),
    ),
]);

const VALIDATOR: Shape = Shape::Object(&[
    req("address", STRING),
    req(
        "pub_key",
        Shape::Object(&[req("type", STRING), req("value", STRING)]),
    ),
    req("power", U64_STRING),
    opt("name", STRING),
]);

const APP_STATE: Shape = Shape::Object(&[
    req(
        "params",
        Shape::Object(&[
            req("fee_denom", STRING),
            req("base_fee", U128_STRING),
            req("fee_per_blob_byte", U128_STRING),
            req("max_blob_bytes", U64_NUMBER),
            req("max_block_blob_bytes", U64_NUMBER),
            req("max_tx_bytes", U64_NUMBER),
        ]),
    ),
    req(
        "accounts",
        Shape::Array(&Shape::Object(&[
            req("address", STRING),
            req("balance", U128_STRING),
        ])),
    ),
    opt("staking", STAKING),
]);

/// The shape of a genesis document.
pub(crate) const GENESIS: Shape = Shape::Object(&[
    req("genesis_time", STRING),
    req("chain_id", STRING),
    req("initial_height", U64_STRING),
    req("consensus_params", CONSENSUS_PARAMS),
    req("validators", Shape::Array(&VALIDATOR)),
    opt("app_hash", STRING),
    req("app_state", APP_STATE),
]);

fn join(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_string()
    } else {
        format!("{path}.{name}")
    }
}

/// The JSON path of the first value in `value` that does not fit `shape`, and
/// why; `None` if it fits.
pub(crate) fn locate(value: &Value, shape: &Shape, path: &str) -> Option<(String, String)> {
    match shape {
        Shape::Leaf(check) => check(value).err().map(|reason| (path.to_string(), reason)),
        Shape::Array(element) => match value.as_array() {
            None => Some((
                path.to_string(),
                format!("expected an array, got {}", kind(value)),
            )),
            Some(items) => items
                .iter()
                .enumerate()
                .find_map(|(i, item)| locate(item, element, &format!("{path}[{i}]"))),
        },
        Shape::Object(fields) => match value.as_object() {
            None => Some((
                path.to_string(),
                format!("expected an object, got {}", kind(value)),
            )),
            Some(map) => locate_fields(map, fields, path),
        },
    }
}

fn locate_fields(
    map: &Map<String, Value>,
    fields: &[Field],
    path: &str,
) -> Option<(String, String)> {
    if let Some(unknown) = map
        .keys()
        .find(|key| !fields.iter().any(|f| f.name == key.as_str()))
    {
        let expected: Vec<&str> = fields.iter().map(|f| f.name).collect();
        return Some((
            join(path, unknown),
            format!("unknown field, expected one of {expected:?}"),
        ));
    }
    fields.iter().find_map(|field| match map.get(field.name) {
        None if field.required => Some((join(path, field.name), "missing field".to_string())),
        None => None,
        Some(value) => locate(value, &field.shape, &join(path, field.name)),
    })
}
