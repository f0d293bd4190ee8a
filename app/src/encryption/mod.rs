//! encryption: blind ordering's encrypted blobs (docs/blind-ordering.md).
//!
//! A `MsgSubmitEncrypted` carries a blob bundle sealed to the validators'
//! threshold key under an identity bound to the chain, the key epoch, its
//! signer and sequence and a fresh nonce. Its block S is its *slot*: the
//! proposer orders it without seeing it. Once S is committed, each
//! validator puts its decryption shares of S's envelopes in its vote
//! extension for S+1 (never before: a share for an uncommitted block is
//! refused by every honest node); the proposer of S+2 combines them and
//! puts the keys in the reveal system transaction; every node checks them
//! against the epoch key, decrypts, and the blobs join block S+2's blob
//! list and namespace commitment. A slot not revealed by S+E expires
//! (never decrypted, fees kept); K expiries in a row switch the chain to
//! plaintext only.
//!
//! Keys come from a trusted dealer at genesis (`app_state.encryption`,
//! test and local networks); the node's key share reaches the component
//! through [`Encryption::new`], never through state.

pub mod dkg;
pub mod genesis;
pub(crate) mod reveal;
pub(crate) mod shares;
pub mod state;
pub(crate) mod submit;

pub use genesis::EncryptionGenesis;
pub use state::{EncryptionParams, EncryptionRead, Outcome, ResolvedEnvelope, Status};

use crate::component::Component;
use crate::context::{BlockContext, TxContext, ValidatorUpdate, VoteContext};
use crate::error::{StateReadError, SystemTxError, TxError};
use crate::event::Event;
use crate::genesis::{Genesis, GenesisError};
use crate::router::{ActionHandler, MsgDecoder};
use crate::state::{StateDelta, StateRead, StateWrite};
use crate::system_tx::SystemTxTag;
use crate::tx::DecodedTx;
use quire_core::encryption::{
    EncryptionTxError, Reveal, ShareSection, SubmitEncrypted, MSG_SUBMIT_ENCRYPTED_TYPE_URL,
    REVEAL_TX_PREFIX,
};
use quire_core::msg::MsgError;
use quire_core::Address;
use state::{EncryptionWrite, PendingEnvelope};

/// The reveal's system transaction tag.
pub const REVEAL_TAG: SystemTxTag = SystemTxTag {
    kind: "reveal",
    prefix: REVEAL_TX_PREFIX,
};

/// Object keys (per block, never persisted).
pub(crate) mod objects {
    /// Envelopes in the block so far: `u32`.
    pub const COUNT: &[u8] = b"encryption/block/count";
    /// Prefix of the block's envelopes: ‖ tx index u32 BE -> `PendingEnvelope`.
    pub const ENVELOPES: &[u8] = b"encryption/block/env/";

    /// The key of the envelope of transaction `tx_index`.
    pub fn envelope(tx_index: u32) -> Vec<u8> {
        let mut key = ENVELOPES.to_vec();
        key.extend_from_slice(&tx_index.to_be_bytes());
        key
    }
}

/// The encryption component, with the node's key share: a dealer's, or
/// derived from the chain with its key-generation secret.
#[derive(Debug, Default)]
pub struct Encryption {
    dealt: Option<quire_tpke::KeyShare>,
    generated: Option<(quire_tpke::dkg::DkgSecret, dkg::DerivedShare)>,
}

impl Encryption {
    /// The component of a node holding a dealt `share` and/or a
    /// key-generation `secret`. Which one is used follows the chain: the
    /// derived share where the chain generates its keys, the dealt one
    /// where a dealer made them.
    pub fn new(
        share: Option<quire_tpke::KeyShare>,
        secret: Option<quire_tpke::dkg::DkgSecret>,
    ) -> Self {
        Encryption {
            dealt: share,
            generated: secret.map(|s| (s, Default::default())),
        }
    }

    fn share(&self, state: &dyn StateRead) -> Result<Option<quire_tpke::KeyShare>, StateReadError> {
        use dkg::state::DkgRead;
        if state.dkg_config()?.is_none() {
            return Ok(self.dealt.clone());
        }
        match &self.generated {
            Some((secret, derived)) => derived.get(state, secret),
            None => Ok(None),
        }
    }
}

fn decode_submit_encrypted(
    value: &[u8],
    signer: &Address,
) -> Result<Box<dyn ActionHandler>, MsgError> {
    Ok(Box::new(SubmitEncrypted::decode(value, signer)?))
}

fn encrypted_count(tx: &DecodedTx) -> usize {
    tx.messages_of::<SubmitEncrypted>().count()
}

