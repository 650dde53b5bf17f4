//! `automat bench oracle`: the oracle network's models on the synthetic generator's held-out period, and what
//! verifying a report costs on chain.
//!
//! Every model figure is the mean over the generator seeds `0..seeds` (one seed is one synthetic network of
//! four machines with six slots, twelve weeks, the last two held out).
//!
//! - Forecast: the seasonal model ([`MstlEts`]) against the weekly seasonal-naive forecast, rolling-origin over
//!   the last two weeks of every slot (two origins, one-week horizon), scored by WAPE (`improvement` =
//!   1 − model / naive).
//! - Federated learning: the demand model fitted on each machine's own sales and combined by FedAvg against
//!   the same model trained centrally on all sales, both scored by WAPE on the held-out weeks.
//! - Pricing: the held-out weeks replayed with the generator's true demand at the fixed list price and at the
//!   price the optimiser picks every hour from what a machine knows (`revenue_uplift`).
//! - `report_verify_gas`: one report of 7 nodes (f = 2) verified by the OracleAggregator on the embedded chain.

use alloy_signer_local::PrivateKeySigner;
use automat_chain::{DEFAULT_MNEMONIC, signer_from_mnemonic};
use automat_devnet::{Devnet, DevnetConfig};
use automat_oracle::{
    data::{DemandConfig, HOURS_PER_WEEK, generate},
    federated,
    forecast::{MstlEts, backtest},
    pricing::{PolicySettings, compare_policies},
};
use serde::Serialize;

use crate::{BenchError, Result};

/// What to run.
#[derive(Clone, Debug)]
pub struct OracleBenchConfig {
    /// Generator seeds `0..seeds`; every model figure is the mean over them.
    pub seeds: u64,
    /// Unit cost as a fraction of the list price in the pricing replay.
    pub unit_cost_ratio: f64,
}

impl Default for OracleBenchConfig {
    fn default() -> Self {
        Self { seeds: 10, unit_cost_ratio: PolicySettings::default().unit_cost_ratio }
    }
}

/// The figures `automat bench oracle --json` prints.
#[derive(Clone, Debug, Serialize)]
pub struct OracleBenchReport {
    /// Generator seeds `0..seeds` (figures are means over them).
    pub seeds: u64,
    /// Unit cost as a fraction of the list price in the pricing replay.
    pub unit_cost_ratio: f64,
    /// Slots (series) evaluated per seed.
    pub series: usize,
    /// WAPE of the seasonal model on the held-out weeks.
    pub wape_model: f64,
    /// WAPE of the weekly seasonal-naive forecast.
    pub wape_seasonal_naive: f64,
    /// `1 − wape_model / wape_seasonal_naive`.
    pub improvement: f64,
    /// sMAPE of the model and the baseline.
    pub smape_model: f64,
    /// sMAPE of the baseline.
    pub smape_seasonal_naive: f64,
    /// WAPE of the FedAvg-combined demand model on held-out hours.
    pub fedavg_wape: f64,
    /// WAPE of the same model trained centrally.
    pub central_wape: f64,
    /// Revenue with the optimised price over the fixed list price, minus 1, over the held-out weeks.
    pub revenue_uplift: f64,
    /// Profit uplift of the same comparison.
    pub profit_uplift: f64,
    /// Mean absolute error of the estimated elasticities against the generator's.
    pub elasticity_mae: f64,
    /// Gas of verifying one report of 7 observations (7 nodes, f = 2).
    pub report_verify_gas: u64,
    /// Gas of a report carrying only the quorum (2f + 1 = 5 observations).
    pub report_verify_gas_quorum: u64,
}

fn invalid(what: &str, e: impl std::fmt::Display) -> BenchError {
    BenchError::Invalid(format!("{what}: {e}"))
}

/// Runs the benchmark.
pub async fn run(config: &OracleBenchConfig) -> Result<OracleBenchReport> {
    if config.seeds == 0 {
        return Err(BenchError::Invalid("at least one seed".into()));
    }
    let mut sums = [0.0f64; 10];
    let mut series = 0;
    for seed in 0..config.seeds {
        let demand = DemandConfig { seed, ..DemandConfig::default() };
        let dataset = generate(&demand).map_err(|e| invalid("generator", e))?;
        let held_out = 2 * HOURS_PER_WEEK;
        let forecast = backtest(&dataset.series, &MstlEts::default(), held_out / HOURS_PER_WEEK, HOURS_PER_WEEK)
            .map_err(|e| invalid("backtest", e))?;
        let fed = federated::compare(&dataset, held_out, federated::FederatedConfig::default())
            .map_err(|e| invalid("federated", e))?;
        let settings = PolicySettings { seed, unit_cost_ratio: config.unit_cost_ratio, ..PolicySettings::default() };
        let pricing = compare_policies(&demand, &dataset, &settings).map_err(|e| invalid("pricing", e))?;
        series = forecast.series;
        for (sum, value) in sums.iter_mut().zip([
            forecast.wape_model,
            forecast.wape_seasonal_naive,
            forecast.smape_model,
            forecast.smape_seasonal_naive,
            fed.fedavg_wape,
            fed.central_wape,
            pricing.revenue_uplift,
            pricing.profit_uplift,
            pricing.elasticity_mae,
            0.0,
        ]) {
            *sum += value;
        }
    }
    let n = config.seeds as f64;
    let mean = |i: usize| sums[i] / n;

    let devnet = Devnet::start(DevnetConfig::with_chains(1))?;
    let client = devnet.dev_client(devnet.chain_ids()[0], 0)?;
    let keys: Vec<PrivateKeySigner> =
        (0..7).map(|i| signer_from_mnemonic(DEFAULT_MNEMONIC, 4_000 + i)).collect::<Result<_, _>>()?;
    let report_verify_gas = automat_contracts::oracle::report_verify_gas(&client, &keys, 2, 7).await?;
    let report_verify_gas_quorum = automat_contracts::oracle::report_verify_gas(&client, &keys, 2, 5).await?;

    Ok(OracleBenchReport {
        seeds: config.seeds,
        unit_cost_ratio: config.unit_cost_ratio,
        series,
        wape_model: mean(0),
        wape_seasonal_naive: mean(1),
        // The share of the baseline's (mean) error the model removes.
        improvement: 1.0 - mean(0) / mean(1),
        smape_model: mean(2),
        smape_seasonal_naive: mean(3),
        fedavg_wape: mean(4),
        central_wape: mean(5),
        revenue_uplift: mean(6),
        profit_uplift: mean(7),
        elasticity_mae: mean(8),
        report_verify_gas,
        report_verify_gas_quorum,
    })
}
