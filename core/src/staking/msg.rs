//! The staking and slashing messages, as the Cosmos SDK defines them
//! (`cosmos.staking.v1beta1`, `cosmos.slashing.v1beta1`), decoded into domain
//! types with every rule of form checked at construction.

use super::dec::Dec;
use super::error::StakingError;
use crate::msg::{CheckedCoin, MsgError};
use crate::Address;
use cosmrs::proto::cosmos::base::v1beta1::Coin;
use cosmrs::proto::cosmos::crypto::ed25519::PubKey as Ed25519PubKey;
use cosmrs::proto::cosmos::slashing::v1beta1::MsgUnjail;
use cosmrs::proto::cosmos::staking::v1beta1 as raw;
use cosmrs::Any;
use prost::Message;

/// `Any` type URL of `MsgCreateValidator`.
pub const MSG_CREATE_VALIDATOR_TYPE_URL: &str = "/cosmos.staking.v1beta1.MsgCreateValidator";
/// `Any` type URL of `MsgEditValidator`.
pub const MSG_EDIT_VALIDATOR_TYPE_URL: &str = "/cosmos.staking.v1beta1.MsgEditValidator";
/// `Any` type URL of `MsgDelegate`.
pub const MSG_DELEGATE_TYPE_URL: &str = "/cosmos.staking.v1beta1.MsgDelegate";
/// `Any` type URL of `MsgUndelegate`.
pub const MSG_UNDELEGATE_TYPE_URL: &str = "/cosmos.staking.v1beta1.MsgUndelegate";
/// `Any` type URL of `MsgBeginRedelegate`.
pub const MSG_BEGIN_REDELEGATE_TYPE_URL: &str = "/cosmos.staking.v1beta1.MsgBeginRedelegate";
/// `Any` type URL of `MsgCancelUnbondingDelegation`.
pub const MSG_CANCEL_UNBONDING_TYPE_URL: &str =
    "/cosmos.staking.v1beta1.MsgCancelUnbondingDelegation";
/// `Any` type URL of `MsgUnjail`.
pub const MSG_UNJAIL_TYPE_URL: &str = "/cosmos.slashing.v1beta1.MsgUnjail";
/// `Any` type URL of an ed25519 public key.
pub const ED25519_PUBKEY_TYPE_URL: &str = "/cosmos.crypto.ed25519.PubKey";

/// The SDK's sentinel for "keep this description field" in `MsgEditValidator`.
pub const DO_NOT_MODIFY: &str = "[do-not-modify]";

/// Description limits, in bytes (the SDK's).
pub const MAX_MONIKER_LEN: usize = 70;
/// See [`MAX_MONIKER_LEN`].
pub const MAX_IDENTITY_LEN: usize = 3000;
/// See [`MAX_MONIKER_LEN`].
pub const MAX_WEBSITE_LEN: usize = 140;
/// See [`MAX_MONIKER_LEN`].
pub const MAX_SECURITY_CONTACT_LEN: usize = 140;
/// See [`MAX_MONIKER_LEN`].
pub const MAX_DETAILS_LEN: usize = 280;

/// A validator's public description.
#[derive(Debug, Clone, Default, PartialEq, Eq, borsh::BorshSerialize, borsh::BorshDeserialize)]
pub struct Description {
    /// Display name (required at creation).
    pub moniker: String,
    /// Optional identity signature (e.g. Keybase).
    pub identity: String,
    /// Optional website.
    pub website: String,
    /// Optional security contact.
    pub security_contact: String,
    /// Optional details.
    pub details: String,
}

/// A validator's commission rates.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, borsh::BorshSerialize, borsh::BorshDeserialize,
)]
pub struct CommissionRates {
    /// The share of rewards the operator keeps.
    pub rate: DecAtoms,
    /// The highest rate it may ever set.
    pub max_rate: DecAtoms,
    /// The most it may change the rate by per change.
    pub max_change_rate: DecAtoms,
}

/// A [`Dec`] as stored (its atoms).
pub type DecAtoms = u128;

impl CommissionRates {
    /// Rates from decimals.
    pub fn new(rate: Dec, max_rate: Dec, max_change_rate: Dec) -> Self {
        CommissionRates {
            rate: rate.atoms(),
            max_rate: max_rate.atoms(),
            max_change_rate: max_change_rate.atoms(),
        }
    }

