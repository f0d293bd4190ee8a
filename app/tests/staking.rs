//! Staking: the set CometBFT gets, the queues, every refusal code, and a
//! seeded simulation of random staking messages with the invariants checked
//! after every block.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use quire_app::context::Timestamp;
use quire_app::staking::state::{BondStatus, StakingRead};
use quire_app::staking::GenesisBond;
use quire_app::{BlockContext, GenesisAccount, GenesisState, StateMachine, ValidatorUpdate};
use quire_core::builder::address_of;
use quire_core::codes::tx as codes;
use quire_core::msg::CheckedCoin;
use quire_core::staking::msg::*;
use quire_core::staking::{Dec, StakingParams};
use quire_core::{Address, Msg, Params};
use quire_test_utils::{consensus_key, key, signed_tx, MemState, Rng};
use std::collections::BTreeMap;
use std::sync::LazyLock;

const CHAIN: &str = "quire-staking";
const M: u128 = 1_000_000;
const BALANCE: u128 = 1_000 * M;
const UNBONDING_SECS: u64 = 60;
const BLOCK_SECS: i64 = 5;

static MACHINE: LazyLock<StateMachine> = LazyLock::new(|| {
    StateMachine::standard()
        .check_invariants(true)
        .build()
        .unwrap()
});

fn addr(seed: u8) -> Address {
    address_of(&key(seed))
}

/// A chain with accounts 1..=6 (1 and 2 operate genesis validators of power
/// 10), blocks every 5 s, unbonding in 60 s, at most 3 validators, 2
/// entries per pair.
struct Chain {
    state: MemState,
    time: i64,
    sequences: BTreeMap<u8, u64>,
    /// The set CometBFT would have: genesis plus every update.
    cometbft: BTreeMap<[u8; 32], u64>,
    /// The set that signs each height (updates of H sign from H + 2).
    sets: BTreeMap<u64, BTreeMap<[u8; 32], u64>>,
    /// Consensus keys whose votes are absent from the next commits.
    absent: std::collections::BTreeSet<[u8; 32]>,
    /// Evidence the next block carries.
    evidence: Vec<quire_app::context::Misbehavior>,
}

impl Chain {
    fn new() -> Self {
        Self::with_params(|_| {})
    }

    /// A chain whose staking params `edit` changes from the ones above.
    fn with_params(edit: impl FnOnce(&mut StakingParams)) -> Self {
        let mut genesis = GenesisState {
            params: Params::default(),
            accounts: (1..=6)
                .map(|seed| GenesisAccount {
                    address: addr(seed).to_bech32(),
                    balance: BALANCE,
                })
                .collect(),
            staking: Default::default(),
            l1: None,
            encryption: None,
        };
        genesis.staking.params = StakingParams {
            unbonding_time_secs: UNBONDING_SECS,
            max_validators: 3,
            max_entries: 2,
            commission_change_interval_secs: 3600,
            ..StakingParams::default()
        };
        edit(&mut genesis.staking.params);
        for seed in [1, 2] {
            genesis.staking.validators.push(GenesisBond::new(
                &addr(seed),
                &consensus_key(seed),
                &format!("v{seed}"),
                10 * M,
            ));
        }
        let output = MACHINE.genesis(CHAIN, 1, &genesis).unwrap();
        let cometbft: BTreeMap<[u8; 32], u64> = output
            .validators
            .iter()
            .map(|u| (u.pub_key, u.power))
            .collect();
        let mut state = MemState {
            app_hash: output.app_hash,
            ..MemState::default()
        };
        state.apply(&output.changes, &output.tree);
        Chain {
            state,
            time: 1_000_000,
            sequences: BTreeMap::new(),
            sets: [(1, cometbft.clone()), (2, cometbft.clone())].into(),
            cometbft,
            absent: Default::default(),
            evidence: Vec::new(),
        }
    }

