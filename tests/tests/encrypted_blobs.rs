//! Encrypted blobs on a real 4-validator localnet (docs/blind-ordering.md):
//! a dealer's threshold key at genesis, each validator's share in its
//! home. Bundles sealed by the SDK are ordered blind (their block holds no
//! plaintext), shared in the next block's votes, revealed by the proposer
//! after, and read back from the reveal height through the verifying
//! client, signer and namespaces intact. A byzantine proposer (a test
//! build of quired) that leaves the reveal out or reveals a wrong key is
//! rejected by every honest node, and every envelope is revealed anyway; a
//! validator that puts its shares of the block it votes on in its vote
//! extension (peeks) has those extensions refused by every honest node.
//!
//! Liveness: with one validator of four withholding its shares nothing is
//! delayed; with two (more than f) each slot expires at S + E, never
//! decrypted, and after K expiries in a row the chain is plaintext only,
//! blocks and plaintext blobs going on throughout.

use quire_client::encrypt::EncryptionKey;
use quire_client::keyring::Keyring;
use quire_client::read::{ReadClient, VerifiedReader};
use quire_client::verify::Verifier;
use quire_client::{NodeClient, Submitter};
use quire_core::encryption::Outcome;
use quire_core::envelope::EnvelopePayload;
use quire_core::Namespace;
use quire_tests::{run_scenario, start_localnet, Localnet};
use std::time::{Duration, Instant};
use tendermint_rpc::Client;

const ENVELOPES: usize = 6;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sealed_bundles_are_ordered_blind_and_read_back_verified_after_their_reveal() {
    let net = start_localnet(4).await;
    run_scenario(Duration::from_secs(600), scenario(&net)).await;
}

fn base64_of(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
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
    /// Verifies the reveal records' state proofs.
    records: Verifier,
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
    /// bundle read back verified from its reveal height and bound to it by
    /// the reveal record; returns the lag in blocks and when the plaintext
    /// was read back verified.
    async fn check(&mut self, i: usize, hash: &str) -> anyhow::Result<(u64, Instant)> {
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
            let readable = Instant::now();
            // The reveal record, proven in state, binds both blobs to this
            // envelope: its slot, its position and its tx hash.
            let record = self
                .client
                .verified_reveal_record(height, &mut self.records, Duration::from_secs(60))
                .await?;
            for (read, (_, data)) in [(&a, &expected.blobs[0]), (&b, &expected.blobs[1])] {
                let bound = record.bind(read)?;
                let blob = bound
                    .iter()
                    .find(|blob| blob.signer == alice && &blob.data == data)
                    .ok_or_else(|| anyhow::anyhow!("envelope {i}: blob not bound"))?;
                let envelope = blob
                    .envelope
                    .as_ref()
                    .ok_or_else(|| anyhow::anyhow!("envelope {i}: bound as plaintext"))?;
                anyhow::ensure!(
                    envelope.slot == slot
                        && envelope.tx_index == tx.index
                        && hex::encode(envelope.tx_hash).eq_ignore_ascii_case(hash)
                        && envelope.outcome == Outcome::Revealed,
                    "envelope {i} (tx {hash} at {slot}) bound to {envelope:?}"
                );
            }
            return Ok((height - slot, readable));
        }
        anyhow::bail!("envelope {i} of {slot} was never revealed")
    }
}

impl Rollup {
    /// Alice's submitter on node1, a verified reader on node2, sealing to
    /// the dealer's key in the genesis.
    async fn connect(net: &Localnet) -> anyhow::Result<Self> {
        let key = EncryptionKey::from_genesis_json(&net.genesis_json()?)?;
        Self::connect_with(net, key).await
    }

    /// [`connect`](Self::connect), sealing to `key`.
    async fn connect_with(net: &Localnet, key: EncryptionKey) -> anyhow::Result<Self> {
        let genesis = net.genesis_json()?;
        let client = NodeClient::new(&net.rpc(1)?)?;
        let keyring = Keyring::open(&net.client_home()?.join("keyring"))?;
        Ok(Rollup {
            key,
            alice: Submitter::connect(client.clone(), keyring.signing_key("alice")?).await?,
            client,
            reader: VerifiedReader::new(
                ReadClient::connect(&net.grpc(2)?).await?,
                Verifier::from_genesis_json(&genesis)?,
            ),
            records: Verifier::from_genesis_json(&genesis)?,
            sent: 0,
        })
    }
}

