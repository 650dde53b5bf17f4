//! The oracle part of `automat demo`: a committee of seven oracle nodes (f = 2) prices a machine slot with the
//! models of `automat-oracle` and reports to the OracleAggregator; the Storefront holds the machine's quotes to
//! that price. Then one node lies (flagged, the median does not move), one node signs two values for one round
//! (proven, the feed freezes: consensus override), the machine falls back to the operator's manual price, and
//! governance clears the freeze.
//!
//! The machine's agent prices from the feed itself (`Agent::market_price`): the oracle's price while the feed is
//! fresh, the operator's manual price while it is frozen.
//!
//! The slot's history is the synthetic generator's twelve weeks for one slot (as if imported from the
//! machine's past), so the nodes fit elasticity and demand on real structure; every node computes the price
//! itself.

use std::path::Path;

use alloy_primitives::{I256, U256};
use alloy_signer_local::PrivateKeySigner;
use automat_agent::{Agent, AgentConfig, Behaviour as MachineBehaviour, PriceSource, SimulatedMachine, VendOdds};
use automat_chain::{ChainClient, DEFAULT_MNEMONIC, DevnetControl, signer_from_mnemonic};
use automat_contracts::{
    oracle::{FeedConfig, FeedStatus, Oracle, deploy_oracle, set_price_feed},
    vending::{OrderStatus, Slot, Storefront, SuiteConfig, Vending, deploy_suite},
};
use automat_devnet::Devnet;
use automat_oracle::{
    data::{DemandConfig, generate},
    pricing::PriceBand,
};
use automat_oracle_node::{Behaviour, Committee, FeedSpec, Ledger, OracleNode, SlotState, model_price, to_fixed};
use indicatif::ProgressBar;
use serde::Serialize;

use crate::{Result, SimError};

const ADMIN: usize = 0;
const OPERATOR: usize = 1;
const BUYER: usize = 3;
const SUBMITTER: usize = 8;
const NODES: u32 = 7;
const F: usize = 2;
/// The liar's skew and the equivocator's second value, in basis points.
const LIE_BPS: i64 = 5_000;
const EQUIVOCATE_BPS: i64 = 300;

/// Figures of the oracle part.
#[derive(Debug, Clone, Default, Serialize)]
pub struct OracleReport {
    /// Reports the aggregator accepted.
    pub reports: u64,
    /// Observations flagged as outliers plus equivocations proven.
    pub manipulations_detected: u64,
    /// Purchases made at the operator's manual price while the feed was frozen.
    pub manual_fallbacks: u64,
    /// Purchases made at the oracle's price.
    pub sales_at_oracle_price: u64,
    /// A quote off the oracle's price refused by the Storefront.
    pub off_feed_quotes_refused: u64,
    /// The price the committee reported (token units).
    pub oracle_price: u128,
    /// The operator's manual price (token units).
    pub manual_price: u128,
    /// Feed value, median and status held as required through the manipulation attempts.
    pub invariants_hold: bool,
}

fn step(detail: impl ToString) -> SimError {
    SimError::Step { step: "oracle", detail: detail.to_string() }
}

