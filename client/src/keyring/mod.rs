//! A file keyring of secp256k1 signing keys, one file per key
//! (`<dir>/<name>.json`, mode 0600, the directory 0700), in one of two forms:
//!
//! - **encrypted** (`Storage::Encrypted`, what `quired keys add` writes by
//!   default): the secret sealed under a passphrase with Argon2id and
//!   XChaCha20-Poly1305 ([`sealed`]); the name, address and public key stay
//!   readable, so listing needs no passphrase;
//!
//!   ```json
//!   {"name": "alice", "address": "quire1...", "public_key_hex": "02...",
//!    "sealed": {"kdf": "argon2id", "m_cost_kib": 65536, "t_cost": 3, "p_cost": 1,
//!               "salt_hex": "...", "cipher": "xchacha20poly1305",
//!               "nonce_hex": "...", "ciphertext_hex": "..."}}
//!   ```
//!
//! - **plain** (`Storage::Plain`, `--keyring-backend test`): the secret in
//!   the clear, for tests and localnets only. Anyone who can read the file
//!   can spend the funds.
//!
//!   ```json
//!   {"name": "alice", "address": "quire1...", "private_key_hex": "<64 hex digits>"}
//!   ```
//!
//! Keys come from the OS's randomness, from a BIP-39 mnemonic at a BIP-44
//! path ([`mnemonic`]: coin type 118, as Keplr and cosmjs derive them), or
//! from a raw private key.

pub mod mnemonic;
pub mod sealed;

