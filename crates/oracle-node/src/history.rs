//! Sales history read from the chain: every order the Storefront recorded, with its slot, price, time and
//! outcome, so that the models learn from what machines really sold.
//!
//! [`ChainHistory::sync`] follows the logs of the `Storefront` and its `MachineRegistry` incrementally (in
//! block ranges of at most [`MAX_LOG_RANGE`], so it works against nodes that cap `eth_getLogs`), and reads each
//! new order's record (`orderOf`) once for the time it was created. From that it derives:
//!
//! - [`ChainHistory::sales`]: one [`SalesRecord`] per unit sold (a dispensed order or a settled offline sale) at
//!   the order's creation time and price, in the token's units divided by `10^decimals`; [`ChainHistory::series`]
//!   turns them into hourly series ([`automat_oracle::data::to_hourly`]) tagged with the slot's item (from
//!   `SlotConfigured`), so that the pricing model pools every slot selling the same item;
//! - censoring: a sale that emptied its slot (a `StockChanged(…, 0)` in the same transaction) marks the hours
//!   from that sale until the slot's next sale as stock-outs (the restock's time is not in the logs; the span
//!   is an upper bound, and censored days only leave the elasticity regression);
//! - [`ChainHistory::risk_samples`]: one labelled [`RiskSample`] per settled order (failed = refunded because the
//!   vend failed or the machine never answered, or dispensed but a court upheld the buyer's insurance claim),
//!   with the machine's reputation and failure rate *as they were when the order was placed*.
//!
//! Paid insurance claims come from `IncidentRecorded` events of any emitter, each accepted only when the
//! Storefront names that emitter as the order's insurer (`insurerOf`), so nobody can fake an incident.
//!
//! Orders still in escrow are neither sales nor risk samples until their outcome is on chain.

use std::collections::BTreeMap;

use alloy_primitives::{Address, B256, U256};
use alloy_sol_types::SolEvent;
use automat_chain::{
    ChainClient, ChainClientExt,
    alloy::{Filter, Log},
};
use automat_contracts::insurance::InsurancePool;
use automat_contracts::vending::{MachineRegistry, Storefront, SuiteAddresses};
use automat_oracle::{
    data::{SalesRecord, Series, to_hourly},
    risk::{ChainClass, MAX_REPUTATION, RiskFeatures, RiskSample, Transport},
};

use crate::Result;

/// The widest block range asked of a node in one `eth_getLogs`.
pub const MAX_LOG_RANGE: u64 = 5_000;

/// How an order ended (as far as the chain knows).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Still in escrow.
    Pending,
    /// Dispensed: a sale.
    Dispensed,
    /// An offline sale settled afterwards (a sale).
    Offline,
    /// Refunded because the machine reported a failed vend.
    VendFailed,
    /// Refunded because the machine never answered before the deadline.
    TimedOut,
    /// Dispensed, but the court upheld the buyer's claim on its insurance (goods not received or defective):
    /// a sale for demand, a failure for risk.
    ClaimPaid,
}

impl Outcome {
    /// Whether the order sold a unit.
    pub fn is_sale(self) -> bool {
        matches!(self, Self::Dispensed | Self::Offline | Self::ClaimPaid)
    }

    /// Whether the order failed (the buyer was refunded, or paid by the insurance after a court's ruling).
    pub fn is_failure(self) -> bool {
        matches!(self, Self::VendFailed | Self::TimedOut | Self::ClaimPaid)
    }
}

/// One order as the history knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrderRecord {
    /// The Storefront's order id.
    pub order_id: U256,
    /// The machine.
    pub machine: u64,
    /// The slot.
    pub slot: u16,
    /// The price, in token units.
    pub price: u128,
    /// When the order was created (Unix seconds).
    pub created_at: u64,
    /// How it ended.
    pub outcome: Outcome,
    /// Whether this order took the slot's last unit.
    pub emptied_slot: bool,
    /// The machine's reputation when the order was placed (filled in by [`ChainHistory::sync`]).
    pub reputation: u16,
    /// Position of the order's log on chain: (block, log index).
    position: (u64, u64),
}

/// Position of a log on chain, for ordering.
fn position(log: &Log) -> (u64, u64) {
    (log.block_number.unwrap_or(0), log.log_index.unwrap_or(0))
}

/// A reputation change: where on chain (block, log index), from, to.
type ReputationChange = ((u64, u64), u16, u16);

/// The order and outcome history of one Storefront, followed incrementally.
#[derive(Debug, Clone)]
pub struct ChainHistory {
    suite: SuiteAddresses,
    decimals: u8,
    next_block: u64,
    orders: BTreeMap<U256, OrderRecord>,
    /// Item of each configured slot.
    items: BTreeMap<(u64, u16), u64>,
    /// Reputation changes per machine: (position, previous, current).
    reputation_changes: BTreeMap<u64, Vec<ReputationChange>>,
    /// Current reputation per machine (from the registry, refreshed on sync).
    reputation_now: BTreeMap<u64, u16>,
}

