//! Price optimisation: estimate each item's price elasticity from its sales history, then choose the
//! profit-maximising price inside the governance price band, aware of the stock left before the next
//! restock (do not sell out at a low price; do not hold stock that will expire).
//!
//! # Elasticity: log-log regression of daily sales
//!
//! A slot's price is set per day (the generator's price experiments last a whole day), so the regression
//! works on **daily** sales, where the hour-of-day profile drops out and counts are large enough for
//! logarithms. The model is log-linear in log price (constant elasticity `β`), fitted by least squares with
//! `linfa-linear`:
//!
//! ```text
//! ln(units_d + ½) = a_{g, day of week} + β · ln(p_d / p_ref,g) + γ · promo_hours_d + t_g · (weeks_d − w̄_g) + e_d
//! ```
//!
//! for series `g` of a pooled fit: an item sold in several slots shares `β` and `γ`, each slot keeps its own
//! level per day of the week `a_{g,k}` and trend `t_g`. `p_ref,g` is the median price the series was
//! observed at (its list price), `p_d` the day's mean hourly price.
//!
//! Zeros, and the choice of daily data: hourly vending sales are small counts, mostly zeros, with no
//! logarithm; `ln(units + c)` on hourly data would bias `β` towards 0 (the constant dominates), and dropping
//! zero hours selects on the outcome. Summed over a day, a busy slot sells tens of units, so `½` (the usual
//! continuity constant, so that a rare zero day has a logarithm) moves the logarithm little. Days of the week
//! on which a series sells fewer than [`DemandFitParams::min_daily_units`] a day on average (an office at
//! the weekend) are left out of the regression: that selects on a covariate, not on the outcome, so it does
//! not bias `β`, and keeps the log counts away from the constant. (A Poisson GLM would take zeros as they
//! are, but `linfa-linear`'s `TweedieRegressor` solver was found to stall short of the optimum on these
//! designs, giving different answers for equivalent parametrisations; ordinary least squares has a closed
//! form.)
//!
//! Censoring: only complete days enter the fit. Days with an hour censored by a stock-out (demand above the
//! stock, or an empty slot; see [`is_censored`]) are dropped, since their sales understate demand.
//!
//! For forecasts ([`DemandModel::rate`]) the fitted log is turned into a mean with Duan's smearing factor
//! (the mean of the exponentiated residuals), and the daily mean is spread over the hours of the day by the
//! series' hour-of-day profile: the mean units sold at each hour of the day over its uncensored hours,
//! normalised to shares (the price is constant within a day, so the shares do not depend on it).
//!
//! # Price decision
//!
//! [`optimal_price`] maximises the expected profit until the next restock in a fluid model: demand until the
//! restock at price `p` is `D(p) = D₀ · (p / p_ref)^β` (`D₀` the forecast at the reference price), sales are
//! `min(D(p), S)` for stock `S`, and units left at the restock are kept (the restock only tops the slot up, so
//! a unit kept saves buying one: it is worth its unit cost `c`). Then:
//!
//! 1. the unconstrained optimum is the markup rule `p* = c · β / (1 + β)`, which exists only for elastic
//!    demand (`β < −1`); for `β ≥ −1` profit rises with the price, so the band's maximum is chosen;
//! 2. if `D(p*) > S` the slot would sell out cheaply: the price is raised to `p_S`, the price at which demand
//!    until the restock equals the stock (`D(p_S) = S`), since below `p_S` every unit sells anyway and a
//!    higher price only adds margin;
//! 3. if the stock expires before the restock (or at it: perishable stock the restock discards), units unsold
//!    at expiry are lost and their cost is sunk, so the
//!    effective unit cost is 0 over the horizon up to expiry: the price is lowered to `p_S` for that horizon
//!    (sell exactly the stock by expiry at the highest price that does so) — for inelastic demand
//!    (`β ≥ −1`) revenue still rises with the price, so the band maximum stays;
//! 4. the result is clamped into the governance band.
//!
//! A constant price over the horizon is optimal in this model: with a multiplicative iso-elastic demand and
//! one stock constraint, the first-order conditions give every hour the same price.
//!
//! # Benchmark: the optimised policy against the fixed list price
//!
//! [`compare_policies`] fits the item demand models ([`fit_items`]) on the history before the held-out
//! period of a synthetic [`Dataset`], then replays the held-out period hour by hour under three policies,
//! with the generator's true demand model ([`true_rate`], gamma-Poisson noise with the configured
//! dispersion) and each slot's capacity and restock schedule, starting from the generator's stock at the
//! start of the held-out period:
//!
//! - **fixed**: always the list price (the generator's reference price `p̄`);
//! - **optimised**: [`optimal_price`] re-decided every hour from what the machine knows — the item's
//!   estimated elasticity, the model's forecast at its reference price until the next restock (promotions
//!   are not forecast), the current stock, the restock schedule and whether the product is perishable (its
//!   stock then expires at the restock);
//! - **oracle**: the same rule with the true elasticity and the true hourly rates (promotions included), the
//!   bound that better estimation could reach.
//!
//! All policies see the same demand noise per slot and hour (one random stream per seed, slot and hour).
//! Unit cost and band are fractions of the list price ([`PolicySettings`]). Reported per policy: units,
//! revenue, profit (revenue minus unit cost of the units sold and of the perishable units discarded at
//! restocks: other stock left over keeps its cost, since the restock only tops the slot up), stock-out hours
//! and units wasted; and the relative uplifts of revenue and profit over the fixed price.

