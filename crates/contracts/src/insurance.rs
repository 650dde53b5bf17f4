//! Insured purchases on chain: typed bindings of the `InsurancePool` (an ERC-4626 vault of underwriters' capital
//! that sells cover with Storefront orders and pays claims the court upholds), its deployment next to a vending
//! suite and a court, and [`Insurance`], a typed handle for buyers, underwriters and claimants.
//!
//! Amounts are payment-token base units (6 decimals); pool shares have 12 decimals (the vault's decimals offset
//! of 6 against the inflation attack).

use alloy_primitives::{Address, B256, U256};
use alloy_sol_types::SolConstructor;
use automat_chain::{ChainClient, ChainClientExt, Receipt};

use crate::register_all_errors;
use crate::vending::{
    MachineRegistry, PaymentToken, Quote, ReceiptNFT, Storefront, SuiteAddresses, VendingError, deploy_code,
};

pub use crate::vending::Result;

#[allow(missing_docs, clippy::too_many_arguments)]
mod bindings {
    use alloy_sol_types::sol;

    sol!(
        #[derive(Debug, PartialEq, Eq)]
        InsurancePool,
        "../../contracts/out/insurance/InsurancePool.sol/InsurancePool.json"
    );

    sol!(
        #[derive(Debug, PartialEq, Eq)]
        IArbitrator,
        "../../contracts/out/court/IArbitrator.sol/IArbitrator.json"
    );
}

pub use bindings::InsurancePool::{Claim, Iou, Params, Policy, WithdrawalRequest};
pub use bindings::{IArbitrator, InsurancePool};

/// `InsurancePool.RULING_PAY`: the court upheld the claim.
pub const RULING_PAY: u64 = 1;
/// `InsurancePool.RULING_REJECT`: the court rejected the claim (a tie, ruling 0, rejects as well).
pub const RULING_REJECT: u64 = 2;

/// `InsurancePool.PolicyStatus` as Rust sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PolicyStatus {
    /// No policy.
    None,
    /// Cover in force (claimable once dispensed, within the claim window).
    Active,
    /// A claim was filed.
    Claimed,
    /// The order was refunded; the premium went back.
    Cancelled,
}

impl From<u8> for PolicyStatus {
    fn from(v: u8) -> Self {
        match v {
            1 => Self::Active,
            2 => Self::Claimed,
            3 => Self::Cancelled,
            _ => Self::None,
        }
    }
}

/// `InsurancePool.ClaimStatus` as Rust sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ClaimStatus {
    /// No claim.
    None,
    /// Waiting for the court.
    Pending,
    /// Upheld and paid (maybe partly now, the rest as an IOU).
    Paid,
    /// Rejected.
    Rejected,
}

impl From<u8> for ClaimStatus {
    fn from(v: u8) -> Self {
        match v {
            1 => Self::Pending,
            2 => Self::Paid,
            3 => Self::Rejected,
            _ => Self::None,
        }
    }
}

/// Parameters of a pool deployment (see `InsurancePool.Params`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InsuranceConfig {
    /// The pool's parameters.
    pub params: Params,
}

impl Default for InsuranceConfig {
    /// 2× leverage, required capital 25 % of active cover and at least 20 tokens, 5 % a year base rate, 20 %
    /// loading on risk, up to +100 % at full utilisation, 2 % default risk, 50 reputation points per paid claim,
    /// 7-day claim window, 3-day withdrawal cooldown.
    fn default() -> Self {
        Self {
            params: Params {
                capacityBps: 20_000,
                minCapitalRatioBps: 2_500,
                baseRateBps: 500,
                loadingBps: 2_000,
                utilizationSlopeBps: 10_000,
                defaultRiskBps: 200,
                reputationPenalty: 50,
                claimWindow: 7 * 86_400,
                withdrawCooldown: 3 * 86_400,
                minCapital: 20_000_000,
            },
        }
    }
}

