//! Hourly sales per machine and slot: a seeded synthetic demand generator with a documented structure, and
//! real history read from CSV or built from sale records (e.g. the Storefront's settled orders).
//!
//! # Time
//!
//! Time is counted in whole UTC hours since the Unix epoch (`unix_hour = timestamp / 3600`). The hour of the
//! week, [`hour_of_week`], is `0` on Monday 00:00–01:00 UTC and `167` on Sunday 23:00–24:00 UTC (1970-01-01 was
//! a Thursday, so `hour_of_week(h) = (h + 72) mod 168`).
//!
//! # The synthetic generator
//!
//! [`generate`] draws a [`Dataset`] from a [`DemandConfig`]; the same configuration (including `seed`) always
//! gives the same data. All "uniform in `(a, b)`" draws below are independent draws from `U[a, b]`.
//!
//! **Catalogue.** `items` products; product `i` has a reference price `p̄_i ~ U(reference_price)` and a
//! constant price elasticity `ε_i ~ U(elasticity)` (negative: demand falls as price rises), and is perishable
//! (fresh food) with probability `perishable_share` (drawn from a stream of its own, so the share changes no
//! other draw): whatever is left of a perishable product in a slot at its restock is discarded and replaced.
//! Sales do not depend on it (the slot is refilled to its capacity either way); what is lost does.
//!
//! **Machines.** Machine `m` (numbered `0..machines`) stands at location `locations[m mod len]`
//! ([`Location`]: office, station, school or gym), which fixes its daily and weekly profile, and is restocked
//! every `R = restock_interval_hours` hours, first at a machine-specific hour `o_m ~ U{5, …, 9}` (05:00–09:00
//! UTC on the first day), then at `o_m + kR`.
//!
//! **Slots.** Each machine has `slots_per_machine` slots; slot `s` of machine `m` sells product
//! `i ~ U{0, …, items − 1}` and has a base rate `r ~ U(base_rate)` (mean units per hour over a week at the
//! reference price, without trend or promotion), a weekly trend `g ~ U(trend_per_week)` and a capacity
//! `C = max(1, round(c · r · R))` with cover `c ~ U(capacity_cover)`: a slot with cover below 1 runs empty before
//! its restock in an average week.
//!
//! **Seasonality.** With `d_L(h)` the daily profile of location `L` at hour of day `h` and `w_L(k)` its weekly
//! profile on day of week `k` (Monday = 0), both documented on [`Location::daily_profile`] and
//! [`Location::weekly_profile`], the seasonal factor at hour of week `u = 24k + h` is
//!
//! ```text
//! s_L(u) = d_L(h) · w_L(k) / ( (1/168) · Σ_{u'} d_L(h') · w_L(k') )        (mean 1 over the week)
//! ```
//!
//! **Prices.** Each slot-day (24 hours from 00:00 UTC) is, with probability `price_experiment_rate`, a price
//! experiment: the price for the whole day is `p̄_i · ℓ` with `ℓ` drawn uniformly from `price_levels`;
//! otherwise the price is `p̄_i`. The experiments are independent of demand, so the elasticity is identifiable
//! by regression of log sales on log price with hour-of-week effects.
//!
//! **Promotions.** Each slot-day starts, with probability `promo_rate`, a promotion (an on-screen display, not a
//! price cut) at an hour drawn from `U{7, …, 17}` lasting `promo_hours` hours (it may run past midnight);
//! during a promotion demand is multiplied by `promo_lift`.
//!
//! **Demand.** At hour `t` (counted from the first generated hour, `τ = t / 168` weeks):
//!
//! ```text
//! λ_t = r · s_L(u_t) · exp(g · τ) · (p_t / p̄_i)^ε_i · (promo_t ? promo_lift : 1)
//! G_t ~ Gamma(shape k, scale 1/k)                 (mean 1, variance 1/k; k = dispersion)
//! D_t ~ Poisson(λ_t · G_t)                        (negative binomial: mean λ_t, variance λ_t + λ_t²/k)
//! ```
//!
//! With `dispersion = ∞` the gamma factor is 1 and demand is Poisson. `D_t` is the true demand
//! ([`HourObs::demand`]).
//!
//! **Stock and censoring.** The slot starts full (`X_0 = C`). At a restock hour the slot is refilled to `C`
//! before that hour's sales. Sales are censored by stock: `S_t = min(D_t, X_t)`, `X_{t+1} = X_t − S_t`.
//! [`HourObs::stock_out`] is `D_t > X_t` (some demand went unserved); [`HourObs::units_sold`] is `S_t`, the only
//! quantity a real machine records.
//!
//! **Held-out period.** [`Dataset::split`] cuts the last hours of every series off as an evaluation period
//! that models must not see.
//!
//! # Real history
//!
//! [`parse_csv`] reads `timestamp,machine,slot,units,price` rows (a header line first; columns in any order,
//! extra columns ignored; `timestamp` in Unix seconds) into [`SalesRecord`]s, rejecting a bad row with its
//! line number ([`DataError::BadRow`]). [`to_hourly`] (or [`Dataset::from_records`]) turns records — from CSV or
//! from chain events — into one hourly [`Series`] per `(machine, slot)`:
//!
//! - rows may come in any order; they are bucketed by `unix_hour = timestamp / 3600`;
//! - several rows for the same `(machine, slot, hour)` (individual orders, or duplicates) are **summed**: every
//!   row is a sale, so an hourly export must not repeat an hour;
//! - every series spans the same hours, from the first to the last hour present in any record, and hours
//!   without a row are zero sales;
//! - the price of an hour is the unit-weighted mean price of its rows (the plain mean if all rows have zero
//!   units); an hour without rows carries the previous hour's price forward (the first observed price
//!   backward, for leading hours);
//! - true demand, stock and stock-outs are unknown (`None` / `false`).

