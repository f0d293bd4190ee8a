//! l1: anchoring Quire on an L1 (docs/l1.md). Each validator signs the
//! height's [`Checkpoint`](quire_core::l1::Checkpoint) in its vote
//! extension; the next proposer puts more than 2/3 of the power's
//! signatures first in its block (the attestation system transaction);
//! every node checks them and keeps them forever, with the history of
//! block hashes and namespace commitments they sign.
//!
//! State: `l1/config` (the L1 chain id, the initial height, the salt);
//! `l1/key/{operator}` and `l1/addr/{L1 address}` (the registered keys);
//! `l1/set/{first height}` and `l1/recent` (the L1 validator sets: the
//! CometBFT set's members that have a key, with their power, from the
//! height CometBFT uses them); `l1/hist/…` (the history tree's nodes);
//! `l1/block/{h}` (block hashes); `l1/att/{h}` (attestations).
//!
//! Keys: from genesis (`app_state.l1.signers`) or `MsgSetL1Key`
//! (`register`); a new validator must come with one.
//!
//! Timing: the set that FinalizeBlock `h` makes (staking's set plus the
//! keys) signs from `h + 2` on, the height CometBFT applies the same
//! updates from. ExtendVote and VerifyVoteExtension of `h` read the state
//! committed at `h - 1`: the history of every height before `h`, and the
//! sets of `h` and `h + 1`.

pub mod genesis;
pub mod keys;
pub(crate) mod register;
pub mod state;

pub use genesis::{GenesisL1Signer, L1Genesis};
pub use state::{checkpoint_at, checkpoint_for, L1Config, L1Read, L1Write};

use crate::blob;
use crate::component::Component;
use crate::context::{BlockContext, TxContext, ValidatorUpdate, VoteContext, VoteFlag};
use crate::error::{StateReadError, SystemTxError, TxError};
use crate::event::Event;
use crate::genesis::{Genesis, GenesisError};
use crate::router::MsgDecoder;
use crate::staking::state::StakingRead;
use crate::state::{StateDelta, StateRead, StateWrite};
use crate::system_tx::SystemTxTag;
use crate::tx::DecodedTx;
use crate::vote_extension;
use quire_core::l1::attestation::ATTESTATION_TX_PREFIX;
use quire_core::l1::history;
use quire_core::l1::msg::MSG_SET_L1_KEY_TYPE_URL;
use quire_core::l1::{Attestation, L1Member, L1Signature, L1Signer, L1Valset};
use quire_core::staking::consensus_address;
use std::sync::{Arc, Mutex};

/// The attestation's system transaction tag.
pub const ATTESTATION_TAG: SystemTxTag = SystemTxTag {
    kind: "attestation",
    prefix: ATTESTATION_TX_PREFIX,
};

/// Version byte of the vote extension section: `0x01 ‖ r ‖ s ‖ v`.
pub const EXTENSION_VERSION: u8 = 1;
/// Length of the vote extension section.
pub const EXTENSION_LEN: usize = 1 + L1Signature::LEN;

/// The l1 component. Its signer is the node's L1 key: `None` on a node
/// that does not validate (or a chain that is not anchored).
#[derive(Debug, Default)]
pub struct L1Anchoring {
    signer: Option<L1Signer>,
    /// The last height's vote target, so that its many votes cost one
    /// checkpoint (changes only how fast).
    votes: Mutex<Option<(VoteKey, Arc<Target>)>>,
}

/// What one height's signatures are checked against: its L1 set and the
/// digest of its checkpoint.
#[derive(Debug)]
struct Target {
    set: L1Valset,
    digest: [u8; 32],
}

/// Names a vote target: the height, its block hash, and the block hash of
/// the committed height before it (so a different committed state never
/// reads another state's target).
type VoteKey = (u64, [u8; 32], Option<[u8; 32]>);

impl Target {
    /// The target of `height` with block hash `block_hash`, from a state at
    /// which `height - 1` is committed.
    fn of(
        state: &dyn StateRead,
        config: &L1Config,
        height: u64,
        block_hash: [u8; 32],
    ) -> Result<Self, StateReadError> {
        let set = state.l1_set_at(height)?;
        let digest =
            checkpoint_for(state, config, &set, height, block_hash)?.digest(&config.domain());
        Ok(Target { set, digest })
    }

    /// The signature in `section`, if it is `member`'s over the digest.
    fn check(&self, member: &L1Member, section: &[u8]) -> Result<L1Signature, String> {
        let signature = section_signature(section)?;
        match signature.recover(&self.digest) {
            Ok(address) if address == member.signer => Ok(signature),
            Ok(address) => Err(format!(
                "checkpoint signed by {address}, the validator's L1 key is {}",
                member.signer
            )),
            Err(e) => Err(e.to_string()),
        }
    }
}

