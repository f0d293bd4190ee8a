//! The Cosmos SDK's query services, so that stock wallets and tools (cosmjs
//! `SigningStargateClient`, Keplr, explorers) work against Quire.
//!
//! Each service method is written once, as a function from the SDK's
//! request type to its response type over committed state
//! ([`auth`], [`bank`], [`staking`], [`tx`]), and served three ways from [`answer`]:
//! through ABCI `Query` with the gRPC method as the path (what cosmjs
//! sends), over gRPC on the read API's port ([`grpc`]), the request and
//! response bytes the same on both, and over REST with the Cosmos SDK's
//! gateway routes and JSON on the HTTP read API's port ([`rest`]).
//!
//! | path | answer |
//! |---|---|
//! | `/cosmos.auth.v1beta1.Query/Account` | `BaseAccount` as `Any` (no public key: Quire keeps none); a missing account is `NotFound` (cosmjs reads that as "no account yet") |
//! | `/cosmos.bank.v1beta1.Query/Balance` | always a `Coin` (`0` for an unknown account or another denom) |
//! | `/cosmos.bank.v1beta1.Query/AllBalances` | the non-zero coins (at most the fee denom) |
//! | `/cosmos.bank.v1beta1.Query/TotalSupply`, `SupplyOf` | the fee denom's supply |
//! | `/cosmos.auth.v1beta1.Query/Params`, `/cosmos.bank.v1beta1.Query/Params` | Quire's rules in the SDK's terms |
//! | `/cosmos.bank.v1beta1.Query/SpendableBalances`, `SpendableBalanceByDenom` | as `AllBalances`, `Balance` (all of a balance is spendable) |
//! | `/cosmos.bank.v1beta1.Query/DenomMetadata`, `DenomsMetadata` | the fee denom (`uquire`: display `quire`, exponent 6) |
//! | `/cosmos.staking.v1beta1.Query/Validators` (optionally by `status`), `Validator`, `Delegation`, `DelegatorDelegations`, `UnbondingDelegation`, `Pool`, `Params` | proof of stake in the SDK's messages ([`staking`]) |
//! | `/cosmos.distribution.v1beta1.Query/DelegationTotalRewards` | each delegation with nothing to withdraw: rewards compound into stake |
//! | `/cosmos.tx.v1beta1.Service/Simulate` | the fee as gas used ([`quire_app::simulate`]) |
//! | `/cosmos.base.node.v1beta1.Service/Config` | a minimum gas price of 1 fee unit, the latest state only kept |
//!
//! The methods that read CometBFT rather than state (broadcasting and
//! finding txs, blocks, validators, node info and status: [`chain`]) are
//! served over gRPC and REST only; [`CosmosServices`] routes a call to
//! either side.
//!
//! Errors follow the SDK: a gRPC status turned into an ABCI code of
//! codespace `sdk` (NotFound 22, InvalidArgument 18, anything else 6) with
//! the log `rpc error: code = … desc = …`, the form cosmjs matches.
//! Answers are of the last committed state only: a query for another height
//! is refused (no history is kept), never answered with the latest.

pub mod auth;
pub mod bank;
pub mod chain;
pub mod distribution;
pub mod grpc;
pub mod node;
pub mod rest;
mod services;
pub mod slashing;
pub mod staking;
pub mod tx;

pub use services::CosmosServices;

use cosmrs::proto::cosmos::base::query::v1beta1::{PageRequest, PageResponse};
use prost::Message;
use quire_app::{StateMachine, StateRead};
use thiserror::Error;

/// Largest request the gRPC and REST front ends accept (a simulated tx is a
/// whole tx: 4 MiB holds the default `max_tx_bytes` of 2.5 MiB; a chain with
/// larger txs simulates them over ABCI Query, bounded by CometBFT).
pub const MAX_REQUEST_BYTES: usize = 4 * 1024 * 1024;

/// The ABCI codespace of Cosmos-service errors (the SDK's).
pub const CODESPACE: &str = "sdk";

/// The gRPC status codes the services answer with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusCode {
    /// A malformed request.
    InvalidArgument,
    /// The thing asked for does not exist.
    NotFound,
    /// No such method.
    Unimplemented,
    /// The node failed.
    Internal,
    /// CometBFT, which some methods read, failed or could not be reached.
    Unavailable,
}

impl StatusCode {
    /// The name gRPC gives the code (in `rpc error: code = …`).
    pub fn name(self) -> &'static str {
        match self {
            StatusCode::InvalidArgument => "InvalidArgument",
            StatusCode::NotFound => "NotFound",
            StatusCode::Unimplemented => "Unimplemented",
            StatusCode::Internal => "Internal",
            StatusCode::Unavailable => "Unavailable",
        }
    }
}

