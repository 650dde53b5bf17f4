//! `automat bench purchase`: what one purchase costs in gas against a plain token baseline, and how long it
//! takes end to end through the machine agent on the embedded chain.
//!
//! Everything runs on one fresh embedded devnet:
//!
//! 1. Setup: the vending suite ([`deploy_suite`]), an operator with two machines — machine A, driven by an
//!    [`Agent`] over a [`SimulatedMachine`] that always vends, and machine B, which no agent serves — and a
//!    funded buyer who approves the Storefront once for a large (finite) allowance.
//! 2. Background: the buyer places a few orders at machine B. They stay open while everything below runs,
//!    so the Storefront's escrow and token balance are never zero — the state of a storefront shared by
//!    many machines, and the one in which a single order's cost is representative.
//! 3. Baseline: a `TestToken` (OpenZeppelin ERC-20) transfer to an address that already holds a balance and
//!    a `TestNFT` (OpenZeppelin ERC-721) mint of a fresh token id to an address that already holds one.
//! 4. End to end, `purchases` times: the buyer asks the agent for a quote, places the order
//!    (`placeOrder`, no approval), and the agent polls until the order is `Dispensed` on chain. The agent
//!    polls once before the first purchase, as a running agent would have.
//! 5. `placeOrderWithPermit` orders at machine B, each with a fresh ERC-2612 permit.
//! 6. Time moves past the background orders' deadline and anyone refunds them (`refundExpired`).
//!
//! Gas is steady-state gas. The first transaction of each kind writes storage that was zero (the machine's
//! rate-limit bucket, the buyer's first receipt NFT, the fee recipient's first fee, the permit's allowance
//! slot...), which later ones only update, so every figure drops the first sample of its kind and reports
//! the median of the rest. What every purchase writes afresh (the order record, the quote nonce, the
//! receipt NFT's owner and metadata) stays in. `placeOrder` and `attest` come from the end-to-end
//! purchases themselves (the agent's own attestation transactions).

use std::{
    path::Path,
    time::{Duration, Instant},
};

use alloy_primitives::{Address, Bytes, U256};
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::SolConstructor;
use automat_agent::{
    Agent, AgentConfig, Behaviour, SimulatedMachine, VendOdds,
    outbox::{OrderStage, Settlement},
};
use automat_chain::{ChainClient, ChainClientExt, DevnetControl, Receipt};
use automat_contracts::{
    fixtures::{TestNFT, TestToken},
    vending::{
        OrderStatus, Outcome, PaymentToken, Permit, Quote, Slot, Storefront, SuiteAddresses, SuiteConfig, Vending,
        deploy_suite, sign_permit, sign_typed, token_domain,
    },
};
use automat_devnet::{Devnet, DevnetConfig, EmbeddedClient};
use serde::Serialize;

use crate::{BenchError, Result, chain::bar};

/// What to run.
#[derive(Clone, Debug)]
pub struct PurchaseBenchConfig {
    /// Purchases timed end to end (at least 2: the first is not steady state for gas).
    pub purchases: usize,
    /// Show a progress bar (on stderr).
    pub progress: bool,
}

impl Default for PurchaseBenchConfig {
    fn default() -> Self {
        Self { purchases: 50, progress: true }
    }
}