use std::collections::BTreeMap;
use std::io::{Read, Write};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, Gamma, Poisson};
use serde::{Deserialize, Serialize};

/// Hours in a day: the short seasonal period.
pub const HOURS_PER_DAY: usize = 24;
/// Hours in a week: the long seasonal period.
pub const HOURS_PER_WEEK: usize = 168;
/// Monday 2024-01-01 00:00:00 UTC, the default start of generated data.
pub const DEFAULT_START: u64 = 1_704_067_200;

/// The hour of the week of a Unix hour: 0 on Monday 00:00 UTC, 167 on Sunday 23:00 UTC.
#[must_use]
pub fn hour_of_week(unix_hour: u64) -> usize {
    // 1970-01-01 00:00 UTC was a Thursday: 3 days (72 hours) after a Monday 00:00.
    ((unix_hour + 72) % HOURS_PER_WEEK as u64) as usize
}

/// Errors reading sales history or generating data.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// A CSV row (or the header) that cannot be read; `line` is 1-based, the header being line 1.
    #[error("line {line}: {reason}")]
    BadRow {
        /// 1-based line number in the input.
        line: u64,
        /// What is wrong with the row.
        reason: String,
    },
    /// The CSV header lacks a required column.
    #[error("line 1: missing column `{column}` (the header must name timestamp,machine,slot,units,price)")]
    MissingColumn {
        /// The missing column's name.
        column: &'static str,
    },
    /// Reading or writing CSV failed outside any row.
    #[error("CSV: {0}")]
    Csv(#[from] csv::Error),
    /// Reading the input failed.
    #[error("reading sales history: {0}")]
    Io(#[from] std::io::Error),
    /// A [`DemandConfig`] that cannot generate data.
    #[error("invalid demand configuration: {reason}")]
    InvalidConfig {
        /// Which setting is wrong and why.
        reason: String,
    },
    /// A held-out period that leaves no history (or holds out nothing).
    #[error("cannot hold out {held_out} of {len} hours: need 0 < held_out < len")]
    BadSplit {
        /// Hours asked to hold out.
        held_out: usize,
        /// Hours in the shortest series.
        len: usize,
    },
}

/// A location type: where a machine stands fixes the shape of its demand over the day and the week.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Location {
    /// Office building: weekday peaks at 08–09, lunch and mid-afternoon; weekends nearly dead.
    Office,
    /// Railway station: commuter peaks at 07–09 and 17–19, traffic into the night; weekends ~70 %.
    Station,
    /// School: mornings and lunch break on weekdays only.
    School,
    /// Gym: early morning and evening peaks; busy on weekends too.
    Gym,
}

impl Location {
    /// All location types, in the order machines are assigned to them by default.
    pub const ALL: [Self; 4] = [Self::Office, Self::Station, Self::School, Self::Gym];

