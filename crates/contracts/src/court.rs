//! The jury court on chain: typed bindings of `NetworkToken` (the AUTO network token jurors stake),
//! `RandomnessBeacon` (commit-reveal randomness rounds) and `Court` (a Kleros-style court implementing
//! `IArbitrator`), deployment of the three next to an existing payment token, the vote commitment as the
//! contract checks it, and [`Court`], a typed handle for jurors, beacon contributors, appeal funders and keepers.
//!
//! A dispute's life, each step callable by anyone unless a role is named:
//!
//! ```text
//! createDispute (arbitrable, pays the fee) ─► beacon round fixed (nextRound: in the future)
//!   beacon commit / reveal (contributors) ─► randomness available ─► draw (bounded, stake-weighted)
//!   evidence ─passPeriod─► commit (drawn jurors: commit_hash) ─passPeriod─► reveal ─passPeriod─► appeal
//!   appeal: fund_appeal per side; ≥ 2 sides funded ─► new round of 2n + 1 votes (evidence again)
//!                                 1 side funded   ─► that side wins;  none ─► the ruling stands
//!   execution: execute_ruling (rule() once) · execute_rewards (batches) · withdraw / withdraw_appeal_contribution
//! ```
//!
//! [`commit_hash`] computes exactly what `Court.reveal` checks; a test compares it with the contract's
//! `commitmentOf` view.

use alloy_primitives::{Address, B256, Bytes, U256, keccak256};
use alloy_sol_types::{SolConstructor, SolValue};
use automat_chain::{ChainClient, ChainClientExt, ChainError, Receipt};

use crate::{ArtifactError, deploy_code, register_all_errors, vending::PaymentToken};

/// `sol!` bindings generated from the committed artifacts (ABI and bytecode). The court's binding is named
/// `CourtContract` so the handle can be [`Court`].
#[allow(missing_docs, clippy::too_many_arguments)]
mod bindings {
    use alloy_sol_types::sol;

    sol!(
        #[derive(Debug, PartialEq, Eq)]
        NetworkToken,
        "../../contracts/out/governance/NetworkToken.sol/NetworkToken.json"
    );

    sol!(
        #[derive(Debug, PartialEq, Eq)]
        RandomnessBeacon,
        "../../contracts/out/court/RandomnessBeacon.sol/RandomnessBeacon.json"
    );

    sol!(
        #[derive(Debug, PartialEq, Eq)]
        CourtContract,
        "../../contracts/out/court/Court.sol/Court.json"
    );
}

pub use bindings::Court::Parameters as CourtParameters;
pub use bindings::{CourtContract, NetworkToken, RandomnessBeacon};

/// One network-token unit (18 decimals).
pub const AUTO: u128 = 1_000_000_000_000_000_000;

