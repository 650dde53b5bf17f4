//! `automat oracle`: one oracle node as a daemon against a chain by JSON-RPC URL; `automat oracle-setup`: the
//! aggregator, its committee and the feeds of a machine's slots.

use std::{net::SocketAddr, path::PathBuf, sync::Arc, time::Duration};

use alloy_primitives::Address;
use alloy_signer_local::PrivateKeySigner;
use automat_chain::{ChainClient, ChainClientExt};
use automat_chain_rpc::RpcClient;
use automat_contracts::{
    oracle::{FeedConfig, FeedKind, Oracle, deploy_oracle, set_price_feed},
    vending::{PaymentToken, Storefront, SuiteAddresses, Vending},
};
use automat_oracle_node::{
    Behaviour, Daemon, FeedAction, FeedSpec, Ledger, Observer, ObserverConfig, OracleNode, exchange::ServeState,
    history::suite_of, observer::VALUE_DECIMALS, serve,
};
use clap::Args;
use eyre::{Result, WrapErr, bail, eyre};
use serde::Serialize;

/// Arguments of `automat oracle`.
#[derive(Debug, Args)]
pub(crate) struct OracleArgs {
    /// JSON-RPC URL of the chain the aggregator and the machines are on.
    #[arg(long, env = "AUTOMAT_RPC_URL")]
    rpc_url: String,
    /// The OracleAggregator.
    #[arg(long)]
    aggregator: Address,
    /// The Storefront whose sales history the models learn from.
    #[arg(long)]
    storefront: Address,
    /// Machines whose slots this node observes (price, forecast and risk feed of every slot); repeatable.
    #[arg(long = "machine-id", required = true)]
    machine_ids: Vec<u64>,
    /// Other nodes' HTTP services (e.g. http://127.0.0.1:7401); repeatable.
    #[arg(long = "peer")]
    peers: Vec<String>,
    /// The node's signing key (0x-hex), registered in the aggregator's committee; keep it in the environment.
    #[arg(long, env = "AUTOMAT_ORACLE_KEY", hide_env_values = true)]
    oracle_key: String,
    /// Key of the account paying gas for reports (defaults to the oracle key).
    #[arg(long, env = "AUTOMAT_SENDER_KEY", hide_env_values = true)]
    sender_key: Option<String>,
    /// Where peers ask for this node's observations.
    #[arg(long, default_value = "127.0.0.1:7400")]
    listen: SocketAddr,
    /// The node's ledger of signed observations (it never signs two values for one round, across restarts).
    #[arg(long, default_value = ".automat/oracle")]
    data_dir: PathBuf,
    /// Milliseconds between ticks (refresh the models, report what is due).
    #[arg(long, default_value_t = 2_000)]
    interval_ms: u64,
    /// Milliseconds a due round may stall before the next node takes it over.
    #[arg(long, default_value_t = 10_000)]
    patience_ms: u64,
    /// Unit cost as a fraction of the reference price (the price maximises profit).
    #[arg(long, default_value_t = automat_oracle::pricing::TYPICAL_UNIT_COST_RATIO)]
    unit_cost_ratio: f64,
    /// Hours between restocks (the price plans the stock over one interval).
    #[arg(long, default_value_t = 72)]
    restock_hours: usize,
    /// Hours the demand forecast covers.
    #[arg(long, default_value_t = 24)]
    forecast_hours: usize,
    /// Stop after this many ticks (0: run until Ctrl-C).
    #[arg(long, default_value_t = 0)]
    ticks: u64,
}

fn key(text: &str, what: &str) -> Result<PrivateKeySigner> {
    text.trim().parse().map_err(|_| eyre!("{what} is not a 0x-hex secp256k1 private key"))
}

/// The price, forecast and risk feeds of every slot of `machines`.
async fn feeds_of<C: ChainClient>(vending: &Vending<C>, machines: &[u64]) -> Result<Vec<FeedSpec>> {
    let chain_id = vending.client().chain_id();
    let mut feeds = Vec::new();
    for &machine in machines {
        let record = vending.machine(machine).await.wrap_err_with(|| format!("machine {machine}"))?;
        if record.operator == Address::ZERO {
            bail!("machine {machine} is not registered on this Storefront's registry");
        }
        for slot in 0..record.slotCount {
            feeds.push(FeedSpec::price(chain_id, machine, slot));
            feeds.push(FeedSpec::forecast(chain_id, machine, slot));
            feeds.push(FeedSpec::risk(chain_id, machine, slot));
        }
    }
    Ok(feeds)
}

