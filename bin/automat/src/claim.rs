//! `automat claim file`: a buyer's insurance claim on an insured order, with its evidence published to the
//! local blob store by CID and the claim filed with the CID's digest.

use std::path::PathBuf;

use alloy_primitives::{Address, U256};
use automat_chain::{ChainClient, ChainClientExt};
use automat_chain_rpc::RpcClient;
use automat_claims::file_claim;
use automat_contracts::insurance::{Insurance, InsurancePool};
use automat_store::{BlobStore, cid_string};
use clap::{Args, Subcommand};
use eyre::{Result, WrapErr, eyre};
use serde::Serialize;

use crate::zk::{key, suite_of};

/// `automat claim …`.
#[derive(Debug, Subcommand)]
pub(crate) enum ClaimCommand {
    /// File a claim on an insured, dispensed order: the evidence file (JSON: order_id, complaint
    /// GoodsNotReceived | Defective, statement, the machine's dispense_record if you have it) is stored by CID
    /// under --store-dir and its sha2-256 goes on chain; the court's fee is paid from the buyer's key.
    File(FileArgs),
}

/// Arguments of `automat claim file`.
#[derive(Debug, Args)]
pub(crate) struct FileArgs {
    /// JSON-RPC URL of the chain.
    #[arg(long, env = "AUTOMAT_RPC_URL")]
    rpc_url: String,
    /// The InsurancePool that covered the order.
    #[arg(long)]
    pool: Address,
    /// The order id (= the receipt's token id).
    #[arg(long)]
    receipt: U256,
    /// The evidence document (JSON).
    #[arg(long)]
    evidence: PathBuf,
    /// The local evidence store (jurors read evidence by CID from theirs; publish it to IPFS for them).
    #[arg(long, default_value = ".automat/evidence")]
    store_dir: PathBuf,
    /// The buyer's key (holds the receipt, pays the court's fee); keep it in the environment.
    #[arg(long, env = "AUTOMAT_BUYER_KEY", hide_env_values = true)]
    buyer_key: String,
    /// Print one JSON object.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Serialize)]
struct FiledReport {
    claim_id: String,
    dispute_id: String,
    order_id: String,
    amount: String,
    evidence_cid: String,
    tx: String,
}

pub(crate) async fn run(command: ClaimCommand) -> Result<()> {
    match command {
        ClaimCommand::File(args) => file(args).await,
    }
}

async fn file(args: FileArgs) -> Result<()> {
    let buyer = key(&args.buyer_key, "AUTOMAT_BUYER_KEY")?;
    let bytes =
        std::fs::read(&args.evidence).wrap_err_with(|| format!("reading the evidence {}", args.evidence.display()))?;
    let client =
        RpcClient::connect(&args.rpc_url, buyer).await.wrap_err_with(|| format!("connecting to {}", args.rpc_url))?;
    automat_contracts::register_all_errors(&client)?;
    let storefront = client
        .call_sol(args.pool, &InsurancePool::storefrontCall {})
        .await
        .wrap_err_with(|| format!("{} is not an InsurancePool", args.pool))?;
    let suite = suite_of(&client, storefront).await?;
    let store = BlobStore::open(&args.store_dir)
        .wrap_err_with(|| format!("opening the evidence store {}", args.store_dir.display()))?;
    let insurance = Insurance::new(client.clone(), suite, args.pool);
    let (filed, cid) =
        file_claim(&insurance, args.receipt, &bytes, &store).await.map_err(|e| match e.revert_name() {
            Some(name) => eyre!("the pool refused the claim: {name} ({e})"),
            None => eyre!(e),
        })?;
    let report = FiledReport {
        claim_id: filed.claim_id.to_string(),
        dispute_id: filed.dispute_id.to_string(),
        order_id: args.receipt.to_string(),
        amount: filed.amount.to_string(),
        evidence_cid: cid_string(&cid),
        tx: filed.receipt.transaction_hash.to_string(),
    };
    if args.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        println!(
            "claim {} filed on order {} by {} for {} (dispute {}); evidence {} in {}",
            report.claim_id,
            report.order_id,
            client.sender(),
            report.amount,
            report.dispute_id,
            report.evidence_cid,
            args.store_dir.display()
        );
    }
    Ok(())
}
