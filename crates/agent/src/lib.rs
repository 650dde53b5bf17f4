//! The machine agent: the software inside a vending machine that turns on-chain orders into vends and vends
//! into signed attestations, and keeps selling when the chain is out of reach.
//!
//! - [`DispenseDriver`] is the seam to the hardware (shaped after an MDB cashless session);
//!   [`SimulatedMachine`] is a software machine with configurable failure odds.
//! - [`Outbox`] is the agent's durable memory (redb): a crash between "order seen", "dispensed" and
//!   "attestation submitted" neither loses an attestation nor vends twice — on restart the stage recorded
//!   last, and the machine's own audit record, say what is left to do.
//! - Partition mode (error path A4): while the chain is unreachable the agent sells against buyers' EIP-712
//!   vouchers, up to the machine's offline credit cap and each buyer's last known prepaid allowance, and
//!   settles them on chain when the link is back.
#![forbid(unsafe_code)]

mod agent;
pub mod driver;
pub mod outbox;
pub mod service;
mod sim;

use automat_chain::ChainError;
use automat_contracts::vending::VendingError;
use automat_store::StoreError;

pub use agent::{
    Agent, AgentConfig, AgentStatus, CrashPoint, MarketPrice, OfflineSaleOutcome, PollReport, PriceSource, SignedQuote,
    sign_voucher,
};
pub use driver::{DispenseDriver, DriverError, VendFailure, VendOutcome, VendRequest};
pub use outbox::Outbox;
pub use sim::{Behaviour, SimulatedMachine, VendOdds};

/// Result alias for the agent.
pub type Result<T, E = AgentError> = std::result::Result<T, E>;

/// Why the agent could not do something.
#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    /// The chain refused or could not be reached.
    #[error(transparent)]
    Chain(#[from] ChainError),
    /// A Storefront call failed.
    #[error(transparent)]
    Vending(#[from] VendingError),
    /// The vending hardware failed.
    #[error(transparent)]
    Driver(#[from] DriverError),
    /// The metadata store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The outbox database failed.
    #[error("outbox: {0}")]
    Outbox(String),
    /// A crash injected at this point (tests and the simulator).
    #[error("simulated crash at {0:?}")]
    SimulatedCrash(CrashPoint),
    /// A voucher was refused while selling offline.
    #[error("voucher refused: {0}")]
    VoucherRefused(String),
    /// A quote was refused.
    #[error("quote refused: {0}")]
    QuoteRefused(String),
    /// The configuration is unusable.
    #[error("configuration: {0}")]
    Config(String),
}

impl AgentError {
    /// Whether the chain could not be reached (the agent's cue to sell offline and retry later).
    pub fn is_unreachable(&self) -> bool {
        match self {
            Self::Chain(e) | Self::Vending(VendingError::Chain(e)) => e.is_unreachable(),
            _ => false,
        }
    }

    /// The custom error name of a chain revert, if this is one.
    pub fn revert_name(&self) -> Option<&str> {
        match self {
            Self::Chain(e) | Self::Vending(VendingError::Chain(e)) => e.revert_name(),
            _ => None,
        }
    }
}
