//! Blind ordering's encrypted blobs through the state machine: four
//! validators hold shares of a dealer's key; an envelope ordered at S is
//! shared in the votes for S+1 and revealed by the proposer of S+2, and its
//! blobs are in S+2's blob list. Wrong keys, skipped or early resolutions,
//! missing reveals and shares for uncommitted slots are refused by every
//! node; up to f silent validators delay nothing; more lead to expiry and
//! then to plaintext-only mode, with the chain live throughout.

// Test code: a failed unwrap is the test failing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use quire_app::encryption::{EncryptionGenesis, EncryptionRead, Outcome, REVEAL_TAG};
use quire_app::staking::GenesisBond;
use quire_app::vote_extension;
use quire_app::{CheckState, GenesisAccount, GenesisState, NodeKeys, ProposalError, StateMachine};
use quire_core::builder::address_of;
use quire_core::codes::tx as codes;
use quire_core::encryption::{
    Reveal, ShareSection, SlotResolution, SlotShares, SubmitEncrypted, REVEAL_TX_PREFIX,
};
use quire_core::envelope::EnvelopePayload;
use quire_core::staking::consensus_address;
use quire_core::{Address, Msg, Namespace, Params};
use quire_test_utils::{blob, consensus_key, key, signed_tx, MemState};
use quire_tpke::{EpochKey, Identity, KeyShare};
use sha2::{Digest, Sha256};

const CHAIN: &str = "quire-enc";
const M: u128 = 1_000_000;
const FEE: u128 = 100_000;
/// E and K of these tests.
const EXPIRY: u64 = 4;
const EXPIRIES_TO_DISABLE: u32 = 2;
/// Alice and Mallory: account seeds 5 and 6 (account numbers 4 and 5).
const ALICE: u8 = 5;
const MALLORY: u8 = 6;

fn dealt() -> (EpochKey, Vec<KeyShare>) {
    quire_tpke::deal([42; 32], 4).unwrap()
}

/// Four equal validators (seeds 1..=4) holding the dealer's shares.
fn genesis(epoch_key: &EpochKey) -> GenesisState {
    let members: Vec<[u8; 32]> = (1..=4).map(consensus_key).collect();
    let mut section = EncryptionGenesis::new(epoch_key, &members);
    section.expiry_blocks = EXPIRY;
    section.expiries_to_disable = EXPIRIES_TO_DISABLE;
    let mut genesis = GenesisState {
        params: Params::default(),
        accounts: (1..=6)
            .map(|seed| GenesisAccount {
                address: address_of(&key(seed)).to_bech32(),
                balance: 1_000 * M,
            })
            .collect(),
        staking: Default::default(),
        l1: None,
        encryption: Some(section),
    };
    for seed in 1..=4 {
        genesis.staking.validators.push(GenesisBond::new(
            &address_of(&key(seed)),
            &consensus_key(seed),
            &format!("v{seed}"),
            10 * M,
        ));
    }
    genesis
}

/// An envelope of `blobs` from account `seed` at `sequence`, sealed to
/// `key`'s epoch 1 with `nonce`.
fn envelope(
    key: &EpochKey,
    seed: u8,
    sequence: u64,
    nonce: u8,
    blobs: &[(&str, &[u8])],
) -> SubmitEncrypted {
    let signer = address_of(&quire_test_utils::key(seed));
    let identity = Identity::derive(CHAIN, 1, signer.as_bytes(), sequence, &[nonce; 32]);
    let payload = EnvelopePayload {
        blobs: blobs
            .iter()
            .map(|(rollup, data)| (Namespace::from_rollup_name(rollup), data.to_vec()))
            .collect(),
    };
    let sealed =
        quire_tpke::seal(&key.group_key(), &identity, &payload.encode(), [nonce; 32]).unwrap();
    SubmitEncrypted {
        epoch: 1,
        nonce: [nonce; 32],
        ibe_ciphertext: sealed.ibe.to_bytes(),
        body: sealed.body,
    }
}

fn envelope_tx(msg: SubmitEncrypted, seed: u8, sequence: u64) -> Vec<u8> {
    signed_tx(
        CHAIN,
        &key(seed),
        u64::from(seed - 1),
        sequence,
        FEE,
        &[Msg::SubmitEncrypted(msg)],
    )
}