impl ChainHistory {
    /// An empty history of `suite`'s Storefront, whose token has `decimals` decimals (prices in records are
    /// `token units / 10^decimals`).
    pub fn new(suite: SuiteAddresses, decimals: u8) -> Self {
        Self {
            suite,
            decimals,
            next_block: 0,
            orders: BTreeMap::new(),
            items: BTreeMap::new(),
            reputation_changes: BTreeMap::new(),
            reputation_now: BTreeMap::new(),
        }
    }

    /// The suite this history follows.
    pub fn suite(&self) -> &SuiteAddresses {
        &self.suite
    }

    /// Every order seen, by id.
    pub fn orders(&self) -> impl Iterator<Item = &OrderRecord> {
        self.orders.values()
    }

    /// The item configured in a slot, if the history saw it configured.
    pub fn item_of(&self, machine: u64, slot: u16) -> Option<u64> {
        self.items.get(&(machine, slot)).copied()
    }

    /// The block the next [`ChainHistory::sync`] starts from.
    pub fn next_block(&self) -> u64 {
        self.next_block
    }

    /// Reads every log of the Storefront and its registry since the last sync, up to the latest block, and the
    /// records of new orders; returns how many orders are new.
    pub async fn sync<C: ChainClient>(&mut self, client: &C) -> Result<usize> {
        let head = client.block_number().await?;
        let mut new_orders = 0;
        let mut touched_machines = Vec::new();
        while self.next_block <= head {
            let to = head.min(self.next_block.saturating_add(MAX_LOG_RANGE - 1));
            let filter = Filter::new()
                .address(vec![self.suite.storefront, self.suite.registry])
                .from_block(self.next_block)
                .to_block(to);
            let mut logs = client.logs(&filter).await?;
            let incidents = Filter::new()
                .event_signature(InsurancePool::IncidentRecorded::SIGNATURE_HASH)
                .from_block(self.next_block)
                .to_block(to);
            logs.extend(client.logs(&incidents).await?);
            logs.sort_by_key(position);
            new_orders += self.apply(client, &logs, &mut touched_machines).await?;
            self.next_block = to + 1;
        }
        touched_machines.sort_unstable();
        touched_machines.dedup();
        for machine in touched_machines {
            let record =
                client.call_sol(self.suite.registry, &MachineRegistry::machineCall { machineId: machine }).await?;
            self.reputation_now.insert(machine, record.reputation);
        }
        self.fill_reputation();
        Ok(new_orders)
    }

    async fn apply<C: ChainClient>(&mut self, client: &C, logs: &[Log], touched: &mut Vec<u64>) -> Result<usize> {
        let mut new_orders = 0;
        // The order placed (or offline sale settled) in each transaction, to attribute a StockChanged to it.
        let mut order_in_tx: BTreeMap<B256, U256> = BTreeMap::new();
        for log in logs {
            let tx = log.transaction_hash.unwrap_or_default();
            let from_storefront = log.address() == self.suite.storefront;
            let Some(topic) = log.topic0().copied() else { continue };
            if from_storefront && topic == Storefront::OrderPlaced::SIGNATURE_HASH {
                let Ok(e) = Storefront::OrderPlaced::decode_log(&log.inner) else { continue };
                let created_at = self.created_at(client, e.orderId).await?;
                self.insert(e.orderId, e.machineId, e.slot, e.price, created_at, Outcome::Pending, position(log));
                order_in_tx.insert(tx, e.orderId);
                touched.push(e.machineId);
                new_orders += 1;
            } else if from_storefront && topic == Storefront::OfflineSaleSettled::SIGNATURE_HASH {
                let Ok(e) = Storefront::OfflineSaleSettled::decode_log(&log.inner) else { continue };
                let record =
                    client.call_sol(self.suite.storefront, &Storefront::orderOfCall { orderId: e.orderId }).await?;
                self.insert(
                    e.orderId,
                    e.machineId,
                    record.slot,
                    e.price,
                    record.createdAt,
                    Outcome::Offline,
                    position(log),
                );
                order_in_tx.insert(tx, e.orderId);
                touched.push(e.machineId);
                new_orders += 1;
            } else if from_storefront && topic == Storefront::OrderDispensed::SIGNATURE_HASH {
                if let Ok(e) = Storefront::OrderDispensed::decode_log(&log.inner)
                    && let Some(order) = self.orders.get_mut(&e.orderId)
                {
                    order.outcome = Outcome::Dispensed;
                }
            } else if from_storefront && topic == Storefront::OrderRefunded::SIGNATURE_HASH {
                if let Ok(e) = Storefront::OrderRefunded::decode_log(&log.inner)
                    && let Some(order) = self.orders.get_mut(&e.orderId)
                {
                    // RefundReason: 1 VendFailed, 2 Timeout.
                    order.outcome = if e.reason == 1 { Outcome::VendFailed } else { Outcome::TimedOut };
                }
            } else if !from_storefront && topic == MachineRegistry::SlotConfigured::SIGNATURE_HASH {
                if let Ok(e) = MachineRegistry::SlotConfigured::decode_log(&log.inner) {
                    self.items.insert((e.machineId, e.slot), e.itemId);
                }
            } else if !from_storefront && topic == MachineRegistry::StockChanged::SIGNATURE_HASH {
                if let Ok(e) = MachineRegistry::StockChanged::decode_log(&log.inner)
                    && e.stock == 0
                    && let Some(id) = order_in_tx.get(&tx)
                    && let Some(order) = self.orders.get_mut(id)
                    && (order.machine, order.slot) == (e.machineId, e.slot)
                {
                    order.emptied_slot = true;
                }
            } else if topic == InsurancePool::IncidentRecorded::SIGNATURE_HASH {
                let Ok(e) = InsurancePool::IncidentRecorded::decode_log(&log.inner) else { continue };
                let insurer =
                    client.call_sol(self.suite.storefront, &Storefront::insurerOfCall { orderId: e.orderId }).await?;
                if insurer == log.address()
                    && let Some(order) = self.orders.get_mut(&e.orderId)
                {
                    order.outcome = Outcome::ClaimPaid;
                }
            } else if !from_storefront
                && topic == MachineRegistry::ReputationChanged::SIGNATURE_HASH
                && let Ok(e) = MachineRegistry::ReputationChanged::decode_log(&log.inner)
            {
                self.reputation_changes.entry(e.machineId).or_default().push((position(log), e.previous, e.current));
                touched.push(e.machineId);
            }
        }
        Ok(new_orders)
    }

