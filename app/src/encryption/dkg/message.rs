//! A player's key-generation message, as its vote extension section
//! carries it and the dkg system transaction records it, and the phases of
//! a round.
//!
//! Section: `round u64 BE ‖ phase u8 ‖ sender u32 BE ‖ payload length u32
//! BE ‖ payload ‖ signature 64`, the signature the sender's
//! ([`quire_tpke::dkg::sign`], bound to chain and round) over `phase ‖
//! sender ‖ payload`. Payloads: a deal; acknowledgements (`count u32 BE ‖
//! (dealer u32 BE ‖ ack 64)*`, dealers ascending); a signed log.
//!
//! The system transaction: `count u32 BE ‖ (length u32 BE ‖ section)*`.

use super::state::RunningRound;
use quire_tpke::dkg::{Round, ACK_LEN, SIGNATURE_LEN};

/// The phases of a round, each `phase_blocks` long.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Phase {
    /// Dealers publish their deals.
    Deal = 0,
    /// Players acknowledge the deals they checked.
    Ack = 1,
    /// Dealers publish their signed logs.
    Log = 2,
}

impl Phase {
    const ALL: [Phase; 3] = [Phase::Deal, Phase::Ack, Phase::Log];

    fn from_byte(b: u8) -> Option<Phase> {
        Phase::ALL.get(usize::from(b)).copied()
    }

    /// The first height of this phase in `round`.
    pub fn start(self, round: RunningRound, phase_blocks: u64) -> u64 {
        round
            .start
            .saturating_add(phase_blocks.saturating_mul(self as u64))
    }
}

/// The height at whose end `round` is observed: its log phase's last.
pub fn deadline(round: RunningRound, phase_blocks: u64) -> u64 {
    round
        .start
        .saturating_add(phase_blocks.saturating_mul(3))
        .saturating_sub(1)
}

/// The phase whose messages block `height` may record: a phase's messages
/// are made from state that has seen the whole phase before it (votes from
/// its first height on) and recorded in the next block, so from its
/// second height to its last.
pub fn recording_phase(round: RunningRound, phase_blocks: u64, height: u64) -> Option<Phase> {
    Phase::ALL.into_iter().find(|phase| {
        let start = phase.start(round, phase_blocks);
        height > start && height < start.saturating_add(phase_blocks)
    })
}

/// What a message carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Payload {
    /// A dealer's deal.
    Deal(Vec<u8>),
    /// A player's acknowledgements: (dealer, ack), dealers ascending.
    Acks(Vec<(u32, [u8; ACK_LEN])>),
    /// A dealer's signed log.
    Log(Vec<u8>),
}

impl Payload {
    /// Its phase.
    pub fn phase(&self) -> Phase {
        match self {
            Payload::Deal(_) => Phase::Deal,
            Payload::Acks(_) => Phase::Ack,
            Payload::Log(_) => Phase::Log,
        }
    }

    fn encode(&self) -> Vec<u8> {
        match self {
            Payload::Deal(bytes) | Payload::Log(bytes) => bytes.clone(),
            Payload::Acks(acks) => {
                let mut out = Vec::with_capacity(4 + acks.len() * (4 + ACK_LEN));
                out.extend_from_slice(&(acks.len() as u32).to_be_bytes());
                for (dealer, ack) in acks {
                    out.extend_from_slice(&dealer.to_be_bytes());
                    out.extend_from_slice(ack);
                }
                out
            }
        }
    }

