//! The cross-chain part of `automat demo`: LayerZero v2 and Hyperlane deployed from their published artifacts on
//! every chain, the cross-chain app on top, every off-chain role run by our daemons, one machine per chain with
//! its agent, and buyers on every chain buying from machines on the next one.
//!
//! The home chain (the first) mints the payment token; everyone else is funded by bridging it (locked at home,
//! minted there). Purchases go around the ring through both transports, one vend fails (refunded on the buyer's
//! chain), and then LayerZero has an outage: one order cannot arrive before its deadline, is declared expired on
//! the machine's chain through Hyperlane and refunded; another is retried through Hyperlane and settles. When
//! LayerZero comes back its stale copies are delivered and refused (rejected as late, or dropped as duplicates).
//! `minted − locked` is read after every round and must never be positive.

use std::path::Path;

use alloy_primitives::U256;
use alloy_sol_types::SolEvent;
use automat_agent::{Agent, AgentConfig, Behaviour, SimulatedMachine, VendFailure, VendOdds, VendOutcome};
use automat_chain::{ChainClient, DEFAULT_MNEMONIC, DevnetControl, alloy::Filter, signer_from_mnemonic};
use automat_contracts::{
    crosschain::{CrossChain, CrossChainCheckout, CrossChainRouter, PurchaseStatus, Transport, buy_request},
    vending::{Slot, Vending},
};
use automat_crosschain::{
    KeeperConfig, minted_minus_locked,
    network::{self, NetworkConfig, Relayers},
};
use automat_devnet::{Devnet, EmbeddedClient};
use indicatif::ProgressBar;
use serde::Serialize;

use crate::{Result, SimError};

const AUSD: u128 = 1_000_000;
const ADMIN: usize = 0;
const OPERATOR: usize = 1;
const BUYER: usize = 3;
const AGENT_SUBMITTER: usize = 8;
const RELAYER: usize = 9;
/// Seconds a stalled message waits before the keeper retries it through the other transport.
const RETRY_AFTER: u64 = 120;

/// Figures of the cross-chain part.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CrossChainReport {
    /// Cross-chain purchases made.
    pub orders: u64,
    /// Settled: dispensed on the machine's chain, receipt on the buyer's.
    pub settled: u64,
    /// Refunded in full on the buyer's chain.
    pub refunded: u64,
    /// Of those, after a failed vend.
    pub refunded_vend_failed: u64,
    /// Of those, after the order could not arrive before its deadline.
    pub refunded_timeout: u64,
    /// Messages sent again through the other transport.
    pub retries_via_alternate: u64,
    /// Late copies of orders refused on the machine's chain after the order was final there.
    pub late_orders_rejected: u64,
    /// Second copies of messages dropped by a router.
    pub duplicates_dropped: u64,
    /// Plain token transfers bridged from the home chain.
    pub bridge_transfers: u64,
    /// Receipts minted on buyers' chains.
    pub receipts_minted: u64,
    /// Largest `minted on other chains − locked at home` seen after any round (never positive).
    pub minted_minus_locked: i128,
    /// Deliveries per transport (`layerzero`, `hyperlane`).
    pub delivered_layerzero: u64,
    /// Deliveries through Hyperlane.
    pub delivered_hyperlane: u64,
    /// Gas of the whole deployment (both protocols).
    pub protocol_deploy_gas: u64,
    /// Every purchase ended, no double settlement, minted ≤ locked throughout.
    pub invariants_hold: bool,
}

struct Ring {
    devnet_ids: Vec<u64>,
    buyers: Vec<CrossChain<EmbeddedClient>>,
    agents: Vec<Agent<EmbeddedClient, SimulatedMachine>>,
    sims: Vec<SimulatedMachine>,
    relayers: Relayers<EmbeddedClient>,
    apps: Vec<CrossChain<EmbeddedClient>>,
    worst: i128,
}

fn step_err(step: &'static str, detail: impl ToString) -> SimError {
    SimError::Step { step, detail: detail.to_string() }
}

