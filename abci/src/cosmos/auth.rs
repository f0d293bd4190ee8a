//! `cosmos.auth.v1beta1.Query`: accounts.

use super::{address, CosmosError, QueryContext};
use cosmrs::proto::cosmos::auth::v1beta1::{
    BaseAccount, QueryAccountRequest, QueryAccountResponse,
};
use cosmrs::proto::Any;
use prost::Message;
use quire_app::auth::state::AuthRead;

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
