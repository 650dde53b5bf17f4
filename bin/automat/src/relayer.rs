//! `automat crosschain deploy` and `automat relayer`: a cross-chain network over JSON-RPC nodes.
//!
//! `crosschain deploy` deploys, on every chain given, the vending suite, LayerZero v2 and Hyperlane (from their
//! published artifacts) and the cross-chain app, wires every pair, and writes the addresses to a JSON file.
//! `relayer` reads that file and runs every off-chain role over it in one process: the LayerZero DVN operators
//! and executor, the Hyperlane validators and relayer, and the checkout keeper, each keeping its progress in
//! its own database under the data directory, so a restart resumes where the last run stopped.

use std::{
    collections::BTreeSet,
    path::{Path, PathBuf},
    time::Duration,
};

use alloy_primitives::Address;
use alloy_signer_local::PrivateKeySigner;
use automat_chain::{ChainClient, DEFAULT_MNEMONIC, signer_from_mnemonic};
use automat_chain_rpc::RpcClient;
use automat_contracts::crosschain::Transport;
use automat_crosschain::{
    KeeperConfig,
    network::{self, Network, NetworkConfig, Relayers, RelayersReport},
};
use clap::{Args, Subcommand, ValueEnum};
use eyre::{Result, WrapErr, bail, eyre};
use tokio::signal::unix::{Signal, SignalKind, signal};

/// Dev-mnemonic account that deploys and administers the network by default.
const DEV_ADMIN_ACCOUNT: u32 = 0;
/// Dev-mnemonic account the off-chain roles submit from by default.
const DEV_RELAYER_ACCOUNT: u32 = 9;

/// `automat crosschain …`.
#[derive(Debug, Subcommand)]
pub(crate) enum CrossChainCommand {
    /// Deploy a cross-chain network on every chain given: per chain the vending suite, LayerZero v2 and
    /// Hyperlane (from their published artifacts) and the cross-chain app (router, adapters, token gateway,
    /// checkout), wired pairwise; writes the addresses as JSON for `automat relayer`.
    ///
    /// Development defaults: without AUTOMAT_ADMIN_KEY the admin is account 0 of the well-known dev mnemonic
    /// ("test test test test test test test test test test test junk"); without --relayer-address or
    /// AUTOMAT_RELAYER_KEY the relayer account is account 9 of it. DVN signer and Hyperlane validator keys
    /// always derive from that mnemonic: this network is for development and testing only.
    Deploy(DeployArgs),
}

/// Arguments of `automat crosschain deploy`.
#[derive(Debug, Args)]
pub(crate) struct DeployArgs {
    /// JSON-RPC URL of a chain; repeat it for every chain (at least two, distinct chain ids).
    #[arg(long = "rpc-url", required = true)]
    rpc_urls: Vec<String>,
    /// Which chain (index among the --rpc-url, from 0) is the payment token's home.
    #[arg(long, default_value_t = 0)]
    home: usize,
    /// Where to write the deployed network (JSON).
    #[arg(long, default_value = "network.json")]
    out: PathBuf,
    /// Key of the account deploying and owning every contract on every chain (0x-hex private key); keep it in
    /// the environment. Default: dev mnemonic account 0.
    #[arg(long, env = "AUTOMAT_ADMIN_KEY", hide_env_values = true)]
    admin_key: Option<String>,
    /// Account the off-chain roles submit from (it administers the DVNs and the executor). Default: the
    /// address of AUTOMAT_RELAYER_KEY when set, else dev mnemonic account 9.
    #[arg(long)]
    relayer_address: Option<Address>,
    /// The relayer account's key, only read for its address when --relayer-address is not given.
    #[arg(long, env = "AUTOMAT_RELAYER_KEY", hide_env_values = true)]
    relayer_key: Option<String>,
}

/// The transport the keeper sends new reports through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Primary {
    /// LayerZero v2.
    Layerzero,
    /// Hyperlane.
    Hyperlane,
}

impl From<Primary> for Transport {
    fn from(p: Primary) -> Self {
        match p {
            Primary::Layerzero => Transport::LayerZero,
            Primary::Hyperlane => Transport::Hyperlane,
        }
    }
}

