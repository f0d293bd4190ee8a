//! dkg: the validators generate the epoch key themselves, on chain
//! (docs/blind-ordering.md, "Key generation"), with
//! [`quire_tpke::dkg`] (Joint-Feldman).
//!
//! A round runs in three phases of `phase_blocks` blocks each: deal, ack,
//! log. Each validator puts its message for the phase in its vote
//! extension, again at every height until the chain has it; the next
//! proposer puts the new, valid ones in the dkg system transaction, and
//! every node checks them (the sender's signature, the round, the phase,
//! the encoding, that each adds something) and records them. At the end of
//! the log phase FinalizeBlock observes the recorded logs: the epoch key
//! (a new epoch, encryption on) or a failed round (the next starts at
//! once). A new round also starts when the chain has switched to
//! plaintext only after repeated expiries, and when the players it would
//! have (the active validators with registered keys, [`players`]) differ
//! from those of the round that made the current key: validators joined,
//! left or rotated their keys (`MsgSetDkgKey`, [`register`]).
//!
//! Nothing secret is stored: a validator's deal, acknowledgements, log and
//! key share are functions of its [`DkgSecret`] and the public record.

pub mod message;
pub mod players;
pub(crate) mod register;
pub mod state;

use super::state::{EncryptionParams, EncryptionRead, EncryptionWrite, Status};
use crate::chain::ChainRead;
use crate::component::Component;
use crate::context::{BlockContext, ValidatorUpdate, VoteContext, VoteFlag};
use crate::error::{StateReadError, SystemTxError};
use crate::event::Event;
use crate::state::{StateDelta, StateRead, StateWrite};
use crate::system_tx::SystemTxTag;
use crate::vote_extension;
use message::{deadline, decode_tx, encode_tx, recording_phase, DkgMessage, Payload, Phase};
use quire_tpke::dkg::{DkgSecret, Round, MAX_DKG_PLAYERS};
use state::{DkgConfig, DkgRead, DkgWrite, RoundPlayers, RunningRound};
use std::collections::BTreeSet;
use std::sync::Mutex;

/// The dkg system transaction's tag.
pub const DKG_TAG: SystemTxTag = SystemTxTag {
    kind: "dkg",
    prefix: b"\x00quire/dkg/v1\x00",
};

/// The component name (its vote extension section's too).
pub const NAME: &str = "dkg";

/// The most bytes of one player's message.
pub fn max_message_len(players: usize) -> usize {
    17 + quire_tpke::dkg::max_payload_len(players) + quire_tpke::dkg::SIGNATURE_LEN
}

/// The key-generation component. Its secret is the node's key-generation
/// secret: `None` on a node that plays no part (it then sends nothing).
#[derive(Debug, Default)]
pub struct KeyGeneration {
    secret: Option<DkgSecret>,
    payloads: PayloadCache,
    rounds: RoundCache,
}

impl KeyGeneration {
    /// The component of a node holding `secret`.
    pub fn new(secret: Option<DkgSecret>) -> Self {
        KeyGeneration {
            secret,
            payloads: PayloadCache::default(),
            rounds: RoundCache::default(),
        }
    }
}

/// Round `number` on this chain, with its players.
pub(crate) fn round_of(
    state: &(impl StateRead + ?Sized),
    number: u64,
) -> Result<(RoundPlayers, Round), StateReadError> {
    let players = state.dkg_players(number)?;
    let round = build_round(&state.chain_id()?, number, &players)?;
    Ok((players, round))
}

fn build_round(chain: &str, number: u64, players: &RoundPlayers) -> Result<Round, StateReadError> {
    Round::new(chain, number, &players.publics())
        .map_err(|e| StateReadError(format!("dkg round {number}: {e}")))
}

/// A running round: its height span, its players and its [`Round`].
struct Running {
    running: RunningRound,
    players: RoundPlayers,
    round: Round,
}

