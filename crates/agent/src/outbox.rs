//! The agent's durable memory (one redb file): every order it saw and how far it got, every offline sale,
//! the event cursor, the quote nonce counter and the chain facts it needs while partitioned. Every state
//! change is one durable write transaction, so a crash at any point leaves a stage the agent can resume from.

use std::path::Path;

use alloy_primitives::{Address, B256, Bytes};
use automat_contracts::vending::{OfflineSale, Outcome, Voucher};
use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};
use serde::{Deserialize, Serialize, de::DeserializeOwned};

use crate::{AgentError, Result, driver::VendOutcome};

const ORDERS: TableDefinition<'_, u64, &[u8]> = TableDefinition::new("orders");
/// Ids of the orders not yet finished (settled or left for review), so a poll does not read the whole history.
const UNFINISHED: TableDefinition<'_, u64, ()> = TableDefinition::new("unfinished_orders");
const OFFLINE: TableDefinition<'_, u64, &[u8]> = TableDefinition::new("offline_sales");
const META: TableDefinition<'_, &str, &[u8]> = TableDefinition::new("meta");

/// An on-chain order for this machine and where the agent is with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderRecord {
    /// The Storefront order id.
    pub order_id: u64,
    /// The slot.
    pub slot: u16,
    /// The escrowed price.
    pub price: u128,
    /// The buyer.
    pub buyer: Address,
    /// The order's deadline (chain time).
    pub deadline: u64,
    /// Where the agent is with it.
    pub stage: OrderStage,
}

/// The stages of an order in the outbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum OrderStage {
    /// Seen on chain; nothing done yet.
    Seen,
    /// About to vend (or vending): on restart the machine's audit record decides.
    Dispensing,
    /// The outcome is signed and must reach the chain.
    Attested {
        /// What the machine did (None: it was not asked, too little time was left).
        vend: Option<VendOutcome>,
        /// What the attestation says.
        outcome: Outcome,
        /// sha2-256 of the receipt metadata (zero for a failed vend).
        metadata_digest: B256,
        /// The machine key's signature.
        signature: Bytes,
    },
    /// Finished.
    Settled {
        /// What the machine did (None if it never vended).
        vend: Option<VendOutcome>,
        /// How it ended.
        how: Settlement,
    },
    /// The machine cannot say whether it vended; the order is left to time out (buyer refunded) and flagged.
    NeedsReview {
        /// Why.
        reason: String,
    },
}

/// How an order ended, from the agent's side.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Settlement {
    /// Our attestation was mined.
    Attested {
        /// The attestation's outcome.
        outcome: Outcome,
        /// The transaction.
        tx: B256,
    },
    /// Someone settled it first (our attestation submitted by another party, or a refund).
    AlreadySettled,
    /// Not dispensed because too little time was left; a vend-failed attestation refunded the buyer.
    Declined,
    /// The deadline passed before our attestation landed; the buyer was refunded.
    Expired,
}

/// A sale made against a voucher, and where it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfflineRecord {
    /// Local sequence number (also the vend session `offline:<seq>`).
    pub seq: u64,
    /// The buyer's voucher.
    pub voucher: VoucherData,
    /// The buyer's signature.
    pub voucher_signature: Bytes,
    /// The voucher's EIP-712 digest.
    pub voucher_hash: B256,
    /// The slot.
    pub slot: u16,
    /// The price charged.
    pub price: u128,
    /// When it was sold (last known chain time).
    pub sold_at: u64,
    /// Where it is.
    pub stage: OfflineStage,
}

/// A buyer's voucher ([`Voucher`]) in storable form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VoucherData {
    /// The buyer.
    pub buyer: Address,
    /// Most the voucher pays.
    pub max_amount: u128,
    /// The buyer's voucher nonce.
    pub nonce: u64,
    /// Last time a sale may use it.
    pub expiry: u64,
}

impl OrderStage {
    /// Whether the agent has nothing more to do with the order.
    pub fn is_finished(&self) -> bool {
        matches!(self, Self::Settled { .. } | Self::NeedsReview { .. })
    }
}

impl From<&Voucher> for VoucherData {
    fn from(v: &Voucher) -> Self {
        Self { buyer: v.buyer, max_amount: v.maxAmount, nonce: v.nonce, expiry: v.expiry }
    }
}

impl From<&VoucherData> for Voucher {
    fn from(v: &VoucherData) -> Self {
        Self { buyer: v.buyer, maxAmount: v.max_amount, nonce: v.nonce, expiry: v.expiry }
    }
}

/// A machine's offline sale record ([`OfflineSale`]) in storable form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SaleData {
    /// The voucher's EIP-712 digest.
    pub voucher_hash: B256,
    /// The machine.
    pub machine_id: u64,
    /// The slot.
    pub slot: u16,
    /// The price.
    pub price: u128,
    /// When it was sold.
    pub sold_at: u64,
    /// sha2-256 of the receipt metadata.
    pub metadata_digest: B256,
}

