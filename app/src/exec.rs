//! Executing one transaction against state: the rules every node applies the
//! same way, in CheckTx, PrepareProposal, ProcessProposal and FinalizeBlock.

use crate::error::TxError;
use crate::sigcache::SignatureCache;
use crate::state::{Account, StateDelta, StateReadExt};
use crate::tx::DecodedTx;
use quire_core::msg::{Msg, Send, SubmitBlob};
use quire_core::Address;
use quire_core::Params;
use std::collections::BTreeMap;

/// What a transaction is checked against: the chain's constants and the height
/// of the block it is (or would be) in.
#[derive(Debug, Clone)]
pub struct ExecContext {
    /// This chain's id.
    pub chain_id: String,
    /// The chain parameters.
    pub params: Params,
    /// Height of the block being built or checked.
    pub height: u64,
}

/// What an applied transaction did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TxReceipt {
    /// The signer.
    pub signer: Address,
    /// The sequence it used.
    pub sequence: u64,
    /// Fee charged, in the fee denom.
    pub fee: u128,
    /// Blob bytes it carried.
    pub blob_bytes: u64,
}

/// Checks `tx` against `state` and, if every rule holds, applies it: the signer
/// pays the fee and its sends, its sequence advances, recipients are credited.
/// On error nothing is written, so a transaction applies all of its messages or
/// none (atomic bundles). The signature check goes through `sigs` (pass
/// [`SignatureCache::disabled`] to verify every time); the result is the same
/// either way.
pub fn execute_tx(
    state: &mut StateDelta<'_>,
    ctx: &ExecContext,
    tx: &DecodedTx,
    sigs: &SignatureCache,
) -> Result<TxReceipt, TxError> {
    let params = &ctx.params;
    for (index, msg) in tx.messages.iter().enumerate() {
        if let Msg::SubmitBlob(SubmitBlob { data, .. }) = msg {
            if data.len() as u64 > params.max_blob_bytes {
                return Err(TxError::BlobTooLarge {
                    index,
                    size: data.len(),
                    max: params.max_blob_bytes,
                });
            }
        }
    }
    if tx.blob_bytes > params.max_block_blob_bytes {
        return Err(TxError::BlockBlobBudget {
            tx_bytes: tx.blob_bytes,
            remaining: params.max_block_blob_bytes,
            max: params.max_block_blob_bytes,
        });
    }
    if tx.size as u64 > params.max_tx_bytes {
        return Err(TxError::TooLarge {
            size: tx.size,
            max: params.max_tx_bytes,
        });
    }
    if tx.timeout_height != 0 && ctx.height > tx.timeout_height {
        return Err(TxError::TimedOut {
            timeout_height: tx.timeout_height,
            height: ctx.height,
        });
    }

    let signer = tx.signer;
    let mut account = state
        .account(&signer)?
        .ok_or_else(|| TxError::UnknownAccount(signer.to_bech32()))?;
    tx.verify_signature_cached(&ctx.chain_id, account.account_number, sigs)?;
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

    let required = params
        .fee_for(tx.blob_bytes)
        .ok_or_else(|| TxError::Invalid("fee computation overflows".into()))?;
    let fee = match &tx.fee {
        None => 0,
        Some((denom, _)) if denom != &params.fee_denom => {
            return Err(TxError::WrongFeeDenom {
                expected: params.fee_denom.clone(),
                got: denom.clone(),
            })
        }
        Some((_, amount)) => *amount,
    };
    if fee < required {
        return Err(TxError::InsufficientFee {
            offered: fee,
            required,
            denom: params.fee_denom.clone(),
        });
    }

    let mut needed = fee;
    for (index, msg) in tx.messages.iter().enumerate() {
        if let Msg::Send(Send { denom, amount, .. }) = msg {
            if denom != &params.fee_denom {
                return Err(TxError::Invalid(format!(
                    "message {index}: can only send {}, not {denom:?}",
                    params.fee_denom
                )));
            }
            needed = needed
                .checked_add(*amount)
                .ok_or_else(|| TxError::Invalid("total amount overflows".into()))?;
        }
    }
    if account.balance < needed {
        return Err(TxError::InsufficientFunds {
            account: signer.to_bech32(),
            balance: account.balance,
            needed,
        });
    }

    // Stage every account change, then write them all: nothing is written if
    // any step fails.
    account.balance -= needed;
    account.sequence += 1;
    let mut staged: BTreeMap<Address, Account> = BTreeMap::new();
    staged.insert(signer, account);
    let mut next_number = state.next_account_number()?;
    let first_number = next_number;
    for msg in &tx.messages {
        if let Msg::Send(Send { to, amount, .. }) = msg {
            let recipient = match staged.get(to) {
                Some(existing) => *existing,
                None => match state.account(to)? {
                    Some(existing) => existing,
                    None => {
                        let created = Account {
                            balance: 0,
                            account_number: next_number,
                            sequence: 0,
                        };
                        next_number += 1;
                        created
                    }
                },
            };
            let balance = recipient
                .balance
                .checked_add(*amount)
                .ok_or_else(|| TxError::Invalid(format!("balance of {to} would overflow")))?;
            staged.insert(
                *to,
                Account {
                    balance,
                    ..recipient
                },
            );
        }
    }
    let fees_total = state
        .fees_collected()?
        .checked_add(fee)
        .ok_or_else(|| TxError::Invalid("fee pool would overflow".into()))?;

    for (address, account) in &staged {
        state.put_account(address, account);
    }
    if next_number != first_number {
        state.put_next_account_number(next_number);
    }
    state.put_fees_collected(fees_total);
    Ok(TxReceipt {
        signer,
        sequence: tx.sequence,
        fee,
        blob_bytes: tx.blob_bytes,
    })
}
