//! Chain-wide state the app itself owns: the chain id and the parameters,
//! both fixed at genesis, the time of the last block and its hash.

use crate::context::Timestamp;
use crate::error::StateReadError;
use crate::state::{StateRead, StateWrite};
use quire_core::Params;

/// Storage keys of the chain-wide state.
pub mod keys {
    /// The chain id, UTF-8.
    pub const CHAIN_ID: &[u8] = b"chain/id";
    /// The params ([`super::encode_params`]).
    pub const PARAMS: &[u8] = b"chain/params";
    /// The time of the last block: seconds i64 BE ‖ nanos u32 BE.
    pub const BLOCK_TIME: &[u8] = b"chain/time";
    /// The hash of the last block finalized (32 bytes): the seed of the
    /// next block's canonical order (`quire_core::order`).
    pub const LAST_BLOCK_HASH: &[u8] = b"chain/last_block_hash";
}

/// Version byte of the stored params record.
const PARAMS_RECORD_V1: u8 = 1;

/// The stored encoding of params, explicit bytes (not the query message):
/// `1 (version) ‖ len(fee_denom) u8 ‖ fee_denom ‖ base_fee u128 BE ‖
/// fee_per_blob_byte u128 BE ‖ max_blob_bytes u64 BE ‖ max_block_blob_bytes
/// u64 BE ‖ max_tx_bytes u64 BE`. Params are validated at genesis, so the
/// denom fits its length byte (at most 128 bytes).
pub fn encode_params(params: &Params) -> Vec<u8> {
    let denom = params.fee_denom.as_bytes();
    let mut out = Vec::with_capacity(2 + denom.len() + 16 + 16 + 24);
    out.push(PARAMS_RECORD_V1);
    out.push(u8::try_from(denom.len()).unwrap_or(u8::MAX));
    out.extend_from_slice(&denom[..denom.len().min(usize::from(u8::MAX))]);
    out.extend_from_slice(&params.base_fee.to_be_bytes());
    out.extend_from_slice(&params.fee_per_blob_byte.to_be_bytes());
    out.extend_from_slice(&params.max_blob_bytes.to_be_bytes());
    out.extend_from_slice(&params.max_block_blob_bytes.to_be_bytes());
    out.extend_from_slice(&params.max_tx_bytes.to_be_bytes());
    out
}

/// Inverse of [`encode_params`].
pub fn decode_params(bytes: &[u8]) -> Result<Params, StateReadError> {
    let corrupt = |what: &str| StateReadError(format!("corrupt params record: {what}"));
    let [version, len, rest @ ..] = bytes else {
        return Err(corrupt("truncated"));
    };
    if *version != PARAMS_RECORD_V1 {
        return Err(corrupt("unknown version"));
    }
    let (denom, rest) = rest
        .split_at_checked(usize::from(*len))
        .ok_or_else(|| corrupt("truncated denom"))?;
    let fee_denom = String::from_utf8(denom.to_vec()).map_err(|_| corrupt("denom"))?;
    let (base_fee, rest) = rest
        .split_first_chunk::<16>()
        .ok_or_else(|| corrupt("base_fee"))?;
    let (per_byte, rest) = rest
        .split_first_chunk::<16>()
        .ok_or_else(|| corrupt("fee_per_blob_byte"))?;
    let (max_blob, rest) = rest
        .split_first_chunk::<8>()
        .ok_or_else(|| corrupt("max_blob_bytes"))?;
    let (max_block, rest) = rest
        .split_first_chunk::<8>()
        .ok_or_else(|| corrupt("max_block_blob_bytes"))?;
    let max_tx: [u8; 8] = rest.try_into().map_err(|_| corrupt("max_tx_bytes"))?;
    Ok(Params {
        fee_denom,
        base_fee: u128::from_be_bytes(*base_fee),
        fee_per_blob_byte: u128::from_be_bytes(*per_byte),
        max_blob_bytes: u64::from_be_bytes(*max_blob),
        max_block_blob_bytes: u64::from_be_bytes(*max_block),
        max_tx_bytes: u64::from_be_bytes(max_tx),
    })
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

    /// The time of the last block begun (zero before the first block).
    fn block_time(&self) -> Result<Timestamp, StateReadError> {
        match self.get(keys::BLOCK_TIME)? {
            None => Ok(Timestamp::default()),
            Some(bytes) => {
                Timestamp::decode(&bytes).ok_or_else(|| StateReadError("corrupt block time".into()))
            }
        }
    }

    /// The hash of the last block finalized: the order seed of the next
    /// (32 zero bytes before the first block).
    fn last_block_hash(&self) -> Result<[u8; 32], StateReadError> {
        match self.get(keys::LAST_BLOCK_HASH)? {
            None => Ok([0; 32]),
            Some(bytes) => bytes
                .try_into()
                .map_err(|_| StateReadError("corrupt last block hash".into())),
        }
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

    /// Writes the time of the block being run.
    fn put_block_time(&mut self, time: Timestamp) {
        self.put_raw(keys::BLOCK_TIME.to_vec(), time.encode().to_vec());
    }

    /// Writes the hash of the block being finalized.
    fn put_last_block_hash(&mut self, hash: &[u8; 32]) {
        self.put_raw(keys::LAST_BLOCK_HASH.to_vec(), hash.to_vec());
    }
}

impl<S: StateWrite + ?Sized> ChainWrite for S {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_records_round_trip_and_garbage_is_refused() {
        let params = Params {
            base_fee: 42,
            ..Params::default()
        };
        let bytes = encode_params(&params);
        assert_eq!(decode_params(&bytes).unwrap(), params);
        for cut in 0..bytes.len() {
            assert!(decode_params(&bytes[..cut]).is_err(), "cut at {cut}");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(decode_params(&longer).is_err());
        let mut other_version = bytes;
        other_version[0] = 2;
        assert!(decode_params(&other_version).is_err());
    }
}
