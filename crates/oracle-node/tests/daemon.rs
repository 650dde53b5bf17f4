//! The oracle network learning from real chain history: two weeks of sales drawn from the synthetic generator
//! are placed as Storefront orders on the embedded devnet (with some vends failing); the nodes read them back
//! from the Storefront's events, fit their models on them, and four daemons (n = 4, f = 1) serving each other
//! over HTTP report price, demand-forecast and risk feeds, with a stalled leader taken over by the next node.

use std::{sync::Arc, time::Duration};

use alloy_primitives::{Address, U256};
use alloy_signer_local::PrivateKeySigner;
use automat_chain::{ChainClient, DEFAULT_MNEMONIC, DevnetControl, signer_from_mnemonic};
use automat_contracts::{
    oracle::{FeedConfig, FeedKind, FeedStatus, Oracle, deploy_oracle},
    vending::{Slot, SuiteAddresses, SuiteConfig, Vending, deploy_suite},
};
use automat_devnet::{Devnet, DevnetConfig, EmbeddedClient};
use automat_oracle::{
    data::{DemandConfig, Location, generate},
    pricing::{fit_items, true_rate},
};
use automat_oracle_node::{
    Behaviour, Daemon, FeedAction, FeedSpec, Ledger, Observer, ObserverConfig, OracleNode,
    exchange::ServeState,
    history::Outcome,
    observer::VALUE_DECIMALS,
    replay::{ReplayMachine, place_sales, start_after},
    serve,
};

type TestResult = Result<(), Box<dyn std::error::Error>>;
type Error = Box<dyn std::error::Error>;

const DECIMALS: u32 = 6;
/// Every `FAIL_EVERY[m]`-th order of machine `m` fails to vend.
const FAIL_EVERY: [usize; 2] = [20, 4];

struct World {
    _devnet: Devnet,
    admin: EmbeddedClient,
    suite: SuiteAddresses,
    config: DemandConfig,
    dataset: automat_oracle::data::Dataset,
    machines: Vec<u64>,
}

fn units(price: f64) -> u128 {
    (price * 10f64.powi(DECIMALS as i32)).round() as u128
}

/// Two machines with one slot each, two weeks of sales on chain at the generator's hours and prices.
async fn world() -> Result<World, Error> {
    let devnet = Devnet::start(DevnetConfig::with_chains(1))?;
    let chain = devnet.chain_ids()[0];
    let admin = devnet.dev_client(chain, 0)?;
    let suite = deploy_suite(&admin, &SuiteConfig::new(admin.sender())).await?;
    let vending = Vending::new(admin.clone(), suite);
    let operator = vending.with_client(devnet.dev_client(chain, 1)?);
    let buyer = vending.with_client(devnet.dev_client(chain, 3)?);
    vending.mint(operator.client().sender(), U256::from(500_000_000u64)).await?;
    vending.mint(buyer.client().sender(), U256::from(10u128.pow(15))).await?;
    operator.register_operator(U256::from(100_000_000u64)).await?;

    let config = DemandConfig {
        seed: 11,
        start: start_after(admin.block_timestamp().await?),
        machines: 2,
        slots_per_machine: 1,
        hours: 21 * 24,
        locations: vec![Location::Station, Location::Gym],
        items: 2,
        reference_price: (2.0, 2.0),
        elasticity: (-1.8, -1.8),
        base_rate: (1.0, 1.0),
        trend_per_week: (0.0, 0.0),
        price_experiment_rate: 0.5,
        price_levels: vec![0.75, 1.3],
        promo_rate: 0.0,
        dispersion: f64::INFINITY,
        capacity_cover: (100.0, 100.0),
        ..DemandConfig::default()
    };
    let dataset = generate(&config)?;
    let mut replay = Vec::new();
    let mut machines = Vec::new();
    for (m, series) in dataset.series.iter().enumerate() {
        let key = signer_from_mnemonic(DEFAULT_MNEMONIC, 5_000 + m as u32)?;
        let item = u64::from(series.item.unwrap_or(0));
        let slots = vec![Slot { itemId: item, stock: 100_000, minPrice: units(1.0), maxPrice: units(4.0) }];
        let machine_id = operator.register_machine(key.address(), "u33dc0", "DE", slots, 0).await?;
        machines.push(machine_id);
        replay.push(ReplayMachine { machine_id, key, fail_every: FAIL_EVERY[m] });
    }
    let placed = place_sales(&buyer, &operator, &replay, &dataset, DECIMALS as u8).await?;
    assert_eq!(
        placed.orders,
        dataset.series.iter().flat_map(|s| &s.hours).map(|h| h.units_sold as usize).sum::<usize>()
    );
    Ok(World { _devnet: devnet, admin, suite, config, dataset, machines })
}

