//! The agent proper: follows the Storefront, drives the machine, signs and submits outcomes, sells offline.

use std::{
    collections::{BTreeMap, BTreeSet},
    future::Future,
    path::PathBuf,
    time::Duration,
};

use alloy_primitives::{Address, B256, Bytes, U256};
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::{SolEvent, SolStruct};
use automat_chain::{ChainClient, alloy::Filter, decode_events};
use automat_contracts::vending::{
    Attestation, OfflineSale, Outcome, PAYMENT_DECIMALS, Quote, Storefront, SuiteAddresses, Vending, Voucher,
    sign_typed,
};
use automat_store::{
    BlobStore,
    cid::{ipfs_uri, sha256_of},
    metadata::{ReceiptMetadata, Sale},
};
use serde::{Deserialize, Serialize};

use crate::{
    AgentError, Result,
    driver::{DispenseDriver, DriverError, VendOutcome, VendRequest},
    outbox::{ChainFacts, OfflineRecord, OfflineStage, OrderRecord, OrderStage, Outbox, SaleData, Settlement},
};

/// Where a crash can be injected (tests and the simulator kill the agent there and restart it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CrashPoint {
    /// New orders recorded, nothing done with them.
    OrderSeen,
    /// "Dispensing" recorded, the machine not yet asked.
    BeforeVend,
    /// The machine vended; the outcome not yet recorded.
    AfterVend,
    /// The attestation signed and recorded, not yet submitted.
    AfterAttestationStored,
    /// The attestation mined, the settlement not yet recorded.
    AfterAttestationSubmitted,
    /// A voucher accepted and recorded, the machine not yet asked.
    VoucherAccepted,
    /// The machine vended against a voucher; the outcome not yet recorded.
    AfterOfflineVend,
    /// An offline sale settled on chain; the settlement not yet recorded.
    AfterOfflineSettle,
}

/// How an agent runs.
#[derive(Debug, Clone)]
pub struct AgentConfig {
    /// The machine it drives.
    pub machine_id: u64,
    /// The vending suite on the machine's chain.
    pub suite: SuiteAddresses,
    /// Where the outbox and the metadata blobs live.
    pub data_dir: PathBuf,
    /// Do not start a vend with less than this many seconds left before the order's deadline.
    pub dispense_margin: u64,
    /// How long a quote stays valid, in seconds.
    pub quote_ttl: u64,
    /// First block to scan on a fresh outbox.
    pub start_block: u64,
    /// Most blocks per log query.
    pub log_range: u64,
    /// Also publish receipt metadata to this IPFS node (Kubo RPC API); the local blob store always has it.
    pub kubo: Option<automat_store::KuboClient>,
}

impl AgentConfig {
    /// Defaults: 30 s dispense margin, 5 min quotes, scan from block 0 in ranges of 5,000 blocks.
    pub fn new(machine_id: u64, suite: SuiteAddresses, data_dir: impl Into<PathBuf>) -> Self {
        Self {
            machine_id,
            suite,
            data_dir: data_dir.into(),
            dispense_margin: 30,
            quote_ttl: 300,
            start_block: 0,
            log_range: 5_000,
            kubo: None,
        }
    }
}

/// A quote signed by the machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedQuote {
    /// The quote.
    pub quote: Quote,
    /// The machine key's signature.
    pub signature: Bytes,
}

/// Where a market price came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum PriceSource {
    /// The slot's oracle feed, active and fresh.
    Oracle,
    /// The operator's manual price: no feed is bound to the slot, or the feed is frozen (consensus override).
    Manual,
}

/// The price the machine charges for a slot now, and where it came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct MarketPrice {
    /// Token units.
    pub price: u128,
    /// Its source.
    pub source: PriceSource,
}

/// What one poll did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PollReport {
    /// New orders seen.
    pub new_orders: usize,
    /// Orders dispensed (attested) in this poll.
    pub dispensed: usize,
    /// Orders refunded through a vend-failed attestation in this poll.
    pub vend_failed: usize,
    /// Orders found settled by someone else, declined or expired.
    pub closed_otherwise: usize,
    /// Offline sales settled in this poll.
    pub offline_settled: usize,
    /// Of those, double spends.
    pub double_spends: usize,
    /// Offline sales the chain refused for good.
    pub offline_rejected: usize,
}