use std::collections::BTreeMap;

use linfa::Dataset as LinfaDataset;
use linfa::metrics::SingleTargetRegression;
use linfa::traits::Fit;
use linfa_linear::LinearRegression;
use ndarray::{Array1, Array2, Axis};
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand_distr::{Distribution, Gamma, Poisson};
use serde::{Deserialize, Serialize};

use crate::data::{DataError, Dataset, DemandConfig, HOURS_PER_DAY, HOURS_PER_WEEK, HourObs, Series, hour_of_week};

/// Errors of elasticity estimation, price decisions and the policy benchmark.
#[derive(Debug, thiserror::Error)]
pub enum PricingError {
    /// No observations to fit.
    #[error("no observations")]
    NoObservations,
    /// A group index has no observations (groups must be numbered `0..n` without gaps).
    #[error("group {0} has no observations")]
    EmptyGroup(usize),
    /// An observation with a non-finite or non-positive price, or negative or non-finite units.
    #[error("invalid observation: {0}")]
    InvalidObservation(String),
    /// The observed prices never vary, so the elasticity is not identified.
    #[error("prices never vary: the elasticity is not identified")]
    NoPriceVariation,
    /// An input to the price decision is out of its domain.
    #[error("invalid pricing input: {0}")]
    InvalidInput(&'static str),
    /// The group asked for is not in the model.
    #[error("unknown group {0}")]
    UnknownGroup(usize),
    /// `linfa-linear` failed to fit.
    #[error("regression failed: {0}")]
    Fit(#[from] linfa_linear::LinearError<f64>),
    /// `linfa` failed to compute a metric.
    #[error("metric failed: {0}")]
    Metric(#[from] linfa::Error),
    /// The design matrix could not be shaped.
    #[error("design matrix: {0}")]
    Shape(#[from] ndarray::ShapeError),
    /// The synthetic data could not be split or generated.
    #[error(transparent)]
    Data(#[from] DataError),
    /// The benchmark needs synthetic series with their true parameters.
    #[error("series (machine {machine}, slot {slot}) has no true demand parameters (not synthetic)")]
    MissingTruth {
        /// Machine id.
        machine: u64,
        /// Slot number.
        slot: u16,
    },
}

/// One hour of sales of one series, as the elasticity regression sees it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PriceObservation {
    /// Which series of a pooled fit the hour belongs to (`0..n`; 0 for a single series).
    pub group: usize,
    /// Unix hour (`timestamp / 3600`).
    pub hour: u64,
    /// Price during the hour (> 0).
    pub price: f64,
    /// Units sold (≥ 0).
    pub units: f64,
    /// Whether a promotion ran during the hour.
    pub promo: bool,
    /// Whether the hour's sales understate its demand (a stock-out): its day is left out of the fit.
    pub censored: bool,
}

/// Whether an hour's sales understate its demand: a known stock-out, or an empty slot.
#[must_use]
pub fn is_censored(hour: &HourObs) -> bool {
    hour.stock_out || hour.stock == Some(0)
}

/// The hours of `series` as observations of `group`, censored hours flagged ([`is_censored`]).
#[must_use]
pub fn observations(series: &Series, group: usize) -> Vec<PriceObservation> {
    series
        .hours
        .iter()
        .map(|h| PriceObservation {
            group,
            hour: h.t,
            price: h.price,
            units: f64::from(h.units_sold),
            promo: h.promo,
            censored: is_censored(h),
        })
        .collect()
}

/// An estimated price elasticity.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Elasticity {
    /// The elasticity `β = d ln(units) / d ln(price)` (negative for normal goods).
    pub beta: f64,
    /// The mean fitted `ln(units per day + ½)` at the reference price over the regressed days: the level
    /// of the log-log demand curve `ln(units + ½) ≈ intercept + β · ln(p / p_ref)`.
    pub intercept: f64,
    /// R² of the regression on log daily units (`linfa`'s `r2`).
    pub r2: f64,
    /// Number of days fitted.
    pub samples: usize,
}

/// Hyperparameters of [`DemandModel::fit_with`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DemandFitParams {
    /// A series' days of the week whose mean daily sales are below this many units are left out of the
    /// regression (their log counts are dominated by the continuity constant); they are forecast from their
    /// mean. The selection is on a covariate (the day of the week), not on the outcome, so it does not bias
    /// the elasticity.
    pub min_daily_units: f64,
    /// Added to daily units before the logarithm, so that a zero day has one.
    pub continuity: f64,
}

impl Default for DemandFitParams {
    fn default() -> Self {
        Self { min_daily_units: 5.0, continuity: 0.5 }
    }
}

/// Shared columns: log price ratio and promotion hours.
const SHARED_COLUMNS: usize = 2;
const DAYS_PER_WEEK: usize = 7;

/// Running totals of one day of one group.
#[derive(Debug, Clone, Copy, Default)]
struct DayTotals {
    price_sum: f64,
    units: f64,
    promo_hours: f64,
    hours: usize,
    censored: bool,
}

/// One complete, uncensored day of one group.
#[derive(Debug, Clone, Copy)]
struct Day {
    group: usize,
    day: u64,
    dow: usize,
    price: f64,
    units: f64,
    promo_hours: f64,
}

/// A fitted log-linear demand model (see the [module docs](self)) for one series or several series of the
/// same item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DemandModel {
    /// Coefficients: log price ratio, promotion hours, then the columns of `trend_columns` and `cell_columns`.
    coefficients: Vec<f64>,
    /// Per group, the column of its trend (`None` if none of its days entered the regression).
    trend_columns: Vec<Option<usize>>,
    /// Per group and day of the week (Monday = 0), the column of its level (`None`: a quiet day of the week,
    /// forecast from its mean).
    cell_columns: Vec<[Option<usize>; DAYS_PER_WEEK]>,
    /// Per group and day of the week, the mean units per complete uncensored day.
    cell_means: Vec<[f64; DAYS_PER_WEEK]>,
    reference_prices: Vec<f64>,
    origins: Vec<u64>,
    trend_centres: Vec<f64>,
    profiles: Vec<[f64; HOURS_PER_DAY]>,
    /// Duan's smearing factor: the mean of `exp(residual)`, turning a fitted log into a mean.
    smearing: f64,
    continuity: f64,
    elasticity: Elasticity,
}

impl DemandModel {
    /// Fits the model with the default hyperparameters.
    ///
    /// # Errors
    ///
    /// See [`DemandModel::fit_with`].
    pub fn fit(observations: &[PriceObservation]) -> Result<Self, PricingError> {
        Self::fit_with(observations, DemandFitParams::default())
    }

