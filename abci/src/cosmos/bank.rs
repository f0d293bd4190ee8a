//! `cosmos.bank.v1beta1.Query`: balances and supply of the fee token (the
//! only token Quire has; balances live in auth's account records).

use super::{address, coin, CosmosError, QueryContext};
use cosmrs::proto::cosmos::bank::v1beta1::{
    DenomUnit, Metadata, Params, QueryAllBalancesRequest, QueryAllBalancesResponse,
    QueryBalanceRequest, QueryBalanceResponse, QueryDenomMetadataRequest,
    QueryDenomMetadataResponse, QueryDenomsMetadataRequest, QueryDenomsMetadataResponse,
    QueryParamsRequest, QueryParamsResponse, QuerySpendableBalanceByDenomRequest,
    QuerySpendableBalanceByDenomResponse, QuerySpendableBalancesRequest,
    QuerySpendableBalancesResponse, QuerySupplyOfRequest, QuerySupplyOfResponse,
    QueryTotalSupplyRequest, QueryTotalSupplyResponse,
};
use cosmrs::proto::cosmos::base::query::v1beta1::PageResponse;
use quire_app::auth::state::AuthRead;
use quire_app::bank::state::BankRead;
use quire_app::chain::ChainRead;

/// The chain's fee denom, its only token.
fn fee_denom(ctx: &QueryContext<'_>) -> Result<String, CosmosError> {
    Ok(ctx
        .state
        .params()
        .map_err(|e| CosmosError::internal(&e))?
        .fee_denom)
}

/// The fee denom and `address`'s balance in it (0 without an account).
fn fee_balance(ctx: &QueryContext<'_>, address_text: &str) -> Result<(String, u128), CosmosError> {
    let who = address(address_text)?;
    let denom = fee_denom(ctx)?;
    let balance = ctx
        .state
        .account(&who)
        .map_err(|e| CosmosError::internal(&e))?
        .map_or(0, |account| account.balance);
    Ok((denom, balance))
}

/// `Balance`: always a coin of the asked denom, `0` when the account does
/// not exist or the denom is not the fee denom (cosmjs asserts a coin).
pub fn balance(
    ctx: &QueryContext<'_>,
    request: QueryBalanceRequest,
) -> Result<QueryBalanceResponse, CosmosError> {
    if request.denom.is_empty() {
        return Err(CosmosError::invalid("invalid denom: empty"));
    }
    let (fee_denom, amount) = fee_balance(ctx, &request.address)?;
    let amount = if request.denom == fee_denom {
        amount
    } else {
        0
    };
    Ok(QueryBalanceResponse {
        balance: Some(coin(&request.denom, amount)),
    })
}

/// `AllBalances`: the account's non-zero coins, in one page.
pub fn all_balances(
    ctx: &QueryContext<'_>,
    request: QueryAllBalancesRequest,
) -> Result<QueryAllBalancesResponse, CosmosError> {
    let (denom, amount) = fee_balance(ctx, &request.address)?;
    let balances = if amount > 0 {
        vec![coin(&denom, amount)]
    } else {
        Vec::new()
    };
    Ok(QueryAllBalancesResponse {
        pagination: Some(PageResponse {
            next_key: Vec::new(),
            total: balances.len() as u64,
        }),
        balances,
    })
}

/// The fee denom and its total supply.
fn supply(ctx: &QueryContext<'_>) -> Result<(String, u128), CosmosError> {
    let denom = fee_denom(ctx)?;
    let supply = ctx
        .state
        .supply()
        .map_err(|e| CosmosError::internal(&e))?
        .unwrap_or(0);
    Ok((denom, supply))
}

/// `TotalSupply`: the fee token's supply, in one page.
pub fn total_supply(
    ctx: &QueryContext<'_>,
    _request: QueryTotalSupplyRequest,
) -> Result<QueryTotalSupplyResponse, CosmosError> {
    let (denom, amount) = supply(ctx)?;
    Ok(QueryTotalSupplyResponse {
        supply: vec![coin(&denom, amount)],
        pagination: Some(PageResponse {
            next_key: Vec::new(),
            total: 1,
        }),
    })
}

