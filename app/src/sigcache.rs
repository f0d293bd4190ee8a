//! A bounded cache of verified transaction signatures, so a node checks each
//! transaction's secp256k1 signature once rather than in CheckTx, every
//! recheck, PrepareProposal, ProcessProposal and FinalizeBlock.
//!
//! What a signature check depends on: the SIGN_MODE_DIRECT sign doc is
//! `(body_bytes, auth_info_bytes, chain_id, account_number)`, and the public
//! key and signature are in `auth_info_bytes` and the envelope. The
//! transaction's bytes (only the canonical `TxRaw` encoding is accepted, see
//! [`crate::tx`]) fix everything but the chain id and the account number, so
//! an entry is keyed by `(sha256(tx bytes), account number)` and a cache
//! serves **one chain id at a time**: it remembers the chain id its entries
//! were verified for, a lookup under another chain id misses, and storing an
//! entry for another chain id first forgets every entry.
//!
//! The cache changes speed, never results: only successful verifications are
//! stored (by [`crate::tx::DecodedTx::verify_signature_cached`], the only
//! writer), and a hit stands for a verification that would succeed again. It is
//! deterministic (ordered maps, first-in first-out eviction, no clock or
//! randomness) and shared between threads behind a [`Mutex`] held only for a
//! lookup or an insert, never during a verification.

use std::collections::{BTreeSet, VecDeque};
use std::sync::{Mutex, MutexGuard};

/// Entries a node's cache holds by default: 100 000 verified (tx, account)
/// pairs, about 10 MB, many blocks' worth of a full mempool.
pub const DEFAULT_CAPACITY: usize = 100_000;

/// `(sha256 of the tx bytes, account number)`.
type Key = ([u8; 32], u64);

/// Counters of a cache's use, for tests and benchmarks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// Lookups that found a verified entry (the verification was skipped).
    pub hits: u64,
    /// Lookups that did not (the signature was verified).
    pub misses: u64,
    /// Entries held now.
    pub entries: usize,
}

/// Verified `(tx hash, account number)` pairs of one chain, at most
/// `capacity` of them; the oldest is evicted first. See the [module
/// docs](self).
#[derive(Debug)]
pub struct SignatureCache {
    capacity: usize,
    inner: Mutex<Inner>,
}

#[derive(Debug)]
struct Inner {
    /// The chain id every entry was verified for.
    chain_id: Option<String>,
    verified: BTreeSet<Key>,
    /// Insertion order, oldest first; the same keys as `verified`.
    order: VecDeque<Key>,
    hits: u64,
    misses: u64,
}

impl Default for SignatureCache {
    /// A cache of [`DEFAULT_CAPACITY`] entries.
    fn default() -> Self {
        Self::new(DEFAULT_CAPACITY)
    }
}

impl SignatureCache {
    /// An empty cache holding at most `capacity` entries (0: a cache that
    /// stores nothing, see [`SignatureCache::disabled`]).
    pub const fn new(capacity: usize) -> Self {
        SignatureCache {
            capacity,
            inner: Mutex::new(Inner {
                chain_id: None,
                verified: BTreeSet::new(),
                order: VecDeque::new(),
                hits: 0,
                misses: 0,
            }),
        }
    }

    /// A cache that stores nothing: every signature is verified every time.
    /// What tests and tools use to run without a cache.
    pub const fn disabled() -> Self {
        Self::new(0)
    }

    /// Most entries the cache holds.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// How much the cache was used, and how full it is.
    pub fn stats(&self) -> CacheStats {
        let inner = self.lock();
        CacheStats {
            hits: inner.hits,
            misses: inner.misses,
            entries: inner.verified.len(),
        }
    }

    /// Forgets every entry (the counters stay).
    pub fn clear(&self) {
        let mut inner = self.lock();
        inner.verified.clear();
        inner.order.clear();
        inner.chain_id = None;
    }