fn feeds(world: &World) -> Vec<FeedSpec> {
    let chain = world.suite.chain_id;
    world
        .machines
        .iter()
        .flat_map(|&m| [FeedSpec::price(chain, m, 0), FeedSpec::forecast(chain, m, 0), FeedSpec::risk(chain, m, 0)])
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn models_learn_from_storefront_history_and_four_daemons_report_every_feed() -> TestResult {
    let world = world().await?;
    let feeds = feeds(&world);

    // --- The history read back from the chain is what was sold.
    let mut observer = Observer::new(&world.admin, world.suite, feeds.clone(), ObserverConfig::default()).await?;
    observer.refresh(&world.admin).await?;
    let history = observer.history();
    for (m, series) in world.dataset.series.iter().enumerate() {
        let machine = world.machines[m];
        let orders: Vec<_> = history.orders().filter(|o| o.machine == machine).collect();
        let placed: u32 = series.hours.iter().map(|h| h.units_sold).sum();
        assert_eq!(orders.len(), placed as usize, "machine {machine}: every order is in the history");
        let failed = orders.iter().filter(|o| o.outcome == Outcome::VendFailed).count();
        assert_eq!(failed, placed as usize / FAIL_EVERY[m], "machine {machine}: failed vends");
        assert!(orders.iter().all(|o| o.outcome != Outcome::Pending));
    }
    let now = world.admin.block_timestamp().await?;
    let series = history.series(now);
    assert_eq!(series.len(), 2);
    for s in &series {
        let m = world.machines.iter().position(|&id| id == s.machine).ok_or("unknown machine")?;
        assert_eq!(s.item, world.dataset.series[m].item, "series carry the slot's item from SlotConfigured");
        let sold: u32 = s.hours.iter().map(|h| h.units_sold).sum();
        let dispensed = history.orders().filter(|o| o.machine == s.machine && o.outcome.is_sale()).count();
        assert_eq!(sold as usize, dispensed, "only dispensed orders are sales");
    }

    // --- The elasticity learned from chain history is close to the generator's.
    let items = fit_items(&series)?;
    for item in &items {
        let beta = item.model.elasticity().beta;
        assert!((beta - -1.8).abs() < 0.3, "elasticity {beta} learned from the chain, truth -1.8");
    }

    // --- Every feed has a value; the forecast is near the truth, the riskier machine scores higher.
    for feed in &feeds {
        assert!(observer.value(feed.id()).is_some(), "{}: {:?}", feed.name, observer.error(feed.id()));
    }
    for (m, truth_series) in world.dataset.series.iter().enumerate() {
        let feed = FeedSpec::forecast(world.suite.chain_id, world.machines[m], 0);
        let (value, _) = observer.value(feed.id()).ok_or("forecast")?;
        let forecast = i128::try_from(value)? as f64 / 10f64.powi(i32::from(VALUE_DECIMALS));
        let first = now / 3600 + 1;
        let truth: f64 =
            (first..first + 24).map(|h| true_rate(&world.config, truth_series, h, 2.0, false).unwrap_or(0.0)).sum();
        assert!(
            (forecast - truth).abs() < 0.4 * truth,
            "machine {m}: forecast {forecast:.1} units over 24 h, truth {truth:.1}"
        );
    }
    let risk = |m: usize| -> Result<i128, Error> {
        let feed = FeedSpec::risk(world.suite.chain_id, world.machines[m], 0);
        Ok(i128::try_from(observer.value(feed.id()).ok_or("risk")?.0)?)
    };
    let (safe, risky) = (risk(0)?, risk(1)?);
    assert!(0 < safe && safe < risky && risky < 1_000_000, "risk {safe} (1 in 20 fail) < {risky} (1 in 4 fail)");
    for m in 0..2 {
        let feed = FeedSpec::price(world.suite.chain_id, world.machines[m], 0);
        let price = i128::try_from(observer.value(feed.id()).ok_or("price")?.0)?;
        assert!((units(1.0) as i128..=units(4.0) as i128).contains(&price), "price {price} inside the band");
    }

    // --- Four daemons on loopback report every feed.
    let oracle_address = deploy_oracle(&world.admin, world.admin.sender()).await?;
    let admin_oracle = Oracle::new(world.admin.clone(), oracle_address);
    let keys: Vec<PrivateKeySigner> =
        (0..4).map(|i| signer_from_mnemonic(DEFAULT_MNEMONIC, 6_000 + i)).collect::<Result<_, _>>()?;
    admin_oracle.set_committee(keys.iter().map(PrivateKeySigner::address).collect(), 1).await?;
    for feed in &feeds {
        let config = match feed.kind {
            FeedKind::Price => FeedConfig::price(6, 1, 1_000_000_000),
            FeedKind::Forecast => FeedConfig::forecast(VALUE_DECIMALS, 1_000_000_000_000),
            FeedKind::Risk => FeedConfig::risk(VALUE_DECIMALS),
        };
        admin_oracle.create_feed(feed.id(), config, &feed.name).await?;
    }
    let dir = tempfile::tempdir()?;
    let (stop, _) = tokio::sync::watch::channel(false);
    let mut urls = Vec::new();
    let mut parts = Vec::new();
    for (i, key) in keys.iter().enumerate() {
        let observer = Observer::new(&world.admin, world.suite, feeds.clone(), ObserverConfig::default()).await?;
        let values = observer.values();
        let node = OracleNode::new(key.clone(), Ledger::open(dir.path().join(format!("{i}.redb")))?, Behaviour::Honest);
        let state = Arc::new(ServeState::from_values(node, admin_oracle.domain(), values));
        let mut rx = stop.subscribe();
        let local = serve(Arc::clone(&state), "127.0.0.1:0".parse()?, async move {
            let _ = rx.wait_for(|s| *s).await;
        })
        .await?;
        urls.push(format!("http://{local}"));
        parts.push((observer, state));
    }
    let mut daemons = Vec::new();
    for (i, (observer, state)) in parts.into_iter().enumerate() {
        let peers = urls.iter().enumerate().filter(|(j, _)| *j != i).map(|(_, u)| u.clone()).collect();
        daemons.push(Daemon::new(admin_oracle.clone(), observer, state, peers, Duration::from_millis(150)));
    }
    // Every node refreshes first (peers answer from their last refresh), then each ticks in turn.
    for d in &mut daemons {
        d.refresh().await?;
    }
    let mut reported = Vec::new();
    for _ in 0..2 {
        for d in &mut daemons {
            for (feed, action) in d.tick().await? {
                match action {
                    FeedAction::Reported(o) => {
                        assert!(o.accepted, "{}: {o:?}", feed.name);
                        assert_eq!(o.observations, 4, "every node observed");
                        reported.push((feed.clone(), o));
                    }
                    FeedAction::Failed(e) => return Err(format!("{}: {e}", feed.name).into()),
                    _ => {}
                }
            }
        }
    }
    for feed in &feeds {
        let latest = admin_oracle.latest(feed.id()).await?;
        assert_eq!(latest.status, FeedStatus::Active);
        assert_eq!(latest.round, 1, "{}: reported once (the update is not due again)", feed.name);
        let own = daemons[0].observer().value(feed.id()).ok_or("value")?.0;
        assert_eq!(latest.value, own, "{}: honest nodes on one chain agree, the median is their value", feed.name);
    }
    assert_eq!(reported.len(), feeds.len());

    // --- The heartbeat passes; the designated leader of round 2 is down: after the patience the next node
    // reports round 3 (skipping the stalled round), or after two the one after it round 4.
    world.admin.increase_time(86_400 + 1).await?;
    world.admin.mine(1).await?;
    let mut sorted: Vec<Address> = keys.iter().map(PrivateKeySigner::address).collect();
    sorted.sort();
    let round = 2;
    let down = sorted[round % sorted.len()];
    let mut live: Vec<&mut Daemon<EmbeddedClient>> = daemons.iter_mut().filter(|d| d.address() != down).collect();
    for d in &mut live {
        d.refresh().await?;
    }
    let mut rounds = std::collections::BTreeMap::new();
    for _ in 0..10 {
        for d in &mut live {
            for (feed, action) in d.tick().await? {
                if let FeedAction::Reported(o) = action {
                    rounds.insert(feed.name.clone(), (o.round, o.leader));
                }
            }
        }
        if rounds.len() == feeds.len() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(160)).await;
    }
    for feed in &feeds {
        // Which backup leads depends on how long the stall lasted (one patience: round 3; two: round 4), but
        // it is always the node whose turn that round is, never the one that is down.
        let (round, leader) = rounds.get(&feed.name).copied().ok_or(format!("{}: not reported", feed.name))?;
        assert!(round > 2 && round <= 2 + 3, "{}: round {round}", feed.name);
        assert_eq!(leader, sorted[(round % 4) as usize], "{}: the leader of round {round}", feed.name);
        assert_ne!(leader, down);
        assert_eq!(admin_oracle.latest(feed.id()).await?.round, round);
    }
    let _ = stop.send(true);
    Ok(())
}
