//! Proof of stake on a real CometBFT localnet, 4 → 5 → 3 validators:
//!
//! - A: a fifth node block-syncs, bonds with MsgCreateValidator and signs
//!   from two blocks later;
//! - B: a genesis validator unbonds its whole self-bond and leaves;
//! - C: a validator is stopped (SIGSTOP), jailed for downtime and slashed
//!   1 %, its unjail refused before the jail time and accepted after;
//! - D: a validator's key runs on a second node: CometBFT's duplicate-vote
//!   evidence gets it slashed 5 % and tombstoned, unjail refused for good.
//!
//! Through the run CometBFT's set at every height is the replay of the
//! updates the app returned (the H+2 rule), the app's bonded set equals
//! CometBFT's, every node has the same app hash, a verifying reader follows
//! from genesis height by height and a second one jumps from genesis to the
//! head by skipping, and a late node block-syncs through every change.

use anyhow::{ensure, Context};
use quire_client::keyring::Keyring;
use quire_client::{NodeClient, Submitter};
use quire_core::msg::CheckedCoin;
use quire_core::staking::msg::Undelegate;
use quire_core::{Address, Msg};
use quire_tests::{run_scenario, Localnet};
use std::collections::BTreeMap;
use std::time::Duration;
use tendermint_rpc::{Client, HttpClient, Paging};

type Set = BTreeMap<[u8; 32], u64>;

const SELF_BOND: u128 = 10_000_000;

/// Short times so that the run fits a CI job (docs/staking.md has the
/// defaults).
const STAKING_PARAMS: &str = r#"{
  "unbonding_time_secs": 30, "max_validators": 5, "max_entries": 7,
  "min_commission_rate": "0", "commission_change_interval_secs": 86400,
  "signed_blocks_window": 20, "min_signed_per_window": "0.5",
  "downtime_jail_duration_secs": 20, "slash_fraction_double_sign": "0.05",
  "slash_fraction_downtime": "0.01", "evidence_max_age_blocks": 100000,
  "evidence_max_age_secs": 172800
}"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn validators_join_leave_and_are_slashed_by_stake() {
    let params = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(params.path(), STAKING_PARAMS).unwrap();
    let path = params.path().to_str().unwrap().to_string();
    let mut net = tokio::task::spawn_blocking(move || {
        // Anchored (the default): the joining validator registers its L1
        // key in its create-validator transaction, and from two heights
        // after its bond its precommits, which CometBFT only counts with a
        // vote extension the app accepted, carry its checkpoint signature.
        quire_tests::Localnet::start_with(4, &["--staking-params", &path])
    })
    .await
    .unwrap()
    .unwrap_or_else(|e| panic!("localnet does not start: {e:#}"));
    let joined = tokio::task::block_in_place(|| net.add_validator(SELF_BOND))
        .unwrap_or_else(|e| panic!("add-validator: {e:#}"));
    run_scenario(Duration::from_secs(900), scenario(&net, joined)).await;
}

fn key_bytes(key: &tendermint::PublicKey) -> anyhow::Result<[u8; 32]> {
    key.to_bytes()
        .try_into()
        .map_err(|_| anyhow::anyhow!("not an ed25519 key"))
}

async fn set_at(rpc: &HttpClient, height: u64) -> anyhow::Result<Set> {
    let answer = rpc
        .validators(tendermint::block::Height::try_from(height)?, Paging::All)
        .await
        .with_context(|| format!("/validators?height={height}"))?;
    answer
        .validators
        .iter()
        .map(|v| Ok((key_bytes(&v.pub_key)?, v.power.value())))
        .collect()
}

async fn updates_at(rpc: &HttpClient, height: u64) -> anyhow::Result<Vec<([u8; 32], u64)>> {
    let results = rpc
        .block_results(tendermint::block::Height::try_from(height)?)
        .await
        .with_context(|| format!("/block_results?height={height}"))?;
    results
        .validator_updates
        .iter()
        .map(|u| Ok((key_bytes(&u.pub_key)?, u.power.value())))
        .collect()
}

async fn latest(rpc: &HttpClient) -> anyhow::Result<u64> {
    Ok(rpc.latest_block().await?.block.header.height.value())
}

