//! A key's secret sealed under a passphrase: Argon2id stretches the
//! passphrase (with a random 16-byte salt) into a 256-bit key, and
//! XChaCha20-Poly1305 (a random 24-byte nonce) encrypts the 32-byte secret.
//! The key's name, address and public key are the associated data, so a
//! file whose public fields were edited does not open. The parameters are
//! stored with the ciphertext so they can be raised later without breaking
//! old files; a file's parameters are bounded before use, so a hostile file
//! cannot make opening it allocate without limit.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand_core::{OsRng, RngCore};
use serde::{Deserialize, Serialize};
use thiserror::Error;
use zeroize::Zeroizing;

/// The key-derivation function of every sealed key.
pub const KDF: &str = "argon2id";
/// The cipher of every sealed key.
pub const CIPHER: &str = "xchacha20poly1305";
/// Shortest passphrase accepted for sealing (the Cosmos SDK's rule).
pub const MIN_PASSPHRASE_CHARS: usize = 8;

/// Argon2id's cost parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KdfParams {
    /// Memory, KiB.
    pub m_cost_kib: u32,
    /// Passes.
    pub t_cost: u32,
    /// Lanes.
    pub p_cost: u32,
}

/// What new keys are sealed with: 64 MiB, 3 passes, 1 lane (about a
/// quarter of a second to open on one core; OWASP's Argon2id floor is
/// 19 MiB and 2 passes).
pub const DEFAULT_PARAMS: KdfParams = KdfParams {
    m_cost_kib: 64 * 1024,
    t_cost: 3,
    p_cost: 1,
};

/// The most a stored file may ask for: 1 GiB, 64 passes, 16 lanes.
const MAX_PARAMS: KdfParams = KdfParams {
    m_cost_kib: 1024 * 1024,
    t_cost: 64,
    p_cost: 16,
};

const SALT_BYTES: usize = 16;
const NONCE_BYTES: usize = 24;
/// The 32-byte secret and the 16-byte tag.
const CIPHERTEXT_BYTES: usize = 48;

/// A sealed secret as stored in a key file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sealed {
    /// Always [`KDF`].
    pub kdf: String,
    /// Argon2id memory, KiB.
    pub m_cost_kib: u32,
    /// Argon2id passes.
    pub t_cost: u32,
    /// Argon2id lanes.
    pub p_cost: u32,
    /// The salt, hex.
    pub salt_hex: String,
    /// Always [`CIPHER`].
    pub cipher: String,
    /// The nonce, hex.
    pub nonce_hex: String,
    /// The encrypted secret and its tag, hex.
    pub ciphertext_hex: String,
}

/// Sealing or opening failed.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum SealError {
    /// The passphrase is wrong, or the file was altered.
    #[error("wrong passphrase (or the key file was altered)")]
    WrongPassphrase,
    /// A new passphrase is too short.
    #[error("the passphrase must be at least {MIN_PASSPHRASE_CHARS} characters")]
    ShortPassphrase,
    /// The sealed form is not one this version reads.
    #[error("{0}")]
    Malformed(String),
    /// The operating system's random number generator failed.
    #[error("no randomness: {0}")]
    Random(String),
}

fn derive_key(
    passphrase: &str,
    salt: &[u8],
    params: KdfParams,
) -> Result<Zeroizing<[u8; 32]>, SealError> {
    let argon_params =
        argon2::Params::new(params.m_cost_kib, params.t_cost, params.p_cost, Some(32))
            .map_err(|e| SealError::Malformed(format!("argon2id parameters: {e}")))?;
    let argon = argon2::Argon2::new(
        argon2::Algorithm::Argon2id,
        argon2::Version::V0x13,
        argon_params,
    );
    let mut key = Zeroizing::new([0u8; 32]);
    argon
        .hash_password_into(passphrase.as_bytes(), salt, key.as_mut())
        .map_err(|e| SealError::Malformed(format!("argon2id: {e}")))?;
    Ok(key)
}

/// Seals `secret` under `passphrase` (at least [`MIN_PASSPHRASE_CHARS`]),
/// bound to `associated` data.
pub fn seal(
    secret: &[u8; 32],
    passphrase: &str,
    associated: &[u8],
    params: KdfParams,
) -> Result<Sealed, SealError> {
    if passphrase.chars().count() < MIN_PASSPHRASE_CHARS {
        return Err(SealError::ShortPassphrase);
    }
    let mut salt = [0u8; SALT_BYTES];
    let mut nonce = [0u8; NONCE_BYTES];
    OsRng
        .try_fill_bytes(&mut salt)
        .and_then(|()| OsRng.try_fill_bytes(&mut nonce))
        .map_err(|e| SealError::Random(e.to_string()))?;
    let key = derive_key(passphrase, &salt, params)?;
    let cipher = XChaCha20Poly1305::new(key.as_ref().into());
    let ciphertext = cipher
        .encrypt(
            &XNonce::from(nonce),
            Payload {
                msg: secret,
                aad: associated,
            },
        )
        .map_err(|_| SealError::Malformed("encryption failed".to_string()))?;
    Ok(Sealed {
        kdf: KDF.to_string(),
        m_cost_kib: params.m_cost_kib,
        t_cost: params.t_cost,
        p_cost: params.p_cost,
        salt_hex: hex::encode(salt),
        cipher: CIPHER.to_string(),
        nonce_hex: hex::encode(nonce),
        ciphertext_hex: hex::encode(ciphertext),
    })
}

