//! `automat claim file` and `automat court` as users run them, against an independent node (Hardhat, on
//! loopback): the vending suite, a court with short periods and an insurance pool deployed with the library, an
//! insured purchase dispensed; the buyer files a claim with evidence (the machine's record: no drop), four
//! `automat court` juror daemons (one also the keeper) resolve it in real time, and the buyer is paid.

use std::{
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use alloy_primitives::U256;
use automat_chain::{ChainClient, DEFAULT_MNEMONIC, dev_signers};
use automat_chain_rpc::RpcClient;
use automat_claims::{
    Complaint, DispenseRecord, Evidence,
    world::{USD, World, WorldConfig},
};
use automat_contracts::{court::AUTO, insurance::ClaimStatus};
use automat_hardhat::HardhatNode;
use common::{Daemon, automat};

mod common;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_claim_filed_from_the_cli_is_paid_by_court_daemons_on_hardhat() {
    let started = Instant::now();
    let node = HardhatNode::start().expect("Hardhat node starts (needs node and `npm ci --prefix contracts`)");
    let signers = dev_signers(DEFAULT_MNEMONIC, 10).expect("dev keys");
    let url = node.url();
    let mut clients = Vec::new();
    for signer in &signers {
        clients.push(RpcClient::connect(&url, signer.clone()).await.expect("connects"));
    }
    let hex_key = |i: usize| signers[i].to_bytes().to_string();
    let (admin, operator, buyer, keeper, underwriter) =
        (&clients[0], &clients[1], &clients[2], &clients[3], &clients[4]);
    let jurors = 5..9;

    // Short periods: the court and the beacon run in real time on Hardhat.
    let config = WorldConfig { period: 2, beacon_window: 4, ..WorldConfig::default() };
    let world = World::deploy(admin, operator, underwriter, &config).await.expect("world deploys");
    world.mint(admin, buyer.sender(), 50 * USD).await.expect("buyer funded");
    world.fund_keeper(admin, keeper.sender(), 10).await.expect("keeper funded");
    for j in jurors.clone() {
        world.enlist_juror(admin, &clients[j], U256::from(2_000 * AUTO)).await.expect("juror stakes");
    }
    let order = world.insured_purchase(buyer, operator, 2 * USD, 1).await.expect("insured purchase");
    // Deploying mined a block per transaction, a second apart, so the node's clock runs ahead of the wall
    // clock and would stand still between transactions; a block every second keeps time moving, as on a live
    // chain.
    let mined = reqwest::Client::new()
        .post(&url)
        .json(&serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": "evm_setIntervalMining", "params": [1000]}))
        .send()
        .await
        .expect("evm_setIntervalMining");
    assert!(mined.status().is_success());
    eprintln!("deployed and bought after {:.1} s", started.elapsed().as_secs_f64());

    // The buyer files the claim with the machine's own record.
    let dir = tempfile::tempdir().expect("temp dir");
    let store = dir.path().join("evidence");
    let evidence = Evidence::new(order, Complaint::GoodsNotReceived, "The machine took my money; nothing fell.")
        .with_record(DispenseRecord {
            machine_id: world.machine_id,
            order_id: order,
            drop_detected: false,
            fault: None,
            reading: "drop detected: false".into(),
        });
    let evidence_file = dir.path().join("claim.json");
    std::fs::write(&evidence_file, evidence.to_json_bytes()).expect("evidence written");
    let filed = automat()
        .args(["claim", "file", "--rpc-url", &url, "--pool", &world.pool.to_string()])
        .args(["--receipt", &order.to_string(), "--json"])
        .arg("--evidence")
        .arg(&evidence_file)
        .arg("--store-dir")
        .arg(&store)
        .env("AUTOMAT_BUYER_KEY", hex_key(2))
        .output()
        .expect("automat claim file runs");
    assert!(filed.status.success(), "claim file failed: {}", String::from_utf8_lossy(&filed.stderr));
    let report: serde_json::Value = serde_json::from_slice(&filed.stdout).expect("claim file prints JSON");
    let claim_id: U256 = report["claim_id"].as_str().expect("claim id").parse().expect("number");
    let dispute: U256 = report["dispute_id"].as_str().expect("dispute id").parse().expect("number");
    let cid = report["evidence_cid"].as_str().expect("cid");
    assert!(cid.starts_with("bafkrei"), "{report}");
    assert!(store.join(cid).exists() || std::fs::read_dir(&store).expect("store").count() > 0, "evidence stored");
    let insurance = world.insurance_as(admin.clone());
    let claim = insurance.claim(claim_id).await.expect("claim");
    assert_eq!(claim.orderId, order);
    let balance_before = world.court_as(admin.clone()).fee_balance(buyer.sender()).await.expect("balance");

    // Four honest juror daemons; the first is also the keeper.
    let mut daemons = Vec::new();
    for (n, j) in jurors.clone().enumerate() {
        let mut command = automat();
        command
            .args(["court", "--rpc-url", &url, "--court", &world.court.court.to_string()])
            .args(["--pool", &world.pool.to_string(), "--policy", "honest", "--interval-ms", "250"])
            .arg("--data-dir")
            .arg(dir.path().join(format!("court-{j}")))
            .arg("--store-dir")
            .arg(&store)
            .env("AUTOMAT_JUROR_KEY", hex_key(j))
            .stdout(Stdio::null());
        if n == 0 {
            command.arg("--keeper").env("AUTOMAT_KEEPER_KEY", hex_key(3));
        }
        daemons.push(Daemon(command.spawn().expect("automat court starts")));
    }

    let deadline = Instant::now() + Duration::from_secs(45);
    let court = world.court_as(admin.clone());
    loop {
        let status = ClaimStatus::from(insurance.claim(claim_id).await.expect("claim").status);
        if status == ClaimStatus::Paid {
            break;
        }
        assert_eq!(status, ClaimStatus::Pending, "the claim is not rejected");
        assert!(Instant::now() < deadline, "claim not paid in time: {:?}", court.dispute(dispute).await);
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let info = court.dispute(dispute).await.expect("dispute");
    assert!(info.ruled && info.ruling == U256::from(1), "{info:?}");
    let balance_after = world.court_as(admin.clone()).fee_balance(buyer.sender()).await.expect("balance");
    assert_eq!(balance_after - balance_before, U256::from(claim.amount), "the buyer got the cover");
    eprintln!("claim paid after {:.1} s", started.elapsed().as_secs_f64());

    // The daemons stop cleanly on SIGTERM.
    for daemon in &mut daemons {
        let pid = daemon.0.id().to_string();
        let killed = Command::new("kill").args(["-TERM", &pid]).status().expect("kill runs");
        assert!(killed.success());
    }
    for daemon in &mut daemons {
        let status = daemon.0.wait().expect("daemon exits");
        assert!(status.success(), "automat court exits 0 on SIGTERM: {status}");
    }
}