/// The first height whose block results carry an update of `key`.
async fn update_height(rpc: &HttpClient, key: &[u8; 32], from: u64) -> anyhow::Result<u64> {
    let to = latest(rpc).await?;
    for height in from..=to {
        if updates_at(rpc, height).await?.iter().any(|(k, _)| k == key) {
            return Ok(height);
        }
    }
    anyhow::bail!("no update of the key in heights {from}..={to}")
}

fn consensus_address(key: &[u8; 32]) -> [u8; 20] {
    quire_core::staking::consensus_address(key)
}

async fn signed(rpc: &HttpClient, height: u64, key: &[u8; 32]) -> anyhow::Result<bool> {
    let commit = rpc
        .commit(tendermint::block::Height::try_from(height)?)
        .await?
        .signed_header
        .commit;
    let address = consensus_address(key);
    Ok(commit.signatures.iter().any(|s| {
        matches!(s, tendermint::block::CommitSig::BlockIdFlagCommit { validator_address, .. }
            if validator_address.as_bytes() == address)
    }))
}

/// Sends MsgUnjail signed by the keyring's `name`.
async fn unjail(
    client: &NodeClient,
    keyring: &Keyring,
    name: &str,
) -> anyhow::Result<quire_client::rpc::BroadcastResult> {
    let mut submitter = Submitter::connect(client.clone(), keyring.signing_key(name)?).await?;
    Ok(submitter
        .submit(&[Msg::Unjail(quire_core::staking::msg::Unjail)], None)
        .await?)
}

/// Waits until a block after `from` returns an update of `key`.
async fn wait_for_update(
    client: &NodeClient,
    rpc: &HttpClient,
    key: &[u8; 32],
    from: u64,
    limit: Duration,
) -> anyhow::Result<u64> {
    let deadline = tokio::time::Instant::now() + limit;
    let mut next = from + 1;
    loop {
        let tip = latest(rpc).await?;
        while next < tip {
            if updates_at(rpc, next).await?.iter().any(|(k, _)| k == key) {
                return Ok(next);
            }
            next += 1;
        }
        ensure!(
            tokio::time::Instant::now() < deadline,
            "no update of the key within {limit:?} (up to height {tip})"
        );
        client
            .wait_for_height(tip + 1, Duration::from_secs(30))
            .await?;
    }
}

