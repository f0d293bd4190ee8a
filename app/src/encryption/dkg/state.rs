//! dkg's state: the rules fixed at genesis, the operators' registered
//! keys, the running round, and each round's players and recorded deals,
//! acknowledgements and logs.
//!
//! Keys (values explicit bytes):
//! - `dkg/config` → [`DkgConfig`];
//! - `dkg/key/{operator 20}` → the operator's [`DkgPublic`] (64);
//! - `dkg/owner/{identity 32}` → the operator 20 that registered it first
//!   (identities are never reused);
//! - `dkg/r/{round}/players` → [`RoundPlayers`]: fixed when the round
//!   starts;
//! - `dkg/round` → round u64 BE ‖ start height u64 BE ‖ phase blocks u64
//!   BE, while a round runs;
//! - `dkg/last` → round u64 BE: the last round started (numbers are never
//!   reused: a dealer's polynomial derives from its secret and the round);
//! - `dkg/keyed` → round u64 BE: the round that made the current epoch key
//!   (its deals and logs are kept: each player derives its share from them);
//! - `dkg/ready` → round u64 BE ‖ epoch key: a key made while slots of the
//!   current epoch were still pending, installed once none is;
//! - `dkg/r/{round u64 BE}/deal/{dealer u32 BE}` → the deal;
//! - `dkg/r/{round}/ack/{dealer u32 BE}{player u32 BE}` → the ack (64);
//! - `dkg/r/{round}/log/{dealer u32 BE}` → the signed log.

use crate::error::StateReadError;
use crate::state::{StateRead, StateWrite};
use quire_tpke::dkg::{DkgPublic, ACK_LEN, DKG_PUBLIC_LEN};

const CONFIG: &[u8] = b"dkg/config";
const ROUND: &[u8] = b"dkg/round";
const KEYED: &[u8] = b"dkg/keyed";
const LAST: &[u8] = b"dkg/last";
const READY: &[u8] = b"dkg/ready";
const ROUNDS: &[u8] = b"dkg/r/";
const KEYS: &[u8] = b"dkg/key/";
const OWNERS: &[u8] = b"dkg/owner/";
const PLAYERS: &[u8] = b"players";

fn corrupt(what: &str) -> StateReadError {
    StateReadError(format!("corrupt dkg record: {what}"))
}

/// The key generation's fixed rules: how long each phase lasts, and the
/// rules of the epochs it makes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DkgConfig {
    /// Blocks per phase (deal, ack, log).
    pub phase_blocks: u64,
    /// The cap on envelopes per block of the epochs made.
    pub max_envelopes_per_block: u32,
    /// E of the epochs made.
    pub expiry_blocks: u64,
    /// K of the epochs made.
    pub expiries_to_disable: u32,
}

impl DkgConfig {
    fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(24);
        out.extend_from_slice(&self.phase_blocks.to_be_bytes());
        out.extend_from_slice(&self.max_envelopes_per_block.to_be_bytes());
        out.extend_from_slice(&self.expiry_blocks.to_be_bytes());
        out.extend_from_slice(&self.expiries_to_disable.to_be_bytes());
        out
    }

    fn decode(bytes: &[u8]) -> Result<Self, StateReadError> {
        let mut r = Reader(bytes);
        let phase_blocks = r.u64()?;
        let max_envelopes_per_block = r.u32()?;
        let expiry_blocks = r.u64()?;
        let expiries_to_disable = r.u32()?;
        if !r.0.is_empty() {
            return Err(corrupt("config: trailing bytes"));
        }
        Ok(DkgConfig {
            phase_blocks,
            max_envelopes_per_block,
            expiry_blocks,
            expiries_to_disable,
        })
    }
}

/// A round's players, fixed when it starts: each validator's consensus
/// address and key-generation keys (the validators of the active set with
/// registered keys; the genesis list for round 1).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RoundPlayers(pub Vec<([u8; 20], DkgPublic)>);

