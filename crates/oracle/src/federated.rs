//! Federated learning of the demand model: each machine fits a local update on its own sales, a coordinator
//! combines the updates by FedAvg (the mean of the weight vectors weighted by sample counts), and raw sales
//! never leave the machine. [`compare`] scores the federated model next to the same model trained centrally
//! on everyone's pooled sales (and next to each machine's purely local model), by WAPE on held-out hours.
//!
//! # The model class
//!
//! One global linear model, fitted by least squares with `linfa-linear`, predicts a slot's units sold in an
//! hour from features the machine computes from its **own** recent history: the `W` complete weeks
//! ([`FederatedConfig::window_weeks`]) before the week of the hour (for a forecast, the last `W` weeks before
//! the forecast origin). With, over that window's uncensored hours, `L` the mean units per hour, `m(u)` the
//! mean at the hour of the week `u`, `h(·)` and `d(·)` the means at each hour of the day and on each day of
//! the week, and `p̃` the window's median price:
//!
//! ```text
//! units_t ≈ w₀ + w₁ · m(u_t) + w₂ · s_t + w₃ · L + w₄ · s_t · ln(p_t / p̃) + w₅ · s_t · promo_t
//! s_t = h(hour of day of t) · d(day of week of t) / L        (the separable seasonal profile, in units)
//! ```
//!
//! The weights are shared by every slot of every machine and are identified on each machine's data alone
//! (every feature varies within one machine), so averaging them is meaningful: the location, the slot's
//! level and its daily and weekly shape enter through the machine's own features, not through
//! machine-specific weights. The model is linear in the weights, so a local fit is the exact least-squares
//! solution (closed form): one FedAvg round with local training to convergence, and further rounds would
//! return the same local optima.
//!
//! Censored hours (a stock-out or an empty slot, [`crate::pricing::is_censored`]) neither enter the window
//! means nor serve as training targets, and held-out hours are scored only where uncensored: their sales
//! understate demand.
//!
//! # Benchmark
//!
//! [`compare`] holds out the last hours of every series, trains (a) one local model per machine and their
//! FedAvg, (b) the central model on all machines' training rows, and reports the pooled WAPE
//! ([`crate::metrics::wape`]) of each — and of each machine's local model alone, and of the unfitted
//! hour-of-week-mean baseline — on the uncensored held-out hours, forecasting every held-out hour from the
//! history before the held-out period.

use std::collections::BTreeMap;

use linfa::Dataset as LinfaDataset;
use linfa::traits::Fit;
use linfa_linear::LinearRegression;
use ndarray::{Array1, Array2};
use serde::{Deserialize, Serialize};

use crate::data::{DataError, Dataset, HOURS_PER_DAY, HOURS_PER_WEEK, HourObs, Series, hour_of_week};
use crate::metrics::{MetricError, wape};
use crate::pricing::is_censored;

/// Number of weights of the model: the intercept, then the five features of the module docs.
pub const WEIGHTS: usize = 6;

/// Names of the weights, in order.
pub const WEIGHT_NAMES: [&str; WEIGHTS] =
    ["intercept", "hour_of_week_mean", "separable_profile", "level", "profile_x_log_price", "profile_x_promo"];

