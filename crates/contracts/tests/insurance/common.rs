//! The insurance fixture: [`InsuranceFixture::new`] builds on the vending fixture ([`Fixture`]: admin = account 0,
//! operator 1 with machine 1, buyer 2, stranger 3), deploys a court over the payment token (small fees, as a
//! vending claim needs), stakes [`JURORS`] jurors (accounts 6–9), deploys the pool with [`params`] and has the
//! underwriter (account 5) deposit [`CAPITAL`].

use std::collections::BTreeSet;

use alloy_primitives::{Address, B256, U256, keccak256};
use automat_chain::{ChainClient, ChainClientExt, Receipt};
use automat_contracts::court::{AUTO, Court, CourtAddresses, CourtConfig, deploy_court};
use automat_contracts::insurance::{
    Insurance, InsuranceConfig, InsurancePool, InsuredOrder, Params, PoolState, deploy_insurance,
};
use automat_contracts::vending::{Outcome, Storefront};
use automat_devnet::EmbeddedClient;

pub(crate) use crate::vending_common::{
    AsChainError, Fixture, ORDER_WINDOW, USD, assert_revert, events_from, metadata_digest,
};

/// What the underwriter deposits.
pub(crate) const CAPITAL: u128 = 100 * USD;
/// The court's fee per juror vote (a claim on a snack must not cost more than the snack).
pub(crate) const FEE_PER_JUROR: u128 = USD / 10;
/// Jurors staked (accounts 6 to 9).
pub(crate) const JURORS: usize = 4;
/// What each juror stakes.
pub(crate) const JUROR_STAKE: u128 = 2_000 * AUTO;
/// Ruling that pays a claim.
pub(crate) const PAY: u64 = 1;
/// Ruling that rejects a claim.
pub(crate) const REJECT: u64 = 2;

/// The fixture pool's parameters: 2× leverage, required capital 25 % of active cover and at least 20 USD, 5 %
/// a year base rate, 20 % loading, +100 % at full utilisation, 2 % default risk, 7-day claim window, 3-day
/// cooldown.
pub(crate) fn params() -> Params {
    InsuranceConfig::default().params
}

/// The vending fixture with a court, jurors and a funded pool.
pub(crate) struct InsuranceFixture {
    pub(crate) v: Fixture,
    pub(crate) court: CourtAddresses,
    pub(crate) pool: Address,
    /// Account 5: deposits [`CAPITAL`].
    pub(crate) underwriter: EmbeddedClient,
    /// Accounts 6 to 9.
    pub(crate) jurors: Vec<EmbeddedClient>,
}

impl InsuranceFixture {
    /// The fixture with [`params`] and [`CAPITAL`] deposited.
    pub(crate) async fn new() -> Self {
        Self::with(params(), CAPITAL).await
    }

    /// The fixture with `params` and `capital` deposited (none when zero).
    pub(crate) async fn with(params: Params, capital: u128) -> Self {
        let v = Fixture::new().await;
        let mut config = CourtConfig::new(v.admin.sender(), v.suite.token);
        config.params.feePerJuror = U256::from(FEE_PER_JUROR);
        let court = deploy_court(&v.admin, &config).await.expect("court deploys");
        let pool =
            deploy_insurance(&v.admin, &v.suite, court.court, &InsuranceConfig { params }).await.expect("pool deploys");
        let underwriter = v.client(5);
        let jurors: Vec<_> = (6..6 + JURORS).map(|i| v.client(i)).collect();
        let fixture = Self { v, court, pool, underwriter, jurors };
        let admin_court = fixture.court_as(&fixture.v.admin);
        for juror in &fixture.jurors {
            admin_court.mint_network_token(juror.sender(), U256::from(JUROR_STAKE)).await.expect("mint AUTO");
            fixture.court_as(juror).stake(U256::from(JUROR_STAKE)).await.expect("juror stakes");
        }
        // The stranger keeps the court going: it contributes to the beacon, which takes a bond.
        admin_court.mint_network_token(fixture.v.stranger.sender(), U256::from(100 * AUTO)).await.expect("mint AUTO");
        fixture.v.mint(fixture.underwriter.sender(), 10 * CAPITAL).await;
        if capital > 0 {
            fixture.insurance(&fixture.underwriter).deposit(capital).await.expect("underwriter deposits");
        }
        fixture
    }

    /// The pool handle acting as `client`.
    pub(crate) fn insurance(&self, client: &EmbeddedClient) -> Insurance<EmbeddedClient> {
        Insurance::new(client.clone(), self.v.suite, self.pool)
    }

