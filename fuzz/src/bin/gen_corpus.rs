//! Writes the seed corpora of the fuzz targets under `corpus/<target>/`.
//! Run from `fuzz/` with the stable toolchain: `cargo run --release --bin gen-corpus`.
//! Deterministic (RFC 6979 signatures, fixed keys and times): re-running it
//! rewrites the same files.

use quire_app::{BlockContext, ProposalError, StateMachine, SystemTxError};
use quire_core::commitment::{NamespaceTree, COMMITMENT_TX_PREFIX};
use quire_core::{Address, Msg, Namespace};
use quire_fuzz::*;
use quire_proto::sequencer::v1 as pb;
use std::path::Path;

fn write(target: &str, name: &str, bytes: &[u8]) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("corpus")
        .join(target);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(name), bytes).unwrap();
}

fn main() {
    let machine = machine();
    let txs = tx_seeds();
    for (name, tx) in &txs {
        write("tx_check", name, tx);
    }
    proposal_seeds(&machine, &txs);
    proof_seeds();
    genesis_seeds();
    read_seeds();
    self_check(&machine, &txs);
    println!("corpora written under fuzz/corpus/ and checked");
}

/// The valid seeds really are valid, so the fuzzer starts deep inside.
fn self_check(machine: &StateMachine, txs: &[(&str, Vec<u8>)]) {
    use prost::Message;
    let state = genesis_state(machine);
    for name in [
        "blob",
        "bundle",
        "send-rich",
        "send-new-account",
        "timeout",
        "max-blob",
    ] {
        let tx = &txs.iter().find(|(n, _)| *n == name).unwrap().1;
        let mut check = quire_app::CheckState::new();
        if let Err(e) = machine.check_tx(&mut check, &state, 1, tx) {
            panic!("seed tx {name} refused: {e}");
        }
    }
    let ctx = BlockContext::at_height(1);
    let block = with_commitment(machine, 1, &[txs[0].1.clone(), txs[1].1.clone()]);
    machine
        .process_proposal(&state, &ctx, &block)
        .expect("valid block seed accepted");
    // The mode-0 proposal seeds reach the verdicts they are named for.
    let seed = |name: &str| {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("corpus/proposal")
            .join(name);
        let bytes = std::fs::read(path).unwrap();
        assert_eq!(bytes[0], 0, "{name} is a mode-0 (block as given) seed");
        split_chunks(&bytes[1..])
            .into_iter()
            .map(<[u8]>::to_vec)
            .collect::<Vec<_>>()
    };
    for name in ["block-valid", "block-empty"] {
        if let Err(e) = machine.process_proposal(&state, &ctx, &seed(name)) {
            panic!("proposal seed {name} refused: {e}");
        }
    }
    match machine.process_proposal(&state, &ctx, &seed("block-wrong-commitment")) {
        Err(ProposalError::SystemTx {
            index: 0,
            kind: "commitment",
            error: SystemTxError::CommitmentMismatch { .. },
        }) => {}
        other => panic!("block-wrong-commitment: {other:?}"),
    }
    match machine.process_proposal(&state, &ctx, &seed("block-no-commitment")) {
        Err(ProposalError::MissingSystemTx { kind: "commitment" }) => {}
        other => panic!("block-no-commitment: {other:?}"),
    }
    let genesis = genesis_json();
    for name in [
        "present",
        "present-first",
        "absent-before",
        "absent-between",
        "absent-after",
        "empty-block",
    ] {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("corpus/proof_verify")
            .join(format!("attested-{name}"));
        let bytes = std::fs::read(path).unwrap();
        let data = pb::NamespaceData::decode(&bytes[1..]).unwrap();
        let ns = Namespace::from_slice(&data.namespace).unwrap();
        if let Err(e) = verifier(&genesis).verify(&data, data.height, &ns) {
            panic!("attested seed {name} does not verify: {e}");
        }
    }
    quire_genesis::GenesisDoc::from_json(genesis.as_bytes(), "seed")
        .unwrap()
        .validate()
        .expect("genesis seed validates");
}

