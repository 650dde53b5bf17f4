//! The crate's error type.

use std::path::PathBuf;

use alloy_primitives::U256;
use automat_chain::ChainError;
use automat_contracts::{court::CourtError, vending::VendingError};
use automat_store::StoreError;

/// Result alias for this crate.
pub type Result<T, E = ClaimsError> = std::result::Result<T, E>;

/// What went wrong with a claim or a court role.
#[derive(Debug, thiserror::Error)]
pub enum ClaimsError {
    /// A court call failed (a revert carries the court's custom error by name).
    #[error(transparent)]
    Court(#[from] CourtError),
    /// A pool or vending call failed.
    #[error(transparent)]
    Vending(#[from] VendingError),
    /// The chain refused or could not be reached.
    #[error(transparent)]
    Chain(#[from] ChainError),
    /// The local blob store failed, or a CID is not CIDv1 raw sha2-256.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// An evidence document is not valid JSON of the expected shape.
    #[error("evidence is not an automat evidence document: {0}")]
    EvidenceFormat(#[source] serde_json::Error),
    /// An evidence document speaks of another order than the claim.
    #[error("evidence is about order {found}, the claim is on order {expected}")]
    EvidenceOrder {
        /// The claim's order.
        expected: U256,
        /// The order the document names.
        found: U256,
    },
    /// A state file could not be read or written.
    #[error("state file {}: {source}", path.display())]
    StateIo {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A state file holds something else than this role's state; move it away or point --data-dir elsewhere.
    #[error("state file {} is corrupt: {source}", path.display())]
    StateCorrupt {
        /// The file.
        path: PathBuf,
        /// The parse error.
        source: serde_json::Error,
    },
    /// A juror committed in a round but neither its state file nor its seed explains the commitment (another
    /// process with the same key, or a different seed), so it cannot reveal.
    #[error("juror {juror} cannot reveal dispute {dispute} round {round}: no choice matches its commitment")]
    LostVote {
        /// The juror.
        juror: alloy_primitives::Address,
        /// The dispute.
        dispute: U256,
        /// The round.
        round: u64,
    },
    /// A voting policy was named that does not exist.
    #[error("unknown voting policy {0:?}: use honest, dishonest, random or fixed:<choice>")]
    UnknownPolicy(String),
    /// The dispute did not become final within the driver's step budget.
    #[error("dispute {dispute} not final after {ticks} ticks (period {period}, last errors: {errors:?})")]
    NotFinal {
        /// The dispute.
        dispute: U256,
        /// Ticks run.
        ticks: usize,
        /// Its period then.
        period: String,
        /// The last tick's errors.
        errors: Vec<String>,
    },
}

impl ClaimsError {
    /// The custom error name of a revert underneath, if any (`"CourtPeriodNotOver"`).
    pub fn revert_name(&self) -> Option<&str> {
        match self {
            Self::Court(CourtError::Chain(e)) | Self::Vending(VendingError::Chain(e)) | Self::Chain(e) => {
                e.revert_name()
            }
            _ => None,
        }
    }
}