/// What came of a voucher presented offline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OfflineSaleOutcome {
    /// The item came out; the sale waits for the chain.
    Sold {
        /// Local sequence number.
        seq: u64,
        /// `ipfs://` URI of the receipt metadata.
        metadata_uri: String,
    },
    /// The vend failed; the voucher was not used.
    NotDispensed(VendOutcome),
}

/// A snapshot of the agent's books.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct AgentStatus {
    /// The machine.
    pub machine_id: u64,
    /// Orders per stage name.
    pub orders: BTreeMap<String, usize>,
    /// Offline sales per stage name.
    pub offline: BTreeMap<String, usize>,
    /// Value sold offline and not yet settled.
    pub offline_exposure: u128,
    /// The offline credit cap last read from the chain.
    pub offline_credit_cap: u128,
    /// Latest chain time seen.
    pub chain_time: u64,
}

/// Signs a buyer's voucher for `storefront_domain` (the buyer's side of an offline sale).
pub fn sign_voucher<S: SignerSync>(buyer: &S, suite: &SuiteAddresses, voucher: &Voucher) -> Result<Bytes> {
    Ok(sign_typed(buyer, &suite.domain(), voucher)?)
}

/// The machine agent for one machine.
#[derive(Debug)]
pub struct Agent<C, D> {
    vending: Vending<C>,
    driver: D,
    key: PrivateKeySigner,
    config: AgentConfig,
    outbox: Outbox,
    blobs: BlobStore,
    crash_at: Option<CrashPoint>,
}

fn stage_name(stage: &OrderStage) -> &'static str {
    match stage {
        OrderStage::Seen => "seen",
        OrderStage::Dispensing => "dispensing",
        OrderStage::Attested { .. } => "attested",
        OrderStage::Settled { .. } => "settled",
        OrderStage::NeedsReview { .. } => "needs_review",
    }
}

fn offline_stage_name(stage: &OfflineStage) -> &'static str {
    match stage {
        OfflineStage::Vending => "vending",
        OfflineStage::Sold { .. } => "sold",
        OfflineStage::Voided { .. } => "voided",
        OfflineStage::Settled { .. } => "settled",
        OfflineStage::Rejected { .. } => "rejected",
    }
}

impl<C: ChainClient, D: DispenseDriver> Agent<C, D> {
    /// Opens the agent's outbox and blob store under `config.data_dir`. `client` submits transactions (any
    /// funded account; attestations carry the machine key's signature, not the sender's).
    pub fn open(client: C, driver: D, key: PrivateKeySigner, config: AgentConfig) -> Result<Self> {
        std::fs::create_dir_all(&config.data_dir)
            .map_err(|e| AgentError::Config(format!("{}: {e}", config.data_dir.display())))?;
        let outbox = Outbox::open(&config.data_dir.join("outbox.redb"))?;
        let blobs = BlobStore::open(config.data_dir.join("blobs"))?;
        let vending = Vending::new(client, config.suite);
        Ok(Self { vending, driver, key, config, outbox, blobs, crash_at: None })
    }

    /// Makes the agent fail with [`AgentError::SimulatedCrash`] the next time it reaches `point`.
    pub fn inject_crash(&mut self, point: CrashPoint) {
        self.crash_at = Some(point);
    }

    fn checkpoint(&mut self, point: CrashPoint) -> Result<()> {
        if self.crash_at == Some(point) {
            self.crash_at = None;
            return Err(AgentError::SimulatedCrash(point));
        }
        Ok(())
    }

    /// The machine's signing address.
    pub fn machine_address(&self) -> Address {
        self.key.address()
    }

    /// The outbox.
    pub fn outbox(&self) -> &Outbox {
        &self.outbox
    }

    /// The metadata blob store.
    pub fn blobs(&self) -> &BlobStore {
        &self.blobs
    }

    /// The driver.
    pub fn driver(&self) -> &D {
        &self.driver
    }

    /// The Storefront handle.
    pub fn vending(&self) -> &Vending<C> {
        &self.vending
    }

    /// The configuration.
    pub fn config(&self) -> &AgentConfig {
        &self.config
    }

