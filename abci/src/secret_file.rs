//! Reading and writing the node's secret key files: small, created once
//! with mode 0600, never overwritten, fsynced.

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use thiserror::Error;

/// Why a secret key file could not be read, drawn or written.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum SecretFileError {
    /// The file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// The file is not the key file expected, or its public part is not
    /// its secret's.
    #[error("{path}: {reason}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The operating system's random number generator failed.
    #[error("cannot draw a random key: {0}")]
    Random(String),
}

/// Largest key file read.
pub const MAX_KEY_FILE_BYTES: u64 = 4096;

/// The text of the key file at `path`, refusing one larger than
/// [`MAX_KEY_FILE_BYTES`].
pub fn read(path: &Path) -> std::io::Result<String> {
    let size = std::fs::metadata(path)?.len();
    if size > MAX_KEY_FILE_BYTES {
        return Err(std::io::Error::other(format!(
            "{size} bytes is too large for a key file"
        )));
    }
    std::fs::read_to_string(path)
}

/// Writes `text` and a newline to a new file at `path` (mode 0600) and
/// syncs it; refuses to replace a file.
pub fn write_new(path: &Path, text: &str) -> std::io::Result<()> {
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(text.as_bytes())?;
    file.write_all(b"\n")?;
    file.sync_all()
}

/// `load(path)` if a file exists at `path`, `None` if none does.
pub fn load_if_present<T, E>(
    path: &Path,
    load: impl FnOnce(&Path) -> Result<T, E>,
) -> Result<Option<T>, E> {
    if path.exists() {
        load(path).map(Some)
    } else {
        Ok(None)
    }
}
