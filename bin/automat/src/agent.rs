//! `automat agent`: one machine's agent as a daemon against a chain by JSON-RPC URL, driving a simulated
//! vending machine (the `DispenseDriver` seam is where an MDB cashless adapter plugs in).

use std::{net::SocketAddr, path::PathBuf, time::Duration};

use alloy_primitives::Address;
use alloy_signer_local::PrivateKeySigner;
use automat_agent::{Agent, AgentConfig, Behaviour, SimulatedMachine, VendOdds};
use automat_chain::ChainClientExt;
use automat_chain_rpc::RpcClient;
use automat_contracts::vending::{Storefront, SuiteAddresses, Vending};
use clap::Args;
use eyre::{Result, WrapErr, bail, eyre};

/// Arguments of `automat agent`.
#[derive(Debug, Args)]
pub(crate) struct AgentArgs {
    /// JSON-RPC URL of the machine's chain.
    #[arg(long, env = "AUTOMAT_RPC_URL")]
    rpc_url: String,
    /// The Storefront contract (token, registry and receipts are read from it).
    #[arg(long)]
    storefront: Address,
    /// The machine this agent drives.
    #[arg(long)]
    machine_id: u64,
    /// The machine's signing key (0x-hex private key); keep it in the environment, not on the command line.
    #[arg(long, env = "AUTOMAT_MACHINE_KEY", hide_env_values = true)]
    machine_key: String,
    /// Key of the account paying gas for attestations and settlements (defaults to the machine key).
    #[arg(long, env = "AUTOMAT_SENDER_KEY", hide_env_values = true)]
    sender_key: Option<String>,
    /// Outbox, metadata blobs and the simulated machine's audit journal.
    #[arg(long, default_value = ".automat/agent")]
    data_dir: PathBuf,
    /// Where the HTTP interface listens (quotes, vouchers, status).
    #[arg(long, default_value = "127.0.0.1:7878")]
    listen: SocketAddr,
    /// Milliseconds between polls of the chain.
    #[arg(long, default_value_t = 1_000)]
    interval_ms: u64,
    /// First block to scan on a fresh outbox.
    #[arg(long, default_value_t = 0)]
    start_block: u64,
    /// Also publish receipt metadata to this IPFS node's Kubo RPC API (e.g. http://127.0.0.1:5001).
    #[arg(long, env = "AUTOMAT_KUBO_URL")]
    kubo_url: Option<String>,
    /// Simulated machine: probability of a vend failure.
    #[arg(long, default_value_t = 0.0)]
    fail: f64,
    /// Simulated machine: probability of a jam.
    #[arg(long, default_value_t = 0.0)]
    jam: f64,
    /// Simulated machine: probability of a miscount (slot found empty).
    #[arg(long, default_value_t = 0.0)]
    sold_out: f64,
    /// Simulated machine: random seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

fn key(text: &str, what: &str) -> Result<PrivateKeySigner> {
    text.trim().parse().map_err(|_| eyre!("{what} is not a 0x-hex secp256k1 private key"))
}

pub(crate) async fn run(args: AgentArgs) -> Result<()> {
    for (name, p) in [("--fail", args.fail), ("--jam", args.jam), ("--sold-out", args.sold_out)] {
        if !(0.0..=1.0).contains(&p) {
            bail!("{name} must be a probability between 0 and 1");
        }
    }
    let machine_key = key(&args.machine_key, "AUTOMAT_MACHINE_KEY")?;
    let sender_key = match &args.sender_key {
        Some(text) => key(text, "AUTOMAT_SENDER_KEY")?,
        None => machine_key.clone(),
    };
    let client = RpcClient::connect(&args.rpc_url, sender_key)
        .await
        .wrap_err_with(|| format!("connecting to {}", args.rpc_url))?;
    let chain_id = automat_chain::ChainClient::chain_id(&client);
    let storefront = args.storefront;
    let token = client.call_sol(storefront, &Storefront::tokenCall {}).await.wrap_err("reading the Storefront")?;
    let registry = client.call_sol(storefront, &Storefront::registryCall {}).await?;
    let receipts = client.call_sol(storefront, &Storefront::receiptsCall {}).await?;
    let suite = SuiteAddresses { chain_id, token, registry, storefront, receipts };
    automat_contracts::register_all_errors(&client)?;

    let vending = Vending::new(client.clone(), suite);
    let machine = vending.machine(args.machine_id).await.wrap_err_with(|| format!("machine {}", args.machine_id))?;
    if machine.signer != machine_key.address() {
        bail!(
            "AUTOMAT_MACHINE_KEY is {} but machine {} signs with {}",
            machine_key.address(),
            args.machine_id,
            machine.signer
        );
    }
    let mut stock = Vec::new();
    for slot in 0..machine.slotCount {
        stock.push((slot, vending.slot(args.machine_id, slot).await?.stock));
    }
    std::fs::create_dir_all(&args.data_dir).wrap_err_with(|| format!("creating {}", args.data_dir.display()))?;
    let odds = VendOdds { fail: args.fail, jam: args.jam, sold_out: args.sold_out };
    let driver = SimulatedMachine::new(stock, Behaviour::Random { odds, seed: args.seed })
        .with_journal(args.data_dir.join("machine-journal.jsonl"))?;
    let mut config = AgentConfig::new(args.machine_id, suite, &args.data_dir);
    config.start_block = args.start_block;
    if let Some(url) = &args.kubo_url {
        let kubo = automat_store::KuboClient::new(url).wrap_err("--kubo-url")?;
        let version = kubo.version().await.wrap_err_with(|| format!("IPFS node at {url}"))?;
        eprintln!("automat agent: publishing receipt metadata to IPFS node {url} (Kubo {})", version.version);
        config.kubo = Some(kubo);
    }
    let agent = Agent::open(client, driver, machine_key, config)?;

    let listener =
        tokio::net::TcpListener::bind(args.listen).await.wrap_err_with(|| format!("listening on {}", args.listen))?;
    let local = listener.local_addr()?;
    eprintln!(
        "automat agent: machine {} on chain {chain_id} via {}; http://{local} (status, quote, offline-sale); Ctrl-C stops",
        args.machine_id, args.rpc_url
    );
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    automat_agent::service::serve(agent, listener, Duration::from_millis(args.interval_ms), shutdown)
        .await
        .wrap_err("agent stopped")?;
    eprintln!("automat agent: stopped");
    Ok(())
}
