//! Encrypted blobs on a real 4-validator localnet (docs/blind-ordering.md):
//! a dealer's threshold key at genesis, each validator's share in its
//! home. Bundles sealed by the SDK are ordered blind (their block holds no
//! plaintext), shared in the next block's votes, revealed by the proposer
//! after, and read back from the reveal height through the verifying
//! client, signer and namespaces intact. A byzantine proposer (a test
//! build of quired) that leaves the reveal out or reveals a wrong key is
//! rejected by every honest node, and every envelope is revealed anyway.

use quire_client::encrypt::EncryptionKey;
use quire_client::keyring::Keyring;
use quire_client::read::{ReadClient, VerifiedReader};
use quire_client::verify::Verifier;
use quire_client::{NodeClient, Submitter};
use quire_core::envelope::EnvelopePayload;
use quire_core::Namespace;
use quire_tests::{run_scenario, start_localnet, Localnet};
use std::time::Duration;
use tendermint_rpc::Client;

const ENVELOPES: usize = 6;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sealed_bundles_are_ordered_blind_and_read_back_verified_after_their_reveal() {
    let net = start_localnet(4).await;
    run_scenario(Duration::from_secs(600), scenario(&net)).await;
}

fn payload(i: usize) -> EnvelopePayload {
    EnvelopePayload {
        blobs: vec![
            (
                Namespace::from_rollup_name("sealed-a"),
                format!("bundle {i} part a: a secret trade").into_bytes(),
            ),
            (
                Namespace::from_rollup_name("sealed-b"),
                format!("bundle {i} part b: its other leg").into_bytes(),
            ),
        ],
    }
}

/// What the scenario reads and submits with.
struct Rollup {
    key: EncryptionKey,
    client: NodeClient,
    alice: Submitter,
    reader: VerifiedReader,
    sent: usize,
}

impl Rollup {
    /// Seals and submits the next bundle; returns its tx hash.
    async fn submit(&mut self) -> anyhow::Result<(usize, String)> {
        let i = self.sent;
        let result = self
            .alice
            .submit_encrypted(&self.key, &payload(i), None)
            .await?;
        anyhow::ensure!(result.accepted(), "envelope {i} refused: {}", result.log);
        self.sent += 1;
        Ok((i, result.hash))
    }

    /// Checks envelope `i` (tx `hash`): committed, its block blind, its
    /// bundle read back verified from its reveal height; returns the lag in
    /// blocks.
    async fn check(&mut self, i: usize, hash: &str) -> anyhow::Result<u64> {
        let namespaces = [
            Namespace::from_rollup_name("sealed-a"),
            Namespace::from_rollup_name("sealed-b"),
        ];
        let tx = self
            .client
            .wait_for_tx(hash, Duration::from_secs(60))
            .await?;
        anyhow::ensure!(
            tx.code == 0,
            "envelope {i} failed at {}: {}",
            tx.height,
            tx.log
        );
        let slot = tx.height;
        // Blind: the block that ordered it carries no plaintext of it.
        let block = self
            .client
            .rpc()
            .block(tendermint::block::Height::try_from(slot)?)
            .await?
            .block;
        let secret = format!("bundle {i} part a").into_bytes();
        anyhow::ensure!(
            !block
                .data
                .iter()
                .any(|tx| tx.windows(secret.len()).any(|w| w == secret)),
            "block {slot} shows envelope {i}'s plaintext"
        );
        // Revealed two blocks later (more if reveals were refused), verified.
        for height in slot + 2..=slot + 6 {
            let a = self
                .reader
                .fetch(height, &namespaces[0], Duration::from_secs(60))
                .await?;
            if !a.blobs.iter().any(|(_, data)| data.starts_with(&secret)) {
                continue;
            }
            let b = self
                .reader
                .fetch(height, &namespaces[1], Duration::from_secs(60))
                .await?;
            let expected = payload(i);
            let alice = self.alice.address();
            anyhow::ensure!(
                a.blobs.contains(&(alice, expected.blobs[0].1.clone()))
                    && b.blobs.contains(&(alice, expected.blobs[1].1.clone())),
                "envelope {i}: the revealed blobs are not alice's bundle"
            );
            return Ok(height - slot);
        }
        anyhow::bail!("envelope {i} of {slot} was never revealed")
    }
}

