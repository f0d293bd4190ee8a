//! Distributed key generation of an epoch key (Joint-Feldman with
//! commonware's `feldman_desmedt`), with the chain as the broadcast channel
//! (docs/blind-ordering.md, "Key generation").
//!
//! One round, for players `P` (every player also deals):
//!
//! 1. **Deal**: each dealer publishes a [`deal`]: its polynomial's public
//!    commitment and, for each player, that player's evaluation sealed to
//!    the player's x25519 key (so the chain carries it, only the player
//!    reads it).
//! 2. **Ack**: each player opens the evaluations sealed to it, checks them
//!    against the commitments and publishes an [`acks`] list: one signed
//!    acknowledgement per good dealing.
//! 3. **Log**: each dealer publishes its [`dealer_log`]: the signed list of
//!    the acknowledgements the chain recorded for it and, for each player
//!    who did not acknowledge, the evaluation in the clear (so anyone can
//!    check it).
//! 4. **Observe**: at the round's deadline every node runs [`observe`] over
//!    the logs the chain recorded: the [`EpochKey`], the same everywhere, or
//!    [`Error::DkgFailed`]. Each player derives its [`KeyShare`] with
//!    [`player_share`] from the same public record and its secret.
//!
//! Everything a node computes here is a function of the public record and
//! its [`DkgSecret`]: a dealer's polynomial and the sealing randomness are
//! derived from the secret and the round (as RFC 6979 derives nonces), so a
//! restarted node deals exactly what it dealt before, and nothing needs to
//! be stored beside the chain.

use crate::error::{exact, Error};
use crate::keys::{EpochKey, KeyShare, MAX_PARTICIPANTS};
use crate::V;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::ChaCha20Poly1305;
use commonware_codec::{Copying, Decode, Encode};
use commonware_cryptography::bls12381::dkg::feldman_desmedt::{
    self as fd, Dealer, DealerPrivMsg, DealerPubMsg, Info, Logs, Player, PlayerAck, SignedDealerLog,
};
use commonware_cryptography::bls12381::primitives::sharing::Mode;
use commonware_cryptography::ed25519;
use commonware_cryptography::{Signer, Verifier};
use commonware_parallel::Sequential;
use commonware_utils::ordered::Set;
use commonware_utils::N3f1;
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;
use sha2::{Digest, Sha256};
use std::fmt;
use std::num::NonZeroU32;

/// The namespace of every signature and transcript of Quire's key
/// generation (commonware binds it into each).
pub const DKG_NAMESPACE: &[u8] = b"quire/dkg/v1";

/// Most players one round may have: bounds what a deal carries (one sealed
/// evaluation per player) and so the vote extension it travels in.
pub const MAX_DKG_PLAYERS: usize = 128;

/// Bytes of a [`DkgPublic`]: ed25519 identity key ‖ x25519 sealing key.
pub const DKG_PUBLIC_LEN: usize = 64;

/// Bytes of one sealed evaluation: ephemeral x25519 key ‖ ciphertext ‖ tag.
pub const SEALED_EVALUATION_LEN: usize = 32 + 32 + 16;

/// Bytes of one acknowledgement: an ed25519 signature.
pub const ACK_LEN: usize = 64;

/// Bytes of a message signature ([`sign`]).
pub const SIGNATURE_LEN: usize = 64;

/// A validator's key-generation secret (32 bytes; store it 0600). Both its
/// keys derive from it: the ed25519 identity that signs, the x25519 key
/// evaluations are sealed to. Never the consensus key.
#[derive(Clone)]
pub struct DkgSecret([u8; 32]);

