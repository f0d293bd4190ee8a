//! auth: accounts (number, sequence, balance), transaction authentication
//! (account, signature, sequence), and the transaction-wide limits (size,
//! timeout).
//!
//! An account is one record holding its number, its next sequence and its
//! balance in the fee denom, so a transaction touches one state entry for
//! its signer (see docs/decisions.md): bank moves balances through
//! [`state::AuthWrite`].

pub mod keys;
pub mod state;

use crate::component::Component;
use crate::context::TxContext;
use crate::error::TxError;
use crate::genesis::{Genesis, GenesisError};
use crate::state::{StateRead, StateWrite};
use crate::tx::DecodedTx;
use state::{Account, AuthRead, AuthWrite};

/// The auth component.
#[derive(Debug, Default)]
pub struct Auth;

impl Component for Auth {
    fn name(&self) -> &'static str {
        "auth"
    }

    /// Genesis accounts are numbered from 0 in the order the genesis lists them.
    fn init_chain(
        &self,
        state: &mut dyn StateWrite,
        genesis: &Genesis<'_>,
    ) -> Result<(), GenesisError> {
        for (number, (address, balance)) in genesis.accounts.iter().enumerate() {
            state.put_account(
                address,
                &Account {
                    balance: *balance,
                    account_number: number as u64,
                    sequence: 0,
                },
            );
        }
        state.put_next_account_number(genesis.accounts.len() as u64);
        Ok(())
    }

    fn check_tx(
        &self,
        _state: &dyn StateRead,
        ctx: &TxContext<'_>,
        tx: &DecodedTx,
    ) -> Result<(), TxError> {
        if tx.size as u64 > ctx.params.max_tx_bytes {
            return Err(TxError::TooLarge {
                size: tx.size,
                max: ctx.params.max_tx_bytes,
            });
        }
        if tx.timeout_height != 0 && ctx.height > tx.timeout_height {
            return Err(TxError::TimedOut {
                timeout_height: tx.timeout_height,
                height: ctx.height,
            });
        }
        Ok(())
    }

    /// The signer's account must exist, the signature verify for its account
    /// number, and the sequence be exactly the account's next; the sequence
    /// then advances.
    fn authenticate(
        &self,
        state: &mut dyn StateWrite,
        ctx: &TxContext<'_>,
        tx: &DecodedTx,
    ) -> Result<(), TxError> {
        let signer = tx.signer;
        let mut account = state
            .account(&signer)?
            .ok_or_else(|| TxError::UnknownAccount(signer.to_bech32()))?;
        tx.verify_signature_cached(ctx.chain_id, account.account_number, ctx.sig_cache)?;
        if tx.sequence < account.sequence {
            return Err(TxError::SequenceReused {
                account: signer.to_bech32(),
                expected: account.sequence,
                got: tx.sequence,
            });
        }
        if tx.sequence > account.sequence {
            return Err(TxError::SequenceGap {
                account: signer.to_bech32(),
                expected: account.sequence,
                got: tx.sequence,
            });
        }
        account.sequence += 1;
        state.put_account(&signer, &account);
        Ok(())
    }
}
