//! Inventory per slot from a demand forecast: expected time to stock-out and the reorder point; the input of
//! restocking and rebalancing.
//!
//! With expected units `f_1, f_2, …` for the coming hours (the forecaster's unrounded
//! [`mean`](crate::forecast::SeriesForecast::mean), not whole-unit point forecasts, which would drop quiet
//! hours' demand) and `S` units in the slot:
//!
//! ```text
//! time to stock-out   T   = min { h ≥ 1 : Σ_{i=1..h} f_i > S }           (none if not within the forecast)
//! lead-time demand    μ_L = Σ_{i=1..L} f_i                               (L = lead time of a restock, hours)
//! safety stock        SS  = z_α · σ_L,   z_α = Φ⁻¹(α)                     (α = cycle service level)
//! reorder point       ROP = ⌈μ_L + SS⌉                                    (reorder when S ≤ ROP)
//! ```
//!
//! `σ_L` is the standard deviation of the lead-time forecast error, measured rather than assumed: the
//! root mean square of `Σ_{window} (actual − forecast)` over the last `origins` non-overlapping `L`-hour
//! windows of the history, each forecast from the hours before it ([`lead_time_error`]). This captures the
//! error's correlation across hours (a level error persists), which `σ_1 · √L` would miss. With `α` the
//! probability that lead-time demand does not exceed the reorder point (normal approximation), a restock
//! ordered at the reorder point arrives before the slot runs empty in a fraction `α` of cycles.

use serde::{Deserialize, Serialize};

use crate::data::Series;
use crate::forecast::{ForecastError, Forecaster};

/// Why an inventory figure cannot be computed.
#[derive(Debug, thiserror::Error)]
pub enum InventoryError {
    /// The service level is not strictly between 0 and 1.
    #[error("service level {0} must be strictly between 0 and 1")]
    ServiceLevel(f64),
    /// The lead time is zero or longer than the forecast.
    #[error(
        "lead time of {lead_time} hours needs a forecast of at least that many hours (have {horizon}) and must be positive"
    )]
    LeadTime {
        /// Lead time in hours.
        lead_time: usize,
        /// Forecast hours available.
        horizon: usize,
    },
    /// A forecast value or error spread is negative or not finite.
    #[error("{0} must be a finite number ≥ 0")]
    BadValue(&'static str),
    /// Forecasting failed.
    #[error(transparent)]
    Forecast(#[from] ForecastError),
}

/// Hours until the slot is expected to run empty: the first hour `h` (1-based) at which the cumulative
/// forecast exceeds `stock`, or `None` if it does not within the forecast.
#[must_use]
pub fn hours_to_stockout(forecast: &[f64], stock: f64) -> Option<usize> {
    let mut cumulative = 0.0;
    forecast
        .iter()
        .position(|f| {
            cumulative += f;
            cumulative > stock
        })
        .map(|i| i + 1)
}

/// A reorder point and how it was made up (see the [module docs](self)).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ReorderPoint {
    /// Lead time `L` in hours.
    pub lead_time_hours: usize,
    /// Cycle service level `α`.
    pub service_level: f64,
    /// Expected demand over the lead time, `μ_L`.
    pub lead_time_demand: f64,
    /// Standard deviation of the lead-time forecast error, `σ_L`.
    pub sigma_lead_time: f64,
    /// Standard normal quantile `z_α`.
    pub z: f64,
    /// Safety stock `z_α · σ_L` (negative below a 50 % service level).
    pub safety_stock: f64,
    /// Reorder point `⌈μ_L + SS⌉` in units, at least 0.
    pub units: u32,
}

/// The reorder point for a lead time of `lead_time_hours`, given expected hourly demand `forecast`, the
/// lead-time error spread `sigma_lead_time` and a cycle service level.
///
/// # Errors
///
/// [`InventoryError::ServiceLevel`] unless `0 < service_level < 1`, [`InventoryError::LeadTime`] if the lead
/// time is 0 or exceeds the forecast, [`InventoryError::BadValue`] for a negative or non-finite input.
pub fn reorder_point(
    forecast: &[f64],
    lead_time_hours: usize,
    sigma_lead_time: f64,
    service_level: f64,
) -> Result<ReorderPoint, InventoryError> {
    if !(service_level > 0.0 && service_level < 1.0) {
        return Err(InventoryError::ServiceLevel(service_level));
    }
    if lead_time_hours == 0 || lead_time_hours > forecast.len() {
        return Err(InventoryError::LeadTime { lead_time: lead_time_hours, horizon: forecast.len() });
    }
    if !(sigma_lead_time.is_finite() && sigma_lead_time >= 0.0) {
        return Err(InventoryError::BadValue("the lead-time error spread"));
    }
    let window = &forecast[..lead_time_hours];
    if window.iter().any(|f| !(f.is_finite() && *f >= 0.0)) {
        return Err(InventoryError::BadValue("a forecast value"));
    }
    let lead_time_demand: f64 = window.iter().sum();
    let z = distrs::Normal::ppf(service_level, 0.0, 1.0);
    let safety_stock = z * sigma_lead_time;
    let units = (lead_time_demand + safety_stock).ceil().clamp(0.0, f64::from(u32::MAX)) as u32;
    Ok(ReorderPoint { lead_time_hours, service_level, lead_time_demand, sigma_lead_time, z, safety_stock, units })
}

