//! The insurance part of `automat demo`: insured purchases, claims decided by the court, and a drained pool.
//!
//! On the last chain: a vending suite with one machine served by its agent, a court with four staked jurors run
//! by juror agents (three honest with 3,000 AUTO each, one dishonest with the minimum 1,000: drawn for about one
//! vote in ten, it never decides a claim here), a keeper, and an insurance pool with 100 aUSD of underwriters'
//! capital.
//!
//! 1. A buyer makes three insured purchases (cover bought with the order, premium priced by risk, duration and
//!    utilisation); the machine's agent dispenses them and the receipts record the cover.
//! 2. Claim A: a drink came out warm; the machine's own record shows the cooler fault. Evidence published by
//!    CID, the claim goes through the court (beacon, draw, commit, reveal, appeal window) and is paid; the
//!    machine's reputation drops and the incident is recorded for the risk model.
//! 3. Claim B: "nothing came out", but the machine's drop sensor saw the item fall: the court rejects it.
//! 4. Drained pool (A3): a lean second pool (5 aUSD of capital, 3× capacity) insures four purchases whose claims
//!    are all well founded. Filing them pushes its capital below the requirement: new cover pauses by itself,
//!    and a buyer asking for cover is refused with nothing charged. The court upholds all four; the pool holds
//!    less than they claim, so each is paid the same fraction and the rest is queued as IOUs. Governance injects
//!    emergency liquidity: the IOUs are paid oldest first, every claimant ends with exactly the amount claimed,
//!    and cover resumes.

use std::path::Path;

use alloy_primitives::{U256, keccak256};
use automat_agent::{Agent, AgentConfig, Behaviour, SimulatedMachine, VendOdds};
use automat_chain::{ChainClient, DevnetControl};
use automat_claims::{
    Complaint, DevnetClock, Dishonest, DispenseRecord, DisputeKeeper, DriveOptions, Evidence, Honest, JurorAgent,
    JurorConfig, KeeperConfig, VotingPolicy, drive_to_final, file_claim,
    world::{USD, World, WorldConfig},
};
use automat_contracts::court::AUTO;
use automat_contracts::insurance::{ClaimStatus, Insurance, InsuranceConfig, Params, deploy_insurance};
use automat_contracts::vending::{OrderStatus, Vending, VendingError};
use automat_devnet::{Devnet, EmbeddedClient};
use automat_store::BlobStore;
use indicatif::ProgressBar;
use serde::Serialize;

use crate::{Result, SimError};

const ADMIN: usize = 0;
const OPERATOR: usize = 1;
const UNDERWRITER: usize = 2;
const JURORS: [usize; 4] = [3, 4, 5, 6];
const KEEPER: usize = 7;
const SUBMITTER: usize = 8;
const BUYER: usize = 9;
const PRICE: u128 = 2 * USD;

/// Progress steps of the insurance part.
pub const STEPS: u64 = 4;

/// Figures of the insurance part.
#[derive(Debug, Clone, Default, Serialize)]
pub struct InsuranceReport {
    /// Orders placed with cover.
    pub insured_orders: u64,
    /// Claims filed.
    pub claims_filed: u64,
    /// Claims the court upheld and the pool paid (in full, or pro rata with the rest as an IOU).
    pub claims_paid: u64,
    /// Claims the court rejected.
    pub claims_rejected: u64,
    /// Times a pool paused new cover because its capital fell below the requirement.
    pub pool_paused_episodes: u64,
    /// Claims paid pro rata at first (the rest queued as IOUs).
    pub pro_rata_payouts: u64,
    /// Insured orders refused while the pool was paused (nothing charged).
    pub cover_refused: u64,
    /// Premiums paid.
    pub premiums: u128,
    /// Paid to claimants, IOUs included.
    pub paid_out: u128,
    /// Paid through IOUs after the emergency liquidity.
    pub iou_paid: u128,
    /// Reputation of the machine after the paid claims.
    pub machine_reputation_after: u16,
    /// Incidents recorded against the machine for the risk model.
    pub incidents: u32,
    /// Each claim's final ruling, in order of filing (1 pay, 2 reject).
    pub rulings: Vec<u64>,
    /// Every paid claim paid exactly its amount, refused cover charged nothing, no IOU left, pools solvent.
    pub invariants_hold: bool,
}

