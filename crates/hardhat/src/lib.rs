//! Starts and stops the pinned Hardhat node (the `hardhat` devDependency of `contracts/package.json`)
//! on loopback, for tests and benchmarks that need a real JSON-RPC node.
//!
//! This crate owns the node's process lifecycle and nothing else: finding the npm project, checking
//! that Node.js and Hardhat are installed (a missing install is an error with the command that fixes it,
//! never a silent skip), picking a free port, spawning `hardhat node` in its own process group with its
//! output captured to a log file, waiting until it answers `eth_chainId`, and killing the whole group on
//! drop. The network itself (chain id 31337, Cancun, automine, the default mnemonic) is pinned by
//! `contracts/hardhat.config.js`; [`HardhatNode::start_with_chain_id`] serves another chain id (a generated
//! config extends the project's), so nodes of different chains run side by side.
//!
//! ```no_run
//! let node = automat_hardhat::HardhatNode::start()?;
//! println!("Hardhat at {} (chain {})", node.url(), node.chain_id());
//! # Ok::<(), automat_hardhat::HardhatError>(())
//! ```
#![forbid(unsafe_code)]

mod error;
mod http;
mod node;

pub use error::HardhatError;
pub use http::json_rpc;
pub use node::{CHAIN_ID, CONTRACTS_DIR_ENV, HardhatNode};
