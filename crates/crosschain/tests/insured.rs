//! Insured cross-chain purchases end to end on the embedded devnet: a buyer on chain A buys a machine's item on
//! chain B with cover from B's insurance pool in the one `buy` on A, through LayerZero v2 and Hyperlane (every
//! off-chain role run by our daemons, the machine driven by its agent). The premium is paid on B, the policy is
//! held by the buyer's address, and the buyer (the same key, on chain B) can claim there; a failed vend returns
//! price and premium to A; cover refused on B rejects the order with nothing lost. The bridge invariant
//! (minted on other chains ≤ locked at home) is checked after every step.

mod common;

use std::error::Error;

use alloy_primitives::{Address, U256, keccak256};
use alloy_sol_types::{SolError, SolEvent};
use automat_agent::{VendFailure, VendOutcome};
use automat_chain::{ChainClient, ChainClientExt, ChainError, alloy::Filter};
use automat_contracts::{
    crosschain::{
        CrossChainCheckout, Fulfilment, OpenedPurchase, PurchaseStatus, TokenGateway, Transport, buy_request,
    },
    insurance::{ClaimStatus, Insurance, InsurancePool, PolicyStatus},
    vending::{PaymentToken, Storefront, Vending},
};
use automat_crosschain::{
    KeeperConfig, minted_minus_locked,
    network::{CoverConfig, NetworkConfig},
};
use automat_devnet::EmbeddedClient;
use common::{AUSD, BUYER, Fixture, TestResult, setup_with};

/// Account that underwrites the pool on chain B.
const UNDERWRITER: usize = 5;
/// What the underwriter deposits.
const CAPITAL: u128 = 100 * AUSD;
/// The machine's quoted price.
const PRICE: u128 = 2 * AUSD;
/// The buyer's maximum price.
const MAX_PRICE: u128 = 3 * AUSD;
/// The buyer's maximum premium (well above the premium of a 2 aUSD cover).
const MAX_PREMIUM: u128 = AUSD / 2;
/// What the fixture's buyer holds on chain A.
const FUNDS: u128 = 100 * AUSD;
/// `CrossChainCheckout.RejectReason.StorefrontRefused`.
const STOREFRONT_REFUSED: u8 = 2;
/// `CrossChainCheckout.RejectReason.VendFailedOrExpired`.
const VEND_FAILED_OR_EXPIRED: u8 = 5;

type Res<T> = Result<T, Box<dyn Error>>;

/// The two-chain fixture with a court and a pool on each chain; the pool on B underwritten with `capital`
/// (none: new cover stays paused).
async fn covered(transport: Transport, capital: u128) -> Res<Fixture> {
    let config = NetworkConfig { cover: Some(CoverConfig::default()), ..NetworkConfig::default() };
    let f = setup_with(KeeperConfig { primary: transport, retry_after: None, confirmations: 1 }, config).await?;
    if capital > 0 {
        let underwriter = f.devnet.dev_client(f.b, UNDERWRITER)?;
        admin_b(&f)?.mint(underwriter.sender(), U256::from(capital)).await?;
        pool(&f, underwriter)?.deposit(capital).await?;
    }
    Ok(f)
}

fn admin_b(f: &Fixture) -> Res<Vending<EmbeddedClient>> {
    Ok(Vending::new(f.devnet.dev_client(f.b, 0)?, f.network.chain(f.b)?.suite))
}

/// B's pool acting as `client`.
fn pool(f: &Fixture, client: EmbeddedClient) -> Res<Insurance<EmbeddedClient>> {
    let chain = f.network.chain(f.b)?;
    let cover = chain.cover.ok_or("the network was deployed with cover")?;
    Ok(Insurance::new(client, chain.suite, cover.pool))
}

/// The fixture's buyer buys one unit at [`PRICE`] with cover for at most [`MAX_PREMIUM`].
async fn buy_insured(f: &Fixture, transport: Transport) -> Res<OpenedPurchase> {
    let quote = f.agent.quote(0, PRICE).await?;
    let deliver_by = f.buyer.client().block_timestamp().await? + 300;
    let request = buy_request(f.b, &quote.quote, quote.signature, MAX_PRICE, deliver_by, 600);
    Ok(f.buyer.buy_insured(&request, MAX_PREMIUM, transport, true).await?)
}

/// Minted on other chains ≤ locked at home.
async fn assert_bridge_invariant(f: &Fixture, step: &str) -> TestResult {
    let excess = minted_minus_locked(&f.apps()?).await?;
    assert!(excess <= 0, "after {step}: minted on other chains exceeds locked at home by {excess}");
    Ok(())
}

