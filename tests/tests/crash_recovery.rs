//! quired crashes at each dangerous point of a block — after FinalizeBlock,
//! in the middle of Commit's write, after Commit before it answers — on a
//! 4-validator localnet under blob load. After each crash the node restarts,
//! CometBFT's handshake replays to the same app hash as the other nodes, and
//! its blob index has every blob exactly once.
//!
//! The load mixes plaintext blobs with encrypted envelopes (blind ordering,
//! on by default on a localnet), one every third tx, so nearly every block
//! is some envelope's slot, its share round or its reveal: each crash falls
//! between a share and its reveal, and the replay must give the same app
//! hash and reveal every envelope exactly once.
//!
//! The crashes are injected with `QUIRED_FAULT`, which needs a quired built
//! with the `fault-injection` feature: `cargo test --workspace` builds
//! target/debug/quired that way (see tests/Cargo.toml).

use quire_client::encrypt::EncryptionKey;
use quire_client::keyring::Keyring;
use quire_client::{Msg, NodeClient, Submitter};
use quire_core::envelope::EnvelopePayload;
use quire_core::Namespace;
use quire_tests::{run_scenario, start_localnet, Localnet};
use quired::fault::{FaultPoint, FAULT_ENV};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tendermint_rpc::Client;

const POINTS: [FaultPoint; 3] = [
    FaultPoint::AfterFinalize,
    FaultPoint::MidCommit,
    FaultPoint::AfterCommit,
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crashes_at_each_point_recover_without_loss() {
    let net = start_localnet(4).await;
    run_scenario(Duration::from_secs(900), scenario(&net)).await;
}

fn pid_alive(net: &Localnet, node: usize, kind: &str) -> bool {
    let file = net
        .dir()
        .join("pids")
        .join(format!("node{node}-{kind}.pid"));
    std::fs::read_to_string(file)
        .ok()
        .and_then(|pid| pid.trim().parse::<u32>().ok())
        .is_some_and(|pid| std::path::Path::new(&format!("/proc/{pid}")).exists())
}

async fn scenario(net: &Localnet) -> anyhow::Result<()> {
    let keyring = Keyring::open(&net.client_home()?.join("keyring"))?;
    let clients: Vec<NodeClient> = (0..4)
        .map(|i| NodeClient::new(&net.rpc(i)?).map_err(anyhow::Error::from))
        .collect::<Result<_, _>>()?;
    let namespace = Namespace::from_rollup_name("crash-rollup");
    let sealed = Namespace::from_rollup_name("crash-sealed");
    let encryption_key = EncryptionKey::from_genesis_json(&net.genesis_json()?)?;

    // Continuous load through node 1 (node 0 is the one that crashes).
    let stop = Arc::new(AtomicBool::new(false));
    let load = {
        let stop = stop.clone();
        let client = clients[1].clone();
        let key = keyring.signing_key("alice")?;
        tokio::spawn(async move {
            let mut submitter = Submitter::connect(client, key).await?;
            let mut hashes = Vec::new();
            let mut envelopes = 0usize;
            while !stop.load(Ordering::SeqCst) {
                let data = format!("blob {}", hashes.len()).into_bytes();
                let result = if hashes.len() % 3 == 2 {
                    envelopes += 1;
                    let payload = EnvelopePayload {
                        blobs: vec![(sealed, data)],
                    };
                    submitter
                        .submit_encrypted(&encryption_key, &payload, None)
                        .await?
                } else {
                    submitter
                        .submit(&[Msg::submit_blob(namespace, data)], None)
                        .await?
                };
                anyhow::ensure!(result.accepted(), "load tx refused: {}", result.log);
                hashes.push(result.hash);
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Ok::<_, anyhow::Error>((hashes, envelopes))
        })
    };

    for point in POINTS {
        let (_, tip) = clients[1].status().await?;
        let crash_at = tip + 6;
        eprintln!("arming {point}@{crash_at} on node0 (tip {tip})");
        net.restart_with(0, FAULT_ENV, &format!("{point}@{crash_at}"))?;
        // Wait for the injected abort.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
        while pid_alive(net, 0, "quired") {
            anyhow::ensure!(
                tokio::time::Instant::now() < deadline,
                "quired did not crash at {point}@{crash_at}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        net.ensure_test_build(0)?;
        let log = net.quired_log(0)?;
        anyhow::ensure!(
            log.contains("fault injection: aborting"),
            "node0 quired died, but not by the injected fault"
        );
        // The other three keep the chain going.
        clients[1]
            .wait_for_height(crash_at + 2, Duration::from_secs(60))
            .await?;
        // Restart without the fault: the handshake replays, node0 catches up.
        net.script(&["restart", "0"])?;
        let (_, now) = clients[1].status().await?;
        clients[0]
            .wait_for_height(now, Duration::from_secs(120))
            .await?;
        eprintln!("node0 recovered from {point}@{crash_at}");
    }

    stop.store(true, Ordering::SeqCst);
    let (hashes, envelopes) = load.await??;
    // Everything committed is on every node, exactly once.
    let mut last = 0;
    for hash in &hashes {
        let tx = clients[1]
            .wait_for_tx(hash, Duration::from_secs(60))
            .await?;
        anyhow::ensure!(tx.code == 0, "load tx {hash} failed: {}", tx.log);
        last = last.max(tx.height);
    }
    // The last envelopes are revealed two blocks after their own (a round
    // lost to a crashed proposer may cost more).
    let last = last + 4;
    clients[0]
        .wait_for_height(last + 1, Duration::from_secs(60))
        .await?;
    let mut count = 0;
    let mut revealed = 0;
    for height in 1..=last {
        for (ns, total) in [(namespace, &mut count), (sealed, &mut revealed)] {
            let reference = clients[1].blobs(height, &ns).await?;
            for (i, client) in clients.iter().enumerate() {
                let blobs = client.blobs(height, &ns).await?;
                anyhow::ensure!(
                    blobs == reference,
                    "node{i}'s blob index differs at height {height}"
                );
            }
            *total += reference.blobs.len();
        }
        let header = clients[1]
            .rpc()
            .block(tendermint::block::Height::try_from(height + 1)?)
            .await?;
        let node0 = clients[0]
            .rpc()
            .block(tendermint::block::Height::try_from(height + 1)?)
            .await?;
        anyhow::ensure!(
            header.block.header.app_hash == node0.block.header.app_hash,
            "app hash differs after {height}"
        );
    }
    anyhow::ensure!(
        count + envelopes == hashes.len() && revealed == envelopes,
        "{count} plaintext blobs and {revealed} revealed indexed, {} and {envelopes} submitted",
        hashes.len() - envelopes
    );
    eprintln!(
        "{} plaintext blobs and {envelopes} envelopes, each indexed once on all 4 nodes; app \
         hashes equal through height {last}",
        hashes.len() - envelopes
    );
    // And quired's Info on node0 agrees with the chain.
    let info = clients[0].rpc().abci_info().await?;
    let h = info.last_block_height.value();
    clients[1]
        .wait_for_height(h + 1, Duration::from_secs(30))
        .await?;
    let next = clients[1]
        .rpc()
        .block(tendermint::block::Height::try_from(h + 1)?)
        .await?;
    let info_hash = info.last_block_app_hash.as_bytes().to_vec();
    let decoded = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, &info_hash)
        .unwrap_or(info_hash);
    anyhow::ensure!(
        decoded == next.block.header.app_hash.as_bytes(),
        "node0 Info disagrees with the chain"
    );
    Ok(())
}
