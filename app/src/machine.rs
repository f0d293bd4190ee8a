//! [`StateMachine`]: the components in their fixed order, the message
//! router, and the pure block functions over them. Every method takes the
//! state it reads and returns what it computed; nothing here remembers
//! anything between calls but the signature cache (which changes only how
//! fast). The ABCI call order around it is [`crate::App`]'s.

use crate::auth::Auth;
use crate::bank::Bank;
use crate::blob::Blobs;
use crate::block::{finalize, prepare, process, FinalizedBlock, Proposal};
use crate::chain::ChainWrite;
use crate::component::Component;
use crate::context::{BlockContext, ValidatorUpdate, VoteContext};
use crate::distribution::Distribution;
use crate::encryption::dkg::KeyGeneration;
use crate::encryption::Encryption;
use crate::error::{AppError, ProposalError, StateReadError, TxError, VoteExtensionError};
use crate::execute::TxReceipt;
use crate::genesis::{validate_chain_id, Genesis, GenesisError, GenesisState};
use crate::l1::L1Anchoring;
use crate::mempool::CheckState;
use crate::router::MsgRouter;
use crate::sigcache::SignatureCache;
use crate::slashing::Slashing;
use crate::staking::Staking;
use crate::state::tree::{self, EmptyTree, TreeChanges};
use crate::state::{ChangeSet, CommittedState, EmptyState, StateDelta, StateRead};
use crate::system_tx::SystemTxTag;
use crate::tx::DecodedTx;
use crate::vote_extension::{self, MAX_VOTE_EXTENSION_BYTES};

/// Node-local secrets that components sign with; never in state, never in
/// a consensus decision other than the node's own vote.
#[derive(Debug, Clone, Default)]
pub struct NodeKeys {
    /// The validator's L1 key: it signs each height's checkpoint.
    pub l1_signer: Option<quire_core::l1::L1Signer>,
    /// The validator's share of the encryption key: it makes the
    /// decryption shares of its vote extensions.
    pub encryption_share: Option<quire_tpke::KeyShare>,
    /// The validator's key-generation secret: it deals, acknowledges and
    /// logs in the on-chain key generation, and derives its key share.
    pub dkg_secret: Option<quire_tpke::dkg::DkgSecret>,
}

/// Quire's state machine: its components, in order.
pub struct StateMachine {
    components: Vec<Box<dyn Component>>,
    router: MsgRouter,
    system_txs: Vec<(usize, SystemTxTag)>,
    sig_cache: SignatureCache,
    check_invariants: bool,
}

/// Assembles a [`StateMachine`] from components, in the order given.
pub struct Builder {
    components: Vec<Box<dyn Component>>,
    sig_cache_capacity: usize,
    check_invariants: bool,
}

/// The genesis state writes and the genesis app hash.
#[derive(Debug, Clone)]
pub struct GenesisOutput {
    /// The writes of every component's `init_chain`.
    pub changes: ChangeSet,
    /// The state tree's first version.
    pub tree: TreeChanges,
    /// The app hash before the first block: the tree's root.
    pub app_hash: [u8; 32],
    /// The validator set at genesis, sorted by key: what InitChain returns.
    pub validators: Vec<ValidatorUpdate>,
}

impl Builder {
    /// Adds a component after those added so far.
    pub fn component(mut self, component: impl Component + 'static) -> Self {
        self.components.push(Box::new(component));
        self
    }

    /// Whether every FinalizeBlock checks the state's invariants
    /// ([`crate::invariants`]) and fails if one is broken. On by default in
    /// debug builds (tests), off in release builds.
    pub fn check_invariants(mut self, check: bool) -> Self {
        self.check_invariants = check;
        self
    }

    /// Sets how many verified signatures the node remembers.
    pub fn sig_cache_capacity(mut self, capacity: usize) -> Self {
        self.sig_cache_capacity = capacity;
        self
    }

