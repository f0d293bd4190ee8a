//! L1 anchoring through the state machine: four validators sign each
//! height's checkpoint in their vote extensions, the next proposer attests
//! it, every node checks the attestation and keeps it with the history it
//! signs. Wrong keys, malleated or missing signatures, short power, bad
//! indexes, wrong heights and misplaced attestations are all refused.

// Test code: a failed unwrap is the test failing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use quire_app::context::{VoteContext, VoteFlag, VoteInfo};
use quire_app::l1::{checkpoint_at, GenesisL1Signer, L1Genesis, L1Read, ATTESTATION_TAG};
use quire_app::staking::GenesisBond;
use quire_app::state::StateRead;
use quire_app::vote_extension;
use quire_app::{
    BlockContext, CheckState, GenesisAccount, GenesisState, NodeKeys, ProposalError, StateMachine,
};
use quire_core::builder::address_of;
use quire_core::codes::tx as codes;
use quire_core::l1::attestation::ATTESTATION_TX_PREFIX;
use quire_core::l1::{Attestation, Domain, L1Signer, SetL1Key};
use quire_core::merkle;
use quire_core::msg::CheckedCoin;
use quire_core::staking::consensus_address;
use quire_core::staking::msg::{CommissionRates, CreateValidator, Description};
use quire_core::staking::Dec;
use quire_core::{Address, Msg, Params};
use quire_test_utils::{blob, consensus_key, key, signed_tx, MemState};

const CHAIN: &str = "quire-l1";
const L1_CHAIN: u64 = 1337;
const M: u128 = 1_000_000;

fn l1_signer(seed: u8) -> L1Signer {
    L1Signer::from_secret(&[seed + 100; 32]).unwrap()
}

