//! Pruning: on a two-validator localnet whose evidence window is 8 blocks,
//! node 1 runs with `min_retain_blocks = 6` and `blob_retention_blocks = 5`
//! while node 0 stays archival. Under a load of blobs, node 1's CometBFT
//! drops old blocks but keeps the evidence window (8 > 6), its read API
//! answers old heights 404 and recent ones with data that verifies; node 0
//! still has everything from height 1.

use quire_client::keyring::Keyring;
use quire_client::read::{ReadClient, VerifiedReader};
use quire_client::submitter::Submitter;
use quire_client::verify::Verifier;
use quire_client::NodeClient;
use quire_core::msg::Msg;
use quire_core::Namespace;
use quire_tests::{http_get, run_scenario, Localnet};
use std::time::Duration;
use tendermint_rpc::Client;

const EVIDENCE_BLOCKS: u64 = 8;
const MIN_RETAIN: u64 = 6;
const BLOB_RETENTION: u64 = 5;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pruning_node_keeps_the_evidence_window_and_serves_what_it_keeps() {
    // The staking defaults with an evidence window of 8 blocks.
    let staking = quire_core::staking::StakingParams {
        evidence_max_age_blocks: EVIDENCE_BLOCKS,
        ..Default::default()
    };
    let params = tempfile::NamedTempFile::new().expect("temp file");
    std::fs::write(
        params.path(),
        serde_json::to_string(&staking).expect("params encode"),
    )
    .expect("params written");
    let path = params.path().to_str().expect("utf-8 path").to_string();
    let net = tokio::task::spawn_blocking(move || {
        let net = Localnet::start_with(2, &["--staking-params", &path])?;
        // Node 1 prunes: its quired.toml changed, then restarted.
        let config = net.dir().join("node1/quired/config/quired.toml");
        let text = std::fs::read_to_string(&config)?
            .replace(
                "min_retain_blocks = 0",
                &format!("min_retain_blocks = {MIN_RETAIN}"),
            )
            .replace(
                "blob_retention_blocks = 0",
                &format!("blob_retention_blocks = {BLOB_RETENTION}"),
            );
        anyhow::ensure!(text.contains("min_retain_blocks = 6"), "{text}");
        std::fs::write(&config, text)?;
        net.script(&["restart", "1"])?;
        anyhow::Ok(net)
    })
    .await
    .expect("localnet start")
    .expect("localnet starts");
    run_scenario(Duration::from_secs(240), scenario(&net)).await;
}

async fn scenario(net: &Localnet) -> anyhow::Result<()> {
    let archival = NodeClient::new(&net.rpc(0)?)?;
    let pruning = NodeClient::new(&net.rpc(1)?)?;
    let keyring = Keyring::open(&net.client_home()?.join("keyring"))?;
    let key = keyring.signing_key("alice")?;
    let namespace = Namespace::from_rollup_name("pruned-rollup");
    let mut submitter = Submitter::connect(archival.clone(), key).await?;
    // A blob in each of ~25 blocks.
    let mut heights = Vec::new();
    while heights.len() < 25 {
        let data = format!("pruned blob {}", heights.len()).into_bytes();
        let result = submitter
            .submit(&[Msg::submit_blob(namespace, data)], None)
            .await?;
        anyhow::ensure!(result.accepted(), "{}", result.log);
        heights.push(
            archival
                .wait_for_tx(&result.hash, Duration::from_secs(60))
                .await?
                .height,
        );
    }
    let last_blob = heights.last().copied().unwrap_or(0);
    pruning
        .wait_for_height(last_blob + 3, Duration::from_secs(60))
        .await?;

    // CometBFT's blocks: node 1 pruned but kept the evidence window, node 0
    // everything.
    let status = pruning.rpc().status().await?.sync_info;
    let (earliest, latest) = (
        status.earliest_block_height.value(),
        status.latest_block_height.value(),
    );
    anyhow::ensure!(earliest > 1, "node 1 pruned nothing (earliest {earliest})");
    anyhow::ensure!(
        latest + 1 - earliest >= EVIDENCE_BLOCKS,
        "node 1 keeps {earliest}..={latest}: less than the evidence window"
    );
    let archived = archival.rpc().status().await?.sync_info;
    anyhow::ensure!(archived.earliest_block_height.value() == 1);

    // The blob index: old heights are gone (404), recent ones verify.
    let ns = namespace.to_hex();
    let first = heights[0];
    let (status, body) = http_get(
        &net.http(1)?,
        &format!("/v1/namespaces/{ns}/heights/{first}"),
    )?;
    anyhow::ensure!(
        status == 404 && body.contains("not_found"),
        "{status} {body}"
    );
    let (status, _) = http_get(
        &net.http(0)?,
        &format!("/v1/namespaces/{ns}/heights/{first}"),
    )?;
    anyhow::ensure!(
        status == 200,
        "the archival node lost height {first}: {status}"
    );
    let genesis = net.genesis_json()?;
    let mut reader = VerifiedReader::new(
        ReadClient::connect(&net.grpc(1)?).await?,
        Verifier::from_genesis_json(&genesis)?,
    );
    let recent = reader
        .fetch(last_blob, &namespace, Duration::from_secs(30))
        .await?;
    anyhow::ensure!(
        recent.blobs.len() == 1 && recent.blobs[0].1 == b"pruned blob 24",
        "{:?}",
        recent.blobs
    );
    // Exactly the retained heights are indexed: the newest BLOB_RETENTION
    // up to node 1's last commit, nothing below. (CometBFT reports a block
    // as its latest once stored, which can be before the app commits it.)
    let (_, stored) = pruning.status().await?;
    let committed = stored.saturating_sub(1);
    let kept_from = committed + 1 - BLOB_RETENTION;

    for height in [kept_from - 2, kept_from - 1] {
        let (status, _) = http_get(&net.http(1)?, &format!("/v1/blocks/{height}"))?;
        anyhow::ensure!(status == 404, "height {height}: {status}");
    }
    Ok(())
}
