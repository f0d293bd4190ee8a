//! Fixtures shared by Quire's tests, benches and fuzz targets, written once:
//! committed state in memory ([`MemState`]), a seeded generator ([`Rng`]),
//! keys and signed transactions.

mod net;
pub use net::Net;

use cosmrs::crypto::secp256k1::SigningKey;
use quire_app::state::{TreeChanges, TreeRead};
use quire_app::{
    BlockContext, ChangeSet, FinalizedBlock, GenesisAccount, GenesisState, StateMachine, StateRead,
    StateReadError,
};
use quire_core::builder::{address_of, sign_tx, SignerContext};
use quire_core::{Msg, Namespace, Params};
use std::collections::BTreeMap;

/// Committed state in memory (what the node's store holds, minus the disk):
/// the entries, the state tree's nodes, the last app hash and height.
#[derive(Debug, Default, Clone)]
pub struct MemState {
    /// Every committed key and value.
    pub data: BTreeMap<Vec<u8>, Vec<u8>>,
    /// The state tree's nodes.
    pub tree: BTreeMap<Vec<u8>, Vec<u8>>,
    /// The app hash after the last committed block (or genesis).
    pub app_hash: [u8; 32],
    /// The last committed height (0 after genesis).
    pub height: u64,
}

impl StateRead for MemState {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StateReadError> {
        Ok(self.data.get(key).cloned())
    }

    fn prefix(&self, prefix: &[u8]) -> Result<quire_app::state::Entries, StateReadError> {
        Ok(self
            .data
            .range(prefix.to_vec()..)
            .take_while(|(key, _)| key.starts_with(prefix))
            .map(|(key, value)| (key.clone(), value.clone()))
            .collect())
    }
}

impl TreeRead for MemState {
    fn tree_node(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StateReadError> {
        Ok(self.tree.get(key).cloned())
    }
}

impl MemState {
    /// The committed state right after `genesis` for `chain_id` (next block: 1).
    pub fn from_genesis(machine: &StateMachine, genesis: &GenesisState, chain_id: &str) -> Self {
        let output = machine
            .genesis(chain_id, 1, genesis)
            .unwrap_or_else(|e| panic!("fixture genesis is invalid: {e}"));
        let mut state = MemState {
            app_hash: output.app_hash,
            ..Default::default()
        };
        state.apply(&output.changes, &output.tree);
        state
    }

    /// Applies a block's (or genesis') writes and tree changes.
    pub fn apply(&mut self, changes: &ChangeSet, tree: &TreeChanges) {
        for (key, value) in changes {
            match value {
                Some(value) => self.data.insert(key.clone(), value.clone()),
                None => self.data.remove(key),
            };
        }
        self.tree
            .extend(tree.nodes.iter().map(|(k, v)| (k.clone(), v.clone())));
        for key in &tree.stale {
            self.tree.remove(key);
        }
    }

    /// FinalizeBlock of the next height over this state, with `machine`.
    pub fn finalize(&self, machine: &StateMachine, txs: &[impl AsRef<[u8]>]) -> FinalizedBlock {
        machine
            .finalize_block(self, None, &BlockContext::at_height(self.height + 1), txs)
            .unwrap_or_else(|e| panic!("finalize: {e}"))
    }

