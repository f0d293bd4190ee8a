//! The explorer page (`/explorer`, served by quired) in a real headless
//! browser — Debian's chromium, driven by puppeteer-core (tests/browser) —
//! against a two-validator localnet with blobs in it: the latest blocks with
//! their namespaces and blob sizes, a namespace's history with every height's
//! proofs (Merkle paths, header hash, Ed25519 commit signatures) checked in
//! the page, an account, the validators. The page's verifier must also
//! refuse the same data altered as a lying node would alter it. Screenshots
//! are kept in target/test-artifacts/explorer/.

use quire_client::keyring::Keyring;
use quire_client::submitter::Submitter;
use quire_client::NodeClient;
use quire_core::msg::Msg;
use quire_core::Namespace;
use quire_tests::{http_get, repo_root, run_scenario, start_localnet, Localnet};
use serde_json::Value;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn explorer_page_shows_and_verifies_the_chain_in_chromium() {
    let net = start_localnet(2).await;
    run_scenario(Duration::from_secs(300), scenario(&net)).await;
}

/// A blob this test submitted: where it landed and what it was.
struct Sent {
    height: u64,
    size: usize,
}

async fn scenario(net: &Localnet) -> anyhow::Result<()> {
    let node = NodeClient::new(&net.rpc(0)?)?;
    node.wait_for_height(2, Duration::from_secs(60)).await?;
    let keyring = Keyring::open(&net.client_home()?.join("keyring"))?;
    let key = keyring.signing_key("alice")?;
    let alice = quire_core::builder::address_of(&key);
    let rollup = Namespace::from_rollup_name("explorer-rollup");
    let other = Namespace::from_rollup_name("explorer-other");

    // Blobs of three sizes in separate txs, then one bundle over two
    // namespaces; each waited for, so they land in different blocks.
    let mut submitter = Submitter::connect(node.clone(), key).await?;
    let mut sent = Vec::new();
    for (i, size) in [17usize, 2_000, 60_000].into_iter().enumerate() {
        let data: Vec<u8> = (0..size).map(|j| b'a' + ((i + j) % 26) as u8).collect();
        let result = submitter
            .submit(&[Msg::submit_blob(rollup, data)], None)
            .await?;
        anyhow::ensure!(result.accepted(), "blob {i} refused: {}", result.log);
        let committed = node
            .wait_for_tx(&result.hash, Duration::from_secs(60))
            .await?;
        anyhow::ensure!(committed.code == 0, "blob {i} failed: {}", committed.log);
        sent.push(Sent {
            height: committed.height,
            size,
        });
    }
    let bundle = submitter
        .submit(
            &[
                Msg::submit_blob(rollup, b"bundle part one".to_vec()),
                Msg::submit_blob(other, b"bundle part two, longer".to_vec()),
            ],
            None,
        )
        .await?;
    anyhow::ensure!(bundle.accepted(), "bundle refused: {}", bundle.log);
    let bundled = node
        .wait_for_tx(&bundle.hash, Duration::from_secs(60))
        .await?;
    sent.push(Sent {
        height: bundled.height,
        size: 15,
    });
    // The page reads the newest heights: let one more block land.
    node.wait_for_height(bundled.height + 2, Duration::from_secs(60))
        .await?;
    let account = node
        .account(&alice)
        .await?
        .ok_or_else(|| anyhow::anyhow!("alice has no account"))?;

    let seen = run_browser(net, &rollup.to_hex(), bundled.height, &alice.to_bech32())?;
    anyhow::ensure!(
        seen["consoleErrors"].as_array().is_some_and(Vec::is_empty),
        "the page logged errors: {}",
        seen["consoleErrors"]
    );

    // The home view: the chain, and the latest blocks, each verified; the
    // blob counts and sizes as the read API gives them.
    let home = &seen["home"];
    anyhow::ensure!(home["state"] == "ready", "home: {}", home["error"]);
    anyhow::ensure!(
        home["chainId"] == net.chain_id()?,
        "chain id {}",
        home["chainId"]
    );
    let latest = home["latest"].as_u64().unwrap_or(0);
    anyhow::ensure!(latest > bundled.height, "latest height {latest}");
    let blocks = home["blocks"].as_array().cloned().unwrap_or_default();
    anyhow::ensure!(
        blocks.len() as u64 == latest.min(10),
        "{} blocks listed",
        blocks.len()
    );
    for row in &blocks {
        let height = row["height"].as_u64().unwrap_or(0);
        anyhow::ensure!(
            row["verified"] == "ok",
            "block {height} not verified: {row}"
        );
        let (status, body) = http_get(&net.http(0)?, &format!("/v1/blocks/{height}"))?;
        anyhow::ensure!(status == 200, "GET block {height}: {status}");
        let block: Value = serde_json::from_str(&body)?;
        let namespaces = block["namespaces"].as_array().cloned().unwrap_or_default();
        let blob_sizes: Vec<usize> = namespaces
            .iter()
            .flat_map(|ns| ns["blobs"].as_array().cloned().unwrap_or_default())
            .map(|b| base64_len(b["data"].as_str().unwrap_or("")))
            .collect();
        anyhow::ensure!(
            row["namespaces"] == namespaces.len(),
            "block {height}: {row}"
        );
        anyhow::ensure!(row["blobs"] == blob_sizes.len(), "block {height}: {row}");
        anyhow::ensure!(
            row["bytes"] == blob_sizes.iter().sum::<usize>(),
            "block {height}: {row}"
        );
    }

    // The namespace's history: every height from 1 verified (absent ones
    // too), and exactly the blobs this test sent, with their sizes and signer.
    let history = &seen["namespace"];
    anyhow::ensure!(
        history["state"] == "ready",
        "namespace: {}",
        history["error"]
    );
    anyhow::ensure!(history["failedHeights"] == 0, "{history}");
    let (from, to) = (
        history["from"].as_u64().unwrap_or(0),
        history["to"].as_u64().unwrap_or(0),
    );
    anyhow::ensure!(from == 1 && to >= bundled.height, "{history}");
    anyhow::ensure!(history["verifiedHeights"] == to - from + 1, "{history}");
    let rows = history["rows"].as_array().cloned().unwrap_or_default();
    anyhow::ensure!(
        rows.len() == sent.len(),
        "{} heights with blobs: {history}",
        rows.len()
    );
    for (row, blob) in rows.iter().zip(&sent) {
        anyhow::ensure!(row["height"] == blob.height, "{row}");
        anyhow::ensure!(row["verified"] == "ok", "{row}");
        anyhow::ensure!(row["sizes"] == serde_json::json!([blob.size]), "{row}");
        anyhow::ensure!(
            row["signers"] == serde_json::json!([alice.to_bech32()]),
            "{row}"
        );
    }

    // The bundle's block: both namespaces' blobs, verified.
    let block = &seen["block"];
    anyhow::ensure!(
        block["state"] == "ready" && block["verified"] == "ok",
        "{block}"
    );
    let mut sizes: Vec<u64> = block["sizes"]
        .as_array()
        .map(|s| s.iter().filter_map(Value::as_u64).collect())
        .unwrap_or_default();
    sizes.sort_unstable();
    anyhow::ensure!(sizes == [15, 23], "bundle block sizes {sizes:?}");

    // Alice's account, as the chain has it.
    let shown = &seen["account"];
    anyhow::ensure!(shown["state"] == "ready", "account: {}", shown["error"]);
    anyhow::ensure!(
        shown["sequence"].as_str() == Some(account.sequence.to_string().as_str()),
        "{shown}"
    );
    let params = node.params().await?;
    anyhow::ensure!(
        shown["balances"][&params.fee_denom].as_str() == Some(account.balance.to_string().as_str()),
        "{shown} vs {}",
        account.balance
    );

    // The validators: CometBFT's set.
    let validators = &seen["validators"];
    anyhow::ensure!(validators["state"] == "ready", "{validators}");
    anyhow::ensure!(
        validators["powers"].as_array().map(Vec::len) == Some(2),
        "{validators}"
    );

    // The page's verifier accepts the untouched item with every signature
    // checked, and refuses each alteration with its own error.
    let tampering = seen["tampering"]
        .as_object()
        .ok_or_else(|| anyhow::anyhow!("no tampering results"))?;
    let untouched = &tampering["untouched"];
    anyhow::ensure!(untouched["ok"] == true, "{untouched}");
    anyhow::ensure!(untouched["signaturesChecked"] == true, "{untouched}");
    anyhow::ensure!(untouched["signed"] == untouched["total"], "{untouched}");
    for (name, result) in tampering.iter().filter(|(n, _)| *n != "untouched") {
        anyhow::ensure!(result["ok"] == false, "{name} was accepted: {result}");
        anyhow::ensure!(result["isVerifyError"] == true, "{name}: {result}");
    }
    anyhow::ensure!(tampering.len() == 7, "{tampering:?}");
    Ok(())
}

