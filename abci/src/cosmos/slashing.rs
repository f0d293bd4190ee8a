//! `cosmos.slashing.v1beta1.Query`: validators' liveness records and the
//! slashing parameters (docs/staking.md, "Slashing").
//!
//! A signing info is keyed by the validator's consensus address
//! (`quirevalcons1…`); its `jailed_until` and `tombstoned` are the
//! validator's own (Quire keeps them on the validator, the SDK on the
//! signing info).

use super::{state_page, CosmosError, QueryContext};
use crate::query::staking::timestamp;
use cosmrs::proto::cosmos::slashing::v1beta1 as sdk;
use quire_app::slashing::keys::INFO;
use quire_app::slashing::state::{SigningInfo, SlashingRead};
use quire_app::staking::state::StakingRead;
use quire_core::address::VALCONS_PREFIX;
use quire_core::staking::consensus_address_bech32;
use quire_core::Address;

fn internal(e: impl std::fmt::Display) -> CosmosError {
    CosmosError::internal(&e)
}

/// Saturating `u64` -> `i64` for the SDK's signed fields.
fn signed(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// The SDK's record of `consensus`'s liveness.
fn signing_info_of(
    ctx: &QueryContext<'_>,
    consensus: &[u8; 20],
    info: &SigningInfo,
) -> Result<sdk::ValidatorSigningInfo, CosmosError> {
    let validator = match ctx.state.operator_of(consensus).map_err(internal)? {
        Some(operator) => ctx.state.validator(&operator).map_err(internal)?,
        None => None,
    };
    Ok(sdk::ValidatorSigningInfo {
        address: consensus_address_bech32(consensus),
        start_height: signed(info.start_height),
        index_offset: signed(info.index_offset),
        jailed_until: Some(
            validator
                .as_ref()
                .map_or_else(Default::default, |v| timestamp(v.jailed_until)),
        ),
        tombstoned: validator.as_ref().is_some_and(|v| v.tombstoned),
        missed_blocks_counter: signed(info.missed_blocks),
    })
}

/// `SigningInfo`: one validator's, by its `quirevalcons1…` address;
/// `NotFound` before it has been in the active set.
pub fn signing_info(
    ctx: &QueryContext<'_>,
    request: sdk::QuerySigningInfoRequest,
) -> Result<sdk::QuerySigningInfoResponse, CosmosError> {
    if request.cons_address.is_empty() {
        return Err(CosmosError::invalid("empty address string is not allowed"));
    }
    let consensus = *Address::parse_with(&request.cons_address, VALCONS_PREFIX)
        .map_err(|e| CosmosError::invalid(format!("invalid consensus address: {e}")))?
        .as_bytes();
    let info = ctx
        .state
        .signing_info(&consensus)
        .map_err(internal)?
        .ok_or_else(|| {
            CosmosError::not_found(format!(
                "SigningInfo not found for validator {}",
                request.cons_address
            ))
        })?;
    Ok(sdk::QuerySigningInfoResponse {
        val_signing_info: Some(signing_info_of(ctx, &consensus, &info)?),
    })
}

/// `SigningInfos`: every validator's, in consensus-address order, a page at
/// a time (`pagination.key`: the 20-byte consensus address to start at).
pub fn signing_infos(
    ctx: &QueryContext<'_>,
    request: sdk::QuerySigningInfosRequest,
) -> Result<sdk::QuerySigningInfosResponse, CosmosError> {
    let (entries, pagination) = state_page(ctx.state, INFO, request.pagination)?;
    let mut info = Vec::with_capacity(entries.len());
    for (key, value) in entries {
        let consensus = key
            .get(INFO.len()..)
            .and_then(|b| <[u8; 20]>::try_from(b).ok())
            .ok_or_else(|| CosmosError::internal(&"corrupt signing info key in state"))?;
        let record = SigningInfo::decode(&value).map_err(internal)?;
        info.push(signing_info_of(ctx, &consensus, &record)?);
    }
    Ok(sdk::QuerySigningInfosResponse {
        info,
        pagination: Some(pagination),
    })
}

/// `Params`: the liveness window and the slashing fractions, the decimals
/// in the SDK's byte form (the 18-decimal integer's digits).
pub fn params(
    ctx: &QueryContext<'_>,
    _request: sdk::QueryParamsRequest,
) -> Result<sdk::QueryParamsResponse, CosmosError> {
    let p = ctx.state.staking_params().map_err(internal)?;
    Ok(sdk::QueryParamsResponse {
        params: Some(sdk::Params {
            signed_blocks_window: signed(p.signed_blocks_window),
            min_signed_per_window: p.min_signed_per_window.to_atoms_string().into_bytes(),
            downtime_jail_duration: Some(tendermint_proto::google::protobuf::Duration {
                seconds: signed(p.downtime_jail_duration_secs),
                nanos: 0,
            }),
            slash_fraction_double_sign: p.slash_fraction_double_sign.to_atoms_string().into_bytes(),
            slash_fraction_downtime: p.slash_fraction_downtime.to_atoms_string().into_bytes(),
        }),
    })
}