impl Component for Encryption {
    fn name(&self) -> &'static str {
        "encryption"
    }

    fn msg_types(&self) -> Vec<(&'static str, MsgDecoder)> {
        vec![(MSG_SUBMIT_ENCRYPTED_TYPE_URL, decode_submit_encrypted)]
    }

    fn system_tx(&self) -> Option<SystemTxTag> {
        Some(REVEAL_TAG)
    }

    fn init_chain(
        &self,
        state: &mut dyn StateWrite,
        genesis: &Genesis<'_>,
    ) -> Result<(), GenesisError> {
        match &genesis.state.encryption {
            Some(section) => genesis::init(state, genesis, section),
            None => Ok(()),
        }
    }

    /// An envelope travels alone, while encryption is on, to the current
    /// epoch, and not while a new epoch key waits for the current epoch's
    /// pending slots (they drain, then it is installed).
    fn check_tx(
        &self,
        state: &dyn StateRead,
        _ctx: &TxContext<'_>,
        tx: &DecodedTx,
    ) -> Result<(), TxError> {
        let Some(envelope) = tx.messages_of::<SubmitEncrypted>().next() else {
            return Ok(());
        };
        let err = |error| TxError::Encryption { index: 0, error };
        if tx.messages.len() != 1 {
            return Err(err(EncryptionTxError::NotAlone(tx.messages.len())));
        }
        let Some(params) = state.encryption_params()? else {
            return Err(err(dkg::first_key_pending(state)?
                .map_or(EncryptionTxError::Off, |(round, deadline)| {
                    EncryptionTxError::KeyGeneration { round, deadline }
                })));
        };
        let status = state.encryption_status()?;
        if let Some(since) = status.inactive_since {
            return Err(err(EncryptionTxError::Inactive {
                since,
                expired: status.expired_in_row,
            }));
        }
        {
            use dkg::state::DkgRead;
            if state.dkg_ready()?.is_some() {
                return Err(err(EncryptionTxError::EpochEnding {
                    current: params.epoch,
                }));
            }
        }
        if envelope.epoch != params.epoch {
            return Err(err(EncryptionTxError::WrongEpoch {
                got: envelope.epoch,
                current: params.epoch,
            }));
        }
        Ok(())
    }

    /// The block's envelope cap.
    fn admit(
        &self,
        state: &dyn StateRead,
        _ctx: &TxContext<'_>,
        tx: &DecodedTx,
    ) -> Result<(), TxError> {
        if encrypted_count(tx) == 0 {
            return Ok(());
        }
        let Some(params) = state.encryption_params()? else {
            return Ok(()); // check_tx refuses it
        };
        if submit::block_envelopes(state) >= params.max_envelopes_per_block {
            return Err(TxError::Encryption {
                index: 0,
                error: EncryptionTxError::BlockFull {
                    max: params.max_envelopes_per_block,
                },
            });
        }
        Ok(())
    }

    /// Queues the block's envelopes as its slot.
    fn end_block(
        &self,
        state: &mut dyn StateWrite,
        ctx: &BlockContext,
    ) -> Result<Vec<ValidatorUpdate>, StateReadError> {
        let envelopes: Vec<PendingEnvelope> = state
            .object_prefix(objects::ENVELOPES)
            .into_iter()
            .filter_map(|(_, object)| object.downcast_ref::<PendingEnvelope>().cloned())
            .collect();
        if !envelopes.is_empty() {
            state.put_pending(ctx.height, &envelopes);
        }
        Ok(Vec::new())
    }

    /// A block carries a reveal when a pending slot was committed at least
    /// two blocks before it.
    fn requires_system_tx(
        &self,
        state: &dyn StateRead,
        ctx: &BlockContext,
    ) -> Result<bool, StateReadError> {
        if state.encryption_params()?.is_none() {
            return Ok(false);
        }
        Ok(!reveal::eligible(&state.pending_slots()?, ctx.height).is_empty())
    }

    fn system_tx_reserve(&self, state: &dyn StateRead, ctx: &BlockContext) -> u64 {
        let envelopes = match state.pending_slots() {
            Ok(pending) => reveal::eligible(&pending, ctx.height)
                .iter()
                .map(|&(_, count)| count as usize)
                .sum(),
            Err(_) => quire_core::encryption::MAX_ENVELOPES_PER_BLOCK * 2,
        };
        Reveal::max_tx_len(envelopes) as u64
    }

    fn builds_system_tx_first(&self) -> bool {
        true
    }

    fn build_system_tx(
        &self,
        state: &StateDelta<'_>,
        ctx: &BlockContext,
    ) -> Result<Option<Vec<u8>>, StateReadError> {
        Ok(Some(reveal::build(state, ctx, self.name())?.to_tx()))
    }

    fn deliver_system_tx(
        &self,
        state: &mut dyn StateWrite,
        ctx: &BlockContext,
        tx_index: u32,
        tx: &[u8],
    ) -> Result<Vec<Event>, SystemTxError> {
        reveal::deliver(state, ctx, tx_index, tx)
    }

    fn max_vote_extension_bytes(&self) -> usize {
        ShareSection::MAX_LEN
    }

    fn extend_vote(
        &self,
        state: &dyn StateRead,
        ctx: &VoteContext,
    ) -> Result<Option<Vec<u8>>, StateReadError> {
        match self.share(state)? {
            Some(share) => shares::extend(state, ctx, &share),
            None => Ok(None),
        }
    }

    fn verify_vote_extension(
        &self,
        state: &dyn StateRead,
        ctx: &VoteContext,
        validator: &[u8; 20],
        section: Option<&[u8]>,
    ) -> Result<(), String> {
        shares::verify(state, ctx, validator, section)
    }
}
