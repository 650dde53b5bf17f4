//! The privacy part of `automat demo`: a machine that sells an age-restricted item and is geo-fenced (it may not
//! sell to four sanctioned jurisdictions), a compliance issuer, and two buyers.
//!
//! Buyer A (jurisdiction 276, born 1990) deposits into the ShieldedPool, proves locally that their credential
//! is neither blocked nor too young for the item and that one of their notes is in the pool, and a relayer
//! submits the payment: the order is placed for a fresh address, dispensed by the machine's agent, and the
//! receipt goes to that fresh address: the chain shows the relayer, the pool and the fresh address, never the
//! depositor. Buyer B (jurisdiction 408) is refused before anything is sent (A5: regulatory block), and B's
//! attempt to buy publicly without a disclosure proof is refused by the Storefront: nothing charged either way.
//!
//! The Groth16 keys are the devnet's seeded keys, announced as insecure (`automat zk setup` makes real ones).

use std::path::Path;
use std::time::Instant;

use alloy_primitives::U256;
use automat_agent::{Agent, AgentConfig, Behaviour as MachineBehaviour, SimulatedMachine, VendOdds};
use automat_chain::{ChainClient, DEFAULT_MNEMONIC, signer_from_mnemonic};
use automat_contracts::privacy::{Privacy, PrivacyConfig, deploy_privacy};
use automat_contracts::vending::{OrderStatus, Slot, SuiteConfig, Vending, deploy_suite};
use automat_devnet::Devnet;
use automat_privacy::issuer::{CredentialIssuer, Holder};
use automat_privacy::keys::ZkKeys;
use automat_privacy::wallet::{PrivatePurchase, ShieldedWallet};
use automat_privacy::{PrivacyError, revert_name};
use automat_zk::rand::{SeedableRng, rngs::StdRng};
use indicatif::ProgressBar;
use serde::Serialize;

use crate::{Result, SimError};

const ADMIN: usize = 0;
const OPERATOR: usize = 1;
const BUYER_A: usize = 3;
const BUYER_B: usize = 4;
const ISSUER: usize = 5;
const SUBMITTER: usize = 8;
const RELAYER: usize = 9;
/// The sanctioned jurisdictions the demo machine may not sell to (ISO 3166-1 numeric: KP, IR, CU, SY).
pub const BLOCKED: [u16; 4] = [408, 364, 192, 760];
/// The age-restricted item and its minimum age.
const RESTRICTED_ITEM: u64 = 18;
const MINIMUM_AGE: u8 = 18;
const PRICE: u128 = 3_500_000;
const DEPOSIT: u128 = 20_000_000;
const RELAYER_FEE: u128 = 100_000;

/// Figures of the privacy part.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PrivacyReport {
    /// Orders paid from the shielded pool and dispensed.
    pub private_orders: u64,
    /// Buyers refused because their jurisdiction is blocked (nothing charged).
    pub geofenced_refusals: u64,
    /// The pool's notes together after the run (deposit − payment − fee).
    pub pool_locked_after: u128,
    /// Wall time of the spend proof, in milliseconds.
    pub prove_ms_spend: u64,
    /// Wall time of the disclosure proof, in milliseconds.
    pub prove_ms_disclosure: u64,
    /// Where the proving keys came from.
    pub keys: String,
    /// Receipt at the fresh address, nothing charged to the refused buyer, pool balance = its notes.
    pub invariants_hold: bool,
}

fn step(detail: impl ToString) -> SimError {
    SimError::Step { step: "privacy", detail: detail.to_string() }
}

/// The devnet's seeded keys, made on a thread of their own so the setup (about a second of CPU) overlaps the
/// parts of the demo that run before the privacy part; [`run`] takes the handle.
pub fn prepare_keys() -> std::thread::JoinHandle<automat_privacy::Result<ZkKeys>> {
    std::thread::spawn(ZkKeys::devnet_seeded)
}

