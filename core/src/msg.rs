//! The messages a Quire transaction can carry, as domain types: decoded from
//! their protobuf `Any` form with every rule of form checked at construction,
//! and encoded back for signing.
//!
//! | type URL | domain type |
//! |---|---|
//! | `/quire.blob.v1.MsgSubmitBlob` | [`SubmitBlob`] |
//! | `/cosmos.bank.v1beta1.MsgSend` | [`Send`] |
//! | `/cosmos.staking.v1beta1.MsgCreateValidator` | [`staking::CreateValidator`] |
//! | `/cosmos.staking.v1beta1.MsgEditValidator` | [`staking::EditValidator`] |
//! | `/cosmos.staking.v1beta1.MsgDelegate` | [`staking::Delegate`] |
//! | `/cosmos.staking.v1beta1.MsgUndelegate` | [`staking::Undelegate`] |
//! | `/cosmos.staking.v1beta1.MsgBeginRedelegate` | [`staking::BeginRedelegate`] |
//! | `/cosmos.staking.v1beta1.MsgCancelUnbondingDelegation` | [`staking::CancelUnbonding`] |
//! | `/cosmos.slashing.v1beta1.MsgUnjail` | [`staking::Unjail`] |
//! | `/quire.blob.v1.MsgSubmitEncrypted` | [`SubmitEncrypted`] |
//! | `/quire.l1.v1.MsgSetL1Key` | [`SetL1Key`] |
//! | `/quire.blob.v1.MsgSetDkgKey` | [`SetDkgKey`] |

use crate::encryption::{
    SetDkgKey, SubmitEncrypted, MSG_SET_DKG_KEY_TYPE_URL, MSG_SUBMIT_ENCRYPTED_TYPE_URL,
};
use crate::l1::msg::{SetL1Key, MSG_SET_L1_KEY_TYPE_URL};
use crate::staking::error::StakingError;
use crate::staking::msg as staking;
use crate::staking::msg::*;
use crate::{Address, Namespace};
use cosmrs::proto::cosmos::bank::v1beta1::MsgSend;
use cosmrs::proto::cosmos::base::v1beta1::Coin;
use cosmrs::Any;
use prost::Message;
use quire_proto::blob::v1::MsgSubmitBlob;
use thiserror::Error;

pub use quire_proto::blob::v1::MSG_SUBMIT_BLOB_TYPE_URL;

/// `Any` type URL of the Cosmos SDK bank send message.
pub const MSG_SEND_TYPE_URL: &str = "/cosmos.bank.v1beta1.MsgSend";

/// A message that is not well-formed.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum MsgError {
    /// The protobuf does not decode.
    #[error("bad {message}: {reason}")]
    Decode {
        /// The message type, e.g. `MsgSubmitBlob`.
        message: &'static str,
        /// The decoder's error.
        reason: String,
    },
    /// The message decodes but breaks a rule of form.
    #[error("{0}")]
    Invalid(String),
    /// A staking message breaks one of staking's rules of form (each has its
    /// own code).
    #[error("{0}")]
    Staking(StakingError),
}

/// An amount of one denom, parsed from a `Coin` (the amount a decimal u128).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedCoin {
    /// The denom.
    pub denom: String,
    /// The amount.
    pub amount: u128,
}

impl CheckedCoin {
    /// `amount` of `denom`.
    pub fn new(denom: impl Into<String>, amount: u128) -> Self {
        CheckedCoin {
            denom: denom.into(),
            amount,
        }
    }

    /// Parses `coin`, naming `field` in errors.
    pub fn parse(field: &str, coin: &Coin) -> Result<Self, MsgError> {
        if coin.amount.is_empty() || !coin.amount.bytes().all(|b| b.is_ascii_digit()) {
            return Err(MsgError::Invalid(format!(
                "{field} amount {:?} is not a non-negative integer",
                coin.amount.chars().take(64).collect::<String>()
            )));
        }
        let amount = coin
            .amount
            .parse::<u128>()
            .map_err(|_| MsgError::Invalid(format!("{field} amount is too large")))?;
        Ok(CheckedCoin {
            denom: coin.denom.clone(),
            amount,
        })
    }

    /// The `Coin` form.
    pub fn to_coin(&self) -> Coin {
        Coin {
            denom: self.denom.clone(),
            amount: self.amount.to_string(),
        }
    }
}

/// Order `data` under `namespace` (`MsgSubmitBlob`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubmitBlob {
    /// The rollup's namespace.
    pub namespace: Namespace,
    /// The blob: never empty.
    pub data: Vec<u8>,
}

/// Move `amount` of `denom` from the signer to `to` (`MsgSend`, one coin).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Send {
    /// Recipient.
    pub to: Address,
    /// Denom (the chain's fee denom is the only one that moves).
    pub denom: String,
    /// Amount.
    pub amount: u128,
}