/// One node per validator, over one shared state, and the dealer's key.
struct Net {
    net: quire_test_utils::Net,
    key: EpochKey,
}

impl std::ops::Deref for Net {
    type Target = quire_test_utils::Net;
    fn deref(&self) -> &Self::Target {
        &self.net
    }
}

impl std::ops::DerefMut for Net {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.net
    }
}

impl Net {
    /// Validators `sharing` (0-based) hold their shares; the others hold
    /// none (they withhold).
    fn new(sharing: &[usize]) -> Net {
        let (key, shares) = dealt();
        let nodes: Vec<StateMachine> = (0..4)
            .map(|i| {
                StateMachine::standard_with(NodeKeys {
                    encryption_share: sharing.contains(&i).then(|| shares[i].clone()),
                    ..NodeKeys::default()
                })
                .build()
                .unwrap()
            })
            .collect();
        let validators = (1..=4)
            .map(|s| consensus_address(&consensus_key(s)))
            .collect();
        Net {
            net: quire_test_utils::Net::new(nodes, validators, &genesis(&key), CHAIN),
            key,
        }
    }

    fn honest() -> Net {
        Net::new(&[0, 1, 2, 3])
    }
}

fn reveal_of(txs: &[Vec<u8>]) -> Option<Reveal> {
    txs.iter()
        .find(|tx| REVEAL_TAG.matches(tx))
        .map(|tx| Reveal::decode(&tx[REVEAL_TX_PREFIX.len()..]).unwrap())
}

fn replace_reveal(txs: &[Vec<u8>], reveal: &Reveal) -> Vec<Vec<u8>> {
    txs.iter()
        .map(|tx| {
            if REVEAL_TAG.matches(tx) {
                reveal.to_tx()
            } else {
                tx.clone()
            }
        })
        .collect()
}

fn namespace(rollup: &str) -> Namespace {
    Namespace::from_rollup_name(rollup)
}

#[test]
fn an_envelope_is_revealed_two_blocks_later_with_its_blobs_in_the_reveal_block() {
    let mut net = Net::honest();
    net.height(0, &[]);
    let msg = envelope(
        &net.key,
        ALICE,
        0,
        1,
        &[("rollup-a", b"alpha"), ("rollup-b", b"beta")],
    );
    let tx = envelope_tx(msg, ALICE, 0);
    assert_eq!(net.check_tx(&tx), Ok(()));
    let slot = net.next_height();
    let block = net.height(1, std::slice::from_ref(&tx));
    // Ordered, paid, hidden: no blob of it at its own height.
    assert!(block.txs[0].result.is_ok());
    assert!(block.blobs.is_empty());
    assert_eq!(net.state.pending_slots().unwrap(), vec![(slot, 1)]);

    // S+1: no reveal yet (the shares are in this block's votes).
    let block = net.height(2, &[]);
    assert!(block.system_txs.iter().all(|s| s.kind != "reveal"));
    assert!(net.last_votes.iter().all(|v| {
        vote_extension::decode(&v.extension)
            .unwrap()
            .iter()
            .any(|s| s.component == "encryption")
    }));

    // S+2: the proposer reveals; every node checks and decrypts.
    let reveal_height = net.next_height();
    let txs = net.propose(3, &[]);
    let reveal = reveal_of(&txs).expect("a reveal at S+2");
    assert!(
        matches!(&reveal.slots[..], [(s, SlotResolution::Keys(keys))] if *s == slot && keys.len() == 1)
    );
    let block = net.commit(&txs);
    let tx_hash: [u8; 32] = Sha256::digest(&tx).into();
    let revealed: Vec<(Namespace, Address, [u8; 32], &[u8])> = block
        .blobs
        .iter()
        .map(|b| (b.namespace, b.signer, b.tx_hash, b.data.as_slice()))
        .collect();
    let alice = address_of(&key(ALICE));
    assert_eq!(
        revealed,
        vec![
            (namespace("rollup-a"), alice, tx_hash, &b"alpha"[..]),
            (namespace("rollup-b"), alice, tx_hash, &b"beta"[..]),
        ]
    );
    // The blobs are in the reveal block's commitment.
    let commitment = block.commitment.as_ref().unwrap();
    assert!(commitment.matches_blobs);
    assert_eq!(commitment.leaves.len(), 2);
    let record = net.state.revealed_at(reveal_height).unwrap();
    assert_eq!(record.len(), 1);
    assert_eq!(
        (
            record[0].slot,
            record[0].tx_hash,
            record[0].outcome,
            record[0].blobs.len()
        ),
        (slot, tx_hash, Outcome::Revealed, 2)
    );
    // A reader of one namespace binds its blob to the envelope (slot,
    // position, hash) from the record alone.
    for (ns, data) in [("rollup-a", &b"alpha"[..]), ("rollup-b", &b"beta"[..])] {
        let origins =
            quire_core::encryption::bind_revealed(&record, namespace(ns), &[(alice, data)])
                .unwrap();
        assert_eq!(
            origins,
            vec![quire_core::encryption::BlobOrigin::Envelope(&record[0])]
        );
        assert!(quire_core::encryption::bind_revealed(
            &record,
            namespace(ns),
            &[(address_of(&key(MALLORY)), data)]
        )
        .is_err());
    }
    assert!(net.state.pending_slots().unwrap().is_empty());
    // Nothing is left to reveal: the next block carries no reveal.
    let block = net.height(0, &[]);
    assert!(block.system_txs.iter().all(|s| s.kind != "reveal"));
}

