//! `automat zk`: the privacy features' setup and issuer side: Groth16 keys (`setup`), the privacy contracts
//! next to a vending suite (`deploy`) and credentials for selective disclosure (`issue`).

use std::{
    path::{Path, PathBuf},
    time::Duration,
};

use alloy_primitives::Address;
use alloy_signer_local::PrivateKeySigner;
use automat_chain::{ChainClient, ChainClientExt};
use automat_chain_rpc::RpcClient;
use automat_contracts::{
    privacy::{ComplianceRegistry, PrivacyConfig, deploy_privacy},
    vending::{Storefront, SuiteAddresses},
};
use automat_privacy::{
    fr_to_u256,
    issuer::{CredentialIssuer, Holder, IssuedCredential},
    keys::ZkKeys,
    write_file_atomically,
};
use automat_zk::{
    poseidon,
    rand::{SeedableRng, rngs::OsRng, rngs::StdRng},
};
use clap::{Args, Subcommand};
use eyre::{Result, WrapErr, bail, eyre};
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;

/// `automat zk …`.
#[derive(Debug, Subcommand)]
pub(crate) enum ZkCommand {
    /// Generate the Groth16 proving and verifying keys of the spend and disclosure circuits from OS randomness
    /// (the toxic waste never leaves memory) and write them to a directory, with the verifying keys in snarkjs
    /// JSON for independent verifiers.
    Setup(SetupArgs),
    /// Deploy the privacy contracts next to a vending suite: both verifiers (from the keys' verifying keys), the
    /// ShieldedPool and the ComplianceRegistry, which is set on the Storefront (AUTOMAT_ADMIN_KEY must own it
    /// and becomes the registry's admin). Prints the addresses as JSON.
    Deploy(DeployArgs),
    /// Issue a credential (jurisdiction, birth date) into the issuer's credential tree, publish the tree's new
    /// root on the ComplianceRegistry (AUTOMAT_ISSUER_KEY must hold ISSUER_ROLE) and write the holder's
    /// credential file.
    ///
    /// Without --holder-commitment the command creates the holder's secret itself and writes it into the
    /// credential file (mode 0600): convenient for tests and kiosks, but the issuer then knows the secret. In
    /// production the holder generates the secret, sends only its commitment Poseidon(secret) with
    /// --holder-commitment, and adds `"secret": "<decimal>"` to the file it gets back.
    Issue(IssueArgs),
}

/// Arguments of `automat zk setup`.
#[derive(Debug, Args)]
pub(crate) struct SetupArgs {
    /// Directory the keys are written to (created if missing).
    #[arg(long)]
    out: PathBuf,
    /// Overwrite keys already in the directory (contracts deployed with the old keys stop accepting proofs
    /// made with the new ones).
    #[arg(long)]
    force: bool,
}

/// Which Groth16 keys to use: a directory from `automat zk setup`, or the devnet's insecure seeded keys.
#[derive(Debug, Clone, Args)]
pub(crate) struct KeysArgs {
    /// Key directory written by `automat zk setup`.
    #[arg(long, conflicts_with = "devnet_keys")]
    pub(crate) keys: Option<PathBuf>,
    /// Use the devnet's keys from a published seed. INSECURE: anyone can forge proofs for contracts deployed
    /// with them. Local devnets and tests only.
    #[arg(long)]
    pub(crate) devnet_keys: bool,
}

impl KeysArgs {
    /// Whether keys were named at all.
    pub(crate) fn given(&self) -> bool {
        self.keys.is_some() || self.devnet_keys
    }

