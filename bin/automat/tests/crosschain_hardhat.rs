//! A cross-chain purchase as a user runs it: two Hardhat nodes with different chain ids on loopback,
//! `automat crosschain deploy` deploying LayerZero v2, Hyperlane and the app on both, the machine's agent
//! (`automat agent`) on chain B and every off-chain role (`automat relayer`) as separate processes; the buyer
//! pays on chain A (the token's home) and gets the receipt there once the machine on B has dispensed.

use std::{
    io::{BufRead, BufReader},
    path::Path,
    process::{Child, Command, ExitStatus, Stdio},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use alloy_primitives::{Address, U256};
use alloy_signer_local::PrivateKeySigner;
use automat_agent::service::QuoteBody;
use automat_chain::{ChainClient, DEFAULT_MNEMONIC, alloy::Filter, decode_events, dev_signers};
use automat_chain_rpc::RpcClient;
use automat_contracts::{
    crosschain::{CrossChain, CrossChainRouter, PurchaseStatus, Transport, buy_request},
    vending::{Quote, Slot, Vending},
};
use automat_crosschain::network::Network;
use automat_hardhat::HardhatNode;

const CHAIN_A: u64 = 31337;
const CHAIN_B: u64 = 31338;
const AUSD: u128 = 1_000_000;
const OPERATOR: usize = 1;
const BUYER: usize = 3;
const AGENT_SENDER: usize = 8;
/// The relayer account `automat crosschain deploy` and `automat relayer` default to.
const RELAYER: usize = 9;
/// How long one purchase may take to settle.
const SETTLE_TIMEOUT: Duration = Duration::from_secs(45);

/// A child process whose stderr is collected line by line (and echoed into the test's output); killed on drop
/// if still running.
struct Daemon {
    name: &'static str,
    child: Child,
    lines: Arc<Mutex<Vec<String>>>,
}

impl Daemon {
    fn spawn(name: &'static str, command: &mut Command) -> Self {
        let mut child = command
            .env_remove("AUTOMAT_ADMIN_KEY")
            .env_remove("AUTOMAT_RELAYER_KEY")
            .env_remove("AUTOMAT_RPC_URL")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("{name} starts: {e}"));
        let stderr = child.stderr.take().expect("stderr piped");
        let lines = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&lines);
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                eprintln!("[{name}] {line}");
                sink.lock().expect("lines").push(line);
            }
        });
        Self { name, child, lines }
    }

    /// The first stderr line containing `needle`, waiting up to `timeout`.
    fn wait_for_line(&mut self, needle: &str, timeout: Duration) -> String {
        let started = Instant::now();
        loop {
            if let Some(line) = self.lines.lock().expect("lines").iter().find(|l| l.contains(needle)) {
                return line.clone();
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("{} exited ({status}) before printing {needle:?}", self.name);
            }
            assert!(started.elapsed() < timeout, "{} did not print {needle:?} in {timeout:?}", self.name);
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn has_line(&self, needle: &str) -> bool {
        self.lines.lock().expect("lines").iter().any(|l| l.contains(needle))
    }

    /// Sends `signal` (`INT`, `TERM`) and waits for the process to exit.
    fn stop(&mut self, signal: &str) -> ExitStatus {
        let sent = Command::new("kill")
            .args([format!("-{signal}"), self.child.id().to_string()])
            .status()
            .expect("`kill` runs");
        assert!(sent.success(), "kill -{signal} {}", self.child.id());
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                // Let the reader thread take the last lines.
                std::thread::sleep(Duration::from_millis(50));
                return status;
            }
            assert!(started.elapsed() < Duration::from_secs(15), "{} ignored SIG{signal}", self.name);
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn automat() -> Command {
    Command::new(env!("CARGO_BIN_EXE_automat"))
}

fn start_relayer(network: &Path, urls: [&str; 2], data: &Path, primary: Transport) -> Daemon {
    let mut command = automat();
    command
        .arg("relayer")
        .arg("--network")
        .arg(network)
        .args(["--rpc-url", urls[0], "--rpc-url", urls[1]])
        .arg("--data-dir")
        .arg(data)
        .args(["--interval-ms", "100", "--retry-after", "0", "--primary", primary.name()])
        .env("RUST_LOG", "automat=info");
    let mut relayer = Daemon::spawn("relayer", &mut command);
    relayer.wait_for_line("Ctrl-C stops", Duration::from_secs(30));
    relayer
}

/// The chain's payment-token balance of `who`.
async fn balance(vending: &Vending<RpcClient>, who: Address) -> U256 {
    vending.token_balance(who).await.expect("token balance")
}

/// Messages the router on `app`'s chain delivered, by transport id.
async fn delivered(client: &RpcClient, router: Address) -> Vec<u8> {
    let logs = client.logs(&Filter::new().address(router).from_block(0)).await.expect("router logs");
    decode_events::<CrossChainRouter::MessageDelivered>(&logs).iter().map(|d| d.transport).collect()
}

struct Purchase<'a> {
    http: &'a reqwest::Client,
    agent: &'a str,
    buyer: &'a CrossChain<RpcClient>,
}

impl Purchase<'_> {
    /// Buys slot 0 at 2 aUSD (max 3) on chain B from chain A through `transport`; waits until settled.
    async fn settle(&self, transport: Transport) -> u64 {
        let quote: QuoteBody = self
            .http
            .post(format!("{}/quote", self.agent))
            .json(&serde_json::json!({ "slot": 0, "price": (2 * AUSD).to_string() }))
            .send()
            .await
            .expect("quote request")
            .error_for_status()
            .expect("quote accepted")
            .json()
            .await
            .expect("quote body");
        let q = Quote {
            machineId: quote.machine_id,
            slot: quote.slot,
            price: quote.price.parse().expect("price"),
            expiry: quote.expiry,
            nonce: quote.nonce,
        };
        let deliver_by = self.buyer.client().block_timestamp().await.expect("chain A time") + 300;
        let request = buy_request(CHAIN_B, &q, quote.signature, 3 * AUSD, deliver_by, 600);
        let opened = self.buyer.buy(&request, transport, true).await.expect("purchase opened on chain A");
        let started = Instant::now();
        loop {
            let status = self.buyer.purchase_status(opened.purchase_id).await.expect("purchase status");
            if status == PurchaseStatus::Settled {
                eprintln!(
                    "purchase {} through {} settled in {:?}",
                    opened.purchase_id,
                    transport.name(),
                    started.elapsed()
                );
                return opened.purchase_id;
            }
            assert_eq!(status, PurchaseStatus::Pending, "purchase {} through {}", opened.purchase_id, transport.name());
            assert!(
                started.elapsed() < SETTLE_TIMEOUT,
                "purchase {} through {} not settled in {SETTLE_TIMEOUT:?}",
                opened.purchase_id,
                transport.name()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crosschain_purchase_between_two_hardhat_nodes() {
    let started = Instant::now();
    let (a, b) = tokio::join!(
        tokio::task::spawn_blocking(|| HardhatNode::start_with_chain_id(CHAIN_A)),
        tokio::task::spawn_blocking(|| HardhatNode::start_with_chain_id(CHAIN_B)),
    );
    let start = "Hardhat node starts (needs node and `npm ci --prefix contracts`)";
    let (node_a, node_b) = (a.expect("join").expect(start), b.expect("join").expect(start));
    let (url_a, url_b) = (node_a.url(), node_b.url());
    let dir = tempfile::tempdir().expect("temp dir");
    let network_file = dir.path().join("network.json");

    // Deploy with the CLI (dev admin account 0, relayer account 9).
    let deploy = automat()
        .args(["crosschain", "deploy", "--rpc-url", &url_a, "--rpc-url", &url_b, "--out"])
        .arg(&network_file)
        .env_remove("AUTOMAT_ADMIN_KEY")
        .env_remove("AUTOMAT_RELAYER_KEY")
        .output()
        .expect("automat crosschain deploy runs");
    assert!(deploy.status.success(), "automat crosschain deploy failed: {}", String::from_utf8_lossy(&deploy.stderr));
    let network: Network = serde_json::from_str(&std::fs::read_to_string(&network_file).expect("network.json written"))
        .expect("network.json decodes");
    let (deployed_a, deployed_b) = (network.chain(CHAIN_A).expect("chain A"), network.chain(CHAIN_B).expect("chain B"));
    assert!(deployed_a.app.is_home && !deployed_b.app.is_home, "the first --rpc-url is home");
    eprintln!("deployed in {:?}", started.elapsed());

    // The machine on chain B: operator staked, machine registered, its agent as a daemon.
    let signers = dev_signers(DEFAULT_MNEMONIC, 10).expect("dev keys");
    let on = async |url: &str, account: usize| RpcClient::connect(url, signers[account].clone()).await;
    let admin_b = Vending::new(on(&url_b, 0).await.expect("connect B"), deployed_b.suite);
    let operator = admin_b.with_client(on(&url_b, OPERATOR).await.expect("connect B"));
    admin_b.mint(signers[OPERATOR].address(), U256::from(1_000 * AUSD)).await.expect("mint to the operator");
    operator.register_operator(U256::from(100 * AUSD)).await.expect("operator registers");
    let machine_key = PrivateKeySigner::random();
    let slots = vec![Slot { itemId: 7, stock: 10, minPrice: AUSD, maxPrice: 3 * AUSD }];
    let machine = operator
        .register_machine(machine_key.address(), "u33dc0", "DE", slots, 20 * AUSD)
        .await
        .expect("machine registers");
    let mut agent = Daemon::spawn(
        "agent",
        automat()
            .args(["agent", "--rpc-url", &url_b, "--storefront", &deployed_b.suite.storefront.to_string()])
            .args(["--machine-id", &machine.to_string(), "--listen", "127.0.0.1:0", "--interval-ms", "100"])
            .arg("--data-dir")
            .arg(dir.path().join("agent"))
            .env("AUTOMAT_MACHINE_KEY", machine_key.to_bytes().to_string())
            .env("AUTOMAT_SENDER_KEY", signers[AGENT_SENDER].to_bytes().to_string()),
    );
    let line = agent.wait_for_line("(status", Duration::from_secs(30));
    let agent_url = format!(
        "http://{}",
        line.rsplit("http://").next().and_then(|rest| rest.split_whitespace().next()).expect("agent address")
    );

    // The buyer on chain A, the token's home.
    let admin_a = Vending::new(on(&url_a, 0).await.expect("connect A"), deployed_a.suite);
    admin_a.mint(signers[BUYER].address(), U256::from(100 * AUSD)).await.expect("mint to the buyer");
    let buyer = CrossChain::new(on(&url_a, BUYER).await.expect("connect A"), deployed_a.app);
    let buyer_address = signers[BUYER].address();
    let operator_address = signers[OPERATOR].address();
    let operator_start = balance(&admin_b, operator_address).await;

    // Every off-chain role, reports through LayerZero.
    let relayer_data = dir.path().join("relayer");
    let mut relayer = start_relayer(&network_file, [&url_a, &url_b], &relayer_data, Transport::LayerZero);
    let http = reqwest::Client::new();
    let purchase = Purchase { http: &http, agent: &agent_url, buyer: &buyer };

    let first = purchase.settle(Transport::LayerZero).await;
    assert_eq!(buyer.receipt_owner(first).await.expect("receipt on chain A"), buyer_address);
    assert_eq!(balance(&admin_a, buyer_address).await, U256::from(98 * AUSD), "change (max price - price) returned");
    let paid = balance(&admin_b, operator_address).await - operator_start;
    assert_eq!(paid, U256::from(2 * AUSD - 2 * AUSD / 100), "operator paid the price minus the 1% fee");
    assert!(relayer.has_line("relayer round"), "rounds are logged");

    // SIGTERM stops the relayer cleanly; it restarts from its progress, now reporting through Hyperlane.
    let status = relayer.stop("TERM");
    assert!(status.success(), "relayer exits cleanly on SIGTERM: {status}");
    assert!(relayer.has_line("stopped after"), "relayer reports its stop");
    let mut relayer = start_relayer(&network_file, [&url_a, &url_b], &relayer_data, Transport::Hyperlane);

    let second = purchase.settle(Transport::Hyperlane).await;
    assert_eq!(buyer.receipt_owner(second).await.expect("receipt on chain A"), buyer_address);
    assert_eq!(balance(&admin_a, buyer_address).await, U256::from(96 * AUSD), "change returned again");
    let paid = balance(&admin_b, operator_address).await - operator_start;
    assert_eq!(paid, U256::from(2 * (2 * AUSD - 2 * AUSD / 100)), "operator paid for both sales");

    // Each purchase travelled (order to B, outcome back to A) through its own transport, each message once.
    let client_a = buyer.client();
    let client_b = admin_b.client();
    let lz = Transport::LayerZero.id();
    let hl = Transport::Hyperlane.id();
    assert_eq!(delivered(client_b, deployed_b.app.router).await, vec![lz, hl], "orders on chain B");
    assert_eq!(delivered(client_a, deployed_a.app.router).await, vec![lz, hl], "outcomes on chain A");
    // The relayer submitted (and paid gas) as the default relayer account on both chains.
    let funded = U256::from(10_000u64) * U256::from(10u64).pow(U256::from(18u64));
    for client in [client_a, client_b] {
        let left = client.balance(signers[RELAYER].address()).await.expect("relayer balance");
        assert!(left < funded, "relayer account paid no gas on chain {}", client.chain_id());
    }

    let status = relayer.stop("INT");
    assert!(status.success(), "relayer exits cleanly on SIGINT: {status}");
    let status = agent.stop("INT");
    assert!(status.success(), "agent exits cleanly on SIGINT: {status}");
    eprintln!("cross-chain test took {:?}", started.elapsed());
}
