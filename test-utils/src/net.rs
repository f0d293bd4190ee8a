//! A network of validators' state machines over one shared committed
//! state, driven height by height in CometBFT's call order: a proposer's
//! PrepareProposal, every node's ProcessProposal, every node's vote
//! extension (checked by every node), FinalizeBlock on every node (the same
//! app hash), Commit. The votes of one height are the next block's last
//! commit, as the proposer sees them (with extensions).

use crate::{block_ctx, block_hash, MemState};
use quire_app::context::{VoteContext, VoteFlag, VoteInfo};
use quire_app::{
    BlockContext, CheckState, FinalizedBlock, GenesisState, ProposalError, StateMachine,
};

/// The validators' nodes and their shared state.
pub struct Net {
    /// One state machine per validator.
    pub nodes: Vec<StateMachine>,
    /// Each node's consensus address (its votes are signed as it).
    pub validators: Vec<[u8; 20]>,
    /// The committed state.
    pub state: MemState,
    /// The last height's votes, with their extensions.
    pub last_votes: Vec<VoteInfo>,
}

impl Net {
    /// The network of `nodes` (voting as `validators`, power 10 each) from
    /// `genesis` on chain `chain_id`.
    pub fn new(
        nodes: Vec<StateMachine>,
        validators: Vec<[u8; 20]>,
        genesis: &GenesisState,
        chain_id: &str,
    ) -> Net {
        assert_eq!(nodes.len(), validators.len(), "one address per node");
        let state = MemState::from_genesis(&nodes[0], genesis, chain_id);
        Net {
            nodes,
            validators,
            state,
            last_votes: Vec::new(),
        }
    }

    /// The height of the next block.
    pub fn next_height(&self) -> u64 {
        self.state.height + 1
    }

    /// The next block's context with header hash `hash`.
    pub fn ctx(&self, hash: [u8; 32]) -> BlockContext {
        block_ctx(self.state.height + 1, hash, self.last_votes.clone())
    }

    /// Node `proposer`'s proposal from `candidates`.
    pub fn propose(&self, proposer: usize, candidates: &[Vec<u8>]) -> Vec<Vec<u8>> {
        self.nodes[proposer]
            .prepare_proposal(&self.state, &self.ctx([0; 32]), candidates, 1 << 22)
            .expect("prepare_proposal")
            .txs(candidates)
    }

    /// The header hash of the next block carrying `txs`.
    pub fn hash_of(&self, txs: &[Vec<u8>]) -> [u8; 32] {
        block_hash(self.state.height, txs)
    }

    /// Every node's ProcessProposal of `txs`.
    pub fn process(&self, txs: &[Vec<u8>]) -> Vec<Result<(), ProposalError>> {
        let ctx = self.ctx(self.hash_of(txs));
        self.nodes
            .iter()
            .map(|node| node.process_proposal(&self.state, &ctx, txs))
            .collect()
    }

    /// The vote context of the next block carrying `txs`.
    pub fn vote_ctx(&self, txs: &[Vec<u8>]) -> VoteContext {
        VoteContext {
            height: self.next_height(),
            block_hash: self.hash_of(txs).to_vec(),
        }
    }

    /// Every node's vote on `txs`, each extension checked by every node
    /// (which must accept it).
    pub fn vote(&self, txs: &[Vec<u8>]) -> Vec<VoteInfo> {
        let vote_ctx = self.vote_ctx(txs);
        self.nodes
            .iter()
            .zip(&self.validators)
            .map(|(node, validator)| {
                let extension = node
                    .extend_vote(&self.state, &vote_ctx)
                    .expect("extend_vote");
                for checker in &self.nodes {
                    checker
                        .verify_vote_extension(&self.state, &vote_ctx, validator, &extension)
                        .expect("every node accepts an honest vote extension");
                }
                VoteInfo {
                    validator: *validator,
                    power: 10,
                    flag: VoteFlag::Commit,
                    extension,
                }
            })
            .collect()
    }

    /// Processes (every node must accept), votes, finalizes on every node
    /// (the same app hash) and commits `txs`; every system tx must succeed.
    pub fn commit(&mut self, txs: &[Vec<u8>]) -> FinalizedBlock {
        for result in self.process(txs) {
            result.expect("every node accepts the proposal");
        }
        let votes = self.vote(txs);
        let ctx = self.ctx(self.hash_of(txs));
        let block = self.nodes[0]
            .finalize_block(&self.state, None, &ctx, txs)
            .expect("finalize_block");
        for node in &self.nodes[1..] {
            let again = node
                .finalize_block(&self.state, None, &ctx, txs)
                .expect("finalize_block");
            assert_eq!(again.app_hash, block.app_hash, "nodes disagree");
        }
        for outcome in &block.system_txs {
            outcome.result.as_ref().expect("system tx");
        }
        self.state.commit(&block);
        self.last_votes = votes;
        block
    }

    /// One honest height proposed by node `proposer`.
    pub fn height(&mut self, proposer: usize, candidates: &[Vec<u8>]) -> FinalizedBlock {
        let txs = self.propose(proposer, candidates);
        self.commit(&txs)
    }

    /// Node 0's CheckTx of `tx` against the committed state: the ABCI code
    /// on refusal.
    pub fn check_tx(&self, tx: &[u8]) -> Result<(), u32> {
        let mut check = CheckState::default();
        self.nodes[0]
            .check_tx(&mut check, &self.state, self.next_height(), tx)
            .map(|_| ())
            .map_err(|e| e.code())
    }
}