/// The last [`Round`] built, with its chain, number and players: the
/// votes, extensions and system txs of a round share it instead of each
/// rebuilding commonware's transcript over every player's key.
#[derive(Default)]
struct RoundCache(Mutex<Option<(String, u64, RoundPlayers, Round)>>);

impl std::fmt::Debug for RoundCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RoundCache")
    }
}

impl RoundCache {
    fn get(
        &self,
        state: &(impl StateRead + ?Sized),
        number: u64,
    ) -> Result<(RoundPlayers, Round), StateReadError> {
        let chain = state.chain_id()?;
        let players = state.dkg_players(number)?;
        let mut cache = self
            .0
            .lock()
            .map_err(|_| StateReadError("dkg round cache poisoned".into()))?;
        if let Some((c, n, p, round)) = cache.as_ref() {
            if *c == chain && *n == number && *p == players {
                return Ok((players, round.clone()));
            }
        }
        let round = build_round(&chain, number, &players)?;
        *cache = Some((chain, number, players.clone(), round.clone()));
        Ok((players, round))
    }
}

/// The running round, if a round runs.
fn running(
    state: &(impl StateRead + ?Sized),
    rounds: &RoundCache,
) -> Result<Option<Running>, StateReadError> {
    let (Some(_), Some(running)) = (state.dkg_config()?, state.dkg_round()?) else {
        return Ok(None);
    };
    let (players, round) = rounds.get(state, running.round)?;
    Ok(Some(Running {
        running,
        players,
        round,
    }))
}

/// Checks `message` for recording in the block at `phase` of `running`:
/// its round, phase and signature, that its sender sent nothing else in
/// this transaction, that its content is well formed and adds something.
fn check(
    state: &(impl StateRead + ?Sized),
    running: RunningRound,
    round: &Round,
    phase: Phase,
    message: &DkgMessage,
) -> Result<(), String> {
    let sender = message.sender;
    if message.round != running.round {
        return Err(format!(
            "player {sender}'s message is for round {}, the running round is {}",
            message.round, running.round
        ));
    }
    if message.payload.phase() != phase {
        return Err(format!(
            "player {sender}'s message is a {:?}, this block records the {phase:?} phase",
            message.payload.phase()
        ));
    }
    if !message.verifies(round) {
        return Err(format!("player {sender}'s signature does not verify"));
    }
    let r = running.round;
    let read = |e: StateReadError| e.to_string();
    match &message.payload {
        Payload::Deal(deal) => {
            if state.dkg_has_deal(r, sender).map_err(read)? {
                return Err(format!("dealer {sender}'s deal is already recorded"));
            }
            quire_tpke::dkg::check_deal(round, deal)
                .map_err(|e| format!("dealer {sender}'s deal: {e}"))
        }
        Payload::Acks(acks) => {
            let mut new = false;
            for (dealer, _) in acks {
                if !state.dkg_has_deal(r, *dealer).map_err(read)? {
                    return Err(format!(
                        "player {sender} acknowledges dealer {dealer}, which has no deal"
                    ));
                }
                new |= !state.dkg_has_ack(r, *dealer, sender).map_err(read)?;
            }
            if !new {
                return Err(format!("player {sender}'s acks are all recorded already"));
            }
            Ok(())
        }
        Payload::Log(log) => {
            if !state.dkg_has_deal(r, sender).map_err(read)? {
                return Err(format!("dealer {sender} logs a deal it never made"));
            }
            if state.dkg_has_log(r, sender).map_err(read)? {
                return Err(format!("dealer {sender}'s log is already recorded"));
            }
            quire_tpke::dkg::check_log(round, sender, log)
                .map_err(|e| format!("dealer {sender}'s log: {e}"))
        }
    }
}

/// Records a checked message.
fn record(
    state: &mut dyn StateWrite,
    round: u64,
    message: &DkgMessage,
) -> Result<(), StateReadError> {
    let sender = message.sender;
    match &message.payload {
        Payload::Deal(deal) => state.put_dkg_deal(round, sender, deal),
        Payload::Acks(acks) => {
            for (dealer, ack) in acks {
                if !state.dkg_has_ack(round, *dealer, sender)? {
                    state.put_dkg_ack(round, *dealer, sender, ack);
                }
            }
        }
        Payload::Log(log) => state.put_dkg_log(round, sender, log),
    }
    Ok(())
}