use cosmrs::crypto::secp256k1::SigningKey;
use quire_core::builder::address_of;
use rand_core::{OsRng, RngCore};
use sealed::{SealError, Sealed};
use serde::{Deserialize, Serialize};
use std::fs::{self, DirBuilder, File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use thiserror::Error;
use zeroize::Zeroizing;

/// Longest key name.
pub const MAX_NAME_LEN: usize = 64;

/// Largest key file read; real ones are under 1 KiB.
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
    /// A mnemonic or HD path that does not give a key.
    #[error("invalid mnemonic for key {name:?}: {reason}")]
    InvalidMnemonic {
        /// The key name.
        name: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The key is encrypted and no passphrase was given.
    #[error("key {name:?} is encrypted: a passphrase is needed (QUIRED_KEYRING_PASSPHRASE, or the prompt)")]
    Locked {
        /// The key name.
        name: String,
    },
    /// The passphrase does not open the key.
    #[error("wrong passphrase for key {name:?} (or its file {} was altered)", path.display())]
    WrongPassphrase {
        /// The key name.
        name: String,
        /// Its file.
        path: PathBuf,
    },
    /// Sealing a key failed (a short passphrase, no randomness).
    #[error("cannot encrypt key {name:?}: {reason}")]
    Sealing {
        /// The key name.
        name: String,
        /// What failed.
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

/// How a new key is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Storage {
    /// Sealed under the keyring's passphrase.
    Encrypted,
    /// In the clear (test networks only).
    Plain,
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
    /// Whether the secret is sealed under a passphrase.
    pub encrypted: bool,
}

/// On-disk form of a key: `private_key_hex` (plain) or `public_key_hex` and
/// `sealed` (encrypted).
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyFile {
    name: String,
    address: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    private_key_hex: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    public_key_hex: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sealed: Option<Sealed>,
}

/// A directory of key files (see the module documentation), with the
/// passphrase that opens and seals its encrypted keys, when given.
#[derive(Clone)]
pub struct Keyring {
    dir: PathBuf,
    passphrase: Option<Zeroizing<String>>,
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keyring")
            .field("dir", &self.dir)
            .field("passphrase", &self.passphrase.as_ref().map(|_| "<set>"))
            .finish()
    }
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

fn info(name: &str, key: &SigningKey, encrypted: bool) -> KeyInfo {
    KeyInfo {
        name: name.to_string(),
        address: address_of(key).to_bech32(),
        public_key: hex::encode(key.public_key().to_bytes()),
        encrypted,
    }
}

/// What a sealed secret is bound to: the key's public facts.
fn associated_data(name: &str, address: &str, public_key_hex: &str) -> Vec<u8> {
    [
        b"quire/keyring/v1\0".as_slice(),
        name.as_bytes(),
        b"\0",
        address.as_bytes(),
        b"\0",
        public_key_hex.as_bytes(),
    ]
    .concat()
}

impl Keyring {
    /// Opens the keyring in `dir`, creating the directory (mode 0700) if
    /// needed. Encrypted keys need [`Keyring::with_passphrase`].
    pub fn open(dir: &Path) -> Result<Keyring, KeyringError> {
        let dir = dir.to_path_buf();
        DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&dir)
            .map_err(io_error("create keyring directory", &dir))?;
        Ok(Keyring {
            dir,
            passphrase: None,
        })
    }

    /// The keyring with `passphrase` for its encrypted keys.
    pub fn with_passphrase(mut self, passphrase: impl Into<String>) -> Keyring {
        self.passphrase = Some(Zeroizing::new(passphrase.into()));
        self
    }

    /// The keyring's directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The file of key `name` (which need not exist).
    pub fn key_path(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{name}.json"))
    }

    /// Generates a new random key called `name`, stored plain; refuses an
    /// existing name.
    pub fn add(&self, name: &str) -> Result<KeyInfo, KeyringError> {
        validate_name(name)?;
        // `SigningKey::random()` cannot export its scalar, which this keyring
        // must store, so draw the 32 bytes from the OS here. A draw that is not
        // a valid scalar (probability ~2^-128) is retried.
        let mut last_error = String::new();
        for _ in 0..8 {
            let mut secret = Zeroizing::new([0u8; 32]);
            if let Err(e) = OsRng.try_fill_bytes(secret.as_mut()) {
                return Err(KeyringError::Random {
                    name: name.to_string(),
                    reason: e.to_string(),
                });
            }
            match SigningKey::from_slice(secret.as_ref()) {
                Ok(_) => return self.create(name, &secret, Storage::Plain),
                Err(e) => last_error = e.to_string(),
            }
        }
        Err(KeyringError::Random {
            name: name.to_string(),
            reason: format!("no valid scalar drawn: {last_error}"),
        })
    }

    /// Generates a new key from a new 24-word mnemonic (at
    /// [`mnemonic::DEFAULT_HD_PATH`]); returns the key and the mnemonic, the
    /// only way to recover the key once its file is lost.
    pub fn add_with_mnemonic(
        &self,
        name: &str,
        storage: Storage,
    ) -> Result<(KeyInfo, Zeroizing<String>), KeyringError> {
        validate_name(name)?;
        let phrase = mnemonic::generate().map_err(|reason| KeyringError::Random {
            name: name.to_string(),
            reason,
        })?;
        let info = self.recover(name, &phrase, mnemonic::DEFAULT_HD_PATH, storage)?;
        Ok((info, phrase))
    }

    /// Stores the key of mnemonic `phrase` at `hd_path` as `name`.
    pub fn recover(
        &self,
        name: &str,
        phrase: &str,
        hd_path: &str,
        storage: Storage,
    ) -> Result<KeyInfo, KeyringError> {
        validate_name(name)?;
        let secret =
            mnemonic::derive(phrase, hd_path).map_err(|reason| KeyringError::InvalidMnemonic {
                name: name.to_string(),
                reason,
            })?;
        self.create(name, &secret, storage)
    }

    /// Stores an existing private key (64 hex digits, optional `0x`) as
    /// `name`, plain.
    pub fn import(&self, name: &str, private_key_hex: &str) -> Result<KeyInfo, KeyringError> {
        self.import_hex(name, private_key_hex, Storage::Plain)
    }

    /// Stores an existing private key (64 hex digits, optional `0x`) as
    /// `name`.
    pub fn import_hex(
        &self,
        name: &str,
        private_key_hex: &str,
        storage: Storage,
    ) -> Result<KeyInfo, KeyringError> {
        validate_name(name)?;
        let secret =
            parse_secret(private_key_hex).map_err(|reason| KeyringError::InvalidPrivateKey {
                name: name.to_string(),
                reason,
            })?;
        self.create(name, &secret, storage)
    }

    /// The key of `name` as an encrypted key file, for `import_sealed`
    /// elsewhere: the file as it is if the key is encrypted, else sealed
    /// now under the keyring's passphrase.
    pub fn export_sealed(&self, name: &str) -> Result<String, KeyringError> {
        validate_name(name)?;
        let (stored, path) = self.read(name)?;
        if stored.sealed.is_some() {
            let secret = self.secret(name)?;
            drop(secret); // The passphrase opens it: the document is usable.
            return encode(&stored, &path);
        }
        let secret = self.secret(name)?;
        let document = self.key_file(name, &secret, Storage::Encrypted)?;
        encode(&document, &path)
    }

    /// Stores the key of an encrypted key `document` (from
    /// [`Keyring::export_sealed`], opened with this keyring's passphrase) as
    /// `name`.
    pub fn import_sealed(
        &self,
        name: &str,
        document: &str,
        storage: Storage,
    ) -> Result<KeyInfo, KeyringError> {
        validate_name(name)?;
        let source = PathBuf::from("<import>");
        let stored: KeyFile =
            serde_json::from_str(document).map_err(|e| KeyringError::Corrupt {
                path: source.clone(),
                reason: format!("not a key file: {e}"),
            })?;
        if stored.sealed.is_none() {
            return Err(KeyringError::Corrupt {
                path: source,
                reason: "not an encrypted key (no field sealed)".to_string(),
            });
        }
        let secret = self.open_file(&stored, &stored.name.clone(), &source)?;
        self.create(name, &secret, storage)
    }

    /// Removes key `name`.
    pub fn delete(&self, name: &str) -> Result<(), KeyringError> {
        validate_name(name)?;
        let path = self.key_path(name);
        match fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(KeyringError::NotFound {
                name: name.to_string(),
                path,
            }),
            Err(e) => Err(io_error("remove key file", &path)(e)),
        }
    }

    /// All keys, sorted by name, without opening encrypted ones. Files whose
    /// names are not `<valid name>.json` are ignored; a corrupt key file is
    /// an error.
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
            keys.push(self.show(name)?);
        }
        keys.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(keys)
    }

    /// The public facts about key `name` (an encrypted key is not opened).
    pub fn show(&self, name: &str) -> Result<KeyInfo, KeyringError> {
        validate_name(name)?;
        let (stored, path) = self.read(name)?;
        match (&stored.sealed, &stored.public_key_hex) {
            (Some(_), Some(public_key)) => {
                // Not opened, but consistent: the address is the public
                // key's (the secret is checked against both when opened).
                let derived = hex::decode(public_key)
                    .ok()
                    .filter(|k| k.len() == 33)
                    .map(|k| quire_core::Address::from_secp256k1(&k).to_bech32());
                if derived.as_deref() != Some(stored.address.as_str()) {
                    return Err(KeyringError::Corrupt {
                        path,
                        reason: format!(
                            "field address {:?} is not the address of field public_key_hex",
                            stored.address
                        ),
                    });
                }
                Ok(KeyInfo {
                    name: stored.name,
                    address: stored.address,
                    public_key: public_key.clone(),
                    encrypted: true,
                })
            }
            _ => Ok(info(name, &self.plain_key(&stored, &path)?, false)),
        }
    }

    /// Whether key `name` is encrypted (and so needs the passphrase).
    pub fn is_encrypted(&self, name: &str) -> Result<bool, KeyringError> {
        validate_name(name)?;
        Ok(self.read(name)?.0.sealed.is_some())
    }

    /// The signing key `name`.
    pub fn signing_key(&self, name: &str) -> Result<SigningKey, KeyringError> {
        let secret = self.secret(name)?;
        SigningKey::from_slice(secret.as_ref()).map_err(|e| KeyringError::Corrupt {
            path: self.key_path(name),
            reason: e.to_string(),
        })
    }

    /// The 32-byte secret of key `name` (for `keys export --unarmored-hex`).
    pub fn secret(&self, name: &str) -> Result<Zeroizing<[u8; 32]>, KeyringError> {
        validate_name(name)?;
        let (stored, path) = self.read(name)?;
        if stored.sealed.is_some() {
            return self.open_file(&stored, name, &path);
        }
        let secret =
            parse_secret(stored.private_key_hex.as_deref().unwrap_or_default()).map_err(|e| {
                KeyringError::Corrupt {
                    path: path.clone(),
                    reason: format!("field private_key_hex: {e}"),
                }
            })?;
        self.plain_key(&stored, &path)?;
        Ok(Zeroizing::new(secret))
    }

    /// Reads and parses `<dir>/<name>.json`, checking its name field.
    fn read(&self, name: &str) -> Result<(KeyFile, PathBuf), KeyringError> {
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
        match (
            &stored.private_key_hex,
            &stored.sealed,
            &stored.public_key_hex,
        ) {
            (Some(_), None, None) | (None, Some(_), Some(_)) => Ok((stored, path)),
            _ => Err(corrupt(
                "expected either private_key_hex, or public_key_hex and sealed".to_string(),
            )),
        }
    }

    /// The key of a plain file, checked against its address.
    fn plain_key(&self, stored: &KeyFile, path: &Path) -> Result<SigningKey, KeyringError> {
        let corrupt = |reason: String| KeyringError::Corrupt {
            path: path.to_path_buf(),
            reason,
        };
        let secret = Zeroizing::new(
            parse_secret(stored.private_key_hex.as_deref().unwrap_or_default())
                .map_err(|e| corrupt(format!("field private_key_hex: {e}")))?,
        );
        let key = SigningKey::from_slice(secret.as_ref())
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

    /// Opens a sealed file with the keyring's passphrase and checks the
    /// secret against the public fields.
    fn open_file(
        &self,
        stored: &KeyFile,
        name: &str,
        path: &Path,
    ) -> Result<Zeroizing<[u8; 32]>, KeyringError> {
        let corrupt = |reason: String| KeyringError::Corrupt {
            path: path.to_path_buf(),
            reason,
        };
        let (Some(sealed), Some(public_key)) = (&stored.sealed, &stored.public_key_hex) else {
            return Err(corrupt("not an encrypted key".to_string()));
        };
        let passphrase = self
            .passphrase
            .as_ref()
            .ok_or_else(|| KeyringError::Locked {
                name: name.to_string(),
            })?;
        let associated = associated_data(&stored.name, &stored.address, public_key);
        let secret = sealed::open(sealed, passphrase, &associated).map_err(|e| match e {
            SealError::WrongPassphrase => KeyringError::WrongPassphrase {
                name: name.to_string(),
                path: path.to_path_buf(),
            },
            other => corrupt(format!("field sealed: {other}")),
        })?;
        let key = SigningKey::from_slice(secret.as_ref())
            .map_err(|e| corrupt(format!("the sealed secret: {e}")))?;
        let facts = info(&stored.name, &key, true);
        if facts.address != stored.address || facts.public_key != *public_key {
            return Err(corrupt(
                "the sealed secret's address or public key differs from the file's".to_string(),
            ));
        }
        Ok(secret)
    }

    /// The key file of `secret` as `name`, stored as `storage` says.
    fn key_file(
        &self,
        name: &str,
        secret: &[u8; 32],
        storage: Storage,
    ) -> Result<KeyFile, KeyringError> {
        let key = SigningKey::from_slice(secret).map_err(|e| KeyringError::InvalidPrivateKey {
            name: name.to_string(),
            reason: format!("not a valid secp256k1 private key: {e}"),
        })?;
        let facts = info(name, &key, storage == Storage::Encrypted);
        Ok(match storage {
            Storage::Plain => KeyFile {
                name: name.to_string(),
                address: facts.address,
                private_key_hex: Some(hex::encode(secret)),
                public_key_hex: None,
                sealed: None,
            },
            Storage::Encrypted => {
                let passphrase = self
                    .passphrase
                    .as_ref()
                    .ok_or_else(|| KeyringError::Locked {
                        name: name.to_string(),
                    })?;
                let associated = associated_data(name, &facts.address, &facts.public_key);
                let sealed = sealed::seal(secret, passphrase, &associated, sealed::DEFAULT_PARAMS)
                    .map_err(|e| KeyringError::Sealing {
                        name: name.to_string(),
                        reason: e.to_string(),
                    })?;
                KeyFile {
                    name: name.to_string(),
                    address: facts.address,
                    private_key_hex: None,
                    public_key_hex: Some(facts.public_key),
                    sealed: Some(sealed),
                }
            }
        })
    }

    /// Writes a new key file (mode 0600) of `secret` as `name`; refuses to
    /// replace one.
    pub fn create(
        &self,
        name: &str,
        secret: &[u8; 32],
        storage: Storage,
    ) -> Result<KeyInfo, KeyringError> {
        validate_name(name)?;
        let path = self.key_path(name);
        if path.exists() {
            return Err(KeyringError::Exists {
                name: name.to_string(),
                path,
            });
        }
        let stored = self.key_file(name, secret, storage)?;
        let json = encode(&stored, &path)?;
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
        if let Err(e) = file
            .write_all(json.as_bytes())
            .and_then(|()| file.sync_all())
        {
            let _ = fs::remove_file(&path);
            return Err(io_error("write key file", &path)(e));
        }
        // What was written, read back as every later read will see it.
        self.show(name)
    }
}