impl DkgSecret {
    /// The secret of seed `bytes`.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        DkgSecret(bytes)
    }

    /// The seed. Secret.
    pub fn to_bytes(&self) -> [u8; 32] {
        self.0
    }

    fn signer(&self) -> ed25519::PrivateKey {
        // An ed25519 private key's encoding is its 32-byte seed.
        let seed = derive(b"quire/dkg/identity", &[&self.0]);
        ed25519::PrivateKey::decode_cfg(Copying(&seed[..]), &())
            .unwrap_or_else(|_| unreachable!("any 32 bytes are an ed25519 seed"))
    }

    fn sealing_secret(&self) -> [u8; 32] {
        derive(b"quire/dkg/x25519", &[&self.0])
    }

    /// Its public keys, as registered on chain.
    pub fn public(&self) -> DkgPublic {
        let identity = self.signer().public_key().encode();
        let mut id = [0; 32];
        id.copy_from_slice(&identity);
        DkgPublic {
            identity: id,
            sealing: x25519_dalek::x25519(
                self.sealing_secret(),
                x25519_dalek::X25519_BASEPOINT_BYTES,
            ),
        }
    }
}

impl DkgSecret {
    /// Proof that the holder of this secret registers its keys for
    /// `operator` on chain `chain_id`: the identity key's signature of
    /// both (so nobody can register another validator's keys as theirs).
    pub fn prove_registration(&self, chain_id: &str, operator: &[u8]) -> [u8; SIGNATURE_LEN] {
        let sig = self
            .signer()
            .sign(
                REGISTRATION_NAMESPACE,
                &registration_message(chain_id, operator),
            )
            .encode();
        let mut out = [0; SIGNATURE_LEN];
        out.copy_from_slice(&sig);
        out
    }
}

impl DkgPublic {
    /// Whether `proof` is this identity's
    /// [`prove_registration`](DkgSecret::prove_registration) for `operator`
    /// on `chain_id`.
    pub fn verify_registration(&self, chain_id: &str, operator: &[u8], proof: &[u8]) -> bool {
        let Ok(key) = ed25519_public(&self.identity) else {
            return false;
        };
        let Ok(sig) = ed25519::Signature::decode_cfg(Copying(proof), &()) else {
            return false;
        };
        key.verify(
            REGISTRATION_NAMESPACE,
            &registration_message(chain_id, operator),
            &sig,
        )
    }
}

/// The namespace of registration proofs (not a round's: they outlive rounds).
const REGISTRATION_NAMESPACE: &[u8] = b"quire/dkg/v1/register";

fn registration_message(chain_id: &str, operator: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(8 + chain_id.len() + operator.len());
    out.extend_from_slice(&(chain_id.len() as u32).to_be_bytes());
    out.extend_from_slice(chain_id.as_bytes());
    out.extend_from_slice(&(operator.len() as u32).to_be_bytes());
    out.extend_from_slice(operator);
    out
}

impl fmt::Debug for DkgSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DkgSecret({:?})", self.public())
    }
}

/// A player's public keys: the ed25519 identity (signs acks, logs and the
/// player's messages) and the x25519 key its evaluations are sealed to.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DkgPublic {
    /// The ed25519 identity key.
    pub identity: [u8; 32],
    /// The x25519 sealing key.
    pub sealing: [u8; 32],
}

impl DkgPublic {
    /// identity ‖ sealing.
    pub fn to_bytes(&self) -> [u8; DKG_PUBLIC_LEN] {
        let mut out = [0; DKG_PUBLIC_LEN];
        out[..32].copy_from_slice(&self.identity);
        out[32..].copy_from_slice(&self.sealing);
        out
    }

    /// Reads [`to_bytes`](Self::to_bytes)' form; the identity must be a
    /// valid ed25519 point.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        let bytes: [u8; DKG_PUBLIC_LEN] = exact("dkg public key", bytes)?;
        let mut identity = [0; 32];
        identity.copy_from_slice(&bytes[..32]);
        let mut sealing = [0; 32];
        sealing.copy_from_slice(&bytes[32..]);
        ed25519_public(&identity)?;
        Ok(DkgPublic { identity, sealing })
    }
}

impl fmt::Debug for DkgPublic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DkgPublic({})", crate::keys::hex_prefix(&self.identity))
    }
}

fn ed25519_public(identity: &[u8; 32]) -> Result<ed25519::PublicKey, Error> {
    ed25519::PublicKey::decode_cfg(Copying(&identity[..]), &())
        .map_err(|e| Error::encoding("dkg identity key", e))
}

fn derive(domain: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update((domain.len() as u32).to_be_bytes());
    hasher.update(domain);
    for part in parts {
        hasher.update((part.len() as u32).to_be_bytes());
        hasher.update(part);
    }
    hasher.finalize().into()
}

