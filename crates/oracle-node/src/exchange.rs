//! Exchanging observations and reporting.
//!
//! In one process a [`Committee`] holds every node and runs rounds directly. Between daemons each node serves
//! its observation over HTTP ([`serve`]: a peer asks `GET /observation/{feed_id}/{round}` and the node
//! answers with the value it computes itself) and the leader collects them with [`PeerClient`]. Either way the leader of round `r` is node `r mod n` in signer-address order, it
//! submits at least 2f + 1 observations, and it reports any peer seen signing two values for the round.

use std::{collections::BTreeMap, net::SocketAddr, sync::Arc};

use alloy_primitives::{Address, B256, I256};
use alloy_sol_types::{Eip712Domain, SolStruct};
use automat_chain::ChainClient;
use automat_contracts::oracle::{Observation, Oracle, SignedObservation, sort_by_signer};
use axum::{
    Json, Router,
    extract::{Path, State},
    http::StatusCode,
    routing::get,
};
use serde::{Deserialize, Serialize};

use crate::{FeedSpec, NodeError, OracleNode, Result};

/// Why talking to a peer failed.
#[derive(Debug, thiserror::Error)]
pub enum ExchangeError {
    /// The peer could not be reached or answered badly.
    #[error("peer {peer}: {reason}")]
    Peer {
        /// The peer's URL.
        peer: String,
        /// What went wrong.
        reason: String,
    },
    /// Serving failed.
    #[error("serve: {0}")]
    Serve(String),
}

/// What one round did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoundOutcome {
    /// The feed.
    pub feed: String,
    /// The round.
    pub round: u64,
    /// The leader that submitted.
    pub leader: Address,
    /// Observations in the report.
    pub observations: usize,
    /// Whether the median became the feed's value (false: the report froze the feed).
    pub accepted: bool,
    /// The report's median.
    pub median: I256,
    /// Signers the aggregator flagged as outliers.
    pub flagged: Vec<Address>,
    /// Signers the leader proved to have signed two values.
    pub equivocators: Vec<Address>,
    /// Gas of the report.
    pub gas_used: u64,
}

/// Every node of a committee in one process, and the aggregator they report to.
#[derive(Debug)]
pub struct Committee<C> {
    nodes: Vec<OracleNode>,
    oracle: Oracle<C>,
    f: usize,
}

impl<C: ChainClient> Committee<C> {
    /// A committee of `nodes` tolerating `f` faults, reporting to `oracle` (whose client pays for reports).
    pub fn new(mut nodes: Vec<OracleNode>, oracle: Oracle<C>, f: usize) -> Self {
        nodes.sort_by_key(OracleNode::address);
        Self { nodes, oracle, f }
    }

    /// The nodes, in signer-address order.
    pub fn nodes(&self) -> &[OracleNode] {
        &self.nodes
    }

    /// The aggregator handle.
    pub fn oracle(&self) -> &Oracle<C> {
        &self.oracle
    }

    /// One round of `feed` (the aggregator's next round, or the first one after any round a node already
    /// signed): every node observes `value(node index)`; the round's leader gathers what every peer
    /// was shown (peers relay what they received, so an equivocator's two values meet), proves any
    /// equivocation, and submits the report.
    pub async fn run_round(&self, feed: &FeedSpec, value: impl Fn(usize) -> I256) -> Result<RoundOutcome> {
        let domain = self.oracle.domain();
        let feed_id = feed.id();
        // A round some node already signed without it being reported (its observations may have aged out) is
        // skipped: honest nodes never sign a second value for it.
        let mut round = self.oracle.next_round(feed_id).await?;
        for node in &self.nodes {
            if let Some(signed) = node.last_signed_round(feed_id)? {
                round = round.max(signed + 1);
            }
        }
        let observed_at = self.oracle.client().block_timestamp().await?;
        let n = self.nodes.len();
        let leader = usize::try_from(round % n as u64).unwrap_or(0);
        // What each peer was shown by each node, relayed to the leader.
        let mut seen: BTreeMap<Address, Vec<SignedObservation>> = BTreeMap::new();
        for peer in 0..n {
            for (index, node) in self.nodes.iter().enumerate() {
                let signed = node.observe(&domain, feed_id, round, value(index), observed_at, peer)?;
                let versions = seen.entry(node.address()).or_default();
                if !versions.contains(&signed) {
                    versions.push(signed);
                }
            }
        }
        report(&self.oracle, &domain, feed, round, self.nodes[leader].address(), seen, self.f, 0).await
    }
}