    /// Commits a finalized block: its writes, tree, app hash and height.
    pub fn commit(&mut self, block: &FinalizedBlock) {
        self.apply(&block.changes, &block.tree);
        self.app_hash = block.app_hash;
        self.height = block.height;
    }
}

/// The standard state machine.
pub fn machine() -> StateMachine {
    StateMachine::standard()
        .build()
        .unwrap_or_else(|e| panic!("the standard state machine does not build: {e}"))
}

/// SplitMix64: small, seedable, good enough to drive test generation.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator seeded with `seed`.
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0; the modulo bias is irrelevant here).
    pub fn below(&mut self, n: u64) -> u64 {
        assert!(n > 0, "below(0)");
        self.next_u64() % n
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        assert!(lo <= hi, "empty range");
        lo + self.below(hi - lo + 1)
    }

    /// True with probability `p` percent.
    pub fn percent(&mut self, p: u64) -> bool {
        self.below(100) < p
    }

    /// `len` random bytes.
    pub fn bytes(&mut self, len: usize) -> Vec<u8> {
        let mut out = Vec::with_capacity(len + 8);
        while out.len() < len {
            out.extend_from_slice(&self.next_u64().to_le_bytes());
        }
        out.truncate(len);
        out
    }

    /// One of `items` (not empty).
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// Shuffles `items` in place (Fisher–Yates).
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i as u64 + 1) as usize;
            items.swap(i, j);
        }
    }

    /// A random secp256k1 key.
    pub fn key(&mut self) -> SigningKey {
        loop {
            if let Ok(key) = SigningKey::from_slice(&self.bytes(32)) {
                return key;
            }
        }
    }
}

/// Small limits, so that tests and fuzz inputs of a few KiB reach every
/// size rule: base fee 100, 2 per blob byte, blobs of at most 1000 bytes,
/// 3000 per block, txs of at most 4000.
pub fn small_params() -> Params {
    Params {
        base_fee: 100,
        fee_per_blob_byte: 2,
        max_blob_bytes: 1000,
        max_block_blob_bytes: 3000,
        max_tx_bytes: 4000,
        ..Params::default()
    }
}

/// The key whose secret is 32 bytes of `seed`.
pub fn key(seed: u8) -> SigningKey {
    SigningKey::from_slice(&[seed; 32]).unwrap_or_else(|e| panic!("key {seed}: {e}"))
}

/// The ed25519 consensus public key whose secret is 32 bytes of `seed`.
pub fn consensus_key(seed: u8) -> [u8; 32] {
    ed25519_consensus::SigningKey::from([seed; 32])
        .verification_key()
        .to_bytes()
}

/// A genesis funding `keys` with `balance` each (account numbers in order).
pub fn genesis(params: Params, keys: &[&SigningKey], balance: u128) -> GenesisState {
    GenesisState {
        staking: Default::default(),
        l1: None,
        encryption: None,
        params,
        accounts: keys
            .iter()
            .map(|k| GenesisAccount {
                address: address_of(k).to_bech32(),
                balance,
            })
            .collect(),
    }
}

/// Signs `msgs` for `chain_id` with the fee in uquire and no timeout.
pub fn signed_tx(
    chain_id: &str,
    key: &SigningKey,
    account_number: u64,
    sequence: u64,
    fee: u128,
    msgs: &[Msg],
) -> Vec<u8> {
    let context = SignerContext {
        chain_id: chain_id.into(),
        account_number,
        sequence,
        fee_denom: "uquire".into(),
        fee,
        timeout_height: 0,
        memo: String::new(),
    };
    sign_tx(key, &context, msgs).unwrap_or_else(|e| panic!("signing: {e}"))
}

/// A blob of `data` for the rollup `rollup`.
pub fn blob(rollup: &str, data: &[u8]) -> Msg {
    Msg::submit_blob(Namespace::from_rollup_name(rollup), data.to_vec())
}

/// A stand-in for CometBFT's block hash in tests: sha256 of the parent
/// height and the block's txs (distinct per height and content).
pub fn block_hash(parent_height: u64, txs: &[impl AsRef<[u8]>]) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    hasher.update(parent_height.to_be_bytes());
    for tx in txs {
        hasher.update(tx.as_ref());
    }
    hasher.finalize().into()
}

/// The context of block `height` with hash `hash` (zero while proposed),
/// carrying `votes` as the last commit, at time 1000 + height seconds.
pub fn block_ctx(
    height: u64,
    hash: [u8; 32],
    votes: Vec<quire_app::context::VoteInfo>,
) -> quire_app::BlockContext {
    quire_app::BlockContext {
        height,
        time: quire_app::context::Timestamp::from_seconds(1_000 + height as i64),
        hash,
        last_commit: quire_app::context::CommitInfo { round: 0, votes },
        ..quire_app::BlockContext::default()
    }
}