    /// Stops (or resumes) `seed`'s votes.
    fn set_absent(&mut self, seed: u8, absent: bool) {
        if absent {
            self.absent.insert(consensus_key(seed));
        } else {
            self.absent.remove(&consensus_key(seed));
        }
    }

    /// Evidence of `seed` double signing at `height` (with its power then).
    fn double_sign(&mut self, seed: u8, height: u64) {
        let power = self.sets[&height][&consensus_key(seed)];
        self.evidence.push(quire_app::context::Misbehavior {
            kind: quire_app::context::MisbehaviorKind::DuplicateVote,
            validator: quire_core::staking::consensus_address(&consensus_key(seed)),
            power,
            height,
            time: Timestamp::from_seconds(self.time),
            total_voting_power: self.sets[&height].values().sum(),
        });
    }

    /// The commit of `height` as the next block carries it.
    fn commit_of(&self, height: u64) -> quire_app::context::CommitInfo {
        use quire_app::context::{CommitInfo, VoteFlag, VoteInfo};
        let Some(set) = self.sets.get(&height).filter(|_| height > 0) else {
            return CommitInfo::default();
        };
        CommitInfo {
            round: 0,
            votes: set
                .iter()
                .map(|(key, power)| VoteInfo {
                    validator: quire_core::staking::consensus_address(key),
                    power: *power,
                    flag: if self.absent.contains(key) {
                        VoteFlag::Absent
                    } else {
                        VoteFlag::Commit
                    },
                    extension: Vec::new(),
                })
                .collect(),
        }
    }

    /// A tx of account `seed` with its next sequence.
    fn tx(&mut self, seed: u8, msgs: &[Msg]) -> (u8, Vec<u8>) {
        let sequence = self.sequences.entry(seed).or_insert(0);
        let tx = signed_tx(
            CHAIN,
            &key(seed),
            u64::from(seed - 1),
            *sequence,
            10_000,
            msgs,
        );
        *sequence += 1;
        (seed, tx)
    }

    /// One block of `txs` (signer, bytes); returns each tx's code and the
    /// updates.
    fn block(&mut self, signed: &[(u8, Vec<u8>)]) -> (Vec<u32>, Vec<ValidatorUpdate>) {
        let txs: Vec<&Vec<u8>> = signed.iter().map(|(_, tx)| tx).collect();
        self.time += BLOCK_SECS;
        let height = self.state.height + 1;
        let ctx = BlockContext {
            height,
            time: Timestamp::from_seconds(self.time),
            last_commit: self.commit_of(height - 1),
            misbehavior: std::mem::take(&mut self.evidence),
            ..BlockContext::default()
        };
        let block = MACHINE
            .finalize_block(&self.state, None, &ctx, &txs)
            .unwrap();
        self.state.commit(&block);
        for update in &block.validator_updates {
            if update.power == 0 {
                assert!(
                    self.cometbft.remove(&update.pub_key).is_some(),
                    "removal of a key CometBFT does not have"
                );
            } else {
                self.cometbft.insert(update.pub_key, update.power);
            }
        }
        assert!(!self.cometbft.is_empty(), "the set became empty");
        self.sets.insert(height + 2, self.cometbft.clone());
        let last: BTreeMap<[u8; 32], u64> = self
            .state
            .last_set()
            .unwrap()
            .into_iter()
            .map(|(op, power)| {
                (
                    self.state.validator(&op).unwrap().unwrap().consensus_key,
                    power,
                )
            })
            .collect();
        assert_eq!(last, self.cometbft, "the app's last set is not CometBFT's");
        let codes = block
            .txs
            .iter()
            .map(|t| t.result.as_ref().map(|_| 0).unwrap_or_else(|e| e.code()))
            .collect();
        // A refused tx does not use its sequence.
        for ((seed, _), outcome) in signed.iter().zip(&block.txs) {
            if outcome.result.is_err() {
                *self.sequences.get_mut(seed).unwrap() -= 1;
            }
        }
        (codes, block.validator_updates)
    }