/// `SupplyOf`: the supply of one denom (`0` for any but the fee denom).
pub fn supply_of(
    ctx: &QueryContext<'_>,
    request: QuerySupplyOfRequest,
) -> Result<QuerySupplyOfResponse, CosmosError> {
    if request.denom.is_empty() {
        return Err(CosmosError::invalid("invalid denom: empty"));
    }
    let (denom, amount) = supply(ctx)?;
    let amount = if request.denom == denom { amount } else { 0 };
    Ok(QuerySupplyOfResponse {
        amount: Some(coin(&request.denom, amount)),
    })
}

/// `SpendableBalances`: the same as `AllBalances` (a balance is all
/// spendable: bonded tokens have left it, and there is no vesting).
pub fn spendable_balances(
    ctx: &QueryContext<'_>,
    request: QuerySpendableBalancesRequest,
) -> Result<QuerySpendableBalancesResponse, CosmosError> {
    let all = all_balances(
        ctx,
        QueryAllBalancesRequest {
            address: request.address,
            pagination: request.pagination,
            resolve_denom: false,
        },
    )?;
    Ok(QuerySpendableBalancesResponse {
        balances: all.balances,
        pagination: all.pagination,
    })
}

/// `SpendableBalanceByDenom`: the same as `Balance`.
pub fn spendable_balance_by_denom(
    ctx: &QueryContext<'_>,
    request: QuerySpendableBalanceByDenomRequest,
) -> Result<QuerySpendableBalanceByDenomResponse, CosmosError> {
    let balance = balance(
        ctx,
        QueryBalanceRequest {
            address: request.address,
            denom: request.denom,
        },
    )?;
    Ok(QuerySpendableBalanceByDenomResponse {
        balance: balance.balance,
    })
}

/// `Params`: sending is on for the one token.
pub fn params(
    _ctx: &QueryContext<'_>,
    _request: QueryParamsRequest,
) -> Result<QueryParamsResponse, CosmosError> {
    Ok(QueryParamsResponse {
        // `send_enabled` (deprecated in the SDK: a separate store now) empty.
        params: Some(Params {
            default_send_enabled: true,
            ..Default::default()
        }),
    })
}

/// The metadata of the fee denom: its base unit and, for Quire's own token,
/// its display unit.
fn metadata(denom: &str) -> Metadata {
    let mut denom_units = vec![DenomUnit {
        denom: denom.to_string(),
        exponent: 0,
        aliases: Vec::new(),
    }];
    let mut display = denom.to_string();
    if let Some((shown, exponent)) = quire_core::params::display_unit(denom) {
        denom_units.push(DenomUnit {
            denom: shown.to_string(),
            exponent,
            aliases: Vec::new(),
        });
        display = shown.to_string();
    }
    Metadata {
        description: "The fee and staking token".into(),
        denom_units,
        base: denom.to_string(),
        name: display.clone(),
        symbol: display.to_uppercase(),
        display,
        ..Default::default()
    }
}

/// `DenomMetadata`: the fee denom's; any other denom is `NotFound`.
pub fn denom_metadata(
    ctx: &QueryContext<'_>,
    request: QueryDenomMetadataRequest,
) -> Result<QueryDenomMetadataResponse, CosmosError> {
    let denom = fee_denom(ctx)?;
    if request.denom != denom {
        return Err(CosmosError::not_found(format!(
            "client metadata for denom {} not found: the only denom is {denom}",
            request.denom
        )));
    }
    Ok(QueryDenomMetadataResponse {
        metadata: Some(metadata(&denom)),
    })
}

/// `DenomsMetadata`: the fee denom's, in one page.
pub fn denoms_metadata(
    ctx: &QueryContext<'_>,
    _request: QueryDenomsMetadataRequest,
) -> Result<QueryDenomsMetadataResponse, CosmosError> {
    Ok(QueryDenomsMetadataResponse {
        metadatas: vec![metadata(&fee_denom(ctx)?)],
        pagination: Some(PageResponse {
            next_key: Vec::new(),
            total: 1,
        }),
    })
}