/// A player's full payload for one phase of one round, before what the
/// chain already has is left out. A phase's inputs are final by the time
/// its messages are made (the deals before acks, the acks before logs), so
/// it is computed once: acks open and check every deal, a log replays the
/// dealing.
#[derive(Debug, Default)]
struct PayloadCache(Mutex<Option<(u64, Phase, Option<Payload>)>>);

impl PayloadCache {
    fn get_or(
        &self,
        round: u64,
        phase: Phase,
        make: impl FnOnce() -> Result<Option<Payload>, StateReadError>,
    ) -> Result<Option<Payload>, StateReadError> {
        let mut cache = self
            .0
            .lock()
            .map_err(|_| StateReadError("dkg payload cache poisoned".into()))?;
        if let Some((r, p, payload)) = cache.as_ref() {
            if *r == round && *p == phase {
                return Ok(payload.clone());
            }
        }
        let payload = make()?;
        *cache = Some((round, phase, payload.clone()));
        Ok(payload)
    }
}

/// This node's message for the vote at `height` (recorded at `height + 1`),
/// if it has one to send.
fn own_message(
    state: &(impl StateRead + ?Sized),
    secret: &DkgSecret,
    caches: (&PayloadCache, &RoundCache),
    height: u64,
) -> Result<Option<DkgMessage>, StateReadError> {
    let (cache, rounds) = caches;
    let Some(Running { running, round, .. }) = running(state, rounds)? else {
        return Ok(None);
    };
    let Some(phase) = recording_phase(running, running.phase_blocks, height.saturating_add(1))
    else {
        return Ok(None);
    };
    let Some(me) = round.index_of(&secret.public().identity) else {
        return Ok(None);
    };
    let r = running.round;
    let sent = match phase {
        Phase::Deal => state.dkg_has_deal(r, me)?,
        Phase::Log => !state.dkg_has_deal(r, me)? || state.dkg_has_log(r, me)?,
        Phase::Ack => false,
    };
    if sent {
        return Ok(None);
    }
    let payload = cache.get_or(r, phase, || {
        Ok(match phase {
            Phase::Deal => quire_tpke::dkg::deal(&round, secret)
                .ok()
                .map(Payload::Deal),
            Phase::Ack => {
                let acks =
                    quire_tpke::dkg::acks(&round, secret, &state.dkg_deals(r)?).unwrap_or_default();
                Some(Payload::Acks(acks))
            }
            Phase::Log => quire_tpke::dkg::dealer_log(&round, secret, &state.dkg_acks(r, me)?)
                .ok()
                .map(Payload::Log),
        })
    })?;
    let payload = match payload {
        Some(Payload::Acks(all)) => {
            let mut acks = Vec::with_capacity(all.len());
            for (dealer, ack) in all {
                if !state.dkg_has_ack(r, dealer, me)? {
                    acks.push((dealer, ack));
                }
            }
            (!acks.is_empty()).then_some(Payload::Acks(acks))
        }
        other => other,
    };
    Ok(payload.map(|p| DkgMessage::sign(&round, r, secret, me, p)))
}

/// The players' consensus addresses by share index (the round's order).
fn members(players: &RoundPlayers, round: &Round) -> Vec<[u8; 20]> {
    round
        .players()
        .iter()
        .filter_map(|p| {
            players
                .0
                .iter()
                .find(|(_, q)| q == p)
                .map(|(address, _)| *address)
        })
        .collect()
}