    /// Signs a quote for one unit of `slot` at `price`, valid for `quote_ttl` seconds of chain time.
    pub async fn quote(&self, slot: u16, price: u128) -> Result<SignedQuote> {
        let machine_id = self.config.machine_id;
        let s = self.vending.slot(machine_id, slot).await?;
        if price < s.minPrice || price > s.maxPrice {
            return Err(AgentError::QuoteRefused(format!(
                "price {price} outside slot {slot}'s band [{}, {}]",
                s.minPrice, s.maxPrice
            )));
        }
        if s.stock == 0 {
            return Err(AgentError::QuoteRefused(format!("slot {slot} is sold out")));
        }
        let now = self.vending.client().block_timestamp().await?;
        let nonce = self.outbox.next_quote_nonce()?;
        let quote = Quote { machineId: machine_id, slot, price, expiry: now + self.config.quote_ttl, nonce };
        let signature = sign_typed(&self.key, &self.config.suite.domain(), &quote)?;
        Ok(SignedQuote { quote, signature })
    }

    /// The price of `slot` now: the aggregated oracle price when the Storefront binds the slot to a feed that is
    /// active and fresh (the Storefront holds quotes to it); the operator's `manual_price` when no feed is bound or
    /// the feed is frozen by a consensus override. A bound feed that is stale refuses: the Storefront would refuse
    /// the quote too.
    pub async fn market_price(&self, slot: u16, manual_price: u128) -> Result<MarketPrice> {
        use automat_chain::ChainClientExt as _;
        let client = self.vending.client();
        let feed = client
            .call_sol(
                self.config.suite.storefront,
                &automat_contracts::vending::Storefront::priceFeedOfCall { machineId: self.config.machine_id, slot },
            )
            .await?;
        let manual = MarketPrice { price: manual_price, source: PriceSource::Manual };
        if feed.aggregator == alloy_primitives::Address::ZERO {
            return Ok(manual);
        }
        let latest = client
            .call_sol(feed.aggregator, &automat_contracts::oracle::OracleAggregator::latestCall { feedId: feed.feedId })
            .await?;
        match automat_contracts::oracle::FeedStatus::from(latest.status) {
            automat_contracts::oracle::FeedStatus::Frozen => Ok(manual),
            _ => {
                let now = client.block_timestamp().await?;
                if latest.updatedAt == 0 || now.saturating_sub(latest.updatedAt) > u64::from(feed.maxAge) {
                    return Err(AgentError::QuoteRefused(format!("slot {slot}'s oracle price is stale")));
                }
                let price = u128::try_from(latest.value)
                    .map_err(|_| AgentError::QuoteRefused(format!("slot {slot}'s oracle price is not positive")))?;
                Ok(MarketPrice { price, source: PriceSource::Oracle })
            }
        }
    }

    /// Signs a quote for one unit of `slot` at its [`market_price`](Self::market_price).
    pub async fn quote_at_market(&self, slot: u16, manual_price: u128) -> Result<(SignedQuote, PriceSource)> {
        let market = self.market_price(slot, manual_price).await?;
        Ok((self.quote(slot, market.price).await?, market.source))
    }

    /// One round against the chain: picks up new orders, carries every unfinished order forward (vend, sign,
    /// submit), settles offline sales, and refreshes what partition mode needs to know. Fails with an
    /// error for which [`AgentError::is_unreachable`] holds when the chain cannot be reached; nothing is lost
    /// and the next poll resumes.
    pub async fn poll(&mut self) -> Result<PollReport> {
        let mut report = PollReport::default();
        self.resume_offline_vends().await?;
        let head = self.vending.client().block_number().await?;
        let (facts, new_orders) = self.sync(head).await?;
        report.new_orders = new_orders;
        if report.new_orders > 0 {
            self.checkpoint(CrashPoint::OrderSeen)?;
        }
        for order in self.outbox.unfinished_orders()? {
            let finished = self.advance_order(order, &facts).await?;
            match finished {
                Some(Settlement::Attested { outcome: Outcome::Dispensed, .. }) => report.dispensed += 1,
                Some(Settlement::Attested { outcome: Outcome::VendFailed, .. }) => report.vend_failed += 1,
                Some(_) => report.closed_otherwise += 1,
                None => {}
            }
        }
        self.reconcile_offline(&mut report).await?;
        Ok(report)
    }

