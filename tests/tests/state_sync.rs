//! State sync: validators take a snapshot every 5 heights; a new full node
//! joins under a load of blob txs with CometBFT's state sync (trusting an
//! early header), restores the newest snapshot — each chunk checked against
//! the app hash its light client verified — and block-syncs from there. It
//! then serves verified reads of the snapshot's last 4 heights (their blob
//! index and headers came with the snapshot, checked against its state) and
//! of every height it executed; older heights are 404, it never had them. It
//! proves accounts against headers and agrees with the validators on every
//! app hash.

use quire_client::keyring::Keyring;
use quire_client::read::{ReadClient, VerifiedReader};
use quire_client::submitter::Submitter;
use quire_client::verify::Verifier;
use quire_client::NodeClient;
use quire_core::msg::Msg;
use quire_core::Namespace;
use quire_tests::{http_get, run_scenario, Localnet, TrustPoint};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tendermint_rpc::Client;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_node_state_syncs_under_load_and_serves_verified_reads() {
    let net = tokio::task::spawn_blocking(|| {
        Localnet::start_with(
            2,
            &["--snapshot-interval", "5", "--snapshot-index-heights", "4"],
        )
    })
    .await
    .expect("localnet start")
    .expect("localnet starts");
    run_scenario(Duration::from_secs(300), scenario(&net)).await;
}