/// Runs the oracle part on the first chain of `devnet`, keeping the nodes' ledgers under `root`.
pub async fn run(devnet: &Devnet, root: &Path, progress: &ProgressBar) -> Result<OracleReport> {
    progress.set_prefix("oracle");
    progress.set_message("history, models, aggregator");
    let chain = devnet.chain_ids()[0];
    let admin = devnet.dev_client(chain, ADMIN)?;

    // The slot's past: the generator's first series; its list price sets the governance band.
    let history = generate(&DemandConfig { seed: 7, machines: 1, slots_per_machine: 2, ..DemandConfig::default() })
        .map_err(step)?;
    let series = history.series.first().ok_or_else(|| step("generator returned no series"))?;
    let truth = series.truth.ok_or_else(|| step("generated series without parameters"))?;
    let band = PriceBand::around(truth.reference_price, 0.7, 1.3);
    let band_min = u128::try_from(to_fixed(band.min, 6).map_err(step)?).map_err(step)?;
    let band_max = u128::try_from(to_fixed(band.max, 6).map_err(step)?).map_err(step)?;
    let manual_price = u128::try_from(to_fixed(truth.reference_price, 6).map_err(step)?).map_err(step)?;

    // The vending suite, a machine with that band, its agent, a buyer.
    let suite = deploy_suite(&admin, &SuiteConfig::new(admin.sender())).await?;
    let vending = Vending::new(admin.clone(), suite);
    let operator = vending.with_client(devnet.dev_client(chain, OPERATOR)?);
    vending.mint(operator.client().sender(), U256::from(1_000_000_000u64)).await?;
    operator.register_operator(U256::from(100_000_000u64)).await?;
    let key = signer_from_mnemonic(DEFAULT_MNEMONIC, 3_100)?;
    let slots = vec![Slot { itemId: 1, stock: 20, minPrice: band_min, maxPrice: band_max }];
    let machine = operator.register_machine(key.address(), "u33dc0", "DE", slots, 20_000_000).await?;
    let sim = SimulatedMachine::new([(0, 20)], MachineBehaviour::Random { odds: VendOdds::RELIABLE, seed: 3 });
    let mut agent = Agent::open(
        devnet.dev_client(chain, SUBMITTER)?,
        sim,
        key,
        AgentConfig::new(machine, suite, root.join("oracle").join("machine")),
    )?;
    let buyer = vending.with_client(devnet.dev_client(chain, BUYER)?);
    vending.mint(buyer.client().sender(), U256::from(100_000_000u64)).await?;

    // The aggregator, the committee, the feed, and the slot bound to it.
    let aggregator = deploy_oracle(&admin, admin.sender()).await?;
    let oracle = Oracle::new(admin.clone(), aggregator);
    let keys: Vec<PrivateKeySigner> =
        (0..NODES).map(|i| signer_from_mnemonic(DEFAULT_MNEMONIC, 4_000 + i)).collect::<Result<_, _>>()?;
    oracle.set_committee(keys.iter().map(|k| k.address()).collect(), u8::try_from(F).map_err(step)?).await?;
    let feed = FeedSpec::price(chain, machine, 0);
    let min = i128::try_from(band_min).map_err(step)?;
    let max = i128::try_from(band_max).map_err(step)?;
    oracle.create_feed(feed.id(), FeedConfig::price(6, min, max), &feed.name).await?;
    let binding = Storefront::PriceFeed { aggregator, toleranceBps: 100, maxAge: 7_200, feedId: feed.id() };
    set_price_feed(operator.client(), suite.storefront, machine, 0, binding).await?;
    progress.inc(1);

    // What every honest node computes: the profit-maximising price from the slot's history.
    let now = admin.block_timestamp().await?;
    let state =
        SlotState { band, stock: 20, hours_to_restock: 72, unit_cost: 0.5 * truth.reference_price, hour: now / 3_600 };
    let price = model_price(&history.series, series.machine, series.slot, &state).map_err(step)?;
    let value = I256::try_from(to_fixed(price, 6).map_err(step)?).map_err(step)?;
    let mut report = OracleReport { manual_price, invariants_hold: true, ..OracleReport::default() };

    // Round 1: every node honest.
    progress.set_message("committee reports the model price");
    let outcome = committee(root, &keys, None, &oracle)?.run_round(&feed, |_| value).await.map_err(step)?;
    report.reports += u64::from(outcome.accepted);
    report.oracle_price = u128::try_from(outcome.median.unsigned_abs()).map_err(step)?;
    report.invariants_hold &= outcome.accepted && outcome.median == value;
    // A quote off the feed is refused; one at the feed's price sells.
    let off = report.oracle_price * 95 / 100;
    if off >= band_min {
        match sell(&mut agent, &buyer, off).await {
            Err(_) => report.off_feed_quotes_refused += 1,
            Ok(_) => report.invariants_hold = false,
        }
    }
    // The machine prices from its feed itself.
    let market = agent.market_price(0, manual_price).await?;
    report.invariants_hold &= market.source == PriceSource::Oracle && market.price == report.oracle_price;
    report.sales_at_oracle_price += u64::from(sell(&mut agent, &buyer, market.price).await?);
    progress.inc(1);

    // Round 2: a liar, an hour later.
    progress.set_message("a node lies: flagged");
    advance(&admin, 3_601).await?;
    let outcome = committee(root, &keys, Some((3, Behaviour::Skew { bps: LIE_BPS })), &oracle)?
        .run_round(&feed, |_| value)
        .await
        .map_err(step)?;
    report.reports += u64::from(outcome.accepted);
    report.manipulations_detected += outcome.flagged.len() as u64;
    report.invariants_hold &= outcome.accepted && outcome.median == value && outcome.flagged.len() == 1;
    progress.inc(1);

    // Round 3: an equivocator: proven, the feed freezes; the machine sells at the manual price.
    progress.set_message("a node equivocates: feed frozen, manual price");
    advance(&admin, 3_601).await?;
    let outcome = committee(root, &keys, Some((5, Behaviour::Equivocate { bps: EQUIVOCATE_BPS })), &oracle)?
        .run_round(&feed, |_| value)
        .await
        .map_err(step)?;
    report.manipulations_detected += outcome.equivocators.len() as u64;
    let frozen = oracle.latest(feed.id()).await?;
    report.invariants_hold &= frozen.status == FeedStatus::Frozen && frozen.value == value;
    let market = agent.market_price(0, manual_price).await?;
    report.invariants_hold &= market.source == PriceSource::Manual && market.price == manual_price;
    if sell(&mut agent, &buyer, market.price).await? {
        report.manual_fallbacks += 1;
    }
    // Governance clears the override (after removing the equivocator, in a real network); the committee reports
    // again, in a fresh round (the stalled one is skipped: nobody signs a second value for it).
    oracle.clear_freeze(feed.id()).await?;
    advance(&admin, 3_601).await?;
    let outcome = committee(root, &keys, None, &oracle)?.run_round(&feed, |_| value).await.map_err(step)?;
    report.reports += u64::from(outcome.accepted);
    report.invariants_hold &= outcome.accepted && oracle.latest(feed.id()).await?.status == FeedStatus::Active;
    progress.inc(1);
    Ok(report)
}

