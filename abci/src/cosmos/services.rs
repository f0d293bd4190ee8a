//! Where a Cosmos method is answered: from committed state ([`super::answer`]
//! through a node's [`CosmosQueries`], blocking, so off the async workers) or
//! from CometBFT ([`super::chain`]). The gRPC and REST front ends both call
//! [`CosmosServices::call`].

use super::chain::{self, Chain};
use super::grpc::CosmosQueries;
use super::CosmosError;
use std::sync::Arc;

/// The Cosmos services of one node.
#[derive(Clone)]
pub struct CosmosServices {
    queries: CosmosQueries,
    chain: Arc<Chain>,
}

impl CosmosServices {
    /// The services answering state methods with `queries` and the others
    /// from `chain`.
    pub fn new(queries: CosmosQueries, chain: Chain) -> Self {
        CosmosServices {
            queries,
            chain: Arc::new(chain),
        }
    }

    /// Answers the method `path` with the encoded request `data`, at
    /// `height` (0: the latest; only state methods read it). Returns the
    /// height answered at (0 for methods that name their heights in the
    /// request or answer) and the encoded response.
    pub async fn call(
        &self,
        path: String,
        data: Vec<u8>,
        height: u64,
    ) -> Result<(u64, Vec<u8>), CosmosError> {
        if chain::serves(&path) {
            return self
                .chain
                .answer(&path, &data)
                .await
                .map(|bytes| (0, bytes));
        }
        let queries = self.queries.clone();
        let (at, answer) = tokio::task::spawn_blocking(move || queries(&path, &data, height))
            .await
            .map_err(|e| CosmosError::internal(&format!("query task failed: {e}")))?;
        answer.map(|bytes| (at, bytes))
    }
}