fn tx_seeds() -> Vec<(&'static str, Vec<u8>)> {
    let blob_tx = signed_tx(0, 0, 300, 0, &[blob("rollup-a", b"hello")]);
    let mut seeds = vec![
        ("blob", blob_tx.clone()),
        (
            "blob-seq1",
            signed_tx(0, 1, 300, 0, &[blob("rollup-a", b"second")]),
        ),
        (
            "bundle",
            signed_tx(
                0,
                0,
                10_000,
                0,
                &[blob("rollup-a", b"a"), blob("rollup-b", b"bb"), send(1, 5)],
            ),
        ),
        (
            "send-rich",
            signed_tx(1, 0, 100, 0, &[send(2, u128::MAX / 4)]),
        ),
        (
            "send-new-account",
            signed_tx(2, 0, 100, 0, &[send_to_new_account(77)]),
        ),
        (
            "timeout",
            signed_tx(0, 0, 300, 1, &[blob("rollup-c", b"late")]),
        ),
        (
            "fee-too-low",
            signed_tx(0, 0, 109, 0, &[blob("rollup-a", b"hello")]),
        ),
        (
            "no-fee",
            signed_tx(0, 0, 0, 0, &[blob("rollup-a", b"hello")]),
        ),
        (
            "max-blob",
            signed_tx(1, 0, 5_000, 0, &[blob("rollup-a", &[0xab; 1000])]),
        ),
        (
            "blob-too-big",
            signed_tx(1, 0, 5_000, 0, &[blob("rollup-a", &[0xcd; 1001])]),
        ),
    ];
    seeds.push(("truncated-half", blob_tx[..blob_tx.len() / 2].to_vec()));
    seeds.push(("truncated-1", blob_tx[..blob_tx.len() - 1].to_vec()));
    let mut flipped = blob_tx.clone();
    let last = flipped.len() - 1;
    flipped[last] ^= 1; // breaks the signature
    seeds.push(("bad-signature", flipped));
    seeds.push(("empty", Vec::new()));
    seeds.push((
        "garbage",
        b"\x0a\xff\xff\xff\xff\x0f\x12\x00garbage".to_vec(),
    ));
    seeds.push((
        "commitment",
        NamespaceTree::build(1, std::iter::empty())
            .commitment()
            .encode(),
    ));
    seeds
}

/// A send of 1 uquire to an account that does not exist yet.
fn send_to_new_account(seed: u8) -> Msg {
    Msg::send(Address::new([seed; 20]), "uquire", 1)
}

/// The correct commitment for `user_txs` at `height`, first, then the txs.
fn with_commitment(machine: &StateMachine, height: u64, user_txs: &[Vec<u8>]) -> Vec<Vec<u8>> {
    let state = state_below(machine, height);
    let mut block = vec![NamespaceTree::build(height, std::iter::empty())
        .commitment()
        .encode()];
    block.extend(user_txs.iter().cloned());
    let finalized = machine
        .finalize_block(&state, None, &BlockContext::at_height(height), &block)
        .unwrap();
    block[0] = NamespaceTree::build(height, &finalized.blobs)
        .commitment()
        .encode();
    block
}

fn framed(mode: u8, txs: &[Vec<u8>]) -> Vec<u8> {
    let mut out = vec![mode];
    out.extend(join_chunks(txs));
    out
}