/// One key-generation round: its players (sorted by identity key; a
/// player's index is its position, the index of its key share), the chain
/// and the round number, all bound into every signature and transcript.
#[derive(Clone)]
pub struct Round {
    info: Info<V, ed25519::PublicKey>,
    players: Vec<DkgPublic>,
    context: Vec<u8>,
    /// The namespace of the round's own signatures ([`sign`]), built once.
    signing_namespace: Vec<u8>,
}

impl Round {
    /// The round `round` of chain `chain_id` among `players` (any order;
    /// at most [`MAX_DKG_PLAYERS`], no identity twice). The threshold is
    /// `n − f`, `f = ⌊(n − 1) / 3⌋`, as the epoch keys of [`crate::deal`].
    pub fn new(chain_id: &str, round: u64, players: &[DkgPublic]) -> Result<Self, Error> {
        if players.is_empty() || players.len() > MAX_DKG_PLAYERS {
            return Err(Error::Participants(players.len() as u32));
        }
        let mut sorted = players.to_vec();
        sorted.sort_by_key(|p| p.identity);
        if sorted.windows(2).any(|w| w[0].identity == w[1].identity) {
            return Err(Error::encoding(
                "dkg players",
                "an identity key is listed twice",
            ));
        }
        let keys = sorted
            .iter()
            .map(|p| ed25519_public(&p.identity))
            .collect::<Result<Vec<_>, _>>()?;
        let set =
            Set::try_from(keys).map_err(|e| Error::encoding("dkg players", format!("{e:?}")))?;
        let mut context = Vec::with_capacity(chain_id.len() + 12);
        context.extend_from_slice(&(chain_id.len() as u32).to_be_bytes());
        context.extend_from_slice(chain_id.as_bytes());
        // commonware binds the round into every transcript itself and wants
        // one namespace for all rounds (resharing reads the previous one's
        // output): the chain's.
        let chain_namespace = namespace(&context);
        context.extend_from_slice(&round.to_be_bytes());
        let info = Info::new::<N3f1>(
            &chain_namespace,
            round,
            None,
            Mode::NonZeroCounter,
            fd::Reveal::V1,
            set.clone(),
            set,
        )
        .map_err(|e| Error::encoding("dkg round", e))?;
        Ok(Round {
            info,
            players: sorted,
            signing_namespace: namespace(&context),
            context,
        })
    }

    /// The players, by index.
    pub fn players(&self) -> &[DkgPublic] {
        &self.players
    }

    /// The index of the player with identity key `identity`.
    pub fn index_of(&self, identity: &[u8; 32]) -> Option<u32> {
        self.players
            .iter()
            .position(|p| &p.identity == identity)
            .map(|i| i as u32)
    }

    /// How many key shares make a decryption key: `n − f`.
    pub fn threshold(&self) -> u32 {
        let n = self.players.len() as u32;
        n - (n - 1) / 3
    }

    fn player(&self, index: u32) -> Result<&DkgPublic, Error> {
        self.players
            .get(index as usize)
            .ok_or(Error::UnknownParticipant {
                index,
                participants: self.players.len() as u32,
            })
    }

    fn key(&self, index: u32) -> Result<ed25519::PublicKey, Error> {
        ed25519_public(&self.player(index)?.identity)
    }

    fn max(&self) -> NonZeroU32 {
        NonZeroU32::new(self.players.len() as u32).unwrap_or(NonZeroU32::MIN)
    }

    fn me(&self, secret: &DkgSecret) -> Result<u32, Error> {
        self.index_of(&secret.public().identity)
            .ok_or(Error::encoding("dkg secret", "not a player of this round"))
    }
}

fn namespace(context: &[u8]) -> Vec<u8> {
    let mut ns = DKG_NAMESPACE.to_vec();
    ns.extend_from_slice(context);
    ns
}

