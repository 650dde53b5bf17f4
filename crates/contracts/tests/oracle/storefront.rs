//! The Storefront with oracle prices: binding a slot to a price feed (who may, every refusal), quotes against a
//! fresh feed (within and outside the tolerance, the band still applying), a stale feed or one without a value
//! (refused), a frozen feed (consensus override: the operator's manual band), unbinding, and the gas of the
//! quote path with and without a feed.

use std::sync::Arc;

use alloy_primitives::{Address, B256, keccak256};
use automat_chain::{ChainClient, ChainClientExt, ChainError, Receipt};
use automat_contracts::{
    oracle::{FeedConfig, FeedKind, FeedStatus, OracleAggregator, int, set_price_feed},
    vending::{
        MachineRegistry,
        Storefront::{self, StorefrontEvents as Ev},
        VendingError,
    },
};
use automat_devnet::EmbeddedClient;

use crate::{
    common::{self as oracle_common, NODES, OracleFixture, PRICE, assert_revert},
    vending_common::{Fixture, ORDER_WINDOW, USD, all_events},
};

/// Tolerance and maximum age the tests bind slots with.
const TOLERANCE_BPS: u16 = 500;
const MAX_AGE: u32 = 3_600;

/// The vending suite and an aggregator on one chain, the feed at 2 USD (the fixture feed has the token's six
/// decimals, so its values are payment-token base units).
struct World {
    fx: Fixture,
    oracle: OracleFixture,
}

impl World {
    async fn new() -> Self {
        let fx = Fixture::new().await;
        let oracle = OracleFixture::on(Arc::clone(&fx.devnet), fx.suite.chain_id).await;
        oracle.accept(PRICE).await;
        Self { fx, oracle }
    }

    fn binding(&self, feed: B256, tolerance: u16, max_age: u32) -> Storefront::PriceFeed {
        Storefront::PriceFeed {
            aggregator: self.oracle.aggregator,
            toleranceBps: tolerance,
            maxAge: max_age,
            feedId: feed,
        }
    }

    /// `client` binds `slot` of the fixture machine to `feed`.
    async fn bind_as(&self, client: &EmbeddedClient, slot: u16, feed: B256) -> Result<Receipt, VendingError> {
        let binding = self.binding(feed, TOLERANCE_BPS, MAX_AGE);
        set_price_feed(client, self.fx.suite.storefront, self.fx.machine, slot, binding).await
    }

    /// The operator binds `slot` to the fixture feed.
    async fn bind(&self, slot: u16) -> Receipt {
        self.bind_as(&self.fx.operator, slot, self.oracle.feed).await.expect("slot bound")
    }

    /// The buyer approves and tries to order `slot` at `price` with quote nonce `nonce`.
    async fn order(&self, slot: u16, price: u128, nonce: u64) -> Result<Receipt, ChainError> {
        let fx = &self.fx;
        fx.approve(&fx.buyer, fx.suite.storefront, price).await;
        let (quote, signature) = fx.quote(slot, price, nonce).await;
        let deadline = fx.now().await + 1 + ORDER_WINDOW;
        fx.place_order(&quote, &signature, price, deadline).await
    }

    async fn price_feed_of(&self, slot: u16) -> Storefront::PriceFeed {
        self.fx
            .admin
            .call_sol(self.fx.suite.storefront, &Storefront::priceFeedOfCall { machineId: self.fx.machine, slot })
            .await
            .expect("priceFeedOf")
    }
}

// ---------------------------------------------------------------------- setPriceFeed and clearPriceFeed

#[tokio::test]
async fn the_operator_or_the_owner_binds_a_slot_to_a_price_feed() {
    let w = World::new().await;
    let receipt = w.bind(0).await;
    assert_eq!(
        all_events::<Ev>(&receipt, w.fx.suite.storefront),
        vec![Ev::PriceFeedSet(Storefront::PriceFeedSet {
            machineId: w.fx.machine,
            slot: 0,
            aggregator: w.oracle.aggregator,
            feedId: w.oracle.feed,
            toleranceBps: TOLERANCE_BPS,
            maxAge: MAX_AGE,
        })]
    );
    assert_eq!(w.price_feed_of(0).await, w.binding(w.oracle.feed, TOLERANCE_BPS, MAX_AGE));
    let unbound = Storefront::PriceFeed { aggregator: Address::ZERO, toleranceBps: 0, maxAge: 0, feedId: B256::ZERO };
    assert_eq!(w.price_feed_of(1).await, unbound, "slot 1 unbound");

    // The Storefront's owner may bind any machine's slot.
    w.bind_as(&w.fx.admin, 1, w.oracle.feed).await.expect("owner binds");
    assert_eq!(w.price_feed_of(1).await.feedId, w.oracle.feed);

    let receipt =
        w.fx.operator
            .send_sol(w.fx.suite.storefront, &Storefront::clearPriceFeedCall { machineId: w.fx.machine, slot: 0 })
            .await
            .expect("cleared");
    assert_eq!(
        all_events::<Ev>(&receipt, w.fx.suite.storefront),
        vec![Ev::PriceFeedCleared(Storefront::PriceFeedCleared { machineId: w.fx.machine, slot: 0 })]
    );
    assert_eq!(w.price_feed_of(0).await, unbound);
}

