//! The online flow: order → vend → attestation → settlement.

use alloy_primitives::U256;
use automat_agent::{
    AgentConfig, AgentError, PollReport, VendFailure, VendOutcome,
    outbox::{OrderStage, Settlement},
};
use automat_contracts::vending::{OrderStatus, Outcome, RefundReason, Storefront};
use automat_store::{cid::ipfs_uri, content_cid, metadata::ReceiptMetadata, parse_cid};

use crate::common::{FEE_RECIPIENT, ITEMS, MAX_PRICE, MIN_PRICE, ORDER_WINDOW, OnlineAgent, PRICE, STOCK, World, fee};

/// The outbox stage of order `id`.
pub(crate) fn stage(agent: &OnlineAgent, id: U256) -> OrderStage {
    let id = u64::try_from(id).expect("order id fits u64");
    agent.outbox().order(id).expect("outbox readable").expect("order in the outbox").stage
}

/// The refund reason the Storefront logged for order `id`.
async fn refund_reason(world: &World, id: U256) -> RefundReason {
    let refunds: Vec<_> =
        world.events::<Storefront::OrderRefunded>().await.into_iter().filter(|e| e.orderId == id).collect();
    assert_eq!(refunds.len(), 1, "order {id} refunded exactly once");
    RefundReason::from(refunds[0].reason)
}

#[tokio::test]
async fn dispensed_order_pays_the_operator_and_mints_the_stored_receipt() {
    let world = World::new().await;
    let machine = &world.machine;
    let buyer = &world.buyers[0];
    let mut agent = world.agent(machine);

    let quote = agent.quote(0, PRICE).await.expect("quote");
    assert_eq!((quote.quote.machineId, quote.quote.slot, quote.quote.price), (machine.id, 0, PRICE));
    let (buyer_before, operator_before, fees_before) = (
        world.balance(buyer.address()).await,
        world.balance(world.operator_address()).await,
        world.balance(FEE_RECIPIENT).await,
    );
    let id = buyer.order(&quote, ORDER_WINDOW).await;
    assert_eq!(world.stock(machine.id, 0).await, STOCK - 1, "the order reserved a unit");

    let report = agent.poll().await.expect("poll");
    assert_eq!(report, PollReport { new_orders: 1, dispensed: 1, ..PollReport::default() });

    // On chain: dispensed, paid out once, receipt to the buyer.
    assert_eq!(world.status(id).await, OrderStatus::Dispensed);
    assert_eq!(world.balance(buyer.address()).await, buyer_before - PRICE);
    assert_eq!(world.balance(world.operator_address()).await, operator_before + PRICE - fee(PRICE));
    assert_eq!(world.balance(FEE_RECIPIENT).await, fees_before + fee(PRICE));
    assert_eq!(world.minted().await, 1);
    assert_eq!(world.receipt_owner(id).await, buyer.address());
    assert_eq!(world.stock(machine.id, 0).await, STOCK - 1);

    // The receipt points at the metadata the agent stored, and that metadata describes the sale.
    let stored = agent.blobs().list().expect("blob list");
    assert_eq!(stored.len(), 1, "one metadata blob");
    let uri = world.admin.token_uri(id).await.expect("tokenURI");
    assert_eq!(uri, ipfs_uri(&stored[0]));
    let cid = parse_cid(uri.strip_prefix("ipfs://").expect("ipfs:// URI")).expect("CID");
    let bytes = agent.blobs().get(&cid).expect("blob readable").expect("blob stored");
    assert_eq!(content_cid(&bytes).expect("cid"), cid);
    let metadata = ReceiptMetadata::from_json_bytes(&bytes).expect("metadata parses");
    assert_eq!(metadata.order_id, id.to_string());
    assert_eq!(metadata.buyer, buyer.address());
    assert_eq!(metadata.price, PRICE.to_string());
    assert_eq!(metadata.machine_id, machine.id);
    assert_eq!((metadata.slot, metadata.item_id), (0, ITEMS[0]));
    assert_eq!((metadata.chain_id, metadata.storefront), (world.suite.chain_id, world.suite.storefront));
    assert!(!metadata.offline);
    let dispensed = world.events::<Storefront::OrderDispensed>().await;
    assert_eq!(dispensed.len(), 1);
    assert_eq!(dispensed[0].metadataDigest.0, automat_store::sha256_of(&cid).expect("digest"));

    // The machine vended once; the outbox closed the order.
    assert_eq!(machine.order_sessions(id), 1);
    assert_eq!(machine.sim.dispensed(), 1);
    assert_eq!(machine.sim.stock(0), STOCK - 1);
    assert!(matches!(
        stage(&agent, id),
        OrderStage::Settled {
            vend: Some(VendOutcome::Dispensed),
            how: Settlement::Attested { outcome: Outcome::Dispensed, .. }
        }
    ));
    assert_eq!(agent.poll().await.expect("idle poll"), PollReport::default(), "nothing left to do");
    let status = agent.status().expect("status");
    assert_eq!(status.orders.get("settled"), Some(&1));
    world.assert_escrow_invariant().await;
}