/// Why a court call failed.
#[derive(Debug, thiserror::Error)]
pub enum CourtError {
    /// The chain refused or could not be reached (a revert carries the court's custom error, decoded by name).
    #[error(transparent)]
    Chain(#[from] ChainError),
    /// An artifact could not be used.
    #[error(transparent)]
    Artifact(#[from] ArtifactError),
    /// A transaction succeeded but lacked the event that reports its result.
    #[error("transaction {tx} emitted no {event} event")]
    MissingEvent {
        /// The event expected.
        event: &'static str,
        /// The transaction.
        tx: B256,
    },
}

/// Result alias for court calls.
pub type Result<T, E = CourtError> = std::result::Result<T, E>;

/// `Court.Period`: the phase of a dispute's current round.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Period {
    /// Evidence is submitted and the jurors are drawn.
    Evidence,
    /// Drawn jurors commit their votes.
    Commit,
    /// Drawn jurors reveal their votes.
    Reveal,
    /// The round's ruling may be appealed.
    Appeal,
    /// The ruling is final; it is delivered and rewards are executed.
    Execution,
}

impl Period {
    /// The period a contract value stands for (`None` for a value this build does not know).
    pub fn from_u8(v: u8) -> Option<Self> {
        match v {
            0 => Some(Self::Evidence),
            1 => Some(Self::Commit),
            2 => Some(Self::Reveal),
            3 => Some(Self::Appeal),
            4 => Some(Self::Execution),
            _ => None,
        }
    }
}

/// The commitment `Court.commit` takes and `Court.reveal` checks:
/// `keccak256(abi.encode(choice, salt, juror, disputeId, round))`. It binds the juror, so a copied commitment
/// cannot be revealed by anyone else.
pub fn commit_hash(choice: u64, salt: B256, juror: Address, dispute_id: U256, round: u64) -> B256 {
    keccak256((U256::from(choice), salt, juror, dispute_id, U256::from(round)).abi_encode())
}

/// The commitment `RandomnessBeacon.commit` takes for `secret` from `contributor`:
/// `keccak256(abi.encode(secret, contributor))`.
pub fn beacon_commitment(secret: B256, contributor: Address) -> B256 {
    keccak256((secret, contributor).abi_encode())
}

/// Parameters of a court deployment.
#[derive(Debug, Clone)]
pub struct CourtConfig {
    /// Admin of the three contracts (DEFAULT_ADMIN_ROLE, later governance) and minter of the network token.
    pub admin: Address,
    /// The payment token fees and appeals are paid in (an existing `PaymentToken`).
    pub fee_token: Address,
    /// Receives forfeited beacon bonds and court fees/penalties nobody coherent earned.
    pub treasury: Address,
    /// Cap of the network token's supply (base units).
    pub token_cap: U256,
    /// Bond of a beacon commitment (network-token base units).
    pub beacon_bond: U256,
    /// Beacon commit window (s).
    pub beacon_commit: u64,
    /// Beacon reveal window (s).
    pub beacon_reveal: u64,
    /// The court's parameters.
    pub params: CourtParameters,
}

impl CourtConfig {
    /// Defaults for `admin` over `fee_token` (6 decimals): treasury = admin, a cap of 1 billion AUTO, 1 AUTO beacon
    /// bond with 10-minute commit and reveal windows; a minimum stake of 1,000 AUTO, 10 % of it locked per draw,
    /// 5 payment tokens per juror vote, 3 jurors in a first round, at most 4 rounds, one hour per period and
    /// up to 50 delayed stake changes applied automatically.
    pub fn new(admin: Address, fee_token: Address) -> Self {
        Self {
            admin,
            fee_token,
            treasury: admin,
            token_cap: U256::from(1_000_000_000u128) * U256::from(AUTO),
            beacon_bond: U256::from(AUTO),
            beacon_commit: 600,
            beacon_reveal: 600,
            params: CourtParameters {
                minStake: U256::from(1_000 * AUTO),
                feePerJuror: U256::from(5_000_000u64),
                alphaBps: 1_000,
                initialJurors: 3,
                maxRounds: 4,
                delayedBatch: 50,
                evidencePeriod: 3_600,
                commitPeriod: 3_600,
                revealPeriod: 3_600,
                appealPeriod: 3_600,
            },
        }
    }
}

/// Addresses of a court deployment on one chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CourtAddresses {
    /// Chain id.
    pub chain_id: u64,
    /// NetworkToken (AUTO): the stake and bond token.
    pub token: Address,
    /// RandomnessBeacon.
    pub beacon: Address,
    /// Court.
    pub court: Address,
    /// The payment token fees are paid in.
    pub fee_token: Address,
}

