//! Error path A4: the machine's link to the chain is cut. It sells against buyers' vouchers within what it last
//! knew of their allowances and its own credit cap, refuses everything else, and settles when the link heals —
//! including a voucher presented at two machines during the same split.

use std::sync::{
    Arc,
    atomic::{AtomicBool, Ordering},
};

use alloy_primitives::{Address, Bytes, TxHash, U256};
use automat_agent::{
    AgentError, OfflineSaleOutcome, PollReport, VendFailure, VendOutcome,
    outbox::{OfflineRecord, OfflineStage},
    sign_voucher,
};
use automat_chain::{
    ChainClient, Deployment, LinkSwitch, Receipt, RevertDecoder, TxRequest,
    alloy::{Filter, Log},
};
use automat_contracts::vending::{OrderStatus, Storefront, Vending};
use automat_devnet::EmbeddedClient;
use automat_store::{metadata::ReceiptMetadata, parse_cid};

use crate::common::{FEE_RECIPIENT, LinkedAgent, MAX_PRICE, MIN_PRICE, OFFLINE_CAP, PRICE, STOCK, USD, World, fee};

/// Asserts that the agent refused the voucher.
#[track_caller]
fn assert_refused(result: Result<OfflineSaleOutcome, AgentError>, why: &str) {
    match result {
        Err(AgentError::VoucherRefused(reason)) => eprintln!("refused ({why}): {reason}"),
        other => panic!("expected the voucher to be refused ({why}), got {other:?}"),
    }
}

/// Asserts that the agent sold against the voucher; returns the sale's sequence number.
#[track_caller]
fn assert_sold(result: Result<OfflineSaleOutcome, AgentError>) -> u64 {
    match result {
        Ok(OfflineSaleOutcome::Sold { seq, metadata_uri }) => {
            assert!(metadata_uri.starts_with("ipfs://bafkrei"), "{metadata_uri}");
            seq
        }
        other => panic!("expected a sale, got {other:?}"),
    }
}

fn sales(agent: &LinkedAgent) -> Vec<OfflineRecord> {
    agent.outbox().offline_sales().expect("outbox readable")
}

/// The on-chain order recording a settled offline sale, and its settlement.
fn settled(record: &OfflineRecord) -> (U256, u128, bool) {
    match record.stage {
        OfflineStage::Settled { order_id, charged, double_spend } => (U256::from(order_id), charged, double_spend),
        ref other => panic!("offline sale {} not settled: {other:?}", record.seq),
    }
}

