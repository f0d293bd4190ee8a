//! Any bytes as the on-chain key generation's inputs (docs/blind-ordering.md
//! §4): a player's message as its vote extension section carries it, the
//! dkg system transaction, and a deal, an acknowledgement list and a log
//! handed to `quire_tpke::dkg` for a real four-player round. None may panic
//! or allocate beyond its input.
//!
//! Invariants checked on top: a decoded message re-encodes to the same
//! bytes and no fuzzed signature verifies; a fuzzed deal is never
//! acknowledged (its evaluations are not sealed to the player); a fuzzed
//! log never passes the dealer's signature check, so observing it alone
//! fails.
#![no_main]

use libfuzzer_sys::fuzz_target;
use quire_app::encryption::dkg::message::{decode_tx, DkgMessage};
use quire_app::encryption::dkg::max_message_len;
use quire_tpke::dkg::{self, DkgSecret, Round};
use std::sync::LazyLock;

struct Fixture {
    round: Round,
    player: DkgSecret,
    honest_deal: Vec<u8>,
}

static FIXTURE: LazyLock<Fixture> = LazyLock::new(|| {
    let secrets: Vec<DkgSecret> = (1..=4).map(|i| DkgSecret::from_bytes([i; 32])).collect();
    let publics: Vec<_> = secrets.iter().map(DkgSecret::public).collect();
    let round = Round::new("quire-fuzz", 1, &publics).expect("round");
    let honest_deal = dkg::deal(&round, &secrets[0]).expect("deal");
    Fixture {
        round,
        player: secrets[1].clone(),
        honest_deal,
    }
});

fuzz_target!(|data: &[u8]| {
    let fixture = &*FIXTURE;
    let n = fixture.round.players().len();
    if let Ok(message) = DkgMessage::decode(data, n, max_message_len(n)) {
        assert_eq!(message.encode(), data);
        assert!(!message.verifies(&fixture.round), "a fuzzed signature verified");
    }
    if let Ok(sections) = decode_tx(data, n) {
        assert!(sections.len() <= n);
    }
    if dkg::check_deal(&fixture.round, data).is_ok() && data != fixture.honest_deal.as_slice() {
        let dealer = 0;
        let acks = dkg::acks(&fixture.round, &fixture.player, &[(dealer, data.to_vec())])
            .expect("the player is in the round");
        assert!(acks.is_empty(), "a fuzzed deal was acknowledged");
    }
    for dealer in 0..n as u32 {
        assert!(dkg::check_log(&fixture.round, dealer, data).is_err());
    }
    assert!(dkg::observe(&fixture.round, &[(0, data.to_vec())]).is_err());
    let _ = dkg::DkgPublic::from_bytes(data);
});
