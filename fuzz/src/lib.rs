//! Fixtures shared by Quire's fuzz targets and by the corpus generator
//! (`src/bin/gen_corpus.rs`): the state machines (with and without a
//! signature cache), committed states in memory (`quire_test_utils::MemState`)
//! with a few funded accounts, the framing that turns one fuzz input into a
//! list of transactions, and a fixed CometBFT genesis with one ed25519
//! validator whose key is known, so that the generator can sign real
//! attestations.
//!
//! Everything here is deterministic: the same input always takes the same path.

use cosmrs::crypto::secp256k1::SigningKey;
use prost::Message;
use quire_app::{BlockContext, GenesisAccount, GenesisState, StateMachine};
use quire_client::verify::Verifier;
use quire_core::builder::{address_of, sign_tx, SignerContext};
use quire_core::commitment::NamespaceTree;
use quire_core::merkle;
use quire_core::proto::{blob_to_raw, Protobuf as _};
use quire_core::{Address, Blob, Msg, Namespace, Params};
use quire_genesis::GenesisDoc;
use quire_proto::sequencer::v1 as pb;
use sha2::{Digest, Sha256};
use std::time::Duration;
use tendermint_proto::Protobuf;

pub use quire_test_utils::{blob, MemState};

/// The chain id of every fixture.
pub const CHAIN: &str = "quire-fuzz";

/// Genesis time of the fixed genesis document.
pub const GENESIS_TIME: &str = "2025-01-01T00:00:00Z";

/// Balances of the genesis accounts (keys 1, 2, 3). Accounts 2 and 3 are rich
/// enough that sends between them reach the u128 limits; the total stays
/// below `u128::MAX`, as genesis validation requires.
pub const BALANCES: [u128; 3] = [1_000_000, u128::MAX / 2, u128::MAX / 2 - 1_000_000];

/// Small limits, so that inputs of a few KiB reach every size rule
/// (`quire_test_utils::small_params`: base fee 100, 2 per blob byte, blobs of
/// at most 1000 bytes, 3000 per block, txs of at most 4000).
pub fn params() -> Params {
    quire_test_utils::small_params()
}

/// The secp256k1 key of genesis account `i` (0, 1 or 2); account number `i`.
pub fn account_key(i: usize) -> SigningKey {
    quire_test_utils::key(i as u8 + 1)
}

/// The app's genesis state: [`params`] and the accounts of [`BALANCES`].
pub fn app_genesis() -> GenesisState {
    GenesisState {
        staking: Default::default(),
        l1: None,
        encryption: None,
        params: params(),
        accounts: BALANCES
            .iter()
            .enumerate()
            .map(|(i, balance)| GenesisAccount {
                address: address_of(&account_key(i)).to_bech32(),
                balance: *balance,
            })
            .collect(),
    }
}

/// The standard state machine without a signature cache: every signature is
/// verified every time (the reference the cached paths are compared with).
pub fn machine() -> StateMachine {
    cached_machine(0)
}

/// The standard state machine with a signature cache of `capacity` entries.
/// Targets clear it at the start of every input (cold, then warm).
pub fn cached_machine(capacity: usize) -> StateMachine {
    StateMachine::standard()
        .sig_cache_capacity(capacity)
        .build()
        .expect("the standard state machine builds")
}

/// The committed state right after InitChain with [`app_genesis`] (height 0,
/// next block: 1).
pub fn genesis_state(machine: &StateMachine) -> MemState {
    MemState::from_genesis(machine, &app_genesis(), CHAIN)
}

/// The committed state on which block `height` (≥ 1) is built: genesis, then
/// `height - 1` empty blocks (each with its namespace commitment, as
/// PrepareProposal makes it), committed. The accounts are those of genesis;
/// only the height (and with it the state tree's version, which
/// FinalizeBlock builds on) moves.
pub fn state_below(machine: &StateMachine, height: u64) -> MemState {
    assert!(height >= 1, "blocks start at height 1");
    let mut state = genesis_state(machine);
    while state.height + 1 < height {
        let ctx = BlockContext::at_height(state.height + 1);
        let no_txs: [&[u8]; 0] = [];
        let proposal = machine
            .prepare_proposal(&state, &ctx, &no_txs, u64::MAX)
            .expect("in-memory state");
        let block = state.finalize(machine, &proposal.txs(&no_txs));
        state.commit(&block);
    }
    assert_eq!(state.height + 1, height);
    state
}

