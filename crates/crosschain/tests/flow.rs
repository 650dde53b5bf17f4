//! Cross-chain purchases end to end on the embedded devnet: LayerZero v2 and Hyperlane deployed from their
//! published artifacts, every off-chain role run by our daemons, the machine driven by its agent.

mod common;

use alloy_primitives::U256;
use alloy_sol_types::SolEvent;
use automat_chain::ChainClient;
use automat_chain::alloy::Filter;
use automat_contracts::{
    crosschain::{CrossChainCheckout, CrossChainRouter, Fulfilment, PurchaseStatus, Transport},
    vending::Vending,
};
use automat_crosschain::{KeeperConfig, minted_minus_locked};
use common::{AUSD, TestResult, setup};

async fn settles_through(transport: Transport) -> TestResult {
    let mut f = setup(KeeperConfig { primary: transport, retry_after: None, confirmations: 1 }).await?;
    let operator_before =
        Vending::new(f.devnet.dev_client(f.b, 0)?, f.network.chain(f.b)?.suite).token_balance(f.operator).await?;
    let opened = f.buy(transport, 300).await?;
    assert_eq!(f.buyer.token_balance(f.buyer.client().sender()).await?, U256::from(97 * AUSD), "max price taken");
    let status = f.drive(opened.purchase_id, 12).await?;
    assert_eq!(status, PurchaseStatus::Settled);
    // Receipt on the buyer's chain, change returned, operator paid on the machine's chain (price minus 1% fee).
    assert_eq!(f.buyer.receipt_owner(opened.purchase_id).await?, f.buyer.client().sender());
    assert_eq!(f.buyer.token_balance(f.buyer.client().sender()).await?, U256::from(98 * AUSD));
    let operator_after =
        Vending::new(f.devnet.dev_client(f.b, 0)?, f.network.chain(f.b)?.suite).token_balance(f.operator).await?;
    assert_eq!(operator_after - operator_before, U256::from(2 * AUSD - 2 * AUSD / 100));
    // Every message went through the chosen transport.
    for chain in [f.a, f.b] {
        for d in f.router_events::<CrossChainRouter::MessageDelivered>(chain).await? {
            assert_eq!(d.transport, transport.id());
        }
    }
    // Home locked the 2 aUSD the machine chain minted.
    let apps = f.apps()?;
    assert_eq!(apps[0].locked().await?, U256::from(2 * AUSD));
    assert_eq!(apps[1].minted().await?, U256::from(2 * AUSD));
    assert_eq!(minted_minus_locked(&apps).await?, 0);
    Ok(())
}

#[tokio::test]
async fn purchase_through_layerzero_settles_with_the_receipt_on_the_buyer_chain() -> TestResult {
    settles_through(Transport::LayerZero).await
}

#[tokio::test]
async fn purchase_through_hyperlane_settles_with_the_receipt_on_the_buyer_chain() -> TestResult {
    settles_through(Transport::Hyperlane).await
}

/// Error path A1: LayerZero's roles are down, the order never arrives; after its delivery deadline the keeper
/// declares it expired on the machine's chain (through Hyperlane) and the buyer is refunded. When LayerZero
/// comes back the stale order is delivered and rejected: nothing is minted, nothing sold.
#[tokio::test]
async fn order_lost_in_an_outage_is_refunded_and_its_late_copy_rejected() -> TestResult {
    let mut f = setup(KeeperConfig { primary: Transport::LayerZero, retry_after: None, confirmations: 1 }).await?;
    f.relayers.up.layerzero = false;
    let opened = f.buy(Transport::LayerZero, 60).await?;
    assert_eq!(f.drive(opened.purchase_id, 3).await?, PurchaseStatus::Pending, "nothing moves while LayerZero is down");
    f.advance_time(61).await?;
    assert_eq!(f.drive(opened.purchase_id, 8).await?, PurchaseStatus::Refunded);
    let buyer = f.buyer.client().sender();
    assert_eq!(f.buyer.token_balance(buyer).await?, U256::from(100 * AUSD), "refunded in full");

    // LayerZero recovers and delivers the stale order.
    f.relayers.up.layerzero = true;
    for _ in 0..4 {
        f.relayers.tick().await?;
    }
    let apps = f.apps()?;
    let incoming = apps[1].incoming(f.a, opened.order_hash).await?;
    assert_eq!(Fulfilment::from(incoming.state), Fulfilment::Reported);
    let client_b = f.devnet.dev_client(f.b, 0)?;
    let ignored = client_b
        .logs(
            &Filter::new()
                .address(apps[1].app().checkout)
                .event_signature(CrossChainCheckout::OrderIgnored::SIGNATURE_HASH)
                .from_block(0),
        )
        .await?;
    assert_eq!(ignored.len(), 1, "the late copy was delivered and ignored");
    assert_eq!(apps[1].minted().await?, U256::ZERO, "nothing minted on the machine's chain");
    assert_eq!(apps[0].locked().await?, U256::ZERO);
    assert_eq!(f.buyer.purchase_status(opened.purchase_id).await?, PurchaseStatus::Refunded);
    Ok(())
}

