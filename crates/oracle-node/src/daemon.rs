//! The node as a daemon: observe, serve, and lead rounds in turn.
//!
//! Every [`Daemon::tick`] the node refreshes its [`Observer`] (the chain's sales history and every feed's value),
//! which its HTTP service ([`serve`](crate::serve)) answers peers from, and then, for each feed whose update is
//! due on chain (no value yet, a move past the feed's update threshold, or the heartbeat passed), acts if it is
//! its turn:
//!
//! ```text
//!   round r = aggregator's next round        leader(r) = committee[r mod n]   (signers in address order)
//!   t = time since round r became the next round without a report
//!   node i leads the first round r + j with (r + j) mod n = i and j ≤ t / patience   (j ≤ MAX_ROUND_SKIP)
//! ```
//!
//! So the designated leader reports at once, and when it is down (or its report failed) the next node takes
//! over after one patience period, reporting round r + 1 (the aggregator accepts a round that skips up to
//! [`MAX_ROUND_SKIP`] stalled ones), then the next, and so on. The leader collects its peers' observations over
//! HTTP ([`PeerClient::lead_round`]), proves any equivocation and submits the report. A frozen feed is left
//! alone until governance clears it: its consumers are on their manual fallback meanwhile.

use std::{
    collections::BTreeMap,
    sync::Arc,
    time::{Duration, Instant},
};

use alloy_primitives::{Address, B256, I256};
use automat_chain::ChainClient;
use automat_contracts::oracle::{FeedStatus, Oracle};

use crate::{FeedSpec, NodeError, Observer, PeerClient, Result, RoundOutcome, exchange::ServeState};

/// The most stalled rounds a report may skip (the aggregator's `MAX_ROUND_SKIP`).
pub const MAX_ROUND_SKIP: u64 = 16;

/// What one tick did for one feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FeedAction {
    /// No value: the models could not compute one yet.
    NoValue(String),
    /// The feed does not exist on the aggregator.
    Missing,
    /// Frozen by a consensus override: waiting for governance.
    Frozen,
    /// The on-chain value is current (no move past the threshold, heartbeat not due).
    NotDue,
    /// Due, but another node's turn.
    Waiting {
        /// The round being waited for.
        round: u64,
    },
    /// This node led a round.
    Reported(RoundOutcome),
    /// This node's round failed (it stays due; the next node takes over after the patience).
    Failed(String),
}

/// A running node.
pub struct Daemon<C> {
    oracle: Oracle<C>,
    observer: Observer,
    state: Arc<ServeState>,
    peers: Vec<String>,
    http: PeerClient,
    patience: Duration,
    /// Per feed: the round that was next, and since when.
    stalled: BTreeMap<B256, (u64, Instant)>,
}

impl<C> std::fmt::Debug for Daemon<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Daemon").field("peers", &self.peers).field("patience", &self.patience).finish_non_exhaustive()
    }
}

impl<C: ChainClient> Daemon<C> {
    /// A daemon reporting to `oracle` (whose client pays for reports), observing with `observer`, signing with
    /// `state.node`, asking `peers` (base URLs of the other nodes' services) and taking over a stalled round
    /// after `patience`.
    pub fn new(
        oracle: Oracle<C>,
        observer: Observer,
        state: Arc<ServeState>,
        peers: Vec<String>,
        patience: Duration,
    ) -> Self {
        Self { oracle, observer, state, peers, http: PeerClient::new(), patience, stalled: BTreeMap::new() }
    }

    /// The observer.
    pub fn observer(&self) -> &Observer {
        &self.observer
    }

    /// The node's signer address.
    pub fn address(&self) -> Address {
        self.state.node.address()
    }

    /// Refreshes the observations only (what peers are answered with); returns how many feeds have a value.
    pub async fn refresh(&mut self) -> Result<usize> {
        self.observer.refresh(self.oracle.client()).await
    }

    /// One step: refresh the observations, then report every due feed whose turn this node has.
    pub async fn tick(&mut self) -> Result<Vec<(FeedSpec, FeedAction)>> {
        self.refresh().await?;
        let (mut signers, f) = self.oracle.committee().await?;
        signers.sort();
        let me = self.address();
        let index = signers.iter().position(|s| *s == me).ok_or(NodeError::NotInCommittee(me))?;
        let n = signers.len() as u64;
        let now = self.oracle.client().block_timestamp().await?;
        let mut actions = Vec::new();
        for feed in self.observer.feeds().to_vec() {
            let action = self.feed_step(&feed, index as u64, n, usize::from(f), now).await;
            actions.push((feed, action));
        }
        Ok(actions)
    }

    async fn feed_step(&mut self, feed: &FeedSpec, index: u64, n: u64, f: usize, now: u64) -> FeedAction {
        let id = feed.id();
        let Some((value, _)) = self.observer.value(id) else {
            return FeedAction::NoValue(self.observer.error(id).unwrap_or("no value").to_owned());
        };
        match self.due(id, value, now).await {
            Ok(Some(action)) => {
                self.stalled.remove(&id);
                return action;
            }
            Ok(None) => {}
            Err(e) => return FeedAction::Failed(e.to_string()),
        }
        let next = match self.oracle.next_round(id).await {
            Ok(r) => r,
            Err(e) => return FeedAction::Failed(e.to_string()),
        };
        let since = match self.stalled.get(&id) {
            Some((round, since)) if *round == next => *since,
            _ => {
                let at = Instant::now();
                self.stalled.insert(id, (next, at));
                at
            }
        };
        let turns = (since.elapsed().as_millis() / self.patience.as_millis().max(1)) as u64;
        let Some(round) = (0..=turns.min(MAX_ROUND_SKIP).min(n - 1)).map(|j| next + j).find(|r| r % n == index) else {
            return FeedAction::Waiting { round: next };
        };
        match self.http.lead_round(&self.oracle, &self.state, &self.peers, feed, round, f).await {
            Ok(outcome) => FeedAction::Reported(outcome),
            Err(e) => FeedAction::Failed(e.to_string()),
        }
    }

    /// `Some(action)` when the feed needs no report now, `None` when one is due.
    async fn due(&self, id: B256, value: I256, now: u64) -> Result<Option<FeedAction>> {
        let status = self.oracle.feed_state(id).await?.status;
        match FeedStatus::from(status) {
            FeedStatus::None => return Ok(Some(FeedAction::Missing)),
            FeedStatus::Frozen => return Ok(Some(FeedAction::Frozen)),
            FeedStatus::Active => {}
        }
        let latest = self.oracle.latest(id).await?;
        if latest.updated_at == 0 {
            return Ok(None);
        }
        let config = self.oracle.feed_config(id).await?;
        let moved = (value - latest.value).unsigned_abs();
        let threshold = latest.value.unsigned_abs() * alloy_primitives::U256::from(config.deviationThresholdBps);
        let reaches = moved * alloy_primitives::U256::from(10_000u64) >= threshold;
        let heartbeat = now >= latest.updated_at + u64::from(config.heartbeat);
        Ok(if reaches || heartbeat { None } else { Some(FeedAction::NotDue) })
    }
}
