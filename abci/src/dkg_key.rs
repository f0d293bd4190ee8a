//! The validator's key-generation secret, `<home>/config/dkg_key.json`
//! (mode 0600): with it the validator deals, acknowledges and logs in the
//! on-chain key generation and derives its share of each epoch key from
//! the chain (docs/blind-ordering.md, "Key generation"). `quired init`
//! makes it and prints its public keys, which genesis lists
//! (`app_state.encryption.dkg.players[].dkg_key`). It is not the consensus
//! key; losing it loses only this validator's part in the next epochs.

use crate::secret_file::SecretFileError;
use quire_tpke::dkg::{DkgPublic, DkgSecret};
use rand_core::{OsRng, RngCore};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyFile {
    /// The public keys (hex of identity ‖ sealing key), as genesis lists
    /// them (checked on load).
    public: String,
    /// The 32-byte secret, hex.
    secret: String,
}

/// Where a home keeps its key-generation secret.
pub fn path(home: &Path) -> PathBuf {
    home.join("config").join("dkg_key.json")
}

/// Loads the secret at `path`.
pub fn load(path: &Path) -> Result<DkgSecret, SecretFileError> {
    let invalid = |reason: String| SecretFileError::Invalid {
        path: path.to_path_buf(),
        reason,
    };
    let text = crate::secret_file::read(path).map_err(|source| SecretFileError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let file: KeyFile = serde_json::from_str(&text)
        .map_err(|e| invalid(format!("not a key-generation secret file: {e}")))?;
    let mut seed = [0u8; 32];
    hex::decode_to_slice(file.secret.trim_start_matches("0x"), &mut seed)
        .map_err(|_| invalid("secret is not 32 bytes of hex".into()))?;
    let secret = DkgSecret::from_bytes(seed);
    let public = public_hex(&secret.public());
    if public != file.public.trim_start_matches("0x") {
        return Err(invalid(format!(
            "public {} is not the secret's ({public})",
            file.public
        )));
    }
    Ok(secret)
}

/// Loads the secret at `path` if the file exists.
pub fn load_if_present(path: &Path) -> Result<Option<DkgSecret>, SecretFileError> {
    crate::secret_file::load_if_present(path, load)
}

/// The public keys as genesis lists them: hex.
pub fn public_hex(public: &DkgPublic) -> String {
    hex::encode(public.to_bytes())
}

/// Writes a new random secret to `path` (mode 0600); refuses to replace a
/// file.
pub fn generate(path: &Path) -> Result<DkgSecret, SecretFileError> {
    let mut seed = [0u8; 32];
    OsRng
        .try_fill_bytes(&mut seed)
        .map_err(|e| SecretFileError::Random(e.to_string()))?;
    let secret = DkgSecret::from_bytes(seed);
    let text = serde_json::to_string_pretty(&KeyFile {
        public: public_hex(&secret.public()),
        secret: hex::encode(seed),
    })
    .map_err(|e| SecretFileError::Invalid {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })?;
    crate::secret_file::write_new(path, &text).map_err(|source| SecretFileError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(secret)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn a_generated_secret_loads_back_private_and_is_never_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("dkg_key.json");
        let secret = generate(&path).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        assert_eq!(load(&path).unwrap().to_bytes(), secret.to_bytes());
        assert!(generate(&path).is_err(), "never replaced");
        let text = std::fs::read_to_string(&path).unwrap();
        let tampered = text.replacen("\"public\": \"", "\"public\": \"00", 1);
        std::fs::write(&path, tampered).unwrap();
        let err = load(&path).unwrap_err().to_string();
        assert!(err.contains("is not the secret's"), "{err}");
        assert!(load_if_present(&dir.path().join("none")).unwrap().is_none());
    }
}
