//! A submitter: one account that signs and sends transactions, keeping its own
//! sequence so that many transactions can be in flight without waiting for
//! blocks (a rollup batcher's pipeline).

use crate::rpc::{BroadcastResult, ClientError, NodeClient};
use cosmrs::crypto::secp256k1::SigningKey;
use quire_core::builder::{address_of, sign_tx, SignerContext};
use quire_core::Msg;
use quire_core::{Address, Params};
use thiserror::Error;

/// A submitter failure.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum SubmitError {
    /// Talking to the node failed.
    #[error(transparent)]
    Client(#[from] ClientError),
    /// The account does not exist on chain.
    #[error("account {0} does not exist on chain: fund it first")]
    NoAccount(Address),
    /// Signing failed.
    #[error(transparent)]
    Sign(#[from] quire_core::builder::SignError),
    /// The node's answer is unusable.
    #[error("malformed account data: {0}")]
    Malformed(String),
    /// The envelope could not be sealed.
    #[error(transparent)]
    Encrypt(#[from] crate::encrypt::EncryptError),
}

/// Signs and broadcasts transactions for one account.
pub struct Submitter {
    client: NodeClient,
    key: SigningKey,
    address: Address,
    chain_id: String,
    account_number: u64,
    next_sequence: u64,
    params: Params,
}

impl Submitter {
    /// Loads the account's number and sequence, the chain id and the params.
    pub async fn connect(client: NodeClient, key: SigningKey) -> Result<Self, SubmitError> {
        let address = address_of(&key);
        let (chain_id, _) = client.status().await?;
        let params = client.params().await?;
        let account = client
            .account(&address)
            .await?
            .ok_or(SubmitError::NoAccount(address))?;
        Ok(Submitter {
            client,
            key,
            address,
            chain_id,
            account_number: account.account_number,
            next_sequence: account.sequence,
            params,
        })
    }

    /// The account's address.
    pub fn address(&self) -> Address {
        self.address
    }

    /// The chain id read at connect time.
    pub fn chain_id(&self) -> &str {
        &self.chain_id
    }

    /// The chain parameters read at connect time.
    pub fn params(&self) -> &Params {
        &self.params
    }

    /// The sequence the next transaction will use.
    pub fn next_sequence(&self) -> u64 {
        self.next_sequence
    }

    /// The minimum fee for `messages`.
    pub fn required_fee(&self, messages: &[Msg]) -> u128 {
        let blob_bytes: u64 = messages
            .iter()
            .map(|m| match m {
                Msg::SubmitBlob(blob) => blob.data.len() as u64,
                Msg::SubmitEncrypted(envelope) => envelope.charged_bytes(),
                _ => 0,
            })
            .sum();
        self.params.fee_for(blob_bytes).unwrap_or(u128::MAX)
    }

    /// Signs `messages` with the next sequence and the minimum fee (or `fee`).
    pub fn sign(&self, messages: &[Msg], fee: Option<u128>) -> Result<Vec<u8>, SubmitError> {
        let params = SignerContext {
            chain_id: self.chain_id.clone(),
            account_number: self.account_number,
            sequence: self.next_sequence,
            fee_denom: self.params.fee_denom.clone(),
            fee: fee.unwrap_or_else(|| self.required_fee(messages)),
            timeout_height: 0,
            memo: String::new(),
        };
        Ok(sign_tx(&self.key, &params, messages)?)
    }

    /// Signs and broadcasts; on acceptance the next transaction uses the next
    /// sequence (no need to wait for a block).
    pub async fn submit(
        &mut self,
        messages: &[Msg],
        fee: Option<u128>,
    ) -> Result<BroadcastResult, SubmitError> {
        let tx = self.sign(messages, fee)?;
        let result = self.client.broadcast(tx).await?;
        if result.accepted() {
            self.next_sequence += 1;
        }
        Ok(result)
    }

    /// Seals `payload` to `key` for this account's next transaction, then
    /// signs and broadcasts it like [`submit`](Self::submit): the
    /// envelope's identity is bound to the sequence it is sent with, so a
    /// retry after a refusal must seal again.
    pub async fn submit_encrypted(
        &mut self,
        key: &crate::encrypt::EncryptionKey,
        payload: &quire_core::envelope::EnvelopePayload,
        fee: Option<u128>,
    ) -> Result<BroadcastResult, SubmitError> {
        let envelope = key.seal(&self.chain_id, &self.address, self.next_sequence, payload)?;
        self.submit(&[Msg::SubmitEncrypted(envelope)], fee).await
    }

    /// Re-reads the sequence from the chain (after a refusal left a gap).
    pub async fn resync(&mut self) -> Result<(), SubmitError> {
        let account = self
            .client
            .account(&self.address)
            .await?
            .ok_or(SubmitError::NoAccount(self.address))?;
        self.next_sequence = account.sequence;
        Ok(())
    }
}
