//! The README's "Using it" commands, run as written against a localnet: the
//! blocks that submit, send, query and read (through quired and curl), each
//! command in its own shell with `localnet.env` sourced, as a reader pastes
//! them. The only changes are the README's placeholders — `quire1...` (bob's
//! address), `<64 hex>` (rollup-a's namespace) — and `.localnet/`, which is
//! this localnet's directory. Commands that follow a namespace forever run
//! for a few seconds and must have printed by then; every other one must
//! succeed. The "Become a validator" block is not run here (its unjail needs
//! a jailed validator; tests/tests/staking.rs runs that path), but like every
//! documented command it is parsed by quired's own parser in
//! abci/tests/doc_commands.rs.

use quire_client::keyring::Keyring;
use quire_client::NodeClient;
use quire_core::Namespace;
use quire_tests::{quired_bin, repo_root, run_scenario, start_localnet, Localnet};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_readme_commands_run_as_written() {
    let net = start_localnet(3).await;
    run_scenario(Duration::from_secs(400), scenario(&net)).await;
}

/// The README's shell blocks that use `$Q`, but the validator one, as
/// commands (continuations joined, comments and the `Q=` line left out).
fn readme_commands() -> anyhow::Result<Vec<String>> {
    let text = std::fs::read_to_string(repo_root().join("README.md"))?;
    let mut blocks: Vec<Vec<String>> = Vec::new();
    let mut current: Option<Vec<String>> = None;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            match current.take() {
                Some(block) => blocks.push(block),
                None => current = Some(Vec::new()),
            }
            continue;
        }
        if let Some(block) = current.as_mut() {
            block.push(line.to_string());
        }
    }
    let mut commands = Vec::new();
    for block in blocks {
        let runs_quired = block.iter().any(|l| l.starts_with("$Q "));
        if !runs_quired
            || block
                .iter()
                .any(|l| l.contains("localnet.sh add-validator"))
        {
            continue;
        }
        let mut pending = String::new();
        for line in block {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') || line.starts_with("Q=") {
                continue;
            }
            pending.push_str(line.trim_end_matches('\\'));
            if line.ends_with('\\') {
                pending.push(' ');
                continue;
            }
            commands.push(std::mem::take(&mut pending));
        }
    }
    Ok(commands)
}

/// What running one command gave.
struct Ran {
    /// Exit status, or `None` when it was stopped at the time limit.
    status: Option<std::process::ExitStatus>,
    stdout: String,
    stderr: String,
}

/// Runs `command` in bash with the env of the localnet in `dir` and `$Q`,
/// under coreutils' `timeout`, which stops the whole command (its own
/// process group) after `limit`.
fn run(dir: &Path, command: &str, limit: Duration) -> anyhow::Result<Ran> {
    let env = dir.join("localnet.env");
    let script = format!(
        "set -a; . '{}'; set +a; Q='{}'; {command}",
        env.display(),
        quired_bin()?.display()
    );
    let out = Command::new("timeout")
        .args(["--kill-after=5", &format!("{}s", limit.as_secs())])
        .arg("bash")
        .arg("-c")
        .arg(&script)
        .current_dir(repo_root())
        .env_remove("RUST_BACKTRACE")
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

async fn scenario(net: &Localnet) -> anyhow::Result<()> {
    // The README reads height 12: wait until it is served.
    let node = NodeClient::new(&net.rpc(0)?)?;
    node.wait_for_height(14, Duration::from_secs(90)).await?;
    let commands = readme_commands()?;
    anyhow::ensure!(
        commands.len() >= 12,
        "found {} README commands: {commands:?}",
        commands.len()
    );
    let keyring = Keyring::open(&net.client_home()?.join("keyring"))?;
    let bob = quire_core::builder::address_of(&keyring.signing_key("bob")?).to_bech32();
    let namespace = hex::encode(Namespace::from_rollup_name("rollup-a").as_bytes());
    let localnet = net.dir().to_path_buf();
    let dir = format!("{}/", localnet.display());
    tokio::task::spawn_blocking(move || {
        for written in &commands {
            let command = written
                .replace("quire1...", &bob)
                .replace("<64 hex>", &namespace)
                .replace(".localnet/", &dir);
            let endless = command.contains("query follow") || command.contains("curl -N");
            let limit = Duration::from_secs(if endless { 8 } else { 90 });
            let ran = run(&localnet, &command, limit)?;
            match ran.status {
                Some(status) if status.success() && !endless => {}
                None if endless => {}
                other => anyhow::bail!(
                    "README command `{written}` ended with {other:?}\nstdout: {}\nstderr: {}",
                    ran.stdout,
                    ran.stderr
                ),
            }
            anyhow::ensure!(
                !ran.stdout.trim().is_empty(),
                "README command `{written}` printed nothing\nstderr: {}",
                ran.stderr
            );
            // curl exits 0 on an HTTP error: the read API's error body is
            // {"code": …, "message": …}.
            anyhow::ensure!(
                !(command.starts_with("curl") && ran.stdout.trim_start().starts_with("{\"code\"")),
                "README command `{written}` got an error: {}",
                ran.stdout
            );
            println!("ran: {written}");
        }
        anyhow::Ok(())
    })
    .await?
}
