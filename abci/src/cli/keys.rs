//! `quired keys`: manage the signing keys in `<home>/keyring`
//! (`quire_client::keyring`).
//!
//! Keys are encrypted under a passphrase by default (`--keyring-backend
//! file`); `--keyring-backend test` stores them in the clear, for test
//! networks only. A new key comes from a new 24-word BIP-39 mnemonic at
//! `m/44'/118'/0'/0/0`, the path Keplr and cosmjs use, so the same phrase
//! gives the same address in every Cosmos wallet; `--recover` takes an
//! existing phrase.

use crate::cli::secret_input::{checked_new_passphrase, unlock, SecretInput, Terminal};
use crate::cli::{HomeArg, Output};
use anyhow::{bail, Context};
use quire_client::keyring::mnemonic::DEFAULT_HD_PATH;
use quire_client::keyring::{KeyInfo, Keyring, Storage};
use std::io::{Read, Write};
use std::path::PathBuf;

/// `quired keys ...`
#[derive(Debug, clap::Subcommand)]
pub enum KeysCommand {
    /// Make a new key from a new mnemonic (or `--recover` one) and print its address.
    Add(AddArgs),
    /// Store a key exported with `keys export` (a sealed key file).
    Import(ImportArgs),
    /// Store a raw secp256k1 private key (64 hex digits).
    ImportHex(ImportHexArgs),
    /// Print a key as a sealed key file (or, with --unarmored-hex --unsafe, its private key).
    Export(ExportArgs),
    /// Remove a key.
    Delete(DeleteArgs),
    /// List every key.
    List(ListArgs),
    /// Show one key.
    Show(ShowArgs),
}

/// Where new keys go.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum KeyringBackend {
    /// Encrypted under a passphrase (Argon2id, XChaCha20-Poly1305).
    #[default]
    File,
    /// UNENCRYPTED: for test networks only.
    Test,
}

impl KeyringBackend {
    fn storage(self) -> Storage {
        match self {
            KeyringBackend::File => Storage::Encrypted,
            KeyringBackend::Test => Storage::Plain,
        }
    }
}

/// `--keyring-backend`.
#[derive(Debug, Clone, clap::Args)]
pub struct BackendArg {
    /// How the new key is stored: `file` (encrypted, the default unless
    /// client.toml says otherwise) or `test` (unencrypted, test networks
    /// only).
    #[arg(
        long,
        value_enum,
        env = "QUIRED_KEYRING_BACKEND",
        default_value_t = crate::cli::client_config::default_keyring_backend()
    )]
    keyring_backend: KeyringBackend,
}

/// `quired keys add`
#[derive(Debug, clap::Args)]
pub struct AddArgs {
    /// Key name: 1-64 characters of [a-zA-Z0-9_-].
    name: String,
    /// Read an existing BIP-39 mnemonic (12-24 words) instead of making one.
    #[arg(long)]
    recover: bool,
    /// The BIP-32 derivation path.
    #[arg(long, default_value = DEFAULT_HD_PATH)]
    hd_path: String,
    /// Do not print the new mnemonic.
    #[arg(long)]
    no_backup: bool,
    #[command(flatten)]
    backend: BackendArg,
    #[command(flatten)]
    home: HomeArg,
    /// Output format.
    #[arg(long, value_enum, default_value_t = crate::cli::client_config::default_output())]
    output: Output,
}

/// `quired keys import`
#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// Key name to store it as.
    name: String,
    /// The file `keys export` wrote (`-`: standard input).
    file: PathBuf,
    #[command(flatten)]
    backend: BackendArg,
    #[command(flatten)]
    home: HomeArg,
}

/// `quired keys import-hex`
#[derive(Debug, clap::Args)]
pub struct ImportHexArgs {
    /// Key name to store it as.
    name: String,
    /// The private key, 64 hex digits (`-`: read it from standard input,
    /// which keeps it out of the shell's history).
    private_key_hex: String,
    #[command(flatten)]
    backend: BackendArg,
    #[command(flatten)]
    home: HomeArg,
}

/// `quired keys export`
#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// Key name.
    name: String,
    /// Print the raw private key in hex instead (needs --unsafe).
    #[arg(long)]
    unarmored_hex: bool,
    /// Confirms that the private key may be printed in the clear.
    #[arg(long)]
    r#unsafe: bool,
    #[command(flatten)]
    home: HomeArg,
}

