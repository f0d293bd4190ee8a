//! A file keyring of secp256k1 signing keys.
//!
//! **Unencrypted: for tests, localnets and operators who protect the directory
//! themselves.** Each key is stored in the clear as `<dir>/<name>.json`:
//!
//! ```json
//! {"name": "alice", "address": "quire1...", "private_key_hex": "<64 hex digits>"}
//! ```
//!
//! Files are created with mode 0600 and the directory with mode 0700, so only
//! the owner can read them, but anyone who can read them can spend the funds.
//! Do not hold real value in it.

use cosmrs::crypto::secp256k1::SigningKey;
use quire_core::builder::address_of;
use rand_core::{OsRng, RngCore};
use serde::{Deserialize, Serialize};
use std::fs::{self, DirBuilder, File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use thiserror::Error;

/// Longest key name.
pub const MAX_NAME_LEN: usize = 64;

/// Largest key file read; real ones are about 150 bytes.
const MAX_KEY_FILE_BYTES: u64 = 64 * 1024;

/// A keyring operation failed. Every variant names the key or the file.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum KeyringError {
    /// The name is not 1-64 characters of `[a-zA-Z0-9_-]`.
    #[error("invalid key name {name:?}: {reason}")]
    InvalidName {
        /// The name given.
        name: String,
        /// What is wrong with it.
        reason: String,
    },
    /// `add`/`import` of a name that already has a key.
    #[error("key {name:?} already exists in {}", path.display())]
    Exists {
        /// The key name.
        name: String,
        /// Its file.
        path: PathBuf,
    },
    /// No key of that name.
    #[error("key {name:?} not found: {} does not exist", path.display())]
    NotFound {
        /// The key name.
        name: String,
        /// The file that was looked for.
        path: PathBuf,
    },
    /// `import` of text that is not a secp256k1 private key.
    #[error("invalid private key for key {name:?}: {reason}")]
    InvalidPrivateKey {
        /// The key name.
        name: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A key file exists but cannot be used.
    #[error("key file {} is corrupt: {reason}", path.display())]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// A file system operation failed.
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        /// What was being done ("create keyring directory", "read key file", ...).
        action: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The operating system's random number generator failed.
    #[error("cannot generate key {name:?}: {reason}")]
    Random {
        /// The key name.
        name: String,
        /// What failed.
        reason: String,
    },
}

/// The public facts about a key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyInfo {
    /// Key name.
    pub name: String,
    /// Bech32 account address (`quire1...`).
    pub address: String,
    /// Compressed secp256k1 public key, hex (66 digits).
    pub public_key: String,
}

/// On-disk form of a key.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyFile {
    name: String,
    address: String,
    private_key_hex: String,
}

/// A directory of unencrypted key files (see the module documentation).
#[derive(Debug, Clone)]
pub struct Keyring {
    dir: PathBuf,
}

/// Checks a key name: 1-64 characters of `[a-zA-Z0-9_-]`.
pub fn validate_name(name: &str) -> Result<(), KeyringError> {
    let invalid = |reason: &str| {
        Err(KeyringError::InvalidName {
            name: name.to_string(),
            reason: reason.to_string(),
        })
    };
    if name.is_empty() || name.len() > MAX_NAME_LEN {
        return invalid("must be 1-64 characters long");
    }
    if !name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        return invalid("may only contain letters, digits, '_' and '-'");
    }
    Ok(())
}

fn io_error<'a>(
    action: &'static str,
    path: &'a Path,
) -> impl FnOnce(std::io::Error) -> KeyringError + 'a {
    move |source| KeyringError::Io {
        action,
        path: path.to_path_buf(),
        source,
    }
}

fn info(name: &str, key: &SigningKey) -> KeyInfo {
    KeyInfo {
        name: name.to_string(),
        address: address_of(key).to_bech32(),
        public_key: hex::encode(key.public_key().to_bytes()),
    }
}

