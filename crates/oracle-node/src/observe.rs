//! What an honest node observes: values computed by the models of `automat-oracle` from a slot's sales history.

use automat_oracle::{
    data::Series,
    pricing::{ItemDemand, PriceBand, PricingInput, fit_items, optimal_price},
};

use crate::{NodeError, Result};

/// What a node knows about a slot besides its history.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SlotState {
    /// The governance band (currency units).
    pub band: PriceBand,
    /// Units left.
    pub stock: u32,
    /// Hours until the next restock.
    pub hours_to_restock: usize,
    /// Cost of one unit (currency units).
    pub unit_cost: f64,
    /// The Unix hour the price is for.
    pub hour: u64,
}

/// The profit-maximising price of `(machine, slot)` now, in currency units: the demand model fitted on the
/// history of every slot selling the same item (pooled elasticity), its expected demand at the reference price
/// until the next restock, and the price decision inside the band, aware of the stock left.
pub fn model_price(history: &[Series], machine: u64, slot: u16, state: &SlotState) -> Result<f64> {
    let items = fit_items(history).map_err(|e| NodeError::Model(e.to_string()))?;
    let (item, group) = items
        .iter()
        .find_map(|d| d.group_of(machine, slot).map(|g| (d, g)))
        .ok_or_else(|| NodeError::Model(format!("no history for machine {machine} slot {slot}")))?;
    decide_price(item, group, state)
}

/// The profit-maximising price of group `group` of a fitted item model now (see [`model_price`]).
pub fn decide_price(item: &ItemDemand, group: usize, state: &SlotState) -> Result<f64> {
    let reference_price = item.model.reference_price(group).map_err(|e| NodeError::Model(e.to_string()))?;
    let forecast = (0..state.hours_to_restock.max(1) as u64)
        .map(|h| item.model.rate(group, state.hour + h, reference_price))
        .collect::<Result<Vec<f64>, _>>()
        .map_err(|e| NodeError::Model(e.to_string()))?;
    let decision = optimal_price(&PricingInput {
        elasticity: item.model.elasticity().beta,
        reference_price,
        forecast: &forecast,
        unit_cost: state.unit_cost,
        band: state.band,
        stock: state.stock,
        expires_in_hours: None,
    })
    .map_err(|e| NodeError::Model(e.to_string()))?;
    Ok(decision.price)
}

/// One item's fit: its model, or the `(machine, slot)`s it covers and why it could not be fitted.
pub type ItemFit = std::result::Result<ItemDemand, (Vec<(u64, u16)>, String)>;

/// Fits one demand model per item, each on its own (one item without price variation yet does not keep the
/// others from a model): series tagged with the same item are pooled, untagged series stand alone.
pub fn fit_each_item(history: &[Series]) -> Vec<ItemFit> {
    let mut groups: std::collections::BTreeMap<Option<u32>, Vec<Series>> = std::collections::BTreeMap::new();
    let mut alone = Vec::new();
    for s in history {
        match s.item {
            Some(item) => groups.entry(Some(item)).or_default().push(s.clone()),
            None => alone.push(vec![s.clone()]),
        }
    }
    groups
        .into_values()
        .chain(alone)
        .map(|members| {
            let slots = members.iter().map(|s| (s.machine, s.slot)).collect::<Vec<_>>();
            match fit_items(&members) {
                Ok(mut fitted) if fitted.len() == 1 => Ok(fitted.remove(0)),
                Ok(_) => Err((slots, "expected one item".to_owned())),
                Err(e) => Err((slots, e.to_string())),
            }
        })
        .collect()
}

/// A price in currency units as the token's fixed point with `decimals` decimals (rounded to the nearest unit).
pub fn to_fixed(price: f64, decimals: u8) -> Result<i128> {
    let scaled = (price * 10f64.powi(i32::from(decimals))).round();
    if !(scaled.is_finite() && scaled > 0.0 && scaled < i128::MAX as f64) {
        return Err(NodeError::Model(format!("price {price} is not a positive finite amount")));
    }
    Ok(scaled as i128)
}
