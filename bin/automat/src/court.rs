//! `automat court`: a juror agent for one key, and optionally the court's keeper, against a chain by JSON-RPC
//! URL, in rounds until SIGINT or SIGTERM.

use std::{path::PathBuf, time::Duration};

use alloy_primitives::{Address, B256, keccak256};
use alloy_signer_local::PrivateKeySigner;
use automat_chain::{ChainClient, ChainClientExt};
use automat_chain_rpc::RpcClient;
use automat_claims::{
    Clock, DisputeKeeper, JurorAgent, JurorConfig, JurorReport, KeeperConfig, KeeperReport, PolicySpec, WallClock,
};
use automat_contracts::court::{Court, CourtAddresses, CourtContract};
use automat_store::BlobStore;
use clap::Args;
use eyre::{Result, WrapErr, eyre};

use crate::{relayer::Shutdown, zk::key};

/// Arguments of `automat court`.
#[derive(Debug, Args)]
pub(crate) struct CourtArgs {
    /// JSON-RPC URL of the chain.
    #[arg(long, env = "AUTOMAT_RPC_URL")]
    rpc_url: String,
    /// The Court.
    #[arg(long)]
    court: Address,
    /// The InsurancePool whose claims this juror judges (disputes of other arbitrables are refused, choice 0).
    #[arg(long)]
    pool: Address,
    /// How the juror votes: honest (rules on the evidence and the machine's record), dishonest (the opposite),
    /// random (uniform, seeded by --random-seed) or fixed:<choice> (1 pays, 2 rejects).
    #[arg(long, default_value = "honest")]
    policy: String,
    /// Seed of the random policy.
    #[arg(long, default_value_t = 0)]
    random_seed: u64,
    /// Where the juror (and keeper) keep their state: vote salts and choices, beacon secrets (mode 0600).
    #[arg(long, default_value = ".automat/court")]
    data_dir: PathBuf,
    /// The local evidence store the honest and dishonest policies read claims' evidence from, by CID.
    #[arg(long, default_value = ".automat/evidence")]
    store_dir: PathBuf,
    /// Also run the keeper: beacon contributions, draws, periods, rulings and rewards of every dispute.
    #[arg(long)]
    keeper: bool,
    /// Milliseconds between rounds.
    #[arg(long, default_value_t = 2_000)]
    interval_ms: u64,
    /// Stop after this many rounds (0: run until SIGINT or SIGTERM).
    #[arg(long, default_value_t = 0)]
    rounds: u64,
    /// The juror's key (staked in the court); keep it in the environment. Salts derive from it.
    #[arg(long, env = "AUTOMAT_JUROR_KEY", hide_env_values = true)]
    juror_key: String,
    /// The keeper's key (holds network tokens for beacon bonds; defaults to the juror key).
    #[arg(long, env = "AUTOMAT_KEEPER_KEY", hide_env_values = true)]
    keeper_key: Option<String>,
}

/// A secret seed for `role` derived from `key` (so a lost data directory does not lose the salts).
fn seed_of(role: &str, key: &PrivateKeySigner) -> B256 {
    let mut bytes = format!("automat {role} seed v1").into_bytes();
    bytes.extend_from_slice(key.to_bytes().as_slice());
    keccak256(bytes)
}

async fn court_addresses(client: &RpcClient, court: Address) -> Result<CourtAddresses> {
    let token = client
        .call_sol(court, &CourtContract::stakeTokenCall {})
        .await
        .wrap_err_with(|| format!("{court} is not a Court"))?;
    let beacon = client.call_sol(court, &CourtContract::beaconCall {}).await?;
    let fee_token = client.call_sol(court, &CourtContract::feeTokenCall {}).await?;
    Ok(CourtAddresses { chain_id: client.chain_id(), token, beacon, court, fee_token })
}

async fn connect(url: &str, key: PrivateKeySigner) -> Result<RpcClient> {
    let client = RpcClient::connect(url, key).await.wrap_err_with(|| format!("connecting to {url}"))?;
    automat_contracts::register_all_errors(&client)?;
    Ok(client)
}

