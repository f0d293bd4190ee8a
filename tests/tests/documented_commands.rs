//! The commands the README and docs/ show, run as written against a
//! localnet, as a reader pastes them (the README's shell blocks, quired and
//! curl alike, and the quired commands of the docs named in [`RUN_FROM`];
//! every other document's quired commands must be named in
//! [`NOT_RUN_HERE`]): each command in its own shell with
//! `localnet.env` sourced (and `$Q`, the README's quired). The README's
//! "Using it" blocks come first; then its validator block and the blocks of
//! docs/staking.md, docs/localnet.md and docs/wallets.md, with a client
//! config (`quired config set node …`) so commands without `--node` reach
//! the localnet, as docs/operators.md tells a reader to do.
//!
//! The only changes are placeholders, replaced by real values
//! ([`substitute`]): `quire1...` (an account), `quirevaloper1...` (a
//! validator), `--from op` (node0's operator key), `<64 hex>` (a namespace),
//! `<base64>` (a consensus key), `[...]` (optional flags, left out),
//! `http://127.0.0.1:26657` (a node's default RPC: node0's) and
//! `.localnet/` (this localnet's directory). Commands that follow a
//! namespace forever run for a few seconds and must have printed by then;
//! every other one must succeed.
//!
//! A few documented commands need what this localnet does not have; each
//! is named in [`NOT_RUN_HERE`] with the test that runs its path, and the
//! test fails on a documented command that is neither run nor named, so a
//! new one cannot be left out. Every documented command is also parsed by
//! quired's own parser (abci/tests/doc_commands.rs).

use base64::Engine;
use quire_client::keyring::Keyring;
use quire_client::NodeClient;
use quire_core::Namespace;
use quire_tests::{quired_bin, repo_root, run_scenario, start_localnet, Localnet};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_documented_commands_run_as_written() {
    let net = start_localnet(3).await;
    run_scenario(Duration::from_secs(500), scenario(&net)).await;
}

/// Documented commands this test does not run (a substring of each), why,
/// and where their path runs.
const NOT_RUN_HERE: &[(&str, &str)] = &[
    (
        "localnet.sh add-validator",
        "starts a fifth node; tests/tests/staking.rs and encrypted_blobs.rs run it",
    ),
    (
        "tx staking create-validator",
        "needs a node of its own; localnet.sh add-validator sends it (tests/tests/staking.rs)",
    ),
    (
        "tx slashing unjail",
        "needs a jailed validator; tests/tests/staking.rs jails one and unjails it",
    ),
    (
        "tx submit-blob --encrypt",
        "needs the DKG localnet; tests/tests/encrypted_blobs.rs runs it",
    ),
    (
        "--rollup sealed-cli",
        "reads that envelope; tests/tests/encrypted_blobs.rs runs it",
    ),
    (
        "query audit-reveal",
        "audits that reveal; tests/tests/encrypted_blobs.rs runs it",
    ),
];

/// The documented commands run here, by file, after the README's.
const RUN_FROM: &[&str] = &["docs/staking.md", "docs/localnet.md", "docs/wallets.md"];

/// The commands of each fenced block of `file` (continuations joined,
/// blank lines, comments and the README's `Q=` line left out).
fn blocks(file: &str) -> anyhow::Result<Vec<Vec<String>>> {
    let text = std::fs::read_to_string(repo_root().join(file))?;
    let mut blocks = Vec::new();
    let mut current: Option<Vec<String>> = None;
    let mut pending = String::new();
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            match current.take() {
                Some(block) => blocks.push(block),
                None => current = Some(Vec::new()),
            }
            continue;
        }
        let Some(block) = current.as_mut() else {
            continue;
        };
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with("Q=") {
            continue;
        }
        pending.push_str(line.trim_end_matches('\\'));
        if line.ends_with('\\') {
            pending.push(' ');
            continue;
        }
        block.push(std::mem::take(&mut pending));
    }
    Ok(blocks)
}

/// Whether `command` runs quired (`quired …`, `$Q …`) or the localnet script
/// with quired (`… localnet.sh add-validator`).
fn runs_quired(command: &str) -> bool {
    command.starts_with("quired ")
        || command.starts_with("$Q ")
        || command.contains("add-validator")
}

fn not_run_here(command: &str) -> bool {
    NOT_RUN_HERE.iter().any(|(what, _)| command.contains(what))
}

/// The README's commands, but those of [`NOT_RUN_HERE`]: every block that
/// runs `$Q` (with its curl lines).
fn readme_commands() -> anyhow::Result<Vec<String>> {
    Ok(blocks("README.md")?
        .into_iter()
        .filter(|block| block.iter().any(|c| c.starts_with("$Q ")))
        .flatten()
        .filter(|c| !not_run_here(c))
        .collect())
}

