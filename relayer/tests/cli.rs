//! The `quire-relayer` command line refuses bad input in one line. (Also
//! makes `cargo test` build the binary the L1 end-to-end tests run.)

use std::process::Command;

fn relayer() -> Command {
    Command::new(env!("CARGO_BIN_EXE_quire-relayer"))
}

#[test]
fn bad_arguments_are_refused_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("key");
    std::fs::write(&key, "not hex").unwrap();
    let out = relayer()
        .args([
            "run",
            "--anchor",
            "0x0000000000000000000000000000000000000001",
        ])
        .arg("--key-file")
        .arg(&key)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("not a secp256k1 key"), "{stderr}");

    let out = relayer()
        .args(["run", "--anchor", "0x12", "--key-file"])
        .arg(&key)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("invalid L1 address"), "{stderr}");

    // The data mode cannot pay from the checkpoint account.
    let good = dir.path().join("good");
    std::fs::write(&good, format!("0x{}", "11".repeat(32))).unwrap();
    let out = relayer()
        .args([
            "run",
            "--anchor",
            "0x0000000000000000000000000000000000000001",
        ])
        .arg("--key-file")
        .arg(&good)
        .arg("--data-key-file")
        .arg(&good)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("the data account must differ"), "{stderr}");

    let out = relayer()
        .args(["deploy", "--key-file"])
        .arg(dir.path().join("missing"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("cannot read"), "{stderr}");
}
