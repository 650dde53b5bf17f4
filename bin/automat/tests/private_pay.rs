//! `automat zk` and `automat pay --private` as users run them, against an independent node (Hardhat, on
//! loopback): the privacy contracts deployed next to a vending suite with `automat zk deploy --devnet-keys`, an
//! `automat agent` for the machine, a private purchase paid from the shielded pool for a fresh address and
//! dispensed, then a geo-fenced machine refusing a buyer whose credential (`automat zk issue`) names a blocked
//! jurisdiction, with nothing sent and nothing charged.

use std::{
    path::Path,
    process::{Command, Output},
    time::{Duration, Instant},
};

use alloy_primitives::{Address, U256};
use alloy_signer_local::PrivateKeySigner;
use automat_chain::{ChainClientExt, DEFAULT_MNEMONIC, dev_signers};
use automat_chain_rpc::RpcClient;
use automat_contracts::{
    privacy::{ComplianceRegistry, Privacy, PrivacyAddresses},
    vending::{OrderStatus, Slot, SuiteConfig, Vending, deploy_suite},
};
use automat_hardhat::HardhatNode;
use common::automat;

mod common;

fn output(command: &mut Command, what: &str) -> Output {
    let output = command.output().unwrap_or_else(|e| panic!("{what} runs: {e}"));
    eprintln!("[{what}] stderr:\n{}", String::from_utf8_lossy(&output.stderr));
    output
}

fn json_of(output: &Output, what: &str) -> serde_json::Value {
    assert!(output.status.success(), "{what} failed: {}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{what} prints JSON ({e}): {}", String::from_utf8_lossy(&output.stdout)))
}

#[cfg(unix)]
fn assert_owner_only(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path).expect("file exists").permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "{} holds secrets: mode {mode:o}", path.display());
}