/// Deploys NetworkToken, RandomnessBeacon and Court with `client` over the payment token `config.fee_token`.
/// Roles are given in the constructors: `config.admin` administers all three and holds the token's
/// MINTER_ROLE; the court needs no role (it only holds stakes and fees).
pub async fn deploy_court<C: ChainClient>(client: &C, config: &CourtConfig) -> Result<CourtAddresses> {
    register_all_errors(client)?;
    let token = deploy_code(
        client,
        "NetworkToken",
        &NetworkToken::BYTECODE,
        NetworkToken::constructorCall { admin: config.admin, cap_: config.token_cap }.abi_encode(),
    )
    .await?;
    let beacon = deploy_code(
        client,
        "RandomnessBeacon",
        &RandomnessBeacon::BYTECODE,
        RandomnessBeacon::constructorCall {
            admin: config.admin,
            bondToken_: token,
            treasury_: config.treasury,
            bond_: config.beacon_bond,
            commitDuration_: config.beacon_commit,
            revealDuration_: config.beacon_reveal,
        }
        .abi_encode(),
    )
    .await?;
    let court = deploy_code(
        client,
        "Court",
        &CourtContract::BYTECODE,
        CourtContract::constructorCall {
            admin: config.admin,
            feeToken_: config.fee_token,
            stakeToken_: token,
            beacon_: beacon,
            treasury_: config.treasury,
            params: config.params.clone(),
        }
        .abi_encode(),
    )
    .await?;
    Ok(CourtAddresses { chain_id: client.chain_id(), token, beacon, court, fee_token: config.fee_token })
}

/// A dispute as `Court.disputeOf` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisputeInfo {
    /// The arbitrable that created it (and receives the ruling).
    pub arbitrable: Address,
    /// The current period (`None`: unknown value).
    pub period: Option<Period>,
    /// Whether the ruling was delivered.
    pub ruled: bool,
    /// When the current period started.
    pub last_period_change: u64,
    /// Number of rounds so far.
    pub rounds: u64,
    /// Number of options.
    pub choices: U256,
    /// The current ruling (0: refused, a tie or no vote).
    pub ruling: U256,
}

impl DisputeInfo {
    /// The current round's index.
    pub fn current_round(&self) -> u64 {
        self.rounds.saturating_sub(1)
    }
}

/// A round as `Court.roundOf` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoundInfo {
    /// The beacon round its draw reads.
    pub beacon_round: u64,
    /// Votes to draw.
    pub votes: u64,
    /// Votes drawn.
    pub drawn: u64,
    /// Jurors who committed.
    pub commits: u64,
    /// Jurors who revealed.
    pub reveals: u64,
    /// The round's fees (payment token).
    pub fees: U256,
    /// Stake each draw locks.
    pub lock_per_draw: U256,
    /// Drawn jurors, each once.
    pub jurors: Vec<Address>,
}

/// A juror's vote in a round (`Court.voteOf`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VoteInfo {
    /// Times drawn (its votes).
    pub draws: u64,
    /// Its commitment (zero: none).
    pub commitment: B256,
    /// Whether it revealed.
    pub revealed: bool,
    /// What it revealed.
    pub choice: U256,
}

/// A juror's stake (`Court.jurorOf`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JurorStake {
    /// Drawable stake (in the sortition tree).
    pub staked: U256,
    /// Held by active draws.
    pub locked: U256,
    /// The stake once delayed changes apply.
    pub target: U256,
    /// Network tokens the court holds for the juror's stake.
    pub held: U256,
}

/// A round's appeal funding (`Court.appealOf`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AppealInfo {
    /// What each side must raise (set when the round's appeal period opens).
    pub cost: U256,
    /// Fully funded sides.
    pub funded_sides: u64,
    /// What the fully funded sides raised together.
    pub total_funded: U256,
    /// Whether the funding started a new round.
    pub appealed: bool,
    /// Whether the round's rewards were executed.
    pub rewards_done: bool,
}

/// What a `draw` call did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DrawOutcome {
    /// Jurors drawn by this call, once per vote, in order.
    pub drawn: Vec<Address>,
    /// Jurors that came up without enough free stake.
    pub skipped: Vec<Address>,
    /// The beacon round the draw now waits for, when the old one ended without randomness.
    pub moved_to: Option<u64>,
    /// The transaction receipt.
    pub receipt: Receipt,
}

/// A typed handle on one court deployment, acting as `client`'s sender.
#[derive(Debug, Clone)]
pub struct Court<C> {
    client: C,
    addresses: CourtAddresses,
}

impl<C: ChainClient> Court<C> {
    /// A handle on `addresses` through `client`.
    pub fn new(client: C, addresses: CourtAddresses) -> Self {
        Self { client, addresses }
    }

    /// The client.
    pub fn client(&self) -> &C {
        &self.client
    }