#[test]
fn a_copied_ciphertext_reveals_nothing_and_its_fee_is_kept() {
    let mut net = Net::honest();
    net.height(0, &[]);
    let original = envelope(&net.key, ALICE, 0, 1, &[("rollup-a", b"secret")]);
    let copy = original.clone();
    let alice_tx = envelope_tx(original, ALICE, 0);
    let mallory_tx = envelope_tx(copy, MALLORY, 0);
    let block = net.height(1, &[alice_tx.clone(), mallory_tx.clone()]);
    assert!(block.txs.iter().all(|t| t.result.is_ok()));
    net.height(2, &[]);
    let block = net.height(3, &[]);
    let record = net.state.revealed_at(net.state.height).unwrap();
    let outcome_of = |tx: &[u8]| {
        let hash: [u8; 32] = Sha256::digest(tx).into();
        record.iter().find(|r| r.tx_hash == hash).unwrap().outcome
    };
    assert_eq!(outcome_of(&alice_tx), Outcome::Revealed);
    assert_eq!(outcome_of(&mallory_tx), Outcome::Undecryptable);
    assert_eq!(block.blobs.len(), 1);
    assert_eq!(block.blobs[0].signer, address_of(&key(ALICE)));
}

#[test]
fn a_wrong_key_a_skipped_slot_an_early_expiry_or_a_missing_reveal_is_rejected() {
    let mut net = Net::honest();
    net.height(0, &[]);
    let first = envelope_tx(envelope(&net.key, ALICE, 0, 1, &[("a", b"1")]), ALICE, 0);
    let second = envelope_tx(envelope(&net.key, ALICE, 1, 2, &[("a", b"2")]), ALICE, 1);
    let slot = net.next_height();
    net.height(1, &[first]);
    net.height(2, &[second]);
    let txs = net.propose(3, &[]);
    let honest = reveal_of(&txs).unwrap();
    let SlotResolution::Keys(keys) = &honest.slots[0].1 else {
        panic!("keys expected");
    };
    assert_eq!(honest.slots.len(), 1, "slot S+1 is not eligible at S+2");

    let reject_all = |txs: Vec<Vec<u8>>, what: &str| {
        for (node, result) in net.process(&txs).into_iter().enumerate() {
            assert!(result.is_err(), "node {node} accepted {what}");
        }
    };
    // Another envelope's key (the next slot's identity signed by the group
    // would be needed; any other valid point fails the check).
    let mut wrong = honest.clone();
    let mut bad = keys.clone();
    bad[0][47] ^= 1;
    wrong.slots[0].1 = SlotResolution::Keys(bad);
    reject_all(replace_reveal(&txs, &wrong), "a wrong key");
    // A key of the right group for another identity.
    let (_, shares) = dealt();
    let other = Identity::derive(CHAIN, 1, &[9; 20], 0, &[9; 32]);
    let other_key = quire_tpke::combine(
        &net.key,
        &shares
            .iter()
            .map(|s| quire_tpke::share(s, &other))
            .collect::<Vec<_>>(),
    )
    .unwrap();
    let mut forged = honest.clone();
    forged.slots[0].1 = SlotResolution::Keys(vec![other_key.to_bytes()]);
    reject_all(replace_reveal(&txs, &forged), "another identity's key");
    // Skipping the oldest slot, or expiring it before S + E.
    let skipped = Reveal {
        slots: vec![(slot + 1, SlotResolution::Expired)],
    };
    reject_all(replace_reveal(&txs, &skipped), "a skipped slot");
    let early = Reveal {
        slots: vec![(slot, SlotResolution::Expired)],
    };
    reject_all(replace_reveal(&txs, &early), "an early expiry");
    // Dropping the reveal.
    let dropped: Vec<Vec<u8>> = txs
        .iter()
        .filter(|tx| !REVEAL_TAG.matches(tx))
        .cloned()
        .collect();
    for result in net.process(&dropped) {
        assert!(matches!(
            result,
            Err(ProposalError::MissingSystemTx { kind: "reveal" })
                | Err(ProposalError::SystemTx { .. })
        ));
    }
    // A deferral (an empty reveal, from a proposer that saw no shares) is
    // allowed before the deadline...
    let mut blind = net.ctx([0; 32]);
    blind.last_commit.votes.clear();
    let deferred = net.nodes[3]
        .prepare_proposal(&net.state, &blind, &[] as &[Vec<u8>], 1 << 22)
        .unwrap()
        .txs(&[] as &[Vec<u8>]);
    assert_eq!(reveal_of(&deferred), Some(Reveal { slots: vec![] }));
    for result in net.process(&deferred) {
        result.unwrap();
    }
    // ... and the honest one commits.
    net.commit(&txs);
}

