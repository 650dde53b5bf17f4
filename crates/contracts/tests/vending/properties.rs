//! Property tests: proptest drives random sequences of orders, attestations, refunds, time, restocks, machines
//! switched on and off, prepaid deposits and withdrawals, and offline sales (double spends and resubmissions
//! included) against the embedded chain and a Rust model of the contracts.
//!
//! Every transaction's outcome is predicted by the model: success, or the exact revert (name and arguments).
//! After every step: the Storefront's token balance equals `escrowBalance + totalPrepaid`, `escrowBalance` is
//! the sum of the model's open orders, the registry's stock equals the model's (which never goes negative),
//! `totalMinted` equals the number of dispensed orders, and every party's balance is the model's. After each
//! sequence: every order is in the model's state, settled exactly once (one settlement event), and further
//! attempts to settle a settled order revert.
//!
//! One devnet serves all cases: the suite is deployed once, and each case starts from a snapshot of it.

use std::{
    cell::Cell,
    collections::{BTreeMap, BTreeSet},
};

use alloy_primitives::{
    B256, Bytes, U256,
    aliases::{U48, U208},
};
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::{SolError, SolStruct};
use automat_chain::{ChainClient, ChainClientExt, ChainError, DevnetControl, Receipt};
use automat_contracts::vending::{
    Attestation, MachineRegistry, OfflineSale, Outcome, Quote, ReceiptNFT, Storefront, Voucher,
};
use automat_devnet::EmbeddedClient;
use proptest::{
    prelude::*,
    test_runner::{Config as ProptestConfig, TestRunner},
};

use crate::common::*;

/// Per-machine rate limit of the property suite: 2 orders, refilling over a minute.
const CAPACITY: u128 = 2;
const WINDOW: u64 = 60;
/// Prepaid withdrawal delay of the property suite (short, so sequences reach it).
const DELAY: u64 = 600;
const MIN_WINDOW: u64 = 60;
const MAX_WINDOW: u64 = 86_400;
const VOUCHER_MAX: u128 = 5 * USD;

// ---------------------------------------------------------------------- actions

#[derive(Debug, Clone, Copy)]
enum PricePick {
    /// Within the slot's band, at this fraction (per mille) of its width.
    InBand(u32),
    /// One unit below the band.
    Below,
    /// One unit above the band.
    Above,
}

#[derive(Debug, Clone)]
enum Action {
    PlaceOrder { machine: usize, slot: u16, price: PricePick, deadline_offset: u64 },
    AttestDispensed { pick: usize },
    AttestFailed { pick: usize },
    Refund { pick: usize },
    AdvanceTime { secs: u64 },
    Restock { machine: usize, slot: u16, stock: u32 },
    ToggleActive { machine: usize },
    Deposit { amount: u128 },
    RequestWithdrawal { amount: u128 },
    Withdraw,
    OfflineSale { machine: usize, slot: u16, price: u128, reuse_voucher: Option<usize> },
    ResubmitSale { pick: usize },
}

fn price_pick() -> impl Strategy<Value = PricePick> {
    prop_oneof![
        8 => (0u32..=1000).prop_map(PricePick::InBand),
        1 => Just(PricePick::Below),
        1 => Just(PricePick::Above),
    ]
}

fn deadline_offset() -> impl Strategy<Value = u64> {
    prop_oneof![
        8 => MIN_WINDOW..=900,
        1 => 0..MIN_WINDOW,
        1 => MAX_WINDOW + 1..=MAX_WINDOW + 600,
    ]
}

fn action() -> impl Strategy<Value = Action> {
    let pick = 0usize..64;
    prop_oneof![
        8 => (0usize..2, 0u16..2, price_pick(), deadline_offset()).prop_map(|(machine, slot, price, deadline_offset)| {
            Action::PlaceOrder { machine, slot, price, deadline_offset }
        }),
        3 => pick.clone().prop_map(|pick| Action::AttestDispensed { pick }),
        2 => pick.clone().prop_map(|pick| Action::AttestFailed { pick }),
        2 => pick.clone().prop_map(|pick| Action::Refund { pick }),
        3 => prop_oneof![1u64..=120, 500u64..=1_000].prop_map(|secs| Action::AdvanceTime { secs }),
        1 => (0usize..2, 0u16..2, 0u32..=3).prop_map(|(machine, slot, stock)| Action::Restock { machine, slot, stock }),
        1 => (0usize..2).prop_map(|machine| Action::ToggleActive { machine }),
        2 => (1u128..=8).prop_map(|halves| Action::Deposit { amount: halves * USD / 2 }),
        1 => (1u128..=8).prop_map(|halves| Action::RequestWithdrawal { amount: halves * USD / 2 }),
        1 => Just(Action::Withdraw),
        3 => (0usize..2, 0u16..2, 1u128..=6, proptest::option::weighted(0.4, 0usize..8)).prop_map(
            |(machine, slot, halves, reuse_voucher)| Action::OfflineSale {
                machine,
                slot,
                price: halves * USD / 2,
                reuse_voucher,
            }
        ),
        1 => pick.prop_map(|pick| Action::ResubmitSale { pick }),
    ]
}