/// `σ_L`: the root mean square of the summed forecast error over the last `origins` non-overlapping windows
/// of `lead_time_hours` hours of `history`, each forecast by `model` from the hours before the window.
///
/// # Errors
///
/// [`InventoryError::LeadTime`] for a zero lead time or zero origins, [`InventoryError::Forecast`] if the
/// history is too short (the model needs its minimum before the first window) or the model fails.
pub fn lead_time_error(
    history: &[f64],
    model: &dyn Forecaster,
    lead_time_hours: usize,
    origins: usize,
) -> Result<f64, InventoryError> {
    if lead_time_hours == 0 || origins == 0 {
        return Err(InventoryError::LeadTime { lead_time: lead_time_hours, horizon: origins * lead_time_hours });
    }
    let span = origins * lead_time_hours;
    if history.len() <= span {
        return Err(ForecastError::TooShort { len: history.len(), needed: span + 1 }.into());
    }
    let mut squares = 0.0;
    for k in 0..origins {
        let origin = history.len() - span + k * lead_time_hours;
        let forecast = model.forecast(&history[..origin], lead_time_hours)?;
        let actual: f64 = history[origin..origin + lead_time_hours].iter().sum();
        let error = actual - forecast.iter().sum::<f64>();
        squares += error * error;
    }
    Ok((squares / origins as f64).sqrt())
}

/// Settings of [`plan_slot`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct InventoryPolicy {
    /// Hours from ordering a restock to its arrival.
    pub lead_time_hours: usize,
    /// Cycle service level `α` (probability of not running empty before the restock arrives).
    pub service_level: f64,
    /// Hours to forecast when looking for the stock-out (at least the lead time).
    pub horizon: usize,
    /// Windows used to measure `σ_L` ([`lead_time_error`]).
    pub error_origins: usize,
}

impl Default for InventoryPolicy {
    /// A day's lead time, 95 % service, a week's horizon, `σ_L` from the last 7 days.
    fn default() -> Self {
        Self { lead_time_hours: 24, service_level: 0.95, horizon: 168, error_origins: 7 }
    }
}

/// The inventory position of one slot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SlotPlan {
    /// Machine id.
    pub machine: u64,
    /// Slot number.
    pub slot: u16,
    /// Units in the slot now.
    pub stock: u32,
    /// Expected hours until the slot runs empty (`None`: not within the horizon).
    pub hours_to_stockout: Option<usize>,
    /// Unix hour in which it is expected to run empty.
    pub stockout_hour: Option<u64>,
    /// The reorder point.
    pub reorder_point: ReorderPoint,
    /// Whether to order a restock now (`stock ≤ reorder point`).
    pub reorder_now: bool,
}

/// Plans one slot from its history and current stock: forecasts `policy.horizon` hours (at least the lead
/// time), measures `σ_L` on the history, and derives the time to stock-out and the reorder point.
///
/// # Errors
///
/// Those of [`lead_time_error`] and [`reorder_point`]; [`InventoryError::Forecast`] for an empty series.
pub fn plan_slot(
    series: &Series,
    stock: u32,
    model: &dyn Forecaster,
    policy: &InventoryPolicy,
) -> Result<SlotPlan, InventoryError> {
    let last = series.hours.last().ok_or(ForecastError::Empty("the series has no hours"))?;
    let history = series.units_sold();
    let horizon = policy.horizon.max(policy.lead_time_hours);
    let forecast = model.forecast(&history, horizon)?;
    let sigma = lead_time_error(&history, model, policy.lead_time_hours, policy.error_origins)?;
    let reorder_point = reorder_point(&forecast, policy.lead_time_hours, sigma, policy.service_level)?;
    let hours_to_stockout = hours_to_stockout(&forecast, f64::from(stock));
    Ok(SlotPlan {
        machine: series.machine,
        slot: series.slot,
        stock,
        hours_to_stockout,
        // Hour h (1-based) after the history is unix hour last.t + h.
        stockout_hour: hours_to_stockout.map(|h| last.t + h as u64),
        reorder_point,
        reorder_now: stock <= reorder_point.units,
    })
}