    async fn created_at<C: ChainClient>(&self, client: &C, order_id: U256) -> Result<u64> {
        let record = client.call_sol(self.suite.storefront, &Storefront::orderOfCall { orderId: order_id }).await?;
        Ok(record.createdAt)
    }

    #[allow(clippy::too_many_arguments)]
    fn insert(
        &mut self,
        order_id: U256,
        machine: u64,
        slot: u16,
        price: u128,
        created_at: u64,
        outcome: Outcome,
        position: (u64, u64),
    ) {
        self.orders.entry(order_id).or_insert(OrderRecord {
            order_id,
            machine,
            slot,
            price,
            created_at,
            outcome,
            emptied_slot: false,
            reputation: 0,
            position,
        });
    }

    /// Each order's reputation at placement: the `previous` of the machine's first reputation change after the
    /// order, or its current reputation if it has not changed since.
    fn fill_reputation(&mut self) {
        for order in self.orders.values_mut() {
            let changes = self.reputation_changes.get(&order.machine);
            let later = changes.and_then(|c| c.iter().find(|(at, _, _)| *at > order.position));
            order.reputation = match later {
                Some((_, previous, _)) => *previous,
                None => self.reputation_now.get(&order.machine).copied().unwrap_or(MAX_REPUTATION / 2),
            };
        }
    }

    fn to_currency(&self, amount: u128) -> f64 {
        amount as f64 / 10f64.powi(i32::from(self.decimals))
    }

    /// One record per unit sold (dispensed orders and settled offline sales), oldest first.
    pub fn sales(&self) -> Vec<SalesRecord> {
        let mut sales: Vec<SalesRecord> = self
            .orders
            .values()
            .filter(|o| o.outcome.is_sale())
            .map(|o| SalesRecord {
                timestamp: o.created_at,
                machine: o.machine,
                slot: o.slot,
                units: 1,
                price: self.to_currency(o.price),
            })
            .collect();
        sales.sort_by_key(|r| (r.timestamp, r.machine, r.slot));
        sales
    }