    fn decode(phase: Phase, bytes: &[u8], players: usize) -> Result<Self, String> {
        match phase {
            Phase::Deal => Ok(Payload::Deal(bytes.to_vec())),
            Phase::Log => Ok(Payload::Log(bytes.to_vec())),
            Phase::Ack => {
                let (count, mut rest) = bytes.split_first_chunk::<4>().ok_or("acks: no count")?;
                let count = u32::from_be_bytes(*count) as usize;
                if count == 0 || count > players || rest.len() != count * (4 + ACK_LEN) {
                    return Err(format!(
                        "acks: {count} acks in {} bytes, for {players} dealers",
                        rest.len()
                    ));
                }
                let mut acks = Vec::with_capacity(count);
                while let Some((dealer, tail)) = rest.split_first_chunk::<4>() {
                    let (ack, tail) = tail.split_first_chunk::<ACK_LEN>().ok_or("acks: short")?;
                    acks.push((u32::from_be_bytes(*dealer), *ack));
                    rest = tail;
                }
                if acks.windows(2).any(|w| w[0].0 >= w[1].0) {
                    return Err("acks: dealers not strictly ascending".into());
                }
                Ok(Payload::Acks(acks))
            }
        }
    }
}

/// One player's message for one round.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DkgMessage {
    /// The round.
    pub round: u64,
    /// The sender's player index.
    pub sender: u32,
    /// What it carries.
    pub payload: Payload,
    /// The sender's signature.
    pub signature: [u8; SIGNATURE_LEN],
    /// What the signature is of: phase ‖ sender ‖ the payload's bytes as
    /// they came (checked as received, never re-encoded).
    signed: Vec<u8>,
}

fn signed_bytes(phase: Phase, sender: u32, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(5 + payload.len());
    out.push(phase as u8);
    out.extend_from_slice(&sender.to_be_bytes());
    out.extend_from_slice(payload);
    out
}

impl DkgMessage {
    /// The message of player `sender` (holding `secret`), signed.
    pub fn sign(
        round: &Round,
        number: u64,
        secret: &quire_tpke::dkg::DkgSecret,
        sender: u32,
        payload: Payload,
    ) -> Self {
        let signed = signed_bytes(payload.phase(), sender, &payload.encode());
        let signature = quire_tpke::dkg::sign(round, secret, &signed);
        DkgMessage {
            round: number,
            sender,
            payload,
            signature,
            signed,
        }
    }

    /// Whether the signature is the sender's.
    pub fn verifies(&self, round: &Round) -> bool {
        quire_tpke::dkg::verify(round, self.sender, &self.signed, &self.signature)
    }

    /// The section's bytes.
    pub fn encode(&self) -> Vec<u8> {
        let payload = self.signed.get(5..).unwrap_or_default();
        let mut out = Vec::with_capacity(17 + payload.len() + SIGNATURE_LEN);
        out.extend_from_slice(&self.round.to_be_bytes());
        out.push(self.payload.phase() as u8);
        out.extend_from_slice(&self.sender.to_be_bytes());
        out.extend_from_slice(&(payload.len() as u32).to_be_bytes());
        out.extend_from_slice(payload);
        out.extend_from_slice(&self.signature);
        out
    }

    /// Reads a section of a round of `players` players (at most
    /// `max_len` bytes), checking its shape only.
    pub fn decode(bytes: &[u8], players: usize, max_len: usize) -> Result<Self, String> {
        if bytes.len() > max_len {
            return Err(format!("{} bytes, at most {max_len}", bytes.len()));
        }
        let (round, rest) = bytes.split_first_chunk::<8>().ok_or("no round")?;
        let (phase, rest) = rest.split_first().ok_or("no phase")?;
        let phase = Phase::from_byte(*phase).ok_or_else(|| format!("unknown phase {phase}"))?;
        let (sender, rest) = rest.split_first_chunk::<4>().ok_or("no sender")?;
        let (len, rest) = rest.split_first_chunk::<4>().ok_or("no payload length")?;
        let len = u32::from_be_bytes(*len) as usize;
        if rest.len() != len.saturating_add(SIGNATURE_LEN) {
            return Err(format!(
                "a payload of {len} bytes and a signature need {} more bytes, {} given",
                len.saturating_add(SIGNATURE_LEN),
                rest.len()
            ));
        }
        let (payload, signature) = rest.split_at(len);
        let sender = u32::from_be_bytes(*sender);
        if sender as usize >= players {
            return Err(format!("sender {sender} is not one of {players} players"));
        }
        Ok(DkgMessage {
            round: u64::from_be_bytes(*round),
            sender,
            payload: Payload::decode(phase, payload, players)?,
            signature: signature.try_into().map_err(|_| "short signature")?,
            signed: signed_bytes(phase, sender, payload),
        })
    }
}