impl RoundPlayers {
    fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(4 + self.0.len() * (20 + DKG_PUBLIC_LEN));
        out.extend_from_slice(&(self.0.len() as u32).to_be_bytes());
        for (address, public) in &self.0 {
            out.extend_from_slice(address);
            out.extend_from_slice(&public.to_bytes());
        }
        out
    }

    fn decode(bytes: &[u8]) -> Result<Self, StateReadError> {
        let mut r = Reader(bytes);
        let n = r.u32()? as usize;
        if n > quire_tpke::dkg::MAX_DKG_PLAYERS {
            return Err(corrupt("players: too many"));
        }
        let mut players = Vec::with_capacity(n);
        for _ in 0..n {
            let address: [u8; 20] = r.array()?;
            let public = DkgPublic::from_bytes(r.take(DKG_PUBLIC_LEN)?)
                .map_err(|e| corrupt(&e.to_string()))?;
            players.push((address, public));
        }
        if !r.0.is_empty() {
            return Err(corrupt("players: trailing bytes"));
        }
        Ok(RoundPlayers(players))
    }

    /// The players' key-generation keys.
    pub fn publics(&self) -> Vec<DkgPublic> {
        self.0.iter().map(|(_, p)| *p).collect()
    }

    /// How many play.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether nobody plays.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The key-generation keys of the validator at consensus `address`.
    pub fn of(&self, address: &[u8; 20]) -> Option<&DkgPublic> {
        self.0.iter().find(|(a, _)| a == address).map(|(_, p)| p)
    }

    /// The same validators with the same keys as `other`, in any order.
    pub fn same_as(&self, other: &RoundPlayers) -> bool {
        let mut mine = self.0.clone();
        let mut theirs = other.0.clone();
        mine.sort();
        theirs.sort();
        mine == theirs
    }
}

/// A running round: its number and the height of its first block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunningRound {
    /// The round number (commonware's, bound into every signature).
    pub round: u64,
    /// Its first block: deals are included from `start + 1`.
    pub start: u64,
    /// Blocks per phase of this round: the rules' `phase_blocks`, or more
    /// for many players ([`RunningRound::phase_blocks_for`]).
    pub phase_blocks: u64,
}

impl RunningRound {
    /// The phase length of a round of `players` under rules of
    /// `phase_blocks`: at least `f + 2`, so that `f` faulty proposers in a
    /// row cannot keep a phase's messages out (with equal powers).
    pub fn phase_blocks_for(phase_blocks: u64, players: usize) -> u64 {
        let faults = (players as u64).saturating_sub(1) / 3;
        phase_blocks.max(faults.saturating_add(2))
    }
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, len: usize) -> Result<&'a [u8], StateReadError> {
        let (head, rest) = self
            .0
            .split_at_checked(len)
            .ok_or_else(|| corrupt("short"))?;
        self.0 = rest;
        Ok(head)
    }
    fn array<const N: usize>(&mut self) -> Result<[u8; N], StateReadError> {
        self.take(N)?.try_into().map_err(|_| corrupt("short"))
    }
    fn u32(&mut self) -> Result<u32, StateReadError> {
        Ok(u32::from_be_bytes(self.array()?))
    }
    fn u64(&mut self) -> Result<u64, StateReadError> {
        Ok(u64::from_be_bytes(self.array()?))
    }
}

/// The kinds of record a round keeps.
#[derive(Debug, Clone, Copy)]
enum Kind {
    Deal,
    Ack,
    Log,
}

impl Kind {
    fn name(self) -> &'static [u8] {
        match self {
            Kind::Deal => b"deal/",
            Kind::Ack => b"ack/",
            Kind::Log => b"log/",
        }
    }
}

fn players_key(round: u64) -> Vec<u8> {
    let mut key = round_prefix(round);
    key.extend_from_slice(PLAYERS);
    key
}

fn operator_key(prefix: &[u8], id: &[u8]) -> Vec<u8> {
    let mut key = prefix.to_vec();
    key.extend_from_slice(id);
    key
}

fn round_prefix(round: u64) -> Vec<u8> {
    let mut key = ROUNDS.to_vec();
    key.extend_from_slice(&round.to_be_bytes());
    key.push(b'/');
    key
}

fn kind_prefix(round: u64, kind: Kind) -> Vec<u8> {
    let mut key = round_prefix(round);
    key.extend_from_slice(kind.name());
    key
}

fn record_key(round: u64, kind: Kind, index: u32) -> Vec<u8> {
    let mut key = kind_prefix(round, kind);
    key.extend_from_slice(&index.to_be_bytes());
    key
}

fn ack_key(round: u64, dealer: u32, player: u32) -> Vec<u8> {
    let mut key = record_key(round, Kind::Ack, dealer);
    key.extend_from_slice(&player.to_be_bytes());
    key
}

/// `(index, value)` of the records under `prefix`, by index.
fn indexed(
    state: &(impl StateRead + ?Sized),
    prefix: &[u8],
) -> Result<Vec<(u32, Vec<u8>)>, StateReadError> {
    state
        .prefix(prefix)?
        .into_iter()
        .map(|(key, value)| {
            let index = key
                .get(prefix.len()..)
                .and_then(|k| <[u8; 4]>::try_from(k).ok())
                .map(u32::from_be_bytes)
                .ok_or_else(|| corrupt("record key"))?;
            Ok((index, value))
        })
        .collect()
}

