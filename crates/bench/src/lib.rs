//! Benchmarks behind `automat bench <area>`. Each one measures a baseline in the same run and reports
//! ratios against it, as one JSON object whose field names are a public interface.
//!
//! - [`chain`]: the embedded chain client path against bare revm (and optionally a Hardhat node).
//! - [`purchase`]: gas of the Storefront's flows against a plain ERC-20 transfer plus an ERC-721 mint, and the
//!   latency of one purchase end to end through the machine agent.
//! - [`insurance`]: gas of an order with cover against the same order without, gas of a claim's whole life per
//!   juror vote, and how often the court decides right when 20 % or 40 % of the jurors vote at random (against
//!   all honest, in the same run).
//! - [`zk`]: proving times of the privacy circuits (against arkworks' own prover on the yardstick) and the gas
//!   of Poseidon, the note-tree insert and both verifiers.
#![forbid(unsafe_code)]

pub mod chain;
pub mod crosschain;
pub mod insurance;
pub mod oracle;
pub mod purchase;
pub mod zk;

/// Why a benchmark could not run.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    /// A chain operation failed.
    #[error("chain: {0}")]
    Chain(#[from] automat_chain::ChainError),
    /// A vending-suite call failed (deployment, registration, an order).
    #[error("vending: {0}")]
    Vending(#[from] automat_contracts::vending::VendingError),
    /// The machine agent failed.
    #[error("agent: {0}")]
    Agent(#[from] automat_agent::AgentError),
    /// The Hardhat node could not be started.
    #[error("hardhat: {0}")]
    Hardhat(#[from] automat_hardhat::HardhatError),
    /// Setting up a scenario failed (deployment, daemons, a flow that did not finish).
    #[error("setup: {0}")]
    Setup(String),
    /// The benchmark's own checks failed (a transfer that should succeed did not, results disagree).
    #[error("benchmark invalid: {0}")]
    Invalid(String),
}

/// Result alias for benchmarks.
pub type Result<T, E = BenchError> = std::result::Result<T, E>;
