//! `automat agent` as a user runs it: a separate process against an independent node (Hardhat, on
//! loopback), serving quotes over HTTP and settling the orders placed with them.

use std::time::{Duration, Instant};

use alloy_primitives::{Bytes, U256};
use automat_agent::service::QuoteBody;
use automat_chain::{DEFAULT_MNEMONIC, dev_signers};
use automat_chain_rpc::RpcClient;
use automat_contracts::vending::{OrderStatus, Quote, Slot, SuiteConfig, Vending, deploy_suite};
use automat_hardhat::HardhatNode;

mod common;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agent_daemon_sells_through_hardhat() {
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
    admin.mint(signers[2].address(), U256::from(50_000_000u64)).await.expect("mint");
    operator.register_operator(U256::from(100_000_000u64)).await.expect("operator registers");
    let machine_key = alloy_signer_local::PrivateKeySigner::random();
    let slots = vec![Slot { itemId: 7, stock: 5, minPrice: 1_000_000, maxPrice: 3_000_000 }];
    let machine = operator
        .register_machine(machine_key.address(), "u33dc0", "DE", slots, 10_000_000)
        .await
        .expect("machine registers");

    let data = tempfile::tempdir().expect("temp dir");
    let (_daemon, base) = common::spawn_agent(
        &node.url(),
        &suite.storefront.to_string(),
        machine,
        &machine_key.to_bytes().to_string(),
        &signers[9].to_bytes().to_string(),
        data.path(),
    );

    let http = reqwest::Client::new();
    let quote: QuoteBody = http
        .post(format!("{base}/quote"))
        .json(&serde_json::json!({ "slot": 0, "price": "2000000" }))
        .send()
        .await
        .expect("quote request")
        .error_for_status()
        .expect("quote accepted")
        .json()
        .await
        .expect("quote body");
    assert_eq!(quote.machine_id, machine);
    let refused = http
        .post(format!("{base}/quote"))
        .json(&serde_json::json!({ "slot": 0, "price": "9000000" }))
        .send()
        .await
        .expect("quote request");
    assert_eq!(refused.status(), 422, "a price outside the band is refused");

    let q = Quote {
        machineId: quote.machine_id,
        slot: quote.slot,
        price: quote.price.parse().expect("price"),
        expiry: quote.expiry,
        nonce: quote.nonce,
    };
    let deadline = q.expiry + 300;
    let placed = buyer.place_order(&q, Bytes::from(quote.signature.to_vec()), q.price, deadline, true).await;
    let order = placed.expect("order placed").order_id;

    let started = Instant::now();
    loop {
        let status = buyer.order_status(order).await.expect("status");
        if status == OrderStatus::Dispensed {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "order not dispensed in 30 s: {status:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let uri = buyer.token_uri(order).await.expect("receipt minted");
    assert!(uri.starts_with("ipfs://bafkrei"), "{uri}");
    let status: serde_json::Value =
        http.get(format!("{base}/status")).send().await.expect("status").json().await.expect("json");
    assert_eq!(status["orders"]["settled"], 1, "{status}");
}