/// `quired keys delete`
#[derive(Debug, clap::Args)]
pub struct DeleteArgs {
    /// Key name.
    name: String,
    /// Do not ask for confirmation.
    #[arg(long, short = 'y')]
    yes: bool,
    #[command(flatten)]
    home: HomeArg,
}

/// `quired keys list`
#[derive(Debug, clap::Args)]
pub struct ListArgs {
    #[command(flatten)]
    home: HomeArg,
    /// Output format.
    #[arg(long, value_enum, default_value_t = crate::cli::client_config::default_output())]
    output: Output,
}

/// `quired keys show`
#[derive(Debug, clap::Args)]
pub struct ShowArgs {
    /// Key name.
    name: String,
    #[command(flatten)]
    home: HomeArg,
    /// Print only the bech32 address.
    #[arg(long)]
    address: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = crate::cli::client_config::default_output())]
    output: Output,
}

/// The keyring directory of a home.
pub fn keyring_dir(home: &HomeArg) -> PathBuf {
    home.home.join("keyring")
}

fn open(home: &HomeArg) -> anyhow::Result<Keyring> {
    Ok(Keyring::open(&keyring_dir(home))?)
}

/// `keyring`, with a new passphrase when `storage` seals.
fn for_storage(
    keyring: Keyring,
    storage: Storage,
    input: &mut dyn SecretInput,
) -> anyhow::Result<Keyring> {
    Ok(match storage {
        Storage::Encrypted => keyring.with_passphrase(checked_new_passphrase(input)?.as_str()),
        Storage::Plain => keyring,
    })
}

fn json(value: &impl serde::Serialize) -> anyhow::Result<String> {
    serde_json::to_string_pretty(value).context("cannot encode the output as JSON")
}

fn describe(info: &KeyInfo) -> String {
    format!(
        "name: {}\naddress: {}\npublic_key: {}\nencrypted: {}",
        info.name,
        info.address,
        info.public_key,
        if info.encrypted {
            "yes"
        } else {
            "no (test networks only)"
        }
    )
}

/// Where a new key went, on stderr (stdout has what scripts capture).
fn report_saved(keyring: &Keyring, info: &KeyInfo) {
    let how = if info.encrypted {
        "encrypted"
    } else {
        "UNENCRYPTED (test networks only)"
    };
    eprintln!(
        "key {:?} saved {how} to {}",
        info.name,
        keyring.key_path(&info.name).display()
    );
}

/// Reads `path` (`-`: standard input), at most 64 KiB.
fn read_document(path: &std::path::Path) -> anyhow::Result<String> {
    let mut text = String::new();
    let limit = 64 * 1024;
    if path.as_os_str() == "-" {
        std::io::stdin()
            .take(limit + 1)
            .read_to_string(&mut text)
            .context("cannot read the key file from standard input")?;
    } else {
        std::fs::File::open(path)
            .with_context(|| format!("cannot open {}", path.display()))?
            .take(limit + 1)
            .read_to_string(&mut text)
            .with_context(|| format!("cannot read {}", path.display()))?;
    }
    if text.len() as u64 > limit {
        bail!(
            "{} is larger than {limit} bytes: not a key file",
            path.display()
        );
    }
    Ok(text)
}

impl KeysCommand {
    /// Runs the subcommand, printing to stdout and asking the terminal for
    /// secrets.
    pub fn run(self) -> anyhow::Result<()> {
        self.execute(&mut std::io::stdout().lock(), &mut Terminal)
    }