impl Keyring {
    /// Opens the keyring in `dir`, creating the directory (mode 0700) if needed.
    pub fn open(dir: &Path) -> Result<Keyring, KeyringError> {
        let dir = dir.to_path_buf();
        DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&dir)
            .map_err(io_error("create keyring directory", &dir))?;
        Ok(Keyring { dir })
    }

    /// The keyring's directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The file of key `name` (which need not exist).
    pub fn key_path(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{name}.json"))
    }

    /// Generates a new random key called `name`; refuses an existing name.
    pub fn add(&self, name: &str) -> Result<KeyInfo, KeyringError> {
        validate_name(name)?;
        // `SigningKey::random()` cannot export its scalar, which this keyring
        // must store, so draw the 32 bytes from the OS here. A draw that is not
        // a valid scalar (probability ~2^-128) is retried.
        let mut last_error = String::new();
        for _ in 0..8 {
            let mut secret = [0u8; 32];
            if let Err(e) = OsRng.try_fill_bytes(&mut secret) {
                return Err(KeyringError::Random {
                    name: name.to_string(),
                    reason: e.to_string(),
                });
            }
            match SigningKey::from_slice(&secret) {
                Ok(key) => return self.store(name, &key, &secret),
                Err(e) => last_error = e.to_string(),
            }
        }
        Err(KeyringError::Random {
            name: name.to_string(),
            reason: format!("no valid scalar drawn: {last_error}"),
        })
    }

    /// Stores an existing private key (64 hex digits, optional `0x`) as `name`.
    pub fn import(&self, name: &str, private_key_hex: &str) -> Result<KeyInfo, KeyringError> {
        validate_name(name)?;
        let invalid = |reason: String| KeyringError::InvalidPrivateKey {
            name: name.to_string(),
            reason,
        };
        let secret = parse_secret(private_key_hex).map_err(invalid)?;
        let key = SigningKey::from_slice(&secret)
            .map_err(|e| invalid(format!("not a valid secp256k1 private key: {e}")))?;
        self.store(name, &key, &secret)
    }

    /// All keys, sorted by name. Files whose names are not `<valid name>.json`
    /// are ignored; a corrupt key file is an error.
    pub fn list(&self) -> Result<Vec<KeyInfo>, KeyringError> {
        let entries =
            fs::read_dir(&self.dir).map_err(io_error("list keyring directory", &self.dir))?;
        let mut keys = Vec::new();
        for entry in entries {
            let entry = entry.map_err(io_error("list keyring directory", &self.dir))?;
            let file_name = entry.file_name();
            let Some(name) = file_name.to_str().and_then(|f| f.strip_suffix(".json")) else {
                continue;
            };
            if validate_name(name).is_err() {
                continue;
            }
            let key = self.load(name)?;
            keys.push(info(name, &key));
        }
        keys.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(keys)
    }

    /// The public facts about key `name`.
    pub fn show(&self, name: &str) -> Result<KeyInfo, KeyringError> {
        Ok(info(name, &self.signing_key(name)?))
    }

    /// The signing key `name`.
    pub fn signing_key(&self, name: &str) -> Result<SigningKey, KeyringError> {
        validate_name(name)?;
        self.load(name)
    }

    /// Reads and checks `<dir>/<name>.json`.
    fn load(&self, name: &str) -> Result<SigningKey, KeyringError> {
        let path = self.key_path(name);
        let file = match File::open(&path) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(KeyringError::NotFound {
                    name: name.to_string(),
                    path,
                })
            }
            Err(e) => return Err(io_error("read key file", &path)(e)),
        };
        let mut text = Vec::new();
        file.take(MAX_KEY_FILE_BYTES + 1)
            .read_to_end(&mut text)
            .map_err(io_error("read key file", &path))?;
        let corrupt = |reason: String| KeyringError::Corrupt {
            path: path.clone(),
            reason,
        };
        if text.len() as u64 > MAX_KEY_FILE_BYTES {
            return Err(corrupt(format!("larger than {MAX_KEY_FILE_BYTES} bytes")));
        }
        let stored: KeyFile =
            serde_json::from_slice(&text).map_err(|e| corrupt(format!("not a key file: {e}")))?;
        if stored.name != name {
            return Err(corrupt(format!(
                "field name is {:?}, expected {name:?} (the file name)",
                stored.name
            )));
        }
        let secret = parse_secret(&stored.private_key_hex)
            .map_err(|e| corrupt(format!("field private_key_hex: {e}")))?;
        let key = SigningKey::from_slice(&secret)
            .map_err(|e| corrupt(format!("field private_key_hex: {e}")))?;
        let address = address_of(&key).to_bech32();
        if stored.address != address {
            return Err(corrupt(format!(
                "field address is {:?} but the private key's address is {address}",
                stored.address
            )));
        }
        Ok(key)
    }

    /// Writes a new key file with mode 0600; refuses to replace one.
    fn store(
        &self,
        name: &str,
        key: &SigningKey,
        secret: &[u8; 32],
    ) -> Result<KeyInfo, KeyringError> {
        let path = self.key_path(name);
        let info = info(name, key);
        let stored = KeyFile {
            name: name.to_string(),
            address: info.address.clone(),
            private_key_hex: hex::encode(secret),
        };
        let mut json = serde_json::to_vec_pretty(&stored).map_err(|e| KeyringError::Io {
            action: "encode key file",
            path: path.clone(),
            source: std::io::Error::other(e),
        })?;
        json.push(b'\n');
        let mut file = match OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
        {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                return Err(KeyringError::Exists {
                    name: name.to_string(),
                    path,
                })
            }
            Err(e) => return Err(io_error("create key file", &path)(e)),
        };
        if let Err(e) = file.write_all(&json).and_then(|()| file.sync_all()) {
            let _ = fs::remove_file(&path);
            return Err(io_error("write key file", &path)(e));
        }
        Ok(info)
    }
}

