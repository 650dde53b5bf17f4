//! What a daemon observes: every feed's value now, computed from the chain's own sales history.
//!
//! [`Observer::refresh`] syncs the [`ChainHistory`] of the Storefront, then computes, per feed:
//!
//! - **price** ([`FeedKind::Price`]): [`model_price`] — the item's demand model fitted on the hourly sales of
//!   every slot selling it, the slot's stock and governance band (`minPrice`, `maxPrice`) read from the
//!   registry, a planning horizon of one restock interval and a unit cost of `unit_cost_ratio` × the model's
//!   reference price; in token units (the token's decimals);
//! - **forecast** ([`FeedKind::Forecast`]): the expected units over the next `forecast_hours` hours by
//!   [`MstlEts`] (daily and weekly seasons, AutoETS trend) on the slot's hourly sales, in
//!   [`VALUE_DECIMALS`] decimals;
//! - **risk** ([`FeedKind::Risk`]): the probability that a purchase from the slot at its reference price fails,
//!   by the logistic [`RiskModel`] fitted on every settled order of the Storefront; while the history holds
//!   only one outcome (no failure yet, say) no logistic model exists and the machine's smoothed failure rate
//!   ([`failure_rate`](crate::history::failure_rate)) stands in; in [`VALUE_DECIMALS`] decimals.
//!
//! A feed whose model cannot produce a value (too little history, no price variation yet) has no value: the
//! node then declines to sign for it, rather than sign a guess.

use std::{
    collections::BTreeMap,
    sync::{Arc, RwLock},
};

use alloy_primitives::{B256, I256};
use automat_chain::{ChainClient, ChainClientExt};
use automat_contracts::{
    oracle::FeedKind,
    vending::{MachineRegistry, PaymentToken, SuiteAddresses},
};
use automat_oracle::{
    data::Series,
    forecast::{Forecaster, MstlEts},
    pricing::{ItemDemand, PriceBand, TYPICAL_UNIT_COST_RATIO},
    risk::RiskModel,
};

use crate::{
    FeedSpec, NodeError, Result, SlotState,
    history::{ChainHistory, Outcome, failure_rate},
    observe::{ItemFit, decide_price, fit_each_item},
    to_fixed,
};

/// Decimals of forecast and risk values (`10^6` is one unit, or certainty).
pub const VALUE_DECIMALS: u8 = 6;

/// How the observer turns history into values.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ObserverConfig {
    /// Unit cost as a fraction of the model's reference price.
    pub unit_cost_ratio: f64,
    /// Hours between restocks: the price plans the stock over one interval.
    pub restock_interval_hours: usize,
    /// Hours the demand forecast covers.
    pub forecast_hours: usize,
}

impl Default for ObserverConfig {
    /// Unit cost a third of the reference price ([`TYPICAL_UNIT_COST_RATIO`]), restocks every 72 hours, a
    /// 24-hour forecast.
    fn default() -> Self {
        Self { unit_cost_ratio: TYPICAL_UNIT_COST_RATIO, restock_interval_hours: 72, forecast_hours: 24 }
    }
}

/// Values computed at one refresh, shared with the HTTP service.
pub type SharedValues = Arc<RwLock<BTreeMap<B256, (I256, u64)>>>;

/// Computes every feed's value from the chain's sales history.
#[derive(Debug)]
pub struct Observer {
    history: ChainHistory,
    token_decimals: u8,
    config: ObserverConfig,
    feeds: Vec<FeedSpec>,
    values: SharedValues,
    errors: BTreeMap<B256, String>,
    /// What the last computation saw; the models are refitted only when it changes.
    inputs: Option<Inputs>,
}

/// What the feeds' values depend on: the orders and their outcomes, the hour, and each slot's stock and band.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Inputs {
    orders: usize,
    settled: usize,
    hour: u64,
    slots: Vec<(u32, u128, u128)>,
}

impl Observer {
    /// An observer of `feeds` on the Storefront of `suite`, reading the token's decimals through `client`.
    pub async fn new<C: ChainClient>(
        client: &C,
        suite: SuiteAddresses,
        feeds: Vec<FeedSpec>,
        config: ObserverConfig,
    ) -> Result<Self> {
        let token_decimals = client.call_sol(suite.token, &PaymentToken::decimalsCall {}).await?;
        Ok(Self {
            history: ChainHistory::new(suite, token_decimals),
            token_decimals,
            config,
            feeds,
            values: SharedValues::default(),
            errors: BTreeMap::new(),
            inputs: None,
        })
    }

    /// The feeds observed.
    pub fn feeds(&self) -> &[FeedSpec] {
        &self.feeds
    }

    /// The history read so far.
    pub fn history(&self) -> &ChainHistory {
        &self.history
    }

    /// The values of the last refresh, shared (the HTTP service reads them).
    pub fn values(&self) -> SharedValues {
        Arc::clone(&self.values)
    }

    /// A feed's value at the last refresh and the time it was observed.
    pub fn value(&self, feed: B256) -> Option<(I256, u64)> {
        self.values.read().ok().and_then(|v| v.get(&feed).copied())
    }

    /// Why a feed has no value at the last refresh, if it has none.
    pub fn error(&self, feed: B256) -> Option<&str> {
        self.errors.get(&feed).map(String::as_str)
    }