    /// The relative demand at each hour of the day (index 0 = 00:00–01:00 UTC), before normalisation.
    #[must_use]
    pub const fn daily_profile(self) -> [f64; HOURS_PER_DAY] {
        match self {
            Self::Office => [
                0.02, 0.02, 0.02, 0.02, 0.02, 0.05, 0.15, 0.6, 1.6, 1.4, 1.0, 1.2, //
                1.9, 1.6, 1.0, 1.3, 1.2, 0.8, 0.4, 0.2, 0.1, 0.05, 0.03, 0.02,
            ],
            Self::Station => [
                0.15, 0.08, 0.05, 0.05, 0.1, 0.35, 0.9, 1.8, 2.0, 1.2, 0.8, 0.8, //
                1.0, 0.9, 0.8, 0.9, 1.3, 1.9, 1.8, 1.1, 0.8, 0.6, 0.45, 0.3,
            ],
            Self::School => [
                0.01, 0.01, 0.01, 0.01, 0.01, 0.01, 0.05, 0.5, 1.2, 1.0, 2.0, 1.1, //
                2.2, 1.4, 0.9, 0.8, 0.4, 0.15, 0.05, 0.02, 0.01, 0.01, 0.01, 0.01,
            ],
            Self::Gym => [
                0.02, 0.01, 0.01, 0.01, 0.05, 0.5, 1.4, 1.5, 1.0, 0.7, 0.6, 0.7, //
                0.9, 0.7, 0.6, 0.7, 1.0, 1.6, 1.9, 1.8, 1.3, 0.7, 0.3, 0.08,
            ],
        }
    }

    /// The relative demand on each day of the week (index 0 = Monday), before normalisation.
    #[must_use]
    pub const fn weekly_profile(self) -> [f64; 7] {
        match self {
            Self::Office => [1.0, 1.05, 1.05, 1.0, 0.85, 0.12, 0.08],
            Self::Station => [1.0, 1.0, 1.0, 1.05, 1.15, 0.75, 0.6],
            Self::School => [1.0, 1.0, 0.9, 1.0, 0.9, 0.04, 0.02],
            Self::Gym => [1.1, 1.0, 1.05, 1.0, 0.8, 0.95, 0.85],
        }
    }

    /// The seasonal factor `s_L(u)` at hour of week `u` (taken mod 168): the product of the daily and weekly
    /// profiles, normalised to mean 1 over the week.
    #[must_use]
    pub fn seasonal_factor(self, hour_of_week: usize) -> f64 {
        let daily = self.daily_profile();
        let weekly = self.weekly_profile();
        let mean = daily.iter().sum::<f64>() * weekly.iter().sum::<f64>() / HOURS_PER_WEEK as f64;
        let u = hour_of_week % HOURS_PER_WEEK;
        daily[u % HOURS_PER_DAY] * weekly[u / HOURS_PER_DAY] / mean
    }
}

/// The settings of the synthetic demand generator; see the [module docs](self) for the model.
///
/// Pairs `(a, b)` are the bounds of uniform draws (`a ≤ b`; `a == b` fixes the value).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DemandConfig {
    /// Seed of the random number generator: same config, same data.
    pub seed: u64,
    /// Number of machines (numbered `0..machines`).
    pub machines: u32,
    /// Slots per machine (numbered `0..slots_per_machine`).
    pub slots_per_machine: u16,
    /// Hours to generate per series.
    pub hours: usize,
    /// Unix timestamp of the first hour (truncated to the hour).
    pub start: u64,
    /// Location types, assigned to machines round robin (`locations[m mod len]`).
    pub locations: Vec<Location>,
    /// Products in the catalogue.
    pub items: u32,
    /// Bounds of a product's reference price (currency units).
    pub reference_price: (f64, f64),
    /// Bounds of a product's price elasticity (negative).
    pub elasticity: (f64, f64),
    /// Bounds of a slot's base rate: mean demand per hour over a week at the reference price.
    pub base_rate: (f64, f64),
    /// Bounds of a slot's log-linear trend per week (`0.01` ≈ +1 % a week).
    pub trend_per_week: (f64, f64),
    /// Probability that a slot-day is a price experiment.
    pub price_experiment_rate: f64,
    /// Price multipliers a price experiment draws from (uniformly).
    pub price_levels: Vec<f64>,
    /// Probability that a promotion starts on a slot-day.
    pub promo_rate: f64,
    /// Length of a promotion in hours.
    pub promo_hours: u32,
    /// Demand multiplier during a promotion.
    pub promo_lift: f64,
    /// Gamma-Poisson dispersion `k` (variance `λ + λ²/k`); `f64::INFINITY` for Poisson demand.
    pub dispersion: f64,
    /// Hours between restocks (the same for every machine).
    pub restock_interval_hours: u32,
    /// Bounds of a slot's capacity cover: capacity ÷ mean demand between restocks.
    pub capacity_cover: (f64, f64),
    /// Probability that a product is perishable (fresh food: whatever is left at a restock is discarded).
    #[serde(default)]
    pub perishable_share: f64,
}