/// Signs `message` for this round as the holder of `secret` (a player's
/// messages on chain are authenticated by this, not by its consensus key).
pub fn sign(round: &Round, secret: &DkgSecret, message: &[u8]) -> [u8; SIGNATURE_LEN] {
    let sig = secret
        .signer()
        .sign(&round.signing_namespace, message)
        .encode();
    let mut out = [0; SIGNATURE_LEN];
    out.copy_from_slice(&sig);
    out
}

/// Whether `signature` is player `index`'s [`sign`] of `message`.
pub fn verify(round: &Round, index: u32, message: &[u8], signature: &[u8]) -> bool {
    let Ok(key) = round.key(index) else {
        return false;
    };
    let Ok(sig) = ed25519::Signature::decode_cfg(Copying(signature), &()) else {
        return false;
    };
    key.verify(&round.signing_namespace, message, &sig)
}

/// A started dealer: its state, its public commitment, one evaluation per
/// player.
type StartedDealer = (
    Dealer<V, ed25519::PrivateKey>,
    DealerPubMsg<V>,
    Vec<(ed25519::PublicKey, DealerPrivMsg)>,
);

/// A player and its acknowledgements (by dealer).
type PlayerView = (
    Player<V, ed25519::PrivateKey>,
    Vec<(u32, PlayerAck<ed25519::PublicKey>)>,
);

/// A dealer's polynomial and the first steps of its protocol, derived from
/// its secret and the round.
fn start_dealer(round: &Round, secret: &DkgSecret) -> Result<StartedDealer, Error> {
    let seed = derive(b"quire/dkg/dealing", &[&secret.0, &round.context]);
    Dealer::start::<N3f1>(
        ChaCha20Rng::from_seed(seed),
        round.info.clone(),
        secret.signer(),
        None,
    )
    .map_err(|e| Error::encoding("dkg dealing", e))
}

fn sealing_key(shared: &[u8; 32], ephemeral: &[u8; 32], recipient: &[u8; 32]) -> ChaCha20Poly1305 {
    let key = derive(b"quire/dkg/seal", &[shared, ephemeral, recipient]);
    ChaCha20Poly1305::new(&key.into())
}

fn sealing_ad(round: &Round, dealer: u32, player: u32) -> Vec<u8> {
    let mut ad = round.context.clone();
    ad.extend_from_slice(&dealer.to_be_bytes());
    ad.extend_from_slice(&player.to_be_bytes());
    ad
}

/// Dealer `secret`'s deal for `round`: the public commitment (u32 BE
/// length ‖ commonware's encoding), then one sealed evaluation per player,
/// by index.
pub fn deal(round: &Round, secret: &DkgSecret) -> Result<Vec<u8>, Error> {
    let me = round.me(secret)?;
    let (_, public, private) = start_dealer(round, secret)?;
    let commitment = public.encode();
    let mut out = Vec::with_capacity(4 + commitment.len() + private.len() * SEALED_EVALUATION_LEN);
    out.extend_from_slice(&(commitment.len() as u32).to_be_bytes());
    out.extend_from_slice(&commitment);
    for (index, (_, evaluation)) in private.iter().enumerate() {
        let index = index as u32;
        let recipient = round.player(index)?.sealing;
        let ephemeral_secret = derive(
            b"quire/dkg/ephemeral",
            &[&secret.0, &round.context, &index.to_be_bytes()],
        );
        let ephemeral =
            x25519_dalek::x25519(ephemeral_secret, x25519_dalek::X25519_BASEPOINT_BYTES);
        let shared = x25519_dalek::x25519(ephemeral_secret, recipient);
        let sealed = sealing_key(&shared, &ephemeral, &recipient)
            .encrypt(
                &Default::default(),
                Payload {
                    msg: &evaluation.encode(),
                    aad: &sealing_ad(round, me, index),
                },
            )
            .map_err(|_| Error::encoding("dkg evaluation", "sealing failed"))?;
        out.extend_from_slice(&ephemeral);
        out.extend_from_slice(&sealed);
    }
    Ok(out)
}

/// A deal's parts, decoded and bounded.
struct DecodedDeal {
    public: DealerPubMsg<V>,
    sealed: Vec<[u8; SEALED_EVALUATION_LEN]>,
}