/// The chain by `url` as `key`, the Storefront's suite and the feeds of `machines`.
async fn connect(
    url: &str,
    key: PrivateKeySigner,
    storefront: Address,
    machines: &[u64],
) -> Result<(RpcClient, SuiteAddresses, Vending<RpcClient>, Vec<FeedSpec>)> {
    let client = RpcClient::connect(url, key).await.wrap_err_with(|| format!("connecting to {url}"))?;
    automat_contracts::register_all_errors(&client)?;
    let suite = suite_of(&client, storefront).await.wrap_err("reading the Storefront")?;
    let vending = Vending::new(client.clone(), suite);
    let feeds = feeds_of(&vending, machines).await?;
    Ok((client, suite, vending, feeds))
}

pub(crate) async fn run(args: OracleArgs) -> Result<()> {
    if !(args.unit_cost_ratio.is_finite() && args.unit_cost_ratio >= 0.0) {
        bail!("--unit-cost-ratio must be a number ≥ 0");
    }
    let oracle_key = key(&args.oracle_key, "AUTOMAT_ORACLE_KEY")?;
    let sender_key = match &args.sender_key {
        Some(text) => key(text, "AUTOMAT_SENDER_KEY")?,
        None => oracle_key.clone(),
    };
    let (client, suite, _, feeds) = connect(&args.rpc_url, sender_key, args.storefront, &args.machine_ids).await?;
    let oracle = Oracle::new(client.clone(), args.aggregator);
    let (committee, f) = oracle.committee().await.wrap_err("reading the aggregator's committee")?;
    if !committee.contains(&oracle_key.address()) {
        bail!("AUTOMAT_ORACLE_KEY is {}, which is not in the aggregator's committee", oracle_key.address());
    }
    let config = ObserverConfig {
        unit_cost_ratio: args.unit_cost_ratio,
        restock_interval_hours: args.restock_hours,
        forecast_hours: args.forecast_hours,
    };
    let observer = Observer::new(&client, suite, feeds.clone(), config).await?;
    std::fs::create_dir_all(&args.data_dir).wrap_err_with(|| format!("creating {}", args.data_dir.display()))?;
    let ledger = Ledger::open(args.data_dir.join("ledger.redb")).wrap_err("opening the ledger")?;
    let node = OracleNode::new(oracle_key.clone(), ledger, Behaviour::Honest);
    let state = Arc::new(ServeState::from_values(node, oracle.domain(), observer.values()));
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mut serve_stop = stop_rx.clone();
    let local = serve(Arc::clone(&state), args.listen, async move {
        let _ = serve_stop.wait_for(|stop| *stop).await;
    })
    .await
    .wrap_err_with(|| format!("listening on {}", args.listen))?;
    eprintln!(
        "automat oracle: node {} ({} of a committee of {}, f = {f}) on chain {} via {}, {} feeds; http://{local} \
         (observation); Ctrl-C stops",
        oracle_key.address(),
        committee.iter().position(|a| *a == oracle_key.address()).map_or(0, |i| i + 1),
        committee.len(),
        client.chain_id(),
        args.rpc_url,
        feeds.len(),
    );
    let mut daemon = Daemon::new(oracle, observer, state, args.peers.clone(), Duration::from_millis(args.patience_ms));
    let mut ticks = 0u64;
    let mut interval = tokio::time::interval(Duration::from_millis(args.interval_ms.max(10)));
    loop {
        tokio::select! {
            _ = interval.tick() => {}
            _ = tokio::signal::ctrl_c() => break,
        }
        match daemon.tick().await {
            Ok(actions) => log_actions(&actions),
            Err(e) => tracing::warn!(error = %e, "oracle tick failed"),
        }
        ticks += 1;
        if args.ticks > 0 && ticks >= args.ticks {
            break;
        }
    }
    let _ = stop_tx.send(true);
    eprintln!("automat oracle: stopped");
    Ok(())
}

fn log_actions(actions: &[(FeedSpec, FeedAction)]) {
    for (feed, action) in actions {
        match action {
            FeedAction::Reported(o) => eprintln!(
                "automat oracle: {} round {} {} median {} ({} observations, {} flagged, {} equivocators, {} gas)",
                feed.name,
                o.round,
                if o.accepted { "accepted" } else { "froze the feed at" },
                o.median,
                o.observations,
                o.flagged.len(),
                o.equivocators.len(),
                o.gas_used
            ),
            FeedAction::Failed(e) => tracing::warn!(feed = %feed.name, error = %e, "round failed"),
            FeedAction::NoValue(e) => tracing::info!(feed = %feed.name, reason = %e, "no value yet"),
            FeedAction::Missing => tracing::info!(feed = %feed.name, "feed not created on the aggregator"),
            FeedAction::Frozen => tracing::info!(feed = %feed.name, "frozen: waiting for governance"),
            FeedAction::NotDue | FeedAction::Waiting { .. } => {}
        }
    }
}

