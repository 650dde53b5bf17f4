//! The oracle fixture: [`OracleFixture::new`] starts a one-chain devnet, deploys an `OracleAggregator` with
//! `deploy_oracle` (admin = account 0), registers a committee of [`NODES`] keys that never send transactions
//! (sorted by address, so node `i` is the `i`-th signer of a report) with f = [`F`], and creates the price feed
//! [`FEED_NAME`] with [`feed_config`]. Account 3 submits reports ("anyone", the leader).

use std::sync::Arc;

use alloy_primitives::{Address, B256, I256, aliases::I192};
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::Eip712Domain;
use automat_chain::{ChainClient, ChainClientExt, ChainError, DevnetControl, Receipt};
use automat_contracts::oracle::{
    FeedConfig, FeedKind, Latest, Observation, Oracle, OracleAggregator, SignedObservation, deploy_oracle, feed_id,
    int, sign_observation,
};
use automat_devnet::{Devnet, DevnetConfig, EmbeddedClient};

pub(crate) use crate::vending_common::{all_events, assert_revert, key};

/// Committee size.
pub(crate) const NODES: usize = 7;
/// Faulty nodes tolerated.
pub(crate) const F: u8 = 2;
/// Observations a report needs (2f + 1).
pub(crate) const QUORUM: usize = 5;
/// Agreeing observations that make a supermajority (n - f).
pub(crate) const SUPERMAJORITY: usize = 5;
/// Name of the fixture's price feed.
pub(crate) const FEED_NAME: &str = "aUSD / item 101";
/// The fixture feed's decimals (the payment token's).
pub(crate) const DECIMALS: u8 = 6;
/// One unit of the feed (1 aUSD).
pub(crate) const UNIT: i128 = 1_000_000;
/// The price the fixture's nodes usually report (2 aUSD).
pub(crate) const PRICE: i128 = 2 * UNIT;
/// Lowest and highest value the fixture feed accepts.
pub(crate) const MIN_VALUE: i128 = 1_000;
pub(crate) const MAX_VALUE: i128 = 1_000 * UNIT;
/// Update threshold, allowed deviation, outlier band and drift bound of the fixture feed (basis points).
pub(crate) const THRESHOLD_BPS: u16 = 50;
pub(crate) const MAX_DEVIATION_BPS: u16 = 500;
pub(crate) const OUTLIER_BPS: u16 = 200;
pub(crate) const MAX_DRIFT_BPS: u16 = 1_000;
/// Heartbeat, observation age and drift window of the fixture feed (seconds).
pub(crate) const HEARTBEAT: u32 = 3_600;
pub(crate) const MAX_OBSERVATION_AGE: u32 = 300;
pub(crate) const DRIFT_WINDOW: u32 = 86_400;

/// `OracleAggregator.FeedStatus` values.
pub(crate) mod status {
    pub(crate) const ACTIVE: u8 = 1;
}

/// `OracleAggregator.FreezeReason` values.
pub(crate) mod reason {
    pub(crate) const DEVIATION: u8 = 1;
    pub(crate) const DRIFT: u8 = 2;
    pub(crate) const EQUIVOCATION: u8 = 3;
}

/// The fixture feed's parameters.
pub(crate) fn feed_config() -> FeedConfig {
    FeedConfig {
        minValue: i192(MIN_VALUE),
        deviationThresholdBps: THRESHOLD_BPS,
        maxDeviationBps: MAX_DEVIATION_BPS,
        outlierBps: OUTLIER_BPS,
        maxDriftBps: MAX_DRIFT_BPS,
        maxValue: i192(MAX_VALUE),
        heartbeat: HEARTBEAT,
        maxObservationAge: MAX_OBSERVATION_AGE,
        driftWindow: DRIFT_WINDOW,
        kind: FeedKind::Price as u8,
        decimals: DECIMALS,
    }
}