    /// The court handle acting as `client`.
    pub(crate) fn court_as(&self, client: &EmbeddedClient) -> Court<EmbeddedClient> {
        Court::new(client.clone(), self.court)
    }

    /// The pool's books.
    pub(crate) async fn state(&self) -> PoolState {
        self.insurance(&self.v.admin).state().await.expect("pool state")
    }

    /// Payment-token balance of `who`.
    pub(crate) async fn balance(&self, who: Address) -> u128 {
        self.v.balance(who).await.to::<u128>()
    }

    /// A deadline for an order placed in the next block.
    pub(crate) async fn deadline(&self) -> u64 {
        self.v.now().await + 1 + ORDER_WINDOW
    }

    /// `buyer` places an insured order for `slot` at `price` (quote nonce `nonce`) accepting any premium.
    pub(crate) async fn insured_by(
        &self,
        buyer: &EmbeddedClient,
        slot: u16,
        price: u128,
        nonce: u64,
    ) -> Result<InsuredOrder, automat_contracts::vending::VendingError> {
        let (quote, signature) = self.v.quote(slot, price, nonce).await;
        let deadline = self.deadline().await;
        self.insurance(buyer).place_insured_order(&quote, signature, price, deadline, price).await
    }

    /// The fixture's buyer places an insured order.
    pub(crate) async fn insured(&self, slot: u16, price: u128, nonce: u64) -> InsuredOrder {
        self.insured_by(&self.v.buyer, slot, price, nonce).await.expect("insured order placed")
    }

    /// The machine attests `outcome` for `order` (submitted by the stranger).
    pub(crate) async fn settle(&self, order: U256, outcome: Outcome) -> Receipt {
        let (attestation, signature) = self.v.attestation(order, outcome);
        self.v.attest(&self.v.stranger, &attestation, &signature).await.expect("attested")
    }

    /// An insured order by the buyer, dispensed, with a block mined after it (claims may follow).
    pub(crate) async fn dispensed(&self, slot: u16, price: u128, nonce: u64) -> InsuredOrder {
        let order = self.insured(slot, price, nonce).await;
        self.settle(order.order_id, Outcome::Dispensed).await;
        order
    }

    /// Mines a block at `timestamp` unless the chain is already there.
    pub(crate) async fn advance_to(&self, timestamp: u64) {
        if self.v.now().await < timestamp {
            self.v.mine_at(timestamp).await;
        }
    }

    /// Runs dispute `dispute` through one round of the court: a beacon contribution, the draw, every drawn
    /// juror voting `vote(juror)`, no appeal, and the ruling executed (which calls the pool). Returns the
    /// `executeRuling` receipt.
    pub(crate) async fn resolve(&self, dispute: U256, vote: impl Fn(Address) -> u64) -> Receipt {
        let keeper = self.court_as(&self.v.stranger);
        let info = keeper.dispute(dispute).await.expect("dispute");
        let round = info.current_round();
        // Disputes created together share a beacon round: contribute only while it has no randomness; a round
        // whose commit window passed unused has failed, and the draw moves the dispute to a later one.
        loop {
            let beacon_round = keeper.round(dispute, round).await.expect("round").beacon_round;
            if keeper.randomness_available(beacon_round).await.expect("availability") {
                break;
            }
            let (start, commit_end, reveal_end) = keeper.beacon_windows(beacon_round).await.expect("windows");
            if self.v.now().await + 1 < commit_end {
                let secret = keccak256(format!("beacon secret {dispute}/{round}/{beacon_round}"));
                self.advance_to(start).await;
                keeper.beacon_commit(beacon_round, secret).await.expect("beacon commit");
                self.advance_to(commit_end).await;
                keeper.beacon_reveal(beacon_round, secret).await.expect("beacon reveal");
                self.advance_to(reveal_end + 1).await;
            } else {
                self.advance_to(reveal_end + 1).await;
                let moved = keeper.draw(dispute, 64).await.expect("draw moves the beacon round");
                assert!(moved.moved_to.is_some(), "a failed beacon round is replaced");
            }
        }
        let params = keeper.parameters().await.expect("parameters");
        let drawn = keeper.draw(dispute, 64).await.expect("draw").drawn;
        assert!(!drawn.is_empty(), "jurors drawn");
        let drawn: BTreeSet<Address> = drawn.into_iter().collect();
        self.v.advance(params.evidencePeriod + 1).await;
        keeper.pass_period(dispute).await.expect("to commit");
        let by_address = |a: Address| self.jurors.iter().find(|j| j.sender() == a).expect("a fixture juror");
        for juror in &drawn {
            let salt = salt(*juror, dispute);
            self.court_as(by_address(*juror)).commit_vote(dispute, round, vote(*juror), salt).await.expect("commit");
        }
        self.v.advance(params.commitPeriod + 1).await;
        keeper.pass_period(dispute).await.expect("to reveal");
        for juror in &drawn {
            let salt = salt(*juror, dispute);
            self.court_as(by_address(*juror)).reveal_vote(dispute, vote(*juror), salt).await.expect("reveal");
        }
        self.v.advance(params.revealPeriod + 1).await;
        keeper.pass_period(dispute).await.expect("to appeal");
        self.v.advance(params.appealPeriod + 1).await;
        keeper.pass_period(dispute).await.expect("to execution");
        keeper.execute_ruling(dispute).await.expect("ruling executed")
    }