impl From<&OfflineSale> for SaleData {
    fn from(s: &OfflineSale) -> Self {
        Self {
            voucher_hash: s.voucherHash,
            machine_id: s.machineId,
            slot: s.slot,
            price: s.price,
            sold_at: s.soldAt,
            metadata_digest: s.metadataDigest,
        }
    }
}

impl From<&SaleData> for OfflineSale {
    fn from(s: &SaleData) -> Self {
        Self {
            voucherHash: s.voucher_hash,
            machineId: s.machine_id,
            slot: s.slot,
            price: s.price,
            soldAt: s.sold_at,
            metadataDigest: s.metadata_digest,
        }
    }
}

/// The stages of an offline sale.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum OfflineStage {
    /// Voucher accepted; vending (on restart the machine's audit record decides).
    Vending,
    /// Dispensed and signed; waiting for the chain.
    Sold {
        /// The machine's signed record.
        sale: SaleData,
        /// Its signature.
        signature: Bytes,
    },
    /// Nothing was dispensed; the voucher was not used.
    Voided {
        /// What the machine did.
        vend: Option<VendOutcome>,
    },
    /// Settled on chain.
    Settled {
        /// The order recording it (0 when another party settled it first and the id is unknown).
        order_id: u64,
        /// What the buyer's allowance paid.
        charged: u128,
        /// Whether the voucher had paid for another sale first.
        double_spend: bool,
    },
    /// The chain refused it for good; kept for the operator.
    Rejected {
        /// The chain's reason.
        reason: String,
    },
}

/// What the agent must know about the chain to sell while partitioned.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainFacts {
    /// Latest chain time seen.
    pub chain_time: u64,
    /// The machine's offline credit cap.
    pub offline_credit_cap: u128,
    /// Items per slot (index = slot).
    pub items: Vec<u64>,
    /// Known prepaid allowances (buyer → balance minus pending withdrawal).
    pub prepaid: Vec<(Address, u128)>,
}

/// The outbox database.
#[derive(Debug)]
pub struct Outbox {
    db: Database,
}

fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>> {
    serde_json::to_vec(value).map_err(|e| AgentError::Outbox(format!("encode: {e}")))
}

fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T> {
    serde_json::from_slice(bytes).map_err(|e| AgentError::Outbox(format!("decode: {e}")))
}

fn db_err(e: impl std::fmt::Display) -> AgentError {
    AgentError::Outbox(e.to_string())
}

impl Outbox {
    /// Opens (or creates) the outbox at `path`.
    pub fn open(path: &Path) -> Result<Self> {
        let db = Database::create(path).map_err(|e| AgentError::Outbox(format!("{}: {e}", path.display())))?;
        let txn = db.begin_write().map_err(db_err)?;
        txn.open_table(ORDERS).map_err(db_err)?;
        txn.open_table(UNFINISHED).map_err(db_err)?;
        txn.open_table(OFFLINE).map_err(db_err)?;
        txn.open_table(META).map_err(db_err)?;
        txn.commit().map_err(db_err)?;
        Ok(Self { db })
    }

    fn meta_get<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>> {
        let txn = self.db.begin_read().map_err(db_err)?;
        let table = txn.open_table(META).map_err(db_err)?;
        table.get(key).map_err(db_err)?.map(|v| decode(v.value())).transpose()
    }

    fn meta_put<T: Serialize>(&self, key: &str, value: &T) -> Result<()> {
        let bytes = encode(value)?;
        let txn = self.db.begin_write().map_err(db_err)?;
        txn.open_table(META).map_err(db_err)?.insert(key, bytes.as_slice()).map_err(db_err)?;
        txn.commit().map_err(db_err)
    }

    /// The next block to scan for events.
    pub fn cursor(&self) -> Result<Option<u64>> {
        self.meta_get("cursor")
    }

    /// Records new orders and advances the cursor to `next_block`, atomically. Orders already known keep
    /// their stage.
    pub fn record_orders(&self, orders: &[OrderRecord], next_block: u64) -> Result<usize> {
        let txn = self.db.begin_write().map_err(db_err)?;
        let mut added = 0;
        {
            let mut table = txn.open_table(ORDERS).map_err(db_err)?;
            let mut unfinished = txn.open_table(UNFINISHED).map_err(db_err)?;
            for order in orders {
                if table.get(order.order_id).map_err(db_err)?.is_none() {
                    let bytes = encode(order)?;
                    table.insert(order.order_id, bytes.as_slice()).map_err(db_err)?;
                    if !order.stage.is_finished() {
                        unfinished.insert(order.order_id, ()).map_err(db_err)?;
                    }
                    added += 1;
                }
            }
            let cursor = encode(&next_block)?;
            txn.open_table(META).map_err(db_err)?.insert("cursor", cursor.as_slice()).map_err(db_err)?;
        }
        txn.commit().map_err(db_err)?;
        Ok(added)
    }

