//! Blind ordering's wire formats (docs/blind-ordering.md): the encrypted
//! blob message, the decryption shares validators put in their vote
//! extensions, the reveal system transaction that publishes the keys, and
//! the records a reveal leaves in state (what binds a revealed blob to its
//! envelope).
//!
//! These are bytes only: the cryptography (identities, sealing, checking
//! shares and keys) is `quire-tpke`'s, which owns the group formats whose
//! sizes are repeated here ([`IBE_CIPHERTEXT_LEN`], [`DECRYPTION_SHARE_LEN`],
//! [`DECRYPTION_KEY_LEN`]) so that this crate stays free of C code.

pub mod dkg_key;
pub mod msg;
pub mod record;
pub mod reveal;
pub mod shares;

pub use dkg_key::{SetDkgKey, MSG_SET_DKG_KEY_TYPE_URL};
pub use msg::{EncryptionTxError, SubmitEncrypted, MSG_SUBMIT_ENCRYPTED_TYPE_URL};
pub use record::{
    bind_revealed, BindError, BlobOrigin, EncryptionParams, Outcome, ResolvedEnvelope,
    RevealedBlob, Status,
};
pub use reveal::{Reveal, SlotResolution, REVEAL_TX_PREFIX};
pub use shares::{ShareSection, SlotShares};

/// Bytes of an envelope's IBE ciphertext: U (G2, 96) ‖ V (32) ‖ W (32).
pub const IBE_CIPHERTEXT_LEN: usize = 160;
/// Bytes of one validator's decryption share: participant index u32 BE ‖
/// G1 point (48).
pub const DECRYPTION_SHARE_LEN: usize = 52;
/// Bytes of an envelope's decryption key (a G1 point).
pub const DECRYPTION_KEY_LEN: usize = 48;
/// Bytes of the envelope nonce.
pub const NONCE_LEN: usize = 32;
/// Bytes the AEAD adds to the payload.
pub const AEAD_TAG_LEN: usize = 16;
/// The most slots one reveal resolves, and one vote extension shares.
pub const MAX_SLOTS_PER_REVEAL: usize = 2;
/// The most envelopes one block may carry, whatever the genesis says (the
/// bound of every decoder here).
pub const MAX_ENVELOPES_PER_BLOCK: usize = 256;

/// Why wire bytes of this module do not decode.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what}: {reason}")]
pub struct FormatError {
    /// What was being read.
    pub what: &'static str,
    /// What is wrong.
    pub reason: String,
}

impl FormatError {
    pub(crate) fn new(what: &'static str, reason: impl Into<String>) -> Self {
        FormatError {
            what,
            reason: reason.into(),
        }
    }
}

/// A cursor over bytes from outside: every read is bounded by what is left.
pub(crate) struct Reader<'a> {
    what: &'static str,
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(crate) fn new(what: &'static str, bytes: &'a [u8]) -> Self {
        Reader { what, rest: bytes }
    }

    pub(crate) fn take(&mut self, len: usize) -> Result<&'a [u8], FormatError> {
        let (head, rest) = self
            .rest
            .split_at_checked(len)
            .ok_or_else(|| FormatError::new(self.what, "truncated"))?;
        self.rest = rest;
        Ok(head)
    }

    pub(crate) fn array<const N: usize>(&mut self) -> Result<[u8; N], FormatError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    pub(crate) fn u8(&mut self) -> Result<u8, FormatError> {
        Ok(self.array::<1>()?[0])
    }

    pub(crate) fn u16(&mut self) -> Result<u16, FormatError> {
        Ok(u16::from_be_bytes(self.array()?))
    }

    pub(crate) fn u32(&mut self) -> Result<u32, FormatError> {
        Ok(u32::from_be_bytes(self.array()?))
    }

    pub(crate) fn remaining(&self) -> usize {
        self.rest.len()
    }

    pub(crate) fn u64(&mut self) -> Result<u64, FormatError> {
        Ok(u64::from_be_bytes(self.array()?))
    }

    pub(crate) fn finish(self) -> Result<(), FormatError> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(FormatError::new(
                self.what,
                format!("{} trailing bytes", self.rest.len()),
            ))
        }
    }

    pub(crate) fn fail(&self, reason: impl Into<String>) -> FormatError {
        FormatError::new(self.what, reason)
    }
}
