//! `automat bench crosschain`: a purchase from chain A at a machine on chain B, end to end, through each
//! transport, on the embedded chains with one confirmation, against a purchase at the same machine from
//! chain B itself measured in the same run.
//!
//! Setup: two embedded chains, LayerZero v2 and Hyperlane deployed from their published artifacts (three DVN
//! operators, two required plus one of one optional, each DVN 2-of-3 signers; three Hyperlane validators, two
//! needed), the cross-chain app, a machine on B with its agent (a simulated machine that always vends), a
//! buyer on A (the token's home) and one on B.
//!
//! One timed purchase: the buyer asks the agent for a quote and calls `buy` on A; then rounds of every
//! off-chain role (validators, relayer, DVNs, executor, checkout keeper) and the agent's poll run back to back
//! until the purchase is `Settled` on A. So the time covers every transaction of the three legs (the order to
//! B, the vend and attestation on B, the outcome back to A) and the daemons' own reads, with no polling sleep.
//! The baseline is the same machine selling to the buyer on B directly (quote, `placeOrder`, agent poll until
//! dispensed).
//!
//! Gas per leg is the median over the purchases after the first of each transport: `gas_src` the `buy`
//! transaction on A; `gas_dst` the delivery on B that places the Storefront order (LayerZero: the executor's
//! `execute302`; Hyperlane: the relayer's `Mailbox.process`, which also verifies the ISM signatures);
//! `gas_return` the delivery of the outcome on A (receipt mint and change). Alongside: `gas_report` (the
//! keeper's `report` on B that sends the outcome) and `gas_verify_dst` (LayerZero: the DVNs' verifications
//! plus `commitVerification` of the order; Hyperlane: 0, verification is inside `process`).

use std::time::Instant;

use alloy_primitives::U256;
use alloy_sol_types::SolEvent;
use automat_agent::{Agent, AgentConfig, Behaviour, SimulatedMachine, VendOdds};
use automat_bridge::hyperlane::MessageStatus;
use automat_chain::{ChainClient, ChainClientExt, DEFAULT_MNEMONIC, alloy::Filter, signer_from_mnemonic};
use automat_contracts::{
    crosschain::{CrossChain, CrossChainCheckout, PurchaseStatus, Transport, buy_request},
    vending::{OrderStatus, Slot, Vending},
};
use automat_crosschain::{
    KeeperConfig,
    network::{self, NetworkConfig, Relayers},
};
use automat_devnet::{Devnet, DevnetConfig, EmbeddedClient};
use serde::Serialize;

use crate::{BenchError, Result, chain::bar};

const AUSD: u128 = 1_000_000;

/// What to run.
#[derive(Clone, Debug)]
pub struct CrossChainBenchConfig {
    /// Purchases per transport (and for the baseline); at least 2.
    pub purchases: usize,
    /// Show a progress bar (on stderr).
    pub progress: bool,
}

impl Default for CrossChainBenchConfig {
    fn default() -> Self {
        Self { purchases: 20, progress: true }
    }
}

/// Figures of one transport.
#[derive(Clone, Debug, Default, Serialize)]
pub struct TransportFigures {
    /// Median end-to-end time of a cross-chain purchase, ms.
    pub e2e_ms_p50: f64,
    /// 99th percentile, ms.
    pub e2e_ms_p99: f64,
    /// Gas of `buy` on the buyer's chain.
    pub gas_src: u64,
    /// Gas of the order's delivery on the machine's chain (Storefront order placed).
    pub gas_dst: u64,
    /// Gas of the outcome's delivery on the buyer's chain (receipt minted, change returned).
    pub gas_return: u64,
    /// Gas of the keeper's `report` on the machine's chain.
    pub gas_report: u64,
    /// Gas of verifying the order on the machine's chain outside the delivery (LayerZero DVNs + commit).
    pub gas_verify_dst: u64,
    /// Median relayer rounds a purchase needed.
    pub rounds_p50: u64,
    /// `e2e_ms_p50` over the baseline's.
    pub ratio: f64,
}

