//! The checkout keeper: the app-level role that finishes cross-chain purchases.
//!
//! The transports deliver messages; somebody still has to send each outcome back and to act when a transport
//! stalls. The keeper follows `PurchaseOpened` on every chain and, for each pending purchase:
//!
//! - reports the outcome from the machine's chain once the order is finished there (dispensed, vend failed,
//!   refunded at its deadline, or rejected on arrival), through the transport that carried the order;
//! - when the machine never answers an order by its Storefront deadline (its agent is down), refunds it there
//!   (anyone may) and reports the refund;
//! - when the order has not arrived and its delivery deadline has passed on the machine's chain, reports it
//!   expired there, which makes it final on that chain (a late copy is rejected) and refunds the buyer once the
//!   expiry arrives (error path A1);
//! - when a message (the order, or its outcome) has not been delivered `retry_after` seconds after it left,
//!   sends the same router envelope again through the other transport. The router delivers a message once, so
//!   whichever copy arrives second is dropped.
//!
//! Progress is kept in a [`Progress`] database; every step re-reads the chains first (the purchase's status,
//! the order's state on the machine's chain), so a restart repeats checks, never a report.

use std::collections::BTreeMap;

use alloy_primitives::{B256, Bytes, U256};
use alloy_sol_types::SolEvent;
use automat_bridge::{LogFollower, Progress};
use automat_chain::{ChainClient, ChainClientExt};
use automat_contracts::{
    crosschain::{CrossChain, CrossChainCheckout, CrossChainRouter, Fulfilment, PurchaseStatus, Transport},
    vending::{OrderStatus, Storefront},
};
use serde::{Deserialize, Serialize};

use crate::{CrossChainError, Result};

/// How the keeper behaves.
#[derive(Debug, Clone, Copy)]
pub struct KeeperConfig {
    /// Transport assumed when a message names none this keeper knows.
    pub primary: Transport,
    /// Seconds (chain time of the sending chain) after which an undelivered message is sent again through the
    /// other transport. `None` never retries.
    pub retry_after: Option<u64>,
    /// Confirmations before a `PurchaseOpened` is acted on.
    pub confirmations: u64,
}

impl Default for KeeperConfig {
    fn default() -> Self {
        Self { primary: Transport::LayerZero, retry_after: Some(120), confirmations: 1 }
    }
}

/// What the keeper knows about one purchase.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrackedPurchase {
    /// The buyer's chain.
    pub src_chain_id: u64,
    /// The machine's chain.
    pub dst_chain_id: u64,
    /// The purchase id on the buyer's chain.
    pub purchase_id: u64,
    /// The order message as sent.
    pub order: Bytes,
    /// Its hash.
    pub order_hash: B256,
    /// Its delivery deadline (chain time).
    pub deliver_by: u64,
    /// The router envelope of the order.
    pub order_envelope: Bytes,
    /// The transport the order went through first.
    pub order_transport: u8,
    /// The buyer chain's time when the keeper first saw it.
    pub seen_at: u64,
    /// Whether the order was sent again through the other transport.
    pub order_retried: bool,
    /// The outcome message, once this keeper sent it.
    pub report: Option<SentReport>,
    /// How it ended (`None` while pending).
    pub ended: Option<Ending>,
}

/// An outcome message the keeper sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SentReport {
    /// Its router envelope (on the machine's chain).
    pub envelope: Bytes,
    /// The transport it went through first.
    pub transport: u8,
    /// The machine chain's time when it was sent.
    pub sent_at: u64,
    /// Whether it was sent again through the other transport.
    pub retried: bool,
    /// Whether it declared the order expired (never arrived in time).
    pub expiry: bool,
}

/// How a purchase ended on the buyer's chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Ending {
    /// Dispensed and settled.
    Settled,
    /// Refunded in full.
    Refunded,
}

/// What one tick did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeeperReport {
    /// New purchases seen.
    pub discovered: usize,
    /// Outcomes sent (finished or rejected orders).
    pub reported: usize,
    /// Expiries sent (orders that never arrived in time).
    pub expired: usize,
    /// Messages sent again through the other transport.
    pub retried: usize,
    /// Orders the machine never answered by their deadline, refunded on its chain by the keeper.
    pub machine_timeouts: usize,
    /// Purchases that reached their end on the buyer's chain.
    pub ended: usize,
    /// Purchases still pending after this tick.
    pub pending: usize,
    /// Errors met (each retried next tick).
    pub errors: Vec<String>,
}

/// Purchases still pending: the only range a tick reads.
const PURCHASE_PREFIX: &str = "purchase/";
/// Purchases that ended, moved out of the pending range.
const ENDED_PREFIX: &str = "ended/";

fn purchase_key(src: u64, id: u64) -> String {
    format!("{PURCHASE_PREFIX}{src:020}/{id:020}")
}

fn ended_key(src: u64, id: u64) -> String {
    format!("{ENDED_PREFIX}{src:020}/{id:020}")
}

