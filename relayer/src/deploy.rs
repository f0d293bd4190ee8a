//! Deploying a `QuireAnchor` for a Quire chain: its constructor takes the
//! chain's initial height, salt (keccak-256 of the chain id) and the L1 set
//! that signs the initial height. Whoever relies on the deployment checks
//! these against the chain's genesis.

use crate::anchor::QuireAnchor;
use crate::relay::RelayError;
use alloy_network::TransactionBuilder;
use alloy_primitives::{Address, FixedBytes};
use alloy_provider::{Provider, ProviderBuilder};
use alloy_rpc_types_eth::TransactionRequest;
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::SolConstructor;
use quire_client::read::ReadClient;
use quire_core::l1::L1Valset;
use quire_core::proto::Protobuf;
use std::time::Duration;

/// The creation bytecode in a `contracts/out/*.json` artifact.
pub fn artifact_bytecode(json: &str) -> Result<Vec<u8>, RelayError> {
    let artifact: serde_json::Value = serde_json::from_str(json)
        .map_err(|e| RelayError::Mismatch(format!("artifact is not JSON: {e}")))?;
    let code = artifact["bytecode"]
        .as_str()
        .and_then(|h| h.strip_prefix("0x"))
        .ok_or_else(|| RelayError::Mismatch("artifact has no 0x bytecode".into()))?;
    hex::decode(code).map_err(|e| RelayError::Mismatch(format!("artifact bytecode: {e}")))
}

/// Deploys the anchor of the chain behind `read` (its initial height,
/// salt and initial L1 set, read from any node and shown to the caller to
/// check) from `signer`'s account; returns the contract's address.
pub async fn deploy(
    read: &ReadClient,
    l1_url: &str,
    signer: PrivateKeySigner,
    bytecode: Vec<u8>,
) -> Result<(Address, L1Valset), RelayError> {
    let info = read.l1_info().await?;
    // The initial height's set, from its signed checkpoint.
    let signed = read.checkpoint(info.initial_height, None).await?;
    let set = L1Valset::try_from_raw(&signed.valset.unwrap_or_default())
        .map_err(|e| RelayError::Mismatch(e.to_string()))?;
    let salt = quire_core::proto::hash32("L1 info salt", &info.salt)
        .map_err(|e| RelayError::Mismatch(e.to_string()))?;
    let valset = crate::anchor::Valset::from(&set);
    let mut code = bytecode;
    code.extend(
        QuireAnchor::constructorCall {
            initialHeight_: info.initial_height,
            salt_: FixedBytes(salt),
            signers: valset.signers,
            powers: valset.powers,
        }
        .abi_encode(),
    );
    let url = l1_url
        .parse()
        .map_err(|e| RelayError::Mismatch(format!("--l1 {l1_url:?}: {e}")))?;
    let provider = ProviderBuilder::new().wallet(signer).connect_http(url);
    let receipt = provider
        .send_transaction(TransactionRequest::default().with_deploy_code(code))
        .await
        .map_err(|e| RelayError::L1(e.to_string()))?
        .with_timeout(Some(Duration::from_secs(120)))
        .get_receipt()
        .await
        .map_err(|e| RelayError::L1(e.to_string()))?;
    if !receipt.status() {
        return Err(RelayError::L1(format!(
            "deployment {} reverted",
            receipt.transaction_hash
        )));
    }
    let address = receipt
        .contract_address
        .ok_or_else(|| RelayError::L1("the receipt has no contract address".into()))?;
    Ok((address, set))
}
