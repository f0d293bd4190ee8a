//! `quired keys`: manage the signing keys in `<home>/keyring`.
//!
//! The keyring is unencrypted (see `quire_client::keyring`): for tests,
//! localnets and operators who protect the directory themselves.

use crate::cli::{HomeArg, Output};
use anyhow::Context;
use quire_client::keyring::{KeyInfo, Keyring};
use std::io::Write;
use std::path::PathBuf;

/// `quired keys ...`
#[derive(Debug, clap::Subcommand)]
pub enum KeysCommand {
    /// Generate a new key and print its address.
    Add(AddArgs),
    /// List every key.
    List(ListArgs),
    /// Show one key.
    Show(ShowArgs),
}

/// `quired keys add`
#[derive(Debug, clap::Args)]
pub struct AddArgs {
    /// Key name: 1-64 characters of [a-zA-Z0-9_-].
    name: String,
    #[command(flatten)]
    home: HomeArg,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    output: Output,
}

/// `quired keys list`
#[derive(Debug, clap::Args)]
pub struct ListArgs {
    #[command(flatten)]
    home: HomeArg,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
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
    #[arg(long, value_enum, default_value_t)]
    output: Output,
}

/// The keyring directory of a home.
pub fn keyring_dir(home: &HomeArg) -> PathBuf {
    home.home.join("keyring")
}

fn open(home: &HomeArg) -> anyhow::Result<Keyring> {
    Ok(Keyring::open(&keyring_dir(home))?)
}

fn json(value: &impl serde::Serialize) -> anyhow::Result<String> {
    serde_json::to_string_pretty(value).context("cannot encode the output as JSON")
}

fn describe(info: &KeyInfo) -> String {
    format!(
        "name: {}\naddress: {}\npublic_key: {}",
        info.name, info.address, info.public_key
    )
}

impl KeysCommand {
    /// Runs the subcommand, printing to stdout.
    pub fn run(self) -> anyhow::Result<()> {
        self.execute(&mut std::io::stdout().lock())
    }

    fn execute(self, out: &mut dyn Write) -> anyhow::Result<()> {
        match self {
            KeysCommand::Add(args) => {
                let keyring = open(&args.home)?;
                let info = keyring.add(&args.name)?;
                match args.output {
                    // Only the address on stdout, so scripts can capture it.
                    Output::Text => writeln!(out, "{}", info.address)?,
                    Output::Json => writeln!(out, "{}", json(&info)?)?,
                }
                eprintln!(
                    "key {:?} saved UNENCRYPTED to {}",
                    info.name,
                    keyring.key_path(&info.name).display()
                );
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

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(subcommand)]
        command: KeysCommand,
    }

    fn keys(home: &std::path::Path, args: &[&str]) -> anyhow::Result<String> {
        let home = home.to_str().unwrap();
        let argv = std::iter::once("keys")
            .chain(args.iter().copied())
            .chain(["--home", home]);
        let mut out = Vec::new();
        Cli::try_parse_from(argv)?.command.execute(&mut out)?;
        Ok(String::from_utf8(out)?)
    }

    #[test]
    fn add_list_show() {
        let tmp = tempfile::tempdir().unwrap();
        let home = tmp.path();
        let alice = keys(home, &["add", "alice"]).unwrap().trim().to_string();
        assert!(
            alice.starts_with("quire1") && !alice.contains('\n'),
            "{alice}"
        );
        assert!(home.join("keyring/alice.json").is_file());

        let bob: serde_json::Value =
            serde_json::from_str(&keys(home, &["add", "bob", "--output", "json"]).unwrap())
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
        keys(tmp.path(), &["add", "alice"]).unwrap();
        let err = keys(tmp.path(), &["add", "alice"]).unwrap_err().to_string();
        assert!(err.contains("\"alice\" already exists"), "{err}");
        let err = keys(tmp.path(), &["show", "carol"])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("\"carol\" not found") && err.contains("carol.json"),
            "{err}"
        );
        let err = keys(tmp.path(), &["add", "no/slash"])
            .unwrap_err()
            .to_string();
        assert!(err.contains("invalid key name \"no/slash\""), "{err}");
        let err = keys(tmp.path(), &["list", "--output", "yaml"])
            .unwrap_err()
            .to_string();
        assert!(err.contains("--output"), "{err}");
    }
}