/// The figures `automat bench crosschain --json` prints.
#[derive(Clone, Debug, Serialize)]
pub struct CrossChainBenchReport {
    /// Purchases per transport.
    pub purchases: usize,
    /// Source-chain confirmations before verification (both protocols).
    pub confirmations: u64,
    /// Through LayerZero v2.
    pub layerzero: TransportFigures,
    /// Through Hyperlane.
    pub hyperlane: TransportFigures,
    /// Median end-to-end time of a purchase at the same machine from its own chain, ms.
    pub baseline_e2e_ms_p50: f64,
    /// 99th percentile of the baseline, ms.
    pub baseline_e2e_ms_p99: f64,
}

fn step(detail: impl ToString) -> BenchError {
    BenchError::Setup(detail.to_string())
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = (p / 100.0 * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

/// Median of the samples after the first (steady state), or of all of them when there is only one.
pub(crate) fn median_after_first(samples: &[u64]) -> u64 {
    let mut rest: Vec<u64> = samples.iter().skip(1).copied().collect();
    if rest.is_empty() {
        rest = samples.to_vec();
    }
    rest.sort_unstable();
    rest.get(rest.len() / 2).copied().unwrap_or(0)
}

/// Runs the benchmark.
pub async fn run(config: &CrossChainBenchConfig) -> Result<CrossChainBenchReport> {
    if config.purchases < 2 {
        return Err(step("at least 2 purchases per transport"));
    }
    let progress = bar(config.progress, 3 * config.purchases, "cross-chain purchases");
    let dir = tempfile::tempdir().map_err(|e| step(format!("temporary directory: {e}")))?;
    let devnet = Devnet::start(DevnetConfig::with_chains(2))?;
    let ids = devnet.chain_ids();
    let (a, b) = (ids[0], ids[1]);
    let admins = ids.iter().map(|id| devnet.dev_client(*id, 0)).collect::<Result<Vec<_>, _>>()?;
    let relayer_clients = ids.iter().map(|id| devnet.dev_client(*id, 9)).collect::<Result<Vec<_>, _>>()?;
    let net_config = NetworkConfig::default();
    let net = network::deploy(&admins, devnet.signers()[9].address(), &net_config).await.map_err(step)?;
    let keeper = KeeperConfig { primary: Transport::LayerZero, retry_after: None, confirmations: 1 };
    let mut relayers =
        Relayers::new(&net, &net_config, &relayer_clients, &dir.path().join("relayers"), keeper).map_err(step)?;

    let suite_b = net.chain(b).map_err(step)?.suite;
    let admin_b = Vending::new(admins[1].clone(), suite_b);
    let operator = admin_b.with_client(devnet.dev_client(b, 1)?);
    admin_b.mint(operator.client().sender(), U256::from(1_000 * AUSD)).await?;
    operator.register_operator(U256::from(100 * AUSD)).await?;
    let key = signer_from_mnemonic(DEFAULT_MNEMONIC, 3_000)?;
    let stock = u32::try_from(4 * config.purchases + 10).map_err(step)?;
    let slots = vec![Slot { itemId: 1, stock, minPrice: AUSD, maxPrice: 3 * AUSD }];
    let machine_id = operator.register_machine(key.address(), "u33dc0", "DE", slots, 20 * AUSD).await?;
    let sim = SimulatedMachine::new([(0, stock)], Behaviour::Random { odds: VendOdds::RELIABLE, seed: 7 });
    let mut agent = Agent::open(
        devnet.dev_client(b, 8)?,
        sim,
        key,
        AgentConfig::new(machine_id, suite_b, dir.path().join("agent")),
    )?;
    agent.poll().await?;
    // The Storefront limits orders per machine; the benchmark is not about that limit.
    admins[1]
        .send_sol(
            suite_b.storefront,
            &automat_contracts::vending::Storefront::setRateLimitCall {
                window: alloy_primitives::aliases::U48::from(60u64),
                capacity: alloy_primitives::Uint::<208, 4>::from(1_000_000u64),
            },
        )
        .await?;

    let admin_a = Vending::new(admins[0].clone(), net.chain(a).map_err(step)?.suite);
    let buyer_client = devnet.dev_client(a, 3)?;
    admin_a.mint(buyer_client.sender(), U256::from(10_000 * AUSD)).await?;
    let buyer = CrossChain::new(buyer_client.clone(), net.chain(a).map_err(step)?.app);
    buyer
        .client()
        .send_sol(
            buyer.app().token,
            &automat_contracts::vending::PaymentToken::approveCall {
                spender: buyer.app().gateway,
                value: U256::from(u64::MAX),
            },
        )
        .await?;
    let local_buyer = admin_b.with_client(devnet.dev_client(b, 3)?);
    admin_b.mint(local_buyer.client().sender(), U256::from(1_000 * AUSD)).await?;
    local_buyer.approve(suite_b.storefront, U256::from(u64::MAX)).await?;

    // Baseline: the same machine, a buyer on its own chain.
    progress.set_message("baseline (same chain)");
    let mut baseline = Vec::new();
    for _ in 0..config.purchases {
        let started = Instant::now();
        let quote = agent.quote(0, 2 * AUSD).await?;
        let deadline = local_buyer.client().block_timestamp().await? + 600;
        let placed = local_buyer.place_order(&quote.quote, quote.signature, 2 * AUSD, deadline, false).await?;
        loop {
            agent.poll().await?;
            if local_buyer.order_status(placed.order_id).await? != OrderStatus::Open {
                break;
            }
        }
        baseline.push(started.elapsed().as_secs_f64() * 1_000.0);
        progress.inc(1);
    }
    baseline.sort_by(f64::total_cmp);
    let baseline_p50 = percentile(&baseline, 50.0);

    let mut figures = Vec::new();
    for transport in [Transport::LayerZero, Transport::Hyperlane] {
        progress.set_message(format!("via {}", transport.name()));
        let mut times = Vec::new();
        let mut rounds = Vec::new();
        let mut gas_src = Vec::new();
        for _ in 0..config.purchases {
            let started = Instant::now();
            let quote = agent.quote(0, 2 * AUSD).await?;
            let deliver_by = buyer.client().block_timestamp().await? + 600;
            let request = buy_request(b, &quote.quote, quote.signature, 3 * AUSD, deliver_by, 600);
            let opened = buyer.buy(&request, transport, false).await?;
            let mut n = 0u64;
            loop {
                n += 1;
                relayers.tick().await.map_err(step)?;
                agent.poll().await?;
                if buyer.purchase_status(opened.purchase_id).await? != PurchaseStatus::Pending {
                    break;
                }
                if n > 50 {
                    return Err(step(format!("{} purchase still pending after 50 rounds", transport.name())));
                }
            }
            times.push(started.elapsed().as_secs_f64() * 1_000.0);
            rounds.push(n);
            gas_src.push(opened.receipt.gas_used);
            if buyer.purchase_status(opened.purchase_id).await? != PurchaseStatus::Settled {
                return Err(step(format!("{} purchase did not settle", transport.name())));
            }
            progress.inc(1);
        }
        times.sort_by(f64::total_cmp);
        let p50 = percentile(&times, 50.0);
        let (gas_dst, gas_return, gas_verify_dst) = leg_gas(&relayers, &net, a, b, transport).map_err(step)?;
        figures.push(TransportFigures {
            e2e_ms_p50: p50,
            e2e_ms_p99: percentile(&times, 99.0),
            gas_src: median_after_first(&gas_src),
            gas_dst,
            gas_return,
            gas_report: report_gas(&devnet, &net, b, transport).await?,
            gas_verify_dst,
            rounds_p50: median_after_first(&rounds),
            ratio: if baseline_p50 > 0.0 { p50 / baseline_p50 } else { 0.0 },
        });
    }
    progress.finish_and_clear();
    let hyperlane = figures.pop().unwrap_or_default();
    let layerzero = figures.pop().unwrap_or_default();
    Ok(CrossChainBenchReport {
        purchases: config.purchases,
        confirmations: net_config.confirmations,
        layerzero,
        hyperlane,
        baseline_e2e_ms_p50: baseline_p50,
        baseline_e2e_ms_p99: percentile(&baseline, 99.0),
    })
}

/// Median delivery gas of orders (A→B) and outcomes (B→A) through `transport`, and LayerZero's verification
/// gas of the orders.
fn leg_gas(
    relayers: &Relayers<EmbeddedClient>,
    net: &network::Network,
    a: u64,
    b: u64,
    transport: Transport,
) -> std::result::Result<(u64, u64, u64), automat_crosschain::CrossChainError> {
    match transport {
        Transport::LayerZero => {
            let (eid_a, eid_b) = (net.chain(a)?.lz.eid, net.chain(b)?.lz.eid);
            let packets = relayers.executor().packets()?;
            let mut order_packets: Vec<_> =
                packets.iter().filter(|p| p.src_eid == eid_a && p.dst_eid == eid_b).collect();
            order_packets.sort_by_key(|p| p.nonce);
            let mut outcome_packets: Vec<_> =
                packets.iter().filter(|p| p.src_eid == eid_b && p.dst_eid == eid_a).collect();
            outcome_packets.sort_by_key(|p| p.nonce);
            let dst: Vec<u64> = order_packets.iter().filter_map(|p| p.gas_of("Executor.execute302")).collect();
            let ret: Vec<u64> = outcome_packets.iter().filter_map(|p| p.gas_of("Executor.execute302")).collect();
            let mut verify = Vec::new();
            for p in &order_packets {
                let mut total = p.gas_of("commitVerification").unwrap_or(0);
                for dvn in relayers.dvns() {
                    if let Some(record) = dvn.packet(p.guid)? {
                        total += record.gas_of("DVN.execute(verify)").unwrap_or(0);
                    }
                }
                verify.push(total);
            }
            Ok((median_after_first(&dst), median_after_first(&ret), median_after_first(&verify)))
        }
        Transport::Hyperlane => {
            let messages = relayers.relayer().messages()?;
            let gas = |origin: u64, destination: u64| -> Vec<u64> {
                let mut list: Vec<_> = messages
                    .iter()
                    .filter(|m| u64::from(m.origin) == origin && u64::from(m.destination) == destination)
                    .collect();
                list.sort_by_key(|m| m.nonce);
                list.iter()
                    .filter_map(|m| match m.status {
                        MessageStatus::Delivered { gas_used, .. } => gas_used,
                        _ => None,
                    })
                    .collect()
            };
            Ok((median_after_first(&gas(a, b)), median_after_first(&gas(b, a)), 0))
        }
    }
}

/// Median gas of the keeper's `report` transactions on `b` whose outcome went through `transport`.
async fn report_gas(devnet: &Devnet, net: &network::Network, b: u64, transport: Transport) -> Result<u64> {
    let client = devnet.dev_client(b, 0)?;
    let checkout = net.chain(b).map_err(step)?.app.checkout;
    let router = net.chain(b).map_err(step)?.app.router;
    let logs = client
        .logs(
            &Filter::new()
                .address(checkout)
                .event_signature(CrossChainCheckout::OutcomeReported::SIGNATURE_HASH)
                .from_block(0),
        )
        .await?;
    let mut gas = Vec::new();
    for log in logs {
        let Some(tx) = log.transaction_hash else { continue };
        let Some(receipt) = client.receipt(tx).await? else { continue };
        let through = receipt
            .events::<automat_contracts::crosschain::CrossChainRouter::MessageSent>()
            .iter()
            .any(|e| e.transport == transport.id());
        if through && receipt.logs.iter().any(|l| l.inner.address == router) {
            gas.push(receipt.gas_used);
        }
    }
    Ok(median_after_first(&gas))
}
