//! Claims through the court, the drained pool (A3) and graduated payouts.

use alloy_primitives::U256;
use automat_chain::{ChainClient, ChainClientExt};
use automat_contracts::insurance::{InsurancePool, Params};
use automat_contracts::vending::{MachineRegistry, ReceiptNFT};

use crate::common::*;

async fn reputation(f: &InsuranceFixture) -> u16 {
    f.v.vending(&f.v.admin).machine(f.v.machine).await.expect("machine").reputation
}

#[tokio::test]
async fn an_upheld_claim_pays_the_buyer_and_marks_the_machine() {
    let f = InsuranceFixture::new().await;
    let buyer = f.v.buyer.sender();
    let price = 2 * USD;
    let order = f.dispensed(0, price, 1).await;
    let reputation_before = reputation(&f).await;
    let balance_before = f.balance(buyer).await;

    let filed = f.insurance(&f.v.buyer).file_claim(order.order_id, evidence(order.order_id)).await.expect("filed");
    let fee = 3 * FEE_PER_JUROR;
    assert_eq!(f.balance(buyer).await, balance_before - fee, "the claimant pays the court's fee");
    assert_eq!(filed.amount, price);
    let events = pool_events::<InsurancePool::ClaimFiled>(&filed.receipt, f.pool);
    assert_eq!(
        events,
        vec![InsurancePool::ClaimFiled {
            claimId: filed.claim_id,
            orderId: order.order_id,
            claimant: buyer,
            disputeId: filed.dispute_id,
            amount: price,
            evidenceDigest: evidence(order.order_id),
        }]
    );
    let state = f.state().await;
    assert_eq!(state.active_cover, U256::ZERO, "claimed cover leaves active cover");
    assert_eq!(state.pending_claims, U256::from(price), "and becomes a pending liability");
    assert_eq!(state.total_assets, U256::from(CAPITAL + order.premium - price));
    let claimed = f.insurance(&f.v.admin).coverage(order.order_id).await.expect("coverage");
    assert_eq!(claimed.status, coverage::CLAIMED);
    assert_eq!(f.insurance(&f.v.admin).policy(order.order_id).await.expect("policy").status, policy::CLAIMED);

    let receipt = f.resolve(filed.dispute_id, |_| PAY).await;
    let paid = pool_events::<InsurancePool::ClaimPaid>(&receipt, f.pool);
    assert_eq!(
        paid,
        vec![InsurancePool::ClaimPaid {
            claimId: filed.claim_id,
            orderId: order.order_id,
            claimant: buyer,
            paid: price,
            owed: 0,
        }]
    );
    let incidents = pool_events::<InsurancePool::IncidentRecorded>(&receipt, f.pool);
    assert_eq!(incidents.len(), 1);
    assert_eq!((incidents[0].machineId, incidents[0].incidents), (f.v.machine, 1));
    assert_eq!(f.insurance(&f.v.admin).incidents(f.v.machine).await.expect("incidents"), 1);
    let moved = events_from::<MachineRegistry::ReputationChanged>(&receipt, f.v.suite.registry);
    assert_eq!(moved.len(), 1);
    assert_eq!(reputation(&f).await, reputation_before.saturating_sub(params().reputationPenalty));
    assert_eq!(events_from::<ReceiptNFT::MetadataUpdate>(&receipt, f.v.suite.receipts).len(), 1);
    assert_eq!(f.insurance(&f.v.admin).coverage(order.order_id).await.expect("coverage").status, coverage::PAID);

    assert_eq!(f.balance(buyer).await, balance_before - fee + price);
    let state = f.state().await;
    assert_eq!(state.pending_claims, U256::ZERO);
    assert_eq!(state.balance, U256::from(CAPITAL + order.premium - price));
    let claim = f.insurance(&f.v.admin).claim(filed.claim_id).await.expect("claim");
    assert_eq!((claim.status, claim.paid), (2, price));
}

#[tokio::test]
async fn a_rejected_claim_pays_nothing_and_restores_capital() {
    let f = InsuranceFixture::new().await;
    let order = f.dispensed(0, 2 * USD, 1).await;
    let reputation_before = reputation(&f).await;
    let (claim_id, receipt) = f.claim_and_resolve(order.order_id, REJECT).await;
    let rejected = pool_events::<InsurancePool::ClaimRejected>(&receipt, f.pool);
    assert_eq!(
        rejected,
        vec![InsurancePool::ClaimRejected { claimId: claim_id, orderId: order.order_id, ruling: U256::from(REJECT) }]
    );
    assert!(pool_events::<InsurancePool::ClaimPaid>(&receipt, f.pool).is_empty());
    assert_eq!(reputation(&f).await, reputation_before);
    let state = f.state().await;
    assert_eq!(state.pending_claims, U256::ZERO);
    assert_eq!(state.total_assets, U256::from(CAPITAL + order.premium));
    assert_eq!(f.insurance(&f.v.admin).coverage(order.order_id).await.expect("coverage").status, coverage::REJECTED);
    // The ruling is final: no second claim on the same policy.
    let again = f.insurance(&f.v.buyer).file_claim(order.order_id, evidence(order.order_id)).await;
    assert_revert(again, InsurancePool::AlreadyClaimed { orderId: order.order_id, claimId: claim_id });
}

