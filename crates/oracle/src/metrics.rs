//! Forecast errors for intermittent demand.
//!
//! Hourly vending sales are mostly zeros, so MAPE (`mean |e_t| / a_t`) is undefined. The headline metric is
//! **WAPE**, with **sMAPE** and **MASE** beside it. With actuals `a_t`, forecasts `f_t` and errors
//! `e_t = a_t − f_t` over `t = 1..n`:
//!
//! ```text
//! WAPE  = Σ_t |e_t| / Σ_t |a_t|                                  (undefined if every a_t = 0)
//! sMAPE = (1/n) Σ_t 2 |e_t| / (|a_t| + |f_t|),  a term with a_t = f_t = 0 counting 0     (in [0, 2])
//! MASE  = ((1/n) Σ_t |e_t|) / q,  q = (1/(N−m)) Σ_{j=m+1..N} |y_j − y_{j−m}|
//! ```
//!
//! where `y_1..y_N` is the in-sample history and `m` the season: MASE compares the forecast with the in-sample
//! seasonal-naive forecast (undefined if the history repeats exactly, `q = 0`). WAPE is a ratio of totals, so
//! over many series and forecast origins it is pooled by summing ([`ErrorSums`]), not averaged.

use serde::{Deserialize, Serialize};

/// Why a metric cannot be computed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MetricError {
    /// Actuals and forecasts differ in length.
    #[error("{actual} actual values but {forecast} forecasts")]
    LengthMismatch {
        /// Number of actual values.
        actual: usize,
        /// Number of forecasts.
        forecast: usize,
    },
    /// No values to compare.
    #[error("no values to compare")]
    Empty,
    /// WAPE's denominator Σ|a_t| is zero.
    #[error("WAPE is undefined: all actual values are zero")]
    ZeroActuals,
    /// MASE's scale is zero or the history is too short (`N ≤ m`) for it.
    #[error(
        "MASE is undefined: the in-sample seasonal-naive error is zero or the history is shorter than a season + 1"
    )]
    ZeroScale,
    /// A value is NaN or infinite.
    #[error("non-finite value")]
    NonFinite,
}

fn check(actual: &[f64], forecast: &[f64]) -> Result<(), MetricError> {
    if actual.len() != forecast.len() {
        return Err(MetricError::LengthMismatch { actual: actual.len(), forecast: forecast.len() });
    }
    if actual.is_empty() {
        return Err(MetricError::Empty);
    }
    if actual.iter().chain(forecast).any(|v| !v.is_finite()) {
        return Err(MetricError::NonFinite);
    }
    Ok(())
}

/// Sum of absolute errors `Σ |a_t − f_t|`.
fn sum_abs_error(actual: &[f64], forecast: &[f64]) -> f64 {
    actual.iter().zip(forecast).map(|(a, f)| (a - f).abs()).sum()
}

/// Weighted absolute percentage error `Σ|a_t − f_t| / Σ|a_t|`: 0 for a perfect forecast, 1 for forecasting
/// zero against non-negative actuals.
///
/// # Errors
///
/// [`MetricError::LengthMismatch`], [`MetricError::Empty`], [`MetricError::NonFinite`], or
/// [`MetricError::ZeroActuals`] if every actual is zero.
pub fn wape(actual: &[f64], forecast: &[f64]) -> Result<f64, MetricError> {
    check(actual, forecast)?;
    let total: f64 = actual.iter().map(|a| a.abs()).sum();
    if total == 0.0 {
        return Err(MetricError::ZeroActuals);
    }
    Ok(sum_abs_error(actual, forecast) / total)
}

/// The sMAPE term of one hour: `2|a − f| / (|a| + |f|)`, defined as 0 when `a = f = 0`.
#[must_use]
pub fn smape_term(actual: f64, forecast: f64) -> f64 {
    let denominator = actual.abs() + forecast.abs();
    if denominator == 0.0 { 0.0 } else { 2.0 * (actual - forecast).abs() / denominator }
}

/// Symmetric mean absolute percentage error, in `[0, 2]`: the mean of [`smape_term`] (0/0 counts as 0, a
/// correct forecast of no sales).
///
/// # Errors
///
/// [`MetricError::LengthMismatch`], [`MetricError::Empty`] or [`MetricError::NonFinite`].
pub fn smape(actual: &[f64], forecast: &[f64]) -> Result<f64, MetricError> {
    check(actual, forecast)?;
    Ok(actual.iter().zip(forecast).map(|(a, f)| smape_term(*a, *f)).sum::<f64>() / actual.len() as f64)
}

