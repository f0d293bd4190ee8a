//! What the load generator sends: deterministic accounts, and the pre-built
//! transactions for Quire (signed blob txs) or for CometBFT's kvstore baseline
//! (`key=value` txs of the same size).

use anyhow::{bail, Context};
use cosmrs::crypto::secp256k1::SigningKey;
use quire_client::{address_of, sign_tx, Address, Msg, Namespace, Params, SignerContext};
use sha2::{Digest, Sha256};

/// Which application the network runs.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum App {
    /// quired: signed Cosmos SDK blob transactions.
    Quire,
    /// CometBFT's built-in kvstore (`--proxy_app=kvstore`): `key=value` txs.
    Kvstore,
}

/// One load account: a key derived from the run's seed.
pub struct LoadAccount {
    /// The signing key.
    pub key: SigningKey,
    /// Its address.
    pub address: Address,
}

/// Balance each load account gets at genesis: plenty for any run's fees.
pub const GENESIS_BALANCE: u128 = 1_000_000_000_000_000_000;

/// The `count` accounts of `seed`: key `i` is `sha256("quire-loadgen/v1" ‖
/// seed ‖ i)`. The same seed gives the same accounts, so `accounts` (which
/// funds them at genesis) and `run` (which signs with them) agree.
pub fn derive_accounts(seed: u64, count: usize) -> anyhow::Result<Vec<LoadAccount>> {
    (0..count as u64)
        .map(|index| {
            let mut hasher = Sha256::new();
            hasher.update(b"quire-loadgen/v1");
            hasher.update(seed.to_be_bytes());
            hasher.update(index.to_be_bytes());
            let secret: [u8; 32] = hasher.finalize().into();
            let key = SigningKey::from_slice(&secret)
                .map_err(|e| anyhow::anyhow!("account {index} of seed {seed}: {e}"))?;
            let address = address_of(&key);
            Ok(LoadAccount { key, address })
        })
        .collect()
}

/// The shape of every transaction of a run.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Shape {
    /// Bytes of each blob (Quire).
    pub blob_size: usize,
    /// Blobs per transaction, each to its own namespace (Quire).
    pub blobs_per_tx: usize,
    /// Namespaces the blobs are spread over, round-robin.
    pub namespaces: usize,
    /// Each tx's blobs sealed into one encrypted envelope
    /// (`MsgSubmitEncrypted`, docs/blind-ordering.md) instead of plaintext.
    #[serde(default)]
    pub encrypt: bool,
}

/// Who sent a transaction: account index and sequence. Identifies it in a
/// block's results (Quire's `tx` event, kvstore's key).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TxKey {
    /// Index of the account in the run.
    pub account: u32,
    /// The account's sequence (kvstore: its tx counter).
    pub sequence: u64,
}

/// One pre-built transaction.
pub struct PreparedTx {
    /// Its key.
    pub key: TxKey,
    /// The bytes to broadcast.
    pub bytes: Vec<u8>,
    /// Blob bytes it carries (0 for kvstore).
    pub blob_bytes: u64,
    /// The namespace of its first blob (Quire), to read it back.
    pub namespace: Option<Namespace>,
}

/// The kvstore key of a tx: `lg<account>x<sequence>`. Keys never start with
/// `val` (kvstore's validator-update prefix) and contain no `=` or `:`.
pub fn kvstore_key(key: TxKey) -> String {
    format!("lg{}x{}", key.account, key.sequence)
}

/// Parses a key made by [`kvstore_key`].
pub fn parse_kvstore_key(text: &str) -> Option<TxKey> {
    let (account, sequence) = text.strip_prefix("lg")?.split_once('x')?;
    Some(TxKey {
        account: account.parse().ok()?,
        sequence: sequence.parse().ok()?,
    })
}

/// A kvstore tx of exactly `size` bytes (at least the key, `=` and one byte).
pub fn kvstore_tx(key: TxKey, size: usize) -> Vec<u8> {
    let mut tx = kvstore_key(key).into_bytes();
    tx.push(b'=');
    let fill = size.saturating_sub(tx.len()).max(1);
    let mut x = u64::from(key.account) << 40 ^ key.sequence;
    tx.extend((0..fill).map(|_| {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        b'a' + ((x >> 59) as u8 % 26)
    }));
    tx
}

