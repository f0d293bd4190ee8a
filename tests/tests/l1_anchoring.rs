//! Quire anchored on a real L1, end to end: a 4-validator localnet, geth
//! `--dev`, the anchor deployed by `quire-relayer deploy`, the relayer
//! following the chain under blob load, after outbidding a transaction an
//! earlier run left stuck at its nonce. Every attested height gets
//! anchored with a bounded lag; the relayer killed with SIGKILL and
//! restarted loses and double-posts nothing (every transaction it sent
//! anchored exactly one checkpoint); an L1 rollback (geth's data directory
//! restored from a snapshot) is re-anchored; `quired query blobs --l1`
//! prints a read verified on L1 at its finalized block; the example
//! rollup's inbox contract accepts a real batch by its proof against the
//! anchor and refuses it with a blob dropped or twice; a validator that
//! joins (proof of stake) rotates the anchor's set through a checkpoint of
//! the old set, and anchoring goes on under the new one; the data mode
//! posts the blocks as EIP-4844 blobs whose versioned hashes are exactly
//! those of the same run rebuilt from a node, checked against the anchored
//! root; a validator
//! signing with a wrong L1 key has its extensions rejected while the chain
//! and the anchoring go on.

use alloy_rpc_types_eth::TransactionRequest;
use quire_client::keyring::Keyring;
use quire_client::l1::{AnchorReader, BlockTag, EthRpc};
use quire_client::{NodeClient, Submitter};
use quire_core::l1::L1Address;
use quire_core::{Msg, Namespace};
use quire_tests::geth::{account_address, account_key, Geth};
use quire_tests::rollup::{self, evm};
use quire_tests::{quired_bin, repo_root, run_scenario, start_localnet, Localnet};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn relayer_bin() -> anyhow::Result<PathBuf> {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("target"));
    let bin = target.join("debug").join("quire-relayer");
    anyhow::ensure!(
        bin.exists(),
        "{} does not exist: `cargo test --workspace` builds it",
        bin.display()
    );
    Ok(bin)
}

/// A relayer process; killed on drop.
struct RelayerProcess(Child);

impl Drop for RelayerProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The funded account the relayer's data mode pays from.
const DATA_ACCOUNT: u8 = 4;

struct Setup {
    /// Node 0's gRPC read API.
    grpc: String,
    geth: Geth,
    dir: tempfile::TempDir,
    anchor: L1Address,
    metrics_port: u16,
}

impl Setup {
    fn key_file(&self, account: u8) -> anyhow::Result<PathBuf> {
        let path = self.dir.path().join(format!("key{account}"));
        std::fs::write(&path, account_key(account))?;
        Ok(path)
    }

    fn start_relayer(&self, log: &str) -> anyhow::Result<RelayerProcess> {
        let log = std::fs::File::create(self.dir.path().join(log))?;
        let child = Command::new(relayer_bin()?)
            .arg("run")
            .args(["--quire-api", &self.grpc, "--l1", &self.geth.url()])
            .args(["--anchor", &self.anchor.to_string()])
            .arg("--key-file")
            .arg(self.key_file(2)?)
            .arg("--data-key-file")
            .arg(self.key_file(DATA_ACCOUNT)?)
            .args(["--data-min-heights", "8"])
            .args([
                "--metrics-addr",
                &format!("127.0.0.1:{}", self.metrics_port),
            ])
            .args(["--poll-ms", "300", "--replace-after-secs", "20"])
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()?;
        Ok(RelayerProcess(child))
    }

    fn reader(&self) -> anyhow::Result<AnchorReader> {
        Ok(AnchorReader::new(
            EthRpc::new(&self.geth.url())?,
            self.anchor,
        ))
    }