    /// The current rate.
    pub fn rate(&self) -> Dec {
        Dec::from_atoms(self.rate)
    }

    /// Checks `0 ≤ rate ≤ max_rate ≤ 1` and `max_change_rate ≤ max_rate`.
    pub fn validate(&self) -> Result<(), StakingError> {
        let (rate, max_rate, max_change) = (
            Dec::from_atoms(self.rate),
            Dec::from_atoms(self.max_rate),
            Dec::from_atoms(self.max_change_rate),
        );
        if max_rate > Dec::ONE {
            return Err(StakingError::Commission(format!(
                "max rate {max_rate} is above 1"
            )));
        }
        if rate > max_rate {
            return Err(StakingError::Commission(format!(
                "rate {rate} is above the max rate {max_rate}"
            )));
        }
        if max_change > max_rate {
            return Err(StakingError::Commission(format!(
                "max change rate {max_change} is above the max rate {max_rate}"
            )));
        }
        Ok(())
    }
}

/// Become a validator (`MsgCreateValidator`); the signer is the operator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateValidator {
    /// Public description; the moniker is not empty.
    pub description: Description,
    /// Commission rates, valid.
    pub commission: CommissionRates,
    /// The least the operator's own delegation may be, > 0.
    pub min_self_delegation: u128,
    /// The ed25519 consensus key.
    pub consensus_key: [u8; 32],
    /// The self-bond.
    pub value: CheckedCoin,
}

/// Change a validator's description, commission or minimum self-delegation
/// (`MsgEditValidator`); the signer is the operator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EditValidator {
    /// New description fields; `None` keeps a field.
    pub description: DescriptionEdit,
    /// New commission rate, if any.
    pub commission_rate: Option<Dec>,
    /// New minimum self-delegation, if any.
    pub min_self_delegation: Option<u128>,
}

/// The description fields an edit changes (`None` keeps the field).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DescriptionEdit {
    /// Moniker.
    pub moniker: Option<String>,
    /// Identity.
    pub identity: Option<String>,
    /// Website.
    pub website: Option<String>,
    /// Security contact.
    pub security_contact: Option<String>,
    /// Details.
    pub details: Option<String>,
}

/// Bond tokens to a validator (`MsgDelegate`); the signer is the delegator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delegate {
    /// The validator's operator.
    pub validator: Address,
    /// The amount, > 0.
    pub amount: CheckedCoin,
}

/// Unbond tokens from a validator (`MsgUndelegate`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Undelegate {
    /// The validator's operator.
    pub validator: Address,
    /// The amount of tokens, > 0.
    pub amount: CheckedCoin,
}

/// Move bonded tokens from one validator to another (`MsgBeginRedelegate`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BeginRedelegate {
    /// From this validator.
    pub src: Address,
    /// To this one.
    pub dst: Address,
    /// The amount of tokens, > 0.
    pub amount: CheckedCoin,
}

/// Take back (part of) an unbonding entry (`MsgCancelUnbondingDelegation`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CancelUnbonding {
    /// The validator unbonded from.
    pub validator: Address,
    /// How much to delegate again, > 0.
    pub amount: CheckedCoin,
    /// The entry's creation height.
    pub creation_height: u64,
}

/// Leave jail (`MsgUnjail`); the signer is the operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unjail;

fn decode_err(message: &'static str) -> impl Fn(prost::DecodeError) -> MsgError {
    move |e| MsgError::Decode {
        message,
        reason: e.to_string(),
    }
}

fn staking(e: StakingError) -> MsgError {
    MsgError::Staking(e)
}

/// The account address a message names as its delegator must be the signer.
fn check_account(field: &str, claimed: &str, signer: &Address) -> Result<(), MsgError> {
    let address: Address = claimed
        .parse()
        .map_err(|e| MsgError::Invalid(format!("{field}: {e}")))?;
    if &address != signer {
        return Err(MsgError::Invalid(format!(
            "{field} {claimed} is not the tx signer {signer}"
        )));
    }
    Ok(())
}