    /// Replaces an order's record.
    pub fn put_order(&self, order: &OrderRecord) -> Result<()> {
        let bytes = encode(order)?;
        let txn = self.db.begin_write().map_err(db_err)?;
        txn.open_table(ORDERS).map_err(db_err)?.insert(order.order_id, bytes.as_slice()).map_err(db_err)?;
        let mut unfinished = txn.open_table(UNFINISHED).map_err(db_err)?;
        if order.stage.is_finished() {
            unfinished.remove(order.order_id).map_err(db_err)?;
        } else {
            unfinished.insert(order.order_id, ()).map_err(db_err)?;
        }
        drop(unfinished);
        txn.commit().map_err(db_err)
    }

    /// The orders not yet finished, by id.
    pub fn unfinished_orders(&self) -> Result<Vec<OrderRecord>> {
        let txn = self.db.begin_read().map_err(db_err)?;
        let ids = txn.open_table(UNFINISHED).map_err(db_err)?;
        let orders = txn.open_table(ORDERS).map_err(db_err)?;
        let mut out = Vec::new();
        for entry in ids.iter().map_err(db_err)? {
            let (id, _) = entry.map_err(db_err)?;
            let id = id.value();
            let record = orders
                .get(id)
                .map_err(db_err)?
                .ok_or_else(|| AgentError::Outbox(format!("order {id} is listed as unfinished but has no record")))?;
            out.push(decode(record.value())?);
        }
        Ok(out)
    }

    /// One order.
    pub fn order(&self, order_id: u64) -> Result<Option<OrderRecord>> {
        let txn = self.db.begin_read().map_err(db_err)?;
        let table = txn.open_table(ORDERS).map_err(db_err)?;
        table.get(order_id).map_err(db_err)?.map(|v| decode(v.value())).transpose()
    }

    /// Every order, by id.
    pub fn orders(&self) -> Result<Vec<OrderRecord>> {
        let txn = self.db.begin_read().map_err(db_err)?;
        let table = txn.open_table(ORDERS).map_err(db_err)?;
        let mut out = Vec::new();
        for entry in table.iter().map_err(db_err)? {
            let (_, v) = entry.map_err(db_err)?;
            out.push(decode(v.value())?);
        }
        Ok(out)
    }

    /// Takes the next quote nonce (durably, so a restart never reuses one).
    pub fn next_quote_nonce(&self) -> Result<u64> {
        let txn = self.db.begin_write().map_err(db_err)?;
        let nonce = {
            let mut table = txn.open_table(META).map_err(db_err)?;
            let current: u64 = match table.get("quote_nonce").map_err(db_err)? {
                Some(v) => decode(v.value())?,
                None => 0,
            };
            let next = encode(&(current + 1))?;
            table.insert("quote_nonce", next.as_slice()).map_err(db_err)?;
            current
        };
        txn.commit().map_err(db_err)?;
        Ok(nonce)
    }

    /// The chain facts saved at the last successful sync.
    pub fn facts(&self) -> Result<ChainFacts> {
        Ok(self.meta_get("facts")?.unwrap_or_default())
    }

    /// Saves the chain facts.
    pub fn put_facts(&self, facts: &ChainFacts) -> Result<()> {
        self.meta_put("facts", facts)
    }

    /// Adds a new offline sale with the next sequence number.
    pub fn insert_offline(&self, mut record: OfflineRecord) -> Result<OfflineRecord> {
        let txn = self.db.begin_write().map_err(db_err)?;
        {
            let mut table = txn.open_table(OFFLINE).map_err(db_err)?;
            let seq = match table.last().map_err(db_err)? {
                Some((k, _)) => k.value() + 1,
                None => 1,
            };
            record.seq = seq;
            let bytes = encode(&record)?;
            table.insert(seq, bytes.as_slice()).map_err(db_err)?;
        }
        txn.commit().map_err(db_err)?;
        Ok(record)
    }

    /// Replaces an offline sale's record.
    pub fn put_offline(&self, record: &OfflineRecord) -> Result<()> {
        let bytes = encode(record)?;
        let txn = self.db.begin_write().map_err(db_err)?;
        txn.open_table(OFFLINE).map_err(db_err)?.insert(record.seq, bytes.as_slice()).map_err(db_err)?;
        txn.commit().map_err(db_err)
    }

    /// Every offline sale, by sequence.
    pub fn offline_sales(&self) -> Result<Vec<OfflineRecord>> {
        let txn = self.db.begin_read().map_err(db_err)?;
        let table = txn.open_table(OFFLINE).map_err(db_err)?;
        let mut out = Vec::new();
        for entry in table.iter().map_err(db_err)? {
            let (_, v) = entry.map_err(db_err)?;
            out.push(decode(v.value())?);
        }
        Ok(out)
    }
}