impl Default for DemandConfig {
    /// Four machines (one per location type) with six slots, twelve weeks of hourly data, busy slots
    /// (0.5–3 units an hour), moderate noise, occasional promotions and price experiments, restocks every
    /// three days with some slots sized too small, and products perishable with probability 0.3 (fresh food).
    fn default() -> Self {
        Self {
            seed: 0,
            machines: 4,
            slots_per_machine: 6,
            hours: 12 * HOURS_PER_WEEK,
            start: DEFAULT_START,
            locations: Location::ALL.to_vec(),
            items: 10,
            reference_price: (1.0, 4.0),
            elasticity: (-2.5, -0.5),
            base_rate: (0.5, 3.0),
            trend_per_week: (-0.01, 0.02),
            price_experiment_rate: 0.15,
            price_levels: vec![0.8, 0.9, 1.1, 1.2],
            promo_rate: 0.05,
            promo_hours: 4,
            promo_lift: 1.6,
            dispersion: 8.0,
            restock_interval_hours: 72,
            capacity_cover: (0.9, 2.0),
            perishable_share: 0.3,
        }
    }
}

impl DemandConfig {
    fn validate(&self) -> Result<(), DataError> {
        let bad = |reason: String| Err(DataError::InvalidConfig { reason });
        let ranges = [
            ("reference_price", self.reference_price),
            ("elasticity", self.elasticity),
            ("base_rate", self.base_rate),
            ("trend_per_week", self.trend_per_week),
            ("capacity_cover", self.capacity_cover),
        ];
        for (name, (a, b)) in ranges {
            if !(a.is_finite() && b.is_finite() && a <= b) {
                return bad(format!("{name} = ({a}, {b}) is not a finite range with low ≤ high"));
            }
        }
        if self.reference_price.0 <= 0.0 {
            return bad("reference prices must be positive".into());
        }
        if self.base_rate.0 < 0.0 || self.capacity_cover.0 <= 0.0 {
            return bad("base rates must be ≥ 0 and capacity cover > 0".into());
        }
        if self.machines == 0 || self.slots_per_machine == 0 || self.hours == 0 || self.items == 0 {
            return bad("machines, slots_per_machine, hours and items must be positive".into());
        }
        if self.locations.is_empty() {
            return bad("locations is empty".into());
        }
        for (name, p) in [
            ("price_experiment_rate", self.price_experiment_rate),
            ("promo_rate", self.promo_rate),
            ("perishable_share", self.perishable_share),
        ] {
            if !(0.0..=1.0).contains(&p) {
                return bad(format!("{name} = {p} is not a probability"));
            }
        }
        if self.price_experiment_rate > 0.0 && self.price_levels.is_empty() {
            return bad("price experiments need price_levels".into());
        }
        if self.price_levels.iter().any(|l| !(l.is_finite() && *l > 0.0)) {
            return bad("price levels must be positive".into());
        }
        if !(self.promo_lift.is_finite() && self.promo_lift > 0.0) {
            return bad(format!("promo_lift = {} must be positive", self.promo_lift));
        }
        if self.dispersion.is_nan() || self.dispersion <= 0.0 {
            return bad(format!("dispersion = {} must be positive (or infinite)", self.dispersion));
        }
        if self.restock_interval_hours == 0 {
            return bad("restock_interval_hours must be positive".into());
        }
        Ok(())
    }
}

/// A product of the synthetic catalogue, with its true demand parameters.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Item {
    /// Product id (index in [`Dataset::items`]).
    pub id: u32,
    /// Reference price `p̄` (currency units).
    pub reference_price: f64,
    /// True constant price elasticity `ε` (negative).
    pub elasticity: f64,
    /// Fresh food: the units left in a slot at its restock are discarded and replaced.
    #[serde(default)]
    pub perishable: bool,
}

/// The true parameters a synthetic series was drawn with (absent for real history).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SeriesTruth {
    /// Base rate `r`: mean demand per hour over a week at the reference price.
    pub base_rate: f64,
    /// Weekly log-trend `g`.
    pub trend_per_week: f64,
    /// The product's reference price `p̄`.
    pub reference_price: f64,
    /// The product's price elasticity `ε`.
    pub elasticity: f64,
    /// Slot capacity `C`.
    pub capacity: u32,
    /// Hours between restocks `R`.
    pub restock_interval_hours: u32,
    /// Unix hour of the first restock after the start.
    pub first_restock: u64,
    /// Whether the product is perishable (units left at a restock are discarded).
    #[serde(default)]
    pub perishable: bool,
}

/// One hour of one slot.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct HourObs {
    /// Unix hour (`timestamp / 3600`) this observation covers.
    pub t: u64,
    /// Units sold in the hour (censored by stock).
    pub units_sold: u32,
    /// True (uncensored) demand; `None` for real history, where it is unobserved.
    pub demand: Option<u32>,
    /// Price per unit during the hour (currency units).
    pub price: f64,
    /// Whether a promotion ran during the hour (always `false` for real history).
    pub promo: bool,
    /// Whether demand exceeded the stock, so that sales understate demand (always `false` for real history).
    pub stock_out: bool,
    /// Units in the slot at the start of the hour, after any restock; `None` for real history.
    pub stock: Option<u32>,
}