fn step(detail: impl ToString) -> SimError {
    SimError::Step { step: "insurance", detail: detail.to_string() }
}

struct Court {
    keeper: DisputeKeeper<EmbeddedClient>,
    jurors: Vec<JurorAgent<EmbeddedClient>>,
    clock: DevnetClock<EmbeddedClient>,
}

impl Court {
    async fn decide(&mut self, dispute: U256) -> Result<u64> {
        let report = drive_to_final(&mut self.keeper, &mut self.jurors, dispute, &self.clock, &DriveOptions::default())
            .await
            .map_err(step)?;
        u64::try_from(report.ruling).map_err(step)
    }
}

/// Runs the insurance part on the last chain of `devnet`, the agent's journal and the evidence store under
/// `root`.
pub async fn run(devnet: &Devnet, root: &Path, progress: &ProgressBar) -> Result<InsuranceReport> {
    progress.set_prefix("insurance");
    progress.set_message("pool, court, jurors, machine");
    let chain = *devnet.chain_ids().last().ok_or_else(|| step("no chain"))?;
    let client = |i: usize| devnet.dev_client(chain, i);
    let admin = client(ADMIN)?;
    let world = World::deploy(&admin, &client(OPERATOR)?, &client(UNDERWRITER)?, &WorldConfig::default())
        .await
        .map_err(step)?;
    let store = BlobStore::open(root.join("insurance").join("evidence")).map_err(step)?;
    let mut jurors = Vec::new();
    for (i, &account) in JURORS.iter().enumerate() {
        let juror = client(account)?;
        // Three honest jurors read the evidence and stake 3,000 AUTO each; the fourth votes against it with the
        // minimum stake of 1,000, so it is drawn in about one vote in ten.
        let honest = Honest::new(store.clone());
        let (policy, stake): (Box<dyn VotingPolicy>, u128) =
            if i < 3 { (Box::new(honest), 3_000) } else { (Box::new(Dishonest(honest)), 1_000) };
        world.enlist_juror(&admin, &juror, U256::from(stake * AUTO)).await.map_err(step)?;
        let seed = keccak256(format!("automat demo juror {account}"));
        // Jurors judge the claims of every pool (the drained pool below is a second one).
        jurors.push(JurorAgent::open(world.court_as(juror), policy, JurorConfig::new(seed)).map_err(step)?);
    }
    let keeper_client = client(KEEPER)?;
    world.fund_keeper(&admin, keeper_client.sender(), 100).await.map_err(step)?;
    let keeper =
        DisputeKeeper::open(world.court_as(keeper_client), KeeperConfig::new(keccak256("automat demo keeper")))
            .map_err(step)?;
    let mut court = Court { keeper, jurors, clock: DevnetClock(admin.clone()) };

    let sim = SimulatedMachine::new([(0, 50)], Behaviour::Random { odds: VendOdds::RELIABLE, seed: 7 });
    let mut agent = Agent::open(
        client(SUBMITTER)?,
        sim,
        world.machine_key.clone(),
        AgentConfig::new(world.machine_id, world.suite, root.join("insurance").join("machine")),
    )?;
    let buyer = client(BUYER)?;
    world.mint(&admin, buyer.sender(), 200 * USD).await.map_err(step)?;
    let vending = Vending::new(admin.clone(), world.suite);
    let reputation_before = vending.machine(world.machine_id).await?.reputation;
    progress.inc(1);

    // 1. Insured purchases, dispensed by the machine's agent.
    progress.set_message("insured purchases");
    let pool = world.insurance_as(buyer.clone());
    let mut report = InsuranceReport { invariants_hold: true, ..InsuranceReport::default() };
    let mut orders = Vec::new();
    for _ in 0..3 {
        let order = buy(&pool, &agent, &buyer).await?;
        report.premiums += order.1;
        orders.push(order.0);
    }
    agent.poll().await?;
    for order in &orders {
        let dispensed = OrderStatus::from(vending.order(*order).await?.status) == OrderStatus::Dispensed;
        let covered = pool.coverage(*order).await?.status == 1;
        report.invariants_hold &= dispensed && covered;
    }
    report.insured_orders += orders.len() as u64;
    progress.inc(1);

    // 2. and 3. A founded claim (paid) and an unfounded one (rejected).
    progress.set_message("claims through the court");
    let warm = Evidence::new(orders[0], Complaint::Defective, "the can came out warm and swollen").with_record(
        DispenseRecord {
            machine_id: world.machine_id,
            order_id: orders[0],
            drop_detected: true,
            fault: Some("cooler at 14 °C (limit 7 °C)".into()),
            reading: "drop detected: true; cooler 14.0C".into(),
        },
    );
    let nothing =
        Evidence::new(orders[1], Complaint::GoodsNotReceived, "nothing came out").with_record(DispenseRecord {
            machine_id: world.machine_id,
            order_id: orders[1],
            drop_detected: true,
            fault: None,
            reading: "drop detected: true".into(),
        });
    admin.mine(1).await?;
    let buyer_before = vending.token_balance(buyer.sender()).await?;
    let fee = pool.claim_fee().await?;
    let mut filed = Vec::new();
    for evidence in [&warm, &nothing] {
        let (claim, _cid) =
            file_claim(&pool, evidence.order_id, &evidence.to_json_bytes(), &store).await.map_err(step)?;
        filed.push(claim);
    }
    report.claims_filed += 2;
    for claim in &filed {
        report.rulings.push(court.decide(claim.dispute_id).await?);
    }
    let (paid, rejected) = (pool.claim(filed[0].claim_id).await?, pool.claim(filed[1].claim_id).await?);
    let paid_ok = ClaimStatus::from(paid.status) == ClaimStatus::Paid && paid.paid == PRICE;
    let rejected_ok = ClaimStatus::from(rejected.status) == ClaimStatus::Rejected && rejected.paid == 0;
    report.claims_paid += u64::from(paid_ok);
    report.claims_rejected += u64::from(rejected_ok);
    report.paid_out += paid.paid;
    let buyer_after = vending.token_balance(buyer.sender()).await?;
    report.invariants_hold &=
        paid_ok && rejected_ok && buyer_after + fee * U256::from(2) == buyer_before + U256::from(PRICE);
    progress.inc(1);

    // 4. The drained pool.
    progress.set_message("drained pool: pause, pro-rata payouts, emergency liquidity");
    let lean = Params {
        capacityBps: 30_000,
        minCapitalRatioBps: 2_500,
        minCapital: 2 * USD as u64,
        ..InsuranceConfig::default().params
    };
    let small = deploy_insurance(&admin, &world.suite, world.court.court, &InsuranceConfig { params: lean.clone() })
        .await
        .map_err(step)?;
    let underwriter = Insurance::new(client(UNDERWRITER)?, world.suite, small);
    world.mint(&admin, underwriter.client().sender(), 5 * USD).await.map_err(step)?;
    underwriter.deposit(5 * USD).await?;
    let small_pool = Insurance::new(buyer.clone(), world.suite, small);
    let mut lean_orders = Vec::new();
    for _ in 0..4 {
        let (order, premium) = buy(&small_pool, &agent, &buyer).await?;
        report.premiums += premium;
        lean_orders.push(order);
    }
    report.insured_orders += lean_orders.len() as u64;
    agent.poll().await?;
    admin.mine(1).await?;
    let mut lean_claims = Vec::new();
    for order in &lean_orders {
        let evidence = Evidence::new(*order, Complaint::GoodsNotReceived, "the spiral turned, nothing fell")
            .with_record(DispenseRecord {
                machine_id: world.machine_id,
                order_id: *order,
                drop_detected: false,
                fault: None,
                reading: "drop detected: false".into(),
            });
        let (claim, _) = file_claim(&small_pool, *order, &evidence.to_json_bytes(), &store).await.map_err(step)?;
        lean_claims.push(claim);
    }
    report.claims_filed += lean_claims.len() as u64;
    let state = small_pool.state().await?;
    report.invariants_hold &= state.cover_paused;
    // A3: cover is refused while paused, and nothing is charged.
    let before = vending.token_balance(buyer.sender()).await?;
    let orders_before = vending.order_count().await?;
    match buy(&small_pool, &agent, &buyer).await {
        Err(SimError::Vending(VendingError::Chain(e))) if e.revert_name() == Some("CoverIsPaused") => {
            report.cover_refused += 1;
        }
        other => return Err(step(format!("cover while the pool is drained: {other:?}"))),
    }
    report.invariants_hold &=
        vending.token_balance(buyer.sender()).await? == before && vending.order_count().await? == orders_before;
    for claim in &lean_claims {
        report.rulings.push(court.decide(claim.dispute_id).await?);
    }
    let short = small_pool.state().await?;
    report.invariants_hold &= short.iou_outstanding > U256::ZERO && short.insolvent;
    // Emergency liquidity from governance pays the IOUs first and brings cover back.
    Vending::new(admin.clone(), world.suite).mint(admin.sender(), U256::from(10 * USD)).await?;
    let injected = Insurance::new(admin.clone(), world.suite, small).inject_liquidity(10 * USD).await?;
    report.iou_paid =
        injected.events::<automat_contracts::insurance::InsurancePool::IouPaid>().iter().map(|e| e.amount).sum();
    for claim in &lean_claims {
        let c = small_pool.claim(claim.claim_id).await?;
        let paid = ClaimStatus::from(c.status) == ClaimStatus::Paid;
        report.claims_paid += u64::from(paid);
        report.paid_out += c.paid;
        report.invariants_hold &= paid && c.paid == PRICE;
    }
    let after = small_pool.state().await?;
    report.pro_rata_payouts = after.pro_rata_payouts;
    report.invariants_hold &= after.iou_outstanding.is_zero() && !after.insolvent && !after.cover_paused;
    let (order, premium) = buy(&small_pool, &agent, &buyer).await?;
    report.premiums += premium;
    report.insured_orders += 1;
    agent.poll().await?;
    report.invariants_hold &= OrderStatus::from(vending.order(order).await?.status) == OrderStatus::Dispensed;

    report.pool_paused_episodes =
        world.insurance_as(admin.clone()).state().await?.pause_episodes + after.pause_episodes;
    report.machine_reputation_after = vending.machine(world.machine_id).await?.reputation;
    report.incidents = world.insurance_as(admin.clone()).incidents(world.machine_id).await?
        + small_pool.incidents(world.machine_id).await?;
    let penalty = u16::try_from(report.claims_paid).unwrap_or(u16::MAX).saturating_mul(lean.reputationPenalty);
    report.invariants_hold &= report.machine_reputation_after == reputation_before.saturating_sub(penalty)
        && u64::from(report.incidents) == report.claims_paid;
    progress.inc(1);
    Ok(report)
}

/// `buyer` asks the machine's agent for a quote at [`PRICE`] and places the order with cover from `pool`;
/// returns the order id and the premium.
async fn buy(
    pool: &Insurance<EmbeddedClient>,
    agent: &Agent<EmbeddedClient, SimulatedMachine>,
    buyer: &EmbeddedClient,
) -> Result<(U256, u128)> {
    let quote = agent.quote(0, PRICE).await?;
    let deadline = buyer.block_timestamp().await? + 600;
    let order = pool.place_insured_order(&quote.quote, quote.signature, PRICE, deadline, PRICE / 4).await?;
    Ok((order.order_id, order.premium))
}
