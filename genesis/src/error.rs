//! Errors: a bad key, a bad document, a bad file.

use std::path::PathBuf;
use thiserror::Error;

/// A validator consensus key that cannot be used.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyError {
    /// The text is not standard base64.
    #[error("not valid base64: {0}")]
    Base64(String),
    /// The key is not 32 bytes long.
    #[error("an ed25519 public key is 32 bytes, this one is {0}")]
    Length(usize),
}

/// A genesis document that parses but cannot start a chain: names the field
/// (a JSON path such as `validators[1].power`) and the reason.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[error("{field}: {reason}")]
pub struct GenesisDocError {
    /// JSON path of the offending field.
    pub field: String,
    /// Why it is wrong.
    pub reason: String,
}

impl GenesisDocError {
    pub(crate) fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        GenesisDocError {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

/// A genesis file that cannot be read, parsed, validated or written. Every
/// variant names the file.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum GenesisFileError {
    /// Opening or reading failed.
    #[error("cannot read genesis file {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is larger than [`crate::MAX_GENESIS_FILE_BYTES`].
    #[error("genesis file {} is larger than the {limit}-byte limit", path.display())]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// The limit in bytes.
        limit: u64,
    },
    /// The file is not JSON at all.
    #[error("genesis file {} is not valid JSON at line {line} column {column}: {message}", path.display())]
    Syntax {
        /// The file.
        path: PathBuf,
        /// 1-based line of the error.
        line: usize,
        /// 1-based column of the error.
        column: usize,
        /// serde_json's description.
        message: String,
    },
    /// The JSON does not have the genesis document's shape.
    #[error("genesis file {}: field {field}: {message} (near line {line} column {column})", path.display())]
    Field {
        /// The file.
        path: PathBuf,
        /// JSON path of the offending field, e.g. `consensus_params.block.max_bytes`.
        field: String,
        /// What is wrong with it.
        message: String,
        /// Line where the parser stopped.
        line: usize,
        /// Column where the parser stopped.
        column: usize,
    },
    /// The document parses but fails validation.
    #[error("genesis file {}: {source}", path.display())]
    Invalid {
        /// The file.
        path: PathBuf,
        /// The failed check.
        source: GenesisDocError,
    },
    /// Encoding or writing failed.
    #[error("cannot write genesis file {}: {reason}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// What failed.
        reason: String,
    },
}

impl GenesisFileError {
    /// The JSON path of the offending field, when the error is about one.
    pub fn field(&self) -> Option<&str> {
        match self {
            GenesisFileError::Field { field, .. } => Some(field),
            GenesisFileError::Invalid { source, .. } => Some(&source.field),
            _ => None,
        }
    }
}