/// A Cosmos-service error: a gRPC status.
#[derive(Debug, Clone, Error, PartialEq, Eq)]
#[error("rpc error: code = {} desc = {message}", code.name())]
pub struct CosmosError {
    /// The status code.
    pub code: StatusCode,
    /// What went wrong.
    pub message: String,
}

impl CosmosError {
    /// An `InvalidArgument` error.
    pub fn invalid(message: impl Into<String>) -> Self {
        CosmosError {
            code: StatusCode::InvalidArgument,
            message: message.into(),
        }
    }

    /// A `NotFound` error.
    pub fn not_found(message: impl Into<String>) -> Self {
        CosmosError {
            code: StatusCode::NotFound,
            message: message.into(),
        }
    }

    /// An `Internal` error (the node's storage failed).
    pub fn internal(error: &dyn std::fmt::Display) -> Self {
        CosmosError {
            code: StatusCode::Internal,
            message: error.to_string(),
        }
    }

    /// The ABCI code the Cosmos SDK gives this status (codespace
    /// [`CODESPACE`]): `ErrKeyNotFound` 22, `ErrInvalidRequest` 18,
    /// `ErrUnknownRequest` 6 otherwise.
    pub fn abci_code(&self) -> u32 {
        match self.code {
            StatusCode::NotFound => 22,
            StatusCode::InvalidArgument => 18,
            StatusCode::Unimplemented | StatusCode::Internal | StatusCode::Unavailable => 6,
        }
    }
}

/// What the services read: committed state at its height, and the state
/// machine (for simulations).
#[derive(Clone, Copy)]
pub struct QueryContext<'a> {
    /// The last committed state (with genesis' writes until the first
    /// commit).
    pub state: &'a dyn StateRead,
    /// Its height.
    pub height: u64,
    /// The rules, for `Simulate`.
    pub machine: &'a StateMachine,
}

/// Whether `path` names a Cosmos service method (`/cosmos.…`), which
/// [`answer`] serves.
pub fn is_cosmos_method(path: &str) -> bool {
    path.starts_with("/cosmos.")
}

/// The Cosmos methods [`answer`] serves from state, by gRPC path (over
/// ABCI query, gRPC and REST).
pub const STATE_METHODS: &[&str] = &[
    "/cosmos.auth.v1beta1.Query/Account",
    "/cosmos.auth.v1beta1.Query/Accounts",
    "/cosmos.auth.v1beta1.Query/Params",
    "/cosmos.bank.v1beta1.Query/Balance",
    "/cosmos.bank.v1beta1.Query/AllBalances",
    "/cosmos.bank.v1beta1.Query/TotalSupply",
    "/cosmos.bank.v1beta1.Query/SupplyOf",
    "/cosmos.bank.v1beta1.Query/SpendableBalances",
    "/cosmos.bank.v1beta1.Query/SpendableBalanceByDenom",
    "/cosmos.bank.v1beta1.Query/Params",
    "/cosmos.bank.v1beta1.Query/DenomMetadata",
    "/cosmos.bank.v1beta1.Query/DenomsMetadata",
    "/cosmos.staking.v1beta1.Query/Validators",
    "/cosmos.staking.v1beta1.Query/Validator",
    "/cosmos.staking.v1beta1.Query/Delegation",
    "/cosmos.staking.v1beta1.Query/DelegatorDelegations",
    "/cosmos.staking.v1beta1.Query/UnbondingDelegation",
    "/cosmos.staking.v1beta1.Query/ValidatorDelegations",
    "/cosmos.staking.v1beta1.Query/Redelegations",
    "/cosmos.staking.v1beta1.Query/Pool",
    "/cosmos.staking.v1beta1.Query/Params",
    "/cosmos.distribution.v1beta1.Query/Params",
    "/cosmos.distribution.v1beta1.Query/ValidatorOutstandingRewards",
    "/cosmos.distribution.v1beta1.Query/ValidatorCommission",
    "/cosmos.distribution.v1beta1.Query/ValidatorDistributionInfo",
    "/cosmos.distribution.v1beta1.Query/DelegationRewards",
    "/cosmos.distribution.v1beta1.Query/DelegationTotalRewards",
    "/cosmos.distribution.v1beta1.Query/DelegatorValidators",
    "/cosmos.distribution.v1beta1.Query/DelegatorWithdrawAddress",
    "/cosmos.distribution.v1beta1.Query/CommunityPool",
    "/cosmos.slashing.v1beta1.Query/SigningInfo",
    "/cosmos.slashing.v1beta1.Query/SigningInfos",
    "/cosmos.slashing.v1beta1.Query/Params",
    "/cosmos.tx.v1beta1.Service/Simulate",
    "/cosmos.base.node.v1beta1.Service/Config",
];