/// Arguments of `automat oracle-setup`.
#[derive(Debug, Args)]
pub(crate) struct OracleSetupArgs {
    /// JSON-RPC URL of the chain.
    #[arg(long, env = "AUTOMAT_RPC_URL")]
    rpc_url: String,
    /// The Storefront whose machines get feeds.
    #[arg(long)]
    storefront: Address,
    /// An existing OracleAggregator (the admin key must hold ORACLE_ADMIN_ROLE); deploys one when absent.
    #[arg(long)]
    aggregator: Option<Address>,
    /// The committee's signer addresses (n ≥ 3f + 1); repeatable.
    #[arg(long = "signer", required = true)]
    signers: Vec<Address>,
    /// Faulty nodes the committee tolerates.
    #[arg(long)]
    f: u8,
    /// Machines whose slots get a price, a forecast and a risk feed; repeatable.
    #[arg(long = "machine-id", required = true)]
    machine_ids: Vec<u64>,
    /// Key of the aggregator's admin (governance); keep it in the environment.
    #[arg(long, env = "AUTOMAT_ADMIN_KEY", hide_env_values = true)]
    admin_key: String,
    /// Key of the machines' operator: when given, each slot's quotes are bound to its price feed on the
    /// Storefront (within --tolerance-bps of a feed at most --max-age seconds old).
    #[arg(long, env = "AUTOMAT_OPERATOR_KEY", hide_env_values = true)]
    operator_key: Option<String>,
    /// How far a quote may lie from the feed's price, in basis points.
    #[arg(long, default_value_t = 1_000)]
    tolerance_bps: u16,
    /// Oldest feed value a quote may lean on, in seconds.
    #[arg(long, default_value_t = 7_200)]
    max_age: u32,
}

#[derive(Debug, Serialize)]
struct SetupFeed {
    name: String,
    id: String,
    proxy: Address,
}

#[derive(Debug, Serialize)]
struct SetupReport {
    aggregator: Address,
    f: u8,
    signers: Vec<Address>,
    feeds: Vec<SetupFeed>,
    bound_price_feeds: usize,
}

pub(crate) async fn setup(args: OracleSetupArgs) -> Result<()> {
    let admin_key = key(&args.admin_key, "AUTOMAT_ADMIN_KEY")?;
    let admin = admin_key.address();
    let (client, suite, vending, feeds) = connect(&args.rpc_url, admin_key, args.storefront, &args.machine_ids).await?;
    let aggregator = match args.aggregator {
        Some(a) => a,
        None => deploy_oracle(&client, admin).await.wrap_err("deploying the OracleAggregator")?,
    };
    let oracle = Oracle::new(client.clone(), aggregator);
    oracle.set_committee(args.signers.clone(), args.f).await.wrap_err("setting the committee")?;
    let decimals =
        client.call_sol(suite.token, &PaymentToken::decimalsCall {}).await.wrap_err("reading the token's decimals")?;
    let mut created = Vec::new();
    for feed in &feeds {
        let slot = vending.slot(feed.machine, feed.slot).await?;
        let config = match feed.kind {
            FeedKind::Price => {
                // Anything from a hundredth of the band's minimum to a hundred times its maximum is a price.
                let min = i128::try_from(slot.minPrice / 100).unwrap_or(i128::MAX).max(1);
                let max = i128::try_from(slot.maxPrice.saturating_mul(100)).unwrap_or(i128::MAX >> 64);
                FeedConfig::price(decimals, min, max)
            }
            FeedKind::Forecast => {
                FeedConfig::forecast(VALUE_DECIMALS, 1_000_000 * 10i128.pow(u32::from(VALUE_DECIMALS)))
            }
            FeedKind::Risk => FeedConfig::risk(VALUE_DECIMALS),
        };
        let proxy = oracle.create_feed(feed.id(), config, &feed.name).await.wrap_err_with(|| feed.name.clone())?;
        created.push(SetupFeed { name: feed.name.clone(), id: feed.id().to_string(), proxy });
    }
    let mut bound = 0;
    if let Some(text) = &args.operator_key {
        let operator = client.with_signer(key(text, "AUTOMAT_OPERATOR_KEY")?);
        for feed in feeds.iter().filter(|f| f.kind == FeedKind::Price) {
            let binding = Storefront::PriceFeed {
                aggregator,
                feedId: feed.id(),
                toleranceBps: args.tolerance_bps,
                maxAge: args.max_age,
            };
            set_price_feed(&operator, suite.storefront, feed.machine, feed.slot, binding)
                .await
                .wrap_err_with(|| format!("binding {} on the Storefront", feed.name))?;
            bound += 1;
        }
    }
    let report = SetupReport { aggregator, f: args.f, signers: args.signers, feeds: created, bound_price_feeds: bound };
    println!("{}", serde_json::to_string_pretty(&report)?);
    Ok(())
}