/// Reads dkg's state.
pub trait DkgRead: StateRead {
    /// The rules, if this chain generates its keys.
    fn dkg_config(&self) -> Result<Option<DkgConfig>, StateReadError> {
        self.get(CONFIG)?.map(|b| DkgConfig::decode(&b)).transpose()
    }

    /// Round `round`'s players (kept while its records are).
    fn dkg_players(&self, round: u64) -> Result<RoundPlayers, StateReadError> {
        self.get(&players_key(round))?
            .map(|b| RoundPlayers::decode(&b))
            .transpose()
            .map(Option::unwrap_or_default)
    }

    /// The key-generation keys `operator` registered.
    fn dkg_key(&self, operator: &[u8; 20]) -> Result<Option<DkgPublic>, StateReadError> {
        self.get(&operator_key(KEYS, operator))?
            .map(|b| DkgPublic::from_bytes(&b).map_err(|e| corrupt(&format!("key: {e}"))))
            .transpose()
    }

    /// The operator that first registered identity key `identity`.
    fn dkg_owner(&self, identity: &[u8; 32]) -> Result<Option<[u8; 20]>, StateReadError> {
        self.get(&operator_key(OWNERS, identity))?
            .map(|b| <[u8; 20]>::try_from(b.as_slice()).map_err(|_| corrupt("owner")))
            .transpose()
    }

    /// The running round, if any.
    fn dkg_round(&self) -> Result<Option<RunningRound>, StateReadError> {
        self.get(ROUND)?
            .map(|b| {
                let mut r = Reader(&b);
                Ok(RunningRound {
                    round: r.u64()?,
                    start: r.u64()?,
                    phase_blocks: r.u64()?,
                })
            })
            .transpose()
    }

    /// The number of the last round started (0: none yet).
    fn dkg_last_round(&self) -> Result<u64, StateReadError> {
        Ok(self
            .get(LAST)?
            .map(|b| Reader(&b).u64())
            .transpose()?
            .unwrap_or(0))
    }

    /// The round that made the current epoch key.
    fn dkg_keyed_round(&self) -> Result<Option<u64>, StateReadError> {
        self.get(KEYED)?.map(|b| Reader(&b).u64()).transpose()
    }

    /// A key made and waiting for the pending slots to drain: its round
    /// and the key.
    fn dkg_ready(&self) -> Result<Option<(u64, quire_tpke::EpochKey)>, StateReadError> {
        self.get(READY)?
            .map(|b| {
                let (round, key) = b.split_first_chunk::<8>().ok_or_else(|| corrupt("ready"))?;
                let key = quire_tpke::EpochKey::from_bytes(key)
                    .map_err(|e| corrupt(&format!("ready key: {e}")))?;
                Ok((u64::from_be_bytes(*round), key))
            })
            .transpose()
    }

    /// Round `round`'s deals, by dealer index.
    fn dkg_deals(&self, round: u64) -> Result<Vec<(u32, Vec<u8>)>, StateReadError> {
        indexed(self, &kind_prefix(round, Kind::Deal))
    }

    /// Round `round`'s logs, by dealer index.
    fn dkg_logs(&self, round: u64) -> Result<Vec<(u32, Vec<u8>)>, StateReadError> {
        indexed(self, &kind_prefix(round, Kind::Log))
    }

    /// The acknowledgements of dealer `dealer`'s deal in round `round`, by
    /// player index.
    fn dkg_acks(
        &self,
        round: u64,
        dealer: u32,
    ) -> Result<Vec<(u32, [u8; ACK_LEN])>, StateReadError> {
        indexed(self, &record_key(round, Kind::Ack, dealer))?
            .into_iter()
            .map(|(player, ack)| {
                let ack = <[u8; ACK_LEN]>::try_from(ack.as_slice()).map_err(|_| corrupt("ack"))?;
                Ok((player, ack))
            })
            .collect()
    }

    /// Whether player `player` acknowledged dealer `dealer` in round `round`.
    fn dkg_has_ack(&self, round: u64, dealer: u32, player: u32) -> Result<bool, StateReadError> {
        Ok(self.get(&ack_key(round, dealer, player))?.is_some())
    }

    /// Whether dealer `dealer` has a deal recorded in round `round`.
    fn dkg_has_deal(&self, round: u64, dealer: u32) -> Result<bool, StateReadError> {
        Ok(self.get(&record_key(round, Kind::Deal, dealer))?.is_some())
    }