/// A signed transaction from genesis account `from` (its account number is
/// `from`, as genesis numbers accounts in order). Unlike
/// `quire_test_utils::signed_tx`, it can set a timeout height.
pub fn signed_tx(
    from: usize,
    sequence: u64,
    fee: u128,
    timeout_height: u64,
    msgs: &[Msg],
) -> Vec<u8> {
    let context = SignerContext {
        chain_id: CHAIN.into(),
        account_number: from as u64,
        sequence,
        fee_denom: "uquire".into(),
        fee,
        timeout_height,
        memo: String::new(),
    };
    sign_tx(&account_key(from), &context, msgs).expect("in-memory keys sign")
}

/// A send of `amount` uquire to genesis account `to`.
pub fn send(to: usize, amount: u128) -> Msg {
    Msg::send(address_of(&account_key(to)), "uquire", amount)
}

/// Most chunks [`split_chunks`] returns (bounds the work per input).
pub const MAX_CHUNKS: usize = 64;

/// Splits a fuzz input into chunks: each is a u16 little-endian length
/// followed by that many bytes; a length running past the end takes the rest.
/// Inverse of [`join_chunks`].
pub fn split_chunks(mut data: &[u8]) -> Vec<&[u8]> {
    let mut chunks = Vec::new();
    while data.len() >= 2 && chunks.len() < MAX_CHUNKS {
        let len = usize::from(u16::from_le_bytes([data[0], data[1]]));
        data = &data[2..];
        let (chunk, rest) = data.split_at(len.min(data.len()));
        chunks.push(chunk);
        data = rest;
    }
    chunks
}

/// Frames chunks for [`split_chunks`]. Panics on a chunk over 65535 bytes.
pub fn join_chunks<T: AsRef<[u8]>>(chunks: &[T]) -> Vec<u8> {
    let mut out = Vec::new();
    for chunk in chunks {
        let chunk = chunk.as_ref();
        let len = u16::try_from(chunk.len()).expect("chunk fits a u16 length");
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(chunk);
    }
    out
}

/// The ed25519 key of the fixed genesis' only validator.
pub fn validator_key() -> ed25519_consensus::SigningKey {
    ed25519_consensus::SigningKey::from([7u8; 32])
}

/// Voting power of the validator.
pub const VALIDATOR_POWER: u32 = 10;

/// The fixed genesis document: chain [`CHAIN`], [`GENESIS_TIME`], one ed25519
/// validator ([`validator_key`]), the app state of [`app_genesis`].
pub fn genesis_doc() -> GenesisDoc {
    let key = validator_key().verification_key().to_bytes();
    let mut app_state = app_genesis();
    let operator = address_of(&quire_test_utils::key(200));
    let self_bond = u128::from(VALIDATOR_POWER) * 1_000_000;
    app_state.accounts.push(GenesisAccount {
        address: operator.to_bech32(),
        balance: self_bond,
    });
    app_state
        .staking
        .validators
        .push(quire_app::staking::GenesisBond::new(
            &operator,
            &key,
            "validator-0",
            self_bond,
        ));
    GenesisDoc::new(CHAIN, GENESIS_TIME, app_state)
}

/// [`genesis_doc`] as the JSON CometBFT reads.
pub fn genesis_json() -> String {
    serde_json::to_string_pretty(&genesis_doc()).expect("genesis encodes")
}

/// A verifier trusting the fixed genesis. Its trusting period is stretched to
/// a century so that the fixed genesis time never expires and verification
/// reaches the signature, data-hash and proof checks.
pub fn verifier(genesis_json: &str) -> Verifier {
    Verifier::from_genesis_json(genesis_json)
        .expect("the fixture genesis parses")
        .with_trusting_period(Duration::from_secs(100 * 365 * 24 * 3600))
}

/// A blob record as the blob index keeps it (positions are informational).
pub fn record(namespace: Namespace, signer: Address, data: &[u8]) -> Blob {
    Blob {
        namespace,
        signer,
        tx_hash: [0; 32],
        tx_index: 1,
        msg_index: 0,
        data: data.to_vec(),
    }
}

