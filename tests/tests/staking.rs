//! Proof of stake on a real CometBFT localnet: a fifth node block-syncs,
//! bonds with MsgCreateValidator and starts signing two blocks later; a
//! genesis validator unbonds its whole self-bond and leaves; through the
//! run CometBFT's validator set at every height is the replay of the
//! updates the app returned (the H+2 rule), the app's bonded set equals
//! CometBFT's, every node has the same app hash, and a late node
//! block-syncs through the changes.

use anyhow::{ensure, Context};
use quire_client::keyring::Keyring;
use quire_client::{NodeClient, Submitter};
use quire_core::msg::CheckedCoin;
use quire_core::staking::msg::Undelegate;
use quire_core::{Address, Msg};
use quire_tests::{run_scenario, start_localnet, Localnet};
use std::collections::BTreeMap;
use std::time::Duration;
use tendermint_rpc::{Client, HttpClient, Paging};

type Set = BTreeMap<[u8; 32], u64>;

const SELF_BOND: u128 = 10_000_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn validators_join_and_leave_by_stake() {
    let mut net = start_localnet(4).await;
    let joined = tokio::task::block_in_place(|| net.add_validator(SELF_BOND))
        .unwrap_or_else(|e| panic!("add-validator: {e:#}"));
    run_scenario(Duration::from_secs(600), scenario(&net, joined)).await;
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
    ensure!(app.len() == 4 && app.contains_key(&new_key) && !app.contains_key(&leaving));

    // Every node has the same app hash at every height.
    let mut hashes = Vec::new();
    for i in 0..net.nodes {
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
    Ok(())
}
