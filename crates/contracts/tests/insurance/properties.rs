//! Property tests: proptest drives random sequences of underwriter deposits, withdrawal requests and
//! redemptions, insured orders, their outcomes, claims, court rulings, time and emergency liquidity against the
//! embedded chain, with a small leveraged pool so that pauses, pro-rata payouts and IOUs happen.
//!
//! After every step:
//! - the pool's token balance is exactly what the model says came in (deposits, premiums, liquidity) minus what
//!   went out (redemptions, refunded premiums, claim payments, IOU payments);
//! - the balance always covers the unearned premiums (so a refund's premium can always be paid back), and
//!   assets ≥ pending claims + IOUs + unearned premiums, unless the pool flagged itself insolvent;
//! - active cover never exceeds capital × capacity right after a sale;
//! - share rounding favours the vault: converting a deposit to shares and back never yields more, and the shares
//!   a withdrawal burns are always worth at least what it pays;
//! - every claim is paid at most its amount, and what its claimant received equals what the pool recorded.
//!
//! One devnet serves all cases: the fixture is built once, and each case starts from a snapshot of it.

use std::{cell::Cell, collections::BTreeMap};

use alloy_primitives::U256;
use automat_chain::{ChainClient, ChainClientExt, DevnetControl, Receipt};
use automat_contracts::insurance::{FiledClaim, InsurancePool, Params};
use automat_contracts::vending::{Outcome, Storefront};
use proptest::{
    prelude::*,
    test_runner::{Config as ProptestConfig, TestRunner},
};

use crate::common::*;

#[derive(Debug, Clone)]
enum Action {
    Deposit { who: usize, amount: u128 },
    RequestWithdrawal { who: usize, per_mille: u32 },
    Redeem { who: usize },
    Buy { slot: u16, price: u128 },
    Settle { pick: usize, dispensed: bool },
    File { pick: usize },
    Rule { pick: usize, pay: bool },
    Advance { secs: u64 },
    Inject { amount: u128 },
}

fn action() -> impl Strategy<Value = Action> {
    prop_oneof![
        2 => (0usize..2, 1u128..=20).prop_map(|(who, usd)| Action::Deposit { who, amount: usd * USD }),
        1 => (0usize..2, 1u32..=1000).prop_map(|(who, per_mille)| Action::RequestWithdrawal { who, per_mille }),
        1 => (0usize..2).prop_map(|who| Action::Redeem { who }),
        4 => (0u16..2, 1u128..=3).prop_map(|(slot, usd)| Action::Buy { slot, price: usd * USD / 2 + USD / 2 }),
        3 => (any::<usize>(), prop::bool::weighted(0.8)).prop_map(|(pick, dispensed)| Action::Settle { pick, dispensed }),
        3 => any::<usize>().prop_map(|pick| Action::File { pick }),
        2 => (any::<usize>(), any::<bool>()).prop_map(|(pick, pay)| Action::Rule { pick, pay }),
        1 => prop_oneof![Just(60u64), Just(3_600), Just(86_400), Just(4 * 86_400)].prop_map(|secs| Action::Advance { secs }),
        1 => (1u128..=10).prop_map(|usd| Action::Inject { amount: usd * USD }),
    ]
}

/// A leveraged pool with a low floor: 3× capacity, required capital 30 % of cover and at least 2 USD.
fn lean() -> Params {
    Params { capacityBps: 30_000, minCapitalRatioBps: 3_000, minCapital: 2 * USD as u64, ..params() }
}

struct World {
    f: InsuranceFixture,
}

#[derive(Default)]
struct Model {
    /// Expected pool token balance.
    balance: u128,
    /// Insured orders still open (order id), and dispensed ones that may be claimed.
    open: Vec<U256>,
    dispensed: Vec<U256>,
    /// Pending claims.
    pending: Vec<FiledClaim>,
    /// What each claim's claimant received from the pool.
    received: BTreeMap<U256, u128>,
    nonce: u64,
}

impl World {
    async fn new() -> Self {
        let f = InsuranceFixture::with(lean(), 10 * USD).await;
        // Plenty of stock and funds for long sequences.
        for slot in 0..2 {
            f.v.vending(&f.v.operator).restock(f.v.machine, slot, 1_000).await.expect("restock");
        }
        f.v.mint(f.v.client(4).sender(), 1_000 * USD).await;
        f.v.mint(f.v.admin.sender(), 1_000 * USD).await;
        Self { f }
    }

    fn underwriter(&self, who: usize) -> automat_devnet::EmbeddedClient {
        if who == 0 { self.f.underwriter.clone() } else { self.f.v.client(4) }
    }

