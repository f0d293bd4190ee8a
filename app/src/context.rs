//! What the app is told about a block, a vote and a transaction: the inputs
//! of the consensus paths, as domain types (the shell translates ABCI's).

use crate::sigcache::SignatureCache;
use quire_core::Params;

/// A point in time as CometBFT gives it (the block header's time): seconds
/// and nanoseconds since the Unix epoch. Never read from a clock.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Timestamp {
    /// Whole seconds since 1970-01-01T00:00:00Z.
    pub seconds: i64,
    /// Nanoseconds within the second, `0..1_000_000_000`.
    pub nanos: u32,
}

impl Timestamp {
    /// `seconds` after the epoch.
    pub const fn from_seconds(seconds: i64) -> Self {
        Timestamp { seconds, nanos: 0 }
    }

    /// This time plus `seconds`, saturating.
    pub fn plus_seconds(self, seconds: u64) -> Self {
        Timestamp {
            seconds: self
                .seconds
                .saturating_add(i64::try_from(seconds).unwrap_or(i64::MAX)),
            nanos: self.nanos,
        }
    }

    /// 12 bytes whose byte order is time order: seconds as u64 BE with the
    /// sign bit flipped ‖ nanos u32 BE (queue keys and records).
    pub fn encode(self) -> [u8; 12] {
        let mut out = [0u8; 12];
        out[..8].copy_from_slice(&((self.seconds as u64) ^ (1 << 63)).to_be_bytes());
        out[8..].copy_from_slice(&self.nanos.to_be_bytes());
        out
    }

    /// Inverse of [`encode`](Self::encode).
    pub fn decode(bytes: &[u8]) -> Option<Self> {
        let (seconds, nanos) = bytes.split_first_chunk::<8>()?;
        let nanos: [u8; 4] = nanos.try_into().ok()?;
        let nanos = u32::from_be_bytes(nanos);
        if nanos >= 1_000_000_000 {
            return None;
        }
        Some(Timestamp {
            seconds: (u64::from_be_bytes(*seconds) ^ (1 << 63)) as i64,
            nanos,
        })
    }
}

/// How a validator voted for the last block, as recorded in its commit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VoteFlag {
    /// No vote was received.
    Absent,
    /// Voted for the block.
    Commit,
    /// Voted nil.
    Nil,
}

/// One validator's vote in the last block's commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoteInfo {
    /// The validator's consensus address (first 20 bytes of sha256 of its key).
    pub validator: [u8; 20],
    /// Its voting power.
    pub power: u64,
    /// How it voted.
    pub flag: VoteFlag,
    /// Its vote extension (only in the proposer's own view of the last commit,
    /// PrepareProposal's `local_last_commit`; empty elsewhere).
    pub extension: Vec<u8>,
}

/// The last block's commit: round and votes, in CometBFT's order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CommitInfo {
    /// The round the last block was decided in.
    pub round: u32,
    /// One entry per validator of the last block's set.
    pub votes: Vec<VoteInfo>,
}

/// Which misbehaviour CometBFT found evidence of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MisbehaviorKind {
    /// Two conflicting votes (double signing).
    DuplicateVote,
    /// A light-client attack.
    LightClientAttack,
    /// Of a kind this version does not know.
    Unknown,
}

/// Evidence of misbehaviour in a block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Misbehavior {
    /// What kind.
    pub kind: MisbehaviorKind,
    /// The offender's consensus address.
    pub validator: [u8; 20],
    /// Its power at the infraction.
    pub power: u64,
    /// Height of the infraction.
    pub height: u64,
    /// Time of the infraction.
    pub time: Timestamp,
    /// Total voting power at the infraction.
    pub total_voting_power: u64,
}

/// What a block is: the inputs PrepareProposal, ProcessProposal and
/// FinalizeBlock share. Everything in it comes from the request (CometBFT's
/// view of the block), so every honest node sees the same.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BlockContext {
    /// Height of the block.
    pub height: u64,
    /// The block's time (its header time).
    pub time: Timestamp,
    /// The block's hash (CometBFT's header hash) in ProcessProposal and
    /// FinalizeBlock; zero in PrepareProposal, whose block has none yet.
    pub hash: [u8; 32],
    /// The proposer's consensus address.
    pub proposer: [u8; 20],
    /// The commit of the previous block that this block carries.
    pub last_commit: CommitInfo,
    /// Evidence of misbehaviour the block carries.
    pub misbehavior: Vec<Misbehavior>,
}

impl BlockContext {
    /// A context with only the height set (tests and tools).
    pub fn at_height(height: u64) -> Self {
        BlockContext {
            height,
            ..BlockContext::default()
        }
    }
}

/// A change to the validator set, returned by EndBlock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidatorUpdate {
    /// The ed25519 consensus public key.
    pub pub_key: [u8; 32],
    /// New voting power; 0 removes the validator.
    pub power: u64,
}

/// What one vote is for: ExtendVote and VerifyVoteExtension.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoteContext {
    /// Height of the block voted for.
    pub height: u64,
    /// Hash of the block voted for.
    pub block_hash: Vec<u8>,
}

/// What a transaction is checked against: the chain's constants, the block
/// it is (or would be) in, and the node's signature cache.
#[derive(Clone, Copy)]
pub struct TxContext<'a> {
    /// This chain's id.
    pub chain_id: &'a str,
    /// The chain parameters.
    pub params: &'a Params,
    /// Height of the block being built or checked.
    pub height: u64,
    /// The block's time (CheckTx: the last block's).
    pub time: Timestamp,
    /// Verified signatures (changes only how fast, never the result).
    pub sig_cache: &'a SignatureCache,
    /// Whether transactions' events are built (FinalizeBlock only).
    pub events: bool,
}
