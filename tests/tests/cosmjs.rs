//! A stock cosmjs client (npm, pinned in tests/cosmjs/package.json) against
//! a localnet: `connectWithSigner`, accounts (a missing one is `null`),
//! balances (a zero coin where there is none), simulated fees, a MsgSend and
//! a MsgSubmitBlob signed and broadcast with no account number or sequence
//! given by hand, a new account's first tx; the results checked against the
//! chain, the blob read back verified by Quire's client. Then the Cosmos
//! query paths' error forms over ABCI, as the SDK gives them, the same
//! services over gRPC answering the same bytes, over REST in the gateway's
//! paths and JSON, and `quired chain-info`.

use prost::Message;
use quire_client::keyring::Keyring;
use quire_client::read::{ReadClient, VerifiedReader};
use quire_client::verify::Verifier;
use quire_client::NodeClient;
use quire_core::{Address, Namespace, Params};
use quire_tests::{repo_root, run_scenario, start_localnet, Localnet};
use serde_json::Value;
use std::process::Command;
use std::time::Duration;
use tendermint_rpc::Client;

/// `quired keys` and cosmjs' HD wallet derive the same address from one
/// mnemonic, both ways: a phrase `quired keys add` makes (24 words) and one
/// cosmjs makes (12 words) recovered with `quired keys add --recover`.
#[test]
fn quired_keys_and_cosmjs_agree_on_mnemonics() {
    let home = tempfile::tempdir().expect("temp dir");
    let home_arg = home.path().to_str().expect("utf-8 path");
    let quired = std::env::var("QUIRED_BIN")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| repo_root().join("target/debug/quired"));
    let made = Command::new(&quired)
        .args([
            "keys",
            "add",
            "made",
            "--keyring-backend",
            "test",
            "--output",
            "json",
            "--home",
            home_arg,
        ])
        .output()
        .expect("quired runs");
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let made: Value = serde_json::from_slice(&made.stdout).expect("JSON");
    let mnemonic = made["mnemonic"].as_str().expect("a mnemonic").to_string();
    assert_eq!(mnemonic.split(' ').count(), 24);

    let dir = repo_root().join("tests").join("cosmjs");
    let output = Command::new("timeout")
        .args(["60", "node", "hd.mjs"])
        .current_dir(&dir)
        .env("QUIRE_MNEMONIC", &mnemonic)
        .output()
        .expect("node runs");
    assert!(
        output.status.success(),
        "cosmjs hd wallet failed (run `npm ci --ignore-scripts` in {}): {}",
        dir.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    let cosmjs: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(cosmjs["givenAddress"], made["address"], "{cosmjs}");

    use std::io::Write;
    let mut recover = Command::new(&quired)
        .args([
            "keys",
            "add",
            "recovered",
            "--recover",
            "--keyring-backend",
            "test",
            "--home",
            home_arg,
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("quired runs");
    let phrase = cosmjs["freshMnemonic"].as_str().expect("a phrase");
    assert_eq!(phrase.split(' ').count(), 12);
    recover
        .stdin
        .take()
        .expect("stdin")
        .write_all(format!("{phrase}\n").as_bytes())
        .expect("written");
    let recovered = recover.wait_with_output().expect("quired finishes");
    assert!(
        recovered.status.success(),
        "{}",
        String::from_utf8_lossy(&recovered.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&recovered.stdout).trim(),
        cosmjs["freshAddress"].as_str().expect("an address")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stock_cosmjs_client_signs_broadcasts_and_reads() {
    let net = start_localnet(1).await;
    run_scenario(Duration::from_secs(300), scenario(&net)).await;
}

/// Runs tests/cosmjs/wallet.mjs with node; returns the JSON it prints.
fn run_wallet(rpc: &str, key_hex: &str, denom: &str, operator: &str) -> anyhow::Result<Value> {
    let dir = repo_root().join("tests").join("cosmjs");
    anyhow::ensure!(
        dir.join("node_modules").join("@cosmjs").exists(),
        "{} has no node_modules: run `npm ci --ignore-scripts` there (test.sh does)",
        dir.display()
    );
    let proto = repo_root().join("proto/proto/quire/blob/v1/tx.proto");
    let output = Command::new("timeout")
        .args(["240", "node", "wallet.mjs"])
        .current_dir(&dir)
        .env("QUIRE_RPC", rpc)
        .env("QUIRE_KEY_HEX", key_hex)
        .env("QUIRE_PROTO", proto)
        .env("QUIRE_DENOM", denom)
        .env("QUIRE_OPERATOR", operator)
        .output()?;
    anyhow::ensure!(
        output.status.success(),
        "cosmjs wallet failed ({}):\n{}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8(output.stdout)?;
    let last = stdout
        .lines()
        .last()
        .ok_or_else(|| anyhow::anyhow!("cosmjs wallet printed nothing"))?;
    Ok(serde_json::from_str(last)?)
}

fn u64_of(value: &Value, what: &str) -> anyhow::Result<u64> {
    value
        .as_u64()
        .ok_or_else(|| anyhow::anyhow!("{what} is not a number: {value}"))
}

fn string_of<'a>(value: &'a Value, what: &str) -> anyhow::Result<&'a str> {
    value
        .as_str()
        .ok_or_else(|| anyhow::anyhow!("{what} is not a string: {value}"))
}

async fn scenario(net: &Localnet) -> anyhow::Result<()> {
    let keyring = Keyring::open(&net.client_home()?.join("keyring"))?;
    let alice_key = keyring.signing_key("alice")?;
    let alice = quire_core::builder::address_of(&alice_key);
    let node = NodeClient::new(&net.rpc(0)?)?;
    node.wait_for_height(2, Duration::from_secs(60)).await?;
    let params: Params = node.params().await?;
    let before = node
        .account(&alice)
        .await?
        .ok_or_else(|| anyhow::anyhow!("alice has no account"))?;

    // The localnet's plain (test-network) keyring file holds the secret.
    let stored: Value = serde_json::from_str(&std::fs::read_to_string(keyring.key_path("alice"))?)?;
    let key_hex = string_of(&stored["private_key_hex"], "private_key_hex")?.to_string();
    let denom = params.fee_denom.clone();
    let rpc = net.rpc(0)?;
    // The localnet bonds its validator with the operator key "node0".
    let operator = quire_core::builder::address_of(&keyring.signing_key("node0")?);
    let operator_text = operator.to_bech32();
    let out =
        tokio::task::spawn_blocking(move || run_wallet(&rpc, &key_hex, &denom, &operator_text))
            .await??;
    println!("cosmjs: {out}");

    // Connected to the right chain, alice's account as the chain has it.
    anyhow::ensure!(
        string_of(&out["chainId"], "chainId")? == net.chain_id()?,
        "chain id {}",
        out["chainId"]
    );
    anyhow::ensure!(string_of(&out["alice"], "alice")? == alice.to_bech32());
    anyhow::ensure!(
        u64_of(&out["aliceAccount"]["accountNumber"], "account number")? == before.account_number,
        "account number {} (chain: {})",
        out["aliceAccount"],
        before.account_number
    );
    anyhow::ensure!(
        u64_of(&out["aliceAccount"]["sequence"], "sequence")? == before.sequence,
        "sequence {}",
        out["aliceAccount"]
    );
    // A new key: no account (null), a zero coin.
    anyhow::ensure!(
        out["freshAccountBefore"].is_null(),
        "{}",
        out["freshAccountBefore"]
    );
    anyhow::ensure!(
        out["freshBalanceBefore"] == serde_json::json!({"denom": params.fee_denom, "amount": "0"}),
        "{}",
        out["freshBalanceBefore"]
    );
    anyhow::ensure!(
        out["freshBalanceAfter"] == "5000000",
        "{}",
        out["freshBalanceAfter"]
    );
    anyhow::ensure!(out["sendTxFound"] == true, "getTx did not find the send");
    anyhow::ensure!(
        out["otherDenomBalance"] == serde_json::json!({"denom": "uatom", "amount": "0"}),
        "{}",
        out["otherDenomBalance"]
    );

    // The simulated gas is Quire's fee rule for the blob.
    let data = hex::decode(string_of(&out["blob"]["dataHex"], "blob data")?)?;
    let expected = params
        .fee_for(data.len() as u64)
        .ok_or_else(|| anyhow::anyhow!("fee overflow"))?;
    anyhow::ensure!(
        u128::from(u64_of(&out["blobGasEstimate"], "gas estimate")?) == expected,
        "simulated {} for {} bytes, the fee rule says {expected}",
        out["blobGasEstimate"],
        data.len()
    );

    // Every tx committed as cosmjs reports it, with the fee it offered.
    for which in ["send", "blob", "back"] {
        let hash = string_of(&out[which]["hash"], which)?;
        let committed = node
            .committed_tx(hash)
            .await?
            .ok_or_else(|| anyhow::anyhow!("{which} {hash} is not committed"))?;
        anyhow::ensure!(
            committed.height == u64_of(&out[which]["height"], which)?,
            "{which}: committed at {} but cosmjs says {}",
            committed.height,
            out[which]["height"]
        );
    }
    // The new account: created by the send, its first tx used sequence 0.
    let fresh: Address = string_of(&out["fresh"], "fresh")?.parse()?;
    let fresh_account = node
        .account(&fresh)
        .await?
        .ok_or_else(|| anyhow::anyhow!("the new account does not exist"))?;
    anyhow::ensure!(fresh_account.sequence == 1, "{fresh_account:?}");
    anyhow::ensure!(
        u64_of(&out["freshAccountAfter"]["accountNumber"], "fresh number")?
            == fresh_account.account_number
    );
    // Its balance: 5 000 000 − 1 000 sent back − the fee cosmjs offered
    // (the simulated fee × 1.4, rounded, at a gas price of 1).
    let fee = (params.base_fee * 14).div_ceil(10);
    let spent = 5_000_000 - fresh_account.balance.parse::<u128>()?;
    anyhow::ensure!(
        spent == 1000 + fee || spent == 1000 + fee - 1,
        "the new account spent {spent}, expected 1000 + about {fee}"
    );
    // Supply and all balances, as the bank query service gives them.
    let alice_now = node
        .account(&alice)
        .await?
        .ok_or_else(|| anyhow::anyhow!("alice vanished"))?;
    let all = &out["aliceAllBalances"];
    anyhow::ensure!(
        all.as_array().map(Vec::len) == Some(1) && all[0]["denom"] == params.fee_denom.as_str(),
        "all balances {all}"
    );
    anyhow::ensure!(
        all[0]["amount"]
            .as_str()
            .and_then(|a| a.parse::<u128>().ok())
            == alice_now.balance.parse::<u128>().ok(),
        "all balances {all}, now {}",
        alice_now.balance
    );
    anyhow::ensure!(
        out["supplyOf"]["denom"] == params.fee_denom.as_str()
            && out["supplyOf"] == out["totalSupply"][0],
        "supply {} / {}",
        out["supplyOf"],
        out["totalSupply"]
    );

    anyhow::ensure!(
        out["metadata"]["base"] == params.fee_denom.as_str()
            && out["metadata"]["display"] == "quire"
            && out["metadata"]["denomUnits"][1]["exponent"] == 6,
        "denom metadata {}",
        out["metadata"]
    );

    // The blob, read back and verified from the genesis validator set.
    let namespace = Namespace::from_rollup_name("cosmjs-rollup");
    anyhow::ensure!(
        string_of(&out["blob"]["namespaceHex"], "namespace")? == hex::encode(namespace.as_bytes())
    );
    let height = u64_of(&out["blob"]["height"], "blob height")?;
    let mut reader = VerifiedReader::new(
        ReadClient::connect(&net.grpc(0)?).await?,
        Verifier::from_genesis_json(&net.genesis_json()?)?,
    );
    let verified = reader
        .fetch(height, &namespace, Duration::from_secs(60))
        .await?;
    anyhow::ensure!(
        verified.blobs == vec![(alice, data.clone())],
        "verified blobs at {height}: {:?}",
        verified.blobs
    );

    // Staking through cosmjs' extension: the one bonded validator, its
    // operator's self-delegation, the pool and params.
    let valoper = operator.to_valoper();
    anyhow::ensure!(
        out["bondedValidators"].as_array().map(Vec::len) == Some(1)
            && out["bondedValidators"][0]["operator"] == valoper.as_str()
            && out["bondedValidators"][0]["status"] == 3
            && out["oneValidator"] == valoper.as_str(),
        "{}",
        out["bondedValidators"]
    );
    let tokens = string_of(&out["bondedValidators"][0]["tokens"], "tokens")?;
    anyhow::ensure!(
        out["stakingPool"]["bondedTokens"] == tokens
            && out["stakingParams"]["bondDenom"] == params.fee_denom.as_str(),
        "{} {}",
        out["stakingPool"],
        out["stakingParams"]
    );
    anyhow::ensure!(
        out["operatorDelegations"][0]["validator"] == valoper.as_str()
            && out["selfDelegation"]["amount"] == out["operatorDelegations"][0]["amount"]
            && out["selfDelegation"]["denom"] == params.fee_denom.as_str(),
        "{} {}",
        out["operatorDelegations"],
        out["selfDelegation"]
    );

    abci_error_forms(&node, &fresh).await?;
    grpc_answers_as_abci(&node, &net.grpc(0)?, &alice).await?;
    rest_answers(net, &node, &alice_key, &params).await?;
    staking_over_rest(net, &operator, tokens, &params)?;
    listings_over_rest(net, &[alice, fresh, operator])?;
    chain_info(net)
}

/// A GET of the REST route `path`: its status and JSON body.
fn rest_get(base: &str, path: &str) -> anyhow::Result<(u16, Value)> {
    let answer = quire_tests::http_call(base, "GET", path, None)?;
    let body: Value = serde_json::from_str(&answer.body)
        .map_err(|e| anyhow::anyhow!("GET {path}: {e}: {}", answer.body))?;
    Ok((answer.status, body))
}

/// The staking and distribution routes in the gateway's paths and JSON.
fn staking_over_rest(
    net: &Localnet,
    operator: &Address,
    tokens: &str,
    params: &Params,
) -> anyhow::Result<()> {
    let base = net.http(0)?;
    let get = |path: String| rest_get(&base, &path);
    let (valoper, account) = (operator.to_valoper(), operator.to_bech32());
    let (status, body) =
        get("/cosmos/staking/v1beta1/validators?status=BOND_STATUS_BONDED".into())?;
    let v = &body["validators"][0];
    anyhow::ensure!(
        status == 200 && body["pagination"]["total"] == "1",
        "{body}"
    );
    anyhow::ensure!(
        v["operator_address"] == valoper.as_str()
            && v["status"] == "BOND_STATUS_BONDED"
            && v["tokens"] == tokens
            && v["consensus_pubkey"]["@type"] == "/cosmos.crypto.ed25519.PubKey"
            && v["consensus_pubkey"]["key"].as_str().map(str::len) == Some(44)
            && v["commission"]["commission_rates"]["rate"]
                .as_str()
                .is_some_and(|r| r.len() > 19 && r.as_bytes()[r.len() - 19] == b'.')
            && v["unbonding_time"].is_string(),
        "{v}"
    );
    let (_, unbonded) =
        get("/cosmos/staking/v1beta1/validators?status=BOND_STATUS_UNBONDED".into())?;
    anyhow::ensure!(
        unbonded["validators"] == serde_json::json!([]),
        "{unbonded}"
    );
    let (status, body) = get("/cosmos/staking/v1beta1/validators?status=BONDED".into())?;
    anyhow::ensure!(status == 400 && body["code"] == 3, "{body}");
    let (_, one) = get(format!("/cosmos/staking/v1beta1/validators/{valoper}"))?;
    anyhow::ensure!(one["validator"] == *v, "{one}");
    let (_, dels) = get(format!("/cosmos/staking/v1beta1/delegations/{account}"))?;
    let d = &dels["delegation_responses"][0];
    anyhow::ensure!(
        d["delegation"]["validator_address"] == valoper.as_str()
            && d["delegation"]["delegator_address"] == account.as_str()
            && d["balance"]["denom"] == params.fee_denom.as_str(),
        "{dels}"
    );
    let (_, del) = get(format!(
        "/cosmos/staking/v1beta1/validators/{valoper}/delegations/{account}"
    ))?;
    anyhow::ensure!(del["delegation_response"] == *d, "{del}");
    let stranger = Address::new([0x42; 20]).to_bech32();
    let (status, body) = get(format!(
        "/cosmos/staking/v1beta1/validators/{valoper}/delegations/{stranger}"
    ))?;
    anyhow::ensure!(status == 404 && body["code"] == 5, "{body}");
    let (status, body) = get(format!(
        "/cosmos/staking/v1beta1/validators/{valoper}/delegations/{account}/unbonding_delegation"
    ))?;
    anyhow::ensure!(status == 404 && body["code"] == 5, "{body}");
    let (_, pool) = get("/cosmos/staking/v1beta1/pool".into())?;
    anyhow::ensure!(pool["pool"]["bonded_tokens"] == tokens, "{pool}");
    let (_, staking_params) = get("/cosmos/staking/v1beta1/params".into())?;
    anyhow::ensure!(
        staking_params["params"]["bond_denom"] == params.fee_denom.as_str()
            && staking_params["params"]["unbonding_time"]
                .as_str()
                .is_some_and(|t| t.ends_with('s')),
        "{staking_params}"
    );
    let (_, rewards) = get(format!(
        "/cosmos/distribution/v1beta1/delegators/{account}/rewards"
    ))?;
    anyhow::ensure!(
        rewards["rewards"][0]["validator_address"] == valoper.as_str()
            && rewards["rewards"][0]["reward"] == serde_json::json!([])
            && rewards["total"] == serde_json::json!([]),
        "{rewards}"
    );
    distribution_over_rest(&base, &valoper, &account, d)
}

/// The listings by validator and of redelegations, and the distribution
/// routes, in the gateway's paths and JSON (`delegation` is the operator's
/// self-delegation as DelegatorDelegations gives it).
fn distribution_over_rest(
    base: &str,
    valoper: &str,
    account: &str,
    delegation: &Value,
) -> anyhow::Result<()> {
    let get = |path: String| rest_get(base, &path);
    let (status, by_validator) = get(format!(
        "/cosmos/staking/v1beta1/validators/{valoper}/delegations?pagination.limit=1"
    ))?;
    anyhow::ensure!(
        status == 200
            && by_validator["delegation_responses"] == serde_json::json!([delegation])
            && by_validator["pagination"]["next_key"].is_null(),
        "{by_validator}"
    );
    let (status, redelegations) = get(format!(
        "/cosmos/staking/v1beta1/delegators/{account}/redelegations"
    ))?;
    anyhow::ensure!(
        status == 200 && redelegations["redelegation_responses"] == serde_json::json!([]),
        "{redelegations}"
    );
    let (status, body) = get(format!(
        "/cosmos/staking/v1beta1/delegators/{account}/redelegations?dst_validator_addr={valoper}"
    ))?;
    anyhow::ensure!(status == 400 && body["code"] == 3, "{body}");
    let d = "/cosmos/distribution/v1beta1";
    let (_, params) = get(format!("{d}/params"))?;
    anyhow::ensure!(
        params["params"]["community_tax"] == "0.000000000000000000"
            && params["params"]["withdraw_addr_enabled"] == false,
        "{params}"
    );
    let (_, info) = get(format!("{d}/validators/{valoper}"))?;
    anyhow::ensure!(info["operator_address"] == account, "{info}");
    let (_, outstanding) = get(format!("{d}/validators/{valoper}/outstanding_rewards"))?;
    anyhow::ensure!(
        outstanding["rewards"]["rewards"] == serde_json::json!([]),
        "{outstanding}"
    );
    let (_, commission) = get(format!("{d}/validators/{valoper}/commission"))?;
    anyhow::ensure!(
        commission["commission"]["commission"] == serde_json::json!([]),
        "{commission}"
    );
    let (_, rewards) = get(format!("{d}/delegators/{account}/rewards/{valoper}"))?;
    anyhow::ensure!(rewards["rewards"] == serde_json::json!([]), "{rewards}");
    let stranger = Address::new([0x42; 20]).to_bech32();
    let (status, body) = get(format!("{d}/delegators/{stranger}/rewards/{valoper}"))?;
    anyhow::ensure!(status == 404 && body["code"] == 5, "{body}");
    let (_, validators) = get(format!("{d}/delegators/{account}/validators"))?;
    anyhow::ensure!(
        validators["validators"] == serde_json::json!([valoper]),
        "{validators}"
    );
    let (_, withdraw) = get(format!("{d}/delegators/{account}/withdraw_address"))?;
    anyhow::ensure!(withdraw["withdraw_address"] == account, "{withdraw}");
    let (_, pool) = get(format!("{d}/community_pool"))?;
    anyhow::ensure!(pool["pool"] == serde_json::json!([]), "{pool}");
    Ok(())
}

/// The paged listings (auth `Accounts`, slashing `SigningInfos`) and the
/// slashing routes, as the gateway gives them.
fn listings_over_rest(net: &Localnet, known: &[Address]) -> anyhow::Result<()> {
    let base = net.http(0)?;
    let get = |path: String| rest_get(&base, &path);
    // Every account, two a page, following next_key to the end.
    let mut addresses = Vec::new();
    let mut key = String::new();
    for page in 0.. {
        anyhow::ensure!(page < 100, "the account pages never end");
        let (status, body) = get(format!(
            "/cosmos/auth/v1beta1/accounts?pagination.limit=2&pagination.key={}",
            // Pasted as given but `/` and `=`: a `+` arrives as a space and
            // still works.
            key.replace('/', "%2F").replace('=', "%3D")
        ))?;
        let accounts = body["accounts"].as_array().cloned().unwrap_or_default();
        anyhow::ensure!(status == 200 && accounts.len() <= 2, "{body}");
        for account in &accounts {
            anyhow::ensure!(
                account["@type"] == "/cosmos.auth.v1beta1.BaseAccount",
                "{account}"
            );
            let address: Address = string_of(&account["address"], "address")?.parse()?;
            // Each agrees with the account's own route.
            let (_, one) = get(format!(
                "/cosmos/auth/v1beta1/accounts/{}",
                address.to_bech32()
            ))?;
            anyhow::ensure!(one["account"] == *account, "{one} vs {account}");
            addresses.push(address);
        }
        match body["pagination"]["next_key"].as_str() {
            Some(next) => {
                anyhow::ensure!(accounts.len() == 2, "a short page with a next_key: {body}");
                key = next.to_string();
            }
            None => break,
        }
    }
    let mut sorted = addresses.clone();
    sorted.sort_by_key(|a| *a.as_bytes());
    sorted.dedup();
    anyhow::ensure!(
        sorted == addresses && addresses.len() >= 5,
        "accounts not in address order, repeated or missing: {addresses:?}"
    );
    for address in known {
        anyhow::ensure!(addresses.contains(address), "{address} is not listed");
    }
    let (status, body) = get("/cosmos/auth/v1beta1/accounts?pagination.offset=3".into())?;
    anyhow::ensure!(status == 400 && body["code"] == 3, "{body}");
    // A parameter axum itself refuses, in the gateway's form too.
    let (status, body) = get("/cosmos/auth/v1beta1/accounts?pagination.limit=many".into())?;
    anyhow::ensure!(
        status == 400 && body["code"] == 3 && body["details"] == serde_json::json!([]),
        "{body}"
    );
    let (status, body) = get("/cosmos/auth/v1beta1/accounts?pagination.key=%25%25".into())?;
    anyhow::ensure!(status == 400 && body["code"] == 3, "{body}");

    // Slashing: the one validator's signing info, by list and by address.
    let (status, infos) = get("/cosmos/slashing/v1beta1/signing_infos".into())?;
    let info = &infos["info"][0];
    anyhow::ensure!(
        status == 200
            && infos["info"].as_array().map(Vec::len) == Some(1)
            && info["address"]
                .as_str()
                .is_some_and(|a| a.starts_with("quirevalcons1"))
            && info["tombstoned"] == false
            && info["missed_blocks_counter"].is_string(),
        "{infos}"
    );
    let consensus = string_of(&info["address"], "consensus address")?;
    let (_, one) = get(format!(
        "/cosmos/slashing/v1beta1/signing_infos/{consensus}"
    ))?;
    anyhow::ensure!(
        one["val_signing_info"]["address"] == consensus
            && one["val_signing_info"]["start_height"] == info["start_height"],
        "{one}"
    );
    let (status, body) = get(format!(
        "/cosmos/slashing/v1beta1/signing_infos/{}",
        Address::new([0x42; 20]).to_bech32()
    ))?;
    anyhow::ensure!(status == 400 && body["code"] == 3, "{body}");
    let (_, params) = get("/cosmos/slashing/v1beta1/params".into())?;
    let defaults = quire_core::staking::StakingParams::default();
    anyhow::ensure!(
        params["params"]["signed_blocks_window"]
            == defaults.signed_blocks_window.to_string().as_str()
            && params["params"]["min_signed_per_window"]
                .as_str()
                .is_some_and(|d| d.len() > 19 && d.as_bytes()[d.len() - 19] == b'.')
            && params["params"]["downtime_jail_duration"]
                == format!("{}s", defaults.downtime_jail_duration_secs),
        "{params}"
    );
    Ok(())
}

/// A GET of `path` asking for `height` (the `x-cosmos-block-height` header).
fn http_get_at(base: &str, path: &str, height: u64) -> anyhow::Result<quire_tests::HttpAnswer> {
    quire_tests::http_call_with(
        base,
        "GET",
        path,
        None,
        &[("x-cosmos-block-height", &height.to_string())],
    )
}

/// The REST routes (the SDK gateway's paths and JSON) on the HTTP port.
async fn rest_answers(
    net: &Localnet,
    node: &NodeClient,
    key: &cosmrs::crypto::secp256k1::SigningKey,
    params: &Params,
) -> anyhow::Result<()> {
    use quire_tests::http_call;
    let base = net.http(0)?;
    let alice = quire_core::builder::address_of(key);
    let get = |path: String| {
        let answer = http_call(&base, "GET", &path, None)?;
        let body: Value = serde_json::from_str(&answer.body)
            .map_err(|e| anyhow::anyhow!("GET {path}: {e}: {}", answer.body))?;
        anyhow::Ok((answer, body))
    };
    let (answer, body) = get(format!("/cosmos/auth/v1beta1/accounts/{alice}"))?;
    let chain = node
        .account(&alice)
        .await?
        .ok_or_else(|| anyhow::anyhow!("alice has no account"))?;
    anyhow::ensure!(answer.status == 200, "{}", answer.body);
    anyhow::ensure!(answer.header("access-control-allow-origin") == Some("*"));
    anyhow::ensure!(
        answer
            .header("x-cosmos-block-height")
            .and_then(|h| h.parse::<u64>().ok())
            .is_some_and(|h| h > 0),
        "{}",
        answer.head
    );
    let account = &body["account"];
    anyhow::ensure!(
        account["@type"] == "/cosmos.auth.v1beta1.BaseAccount"
            && account["address"] == alice.to_bech32().as_str()
            && account["account_number"] == chain.account_number.to_string().as_str(),
        "{body}"
    );
    let (answer, body) = get(format!(
        "/cosmos/auth/v1beta1/accounts/{}",
        Address::new([0x44; 20])
    ))?;
    anyhow::ensure!(answer.status == 404 && body["code"] == 5, "{}", answer.body);
    let (answer, _) = get("/cosmos/auth/v1beta1/accounts/nope".into())?;
    anyhow::ensure!(answer.status == 400, "{}", answer.body);

    let (_, body) = get(format!(
        "/cosmos/bank/v1beta1/balances/{alice}/by_denom?denom={}",
        params.fee_denom
    ))?;
    anyhow::ensure!(
        body["balance"]["denom"] == params.fee_denom.as_str(),
        "{body}"
    );
    let (_, body) = get(format!("/cosmos/bank/v1beta1/balances/{alice}"))?;
    anyhow::ensure!(
        body["balances"][0]["denom"] == params.fee_denom.as_str(),
        "{body}"
    );
    anyhow::ensure!(body["pagination"]["total"] == "1", "{body}");
    let (_, body) = get(format!("/cosmos/bank/v1beta1/spendable_balances/{alice}"))?;
    anyhow::ensure!(
        body["balances"].as_array().map(Vec::len) == Some(1),
        "{body}"
    );
    let (_, supply) = get(format!(
        "/cosmos/bank/v1beta1/supply/by_denom?denom={}",
        params.fee_denom
    ))?;
    let (_, total) = get("/cosmos/bank/v1beta1/supply".into())?;
    anyhow::ensure!(supply["amount"] == total["supply"][0], "{supply} {total}");
    let (_, meta) = get(format!(
        "/cosmos/bank/v1beta1/denoms_metadata/{}",
        params.fee_denom
    ))?;
    anyhow::ensure!(meta["metadata"]["display"] == "quire", "{meta}");
    let (answer, body) = get("/cosmos/bank/v1beta1/denoms_metadata/uatom".into())?;
    anyhow::ensure!(answer.status == 404 && body["code"] == 5, "{}", answer.body);
    let (answer, body) = get("/cosmos/gov/v1/proposals".into())?;
    anyhow::ensure!(
        answer.status == 501 && body["code"] == 12,
        "{}",
        answer.body
    );
    // A past height is refused, not answered with the latest state.
    let old = http_get_at(&base, "/cosmos/bank/v1beta1/supply", 1)?;
    anyhow::ensure!(
        old.status == 400 && old.body.contains("version does not exist"),
        "{}",
        old.body
    );
    let (_, auth_params) = get("/cosmos/auth/v1beta1/params".into())?;
    anyhow::ensure!(
        auth_params["params"]["tx_sig_limit"] == "1",
        "{auth_params}"
    );
    let (_, bank_params) = get("/cosmos/bank/v1beta1/params".into())?;
    anyhow::ensure!(bank_params["params"]["default_send_enabled"] == true);

    // A simulation over REST: the fee rule as gas.
    let data = vec![7u8; 300];
    let tx = quire_core::builder::sign_tx(
        key,
        &quire_core::builder::SignerContext {
            chain_id: net.chain_id()?.to_string(),
            account_number: chain.account_number,
            sequence: chain.sequence,
            fee_denom: params.fee_denom.clone(),
            fee: 0,
            timeout_height: 0,
            memo: String::new(),
        },
        &[quire_client::Msg::submit_blob(
            Namespace::from_rollup_name("rest-sim"),
            data.clone(),
        )],
    )?;
    use base64::Engine;
    let request = serde_json::json!({
        "tx_bytes": base64::engine::general_purpose::STANDARD.encode(&tx),
    })
    .to_string();
    let answer = http_call(&base, "POST", "/cosmos/tx/v1beta1/simulate", Some(&request))?;
    let body: Value = serde_json::from_str(&answer.body)?;
    let expected = params
        .fee_for(data.len() as u64)
        .ok_or_else(|| anyhow::anyhow!("fee overflow"))?;
    anyhow::ensure!(
        answer.status == 200 && body["gas_info"]["gas_used"] == expected.to_string().as_str(),
        "simulate: {} (expected gas {expected})",
        answer.body
    );
    anyhow::ensure!(
        body["result"]["events"]
            .as_array()
            .is_some_and(|events| events.iter().any(|e| e["type"] == "blob")),
        "{body}"
    );
    let preflight = http_call(&base, "OPTIONS", "/cosmos/tx/v1beta1/simulate", None)?;
    anyhow::ensure!(
        preflight.status == 204
            && preflight
                .header("access-control-allow-methods")
                .is_some_and(|m| m.contains("POST")),
        "{}",
        preflight.head
    );
    Ok(())
}

/// `quired chain-info` describes the running network: the chain id read
/// from it, the unbonding time from its genesis, Quire's prefixes and token.
fn chain_info(net: &Localnet) -> anyhow::Result<()> {
    let output = Command::new(quire_tests::quired_bin()?)
        .args(["chain-info", "--node", &net.rpc(0)?, "--genesis"])
        .arg(net.dir().join("genesis.json"))
        .output()?;
    anyhow::ensure!(
        output.status.success(),
        "quired chain-info: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let info: Value = serde_json::from_slice(&output.stdout)?;
    let genesis: Value = serde_json::from_str(&net.genesis_json()?)?;
    let unbonding = u64_of(
        &genesis["app_state"]["staking"]["params"]["unbonding_time_secs"],
        "unbonding time",
    )?;
    let chain = &info["chain"];
    anyhow::ensure!(chain["chain_id"] == net.chain_id()? && chain["slip44"] == 118);
    anyhow::ensure!(chain["bech32_prefix"] == "quire" && chain["chain_type"] == "cosmos");
    anyhow::ensure!(
        chain["staking"]["lock_duration"]["time"] == format!("{unbonding}s"),
        "{}",
        chain["staking"]
    );
    anyhow::ensure!(chain["apis"]["rpc"][0]["address"] == net.rpc(0)?.as_str());
    let asset = &info["assetlist"]["assets"][0];
    anyhow::ensure!(
        asset["base"] == "uquire"
            && asset["display"] == "quire"
            && asset["denom_units"][1]["exponent"] == 6,
        "{asset}"
    );
    let keplr = &info["keplr"];
    anyhow::ensure!(keplr["chainId"] == net.chain_id()? && keplr["bip44"]["coinType"] == 118);
    anyhow::ensure!(
        keplr["bech32Config"]["bech32PrefixValAddr"] == "quirevaloper"
            && keplr["bech32Config"]["bech32PrefixConsPub"] == "quirevalconspub",
        "{}",
        keplr["bech32Config"]
    );
    let name_len = string_of(&keplr["chainName"], "chainName")?.chars().count();
    anyhow::ensure!(
        (1..=30).contains(&name_len),
        "chainName {}",
        keplr["chainName"]
    );
    anyhow::ensure!(keplr["feeCurrencies"][0]["gasPriceStep"]["average"] == 1);
    Ok(())
}

/// The same services over gRPC (the read API's port): the same bytes as over
/// ABCI for the same request, the height in `x-cosmos-block-height`, the
/// SDK's status codes.
async fn grpc_answers_as_abci(
    node: &NodeClient,
    grpc_url: &str,
    alice: &Address,
) -> anyhow::Result<()> {
    use cosmrs::proto::cosmos::auth::v1beta1::{QueryAccountRequest, QueryAccountResponse};
    use cosmrs::proto::cosmos::bank::v1beta1::{QueryBalanceRequest, QueryBalanceResponse};
    use tonic::codegen::http::uri::PathAndQuery;
    let channel = tonic::transport::Endpoint::from_shared(grpc_url.to_string())?
        .connect()
        .await?;
    let mut grpc = tonic::client::Grpc::new(channel);
    // Ask at the height the chain has now, so the two answers are of one state.
    let height = node.status().await?.1;
    node.wait_for_height(height + 1, Duration::from_secs(30))
        .await?;
    let request = QueryBalanceRequest {
        address: alice.to_bech32(),
        denom: "uquire".into(),
    };
    let path = "/cosmos.bank.v1beta1.Query/Balance";
    let mut attempts = 0;
    loop {
        attempts += 1;
        grpc.ready().await?;
        let over_grpc = grpc
            .unary(
                tonic::Request::new(request.clone()),
                PathAndQuery::from_static(path),
                tonic::codec::ProstCodec::<QueryBalanceRequest, QueryBalanceResponse>::default(),
            )
            .await?;
        let grpc_height: u64 = over_grpc
            .metadata()
            .get("x-cosmos-block-height")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| anyhow::anyhow!("no x-cosmos-block-height in {over_grpc:?}"))?;
        let over_abci = node
            .rpc()
            .abci_query(Some(path.to_string()), request.encode_to_vec(), None, false)
            .await?;
        if over_abci.height.value() != grpc_height {
            // A block committed between the two: ask both again.
            anyhow::ensure!(attempts < 10, "the two answers never met at one height");
            continue;
        }
        anyhow::ensure!(
            over_grpc.into_inner().encode_to_vec() == over_abci.value,
            "gRPC and ABCI answers differ at height {grpc_height}"
        );
        break;
    }
    // A missing account: NotFound, as the SDK's gRPC server says it.
    grpc.ready().await?;
    let missing = grpc
        .unary(
            tonic::Request::new(QueryAccountRequest {
                address: Address::new([0x43; 20]).to_bech32(),
            }),
            PathAndQuery::from_static("/cosmos.auth.v1beta1.Query/Account"),
            tonic::codec::ProstCodec::<QueryAccountRequest, QueryAccountResponse>::default(),
        )
        .await;
    match missing {
        Err(status) if status.code() == tonic::Code::NotFound => {}
        other => anyhow::bail!("a missing account over gRPC: {other:?}"),
    }
    // The staking service over gRPC: the bonded validators.
    {
        use cosmrs::proto::cosmos::staking::v1beta1::{
            QueryValidatorsRequest, QueryValidatorsResponse,
        };
        grpc.ready().await?;
        let validators = grpc
            .unary(
                tonic::Request::new(QueryValidatorsRequest {
                    status: "BOND_STATUS_BONDED".into(),
                    pagination: None,
                }),
                PathAndQuery::from_static("/cosmos.staking.v1beta1.Query/Validators"),
                tonic::codec::ProstCodec::<QueryValidatorsRequest, QueryValidatorsResponse>::default(),
            )
            .await?
            .into_inner();
        anyhow::ensure!(validators.validators.len() == 1, "{validators:?}");
    }
    // A method the service does not have: Unimplemented.
    grpc.ready().await?;
    let unknown = grpc
        .unary(
            tonic::Request::new(QueryAccountRequest::default()),
            PathAndQuery::from_static("/cosmos.auth.v1beta1.Query/ModuleAccounts"),
            tonic::codec::ProstCodec::<QueryAccountRequest, QueryAccountResponse>::default(),
        )
        .await;
    match unknown {
        Err(status) if status.code() == tonic::Code::Unimplemented => Ok(()),
        other => anyhow::bail!("an unknown method over gRPC: {other:?}"),
    }
}

/// The Cosmos paths' errors over ABCI, in the SDK's form (what cosmjs and
/// other clients match on).
async fn abci_error_forms(node: &NodeClient, known: &Address) -> anyhow::Result<()> {
    use cosmrs::proto::cosmos::auth::v1beta1::{QueryAccountRequest, QueryAccountResponse};
    let rpc = node.rpc();
    let ask = |path: &'static str, data: Vec<u8>, prove: bool| async move {
        rpc.abci_query(Some(path.to_string()), data, None, prove)
            .await
    };
    let nobody = Address::new([0x42; 20]).to_bech32();
    let missing = ask(
        "/cosmos.auth.v1beta1.Query/Account",
        QueryAccountRequest {
            address: nobody.clone(),
        }
        .encode_to_vec(),
        false,
    )
    .await?;
    anyhow::ensure!(
        missing.code.value() == 22
            && missing.codespace == "sdk"
            && missing
                .log
                .starts_with("rpc error: code = NotFound desc = account ")
            && missing.height.value() > 0,
        "missing account: {missing:?}"
    );
    let found = ask(
        "/cosmos.auth.v1beta1.Query/Account",
        QueryAccountRequest {
            address: known.to_bech32(),
        }
        .encode_to_vec(),
        false,
    )
    .await?;
    anyhow::ensure!(found.code.is_ok(), "{found:?}");
    let account = QueryAccountResponse::decode(found.value.as_slice())?
        .account
        .ok_or_else(|| anyhow::anyhow!("no account in the answer"))?;
    anyhow::ensure!(account.type_url == "/cosmos.auth.v1beta1.BaseAccount");
    let bad = ask(
        "/cosmos.auth.v1beta1.Query/Account",
        QueryAccountRequest {
            address: "cosmos1notanaddress".into(),
        }
        .encode_to_vec(),
        false,
    )
    .await?;
    anyhow::ensure!(
        bad.code.value() == 18 && bad.log.contains("InvalidArgument"),
        "bad address: {bad:?}"
    );
    let garbage = ask("/cosmos.bank.v1beta1.Query/Balance", vec![0xff; 7], false).await?;
    anyhow::ensure!(garbage.code.value() == 18, "garbage request: {garbage:?}");
    let unknown = ask("/cosmos.gov.v1.Query/Proposals", Vec::new(), false).await?;
    anyhow::ensure!(
        unknown.code.value() == 6 && unknown.log.contains("unknown query path"),
        "unknown path: {unknown:?}"
    );
    let proved = ask(
        "/cosmos.auth.v1beta1.Query/Account",
        QueryAccountRequest { address: nobody }.encode_to_vec(),
        true,
    )
    .await?;
    anyhow::ensure!(proved.code.value() == 18, "prove: {proved:?}");
    Ok(())
}