    /// Polls every `interval` until `shutdown` completes. Unreachable chains are waited out (offline sales
    /// continue through [`Agent::sell_offline`]); other errors are logged and retried.
    pub async fn run(&mut self, interval: Duration, shutdown: impl Future<Output = ()>) -> Result<()> {
        tokio::pin!(shutdown);
        let mut online = true;
        loop {
            let result = self.poll().await;
            note_poll(self.config.machine_id, &mut online, result)?;
            tokio::select! {
                () = &mut shutdown => return Ok(()),
                () = tokio::time::sleep(interval) => {}
            }
        }
    }

    /// The agent's books.
    pub fn status(&self) -> Result<AgentStatus> {
        let facts = self.outbox.facts()?;
        let mut status = AgentStatus {
            machine_id: self.config.machine_id,
            offline_credit_cap: facts.offline_credit_cap,
            chain_time: facts.chain_time,
            ..AgentStatus::default()
        };
        for order in self.outbox.orders()? {
            *status.orders.entry(stage_name(&order.stage).to_string()).or_default() += 1;
        }
        for sale in self.outbox.offline_sales()? {
            *status.offline.entry(offline_stage_name(&sale.stage).to_string()).or_default() += 1;
            if matches!(sale.stage, OfflineStage::Vending | OfflineStage::Sold { .. }) {
                status.offline_exposure += sale.price;
            }
        }
        Ok(status)
    }

    // ------------------------------------------------------------------ online

    /// Reads the chain from the cursor up to `head`: new orders for this machine, and which buyers' allowances
    /// changed (deposits, withdrawal requests, withdrawals, offline settlements). Refreshes the facts partition
    /// mode needs — re-reading only the allowances that changed — and saves them before the cursor moves past
    /// the blocks they came from, so a crash in between rescans rather than misses a change. Returns the facts
    /// and how many orders were new.
    async fn sync(&mut self, head: u64) -> Result<(ChainFacts, usize)> {
        let client = self.vending.client();
        let storefront = self.config.suite.storefront;
        let from = self.outbox.cursor()?.unwrap_or(self.config.start_block);
        let mut orders = Vec::new();
        let mut changed = BTreeSet::new();
        for (lo, hi) in ranges(from, head, self.config.log_range) {
            let placed = Filter::new()
                .address(storefront)
                .event_signature(Storefront::OrderPlaced::SIGNATURE_HASH)
                .topic2(B256::from(U256::from(self.config.machine_id)))
                .from_block(lo)
                .to_block(hi);
            for placed in decode_events::<Storefront::OrderPlaced>(&client.logs(&placed).await?) {
                let order_id = u64::try_from(placed.orderId)
                    .map_err(|_| AgentError::Outbox(format!("order id {} does not fit u64", placed.orderId)))?;
                orders.push(OrderRecord {
                    order_id,
                    slot: placed.slot,
                    price: placed.price,
                    buyer: placed.buyer,
                    deadline: placed.deadline,
                    stage: OrderStage::Seen,
                });
            }
            let allowances = Filter::new()
                .address(storefront)
                .event_signature(vec![
                    Storefront::PrepaidDeposited::SIGNATURE_HASH,
                    Storefront::PrepaidWithdrawalRequested::SIGNATURE_HASH,
                    Storefront::PrepaidWithdrawn::SIGNATURE_HASH,
                    Storefront::OfflineSaleSettled::SIGNATURE_HASH,
                ])
                .from_block(lo)
                .to_block(hi);
            let logs = client.logs(&allowances).await?;
            changed.extend(decode_events::<Storefront::PrepaidDeposited>(&logs).into_iter().map(|e| e.buyer));
            changed.extend(decode_events::<Storefront::PrepaidWithdrawalRequested>(&logs).into_iter().map(|e| e.buyer));
            changed.extend(decode_events::<Storefront::PrepaidWithdrawn>(&logs).into_iter().map(|e| e.buyer));
            changed.extend(decode_events::<Storefront::OfflineSaleSettled>(&logs).into_iter().map(|e| e.buyer));
        }

        let mut facts = self.outbox.facts()?;
        facts.chain_time = client.block_timestamp().await?;
        let machine = self.vending.machine(self.config.machine_id).await?;
        facts.offline_credit_cap = machine.offlineCreditCap;
        facts.items.clear();
        for slot in 0..machine.slotCount {
            facts.items.push(self.vending.slot(self.config.machine_id, slot).await?.itemId);
        }
        for buyer in changed {
            let p = self.vending.prepaid(buyer).await?;
            let available = p.balance.saturating_sub(p.pendingWithdrawal);
            match facts.prepaid.iter_mut().find(|(b, _)| *b == buyer) {
                Some((_, allowance)) => *allowance = available,
                None => facts.prepaid.push((buyer, available)),
            }
        }
        self.outbox.put_facts(&facts)?;
        let added = self.outbox.record_orders(&orders, head + 1)?;
        Ok((facts, added))
    }