/// Chain facts Quire txs are signed for.
#[derive(Debug, Clone)]
pub struct ChainInfo {
    /// Chain id.
    pub chain_id: String,
    /// Fee rules.
    pub params: Params,
    /// The epoch key envelopes are sealed to (runs with encrypted blobs).
    pub encryption: Option<quire_client::encrypt::EncryptionKey>,
}

/// Everything needed to build one account's transactions.
pub struct AccountPlan<'a> {
    /// Index in the run.
    pub index: u32,
    /// The account.
    pub account: &'a LoadAccount,
    /// Its account number on chain (Quire).
    pub account_number: u64,
    /// Its next sequence on chain (Quire).
    pub first_sequence: u64,
}

/// The namespaces of a run: `sha256("loadgen-<i>")` for i < count.
pub fn namespaces(count: usize) -> Vec<Namespace> {
    (0..count)
        .map(|i| Namespace::from_rollup_name(&format!("loadgen-{i}")))
        .collect()
}

/// Builds `count` Quire blob txs for one account. Blob `m` of the account's
/// tx `j` goes to namespace `(global tx number * blobs_per_tx + m) mod
/// namespaces`, with global tx numbers interleaving the accounts, so a block
/// holding consecutive txs of all accounts covers the namespaces evenly.
pub fn quire_txs(
    chain: &ChainInfo,
    plan: &AccountPlan<'_>,
    accounts: usize,
    shape: &Shape,
    all_namespaces: &[Namespace],
    count: usize,
) -> anyhow::Result<Vec<PreparedTx>> {
    if all_namespaces.is_empty() || shape.blobs_per_tx == 0 {
        bail!("a run needs at least one namespace and one blob per tx");
    }
    let blob_bytes = (shape.blob_size * shape.blobs_per_tx) as u64;
    let key = match (shape.encrypt, &chain.encryption) {
        (true, Some(key)) => Some(key),
        (true, None) => bail!("encrypted blobs need the chain's epoch key (the chain has none?)"),
        (false, _) => None,
    };
    let mut txs = Vec::with_capacity(count);
    for j in 0..count as u64 {
        let sequence = plan.first_sequence + j;
        let global = j * accounts as u64 + u64::from(plan.index);
        let mut messages = Vec::with_capacity(shape.blobs_per_tx);
        let mut first_namespace = None;
        for m in 0..shape.blobs_per_tx as u64 {
            let slot = (global * shape.blobs_per_tx as u64 + m) % all_namespaces.len() as u64;
            let namespace = all_namespaces[slot as usize];
            first_namespace.get_or_insert(namespace);
            messages.push(Msg::submit_blob(
                namespace,
                blob_data(plan.index, sequence, m, shape.blob_size),
            ));
        }
        let charged = match key {
            Some(key) => {
                let envelope = seal(key, chain, plan, sequence, messages)?;
                let charged = envelope.charged_bytes();
                messages = vec![Msg::SubmitEncrypted(envelope)];
                charged
            }
            None => blob_bytes,
        };
        let fee = chain
            .params
            .fee_for(charged)
            .context("the fee for this blob size overflows")?;
        let params = SignerContext {
            chain_id: chain.chain_id.clone(),
            account_number: plan.account_number,
            sequence,
            fee_denom: chain.params.fee_denom.clone(),
            fee,
            timeout_height: 0,
            memo: String::new(),
        };
        let bytes = sign_tx(&plan.account.key, &params, &messages)?;
        txs.push(PreparedTx {
            key: TxKey {
                account: plan.index,
                sequence,
            },
            bytes,
            blob_bytes,
            namespace: first_namespace,
        });
    }
    Ok(txs)
}

/// `messages` (plaintext blobs) sealed into one envelope for `plan`'s tx
/// at `sequence`.
fn seal(
    key: &quire_client::encrypt::EncryptionKey,
    chain: &ChainInfo,
    plan: &AccountPlan<'_>,
    sequence: u64,
    messages: Vec<Msg>,
) -> anyhow::Result<quire_core::encryption::SubmitEncrypted> {
    let payload = quire_core::envelope::EnvelopePayload {
        blobs: messages
            .into_iter()
            .filter_map(|m| match m {
                Msg::SubmitBlob(blob) => Some((blob.namespace, blob.data)),
                _ => None,
            })
            .collect(),
    };
    key.seal(&chain.chain_id, &plan.account.address, sequence, &payload)
        .context("sealing an envelope")
}