impl HourObs {
    /// Unix timestamp (seconds) of the start of the hour.
    #[must_use]
    pub const fn timestamp(&self) -> u64 {
        self.t * 3600
    }
}

/// The hourly history of one slot of one machine; consecutive hours, none missing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Series {
    /// Machine id.
    pub machine: u64,
    /// Slot number within the machine.
    pub slot: u16,
    /// Product sold in the slot (`None` for real history).
    pub item: Option<u32>,
    /// Location type of the machine (`None` for real history).
    pub location: Option<Location>,
    /// True generating parameters (`None` for real history).
    pub truth: Option<SeriesTruth>,
    /// Consecutive hours, oldest first.
    pub hours: Vec<HourObs>,
}

impl Series {
    /// Number of hours.
    #[must_use]
    pub fn len(&self) -> usize {
        self.hours.len()
    }

    /// Whether the series has no hours.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.hours.is_empty()
    }

    /// Units sold per hour, as `f64` (what models learn from).
    #[must_use]
    pub fn units_sold(&self) -> Vec<f64> {
        self.hours.iter().map(|h| f64::from(h.units_sold)).collect()
    }

    /// True demand per hour, if known for every hour.
    #[must_use]
    pub fn demand(&self) -> Option<Vec<f64>> {
        self.hours.iter().map(|h| h.demand.map(f64::from)).collect()
    }

    /// Price per hour.
    #[must_use]
    pub fn prices(&self) -> Vec<f64> {
        self.hours.iter().map(|h| h.price).collect()
    }

    /// Unix hour of the first observation, if any.
    #[must_use]
    pub fn first_hour(&self) -> Option<u64> {
        self.hours.first().map(|h| h.t)
    }

    /// The series cut in two at `at` hours: `(first at hours, the rest)` (`at` is clamped to the length).
    #[must_use]
    pub fn split_at(&self, at: usize) -> (Self, Self) {
        let at = at.min(self.hours.len());
        let (head, tail) = self.hours.split_at(at);
        let with = |hours: &[HourObs]| Self { hours: hours.to_vec(), ..self.clone() };
        (with(head), with(tail))
    }
}

/// Hourly series for a set of slots, with the product catalogue when synthetic.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dataset {
    /// The synthetic catalogue with true parameters (empty for real history).
    pub items: Vec<Item>,
    /// One series per (machine, slot), sorted by machine then slot.
    pub series: Vec<Series>,
}

impl Dataset {
    /// Builds hourly series from sale records; see [`to_hourly`].
    #[must_use]
    pub fn from_records(records: &[SalesRecord]) -> Self {
        Self { items: Vec::new(), series: to_hourly(records) }
    }

    /// Splits every series into `(history, held_out)`, the held-out part being its last `held_out_hours`
    /// hours.
    ///
    /// # Errors
    ///
    /// [`DataError::BadSplit`] unless `0 < held_out_hours <` the length of the shortest series.
    pub fn split(&self, held_out_hours: usize) -> Result<(Self, Self), DataError> {
        let len = self.series.iter().map(Series::len).min().unwrap_or(0);
        if held_out_hours == 0 || held_out_hours >= len {
            return Err(DataError::BadSplit { held_out: held_out_hours, len });
        }
        let (train, test) =
            self.series.iter().map(|s| s.split_at(s.len() - held_out_hours)).unzip::<_, _, Vec<_>, Vec<_>>();
        Ok((Self { items: self.items.clone(), series: train }, Self { items: self.items.clone(), series: test }))
    }

    /// One [`SalesRecord`] per series and hour (hours without sales included, with `units = 0`), in time
    /// order then machine and slot: the inverse of [`Dataset::from_records`] up to the unknown truth.
    #[must_use]
    pub fn to_records(&self) -> Vec<SalesRecord> {
        let mut records: Vec<SalesRecord> = self
            .series
            .iter()
            .flat_map(|s| {
                s.hours.iter().map(move |h| SalesRecord {
                    timestamp: h.timestamp(),
                    machine: s.machine,
                    slot: s.slot,
                    units: h.units_sold,
                    price: h.price,
                })
            })
            .collect();
        records.sort_by_key(|r| (r.timestamp, r.machine, r.slot));
        records
    }
}