    /// One block of one tx of `seed`; its code and the updates.
    fn send(&mut self, seed: u8, msgs: &[Msg]) -> (u32, Vec<ValidatorUpdate>) {
        let tx = self.tx(seed, msgs);
        let (codes, updates) = self.block(&[tx]);
        (codes[0], updates)
    }

    fn balance(&self, seed: u8) -> u128 {
        use quire_app::auth::state::AuthRead;
        self.state.account(&addr(seed)).unwrap().unwrap().balance
    }
}

fn coin(amount: u128) -> CheckedCoin {
    CheckedCoin::new("uquire", amount)
}

fn create(seed: u8, bond: u128) -> Msg {
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
        value: coin(bond),
    })
}

fn delegate(validator: u8, amount: u128) -> Msg {
    Msg::Delegate(Delegate {
        validator: addr(validator),
        amount: coin(amount),
    })
}

fn undelegate(validator: u8, amount: u128) -> Msg {
    Msg::Undelegate(Undelegate {
        validator: addr(validator),
        amount: coin(amount),
    })
}

fn redelegate(src: u8, dst: u8, amount: u128) -> Msg {
    Msg::BeginRedelegate(BeginRedelegate {
        src: addr(src),
        dst: addr(dst),
        amount: coin(amount),
    })
}

fn update(seed: u8, power: u64) -> ValidatorUpdate {
    ValidatorUpdate {
        pub_key: consensus_key(seed),
        power,
    }
}

fn status(chain: &Chain, seed: u8) -> Option<BondStatus> {
    chain
        .state
        .validator(&addr(seed))
        .unwrap()
        .map(|v| v.status)
}

#[test]
fn genesis_bonds_its_validators_from_their_accounts() {
    let chain = Chain::new();
    assert_eq!(chain.cometbft.len(), 2);
    assert!(chain.cometbft.values().all(|power| *power == 10));
    assert_eq!(chain.balance(1), BALANCE - 10 * M);
    assert_eq!(status(&chain, 1), Some(BondStatus::Bonded));
    assert_eq!(chain.state.pool(true).unwrap(), 20 * M);
}

#[test]
fn a_new_validator_joins_at_the_end_of_its_block_and_the_cliff_holds() {
    let mut chain = Chain::new();
    let (code, updates) = chain.send(3, &[create(3, 20 * M)]);
    assert_eq!(code, 0);
    assert_eq!(updates, vec![update(3, 20)]);
    assert_eq!(status(&chain, 3), Some(BondStatus::Bonded));
    // A fourth with more power pushes out the weakest (v1 and v2 tie at
    // 10: the higher operator address goes).
    let (code, updates) = chain.send(4, &[create(4, 15 * M)]);
    assert_eq!(code, 0);
    let out = if addr(1) > addr(2) { 1 } else { 2 };
    let mut expected = vec![update(4, 15), update(out, 0)];
    expected.sort_by_key(|u| u.pub_key);
    assert_eq!(updates, expected);
    assert_eq!(status(&chain, out), Some(BondStatus::Unbonding));
    // Unbonding until 60 s later, then unbonded: its tokens stay delegated.
    for _ in 0..(UNBONDING_SECS as i64 / BLOCK_SECS) - 1 {
        chain.block(&[]);
    }
    assert_eq!(status(&chain, out), Some(BondStatus::Unbonding));
    chain.block(&[]);
    assert_eq!(status(&chain, out), Some(BondStatus::Unbonded));
    // Delegating to it brings it back above the cliff.
    let (code, updates) = chain.send(5, &[delegate(out, 10 * M)]);
    assert_eq!(code, 0);
    assert!(updates.contains(&update(out, 20)), "{updates:?}");
    assert_eq!(status(&chain, out), Some(BondStatus::Bonded));
}