#[tokio::test]
async fn claims_need_a_dispensed_insured_order_of_the_claimant() {
    let f = InsuranceFixture::new().await;
    let buyer = f.insurance(&f.v.buyer);
    // Not yet dispensed.
    let open = f.insured(0, 2 * USD, 1).await;
    f.v.advance(1).await;
    assert_revert(
        buyer.file_claim(open.order_id, evidence(open.order_id)).await,
        InsurancePool::NotDispensed { orderId: open.order_id },
    );
    // Uninsured.
    let plain = f.v.place(0, 2 * USD, 2).await;
    f.settle(plain.id, automat_contracts::vending::Outcome::Dispensed).await;
    assert_revert(
        buyer.file_claim(plain.id, evidence(plain.id)).await,
        InsurancePool::PolicyNotActive { orderId: plain.id, status: 0 },
    );
    // Somebody else's policy.
    f.settle(open.order_id, automat_contracts::vending::Outcome::Dispensed).await;
    assert_revert(
        f.insurance(&f.v.stranger).file_claim(open.order_id, evidence(open.order_id)).await,
        InsurancePool::NotInsured { orderId: open.order_id, caller: f.v.stranger.sender(), holder: f.v.buyer.sender() },
    );
    // A refunded order has no policy left.
    let failed = f.insured(0, 2 * USD, 3).await;
    f.settle(failed.order_id, automat_contracts::vending::Outcome::VendFailed).await;
    assert_revert(
        buyer.file_claim(failed.order_id, evidence(failed.order_id)).await,
        InsurancePool::PolicyNotActive { orderId: failed.order_id, status: policy::CANCELLED },
    );
}

/// A3: claims drain the pool below its required capital; new cover pauses by itself while the open claims are
/// still paid in full; emergency liquidity brings cover back.
#[tokio::test]
async fn a_drained_pool_pauses_cover_keeps_paying_claims_and_recovers() {
    let capital = 24 * USD;
    let f = InsuranceFixture::with(params(), capital).await;
    let mut orders = Vec::new();
    for nonce in 1..=3 {
        orders.push(f.dispensed(0, 2 * USD, nonce).await);
    }
    let premiums: u128 = orders.iter().map(|o| o.premium).sum();
    f.v.advance(1).await;
    let mut disputes = Vec::new();
    for order in &orders {
        let filed = f.insurance(&f.v.buyer).file_claim(order.order_id, evidence(order.order_id)).await.expect("filed");
        disputes.push(filed);
    }
    // 24 USD + premiums − 6 USD claimed < 20 USD required: paused when the third claim was filed.
    let paused = pool_events::<InsurancePool::CoverPaused>(&disputes[2].receipt, f.pool);
    assert_eq!(
        paused,
        vec![InsurancePool::CoverPaused {
            capital: U256::from(capital + premiums - 6 * USD),
            requiredCapital: U256::from(params().minCapital),
            iouOutstanding: U256::ZERO,
        }]
    );
    let state = f.state().await;
    assert!(state.cover_paused);
    assert_eq!(state.pause_episodes, 1);
    let before = f.balance(f.v.buyer.sender()).await;
    let refused = f.insured_by(&f.v.buyer, 1, USD, 10).await;
    assert_eq!(refused.expect_err("paused").chain_error().revert_name(), Some("CoverIsPaused"));
    assert_eq!(f.balance(f.v.buyer.sender()).await, before, "nothing charged");

    // Open claims stay payable, in full.
    for filed in &disputes {
        let receipt = f.resolve(filed.dispute_id, |_| PAY).await;
        let paid = pool_events::<InsurancePool::ClaimPaid>(&receipt, f.pool);
        assert_eq!((paid[0].paid, paid[0].owed), (2 * USD, 0));
    }
    assert_eq!(f.balance(f.v.buyer.sender()).await, before + 6 * USD);
    assert!(f.state().await.cover_paused, "still below the requirement");

    // Emergency liquidity from governance restores cover.
    f.v.mint(f.v.admin.sender(), 10 * USD).await;
    let receipt = f.insurance(&f.v.admin).inject_liquidity(10 * USD).await.expect("inject");
    let resumed = pool_events::<InsurancePool::CoverResumed>(&receipt, f.pool);
    assert_eq!(resumed.len(), 1);
    assert!(!f.state().await.cover_paused);
    f.insured(1, USD, 11).await;
    assert_eq!(f.state().await.pause_episodes, 1);
}