/// Generates a synthetic dataset; see the [module docs](self) for the model.
///
/// # Errors
///
/// [`DataError::InvalidConfig`] if a setting is out of range.
pub fn generate(config: &DemandConfig) -> Result<Dataset, DataError> {
    config.validate()?;
    let mut rng = StdRng::seed_from_u64(config.seed);
    // Perishability comes from its own stream, so adding it left every other draw of a seed unchanged.
    let mut fresh = StdRng::seed_from_u64(config.seed ^ 0x6672_6573_685F_666F);
    let items: Vec<Item> = (0..config.items)
        .map(|id| Item {
            id,
            reference_price: uniform(&mut rng, config.reference_price),
            elasticity: uniform(&mut rng, config.elasticity),
            perishable: fresh.random_bool(config.perishable_share),
        })
        .collect();
    let start_hour = config.start / 3600;
    let restock = u64::from(config.restock_interval_hours);
    let mut series = Vec::with_capacity(config.machines as usize * usize::from(config.slots_per_machine));
    for machine in 0..config.machines {
        let location = config.locations[machine as usize % config.locations.len()];
        // First restock at 05:00–09:00 UTC of the first day (or the next day, if the start is later).
        let restock_hour_of_day = rng.random_range(5..=9u64);
        let mut first_restock = start_hour - start_hour % 24 + restock_hour_of_day;
        if first_restock < start_hour {
            first_restock += 24;
        }
        for slot in 0..config.slots_per_machine {
            let item = items[rng.random_range(0..items.len())];
            let base_rate = uniform(&mut rng, config.base_rate);
            let trend = uniform(&mut rng, config.trend_per_week);
            let cover = uniform(&mut rng, config.capacity_cover);
            let capacity = ((cover * base_rate * restock as f64).round() as u32).max(1);
            let truth = SeriesTruth {
                base_rate,
                trend_per_week: trend,
                reference_price: item.reference_price,
                elasticity: item.elasticity,
                capacity,
                restock_interval_hours: config.restock_interval_hours,
                first_restock,
                perishable: item.perishable,
            };
            // Each series has its own stream so that its noise does not depend on the other series.
            let stream = config.seed ^ (u64::from(machine) << 20 | u64::from(slot)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
            let mut noise = StdRng::seed_from_u64(stream);
            let hours = simulate_slot(config, &mut noise, location, &truth, start_hour)?;
            series.push(Series {
                machine: u64::from(machine),
                slot,
                item: Some(item.id),
                location: Some(location),
                truth: Some(truth),
                hours,
            });
        }
    }
    Ok(Dataset { items, series })
}

fn uniform(rng: &mut StdRng, (low, high): (f64, f64)) -> f64 {
    if low < high { rng.random_range(low..=high) } else { low }
}

fn simulate_slot(
    config: &DemandConfig,
    rng: &mut StdRng,
    location: Location,
    truth: &SeriesTruth,
    start_hour: u64,
) -> Result<Vec<HourObs>, DataError> {
    let gamma = if config.dispersion.is_finite() {
        Some(
            Gamma::new(config.dispersion, 1.0 / config.dispersion)
                .map_err(|e| DataError::InvalidConfig { reason: format!("dispersion {}: {e}", config.dispersion) })?,
        )
    } else {
        None
    };
    let restock = u64::from(truth.restock_interval_hours);
    let mut stock = truth.capacity;
    let mut price = truth.reference_price;
    let mut promo_left = 0u32;
    let mut promo_start: Option<u64> = None;
    let mut hours = Vec::with_capacity(config.hours);
    for i in 0..config.hours {
        let t = start_hour + i as u64;
        if t.is_multiple_of(24) || i == 0 {
            // A new day: price experiment and promotion draws.
            price = if rng.random_bool(config.price_experiment_rate) {
                truth.reference_price * config.price_levels[rng.random_range(0..config.price_levels.len())]
            } else {
                truth.reference_price
            };
            if rng.random_bool(config.promo_rate) {
                promo_start = Some(t - t % 24 + rng.random_range(7..=17u64));
            }
        }
        if promo_start == Some(t) {
            promo_left = config.promo_hours;
            promo_start = None;
        }
        let promo = promo_left > 0;
        promo_left = promo_left.saturating_sub(1);
        if t >= truth.first_restock && (t - truth.first_restock).is_multiple_of(restock) {
            stock = truth.capacity;
        }
        let weeks = i as f64 / HOURS_PER_WEEK as f64;
        let mut rate = truth.base_rate
            * location.seasonal_factor(hour_of_week(t))
            * (truth.trend_per_week * weeks).exp()
            * (price / truth.reference_price).powf(truth.elasticity);
        if promo {
            rate *= config.promo_lift;
        }
        if let Some(gamma) = &gamma {
            rate *= gamma.sample(rng);
        }
        let demand = if rate > 0.0 {
            let poisson = Poisson::new(rate)
                .map_err(|e| DataError::InvalidConfig { reason: format!("demand rate {rate}: {e}") })?;
            poisson.sample(rng) as u32
        } else {
            0
        };
        let sold = demand.min(stock);
        hours.push(HourObs {
            t,
            units_sold: sold,
            demand: Some(demand),
            price,
            promo,
            stock_out: demand > stock,
            stock: Some(stock),
        });
        stock -= sold;
    }
    Ok(hours)
}

/// One row of sales history: `units` of a slot's product sold at `price` at `timestamp`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SalesRecord {
    /// Unix timestamp (seconds) of the sale (or of the start of the hour, for hourly exports).
    pub timestamp: u64,
    /// Machine id.
    pub machine: u64,
    /// Slot number within the machine.
    pub slot: u16,
    /// Units sold (0 allowed: an hour without sales).
    pub units: u32,
    /// Price per unit (currency units, finite and ≥ 0).
    pub price: f64,
}

