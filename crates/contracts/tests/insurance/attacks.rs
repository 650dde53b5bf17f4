//! Attacks on the pool that must fail.

use alloy_primitives::U256;
use automat_chain::{ChainClient, ChainClientExt};
use automat_contracts::insurance::InsurancePool;
use automat_contracts::vending::{Outcome, PaymentToken, ReceiptNFT, Storefront};
use automat_contracts::{artifacts, deploy_artifact};

use crate::common::*;

/// Bindings of the attacker fixture; its ABI names the Storefront's structs, so they live in their own module.
#[allow(missing_docs, clippy::too_many_arguments)]
mod claimer {
    alloy_sol_types::sol!(
        #[derive(Debug)]
        SameBlockClaimer,
        "../../contracts/out/testing/SameBlockClaimer.sol/SameBlockClaimer.json"
    );
}

async fn value_of(f: &InsuranceFixture, shares: U256) -> U256 {
    f.v.admin.call_sol(f.pool, &InsurancePool::convertToAssetsCall { shares }).await.expect("convertToAssets")
}

/// ERC-4626 inflation: the first depositor puts in 1 wei and donates a large amount to make the next deposit
/// round down to nothing. With 6 decimals of offset the victim keeps practically everything and the attacker
/// loses almost all of the donation.
#[tokio::test]
async fn the_inflation_attack_costs_the_attacker_not_the_victim() {
    let f = InsuranceFixture::with(params(), 0).await;
    let attacker = &f.v.stranger;
    let victim = &f.underwriter;
    let attacker_shares = f.insurance(attacker).deposit(1).await.expect("1 wei deposit");
    let donation = 10 * USD;
    attacker
        .send_sol(f.v.suite.token, &PaymentToken::transferCall { to: f.pool, value: U256::from(donation) })
        .await
        .expect("donation");
    let deposit = 10 * USD;
    let victim_shares = f.insurance(victim).deposit(deposit).await.expect("victim deposits");
    assert!(victim_shares > U256::ZERO, "the victim's deposit did not round to zero shares");
    let victim_value = value_of(&f, victim_shares).await.to::<u128>();
    let attacker_value = value_of(&f, attacker_shares).await.to::<u128>();
    assert!(victim_value * 10_000 >= deposit * 9_999, "victim keeps ≥ 99.99 %: {victim_value} of {deposit}");
    // The vault's virtual shares (10^6, as many as the attacker's 1 wei bought) take half of the donation.
    assert!(attacker_value <= (donation + 1).div_ceil(2), "the attack loses money: {attacker_value} of {donation}");
}

/// An underwriter who leaves right after a claim is filed leaves at the price net of that claim: the loss is
/// shared with the underwriter who stays, not dumped on them.
#[tokio::test]
async fn an_underwriter_leaving_after_a_claim_is_filed_bears_its_share() {
    let f = InsuranceFixture::with(params(), 0).await;
    let (a, b) = (&f.underwriter, &f.v.client(4));
    f.v.mint(b.sender(), 100 * USD).await;
    let shares_a = f.insurance(a).deposit(50 * USD).await.expect("A deposits");
    let shares_b = f.insurance(b).deposit(50 * USD).await.expect("B deposits");
    assert_eq!(shares_a, shares_b);
    // A asked to leave long ago; the cooldown is over.
    f.insurance(a).request_withdrawal(shares_a).await.expect("request");
    f.v.advance(u64::from(params().withdrawCooldown)).await;

    let order = f.dispensed(0, 2 * USD, 1).await;
    f.v.advance(1).await;
    let filed = f.insurance(&f.v.buyer).file_claim(order.order_id, evidence(order.order_id)).await.expect("filed");
    // A leaves at once with everything the pool lets go.
    let max = f.insurance(a).max_redeem(a.sender()).await.expect("max");
    let got_a = f.insurance(a).redeem(max).await.expect("A leaves").to::<u128>();
    let share_of_capital_net_of_claim = (100 * USD + order.premium - 2 * USD) / 2;
    assert!(got_a <= share_of_capital_net_of_claim, "A got {got_a} > {share_of_capital_net_of_claim}");

    // The claim is paid; B, who stayed, is not worse off than A per share.
    f.resolve(filed.dispute_id, |_| PAY).await;
    let value_b = value_of(&f, shares_b).await.to::<u128>();
    let per_share_a = got_a as f64 / max.to::<u128>() as f64;
    let per_share_b = value_b as f64 / shares_b.to::<u128>() as f64;
    assert!(per_share_b >= per_share_a * 0.999_999, "B {per_share_b} vs A {per_share_a}");
    assert!(!f.state().await.insolvent);
}