/// Deploys an `InsurancePool` over `suite`'s payment token with `arbitrator` (a court) deciding claims, sets it on
/// the Storefront and grants it the registry's `REPUTATION_ROLE` and the receipts' `METADATA_ROLE`. `client`'s
/// sender must administer the suite; it becomes the pool's governance.
pub async fn deploy_insurance<C: ChainClient>(
    client: &C,
    suite: &SuiteAddresses,
    arbitrator: Address,
    config: &InsuranceConfig,
) -> Result<Address> {
    register_all_errors(client)?;
    let pool = deploy_code(
        client,
        "InsurancePool",
        &InsurancePool::BYTECODE,
        InsurancePool::constructorCall {
            asset_: suite.token,
            storefront_: suite.storefront,
            arbitrator_: arbitrator,
            registry_: suite.registry,
            receipts_: suite.receipts,
            admin: client.sender(),
            params_: config.params.clone(),
        }
        .abi_encode(),
    )
    .await?;
    let reputation_role = client.call_sol(suite.registry, &MachineRegistry::REPUTATION_ROLECall {}).await?;
    client.send_sol(suite.registry, &MachineRegistry::grantRoleCall { role: reputation_role, account: pool }).await?;
    let metadata_role = client.call_sol(suite.receipts, &ReceiptNFT::METADATA_ROLECall {}).await?;
    client.send_sol(suite.receipts, &ReceiptNFT::grantRoleCall { role: metadata_role, account: pool }).await?;
    client.send_sol(suite.storefront, &Storefront::setInsuranceCall { insurance_: pool }).await?;
    Ok(pool)
}

/// An insured order, as `placeInsuredOrder` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InsuredOrder {
    /// The order (and policy) id.
    pub order_id: U256,
    /// The premium paid.
    pub premium: u128,
    /// The transaction receipt.
    pub receipt: Receipt,
}

/// A filed claim, as `ClaimFiled` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FiledClaim {
    /// The claim id.
    pub claim_id: U256,
    /// The court's dispute id.
    pub dispute_id: U256,
    /// The amount claimed.
    pub amount: u128,
    /// The transaction receipt.
    pub receipt: Receipt,
}

/// The pool's books at one block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct PoolState {
    /// Payment tokens held.
    pub balance: U256,
    /// Capital net of pending claims, IOUs and unearned premiums (ERC-4626 `totalAssets`).
    pub total_assets: U256,
    /// Shares outstanding.
    pub total_supply: U256,
    /// Cover in force.
    pub active_cover: U256,
    /// Amount claimed by claims awaiting their ruling.
    pub pending_claims: U256,
    /// Unpaid remainders of approved claims.
    pub iou_outstanding: U256,
    /// Premiums of policies whose order is not dispensed yet (owed back on a refund, never spent).
    pub unearned_premiums: U256,
    /// Capital below which new cover pauses.
    pub required_capital: U256,
    /// Whether new cover is paused.
    pub cover_paused: bool,
    /// Whether the balance fails to cover pending claims and IOUs.
    pub insolvent: bool,
    /// Times new cover paused.
    pub pause_episodes: u64,
    /// Claims paid pro rata.
    pub pro_rata_payouts: u64,
}

/// A typed handle on an insurance pool next to a vending suite, acting as `client`'s sender.
#[derive(Debug, Clone)]
pub struct Insurance<C> {
    client: C,
    suite: SuiteAddresses,
    pool: Address,
}

impl<C: ChainClient> Insurance<C> {
    /// A handle on `pool` next to `suite` through `client`.
    pub fn new(client: C, suite: SuiteAddresses, pool: Address) -> Self {
        Self { client, suite, pool }
    }

    /// The client.
    pub fn client(&self) -> &C {
        &self.client
    }

    /// The pool's address.
    pub fn pool(&self) -> Address {
        self.pool
    }

    /// The suite's addresses.
    pub fn suite(&self) -> &SuiteAddresses {
        &self.suite
    }

    /// The same pool through another client (another sender).
    pub fn with_client<D: ChainClient>(&self, client: D) -> Insurance<D> {
        Insurance { client, suite: self.suite, pool: self.pool }
    }

    async fn approve(&self, spender: Address, amount: U256) -> Result<Receipt> {
        Ok(self.client.send_sol(self.suite.token, &PaymentToken::approveCall { spender, value: amount }).await?)
    }

    /// Deposits `assets` as an underwriter (approving first) and returns the shares minted.
    pub async fn deposit(&self, assets: u128) -> Result<U256> {
        self.approve(self.pool, U256::from(assets)).await?;
        let receipt = self
            .client
            .send_sol(
                self.pool,
                &InsurancePool::depositCall { assets: U256::from(assets), receiver: self.client.sender() },
            )
            .await?;
        receipt
            .events::<InsurancePool::Deposit>()
            .first()
            .map(|e| e.shares)
            .ok_or(VendingError::MissingEvent { event: "Deposit", tx: receipt.transaction_hash })
    }