#[test]
fn every_documented_quired_command_is_run_or_named() {
    let mut files = vec!["README.md".to_string()];
    for entry in std::fs::read_dir(repo_root().join("docs")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "md") {
            files.push(format!(
                "docs/{}",
                path.file_name().unwrap().to_string_lossy()
            ));
        }
    }
    let mut unaccounted = Vec::new();
    let mut run = 0;
    for file in &files {
        for command in blocks(file).unwrap().into_iter().flatten() {
            if !runs_quired(&command) || not_run_here(&command) {
                continue;
            }
            if file == "README.md" || RUN_FROM.contains(&file.as_str()) {
                run += 1;
            } else {
                unaccounted.push(format!("{file}: {command}"));
            }
        }
    }
    assert!(
        unaccounted.is_empty(),
        "documented quired commands neither run by this test nor in NOT_RUN_HERE: {unaccounted:#?}"
    );
    assert!(run >= 20, "only {run} documented commands found");
    // Every exclusion still names a documented command.
    for (what, _) in NOT_RUN_HERE {
        let named = files.iter().any(|f| {
            blocks(f)
                .unwrap()
                .into_iter()
                .flatten()
                .any(|c| c.contains(what))
        });
        assert!(
            named,
            "NOT_RUN_HERE names {what:?}, which no document shows"
        );
    }
}

/// The placeholders' values.
struct Values {
    /// `quire1...` in the README: bob.
    bob: String,
    /// `quire1...` in docs/: alice, who delegates there.
    alice: String,
    /// `quirevaloper1...` and `…src...`: node0's; `…dst...`: node1's.
    valoper0: String,
    valoper1: String,
    /// `quire1op...`, `quire1op2...`: operators of a genesis written by hand.
    operator: String,
    operator2: String,
    /// `<base64>`: an ed25519 consensus key.
    consensus_key: String,
    namespace: String,
    localnet: String,
    /// `http://127.0.0.1:26657` (a node's default RPC) in docs/: node0's.
    rpc: String,
}

/// `written` with its placeholders given values (`docs`: a docs/ command).
fn substitute(written: &str, values: &Values, docs: bool) -> String {
    let mut command = written
        .replace("quirevaloper1src...", &values.valoper0)
        .replace("quirevaloper1dst...", &values.valoper1)
        .replace("quirevaloper1...", &values.valoper0)
        .replace("quire1op2...", &values.operator2)
        .replace("quire1op...", &values.operator)
        .replace("quire1...", if docs { &values.alice } else { &values.bob })
        .replace("--from op ", "--from node0 ")
        .replace("<base64>", &values.consensus_key)
        .replace("<64 hex>", &values.namespace)
        .replace(".localnet/", &values.localnet);
    if docs {
        command = command.replace("http://127.0.0.1:26657", &values.rpc);
    }
    if command.ends_with("--from op") {
        command = command.replace("--from op", "--from node0");
    }
    // `[--flag value ...]` in docs/: optional, left out.
    while let (true, Some(open), Some(close)) = (docs, command.find('['), command.find(']')) {
        if close < open {
            break;
        }
        command.replace_range(open..=close, "");
    }
    command
}

/// What running one command gave.
struct Ran {
    /// Exit status, or `None` when it was stopped at the time limit.
    status: Option<std::process::ExitStatus>,
    stdout: String,
    stderr: String,
}