/// The operator address a message names must be the signer's.
fn check_operator(field: &str, claimed: &str, signer: &Address) -> Result<(), MsgError> {
    let operator = parse_valoper(field, claimed)?;
    if &operator != signer {
        return Err(MsgError::Invalid(format!(
            "{field} {claimed} is not operated by the tx signer {signer}"
        )));
    }
    Ok(())
}

fn parse_valoper(field: &str, text: &str) -> Result<Address, MsgError> {
    Address::from_valoper(text).map_err(|e| MsgError::Invalid(format!("{field}: {e}")))
}

/// A positive amount of one denom.
fn positive_coin(field: &str, coin: Option<&Coin>) -> Result<CheckedCoin, MsgError> {
    let coin = coin.ok_or_else(|| MsgError::Invalid(format!("{field} is missing")))?;
    let checked = CheckedCoin::parse(field, coin)?;
    if checked.amount == 0 {
        return Err(staking(StakingError::AmountTooSmall(format!(
            "{field} must be positive"
        ))));
    }
    Ok(checked)
}

fn parse_int(field: &str, text: &str) -> Result<u128, MsgError> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(MsgError::Invalid(format!(
            "{field} {:?} is not a non-negative integer",
            text.chars().take(64).collect::<String>()
        )));
    }
    text.parse()
        .map_err(|_| MsgError::Invalid(format!("{field} is too large")))
}

fn parse_dec(field: &str, text: &str) -> Result<Dec, MsgError> {
    Dec::parse(text).map_err(|e| MsgError::Invalid(format!("{field}: {e}")))
}

/// The ed25519 key in a consensus pubkey `Any`.
pub fn ed25519_key(any: Option<&Any>) -> Result<[u8; 32], StakingError> {
    let any = any.ok_or_else(|| StakingError::ConsensusKeyType("pubkey is missing".into()))?;
    if any.type_url != ED25519_PUBKEY_TYPE_URL {
        return Err(StakingError::ConsensusKeyType(format!(
            "only {ED25519_PUBKEY_TYPE_URL} is supported, got {:?}",
            any.type_url.chars().take(100).collect::<String>()
        )));
    }
    let key = Ed25519PubKey::decode(any.value.as_slice())
        .map_err(|e| StakingError::ConsensusKeyType(format!("bad ed25519 PubKey: {e}")))?;
    let bytes: [u8; 32] = key.key.as_slice().try_into().map_err(|_| {
        StakingError::ConsensusKeyType(format!("an ed25519 key is 32 bytes, got {}", key.key.len()))
    })?;
    ed25519_point(bytes)
}

/// `bytes` if they are an ed25519 public key (a point of the curve):
/// CometBFT halts on a validator update with a key that is not.
pub fn ed25519_point(bytes: [u8; 32]) -> Result<[u8; 32], StakingError> {
    ed25519_consensus::VerificationKey::try_from(bytes).map_err(|_| {
        StakingError::ConsensusKeyType("the 32 bytes are not an ed25519 public key".into())
    })?;
    Ok(bytes)
}

/// The `Any` of an ed25519 consensus key.
pub fn ed25519_key_any(key: &[u8; 32]) -> Any {
    Any {
        type_url: ED25519_PUBKEY_TYPE_URL.to_string(),
        value: Ed25519PubKey { key: key.to_vec() }.encode_to_vec(),
    }
}

impl Description {
    /// Checks the SDK's length limits.
    pub fn validate(&self) -> Result<(), StakingError> {
        for (field, value, max) in [
            ("moniker", &self.moniker, MAX_MONIKER_LEN),
            ("identity", &self.identity, MAX_IDENTITY_LEN),
            ("website", &self.website, MAX_WEBSITE_LEN),
            (
                "security_contact",
                &self.security_contact,
                MAX_SECURITY_CONTACT_LEN,
            ),
            ("details", &self.details, MAX_DETAILS_LEN),
        ] {
            if value.len() > max {
                return Err(StakingError::DescriptionTooLong {
                    field,
                    len: value.len(),
                    max,
                });
            }
        }
        Ok(())
    }

    fn from_raw(raw: raw::Description) -> Self {
        Description {
            moniker: raw.moniker,
            identity: raw.identity,
            website: raw.website,
            security_contact: raw.security_contact,
            details: raw.details,
        }
    }