    /// Asks to withdraw `shares` after the cooldown.
    pub async fn request_withdrawal(&self, shares: U256) -> Result<Receipt> {
        Ok(self.client.send_sol(self.pool, &InsurancePool::requestWithdrawalCall { shares }).await?)
    }

    /// Redeems `shares` of the sender's ripe request and returns the assets paid.
    pub async fn redeem(&self, shares: U256) -> Result<U256> {
        let me = self.client.sender();
        let receipt =
            self.client.send_sol(self.pool, &InsurancePool::redeemCall { shares, receiver: me, owner: me }).await?;
        receipt
            .events::<InsurancePool::Withdraw>()
            .first()
            .map(|e| e.assets)
            .ok_or(VendingError::MissingEvent { event: "Withdraw", tx: receipt.transaction_hash })
    }

    /// Adds emergency liquidity without minting shares (IOUs are paid first); approves first.
    pub async fn inject_liquidity(&self, amount: u128) -> Result<Receipt> {
        self.approve(self.pool, U256::from(amount)).await?;
        Ok(self.client.send_sol(self.pool, &InsurancePool::injectLiquidityCall { amount: U256::from(amount) }).await?)
    }

    /// The premium the pool would charge now for covering `cover` of an order with `deadline` at `machine_id`.
    pub async fn quote_premium(&self, machine_id: u64, cover: u128, deadline: u64) -> Result<u128> {
        Ok(self
            .client
            .call_sol(
                self.pool,
                &InsurancePool::quotePremiumCall { machineId: machine_id, cover, orderDeadline: deadline },
            )
            .await?)
    }

    /// Places an insured order (approving the Storefront for the price and the pool for `max_premium` first).
    pub async fn place_insured_order(
        &self,
        quote: &Quote,
        quote_signature: alloy_primitives::Bytes,
        max_price: u128,
        deadline: u64,
        max_premium: u128,
    ) -> Result<InsuredOrder> {
        self.approve(self.suite.storefront, U256::from(quote.price)).await?;
        self.approve(self.pool, U256::from(max_premium)).await?;
        let receipt = self
            .client
            .send_sol(
                self.suite.storefront,
                &Storefront::placeInsuredOrderCall {
                    quote: quote.clone(),
                    quoteSignature: quote_signature,
                    maxPrice: max_price,
                    deadline,
                    maxPremium: max_premium,
                },
            )
            .await?;
        let opened = receipt
            .events::<InsurancePool::PolicyOpened>()
            .into_iter()
            .next()
            .ok_or(VendingError::MissingEvent { event: "PolicyOpened", tx: receipt.transaction_hash })?;
        Ok(InsuredOrder { order_id: opened.orderId, premium: opened.premium, receipt })
    }

    /// The court's fee for one claim.
    pub async fn claim_fee(&self) -> Result<U256> {
        let arbitrator = self.client.call_sol(self.pool, &InsurancePool::arbitratorCall {}).await?;
        Ok(self
            .client
            .call_sol(arbitrator, &IArbitrator::arbitrationCostCall { extraData: Default::default() })
            .await?)
    }

    /// Files a claim on order `order_id` with the sha2-256 of the evidence file (approving the court's fee first).
    pub async fn file_claim(&self, order_id: U256, evidence_digest: B256) -> Result<FiledClaim> {
        let fee = self.claim_fee().await?;
        self.approve(self.pool, fee).await?;
        let receipt = self
            .client
            .send_sol(self.pool, &InsurancePool::fileClaimCall { orderId: order_id, evidenceDigest: evidence_digest })
            .await?;
        let filed = receipt
            .events::<InsurancePool::ClaimFiled>()
            .into_iter()
            .next()
            .ok_or(VendingError::MissingEvent { event: "ClaimFiled", tx: receipt.transaction_hash })?;
        Ok(FiledClaim { claim_id: filed.claimId, dispute_id: filed.disputeId, amount: filed.amount, receipt })
    }

    /// Sets a machine's risk score (governance).
    pub async fn set_machine_risk(&self, machine_id: u64, risk_bps: u16) -> Result<Receipt> {
        Ok(self
            .client
            .send_sol(self.pool, &InsurancePool::setMachineRiskCall { machineId: machine_id, riskBps: risk_bps })
            .await?)
    }