/// Errors of federated training and evaluation.
#[derive(Debug, thiserror::Error)]
pub enum FederatedError {
    /// No series, or no training rows (histories shorter than the window plus one week).
    #[error("no training data: {0}")]
    NoData(&'static str),
    /// A local update must come from one machine's own series.
    #[error("series of machines {0} and {1} given to one local fit")]
    MixedMachines(u64, u64),
    /// No updates to average, or none with samples.
    #[error("no updates with samples to average")]
    NoUpdates,
    /// Updates with different numbers of weights.
    #[error("update of machine {machine} has {got} weights, expected {expected}")]
    WeightMismatch {
        /// The offending machine.
        machine: u64,
        /// Its number of weights.
        got: usize,
        /// The expected number.
        expected: usize,
    },
    /// The window is zero weeks long.
    #[error("window_weeks must be at least 1")]
    BadWindow,
    /// `linfa-linear` failed to fit.
    #[error("regression failed: {0}")]
    Fit(#[from] linfa_linear::LinearError<f64>),
    /// The design matrix could not be shaped.
    #[error("design matrix: {0}")]
    Shape(#[from] ndarray::ShapeError),
    /// The dataset could not be split.
    #[error(transparent)]
    Data(#[from] DataError),
    /// A metric could not be computed.
    #[error(transparent)]
    Metric(#[from] MetricError),
}

/// Settings of the features.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FederatedConfig {
    /// Weeks of history the features are computed over.
    pub window_weeks: usize,
}

impl Default for FederatedConfig {
    fn default() -> Self {
        Self { window_weeks: 4 }
    }
}

/// A machine's contribution to a FedAvg round: its locally fitted weights and the number of training rows
/// they were fitted on. Nothing else leaves the machine.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LocalUpdate {
    /// The machine.
    pub machine: u64,
    /// The fitted weights, in the order of [`WEIGHT_NAMES`].
    pub weights: Vec<f64>,
    /// Training rows (slot-hours) behind the weights: the FedAvg weight.
    pub samples: usize,
}

/// A model any machine can apply to its own features: the FedAvg of local updates, or a central fit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GlobalModel {
    /// The weights, in the order of [`WEIGHT_NAMES`].
    pub weights: Vec<f64>,
    /// Training rows behind the weights (summed over the updates for FedAvg).
    pub samples: usize,
    /// Machines whose data the weights come from.
    pub machines: usize,
}

/// The statistics of a window of history that the features are built from.
#[derive(Debug, Clone)]
struct Window {
    level: f64,
    by_hour_of_week: [f64; HOURS_PER_WEEK],
    by_hour_of_day: [f64; HOURS_PER_DAY],
    by_day_of_week: [f64; 7],
    median_price: f64,
}

impl Window {
    /// Statistics of the uncensored hours of `hours`; `None` if none is uncensored.
    fn of(hours: &[HourObs]) -> Option<Self> {
        let mut week = [(0.0, 0u32); HOURS_PER_WEEK];
        let mut prices = Vec::with_capacity(hours.len());
        for h in hours.iter().filter(|h| !is_censored(h)) {
            let cell = &mut week[hour_of_week(h.t)];
            cell.0 += f64::from(h.units_sold);
            cell.1 += 1;
            prices.push(h.price);
        }
        if prices.is_empty() {
            return None;
        }
        prices.sort_by(f64::total_cmp);
        let mean = |cells: &mut dyn Iterator<Item = (f64, u32)>| {
            let (sum, n) = cells.fold((0.0, 0u32), |(s, n), (a, b)| (s + a, n + b));
            if n > 0 { sum / f64::from(n) } else { 0.0 }
        };
        let level = mean(&mut week.iter().copied());
        let by_hour_of_week = std::array::from_fn(|u| mean(&mut std::iter::once(week[u])));
        let by_hour_of_day = std::array::from_fn(|h| mean(&mut (0..7).map(|d| week[d * HOURS_PER_DAY + h])));
        let by_day_of_week =
            std::array::from_fn(|d| mean(&mut (0..HOURS_PER_DAY).map(|h| week[d * HOURS_PER_DAY + h])));
        Some(Self { level, by_hour_of_week, by_hour_of_day, by_day_of_week, median_price: prices[prices.len() / 2] })
    }

    /// The feature row (intercept column first) of an hour.
    fn features(&self, hour: &HourObs) -> [f64; WEIGHTS] {
        let u = hour_of_week(hour.t);
        let profile = if self.level > 0.0 {
            self.by_hour_of_day[u % HOURS_PER_DAY] * self.by_day_of_week[u / HOURS_PER_DAY] / self.level
        } else {
            0.0
        };
        let log_price =
            if hour.price > 0.0 && self.median_price > 0.0 { (hour.price / self.median_price).ln() } else { 0.0 };
        [1.0, self.by_hour_of_week[u], profile, self.level, profile * log_price, if hour.promo { profile } else { 0.0 }]
    }
}

/// The training rows of one series: every uncensored hour from week `W` on, with features from the `W`
/// weeks before its week.
fn training_rows(series: &Series, config: FederatedConfig, rows: &mut Vec<[f64; WEIGHTS]>, targets: &mut Vec<f64>) {
    let span = config.window_weeks * HOURS_PER_WEEK;
    let mut start = span;
    while start < series.len() {
        let end = (start + HOURS_PER_WEEK).min(series.len());
        if let Some(window) = Window::of(&series.hours[start - span..start]) {
            for h in series.hours[start..end].iter().filter(|h| !is_censored(h)) {
                rows.push(window.features(h));
                targets.push(f64::from(h.units_sold));
            }
        }
        start = end;
    }
}

/// Least squares on the rows of `series` (the intercept is the first column of the features).
fn fit(series: &[&Series], config: FederatedConfig) -> Result<(Vec<f64>, usize), FederatedError> {
    if config.window_weeks == 0 {
        return Err(FederatedError::BadWindow);
    }
    let (mut rows, mut targets) = (Vec::new(), Vec::new());
    for s in series {
        training_rows(s, config, &mut rows, &mut targets);
    }
    if rows.len() <= WEIGHTS {
        return Err(FederatedError::NoData("histories shorter than the window plus one week"));
    }
    let n = rows.len();
    let x = Array2::from_shape_vec((n, WEIGHTS), rows.into_iter().flatten().collect())?;
    let fitted = LinearRegression::new().with_intercept(false).fit(&LinfaDataset::new(x, Array1::from(targets)))?;
    Ok((fitted.params().to_vec(), n))
}

/// Fits a machine's local update on its own series (all of one machine).
///
/// # Errors
///
/// [`FederatedError::NoData`] without series or training rows, [`FederatedError::MixedMachines`] for series
/// of several machines, or a regression failure.
pub fn fit_local(series: &[Series], config: FederatedConfig) -> Result<LocalUpdate, FederatedError> {
    let machine = series.first().ok_or(FederatedError::NoData("no series"))?.machine;
    if let Some(other) = series.iter().find(|s| s.machine != machine) {
        return Err(FederatedError::MixedMachines(machine, other.machine));
    }
    let (weights, samples) = fit(&series.iter().collect::<Vec<_>>(), config)?;
    Ok(LocalUpdate { machine, weights, samples })
}

/// Combines local updates by FedAvg: `w = Σ_k n_k w_k / Σ_k n_k`, `n_k` the samples of update `k`.
///
/// # Errors
///
/// [`FederatedError::NoUpdates`] if no update has samples, [`FederatedError::WeightMismatch`] if the
/// updates' weight vectors differ in length.
pub fn fedavg(updates: &[LocalUpdate]) -> Result<GlobalModel, FederatedError> {
    let first = updates.iter().find(|u| u.samples > 0).ok_or(FederatedError::NoUpdates)?;
    let expected = first.weights.len();
    if let Some(bad) = updates.iter().find(|u| u.weights.len() != expected) {
        return Err(FederatedError::WeightMismatch { machine: bad.machine, got: bad.weights.len(), expected });
    }
    let total: usize = updates.iter().map(|u| u.samples).sum();
    let mut weights = vec![0.0; expected];
    for u in updates {
        let share = u.samples as f64 / total as f64;
        for (w, v) in weights.iter_mut().zip(&u.weights) {
            *w += share * v;
        }
    }
    Ok(GlobalModel { weights, samples: total, machines: updates.iter().filter(|u| u.samples > 0).count() })
}

/// Fits the same model centrally on every series (all machines' raw sales pooled): the reference the
/// federated model is compared with.
///
/// # Errors
///
/// As [`fit_local`], without the one-machine rule.
pub fn central_fit(series: &[Series], config: FederatedConfig) -> Result<GlobalModel, FederatedError> {
    let (weights, samples) = fit(&series.iter().collect::<Vec<_>>(), config)?;
    let machines = series.iter().map(|s| s.machine).collect::<std::collections::BTreeSet<_>>().len();
    Ok(GlobalModel { weights, samples, machines })
}

/// Forecasts `future` hours of a slot (their prices and promotions are planned, hence known) from the last
/// `W` weeks of its `history`, with `weights` (a [`GlobalModel`]'s or a [`LocalUpdate`]'s). Negative
/// predictions are clipped to 0. Without an uncensored hour in the window the forecast is 0.
#[must_use]
pub fn forecast(weights: &[f64], history: &Series, future: &[HourObs], config: FederatedConfig) -> Vec<f64> {
    let span = (config.window_weeks * HOURS_PER_WEEK).min(history.len());
    let Some(window) = Window::of(&history.hours[history.len() - span..]) else {
        return vec![0.0; future.len()];
    };
    future.iter().map(|h| window.features(h).iter().zip(weights).map(|(x, w)| x * w).sum::<f64>().max(0.0)).collect()
}

/// The federated model next to the central one (and the local ones) on held-out hours.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FederatedComparison {
    /// The central model.
    pub central: GlobalModel,
    /// The FedAvg of the local updates.
    pub federated: GlobalModel,
    /// The local updates, one per machine.
    pub updates: Vec<LocalUpdate>,
    /// Pooled WAPE of the central model on the uncensored held-out hours.
    pub central_wape: f64,
    /// Pooled WAPE of the federated model on the same hours.
    pub fedavg_wape: f64,
    /// Pooled WAPE when every machine uses its own local model (no sharing at all).
    pub local_wape: f64,
    /// Pooled WAPE of the unfitted baseline that forecasts each hour by its hour-of-week mean over the window
    /// (the weights `[0, 1, 0, 0, 0, 0]`).
    pub baseline_wape: f64,
    /// Held-out hours scored.
    pub scored_hours: usize,
}

/// Trains locally (then FedAvg) and centrally on all but the last `held_out_hours` of every series and
/// scores both, and the purely local models, on the uncensored held-out hours.
///
/// # Errors
///
/// [`FederatedError::Data`] if the split fails, a training error, or [`FederatedError::Metric`] if no
/// held-out hour has sales.
pub fn compare(
    dataset: &Dataset,
    held_out_hours: usize,
    config: FederatedConfig,
) -> Result<FederatedComparison, FederatedError> {
    let (history, held_out) = dataset.split(held_out_hours)?;
    let mut machines: BTreeMap<u64, Vec<Series>> = BTreeMap::new();
    for s in &history.series {
        machines.entry(s.machine).or_default().push(s.clone());
    }
    // Each machine trains on its own series only; only the update leaves it.
    let updates = machines.values().map(|own| fit_local(own, config)).collect::<Result<Vec<_>, _>>()?;
    let federated = fedavg(&updates)?;
    let central = central_fit(&history.series, config)?;

    let baseline = [0.0, 1.0, 0.0, 0.0, 0.0, 0.0];
    let (mut actual, mut central_fc, mut federated_fc, mut local_fc, mut baseline_fc) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (past, future) in history.series.iter().zip(&held_out.series) {
        let scored: Vec<HourObs> = future.hours.iter().filter(|h| !is_censored(h)).copied().collect();
        let local = updates.iter().find(|u| u.machine == past.machine).map_or(&federated.weights, |u| &u.weights);
        actual.extend(scored.iter().map(|h| f64::from(h.units_sold)));
        central_fc.extend(forecast(&central.weights, past, &scored, config));
        federated_fc.extend(forecast(&federated.weights, past, &scored, config));
        local_fc.extend(forecast(local, past, &scored, config));
        baseline_fc.extend(forecast(&baseline, past, &scored, config));
    }
    Ok(FederatedComparison {
        central_wape: wape(&actual, &central_fc)?,
        fedavg_wape: wape(&actual, &federated_fc)?,
        local_wape: wape(&actual, &local_fc)?,
        baseline_wape: wape(&actual, &baseline_fc)?,
        scored_hours: actual.len(),
        central,
        federated,
        updates,
    })
}