/// LayerZero stalls; the keeper sends the same router envelope through Hyperlane, the purchase settles; when
/// LayerZero delivers its copy the router drops it as a duplicate: one sale, one payment.
#[tokio::test]
async fn stalled_order_is_retried_through_hyperlane_and_the_late_copy_dropped() -> TestResult {
    let mut f = setup(KeeperConfig { primary: Transport::LayerZero, retry_after: Some(120), confirmations: 1 }).await?;
    f.relayers.up.layerzero = false;
    let opened = f.buy(Transport::LayerZero, 900).await?;
    assert_eq!(f.drive(opened.purchase_id, 2).await?, PurchaseStatus::Pending);
    f.advance_time(121).await?;
    assert_eq!(f.drive(opened.purchase_id, 12).await?, PurchaseStatus::Settled);
    let delivered = f.router_events::<CrossChainRouter::MessageDelivered>(f.b).await?;
    assert_eq!(delivered.len(), 1);
    assert_eq!(delivered[0].transport, Transport::Hyperlane.id());

    f.relayers.up.layerzero = true;
    for _ in 0..4 {
        f.relayers.tick().await?;
    }
    let dropped = f.router_events::<CrossChainRouter::DuplicateDropped>(f.b).await?;
    assert_eq!(dropped.len(), 1, "LayerZero's late copy was dropped");
    assert_eq!(dropped[0].transport, Transport::LayerZero.id());
    assert_eq!(dropped[0].deliveredVia, Transport::Hyperlane.id());
    let apps = f.apps()?;
    assert_eq!(apps[1].minted().await?, U256::from(2 * AUSD), "paid once");
    assert_eq!(minted_minus_locked(&apps).await?, 0);
    Ok(())
}

/// The machine's agent is down: the order is placed on the machine's chain but never answered. After the
/// Storefront deadline the keeper refunds it there (anyone may) and reports, and the buyer is refunded in full
/// on the buyer's chain; nothing stays minted on the machine's chain.
#[tokio::test]
async fn order_the_machine_never_answers_is_refunded_across_chains() -> TestResult {
    let mut f = setup(KeeperConfig { primary: Transport::LayerZero, retry_after: None, confirmations: 1 }).await?;
    let opened = f.buy(Transport::LayerZero, 300).await?;
    // Relayers only: no agent poll.
    for _ in 0..4 {
        f.relayers.tick().await?;
    }
    let apps = f.apps()?;
    let incoming = apps[1].incoming(f.a, opened.order_hash).await?;
    assert_eq!(Fulfilment::from(incoming.state), Fulfilment::Accepted, "the order reached the machine's chain");
    assert_eq!(f.buyer.purchase_status(opened.purchase_id).await?, PurchaseStatus::Pending);
    f.advance_time(601).await?;
    let mut timeouts = 0;
    for _ in 0..6 {
        let report = f.relayers.tick().await?;
        timeouts += report.keeper.machine_timeouts;
        if f.buyer.purchase_status(opened.purchase_id).await? != PurchaseStatus::Pending {
            break;
        }
    }
    assert_eq!(timeouts, 1);
    assert_eq!(f.buyer.purchase_status(opened.purchase_id).await?, PurchaseStatus::Refunded);
    assert_eq!(f.buyer.token_balance(f.buyer.client().sender()).await?, U256::from(100 * AUSD));
    assert_eq!(apps[1].minted().await?, U256::ZERO, "the price was burned again on the machine's chain");
    assert_eq!(apps[0].locked().await?, U256::ZERO);
    Ok(())
}
