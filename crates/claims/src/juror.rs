//! [`JurorAgent`]: one juror key taking part in the court.
//!
//! Each [`JurorAgent::tick`] looks at every dispute not yet final (the court's `disputeCount` and views): where
//! the juror was drawn in the current round, it commits in the commit period (the choice from its
//! [`VotingPolicy`], the salt from its secret seed, the dispute and the round) and reveals in the reveal period;
//! then it withdraws whatever the court credited it. Choice and salt are written to the state file before the
//! commitment is sent, so an agent restarted between commit and reveal reveals what it committed; even without
//! the file, the salt derives from the seed again and the choice is found by trying every option against the
//! commitment on chain.

use std::{
    collections::{BTreeMap, BTreeSet},
    path::{Path, PathBuf},
};

use alloy_primitives::{Address, B256, U256, keccak256};
use automat_chain::{ChainClient, ChainClientExt};
use automat_contracts::{
    court::{Court, CourtContract, DisputeInfo, Period, commit_hash},
    insurance::InsurancePool,
};
use serde::{Deserialize, Serialize};

use crate::{
    ClaimsError, Result,
    evidence::evidence_cid,
    policy::{Case, ClaimCase, VotingPolicy},
    state::StateFile,
};

/// Most options tried when recovering a choice from a commitment.
const MAX_RECOVERY_CHOICES: u64 = 1_024;

/// The salt a juror with secret `seed` commits with in `round` of `dispute`.
pub fn vote_salt(seed: B256, juror: Address, dispute: U256, round: u64) -> B256 {
    let mut bytes = Vec::with_capacity(128);
    bytes.extend_from_slice(b"automat juror salt v1");
    bytes.extend_from_slice(seed.as_slice());
    bytes.extend_from_slice(juror.as_slice());
    bytes.extend_from_slice(&dispute.to_be_bytes::<32>());
    bytes.extend_from_slice(&round.to_be_bytes());
    keccak256(bytes)
}

/// Where a juror keeps its state under `data_dir`.
pub fn juror_state_path(data_dir: &Path, juror: Address) -> PathBuf {
    data_dir.join(format!("juror-{juror}.json"))
}

/// How a juror agent runs.
#[derive(Debug, Clone)]
pub struct JurorConfig {
    /// The secret its salts derive from (keep it as secret as the key; the CLI derives it from the key).
    pub seed: B256,
    /// Its state file (`None`: in memory only, so a restart relies on the seed alone).
    pub state_path: Option<PathBuf>,
    /// Only disputes created by this pool are read as insurance claims (`None`: any arbitrable is asked).
    pub pool: Option<Address>,
    /// Withdraw credited rewards at the end of every tick.
    pub withdraw: bool,
}

impl JurorConfig {
    /// Secret `seed`, state in memory, any pool, withdrawing.
    pub fn new(seed: B256) -> Self {
        Self { seed, state_path: None, pool: None, withdraw: true }
    }

    /// The same with the state file under `data_dir` for `juror`.
    pub fn in_dir(mut self, data_dir: &Path, juror: Address) -> Self {
        self.state_path = Some(juror_state_path(data_dir, juror));
        self
    }

    /// The same reading claims of `pool` only.
    pub fn for_pool(mut self, pool: Address) -> Self {
        self.pool = Some(pool);
        self
    }
}

/// What a juror did in one tick.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct JurorReport {
    /// Votes committed: (dispute, round, choice).
    pub committed: Vec<(U256, u64, u64)>,
    /// Votes revealed: (dispute, round, choice).
    pub revealed: Vec<(U256, u64, u64)>,
    /// Payment tokens withdrawn.
    pub withdrawn_fees: U256,
    /// Network tokens withdrawn.
    pub withdrawn_tokens: U256,
    /// Steps that failed (retried next tick).
    pub errors: Vec<String>,
}

impl JurorReport {
    /// Whether it sent any transaction.
    pub fn acted(&self) -> bool {
        !self.committed.is_empty()
            || !self.revealed.is_empty()
            || !self.withdrawn_fees.is_zero()
            || !self.withdrawn_tokens.is_zero()
    }

