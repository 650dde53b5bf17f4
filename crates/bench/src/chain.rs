//! `automat bench chain`: ERC-20 transfers through the full embedded client path versus bare revm.
//!
//! 1. Sign `transfers` ERC-20 transfers once (timed: `sign_us_per_tx`).
//! 2. Embedded: a fresh devnet, the token deployed, every signed transfer submitted through
//!    [`ChainClient::send_raw`]: decoding, sender recovery, chain id and nonce checks, execution, a block
//!    per transaction with roots and bloom, receipt and logs.
//! 3. Baseline: the same signed transactions through bare revm over an in-memory database — sender
//!    recovery and `transact_commit`, nothing else.
//! 4. With `vs_hardhat`: the same kind of transfers through the JSON-RPC client against a Hardhat node.
//!
//! Devnet deployments are deterministic (same deployer, same nonce, same address), so one set of signed
//! transactions is valid on every fresh devnet; each round starts from fresh state.

use std::time::{Duration, Instant};

use alloy_consensus::{SignableTransaction, TxEip1559, TxEnvelope, transaction::SignerRecoverable};
use alloy_eips::eip2718::{Decodable2718, Encodable2718};
use alloy_network::TxSignerSync;
use alloy_primitives::{Address, Bytes, TxKind, U256};
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::{SolCall, SolConstructor};
use automat_chain::{ChainClient, DEFAULT_MNEMONIC, signer_from_mnemonic};
use automat_chain_rpc::RpcClient;
use automat_contracts::fixtures::TestToken;
use automat_devnet::{DEVNET_CHAIN_ID_BASE, Devnet, DevnetConfig, evm};
use indicatif::{ProgressBar, ProgressStyle};
use revm::{
    Context, ExecuteCommitEvm, MainBuilder, MainContext,
    context::{BlockEnv, CfgEnv},
    database::{CacheDB, EmptyDB},
    state::AccountInfo,
};
use serde::Serialize;

use crate::{BenchError, Result};

/// What to run.
#[derive(Clone, Debug)]
pub struct ChainBenchConfig {
    /// Signed transfers per run (at least 10,000 for the published figure).
    pub transfers: usize,
    /// Rounds of each of embedded and bare revm; the median round is reported.
    pub rounds: usize,
    /// Also measure a Hardhat node over JSON-RPC.
    pub vs_hardhat: bool,
    /// Transfers sent to Hardhat (it runs at ~hundreds per second, so fewer are enough).
    pub hardhat_transfers: usize,
    /// Transfers sent to a devnet persisting to a data directory (every block is one durable redb
    /// commit); 0 skips this measurement.
    pub persisted_transfers: usize,
    /// Show progress bars (on stderr).
    pub progress: bool,
}

impl Default for ChainBenchConfig {
    fn default() -> Self {
        Self {
            transfers: 10_000,
            rounds: 3,
            vs_hardhat: false,
            hardhat_transfers: 1_000,
            persisted_transfers: 1_000,
            progress: true,
        }
    }
}

/// The figures `automat bench chain --json` prints.
#[derive(Clone, Debug, Serialize)]
pub struct ChainBenchReport {
    /// Transfers per run.
    pub transfers: usize,
    /// Rounds per path (median reported).
    pub rounds: usize,
    /// Microseconds to sign one transfer.
    pub sign_us_per_tx: f64,
    /// Transfers per second through the embedded client path.
    pub embedded_tps: f64,
    /// Transfers per second through bare revm.
    pub raw_revm_tps: f64,
    /// `embedded_tps / raw_revm_tps`.
    pub ratio: f64,
    /// Transfers per second through JSON-RPC against a Hardhat node (with `--vs-hardhat`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hardhat_tps: Option<f64>,
    /// Transfers sent to Hardhat.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hardhat_transfers: Option<usize>,
    /// Transfers per second through the embedded client when the devnet persists every block to disk.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub embedded_persisted_tps: Option<f64>,
    /// `embedded_tps / hardhat_tps`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub speedup_vs_hardhat: Option<f64>,
    /// Gas used by one transfer (same on every path).
    pub gas_per_transfer: u64,
}

const GAS_LIMIT: u64 = 80_000;
const MAX_FEE: u128 = 20_000_000_000;
const TIP: u128 = 1_000_000;

/// The token deployment every path starts from: account 0, nonce 0.
fn token_init_code(holder: Address) -> Bytes {
    let ctor = TestToken::constructorCall {
        name_: "Bench USD".into(),
        symbol_: "BUSD".into(),
        holder,
        supply: U256::from(10u64).pow(U256::from(30u64)),
    };
    let mut init = TestToken::BYTECODE.to_vec();
    init.extend(ctor.abi_encode());
    init.into()
}