    fn to_raw(&self) -> raw::Description {
        raw::Description {
            moniker: self.moniker.clone(),
            identity: self.identity.clone(),
            website: self.website.clone(),
            security_contact: self.security_contact.clone(),
            details: self.details.clone(),
        }
    }
}

impl DescriptionEdit {
    /// Applies the edit to `description`.
    pub fn apply(&self, description: &Description) -> Description {
        let pick = |new: &Option<String>, old: &String| new.clone().unwrap_or_else(|| old.clone());
        Description {
            moniker: pick(&self.moniker, &description.moniker),
            identity: pick(&self.identity, &description.identity),
            website: pick(&self.website, &description.website),
            security_contact: pick(&self.security_contact, &description.security_contact),
            details: pick(&self.details, &description.details),
        }
    }

    fn from_raw(raw: Option<raw::Description>) -> Self {
        let Some(raw) = raw else {
            return DescriptionEdit::default();
        };
        let keep = |value: String| (value != DO_NOT_MODIFY).then_some(value);
        DescriptionEdit {
            moniker: keep(raw.moniker),
            identity: keep(raw.identity),
            website: keep(raw.website),
            security_contact: keep(raw.security_contact),
            details: keep(raw.details),
        }
    }

    fn to_raw(&self) -> raw::Description {
        let field = |value: &Option<String>| value.clone().unwrap_or_else(|| DO_NOT_MODIFY.into());
        raw::Description {
            moniker: field(&self.moniker),
            identity: field(&self.identity),
            website: field(&self.website),
            security_contact: field(&self.security_contact),
            details: field(&self.details),
        }
    }
}

fn any(type_url: &str, value: Vec<u8>) -> Any {
    Any {
        type_url: type_url.to_string(),
        value,
    }
}

impl CreateValidator {
    /// Decodes the `Any` value of a `MsgCreateValidator` signed by `signer`.
    /// The deprecated `delegator_address` is accepted when empty or the
    /// signer (older wallets still fill it).
    #[allow(deprecated)]
    pub fn decode(value: &[u8], signer: &Address) -> Result<Self, MsgError> {
        let msg =
            raw::MsgCreateValidator::decode(value).map_err(decode_err("MsgCreateValidator"))?;
        check_operator("validator_address", &msg.validator_address, signer)?;
        if !msg.delegator_address.is_empty() {
            check_account("delegator_address", &msg.delegator_address, signer)?;
        }
        let description = Description::from_raw(msg.description.unwrap_or_default());
        if description.moniker.is_empty() {
            return Err(MsgError::Invalid("description.moniker is empty".into()));
        }
        description.validate().map_err(staking)?;
        let rates = msg
            .commission
            .ok_or_else(|| MsgError::Invalid("commission is missing".into()))?;
        let commission = CommissionRates::new(
            parse_dec("commission.rate", &rates.rate)?,
            parse_dec("commission.max_rate", &rates.max_rate)?,
            parse_dec("commission.max_change_rate", &rates.max_change_rate)?,
        );
        commission.validate().map_err(staking)?;
        let min_self_delegation = parse_int("min_self_delegation", &msg.min_self_delegation)?;
        if min_self_delegation == 0 {
            return Err(staking(StakingError::AmountTooSmall(
                "min_self_delegation must be positive".into(),
            )));
        }
        let consensus_key = ed25519_key(msg.pubkey.as_ref()).map_err(staking)?;
        let value = positive_coin("value", msg.value.as_ref())?;
        if value.amount < super::POWER_REDUCTION {
            // A validator below one unit of power can never be in the set:
            // refused, so the validator list cannot be flooded for free.
            return Err(staking(StakingError::AmountTooSmall(format!(
                "a self-bond of {} gives no voting power: at least {} is needed",
                value.amount,
                super::POWER_REDUCTION
            ))));
        }
        if value.amount < min_self_delegation {
            return Err(staking(StakingError::SelfDelegationBelowMin {
                self_delegation: value.amount,
                min: min_self_delegation,
            }));
        }
        Ok(CreateValidator {
            description,
            commission,
            min_self_delegation,
            consensus_key,
            value,
        })
    }

