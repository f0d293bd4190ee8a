//! Building and signing transactions (SIGN_MODE_DIRECT, secp256k1). Pure and
//! deterministic (RFC 6979 signatures); the client SDK, the CLI and the tests
//! use it.

use crate::address::Address;
use crate::msg::Msg;
use cosmrs::crypto::secp256k1::SigningKey;
use cosmrs::proto::cosmos::base::v1beta1::Coin;
use cosmrs::proto::cosmos::crypto::secp256k1::PubKey;
use cosmrs::proto::cosmos::tx::signing::v1beta1::SignMode;
use cosmrs::proto::cosmos::tx::v1beta1::{
    mode_info, AuthInfo, Fee, ModeInfo, SignDoc, SignerInfo, TxBody, TxRaw,
};
use cosmrs::Any;
use prost::Message;
use quire_proto::blob::v1::{ChainIdExtension, CHAIN_ID_EXTENSION_TYPE_URL};
use thiserror::Error;

/// `Any` type URL of a secp256k1 public key.
pub const SECP256K1_PUBKEY_TYPE_URL: &str = "/cosmos.crypto.secp256k1.PubKey";

/// Signing failed (the key refused; not expected with in-memory keys).
#[derive(Debug, Error)]
#[error("signing failed: {0}")]
pub struct SignError(String);

/// Everything a signed transaction needs besides its messages.
#[derive(Debug, Clone)]
pub struct SignerContext {
    /// Chain id the tx is for (signed, and named in the body).
    pub chain_id: String,
    /// The signer's account number.
    pub account_number: u64,
    /// The sequence this tx uses.
    pub sequence: u64,
    /// Fee denom.
    pub fee_denom: String,
    /// Fee amount.
    pub fee: u128,
    /// Height after which the tx is void; 0 for none.
    pub timeout_height: u64,
    /// Free-form memo.
    pub memo: String,
}

/// The address of a signing key.
pub fn address_of(key: &SigningKey) -> Address {
    Address::from_secp256k1(&key.public_key().to_bytes())
}

fn to_any(type_url: &str, value: Vec<u8>) -> Any {
    Any {
        type_url: type_url.to_string(),
        value,
    }
}

/// Builds and signs a transaction; returns the `TxRaw` bytes to broadcast.
pub fn sign_tx(
    key: &SigningKey,
    params: &SignerContext,
    messages: &[Msg],
) -> Result<Vec<u8>, SignError> {
    let signer = address_of(key);
    let messages = messages.iter().map(|msg| msg.to_any(&signer)).collect();
    let body = TxBody {
        messages,
        memo: params.memo.clone(),
        timeout_height: params.timeout_height,
        extension_options: Vec::new(),
        non_critical_extension_options: vec![to_any(
            CHAIN_ID_EXTENSION_TYPE_URL,
            ChainIdExtension {
                chain_id: params.chain_id.clone(),
            }
            .encode_to_vec(),
        )],
    };
    let public_key = PubKey {
        key: key.public_key().to_bytes(),
    };
    #[allow(deprecated)]
    let auth_info = AuthInfo {
        signer_infos: vec![SignerInfo {
            public_key: Some(to_any(
                SECP256K1_PUBKEY_TYPE_URL,
                public_key.encode_to_vec(),
            )),
            mode_info: Some(ModeInfo {
                sum: Some(mode_info::Sum::Single(mode_info::Single {
                    mode: SignMode::Direct as i32,
                })),
            }),
            sequence: params.sequence,
        }],
        fee: Some(Fee {
            amount: if params.fee == 0 {
                Vec::new()
            } else {
                vec![Coin {
                    denom: params.fee_denom.clone(),
                    amount: params.fee.to_string(),
                }]
            },
            gas_limit: 0,
            payer: String::new(),
            granter: String::new(),
        }),
        tip: None,
    };
    let body_bytes = body.encode_to_vec();
    let auth_info_bytes = auth_info.encode_to_vec();
    let sign_doc = SignDoc {
        body_bytes: body_bytes.clone(),
        auth_info_bytes: auth_info_bytes.clone(),
        chain_id: params.chain_id.clone(),
        account_number: params.account_number,
    }
    .encode_to_vec();
    let signature = key.sign(&sign_doc).map_err(|e| SignError(e.to_string()))?;
    Ok(TxRaw {
        body_bytes,
        auth_info_bytes,
        signatures: vec![signature.to_vec()],
    }
    .encode_to_vec())
}
