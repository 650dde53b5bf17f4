//! A consumer written against Chainlink reads automat's feeds: everything here goes through Chainlink's
//! `AggregatorV3Interface`, declared below as Chainlink publishes it, never through the aggregator's own ABI.

use alloy_primitives::{I256, U256, aliases::U80};
use alloy_sol_types::{SolCall, sol};
use automat_chain::ChainClientExt;
use automat_devnet::EmbeddedClient;

use crate::common::*;

sol! {
    /// Chainlink's `AggregatorV3Interface` (`@chainlink/contracts`, `src/v0.8/shared/interfaces`).
    #[derive(Debug, PartialEq, Eq)]
    interface AggregatorV3Interface {
        function decimals() external view returns (uint8);

        function description() external view returns (string memory);

        function version() external view returns (uint256);

        function getRoundData(uint80 _roundId)
            external
            view
            returns (uint80 roundId, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound);

        function latestRoundData()
            external
            view
            returns (uint80 roundId, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound);
    }
}

use AggregatorV3Interface as V3;

/// What a careful Chainlink consumer does: read the latest round and refuse a non-positive, stale or incomplete
/// answer.
async fn consumer_price(client: &EmbeddedClient, feed: alloy_primitives::Address, max_age: u64) -> Option<I256> {
    let round = client.call_sol(feed, &V3::latestRoundDataCall {}).await.ok()?;
    let now = U256::from(automat_chain::ChainClient::block_timestamp(client).await.ok()?);
    let fresh = round.updatedAt + U256::from(max_age) >= now;
    (round.answer > I256::ZERO && fresh && round.answeredInRound >= round.roundId).then_some(round.answer)
}

#[test]
fn the_interface_has_chainlinks_selectors() {
    assert_eq!(V3::decimalsCall::SELECTOR, [0x31, 0x3c, 0xe5, 0x67]);
    assert_eq!(V3::descriptionCall::SELECTOR, [0x72, 0x84, 0xe4, 0x16]);
    assert_eq!(V3::versionCall::SELECTOR, [0x54, 0xfd, 0x4d, 0x50]);
    assert_eq!(V3::getRoundDataCall::SELECTOR, [0x9a, 0x6f, 0xc8, 0xf5]);
    assert_eq!(V3::latestRoundDataCall::SELECTOR, [0xfe, 0xaf, 0x96, 0x8c]);
}

#[tokio::test]
async fn a_feed_reads_through_aggregator_v3_interface_only() {
    let fx = OracleFixture::new().await;
    let reader = &fx.stranger;
    let feed = fx.proxy;
    assert_eq!(reader.call_sol(feed, &V3::decimalsCall {}).await.expect("decimals"), DECIMALS);
    assert_eq!(reader.call_sol(feed, &V3::descriptionCall {}).await.expect("description"), FEED_NAME);
    assert_eq!(reader.call_sol(feed, &V3::versionCall {}).await.expect("version"), U256::from(1));
    assert!(reader.call_sol(feed, &V3::latestRoundDataCall {}).await.is_err(), "no data before the first report");
    assert_eq!(consumer_price(reader, feed, 3_600).await, None);

    let first = fx.unanimous(1, NODES, PRICE).await;
    let first_started = first[0].observedAt;
    fx.submit(1, first).await.expect("round 1");
    let first_at = fx.now().await;
    let second = fx.unanimous(2, NODES, PRICE * 102 / 100).await;
    let second_started = second[0].observedAt;
    fx.submit(2, second).await.expect("round 2");
    let second_at = fx.now().await;

    let latest = reader.call_sol(feed, &V3::latestRoundDataCall {}).await.expect("latestRoundData");
    assert_eq!(
        latest,
        V3::latestRoundDataReturn {
            roundId: U80::from(2),
            answer: I256::try_from(PRICE * 102 / 100).expect("fits"),
            startedAt: U256::from(second_started),
            updatedAt: U256::from(second_at),
            answeredInRound: U80::from(2),
        }
    );
    let round = reader.call_sol(feed, &V3::getRoundDataCall { _roundId: U80::from(1) }).await.expect("round 1");
    assert_eq!(
        (round.roundId, round.answer, round.startedAt, round.updatedAt, round.answeredInRound),
        (
            U80::from(1),
            I256::try_from(PRICE).expect("fits"),
            U256::from(first_started),
            U256::from(first_at),
            U80::from(1)
        )
    );
    for missing in [U80::ZERO, U80::from(3), U80::from(u64::MAX) + U80::from(1), U80::MAX] {
        assert!(reader.call_sol(feed, &V3::getRoundDataCall { _roundId: missing }).await.is_err(), "round {missing}");
    }
    assert_eq!(consumer_price(reader, feed, 3_600).await, Some(I256::try_from(PRICE * 102 / 100).expect("fits")));

    // Consensus override: the feed keeps answering its last good value with its old timestamp, so the
    // consumer's staleness check turns it away once that is old; the rejected round has no data.
    let report = fx.report(3, &[(0, 3 * PRICE), (1, 3 * PRICE), (2, 3 * PRICE), (3, PRICE), (4, PRICE)]).await;
    fx.submit(3, report).await.expect("processed: frozen");
    assert_eq!(reader.call_sol(feed, &V3::latestRoundDataCall {}).await.expect("latestRoundData"), latest);
    assert!(reader.call_sol(feed, &V3::getRoundDataCall { _roundId: U80::from(3) }).await.is_err());
    fx.mine_at(second_at + 3_601).await;
    assert_eq!(consumer_price(reader, feed, 3_600).await, None, "stale for the consumer");
}
