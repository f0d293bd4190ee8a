//! Multi-block flows on an in-process network ([`quire_tests::test_node`]):
//! no CometBFT, no Go, the real ABCI handlers of four quired nodes.
//!
//! - 100 blocks under load with a crash of one node at every height, cycling
//!   through every ABCI boundary and every node; restarts go through
//!   CometBFT's handshake and replay, and replayed FinalizeBlocks must equal
//!   the recorded ones.
//! - Validator updates: blocks that return one (a new validator, a
//!   delegation changing a power) with a crash at every boundary replay to
//!   the same app hash and the same updates.
//! - Vote extensions across validators: a test component contributes a
//!   section per validator, every other node verifies it, and the next
//!   proposer injects the extensions it saw as a system transaction that
//!   every node checks and executes; a node whose extensions lie is refused.

use quire_app::component::Component;
use quire_app::context::{BlockContext, VoteContext};
use quire_app::error::{StateReadError, SystemTxError};
use quire_app::state::{StateDelta, StateRead, StateWrite};
use quire_app::system_tx::SystemTxTag;
use quire_app::{vote_extension, App, Event, StateMachine};
use quire_core::state_proof::StateProof;
use quire_core::{Msg, Namespace, Params};
use quire_test_utils::{blob, key, signed_tx};
use quire_tests::test_node::{validator_address, Boundary, TestNet};
use std::sync::Arc;
use std::time::Instant;

fn params() -> Params {
    Params {
        base_fee: 100,
        fee_per_blob_byte: 1,
        ..Params::default()
    }
}

#[test]
fn a_block_returning_validator_updates_replays_identically_after_a_crash() {
    use quire_core::msg::CheckedCoin;
    use quire_core::staking::msg::{CommissionRates, CreateValidator, Delegate, Description};
    use quire_core::staking::Dec;
    let operator = key(9);
    let genesis = quire_test_utils::genesis(params(), &[&operator], 1 << 60);
    let mut net = TestNet::new(4, genesis).unwrap();
    let consensus_key = ed25519_consensus::SigningKey::from([77; 32])
        .verification_key()
        .to_bytes();
    let create = Msg::CreateValidator(CreateValidator {
        description: Description {
            moniker: "late".into(),
            ..Description::default()
        },
        commission: CommissionRates::new(Dec::ZERO, Dec::ONE, Dec::ONE),
        min_self_delegation: 1,
        consensus_key,
        value: CheckedCoin::new("uquire", 7_000_000),
    });
    let mut sequence = 0;
    let mut send = |net: &mut TestNet, msg: Msg| {
        let tx = signed_tx(net.chain_id(), &operator, 0, sequence, 10_000, &[msg]);
        sequence += 1;
        let answers = net.submit(tx).unwrap();
        assert!(answers.iter().all(|a| a.code.is_ok()), "{answers:?}");
    };
    send(&mut net, create);
    let mut boundaries = Boundary::ALL.iter().enumerate();
    let (node, boundary) = boundaries.next().unwrap();
    let height = net
        .produce_block_crashing(Some((node % 4, *boundary)))
        .unwrap();
    let updates = &net.finalize_response(height).unwrap().validator_updates;
    assert_eq!(updates.len(), 1, "{updates:?}");
    assert_eq!(updates[0].power.value(), 7);
    // Each further block delegates to validator 0: its power changes.
    for (i, (node, boundary)) in boundaries.enumerate() {
        send(
            &mut net,
            Msg::Delegate(Delegate {
                validator: quire_tests::test_node::operator_address(0),
                amount: CheckedCoin::new("uquire", 1_000_000),
            }),
        );
        let height = net
            .produce_block_crashing(Some((node % 4, *boundary)))
            .unwrap();
        let updates = &net.finalize_response(height).unwrap().validator_updates;
        assert_eq!(updates.len(), 1, "{updates:?}");
        assert_eq!(updates[0].power.value(), 11 + i as u64);
    }
    let hashes = net.app_hashes().unwrap();
    assert!(hashes.windows(2).all(|w| w[0] == w[1]), "{hashes:?}");
    assert_eq!(net.crashes.len(), Boundary::ALL.len());
}