    /// Credits the claim payments in `receipt` to the model.
    fn record_payments(&self, receipt: &Receipt, model: &mut Model) {
        for paid in pool_events::<InsurancePool::ClaimPaid>(receipt, self.f.pool) {
            *model.received.entry(paid.claimId).or_default() += paid.paid;
            model.balance -= paid.paid;
        }
        for iou in pool_events::<InsurancePool::IouPaid>(receipt, self.f.pool) {
            *model.received.entry(iou.claimId).or_default() += iou.amount;
            model.balance -= iou.amount;
        }
    }

    async fn step(&self, action: &Action, model: &mut Model) {
        let f = &self.f;
        match *action {
            Action::Deposit { who, amount } => {
                let client = self.underwriter(who);
                let before = f.state().await;
                let preview =
                    f.v.admin
                        .call_sol(f.pool, &InsurancePool::previewDepositCall { assets: U256::from(amount) })
                        .await
                        .expect("preview");
                let shares = f.insurance(&client).deposit(amount).await.expect("deposits always succeed");
                assert_eq!(shares, preview);
                model.balance += amount;
                // Rounding favours the vault: the new shares are worth at most the deposit.
                let after = f.state().await;
                assert_eq!(after.total_supply, before.total_supply + shares);
            }
            Action::RequestWithdrawal { who, per_mille } => {
                let client = self.underwriter(who);
                let shares = f.insurance(&client).shares_of(client.sender()).await.expect("shares");
                let ask = shares * U256::from(per_mille) / U256::from(1000u64);
                if !ask.is_zero() {
                    f.insurance(&client).request_withdrawal(ask).await.expect("request");
                }
            }
            Action::Redeem { who } => {
                let client = self.underwriter(who);
                let max = f.insurance(&client).max_redeem(client.sender()).await.expect("max");
                if !max.is_zero() {
                    let preview =
                        f.v.admin
                            .call_sol(f.pool, &InsurancePool::previewRedeemCall { shares: max })
                            .await
                            .expect("preview");
                    let assets = f.insurance(&client).redeem(max).await.expect("ripe request redeems");
                    assert_eq!(assets, preview);
                    model.balance -= assets.to::<u128>();
                    let state = f.state().await;
                    let locked = f.v.admin.call_sol(f.pool, &InsurancePool::lockedCapitalCall {}).await.expect("l");
                    assert!(state.total_assets >= locked, "capital backing cover stayed");
                }
            }
            Action::Buy { slot, price } => {
                model.nonce += 1;
                let buyer = f.v.buyer.sender();
                let before = f.balance(buyer).await;
                match f.insured_by(&f.v.buyer, slot, price, model.nonce).await {
                    Ok(order) => {
                        model.balance += order.premium;
                        self.record_payments(&order.receipt, model);
                        model.open.push(order.order_id);
                        let state = f.state().await;
                        let capacity = state.total_assets * U256::from(lean().capacityBps) / U256::from(10_000u64);
                        assert!(state.active_cover <= capacity, "{} > {capacity}", state.active_cover);
                    }
                    Err(err) => {
                        let name = err.chain_error().revert_name();
                        assert!(
                            matches!(name, Some("CoverIsPaused" | "CapacityExceeded")),
                            "unexpected refusal: {err}"
                        );
                        assert_eq!(f.balance(buyer).await, before, "a refused order charges nothing");
                    }
                }
            }
            Action::Settle { pick, dispensed } => {
                if model.open.is_empty() {
                    return;
                }
                let order = model.open.remove(pick % model.open.len());
                let deadline = f.v.order(order).await.deadline;
                if f.v.now().await + 1 > deadline {
                    let receipt = f.v.refund(order).await.expect("expired order refunds");
                    self.refunded(&receipt, model);
                } else if dispensed {
                    let receipt = f.settle(order, Outcome::Dispensed).await;
                    // The premium is earned now and pays IOUs first.
                    self.record_payments(&receipt, model);
                    model.dispensed.push(order);
                } else {
                    let receipt = f.settle(order, Outcome::VendFailed).await;
                    self.refunded(&receipt, model);
                }
            }
            Action::File { pick } => {
                if model.dispensed.is_empty() {
                    return;
                }
                let order = model.dispensed.remove(pick % model.dispensed.len());
                let policy = f.insurance(&f.v.admin).policy(order).await.expect("policy");
                let window_open = f.v.now().await < u64::from(params().claimWindow) + policy.dispensedAt
                    && f.v.now().await < policy.expiry;
                let result = f.insurance(&f.v.buyer).file_claim(order, evidence(order)).await;
                match result {
                    Ok(filed) => {
                        assert!(window_open, "a claim after the window was accepted");
                        model.pending.push(filed);
                    }
                    Err(err) => {
                        let name = err.chain_error().revert_name();
                        assert!(matches!(name, Some("ClaimWindowClosed" | "ClaimInPurchaseBlock")), "{err}");
                    }
                }
            }
            Action::Rule { pick, pay } => {
                if model.pending.is_empty() {
                    return;
                }
                let claim = model.pending.remove(pick % model.pending.len());
                let ruling = if pay { PAY } else { REJECT };
                let receipt = f.resolve(claim.dispute_id, |_| ruling).await;
                self.record_payments(&receipt, model);
                let c = f.insurance(&f.v.admin).claim(claim.claim_id).await.expect("claim");
                assert_eq!(c.status, if pay { 2 } else { 3 });
            }
            Action::Advance { secs } => f.v.advance(secs).await,
            Action::Inject { amount } => {
                let receipt = f.insurance(&f.v.admin).inject_liquidity(amount).await.expect("inject");
                model.balance += amount;
                self.record_payments(&receipt, model);
            }
        }
    }