/// The MASE scale `q`: the mean absolute error of the seasonal-naive forecast `y_{j−m}` inside `history`.
///
/// # Errors
///
/// [`MetricError::ZeroScale`] if `history` has no more than `season` values or `q = 0`,
/// [`MetricError::NonFinite`] for a NaN or infinite value; `season = 0` is treated as 1.
pub fn mase_scale(history: &[f64], season: usize) -> Result<f64, MetricError> {
    let season = season.max(1);
    if history.len() <= season {
        return Err(MetricError::ZeroScale);
    }
    if history.iter().any(|v| !v.is_finite()) {
        return Err(MetricError::NonFinite);
    }
    let scale = sum_abs_error(&history[season..], &history[..history.len() - season]) / (history.len() - season) as f64;
    if scale == 0.0 { Err(MetricError::ZeroScale) } else { Ok(scale) }
}

/// Mean absolute scaled error: the forecast's mean absolute error over [`mase_scale`]`(history, season)`.
/// Below 1, the forecast beats the in-sample seasonal-naive forecast.
///
/// # Errors
///
/// Those of the inputs' checks and of [`mase_scale`].
pub fn mase(actual: &[f64], forecast: &[f64], history: &[f64], season: usize) -> Result<f64, MetricError> {
    check(actual, forecast)?;
    let scale = mase_scale(history, season)?;
    Ok(sum_abs_error(actual, forecast) / actual.len() as f64 / scale)
}

/// Running totals that pool WAPE, sMAPE and MASE over many series and forecast origins: WAPE is the ratio of
/// the summed absolute errors to the summed actuals, sMAPE the mean over every hour, MASE the mean over the
/// windows that had a defined scale.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct ErrorSums {
    /// `Σ |a_t − f_t|`.
    pub abs_error: f64,
    /// `Σ |a_t|`.
    pub abs_actual: f64,
    /// `Σ` of sMAPE terms.
    pub smape_terms: f64,
    /// Hours compared.
    pub hours: usize,
    /// `Σ` of per-window MASE values.
    pub mase_sum: f64,
    /// Windows with a defined MASE.
    pub mase_windows: usize,
}

impl ErrorSums {
    /// Adds one forecast window: its actuals, forecasts, and the history before it (for MASE with `season`).
    ///
    /// # Errors
    ///
    /// [`MetricError::LengthMismatch`], [`MetricError::Empty`] or [`MetricError::NonFinite`]; an undefined
    /// MASE scale only leaves the window out of the MASE mean.
    pub fn add(&mut self, actual: &[f64], forecast: &[f64], history: &[f64], season: usize) -> Result<(), MetricError> {
        check(actual, forecast)?;
        self.abs_error += sum_abs_error(actual, forecast);
        self.abs_actual += actual.iter().map(|a| a.abs()).sum::<f64>();
        self.smape_terms += actual.iter().zip(forecast).map(|(a, f)| smape_term(*a, *f)).sum::<f64>();
        self.hours += actual.len();
        match mase(actual, forecast, history, season) {
            Ok(m) => {
                self.mase_sum += m;
                self.mase_windows += 1;
            }
            Err(MetricError::ZeroScale) => {}
            Err(e) => return Err(e),
        }
        Ok(())
    }

    /// Adds another set of totals to these (pooling two groups of windows).
    pub fn merge(&mut self, other: &Self) {
        self.abs_error += other.abs_error;
        self.abs_actual += other.abs_actual;
        self.smape_terms += other.smape_terms;
        self.hours += other.hours;
        self.mase_sum += other.mase_sum;
        self.mase_windows += other.mase_windows;
    }

    /// Pooled WAPE, `None` if every actual was zero.
    #[must_use]
    pub fn wape(&self) -> Option<f64> {
        (self.abs_actual > 0.0).then(|| self.abs_error / self.abs_actual)
    }

    /// Mean sMAPE over every hour, `None` if empty.
    #[must_use]
    pub fn smape(&self) -> Option<f64> {
        (self.hours > 0).then(|| self.smape_terms / self.hours as f64)
    }

    /// Mean MASE over the windows with a defined scale, `None` if there were none.
    #[must_use]
    pub fn mase(&self) -> Option<f64> {
        (self.mase_windows > 0).then(|| self.mase_sum / self.mase_windows as f64)
    }
}
