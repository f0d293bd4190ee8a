//! Reading and writing genesis files.

use crate::doc::GenesisDoc;
use crate::error::GenesisFileError;
use crate::locate::{locate, GENESIS};
use std::fs::File;
use std::io::{Read, Write};
use std::path::Path;

/// Largest genesis file [`GenesisDoc::load`] reads: 64 MiB.
pub const MAX_GENESIS_FILE_BYTES: u64 = 64 * 1024 * 1024;

impl GenesisDoc {
    /// Reads, parses and validates a genesis file. Refuses files larger than
    /// [`MAX_GENESIS_FILE_BYTES`]; errors name the file and, where there is
    /// one, the field.
    pub fn load(path: impl AsRef<Path>) -> Result<GenesisDoc, GenesisFileError> {
        let path = path.as_ref();
        let read_error = |source| GenesisFileError::Read {
            path: path.to_path_buf(),
            source,
        };
        let file = File::open(path).map_err(read_error)?;
        let too_large = || GenesisFileError::TooLarge {
            path: path.to_path_buf(),
            limit: MAX_GENESIS_FILE_BYTES,
        };
        if file.metadata().map_err(read_error)?.len() > MAX_GENESIS_FILE_BYTES {
            return Err(too_large());
        }
        let mut bytes = Vec::new();
        // Bounded even if the file grows or is not a regular file.
        file.take(MAX_GENESIS_FILE_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(read_error)?;
        if bytes.len() as u64 > MAX_GENESIS_FILE_BYTES {
            return Err(too_large());
        }
        let doc = Self::from_json(&bytes, path)?;
        doc.validate().map_err(|source| GenesisFileError::Invalid {
            path: path.to_path_buf(),
            source,
        })?;
        Ok(doc)
    }

    /// Parses a genesis document without validating it; `path` only names
    /// the source in errors.
    pub fn from_json(bytes: &[u8], path: impl AsRef<Path>) -> Result<GenesisDoc, GenesisFileError> {
        let path = path.as_ref().to_path_buf();
        let error = match serde_json::from_slice::<GenesisDoc>(bytes) {
            Ok(doc) => return Ok(doc),
            Err(error) => error,
        };
        let value = match serde_json::from_slice::<serde_json::Value>(bytes) {
            Ok(value) => value,
            Err(syntax) => {
                return Err(GenesisFileError::Syntax {
                    path,
                    line: syntax.line(),
                    column: syntax.column(),
                    message: syntax.to_string(),
                })
            }
        };
        let (line, column) = (error.line(), error.column());
        let (field, message) = locate(&value, &GENESIS, "").unwrap_or_else(|| {
            // The shape description fits but serde refused: report serde's words.
            ("(document)".to_string(), error.to_string())
        });
        Err(GenesisFileError::Field {
            path,
            field,
            message,
            line,
            column,
        })
    }

    /// Validates the document and writes it as pretty JSON (through a
    /// temporary file beside it, renamed into place).
    pub fn save(&self, path: impl AsRef<Path>) -> Result<(), GenesisFileError> {
        let path = path.as_ref();
        self.validate()
            .map_err(|source| GenesisFileError::Invalid {
                path: path.to_path_buf(),
                source,
            })?;
        let write_error = |reason: String| GenesisFileError::Write {
            path: path.to_path_buf(),
            reason,
        };
        let mut json = serde_json::to_vec_pretty(self)
            .map_err(|e| write_error(format!("encoding failed: {e}")))?;
        json.push(b'\n');
        let mut tmp_name = path.as_os_str().to_owned();
        tmp_name.push(".tmp");
        let tmp = Path::new(&tmp_name);
        let result = File::create(tmp)
            .and_then(|mut file| {
                file.write_all(&json)?;
                file.sync_all()
            })
            .and_then(|()| std::fs::rename(tmp, path));
        if let Err(e) = result {
            let _ = std::fs::remove_file(tmp);
            return Err(write_error(e.to_string()));
        }
        Ok(())
    }
}
