//! Secrets a command asks its user for: a keyring passphrase and a
//! mnemonic. On a terminal they are read without echo; otherwise one line of
//! standard input each, in the order the command asks (so scripts can pipe
//! them in); a passphrase may also come from `QUIRED_KEYRING_PASSPHRASE`.

use anyhow::{bail, Context};
use quire_client::keyring::sealed::MIN_PASSPHRASE_CHARS;
use quire_client::keyring::Keyring;
use std::io::{BufRead, IsTerminal, Read};
use zeroize::Zeroizing;

/// The environment variable a passphrase may come from (for scripts; it is
/// visible to the user's other processes, so prefer the prompt).
pub const PASSPHRASE_ENV: &str = "QUIRED_KEYRING_PASSPHRASE";

/// Longest line read for a secret.
const MAX_LINE_BYTES: usize = 4096;

/// One line of standard input, without its line end.
fn stdin_line(what: &str) -> anyhow::Result<Zeroizing<String>> {
    let mut line = Zeroizing::new(String::new());
    let stdin = std::io::stdin();
    let mut handle = stdin.lock().take(MAX_LINE_BYTES as u64 + 1);
    let read = handle
        .read_line(&mut line)
        .with_context(|| format!("cannot read the {what} from standard input"))?;
    if read == 0 {
        bail!("no {what} on standard input (pipe it in, or run on a terminal)");
    }
    if line.len() > MAX_LINE_BYTES {
        bail!("the {what} on standard input is longer than {MAX_LINE_BYTES} bytes");
    }
    let trimmed = line.trim_end_matches(['\r', '\n']).to_string();
    Ok(Zeroizing::new(trimmed))
}

/// Reads a secret: without echo on a terminal, else a line of stdin.
fn read_secret(prompt: &str, what: &str) -> anyhow::Result<Zeroizing<String>> {
    if std::io::stdin().is_terminal() {
        let text = rpassword::prompt_password(prompt)
            .with_context(|| format!("cannot read the {what} from the terminal"))?;
        Ok(Zeroizing::new(text))
    } else {
        stdin_line(what)
    }
}

/// Where a command's secrets come from.
pub trait SecretInput {
    /// The passphrase of existing encrypted key `name`.
    fn passphrase(&mut self, name: &str) -> anyhow::Result<Zeroizing<String>>;
    /// A passphrase to seal a new key with (not yet length-checked).
    fn new_passphrase(&mut self) -> anyhow::Result<Zeroizing<String>>;
    /// A BIP-39 mnemonic.
    fn mnemonic(&mut self) -> anyhow::Result<Zeroizing<String>>;
    /// Another secret line (`what`, e.g. a private key), never from the
    /// passphrase's environment variable.
    fn secret_line(&mut self, prompt: &str, what: &str) -> anyhow::Result<Zeroizing<String>>;
    /// Whether the user says yes to `question` (no when nobody can answer).
    fn confirm(&mut self, question: &str) -> anyhow::Result<bool>;
}

/// The user: `QUIRED_KEYRING_PASSPHRASE`, the terminal (no echo), or lines
/// of standard input.
#[derive(Debug, Default)]
pub struct Terminal;

impl SecretInput for Terminal {
    fn passphrase(&mut self, name: &str) -> anyhow::Result<Zeroizing<String>> {
        if let Ok(text) = std::env::var(PASSPHRASE_ENV) {
            return Ok(Zeroizing::new(text));
        }
        read_secret(
            &format!("Enter the keyring passphrase of {name:?}: "),
            "keyring passphrase",
        )
    }

    fn new_passphrase(&mut self) -> anyhow::Result<Zeroizing<String>> {
        if let Ok(text) = std::env::var(PASSPHRASE_ENV) {
            return Ok(Zeroizing::new(text));
        }
        let first = read_secret(
            &format!("Enter a keyring passphrase (at least {MIN_PASSPHRASE_CHARS} characters): "),
            "keyring passphrase",
        )?;
        if std::io::stdin().is_terminal() {
            let again = read_secret("Re-enter the keyring passphrase: ", "keyring passphrase")?;
            if *again != *first {
                bail!("the two passphrases differ: nothing was written");
            }
        }
        Ok(first)
    }

    fn mnemonic(&mut self) -> anyhow::Result<Zeroizing<String>> {
        read_secret("Enter your BIP-39 mnemonic: ", "mnemonic")
    }

    fn secret_line(&mut self, prompt: &str, what: &str) -> anyhow::Result<Zeroizing<String>> {
        read_secret(prompt, what)
    }

    fn confirm(&mut self, question: &str) -> anyhow::Result<bool> {
        if !std::io::stdin().is_terminal() {
            return Ok(false);
        }
        eprint!("{question} [y/N] ");
        let answer = stdin_line("answer")?;
        Ok(matches!(answer.trim(), "y" | "Y" | "yes" | "YES" | "Yes"))
    }
}

/// A new passphrase from `input`, at least [`MIN_PASSPHRASE_CHARS`] long.
pub fn checked_new_passphrase(input: &mut dyn SecretInput) -> anyhow::Result<Zeroizing<String>> {
    let passphrase = input.new_passphrase()?;
    if passphrase.chars().count() < MIN_PASSPHRASE_CHARS {
        bail!(
            "the keyring passphrase must be at least {MIN_PASSPHRASE_CHARS} characters: nothing was written"
        );
    }
    Ok(passphrase)
}

/// `keyring`, able to open key `name` (asking `input` for the passphrase
/// only if that key is encrypted).
pub fn unlock(
    keyring: Keyring,
    name: &str,
    input: &mut dyn SecretInput,
) -> anyhow::Result<Keyring> {
    if keyring.is_encrypted(name)? {
        let passphrase = input.passphrase(name)?;
        Ok(keyring.with_passphrase(passphrase.as_str()))
    } else {
        Ok(keyring)
    }
}