/// Four equal validators (seeds 1..=4), each with its own L1 key.
fn genesis() -> GenesisState {
    let mut genesis = GenesisState {
        params: Params::default(),
        accounts: (1..=5)
            .map(|seed| GenesisAccount {
                address: address_of(&key(seed)).to_bech32(),
                balance: 1_000 * M,
            })
            .collect(),
        staking: Default::default(),
        l1: Some(L1Genesis {
            chain_id: L1_CHAIN,
            signers: (1..=4)
                .map(|seed| {
                    GenesisL1Signer::prove(
                        &l1_signer(seed),
                        &address_of(&key(seed)),
                        CHAIN,
                        L1_CHAIN,
                    )
                    .unwrap()
                })
                .collect(),
        }),
        encryption: None,
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

/// One node per validator (its own L1 key), over one shared state.
struct Net {
    nodes: Vec<StateMachine>,
    state: MemState,
    /// The last height's votes, with extensions.
    last_votes: Vec<VoteInfo>,
    hashes: Vec<[u8; 32]>,
}

impl Net {
    fn new(signers: Vec<L1Signer>) -> Net {
        let nodes: Vec<StateMachine> = signers
            .into_iter()
            .map(|signer| {
                StateMachine::standard_with(NodeKeys {
                    l1_signer: Some(signer),
                    ..NodeKeys::default()
                })
                .build()
                .unwrap()
            })
            .collect();
        let state = MemState::from_genesis(&nodes[0], &genesis(), CHAIN);
        Net {
            nodes,
            state,
            last_votes: Vec::new(),
            hashes: Vec::new(),
        }
    }

    fn honest() -> Net {
        Net::new((1..=4).map(l1_signer).collect())
    }

    fn ctx(&self, hash: [u8; 32]) -> BlockContext {
        quire_test_utils::block_ctx(self.state.height + 1, hash, self.last_votes.clone())
    }

    /// The proposal of the next height by node `proposer`.
    fn propose(&self, proposer: usize, candidates: &[Vec<u8>]) -> Vec<Vec<u8>> {
        let proposal = self.nodes[proposer]
            .prepare_proposal(&self.state, &self.ctx([0; 32]), candidates, 1 << 22)
            .unwrap();
        proposal.txs(candidates)
    }

    fn hash_of(&self, txs: &[Vec<u8>]) -> [u8; 32] {
        quire_test_utils::block_hash(self.state.height, txs)
    }

    /// ProcessProposal of `txs` by every node.
    fn process(&self, txs: &[Vec<u8>]) -> Vec<Result<(), ProposalError>> {
        let ctx = self.ctx(self.hash_of(txs));
        self.nodes
            .iter()
            .map(|node| node.process_proposal(&self.state, &ctx, txs))
            .collect()
    }

    /// Every node's vote for the next height (with `txs`), each checked by
    /// every other node; returns the votes and the verdicts.
    fn vote(&self, txs: &[Vec<u8>]) -> Vec<(VoteInfo, Vec<bool>)> {
        let vote_ctx = VoteContext {
            height: self.state.height + 1,
            block_hash: self.hash_of(txs).to_vec(),
        };
        (0..self.nodes.len())
            .map(|i| {
                let extension = self.nodes[i].extend_vote(&self.state, &vote_ctx).unwrap();
                let validator = consensus_address(&consensus_key(i as u8 + 1));
                let verdicts = self
                    .nodes
                    .iter()
                    .map(|node| {
                        node.verify_vote_extension(&self.state, &vote_ctx, &validator, &extension)
                            .is_ok()
                    })
                    .collect();
                (
                    VoteInfo {
                        validator,
                        power: 10,
                        flag: VoteFlag::Commit,
                        extension,
                    },
                    verdicts,
                )
            })
            .collect()
    }

    /// One honest height: propose, process, vote (rejected extensions make
    /// the vote absent, as CometBFT drops the precommit), finalize, commit.
    fn height(&mut self, proposer: usize, candidates: &[Vec<u8>]) -> Vec<Vec<u8>> {
        self.step(proposer, candidates).0
    }

    /// [`Net::height`], with the block's transactions' codes (0: applied).
    fn step(&mut self, proposer: usize, candidates: &[Vec<u8>]) -> (Vec<Vec<u8>>, Vec<u32>) {
        let txs = self.propose(proposer, candidates);
        for result in self.process(&txs) {
            result.unwrap();
        }
        let votes = self.vote(&txs);
        let hash = self.hash_of(&txs);
        let block = self.nodes[0]
            .finalize_block(&self.state, None, &self.ctx(hash), &txs)
            .unwrap();
        for outcome in &block.system_txs {
            outcome.result.as_ref().unwrap();
        }
        let codes = block
            .txs
            .iter()
            .map(|t| t.result.as_ref().map_or_else(|e| e.code(), |_| 0))
            .collect();
        self.state.commit(&block);
        self.hashes.push(hash);
        self.last_votes = votes
            .into_iter()
            .map(|(mut vote, verdicts)| {
                if verdicts.iter().any(|ok| !ok) {
                    vote.flag = VoteFlag::Absent;
                    vote.extension.clear();
                }
                vote
            })
            .collect();
        (txs, codes)
    }
}

fn attestation_of(txs: &[Vec<u8>]) -> Attestation {
    let tx = txs.iter().find(|tx| ATTESTATION_TAG.matches(tx)).unwrap();
    Attestation::decode(&tx[ATTESTATION_TX_PREFIX.len()..]).unwrap()
}

fn replace_attestation(txs: &[Vec<u8>], attestation: &Attestation) -> Vec<Vec<u8>> {
    txs.iter()
        .map(|tx| {
            if ATTESTATION_TAG.matches(tx) {
                attestation.to_tx()
            } else {
                tx.clone()
            }
        })
        .collect()
}

#[test]
fn every_height_is_attested_and_the_history_is_what_was_signed() {
    let mut net = Net::honest();
    for h in 1..=12u64 {
        let sequence = h - 1;
        let tx = signed_tx(
            CHAIN,
            &key(5),
            4,
            sequence,
            10_000,
            &[blob("rollup-a", format!("data {h}").as_bytes())],
        );
        let txs = net.height((h % 4) as usize, &[tx]);
        // The initial block attests nothing; every later one its parent.
        assert_eq!(
            txs.iter().any(|tx| ATTESTATION_TAG.matches(tx)),
            h > 1,
            "height {h}"
        );
        if h > 1 {
            let attestation = attestation_of(&txs);
            assert_eq!(attestation.height, h - 1);
            // Equal powers: 3 of 4 signatures are just more than 2/3.
            assert_eq!(attestation.signatures.len(), 3);
        }
    }
    let state = &net.state;
    let config = state.l1_config().unwrap().unwrap();
    assert_eq!(config.l1_chain_id, L1_CHAIN);
    let mut leaves = Vec::new();
    for h in 1..=12u64 {
        let record = state
            .get(&quire_app::blob::keys::commitment(h))
            .unwrap()
            .unwrap();
        let record = quire_app::blob::keys::decode_commitment_record(&record).unwrap();
        assert_eq!(record.namespace_count, 1);
        let hash = net.hashes[h as usize - 1];
        assert_eq!(state.l1_block_hash(h).unwrap(), Some(hash));
        // The checkpoint of h, recomputed from the final state, is the one
        // its attestation's signatures sign.
        let checkpoint = checkpoint_at(state, &config, h, hash).unwrap();
        assert_eq!(checkpoint.history_size, h - 1);
        assert_eq!(
            checkpoint.history_root,
            merkle::root_from_leaf_hashes(&leaves)
        );
        if h < 12 {
            let attestation = state.l1_attestation(h).unwrap().unwrap();
            let set = state.l1_set_at(h).unwrap();
            let digest = checkpoint.digest(&config.domain());
            for (index, signature) in &attestation.signatures {
                assert_eq!(
                    signature.recover(&digest).unwrap(),
                    set.members()[*index as usize].signer
                );
            }
        }
        leaves.push(quire_core::l1::history::height_leaf(
            h,
            &hash,
            record.namespace_count,
            &record.namespace_root,
        ));
    }
}

#[test]
fn a_validator_with_a_wrong_l1_key_is_refused_and_the_chain_goes_on() {
    let mut signers: Vec<L1Signer> = (1..=4).map(l1_signer).collect();
    signers[2] = L1Signer::from_secret(&[77; 32]).unwrap();
    let mut net = Net::new(signers);
    net.height(0, &[]);
    let txs = net.propose(1, &[]);
    let votes = net.vote(&txs);
    for (i, (_, verdicts)) in votes.iter().enumerate() {
        assert_eq!(
            verdicts.iter().all(|ok| *ok),
            i != 2,
            "validator {i}: {verdicts:?}"
        );
    }
    for h in 2..=6 {
        let txs = net.height(h % 4, &[]);
        let attestation = attestation_of(&txs);
        assert!(attestation.signatures.iter().all(|(index, _)| {
            let set = net.state.l1_set_at(attestation.height).unwrap();
            set.members()[*index as usize].consensus != consensus_address(&consensus_key(3))
        }));
        assert_eq!(attestation.signatures.len(), 3);
    }
}

#[test]
fn bad_vote_extensions_are_rejected_with_their_reason() {
    let mut net = Net::honest();
    net.height(0, &[]);
    let txs = net.propose(1, &[]);
    let ctx = VoteContext {
        height: 2,
        block_hash: net.hash_of(&txs).to_vec(),
    };
    let node = &net.nodes[0];
    let validator = consensus_address(&consensus_key(2));
    let good = net.nodes[1].extend_vote(&net.state, &ctx).unwrap();
    node.verify_vote_extension(&net.state, &ctx, &validator, &good)
        .unwrap();
    let reason = |extension: &[u8], validator: &[u8; 20], ctx: &VoteContext| {
        node.verify_vote_extension(&net.state, ctx, validator, extension)
            .unwrap_err()
            .to_string()
    };
    // Another validator's signature.
    assert!(reason(&good, &consensus_address(&consensus_key(3)), &ctx).contains("L1 key is"));
    // The signature of another block.
    let other = VoteContext {
        block_hash: vec![9; 32],
        ..ctx.clone()
    };
    assert!(reason(&good, &validator, &other).contains("L1 key is"));
    // None at all.
    assert!(reason(&[], &validator, &ctx).contains("missing"));
    // Malleated: high s.
    let sections = vote_extension::decode(&good).unwrap();
    let section = sections.iter().find(|s| s.component == "l1").unwrap();
    let mut data = section.data.to_vec();
    let order: [u8; 32] =
        hex::decode("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141")
            .unwrap()
            .try_into()
            .unwrap();
    let mut borrow = 0i16;
    for i in (0..32).rev() {
        let d = i16::from(order[i]) - i16::from(data[33 + i]) - borrow;
        data[33 + i] = d.rem_euclid(256) as u8;
        borrow = i16::from(d < 0);
    }
    data[65] ^= 27 ^ 28;
    let high_s = vote_extension::encode(&[("l1", data)]);
    assert!(reason(&high_s, &validator, &ctx).contains("lower half"));
    // Wrong version and length.
    let mut wrong = section.data.to_vec();
    wrong[0] = 2;
    assert!(
        reason(&vote_extension::encode(&[("l1", wrong)]), &validator, &ctx).contains("version")
    );
    let short = section.data[..40].to_vec();
    assert!(reason(&vote_extension::encode(&[("l1", short)]), &validator, &ctx).contains("bytes"));
    // A node outside the set sends no section.
    let outsider = [42u8; 20];
    node.verify_vote_extension(&net.state, &ctx, &outsider, &[])
        .unwrap();
    assert!(reason(&good, &outsider, &ctx).contains("no L1 key"));
}

#[test]
fn bad_attestations_are_rejected_by_every_node() {
    let mut net = Net::honest();
    net.height(0, &[]);
    net.height(1, &[]);
    let honest = net.propose(2, &[]);
    for result in net.process(&honest) {
        result.unwrap();
    }
    let good = attestation_of(&honest);
    let rejected = |txs: &[Vec<u8>], what: &str| {
        for result in net.process(txs) {
            let error = result.unwrap_err().to_string();
            assert!(error.contains(what), "{what}: {error}");
        }
    };
    // Two of four: not more than 2/3.
    let mut short = good.clone();
    short.signatures.truncate(2);
    rejected(&replace_attestation(&honest, &short), "more than 2/3");
    // A signature under another signer's index.
    let mut shifted = good.clone();
    let (index, signature) = shifted.signatures[0];
    let free = (0..4u16)
        .find(|i| !good.signatures.iter().any(|(j, _)| j == i))
        .unwrap();
    shifted.signatures[0] = (free, signature);
    shifted.signatures.sort_by_key(|(i, _)| *i);
    assert_ne!(index, free);
    rejected(
        &replace_attestation(&honest, &shifted),
        "checkpoint signature",
    );
    // An index outside the set.
    let mut outside = good.clone();
    outside.signatures.last_mut().unwrap().0 = 9;
    rejected(&replace_attestation(&honest, &outside), "outside the set");
    // Another height.
    let wrong_height = Attestation {
        height: good.height - 1,
        ..good.clone()
    };
    rejected(&replace_attestation(&honest, &wrong_height), "must attest");
    // Duplicated entries do not decode.
    let mut duplicated = good.clone();
    duplicated.signatures[1] = duplicated.signatures[0];
    rejected(
        &replace_attestation(&honest, &duplicated),
        "not strictly increasing",
    );
    // Missing.
    let missing: Vec<Vec<u8>> = honest
        .iter()
        .filter(|tx| !ATTESTATION_TAG.matches(tx))
        .cloned()
        .collect();
    rejected(&missing, "attestation");
}

#[test]
fn the_initial_block_must_not_carry_an_attestation() {
    let net = Net::honest();
    let mut txs = net.propose(0, &[]);
    assert!(!txs.iter().any(|tx| ATTESTATION_TAG.matches(tx)));
    txs.insert(
        1,
        Attestation {
            height: 0,
            signatures: Vec::new(),
        }
        .to_tx(),
    );
    for result in net.process(&txs) {
        assert!(result.unwrap_err().to_string().contains("must not carry"));
    }
}

/// `MsgCreateValidator` of validator `seed` (consensus key `seed`), 10 M.
fn create(seed: u8) -> Msg {
    Msg::CreateValidator(CreateValidator {
        description: Description {
            moniker: format!("v{seed}"),
            ..Description::default()
        },
        commission: CommissionRates::new(
            Dec::parse("0.1").unwrap(),
            Dec::parse("0.2").unwrap(),
            Dec::parse("0.01").unwrap(),
        ),
        min_self_delegation: M,
        consensus_key: consensus_key(seed),
        value: CheckedCoin::new("uquire", 10 * M),
    })
}

fn set_key(signer: &L1Signer, operator: &Address, domain: &Domain) -> Msg {
    Msg::SetL1Key(SetL1Key::prove(signer, operator, domain).unwrap())
}

/// The code CheckTx gives `tx` over `state` (0: accepted).
fn check_code(node: &StateMachine, state: &MemState, tx: &[u8]) -> u32 {
    node.check_tx(&mut CheckState::new(), state, state.height + 1, tx)
        .map_or_else(|e| e.code(), |_| 0)
}

/// Whether the last height's vote of node `i` carried a checkpoint
/// signature that every node accepted.
fn signed_last_height(net: &Net, i: usize) -> bool {
    let vote = &net.last_votes[i];
    vote.flag == VoteFlag::Commit
        && vote_extension::decode(&vote.extension)
            .unwrap()
            .iter()
            .any(|section| section.component == "l1")
}

#[test]
fn a_validator_created_after_genesis_registers_its_key_and_signs_from_two_heights_on() {
    let mut net = Net::new((1..=5).map(l1_signer).collect());
    net.height(0, &[]);
    let domain = net.state.l1_config().unwrap().unwrap().domain();
    let operator = address_of(&key(5));
    let tx = |msgs: &[Msg]| signed_tx(CHAIN, &key(5), 4, 0, 10_000, msgs);
    let code = |net: &Net, msgs: &[Msg]| check_code(&net.nodes[0], &net.state, &tx(msgs));

    assert_eq!(code(&net, &[create(5)]), codes::L1_KEY_REQUIRED);
    let for_other_operator = set_key(&l1_signer(5), &address_of(&key(4)), &domain);
    assert_eq!(
        code(&net, &[create(5), for_other_operator]),
        codes::L1_KEY_PROOF
    );
    let for_other_l1 = set_key(&l1_signer(5), &operator, &Domain::new(1, CHAIN));
    assert_eq!(code(&net, &[create(5), for_other_l1]), codes::L1_KEY_PROOF);
    let taken = set_key(&l1_signer(1), &operator, &domain);
    assert_eq!(code(&net, &[create(5), taken]), codes::L1_KEY_IN_USE);

    // The key may come before or after MsgCreateValidator.
    let good = [set_key(&l1_signer(5), &operator, &domain), create(5)];
    assert_eq!(code(&net, &good), 0);
    let joined = net.state.height + 1;
    let (_, results) = net.step(1, &[tx(&good)]);
    assert_eq!(results, vec![0]);
    assert_eq!(
        net.state.l1_key(operator.as_bytes()).unwrap(),
        Some(l1_signer(5).address())
    );
    assert_eq!(net.state.l1_set_at(joined + 1).unwrap().len(), 4);
    let next = net.state.l1_set_at(joined + 2).unwrap();
    assert_eq!(next.len(), 5);

    // joined + 1: still the old set, whose checkpoint names the new one.
    net.height(2, &[]);
    assert!(!signed_last_height(&net, 4));
    let config = net.state.l1_config().unwrap().unwrap();
    let checkpoint =
        checkpoint_at(&net.state, &config, joined + 1, net.hashes[joined as usize]).unwrap();
    assert_eq!(checkpoint.next_valset_hash, next.hash());
    assert_ne!(checkpoint.valset_hash, next.hash());

    // joined + 2: the new validator signs; 4 of 5 equal powers attest.
    net.height(3, &[]);
    assert!((0..5).all(|i| signed_last_height(&net, i)));
    let txs = net.height(0, &[]);
    assert_eq!(attestation_of(&txs).height, joined + 2);
    assert_eq!(attestation_of(&txs).signatures.len(), 4);
}

#[test]
fn a_validator_rotates_its_l1_key_and_its_old_key_stays_bound_to_it() {
    let mut net = Net::honest();
    net.height(0, &[]);
    let domain = net.state.l1_config().unwrap().unwrap().domain();
    let v1 = address_of(&key(1));
    let rotate = |msg: Msg| signed_tx(CHAIN, &key(1), 0, 0, 10_000, &[msg]);

    let same = set_key(&l1_signer(1), &v1, &domain);
    assert_eq!(
        check_code(&net.nodes[0], &net.state, &rotate(same)),
        codes::L1_KEY_UNCHANGED
    );
    let new_key = L1Signer::from_secret(&[111; 32]).unwrap();
    let rotated = net.state.height + 1;
    let (_, results) = net.step(1, &[rotate(set_key(&new_key, &v1, &domain))]);
    assert_eq!(results, vec![0]);
    let member = |net: &Net, h: u64| {
        let set = net.state.l1_set_at(h).unwrap();
        set.by_consensus(&consensus_address(&consensus_key(1)))
            .unwrap()
            .1
            .signer
    };
    assert_eq!(member(&net, rotated + 1), l1_signer(1).address());
    assert_eq!(member(&net, rotated + 2), new_key.address());

    // The node signs rotated + 1 with its old key, then switches keys.
    net.height(2, &[]);
    assert!(signed_last_height(&net, 0));
    net.nodes[0] = StateMachine::standard_with(NodeKeys {
        l1_signer: Some(new_key),
        ..NodeKeys::default()
    })
    .build()
    .unwrap();
    net.height(3, &[]);
    assert!((0..4).all(|i| signed_last_height(&net, i)));

    // The old key stays v1's: validator 2 cannot take it over.
    let takeover = set_key(&l1_signer(1), &address_of(&key(2)), &domain);
    let tx = signed_tx(CHAIN, &key(2), 1, 0, 10_000, &[takeover]);
    assert_eq!(
        check_code(&net.nodes[0], &net.state, &tx),
        codes::L1_KEY_IN_USE
    );
}

#[test]
fn a_chain_without_l1_takes_no_keys_and_needs_none() {
    let node = StateMachine::standard().build().unwrap();
    let mut unanchored = genesis();
    unanchored.l1 = None;
    let state = MemState::from_genesis(&node, &unanchored, CHAIN);
    let domain = Domain::new(L1_CHAIN, CHAIN);
    let operator = address_of(&key(5));
    let tx = |msgs: &[Msg]| signed_tx(CHAIN, &key(5), 4, 0, 10_000, msgs);
    assert_eq!(
        check_code(
            &node,
            &state,
            &tx(&[set_key(&l1_signer(5), &operator, &domain)])
        ),
        codes::L1_NOT_ANCHORED
    );
    assert_eq!(check_code(&node, &state, &tx(&[create(5)])), 0);
}