async fn buyer_balance(f: &Fixture) -> Res<u128> {
    Ok(f.buyer.token_balance(f.buyer.client().sender()).await?.to::<u128>())
}

/// The `E` events `emitter` logged on `chain`.
async fn events<E: SolEvent>(f: &Fixture, chain: u64, emitter: Address) -> Res<Vec<E>> {
    let client = f.devnet.dev_client(chain, 0)?;
    let logs = client.logs(&Filter::new().address(emitter).event_signature(E::SIGNATURE_HASH).from_block(0)).await?;
    Ok(logs.iter().filter_map(|l| E::decode_log(&l.inner).ok().map(|d| d.data)).collect())
}

async fn insured_purchase_settles_and_the_buyer_claims_on_the_machine_chain(transport: Transport) -> TestResult {
    let mut f = covered(transport, CAPITAL).await?;
    let buyer = f.buyer.client().sender();
    let admin_pool = pool(&f, f.devnet.dev_client(f.b, 0)?)?;
    let pool_before = admin_pool.state().await?;

    let opened = buy_insured(&f, transport).await?;
    assert_eq!(buyer_balance(&f).await?, FUNDS - MAX_PRICE - MAX_PREMIUM, "max price and max premium taken");
    assert_eq!(f.buyer.purchase(opened.purchase_id).await?.amount, MAX_PRICE + MAX_PREMIUM);
    assert_bridge_invariant(&f, "buy").await?;

    assert_eq!(f.drive(opened.purchase_id, 12).await?, PurchaseStatus::Settled);
    assert_bridge_invariant(&f, "settlement").await?;

    // On chain B: the order was insured, the premium paid to the pool, the policy held by the buyer's address.
    let apps = f.apps()?;
    let incoming = apps[1].incoming(f.a, opened.order_hash).await?;
    let (order_id, premium) = (incoming.orderId, incoming.premium);
    assert!(premium > 0 && premium < MAX_PREMIUM, "premium {premium} within (0, {MAX_PREMIUM})");
    let policy = admin_pool.policy(order_id).await?;
    assert_eq!(policy.holder, buyer, "the A buyer's address holds the cover");
    assert_eq!((policy.cover, policy.premium), (PRICE, premium));
    assert_eq!(PolicyStatus::from(policy.status), PolicyStatus::Active);
    assert!(policy.dispensedAt > 0, "the claim window opened at the dispense");
    assert_eq!(admin_pool.state().await?.balance, pool_before.balance + U256::from(premium), "premium paid on B");
    let accepted = events::<CrossChainCheckout::OrderAccepted>(&f, f.b, apps[1].app().checkout).await?;
    assert_eq!(accepted.len(), 1);
    assert_eq!((accepted[0].orderId, accepted[0].price, accepted[0].premium), (order_id, PRICE, premium));
    assert_eq!(apps[1].token_balance(apps[1].app().checkout).await?, U256::ZERO, "nothing left in the checkout");
    // Credited with the price and the max premium; the unused part of the max premium debited back at once.
    let gateway_b = apps[1].app().gateway;
    let credited = events::<TokenGateway::Credited>(&f, f.b, gateway_b).await?;
    assert_eq!(
        credited.iter().map(|c| (c.to, c.srcChainId, c.amount)).collect::<Vec<_>>(),
        vec![(apps[1].app().checkout, f.a, U256::from(PRICE + MAX_PREMIUM))]
    );
    let debited = events::<TokenGateway::Debited>(&f, f.b, gateway_b).await?;
    assert_eq!(
        debited.iter().map(|d| (d.from, d.dstChainId, d.amount)).collect::<Vec<_>>(),
        vec![(apps[1].app().checkout, f.a, U256::from(MAX_PREMIUM - premium))]
    );

    // On chain A: the receipt, and everything back except the price and the premium.
    assert_eq!(f.buyer.receipt_owner(opened.purchase_id).await?, buyer);
    assert_eq!(buyer_balance(&f).await?, FUNDS - PRICE - premium);
    let settled = events::<CrossChainCheckout::PurchaseSettled>(&f, f.a, apps[0].app().checkout).await?;
    assert_eq!(settled.len(), 1);
    assert_eq!(
        (settled[0].buyer, settled[0].price, settled[0].premium, settled[0].refund),
        (buyer, PRICE, premium, MAX_PRICE + MAX_PREMIUM - PRICE - premium)
    );
    // Home holds locked exactly what the machine's chain minted: the price and the premium.
    assert_eq!(apps[0].locked().await?, U256::from(PRICE + premium));
    assert_eq!(apps[1].minted().await?, U256::from(PRICE + premium));
    assert_eq!(minted_minus_locked(&apps).await?, 0);

    // The buyer, with the same key on chain B, files a claim there (the receipt lives on chain A).
    let buyer_b = f.devnet.dev_client(f.b, BUYER)?;
    assert_eq!(buyer_b.sender(), buyer);
    let claimant = pool(&f, buyer_b)?;
    let fee = claimant.claim_fee().await?;
    admin_b(&f)?.mint(buyer, fee).await?;
    let filed = claimant.file_claim(order_id, keccak256(b"the machine took the money and gave nothing")).await?;
    assert_eq!(filed.amount, PRICE);
    let claim_filed = filed.receipt.events::<InsurancePool::ClaimFiled>();
    assert_eq!(claim_filed.len(), 1);
    assert_eq!((claim_filed[0].orderId, claim_filed[0].claimant), (order_id, buyer));
    assert_eq!(PolicyStatus::from(admin_pool.policy(order_id).await?.status), PolicyStatus::Claimed);
    assert_eq!(ClaimStatus::from(admin_pool.claim(filed.claim_id).await?.status), ClaimStatus::Pending);
    assert_bridge_invariant(&f, "the claim").await?;
    Ok(())
}

