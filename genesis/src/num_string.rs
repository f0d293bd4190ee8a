//! Serde helper: integers written as decimal strings, as CometBFT's JSON
//! encoding (`cmtjson`) writes every 64-bit integer.

use serde::{de::Error, Deserialize, Deserializer, Serializer};
use std::fmt::Display;
use std::str::FromStr;

/// Writes the number as a decimal string.
pub fn serialize<T: Display, S: Serializer>(value: &T, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_str(value)
}

/// Reads a decimal string.
pub fn deserialize<'de, T, D>(deserializer: D) -> Result<T, D::Error>
where
    T: FromStr,
    T::Err: Display,
    D: Deserializer<'de>,
{
    let text = String::deserialize(deserializer)?;
    parse(&text).map_err(D::Error::custom)
}

/// Parses a decimal string, with a message that quotes the text.
pub(crate) fn parse<T>(text: &str) -> Result<T, String>
where
    T: FromStr,
    T::Err: Display,
{
    text.parse::<T>()
        .map_err(|e| format!("expected an integer written as a string, got {text:?}: {e}"))
}