/// The leader's part of a round: from every signer's observations as seen, proves equivocations and submits
/// the report of the rest (leaving out observations made before `oldest`).
#[allow(clippy::too_many_arguments)]
async fn report<C: ChainClient>(
    oracle: &Oracle<C>,
    domain: &Eip712Domain,
    feed: &FeedSpec,
    round: u64,
    leader: Address,
    seen: BTreeMap<Address, Vec<SignedObservation>>,
    f: usize,
    oldest: u64,
) -> Result<RoundOutcome> {
    let feed_id = feed.id();
    let mut equivocators = Vec::new();
    let mut single = Vec::new();
    for (signer, versions) in seen {
        let values: Vec<&SignedObservation> =
            versions.iter().filter(|v| verify(domain, feed_id, round, v, signer)).collect();
        match values.as_slice() {
            [] => {}
            [one] => {
                if one.observedAt >= oldest {
                    single.push((signer, (*one).clone()));
                }
            }
            [a, b, ..] => {
                oracle.report_equivocation(feed_id, round, (*a).clone(), (*b).clone()).await?;
                equivocators.push(signer);
            }
        }
    }
    if !equivocators.is_empty() {
        // The proof froze the feed: a report for this round would be refused.
        return Ok(RoundOutcome {
            feed: feed.name.clone(),
            round,
            leader,
            observations: 0,
            accepted: false,
            median: I256::ZERO,
            flagged: Vec::new(),
            equivocators,
            gas_used: 0,
        });
    }
    let need = 2 * f + 1;
    if single.len() < need {
        return Err(no_quorum(feed, round, single.len(), need));
    }
    let observations = single.len();
    let outcome = oracle.submit_report(feed_id, round, sort_by_signer(single)).await?;
    Ok(RoundOutcome {
        feed: feed.name.clone(),
        round,
        leader,
        observations,
        accepted: outcome.accepted,
        median: outcome.median,
        flagged: outcome.flagged,
        equivocators,
        gas_used: outcome.receipt.gas_used,
    })
}

fn no_quorum(feed: &FeedSpec, round: u64, have: usize, need: usize) -> NodeError {
    NodeError::NoQuorum { feed: feed.name.clone(), round, have, need }
}

/// Whether `observation` is `signer`'s signature over this feed and round.
fn verify(domain: &Eip712Domain, feed: B256, round: u64, observation: &SignedObservation, signer: Address) -> bool {
    let message = Observation { feedId: feed, round, value: observation.value, observedAt: observation.observedAt };
    let hash = message.eip712_signing_hash(domain);
    alloy_primitives::Signature::try_from(observation.signature.as_ref())
        .ok()
        .and_then(|s| s.recover_address_from_prehash(&hash).ok())
        .is_some_and(|a| a == signer)
}

/// A node's observation as it travels between daemons.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireObservation {
    /// The signer.
    pub signer: Address,
    /// The value (decimal string of an int256).
    pub value: String,
    /// When observed.
    pub observed_at: u64,
    /// The 65-byte signature, hex.
    pub signature: alloy_primitives::Bytes,
}

impl WireObservation {
    fn into_signed(self) -> Option<(Address, SignedObservation)> {
        let value = self.value.parse().ok()?;
        Some((self.signer, SignedObservation { value, observedAt: self.observed_at, signature: self.signature }))
    }
}

/// What a daemon serves: its node and how it computes a feed's value now.
pub struct ServeState {
    /// The node.
    pub node: OracleNode,
    /// The aggregator's domain.
    pub domain: Eip712Domain,
    /// The node's value of a feed (by id) now, and the time it observed it.
    pub observe: Box<dyn Fn(B256) -> Result<(I256, u64)> + Send + Sync>,
}

impl ServeState {
    /// A node answering from the values an [`Observer`](crate::Observer) computed at its last refresh
    /// ([`Observer::values`](crate::Observer::values)); a feed without a value is refused.
    pub fn from_values(node: OracleNode, domain: Eip712Domain, values: crate::observer::SharedValues) -> Self {
        Self {
            node,
            domain,
            observe: Box::new(move |feed| {
                values
                    .read()
                    .ok()
                    .and_then(|v| v.get(&feed).copied())
                    .ok_or_else(|| NodeError::Model(format!("no value for feed {feed}")))
            }),
        }
    }
}

impl std::fmt::Debug for ServeState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServeState").field("node", &self.node).finish_non_exhaustive()
    }
}