    /// Carries one order as far as it goes; returns how it settled if it did.
    async fn advance_order(&mut self, mut order: OrderRecord, facts: &ChainFacts) -> Result<Option<Settlement>> {
        loop {
            match order.stage.clone() {
                OrderStage::Seen => {
                    let status = self.vending.order_status(U256::from(order.order_id)).await?;
                    if status != automat_contracts::vending::OrderStatus::Open {
                        return self.settle(order, None, Settlement::AlreadySettled);
                    }
                    let now = self.vending.client().block_timestamp().await?;
                    if now > order.deadline {
                        return self.expire(order, None).await;
                    }
                    if now + self.config.dispense_margin > order.deadline {
                        // Too late to vend safely: refund the buyer now rather than at the deadline.
                        let signature = self.sign_attestation(order.order_id, Outcome::VendFailed, B256::ZERO)?;
                        order.stage = OrderStage::Attested {
                            vend: None,
                            outcome: Outcome::VendFailed,
                            metadata_digest: B256::ZERO,
                            signature,
                        };
                        self.outbox.put_order(&order)?;
                        continue;
                    }
                    order.stage = OrderStage::Dispensing;
                    self.outbox.put_order(&order)?;
                    self.checkpoint(CrashPoint::BeforeVend)?;
                }
                OrderStage::Dispensing => {
                    let session = format!("order:{}", order.order_id);
                    let vend = match self.driver.recall(&session).await {
                        Ok(Some(outcome)) => outcome,
                        Ok(None) => {
                            // Never started. Time spent down since "dispensing" was recorded may have eaten the
                            // margin: vending now could deliver the item and still miss the deadline (buyer
                            // refunded too). Decide again as for a new order.
                            let now = self.vending.client().block_timestamp().await?;
                            if now + self.config.dispense_margin > order.deadline {
                                order.stage = OrderStage::Seen;
                                continue;
                            }
                            let item_id = facts.items.get(usize::from(order.slot)).copied().unwrap_or_default();
                            let request = VendRequest { session, slot: order.slot, item_id, price: order.price };
                            let outcome = self.driver.vend(&request).await?;
                            self.checkpoint(CrashPoint::AfterVend)?;
                            outcome
                        }
                        Err(DriverError::RecallUnsupported(reason)) => {
                            order.stage = OrderStage::NeedsReview { reason };
                            self.outbox.put_order(&order)?;
                            return Ok(None);
                        }
                        Err(e) => return Err(e.into()),
                    };
                    let (outcome, metadata_digest) = if vend.dispensed() {
                        let now = self.vending.client().block_timestamp().await.unwrap_or(facts.chain_time);
                        let item_id = facts.items.get(usize::from(order.slot)).copied().unwrap_or_default();
                        let sale = Sale {
                            order_id: U256::from(order.order_id),
                            ..self.sale(order.slot, order.price, order.buyer, item_id, now)
                        };
                        (Outcome::Dispensed, self.store_metadata(&sale).await?.0)
                    } else {
                        (Outcome::VendFailed, B256::ZERO)
                    };
                    let signature = self.sign_attestation(order.order_id, outcome, metadata_digest)?;
                    order.stage = OrderStage::Attested { vend: Some(vend), outcome, metadata_digest, signature };
                    self.outbox.put_order(&order)?;
                    self.checkpoint(CrashPoint::AfterAttestationStored)?;
                }
                OrderStage::Attested { vend, outcome, metadata_digest, signature } => {
                    let attestation = Attestation {
                        orderId: U256::from(order.order_id),
                        outcome: outcome as u8,
                        metadataDigest: metadata_digest,
                    };
                    match self.vending.attest(&attestation, signature).await {
                        Ok(receipt) => {
                            self.checkpoint(CrashPoint::AfterAttestationSubmitted)?;
                            let how = if vend.is_none() {
                                Settlement::Declined
                            } else {
                                Settlement::Attested { outcome, tx: receipt.transaction_hash }
                            };
                            return self.settle(order, vend, how);
                        }
                        Err(e) => {
                            let e = AgentError::from(e);
                            match e.revert_name() {
                                Some("OrderNotOpen") => return self.settle(order, vend, Settlement::AlreadySettled),
                                Some("OrderExpired") => return self.expire(order, vend).await,
                                _ => return Err(e),
                            }
                        }
                    }
                }
                OrderStage::Settled { .. } | OrderStage::NeedsReview { .. } => return Ok(None),
            }
        }
    }