#[test]
fn delegations_change_power_and_unbondings_pay_out_once_at_completion() {
    let mut chain = Chain::new();
    let (code, updates) = chain.send(5, &[delegate(1, 5 * M + 1)]);
    assert_eq!((code, updates), (0, vec![update(1, 15)]));
    let before = chain.balance(5);
    let (code, updates) = chain.send(5, &[undelegate(1, 5 * M)]);
    assert_eq!((code, updates), (0, vec![update(1, 10)]));
    let entries = chain.state.unbonding(&addr(5), &addr(1)).unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].balance, 5 * M);
    let fee = 10_000;
    assert_eq!(chain.balance(5), before - fee);
    // Completion = the undelegating block's time + 60 s: paid in the block
    // whose time reaches it, not before.
    for _ in 0..(UNBONDING_SECS as i64 / BLOCK_SECS) - 1 {
        chain.block(&[]);
        assert_eq!(chain.balance(5), before - fee);
    }
    chain.block(&[]);
    assert_eq!(chain.balance(5), before - fee + 5 * M);
    assert!(chain
        .state
        .unbonding(&addr(5), &addr(1))
        .unwrap()
        .is_empty());
    chain.block(&[]);
    assert_eq!(chain.balance(5), before - fee + 5 * M);
}

#[test]
fn an_operator_below_its_minimum_is_jailed_and_leaves_until_unjailed() {
    let mut chain = Chain::new();
    // Genesis validators' minimum self-delegation is 1 token.
    let (code, updates) = chain.send(1, &[undelegate(1, 10 * M)]);
    assert_eq!((code, updates), (0, vec![update(1, 0)]));
    let validator = chain.state.validator(&addr(1)).unwrap().unwrap();
    assert!(validator.jailed);
    assert_eq!(validator.status, BondStatus::Unbonding);
    let unjail = Msg::Unjail(Unjail);
    assert_eq!(
        chain.send(1, std::slice::from_ref(&unjail)).0,
        codes::SELF_DELEGATION_BELOW_MIN
    );
    assert_eq!(chain.send(1, &[delegate(1, 2 * M)]).0, 0);
    let (code, updates) = chain.send(1, std::slice::from_ref(&unjail));
    assert_eq!((code, updates), (0, vec![update(1, 2)]));
    assert_eq!(chain.send(1, &[unjail]).0, codes::NOT_JAILED);
}

#[test]
fn redelegations_move_power_and_are_not_transitive() {
    let mut chain = Chain::new();
    assert_eq!(chain.send(5, &[delegate(1, 4 * M)]).0, 0);
    let (code, mut updates) = chain.send(5, &[redelegate(1, 2, 3 * M)]);
    updates.sort_by_key(|u| u.pub_key);
    let mut expected = vec![update(1, 11), update(2, 13)];
    expected.sort_by_key(|u| u.pub_key);
    assert_eq!((code, updates), (0, expected));
    assert_eq!(
        chain
            .state
            .redelegation(&addr(5), &addr(1), &addr(2))
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        chain.send(5, &[redelegate(2, 1, M)]).0,
        codes::TRANSITIVE_REDELEGATION
    );
    for _ in 0..=(UNBONDING_SECS as i64 / BLOCK_SECS) {
        chain.block(&[]);
    }
    assert!(chain
        .state
        .redelegation(&addr(5), &addr(1), &addr(2))
        .unwrap()
        .is_empty());
    assert_eq!(chain.send(5, &[redelegate(2, 1, M)]).0, 0);
}