    /// Fits the model on the complete uncensored days of `observations` by least squares on log daily units
    /// with `linfa-linear`.
    ///
    /// # Errors
    ///
    /// [`PricingError::NoObservations`] without a complete uncensored day busy enough to regress on,
    /// [`PricingError::EmptyGroup`] for a group without a complete uncensored day,
    /// [`PricingError::InvalidObservation`], [`PricingError::InvalidInput`] for bad hyperparameters,
    /// [`PricingError::NoPriceVariation`], or a failure of the regression.
    pub fn fit_with(observations: &[PriceObservation], params: DemandFitParams) -> Result<Self, PricingError> {
        if !(params.continuity.is_finite() && params.continuity > 0.0 && params.min_daily_units.is_finite()) {
            return Err(PricingError::InvalidInput("continuity must be positive and min_daily_units finite"));
        }
        for o in observations {
            if !(o.price.is_finite() && o.price > 0.0 && o.units.is_finite() && o.units >= 0.0) {
                return Err(PricingError::InvalidObservation(format!("{o:?}")));
            }
        }
        let groups = observations.iter().map(|o| o.group).max().map_or(0, |g| g + 1);
        if groups == 0 {
            return Err(PricingError::NoObservations);
        }
        // Reference price (median hourly price), hour-of-day profile and daily totals per group.
        let mut prices: Vec<Vec<f64>> = vec![Vec::new(); groups];
        let mut profile_sums = vec![[(0.0, 0u32); HOURS_PER_DAY]; groups];
        let mut totals: BTreeMap<(usize, u64), DayTotals> = BTreeMap::new();
        for o in observations {
            prices[o.group].push(o.price);
            if !o.censored {
                let cell = &mut profile_sums[o.group][(o.hour % HOURS_PER_DAY as u64) as usize];
                cell.0 += o.units;
                cell.1 += 1;
            }
            let day = totals.entry((o.group, o.hour / HOURS_PER_DAY as u64)).or_default();
            day.price_sum += o.price;
            day.units += o.units;
            day.promo_hours += if o.promo { 1.0 } else { 0.0 };
            day.hours += 1;
            day.censored |= o.censored;
        }
        let days: Vec<Day> = totals
            .into_iter()
            .filter(|(_, d)| d.hours == HOURS_PER_DAY && !d.censored)
            .map(|((group, day), d)| Day {
                group,
                day,
                dow: hour_of_week(day * HOURS_PER_DAY as u64) / HOURS_PER_DAY,
                price: d.price_sum / d.hours as f64,
                units: d.units,
                promo_hours: d.promo_hours,
            })
            .collect();
        let mut reference_prices = Vec::with_capacity(groups);
        let mut origins = Vec::with_capacity(groups);
        let mut trend_centres = Vec::with_capacity(groups);
        let mut cell_means = vec![[0.0; DAYS_PER_WEEK]; groups];
        for (g, p) in prices.iter_mut().enumerate() {
            let own: Vec<&Day> = days.iter().filter(|d| d.group == g).collect();
            let first = own.iter().map(|d| d.day).min().ok_or(PricingError::EmptyGroup(g))?;
            origins.push(first);
            trend_centres.push(own.iter().map(|d| (d.day - first) as f64 / 7.0).sum::<f64>() / own.len() as f64);
            for (dow, mean) in cell_means[g].iter_mut().enumerate() {
                let cell: Vec<f64> = own.iter().filter(|d| d.dow == dow).map(|d| d.units).collect();
                *mean = if cell.is_empty() { 0.0 } else { cell.iter().sum::<f64>() / cell.len() as f64 };
            }
            p.sort_by(f64::total_cmp);
            reference_prices.push(p[p.len() / 2]);
        }
        let profiles = profile_sums
            .iter()
            .map(|sums| {
                let means = sums.map(|(units, hours)| if hours > 0 { units / f64::from(hours) } else { 0.0 });
                let total: f64 = means.iter().sum();
                means.map(|m| if total > 0.0 { m / total } else { 1.0 / HOURS_PER_DAY as f64 })
            })
            .collect();
        // Columns: shared, then a trend per group and a level per busy (group, day of week) cell.
        let busy = |g: usize, dow: usize| cell_means[g][dow] >= params.min_daily_units;
        let regression: Vec<Day> = days.iter().copied().filter(|d| busy(d.group, d.dow)).collect();
        if regression.is_empty() {
            return Err(PricingError::NoObservations);
        }
        let mut next = SHARED_COLUMNS;
        let mut trend_columns = vec![None; groups];
        let mut cell_columns = vec![[None; DAYS_PER_WEEK]; groups];
        for (g, (trend, cells)) in trend_columns.iter_mut().zip(cell_columns.iter_mut()).enumerate() {
            if (0..DAYS_PER_WEEK).any(|dow| busy(g, dow)) {
                *trend = Some(next);
                next += 1;
            }
            for (dow, cell) in cells.iter_mut().enumerate() {
                if busy(g, dow) {
                    *cell = Some(next);
                    next += 1;
                }
            }
        }
        let first_price = regression[0].price;
        if regression.iter().all(|d| (d.price - first_price).abs() <= 1e-12 * first_price) {
            return Err(PricingError::NoPriceVariation);
        }
        let mut model = Self {
            coefficients: vec![0.0; next],
            trend_columns,
            cell_columns,
            cell_means,
            reference_prices,
            origins,
            trend_centres,
            profiles,
            smearing: 1.0,
            continuity: params.continuity,
            elasticity: Elasticity { beta: 0.0, intercept: 0.0, r2: 0.0, samples: regression.len() },
        };
        let x = model.design(regression.iter().map(|d| (d.group, d.day, d.price, d.promo_hours)))?;
        let y: Array1<f64> = regression.iter().map(|d| (d.units + params.continuity).ln()).collect();
        // Columns that are zero on every regressed day (no promotion, a single day's trend) carry no
        // information and would make the normal equations singular: they keep a zero coefficient.
        let active: Vec<usize> = (0..x.ncols()).filter(|&j| x.column(j).iter().any(|v| *v != 0.0)).collect();
        if !active.contains(&0) {
            return Err(PricingError::NoPriceVariation);
        }
        // The cell levels span the intercept.
        let fitted = LinearRegression::new()
            .with_intercept(false)
            .fit(&LinfaDataset::new(x.select(Axis(1), &active), y.clone()))?;
        for (&j, w) in active.iter().zip(fitted.params()) {
            model.coefficients[j] = *w;
        }
        let predict = |m: &Self, rows: &Array2<f64>| rows.dot(&Array1::from(m.coefficients.clone()));
        let predicted = predict(&model, &x);
        let r2 = predicted.r2(&y)?;
        model.smearing = (&y - &predicted).mapv(f64::exp).mean().unwrap_or(1.0);
        let at_reference = model
            .design(regression.iter().map(|d| (d.group, d.day, model.reference_prices[d.group], d.promo_hours)))?;
        let intercept = predict(&model, &at_reference).mean().unwrap_or(0.0);
        model.elasticity = Elasticity { beta: model.coefficients[0], intercept, r2, samples: regression.len() };
        Ok(model)
    }

