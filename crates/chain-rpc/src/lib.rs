//! The JSON-RPC backend of [`automat_chain::ChainClient`]: an alloy HTTP provider to any node by URL,
//! with transactions signed locally and nonces managed by the client.
//!
//! This crate owns [`RpcClient`] and nothing else: how the chain interface maps onto `eth_*` calls
//! (simulate with `eth_estimateGas` before sending, so a would-be revert fails with its decoded custom
//! error without being mined; EIP-1559 fees from the node; `eth_sendRawTransaction`; fast receipt
//! polling suited to local nodes; replaying a failed mined transaction with `eth_call` to recover its
//! revert data), and how [`automat_chain::DevnetControl`] maps onto the `evm_*` methods Hardhat and
//! anvil both speak. Nodes that lack those methods answer with [`automat_chain::ChainError::Unsupported`].
//!
//! ```no_run
//! # async fn demo() -> automat_chain::Result<()> {
//! use automat_chain::{ChainClient, DEFAULT_MNEMONIC, signer_from_mnemonic};
//! use automat_chain_rpc::RpcClient;
//!
//! let signer = signer_from_mnemonic(DEFAULT_MNEMONIC, 0)?;
//! let client = RpcClient::connect("http://127.0.0.1:8545", signer).await?;
//! println!("chain {} at block {}", client.chain_id(), client.block_number().await?);
//! # Ok(())
//! # }
//! ```
#![forbid(unsafe_code)]

mod client;
mod convert;
mod errors;

pub use client::RpcClient;