#[cfg(not(unix))]
fn assert_owner_only(_: &Path) {}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_purchase_and_geofenced_refusal_through_hardhat() {
    let started = Instant::now();
    let node = HardhatNode::start().expect("Hardhat node starts (needs node and `npm ci --prefix contracts`)");
    let signers = dev_signers(DEFAULT_MNEMONIC, 10).expect("dev keys");
    let url = node.url();
    let connect = |i: usize| RpcClient::connect(&url, signers[i].clone());
    let hex_key = |i: usize| signers[i].to_bytes().to_string();
    let (admin_i, operator_i, buyer_i, issuer_i, relayer_i, agent_i) = (0, 1, 2, 5, 7, 8);

    let admin = connect(admin_i).await.expect("admin connects");
    let suite = deploy_suite(&admin, &SuiteConfig::new(signers[admin_i].address())).await.expect("suite deploys");
    let admin = Vending::new(admin, suite);
    let operator = admin.with_client(connect(operator_i).await.expect("operator connects"));
    let buyer_address = signers[buyer_i].address();
    admin.mint(signers[operator_i].address(), U256::from(500_000_000u64)).await.expect("mint");
    admin.mint(buyer_address, U256::from(50_000_000u64)).await.expect("mint");
    operator.register_operator(U256::from(100_000_000u64)).await.expect("operator registers");
    let machine_key = PrivateKeySigner::random();
    let slots = vec![Slot { itemId: 7, stock: 5, minPrice: 1_000_000, maxPrice: 3_000_000 }];
    let machine = operator
        .register_machine(machine_key.address(), "u33dc0", "DE", slots, 10_000_000)
        .await
        .expect("machine registers");

    // The privacy contracts, with the devnet's (insecure, announced) keys.
    let deployed = output(
        automat()
            .args(["zk", "deploy", "--rpc-url", &url, "--storefront", &suite.storefront.to_string()])
            .arg("--devnet-keys")
            .env("AUTOMAT_ADMIN_KEY", hex_key(admin_i)),
        "zk deploy",
    );
    assert!(String::from_utf8_lossy(&deployed.stderr).contains("PUBLISHED SEED"), "devnet keys announced");
    let addresses: PrivacyAddresses =
        serde_json::from_value(json_of(&deployed, "zk deploy")).expect("zk deploy prints PrivacyAddresses");
    eprintln!("privacy contracts deployed after {:.1} s", started.elapsed().as_secs_f64());

    // The machine's agent.
    let data = tempfile::tempdir().expect("temp dir");
    let (_daemon, agent_url) = common::spawn_agent(
        &url,
        &suite.storefront.to_string(),
        machine,
        &machine_key.to_bytes().to_string(),
        &hex_key(agent_i),
        &data.path().join("agent"),
    );

    // A private purchase: deposit 10 tokens, pay 2 + 0.1 relayer fee for a fresh address.
    let wallet = data.path().join("wallet.json");
    let pay = |extra: &[&str]| {
        let mut command = automat();
        command.args(["pay", "--rpc-url", &url, "--storefront", &suite.storefront.to_string()]);
        command.args(["--agent-url", &agent_url, "--slot", "0", "--price", "2000000", "--private"]);
        command.args(["--pool", &addresses.pool.to_string(), "--compliance", &addresses.compliance.to_string()]);
        command.arg("--wallet").arg(&wallet).args(["--devnet-keys", "--fee", "100000"]).args(extra);
        command.env("AUTOMAT_BUYER_KEY", hex_key(buyer_i)).env("AUTOMAT_RELAYER_KEY", hex_key(relayer_i));
        command
    };
    let paid_at = Instant::now();
    let paid = output(&mut pay(&["--deposit", "10000000"]), "pay --private");
    let report = json_of(&paid, "pay --private");
    eprintln!("private payment took {:.1} s", paid_at.elapsed().as_secs_f64());
    let order_id: U256 = report["order_id"].as_str().expect("order id").parse().expect("order id");
    let fresh: Address = report["buyer"].as_str().expect("buyer").parse().expect("address");
    assert_ne!(fresh, buyer_address, "the order is for a fresh address, not the depositor");
    assert_ne!(fresh, signers[relayer_i].address());
    assert_eq!(
        report["relayer"].as_str().map(str::to_lowercase),
        Some(signers[relayer_i].address().to_string().to_lowercase())
    );
    assert_eq!(report["change_note"]["amount"], "7900000", "{report}");
    let order = admin.order(order_id).await.expect("order");
    assert_eq!(order.buyer, fresh, "the Storefront's order names the fresh address");
    assert_eq!(
        admin.token_balance(buyer_address).await.expect("balance"),
        U256::from(40_000_000u64),
        "the buyer paid the deposit, nothing else"
    );

    let waiting = Instant::now();
    loop {
        let status = admin.order_status(order_id).await.expect("status");
        if status == OrderStatus::Dispensed {
            break;
        }
        assert!(waiting.elapsed() < Duration::from_secs(30), "order not dispensed in 30 s: {status:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(admin.receipt_owner(order_id).await.expect("receipt"), fresh, "the receipt is the fresh address's");

    // The wallet file: owner-only, the change note unspent, the fresh address's key to collect the receipt.
    assert_owner_only(&wallet);
    let file: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&wallet).expect("wallet file")).expect("wallet JSON");
    let notes = file["notes"].as_array().expect("notes");
    assert_eq!(notes.len(), 2, "{file}");
    assert!(notes.iter().any(|n| n["amount"] == "10000000" && n["spent"] == true), "{file}");
    assert!(notes.iter().any(|n| n["amount"] == "7900000" && n["spent"] == false), "{file}");
    let nullifier = notes[1]["nullifier"].as_str().expect("decimal nullifier");
    assert!(nullifier.bytes().all(|b| b.is_ascii_digit()), "field elements as decimal strings: {nullifier}");
    let fresh_buyers = file["fresh_buyers"].as_array().expect("fresh buyers");
    let entry =
        fresh_buyers.iter().find(|b| b["address"].as_str().and_then(|a| a.parse::<Address>().ok()) == Some(fresh));
    let key: PrivateKeySigner =
        entry.and_then(|b| b["private_key"].as_str()).expect("fresh key kept").parse().expect("a private key");
    assert_eq!(key.address(), fresh, "the wallet keeps the fresh address's key");

    // The public flow for comparison: approve + placeOrder from the buyer's own address.
    let public = output(
        automat()
            .args(["pay", "--rpc-url", &url, "--storefront", &suite.storefront.to_string()])
            .args(["--agent-url", &agent_url, "--slot", "0", "--price", "1500000"])
            .env("AUTOMAT_BUYER_KEY", hex_key(buyer_i)),
        "pay (public)",
    );
    let public = json_of(&public, "pay (public)");
    let public_order: U256 = public["order_id"].as_str().expect("order id").parse().expect("order id");
    assert_eq!(admin.order(public_order).await.expect("order").buyer, buyer_address, "a public order is the buyer's");
    assert_eq!(admin.token_balance(buyer_address).await.expect("balance"), U256::from(38_500_000u64));

    // Geo-fence: the operator blocks jurisdiction 408 on the machine; an issuer attests a buyer from 408.
    let privacy = Privacy::new(admin.client().clone(), suite, addresses);
    privacy
        .with_client(operator.client().clone())
        .set_blocked_jurisdictions(machine, vec![408, 364])
        .await
        .expect("operator blocks jurisdictions");
    let issuer_role = privacy.issuer_role().await.expect("role");
    privacy.grant_compliance_role(issuer_role, signers[issuer_i].address()).await.expect("issuer role granted");
    let credential = data.path().join("credential.json");
    let tree = data.path().join("issuer-tree.json");
    let issued = output(
        automat()
            .args(["zk", "issue", "--rpc-url", &url, "--compliance", &addresses.compliance.to_string()])
            .args(["--jurisdiction", "408", "--birth-date", "19850101"])
            .arg("--tree")
            .arg(&tree)
            .arg("--out")
            .arg(&credential)
            .env("AUTOMAT_ISSUER_KEY", hex_key(issuer_i)),
        "zk issue",
    );
    let issued = json_of(&issued, "zk issue");
    assert_eq!(issued["index"], 0, "{issued}");
    assert_owner_only(&credential);
    let root = U256::from_str_radix(issued["root"].as_str().expect("root"), 10).expect("decimal root");
    assert!(tree.exists(), "the issuer's tree is kept");
    let publisher = admin
        .client()
        .call_sol(addresses.compliance, &ComplianceRegistry::issuerOfCall { root })
        .await
        .expect("issuerOf");
    assert_eq!(publisher, signers[issuer_i].address(), "the new root is published");

    let before = admin.token_balance(buyer_address).await.expect("balance");
    let orders_before = admin.order_count().await.expect("count");
    let locked_before = privacy.total_locked().await.expect("locked");
    let credential_arg = credential.to_str().expect("utf-8 path");
    let refused = output(&mut pay(&["--credential", credential_arg, "--deposit", "5000000"]), "pay --credential");
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success(), "a buyer from a blocked jurisdiction is refused");
    assert!(stderr.contains("regulatory block") && stderr.contains("nothing charged"), "{stderr}");
    assert_eq!(admin.token_balance(buyer_address).await.expect("balance"), before, "nothing charged or deposited");
    assert_eq!(admin.order_count().await.expect("count"), orders_before, "no order placed");
    assert_eq!(privacy.total_locked().await.expect("locked"), locked_before, "the pool did not move");
    eprintln!("test took {:.1} s", started.elapsed().as_secs_f64());
}