    /// Writes the feature row of one day (see the module docs) into `row` (all zeros on entry).
    fn features(&self, row: &mut [f64], group: usize, day: u64, price: f64, promo_hours: f64) {
        row[0] = (price / self.reference_prices[group]).ln();
        row[1] = promo_hours;
        if let Some(c) = self.trend_columns[group] {
            row[c] = day.saturating_sub(self.origins[group]) as f64 / 7.0 - self.trend_centres[group];
        }
        if let Some(c) = self.cell_columns[group][hour_of_week(day * HOURS_PER_DAY as u64) / HOURS_PER_DAY] {
            row[c] = 1.0;
        }
    }

    fn design(&self, rows: impl ExactSizeIterator<Item = (usize, u64, f64, f64)>) -> Result<Array2<f64>, PricingError> {
        let (n, k) = (rows.len(), self.coefficients.len());
        let mut flat = vec![0.0; n * k];
        for (row, (group, day, price, promo_hours)) in flat.chunks_exact_mut(k).zip(rows) {
            self.features(row, group, day, price, promo_hours);
        }
        Ok(Array2::from_shape_vec((n, k), flat)?)
    }

    /// The estimated elasticity and fit statistics.
    #[must_use]
    pub fn elasticity(&self) -> Elasticity {
        self.elasticity
    }

    /// The promotion effect: the change of log daily demand per promotion hour.
    #[must_use]
    pub fn promo_effect(&self) -> f64 {
        self.coefficients.get(1).copied().unwrap_or(0.0)
    }

    /// Number of groups (series) the model was fitted on.
    #[must_use]
    pub fn groups(&self) -> usize {
        self.reference_prices.len()
    }

    /// The reference (median observed) price of `group`.
    ///
    /// # Errors
    ///
    /// [`PricingError::UnknownGroup`] if `group` is not in the model.
    pub fn reference_price(&self, group: usize) -> Result<f64, PricingError> {
        self.reference_prices.get(group).copied().ok_or(PricingError::UnknownGroup(group))
    }