/// The system transaction's payload: the messages' sections.
pub fn encode_tx(messages: &[Vec<u8>]) -> Vec<u8> {
    let size: usize = messages.iter().map(|m| 4 + m.len()).sum();
    let mut out = Vec::with_capacity(4 + size);
    out.extend_from_slice(&(messages.len() as u32).to_be_bytes());
    for m in messages {
        out.extend_from_slice(&(m.len() as u32).to_be_bytes());
        out.extend_from_slice(m);
    }
    out
}

/// Reads [`encode_tx`]'s form: at most `max_messages` sections.
pub fn decode_tx(bytes: &[u8], max_messages: usize) -> Result<Vec<&[u8]>, String> {
    let (count, mut rest) = bytes.split_first_chunk::<4>().ok_or("no count")?;
    let count = u32::from_be_bytes(*count) as usize;
    if count > max_messages {
        return Err(format!("{count} messages, at most {max_messages}"));
    }
    let mut out = Vec::with_capacity(count);
    for i in 0..count {
        let (len, tail) = rest
            .split_first_chunk::<4>()
            .ok_or_else(|| format!("message {i}: no length"))?;
        let len = u32::from_be_bytes(*len) as usize;
        let (message, tail) = tail
            .split_at_checked(len)
            .ok_or_else(|| format!("message {i}: {len} bytes announced, {} left", tail.len()))?;
        out.push(message);
        rest = tail;
    }
    if !rest.is_empty() {
        return Err(format!("{} bytes after the last message", rest.len()));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phases_record_from_their_second_block_to_their_last() {
        let round = RunningRound {
            round: 1,
            start: 1,
            phase_blocks: 3,
        };
        let at = |h| recording_phase(round, 3, h);
        assert_eq!(
            (1..=10).map(at).collect::<Vec<_>>(),
            vec![
                None,
                Some(Phase::Deal),
                Some(Phase::Deal),
                None,
                Some(Phase::Ack),
                Some(Phase::Ack),
                None,
                Some(Phase::Log),
                Some(Phase::Log),
                None,
            ]
        );
        assert_eq!(deadline(round, 3), 9);
    }

    #[test]
    fn messages_round_trip_and_bound_their_input() {
        let secret = quire_tpke::dkg::DkgSecret::from_bytes([1; 32]);
        let other = quire_tpke::dkg::DkgSecret::from_bytes([2; 32]);
        let round = Round::new("c", 1, &[secret.public(), other.public()]).unwrap();
        let me = round.index_of(&secret.public().identity).unwrap();
        let message = DkgMessage::sign(
            &round,
            1,
            &secret,
            me,
            Payload::Acks(vec![(0, [5; ACK_LEN]), (1, [6; ACK_LEN])]),
        );
        let bytes = message.encode();
        let back = DkgMessage::decode(&bytes, 2, 1 << 20).unwrap();
        assert_eq!(back, message);
        assert!(back.verifies(&round));
        let mut forged = back.clone();
        forged.sender = 1 - me;
        assert!(!forged.verifies(&round));
        assert!(DkgMessage::decode(&bytes, 2, 10).is_err());
        assert!(DkgMessage::decode(&bytes[..bytes.len() - 1], 2, 1 << 20).is_err());
        assert!(DkgMessage::decode(&bytes, 1, 1 << 20).is_err() || me == 0);
        let tx = encode_tx(&[bytes.clone(), bytes.clone()]);
        assert_eq!(decode_tx(&tx, 2).unwrap(), vec![&bytes[..], &bytes[..]]);
        assert!(decode_tx(&tx, 1).is_err());
        assert!(decode_tx(&tx[..tx.len() - 1], 2).is_err());
    }
}