// ---------------------------------------------------------------------- model

#[derive(Debug, Clone)]
struct ModelOrder {
    id: U256,
    machine: usize,
    slot: u16,
    price: u128,
    deadline: u64,
    status: u8,
}

#[derive(Debug, Clone)]
struct ModelVoucher {
    voucher: Voucher,
    signature: Bytes,
    spent_by: Option<U256>,
}

#[derive(Debug, Clone)]
struct ModelSale {
    voucher: usize,
    sale: OfflineSale,
    signature: Bytes,
}

#[derive(Debug)]
struct Model {
    orders: Vec<ModelOrder>,
    /// Stock per machine and slot; signed so an underflow would show.
    stock: [[i64; 2]; 2],
    active: [bool; 2],
    /// Rate-limit bucket per machine: (used at the last consumption, its time).
    bucket: [(u128, u64); 2],
    prepaid: u128,
    pending: u128,
    withdrawable_at: u64,
    vouchers: Vec<ModelVoucher>,
    sales: Vec<ModelSale>,
    settled_sales: BTreeSet<B256>,
    /// Settlement events seen per order id.
    settlements: BTreeMap<U256, u32>,
    buyer: U256,
    operators: [U256; 2],
    fees: U256,
    next_nonce: u64,
}

impl Model {
    /// What the rate limiter lets machine `m` take at time `t` (OpenZeppelin's refilling bucket).
    fn available(&self, m: usize, t: u64) -> u128 {
        let (used, last) = self.bucket[m];
        let refill = u128::from(t - last) * CAPACITY / u128::from(WINDOW);
        CAPACITY.saturating_sub(used.saturating_sub(refill))
    }

    fn consume(&mut self, m: usize, t: u64) {
        let (used, last) = self.bucket[m];
        let refill = u128::from(t - last) * CAPACITY / u128::from(WINDOW);
        self.bucket[m] = (used.saturating_sub(refill) + 1, t);
    }

    fn escrow(&self) -> u128 {
        self.orders.iter().filter(|o| o.status == status::OPEN).map(|o| o.price).sum()
    }

    fn dispensed(&self) -> usize {
        self.orders.iter().filter(|o| o.status == status::DISPENSED).count()
    }

    fn next_id(&self) -> U256 {
        U256::from(self.orders.len() + 1)
    }

    fn record_settlements(&mut self, receipt: &Receipt) {
        let ids = receipt
            .events::<Storefront::OrderDispensed>()
            .into_iter()
            .map(|e| e.orderId)
            .chain(receipt.events::<Storefront::OrderRefunded>().into_iter().map(|e| e.orderId))
            .chain(receipt.events::<Storefront::OfflineSaleSettled>().into_iter().map(|e| e.orderId));
        for id in ids {
            *self.settlements.entry(id).or_default() += 1;
        }
    }
}

// ---------------------------------------------------------------------- world

/// The suite with two machines of two operators, the buyer's unlimited approval, a tight rate limit and a
/// short withdrawal delay.
struct World {
    fx: Fixture,
    ids: [u64; 2],
    keys: [PrivateKeySigner; 2],
    operators: [EmbeddedClient; 2],
}

impl World {
    async fn new() -> Self {
        let fx = Fixture::new().await;
        let (operator2, key2, machine2) = fx.second_machine().await;
        fx.admin
            .send_sol(
                fx.suite.storefront,
                &Storefront::setRateLimitCall { window: U48::from(WINDOW), capacity: U208::from(CAPACITY) },
            )
            .await
            .expect("rate limit");
        fx.admin
            .send_sol(fx.suite.storefront, &Storefront::setPrepaidWithdrawDelayCall { delay: DELAY })
            .await
            .expect("delay");
        fx.approve(&fx.buyer, fx.suite.storefront, u128::MAX).await;
        let ids = [fx.machine, machine2];
        let keys = [fx.machine_key.clone(), key2];
        let operators = [fx.operator.clone(), operator2];
        Self { fx, ids, keys, operators }
    }