/// Every Cosmos method quired serves, by gRPC path: [`STATE_METHODS`] and
/// those answered from CometBFT ([`chain::METHODS`], gRPC and REST only).
/// gRPC reflection describes exactly these
/// ([`quire_proto::COSMOS_FILE_DESCRIPTOR_SET`]).
pub fn methods() -> impl Iterator<Item = &'static str> {
    STATE_METHODS.iter().chain(chain::METHODS).copied()
}

/// Answers the Cosmos method `path` with the encoded request `data`.
pub fn answer(path: &str, data: &[u8], ctx: &QueryContext<'_>) -> Result<Vec<u8>, CosmosError> {
    match path {
        "/cosmos.auth.v1beta1.Query/Account" => call(data, |r| auth::account(ctx, r)),
        "/cosmos.auth.v1beta1.Query/Accounts" => call(data, |r| auth::accounts(ctx, r)),
        "/cosmos.auth.v1beta1.Query/Params" => call(data, |r| auth::params(ctx, r)),
        "/cosmos.bank.v1beta1.Query/Balance" => call(data, |r| bank::balance(ctx, r)),
        "/cosmos.bank.v1beta1.Query/AllBalances" => call(data, |r| bank::all_balances(ctx, r)),
        "/cosmos.bank.v1beta1.Query/TotalSupply" => call(data, |r| bank::total_supply(ctx, r)),
        "/cosmos.bank.v1beta1.Query/SupplyOf" => call(data, |r| bank::supply_of(ctx, r)),
        "/cosmos.bank.v1beta1.Query/SpendableBalances" => {
            call(data, |r| bank::spendable_balances(ctx, r))
        }
        "/cosmos.bank.v1beta1.Query/SpendableBalanceByDenom" => {
            call(data, |r| bank::spendable_balance_by_denom(ctx, r))
        }
        "/cosmos.bank.v1beta1.Query/Params" => call(data, |r| bank::params(ctx, r)),
        "/cosmos.bank.v1beta1.Query/DenomMetadata" => call(data, |r| bank::denom_metadata(ctx, r)),
        "/cosmos.bank.v1beta1.Query/DenomsMetadata" => {
            call(data, |r| bank::denoms_metadata(ctx, r))
        }
        "/cosmos.staking.v1beta1.Query/Validators" => call(data, |r| staking::validators(ctx, r)),
        "/cosmos.staking.v1beta1.Query/Validator" => call(data, |r| staking::validator(ctx, r)),
        "/cosmos.staking.v1beta1.Query/Delegation" => call(data, |r| staking::delegation(ctx, r)),
        "/cosmos.staking.v1beta1.Query/DelegatorDelegations" => {
            call(data, |r| staking::delegator_delegations(ctx, r))
        }
        "/cosmos.staking.v1beta1.Query/UnbondingDelegation" => {
            call(data, |r| staking::unbonding_delegation(ctx, r))
        }
        "/cosmos.staking.v1beta1.Query/Pool" => call(data, |r| staking::pool(ctx, r)),
        "/cosmos.staking.v1beta1.Query/Params" => call(data, |r| staking::params(ctx, r)),
        "/cosmos.staking.v1beta1.Query/ValidatorDelegations" => {
            call(data, |r| staking::validator_delegations(ctx, r))
        }
        "/cosmos.staking.v1beta1.Query/Redelegations" => {
            call(data, |r| staking::redelegations(ctx, r))
        }
        "/cosmos.distribution.v1beta1.Query/Params" => {
            call(data, |r| distribution::params(ctx, r))
        }
        "/cosmos.distribution.v1beta1.Query/ValidatorOutstandingRewards" => {
            call(data, |r| distribution::validator_outstanding_rewards(ctx, r))
        }
        "/cosmos.distribution.v1beta1.Query/ValidatorCommission" => {
            call(data, |r| distribution::validator_commission(ctx, r))
        }
        "/cosmos.distribution.v1beta1.Query/ValidatorDistributionInfo" => {
            call(data, |r| distribution::validator_distribution_info(ctx, r))
        }
        "/cosmos.distribution.v1beta1.Query/DelegationRewards" => {
            call(data, |r| distribution::delegation_rewards(ctx, r))
        }
        "/cosmos.distribution.v1beta1.Query/DelegationTotalRewards" => {
            call(data, |r| distribution::delegation_total_rewards(ctx, r))
        }
        "/cosmos.distribution.v1beta1.Query/DelegatorValidators" => {
            call(data, |r| distribution::delegator_validators(ctx, r))
        }
        "/cosmos.distribution.v1beta1.Query/DelegatorWithdrawAddress" => {
            call(data, |r| distribution::delegator_withdraw_address(ctx, r))
        }
        "/cosmos.distribution.v1beta1.Query/CommunityPool" => {
            call(data, |r| distribution::community_pool(ctx, r))
        }
        "/cosmos.slashing.v1beta1.Query/SigningInfo" => {
            call(data, |r| slashing::signing_info(ctx, r))
        }
        "/cosmos.slashing.v1beta1.Query/SigningInfos" => {
            call(data, |r| slashing::signing_infos(ctx, r))
        }
        "/cosmos.slashing.v1beta1.Query/Params" => call(data, |r| slashing::params(ctx, r)),
        "/cosmos.tx.v1beta1.Service/Simulate" => call(data, |r| tx::simulate(ctx, r)),
        "/cosmos.base.node.v1beta1.Service/Config" => call(data, |r| node::config(ctx, r)),
        _ if chain::serves(path) => Err(CosmosError {
            code: StatusCode::Unimplemented,
            message: format!(
                "{path} reads CometBFT and is served over gRPC and REST only (see docs/wallets.md); over CometBFT's RPC use broadcast_tx_sync, tx, tx_search, block, validators or status"
            ),
        }),
        _ => Err(CosmosError {
            code: StatusCode::Unimplemented,
            message: format!(
                "unknown query path {path}: Quire serves {}",
                STATE_METHODS.join(", ")
            ),
        }),
    }
}