async fn scenario(net: &Localnet, joined: usize) -> anyhow::Result<()> {
    let rpc = HttpClient::new(net.rpc(0)?.as_str())?;
    let client = NodeClient::new(&net.rpc(0)?)?;
    let wait = Duration::from_secs(60);
    let genesis = set_at(&rpc, 1).await?;
    ensure!(
        genesis.len() == 4 && genesis.values().all(|p| *p == 10),
        "genesis set {genesis:?}"
    );

    // A: the new node's bond is returned once, at H, and signs from H + 2.
    let new_key = net.consensus_key(joined)?;
    let joined_at = update_height(&rpc, &new_key, 1).await?;
    ensure!(
        updates_at(&rpc, joined_at).await? == vec![(new_key, 10)],
        "updates at {joined_at}: {:?}",
        updates_at(&rpc, joined_at).await?
    );
    client.wait_for_height(joined_at + 3, wait).await?;
    ensure!(!set_at(&rpc, joined_at + 1).await?.contains_key(&new_key));
    ensure!(set_at(&rpc, joined_at + 2).await?.get(&new_key) == Some(&10));
    ensure!(
        !signed(&rpc, joined_at + 1, &new_key).await?,
        "signed before its set"
    );
    let mut signs = false;
    for height in joined_at + 2..joined_at + 6 {
        client.wait_for_height(height + 1, wait).await?;
        signs |= signed(&rpc, height, &new_key).await?;
    }
    ensure!(signs, "the new validator never signed a commit");
    eprintln!(
        "A: node{joined} bonded at {joined_at}, in the set from {}",
        joined_at + 2
    );

    // B: node3's operator unbonds its whole self-bond: it leaves.
    let keyring = Keyring::open(&net.client_home()?.join("keyring"))?;
    let operator3: Address = quire_core::builder::address_of(&keyring.signing_key("node3")?);
    let leaving = net.consensus_key(3)?;
    let mut submitter = Submitter::connect(client.clone(), keyring.signing_key("node3")?).await?;
    let unbond = Msg::Undelegate(Undelegate {
        validator: operator3,
        amount: CheckedCoin::new("uquire", SELF_BOND),
    });
    let result = submitter.submit(&[unbond], None).await?;
    ensure!(
        result.accepted(),
        "unbond refused: {} {}",
        result.code,
        result.log
    );
    let tx = client.wait_for_tx(&result.hash, wait).await?;
    ensure!(tx.code == 0, "unbond failed: {}", tx.log);
    let left_at = tx.height;
    ensure!(
        updates_at(&rpc, left_at).await? == vec![(leaving, 0)],
        "updates at {left_at}: {:?}",
        updates_at(&rpc, left_at).await?
    );
    client.wait_for_height(left_at + 4, wait).await?;
    ensure!(set_at(&rpc, left_at + 1).await?.contains_key(&leaving));
    ensure!(!set_at(&rpc, left_at + 2).await?.contains_key(&leaving));
    ensure!(
        !signed(&rpc, left_at + 3, &leaving).await?,
        "signed after it left"
    );
    eprintln!(
        "B: node3 unbonded at {left_at}, out of the set from {}",
        left_at + 2
    );

    // C: node1 stops; it is jailed for downtime, then unjails.
    let keyring_operator = |name: &str| -> anyhow::Result<_> {
        let key = keyring.signing_key(name)?;
        Ok((quire_core::builder::address_of(&key), key))
    };
    let (operator1, _) = keyring_operator("node1")?;
    let down = net.consensus_key(1)?;
    let from = latest(&rpc).await?;
    net.script(&["kill", "1", "cometbft", "--signal", "STOP"])?;
    let jailed_at = wait_for_update(&client, &rpc, &down, from, Duration::from_secs(180)).await?;
    ensure!(
        updates_at(&rpc, jailed_at).await? == vec![(down, 0)],
        "downtime updates {:?}",
        updates_at(&rpc, jailed_at).await?
    );
    let jailed = client
        .validator(&operator1)
        .await?
        .context("node1's validator")?;
    ensure!(jailed.jailed, "node1 is not jailed");
    // 1 % slashed; fees compounded since genesis add a little (< 10^5).
    let tokens: u128 = jailed.tokens.parse()?;
    ensure!(
        (SELF_BOND - SELF_BOND / 100..SELF_BOND - SELF_BOND / 100 + 100_000).contains(&tokens),
        "node1 tokens after the downtime slash: {tokens}"
    );
    let early = unjail(&client, &keyring, "node1").await?;
    ensure!(
        early.code == quire_core::codes::tx::STILL_JAILED,
        "an early unjail answered {} {}",
        early.code,
        early.log
    );
    net.script(&["kill", "1", "cometbft", "--signal", "CONT"])?;
    // Jailed until the jailing block's time + 20 s: wait for a block past it.
    let jail_time = rpc
        .block(tendermint::block::Height::try_from(jailed_at)?)
        .await?
        .block
        .header
        .time;
    let free_at = (jail_time + Duration::from_secs(21))?;
    loop {
        let tip = rpc.latest_block().await?.block.header;
        if tip.time > free_at {
            break;
        }
        client
            .wait_for_height(tip.height.value() + 1, Duration::from_secs(30))
            .await?;
    }
    let back = unjail(&client, &keyring, "node1").await?;
    ensure!(
        back.accepted(),
        "unjail refused: {} {}",
        back.code,
        back.log
    );
    let tx = client.wait_for_tx(&back.hash, wait).await?;
    ensure!(tx.code == 0, "unjail failed: {}", tx.log);
    ensure!(updates_at(&rpc, tx.height).await? == vec![(down, 9)]);
    eprintln!(
        "C: node1 stopped after {from}, jailed at {jailed_at} ({tokens} tokens left), unjailed at {}",
        tx.height
    );

    // D: node2's key also runs on a second node: real duplicate votes.
    let (operator2, _) = keyring_operator("node2")?;
    let double = net.consensus_key(2)?;
    let from = latest(&rpc).await?;
    // node3 (a full node since B) crashes after FinalizeBlock of the next
    // block that returns validator updates: the slash's.
    let spec = format!("after-finalize-with-updates@{}", from + 1);
    net.restart_with(3, quired::fault::FAULT_ENV, &spec)
        .context("arming node3")?;
    let clone = tokio::task::block_in_place(|| net.join_node("clone2", Some(2)))?;
    let slashed_at =
        wait_for_update(&client, &rpc, &double, from, Duration::from_secs(240)).await?;
    drop(clone);
    ensure!(updates_at(&rpc, slashed_at).await? == vec![(double, 0)]);
    let evidence = rpc
        .block(tendermint::block::Height::try_from(slashed_at)?)
        .await?
        .block
        .evidence;
    ensure!(
        evidence.iter().any(
            |e| matches!(e, tendermint::evidence::Evidence::DuplicateVote(v)
            if v.vote_a.validator_address.as_bytes() == consensus_address(&double))
        ),
        "block {slashed_at} carries no duplicate-vote evidence of node2"
    );
    let tombstoned = client
        .validator(&operator2)
        .await?
        .context("node2's validator")?;
    ensure!(tombstoned.jailed);
    let tokens: u128 = tombstoned.tokens.parse()?;
    ensure!(
        (SELF_BOND - SELF_BOND / 20..SELF_BOND - SELF_BOND / 20 + 100_000).contains(&tokens),
        "node2 tokens after the double-sign slash: {tokens}"
    );
    eprintln!(
        "D: node2 double-signed, evidence and tombstone at {slashed_at} ({tokens} tokens left)"
    );
    // node3 died in that block and replays it to the same result.
    let log_path = net.dir().join("logs/node3-quired.log");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while !std::fs::read_to_string(&log_path)?
        .contains("aborting in a block with validator updates")
    {
        ensure!(
            tokio::time::Instant::now() < deadline,
            "node3 did not crash at the update block"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    tokio::task::block_in_place(|| net.script(&["restart", "3"]))?;
    eprintln!("node3 crashed after FinalizeBlock of the update block and was restarted");
    let never = unjail(&client, &keyring, "node2").await?;
    ensure!(
        never.code == quire_core::codes::tx::TOMBSTONED,
        "unjail of a tombstoned validator answered {} {}",
        never.code,
        never.log
    );
    client
        .wait_for_height(latest(&rpc).await? + 3, wait)
        .await?;

    // Across: CometBFT's set at every height is the replay of the updates.
    let end = latest(&rpc).await?;
    let mut sets: BTreeMap<u64, Set> = [(1, genesis.clone()), (2, genesis)].into();
    for height in 1..end {
        let mut next = sets[&(height + 1)].clone();
        for (key, power) in updates_at(&rpc, height).await? {
            if power == 0 {
                ensure!(
                    next.remove(&key).is_some(),
                    "height {height} removed an unknown key"
                );
            } else {
                next.insert(key, power);
            }
        }
        ensure!(!next.is_empty(), "height {height} emptied the set");
        sets.insert(height + 2, next);
        ensure!(
            set_at(&rpc, height).await? == sets[&height],
            "CometBFT's set at {height} is not the replay of the app's updates"
        );
    }
    // The app's bonded set is CometBFT's (no update in the last two blocks).
    let app: Set = client
        .validators()
        .await?
        .iter()
        .filter(|v| v.status == 3)
        .map(|v| {
            let key = quire_core::staking::msg::ed25519_key(v.consensus_pubkey.as_ref())?;
            Ok((key, quire_core::staking::voting_power(v.tokens.parse()?)))
        })
        .collect::<anyhow::Result<_>>()?;
    ensure!(app == set_at(&rpc, end).await?, "app set {app:?}");
    ensure!(
        app.len() == 3
            && app.contains_key(&new_key)
            && !app.contains_key(&leaving)
            && !app.contains_key(&double),
        "final set {app:?}"
    );

    // Readers: one follows from genesis height by height, one skips.
    let genesis_json = net.genesis_json()?;
    let namespace = quire_core::Namespace::from_rollup_name("staking-test");
    let served = end - 1;
    // node1 (stopped in C) serves the skipping reader: let it catch up.
    NodeClient::new(&net.rpc(1)?)?
        .wait_for_height(end + 1, Duration::from_secs(120))
        .await
        .context("node1 catching up")?;
    let mut follower = quire_client::read::VerifiedReader::new(
        quire_client::read::ReadClient::connect(&net.grpc(0)?).await?,
        quire_client::verify::Verifier::from_genesis_json(&genesis_json)?
            // Trust in the genesis set lapses after 2/3 of this chain's 30 s
            // unbonding time; the test's chain is older, and trusted anyway.
            .with_trusting_period(Duration::from_secs(3600)),
    );
    let followed = follower.range(&namespace, 1, served).await?;
    ensure!(
        followed.len() as u64 == served,
        "followed {} heights",
        followed.len()
    );
    let mut skipper = quire_client::read::VerifiedReader::new(
        quire_client::read::ReadClient::connect(&net.grpc(1)?).await?,
        quire_client::verify::Verifier::from_genesis_json(&genesis_json)?
            // Trust in the genesis set lapses after 2/3 of this chain's 30 s
            // unbonding time; the test's chain is older, and trusted anyway.
            .with_trusting_period(Duration::from_secs(3600)),
    );
    let steps = skipper.skip_to(served).await?;
    ensure!(skipper.verifier().trusted_height() == served);
    ensure!(steps < 10, "skipping took {steps} light blocks");
    skipper.fetch(served, &namespace, wait).await?;
    eprintln!("readers: followed 1..={served}; skipped 0 -> {served} with {steps} light block(s)");

    // Every node has the same app hash at every height.
    let mut hashes = Vec::new();
    for i in [0, 1, 2, 3, joined] {
        NodeClient::new(&net.rpc(i)?)?
            .wait_for_height(end, Duration::from_secs(120))
            .await
            .with_context(|| format!("node{i} catching up"))?;
        let node = HttpClient::new(net.rpc(i)?.as_str())?;
        let mut per_height = Vec::new();
        for height in 1..=end {
            let block = node
                .block(tendermint::block::Height::try_from(height)?)
                .await
                .with_context(|| format!("node{i} block {height}"))?;
            per_height.push(block.block.header.app_hash);
        }
        hashes.push(per_height);
    }
    ensure!(
        hashes.windows(2).all(|w| w[0] == w[1]),
        "nodes disagree on an app hash"
    );

    // A late node block-syncs through the set changes.
    let late = tokio::task::block_in_place(|| net.join_full_node())?;
    let late_client = NodeClient::new(&late.rpc)?;
    late_client
        .wait_for_height(end, Duration::from_secs(120))
        .await?;
    let late_rpc = HttpClient::new(late.rpc.as_str())?;
    let header = late_rpc
        .block(tendermint::block::Height::try_from(end)?)
        .await?
        .block
        .header;
    ensure!(
        header.app_hash == hashes[0][end as usize - 1],
        "the late node's app hash differs"
    );

    // The CLI shows the same set.
    let listed = std::process::Command::new(quire_tests::quired_bin()?)
        .args(["query", "staking", "validators", "--node"])
        .arg(net.rpc(0)?)
        .output()?;
    ensure!(
        listed.status.success(),
        "query staking validators: {listed:?}"
    );
    let listed: serde_json::Value = serde_json::from_slice(&listed.stdout)?;
    let bonded = listed
        .as_array()
        .context("a JSON array")?
        .iter()
        .filter(|v| v["status"] == "BOND_STATUS_BONDED")
        .count();
    ensure!(
        bonded == 3,
        "the CLI lists {bonded} bonded validators: {listed}"
    );

    // The invariants hold in a node's stored state, checked offline.
    tokio::task::block_in_place(|| net.script(&["kill", "3", "quired"]))?;
    let checked = std::process::Command::new(quire_tests::quired_bin()?)
        .args(["debug", "check-invariants", "--home"])
        .arg(net.dir().join("node3/quired"))
        .output()?;
    ensure!(
        checked.status.success()
            && String::from_utf8_lossy(&checked.stdout).contains("invariants hold"),
        "check-invariants: {checked:?}"
    );
    eprintln!("{}", String::from_utf8_lossy(&checked.stdout).trim());
    Ok(())
}
