//! `cosmos.auth.v1beta1.Query`: accounts and the auth parameters.

use super::{address, CosmosError, QueryContext};
use cosmrs::proto::cosmos::auth::v1beta1::{
    BaseAccount, Params, QueryAccountRequest, QueryAccountResponse, QueryParamsRequest,
    QueryParamsResponse,
};
use cosmrs::proto::Any;
use prost::Message;
use quire_app::auth::state::AuthRead;
use quire_app::chain::ChainRead;

/// The type URL of the account the SDK's `Account` answers with.
pub const BASE_ACCOUNT_TYPE_URL: &str = "/cosmos.auth.v1beta1.BaseAccount";

/// `Account`: a `BaseAccount` with the account's number and next sequence
/// (no public key: Quire keeps none, every tx carries its own). A missing
/// account is `NotFound`, as in the SDK.
pub fn account(
    ctx: &QueryContext<'_>,
    request: QueryAccountRequest,
) -> Result<QueryAccountResponse, CosmosError> {
    let who = address(&request.address)?;
    let account = ctx
        .state
        .account(&who)
        .map_err(|e| CosmosError::internal(&e))?
        .ok_or_else(|| CosmosError::not_found(format!("account {} not found", who.to_bech32())))?;
    let base = BaseAccount {
        address: who.to_bech32(),
        pub_key: None,
        account_number: account.account_number,
        sequence: account.sequence,
    };
    Ok(QueryAccountResponse {
        account: Some(Any {
            type_url: BASE_ACCOUNT_TYPE_URL.to_string(),
            value: base.encode_to_vec(),
        }),
    })
}

/// `Params`, in Quire's terms: one signature per tx (`tx_sig_limit` 1), no
/// gas costs (0: the fee is per blob byte, see [`super::tx`]), and no memo
/// limit of its own beyond the tx size (`max_memo_characters` is
/// `max_tx_bytes`).
pub fn params(
    ctx: &QueryContext<'_>,
    _request: QueryParamsRequest,
) -> Result<QueryParamsResponse, CosmosError> {
    let chain = ctx.state.params().map_err(|e| CosmosError::internal(&e))?;
    Ok(QueryParamsResponse {
        params: Some(Params {
            max_memo_characters: chain.max_tx_bytes,
            tx_sig_limit: 1,
            tx_size_cost_per_byte: 0,
            sig_verify_cost_ed25519: 0,
            sig_verify_cost_secp256k1: 0,
        }),
    })
}