#[tokio::test]
async fn set_price_feed_refusals() {
    let w = World::new().await;
    let (fx, feed) = (&w.fx, w.oracle.feed);
    let storefront = fx.suite.storefront;
    assert_revert(
        w.bind_as(&fx.stranger, 0, feed).await,
        Storefront::NotOperatorOrOwner { machineId: fx.machine, caller: fx.stranger.sender() },
    );
    assert_revert(
        fx.stranger.send_sol(storefront, &Storefront::clearPriceFeedCall { machineId: fx.machine, slot: 0 }).await,
        Storefront::NotOperatorOrOwner { machineId: fx.machine, caller: fx.stranger.sender() },
    );
    let set = |aggregator: Address, feed: B256, slot: u16, tolerance: u16, max_age: u32| Storefront::setPriceFeedCall {
        machineId: fx.machine,
        slot,
        aggregator,
        feedId: feed,
        toleranceBps: tolerance,
        maxAge: max_age,
    };
    let aggregator = w.oracle.aggregator;
    for (agg, tolerance, max_age) in [(Address::ZERO, 500, 60), (aggregator, 10_001, 60), (aggregator, 500, 0)] {
        assert_revert(
            fx.operator.send_sol(storefront, &set(agg, feed, 0, tolerance, max_age)).await,
            Storefront::InvalidPriceFeed { aggregator: agg, toleranceBps: tolerance, maxAge: max_age },
        );
    }
    assert_revert(
        fx.operator.send_sol(storefront, &set(aggregator, feed, 2, 500, 60)).await,
        MachineRegistry::SlotNotFound { machineId: fx.machine, slot: 2 },
    );
    assert_revert(
        fx.operator
            .send_sol(storefront, &Storefront::setPriceFeedCall { machineId: 99, ..set(aggregator, feed, 0, 500, 60) })
            .await,
        MachineRegistry::MachineNotFound { machineId: 99 },
    );
    let unknown = keccak256("unknown");
    assert_revert(
        fx.operator.send_sol(storefront, &set(aggregator, unknown, 0, 500, 60)).await,
        OracleAggregator::FeedNotFound { feedId: unknown },
    );
    let risk = w
        .oracle
        .create_feed("risk / machine 1", FeedConfig { kind: FeedKind::Risk as u8, ..oracle_common::feed_config() })
        .await;
    assert_revert(
        fx.operator.send_sol(storefront, &set(aggregator, risk, 0, 500, 60)).await,
        Storefront::NotAPriceFeed { feedId: risk },
    );
    let eight = w
        .oracle
        .create_feed("aUSD / item 101, 8 decimals", FeedConfig { decimals: 8, ..oracle_common::feed_config() })
        .await;
    assert_revert(
        fx.operator.send_sol(storefront, &set(aggregator, eight, 0, 500, 60)).await,
        Storefront::FeedDecimalsMismatch { feedId: eight, feedDecimals: 8, tokenDecimals: 6 },
    );
    assert_eq!(w.price_feed_of(0).await.aggregator, Address::ZERO, "nothing bound");
}

// ---------------------------------------------------------------------- quotes

#[tokio::test]
async fn a_fresh_feed_bounds_the_quote() {
    let w = World::new().await;
    w.bind(0).await;
    // 2 USD ± 5 %.
    w.order(0, 2_050_000, 1).await.expect("2.05 within 5 %");
    w.order(0, 1_900_000, 2).await.expect("1.90: exactly 5 % below");
    w.order(0, 2_100_000, 3).await.expect("2.10: exactly 5 % above");
    for (nonce, price) in [(4, 2_100_001), (5, 1_899_999), (6, 1_000_000)] {
        assert_revert(
            w.order(0, price, nonce).await,
            Storefront::PriceOffFeed { price, feedPrice: int(PRICE), toleranceBps: TOLERANCE_BPS },
        );
    }
    // Slot 1 has no feed: its band alone applies.
    w.order(1, 1_900_000, 7).await.expect("unbound slot");

    // The band still applies: with the feed at 2.90 a quote of 3.04 is within 5 % but above the 3 USD band.
    w.oracle.accept(2_900_000).await;
    w.order(0, 3 * USD, 8).await.expect("3.00 within band and tolerance");
    assert_revert(
        w.order(0, 3_040_000, 9).await,
        Storefront::PriceOutOfBand { price: 3_040_000, minPrice: USD, maxPrice: 3 * USD },
    );
}