    /// Whether the signature of the tx hashing to `tx_hash` was verified for
    /// `account_number` on `chain_id`. Counts a hit or a miss.
    pub(crate) fn lookup(&self, tx_hash: &[u8; 32], account_number: u64, chain_id: &str) -> bool {
        if self.capacity == 0 {
            return false;
        }
        let mut inner = self.lock();
        let hit = inner.chain_id.as_deref() == Some(chain_id)
            && inner.verified.contains(&(*tx_hash, account_number));
        if hit {
            inner.hits += 1;
        } else {
            inner.misses += 1;
        }
        hit
    }

    /// Whether the tx hashing to `tx_hash` had its signature verified for any
    /// account number (its public key is then a valid secp256k1 point).
    pub(crate) fn knows_tx(&self, tx_hash: &[u8; 32]) -> bool {
        if self.capacity == 0 {
            return false;
        }
        self.lock()
            .verified
            .range((*tx_hash, 0)..=(*tx_hash, u64::MAX))
            .next()
            .is_some()
    }

    /// Records a *successful* verification. Only
    /// [`crate::tx::DecodedTx::verify_signature_cached`] calls it, right after
    /// the signature verified.
    pub(crate) fn insert(&self, tx_hash: [u8; 32], account_number: u64, chain_id: &str) {
        if self.capacity == 0 {
            return;
        }
        let mut inner = self.lock();
        if inner.chain_id.as_deref() != Some(chain_id) {
            inner.verified.clear();
            inner.order.clear();
            inner.chain_id = Some(chain_id.to_string());
        }
        let key = (tx_hash, account_number);
        if !inner.verified.insert(key) {
            return;
        }
        inner.order.push_back(key);
        while inner.order.len() > self.capacity {
            if let Some(oldest) = inner.order.pop_front() {
                inner.verified.remove(&oldest);
            }
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // No code path panics while holding the lock; should one ever, the
        // entries are still only successful verifications: keep using them.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hash(n: u8) -> [u8; 32] {
        [n; 32]
    }

    #[test]
    fn stores_up_to_capacity_and_evicts_the_oldest_first() {
        let cache = SignatureCache::new(3);
        for n in 0..3 {
            cache.insert(hash(n), 7, "c");
        }
        cache.insert(hash(1), 7, "c"); // already there: no reordering
        assert_eq!(cache.stats().entries, 3);
        cache.insert(hash(3), 7, "c");
        assert_eq!(cache.stats().entries, 3);
        assert!(!cache.lookup(&hash(0), 7, "c"), "oldest evicted");
        for n in 1..4 {
            assert!(cache.lookup(&hash(n), 7, "c"));
        }
        assert_eq!(
            cache.stats(),
            CacheStats {
                hits: 3,
                misses: 1,
                entries: 3
            }
        );
    }

    #[test]
    fn entries_are_per_account_number_and_chain() {
        let cache = SignatureCache::new(10);
        cache.insert(hash(1), 5, "chain-a");
        assert!(cache.lookup(&hash(1), 5, "chain-a"));
        assert!(!cache.lookup(&hash(1), 6, "chain-a"));
        assert!(!cache.lookup(&hash(1), 5, "chain-b"));
        assert!(cache.knows_tx(&hash(1)));
        assert!(!cache.knows_tx(&hash(2)));
        // Another chain id rebinds the cache: the old entries go.
        cache.insert(hash(2), 5, "chain-b");
        assert!(!cache.lookup(&hash(1), 5, "chain-a"));
        assert!(!cache.knows_tx(&hash(1)));
        assert!(cache.lookup(&hash(2), 5, "chain-b"));
        cache.clear();
        assert_eq!(cache.stats().entries, 0);
    }

    #[test]
    fn a_disabled_cache_stores_nothing() {
        let cache = SignatureCache::disabled();
        cache.insert(hash(1), 0, "c");
        assert!(!cache.lookup(&hash(1), 0, "c"));
        assert!(!cache.knows_tx(&hash(1)));
        assert_eq!(cache.stats(), CacheStats::default());
    }
}