    /// The expected units per day of `group` on the Unix day `day` (`unix_hour / 24`) at `price`, without
    /// promotion: `smearing · exp(fitted log) − continuity` on a busy day of the week (the trend extrapolated
    /// beyond the fitted days), the day of the week's mean scaled by `(price / p_ref)^β` on a quiet one.
    ///
    /// # Errors
    ///
    /// [`PricingError::UnknownGroup`] if `group` is not in the model, [`PricingError::InvalidInput`] for a
    /// price that is not positive.
    pub fn daily_rate(&self, group: usize, day: u64, price: f64) -> Result<f64, PricingError> {
        if group >= self.groups() {
            return Err(PricingError::UnknownGroup(group));
        }
        if !(price.is_finite() && price > 0.0) {
            return Err(PricingError::InvalidInput("price must be positive"));
        }
        let dow = hour_of_week(day * HOURS_PER_DAY as u64) / HOURS_PER_DAY;
        if self.cell_columns[group][dow].is_none() {
            let beta = self.elasticity.beta;
            return Ok(self.cell_means[group][dow] * (price / self.reference_prices[group]).powf(beta));
        }
        let mut row = vec![0.0; self.coefficients.len()];
        self.features(&mut row, group, day, price, 0.0);
        let eta: f64 = row.iter().zip(&self.coefficients).map(|(x, w)| x * w).sum();
        Ok((self.smearing * eta.exp() - self.continuity).max(0.0))
    }

    /// The expected units of `group` in the Unix hour `hour` at `price`, without promotion: the daily rate
    /// spread over the day by the group's hour-of-day profile.
    ///
    /// # Errors
    ///
    /// As [`DemandModel::daily_rate`].
    pub fn rate(&self, group: usize, hour: u64, price: f64) -> Result<f64, PricingError> {
        let daily = self.daily_rate(group, hour / HOURS_PER_DAY as u64, price)?;
        Ok(daily * self.profiles[group][(hour % HOURS_PER_DAY as u64) as usize])
    }
}

/// Estimates the price elasticity from observations (one series, or several series of the same item as
/// groups `0..n`) by the log-log regression of daily sales of the [module docs](self).
///
/// # Errors
///
/// See [`DemandModel::fit_with`].
pub fn estimate_elasticity(observations: &[PriceObservation]) -> Result<Elasticity, PricingError> {
    Ok(DemandModel::fit(observations)?.elasticity())
}

/// An item's demand model fitted on every series that sells it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItemDemand {
    /// The item (product id).
    pub item: u32,
    /// `(machine, slot)` of each group of the model, in group order.
    pub series: Vec<(u64, u16)>,
    /// The pooled model (shared elasticity and promotion effect).
    pub model: DemandModel,
}

impl ItemDemand {
    /// The group index of `(machine, slot)` in the model.
    #[must_use]
    pub fn group_of(&self, machine: u64, slot: u16) -> Option<usize> {
        self.series.iter().position(|&s| s == (machine, slot))
    }
}

/// Fits one pooled demand model per item over the series that sell it (synthetic series carry their item;
/// real-history series, without an item, are each their own "item" keyed by position, starting after the
/// largest known item id).
///
/// # Errors
///
/// The first fitting error, e.g. an item whose prices never varied.
pub fn fit_items(series: &[Series]) -> Result<Vec<ItemDemand>, PricingError> {
    let next = series.iter().filter_map(|s| s.item).max().map_or(0, |m| m + 1);
    let mut by_item: BTreeMap<u32, Vec<&Series>> = BTreeMap::new();
    for (i, s) in series.iter().enumerate() {
        let key = s.item.unwrap_or(next.saturating_add(u32::try_from(i).unwrap_or(u32::MAX)));
        by_item.entry(key).or_default().push(s);
    }
    by_item
        .into_iter()
        .map(|(item, members)| {
            let obs: Vec<PriceObservation> = members.iter().enumerate().flat_map(|(g, s)| observations(s, g)).collect();
            Ok(ItemDemand {
                item,
                series: members.iter().map(|s| (s.machine, s.slot)).collect(),
                model: DemandModel::fit(&obs)?,
            })
        })
        .collect()
}

/// The governance price band: the machine may only charge prices in `[min, max]`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PriceBand {
    /// Lowest allowed price (> 0).
    pub min: f64,
    /// Highest allowed price (≥ `min`).
    pub max: f64,
}

impl PriceBand {
    /// The band `[low · price, high · price]` around a price.
    #[must_use]
    pub fn around(price: f64, low: f64, high: f64) -> Self {
        Self { min: low * price, max: high * price }
    }

    fn clamp(&self, price: f64) -> f64 {
        price.clamp(self.min, self.max)
    }
}

/// What a price decision knows.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PricingInput<'a> {
    /// Price elasticity `β` (from [`Elasticity::beta`]).
    pub elasticity: f64,
    /// The price the forecast is made at (> 0).
    pub reference_price: f64,
    /// Expected units per hour at the reference price, one entry per hour from now until the next restock
    /// (its length is the number of hours to the restock).
    pub forecast: &'a [f64],
    /// Cost of one unit (≥ 0).
    pub unit_cost: f64,
    /// The governance band.
    pub band: PriceBand,
    /// Units left in the slot.
    pub stock: u32,
    /// Hours until the stock in the slot expires, if it does; units unsold by then are lost. Expiry at the
    /// restock (`forecast.len()`) is perishable stock the restock discards; expiry after it is ignored (the
    /// restock comes first and the units are kept).
    pub expires_in_hours: Option<usize>,
}