impl Ring {
    async fn round(&mut self) -> Result<()> {
        let report = self.relayers.tick().await.map_err(|e| step_err("relayers", e))?;
        if !report.errors.is_empty() || !report.keeper.errors.is_empty() {
            tracing::debug!(errors = ?report.errors, keeper = ?report.keeper.errors, "relayer round");
        }
        for agent in &mut self.agents {
            agent.poll().await?;
        }
        let mml = minted_minus_locked(&self.apps).await.map_err(|e| step_err("invariant", e))?;
        self.worst = self.worst.max(mml);
        Ok(())
    }

    /// Rounds until every purchase in `pending` (buyer chain index, purchase id) has ended, at most `rounds`.
    async fn settle(&mut self, pending: &[(usize, u64)], rounds: usize) -> Result<()> {
        for _ in 0..rounds {
            self.round().await?;
            let mut open = 0;
            for (chain, id) in pending {
                if self.buyers[*chain].purchase_status(*id).await? == PurchaseStatus::Pending {
                    open += 1;
                }
            }
            if open == 0 {
                return Ok(());
            }
        }
        let tracked = self.relayers.keeper().purchases().map_err(|e| step_err("keeper", e))?;
        let stuck: Vec<_> = tracked
            .iter()
            .filter(|t| {
                pending.iter().any(|(chain, id)| self.devnet_ids[*chain] == t.src_chain_id && *id == t.purchase_id)
            })
            .collect();
        Err(step_err("cross-chain", format!("purchases {pending:?} still pending after {rounds} rounds: {stuck:?}")))
    }

    async fn buy(&self, from: usize, to: usize, transport: Transport, deliver_within: u64) -> Result<u64> {
        let quote = self.agents[to].quote(0, 2 * AUSD).await?;
        let buyer = &self.buyers[from];
        let deliver_by = buyer.client().block_timestamp().await? + deliver_within;
        let request = buy_request(self.devnet_ids[to], &quote.quote, quote.signature, 3 * AUSD, deliver_by, 600);
        Ok(buyer.buy(&request, transport, true).await?.purchase_id)
    }
}

/// Moves every chain's clock to at least `timestamp` (each chain keeps its own time).
async fn advance_clocks_to(devnet: &Devnet, ids: &[u64], timestamp: u64) -> Result<()> {
    for id in ids {
        let c = devnet.dev_client(*id, ADMIN)?;
        let now = c.block_timestamp().await?;
        if now < timestamp {
            c.increase_time(timestamp - now).await?;
        }
        c.mine(1).await?;
    }
    Ok(())
}

