//! Underwriting and cover: deposits, withdrawals, premiums, capacity, the policy following its order.

use alloy_primitives::U256;
use automat_chain::{ChainClient, ChainClientExt};
use automat_contracts::insurance::{InsurancePool, Params};
use automat_contracts::vending::{Outcome, PaymentToken, ReceiptNFT, Storefront};

use crate::common::*;

#[tokio::test]
async fn an_empty_pool_sells_no_cover_until_capital_arrives() {
    let f = InsuranceFixture::with(params(), 0).await;
    let state = f.state().await;
    assert!(state.cover_paused, "a pool without capital is paused");
    assert_eq!(state.pause_episodes, 0, "starting paused is no episode");

    let before = f.balance(f.v.buyer.sender()).await;
    let stock = f.v.stock(f.v.machine, 0).await;
    let refused = f.insured_by(&f.v.buyer, 0, 2 * USD, 1).await;
    assert_revert(
        refused,
        InsurancePool::CoverIsPaused {
            capital: U256::ZERO,
            requiredCapital: U256::from(params().minCapital),
            iouOutstanding: U256::ZERO,
        },
    );
    assert_eq!(f.balance(f.v.buyer.sender()).await, before, "nothing charged");
    assert_eq!(f.v.stock(f.v.machine, 0).await, stock, "no unit reserved");

    // A plain order still works.
    f.v.place(0, 2 * USD, 2).await;

    // The underwriter's deposit mints shares with the vault's 6 extra decimals and resumes cover.
    let shares = f.insurance(&f.underwriter).deposit(CAPITAL).await.expect("deposit");
    assert_eq!(shares, U256::from(CAPITAL) * U256::from(1_000_000u64));
    let state = f.state().await;
    assert!(!state.cover_paused);
    assert_eq!(state.total_assets, U256::from(CAPITAL));
    f.insured(0, 2 * USD, 3).await;
}

#[tokio::test]
async fn an_insured_order_pays_the_quoted_premium_and_locks_cover() {
    let f = InsuranceFixture::new().await;
    let price = 2 * USD;
    let deadline = f.deadline().await;
    let quoted = f.insurance(&f.v.buyer).quote_premium(f.v.machine, price, deadline).await.expect("quote");
    let p = params();
    let capacity = CAPITAL * u128::from(p.capacityBps) / 10_000;
    // The quote was read one second before the order's block; the premium is for the duration then.
    let duration = deadline + u64::from(p.claimWindow) - f.v.now().await;
    assert_eq!(quoted, expected_premium(&p, price, duration, p.defaultRiskBps, price, capacity));

    let buyer_before = f.balance(f.v.buyer.sender()).await;
    let order = f.insured_by(&f.v.buyer, 0, price, 1).await.expect("insured order");
    // One second later the duration is one second shorter: the premium can only be the same or a unit less.
    assert!(order.premium <= quoted && order.premium + 1 >= quoted, "premium {} vs quote {quoted}", order.premium);
    assert_eq!(f.balance(f.v.buyer.sender()).await, buyer_before - price - order.premium);
    assert_eq!(f.balance(f.pool).await, CAPITAL + order.premium);
    assert_eq!(f.v.escrow().await, U256::from(price), "the price is in escrow as for any order");

    let opened = pool_events::<InsurancePool::PolicyOpened>(&order.receipt, f.pool);
    assert_eq!(opened.len(), 1);
    assert_eq!(opened[0].holder, f.v.buyer.sender());
    assert_eq!(opened[0].machineId, f.v.machine);
    assert_eq!(opened[0].cover, price);
    assert_eq!(opened[0].expiry, order_deadline(&f, order.order_id).await + u64::from(p.claimWindow));
    assert_eq!(opened[0].riskBps, p.defaultRiskBps);

    let policy = f.insurance(&f.v.admin).policy(order.order_id).await.expect("policy");
    assert_eq!(policy.status, policy::ACTIVE);
    assert_eq!(policy.cover, price);
    assert_eq!(policy.dispensedAt, 0);
    let state = f.state().await;
    assert_eq!(state.active_cover, U256::from(price));
    assert_eq!(state.unearned_premiums, U256::from(order.premium), "owed back until the order is dispensed");
    assert_eq!(state.total_assets, U256::from(CAPITAL));
    assert_eq!(insurer_of(&f, order.order_id).await, f.pool);
    f.settle(order.order_id, Outcome::Dispensed).await;
    let state = f.state().await;
    assert_eq!(state.unearned_premiums, U256::ZERO);
    assert_eq!(state.total_assets, U256::from(CAPITAL + order.premium), "earned premiums belong to the underwriters");
}