/// The CSV columns, in the order [`write_csv`] writes them.
pub const CSV_COLUMNS: [&str; 5] = ["timestamp", "machine", "slot", "units", "price"];

/// Reads sales history as CSV: a header naming the columns `timestamp,machine,slot,units,price` (any order,
/// case-insensitive, extra columns ignored), then one row per sale or per slot-hour. `timestamp` is Unix
/// seconds, `machine` a non-negative integer, `slot` an integer in `0..=65535`, `units` a non-negative whole
/// number, `price` a finite number ≥ 0. Blank lines are skipped; fields are trimmed. Rows may be in any order.
///
/// # Errors
///
/// [`DataError::MissingColumn`] for a header without a required column, [`DataError::BadRow`] with the 1-based
/// line number (counting blank lines) for a row that is short, has a bad value or is not valid CSV/UTF-8,
/// [`DataError::Io`] if reading fails.
pub fn parse_csv<R: Read>(mut reader: R) -> Result<Vec<SalesRecord>, DataError> {
    let mut input = Vec::new();
    reader.read_to_end(&mut input)?;
    let lines = LineIndex::new(&input);
    let mut csv =
        csv::ReaderBuilder::new().has_headers(true).flexible(true).trim(csv::Trim::All).from_reader(input.as_slice());
    let header = csv.headers().map_err(|e| lines.error(e))?.clone();
    let mut index = [0usize; 5];
    for (slot, column) in index.iter_mut().zip(CSV_COLUMNS) {
        *slot =
            header.iter().position(|h| h.eq_ignore_ascii_case(column)).ok_or(DataError::MissingColumn { column })?;
    }
    let needed = index.iter().max().map_or(0, |m| m + 1);
    let mut records = Vec::new();
    let mut row = csv::StringRecord::new();
    loop {
        match csv.read_record(&mut row) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => return Err(lines.error(e)),
        }
        let line = row.position().map_or(0, |p| lines.line(p.byte()));
        if row.iter().all(str::is_empty) {
            continue;
        }
        if row.len() < needed {
            return Err(DataError::BadRow {
                line,
                reason: format!("expected at least {needed} fields, found {}", row.len()),
            });
        }
        let field = |i: usize| row.get(index[i]).unwrap_or("");
        let bad = |reason: String| DataError::BadRow { line, reason };
        let timestamp = parse_uint(field(0), "timestamp").map_err(bad)?;
        let machine = parse_uint(field(1), "machine").map_err(bad)?;
        let slot = parse_uint(field(2), "slot").map_err(bad)?;
        let slot = u16::try_from(slot).map_err(|_| bad(format!("slot {slot} exceeds 65535")))?;
        let units = parse_uint(field(3), "units").map_err(bad)?;
        let units = u32::try_from(units).map_err(|_| bad(format!("units {units} exceeds {}", u32::MAX)))?;
        let price_text = field(4);
        let price: f64 = price_text.parse().map_err(|_| bad(format!("price `{price_text}` is not a number")))?;
        if !price.is_finite() || price < 0.0 {
            return Err(bad(format!("price {price_text} must be a finite number ≥ 0")));
        }
        records.push(SalesRecord { timestamp, machine, slot, units, price });
    }
    Ok(records)
}