/// `value` as an `int192`.
pub(crate) fn i192(value: i128) -> I192 {
    I192::try_from(value).expect("fits int192")
}

/// `count` deterministic node keys, sorted by address.
pub(crate) fn node_keys(label: &str, count: usize) -> Vec<PrivateKeySigner> {
    let mut keys: Vec<_> = (0..count).map(|i| key(&format!("automat oracle {label} {i}"))).collect();
    keys.sort_by_key(PrivateKeySigner::address);
    keys
}

/// An aggregator with a committee and one price feed.
pub(crate) struct OracleFixture {
    /// Keeps the devnet running as long as the fixture lives.
    _devnet: Arc<Devnet>,
    pub(crate) chain_id: u64,
    /// Account 0: deployer, DEFAULT_ADMIN_ROLE and ORACLE_ADMIN_ROLE.
    pub(crate) admin: EmbeddedClient,
    /// Account 3: holds no role; submits reports and equivocation proofs.
    pub(crate) stranger: EmbeddedClient,
    /// The typed handle, acting as the admin.
    pub(crate) oracle: Oracle<EmbeddedClient>,
    /// The aggregator's address.
    pub(crate) aggregator: Address,
    /// The committee's keys, sorted by address.
    pub(crate) nodes: Vec<PrivateKeySigner>,
    /// The fixture feed.
    pub(crate) feed: B256,
    /// The fixture feed's `AggregatorV3Interface`.
    pub(crate) proxy: Address,
}

impl OracleFixture {
    /// The fixture on a fresh one-chain devnet.
    pub(crate) async fn new() -> Self {
        let devnet = Devnet::start(DevnetConfig::with_chains(1)).expect("devnet starts");
        let chain_id = devnet.chain_ids()[0];
        Self::on(Arc::new(devnet), chain_id).await
    }

    /// The fixture on chain `chain_id` of `devnet` (account 0 deploys).
    pub(crate) async fn on(devnet: Arc<Devnet>, chain_id: u64) -> Self {
        let client = |index: usize| devnet.dev_client(chain_id, index).expect("prefunded account");
        let (admin, stranger) = (client(0), client(3));
        let aggregator = deploy_oracle(&admin, admin.sender()).await.expect("aggregator deploys");
        let oracle = Oracle::new(admin.clone(), aggregator);
        let nodes = node_keys("node", NODES);
        oracle.set_committee(nodes.iter().map(PrivateKeySigner::address).collect(), F).await.expect("committee");
        let feed = feed_id(FEED_NAME);
        let proxy = oracle.create_feed(feed, feed_config(), FEED_NAME).await.expect("feed created");
        Self { _devnet: devnet, chain_id, admin, stranger, oracle, aggregator, nodes, feed, proxy }
    }

    /// The aggregator's EIP-712 domain.
    pub(crate) fn domain(&self) -> Eip712Domain {
        self.oracle.domain()
    }

    /// Address of node `i`.
    pub(crate) fn node(&self, i: usize) -> Address {
        self.nodes[i].address()
    }

    // ------------------------------------------------------------------ chain

    /// Timestamp of the latest block (a transaction sent now runs at this + 1).
    pub(crate) async fn now(&self) -> u64 {
        self.admin.block_timestamp().await.expect("timestamp")
    }

    /// Mines a block at exactly `timestamp` (later than the latest block).
    pub(crate) async fn mine_at(&self, timestamp: u64) {
        self.admin.set_next_block_timestamp(timestamp).await.expect("set timestamp");
        self.admin.mine(1).await.expect("mine");
    }

    /// Makes the next transaction run at exactly `timestamp`.
    pub(crate) async fn next_tx_at(&self, timestamp: u64) {
        self.admin.set_next_block_timestamp(timestamp).await.expect("set timestamp");
    }

    // ------------------------------------------------------------------ observations

