//! The L1 contracts (contracts/src) on a real L1, `geth --dev`, against the
//! Rust side of the same rules (core/src/l1, merkle.rs, commitment.rs):
//!
//! - `QuireAnchor`: the EIP-712 digest and set hash agree three ways (core,
//!   alloy, the contract); every refusal of the constructor,
//!   `submitCheckpoint` and `reportConflict` comes with its exact custom error
//!   (power at exactly 2/3, outsiders, wrong digest or domain, high `s`, bad
//!   `v`, slot count, set mismatch, skipped rotation, history size, staleness,
//!   malformed next sets); a rotation hands over to the new set and retires
//!   the old one; two conflicting quorum checkpoints freeze the anchor; and
//!   the gas of a checkpoint with 4 and 100 validators and with a rotation.
//! - `QuireProofs` / `ExampleRollup`: an anchored history of real namespace
//!   trees; every honest inclusion and absence proof is accepted, against the
//!   newest and an older anchored size, and every kind of tampering is refused
//!   with its exact error; and the gas of one `prove`.
//!
//! Synthetic validator keys sign; funded geth accounts only pay. Refusals are
//! checked with `eth_call` (they change nothing); acceptances are mined.

use alloy_network::TransactionBuilder;
use alloy_primitives::{Address, Bytes, B256, U256};
use alloy_provider::{DynProvider, Provider, ProviderBuilder};
use alloy_rpc_types_eth::{TransactionReceipt, TransactionRequest};
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::{
    Eip712Domain, SolCall, SolConstructor, SolError, SolEvent, SolInterface, SolStruct, SolValue,
};
use quire_core::commitment::{self, NamespaceTree};
use quire_core::l1::{self, keccak256, Domain, L1Member, L1Signer, L1Valset};
use quire_core::merkle::{self, InclusionProof};
use quire_core::{Address as QuireAddress, Blob, Namespace};
use quire_relayer::anchor::{Checkpoint as SolCheckpoint, QuireAnchor, Signature, Valset};
use quire_tests::geth::{account_key, Geth};
use quire_tests::rollup::{
    evm, leaf_proof, merkle_proof, namespace_leaf, namespace_proof, no_leaf,
};
use std::collections::BTreeSet;
use std::fmt::Debug;
use std::future::Future;
use std::time::{Duration, Instant};

/// geth `--dev`'s chain id.
const L1_CHAIN_ID: u64 = 1337;
/// The Quire chain whose salt the anchors use.
const QUIRE_CHAIN: &str = "quire-l1-contracts-test";
/// The initial height of the anchors of the checkpoint tests (not 1, so that
/// a history size is visibly not a height).
const INITIAL: u64 = 100;
/// secp256k1's group order n.
const SECP256K1_N: &str = "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141";
/// The loose bound every gas figure must stay under.
const GAS_BOUND: u64 = 2_000_000;

use evm::ExampleRollup as Rollup;