#[tokio::test]
async fn partitioned_machine_sells_against_vouchers_and_settles_on_heal() {
    let world = World::new().await;
    let machine = &world.machine;
    let [alice, bob, carol, _] = &world.buyers[..] else { unreachable!() };
    // Allowances must be on chain before the machine's last sync: Alice 20 USD, Bob 2 USD, Carol none.
    alice.deposit(20 * USD).await;
    bob.deposit(2 * USD).await;

    let switch = LinkSwitch::new();
    let mut agent = world.linked_agent(machine, &switch);
    assert_eq!(agent.poll().await.expect("online poll"), PollReport::default());
    let last_sync = agent.status().expect("status");
    assert_eq!(last_sync.offline_credit_cap, OFFLINE_CAP);
    let operator_before = world.balance(world.operator_address()).await;
    let fees_before = world.balance(FEE_RECIPIENT).await;
    let (orders_before, minted_before) = (world.order_count().await, world.minted().await);

    switch.cut();
    let err = agent.poll().await.expect_err("the chain is out of reach");
    assert!(err.is_unreachable(), "{err}");

    let suite = &world.suite;
    let expiry = last_sync.chain_time + 3_600;
    // Refusals.
    let (voucher, _) = alice.voucher(suite, MAX_PRICE, 1, expiry);
    let forged = sign_voucher(&bob.key, suite, &voucher).expect("signs");
    assert_refused(agent.sell_offline(&voucher, forged, 0, PRICE).await, "signed by another key");
    let (voucher, signature) = alice.voucher(suite, MIN_PRICE, 1, expiry);
    assert_refused(agent.sell_offline(&voucher, signature, 0, PRICE).await, "price above maxAmount");
    let (voucher, signature) = alice.voucher(suite, MAX_PRICE, 1, last_sync.chain_time - 1);
    assert_refused(agent.sell_offline(&voucher, signature, 0, PRICE).await, "expired voucher");
    let (voucher, signature) = carol.voucher(suite, MAX_PRICE, 1, expiry);
    assert_refused(agent.sell_offline(&voucher, signature, 0, PRICE).await, "no known allowance");
    let (voucher, signature) = bob.voucher(suite, MAX_PRICE, 1, expiry);
    assert_refused(agent.sell_offline(&voucher, signature, 0, 3 * USD).await, "above Bob's allowance");
    let (voucher, signature) = alice.voucher(suite, MAX_PRICE, 1, expiry);
    assert_refused(agent.sell_offline(&voucher, signature, 7, PRICE).await, "no such slot");
    assert!(sales(&agent).is_empty(), "nothing recorded for a refused voucher");
    assert!(machine.sim.journal().is_empty(), "nothing vended for a refused voucher");

    // Sales. Alice's first voucher, then the same voucher again.
    let (a1, a1_sig) = alice.voucher(suite, MAX_PRICE, 1, expiry);
    assert_eq!(assert_sold(agent.sell_offline(&a1, a1_sig.clone(), 0, 3 * USD).await), 1);
    assert_refused(agent.sell_offline(&a1, a1_sig, 0, 3 * USD).await, "the same voucher twice");
    // A vend failure voids the sale; the voucher stays usable.
    let (a2, a2_sig) = alice.voucher(suite, MAX_PRICE, 2, expiry);
    machine.sim.script([VendOutcome::Failed(VendFailure::VendFailed)]);
    let failed = agent.sell_offline(&a2, a2_sig.clone(), 1, 3 * USD).await.expect("vend attempted");
    assert_eq!(failed, OfflineSaleOutcome::NotDispensed(VendOutcome::Failed(VendFailure::VendFailed)));
    assert_eq!(agent.status().expect("status").offline_exposure, 3 * USD, "a voided sale is no exposure");
    assert_eq!(assert_sold(agent.sell_offline(&a2, a2_sig, 1, 3 * USD).await), 3);
    // Bob spends exactly his allowance; a second voucher of his no longer fits.
    let (b1, b1_sig) = bob.voucher(suite, 2 * USD, 1, expiry);
    assert_eq!(assert_sold(agent.sell_offline(&b1, b1_sig, 0, 2 * USD).await), 4);
    let (b2, b2_sig) = bob.voucher(suite, MAX_PRICE, 2, expiry);
    assert_refused(agent.sell_offline(&b2, b2_sig, 0, MIN_PRICE).await, "Bob's allowance spent here");
    // 8 USD sold: 3 more would pass the 10 USD credit cap, 2 more reach it exactly.
    let (a3, a3_sig) = alice.voucher(suite, MAX_PRICE, 3, expiry);
    assert_refused(agent.sell_offline(&a3, a3_sig.clone(), 1, 3 * USD).await, "offline credit cap");
    assert_eq!(assert_sold(agent.sell_offline(&a3, a3_sig, 1, 2 * USD).await), 5);
    let (a4, a4_sig) = alice.voucher(suite, MAX_PRICE, 4, expiry);
    assert_refused(agent.sell_offline(&a4, a4_sig, 0, MIN_PRICE).await, "credit cap reached");

    let status = agent.status().expect("status");
    assert_eq!(status.offline_exposure, OFFLINE_CAP);
    assert_eq!((status.offline.get("sold"), status.offline.get("voided")), (Some(&4), Some(&1)));
    assert_eq!(machine.sim.dispensed(), 4);
    for seq in 1..=5 {
        assert_eq!(machine.sim.sessions(&format!("offline:{seq}")), 1);
    }
    assert_eq!(world.order_count().await, orders_before, "nothing reached the chain");
    assert!(switch.refused() > 0);

    // The link heals: every sale settles on chain.
    switch.heal();
    let report = agent.poll().await.expect("poll after heal");
    assert_eq!(report, PollReport { offline_settled: 4, ..PollReport::default() });
    let events = world.events::<Storefront::OfflineSaleSettled>().await;
    assert_eq!(events.len(), 4);
    assert!(events.iter().all(|e| e.charged == e.price && e.machineId == machine.id));
    assert_eq!(events.iter().map(|e| e.price).sum::<u128>(), OFFLINE_CAP);
    assert!(world.events::<Storefront::VoucherDoubleSpent>().await.is_empty());
    assert_eq!(world.prepaid(alice.address()).await, 20 * USD - 8 * USD);
    assert_eq!(world.prepaid(bob.address()).await, 0);
    let fees: u128 = events.iter().map(|e| fee(e.price)).sum();
    assert_eq!(world.balance(world.operator_address()).await, operator_before + OFFLINE_CAP - fees);
    assert_eq!(world.balance(FEE_RECIPIENT).await, fees_before + fees);
    assert_eq!(world.order_count().await, orders_before + 4);
    assert_eq!(world.minted().await, minted_before + 4);
    assert_eq!((world.stock(machine.id, 0).await, world.stock(machine.id, 1).await), (STOCK - 2, STOCK - 2));

    // Every sale is an order with a receipt whose metadata the agent stored.
    for record in sales(&agent).iter().filter(|r| !matches!(r.stage, OfflineStage::Voided { .. })) {
        let (id, charged, double_spend) = settled(record);
        assert_eq!((charged, double_spend), (record.price, false));
        let order = world.order(id).await;
        assert_eq!(OrderStatus::from(order.status), OrderStatus::Dispensed);
        assert!(order.offline);
        assert_eq!((order.buyer, order.machineId, order.price), (record.voucher.buyer, machine.id, record.price));
        assert_eq!(world.receipt_owner(id).await, record.voucher.buyer);
        let uri = world.admin.token_uri(id).await.expect("tokenURI");
        let cid = parse_cid(uri.strip_prefix("ipfs://").expect("ipfs URI")).expect("CID");
        let bytes = agent.blobs().get(&cid).expect("readable").expect("metadata stored");
        let metadata = ReceiptMetadata::from_json_bytes(&bytes).expect("metadata parses");
        assert!(metadata.offline);
        assert_eq!(metadata.voucher, Some(record.voucher_hash));
        assert_eq!((metadata.buyer, metadata.slot), (record.voucher.buyer, record.slot));
    }
    let status = agent.status().expect("status");
    assert_eq!(status.offline_exposure, 0);
    assert_eq!((status.offline.get("settled"), status.offline.get("voided")), (Some(&4), Some(&1)));
    assert_eq!(agent.poll().await.expect("idle poll"), PollReport::default());
    world.assert_escrow_invariant().await;
}