    /// The deployment's addresses.
    pub fn addresses(&self) -> &CourtAddresses {
        &self.addresses
    }

    /// The same deployment through another client (another sender).
    pub fn with_client<D: ChainClient>(&self, client: D) -> Court<D> {
        Court { client, addresses: self.addresses }
    }

    async fn send<T: alloy_sol_types::SolCall + Sync>(&self, to: Address, call: &T) -> Result<Receipt> {
        Ok(self.client.send_sol(to, call).await?)
    }

    // ------------------------------------------------------------------ tokens

    /// Mints `amount` network tokens to `to` (the sender must hold MINTER_ROLE).
    pub async fn mint_network_token(&self, to: Address, amount: U256) -> Result<Receipt> {
        self.send(self.addresses.token, &NetworkToken::mintCall { to, amount }).await
    }

    /// Network-token balance of `who`.
    pub async fn network_balance(&self, who: Address) -> Result<U256> {
        Ok(self.client.call_sol(self.addresses.token, &NetworkToken::balanceOfCall { account: who }).await?)
    }

    /// Payment-token balance of `who`.
    pub async fn fee_balance(&self, who: Address) -> Result<U256> {
        Ok(self.client.call_sol(self.addresses.fee_token, &PaymentToken::balanceOfCall { account: who }).await?)
    }

    /// Approves `spender` for `amount` network tokens.
    pub async fn approve_network(&self, spender: Address, amount: U256) -> Result<Receipt> {
        self.send(self.addresses.token, &NetworkToken::approveCall { spender, value: amount }).await
    }

    /// Approves `spender` for `amount` payment tokens.
    pub async fn approve_fee(&self, spender: Address, amount: U256) -> Result<Receipt> {
        self.send(self.addresses.fee_token, &PaymentToken::approveCall { spender, value: amount }).await
    }

    // ------------------------------------------------------------------ staking

    /// Stakes `amount` more network tokens (approving the court first).
    pub async fn stake(&self, amount: U256) -> Result<Receipt> {
        self.approve_network(self.addresses.court, amount).await?;
        self.send(self.addresses.court, &CourtContract::stakeCall { amount }).await
    }

    /// Unstakes `amount` (paid at once, or credited for [`Court::withdraw`] when delayed).
    pub async fn unstake(&self, amount: U256) -> Result<Receipt> {
        self.send(self.addresses.court, &CourtContract::unstakeCall { amount }).await
    }

    /// Applies up to `count` delayed stake changes.
    pub async fn execute_delayed_stakes(&self, count: u64) -> Result<Receipt> {
        self.send(self.addresses.court, &CourtContract::executeDelayedStakesCall { count: U256::from(count) }).await
    }

    /// `juror`'s stake.
    pub async fn juror(&self, juror: Address) -> Result<JurorStake> {
        let r = self.client.call_sol(self.addresses.court, &CourtContract::jurorOfCall { juror }).await?;
        Ok(JurorStake { staked: r.staked, locked: r.locked, target: r.target, held: r.held })
    }

    /// Total drawable stake.
    pub async fn total_staked(&self) -> Result<U256> {
        Ok(self.client.call_sol(self.addresses.court, &CourtContract::totalStakedCall {}).await?)
    }

    /// Rounds waiting for their draw (stake changes are delayed while non-zero).
    pub async fn pending_draws(&self) -> Result<U256> {
        Ok(self.client.call_sol(self.addresses.court, &CourtContract::pendingDrawsCall {}).await?)
    }

    /// Delayed stake changes not applied yet.
    pub async fn delayed_stakes_pending(&self) -> Result<U256> {
        Ok(self.client.call_sol(self.addresses.court, &CourtContract::delayedStakesPendingCall {}).await?)
    }

    // ------------------------------------------------------------------ beacon

    /// The first beacon round whose commit window has not started.
    pub async fn beacon_next_round(&self) -> Result<u64> {
        let r = self.client.call_sol(self.addresses.beacon, &RandomnessBeacon::nextRoundCall {}).await?;
        Ok(r.saturating_to())
    }

