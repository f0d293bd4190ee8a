//! The running chain, end to end, on a real 4-validator CometBFT localnet:
//! blobs in (one account pipelining 200 txs, a two-namespace bundle), the same
//! blobs back by namespace from every node, the same app hash on every node at
//! every height, every kind of bad tx refused by CheckTx with its own code
//! while the chain keeps producing blocks, and accounts read with state
//! proofs verified against the genesis validator set (a lie is caught).

use base64::Engine;
use quire_app::TxError;
use quire_client::keyring::Keyring;
use quire_client::{NodeClient, Submitter};
use quire_core::builder::{sign_tx, SignerContext};
use quire_core::l1::attestation::ATTESTATION_TX_PREFIX;
use quire_core::l1::Attestation;
use quire_core::Msg;
use quire_core::Namespace;
use quire_tests::{run_scenario, start_localnet, Localnet};
use std::collections::BTreeMap;
use std::time::Duration;
use tendermint_rpc::Client;

const PIPELINED: u64 = 200;

fn ns(name: &str) -> Namespace {
    Namespace::from_rollup_name(name)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_validators_order_and_serve_blobs() {
    let net = start_localnet(4).await;
    run_scenario(Duration::from_secs(900), scenario(&net)).await;
}

async fn scenario(net: &Localnet) -> anyhow::Result<()> {
    let mut clients = Vec::new();
    for i in 0..net.nodes {
        clients.push(NodeClient::new(&net.rpc(i)?)?);
    }
    let keyring = Keyring::open(&net.client_home()?.join("keyring"))?;
    let mut alice = Submitter::connect(clients[0].clone(), keyring.signing_key("alice")?).await?;
    let mut bob = Submitter::connect(clients[1].clone(), keyring.signing_key("bob")?).await?;

    // Alice pipelines 200 txs to rollup-a without waiting for blocks.
    let mut alice_hashes = Vec::new();
    for i in 0..PIPELINED {
        let data = format!("alice blob {i}").into_bytes();
        let result = alice
            .submit(&[Msg::submit_blob(ns("rollup-a"), data)], None)
            .await?;
        anyhow::ensure!(
            result.accepted(),
            "alice tx {i} refused: {} {}",
            result.code,
            result.log
        );
        alice_hashes.push(result.hash);
    }
    // Bob: one tx bundling two namespaces, then one more to each of b and a.
    let bundle = [
        Msg::submit_blob(ns("rollup-b"), b"bob bundle b".to_vec()),
        Msg::submit_blob(ns("rollup-c"), b"bob bundle c".to_vec()),
    ];
    let mut bob_hashes = Vec::new();
    for msgs in [
        bundle.to_vec(),
        vec![Msg::submit_blob(ns("rollup-b"), b"bob second b".to_vec())],
        vec![Msg::submit_blob(ns("rollup-a"), b"bob in a".to_vec())],
    ] {
        let result = bob.submit(&msgs, None).await?;
        anyhow::ensure!(
            result.accepted(),
            "bob tx refused: {} {}",
            result.code,
            result.log
        );
        bob_hashes.push(result.hash);
    }

    // Every tx is committed successfully.
    let mut committed = BTreeMap::new();
    for hash in alice_hashes.iter().chain(&bob_hashes) {
        let tx = clients[0]
            .wait_for_tx(hash, Duration::from_secs(240))
            .await?;
        anyhow::ensure!(
            tx.code == 0,
            "tx {hash} failed in block {}: {}",
            tx.height,
            tx.log
        );
        committed.insert(hash.clone(), tx);
    }
    let last_height = committed.values().map(|t| t.height).max().unwrap_or(1);
    let first_height = committed.values().map(|t| t.height).min().unwrap_or(1);
    eprintln!(
        "{} txs committed in heights {first_height}..={last_height}",
        committed.len()
    );

    // The bundle's two blobs are in the same block, in the same tx.
    let bundle_tx = &committed[&bob_hashes[0]];
    for (rollup, text) in [("rollup-b", "bob bundle b"), ("rollup-c", "bob bundle c")] {
        let blobs = clients[2].blobs(bundle_tx.height, &ns(rollup)).await?.blobs;
        anyhow::ensure!(
            blobs
                .iter()
                .any(|b| b.data == text.as_bytes() && b.tx_index == bundle_tx.index),
            "bundle blob {text:?} missing at height {}",
            bundle_tx.height
        );
    }

    // Every node returns identical blobs for every namespace at every height,
    // and rollup-a's blobs from alice come back complete and in sequence order.
    let mut alice_seen = Vec::new();
    for height in first_height..=last_height {
        for rollup in ["rollup-a", "rollup-b", "rollup-c", "rollup-unused"] {
            let reference = clients[0].blobs(height, &ns(rollup)).await?;
            for client in &clients[1..] {
                let other = client.blobs(height, &ns(rollup)).await?;
                anyhow::ensure!(
                    other == reference,
                    "node {} differs for {rollup} at height {height}",
                    client.url()
                );
            }
            if rollup == "rollup-a" {
                alice_seen.extend(
                    reference
                        .blobs
                        .iter()
                        .filter(|b| b.signer == alice.address().to_bech32())
                        .map(|b| String::from_utf8_lossy(&b.data).into_owned()),
                );
            }
            if rollup == "rollup-unused" {
                anyhow::ensure!(
                    reference.blobs.is_empty(),
                    "unused namespace has blobs at {height}"
                );
            }
        }
    }
    let expected: Vec<String> = (0..PIPELINED).map(|i| format!("alice blob {i}")).collect();
    anyhow::ensure!(
        alice_seen == expected,
        "alice's blobs came back incomplete or out of order"
    );

    // Bad txs: each refused by CheckTx with its own code and a readable log.
    let chain_id = net.chain_id()?.to_string();
    let account = clients[0]
        .account(&alice.address())
        .await?
        .expect("alice exists");
    let alice_key = keyring.signing_key("alice")?;
    let params = clients[0].params().await?;
    let blob = |data: Vec<u8>| vec![Msg::submit_blob(ns("rollup-a"), data)];
    let base = SignerContext {
        chain_id: chain_id.clone(),
        account_number: account.account_number,
        sequence: account.sequence,
        fee_denom: params.fee_denom.clone(),
        fee: 1_000_000,
        timeout_height: 0,
        memo: String::new(),
    };
    let mut bad_signature = sign_tx(&alice_key, &base, &blob(b"x".to_vec()))?;
    let end = bad_signature.len() - 1;
    bad_signature[end] ^= 0x01;
    let wrong_chain = sign_tx(
        &alice_key,
        &SignerContext {
            chain_id: "other-chain".into(),
            ..base.clone()
        },
        &blob(b"x".to_vec()),
    )?;
    let reused = sign_tx(
        &alice_key,
        &SignerContext {
            sequence: 0,
            ..base.clone()
        },
        &blob(b"x".to_vec()),
    )?;
    let unpaid = sign_tx(
        &alice_key,
        &SignerContext {
            fee: 0,
            ..base.clone()
        },
        &blob(b"x".to_vec()),
    )?;
    let over_cap = sign_tx(
        &alice_key,
        &SignerContext {
            fee: u128::from(u64::MAX),
            ..base.clone()
        },
        &blob(vec![0u8; params.max_blob_bytes as usize + 1]),
    )?;
    let garbage = b"\x0a\xff\xffthis is not a transaction".to_vec();
    let cases = [
        ("bad signature", bad_signature, 6u32),
        ("wrong chain id", wrong_chain, 5),
        ("reused sequence", reused, 8),
        ("unpaid fee", unpaid, 10),
        ("blob over the cap", over_cap, 13),
        ("garbage bytes", garbage, 2),
    ];
    let mut codes = Vec::new();
    for (what, tx, expected_code) in cases {
        let result = clients[3].broadcast(tx).await?;
        anyhow::ensure!(!result.accepted(), "{what} was accepted");
        anyhow::ensure!(
            result.code == expected_code,
            "{what}: code {} ({}), expected {expected_code}",
            result.code,
            result.log
        );
        anyhow::ensure!(
            result.codespace == quire_core::codes::CODESPACE,
            "{what}: codespace {:?}",
            result.codespace
        );
        anyhow::ensure!(!result.log.is_empty(), "{what}: empty log");
        eprintln!("{what}: code {} — {}", result.code, result.log);
        codes.push(result.code);
    }
    codes.sort_unstable();
    codes.dedup();
    anyhow::ensure!(codes.len() == 6, "codes are not distinct");
    let sample = TxError::BadSignature {
        chain_id: String::new(),
        account_number: 0,
    };
    anyhow::ensure!(sample.code() == 6, "code table changed");

    // The chain keeps producing blocks after the garbage.
    let (_, now) = clients[0].status().await?;
    clients[0]
        .wait_for_height(now + 3, Duration::from_secs(60))
        .await?;

    // Same app hash on every node at every height (header H+1 carries the app
    // hash after H), and the same block hash.
    let (_, tip) = clients[0].status().await?;
    for height in 2..=tip {
        let mut seen = None;
        for client in &clients {
            let block = client
                .rpc()
                .block(tendermint::block::Height::try_from(height)?)
                .await?;
            // Every block after the first attests its parent's checkpoint
            // with the signatures of 3 of the 4 equal validators (the
            // fewest that are more than 2/3), right after the commitment.
            let attestation = block
                .block
                .data
                .get(1)
                .and_then(|tx| tx.strip_prefix(ATTESTATION_TX_PREFIX))
                .map(Attestation::decode);
            match attestation {
                Some(Ok(a)) if a.height == height - 1 && a.signatures.len() == 3 => {}
                other => anyhow::bail!("block {height}'s attestation: {other:?}"),
            }
            let pair = (block.block.header.app_hash.clone(), block.block_id.hash);
            match &seen {
                None => seen = Some(pair),
                Some(first) => anyhow::ensure!(
                    first == &pair,
                    "node {} diverges at height {height}",
                    client.url()
                ),
            }
        }
    }
    // And quired's own Info agrees with the next header on each node.
    for client in &clients {
        let info = client.rpc().abci_info().await?;
        let h = info.last_block_height.value();
        client
            .wait_for_height(h + 1, Duration::from_secs(30))
            .await?;
        let next = client
            .rpc()
            .block(tendermint::block::Height::try_from(h + 1)?)
            .await?;
        // tendermint-rpc 0.40 hands back /abci_info's base64 app hash undecoded.
        let header_hash = next.block.header.app_hash.as_bytes().to_vec();
        let info_hash = info.last_block_app_hash.as_bytes().to_vec();
        let info_decoded = base64::engine::general_purpose::STANDARD
            .decode(&info_hash)
            .unwrap_or(info_hash.clone());
        anyhow::ensure!(
            header_hash == info_hash || header_hash == info_decoded,
            "node {}: Info app hash at {h} ({:?}) disagrees with header {} ({:?})",
            client.url(),
            info.last_block_app_hash,
            h + 1,
            next.block.header.app_hash
        );
    }
    l1_checkpoints(net).await?;
    verified_state(net, &clients, &keyring).await
}

/// The read API's L1 part, checked without trusting the node: the latest
/// signed checkpoint's digest, set hash and signatures (> 2/3) recomputed
/// here, a height's history proof against its root, and bad requests
/// refused with their status.
async fn l1_checkpoints(net: &Localnet) -> anyhow::Result<()> {
    use quire_core::l1::{history, Checkpoint, Domain, L1Signature, L1Valset};
    use quire_core::merkle::InclusionProof;
    use quire_core::proto::Protobuf;
    let read = quire_client::read::ReadClient::connect(&net.grpc(0)?).await?;
    let info = read.l1_info().await?;
    anyhow::ensure!(
        info.l1_chain_id == 1337 && info.initial_height == 1,
        "{info:?}"
    );
    anyhow::ensure!(info.latest_attested_height >= 2, "{info:?}");
    let domain = Domain::new(info.l1_chain_id, net.chain_id()?);
    anyhow::ensure!(
        info.domain_separator == domain.separator(),
        "domain separator"
    );

    let signed = read.checkpoint(0, Some(0)).await?;
    let raw = signed.checkpoint.clone().unwrap_or_default();
    anyhow::ensure!(
        raw.height == info.latest_attested_height,
        "latest checkpoint"
    );
    let hash32 = |b: &[u8]| <[u8; 32]>::try_from(b).map_err(|_| anyhow::anyhow!("not 32 bytes"));
    let checkpoint = Checkpoint::try_from_raw(&raw)?;
    let digest = checkpoint.digest(&domain);
    anyhow::ensure!(signed.digest == digest, "digest");
    let set = L1Valset::try_from_raw(&signed.valset.clone().unwrap_or_default())?;
    anyhow::ensure!(
        set.len() == 4 && set.hash() == checkpoint.valset_hash,
        "set hash"
    );
    anyhow::ensure!(signed.next_valset.is_none(), "the set does not change here");
    anyhow::ensure!(
        checkpoint.next_valset_hash == checkpoint.valset_hash,
        "next set"
    );
    let mut power = 0u128;
    for sig in &signed.signatures {
        let member = &set.members()[sig.index as usize];
        let signer = L1Signature::from_bytes(&sig.signature)?.recover(&digest)?;
        anyhow::ensure!(
            signer == member.signer,
            "signature {} by {signer}",
            sig.index
        );
        power += u128::from(member.power);
    }
    anyhow::ensure!(set.is_quorum(power), "{power} of {}", set.total_power());

    // The height before it, in the history the checkpoint signs.
    let height = checkpoint.height - 1;
    let proof = read.history_proof(height, checkpoint.history_size).await?;
    let leaf = history::height_leaf(
        height,
        &hash32(&proof.block_hash)?,
        proof.namespace_count,
        &hash32(&proof.namespace_root)?,
    );
    anyhow::ensure!(
        proof.leaf == leaf && proof.root == checkpoint.history_root,
        "leaf/root"
    );
    InclusionProof::try_from_raw(&proof.proof.unwrap_or_default())?
        .verify(&checkpoint.history_root, &leaf)?;

    let refused = read
        .history_proof(checkpoint.height, checkpoint.history_size)
        .await;
    anyhow::ensure!(
        matches!(
            &refused,
            Err(quire_client::read::ReadError::Status {
                code: tonic::Code::InvalidArgument,
                ..
            })
        ),
        "a height outside the history: {refused:?}"
    );
    let refused = read
        .checkpoint(info.latest_attested_height + 1000, None)
        .await;
    anyhow::ensure!(
        matches!(
            &refused,
            Err(quire_client::read::ReadError::Status {
                code: tonic::Code::OutOfRange,
                ..
            })
        ),
        "a future checkpoint: {refused:?}"
    );
    let (status, body) = quire_tests::http_get(&net.http(0)?, "/v1/l1/info")?;
    anyhow::ensure!(
        status == 200 && body.contains("latestAttestedHeight"),
        "{status} {body}"
    );
    let (status, _) = quire_tests::http_get(&net.http(0)?, "/v1/l1/checkpoint?height=99999999")?;
    anyhow::ensure!(status == 404, "future checkpoint over HTTP: {status}");
    Ok(())
}

/// Accounts read from a node that is not trusted: each answer's state proof
/// checked against the app hash of the next header, verified from the
/// genesis validator set; an absent account proven absent; a changed value
/// refused; and `quired query account --verify` prints the verified account.
async fn verified_state(
    net: &Localnet,
    clients: &[NodeClient],
    keyring: &Keyring,
) -> anyhow::Result<()> {
    let genesis = net.genesis_json()?;
    let mut verifier = quire_client::verify::Verifier::from_genesis_json(&genesis)?;
    let alice = quire_core::builder::address_of(&keyring.signing_key("alice")?);
    let verified = clients[2]
        .verified_account(&alice, &mut verifier, Duration::from_secs(60))
        .await?;
    let account = verified
        .account
        .ok_or_else(|| anyhow::anyhow!("alice's account is proven absent"))?;
    let plain = clients[2]
        .account(&alice)
        .await?
        .ok_or_else(|| anyhow::anyhow!("alice has no account"))?;
    anyhow::ensure!(
        account.sequence >= PIPELINED && account.sequence <= plain.sequence,
        "verified sequence {} (unverified now {})",
        account.sequence,
        plain.sequence
    );
    let nobody = quire_core::Address::new([0x42; 20]);
    let absent = clients[3]
        .verified_account(&nobody, &mut verifier, Duration::from_secs(60))
        .await?;
    anyhow::ensure!(absent.account.is_none(), "an unused address has an account");

    // A node that lies about the value: the same proof with another balance.
    let answer = clients[1]
        .rpc()
        .abci_query(Some(format!("/account/{alice}")), Vec::new(), None, true)
        .await?;
    let op = answer
        .proof
        .as_ref()
        .and_then(|p| p.ops.first())
        .ok_or_else(|| anyhow::anyhow!("no proof in a prove=true answer"))?;
    let mut lie = quire_core::state_proof::StateProof::decode_op_data(&op.key, &op.data)?;
    let mut record =
        quire_core::account::Account::decode(lie.value.as_deref().unwrap_or_default())?;
    record.balance += 1_000_000;
    lie.value = Some(record.encode());
    let height = answer.height.value();
    clients[1]
        .wait_for_height(height + 2, Duration::from_secs(60))
        .await?;
    let header = clients[1].consensus(height + 1).await?;
    let mut fresh = quire_client::verify::Verifier::from_genesis_json(&genesis)?;
    anyhow::ensure!(
        matches!(
            fresh.verify_state(&header, height, &[lie]),
            Err(quire_client::verify::VerifyError::State(_))
        ),
        "a changed balance passed verification"
    );

    // The CLI does the same.
    let output = std::process::Command::new(quire_tests::quired_bin()?)
        .args(["query", "account", &alice.to_bech32(), "--verify", "--node"])
        .arg(net.rpc(0)?)
        .arg("--genesis")
        .arg(net.dir().join("genesis.json"))
        .output()?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    anyhow::ensure!(
        output.status.success() && stdout.contains("verified"),
        "quired query account --verify: {} {stdout} {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    Ok(())
}