    fn settle(
        &mut self,
        mut order: OrderRecord,
        vend: Option<VendOutcome>,
        how: Settlement,
    ) -> Result<Option<Settlement>> {
        order.stage = OrderStage::Settled { vend, how: how.clone() };
        self.outbox.put_order(&order)?;
        Ok(Some(how))
    }

    /// The deadline passed: return the buyer's money (anyone may) and close the order.
    async fn expire(&mut self, order: OrderRecord, vend: Option<VendOutcome>) -> Result<Option<Settlement>> {
        if let Err(e) = self.vending.refund_expired(U256::from(order.order_id)).await {
            let e = AgentError::from(e);
            if e.revert_name() != Some("OrderNotOpen") {
                return Err(e);
            }
        }
        if vend.is_some_and(|v| v.dispensed()) {
            tracing::warn!(order = order.order_id, "dispensed but the attestation missed the deadline; buyer refunded");
        }
        self.settle(order, vend, Settlement::Expired)
    }

    fn sign_attestation(&self, order_id: u64, outcome: Outcome, metadata_digest: B256) -> Result<Bytes> {
        let attestation =
            Attestation { orderId: U256::from(order_id), outcome: outcome as u8, metadataDigest: metadata_digest };
        Ok(sign_typed(&self.key, &self.config.suite.domain(), &attestation)?)
    }

    /// The facts of a sale of one unit of `slot` at `price` to `buyer`, dispensed at chain time `dispensed_at`
    /// (order id 0 and no voucher: callers fill those in).
    fn sale(&self, slot: u16, price: u128, buyer: Address, item_id: u64, dispensed_at: u64) -> Sale {
        Sale {
            order_id: U256::ZERO,
            chain_id: self.config.suite.chain_id,
            storefront: self.config.suite.storefront,
            machine_id: self.config.machine_id,
            slot,
            item_id,
            price: U256::from(price),
            token: self.config.suite.token,
            token_decimals: PAYMENT_DECIMALS,
            buyer,
            dispensed_at,
            offline: false,
            voucher: None,
        }
    }

    /// Writes the receipt metadata to the blob store (and, when configured, to the IPFS node); returns its
    /// sha2-256 and `ipfs://` URI. A node that cannot be reached does not hold up the sale: the document stays
    /// in the blob store, addressed by the same CID, and the failure is logged.
    async fn store_metadata(&self, sale: &Sale) -> Result<(B256, String)> {
        let bytes = ReceiptMetadata::new(sale).to_json_bytes()?;
        let cid = self.blobs.put(&bytes)?;
        if let Some(kubo) = &self.config.kubo
            && let Err(e) = kubo.add(&bytes).await
        {
            tracing::warn!(cid = %cid, error = %e, "publishing receipt metadata to IPFS failed; kept locally");
        }
        Ok((B256::from(sha256_of(&cid)?), ipfs_uri(&cid)))
    }

    // ------------------------------------------------------------------ offline