#[tokio::test]
async fn insured_purchase_through_layerzero_pays_the_premium_on_b_and_the_buyer_claims_there() -> TestResult {
    insured_purchase_settles_and_the_buyer_claims_on_the_machine_chain(Transport::LayerZero).await
}

#[tokio::test]
async fn insured_purchase_through_hyperlane_pays_the_premium_on_b_and_the_buyer_claims_there() -> TestResult {
    insured_purchase_settles_and_the_buyer_claims_on_the_machine_chain(Transport::Hyperlane).await
}

/// The vend fails on chain B: the Storefront refunds the price and the pool the premium to the checkout, both
/// go back to chain A, and the buyer ends with what it started with (router fees are paid in the native coin).
#[tokio::test]
async fn insured_purchase_whose_vend_fails_returns_price_and_premium() -> TestResult {
    let mut f = covered(Transport::LayerZero, CAPITAL).await?;
    let admin_pool = pool(&f, f.devnet.dev_client(f.b, 0)?)?;
    let pool_before = admin_pool.state().await?;
    f.agent.driver().script([VendOutcome::Failed(VendFailure::VendFailed)]);

    let opened = buy_insured(&f, Transport::LayerZero).await?;
    assert_bridge_invariant(&f, "buy").await?;
    assert_eq!(f.drive(opened.purchase_id, 12).await?, PurchaseStatus::Refunded);
    assert_bridge_invariant(&f, "refund").await?;

    let apps = f.apps()?;
    let incoming = apps[1].incoming(f.a, opened.order_hash).await?;
    assert_eq!(Fulfilment::from(incoming.state), Fulfilment::Reported);
    assert_eq!(incoming.reason, VEND_FAILED_OR_EXPIRED);
    assert!(incoming.premium > 0, "the order was insured");
    let policy = admin_pool.policy(incoming.orderId).await?;
    assert_eq!(PolicyStatus::from(policy.status), PolicyStatus::Cancelled);
    let pool_after = admin_pool.state().await?;
    assert_eq!(pool_after.balance, pool_before.balance, "the premium went back");
    assert_eq!(pool_after.active_cover, U256::ZERO);

    assert_eq!(buyer_balance(&f).await?, FUNDS, "the buyer ends where it started");
    let refunded = events::<CrossChainCheckout::PurchaseRefunded>(&f, f.a, apps[0].app().checkout).await?;
    assert_eq!(refunded.len(), 1);
    assert_eq!((refunded[0].amount, refunded[0].reason), (MAX_PRICE + MAX_PREMIUM, VEND_FAILED_OR_EXPIRED));
    assert_eq!(apps[1].token_balance(apps[1].app().checkout).await?, U256::ZERO);
    assert_eq!(apps[1].minted().await?, U256::ZERO, "price and premium burned again on the machine's chain");
    assert_eq!(apps[0].locked().await?, U256::ZERO);
    Ok(())
}

