//! `automat pay`: buy from a machine: a quote from its agent, then a public order (approve + placeOrder, or
//! placeOrderFor with a compliance disclosure), or with `--private` an order paid from the buyer's shielded
//! wallet for a fresh buyer address, proved locally and submitted by a relayer.

use std::path::PathBuf;

use alloy_primitives::{Address, Bytes, U256};
use alloy_signer_local::PrivateKeySigner;
use automat_agent::service::QuoteBody;
use automat_chain::{ChainClient, ChainClientExt};
use automat_chain_rpc::RpcClient;
use automat_contracts::{
    privacy::{ComplianceRegistry, Privacy, PrivacyAddresses, ShieldedPool},
    vending::{Quote, Storefront, SuiteAddresses, Vending},
};
use automat_privacy::{
    PrivacyError,
    issuer::Holder,
    keys::ZkKeys,
    wallet::{PayStage, PrivatePurchase, ShieldedWallet},
};
use automat_zk::rand::{SeedableRng, rngs::OsRng, rngs::StdRng};
use clap::Args;
use eyre::{Result, WrapErr, bail, eyre};
use indicatif::ProgressBar;
use serde::Serialize;

use crate::zk::{KeysArgs, key, spin, suite_of};

/// Arguments of `automat pay`.
#[derive(Debug, Args)]
pub(crate) struct PayArgs {
    /// JSON-RPC URL of the machine's chain.
    #[arg(long, env = "AUTOMAT_RPC_URL")]
    rpc_url: String,
    /// The Storefront the machine sells through.
    #[arg(long)]
    storefront: Address,
    /// The machine agent's HTTP interface (e.g. http://127.0.0.1:7878), asked for a signed quote.
    #[arg(long)]
    agent_url: String,
    /// The slot to buy from.
    #[arg(long)]
    slot: u16,
    /// The price to ask a quote for, in payment-token base units (inside the slot's price band).
    #[arg(long)]
    price: u128,
    /// Seconds from now by which the machine must dispense (after it the buyer can be refunded).
    #[arg(long, default_value_t = 600)]
    deadline_secs: u64,
    /// Credential file from `automat zk issue` (holder secret + credential), for machines or items that ask for
    /// a disclosure proof (blocked jurisdictions, minimum ages). Needs --keys or --devnet-keys.
    #[arg(long)]
    credential: Option<PathBuf>,
    /// The ComplianceRegistry (defaults to the one set on the Storefront).
    #[arg(long)]
    compliance: Option<Address>,
    /// Proving keys (for --private and for disclosures).
    #[command(flatten)]
    keys: KeysArgs,
    /// Pay from the shielded pool for a fresh buyer address, submitted by a relayer (AUTOMAT_RELAYER_KEY): the
    /// chain links the order to neither the depositor nor the payer's other orders.
    #[arg(long, requires = "pool", requires = "wallet")]
    private: bool,
    /// The ShieldedPool (with --private).
    #[arg(long, requires = "private")]
    pool: Option<Address>,
    /// The shielded wallet file (created if missing; mode 0600): notes, their secrets and the keys of the fresh
    /// buyer addresses (they collect receipts and refunds).
    #[arg(long, requires = "private")]
    wallet: Option<PathBuf>,
    /// Deposit this many base units from the buyer's key into the pool first (with --private). Without it, a
    /// wallet that holds no note covering price + fee deposits exactly that.
    #[arg(long, requires = "private")]
    deposit: Option<u128>,
    /// The relayer's fee in base units, paid from the note (with --private).
    #[arg(long, default_value_t = 0, requires = "private")]
    fee: u128,
    /// The buyer's key (pays publicly, or deposits into the pool); keep it in the environment.
    #[arg(long, env = "AUTOMAT_BUYER_KEY", hide_env_values = true)]
    buyer_key: String,
    /// The relayer's key: submits the private payment and takes the fee (with --private). Without it the buyer's
    /// key submits, which links the payment to the buyer.
    #[arg(long, env = "AUTOMAT_RELAYER_KEY", hide_env_values = true)]
    relayer_key: Option<String>,
}

#[derive(Debug, Serialize)]
struct PublicReport {
    order_id: String,
    buyer: Address,
    machine_id: u64,
    slot: u16,
    price: String,
    deadline: u64,
    disclosure: bool,
}