/// Decoded length of standard base64 text.
fn base64_len(text: &str) -> usize {
    let padding = text.bytes().rev().take_while(|b| *b == b'=').count();
    text.len() / 4 * 3 - padding
}

/// Runs tests/browser/explorer.mjs against node 0's explorer; its JSON.
fn run_browser(
    net: &Localnet,
    namespace: &str,
    block: u64,
    account: &str,
) -> anyhow::Result<Value> {
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    anyhow::ensure!(
        std::path::Path::new(&chromium).exists(),
        "no chromium at {chromium}: install Debian's (apt-get install chromium; test.sh does) or set CHROMIUM"
    );
    let shots = repo_root().join("target/test-artifacts/explorer");
    std::fs::create_dir_all(&shots)?;
    let dir = repo_root().join("tests/browser");
    let output = std::process::Command::new("timeout")
        .args(["180", "node", "explorer.mjs"])
        .current_dir(&dir)
        .env("QUIRE_EXPLORER", format!("{}/explorer", net.http(0)?))
        .env("QUIRE_NAMESPACE", namespace)
        .env("QUIRE_BLOCK", block.to_string())
        .env("QUIRE_ACCOUNT", account)
        .env("QUIRE_SHOTS", &shots)
        .env("CHROMIUM", &chromium)
        .output()?;
    anyhow::ensure!(
        output.status.success(),
        "the browser run failed (run `npm ci --ignore-scripts` in {}): {}",
        dir.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    for shot in [
        "explorer-home.png",
        "explorer-namespace.png",
        "explorer-validators.png",
    ] {
        let bytes = std::fs::read(shots.join(shot))?;
        anyhow::ensure!(bytes.starts_with(b"\x89PNG"), "{shot} is not a PNG");
    }
    Ok(serde_json::from_slice(&output.stdout)?)
}