    /// Sells one unit of `slot` at `price` against a buyer's voucher, without the chain. Refuses a voucher
    /// whose signature, amount or expiry is wrong, one already used at this machine, a buyer whose last known
    /// allowance does not cover it, and any sale that would take the machine past its offline credit cap.
    pub async fn sell_offline(
        &mut self,
        voucher: &Voucher,
        voucher_signature: Bytes,
        slot: u16,
        price: u128,
    ) -> Result<OfflineSaleOutcome> {
        self.resume_offline_vends().await?;
        let facts = self.outbox.facts()?;
        let voucher_hash = voucher.eip712_signing_hash(&self.config.suite.domain());
        let signature = alloy_primitives::Signature::try_from(voucher_signature.as_ref())
            .map_err(|e| AgentError::VoucherRefused(format!("malformed signature: {e}")))?;
        let signer = signature
            .recover_address_from_prehash(&voucher_hash)
            .map_err(|e| AgentError::VoucherRefused(format!("unrecoverable signature: {e}")))?;
        if signer != voucher.buyer {
            return Err(AgentError::VoucherRefused(format!("signed by {signer}, not by the buyer {}", voucher.buyer)));
        }
        if price > voucher.maxAmount {
            return Err(AgentError::VoucherRefused(format!("price {price} above the voucher's {}", voucher.maxAmount)));
        }
        if facts.chain_time > voucher.expiry {
            return Err(AgentError::VoucherRefused(format!("expired at {}", voucher.expiry)));
        }
        let Some(item_id) = facts.items.get(usize::from(slot)).copied() else {
            return Err(AgentError::VoucherRefused(format!("no slot {slot}")));
        };
        let sales = self.outbox.offline_sales()?;
        let live = |s: &&OfflineRecord| !matches!(s.stage, OfflineStage::Voided { .. } | OfflineStage::Rejected { .. });
        if sales.iter().filter(live).any(|s| s.voucher.buyer == voucher.buyer && s.voucher.nonce == voucher.nonce) {
            return Err(AgentError::VoucherRefused(format!(
                "voucher {} of {} already used at this machine",
                voucher.nonce, voucher.buyer
            )));
        }
        let unsettled = |s: &&OfflineRecord| matches!(s.stage, OfflineStage::Vending | OfflineStage::Sold { .. });
        let exposure: u128 = sales.iter().filter(unsettled).map(|s| s.price).sum();
        if exposure + price > facts.offline_credit_cap {
            return Err(AgentError::VoucherRefused(format!(
                "offline credit cap {} reached ({exposure} unsettled)",
                facts.offline_credit_cap
            )));
        }
        let allowance = facts.prepaid.iter().find(|(b, _)| *b == voucher.buyer).map(|(_, a)| *a).unwrap_or(0);
        let spent: u128 =
            sales.iter().filter(unsettled).filter(|s| s.voucher.buyer == voucher.buyer).map(|s| s.price).sum();
        if spent + price > allowance {
            return Err(AgentError::VoucherRefused(format!(
                "buyer's last known allowance {allowance} does not cover {price} (+{spent} unsettled here)"
            )));
        }
        let record = self.outbox.insert_offline(OfflineRecord {
            seq: 0,
            voucher: voucher.into(),
            voucher_signature,
            voucher_hash,
            slot,
            price,
            sold_at: facts.chain_time,
            stage: OfflineStage::Vending,
        })?;
        self.checkpoint(CrashPoint::VoucherAccepted)?;
        self.finish_offline_vend(record, item_id).await
    }

    /// Completes offline sales caught in the middle of a vend by a crash.
    async fn resume_offline_vends(&mut self) -> Result<()> {
        let facts = self.outbox.facts()?;
        for record in self.outbox.offline_sales()? {
            if record.stage == OfflineStage::Vending {
                let item_id = facts.items.get(usize::from(record.slot)).copied().unwrap_or_default();
                self.finish_offline_vend(record, item_id).await?;
            }
        }
        Ok(())
    }

    async fn finish_offline_vend(&mut self, mut record: OfflineRecord, item_id: u64) -> Result<OfflineSaleOutcome> {
        let session = format!("offline:{}", record.seq);
        let vend = match self.driver.recall(&session).await? {
            Some(outcome) => outcome,
            None => {
                let request = VendRequest { session, slot: record.slot, item_id, price: record.price };
                let outcome = self.driver.vend(&request).await?;
                self.checkpoint(CrashPoint::AfterOfflineVend)?;
                outcome
            }
        };
        if !vend.dispensed() {
            record.stage = OfflineStage::Voided { vend: Some(vend) };
            self.outbox.put_offline(&record)?;
            return Ok(OfflineSaleOutcome::NotDispensed(vend));
        }
        // The order id is only known once the sale settles: the document names the voucher instead.
        let sale_facts = Sale {
            offline: true,
            voucher: Some(record.voucher_hash),
            ..self.sale(record.slot, record.price, record.voucher.buyer, item_id, record.sold_at)
        };
        let (metadata_digest, metadata_uri) = self.store_metadata(&sale_facts).await?;
        let sale = OfflineSale {
            voucherHash: record.voucher_hash,
            machineId: self.config.machine_id,
            slot: record.slot,
            price: record.price,
            soldAt: record.sold_at,
            metadataDigest: metadata_digest,
        };
        let signature = sign_typed(&self.key, &self.config.suite.domain(), &sale)?;
        record.stage = OfflineStage::Sold { sale: SaleData::from(&sale), signature };
        self.outbox.put_offline(&record)?;
        Ok(OfflineSaleOutcome::Sold { seq: record.seq, metadata_uri })
    }