/// A block at `height` holding `blobs`, signed by the fixed validator: its
/// namespace tree and its attestation (commitment tx with its data-hash proof,
/// signed header, validator sets), exactly as the read API serves it.
/// `height` must be 1 (the verifier trusts genesis, and the header of height
/// 1 has no last block id).
pub fn signed_block(height: u64, blobs: &[Blob]) -> (NamespaceTree, pb::Attestation) {
    use tendermint::block::header::Version;
    use tendermint::block::{self, parts, Commit, CommitSig, Header, Round};
    use tendermint::{account, chain, hash::Hash, validator, vote, AppHash, PublicKey, Time};

    let tree = NamespaceTree::build(height, blobs);
    let commitment_tx = tree.commitment().encode();
    let txs: Vec<Vec<u8>> = vec![commitment_tx.clone(), b"some user tx".to_vec()];
    let tx_hashes: Vec<[u8; 32]> = txs
        .iter()
        .map(|tx| merkle::leaf_hash(&Sha256::digest(tx)))
        .collect();
    let data_hash = merkle::root_from_leaf_hashes(&tx_hashes);
    let tx_proof = merkle::prove(&tx_hashes, 0).expect("tx 0 exists");

    let sk = validator_key();
    let pk = PublicKey::from_raw_ed25519(&sk.verification_key().to_bytes()).expect("ed25519");
    let info = validator::Info::new(pk, vote::Power::from(VALIDATOR_POWER));
    let address: account::Id = info.address;
    let set = validator::Set::new(vec![info.clone()], Some(info));

    let chain_id: chain::Id = CHAIN.parse().expect("chain id");
    let genesis_time = Time::parse_from_rfc3339(GENESIS_TIME).expect("time");
    let time = (genesis_time + Duration::from_secs(height)).expect("time");
    let header = Header {
        version: Version { block: 11, app: 0 },
        chain_id: chain_id.clone(),
        height: block::Height::try_from(height).expect("height"),
        time,
        last_block_id: None,
        last_commit_hash: None,
        data_hash: Some(Hash::Sha256(data_hash)),
        validators_hash: set.hash(),
        next_validators_hash: set.hash(),
        consensus_hash: Hash::Sha256([1; 32]),
        app_hash: AppHash::try_from(vec![2; 32]).expect("app hash"),
        last_results_hash: None,
        evidence_hash: None,
        proposer_address: address,
    };
    let block_id = block::Id {
        hash: header.hash(),
        part_set_header: parts::Header::new(1, Hash::Sha256([3; 32])).expect("parts"),
    };
    let vote_time = (time + Duration::from_millis(500)).expect("time");
    let vote = tendermint::Vote {
        vote_type: vote::Type::Precommit,
        height: header.height,
        round: Round::default(),
        block_id: Some(block_id),
        timestamp: Some(vote_time),
        validator_address: address,
        validator_index: vote::ValidatorIndex::try_from(0u32).expect("index"),
        signature: None,
        extension: Vec::new(),
        extension_signature: None,
    };
    let sign_bytes = vote.into_signable_vec(chain_id);
    let signature = tendermint::Signature::try_from(sk.sign(&sign_bytes).to_bytes().as_slice())
        .expect("64-byte signature");
    let commit = Commit {
        height: header.height,
        round: Round::default(),
        block_id,
        signatures: vec![CommitSig::BlockIdFlagCommit {
            validator_address: address,
            timestamp: vote_time,
            signature: Some(signature),
        }],
    };
    let signed_header =
        block::signed_header::SignedHeader::new(header, commit).expect("signed header");
    let set_bytes = Protobuf::<tendermint_proto::v0_38::types::ValidatorSet>::encode_vec(set);
    let attestation = pb::Attestation {
        commitment_tx,
        commitment_tx_proof: Some(tx_proof.to_raw()),
        signed_header: Protobuf::<tendermint_proto::v0_38::types::SignedHeader>::encode_vec(
            signed_header,
        ),
        validator_set: set_bytes.clone(),
        next_validator_set: set_bytes,
    };
    (tree, attestation)
}

/// What the read API answers for `namespace` in a block of `blobs`: the
/// namespace's blobs in block order, its proof, and (if given) the attestation.
pub fn namespace_data(
    tree: &NamespaceTree,
    blobs: &[Blob],
    namespace: &Namespace,
    attestation: Option<pb::Attestation>,
) -> pb::NamespaceData {
    pb::NamespaceData {
        height: tree.height(),
        namespace: namespace.as_bytes().to_vec(),
        blobs: blobs
            .iter()
            .filter(|b| b.namespace == *namespace)
            .map(|b| blob_to_raw(b.clone()))
            .collect(),
        proof: Some(tree.prove(namespace).to_raw()),
        attestation,
    }
}

/// Encodes a protobuf message.
pub fn encode<M: Message>(message: &M) -> Vec<u8> {
    message.encode_to_vec()
}