    /// Files a claim on `order` as the buyer and resolves it with every juror voting `ruling`.
    pub(crate) async fn claim_and_resolve(&self, order: U256, ruling: u64) -> (U256, Receipt) {
        let filed = self.insurance(&self.v.buyer).file_claim(order, evidence(order)).await.expect("claim filed");
        let receipt = self.resolve(filed.dispute_id, |_| ruling).await;
        (filed.claim_id, receipt)
    }
}

/// A juror's salt for a dispute.
pub(crate) fn salt(juror: Address, dispute: U256) -> B256 {
    keccak256(format!("salt {juror} {dispute}"))
}

/// The sha2-256 of an evidence file for `order` (what a claimant would publish by CID).
pub(crate) fn evidence(order: U256) -> B256 {
    metadata_digest(order + U256::from(1_000_000))
}

/// `InsurancePool.PolicyStatus` values.
pub(crate) mod policy {
    pub(crate) const ACTIVE: u8 = 1;
    pub(crate) const CLAIMED: u8 = 2;
    pub(crate) const CANCELLED: u8 = 3;
}

/// `ReceiptNFT.CoverageStatus` values.
pub(crate) mod coverage {
    pub(crate) const ACTIVE: u8 = 1;
    pub(crate) const CLAIMED: u8 = 2;
    pub(crate) const PAID: u8 = 3;
    pub(crate) const REJECTED: u8 = 4;
}

/// The `InsurancePool` events of `receipt`.
pub(crate) fn pool_events<E: alloy_sol_types::SolEvent>(receipt: &Receipt, pool: Address) -> Vec<E> {
    events_from::<E>(receipt, pool)
}

/// Premium the pool's formula gives (the test's own arithmetic, to check the contract's).
pub(crate) fn expected_premium(
    p: &Params,
    cover: u128,
    duration: u64,
    risk_bps: u16,
    cover_after: u128,
    capacity: u128,
) -> u128 {
    const BPS: u128 = 10_000;
    const YEAR: u128 = 365 * 86_400;
    let rate = u128::from(risk_bps) * (BPS + u128::from(p.loadingBps)) * YEAR
        + u128::from(p.baseRateBps) * BPS * u128::from(duration);
    let u = (cover_after * BPS).checked_div(capacity).map_or(BPS, |u| u.min(BPS));
    let multiplier = BPS + u128::from(p.utilizationSlopeBps) * u * u / (BPS * BPS);
    let num = U256::from(cover) * U256::from(rate) * U256::from(multiplier);
    let den = U256::from(BPS * BPS * BPS * YEAR);
    let premium = num.div_ceil(den).to::<u128>();
    premium.max(1)
}

/// `Storefront.isInsured`-style check through `insurerOf`.
pub(crate) async fn insurer_of(f: &InsuranceFixture, order: U256) -> Address {
    f.v.admin.call_sol(f.v.suite.storefront, &Storefront::insurerOfCall { orderId: order }).await.expect("insurerOf")
}

/// Reads the pool's `params`.
pub(crate) async fn read_params(f: &InsuranceFixture) -> Params {
    let r = f.v.admin.call_sol(f.pool, &InsurancePool::paramsCall {}).await.expect("params");
    Params {
        capacityBps: r.capacityBps,
        minCapitalRatioBps: r.minCapitalRatioBps,
        baseRateBps: r.baseRateBps,
        loadingBps: r.loadingBps,
        utilizationSlopeBps: r.utilizationSlopeBps,
        defaultRiskBps: r.defaultRiskBps,
        reputationPenalty: r.reputationPenalty,
        claimWindow: r.claimWindow,
        withdrawCooldown: r.withdrawCooldown,
        minCapital: r.minCapital,
    }
}