#[test]
fn a_hundred_blocks_with_a_crash_at_every_boundary() {
    let keys = [key(1), key(2), key(3)];
    let genesis = quire_test_utils::genesis(params(), &keys.iter().collect::<Vec<_>>(), 1 << 60);
    let mut net = TestNet::new(4, genesis).unwrap();
    let started = Instant::now();
    let mut sequences = [0u64; 3];
    let mut blobs_sent = 0usize;
    for height in 1..=100u64 {
        // Load: every account sends one or two txs per block, pipelined.
        for (account, key) in keys.iter().enumerate() {
            for _ in 0..(1 + (height as usize + account) % 2) {
                let msgs = if (height + account as u64).is_multiple_of(7) {
                    vec![Msg::send(
                        quire_core::Address::new([account as u8 + 9; 20]),
                        "uquire",
                        5,
                    )]
                } else {
                    blobs_sent += 1;
                    vec![blob(
                        &format!("rollup-{}", account),
                        format!("h{height} seq{}", sequences[account]).as_bytes(),
                    )]
                };
                let tx = signed_tx(
                    net.chain_id(),
                    key,
                    account as u64,
                    sequences[account],
                    10_000,
                    &msgs,
                );
                let answers = net.submit(tx).unwrap();
                assert!(
                    answers.iter().all(|a| a.code.is_ok()),
                    "height {height}: CheckTx refused: {answers:?}"
                );
                sequences[account] += 1;
            }
        }
        // A crash at every height: every boundary, every node, and at height
        // 1 after FinalizeBlock (before the first Commit: InitChain again).
        let boundary = Boundary::ALL[(height as usize + 2) % Boundary::ALL.len()];
        let node = (height as usize / Boundary::ALL.len()) % 4;
        net.produce_block_crashing(Some((node, boundary))).unwrap();
        // Every tx of the block executed.
        let response = net.finalize_response(height).unwrap();
        assert!(
            response.tx_results.iter().all(|r| r.code.is_ok()),
            "height {height}: {:?}",
            response.tx_results
        );
    }
    let elapsed = started.elapsed();
    let hashes = net.app_hashes().unwrap();
    assert!(hashes.windows(2).all(|w| w[0] == w[1]), "{hashes:?}");
    assert_eq!(net.height(), 100);
    assert_eq!(net.crashes.len(), 100);
    for boundary in Boundary::ALL {
        for node in 0..4 {
            assert!(
                net.crashes
                    .iter()
                    .any(|&(_, n, b)| n == node && b == boundary),
                "no crash of node {node} at {boundary:?}"
            );
        }
    }
    assert!(net.replayed >= 20, "{} blocks replayed", net.replayed);
    // Every account's txs all committed, on every node.
    for node in 0..4 {
        let n = net.node(node).unwrap();
        for (account, key) in keys.iter().enumerate() {
            let address = quire_core::builder::address_of(key);
            let (_, bytes) = n.query(&format!("/account/{address}")).unwrap();
            let answer: quire_proto::blob::v1::QueryAccountResponse =
                prost::Message::decode(bytes.as_slice()).unwrap();
            assert_eq!(answer.sequence, sequences[account], "node {node}");
        }
    }
    let total_blobs: usize = (1..=100)
        .map(|h| {
            (0..3)
                .map(|a| {
                    let ns = Namespace::from_rollup_name(&format!("rollup-{a}"));
                    let (_, bytes) = net
                        .node(0)
                        .unwrap()
                        .query(&format!("/blobs/{h}/{ns}"))
                        .unwrap();
                    let answer: quire_proto::blob::v1::QueryBlobsResponse =
                        prost::Message::decode(bytes.as_slice()).unwrap();
                    answer.blobs.len()
                })
                .sum::<usize>()
        })
        .sum();
    assert_eq!(total_blobs, blobs_sent);
    assert!(net.list_snapshots(0).unwrap().snapshots.is_empty());

    // State proofs: an account, and an address with none, proven against
    // the app hash of the last block (the next header's app hash).
    let root: [u8; 32] = net
        .finalize_response(100)
        .unwrap()
        .app_hash
        .as_bytes()
        .try_into()
        .unwrap();
    let alice = quire_core::builder::address_of(&keys[0]);
    let answer = net
        .query(2, &format!("/account/{alice}"), &[], true)
        .unwrap();
    assert!(answer.code.is_ok(), "{}", answer.log);
    assert_eq!(answer.height.value(), 100);
    let op = &answer.proof.as_ref().unwrap().ops[0];
    assert_eq!(op.field_type, quire_core::state_proof::PROOF_OP_TYPE);
    let proof = StateProof::decode_op_data(&op.key, &op.data).unwrap();
    assert_eq!(op.key, quire_core::account::account_key(&alice));
    proof.verify(&root).unwrap();
    let account = quire_core::account::Account::decode(proof.value.as_deref().unwrap()).unwrap();
    assert_eq!(account.sequence, sequences[0]);
    let mut lie = proof.clone();
    lie.value = Some(
        quire_core::account::Account {
            balance: account.balance + 1,
            ..account
        }
        .encode(),
    );
    assert!(lie.verify(&root).is_err(), "a changed balance is caught");
    let nobody = quire_core::Address::new([0x77; 20]);
    let answer = net
        .query(3, &format!("/account/{nobody}"), &[], true)
        .unwrap();
    assert_eq!(answer.code.value(), quire_core::codes::query::NOT_FOUND);
    let op = &answer.proof.as_ref().unwrap().ops[0];
    let absent = StateProof::decode_op_data(&op.key, &op.data).unwrap();
    assert_eq!(absent.value, None);
    absent.verify(&root).unwrap();
    // Proofs are of the last height only, and of state paths only.
    assert!(net.query(0, "/params", &[], true).unwrap().proof.is_some());
    assert_eq!(
        net.query(
            0,
            &format!("/blobs/5/{}", Namespace::from_rollup_name("rollup-0")),
            &[],
            true
        )
        .unwrap()
        .code
        .value(),
        quire_core::codes::query::BAD_ARGUMENT
    );
    eprintln!(
        "100 blocks, {} crashes, {} blocks replayed, {blobs_sent} blobs, in {elapsed:?}",
        net.crashes.len(),
        net.replayed
    );
}

