//! The oracle network's models, pure functions of sales history (no chain, no network):
//!
//! - [`data`]: a seeded synthetic demand generator with a documented structure, and hourly sales read from
//!   CSV (`timestamp,machine,slot,units,price`);
//! - [`metrics`]: forecast errors for intermittent series (WAPE, sMAPE, MASE);
//! - [`forecast`]: seasonal demand forecasts per machine and slot against the seasonal-naive baseline, with
//!   rolling-origin backtests;
//! - [`inventory`]: time to stock-out and reorder points per slot;
//! - [`pricing`]: price elasticity per item and the profit-maximising price inside the governance band, aware
//!   of the stock left before the next restock;
//! - [`risk`]: the probability that a purchase fails or is disputed (logistic regression), for insurance;
//! - [`federated`]: local model updates on each machine's own sales, combined by FedAvg.
#![forbid(unsafe_code)]

pub mod data;
pub mod federated;
pub mod forecast;
pub mod inventory;
pub mod metrics;
pub mod pricing;
pub mod risk;