/// Runs the cross-chain part on `devnet`'s chains (at least two), keeping daemon state under `root`.
pub async fn run(devnet: &Devnet, root: &Path, progress: &ProgressBar) -> Result<CrossChainReport> {
    let ids = devnet.chain_ids();
    if ids.len() < 2 {
        return Ok(CrossChainReport { invariants_hold: true, ..CrossChainReport::default() });
    }
    let n = ids.len();
    progress.set_prefix("x-chain");
    progress.set_message("deploying LayerZero v2, Hyperlane and the app");
    let admins = ids.iter().map(|id| devnet.dev_client(*id, ADMIN)).collect::<Result<Vec<_>, _>>()?;
    let relayer_clients = ids.iter().map(|id| devnet.dev_client(*id, RELAYER)).collect::<Result<Vec<_>, _>>()?;
    let config = NetworkConfig::default();
    let net = network::deploy(&admins, devnet.signers()[RELAYER].address(), &config)
        .await
        .map_err(|e| step_err("deploy", e))?;
    let keeper = KeeperConfig { primary: Transport::LayerZero, retry_after: Some(RETRY_AFTER), confirmations: 1 };
    let relayers = Relayers::new(&net, &config, &relayer_clients, &root.join("relayers"), keeper)
        .map_err(|e| step_err("relayers", e))?;
    let apps = net.apps(&admins).map_err(|e| step_err("deploy", e))?;
    progress.inc(1);

    // Fund from home: the admin mints there and bridges to the operators and buyers of the other chains.
    progress.set_message("bridging the payment token from home");
    let home = Vending::new(admins[0].clone(), net.chains[0].suite);
    let operator_addr = devnet.signers()[OPERATOR].address();
    let buyer_addr = devnet.signers()[BUYER].address();
    home.mint(admins[0].sender(), U256::from(1_000 * AUSD)).await?;
    home.mint(operator_addr, U256::from(200 * AUSD)).await?;
    home.mint(buyer_addr, U256::from(50 * AUSD)).await?;
    let mut ring = Ring {
        devnet_ids: ids.clone(),
        buyers: Vec::new(),
        agents: Vec::new(),
        sims: Vec::new(),
        relayers,
        apps,
        worst: i128::MIN,
    };
    let mut bridge_transfers = 0;
    for (index, id) in ids.iter().enumerate().skip(1) {
        for (to, amount) in [(operator_addr, 200 * AUSD), (buyer_addr, 50 * AUSD)] {
            let transport = if index % 2 == 1 { Transport::LayerZero } else { Transport::Hyperlane };
            ring.apps[0].bridge(*id, to, amount, transport).await?;
            bridge_transfers += 1;
        }
    }
    for _ in 0..6 {
        ring.round().await?;
    }
    for (index, app) in ring.apps.iter().enumerate().skip(1) {
        if app.token_balance(buyer_addr).await? != U256::from(50 * AUSD) {
            return Err(step_err("bridge", format!("buyer on chain {index} was not funded")));
        }
    }
    progress.inc(1);

    // A machine and a buyer on every chain.
    progress.set_message("machines and buyers");
    for (index, id) in ids.iter().enumerate() {
        let suite = net.chains[index].suite;
        let operator = Vending::new(devnet.dev_client(*id, OPERATOR)?, suite);
        operator.register_operator(U256::from(100 * AUSD)).await?;
        let key_index = 3_000 + u32::try_from(index).map_err(|_| step_err("setup", "chain index"))?;
        let key = signer_from_mnemonic(DEFAULT_MNEMONIC, key_index)?;
        let slots = vec![Slot { itemId: 9, stock: 20, minPrice: AUSD, maxPrice: 3 * AUSD }];
        let machine_id = operator.register_machine(key.address(), "u33dc0", "DE", slots, 20 * AUSD).await?;
        let sim = SimulatedMachine::new([(0, 20)], Behaviour::Random { odds: VendOdds::RELIABLE, seed: machine_id });
        let dir = root.join(format!("crosschain-{id}")).join(format!("machine-{machine_id}"));
        let agent = Agent::open(
            devnet.dev_client(*id, AGENT_SUBMITTER)?,
            sim.clone(),
            key,
            AgentConfig::new(machine_id, suite, dir),
        )?;
        ring.agents.push(agent);
        ring.sims.push(sim);
        ring.buyers.push(CrossChain::new(devnet.dev_client(*id, BUYER)?, net.chains[index].app));
    }
    progress.inc(1);

    // Around the ring, alternating transports.
    progress.set_message("purchases around the ring");
    let mut purchases = Vec::new();
    for from in 0..n {
        let transport = if from % 2 == 0 { Transport::LayerZero } else { Transport::Hyperlane };
        purchases.push((from, ring.buy(from, (from + 1) % n, transport, 600).await?));
    }
    ring.settle(&purchases, 20).await?;
    progress.inc(1);

    // A vend failure on the machine's chain: refunded on the buyer's.
    progress.set_message("vend failure");
    ring.sims[1].script([VendOutcome::Failed(VendFailure::VendFailed)]);
    let failed = (0, ring.buy(0, 1, Transport::LayerZero, 600).await?);
    ring.settle(&[failed], 20).await?;
    purchases.push(failed);
    progress.inc(1);

    // LayerZero outage: one order times out and is refunded, one is retried through Hyperlane.
    progress.set_message("LayerZero outage: timeout, refund, retry");
    ring.relayers.up.layerzero = false;
    let timed_out = (0, ring.buy(0, 1, Transport::LayerZero, 60).await?);
    let retried = (n - 1, ring.buy(n - 1, 0, Transport::LayerZero, 900).await?);
    ring.round().await?;
    // Every chain keeps its own clock: move each past the first order's delivery deadline.
    let deliver_by = ring.buyers[0].purchase(timed_out.1).await?.deliverBy;
    advance_clocks_to(devnet, &ids, deliver_by + 1).await?;
    ring.settle(&[timed_out], 10).await?;
    // Then past the keeper's retry delay for the second (on its buyer's chain).
    let retry_at = ring.buyers[n - 1].client().block_timestamp().await? + RETRY_AFTER;
    advance_clocks_to(devnet, &ids, retry_at).await?;
    ring.settle(&[retried], 20).await?;
    purchases.push(timed_out);
    purchases.push(retried);
    ring.relayers.up.layerzero = true;
    for _ in 0..4 {
        ring.round().await?;
    }
    progress.inc(1);

    // Read back.
    progress.set_message("reading back");
    let mut report = CrossChainReport {
        orders: purchases.len() as u64,
        bridge_transfers,
        protocol_deploy_gas: net.deploy_gas,
        ..CrossChainReport::default()
    };
    let mut all_ended = true;
    for (chain, id) in &purchases {
        match ring.buyers[*chain].purchase_status(*id).await? {
            PurchaseStatus::Settled => report.settled += 1,
            PurchaseStatus::Refunded => report.refunded += 1,
            _ => all_ended = false,
        }
    }
    for app in &ring.apps {
        report.receipts_minted += u64::try_from(app.receipts_minted().await?).unwrap_or(u64::MAX);
        let client = app.client();
        let events = |address, topic| Filter::new().address(address).event_signature(topic).from_block(0);
        let delivered =
            client.logs(&events(app.app().router, CrossChainRouter::MessageDelivered::SIGNATURE_HASH)).await?;
        for log in &delivered {
            if let Ok(d) = CrossChainRouter::MessageDelivered::decode_log(&log.inner) {
                match Transport::from_id(d.data.transport) {
                    Some(Transport::LayerZero) => report.delivered_layerzero += 1,
                    Some(Transport::Hyperlane) => report.delivered_hyperlane += 1,
                    None => {}
                }
            }
        }
        report.duplicates_dropped +=
            client.logs(&events(app.app().router, CrossChainRouter::DuplicateDropped::SIGNATURE_HASH)).await?.len()
                as u64;
        report.late_orders_rejected +=
            client.logs(&events(app.app().checkout, CrossChainCheckout::OrderIgnored::SIGNATURE_HASH)).await?.len()
                as u64;
        let refunds =
            client.logs(&events(app.app().checkout, CrossChainCheckout::PurchaseRefunded::SIGNATURE_HASH)).await?;
        for log in &refunds {
            if let Ok(r) = CrossChainCheckout::PurchaseRefunded::decode_log(&log.inner) {
                match r.data.reason {
                    4 => report.refunded_timeout += 1,
                    5 => report.refunded_vend_failed += 1,
                    _ => {}
                }
            }
        }
    }
    for p in ring.relayers.keeper().purchases().map_err(|e| step_err("keeper", e))? {
        report.retries_via_alternate += u64::from(p.order_retried) + u64::from(p.report.is_some_and(|r| r.retried));
    }
    let last = minted_minus_locked(&ring.apps).await.map_err(|e| step_err("invariant", e))?;
    report.minted_minus_locked = ring.worst.max(last);
    report.invariants_hold = all_ended
        && report.minted_minus_locked <= 0
        && report.receipts_minted == report.settled
        && report.settled + report.refunded == report.orders;
    progress.inc(1);
    Ok(report)
}
