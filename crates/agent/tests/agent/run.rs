//! `Agent::run`: the polling loop as a machine runs it.

use std::time::Duration;

use alloy_primitives::U256;
use automat_agent::{SignedQuote, outbox::OrderStage};
use automat_chain::LinkSwitch;
use automat_contracts::vending::OrderStatus;
use tokio::sync::oneshot;

use crate::common::{ORDER_WINDOW, PRICE, World, fee};

const INTERVAL: Duration = Duration::from_millis(20);
const PATIENCE: Duration = Duration::from_secs(5);

async fn all_dispensed(world: &World, ids: &[U256]) -> bool {
    for id in ids {
        if world.status(*id).await != OrderStatus::Dispensed {
            return false;
        }
    }
    true
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_dispenses_concurrent_orders_and_shuts_down_cleanly() {
    let world = World::new().await;
    let machine = &world.machine;
    let agent = world.agent(machine);
    let mut quotes: Vec<SignedQuote> = Vec::new();
    for slot in [0, 1, 0, 1] {
        quotes.push(agent.quote(slot, PRICE).await.expect("quote"));
    }
    let operator_before = world.balance(world.operator_address()).await;

    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let mut agent = agent;
        let result = agent
            .run(INTERVAL, async {
                let _ = stopped.await;
            })
            .await;
        (agent, result)
    });

    // Four buyers order at the same time while the agent runs.
    let [b0, b1, b2, b3] = &world.buyers[..] else { unreachable!() };
    let (i0, i1, i2, i3) = tokio::join!(
        b0.order(&quotes[0], ORDER_WINDOW),
        b1.order(&quotes[1], ORDER_WINDOW),
        b2.order(&quotes[2], ORDER_WINDOW),
        b3.order(&quotes[3], ORDER_WINDOW),
    );
    let ids = [i0, i1, i2, i3];
    assert!(world.wait_for(PATIENCE, || all_dispensed(&world, &ids)).await, "orders dispensed within {PATIENCE:?}");

    stop.send(()).expect("agent still running");
    let (agent, result) = tokio::time::timeout(Duration::from_secs(2), task)
        .await
        .expect("run stops promptly")
        .expect("run task did not panic");
    result.expect("run ends cleanly");

    for id in ids {
        assert_eq!(machine.order_sessions(id), 1, "order {id} vended once");
        let record = agent.outbox().order(u64::try_from(id).expect("fits")).expect("outbox").expect("recorded");
        assert!(matches!(record.stage, OrderStage::Settled { .. }), "{:?}", record.stage);
    }
    assert_eq!(machine.sim.dispensed(), 4);
    assert_eq!(world.minted().await, 4);
    assert_eq!(world.balance(world.operator_address()).await, operator_before + 4 * (PRICE - fee(PRICE)));
    world.assert_escrow_invariant().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_waits_out_a_partition_and_catches_up() {
    let world = World::new().await;
    let machine = &world.machine;
    let switch = LinkSwitch::new();
    let agent = world.linked_agent(machine, &switch);
    let quote = agent.quote(0, PRICE).await.expect("quote");

    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let mut agent = agent;
        let result = agent
            .run(INTERVAL, async {
                let _ = stopped.await;
            })
            .await;
        (agent, result)
    });

    switch.cut();
    let id = world.buyers[0].order(&quote, ORDER_WINDOW).await;
    tokio::time::sleep(INTERVAL * 10).await;
    assert!(switch.refused() > 0, "the agent kept trying");
    assert_eq!(world.status(id).await, OrderStatus::Open, "unseen while partitioned");
    assert_eq!(machine.order_sessions(id), 0);

    switch.heal();
    let ids = [id];
    assert!(
        world.wait_for(PATIENCE, || all_dispensed(&world, &ids)).await,
        "dispensed within {PATIENCE:?} of the link healing"
    );
    stop.send(()).expect("agent still running");
    let (_agent, result) = tokio::time::timeout(Duration::from_secs(2), task)
        .await
        .expect("run stops promptly")
        .expect("run task did not panic");
    result.expect("run ends cleanly");
    assert_eq!(machine.order_sessions(id), 1);
}