/// Why a price was chosen (before clamping into the band, see [`PriceDecision::clamped`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PriceReason {
    /// The markup optimum `c · β / (1 + β)` of elastic demand; stock does not bind.
    ProfitOptimum,
    /// Demand is inelastic (`β ≥ −1`): profit rises with the price, so the band maximum.
    Inelastic,
    /// The optimum would sell out before the restock: raised to the price that sells exactly the stock.
    StockLimited,
    /// The stock expires before the restock: lowered to the price that sells the stock by expiry.
    Clearance,
    /// No stock to sell: the reference price (clamped into the band).
    NoStock,
    /// No demand expected: the reference price (clamped into the band).
    NoDemand,
}

/// A price decision and its expected outcome until the next restock (or expiry).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PriceDecision {
    /// The price, inside the band.
    pub price: f64,
    /// The economic reason for the price.
    pub reason: PriceReason,
    /// Whether the band moved the price away from the reason's price.
    pub clamped: bool,
    /// Expected units sold until the restock (or expiry): `min(D(price), stock)`.
    pub expected_units: f64,
    /// Expected revenue: `price × expected_units`.
    pub expected_revenue: f64,
    /// Expected units lost at expiry (0 without expiry).
    pub expected_expired: f64,
    /// Expected profit: revenue − unit cost × (units sold + units expired); kept units keep their cost.
    pub expected_profit: f64,
}

/// Chooses the profit-maximising price inside the band, aware of the stock left until the next restock and
/// of expiry; the rule is in the [module docs](self#price-decision).
///
/// # Errors
///
/// [`PricingError::InvalidInput`] for a non-finite elasticity, a non-positive reference price, a negative
/// cost or forecast, or a band that is empty or not positive.
pub fn optimal_price(input: &PricingInput<'_>) -> Result<PriceDecision, PricingError> {
    let PricingInput { elasticity: beta, reference_price, forecast, unit_cost, band, stock, expires_in_hours } = *input;
    if !beta.is_finite() {
        return Err(PricingError::InvalidInput("elasticity must be finite"));
    }
    if !(reference_price.is_finite() && reference_price > 0.0) {
        return Err(PricingError::InvalidInput("reference price must be positive"));
    }
    if !(unit_cost.is_finite() && unit_cost >= 0.0) {
        return Err(PricingError::InvalidInput("unit cost must be ≥ 0"));
    }
    if !(band.min.is_finite() && band.max.is_finite() && band.min > 0.0 && band.min <= band.max) {
        return Err(PricingError::InvalidInput("band must satisfy 0 < min ≤ max"));
    }
    if forecast.iter().any(|f| !(f.is_finite() && *f >= 0.0)) {
        return Err(PricingError::InvalidInput("forecast must be finite and ≥ 0"));
    }
    let expiring = expires_in_hours.is_some_and(|e| e <= forecast.len());
    let horizon = if expiring { expires_in_hours.unwrap_or(0) } else { forecast.len() };
    let demand_at_reference: f64 = forecast[..horizon].iter().sum();
    let stock_units = f64::from(stock);
    // Units unsold at expiry are lost whatever the price: over the horizon to expiry a unit costs nothing more.
    let effective_cost = if expiring { 0.0 } else { unit_cost };
    let demand = |p: f64| demand_at_reference * (p / reference_price).powf(beta);

    let (target, reason) = if stock == 0 {
        (reference_price, PriceReason::NoStock)
    } else if demand_at_reference <= 0.0 {
        (reference_price, PriceReason::NoDemand)
    } else if beta >= -1.0 {
        (band.max, PriceReason::Inelastic)
    } else {
        let markup = effective_cost * beta / (1.0 + beta);
        // The price at which demand until the horizon equals the stock: D(p) = S.
        let sell_out = reference_price * (stock_units / demand_at_reference).powf(1.0 / beta);
        if sell_out > markup {
            (sell_out, if expiring { PriceReason::Clearance } else { PriceReason::StockLimited })
        } else {
            (markup, PriceReason::ProfitOptimum)
        }
    };
    let price = band.clamp(target);
    let expected_units = demand(price).min(stock_units);
    let expected_expired = if expiring { stock_units - expected_units } else { 0.0 };
    let expected_revenue = price * expected_units;
    Ok(PriceDecision {
        price,
        reason,
        clamped: price != target,
        expected_units,
        expected_revenue,
        expected_expired,
        expected_profit: expected_revenue - unit_cost * (expected_units + expected_expired),
    })
}

/// The true demand rate (mean units per hour, before the gamma noise) of a synthetic series at `hour` and
/// `price`, following the generator's documented model in [`crate::data`]:
/// `r · s_L(u) · exp(g · τ) · (p / p̄)^ε · (promo ? lift : 1)`, `τ` the weeks since `config.start`.
///
/// Returns `None` for a series without true parameters or location.
#[must_use]
pub fn true_rate(config: &DemandConfig, series: &Series, hour: u64, price: f64, promo: bool) -> Option<f64> {
    let truth = series.truth?;
    let location = series.location?;
    let weeks = hour.saturating_sub(config.start / 3600) as f64 / HOURS_PER_WEEK as f64;
    let lift = if promo { config.promo_lift } else { 1.0 };
    Some(
        truth.base_rate
            * location.seasonal_factor(hour_of_week(hour))
            * (truth.trend_per_week * weeks).exp()
            * (price / truth.reference_price).powf(truth.elasticity)
            * lift,
    )
}

