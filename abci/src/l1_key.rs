//! The validator's L1 key file, `<home>/config/l1_signer_key.json` (mode
//! 0600): the secp256k1 key that signs each height's checkpoint for the L1
//! anchor (docs/l1.md). `quired init` creates it; `quired start` loads it.
//! Like CometBFT's `priv_validator_key.json`, it is a hot key: keep it on
//! the validator and back it up.

use crate::secret_file::SecretFileError;
use quire_core::l1::{L1Address, L1Signer};
use rand_core::{OsRng, RngCore};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyFile {
    /// The key's address (checked on load).
    address: L1Address,
    /// The 32-byte secret scalar, hex.
    secret_key: String,
}

/// Where a home keeps its L1 key.
pub fn path(home: &Path) -> PathBuf {
    home.join("config").join("l1_signer_key.json")
}

/// Loads the key at `path`.
pub fn load(path: &Path) -> Result<L1Signer, SecretFileError> {
    let invalid = |reason: String| SecretFileError::Invalid {
        path: path.to_path_buf(),
        reason,
    };
    let io = |source| SecretFileError::Io {
        path: path.to_path_buf(),
        source,
    };
    let text = crate::secret_file::read(path).map_err(io)?;
    let file: KeyFile =
        serde_json::from_str(&text).map_err(|e| invalid(format!("not an L1 key file: {e}")))?;
    let mut secret = [0u8; 32];
    hex::decode_to_slice(file.secret_key.trim_start_matches("0x"), &mut secret)
        .map_err(|_| invalid("secret_key is not 32 bytes of hex".into()))?;
    let signer = L1Signer::from_secret(&secret).map_err(|e| invalid(e.to_string()))?;
    if signer.address() != file.address {
        return Err(invalid(format!(
            "address {} is not the key's ({})",
            file.address,
            signer.address()
        )));
    }
    Ok(signer)
}

/// Loads the key at `path` if the file exists.
pub fn load_if_present(path: &Path) -> Result<Option<L1Signer>, SecretFileError> {
    crate::secret_file::load_if_present(path, load)
}

/// Writes a new random key to `path` (mode 0600); refuses to replace a file.
pub fn generate(path: &Path) -> Result<L1Signer, SecretFileError> {
    let mut signer = None;
    for _ in 0..8 {
        let mut secret = [0u8; 32];
        OsRng
            .try_fill_bytes(&mut secret)
            .map_err(|e| SecretFileError::Random(e.to_string()))?;
        if let Ok(key) = L1Signer::from_secret(&secret) {
            signer = Some(key);
            break;
        }
    }
    let signer = signer.ok_or_else(|| SecretFileError::Random("no valid scalar drawn".into()))?;
    save(path, &signer)?;
    Ok(signer)
}

/// Writes `signer` to `path` (mode 0600); refuses to replace a file.
pub fn save(path: &Path, signer: &L1Signer) -> Result<(), SecretFileError> {
    let io = |source| SecretFileError::Io {
        path: path.to_path_buf(),
        source,
    };
    let text = serde_json::to_string_pretty(&KeyFile {
        address: signer.address(),
        secret_key: hex::encode(signer.secret()),
    })
    .map_err(|e| SecretFileError::Invalid {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })?;
    crate::secret_file::write_new(path, &text).map_err(io)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn generated_keys_load_back_private_and_are_never_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("l1.json");
        let signer = generate(&path).unwrap();
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert_eq!(load(&path).unwrap().address(), signer.address());
        assert!(generate(&path).is_err());
        assert!(load_if_present(&dir.path().join("none")).unwrap().is_none());
        // A file whose address is not its key's is refused.
        let text = std::fs::read_to_string(&path).unwrap();
        let other = text.replace(
            &signer.address().to_checksum(),
            "0x0000000000000000000000000000000000000001",
        );
        let bad = dir.path().join("bad.json");
        std::fs::write(&bad, other).unwrap();
        assert!(load(&bad)
            .unwrap_err()
            .to_string()
            .contains("not the key's"));
    }
}
