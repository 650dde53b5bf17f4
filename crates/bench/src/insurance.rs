//! `automat bench insurance`: what cover and claims cost in gas, and how often the court gets a claim right when
//! some jurors vote at random.
//!
//! Everything runs on one fresh embedded devnet with an insured-purchase world (`automat_claims::world`: the
//! vending suite, a machine, a court, a pool with capital), `jurors` staked jurors run by juror agents and one
//! keeper, as the network runs them.
//!
//! 1. Gas of an order with cover (`placeInsuredOrder`: order, policy, premium) against the same order without
//!    (`placeOrder`), alternating, both with standing allowances so neither pays for an approval; steady state
//!    (the first of each kind dropped, median of the rest).
//! 2. Courts of `disputes` claims each, for p = 0 (the baseline: every juror honest), 0.2 and 0.4: a fraction
//!    p of the jurors votes uniformly at random, the others honestly ([`automat_claims::Honest`]: by the
//!    evidence). Half of the claims are well founded (the machine's own record shows nothing dropped), half
//!    are not (it shows the drop). A claim's outcome is honest when the pool paid exactly the well-founded ones.
//!    No appeals: the first round's ruling stands, so the figures are the court's raw accuracy.
//! 3. Gas of a claim's whole life (filing with its approval, the keeper's beacon contribution, draw, periods,
//!    ruling, rewards; every juror's commit, reveal and withdrawal) per juror vote, in the baseline run, metered
//!    on every role's client ([`GasMeter`]).

use std::time::Instant;

use alloy_primitives::{
    U256,
    aliases::{U48, U208},
    keccak256,
};
use automat_chain::{ChainClient, ChainClientExt, DevnetControl, GasMeter, GasTally};
use automat_claims::{
    Complaint, DispenseRecord, DisputeKeeper, Evidence, Honest, JurorAgent, JurorConfig, KeeperConfig, RandomVote,
    VotingPolicy,
    world::{USD, World, WorldConfig},
};
use automat_contracts::court::AUTO;
use automat_contracts::insurance::{ClaimStatus, Insurance};
use automat_contracts::vending::{PaymentToken, Quote, Storefront, Vending, sign_typed};
use automat_devnet::{Devnet, DevnetConfig, EmbeddedClient};
use automat_store::BlobStore;
use serde::Serialize;

use crate::{BenchError, Result, chain::bar, crosschain::median_after_first};

/// What to run.
#[derive(Clone, Debug)]
pub struct InsuranceBenchConfig {
    /// Claims per juror mix (p = 0, 0.2, 0.4).
    pub disputes: usize,
    /// Jurors staked (equal stakes).
    pub jurors: usize,
    /// Orders of each kind for the gas comparison (at least 2: the first is not steady state).
    pub orders: usize,
    /// Show a progress bar (on stderr).
    pub progress: bool,
}

impl Default for InsuranceBenchConfig {
    fn default() -> Self {
        Self { disputes: 40, jurors: 10, orders: 6, progress: true }
    }
}

/// The figures `automat bench insurance --json` prints.
#[derive(Clone, Debug, Serialize)]
pub struct InsuranceBenchReport {
    /// Gas of `placeInsuredOrder`: the order, its policy and the premium.
    pub gas_order_with_cover: u64,
    /// Gas of `placeOrder` for the same purchase without cover (the baseline).
    pub gas_order_without_cover: u64,
    /// `gas_order_with_cover / gas_order_without_cover`.
    pub cover_gas_ratio: f64,
    /// Gas of a claim's whole life per juror vote (p = 0 run).
    pub gas_claim_per_juror: u64,
    /// Gas of a claim's whole life, mean over the p = 0 run.
    pub gas_claim_lifecycle: u64,
    /// Juror votes per claim (the court's first-round jury).
    pub votes_per_claim: u64,
    /// Share of claims decided right when every juror is honest (the baseline).
    pub honest_rate_p0: f64,
    /// Share of claims decided right when 20 % of the jurors vote at random.
    pub honest_rate_p20: f64,
    /// Share of claims decided right when 40 % of the jurors vote at random.
    pub honest_rate_p40: f64,
    /// What a majority of `votes_per_claim` independent votes gets right at p = 0.2 (each vote right with
    /// probability 1 − p/2), for comparison.
    pub honest_rate_p20_binomial: f64,
    /// The same at p = 0.4.
    pub honest_rate_p40_binomial: f64,
    /// Claims per juror mix.
    pub disputes: usize,
    /// Jurors staked.
    pub jurors: usize,
    /// Wall time of the whole benchmark, in milliseconds.
    pub duration_ms: u64,
}