/// The figures `automat bench purchase --json` prints. Gas figures are steady state: the median of the
/// samples of their kind after the first (see the [module documentation](self)).
#[derive(Clone, Debug, Serialize)]
pub struct PurchaseBenchReport {
    /// Purchases timed end to end.
    pub purchases: usize,
    /// Gas of `placeOrder` (escrowing the price with an existing allowance).
    pub gas_order: u64,
    /// Gas of a `Dispensed` attestation (payout, fee, receipt NFT mint), as the agent submits it.
    pub gas_attest: u64,
    /// Gas of `refundExpired` after the deadline.
    pub gas_refund: u64,
    /// Gas of `placeOrderWithPermit` with a fresh ERC-2612 permit (no prior allowance).
    pub gas_place_order_with_permit: u64,
    /// `gas_baseline_transfer + gas_baseline_mint`.
    pub gas_baseline: u64,
    /// Gas of an OpenZeppelin ERC-20 transfer to an address that already holds a balance.
    pub gas_baseline_transfer: u64,
    /// Gas of an OpenZeppelin ERC-721 mint of a fresh id to an address that already holds a token.
    pub gas_baseline_mint: u64,
    /// `(gas_order + gas_attest) / gas_baseline`.
    pub ratio: f64,
    /// Gas of the machine's very first `placeOrder` (cold storage; not part of `gas_order`).
    pub gas_order_first: u64,
    /// Gas of the machine's very first `Dispensed` attestation (cold storage; not part of `gas_attest`).
    pub gas_attest_first: u64,
    /// Median milliseconds of one purchase end to end: quote, `placeOrder`, agent poll until `Dispensed`.
    pub e2e_ms_p50: f64,
    /// 90th percentile of the same.
    pub e2e_ms_p90: f64,
}

impl std::fmt::Display for PurchaseBenchReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "purchase benchmark: {} purchases end to end on the embedded chain", self.purchases)?;
        writeln!(
            f,
            "  placeOrder            {:>9} gas  (first order of the machine: {})",
            self.gas_order, self.gas_order_first
        )?;
        writeln!(
            f,
            "  attest (dispensed)    {:>9} gas  (first attestation of the machine: {})",
            self.gas_attest, self.gas_attest_first
        )?;
        writeln!(f, "  refundExpired         {:>9} gas", self.gas_refund)?;
        writeln!(f, "  placeOrderWithPermit  {:>9} gas", self.gas_place_order_with_permit)?;
        writeln!(
            f,
            "  baseline              {:>9} gas  (ERC-20 transfer {} + ERC-721 mint {})",
            self.gas_baseline, self.gas_baseline_transfer, self.gas_baseline_mint
        )?;
        writeln!(f, "  ratio                 {:>9.3}      ((placeOrder + attest) / baseline)", self.ratio)?;
        write!(f, "  end to end            {:>9.2} ms p50, {:.2} ms p90", self.e2e_ms_p50, self.e2e_ms_p90)
    }
}

/// One payment-token unit (6 decimals).
const USD: u128 = 1_000_000;
/// What every order pays.
const PRICE: u128 = 2 * USD;
/// Seconds between placing an agent-served order and its deadline.
const ORDER_WINDOW: u64 = 600;
/// Seconds between placing a background order and its deadline (outlives any end-to-end run).
const BACKGROUND_WINDOW: u64 = 20 * 3600;
/// Orders kept open at machine B (each refunded at the end: the refund samples).
const BACKGROUND_ORDERS: usize = 4;
/// `placeOrderWithPermit` samples.
const PERMIT_ORDERS: usize = 4;
/// Baseline transfer and mint samples.
const BASELINE_SAMPLES: usize = 5;
/// Polls the agent gets to dispense one order before the run is declared broken.
const MAX_POLLS: usize = 5;
/// The buyer's standing allowance for the Storefront: large, but not `type(uint256).max`, which OpenZeppelin
/// never decrements (that would leave the allowance update out of `gas_order`).
const ALLOWANCE: u128 = 1_000_000_000 * USD;

/// The median of the samples after the first (the first writes cold storage); the only sample if there is one.
fn steady(samples: &[u64]) -> Result<u64> {
    let rest = if samples.len() > 1 { &samples[1..] } else { samples };
    let mut rest = rest.to_vec();
    rest.sort_unstable();
    rest.get(rest.len() / 2).copied().ok_or_else(|| BenchError::Invalid("no gas samples".into()))
}

/// Nearest-rank percentile `p` (0–1] of `values` in milliseconds.
fn percentile_ms(sorted: &[Duration], p: f64) -> f64 {
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1].as_secs_f64() * 1e3
}

fn checked(receipt: Receipt, what: &str) -> Result<Receipt> {
    if receipt.status {
        Ok(receipt)
    } else {
        Err(BenchError::Invalid(format!("{what} {} failed", receipt.transaction_hash)))
    }
}