#[test]
fn a_cancelled_unbonding_is_delegated_again() {
    let mut chain = Chain::new();
    assert_eq!(chain.send(5, &[delegate(2, 4 * M)]).0, 0);
    assert_eq!(chain.send(5, &[undelegate(2, 3 * M)]).0, 0);
    let height = chain.state.height;
    let cancel = |amount, creation_height| {
        Msg::CancelUnbonding(CancelUnbonding {
            validator: addr(2),
            amount: coin(amount),
            creation_height,
        })
    };
    assert_eq!(
        chain.send(5, &[cancel(M, height + 7)]).0,
        codes::NO_UNBONDING_ENTRY
    );
    assert_eq!(
        chain.send(5, &[cancel(4 * M, height)]).0,
        codes::NO_UNBONDING_ENTRY
    );
    let (code, updates) = chain.send(5, &[cancel(2 * M, height)]);
    assert_eq!((code, updates), (0, vec![update(2, 13)]));
    let (code, updates) = chain.send(5, &[cancel(M, height)]);
    assert_eq!((code, updates), (0, vec![update(2, 14)]));
    assert!(chain
        .state
        .unbonding(&addr(5), &addr(2))
        .unwrap()
        .is_empty());
}

#[test]
fn every_bad_input_has_its_code() {
    let mut chain = Chain::new();
    let cases: Vec<(u8, Msg, u32)> = vec![
        (5, delegate(6, M), codes::UNKNOWN_VALIDATOR),
        (1, create(3, 10 * M), codes::VALIDATOR_EXISTS),
        (3, create(1, 10 * M), codes::CONSENSUS_KEY_IN_USE),
        (5, undelegate(1, M), codes::NO_DELEGATION),
        (5, redelegate(1, 2, M), codes::NO_DELEGATION),
        (
            5,
            Msg::Delegate(Delegate {
                validator: addr(1),
                amount: CheckedCoin::new("uatom", M),
            }),
            codes::BOND_DENOM,
        ),
        (5, Msg::Unjail(Unjail), codes::UNKNOWN_VALIDATOR),
        (1, Msg::Unjail(Unjail), codes::NOT_JAILED),
        (
            1,
            Msg::EditValidator(EditValidator {
                description: DescriptionEdit::default(),
                commission_rate: None,
                min_self_delegation: Some(1),
            }),
            codes::MIN_SELF_DELEGATION_DECREASE,
        ),
        (
            1,
            Msg::EditValidator(EditValidator {
                description: DescriptionEdit::default(),
                commission_rate: None,
                min_self_delegation: Some(11 * M),
            }),
            codes::SELF_DELEGATION_BELOW_MIN,
        ),
        (
            1,
            Msg::EditValidator(EditValidator {
                description: DescriptionEdit::default(),
                commission_rate: Some(Dec::parse("0.3").unwrap()),
                min_self_delegation: None,
            }),
            codes::COMMISSION_INVALID,
        ),
    ];
    for (seed, msg, expected) in cases {
        assert_eq!(
            chain.send(seed, std::slice::from_ref(&msg)).0,
            expected,
            "{msg:?}"
        );
    }
    // Commission: at most once per interval, by at most max_change_rate.
    let edit = |rate: &str| {
        Msg::EditValidator(EditValidator {
            description: DescriptionEdit::default(),
            commission_rate: Some(Dec::parse(rate).unwrap()),
            min_self_delegation: None,
        })
    };
    assert_eq!(chain.send(1, &[edit("0.12")]).0, codes::COMMISSION_CHANGE);
    assert_eq!(chain.send(1, &[edit("0.105")]).0, 0);
    assert_eq!(chain.send(1, &[edit("0.1")]).0, codes::COMMISSION_CHANGE);
    // Entries per pair are capped (2 here).
    assert_eq!(chain.send(5, &[delegate(1, 3 * M)]).0, 0);
    assert_eq!(chain.send(5, &[undelegate(1, M)]).0, 0);
    assert_eq!(chain.send(5, &[undelegate(1, M)]).0, 0);
    assert_eq!(chain.send(5, &[undelegate(1, M)]).0, codes::MAX_ENTRIES);
}

