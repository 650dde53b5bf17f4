//! `automat forecast`: an operator's own sales history in, demand forecasts and a backtest out.

use std::{fs::File, io::BufReader, path::PathBuf};

use automat_oracle::{
    data::{HOURS_PER_WEEK, parse_csv, to_hourly},
    forecast::{MstlEts, backtest, forecast_all},
};
use clap::Args;
use eyre::{Result, WrapErr, bail};
use serde::Serialize;

/// Arguments of `automat forecast`.
#[derive(Debug, Args)]
pub(crate) struct ForecastArgs {
    /// Hourly sales as CSV with the columns `timestamp,machine,slot,units,price` (Unix seconds; one row per
    /// sale or per slot-hour; hours without a row count as zero sales).
    #[arg(long)]
    input: PathBuf,
    /// Hours to forecast after the history (and per backtest origin).
    #[arg(long, default_value_t = 168)]
    horizon: usize,
    /// Backtest origins at most (fewer when the history is short).
    #[arg(long, default_value_t = 4)]
    origins: usize,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Serialize)]
struct ForecastReport {
    model: String,
    baseline: String,
    horizon: usize,
    origins: usize,
    series: usize,
    wape_model: f64,
    wape_seasonal_naive: f64,
    improvement: f64,
    smape_model: f64,
    smape_seasonal_naive: f64,
    mase_model: Option<f64>,
    mase_seasonal_naive: Option<f64>,
    forecasts: Vec<automat_oracle::forecast::SeriesForecast>,
}

pub(crate) fn run(args: ForecastArgs) -> Result<()> {
    if args.horizon == 0 || args.origins == 0 {
        bail!("--horizon and --origins must be positive");
    }
    let file = File::open(&args.input).wrap_err_with(|| format!("opening {}", args.input.display()))?;
    let records = parse_csv(BufReader::new(file)).wrap_err_with(|| format!("reading {}", args.input.display()))?;
    let series = to_hourly(&records);
    let shortest = series.iter().map(|s| s.hours.len()).min().unwrap_or(0);
    // The backtest needs one week of history before its first origin.
    let origins = args.origins.min(shortest.saturating_sub(HOURS_PER_WEEK) / args.horizon);
    if origins == 0 {
        bail!(
            "{}: the shortest slot history has {shortest} hours; a backtest with a {}-hour horizon needs at least {}",
            args.input.display(),
            args.horizon,
            HOURS_PER_WEEK + args.horizon
        );
    }
    let model = MstlEts::default();
    let report = backtest(&series, &model, origins, args.horizon).wrap_err("backtest failed")?;
    let forecasts = forecast_all(&series, &model, args.horizon).wrap_err("forecast failed")?;
    let out = ForecastReport {
        model: report.model,
        baseline: report.baseline,
        horizon: args.horizon,
        origins,
        series: series.len(),
        wape_model: report.wape_model,
        wape_seasonal_naive: report.wape_seasonal_naive,
        improvement: report.improvement,
        smape_model: report.smape_model,
        smape_seasonal_naive: report.smape_seasonal_naive,
        mase_model: report.mase_model,
        mase_seasonal_naive: report.mase_seasonal_naive,
        forecasts,
    };
    if args.json {
        println!("{}", serde_json::to_string(&out)?);
        return Ok(());
    }
    println!(
        "{} slots, backtest over the last {} × {} hours: WAPE {:.3} ({}) vs {:.3} ({}), improvement {:.1} %",
        out.series,
        out.origins,
        out.horizon,
        out.wape_model,
        out.model,
        out.wape_seasonal_naive,
        out.baseline,
        100.0 * out.improvement
    );
    println!("  machine  slot  next 24 h  next {} h", out.horizon);
    for f in &out.forecasts {
        let day: f64 = f.mean.iter().take(24).sum();
        let all: f64 = f.mean.iter().sum();
        println!("  {:>7} {:>5} {:>10.1} {:>10.1}", f.machine, f.slot, day, all);
    }
    Ok(())
}
