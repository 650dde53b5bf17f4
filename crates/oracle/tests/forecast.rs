//! Demand forecasts: the benchmark goal against seasonal-naive on the generator's held-out period, and the
//! forecasters' behaviour on known and degenerate histories.
#![allow(clippy::unwrap_used, missing_docs)]

use std::time::Instant;

use automat_oracle::data::{
    DemandConfig, HOURS_PER_DAY, HOURS_PER_WEEK, Series, generate, parse_csv, to_hourly, write_csv,
};
use automat_oracle::forecast::{
    ForecastError, Forecaster, MstlEts, SeasonalNaive, backtest, forecast, forecast_all, point_forecast,
};

/// Two held-out weeks, forecast a week at a time.
const HELD_OUT: usize = 2 * HOURS_PER_WEEK;
const HORIZON: usize = HOURS_PER_WEEK;
const ORIGINS: usize = HELD_OUT / HORIZON;

fn benchmark(seed: u64) {
    let config = DemandConfig { seed, ..DemandConfig::default() };
    let data = generate(&config).unwrap();
    let (history, held_out) = data.split(HELD_OUT).unwrap();
    let model = MstlEts::default();
    let started = Instant::now();
    let report = backtest(&data.series, &model, ORIGINS, HORIZON).unwrap();
    println!(
        "seed {seed}: wape_model {:.3} wape_seasonal_naive {:.3} improvement {:.3} (mean forecast {:.3}); \
         smape {:.3} vs {:.3}; mase {:.3} vs {:.3}; {:.2?}",
        report.wape_model,
        report.wape_seasonal_naive,
        report.improvement,
        report.wape_model_mean,
        report.smape_model,
        report.smape_seasonal_naive,
        report.mase_model.unwrap(),
        report.mase_seasonal_naive.unwrap(),
        started.elapsed()
    );
    // The backtest scores exactly the held-out period: its windows are the last ORIGINS × HORIZON hours.
    assert_eq!(report.evaluated_hours, held_out.series[0].len());
    assert_eq!(report.series, data.series.len());
    // The first window is forecast from the history alone.
    let first = forecast(&history.series[0], &model, HORIZON).unwrap();
    assert_eq!(first.first_hour, held_out.series[0].hours[0].t);
    assert_eq!(first.mean, model.forecast(&data.series[0].units_sold()[..history.series[0].len()], HORIZON).unwrap());
    // The goal.
    assert!(report.improvement >= 0.20, "seed {seed}: improvement {:.3} < 0.20", report.improvement);
    assert!((report.improvement - (1.0 - report.wape_model / report.wape_seasonal_naive)).abs() < 1e-12);
    assert!(report.mase_model.unwrap() < report.mase_seasonal_naive.unwrap());
    assert!(report.smape_model < report.smape_seasonal_naive);
    // Most slots improve, not just the total.
    let better = report.per_series.iter().filter(|s| s.wape_model < s.wape_seasonal_naive).count();
    assert!(better * 4 >= report.per_series.len() * 3, "seed {seed}: only {better} slots improve");
}

#[test]
fn beats_seasonal_naive_by_a_fifth_seed_1() {
    benchmark(1);
}

#[test]
fn beats_seasonal_naive_by_a_fifth_seed_2() {
    benchmark(2);
}

#[test]
fn beats_seasonal_naive_by_a_fifth_seed_3() {
    benchmark(3);
}

#[test]
fn seasonal_naive_repeats_the_last_season() {
    let history: Vec<f64> = (0..10).map(f64::from).collect();
    let naive = SeasonalNaive { period: 4 };
    assert_eq!(naive.forecast(&history, 6).unwrap(), vec![6.0, 7.0, 8.0, 9.0, 6.0, 7.0]);
    assert_eq!(SeasonalNaive { period: 0 }.forecast(&history, 2).unwrap(), vec![9.0, 9.0]);
    assert!(matches!(naive.forecast(&history[..3], 1), Err(ForecastError::TooShort { len: 3, needed: 4 })));
    assert_eq!(SeasonalNaive::WEEKLY.period, 168);
}

#[test]
fn point_forecasts_are_whole_units() {
    assert_eq!(point_forecast(&[0.0, 0.49, 0.5, 1.2, 2.7]), vec![0.0, 0.0, 1.0, 1.0, 3.0]);
}

/// A noise-free daily and weekly pattern with a gentle trend.
fn pattern(hours: usize) -> Vec<f64> {
    (0..hours)
        .map(|t| {
            let daily = (std::f64::consts::TAU * (t % HOURS_PER_DAY) as f64 / 24.0).sin();
            let weekend = if (t / HOURS_PER_DAY) % 7 >= 5 { -2.0 } else { 0.0 };
            8.0 + 0.002 * t as f64 + 3.0 * daily + weekend
        })
        .collect()
}