fn hex_field(name: &str, text: &str, len: usize) -> Result<Vec<u8>, SealError> {
    let bytes = hex::decode(text).map_err(|e| SealError::Malformed(format!("{name}: {e}")))?;
    if bytes.len() != len {
        return Err(SealError::Malformed(format!(
            "{name}: {} bytes, expected {len}",
            bytes.len()
        )));
    }
    Ok(bytes)
}

/// Opens `sealed` with `passphrase`; `associated` must be what it was
/// sealed with.
pub fn open(
    sealed: &Sealed,
    passphrase: &str,
    associated: &[u8],
) -> Result<Zeroizing<[u8; 32]>, SealError> {
    if sealed.kdf != KDF || sealed.cipher != CIPHER {
        return Err(SealError::Malformed(format!(
            "sealed with {}/{}, this version reads {KDF}/{CIPHER}",
            sealed.kdf, sealed.cipher
        )));
    }
    if sealed.m_cost_kib > MAX_PARAMS.m_cost_kib
        || sealed.t_cost > MAX_PARAMS.t_cost
        || sealed.p_cost > MAX_PARAMS.p_cost
    {
        return Err(SealError::Malformed(format!(
            "argon2id parameters m={} KiB t={} p={} exceed the most read (m={} KiB t={} p={})",
            sealed.m_cost_kib,
            sealed.t_cost,
            sealed.p_cost,
            MAX_PARAMS.m_cost_kib,
            MAX_PARAMS.t_cost,
            MAX_PARAMS.p_cost
        )));
    }
    let salt = hex_field("salt_hex", &sealed.salt_hex, SALT_BYTES)?;
    let nonce: [u8; NONCE_BYTES] = hex_field("nonce_hex", &sealed.nonce_hex, NONCE_BYTES)?
        .try_into()
        .map_err(|_| SealError::Malformed("nonce_hex: not 24 bytes".to_string()))?;
    let ciphertext = hex_field("ciphertext_hex", &sealed.ciphertext_hex, CIPHERTEXT_BYTES)?;
    let params = KdfParams {
        m_cost_kib: sealed.m_cost_kib,
        t_cost: sealed.t_cost,
        p_cost: sealed.p_cost,
    };
    let key = derive_key(passphrase, &salt, params)?;
    let cipher = XChaCha20Poly1305::new(key.as_ref().into());
    let plain = Zeroizing::new(
        cipher
            .decrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: &ciphertext,
                    aad: associated,
                },
            )
            .map_err(|_| SealError::WrongPassphrase)?,
    );
    let mut secret = Zeroizing::new([0u8; 32]);
    if plain.len() != 32 {
        return Err(SealError::Malformed(
            "the sealed secret is not 32 bytes".to_string(),
        ));
    }
    secret.copy_from_slice(&plain);
    Ok(secret)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Cheap parameters, so the tests run fast (the rules are the same).
    const FAST: KdfParams = KdfParams {
        m_cost_kib: 64,
        t_cost: 1,
        p_cost: 1,
    };

    #[test]
    fn seals_and_opens_bound_to_its_data() {
        let secret = [7u8; 32];
        let sealed = seal(&secret, "correct horse", b"alice", FAST).unwrap();
        assert_eq!(*open(&sealed, "correct horse", b"alice").unwrap(), secret);
        assert_eq!(
            open(&sealed, "wrong horse!", b"alice").unwrap_err(),
            SealError::WrongPassphrase
        );
        assert_eq!(
            open(&sealed, "correct horse", b"mallory").unwrap_err(),
            SealError::WrongPassphrase
        );
        // Fresh salt and nonce every time.
        let again = seal(&secret, "correct horse", b"alice", FAST).unwrap();
        assert_ne!(sealed.salt_hex, again.salt_hex);
        assert_ne!(sealed.ciphertext_hex, again.ciphertext_hex);
    }

    #[test]
    fn refuses_short_passphrases_and_hostile_files() {
        assert_eq!(
            seal(&[1; 32], "short", b"", FAST).unwrap_err(),
            SealError::ShortPassphrase
        );
        let good = seal(&[1; 32], "long enough", b"", FAST).unwrap();
        let tampered = |f: &dyn Fn(&mut Sealed)| {
            let mut s = good.clone();
            f(&mut s);
            open(&s, "long enough", b"").unwrap_err()
        };
        assert!(
            matches!(tampered(&|s| s.m_cost_kib = u32::MAX), SealError::Malformed(m) if m.contains("exceed"))
        );
        assert!(matches!(
            tampered(&|s| s.kdf = "scrypt".into()),
            SealError::Malformed(_)
        ));
        assert!(
            matches!(tampered(&|s| s.salt_hex = "00".into()), SealError::Malformed(m) if m.contains("salt_hex"))
        );
        assert!(
            matches!(tampered(&|s| s.nonce_hex = "zz".into()), SealError::Malformed(m) if m.contains("nonce_hex"))
        );
        let mut flipped = good.ciphertext_hex.clone().into_bytes();
        flipped[0] = if flipped[0] == b'0' { b'1' } else { b'0' };
        let flipped = String::from_utf8(flipped).unwrap();
        assert_eq!(
            tampered(&|s| s.ciphertext_hex = flipped.clone()),
            SealError::WrongPassphrase
        );
        assert!(
            matches!(tampered(&|s| s.t_cost = 0), SealError::Malformed(m) if m.contains("argon2id"))
        );
    }
}