    /// Settles every sold offline sale on chain, oldest first.
    async fn reconcile_offline(&mut self, report: &mut PollReport) -> Result<()> {
        for mut record in self.outbox.offline_sales()? {
            let OfflineStage::Sold { sale, signature } = record.stage.clone() else { continue };
            let voucher = Voucher::from(&record.voucher);
            let sale = OfflineSale::from(&sale);
            match self.vending.settle_offline_sale(&voucher, record.voucher_signature.clone(), &sale, signature).await {
                Ok(settled) => {
                    self.checkpoint(CrashPoint::AfterOfflineSettle)?;
                    // The allowances in the facts were read before this settlement: take off what it charged, so
                    // a partition starting now does not sell against money already spent. (Written before the
                    // sale is marked settled: a crash in between counts the sale twice, which only refuses more.)
                    let mut facts = self.outbox.facts()?;
                    if let Some((_, allowance)) = facts.prepaid.iter_mut().find(|(b, _)| *b == voucher.buyer) {
                        *allowance = allowance.saturating_sub(settled.charged);
                        self.outbox.put_facts(&facts)?;
                    }
                    let order_id = u64::try_from(settled.order_id).unwrap_or(u64::MAX);
                    record.stage = OfflineStage::Settled {
                        order_id,
                        charged: settled.charged,
                        double_spend: settled.double_spend,
                    };
                    report.offline_settled += 1;
                    if settled.double_spend {
                        report.double_spends += 1;
                    }
                }
                Err(e) => {
                    let e = AgentError::from(e);
                    if e.is_unreachable() {
                        return Err(e);
                    }
                    match e.revert_name() {
                        Some("OfflineSaleAlreadySettled") => {
                            record.stage = OfflineStage::Settled { order_id: 0, charged: 0, double_spend: false };
                        }
                        Some(_) => {
                            tracing::error!(seq = record.seq, error = %e, "offline sale refused by the chain");
                            record.stage = OfflineStage::Rejected { reason: e.to_string() };
                            report.offline_rejected += 1;
                        }
                        None => return Err(e),
                    }
                }
            }
            self.outbox.put_offline(&record)?;
        }
        Ok(())
    }
}

/// Reports one poll of a running agent: logs what it did, the loss and return of the chain (once each), and
/// other failures (retried by the next poll). Only a simulated crash is passed on.
pub(crate) fn note_poll(machine: u64, online: &mut bool, result: Result<PollReport>) -> Result<()> {
    match result {
        Ok(report) => {
            if !*online {
                tracing::info!(machine, "chain reachable again; offline sales reconciled");
                *online = true;
            }
            if report != PollReport::default() {
                tracing::info!(machine, ?report, "poll");
            }
        }
        Err(e) if e.is_unreachable() => {
            if *online {
                tracing::warn!(machine, error = %e, "chain unreachable; selling on vouchers");
                *online = false;
            }
        }
        Err(AgentError::SimulatedCrash(point)) => return Err(AgentError::SimulatedCrash(point)),
        Err(e) => tracing::error!(machine, error = %e, "poll failed; will retry"),
    }
    Ok(())
}

/// Inclusive block ranges covering `from..=to` in steps of `step`.
fn ranges(from: u64, to: u64, step: u64) -> Vec<(u64, u64)> {
    let step = step.max(1);
    let mut out = Vec::new();
    let mut lo = from;
    while lo <= to {
        let hi = to.min(lo.saturating_add(step - 1));
        out.push((lo, hi));
        if hi == u64::MAX {
            break;
        }
        lo = hi + 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::ranges;

    #[test]
    fn ranges_cover_exactly() {
        assert_eq!(ranges(5, 4, 10), vec![]);
        assert_eq!(ranges(0, 0, 10), vec![(0, 0)]);
        assert_eq!(ranges(0, 25, 10), vec![(0, 9), (10, 19), (20, 25)]);
    }
}