fn decode_deal(round: &Round, bytes: &[u8]) -> Result<DecodedDeal, Error> {
    let (len, rest) = bytes.split_first_chunk::<4>().ok_or(Error::encoding(
        "dkg deal",
        "shorter than its length prefix",
    ))?;
    let len = u32::from_be_bytes(*len) as usize;
    if len > rest.len() {
        return Err(Error::encoding(
            "dkg deal",
            "commitment longer than the deal",
        ));
    }
    let (commitment, buf) = rest.split_at(len);
    let public = DealerPubMsg::<V>::decode_cfg(Copying(commitment), &round.max())
        .map_err(|e| Error::encoding("dkg deal commitment", e))?;
    let n = round.players.len();
    if buf.len() != n * SEALED_EVALUATION_LEN {
        return Err(Error::encoding(
            "dkg deal",
            format!(
                "{n} sealed evaluations ({} bytes) expected after the commitment, got {} bytes",
                n * SEALED_EVALUATION_LEN,
                buf.len()
            ),
        ));
    }
    let sealed = buf
        .chunks_exact(SEALED_EVALUATION_LEN)
        .map(|c| {
            let mut s = [0; SEALED_EVALUATION_LEN];
            s.copy_from_slice(c);
            s
        })
        .collect();
    Ok(DecodedDeal { public, sealed })
}

/// Checks a deal's encoding (not its content: a player who cannot open or
/// check its evaluation simply does not acknowledge it).
pub fn check_deal(round: &Round, bytes: &[u8]) -> Result<(), Error> {
    decode_deal(round, bytes).map(|_| ())
}

/// Player `me` opens its evaluation in dealer `dealer`'s deal.
fn open_evaluation(
    round: &Round,
    secret: &DkgSecret,
    me: u32,
    dealer: u32,
    deal: &DecodedDeal,
) -> Option<DealerPrivMsg> {
    let sealed = deal.sealed.get(me as usize)?;
    let mut ephemeral = [0; 32];
    ephemeral.copy_from_slice(&sealed[..32]);
    let shared = x25519_dalek::x25519(secret.sealing_secret(), ephemeral);
    let plain = sealing_key(&shared, &ephemeral, &round.player(me).ok()?.sealing)
        .decrypt(
            &Default::default(),
            Payload {
                msg: &sealed[32..],
                aad: &sealing_ad(round, dealer, me),
            },
        )
        .ok()?;
    DealerPrivMsg::decode_cfg(Copying(&plain[..]), &()).ok()
}

/// A player's view of the recorded deals: each opened and checked.
fn player_view(
    round: &Round,
    secret: &DkgSecret,
    deals: &[(u32, Vec<u8>)],
) -> Result<PlayerView, Error> {
    let me = round.me(secret)?;
    let mut player = Player::new(round.info.clone(), secret.signer())
        .map_err(|e| Error::encoding("dkg player", e))?;
    let mut acks = Vec::new();
    for (dealer, bytes) in deals {
        let Ok(deal) = decode_deal(round, bytes) else {
            continue;
        };
        let (Ok(key), Some(evaluation)) = (
            round.key(*dealer),
            open_evaluation(round, secret, me, *dealer, &deal),
        ) else {
            continue;
        };
        if let Ok(Some(ack)) = player.dealer_message::<N3f1>(key, deal.public, evaluation) {
            acks.push((*dealer, ack));
        }
    }
    Ok((player, acks))
}

/// Player `secret`'s acknowledgements of the recorded `deals` (dealer
/// index, deal): one per deal whose evaluation for it opens and matches
/// the commitment, by dealer.
pub fn acks(
    round: &Round,
    secret: &DkgSecret,
    deals: &[(u32, Vec<u8>)],
) -> Result<Vec<(u32, [u8; ACK_LEN])>, Error> {
    let (_, acks) = player_view(round, secret, deals)?;
    Ok(acks
        .into_iter()
        .map(|(dealer, ack)| {
            let mut out = [0; ACK_LEN];
            out.copy_from_slice(&ack.encode());
            (dealer, out)
        })
        .collect())
}

