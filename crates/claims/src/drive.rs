//! Running the keeper and a set of juror agents until a dispute is final, the same way for the demo, the
//! benchmark and tests.
//!
//! Time is the caller's explicit choice through a [`Clock`]: a [`DevnetClock`] moves a devnet's time itself
//! (through [`DevnetControl`]) to the next moment something falls due whenever a tick did nothing, so a dispute
//! of hours finishes in milliseconds; a [`WallClock`] waits for real time to pass, as against a live node.

use std::{future::Future, time::Duration};

use alloy_primitives::U256;
use automat_chain::{ChainClient, DevnetControl};
use serde::Serialize;

use crate::{ClaimsError, DisputeKeeper, JurorAgent, Result};

/// How a driver learns the time and lets it pass.
pub trait Clock: Send + Sync {
    /// The timestamp the next transaction will run at.
    fn now(&self) -> impl Future<Output = Result<u64>> + Send;

    /// Returns once a transaction would run at `timestamp` or later (or, for a wall clock, after a bounded
    /// wait; callers re-read [`Clock::now`]).
    fn wait_until(&self, timestamp: u64) -> impl Future<Output = Result<()>> + Send;
}

/// Moves a devnet's (or a Hardhat node's) time: `wait_until(t)` mines an empty block at `t - 1`.
#[derive(Debug, Clone)]
pub struct DevnetClock<D>(pub D);

impl<D: DevnetControl> Clock for DevnetClock<D> {
    async fn now(&self) -> Result<u64> {
        Ok(self.0.block_timestamp().await? + 1)
    }

    async fn wait_until(&self, timestamp: u64) -> Result<()> {
        let latest = self.0.block_timestamp().await?;
        if latest + 1 < timestamp {
            self.0.set_next_block_timestamp(timestamp - 1).await?;
        }
        self.0.mine(1).await?;
        Ok(())
    }
}

/// Real time against a node that stamps blocks with its own clock: `now` is the later of the system clock and
/// the latest block + 1; `wait_until` sleeps until then, at most `poll` at a time.
#[derive(Debug, Clone)]
pub struct WallClock<C> {
    client: C,
    poll: Duration,
}

impl<C: ChainClient> WallClock<C> {
    /// A wall clock reading blocks through `client`, sleeping at most `poll` per wait.
    pub fn new(client: C, poll: Duration) -> Self {
        Self { client, poll }
    }
}

/// Seconds since the Unix epoch by the system clock.
pub fn unix_now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

impl<C: ChainClient> Clock for WallClock<C> {
    async fn now(&self) -> Result<u64> {
        Ok(unix_now().max(self.client.block_timestamp().await? + 1))
    }

    async fn wait_until(&self, timestamp: u64) -> Result<()> {
        let wait =
            Duration::from_secs(timestamp.saturating_sub(unix_now())).clamp(Duration::from_millis(50), self.poll);
        tokio::time::sleep(wait).await;
        Ok(())
    }
}

/// Limits of [`drive_to_final`].
#[derive(Debug, Clone, Copy)]
pub struct DriveOptions {
    /// Most ticks before giving up with [`ClaimsError::NotFinal`].
    pub max_ticks: usize,
}

impl Default for DriveOptions {
    /// 500 ticks (a one-round dispute takes about 15 on a devnet).
    fn default() -> Self {
        Self { max_ticks: 500 }
    }
}

/// How a driven dispute ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DriveReport {
    /// The dispute.
    pub dispute: U256,
    /// Its final ruling (for a claim: 1 pay, 2 reject, 0 refused or tied).
    pub ruling: U256,
    /// Its rounds.
    pub rounds: u64,
    /// Ticks run.
    pub ticks: usize,
    /// Votes committed by the agents (dispute, round, choice).
    pub committed: Vec<(U256, u64, u64)>,
    /// Votes revealed by the agents.
    pub revealed: Vec<(U256, u64, u64)>,
    /// Draws moved to a later beacon round.
    pub beacon_moves: usize,
    /// Timestamp at which it became final.
    pub final_at: u64,
}

/// Ticks `keeper` and every agent of `jurors` for dispute `dispute` until its ruling is delivered and every
/// round's rewards are executed, letting time pass through `clock` whenever a tick sent nothing (to the next
/// due time the keeper reported). The jurors withdraw their rewards on the last tick. Nothing funds appeals,
/// so the first round's ruling stands.
pub async fn drive_to_final<C: ChainClient, K: Clock>(
    keeper: &mut DisputeKeeper<C>,
    jurors: &mut [JurorAgent<C>],
    dispute: U256,
    clock: &K,
    options: &DriveOptions,
) -> Result<DriveReport> {
    let mut committed = Vec::new();
    let mut revealed = Vec::new();
    let mut beacon_moves = 0;
    let mut errors = Vec::new();
    for tick in 1..=options.max_ticks {
        let now = clock.now().await?;
        let k = keeper.tick_dispute(dispute, now).await?;
        let mut acted = k.acted();
        beacon_moves += k.moved;
        errors = k.errors.clone();
        for juror in jurors.iter_mut() {
            let j = juror.tick_dispute(dispute).await;
            acted |= j.acted();
            committed.extend(j.committed);
            revealed.extend(j.revealed);
            errors.extend(j.errors);
        }
        if keeper.is_final(dispute).await? {
            for juror in jurors.iter_mut() {
                juror.tick_dispute(dispute).await;
                juror.withdraw().await;
            }
            let info = keeper.court().dispute(dispute).await?;
            return Ok(DriveReport {
                dispute,
                ruling: info.ruling,
                rounds: info.rounds,
                ticks: tick,
                committed,
                revealed,
                beacon_moves,
                final_at: now,
            });
        }
        if !acted {
            clock.wait_until(k.next_due.unwrap_or(now + 1).max(now + 1)).await?;
        }
    }
    let period = keeper.court().dispute(dispute).await?.period;
    Err(ClaimsError::NotFinal { dispute, ticks: options.max_ticks, period: format!("{period:?}"), errors })
}