async fn scenario(net: &Localnet) -> anyhow::Result<()> {
    let node = NodeClient::new(&net.rpc(0)?)?;
    node.wait_for_height(3, Duration::from_secs(60)).await?;
    let trusted = node
        .rpc()
        .commit(tendermint::block::Height::from(2u32))
        .await?;
    let trust = TrustPoint {
        height: 2,
        hash: trusted.signed_header.commit.block_id.hash.to_string(),
    };
    let keyring = Keyring::open(&net.client_home()?.join("keyring"))?;
    let key = keyring.signing_key("alice")?;
    let alice = quire_core::builder::address_of(&key);
    let namespace = Namespace::from_rollup_name("state-sync-rollup");

    // The load: a blob tx at a time, as fast as they commit, until stopped.
    let stop = Arc::new(AtomicBool::new(false));
    let load = {
        let (node, stop) = (node.clone(), stop.clone());
        tokio::spawn(async move {
            let mut submitter = Submitter::connect(node.clone(), key).await?;
            let mut sent = 0u32;
            while !stop.load(Ordering::Relaxed) {
                let data = format!("state sync blob {sent}").into_bytes();
                let result = submitter
                    .submit(&[Msg::submit_blob(namespace, data)], None)
                    .await?;
                anyhow::ensure!(result.accepted(), "blob {sent} refused: {}", result.log);
                node.wait_for_tx(&result.hash, Duration::from_secs(60))
                    .await?;
                sent += 1;
            }
            anyhow::Ok(sent)
        })
    };

    // Snapshots at 5 and 10 at least, then the new node.
    node.wait_for_height(12, Duration::from_secs(90)).await?;
    let joined = std::time::Instant::now();
    let synced = tokio::task::block_in_place(|| net.join_state_sync_node("synced", &trust))?;
    let synced_rpc = NodeClient::new(&synced.rpc)?;
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    let restored = loop {
        anyhow::ensure!(
            std::time::Instant::now() < deadline,
            "the state-sync node did not catch up: {}",
            log_tail(&synced.dir)
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
        let Ok(status) = synced_rpc.rpc().status().await else {
            continue;
        };
        let sync = status.sync_info;
        let (_, head) = node.status().await?;
        if !sync.catching_up && sync.latest_block_height.value() + 1 >= head {
            break sync.earliest_block_height.value();
        }
    };
    let caught_up = joined.elapsed();
    stop.store(true, Ordering::Relaxed);
    let sent = load.await??;
    anyhow::ensure!(sent > 0, "no load was sent");
    // It started from a snapshot, not from genesis: its first block is after
    // a snapshot height (a multiple of 5) and quired says so.
    anyhow::ensure!(
        restored > 5,
        "earliest block {restored}: the node block-synced from genesis"
    );
    let quired_log = std::fs::read_to_string(net.dir().join("logs/synced-quired.log"))?;
    anyhow::ensure!(
        quired_log.contains("state restored from a snapshot"),
        "no restore in the quired log: {quired_log}"
    );
    let snapshot_height = restored - 1;
    anyhow::ensure!(snapshot_height % 5 == 0, "restored at {snapshot_height}");
    // Both validators took the same snapshot of an earlier height (their
    // blob index carries canonical commits), so a restoring node can fetch
    // its chunks from either. (The restored one itself may be pruned by now.)
    let manifest = |node: usize, height: u64| {
        std::fs::read(net.dir().join(format!(
            "node{node}/quired/data/snapshots/{height}/manifest"
        )))
    };
    let common = (1..=snapshot_height / 5 + 4)
        .rev()
        .map(|k| k * 5)
        .find(|&h| manifest(0, h).is_ok() && manifest(1, h).is_ok())
        .ok_or_else(|| anyhow::anyhow!("no snapshot both validators still keep"))?;
    anyhow::ensure!(
        manifest(0, common)? == manifest(1, common)?,
        "the validators' snapshots of height {common} differ"
    );

    // The same app hash as the validators at a height both have.
    let (_, head) = synced_rpc.status().await?;
    let check = tendermint::block::Height::try_from(head)?;
    let ours = synced_rpc.rpc().commit(check).await?;
    let theirs = node.rpc().commit(check).await?;
    anyhow::ensure!(
        ours.signed_header.header.app_hash == theirs.signed_header.header.app_hash,
        "app hash at {head} differs"
    );

    println!(
        "state sync: restored at height {snapshot_height}, caught up with the validators at {head} \
         {:.1} s after joining, {sent} blob txs sent meanwhile",
        caught_up.as_secs_f64()
    );

    // Reads: verified from the first height the snapshot carries (its last
    // 4) on; before that the node has nothing and says so.
    let genesis = net.genesis_json()?;
    let mut reader = VerifiedReader::new(
        ReadClient::connect(&synced.grpc).await?,
        Verifier::from_genesis_json(&genesis)?,
    );
    let to = head.saturating_sub(2);
    anyhow::ensure!(
        to > restored,
        "too few heights after the restore ({restored}..{to})"
    );
    let first = snapshot_height - 3;
    let verified = reader.range(&namespace, first, to).await?;
    anyhow::ensure!(verified.len() as u64 == to - first + 1);
    let blobs_of = |from: u64, to: u64| -> usize {
        verified
            .iter()
            .filter(|v| (from..=to).contains(&v.height))
            .map(|v| v.blobs.len())
            .sum()
    };
    anyhow::ensure!(
        blobs_of(first, snapshot_height) > 0,
        "no blobs verified in the snapshot's heights {first}..={snapshot_height}"
    );
    anyhow::ensure!(
        blobs_of(restored, to) > 0,
        "no blobs verified in {restored}..={to}"
    );
    let mut reference = VerifiedReader::new(
        ReadClient::connect(&net.grpc(0)?).await?,
        Verifier::from_genesis_json(&genesis)?,
    );
    let expected = reference.range(&namespace, first, to).await?;
    anyhow::ensure!(expected.len() == verified.len());
    for (a, b) in verified.iter().zip(&expected) {
        anyhow::ensure!(
            a.height == b.height && a.blobs == b.blobs,
            "height {} differs",
            a.height
        );
    }
    let ns_hex = namespace.to_hex();
    let (status, body) = http_get(
        &synced.http,
        &format!("/v1/namespaces/{ns_hex}/heights/{}", first - 1),
    )?;
    anyhow::ensure!(
        status == 404 && body.contains("not_found"),
        "{status} {body}"
    );

    // State proofs against headers, from the restored state on: once the
    // node has every block of the load, alice's proven sequence counts it.
    let (_, loaded) = node.status().await?;
    synced_rpc
        .wait_for_height(loaded + 1, Duration::from_secs(60))
        .await?;
    let mut verifier = Verifier::from_genesis_json(&genesis)?;
    let account = synced_rpc
        .verified_account(&alice, &mut verifier, Duration::from_secs(30))
        .await?;
    let account = account
        .account
        .ok_or_else(|| anyhow::anyhow!("alice proven absent"))?;
    anyhow::ensure!(
        account.sequence >= u64::from(sent),
        "sequence {}",
        account.sequence
    );
    Ok(())
}

fn log_tail(dir: &std::path::Path) -> String {
    let logs = dir.parent().map(|p| p.join("logs")).unwrap_or_default();
    let mut out = String::new();
    for kind in ["quired", "cometbft"] {
        let text =
            std::fs::read_to_string(logs.join(format!("synced-{kind}.log"))).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        out.push_str(&format!("\n--- synced {kind}:\n"));
        for line in &lines[lines.len().saturating_sub(30)..] {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}
