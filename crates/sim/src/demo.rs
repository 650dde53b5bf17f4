//! `automat demo`: the main job on the embedded default.
//!
//! Starts N chains in-process (3 by default), deploys the vending suite on each, registers an operator with two
//! machines per chain — each driven by its own [`Agent`] over a [`SimulatedMachine`] — and runs, on every
//! chain: three successful purchases, a vend failure and a jam (both refunded by the machine's attestation),
//! an order the machine never answers (refunded by the buyer after the deadline), and one partition episode:
//! both machines lose the chain, keep selling against buyer vouchers (one voucher spent at both), and settle
//! when the link heals — the voucher pays once, the second sale is recorded unpaid. Then the cross-chain part
//! ([`crate::crosschain`]): purchases between the chains over LayerZero v2 and Hyperlane, a vend failure refunded
//! across chains, and a LayerZero outage with a timeout refund and a retry through Hyperlane. The report is read
//! back from the chains. Last the oracle part ([`crate::oracle`]): seven oracle nodes price a slot with the
//! models, one lies (flagged), one equivocates (the feed freezes; the machine sells at the manual price). Then
//! the privacy part ([`crate::privacy`]): a private purchase paid from the shielded pool with a selective-
//! disclosure proof, and a buyer from a blocked jurisdiction refused. Last the insurance part
//! ([`crate::insurance`]): insured purchases, a claim paid and one rejected by the court's jurors, and a drained
//! pool that pauses new cover, pays pro rata and recovers with emergency liquidity. The run fails if any
//! invariant (escrow, receipts, settlement, minted ≤ locked, oracle median, pool balance, claims paid exactly)
//! does not hold.

use std::{
    path::{Path, PathBuf},
    time::Instant,
};

use alloy_primitives::{Address, U256};
use automat_agent::{
    Agent, AgentConfig, AgentError, Behaviour, OfflineSaleOutcome, SimulatedMachine, VendFailure, VendOdds,
    VendOutcome, sign_voucher,
};
use automat_chain::{
    ChainClient, DEFAULT_MNEMONIC, DevnetControl, LinkSwitch, Partitionable, alloy::Filter, decode_events,
    signer_from_mnemonic,
};
use automat_contracts::vending::{OrderStatus, Slot, Storefront, SuiteConfig, Vending, Voucher, deploy_suite};
use automat_devnet::{Devnet, DevnetConfig, EmbeddedClient};
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;

use crate::{Result, SimError};

/// One payment-token unit (6 decimals).
const AUSD: u128 = 1_000_000;

/// How the demo runs.
#[derive(Debug, Clone)]
pub struct DemoConfig {
    /// Chains to start.
    pub chains: u32,
    /// Where agents keep their outboxes and metadata (a temporary directory when `None`).
    pub data_dir: Option<PathBuf>,
    /// Draw a progress bar on stderr.
    pub progress: bool,
}

impl Default for DemoConfig {
    fn default() -> Self {
        Self { chains: 3, data_dir: None, progress: true }
    }
}

/// Figures of one chain, read back from it.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ChainReport {
    /// Chain id.
    pub chain_id: u64,
    /// The Storefront.
    pub storefront: Address,
    /// Orders created (online and settled offline sales).
    pub orders: u64,
    /// Orders dispensed (including offline sales).
    pub dispensed: u64,
    /// Orders refunded.
    pub refunded: u64,
    /// Of those, after a failed vend or jam.
    pub refunded_vend_failed: u64,
    /// Of those, after the deadline passed.
    pub refunded_timeout: u64,
    /// Receipts minted.
    pub receipts_minted: u64,
    /// Escrow left (0 when every order is settled).
    pub escrow_balance_after: u128,
    /// Prepaid allowances left.
    pub prepaid_after: u128,
    /// Sales made offline.
    pub offline_sales: u64,
    /// Offline sales settled on chain.
    pub offline_settled: u64,
    /// Vouchers presented twice, paid once.
    pub double_spends_rejected: u64,
    /// Vouchers the machines refused while offline.
    pub offline_refused: u64,
    /// Paid out to the operator.
    pub operator_revenue: u128,
    /// Protocol fees.
    pub fees: u128,
    /// Storefront balance == escrow + prepaid, receipts == dispensed, every order settled.
    pub invariants_hold: bool,
}