    fn decode(&self, data: &[u8]) -> String {
        self.fx.admin.revert_decoder().decode(data).to_string()
    }

    /// Checks a transaction's outcome against the model's prediction: success (`None`) or exactly the revert
    /// data `expected` (same error, same arguments).
    fn expect(&self, result: Result<Receipt, ChainError>, expected: Option<Vec<u8>>, ctx: &str) -> Option<Receipt> {
        match (result, expected) {
            (Ok(receipt), None) => Some(receipt),
            (Ok(_), Some(expected)) => panic!("{ctx}: the model expects {}, but it succeeded", self.decode(&expected)),
            (Err(ChainError::Reverted { data, .. }), Some(expected)) => {
                assert_eq!(self.decode(&data), self.decode(&expected), "{ctx}");
                assert_eq!(data.as_ref(), expected.as_slice(), "{ctx}: revert data");
                None
            }
            (Err(err), expected) => panic!(
                "{ctx}: the model expects {}, got {err}",
                expected.map_or_else(|| "success".to_owned(), |e| self.decode(&e))
            ),
        }
    }

    async fn model(&self) -> Model {
        let fx = &self.fx;
        let slots = machine_slots();
        let stock = [i64::from(slots[0].stock), i64::from(slots[1].stock)];
        Model {
            orders: Vec::new(),
            stock: [stock, stock],
            active: [true, true],
            bucket: [(0, 0); 2],
            prepaid: 0,
            pending: 0,
            withdrawable_at: 0,
            vouchers: Vec::new(),
            sales: Vec::new(),
            settled_sales: BTreeSet::new(),
            settlements: BTreeMap::new(),
            buyer: fx.balance(fx.buyer.sender()).await,
            operators: [fx.balance(self.operators[0].sender()).await, fx.balance(self.operators[1].sender()).await],
            fees: fx.balance(FEE_RECIPIENT).await,
            next_nonce: 1,
        }
    }

    async fn run(&self, actions: &[Action]) {
        let mut model = self.model().await;
        for (step, action) in actions.iter().enumerate() {
            let ctx = format!("step {step}: {action:?}");
            let t = self.fx.now().await + 1;
            self.apply(&mut model, action, t, &ctx).await;
            self.check(&model, &ctx).await;
        }
        self.finish(&model).await;
    }