/// One message of a transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Msg {
    /// A blob for a namespace.
    SubmitBlob(SubmitBlob),
    /// An encrypted blob bundle.
    SubmitEncrypted(SubmitEncrypted),
    /// A transfer.
    Send(Send),
    /// Become a validator.
    CreateValidator(CreateValidator),
    /// Edit a validator.
    EditValidator(EditValidator),
    /// Delegate to a validator.
    Delegate(Delegate),
    /// Undelegate from a validator.
    Undelegate(Undelegate),
    /// Redelegate from one validator to another.
    BeginRedelegate(BeginRedelegate),
    /// Cancel (part of) an unbonding.
    CancelUnbonding(CancelUnbonding),
    /// Leave jail.
    Unjail(Unjail),
    /// Register or rotate the validator's L1 key.
    SetL1Key(SetL1Key),
    /// Register or rotate the validator's key-generation keys.
    SetDkgKey(SetDkgKey),
}

/// Checks that the signer a message names is the tx's signer.
pub(crate) fn check_signer(claimed: &str, signer: &Address) -> Result<(), MsgError> {
    let claimed_address: Address = claimed
        .parse()
        .map_err(|e| MsgError::Invalid(format!("signer: {e}")))?;
    if &claimed_address != signer {
        return Err(MsgError::Invalid(format!(
            "signer {claimed} is not the tx signer {signer}"
        )));
    }
    Ok(())
}

fn any(type_url: &str, value: Vec<u8>) -> Any {
    Any {
        type_url: type_url.to_string(),
        value,
    }
}

impl SubmitBlob {
    /// Decodes the `Any` value of a `MsgSubmitBlob` signed by `signer`.
    pub fn decode(value: &[u8], signer: &Address) -> Result<Self, MsgError> {
        let msg = MsgSubmitBlob::decode(value).map_err(|e| MsgError::Decode {
            message: "MsgSubmitBlob",
            reason: e.to_string(),
        })?;
        check_signer(&msg.signer, signer)?;
        let namespace =
            Namespace::from_slice(&msg.namespace).map_err(|e| MsgError::Invalid(e.to_string()))?;
        if msg.data.is_empty() {
            return Err(MsgError::Invalid("blob data is empty".into()));
        }
        Ok(SubmitBlob {
            namespace,
            data: msg.data,
        })
    }

    /// The `Any` form, signed by `signer`.
    pub fn to_any(&self, signer: &Address) -> Any {
        any(
            MSG_SUBMIT_BLOB_TYPE_URL,
            MsgSubmitBlob {
                signer: signer.to_bech32(),
                namespace: self.namespace.as_bytes().to_vec(),
                data: self.data.clone(),
            }
            .encode_to_vec(),
        )
    }
}

impl Send {
    /// Decodes the `Any` value of a `MsgSend` signed by `signer`.
    pub fn decode(value: &[u8], signer: &Address) -> Result<Self, MsgError> {
        let msg = MsgSend::decode(value).map_err(|e| MsgError::Decode {
            message: "MsgSend",
            reason: e.to_string(),
        })?;
        check_signer(&msg.from_address, signer)?;
        let to: Address = msg
            .to_address
            .parse()
            .map_err(|e| MsgError::Invalid(format!("to_address: {e}")))?;
        let [coin] = msg.amount.as_slice() else {
            return Err(MsgError::Invalid(
                "MsgSend must move exactly one coin".into(),
            ));
        };
        let amount = coin.amount.parse::<u128>().map_err(|_| {
            MsgError::Invalid(format!(
                "send amount {:?} is not a non-negative integer",
                coin.amount
            ))
        })?;
        Ok(Send {
            to,
            denom: coin.denom.clone(),
            amount,
        })
    }

    /// The `Any` form, signed by `signer`.
    pub fn to_any(&self, signer: &Address) -> Any {
        any(
            MSG_SEND_TYPE_URL,
            MsgSend {
                from_address: signer.to_bech32(),
                to_address: self.to.to_bech32(),
                amount: vec![Coin {
                    denom: self.denom.clone(),
                    amount: self.amount.to_string(),
                }],
            }
            .encode_to_vec(),
        )
    }
}

impl Msg {
    /// A blob of `data` for `namespace`.
    pub fn submit_blob(namespace: Namespace, data: impl Into<Vec<u8>>) -> Self {
        Msg::SubmitBlob(SubmitBlob {
            namespace,
            data: data.into(),
        })
    }

    /// A transfer of `amount` `denom` to `to`.
    pub fn send(to: Address, denom: impl Into<String>, amount: u128) -> Self {
        Msg::Send(Send {
            to,
            denom: denom.into(),
            amount,
        })
    }

