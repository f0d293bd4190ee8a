//! The on-chain key generation through the state machine: four validators
//! deal, acknowledge and log in their vote extensions; the proposers record
//! the messages; at the log phase's end every node observes the same epoch
//! key, and envelopes sealed to it are revealed from the shares each
//! validator derived. A silent validator still gets its share; too many
//! silent ones fail the round and the next starts, with the chain live. A
//! forged or out-of-phase message is refused by every node.

// Test code: a failed unwrap is the test failing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use quire_app::encryption::dkg::state::DkgRead;
use quire_app::encryption::dkg::DKG_TAG;
use quire_app::encryption::genesis::DkgGenesis;
use quire_app::encryption::{EncryptionGenesis, EncryptionRead, Outcome};
use quire_app::staking::GenesisBond;
use quire_app::vote_extension;
use quire_app::{GenesisAccount, GenesisState, NodeKeys, ProposalError, StateMachine};
use quire_core::builder::address_of;
use quire_core::codes::tx as codes;
use quire_core::encryption::{SetDkgKey, SubmitEncrypted};
use quire_core::envelope::EnvelopePayload;
use quire_core::msg::CheckedCoin;
use quire_core::staking::consensus_address;
use quire_core::staking::msg::Undelegate;
use quire_core::{Msg, Namespace, Params};
use quire_test_utils::{consensus_key, key, signed_tx, Net};
use quire_tpke::dkg::DkgSecret;
use quire_tpke::{EpochKey, Identity};

const CHAIN: &str = "quire-dkg";
const M: u128 = 1_000_000;
const PHASE: u64 = 3;
/// The first round's outcome is known at the end of this height.
const DEADLINE: u64 = 3 * PHASE;
const ALICE: u8 = 5;

fn secret(i: usize) -> DkgSecret {
    DkgSecret::from_bytes([100 + i as u8; 32])
}