/// Signs `count` transfers of the token at `token`, nonces from `first_nonce`, to rotating recipients.
fn sign_transfers(
    signer: &PrivateKeySigner,
    chain_id: u64,
    token: Address,
    first_nonce: u64,
    count: usize,
    progress: &ProgressBar,
) -> Result<Vec<Bytes>> {
    let mut out = Vec::with_capacity(count);
    for i in 0..count {
        let to = Address::with_last_byte((i % 251) as u8 + 1).create(i as u64 % 64);
        let call = TestToken::transferCall { to, value: U256::from(1 + i as u64) };
        let mut tx = TxEip1559 {
            chain_id,
            nonce: first_nonce + i as u64,
            gas_limit: GAS_LIMIT,
            max_fee_per_gas: MAX_FEE,
            max_priority_fee_per_gas: TIP,
            to: TxKind::Call(token),
            value: U256::ZERO,
            access_list: Default::default(),
            input: call.abi_encode().into(),
        };
        let signature = signer.sign_transaction_sync(&mut tx).map_err(|e| BenchError::Invalid(e.to_string()))?;
        let envelope: TxEnvelope = tx.into_signed(signature).into();
        out.push(envelope.encoded_2718().into());
        progress.inc(1);
    }
    Ok(out)
}

pub(crate) fn bar(enabled: bool, len: usize, what: &str) -> ProgressBar {
    if !enabled {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len as u64);
    if let Ok(style) = ProgressStyle::with_template("{msg:>22} [{bar:40}] {pos}/{len} ({per_sec})") {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(what.to_string());
    bar
}

/// One embedded round: fresh devnet (in memory, or persisting to `data_dir`), deploy, submit every signed
/// transfer through the client.
async fn embedded_round(
    signed: &[Bytes],
    data_dir: Option<&std::path::Path>,
    progress: &ProgressBar,
) -> Result<(Duration, u64, Address)> {
    let mut config = DevnetConfig::with_chains(1);
    config.data_dir = data_dir.map(Into::into);
    let devnet = Devnet::start(config)?;
    let client = devnet.dev_client(DEVNET_CHAIN_ID_BASE, 0)?;
    let token = client.deploy(token_init_code(client.sender())).await?.address;
    let start = Instant::now();
    let mut gas = 0;
    for raw in signed {
        let receipt = client.send_raw(raw.clone()).await?;
        if !receipt.status || receipt.logs.len() != 1 {
            return Err(BenchError::Invalid(format!("embedded transfer {} failed", receipt.transaction_hash)));
        }
        gas = receipt.gas_used;
        progress.inc(1);
    }
    Ok((start.elapsed(), gas, token))
}

/// One bare-revm round: the same deployment and transactions, recovery + `transact_commit` only.
fn raw_round(signed: &[TxEnvelope], deployer: Address, progress: &ProgressBar) -> Result<(Duration, u64)> {
    let mut db = CacheDB::<EmptyDB>::default();
    db.insert_account_info(
        deployer,
        AccountInfo { balance: U256::from(10u64).pow(U256::from(24u64)), ..Default::default() },
    );
    let mut cfg = CfgEnv::new_with_spec(evm::SPEC);
    cfg.chain_id = DEVNET_CHAIN_ID_BASE;
    let block = BlockEnv { gas_limit: 30_000_000, basefee: 7, ..Default::default() };
    let mut revm = Context::mainnet().with_db(db).with_cfg(cfg).with_block(block).build_mainnet();

    let deploy = revm::context::TxEnv {
        caller: deployer,
        gas_limit: 5_000_000,
        gas_price: MAX_FEE,
        kind: TxKind::Create,
        data: token_init_code(deployer),
        chain_id: Some(DEVNET_CHAIN_ID_BASE),
        ..Default::default()
    };
    let created = revm.transact_commit(deploy).map_err(|e| BenchError::Invalid(format!("raw deploy: {e}")))?;
    if !created.is_success() {
        return Err(BenchError::Invalid(format!("raw deploy failed: {created:?}")));
    }

    let start = Instant::now();
    let mut gas = 0;
    for tx in signed {
        let caller = tx.recover_signer().map_err(|e| BenchError::Invalid(format!("recovery: {e}")))?;
        let result = revm
            .transact_commit(evm::tx_env(tx, caller))
            .map_err(|e| BenchError::Invalid(format!("raw transfer: {e}")))?;
        if !result.is_success() {
            return Err(BenchError::Invalid(format!("raw transfer failed: {result:?}")));
        }
        gas = result.tx_gas_used();
        progress.inc(1);
    }
    Ok((start.elapsed(), gas))
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// Sequential transfers through JSON-RPC against a Hardhat node this function starts and stops.
async fn hardhat_tps(config: &ChainBenchConfig) -> Result<f64> {
    let node = automat_hardhat::HardhatNode::start()?;
    let signer = signer_from_mnemonic(DEFAULT_MNEMONIC, 0)?;
    let client = RpcClient::connect(&node.url(), signer.clone()).await?;
    let token = client.deploy(token_init_code(client.sender())).await?.address;
    let nonce = client.nonce(client.sender()).await?;
    let signing = bar(config.progress, config.hardhat_transfers, "signing (hardhat)");
    let signed = sign_transfers(&signer, client.chain_id(), token, nonce, config.hardhat_transfers, &signing)?;
    signing.finish_and_clear();
    let progress = bar(config.progress, signed.len(), "hardhat JSON-RPC");
    let start = Instant::now();
    for raw in signed {
        let receipt = client.send_raw(raw).await?;
        if !receipt.status {
            return Err(BenchError::Invalid(format!("hardhat transfer {} failed", receipt.transaction_hash)));
        }
        progress.inc(1);
    }
    let elapsed = start.elapsed();
    progress.finish_and_clear();
    Ok(config.hardhat_transfers as f64 / elapsed.as_secs_f64())
}

/// Runs the chain benchmark.
pub async fn run(config: &ChainBenchConfig) -> Result<ChainBenchReport> {
    if config.transfers == 0 || config.rounds == 0 {
        return Err(BenchError::Invalid("transfers and rounds must be positive".into()));
    }
    let signer = signer_from_mnemonic(DEFAULT_MNEMONIC, 0)?;
    let deployer = signer.address();
    let token = deployer.create(0);

    let signing = bar(config.progress, config.transfers, "signing");
    let start = Instant::now();
    let signed = sign_transfers(&signer, DEVNET_CHAIN_ID_BASE, token, 1, config.transfers, &signing)?;
    let sign_us_per_tx = start.elapsed().as_secs_f64() * 1e6 / config.transfers as f64;
    signing.finish_and_clear();
    let decoded: Vec<TxEnvelope> = signed
        .iter()
        .map(|raw| TxEnvelope::decode_2718(&mut raw.as_ref()).map_err(|e| BenchError::Invalid(e.to_string())))
        .collect::<Result<_>>()?;

    let mut embedded = Vec::new();
    let mut raw = Vec::new();
    let mut gas_embedded = 0;
    let mut gas_raw = 0;
    for round in 0..config.rounds {
        let progress = bar(config.progress, signed.len(), &format!("embedded {}/{}", round + 1, config.rounds));
        let (elapsed, gas, deployed) = embedded_round(&signed, None, &progress).await?;
        progress.finish_and_clear();
        if deployed != token {
            return Err(BenchError::Invalid(format!("token deployed at {deployed}, transfers signed for {token}")));
        }
        embedded.push(config.transfers as f64 / elapsed.as_secs_f64());
        gas_embedded = gas;

        let progress = bar(config.progress, decoded.len(), &format!("bare revm {}/{}", round + 1, config.rounds));
        let (elapsed, gas) = raw_round(&decoded, deployer, &progress)?;
        progress.finish_and_clear();
        raw.push(config.transfers as f64 / elapsed.as_secs_f64());
        gas_raw = gas;
    }
    if gas_embedded != gas_raw {
        return Err(BenchError::Invalid(format!("gas differs: embedded {gas_embedded}, bare revm {gas_raw}")));
    }
    let embedded_tps = median(embedded);
    let raw_revm_tps = median(raw);

    let embedded_persisted_tps = if config.persisted_transfers > 0 {
        let count = config.persisted_transfers.min(signed.len());
        let dir = tempfile::tempdir().map_err(|e| BenchError::Invalid(format!("temporary data directory: {e}")))?;
        let progress = bar(config.progress, count, "embedded, persisted");
        let (elapsed, _, _) = embedded_round(&signed[..count], Some(dir.path()), &progress).await?;
        progress.finish_and_clear();
        Some(count as f64 / elapsed.as_secs_f64())
    } else {
        None
    };

    let (hardhat_tps, hardhat_transfers, speedup_vs_hardhat) = if config.vs_hardhat {
        let tps = hardhat_tps(config).await?;
        (Some(tps), Some(config.hardhat_transfers), Some(embedded_tps / tps))
    } else {
        (None, None, None)
    };

    Ok(ChainBenchReport {
        transfers: config.transfers,
        rounds: config.rounds,
        sign_us_per_tx,
        embedded_tps,
        raw_revm_tps,
        ratio: embedded_tps / raw_revm_tps,
        hardhat_tps,
        hardhat_transfers,
        embedded_persisted_tps,
        speedup_vs_hardhat,
        gas_per_transfer: gas_embedded,
    })
}
