//! This node's CometBFT RPC client, as the read API and the Cosmos services
//! build it from `cometbft_rpc`.

use std::time::Duration;
use tendermint_rpc::{HttpClient, HttpClientUrl};

/// A client of CometBFT's RPC at `url` whose every call is bounded by
/// `timeout`; the error says what is wrong with the URL.
pub fn rpc_client(url: &str, timeout: Duration) -> Result<HttpClient, String> {
    let bad = |e: &dyn std::fmt::Display| format!("bad cometbft_rpc URL {url:?}: {e}");
    let parsed: HttpClientUrl = url.parse().map_err(|e: tendermint_rpc::Error| bad(&e))?;
    HttpClient::builder(parsed)
        .timeout(timeout)
        .build()
        .map_err(|e| bad(&e))
}