    /// A beacon round's windows: (commit opens, commit closes = reveal opens, reveal closes), Unix seconds.
    pub async fn beacon_windows(&self, round: u64) -> Result<(u64, u64, u64)> {
        let r = self
            .client
            .call_sol(self.addresses.beacon, &RandomnessBeacon::windowsCall { round: U256::from(round) })
            .await?;
        Ok((r.start, r.commitEnd, r.revealEnd))
    }

    /// Commits `secret` to beacon round `round` (approving the bond first).
    pub async fn beacon_commit(&self, round: u64, secret: B256) -> Result<Receipt> {
        let bond = self.client.call_sol(self.addresses.beacon, &RandomnessBeacon::bondCall {}).await?;
        if !bond.is_zero() {
            self.approve_network(self.addresses.beacon, bond).await?;
        }
        let commitment = beacon_commitment(secret, self.client.sender());
        self.send(self.addresses.beacon, &RandomnessBeacon::commitCall { round: U256::from(round), commitment }).await
    }

    /// Reveals `secret` in beacon round `round` (returns the bond).
    pub async fn beacon_reveal(&self, round: u64, secret: B256) -> Result<Receipt> {
        self.send(self.addresses.beacon, &RandomnessBeacon::revealCall { round: U256::from(round), secret }).await
    }

    /// Sends `contributor`'s unrevealed bond of `round` to the treasury.
    pub async fn beacon_forfeit(&self, round: u64, contributor: Address) -> Result<Receipt> {
        self.send(self.addresses.beacon, &RandomnessBeacon::forfeitCall { round: U256::from(round), contributor }).await
    }

    /// Whether beacon round `round` has randomness.
    pub async fn randomness_available(&self, round: u64) -> Result<bool> {
        Ok(self
            .client
            .call_sol(self.addresses.beacon, &RandomnessBeacon::isAvailableCall { round: U256::from(round) })
            .await?)
    }

    /// Beacon round `round`'s randomness (reverts `BeaconRandomnessUnavailable` until available).
    pub async fn randomness(&self, round: u64) -> Result<B256> {
        Ok(self
            .client
            .call_sol(self.addresses.beacon, &RandomnessBeacon::randomnessCall { round: U256::from(round) })
            .await?)
    }

    // ------------------------------------------------------------------ disputes

    /// What creating a dispute costs (payment token).
    pub async fn arbitration_cost(&self) -> Result<U256> {
        Ok(self.client.call_sol(self.addresses.court, &CourtContract::arbitrationCostCall(Bytes::new())).await?)
    }

    /// Creates a dispute among `choices` options with the sender as the arbitrable (approving the fee first) and
    /// returns its id. Contracts create disputes themselves; this is for tools and tests.
    pub async fn create_dispute(&self, choices: u64) -> Result<U256> {
        let cost = self.arbitration_cost().await?;
        self.approve_fee(self.addresses.court, cost).await?;
        let receipt = self
            .send(
                self.addresses.court,
                &CourtContract::createDisputeCall { choices: U256::from(choices), _1: Bytes::new() },
            )
            .await?;
        receipt
            .events::<CourtContract::DisputeCreation>()
            .first()
            .map(|e| e.disputeId)
            .ok_or(CourtError::MissingEvent { event: "DisputeCreation", tx: receipt.transaction_hash })
    }

    /// Records evidence whose file has sha2-256 `cid_digest`.
    pub async fn submit_evidence(&self, dispute_id: U256, cid_digest: B256) -> Result<Receipt> {
        self.send(
            self.addresses.court,
            &CourtContract::submitEvidenceCall { disputeId: dispute_id, cidDigest: cid_digest },
        )
        .await
    }

