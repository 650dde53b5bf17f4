//! The agent killed at each step of its outbox and restarted on the same data directory and the same machine:
//! every order and offline sale settles exactly once, and the machine vends each at most once.

use automat_agent::{
    AgentError, CrashPoint, OfflineSaleOutcome, PollReport,
    outbox::{OfflineStage, OrderStage, Settlement},
};
use automat_chain::LinkSwitch;
use automat_contracts::vending::{OrderStatus, Storefront};
use automat_store::parse_cid;

use crate::{
    common::{FEE_RECIPIENT, ORDER_WINDOW, PRICE, USD, World, fee},
    flow::stage,
};

/// Asserts that `result` is the simulated crash at `point`.
#[track_caller]
fn assert_crashed<T: std::fmt::Debug>(result: Result<T, AgentError>, point: CrashPoint) {
    match result {
        Err(AgentError::SimulatedCrash(at)) => assert_eq!(at, point),
        other => panic!("expected a simulated crash at {point:?}, got {other:?}"),
    }
}

/// One order; the agent crashes at `point` while handling it and is restarted until the order settles.
async fn order_crash(point: CrashPoint) {
    let world = World::new().await;
    let machine = &world.machine;
    let buyer = &world.buyers[0];
    let mut agent = world.agent(machine);

    let quote = agent.quote(0, PRICE).await.expect("quote");
    let id = buyer.order(&quote, ORDER_WINDOW).await;
    let operator_before = world.balance(world.operator_address()).await;
    let fees_before = world.balance(FEE_RECIPIENT).await;

    agent.inject_crash(point);
    assert_crashed(agent.poll().await, point);
    drop(agent);

    // The process comes back on the same data directory; the machine kept its audit journal.
    let mut agent = world.agent(machine);
    let mut polls = 0;
    while !matches!(stage(&agent, id), OrderStage::Settled { .. }) {
        polls += 1;
        assert!(polls <= 3, "order {id} still {:?} after {polls} polls", stage(&agent, id));
        agent.poll().await.expect("poll after restart");
    }

    // Exactly one settlement on chain.
    assert_eq!(world.status(id).await, OrderStatus::Dispensed);
    let dispensed = world.events::<Storefront::OrderDispensed>().await;
    assert_eq!(dispensed.len(), 1, "one OrderDispensed");
    assert_eq!(dispensed[0].orderId, id);
    assert_eq!(world.minted().await, 1, "one receipt");
    assert_eq!(world.receipt_owner(id).await, buyer.address());
    assert_eq!(world.balance(world.operator_address()).await, operator_before + PRICE - fee(PRICE), "paid once");
    assert_eq!(world.balance(FEE_RECIPIENT).await, fees_before + fee(PRICE));
    // Exactly one vend.
    assert_eq!(machine.order_sessions(id), 1, "one vend session");
    assert_eq!(machine.sim.dispensed(), 1);
    // The outbox closed it, and the receipt's metadata is in the agent's store.
    let OrderStage::Settled { how, .. } = stage(&agent, id) else { unreachable!() };
    if point == CrashPoint::AfterAttestationSubmitted {
        assert_eq!(how, Settlement::AlreadySettled, "our own attestation landed before the crash");
    } else {
        assert!(matches!(how, Settlement::Attested { .. }), "{how:?}");
    }
    let uri = world.admin.token_uri(id).await.expect("tokenURI");
    let cid = parse_cid(uri.strip_prefix("ipfs://").expect("ipfs URI")).expect("CID");
    assert!(agent.blobs().get(&cid).expect("blob readable").is_some(), "receipt metadata stored");
    assert_eq!(agent.poll().await.expect("idle poll"), PollReport::default());
    world.assert_escrow_invariant().await;
}