    async fn apply(&self, model: &mut Model, action: &Action, t: u64, ctx: &str) {
        let fx = &self.fx;
        match *action {
            Action::PlaceOrder { machine, slot, price, deadline_offset } => {
                let band = &machine_slots()[usize::from(slot)];
                let price = match price {
                    PricePick::InBand(f) => band.minPrice + (band.maxPrice - band.minPrice) * u128::from(f) / 1000,
                    PricePick::Below => band.minPrice - 1,
                    PricePick::Above => band.maxPrice + 1,
                };
                let machine_id = self.ids[machine];
                let nonce = model.next_nonce;
                model.next_nonce += 1;
                let quote = Quote { machineId: machine_id, slot, price, expiry: t + 300, nonce };
                let signature = fx.sign(&self.keys[machine], &quote);
                let deadline = t + deadline_offset;
                let (earliest, latest) = (t + MIN_WINDOW, t + MAX_WINDOW);
                let expected = if deadline < earliest || deadline > latest {
                    Some(Storefront::InvalidDeadline { deadline, earliest, latest }.abi_encode())
                } else if model.available(machine, t) == 0 {
                    Some(Storefront::MachineRateLimited { machineId: machine_id }.abi_encode())
                } else if !model.active[machine] {
                    Some(MachineRegistry::MachineInactive { machineId: machine_id }.abi_encode())
                } else if model.stock[machine][usize::from(slot)] == 0 {
                    Some(MachineRegistry::SoldOut { machineId: machine_id, slot }.abi_encode())
                } else if price < band.minPrice || price > band.maxPrice {
                    Some(
                        Storefront::PriceOutOfBand { price, minPrice: band.minPrice, maxPrice: band.maxPrice }
                            .abi_encode(),
                    )
                } else {
                    None
                };
                let result = fx.place_order(&quote, &signature, price, deadline).await;
                if let Some(receipt) = self.expect(result, expected, ctx) {
                    let id = model.next_id();
                    assert_eq!(receipt.events::<Storefront::OrderPlaced>()[0].orderId, id, "{ctx}");
                    model.consume(machine, t);
                    model.stock[machine][usize::from(slot)] -= 1;
                    model.buyer -= U256::from(price);
                    model.orders.push(ModelOrder { id, machine, slot, price, deadline, status: status::OPEN });
                }
            }
            Action::AttestDispensed { pick } | Action::AttestFailed { pick } => {
                if model.orders.is_empty() {
                    return;
                }
                let index = pick % model.orders.len();
                let order = model.orders[index].clone();
                let outcome = if matches!(action, Action::AttestDispensed { .. }) {
                    Outcome::Dispensed
                } else {
                    Outcome::VendFailed
                };
                let attestation = Attestation {
                    orderId: order.id,
                    outcome: outcome as u8,
                    metadataDigest: metadata_digest(order.id),
                };
                let signature = fx.sign(&self.keys[order.machine], &attestation);
                let expected = if order.status != status::OPEN {
                    Some(Storefront::OrderNotOpen { orderId: order.id, status: order.status }.abi_encode())
                } else if t > order.deadline {
                    Some(Storefront::OrderExpired { orderId: order.id, deadline: order.deadline }.abi_encode())
                } else {
                    None
                };
                let result = fx.attest(&fx.stranger, &attestation, &signature).await;
                if let Some(receipt) = self.expect(result, expected, ctx) {
                    model.record_settlements(&receipt);
                    let o = &mut model.orders[index];
                    if outcome == Outcome::Dispensed {
                        let fee = Fixture::fee(o.price);
                        model.operators[o.machine] += U256::from(o.price - fee);
                        model.fees += U256::from(fee);
                        o.status = status::DISPENSED;
                    } else {
                        Self::refund_in_model(model, index);
                    }
                }
            }
            Action::Refund { pick } => {
                if model.orders.is_empty() {
                    return;
                }
                let index = pick % model.orders.len();
                let order = model.orders[index].clone();
                let expected = if order.status != status::OPEN {
                    Some(Storefront::OrderNotOpen { orderId: order.id, status: order.status }.abi_encode())
                } else if t <= order.deadline {
                    Some(Storefront::OrderNotExpired { orderId: order.id, deadline: order.deadline }.abi_encode())
                } else {
                    None
                };
                if let Some(receipt) = self.expect(fx.refund(order.id).await, expected, ctx) {
                    model.record_settlements(&receipt);
                    Self::refund_in_model(model, index);
                }
            }
            Action::AdvanceTime { secs } => fx.advance(secs).await,
            Action::Restock { machine, slot, stock } => {
                self.operators[machine]
                    .send_sol(
                        fx.suite.registry,
                        &MachineRegistry::restockCall { machineId: self.ids[machine], slot, stock },
                    )
                    .await
                    .expect("the operator restocks");
                model.stock[machine][usize::from(slot)] = i64::from(stock);
            }
            Action::ToggleActive { machine } => {
                let active = !model.active[machine];
                self.operators[machine]
                    .send_sol(
                        fx.suite.registry,
                        &MachineRegistry::setActiveCall { machineId: self.ids[machine], active },
                    )
                    .await
                    .expect("the operator switches");
                model.active[machine] = active;
            }
            Action::Deposit { amount } => {
                fx.buyer
                    .send_sol(fx.suite.storefront, &Storefront::depositPrepaidCall { amount })
                    .await
                    .expect("deposit");
                model.prepaid += amount;
                model.buyer -= U256::from(amount);
            }
            Action::RequestWithdrawal { amount } => {
                let expected = (amount > model.prepaid).then(|| {
                    Storefront::PrepaidInsufficient { requested: amount, balance: model.prepaid }.abi_encode()
                });
                let result =
                    fx.buyer.send_sol(fx.suite.storefront, &Storefront::requestPrepaidWithdrawalCall { amount }).await;
                if self.expect(result, expected, ctx).is_some() {
                    model.pending = amount;
                    model.withdrawable_at = t + DELAY;
                }
            }
            Action::Withdraw => {
                let expected = (model.pending == 0 || t < model.withdrawable_at).then(|| {
                    Storefront::PrepaidWithdrawalNotReady { withdrawableAt: model.withdrawable_at }.abi_encode()
                });
                let result = fx.buyer.send_sol(fx.suite.storefront, &Storefront::withdrawPrepaidCall {}).await;
                if self.expect(result, expected, ctx).is_some() {
                    let amount = model.pending.min(model.prepaid);
                    model.prepaid -= amount;
                    model.buyer += U256::from(amount);
                    model.pending = 0;
                    model.withdrawable_at = 0;
                }
            }
            Action::OfflineSale { machine, slot, price, reuse_voucher } => {
                let sold_at = t - 1;
                let index = match reuse_voucher {
                    Some(pick) if !model.vouchers.is_empty() => pick % model.vouchers.len(),
                    _ => {
                        let nonce = u64::try_from(model.vouchers.len() + 1).expect("few vouchers");
                        let (voucher, signature) = fx.voucher(VOUCHER_MAX, nonce, sold_at + 100_000);
                        model.vouchers.push(ModelVoucher { voucher, signature, spent_by: None });
                        model.vouchers.len() - 1
                    }
                };
                let voucher = model.vouchers[index].clone();
                let (sale, signature) =
                    fx.sale_by(&self.keys[machine], &voucher.voucher, self.ids[machine], slot, price, sold_at);
                self.settle(model, index, &sale, &signature, machine, ctx).await;
            }
            Action::ResubmitSale { pick } => {
                if model.sales.is_empty() {
                    return;
                }
                let ModelSale { voucher, sale, signature } = model.sales[pick % model.sales.len()].clone();
                let machine = self.ids.iter().position(|id| *id == sale.machineId).expect("a known machine");
                self.settle(model, voucher, &sale, &signature, machine, ctx).await;
            }
        }
    }