/// The demo's outcome. The first eight fields are the public interface of `automat demo --json`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct DemoReport {
    /// Orders created on every chain.
    pub orders: u64,
    /// Orders dispensed.
    pub dispensed: u64,
    /// Orders refunded.
    pub refunded: u64,
    /// Receipts minted.
    pub receipts_minted: u64,
    /// Escrow left on every Storefront (0 when every order is settled).
    pub escrow_balance_after: u128,
    /// Sales made offline during partitions.
    pub offline_sales: u64,
    /// Offline sales settled on chain.
    pub offline_settled: u64,
    /// Vouchers presented twice and paid once.
    pub double_spends_rejected: u64,
    /// Refunds after a failed vend or jam.
    pub refunded_vend_failed: u64,
    /// Refunds after the deadline.
    pub refunded_timeout: u64,
    /// Vouchers refused offline.
    pub offline_refused: u64,
    /// Cross-chain purchases made.
    pub crosschain_orders: u64,
    /// Of those, settled (dispensed on the machine's chain, receipt on the buyer's).
    pub crosschain_settled: u64,
    /// Of those, refunded in full on the buyer's chain.
    pub crosschain_refunded: u64,
    /// Messages sent again through the other transport after a stall.
    pub retries_via_alternate: u64,
    /// Largest `minted on other chains − locked at home` seen at any step (never positive).
    pub minted_minus_locked: i128,
    /// Oracle reports the aggregator accepted.
    pub oracle_reports: u64,
    /// Manipulation attempts caught (outlier observations flagged, equivocations proven).
    pub manipulations_detected: u64,
    /// Purchases at the operator's manual price while a feed was frozen.
    pub manual_fallbacks: u64,
    /// Orders paid from the shielded pool (unlinkable to the depositor) and dispensed.
    pub private_orders: u64,
    /// Buyers refused because the machine may not sell to their jurisdiction (nothing charged).
    pub geofenced_refusals: u64,
    /// Orders placed with cover from the insurance pool.
    pub insured_orders: u64,
    /// Insurance claims filed.
    pub claims_filed: u64,
    /// Claims the court upheld and the pool paid.
    pub claims_paid: u64,
    /// Claims the court rejected.
    pub claims_rejected: u64,
    /// Times a pool paused new cover when its capital fell below the requirement (A3).
    pub pool_paused_episodes: u64,
    /// Claims paid pro rata at first, the rest as IOUs.
    pub pro_rata_payouts: u64,
    /// Whether every invariant held on every chain and across chains.
    pub invariants_hold: bool,
    /// `tokenURI` of the first receipt.
    pub sample_receipt_uri: String,
    /// Wall time of the run, in milliseconds.
    pub duration_ms: u64,
    /// Per chain.
    pub chains: Vec<ChainReport>,
    /// The cross-chain part in detail.
    pub crosschain: crate::crosschain::CrossChainReport,
    /// The oracle part in detail.
    pub oracle: crate::oracle::OracleReport,
    /// The privacy part in detail.
    pub privacy: crate::privacy::PrivacyReport,
    /// The insurance part in detail.
    pub insurance: crate::insurance::InsuranceReport,
}

type Link = Partitionable<EmbeddedClient>;
type MachineAgent = Agent<Link, SimulatedMachine>;

struct Machine {
    id: u64,
    agent: MachineAgent,
    switch: LinkSwitch,
    sim: SimulatedMachine,
}