#[test]
fn rules_of_form_have_their_codes_at_decode() {
    let signer = addr(3);
    let decode = |msg: &Msg| {
        let any = msg.to_any(&signer);
        MACHINE
            .router()
            .decode(0, &any.type_url, &any.value, &signer)
            .unwrap_err()
            .code()
    };
    let mut bad_rates = create(3, 10 * M);
    if let Msg::CreateValidator(m) = &mut bad_rates {
        m.commission.rate = Dec::parse("0.3").unwrap().atoms();
    }
    assert_eq!(decode(&bad_rates), codes::COMMISSION_INVALID);
    let mut below_min = create(3, 10 * M);
    if let Msg::CreateValidator(m) = &mut below_min {
        m.min_self_delegation = 11 * M;
    }
    assert_eq!(decode(&below_min), codes::SELF_DELEGATION_BELOW_MIN);
    assert_eq!(decode(&delegate(1, 0)), codes::AMOUNT_TOO_SMALL);
    assert_eq!(decode(&create(3, M - 1)), codes::AMOUNT_TOO_SMALL);
    assert_eq!(decode(&redelegate(1, 1, M)), codes::SELF_REDELEGATION);
    let invalid = (0..=255u8)
        .map(|b| [b; 32])
        .find(|k| ed25519_consensus::VerificationKey::try_from(*k).is_err())
        .unwrap();
    let mut not_a_point = create(3, 10 * M);
    if let Msg::CreateValidator(m) = &mut not_a_point {
        m.consensus_key = invalid;
    }
    assert_eq!(decode(&not_a_point), codes::CONSENSUS_KEY_TYPE);
    // A secp256k1 consensus key.
    use cosmrs::proto::cosmos::staking::v1beta1::MsgCreateValidator;
    use prost::Message;
    let any = create(3, 10 * M).to_any(&signer);
    let mut raw = MsgCreateValidator::decode(any.value.as_slice()).unwrap();
    raw.pubkey.as_mut().unwrap().type_url = "/cosmos.crypto.secp256k1.PubKey".into();
    let error = MACHINE
        .router()
        .decode(0, &any.type_url, &raw.encode_to_vec(), &signer)
        .unwrap_err();
    assert_eq!(error.code(), codes::CONSENSUS_KEY_TYPE);
    assert!(error.to_string().contains("ed25519"), "{error}");
    // Amino/JSON decimals parse as well as wire atoms.
    raw.commission.as_mut().unwrap().rate = "0.150000000000000000".into();
    assert!(MACHINE
        .router()
        .decode(0, &any.type_url, &raw.clone().encode_to_vec(), &signer)
        .is_err_and(|e| e.code() == codes::CONSENSUS_KEY_TYPE));
}

/// Random staking messages, block after block: every block keeps the
/// invariants (the machine checks them in FinalizeBlock and fails the
/// block otherwise) and the set CometBFT would have equals the app's.
#[test]
fn random_staking_keeps_the_invariants() {
    let mut applied = 0;
    for seed in 0..4u64 {
        let mut rng = Rng::new(seed);
        let mut chain = Chain::new();
        for _ in 0..250 {
            let mut txs = Vec::new();
            for _ in 0..rng.range(0, 4) {
                let who = rng.range(1, 7) as u8;
                let val = rng.range(1, 7) as u8;
                let other = rng.range(1, 7) as u8;
                let amount = u128::from(rng.range(1, 12)) * M / 2 + u128::from(rng.below(3));
                let msg = match rng.below(7) {
                    0 => create(who, amount.max(M)),
                    1 | 2 => delegate(val, amount),
                    3 => undelegate(val, amount),
                    4 => redelegate(val, other, amount),
                    5 => Msg::Unjail(Unjail),
                    _ => Msg::CancelUnbonding(CancelUnbonding {
                        validator: addr(val),
                        amount: coin(amount / 2 + 1),
                        creation_height: chain.state.height.saturating_sub(rng.below(5)).max(1),
                    }),
                };
                txs.push(chain.tx(who, &[msg]));
            }
            if rng.percent(5) {
                let seed = rng.range(1, 7) as u8;
                chain.set_absent(seed, rng.percent(50));
            }
            if rng.percent(2) && chain.state.height > 3 {
                let seed = rng.range(1, 7) as u8;
                let height = chain.state.height - 1;
                if chain.sets[&height].contains_key(&consensus_key(seed)) {
                    chain.double_sign(seed, height);
                }
            }
            let (codes, _) = chain.block(&txs);
            applied += codes.iter().filter(|c| **c == 0).count();
            quire_app::invariants::check(&chain.state, Timestamp::from_seconds(chain.time))
                .unwrap_or_else(|e| panic!("seed {seed}, height {}: {e}", chain.state.height));
        }
    }
    assert!(applied > 150, "only {applied} staking txs applied");
}