    fn refunded(&self, receipt: &Receipt, model: &mut Model) {
        for cancelled in pool_events::<InsurancePool::PolicyCancelled>(receipt, self.f.pool) {
            model.balance -= cancelled.premiumRefunded;
        }
        let refunds = events_from::<Storefront::OrderRefunded>(receipt, self.f.v.suite.storefront);
        assert_eq!(refunds.len(), 1);
    }

    async fn check(&self, model: &Model) {
        let f = &self.f;
        let state = f.state().await;
        assert_eq!(state.balance, U256::from(model.balance), "pool balance = what came in − what went out");
        assert!(state.balance >= state.unearned_premiums, "unearned premiums are always there to refund");
        let liabilities = state.pending_claims + state.iou_outstanding + state.unearned_premiums;
        assert!(state.balance >= liabilities || state.insolvent, "assets < liabilities without the flag");
        assert_eq!(state.insolvent, state.balance < liabilities, "the flag tells the truth");
        // Share rounding favours the vault.
        for assets in [1u128, 999, USD + 7, 13 * USD + 1] {
            let a = U256::from(assets);
            let shares = f.v.admin.call_sol(f.pool, &InsurancePool::previewDepositCall { assets: a }).await.expect("p");
            let back = f.v.admin.call_sol(f.pool, &InsurancePool::convertToAssetsCall { shares }).await.expect("c");
            assert!(back <= a, "deposit of {a} worth {back}");
            let burn = f.v.admin.call_sol(f.pool, &InsurancePool::previewWithdrawCall { assets: a }).await.expect("w");
            let worth =
                f.v.admin.call_sol(f.pool, &InsurancePool::previewRedeemCall { shares: burn }).await.expect("r");
            if !state.total_assets.is_zero() {
                assert!(worth >= a, "withdrawing {a} burns shares worth only {worth}");
            }
        }
        // Claims: paid at most once, never more than claimed, and what was paid reached the claimant.
        for (claim_id, received) in &model.received {
            let c = f.insurance(&f.v.admin).claim(*claim_id).await.expect("claim");
            assert!(c.paid <= c.amount, "claim {claim_id} paid {} of {}", c.paid, c.amount);
            assert_eq!(c.paid, *received, "claim {claim_id}");
        }
    }
}

#[test]
fn random_sequences_keep_the_pool_solvent_or_flagged() {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let world = rt.block_on(World::new());
    let base_balance = rt.block_on(world.f.state()).balance.to::<u128>();
    let base = Cell::new(rt.block_on(world.f.v.admin.snapshot()).expect("snapshot"));
    let config =
        ProptestConfig { cases: 24, max_shrink_iters: 64, failure_persistence: None, ..ProptestConfig::default() };
    let mut runner = TestRunner::new(config);
    let result = runner.run(&proptest::collection::vec(action(), 1..=24), |actions| {
        rt.block_on(async {
            world.f.v.admin.revert(base.get()).await.expect("revert to the fixture");
            base.set(world.f.v.admin.snapshot().await.expect("snapshot"));
            let mut model = Model { balance: base_balance, ..Model::default() };
            for action in &actions {
                world.step(action, &mut model).await;
                world.check(&model).await;
            }
        });
        Ok(())
    });
    if let Err(failure) = result {
        panic!("{failure}");
    }
}
