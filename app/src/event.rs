//! Events: what a transaction did, in the form CometBFT indexes
//! (`tx_search "blob.namespace='…'"`).

/// One event: a kind and its attributes, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// The kind, e.g. `blob`.
    pub kind: &'static str,
    /// The attributes, in order.
    pub attributes: Vec<EventAttribute>,
}

/// One attribute of an [`Event`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventAttribute {
    /// The key.
    pub key: &'static str,
    /// The value.
    pub value: String,
    /// Whether CometBFT's tx indexer indexes it.
    pub index: bool,
}

impl Event {
    /// An event of `kind` with no attributes yet.
    pub fn new(kind: &'static str) -> Self {
        Event {
            kind,
            attributes: Vec::new(),
        }
    }

    /// Adds an indexed attribute.
    pub fn indexed(mut self, key: &'static str, value: impl ToString) -> Self {
        self.attributes.push(EventAttribute {
            key,
            value: value.to_string(),
            index: true,
        });
        self
    }

    /// Adds an attribute that is not indexed.
    pub fn unindexed(mut self, key: &'static str, value: impl ToString) -> Self {
        self.attributes.push(EventAttribute {
            key,
            value: value.to_string(),
            index: false,
        });
        self
    }
}
