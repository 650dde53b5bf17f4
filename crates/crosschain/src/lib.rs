//! Cross-chain purchases end to end.
//!
//! - [`keeper`]: the checkout keeper, the app-level role that reports outcomes back to the buyer's chain,
//!   declares orders that never arrived expired, and retries a stalled message through the other transport.
//! - [`network`]: one call that deploys, on a set of chains, the vending suite, LayerZero v2 and Hyperlane
//!   (from their published artifacts) and the cross-chain app (optionally a court and an insurance pool, so
//!   purchases from other chains can buy cover), and wires every pair; and [`network::Relayers`],
//!   every off-chain role (LayerZero DVNs and executor, Hyperlane validators and relayer, the keeper) over it.
#![forbid(unsafe_code)]

pub mod keeper;
pub mod network;

pub use keeper::{CheckoutKeeper, KeeperConfig, KeeperReport, TrackedPurchase, minted_minus_locked};

use automat_chain::ChainError;

/// Result alias for this crate.
pub type Result<T, E = CrossChainError> = std::result::Result<T, E>;

/// Why a cross-chain step failed.
#[derive(Debug, thiserror::Error)]
pub enum CrossChainError {
    /// A chain refused or could not be reached.
    #[error(transparent)]
    Chain(#[from] ChainError),
    /// A contract call failed.
    #[error(transparent)]
    Contract(#[from] automat_contracts::vending::VendingError),
    /// The court could not be deployed.
    #[error(transparent)]
    Court(#[from] automat_contracts::court::CourtError),
    /// A protocol deployment or off-chain role failed.
    #[error(transparent)]
    Bridge(#[from] automat_bridge::BridgeError),
    /// An artifact could not be used.
    #[error(transparent)]
    Artifact(#[from] automat_contracts::ArtifactError),
    /// No client for that chain.
    #[error("no client for chain {0}")]
    UnknownChain(u64),
    /// An event or message did not decode.
    #[error("decode: {0}")]
    Decode(String),
}
