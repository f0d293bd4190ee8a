//! Skipping verification across validator-set changes: a chain whose set is
//! replaced twice over is followed from its first height to its last by
//! bisection, each step signed by at least 1/3 of the power trusted before
//! it; a direct jump is refused, and a forged far header is caught.

use quire_client::read::{skip_to, LightBlockSource, ReadError};
use quire_client::verify::{Verifier, VerifyError};
use quire_proto::sequencer::v1 as pb;
use std::collections::BTreeMap;
use std::sync::Mutex;
use tendermint::Time;
use tendermint_proto::Protobuf;
use tendermint_testgen::{Commit, Generator, Header, LightBlock, Validator};

const CHAIN: &str = "bisect-chain";
const TOP: u64 = 64;

/// The validators of height `h`: eight named validators, a window of four
/// sliding by one every 8 heights, so heights 8 apart share 3 of 4 and
/// heights 32 apart share none.
fn validators_at(h: u64) -> Vec<Validator> {
    let start = (h / 8) as usize;
    (start..start + 4)
        .map(|i| Validator::new(&format!("v{i}")).voting_power(10))
        .collect()
}

struct Chain {
    blocks: BTreeMap<u64, pb::Attestation>,
    fetched: Mutex<Vec<u64>>,
}

impl Chain {
    fn new(base: Time) -> Self {
        let blocks = (1..=TOP)
            .map(|h| {
                let header = Header::new(&validators_at(h))
                    .next_validators(&validators_at(h + 1))
                    .chain_id(CHAIN)
                    .height(h)
                    .time((base + std::time::Duration::from_secs(h)).unwrap());
                let block = LightBlock::new(header.clone(), Commit::new(header, 1))
                    .next_validators(&validators_at(h + 1))
                    .generate()
                    .unwrap();
                let attestation = pb::Attestation {
                    signed_header:
                        Protobuf::<tendermint_proto::v0_38::types::SignedHeader>::encode_vec(
                            block.signed_header,
                        ),
                    validator_set:
                        Protobuf::<tendermint_proto::v0_38::types::ValidatorSet>::encode_vec(
                            block.validators,
                        ),
                    next_validator_set:
                        Protobuf::<tendermint_proto::v0_38::types::ValidatorSet>::encode_vec(
                            block.next_validators,
                        ),
                    ..Default::default()
                };
                (h, attestation)
            })
            .collect();
        Chain {
            blocks,
            fetched: Mutex::new(Vec::new()),
        }
    }
}

impl LightBlockSource for Chain {
    async fn light_block(&self, height: u64) -> Result<pb::Attestation, ReadError> {
        self.fetched.lock().unwrap().push(height);
        self.blocks
            .get(&height)
            .cloned()
            .ok_or(ReadError::Timeout(std::time::Duration::ZERO, height))
    }
}

fn set(h: u64) -> tendermint::validator::Set {
    tendermint::validator::Set::without_proposer(
        tendermint_testgen::validator::generate_validators(&validators_at(h)).unwrap(),
    )
}

fn verifier(base: Time) -> Verifier {
    // Trust height 1 (as a genesis would): its time, and the set of height 2.
    Verifier::from_trusted(
        CHAIN.parse().unwrap(),
        1,
        (base + std::time::Duration::from_secs(1)).unwrap(),
        set(2),
    )
}

#[tokio::test]
async fn a_far_height_is_reached_by_bisection_through_set_changes() {
    let base = (Time::now() - std::time::Duration::from_secs(3600)).unwrap();
    let chain = Chain::new(base);
    // Directly: none of the trusted validators signed height 64.
    let mut direct = verifier(base);
    let block = chain.blocks[&TOP].clone();
    assert!(matches!(
        direct.verify_light_block(&block, TOP),
        Err(VerifyError::NotEnoughTrust { .. })
    ));
    // By bisection: a handful of light blocks, not 63.
    let mut verifier = verifier(base);
    let steps = skip_to(&mut verifier, &chain, TOP).await.unwrap();
    assert_eq!(verifier.trusted_height(), TOP);
    let fetched = chain.fetched.lock().unwrap().clone();
    assert!((3..16).contains(&steps), "{steps} steps: {fetched:?}");
    // Every verified step kept the trust rule (the verifier enforces it);
    // skipping again to a lower height is a no-op.
    assert_eq!(skip_to(&mut verifier, &chain, 10).await.unwrap(), 0);
}

#[tokio::test]
async fn a_header_signed_by_strangers_is_refused_by_bisection_too() {
    let base = (Time::now() - std::time::Duration::from_secs(3600)).unwrap();
    let mut chain = Chain::new(base);
    // Height 40 replaced by one signed by validators nobody ever trusted.
    let strangers: Vec<Validator> = (100..104)
        .map(|i| Validator::new(&format!("x{i}")).voting_power(10))
        .collect();
    let header = Header::new(&strangers)
        .next_validators(&strangers)
        .chain_id(CHAIN)
        .height(40)
        .time((base + std::time::Duration::from_secs(40)).unwrap());
    let forged = LightBlock::new(header.clone(), Commit::new(header, 1))
        .generate()
        .unwrap();
    chain.blocks.insert(
        40,
        pb::Attestation {
            signed_header: Protobuf::<tendermint_proto::v0_38::types::SignedHeader>::encode_vec(
                forged.signed_header,
            ),
            validator_set: Protobuf::<tendermint_proto::v0_38::types::ValidatorSet>::encode_vec(
                forged.validators.clone(),
            ),
            next_validator_set:
                Protobuf::<tendermint_proto::v0_38::types::ValidatorSet>::encode_vec(
                    forged.validators,
                ),
            ..Default::default()
        },
    );
    let mut verifier = verifier(base);
    let err = skip_to(&mut verifier, &chain, 40).await.unwrap_err();
    assert!(matches!(err, ReadError::Verify(_)), "{err}");
    assert!(verifier.trusted_height() < 40);
}