    fn absorb(&mut self, other: Self) {
        self.committed.extend(other.committed);
        self.revealed.extend(other.revealed);
        self.withdrawn_fees += other.withdrawn_fees;
        self.withdrawn_tokens += other.withdrawn_tokens;
        self.errors.extend(other.errors);
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct StoredVote {
    choice: u64,
    salt: B256,
    policy: String,
    committed: bool,
    revealed: bool,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct JurorState {
    /// Votes by `dispute/round`.
    votes: BTreeMap<String, StoredVote>,
    /// Disputes whose ruling was delivered (nothing left to vote on).
    finished: BTreeSet<String>,
}

fn vote_key(dispute: U256, round: u64) -> String {
    format!("{dispute}/{round}")
}

/// One juror key taking part in the court (see the module docs).
pub struct JurorAgent<C> {
    court: Court<C>,
    policy: Box<dyn VotingPolicy>,
    config: JurorConfig,
    state: StateFile<JurorState>,
}

impl<C> std::fmt::Debug for JurorAgent<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JurorAgent").field("policy", &self.policy.name()).finish_non_exhaustive()
    }
}

impl<C: ChainClient> JurorAgent<C> {
    /// An agent voting with `policy` as `court`'s sender, its state opened from `config.state_path`.
    pub fn open(court: Court<C>, policy: Box<dyn VotingPolicy>, config: JurorConfig) -> Result<Self> {
        let state = StateFile::open(config.state_path.clone())?;
        Ok(Self { court, policy, config, state })
    }

    /// The juror's address.
    pub fn address(&self) -> Address {
        self.court.client().sender()
    }

    /// The policy's name.
    pub fn policy_name(&self) -> String {
        self.policy.name()
    }

    /// The court handle it acts through.
    pub fn court(&self) -> &Court<C> {
        &self.court
    }

    /// One pass over every dispute not yet final, then a withdrawal of whatever was credited.
    pub async fn tick(&mut self) -> Result<JurorReport> {
        let count: U256 =
            self.court.client().call_sol(self.court.addresses().court, &CourtContract::disputeCountCall {}).await?;
        let mut report = JurorReport::default();
        let mut id = U256::from(1);
        while id <= count {
            if !self.state.get().finished.contains(&id.to_string()) {
                report.absorb(self.step(id).await);
            }
            id += U256::from(1);
        }
        report.absorb(self.withdraw().await);
        Ok(report)
    }

    /// One pass over dispute `dispute` only (no withdrawal).
    pub async fn tick_dispute(&mut self, dispute: U256) -> JurorReport {
        self.step(dispute).await
    }

    /// Withdraws whatever the court credited the juror (when configured to).
    pub async fn withdraw(&mut self) -> JurorReport {
        let mut report = JurorReport::default();
        if !self.config.withdraw {
            return report;
        }
        let result: Result<()> = async {
            let (fees, tokens) = self.court.withdrawable(self.address()).await?;
            if fees.is_zero() && tokens.is_zero() {
                return Ok(());
            }
            self.court.withdraw().await?;
            tracing::info!(juror = %self.address(), %fees, %tokens, "juror withdrew rewards");
            report.withdrawn_fees = fees;
            report.withdrawn_tokens = tokens;
            Ok(())
        }
        .await;
        if let Err(error) = result {
            report.errors.push(format!("withdraw: {error}"));
        }
        report
    }

    async fn step(&mut self, dispute: U256) -> JurorReport {
        let mut report = JurorReport::default();
        if let Err(error) = self.step_inner(dispute, &mut report).await {
            tracing::debug!(juror = %self.address(), %dispute, %error, "juror step failed; retrying next tick");
            report.errors.push(format!("dispute {dispute}: {error}"));
        }
        report
    }