impl std::fmt::Display for InsuranceBenchReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "insurance benchmark: {} claims per juror mix, {} jurors, embedded chain",
            self.disputes, self.jurors
        )?;
        writeln!(
            f,
            "  order with cover      {:>9} gas  (without: {}, ratio {:.3})",
            self.gas_order_with_cover, self.gas_order_without_cover, self.cover_gas_ratio
        )?;
        writeln!(
            f,
            "  claim, whole life     {:>9} gas  ({} per juror vote, {} votes)",
            self.gas_claim_lifecycle, self.gas_claim_per_juror, self.votes_per_claim
        )?;
        writeln!(f, "  decided right, p=0    {:>9.3}", self.honest_rate_p0)?;
        writeln!(
            f,
            "  decided right, p=0.2  {:>9.3}      (independent majority: {:.3})",
            self.honest_rate_p20, self.honest_rate_p20_binomial
        )?;
        write!(
            f,
            "  decided right, p=0.4  {:>9.3}      (independent majority: {:.3})",
            self.honest_rate_p40, self.honest_rate_p40_binomial
        )
    }
}

/// Accounts of the benchmark's devnet.
const ADMIN: usize = 0;
const OPERATOR: usize = 1;
const UNDERWRITER: usize = 2;
const BUYER: usize = 3;
const SUBMITTER: usize = 4;
const KEEPER: usize = 5;
const FIRST_JUROR: usize = 6;

fn setup(detail: impl ToString) -> BenchError {
    BenchError::Setup(detail.to_string())
}

/// Probability that a majority of `votes` independent votes is right when each is right with probability `q`.
fn majority(votes: u64, q: f64) -> f64 {
    let n = votes as i32;
    let mut total = 0.0;
    let mut binomial = 1.0;
    for k in 0..=n {
        if k > 0 {
            binomial = binomial * f64::from(n - k + 1) / f64::from(k);
        }
        if 2 * k > n {
            total += binomial * q.powi(k) * (1.0 - q).powi(n - k);
        }
    }
    total
}