#[tokio::test]
async fn a_stale_feed_refuses_quotes() {
    let w = World::new().await;
    w.bind(0).await;
    let updated = w.oracle.latest().await.updated_at;
    w.oracle.mine_at(updated + u64::from(MAX_AGE) - 2).await;
    w.order(0, 2 * USD, 1).await.expect("at the maximum age the feed is fresh");
    assert_eq!(w.fx.now().await, updated + u64::from(MAX_AGE));
    let stale = Storefront::FeedPriceStale { machineId: w.fx.machine, slot: 0, updatedAt: updated, maxAge: MAX_AGE };
    assert_revert(w.order(0, 2 * USD, 2).await, stale);
    let stock = w.fx.stock(w.fx.machine, 0).await;
    assert_eq!(stock, 4, "only the first order reserved a unit");

    // A feed without a value yet is stale too.
    let empty = w.oracle.create_feed("aUSD / item 202", oracle_common::feed_config()).await;
    w.bind_as(&w.fx.operator, 1, empty).await.expect("bound");
    assert_revert(
        w.order(1, USD, 3).await,
        Storefront::FeedPriceStale { machineId: w.fx.machine, slot: 1, updatedAt: 0, maxAge: MAX_AGE },
    );
    // A fresh report makes quotes possible again.
    w.oracle.accept(PRICE).await;
    w.order(0, 2 * USD, 4).await.expect("fresh again");
}

#[tokio::test]
async fn a_frozen_feed_falls_back_to_the_operators_manual_band() {
    let w = World::new().await;
    w.bind(0).await;
    assert_revert(
        w.order(0, 2_800_000, 1).await,
        Storefront::PriceOffFeed { price: 2_800_000, feedPrice: int(PRICE), toleranceBps: TOLERANCE_BPS },
    );
    // A node signs two values for a round: consensus override.
    let o = &w.oracle;
    let now = o.now().await;
    let (a, b) = (o.observation(1, 2, PRICE, now), o.observation(1, 2, 5 * PRICE, now));
    o.oracle.report_equivocation(o.feed, 2, a, b).await.expect("frozen");
    assert_eq!(o.latest().await.status, FeedStatus::Frozen);

    // Manual mode: the band (1–3 USD) alone, however far from the frozen value and however old it gets.
    w.order(0, 2_800_000, 1).await.expect("manual price within band");
    w.oracle.mine_at(w.oracle.latest().await.updated_at + 10 * u64::from(MAX_AGE)).await;
    w.order(0, 1_100_000, 2).await.expect("manual price within band, feed long stale");
    assert_revert(
        w.order(0, 3_200_000, 3).await,
        Storefront::PriceOutOfBand { price: 3_200_000, minPrice: USD, maxPrice: 3 * USD },
    );

    // Governance clears the freeze; the feed's value is old by now, so quotes wait for a fresh report.
    o.oracle.clear_freeze(o.feed).await.expect("cleared");
    let updated = o.latest().await.updated_at;
    assert_revert(
        w.order(0, 2 * USD, 4).await,
        Storefront::FeedPriceStale { machineId: w.fx.machine, slot: 0, updatedAt: updated, maxAge: MAX_AGE },
    );
    let round = o.next_round().await;
    let report = o.unanimous(round, NODES, PRICE).await;
    o.submit(round, report).await.expect("heartbeat report");
    w.order(0, 2 * USD, 5).await.expect("fresh feed");
    assert_revert(
        w.order(0, 2_800_000, 6).await,
        Storefront::PriceOffFeed { price: 2_800_000, feedPrice: int(PRICE), toleranceBps: TOLERANCE_BPS },
    );
}

#[tokio::test]
async fn clearing_the_feed_restores_band_only_pricing() {
    let w = World::new().await;
    w.bind(0).await;
    assert!(w.order(0, 2_800_000, 1).await.is_err());
    w.fx.operator
        .send_sol(w.fx.suite.storefront, &Storefront::clearPriceFeedCall { machineId: w.fx.machine, slot: 0 })
        .await
        .expect("cleared");
    w.order(0, 2_800_000, 1).await.expect("band only");
}

// ---------------------------------------------------------------------- gas

#[tokio::test]
async fn quote_gas_with_and_without_a_feed() {
    let w = World::new().await;
    // A first order warms what every later order finds non-zero (order count, escrow).
    w.order(0, 2 * USD, 1).await.expect("warm-up");
    let without = w.order(0, 2 * USD, 2).await.expect("no feed").gas_used;
    w.bind(0).await;
    let with = w.order(0, 2 * USD, 3).await.expect("fresh feed").gas_used;
    // Frozen: the feed is read, then the band alone applies.
    let o = &w.oracle;
    let now = o.now().await;
    let (a, b) = (o.observation(0, 2, PRICE, now), o.observation(0, 2, 1, now));
    o.oracle.report_equivocation(o.feed, 2, a, b).await.expect("frozen");
    let frozen = w.order(0, 2 * USD, 4).await.expect("manual").gas_used;
    println!(
        "storefront placeOrder gas: no feed {without}, fresh feed {with} (+{}), frozen feed {frozen} (+{})",
        with - without,
        frozen - without
    );
    assert!(with > without && with - without < 20_000, "a feed read costs a few thousand gas: +{}", with - without);
}