/// After its sales settle, the machine must count what they charged against the buyer's allowance, not the
/// balance it read before settling them.
#[tokio::test]
async fn settled_sales_lower_the_allowance_the_machine_trusts() {
    let world = World::new().await;
    let machine = &world.machine;
    let alice = &world.buyers[0];
    alice.deposit(5 * USD).await;
    let switch = LinkSwitch::new();
    let mut agent = world.linked_agent(machine, &switch);
    agent.poll().await.expect("online poll");
    let expiry = world.now().await + 3_600;

    switch.cut();
    let (v1, v1_sig) = alice.voucher(&world.suite, MAX_PRICE, 1, expiry);
    assert_sold(agent.sell_offline(&v1, v1_sig, 0, 3 * USD).await);
    switch.heal();
    assert_eq!(agent.poll().await.expect("poll").offline_settled, 1);
    assert_eq!(world.prepaid(alice.address()).await, 2 * USD);

    // Cut again straight after settling: 2 USD are left, not 5.
    switch.cut();
    let (v2, v2_sig) = alice.voucher(&world.suite, MAX_PRICE, 2, expiry);
    assert_refused(agent.sell_offline(&v2, v2_sig.clone(), 0, 3 * USD).await, "only 2 USD left");
    assert_sold(agent.sell_offline(&v2, v2_sig, 0, 2 * USD).await);
    switch.heal();
    agent.poll().await.expect("poll");
    let events = world.events::<Storefront::OfflineSaleSettled>().await;
    assert_eq!(events.len(), 2);
    assert!(events.iter().all(|e| e.charged == e.price), "no shortfall");
    assert_eq!(world.prepaid(alice.address()).await, 0);
    world.assert_escrow_invariant().await;
}