#[test]
fn fees_go_to_the_signers_by_power_with_commission_to_the_operator() {
    let mut chain = Chain::new();
    assert_eq!(chain.send(5, &[delegate(1, 10 * M)]).0, 0); // v1: 20, v2: 10
    let fee = 10_000;
    let tokens = |chain: &Chain, seed| chain.state.validator(&addr(seed)).unwrap().unwrap().tokens;
    let before = (
        tokens(&chain, 1),
        tokens(&chain, 2),
        chain.balance(1),
        chain.balance(2),
    );
    // The delegation block's fee is paid out in the next block, to the
    // signers of the delegation block: v1 and v2 at power 10 each.
    chain.block(&[]);
    let half = fee / 2;
    let commission = half / 10;
    assert_eq!(tokens(&chain, 1), before.0 + half - commission);
    assert_eq!(tokens(&chain, 2), before.1 + half - commission);
    assert_eq!(chain.balance(1), before.2 + commission);
    assert_eq!(chain.balance(2), before.3 + commission);
    use quire_app::bank::state::BankRead;
    assert_eq!(chain.state.fee_pool().unwrap(), 0);
    // An absent validator gets nothing: v2 stops voting.
    chain.set_absent(2, true);
    assert_eq!(chain.send(5, &[delegate(1, M)]).0, 0);
    let before = tokens(&chain, 2);
    chain.block(&[]);
    assert_eq!(tokens(&chain, 2), before);
    // The delegator's shares are worth more than it delegated.
    let v1 = chain.state.validator(&addr(1)).unwrap().unwrap();
    let shares = chain.state.delegation(&addr(5), &addr(1)).unwrap();
    assert!(shares * v1.tokens / v1.delegator_shares > 11 * M);
}

#[test]
fn downtime_slashes_jails_and_unjail_waits_for_the_jail_time() {
    let mut chain = Chain::new();
    chain.set_absent(2, true);
    // Window 100, half must be signed: jailed once more than 50 of its
    // window are missed, after the first full window.
    let mut jailed_at = None;
    for _ in 0..130 {
        let (_, updates) = chain.block(&[]);
        if updates.contains(&update(2, 0)) {
            jailed_at = Some(chain.state.height);
            break;
        }
    }
    let jailed_at = jailed_at.expect("v2 was never jailed for downtime");
    assert!(jailed_at > 100, "jailed at {jailed_at}");
    let v2 = chain.state.validator(&addr(2)).unwrap().unwrap();
    assert!(v2.jailed && !v2.tombstoned);
    assert_eq!(v2.tokens, 10 * M - 10 * M / 100);
    assert_eq!(chain.send(2, &[Msg::Unjail(Unjail)]).0, codes::STILL_JAILED);
    chain.set_absent(2, false);
    for _ in 0..(600 / BLOCK_SECS) {
        chain.block(&[]);
    }
    let (code, updates) = chain.send(2, &[Msg::Unjail(Unjail)]);
    assert_eq!((code, updates), (0, vec![update(2, 9)]));
}