impl L1Anchoring {
    /// The component of a node that signs with `signer`.
    pub fn new(signer: Option<L1Signer>) -> Self {
        L1Anchoring {
            signer,
            votes: Mutex::default(),
        }
    }

    /// The target of the vote `ctx` over committed state (`ctx.height - 1`),
    /// from the cache when the same height and block were seen last.
    fn vote_target(
        &self,
        state: &dyn StateRead,
        config: &L1Config,
        ctx: &VoteContext,
    ) -> Result<Arc<Target>, StateReadError> {
        let block_hash: [u8; 32] =
            ctx.block_hash.as_slice().try_into().map_err(|_| {
                StateReadError(format!("block hash of {} bytes", ctx.block_hash.len()))
            })?;
        let key = (
            ctx.height,
            block_hash,
            state.l1_block_hash(ctx.height.saturating_sub(1))?,
        );
        if let Ok(cached) = self.votes.lock() {
            if let Some((_, target)) = cached.as_ref().filter(|(k, _)| *k == key) {
                return Ok(target.clone());
            }
        }
        let target = Arc::new(Target::of(state, config, ctx.height, block_hash)?);
        if let Ok(mut cached) = self.votes.lock() {
            *cached = Some((key, target.clone()));
        }
        Ok(target)
    }
}

/// The L1 set staking's current set gives: every member of the set last
/// sent to CometBFT that has an L1 key, with its power.
fn derive_set(state: &dyn StateRead) -> Result<L1Valset, StateReadError> {
    let mut members = Vec::new();
    for (operator, power) in state.last_set()? {
        let Some(signer) = state.l1_key(operator.as_bytes())? else {
            continue;
        };
        let validator = state.validator(&operator)?.ok_or_else(|| {
            StateReadError(format!("validator {operator} of the last set is gone"))
        })?;
        members.push(L1Member {
            consensus: consensus_address(&validator.consensus_key),
            signer,
            power,
        });
    }
    Ok(L1Valset::new(members))
}

/// The signature in `validator`'s l1 section, if it has a well-formed one.
fn section_signature(section: &[u8]) -> Result<L1Signature, String> {
    match section.split_first() {
        Some((&EXTENSION_VERSION, signature)) if section.len() == EXTENSION_LEN => {
            L1Signature::from_bytes(signature).map_err(|e| e.to_string())
        }
        Some((&version, _)) if version != EXTENSION_VERSION => {
            Err(format!("unknown l1 section version {version}"))
        }
        _ => Err(format!(
            "l1 section is {} bytes, want {EXTENSION_LEN}",
            section.len()
        )),
    }
}

