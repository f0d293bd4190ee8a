//! The Cosmos methods that read CometBFT, against a localnet, over REST (as
//! Keplr and explorers call them) and gRPC: a tx broadcast with
//! `POST /cosmos/tx/v1beta1/txs`, then found by hash and by event query with
//! its decoded messages; mempool and mode refusals in the SDK's forms;
//! blocks (CometBFT's and the SDK's form), the validator set, node info,
//! syncing, node config and status, each checked against CometBFT itself.

use base64::Engine;
use cosmrs::proto::cosmos::base::tendermint::v1beta1 as tm;
use cosmrs::proto::cosmos::tx::v1beta1 as tx;
use prost::Message;
use quire_client::keyring::Keyring;
use quire_client::NodeClient;
use quire_core::builder::{sign_tx, SignerContext};
use quire_core::msg::Msg;
use quire_core::Address;
use quire_tests::{http_call, run_scenario, start_localnet, HttpAnswer, Localnet};
use serde_json::{json, Value};
use sha2::Digest;
use std::time::Duration;
use tendermint_rpc::Client;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keplr_and_explorer_routes_answer_from_cometbft() {
    let net = start_localnet(1).await;
    run_scenario(Duration::from_secs(240), scenario(&net)).await;
}

fn base64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// A REST call; the answer and its JSON body.
fn call(
    base: &str,
    method: &str,
    path: &str,
    body: Option<&Value>,
) -> anyhow::Result<(HttpAnswer, Value)> {
    let text = body.map(Value::to_string);
    let answer = http_call(base, method, path, text.as_deref())?;
    let json: Value = serde_json::from_str(&answer.body)
        .map_err(|e| anyhow::anyhow!("{method} {path}: {e}: {}", answer.body))?;
    Ok((answer, json))
}

/// A REST GET that must answer 200.
fn get_ok(base: &str, path: &str) -> anyhow::Result<Value> {
    let (answer, body) = call(base, "GET", path, None)?;
    anyhow::ensure!(
        answer.status == 200,
        "GET {path}: {} {}",
        answer.status,
        answer.body
    );
    anyhow::ensure!(answer.header("access-control-allow-origin") == Some("*"));
    Ok(body)
}

/// The gateway error of a refused request: its HTTP status and gRPC code.
fn ensure_refused(answer: &HttpAnswer, body: &Value, status: u16, code: u64) -> anyhow::Result<()> {
    anyhow::ensure!(
        answer.status == status && body["code"] == code && body["message"].is_string(),
        "expected {status}/{code}, got {} {}",
        answer.status,
        answer.body
    );
    Ok(())
}

