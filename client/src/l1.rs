//! Reads verified on the L1 (feature `l1`, docs/l1.md): a namespace at a
//! height is checked against the history root that the `QuireAnchor`
//! contract holds at the L1's finalized block, so the reader trusts the
//! anchor contract (whose set rotates only through checkpoints signed by
//! more than 2/3 of the old set) and the L1, not any Quire node.
//!
//! The L1 is read with plain JSON-RPC `eth_call`s (no Ethereum library):
//! the anchor's `latest()`, `initialHeight()` and `historyRoot(uint64)`.

use crate::read::{ReadClient, ReadError};
use quire_core::commitment::{NamespaceCommitment, NamespaceProof, ProofError};
use quire_core::l1::{history, keccak256, L1Address};
use quire_core::merkle::InclusionProof;
use quire_core::proto::{Protobuf, WireError};
use quire_core::{Address, Namespace};
use std::time::Duration;
use thiserror::Error;

/// Largest JSON-RPC answer read from the L1 node.
const MAX_RESPONSE_BYTES: usize = 1 << 20;

/// Why a read could not be verified on the L1.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum L1Error {
    /// The L1 node could not be reached or answered with an error.
    #[error("L1 RPC {url}: {reason}")]
    Rpc {
        /// The endpoint.
        url: String,
        /// What failed.
        reason: String,
    },
    /// An answer that does not have the expected shape.
    #[error("malformed L1 answer to {0}: {1}")]
    Malformed(&'static str, String),
    /// The anchor is frozen: conflicting checkpoints were signed.
    #[error("the anchor at {0} is frozen: more than 1/3 of Quire's validators signed conflicting checkpoints; nothing it holds can be trusted")]
    Frozen(L1Address),
    /// The height is not in the history anchored at the finalized block.
    #[error("height {height} is not anchored yet: the anchor's finalized history holds heights below {below}")]
    NotAnchoredYet {
        /// Asked for.
        height: u64,
        /// Every height below it is anchored.
        below: u64,
    },
    /// No contract at the address at that L1 block (not deployed yet, or
    /// not final yet, or a wrong address).
    #[error("no contract at {address} at L1 block {block} (not deployed or not final yet, or a wrong address)")]
    NoContract {
        /// The address.
        address: L1Address,
        /// The block read.
        block: String,
    },
    /// The height is below the chain's initial height.
    #[error("height {height} is below the chain's initial height {initial}")]
    BelowInitial {
        /// Asked for.
        height: u64,
        /// The anchor's initial height.
        initial: u64,
    },
    /// The Quire node's history proof does not match the anchored root.
    #[error("the history proof of height {height} does not lead to the anchored root: {reason}")]
    History {
        /// The height.
        height: u64,
        /// Why.
        reason: String,
    },
    /// The namespace proof fails against the height's anchored commitment.
    #[error("namespace proof fails against the anchored commitment: {0}")]
    Proof(#[from] ProofError),
    /// A message from the Quire node does not decode.
    #[error(transparent)]
    Wire(#[from] WireError),
    /// The Quire node's read API failed.
    #[error(transparent)]
    Read(#[from] ReadError),
}

/// Which L1 block an `eth_call` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockTag {
    /// The latest finalized block.
    Finalized,
    /// The head.
    Latest,
    /// A block number.
    Number(u64),
}

impl std::fmt::Display for BlockTag {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BlockTag::Finalized => f.write_str("finalized"),
            BlockTag::Latest => f.write_str("latest"),
            BlockTag::Number(n) => write!(f, "{n}"),
        }
    }
}

impl BlockTag {
    fn to_json(self) -> serde_json::Value {
        match self {
            BlockTag::Finalized => "finalized".into(),
            BlockTag::Latest => "latest".into(),
            BlockTag::Number(n) => format!("{n:#x}").into(),
        }
    }
}

/// A minimal Ethereum JSON-RPC client: `eth_call` and block numbers.
#[derive(Debug, Clone)]
pub struct EthRpc {
    url: String,
    http: reqwest::Client,
}