#[test]
fn shares_for_an_uncommitted_slot_or_of_another_validator_are_refused() {
    let mut net = Net::honest();
    net.height(0, &[]);
    let tx = envelope_tx(envelope(&net.key, ALICE, 0, 1, &[("a", b"x")]), ALICE, 0);
    // A peeking validator shares the envelope of the block it votes on.
    let txs = net.propose(1, std::slice::from_ref(&tx));
    let slot = net.next_height();
    let (_, shares) = dealt();
    let id = {
        let signer = address_of(&key(ALICE));
        Identity::derive(CHAIN, 1, signer.as_bytes(), 0, &[1; 32])
    };
    let peek = ShareSection {
        epoch: 1,
        slots: vec![SlotShares {
            slot,
            shares: vec![quire_tpke::share(&shares[0], &id).to_bytes()],
        }],
    };
    let extension = vote_extension::encode(&[("encryption", peek.encode())]);
    let vote_ctx = net.vote_ctx(&txs);
    let v0 = consensus_address(&consensus_key(1));
    for node in &net.nodes {
        let err = node
            .verify_vote_extension(&net.state, &vote_ctx, &v0, &extension)
            .unwrap_err();
        assert!(err.to_string().contains("not a committed slot"), "{err}");
    }
    net.commit(&txs);
    // Once committed, the same share is due; under another's index it is not.
    let txs = net.propose(2, &[]);
    let vote_ctx = net.vote_ctx(&txs);
    let extension = vote_extension::encode(&[("encryption", peek.encode())]);
    net.nodes[3]
        .verify_vote_extension(&net.state, &vote_ctx, &v0, &extension)
        .unwrap();
    let v1 = consensus_address(&consensus_key(2));
    assert!(net.nodes[3]
        .verify_vote_extension(&net.state, &vote_ctx, &v1, &extension)
        .is_err());
    // A validator with no share section is fine (it abstains).
    net.nodes[3]
        .verify_vote_extension(&net.state, &vote_ctx, &v1, &[])
        .unwrap();
}

#[test]
fn one_silent_validator_of_four_delays_nothing() {
    let mut net = Net::new(&[0, 1, 2]);
    net.height(0, &[]);
    let tx = envelope_tx(envelope(&net.key, ALICE, 0, 1, &[("a", b"x")]), ALICE, 0);
    net.height(1, &[tx]);
    net.height(2, &[]);
    let block = net.height(3, &[]);
    assert_eq!(block.blobs.len(), 1);
    assert_eq!(block.blobs[0].data, b"x");
}

