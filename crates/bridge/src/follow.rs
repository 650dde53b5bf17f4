//! Following a source chain's logs with a confirmation depth.

use alloy_primitives::{Address, B256};
use automat_chain::{
    ChainClient,
    alloy::{Filter, Log},
};

use crate::Result;

/// Logs of one event of one contract that have at least `confirmations` confirmations, block by block
/// after a cursor. A log in block `b` has `head - b + 1` confirmations when the chain's head is `head`.
#[derive(Debug, Clone)]
pub struct LogFollower {
    /// The emitting contract.
    pub address: Address,
    /// The event's topic 0.
    pub topic0: B256,
    /// Confirmations required before a log is handed out (at least 1).
    pub confirmations: u64,
    /// At most this many blocks per query.
    pub max_range: u64,
}

/// One batch of confirmed logs and the last block it covers.
#[derive(Debug, Clone)]
pub struct Batch {
    /// The logs, in chain order.
    pub logs: Vec<Log>,
    /// Every block up to and including this one is covered by `logs`.
    pub to_block: u64,
}

impl LogFollower {
    /// A follower of `topic0` on `address` with `confirmations` confirmations.
    pub fn new(address: Address, topic0: B256, confirmations: u64) -> Self {
        Self { address, topic0, confirmations: confirmations.max(1), max_range: 2_000 }
    }

    /// The confirmed logs after block `cursor` (from block 0 when `None`), or `None` when no new block is
    /// confirmed yet.
    pub async fn next<C: ChainClient>(&self, client: &C, cursor: Option<u64>) -> Result<Option<Batch>> {
        let head = client.block_number().await?;
        let Some(confirmed) = head.checked_sub(self.confirmations - 1) else {
            return Ok(None);
        };
        let from = cursor.map_or(0, |c| c + 1);
        if from > confirmed {
            return Ok(None);
        }
        let to = confirmed.min(from.saturating_add(self.max_range - 1));
        let filter = Filter::new().address(self.address).event_signature(self.topic0).from_block(from).to_block(to);
        let mut logs = client.logs(&filter).await?;
        logs.sort_by_key(|l| (l.block_number, l.log_index));
        Ok(Some(Batch { logs, to_block: to }))
    }
}