    /// The `Any` type URL.
    pub fn type_url(&self) -> &'static str {
        match self {
            Msg::SubmitBlob(_) => MSG_SUBMIT_BLOB_TYPE_URL,
            Msg::SubmitEncrypted(_) => MSG_SUBMIT_ENCRYPTED_TYPE_URL,
            Msg::Send(_) => MSG_SEND_TYPE_URL,
            Msg::CreateValidator(_) => MSG_CREATE_VALIDATOR_TYPE_URL,
            Msg::EditValidator(_) => MSG_EDIT_VALIDATOR_TYPE_URL,
            Msg::Delegate(_) => MSG_DELEGATE_TYPE_URL,
            Msg::Undelegate(_) => MSG_UNDELEGATE_TYPE_URL,
            Msg::BeginRedelegate(_) => MSG_BEGIN_REDELEGATE_TYPE_URL,
            Msg::CancelUnbonding(_) => MSG_CANCEL_UNBONDING_TYPE_URL,
            Msg::Unjail(_) => MSG_UNJAIL_TYPE_URL,
            Msg::SetL1Key(_) => MSG_SET_L1_KEY_TYPE_URL,
            Msg::SetDkgKey(_) => MSG_SET_DKG_KEY_TYPE_URL,
        }
    }

    /// The `Any` form, signed by `signer`.
    pub fn to_any(&self, signer: &Address) -> Any {
        match self {
            Msg::SubmitBlob(msg) => msg.to_any(signer),
            Msg::SubmitEncrypted(msg) => msg.to_any(signer),
            Msg::Send(msg) => msg.to_any(signer),
            Msg::CreateValidator(msg) => msg.to_any(signer),
            Msg::EditValidator(msg) => msg.to_any(signer),
            Msg::Delegate(msg) => msg.to_any(signer),
            Msg::Undelegate(msg) => msg.to_any(signer),
            Msg::BeginRedelegate(msg) => msg.to_any(signer),
            Msg::CancelUnbonding(msg) => msg.to_any(signer),
            Msg::Unjail(msg) => msg.to_any(signer),
            Msg::SetL1Key(msg) => msg.to_any(signer),
            Msg::SetDkgKey(msg) => msg.to_any(signer),
        }
    }

    /// Decodes a message of a known type (`None` for any other type URL).
    pub fn decode(
        type_url: &str,
        value: &[u8],
        signer: &Address,
    ) -> Option<Result<Self, MsgError>> {
        match type_url {
            MSG_SUBMIT_BLOB_TYPE_URL => {
                Some(SubmitBlob::decode(value, signer).map(Msg::SubmitBlob))
            }
            MSG_SUBMIT_ENCRYPTED_TYPE_URL => {
                Some(SubmitEncrypted::decode(value, signer).map(Msg::SubmitEncrypted))
            }
            MSG_SEND_TYPE_URL => Some(Send::decode(value, signer).map(Msg::Send)),
            MSG_CREATE_VALIDATOR_TYPE_URL => {
                Some(staking::CreateValidator::decode(value, signer).map(Msg::CreateValidator))
            }
            MSG_EDIT_VALIDATOR_TYPE_URL => {
                Some(staking::EditValidator::decode(value, signer).map(Msg::EditValidator))
            }
            MSG_DELEGATE_TYPE_URL => {
                Some(staking::Delegate::decode(value, signer).map(Msg::Delegate))
            }
            MSG_UNDELEGATE_TYPE_URL => {
                Some(staking::Undelegate::decode(value, signer).map(Msg::Undelegate))
            }
            MSG_BEGIN_REDELEGATE_TYPE_URL => {
                Some(staking::BeginRedelegate::decode(value, signer).map(Msg::BeginRedelegate))
            }
            MSG_CANCEL_UNBONDING_TYPE_URL => {
                Some(staking::CancelUnbonding::decode(value, signer).map(Msg::CancelUnbonding))
            }
            MSG_UNJAIL_TYPE_URL => Some(staking::Unjail::decode(value, signer).map(Msg::Unjail)),
            MSG_SET_L1_KEY_TYPE_URL => Some(SetL1Key::decode(value, signer).map(Msg::SetL1Key)),
            MSG_SET_DKG_KEY_TYPE_URL => Some(SetDkgKey::decode(value, signer).map(Msg::SetDkgKey)),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_round_trip_through_any() {
        let signer = Address::new([1; 20]);
        let msgs = [
            Msg::submit_blob(Namespace::from_rollup_name("r"), b"data".to_vec()),
            Msg::send(Address::new([2; 20]), "uquire", u128::MAX),
        ];
        for msg in msgs {
            let any = msg.to_any(&signer);
            assert_eq!(any.type_url, msg.type_url());
            let back = Msg::decode(&any.type_url, &any.value, &signer).unwrap();
            assert_eq!(back, Ok(msg));
        }
        assert!(Msg::decode("/other", &[], &signer).is_none());
    }

    #[test]
    fn rules_of_form_are_checked() {
        let signer = Address::new([1; 20]);
        let other = Address::new([9; 20]);
        let blob = Msg::submit_blob(Namespace::from_rollup_name("r"), b"x".to_vec());
        let any = blob.to_any(&other);
        assert!(matches!(
            SubmitBlob::decode(&any.value, &signer),
            Err(MsgError::Invalid(m)) if m.contains("is not the tx signer")
        ));
        let empty = Msg::submit_blob(Namespace::from_rollup_name("r"), Vec::new());
        assert_eq!(
            SubmitBlob::decode(&empty.to_any(&signer).value, &signer),
            Err(MsgError::Invalid("blob data is empty".into()))
        );
        assert!(matches!(
            Send::decode(&[0xff], &signer),
            Err(MsgError::Decode {
                message: "MsgSend",
                ..
            })
        ));
    }
}
