//! `cosmos.base.node.v1beta1.Service/Config`: the node's fee floor and
//! state retention, in the SDK's terms. (`Status` reads CometBFT:
//! [`super::chain`].)

use super::{CosmosError, QueryContext};
use cosmrs::proto::cosmos::base::node::v1beta1::{ConfigRequest, ConfigResponse};
use quire_app::chain::ChainRead;

/// `Config`: the minimum gas price is one unit of the fee denom per gas (a
/// gas is a unit of the required fee, see [`super::tx`]), as a `DecCoin`
/// with the SDK's 18 decimals. Quire keeps only the latest state, so the
/// pruning settings are the SDK's "keep 1, prune at every height"; no halt
/// height is set.
pub fn config(
    ctx: &QueryContext<'_>,
    _request: ConfigRequest,
) -> Result<ConfigResponse, CosmosError> {
    let chain = ctx.state.params().map_err(|e| CosmosError::internal(&e))?;
    Ok(ConfigResponse {
        minimum_gas_price: format!("1.000000000000000000{}", chain.fee_denom),
        pruning_keep_recent: "1".to_string(),
        pruning_interval: "1".to_string(),
        halt_height: 0,
    })
}