/// A key file as pretty JSON with a final newline.
fn encode(stored: &KeyFile, path: &Path) -> Result<String, KeyringError> {
    let mut json = serde_json::to_string_pretty(stored).map_err(|e| KeyringError::Io {
        action: "encode key file",
        path: path.to_path_buf(),
        source: std::io::Error::other(e),
    })?;
    json.push('\n');
    Ok(json)
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
    let bytes = Zeroizing::new(hex::decode(digits).map_err(|e| format!("not hex: {e}"))?);
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

    const PASSPHRASE: &str = "a long passphrase";
    const ABANDON: &str = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";

    #[test]
    fn encrypted_keys_need_their_passphrase() {
        let tmp = TempDir::new();
        let keyring = Keyring::open(&tmp.0).unwrap().with_passphrase(PASSPHRASE);
        let info = keyring
            .recover(
                "alice",
                ABANDON,
                mnemonic::DEFAULT_HD_PATH,
                Storage::Encrypted,
            )
            .unwrap();
        assert!(info.encrypted);
        let path = tmp.0.join("alice.json");
        assert_eq!(mode(&path), 0o600);
        let text = fs::read_to_string(&path).unwrap();
        let secret = hex::encode(*mnemonic::derive(ABANDON, mnemonic::DEFAULT_HD_PATH).unwrap());
        assert!(
            !text.contains(&secret),
            "the secret is in the clear: {text}"
        );
        assert!(!text.contains("private_key_hex"), "{text}");

        // Listing and showing need no passphrase; signing does.
        let locked = Keyring::open(&tmp.0).unwrap();
        assert_eq!(locked.list().unwrap(), vec![info.clone()]);
        assert_eq!(locked.show("alice").unwrap(), info);
        assert!(locked.is_encrypted("alice").unwrap());
        let err = locked.signing_key("alice").err().unwrap();
        assert!(matches!(err, KeyringError::Locked { .. }), "{err}");
        let wrong = locked.clone().with_passphrase("not the passphrase");
        let err = wrong.signing_key("alice").err().unwrap();
        assert!(matches!(err, KeyringError::WrongPassphrase { .. }), "{err}");
        let key = locked
            .with_passphrase(PASSPHRASE)
            .signing_key("alice")
            .unwrap();
        assert_eq!(address_of(&key).to_bech32(), info.address);

        // A file whose public fields were edited does not open.
        let other = Keyring::open(&tmp.0).unwrap().add("bob").unwrap();
        fs::write(
            tmp.0.join("mallory.json"),
            text.replace("\"alice\"", "\"mallory\""),
        )
        .unwrap();
        let err = keyring.signing_key("mallory").err().unwrap();
        assert!(matches!(err, KeyringError::WrongPassphrase { .. }), "{err}");
        fs::write(
            tmp.0.join("carol.json"),
            text.replace("\"alice\"", "\"carol\"")
                .replace(&info.address, &other.address),
        )
        .unwrap();
        let err = keyring.show("carol").unwrap_err();
        assert!(
            matches!(err, KeyringError::Corrupt { .. })
                && err.to_string().contains("public_key_hex"),
            "{err}"
        );
        let err = keyring.signing_key("carol").err().unwrap();
        assert!(matches!(err, KeyringError::WrongPassphrase { .. }), "{err}");
    }

    #[test]
    fn new_encrypted_keys_come_with_a_mnemonic_that_recovers_them() {
        let tmp = TempDir::new();
        let keyring = Keyring::open(&tmp.0).unwrap().with_passphrase(PASSPHRASE);
        let (info, phrase) = keyring
            .add_with_mnemonic("alice", Storage::Encrypted)
            .unwrap();
        assert_eq!(phrase.split(' ').count(), 24);
        let plain = keyring
            .recover("again", &phrase, mnemonic::DEFAULT_HD_PATH, Storage::Plain)
            .unwrap();
        assert_eq!(plain.address, info.address);
        assert!(!plain.encrypted);
        let err = keyring
            .recover(
                "bad",
                "abandon abandon",
                mnemonic::DEFAULT_HD_PATH,
                Storage::Plain,
            )
            .unwrap_err();
        assert!(matches!(err, KeyringError::InvalidMnemonic { .. }), "{err}");
        // Sealing needs a passphrase, and a long enough one.
        let err = Keyring::open(&tmp.0)
            .unwrap()
            .add_with_mnemonic("nopass", Storage::Encrypted)
            .unwrap_err();
        assert!(matches!(err, KeyringError::Locked { .. }), "{err}");
        let err = Keyring::open(&tmp.0)
            .unwrap()
            .with_passphrase("short")
            .add_with_mnemonic("short", Storage::Encrypted)
            .unwrap_err();
        assert!(err.to_string().contains("at least 8"), "{err}");
        assert!(!tmp.0.join("nopass.json").exists() && !tmp.0.join("short.json").exists());
    }

    #[test]
    fn export_and_import_move_keys_sealed() {
        let from = TempDir::new();
        let to = TempDir::new();
        let source = Keyring::open(&from.0).unwrap().with_passphrase(PASSPHRASE);
        let plain = source.import("plain", SECRET).unwrap();
        let sealed_key = source
            .recover(
                "sealed",
                ABANDON,
                mnemonic::DEFAULT_HD_PATH,
                Storage::Encrypted,
            )
            .unwrap();
        let target = Keyring::open(&to.0).unwrap().with_passphrase(PASSPHRASE);
        for (name, original) in [("plain", &plain), ("sealed", &sealed_key)] {
            let document = source.export_sealed(name).unwrap();
            assert!(!document.contains(SECRET), "{document}");
            let imported = target
                .import_sealed(&format!("{name}2"), &document, Storage::Encrypted)
                .unwrap();
            assert_eq!(imported.address, original.address);
            let err = Keyring::open(&to.0)
                .unwrap()
                .with_passphrase("another passphrase")
                .import_sealed("x", &document, Storage::Plain)
                .unwrap_err();
            assert!(matches!(err, KeyringError::WrongPassphrase { .. }), "{err}");
        }
        let err = target
            .import_sealed(
                "y",
                &fs::read_to_string(from.0.join("plain.json")).unwrap(),
                Storage::Plain,
            )
            .unwrap_err();
        assert!(err.to_string().contains("not an encrypted key"), "{err}");
        assert_eq!(*target.secret("plain2").unwrap(), [1u8; 32]);

        target.delete("plain2").unwrap();
        assert!(matches!(
            target.show("plain2"),
            Err(KeyringError::NotFound { .. })
        ));
        assert!(matches!(
            target.delete("plain2"),
            Err(KeyringError::NotFound { .. })
        ));
    }
}