/// Dealer `secret`'s signed log, from the acknowledgements the chain
/// recorded for its deal (player index, ack; a bad one counts as missing):
/// every player without one gets its evaluation revealed.
pub fn dealer_log(
    round: &Round,
    secret: &DkgSecret,
    acks: &[(u32, [u8; ACK_LEN])],
) -> Result<Vec<u8>, Error> {
    let (mut dealer, _, _) = start_dealer(round, secret)?;
    for (player, ack) in acks {
        let (Ok(key), Ok(ack)) = (
            round.key(*player),
            PlayerAck::decode_cfg(Copying(&ack[..]), &()),
        ) else {
            continue;
        };
        let _ = dealer.receive_player_ack(key, ack);
    }
    Ok(dealer.finalize::<N3f1>().encode().to_vec())
}

fn decode_log(
    round: &Round,
    dealer: u32,
    bytes: &[u8],
) -> Result<(ed25519::PublicKey, fd::DealerLog<V, ed25519::PublicKey>), Error> {
    let signed = SignedDealerLog::<V, ed25519::PublicKey>::decode_cfg(Copying(bytes), &round.max())
        .map_err(|e| Error::encoding("dkg log", e))?;
    let (key, log) = signed
        .check(&round.info)
        .ok_or(Error::encoding("dkg log", "its signature does not verify"))?;
    if key != round.key(dealer)? {
        return Err(Error::encoding("dkg log", "signed by another dealer"));
    }
    Ok((key, log))
}

/// Checks dealer `dealer`'s log: it decodes, within the round's bounds, and
/// carries that dealer's signature for this round. Whether its content is
/// usable is [`observe`]'s question.
pub fn check_log(round: &Round, dealer: u32, bytes: &[u8]) -> Result<(), Error> {
    decode_log(round, dealer, bytes).map(|_| ())
}

fn logs(round: &Round, logs: &[(u32, Vec<u8>)]) -> Logs<V, ed25519::PublicKey, N3f1> {
    let mut out = Logs::new(round.info.clone());
    for (dealer, bytes) in logs {
        if let Ok((key, log)) = decode_log(round, *dealer, bytes) {
            out.record(key, log);
        }
    }
    out
}

/// The randomness of the batch checks inside observe: from the logs
/// themselves, so every node runs the same checks.
fn observe_rng(round: &Round, recorded: &[(u32, Vec<u8>)]) -> ChaCha20Rng {
    let mut hasher = Sha256::new();
    hasher.update(b"quire/dkg/observe");
    hasher.update(&round.context);
    for (dealer, bytes) in recorded {
        hasher.update(dealer.to_be_bytes());
        hasher.update(Sha256::digest(bytes));
    }
    ChaCha20Rng::from_seed(hasher.finalize().into())
}

/// The round's outcome from the recorded logs (dealer index, log; one per
/// dealer: for a dealer listed twice the last valid one counts): the epoch
/// key, or [`Error::DkgFailed`] when too
/// few dealers' logs are usable. A function of `recorded` only.
pub fn observe(round: &Round, recorded: &[(u32, Vec<u8>)]) -> Result<EpochKey, Error> {
    let mut rng = observe_rng(round, recorded);
    let output =
        fd::observe::<V, ed25519::PublicKey, N3f1>(&mut rng, logs(round, recorded), &Sequential)
            .map_err(|e| Error::DkgFailed(e.to_string()))?;
    Ok(EpochKey {
        sharing: output.public().clone(),
    })
}

/// Player `secret`'s key share from the recorded deals and logs (what
/// [`observe`] was given): checked against the epoch key they make.
pub fn player_share(
    round: &Round,
    secret: &DkgSecret,
    deals: &[(u32, Vec<u8>)],
    recorded: &[(u32, Vec<u8>)],
) -> Result<KeyShare, Error> {
    let (player, _) = player_view(round, secret, deals)?;
    let mut rng = observe_rng(round, recorded);
    let (output, share) = player
        .finalize::<N3f1>(&mut rng, logs(round, recorded), &Sequential)
        .map_err(|e| Error::DkgFailed(e.to_string()))?;
    let key = EpochKey {
        sharing: output.public().clone(),
    };
    let share = KeyShare(share);
    if !key.holds(&share) {
        return Err(Error::DkgFailed(
            "the derived share does not match the epoch key".into(),
        ));
    }
    Ok(share)
}