    /// Loads (or derives) the keys, with a spinner; the devnet keys are announced loudly on stderr.
    pub(crate) async fn load(&self) -> Result<ZkKeys> {
        let spinner;
        let keys = if let Some(dir) = &self.keys {
            spinner = spin(format!("loading ZK keys from {}", dir.display()));
            let dir = dir.clone();
            tokio::task::spawn_blocking(move || ZkKeys::load(&dir)).await?.wrap_err("loading the ZK keys")?
        } else if self.devnet_keys {
            warn_devnet_keys();
            spinner = spin("deriving the devnet ZK keys".to_string());
            tokio::task::spawn_blocking(ZkKeys::devnet_seeded).await?.wrap_err("deriving the devnet ZK keys")?
        } else {
            bail!("name the proving keys: --keys DIR (from `automat zk setup`) or --devnet-keys (insecure)");
        };
        spinner.finish_and_clear();
        Ok(keys)
    }
}

fn warn_devnet_keys() {
    eprintln!(
        "WARNING: --devnet-keys: these Groth16 keys come from a PUBLISHED SEED. Anyone can recompute their toxic \
         waste and forge spend and disclosure proofs against contracts deployed with them: use them on local \
         devnets and in tests only. Run `automat zk setup` for real keys."
    );
}

/// A spinner on stderr (hidden when stderr is not a terminal).
pub(crate) fn spin(message: String) -> ProgressBar {
    let spinner = ProgressBar::new_spinner();
    if let Ok(style) = ProgressStyle::with_template("{spinner} {msg} ({elapsed})") {
        spinner.set_style(style);
    }
    spinner.set_message(message);
    spinner.enable_steady_tick(Duration::from_millis(120));
    spinner
}

pub(crate) fn key(text: &str, what: &str) -> Result<PrivateKeySigner> {
    text.trim().parse().map_err(|_| eyre!("{what} is not a 0x-hex secp256k1 private key"))
}

/// Arguments of `automat zk deploy`.
#[derive(Debug, Args)]
pub(crate) struct DeployArgs {
    /// JSON-RPC URL of the chain.
    #[arg(long, env = "AUTOMAT_RPC_URL")]
    rpc_url: String,
    /// The Storefront the privacy contracts serve (token and registry are read from it).
    #[arg(long)]
    storefront: Address,
    #[command(flatten)]
    keys: KeysArgs,
    /// Highest relayer fee the pool accepts per spend, in payment-token base units.
    #[arg(long, default_value_t = PrivacyConfig::default().max_relayer_fee)]
    max_relayer_fee: u128,
    /// Key of the Storefront's owner; keep it in the environment.
    #[arg(long, env = "AUTOMAT_ADMIN_KEY", hide_env_values = true)]
    admin_key: String,
}

/// Arguments of `automat zk issue`.
#[derive(Debug, Args)]
pub(crate) struct IssueArgs {
    /// JSON-RPC URL of the chain.
    #[arg(long, env = "AUTOMAT_RPC_URL")]
    rpc_url: String,
    /// The ComplianceRegistry the root is published on.
    #[arg(long)]
    compliance: Address,
    /// The holder's jurisdiction, ISO 3166-1 numeric (e.g. 276 for Germany).
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..))]
    jurisdiction: u16,
    /// The holder's birth date, YYYYMMDD.
    #[arg(long, value_parser = parse_birth_date)]
    birth_date: u32,
    /// The issuer's credential tree (JSON; created on first use). Keep it: every later credential extends it.
    #[arg(long)]
    tree: PathBuf,
    /// Where the holder's credential file is written (refused if it exists).
    #[arg(long)]
    out: PathBuf,
    /// The holder's commitment Poseidon(secret), decimal: the holder keeps the secret and the credential file
    /// carries none.
    #[arg(long)]
    holder_commitment: Option<String>,
    /// Key of the issuer (holds ISSUER_ROLE on the registry); keep it in the environment.
    #[arg(long, env = "AUTOMAT_ISSUER_KEY", hide_env_values = true)]
    issuer_key: String,
}

fn parse_birth_date(text: &str) -> std::result::Result<u32, String> {
    let bad = || format!("{text:?} is not a date YYYYMMDD");
    if text.len() != 8 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let date: u32 = text.parse().map_err(|_| bad())?;
    let (year, month, day) = (date / 10_000, date / 100 % 100, date % 100);
    if year < 1800 || !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return Err(bad());
    }
    Ok(date)
}