// ----------------------------------------------------------------------
// The tests
// ----------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anchor_contract_on_geth() {
    bounded(async {
        let l1 = L1::start(1).await;
        digests_and_set_hashes_agree(&l1).await;
        constructor_refuses_malformed_sets(&l1).await;
        checkpoint_refusals_and_acceptance(&l1).await;
        rotation_hands_over_to_the_next_set(&l1).await;
        conflicting_checkpoints_freeze_the_anchor(&l1).await;
        checkpoint_gas(&l1).await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proof_verifier_on_geth() {
    bounded(async {
        let l1 = L1::start(2).await;
        let history = History::sample();
        let validators = Validators::new("proofs", &[1; 4]);
        let anchor = Anchor::deploy(&l1, &validators, history.initial).await;
        // Two checkpoints: one whose history is the first two heights, then
        // one over all four.
        for height in [3, 5] {
            let cp = history.checkpoint(height, &validators);
            anchor.submit(&validators.submission(cp, None)).await;
        }
        quire_proofs_match_core(&l1, &anchor, &history).await;
        rollups_accept_honest_proofs_and_refuse_tampering(&l1, &anchor, &validators, &history)
            .await;
    })
    .await;
}

/// Runs `test` under a deadline and reports how long it took.
async fn bounded(test: impl Future<Output = ()>) {
    let start = Instant::now();
    tokio::time::timeout(Duration::from_secs(600), test)
        .await
        .expect("test timed out");
    eprintln!("took {:.1} s", start.elapsed().as_secs_f64());
}

// ----------------------------------------------------------------------
// QuireAnchor
// ----------------------------------------------------------------------

/// The digest of a checkpoint, computed by core, by alloy's EIP-712 and by
/// the contract, and the set hash by core, by plain ABI encoding and by the
/// contract.
async fn digests_and_set_hashes_agree(l1: &L1) {
    let validators = Validators::new("digest", &[5, 3, 3, 1]);
    let anchor = Anchor::deploy(l1, &validators, INITIAL).await;
    let domain = domain();
    let eip712 = Eip712Domain::new(
        Some("QuireAnchor".into()),
        Some("1".into()),
        Some(U256::from(L1_CHAIN_ID)),
        None,
        Some(B256::from(keccak256(QUIRE_CHAIN.as_bytes()))),
    );
    assert_eq!(eip712.separator().0, domain.separator());
    let on_chain: B256 = anchor.view(QuireAnchor::domainSeparatorCall {}).await;
    assert_eq!(on_chain.0, domain.separator());
    let salt: B256 = anchor.view(QuireAnchor::saltCall {}).await;
    assert_eq!(salt.0, domain.salt);
    let initial: u64 = anchor.view(QuireAnchor::initialHeightCall {}).await;
    assert_eq!(initial, INITIAL);

    let other = Validators::new("digest-next", &[1; 3]);
    let checkpoints = [
        validators.checkpoint(INITIAL + 1, &validators),
        validators.checkpoint(INITIAL + 7, &other),
        l1::Checkpoint {
            height: u64::MAX,
            block_hash: [0xff; 32],
            history_size: u64::MAX - 1,
            history_root: [0; 32],
            valset_hash: [0xab; 32],
            next_valset_hash: [0xcd; 32],
        },
        l1::Checkpoint {
            height: 0,
            block_hash: [0; 32],
            history_size: 0,
            history_root: merkle::empty_root(),
            valset_hash: [0; 32],
            next_valset_hash: [0; 32],
        },
    ];
    for cp in &checkpoints {
        let core = cp.digest(&domain);
        let sol = SolCheckpoint::from(cp);
        assert_eq!(sol.eip712_signing_hash(&eip712).0, core, "alloy, {cp:?}");
        let contract: B256 = anchor
            .view(QuireAnchor::hashCheckpointCall { cp: sol })
            .await;
        assert_eq!(contract.0, core, "contract, {cp:?}");
    }

    let sets = [
        validators,
        other,
        Validators::new("digest-one", &[7]),
        Validators::new("digest-hundred", &[1; 100]),
    ];
    for set in &sets {
        let contract: B256 = anchor
            .view(QuireAnchor::hashValsetCall { set: set.valset() })
            .await;
        assert_eq!(contract, set.hash(), "{} members", set.keys.len());
        assert_eq!(raw_valset_hash(&set.valset()), set.hash());
    }
}

/// The constructor checks the genesis set's shape.
async fn constructor_refuses_malformed_sets(l1: &L1) {
    let salt = B256::from(domain().salt);
    let deploy = |initial: u64, set: Valset| {
        deploy_tx(
            "QuireAnchor",
            QuireAnchor::constructorCall {
                initialHeight_: initial,
                salt_: salt,
                signers: set.signers,
                powers: set.powers,
            }
            .abi_encode(),
        )
    };
    let good = Validators::new("constructor", &[1; 3]).valset();
    l1.refuses(deploy(0, good.clone()), QuireAnchor::ZeroInitialHeight {})
        .await;
    // Not the set of more than MAX_VALIDATORS: its constructor arguments
    // alone exceed the initcode limit (EIP-3860), which geth enforces first.
    for (set, expected) in malformed_sets(&good) {
        if set.signers.len() <= 1024 {
            l1.refuses_raw(deploy(INITIAL, set), expected).await;
        }
    }
}

/// Malformed variants of `good` (at least 3 members), each with the error
/// `_checkMembers` (or the constructor) must raise.
fn malformed_sets(good: &Valset) -> Vec<(Valset, Vec<u8>)> {
    let n = good.signers.len();
    assert!(n >= 3);
    let with = |f: &dyn Fn(&mut Valset)| {
        let mut set = good.clone();
        f(&mut set);
        set
    };
    let index = |i: usize| U256::from(i);
    let too_many = Valset {
        signers: (1..=1025u32)
            .map(|i| Address::left_padding_from(&i.to_be_bytes()))
            .collect(),
        powers: vec![1; 1025],
    };
    vec![
        (Valset::default(), QuireAnchor::EmptyValset {}.abi_encode()),
        (
            with(&|s| {
                s.powers.pop();
            }),
            QuireAnchor::LengthMismatch {
                signers: index(n),
                powers: index(n - 1),
            }
            .abi_encode(),
        ),
        (
            with(&|s| s.signers[1] = Address::ZERO),
            QuireAnchor::ZeroSigner { index: index(1) }.abi_encode(),
        ),
        (
            with(&|s| s.powers[2] = 0),
            QuireAnchor::ZeroPower { index: index(2) }.abi_encode(),
        ),
        (
            too_many,
            QuireAnchor::TooManyValidators { count: index(1025) }.abi_encode(),
        ),
    ]
}

/// Every check of `submitCheckpoint` in turn, then acceptance and staleness.
async fn checkpoint_refusals_and_acceptance(l1: &L1) {
    // Total 30: 20 is exactly 2/3 (not enough), 25 is a quorum.
    let validators = Validators::new("edge", &[10, 10, 5, 5]);
    assert!(!validators.set.is_quorum(20) && validators.set.is_quorum(25));
    let anchor = Anchor::deploy(l1, &validators, INITIAL).await;
    let head = anchor.latest().await;
    assert_eq!(
        (head.height, head.historySize, head.l1Block, head.isFrozen),
        (0, 0, anchor.deployed_at, false)
    );
    assert_eq!(anchor.valset_hash().await, validators.hash());

    let domain = domain();
    let cp = validators.checkpoint(INITIAL + 5, &validators);
    let good = validators.submission(cp, None);
    let signed_by = |slots: &[usize]| Submission {
        sigs: validators.sign(&cp, &domain, slots),
        ..good.clone()
    };
    let with_slot = |slot: usize, sig: Signature| {
        let mut sigs = good.sigs.clone();
        sigs[slot] = sig;
        Submission {
            sigs,
            ..good.clone()
        }
    };
    let err_index = |i: usize| U256::from(i);

    // Power.
    let power = |signed: u64| QuireAnchor::InsufficientPower {
        signed: U256::from(signed),
        total: U256::from(30),
    };
    anchor.refuses(&signed_by(&[0, 1]), power(20)).await;
    anchor.refuses(&signed_by(&[1, 2, 3]), power(20)).await;
    anchor.refuses(&signed_by(&[]), power(0)).await;

    // Signatures.
    let outsider = Validators::new("outsider", &[10]);
    let other_cp = l1::Checkpoint {
        block_hash: b32("another block"),
        ..cp
    };
    anchor
        .refuses(
            &with_slot(1, outsider.sign(&cp, &domain, &[0]).remove(0)),
            QuireAnchor::BadSignature {
                index: err_index(1),
            },
        )
        .await;
    anchor
        .refuses(
            &with_slot(0, validators.sign(&other_cp, &domain, &[0]).remove(0)),
            QuireAnchor::BadSignature {
                index: err_index(0),
            },
        )
        .await;
    let mut swapped = good.clone();
    swapped.sigs.swap(0, 1);
    anchor
        .refuses(
            &swapped,
            QuireAnchor::BadSignature {
                index: err_index(0),
            },
        )
        .await;
    let other_l1 = Domain {
        l1_chain_id: 1,
        ..domain
    };
    let other_quire = Domain::new(L1_CHAIN_ID, "another-quire-chain");
    for wrong in [other_l1, other_quire] {
        let sigs = validators.sign(&cp, &wrong, &validators.quorum());
        anchor
            .refuses(
                &Submission {
                    sigs,
                    ..good.clone()
                },
                QuireAnchor::BadSignature {
                    index: err_index(0),
                },
            )
            .await;
    }
    // The high-s twin recovers the same key with ecrecover: only the
    // contract's own check refuses it.
    let twin = high_s_twin(&good.sigs[1]);
    assert_eq!(
        l1.ecrecover(cp.digest(&domain), &twin).await,
        validators.address(1)
    );
    anchor
        .refuses(
            &with_slot(1, twin),
            QuireAnchor::HighS {
                index: err_index(1),
            },
        )
        .await;
    for v in [1, 26, 29] {
        let sig = Signature {
            v,
            ..good.sigs[1].clone()
        };
        anchor
            .refuses(
                &with_slot(1, sig),
                QuireAnchor::BadV {
                    index: err_index(1),
                },
            )
            .await;
    }
    let count = |got: usize| QuireAnchor::WrongSignatureCount {
        expected: U256::from(4),
        got: U256::from(got),
    };
    let mut fewer = good.clone();
    fewer.sigs.pop();
    anchor.refuses(&fewer, count(3)).await;
    let mut more = good.clone();
    more.sigs.push(Signature::default());
    anchor.refuses(&more, count(5)).await;

    // The set.
    let mut reordered = good.clone();
    reordered.cur.signers.swap(0, 1);
    anchor
        .refuses(&reordered, QuireAnchor::ValsetMismatch {})
        .await;
    let mut repowered = good.clone();
    repowered.cur.powers[3] += 1;
    anchor
        .refuses(&repowered, QuireAnchor::ValsetMismatch {})
        .await;
    let stranger = Validators::new("stranger", &[1; 4]);
    anchor
        .refuses(
            &Submission {
                cur: stranger.valset(),
                ..good.clone()
            },
            QuireAnchor::ValsetMismatch {},
        )
        .await;
    // A set the anchor does not hold, signing for itself.
    let foreign = stranger.submission(stranger.checkpoint(INITIAL + 5, &stranger), None);
    anchor
        .refuses(
            &foreign,
            QuireAnchor::WrongValset {
                expected: validators.hash(),
                got: stranger.hash(),
            },
        )
        .await;

    // The history size is `height - initialHeight`, checked.
    let sized = |height: u64, size: u64| {
        validators.submission(
            l1::Checkpoint {
                height,
                history_size: size,
                ..cp
            },
            None,
        )
    };
    let wrong_size = |expected: u64, got: u64| QuireAnchor::WrongHistorySize { expected, got };
    anchor
        .refuses(&sized(INITIAL + 5, 4), wrong_size(5, 4))
        .await;
    anchor
        .refuses(&sized(INITIAL + 5, 6), wrong_size(5, 6))
        .await;
    anchor
        .refuses(&sized(INITIAL - 1, 0), wrong_size(0, 0))
        .await;
    anchor
        .refuses(&sized(INITIAL - 1, u64::MAX), wrong_size(0, u64::MAX))
        .await;

    // Accepted: the head, the root and nothing else change.
    let receipt = anchor.submit(&good).await;
    let head = anchor.latest().await;
    assert_eq!(
        (head.height, head.historySize, head.l1Block, head.isFrozen),
        (INITIAL + 5, 5, receipt.block_number.unwrap(), false)
    );
    assert_eq!(anchor.history_root(5).await, B256::from(cp.history_root));
    assert_eq!(anchor.history_root(4).await, B256::ZERO);
    assert_eq!(anchor.valset_hash().await, validators.hash());
    let submitted = events::<QuireAnchor::CheckpointSubmitted>(&receipt);
    assert_eq!(submitted.len(), 1);
    assert_eq!(
        (
            submitted[0].height,
            submitted[0].historySize,
            submitted[0].historyRoot
        ),
        (INITIAL + 5, 5, B256::from(cp.history_root))
    );
    assert!(events::<QuireAnchor::ValsetRotated>(&receipt).is_empty());

    // Stale: the same checkpoint again, an older one, another of the same height.
    let stale = QuireAnchor::Stale {
        latestHeight: INITIAL + 5,
    };
    anchor.refuses(&good, stale.clone()).await;
    let older = validators.checkpoint(INITIAL + 3, &validators);
    anchor
        .refuses(&validators.submission(older, None), stale.clone())
        .await;
    anchor
        .refuses(&validators.submission(other_cp, None), stale)
        .await;

    // A later checkpoint, its quorum in other slots (0, 1, 3: 25 of 30).
    let later = validators.checkpoint(INITIAL + 9, &validators);
    let receipt = anchor
        .submit(&Submission {
            sigs: validators.sign(&later, &domain, &[0, 1, 3]),
            ..validators.submission(later, None)
        })
        .await;
    let head = anchor.latest().await;
    assert_eq!(
        (head.height, head.historySize, head.l1Block),
        (INITIAL + 9, 9, receipt.block_number.unwrap())
    );
    assert_eq!(anchor.history_root(9).await, B256::from(later.history_root));
    assert_eq!(anchor.history_root(5).await, B256::from(cp.history_root));
}

/// A set changes only through a checkpoint it signed naming the next one.
async fn rotation_hands_over_to_the_next_set(l1: &L1) {
    let old = Validators::new("old", &[3, 2, 2, 1]);
    let new = Validators::new("new", &[1; 5]);
    let anchor = Anchor::deploy(l1, &old, INITIAL).await;
    let domain = domain();

    // The new set cannot sign before the rotation is anchored.
    let early = new.submission(new.checkpoint(INITIAL + 11, &new), None);
    let wrong_set = |expected: &Validators, got: &Validators| QuireAnchor::WrongValset {
        expected: expected.hash(),
        got: got.hash(),
    };
    anchor.refuses(&early, wrong_set(&old, &new)).await;

    let cp = old.checkpoint(INITIAL + 10, &new);
    let rotation = old.submission(cp, Some(&new));
    // The next set given must be the one named.
    for next in [
        Valset::default(),
        old.valset(),
        Validators::new("not-new", &[1; 5]).valset(),
    ] {
        anchor
            .refuses(
                &Submission {
                    next,
                    ..rotation.clone()
                },
                QuireAnchor::BadNextValset {},
            )
            .await;
    }
    // A malformed next set, even named and signed, is refused.
    for (next, expected) in malformed_sets(&new.valset()) {
        let cp = l1::Checkpoint {
            next_valset_hash: raw_valset_hash(&next).0,
            ..cp
        };
        let submission = Submission {
            next,
            ..old.submission(cp, None)
        };
        l1.refuses_raw(submission.tx(&anchor), expected).await;
    }

    let receipt = anchor.submit(&rotation).await;
    assert_eq!(anchor.valset_hash().await, new.hash());
    let rotated = events::<QuireAnchor::ValsetRotated>(&receipt);
    assert_eq!(rotated.len(), 1);
    assert_eq!(
        (rotated[0].height, rotated[0].newValsetHash),
        (INITIAL + 10, new.hash())
    );
    assert_eq!(anchor.latest().await.height, INITIAL + 10);

    // The old set is retired: neither under its own name nor in the new
    // set's slots.
    let retired = old.submission(old.checkpoint(INITIAL + 11, &old), None);
    anchor.refuses(&retired, wrong_set(&new, &old)).await;
    let next_cp = new.checkpoint(INITIAL + 11, &new);
    let digest = next_cp.digest(&domain);
    let impostor = Submission {
        sigs: (0..new.keys.len())
            .map(|i| {
                old.keys
                    .get(i)
                    .map_or_else(Signature::default, |key| sign(key, &digest))
            })
            .collect(),
        ..new.submission(next_cp, None)
    };
    anchor
        .refuses(&impostor, QuireAnchor::BadSignature { index: U256::ZERO })
        .await;

    // The new set takes over.
    let receipt = anchor.submit(&new.submission(next_cp, None)).await;
    assert!(events::<QuireAnchor::ValsetRotated>(&receipt).is_empty());
    let head = anchor.latest().await;
    assert_eq!((head.height, head.historySize), (INITIAL + 11, 11));
    assert_eq!(anchor.valset_hash().await, new.hash());
}

/// Two different checkpoints of one height, each with a quorum, freeze it.
async fn conflicting_checkpoints_freeze_the_anchor(l1: &L1) {
    let validators = Validators::new("conflict", &[1; 4]);
    let anchor = Anchor::deploy(l1, &validators, INITIAL).await;
    let a = validators.checkpoint(INITIAL + 3, &validators);
    anchor.submit(&validators.submission(a, None)).await;
    let b = l1::Checkpoint {
        history_root: b32("a forked history"),
        ..a
    };
    let report = |a: &l1::Checkpoint, b: &l1::Checkpoint, sigs_b: Vec<Signature>| {
        QuireAnchor::reportConflictCall {
            a: a.into(),
            b: b.into(),
            cur: validators.valset(),
            sigsA: validators.sign_quorum(a),
            sigsB: sigs_b,
        }
    };
    let conflict = report(&a, &b, validators.sign_quorum(&b));

    let next_height = validators.checkpoint(INITIAL + 4, &validators);
    anchor
        .refuses_call(
            &report(&a, &next_height, validators.sign_quorum(&next_height)),
            QuireAnchor::DifferentHeights {
                a: INITIAL + 3,
                b: INITIAL + 4,
            },
        )
        .await;
    anchor
        .refuses_call(
            &report(&a, &a, validators.sign_quorum(&a)),
            QuireAnchor::NoConflict {},
        )
        .await;
    anchor
        .refuses_call(
            &report(&a, &b, validators.sign(&b, &domain(), &[0, 1])),
            QuireAnchor::InsufficientPower {
                signed: U256::from(2),
                total: U256::from(4),
            },
        )
        .await;
    let stranger = Validators::new("conflict-stranger", &[1; 4]);
    let foreign = l1::Checkpoint {
        valset_hash: stranger.hash().0,
        ..b
    };
    anchor
        .refuses_call(
            &report(&a, &foreign, stranger.sign_quorum(&foreign)),
            QuireAnchor::WrongValset {
                expected: validators.hash(),
                got: stranger.hash(),
            },
        )
        .await;
    anchor
        .refuses_call(
            &report(&a, &b, stranger.sign_quorum(&b)),
            QuireAnchor::BadSignature { index: U256::ZERO },
        )
        .await;
    anchor
        .refuses_call(
            &QuireAnchor::reportConflictCall {
                cur: stranger.valset(),
                ..conflict.clone()
            },
            QuireAnchor::ValsetMismatch {},
        )
        .await;
    assert!(!anchor.latest().await.isFrozen);

    let receipt = anchor.l1.send(anchor.tx(&conflict)).await;
    let frozen = events::<QuireAnchor::Frozen>(&receipt);
    assert_eq!(frozen.len(), 1);
    assert_eq!(frozen[0].height, INITIAL + 3);
    let head = anchor.latest().await;
    assert_eq!(
        (head.height, head.historySize, head.isFrozen),
        (INITIAL + 3, 3, true)
    );
    assert_eq!(anchor.history_root(3).await, B256::from(a.history_root));

    // Nothing more is accepted, not even a second report.
    anchor
        .refuses(
            &validators.submission(next_height, None),
            QuireAnchor::AnchorFrozen {},
        )
        .await;
    anchor
        .refuses_call(&conflict, QuireAnchor::AnchorFrozen {})
        .await;
}

/// Gas of `submitCheckpoint`: reported, bounded only loosely.
async fn checkpoint_gas(l1: &L1) {
    let four = Validators::new("gas-4", &[1; 4]);
    let hundred = Validators::new("gas-100", &[1; 100]);
    assert_eq!(four.quorum().len(), 3);
    assert_eq!(hundred.quorum().len(), 67);
    let cases = [
        ("4 validators, 3 signing", &four, None),
        ("100 validators, 67 signing", &hundred, None),
        (
            "4 validators, 3 signing, rotating to 4 new",
            &four,
            Some(Validators::new("gas-4-next", &[1; 4])),
        ),
        (
            "100 validators, 67 signing, rotating to 100 new",
            &hundred,
            Some(Validators::new("gas-100-next", &[1; 100])),
        ),
    ];
    let mut used = Vec::new();
    for (what, validators, next) in &cases {
        let anchor = Anchor::deploy(l1, validators, INITIAL).await;
        // Without a rotation the next set is passed empty, as the relayer does.
        let cp = validators.checkpoint(INITIAL + 1, next.as_ref().unwrap_or(validators));
        let submission = validators.submission(cp, next.as_ref());
        let receipt = anchor.submit(&submission).await;
        assert_eq!(anchor.valset_hash().await.0, cp.next_valset_hash);
        let calldata = submission.call().abi_encode().len();
        eprintln!(
            "gas: submitCheckpoint, {what}: {} ({calldata} bytes of calldata)",
            receipt.gas_used
        );
        assert!(
            (21_000..GAS_BOUND).contains(&receipt.gas_used),
            "{what}: {}",
            receipt.gas_used
        );
        used.push(receipt.gas_used);
    }
    // More signatures and a rotation cost more.
    assert!(used[1] > used[0] && used[2] > used[0] && used[3] > used[1]);
}

// ----------------------------------------------------------------------
// QuireProofs and ExampleRollup
// ----------------------------------------------------------------------

/// The stateless verifier's primitives agree with core's.
async fn quire_proofs_match_core(l1: &L1, anchor: &Anchor<'_>, history: &History) {
    use evm::QuireProofs as P;
    let (proofs, _) = l1.deploy("QuireProofs", Vec::new()).await;

    let leaves = history.leaves();
    for (block, leaf) in history.blocks.iter().zip(&leaves) {
        let c = block.tree.commitment();
        let on_chain: B256 = l1
            .view(
                proofs,
                P::heightLeafCall {
                    height: block.height,
                    blockHash: block.block_hash.into(),
                    namespaceCount: c.namespace_count,
                    namespaceRoot: c.namespace_root.into(),
                },
            )
            .await;
        assert_eq!(on_chain.0, *leaf, "height leaf of {}", block.height);
        for ns_leaf in block.tree.leaves() {
            let leaf = namespace_leaf(ns_leaf);
            let on_chain: B256 = l1.view(proofs, P::namespaceLeafCall { leaf }).await;
            assert_eq!(on_chain.0, ns_leaf.leaf_hash());
            let blobs = history.blobs(block.height, &ns_leaf.namespace);
            let on_chain: B256 = l1.view(proofs, P::blobsRootCall { blobs }).await;
            assert_eq!(on_chain.0, ns_leaf.blobs_root);
        }
        for blob in &block.blobs {
            let call = P::blobLeafCall {
                signer: Address::from(*blob.signer.as_bytes()),
                data: blob.data.clone().into(),
            };
            let on_chain: B256 = l1.view(proofs, call).await;
            assert_eq!(
                on_chain.0,
                commitment::blob_leaf_hash(&blob.signer, &blob.data)
            );
        }
    }
    // Roots and paths of every size up to 9, every odd carry included.
    let many: Vec<[u8; 32]> = (0..9u8).map(|i| merkle::leaf_hash(&[i])).collect();
    for size in 0..=many.len() {
        let hashes = &many[..size];
        let root = merkle::root_from_leaf_hashes(hashes);
        let call = P::rootFromLeafHashesCall {
            leaves: hashes.iter().map(|h| B256::from(*h)).collect(),
        };
        let on_chain: B256 = l1.view(proofs, call).await;
        assert_eq!(on_chain.0, root, "root of {size}");
        for (index, leaf) in hashes.iter().enumerate() {
            let call = P::computeRootCall {
                proof: merkle_proof(&merkle::prove(hashes, index).unwrap()),
                leaf: (*leaf).into(),
            };
            let on_chain: B256 = l1.view(proofs, call).await;
            assert_eq!(on_chain.0, root, "path of {index} in {size}");
        }
    }
    let item = b"quire".to_vec();
    let on_chain: B256 = l1
        .view(
            proofs,
            P::leafHashCall {
                item: item.clone().into(),
            },
        )
        .await;
    assert_eq!(on_chain.0, merkle::leaf_hash(&item));

    // The whole check, against what the anchor holds.
    let head = anchor.latest().await;
    let root = anchor.history_root(head.historySize).await;
    assert_eq!(root.0, history.root(head.historySize));
    let ns = present_namespaces()[0];
    let claim = history.claim(1, &ns, head.historySize);
    l1.view(
        proofs,
        P::verifyNamespaceCall {
            initialHeight: history.initial,
            historySize: head.historySize,
            historyRoot: root,
            namespace: ns.as_bytes().into(),
            hp: claim.hp,
            np: claim.np,
            blobs: claim.blobs,
        },
    )
    .await;
}

/// One rollup per namespace (present ones and absent ones): every honest
/// proof of every height accepted, every tampering refused.
async fn rollups_accept_honest_proofs_and_refuse_tampering(
    l1: &L1,
    anchor: &Anchor<'_>,
    validators: &Validators,
    history: &History,
) {
    let size = anchor.latest().await.historySize;
    assert_eq!(size, history.blocks.len() as u64);
    let mut rollups = Vec::new();
    for ns in present_namespaces().into_iter().chain(absent_namespaces()) {
        let (address, _) = l1
            .deploy(
                "ExampleRollup",
                Rollup::constructorCall {
                    anchor_: anchor.address,
                    namespace_: ns.as_bytes().into(),
                }
                .abi_encode(),
            )
            .await;
        let initial: u64 = l1.view(address, Rollup::initialHeightCall {}).await;
        assert_eq!(initial, history.initial);
        rollups.push((ns, address));
    }
    let rollup = |ns: Namespace| {
        rollups
            .iter()
            .find(|(n, _)| *n == ns)
            .map(|(_, a)| *a)
            .unwrap()
    };

    // Every namespace at every height, against the newest anchored history.
    let mut kinds = BTreeSet::new();
    for (ns, address) in &rollups {
        for block in &history.blocks {
            let claim = history.claim(block.height, ns, size);
            kinds.insert(claim.np.kind);
            let expected = claim.batch_hash();
            let out = l1
                .try_call(call_tx(*address, claim.prove().abi_encode()))
                .await
                .unwrap_or_else(|data| {
                    panic!(
                        "{ns:?} at {}: refused with {}",
                        block.height,
                        describe(&data)
                    )
                });
            assert_eq!(
                Rollup::proveCall::abi_decode_returns(&out).unwrap(),
                expected
            );
        }
    }
    use evm::ProofKind as K;
    assert_eq!(
        kinds,
        BTreeSet::from([
            K::Inclusion,
            K::EmptyBlock,
            K::BeforeFirst,
            K::AfterLast,
            K::Between
        ])
    );
    // Against the older anchored history (2 heights) too, with its own paths.
    for (ns, address) in &rollups {
        for height in [1, 2] {
            let claim = history.claim(height, ns, 2);
            let out = l1
                .try_call(call_tx(*address, claim.prove_at(2).abi_encode()))
                .await
                .unwrap_or_else(|data| panic!("{ns:?} at {height}: {}", describe(&data)));
            assert_eq!(
                Rollup::proveAtCall::abi_decode_returns(&out).unwrap(),
                claim.batch_hash()
            );
        }
    }

    // Tampering. `a` has 3 blobs at height 1 (leaf 0 of 3), `b` one (leaf 1),
    // `c` two (leaf 2); height 3 has only `a` and `c`.
    let [a, b, c] = present_namespaces();
    let honest = |ns: &Namespace| history.claim(1, ns, size);
    let tampered = |ns: &Namespace, f: &dyn Fn(&mut Claim)| {
        let mut claim = honest(ns);
        f(&mut claim);
        claim
    };
    let leaf_at = |height: u64, index: usize| {
        let tree = &history.block(height).tree;
        leaf_proof(&tree.leaves()[index], &namespace_tree_proof(tree, index))
    };
    let absence = |kind: K, left: Option<evm::LeafProof>, right: Option<evm::LeafProof>| {
        evm::NamespaceProof {
            kind,
            left: left.unwrap_or_else(no_leaf),
            right: right.unwrap_or_else(no_leaf),
        }
    };
    let with_np = |ns: &Namespace, np: evm::NamespaceProof| Claim {
        np,
        blobs: Vec::new(),
        ..honest(ns)
    };
    let extra_blob = evm::Blob {
        signer: Address::repeat_byte(9),
        data: b"smuggled".to_vec().into(),
    };
    let cases: Vec<(&str, Namespace, Claim, Vec<u8>)> = vec![
        (
            "changed blob",
            a,
            tampered(&a, &|cl| cl.blobs[1].data = b"changed".to_vec().into()),
            Rollup::BlobsRootMismatch {}.abi_encode(),
        ),
        (
            "changed signer",
            a,
            tampered(&a, &|cl| cl.blobs[0].signer = Address::repeat_byte(0xee)),
            Rollup::BlobsRootMismatch {}.abi_encode(),
        ),
        (
            "reordered blobs",
            a,
            tampered(&a, &|cl| cl.blobs.swap(0, 2)),
            Rollup::BlobsRootMismatch {}.abi_encode(),
        ),
        (
            "dropped blob",
            a,
            tampered(&a, &|cl| {
                cl.blobs.pop();
            }),
            Rollup::BlobCountMismatch {
                committed: 3,
                given: U256::from(2),
            }
            .abi_encode(),
        ),
        (
            "dropped blob, leaf recounted",
            a,
            tampered(&a, &|cl| {
                cl.blobs.pop();
                recount(&mut cl.np.left.leaf, &cl.blobs);
            }),
            Rollup::NamespaceRootMismatch {}.abi_encode(),
        ),
        (
            "added blob",
            a,
            tampered(&a, &|cl| cl.blobs.push(extra_blob.clone())),
            Rollup::BlobCountMismatch {
                committed: 3,
                given: U256::from(4),
            }
            .abi_encode(),
        ),
        (
            "added blob, leaf recounted",
            a,
            tampered(&a, &|cl| {
                cl.blobs.push(extra_blob.clone());
                recount(&mut cl.np.left.leaf, &cl.blobs);
            }),
            Rollup::NamespaceRootMismatch {}.abi_encode(),
        ),
        (
            "inclusion without blobs",
            a,
            tampered(&a, &|cl| cl.blobs.clear()),
            Rollup::NoBlobs {}.abi_encode(),
        ),
        (
            "other height's namespace proof",
            a,
            Claim {
                hp: history.height_proof(4, size),
                ..honest(&a)
            },
            Rollup::NamespaceRootMismatch {}.abi_encode(),
        ),
        (
            "height leaf relabelled to another height",
            a,
            tampered(&a, &|cl| {
                cl.hp.height = 4;
                cl.hp.proof = history.height_proof(4, size).proof;
            }),
            Rollup::HistoryRootMismatch {}.abi_encode(),
        ),
        (
            "height's path at another index",
            a,
            tampered(&a, &|cl| cl.hp.proof.index = 1),
            Rollup::HistoryIndexMismatch {
                proofIndex: 1,
                expectedIndex: 0,
            }
            .abi_encode(),
        ),
        (
            "height below the initial height",
            a,
            tampered(&a, &|cl| cl.hp.height = 0),
            Rollup::HeightBeforeInitial {
                height: 0,
                initialHeight: 1,
            }
            .abi_encode(),
        ),
        (
            "height's block hash changed",
            a,
            tampered(&a, &|cl| cl.hp.blockHash = B256::repeat_byte(1)),
            Rollup::HistoryRootMismatch {}.abi_encode(),
        ),
        (
            "height's path tampered",
            a,
            tampered(&a, &|cl| cl.hp.proof.aunts[0].0[0] ^= 1),
            Rollup::HistoryRootMismatch {}.abi_encode(),
        ),
        (
            "older history's path for the newest history",
            a,
            Claim {
                hp: history.height_proof(1, 2),
                ..honest(&a)
            },
            Rollup::HistorySizeMismatch {
                proofTotal: 2,
                anchoredSize: size,
            }
            .abi_encode(),
        ),
        (
            "other namespace's proof and blobs",
            b,
            honest(&a),
            Rollup::WrongNamespace {
                expected: b.as_bytes().into(),
                got: a.as_bytes().into(),
            }
            .abi_encode(),
        ),
        (
            "other namespace's leaf relabelled",
            b,
            tampered(&a, &|cl| {
                cl.np.left.leaf.namespace = b.as_bytes().into();
            }),
            Rollup::NamespaceRootMismatch {}.abi_encode(),
        ),
        (
            "namespace path at another index",
            a,
            tampered(&a, &|cl| cl.np.left.proof.index = 1),
            Rollup::NamespaceRootMismatch {}.abi_encode(),
        ),
        (
            "namespace path for a bigger tree",
            a,
            tampered(&a, &|cl| cl.np.left.proof.total = 4),
            Rollup::TotalMismatch {
                proofTotal: 4,
                namespaceCount: 3,
            }
            .abi_encode(),
        ),
        (
            "namespace path with an extra aunt",
            a,
            tampered(&a, &|cl| cl.np.left.proof.aunts.push(B256::ZERO)),
            Rollup::WrongAuntCount {
                index: 0,
                total: 3,
                expected: U256::from(2),
                got: U256::from(3),
            }
            .abi_encode(),
        ),
        (
            "blobs with an absence proof",
            absent_namespaces()[0],
            tampered(&absent_namespaces()[0], &|cl| {
                cl.blobs.push(extra_blob.clone())
            }),
            Rollup::BlobsWithAbsence {
                count: U256::from(1),
            }
            .abi_encode(),
        ),
        // Lying absence: a present namespace claimed absent.
        (
            "lying absence: before the first leaf, which is it",
            a,
            with_np(&a, absence(K::BeforeFirst, None, Some(leaf_at(1, 0)))),
            Rollup::NamespacePresent {}.abi_encode(),
        ),
        (
            "lying absence: an empty block",
            a,
            with_np(&a, absence(K::EmptyBlock, None, None)),
            Rollup::NotEmptyBlock { namespaceCount: 3 }.abi_encode(),
        ),
        (
            "lying absence: between itself and the next leaf",
            b,
            with_np(
                &b,
                absence(K::Between, Some(leaf_at(1, 1)), Some(leaf_at(1, 2))),
            ),
            Rollup::NamespacePresent {}.abi_encode(),
        ),
        (
            "lying absence: between leaves that are not adjacent",
            b,
            with_np(
                &b,
                absence(K::Between, Some(leaf_at(1, 0)), Some(leaf_at(1, 2))),
            ),
            Rollup::NotAdjacent { left: 0, right: 2 }.abi_encode(),
        ),
        // Leaf 2 of 3 is one level deep, leaf 1 two: a rewritten index needs
        // another path, and then the root is wrong.
        (
            "lying absence: between leaves with a forged adjacent index",
            b,
            with_np(
                &b,
                absence(
                    K::Between,
                    Some(leaf_at(1, 0)),
                    Some({
                        let mut right = leaf_at(1, 2);
                        right.proof.index = 1;
                        right
                    }),
                ),
            ),
            Rollup::WrongAuntCount {
                index: 1,
                total: 3,
                expected: U256::from(2),
                got: U256::from(1),
            }
            .abi_encode(),
        ),
        (
            "lying absence: between leaves with a forged adjacent index and path",
            b,
            with_np(
                &b,
                absence(
                    K::Between,
                    Some(leaf_at(1, 0)),
                    Some({
                        let mut right = leaf_at(1, 2);
                        right.proof = leaf_at(1, 1).proof;
                        right
                    }),
                ),
            ),
            Rollup::NamespaceRootMismatch {}.abi_encode(),
        ),
        (
            "lying absence: after the last leaf, which sorts after it",
            b,
            with_np(&b, absence(K::AfterLast, Some(leaf_at(1, 2)), None)),
            Rollup::NotBounding {}.abi_encode(),
        ),
        (
            "lying absence: after the last leaf, which is it",
            c,
            with_np(&c, absence(K::AfterLast, Some(leaf_at(1, 2)), None)),
            Rollup::NamespacePresent {}.abi_encode(),
        ),
        (
            "lying absence: after a leaf that is not the last",
            c,
            with_np(&c, absence(K::AfterLast, Some(leaf_at(1, 1)), None)),
            Rollup::NotLastLeaf { index: 1, total: 3 }.abi_encode(),
        ),
        (
            "lying absence: the honest absence proof of another height",
            b,
            Claim {
                np: history.claim(3, &b, size).np,
                blobs: Vec::new(),
                ..honest(&b)
            },
            Rollup::TotalMismatch {
                proofTotal: 2,
                namespaceCount: 3,
            }
            .abi_encode(),
        ),
    ];
    for (what, ns, claim, expected) in cases {
        l1.refuses_raw_as(
            call_tx(rollup(ns), claim.prove().abi_encode()),
            expected,
            what,
        )
        .await;
    }
    // Sizes come from the anchor: one never anchored is refused.
    l1.refuses(
        call_tx(rollup(a), honest(&a).prove_at(3).abi_encode()),
        Rollup::NotAnchored { size: 3 },
    )
    .await;

    // Proven for real, once per height.
    let claim = honest(&a);
    let receipt = l1
        .send(call_tx(rollup(a), claim.prove().abi_encode()))
        .await;
    let blob_bytes: usize = claim.blobs.iter().map(|b| b.data.len()).sum();
    eprintln!(
        "gas: ExampleRollup.prove, inclusion of {} blobs ({blob_bytes} bytes) at height 1 of a 4-height history: {}",
        claim.blobs.len(),
        receipt.gas_used
    );
    assert!((21_000..GAS_BOUND).contains(&receipt.gas_used));
    let proven = events::<Rollup::NamespaceProven>(&receipt);
    assert_eq!(proven.len(), 1);
    assert_eq!(
        (proven[0].height, proven[0].blobCount, proven[0].batchHash),
        (1, U256::from(3), claim.batch_hash())
    );
    let recorded: B256 = l1
        .view(rollup(a), Rollup::batchHashOfCall { height: 1 })
        .await;
    assert_eq!(recorded, claim.batch_hash());
    l1.refuses(
        call_tx(rollup(a), claim.prove().abi_encode()),
        Rollup::AlreadyProven {
            height: 1,
            batchHash: claim.batch_hash(),
        },
    )
    .await;

    // A frozen anchor's roots are trusted no more.
    let cp = history.checkpoint(5, validators);
    let fork = l1::Checkpoint {
        block_hash: b32("forked block 5"),
        ..cp
    };
    anchor
        .l1
        .send(anchor.tx(&QuireAnchor::reportConflictCall {
            a: (&cp).into(),
            b: (&fork).into(),
            cur: validators.valset(),
            sigsA: validators.sign_quorum(&cp),
            sigsB: validators.sign_quorum(&fork),
        }))
        .await;
    let claim = history.claim(4, &a, size);
    l1.refuses(
        call_tx(rollup(a), claim.prove().abi_encode()),
        Rollup::AnchorFrozen {},
    )
    .await;
    l1.refuses(
        call_tx(rollup(a), history.claim(1, &b, 2).prove_at(2).abi_encode()),
        Rollup::AnchorFrozen {},
    )
    .await;
}

// ----------------------------------------------------------------------
// The L1
// ----------------------------------------------------------------------

/// A geth and a provider paying from one funded account (one sender that
/// waits for each receipt, so the cached nonces stay right).
struct L1 {
    provider: DynProvider,
    _geth: Geth,
}

impl L1 {
    async fn start(account: u8) -> L1 {
        let geth = tokio::task::spawn_blocking(Geth::start)
            .await
            .unwrap()
            .expect("geth starts (QUIRE_GETH or localnet/install-geth.sh)");
        let signer: PrivateKeySigner = account_key(account).parse().unwrap();
        let provider = ProviderBuilder::new()
            .wallet(signer)
            .connect_http(geth.url().parse().unwrap())
            .erased();
        assert_eq!(provider.get_chain_id().await.unwrap(), L1_CHAIN_ID);
        L1 {
            provider,
            _geth: geth,
        }
    }

    /// `eth_call`: the output, or the revert data.
    async fn try_call(&self, tx: TransactionRequest) -> Result<Bytes, Bytes> {
        match self.provider.call(tx).await {
            Ok(out) => Ok(out),
            Err(e) => Err(e
                .as_error_resp()
                .and_then(|r| r.as_revert_data())
                .unwrap_or_else(|| panic!("eth_call failed without revert data: {e}"))),
        }
    }

    /// A view, decoded.
    async fn view<C: SolCall>(&self, to: Address, call: C) -> C::Return {
        let out = self
            .try_call(call_tx(to, call.abi_encode()))
            .await
            .unwrap_or_else(|data| panic!("{} reverted: {}", C::SIGNATURE, describe(&data)));
        C::abi_decode_returns(&out).unwrap()
    }

    /// Asserts that `tx` reverts with exactly `expected`.
    async fn refuses<E: SolError + Debug>(&self, tx: TransactionRequest, expected: E) {
        let what = format!("{expected:?}");
        self.refuses_raw_as(tx, expected.abi_encode(), &what).await;
    }

    async fn refuses_raw(&self, tx: TransactionRequest, expected: Vec<u8>) {
        let what = describe(&expected);
        self.refuses_raw_as(tx, expected, &what).await;
    }

    /// Asserts that `tx` reverts with exactly the error encoded in `expected`.
    async fn refuses_raw_as(&self, tx: TransactionRequest, expected: Vec<u8>, what: &str) {
        match self.try_call(tx).await {
            Ok(_) => panic!("{what}: accepted, expected {}", describe(&expected)),
            Err(data) => assert_eq!(
                data.as_ref(),
                expected.as_slice(),
                "{what}: reverted with {}, expected {}",
                describe(&data),
                describe(&expected)
            ),
        }
    }

    /// Sends `tx` and waits for its successful receipt.
    async fn send(&self, tx: TransactionRequest) -> TransactionReceipt {
        if let Err(data) = self.try_call(tx.clone()).await {
            panic!("transaction would revert: {}", describe(&data));
        }
        let receipt = self
            .provider
            .send_transaction(tx)
            .await
            .expect("transaction sent")
            .get_receipt()
            .await
            .expect("transaction mined");
        assert!(receipt.status(), "transaction reverted: {receipt:?}");
        receipt
    }

    /// Deploys the artifact `name` with ABI-encoded constructor `args`.
    async fn deploy(&self, name: &str, args: Vec<u8>) -> (Address, TransactionReceipt) {
        let receipt = self.send(deploy_tx(name, args)).await;
        (
            receipt.contract_address.expect("a contract address"),
            receipt,
        )
    }

    /// The address the `ecrecover` precompile recovers from `sig` over `digest`.
    async fn ecrecover(&self, digest: [u8; 32], sig: &Signature) -> l1::L1Address {
        let mut input = digest.to_vec();
        input.extend_from_slice(&U256::from(sig.v).to_be_bytes::<32>());
        input.extend_from_slice(sig.r.as_slice());
        input.extend_from_slice(sig.s.as_slice());
        let out = self
            .try_call(call_tx(Address::with_last_byte(1), input))
            .await
            .expect("the precompile does not revert");
        assert_eq!(out.len(), 32, "ecrecover recovered nothing");
        l1::L1Address(Address::from_slice(&out[12..]).into())
    }
}

fn call_tx(to: Address, input: Vec<u8>) -> TransactionRequest {
    TransactionRequest::default().with_to(to).with_input(input)
}

/// The creation transaction of contracts/out/`name`.json with `args`.
fn deploy_tx(name: &str, args: Vec<u8>) -> TransactionRequest {
    TransactionRequest::default()
        .with_deploy_code(quire_tests::rollup::deploy_code(name, &args).expect("contract artifact"))
}

/// A revert's decoded error, for messages.
fn describe(data: &[u8]) -> String {
    if let Ok(e) = QuireAnchor::QuireAnchorErrors::abi_decode(data) {
        return format!("QuireAnchor::{e:?}");
    }
    if let Ok(e) = Rollup::ExampleRollupErrors::abi_decode(data) {
        return format!("ExampleRollup::{e:?}");
    }
    format!("0x{}", hex::encode(data))
}

/// The events `E` a receipt's logs hold.
fn events<E: SolEvent>(receipt: &TransactionReceipt) -> Vec<E> {
    receipt
        .inner
        .logs()
        .iter()
        .filter(|log| log.topics().first() == Some(&E::SIGNATURE_HASH))
        .map(|log| E::decode_log_data(log.data()).unwrap())
        .collect()
}

// ----------------------------------------------------------------------
// Validators and the anchor
// ----------------------------------------------------------------------

fn domain() -> Domain {
    Domain::new(L1_CHAIN_ID, QUIRE_CHAIN)
}

fn b32(text: &str) -> [u8; 32] {
    keccak256(text.as_bytes())
}

/// A validator set of synthetic L1 keys, in L1 order.
struct Validators {
    set: L1Valset,
    /// The keys, in the set's order.
    keys: Vec<L1Signer>,
}

impl Validators {
    /// Members of `powers`, keys derived from `tag`.
    fn new(tag: &str, powers: &[u64]) -> Validators {
        let keys: Vec<L1Signer> = (0..powers.len())
            .map(|i| L1Signer::from_secret(&b32(&format!("{tag}/key/{i}"))).unwrap())
            .collect();
        let members = keys
            .iter()
            .zip(powers)
            .enumerate()
            .map(|(i, (key, &power))| {
                let mut consensus = [0u8; 20];
                consensus.copy_from_slice(&b32(&format!("{tag}/consensus/{i}"))[..20]);
                L1Member {
                    consensus,
                    signer: key.address(),
                    power,
                }
            })
            .collect();
        let set = L1Valset::new(members);
        let keys = set
            .members()
            .iter()
            .map(|m| {
                keys.iter()
                    .find(|k| k.address() == m.signer)
                    .unwrap()
                    .clone()
            })
            .collect();
        Validators { set, keys }
    }

    fn hash(&self) -> B256 {
        B256::from(self.set.hash())
    }

    fn valset(&self) -> Valset {
        Valset::from(&self.set)
    }

    fn address(&self, i: usize) -> l1::L1Address {
        self.keys[i].address()
    }

    /// The first members whose power is a quorum.
    fn quorum(&self) -> Vec<usize> {
        let mut signed = 0u128;
        let mut slots = Vec::new();
        for (i, member) in self.set.members().iter().enumerate() {
            if self.set.is_quorum(signed) {
                break;
            }
            signed += u128::from(member.power);
            slots.push(i);
        }
        assert!(self.set.is_quorum(signed));
        slots
    }

    /// One slot per member: signed over `cp` in `domain` for `slots`, empty
    /// (`v = 0`) for the others.
    fn sign(&self, cp: &l1::Checkpoint, domain: &Domain, slots: &[usize]) -> Vec<Signature> {
        let digest = cp.digest(domain);
        (0..self.keys.len())
            .map(|i| {
                if slots.contains(&i) {
                    sign(&self.keys[i], &digest)
                } else {
                    Signature::default()
                }
            })
            .collect()
    }

    fn sign_quorum(&self, cp: &l1::Checkpoint) -> Vec<Signature> {
        self.sign(cp, &domain(), &self.quorum())
    }

    /// This set's checkpoint of `height` (history size `height - INITIAL`),
    /// naming `next` as the set of `height + 1`.
    fn checkpoint(&self, height: u64, next: &Validators) -> l1::Checkpoint {
        l1::Checkpoint {
            height,
            block_hash: b32(&format!("block {height}")),
            history_size: height - INITIAL,
            history_root: b32(&format!("history before {height}")),
            valset_hash: self.hash().0,
            next_valset_hash: next.hash().0,
        }
    }

    /// `cp` signed by a quorum of this set, with `next` (when it rotates).
    fn submission(&self, cp: l1::Checkpoint, next: Option<&Validators>) -> Submission {
        Submission {
            cp,
            cur: self.valset(),
            sigs: self.sign_quorum(&cp),
            next: next.map(Validators::valset).unwrap_or_default(),
        }
    }
}

fn sign(key: &L1Signer, digest: &[u8; 32]) -> Signature {
    Signature::from(&key.sign(digest).unwrap())
}

/// The same signature with `s' = n - s` and the other `v`.
fn high_s_twin(sig: &Signature) -> Signature {
    let n = U256::from_str_radix(SECP256K1_N, 16).unwrap();
    Signature {
        r: sig.r,
        s: B256::from(n - U256::from_be_bytes(sig.s.0)),
        v: if sig.v == 27 { 28 } else { 27 },
    }
}

/// `keccak256(abi.encode(keccak256("quire/valset/v1"), signers, powers))` of
/// any arrays, well-formed or not.
fn raw_valset_hash(set: &Valset) -> B256 {
    let tag = B256::from(keccak256(l1::valset::VALSET_TAG.as_bytes()));
    alloy_primitives::keccak256((tag, set.signers.clone(), set.powers.clone()).abi_encode_params())
}

/// The arguments of one `submitCheckpoint`.
#[derive(Clone)]
struct Submission {
    cp: l1::Checkpoint,
    cur: Valset,
    sigs: Vec<Signature>,
    next: Valset,
}

impl Submission {
    fn call(&self) -> QuireAnchor::submitCheckpointCall {
        QuireAnchor::submitCheckpointCall {
            cp: (&self.cp).into(),
            cur: self.cur.clone(),
            sigs: self.sigs.clone(),
            next: self.next.clone(),
        }
    }

    fn tx(&self, anchor: &Anchor<'_>) -> TransactionRequest {
        anchor.tx(&self.call())
    }
}

/// A deployed `QuireAnchor`.
struct Anchor<'a> {
    l1: &'a L1,
    address: Address,
    deployed_at: u64,
}

impl<'a> Anchor<'a> {
    async fn deploy(l1: &'a L1, genesis: &Validators, initial: u64) -> Anchor<'a> {
        let set = genesis.valset();
        let (address, receipt) = l1
            .deploy(
                "QuireAnchor",
                QuireAnchor::constructorCall {
                    initialHeight_: initial,
                    salt_: domain().salt.into(),
                    signers: set.signers,
                    powers: set.powers,
                }
                .abi_encode(),
            )
            .await;
        Anchor {
            l1,
            address,
            deployed_at: receipt.block_number.unwrap(),
        }
    }

    fn tx(&self, call: &impl SolCall) -> TransactionRequest {
        call_tx(self.address, call.abi_encode())
    }

    async fn view<C: SolCall>(&self, call: C) -> C::Return {
        self.l1.view(self.address, call).await
    }

    async fn latest(&self) -> QuireAnchor::latestReturn {
        self.view(QuireAnchor::latestCall {}).await
    }

    async fn valset_hash(&self) -> B256 {
        self.view(QuireAnchor::valsetHashCall {}).await
    }

    async fn history_root(&self, size: u64) -> B256 {
        self.view(QuireAnchor::historyRootCall { size }).await
    }

    async fn submit(&self, submission: &Submission) -> TransactionReceipt {
        self.l1.send(submission.tx(self)).await
    }

    async fn refuses<E: SolError + Debug>(&self, submission: &Submission, expected: E) {
        self.l1.refuses(submission.tx(self), expected).await;
    }

    async fn refuses_call<E: SolError + Debug>(&self, call: &impl SolCall, expected: E) {
        self.l1.refuses(self.tx(call), expected).await;
    }
}

// ----------------------------------------------------------------------
// A history of namespace trees
// ----------------------------------------------------------------------

fn ns(byte: u8) -> Namespace {
    Namespace::new([byte; 32])
}

/// Present at height 1 (and 4), in tree order.
fn present_namespaces() -> [Namespace; 3] {
    [ns(0x20), ns(0x40), ns(0x60)]
}

/// Never present: before the first, between, after the last leaf.
fn absent_namespaces() -> [Namespace; 3] {
    [ns(0x10), ns(0x50), ns(0x70)]
}

struct Block {
    height: u64,
    block_hash: [u8; 32],
    blobs: Vec<Blob>,
    tree: NamespaceTree,
}

/// Heights from 1: each block's blobs, namespace tree and history leaf.
struct History {
    initial: u64,
    blocks: Vec<Block>,
}

/// What a rollup is asked to accept.
#[derive(Clone)]
struct Claim {
    hp: evm::HeightProof,
    np: evm::NamespaceProof,
    blobs: Vec<evm::Blob>,
}

impl Claim {
    fn prove(&self) -> Rollup::proveCall {
        Rollup::proveCall {
            hp: self.hp.clone(),
            np: self.np.clone(),
            blobs: self.blobs.clone(),
        }
    }

    fn prove_at(&self, size: u64) -> Rollup::proveAtCall {
        Rollup::proveAtCall {
            size,
            hp: self.hp.clone(),
            np: self.np.clone(),
            blobs: self.blobs.clone(),
        }
    }

    /// `keccak256(abi.encode(blobs))`, as the rollup records it.
    fn batch_hash(&self) -> B256 {
        alloy_primitives::keccak256(self.blobs.abi_encode())
    }
}

impl History {
    /// Four heights: three namespaces (blobs interleaved), an empty block,
    /// two namespaces, three again.
    fn sample() -> History {
        let [a, b, c] = present_namespaces();
        let blob = |namespace: Namespace, signer: u8, data: &str| Blob {
            namespace,
            signer: QuireAddress::new([signer; 20]),
            tx_hash: [0; 32],
            tx_index: 0,
            msg_index: 0,
            data: data.as_bytes().to_vec(),
        };
        let heights = vec![
            vec![
                blob(c, 1, "h1 c0"),
                blob(a, 1, "h1 a0"),
                blob(b, 2, "h1 b0"),
                blob(a, 2, "h1 a1, a little longer"),
                blob(c, 3, "h1 c1"),
                blob(a, 3, "h1 a2"),
            ],
            Vec::new(),
            vec![
                blob(a, 1, "h3 a0"),
                blob(c, 2, "h3 c0"),
                blob(a, 2, "h3 a1"),
            ],
            vec![
                blob(b, 4, "h4 b0"),
                blob(a, 4, "h4 a0"),
                blob(c, 4, "h4 c0"),
                blob(b, 5, "h4 b1"),
            ],
        ];
        let blocks = heights
            .into_iter()
            .zip(1u64..)
            .map(|(blobs, height)| Block {
                height,
                block_hash: b32(&format!("quire block {height}")),
                tree: NamespaceTree::build(height, &blobs),
                blobs,
            })
            .collect();
        History { initial: 1, blocks }
    }

    fn block(&self, height: u64) -> &Block {
        &self.blocks[(height - self.initial) as usize]
    }

    fn leaves(&self) -> Vec<[u8; 32]> {
        self.blocks
            .iter()
            .map(|block| {
                let c = block.tree.commitment();
                l1::history::height_leaf(
                    block.height,
                    &block.block_hash,
                    c.namespace_count,
                    &c.namespace_root,
                )
            })
            .collect()
    }

    fn root(&self, size: u64) -> [u8; 32] {
        merkle::root_from_leaf_hashes(&self.leaves()[..size as usize])
    }

    /// The checkpoint of `height`: its history is every earlier height.
    fn checkpoint(&self, height: u64, validators: &Validators) -> l1::Checkpoint {
        let size = height - self.initial;
        l1::Checkpoint {
            height,
            block_hash: b32(&format!("quire block {height}")),
            history_size: size,
            history_root: self.root(size),
            valset_hash: validators.hash().0,
            next_valset_hash: validators.hash().0,
        }
    }

    /// `height`'s leaf and path in the history of `size` heights.
    fn height_proof(&self, height: u64, size: u64) -> evm::HeightProof {
        let block = self.block(height);
        let c = block.tree.commitment();
        let path = merkle::prove(
            &self.leaves()[..size as usize],
            (height - self.initial) as usize,
        )
        .unwrap();
        evm::HeightProof {
            height,
            blockHash: block.block_hash.into(),
            namespaceCount: c.namespace_count,
            namespaceRoot: c.namespace_root.into(),
            proof: merkle_proof(&path),
        }
    }

    /// `namespace`'s blobs at `height`, in block order.
    fn blobs(&self, height: u64, namespace: &Namespace) -> Vec<evm::Blob> {
        self.block(height)
            .blobs
            .iter()
            .filter(|b| b.namespace == *namespace)
            .map(|b| evm::Blob {
                signer: Address::from(*b.signer.as_bytes()),
                data: b.data.clone().into(),
            })
            .collect()
    }

    /// The honest claim for `namespace` at `height` in the history of `size`
    /// heights, checked by core first.
    fn claim(&self, height: u64, namespace: &Namespace, size: u64) -> Claim {
        let block = self.block(height);
        let proof = block.tree.prove(namespace);
        let mine: Vec<&Blob> = block
            .blobs
            .iter()
            .filter(|b| b.namespace == *namespace)
            .collect();
        let refs: Vec<(QuireAddress, &[u8])> =
            mine.iter().map(|b| (b.signer, b.data.as_slice())).collect();
        proof
            .verify(&block.tree.commitment(), namespace, &refs)
            .expect("core accepts the honest proof");
        Claim {
            hp: self.height_proof(height, size),
            np: namespace_proof(&proof),
            blobs: self.blobs(height, namespace),
        }
    }
}

/// The path of leaf `index` of a namespace tree.
fn namespace_tree_proof(tree: &NamespaceTree, index: usize) -> InclusionProof {
    let hashes: Vec<[u8; 32]> = tree
        .leaves()
        .iter()
        .map(commitment::NamespaceLeaf::leaf_hash)
        .collect();
    merkle::prove(&hashes, index).unwrap()
}

/// Rewrites a namespace leaf to commit to `blobs`: count and root.
fn recount(leaf: &mut evm::NamespaceLeaf, blobs: &[evm::Blob]) {
    let hashes: Vec<[u8; 32]> = blobs
        .iter()
        .map(|b| commitment::blob_leaf_hash(&QuireAddress::new(b.signer.0 .0), &b.data))
        .collect();
    leaf.blobCount = blobs.len() as u32;
    leaf.blobsRoot = merkle::root_from_leaf_hashes(&hashes).into();
}