fn bar(enabled: bool, len: u64) -> ProgressBar {
    if !enabled {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len);
    if let Ok(style) = ProgressStyle::with_template("{prefix:>9} [{bar:30}] {pos}/{len} {msg}") {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

fn step_err(step: &'static str, detail: impl ToString) -> SimError {
    SimError::Step { step, detail: detail.to_string() }
}

/// Runs the demo.
pub async fn run(config: &DemoConfig) -> Result<DemoReport> {
    let started = Instant::now();
    let temp;
    let root = match &config.data_dir {
        Some(dir) => dir.clone(),
        None => {
            temp = tempfile::tempdir().map_err(|e| SimError::Setup(format!("temporary directory: {e}")))?;
            temp.path().to_path_buf()
        }
    };
    let zk_keys = crate::privacy::prepare_keys();
    let devnet = Devnet::start(DevnetConfig::with_chains(config.chains))?;
    let chain_ids = devnet.chain_ids();
    let progress = bar(
        config.progress,
        chain_ids.len() as u64 * STEPS + CROSSCHAIN_STEPS + ORACLE_STEPS + PRIVACY_STEPS + crate::insurance::STEPS,
    );
    let mut report = DemoReport { invariants_hold: true, ..DemoReport::default() };
    for (index, chain_id) in chain_ids.iter().copied().enumerate() {
        progress.set_prefix(format!("chain {}", index + 1));
        let (chain, sample_uri) = run_chain(&devnet, chain_id, index, &root, &progress).await?;
        report.orders += chain.orders;
        report.dispensed += chain.dispensed;
        report.refunded += chain.refunded;
        report.receipts_minted += chain.receipts_minted;
        report.escrow_balance_after += chain.escrow_balance_after;
        report.offline_sales += chain.offline_sales;
        report.offline_settled += chain.offline_settled;
        report.double_spends_rejected += chain.double_spends_rejected;
        report.refunded_vend_failed += chain.refunded_vend_failed;
        report.refunded_timeout += chain.refunded_timeout;
        report.offline_refused += chain.offline_refused;
        report.invariants_hold &= chain.invariants_hold;
        if report.sample_receipt_uri.is_empty() {
            report.sample_receipt_uri = sample_uri;
        }
        report.chains.push(chain);
    }
    let crosschain = crate::crosschain::run(&devnet, &root, &progress).await?;
    report.crosschain_orders = crosschain.orders;
    report.crosschain_settled = crosschain.settled;
    report.crosschain_refunded = crosschain.refunded;
    report.retries_via_alternate = crosschain.retries_via_alternate;
    report.minted_minus_locked = crosschain.minted_minus_locked;
    report.invariants_hold &= crosschain.invariants_hold;
    report.crosschain = crosschain;
    let oracle = crate::oracle::run(&devnet, &root, &progress).await?;
    report.oracle_reports = oracle.reports;
    report.manipulations_detected = oracle.manipulations_detected;
    report.manual_fallbacks = oracle.manual_fallbacks;
    report.invariants_hold &= oracle.invariants_hold;
    report.oracle = oracle;
    let privacy = crate::privacy::run(&devnet, &root, &progress, zk_keys).await?;
    report.private_orders = privacy.private_orders;
    report.geofenced_refusals = privacy.geofenced_refusals;
    report.invariants_hold &= privacy.invariants_hold;
    report.privacy = privacy;
    let insurance = crate::insurance::run(&devnet, &root, &progress).await?;
    report.insured_orders = insurance.insured_orders;
    report.claims_filed = insurance.claims_filed;
    report.claims_paid = insurance.claims_paid;
    report.claims_rejected = insurance.claims_rejected;
    report.pool_paused_episodes = insurance.pool_paused_episodes;
    report.pro_rata_payouts = insurance.pro_rata_payouts;
    report.invariants_hold &= insurance.invariants_hold;
    report.insurance = insurance;
    progress.finish_and_clear();
    report.duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    Ok(report)
}

/// Progress steps per chain.
const STEPS: u64 = 7;
/// Progress steps of the cross-chain part.
const CROSSCHAIN_STEPS: u64 = 7;
/// Progress steps of the oracle part.
const ORACLE_STEPS: u64 = 4;
/// Progress steps of the privacy part.
const PRIVACY_STEPS: u64 = 4;

const OPERATOR: usize = 1;
const BUYERS: [usize; 4] = [3, 4, 5, 6];
const SUBMITTER: usize = 9;

async fn run_chain(
    devnet: &Devnet,
    chain_id: u64,
    index: usize,
    root: &Path,
    progress: &ProgressBar,
) -> Result<(ChainReport, String)> {
    // Deploy and fund.
    progress.set_message("deploying the suite");
    let admin = devnet.dev_client(chain_id, 0)?;
    let suite = deploy_suite(&admin, &SuiteConfig::new(admin.sender())).await?;
    let admin = Vending::new(admin, suite);
    let operator = admin.with_client(devnet.dev_client(chain_id, OPERATOR)?);
    admin.mint(operator.client().sender(), U256::from(1_000 * AUSD)).await?;
    let mut buyers = Vec::new();
    for index in BUYERS {
        let buyer = admin.with_client(devnet.dev_client(chain_id, index)?);
        admin.mint(buyer.client().sender(), U256::from(100 * AUSD)).await?;
        buyers.push((buyer, devnet.signers()[index].clone()));
    }
    progress.inc(1);

    // Operator, machines, agents.
    progress.set_message("registering machines");
    operator.register_operator(U256::from(100 * AUSD)).await?;
    let (geohash, jurisdiction) = [("u33dc0", "DE"), ("u09tvw", "FR"), ("dr5reg", "US")][index % 3];
    let mut machines = Vec::new();
    for m in 0..2u32 {
        let key_index = 1_000 + u32::try_from(index).unwrap_or(0) * 10 + m;
        let key = signer_from_mnemonic(DEFAULT_MNEMONIC, key_index)?;
        let slots = vec![
            Slot { itemId: 101, stock: 10, minPrice: AUSD, maxPrice: 3 * AUSD },
            Slot { itemId: 202, stock: 10, minPrice: AUSD, maxPrice: 3 * AUSD },
        ];
        let id = operator.register_machine(key.address(), geohash, jurisdiction, slots, 20 * AUSD).await?;
        let sim = SimulatedMachine::new([(0, 10), (1, 10)], Behaviour::Random { odds: VendOdds::RELIABLE, seed: id });
        let switch = LinkSwitch::new();
        let link = Partitionable::new(devnet.dev_client(chain_id, SUBMITTER)?, switch.clone());
        let dir = root.join(format!("chain-{chain_id}")).join(format!("machine-{id}"));
        let agent = Agent::open(link, sim.clone(), key, AgentConfig::new(id, suite, dir))?;
        machines.push(Machine { id, agent, switch, sim });
    }
    let operator_start = admin.token_balance(operator.client().sender()).await?;
    progress.inc(1);

    // Three purchases that go through.
    progress.set_message("purchases");
    for (buyer, machine, slot) in [(0, 0, 0u16), (1, 1, 1u16), (2, 0, 1u16)] {
        buy(&buyers[buyer].0, &machines[machine].agent, slot, 2 * AUSD, 600).await?;
    }
    poll_all(&mut machines).await?;
    progress.inc(1);

    // A vend failure and a jam: the machines attest the failure and the buyers are refunded.
    progress.set_message("vend failure, jam");
    machines[0].sim.script([VendOutcome::Failed(VendFailure::VendFailed)]);
    machines[1].sim.script([VendOutcome::Failed(VendFailure::Jam)]);
    buy(&buyers[1].0, &machines[0].agent, 0, 2 * AUSD, 600).await?;
    buy(&buyers[2].0, &machines[1].agent, 1, 2 * AUSD, 600).await?;
    poll_all(&mut machines).await?;
    machines[1].sim.clear_jam(1);
    progress.inc(1);

    // An order the machine never answers: the buyer takes the refund after the deadline.
    progress.set_message("timeout");
    let order = buy(&buyers[3].0, &machines[1].agent, 0, 2 * AUSD, 120).await?;
    admin.client().increase_time(180).await?;
    buyers[3].0.refund_expired(order).await?;
    poll_all(&mut machines).await?;
    progress.inc(1);

    // A partition: both machines lose the chain and sell on vouchers; one voucher is spent at both.
    progress.set_message("partition");
    let (buyer, buyer_key) = &buyers[0];
    buyer.deposit_prepaid(10 * AUSD).await?;
    poll_all(&mut machines).await?;
    for machine in &machines {
        machine.switch.cut();
    }
    for machine in &mut machines {
        match machine.agent.poll().await {
            Err(e) if e.is_unreachable() => {}
            other => return Err(step_err("partition", format!("agent still reaches the chain: {other:?}"))),
        }
    }
    let expiry = admin.client().block_timestamp().await? + 86_400;
    let voucher = |nonce| Voucher { buyer: buyer.client().sender(), maxAmount: 3 * AUSD, nonce, expiry };
    let first = voucher(1);
    let second = voucher(2);
    let mut offline_sales = 0;
    for (machine, v, slot, price) in
        [(0usize, &first, 0u16, 2 * AUSD), (1, &second, 1, 5 * AUSD / 2), (1, &first, 0, 2 * AUSD)]
    {
        let signature = sign_voucher(buyer_key, &suite, v)?;
        match machines[machine].agent.sell_offline(v, signature, slot, price).await? {
            OfflineSaleOutcome::Sold { .. } => offline_sales += 1,
            OfflineSaleOutcome::NotDispensed(outcome) => {
                return Err(step_err("partition", format!("offline vend failed: {outcome:?}")));
            }
        }
    }
    // A buyer the machine knows no allowance for is turned away.
    let mut offline_refused = 0;
    let (stranger, stranger_key) = &buyers[1];
    let stranger_voucher = Voucher { buyer: stranger.client().sender(), maxAmount: 3 * AUSD, nonce: 1, expiry };
    let signature = sign_voucher(stranger_key, &suite, &stranger_voucher)?;
    match machines[0].agent.sell_offline(&stranger_voucher, signature, 1, 2 * AUSD).await {
        Err(AgentError::VoucherRefused(_)) => offline_refused += 1,
        other => return Err(step_err("partition", format!("voucher without allowance accepted: {other:?}"))),
    }
    for machine in &machines {
        machine.switch.heal();
    }
    poll_all(&mut machines).await?;
    progress.inc(1);

    // Read everything back.
    progress.set_message("reading back");
    let mut chain = read_back(&admin, operator.client().sender(), operator_start).await?;
    chain.offline_sales = offline_sales;
    chain.offline_refused = offline_refused;
    for machine in &machines {
        let status = machine.agent.status()?;
        if status.offline_exposure != 0 {
            chain.invariants_hold = false;
        }
        for order in status.orders.keys() {
            if order != "settled" {
                chain.invariants_hold = false;
            }
        }
    }
    // Items that physically left the machines are exactly the orders dispensed on chain.
    let delivered: usize = machines.iter().map(|m| m.sim.dispensed()).sum();
    if delivered as u64 != chain.dispensed {
        chain.invariants_hold = false;
    }
    let sample = admin.token_uri(U256::from(1)).await?;
    progress.inc(1);
    Ok((chain, sample))
}

/// A buyer asks `agent` for a quote and places the order; returns its id.
async fn buy(
    buyer: &Vending<EmbeddedClient>,
    agent: &MachineAgent,
    slot: u16,
    price: u128,
    window: u64,
) -> Result<U256> {
    let quote = agent.quote(slot, price).await?;
    let deadline = buyer.client().block_timestamp().await? + window;
    let placed = buyer.place_order(&quote.quote, quote.signature, price, deadline, true).await?;
    Ok(placed.order_id)
}

async fn poll_all(machines: &mut [Machine]) -> Result<()> {
    for machine in machines {
        machine.agent.poll().await.map_err(|e| step_err("poll", format!("machine {}: {e}", machine.id)))?;
    }
    Ok(())
}

/// Reads a chain's books back from its contracts and events and checks the invariants.
async fn read_back(admin: &Vending<EmbeddedClient>, operator: Address, operator_start: U256) -> Result<ChainReport> {
    let suite = *admin.suite();
    let client = admin.client();
    let mut report = ChainReport { chain_id: suite.chain_id, storefront: suite.storefront, ..ChainReport::default() };
    let count = admin.order_count().await?;
    report.orders = u64::try_from(count).unwrap_or(u64::MAX);
    let mut open = 0u64;
    for id in 1..=report.orders {
        match admin.order_status(U256::from(id)).await? {
            OrderStatus::Dispensed => report.dispensed += 1,
            OrderStatus::Refunded => report.refunded += 1,
            OrderStatus::Open => open += 1,
            OrderStatus::None => {}
        }
    }
    let head = client.block_number().await?;
    let logs = client.logs(&Filter::new().address(suite.storefront).from_block(0).to_block(head)).await?;
    for refund in decode_events::<Storefront::OrderRefunded>(&logs) {
        match refund.reason {
            1 => report.refunded_vend_failed += 1,
            2 => report.refunded_timeout += 1,
            _ => {}
        }
    }
    report.offline_settled = decode_events::<Storefront::OfflineSaleSettled>(&logs).len() as u64;
    report.double_spends_rejected = decode_events::<Storefront::VoucherDoubleSpent>(&logs).len() as u64;
    for paid in decode_events::<Storefront::OrderDispensed>(&logs) {
        report.operator_revenue += paid.price - paid.fee;
        report.fees += paid.fee;
    }
    for paid in decode_events::<Storefront::OfflineSaleSettled>(&logs) {
        report.operator_revenue += paid.charged - paid.fee;
        report.fees += paid.fee;
    }
    report.receipts_minted = u64::try_from(admin.receipts_minted().await?).unwrap_or(u64::MAX);
    let escrow = admin.escrow_balance().await?;
    let prepaid = admin.total_prepaid().await?;
    let held = admin.token_balance(suite.storefront).await?;
    report.escrow_balance_after = u128::try_from(escrow).unwrap_or(u128::MAX);
    report.prepaid_after = u128::try_from(prepaid).unwrap_or(u128::MAX);
    // The operator's token balance grew by exactly what the events say it was paid.
    let operator_balance = admin.token_balance(operator).await?;
    let operator_expected = operator_start + U256::from(report.operator_revenue);
    report.invariants_hold = held == escrow + prepaid
        && open == 0
        && escrow.is_zero()
        && report.receipts_minted == report.dispensed
        && operator_balance == operator_expected;
    Ok(report)
}
