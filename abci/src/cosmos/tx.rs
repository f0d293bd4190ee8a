//! `cosmos.tx.v1beta1.Service`: simulation (the fee estimate wallets ask
//! for before signing; broadcasting goes through CometBFT's RPC).

use super::{CosmosError, QueryContext};
use cosmrs::proto::cosmos::base::abci::v1beta1::{GasInfo, Result as TxResult};
use cosmrs::proto::cosmos::tx::v1beta1::{SimulateRequest, SimulateResponse};

/// `Simulate`: runs the draft (`tx_bytes`; its signature may be empty)
/// through every rule but the signature on committed state and reports the
/// fee it needs as `gas_used` (one gas is one unit of the fee denom, see
/// [`quire_app::simulate`]). A draft that would be refused is
/// `InvalidArgument`, with Quire's code and reason (the SDK answers
/// `Unknown` there; `InvalidArgument` says better whose fault it is).
pub fn simulate(
    ctx: &QueryContext<'_>,
    request: SimulateRequest,
) -> Result<SimulateResponse, CosmosError> {
    if request.tx_bytes.is_empty() {
        return Err(CosmosError::invalid(
            "empty tx_bytes: send the encoded TxRaw (the deprecated `tx` field is not read)",
        ));
    }
    let simulation = ctx
        .machine
        .simulate(ctx.state, ctx.height.saturating_add(1), &request.tx_bytes)
        .map_err(|e| CosmosError::invalid(format!("quire code {}: {e}", e.code())))?;
    let gas_used = u64::try_from(simulation.required_fee).map_err(|_| {
        CosmosError::invalid(format!(
            "the required fee {} does not fit in a u64 of gas",
            simulation.required_fee
        ))
    })?;
    Ok(SimulateResponse {
        gas_info: Some(GasInfo {
            gas_wanted: gas_used,
            gas_used,
        }),
        result: Some(TxResult {
            events: simulation.events.iter().map(event).collect(),
            ..Default::default()
        }),
    })
}

/// An app event in the SDK's (CometBFT's) protobuf form.
fn event(event: &quire_app::Event) -> tendermint_proto::abci::Event {
    tendermint_proto::abci::Event {
        r#type: event.kind.to_string(),
        attributes: event
            .attributes
            .iter()
            .map(|a| tendermint_proto::abci::EventAttribute {
                key: a.key.to_string(),
                value: a.value.clone(),
                index: a.index,
            })
            .collect(),
    }
}
