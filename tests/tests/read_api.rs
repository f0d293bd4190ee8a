//! A rollup reads its namespace through the read API and verifies it against
//! the genesis validator set: a verified stream from height 1 over 50+ blocks
//! while two other namespaces are busy (absence proofs where it has no data),
//! every kind of tampering caught, and the HTTP transport's shapes and errors.

use prost::Message;
use quire_client::keyring::Keyring;
use quire_client::read::{ReadClient, ReadError, VerifiedReader};
use quire_client::verify::{Verifier, VerifyError};
use quire_client::{Msg, NodeClient, Submitter};
use quire_core::commitment::{AbsenceProof, NamespaceProof};
use quire_core::proto::Protobuf;
use quire_core::Namespace;
use quire_proto::sequencer::v1 as pb;
use quire_tests::{http_get, run_scenario, start_localnet, Localnet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tendermint_rpc::Client;

const STREAMED_HEIGHTS: u64 = 55;

fn ns(name: &str) -> Namespace {
    Namespace::from_rollup_name(name)
}

/// Keeps `rollup` busy: one blob per `every` until `stop`.
fn busy(
    client: NodeClient,
    key: cosmrs::crypto::secp256k1::SigningKey,
    rollup: &'static str,
    every: Duration,
    stop: Arc<AtomicBool>,
) -> tokio::task::JoinHandle<anyhow::Result<u64>> {
    tokio::spawn(async move {
        let mut submitter = Submitter::connect(client, key).await?;
        let mut sent = 0u64;
        while !stop.load(Ordering::SeqCst) {
            let data = format!("{rollup} #{sent}").into_bytes();
            let result = submitter
                .submit(&[Msg::submit_blob(ns(rollup), data)], None)
                .await?;
            anyhow::ensure!(result.accepted(), "{rollup}: {}", result.log);
            sent += 1;
            tokio::time::sleep(every).await;
        }
        Ok(sent)
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rollup_streams_and_verifies_its_namespace() {
    let net = start_localnet(4).await;
    run_scenario(Duration::from_secs(900), scenario(&net)).await;
}

async fn scenario(net: &Localnet) -> anyhow::Result<()> {
    let keyring = Keyring::open(&net.client_home()?.join("keyring"))?;
    let genesis = net.genesis_json()?;
    let stop = Arc::new(AtomicBool::new(false));
    let bob = busy(
        NodeClient::new(&net.rpc(1)?)?,
        keyring.signing_key("bob")?,
        "rollup-b",
        Duration::from_millis(150),
        stop.clone(),
    );
    let carol = busy(
        NodeClient::new(&net.rpc(2)?)?,
        keyring.signing_key("carol")?,
        "rollup-c",
        Duration::from_millis(150),
        stop.clone(),
    );

    // Alice writes to rollup-a only now and then (two blobs in one tx each
    // time), so many heights prove absence.
    let alice_stop = stop.clone();
    let alice_client = NodeClient::new(&net.rpc(0)?)?;
    let alice_key = keyring.signing_key("alice")?;
    let alice = tokio::spawn(async move {
        let mut submitter = Submitter::connect(alice_client, alice_key).await?;
        let mut sent: Vec<Vec<u8>> = Vec::new();
        let mut i = 0u64;
        while !alice_stop.load(Ordering::SeqCst) {
            let pair = [
                format!("a{i}-first").into_bytes(),
                format!("a{i}-second").into_bytes(),
            ];
            let msgs: Vec<Msg> = pair
                .iter()
                .map(|d| Msg::submit_blob(ns("rollup-a"), d.clone()))
                .collect();
            let result = submitter.submit(&msgs, None).await?;
            anyhow::ensure!(result.accepted(), "alice: {}", result.log);
            sent.extend(pair);
            i += 1;
            tokio::time::sleep(Duration::from_millis(2500)).await;
        }
        Ok::<_, anyhow::Error>(sent)
    });

    // The rollup: verified stream of rollup-a from height 1 via node 3.
    let verifier = Verifier::from_genesis_json(&genesis)?;
    let reader = VerifiedReader::new(ReadClient::connect(&net.grpc(3)?).await?, verifier);
    let mut follower = reader.follow(ns("rollup-a"), 1);
    let mut seen: Vec<Vec<u8>> = Vec::new();
    let (mut present, mut absent) = (0, 0);
    for height in 1..=STREAMED_HEIGHTS {
        let verified = follower.next().await?;
        anyhow::ensure!(
            verified.height == height,
            "stream skipped to {} at {height}",
            verified.height
        );
        if verified.blobs.is_empty() {
            absent += 1;
        } else {
            present += 1;
        }
        seen.extend(verified.blobs.into_iter().map(|(_, data)| data));
    }
    eprintln!("streamed and verified {STREAMED_HEIGHTS} heights of rollup-a: {present} with blobs, {absent} proven absent");
    anyhow::ensure!(
        present > 0 && absent > 0,
        "want both inclusion and absence proofs: {present} / {absent}"
    );
    stop.store(true, Ordering::SeqCst);
    let sent = alice.await??;
    let (b, c) = (bob.await??, carol.await??);
    eprintln!("busy namespaces: rollup-b {b} blobs, rollup-c {c} blobs");
    anyhow::ensure!(b > 20 && c > 20, "other namespaces were not busy");
    // What the stream returned is exactly a prefix of what alice sent, in order.
    anyhow::ensure!(
        !seen.is_empty() && sent.starts_with(&seen),
        "rollup-a blobs incomplete or out of order"
    );

    // The same heights through range pagination agree.
    let mut reader = VerifiedReader::new(
        ReadClient::connect(&net.grpc(1)?).await?,
        Verifier::from_genesis_json(&genesis)?,
    );
    let ranged = reader.range(&ns("rollup-a"), 1, STREAMED_HEIGHTS).await?;
    let ranged_blobs: Vec<Vec<u8>> = ranged
        .into_iter()
        .flat_map(|v| v.blobs.into_iter().map(|(_, d)| d))
        .collect();
    anyhow::ensure!(ranged_blobs == seen, "range and stream disagree");

    newest_height_is_served_at_commit(net, &genesis).await?;
    tampering_is_caught(net, &genesis).await?;
    http_transport(net).await?;
    Ok(())
}

/// The height quired has committed (ABCI Info, through CometBFT's RPC).
fn app_height(rpc: &str) -> anyhow::Result<u64> {
    let (status, body) = quire_tests::http_get(rpc, "/abci_info")?;
    anyhow::ensure!(status == 200, "abci_info: {status} {body}");
    let info: serde_json::Value = serde_json::from_str(&body)?;
    info["result"]["response"]["last_block_height"]
        .as_str()
        .and_then(|h| h.parse().ok())
        .ok_or_else(|| anyhow::anyhow!("abci_info without a height: {body}"))
}

/// A height is served as soon as quired has committed it (not a block
/// later): read after the app's height, the served height is never below
/// it; the newest height, attested by the commit CometBFT has seen, and the
/// same height later, with the canonical commit, both verify.
async fn newest_height_is_served_at_commit(net: &Localnet, genesis: &str) -> anyhow::Result<()> {
    let client = ReadClient::connect(&net.grpc(2)?).await?;
    let rpc = net.rpc(2)?;
    let b = ns("rollup-b");
    let mut newest = 0;
    for _ in 0..5 {
        let committed = app_height(&rpc)?;
        let served = client.latest_height().await?;
        anyhow::ensure!(
            served >= committed,
            "quired committed {committed} but the read API serves up to {served}"
        );
        let data = client.namespace(served, &b).await?;
        check(genesis, &data, served, &b)
            .map_err(|e| anyhow::anyhow!("the newest height {served} does not verify: {e}"))?;
        newest = served;
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    NodeClient::new(&rpc)?
        .wait_for_height(newest + 2, Duration::from_secs(30))
        .await?;
    let later = client.namespace(newest, &b).await?;
    check(genesis, &later, newest, &b)
        .map_err(|e| anyhow::anyhow!("height {newest} with its canonical commit: {e}"))?;
    Ok(())
}

/// A fresh verifier (trusting genesis) checks `data` for (height, namespace).
fn check(
    genesis: &str,
    data: &pb::NamespaceData,
    height: u64,
    namespace: &Namespace,
) -> Result<(), VerifyError> {
    Verifier::from_genesis_json(genesis)?
        .verify(data, height, namespace)
        .map(|_| ())
}

async fn tampering_is_caught(net: &Localnet, genesis: &str) -> anyhow::Result<()> {
    let client = ReadClient::connect(&net.grpc(0)?).await?;
    let a = ns("rollup-a");
    // Find a height where rollup-a has two or more blobs, and one where it has none.
    let latest = client.latest_height().await?;
    let mut full = None;
    let mut empty = None;
    for height in 1..=latest {
        let data = client.namespace(height, &a).await?;
        if data.blobs.len() >= 2 && full.is_none() {
            full = Some(data);
        } else if data.blobs.is_empty() && empty.is_none() && height > 1 {
            empty = Some(data);
        }
        if full.is_some() && empty.is_some() {
            break;
        }
    }
    let full = full.ok_or_else(|| anyhow::anyhow!("no height with 2 rollup-a blobs"))?;
    let empty = empty.ok_or_else(|| anyhow::anyhow!("no height without rollup-a blobs"))?;
    let h = full.height;
    check(genesis, &full, h, &a)?;
    check(genesis, &empty, empty.height, &a)?;

    let mut cases: Vec<(&str, pb::NamespaceData, u64, Namespace)> = Vec::new();
    let mut changed = full.clone();
    changed.blobs[0].data.push(b'!');
    cases.push(("changed blob", changed, h, a));
    let mut dropped = full.clone();
    dropped.blobs.pop();
    cases.push(("dropped blob", dropped, h, a));
    let mut added = full.clone();
    added.blobs.push(full.blobs[0].clone());
    cases.push(("added blob", added, h, a));
    let mut reordered = full.clone();
    reordered.blobs.swap(0, 1);
    cases.push(("reordered blobs", reordered, h, a));
    let mut resigned = full.clone();
    resigned.blobs[0].signer[0] ^= 1;
    cases.push(("changed signer", resigned, h, a));
    cases.push(("data from another height", full.clone(), empty.height, a));
    let mut relabelled = full.clone();
    relabelled.height = empty.height;
    cases.push(("relabelled height", relabelled, empty.height, a));
    let mut other_ns = full.clone();
    other_ns.namespace = ns("rollup-b").as_bytes().to_vec();
    cases.push(("relabelled namespace", other_ns, h, ns("rollup-b")));
    cases.push(("data of another namespace", full.clone(), h, ns("rollup-b")));
    let mut other_attestation = full.clone();
    other_attestation.attestation = empty.attestation.clone();
    cases.push(("attestation of another height", other_attestation, h, a));

    // Forged and short commits.
    let attestation = full.attestation.clone().expect("attestation");
    let mut header =
        tendermint_proto::v0_38::types::SignedHeader::decode(attestation.signed_header.as_slice())?;
    let mut forged = header.clone();
    if let Some(sig) = forged
        .commit
        .as_mut()
        .and_then(|c| c.signatures.first_mut())
    {
        sig.signature[0] ^= 1;
    }
    let mut forged_data = full.clone();
    forged_data
        .attestation
        .as_mut()
        .expect("attestation")
        .signed_header = forged.encode_to_vec();
    cases.push(("forged commit signature", forged_data, h, a));
    if let Some(commit) = header.commit.as_mut() {
        // Keep one of four signatures: 1/4 of the power, not > 2/3.
        for sig in commit.signatures.iter_mut().skip(1) {
            sig.block_id_flag = tendermint_proto::v0_38::types::BlockIdFlag::Absent as i32;
            sig.validator_address.clear();
            sig.signature.clear();
            sig.timestamp = None;
        }
    }
    let mut short = full.clone();
    short
        .attestation
        .as_mut()
        .expect("attestation")
        .signed_header = header.encode_to_vec();
    cases.push(("short commit", short, h, a));
    let mut moved_tx = full.clone();
    moved_tx
        .attestation
        .as_mut()
        .expect("attestation")
        .commitment_tx
        .push(0);
    cases.push(("altered commitment tx", moved_tx, h, a));

    // Lying absence claims where rollup-a has blobs.
    let block = client.block(h).await?;
    let leaves: Vec<_> = block
        .namespaces
        .iter()
        .map(|n| NamespaceProof::try_from_raw(n.proof.as_ref().expect("proof")))
        .collect::<Result<_, _>>()?;
    let included: Vec<_> = leaves
        .into_iter()
        .filter_map(|p| match p {
            NamespaceProof::Inclusion { leaf, proof } => {
                Some(quire_core::commitment::IncludedLeaf { leaf, proof })
            }
            NamespaceProof::Absence(_) => None,
        })
        .collect();
    let mut lies = vec![NamespaceProof::Absence(AbsenceProof::EmptyBlock)];
    if let (Some(first), Some(last)) = (included.first(), included.last()) {
        lies.push(NamespaceProof::Absence(AbsenceProof::BeforeFirst(
            first.clone(),
        )));
        lies.push(NamespaceProof::Absence(AbsenceProof::AfterLast(
            last.clone(),
        )));
        lies.push(NamespaceProof::Absence(AbsenceProof::Between {
            left: first.clone(),
            right: last.clone(),
        }));
    }
    for lie in lies {
        let mut lying = full.clone();
        lying.blobs.clear();
        lying.proof = Some(lie.to_raw());
        cases.push(("lying absence claim", lying, h, a));
    }

    for (what, data, height, namespace) in &cases {
        match check(genesis, data, *height, namespace) {
            Ok(()) => anyhow::bail!("tampering not caught: {what}"),
            Err(e) => eprintln!("caught {what}: {e}"),
        }
    }
    eprintln!("{} tampered responses, all rejected", cases.len());

    // CometBFT's own RPC serves the same data and proofs through abci_query.
    let rpc = NodeClient::new(&net.rpc(0)?)?;
    let answer = tendermint_rpc::Client::abci_query(
        rpc.rpc(),
        Some(format!("/namespace/{h}/{a}")),
        Vec::new(),
        None,
        false,
    )
    .await?;
    anyhow::ensure!(answer.code.is_ok(), "abci_query /namespace: {}", answer.log);
    let via_abci = pb::NamespaceData::decode(answer.value.as_slice())?;
    anyhow::ensure!(
        via_abci.blobs == full.blobs && via_abci.proof == full.proof,
        "abci_query differs"
    );
    let (ours, theirs) = (
        via_abci.attestation.expect("attestation"),
        full.attestation.clone().expect("attestation"),
    );
    anyhow::ensure!(
        ours.commitment_tx == theirs.commitment_tx
            && ours.commitment_tx_proof == theirs.commitment_tx_proof
    );

    // A verifier refuses data below its trust anchor that it has not seen.
    let mut verifier = Verifier::from_genesis_json(genesis)?;
    verifier.verify(&full, h, &a)?;
    let older = client.namespace(h - 1, &a).await?;
    anyhow::ensure!(matches!(
        verifier.verify(&older, h - 1, &a),
        Err(VerifyError::BelowAnchor { .. })
    ));
    Ok(())
}

async fn http_transport(net: &Localnet) -> anyhow::Result<()> {
    let base = net.http(2)?;
    let a = ns("rollup-a").to_hex();
    let (status, body) = tokio::task::spawn_blocking({
        let base = base.clone();
        move || http_get(&base, "/v1/height")
    })
    .await??;
    anyhow::ensure!(status == 200, "height: {status} {body}");
    let latest: pb::GetLatestHeightResponse = serde_json::from_str(&body)?;
    let get = |path: String| {
        let base = base.clone();
        tokio::task::spawn_blocking(move || http_get(&base, &path))
    };
    let (status, body) = get(format!("/v1/namespaces/{a}/heights/{}", latest.height)).await??;
    anyhow::ensure!(status == 200, "namespace: {status} {body}");
    // Same shapes as gRPC: the JSON decodes into the protobuf message and verifies.
    let data: pb::NamespaceData = serde_json::from_str(&body)?;
    // Beside the proto3 fields, readable forms: each blob's signer in bech32,
    // hashes in hex, the signed header summarised.
    let json: serde_json::Value = serde_json::from_str(&body)?;
    for (blob, raw) in json["blobs"]
        .as_array()
        .map_or(&[][..], Vec::as_slice)
        .iter()
        .zip(&data.blobs)
    {
        let signer = quire_core::Address::new(raw.signer.as_slice().try_into()?);
        anyhow::ensure!(
            blob["signerAddress"] == signer.to_bech32().as_str()
                && blob["txHashHex"] == hex::encode(&raw.tx_hash).as_str(),
            "{blob}"
        );
    }
    anyhow::ensure!(
        json["namespaceHex"] == a.as_str(),
        "{}",
        json["namespaceHex"]
    );
    let header = NodeClient::new(&net.rpc(2)?)?
        .rpc()
        .commit(tendermint::block::Height::try_from(latest.height)?)
        .await?
        .signed_header
        .header;
    let summary = &json["attestation"]["header"];
    anyhow::ensure!(
        summary["height"] == latest.height.to_string().as_str()
            && summary["dataHashHex"]
                == hex::encode(
                    header
                        .data_hash
                        .map(|h| h.as_bytes().to_vec())
                        .unwrap_or_default()
                )
                .as_str()
            && summary["appHashHex"] == hex::encode(header.app_hash.as_bytes()).as_str(),
        "{summary}"
    );
    Verifier::from_genesis_json(&net.genesis_json()?)?.verify(
        &data,
        latest.height,
        &ns("rollup-a"),
    )?;
    let (status, body) = get(format!("/v1/namespaces/{a}/range?from=1&to=1000000")).await??;
    anyhow::ensure!(status == 200, "range: {status} {body}");
    let page: pb::GetNamespaceRangeResponse = serde_json::from_str(&body)?;
    anyhow::ensure!(
        !page.items.is_empty() && page.items[0].height == 1,
        "range starts at 1"
    );
    for (path, expected) in [
        (
            format!("/v1/namespaces/{a}/heights/{}", latest.height + 1000),
            404,
        ),
        ("/v1/namespaces/nothex/heights/1".to_string(), 400),
        (format!("/v1/namespaces/{a}/heights/0"), 400),
        (format!("/v1/namespaces/{a}/range?from=5&to=2"), 400),
        ("/v1/blocks/99999999".to_string(), 404),
        // Answered by axum itself, in the API's JSON form too.
        (format!("/v1/namespaces/{a}/range?from=x&to=1"), 400),
        ("/v1/blocks/ten".to_string(), 400),
        ("/v1/no-such-route".to_string(), 404),
    ] {
        let (status, body) = get(path.clone()).await??;
        anyhow::ensure!(
            status == expected,
            "{path}: {status}, want {expected}: {body}"
        );
        let error: serde_json::Value = serde_json::from_str(&body)
            .map_err(|e| anyhow::anyhow!("{path}: error body {body}: {e}"))?;
        anyhow::ensure!(
            error["code"].is_string() && error["message"].is_string(),
            "{path}: error body {body}"
        );
    }
    // A whole block where rollup-a has data: it is among the block's namespaces.
    let with_data = page
        .items
        .iter()
        .find(|item| !item.blobs.is_empty())
        .map(|item| item.height)
        .ok_or_else(|| anyhow::anyhow!("no rollup-a data in the first page"))?;
    let (status, body) = get(format!("/v1/blocks/{with_data}")).await??;
    anyhow::ensure!(status == 200, "block: {status}");
    let block: pb::BlockData = serde_json::from_str(&body)?;
    anyhow::ensure!(
        block
            .namespaces
            .iter()
            .any(|n| n.namespace == ns("rollup-a").as_bytes()),
        "block {with_data} lacks rollup-a"
    );
    reflection_describes_the_read_api(&net.grpc(2)?).await?;
    // gRPC errors carry the matching status codes.
    let client = ReadClient::connect(&net.grpc(2)?).await?;
    match client
        .namespace(latest.height + 1000, &ns("rollup-a"))
        .await
    {
        Err(ReadError::Status {
            code: tonic::Code::OutOfRange,
            ..
        }) => {}
        other => anyhow::bail!("future height over gRPC: {other:?}"),
    }
    Ok(())
}

/// gRPC server reflection (what grpcurl uses): the read API's service and
/// the Cosmos services are listed, and their files describe their methods.
async fn reflection_describes_the_read_api(grpc: &str) -> anyhow::Result<()> {
    use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
    use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
    use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;
    use tonic_reflection::pb::v1::ServerReflectionRequest;
    let channel = tonic::transport::Endpoint::from_shared(grpc.to_string())?
        .connect()
        .await?;
    let mut client = ServerReflectionClient::new(channel);
    let ask = |request: MessageRequest| ServerReflectionRequest {
        host: String::new(),
        message_request: Some(request),
    };
    let requests = vec![
        ask(MessageRequest::ListServices(String::new())),
        ask(MessageRequest::FileContainingSymbol(
            "quire.sequencer.v1.SequencerService".into(),
        )),
        ask(MessageRequest::FileContainingSymbol(
            "cosmos.bank.v1beta1.QueryBalanceRequest".into(),
        )),
    ];
    let mut answers = client
        .server_reflection_info(futures::stream::iter(requests))
        .await?
        .into_inner();
    let Some(MessageResponse::ListServicesResponse(list)) =
        answers.message().await?.and_then(|a| a.message_response)
    else {
        anyhow::bail!("no service list");
    };
    let names: Vec<&str> = list.service.iter().map(|s| s.name.as_str()).collect();
    anyhow::ensure!(
        [
            "quire.sequencer.v1.SequencerService",
            "grpc.reflection.v1.ServerReflection",
            "cosmos.auth.v1beta1.Query",
            "cosmos.bank.v1beta1.Query",
            "cosmos.staking.v1beta1.Query",
            "cosmos.tx.v1beta1.Service",
            "cosmos.base.tendermint.v1beta1.Service",
        ]
        .iter()
        .all(|name| names.contains(name)),
        "reflection lists {names:?}"
    );
    let Some(MessageResponse::FileDescriptorResponse(files)) =
        answers.message().await?.and_then(|a| a.message_response)
    else {
        anyhow::bail!("no file for the service");
    };
    let methods: Vec<String> = files
        .file_descriptor_proto
        .iter()
        .map(|bytes| prost_types::FileDescriptorProto::decode(bytes.as_slice()))
        .collect::<Result<Vec<_>, _>>()?
        .iter()
        .flat_map(|file| &file.service)
        .filter(|service| service.name() == "SequencerService")
        .flat_map(|service| &service.method)
        .map(|method| method.name().to_string())
        .collect();
    for method in [
        "GetNamespaceData",
        "GetNamespaceRange",
        "StreamNamespace",
        "GetBlock",
    ] {
        anyhow::ensure!(
            methods.iter().any(|m| m == method),
            "reflection lacks {method}: {methods:?}"
        );
    }
    // The bank file declares the request's fields as the SDK numbers them.
    let Some(MessageResponse::FileDescriptorResponse(files)) =
        answers.message().await?.and_then(|a| a.message_response)
    else {
        anyhow::bail!("no file for cosmos.bank.v1beta1.QueryBalanceRequest");
    };
    let bank = files
        .file_descriptor_proto
        .iter()
        .map(|bytes| prost_types::FileDescriptorProto::decode(bytes.as_slice()))
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .find(|file| file.package() == "cosmos.bank.v1beta1")
        .ok_or_else(|| anyhow::anyhow!("no cosmos.bank.v1beta1 file"))?;
    let request = bank
        .message_type
        .iter()
        .find(|m| m.name() == "QueryBalanceRequest")
        .ok_or_else(|| anyhow::anyhow!("no QueryBalanceRequest"))?;
    let fields: Vec<(&str, i32)> = request
        .field
        .iter()
        .map(|f| (f.name(), f.number()))
        .collect();
    anyhow::ensure!(
        fields == [("address", 1), ("denom", 2)],
        "QueryBalanceRequest is {fields:?}"
    );
    anyhow::ensure!(
        bank.service
            .iter()
            .any(|s| s.name() == "Query" && s.method.iter().any(|m| m.name() == "Balance")),
        "the bank file lacks Query/Balance"
    );
    Ok(())
}