#[test]
fn mstl_recovers_a_clean_seasonal_pattern() {
    let y = pattern(6 * HOURS_PER_WEEK + HOURS_PER_WEEK);
    let (history, future) = y.split_at(6 * HOURS_PER_WEEK);
    let model = MstlEts::default();
    let forecast = model.forecast(history, HOURS_PER_WEEK).unwrap();
    let worst = forecast.iter().zip(future).map(|(f, a)| (f - a).abs()).fold(0.0, f64::max);
    assert!(worst < 0.3, "worst error {worst}");
    // And beats seasonal-naive, which misses the trend by a week's growth (0.336).
    let naive = SeasonalNaive::WEEKLY.forecast(history, HOURS_PER_WEEK).unwrap();
    let mae = |f: &[f64]| f.iter().zip(future).map(|(f, a)| (f - a).abs()).sum::<f64>() / f.len() as f64;
    assert!(mae(&forecast) < mae(&naive), "{} vs {}", mae(&forecast), mae(&naive));
}

#[test]
fn short_histories_drop_the_weekly_season() {
    let model = MstlEts::default();
    let y = pattern(5 * HOURS_PER_DAY);
    let forecast = model.forecast(&y, 24).unwrap();
    assert_eq!(forecast.len(), 24);
    assert!(forecast.iter().all(|f| f.is_finite() && *f >= 0.0));
    assert!(matches!(model.forecast(&y[..40], 24), Err(ForecastError::TooShort { len: 40, needed: 48 })));
}

#[test]
fn degenerate_histories() {
    let model = MstlEts::default();
    assert_eq!(model.forecast(&[0.0; 400], 5).unwrap(), vec![0.0; 5]);
    assert_eq!(model.forecast(&[2.0; 400], 3).unwrap(), vec![2.0; 3]);
    assert!(model.forecast(&pattern(400), 0).unwrap().is_empty());
    let mut bad = pattern(400);
    bad[17] = -1.0;
    assert!(matches!(model.forecast(&bad, 5), Err(ForecastError::BadValue { index: 17, .. })));
    bad[17] = f64::NAN;
    assert!(matches!(SeasonalNaive::WEEKLY.forecast(&bad, 5), Err(ForecastError::BadValue { index: 17, .. })));
    // A slot that sold twice in ten weeks still gets a finite, non-negative forecast.
    let mut sparse = vec![0.0; 10 * HOURS_PER_WEEK];
    sparse[100] = 1.0;
    sparse[900] = 2.0;
    let f = model.forecast(&sparse, HOURS_PER_WEEK).unwrap();
    assert!(f.iter().all(|v| v.is_finite() && *v >= 0.0) && f.iter().sum::<f64>() < 5.0);
}

#[test]
fn backtest_rejects_what_it_cannot_score() {
    let config = DemandConfig { machines: 1, slots_per_machine: 1, hours: 400, ..DemandConfig::default() };
    let data = generate(&config).unwrap();
    let model = SeasonalNaive { period: 24 };
    assert!(matches!(backtest(&[], &model, 1, 24), Err(ForecastError::Empty(_))));
    assert!(matches!(backtest(&data.series, &model, 0, 24), Err(ForecastError::Empty(_))));
    assert!(matches!(backtest(&data.series, &model, 2, 168), Err(ForecastError::TooShort { len: 400, needed: 504 })));
    let mut silent = data.series.clone();
    for h in &mut silent[0].hours {
        h.units_sold = 0;
    }
    assert!(matches!(backtest(&silent, &model, 1, 24), Err(ForecastError::NoSales)));
    // Against itself, the baseline improves by exactly nothing.
    let report = backtest(&data.series, &SeasonalNaive::WEEKLY, 1, 24).unwrap();
    assert_eq!(report.improvement, 0.0);
    assert_eq!(report.wape_model, report.wape_seasonal_naive);
}

#[test]
fn operator_csv_history_round_trips_into_the_backtest() {
    // What `automat forecast --input sales.csv` does: parse, group hourly, backtest, forecast.
    let config = DemandConfig { seed: 11, machines: 2, slots_per_machine: 2, ..DemandConfig::default() };
    let data = generate(&config).unwrap();
    let mut csv = Vec::new();
    // Keep only hours with sales (and the first and last hour, which mark the period covered), machine by
    // machine, newest first: the hours without rows must come back as zeros.
    let all = data.to_records();
    let (start, end) = (all[0].timestamp, all[all.len() - 1].timestamp);
    let mut records: Vec<_> =
        all.into_iter().filter(|r| r.units > 0 || r.timestamp == start || r.timestamp == end).collect();
    records.sort_by_key(|r| (r.machine, std::cmp::Reverse(r.timestamp)));
    write_csv(&records, &mut csv).unwrap();
    let series: Vec<Series> = to_hourly(&parse_csv(csv.as_slice()).unwrap());
    assert_eq!(series.len(), 4);
    let model = MstlEts::default();
    let from_csv = backtest(&series, &model, 1, HORIZON).unwrap();
    let direct = backtest(&data.series, &model, 1, HORIZON).unwrap();
    assert_eq!(from_csv.wape_model, direct.wape_model);
    assert_eq!(from_csv.wape_seasonal_naive, direct.wape_seasonal_naive);
    let forecasts = forecast_all(&series, &model, HORIZON).unwrap();
    for (f, s) in forecasts.iter().zip(&series) {
        assert_eq!((f.machine, f.slot), (s.machine, s.slot));
        assert_eq!(f.first_hour, s.hours.last().unwrap().t + 1);
        assert_eq!(f.mean.len(), HORIZON);
        assert_eq!(f.units.iter().map(|u| f64::from(*u)).collect::<Vec<_>>(), point_forecast(&f.mean));
    }
}