/// The most bytes of a deal, acknowledgement list or log of a round of
/// `players` players.
pub fn max_payload_len(players: usize) -> usize {
    let n = NonZeroU32::new(players.clamp(1, MAX_DKG_PLAYERS) as u32).unwrap_or(NonZeroU32::MIN);
    let deal = 4 + DealerPubMsg::<V>::max_encode_size(n) + players * SEALED_EVALUATION_LEN;
    let log = SignedDealerLog::<V, ed25519::PublicKey>::max_encode_size(n);
    let acks = 4 + players * (4 + ACK_LEN);
    deal.max(log).max(acks)
}

const _: () = assert!(MAX_DKG_PLAYERS as u32 <= MAX_PARTICIPANTS);

#[cfg(test)]
mod tests {
    use super::*;

    fn secrets(n: u8) -> Vec<DkgSecret> {
        (1..=n).map(|i| DkgSecret::from_bytes([i; 32])).collect()
    }

    fn round_of(secrets: &[DkgSecret]) -> Round {
        let players: Vec<_> = secrets.iter().map(DkgSecret::public).collect();
        Round::new("quire-test", 1, &players).expect("round")
    }

    fn index(round: &Round, s: &DkgSecret) -> u32 {
        round.index_of(&s.public().identity).expect("player")
    }

    /// (index, bytes) of each deal or log recorded.
    type Records = Vec<(u32, Vec<u8>)>;

    /// Runs a round where `dealing` deal, `acking` ack, `logging` log.
    fn run(
        secrets: &[DkgSecret],
        dealing: impl Fn(u32) -> bool,
        acking: impl Fn(u32) -> bool,
        logging: impl Fn(u32) -> bool,
    ) -> (Round, Records, Records) {
        let round = round_of(secrets);
        let mut deals = Vec::new();
        for s in secrets {
            let i = index(&round, s);
            if dealing(i) {
                let d = deal(&round, s).expect("deal");
                check_deal(&round, &d).expect("deal encoding");
                deals.push((i, d));
            }
        }
        deals.sort_by_key(|d| d.0);
        let mut acks_for: std::collections::BTreeMap<u32, Vec<(u32, [u8; ACK_LEN])>> =
            Default::default();
        for s in secrets {
            let p = index(&round, s);
            if !acking(p) {
                continue;
            }
            for (dealer, ack) in acks(&round, s, &deals).expect("acks") {
                acks_for.entry(dealer).or_default().push((p, ack));
            }
        }
        let mut logs = Vec::new();
        for s in secrets {
            let d = index(&round, s);
            if logging(d) && deals.iter().any(|x| x.0 == d) {
                let log =
                    dealer_log(&round, s, acks_for.get(&d).map_or(&[][..], |v| v)).expect("log");
                check_log(&round, d, &log).expect("log checks");
                logs.push((d, log));
            }
        }
        logs.sort_by_key(|l| l.0);
        (round, deals, logs)
    }

    fn shares_decrypt(
        secrets: &[DkgSecret],
        round: &Round,
        deals: &[(u32, Vec<u8>)],
        logs: &[(u32, Vec<u8>)],
        key: &EpochKey,
    ) {
        let identity = crate::Identity::from_bytes([7; 32]);
        let shares: Vec<_> = secrets
            .iter()
            .map(|s| player_share(round, s, deals, logs).expect("share"))
            .map(|k| crate::share(&k, &identity))
            .collect();
        let combined = crate::combine(key, &shares[..key.threshold() as usize]).expect("combine");
        crate::verify_key(&key.group_key(), &identity, &combined).expect("key verifies");
    }

    #[test]
    fn four_honest_players_agree_on_a_key_their_shares_decrypt_with() {
        let s = secrets(4);
        let (round, deals, logs) = run(&s, |_| true, |_| true, |_| true);
        let key = observe(&round, &logs).expect("key");
        assert_eq!(key.participants(), 4);
        assert_eq!(key.threshold(), 3);
        assert_eq!(observe(&round, &logs).expect("again"), key, "deterministic");
        shares_decrypt(&s, &round, &deals, &logs, &key);
    }