    /// Builds the state machine; refuses two components of one name, two
    /// handlers of one message type and clashing system transaction tags.
    pub fn build(self) -> Result<StateMachine, AppError> {
        let mut router = MsgRouter::default();
        let mut system_txs = Vec::new();
        let mut names = std::collections::BTreeSet::new();
        for (index, component) in self.components.iter().enumerate() {
            let name = component.name();
            if !names.insert(name) || name.len() > usize::from(u8::MAX) {
                return Err(AppError::Component(format!(
                    "component name {name:?} is taken or too long"
                )));
            }
            for (type_url, decoder) in component.msg_types() {
                if !router.register(type_url, decoder) {
                    return Err(AppError::Component(format!(
                        "{name}: message type {type_url} already has a handler"
                    )));
                }
            }
            if let Some(tag) = component.system_tx() {
                if !router.register_system_tx(tag) {
                    return Err(AppError::Component(format!(
                        "{name}: system tx tag {:?} is malformed or clashes",
                        tag.kind
                    )));
                }
                system_txs.push((index, tag));
            }
        }
        Ok(StateMachine {
            components: self.components,
            router,
            system_txs,
            sig_cache: SignatureCache::new(self.sig_cache_capacity),
            check_invariants: self.check_invariants,
        })
    }
}

impl StateMachine {
    /// Quire's components, in the order every hook runs. **The one place a
    /// component is registered**: adding a module is its folder plus one line
    /// here (docs/adding-a-component.md).
    pub fn standard() -> Builder {
        Self::standard_with(NodeKeys::default())
    }

    /// [`standard`](Self::standard) with the node's own keys, for a node
    /// that votes (its vote extensions are signed with them).
    pub fn standard_with(keys: NodeKeys) -> Builder {
        Self::builder()
            .component(Auth)
            .component(Bank)
            .component(Blobs)
            .component(Staking)
            .component(Slashing)
            .component(Distribution)
            .component(L1Anchoring::new(keys.l1_signer))
            .component(Encryption::new(
                keys.encryption_share,
                keys.dkg_secret.clone(),
            ))
            .component(KeyGeneration::new(keys.dkg_secret))
    }

    /// A builder with no components (tests that add their own).
    pub fn builder() -> Builder {
        Builder {
            components: Vec::new(),
            sig_cache_capacity: crate::sigcache::DEFAULT_CAPACITY,
            check_invariants: cfg!(debug_assertions),
        }
    }

    /// Whether FinalizeBlock checks the invariants.
    pub fn checks_invariants(&self) -> bool {
        self.check_invariants
    }

    /// The components, in order.
    pub fn components(&self) -> &[Box<dyn Component>] {
        &self.components
    }

    /// What transactions can carry.
    pub fn router(&self) -> &MsgRouter {
        &self.router
    }

    /// The node's verified signatures.
    pub fn sig_cache(&self) -> &SignatureCache {
        &self.sig_cache
    }

    /// `(component index, tag)` of every component that makes a system
    /// transaction, in component order: the order they take in a block.
    pub fn system_tx_components(&self) -> &[(usize, SystemTxTag)] {
        &self.system_txs
    }

    /// The system transactions block `ctx` carries, in block order:
    /// `(component index, tag)` of each component that declares one and
    /// requires it in this block.
    pub fn required_system_txs(
        &self,
        committed: &dyn StateRead,
        ctx: &BlockContext,
    ) -> Result<Vec<(usize, SystemTxTag)>, StateReadError> {
        let mut required = Vec::with_capacity(self.system_txs.len());
        for &(index, tag) in &self.system_txs {
            if let Some(component) = self.components.get(index) {
                if component.requires_system_tx(committed, ctx)? {
                    required.push((index, tag));
                }
            }
        }
        Ok(required)
    }

    /// Decodes a user transaction (no size limit: callers that have one
    /// check it first; blocks use the chain's `max_tx_bytes`).
    pub fn decode_tx(&self, bytes: &[u8]) -> Result<DecodedTx, TxError> {
        DecodedTx::decode(bytes, u64::MAX, &self.router, &self.sig_cache)
    }

    /// The genesis writes and app hash for `chain_id`: the chain id and
    /// params, then every component's `init_chain`. They make the state
    /// tree's version `initial_height - 1`; its root is the genesis app hash.
    pub fn genesis(
        &self,
        chain_id: &str,
        initial_height: u64,
        state: &GenesisState,
    ) -> Result<GenesisOutput, GenesisError> {
        validate_chain_id(chain_id)?;
        let accounts = state.validate()?;
        let genesis = Genesis {
            chain_id,
            initial_height,
            state,
            accounts,
        };
        let mut delta = StateDelta::new(&EmptyState);
        delta.put_chain_id(chain_id);
        delta.put_params(&state.params);
        for component in &self.components {
            component.init_chain(&mut delta, &genesis)?;
        }
        let mut validators = Vec::new();
        for component in &self.components {
            validators.extend(component.genesis_validators(&mut delta, &genesis)?);
        }
        validators.sort_by_key(|update| update.pub_key);
        let changes = delta.into_changes();
        let (app_hash, tree) = tree::update(
            &EmptyTree,
            None,
            initial_height.saturating_sub(1),
            &changes,
            true,
        )
        .map_err(|e| GenesisError::State(e.to_string()))?;
        Ok(GenesisOutput {
            changes,
            tree,
            app_hash,
            validators,
        })
    }

