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

/// Where a transaction's events go: collected in FinalizeBlock, skipped
/// everywhere else (CheckTx and proposals return no events, so they do not
/// pay for building them).
#[derive(Debug, Default)]
pub struct Events {
    enabled: bool,
    /// The signer's bech32 form, computed once per transaction.
    signer: Option<String>,
    list: Vec<Event>,
}

impl Events {
    /// A sink that collects (`true`) or drops (`false`) what is emitted.
    pub fn new(enabled: bool) -> Self {
        Events {
            enabled,
            ..Events::default()
        }
    }

    /// Adds the event `make` builds from the signer's bech32 address, if
    /// this sink collects events.
    pub fn emit(&mut self, signer: &quire_core::Address, make: impl FnOnce(&str) -> Event) {
        if !self.enabled {
            return;
        }
        let signer = self.signer.get_or_insert_with(|| signer.to_bech32());
        let event = make(signer);
        self.list.push(event);
    }

    /// The events collected, in order.
    pub fn into_vec(self) -> Vec<Event> {
        self.list
    }
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