    fn execute(self, out: &mut dyn Write, input: &mut dyn SecretInput) -> anyhow::Result<()> {
        match self {
            KeysCommand::Add(args) => add(args, out, input)?,
            KeysCommand::Import(args) => {
                let storage = args.backend.keyring_backend.storage();
                let document = read_document(&args.file)?;
                // The exported file opens with the passphrase it was sealed
                // under; an encrypted import is sealed again under the same.
                let passphrase = input.passphrase(&args.name)?;
                let keyring = open(&args.home)?.with_passphrase(passphrase.as_str());
                let info = keyring.import_sealed(&args.name, &document, storage)?;
                writeln!(out, "{}", info.address)?;
                report_saved(&keyring, &info);
            }
            KeysCommand::ImportHex(args) => {
                let storage = args.backend.keyring_backend.storage();
                let hex = if args.private_key_hex == "-" {
                    input.secret_line("Enter the private key (64 hex digits): ", "private key")?
                } else {
                    zeroize::Zeroizing::new(args.private_key_hex.clone())
                };
                let keyring = for_storage(open(&args.home)?, storage, input)?;
                let info = keyring.import_hex(&args.name, &hex, storage)?;
                writeln!(out, "{}", info.address)?;
                report_saved(&keyring, &info);
            }
            KeysCommand::Export(args) => {
                let keyring = open(&args.home)?;
                if args.unarmored_hex {
                    if !args.r#unsafe {
                        bail!("--unarmored-hex prints the private key in the clear: add --unsafe to confirm");
                    }
                    let keyring = unlock(keyring, &args.name, input)?;
                    let secret = keyring.secret(&args.name)?;
                    writeln!(out, "{}", hex::encode(secret.as_ref()))?;
                } else {
                    let keyring = if keyring.is_encrypted(&args.name)? {
                        unlock(keyring, &args.name, input)?
                    } else {
                        keyring.with_passphrase(checked_new_passphrase(input)?.as_str())
                    };
                    write!(out, "{}", keyring.export_sealed(&args.name)?)?;
                }
            }
            KeysCommand::Delete(args) => {
                let keyring = open(&args.home)?;
                let info = keyring.show(&args.name)?;
                if !args.yes
                    && !input.confirm(&format!(
                        "Delete key {:?} ({})? It cannot be undone without its mnemonic or an export.",
                        info.name, info.address
                    ))?
                {
                    bail!(
                        "key {:?} was not deleted: confirm on a terminal, or pass --yes",
                        args.name
                    );
                }
                keyring.delete(&args.name)?;
                eprintln!("key {:?} deleted", args.name);
            }
            KeysCommand::List(args) => {
                let keys = open(&args.home)?.list()?;
                match args.output {
                    Output::Text => {
                        for info in &keys {
                            writeln!(out, "{}\t{}", info.name, info.address)?;
                        }
                    }
                    Output::Json => writeln!(out, "{}", json(&keys)?)?,
                }
            }
            KeysCommand::Show(args) => {
                let info = open(&args.home)?.show(&args.name)?;
                match (args.address, args.output) {
                    (true, Output::Text) => writeln!(out, "{}", info.address)?,
                    (true, Output::Json) => writeln!(
                        out,
                        "{}",
                        json(&serde_json::json!({"address": info.address}))?
                    )?,
                    (false, Output::Text) => writeln!(out, "{}", describe(&info))?,
                    (false, Output::Json) => writeln!(out, "{}", json(&info)?)?,
                }
            }
        }
        Ok(())
    }
}