    /// Hourly series of every slot that sold, over a common span ending at `until` (Unix seconds; hours
    /// after the last sale up to then are zero sales), each tagged with its item and with the hours after a
    /// sale that emptied the slot, until its next sale, marked as stock-outs.
    pub fn series(&self, until: u64) -> Vec<Series> {
        let mut sales = self.sales();
        let Some(first) = sales.first().copied() else { return Vec::new() };
        // A zero-unit row at `until` extends every series to the present.
        sales.push(SalesRecord { timestamp: until.max(first.timestamp), units: 0, ..first });
        let mut series = to_hourly(&sales);
        for s in &mut series {
            s.item = self.item_of(s.machine, s.slot).and_then(|i| u32::try_from(i).ok());
            // The chain only shows a price when something sold. An hour without sales takes the unit-weighted
            // mean price of its UTC day's sales (machines price per day), not the previous day's carried forward,
            // which would blur the day-level prices the elasticity is estimated from.
            let mut days: BTreeMap<u64, (f64, f64)> = BTreeMap::new();
            for h in s.hours.iter().filter(|h| h.units_sold > 0) {
                let day = days.entry(h.t / 24).or_default();
                day.0 += h.price * f64::from(h.units_sold);
                day.1 += f64::from(h.units_sold);
            }
            for h in s.hours.iter_mut().filter(|h| h.units_sold == 0) {
                if let Some((revenue, units)) = days.get(&(h.t / 24)) {
                    h.price = revenue / units;
                }
            }
            let mut emptied_at: Option<u64> = None;
            let mut sold_hours = self
                .orders
                .values()
                .filter(|o| o.outcome.is_sale() && (o.machine, o.slot) == (s.machine, s.slot))
                .map(|o| (o.created_at / 3600, o.emptied_slot))
                .collect::<Vec<_>>();
            sold_hours.sort_unstable();
            let mut next_sale = sold_hours.iter().peekable();
            for hour in &mut s.hours {
                while let Some(&&(t, emptied)) = next_sale.peek() {
                    if t > hour.t {
                        break;
                    }
                    emptied_at = emptied.then_some(t);
                    next_sale.next();
                }
                if emptied_at.is_some_and(|t| hour.t >= t) {
                    hour.stock_out = true;
                }
            }
        }
        series
    }

    /// One labelled sample per order with an outcome (sold or refunded), in order of placement: the machine's
    /// reputation then, its failure rate over its earlier outcomes ([`failure_rate`]), the item's value in
    /// currency units, the chain's class and a local payment.
    pub fn risk_samples(&self) -> Vec<RiskSample> {
        let mut ordered: Vec<&OrderRecord> = self.orders.values().filter(|o| o.outcome != Outcome::Pending).collect();
        ordered.sort_by_key(|o| o.position);
        let chain = ChainClass::from_chain_id(self.suite.chain_id);
        let mut per_machine: BTreeMap<u64, (u32, u32)> = BTreeMap::new();
        let mut samples = Vec::with_capacity(ordered.len());
        for order in ordered {
            let (failures, outcomes) = per_machine.entry(order.machine).or_default();
            samples.push(RiskSample {
                features: RiskFeatures {
                    reputation: order.reputation.min(MAX_REPUTATION),
                    failure_rate: failure_rate(*failures, *outcomes),
                    item_value: self.to_currency(order.price),
                    chain,
                    transport: Transport::Local,
                },
                failed: order.outcome.is_failure(),
            });
            *outcomes += 1;
            *failures += u32::from(order.outcome.is_failure());
        }
        samples
    }

    /// The features of a purchase at `price` (token units) from `machine` now: its current reputation and
    /// failure rate over every outcome so far.
    pub fn risk_features_now(&self, machine: u64, price: u128) -> RiskFeatures {
        let (failures, outcomes) = self
            .orders
            .values()
            .filter(|o| o.machine == machine && o.outcome != Outcome::Pending)
            .fold((0, 0), |(f, n), o| (f + u32::from(o.outcome.is_failure()), n + 1));
        RiskFeatures {
            reputation: self.reputation_now.get(&machine).copied().unwrap_or(MAX_REPUTATION / 2).min(MAX_REPUTATION),
            failure_rate: failure_rate(failures, outcomes),
            item_value: self.to_currency(price),
            chain: ChainClass::from_chain_id(self.suite.chain_id),
            transport: Transport::Local,
        }
    }

    /// The machine's failures and outcomes so far.
    pub fn outcomes_of(&self, machine: u64) -> (u32, u32) {
        self.orders
            .values()
            .filter(|o| o.machine == machine && o.outcome != Outcome::Pending)
            .fold((0, 0), |(f, n), o| (f + u32::from(o.outcome.is_failure()), n + 1))
    }
}

/// A failure rate with a weak prior (Laplace's rule of succession): `(failures + 1) / (outcomes + 2)`, so a
/// machine without history is neither perfect nor broken.
pub fn failure_rate(failures: u32, outcomes: u32) -> f64 {
    (f64::from(failures) + 1.0) / (f64::from(outcomes) + 2.0)
}

/// The suite a Storefront belongs to, read from its own views.
pub async fn suite_of<C: ChainClient>(client: &C, storefront: Address) -> Result<SuiteAddresses> {
    let token = client.call_sol(storefront, &Storefront::tokenCall {}).await?;
    let registry = client.call_sol(storefront, &Storefront::registryCall {}).await?;
    let receipts = client.call_sol(storefront, &Storefront::receiptsCall {}).await?;
    Ok(SuiteAddresses { chain_id: client.chain_id(), token, registry, storefront, receipts })
}
