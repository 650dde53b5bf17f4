//! `automat`: the command line of the autonomous vending network. It wires the crates together and owns
//! no logic of its own.

use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use eyre::{Result, WrapErr};

mod agent;
mod claim;
mod court;
mod demo;
mod devnet;
mod forecast;
mod oracle;
mod pay;
mod relayer;
mod zk;

/// Autonomous crypto vending machines across EVM chains.
#[derive(Debug, Parser)]
#[command(name = "automat", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Measure a part of the system against a baseline measured in the same run.
    Bench {
        #[command(subcommand)]
        area: BenchArea,
    },
    /// Inspect or grow an embedded devnet kept in a data directory.
    Devnet(devnet::DevnetArgs),
    /// The main job: 3 in-process chains, machines with their agents, purchases that succeed, fail, time out
    /// and continue through a network partition; ends with a report read back from the chains.
    Demo(demo::DemoArgs),
    /// Run one machine's agent against a chain by JSON-RPC URL (follows orders, vends, attests, sells on
    /// vouchers through partitions) with its HTTP interface.
    Agent(agent::AgentArgs),
    /// Cross-chain network over JSON-RPC nodes (LayerZero v2, Hyperlane and the cross-chain app).
    Crosschain {
        #[command(subcommand)]
        command: relayer::CrossChainCommand,
    },
    /// Run every off-chain role of a network from `automat crosschain deploy` (LayerZero DVNs and executor,
    /// Hyperlane validators and relayer, checkout keeper) in rounds until SIGINT or SIGTERM.
    ///
    /// Progress is kept under --data-dir, so a restart resumes where the last run stopped. Rounds that move
    /// something are logged at info level (RUST_LOG=automat=info). Without AUTOMAT_RELAYER_KEY every role
    /// submits as account 9 of the well-known dev mnemonic ("test test test test test test test test test
    /// test test junk"), the relayer account `automat crosschain deploy` names by default.
    Relayer(relayer::RelayerArgs),
    /// Forecast hourly demand per machine slot from a sales CSV (`timestamp,machine,slot,units,price`) and
    /// backtest the model against the weekly seasonal-naive forecast on the end of that history.
    Forecast(forecast::ForecastArgs),
    /// Run one oracle node against a chain by JSON-RPC URL: it learns from the Storefront's sales history,
    /// observes the price, demand forecast and risk score of every slot of its machines, signs one value per
    /// feed and round, serves its observations to its peers over HTTP and, in its turn, collects theirs and
    /// submits the report (taking over a round its leader left stalled).
    Oracle(oracle::OracleArgs),
    /// Deploy (or reuse) an OracleAggregator, set its committee, create the price, forecast and risk feeds of
    /// every slot of the given machines and, with the operator's key, bind the slots' quotes to their price
    /// feeds on the Storefront; prints the feeds as JSON.
    OracleSetup(oracle::OracleSetupArgs),
    /// Privacy setup and issuing: Groth16 keys, the ShieldedPool and ComplianceRegistry next to a vending
    /// suite, credentials for selective disclosure.
    Zk {
        #[command(subcommand)]
        command: zk::ZkCommand,
    },
    /// Insurance claims on insured orders.
    Claim {
        #[command(subcommand)]
        command: claim::ClaimCommand,
    },
    /// Run a juror agent for one key (and with --keeper the court's keeper: beacon contributions, draws,
    /// periods, rulings, rewards) against a chain by JSON-RPC URL, in rounds until SIGINT or SIGTERM. Vote salts
    /// derive from the juror key and are kept with the choices under --data-dir, so a restart between commit
    /// and reveal still reveals.
    Court(court::CourtArgs),
    /// Buy from a machine: a quote from its agent, then a public order or, with --private, an order paid from
    /// the shielded pool for a fresh buyer address, proved locally and submitted by a relayer.
    Pay(pay::PayArgs),
}

#[derive(Debug, Subcommand)]
enum BenchArea {
    /// ERC-20 transfers through the embedded chain client versus bare revm (and optionally Hardhat).
    Chain(ChainBenchArgs),
    /// Gas of a purchase (order, attestation, refund) against an ERC-20 transfer + ERC-721 mint, and the
    /// end-to-end latency of one purchase through a machine agent.
    Purchase(PurchaseBenchArgs),
    /// A purchase from chain A at a machine on chain B through LayerZero v2 and through Hyperlane (latency
    /// p50/p99, gas per leg) against a purchase at the same machine from its own chain.
    Crosschain(CrossChainBenchArgs),
    /// The oracle models on the synthetic generator's held-out weeks (forecast WAPE vs seasonal-naive,
    /// FedAvg vs central, optimised vs fixed price) and the gas of verifying a 7-node report.
    Oracle(OracleBenchArgs),
    /// Proving times of the privacy circuits (the membership20 yardstick against arkworks' own prover) and the
    /// gas of Poseidon, the note-tree insert and both Groth16 verifiers.
    Zk(ZkBenchArgs),
    /// Gas of an order with cover against the same order without, gas of a claim's whole life per juror vote,
    /// and how often the court decides claims right when 20 % or 40 % of the jurors vote at random (against
    /// every juror honest, in the same run).
    Insurance(InsuranceBenchArgs),
}