/// Parses 64 hex digits (optionally `0x`-prefixed) into a 32-byte secret.
fn parse_secret(text: &str) -> Result<[u8; 32], String> {
    let text = text.trim();
    let digits = text.strip_prefix("0x").unwrap_or(text);
    if digits.len() != 64 {
        return Err(format!(
            "expected 64 hex digits, got {} characters",
            digits.len()
        ));
    }
    let bytes = hex::decode(digits).map_err(|e| format!("not hex: {e}"))?;
    <[u8; 32]>::try_from(bytes.as_slice())
        .map_err(|_| format!("expected 32 bytes, got {}", bytes.len()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    /// A directory under the system temp dir, removed on drop.
    struct TempDir(PathBuf);

    impl TempDir {
        fn new() -> TempDir {
            use std::sync::atomic::{AtomicUsize, Ordering};
            static NEXT: AtomicUsize = AtomicUsize::new(0);
            let n = NEXT.fetch_add(1, Ordering::Relaxed);
            let path =
                std::env::temp_dir().join(format!("quire-keyring-test-{}-{n}", std::process::id()));
            let _ = fs::remove_dir_all(&path);
            fs::create_dir_all(&path).unwrap();
            TempDir(path)
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    fn mode(path: &Path) -> u32 {
        fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    const SECRET: &str = "0101010101010101010101010101010101010101010101010101010101010101";

    #[test]
    fn add_stores_a_private_file_and_round_trips() {
        let tmp = TempDir::new();
        let dir = tmp.0.join("keyring");
        let keyring = Keyring::open(&dir).unwrap();
        assert_eq!(mode(&dir), 0o700);
        let alice = keyring.add("alice").unwrap();
        assert!(alice.address.starts_with("quire1"), "{alice:?}");
        assert_eq!(alice.public_key.len(), 66);
        let path = dir.join("alice.json");
        assert_eq!(mode(&path), 0o600);

        let stored: serde_json::Value = serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
        assert_eq!(stored["name"], "alice");
        assert_eq!(stored["address"], alice.address.as_str());
        assert_eq!(stored["private_key_hex"].as_str().unwrap().len(), 64);

        // A reopened keyring gives the same key back.
        let reopened = Keyring::open(&dir).unwrap();
        assert_eq!(reopened.show("alice").unwrap(), alice);
        let key = reopened.signing_key("alice").unwrap();
        assert_eq!(address_of(&key).to_bech32(), alice.address);
        assert_eq!(hex::encode(key.public_key().to_bytes()), alice.public_key);

        let bob = keyring.add("bob").unwrap();
        assert_ne!(bob.address, alice.address, "two random keys collided");
    }

    #[test]
    fn refuses_an_existing_name_and_keeps_the_old_key() {
        let tmp = TempDir::new();
        let keyring = Keyring::open(&tmp.0).unwrap();
        let first = keyring.add("alice").unwrap();
        let err = keyring.add("alice").unwrap_err();
        assert!(matches!(err, KeyringError::Exists { .. }), "{err}");
        assert!(err.to_string().contains("alice.json"), "{err}");
        let err = keyring.import("alice", SECRET).unwrap_err();
        assert!(matches!(err, KeyringError::Exists { .. }), "{err}");
        assert_eq!(keyring.show("alice").unwrap(), first);
    }

    #[test]
    fn names_are_checked() {
        let tmp = TempDir::new();
        let keyring = Keyring::open(&tmp.0).unwrap();
        for bad in ["", "a/b", "../x", "a b", "é", "x.json", &"a".repeat(65)] {
            let err = keyring.add(bad).unwrap_err();
            assert!(
                matches!(err, KeyringError::InvalidName { .. }),
                "{bad:?}: {err}"
            );
            assert!(
                matches!(keyring.show(bad), Err(KeyringError::InvalidName { .. })),
                "{bad:?}"
            );
        }
        keyring.add(&"a".repeat(64)).unwrap();
        keyring.add("A-z_09").unwrap();
        assert_eq!(fs::read_dir(&tmp.0).unwrap().count(), 2);
    }

    #[test]
    fn import_derives_the_cosmos_address() {
        let tmp = TempDir::new();
        let keyring = Keyring::open(&tmp.0).unwrap();
        let info = keyring.import("k", &format!("0x{SECRET}\n")).unwrap();
        let expected = SigningKey::from_slice(&[1u8; 32])
            .unwrap()
            .public_key()
            .account_id("quire")
            .unwrap();
        assert_eq!(info.address, expected.to_string());
        let stored = fs::read_to_string(tmp.0.join("k.json")).unwrap();
        assert!(stored.contains(SECRET), "{stored}");
    }

    #[test]
    fn import_rejects_bad_private_keys() {
        let tmp = TempDir::new();
        let keyring = Keyring::open(&tmp.0).unwrap();
        let zero = "0".repeat(64);
        let order = "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141";
        for bad in ["", "abcd", &"zz".repeat(32), &zero, order] {
            let err = keyring.import("k", bad).unwrap_err();
            assert!(
                matches!(err, KeyringError::InvalidPrivateKey { .. }),
                "{bad:?}: {err}"
            );
            assert!(err.to_string().contains("\"k\""), "{err}");
        }
        assert!(!tmp.0.join("k.json").exists());
    }

    #[test]
    fn missing_keys_name_the_file() {
        let tmp = TempDir::new();
        let keyring = Keyring::open(&tmp.0).unwrap();
        let err = keyring.signing_key("nobody").err().unwrap();
        assert!(matches!(err, KeyringError::NotFound { .. }), "{err}");
        assert!(err.to_string().contains("nobody.json"), "{err}");
    }

    #[test]
    fn corrupt_files_are_reported() {
        let tmp = TempDir::new();
        let keyring = Keyring::open(&tmp.0).unwrap();
        keyring.import("good", SECRET).unwrap();
        let good = fs::read_to_string(tmp.0.join("good.json")).unwrap();

        let cases = [
            ("garbage", "not json".to_string(), "not a key file"),
            ("renamed", good.clone(), "field name"),
            (
                "tampered",
                good.replace(SECRET, &"02".repeat(32))
                    .replace("good", "tampered"),
                "field address",
            ),
            (
                "badhex",
                good.replace(SECRET, "xyz").replace("good", "badhex"),
                "field private_key_hex",
            ),
        ];
        for (name, text, expected) in cases {
            fs::write(tmp.0.join(format!("{name}.json")), text).unwrap();
            let err = keyring.signing_key(name).err().unwrap();
            let message = err.to_string();
            assert!(matches!(err, KeyringError::Corrupt { .. }), "{message}");
            assert!(
                message.contains(&format!("{name}.json")) && message.contains(expected),
                "{message}"
            );
        }
        // list() reports the first corrupt file rather than hiding it.
        assert!(matches!(keyring.list(), Err(KeyringError::Corrupt { .. })));
    }

    #[test]
    fn list_is_sorted_and_ignores_other_files() {
        let tmp = TempDir::new();
        let keyring = Keyring::open(&tmp.0).unwrap();
        assert!(keyring.list().unwrap().is_empty());
        let carol = keyring.add("carol").unwrap();
        let alice = keyring.add("alice").unwrap();
        fs::write(tmp.0.join("README"), "notes").unwrap();
        fs::write(tmp.0.join("bad name.json"), "{}").unwrap();
        fs::create_dir(tmp.0.join("sub")).unwrap();
        assert_eq!(keyring.list().unwrap(), vec![alice, carol]);
    }
}
