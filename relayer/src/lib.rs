//! quire-relayer: posts Quire's signed checkpoints to the `QuireAnchor`
//! contract on the L1 (docs/l1.md, "Relayer").
//!
//! Stateless: each round it reads the anchor's head from the L1 and the
//! latest attested checkpoint from any Quire node's read API, checks the
//! checkpoint's digest, sets and signatures itself before it pays gas,
//! simulates the call, and sends it with the account's confirmed nonce, so
//! a restart (or a second relayer) neither loses nor double-posts: a
//! checkpoint someone else anchored first reverts in simulation (`Stale`)
//! and is never sent. A stuck transaction is replaced at the same nonce
//! with higher fees. One checkpoint anchors every height before it (the
//! history root); set rotations are posted first, in order.

pub mod anchor;
pub mod data;
pub mod deploy;
pub mod metrics;
pub mod prepare;
pub mod relay;
mod sender;

pub use relay::{Relayer, RelayerConfig, Round};