    async fn step_inner(&mut self, dispute: U256, report: &mut JurorReport) -> Result<()> {
        let info = self.court.dispute(dispute).await?;
        let round = info.current_round();
        match info.period {
            Some(Period::Commit) => {
                let vote = self.court.vote(dispute, round, self.address()).await?;
                if vote.draws == 0 || !vote.commitment.is_zero() {
                    return Ok(());
                }
                let stored = match self.state.get().votes.get(&vote_key(dispute, round)) {
                    Some(stored) => stored.clone(),
                    None => {
                        let case = self.case(dispute, &info, round).await;
                        let choice = self.policy.choose(&case);
                        let stored = StoredVote {
                            choice,
                            salt: vote_salt(self.config.seed, self.address(), dispute, round),
                            policy: self.policy.name(),
                            committed: false,
                            revealed: false,
                        };
                        let key = vote_key(dispute, round);
                        let keep = stored.clone();
                        self.state.update(|s| s.votes.insert(key, keep))?;
                        stored
                    }
                };
                self.court.commit_vote(dispute, round, stored.choice, stored.salt).await?;
                self.state.update(|s| {
                    if let Some(v) = s.votes.get_mut(&vote_key(dispute, round)) {
                        v.committed = true;
                    }
                })?;
                tracing::info!(juror = %self.address(), %dispute, round, choice = stored.choice, "juror committed");
                report.committed.push((dispute, round, stored.choice));
            }
            Some(Period::Reveal) => {
                let vote = self.court.vote(dispute, round, self.address()).await?;
                if vote.draws == 0 || vote.commitment.is_zero() || vote.revealed {
                    return Ok(());
                }
                let (choice, salt) = self.recover(dispute, round, &info, vote.commitment)?;
                self.court.reveal_vote(dispute, choice, salt).await?;
                self.state.update(|s| {
                    s.votes
                        .entry(vote_key(dispute, round))
                        .or_insert_with(|| StoredVote {
                            choice,
                            salt,
                            policy: "recovered".into(),
                            committed: true,
                            revealed: false,
                        })
                        .revealed = true;
                })?;
                tracing::info!(juror = %self.address(), %dispute, round, choice, "juror revealed");
                report.revealed.push((dispute, round, choice));
            }
            Some(Period::Execution) if info.ruled => {
                self.state.update(|s| {
                    s.finished.insert(dispute.to_string());
                    s.votes.retain(|k, _| !k.starts_with(&format!("{dispute}/")));
                })?;
            }
            _ => {}
        }
        Ok(())
    }

    /// The choice and salt behind `commitment`: from the state file, else by the seed's salt and every option.
    fn recover(&self, dispute: U256, round: u64, info: &DisputeInfo, commitment: B256) -> Result<(u64, B256)> {
        let me = self.address();
        if let Some(v) = self.state.get().votes.get(&vote_key(dispute, round))
            && commit_hash(v.choice, v.salt, me, dispute, round) == commitment
        {
            return Ok((v.choice, v.salt));
        }
        let salt = vote_salt(self.config.seed, me, dispute, round);
        let max = info.choices.saturating_to::<u64>().min(MAX_RECOVERY_CHOICES);
        (0..=max)
            .find(|&choice| commit_hash(choice, salt, me, dispute, round) == commitment)
            .map(|choice| (choice, salt))
            .ok_or(ClaimsError::LostVote { juror: me, dispute, round })
    }

    /// The case as the policy sees it: the dispute, and the insurance claim behind it when there is one.
    async fn case(&self, dispute: U256, info: &DisputeInfo, round: u64) -> Case {
        let choices = info.choices.saturating_to::<u64>();
        let mut case = Case { dispute_id: dispute, round, choices, arbitrable: info.arbitrable, claim: None };
        if self.config.pool.is_some_and(|p| p != info.arbitrable) {
            return case;
        }
        let client = self.court.client();
        let pool = info.arbitrable;
        let claim = async {
            let claim_id = client.call_sol(pool, &InsurancePool::claimOfDisputeCall { disputeId: dispute }).await?;
            if claim_id.is_zero() {
                return Ok::<_, ClaimsError>(None);
            }
            let claim = client.call_sol(pool, &InsurancePool::claimOfCall { claimId: claim_id }).await?;
            Ok(Some(ClaimCase {
                pool,
                claim_id,
                order_id: claim.orderId,
                amount: claim.amount,
                evidence: evidence_cid(claim.evidenceDigest),
            }))
        }
        .await;
        match claim {
            Ok(claim) => case.claim = claim,
            Err(error) => tracing::debug!(%dispute, %pool, %error, "the arbitrable is not an insurance pool"),
        }
        case
    }
}
