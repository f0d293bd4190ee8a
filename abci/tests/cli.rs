//! The `quired` binary as an operator uses it: exit codes and messages for bad
//! flags, a missing home and a malformed genesis, and the init → keys →
//! genesis path that the localnet scripts drive.

// Test and bench code: a failed unwrap is the test failing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::process::{Command, Output};

fn quired(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_quired"))
        // Errors are one line unless a backtrace is asked for.
        .env_remove("RUST_BACKTRACE")
        .args(args)
        .env_remove("QUIRED_HOME")
        .output()
        .expect("quired runs")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn path(p: &Path) -> &str {
    p.to_str().expect("utf-8 temp path")
}

#[test]
fn unknown_flags_and_bad_values_fail_with_a_reason() {
    let out = quired(&["start", "--no-such-flag"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("--no-such-flag"), "{}", stderr(&out));

    let out = quired(&["query", "blobs", "--height", "ten", "--rollup", "r"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("--height"), "{}", stderr(&out));

    let out = quired(&["query", "blobs", "--height", "1", "--namespace", "abcd"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("64 hex digits"), "{}", stderr(&out));

    let out = quired(&["query", "account", "cosmos1notours"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("address"), "{}", stderr(&out));
}

#[test]
fn start_with_a_missing_home_says_how_to_create_it() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("nowhere");
    let out = quired(&["start", "--home", path(&home)]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("does not exist") && err.contains("quired init"),
        "{err}"
    );
}

#[test]
fn init_keys_genesis_validate_and_a_malformed_genesis() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("node");
    let client = dir.path().join("client");
    assert!(
        quired(&["init", "--home", path(&home), "--chain-id", "cli-test"])
            .status
            .success()
    );
    // A second init refuses to overwrite.
    assert!(!quired(&["init", "--home", path(&home)]).status.success());

    let out = quired(&[
        "keys",
        "add",
        "alice",
        "--keyring-backend",
        "test",
        "--home",
        path(&client),
        "--output",
        "json",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let key: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let address = key["address"].as_str().unwrap().to_string();
    assert!(address.starts_with("quire1"));
    let shown = quired(&[
        "keys",
        "show",
        "alice",
        "--address",
        "--home",
        path(&client),
    ]);
    assert_eq!(String::from_utf8_lossy(&shown.stdout).trim(), address);
    assert!(!quired(&["keys", "show", "bob", "--home", path(&client)])
        .status
        .success());

    let genesis = dir.path().join("genesis.json");
    let validator = format!("vRAjehrCv4K+rDcc+CslKpsea9DZtwkKQP2Heiv4UmM=:{address}:10:n0");
    let account = format!("{address}:10001000");
    let out = quired(&[
        "genesis",
        "create",
        "--chain-id",
        "cli-test",
        "--validator",
        &validator,
        "--account",
        &account,
        "--out",
        path(&genesis),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(quired(&["genesis", "validate", path(&genesis)])
        .status
        .success());

    // Break one field: the error names it.
    let text = std::fs::read_to_string(&genesis).unwrap();
    let mut doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    doc["app_state"]["params"]["max_blob_bytes"] = serde_json::json!(0);
    std::fs::write(&genesis, serde_json::to_vec(&doc).unwrap()).unwrap();
    let out = quired(&["genesis", "validate", path(&genesis)]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("max_blob_bytes"), "{}", stderr(&out));

    std::fs::write(&genesis, b"{ \"chain_id\": ").unwrap();
    let out = quired(&["genesis", "validate", path(&genesis)]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("genesis.json"), "{}", stderr(&out));

    let out = quired(&[
        "genesis",
        "create",
        "--chain-id",
        "x",
        "--validator",
        "not-base64",
        "--out",
        path(&genesis),
        "--force",
    ]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("--validator"), "{}", stderr(&out));
}

/// `quired start` with `QUIRED_FAULT` set: a build without the fault-injection
/// feature refuses to start, in one line, instead of ignoring the variable; a
/// build with it parses the value (a bad one is refused).
#[test]
fn start_with_quired_fault_needs_the_fault_injection_feature() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("node");
    let socket = format!("unix://{}", path(&dir.path().join("abci.sock")));
    let out = quired(&[
        "init",
        "--home",
        path(&home),
        "--abci-addr",
        &socket,
        "--grpc-addr",
        "",
        "--http-addr",
        "",
        "--metrics-addr",
        "",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let with_feature = cfg!(feature = "fault-injection");
    // A valid value would arm the fault and serve, so only the build without
    // the feature gets one; the other gets a value it must refuse.
    let value = if with_feature {
        "sometime@3"
    } else {
        "mid-commit@5"
    };
    let mut child = Command::new(env!("CARGO_BIN_EXE_quired"))
        // Errors are one line unless a backtrace is asked for.
        .env_remove("RUST_BACKTRACE")
        .args(["start", "--home", path(&home)])
        .env("QUIRED_FAULT", value)
        .env_remove("RUST_LOG")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("quired runs");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while child.try_wait().unwrap().is_none() {
        if std::time::Instant::now() > deadline {
            child.kill().unwrap();
            panic!("quired start with QUIRED_FAULT={value} did not exit");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    assert!(!out.status.success());
    let err = stderr(&out);
    if with_feature {
        assert!(err.contains("unknown point \"sometime\""), "{err}");
    } else {
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.starts_with("error: QUIRED_FAULT is set, but this quired was built without the fault-injection feature"),
            "{err}"
        );
    }
}

/// `quired` with `stdin` piped in and extra environment.
fn quired_piped(args: &[&str], stdin: &str, env: &[(&str, &str)]) -> Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_quired"))
        // Errors are one line unless a backtrace is asked for.
        .env_remove("RUST_BACKTRACE")
        .args(args)
        .env_remove("QUIRED_HOME")
        .env_remove("QUIRED_KEYRING_PASSPHRASE")
        .envs(env.iter().copied())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("quired runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("stdin written");
    child.wait_with_output().expect("quired finishes")
}

#[test]
fn keys_are_encrypted_and_recovered_from_piped_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let home = path(dir.path());
    let mnemonic = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";
    // The mnemonic, then the passphrase, one line each.
    let out = quired_piped(
        &["keys", "add", "alice", "--recover", "--home", home],
        &format!("{mnemonic}\nsecret passphrase\n"),
        &[],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "quire19rl4cm2hmr8afy4kldpxz3fka4jguq0ak7vs84"
    );
    assert!(stderr(&out).contains("saved encrypted"), "{}", stderr(&out));
    // A new key prints its mnemonic on stderr, never on stdout.
    let out = quired_piped(
        &["keys", "add", "bob", "--home", home],
        "",
        &[("QUIRED_KEYRING_PASSPHRASE", "another passphrase")],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.trim().starts_with("quire1") && !stdout.contains(' '),
        "{stdout}"
    );
    let words = stderr(&out)
        .lines()
        .find(|l| l.split(' ').count() == 24)
        .map(str::to_string)
        .unwrap_or_default();
    assert!(!words.is_empty(), "{}", stderr(&out));
    // The wrong passphrase: one line saying so, exit 1.
    let out = quired_piped(
        &[
            "keys",
            "export",
            "alice",
            "--unarmored-hex",
            "--unsafe",
            "--home",
            home,
        ],
        "not it\n",
        &[],
    );
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("wrong passphrase for key \"alice\"") && err.trim().lines().count() == 1,
        "{err}"
    );
    // A private key on stdin is read from stdin even with the passphrase
    // variable set (which is for passphrases only).
    let key = "0101010101010101010101010101010101010101010101010101010101010101";
    let by_arg = quired_piped(
        &[
            "keys",
            "import-hex",
            "raw",
            key,
            "--keyring-backend",
            "test",
            "--home",
            home,
        ],
        "",
        &[],
    );
    assert!(by_arg.status.success(), "{}", stderr(&by_arg));
    let by_stdin = quired_piped(
        &["keys", "import-hex", "raw2", "-", "--home", home],
        &format!("{key}\nyet another passphrase\n"),
        &[],
    );
    assert!(by_stdin.status.success(), "{}", stderr(&by_stdin));
    assert_eq!(by_arg.stdout, by_stdin.stdout);
    let with_env = quired_piped(
        &["keys", "import-hex", "raw3", "-", "--home", home],
        &format!("{key}\n"),
        &[("QUIRED_KEYRING_PASSPHRASE", "yet another passphrase")],
    );
    assert!(with_env.status.success(), "{}", stderr(&with_env));
    assert_eq!(by_arg.stdout, with_env.stdout);
    // No passphrase at all (stdin closed): says how to give one.
    let out = quired_piped(&["keys", "add", "carol", "--home", home], "", &[]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("no keyring passphrase on standard input"),
        "{}",
        stderr(&out)
    );
    assert!(!dir.path().join("keyring/carol.json").exists());
}

#[test]
fn client_config_gives_the_default_node_and_errors_are_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let home = path(dir.path());
    let out = quired(&[
        "config",
        "set",
        "node",
        "http://127.0.0.1:9",
        "--home",
        home,
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = quired(&["config", "get", "node", "--home", home]);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "http://127.0.0.1:9\n");
    let query = |extra: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_quired"))
            // Errors are one line unless a backtrace is asked for.
            .env_remove("RUST_BACKTRACE")
            .args(["query", "params"])
            .args(extra)
            .env("QUIRED_HOME", home)
            .env_remove("RUST_BACKTRACE")
            .env_remove("QUIRE_NODE")
            .output()
            .expect("quired runs")
    };
    // No --node: client.toml's node (nothing listens on port 9).
    let out = query(&[]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("http://127.0.0.1:9") && err.contains("Connection refused"),
        "{err}"
    );
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("quired config set node"), "{err}");
    // --node wins.
    let err = stderr(&query(&["--node", "http://127.0.0.1:7"]));
    assert!(err.contains("http://127.0.0.1:7"), "{err}");
    // A bad value is refused when set, and a broken file when read.
    let out = quired(&["config", "set", "output", "yaml", "--home", home]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("expected text or json"),
        "{}",
        stderr(&out)
    );
    std::fs::write(dir.path().join("config/client.toml"), "node = 5\n").unwrap();
    let err = stderr(&query(&[]));
    assert!(
        err.starts_with("error: client config:") && err.contains("client.toml"),
        "{err}"
    );
    // A node command only warns: a broken client file never stops a node.
    let out = quired(&["start", "--home", home]);
    let err = stderr(&out);
    assert!(err.starts_with("warning: client config ignored:"), "{err}");
    assert!(
        err.contains("quired init"),
        "start still says what is missing: {err}"
    );
}