    /// CheckTx against `committed` plus the mempool's pending effects.
    pub fn check_tx(
        &self,
        check: &mut CheckState,
        committed: &dyn StateRead,
        next_height: u64,
        bytes: &[u8],
    ) -> Result<TxReceipt, TxError> {
        check.check_tx(self, committed, next_height, bytes)
    }

    /// PrepareProposal (see [`prepare`]).
    pub fn prepare_proposal(
        &self,
        committed: &dyn StateRead,
        ctx: &BlockContext,
        candidates: &[impl AsRef<[u8]>],
        max_tx_bytes: u64,
    ) -> Result<Proposal, AppError> {
        prepare::prepare_proposal(self, committed, ctx, candidates, max_tx_bytes)
    }

    /// ProcessProposal (see [`process`]).
    pub fn process_proposal(
        &self,
        committed: &dyn StateRead,
        ctx: &BlockContext,
        txs: &[impl AsRef<[u8]>],
    ) -> Result<(), ProposalError> {
        process::process_proposal(self, committed, ctx, txs)
    }

    /// FinalizeBlock (see [`finalize`]) over committed state, with `pending`
    /// (genesis writes not yet persisted) on top.
    pub fn finalize_block(
        &self,
        committed: &dyn CommittedState,
        pending: Option<(&ChangeSet, &TreeChanges)>,
        ctx: &BlockContext,
        txs: &[impl AsRef<[u8]>],
    ) -> Result<FinalizedBlock, StateReadError> {
        finalize::finalize_block(self, committed, pending, ctx, txs)
    }

    /// ExtendVote: every component's section, in component order (see
    /// [`vote_extension`]). Empty while no component makes one.
    pub fn extend_vote(
        &self,
        committed: &dyn StateRead,
        ctx: &VoteContext,
    ) -> Result<Vec<u8>, AppError> {
        let mut sections = Vec::new();
        for component in &self.components {
            if let Some(data) = component.extend_vote(committed, ctx)? {
                let max = component.max_vote_extension_bytes();
                if data.is_empty() || data.len() > max {
                    return Err(AppError::Component(format!(
                        "{} made a vote extension section of {} bytes (allowed 1..={max})",
                        component.name(),
                        data.len()
                    )));
                }
                sections.push((component.name(), data));
            }
        }
        let extension = vote_extension::encode(&sections);
        if extension.len() > MAX_VOTE_EXTENSION_BYTES {
            return Err(AppError::Component(format!(
                "vote extension of {} bytes exceeds the {MAX_VOTE_EXTENSION_BYTES} allowed",
                extension.len()
            )));
        }
        Ok(extension)
    }

    /// VerifyVoteExtension: the extension must decode, its sections be in
    /// component order, each of a component and within its limit, and every
    /// component accept its section (or its absence). Deterministic: only
    /// the request and committed state are read.
    pub fn verify_vote_extension(
        &self,
        committed: &dyn StateRead,
        ctx: &VoteContext,
        validator: &[u8; 20],
        extension: &[u8],
    ) -> Result<(), VoteExtensionError> {
        let sections = vote_extension::decode(extension)?;
        let mut next = sections.iter().enumerate().peekable();
        for component in &self.components {
            let name = component.name();
            let section = match next.peek() {
                Some((_, section)) if section.component == name => {
                    next.next().map(|(_, section)| section.data)
                }
                _ => None,
            };
            if let Some(data) = section {
                let max = component.max_vote_extension_bytes();
                if data.len() > max {
                    return Err(VoteExtensionError::SectionTooLarge {
                        component: name,
                        size: data.len(),
                        max,
                    });
                }
            }
            component
                .verify_vote_extension(committed, ctx, validator, section)
                .map_err(|reason| VoteExtensionError::Invalid {
                    component: name,
                    reason,
                })?;
        }
        // Anything left is out of order, repeated, or of no component.
        if let Some((index, section)) = next.next() {
            return Err(VoteExtensionError::UnexpectedSection {
                index,
                component: section.component.to_string(),
            });
        }
        Ok(())
    }
}