/// The committee over the nodes' ledgers under `root`, node `odd.0` (in key order) behaving as `odd.1`.
fn committee<C: ChainClient + Clone>(
    root: &Path,
    keys: &[PrivateKeySigner],
    odd: Option<(usize, Behaviour)>,
    oracle: &Oracle<C>,
) -> Result<Committee<C>> {
    let nodes = keys
        .iter()
        .enumerate()
        .map(|(i, key)| {
            let behaviour = odd.filter(|(n, _)| *n == i).map_or(Behaviour::Honest, |(_, b)| b);
            let ledger = Ledger::open(root.join("oracle").join(format!("node-{i}.redb"))).map_err(step)?;
            Ok(OracleNode::new(key.clone(), ledger, behaviour))
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Committee::new(nodes, oracle.clone(), F))
}

/// The buyer buys one unit at `price` through the agent's quote; true when it was dispensed.
async fn sell<C: ChainClient, D: automat_agent::DispenseDriver>(
    agent: &mut Agent<C, D>,
    buyer: &Vending<automat_devnet::EmbeddedClient>,
    price: u128,
) -> Result<bool> {
    let quote = agent.quote(0, price).await?;
    let deadline = buyer.client().block_timestamp().await? + 600;
    let placed = buyer.place_order(&quote.quote, quote.signature, price, deadline, true).await?;
    agent.poll().await?;
    Ok(buyer.order_status(placed.order_id).await? == OrderStatus::Dispensed)
}

async fn advance<C: DevnetControl>(client: &C, seconds: u64) -> Result<()> {
    client.increase_time(seconds).await?;
    client.mine(1).await?;
    Ok(())
}
