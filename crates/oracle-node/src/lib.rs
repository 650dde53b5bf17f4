//! An oracle node of the automat network.
//!
//! Each node computes, per feed (a machine slot's price, its demand forecast, a risk score), a value from the
//! sales history with the models of `automat-oracle`, and signs it as the aggregator's EIP-712 `Observation` for
//! one feed and one round. Its [`ledger`] remembers every value it signed, durably, so it can never sign two
//! values for one round, not even after a restart (that would be equivocation, which freezes the feed). Nodes
//! exchange signed observations ([`exchange`]: over HTTP between daemons, or directly in one process), and the
//! round's leader (rotating with the round number) submits a report carrying at least 2f + 1 of them to the
//! `OracleAggregator`. A node that receives two different observations from one peer for one round proves the
//! equivocation on chain.
//!
//! [`Behaviour`] lets a node lie (skew its values) or equivocate, for the simulator and the attack tests; the
//! aggregator's rules, not the honest nodes' trust, are what stop it.
#![forbid(unsafe_code)]

pub mod daemon;
pub mod exchange;
pub mod feed;
pub mod history;
pub mod ledger;
pub mod node;
pub mod observe;
pub mod observer;
pub mod replay;

pub use daemon::{Daemon, FeedAction};
pub use exchange::{Committee, ExchangeError, PeerClient, RoundOutcome, serve};
pub use feed::FeedSpec;
pub use history::ChainHistory;
pub use ledger::Ledger;
pub use node::{Behaviour, OracleNode};
pub use observe::{SlotState, decide_price, fit_each_item, model_price, to_fixed};
pub use observer::{Observer, ObserverConfig};

use automat_chain::ChainError;

/// Result alias for this crate.
pub type Result<T, E = NodeError> = std::result::Result<T, E>;

/// Why a node step failed.
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    /// The chain refused or could not be reached.
    #[error(transparent)]
    Chain(#[from] ChainError),
    /// A contract call failed.
    #[error(transparent)]
    Contract(#[from] automat_contracts::vending::VendingError),
    /// The node's ledger failed.
    #[error("ledger: {0}")]
    Ledger(String),
    /// Signing failed.
    #[error("signing: {0}")]
    Signing(String),
    /// A model could not produce a value.
    #[error("model: {0}")]
    Model(String),
    /// Exchanging observations failed.
    #[error(transparent)]
    Exchange(#[from] ExchangeError),
    /// The node's signer is not in the aggregator's committee.
    #[error("signer {0} is not in the aggregator's committee")]
    NotInCommittee(alloy_primitives::Address),
    /// Not enough observations for a report.
    #[error("round {round} of {feed}: {have} observations, {need} needed")]
    NoQuorum {
        /// The feed.
        feed: String,
        /// The round.
        round: u64,
        /// Observations collected.
        have: usize,
        /// The quorum (2f + 1).
        need: usize,
    },
}