/// Arguments of `automat relayer`.
#[derive(Debug, Args)]
pub(crate) struct RelayerArgs {
    /// The network written by `automat crosschain deploy`.
    #[arg(long, default_value = "network.json")]
    network: PathBuf,
    /// JSON-RPC URL of a chain of the network; repeat it for every chain.
    #[arg(long = "rpc-url", required = true)]
    rpc_urls: Vec<String>,
    /// Progress databases of every role and the Hyperlane validators' signed checkpoints.
    #[arg(long, default_value = ".automat/relayer")]
    data_dir: PathBuf,
    /// Milliseconds between rounds.
    #[arg(long, default_value_t = 1_000)]
    interval_ms: u64,
    /// Seconds (chain time) after which an undelivered message is sent again through the other transport;
    /// 0 never retries.
    #[arg(long, default_value_t = 120)]
    retry_after: u64,
    /// Transport for the keeper's reports back to the buyer's chain.
    #[arg(long, value_enum, default_value_t = Primary::Layerzero)]
    primary: Primary,
    /// Key of the account every role submits from (0x-hex private key); keep it in the environment. It must be
    /// the relayer account the network was deployed with. Default: dev mnemonic account 9.
    #[arg(long, env = "AUTOMAT_RELAYER_KEY", hide_env_values = true)]
    relayer_key: Option<String>,
}

/// A key from the environment or the command line, else the dev mnemonic's account `dev_account`.
fn key_or_dev(text: Option<&str>, what: &str, dev_account: u32) -> Result<PrivateKeySigner> {
    match text {
        Some(text) => text.trim().parse().map_err(|_| eyre!("{what} is not a 0x-hex secp256k1 private key")),
        None => signer_from_mnemonic(DEFAULT_MNEMONIC, dev_account)
            .wrap_err_with(|| format!("dev mnemonic account {dev_account}")),
    }
}

/// One client per URL, all signing as `signer`; chain ids must be distinct.
async fn connect_all(urls: &[String], signer: &PrivateKeySigner) -> Result<Vec<RpcClient>> {
    let mut clients = Vec::new();
    let mut seen = BTreeSet::new();
    for url in urls {
        let client = RpcClient::connect(url, signer.clone()).await.wrap_err_with(|| format!("connecting to {url}"))?;
        if !seen.insert(client.chain_id()) {
            bail!("{url} serves chain {}, which another --rpc-url already serves", client.chain_id());
        }
        clients.push(client);
    }
    Ok(clients)
}

/// `automat crosschain …`.
pub(crate) async fn run_crosschain(command: CrossChainCommand) -> Result<()> {
    match command {
        CrossChainCommand::Deploy(args) => deploy(args).await,
    }
}

async fn deploy(args: DeployArgs) -> Result<()> {
    if args.rpc_urls.len() < 2 {
        bail!("a cross-chain network needs at least two chains (give --rpc-url once per chain)");
    }
    if args.home >= args.rpc_urls.len() {
        bail!("--home {} but only {} chains were given", args.home, args.rpc_urls.len());
    }
    let admin = key_or_dev(args.admin_key.as_deref(), "AUTOMAT_ADMIN_KEY", DEV_ADMIN_ACCOUNT)?;
    let relayer = match (args.relayer_address, args.relayer_key.as_deref()) {
        (Some(address), _) => address,
        (None, key) => key_or_dev(key, "AUTOMAT_RELAYER_KEY", DEV_RELAYER_ACCOUNT)?.address(),
    };
    let admins = connect_all(&args.rpc_urls, &admin).await?;
    let ids: Vec<u64> = admins.iter().map(ChainClient::chain_id).collect();
    eprintln!(
        "automat crosschain deploy: chains {ids:?} (home {}), admin {}, relayer {relayer}",
        ids[args.home],
        admin.address()
    );
    let config = NetworkConfig { home: args.home, ..NetworkConfig::default() };
    let network = network::deploy(&admins, relayer, &config).await.wrap_err("deploying the cross-chain network")?;
    save(&network, &args.out)?;
    for chain in &network.chains {
        eprintln!(
            "  chain {:>8}: checkout {} storefront {} token {}{} (LayerZero eid {}, Hyperlane domain {})",
            chain.chain_id,
            chain.app.checkout,
            chain.suite.storefront,
            chain.suite.token,
            if chain.app.is_home { " (home)" } else { "" },
            chain.lz.eid,
            chain.hl.domain,
        );
    }
    eprintln!("automat crosschain deploy: {} gas; network written to {}", network.deploy_gas, args.out.display());
    Ok(())
}

/// Writes `network` as JSON to `path` (through a temporary file next to it, so a reader never sees half).
fn save(network: &Network, path: &Path) -> Result<()> {
    let json = serde_json::to_string_pretty(network).wrap_err("encoding the network")?;
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).wrap_err_with(|| format!("creating {}", parent.display()))?;
    }
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    std::fs::write(&tmp, json + "\n").wrap_err_with(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, path).wrap_err_with(|| format!("renaming {} to {}", tmp.display(), path.display()))?;
    Ok(())
}

