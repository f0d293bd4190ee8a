//! Chain-wide state the app itself owns: the chain id and the parameters,
//! both fixed at genesis.

use crate::error::StateReadError;
use crate::state::{StateRead, StateWrite};
use quire_core::proto::Protobuf;
use quire_core::Params;

/// Storage keys of the chain-wide state.
pub mod keys {
    /// The chain id, UTF-8.
    pub const CHAIN_ID: &[u8] = b"meta/chain_id";
    /// The params ([`super::encode_params`]).
    pub const PARAMS: &[u8] = b"meta/params";
}

/// The stored encoding of params (today the protobuf of the query form,
/// `quire.blob.v1.Params`).
pub fn encode_params(params: &Params) -> Vec<u8> {
    params.encode_to_vec()
}

fn decode_params(bytes: &[u8]) -> Result<Params, StateReadError> {
    Params::decode(bytes).map_err(|e| StateReadError(format!("corrupt params record: {e}")))
}

/// Typed reads of the chain-wide state.
pub trait ChainRead: StateRead {
    /// The chain id set at genesis.
    fn chain_id(&self) -> Result<String, StateReadError> {
        let bytes = self
            .get(keys::CHAIN_ID)?
            .ok_or_else(|| StateReadError("chain id not set: no genesis".into()))?;
        String::from_utf8(bytes).map_err(|_| StateReadError("corrupt chain id".into()))
    }

    /// The chain parameters set at genesis.
    fn params(&self) -> Result<Params, StateReadError> {
        let bytes = self
            .get(keys::PARAMS)?
            .ok_or_else(|| StateReadError("params not set: no genesis".into()))?;
        decode_params(&bytes)
    }
}

impl<S: StateRead + ?Sized> ChainRead for S {}

/// Typed writes of the chain-wide state.
pub trait ChainWrite: StateWrite {
    /// Writes the chain id.
    fn put_chain_id(&mut self, chain_id: &str) {
        self.put_raw(keys::CHAIN_ID.to_vec(), chain_id.as_bytes().to_vec());
    }

    /// Writes the params.
    fn put_params(&mut self, params: &Params) {
        self.put_raw(keys::PARAMS.to_vec(), encode_params(params));
    }
}

impl<S: StateWrite + ?Sized> ChainWrite for S {}