#[test]
fn two_silent_validators_lead_to_expiry_then_plaintext_only_with_the_chain_live() {
    let mut net = Net::new(&[0, 1]);
    net.height(0, &[]);
    let mut sequence = 0;
    let mut slots = Vec::new();
    for round in 0..EXPIRIES_TO_DISABLE {
        let tx = envelope_tx(
            envelope(&net.key, ALICE, sequence, round as u8 + 1, &[("a", b"x")]),
            ALICE,
            sequence,
        );
        sequence += 1;
        slots.push(net.next_height());
        net.height(1, &[tx]);
    }
    // Blocks go on; each slot waits for E blocks, then expires.
    let mut expired_at = Vec::new();
    for _ in 0..(EXPIRY as usize + 3) {
        let plain = signed_tx(
            CHAIN,
            &key(MALLORY),
            5,
            sequence_of(&net, MALLORY),
            FEE,
            &[blob("p", b"plain")],
        );
        let height = net.next_height();
        let txs = net.propose(2, &[plain]);
        if let Some(reveal) = reveal_of(&txs) {
            if reveal
                .slots
                .iter()
                .any(|(_, r)| *r == SlotResolution::Expired)
            {
                // At the deadline the slot must be resolved: no deferral.
                let deferred = replace_reveal(&txs, &Reveal { slots: vec![] });
                assert!(net.process(&deferred).iter().all(Result::is_err));
            }
        }
        let block = net.commit(&txs);
        assert_eq!(block.blobs.len(), 1, "plaintext blobs go on at {height}");
        if net
            .state
            .revealed_at(height)
            .unwrap()
            .iter()
            .any(|r| r.outcome == Outcome::Expired)
        {
            expired_at.push(height);
        }
    }
    assert_eq!(
        expired_at,
        slots.iter().map(|s| s + EXPIRY).collect::<Vec<_>>()
    );
    let status = net.state.encryption_status().unwrap();
    assert_eq!(status.inactive_since, expired_at.last().copied());
    // Plaintext only from now on.
    let tx = envelope_tx(
        envelope(&net.key, ALICE, sequence, 9, &[("a", b"y")]),
        ALICE,
        sequence,
    );
    assert_eq!(net.check_tx(&tx), Err(codes::ENCRYPTION_INACTIVE));
}

fn sequence_of(net: &Net, seed: u8) -> u64 {
    use quire_app::auth::state::AuthRead;
    net.state
        .account(&address_of(&key(seed)))
        .unwrap()
        .map_or(0, |a| a.sequence)
}

#[test]
fn envelope_rules_have_their_codes_and_the_block_cap_holds() {
    let mut net = Net::honest();
    net.height(0, &[]);
    let msg = envelope(&net.key, ALICE, 0, 1, &[("a", b"x")]);
    let mixed = signed_tx(
        CHAIN,
        &key(ALICE),
        4,
        0,
        FEE,
        &[Msg::SubmitEncrypted(msg.clone()), blob("a", b"plain")],
    );
    assert_eq!(net.check_tx(&mixed), Err(codes::ENCRYPTION_NOT_ALONE));
    let mut wrong_epoch = msg.clone();
    wrong_epoch.epoch = 2;
    assert_eq!(
        net.check_tx(&envelope_tx(wrong_epoch, ALICE, 0)),
        Err(codes::ENCRYPTION_WRONG_EPOCH)
    );
    let mut garbled = msg.clone();
    garbled.ibe_ciphertext[5] ^= 0xff;
    assert_eq!(
        net.check_tx(&envelope_tx(garbled, ALICE, 0)),
        Err(codes::ENCRYPTION_MALFORMED)
    );
    let cheap = signed_tx(
        CHAIN,
        &key(ALICE),
        4,
        0,
        1_000,
        &[Msg::SubmitEncrypted(msg)],
    );
    assert_eq!(net.check_tx(&cheap), Err(codes::INSUFFICIENT_FEE));

    // At most 32 envelopes per block (the default cap): the proposer stops
    // there, and a block with one more is rejected.
    let txs: Vec<Vec<u8>> = (0..33u64)
        .map(|seq| {
            envelope_tx(
                envelope(&net.key, ALICE, seq, seq as u8 + 10, &[("a", b"x")]),
                ALICE,
                seq,
            )
        })
        .collect();
    let proposal = net.propose(1, &txs);
    assert_eq!(proposal.len(), 1 + 32, "the commitment and 32 envelopes");
    let mut over = proposal.clone();
    over.push(txs[32].clone());
    for result in net.process(&over) {
        assert!(matches!(
            result,
            Err(ProposalError::Tx { index: 33, error }) if error.code() == codes::ENCRYPTION_BLOCK_FULL
        ));
    }
    let block = net.commit(&proposal);
    assert_eq!(net.state.pending_slots().unwrap(), vec![(block.height, 32)]);
    // All 32 are revealed two blocks later.
    net.height(2, &[]);
    let block = net.height(3, &[]);
    assert_eq!(block.blobs.len(), 32);

    // A chain without encryption refuses envelopes.
    let plain_chain = {
        let machine = StateMachine::standard().build().unwrap();
        let mut genesis = genesis(&net.key);
        genesis.encryption = None;
        (MemState::from_genesis(&machine, &genesis, CHAIN), machine)
    };
    let tx = envelope_tx(envelope(&net.key, ALICE, 0, 1, &[("a", b"x")]), ALICE, 0);
    let mut check = CheckState::default();
    assert_eq!(
        plain_chain
            .1
            .check_tx(&mut check, &plain_chain.0, 1, &tx)
            .unwrap_err()
            .code(),
        codes::ENCRYPTION_OFF
    );
}