    #[test]
    fn a_restarted_dealer_deals_the_same() {
        let s = secrets(4);
        let round = round_of(&s);
        assert_eq!(
            deal(&round, &s[0]).expect("a"),
            deal(&round, &s[0]).expect("b")
        );
        let other = Round::new("quire-test", 2, round.players()).expect("round 2");
        assert_ne!(
            deal(&round, &s[0]).expect("a"),
            deal(&other, &s[0]).expect("c")
        );
    }

    #[test]
    fn a_silent_player_gets_its_share_revealed_and_still_holds_one() {
        let s = secrets(7);
        let (round, deals, logs) = run(&s, |_| true, |p| p != 2, |_| true);
        let key = observe(&round, &logs).expect("key");
        shares_decrypt(&s, &round, &deals, &logs, &key);
    }

    #[test]
    fn a_dealer_that_quits_is_left_out() {
        let s = secrets(7);
        let (round, deals, logs) = run(&s, |d| d != 1, |_| true, |d| d != 4);
        assert_eq!(logs.len(), 5);
        let key = observe(&round, &logs).expect("key");
        shares_decrypt(&s, &round, &deals, &logs, &key);
    }

    #[test]
    fn too_few_logs_fail_the_round() {
        let s = secrets(4);
        let (round, _, logs) = run(&s, |_| true, |_| true, |d| d < 2);
        assert!(matches!(observe(&round, &logs), Err(Error::DkgFailed(_))));
    }

    #[test]
    fn a_bad_evaluation_is_not_acknowledged() {
        let s = secrets(4);
        let round = round_of(&s);
        let mut d = deal(&round, &s[0]).expect("deal");
        let len = d.len();
        d[len - 1] ^= 1; // the last player's sealed evaluation
        let dealer = index(&round, &s[0]);
        let last = s.iter().find(|x| index(&round, x) == 3).expect("player 3");
        assert!(acks(&round, last, &[(dealer, d.clone())])
            .expect("acks")
            .is_empty());
        let first = s.iter().find(|x| index(&round, x) == 0).expect("player 0");
        assert_eq!(acks(&round, first, &[(dealer, d)]).expect("acks").len(), 1);
    }

    #[test]
    fn logs_and_signatures_are_bound_to_their_dealer_and_round() {
        let s = secrets(4);
        let (round, _, logs) = run(&s, |_| true, |_| true, |_| true);
        let (d, log) = &logs[0];
        assert!(check_log(&round, (d + 1) % 4, log).is_err());
        let other = Round::new("quire-test", 2, round.players()).expect("round 2");
        assert!(check_log(&other, *d, log).is_err());
        let signer = s.iter().find(|x| index(&round, x) == 0).expect("player 0");
        let sig = sign(&round, signer, b"msg");
        assert!(verify(&round, 0, b"msg", &sig));
        assert!(!verify(&round, 1, b"msg", &sig));
        assert!(!verify(&other, 0, b"msg", &sig));
        assert!(check_deal(&round, &[1, 2, 3]).is_err());
        assert!(check_log(&round, 0, &[0; 10]).is_err());
    }

    #[test]
    fn duplicate_or_too_many_players_are_refused() {
        let p = DkgSecret::from_bytes([1; 32]).public();
        assert!(Round::new("c", 1, &[p, p]).is_err());
        assert!(Round::new("c", 1, &[]).is_err());
    }

    #[test]
    fn registration_proofs_bind_chain_and_operator() {
        let secret = DkgSecret::from_bytes([3; 32]);
        let public = secret.public();
        let proof = secret.prove_registration("quire-a", &[1; 20]);
        assert!(public.verify_registration("quire-a", &[1; 20], &proof));
        assert!(!public.verify_registration("quire-b", &[1; 20], &proof));
        assert!(!public.verify_registration("quire-a", &[2; 20], &proof));
        assert!(!public.verify_registration("quire-a", &[1; 20], &proof[..63]));
        let other = DkgSecret::from_bytes([4; 32]).public();
        assert!(!other.verify_registration("quire-a", &[1; 20], &proof));
    }
}