    /// Takes a machine's risk score from an oracle risk feed while fresh (governance).
    pub async fn set_risk_feed(
        &self,
        machine_id: u64,
        aggregator: Address,
        feed_id: B256,
        max_age: u32,
    ) -> Result<Receipt> {
        Ok(self
            .client
            .send_sol(
                self.pool,
                &InsurancePool::setRiskFeedCall { machineId: machine_id, aggregator, feedId: feed_id, maxAge: max_age },
            )
            .await?)
    }

    /// A machine's risk score in basis points.
    pub async fn risk_of(&self, machine_id: u64) -> Result<u16> {
        Ok(self.client.call_sol(self.pool, &InsurancePool::riskOfCall { machineId: machine_id }).await?)
    }

    /// The policy of order `order_id`.
    pub async fn policy(&self, order_id: U256) -> Result<Policy> {
        Ok(self.client.call_sol(self.pool, &InsurancePool::policyOfCall { orderId: order_id }).await?)
    }

    /// Claim `claim_id`.
    pub async fn claim(&self, claim_id: U256) -> Result<Claim> {
        Ok(self.client.call_sol(self.pool, &InsurancePool::claimOfCall { claimId: claim_id }).await?)
    }

    /// The claim filed on order `order_id` (zero: none).
    pub async fn claim_of_order(&self, order_id: U256) -> Result<U256> {
        Ok(self.client.call_sol(self.pool, &InsurancePool::claimOfOrderCall { orderId: order_id }).await?)
    }

    /// Unpaid IOUs, oldest first.
    pub async fn iou_queue(&self) -> Result<Vec<Iou>> {
        Ok(self.client.call_sol(self.pool, &InsurancePool::iouQueueCall {}).await?)
    }

    /// Paid claims recorded against `machine_id`.
    pub async fn incidents(&self, machine_id: u64) -> Result<u32> {
        Ok(self.client.call_sol(self.pool, &InsurancePool::incidentsOfCall { machineId: machine_id }).await?)
    }

    /// Pool shares of `who`.
    pub async fn shares_of(&self, who: Address) -> Result<U256> {
        Ok(self.client.call_sol(self.pool, &InsurancePool::balanceOfCall { account: who }).await?)
    }

    /// Shares `owner` could redeem now.
    pub async fn max_redeem(&self, owner: Address) -> Result<U256> {
        Ok(self.client.call_sol(self.pool, &InsurancePool::maxRedeemCall { owner }).await?)
    }

    /// The pool's books now.
    pub async fn state(&self) -> Result<PoolState> {
        let c = &self.client;
        let p = self.pool;
        Ok(PoolState {
            balance: c.call_sol(self.suite.token, &PaymentToken::balanceOfCall { account: p }).await?,
            total_assets: c.call_sol(p, &InsurancePool::totalAssetsCall {}).await?,
            total_supply: c.call_sol(p, &InsurancePool::totalSupplyCall {}).await?,
            active_cover: c.call_sol(p, &InsurancePool::activeCoverCall {}).await?,
            pending_claims: c.call_sol(p, &InsurancePool::pendingClaimsCall {}).await?,
            iou_outstanding: c.call_sol(p, &InsurancePool::iouOutstandingCall {}).await?,
            unearned_premiums: c.call_sol(p, &InsurancePool::unearnedPremiumsCall {}).await?,
            required_capital: c.call_sol(p, &InsurancePool::requiredCapitalCall {}).await?,
            cover_paused: c.call_sol(p, &InsurancePool::coverPausedCall {}).await?,
            insolvent: c.call_sol(p, &InsurancePool::insolventCall {}).await?,
            pause_episodes: c.call_sol(p, &InsurancePool::pauseEpisodesCall {}).await?,
            pro_rata_payouts: c.call_sol(p, &InsurancePool::proRataPayoutsCall {}).await?,
        })
    }

    /// The cover recorded on receipt `order_id`.
    pub async fn coverage(&self, order_id: U256) -> Result<ReceiptNFT::Coverage> {
        Ok(self.client.call_sol(self.suite.receipts, &ReceiptNFT::coverageOfCall { tokenId: order_id }).await?)
    }
}
