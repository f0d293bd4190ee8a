//! Keys an operator registers for its validator beside the consensus key
//! (L1 checkpoint keys, key-generation keys): the decoded message with its
//! signer (each kind's rules are its module's: `l1::register`,
//! `encryption::dkg::register`).

use crate::router::ActionHandler;
use quire_core::msg::MsgError;
use quire_core::Address;
use std::fmt::Debug;

/// A registration message that decodes from its `Any` value.
pub(crate) trait RegistrationMsg: Debug + Sized + 'static {
    /// Decodes the value of a message signed by `signer`.
    fn decode(value: &[u8], signer: &Address) -> Result<Self, MsgError>;
}

/// A decoded registration `msg` and the operator that signed it.
#[derive(Debug)]
pub(crate) struct Registration<M> {
    /// The signer: the validator's operator.
    pub operator: Address,
    /// The message.
    pub msg: M,
}

/// Decodes a registration of kind `M`.
pub(crate) fn decode<M: RegistrationMsg>(
    value: &[u8],
    signer: &Address,
) -> Result<Box<dyn ActionHandler>, MsgError>
where
    Registration<M>: ActionHandler,
{
    Ok(Box::new(Registration {
        operator: *signer,
        msg: M::decode(value, signer)?,
    }))
}