async fn scenario(net: &Localnet) -> anyhow::Result<()> {
    let base = net.http(0)?;
    let node = NodeClient::new(&net.rpc(0)?)?;
    node.wait_for_height(2, Duration::from_secs(60)).await?;
    let keyring = Keyring::open(&net.client_home()?.join("keyring"))?;
    let alice_key = keyring.signing_key("alice")?;
    let alice = quire_core::builder::address_of(&alice_key);
    let account = node
        .account(&alice)
        .await?
        .ok_or_else(|| anyhow::anyhow!("alice has no account"))?;
    let params = node.params().await?;
    let context = SignerContext {
        chain_id: net.chain_id()?.to_string(),
        account_number: account.account_number,
        sequence: account.sequence,
        fee_denom: params.fee_denom.clone(),
        fee: params.base_fee,
        timeout_height: 0,
        memo: "via REST".to_string(),
    };
    let bob = Address::new([0x5b; 20]);
    let send = vec![Msg::send(bob, &params.fee_denom, 777)];
    let tx_bytes = sign_tx(&alice_key, &context, &send)?;
    let hash = hex::encode_upper(sha2::Sha256::digest(&tx_bytes));

    // Broadcast as Keplr does: SYNC, over REST.
    let request = json!({ "tx_bytes": base64(&tx_bytes), "mode": "BROADCAST_MODE_SYNC" });
    let (answer, body) = call(&base, "POST", "/cosmos/tx/v1beta1/txs", Some(&request))?;
    anyhow::ensure!(answer.status == 200, "{}", answer.body);
    let response = &body["tx_response"];
    anyhow::ensure!(response["code"] == 0, "CheckTx refused: {response}");
    anyhow::ensure!(response["txhash"] == hash.as_str(), "{response}");
    anyhow::ensure!(response["height"] == "0", "{response}");
    // The same bytes again: CometBFT's cache refuses them, in the SDK's form.
    let (answer, body) = call(&base, "POST", "/cosmos/tx/v1beta1/txs", Some(&request))?;
    anyhow::ensure!(answer.status == 200, "{}", answer.body);
    let again = &body["tx_response"];
    anyhow::ensure!(
        again["code"] == 19 && again["codespace"] == "sdk" && again["txhash"] == hash.as_str(),
        "{again}"
    );
    // A tx CheckTx refuses (its sequence is the one the pending send took):
    // 200, with Quire's code.
    let stale = sign_tx(
        &alice_key,
        &SignerContext {
            memo: "the same sequence again".to_string(),
            ..context.clone()
        },
        &send,
    )?;
    let (answer, body) = call(
        &base,
        "POST",
        "/cosmos/tx/v1beta1/txs",
        Some(&json!({ "tx_bytes": base64(&stale), "mode": 2 })),
    )?;
    anyhow::ensure!(answer.status == 200, "{}", answer.body);
    let refused = &body["tx_response"];
    anyhow::ensure!(
        refused["code"].as_u64().unwrap_or(0) != 0
            && refused["codespace"] == "quire"
            && refused["raw_log"].as_str().is_some_and(|l| !l.is_empty()),
        "{refused}"
    );
    // Refused requests: BLOCK mode, no tx, not base64, an unknown mode.
    for (request, what) in [
        (
            json!({ "tx_bytes": base64(&stale), "mode": "BROADCAST_MODE_BLOCK" }),
            "BLOCK",
        ),
        (
            json!({ "tx_bytes": "", "mode": "BROADCAST_MODE_SYNC" }),
            "empty",
        ),
        (
            json!({ "tx_bytes": "%%%", "mode": "BROADCAST_MODE_SYNC" }),
            "base64",
        ),
        (
            json!({ "tx_bytes": base64(&stale), "mode": "FAST" }),
            "mode",
        ),
    ] {
        let (answer, body) = call(&base, "POST", "/cosmos/tx/v1beta1/txs", Some(&request))?;
        ensure_refused(&answer, &body, 400, 3).map_err(|e| anyhow::anyhow!("{what}: {e}"))?;
    }

    // Found by hash once committed, with its messages decoded.
    let committed = node.wait_for_tx(&hash, Duration::from_secs(30)).await?;
    let found = get_ok(&base, &format!("/cosmos/tx/v1beta1/txs/{hash}"))?;
    println!("GetTx over REST: {found}");
    let response = &found["tx_response"];
    anyhow::ensure!(
        response["height"] == committed.height.to_string().as_str() && response["code"] == 0,
        "{response}"
    );
    let timestamp = response["timestamp"].as_str().unwrap_or_default();
    anyhow::ensure!(
        timestamp.len() == 20 && timestamp.ends_with('Z'),
        "timestamp {timestamp:?}"
    );
    // The SDK's `message` event, and the fee as gas (1 gas = 1 uquire): the
    // send needs the base fee and offered exactly that.
    let events = response["events"].as_array().cloned().unwrap_or_default();
    let message = events
        .iter()
        .find(|e| e["type"] == "message")
        .ok_or_else(|| anyhow::anyhow!("no message event in {response}"))?;
    let attribute = |key: &str| {
        message["attributes"]
            .as_array()
            .and_then(|list| list.iter().find(|a| a["key"] == key))
            .map(|a| a["value"].clone())
    };
    anyhow::ensure!(
        attribute("action") == Some(json!("/cosmos.bank.v1beta1.MsgSend"))
            && attribute("sender") == Some(json!(alice.to_bech32()))
            && attribute("module") == Some(json!("bank")),
        "message event {message}"
    );
    let base_fee = params.base_fee.to_string();
    anyhow::ensure!(
        response["gas_used"] == base_fee.as_str() && response["gas_wanted"] == base_fee.as_str(),
        "gas {} / {}",
        response["gas_used"],
        response["gas_wanted"]
    );
    anyhow::ensure!(
        response["tx"]["@type"] == "/cosmos.tx.v1beta1.Tx",
        "{response}"
    );
    let message = &found["tx"]["body"]["messages"][0];
    anyhow::ensure!(
        *message
            == json!({
                "@type": "/cosmos.bank.v1beta1.MsgSend",
                "from_address": alice.to_bech32(),
                "to_address": bob.to_bech32(),
                "amount": [{ "denom": params.fee_denom, "amount": "777" }],
            }),
        "message {message}"
    );
    anyhow::ensure!(found["tx"]["body"]["memo"] == "via REST");
    let signer = &found["tx"]["auth_info"]["signer_infos"][0];
    anyhow::ensure!(
        signer["sequence"] == account.sequence.to_string().as_str()
            && signer["mode_info"]["single"]["mode"] == "SIGN_MODE_DIRECT"
            && signer["public_key"]["@type"] == "/cosmos.crypto.secp256k1.PubKey",
        "signer {signer}"
    );
    let (answer, body) = call(
        &base,
        "GET",
        &format!("/cosmos/tx/v1beta1/txs/{}", "0".repeat(64)),
        None,
    )?;
    ensure_refused(&answer, &body, 404, 5)?;
    let (answer, body) = call(&base, "GET", "/cosmos/tx/v1beta1/txs/nothex", None)?;
    ensure_refused(&answer, &body, 400, 3)?;

    // Found by event query, in both the 0.50 (`query`) and older (`events`) forms.
    for path in [
        format!(
            "/cosmos/tx/v1beta1/txs?query=message.sender%3D%27{}%27%20AND%20tx.height%3D{}",
            alice.to_bech32(),
            committed.height
        ),
        format!(
            "/cosmos/tx/v1beta1/txs?query=tx.height%3D{}",
            committed.height
        ),
        format!(
            "/cosmos/tx/v1beta1/txs?events=tx.height%3D{}&order_by=ORDER_BY_DESC&limit=10",
            committed.height
        ),
    ] {
        let listed = get_ok(&base, &path)?;
        let hashes: Vec<&str> = listed["tx_responses"]
            .as_array()
            .map(|list| list.iter().filter_map(|r| r["txhash"].as_str()).collect())
            .unwrap_or_default();
        anyhow::ensure!(hashes.contains(&hash.as_str()), "{path}: {listed}");
        anyhow::ensure!(
            listed["total"]
                .as_str()
                .and_then(|t| t.parse::<usize>().ok())
                == Some(hashes.len()),
            "{path}: total {}",
            listed["total"]
        );
        anyhow::ensure!(listed["txs"].as_array().map(Vec::len) == Some(hashes.len()));
    }
    for bad in [
        "/cosmos/tx/v1beta1/txs",
        "/cosmos/tx/v1beta1/txs?query=tx.height%3D%3D%3D",
    ] {
        let (answer, body) = call(&base, "GET", bad, None)?;
        ensure_refused(&answer, &body, 400, 3).map_err(|e| anyhow::anyhow!("{bad}: {e}"))?;
    }

    blocks_and_validators(net, &base, &node, committed.height, &tx_bytes).await?;
    node_routes(net, &base, &node, &params.fee_denom).await?;
    over_grpc(net, &node, &hash, committed.height).await?;
    Ok(())
}