/// A test component: every validator's vote extension is its address and
/// the height; the next proposer puts the extensions it saw in a system
/// transaction; executing it records how many validators stamped the last
/// height. `lie` makes a validator stamp the wrong height.
struct Stamps {
    me: [u8; 20],
    lie: bool,
}

const STAMP_TAG: SystemTxTag = SystemTxTag {
    kind: "stamp",
    prefix: b"\x00quire/stamp/v1\x00",
};
const STAMP_LEN: usize = 28;

fn stamp(validator: &[u8; 20], height: u64) -> Vec<u8> {
    let mut out = validator.to_vec();
    out.extend_from_slice(&height.to_be_bytes());
    out
}

fn stamps_key(height: u64) -> Vec<u8> {
    let mut key = b"stamp/".to_vec();
    key.extend_from_slice(&height.to_be_bytes());
    key
}

impl Component for Stamps {
    fn name(&self) -> &'static str {
        "stamp"
    }

    fn system_tx(&self) -> Option<SystemTxTag> {
        Some(STAMP_TAG)
    }

    fn max_vote_extension_bytes(&self) -> usize {
        STAMP_LEN
    }

    fn extend_vote(
        &self,
        _state: &dyn StateRead,
        ctx: &VoteContext,
    ) -> Result<Option<Vec<u8>>, StateReadError> {
        let height = if self.lie { ctx.height + 1 } else { ctx.height };
        Ok(Some(stamp(&self.me, height)))
    }

    fn verify_vote_extension(
        &self,
        _state: &dyn StateRead,
        ctx: &VoteContext,
        validator: &[u8; 20],
        section: Option<&[u8]>,
    ) -> Result<(), String> {
        match section {
            Some(data) if data == stamp(validator, ctx.height) => Ok(()),
            Some(_) => Err("not this validator's stamp of this height".into()),
            None => Err("missing stamp".into()),
        }
    }

    fn system_tx_reserve(&self, _state: &dyn StateRead, ctx: &BlockContext) -> u64 {
        (STAMP_TAG.prefix.len() + STAMP_LEN * ctx.last_commit.votes.len()) as u64
    }

    fn build_system_tx(
        &self,
        _state: &StateDelta<'_>,
        ctx: &BlockContext,
    ) -> Result<Option<Vec<u8>>, StateReadError> {
        let mut tx = STAMP_TAG.prefix.to_vec();
        for vote in &ctx.last_commit.votes {
            let Ok(sections) = vote_extension::decode(&vote.extension) else {
                continue;
            };
            if let Some(section) = sections.iter().find(|s| s.component == "stamp") {
                tx.extend_from_slice(section.data);
            }
        }
        Ok(Some(tx))
    }

    fn deliver_system_tx(
        &self,
        state: &mut dyn StateWrite,
        ctx: &BlockContext,
        _tx_index: u32,
        tx: &[u8],
    ) -> Result<Vec<Event>, SystemTxError> {
        let payload = STAMP_TAG
            .payload(tx)
            .ok_or_else(|| SystemTxError::Malformed("no stamp tag".into()))?;
        if !payload.len().is_multiple_of(STAMP_LEN) {
            return Err(SystemTxError::Malformed("not whole stamps".into()));
        }
        let last = ctx.height.saturating_sub(1);
        for entry in payload.chunks_exact(STAMP_LEN) {
            if entry[20..] != last.to_be_bytes() {
                return Err(SystemTxError::Malformed(format!(
                    "a stamp not of height {last}"
                )));
            }
        }
        let count = (payload.len() / STAMP_LEN) as u64;
        state.put_raw(stamps_key(last), count.to_be_bytes().to_vec());
        Ok(vec![Event::new("stamps").unindexed("count", count)])
    }
}

