//! [`DisputeKeeper`]: the permissionless steps that move every dispute along, done by whoever runs it.
//!
//! For each dispute not yet final, [`DisputeKeeper::tick`] does what is due at `now`:
//!
//! - evidence period, draw incomplete: contribute to the beacon round the draw waits for (commit in its commit
//!   window, reveal in its reveal window; secrets derive from the keeper's seed and are kept in its state
//!   file), then draw once the round is over (which moves the dispute to a later beacon round when the old
//!   one ended without randomness);
//! - evidence, commit, reveal and appeal periods: pass the period when its time is up (commit and reveal also
//!   as soon as every drawn juror acted; evidence once the draw is complete);
//! - execution: deliver the ruling, then settle the jurors of every round in batches.
//!
//! Anything that fails (a race with another keeper, a node hiccup) is reported and retried on the next tick;
//! the chain is read afresh each time, so two keepers, or a restarted one, never get in each other's way
//! beyond a reverted transaction. [`KeeperReport::next_due`] says when something next falls due, so a driver
//! can sleep (or move a devnet's clock) until then.

use std::{
    collections::{BTreeMap, BTreeSet},
    path::{Path, PathBuf},
};

use alloy_primitives::{Address, B256, U256, keccak256};
use automat_chain::{ChainClient, ChainClientExt};
use automat_contracts::court::{
    Court, CourtContract, CourtParameters, NetworkToken, Period, RandomnessBeacon, beacon_commitment,
};
use serde::{Deserialize, Serialize};

use crate::{ClaimsError, Result, state::StateFile};

/// Beacon bonds' worth of network tokens the keeper approves at once, so a commitment is one transaction.
const BOND_ALLOWANCE_ROUNDS: u64 = 1_000;

/// The beacon secret a keeper with `seed` contributes to `round`.
pub fn beacon_secret(seed: B256, keeper: Address, round: u64) -> B256 {
    let mut bytes = Vec::with_capacity(96);
    bytes.extend_from_slice(b"automat beacon secret v1");
    bytes.extend_from_slice(seed.as_slice());
    bytes.extend_from_slice(keeper.as_slice());
    bytes.extend_from_slice(&round.to_be_bytes());
    keccak256(bytes)
}

/// Where a keeper keeps its state under `data_dir`.
pub fn keeper_state_path(data_dir: &Path, keeper: Address) -> PathBuf {
    data_dir.join(format!("keeper-{keeper}.json"))
}

/// How a keeper runs.
#[derive(Debug, Clone)]
pub struct KeeperConfig {
    /// The secret its beacon contributions derive from.
    pub seed: B256,
    /// Its state file (`None`: in memory only).
    pub state_path: Option<PathBuf>,
    /// Whether it contributes to beacon rounds (its sender needs the beacon's bond in network tokens).
    pub contribute: bool,
    /// Draw attempts per `draw` call.
    pub draw_iterations: u64,
    /// Jurors settled per `executeRewards` call.
    pub reward_batch: u64,
}

impl KeeperConfig {
    /// Secret `seed`, state in memory, contributing, 64 draw attempts and 50 jurors per call.
    pub fn new(seed: B256) -> Self {
        Self { seed, state_path: None, contribute: true, draw_iterations: 64, reward_batch: 50 }
    }

    /// The same with the state file under `data_dir` for `keeper`.
    pub fn in_dir(mut self, data_dir: &Path, keeper: Address) -> Self {
        self.state_path = Some(keeper_state_path(data_dir, keeper));
        self
    }
}

/// What a keeper did in one tick.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct KeeperReport {
    /// Beacon rounds it committed to.
    pub beacon_commits: Vec<u64>,
    /// Beacon rounds it revealed in.
    pub beacon_reveals: Vec<u64>,
    /// Votes drawn.
    pub drawn: usize,
    /// Draws moved to a later beacon round (the old one failed).
    pub moved: usize,
    /// Periods passed: (dispute, the period entered).
    pub periods: Vec<(U256, String)>,
    /// Rulings delivered: (dispute, ruling).
    pub rulings: Vec<(U256, U256)>,
    /// `executeRewards` calls.
    pub rewards: usize,
    /// Disputes that became final this tick (ruled, every round settled).
    pub finished: Vec<U256>,
    /// The earliest time something not yet due falls due (Unix seconds).
    pub next_due: Option<u64>,
    /// Steps that failed (retried next tick).
    pub errors: Vec<String>,
}

impl KeeperReport {
    /// Whether it sent any transaction.
    pub fn acted(&self) -> bool {
        !self.beacon_commits.is_empty()
            || !self.beacon_reveals.is_empty()
            || self.drawn > 0
            || self.moved > 0
            || !self.periods.is_empty()
            || !self.rulings.is_empty()
            || self.rewards > 0
    }