/// B's pool has no capital, so new cover is paused: the order is rejected on arrival with the pool's error,
/// nothing is sold or kept, and the buyer is refunded in full on chain A.
#[tokio::test]
async fn insured_purchase_refused_cover_is_rejected_with_nothing_lost() -> TestResult {
    let mut f = covered(Transport::LayerZero, 0).await?;
    let admin_pool = pool(&f, f.devnet.dev_client(f.b, 0)?)?;
    assert!(admin_pool.state().await?.cover_paused, "a pool without capital sells no cover");
    let opened = buy_insured(&f, Transport::LayerZero).await?;
    assert_bridge_invariant(&f, "buy").await?;
    assert_eq!(f.drive(opened.purchase_id, 12).await?, PurchaseStatus::Refunded);
    assert_bridge_invariant(&f, "refund").await?;

    let apps = f.apps()?;
    let incoming = apps[1].incoming(f.a, opened.order_hash).await?;
    assert_eq!(Fulfilment::from(incoming.state), Fulfilment::Reported);
    assert_eq!((incoming.reason, incoming.price, incoming.premium), (STOREFRONT_REFUSED, 0, 0));
    let rejected = events::<CrossChainCheckout::OrderRejected>(&f, f.b, apps[1].app().checkout).await?;
    assert_eq!(rejected.len(), 1);
    assert_eq!(rejected[0].reason, STOREFRONT_REFUSED);
    assert_eq!(
        &rejected[0].detail[..4],
        InsurancePool::CoverIsPaused::SELECTOR.as_slice(),
        "the pool's refusal is in the event"
    );
    let storefront = f.network.chain(f.b)?.suite.storefront;
    let orders = f.devnet.dev_client(f.b, 0)?.call_sol(storefront, &Storefront::orderCountCall {}).await?;
    assert_eq!(orders, U256::ZERO, "no Storefront order was placed");
    assert_eq!(admin_pool.state().await?.balance, U256::ZERO);

    assert_eq!(buyer_balance(&f).await?, FUNDS, "refunded in full");
    assert_eq!(apps[1].token_balance(apps[1].app().checkout).await?, U256::ZERO);
    assert_eq!(apps[1].minted().await?, U256::ZERO);
    assert_eq!(apps[0].locked().await?, U256::ZERO);
    Ok(())
}

/// `Storefront.placeInsuredOrderFor` on its own (what the checkout calls on chain B): the caller is the order's
/// buyer and pays price and premium, the named holder holds the policy; a zero holder is refused.
#[tokio::test]
async fn storefront_insured_order_for_another_holder() -> TestResult {
    let f = covered(Transport::LayerZero, CAPITAL).await?;
    let suite = f.network.chain(f.b)?.suite;
    let payer = f.devnet.dev_client(f.b, UNDERWRITER + 1)?;
    let holder = f.buyer.client().sender();
    admin_b(&f)?.mint(payer.sender(), U256::from(MAX_PRICE + MAX_PREMIUM)).await?;
    let payer_pool = pool(&f, payer.clone())?;
    for (spender, value) in [(suite.storefront, PRICE), (payer_pool.pool(), MAX_PREMIUM)] {
        payer.send_sol(suite.token, &PaymentToken::approveCall { spender, value: U256::from(value) }).await?;
    }
    let quote = f.agent.quote(0, PRICE).await?;
    let deadline = payer.block_timestamp().await? + 600;
    let call = |holder| Storefront::placeInsuredOrderForCall {
        holder,
        quote: quote.quote.clone(),
        quoteSignature: quote.signature.clone(),
        maxPrice: MAX_PRICE,
        deadline,
        maxPremium: MAX_PREMIUM,
    };
    let refused = payer.send_sol(suite.storefront, &call(Address::ZERO)).await;
    match refused {
        Err(ChainError::Reverted { data, .. }) => {
            assert_eq!(data.as_ref(), Storefront::ZeroHolder::SELECTOR.as_slice())
        }
        other => panic!("expected ZeroHolder, got {other:?}"),
    }

    let receipt = payer.send_sol(suite.storefront, &call(holder)).await?;
    let placed = receipt.events::<Storefront::OrderPlaced>();
    assert_eq!(placed.len(), 1);
    assert_eq!(placed[0].buyer, payer.sender(), "the caller is the order's buyer");
    let opened = receipt.events::<InsurancePool::PolicyOpened>();
    assert_eq!(opened.len(), 1);
    assert_eq!((opened[0].orderId, opened[0].holder), (placed[0].orderId, holder));
    let policy = payer_pool.policy(placed[0].orderId).await?;
    assert_eq!((policy.holder, policy.cover, policy.premium), (holder, PRICE, opened[0].premium));
    let left = payer.call_sol(suite.token, &PaymentToken::balanceOfCall { account: payer.sender() }).await?;
    assert_eq!(left, U256::from(MAX_PRICE + MAX_PREMIUM - PRICE - opened[0].premium), "the caller paid both");
    Ok(())
}