pub(crate) async fn run(args: CourtArgs) -> Result<()> {
    let mut shutdown = Shutdown::install()?;
    let spec: PolicySpec = args.policy.parse().map_err(|e| eyre!("--policy: {e}"))?;
    let juror_key = key(&args.juror_key, "AUTOMAT_JUROR_KEY")?;
    let juror_client = connect(&args.rpc_url, juror_key.clone()).await?;
    let addresses = court_addresses(&juror_client, args.court).await?;
    let store = BlobStore::open(&args.store_dir)
        .wrap_err_with(|| format!("opening the evidence store {}", args.store_dir.display()))?;
    let config =
        JurorConfig::new(seed_of("juror", &juror_key)).in_dir(&args.data_dir, juror_key.address()).for_pool(args.pool);
    let mut juror =
        JurorAgent::open(Court::new(juror_client.clone(), addresses), spec.build(store, args.random_seed), config)
            .wrap_err_with(|| format!("opening the juror's state under {}", args.data_dir.display()))?;
    let mut keeper = if args.keeper {
        let keeper_key = match &args.keeper_key {
            Some(text) => key(text, "AUTOMAT_KEEPER_KEY")?,
            None => juror_key.clone(),
        };
        let client = connect(&args.rpc_url, keeper_key.clone()).await?;
        let config = KeeperConfig::new(seed_of("keeper", &keeper_key)).in_dir(&args.data_dir, keeper_key.address());
        Some(
            DisputeKeeper::open(Court::new(client, addresses), config)
                .wrap_err_with(|| format!("opening the keeper's state under {}", args.data_dir.display()))?,
        )
    } else {
        None
    };
    let clock = WallClock::new(juror_client.clone(), Duration::from_millis(args.interval_ms));
    let stake = juror.court().juror(juror.address()).await.wrap_err("reading the juror's stake")?;
    eprintln!(
        "automat court: juror {} (policy {}, staked {}) on court {} of chain {}{}; state in {}; Ctrl-C stops",
        juror.address(),
        juror.policy_name(),
        stake.staked,
        args.court,
        juror_client.chain_id(),
        keeper.as_ref().map(|k| format!(", keeper {}", k.address())).unwrap_or_default(),
        args.data_dir.display()
    );

    let interval = Duration::from_millis(args.interval_ms.max(10));
    let mut round: u64 = 0;
    loop {
        round += 1;
        let work = async {
            let now = clock.now().await?;
            let k = match keeper.as_mut() {
                Some(keeper) => Some(keeper.tick(now).await?),
                None => None,
            };
            let j = juror.tick().await?;
            Ok::<_, automat_claims::ClaimsError>((k, j))
        };
        tokio::pin!(work);
        let mut stopping = false;
        let result = tokio::select! {
            result = &mut work => result,
            name = shutdown.recv() => {
                eprintln!("automat court: {name}: finishing round {round} (signal again to stop at once)");
                stopping = true;
                tokio::select! {
                    result = &mut work => result,
                    name = shutdown.recv() => {
                        // Both roles re-read the chain before acting and keep salts before committing.
                        eprintln!("automat court: {name}: stopped during round {round}");
                        return Ok(());
                    }
                }
            }
        };
        match result {
            Ok((k, j)) => log_round(round, k.as_ref(), &j),
            Err(error) => tracing::warn!(round, %error, "court round failed; retrying next round"),
        }
        if stopping || (args.rounds > 0 && round >= args.rounds) {
            break;
        }
        tokio::select! {
            () = tokio::time::sleep(interval) => {}
            name = shutdown.recv() => {
                eprintln!("automat court: {name}");
                break;
            }
        }
    }
    eprintln!("automat court: stopped after {round} rounds");
    Ok(())
}

fn log_round(round: u64, keeper: Option<&KeeperReport>, juror: &JurorReport) {
    for error in keeper.map(|k| k.errors.as_slice()).unwrap_or_default().iter().chain(&juror.errors) {
        tracing::warn!(round, %error, "retrying next round");
    }
    if let Some(k) = keeper.filter(|k| k.acted()) {
        for (dispute, period) in &k.periods {
            eprintln!("automat court: dispute {dispute} entered {period}");
        }
        for (dispute, ruling) in &k.rulings {
            eprintln!("automat court: dispute {dispute} ruled {ruling}");
        }
        tracing::info!(
            round,
            beacon_commits = k.beacon_commits.len(),
            beacon_reveals = k.beacon_reveals.len(),
            drawn = k.drawn,
            moved = k.moved,
            rewards = k.rewards,
            "keeper round"
        );
    }
    for (dispute, r, choice) in &juror.committed {
        eprintln!("automat court: committed a vote in dispute {dispute} round {r} (choice {choice})");
    }
    for (dispute, r, choice) in &juror.revealed {
        eprintln!("automat court: revealed choice {choice} in dispute {dispute} round {r}");
    }
    if juror.acted() && !(juror.withdrawn_fees.is_zero() && juror.withdrawn_tokens.is_zero()) {
        eprintln!(
            "automat court: withdrew {} payment-token and {} network-token base units",
            juror.withdrawn_fees, juror.withdrawn_tokens
        );
    }
}