/// Both machines sell against one voucher during the split, then settle: returns each side's settlement.
async fn double_spend(deposit: u128) -> (World, [(U256, u128, bool); 2]) {
    let world = World::new().await;
    let second = world.add_machine(8).await;
    let alice = &world.buyers[0];
    alice.deposit(deposit).await;
    let (switch_a, switch_b) = (LinkSwitch::new(), LinkSwitch::new());
    let mut agent_a = world.linked_agent(&world.machine, &switch_a);
    let mut agent_b = world.linked_agent(&second, &switch_b);
    agent_a.poll().await.expect("machine A online");
    agent_b.poll().await.expect("machine B online");
    let operator_before = world.balance(world.operator_address()).await;
    let fees_before = world.balance(FEE_RECIPIENT).await;
    let (orders_before, minted_before) = (world.order_count().await, world.minted().await);

    switch_a.cut();
    switch_b.cut();
    let nonce = 7;
    let (voucher, signature) = alice.voucher(&world.suite, PRICE, nonce, world.now().await + 3_600);
    assert_sold(agent_a.sell_offline(&voucher, signature.clone(), 0, PRICE).await);
    assert_sold(agent_b.sell_offline(&voucher, signature, 1, PRICE).await);
    assert_eq!((world.machine.sim.dispensed(), second.sim.dispensed()), (1, 1));

    switch_a.heal();
    switch_b.heal();
    let report_a = agent_a.poll().await.expect("machine A settles");
    let report_b = agent_b.poll().await.expect("machine B settles");
    assert_eq!(report_a.offline_settled + report_b.offline_settled, 2);
    assert_eq!(report_a.double_spends + report_b.double_spends, 1, "exactly one double spend");

    let a = settled(&sales(&agent_a)[0]);
    let b = settled(&sales(&agent_b)[0]);
    // Machine A settled first: its sale is the voucher's payment; B's is the double spend.
    assert!(!a.2 && b.2, "A paid by the voucher, B double spent: {a:?} {b:?}");
    assert_eq!(world.voucher_spent_by(alice.address(), nonce).await, a.0);
    let doubles = world.events::<Storefront::VoucherDoubleSpent>().await;
    assert_eq!(doubles.len(), 1);
    assert_eq!((doubles[0].firstOrderId, doubles[0].orderId, doubles[0].unpaid), (a.0, b.0, PRICE));
    assert_eq!(b.1, 0, "a voucher pays once: the double-spent sale charges the buyer nothing");

    // Nothing lost: what left the allowance went to the operator and the fee recipient.
    let charged = deposit - world.prepaid(alice.address()).await;
    assert_eq!(charged, a.1 + b.1);
    let paid = world.balance(world.operator_address()).await - operator_before;
    let fees = world.balance(FEE_RECIPIENT).await - fees_before;
    assert_eq!(paid + fees, charged, "operator + fees == what left the buyer's allowance");
    assert_eq!(fees, fee(a.1) + fee(b.1));
    // Both sales are recorded as orders with receipts.
    assert_eq!(world.order_count().await, orders_before + 2);
    assert_eq!(world.minted().await, minted_before + 2);
    for (id, machine) in [(a.0, world.machine.id), (b.0, second.id)] {
        let order = world.order(id).await;
        assert_eq!(OrderStatus::from(order.status), OrderStatus::Dispensed);
        assert!(order.offline);
        assert_eq!((order.machineId, order.price), (machine, PRICE));
        assert_eq!(world.receipt_owner(id).await, alice.address());
    }
    for agent in [&agent_a, &agent_b] {
        assert_eq!(agent.status().expect("status").offline_exposure, 0);
    }
    world.assert_escrow_invariant().await;
    drop((agent_a, agent_b, second));
    (world, [a, b])
}

#[tokio::test]
async fn voucher_double_spent_across_two_machines_settles_once_as_payment() {
    let deposit = 10 * USD;
    let (world, [a, b]) = double_spend(deposit).await;
    assert_eq!((a.1, b.1), (PRICE, 0), "paid once; the second sale is the second operator's loss");
    assert_eq!(world.prepaid(world.buyers[0].address()).await, deposit - PRICE, "the rest stays the buyer's");
}

#[tokio::test]
async fn sales_beyond_the_allowance_show_the_shortfall() {
    // Two different vouchers at two machines during the split, together above the allowance: each machine
    // trusted the last known allowance, the one settled second is paid what is left.
    let deposit = 3 * USD;
    let world = World::new().await;
    let second = world.add_machine(8).await;
    let alice = &world.buyers[0];
    alice.deposit(deposit).await;
    let (switch_a, switch_b) = (LinkSwitch::new(), LinkSwitch::new());
    let mut agent_a = world.linked_agent(&world.machine, &switch_a);
    let mut agent_b = world.linked_agent(&second, &switch_b);
    agent_a.poll().await.expect("machine A online");
    agent_b.poll().await.expect("machine B online");
    switch_a.cut();
    switch_b.cut();
    let expiry = world.now().await + 3_600;
    let (v1, s1) = alice.voucher(&world.suite, PRICE, 1, expiry);
    let (v2, s2) = alice.voucher(&world.suite, PRICE, 2, expiry);
    assert_sold(agent_a.sell_offline(&v1, s1, 0, PRICE).await);
    assert_sold(agent_b.sell_offline(&v2, s2, 1, PRICE).await);
    switch_a.heal();
    switch_b.heal();
    agent_a.poll().await.expect("machine A settles");
    agent_b.poll().await.expect("machine B settles");
    let a = settled(&sales(&agent_a)[0]);
    let b = settled(&sales(&agent_b)[0]);
    assert_eq!((a.1, a.2), (PRICE, false));
    assert_eq!((b.1, b.2), (deposit - PRICE, false), "charged < price: the shortfall is the operator's");
    let events = world.events::<Storefront::OfflineSaleSettled>().await;
    let short = events.iter().find(|e| e.orderId == b.0).expect("B's settlement");
    assert_eq!((short.price, short.charged), (PRICE, deposit - PRICE));
    assert_eq!(world.prepaid(alice.address()).await, 0);
    world.assert_escrow_invariant().await;
}