/// One offline sale; the agent crashes at `point` while handling it and is restarted until the sale settles.
async fn offline_crash(point: CrashPoint) {
    let world = World::new().await;
    let machine = &world.machine;
    let buyer = &world.buyers[0];
    let deposit = 10 * USD;
    buyer.deposit(deposit).await;
    let switch = LinkSwitch::new();
    let mut agent = world.linked_agent(machine, &switch);
    agent.poll().await.expect("online poll");
    let operator_before = world.balance(world.operator_address()).await;
    let (minted_before, orders_before) = (world.minted().await, world.order_count().await);

    let (voucher, signature) = buyer.voucher(&world.suite, PRICE, 1, world.now().await + 3_600);
    switch.cut();
    if point == CrashPoint::AfterOfflineSettle {
        let sold = agent.sell_offline(&voucher, signature.clone(), 0, PRICE).await.expect("sells offline");
        assert!(matches!(sold, OfflineSaleOutcome::Sold { seq: 1, .. }), "{sold:?}");
        switch.heal();
        agent.inject_crash(point);
        assert_crashed(agent.poll().await, point);
    } else {
        agent.inject_crash(point);
        assert_crashed(agent.sell_offline(&voucher, signature.clone(), 0, PRICE).await, point);
    }
    drop(agent);

    let mut agent = world.linked_agent(machine, &switch);
    if switch.is_down() {
        // Restarted while still partitioned: the interrupted vend is finished (from the machine's journal if it
        // ran), then the chain is found unreachable.
        let err = agent.poll().await.expect_err("still partitioned");
        assert!(err.is_unreachable(), "{err}");
        assert_eq!(machine.sim.sessions("offline:1"), 1);
        assert!(matches!(agent.outbox().offline_sales().expect("outbox")[0].stage, OfflineStage::Sold { .. }));
        assert_eq!(agent.status().expect("status").offline_exposure, PRICE);
        // The voucher is spent at this machine.
        let again = agent.sell_offline(&voucher, signature, 0, PRICE).await;
        assert!(matches!(again, Err(AgentError::VoucherRefused(_))), "{again:?}");
        switch.heal();
    }
    let report = agent.poll().await.expect("poll after heal");
    if point != CrashPoint::AfterOfflineSettle {
        assert_eq!(report.offline_settled, 1);
    }

    // Exactly one vend, exactly one settlement.
    assert_eq!(machine.sim.sessions("offline:1"), 1, "one vend session");
    assert_eq!(machine.sim.journal().len(), 1);
    assert_eq!(machine.sim.dispensed(), 1);
    let settled = world.events::<Storefront::OfflineSaleSettled>().await;
    assert_eq!(settled.len(), 1, "one OfflineSaleSettled");
    assert_eq!((settled[0].price, settled[0].charged), (PRICE, PRICE));
    assert_eq!(world.order_count().await, orders_before + 1);
    assert_eq!(world.minted().await, minted_before + 1);
    assert_eq!(world.prepaid(buyer.address()).await, deposit - PRICE);
    assert_eq!(world.balance(world.operator_address()).await, operator_before + PRICE - fee(PRICE));
    let sales = agent.outbox().offline_sales().expect("outbox");
    assert_eq!(sales.len(), 1);
    assert!(matches!(sales[0].stage, OfflineStage::Settled { double_spend: false, .. }), "{:?}", sales[0].stage);
    assert_eq!(agent.status().expect("status").offline_exposure, 0);
    assert_eq!(agent.poll().await.expect("idle poll"), PollReport::default());
    world.assert_escrow_invariant().await;
}

macro_rules! crash_tests {
    ($runner:ident: $($name:ident => $point:ident),* $(,)?) => {$(
        #[tokio::test]
        async fn $name() {
            $runner(CrashPoint::$point).await;
        }
    )*};
}

crash_tests!(order_crash:
    order_crash_when_order_seen => OrderSeen,
    order_crash_before_vend => BeforeVend,
    order_crash_after_vend => AfterVend,
    order_crash_after_attestation_stored => AfterAttestationStored,
    order_crash_after_attestation_submitted => AfterAttestationSubmitted,
);

crash_tests!(offline_crash:
    offline_crash_when_voucher_accepted => VoucherAccepted,
    offline_crash_after_offline_vend => AfterOfflineVend,
    offline_crash_after_offline_settle => AfterOfflineSettle,
);

/// The agent crashes right after recording "dispensing" and stays down until `left` seconds before the order's
/// deadline (negative: past it), `left` given the dispense margin. Returns the order's stage after the
/// restart's poll.
async fn restart_late(left: impl FnOnce(i64) -> i64) -> OrderStage {
    let world = World::new().await;
    let left = left(i64::try_from(world.config(&world.machine).dispense_margin).expect("margin"));
    let buyer = &world.buyers[0];
    let mut agent = world.agent(&world.machine);
    let quote = agent.quote(0, PRICE).await.expect("quote");
    let id = buyer.order(&quote, ORDER_WINDOW).await;
    let before = world.balance(buyer.address()).await;
    agent.inject_crash(CrashPoint::BeforeVend);
    assert_crashed(agent.poll().await, CrashPoint::BeforeVend);
    drop(agent);

    let deadline = world.order(id).await.deadline;
    let back_at = deadline.checked_add_signed(-left).expect("time");
    world.advance(back_at - world.now().await).await;
    let mut agent = world.agent(&world.machine);
    assert_eq!(stage(&agent, id), OrderStage::Dispensing);
    agent.poll().await.expect("poll after restart");

    assert_eq!(world.machine.order_sessions(id), 0, "no vend this late");
    assert_eq!(world.status(id).await, OrderStatus::Refunded);
    assert_eq!(world.balance(buyer.address()).await, before + PRICE, "buyer refunded");
    assert_eq!(world.minted().await, 0);
    world.assert_escrow_invariant().await;
    stage(&agent, id)
}

/// Back with less than the dispense margin left: declined (vend-failed attestation), not vended.
#[tokio::test]
async fn restart_inside_the_dispense_margin_declines_instead_of_vending() {
    let stage = restart_late(|margin| margin / 2).await;
    assert_eq!(stage, OrderStage::Settled { vend: None, how: Settlement::Declined });
}

/// Back after the deadline: the buyer is refunded through refundExpired, nothing is vended (before the fix
/// the machine vended, the attestation bounced off the deadline and the buyer had both item and money).
#[tokio::test]
async fn restart_after_the_deadline_refunds_instead_of_vending() {
    let stage = restart_late(|_| -10).await;
    assert_eq!(stage, OrderStage::Settled { vend: None, how: Settlement::Expired });
}