#[derive(Debug, Serialize)]
struct ChangeNote {
    amount: String,
    index: u32,
    commitment: String,
}

#[derive(Debug, Serialize)]
struct PrivateReport {
    order_id: String,
    buyer: Address,
    machine_id: u64,
    slot: u16,
    price: String,
    fee: String,
    deadline: u64,
    disclosure: bool,
    relayer: Address,
    change_note: ChangeNote,
    wallet: PathBuf,
    wallet_balance: String,
}

/// What `automat pay` works with on the chain.
struct Session {
    buyer: RpcClient,
    suite: SuiteAddresses,
    compliance: Address,
}

pub(crate) async fn run(args: PayArgs) -> Result<()> {
    let buyer_key = key(&args.buyer_key, "AUTOMAT_BUYER_KEY")?;
    if args.credential.is_some() && !args.keys.given() {
        bail!("--credential needs the disclosure keys: --keys DIR (from `automat zk setup`) or --devnet-keys");
    }
    if args.private && !args.keys.given() {
        bail!("--private needs the proving keys: --keys DIR (from `automat zk setup`) or --devnet-keys");
    }
    let holder = match &args.credential {
        Some(path) => Some(load_holder(path)?),
        None => None,
    };
    let buyer = RpcClient::connect(&args.rpc_url, buyer_key.clone())
        .await
        .wrap_err_with(|| format!("connecting to {}", args.rpc_url))?;
    automat_contracts::register_all_errors(&buyer)?;
    let suite = suite_of(&buyer, args.storefront).await?;
    let compliance = match args.compliance {
        Some(a) => a,
        None => buyer.call_sol(args.storefront, &Storefront::complianceCall {}).await?,
    };
    let session = Session { buyer, suite, compliance };
    if args.private { pay_private(&args, session, holder).await } else { pay_public(&args, session, holder).await }
}

fn load_holder(path: &PathBuf) -> Result<Holder> {
    let bytes = std::fs::read(path).wrap_err_with(|| format!("reading {}", path.display()))?;
    let value: serde_json::Value =
        serde_json::from_slice(&bytes).wrap_err_with(|| format!("{} is not JSON", path.display()))?;
    if value.get("secret").is_none() {
        bail!(
            "{} carries no holder secret (issued for a holder commitment): add \"secret\": \"<decimal>\" with the \
             secret behind the commitment",
            path.display()
        );
    }
    let holder: Holder =
        serde_json::from_value(value).wrap_err_with(|| format!("{} is not a credential file", path.display()))?;
    if holder.credential().is_none() {
        bail!("{} holds no credential", path.display());
    }
    Ok(holder)
}

/// A signed quote from the machine's agent.
async fn fetch_quote(agent_url: &str, slot: u16, price: u128) -> Result<(Quote, Bytes)> {
    let url = format!("{}/quote", agent_url.trim_end_matches('/'));
    let response = reqwest::Client::new()
        .post(&url)
        .json(&serde_json::json!({ "slot": slot, "price": price.to_string() }))
        .send()
        .await
        .wrap_err_with(|| format!("asking {url} for a quote"))?;
    let status = response.status();
    if !status.is_success() {
        let body = response.text().await.unwrap_or_default();
        let reason = serde_json::from_str::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| v.get("error").and_then(|e| e.as_str()).map(str::to_owned))
            .unwrap_or(body);
        bail!("the agent refused the quote ({status}): {reason}");
    }
    let body: QuoteBody = response.json().await.wrap_err("reading the agent's quote")?;
    let quote = Quote {
        machineId: body.machine_id,
        slot: body.slot,
        price: body.price.parse().map_err(|_| eyre!("the agent quoted a price of {:?}", body.price))?,
        expiry: body.expiry,
        nonce: body.nonce,
    };
    if quote.slot != slot || quote.price != price {
        bail!("the agent quoted slot {} at {} instead of slot {slot} at {price}", quote.slot, quote.price);
    }
    Ok((quote, Bytes::from(body.signature.to_vec())))
}