/// Unit cost as a share of the selling price assumed by default: snack and drink vending typically buys a
/// product for about a third of what the machine sells it for (gross margins of 60–70 %). The benchmark's
/// revenue uplift depends on it (a profit-maximising price rises with the cost); `automat bench oracle
/// --unit-cost-ratio` measures other costs.
pub const TYPICAL_UNIT_COST_RATIO: f64 = 1.0 / 3.0;

/// Settings of the policy benchmark [`compare_policies`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PolicySettings {
    /// Hours at the end of each series held out: fitted models never see them; the replay covers them.
    pub held_out_hours: usize,
    /// Unit cost as a fraction of the list price.
    pub unit_cost_ratio: f64,
    /// The governance band as fractions of the list price, `(low, high)`.
    pub band: (f64, f64),
    /// Seed of the replay's demand noise.
    pub seed: u64,
}

impl Default for PolicySettings {
    /// Two weeks held out, unit cost a third of the list price ([`TYPICAL_UNIT_COST_RATIO`]), a band of
    /// 70 %–130 % of the list price.
    fn default() -> Self {
        Self { held_out_hours: 2 * HOURS_PER_WEEK, unit_cost_ratio: TYPICAL_UNIT_COST_RATIO, band: (0.7, 1.3), seed: 0 }
    }
}

/// The outcome of one pricing policy over the replay.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct PolicyOutcome {
    /// Units sold.
    pub units: u64,
    /// Revenue: Σ price × units sold.
    pub revenue: f64,
    /// Profit: Σ (price − unit cost) × units sold − unit cost × perishable units discarded.
    pub profit: f64,
    /// Slot-hours in which demand exceeded the stock.
    pub stockout_hours: u64,
    /// Perishable units discarded at restocks.
    pub wasted: u64,
    /// Mean price charged, weighted by units sold, relative to the list price.
    pub mean_price_ratio: f64,
}

/// The fixed list price against the optimised price (and the oracle) over the held-out period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PolicyComparison {
    /// Always the list price.
    pub fixed: PolicyOutcome,
    /// [`optimal_price`] re-decided every hour with the models fitted on the history.
    pub optimised: PolicyOutcome,
    /// [`optimal_price`] re-decided every hour with the true elasticity and the true hourly demand rates
    /// (promotions included): what better estimation could reach with this decision rule (not a strict
    /// bound: the replays are noisy, and the fluid rule is not exactly optimal for random demand).
    pub oracle: PolicyOutcome,
    /// `(optimised.revenue − fixed.revenue) / fixed.revenue`.
    pub revenue_uplift: f64,
    /// `(optimised.profit − fixed.profit) / fixed.profit`.
    pub profit_uplift: f64,
    /// `(oracle.profit − fixed.profit) / fixed.profit`.
    pub oracle_profit_uplift: f64,
    /// Mean absolute error of the estimated elasticities against the true ones, over the items.
    pub elasticity_mae: f64,
    /// Slot-hours replayed.
    pub slot_hours: usize,
}

struct Replay {
    units: u64,
    revenue: f64,
    profit: f64,
    stockouts: u64,
    wasted: u64,
    list_revenue: f64,
}