fn proposal_seeds(machine: &StateMachine, txs: &[(&str, Vec<u8>)]) {
    let tx = |name: &str| txs.iter().find(|(n, _)| *n == name).unwrap().1.clone();
    let good = vec![
        tx("blob"),
        tx("blob-seq1"),
        tx("send-rich"),
        signed_tx(2, 0, 400, 0, &[blob("rollup-b", b"from-c")]),
    ];
    // Mode 0: complete blocks, commitment included.
    write(
        "proposal",
        "block-valid",
        &framed(0x00, &with_commitment(machine, 1, &good)),
    );
    write(
        "proposal",
        "block-empty",
        &framed(0x00, &with_commitment(machine, 1, &[])),
    );
    let mut wrong = with_commitment(machine, 1, &good);
    wrong[0] = NamespaceTree::build(1, std::iter::empty())
        .commitment()
        .encode();
    write("proposal", "block-wrong-commitment", &framed(0x00, &wrong));
    write("proposal", "block-no-commitment", &framed(0x00, &good));
    // Mode 1: the harness computes the commitment.
    write("proposal", "fixed-valid", &framed(0x01, &good));
    write(
        "proposal",
        "fixed-duplicate",
        &framed(0x01, &[tx("blob"), tx("blob")]),
    );
    write("proposal", "fixed-gap", &framed(0x01, &[tx("blob-seq1")]));
    write(
        "proposal",
        "fixed-bundle-budget",
        &framed(0x01, &[tx("max-blob"), tx("bundle"), tx("timeout")]),
    );
    write(
        "proposal",
        "fixed-timeout-h2",
        &framed(0x11, &[tx("timeout")]),
    );
    // Mode 2: mempool candidates for PrepareProposal, in a shuffled order
    // and with invalid ones among them.
    let candidates = vec![
        tx("blob-seq1"),
        tx("garbage"),
        tx("send-rich"),
        tx("blob"),
        tx("fee-too-low"),
        tx("blob"),
        signed_tx(2, 0, 400, 0, &[blob("rollup-b", b"from-c")]),
        tx("max-blob"),
        tx("timeout"),
    ];
    write("proposal", "prepare-unlimited", &framed(0x02, &candidates));
    write("proposal", "prepare-2000", &framed(0x0a, &candidates));
    write("proposal", "prepare-600-h3", &framed(0x2e, &candidates));
    write("proposal", "empty", &[]);
}

fn proof_seeds() {
    let a = Namespace::new([0x20; 32]);
    let b = Namespace::new([0x40; 32]);
    let c = Namespace::new([0x60; 32]);
    let (s1, s2) = (Address::new([1; 20]), Address::new([2; 20]));
    let blobs = vec![
        record(b, s1, b"forty-a"),
        record(a, s2, b"twenty-a"),
        record(b, s2, b"forty-b"),
        record(c, s1, b"sixty-a"),
    ];
    let (tree, attestation) = signed_block(1, &blobs);
    let (empty_tree, empty_attestation) = signed_block(1, &[]);
    let cases = [
        ("present", &tree, &blobs, b, Some(attestation.clone())),
        ("present-first", &tree, &blobs, a, Some(attestation.clone())),
        (
            "absent-before",
            &tree,
            &blobs,
            Namespace::new([0x10; 32]),
            Some(attestation.clone()),
        ),
        (
            "absent-between",
            &tree,
            &blobs,
            Namespace::new([0x30; 32]),
            Some(attestation.clone()),
        ),
        (
            "absent-after",
            &tree,
            &blobs,
            Namespace::new([0x70; 32]),
            Some(attestation.clone()),
        ),
        (
            "empty-block",
            &empty_tree,
            &Vec::new(),
            a,
            Some(empty_attestation),
        ),
    ];
    for (name, tree, blobs, namespace, attestation) in cases {
        let data = namespace_data(tree, blobs, &namespace, attestation);
        let mut attested = vec![0u8];
        attested.extend(encode(&data));
        write("proof_verify", &format!("attested-{name}"), &attested);
        // Proof only: commitment body (after the prefix), then the data
        // without its attestation.
        let mut proof_only = vec![1u8];
        proof_only.extend(&tree.commitment().encode()[COMMITMENT_TX_PREFIX.len()..]);
        proof_only.extend(encode(&pb::NamespaceData {
            attestation: None,
            ..data
        }));
        write("proof_verify", &format!("proof-{name}"), &proof_only);
    }
    let data = namespace_data(&tree, &blobs, &b, Some(attestation));
    let mut tampered = data.clone();
    tampered.blobs[0].data = b"forty-X".to_vec();
    let mut seed = vec![0u8];
    seed.extend(encode(&tampered));
    write("proof_verify", "attested-tampered-blob", &seed);
    let full = encode(&data);
    let mut truncated = vec![0u8];
    truncated.extend(&full[..full.len() / 2]);
    write("proof_verify", "attested-truncated", &truncated);
    write("proof_verify", "garbage", b"\x01\x00\xff\x12\x34");
}