async fn order_deadline(f: &InsuranceFixture, order: U256) -> u64 {
    f.v.order(order).await.deadline
}

#[tokio::test]
async fn premiums_rise_with_risk_and_utilisation() {
    let f = InsuranceFixture::new().await;
    let ins = f.insurance(&f.v.admin);
    let deadline = f.deadline().await;
    let base = ins.quote_premium(f.v.machine, 2 * USD, deadline).await.expect("quote");

    // Governance raises the machine's risk score: the premium follows.
    ins.set_machine_risk(f.v.machine, 1_000).await.expect("set risk");
    assert_eq!(ins.risk_of(f.v.machine).await.expect("risk"), 1_000);
    let risky = ins.quote_premium(f.v.machine, 2 * USD, deadline).await.expect("quote");
    assert!(risky > 4 * base, "10 % risk costs far more than 2 %: {risky} vs {base}");

    // Per unit covered, a cover that fills the pool's capacity costs more than a small one.
    ins.set_machine_risk(f.v.machine, 0).await.expect("back to the default");
    let small = ins.quote_premium(f.v.machine, USD, deadline).await.expect("quote");
    let large = ins.quote_premium(f.v.machine, 190 * USD, deadline).await.expect("quote");
    assert!(large > 190 * small * 3 / 2, "utilisation surcharge: {large} vs 190 × {small}");

    assert_revert(ins.set_machine_risk(f.v.machine, 10_001).await, InsurancePool::InvalidRisk { riskBps: 10_001 });
}

#[tokio::test]
async fn a_dispensed_order_records_its_cover_on_the_receipt() {
    let f = InsuranceFixture::new().await;
    let order = f.insured(0, 2 * USD, 1).await;
    let receipt = f.settle(order.order_id, Outcome::Dispensed).await;
    let now = f.v.now().await;

    let activated = pool_events::<InsurancePool::PolicyActivated>(&receipt, f.pool);
    let until = now + u64::from(params().claimWindow);
    assert_eq!(activated, vec![InsurancePool::PolicyActivated { orderId: order.order_id, claimableUntil: until }]);
    let changed = events_from::<ReceiptNFT::CoverageChanged>(&receipt, f.v.suite.receipts);
    assert_eq!(changed.len(), 1);
    assert_eq!(changed[0].pool, f.pool);
    assert_eq!(changed[0].amount, 2 * USD);
    assert_eq!(changed[0].status, coverage::ACTIVE);
    let updates = events_from::<ReceiptNFT::MetadataUpdate>(&receipt, f.v.suite.receipts);
    assert_eq!(updates, vec![ReceiptNFT::MetadataUpdate { _tokenId: order.order_id }], "ERC-4906");

    let cover = f.insurance(&f.v.admin).coverage(order.order_id).await.expect("coverage");
    assert_eq!(
        (cover.pool, cover.amount, cover.claimableUntil, cover.status),
        (f.pool, 2 * USD, until, coverage::ACTIVE)
    );
    assert_eq!(f.insurance(&f.v.admin).policy(order.order_id).await.expect("policy").dispensedAt, now);
    // The operator was paid as for any order.
    assert_eq!(f.v.escrow().await, U256::ZERO);
}

#[tokio::test]
async fn a_refunded_order_cancels_its_policy_and_returns_the_premium() {
    let f = InsuranceFixture::new().await;
    let buyer = f.v.buyer.sender();
    let before = f.balance(buyer).await;

    // Vend failed.
    let failed = f.insured(0, 2 * USD, 1).await;
    let receipt = f.settle(failed.order_id, Outcome::VendFailed).await;
    let cancelled = pool_events::<InsurancePool::PolicyCancelled>(&receipt, f.pool);
    assert_eq!(
        cancelled,
        vec![InsurancePool::PolicyCancelled {
            orderId: failed.order_id,
            refundedTo: buyer,
            premiumRefunded: failed.premium
        }]
    );
    assert_eq!(f.balance(buyer).await, before, "price and premium back");
    assert_eq!(f.insurance(&f.v.admin).policy(failed.order_id).await.expect("policy").status, policy::CANCELLED);

    // Timed out: whoever triggers the refund also cancels the policy.
    let timed_out = f.insured(0, 2 * USD, 2).await;
    f.v.advance(ORDER_WINDOW + 1).await;
    let receipt = f.v.refund(timed_out.order_id).await.expect("refund");
    assert_eq!(pool_events::<InsurancePool::PolicyCancelled>(&receipt, f.pool).len(), 1);
    assert_eq!(f.balance(buyer).await, before);
    let state = f.state().await;
    assert_eq!(state.active_cover, U256::ZERO);
    assert_eq!(state.balance, U256::from(CAPITAL), "the pool kept nothing of cancelled policies");
}