/// Runs the benchmark.
pub async fn run(config: &InsuranceBenchConfig) -> Result<InsuranceBenchReport> {
    if config.orders < 2 || config.disputes == 0 || config.jurors < 5 {
        return Err(BenchError::Invalid("need orders >= 2, disputes >= 1 and jurors >= 5".into()));
    }
    let started = Instant::now();
    let accounts = u32::try_from(FIRST_JUROR + config.jurors).map_err(setup)?;
    let devnet = Devnet::start(DevnetConfig { chains: 1, accounts, ..DevnetConfig::default() })?;
    let chain = devnet.chain_ids()[0];
    let client = |i: usize| devnet.dev_client(chain, i);
    let admin = client(ADMIN)?;
    let operator = client(OPERATOR)?;
    let world = World::deploy(
        &admin,
        &operator,
        &client(UNDERWRITER)?,
        &WorldConfig { capital: 10_000 * USD, ..WorldConfig::default() },
    )
    .await
    .map_err(setup)?;
    let stages = 2 * config.orders + 3 * config.disputes;
    let progress = bar(config.progress, stages, "insurance");

    // Room for every order: stock, the per-machine rate limit, and the buyer's funds with standing allowances.
    let vending = Vending::new(admin.clone(), world.suite);
    vending.with_client(operator.clone()).restock(world.machine_id, 0, 100_000).await?;
    let limit = Storefront::setRateLimitCall { window: U48::from(60u64), capacity: U208::from(100_000u64) };
    admin.send_sol(world.suite.storefront, &limit).await?;
    let buyer = client(BUYER)?;
    world.mint(&admin, buyer.sender(), 100_000 * USD).await.map_err(setup)?;
    for spender in [world.suite.storefront, world.pool] {
        buyer.send_sol(world.suite.token, &PaymentToken::approveCall { spender, value: U256::MAX }).await?;
    }

    // 1. Orders with and without cover, alternating.
    let mut nonce = 0u64;
    let (mut with_cover, mut without) = (Vec::new(), Vec::new());
    for _ in 0..config.orders {
        for insured in [false, true] {
            nonce += 1;
            let (quote, signature, deadline) = quote(&world, &buyer, nonce).await?;
            let receipt = if insured {
                buyer
                    .send_sol(
                        world.suite.storefront,
                        &Storefront::placeInsuredOrderCall {
                            quote,
                            quoteSignature: signature,
                            maxPrice: 2 * USD,
                            deadline,
                            maxPremium: 2 * USD,
                        },
                    )
                    .await?
            } else {
                buyer
                    .send_sol(
                        world.suite.storefront,
                        &Storefront::placeOrderCall { quote, quoteSignature: signature, maxPrice: 2 * USD, deadline },
                    )
                    .await?
            };
            if insured {
                with_cover.push(receipt.gas_used)
            } else {
                without.push(receipt.gas_used)
            };
            progress.inc(1);
        }
    }
    let gas_order_with_cover = median_after_first(&with_cover);
    let gas_order_without_cover = median_after_first(&without);

    // 2. and 3. Courts at p = 0, 0.2, 0.4.
    let store_dir = tempfile::tempdir().map_err(setup)?;
    let store = BlobStore::open(store_dir.path()).map_err(setup)?;
    let tally = GasTally::new();
    let keeper_client = client(KEEPER)?;
    world.fund_keeper(&admin, keeper_client.sender(), 10_000).await.map_err(setup)?;
    let jurors: Vec<EmbeddedClient> =
        (0..config.jurors).map(|i| client(FIRST_JUROR + i)).collect::<std::result::Result<_, _>>()?;
    for juror in &jurors {
        world.enlist_juror(&admin, juror, U256::from(10_000 * AUTO)).await.map_err(setup)?;
    }
    let submitter = client(SUBMITTER)?;
    let mut rates = Vec::new();
    let mut lifecycle = (0u64, 0u64, 0u64); // gas, claims, votes (p = 0 run)
    for (run, p) in [0.0, 0.2, 0.4].into_iter().enumerate() {
        let random_jurors = (p * config.jurors as f64).round() as usize;
        let metered = |c: &EmbeddedClient| GasMeter::new(c.clone(), tally.clone());
        let mut agents = Vec::new();
        for (i, juror) in jurors.iter().enumerate() {
            let policy: Box<dyn VotingPolicy> = if i < random_jurors {
                Box::new(RandomVote::new(0x5eed_0007 + (run * 1_000 + i) as u64))
            } else {
                Box::new(Honest::new(store.clone()))
            };
            let seed = keccak256(format!("bench juror {i} run {run}"));
            let court = world.court_as(metered(juror));
            agents.push(JurorAgent::open(court, policy, JurorConfig::new(seed).for_pool(world.pool)).map_err(setup)?);
        }
        let mut keeper = DisputeKeeper::open(
            world.court_as(metered(&keeper_client)),
            KeeperConfig::new(keccak256(format!("bench keeper run {run}"))),
        )
        .map_err(setup)?;

        // Insured purchases, dispensed; then the claims, half of them well founded.
        let mut orders = Vec::new();
        for _ in 0..config.disputes {
            nonce += 1;
            let order = world.insured_purchase(&buyer, &submitter, USD, nonce).await.map_err(setup)?;
            orders.push(order);
        }
        admin.mine(1).await?;
        tally.reset();
        let claimant = Insurance::new(metered(&buyer), world.suite, world.pool);
        let mut claims = Vec::new();
        for (k, order) in orders.iter().enumerate() {
            let founded = k % 2 == 0;
            let record = DispenseRecord {
                machine_id: world.machine_id,
                order_id: *order,
                drop_detected: !founded,
                fault: None,
                reading: format!("drop detected: {}", !founded),
            };
            let evidence = Evidence::new(*order, Complaint::GoodsNotReceived, "nothing came out").with_record(record);
            let (filed, _) = automat_claims::file_claim(&claimant, *order, &evidence.to_json_bytes(), &store)
                .await
                .map_err(setup)?;
            claims.push((filed, founded));
        }

        // Every role ticks until every claim is decided; time moves only when nothing else is due.
        let clock = automat_claims::DevnetClock(admin.clone());
        let ids: Vec<U256> = claims.iter().map(|(c, _)| c.dispute_id).collect();
        let mut done = 0;
        for _ in 0..10_000 {
            let now = automat_claims::Clock::now(&clock).await.map_err(setup)?;
            let k = keeper.tick(now).await.map_err(setup)?;
            let mut acted = k.acted();
            for agent in agents.iter_mut() {
                acted |= agent.tick().await.map_err(setup)?.acted();
            }
            let mut finals = 0;
            for id in &ids {
                finals += usize::from(keeper.is_final(*id).await.map_err(setup)?);
            }
            progress.inc((finals - done) as u64);
            done = finals;
            if done == ids.len() {
                break;
            }
            if !acted {
                let due = k.next_due.unwrap_or(now + 1).max(now + 1);
                automat_claims::Clock::wait_until(&clock, due).await.map_err(setup)?;
            }
        }
        if done != ids.len() {
            return Err(BenchError::Invalid(format!("{} of {} disputes decided", done, ids.len())));
        }
        for agent in agents.iter_mut() {
            agent.withdraw().await;
        }
        let ins = Insurance::new(admin.clone(), world.suite, world.pool);
        let mut right = 0usize;
        for (filed, founded) in &claims {
            let claim = ins.claim(filed.claim_id).await?;
            let paid = ClaimStatus::from(claim.status) == ClaimStatus::Paid;
            right += usize::from(paid == *founded);
        }
        rates.push(right as f64 / claims.len() as f64);
        if run == 0 {
            let mut votes = 0u64;
            let court = world.court_as(admin.clone());
            for id in &ids {
                votes += court.round(*id, 0).await.map_err(setup)?.votes;
            }
            lifecycle = (tally.gas(), claims.len() as u64, votes);
        }
    }
    progress.finish_and_clear();
    let (gas, claims, votes) = lifecycle;
    let votes_per_claim = votes / claims.max(1);
    Ok(InsuranceBenchReport {
        gas_order_with_cover,
        gas_order_without_cover,
        cover_gas_ratio: gas_order_with_cover as f64 / gas_order_without_cover.max(1) as f64,
        gas_claim_per_juror: gas / votes.max(1),
        gas_claim_lifecycle: gas / claims.max(1),
        votes_per_claim,
        honest_rate_p0: rates[0],
        honest_rate_p20: rates[1],
        honest_rate_p40: rates[2],
        honest_rate_p20_binomial: majority(votes_per_claim, 1.0 - 0.2 / 2.0),
        honest_rate_p40_binomial: majority(votes_per_claim, 1.0 - 0.4 / 2.0),
        disputes: config.disputes,
        jurors: config.jurors,
        duration_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
    })
}

/// A machine quote for one unit of slot 0 at 2 USD, and a deadline for an order placed now.
async fn quote(world: &World, buyer: &EmbeddedClient, nonce: u64) -> Result<(Quote, alloy_primitives::Bytes, u64)> {
    let now = buyer.block_timestamp().await?;
    let quote = Quote { machineId: world.machine_id, slot: 0, price: 2 * USD, expiry: now + 3_600, nonce };
    let signature = sign_typed(&world.machine_key, &world.suite.domain(), &quote)?;
    Ok((quote, signature, now + 600))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn majority_of_three() {
        assert!((majority(3, 0.9) - 0.972).abs() < 1e-9);
        assert!((majority(3, 0.8) - 0.896).abs() < 1e-9);
        assert!((majority(1, 0.7) - 0.7).abs() < 1e-9);
    }
}