/// A contract (with a colluding machine) buys cover, has the order attested and claims in one transaction.
#[tokio::test]
async fn cover_cannot_be_bought_and_claimed_in_one_block() {
    let f = InsuranceFixture::new().await;
    let artifact = artifacts::get("SameBlockClaimer").expect("artifact");
    let attacker = deploy_artifact(&f.v.stranger, &artifact, &[]).await.expect("deploy").address;
    f.v.mint(attacker, 10 * USD).await;
    let (quote, quote_signature) = f.v.quote(0, 2 * USD, 1).await;
    let next_order = f.v.admin.call_sol(f.v.suite.storefront, &Storefront::orderCountCall {}).await.expect("count")
        + U256::from(1u64);
    let (attestation, attestation_signature) = f.v.attestation(next_order, Outcome::Dispensed);
    let deadline = f.deadline().await;
    let result =
        f.v.stranger
            .send_sol(
                attacker,
                &claimer::SameBlockClaimer::attackCall {
                    storefront: f.v.suite.storefront,
                    pool: f.pool,
                    quote: claimer::Storefront::Quote {
                        machineId: quote.machineId,
                        slot: quote.slot,
                        price: quote.price,
                        expiry: quote.expiry,
                        nonce: quote.nonce,
                    },
                    quoteSignature: quote_signature,
                    deadline,
                    attestation: claimer::Storefront::Attestation {
                        orderId: attestation.orderId,
                        outcome: attestation.outcome,
                        metadataDigest: attestation.metadataDigest,
                    },
                    attestationSignature: attestation_signature,
                },
            )
            .await;
    let block = f.v.admin.block_number().await.expect("block") + 1;
    assert_revert(result, InsurancePool::ClaimInPurchaseBlock { orderId: next_order, purchasedBlock: block });
}

#[tokio::test]
async fn one_receipt_gets_one_claim() {
    let f = InsuranceFixture::new().await;
    let order = f.dispensed(0, 2 * USD, 1).await;
    f.v.advance(1).await;
    let buyer = f.insurance(&f.v.buyer);
    let first = buyer.file_claim(order.order_id, evidence(order.order_id)).await.expect("first claim");
    let second = buyer.file_claim(order.order_id, evidence(order.order_id)).await;
    assert_revert(second, InsurancePool::AlreadyClaimed { orderId: order.order_id, claimId: first.claim_id });
    assert_eq!(f.state().await.pending_claims, U256::from(2 * USD), "counted once");
    // Paid once, and the policy stays claimed.
    f.resolve(first.dispute_id, |_| PAY).await;
    let again = buyer.file_claim(order.order_id, evidence(order.order_id)).await;
    assert_revert(again, InsurancePool::AlreadyClaimed { orderId: order.order_id, claimId: first.claim_id });
}

/// The cover is the buyer's: after the incident the buyer hands the receipt to someone else; neither can claim.
#[tokio::test]
async fn a_transferred_receipt_cannot_be_claimed() {
    let f = InsuranceFixture::new().await;
    let order = f.dispensed(0, 2 * USD, 1).await;
    let (buyer, stranger) = (f.v.buyer.sender(), f.v.stranger.sender());
    f.v.buyer
        .send_sol(
            f.v.suite.receipts,
            &ReceiptNFT::transferFromCall { from: buyer, to: stranger, tokenId: order.order_id },
        )
        .await
        .expect("receipt transferred");
    assert_revert(
        f.insurance(&f.v.stranger).file_claim(order.order_id, evidence(order.order_id)).await,
        InsurancePool::NotInsured { orderId: order.order_id, caller: stranger, holder: buyer },
    );
    assert_revert(
        f.insurance(&f.v.buyer).file_claim(order.order_id, evidence(order.order_id)).await,
        InsurancePool::NotReceiptHolder { orderId: order.order_id, holder: buyer, receiptOwner: stranger },
    );
    assert_eq!(f.state().await.pending_claims, U256::ZERO);
}