fn genesis() -> GenesisState {
    let players: Vec<_> = (0..4)
        .map(|i| (consensus_key(i as u8 + 1), secret(i).public()))
        .collect();
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
        encryption: Some(EncryptionGenesis::generated(&players, PHASE)),
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

/// Validators `playing` (0-based) hold their key-generation secrets; the
/// others stay silent.
fn net(playing: &[usize]) -> Net {
    net_from(playing, &genesis())
}

/// [`net`] from `genesis`.
fn net_from(playing: &[usize], genesis: &GenesisState) -> Net {
    let nodes = (0..4)
        .map(|i| {
            StateMachine::standard_with(NodeKeys {
                dkg_secret: playing.contains(&i).then(|| secret(i)),
                ..NodeKeys::default()
            })
            .build()
            .unwrap()
        })
        .collect();
    let validators = (1..=4)
        .map(|s| consensus_address(&consensus_key(s)))
        .collect();
    Net::new(nodes, validators, genesis, CHAIN)
}

fn run_to(net: &mut Net, height: u64) {
    while net.state.height < height {
        next_height(net, &[]);
    }
}

fn envelope_tx(epoch_key: &EpochKey, epoch: u64, sequence: u64, data: &[u8]) -> Vec<u8> {
    let signer = address_of(&key(ALICE));
    let nonce = [sequence as u8 + 1; 32];
    let identity = Identity::derive(CHAIN, epoch, signer.as_bytes(), sequence, &nonce);
    let payload = EnvelopePayload {
        blobs: vec![(Namespace::from_rollup_name("rollup-a"), data.to_vec())],
    };
    let sealed =
        quire_tpke::seal(&epoch_key.group_key(), &identity, &payload.encode(), nonce).unwrap();
    let msg = SubmitEncrypted {
        epoch,
        nonce,
        ibe_ciphertext: sealed.ibe.to_bytes(),
        body: sealed.body,
    };
    signed_tx(
        CHAIN,
        &key(ALICE),
        u64::from(ALICE - 1),
        sequence,
        100_000,
        &[Msg::SubmitEncrypted(msg)],
    )
}

/// Submits an envelope, runs two more heights (proposers in turn), and
/// returns what its reveal resolved it to.
fn reveal_one(net: &mut Net, epoch_key: &EpochKey, epoch: u64, sequence: u64) -> Outcome {
    let tx = envelope_tx(epoch_key, epoch, sequence, b"sealed before ordering");
    assert_eq!(net.check_tx(&tx), Ok(()));
    let block = next_height(net, std::slice::from_ref(&tx));
    assert!(block.txs[0].result.is_ok());
    next_height(net, &[]);
    let reveal_height = net.next_height();
    let block = next_height(net, &[]);
    let record = net.state.revealed_at(reveal_height).unwrap();
    assert_eq!(record.len(), 1, "the envelope is resolved two blocks later");
    if record[0].outcome == Outcome::Revealed {
        assert!(block
            .blobs
            .iter()
            .any(|b| b.data == b"sealed before ordering"));
    }
    record[0].outcome
}

/// Proposes (round robin over the nodes) one height carrying `candidates`.
fn next_height(net: &mut Net, candidates: &[Vec<u8>]) -> quire_app::FinalizedBlock {
    let proposer = (net.state.height % net.nodes.len() as u64) as usize;
    net.height(proposer, candidates)
}

#[test]
fn four_validators_generate_the_key_their_envelopes_are_revealed_with() {
    let mut net = net(&[0, 1, 2, 3]);
    assert!(net.state.encryption_params().unwrap().is_none());
    // No key yet: an envelope is refused with a clear code.
    let early = envelope_tx(&quire_tpke::deal([1; 32], 4).unwrap().0, 1, 0, b"x");
    assert_eq!(net.check_tx(&early), Err(codes::ENCRYPTION_KEY_GENERATION));

    run_to(&mut net, PHASE);
    assert_eq!(net.state.dkg_deals(1).unwrap().len(), 4, "all four dealt");
    run_to(&mut net, 2 * PHASE);
    for dealer in 0..4 {
        assert_eq!(
            net.state.dkg_acks(1, dealer).unwrap().len(),
            4,
            "all acked {dealer}"
        );
    }
    run_to(&mut net, DEADLINE - 1);
    assert_eq!(net.state.dkg_logs(1).unwrap().len(), 4);
    assert!(net.state.encryption_params().unwrap().is_none());
    run_to(&mut net, DEADLINE);

    let params = net.state.encryption_params().unwrap().expect("a key");
    assert_eq!(params.epoch, 1);
    assert_eq!(params.members.len(), 4);
    let key = net.state.encryption_key().unwrap().unwrap();
    assert_eq!((key.participants(), key.threshold()), (4, 3));
    assert!(net.state.dkg_round().unwrap().is_none(), "the round ended");
    assert_eq!(net.state.dkg_keyed_round().unwrap(), Some(1));
    // No more dkg transactions once the key is made.
    let block = net.height(3, &[]);
    assert!(block.system_txs.iter().all(|s| s.kind != "dkg"));

    assert_eq!(reveal_one(&mut net, &key, 1, 0), Outcome::Revealed);
}

#[test]
fn a_silent_validator_delays_nothing_and_the_others_reveal() {
    let mut net = net(&[0, 1, 2]);
    run_to(&mut net, DEADLINE);
    let key = net
        .state
        .encryption_key()
        .unwrap()
        .expect("a key from three dealers");
    assert_eq!(net.state.dkg_logs(1).unwrap().len(), 3);
    assert_eq!(reveal_one(&mut net, &key, 1, 0), Outcome::Revealed);
}

#[test]
fn two_silent_validators_fail_the_round_and_the_next_one_starts() {
    let mut net = net(&[0, 1]);
    run_to(&mut net, DEADLINE);
    assert!(net.state.encryption_params().unwrap().is_none());
    let running = net.state.dkg_round().unwrap().expect("round 2");
    assert_eq!((running.round, running.start), (2, DEADLINE + 1));
    assert!(
        net.state.dkg_deals(1).unwrap().is_empty(),
        "round 1's records are gone"
    );
    // The chain stays live through round 2.
    run_to(&mut net, DEADLINE + PHASE);
    assert_eq!(net.state.dkg_deals(2).unwrap().len(), 2);
    let early = envelope_tx(&quire_tpke::deal([1; 32], 4).unwrap().0, 1, 0, b"x");
    assert_eq!(net.check_tx(&early), Err(codes::ENCRYPTION_KEY_GENERATION));
}

/// The dkg tx of `txs` with `edit` applied to its payload.
fn edit_dkg(txs: &[Vec<u8>], edit: impl Fn(&mut Vec<u8>)) -> Vec<Vec<u8>> {
    txs.iter()
        .map(|tx| {
            let mut tx = tx.clone();
            if DKG_TAG.matches(&tx) {
                edit(&mut tx);
            }
            tx
        })
        .collect()
}

#[test]
fn forged_dropped_or_replayed_messages_are_refused_by_every_node() {
    let mut net = net(&[0, 1, 2, 3]);
    net.height(0, &[]);
    let txs = net.propose(1, &[]);
    let dkg = txs.iter().find(|tx| DKG_TAG.matches(tx)).expect("a dkg tx");
    assert!(dkg.len() > 1000, "four deals");
    // A flipped byte in the last message's signature.
    let forged = edit_dkg(&txs, |tx| {
        let last = tx.len() - 1;
        tx[last] ^= 1;
    });
    for result in net.process(&forged) {
        assert!(
            matches!(&result, Err(ProposalError::SystemTx { .. })),
            "{result:?}"
        );
    }
    // The dkg tx dropped from a block that must carry one.
    let dropped: Vec<Vec<u8>> = txs
        .iter()
        .filter(|tx| !DKG_TAG.matches(tx))
        .cloned()
        .collect();
    for result in net.process(&dropped) {
        assert!(result.is_err());
    }
    net.commit(&txs);
    // The same deals again: already recorded.
    let next = net.propose(2, &[]);
    let replayed: Vec<Vec<u8>> = next
        .iter()
        .map(|tx| {
            if DKG_TAG.matches(tx) {
                dkg.clone()
            } else {
                tx.clone()
            }
        })
        .collect();
    for result in net.process(&replayed) {
        let err = result.unwrap_err().to_string();
        assert!(err.contains("already recorded"), "{err}");
    }
    net.commit(&next);
}

/// Drops the encryption sections of the last votes of validators
/// `withholding` (they vote, but send no decryption shares).
fn withhold_shares(net: &mut Net, withholding: &[usize]) {
    let validators = net.validators.clone();
    for vote in &mut net.last_votes {
        let Some(i) = validators.iter().position(|v| *v == vote.validator) else {
            continue;
        };
        if !withholding.contains(&i) {
            continue;
        }
        let sections = vote_extension::decode(&vote.extension).unwrap();
        let kept: Vec<(&str, Vec<u8>)> = sections
            .iter()
            .filter(|s| s.component != "encryption")
            .map(|s| (s.component, s.data.to_vec()))
            .collect();
        let stripped = vote_extension::encode(&kept);
        vote.extension = stripped;
    }
}

#[test]
fn a_key_made_while_slots_of_the_old_epoch_are_pending_waits_for_them() {
    const EXPIRY: u64 = 12;
    let mut genesis = genesis();
    let section = genesis.encryption.as_mut().unwrap();
    section.expiry_blocks = EXPIRY;
    section.expiries_to_disable = 1;
    let mut net = net_from(&[0, 1, 2, 3], &genesis);
    run_to(&mut net, DEADLINE);
    let old_key = net.state.encryption_key().unwrap().unwrap();

    // Three of four withhold their shares; an envelope a block until the
    // first slot expires and the chain turns plaintext-only (K = 1).
    let first_slot = net.next_height();
    let mut sequence = 0;
    loop {
        let tx = envelope_tx(&old_key, 1, sequence, b"never revealed");
        let proposer = (net.state.height % 4) as usize;
        let block = net.height(proposer, std::slice::from_ref(&tx));
        withhold_shares(&mut net, &[1, 2, 3]);
        if block.txs.is_empty() {
            break; // refused: plaintext only
        }
        sequence += 1;
        assert!(sequence < 40);
    }
    let inactive = net
        .state
        .encryption_status()
        .unwrap()
        .inactive_since
        .unwrap();
    assert_eq!(inactive, first_slot + EXPIRY);
    let round = net.state.dkg_round().unwrap().expect("a new round");
    assert_eq!((round.round, round.start), (2, inactive + 1));

    // Round 2 ends at its deadline while younger slots still wait: its key
    // waits too, and the old epoch keeps serving them.
    run_to_withholding(&mut net, inactive + 3 * PHASE);
    assert!(!net.state.pending_slots().unwrap().is_empty());
    assert!(
        net.state.dkg_ready().unwrap().is_some(),
        "the new key waits"
    );
    assert_eq!(net.state.encryption_params().unwrap().unwrap().epoch, 1);
    // Once the last old slot expires, the new key is installed.
    let last_slot = first_slot + sequence - 1;
    run_to_withholding(&mut net, last_slot + EXPIRY);
    assert!(net.state.pending_slots().unwrap().is_empty());
    let params = net.state.encryption_params().unwrap().unwrap();
    assert_eq!(params.epoch, 2);
    assert!(net.state.dkg_ready().unwrap().is_none());
    assert!(net
        .state
        .encryption_status()
        .unwrap()
        .inactive_since
        .is_none());
    // Every old envelope expired (none was opened with the wrong key).
    for height in first_slot..=net.state.height {
        for resolved in net.state.revealed_at(height).unwrap() {
            assert_eq!(resolved.outcome, Outcome::Expired, "at {height}");
        }
    }
    // The new epoch's envelopes are revealed by everyone's new shares.
    let new_key = net.state.encryption_key().unwrap().unwrap();
    assert_ne!(new_key, old_key);
    assert_eq!(
        reveal_one(&mut net, &new_key, 2, sequence),
        Outcome::Revealed
    );
}

fn run_to_withholding(net: &mut Net, height: u64) {
    while net.state.height < height {
        let proposer = (net.state.height % 4) as usize;
        net.height(proposer, &[]);
        withhold_shares(net, &[1, 2, 3]);
    }
}

/// Account (and consensus key seed) of the validator that joins.
const NEWCOMER: u8 = 6;

/// `MsgSetDkgKey` of `secret` for the account of `seed`.
fn set_dkg_key(secret: &DkgSecret, seed: u8) -> Msg {
    let operator = address_of(&key(seed));
    Msg::SetDkgKey(SetDkgKey {
        key: secret.public().to_bytes(),
        proof: secret.prove_registration(CHAIN, operator.as_bytes()),
    })
}

/// The players of round 2, which must be running from `start`.
fn round_2_players(net: &Net, start: u64) -> quire_app::encryption::dkg::state::RoundPlayers {
    let round = net
        .state
        .dkg_round()
        .unwrap()
        .expect("a round for the new set");
    assert_eq!((round.round, round.start), (2, start));
    net.state.dkg_players(2).unwrap()
}

#[test]
fn a_validator_joining_under_load_makes_a_new_epoch_with_it_and_no_envelope_is_lost() {
    let mut net = net(&[0, 1, 2, 3]);
    run_to(&mut net, DEADLINE);
    let key1 = net.state.encryption_key().unwrap().unwrap();
    assert_eq!(net.state.encryption_params().unwrap().unwrap().epoch, 1);

    // A new validator must bring key-generation keys, with a proof that
    // holds for its operator on this chain, never another's keys.
    let newcomer = address_of(&key(NEWCOMER));
    let bond = GenesisBond::new(&newcomer, &consensus_key(NEWCOMER), "v6", 10 * M)
        .to_msg(&Params::default().fee_denom)
        .unwrap();
    let create = Msg::CreateValidator(bond);
    let account = u64::from(NEWCOMER - 1);
    let mine = secret(4);
    let tx = |msgs: &[Msg]| signed_tx(CHAIN, &key(NEWCOMER), account, 0, 200_000, msgs);
    assert_eq!(
        net.check_tx(&tx(std::slice::from_ref(&create))),
        Err(codes::DKG_KEY_REQUIRED)
    );
    assert_eq!(
        net.check_tx(&tx(&[create.clone(), set_dkg_key(&secret(0), NEWCOMER)])),
        Err(codes::DKG_KEY_IN_USE),
        "validator 1's keys"
    );
    let mut forged = set_dkg_key(&mine, NEWCOMER);
    if let Msg::SetDkgKey(m) = &mut forged {
        m.proof = mine.prove_registration("another-chain", newcomer.as_bytes());
    }
    assert_eq!(
        net.check_tx(&tx(&[create.clone(), forged])),
        Err(codes::DKG_KEY_PROOF)
    );

    // Load: one envelope of Alice's in every block, sealed to the epoch the
    // chain names; the validator joins in the middle of it.
    let mut sequence = 0;
    let mut ordered = Vec::new();
    let mut ending = 0;

    let join = tx(&[create, set_dkg_key(&mine, NEWCOMER)]);
    assert_eq!(net.check_tx(&join), Ok(()));
    for step in 0..(3 * PHASE + 8) {
        let params = net.state.encryption_params().unwrap().unwrap();
        if params.epoch == 2 {
            break;
        }
        let mut candidates = Vec::new();
        if step == 1 {
            candidates.push(join.clone());
        }
        let envelope = envelope_tx(&key1, 1, sequence, b"sealed across the change");
        match net.check_tx(&envelope) {
            Ok(()) => candidates.push(envelope),
            Err(code) => {
                assert_eq!(code, codes::ENCRYPTION_EPOCH_ENDING, "at step {step}");
                ending += 1;
            }
        }
        let height = net.next_height();
        let block = next_height(&mut net, &candidates);
        assert_eq!(block.txs.len(), candidates.len(), "every candidate in");
        for result in &block.txs {
            assert!(result.result.is_ok(), "at {height}: {result:?}");
        }
        if candidates.len() > usize::from(step == 1) {
            ordered.push(height);
            sequence += 1;
        }
        if step == 1 {
            // The set grows: the newcomer votes (and plays) from now on.
            net.nodes.push(
                StateMachine::standard_with(NodeKeys {
                    dkg_secret: Some(mine.clone()),
                    ..NodeKeys::default()
                })
                .build()
                .unwrap(),
            );
            net.validators
                .push(consensus_address(&consensus_key(NEWCOMER)));
            assert_eq!(round_2_players(&net, height + 1).len(), 5);
        }
    }
    let params = net.state.encryption_params().unwrap().unwrap();
    assert_eq!(params.epoch, 2, "the new key is installed");
    assert_eq!(params.members.len(), 5);
    assert!(params
        .members
        .contains(&consensus_address(&consensus_key(NEWCOMER))));
    let key2 = net.state.encryption_key().unwrap().unwrap();
    assert_eq!((key2.participants(), key2.threshold()), (5, 4));
    assert_ne!(key2, key1);
    assert!(
        (1..=3).contains(&ending),
        "the old epoch drained for a block or few ({ending} envelopes refused with 87)"
    );

    eprintln!(
        "epoch 2 installed at {}, {} envelopes of epoch 1 ordered, {ending} refused while it drained",
        net.state.height,
        ordered.len()
    );
    // Every envelope of epoch 1 was revealed, none expired, none lost.
    let mut revealed = 0;
    for height in DEADLINE..=net.state.height {
        for resolved in net.state.revealed_at(height).unwrap() {
            assert_eq!(resolved.outcome, Outcome::Revealed, "at {height}");
            revealed += 1;
        }
    }
    assert_eq!(revealed, ordered.len());
    assert!(ordered.len() >= 3 * PHASE as usize);
    // The five validators' new shares reveal epoch 2's envelopes.
    assert_eq!(reveal_one(&mut net, &key2, 2, sequence), Outcome::Revealed);
    // And the set is what it was keyed for: no further round.
    assert!(net.state.dkg_round().unwrap().is_none());
}

#[test]
fn a_validator_leaving_makes_a_new_epoch_without_it() {
    let mut net = net(&[0, 1, 2, 3]);
    run_to(&mut net, DEADLINE);
    // Validator 4's operator takes its whole bond back: it leaves the set.
    let operator = address_of(&key(4));
    let leave = signed_tx(
        CHAIN,
        &key(4),
        3,
        0,
        200_000,
        &[Msg::Undelegate(Undelegate {
            validator: operator,
            amount: CheckedCoin::new(Params::default().fee_denom, 10 * M),
        })],
    );
    let height = net.next_height();
    let block = net.height(0, &[leave]);
    assert!(block.txs[0].result.is_ok(), "{:?}", block.txs[0].result);
    assert!(block.validator_updates.iter().any(|u| u.power == 0));
    let players = round_2_players(&net, height + 1);
    assert_eq!(players.len(), 3);
    let gone = consensus_address(&consensus_key(4));
    assert!(players.of(&gone).is_none());
    // It stops voting once out of the set.
    net.nodes.pop();
    net.validators.pop();
    while net.state.encryption_params().unwrap().unwrap().epoch == 1 {
        assert!(net.state.height < height + 3 * PHASE + 4, "epoch 2 is late");
        next_height(&mut net, &[]);
    }
    let params = net.state.encryption_params().unwrap().unwrap();
    assert_eq!(params.members.len(), 3);
    assert!(!params.members.contains(&gone));
    let key2 = net.state.encryption_key().unwrap().unwrap();
    assert_eq!(reveal_one(&mut net, &key2, 2, 0), Outcome::Revealed);
}

#[test]
fn genesis_lists_every_validator_once_with_its_keys() {
    let machine = StateMachine::standard_with(NodeKeys::default())
        .build()
        .unwrap();
    let refused = |genesis: &GenesisState| {
        machine
            .genesis(CHAIN, 1, genesis)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default()
    };
    assert!(machine.genesis(CHAIN, 1, &genesis()).is_ok());
    let with = |edit: &dyn Fn(&mut DkgGenesis)| {
        let mut genesis = genesis();
        edit(genesis.encryption.as_mut().unwrap().dkg.as_mut().unwrap());
        genesis
    };
    for (genesis, error) in [
        (
            with(&|dkg| drop(dkg.players.pop())),
            "must list every genesis validator",
        ),
        (
            with(&|dkg| dkg.players[1].dkg_key = dkg.players[0].dkg_key.clone()),
            "listed twice",
        ),
        (with(&|dkg| dkg.phase_blocks = 2), "phase_blocks"),
    ] {
        let refusal = refused(&genesis);
        assert!(refusal.contains(error), "{refusal}");
    }
}

#[test]
fn the_threshold_holds_in_stake_one_validator_with_most_of_it_plays_alone() {
    // 97 % of the stake with validator 1: three count-threshold shares of
    // the others (3 %) could decrypt without it. It plays alone, as it
    // alone makes blocks.
    let mut genesis = genesis();
    genesis.staking.validators[0].self_bond = 97 * M;
    genesis.staking.validators[0].min_self_delegation = 1;
    for bond in &mut genesis.staking.validators[1..] {
        bond.self_bond = M;
        bond.min_self_delegation = 1;
    }
    let mut net = net_from(&[0, 1, 2, 3], &genesis);
    let players = net.state.dkg_players(1).unwrap();
    assert_eq!(players.len(), 1);
    assert!(players.of(&consensus_address(&consensus_key(1))).is_some());
    run_to(&mut net, DEADLINE);
    let key = net.state.encryption_key().unwrap().expect("a key");
    assert_eq!((key.participants(), key.threshold()), (1, 1));
    assert_eq!(reveal_one(&mut net, &key, 1, 0), Outcome::Revealed);
    // The set it was made for is the one that holds in stake: no new round.
    assert!(net.state.dkg_round().unwrap().is_none());
}