/// Blob contents: a cheap pseudo-random fill, different for every blob.
fn blob_data(account: u32, sequence: u64, message: u64, size: usize) -> Vec<u8> {
    let mut x = (u64::from(account) << 44) ^ (sequence << 8) ^ message ^ 0x9e37_79b9_7f4a_7c15;
    let mut data = Vec::with_capacity(size);
    while data.len() < size {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let word = x.to_le_bytes();
        let take = word.len().min(size - data.len());
        data.extend_from_slice(&word[..take]);
    }
    data
}

/// The size of a Quire tx of this shape (what the kvstore baseline's txs are
/// made to weigh). Sequence and account number are taken large so no real tx
/// is bigger.
pub fn quire_tx_size(chain: &ChainInfo, shape: &Shape) -> anyhow::Result<usize> {
    let accounts = derive_accounts(0, 1)?;
    let plan = AccountPlan {
        index: 0,
        account: &accounts[0],
        account_number: 100_000,
        first_sequence: 1_000_000,
    };
    let txs = quire_txs(chain, &plan, 1, shape, &namespaces(1), 1)?;
    Ok(txs.first().map(|tx| tx.bytes.len()).unwrap_or_default())
}

/// Builds kvstore txs of `size` bytes for one account.
pub fn kvstore_txs(index: u32, size: usize, count: usize) -> Vec<PreparedTx> {
    (0..count as u64)
        .map(|sequence| {
            let key = TxKey {
                account: index,
                sequence,
            };
            PreparedTx {
                key,
                bytes: kvstore_tx(key, size),
                blob_bytes: 0,
                namespace: None,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain() -> ChainInfo {
        ChainInfo {
            chain_id: "quire-localnet".into(),
            params: Params::default(),
            encryption: None,
        }
    }

    #[test]
    fn accounts_are_deterministic_and_distinct() {
        let a = derive_accounts(7, 3).unwrap();
        let b = derive_accounts(7, 3).unwrap();
        let c = derive_accounts(8, 3).unwrap();
        assert_eq!(a[2].address, b[2].address);
        assert_ne!(a[0].address, a[1].address);
        assert_ne!(a[0].address, c[0].address);
    }

    #[test]
    fn kvstore_txs_have_the_size_and_form_kvstore_accepts() {
        let key = TxKey {
            account: 12,
            sequence: 345,
        };
        let tx = kvstore_tx(key, 500);
        assert_eq!(tx.len(), 500);
        assert_eq!(tx.iter().filter(|b| **b == b'=').count(), 1);
        assert!(!tx.contains(&b':'));
        assert!(!tx.starts_with(b"val"));
        let text = String::from_utf8(tx).unwrap();
        let (k, _) = text.split_once('=').unwrap();
        assert_eq!(parse_kvstore_key(k), Some(key));
        assert_eq!(parse_kvstore_key("lg1"), None);
        assert_eq!(parse_kvstore_key("val=1"), None);
    }

    #[test]
    fn quire_txs_decode_and_spread_over_namespaces() {
        let accounts = derive_accounts(1, 2).unwrap();
        let shape = Shape {
            blob_size: 250,
            blobs_per_tx: 4,
            namespaces: 6,
            encrypt: false,
        };
        let all = namespaces(shape.namespaces);
        let plan = AccountPlan {
            index: 1,
            account: &accounts[1],
            account_number: 9,
            first_sequence: 3,
        };
        let txs = quire_txs(&chain(), &plan, 2, &shape, &all, 3).unwrap();
        assert_eq!(txs.len(), 3);
        let mut seen = std::collections::BTreeSet::new();
        let machine = quire_test_utils::machine();
        for (j, tx) in txs.iter().enumerate() {
            let decoded = machine.decode_tx(&tx.bytes).unwrap();
            decoded.verify_signature("quire-localnet", 9).unwrap();
            assert_eq!(decoded.sequence, 3 + j as u64);
            assert_eq!(decoded.signer, accounts[1].address);
            assert_eq!(quire_app::blob::tx_blob_bytes(&decoded), 1000);
            for blob in decoded.messages_of::<quire_core::msg::SubmitBlob>() {
                assert_eq!(blob.data.len(), 250);
                seen.insert(blob.namespace);
            }
        }
        assert_eq!(seen.len(), 6, "12 blobs round-robin over 6 namespaces");
        let size = quire_tx_size(&chain(), &shape).unwrap();
        assert!(txs.iter().all(|tx| tx.bytes.len() <= size));
    }
}