    fn refund_in_model(model: &mut Model, index: usize) {
        let o = &mut model.orders[index];
        o.status = status::REFUNDED;
        model.buyer += U256::from(o.price);
        model.stock[o.machine][usize::from(o.slot)] += 1;
    }

    async fn settle(
        &self,
        model: &mut Model,
        voucher_index: usize,
        sale: &OfflineSale,
        signature: &Bytes,
        machine: usize,
        ctx: &str,
    ) {
        let fx = &self.fx;
        let voucher = model.vouchers[voucher_index].clone();
        let digest = sale.eip712_signing_hash(&fx.domain());
        let expected = model
            .settled_sales
            .contains(&digest)
            .then(|| Storefront::OfflineSaleAlreadySettled { saleDigest: digest }.abi_encode());
        let result = fx.settle(&fx.operator, &voucher.voucher, &voucher.signature, sale, signature).await;
        let Some(receipt) = self.expect(result, expected, ctx) else { return };
        model.record_settlements(&receipt);
        let id = model.next_id();
        // A voucher pays once: a later sale presenting it is recorded but charges the buyer nothing.
        let charged = if voucher.spent_by.is_some() { 0 } else { sale.price.min(model.prepaid) };
        let fee = Fixture::fee(charged);
        let settled = receipt.events::<Storefront::OfflineSaleSettled>();
        assert_eq!(
            (settled[0].orderId, settled[0].price, settled[0].charged, settled[0].fee),
            (id, sale.price, charged, fee),
            "{ctx}"
        );
        let double_spends = receipt.events::<Storefront::VoucherDoubleSpent>();
        match voucher.spent_by {
            Some(first) => assert_eq!(
                double_spends,
                vec![Storefront::VoucherDoubleSpent {
                    buyer: fx.buyer.sender(),
                    voucherNonce: voucher.voucher.nonce,
                    firstOrderId: first,
                    orderId: id,
                    unpaid: sale.price,
                }],
                "{ctx}"
            ),
            None => {
                assert!(double_spends.is_empty(), "{ctx}");
                model.vouchers[voucher_index].spent_by = Some(id);
            }
        }
        model.prepaid -= charged;
        model.operators[machine] += U256::from(charged - fee);
        model.fees += U256::from(fee);
        let stock = &mut model.stock[machine][usize::from(sale.slot)];
        *stock = (*stock - 1).max(0);
        model.orders.push(ModelOrder {
            id,
            machine,
            slot: sale.slot,
            price: sale.price,
            deadline: sale.soldAt,
            status: status::DISPENSED,
        });
        model.settled_sales.insert(digest);
        model.sales.push(ModelSale { voucher: voucher_index, sale: sale.clone(), signature: signature.clone() });
    }