/// Replays the held-out period of `dataset` (generated from `config`) under the fixed list price, the
/// optimised price and the oracle; see the [module docs](self#benchmark-the-optimised-policy-against-the-fixed-list-price).
///
/// # Errors
///
/// [`PricingError::Data`] if the dataset cannot be split, [`PricingError::MissingTruth`] for a series that is
/// not synthetic, [`PricingError::InvalidInput`] for bad settings, or a fitting error.
pub fn compare_policies(
    config: &DemandConfig,
    dataset: &Dataset,
    settings: &PolicySettings,
) -> Result<PolicyComparison, PricingError> {
    if !(settings.unit_cost_ratio.is_finite() && settings.unit_cost_ratio >= 0.0) {
        return Err(PricingError::InvalidInput("unit cost ratio must be ≥ 0"));
    }
    let (history, held_out) = dataset.split(settings.held_out_hours)?;
    let items = fit_items(&history.series)?;
    let mut errors = Vec::new();
    for item in &items {
        if let Some(truth) = history.series.iter().find(|s| s.item == Some(item.item)).and_then(|s| s.truth) {
            errors.push((item.model.elasticity().beta - truth.elasticity).abs());
        }
    }
    let elasticity_mae = errors.iter().sum::<f64>() / errors.len().max(1) as f64;
    let gamma = if config.dispersion.is_finite() {
        Some(
            Gamma::new(config.dispersion, 1.0 / config.dispersion)
                .map_err(|_| PricingError::InvalidInput("dispersion"))?,
        )
    } else {
        None
    };

    let mut fixed = Vec::new();
    let mut optimised = Vec::new();
    let mut oracle = Vec::new();
    let mut slot_hours = 0;
    for (index, series) in held_out.series.iter().enumerate() {
        let missing = || PricingError::MissingTruth { machine: series.machine, slot: series.slot };
        let truth = series.truth.ok_or_else(missing)?;
        let (item, group) =
            items.iter().find_map(|d| d.group_of(series.machine, series.slot).map(|g| (d, g))).ok_or_else(missing)?;
        let list = truth.reference_price;
        let band = PriceBand::around(list, settings.band.0, settings.band.1);
        let cost = settings.unit_cost_ratio * list;
        let start_stock = series.hours.first().and_then(|h| h.stock).unwrap_or(truth.capacity);
        let restock = u64::from(truth.restock_interval_hours);
        let next_restock = |t: u64| {
            if t < truth.first_restock {
                truth.first_restock
            } else {
                t + restock - (t - truth.first_restock) % restock
            }
        };
        let is_restock = |t: u64| t >= truth.first_restock && (t - truth.first_restock).is_multiple_of(restock);
        let model_reference = item.model.reference_price(group)?;
        slot_hours += series.len();

        let replay = |policy: &mut dyn FnMut(u64, u32) -> Result<f64, PricingError>| -> Result<Replay, PricingError> {
            let mut stock = start_stock;
            let mut out = Replay { units: 0, revenue: 0.0, profit: 0.0, stockouts: 0, wasted: 0, list_revenue: 0.0 };
            for h in &series.hours {
                if is_restock(h.t) {
                    if truth.perishable {
                        // Fresh food left at the restock is discarded: its cost is lost.
                        out.wasted += u64::from(stock);
                        out.profit -= cost * f64::from(stock);
                    }
                    stock = truth.capacity;
                }
                let price = policy(h.t, stock)?;
                let rate = true_rate(config, series, h.t, price, h.promo).ok_or_else(missing)?;
                // The same noise for both policies: one stream per (seed, series, hour).
                let mut rng = StdRng::seed_from_u64(
                    settings.seed
                        ^ (index as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
                        ^ h.t.wrapping_mul(0xD1B5_4A32_D192_ED03),
                );
                let noisy = gamma.as_ref().map_or(rate, |g| rate * g.sample(&mut rng));
                let demand = if noisy > 0.0 {
                    Poisson::new(noisy).map_err(|_| PricingError::InvalidInput("demand rate"))?.sample(&mut rng) as u32
                } else {
                    0
                };
                let sold = demand.min(stock);
                if demand > stock {
                    out.stockouts += 1;
                }
                stock -= sold;
                out.units += u64::from(sold);
                out.revenue += price * f64::from(sold);
                out.profit += (price - cost) * f64::from(sold);
                out.list_revenue += list * f64::from(sold);
            }
            Ok(out)
        };
        // Forecasts at the reference price for every hour a decision can look at (held-out hours plus one
        // restock interval), computed once: the model's for the optimised policy, the truth's (promotions
        // included) for the oracle.
        let first = series.first_hour().unwrap_or(0);
        let span = first..first + series.len() as u64 + restock;
        let model_forecast =
            span.clone().map(|u| item.model.rate(group, u, model_reference)).collect::<Result<Vec<f64>, _>>()?;
        let promo_at: BTreeMap<u64, bool> = series.hours.iter().map(|h| (h.t, h.promo)).collect();
        let true_forecast = span
            .map(|u| true_rate(config, series, u, list, promo_at.get(&u).copied().unwrap_or(false)))
            .collect::<Option<Vec<f64>>>()
            .ok_or_else(missing)?;
        let window = |t: u64| ((t - first) as usize, (next_restock(t) - first) as usize);
        let decide = |forecast: &[f64], elasticity: f64, reference_price: f64, t: u64, stock: u32| {
            let (from, to) = window(t);
            let decision = optimal_price(&PricingInput {
                elasticity,
                reference_price,
                forecast: &forecast[from..to],
                unit_cost: cost,
                band,
                stock,
                // Perishable stock is discarded at the restock: it expires at the end of the window.
                expires_in_hours: truth.perishable.then_some(to - from),
            })?;
            Ok(decision.price)
        };
        let beta = item.model.elasticity().beta;
        fixed.push(replay(&mut |_, _| Ok(list))?);
        optimised.push(replay(&mut |t, stock| decide(&model_forecast, beta, model_reference, t, stock))?);
        oracle.push(replay(&mut |t, stock| decide(&true_forecast, truth.elasticity, list, t, stock))?);
    }
    let total = |runs: &[Replay]| {
        let units: u64 = runs.iter().map(|r| r.units).sum();
        let revenue: f64 = runs.iter().map(|r| r.revenue).sum();
        let list_revenue: f64 = runs.iter().map(|r| r.list_revenue).sum();
        PolicyOutcome {
            units,
            revenue,
            profit: runs.iter().map(|r| r.profit).sum(),
            stockout_hours: runs.iter().map(|r| r.stockouts).sum(),
            wasted: runs.iter().map(|r| r.wasted).sum(),
            mean_price_ratio: if list_revenue > 0.0 { revenue / list_revenue } else { 1.0 },
        }
    };
    let (fixed, optimised, oracle) = (total(&fixed), total(&optimised), total(&oracle));
    Ok(PolicyComparison {
        oracle_profit_uplift: (oracle.profit - fixed.profit) / fixed.profit,
        oracle,
        revenue_uplift: (optimised.revenue - fixed.revenue) / fixed.revenue,
        profit_uplift: (optimised.profit - fixed.profit) / fixed.profit,
        fixed,
        optimised,
        elasticity_mae,
        slot_hours,
    })
}