/// Decodes the request, runs the method, encodes its response.
fn call<Req: Message + Default, Resp: Message>(
    data: &[u8],
    method: impl FnOnce(Req) -> Result<Resp, CosmosError>,
) -> Result<Vec<u8>, CosmosError> {
    let request = Req::decode(data)
        .map_err(|e| CosmosError::invalid(format!("the request does not decode: {e}")))?;
    method(request).map(|response| response.encode_to_vec())
}

/// The Cosmos SDK's `Coin` of `amount` `denom`.
fn coin(denom: &str, amount: u128) -> cosmrs::proto::cosmos::base::v1beta1::Coin {
    cosmrs::proto::cosmos::base::v1beta1::Coin {
        denom: denom.to_string(),
        amount: amount.to_string(),
    }
}

/// Entries a page of a listing method holds when the request does not say.
pub const DEFAULT_PAGE_LIMIT: u64 = 100;
/// Most entries one page holds (a larger `limit` is capped).
pub const MAX_PAGE_LIMIT: u64 = 1000;

/// One page of the state entries under `prefix`, as the SDK pages a store:
/// `pagination.key` is the key (after `prefix`) to start at, `next_key` the
/// one to ask for next (empty on the last page). `offset` and `reverse` are
/// refused (ask by key), and `total` is not counted (it would read the whole
/// listing).
fn state_page(
    state: &dyn StateRead,
    prefix: &[u8],
    pagination: Option<PageRequest>,
) -> Result<(quire_app::state::Entries, PageResponse), CosmosError> {
    let request = pagination.unwrap_or_default();
    if request.offset > 0 {
        return Err(CosmosError::invalid(
            "pagination.offset is not supported: page with pagination.key (each page's next_key)",
        ));
    }
    if request.reverse {
        return Err(CosmosError::invalid("pagination.reverse is not supported"));
    }
    let limit = match request.limit {
        0 => DEFAULT_PAGE_LIMIT,
        n => n.min(MAX_PAGE_LIMIT),
    } as usize;
    let from = (!request.key.is_empty()).then(|| [prefix, &request.key].concat());
    let mut entries = state
        .page(prefix, from.as_deref(), limit + 1)
        .map_err(|e| CosmosError::internal(&e))?;
    let next_key = if entries.len() > limit {
        let next = entries.remove(limit);
        entries.truncate(limit);
        next.0.get(prefix.len()..).unwrap_or_default().to_vec()
    } else {
        Vec::new()
    };
    Ok((entries, PageResponse { next_key, total: 0 }))
}

/// Parses a bech32 account address of a request.
fn address(text: &str) -> Result<quire_core::Address, CosmosError> {
    if text.is_empty() {
        return Err(CosmosError::invalid("empty address string is not allowed"));
    }
    text.parse()
        .map_err(|e| CosmosError::invalid(format!("invalid address {text:?}: {e}")))
}