    /// The `Any` form, signed by `signer`.
    #[allow(deprecated)]
    pub fn to_any(&self, signer: &Address) -> Any {
        let rates = &self.commission;
        any(
            MSG_CREATE_VALIDATOR_TYPE_URL,
            raw::MsgCreateValidator {
                description: Some(self.description.to_raw()),
                commission: Some(raw::CommissionRates {
                    rate: Dec::from_atoms(rates.rate).to_atoms_string(),
                    max_rate: Dec::from_atoms(rates.max_rate).to_atoms_string(),
                    max_change_rate: Dec::from_atoms(rates.max_change_rate).to_atoms_string(),
                }),
                min_self_delegation: self.min_self_delegation.to_string(),
                delegator_address: String::new(),
                validator_address: signer.to_valoper(),
                pubkey: Some(ed25519_key_any(&self.consensus_key)),
                value: Some(self.value.to_coin()),
            }
            .encode_to_vec(),
        )
    }
}

impl EditValidator {
    /// Decodes the `Any` value of a `MsgEditValidator` signed by `signer`.
    pub fn decode(value: &[u8], signer: &Address) -> Result<Self, MsgError> {
        let msg = raw::MsgEditValidator::decode(value).map_err(decode_err("MsgEditValidator"))?;
        check_operator("validator_address", &msg.validator_address, signer)?;
        let description = DescriptionEdit::from_raw(msg.description);
        if description.moniker.as_deref() == Some("") {
            return Err(MsgError::Invalid("description.moniker is empty".into()));
        }
        description
            .apply(&Description::default())
            .validate()
            .map_err(staking)?;
        let commission_rate = (!msg.commission_rate.is_empty())
            .then(|| parse_dec("commission_rate", &msg.commission_rate))
            .transpose()?;
        if let Some(rate) = commission_rate {
            if rate > Dec::ONE {
                return Err(staking(StakingError::Commission(format!(
                    "rate {rate} is above 1"
                ))));
            }
        }
        let min_self_delegation = (!msg.min_self_delegation.is_empty())
            .then(|| parse_int("min_self_delegation", &msg.min_self_delegation))
            .transpose()?;
        if min_self_delegation == Some(0) {
            return Err(staking(StakingError::AmountTooSmall(
                "min_self_delegation must be positive".into(),
            )));
        }
        Ok(EditValidator {
            description,
            commission_rate,
            min_self_delegation,
        })
    }

    /// The `Any` form, signed by `signer`.
    pub fn to_any(&self, signer: &Address) -> Any {
        any(
            MSG_EDIT_VALIDATOR_TYPE_URL,
            raw::MsgEditValidator {
                description: Some(self.description.to_raw()),
                validator_address: signer.to_valoper(),
                commission_rate: self
                    .commission_rate
                    .map(Dec::to_atoms_string)
                    .unwrap_or_default(),
                min_self_delegation: self
                    .min_self_delegation
                    .map(|n| n.to_string())
                    .unwrap_or_default(),
            }
            .encode_to_vec(),
        )
    }
}

impl Delegate {
    /// Decodes the `Any` value of a `MsgDelegate` signed by `signer`.
    pub fn decode(value: &[u8], signer: &Address) -> Result<Self, MsgError> {
        let msg = raw::MsgDelegate::decode(value).map_err(decode_err("MsgDelegate"))?;
        check_account("delegator_address", &msg.delegator_address, signer)?;
        Ok(Delegate {
            validator: parse_valoper("validator_address", &msg.validator_address)?,
            amount: positive_coin("amount", msg.amount.as_ref())?,
        })
    }

    /// The `Any` form, signed by `signer`.
    pub fn to_any(&self, signer: &Address) -> Any {
        any(
            MSG_DELEGATE_TYPE_URL,
            raw::MsgDelegate {
                delegator_address: signer.to_bech32(),
                validator_address: self.validator.to_valoper(),
                amount: Some(self.amount.to_coin()),
            }
            .encode_to_vec(),
        )
    }
}