async fn scenario(net: &Localnet) -> anyhow::Result<()> {
    let genesis = net.genesis_json()?;
    let client = NodeClient::new(&net.rpc(1)?)?;
    let keyring = Keyring::open(&net.client_home()?.join("keyring"))?;
    let mut rollup = Rollup {
        key: EncryptionKey::from_genesis_json(&genesis)?,
        alice: Submitter::connect(client.clone(), keyring.signing_key("alice")?).await?,
        client,
        reader: VerifiedReader::new(
            ReadClient::connect(&net.grpc(2)?).await?,
            Verifier::from_genesis_json(&genesis)?,
        ),
        sent: 0,
    };

    // Latency, one envelope at a time: from broadcast to its bundle read
    // back verified (printed for docs/blind-ordering.md, never asserted).
    let mut latencies = Vec::new();
    for _ in 0..3 {
        let started = std::time::Instant::now();
        let (i, hash) = rollup.submit().await?;
        let lag = rollup.check(i, &hash).await?;
        latencies.push((lag, started.elapsed().as_millis()));
    }
    eprintln!("submit to verified plaintext, (blocks, ms): {latencies:?}");

    // Honest validators: every bundle is readable two blocks after its own.
    let mut sent = Vec::new();
    for _ in 0..ENVELOPES {
        sent.push(rollup.submit().await?);
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let mut lags = Vec::new();
    for (i, hash) in &sent {
        lags.push(rollup.check(*i, hash).await?);
    }
    eprintln!("{ENVELOPES} envelopes revealed; blocks from order to reveal: {lags:?}");
    anyhow::ensure!(
        lags.iter().all(|&lag| lag == 2 || lag == 3),
        "reveals not two (or, after a lost round, three) blocks later: {lags:?}"
    );

    // The CLI seals too: `quired tx submit-blob --encrypt`.
    let output = std::process::Command::new(quire_tests::quired_bin()?)
        .args([
            "tx",
            "submit-blob",
            "--encrypt",
            "--from",
            "bob",
            "--rollup",
            "sealed-cli",
        ])
        .args([
            "--data",
            "sealed from the command line",
            "--also",
            "sealed-cli-2=its other leg",
        ])
        .args(["--wait", "--output", "json", "--genesis"])
        .arg(net.dir().join("genesis.json"))
        .arg("--home")
        .arg(net.client_home()?)
        .arg("--node")
        .arg(net.rpc(3)?)
        .output()?;
    anyhow::ensure!(
        output.status.success(),
        "quired tx submit-blob --encrypt: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let answer: serde_json::Value = serde_json::from_slice(&output.stdout)?;
    let slot = answer["height"]
        .as_u64()
        .ok_or_else(|| anyhow::anyhow!("no height in {answer}"))?;
    let bob = quire_core::builder::address_of(&keyring.signing_key("bob")?);
    let mut revealed = None;
    for height in slot + 2..=slot + 6 {
        let data = rollup
            .reader
            .fetch(
                height,
                &Namespace::from_rollup_name("sealed-cli"),
                Duration::from_secs(60),
            )
            .await?;
        if !data.blobs.is_empty() {
            revealed = Some((height, data.blobs));
            break;
        }
    }
    let (height, blobs) = revealed
        .ok_or_else(|| anyhow::anyhow!("the CLI's envelope of {slot} was never revealed"))?;
    anyhow::ensure!(
        blobs == vec![(bob, b"sealed from the command line".to_vec())],
        "the CLI's envelope revealed {blobs:?}"
    );
    eprintln!("CLI envelope ordered at {slot}, revealed and verified at {height}");

    // node0 proposes byzantine reveals: every honest node rejects them, and
    // the honest proposers reveal every envelope anyway.
    for (behaviour, mark) in [
        ("skip-reveal", "byzantine: reveal left out"),
        ("bad-key", "byzantine: a reveal key altered"),
    ] {
        let rejected_before: Vec<usize> = (1..net.nodes)
            .map(|node| reveal_rejections(net, node))
            .collect::<anyhow::Result<_>>()?;
        net.restart_with(0, BYZANTINE_ENV, behaviour)?;
        net.ensure_test_build(0)?;
        let mut sent = Vec::new();
        let mut tampered = 0;
        while tampered == 0 && sent.len() < 80 {
            sent.push(rollup.submit().await?);
            tokio::time::sleep(Duration::from_millis(250)).await;
            tampered = net.quired_log(0)?.matches(mark).count();
        }
        anyhow::ensure!(tampered > 0, "node0 never proposed with {behaviour}");
        // Let the last envelopes' reveals come due.
        for _ in 0..4 {
            sent.push(rollup.submit().await?);
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        for (i, hash) in &sent {
            rollup.check(*i, hash).await?;
        }
        for node in 1..net.nodes {
            let rejected = reveal_rejections(net, node)? - rejected_before[node - 1];
            anyhow::ensure!(rejected >= 1, "node{node} rejected no {behaviour} proposal");
            eprintln!("{behaviour}: node{node} rejected {rejected} proposals");
        }
        eprintln!(
            "{behaviour}: {} envelopes, all revealed and verified",
            sent.len()
        );
    }
    Ok(())
}

const BYZANTINE_ENV: &str = "QUIRED_BYZANTINE";

/// Proposals node `node` rejected for their reveal.
fn reveal_rejections(net: &Localnet, node: usize) -> anyhow::Result<usize> {
    Ok(net
        .quired_log(node)?
        .lines()
        .filter(|l| l.contains("rejected proposal") && l.contains("reveal"))
        .count())
}