#[test]
fn double_signing_slashes_the_stake_at_the_infraction_and_tombstones() {
    let mut chain = Chain::new();
    assert_eq!(chain.send(5, &[delegate(1, 10 * M)]).0, 0);
    for _ in 0..3 {
        chain.block(&[]);
    }
    let infraction = chain.state.height; // v1 signs with power 20 here
    chain.block(&[]);
    // Stake that leaves after the infraction is still slashed.
    assert_eq!(chain.send(5, &[undelegate(1, 4 * M)]).0, 0);
    use quire_app::bank::state::BankRead;
    let supply = chain.state.supply().unwrap().unwrap();
    chain.double_sign(1, infraction);
    let (_, updates) = chain.block(&[]);
    assert_eq!(updates, vec![update(1, 0)]);
    let v1 = chain.state.validator(&addr(1)).unwrap().unwrap();
    assert!(v1.jailed && v1.tombstoned);
    let entry = &chain.state.unbonding(&addr(5), &addr(1)).unwrap()[0];
    assert_eq!(entry.balance, 4 * M - 4 * M / 20);
    // 5 % of the 20 × 10^6 it had is burned: 200 000 from the entry, the
    // rest from its tokens.
    assert_eq!(supply - chain.state.supply().unwrap().unwrap(), M);
    assert_eq!(chain.send(1, &[Msg::Unjail(Unjail)]).0, codes::TOMBSTONED);
    assert_eq!(chain.send(5, &[delegate(1, M)]).0, codes::TOMBSTONED);
    // The same evidence again changes nothing.
    chain.double_sign(1, infraction);
    chain.block(&[]);
    assert_eq!(
        chain.state.validator(&addr(1)).unwrap().unwrap().tokens,
        v1.tokens
    );
}

#[test]
fn the_remaining_refusals_have_their_codes() {
    // A description field over its limit.
    let signer = addr(3);
    let mut long = create(3, 10 * M);
    if let Msg::CreateValidator(m) = &mut long {
        m.description.moniker = "m".repeat(71);
    }
    let any = long.to_any(&signer);
    let code = MACHINE
        .router()
        .decode(0, &any.type_url, &any.value, &signer)
        .unwrap_err()
        .code();
    assert_eq!(code, codes::DESCRIPTION_TOO_LONG);

    // Cancelling an unbonding into a jailed validator.
    let mut chain = Chain::new();
    assert_eq!(chain.send(5, &[delegate(1, 3 * M)]).0, 0);
    assert_eq!(chain.send(5, &[undelegate(1, M)]).0, 0);
    let height = chain.state.height;
    // The operator raises its minimum, then falls below it: jailed.
    let raise = Msg::EditValidator(EditValidator {
        description: DescriptionEdit::default(),
        commission_rate: None,
        min_self_delegation: Some(10 * M),
    });
    assert_eq!(chain.send(1, &[raise]).0, 0);
    assert_eq!(chain.send(1, &[undelegate(1, M)]).0, 0);
    assert!(chain.state.validator(&addr(1)).unwrap().unwrap().jailed);
    let cancel = Msg::CancelUnbonding(CancelUnbonding {
        validator: addr(1),
        amount: coin(M),
        creation_height: height,
    });
    assert_eq!(chain.send(5, &[cancel]).0, codes::VALIDATOR_JAILED);

    // Shares but no tokens: a downtime slash of 100 %.
    let mut chain = Chain::with_params(|p| {
        p.signed_blocks_window = 4;
        p.slash_fraction_downtime = Dec::ONE;
    });
    chain.set_absent(2, true);
    for _ in 0..12 {
        chain.block(&[]);
    }
    let v2 = chain.state.validator(&addr(2)).unwrap().unwrap();
    assert!(
        v2.jailed && v2.tokens == 0 && v2.delegator_shares > 0,
        "{v2:?}"
    );
    assert_eq!(
        chain.send(5, &[delegate(2, M)]).0,
        codes::INVALID_EXCHANGE_RATE
    );
}