pub(crate) async fn run(command: ZkCommand) -> Result<()> {
    match command {
        ZkCommand::Setup(args) => setup(args).await,
        ZkCommand::Deploy(args) => deploy(args).await,
        ZkCommand::Issue(args) => issue(args).await,
    }
}

async fn setup(args: SetupArgs) -> Result<()> {
    let existing: Vec<PathBuf> = ["keys.json", "spend.pk", "disclosure.pk", "spend.vk.json", "disclosure.vk.json"]
        .iter()
        .map(|name| args.out.join(name))
        .filter(|path| path.exists())
        .collect();
    if !existing.is_empty() && !args.force {
        bail!(
            "{} already holds ZK keys ({}): contracts deployed with them accept no proof made with new keys. Pass \
             --force to replace them",
            args.out.display(),
            existing.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
        );
    }
    let spinner = spin("Groth16 setup of the spend and disclosure circuits (OS randomness)".to_string());
    let keys = tokio::task::spawn_blocking(ZkKeys::setup).await?.wrap_err("setup failed")?;
    spinner.set_message(format!("writing the keys to {}", args.out.display()));
    let written = keys.save(&args.out).wrap_err_with(|| format!("writing {}", args.out.display()))?;
    spinner.finish_and_clear();
    println!("ZK keys ({}) in {}", keys.origin(), args.out.display());
    println!("  spend circuit       {:>7} constraints", keys.spend.num_constraints());
    println!("  disclosure circuit  {:>7} constraints", keys.disclosure.num_constraints());
    println!("files:");
    for path in &written {
        let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
        println!("  {} ({size} bytes)", path.display());
    }
    println!("verifying keys (snarkjs JSON):");
    println!("  spend       {}", args.out.join("spend.vk.json").display());
    println!("  disclosure  {}", args.out.join("disclosure.vk.json").display());
    println!("deploy with: automat zk deploy --rpc-url URL --storefront ADDR --keys {}", args.out.display());
    Ok(())
}

/// The vending suite behind a Storefront.
pub(crate) async fn suite_of(client: &RpcClient, storefront: Address) -> Result<SuiteAddresses> {
    let token = client.call_sol(storefront, &Storefront::tokenCall {}).await.wrap_err("reading the Storefront")?;
    let registry = client.call_sol(storefront, &Storefront::registryCall {}).await?;
    let receipts = client.call_sol(storefront, &Storefront::receiptsCall {}).await?;
    Ok(SuiteAddresses { chain_id: client.chain_id(), token, registry, storefront, receipts })
}

async fn deploy(args: DeployArgs) -> Result<()> {
    let admin = key(&args.admin_key, "AUTOMAT_ADMIN_KEY")?;
    if !args.keys.given() {
        bail!("name the keys to deploy: --keys DIR (from `automat zk setup`) or --devnet-keys (insecure)");
    }
    let client =
        RpcClient::connect(&args.rpc_url, admin).await.wrap_err_with(|| format!("connecting to {}", args.rpc_url))?;
    automat_contracts::register_all_errors(&client)?;
    let suite = suite_of(&client, args.storefront).await?;
    let keys = args.keys.load().await?;
    let spend_words = keys.spend_verifier_words()?;
    let disclosure_words = keys.disclosure_verifier_words()?;
    let config = PrivacyConfig { max_relayer_fee: args.max_relayer_fee };
    let spinner = spin("deploying the verifiers, the ShieldedPool and the ComplianceRegistry".to_string());
    let addresses = deploy_privacy(&client, &suite, &spend_words, &disclosure_words, config).await;
    spinner.finish_and_clear();
    let addresses =
        addresses.wrap_err("deploying the privacy contracts (AUTOMAT_ADMIN_KEY must own the Storefront)")?;
    if keys.is_insecure() {
        warn_devnet_keys();
    }
    println!("{}", serde_json::to_string_pretty(&addresses)?);
    Ok(())
}