#[tokio::test]
async fn cover_beyond_capacity_is_refused_and_nothing_is_charged() {
    let f = InsuranceFixture::new().await;
    // Capacity: 1 % of capital = 1 USD.
    let tight = Params { capacityBps: 100, ..params() };
    f.v.admin.send_sol(f.pool, &InsurancePool::setParamsCall { params_: tight }).await.expect("set params");
    let before = f.balance(f.v.buyer.sender()).await;
    let refused = f.insured_by(&f.v.buyer, 0, 2 * USD, 1).await;
    assert_revert(
        refused,
        InsurancePool::CapacityExceeded {
            activeCover: U256::ZERO,
            cover: U256::from(2 * USD),
            capacity: U256::from(USD),
        },
    );
    assert_eq!(f.balance(f.v.buyer.sender()).await, before);
    f.insured(0, USD, 2).await;
}

#[tokio::test]
async fn a_premium_above_the_buyers_maximum_is_refused() {
    let f = InsuranceFixture::new().await;
    let (quote, signature) = f.v.quote(0, 2 * USD, 1).await;
    let deadline = f.deadline().await;
    let premium = f.insurance(&f.v.buyer).quote_premium(f.v.machine, 2 * USD, deadline).await.expect("quote");
    let refused = f.insurance(&f.v.buyer).place_insured_order(&quote, signature, 2 * USD, deadline, premium / 2).await;
    let err = refused.expect_err("refused");
    assert_eq!(err.chain_error().revert_name(), Some("PremiumAboveMax"), "{err}");
}

#[tokio::test]
async fn insured_orders_need_a_pool() {
    let f = InsuranceFixture::new().await;
    f.v.admin
        .send_sol(f.v.suite.storefront, &Storefront::setInsuranceCall { insurance_: alloy_primitives::Address::ZERO })
        .await
        .expect("unset");
    assert_revert(f.insured_by(&f.v.buyer, 0, 2 * USD, 1).await, Storefront::InsuranceUnavailable {});
}

#[tokio::test]
async fn expired_cover_frees_capacity() {
    let f = InsuranceFixture::new().await;
    let order = f.dispensed(0, 2 * USD, 1).await;
    assert_eq!(f.state().await.active_cover, U256::from(2 * USD));
    let expiry = f.insurance(&f.v.admin).policy(order.order_id).await.expect("policy").expiry;
    // Still counted on the day it expires.
    f.advance_to(expiry).await;
    let receipt = f.v.stranger.send_sol(f.pool, &InsurancePool::releaseExpiredCall {}).await.expect("release");
    assert!(pool_events::<InsurancePool::CoverReleased>(&receipt, f.pool).is_empty());
    assert_eq!(f.state().await.active_cover, U256::from(2 * USD));
    // Released once the day it expires on is over (cover is bucketed by day, rounded up).
    f.advance_to(expiry.div_ceil(86_400) * 86_400 + 86_400).await;
    let receipt = f.v.stranger.send_sol(f.pool, &InsurancePool::releaseExpiredCall {}).await.expect("release");
    let released = pool_events::<InsurancePool::CoverReleased>(&receipt, f.pool);
    assert_eq!(released.len(), 1);
    assert_eq!(released[0].amount, U256::from(2 * USD));
    assert_eq!(f.state().await.active_cover, U256::ZERO);
    // An expired policy cannot be claimed.
    let late = f.insurance(&f.v.buyer).file_claim(order.order_id, evidence(order.order_id)).await;
    assert_eq!(late.expect_err("late").chain_error().revert_name(), Some("ClaimWindowClosed"));
}

