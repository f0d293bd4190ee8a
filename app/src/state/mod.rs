//! How the app reads and writes state.
//!
//! The app never touches a database. It reads committed state through
//! [`StateRead`] (the node's store implements it) and records writes in a
//! [`StateDelta`] layered over it; the node persists the delta's
//! [`ChangeSet`] atomically at Commit. Deltas nest: a transaction runs on a
//! delta over the block's delta, so a transaction that fails leaves nothing
//! behind.
//!
//! Besides bytes, a delta carries *objects*: typed values that live only
//! while the block (or the check) runs and are never persisted — e.g. the
//! blobs a block has collected so far. They nest and are dropped with their
//! delta like writes.
//!
//! Each component owns the keys under its prefix and reads and writes them
//! through typed extension traits of its own (`crate::auth::state`, …).

mod delta;
pub mod snapshot;
pub mod tree;

pub use delta::{ChangeSet, StateDelta};
pub use tree::{TreeChanges, TreeRead};

use crate::error::StateReadError;
use std::any::Any;

/// `(key, value)` pairs in key order.
pub type Entries = Vec<(Vec<u8>, Vec<u8>)>;

/// Read access to state: committed, or committed plus a delta.
pub trait StateRead {
    /// The value stored under `key`, if any.
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StateReadError>;

    /// Every `(key, value)` whose key starts with `prefix`, in key order.
    fn prefix(&self, prefix: &[u8]) -> Result<Entries, StateReadError>;

    /// A page of [`prefix`](Self::prefix): at most `limit` entries under
    /// `prefix` from the key `from` on (from the first when `None`), in key
    /// order. Committed state reads only the page; this default, for
    /// in-memory states, filters the whole prefix.
    fn page(
        &self,
        prefix: &[u8],
        from: Option<&[u8]>,
        limit: usize,
    ) -> Result<Entries, StateReadError> {
        Ok(page_of(self.prefix(prefix)?, from, limit))
    }

    /// The object stored under `key` in this block's (or check's) deltas.
    /// Committed state holds none.
    fn object(&self, _key: &[u8]) -> Option<&dyn Any> {
        None
    }

    /// Every object whose key starts with `prefix`, in key order.
    fn object_prefix(&self, _prefix: &[u8]) -> Vec<(Vec<u8>, &dyn Any)> {
        Vec::new()
    }
}

/// Committed state as the node's store holds it: the entries and the state
/// tree's nodes.
pub trait CommittedState: StateRead + TreeRead {}

impl<T: StateRead + TreeRead + ?Sized> CommittedState for T {}

/// Write access to state: what a [`StateDelta`] records.
pub trait StateWrite: StateRead {
    /// Writes `value` under `key`.
    fn put_raw(&mut self, key: Vec<u8>, value: Vec<u8>);

    /// Deletes `key`.
    fn delete(&mut self, key: Vec<u8>);

    /// Stores an object under `key` until the delta is dropped (never
    /// persisted).
    fn put_object(&mut self, key: Vec<u8>, value: Box<dyn Any>);
}

/// Typed access to objects.
pub trait ObjectRead: StateRead {
    /// The object under `key`, if it is a `T`.
    fn object_get<T: 'static>(&self, key: &[u8]) -> Option<&T> {
        self.object(key)
            .and_then(|object| object.downcast_ref::<T>())
    }
}

impl<S: StateRead + ?Sized> ObjectRead for S {}

/// An empty state: what a node has before genesis.
pub struct EmptyState;

impl StateRead for EmptyState {
    fn get(&self, _key: &[u8]) -> Result<Option<Vec<u8>>, StateReadError> {
        Ok(None)
    }

    fn prefix(&self, _prefix: &[u8]) -> Result<Entries, StateReadError> {
        Ok(Vec::new())
    }
}

/// Decodes a stored u64 (8 bytes, big-endian).
pub fn decode_u64(bytes: &[u8], what: &str) -> Result<u64, StateReadError> {
    let array: [u8; 8] = bytes
        .try_into()
        .map_err(|_| StateReadError(format!("corrupt {what}")))?;
    Ok(u64::from_be_bytes(array))
}

/// Decodes a stored u128 (16 bytes, big-endian).
pub fn decode_u128(bytes: &[u8], what: &str) -> Result<u128, StateReadError> {
    let array: [u8; 16] = bytes
        .try_into()
        .map_err(|_| StateReadError(format!("corrupt {what}")))?;
    Ok(u128::from_be_bytes(array))
}

/// Writes not yet persisted (e.g. genesis, until the first Commit) read
/// through to a base state, without copying them.
pub struct Overlay<'a> {
    /// The writes on top.
    pub changes: Option<&'a ChangeSet>,
    /// The state below.
    pub base: &'a dyn StateRead,
}

impl StateRead for Overlay<'_> {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StateReadError> {
        match self.changes.and_then(|changes| changes.get(key)) {
            Some(value) => Ok(value.clone()),
            None => self.base.get(key),
        }
    }

    fn prefix(&self, prefix: &[u8]) -> Result<Entries, StateReadError> {
        let Some(changes) = self.changes else {
            return self.base.prefix(prefix);
        };
        merge_prefix(self.base, changes, prefix)
    }

    fn page(
        &self,
        prefix: &[u8],
        from: Option<&[u8]>,
        limit: usize,
    ) -> Result<Entries, StateReadError> {
        let Some(changes) = self.changes else {
            return self.base.page(prefix, from, limit);
        };
        Ok(page_of(
            merge_prefix(self.base, changes, prefix)?,
            from,
            limit,
        ))
    }
}

/// The page of `entries` (in key order) from the key `from` on, at most
/// `limit` long.
fn page_of(mut entries: Entries, from: Option<&[u8]>, limit: usize) -> Entries {
    if let Some(from) = from {
        entries.retain(|(key, _)| key.as_slice() >= from);
    }
    entries.truncate(limit);
    entries
}

/// `base`'s entries under `prefix` with `changes` applied, in key order.
fn merge_prefix(
    base: &dyn StateRead,
    changes: &ChangeSet,
    prefix: &[u8],
) -> Result<Entries, StateReadError> {
    let mut merged: std::collections::BTreeMap<Vec<u8>, Vec<u8>> =
        base.prefix(prefix)?.into_iter().collect();
    for (key, value) in changes
        .range(prefix.to_vec()..)
        .take_while(|(key, _)| key.starts_with(prefix))
    {
        match value {
            Some(value) => merged.insert(key.clone(), value.clone()),
            None => merged.remove(key),
        };
    }
    Ok(merged.into_iter().collect())
}
