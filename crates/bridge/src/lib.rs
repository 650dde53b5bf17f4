//! Cross-chain messaging for automat over two real protocols, and their off-chain roles on local networks.
//!
//! On a public network LayerZero's DVNs and executors and Hyperlane's validators and relayers are run by
//! their operators. On the embedded devnet, on Hardhat, or on any chain without them, this crate plays
//! those roles itself, speaking the protocols' own contract interfaces (no private shortcut):
//!
//! - [`layerzero`]: deploys LayerZero v2 (EndpointV2, SendUln302/ReceiveUln302, price feed, treasury,
//!   executor, DVNs) from the artifacts LayerZero publishes on npm, wires pathways with an X-of-Y-of-N DVN
//!   set and confirmations per pathway, and runs the DVN and executor roles.
//! - [`hyperlane`]: deploys Hyperlane (Mailbox, MerkleTreeHook, ProtocolFee, a message-id multisig ISM,
//!   ValidatorAnnounce) from `@hyperlane-xyz/core`'s published build, and runs the validator (signed
//!   checkpoints in a local checkpoint store it announces on chain) and relayer roles.
//! - [`follow`]: source-chain logs with a confirmation depth; [`progress`]: each role's durable cursor and
//!   per-message steps, so a crash between submitting and recording never delivers twice and never skips.
#![forbid(unsafe_code)]

pub mod follow;
pub mod hyperlane;
pub mod layerzero;
pub mod progress;

pub use follow::{Batch, LogFollower};
pub use progress::Progress;

use automat_chain::ChainError;

/// Result alias for this crate.
pub type Result<T, E = BridgeError> = std::result::Result<T, E>;

/// Why a deployment or an off-chain role failed.
#[derive(Debug, thiserror::Error)]
pub enum BridgeError {
    /// A chain refused or could not be reached.
    #[error(transparent)]
    Chain(#[from] ChainError),
    /// A protocol artifact could not be loaded or deployed.
    #[error(transparent)]
    Artifact(#[from] automat_contracts::ArtifactError),
    /// The progress database failed.
    #[error("progress store: {0}")]
    Progress(String),
    /// Signing failed.
    #[error("signing: {0}")]
    Signing(String),
    /// The deployment or configuration is inconsistent.
    #[error("config: {0}")]
    Config(String),
    /// A submission was accepted by the chain but the protocol did not take it (e.g. a DVN's
    /// `VerifySignaturesFailed`, an executor's `LzReceiveAlert`).
    #[error("{protocol} refused {what}: {reason}")]
    Refused {
        /// Which protocol.
        protocol: &'static str,
        /// What was submitted.
        what: String,
        /// The protocol's own account of why.
        reason: String,
    },
}
