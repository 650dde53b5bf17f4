//! The chain client interface every automat component talks to.
//!
//! ```text
//!   agent / relayer / oracle / CLI
//!               │  ChainClient (+ DevnetControl on devnets)
//!       ┌───────┴────────┐
//!   automat-devnet   automat-chain-rpc
//!   (revm, in-proc)  (alloy provider, any node by URL)
//! ```
//!
//! This crate owns the seam and nothing behind it: the [`ChainClient`] trait (deploy, send signed locally
//! with managed nonces, call, receipts, logs, block number and time, balances), the [`DevnetControl`] trait
//! for capabilities only development chains have (mine, set time, snapshot and revert), the error type
//! shared by every backend, and the [`RevertDecoder`] that turns revert data into a contract's custom
//! error name and arguments. It knows no application contract.
#![forbid(unsafe_code)]

mod client;
mod error;
mod ext;
pub mod link;
mod meter;
mod revert;
mod signing;
mod types;

pub use client::{ChainClient, DevnetControl};
pub use error::{ChainError, Result};
pub use ext::{ChainClientExt, decode_events};
pub use link::{LinkSwitch, Partitionable};
pub use meter::{GasMeter, GasTally};
pub use revert::{DecodedRevert, RevertDecoder};
pub use signing::{DEFAULT_MNEMONIC, FeeQuote, NonceManager, dev_signers, sign_request, signer_from_mnemonic};
pub use types::{Deployment, Receipt, SnapshotId, TxRequest};

/// Re-exports of the alloy types that appear in this crate's interface.
pub mod alloy {
    pub use alloy_json_abi::JsonAbi;
    pub use alloy_primitives::{Address, B256, Bytes, Log as PrimitiveLog, LogData, TxHash, U256};
    pub use alloy_rpc_types_eth::{Filter, Log};
    pub use alloy_signer_local::PrivateKeySigner;
}