/// The suite with an operator, machines A and B, and a buyer holding funds and a standing allowance.
struct Setup {
    devnet: Devnet,
    suite: SuiteAddresses,
    admin: EmbeddedClient,
    buyer: Vending<EmbeddedClient>,
    buyer_key: PrivateKeySigner,
    machine_a: u64,
    key_a: PrivateKeySigner,
    machine_b: u64,
    key_b: PrivateKeySigner,
}

impl Setup {
    /// Machine A gets `stock` units in its one slot.
    async fn new(stock: u32) -> Result<Self> {
        let devnet = Devnet::start(DevnetConfig::with_chains(1))?;
        let chain_id = devnet.chain_ids()[0];
        let admin = devnet.dev_client(chain_id, 0)?;
        let operator_client = devnet.dev_client(chain_id, 1)?;
        let buyer_client = devnet.dev_client(chain_id, 2)?;
        let buyer_key = devnet.signers()[2].clone();

        let config = SuiteConfig::new(admin.sender());
        let suite = deploy_suite(&admin, &config).await?;
        let operator = Vending::new(operator_client, suite);
        let minter = Vending::new(admin.clone(), suite);
        minter.mint(operator.client().sender(), U256::from(1_000 * USD)).await?;
        minter.mint(buyer_client.sender(), U256::from(1_000_000 * USD)).await?;
        operator.register_operator(config.min_operator_stake).await?;

        let slot = |stock| Slot { itemId: 101, stock, minPrice: USD, maxPrice: 3 * USD };
        let key_a = PrivateKeySigner::random();
        let machine_a = operator.register_machine(key_a.address(), "u33dc0cp", "DE", vec![slot(stock)], 0).await?;
        let key_b = PrivateKeySigner::random();
        let background = (BACKGROUND_ORDERS + PERMIT_ORDERS) as u32;
        let machine_b = operator.register_machine(key_b.address(), "u33dc0cq", "DE", vec![slot(background)], 0).await?;

        let buyer = Vending::new(buyer_client, suite);
        buyer.approve(suite.storefront, U256::from(ALLOWANCE)).await?;
        Ok(Self { devnet, suite, admin, buyer, buyer_key, machine_a, key_a, machine_b, key_b })
    }

    /// A quote of machine B's for the bench price, signed by its key, with quote nonce `nonce`.
    async fn quote_b(&self, nonce: u64) -> Result<(Quote, Bytes)> {
        let now = self.admin.block_timestamp().await?;
        let quote = Quote { machineId: self.machine_b, slot: 0, price: PRICE, expiry: now + 300, nonce };
        let signature = sign_typed(&self.key_b, &self.suite.domain(), &quote)?;
        Ok((quote, signature))
    }

    /// Places `count` orders at machine B that stay open; returns their ids and deadline.
    async fn background_orders(&self, count: usize) -> Result<(Vec<U256>, u64)> {
        let mut ids = Vec::with_capacity(count);
        let mut deadline = 0;
        for nonce in 0..count as u64 {
            let (quote, signature) = self.quote_b(nonce).await?;
            deadline = self.admin.block_timestamp().await? + 1 + BACKGROUND_WINDOW;
            ids.push(self.buyer.place_order(&quote, signature, PRICE, deadline, false).await?.order_id);
        }
        Ok((ids, deadline))
    }