/// The Privacy handle over the registry (and the pool, when known) through `client`.
async fn privacy_handle(
    client: &RpcClient,
    suite: SuiteAddresses,
    compliance: Address,
    pool: Option<Address>,
) -> Result<Privacy<RpcClient>> {
    let disclosure_verifier = if compliance == Address::ZERO {
        Address::ZERO
    } else {
        client.call_sol(compliance, &ComplianceRegistry::verifierCall {}).await.wrap_err("reading the registry")?
    };
    let spend_verifier = match pool {
        Some(pool) => client.call_sol(pool, &ShieldedPool::verifierCall {}).await.wrap_err("reading the pool")?,
        None => Address::ZERO,
    };
    // Without --private there is no pool: the handle is then only used for the registry and order bindings.
    let addresses =
        PrivacyAddresses { spend_verifier, disclosure_verifier, pool: pool.unwrap_or(Address::ZERO), compliance };
    Ok(Privacy::new(client.clone(), suite, addresses))
}

/// The disclosure an order needs (empty when none), refusing before anything is sent when the buyer's
/// credential is blocked or too young (A5).
#[allow(clippy::too_many_arguments)]
async fn disclosure_for(
    privacy: &Privacy<RpcClient>,
    holder: Option<&Holder>,
    keys: Option<&ZkKeys>,
    quote: &Quote,
    item_id: u64,
    buyer: Address,
    deadline: u64,
    rng: &mut StdRng,
    spinner: &ProgressBar,
) -> Result<Bytes, PrivacyError> {
    if privacy.addresses().compliance == Address::ZERO || !privacy.requires_disclosure(quote.machineId, item_id).await?
    {
        return Ok(Bytes::new());
    }
    let (Some(holder), Some(keys)) = (holder, keys) else {
        return Err(PrivacyError::NoCredential { machine_id: quote.machineId });
    };
    let binding = privacy.order_binding(buyer, quote, deadline).await?;
    spinner.set_message("proving disclosure");
    holder.disclose(privacy, &keys.disclosure, quote.machineId, item_id, binding, rng).await
}

/// A5 gets its own wording: nothing was sent and nothing charged.
fn refusal(e: PrivacyError) -> eyre::Report {
    match e {
        PrivacyError::RegulatoryBlock { .. } | PrivacyError::TooYoung { .. } => {
            eyre!("purchase refused: {e}")
        }
        PrivacyError::NoCredential { .. } => {
            eyre!("{e}: pass --credential FILE (from `automat zk issue`) with --keys DIR or --devnet-keys")
        }
        e => eyre::Report::new(e),
    }
}

fn rng() -> Result<StdRng> {
    StdRng::from_rng(OsRng).map_err(|e| eyre!("OS randomness: {e}"))
}

async fn pay_public(args: &PayArgs, session: Session, holder: Option<Holder>) -> Result<()> {
    let Session { buyer, suite, compliance } = session;
    let vending = Vending::new(buyer.clone(), suite);
    let (quote, signature) = fetch_quote(&args.agent_url, args.slot, args.price).await?;
    let item_id = vending.slot(quote.machineId, quote.slot).await?.itemId;
    let deadline = buyer.block_timestamp().await? + args.deadline_secs;
    let privacy = privacy_handle(&buyer, suite, compliance, None).await?;
    let keys = match (&holder, args.keys.given()) {
        (Some(_), true) => Some(args.keys.load().await?),
        _ => None,
    };
    let mut rng = rng()?;
    let spinner = spin("checking the machine's compliance rules".to_string());
    let disclosure = disclosure_for(
        &privacy,
        holder.as_ref(),
        keys.as_ref(),
        &quote,
        item_id,
        buyer.sender(),
        deadline,
        &mut rng,
        &spinner,
    )
    .await;
    spinner.finish_and_clear();
    let disclosure = disclosure.map_err(refusal)?;
    let spinner = spin("approving and placing the order".to_string());
    let placed = if disclosure.is_empty() {
        vending.place_order(&quote, signature, quote.price, deadline, true).await.map(|p| p.order_id)
    } else {
        place_order_for(&vending, &quote, signature, deadline, disclosure.clone()).await
    };
    spinner.finish_and_clear();
    let order_id = placed.wrap_err("placing the order")?;
    eprintln!("automat pay: order {order_id} placed for {} (public)", buyer.sender());
    let report = PublicReport {
        order_id: order_id.to_string(),
        buyer: buyer.sender(),
        machine_id: quote.machineId,
        slot: quote.slot,
        price: quote.price.to_string(),
        deadline,
        disclosure: !disclosure.is_empty(),
    };
    println!("{}", serde_json::to_string_pretty(&report)?);
    Ok(())
}