/// Runs the privacy part on the first chain of `devnet`, the machine's journal under `root`, with the keys
/// from [`prepare_keys`].
pub async fn run(
    devnet: &Devnet,
    root: &Path,
    progress: &ProgressBar,
    keys: std::thread::JoinHandle<automat_privacy::Result<ZkKeys>>,
) -> Result<PrivacyReport> {
    progress.set_prefix("privacy");
    progress.set_message("proving keys (devnet, seeded: insecure)");
    let keys = keys.join().map_err(|_| step("the key setup thread panicked"))?.map_err(step)?;
    let chain = devnet.chain_ids()[0];
    let admin = devnet.dev_client(chain, ADMIN)?;
    let suite = deploy_suite(&admin, &SuiteConfig::new(admin.sender())).await?;
    let addresses = deploy_privacy(
        &admin,
        &suite,
        &keys.spend_verifier_words().map_err(step)?,
        &keys.disclosure_verifier_words().map_err(step)?,
        PrivacyConfig::default(),
    )
    .await?;
    let vending = Vending::new(admin.clone(), suite);
    let privacy = Privacy::new(admin.clone(), suite, addresses);
    progress.inc(1);

    // The machine: an age-restricted item, geo-fenced by its operator.
    progress.set_message("machine, rules, credentials");
    let operator = vending.with_client(devnet.dev_client(chain, OPERATOR)?);
    vending.mint(operator.client().sender(), U256::from(1_000_000_000u64)).await?;
    operator.register_operator(U256::from(100_000_000u64)).await?;
    let key = signer_from_mnemonic(DEFAULT_MNEMONIC, 3_200)?;
    let slots = vec![Slot { itemId: RESTRICTED_ITEM, stock: 10, minPrice: 1_000_000, maxPrice: 5_000_000 }];
    let machine = operator.register_machine(key.address(), "u33dc0", "DE", slots, 20_000_000).await?;
    let sim = SimulatedMachine::new([(0, 10)], MachineBehaviour::Random { odds: VendOdds::RELIABLE, seed: 11 });
    let mut agent = Agent::open(
        devnet.dev_client(chain, SUBMITTER)?,
        sim,
        key,
        AgentConfig::new(machine, suite, root.join("privacy").join("machine")),
    )?;
    privacy.with_client(operator.client().clone()).set_blocked_jurisdictions(machine, BLOCKED.to_vec()).await?;
    privacy.grant_compliance_role(privacy.compliance_role().await?, admin.sender()).await?;
    privacy.set_minimum_age(RESTRICTED_ITEM, MINIMUM_AGE).await?;

    // The issuer checks two buyers' documents and publishes its tree's root.
    let issuer_client = devnet.dev_client(chain, ISSUER)?;
    privacy.grant_compliance_role(privacy.issuer_role().await?, issuer_client.sender()).await?;
    let mut rng = StdRng::seed_from_u64(0x5eed_0006);
    let mut issuer = CredentialIssuer::new().map_err(step)?;
    let mut alice = Holder::random(&mut rng);
    let mut bob = Holder::random(&mut rng);
    let issued_a = issuer.issue(alice.commitment(), 276, 19900517).map_err(step)?;
    let issued_b = issuer.issue(bob.commitment(), 408, 19850101).map_err(step)?;
    issuer.publish(&privacy.with_client(issuer_client)).await.map_err(step)?;
    // Both paths were taken before the second leaf changed the root: the holders get paths under the final one.
    alice.receive(issuer.reissue(&issued_a).map_err(step)?);
    bob.receive(issuer.reissue(&issued_b).map_err(step)?);
    progress.inc(1);

    // Buyer A deposits, then pays privately through the relayer, to a fresh address.
    progress.set_message("private purchase: deposit, disclosure and spend proofs, relayer");
    let buyer_a = vending.with_client(devnet.dev_client(chain, BUYER_A)?);
    vending.mint(buyer_a.client().sender(), U256::from(DEPOSIT)).await?;
    let mut wallet = ShieldedWallet::new().map_err(step)?;
    wallet.deposit(&privacy.with_client(buyer_a.client().clone()), DEPOSIT, &mut rng).await.map_err(step)?;
    let fresh = signer_from_mnemonic(DEFAULT_MNEMONIC, 7_000)?.address();
    let quote = agent.quote(0, PRICE).await?;
    let deadline = admin.block_timestamp().await? + 600;
    let binding = privacy.order_binding(fresh, &quote.quote, deadline).await?;
    let started = Instant::now();
    let disclosure =
        alice.disclose(&privacy, &keys.disclosure, machine, RESTRICTED_ITEM, binding, &mut rng).await.map_err(step)?;
    let prove_ms_disclosure = elapsed_ms(started);
    let relayer = privacy.with_client(devnet.dev_client(chain, RELAYER)?);
    let purchase =
        PrivatePurchase { quote: quote.quote, quote_signature: quote.signature, deadline, buyer: fresh, disclosure };
    let mut prove_ms_spend = 0;
    let mut proving_started = None;
    let paid = wallet
        .pay(&relayer, &keys.spend, &purchase, RELAYER_FEE, &mut rng, |stage| match stage {
            automat_privacy::wallet::PayStage::ProvingSpend => proving_started = Some(Instant::now()),
            automat_privacy::wallet::PayStage::Submitting => {
                prove_ms_spend = proving_started.map_or(0, elapsed_ms);
            }
            _ => {}
        })
        .await
        .map_err(step)?;
    agent.poll().await?;
    let order = vending.order(paid.order_id).await?;
    let dispensed = OrderStatus::from(order.status) == OrderStatus::Dispensed;
    let receipt_owner = vending.receipt_owner(paid.order_id).await?;
    let mut report = PrivacyReport {
        private_orders: u64::from(dispensed),
        prove_ms_spend,
        prove_ms_disclosure,
        keys: keys.origin().to_string(),
        invariants_hold: dispensed && order.buyer == fresh && receipt_owner == fresh,
        ..PrivacyReport::default()
    };
    report.invariants_hold &= paid.receipt.from == relayer.client().sender();
    progress.inc(1);

    // Buyer B: blocked jurisdiction. The wallet refuses before sending anything; a public order without a
    // disclosure proof is refused by the Storefront. B's balance does not move.
    progress.set_message("geo-fenced buyer refused");
    let buyer_b = vending.with_client(devnet.dev_client(chain, BUYER_B)?);
    vending.mint(buyer_b.client().sender(), U256::from(DEPOSIT)).await?;
    let before = buyer_b.token_balance(buyer_b.client().sender()).await?;
    let orders_before = vending.order_count().await?;
    let quote = agent.quote(0, PRICE).await?;
    let deadline = admin.block_timestamp().await? + 600;
    let binding = privacy.order_binding(buyer_b.client().sender(), &quote.quote, deadline).await?;
    let refused = matches!(
        bob.disclose(&privacy, &keys.disclosure, machine, RESTRICTED_ITEM, binding, &mut rng).await,
        Err(PrivacyError::RegulatoryBlock { jurisdiction: 408, .. })
    );
    let public_attempt = buyer_b.place_order(&quote.quote, quote.signature, PRICE, deadline, true).await;
    let public_refused = matches!(&public_attempt, Err(e) if revert_name(e).as_deref() == Some("DisclosureRequired"));
    let after = buyer_b.token_balance(buyer_b.client().sender()).await?;
    report.geofenced_refusals = u64::from(refused && public_refused);
    report.invariants_hold &=
        refused && public_refused && before == after && vending.order_count().await? == orders_before;

    report.pool_locked_after = u128::try_from(privacy.total_locked().await?).map_err(step)?;
    let pool_balance = vending.token_balance(addresses.pool).await?;
    report.invariants_hold &= report.pool_locked_after == DEPOSIT - PRICE - RELAYER_FEE
        && pool_balance == U256::from(report.pool_locked_after);
    progress.inc(1);
    Ok(report)
}

fn elapsed_ms(started: Instant) -> u64 {
    u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX)
}
