//! `quired debug`: offline checks of a node's database (the node must be
//! stopped: the database is opened exclusively).

use crate::cli::HomeArg;
use crate::config::NodeConfig;
use anyhow::Context;
use quire_app::chain::ChainRead;
use quire_store::Store;

/// `quired debug …`
#[derive(Debug, clap::Subcommand)]
pub enum DebugCommand {
    /// Check the committed state's invariants (token supply, staking pools,
    /// shares, the last validator set, the queues; docs/staking.md).
    CheckInvariants {
        #[command(flatten)]
        home: HomeArg,
    },
}

impl DebugCommand {
    /// Runs the check; fails naming the broken invariant.
    pub fn run(self) -> anyhow::Result<()> {
        match self {
            DebugCommand::CheckInvariants { home } => {
                let config = NodeConfig::load(&home.home)?;
                let db_path = config.resolve_db_path(&home.home);
                let store = Store::open(&db_path).with_context(|| {
                    format!(
                        "cannot open database {} (stop the quired using it first)",
                        db_path.display()
                    )
                })?;
                let height = store.last_commit()?.map_or(0, |last| last.height);
                let state = store.state()?;
                let time = state.block_time()?;
                quire_app::invariants::check(&state, time)
                    .with_context(|| format!("state at height {height}"))?;
                println!("invariants hold at height {height}");
                Ok(())
            }
        }
    }
}