impl EthRpc {
    /// A client of the node at `url` (e.g. `http://127.0.0.1:8545`).
    pub fn new(url: &str) -> Result<Self, L1Error> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .map_err(|e| L1Error::Rpc {
                url: url.into(),
                reason: e.to_string(),
            })?;
        Ok(EthRpc {
            url: url.to_string(),
            http,
        })
    }

    fn rpc_error(&self, reason: impl ToString) -> L1Error {
        L1Error::Rpc {
            url: self.url.clone(),
            reason: reason.to_string(),
        }
    }

    /// One JSON-RPC request; the `result`, or the node's error.
    async fn request(
        &self,
        method: &'static str,
        params: serde_json::Value,
    ) -> Result<serde_json::Value, L1Error> {
        let body =
            serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
        let mut response = self
            .http
            .post(&self.url)
            .json(&body)
            .send()
            .await
            .map_err(|e| self.rpc_error(e))?;
        let mut bytes = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| self.rpc_error(e))? {
            if bytes.len() + chunk.len() > MAX_RESPONSE_BYTES {
                return Err(self.rpc_error(format!(
                    "{method} answer is larger than {MAX_RESPONSE_BYTES} bytes"
                )));
            }
            bytes.extend_from_slice(&chunk);
        }
        let mut answer: serde_json::Value = serde_json::from_slice(&bytes)
            .map_err(|e| L1Error::Malformed(method, format!("not JSON: {e}")))?;
        if let Some(error) = answer.get("error") {
            return Err(self.rpc_error(format!("{method}: {error}")));
        }
        answer
            .get_mut("result")
            .map(serde_json::Value::take)
            .ok_or_else(|| L1Error::Malformed(method, "no result".into()))
    }

    /// `eth_call` of `data` on `to` at `block`; the returned bytes.
    pub async fn call(
        &self,
        to: &L1Address,
        data: &[u8],
        block: BlockTag,
    ) -> Result<Vec<u8>, L1Error> {
        let params = serde_json::json!([
            {"to": to.to_string(), "data": format!("0x{}", hex::encode(data))},
            block.to_json()
        ]);
        let result = self.request("eth_call", params).await?;
        hex_bytes("eth_call", &result)
    }

    /// The number of the block `tag` names.
    pub async fn block_number(&self, tag: BlockTag) -> Result<u64, L1Error> {
        let block = self
            .request(
                "eth_getBlockByNumber",
                serde_json::json!([tag.to_json(), false]),
            )
            .await?;
        let number = block
            .get("number")
            .and_then(serde_json::Value::as_str)
            .ok_or_else(|| L1Error::Malformed("eth_getBlockByNumber", "no block number".into()))?;
        hex_u64("eth_getBlockByNumber", number)
    }
}

fn hex_bytes(what: &'static str, value: &serde_json::Value) -> Result<Vec<u8>, L1Error> {
    let text = value
        .as_str()
        .and_then(|t| t.strip_prefix("0x"))
        .ok_or_else(|| L1Error::Malformed(what, "not 0x-prefixed hex".into()))?;
    hex::decode(text).map_err(|e| L1Error::Malformed(what, e.to_string()))
}

fn hex_u64(what: &'static str, text: &str) -> Result<u64, L1Error> {
    let digits = text
        .strip_prefix("0x")
        .ok_or_else(|| L1Error::Malformed(what, format!("{text:?} is not 0x-prefixed")))?;
    u64::from_str_radix(digits, 16).map_err(|e| L1Error::Malformed(what, e.to_string()))
}

/// The first four bytes of keccak-256 of a function's signature.
fn selector(signature: &str) -> [u8; 4] {
    let hash = keccak256(signature.as_bytes());
    [hash[0], hash[1], hash[2], hash[3]]
}

