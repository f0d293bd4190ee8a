//! Every `quired` command the README and docs/ show is one today's command
//! line accepts, so none can drift: each command in a code block parses
//! completely (subcommands, flags, required arguments and the values' own
//! checks) once its placeholders (`quire1...`, `<base64>`, `$QUIRE_RPC_0`,
//! `"$(cometbft show-validator)"`, …) stand for real values; each command
//! quoted inline (`quired query blobs --verify`, often a fragment) names
//! subcommands and flags that exist. tests/tests/doc_commands.rs runs the
//! README's own blocks against a localnet.

// Test code: a failed unwrap is the test failing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use clap::{CommandFactory, Parser};
use quired::cli::Cli;
use std::path::{Path, PathBuf};

/// A command as a document shows it.
#[derive(Debug)]
struct Documented {
    /// `file:line`.
    place: String,
    /// The command, continuation lines joined.
    text: String,
    /// From a code block (a whole command) rather than inline (maybe a fragment).
    whole: bool,
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the workspace")
        .to_path_buf()
}

/// README.md and every Markdown file under docs/.
fn documents() -> Vec<PathBuf> {
    let mut files = vec![repo().join("README.md")];
    let mut dirs = vec![repo().join("docs")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("docs/ reads") {
            let path = entry.expect("a docs entry").path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "md") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// How a line of a code block starts when it runs quired.
fn quired_prefix(line: &str) -> Option<&str> {
    let line = line.strip_prefix("$ ").unwrap_or(line);
    [
        "quired ",
        "$Q ",
        "./target/debug/quired ",
        "./target/release/quired ",
    ]
    .iter()
    .find_map(|prefix| line.strip_prefix(prefix))
}

fn commands_in(path: &Path) -> Vec<Documented> {
    let text = std::fs::read_to_string(path).expect("a document reads");
    let name = path
        .strip_prefix(repo())
        .unwrap_or(path)
        .display()
        .to_string();
    let mut out = Vec::new();
    let mut in_block = false;
    let mut pending: Option<(usize, String)> = None;
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim();
        if trimmed.starts_with("```") {
            in_block = !in_block;
            continue;
        }
        if in_block {
            let (start, mut command) = match pending.take() {
                Some((start, so_far)) => (start, format!("{so_far} {trimmed}")),
                None => match quired_prefix(trimmed) {
                    Some(rest) => (i + 1, rest.to_string()),
                    None => continue,
                },
            };
            if let Some(head) = command.strip_suffix('\\') {
                command = head.trim_end().to_string();
                pending = Some((start, command));
                continue;
            }
            out.push(Documented {
                place: format!("{name}:{start}"),
                text: command,
                whole: true,
            });
        } else {
            for span in line.split('`').skip(1).step_by(2) {
                if let Some(rest) = span.strip_prefix("quired ") {
                    out.push(Documented {
                        place: format!("{name}:{}", i + 1),
                        text: rest.to_string(),
                        whole: false,
                    });
                }
            }
        }
    }
    out
}

/// An account address to stand for `quire1...`.
fn address() -> String {
    quire_core::Address::new([2; 20]).to_bech32()
}
const KEY_B64: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

/// The document's placeholders replaced with values of the right form.
fn substitute(text: &str) -> String {
    let valoper = quire_core::Address::new([1; 20]).to_valoper();
    let pubkey_json = format!(r#"{{"type":"tendermint/PubKeyEd25519","value":"{KEY_B64}"}}"#);
    let mut out = text.to_string();
    // Command substitutions: a validator key, in the form asked for.
    while let Some(start) = out.find("$(") {
        let Some(len) = out[start..].find(')') else {
            break;
        };
        let inner = &out[start..start + len + 1];
        let value = if inner.contains(".value") {
            KEY_B64.to_string()
        } else {
            pubkey_json.replace('"', "\\\"")
        };
        out.replace_range(start..start + len + 1, &value);
    }
    for (placeholder, value) in [
        ("<base64>", KEY_B64.to_string()),
        ("<64 hex>", "ab".repeat(32)),
        ("<delegator>", address()),
        ("\"…\"", "\"data\"".to_string()),
        ("<node home>", "/tmp/quire-home".to_string()),
        ("<quired home>", "/tmp/quire-home".to_string()),
        ("<home>", "/tmp/quire-home".to_string()),
    ] {
        out = out.replace(placeholder, &value);
    }
    // quirevaloper1..., quirevaloper1src..., quire1op2..., quire1…
    let mut words = Vec::new();
    for word in out.split(' ') {
        let bare = word.trim_end_matches([',', ';']);
        let elided = bare.ends_with("...") || bare.ends_with('…');
        let word = if bare.starts_with("quirevaloper1") && elided {
            valoper.clone()
        } else if let Some((head, tail)) = word
            .split_once("quire1")
            .filter(|_| elided || word.contains("...:") || word.contains("…:"))
        {
            // `quire1op...:1000` keeps what follows the address.
            let rest = tail
                .split_once("...")
                .or_else(|| tail.split_once('…'))
                .map_or("", |(_, rest)| rest);
            format!("{head}{}{rest}", address())
        } else {
            word.to_string()
        };
        words.push(word);
    }
    words.join(" ")
}

/// Shell words of a substituted command, with `$VARS` and placeholder
/// words given values, optional `[...]` groups opened and elisions dropped.
fn words(text: &str) -> Vec<String> {
    let text = text.replace(['[', ']'], " ");
    let split = shlex::split(&text).unwrap_or_else(|| panic!("{text:?} is not shell words"));
    split
        .into_iter()
        .filter(|w| w != "..." && w != "…")
        .map(|w| {
            let var = w.trim_start_matches('$').trim_matches(['{', '}']);
            if w.starts_with('$') {
                return if var.contains("RPC") || var.contains("GRPC") || var.contains("API") {
                    "http://127.0.0.1:26657".to_string()
                } else if var.contains("ACCOUNT") {
                    address()
                } else {
                    "/tmp/quire-home".to_string()
                };
            }
            match w.as_str() {
                "R" | "H" | "N" | "E" | "K" | "P" => "1".to_string(),
                "C" => "quire-1".to_string(),
                "FILE" => "/dev/null".to_string(),
                "NAME" => "alice".to_string(),
                "KEY" => "node".to_string(),
                "VALUE" => "x".to_string(),
                "HEX" => "ab".repeat(32),
                "URL" => "http://127.0.0.1:1".to_string(),
                "ADDR" | "ADDRESS" => format!("0x{}", "ab".repeat(20)),
                "OPERATOR" => address(),
                _ => w,
            }
        })
        .collect()
}

/// The flag `--flag` of `command` or (when a fragment stops before naming
/// one) of any of its subcommands.
fn find_flag(command: &clap::Command, flag: &str) -> Option<clap::Arg> {
    command
        .get_arguments()
        .find(|a| a.get_long() == Some(flag))
        .cloned()
        .or_else(|| {
            command
                .get_subcommands()
                .find_map(|sub| find_flag(sub, flag))
        })
}

/// Whether the words name subcommands and flags `quired` has (values and
/// missing parts of a fragment are not judged).
fn names_exist(words: &[String]) -> Result<(), String> {
    let mut command = Cli::command();
    let mut value_next = false;
    for word in words {
        if std::mem::take(&mut value_next) && !word.starts_with('-') {
            continue;
        }
        if let Some(flag) = word.strip_prefix("--") {
            let (flag, inline_value) = match flag.split_once('=') {
                Some((flag, _)) => (flag, true),
                None => (flag, false),
            };
            if flag == "help" {
                continue;
            }
            let Some(arg) = find_flag(&command, flag) else {
                return Err(format!("`{}` has no flag --{flag}", command.get_name()));
            };
            value_next = !inline_value && arg.get_action().takes_values();
        } else if command.has_subcommands() && !word.starts_with('-') {
            let Some(sub) = command.find_subcommand(word).cloned() else {
                return Err(format!("`{}` has no subcommand {word}", command.get_name()));
            };
            command = sub;
        }
    }
    Ok(())
}

#[test]
fn every_documented_quired_command_is_one_quired_accepts() {
    let documented: Vec<Documented> = documents().iter().flat_map(|p| commands_in(p)).collect();
    let whole = documented.iter().filter(|d| d.whole).count();
    assert!(
        whole >= 30 && documented.len() >= 90,
        "found only {whole} commands in code blocks and {} in all: is the extraction broken?",
        documented.len()
    );
    let mut failures = Vec::new();
    for doc in &documented {
        let words = words(&substitute(&doc.text));
        let outcome = if doc.whole {
            let mut argv = vec!["quired".to_string()];
            argv.extend(words);
            Cli::try_parse_from(&argv)
                .map(|_| ())
                .map_err(|e| e.render().to_string())
        } else {
            names_exist(&words)
        };
        if let Err(error) = outcome {
            failures.push(format!(
                "{}: quired {}\n  {}",
                doc.place,
                doc.text,
                error.lines().next().unwrap_or_default()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "documented commands quired does not accept:\n{}",
        failures.join("\n")
    );
}

#[test]
fn the_checks_catch_a_drifted_command() {
    // The README's old example: a flag the command no longer has.
    let drifted = words(&substitute(
        "query blobs --nodes http://x --height 1 --rollup r",
    ));
    assert!(
        Cli::try_parse_from(std::iter::once("quired".to_string()).chain(drifted.clone())).is_err()
    );
    assert!(names_exist(&drifted).is_err());
    assert!(names_exist(&words("tx no-such-command --from a")).is_err());
    // A required argument left out of a whole command.
    let argv = ["quired", "query", "blobs", "--height", "1"];
    assert!(Cli::try_parse_from(argv).is_err());
    // Placeholders become values the parser takes.
    let ok = words(&substitute(
        "tx staking delegate quirevaloper1... 5000000 --from alice --node $QUIRE_RPC_0 --wait",
    ));
    assert!(
        Cli::try_parse_from(std::iter::once("quired".to_string()).chain(ok.clone())).is_ok(),
        "{ok:?}"
    );
}
