//! ABCI (tendermint-rs) types to and from the app's domain types. Nothing
//! here fails: CometBFT's values are within range by construction, and a
//! value that is not (a negative time, an unknown flag) maps to a neutral
//! one rather than a panic.

use quire_app::context::{CommitInfo, Misbehavior, MisbehaviorKind, Timestamp, VoteFlag, VoteInfo};
use quire_app::event::Event;
use quire_app::{BlockContext, ValidatorUpdate};
use tendermint::abci::types::{self as abci_types, BlockSignatureInfo};
use tendermint::abci::EventAttributeIndexExt;
use tendermint::block::BlockIdFlag;

/// A CometBFT time as the app's timestamp.
pub fn timestamp(time: tendermint::Time) -> Timestamp {
    let nanos = time.unix_timestamp_nanos();
    Timestamp {
        seconds: i64::try_from(nanos.div_euclid(1_000_000_000)).unwrap_or(0),
        nanos: u32::try_from(nanos.rem_euclid(1_000_000_000)).unwrap_or(0),
    }
}

fn flag(info: &BlockSignatureInfo) -> VoteFlag {
    match info {
        BlockSignatureInfo::Flag(BlockIdFlag::Commit) | BlockSignatureInfo::LegacySigned => {
            VoteFlag::Commit
        }
        BlockSignatureInfo::Flag(BlockIdFlag::Nil) => VoteFlag::Nil,
        BlockSignatureInfo::Flag(BlockIdFlag::Absent) => VoteFlag::Absent,
    }
}

fn vote(
    validator: &abci_types::Validator,
    sig_info: &BlockSignatureInfo,
    extension: &[u8],
) -> VoteInfo {
    VoteInfo {
        validator: validator.address,
        power: validator.power.value(),
        flag: flag(sig_info),
        extension: extension.to_vec(),
    }
}

/// A commit as the app sees it.
pub fn commit_info(info: &abci_types::CommitInfo) -> CommitInfo {
    CommitInfo {
        round: info.round.value(),
        votes: info
            .votes
            .iter()
            .map(|v| vote(&v.validator, &v.sig_info, &[]))
            .collect(),
    }
}

/// The proposer's own view of the last commit, with the vote extensions.
pub fn extended_commit_info(info: &abci_types::ExtendedCommitInfo) -> CommitInfo {
    CommitInfo {
        round: info.round.value(),
        votes: info
            .votes
            .iter()
            .map(|v| vote(&v.validator, &v.sig_info, &v.vote_extension))
            .collect(),
    }
}

/// Evidence as the app sees it.
pub fn misbehavior(evidence: &[abci_types::Misbehavior]) -> Vec<Misbehavior> {
    evidence
        .iter()
        .map(|m| Misbehavior {
            kind: match m.kind {
                abci_types::MisbehaviorKind::DuplicateVote => MisbehaviorKind::DuplicateVote,
                abci_types::MisbehaviorKind::LightClientAttack => {
                    MisbehaviorKind::LightClientAttack
                }
                abci_types::MisbehaviorKind::Unknown => MisbehaviorKind::Unknown,
            },
            validator: m.validator.address,
            power: m.validator.power.value(),
            height: m.height.value(),
            time: timestamp(m.time),
            total_voting_power: m.total_voting_power.value(),
        })
        .collect()
}

/// The 20-byte form of a CometBFT account id (proposer, validator address).
pub fn address(id: &tendermint::account::Id) -> [u8; 20] {
    let mut out = [0u8; 20];
    let bytes = id.as_bytes();
    if bytes.len() == out.len() {
        out.copy_from_slice(bytes);
    }
    out
}

/// A block hash as 32 bytes (zero for CometBFT's empty hash).
pub fn block_hash(hash: &tendermint::Hash) -> [u8; 32] {
    hash.as_bytes().try_into().unwrap_or_default()
}

/// The block context of a request's fields.
pub fn block_context(
    height: tendermint::block::Height,
    time: tendermint::Time,
    proposer: &tendermint::account::Id,
    hash: Option<&tendermint::Hash>,
    last_commit: CommitInfo,
    evidence: &[abci_types::Misbehavior],
) -> BlockContext {
    BlockContext {
        height: height.value(),
        time: timestamp(time),
        hash: hash.map(block_hash).unwrap_or_default(),
        proposer: address(proposer),
        last_commit,
        misbehavior: misbehavior(evidence),
    }
}

/// An app event as CometBFT's.
pub fn event(event: &Event) -> tendermint::abci::Event {
    tendermint::abci::Event::new(
        event.kind,
        event.attributes.iter().map(|attribute| {
            let pair = (attribute.key, attribute.value.clone());
            if attribute.index {
                pair.index()
            } else {
                pair.no_index()
            }
        }),
    )
}

/// A validator update as CometBFT's (ed25519 keys; power within CometBFT's
/// range), or why it cannot be one.
pub fn validator_update(update: &ValidatorUpdate) -> Result<tendermint::validator::Update, String> {
    Ok(tendermint::validator::Update {
        pub_key: tendermint::PublicKey::from_raw_ed25519(&update.pub_key).ok_or_else(|| {
            format!(
                "validator key {} is not ed25519",
                hex::encode(update.pub_key)
            )
        })?,
        power: tendermint::vote::Power::try_from(update.power)
            .map_err(|e| format!("validator power {}: {e}", update.power))?,
    })
}