/// ABI word `index` of `data` as a u64 (the upper 24 bytes must be zero).
fn word_u64(what: &'static str, data: &[u8], index: usize) -> Result<u64, L1Error> {
    let word = data.get(index * 32..(index + 1) * 32).ok_or_else(|| {
        L1Error::Malformed(what, format!("{} bytes, want word {index}", data.len()))
    })?;
    if word[..24].iter().any(|&b| b != 0) {
        return Err(L1Error::Malformed(
            what,
            format!("word {index} is not a uint64"),
        ));
    }
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&word[24..]);
    Ok(u64::from_be_bytes(bytes))
}

/// The anchor's head: `QuireAnchor.latest()`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AnchorHead {
    /// The newest anchored Quire height (0 before the first).
    pub height: u64,
    /// Its history size: heights `initial..initial + size` are anchored.
    pub history_size: u64,
    /// The L1 block that anchored it.
    pub l1_block: u64,
    /// Whether the anchor is frozen.
    pub frozen: bool,
}

/// Reads a `QuireAnchor` contract.
#[derive(Debug, Clone)]
pub struct AnchorReader {
    rpc: EthRpc,
    address: L1Address,
}

impl AnchorReader {
    /// The anchor at `address` on the L1 `rpc` talks to.
    pub fn new(rpc: EthRpc, address: L1Address) -> Self {
        AnchorReader { rpc, address }
    }

    /// The L1 client.
    pub fn rpc(&self) -> &EthRpc {
        &self.rpc
    }

    /// The contract's address.
    pub fn address(&self) -> L1Address {
        self.address
    }

    /// `latest()` at `block`.
    pub async fn head(&self, block: BlockTag) -> Result<AnchorHead, L1Error> {
        let data = self
            .rpc
            .call(&self.address, &selector("latest()"), block)
            .await?;
        if data.is_empty() {
            return Err(L1Error::NoContract {
                address: self.address,
                block: block.to_string(),
            });
        }
        let frozen = word_u64("latest()", &data, 3)?;
        Ok(AnchorHead {
            height: word_u64("latest()", &data, 0)?,
            history_size: word_u64("latest()", &data, 1)?,
            l1_block: word_u64("latest()", &data, 2)?,
            frozen: frozen != 0,
        })
    }

    /// `initialHeight()`.
    pub async fn initial_height(&self, block: BlockTag) -> Result<u64, L1Error> {
        let data = self
            .rpc
            .call(&self.address, &selector("initialHeight()"), block)
            .await?;
        word_u64("initialHeight()", &data, 0)
    }

    /// `historyRoot(size)` at `block` (zero if none was anchored at `size`).
    pub async fn history_root(&self, size: u64, block: BlockTag) -> Result<[u8; 32], L1Error> {
        let mut data = selector("historyRoot(uint64)").to_vec();
        data.extend_from_slice(&[0u8; 24]);
        data.extend_from_slice(&size.to_be_bytes());
        let answer = self.rpc.call(&self.address, &data, block).await?;
        answer
            .get(..32)
            .and_then(|w| <[u8; 32]>::try_from(w).ok())
            .ok_or_else(|| L1Error::Malformed("historyRoot()", format!("{} bytes", answer.len())))
    }
}

/// A namespace's blobs at a height, verified against the anchor at the
/// L1's finalized block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct L1VerifiedNamespace {
    /// Height.
    pub height: u64,
    /// Namespace.
    pub namespace: Namespace,
    /// The blobs, complete and in block order (empty when absent).
    pub blobs: Vec<(Address, Vec<u8>)>,
    /// The finalized L1 block the anchor was read at.
    pub l1_block: u64,
    /// The anchor's newest height at that block.
    pub anchored_height: u64,
    /// The anchored history size the height was proven in.
    pub history_size: u64,
}

