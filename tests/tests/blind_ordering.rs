//! The canonical order on a real 4-validator localnet: node0 runs a
//! byzantine proposer (`QUIRED_BYZANTINE=reorder`, a test build of quired)
//! that reverses its blocks' user txs. Every honest node rejects those
//! proposals, the chain goes on under the honest proposers, every
//! acknowledged blob is committed, and every committed block is in the
//! canonical order for its previous block's hash (docs/blind-ordering.md).

use quire_app::{DecodedTx, StateMachine};
use quire_client::keyring::Keyring;
use quire_client::{NodeClient, Submitter};
use quire_core::{order, Msg, Namespace};
use quire_tests::{run_scenario, start_localnet, Localnet};
use std::time::Duration;
use tendermint_rpc::Client;

const BYZANTINE_ENV: &str = "QUIRED_BYZANTINE";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reordering_proposer_is_rejected_by_every_honest_node() {
    let net = start_localnet(4).await;
    run_scenario(Duration::from_secs(600), scenario(&net)).await;
}

async fn scenario(net: &Localnet) -> anyhow::Result<()> {
    // node0 becomes the byzantine proposer.
    net.restart_with(0, BYZANTINE_ENV, "reorder")?;
    let mut clients = Vec::new();
    for i in 0..net.nodes {
        clients.push(NodeClient::new(&net.rpc(i)?)?);
    }
    let (_, tip) = clients[1].status().await?;
    clients[0]
        .wait_for_height(tip + 1, Duration::from_secs(60))
        .await?;
    net.ensure_test_build(0)?;
    anyhow::ensure!(
        net.quired_log(0)?.contains("byzantine proposer armed"),
        "node0 did not arm its byzantine proposer"
    );

    // Four accounts submit side by side, so blocks hold several signers.
    let keyring = Keyring::open(&net.client_home()?.join("keyring"))?;
    let mut submitters = Vec::new();
    for (i, name) in ["alice", "bob", "carol", "dave"].iter().enumerate() {
        // Through the honest nodes: node0's mempool gossips them anyway.
        let client = clients[1 + i % 3].clone();
        submitters.push(Submitter::connect(client, keyring.signing_key(name)?).await?);
    }
    let namespace = Namespace::from_rollup_name("blind-ordering");
    let mut hashes = Vec::new();
    let (_, first_height) = clients[1].status().await?;
    let mut round = 0u64;
    loop {
        for (i, submitter) in submitters.iter_mut().enumerate() {
            let data = format!("signer {i} round {round}").into_bytes();
            let result = submitter
                .submit(&[Msg::submit_blob(namespace, data)], None)
                .await?;
            anyhow::ensure!(result.accepted(), "tx refused: {}", result.log);
            hashes.push(result.hash);
        }
        round += 1;
        tokio::time::sleep(Duration::from_millis(150)).await;
        let reversed = net
            .quired_log(0)?
            .matches("byzantine: user txs reversed")
            .count();
        if reversed >= 3 || round >= 400 {
            eprintln!("{round} rounds submitted; node0 reversed {reversed} proposals");
            anyhow::ensure!(reversed >= 3, "node0 reversed only {reversed} proposals");
            break;
        }
    }

    // Every acknowledged tx is committed and succeeded.
    let mut last_height = first_height;
    for hash in &hashes {
        let tx = clients[2]
            .wait_for_tx(hash, Duration::from_secs(120))
            .await?;
        anyhow::ensure!(
            tx.code == 0,
            "tx {hash} failed at {}: {}",
            tx.height,
            tx.log
        );
        last_height = last_height.max(tx.height);
    }

    // Every honest node rejected node0's reordered proposals.
    for node in 1..net.nodes {
        let rejected = net
            .quired_log(node)?
            .lines()
            .filter(|l| l.contains("rejected proposal"))
            .filter(|l| l.contains("canonical order") || l.contains("sequence"))
            .count();
        anyhow::ensure!(rejected >= 1, "node{node} rejected no reordered proposal");
        eprintln!("node{node} rejected {rejected} reordered proposals");
    }

    // Every committed block is in the canonical order of its previous
    // block's hash (the header's last_block_id), checked from the raw txs.
    let machine = StateMachine::standard().build()?;
    let mut multi_signer_blocks = 0;
    for height in first_height..=last_height {
        let block = clients[3]
            .rpc()
            .block(tendermint::block::Height::try_from(height)?)
            .await?
            .block;
        let seed: [u8; 32] = match block.header.last_block_id {
            Some(id) => id.hash.as_bytes().try_into()?,
            None => [0; 32],
        };
        let mut user_txs = Vec::new();
        for bytes in block.data.iter().filter(|tx| tx.first() != Some(&0)) {
            let tx = DecodedTx::decode(bytes, u64::MAX, machine.router(), machine.sig_cache())
                .map_err(|e| anyhow::anyhow!("a committed tx at {height} does not decode: {e}"))?;
            user_txs.push((tx.signer, tx.sequence));
        }
        order::check(&seed, &user_txs)
            .map_err(|e| anyhow::anyhow!("block {height} is not in the canonical order: {e}"))?;
        let signers: std::collections::BTreeSet<_> = user_txs.iter().map(|(s, _)| *s).collect();
        if signers.len() > 1 {
            multi_signer_blocks += 1;
        }
    }
    eprintln!(
        "heights {first_height}..={last_height}: all canonical, {multi_signer_blocks} with several signers"
    );
    anyhow::ensure!(
        multi_signer_blocks >= 3,
        "too few blocks with several signers"
    );
    Ok(())
}