/// Line numbers of byte offsets in the CSV input. The `csv` crate reports a record's position as where it
/// started scanning, before any blank lines it skipped, and does not count those lines; this skips them too.
struct LineIndex<'a> {
    input: &'a [u8],
    newlines: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    fn new(input: &'a [u8]) -> Self {
        Self { input, newlines: input.iter().enumerate().filter(|(_, b)| **b == b'\n').map(|(i, _)| i).collect() }
    }

    /// The 1-based line of the first byte at or after `byte` that is not a line break.
    fn line(&self, byte: u64) -> u64 {
        let mut at = usize::try_from(byte).unwrap_or(usize::MAX).min(self.input.len());
        while at < self.input.len() && matches!(self.input[at], b'\n' | b'\r') {
            at += 1;
        }
        self.newlines.partition_point(|&n| n < at) as u64 + 1
    }

    fn error(&self, e: csv::Error) -> DataError {
        match e.position() {
            Some(p) => DataError::BadRow { line: self.line(p.byte()), reason: e.to_string() },
            None => DataError::Csv(e),
        }
    }
}

fn parse_uint(text: &str, name: &str) -> Result<u64, String> {
    if text.is_empty() {
        return Err(format!("empty `{name}`"));
    }
    if let Ok(value) = text.parse::<u64>() {
        return Ok(value);
    }
    match text.parse::<f64>() {
        Ok(v) if v < 0.0 => Err(format!("negative {name} `{text}`")),
        Ok(v) if v.fract() != 0.0 => Err(format!("{name} `{text}` is not a whole number")),
        Ok(_) => Err(format!("{name} `{text}` is out of range")),
        Err(_) => Err(format!("{name} `{text}` is not a number")),
    }
}

/// Writes records as CSV with the header `timestamp,machine,slot,units,price` (readable by [`parse_csv`]).
///
/// # Errors
///
/// [`DataError::Csv`] if writing fails.
pub fn write_csv<W: Write>(records: &[SalesRecord], writer: W) -> Result<(), DataError> {
    let mut csv = csv::Writer::from_writer(writer);
    csv.write_record(CSV_COLUMNS)?;
    for r in records {
        csv.write_record([
            r.timestamp.to_string(),
            r.machine.to_string(),
            r.slot.to_string(),
            r.units.to_string(),
            r.price.to_string(),
        ])?;
    }
    csv.flush().map_err(csv::Error::from)?;
    Ok(())
}

/// Groups sale records into one hourly [`Series`] per `(machine, slot)`, sorted by machine then slot; the
/// rules (ordering, summing, common span, zero-filled hours, prices) are in the [module docs](self#real-history).
/// No records give no series.
#[must_use]
pub fn to_hourly(records: &[SalesRecord]) -> Vec<Series> {
    let (Some(first), Some(last)) =
        (records.iter().map(|r| r.timestamp / 3600).min(), records.iter().map(|r| r.timestamp / 3600).max())
    else {
        return Vec::new();
    };
    let len = (last - first + 1) as usize;
    let mut cells: BTreeMap<(u64, u16), Vec<HourCell>> = BTreeMap::new();
    for r in records {
        let hours = cells.entry((r.machine, r.slot)).or_insert_with(|| vec![HourCell::default(); len]);
        let cell = &mut hours[(r.timestamp / 3600 - first) as usize];
        cell.units += u64::from(r.units);
        cell.revenue += f64::from(r.units) * r.price;
        cell.price_sum += r.price;
        cell.same_price = match (cell.rows, cell.same_price) {
            (0, _) => Some(r.price),
            (_, Some(p)) if p == r.price => Some(p),
            _ => None,
        };
        cell.rows += 1;
    }
    cells
        .into_iter()
        .map(|((machine, slot), cells)| {
            let mut price = cells.iter().find_map(HourCell::price).unwrap_or(0.0);
            let hours = cells
                .iter()
                .enumerate()
                .map(|(i, cell)| {
                    if let Some(p) = cell.price() {
                        price = p;
                    }
                    HourObs {
                        t: first + i as u64,
                        units_sold: u32::try_from(cell.units).unwrap_or(u32::MAX),
                        demand: None,
                        price,
                        promo: false,
                        stock_out: false,
                        stock: None,
                    }
                })
                .collect();
            Series { machine, slot, item: None, location: None, truth: None, hours }
        })
        .collect()
}

/// The rows of one (machine, slot, hour) in [`to_hourly`].
#[derive(Debug, Clone, Copy, Default)]
struct HourCell {
    units: u64,
    /// Σ units · price.
    revenue: f64,
    /// Σ price.
    price_sum: f64,
    rows: u32,
    /// The price of every row, if they agree.
    same_price: Option<f64>,
}

impl HourCell {
    /// The rows' common price, else the unit-weighted mean price (the plain mean if no units); `None` without rows.
    fn price(&self) -> Option<f64> {
        if self.same_price.is_some() {
            return self.same_price;
        }
        (self.rows > 0).then(|| {
            if self.units > 0 { self.revenue / self.units as f64 } else { self.price_sum / f64::from(self.rows) }
        })
    }
}