    /// `key`'s observation of `value` for `round` of `feed`, observed at `observed_at`, under `domain`.
    pub(crate) fn signed_by(
        &self,
        key: &PrivateKeySigner,
        domain: &Eip712Domain,
        feed: B256,
        round: u64,
        value: I256,
        observed_at: u64,
    ) -> SignedObservation {
        let observation = Observation { feedId: feed, round, value, observedAt: observed_at };
        sign_observation(key, domain, &observation).expect("signs")
    }

    /// Node `i`'s observation of `value` for `round` of the fixture feed.
    pub(crate) fn observation(&self, i: usize, round: u64, value: i128, observed_at: u64) -> SignedObservation {
        self.signed_by(&self.nodes[i], &self.domain(), self.feed, round, int(value), observed_at)
    }

    /// A report of `round` of `feed`: node `i` observes `value` for every `(i, value)` (given in ascending node
    /// order), observed now.
    pub(crate) async fn report_for(&self, feed: B256, round: u64, values: &[(usize, i128)]) -> Vec<SignedObservation> {
        let observed_at = self.now().await;
        let domain = self.domain();
        values.iter().map(|&(i, v)| self.signed_by(&self.nodes[i], &domain, feed, round, int(v), observed_at)).collect()
    }

    /// [`OracleFixture::report_for`] the fixture feed.
    pub(crate) async fn report(&self, round: u64, values: &[(usize, i128)]) -> Vec<SignedObservation> {
        self.report_for(self.feed, round, values).await
    }

    /// A report of `round` in which the first `count` nodes all observe `value`.
    pub(crate) async fn unanimous(&self, round: u64, count: usize, value: i128) -> Vec<SignedObservation> {
        let values: Vec<_> = (0..count).map(|i| (i, value)).collect();
        self.report(round, &values).await
    }

    // ------------------------------------------------------------------ aggregator

    /// The stranger submits `observations` as the report of `round` of `feed`.
    pub(crate) async fn submit_to(
        &self,
        feed: B256,
        round: u64,
        observations: Vec<SignedObservation>,
    ) -> Result<Receipt, ChainError> {
        self.stranger
            .send_sol(self.aggregator, &OracleAggregator::submitReportCall { feedId: feed, round, observations })
            .await
    }

    /// The stranger submits a report of the fixture feed.
    pub(crate) async fn submit(&self, round: u64, observations: Vec<SignedObservation>) -> Result<Receipt, ChainError> {
        self.submit_to(self.feed, round, observations).await
    }

    /// Submits the next round with all nodes observing `value` and expects it accepted.
    pub(crate) async fn accept(&self, value: i128) -> Receipt {
        let round = self.next_round().await;
        let report = self.unanimous(round, NODES, value).await;
        let receipt = self.submit(round, report).await.expect("report accepted");
        assert_eq!(receipt.events::<OracleAggregator::ReportAccepted>().len(), 1, "accepted");
        receipt
    }

    /// The round the next report of the fixture feed must carry.
    pub(crate) async fn next_round(&self) -> u64 {
        self.oracle.next_round(self.feed).await.expect("feedState")
    }

    /// The fixture feed's current value.
    pub(crate) async fn latest(&self) -> Latest {
        self.oracle.latest(self.feed).await.expect("latest")
    }

    /// The fixture feed's progress.
    pub(crate) async fn state(&self) -> OracleAggregator::FeedState {
        self.oracle.feed_state(self.feed).await.expect("feedState")
    }

    /// A view of the aggregator.
    pub(crate) async fn view<C: alloy_sol_types::SolCall + Sync>(&self, call: &C) -> C::Return {
        self.admin.call_sol(self.aggregator, call).await.expect("aggregator view")
    }

    /// Creates another feed (as the admin) and returns its id.
    pub(crate) async fn create_feed(&self, name: &str, config: FeedConfig) -> B256 {
        let feed = feed_id(name);
        self.oracle.create_feed(feed, config, name).await.expect("feed created");
        feed
    }
}