/// Graduated payouts: four claims pending on a leveraged pool that holds about half of them. Each approved claim
/// is paid the same fraction, the rest queued as IOUs; new premiums and injected liquidity pay the IOUs oldest
/// first, and in the end every claim is paid exactly its amount.
#[tokio::test]
async fn short_pools_pay_pro_rata_and_settle_ious_in_order() {
    let lean = Params { minCapital: USD as u64, minCapitalRatioBps: 0, ..params() };
    let capital = 4 * USD;
    let f = InsuranceFixture::with(lean, capital).await;
    let buyer = f.v.buyer.sender();
    let mut orders = Vec::new();
    for nonce in 1..=4 {
        orders.push(f.dispensed(0, 2 * USD, nonce).await);
    }
    // One more insured order stays open (the machine never answers): its premium is unearned.
    let open = f.insured(1, USD / 2, 5).await;
    f.v.advance(1).await;
    let mut filed = Vec::new();
    for order in &orders {
        filed.push(f.insurance(&f.v.buyer).file_claim(order.order_id, evidence(order.order_id)).await.expect("filed"));
    }
    // What the pool may pay out: its balance less the open order's unearned premium.
    let books = f.state().await;
    let balance = (books.balance - books.unearned_premiums).to::<u128>();
    assert!(balance < 8 * USD, "the pool holds less than is claimed");
    let received_before = f.balance(buyer).await;

    let mut paid_now = Vec::new();
    for claim in &filed {
        let receipt = f.resolve(claim.dispute_id, |_| PAY).await;
        let paid = &pool_events::<InsurancePool::ClaimPaid>(&receipt, f.pool)[0];
        assert_eq!(paid.paid + paid.owed, 2 * USD);
        paid_now.push(paid.paid);
    }
    // The same fraction (balance / 8 USD of claims) for every claim, up to rounding.
    let fair = 2 * USD * balance / (8 * USD);
    for paid in &paid_now {
        assert!(paid.abs_diff(fair) <= 1, "{paid} vs {fair}");
    }
    let state = f.state().await;
    assert_eq!(state.pro_rata_payouts, 4);
    assert_eq!(state.balance, U256::from(open.premium), "claims took all but the unearned premium");
    // The open order times out: its refund carries the premium back in full, drained pool or not.
    let before = f.balance(buyer).await;
    let refund = f.v.refund(open.order_id).await.expect("refund is never blocked");
    let cancelled = pool_events::<InsurancePool::PolicyCancelled>(&refund, f.pool);
    assert_eq!(cancelled[0].premiumRefunded, open.premium);
    assert_eq!(f.balance(buyer).await, before + USD / 2 + open.premium);
    let received_before = received_before + USD / 2 + open.premium;
    let state = f.state().await;
    assert!(state.insolvent, "IOUs the balance does not cover");
    assert!(state.cover_paused);
    let queue = f.insurance(&f.v.admin).iou_queue().await.expect("queue");
    let ids: Vec<U256> = queue.iter().map(|i| i.claimId).collect();
    assert_eq!(ids, filed.iter().map(|c| c.claim_id).collect::<Vec<_>>(), "IOUs queue in claim order");
    let owed: u128 = queue.iter().map(|i| i.owed).sum();
    assert_eq!(U256::from(owed), state.iou_outstanding);

    // A backstop deposit (shares at the price net of IOUs) brings capital back; cover resumes.
    f.insurance(&f.underwriter).deposit(20 * USD).await.expect("backstop deposit");
    assert!(!f.state().await.cover_paused);
    // The next premium, once earned (the order dispensed), goes to the oldest IOU first.
    let order = f.insured(1, USD, 20).await;
    assert!(pool_events::<InsurancePool::IouPaid>(&order.receipt, f.pool).is_empty(), "not earned yet");
    let dispensed = f.settle(order.order_id, automat_contracts::vending::Outcome::Dispensed).await;
    let iou_paid = pool_events::<InsurancePool::IouPaid>(&dispensed, f.pool);
    assert_eq!(iou_paid.len(), 1);
    assert_eq!(iou_paid[0].claimId, filed[0].claim_id);
    assert_eq!(iou_paid[0].amount, order.premium);
    assert_eq!(f.state().await.iou_outstanding, U256::from(owed - order.premium));

    // Emergency liquidity pays the rest, oldest first; nobody paid twice or skipped.
    f.v.mint(f.v.admin.sender(), 10 * USD).await;
    let receipt = f.insurance(&f.v.admin).inject_liquidity(10 * USD).await.expect("inject");
    let ious = pool_events::<InsurancePool::IouPaid>(&receipt, f.pool);
    let order_of_payment: Vec<U256> = ious.iter().map(|e| e.claimId).collect();
    assert_eq!(order_of_payment, filed.iter().map(|c| c.claim_id).collect::<Vec<_>>());
    assert!(ious.iter().all(|e| e.stillOwed == 0));
    let state = f.state().await;
    assert_eq!(state.iou_outstanding, U256::ZERO);
    assert!(!state.insolvent);
    assert!(f.insurance(&f.v.admin).iou_queue().await.expect("queue").is_empty());
    for claim in &filed {
        let c = f.insurance(&f.v.admin).claim(claim.claim_id).await.expect("claim");
        assert_eq!(c.paid, 2 * USD, "claim {} paid exactly its amount", claim.claim_id);
    }
    // Everything claimed arrived, less what the buyer's later insured order cost.
    assert_eq!(f.balance(buyer).await, received_before + 8 * USD - USD - order.premium);
    // Nothing left to pay.
    f.v.stranger.send_sol(f.pool, &InsurancePool::payIousCall { maxCount: U256::from(10u64) }).await.expect("noop");
}