/// approve + `placeOrderFor(sender, …, disclosure)`.
async fn place_order_for(
    vending: &Vending<RpcClient>,
    quote: &Quote,
    signature: Bytes,
    deadline: u64,
    disclosure: Bytes,
) -> automat_contracts::vending::Result<U256> {
    let storefront = vending.suite().storefront;
    vending.approve(storefront, U256::from(quote.price)).await?;
    let receipt = vending
        .client()
        .send_sol(
            storefront,
            &Storefront::placeOrderForCall {
                buyer: vending.client().sender(),
                quote: quote.clone(),
                quoteSignature: signature,
                maxPrice: quote.price,
                deadline,
                disclosure,
            },
        )
        .await?;
    receipt.events::<Storefront::OrderPlaced>().first().map(|e| e.orderId).ok_or(
        automat_contracts::vending::VendingError::MissingEvent { event: "OrderPlaced", tx: receipt.transaction_hash },
    )
}

/// The same purchase without --private, for when the private path fails.
fn public_command(args: &PayArgs) -> String {
    let mut command = format!(
        "automat pay --rpc-url {} --storefront {} --agent-url {} --slot {} --price {}",
        args.rpc_url, args.storefront, args.agent_url, args.slot, args.price
    );
    if args.deadline_secs != 600 {
        command.push_str(&format!(" --deadline-secs {}", args.deadline_secs));
    }
    if let Some(compliance) = args.compliance {
        command.push_str(&format!(" --compliance {compliance}"));
    }
    if let Some(credential) = &args.credential {
        command.push_str(&format!(" --credential {}", credential.display()));
        match &args.keys.keys {
            Some(dir) => command.push_str(&format!(" --keys {}", dir.display())),
            None => command.push_str(" --devnet-keys"),
        }
    }
    command
}

