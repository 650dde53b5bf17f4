//! Whole-network scenarios on the embedded devnet. Today: [`demo`], the run behind `automat demo` — three
//! chains, the vending suite on each, operators, machines with their agents, and purchases that succeed,
//! fail, time out and continue through a network partition, with every figure read back from the chains —
//! and its cross-chain part, [`crosschain`]: purchases between chains over LayerZero v2 and Hyperlane, a
//! transport outage with its timeout, refund and retry through the other transport.
#![forbid(unsafe_code)]

pub mod crosschain;
pub mod demo;
pub mod insurance;
pub mod oracle;
pub mod privacy;

use automat_agent::AgentError;
use automat_chain::ChainError;
use automat_contracts::vending::VendingError;

/// Why a scenario could not run.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// The devnet or a chain call failed.
    #[error(transparent)]
    Chain(#[from] ChainError),
    /// A vending call failed.
    #[error(transparent)]
    Vending(#[from] VendingError),
    /// An agent failed.
    #[error(transparent)]
    Agent(#[from] AgentError),
    /// Preparing the run failed (data directory, keys).
    #[error("setup: {0}")]
    Setup(String),
    /// A step did not end the way the scenario requires.
    #[error("scenario step {step}: {detail}")]
    Step {
        /// The step.
        step: &'static str,
        /// What happened instead.
        detail: String,
    },
}

/// Result alias for scenarios.
pub type Result<T, E = SimError> = std::result::Result<T, E>;