/// Serves `GET /observation/{feed_id}/{round}` (the feed id as 0x-hex) on `listen` until `shutdown` completes.
pub async fn serve(
    state: Arc<ServeState>,
    listen: SocketAddr,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<SocketAddr> {
    let app = Router::new().route("/observation/{feed}/{round}", get(observation)).with_state(state);
    let listener =
        tokio::net::TcpListener::bind(listen).await.map_err(|e| ExchangeError::Serve(format!("bind {listen}: {e}")))?;
    let local = listener.local_addr().map_err(|e| ExchangeError::Serve(e.to_string()))?;
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).with_graceful_shutdown(shutdown).await {
            tracing::warn!(error = %e, "oracle node HTTP service stopped");
        }
    });
    Ok(local)
}

async fn observation(
    State(state): State<Arc<ServeState>>,
    Path((feed, round)): Path<(String, u64)>,
) -> Result<Json<WireObservation>, (StatusCode, String)> {
    let feed_id: B256 = feed.parse().map_err(|_| (StatusCode::BAD_REQUEST, format!("bad feed id {feed:?}")))?;
    let (value, observed_at) =
        (state.observe)(feed_id).map_err(|e| (StatusCode::SERVICE_UNAVAILABLE, e.to_string()))?;
    let signed = state
        .node
        .observe(&state.domain, feed_id, round, value, observed_at, 0)
        .map_err(|e| (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
    Ok(Json(WireObservation {
        signer: state.node.address(),
        value: signed.value.to_string(),
        observed_at: signed.observedAt,
        signature: signed.signature,
    }))
}

/// Fetches observations from peer daemons.
#[derive(Debug, Clone)]
pub struct PeerClient {
    http: reqwest::Client,
}

impl Default for PeerClient {
    fn default() -> Self {
        Self::new()
    }
}

impl PeerClient {
    /// A client with a short timeout (a slow peer must not hold a round).
    pub fn new() -> Self {
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(3))
            // Peers are reached directly, never through a proxy from the environment.
            .no_proxy()
            .build()
            .unwrap_or_else(|_| reqwest::Client::new());
        Self { http }
    }

    /// Peer `base`'s observation for `round` of `feed`.
    pub async fn fetch(&self, base: &str, feed: &FeedSpec, round: u64) -> Result<(Address, SignedObservation)> {
        let url = format!("{}/observation/{}/{round}", base.trim_end_matches('/'), feed.id());
        let peer_err = |reason: String| ExchangeError::Peer { peer: base.to_string(), reason };
        let response = self.http.get(&url).send().await.map_err(|e| peer_err(e.to_string()))?;
        if !response.status().is_success() {
            let status = response.status();
            let body = response.text().await.unwrap_or_default();
            return Err(peer_err(format!("{status}: {body}")).into());
        }
        let wire: WireObservation = response.json().await.map_err(|e| peer_err(e.to_string()))?;
        Ok(wire.into_signed().ok_or_else(|| peer_err("bad value".into()))?)
    }

    /// The leader's round over HTTP: its own observation plus every reachable peer's, then [`report`]ing.
    pub async fn lead_round<C: ChainClient>(
        &self,
        oracle: &Oracle<C>,
        own: &ServeState,
        peers: &[String],
        feed: &FeedSpec,
        round: u64,
        f: usize,
    ) -> Result<RoundOutcome> {
        let feed_id = feed.id();
        let (value, observed_at) = (own.observe)(feed_id)?;
        let mine = own.node.observe(&own.domain, feed_id, round, value, observed_at, 0)?;
        let mut seen: BTreeMap<Address, Vec<SignedObservation>> = BTreeMap::new();
        seen.entry(own.node.address()).or_default().push(mine);
        for peer in peers {
            match self.fetch(peer, feed, round).await {
                Ok((signer, observation)) => {
                    let versions = seen.entry(signer).or_default();
                    if !versions.contains(&observation) {
                        versions.push(observation);
                    }
                }
                Err(e) => tracing::warn!(peer, error = %e, "peer observation unavailable"),
            }
        }
        // An observation signed for this round earlier (for a leader whose report never landed) may be too old
        // for the aggregator now; one such would revert the whole report, so it is left out.
        let max_age = u64::from(oracle.feed_config(feed_id).await?.maxObservationAge);
        let oldest = oracle.client().block_timestamp().await?.saturating_sub(max_age);
        report(oracle, &own.domain, feed, round, own.node.address(), seen, f, oldest).await
    }
}