    /// Syncs the history and recomputes every feed at the latest block's time; returns how many feeds have a
    /// value. While no order, outcome, hour or slot changed, the models are not refitted: the values stand and
    /// only their observation time moves.
    pub async fn refresh<C: ChainClient>(&mut self, client: &C) -> Result<usize> {
        self.history.sync(client).await?;
        let now = client.block_timestamp().await?;
        let mut slots = BTreeMap::new();
        for feed in &self.feeds {
            if let std::collections::btree_map::Entry::Vacant(e) = slots.entry((feed.machine, feed.slot)) {
                let slot = client
                    .call_sol(
                        self.history.suite().registry,
                        &MachineRegistry::slotOfCall { machineId: feed.machine, slot: feed.slot },
                    )
                    .await?;
                e.insert(slot);
            }
        }
        let inputs = Inputs {
            orders: self.history.orders().count(),
            settled: self.history.orders().filter(|o| o.outcome != Outcome::Pending).count(),
            hour: now / 3600,
            slots: slots.values().map(|s| (s.stock, s.minPrice, s.maxPrice)).collect(),
        };
        if self.inputs.as_ref() == Some(&inputs)
            && let Ok(mut shared) = self.values.write()
        {
            for (_, observed_at) in shared.values_mut() {
                *observed_at = now;
            }
            return Ok(shared.len());
        }
        self.inputs = Some(inputs);
        let series = self.history.series(now);
        let fits = fit_each_item(&series);
        let risk_model = RiskModel::fit(&self.history.risk_samples()).ok();
        let mut values = BTreeMap::new();
        self.errors.clear();
        for feed in &self.feeds {
            let slot = &slots[&(feed.machine, feed.slot)];
            let value = match feed.kind {
                FeedKind::Price => self.price(&fits, feed, slot, now),
                FeedKind::Forecast => self.forecast(&series, feed),
                FeedKind::Risk => self.risk(&fits, feed, slot, risk_model.as_ref()),
            };
            match value {
                Ok(v) => {
                    values.insert(feed.id(), (v, now));
                }
                Err(e) => {
                    tracing::debug!(feed = %feed.name, error = %e, "no value");
                    self.errors.insert(feed.id(), e.to_string());
                }
            }
        }
        let count = values.len();
        if let Ok(mut shared) = self.values.write() {
            *shared = values;
        }
        Ok(count)
    }

    fn currency(&self, amount: u128) -> f64 {
        amount as f64 / 10f64.powi(i32::from(self.token_decimals))
    }

    fn price(&self, fits: &[ItemFit], feed: &FeedSpec, slot: &MachineRegistry::Slot, now: u64) -> Result<I256> {
        let band = PriceBand { min: self.currency(slot.minPrice), max: self.currency(slot.maxPrice) };
        let (item, group) = item_of(fits, feed)?;
        let reference = item.model.reference_price(group).map_err(|e| NodeError::Model(e.to_string()))?;
        let state = SlotState {
            band,
            stock: slot.stock,
            hours_to_restock: self.config.restock_interval_hours.max(1),
            unit_cost: self.config.unit_cost_ratio * reference,
            hour: now / 3600,
        };
        let price = decide_price(item, group, &state)?;
        I256::try_from(to_fixed(price, self.token_decimals)?).map_err(|e| NodeError::Model(e.to_string()))
    }

    fn forecast(&self, series: &[Series], feed: &FeedSpec) -> Result<I256> {
        let history = slot_series(series, feed)?;
        let mean = MstlEts::default()
            .forecast(&history.units_sold(), self.config.forecast_hours)
            .map_err(|e| NodeError::Model(e.to_string()))?;
        fixed_value(mean.iter().sum())
    }

    fn risk(
        &self,
        fits: &[ItemFit],
        feed: &FeedSpec,
        slot: &MachineRegistry::Slot,
        model: Option<&RiskModel>,
    ) -> Result<I256> {
        // The purchase scored: the slot's item at its reference price (the band's middle without a model).
        let reference = item_of(fits, feed).ok().and_then(|(item, group)| item.model.reference_price(group).ok());
        let price = reference.unwrap_or_else(|| (self.currency(slot.minPrice) + self.currency(slot.maxPrice)) / 2.0);
        let units = (price * 10f64.powi(i32::from(self.token_decimals))).round().max(0.0) as u128;
        let probability = match model {
            Some(model) => model.predict(&self.history.risk_features_now(feed.machine, units)),
            None => {
                let (failures, outcomes) = self.history.outcomes_of(feed.machine);
                failure_rate(failures, outcomes)
            }
        };
        fixed_value(probability)
    }
}

fn slot_series<'a>(series: &'a [Series], feed: &FeedSpec) -> Result<&'a Series> {
    series
        .iter()
        .find(|s| (s.machine, s.slot) == (feed.machine, feed.slot))
        .ok_or_else(|| NodeError::Model(format!("no sales of machine {} slot {} yet", feed.machine, feed.slot)))
}

/// The fitted model of the item a feed's slot sells, and the slot's group in it.
fn item_of<'a>(fits: &'a [ItemFit], feed: &FeedSpec) -> Result<(&'a ItemDemand, usize)> {
    let key = (feed.machine, feed.slot);
    for fit in fits {
        match fit {
            Ok(item) => {
                if let Some(group) = item.group_of(feed.machine, feed.slot) {
                    return Ok((item, group));
                }
            }
            Err((slots, reason)) if slots.contains(&key) => {
                return Err(NodeError::Model(format!("demand model of machine {} slot {}: {reason}", key.0, key.1)));
            }
            Err(_) => {}
        }
    }
    Err(NodeError::Model(format!("no sales of machine {} slot {} yet", key.0, key.1)))
}

/// A non-negative value in [`VALUE_DECIMALS`] decimals.
fn fixed_value(value: f64) -> Result<I256> {
    let scaled = (value * 10f64.powi(i32::from(VALUE_DECIMALS))).round();
    if !(scaled.is_finite() && scaled >= 0.0 && scaled < i128::MAX as f64) {
        return Err(NodeError::Model(format!("value {value} is not a finite amount ≥ 0")));
    }
    I256::try_from(scaled as i128).map_err(|e| NodeError::Model(e.to_string()))
}
