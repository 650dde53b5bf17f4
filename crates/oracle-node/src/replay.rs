//! Sales history put on a development chain: every unit a [`Dataset`] says was sold becomes a real Storefront
//! order at its hour and price (quote signed by the machine, order placed by a buyer, attestation signed by the
//! machine, with the receipt metadata document's digest, as an agent would), so that the nodes' models learn from
//! chain history exactly as they would on a live network. Some vends can be made to fail, for the risk model.
//!
//! Orders are placed in time order across machines; each at `hour start + 60 s × (k + 1)` for the `k`-th unit of
//! the hour (so at most 59 units per slot-hour), using the chain's `evm_setNextBlockTimestamp`, so the dataset
//! must start after the chain's latest block (see [`start_after`]).

use alloy_primitives::{B256, U256};
use alloy_signer_local::PrivateKeySigner;
use automat_chain::DevnetControl;
use automat_contracts::vending::{Attestation, Outcome, Quote, Vending, sign_typed};
use automat_oracle::data::Dataset;
use automat_store::{ReceiptMetadata, Sale, content_cid, sha256_of};

use crate::{NodeError, Result};

/// A machine whose sales are replayed: series `m` of the dataset is sold by `machines[m]`, slot 0.
#[derive(Debug, Clone)]
pub struct ReplayMachine {
    /// The machine's id in the registry.
    pub machine_id: u64,
    /// The machine's signing key.
    pub key: PrivateKeySigner,
    /// Every `fail_every`-th order of this machine fails to vend (0: none fails).
    pub fail_every: usize,
}

/// What the replay put on chain.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReplayReport {
    /// Orders placed.
    pub orders: usize,
    /// Of those, refunded as failed vends.
    pub failed: usize,
    /// Timestamp of the last order.
    pub last_timestamp: u64,
}

/// Places every sale of `dataset` (series `m` sold by `machines[m]`, slot 0; prices in currency units with
/// `decimals` decimals) as an order from `buyer`, approving the Storefront once, and submits each machine's
/// attestation through `submitter`.
pub async fn place_sales<C: DevnetControl>(
    buyer: &Vending<C>,
    submitter: &Vending<C>,
    machines: &[ReplayMachine],
    dataset: &Dataset,
    decimals: u8,
) -> Result<ReplayReport> {
    if dataset.series.len() > machines.len() {
        return Err(NodeError::Model(format!(
            "{} series but only {} machines to sell them",
            dataset.series.len(),
            machines.len()
        )));
    }
    let suite = *buyer.suite();
    let scale = 10f64.powi(i32::from(decimals));
    let mut sales: Vec<(u64, usize, u128)> = Vec::new();
    for (m, series) in dataset.series.iter().enumerate() {
        for hour in &series.hours {
            if hour.units_sold > 59 {
                return Err(NodeError::Model(format!("{} units in one hour: at most 59 replay", hour.units_sold)));
            }
            let price = (hour.price * scale).round() as u128;
            for k in 0..u64::from(hour.units_sold) {
                sales.push((hour.timestamp() + 60 * (k + 1), m, price));
            }
        }
    }
    sales.sort_by_key(|&(at, m, _)| (at, m));
    buyer.approve(suite.storefront, U256::MAX).await?;
    let mut report = ReplayReport::default();
    let mut per_machine = vec![0usize; machines.len()];
    let mut nonce = buyer.client().block_timestamp().await?;
    let mut last = 0u64;
    for (at, m, price) in sales {
        let machine = &machines[m];
        let at = at.max(last + 1);
        buyer.client().set_next_block_timestamp(at).await?;
        nonce += 1;
        let quote = Quote { machineId: machine.machine_id, slot: 0, price, expiry: at + 600, nonce };
        let signature = sign_typed(&machine.key, &suite.domain(), &quote)?;
        let placed = buyer.place_order(&quote, signature, price, at + 3_600, false).await?;
        per_machine[m] += 1;
        let failed = machine.fail_every > 0 && per_machine[m].is_multiple_of(machine.fail_every);
        let (outcome, digest) = if failed {
            (Outcome::VendFailed, B256::ZERO)
        } else {
            let sale = Sale {
                order_id: placed.order_id,
                chain_id: suite.chain_id,
                storefront: suite.storefront,
                machine_id: machine.machine_id,
                slot: 0,
                item_id: u64::from(dataset.series[m].item.unwrap_or(0)),
                price: U256::from(price),
                token: suite.token,
                token_decimals: decimals,
                buyer: buyer.client().sender(),
                dispensed_at: at + 1,
                offline: false,
                voucher: None,
            };
            let document = ReceiptMetadata::new(&sale).to_json_bytes().map_err(|e| NodeError::Model(e.to_string()))?;
            let cid = content_cid(&document).map_err(|e| NodeError::Model(e.to_string()))?;
            let digest = sha256_of(&cid).map_err(|e| NodeError::Model(e.to_string()))?;
            (Outcome::Dispensed, B256::from(digest))
        };
        let attestation = Attestation { orderId: placed.order_id, outcome: outcome as u8, metadataDigest: digest };
        let signature = sign_typed(&machine.key, &suite.domain(), &attestation)?;
        submitter.client().set_next_block_timestamp(at + 1).await?;
        submitter.attest(&attestation, signature).await?;
        last = at + 1;
        report.orders += 1;
        report.failed += usize::from(failed);
        report.last_timestamp = at;
    }
    Ok(report)
}

/// The first whole hour after `timestamp`: where a dataset replayed on a chain whose latest block is at
/// `timestamp` may start.
pub fn start_after(timestamp: u64) -> u64 {
    (timestamp / 3600 + 1) * 3600
}