async fn pay_private(args: &PayArgs, session: Session, holder: Option<Holder>) -> Result<()> {
    let Session { buyer, suite, compliance } = session;
    let pool = args.pool.ok_or_else(|| eyre!("--private needs --pool"))?;
    let wallet_path = args.wallet.clone().ok_or_else(|| eyre!("--private needs --wallet"))?;
    let relayer_client = match &args.relayer_key {
        Some(text) => buyer.with_signer(key(text, "AUTOMAT_RELAYER_KEY")?),
        None => {
            eprintln!(
                "WARNING: no AUTOMAT_RELAYER_KEY: the buyer's own key ({}) submits the private payment, which links \
                 the payment (and the fresh buyer address) to the buyer on chain. Use a relayer's key for privacy.",
                buyer.sender()
            );
            buyer.clone()
        }
    };
    let mut wallet = if wallet_path.exists() {
        ShieldedWallet::load(&wallet_path).wrap_err("loading the wallet")?
    } else {
        ShieldedWallet::new()?
    };
    let keys = args.keys.load().await?;
    let mut rng = rng()?;

    let privacy = privacy_handle(&buyer, suite, compliance, Some(pool)).await?;
    let vending = Vending::new(buyer.clone(), suite);
    let (quote, signature) = fetch_quote(&args.agent_url, args.slot, args.price).await?;
    let item_id = vending.slot(quote.machineId, quote.slot).await?.itemId;
    let deadline = buyer.block_timestamp().await? + args.deadline_secs;
    let needed = quote.price.checked_add(args.fee).ok_or_else(|| eyre!("price + fee overflows"))?;

    // A fresh buyer address: it receives the receipt and any refund; its key goes into the wallet first.
    let fresh = PrivateKeySigner::random();
    wallet.add_fresh_buyer(fresh.address(), fresh.to_bytes());
    wallet.save(&wallet_path).wrap_err("saving the wallet")?;

    // The disclosure first: a blocked or too-young buyer is refused before anything is sent (no deposit either).
    let spinner = spin("checking the machine's compliance rules".to_string());
    let disclosure = disclosure_for(
        &privacy,
        holder.as_ref(),
        Some(&keys),
        &quote,
        item_id,
        fresh.address(),
        deadline,
        &mut rng,
        &spinner,
    )
    .await;
    spinner.finish_and_clear();
    let disclosure = disclosure.map_err(refusal)?;

    // Deposits from the buyer's key: the one asked for, and what it takes for one note to cover price + fee.
    let depositor = privacy.with_client(buyer.clone());
    if let Some(amount) = args.deposit {
        let spinner = spin(format!("depositing {amount} into the pool"));
        let deposited = wallet.deposit(&depositor, amount, &mut rng).await;
        spinner.finish_and_clear();
        deposited.wrap_err("depositing into the pool")?;
        wallet.save(&wallet_path).wrap_err("saving the wallet")?;
    }
    if !wallet.notes().iter().any(|n| !n.spent && n.note.amount >= needed) {
        eprintln!(
            "automat pay: no note in the wallet covers price + fee = {needed}: depositing {needed} from {} (a \
             deposit of the exact amount right before a payment is easier to link to it; deposit ahead with \
             --deposit)",
            buyer.sender()
        );
        let spinner = spin(format!("depositing {needed} into the pool"));
        let deposited = wallet.deposit(&depositor, needed, &mut rng).await;
        spinner.finish_and_clear();
        deposited.wrap_err("depositing into the pool")?;
        wallet.save(&wallet_path).wrap_err("saving the wallet")?;
    }

    let relayer = privacy.with_client(relayer_client.clone());
    let purchase = PrivatePurchase {
        quote: quote.clone(),
        quote_signature: signature,
        deadline,
        buyer: fresh.address(),
        disclosure: disclosure.clone(),
    };
    let spinner = spin("syncing tree".to_string());
    let paid = wallet
        .pay(&relayer, &keys.spend, &purchase, args.fee, &mut rng, |stage| {
            spinner.set_message(match stage {
                PayStage::Syncing => "syncing tree",
                PayStage::ProvingDisclosure => "proving disclosure",
                PayStage::ProvingSpend => "proving spend",
                PayStage::Submitting => "relayer submitting",
            })
        })
        .await;
    spinner.finish_and_clear();
    let paid = match paid {
        Ok(paid) => paid,
        Err(PrivacyError::ProofRejected { reason }) => {
            wallet.save(&wallet_path).wrap_err("saving the wallet")?;
            bail!(
                "the chain rejected the private payment's proof ({reason}). Nothing was charged: the note is \
                 unspent and stays in {}. To buy publicly instead (the order is then linked to your buyer \
                 address), run:\n  {}",
                wallet_path.display(),
                public_command(args)
            );
        }
        Err(e @ (PrivacyError::RegulatoryBlock { .. } | PrivacyError::TooYoung { .. })) => {
            wallet.save(&wallet_path).wrap_err("saving the wallet")?;
            return Err(refusal(e));
        }
        Err(e) => {
            wallet.save(&wallet_path).wrap_err("saving the wallet")?;
            return Err(eyre::Report::new(e).wrap_err("private payment failed"));
        }
    };
    wallet.record_order(fresh.address(), paid.order_id);
    wallet.save(&wallet_path).wrap_err("saving the wallet")?;
    let change = wallet
        .notes()
        .iter()
        .rev()
        .find(|n| n.index == Some(u64::from(paid.change.index)))
        .map(|n| n.note.amount)
        .unwrap_or_default();
    eprintln!(
        "automat pay: order {} placed for the fresh address {} through relayer {}; change note of {change} at \
         leaf {}; wallet saved to {}",
        paid.order_id,
        fresh.address(),
        relayer_client.sender(),
        paid.change.index,
        wallet_path.display()
    );
    let report = PrivateReport {
        order_id: paid.order_id.to_string(),
        buyer: fresh.address(),
        machine_id: quote.machineId,
        slot: quote.slot,
        price: quote.price.to_string(),
        fee: args.fee.to_string(),
        deadline,
        disclosure: !disclosure.is_empty(),
        relayer: relayer_client.sender(),
        change_note: ChangeNote {
            amount: change.to_string(),
            index: paid.change.index,
            commitment: paid.change.commitment.to_string(),
        },
        wallet: wallet_path,
        wallet_balance: wallet.balance().to_string(),
    };
    println!("{}", serde_json::to_string_pretty(&report)?);
    Ok(())
}
