//! The oracle aggregator (`OracleAggregator`), its Chainlink feeds (`OracleFeed`) and the Storefront's use of
//! them, on the embedded devnet.
//!
//! - [`aggregator`]: one test per external function checking state and the exact events, and one test per custom
//!   error it can raise, comparing the decoded error (name and arguments).
//! - [`attacks`]: stale, replayed and foreign reports, unregistered and duplicated signers, equivocation, slow
//!   drift, prices <= 0 and more than f liars; each must fail safely or freeze the feed at its last good value.
//! - [`properties`]: proptest: any f liars with arbitrary values cannot move the accepted median outside the
//!   honest range; random walks of reports each just under the allowed deviation never leave `maxDriftBps`
//!   around the window's anchor without a supermajority (they freeze instead).
//! - [`chainlink`]: a consumer that knows only Chainlink's `AggregatorV3Interface` reads a feed.
//! - [`storefront`]: slots bound to a price feed: fresh, stale, frozen (manual mode), the setters, and gas.
//! - [`gas`]: `report_verify_gas` for 7 nodes, f = 2.
//!
//! [`common`] holds the oracle fixture (a devnet, an aggregator with a committee of [`common::NODES`] nodes,
//! f = [`common::F`], and one price feed); [`vending_common`] is the vending suite's fixture, shared with the
//! vending tests.

mod aggregator;
mod attacks;
mod chainlink;
mod common;
mod gas;
mod properties;
mod storefront;
#[allow(dead_code, unreachable_pub)]
#[path = "../vending/common.rs"]
mod vending_common;