#[tokio::test]
async fn failed_vends_refund_the_buyer_and_restore_the_stock() {
    let world = World::new().await;
    let machine = &world.machine;
    let mut agent = world.agent(machine);

    for (buyer, failure) in world.buyers.iter().zip([VendFailure::VendFailed, VendFailure::Jam, VendFailure::SoldOut]) {
        machine.sim.script([VendOutcome::Failed(failure)]);
        let quote = agent.quote(0, PRICE).await.expect("quote");
        let before = world.balance(buyer.address()).await;
        let id = buyer.order(&quote, ORDER_WINDOW).await;
        assert_eq!(world.stock(machine.id, 0).await, STOCK - 1);

        let report = agent.poll().await.expect("poll");
        assert_eq!(report, PollReport { new_orders: 1, vend_failed: 1, ..PollReport::default() }, "{failure:?}");
        assert_eq!(world.status(id).await, OrderStatus::Refunded, "{failure:?}");
        assert_eq!(refund_reason(&world, id).await, RefundReason::VendFailed);
        assert_eq!(world.balance(buyer.address()).await, before, "{failure:?}: buyer refunded in full");
        assert_eq!(world.stock(machine.id, 0).await, STOCK, "{failure:?}: stock restored");
        assert_eq!(machine.sim.journal().last(), Some(&(format!("order:{id}"), VendOutcome::Failed(failure))));
        assert_eq!(machine.order_sessions(id), 1);
        assert!(matches!(
            stage(&agent, id),
            OrderStage::Settled {
                vend: Some(VendOutcome::Failed(f)),
                how: Settlement::Attested { outcome: Outcome::VendFailed, .. }
            } if f == failure
        ));
        // The technician clears the fault.
        machine.sim.clear_jam(0);
        machine.sim.refill(0, STOCK);
    }
    assert_eq!(world.minted().await, 0, "no receipt for a failed vend");
    assert_eq!(machine.sim.dispensed(), 0);

    // The machine works again.
    let buyer = &world.buyers[3];
    let quote = agent.quote(0, PRICE).await.expect("quote");
    let id = buyer.order(&quote, ORDER_WINDOW).await;
    assert_eq!(agent.poll().await.expect("poll").dispensed, 1);
    assert_eq!(world.status(id).await, OrderStatus::Dispensed);
    world.assert_escrow_invariant().await;
}

#[tokio::test]
async fn order_too_close_to_its_deadline_is_declined_without_vending() {
    let world = World::new().await;
    let machine = &world.machine;
    let buyer = &world.buyers[0];
    // The Storefront accepts deadlines 60 s out; this agent wants 5 minutes to vend and attest.
    let config = AgentConfig { dispense_margin: 300, ..world.config(machine) };
    let mut agent = world.open_with(world.client(machine.account), machine, config);

    let quote = agent.quote(1, PRICE).await.expect("quote");
    let before = world.balance(buyer.address()).await;
    let id = buyer.order(&quote, 120).await;

    let report = agent.poll().await.expect("poll");
    assert_eq!(report, PollReport { new_orders: 1, closed_otherwise: 1, ..PollReport::default() });
    assert_eq!(world.status(id).await, OrderStatus::Refunded);
    assert_eq!(refund_reason(&world, id).await, RefundReason::VendFailed, "declined by a vend-failed attestation");
    assert_eq!(world.balance(buyer.address()).await, before);
    assert_eq!(world.stock(machine.id, 1).await, STOCK);
    assert_eq!(machine.order_sessions(id), 0, "the machine was never asked");
    assert!(machine.sim.journal().is_empty());
    assert_eq!(stage(&agent, id), OrderStage::Settled { vend: None, how: Settlement::Declined });
    world.assert_escrow_invariant().await;
}

#[tokio::test]
async fn order_past_its_deadline_is_refunded_as_expired() {
    let world = World::new().await;
    let machine = &world.machine;
    let buyer = &world.buyers[0];
    let mut agent = world.agent(machine);

    let quote = agent.quote(0, PRICE).await.expect("quote");
    let before = world.balance(buyer.address()).await;
    let id = buyer.order(&quote, 100).await;
    // The agent was away until after the deadline.
    world.advance(200).await;

    let report = agent.poll().await.expect("poll");
    assert_eq!(report, PollReport { new_orders: 1, closed_otherwise: 1, ..PollReport::default() });
    assert_eq!(world.status(id).await, OrderStatus::Refunded);
    assert_eq!(refund_reason(&world, id).await, RefundReason::Timeout, "refundExpired");
    assert_eq!(world.balance(buyer.address()).await, before);
    assert_eq!(world.stock(machine.id, 0).await, STOCK);
    assert_eq!(machine.order_sessions(id), 0);
    assert_eq!(stage(&agent, id), OrderStage::Settled { vend: None, how: Settlement::Expired });
    world.assert_escrow_invariant().await;
}

#[tokio::test]
async fn quotes_outside_the_band_or_for_an_empty_slot_are_refused() {
    let world = World::new().await;
    let machine = &world.machine;
    let agent = world.agent(machine);

    for price in [MIN_PRICE - 1, MAX_PRICE + 1] {
        assert!(matches!(agent.quote(0, price).await, Err(AgentError::QuoteRefused(_))), "price {price}");
    }
    world.operator.restock(machine.id, 1, 0).await.expect("restock");
    assert!(matches!(agent.quote(1, PRICE).await, Err(AgentError::QuoteRefused(_))), "sold out");

    // Quote nonces are durable: a restarted agent never reuses one.
    let first = agent.quote(0, MIN_PRICE).await.expect("quote").quote.nonce;
    drop(agent);
    let agent = world.agent(machine);
    let second = agent.quote(0, MAX_PRICE).await.expect("quote");
    assert!(second.quote.nonce > first);
    assert_eq!(second.quote.expiry, world.now().await + agent.config().quote_ttl);
    let id = world.buyers[0].order(&second, ORDER_WINDOW).await;
    assert_eq!(world.order(id).await.price, MAX_PRICE);
}
