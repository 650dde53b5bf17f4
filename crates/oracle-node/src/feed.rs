//! Feeds a node serves.

use alloy_primitives::B256;
use automat_contracts::oracle::{FeedKind, feed_id};
use serde::{Deserialize, Serialize};

/// One feed: what it measures and for which machine slot. Its id is `keccak256(name)`; the name is
/// `"<kind>/<chain id>/<machine>/<slot>"` for the feeds of a machine slot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedSpec {
    /// The feed's name (its id is `keccak256(name)`).
    pub name: String,
    /// What it measures.
    pub kind: FeedKind,
    /// The chain the machine is on.
    pub chain_id: u64,
    /// The machine.
    pub machine: u64,
    /// The slot.
    pub slot: u16,
}

impl FeedSpec {
    /// The price feed of `slot` of `machine` on `chain_id`.
    pub fn price(chain_id: u64, machine: u64, slot: u16) -> Self {
        Self::new(FeedKind::Price, chain_id, machine, slot)
    }

    /// The demand-forecast feed (units over the next 24 hours, 6 decimals) of a machine slot.
    pub fn forecast(chain_id: u64, machine: u64, slot: u16) -> Self {
        Self::new(FeedKind::Forecast, chain_id, machine, slot)
    }

    /// The risk feed (probability of a failed or disputed purchase, 6 decimals) of a machine slot.
    pub fn risk(chain_id: u64, machine: u64, slot: u16) -> Self {
        Self::new(FeedKind::Risk, chain_id, machine, slot)
    }

    fn new(kind: FeedKind, chain_id: u64, machine: u64, slot: u16) -> Self {
        let tag = match kind {
            FeedKind::Price => "price",
            FeedKind::Forecast => "forecast",
            FeedKind::Risk => "risk",
        };
        Self { name: format!("{tag}/{chain_id}/{machine}/{slot}"), kind, chain_id, machine, slot }
    }

    /// The feed's id on the aggregator.
    pub fn id(&self) -> B256 {
        feed_id(&self.name)
    }
}
