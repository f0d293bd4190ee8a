//! The validator's encryption key share file,
//! `<home>/config/encryption_share.json` (mode 0600): its share of the
//! chain's threshold key, with which its vote extensions carry decryption
//! shares (docs/blind-ordering.md). On test and local networks the dealer
//! writes it (`quired genesis create --encryption-dealer`); `quired start`
//! loads it. Whoever holds a threshold of these files can decrypt every
//! envelope before its block commits: keep it on the validator only.

use crate::secret_file::SecretFileError;
use quire_tpke::{EpochKey, KeyShare};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ShareFile {
    /// The key epoch the share is of.
    epoch: u64,
    /// sha256 of the epoch key (hex), as `GET /v1/encryption` shows it.
    epoch_key_hash: String,
    /// The participant index (0-based).
    index: u32,
    /// The share: index u32 BE ‖ scalar (hex).
    share: String,
}

/// Where a home keeps its share.
pub fn path(home: &Path) -> PathBuf {
    home.join("config").join("encryption_share.json")
}

/// Loads the share at `path`.
pub fn load(path: &Path) -> Result<KeyShare, SecretFileError> {
    let invalid = |reason: String| SecretFileError::Invalid {
        path: path.to_path_buf(),
        reason,
    };
    let text = crate::secret_file::read(path).map_err(|source| SecretFileError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let file: ShareFile = serde_json::from_str(&text)
        .map_err(|e| invalid(format!("not an encryption share file: {e}")))?;
    let bytes = hex::decode(&file.share).map_err(|e| invalid(format!("share is not hex: {e}")))?;
    let share = KeyShare::from_bytes(&bytes).map_err(|e| invalid(format!("share: {e}")))?;
    if share.index() != file.index {
        return Err(invalid(format!(
            "index {} is not the share's ({})",
            file.index,
            share.index()
        )));
    }
    Ok(share)
}

/// Loads the share at `path` if the file exists.
pub fn load_if_present(path: &Path) -> Result<Option<KeyShare>, SecretFileError> {
    crate::secret_file::load_if_present(path, load)
}

/// Writes `share` of epoch `epoch`'s `key` to a new file at `path` (mode
/// 0600); refuses to replace a file.
pub fn save(
    path: &Path,
    epoch: u64,
    key: &EpochKey,
    share: &KeyShare,
) -> Result<(), SecretFileError> {
    let text = serde_json::to_string_pretty(&ShareFile {
        epoch,
        epoch_key_hash: hex::encode(key.hash()),
        index: share.index(),
        share: hex::encode(share.to_bytes()),
    })
    .map_err(|e| SecretFileError::Invalid {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })?;
    crate::secret_file::write_new(path, &text).map_err(|source| SecretFileError::Io {
        path: path.to_path_buf(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn shares_load_back_private_and_are_never_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("share.json");
        let (key, shares) = quire_tpke::deal([1; 32], 4).unwrap();
        save(&path, 1, &key, &shares[2]).unwrap();
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert_eq!(load(&path).unwrap().to_bytes(), shares[2].to_bytes());
        assert!(save(&path, 1, &key, &shares[2]).is_err());
        assert!(load_if_present(&dir.path().join("none")).unwrap().is_none());
        let text = std::fs::read_to_string(&path).unwrap();
        let bad = dir.path().join("bad.json");
        std::fs::write(&bad, text.replace("\"index\": 2", "\"index\": 1")).unwrap();
        assert!(load(&bad)
            .unwrap_err()
            .to_string()
            .contains("not the share's"));
    }
}
