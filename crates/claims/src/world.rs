//! A small insured-purchase world on any chain, for demos, benchmarks and tests: the vending suite with one
//! operator and its machine, a court over the payment token, an insurance pool with capital, jurors staked and
//! a keeper holding beacon bonds; and an insured purchase that the machine attests as dispensed (so a claim can
//! follow).

use alloy_primitives::{Address, B256, U256};
use alloy_signer_local::PrivateKeySigner;
use automat_chain::ChainClient;
use automat_contracts::{
    court::{AUTO, Court, CourtAddresses, CourtConfig, deploy_court},
    insurance::{Insurance, InsuranceConfig, deploy_insurance},
    vending::{Attestation, Outcome, Quote, Slot, SuiteAddresses, SuiteConfig, Vending, deploy_suite, sign_typed},
};
use automat_store::{content_cid, sha256_of};

use crate::Result;

/// One payment-token unit (6 decimals).
pub const USD: u128 = 1_000_000;

/// How the world is built.
#[derive(Debug, Clone)]
pub struct WorldConfig {
    /// The court's fee per juror vote (a claim on a snack must not cost more than the snack).
    pub fee_per_juror: u128,
    /// Length of every court period (evidence, commit, reveal, appeal), seconds.
    pub period: u64,
    /// The beacon's commit and reveal windows, seconds each.
    pub beacon_window: u64,
    /// What the underwriter deposits into the pool.
    pub capital: u128,
}

impl Default for WorldConfig {
    /// 0.1 USD per juror vote, the court's and beacon's default hour and ten minutes, 100 USD of capital.
    fn default() -> Self {
        Self { fee_per_juror: USD / 10, period: 3_600, beacon_window: 600, capital: 100 * USD }
    }
}

/// Addresses and keys of a deployed world.
#[derive(Debug, Clone)]
pub struct World {
    /// The vending suite.
    pub suite: SuiteAddresses,
    /// The court.
    pub court: CourtAddresses,
    /// The insurance pool.
    pub pool: Address,
    /// The machine's id.
    pub machine_id: u64,
    /// The machine's signing key (signs quotes and attestations, never sends).
    pub machine_key: PrivateKeySigner,
}

impl World {
    /// Deploys the world with `admin` (administers everything and mints), `operator` (registers the machine)
    /// and `underwriter` (deposits `config.capital`).
    pub async fn deploy<C: ChainClient + Clone>(
        admin: &C,
        operator: &C,
        underwriter: &C,
        config: &WorldConfig,
    ) -> Result<Self> {
        let suite = deploy_suite(admin, &SuiteConfig::new(admin.sender())).await?;
        let vending = Vending::new(admin.clone(), suite);
        vending.mint(operator.sender(), U256::from(500 * USD)).await?;
        let as_operator = vending.with_client(operator.clone());
        as_operator.register_operator(U256::from(200 * USD)).await?;
        let machine_key = PrivateKeySigner::from_bytes(&alloy_primitives::keccak256(
            format!("automat claims world machine {}", suite.storefront).as_bytes(),
        ))
        .map_err(|e| automat_chain::ChainError::Decode(format!("machine key: {e}")))?;
        let slots = vec![Slot { itemId: 101, stock: 50, minPrice: USD, maxPrice: 3 * USD }];
        let machine_id = as_operator.register_machine(machine_key.address(), "u33dc0cp", "DE", slots, 50 * USD).await?;

        let mut court_config = CourtConfig::new(admin.sender(), suite.token);
        court_config.params.feePerJuror = U256::from(config.fee_per_juror);
        court_config.params.evidencePeriod = config.period;
        court_config.params.commitPeriod = config.period;
        court_config.params.revealPeriod = config.period;
        court_config.params.appealPeriod = config.period;
        court_config.beacon_commit = config.beacon_window;
        court_config.beacon_reveal = config.beacon_window;
        let court = deploy_court(admin, &court_config).await?;
        let pool = deploy_insurance(admin, &suite, court.court, &InsuranceConfig::default()).await?;
        if config.capital > 0 {
            vending.mint(underwriter.sender(), U256::from(config.capital)).await?;
            Insurance::new(underwriter.clone(), suite, pool).deposit(config.capital).await?;
        }
        Ok(Self { suite, court, pool, machine_id, machine_key })
    }

    /// The court handle acting as `client`.
    pub fn court_as<C: ChainClient>(&self, client: C) -> Court<C> {
        Court::new(client, self.court)
    }

    /// The pool handle acting as `client`.
    pub fn insurance_as<C: ChainClient>(&self, client: C) -> Insurance<C> {
        Insurance::new(client, self.suite, self.pool)
    }

    /// `admin` mints `amount` payment tokens to `to`.
    pub async fn mint<C: ChainClient + Clone>(&self, admin: &C, to: Address, amount: u128) -> Result<()> {
        Vending::new(admin.clone(), self.suite).mint(to, U256::from(amount)).await?;
        Ok(())
    }

    /// `admin` mints `stake` network tokens to `juror`, which stakes them in the court.
    pub async fn enlist_juror<C: ChainClient + Clone>(&self, admin: &C, juror: &C, stake: U256) -> Result<()> {
        self.court_as(admin.clone()).mint_network_token(juror.sender(), stake).await?;
        self.court_as(juror.clone()).stake(stake).await?;
        Ok(())
    }

    /// `admin` mints `bonds` beacon bonds' worth of network tokens (1 AUTO each by default) to `keeper`.
    pub async fn fund_keeper<C: ChainClient + Clone>(&self, admin: &C, keeper: Address, bonds: u64) -> Result<()> {
        self.court_as(admin.clone()).mint_network_token(keeper, U256::from(bonds) * U256::from(AUTO)).await?;
        Ok(())
    }

    /// `buyer` buys from slot 0 at `price` with cover (quote nonce `nonce`, any premium up to the price) and
    /// `submitter` delivers the machine's attestation that it dispensed; returns the order id. The buyer needs
    /// `price` + premium in payment tokens.
    pub async fn insured_purchase<C: ChainClient + Clone>(
        &self,
        buyer: &C,
        submitter: &C,
        price: u128,
        nonce: u64,
    ) -> Result<U256> {
        let now = buyer.block_timestamp().await?;
        let quote = Quote { machineId: self.machine_id, slot: 0, price, expiry: now + 3_600, nonce };
        let domain = self.suite.domain();
        let signature = sign_typed(&self.machine_key, &domain, &quote)?;
        let order =
            self.insurance_as(buyer.clone()).place_insured_order(&quote, signature, price, now + 600, price).await?;
        let metadata = content_cid(format!("automat receipt {}", order.order_id).as_bytes())?;
        let digest = B256::from(sha256_of(&metadata)?);
        let attestation =
            Attestation { orderId: order.order_id, outcome: Outcome::Dispensed as u8, metadataDigest: digest };
        let signature = sign_typed(&self.machine_key, &domain, &attestation)?;
        Vending::new(submitter.clone(), self.suite).attest(&attestation, signature).await?;
        Ok(order.order_id)
    }
}
