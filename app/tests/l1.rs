//! L1 anchoring through the state machine: four validators sign each
//! height's checkpoint in their vote extensions, the next proposer attests
//! it, every node checks the attestation and keeps it with the history it
//! signs. Wrong keys, malleated or missing signatures, short power, bad
//! indexes, wrong heights and misplaced attestations are all refused.

// Test code: a failed unwrap is the test failing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use quire_app::context::{CommitInfo, Timestamp, VoteContext, VoteFlag, VoteInfo};
use quire_app::l1::{checkpoint_at, GenesisL1Signer, L1Genesis, L1Read, ATTESTATION_TAG};
use quire_app::staking::GenesisBond;
use quire_app::state::StateRead;
use quire_app::vote_extension;
use quire_app::{
    BlockContext, GenesisAccount, GenesisState, NodeKeys, ProposalError, StateMachine,
};
use quire_core::builder::address_of;
use quire_core::l1::attestation::ATTESTATION_TX_PREFIX;
use quire_core::l1::{Attestation, L1Signer};
use quire_core::merkle;
use quire_core::staking::consensus_address;
use quire_core::Params;
use quire_test_utils::{blob, key, signed_tx, MemState};
use sha2::{Digest, Sha256};

const CHAIN: &str = "quire-l1";
const L1_CHAIN: u64 = 1337;
const M: u128 = 1_000_000;

fn consensus_key(seed: u8) -> [u8; 32] {
    ed25519_consensus::SigningKey::from([seed; 32])
        .verification_key()
        .to_bytes()
}

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
        let height = self.state.height + 1;
        BlockContext {
            height,
            time: Timestamp::from_seconds(1_000 + height as i64),
            hash,
            last_commit: CommitInfo {
                round: 0,
                votes: self.last_votes.clone(),
            },
            ..BlockContext::default()
        }
    }

    /// The proposal of the next height by node `proposer`.
    fn propose(&self, proposer: usize, candidates: &[Vec<u8>]) -> Vec<Vec<u8>> {
        let proposal = self.nodes[proposer]
            .prepare_proposal(&self.state, &self.ctx([0; 32]), candidates, 1 << 22)
            .unwrap();
        proposal.txs(candidates)
    }

    fn hash_of(&self, txs: &[Vec<u8>]) -> [u8; 32] {
        let mut hasher = Sha256::new();
        hasher.update(self.state.height.to_be_bytes());
        for tx in txs {
            hasher.update(tx);
        }
        hasher.finalize().into()
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
        txs
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
        let (count, root) = quire_app::blob::keys::decode_commitment_record(&record).unwrap();
        assert_eq!(count, 1);
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
        leaves.push(quire_core::l1::history::height_leaf(h, &hash, count, &root));
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
