//! Vote extensions through the state machine: every component's section in
//! component order, checked by its owner; malformed, oversized, unknown,
//! duplicated, reordered and missing sections rejected with their reason,
//! and no input makes it panic.

// Test code: a failed unwrap is the test failing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use quire_app::component::Component;
use quire_app::context::VoteContext;
use quire_app::error::StateReadError;
use quire_app::state::StateRead;
use quire_app::vote_extension::{self, MAX_VOTE_EXTENSION_BYTES};
use quire_app::{StateMachine, VoteExtensionError};
use quire_test_utils::{genesis, key, machine, MemState, Rng};

/// A component whose section is its tag and the height (`len` bytes).
struct Echo {
    name: &'static str,
    tag: u8,
}

impl Component for Echo {
    fn name(&self) -> &'static str {
        self.name
    }

    fn max_vote_extension_bytes(&self) -> usize {
        9
    }

    fn extend_vote(
        &self,
        _state: &dyn StateRead,
        ctx: &VoteContext,
    ) -> Result<Option<Vec<u8>>, StateReadError> {
        let mut data = vec![self.tag];
        data.extend_from_slice(&ctx.height.to_be_bytes());
        Ok(Some(data))
    }

    fn verify_vote_extension(
        &self,
        _state: &dyn StateRead,
        ctx: &VoteContext,
        _validator: &[u8; 20],
        section: Option<&[u8]>,
    ) -> Result<(), String> {
        let mut expected = vec![self.tag];
        expected.extend_from_slice(&ctx.height.to_be_bytes());
        match section {
            Some(data) if data == expected => Ok(()),
            Some(_) => Err("wrong echo".into()),
            None => Err("missing echo".into()),
        }
    }
}

fn two_echoes() -> StateMachine {
    StateMachine::standard()
        .component(Echo {
            name: "echo-a",
            tag: 0xa,
        })
        .component(Echo {
            name: "echo-b",
            tag: 0xb,
        })
        .build()
        .unwrap()
}

fn state(machine: &StateMachine) -> MemState {
    MemState::from_genesis(
        machine,
        &genesis(quire_core::Params::default(), &[&key(1)], 1),
        "quire-ve",
    )
}

fn vote(height: u64) -> VoteContext {
    VoteContext {
        height,
        block_hash: vec![7; 32],
    }
}

const VALIDATOR: [u8; 20] = [3; 20];

#[test]
fn without_components_that_extend_the_extension_is_empty() {
    let machine = machine();
    let state = state(&machine);
    let extension = machine.extend_vote(&state, &vote(4)).unwrap();
    assert!(extension.is_empty());
    machine
        .verify_vote_extension(&state, &vote(4), &VALIDATOR, &extension)
        .unwrap();
    // A component that makes no section accepts none.
    let stray = vote_extension::encode(&[("blob", vec![1])]);
    assert_eq!(
        machine.verify_vote_extension(&state, &vote(4), &VALIDATOR, &stray),
        Err(VoteExtensionError::SectionTooLarge {
            component: "blob",
            size: 1,
            max: 0
        })
    );
}

#[test]
fn sections_come_in_component_order_and_each_owner_checks_its_own() {
    let machine = two_echoes();
    let state = state(&machine);
    let extension = machine.extend_vote(&state, &vote(9)).unwrap();
    let sections = vote_extension::decode(&extension).unwrap();
    assert_eq!(
        sections.iter().map(|s| s.component).collect::<Vec<_>>(),
        vec!["echo-a", "echo-b"]
    );
    machine
        .verify_vote_extension(&state, &vote(9), &VALIDATOR, &extension)
        .unwrap();

    let a = (
        ("echo-a"),
        [vec![0xa], 9u64.to_be_bytes().to_vec()].concat(),
    );
    let b = (
        ("echo-b"),
        [vec![0xb], 9u64.to_be_bytes().to_vec()].concat(),
    );
    let verify = |bytes: &[u8]| machine.verify_vote_extension(&state, &vote(9), &VALIDATOR, bytes);
    // Another height's extension.
    let stale = machine.extend_vote(&state, &vote(8)).unwrap();
    assert!(matches!(
        verify(&stale),
        Err(VoteExtensionError::Invalid {
            component: "echo-a",
            ..
        })
    ));
    // A missing section.
    assert!(matches!(
        verify(&vote_extension::encode(std::slice::from_ref(&b))),
        Err(VoteExtensionError::Invalid { component: "echo-a", reason }) if reason == "missing echo"
    ));
    // Reordered, repeated, unknown.
    for bad in [
        vec![b.clone(), a.clone()],
        vec![a.clone(), a.clone(), b.clone()],
        vec![a.clone(), b.clone(), ("echo-c", vec![1])],
    ] {
        let got = verify(&vote_extension::encode(&bad));
        assert!(
            matches!(
                got,
                Err(VoteExtensionError::UnexpectedSection { .. })
                    | Err(VoteExtensionError::Invalid { .. })
            ),
            "{got:?}"
        );
    }
    // Over a component's limit.
    let mut long = a.clone();
    long.1.push(0);
    assert!(matches!(
        verify(&vote_extension::encode(&[long, b.clone()])),
        Err(VoteExtensionError::SectionTooLarge {
            component: "echo-a",
            size: 10,
            max: 9
        })
    ));
    // Over the total limit, and malformed bytes.
    assert!(matches!(
        verify(&vec![1u8; MAX_VOTE_EXTENSION_BYTES + 1]),
        Err(VoteExtensionError::TooLarge { .. })
    ));
    assert!(matches!(
        verify(&[6, b'e', b'c']),
        Err(VoteExtensionError::Malformed(_))
    ));
}

#[test]
fn arbitrary_bytes_are_rejected_or_accepted_never_a_panic() {
    let machine = two_echoes();
    let state = state(&machine);
    let good = machine.extend_vote(&state, &vote(3)).unwrap();
    let mut rng = Rng::new(11);
    let mut rejected = 0;
    for round in 0..5_000 {
        let mut bytes = if round % 2 == 0 {
            let len = rng.below(64) as usize;
            rng.bytes(len)
        } else {
            good.clone()
        };
        if !bytes.is_empty() && round % 2 == 1 {
            let at = rng.below(bytes.len() as u64) as usize;
            bytes[at] ^= 1 << rng.below(8);
        }
        if machine
            .verify_vote_extension(&state, &vote(3), &VALIDATOR, &bytes)
            .is_err()
        {
            rejected += 1;
        }
    }
    assert!(rejected > 4_000, "{rejected}");
}