    /// Draws up to `iterations` jurors for the current round.
    pub async fn draw(&self, dispute_id: U256, iterations: u64) -> Result<DrawOutcome> {
        let receipt = self
            .send(
                self.addresses.court,
                &CourtContract::drawCall { disputeId: dispute_id, iterations: U256::from(iterations) },
            )
            .await?;
        let drawn = receipt.events::<CourtContract::Draw>().into_iter().map(|e| e.juror).collect();
        let skipped = receipt.events::<CourtContract::DrawSkipped>().into_iter().map(|e| e.juror).collect();
        let moved_to = receipt
            .events::<CourtContract::BeaconRoundMoved>()
            .first()
            .map(|e| e.newBeaconRound.saturating_to::<u64>());
        Ok(DrawOutcome { drawn, skipped, moved_to, receipt })
    }

    /// Moves the dispute to its next period.
    pub async fn pass_period(&self, dispute_id: U256) -> Result<Receipt> {
        self.send(self.addresses.court, &CourtContract::passPeriodCall { disputeId: dispute_id }).await
    }

    /// Commits the sender's vote for `choice` with `salt` in round `round` (the current one).
    pub async fn commit_vote(&self, dispute_id: U256, round: u64, choice: u64, salt: B256) -> Result<Receipt> {
        let commitment = commit_hash(choice, salt, self.client.sender(), dispute_id, round);
        self.commit_raw(dispute_id, commitment).await
    }

    /// Commits an already computed commitment.
    pub async fn commit_raw(&self, dispute_id: U256, commitment: B256) -> Result<Receipt> {
        self.send(self.addresses.court, &CourtContract::commitCall { disputeId: dispute_id, commitment }).await
    }

    /// Reveals the sender's vote.
    pub async fn reveal_vote(&self, dispute_id: U256, choice: u64, salt: B256) -> Result<Receipt> {
        self.send(
            self.addresses.court,
            &CourtContract::revealCall { disputeId: dispute_id, choice: U256::from(choice), salt },
        )
        .await
    }

    /// What each side must raise to appeal the current round.
    pub async fn appeal_cost(&self, dispute_id: U256) -> Result<U256> {
        Ok(self.client.call_sol(self.addresses.court, &CourtContract::appealCostCall { disputeId: dispute_id }).await?)
    }

    /// Puts up to `amount` payment tokens towards appealing for `choice` (approving first).
    pub async fn fund_appeal(&self, dispute_id: U256, choice: u64, amount: U256) -> Result<Receipt> {
        self.approve_fee(self.addresses.court, amount).await?;
        self.send(
            self.addresses.court,
            &CourtContract::fundAppealCall { disputeId: dispute_id, choice: U256::from(choice), amount },
        )
        .await
    }

    /// Withdraws the sender's appeal contribution to `choice` in `round` (with its reward).
    pub async fn withdraw_appeal_contribution(&self, dispute_id: U256, round: u64, choice: u64) -> Result<Receipt> {
        self.send(
            self.addresses.court,
            &CourtContract::withdrawAppealContributionCall {
                disputeId: dispute_id,
                round: U256::from(round),
                choice: U256::from(choice),
            },
        )
        .await
    }

    /// Delivers the final ruling to the arbitrable.
    pub async fn execute_ruling(&self, dispute_id: U256) -> Result<Receipt> {
        self.send(self.addresses.court, &CourtContract::executeRulingCall { disputeId: dispute_id }).await
    }

    /// Settles up to `count` jurors of `round`.
    pub async fn execute_rewards(&self, dispute_id: U256, round: u64, count: u64) -> Result<Receipt> {
        self.send(
            self.addresses.court,
            &CourtContract::executeRewardsCall {
                disputeId: dispute_id,
                round: U256::from(round),
                count: U256::from(count),
            },
        )
        .await
    }

    /// Withdraws the sender's credited fees and tokens.
    pub async fn withdraw(&self) -> Result<Receipt> {
        self.send(self.addresses.court, &CourtContract::withdrawCall {}).await
    }

    /// What `account` may withdraw: (payment tokens, network tokens).
    pub async fn withdrawable(&self, account: Address) -> Result<(U256, U256)> {
        let r = self.client.call_sol(self.addresses.court, &CourtContract::withdrawableOfCall { account }).await?;
        Ok((r.fees, r.tokens))
    }