    fn due(&mut self, at: u64) {
        self.next_due = Some(self.next_due.map_or(at, |t| t.min(at)));
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct BeaconEntry {
    secret: B256,
    committed: bool,
    revealed: bool,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct KeeperState {
    /// Beacon contributions by round.
    beacon: BTreeMap<u64, BeaconEntry>,
    /// Disputes final (ruled, every round settled).
    finished: BTreeSet<String>,
}

/// The court's keeper (see the module docs).
#[derive(Debug)]
pub struct DisputeKeeper<C> {
    court: Court<C>,
    config: KeeperConfig,
    state: StateFile<KeeperState>,
}

impl<C: ChainClient> DisputeKeeper<C> {
    /// A keeper acting as `court`'s sender, its state opened from `config.state_path`.
    pub fn open(court: Court<C>, config: KeeperConfig) -> Result<Self> {
        let state = StateFile::open(config.state_path.clone())?;
        Ok(Self { court, config, state })
    }

    /// The keeper's address.
    pub fn address(&self) -> Address {
        self.court.client().sender()
    }

    /// The court handle it acts through.
    pub fn court(&self) -> &Court<C> {
        &self.court
    }

    /// Whether dispute `dispute` is final: its ruling delivered and every round's rewards executed.
    pub async fn is_final(&self, dispute: U256) -> Result<bool> {
        let info = self.court.dispute(dispute).await?;
        if !info.ruled {
            return Ok(false);
        }
        for round in 0..info.rounds {
            if !self.rewards_done(dispute, round).await? {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Does everything due at `now` (the timestamp the next transaction runs at) for every dispute not yet
    /// final.
    pub async fn tick(&mut self, now: u64) -> Result<KeeperReport> {
        let count: U256 =
            self.court.client().call_sol(self.court.addresses().court, &CourtContract::disputeCountCall {}).await?;
        let params = self.court.parameters().await?;
        let mut report = KeeperReport::default();
        let mut id = U256::from(1);
        while id <= count {
            if !self.state.get().finished.contains(&id.to_string()) {
                self.step(id, now, &params, &mut report).await;
            }
            id += U256::from(1);
        }
        Ok(report)
    }

    /// Does everything due at `now` for dispute `dispute` only.
    pub async fn tick_dispute(&mut self, dispute: U256, now: u64) -> Result<KeeperReport> {
        let params = self.court.parameters().await?;
        let mut report = KeeperReport::default();
        self.step(dispute, now, &params, &mut report).await;
        Ok(report)
    }

    async fn step(&mut self, dispute: U256, now: u64, params: &CourtParameters, report: &mut KeeperReport) {
        if let Err(error) = self.step_inner(dispute, now, params, report).await {
            tracing::debug!(%dispute, %error, "keeper step failed; retrying next tick");
            report.errors.push(format!("dispute {dispute}: {error}"));
        }
    }

    async fn step_inner(
        &mut self,
        dispute: U256,
        now: u64,
        params: &CourtParameters,
        report: &mut KeeperReport,
    ) -> Result<()> {
        let info = self.court.dispute(dispute).await?;
        let round = info.current_round();
        let period_end = |secs: u64| info.last_period_change.saturating_add(secs);
        let Some(period) = info.period else {
            return Err(ClaimsError::Chain(automat_chain::ChainError::Decode(format!(
                "dispute {dispute} is in a period this build does not know"
            ))));
        };
        match period {
            Period::Evidence => {
                let rd = self.court.round(dispute, round).await?;
                if rd.drawn < rd.votes {
                    self.randomness_and_draw(dispute, rd.beacon_round, now, report).await?;
                } else {
                    let end = period_end(params.evidencePeriod);
                    self.pass_if(dispute, now >= end, end, Period::Commit, report).await?;
                }
            }
            Period::Commit => {
                let rd = self.court.round(dispute, round).await?;
                let end = period_end(params.commitPeriod);
                let all = rd.commits as usize >= rd.jurors.len();
                self.pass_if(dispute, all || now >= end, end, Period::Reveal, report).await?;
            }
            Period::Reveal => {
                let rd = self.court.round(dispute, round).await?;
                let end = period_end(params.revealPeriod);
                let all = rd.reveals as usize >= rd.jurors.len();
                self.pass_if(dispute, all || now >= end, end, Period::Appeal, report).await?;
            }
            Period::Appeal => {
                let end = period_end(params.appealPeriod);
                self.pass_if(dispute, now >= end, end, Period::Execution, report).await?;
            }
            Period::Execution => {
                if !info.ruled {
                    self.court.execute_ruling(dispute).await?;
                    tracing::info!(%dispute, ruling = %info.ruling, "ruling delivered");
                    report.rulings.push((dispute, info.ruling));
                }
                let mut done = true;
                for r in 0..info.rounds {
                    if !self.rewards_done(dispute, r).await? {
                        self.court.execute_rewards(dispute, r, self.config.reward_batch).await?;
                        report.rewards += 1;
                        done &= self.rewards_done(dispute, r).await?;
                    }
                }
                if done {
                    self.state.update(|s| s.finished.insert(dispute.to_string()))?;
                    report.finished.push(dispute);
                }
            }
        }
        Ok(())
    }

    /// Passes the period when `due`; otherwise notes `end` as the next due time.
    async fn pass_if(
        &mut self,
        dispute: U256,
        due: bool,
        end: u64,
        next: Period,
        report: &mut KeeperReport,
    ) -> Result<()> {
        if !due {
            report.due(end);
            return Ok(());
        }
        self.court.pass_period(dispute).await?;
        let entered = self.court.dispute(dispute).await?.period.unwrap_or(next);
        tracing::info!(%dispute, period = ?entered, "period passed");
        report.periods.push((dispute, format!("{entered:?}")));
        Ok(())
    }

    /// Contributes to beacon round `beacon_round` when its windows are open, draws once it is over.
    async fn randomness_and_draw(
        &mut self,
        dispute: U256,
        beacon_round: u64,
        now: u64,
        report: &mut KeeperReport,
    ) -> Result<()> {
        let (start, commit_end, reveal_end) = self.court.beacon_windows(beacon_round).await?;
        if now >= reveal_end {
            let outcome = self.court.draw(dispute, self.config.draw_iterations).await?;
            report.drawn += outcome.drawn.len();
            if let Some(to) = outcome.moved_to {
                tracing::info!(%dispute, from = beacon_round, to, "beacon round ended without randomness; draw moved");
                report.moved += 1;
            } else {
                tracing::info!(%dispute, drawn = outcome.drawn.len(), "jurors drawn");
            }
            return Ok(());
        }
        if now >= commit_end {
            report.due(reveal_end);
            if self.config.contribute {
                self.beacon_reveal(beacon_round, report).await?;
            }
        } else if now >= start {
            report.due(commit_end);
            if self.config.contribute {
                self.beacon_commit(beacon_round, report).await?;
            }
        } else {
            report.due(start);
        }
        Ok(())
    }

    fn secret(&mut self, beacon_round: u64) -> Result<B256> {
        if let Some(entry) = self.state.get().beacon.get(&beacon_round) {
            return Ok(entry.secret);
        }
        let secret = beacon_secret(self.config.seed, self.address(), beacon_round);
        self.state.update(|s| {
            s.beacon.insert(beacon_round, BeaconEntry { secret, committed: false, revealed: false });
        })?;
        Ok(secret)
    }

    async fn contribution(&self, beacon_round: u64) -> Result<(B256, bool)> {
        let c = self
            .court
            .client()
            .call_sol(
                self.court.addresses().beacon,
                &RandomnessBeacon::contributionOfCall { round: U256::from(beacon_round), contributor: self.address() },
            )
            .await?;
        Ok((c.commitment, c.revealed))
    }

    async fn beacon_commit(&mut self, beacon_round: u64, report: &mut KeeperReport) -> Result<()> {
        let (commitment, _) = self.contribution(beacon_round).await?;
        if !commitment.is_zero() {
            return Ok(());
        }
        let secret = self.secret(beacon_round)?;
        // One transaction in the (short) commit window: the bond's allowance is granted ahead, for many rounds.
        let client = self.court.client();
        let addresses = self.court.addresses();
        let bond = client.call_sol(addresses.beacon, &RandomnessBeacon::bondCall {}).await?;
        if !bond.is_zero() {
            let allowance = client
                .call_sol(
                    addresses.token,
                    &NetworkToken::allowanceCall { owner: self.address(), spender: addresses.beacon },
                )
                .await?;
            if allowance < bond {
                let value = bond.saturating_mul(U256::from(BOND_ALLOWANCE_ROUNDS));
                client
                    .send_sol(addresses.token, &NetworkToken::approveCall { spender: addresses.beacon, value })
                    .await?;
            }
        }
        let commitment = beacon_commitment(secret, self.address());
        client
            .send_sol(addresses.beacon, &RandomnessBeacon::commitCall { round: U256::from(beacon_round), commitment })
            .await?;
        self.state.update(|s| {
            if let Some(e) = s.beacon.get_mut(&beacon_round) {
                e.committed = true;
            }
        })?;
        tracing::info!(beacon_round, "beacon commitment sent");
        report.beacon_commits.push(beacon_round);
        Ok(())
    }

    async fn beacon_reveal(&mut self, beacon_round: u64, report: &mut KeeperReport) -> Result<()> {
        let (commitment, revealed) = self.contribution(beacon_round).await?;
        if commitment.is_zero() || revealed {
            return Ok(());
        }
        let secret = self.secret(beacon_round)?;
        self.court.beacon_reveal(beacon_round, secret).await?;
        self.state.update(|s| {
            if let Some(e) = s.beacon.get_mut(&beacon_round) {
                e.revealed = true;
            }
        })?;
        tracing::info!(beacon_round, "beacon secret revealed");
        report.beacon_reveals.push(beacon_round);
        Ok(())
    }

    async fn rewards_done(&self, dispute: U256, round: u64) -> Result<bool> {
        let r = self
            .court
            .client()
            .call_sol(
                self.court.addresses().court,
                &CourtContract::appealOfCall { disputeId: dispute, round: U256::from(round) },
            )
            .await?;
        Ok(r.rewardsDone)
    }
}