#[tokio::test]
async fn withdrawals_wait_for_the_cooldown() {
    let f = InsuranceFixture::new().await;
    let me = f.underwriter.sender();
    let ins = f.insurance(&f.underwriter);
    let shares = ins.shares_of(me).await.expect("shares");
    let half = shares / U256::from(2);

    // Without a request nothing can be redeemed.
    let early = ins.redeem(half).await;
    assert_eq!(early.expect_err("no request").chain_error().revert_name(), Some("ERC4626ExceededMaxRedeem"));

    let receipt = ins.request_withdrawal(half).await.expect("request");
    let requested = pool_events::<InsurancePool::WithdrawalRequested>(&receipt, f.pool);
    let cooldown = u64::from(params().withdrawCooldown);
    assert_eq!(requested[0].readyAt, f.v.now().await + cooldown);
    assert_eq!(ins.shares_of(me).await.expect("shares"), shares - half, "requested shares are held by the pool");
    assert_eq!(ins.max_redeem(me).await.expect("max"), U256::ZERO, "cooling down");
    let early = ins.redeem(half).await;
    assert_eq!(early.expect_err("cooling").chain_error().revert_name(), Some("ERC4626ExceededMaxRedeem"));

    f.v.advance(cooldown).await;
    assert_eq!(ins.max_redeem(me).await.expect("max"), half);
    let before = f.balance(me).await;
    let assets = ins.redeem(half).await.expect("redeem");
    assert_eq!(assets, U256::from(CAPITAL / 2));
    assert_eq!(f.balance(me).await, before + CAPITAL / 2);
    assert_eq!(f.state().await.total_supply, shares - half);

    // A cancelled request gives the shares back.
    ins.request_withdrawal(U256::from(1_000u64)).await.expect("request");
    ins.client().send_sol(f.pool, &InsurancePool::cancelWithdrawalCall {}).await.expect("cancel");
    assert_eq!(ins.shares_of(me).await.expect("shares"), shares - half);
}

#[tokio::test]
async fn capital_backing_active_cover_cannot_leave() {
    let f = InsuranceFixture::new().await;
    let me = f.underwriter.sender();
    let ins = f.insurance(&f.underwriter);
    let shares = ins.shares_of(me).await.expect("shares");
    ins.request_withdrawal(shares).await.expect("request everything");
    let order = f.insured(0, 2 * USD, 1).await;
    f.v.advance(u64::from(params().withdrawCooldown)).await;

    // Cover of 2 USD needs max(2 / 2×, 25 % of 2, 20 USD floor) = 20 USD to stay.
    let state = f.state().await;
    assert_eq!(state.required_capital, U256::from(params().minCapital));
    let free = state.total_assets - U256::from(params().minCapital);
    let max_assets = f.v.admin.call_sol(f.pool, &InsurancePool::maxWithdrawCall { owner: me }).await.expect("max");
    assert!(max_assets <= free && max_assets + U256::from(1u64) >= free, "{max_assets} vs {free}");
    let too_much = f
        .underwriter
        .send_sol(f.pool, &InsurancePool::withdrawCall { assets: free + U256::from(1u64), receiver: me, owner: me })
        .await;
    assert_eq!(too_much.expect_err("locked").revert_name(), Some("ERC4626ExceededMaxWithdraw"));
    f.underwriter
        .send_sol(f.pool, &InsurancePool::withdrawCall { assets: max_assets, receiver: me, owner: me })
        .await
        .expect("free capital leaves");
    let state = f.state().await;
    assert!(state.total_assets >= U256::from(params().minCapital));
    assert!(!state.cover_paused, "leaving never pauses cover");
    // Once the cover expired, the rest may leave too.
    let expiry = f.insurance(&f.v.admin).policy(order.order_id).await.expect("policy").expiry;
    f.advance_to(expiry.div_ceil(86_400) * 86_400 + 86_400).await;
    let rest = ins.max_redeem(me).await.expect("max");
    assert!(rest > U256::ZERO);
    ins.redeem(rest).await.expect("the rest leaves");
}