/// `keys add`.
fn add(args: AddArgs, out: &mut dyn Write, input: &mut dyn SecretInput) -> anyhow::Result<()> {
    let storage = args.backend.keyring_backend.storage();
    let keyring = open(&args.home)?;
    // Refuse a taken name before asking for any secret.
    if keyring.key_path(&args.name).exists() {
        bail!(
            "key {:?} already exists in {}",
            args.name,
            keyring.key_path(&args.name).display()
        );
    }
    let (info, phrase) = if args.recover {
        let phrase = input.mnemonic()?;
        let keyring = for_storage(keyring.clone(), storage, input)?;
        (
            keyring.recover(&args.name, &phrase, &args.hd_path, storage)?,
            None,
        )
    } else {
        let keyring = for_storage(keyring.clone(), storage, input)?;
        if args.hd_path == DEFAULT_HD_PATH {
            let (info, phrase) = keyring.add_with_mnemonic(&args.name, storage)?;
            (info, Some(phrase))
        } else {
            let phrase = quire_client::keyring::mnemonic::generate()
                .map_err(|e| anyhow::anyhow!("cannot make a mnemonic: {e}"))?;
            let info = keyring.recover(&args.name, &phrase, &args.hd_path, storage)?;
            (info, Some(phrase))
        }
    };
    let shown = phrase.as_ref().filter(|_| !args.no_backup);
    match args.output {
        // Only the address on stdout, so scripts can capture it.
        Output::Text => writeln!(out, "{}", info.address)?,
        Output::Json => {
            let mut value = serde_json::to_value(&info).context("cannot encode the key")?;
            if let (Some(phrase), Some(map)) = (shown, value.as_object_mut()) {
                map.insert("mnemonic".to_string(), phrase.as_str().into());
            }
            writeln!(out, "{}", json(&value)?)?;
        }
    }
    report_saved(&keyring, &info);
    if let (Some(phrase), Output::Text) = (shown, args.output) {
        eprintln!(
            "\n**Important**: write this mnemonic phrase in a safe place.\nIt is the only way to recover the key if its file or passphrase is lost.\n\n{}\n",
            phrase.as_str()
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(subcommand)]
        command: KeysCommand,
    }

    /// Secrets given in order, as a user would type them.
    #[derive(Default)]
    struct Scripted {
        lines: std::collections::VecDeque<String>,
        yes: bool,
    }

    impl Scripted {
        fn with(lines: &[&str]) -> Self {
            Scripted {
                lines: lines.iter().map(|l| l.to_string()).collect(),
                yes: false,
            }
        }
        fn next(&mut self, what: &str) -> anyhow::Result<zeroize::Zeroizing<String>> {
            self.lines
                .pop_front()
                .map(zeroize::Zeroizing::new)
                .ok_or_else(|| anyhow::anyhow!("no {what} given"))
        }
    }

    impl SecretInput for Scripted {
        fn passphrase(&mut self, _name: &str) -> anyhow::Result<zeroize::Zeroizing<String>> {
            self.next("passphrase")
        }
        fn new_passphrase(&mut self) -> anyhow::Result<zeroize::Zeroizing<String>> {
            self.next("new passphrase")
        }
        fn mnemonic(&mut self) -> anyhow::Result<zeroize::Zeroizing<String>> {
            self.next("mnemonic")
        }
        fn secret_line(
            &mut self,
            _prompt: &str,
            what: &str,
        ) -> anyhow::Result<zeroize::Zeroizing<String>> {
            self.next(what)
        }
        fn confirm(&mut self, _question: &str) -> anyhow::Result<bool> {
            Ok(self.yes)
        }
    }

    fn keys_with(
        home: &std::path::Path,
        args: &[&str],
        input: &mut Scripted,
    ) -> anyhow::Result<String> {
        let home = home.to_str().unwrap();
        let argv = std::iter::once("keys")
            .chain(args.iter().copied())
            .chain(["--home", home]);
        let mut out = Vec::new();
        Cli::try_parse_from(argv)?
            .command
            .execute(&mut out, input)?;
        Ok(String::from_utf8(out)?)
    }

    fn keys(home: &std::path::Path, args: &[&str]) -> anyhow::Result<String> {
        keys_with(home, args, &mut Scripted::default())
    }

    const ABANDON: &str = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";
    /// The Cosmos address of [`ABANDON`], with Quire's prefix.
    const ABANDON_ADDRESS: &str = "quire19rl4cm2hmr8afy4kldpxz3fka4jguq0ak7vs84";

    #[test]
    fn add_list_show() {
        let tmp = tempfile::tempdir().unwrap();
        let home = tmp.path();
        let alice = keys(home, &["add", "alice", "--keyring-backend", "test"])
            .unwrap()
            .trim()
            .to_string();
        assert!(
            alice.starts_with("quire1") && !alice.contains('\n'),
            "{alice}"
        );
        assert!(home.join("keyring/alice.json").is_file());

        let bob: serde_json::Value = serde_json::from_str(
            &keys(
                home,
                &[
                    "add",
                    "bob",
                    "--keyring-backend",
                    "test",
                    "--output",
                    "json",
                ],
            )
            .unwrap(),
        )
        .unwrap();
        assert_eq!(bob["name"], "bob");
        let bob_address = bob["address"].as_str().unwrap().to_string();
        assert_eq!(bob["public_key"].as_str().unwrap().len(), 66);

        assert_eq!(
            keys(home, &["list"]).unwrap(),
            format!("alice\t{alice}\nbob\t{bob_address}\n")
        );
        let listed: serde_json::Value =
            serde_json::from_str(&keys(home, &["list", "--output", "json"]).unwrap()).unwrap();
        // The listing has no mnemonic; otherwise it is what add printed.
        assert_eq!(bob["mnemonic"].as_str().unwrap().split(' ').count(), 24);
        let mut bob = bob;
        bob.as_object_mut().unwrap().remove("mnemonic");
        assert_eq!(listed[1], bob);

        assert_eq!(
            keys(home, &["show", "alice", "--address"]).unwrap(),
            format!("{alice}\n")
        );
        let shown = keys(home, &["show", "bob"]).unwrap();
        assert!(
            shown.starts_with(&format!("name: bob\naddress: {bob_address}\npublic_key: ")),
            "{shown}"
        );
        let shown: serde_json::Value =
            serde_json::from_str(&keys(home, &["show", "bob", "--output", "json"]).unwrap())
                .unwrap();
        assert_eq!(shown, bob);
    }

    #[test]
    fn errors_name_the_key() {
        let tmp = tempfile::tempdir().unwrap();
        keys(tmp.path(), &["add", "alice", "--keyring-backend", "test"]).unwrap();
        let err = keys(tmp.path(), &["add", "alice", "--keyring-backend", "test"])
            .unwrap_err()
            .to_string();
        assert!(err.contains("\"alice\" already exists"), "{err}");
        let err = keys(tmp.path(), &["show", "carol"])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("\"carol\" not found") && err.contains("carol.json"),
            "{err}"
        );
        let err = keys(
            tmp.path(),
            &["add", "no/slash", "--keyring-backend", "test"],
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("invalid key name \"no/slash\""), "{err}");
        let err = keys(tmp.path(), &["list", "--output", "yaml"])
            .unwrap_err()
            .to_string();
        assert!(err.contains("--output"), "{err}");
    }

    #[test]
    fn encrypted_by_default_and_recovered_from_a_mnemonic() {
        let tmp = tempfile::tempdir().unwrap();
        let home = tmp.path();
        // --recover: the mnemonic, then the new passphrase.
        let address = keys_with(
            home,
            &["add", "alice", "--recover"],
            &mut Scripted::with(&[ABANDON, "a good passphrase"]),
        )
        .unwrap();
        assert_eq!(address.trim(), ABANDON_ADDRESS);
        let shown = keys(home, &["show", "alice"]).unwrap();
        assert!(shown.ends_with("encrypted: yes\n"), "{shown}");
        let file = std::fs::read_to_string(home.join("keyring/alice.json")).unwrap();
        assert!(
            file.contains("\"sealed\"") && !file.contains("private_key_hex"),
            "{file}"
        );

        // A short passphrase writes nothing.
        let err = keys_with(home, &["add", "bob"], &mut Scripted::with(&["short"]))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("at least 8") && err.contains("nothing was written"),
            "{err}"
        );
        assert!(!home.join("keyring/bob.json").exists());

        // Export needs the passphrase; the raw key needs --unsafe too.
        let err = keys_with(
            home,
            &["export", "alice", "--unarmored-hex"],
            &mut Scripted::with(&["a good passphrase"]),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("--unsafe"), "{err}");
        let hex = keys_with(
            home,
            &["export", "alice", "--unarmored-hex", "--unsafe"],
            &mut Scripted::with(&["a good passphrase"]),
        )
        .unwrap();
        assert_eq!(hex.trim().len(), 64);
        let err = keys_with(
            home,
            &["export", "alice"],
            &mut Scripted::with(&["the wrong one"]),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("wrong passphrase"), "{err}");
        let document = keys_with(
            home,
            &["export", "alice"],
            &mut Scripted::with(&["a good passphrase"]),
        )
        .unwrap();

        // Import it elsewhere, and the raw key plain; all give one address.
        let other = tempfile::tempdir().unwrap();
        let exported = other.path().join("alice.key");
        std::fs::write(&exported, &document).unwrap();
        let imported = keys_with(
            other.path(),
            &["import", "alice2", exported.to_str().unwrap()],
            &mut Scripted::with(&["a good passphrase"]),
        )
        .unwrap();
        assert_eq!(imported.trim(), ABANDON_ADDRESS);
        let raw = keys_with(
            other.path(),
            &["import-hex", "raw", hex.trim(), "--keyring-backend", "test"],
            &mut Scripted::default(),
        )
        .unwrap();
        assert_eq!(raw.trim(), ABANDON_ADDRESS);

        // Delete asks first; --yes does not.
        let err = keys(other.path(), &["delete", "raw"])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("not deleted") && err.contains("--yes"),
            "{err}"
        );
        let mut yes = Scripted {
            yes: true,
            ..Default::default()
        };
        keys_with(other.path(), &["delete", "raw"], &mut yes).unwrap();
        keys(other.path(), &["delete", "alice2", "--yes"]).unwrap();
        assert_eq!(keys(other.path(), &["list"]).unwrap(), "");
    }
}