    /// `placeOrderWithPermit` at machine B, `count` times, each with a fresh permit for exactly the price;
    /// returns the gas of each.
    async fn permit_orders(&self, first_nonce: u64, count: usize) -> Result<Vec<u64>> {
        let token_domain =
            token_domain(&SuiteConfig::new(Address::ZERO).token_name, self.suite.chain_id, self.suite.token);
        let client = self.buyer.client();
        let owner = client.sender();
        let mut gas = Vec::with_capacity(count);
        for nonce in first_nonce..first_nonce + count as u64 {
            let (quote, quote_signature) = self.quote_b(nonce).await?;
            let now = client.block_timestamp().await?;
            let permit = Permit {
                owner,
                spender: self.suite.storefront,
                value: U256::from(PRICE),
                nonce: client.call_sol(self.suite.token, &PaymentToken::noncesCall { owner }).await?,
                deadline: U256::from(now + 3600),
            };
            let call = Storefront::placeOrderWithPermitCall {
                quote,
                quoteSignature: quote_signature,
                maxPrice: PRICE,
                deadline: now + 1 + ORDER_WINDOW,
                permit: sign_permit(&self.buyer_key, &token_domain, &permit)?,
            };
            let receipt = checked(client.send_sol(self.suite.storefront, &call).await?, "placeOrderWithPermit")?;
            if receipt.events::<Storefront::OrderPlaced>().len() != 1 {
                return Err(BenchError::Invalid("placeOrderWithPermit placed no order".into()));
            }
            // The Storefront ignores a failing permit when an allowance is in place: insist the permit's
            // allowance (exactly the price) is what paid.
            let left = client
                .call_sol(self.suite.token, &PaymentToken::allowanceCall { owner, spender: self.suite.storefront })
                .await?;
            if !left.is_zero() {
                return Err(BenchError::Invalid(format!("permit not used: allowance {left} left after the order")));
            }
            gas.push(receipt.gas_used);
        }
        Ok(gas)
    }

    /// The baseline: ERC-20 transfers and ERC-721 mints to warm holders; returns (transfer gas, mint gas).
    async fn baseline(&self) -> Result<(Vec<u64>, Vec<u64>)> {
        let holder = self.admin.sender();
        let mut init = TestToken::BYTECODE.to_vec();
        init.extend(
            TestToken::constructorCall {
                name_: "Baseline USD".into(),
                symbol_: "BUSD".into(),
                holder,
                supply: U256::from(10u64).pow(U256::from(30u64)),
            }
            .abi_encode(),
        );
        let token = self.admin.deploy(init.into()).await?.address;
        let mut init = TestNFT::BYTECODE.to_vec();
        init.extend(
            TestNFT::constructorCall { name_: "Baseline NFT".into(), symbol_: "BNFT".into(), owner_: holder }
                .abi_encode(),
        );
        let nft = self.admin.deploy(init.into()).await?.address;

        // The first of each gives the recipient its balance; `steady` drops it.
        let recipient = Address::repeat_byte(0xb1);
        let mut transfers = Vec::with_capacity(BASELINE_SAMPLES + 1);
        let mut mints = Vec::with_capacity(BASELINE_SAMPLES + 1);
        for i in 0..=BASELINE_SAMPLES as u64 {
            let call = TestToken::transferCall { to: recipient, value: U256::from(1_000_000 + i) };
            transfers.push(checked(self.admin.send_sol(token, &call).await?, "ERC-20 transfer")?.gas_used);
            let call = TestNFT::mintCall { to: recipient, tokenId: U256::from(1 + i) };
            mints.push(checked(self.admin.send_sol(nft, &call).await?, "ERC-721 mint")?.gas_used);
        }
        Ok((transfers, mints))
    }
}

/// Runs the purchase benchmark on a fresh embedded devnet, the agent's data in a temporary directory.
pub async fn run(config: &PurchaseBenchConfig) -> Result<PurchaseBenchReport> {
    let dir = tempfile::tempdir().map_err(|e| BenchError::Invalid(format!("temporary data directory: {e}")))?;
    run_in(config, dir.path()).await
}