    /// Waits until the anchor (at the L1 head) holds `height`; returns how
    /// long it took.
    async fn anchored(&self, height: u64, limit: Duration) -> anyhow::Result<Duration> {
        let start = Instant::now();
        let reader = self.reader()?;
        loop {
            if let Ok(head) = reader.head(BlockTag::Latest).await {
                if head.height >= height {
                    return Ok(start.elapsed());
                }
            }
            anyhow::ensure!(
                start.elapsed() < limit,
                "height {height} not anchored within {limit:?}; relayer log:\n{}",
                self.log_tail()
            );
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    }

    fn log_tail(&self) -> String {
        let mut out = String::new();
        for name in ["relayer1.log", "relayer2.log", "relayer3.log"] {
            let text = std::fs::read_to_string(self.dir.path().join(name)).unwrap_or_default();
            let lines: Vec<&str> = text.lines().collect();
            out += &format!(
                "--- {name}\n{}\n",
                lines[lines.len().saturating_sub(15)..].join("\n")
            );
        }
        out
    }

    /// JSON-RPC result of `method(params)` on geth.
    fn rpc(&self, method: &str, params: serde_json::Value) -> anyhow::Result<serde_json::Value> {
        let body =
            serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
        let answer: serde_json::Value = serde_json::from_str(&quire_tests::http_post_json(
            &self.geth.url(),
            &body.to_string(),
        )?)?;
        Ok(answer["result"].clone())
    }

    /// Transactions the relayer's account has had mined, and the
    /// anchor's `CheckpointSubmitted` events.
    fn sent_and_anchored(&self) -> anyhow::Result<(u64, usize)> {
        let nonce = self.rpc(
            "eth_getTransactionCount",
            serde_json::json!([account_address(2)?.to_string(), "latest"]),
        )?;
        let nonce =
            u64::from_str_radix(nonce.as_str().unwrap_or("0x0").trim_start_matches("0x"), 16)?;
        let topic = format!(
            "0x{}",
            hex::encode(quire_core::l1::keccak256(
                b"CheckpointSubmitted(uint64,uint64,bytes32)"
            ))
        );
        let logs = self.rpc(
            "eth_getLogs",
            serde_json::json!([{"address": self.anchor.to_string(), "fromBlock": "0x0", "toBlock": "latest", "topics": [topic]}]),
        )?;
        Ok((nonce, logs.as_array().map_or(0, Vec::len)))
    }

    /// The anchor's current set hash, and how many rotations it logged.
    fn valset(&self) -> anyhow::Result<(String, usize)> {
        let selector = &quire_core::l1::keccak256(b"valsetHash()")[..4];
        let call = serde_json::json!({"to": self.anchor.to_string(), "data": format!("0x{}", hex::encode(selector))});
        let hash = self.rpc("eth_call", serde_json::json!([call, "latest"]))?;
        let topic = format!(
            "0x{}",
            hex::encode(quire_core::l1::keccak256(b"ValsetRotated(uint64,bytes32)"))
        );
        let filter = serde_json::json!({"address": self.anchor.to_string(), "fromBlock": "0x0", "toBlock": "latest", "topics": [topic]});
        let logs = self.rpc("eth_getLogs", serde_json::json!([filter]))?;
        Ok((
            hash.as_str().unwrap_or_default().to_string(),
            logs.as_array().map_or(0, Vec::len),
        ))
    }
}

async fn submit_blobs(
    net: &Localnet,
    submitter: &mut Submitter,
    count: usize,
    tag: &str,
) -> anyhow::Result<u64> {
    let client = NodeClient::new(&net.rpc(0)?)?;
    let mut last = None;
    for i in 0..count {
        let data = vec![(i % 251) as u8; 4096];
        let mut msg = format!("{tag} {i} ").into_bytes();
        msg.extend(data);
        let result = submitter
            .submit(
                &[Msg::submit_blob(
                    Namespace::from_rollup_name("rollup-a"),
                    msg,
                )],
                None,
            )
            .await?;
        anyhow::ensure!(result.accepted(), "blob refused: {}", result.log);
        last = Some(result.hash);
    }
    let hash = last.ok_or_else(|| anyhow::anyhow!("no blobs"))?;
    Ok(client
        .wait_for_tx(&hash, Duration::from_secs(60))
        .await?
        .height)
}

fn deploy(net: &Localnet, geth: &Geth, key_file: &Path) -> anyhow::Result<L1Address> {
    let out = Command::new(relayer_bin()?)
        .arg("deploy")
        .args(["--quire-api", &net.grpc(0)?, "--l1", &geth.url()])
        .arg("--key-file")
        .arg(key_file)
        .arg("--artifact")
        .arg(repo_root().join("contracts/out/QuireAnchor.json"))
        .output()?;
    anyhow::ensure!(
        out.status.success(),
        "deploy failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    Ok(stdout.lines().last().unwrap_or_default().trim().parse()?)
}

/// The example rollup's inbox (`contracts/src/ExampleRollup.sol`) for
/// `rollup-a`, paid by funded account 3: the namespace's real batch at
/// `height`, read from a node with its proofs, is accepted against the
/// anchored history; the batch with its last blob dropped, and the same
/// batch again, are refused.
async fn rollup_inbox_accepts_the_batch(
    net: &Localnet,
    setup: &Setup,
    height: u64,
) -> anyhow::Result<()> {
    use alloy_network::TransactionBuilder;
    use alloy_provider::{Provider, ProviderBuilder};
    use alloy_sol_types::{SolCall, SolConstructor, SolEvent};
    use evm::ExampleRollup as Rollup;

    let signer: alloy_signer_local::PrivateKeySigner = account_key(3).parse()?;
    let l1 = ProviderBuilder::new()
        .wallet(signer)
        .connect_http(setup.geth.url().parse()?);
    let namespace = Namespace::from_rollup_name("rollup-a");
    let anchor = alloy_primitives::Address::from(setup.anchor.0);
    let code = rollup::deploy_code(
        "ExampleRollup",
        &Rollup::constructorCall {
            anchor_: anchor,
            namespace_: namespace.as_bytes().into(),
        }
        .abi_encode(),
    )?;
    let deployed = l1
        .send_transaction(TransactionRequest::default().with_deploy_code(code))
        .await?
        .get_receipt()
        .await?;
    let inbox = deployed
        .contract_address
        .ok_or_else(|| anyhow::anyhow!("ExampleRollup not deployed: {deployed:?}"))?;

    let size = setup.reader()?.head(BlockTag::Latest).await?.history_size;
    let read = quire_client::read::ReadClient::connect(&net.grpc(2)?).await?;
    let claim = rollup::claim_from_node(&read, height, &namespace, size).await?;
    anyhow::ensure!(!claim.blobs.is_empty(), "no rollup-a blobs at {height}");
    let prove = |blobs: Vec<evm::Blob>| {
        TransactionRequest::default().with_to(inbox).with_input(
            Rollup::proveAtCall {
                size,
                hp: claim.height_proof.clone(),
                np: claim.namespace_proof.clone(),
                blobs,
            }
            .abi_encode(),
        )
    };
    let mut dropped = claim.blobs.clone();
    dropped.pop();
    anyhow::ensure!(
        l1.call(prove(dropped)).await.is_err(),
        "the inbox accepted the batch with a blob dropped"
    );
    let receipt = l1
        .send_transaction(prove(claim.blobs.clone()))
        .await?
        .get_receipt()
        .await?;
    anyhow::ensure!(receipt.status(), "prove reverted: {receipt:?}");
    let proven = receipt
        .inner
        .logs()
        .iter()
        .find_map(|log| Rollup::NamespaceProven::decode_log(&log.inner).ok())
        .ok_or_else(|| anyhow::anyhow!("no NamespaceProven event: {receipt:?}"))?;
    anyhow::ensure!(
        proven.height == height
            && proven.blobCount == alloy_primitives::U256::from(claim.blobs.len()),
        "proven {} blobs at {}, want {} at {height}",
        proven.blobCount,
        proven.height,
        claim.blobs.len()
    );
    anyhow::ensure!(
        l1.call(prove(claim.blobs.clone())).await.is_err(),
        "the inbox accepted the same batch twice"
    );
    eprintln!(
        "rollup inbox: {} blobs of height {height} proven against history size {size}, {} gas",
        claim.blobs.len(),
        receipt.gas_used
    );
    Ok(())
}

/// The data mode: the relayer has posted `height`'s run as EIP-4844
/// blobs. Rebuilt independently from a node and packed the same way, the
/// run hashes (KZG commitments) to exactly the versioned hashes of the L1
/// transaction that recorded it, and it checks against the anchored
/// history root: the L1 commits to Quire's data, verified. Prints what the
/// blobs cost per MB.
async fn blob_data_on_l1_is_quires(
    net: &Localnet,
    setup: &Setup,
    height: u64,
) -> anyhow::Result<()> {
    use alloy_provider::Provider;
    use alloy_sol_types::SolEvent;
    use quire_relayer::anchor::QuireAnchor;
    use quire_relayer::data::{sidecar, DataConfig, DataPoster};

    let signer: alloy_signer_local::PrivateKeySigner = account_key(DATA_ACCOUNT).parse()?;
    let poster = DataPoster::connect(
        &net.grpc(3)?,
        &setup.geth.url(),
        setup.anchor,
        signer,
        quire_relayer::RelayerConfig::default(),
        DataConfig::default(),
        std::sync::Arc::new(quire_relayer::metrics::Metrics::default()),
    )
    .await?;
    let deadline = Instant::now() + Duration::from_secs(120);
    while poster.posted_height().await? < height {
        anyhow::ensure!(
            Instant::now() < deadline,
            "height {height} not posted as blobs; relayer log:\n{}",
            setup.log_tail()
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }

    let l1 = alloy_provider::ProviderBuilder::new().connect_http(setup.geth.url().parse()?);
    let anchor = alloy_primitives::Address::from(setup.anchor.0);
    let filter = alloy_rpc_types_eth::Filter::new()
        .address(anchor)
        .event_signature(QuireAnchor::BatchDataRecorded::SIGNATURE_HASH)
        .from_block(0);
    let logs = l1.get_logs(&filter).await?;
    let (mut blob_gas, mut gas, mut blobs) = (0u64, 0u64, 0usize);
    let mut found = None;
    for log in &logs {
        let event = QuireAnchor::BatchDataRecorded::decode_log(&log.inner)?;
        let hash = log
            .transaction_hash
            .ok_or_else(|| anyhow::anyhow!("a log without its transaction"))?;
        let receipt = l1
            .get_transaction_receipt(hash)
            .await?
            .ok_or_else(|| anyhow::anyhow!("no receipt for {hash}"))?;
        blob_gas += receipt.blob_gas_used.unwrap_or(0);
        gas += receipt.gas_used;
        blobs += usize::try_from(event.count)?;
        anyhow::ensure!(
            event.poster == alloy_primitives::Address::from(account_address(DATA_ACCOUNT)?.0)
        );
        if event.fromHeight <= height && height <= event.toHeight {
            found = Some((event.data, hash, log.block_number.unwrap_or(0)));
        }
    }
    let (event, hash, block) = found.ok_or_else(|| anyhow::anyhow!("no run holds {height}"))?;
    let tx = tokio::task::block_in_place(|| {
        setup.rpc(
            "eth_getTransactionByHash",
            serde_json::json!([hash.to_string()]),
        )
    })?;
    let on_l1: Vec<alloy_primitives::B256> = tx["blobVersionedHashes"]
        .as_array()
        .ok_or_else(|| anyhow::anyhow!("{hash} is not a blob transaction: {tx}"))?
        .iter()
        .map(|h| Ok(h.as_str().unwrap_or_default().parse()?))
        .collect::<anyhow::Result<_>>()?;
    anyhow::ensure!(
        alloy_primitives::U256::from(on_l1.len()) == event.count,
        "{} versioned hashes, the event says {}",
        on_l1.len(),
        event.count
    );

    // The poster proved the run in the history anchored when it posted:
    // the newest CheckpointSubmitted at or before its block.
    let checkpoints = l1
        .get_logs(
            &alloy_rpc_types_eth::Filter::new()
                .address(anchor)
                .event_signature(QuireAnchor::CheckpointSubmitted::SIGNATURE_HASH)
                .from_block(0)
                .to_block(block),
        )
        .await?;
    let reader = setup.reader()?;
    let initial = reader.initial_height(BlockTag::Latest).await?;
    let mut matched = None;
    for log in checkpoints.iter().rev() {
        let size = QuireAnchor::CheckpointSubmitted::decode_log(&log.inner)?.historySize;
        if initial + size <= event.toHeight {
            break;
        }
        let run = poster
            .read_run(event.fromHeight, event.toHeight, size)
            .await?;
        let parts = run.pack()?;
        let Some(last) = parts.last().cloned() else {
            continue;
        };
        // KZG on 128 KiB blobs by value: on a thread with room for them.
        let hashes: Vec<alloy_primitives::B256> = std::thread::Builder::new()
            .stack_size(64 << 20)
            .spawn(move || sidecar(&last).map(|s| s.versioned_hashes().collect::<Vec<_>>()))?
            .join()
            .map_err(|_| anyhow::anyhow!("the KZG thread panicked"))??;
        if hashes == on_l1 {
            let root = reader.history_root(size, BlockTag::Latest).await?;
            run.verify(initial, &root)?;
            matched = Some((run, parts.len()));
            break;
        }
    }
    let (run, parts) = matched
        .ok_or_else(|| anyhow::anyhow!("no rebuilt run has the versioned hashes of {hash}"))?;
    let data: usize = run
        .heights
        .iter()
        .flat_map(|h| &h.blobs)
        .map(|b| b.data.len())
        .sum();
    let (_, metrics) = quire_tests::http_get(
        &format!("http://127.0.0.1:{}", setup.metrics_port),
        "/metrics",
    )?;
    let posted_bytes: f64 = metrics
        .lines()
        .find_map(|l| l.strip_prefix("quire_relayer_data_bytes_total "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0.0);
    let per_mb = |x: u64| x as f64 * 1e6 / posted_bytes.max(1.0);
    eprintln!(
        "data mode: heights {}..={} ({data} bytes of blobs, {parts} part(s)) match the L1's versioned hashes and the anchored root; \
         {} runs so far: {posted_bytes} bytes in {blobs} blobs, {gas} gas + {blob_gas} blob gas = {:.0} gas + {:.0} blob gas per MB",
        event.fromHeight,
        event.toHeight,
        logs.len(),
        per_mb(gas),
        per_mb(blob_gas),
    );
    Ok(())
}

/// Sends, from the relayer's account at its next nonce, a transfer to
/// itself whose fee cap (1 wei) is below the L1's base fee: geth keeps it
/// pending and never mines it. Returns its hash.
async fn leave_stuck_transaction(setup: &Setup) -> anyhow::Result<alloy_primitives::B256> {
    use alloy_network::TransactionBuilder;
    use alloy_provider::{Provider, ProviderBuilder};

    let signer: alloy_signer_local::PrivateKeySigner = account_key(2).parse()?;
    let from = signer.address();
    let l1 = ProviderBuilder::new()
        .disable_recommended_fillers()
        .wallet(signer)
        .connect_http(setup.geth.url().parse()?);
    let base_fee = l1
        .get_block_by_number(alloy_rpc_types_eth::BlockNumberOrTag::Latest)
        .await?
        .and_then(|b| b.header.base_fee_per_gas)
        .unwrap_or(0);
    anyhow::ensure!(
        base_fee > 1,
        "base fee {base_fee}: a 1-wei fee cap would be mined"
    );
    let nonce = l1.get_transaction_count(from).await?;
    let tx = TransactionRequest::default()
        .with_from(from)
        .with_to(from)
        .with_nonce(nonce)
        .with_chain_id(l1.get_chain_id().await?)
        .with_gas_limit(21_000)
        .with_max_fee_per_gas(1)
        .with_max_priority_fee_per_gas(1);
    Ok(*l1.send_transaction(tx).await?.tx_hash())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quire_is_anchored_on_geth_through_relayer_crashes_l1_rollbacks_and_set_changes() {
    let mut net = start_localnet(4).await;
    run_scenario(Duration::from_secs(1200), scenario(&mut net)).await;
}

async fn scenario(net: &mut Localnet) -> anyhow::Result<()> {
    let geth = tokio::task::block_in_place(Geth::start)?;
    let dir = tempfile::tempdir()?;
    let key1 = dir.path().join("deployer");
    std::fs::write(&key1, account_key(1))?;
    let anchor = tokio::task::block_in_place(|| deploy(net, &geth, &key1))?;
    let metrics_port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        listener.local_addr()?.port()
    };
    let mut setup = Setup {
        grpc: net.grpc(0)?,
        geth,
        dir,
        anchor,
        metrics_port,
    };
    let keyring = Keyring::open(&net.client_home()?.join("keyring"))?;
    let mut alice = Submitter::connect(
        NodeClient::new(&net.rpc(0)?)?,
        keyring.signing_key("alice")?,
    )
    .await?;

    // A transaction an earlier run left stuck at the relayer's nonce (its
    // fee cap below the base fee, so never mined): the relayer sends at the
    // same nonce and outbids it rather than queueing behind it.
    let stuck = leave_stuck_transaction(&setup).await?;

    // Under blob load, every attested height is anchored soon after.
    let relayer = setup.start_relayer("relayer1.log")?;
    let blob_height = submit_blobs(net, &mut alice, 30, "first").await?;
    // The checkpoint of h + 1 anchors h (its history holds every earlier height).
    let lag = setup
        .anchored(blob_height + 1, Duration::from_secs(120))
        .await?;
    eprintln!("anchoring: height {blob_height} anchored {lag:?} after its block was committed");
    let replaced = tokio::task::block_in_place(|| {
        setup.rpc(
            "eth_getTransactionReceipt",
            serde_json::json!([stuck.to_string()]),
        )
    })?;
    anyhow::ensure!(
        replaced.is_null(),
        "the stuck transaction was mined: {replaced}"
    );
    let (status, metrics) = quire_tests::http_get(
        &format!("http://127.0.0.1:{}", setup.metrics_port),
        "/metrics",
    )?;
    anyhow::ensure!(
        status == 200 && metrics.contains("quire_relayer_anchored_height"),
        "{metrics}"
    );

    // SIGKILL mid-flight, more blobs, restart: nothing lost, nothing posted twice.
    drop(relayer);
    let second = submit_blobs(net, &mut alice, 10, "second").await?;
    let relayer = setup.start_relayer("relayer2.log")?;
    setup.anchored(second + 1, Duration::from_secs(120)).await?;
    let (sent, anchored) = setup.sent_and_anchored()?;
    anyhow::ensure!(
        sent as usize == anchored && anchored > 0,
        "the relayer sent {sent} transactions for {anchored} anchored checkpoints"
    );
    eprintln!("relayer: {sent} transactions, {anchored} checkpoints, none wasted");

    // A read of the first blobs, verified on L1 at its finalized block.
    let genesis = setup.dir.path().join("genesis.json");
    std::fs::write(&genesis, net.genesis_json()?)?;
    let out = tokio::task::block_in_place(|| {
        Command::new(quired_bin()?)
            .args([
                "query",
                "blobs",
                "--height",
                &blob_height.to_string(),
                "--rollup",
                "rollup-a",
            ])
            .args([
                "--api",
                &net.grpc(1)?,
                "--l1",
                &setup.geth.url(),
                "--anchor",
                &anchor.to_string(),
            ])
            .arg("--genesis")
            .arg(&genesis)
            .arg("--json")
            .output()
            .map_err(anyhow::Error::from)
    })?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    anyhow::ensure!(
        out.status.success(),
        "query --l1 failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let verified: serde_json::Value = serde_json::from_str(stdout.trim())?;
    anyhow::ensure!(
        verified["l1"]["history_size"].as_u64().unwrap_or(0) > 0,
        "{verified}"
    );
    anyhow::ensure!(
        verified["blobs"].as_array().is_some_and(|b| !b.is_empty()),
        "{verified}"
    );

    // Boxed: their futures are large, the test thread's stack is not.
    Box::pin(rollup_inbox_accepts_the_batch(net, &setup, blob_height)).await?;
    Box::pin(blob_data_on_l1_is_quires(net, &setup, blob_height)).await?;

    // L1 rollback: the anchor forgets checkpoints; the relayer re-anchors.
    let snapshot = setup.dir.path().join("geth-snapshot");
    let before = setup.reader()?.head(BlockTag::Latest).await?.height;
    tokio::task::block_in_place(|| setup.geth.snapshot(&snapshot))?;
    let third = submit_blobs(net, &mut alice, 10, "third").await?;
    setup.anchored(third + 1, Duration::from_secs(120)).await?;
    tokio::task::block_in_place(|| setup.geth.restore(&snapshot))?;
    let after_rollback = setup.reader()?.head(BlockTag::Latest).await?.height;
    anyhow::ensure!(
        after_rollback <= before + 3 && after_rollback < third + 1,
        "the rollback did not take the anchor back ({before} -> {after_rollback})"
    );
    let attested = quire_client::read::ReadClient::connect(&net.grpc(0)?)
        .await?
        .l1_info()
        .await?
        .latest_attested_height;
    setup.anchored(attested, Duration::from_secs(120)).await?;

    // Proof of stake: a fifth validator joins; the checkpoint that names
    // the new set rotates the anchor, and later checkpoints are the new set's.
    let (genesis_set, rotations) = setup.valset()?;
    anyhow::ensure!(rotations == 0, "no set change yet");
    tokio::task::block_in_place(|| net.add_validator(10_000_000))?;
    let (_, joined) = NodeClient::new(&net.rpc(0)?)?.status().await?;
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let (set, rotations) = setup.valset()?;
        if set != genesis_set && rotations >= 1 {
            break;
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "the anchor's set did not rotate; relayer log:\n{}",
            setup.log_tail()
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    setup.anchored(joined + 5, Duration::from_secs(120)).await?;

    // A validator whose node signs with a wrong L1 key (node 1, restarted
    // with another key file): the others reject its vote extensions, so its
    // precommits do not count, and 4 of 5 keep the chain and the anchoring going.
    let node0_log = net.dir().join("logs").join("node0-quired.log");
    let rejections = || -> anyhow::Result<usize> {
        Ok(std::fs::read_to_string(&node0_log)?
            .matches("rejected vote extension")
            .count())
    };
    let rejected_before = rejections()?;
    let key_file = quired::l1_key::path(&net.dir().join("node1").join("quired"));
    std::fs::remove_file(&key_file)?;
    quired::l1_key::save(
        &key_file,
        &quire_core::l1::L1Signer::from_secret(&[0x55; 32])?,
    )?;
    tokio::task::block_in_place(|| net.script(&["restart", "1"]))?;
    let (_, restarted) = NodeClient::new(&net.rpc(0)?)?.status().await?;
    setup
        .anchored(restarted + 5, Duration::from_secs(120))
        .await?;
    let rejected = rejections()? - rejected_before;
    anyhow::ensure!(
        rejected > 0,
        "node 0 never rejected node 1's extensions signed with the wrong key"
    );
    eprintln!("wrong L1 key: node 0 rejected {rejected} of node 1's extensions; the chain went on");
    drop(relayer);
    Ok(())
}
