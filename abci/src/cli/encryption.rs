//! `quired tx encryption ...`: the validator's key-generation keys
//! (docs/blind-ordering.md §4).

use crate::cli::tx::{broadcast, TxCommon};
use anyhow::Context;
use quire_core::encryption::SetDkgKey;
use quire_core::Msg;
use std::path::{Path, PathBuf};

/// `quired tx encryption ...`
#[derive(Debug, clap::Subcommand)]
pub enum EncryptionTx {
    /// Register (or rotate to) the key-generation keys in --dkg-key as the
    /// --from validator's. A new key-generation round starts with them at
    /// the end of the block; keep the node running on the same file.
    SetDkgKey {
        /// The key file (`<node home>/config/dkg_key.json`).
        #[arg(long)]
        dkg_key: PathBuf,
        #[command(flatten)]
        common: TxCommon,
    },
}

impl EncryptionTx {
    /// Signs and broadcasts.
    pub async fn run(self) -> anyhow::Result<()> {
        match self {
            EncryptionTx::SetDkgKey { dkg_key, common } => {
                let msg = set_dkg_key_msg(&common, &dkg_key).await?;
                broadcast(common, vec![msg]).await
            }
        }
    }
}

/// The `MsgSetDkgKey` registering the keys in `key_file` for `common`'s
/// signer, with its proof for the node's chain.
pub(crate) async fn set_dkg_key_msg(common: &TxCommon, key_file: &Path) -> anyhow::Result<Msg> {
    let secret = crate::dkg_key::load(key_file)
        .with_context(|| format!("--dkg-key {}", key_file.display()))?;
    let (chain_id, _) = common.client()?.status().await?;
    let operator = common.signer()?;
    Ok(Msg::SetDkgKey(SetDkgKey {
        key: secret.public().to_bytes(),
        proof: secret.prove_registration(&chain_id, operator.as_bytes()),
    }))
}
