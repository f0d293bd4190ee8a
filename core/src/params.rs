//! Chain parameters: the fee schedule and the size limits, fixed at genesis.

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// The native fee denom.
pub const DEFAULT_FEE_DENOM: &str = "uquire";

/// Chain parameters.
///
/// Amounts are u128 and serialised as decimal strings in JSON (as Cosmos SDK
/// genesis files do), so no precision is lost in tools that parse numbers as f64.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// Denom of fees and of balances moved by `MsgSend`.
    pub fee_denom: String,
    /// Fee every transaction pays.
    #[serde(with = "u128_string")]
    pub base_fee: u128,
    /// Additional fee per byte of blob data.
    #[serde(with = "u128_string")]
    pub fee_per_blob_byte: u128,
    /// Largest single blob, in bytes.
    pub max_blob_bytes: u64,
    /// Largest total of blob bytes in one block.
    pub max_block_blob_bytes: u64,
    /// Largest encoded transaction, in bytes.
    pub max_tx_bytes: u64,
}

impl Default for Params {
    /// Defaults sized for a sequencer: 2 MiB blobs, 2.5 MiB txs, 20 MiB of blobs
    /// per block, a fee of 1000 + 1 per blob byte in uquire.
    fn default() -> Self {
        Params {
            fee_denom: DEFAULT_FEE_DENOM.to_string(),
            base_fee: 1_000,
            fee_per_blob_byte: 1,
            max_blob_bytes: 2 * 1024 * 1024,
            max_block_blob_bytes: 20 * 1024 * 1024,
            max_tx_bytes: 2 * 1024 * 1024 + 512 * 1024,
        }
    }
}

/// The display unit of a denom wallets and registries show, with its
/// exponent: Quire's own `uquire` is a millionth of a `quire`. `None` for
/// any other denom (shown as it is).
pub fn display_unit(denom: &str) -> Option<(&'static str, u32)> {
    (denom == "uquire").then_some(("quire", 6))
}

/// A parameter set that cannot run a chain.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[error("invalid params: {field}: {reason}")]
pub struct ParamsError {
    /// The offending field.
    pub field: &'static str,
    /// Why it is wrong.
    pub reason: String,
}

/// Hard ceiling for any size parameter: CometBFT's own block limit (100 MiB).
pub const MAX_SIZE_PARAM: u64 = 100 * 1024 * 1024;

impl Params {
    /// The fee for a transaction carrying `blob_bytes` bytes of blobs, or `None`
    /// on overflow (which no real transaction can reach).
    pub fn fee_for(&self, blob_bytes: u64) -> Option<u128> {
        self.fee_per_blob_byte
            .checked_mul(u128::from(blob_bytes))?
            .checked_add(self.base_fee)
    }

    /// Checks that the parameters are usable, naming the first bad field.
    pub fn validate(&self) -> Result<(), ParamsError> {
        let err = |field, reason: &str| {
            Err(ParamsError {
                field,
                reason: reason.to_string(),
            })
        };
        if !is_valid_denom(&self.fee_denom) {
            return err(
                "fee_denom",
                "must be 3-128 characters of [a-zA-Z0-9/:._-], starting with a letter",
            );
        }
        for (field, value) in [
            ("max_blob_bytes", self.max_blob_bytes),
            ("max_block_blob_bytes", self.max_block_blob_bytes),
            ("max_tx_bytes", self.max_tx_bytes),
        ] {
            if value == 0 {
                return err(field, "must be greater than 0");
            }
            if value > MAX_SIZE_PARAM {
                return Err(ParamsError {
                    field,
                    reason: format!(
                        "must be at most {MAX_SIZE_PARAM} (CometBFT's block size limit)"
                    ),
                });
            }
        }
        if self.max_blob_bytes > self.max_block_blob_bytes {
            return err("max_blob_bytes", "must not exceed max_block_blob_bytes");
        }
        if self.max_blob_bytes >= self.max_tx_bytes {
            return err(
                "max_blob_bytes",
                "must be smaller than max_tx_bytes (a tx carries its blob plus signature and fee)",
            );
        }
        Ok(())
    }
}

/// Cosmos SDK denom rule: a letter, then 2-127 of letters, digits and `/:._-`.
pub fn is_valid_denom(denom: &str) -> bool {
    let bytes = denom.as_bytes();
    (3..=128).contains(&bytes.len())
        && bytes[0].is_ascii_alphabetic()
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b':' | b'.' | b'_' | b'-'))
}

/// Serde helper: u128 as a decimal string.
pub mod u128_string {
    use serde::{de::Error, Deserialize, Deserializer, Serializer};

    /// Writes the number as a decimal string.
    pub fn serialize<S: Serializer>(value: &u128, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&value.to_string())
    }

    /// Reads a decimal string.
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u128, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse::<u128>().map_err(|e| {
            D::Error::custom(format!(
                "expected a decimal amount as a string, got {text:?}: {e}"
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_params_are_valid() {
        Params::default().validate().unwrap();
    }

    #[test]
    fn fee_is_base_plus_per_byte() {
        let p = Params {
            base_fee: 10,
            fee_per_blob_byte: 3,
            ..Params::default()
        };
        assert_eq!(p.fee_for(0), Some(10));
        assert_eq!(p.fee_for(100), Some(310));
        let huge = Params {
            fee_per_blob_byte: u128::MAX,
            ..p
        };
        assert_eq!(huge.fee_for(2), None);
    }

    #[test]
    fn validation_names_the_field() {
        let p = Params {
            max_blob_bytes: 0,
            ..Params::default()
        };
        assert_eq!(p.validate().unwrap_err().field, "max_blob_bytes");
        let p = Params {
            fee_denom: "1x".into(),
            ..Params::default()
        };
        assert_eq!(p.validate().unwrap_err().field, "fee_denom");
        let p = Params {
            max_blob_bytes: 10,
            max_block_blob_bytes: 5,
            ..Params::default()
        };
        assert_eq!(p.validate().unwrap_err().field, "max_blob_bytes");
        let p = Params {
            max_tx_bytes: MAX_SIZE_PARAM + 1,
            ..Params::default()
        };
        assert_eq!(p.validate().unwrap_err().field, "max_tx_bytes");
    }

    #[test]
    fn amounts_are_strings_in_json() {
        let json = serde_json::to_string(&Params::default()).unwrap();
        assert!(json.contains("\"base_fee\":\"1000\""), "{json}");
        let back: Params = serde_json::from_str(&json).unwrap();
        assert_eq!(back, Params::default());
        let bad = json.replace("\"1000\"", "1000");
        assert!(serde_json::from_str::<Params>(&bad).is_err());
    }
}
