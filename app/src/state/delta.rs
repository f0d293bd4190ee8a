//! [`StateDelta`]: uncommitted writes and objects over a base state.

use super::{StateRead, StateWrite};
use crate::error::StateReadError;
use std::any::Any;
use std::collections::BTreeMap;

/// Writes of one block (or of genesis): key -> new value, `None` deletes.
/// A BTreeMap, so iteration (and everything hashed from it) is in key order.
pub type ChangeSet = BTreeMap<Vec<u8>, Option<Vec<u8>>>;

/// Uncommitted writes and objects layered over a base state.
pub struct StateDelta<'a> {
    base: &'a dyn StateRead,
    changes: ChangeSet,
    objects: BTreeMap<Vec<u8>, Box<dyn Any>>,
}

/// What a delta recorded, to be applied to the delta it was layered over.
pub struct DeltaParts {
    changes: ChangeSet,
    objects: BTreeMap<Vec<u8>, Box<dyn Any>>,
}

impl<'a> StateDelta<'a> {
    /// A delta with no writes yet.
    pub fn new(base: &'a dyn StateRead) -> Self {
        Self::with_changes(base, ChangeSet::new())
    }

    /// A delta that resumes earlier writes over `base`.
    pub fn with_changes(base: &'a dyn StateRead, changes: ChangeSet) -> Self {
        StateDelta {
            base,
            changes,
            objects: BTreeMap::new(),
        }
    }

    /// The writes so far.
    pub fn changes(&self) -> &ChangeSet {
        &self.changes
    }

    /// Gives up the writes (objects are dropped).
    pub fn into_changes(self) -> ChangeSet {
        self.changes
    }

    /// Gives up writes and objects, to [`apply`](Self::apply) them to the
    /// delta this one was layered over.
    pub fn into_parts(self) -> DeltaParts {
        DeltaParts {
            changes: self.changes,
            objects: self.objects,
        }
    }

    /// Applies what a delta layered over this one recorded.
    pub fn apply(&mut self, parts: DeltaParts) {
        self.changes.extend(parts.changes);
        self.objects.extend(parts.objects);
    }

    /// Removes and returns this delta's objects whose keys start with
    /// `prefix`, in key order (only this delta's own objects).
    pub fn take_objects(&mut self, prefix: &[u8]) -> Vec<(Vec<u8>, Box<dyn Any>)> {
        let keys: Vec<Vec<u8>> = self
            .objects
            .range(prefix.to_vec()..)
            .take_while(|(key, _)| key.starts_with(prefix))
            .map(|(key, _)| key.clone())
            .collect();
        keys.into_iter()
            .filter_map(|key| self.objects.remove(&key).map(|object| (key, object)))
            .collect()
    }
}

impl StateRead for StateDelta<'_> {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StateReadError> {
        match self.changes.get(key) {
            Some(value) => Ok(value.clone()),
            None => self.base.get(key),
        }
    }

    fn prefix(&self, prefix: &[u8]) -> Result<super::Entries, StateReadError> {
        super::merge_prefix(self.base, &self.changes, prefix)
    }

    fn object(&self, key: &[u8]) -> Option<&dyn Any> {
        match self.objects.get(key) {
            Some(object) => Some(object.as_ref()),
            None => self.base.object(key),
        }
    }

    fn object_prefix(&self, prefix: &[u8]) -> Vec<(Vec<u8>, &dyn Any)> {
        let mut merged: BTreeMap<Vec<u8>, &dyn Any> =
            self.base.object_prefix(prefix).into_iter().collect();
        for (key, object) in self
            .objects
            .range(prefix.to_vec()..)
            .take_while(|(key, _)| key.starts_with(prefix))
        {
            merged.insert(key.clone(), object.as_ref());
        }
        merged.into_iter().collect()
    }
}

impl StateWrite for StateDelta<'_> {
    fn put_raw(&mut self, key: Vec<u8>, value: Vec<u8>) {
        self.changes.insert(key, Some(value));
    }

    fn delete(&mut self, key: Vec<u8>) {
        self.changes.insert(key, None);
    }

    fn put_object(&mut self, key: Vec<u8>, value: Box<dyn Any>) {
        self.objects.insert(key, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::{EmptyState, ObjectRead};

    #[test]
    fn a_delta_reads_its_own_writes_over_the_base() {
        let mut base = StateDelta::new(&EmptyState);
        base.put_raw(b"a/1".to_vec(), b"one".to_vec());
        base.put_raw(b"a/2".to_vec(), b"two".to_vec());
        base.put_raw(b"b/1".to_vec(), b"other".to_vec());
        let mut delta = StateDelta::new(&base);
        delta.put_raw(b"a/3".to_vec(), b"three".to_vec());
        delta.delete(b"a/1".to_vec());
        assert_eq!(delta.get(b"a/1").unwrap(), None);
        assert_eq!(delta.get(b"a/2").unwrap(), Some(b"two".to_vec()));
        assert_eq!(base.get(b"a/1").unwrap(), Some(b"one".to_vec()));
        let keys: Vec<Vec<u8>> = delta
            .prefix(b"a/")
            .unwrap()
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        assert_eq!(keys, vec![b"a/2".to_vec(), b"a/3".to_vec()]);
    }

    #[test]
    fn objects_nest_and_apply_like_writes() {
        let mut block = StateDelta::new(&EmptyState);
        block.put_object(b"x/used".to_vec(), Box::new(5u64));
        {
            let mut tx = StateDelta::new(&block);
            assert_eq!(tx.object_get::<u64>(b"x/used"), Some(&5));
            tx.put_object(b"x/used".to_vec(), Box::new(7u64));
            tx.put_object(b"x/item/1".to_vec(), Box::new("a"));
            let parts = tx.into_parts();
            block.apply(parts);
        }
        {
            // A dropped (failed) delta leaves nothing.
            let mut tx = StateDelta::new(&block);
            tx.put_object(b"x/item/2".to_vec(), Box::new("b"));
        }
        assert_eq!(block.object_get::<u64>(b"x/used"), Some(&7));
        assert_eq!(block.object_get::<String>(b"x/used"), None);
        let items = block.take_objects(b"x/item/");
        assert_eq!(items.len(), 1);
        assert!(block.object(b"x/item/1").is_none());
    }
}