/// Makes round `r`'s `key` the current epoch key: a new epoch, encryption
/// active; the previous key's records go.
fn install(
    state: &mut dyn StateWrite,
    config: &DkgConfig,
    r: u64,
    key: &quire_tpke::EpochKey,
) -> Result<(), StateReadError> {
    let (players, round) = round_of(&*state, r)?;
    let epoch = state
        .encryption_params()?
        .map_or(1, |p| p.epoch.saturating_add(1));
    state.put_encryption(
        &EncryptionParams {
            epoch,
            max_envelopes_per_block: config.max_envelopes_per_block,
            expiry_blocks: config.expiry_blocks,
            expiries_to_disable: config.expiries_to_disable,
            members: members(&players, &round),
        },
        key,
    );
    state.put_encryption_status(&Status::default());
    if let Some(previous) = state.dkg_keyed_round()? {
        if previous != r {
            state.delete_dkg_round_records(previous)?;
        }
    }
    state.put_dkg_keyed_round(r);
    state.clear_dkg_ready();
    Ok(())
}

/// Ends `running` at its deadline: the new epoch key (installed at once,
/// or, while slots of the current epoch are pending, kept until they are
/// resolved: they need the current key and shares), or the next round.
fn conclude(
    state: &mut dyn StateWrite,
    config: &DkgConfig,
    running: RunningRound,
    height: u64,
) -> Result<(), StateReadError> {
    let r = running.round;
    let (_, round) = round_of(&*state, r)?;
    match quire_tpke::dkg::observe(&round, &state.dkg_logs(r)?) {
        Ok(key) => {
            state.delete_dkg_acks(r)?;
            state.clear_dkg_round();
            if state.pending_slots()?.is_empty() {
                install(state, config, r, &key)?;
            } else {
                state.put_dkg_ready(r, &key);
            }
        }
        Err(_) => {
            state.delete_dkg_round_records(r)?;
            state.clear_dkg_round();
            // The next round, with the players of now (those who left are
            // no longer asked); without any, the next block's end retries.
            let next = state.dkg_last_round()?.saturating_add(1);
            players::start_eligible(state, next, height.saturating_add(1))?;
        }
    }
    Ok(())
}

/// While the chain's first key is being generated: the round and the
/// height its outcome is known at.
pub(crate) fn first_key_pending(
    state: &dyn StateRead,
) -> Result<Option<(u64, u64)>, StateReadError> {
    let (Some(_), Some(running)) = (state.dkg_config()?, state.dkg_round()?) else {
        return Ok(None);
    };
    Ok(Some((
        running.round,
        deadline(running, running.phase_blocks),
    )))
}

/// This node's key share of the current epoch, derived from the round that
/// made it (`None` if it holds none). Cached by that round.
#[derive(Debug, Default)]
pub(crate) struct DerivedShare {
    cache: Mutex<Option<(u64, Option<quire_tpke::KeyShare>)>>,
}

impl DerivedShare {
    /// The share, derived once per keyed round.
    pub(crate) fn get(
        &self,
        state: &dyn StateRead,
        secret: &DkgSecret,
    ) -> Result<Option<quire_tpke::KeyShare>, StateReadError> {
        let (Some(_), Some(keyed)) = (state.dkg_config()?, state.dkg_keyed_round()?) else {
            return Ok(None);
        };
        let mut cache = self
            .cache
            .lock()
            .map_err(|_| StateReadError("dkg share cache poisoned".into()))?;
        if let Some((round, share)) = cache.as_ref() {
            if *round == keyed {
                return Ok(share.clone());
            }
        }
        let (_, round) = round_of(state, keyed)?;
        let share = quire_tpke::dkg::player_share(
            &round,
            secret,
            &state.dkg_deals(keyed)?,
            &state.dkg_logs(keyed)?,
        )
        .ok();
        *cache = Some((keyed, share.clone()));
        Ok(share)
    }
}