    /// Whether dealer `dealer` has a log recorded in round `round`.
    fn dkg_has_log(&self, round: u64, dealer: u32) -> Result<bool, StateReadError> {
        Ok(self.get(&record_key(round, Kind::Log, dealer))?.is_some())
    }
}

impl<T: StateRead + ?Sized> DkgRead for T {}

/// Writes dkg's state.
pub trait DkgWrite: StateWrite {
    /// Sets the rules.
    fn put_dkg_config(&mut self, config: &DkgConfig) {
        self.put_raw(CONFIG.to_vec(), config.encode());
    }

    /// Registers `public` as `operator`'s key-generation keys (and binds
    /// its identity to `operator` for good).
    fn put_dkg_key(&mut self, operator: &[u8; 20], public: &DkgPublic) {
        self.put_raw(operator_key(KEYS, operator), public.to_bytes().to_vec());
        self.put_raw(operator_key(OWNERS, &public.identity), operator.to_vec());
    }

    /// Fixes round `round`'s players.
    fn put_dkg_players(&mut self, round: u64, players: &RoundPlayers) {
        self.put_raw(players_key(round), players.encode());
    }

    /// Starts (or replaces) the running round, and records its number as
    /// the last one used.
    fn put_dkg_round(&mut self, round: RunningRound) {
        self.put_raw(LAST.to_vec(), round.round.to_be_bytes().to_vec());
        let mut value = round.round.to_be_bytes().to_vec();
        value.extend_from_slice(&round.start.to_be_bytes());
        value.extend_from_slice(&round.phase_blocks.to_be_bytes());
        self.put_raw(ROUND.to_vec(), value);
    }

    /// Ends the running round.
    fn clear_dkg_round(&mut self) {
        self.delete(ROUND.to_vec());
    }

    /// Records that round `round` made the current epoch key.
    fn put_dkg_keyed_round(&mut self, round: u64) {
        self.put_raw(KEYED.to_vec(), round.to_be_bytes().to_vec());
    }

    /// Keeps round `round`'s key until the pending slots drain.
    fn put_dkg_ready(&mut self, round: u64, key: &quire_tpke::EpochKey) {
        let mut value = round.to_be_bytes().to_vec();
        value.extend_from_slice(&key.to_bytes());
        self.put_raw(READY.to_vec(), value);
    }

    /// Drops the waiting key (installed).
    fn clear_dkg_ready(&mut self) {
        self.delete(READY.to_vec());
    }

    /// Records dealer `dealer`'s deal.
    fn put_dkg_deal(&mut self, round: u64, dealer: u32, deal: &[u8]) {
        self.put_raw(record_key(round, Kind::Deal, dealer), deal.to_vec());
    }

    /// Records player `player`'s ack of dealer `dealer`.
    fn put_dkg_ack(&mut self, round: u64, dealer: u32, player: u32, ack: &[u8; ACK_LEN]) {
        self.put_raw(ack_key(round, dealer, player), ack.to_vec());
    }

    /// Records dealer `dealer`'s log.
    fn put_dkg_log(&mut self, round: u64, dealer: u32, log: &[u8]) {
        self.put_raw(record_key(round, Kind::Log, dealer), log.to_vec());
    }

    /// Deletes round `round`'s acknowledgements (not needed once it ended).
    fn delete_dkg_acks(&mut self, round: u64) -> Result<(), StateReadError> {
        for (key, _) in self.prefix(&kind_prefix(round, Kind::Ack))? {
            self.delete(key);
        }
        Ok(())
    }

    /// Deletes every record of round `round`.
    fn delete_dkg_round_records(&mut self, round: u64) -> Result<(), StateReadError> {
        for (key, _) in self.prefix(&round_prefix(round))? {
            self.delete(key);
        }
        Ok(())
    }
}

impl<T: StateWrite + ?Sized> DkgWrite for T {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_round_trips() {
        let config = DkgConfig {
            phase_blocks: 5,
            max_envelopes_per_block: 32,
            expiry_blocks: 20,
            expiries_to_disable: 3,
        };
        let bytes = config.encode();
        assert_eq!(DkgConfig::decode(&bytes).unwrap(), config);
        assert!(DkgConfig::decode(&bytes[..bytes.len() - 1]).is_err());
        let players = RoundPlayers(vec![(
            [3; 20],
            quire_tpke::dkg::DkgSecret::from_bytes([1; 32]).public(),
        )]);
        let bytes = players.encode();
        assert_eq!(RoundPlayers::decode(&bytes).unwrap(), players);
        assert!(RoundPlayers::decode(&bytes[1..]).is_err());
    }
}