/// An envelope's blobs: (namespace, data).
type Blobs = Vec<(Namespace, Vec<u8>)>;

/// What an envelope of the coherence test must become.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Sealed to its own identity with a valid payload: revealed.
    Valid,
    /// Another tx's ciphertext: undecryptable.
    Copied,
    /// Sealed to its identity, but the payload is not an envelope payload:
    /// invalid.
    Garbage,
}

/// The coherence property over encrypted blocks: seeded random mempools of
/// envelopes (valid, copied, garbage) and plaintext blobs from four
/// accounts, random proposers, one validator of four silent in some runs.
/// Every block the proposer builds, every node accepts and finalizes to the
/// same app hash (`Net::commit`); every envelope ordered at S is resolved at
/// S + 2 as its kind says; every revealed blob binds to its envelope by the
/// record alone, and nothing else is revealed.
#[test]
fn coherence_over_encrypted_blocks() {
    for seed in 0..4u64 {
        let mut rng = quire_test_utils::Rng::new(seed);
        let sharing: &[usize] = if seed % 2 == 0 {
            &[0, 1, 2, 3]
        } else {
            &[0, 1, 3]
        };
        let mut net = Net::new(sharing);
        net.height(0, &[]);
        let seeds = [ALICE, MALLORY, 3, 4];
        let mut next_sequence = [0u64; 4];
        let mut mempool: Vec<Vec<u8>> = Vec::new();
        // tx hash -> (kind, its blobs)
        let mut expected: std::collections::BTreeMap<[u8; 32], (Kind, Blobs)> = Default::default();
        // tx hash -> slot, for envelopes ordered and not yet resolved.
        let mut ordered: std::collections::BTreeMap<[u8; 32], u64> = Default::default();
        let mut last_valid: Option<SubmitEncrypted> = None;
        let mut resolved = 0;
        for _ in 0..24 {
            for _ in 0..rng.range(0, 6) {
                let who = rng.below(4) as usize;
                let sequence = next_sequence[who];
                next_sequence[who] += 1;
                let nonce = rng.next_u64() as u8;
                let len = rng.range(1, 40) as usize;
                let data = rng.bytes(len);
                let tx = match rng.below(5) {
                    0 => signed_tx(
                        CHAIN,
                        &key(seeds[who]),
                        u64::from(seeds[who] - 1),
                        sequence,
                        FEE,
                        &[blob("plain", &data)],
                    ),
                    1 if last_valid.is_some() => {
                        let msg = last_valid.clone().unwrap();
                        let tx = envelope_tx(msg, seeds[who], sequence);
                        expected.insert(Sha256::digest(&tx).into(), (Kind::Copied, vec![]));
                        tx
                    }
                    2 => {
                        let signer = address_of(&key(seeds[who]));
                        let identity =
                            Identity::derive(CHAIN, 1, signer.as_bytes(), sequence, &[nonce; 32]);
                        // No payload version starts with 0xff.
                        let mut garbage = vec![0xff];
                        garbage.extend_from_slice(&data);
                        garbage.resize(40, 0xff);
                        let sealed = quire_tpke::seal(
                            &net.key.group_key(),
                            &identity,
                            &garbage,
                            [nonce; 32],
                        )
                        .unwrap();
                        let msg = SubmitEncrypted {
                            epoch: 1,
                            nonce: [nonce; 32],
                            ibe_ciphertext: sealed.ibe.to_bytes(),
                            body: sealed.body,
                        };
                        let tx = envelope_tx(msg, seeds[who], sequence);
                        expected.insert(Sha256::digest(&tx).into(), (Kind::Garbage, vec![]));
                        tx
                    }
                    _ => {
                        let rollup = if rng.percent(50) {
                            "sealed-a"
                        } else {
                            "sealed-b"
                        };
                        let msg = envelope(
                            &net.key,
                            seeds[who],
                            sequence,
                            nonce,
                            &[(rollup, &data), ("sealed-c", b"leg")],
                        );
                        last_valid = Some(msg.clone());
                        let tx = envelope_tx(msg, seeds[who], sequence);
                        expected.insert(
                            Sha256::digest(&tx).into(),
                            (
                                Kind::Valid,
                                vec![
                                    (namespace(rollup), data.clone()),
                                    (namespace("sealed-c"), b"leg".to_vec()),
                                ],
                            ),
                        );
                        tx
                    }
                };
                mempool.push(tx);
            }
            rng.shuffle(&mut mempool);
            let proposer = rng.below(4) as usize;
            let height = net.next_height();
            let block = net.height(proposer, &mempool);
            // Included txs leave the mempool; envelopes among them wait.
            let included: std::collections::BTreeSet<[u8; 32]> =
                block.txs.iter().map(|t| t.hash).collect();
            mempool.retain(|tx| !included.contains(&<[u8; 32]>::from(Sha256::digest(tx))));
            for outcome in &block.txs {
                assert!(outcome.result.is_ok(), "seed {seed}: {:?}", outcome.result);
                if expected.contains_key(&outcome.hash) {
                    ordered.insert(outcome.hash, height);
                }
            }
            // What this block resolved: exactly the envelopes of S = h - 2,
            // each as its kind says, its blobs bound by the record.
            let record = net.state.revealed_at(height).unwrap();
            for envelope in &record {
                let slot = ordered.remove(&envelope.tx_hash).expect("resolved once");
                assert_eq!(slot + 2, height, "seed {seed}: revealed two blocks later");
                let (kind, blobs) = &expected[&envelope.tx_hash];
                let want = match kind {
                    Kind::Valid => Outcome::Revealed,
                    Kind::Copied => Outcome::Undecryptable,
                    Kind::Garbage => Outcome::Invalid,
                };
                assert_eq!(envelope.outcome, want, "seed {seed}");
                let got: Vec<(Namespace, Vec<u8>)> = block
                    .blobs
                    .iter()
                    .filter(|b| b.tx_hash == envelope.tx_hash)
                    .map(|b| (b.namespace, b.data.clone()))
                    .collect();
                assert_eq!(&got, blobs, "seed {seed}");
                resolved += 1;
            }
            assert!(
                ordered.values().all(|&slot| slot + 2 > height),
                "seed {seed}: an envelope of {height} - 2 or before is unresolved"
            );
            // Each namespace's blobs bind: revealed ones to their envelope
            // (by signer and data), the rest are plaintext of this block.
            let mut namespaces: Vec<Namespace> = Vec::new();
            for blob in &block.blobs {
                if !namespaces.contains(&blob.namespace) {
                    namespaces.push(blob.namespace);
                }
            }
            for ns in namespaces {
                let read: Vec<(Address, &[u8])> = block
                    .blobs
                    .iter()
                    .filter(|b| b.namespace == ns)
                    .map(|b| (b.signer, b.data.as_slice()))
                    .collect();
                let origins = quire_core::encryption::bind_revealed(&record, ns, &read).unwrap();
                for (origin, blob) in origins
                    .iter()
                    .zip(block.blobs.iter().filter(|b| b.namespace == ns))
                {
                    match origin {
                        quire_core::encryption::BlobOrigin::Envelope(e) => {
                            assert_eq!(e.tx_hash, blob.tx_hash)
                        }
                        quire_core::encryption::BlobOrigin::Plaintext => {
                            assert!(!expected.contains_key(&blob.tx_hash))
                        }
                    }
                }
            }
        }
        assert!(
            resolved > 10,
            "seed {seed}: only {resolved} envelopes resolved"
        );
    }
}
