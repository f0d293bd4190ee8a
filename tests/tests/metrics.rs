//! quired's Prometheus metrics, scraped on a localnet during and after a
//! load of blob txs (and some txs CheckTx refuses): the counters agree with
//! what the blocks hold, as CometBFT reports them.

use quire_client::keyring::Keyring;
use quire_client::submitter::Submitter;
use quire_client::NodeClient;
use quire_core::builder::{sign_tx, SignerContext};
use quire_core::msg::Msg;
use quire_core::Namespace;
use quire_tests::{http_get, run_scenario, start_localnet, Localnet};
use std::collections::BTreeMap;
use std::time::Duration;
use tendermint_rpc::Client;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_agree_with_the_blocks_after_a_load() {
    let net = start_localnet(1).await;
    run_scenario(Duration::from_secs(240), scenario(&net)).await;
}

/// One scrape: each sample line's series (name and labels) and value.
fn scrape(net: &Localnet) -> anyhow::Result<BTreeMap<String, f64>> {
    let url = net.metrics(0)?;
    let (base, path) = url
        .rsplit_once('/')
        .ok_or_else(|| anyhow::anyhow!("metrics URL {url}"))?;
    let (status, body) = http_get(base, &format!("/{path}"))?;
    anyhow::ensure!(status == 200, "GET {url}: {status} {body}");
    anyhow::ensure!(body.ends_with("# EOF\n"), "not OpenMetrics text: {body}");
    let mut samples = BTreeMap::new();
    for line in body.lines().filter(|l| !l.starts_with('#')) {
        let (series, value) = line
            .rsplit_once(' ')
            .ok_or_else(|| anyhow::anyhow!("bad sample line {line:?}"))?;
        samples.insert(series.to_string(), value.parse::<f64>()?);
    }
    Ok(samples)
}

fn sample(samples: &BTreeMap<String, f64>, series: &str) -> f64 {
    samples.get(series).copied().unwrap_or(0.0)
}

