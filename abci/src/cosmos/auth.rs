//! `cosmos.auth.v1beta1.Query`: accounts and the auth parameters.

use super::{address, state_page, CosmosError, QueryContext};
use cosmrs::proto::cosmos::auth::v1beta1::{
    BaseAccount, Params, QueryAccountRequest, QueryAccountResponse, QueryAccountsRequest,
    QueryAccountsResponse, QueryParamsRequest, QueryParamsResponse,
};
use cosmrs::proto::Any;
use prost::Message;
use quire_app::auth::state::AuthRead;
use quire_app::chain::ChainRead;
use quire_core::account::{Account, ACCOUNT_KEY_PREFIX};
use quire_core::Address;

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
    Ok(QueryAccountResponse {
        account: Some(base_account(&who, &account)),
    })
}

/// `who`'s account as the SDK's `BaseAccount` in an `Any`.
fn base_account(who: &Address, account: &Account) -> Any {
    let base = BaseAccount {
        address: who.to_bech32(),
        pub_key: None,
        account_number: account.account_number,
        sequence: account.sequence,
    };
    Any {
        type_url: BASE_ACCOUNT_TYPE_URL.to_string(),
        value: base.encode_to_vec(),
    }
}

/// `Accounts`: every account in the order of its address bytes, a page at a
/// time (`pagination.key` is the 20-byte address to start at).
pub fn accounts(
    ctx: &QueryContext<'_>,
    request: QueryAccountsRequest,
) -> Result<QueryAccountsResponse, CosmosError> {
    let (entries, pagination) = state_page(ctx.state, ACCOUNT_KEY_PREFIX, request.pagination)?;
    let mut accounts = Vec::with_capacity(entries.len());
    for (key, value) in entries {
        let corrupt =
            |what: &str| CosmosError::internal(&format!("corrupt account {what} in state"));
        let who = key
            .get(ACCOUNT_KEY_PREFIX.len()..)
            .and_then(|b| <[u8; 20]>::try_from(b).ok())
            .map(Address::new)
            .ok_or_else(|| corrupt("key"))?;
        let account = Account::decode(&value).map_err(|_| corrupt("record"))?;
        accounts.push(base_account(&who, &account));
    }
    Ok(QueryAccountsResponse {
        accounts,
        pagination: Some(pagination),
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