/// The checkout keeper over a set of chains, each reached through its own client.
#[derive(Debug)]
pub struct CheckoutKeeper<C> {
    chains: BTreeMap<u64, CrossChain<C>>,
    progress: Progress,
    config: KeeperConfig,
}

impl<C: ChainClient> CheckoutKeeper<C> {
    /// A keeper over `chains` (the app handle on each chain, through the account that pays for reports and
    /// retries), recording in `progress`.
    pub fn new(chains: Vec<CrossChain<C>>, progress: Progress, config: KeeperConfig) -> Self {
        let chains = chains.into_iter().map(|c| (c.app().chain_id, c)).collect();
        Self { chains, progress, config }
    }

    /// Every purchase the keeper has seen.
    pub fn purchases(&self) -> Result<Vec<TrackedPurchase>> {
        let mut all: Vec<TrackedPurchase> = self.pending()?;
        all.extend(self.progress.scan(ENDED_PREFIX)?.into_iter().map(|(_, p)| p));
        all.sort_by_key(|p| (p.src_chain_id, p.purchase_id));
        Ok(all)
    }

    fn pending(&self) -> Result<Vec<TrackedPurchase>> {
        Ok(self.progress.scan(PURCHASE_PREFIX)?.into_iter().map(|(_, p)| p).collect())
    }

    /// Hands the progress database back.
    pub fn into_progress(self) -> Progress {
        self.progress
    }

    /// Discovers new purchases, then advances every pending one.
    pub async fn tick(&mut self) -> Result<KeeperReport> {
        let mut report = KeeperReport::default();
        let chain_ids: Vec<u64> = self.chains.keys().copied().collect();
        for chain_id in &chain_ids {
            if let Err(e) = self.discover(*chain_id, &mut report).await {
                if matches!(e, CrossChainError::Bridge(automat_bridge::BridgeError::Progress(_))) {
                    return Err(e);
                }
                report.errors.push(format!("discover on {chain_id}: {e}"));
            }
        }
        for purchase in self.pending()? {
            let key = purchase_key(purchase.src_chain_id, purchase.purchase_id);
            match self.advance(purchase, &mut report).await {
                Ok(updated) if updated.ended.is_some() => {
                    let done = ended_key(updated.src_chain_id, updated.purchase_id);
                    self.progress.move_to(&key, &done, &updated)?;
                }
                Ok(updated) => {
                    report.pending += 1;
                    self.progress.put(&key, &updated)?;
                }
                Err(e) => {
                    report.pending += 1;
                    report.errors.push(format!("{key}: {e}"));
                }
            }
        }
        Ok(report)
    }

    /// Ticks every `interval` until `shutdown` completes; returns the keeper.
    pub async fn run(mut self, interval: std::time::Duration, shutdown: impl Future<Output = ()>) -> Self {
        tokio::pin!(shutdown);
        loop {
            match self.tick().await {
                Ok(r) if r.discovered + r.reported + r.expired + r.retried + r.ended > 0 || !r.errors.is_empty() => {
                    tracing::info!(
                        discovered = r.discovered,
                        reported = r.reported,
                        expired = r.expired,
                        retried = r.retried,
                        ended = r.ended,
                        pending = r.pending,
                        errors = ?r.errors,
                        "keeper tick"
                    );
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "keeper tick failed"),
            }
            tokio::select! {
                () = &mut shutdown => return self,
                () = tokio::time::sleep(interval) => {}
            }
        }
    }

    fn chain(&self, chain_id: u64) -> Result<&CrossChain<C>> {
        self.chains.get(&chain_id).ok_or(CrossChainError::UnknownChain(chain_id))
    }

    async fn discover(&mut self, chain_id: u64, report: &mut KeeperReport) -> Result<()> {
        let chain = self.chain(chain_id)?;
        let follower = LogFollower::new(
            chain.app().checkout,
            CrossChainCheckout::PurchaseOpened::SIGNATURE_HASH,
            self.config.confirmations,
        );
        let stream = format!("opened/{chain_id}");
        let Some(batch) = follower.next(chain.client(), self.progress.cursor(&stream)?).await? else {
            return Ok(());
        };
        for log in &batch.logs {
            let opened = CrossChainCheckout::PurchaseOpened::decode_log(&log.inner)
                .map_err(|e| CrossChainError::Decode(format!("PurchaseOpened: {e}")))?
                .data;
            let purchase_id: u64 = opened.purchaseId.saturating_to();
            let key = purchase_key(chain_id, purchase_id);
            if self.progress.get::<TrackedPurchase>(&key)?.is_some()
                || self.progress.get::<TrackedPurchase>(&ended_key(chain_id, purchase_id))?.is_some()
            {
                continue;
            }
            let tx = log.transaction_hash.ok_or_else(|| CrossChainError::Decode("log without transaction".into()))?;
            let receipt = chain
                .client()
                .receipt(tx)
                .await?
                .ok_or_else(|| CrossChainError::Decode(format!("no receipt for {tx}")))?;
            let sent = receipt
                .events::<CrossChainRouter::MessageSent>()
                .into_iter()
                .find(|e| e.nonce == opened.routerNonce)
                .ok_or_else(|| CrossChainError::Decode(format!("no MessageSent in {tx}")))?;
            let seen_at = chain.client().block_timestamp().await?;
            let tracked = TrackedPurchase {
                src_chain_id: chain_id,
                dst_chain_id: opened.dstChainId,
                purchase_id,
                order: opened.order,
                order_hash: opened.orderHash,
                deliver_by: opened.deliverBy,
                order_envelope: sent.envelope,
                order_transport: sent.transport,
                seen_at,
                order_retried: false,
                report: None,
                ended: None,
            };
            self.progress.put(&key, &tracked)?;
            report.discovered += 1;
        }
        self.progress.set_cursor(&stream, batch.to_block)?;
        Ok(())
    }