/// Runs `command` in bash in `cwd` with the env of the localnet in `dir`,
/// `$Q`, `extra_env`, and the project's `.bin` (cometbft) on the PATH,
/// under coreutils' `timeout`, which stops the whole command (its own
/// process group) after `limit`.
fn run(
    dir: &Path,
    cwd: &Path,
    command: &str,
    extra_env: &[(&str, String)],
    limit: Duration,
) -> anyhow::Result<Ran> {
    let env = dir.join("localnet.env");
    let script = format!(
        "set -a; . '{}'; set +a; Q='{}'; {command}",
        env.display(),
        quired_bin()?.display()
    );
    let path = format!(
        "{}:{}",
        repo_root().join(".bin").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = Command::new("timeout")
        .args(["--kill-after=5", &format!("{}s", limit.as_secs())])
        .arg("bash")
        .arg("-c")
        .arg(&script)
        .current_dir(cwd)
        .env_remove("RUST_BACKTRACE")
        .env("PATH", path)
        .envs(extra_env.iter().map(|(k, v)| (*k, v.as_str())))
        .stdin(Stdio::null())
        .output()?;
    // 124: the time limit stopped it (137: and it had to be killed).
    let status = (!matches!(out.status.code(), Some(124 | 137))).then_some(out.status);
    Ok(Ran {
        status,
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    })
}

/// Runs `written` (as `command`) and checks it did what a reader expects:
/// succeeded and printed (or, following forever, printed before the limit).
fn run_documented(
    localnet: &Path,
    cwd: &Path,
    written: &str,
    command: &str,
    extra_env: &[(&str, String)],
) -> anyhow::Result<()> {
    let endless = command.contains("query follow") || command.contains("curl -N");
    let limit = Duration::from_secs(if endless { 8 } else { 90 });
    let ran = run(localnet, cwd, command, extra_env, limit)?;
    match ran.status {
        Some(status) if status.success() && !endless => {}
        None if endless => {}
        other => anyhow::bail!(
            "documented command `{written}` (run as `{command}`) ended with {other:?}\nstdout: {}\nstderr: {}",
            ran.stdout,
            ran.stderr
        ),
    }
    anyhow::ensure!(
        !(ran.stdout.trim().is_empty() && ran.stderr.trim().is_empty()),
        "documented command `{written}` printed nothing"
    );
    // curl exits 0 on an HTTP error: the read API's error body is
    // {"code": …, "message": …}.
    anyhow::ensure!(
        !(command.starts_with("curl") && ran.stdout.trim_start().starts_with("{\"code\"")),
        "documented command `{written}` got an error: {}",
        ran.stdout
    );
    println!("ran: {written}");
    Ok(())
}

async fn scenario(net: &Localnet) -> anyhow::Result<()> {
    // The README reads height 12: wait until it is served.
    let node = NodeClient::new(&net.rpc(0)?)?;
    node.wait_for_height(14, Duration::from_secs(90)).await?;
    let commands = readme_commands()?;
    anyhow::ensure!(
        commands.len() >= 14,
        "found {} README commands: {commands:?}",
        commands.len()
    );
    let keyring = Keyring::open(&net.client_home()?.join("keyring"))?;
    let address = |name: &str| -> anyhow::Result<quire_core::Address> {
        Ok(quire_core::builder::address_of(&keyring.signing_key(name)?))
    };
    let values = Values {
        bob: address("bob")?.to_bech32(),
        alice: address("alice")?.to_bech32(),
        valoper0: address("node0")?.to_valoper(),
        valoper1: address("node1")?.to_valoper(),
        operator: address("carol")?.to_bech32(),
        operator2: address("dave")?.to_bech32(),
        consensus_key: base64::engine::general_purpose::STANDARD
            .encode(quire_test_utils::consensus_key(9)),
        namespace: hex::encode(Namespace::from_rollup_name("rollup-a").as_bytes()),
        localnet: format!("{}/", net.dir().display()),
        rpc: net.rpc(0)?,
    };
    let localnet = net.dir().to_path_buf();
    let client_home = net.client_home()?;
    let rpc = net.rpc(0)?;
    let genesis = net.dir().join("genesis.json");
    let cometbft_home = net.dir().join("node0/cometbft");
    tokio::task::spawn_blocking(move || {
        let root = repo_root();
        for written in &commands {
            let command = substitute(written, &values, false);
            run_documented(&localnet, &root, written, &command, &[])?;
        }
        // docs/: a client config gives the commands without --node their
        // node (docs/operators.md); the keys are the localnet's.
        let quired = quired_bin()?;
        for (key, value) in [("node", rpc.as_str()), ("keyring-backend", "test")] {
            let status = Command::new(&quired)
                .args(["config", "set", key, value, "--home"])
                .arg(&client_home)
                .status()?;
            anyhow::ensure!(status.success(), "quired config set {key} failed");
        }
        let env = [
            ("QUIRED_HOME", client_home.display().to_string()),
            ("CMTHOME", cometbft_home.display().to_string()),
        ];
        for file in RUN_FROM {
            for block in blocks(file)? {
                // Each block in a directory of its own, with the localnet's
                // genesis.json there unless the block writes one.
                let cwd = tempfile::tempdir()?;
                if !block.iter().any(|c| c.contains("--out genesis.json")) {
                    std::fs::copy(&genesis, cwd.path().join("genesis.json"))?;
                }
                for written in block.iter().filter(|c| runs_quired(c) && !not_run_here(c)) {
                    let command = on_path(&substitute(written, &values, true), &quired);
                    run_documented(&localnet, cwd.path(), written, &command, &env)?;
                }
            }
        }
        anyhow::Ok(())
    })
    .await?
}

/// `command` with a leading `quired` run from `quired` (the build under
/// test), as a reader's PATH would find it.
fn on_path(command: &str, quired: &Path) -> String {
    match command.strip_prefix("quired ") {
        Some(rest) => format!("'{}' {rest}", quired.display()),
        None => command.to_string(),
    }
}
