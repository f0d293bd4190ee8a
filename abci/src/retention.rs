//! What a node keeps of the past: CometBFT's blocks, through the
//! `retain_height` Commit answers, and quired's blob index
//! (`blob_retention_blocks`, pruned by the store in each Commit). The state
//! itself keeps only its latest version whatever these say.
//!
//! Both default to 0: an archival node. `retain_height` never lets CometBFT
//! drop a block that evidence may still be about (the chain's
//! `evidence_max_age_blocks`) or that a node restoring this node's oldest
//! snapshot needs to catch up from it.

/// The retention settings of a node.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Retention {
    /// The fewest recent blocks CometBFT keeps; 0 keeps all.
    pub min_retain_blocks: u64,
    /// Blocks back to the oldest snapshot kept (`snapshot_interval` ×
    /// `snapshot_keep_recent`; 0 without snapshots).
    pub snapshot_blocks: u64,
}

impl Retention {
    /// The `retain_height` of the Commit of `height`: CometBFT may delete
    /// blocks below it. 0 (keep everything) when `min_retain_blocks` is 0 or
    /// nothing is old enough yet.
    pub fn retain_height(&self, height: u64, evidence_max_age_blocks: u64) -> u64 {
        if self.min_retain_blocks == 0 {
            return 0;
        }
        let keep = self
            .min_retain_blocks
            .max(evidence_max_age_blocks)
            .max(self.snapshot_blocks);
        let lowest = height.saturating_sub(keep).saturating_add(1);
        if lowest <= 1 {
            0
        } else {
            lowest
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retain_height_keeps_the_most_any_rule_needs() {
        let archival = Retention::default();
        assert_eq!(archival.retain_height(1_000_000, 100), 0);
        let pruning = Retention {
            min_retain_blocks: 100,
            snapshot_blocks: 0,
        };
        // Too young to prune anything.
        assert_eq!(pruning.retain_height(100, 10), 0);
        // Exactly the last 100 blocks kept.
        assert_eq!(pruning.retain_height(1_000, 10), 901);
        // The evidence window and the oldest snapshot win when longer.
        assert_eq!(pruning.retain_height(1_000, 500), 501);
        let with_snapshots = Retention {
            min_retain_blocks: 100,
            snapshot_blocks: 2 * 300,
        };
        assert_eq!(with_snapshots.retain_height(1_000, 10), 401);
        // Never past the height itself.
        let one = Retention {
            min_retain_blocks: 1,
            snapshot_blocks: 0,
        };
        assert_eq!(one.retain_height(50, 0), 50);
    }
}