    async fn advance(&self, mut p: TrackedPurchase, report: &mut KeeperReport) -> Result<TrackedPurchase> {
        let src = self.chain(p.src_chain_id)?;
        let dst = self.chain(p.dst_chain_id)?;
        match src.purchase_status(p.purchase_id).await? {
            PurchaseStatus::Settled => {
                p.ended = Some(Ending::Settled);
                report.ended += 1;
                return Ok(p);
            }
            PurchaseStatus::Refunded => {
                p.ended = Some(Ending::Refunded);
                report.ended += 1;
                return Ok(p);
            }
            _ => {}
        }
        let incoming = dst.incoming(p.src_chain_id, p.order_hash).await?;
        let dst_now = dst.client().block_timestamp().await?;
        match Fulfilment::from(incoming.state) {
            Fulfilment::None if dst_now > p.deliver_by => {
                self.send_report(dst, &mut p, dst_now, true).await?;
                report.expired += 1;
            }
            Fulfilment::None => {
                let src_now = src.client().block_timestamp().await?;
                if !p.order_retried && self.due(p.seen_at, src_now) {
                    let other = self.transport(p.order_transport).other();
                    src.retry(&p.order_envelope, other).await?;
                    p.order_retried = true;
                    report.retried += 1;
                }
            }
            Fulfilment::Accepted => {
                let order = dst
                    .client()
                    .call_sol(dst.app().storefront, &Storefront::orderOfCall { orderId: incoming.orderId })
                    .await?;
                let mut finished = OrderStatus::from(order.status) != OrderStatus::Open;
                if !finished && dst_now > order.deadline {
                    // The machine never answered (its agent is down): anyone may refund after the deadline,
                    // which returns the price to the checkout, so the buyer's refund can go back.
                    dst.client()
                        .send_sol(dst.app().storefront, &Storefront::refundExpiredCall { orderId: incoming.orderId })
                        .await?;
                    report.machine_timeouts += 1;
                    finished = true;
                }
                if finished {
                    self.send_report(dst, &mut p, dst_now, false).await?;
                    report.reported += 1;
                }
            }
            Fulfilment::Rejected => {
                self.send_report(dst, &mut p, dst_now, false).await?;
                report.reported += 1;
            }
            Fulfilment::Reported | Fulfilment::Unknown(_) => {
                if let Some(sent) = p.report.as_mut()
                    && !sent.retried
                    && self.due(sent.sent_at, dst_now)
                {
                    let other = self.transport(sent.transport).other();
                    dst.retry(&sent.envelope, other).await?;
                    sent.retried = true;
                    report.retried += 1;
                }
            }
        }
        Ok(p)
    }

    async fn send_report(&self, dst: &CrossChain<C>, p: &mut TrackedPurchase, now: u64, expiry: bool) -> Result<()> {
        // Answer through a transport known to work: the one that carried the order, or the other one if the
        // order needed a retry or never arrived through the one it was sent on.
        let sent_on = self.transport(p.order_transport);
        let transport = if p.order_retried || expiry { sent_on.other() } else { sent_on };
        let (_, envelope, _) = dst.report(p.src_chain_id, &p.order, transport).await?;
        p.report = Some(SentReport { envelope, transport: transport.id(), sent_at: now, retried: false, expiry });
        Ok(())
    }

    fn due(&self, since: u64, now: u64) -> bool {
        self.config.retry_after.is_some_and(|after| now >= since.saturating_add(after))
    }

    fn transport(&self, id: u8) -> Transport {
        Transport::from_id(id).unwrap_or(self.config.primary)
    }
}

/// Sum over `chains` of what non-home gateways minted, minus what the home gateway holds locked: the bridge
/// invariant says it is never positive.
pub async fn minted_minus_locked<C: ChainClient>(chains: &[CrossChain<C>]) -> Result<i128> {
    let mut minted = U256::ZERO;
    let mut locked = U256::ZERO;
    for chain in chains {
        if chain.app().is_home {
            locked += chain.locked().await?;
        } else {
            minted += chain.minted().await?;
        }
    }
    let to_i128 = |v: U256| i128::try_from(v).map_err(|_| CrossChainError::Decode(format!("amount {v} too large")));
    Ok(to_i128(minted)? - to_i128(locked)?)
}