/// Reads `namespace` at `height` from `read` and verifies it against the
/// history root `anchor` holds at the L1's finalized block: the height's
/// leaf (block hash, namespace count and root) by its history proof, then
/// the blobs by their namespace proof.
pub async fn verify_namespace(
    read: &ReadClient,
    anchor: &AnchorReader,
    height: u64,
    namespace: &Namespace,
) -> Result<L1VerifiedNamespace, L1Error> {
    let l1_block = anchor.rpc().block_number(BlockTag::Finalized).await?;
    let at = BlockTag::Number(l1_block);
    let head = anchor.head(at).await?;
    if head.frozen {
        return Err(L1Error::Frozen(anchor.address()));
    }
    let initial = anchor.initial_height(at).await?;
    let index = height
        .checked_sub(initial)
        .ok_or(L1Error::BelowInitial { height, initial })?;
    if index >= head.history_size {
        return Err(L1Error::NotAnchoredYet {
            height,
            below: initial + head.history_size,
        });
    }
    let root = anchor.history_root(head.history_size, at).await?;
    let proof = read.history_proof(height, head.history_size).await?;
    let history_error = |reason: String| L1Error::History { height, reason };
    let block_hash: [u8; 32] = proof
        .block_hash
        .as_slice()
        .try_into()
        .map_err(|_| history_error("block hash is not 32 bytes".into()))?;
    let namespace_root: [u8; 32] = proof
        .namespace_root
        .as_slice()
        .try_into()
        .map_err(|_| history_error("namespace root is not 32 bytes".into()))?;
    let merkle = InclusionProof::try_from_raw(
        proof
            .proof
            .as_ref()
            .ok_or_else(|| history_error("no Merkle proof".into()))?,
    )?;
    if proof.height != height || merkle.index != index || merkle.total != head.history_size {
        return Err(history_error(format!(
            "proof is for height {} at index {} of {}, want index {index} of {}",
            proof.height, merkle.index, merkle.total, head.history_size
        )));
    }
    let leaf = history::height_leaf(height, &block_hash, proof.namespace_count, &namespace_root);
    merkle
        .verify(&root, &leaf)
        .map_err(|e| history_error(e.to_string()))?;

    let data = read.namespace(height, namespace).await?;
    if data.height != height || data.namespace != namespace.as_bytes() {
        return Err(history_error(
            "the node answered another height or namespace".into(),
        ));
    }
    let namespace_proof = NamespaceProof::try_from_raw(data.proof.as_ref().ok_or(WireError {
        field: "proof",
        reason: "missing".into(),
    })?)?;
    let blobs = data
        .blobs
        .iter()
        .map(|b| Ok((quire_core::proto::blob_signer(b)?, b.data.as_slice())))
        .collect::<Result<Vec<(Address, &[u8])>, WireError>>()?;
    let commitment = NamespaceCommitment {
        height,
        namespace_count: proof.namespace_count,
        namespace_root,
    };
    namespace_proof.verify(&commitment, namespace, &blobs)?;
    Ok(L1VerifiedNamespace {
        height,
        namespace: *namespace,
        blobs: blobs.into_iter().map(|(s, d)| (s, d.to_vec())).collect(),
        l1_block,
        anchored_height: head.height,
        history_size: head.history_size,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selectors_and_abi_words_are_read_exactly() {
        // The ERC-20 transfer selector everyone knows.
        assert_eq!(
            selector("transfer(address,uint256)"),
            [0xa9, 0x05, 0x9c, 0xbb]
        );
        let mut data = vec![0u8; 64];
        data[31] = 7;
        data[63] = 1;
        assert_eq!(word_u64("t", &data, 0).unwrap(), 7);
        assert_eq!(word_u64("t", &data, 1).unwrap(), 1);
        assert!(word_u64("t", &data, 2).is_err(), "past the end");
        data[0] = 1;
        assert!(word_u64("t", &data, 0).is_err(), "not a uint64");
        assert_eq!(hex_u64("n", "0x1f").unwrap(), 31);
        assert!(hex_u64("n", "1f").is_err());
        assert!(hex_bytes("b", &serde_json::json!("0xzz")).is_err());
        assert_eq!(BlockTag::Number(255).to_json(), serde_json::json!("0xff"));
    }
}