#[derive(Debug, Args)]
struct InsuranceBenchArgs {
    /// Claims decided per juror mix (all honest, 20 % random, 40 % random).
    #[arg(long, default_value_t = 40)]
    disputes: usize,
    /// Jurors staked (equal stakes; at least 5).
    #[arg(long, default_value_t = 10)]
    jurors: usize,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
struct ZkBenchArgs {
    /// Proofs per timing; the median is reported.
    #[arg(long, default_value_t = 9)]
    samples: usize,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
struct OracleBenchArgs {
    /// Generator seeds 0..N; every model figure is the mean over them.
    #[arg(long, default_value_t = 10)]
    seeds: u64,
    /// Unit cost as a fraction of the list price in the pricing replay (the optimiser maximises profit).
    #[arg(long, default_value_t = automat_oracle::pricing::PolicySettings::default().unit_cost_ratio)]
    unit_cost_ratio: f64,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
struct CrossChainBenchArgs {
    /// Purchases per transport (and for the baseline).
    #[arg(long, default_value_t = 20)]
    purchases: usize,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
struct PurchaseBenchArgs {
    /// Purchases timed end to end.
    #[arg(long, default_value_t = 50)]
    purchases: usize,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
struct ChainBenchArgs {
    /// Signed transfers per run.
    #[arg(long, default_value_t = 10_000)]
    transfers: usize,
    /// Rounds per path; the median is reported.
    #[arg(long, default_value_t = 3)]
    rounds: usize,
    /// Also measure a Hardhat node over JSON-RPC (needs node and `npm ci --prefix contracts`).
    #[arg(long)]
    vs_hardhat: bool,
    /// Transfers sent to Hardhat.
    #[arg(long, default_value_t = 1_000)]
    hardhat_transfers: usize,
    /// Transfers sent to a devnet persisting every block to a data directory (0 skips it).
    #[arg(long, default_value_t = 1_000)]
    persisted_transfers: usize,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    json: bool,
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()))
        .with_writer(std::io::stderr)
        .init();
    match run(Cli::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Bench { area: BenchArea::Chain(args) } => bench_chain(args).await,
        Command::Bench { area: BenchArea::Purchase(args) } => bench_purchase(args).await,
        Command::Bench { area: BenchArea::Crosschain(args) } => bench_crosschain(args).await,
        Command::Bench { area: BenchArea::Oracle(args) } => bench_oracle(args).await,
        Command::Bench { area: BenchArea::Zk(args) } => bench_zk(args).await,
        Command::Bench { area: BenchArea::Insurance(args) } => bench_insurance(args).await,
        Command::Devnet(args) => devnet::run(args).await,
        Command::Demo(args) => demo::run(args).await,
        Command::Agent(args) => agent::run(args).await,
        Command::Crosschain { command } => relayer::run_crosschain(command).await,
        Command::Relayer(args) => relayer::run_relayer(args).await,
        Command::Forecast(args) => forecast::run(args),
        Command::Oracle(args) => oracle::run(args).await,
        Command::OracleSetup(args) => oracle::setup(args).await,
        Command::Zk { command } => zk::run(command).await,
        Command::Pay(args) => pay::run(args).await,
        Command::Claim { command } => claim::run(command).await,
        Command::Court(args) => court::run(args).await,
    }
}

async fn bench_insurance(args: InsuranceBenchArgs) -> Result<()> {
    let config = automat_bench::insurance::InsuranceBenchConfig {
        disputes: args.disputes,
        jurors: args.jurors,
        progress: !args.json,
        ..Default::default()
    };
    let report = automat_bench::insurance::run(&config).await.wrap_err("insurance benchmark failed")?;
    if args.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        println!("{report}");
    }
    Ok(())
}

async fn bench_zk(args: ZkBenchArgs) -> Result<()> {
    let config = automat_bench::zk::ZkBenchConfig { samples: args.samples };
    let r = automat_bench::zk::run(&config).await.wrap_err("zk benchmark failed")?;
    if args.json {
        println!("{}", serde_json::to_string(&r)?);
        return Ok(());
    }
    println!("zk benchmark: BN254 Groth16, keys from OS randomness, median of {} proofs", r.samples);
    println!(
        "  membership20   {:>6} constraints {:>8.1} ms   arkworks Groth16::prove {:.1} ms ({:.2}x; goal <= 150 ms)",
        r.constraints_membership20, r.prove_ms_membership20, r.prove_ms_membership20_arkworks, r.membership20_speedup
    );
    println!(
        "  spend          {:>6} constraints {:>8.1} ms   (goal <= 300 ms)   verify {} gas (goal <= 230,000)",
        r.constraints_spend, r.prove_ms_spend, r.verify_gas_spend
    );
    println!(
        "  disclosure     {:>6} constraints {:>8.1} ms                      verify {} gas",
        r.constraints_disclosure, r.prove_ms_disclosure, r.verify_gas_disclosure
    );
    println!("  poseidon(2)    {:>6} gas (goal <= 25,000)   tree insert {} gas", r.poseidon_gas, r.insert_gas);
    Ok(())
}

async fn bench_oracle(args: OracleBenchArgs) -> Result<()> {
    let config = automat_bench::oracle::OracleBenchConfig { seeds: args.seeds, unit_cost_ratio: args.unit_cost_ratio };
    let r = automat_bench::oracle::run(&config).await.wrap_err("oracle benchmark failed")?;
    if args.json {
        println!("{}", serde_json::to_string(&r)?);
        return Ok(());
    }
    println!("oracle models, mean over generator seeds 0..{}, {} slots each, two held-out weeks", r.seeds, r.series);
    println!(
        "  forecast  WAPE {:.3} vs seasonal-naive {:.3}: improvement {:.1} %",
        r.wape_model,
        r.wape_seasonal_naive,
        100.0 * r.improvement
    );
    println!("  federated WAPE {:.3} vs central {:.3}", r.fedavg_wape, r.central_wape);
    println!(
        "  pricing   revenue uplift {:.1} %, profit uplift {:.1} % (elasticity MAE {:.3})",
        100.0 * r.revenue_uplift,
        100.0 * r.profit_uplift,
        r.elasticity_mae
    );
    println!(
        "  report    {} gas for 7 observations (7 nodes, f = 2), {} for the quorum of 5",
        r.report_verify_gas, r.report_verify_gas_quorum
    );
    Ok(())
}

async fn bench_crosschain(args: CrossChainBenchArgs) -> Result<()> {
    let config = automat_bench::crosschain::CrossChainBenchConfig { purchases: args.purchases, progress: !args.json };
    let report = automat_bench::crosschain::run(&config).await.wrap_err("cross-chain benchmark failed")?;
    if args.json {
        println!("{}", serde_json::to_string(&report)?);
        return Ok(());
    }
    println!(
        "cross-chain purchase, {} per transport, {} confirmation(s), embedded chains",
        report.purchases, report.confirmations
    );
    println!("                 e2e p50    e2e p99   ratio   gas src   gas dst  gas return  gas report  verify dst");
    for (name, f) in [("layerzero", &report.layerzero), ("hyperlane", &report.hyperlane)] {
        println!(
            "  {name:<11} {:>8.2} ms {:>7.2} ms {:>6.2}x {:>9} {:>9} {:>11} {:>11} {:>11}",
            f.e2e_ms_p50, f.e2e_ms_p99, f.ratio, f.gas_src, f.gas_dst, f.gas_return, f.gas_report, f.gas_verify_dst
        );
    }
    println!(
        "  baseline    {:>8.2} ms {:>7.2} ms   (same machine, buyer on its own chain)",
        report.baseline_e2e_ms_p50, report.baseline_e2e_ms_p99
    );
    Ok(())
}

async fn bench_purchase(args: PurchaseBenchArgs) -> Result<()> {
    let config = automat_bench::purchase::PurchaseBenchConfig { purchases: args.purchases, progress: !args.json };
    let report = automat_bench::purchase::run(&config).await.wrap_err("purchase benchmark failed")?;
    if args.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        println!("{report}");
    }
    Ok(())
}

async fn bench_chain(args: ChainBenchArgs) -> Result<()> {
    let config = automat_bench::chain::ChainBenchConfig {
        transfers: args.transfers,
        rounds: args.rounds,
        vs_hardhat: args.vs_hardhat,
        hardhat_transfers: args.hardhat_transfers,
        persisted_transfers: args.persisted_transfers,
        progress: true,
    };
    let report = automat_bench::chain::run(&config).await.wrap_err("chain benchmark failed")?;
    if args.json {
        println!("{}", serde_json::to_string(&report)?);
        return Ok(());
    }
    println!("chain benchmark: {} ERC-20 transfers, median of {} rounds", report.transfers, report.rounds);
    println!("  signing            {:>10.1} µs/tx", report.sign_us_per_tx);
    println!("  embedded client    {:>10.0} tx/s", report.embedded_tps);
    println!("  bare revm          {:>10.0} tx/s", report.raw_revm_tps);
    println!("  ratio              {:>10.3}   (embedded / bare revm; goal ≥ 0.7)", report.ratio);
    if let Some(tps) = report.embedded_persisted_tps {
        println!("  embedded, on disk  {:>10.0} tx/s  (one durable redb commit per block)", tps);
    }
    if let (Some(tps), Some(speedup)) = (report.hardhat_tps, report.speedup_vs_hardhat) {
        println!("  hardhat JSON-RPC   {:>10.0} tx/s", tps);
        println!("  speedup vs hardhat {:>10.1}×  (goal ≥ 50)", speedup);
    }
    println!("  gas per transfer   {:>10}", report.gas_per_transfer);
    Ok(())
}
