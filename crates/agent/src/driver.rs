//! The seam between the agent and the vending hardware.
//!
//! [`DispenseDriver`] is shaped after the MDB/ICP cashless protocol, in which the agent plays the cashless
//! device and the vending machine controller (VMC) does the vending: `vend` is one session — the VMC's
//! VEND REQUEST for a slot and price, our VEND APPROVED, then the VMC's VEND SUCCESS or VEND FAILURE and
//! SESSION COMPLETE. `recall` reads the machine's own audit record (DEX/UCS audit data on a real machine) to
//! learn what happened to a session the agent lost track of in a crash, so the agent never vends twice.
//! [`crate::SimulatedMachine`] implements it in software.

use std::future::Future;

use serde::{Deserialize, Serialize};

/// One vend session asked of the machine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VendRequest {
    /// Identifies the session across restarts (`order:<id>` or `offline:<seq>`); `recall` takes it.
    pub session: String,
    /// The slot to vend from.
    pub slot: u16,
    /// The item the slot should hold.
    pub item_id: u64,
    /// The approved amount, in payment-token base units.
    pub price: u128,
}

/// How a vend session ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum VendOutcome {
    /// VEND SUCCESS: the item was delivered.
    Dispensed,
    /// VEND FAILURE: nothing was delivered.
    Failed(VendFailure),
}

impl VendOutcome {
    /// Whether the item came out.
    pub fn dispensed(&self) -> bool {
        matches!(self, Self::Dispensed)
    }
}

/// Why nothing was delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum VendFailure {
    /// The VMC reported a vend failure (motor, sensor, no drop detected).
    VendFailed,
    /// The item jammed; the slot is out of service until cleared.
    Jam,
    /// The slot is empty.
    SoldOut,
}

/// Why the driver could not run a session at all.
#[derive(Debug, thiserror::Error)]
pub enum DriverError {
    /// The machine does not answer (link to the VMC down, powered off).
    #[error("vending machine not responding: {0}")]
    Unavailable(String),
    /// The machine cannot say what happened to an earlier session.
    #[error("the machine keeps no audit record of sessions; cannot recall {0}")]
    RecallUnsupported(String),
    /// The audit record could not be read or written.
    #[error("machine audit record: {0}")]
    Audit(String),
}

/// A vending machine as the agent drives it. Implementations must be safe to call from one task at a time per
/// machine; the agent never runs two sessions at once.
pub trait DispenseDriver: Send + Sync {
    /// Runs one vend session to its end.
    fn vend(&self, request: &VendRequest) -> impl Future<Output = Result<VendOutcome, DriverError>> + Send;

    /// What became of session `session`: `None` if the machine never started it.
    fn recall(&self, session: &str) -> impl Future<Output = Result<Option<VendOutcome>, DriverError>> + Send;
}