async fn scenario(net: &Localnet) -> anyhow::Result<()> {
    let node = NodeClient::new(&net.rpc(0)?)?;
    node.wait_for_height(2, Duration::from_secs(60)).await?;
    let keyring = Keyring::open(&net.client_home()?.join("keyring"))?;
    let key = keyring.signing_key("alice")?;
    let params = node.params().await?;

    // A bad signature, refused by CheckTx: its code, counted once each.
    let account = node
        .account(&quire_core::builder::address_of(&key))
        .await?
        .ok_or_else(|| anyhow::anyhow!("alice has no account"))?;
    let context = SignerContext {
        chain_id: net.chain_id()?.to_string(),
        account_number: account.account_number,
        sequence: account.sequence,
        fee_denom: params.fee_denom.clone(),
        fee: 1_000_000,
        timeout_height: 0,
        memo: String::new(),
    };
    let namespace = Namespace::from_rollup_name("metrics-rollup");
    let mut refused_code = 0;
    const REFUSED: usize = 3;
    for i in 0..REFUSED {
        let mut bad = sign_tx(
            &key,
            &context,
            &[Msg::submit_blob(namespace, format!("bad {i}").into_bytes())],
        )?;
        let end = bad.len() - 1;
        bad[end] ^= 0x01;
        let result = node.broadcast(bad).await?;
        anyhow::ensure!(!result.accepted(), "a forged signature was accepted");
        refused_code = result.code;
    }

    // The load: blobs of growing size, pipelined; a scrape in the middle.
    let mut submitter = Submitter::connect(node.clone(), key).await?;
    const BLOBS: usize = 40;
    let mut hashes = Vec::new();
    for i in 0..BLOBS {
        let data = vec![i as u8; 100 + 50 * i];
        let result = submitter
            .submit(&[Msg::submit_blob(namespace, data)], None)
            .await?;
        anyhow::ensure!(result.accepted(), "blob {i} refused: {}", result.log);
        hashes.push(result.hash);
        if i == BLOBS / 2 {
            let during = scrape(net)?;
            anyhow::ensure!(sample(&during, "quired_block_height") >= 2.0);
        }
    }
    for hash in &hashes {
        node.wait_for_tx(hash, Duration::from_secs(60)).await?;
    }
    // A read API request, to be counted by its route template.
    let (status, _) = http_get(&net.http(0)?, "/v1/height")?;
    anyhow::ensure!(status == 200);
    let last = node.status().await?.1;
    node.wait_for_height(last + 2, Duration::from_secs(30))
        .await?;
    let samples = scrape(net)?;

    // What the blocks hold, from CometBFT, up to the height the metrics saw.
    let height = sample(&samples, "quired_block_height") as u64;
    anyhow::ensure!(height > last, "quired_block_height {height} <= {last}");
    let (mut ok_txs, mut blobs, mut blob_bytes) = (0u64, 0u64, 0u64);
    for h in 1..=height {
        let results = node
            .rpc()
            .block_results(tendermint::block::Height::try_from(h)?)
            .await?;
        for result in results.txs_results.unwrap_or_default() {
            let user = result.events.iter().any(|e| e.kind == "tx");
            if user && result.code.is_ok() {
                ok_txs += 1;
            }
            for event in result.events.iter().filter(|e| e.kind == "blob") {
                blobs += 1;
                let size = event
                    .attributes
                    .iter()
                    .find(|a| a.key_str().ok() == Some("size"))
                    .and_then(|a| a.value_str().ok())
                    .and_then(|v| v.parse::<u64>().ok())
                    .ok_or_else(|| anyhow::anyhow!("blob event without size"))?;
                blob_bytes += size;
            }
        }
    }
    println!("blocks 1..={height}: {ok_txs} txs, {blobs} blobs, {blob_bytes} bytes");
    anyhow::ensure!(
        ok_txs == BLOBS as u64 && blobs == BLOBS as u64,
        "the blocks hold {ok_txs} txs"
    );
    // The block after `height` may be finalized (counted) but not yet
    // committed; it is empty, so the counts still agree.
    anyhow::ensure!(
        sample(&samples, "quired_tx_results_total{code=\"0\"}") == ok_txs as f64,
        "quired_tx_results_total {samples:?}"
    );
    anyhow::ensure!(sample(&samples, "quired_blobs_total") == blobs as f64);
    anyhow::ensure!(sample(&samples, "quired_blob_bytes_total") == blob_bytes as f64);
    anyhow::ensure!(sample(&samples, "quired_block_blob_bytes_sum") == blob_bytes as f64);
    anyhow::ensure!(
        sample(
            &samples,
            &format!("quired_checktx_total{{result=\"rejected\",code=\"{refused_code}\"}}")
        ) == REFUSED as f64,
        "rejected CheckTx count {samples:?}"
    );
    anyhow::ensure!(
        sample(
            &samples,
            "quired_checktx_total{result=\"accepted\",code=\"0\"}"
        ) >= BLOBS as f64
    );
    let finalized = sample(
        &samples,
        "quired_abci_request_duration_seconds_count{method=\"finalize_block\"}",
    );
    anyhow::ensure!(
        finalized >= height as f64,
        "finalize count {finalized} < {height}"
    );
    anyhow::ensure!(
        sample(
            &samples,
            "quired_read_api_requests_total{transport=\"http\",route=\"/v1/height\",status=\"200\"}"
        ) >= 1.0
    );
    anyhow::ensure!(sample(&samples, "quired_store_size_bytes") > 0.0);
    // Each blob's signature was verified at CheckTx and found again in its
    // block.
    anyhow::ensure!(sample(&samples, "quired_sigcache_hits_total") >= BLOBS as f64);
    anyhow::ensure!(samples
        .keys()
        .any(|k| k.starts_with("quired_build_info{version=")));
    dashboard_queries_exist(&samples)
}

/// Every `quired_*` series the Grafana dashboard in the repo queries is one
/// quired exports (so the dashboard cannot drift from the code).
fn dashboard_queries_exist(samples: &BTreeMap<String, f64>) -> anyhow::Result<()> {
    let path = quire_tests::repo_root().join("docs/grafana/quired-dashboard.json");
    let dashboard: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path)?)?;
    let mut names = std::collections::BTreeSet::new();
    for panel in dashboard["panels"].as_array().into_iter().flatten() {
        for target in panel["targets"].as_array().into_iter().flatten() {
            let expr = target["expr"].as_str().unwrap_or_default();
            let mut rest = expr;
            while let Some(start) = rest.find("quired_") {
                let tail = &rest[start..];
                let end = tail
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .unwrap_or(tail.len());
                names.insert(tail[..end].to_string());
                rest = &tail[end..];
            }
        }
    }
    anyhow::ensure!(names.len() >= 10, "the dashboard queries only {names:?}");
    for name in &names {
        anyhow::ensure!(
            samples
                .keys()
                .any(|series| series == name || series.starts_with(&format!("{name}{{"))),
            "the dashboard queries {name}, which quired does not export"
        );
    }
    Ok(())
}