fn genesis_seeds() {
    let json = genesis_json();
    write("genesis", "valid.json", json.as_bytes());
    let app = serde_json::to_string_pretty(&app_genesis()).unwrap();
    write("genesis", "app-state.json", app.as_bytes());
    let params = serde_json::to_string(&params()).unwrap();
    write("genesis", "params.json", params.as_bytes());
    let variants = [
        (
            "bad-time.json",
            json.replace(GENESIS_TIME, "2025-13-01T00:00:00Z"),
        ),
        (
            "height-0.json",
            json.replace("\"initial_height\": \"1\"", "\"initial_height\": \"0\""),
        ),
        (
            "height-number.json",
            json.replace("\"initial_height\": \"1\"", "\"initial_height\": 1"),
        ),
        (
            "unknown-field.json",
            json.replacen('{', "{\"extra\": true,", 1),
        ),
        (
            "huge-balance.json",
            json.replace("\"1000000\"", "\"340282366920938463463374607431768211455\""),
        ),
        (
            "bad-key.json",
            json.replace("tendermint/PubKeyEd25519", "tendermint/PubKeySecp256k1"),
        ),
        ("truncated.json", json[..json.len() / 2].to_string()),
        ("empty-object.json", "{}".to_string()),
        ("not-json.txt", "genesis?".to_string()),
    ];
    for (name, text) in variants {
        write("genesis", name, text.as_bytes());
    }
}

fn read_seeds() {
    let ns = Namespace::from_rollup_name("rollup-a");
    let nsb = ns.as_bytes().to_vec();
    write(
        "read_request",
        "get-namespace-data",
        &encode(&pb::GetNamespaceDataRequest {
            height: 7,
            namespace: nsb.clone(),
        }),
    );
    write(
        "read_request",
        "get-range",
        &encode(&pb::GetNamespaceRangeRequest {
            namespace: nsb.clone(),
            from_height: 1,
            to_height: 500,
        }),
    );
    write(
        "read_request",
        "stream",
        &encode(&pb::StreamNamespaceRequest {
            namespace: nsb.clone(),
            from_height: u64::MAX,
        }),
    );
    write(
        "read_request",
        "get-block",
        &encode(&pb::GetBlockRequest { height: 42 }),
    );
    write("read_request", "namespace-raw", &nsb);
    write("read_request", "namespace-hex", ns.to_hex().as_bytes());
    write(
        "read_request",
        "namespace-0x-upper",
        format!("0x{}", ns.to_hex().to_uppercase()).as_bytes(),
    );
    write(
        "read_request",
        "namespace-bad-hex",
        "zz".repeat(32).as_bytes(),
    );
    let blobs = vec![record(ns, Address::new([5; 20]), b"data")];
    let tree = NamespaceTree::build(9, &blobs);
    let data = namespace_data(&tree, &blobs, &ns, None);
    write(
        "read_request",
        "namespace-data.json",
        &serde_json::to_vec(&data).unwrap(),
    );
    write("read_request", "namespace-data.pb", &encode(&data));
    let block = pb::BlockData {
        height: 9,
        namespaces: vec![data.clone()],
        attestation: None,
    };
    write(
        "read_request",
        "block-data.json",
        &serde_json::to_vec(&block).unwrap(),
    );
    let range = pb::GetNamespaceRangeResponse {
        items: vec![data],
        next_height: 10,
    };
    write(
        "read_request",
        "range-response.json",
        &serde_json::to_vec(&range).unwrap(),
    );
    write(
        "read_request",
        "range-request.json",
        br#"{"namespace":"AAEC","fromHeight":"1","toHeight":"18446744073709551615"}"#,
    );
}