async fn blocks_and_validators(
    net: &Localnet,
    base: &str,
    node: &NodeClient,
    height: u64,
    tx_bytes: &[u8],
) -> anyhow::Result<()> {
    let chain_id = net.chain_id()?.to_string();
    let comet = node
        .rpc()
        .block(tendermint::block::Height::try_from(height)?)
        .await?;
    let at = get_ok(
        base,
        &format!("/cosmos/base/tendermint/v1beta1/blocks/{height}"),
    )?;
    let header = &at["block"]["header"];
    anyhow::ensure!(
        header["height"] == height.to_string().as_str() && header["chain_id"] == chain_id.as_str(),
        "{header}"
    );
    anyhow::ensure!(
        header["app_hash"] == base64(comet.block.header.app_hash.as_bytes()).as_str(),
        "app hash {} vs CometBFT's {}",
        header["app_hash"],
        comet.block.header.app_hash
    );
    anyhow::ensure!(at["block_id"]["hash"] == base64(comet.block_id.hash.as_bytes()).as_str());
    let txs: Vec<&str> = at["block"]["data"]["txs"]
        .as_array()
        .map(|l| l.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    anyhow::ensure!(
        txs.contains(&base64(tx_bytes).as_str()),
        "the tx is not in block {height}"
    );
    let proposer = quire_core::staking::consensus_address_bech32(&<[u8; 20]>::try_from(
        comet.block.header.proposer_address.as_bytes(),
    )?);
    anyhow::ensure!(
        at["sdk_block"]["header"]["proposer_address"] == proposer.as_str()
            && proposer.starts_with("quirevalcons1"),
        "sdk proposer {} vs {proposer}",
        at["sdk_block"]["header"]["proposer_address"]
    );
    anyhow::ensure!(
        header["proposer_address"]
            == base64(comet.block.header.proposer_address.as_bytes()).as_str()
    );
    let signatures = at["block"]["last_commit"]["signatures"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    anyhow::ensure!(
        signatures.len()
            == comet
                .block
                .last_commit
                .as_ref()
                .map_or(0, |c| c.signatures.len())
            && signatures
                .iter()
                .all(|s| s["block_id_flag"] == "BLOCK_ID_FLAG_COMMIT"),
        "signatures {signatures:?}"
    );
    let latest = get_ok(base, "/cosmos/base/tendermint/v1beta1/blocks/latest")?;
    let latest_height: u64 = latest["block"]["header"]["height"]
        .as_str()
        .and_then(|h| h.parse().ok())
        .ok_or_else(|| anyhow::anyhow!("latest {latest}"))?;
    anyhow::ensure!(latest_height >= height);
    for (path, status) in [
        ("/cosmos/base/tendermint/v1beta1/blocks/0", 400),
        ("/cosmos/base/tendermint/v1beta1/blocks/-3", 400),
        ("/cosmos/base/tendermint/v1beta1/blocks/tall", 400),
        ("/cosmos/base/tendermint/v1beta1/blocks/999999999", 400),
        (
            "/cosmos/base/tendermint/v1beta1/validatorsets/999999999",
            400,
        ),
    ] {
        let (answer, body) = call(base, "GET", path, None)?;
        ensure_refused(&answer, &body, status, 3).map_err(|e| anyhow::anyhow!("{path}: {e}"))?;
    }

    // The validator set, as CometBFT has it.
    let comet_set = node
        .rpc()
        .validators(
            tendermint::block::Height::try_from(height)?,
            tendermint_rpc::Paging::All,
        )
        .await?;
    let set = get_ok(
        base,
        &format!("/cosmos/base/tendermint/v1beta1/validatorsets/{height}"),
    )?;
    let validators = set["validators"].as_array().cloned().unwrap_or_default();
    anyhow::ensure!(
        validators.len() == comet_set.validators.len()
            && set["block_height"] == height.to_string().as_str()
            && set["pagination"]["total"] == comet_set.validators.len().to_string().as_str(),
        "{set}"
    );
    for (ours, theirs) in validators.iter().zip(&comet_set.validators) {
        let address = quire_core::staking::consensus_address_bech32(&<[u8; 20]>::try_from(
            theirs.address.as_bytes(),
        )?);
        anyhow::ensure!(
            ours["address"] == address.as_str()
                && ours["voting_power"] == theirs.power.value().to_string().as_str()
                && ours["pub_key"]["@type"] == "/cosmos.crypto.ed25519.PubKey"
                && ours["pub_key"]["key"] == base64(&theirs.pub_key.to_bytes()).as_str(),
            "validator {ours} vs {theirs:?}"
        );
    }
    let latest_set = get_ok(base, "/cosmos/base/tendermint/v1beta1/validatorsets/latest")?;
    anyhow::ensure!(latest_set["validators"].as_array().map(Vec::len) == Some(validators.len()));
    Ok(())
}

async fn node_routes(
    net: &Localnet,
    base: &str,
    node: &NodeClient,
    denom: &str,
) -> anyhow::Result<()> {
    let status = node.rpc().status().await?;
    let info = get_ok(base, "/cosmos/base/tendermint/v1beta1/node_info")?;
    let default = &info["default_node_info"];
    anyhow::ensure!(
        default["network"] == net.chain_id()?.to_string().as_str()
            && default["default_node_id"] == status.node_info.id.to_string().as_str()
            && default["version"] == status.node_info.version.to_string().as_str()
            && default["protocol_version"]["block"] == "11",
        "{info}"
    );
    let version = &info["application_version"];
    anyhow::ensure!(
        version["app_name"] == "quired"
            && version["version"] == env!("CARGO_PKG_VERSION")
            && version["cosmos_sdk_version"] == "v0.50.9",
        "{version}"
    );
    anyhow::ensure!(
        get_ok(base, "/cosmos/base/tendermint/v1beta1/syncing")? == json!({ "syncing": false })
    );
    let config = get_ok(base, "/cosmos/base/node/v1beta1/config")?;
    anyhow::ensure!(
        config
            == json!({
                "minimum_gas_price": format!("1.000000000000000000{denom}"),
                "pruning_keep_recent": "1",
                "pruning_interval": "1",
                "halt_height": "0",
            }),
        "{config}"
    );
    let node_status = get_ok(base, "/cosmos/base/node/v1beta1/status")?;
    let height: u64 = node_status["height"]
        .as_str()
        .and_then(|h| h.parse().ok())
        .ok_or_else(|| anyhow::anyhow!("{node_status}"))?;
    anyhow::ensure!(
        height >= status.sync_info.latest_block_height.value()
            && node_status["earliest_store_height"] == "1"
            && node_status["validator_hash"]
                .as_str()
                .is_some_and(|h| h.len() == 44)
            && node_status["app_hash"]
                .as_str()
                .is_some_and(|h| !h.is_empty()),
        "{node_status}"
    );
    Ok(())
}

/// The same methods over gRPC, and over ABCI the CometBFT-backed ones point
/// to gRPC and REST.
async fn over_grpc(
    net: &Localnet,
    node: &NodeClient,
    hash: &str,
    height: u64,
) -> anyhow::Result<()> {
    use tonic::codegen::http::uri::PathAndQuery;
    let channel = tonic::transport::Endpoint::from_shared(net.grpc(0)?)?
        .connect()
        .await?;
    let mut grpc = tonic::client::Grpc::new(channel);
    grpc.ready().await?;
    let found = grpc
        .unary(
            tonic::Request::new(tx::GetTxRequest {
                hash: hash.to_lowercase(),
            }),
            PathAndQuery::from_static("/cosmos.tx.v1beta1.Service/GetTx"),
            tonic::codec::ProstCodec::<tx::GetTxRequest, tx::GetTxResponse>::default(),
        )
        .await?
        .into_inner();
    let response = found
        .tx_response
        .ok_or_else(|| anyhow::anyhow!("no tx_response"))?;
    anyhow::ensure!(response.txhash == hash && response.height == i64::try_from(height)?);
    anyhow::ensure!(found
        .tx
        .is_some_and(|t| t.body.is_some_and(|b| b.memo == "via REST")));

    grpc.ready().await?;
    let block = grpc
        .unary(
            tonic::Request::new(tm::GetBlockByHeightRequest {
                height: i64::try_from(height)?,
            }),
            PathAndQuery::from_static("/cosmos.base.tendermint.v1beta1.Service/GetBlockByHeight"),
            tonic::codec::ProstCodec::<tm::GetBlockByHeightRequest, tm::GetBlockByHeightResponse>::default(),
        )
        .await?
        .into_inner();
    anyhow::ensure!(
        block.sdk_block.and_then(|b| b.header).map(|h| h.height) == Some(i64::try_from(height)?)
    );

    grpc.ready().await?;
    let missing = grpc
        .unary(
            tonic::Request::new(tx::GetTxRequest {
                hash: "ab".repeat(32),
            }),
            PathAndQuery::from_static("/cosmos.tx.v1beta1.Service/GetTx"),
            tonic::codec::ProstCodec::<tx::GetTxRequest, tx::GetTxResponse>::default(),
        )
        .await;
    match missing {
        Err(status) if status.code() == tonic::Code::NotFound => {}
        other => anyhow::bail!("a missing tx over gRPC: {other:?}"),
    }

    // Over ABCI: Unimplemented (6), naming where the method is served.
    let over_abci = node
        .rpc()
        .abci_query(
            Some("/cosmos.tx.v1beta1.Service/GetTx".to_string()),
            tx::GetTxRequest {
                hash: hash.to_string(),
            }
            .encode_to_vec(),
            None,
            false,
        )
        .await?;
    anyhow::ensure!(
        over_abci.code.value() == 6
            && over_abci.codespace == "sdk"
            && over_abci.log.contains("served over gRPC and REST"),
        "{over_abci:?}"
    );
    Ok(())
}