    /// The dispute.
    pub async fn dispute(&self, dispute_id: U256) -> Result<DisputeInfo> {
        let r =
            self.client.call_sol(self.addresses.court, &CourtContract::disputeOfCall { disputeId: dispute_id }).await?;
        Ok(DisputeInfo {
            arbitrable: r.arbitrable,
            period: Period::from_u8(r.period),
            ruled: r.ruled,
            last_period_change: r.lastPeriodChange,
            rounds: r.rounds.saturating_to(),
            choices: r.choices,
            ruling: r.ruling,
        })
    }

    /// Round `round` of the dispute.
    pub async fn round(&self, dispute_id: U256, round: u64) -> Result<RoundInfo> {
        let r = self
            .client
            .call_sol(
                self.addresses.court,
                &CourtContract::roundOfCall { disputeId: dispute_id, round: U256::from(round) },
            )
            .await?;
        Ok(RoundInfo {
            beacon_round: r.beaconRound.saturating_to(),
            votes: r.votes.saturating_to(),
            drawn: r.drawn.saturating_to(),
            commits: r.commits.saturating_to(),
            reveals: r.reveals.saturating_to(),
            fees: r.fees,
            lock_per_draw: r.lockPerDraw,
            jurors: r.jurors,
        })
    }

    /// `juror`'s vote in `round`.
    pub async fn vote(&self, dispute_id: U256, round: u64, juror: Address) -> Result<VoteInfo> {
        let r = self
            .client
            .call_sol(
                self.addresses.court,
                &CourtContract::voteOfCall { disputeId: dispute_id, round: U256::from(round), juror },
            )
            .await?;
        Ok(VoteInfo {
            draws: r.draws.saturating_to(),
            commitment: r.commitment,
            revealed: r.revealed,
            choice: r.choice,
        })
    }

    /// Round `round`'s appeal funding and reward state.
    pub async fn appeal(&self, dispute_id: U256, round: u64) -> Result<AppealInfo> {
        let r = self
            .client
            .call_sol(
                self.addresses.court,
                &CourtContract::appealOfCall { disputeId: dispute_id, round: U256::from(round) },
            )
            .await?;
        Ok(AppealInfo {
            cost: r.cost,
            funded_sides: r.fundedSides.saturating_to(),
            total_funded: r.totalFunded,
            appealed: r.appealed,
            rewards_done: r.rewardsDone,
        })
    }

    /// Revealed votes for `choice` in `round` (weighted by draws).
    pub async fn votes_for(&self, dispute_id: U256, round: u64, choice: u64) -> Result<U256> {
        Ok(self
            .client
            .call_sol(
                self.addresses.court,
                &CourtContract::votesForCall {
                    disputeId: dispute_id,
                    round: U256::from(round),
                    choice: U256::from(choice),
                },
            )
            .await?)
    }

    /// What [`Court::withdraw_appeal_contribution`] would pay `contributor` for `choice` in `round` once the dispute
    /// is in execution.
    pub async fn appeal_refund(&self, dispute_id: U256, round: u64, choice: u64, contributor: Address) -> Result<U256> {
        Ok(self
            .client
            .call_sol(
                self.addresses.court,
                &CourtContract::appealRefundOfCall {
                    disputeId: dispute_id,
                    round: U256::from(round),
                    choice: U256::from(choice),
                    contributor,
                },
            )
            .await?)
    }

    /// The ruling as it stands and whether it was delivered.
    pub async fn current_ruling(&self, dispute_id: U256) -> Result<(U256, bool)> {
        let r = self
            .client
            .call_sol(self.addresses.court, &CourtContract::currentRulingCall { disputeId: dispute_id })
            .await?;
        Ok((r.ruling, r.isFinal))
    }

    /// The court's parameters.
    pub async fn parameters(&self) -> Result<CourtParameters> {
        Ok(self.client.call_sol(self.addresses.court, &CourtContract::parametersCall {}).await?)
    }

    /// Changes the court's parameters (DEFAULT_ADMIN_ROLE).
    pub async fn set_parameters(&self, params: CourtParameters) -> Result<Receipt> {
        self.send(self.addresses.court, &CourtContract::setParametersCall { params }).await
    }
}