/// The issuer's answer to a holder who sent only a commitment: add `"secret"` to make it a holder file.
#[derive(Serialize)]
struct CommitmentCredential<'a> {
    commitment: String,
    credential: &'a IssuedCredential,
}

#[derive(Serialize)]
struct IssueReport {
    index: u64,
    root: String,
    jurisdiction: u16,
    birth_date: u32,
    holder_commitment: String,
    credential_file: PathBuf,
    holder_secret_in_file: bool,
    tree: PathBuf,
    credentials_in_tree: u64,
}

async fn issue(args: IssueArgs) -> Result<()> {
    let issuer_key = key(&args.issuer_key, "AUTOMAT_ISSUER_KEY")?;
    if args.out.exists() {
        bail!("{} exists: a credential file holds a holder's secret and is never overwritten", args.out.display());
    }
    let (mut holder, commitment) = match &args.holder_commitment {
        Some(text) => {
            let commitment = poseidon::fr_from_decimal(text.trim())
                .map_err(|e| eyre!("--holder-commitment: {e} (a decimal field element)"))?;
            (None, commitment)
        }
        None => {
            let mut rng = StdRng::from_rng(OsRng).map_err(|e| eyre!("OS randomness: {e}"))?;
            let holder = Holder::random(&mut rng);
            let commitment = holder.commitment();
            (Some(holder), commitment)
        }
    };
    let mut issuer = if args.tree.exists() {
        CredentialIssuer::load(&args.tree).wrap_err("loading the credential tree")?
    } else {
        CredentialIssuer::new()?
    };

    let client = RpcClient::connect(&args.rpc_url, issuer_key)
        .await
        .wrap_err_with(|| format!("connecting to {}", args.rpc_url))?;
    automat_contracts::register_all_errors(&client)?;
    let role = client
        .call_sol(args.compliance, &ComplianceRegistry::ISSUER_ROLECall {})
        .await
        .wrap_err("reading the ComplianceRegistry")?;
    let has_role =
        client.call_sol(args.compliance, &ComplianceRegistry::hasRoleCall { role, account: client.sender() }).await?;
    if !has_role {
        bail!("AUTOMAT_ISSUER_KEY is {}, which does not hold ISSUER_ROLE on {}", client.sender(), args.compliance);
    }

    let issued = issuer.issue(commitment, args.jurisdiction, args.birth_date)?;
    client
        .send_sol(args.compliance, &ComplianceRegistry::publishIssuerRootCall { root: fr_to_u256(&issued.root) })
        .await
        .wrap_err("publishing the credential tree's new root")?;
    issuer.save(&args.tree).wrap_err("saving the credential tree")?;

    let bytes = match holder.as_mut() {
        Some(holder) => {
            holder.receive(issued.clone());
            serde_json::to_vec_pretty(holder)?
        }
        None => serde_json::to_vec_pretty(&CommitmentCredential {
            commitment: poseidon::fr_to_decimal(&commitment),
            credential: &issued,
        })?,
    };
    write_credential(&args.out, &bytes)?;
    let report = IssueReport {
        index: issued.index,
        root: poseidon::fr_to_decimal(&issued.root),
        jurisdiction: issued.jurisdiction,
        birth_date: issued.birth_date,
        holder_commitment: poseidon::fr_to_decimal(&commitment),
        credential_file: args.out.clone(),
        holder_secret_in_file: holder.is_some(),
        tree: args.tree.clone(),
        credentials_in_tree: issuer.len(),
    };
    println!("{}", serde_json::to_string_pretty(&report)?);
    if holder.is_some() {
        eprintln!(
            "automat zk issue: {} holds the holder's secret (mode 0600): hand it to the holder only",
            args.out.display()
        );
    }
    Ok(())
}

fn write_credential(path: &Path, bytes: &[u8]) -> Result<()> {
    write_file_atomically(path, bytes, true).wrap_err_with(|| format!("writing {}", path.display()))
}
