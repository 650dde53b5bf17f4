//! `automat oracle` as operators run it: a committee of four node processes (n = 4, f = 1) against an
//! independent node (Hardhat, on loopback), set up with `automat oracle-setup`, learning from two weeks of
//! sales the Storefront recorded, exchanging observations over HTTP and reporting the price, demand-forecast
//! and risk feeds of a machine slot; the price feed is read back through Chainlink's AggregatorV3Interface.

use std::{
    io::{BufRead, BufReader},
    net::TcpListener,
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use alloy_primitives::{Address, U256};
use automat_chain::{ChainClient, DEFAULT_MNEMONIC, dev_signers, signer_from_mnemonic};
use automat_chain_rpc::RpcClient;
use automat_contracts::{
    oracle::{FeedStatus, Oracle},
    vending::{Slot, SuiteConfig, Vending, deploy_suite},
};
use automat_hardhat::HardhatNode;
use automat_oracle::data::{DemandConfig, Location, generate};
use automat_oracle_node::{
    FeedSpec,
    replay::{ReplayMachine, place_sales, start_after},
};

mod common;
use common::Daemon;

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_oracle_daemons_report_a_machine_slots_feeds_through_hardhat() {
    let node = HardhatNode::start().expect("Hardhat node starts (needs node and `npm ci --prefix contracts`)");
    let signers = dev_signers(DEFAULT_MNEMONIC, 10).expect("dev keys");
    let url = node.url();
    let connect = |i: usize| RpcClient::connect(&url, signers[i].clone());
    let admin = connect(0).await.expect("admin connects");
    let suite = deploy_suite(&admin, &SuiteConfig::new(signers[0].address())).await.expect("suite deploys");
    let admin = Vending::new(admin, suite);
    let operator = admin.with_client(connect(1).await.expect("operator connects"));
    let buyer = admin.with_client(connect(2).await.expect("buyer connects"));
    admin.mint(signers[1].address(), U256::from(500_000_000u64)).await.expect("mint");
    admin.mint(signers[2].address(), U256::from(10u128.pow(13))).await.expect("mint");
    operator.register_operator(U256::from(100_000_000u64)).await.expect("operator registers");
    let machine_key = signer_from_mnemonic(DEFAULT_MNEMONIC, 5_000).expect("machine key");
    let slots = vec![Slot { itemId: 1, stock: 100_000, minPrice: 1_000_000, maxPrice: 4_000_000 }];
    let machine =
        operator.register_machine(machine_key.address(), "u33dc0", "DE", slots, 0).await.expect("machine registers");

    // Two weeks of sales, a tenth of the vends failing, placed as real orders.
    let now = admin.client().block_timestamp().await.expect("time");
    let config = DemandConfig {
        seed: 3,
        machines: 1,
        slots_per_machine: 1,
        hours: 14 * 24,
        start: start_after(now),
        locations: vec![Location::Station],
        items: 1,
        reference_price: (2.0, 2.0),
        elasticity: (-1.8, -1.8),
        base_rate: (0.6, 0.6),
        trend_per_week: (0.0, 0.0),
        price_experiment_rate: 0.5,
        price_levels: vec![0.75, 1.3],
        promo_rate: 0.0,
        capacity_cover: (100.0, 100.0),
        ..DemandConfig::default()
    };
    let dataset = generate(&config).expect("generator");
    let replay = [ReplayMachine { machine_id: machine, key: machine_key, fail_every: 10 }];
    let placed = place_sales(&buyer, &operator, &replay, &dataset, 6).await.expect("history replays");
    assert!(placed.orders > 150 && placed.failed > 10, "{placed:?}");

    // The committee: dev accounts 4..8 (funded by Hardhat), f = 1.
    let committee: Vec<_> = (4..8).map(|i| signers[i].clone()).collect();
    let mut setup = Command::new(env!("CARGO_BIN_EXE_automat"));
    setup.args(["oracle-setup", "--rpc-url", &url, "--storefront", &suite.storefront.to_string()]);
    setup.args(["--f", "1", "--machine-id", &machine.to_string()]);
    for key in &committee {
        setup.args(["--signer", &key.address().to_string()]);
    }
    let output = setup
        .env("AUTOMAT_ADMIN_KEY", signers[0].to_bytes().to_string())
        .env("AUTOMAT_OPERATOR_KEY", signers[1].to_bytes().to_string())
        .output()
        .expect("automat oracle-setup runs");
    assert!(output.status.success(), "oracle-setup: {}", String::from_utf8_lossy(&output.stderr));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("setup prints JSON");
    let aggregator: Address = report["aggregator"].as_str().expect("aggregator").parse().expect("address");
    assert_eq!(report["feeds"].as_array().map(Vec::len), Some(3), "{report}");
    assert_eq!(report["bound_price_feeds"], 1);

    let ports: Vec<u16> = committee.iter().map(|_| free_port()).collect();
    let data = tempfile::tempdir().expect("temp dir");
    let mut daemons = Vec::new();
    for (i, key) in committee.iter().enumerate() {
        let mut command = Command::new(env!("CARGO_BIN_EXE_automat"));
        command.args(["oracle", "--rpc-url", &url, "--aggregator", &aggregator.to_string()]);
        command.args(["--storefront", &suite.storefront.to_string(), "--machine-id", &machine.to_string()]);
        command.args(["--listen", &format!("127.0.0.1:{}", ports[i]), "--interval-ms", "300"]);
        command.args(["--patience-ms", "3000"]).arg("--data-dir").arg(data.path().join(format!("node{i}")));
        for (j, port) in ports.iter().enumerate() {
            if j != i {
                command.args(["--peer", &format!("http://127.0.0.1:{port}")]);
            }
        }
        let mut child = command
            .env("AUTOMAT_ORACLE_KEY", key.to_bytes().to_string())
            .env("RUST_LOG", "warn")
            .stderr(Stdio::piped())
            .spawn()
            .expect("automat oracle starts");
        let stderr = child.stderr.take().expect("stderr piped");
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                eprintln!("[node {i}] {line}");
            }
        });
        daemons.push(Daemon(child));
    }

    let reader = Oracle::new(connect(9).await.expect("reader connects"), aggregator);
    let chain_id = admin.client().chain_id();
    let feeds = [
        FeedSpec::price(chain_id, machine, 0),
        FeedSpec::forecast(chain_id, machine, 0),
        FeedSpec::risk(chain_id, machine, 0),
    ];
    let started = Instant::now();
    loop {
        let mut reported = 0;
        for feed in &feeds {
            let latest = reader.latest(feed.id()).await.expect("latest");
            assert_ne!(latest.status, FeedStatus::Frozen, "{}: honest nodes never freeze a feed", feed.name);
            reported += usize::from(latest.round >= 1);
        }
        if reported == feeds.len() {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(90), "feeds not reported within 90 s");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let price = reader.latest(feeds[0].id()).await.expect("price");
    let price_units = i128::try_from(price.value).expect("price fits");
    assert!((1_000_000..=4_000_000).contains(&price_units), "price {price_units} inside the slot's band");
    let proxy = reader.feed_proxy(feeds[0].id()).await.expect("proxy");
    let chainlink = reader.latest_round_data(proxy).await.expect("latestRoundData");
    assert_eq!(chainlink.answer, price.value, "AggregatorV3Interface reads the same price");
    let forecast = i128::try_from(reader.latest(feeds[1].id()).await.expect("forecast").value).expect("fits");
    assert!(forecast > 1_000_000, "a busy slot is forecast to sell over the next day: {forecast}");
    let risk = i128::try_from(reader.latest(feeds[2].id()).await.expect("risk").value).expect("fits");
    assert!(risk > 10_000 && risk < 400_000, "one vend in ten failed: risk {risk} (in millionths)");
    drop(daemons);
}
