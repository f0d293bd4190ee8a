//! A real L1 for tests: go-ethereum `geth --dev` (built by
//! `localnet/install-geth.sh` into `.bin/`), started from a genesis with
//! mainnet forks only (up to Osaka: the default dev genesis also turns on
//! an unreleased fork, which changes gas costs), on a free loopback port,
//! with a few funded accounts; killed and deleted on drop.

use anyhow::{bail, Context};
use quire_core::l1::{L1Address, L1Signer};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Funded accounts: secret keys `[i; 32]` for `i` in `1..=ACCOUNTS`.
pub const ACCOUNTS: u8 = 4;

/// The secret key of funded account `i` (1-based), as hex.
pub fn account_key(i: u8) -> String {
    format!("0x{}", hex::encode([i; 32]))
}

/// The address of funded account `i`.
pub fn account_address(i: u8) -> anyhow::Result<L1Address> {
    Ok(L1Signer::from_secret(&[i; 32])?.address())
}

/// The geth binary: `QUIRE_GETH`, else `.bin/geth`, else `geth` on PATH.
pub fn geth_bin() -> anyhow::Result<PathBuf> {
    if let Some(path) = std::env::var_os("QUIRE_GETH") {
        return Ok(PathBuf::from(path));
    }
    let local = crate::repo_root().join(".bin").join("geth");
    if local.exists() {
        return Ok(local);
    }
    let on_path = Command::new("geth").arg("version").output();
    if on_path.is_ok_and(|o| o.status.success()) {
        return Ok(PathBuf::from("geth"));
    }
    bail!("geth not found: run localnet/install-geth.sh (test.sh does)")
}

/// A running `geth --dev`.
pub struct Geth {
    dir: tempfile::TempDir,
    child: Option<Child>,
    port: u16,
}

impl Geth {
    /// Initializes a data directory from the Osaka genesis and starts geth.
    pub fn start() -> anyhow::Result<Self> {
        let dir = tempfile::Builder::new().prefix("quire-geth-").tempdir()?;
        let genesis = dev_genesis()?;
        let genesis_path = dir.path().join("genesis.json");
        std::fs::write(&genesis_path, serde_json::to_vec_pretty(&genesis)?)?;
        let out = Command::new(geth_bin()?)
            .arg("--datadir")
            .arg(dir.path().join("data"))
            .arg("init")
            .arg(&genesis_path)
            .output()
            .context("geth init")?;
        if !out.status.success() {
            bail!("geth init failed: {}", String::from_utf8_lossy(&out.stderr));
        }
        let port = crate::free_port_base(1)?;
        let mut geth = Geth {
            dir,
            child: None,
            port,
        };
        geth.spawn()?;
        Ok(geth)
    }

    fn spawn(&mut self) -> anyhow::Result<()> {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.log_path())?;
        let child = Command::new(geth_bin()?)
            .args(["--dev", "--dev.period", "1"])
            .arg("--datadir")
            .arg(self.data_dir())
            .args(["--http", "--http.addr", "127.0.0.1", "--http.port"])
            .arg(self.port.to_string())
            .args(["--http.api", "eth,net,web3,txpool"])
            .args([
                "--port",
                "0",
                "--nodiscover",
                "--maxpeers",
                "0",
                "--ipcdisable",
            ])
            .args(["--authrpc.addr", "127.0.0.1", "--authrpc.port", "0"])
            .args(["--metrics=false", "--verbosity", "3"])
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .context("starting geth")?;
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if self.block_number().is_ok() {
                return Ok(());
            }
            if let Some(child) = self.child.as_mut() {
                if let Some(status) = child.try_wait()? {
                    bail!("geth exited with {status}: {}", self.log_tail());
                }
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        bail!("geth did not answer in 60 s: {}", self.log_tail())
    }

    /// Its JSON-RPC URL.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn log_path(&self) -> PathBuf {
        self.dir.path().join("geth.log")
    }

    /// The last lines of geth's log.
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(self.log_path()).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }

    /// The head block number (plain JSON-RPC, blocking).
    pub fn block_number(&self) -> anyhow::Result<u64> {
        let body = r#"{"jsonrpc":"2.0","id":1,"method":"eth_blockNumber","params":[]}"#;
        let answer = crate::http_post_json(&self.url(), body)?;
        let value: serde_json::Value = serde_json::from_str(&answer)?;
        let hex = value["result"]
            .as_str()
            .and_then(|h| h.strip_prefix("0x"))
            .context("no block number")?;
        Ok(u64::from_str_radix(hex, 16)?)
    }

    /// Stops geth (SIGKILL: like a crash).
    pub fn kill(&mut self) -> anyhow::Result<()> {
        if let Some(mut child) = self.child.take() {
            child.kill().ok();
            child.wait()?;
        }
        Ok(())
    }

    /// Stops geth cleanly (SIGTERM: it writes its state out), within 30 s.
    pub fn stop(&mut self) -> anyhow::Result<()> {
        let Some(mut child) = self.child.take() else {
            return Ok(());
        };
        let _ = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if child.try_wait()?.is_some() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        child.kill().ok();
        child.wait()?;
        Ok(())
    }

    /// Copies the data directory to `to` (geth stopped cleanly meanwhile,
    /// so the copy holds the head state), and restarts.
    pub fn snapshot(&mut self, to: &Path) -> anyhow::Result<()> {
        self.stop()?;
        copy_dir(&self.data_dir(), to)?;
        self.spawn()
    }

    /// Replaces the data directory with a snapshot and restarts: the L1
    /// forgets every block after it (a deep reorg).
    pub fn restore(&mut self, from: &Path) -> anyhow::Result<()> {
        self.stop()?;
        std::fs::remove_dir_all(self.data_dir())?;
        copy_dir(from, &self.data_dir())?;
        self.spawn()
    }
}

impl Drop for Geth {
    fn drop(&mut self) {
        let _ = self.kill();
    }
}

fn copy_dir(from: &Path, to: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else if entry.file_type()?.is_file() {
            std::fs::copy(entry.path(), target)?;
        }
    }
    Ok(())
}

/// geth's dev genesis with mainnet forks only and the test accounts
/// funded, made by `localnet/geth-genesis.mjs` (shared with localnet.sh).
fn dev_genesis() -> anyhow::Result<serde_json::Value> {
    let dump = Command::new(geth_bin()?)
        .args(["--dev", "dumpgenesis"])
        .output()
        .context("geth --dev dumpgenesis")?;
    if !dump.status.success() {
        bail!(
            "geth dumpgenesis failed: {}",
            String::from_utf8_lossy(&dump.stderr)
        );
    }
    let mut addresses = Vec::new();
    for i in 1..=ACCOUNTS {
        addresses.push(account_address(i)?.to_string());
    }
    let mut node = Command::new("node")
        .arg(crate::repo_root().join("localnet/geth-genesis.mjs"))
        .args(&addresses)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("node localnet/geth-genesis.mjs (Node.js is needed)")?;
    if let Some(mut stdin) = node.stdin.take() {
        std::io::Write::write_all(&mut stdin, &dump.stdout)?;
    }
    let out = node.wait_with_output()?;
    if !out.status.success() {
        bail!("geth-genesis.mjs: {}", String::from_utf8_lossy(&out.stderr));
    }
    Ok(serde_json::from_slice(&out.stdout)?)
}