/// A client that sends a prepaid deposit the first time it is asked for the block number after being armed:
/// a deposit landing in the middle of a poll.
#[derive(Debug, Clone)]
struct DepositMidPoll {
    inner: EmbeddedClient,
    armed: Arc<AtomicBool>,
    depositor: Vending<EmbeddedClient>,
    amount: u128,
}

impl ChainClient for DepositMidPoll {
    fn chain_id(&self) -> u64 {
        self.inner.chain_id()
    }

    fn sender(&self) -> Address {
        self.inner.sender()
    }

    fn revert_decoder(&self) -> &Arc<RevertDecoder> {
        self.inner.revert_decoder()
    }

    async fn send(&self, tx: TxRequest) -> automat_chain::Result<Receipt> {
        self.inner.send(tx).await
    }

    async fn send_raw(&self, raw: Bytes) -> automat_chain::Result<Receipt> {
        self.inner.send_raw(raw).await
    }

    async fn deploy(&self, init_code: Bytes) -> automat_chain::Result<Deployment> {
        self.inner.deploy(init_code).await
    }

    async fn call(&self, to: Address, data: Bytes) -> automat_chain::Result<Bytes> {
        self.inner.call(to, data).await
    }

    async fn receipt(&self, hash: TxHash) -> automat_chain::Result<Option<Receipt>> {
        self.inner.receipt(hash).await
    }

    async fn logs(&self, filter: &Filter) -> automat_chain::Result<Vec<Log>> {
        self.inner.logs(filter).await
    }

    async fn block_number(&self) -> automat_chain::Result<u64> {
        let head = self.inner.block_number().await?;
        if self.armed.swap(false, Ordering::SeqCst) {
            self.depositor.deposit_prepaid(self.amount).await.expect("deposit mid-poll");
        }
        Ok(head)
    }

    async fn block_timestamp(&self) -> automat_chain::Result<u64> {
        self.inner.block_timestamp().await
    }

    async fn balance(&self, address: Address) -> automat_chain::Result<U256> {
        self.inner.balance(address).await
    }

    async fn nonce(&self, address: Address) -> automat_chain::Result<u64> {
        self.inner.nonce(address).await
    }

    async fn code(&self, address: Address) -> automat_chain::Result<Bytes> {
        self.inner.code(address).await
    }
}

/// A buyer's first deposit may land while a poll is under way; the machine must still learn of it.
#[tokio::test]
async fn deposit_landing_mid_poll_is_not_missed() {
    let world = World::new().await;
    let machine = &world.machine;
    let alice = &world.buyers[0];
    let armed = Arc::new(AtomicBool::new(false));
    let client = DepositMidPoll {
        inner: world.client(machine.account),
        armed: Arc::clone(&armed),
        depositor: alice.vending.clone(),
        amount: 5 * USD,
    };
    let mut agent = world.open_with(client, machine, world.config(machine));
    agent.poll().await.expect("first poll");
    armed.store(true, Ordering::SeqCst);
    agent.poll().await.expect("poll during which Alice deposits");
    assert!(!armed.load(Ordering::SeqCst), "the deposit was sent");
    assert_eq!(world.prepaid(alice.address()).await, 5 * USD);
    agent.poll().await.expect("next poll");
    let facts = agent.outbox().facts().expect("facts");
    assert_eq!(facts.prepaid, vec![(alice.address(), 5 * USD)], "the machine knows Alice's allowance");

    // So it sells to her offline.
    let (voucher, signature) = alice.voucher(&world.suite, PRICE, 1, facts.chain_time + 600);
    assert_sold(agent.sell_offline(&voucher, signature, 0, PRICE).await);
}