    /// The invariants, after every step.
    async fn check(&self, model: &Model, ctx: &str) {
        let fx = &self.fx;
        let balance = fx.balance(fx.suite.storefront).await;
        let escrow = fx.escrow().await;
        let prepaid = fx.total_prepaid().await;
        assert_eq!(balance, escrow + prepaid, "{ctx}: balance = escrowBalance + totalPrepaid");
        assert_eq!(escrow, U256::from(model.escrow()), "{ctx}: escrowBalance = the open orders' prices");
        assert_eq!(prepaid, U256::from(model.prepaid), "{ctx}: totalPrepaid");
        assert_eq!(
            fx.prepaid().await,
            Storefront::Prepaid {
                balance: model.prepaid,
                pendingWithdrawal: model.pending,
                withdrawableAt: model.withdrawable_at,
            },
            "{ctx}: prepaidOf"
        );
        for (m, id) in self.ids.iter().enumerate() {
            for slot in 0..2u16 {
                let expected = model.stock[m][usize::from(slot)];
                assert!(expected >= 0, "{ctx}: the model's stock went negative");
                assert_eq!(i64::from(fx.stock(*id, slot).await), expected, "{ctx}: stock of {id}/{slot}");
            }
        }
        let count = fx.admin.call_sol(fx.suite.storefront, &Storefront::orderCountCall {}).await.expect("orderCount");
        assert_eq!(count, U256::from(model.orders.len()), "{ctx}: orderCount");
        assert_eq!(fx.minted().await, U256::from(model.dispensed()), "{ctx}: receipts minted = dispensed orders");
        assert_eq!(fx.balance(fx.buyer.sender()).await, model.buyer, "{ctx}: buyer");
        for (m, operator) in self.operators.iter().enumerate() {
            assert_eq!(fx.balance(operator.sender()).await, model.operators[m], "{ctx}: operator {m}");
        }
        assert_eq!(fx.balance(FEE_RECIPIENT).await, model.fees, "{ctx}: fees");
    }

    /// After the sequence: statuses, one settlement per settled order, and no second settlement possible.
    async fn finish(&self, model: &Model) {
        let fx = &self.fx;
        for order in &model.orders {
            let ctx = format!("order {}", order.id);
            assert_eq!(fx.order(order.id).await.status, order.status, "{ctx}: status");
            let settlements = model.settlements.get(&order.id).copied().unwrap_or(0);
            let expected = u32::from(order.status != status::OPEN);
            assert_eq!(settlements, expected, "{ctx}: settlement events");
            if order.status == status::OPEN {
                continue;
            }
            let not_open = Storefront::OrderNotOpen { orderId: order.id, status: order.status };
            for outcome in [Outcome::Dispensed, Outcome::VendFailed] {
                let attestation = Attestation {
                    orderId: order.id,
                    outcome: outcome as u8,
                    metadataDigest: metadata_digest(order.id),
                };
                let signature = fx.sign(&self.keys[order.machine], &attestation);
                let call = Storefront::attestCall { attestation, signature };
                assert_revert(fx.stranger.call_sol(fx.suite.storefront, &call).await, not_open.clone());
            }
            let refund = Storefront::refundExpiredCall { orderId: order.id };
            assert_revert(fx.stranger.call_sol(fx.suite.storefront, &refund).await, not_open);
        }
        let minted = fx.admin.call_sol(fx.suite.receipts, &ReceiptNFT::totalMintedCall {}).await.expect("minted");
        assert_eq!(minted, U256::from(model.dispensed()));
    }
}

#[test]
fn random_sequences_keep_the_invariants() {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let world = rt.block_on(World::new());
    let base = Cell::new(rt.block_on(world.fx.admin.snapshot()).expect("snapshot"));
    let config =
        ProptestConfig { cases: 64, max_shrink_iters: 256, failure_persistence: None, ..ProptestConfig::default() };
    let mut runner = TestRunner::new(config);
    let result = runner.run(&proptest::collection::vec(action(), 1..=30), |actions| {
        rt.block_on(async {
            // Each case starts from the freshly deployed suite.
            world.fx.admin.revert(base.get()).await.expect("revert to the deployed suite");
            base.set(world.fx.admin.snapshot().await.expect("snapshot"));
            world.run(&actions).await;
        });
        Ok(())
    });
    if let Err(failure) = result {
        panic!("{failure}");
    }
}