async fn scenario(net: &Localnet) -> anyhow::Result<()> {
    let mut rollup = Rollup::connect(net).await?;
    let keyring = Keyring::open(&net.client_home()?.join("keyring"))?;
    // The key a submitter seals to, proven in state, is the genesis one.
    let proven = rollup
        .client
        .verified_encryption(&mut rollup.records, Duration::from_secs(60))
        .await?
        .ok_or_else(|| anyhow::anyhow!("no encryption state on an encrypted localnet"))?;
    anyhow::ensure!(
        proven.key.hash == rollup.key.hash && proven.params.epoch == 1,
        "the proven epoch key is not the genesis key"
    );
    anyhow::ensure!(proven.status.inactive_since.is_none(), "encryption is off");
    // The read API shows the same key (unproven, for tools and pages).
    let (status, body) = quire_tests::http_get(&net.http(0)?, "/v1/encryption")?;
    let info: serde_json::Value = serde_json::from_str(&body)?;
    let shown_hash = info["epochKeyHash"].as_str().unwrap_or_default();
    anyhow::ensure!(
        status == 200 && shown_hash == base64_of(&proven.key.hash) && info["active"] == true,
        "GET /v1/encryption: {status} {body}"
    );
    rollup.key = proven.key;

    // Latency, one envelope at a time: from broadcast to its bundle read
    // back verified (printed for docs/blind-ordering.md, never asserted).
    let mut latencies = Vec::new();
    for _ in 0..3 {
        let started = Instant::now();
        let (i, hash) = rollup.submit().await?;
        let (lag, readable) = rollup.check(i, &hash).await?;
        latencies.push((lag, readable.duration_since(started).as_millis()));
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
        lags.push(rollup.check(*i, hash).await?.0);
    }
    eprintln!("{ENVELOPES} envelopes revealed; blocks from order to reveal: {lags:?}");
    anyhow::ensure!(
        lags.iter().all(|&lag| lag == 2 || lag == 3),
        "reveals not two (or, after a lost round, three) blocks later: {lags:?}"
    );

    // The CLI seals too: `quired tx submit-blob --encrypt`.
    let (slot, cli_hash) = cli_submit_encrypted(
        net,
        &[
            "--data",
            "sealed from the command line",
            "--also",
            "sealed-cli-2=its other leg",
        ],
    )?;
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
    // The CLI reads it back with its origin, and shows the proven key.
    let quired = |args: &[&str]| -> anyhow::Result<serde_json::Value> {
        let output = std::process::Command::new(quire_tests::quired_bin()?)
            .args(args)
            .arg("--genesis")
            .arg(net.dir().join("genesis.json"))
            .args(["--node", &net.rpc(2)?])
            .output()?;
        anyhow::ensure!(
            output.status.success(),
            "quired {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        Ok(serde_json::from_slice(&output.stdout)?)
    };
    let read = quired(&[
        "query",
        "blobs",
        "--height",
        &height.to_string(),
        "--rollup",
        "sealed-cli",
        "--api",
        &net.grpc(2)?,
        "--origins",
        "--json",
    ])?;
    let origin = &read["blobs"][0]["origin"];
    anyhow::ensure!(
        origin["kind"] == "envelope"
            && origin["slot"] == slot
            && origin["tx_hash"].as_str() == Some(cli_hash.as_str()),
        "quired query blobs --origins: {read}"
    );
    let shown = quired(&["query", "encryption", "--verify"])?;
    anyhow::ensure!(
        shown["verified"] == true
            && shown["epoch"] == 1
            && shown["epoch_key_hash"].as_str() == Some(hex::encode(rollup.key.hash).as_str()),
        "quired query encryption --verify: {shown}"
    );

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

    // node0 peeks: its votes carry its shares of the block they vote on.
    // Every honest node that checks such a vote extension refuses it (the
    // vote is lost; three of four still commit); CometBFT checks only the
    // precommits that arrive before the height is decided, so node0 peeks
    // until every honest node has refused one. Every envelope is revealed
    // at its S+2 as usual, never before.
    let refused = |node: usize| -> anyhow::Result<usize> {
        Ok(net
            .quired_log(node)?
            .lines()
            .filter(|l| l.contains("rejected vote extension") && l.contains("not a committed slot"))
            .count())
    };
    let refused_before: Vec<usize> = (1..net.nodes).map(refused).collect::<anyhow::Result<_>>()?;
    let refused_since =
        |node: usize| -> anyhow::Result<usize> { Ok(refused(node)? - refused_before[node - 1]) };
    net.restart_with(0, BYZANTINE_ENV, "peek")?;
    net.ensure_test_build(0)?;
    let mark = "byzantine: shares of the block being voted on";
    let mut sent = Vec::new();
    loop {
        let mut all_refused = true;
        for node in 1..net.nodes {
            all_refused &= refused_since(node)? >= 1;
        }
        if all_refused || sent.len() >= 120 {
            break;
        }
        sent.push(rollup.submit().await?);
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let peeks = net.quired_log(0)?.matches(mark).count();
    for node in 1..net.nodes {
        let n = refused_since(node)?;
        anyhow::ensure!(
            n >= 1,
            "node{node} refused none of node0's {peeks} peeking vote extensions"
        );
        eprintln!("peek: node{node} refused {n} of node0's {peeks} peeking vote extensions");
    }
    let mut lags = Vec::new();
    for (i, hash) in &sent {
        lags.push(rollup.check(*i, hash).await?.0);
    }
    anyhow::ensure!(
        lags.iter().all(|&lag| lag >= 2),
        "an envelope was revealed before S+2: {lags:?}"
    );
    net.restart_with(0, BYZANTINE_ENV, "")?;
    eprintln!(
        "peek: {} envelopes, all revealed at S+2 or later",
        sent.len()
    );
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn withholding_by_more_than_f_expires_slots_then_turns_encryption_off_with_the_chain_live() {
    // E = 4 blocks, K = 2 expiries in a row.
    let net = tokio::task::spawn_blocking(|| {
        Localnet::start_with(4, &["--no-l1", "--encryption-expiry", "4:2"])
    })
    .await
    .expect("localnet start panicked")
    .expect("localnet does not start");
    run_scenario(Duration::from_secs(600), withholding(&net)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn validators_generate_the_key_on_chain_and_bundles_sealed_to_it_are_revealed() {
    // No dealer: three phases of 3 blocks.
    let mut net = tokio::task::spawn_blocking(|| {
        Localnet::start_with(4, &["--no-l1", "--encryption-dkg", "3"])
    })
    .await
    .expect("localnet start panicked")
    .expect("localnet does not start");
    run_scenario(Duration::from_secs(600), generated_key(&net)).await;
    // A fifth validator joins (its create-validator registers its
    // dkg_key.json): a new round among five makes epoch 2 while alice
    // keeps sending envelopes.
    let joined = tokio::task::block_in_place(|| net.add_validator(10_000_000))
        .unwrap_or_else(|e| panic!("add-validator: {e:#}"));
    run_scenario(
        Duration::from_secs(600),
        epoch_change_under_load(&net, joined),
    )
    .await;
}

/// Envelopes sealed to the current epoch, in bursts, until the
/// epoch with the joined validator is proven in state; the ones refused
/// while the old epoch drains (code 87) or after it (82) are sealed again
/// to the new key. Every accepted envelope is revealed.
async fn epoch_change_under_load(net: &Localnet, joined: usize) -> anyhow::Result<()> {
    use quire_core::codes::tx as codes;
    let genesis = net.genesis_json()?;
    let client = NodeClient::new(&net.rpc(0)?)?;
    let mut verifier = Verifier::from_genesis_json(&genesis)?;
    let first = client
        .verified_encryption(&mut verifier, Duration::from_secs(60))
        .await?
        .ok_or_else(|| anyhow::anyhow!("no key"))?;
    let mut rollup = Rollup::connect_with(net, first.key).await?;
    let newcomer = quire_core::staking::consensus_address(&net.consensus_key(joined)?);
    let started = Instant::now();
    let (mut accepted, mut refused) = (Vec::new(), 0);
    let info = loop {
        let info = client
            .verified_encryption(&mut verifier, Duration::from_secs(60))
            .await?
            .ok_or_else(|| anyhow::anyhow!("the key is gone"))?;
        if info.params.epoch == 2 {
            break info;
        }
        anyhow::ensure!(
            started.elapsed() < Duration::from_secs(240),
            "no epoch 2 in 240 s"
        );
        // A burst of four between two reads of the epoch (each read checks
        // headers, so it takes a while).
        for _ in 0..4 {
            let i = rollup.sent;
            let result = rollup
                .alice
                .submit_encrypted(&rollup.key, &payload(i), None)
                .await?;
            if result.accepted() {
                rollup.sent += 1;
                accepted.push((i, result.hash));
                continue;
            }
            anyhow::ensure!(
                [
                    codes::ENCRYPTION_EPOCH_ENDING,
                    codes::ENCRYPTION_WRONG_EPOCH
                ]
                .contains(&result.code),
                "envelope refused: {} {}",
                result.code,
                result.log
            );
            refused += 1;
            rollup.alice.resync().await?;
            break;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    anyhow::ensure!(
        info.params.members.len() == 5 && info.params.members.contains(&newcomer),
        "epoch 2 members {:?}",
        info.params.members
    );
    println!(
        "epoch change: epoch 2 (5 members) proven at height {}, {} ms after the join; {} envelopes accepted under epoch 1, {refused} refused while it ended",
        info.height,
        started.elapsed().as_millis(),
        accepted.len()
    );
    for (i, hash) in &accepted {
        let (lag, _) = rollup.check(*i, hash).await?;
        anyhow::ensure!(lag <= 4, "envelope {i} revealed {lag} blocks later");
    }
    rollup.key = info.key.clone();
    let mut last = (0, 0);
    for _ in 0..2 {
        let (i, hash) = rollup.submit().await?;
        let (lag, _) = rollup.check(i, &hash).await?;
        anyhow::ensure!(lag <= 3, "epoch 2 envelope {i} revealed {lag} blocks later");
        let slot = client
            .wait_for_tx(&hash, Duration::from_secs(60))
            .await?
            .height;
        last = (slot, slot + lag);
    }
    // Audit mode, through the SDK: the last reveal re-done from the blocks
    // with the keys it published and epoch 2's key.
    let record = client
        .verified_reveal_record(last.1, &mut verifier, Duration::from_secs(60))
        .await?;
    let audit = client
        .audit_reveal(
            &record,
            &info.key,
            &mut Verifier::from_genesis_json(&genesis)?,
        )
        .await?;
    anyhow::ensure!(
        audit
            .envelopes
            .iter()
            .any(|e| e.slot == last.0 && e.outcome == Outcome::Revealed && e.blobs == 2),
        "audit of {}: {audit:?}",
        last.1
    );
    Ok(())
}

async fn generated_key(net: &Localnet) -> anyhow::Result<()> {
    let genesis = net.genesis_json()?;
    anyhow::ensure!(
        EncryptionKey::from_genesis_json(&genesis).is_err(),
        "the genesis holds no dealer's key"
    );
    // The key, once made, proven in state against the genesis validators.
    let client = NodeClient::new(&net.rpc(0)?)?;
    let mut verifier = Verifier::from_genesis_json(&genesis)?;
    let started = Instant::now();
    let info = loop {
        if let Some(info) = client
            .verified_encryption(&mut verifier, Duration::from_secs(60))
            .await?
        {
            break info;
        }
        anyhow::ensure!(
            started.elapsed() < Duration::from_secs(180),
            "no epoch key generated in 180 s"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    anyhow::ensure!(
        info.params.epoch == 1 && info.params.members.len() == 4,
        "epoch {} with {} members",
        info.params.epoch,
        info.params.members.len()
    );
    println!(
        "generated key: epoch 1 proven at height {} ({} ms after the first check)",
        info.height,
        started.elapsed().as_millis()
    );
    let mut rollup = Rollup::connect_with(net, info.key).await?;
    for _ in 0..2 {
        let (i, hash) = rollup.submit().await?;
        let (lag, _) = rollup.check(i, &hash).await?;
        anyhow::ensure!(lag <= 3, "envelope {i} revealed {lag} blocks later");
    }
    // The CLI reads the generated key from the node, verified.
    let (slot, _) = cli_submit_encrypted(net, &["--data", "sealed to a generated key"])?;
    for height in slot + 2..=slot + 6 {
        let data = rollup
            .reader
            .fetch(
                height,
                &Namespace::from_rollup_name("sealed-cli"),
                Duration::from_secs(60),
            )
            .await?;
        if data
            .blobs
            .iter()
            .any(|(_, d)| d == b"sealed to a generated key")
        {
            return audit_with_cli(net, height);
        }
    }
    anyhow::bail!("the CLI's envelope of {slot} was never revealed")
}

/// Bob's `quired tx submit-blob --encrypt --rollup sealed-cli` with
/// `data_args` through node 3, sealed to the key `--genesis` (or, for a
/// generated one, the node's state proof) gives; the height it was
/// ordered at and its tx hash.
fn cli_submit_encrypted(net: &Localnet, data_args: &[&str]) -> anyhow::Result<(u64, String)> {
    let output = std::process::Command::new(quire_tests::quired_bin()?)
        .args(["tx", "submit-blob", "--encrypt", "--from", "bob"])
        .args(["--rollup", "sealed-cli"])
        .args(data_args)
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
    match (answer["height"].as_u64(), answer["hash"].as_str()) {
        (Some(height), Some(hash)) => Ok((height, hash.to_string())),
        _ => anyhow::bail!("no height or hash in {answer}"),
    }
}

/// `quired query audit-reveal` of reveal height `height`: every envelope it
/// resolved re-opened from its slot's block and matching the record.
fn audit_with_cli(net: &Localnet, height: u64) -> anyhow::Result<()> {
    let output = std::process::Command::new(quire_tests::quired_bin()?)
        .args(["query", "audit-reveal", "--height", &height.to_string()])
        .arg("--genesis")
        .arg(net.dir().join("genesis.json"))
        .arg("--node")
        .arg(net.rpc(2)?)
        .output()?;
    anyhow::ensure!(
        output.status.success(),
        "quired query audit-reveal: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let answer: serde_json::Value = serde_json::from_slice(&output.stdout)?;
    let envelopes = answer["envelopes"].as_array().cloned().unwrap_or_default();
    anyhow::ensure!(
        answer["audited"] == true
            && !envelopes.is_empty()
            && envelopes.iter().all(|e| e["outcome"] == "revealed"),
        "audit of {height}: {answer}"
    );
    println!(
        "audit: the reveal at {height} reproduced ({} envelopes)",
        envelopes.len()
    );
    Ok(())
}

/// Restarts node `node` without its key share: it votes, proposes and
/// sends no decryption shares (a validator withholding them).
fn withhold_share(net: &Localnet, node: usize) -> anyhow::Result<()> {
    let share = net
        .dir()
        .join(format!("node{node}/quired/config/encryption_share.json"));
    std::fs::rename(&share, share.with_extension("withheld"))?;
    net.restart_with(node, BYZANTINE_ENV, "")?;
    anyhow::ensure!(
        !share.exists(),
        "node{node} still has its share at {}",
        share.display()
    );
    Ok(())
}

/// The height at which the reveal record resolves tx `hash` of `slot`, and
/// how, looking from `slot + 1` to `slot + last`.
async fn resolution(
    rollup: &mut Rollup,
    slot: u64,
    hash: &str,
    last: u64,
) -> anyhow::Result<(u64, Outcome)> {
    for height in slot + 1..=slot + last {
        // CometBFT shows a height before its app has committed it; the app
        // has once the next height exists.
        rollup
            .client
            .wait_for_height(height + 1, Duration::from_secs(60))
            .await?;
        let record = rollup
            .client
            .verified_reveal_record(height, &mut rollup.records, Duration::from_secs(60))
            .await?;
        if let Some(envelope) = record
            .envelopes
            .iter()
            .find(|e| e.slot == slot && hex::encode(e.tx_hash).eq_ignore_ascii_case(hash))
        {
            return Ok((height, envelope.outcome));
        }
    }
    anyhow::bail!("tx {hash} of slot {slot} not resolved by {}", slot + last)
}

async fn withholding(net: &Localnet) -> anyhow::Result<()> {
    const EXPIRY: u64 = 4;
    let mut rollup = Rollup::connect(net).await?;
    let start = rollup.client.status().await?.1;

    // f = 1 of 4 withholds: nothing changes, each bundle is revealed two
    // (after a lost round, three) blocks after its own.
    withhold_share(net, 0)?;
    for _ in 0..3 {
        let (i, hash) = rollup.submit().await?;
        let (lag, _) = rollup.check(i, &hash).await?;
        anyhow::ensure!(
            lag == 2 || lag == 3,
            "with f withholding, revealed after {lag} blocks"
        );
    }
    eprintln!("one validator of four withholding: every envelope revealed at S+2 or S+3");

    // Two of four (> f) withhold: t = 3 shares can no longer be had. Each
    // slot waits, then expires exactly at S + E, never decrypted.
    withhold_share(net, 1)?;
    let mut expired_at = Vec::new();
    for _ in 0..2 {
        let (i, hash) = rollup.submit().await?;
        let tx = rollup
            .client
            .wait_for_tx(&hash, Duration::from_secs(60))
            .await?;
        anyhow::ensure!(tx.code == 0, "envelope {i} failed: {}", tx.log);
        let (height, outcome) = resolution(&mut rollup, tx.height, &hash, EXPIRY + 2).await?;
        anyhow::ensure!(
            outcome == Outcome::Expired && height == tx.height + EXPIRY,
            "envelope {i} of {} resolved {outcome:?} at {height}, not expired at S + {EXPIRY}",
            tx.height
        );
        // Its plaintext never appears.
        let secret = format!("bundle {i} part a").into_bytes();
        for h in tx.height..=height {
            let read = rollup
                .reader
                .fetch(
                    h,
                    &Namespace::from_rollup_name("sealed-a"),
                    Duration::from_secs(60),
                )
                .await?;
            anyhow::ensure!(
                !read.blobs.iter().any(|(_, d)| d.starts_with(&secret)),
                "expired envelope {i} was revealed at {h}"
            );
        }
        expired_at.push(height);
    }
    eprintln!("two validators of four withholding: envelopes expired at {expired_at:?}");

    // K = 2 expiries in a row: plaintext only, proven in state; envelopes
    // are refused at CheckTx, plaintext blobs go on.
    let proven = rollup
        .client
        .verified_encryption(&mut rollup.records, Duration::from_secs(60))
        .await?
        .ok_or_else(|| anyhow::anyhow!("no encryption state"))?;
    anyhow::ensure!(
        proven.status.inactive_since == expired_at.last().copied(),
        "after two expiries the status is {:?}",
        proven.status
    );
    let refused = rollup
        .alice
        .submit_encrypted(&rollup.key, &payload(99), None)
        .await?;
    anyhow::ensure!(
        refused.code == quire_core::codes::tx::ENCRYPTION_INACTIVE,
        "an envelope in plaintext-only mode: code {} ({})",
        refused.code,
        refused.log
    );
    let plain = rollup
        .alice
        .submit(
            &[quire_core::Msg::SubmitBlob(quire_core::msg::SubmitBlob {
                namespace: Namespace::from_rollup_name("sealed-a"),
                data: b"plaintext goes on".to_vec(),
            })],
            None,
        )
        .await?;
    anyhow::ensure!(plain.accepted(), "plaintext blob refused: {}", plain.log);
    let tx = rollup
        .client
        .wait_for_tx(&plain.hash, Duration::from_secs(60))
        .await?;
    anyhow::ensure!(tx.code == 0, "plaintext blob failed: {}", tx.log);
    let read = rollup
        .reader
        .fetch(
            tx.height,
            &Namespace::from_rollup_name("sealed-a"),
            Duration::from_secs(60),
        )
        .await?;
    anyhow::ensure!(
        read.blobs.iter().any(|(_, d)| d == b"plaintext goes on"),
        "the plaintext blob is not read back at {}",
        tx.height
    );
    let end = rollup.client.status().await?.1;
    eprintln!(
        "plaintext only from {:?}; the chain went from {start} to {end}; envelopes refused with code {}",
        proven.status.inactive_since, refused.code
    );
    Ok(())
}