/// Reads a network written by [`save`].
fn load(path: &Path) -> Result<Network> {
    let text = std::fs::read_to_string(path).wrap_err_with(|| format!("reading {}", path.display()))?;
    serde_json::from_str(&text)
        .wrap_err_with(|| format!("{} is not a network from `automat crosschain deploy`", path.display()))
}

/// SIGINT and SIGTERM.
pub(crate) struct Shutdown {
    interrupt: Signal,
    terminate: Signal,
}

impl Shutdown {
    pub(crate) fn install() -> Result<Self> {
        Ok(Self {
            interrupt: signal(SignalKind::interrupt()).wrap_err("installing the SIGINT handler")?,
            terminate: signal(SignalKind::terminate()).wrap_err("installing the SIGTERM handler")?,
        })
    }

    /// The next SIGINT or SIGTERM.
    pub(crate) async fn recv(&mut self) -> &'static str {
        tokio::select! {
            _ = self.interrupt.recv() => "SIGINT",
            _ = self.terminate.recv() => "SIGTERM",
        }
    }
}

/// `automat relayer`.
pub(crate) async fn run_relayer(args: RelayerArgs) -> Result<()> {
    let mut shutdown = Shutdown::install()?;
    let network = load(&args.network)?;
    let key = key_or_dev(args.relayer_key.as_deref(), "AUTOMAT_RELAYER_KEY", DEV_RELAYER_ACCOUNT)?;
    let clients = connect_all(&args.rpc_urls, &key).await?;
    for client in &clients {
        if network.chain(client.chain_id()).is_err() {
            bail!(
                "{} serves chain {}, which {} does not have",
                client.url(),
                client.chain_id(),
                args.network.display()
            );
        }
    }
    for chain in &network.chains {
        if !clients.iter().any(|c| c.chain_id() == chain.chain_id) {
            bail!("no --rpc-url serves chain {} of {}", chain.chain_id, args.network.display());
        }
    }
    let config = NetworkConfig::default();
    if network.pathways != config.pathways() {
        tracing::warn!("the network's LayerZero pathway security differs from the defaults this relayer runs with");
    }
    let keeper = KeeperConfig {
        primary: args.primary.into(),
        retry_after: (args.retry_after > 0).then_some(args.retry_after),
        confirmations: config.confirmations,
    };
    let mut relayers = Relayers::new(&network, &config, &clients, &args.data_dir, keeper)
        .wrap_err_with(|| format!("opening the relayers' progress under {}", args.data_dir.display()))?;
    let ids: Vec<u64> = network.chains.iter().map(|c| c.chain_id).collect();
    eprintln!(
        "automat relayer: chains {ids:?} as {}; LayerZero DVNs and executor, Hyperlane validators and relayer, \
         checkout keeper (reports via {}); progress in {}; Ctrl-C stops",
        key.address(),
        Transport::from(args.primary).name(),
        args.data_dir.display()
    );

    let interval = Duration::from_millis(args.interval_ms);
    let mut round: u64 = 0;
    loop {
        round += 1;
        let mut stopping = None;
        let tick = relayers.tick();
        tokio::pin!(tick);
        let result = tokio::select! {
            result = &mut tick => result,
            name = shutdown.recv() => {
                eprintln!("automat relayer: {name}: finishing round {round} (signal again to stop at once)");
                stopping = Some(name);
                tokio::select! {
                    result = &mut tick => result,
                    name = shutdown.recv() => {
                        // Every role re-reads the chains before acting, so an interrupted round is repeated.
                        eprintln!("automat relayer: {name}: stopped during round {round}");
                        return Ok(());
                    }
                }
            }
        };
        match result {
            Ok(report) => log_round(round, &report),
            Err(error) => tracing::warn!(round, error = %error, "relayer round failed; retrying next round"),
        }
        if stopping.is_some() {
            break;
        }
        tokio::select! {
            () = tokio::time::sleep(interval) => {}
            name = shutdown.recv() => {
                eprintln!("automat relayer: {name}");
                break;
            }
        }
    }
    eprintln!("automat relayer: stopped after {round} rounds");
    Ok(())
}

fn log_round(round: u64, report: &RelayersReport) {
    for error in report.errors.iter().chain(&report.keeper.errors) {
        tracing::warn!(round, %error, "retrying next round");
    }
    let k = &report.keeper;
    if report.progressed() {
        tracing::info!(
            round,
            lz_verified = report.lz_verified,
            lz_delivered = report.lz_delivered,
            hl_signed = report.hl_signed,
            hl_delivered = report.hl_delivered,
            discovered = k.discovered,
            reported = k.reported,
            expired = k.expired,
            retried = k.retried,
            ended = k.ended,
            pending = k.pending,
            "relayer round"
        );
    } else {
        tracing::debug!(round, pending = k.pending, "relayer round: nothing to do");
    }
}