/// [`run`] with the agent's outbox and blobs under `data_dir`.
pub async fn run_in(config: &PurchaseBenchConfig, data_dir: &Path) -> Result<PurchaseBenchReport> {
    if config.purchases < 2 {
        return Err(BenchError::Invalid("purchases must be at least 2 (the first is not steady state)".into()));
    }
    let stock = u32::try_from(config.purchases + 1).map_err(|_| BenchError::Invalid("too many purchases".into()))?;
    let setup = Setup::new(stock).await?;
    let (background, background_deadline) = setup.background_orders(BACKGROUND_ORDERS).await?;
    let (transfers, mints) = setup.baseline().await?;

    // The agent of machine A; it submits through its own funded account.
    let chain_id = setup.suite.chain_id;
    let driver = SimulatedMachine::new([(0, stock)], Behaviour::Random { odds: VendOdds::RELIABLE, seed: 0x6175_746f });
    let agent_config = AgentConfig::new(setup.machine_a, setup.suite, data_dir);
    let mut agent = Agent::open(setup.devnet.dev_client(chain_id, 3)?, driver, setup.key_a.clone(), agent_config)?;
    agent.poll().await?;

    let progress = bar(config.progress, config.purchases, "purchases");
    let mut latencies = Vec::with_capacity(config.purchases);
    let mut order_gas = Vec::with_capacity(config.purchases);
    for _ in 0..config.purchases {
        let start = Instant::now();
        let signed = agent.quote(0, PRICE).await?;
        let deadline = setup.buyer.client().block_timestamp().await? + 1 + ORDER_WINDOW;
        let placed = setup.buyer.place_order(&signed.quote, signed.signature, PRICE, deadline, false).await?;
        let mut polls = 0;
        loop {
            agent.poll().await?;
            polls += 1;
            if setup.buyer.order_status(placed.order_id).await? == OrderStatus::Dispensed {
                break;
            }
            if polls == MAX_POLLS {
                return Err(BenchError::Invalid(format!(
                    "order {} not dispensed after {MAX_POLLS} agent polls",
                    placed.order_id
                )));
            }
        }
        latencies.push(start.elapsed());
        order_gas.push(checked(placed.receipt, "placeOrder")?.gas_used);
        progress.inc(1);
    }
    progress.finish_and_clear();

    // The agent's attestations, in order.
    let mut attest_gas = Vec::with_capacity(config.purchases);
    for order in agent.outbox().orders()? {
        if let OrderStage::Settled { how: Settlement::Attested { outcome: Outcome::Dispensed, tx }, .. } = order.stage {
            let receipt = setup
                .admin
                .receipt(tx)
                .await?
                .ok_or_else(|| BenchError::Invalid(format!("no receipt for attestation {tx}")))?;
            attest_gas.push((order.order_id, checked(receipt, "attestation")?.gas_used));
        }
    }
    attest_gas.sort_unstable();
    let attest_gas: Vec<u64> = attest_gas.into_iter().map(|(_, gas)| gas).collect();
    if attest_gas.len() != config.purchases {
        return Err(BenchError::Invalid(format!(
            "{} dispensed attestations for {} purchases",
            attest_gas.len(),
            config.purchases
        )));
    }

    let permit_gas = setup.permit_orders(BACKGROUND_ORDERS as u64, PERMIT_ORDERS).await?;

    // Past the background orders' deadline: anyone may refund them (the permit orders stay open).
    let now = setup.admin.block_timestamp().await?;
    setup.admin.increase_time(background_deadline.saturating_sub(now) + 1).await?;
    setup.admin.mine(1).await?;
    let anyone = Vending::new(setup.devnet.dev_client(chain_id, 4)?, setup.suite);
    let mut refund_gas = Vec::with_capacity(background.len());
    for id in background {
        refund_gas.push(checked(anyone.refund_expired(id).await?, "refundExpired")?.gas_used);
        if anyone.order_status(id).await? != OrderStatus::Refunded {
            return Err(BenchError::Invalid(format!("order {id} not refunded")));
        }
    }

    let gas_order = steady(&order_gas)?;
    let gas_attest = steady(&attest_gas)?;
    let gas_baseline_transfer = steady(&transfers)?;
    let gas_baseline_mint = steady(&mints)?;
    let gas_baseline = gas_baseline_transfer + gas_baseline_mint;
    latencies.sort_unstable();
    Ok(PurchaseBenchReport {
        purchases: config.purchases,
        gas_order,
        gas_attest,
        gas_refund: steady(&refund_gas)?,
        gas_place_order_with_permit: steady(&permit_gas)?,
        gas_baseline,
        gas_baseline_transfer,
        gas_baseline_mint,
        ratio: (gas_order + gas_attest) as f64 / gas_baseline as f64,
        gas_order_first: order_gas[0],
        gas_attest_first: attest_gas[0],
        e2e_ms_p50: percentile_ms(&latencies, 0.5),
        e2e_ms_p90: percentile_ms(&latencies, 0.9),
    })
}