#[tokio::test]
async fn only_the_storefront_the_court_and_governance_act_on_the_pool() {
    let f = InsuranceFixture::new().await;
    let stranger = &f.v.stranger;
    let open = stranger
        .send_sol(
            f.pool,
            &InsurancePool::openPolicyCall {
                orderId: U256::from(99u64),
                payer: stranger.sender(),
                holder: stranger.sender(),
                machineId: f.v.machine,
                cover: USD,
                orderDeadline: f.deadline().await,
                maxPremium: USD,
            },
        )
        .await;
    assert_revert(open, InsurancePool::NotStorefront { caller: stranger.sender() });
    let settle = stranger
        .send_sol(f.pool, &InsurancePool::onOrderSettledCall { orderId: U256::from(1u64), dispensed: true })
        .await;
    assert_revert(settle, InsurancePool::NotStorefront { caller: stranger.sender() });
    let rule = stranger
        .send_sol(f.pool, &InsurancePool::ruleCall { disputeId: U256::from(1u64), ruling: U256::from(1u64) })
        .await;
    assert_revert(rule, InsurancePool::NotArbitrator { caller: stranger.sender() });
    let set = stranger.send_sol(f.pool, &InsurancePool::setParamsCall { params_: params() }).await;
    assert_eq!(set.expect_err("not admin").revert_name(), Some("AccessControlUnauthorizedAccount"));
    let invalid = Params { capacityBps: 0, ..params() };
    let set = f.v.admin.send_sol(f.pool, &InsurancePool::setParamsCall { params_: invalid }).await;
    assert_revert(set, InsurancePool::InvalidParams {});
    assert_eq!(read_params(&f).await, params());
    // The receipts' cover is the pool's to write.
    let cover = stranger
        .send_sol(
            f.v.suite.receipts,
            &ReceiptNFT::setCoverageCall { tokenId: U256::from(1u64), amount: 1, claimableUntil: 1, status: 1 },
        )
        .await;
    assert_eq!(cover.expect_err("not the pool").revert_name(), Some("AccessControlUnauthorizedAccount"));
    // The token is untouched by all of it.
    let supply = f.v.admin.call_sol(f.v.suite.token, &PaymentToken::totalSupplyCall {}).await.expect("supply");
    assert!(supply > U256::ZERO);
}

/// The machine's risk score comes from the oracle network's risk feed while it is active and fresh; a stale feed
/// falls back to the score governance set (manual fallback), or the default.
#[tokio::test]
async fn the_oracle_risk_feed_prices_cover_while_fresh() {
    use alloy_signer_local::PrivateKeySigner;
    use automat_contracts::oracle::{FeedConfig, Oracle, deploy_oracle, feed_id, int, sign_report};

    let f = InsuranceFixture::new().await;
    let admin = &f.v.admin;
    let aggregator = deploy_oracle(admin, admin.sender()).await.expect("aggregator");
    let oracle = Oracle::new(admin.clone(), aggregator);
    let nodes: Vec<PrivateKeySigner> = (0..4).map(|i| crate::vending_common::key(&format!("risk node {i}"))).collect();
    let mut signers: Vec<_> = nodes.iter().map(|k| k.address()).collect();
    signers.sort();
    oracle.set_committee(signers, 1).await.expect("committee");
    let feed = feed_id("risk / machine 1");
    oracle.create_feed(feed, FeedConfig::risk(6), "risk of machine 1").await.expect("risk feed");
    // The nodes observe a 7.5 % failure probability.
    let observed_at = f.v.now().await;
    let values: Vec<_> = nodes.iter().map(|k| (k, int(75_000))).collect();
    let report = sign_report(&oracle.domain(), feed, 1, observed_at, &values).expect("signed");
    assert!(oracle.submit_report(feed, 1, report).await.expect("report").accepted);

    let ins = f.insurance(admin);
    ins.set_machine_risk(f.v.machine, 300).await.expect("governance score");
    assert_eq!(ins.risk_of(f.v.machine).await.expect("risk"), 300, "no feed bound yet");
    let max_age = 3_600;
    let receipt = ins.set_risk_feed(f.v.machine, aggregator, feed, max_age).await.expect("bind feed");
    assert_eq!(pool_events::<InsurancePool::RiskFeedSet>(&receipt, f.pool).len(), 1);
    assert_eq!(ins.risk_of(f.v.machine).await.expect("risk"), 750, "the oracle's 7.5 %");
    let order = f.insured(0, 2 * USD, 1).await;
    let opened = pool_events::<InsurancePool::PolicyOpened>(&order.receipt, f.pool);
    assert_eq!(opened[0].riskBps, 750);

    // Stale: governance's score again.
    f.v.advance(u64::from(max_age) + 1).await;
    assert_eq!(ins.risk_of(f.v.machine).await.expect("risk"), 300);
    let order = f.insured(0, 2 * USD, 2).await;
    assert_eq!(pool_events::<InsurancePool::PolicyOpened>(&order.receipt, f.pool)[0].riskBps, 300);
}
