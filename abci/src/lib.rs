//! `quired`: the Quire validator application.
//!
//! - [`node`]: the app ([`quire_app::App`]) over the store, with the crash
//!   fault points ([`fault`]);
//! - [`server`]: the tower-abci (CometBFT v0.38, ABCI 2.0) services, and
//!   [`convert`], ABCI types to the app's;
//! - [`query`]: ABCI Query paths;
//! - [`api`]: the read API (gRPC and HTTP/JSON);
//! - [`config`]: the node config file (`quired.toml`);
//! - [`cli`]: the `quired` command line (`quired start` serves ABCI; the other
//!   commands set up homes, keys and genesis files, send transactions and
//!   query).
//!
//! As a library it lets tests drive a node in process, without CometBFT.

pub mod api;
pub mod byzantine;
pub mod cli;
pub mod cometbft;
pub mod config;
pub mod convert;
pub mod cosmos;
pub mod dkg_key;
pub mod encryption_share;
pub mod fault;
pub mod l1_key;
pub mod logging;
pub mod metrics;
pub mod node;
pub mod query;
pub mod retention;
pub mod secret_file;
pub mod server;
pub mod snapshots;