impl Component for KeyGeneration {
    fn name(&self) -> &'static str {
        NAME
    }

    fn system_tx(&self) -> Option<SystemTxTag> {
        Some(DKG_TAG)
    }

    fn msg_types(&self) -> Vec<(&'static str, crate::router::MsgDecoder)> {
        vec![(
            quire_core::encryption::MSG_SET_DKG_KEY_TYPE_URL,
            crate::registration::decode::<quire_core::encryption::SetDkgKey>,
        )]
    }

    /// A new validator of a chain that generates its keys registers them.
    fn check_tx(
        &self,
        state: &dyn StateRead,
        _ctx: &crate::context::TxContext<'_>,
        tx: &crate::tx::DecodedTx,
    ) -> Result<(), crate::error::TxError> {
        register::check_new_validator_key(state, tx)
    }

    /// Installs a waiting key once no slot is pending; concludes the
    /// running round at its deadline; starts a round, when none runs, if
    /// encryption switched itself off or the players changed.
    fn end_block(
        &self,
        state: &mut dyn StateWrite,
        ctx: &BlockContext,
    ) -> Result<Vec<ValidatorUpdate>, StateReadError> {
        let Some(config) = state.dkg_config()? else {
            return Ok(Vec::new());
        };
        if let Some((r, key)) = state.dkg_ready()? {
            if state.pending_slots()?.is_empty() {
                install(state, &config, r, &key)?;
            }
            return Ok(Vec::new());
        }
        match state.dkg_round()? {
            Some(running) if ctx.height >= deadline(running, running.phase_blocks) => {
                conclude(state, &config, running, ctx.height)?;
            }
            Some(_) => {}
            None => {
                if state.encryption_status()?.inactive_since.is_some() || players::changed(&*state)?
                {
                    // A fresh number, even after a round that never started.
                    let next = state.dkg_last_round()?.saturating_add(1);
                    players::start_eligible(state, next, ctx.height.saturating_add(1))?;
                }
            }
        }
        Ok(Vec::new())
    }

    fn requires_system_tx(
        &self,
        state: &dyn StateRead,
        ctx: &BlockContext,
    ) -> Result<bool, StateReadError> {
        let (Some(_), Some(running)) = (state.dkg_config()?, state.dkg_round()?) else {
            return Ok(false);
        };
        Ok(recording_phase(running, running.phase_blocks, ctx.height).is_some())
    }

    /// What the last commit's dkg sections could take (the proposer's
    /// own view; never more than every player's largest message).
    fn system_tx_reserve(&self, state: &dyn StateRead, ctx: &BlockContext) -> u64 {
        let players = match state.dkg_round() {
            Ok(Some(running)) => state
                .dkg_players(running.round)
                .map_or(MAX_DKG_PLAYERS, |p| p.len()),
            _ => MAX_DKG_PLAYERS,
        };
        let most = players * (4 + max_message_len(players));
        let offered: usize = ctx
            .last_commit
            .votes
            .iter()
            .filter(|v| v.flag == VoteFlag::Commit)
            .filter_map(|v| vote_extension::decode(&v.extension).ok())
            .filter_map(|sections| {
                sections
                    .iter()
                    .find(|s| s.component == NAME)
                    .map(|s| 4 + s.data.len())
            })
            .sum();
        (DKG_TAG.prefix.len() + 4 + offered.min(most)) as u64
    }

    /// The new, valid messages of the last commit's vote extensions, at
    /// most one per player.
    fn build_system_tx(
        &self,
        state: &StateDelta<'_>,
        ctx: &BlockContext,
    ) -> Result<Option<Vec<u8>>, StateReadError> {
        let mut messages = Vec::new();
        if let Some(Running {
            running,
            players,
            round,
        }) = running(state, &self.rounds)?
        {
            if let Some(phase) = recording_phase(running, running.phase_blocks, ctx.height) {
                let n = players.len();
                let mut senders = BTreeSet::new();
                for vote in ctx
                    .last_commit
                    .votes
                    .iter()
                    .filter(|v| v.flag == VoteFlag::Commit)
                {
                    let Ok(sections) = vote_extension::decode(&vote.extension) else {
                        continue;
                    };
                    let Some(section) = sections.iter().find(|s| s.component == NAME) else {
                        continue;
                    };
                    let Ok(message) = DkgMessage::decode(section.data, n, max_message_len(n))
                    else {
                        continue;
                    };
                    if !senders.contains(&message.sender)
                        && check(state, running, &round, phase, &message).is_ok()
                    {
                        senders.insert(message.sender);
                        messages.push(section.data.to_vec());
                    }
                }
            }
        }
        let mut tx = DKG_TAG.prefix.to_vec();
        tx.extend_from_slice(&encode_tx(&messages));
        Ok(Some(tx))
    }

    fn deliver_system_tx(
        &self,
        state: &mut dyn StateWrite,
        ctx: &BlockContext,
        _tx_index: u32,
        tx: &[u8],
    ) -> Result<Vec<Event>, SystemTxError> {
        let fail = SystemTxError::Dkg;
        let payload = DKG_TAG
            .payload(tx)
            .ok_or_else(|| SystemTxError::Malformed("not a dkg transaction".into()))?;
        let Running {
            running,
            players,
            round,
        } = running(&*state, &self.rounds)
            .map_err(|e| fail(e.to_string()))?
            .ok_or_else(|| fail("no key-generation round is running".into()))?;
        let phase = recording_phase(running, running.phase_blocks, ctx.height)
            .ok_or_else(|| fail(format!("height {} records no dkg phase", ctx.height)))?;
        let n = players.len();
        let sections = decode_tx(payload, n).map_err(SystemTxError::Malformed)?;
        let mut senders = BTreeSet::new();
        let mut events = Vec::with_capacity(sections.len());
        for section in sections {
            let message = DkgMessage::decode(section, n, max_message_len(n))
                .map_err(SystemTxError::Malformed)?;
            if !senders.insert(message.sender) {
                return Err(fail(format!("player {} sent twice", message.sender)));
            }
            check(&*state, running, &round, phase, &message).map_err(fail)?;
            record(state, running.round, &message).map_err(|e| fail(e.to_string()))?;
            events.push(
                Event::new("dkg_message")
                    .indexed("round", running.round)
                    .indexed("phase", format!("{phase:?}").to_lowercase())
                    .indexed("player", message.sender),
            );
        }
        Ok(events)
    }

    fn max_vote_extension_bytes(&self) -> usize {
        max_message_len(MAX_DKG_PLAYERS)
    }

    fn extend_vote(
        &self,
        state: &dyn StateRead,
        ctx: &VoteContext,
    ) -> Result<Option<Vec<u8>>, StateReadError> {
        let Some(secret) = &self.secret else {
            return Ok(None);
        };
        Ok(
            own_message(state, secret, (&self.payloads, &self.rounds), ctx.height)?
                .map(|m| m.encode()),
        )
    }

    /// Lenient: a section must be of the running round, of the phase the
    /// next block records, and of the voter's own player index. Its
    /// signature and content are the proposer's to check.
    fn verify_vote_extension(
        &self,
        state: &dyn StateRead,
        ctx: &VoteContext,
        validator: &[u8; 20],
        section: Option<&[u8]>,
    ) -> Result<(), String> {
        let Some(section) = section else {
            return Ok(());
        };
        let Running {
            running,
            players,
            round,
        } = running(state, &self.rounds)
            .map_err(|e| e.to_string())?
            .ok_or("no key-generation round is running")?;
        let n = players.len();
        let message = DkgMessage::decode(section, n, max_message_len(n))?;
        let phase = recording_phase(running, running.phase_blocks, ctx.height.saturating_add(1))
            .ok_or("the next block records no dkg phase")?;
        if message.round != running.round || message.payload.phase() != phase {
            return Err(format!(
                "a {:?} of round {}, expected a {phase:?} of round {}",
                message.payload.phase(),
                message.round,
                running.round
            ));
        }
        let index = players
            .of(validator)
            .and_then(|public| round.index_of(&public.identity))
            .ok_or("this validator plays no part in key generation")?;
        if index != message.sender {
            return Err(format!(
                "a message of player {} from player {index}",
                message.sender
            ));
        }
        Ok(())
    }
}