impl Undelegate {
    /// Decodes the `Any` value of a `MsgUndelegate` signed by `signer`.
    pub fn decode(value: &[u8], signer: &Address) -> Result<Self, MsgError> {
        let msg = raw::MsgUndelegate::decode(value).map_err(decode_err("MsgUndelegate"))?;
        check_account("delegator_address", &msg.delegator_address, signer)?;
        Ok(Undelegate {
            validator: parse_valoper("validator_address", &msg.validator_address)?,
            amount: positive_coin("amount", msg.amount.as_ref())?,
        })
    }

    /// The `Any` form, signed by `signer`.
    pub fn to_any(&self, signer: &Address) -> Any {
        any(
            MSG_UNDELEGATE_TYPE_URL,
            raw::MsgUndelegate {
                delegator_address: signer.to_bech32(),
                validator_address: self.validator.to_valoper(),
                amount: Some(self.amount.to_coin()),
            }
            .encode_to_vec(),
        )
    }
}

impl BeginRedelegate {
    /// Decodes the `Any` value of a `MsgBeginRedelegate` signed by `signer`.
    pub fn decode(value: &[u8], signer: &Address) -> Result<Self, MsgError> {
        let msg =
            raw::MsgBeginRedelegate::decode(value).map_err(decode_err("MsgBeginRedelegate"))?;
        check_account("delegator_address", &msg.delegator_address, signer)?;
        let src = parse_valoper("validator_src_address", &msg.validator_src_address)?;
        let dst = parse_valoper("validator_dst_address", &msg.validator_dst_address)?;
        if src == dst {
            return Err(staking(StakingError::SelfRedelegation));
        }
        Ok(BeginRedelegate {
            src,
            dst,
            amount: positive_coin("amount", msg.amount.as_ref())?,
        })
    }

    /// The `Any` form, signed by `signer`.
    pub fn to_any(&self, signer: &Address) -> Any {
        any(
            MSG_BEGIN_REDELEGATE_TYPE_URL,
            raw::MsgBeginRedelegate {
                delegator_address: signer.to_bech32(),
                validator_src_address: self.src.to_valoper(),
                validator_dst_address: self.dst.to_valoper(),
                amount: Some(self.amount.to_coin()),
            }
            .encode_to_vec(),
        )
    }
}

impl CancelUnbonding {
    /// Decodes the `Any` value of a `MsgCancelUnbondingDelegation` signed by `signer`.
    pub fn decode(value: &[u8], signer: &Address) -> Result<Self, MsgError> {
        let msg = raw::MsgCancelUnbondingDelegation::decode(value)
            .map_err(decode_err("MsgCancelUnbondingDelegation"))?;
        check_account("delegator_address", &msg.delegator_address, signer)?;
        let creation_height = u64::try_from(msg.creation_height)
            .ok()
            .filter(|h| *h > 0)
            .ok_or_else(|| {
                MsgError::Invalid(format!(
                    "creation_height {} is not a positive height",
                    msg.creation_height
                ))
            })?;
        Ok(CancelUnbonding {
            validator: parse_valoper("validator_address", &msg.validator_address)?,
            amount: positive_coin("amount", msg.amount.as_ref())?,
            creation_height,
        })
    }

    /// The `Any` form, signed by `signer`.
    pub fn to_any(&self, signer: &Address) -> Any {
        any(
            MSG_CANCEL_UNBONDING_TYPE_URL,
            raw::MsgCancelUnbondingDelegation {
                delegator_address: signer.to_bech32(),
                validator_address: self.validator.to_valoper(),
                amount: Some(self.amount.to_coin()),
                creation_height: i64::try_from(self.creation_height).unwrap_or(i64::MAX),
            }
            .encode_to_vec(),
        )
    }
}

impl Unjail {
    /// Decodes the `Any` value of a `MsgUnjail` signed by `signer`.
    pub fn decode(value: &[u8], signer: &Address) -> Result<Self, MsgError> {
        let msg = MsgUnjail::decode(value).map_err(decode_err("MsgUnjail"))?;
        check_operator("validator_addr", &msg.validator_addr, signer)?;
        Ok(Unjail)
    }

    /// The `Any` form, signed by `signer`.
    pub fn to_any(&self, signer: &Address) -> Any {
        any(
            MSG_UNJAIL_TYPE_URL,
            MsgUnjail {
                validator_addr: signer.to_valoper(),
            }
            .encode_to_vec(),
        )
    }
}