impl Component for L1Anchoring {
    fn name(&self) -> &'static str {
        "l1"
    }

    fn system_tx(&self) -> Option<SystemTxTag> {
        Some(ATTESTATION_TAG)
    }

    fn msg_types(&self) -> Vec<(&'static str, MsgDecoder)> {
        vec![(
            MSG_SET_L1_KEY_TYPE_URL,
            crate::registration::decode::<quire_core::l1::SetL1Key>,
        )]
    }

    /// A new validator of an anchored chain registers its L1 key.
    fn check_tx(
        &self,
        state: &dyn StateRead,
        _ctx: &TxContext<'_>,
        tx: &DecodedTx,
    ) -> Result<(), TxError> {
        register::check_new_validator_key(state, tx)
    }

    fn init_chain(
        &self,
        state: &mut dyn StateWrite,
        genesis: &Genesis<'_>,
    ) -> Result<(), GenesisError> {
        match &genesis.state.l1 {
            Some(l1) => genesis::init(state, genesis, l1),
            None => Ok(()),
        }
    }

    /// Records the genesis L1 set (after staking bonded the genesis
    /// validators); every genesis validator must have an L1 key.
    fn genesis_validators(
        &self,
        state: &mut dyn StateWrite,
        genesis: &Genesis<'_>,
    ) -> Result<Vec<ValidatorUpdate>, GenesisError> {
        let state_error = |e: StateReadError| GenesisError::State(e.to_string());
        if state.l1_config().map_err(state_error)?.is_none() {
            return Ok(Vec::new());
        }
        for (operator, _) in state.last_set().map_err(state_error)? {
            if state
                .l1_key(operator.as_bytes())
                .map_err(state_error)?
                .is_none()
            {
                return Err(GenesisError::L1(format!(
                    "genesis validator {operator} has no L1 key in app_state.l1.signers"
                )));
            }
        }
        let set = derive_set(state).map_err(state_error)?;
        state
            .put_l1_set(genesis.initial_height, &set)
            .map_err(state_error)?;
        Ok(Vec::new())
    }

    /// Appends the height to the history and, if the set or a key changed,
    /// records the L1 set of `height + 2`.
    fn end_block(
        &self,
        state: &mut dyn StateWrite,
        ctx: &BlockContext,
    ) -> Result<Vec<ValidatorUpdate>, StateReadError> {
        let Some(config) = state.l1_config()? else {
            return Ok(Vec::new());
        };
        let record = state
            .get(&blob::keys::commitment(ctx.height))?
            .ok_or_else(|| {
                StateReadError(format!("height {} has no commitment record", ctx.height))
            })?;
        let record = blob::keys::decode_commitment_record(&record)
            .ok_or_else(|| StateReadError("corrupt commitment record".into()))?;
        let leaf = history::height_leaf(
            ctx.height,
            &ctx.hash,
            record.namespace_count,
            &record.namespace_root,
        );
        let size = ctx.height.saturating_sub(config.initial_height);
        let nodes = history::append(&state::StoredHistory(&*state), size, leaf)
            .map_err(|e| StateReadError(e.to_string()))?;
        for (level, index, hash) in nodes {
            state.put_history_node(level, index, hash);
        }
        state.put_l1_block_hash(ctx.height, &ctx.hash);

        let keys_changed =
            crate::state::ObjectRead::object_get::<()>(&*state, keys::KEYS_CHANGED).is_some();
        if keys_changed || crate::staking::ops::ranking_changed(&*state) {
            let next = derive_set(&*state)?;
            let from = ctx.height.saturating_add(2);
            // An empty L1 set could never sign: keep the last one instead
            // (genesis and create-validator make this unreachable).
            if !next.is_empty() && next != state.l1_set_at(from)? {
                state.put_l1_set(from, &next)?;
            }
        }
        Ok(Vec::new())
    }

    /// Every block after the initial height of an anchored chain attests
    /// the height before it.
    fn requires_system_tx(
        &self,
        state: &dyn StateRead,
        ctx: &BlockContext,
    ) -> Result<bool, StateReadError> {
        Ok(state
            .l1_config()?
            .is_some_and(|config| ctx.height > config.initial_height))
    }

    fn system_tx_reserve(&self, state: &dyn StateRead, ctx: &BlockContext) -> u64 {
        let signers = match state.l1_config() {
            Ok(Some(config)) if ctx.height > config.initial_height => state
                .l1_set_at(ctx.height - 1)
                .map_or(quire_core::l1::valset::MAX_L1_VALIDATORS, |set| set.len()),
            Ok(_) => 0,
            Err(_) => quire_core::l1::valset::MAX_L1_VALIDATORS,
        };
        (ATTESTATION_TX_PREFIX.len() + Attestation::payload_len(signers)) as u64
    }

    /// The attestation of the previous height: the valid checkpoint
    /// signatures in the proposer's view of the last commit, strongest
    /// signers first, just enough for more than 2/3 of the power (fewer
    /// signatures cost the L1 less gas).
    fn build_system_tx(
        &self,
        state: &StateDelta<'_>,
        ctx: &BlockContext,
    ) -> Result<Option<Vec<u8>>, StateReadError> {
        let height = ctx.height.saturating_sub(1);
        let mut attestation = Attestation {
            height,
            signatures: Vec::new(),
        };
        // Only called for blocks that require it: anchored, past the first.
        let Some(config) = state.l1_config()? else {
            return Ok(None);
        };
        let block_hash = state
            .l1_block_hash(height)?
            .ok_or_else(|| StateReadError(format!("no block hash recorded for {height}")))?;
        let target = Target::of(state, &config, height, block_hash)?;
        let set = &target.set;
        let mut valid = Vec::new();
        for vote in &ctx.last_commit.votes {
            if vote.flag != VoteFlag::Commit {
                continue;
            }
            let Some((index, member)) = set.by_consensus(&vote.validator) else {
                continue;
            };
            let Ok(sections) = vote_extension::decode(&vote.extension) else {
                continue;
            };
            let Some(section) = sections.iter().find(|s| s.component == self.name()) else {
                continue;
            };
            // Late precommits reach the proposer unverified: check each.
            if let Ok(signature) = target.check(member, section.data) {
                valid.push((index, signature, member.power));
            }
        }
        valid.sort_by_key(|(index, _, _)| *index);
        let mut signed: u128 = 0;
        for (index, signature, power) in valid {
            if set.is_quorum(signed) {
                break;
            }
            signed += u128::from(power);
            attestation.signatures.push((index as u16, signature));
        }
        Ok(Some(attestation.to_tx()))
    }

    /// Checks the attestation of the previous height: its height, and that
    /// its signatures recover to their signers and carry more than 2/3 of
    /// the set's power (the total from state, never from the proposer).
    fn deliver_system_tx(
        &self,
        state: &mut dyn StateWrite,
        ctx: &BlockContext,
        _tx_index: u32,
        tx: &[u8],
    ) -> Result<Vec<Event>, SystemTxError> {
        let payload = ATTESTATION_TAG
            .payload(tx)
            .ok_or_else(|| SystemTxError::Malformed("no attestation tag".into()))?;
        let attestation =
            Attestation::decode(payload).map_err(|e| SystemTxError::Malformed(e.to_string()))?;
        let fail = |reason: String| SystemTxError::Attestation(reason);
        let expected_height = ctx.height.saturating_sub(1);
        if attestation.height != expected_height {
            return Err(fail(format!(
                "attests height {}, the block must attest {expected_height}",
                attestation.height
            )));
        }
        let storage = |e: StateReadError| SystemTxError::Malformed(format!("state: {e}"));
        let config = state.l1_config().map_err(storage)?;
        let config = match config {
            Some(config) if ctx.height > config.initial_height => config,
            _ => {
                if !attestation.signatures.is_empty() {
                    return Err(fail(
                        "no checkpoint to attest here: the attestation must be empty".into(),
                    ));
                }
                return Ok(Vec::new());
            }
        };
        let block_hash = state
            .l1_block_hash(expected_height)
            .map_err(storage)?
            .ok_or_else(|| fail(format!("no block hash recorded for {expected_height}")))?;
        let Target { set, digest } =
            Target::of(&*state, &config, expected_height, block_hash).map_err(storage)?;
        let mut signed: u128 = 0;
        for (index, signature) in &attestation.signatures {
            let member = set.members().get(usize::from(*index)).ok_or_else(|| {
                fail(format!(
                    "signer index {index} is outside the set of {}",
                    set.len()
                ))
            })?;
            match signature.recover(&digest) {
                Ok(address) if address == member.signer => {}
                _ => {
                    return Err(fail(format!(
                        "signature {index} is not {}'s checkpoint signature",
                        member.signer
                    )))
                }
            }
            signed += u128::from(member.power);
        }
        if !set.is_quorum(signed) {
            return Err(fail(format!(
                "signatures carry {signed} of {} power, more than 2/3 needed",
                set.total_power()
            )));
        }
        state.put_l1_attestation(&attestation);
        Ok(vec![Event::new("l1_attestation")
            .indexed("height", expected_height)
            .unindexed("signatures", attestation.signatures.len())])
    }

    fn max_vote_extension_bytes(&self) -> usize {
        EXTENSION_LEN
    }

    /// Signs the checkpoint of the height voted for, if the node's key is
    /// a member's of the height's L1 set (a node whose key is not
    /// registered sends no section: members need one, others must not).
    fn extend_vote(
        &self,
        state: &dyn StateRead,
        ctx: &VoteContext,
    ) -> Result<Option<Vec<u8>>, StateReadError> {
        let (Some(signer), Some(config)) = (&self.signer, state.l1_config()?) else {
            return Ok(None);
        };
        let target = self.vote_target(state, &config, ctx)?;
        if !target
            .set
            .members()
            .iter()
            .any(|m| m.signer == signer.address())
        {
            return Ok(None);
        }
        let signature = signer
            .sign(&target.digest)
            .map_err(|e| StateReadError(format!("signing the checkpoint: {e}")))?;
        let mut section = Vec::with_capacity(EXTENSION_LEN);
        section.push(EXTENSION_VERSION);
        section.extend_from_slice(&signature.to_bytes());
        Ok(Some(section))
    }

    /// A member of the height's L1 set must sign the checkpoint with its
    /// registered key; anyone else sends no section.
    fn verify_vote_extension(
        &self,
        state: &dyn StateRead,
        ctx: &VoteContext,
        validator: &[u8; 20],
        section: Option<&[u8]>,
    ) -> Result<(), String> {
        let no_section = || match section {
            None => Ok(()),
            Some(_) => Err("this validator signs no checkpoint (no L1 key)".to_string()),
        };
        let Some(config) = state.l1_config().map_err(|e| e.to_string())? else {
            return no_section();
        };
        let target = self
            .vote_target(state, &config, ctx)
            .map_err(|e| e.to_string())?;
        let Some((_, member)) = target.set.by_consensus(validator) else {
            return no_section();
        };
        let section = section.ok_or("missing the checkpoint signature")?;
        target.check(member, section).map(|_| ())
    }
}