fn stamping_net(liar: Option<usize>) -> TestNet {
    let genesis = quire_test_utils::genesis(params(), &[&key(1)], 1 << 40);
    // Each node's app: the standard components plus Stamps, built with that
    // validator's own address (a node-local input, like an L1 key).
    TestNet::with_apps(
        4,
        genesis,
        Arc::new(move |index, last| {
            Ok(App::with(
                StateMachine::standard().component(Stamps {
                    me: validator_address(index),
                    lie: Some(index) == liar,
                }),
                last,
            )?)
        }),
    )
    .unwrap()
}

#[test]
fn vote_extensions_are_made_verified_and_injected_by_the_next_proposer() {
    let mut net = stamping_net(None);
    for height in 1..=6u64 {
        if height == 4 {
            net.produce_block_crashing(Some((2, Boundary::AfterExtendVote)))
                .unwrap();
        } else {
            net.produce_block().unwrap();
        }
    }
    // From height 2 on, each block's stamp system tx carried the four
    // stamps of the height before, and every node recorded them.
    for node in 0..4 {
        let n = net.node(node).unwrap();
        let app = n.app();
        let store = n.store();
        let snapshot = store.state().unwrap();
        for last in 1..=5u64 {
            let count = app.with_state(&snapshot, |state| state.get(&stamps_key(last)).unwrap());
            assert_eq!(
                count,
                Some(4u64.to_be_bytes().to_vec()),
                "node {node}, stamps of height {last}"
            );
        }
    }
    // The stamp system tx is the block's second (after the commitment).
    let txs = net.block_txs(3).unwrap();
    assert!(txs[1].starts_with(STAMP_TAG.prefix));
    assert_eq!(txs[1].len(), STAMP_TAG.prefix.len() + 4 * STAMP_LEN);
    let hashes = net.app_hashes().unwrap();
    assert!(hashes.windows(2).all(|w| w[0] == w[1]));
}

#[test]
fn a_lying_validators_extension_is_rejected() {
    let mut net = stamping_net(Some(2));
    let error = net.produce_block().unwrap_err().to_string();
    assert!(
        error.contains("rejected node 2's vote extension"),
        "{error}"
    );
}
