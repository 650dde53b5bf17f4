//! The relayer role: carries messages between the chains it serves.
//!
//! For every origin it follows the Mailbox's `Dispatch` events with a confirmation depth, and the
//! MerkleTreeHook's `InsertedIntoTree` events of the same blocks for each message's leaf index. For each
//! message to a destination it serves it then does what Hyperlane's relayer does for a message-id multisig
//! ISM: asks the destination Mailbox for the recipient's ISM (`recipientIsm`), reads its validators and
//! threshold, looks up each validator's checkpoint storage in the *origin's* ValidatorAnnounce, fetches the
//! signed checkpoint at the message's leaf index, keeps those that are for this message, this origin and
//! this hook and recover to that validator, builds the metadata from `threshold` of them in validator order
//! and calls the destination's `Mailbox.process(metadata, message)`.
//!
//! Durability: every message seen is recorded in the relayer's [`Progress`] (status, attempts, last error)
//! and the origin's undelivered messages form a durable retry set; the per-origin cursor moves past a batch
//! of blocks only once every message in it is recorded, so nothing is skipped, and a message that cannot be
//! delivered yet (signatures missing, recipient reverting) is retried on later ticks without holding back
//! the ones after it. Before submitting, the relayer asks the destination `delivered(id)`; a crash between a
//! mined `process` and its record is therefore repaired by the next tick, never delivered twice (the Mailbox
//! itself refuses a second delivery too).

use std::{
    collections::{BTreeMap, BTreeSet, HashMap},
    future::Future,
    time::Duration,
};

use alloy_primitives::{Address, B256, Bytes};
use alloy_sol_types::SolEvent;
use automat_chain::{ChainClient, ChainClientExt, ChainError, alloy::Filter};
use serde::{Deserialize, Serialize};

use super::{
    bindings::{IMailbox, IMerkleTreeHook, IValidatorAnnounce, MODULE_TYPE_MESSAGE_ID_MULTISIG},
    deploy::{HlChain, read_quorum_for},
    message::{HlMessage, MESSAGE_VERSION, SignedCheckpoint, address_to_bytes32, message_id_metadata},
    storage::{CheckpointStore, FILE_SCHEME},
};
use crate::{BridgeError, LogFollower, Progress, Result};

/// How a relayer runs.
#[derive(Debug, Clone)]
pub struct RelayerConfig {
    /// Confirmations a `Dispatch` needs before the relayer picks the message up (at least 1).
    pub confirmations: u64,
}

impl Default for RelayerConfig {
    fn default() -> Self {
        Self { confirmations: 1 }
    }
}

/// Where a message stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum MessageStatus {
    /// Not delivered yet; retried every tick.
    Pending,
    /// Delivered on the destination.
    Delivered {
        /// The `process` transaction, when this relayer knows it (`None`: found already delivered).
        tx: Option<B256>,
        /// Gas used by that transaction.
        gas_used: Option<u64>,
        /// The account that called `process` (`Mailbox.processor`).
        processor: Address,
    },
    /// Can never be delivered by this relayer; not retried.
    Failed {
        /// Why.
        reason: String,
    },
}

/// A message as the relayer records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RelayedMessage {
    /// Message id.
    pub id: B256,
    /// Origin domain.
    pub origin: u32,
    /// Destination domain.
    pub destination: u32,
    /// Origin Mailbox nonce.
    pub nonce: u32,
    /// Leaf index in the origin MerkleTreeHook (`None`: never inserted).
    pub leaf_index: Option<u32>,
    /// Origin block of the `Dispatch`.
    pub dispatch_block: u64,
    /// The encoded message.
    pub message: Bytes,
    /// Where it stands.
    pub status: MessageStatus,
    /// `process` submissions that reverted.
    pub attempts: u32,
    /// The last reason it could not be delivered.
    pub last_error: Option<String>,
}

/// What one relayer tick did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RelayerReport {
    /// New `Dispatch` events read.
    pub seen: u32,
    /// Of those, messages to destinations this relayer does not serve.
    pub ignored: u32,
    /// Messages this tick delivered.
    pub delivered: u32,
    /// Messages found already delivered (by another relayer, or by this one before a crash).
    pub already_delivered: u32,
    /// Messages that cannot be proven yet: short of a quorum of valid checkpoint signatures, or their recipient's
    /// ISM is not a message-id multisig this relayer can build metadata for (the reason is recorded).
    pub waiting_for_signatures: u32,
    /// Messages whose `process` reverted (recipient or ISM refused); retried next tick.
    pub reverted: u32,
    /// Messages recorded as permanently failed this tick.
    pub failed: u32,
}

/// Where [`Relayer::inject_crash`] makes the next tick stop, as a crash there would.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RelayerCrashPoint {
    /// New messages recorded, the origin's cursor not yet advanced.
    AfterRecord,
    /// A `process` transaction mined, its delivery not yet recorded.
    AfterSubmit,
}

/// A relayer daemon serving every pair of the chains it is given (a chain to itself included).
#[derive(Debug)]
pub struct Relayer<C> {
    chains: BTreeMap<u32, (C, HlChain)>,
    progress: Progress,
    config: RelayerConfig,
    crash_at: Option<RelayerCrashPoint>,
}

fn cursor_key(origin: u32) -> String {
    format!("hl/relayer/dispatch/{origin}")
}

fn message_key(origin: u32, nonce: u32) -> String {
    format!("hl/relayer/msg/{origin:010}/{nonce:010}")
}

fn pending_key(origin: u32) -> String {
    format!("hl/relayer/pending/{origin:010}")
}

impl<C: ChainClient> Relayer<C> {
    /// A relayer over `chains`, each with a client signing as the relayer's account on that chain.
    pub fn new(chains: Vec<(C, HlChain)>, progress: Progress, config: RelayerConfig) -> Result<Self> {
        let mut map = BTreeMap::new();
        for (client, chain) in chains {
            if client.chain_id() != chain.chain_id {
                return Err(BridgeError::Config(format!(
                    "relayer client is on chain {}, deployment is for chain {}",
                    client.chain_id(),
                    chain.chain_id
                )));
            }
            let domain = chain.domain;
            if map.insert(domain, (client, chain)).is_some() {
                return Err(BridgeError::Config(format!("domain {domain} given twice")));
            }
        }
        Ok(Self { chains: map, progress, config, crash_at: None })
    }

    /// Makes the next tick stop at `point` with an error, leaving the store as a crash there would.
    pub fn inject_crash(&mut self, point: RelayerCrashPoint) {
        self.crash_at = Some(point);
    }

    fn crash_point(&mut self, point: RelayerCrashPoint) -> Result<()> {
        if self.crash_at == Some(point) {
            self.crash_at = None;
            return Err(BridgeError::Progress(format!("simulated crash at {point:?}")));
        }
        Ok(())
    }

    /// The relayer's progress store.
    pub fn progress(&self) -> &Progress {
        &self.progress
    }

    /// The recorded message `nonce` of `origin`.
    pub fn message(&self, origin: u32, nonce: u32) -> Result<Option<RelayedMessage>> {
        self.progress.get(&message_key(origin, nonce))
    }

    /// Every recorded message, by origin then nonce.
    pub fn messages(&self) -> Result<Vec<RelayedMessage>> {
        Ok(self.progress.scan::<RelayedMessage>("hl/relayer/msg/")?.into_iter().map(|(_, m)| m).collect())
    }

    /// One pass: record newly confirmed dispatches of every origin, then try to deliver every pending message.
    pub async fn tick(&mut self) -> Result<RelayerReport> {
        let mut report = RelayerReport::default();
        let domains: Vec<u32> = self.chains.keys().copied().collect();
        for &origin in &domains {
            self.scan(origin, &mut report).await?;
        }
        for &origin in &domains {
            self.deliver_pending(origin, &mut report).await?;
        }
        Ok(report)
    }

    fn chain(&self, domain: u32) -> Result<&(C, HlChain)> {
        self.chains.get(&domain).ok_or_else(|| BridgeError::Config(format!("relayer does not serve domain {domain}")))
    }

    fn pending(&self, origin: u32) -> Result<BTreeSet<u32>> {
        Ok(self.progress.get(&pending_key(origin))?.unwrap_or_default())
    }

    /// Records the confirmed dispatches after the origin's cursor, then advances the cursor.
    async fn scan(&mut self, origin: u32, report: &mut RelayerReport) -> Result<()> {
        let stream = cursor_key(origin);
        let cursor = self.progress.cursor(&stream)?;
        let (client, chain) = self.chain(origin)?;
        let follower = LogFollower::new(chain.mailbox, IMailbox::Dispatch::SIGNATURE_HASH, self.config.confirmations);
        let Some(batch) = follower.next(client, cursor).await? else {
            return Ok(());
        };
        let mut leaves = HashMap::new();
        if !batch.logs.is_empty() {
            let filter = Filter::new()
                .address(chain.merkle_tree_hook)
                .event_signature(IMerkleTreeHook::InsertedIntoTree::SIGNATURE_HASH)
                .from_block(cursor.map_or(0, |c| c + 1))
                .to_block(batch.to_block);
            for log in client.logs(&filter).await? {
                let inserted = IMerkleTreeHook::InsertedIntoTree::decode_log(&log.inner)
                    .map_err(|e| ChainError::Decode(format!("InsertedIntoTree: {e}")))?
                    .data;
                leaves.insert(inserted.messageId, inserted.index);
            }
        }

        let mut pending = self.pending(origin)?;
        for log in &batch.logs {
            let dispatch = IMailbox::Dispatch::decode_log(&log.inner)
                .map_err(|e| ChainError::Decode(format!("Dispatch: {e}")))?
                .data;
            let message = HlMessage::decode(&dispatch.message)?;
            report.seen += 1;
            if !self.chains.contains_key(&message.destination) {
                report.ignored += 1;
                continue;
            }
            let key = message_key(origin, message.nonce);
            if let Some(known) = self.progress.get::<RelayedMessage>(&key)? {
                if known.status == MessageStatus::Pending {
                    pending.insert(message.nonce);
                }
                continue;
            }
            let id = message.id();
            let leaf_index = leaves.get(&id).copied();
            let status = if message.version != MESSAGE_VERSION {
                MessageStatus::Failed {
                    reason: format!("message version {} is not {MESSAGE_VERSION}", message.version),
                }
            } else if leaf_index.is_none() {
                MessageStatus::Failed {
                    reason: format!(
                        "not inserted into the origin MerkleTreeHook {} (dispatched with another hook): no validator \
                         checkpoint can cover it",
                        chain.merkle_tree_hook
                    ),
                }
            } else {
                MessageStatus::Pending
            };
            if status == MessageStatus::Pending {
                pending.insert(message.nonce);
            } else {
                report.failed += 1;
            }
            let record = RelayedMessage {
                id,
                origin,
                destination: message.destination,
                nonce: message.nonce,
                leaf_index,
                dispatch_block: log.block_number.unwrap_or(batch.to_block),
                message: dispatch.message,
                status,
                attempts: 0,
                last_error: None,
            };
            self.progress.put(&key, &record)?;
        }
        self.progress.put(&pending_key(origin), &pending)?;
        self.crash_point(RelayerCrashPoint::AfterRecord)?;
        self.progress.set_cursor(&stream, batch.to_block)
    }

    /// Tries every pending message of `origin` once.
    async fn deliver_pending(&mut self, origin: u32, report: &mut RelayerReport) -> Result<()> {
        let pending = self.pending(origin)?;
        if pending.is_empty() {
            return Ok(());
        }
        let mut remaining = BTreeSet::new();
        for &nonce in &pending {
            let key = message_key(origin, nonce);
            let Some(mut record) = self.progress.get::<RelayedMessage>(&key)? else {
                continue;
            };
            if record.status != MessageStatus::Pending {
                continue;
            }
            self.try_deliver(&mut record, report).await?;
            self.progress.put(&key, &record)?;
            if record.status == MessageStatus::Pending {
                remaining.insert(nonce);
            }
        }
        if remaining != pending {
            self.progress.put(&pending_key(origin), &remaining)?;
        }
        Ok(())
    }

    async fn try_deliver(&mut self, record: &mut RelayedMessage, report: &mut RelayerReport) -> Result<()> {
        let (dest_client, dest) = self.chain(record.destination)?;
        if let Some(status) = delivered_status(dest_client, dest.mailbox, record.id).await? {
            record.status = status;
            report.already_delivered += 1;
            return Ok(());
        }
        let Some(leaf_index) = record.leaf_index else {
            record.status = MessageStatus::Failed { reason: "no leaf index".into() };
            report.failed += 1;
            return Ok(());
        };
        let message = HlMessage::decode(&record.message)?;
        let metadata = match self.metadata(&message, record.id, leaf_index).await? {
            Ok(metadata) => metadata,
            Err(shortfall) => {
                record.last_error = Some(shortfall);
                report.waiting_for_signatures += 1;
                return Ok(());
            }
        };

        let (dest_client, dest) = self.chain(record.destination)?;
        let call = IMailbox::processCall { metadata, message: record.message.clone() };
        match dest_client.send_sol(dest.mailbox, &call).await {
            Ok(receipt) => {
                let processor = dest_client.sender();
                self.crash_point(RelayerCrashPoint::AfterSubmit)?;
                record.status = MessageStatus::Delivered {
                    tx: Some(receipt.transaction_hash),
                    gas_used: Some(receipt.gas_used),
                    processor,
                };
                record.last_error = None;
                report.delivered += 1;
            }
            Err(e @ (ChainError::Reverted { .. } | ChainError::Halted { .. })) => {
                if let Some(status) = delivered_status(dest_client, dest.mailbox, record.id).await? {
                    record.status = status;
                    report.already_delivered += 1;
                } else {
                    record.attempts += 1;
                    record.last_error = Some(e.to_string());
                    report.reverted += 1;
                    tracing::info!(origin = record.origin, nonce = record.nonce, error = %e, "hyperlane process reverted; will retry");
                }
            }
            Err(e) => return Err(e.into()),
        }
        Ok(())
    }

    /// The message-id multisig metadata for `message`, or why it cannot be built yet.
    async fn metadata(
        &self,
        message: &HlMessage,
        id: B256,
        leaf_index: u32,
    ) -> Result<std::result::Result<Bytes, String>> {
        let (dest_client, dest) = self.chain(message.destination)?;
        let (origin_client, origin) = self.chain(message.origin)?;
        let ism = dest_client
            .call_sol(dest.mailbox, &IMailbox::recipientIsmCall { recipient: message.recipient_address() })
            .await?;
        // A recipient may name any ISM: one that is not a message-id multisig (or misbehaves) holds back only
        // its own messages, recorded with the reason, never the relayer.
        let quorum = match read_quorum_for(dest_client, ism, message.encode()).await {
            Ok(quorum) => quorum,
            Err(BridgeError::Chain(
                e @ (ChainError::Reverted { .. } | ChainError::Halted { .. } | ChainError::Decode(_)),
            )) => {
                return Ok(Err(format!("recipient ISM {ism} is not a readable multisig ISM: {e}")));
            }
            Err(e) => return Err(e),
        };
        if quorum.module_type != MODULE_TYPE_MESSAGE_ID_MULTISIG {
            return Ok(Err(format!(
                "recipient ISM {ism} has module type {}; this relayer builds message-id multisig metadata only",
                quorum.module_type
            )));
        }
        let threshold = usize::from(quorum.threshold);
        let locations = origin_client
            .call_sol(
                origin.validator_announce,
                &IValidatorAnnounce::getAnnouncedStorageLocationsCall { validators: quorum.validators.clone() },
            )
            .await?;
        let hook = address_to_bytes32(origin.merkle_tree_hook);
        // Valid signed checkpoints, in validator order.
        let mut valid: Vec<SignedCheckpoint> = Vec::new();
        for (validator, announced) in quorum.validators.iter().zip(locations.iter()) {
            let Some(store) = announced
                .iter()
                .rev()
                .find(|l| l.starts_with(FILE_SCHEME))
                .and_then(|l| CheckpointStore::from_location(l).ok())
            else {
                continue;
            };
            let Some(signed) = store.fetch_checkpoint(leaf_index) else {
                continue;
            };
            let c = &signed.value.checkpoint;
            let matches = signed.value.message_id == id
                && c.index == leaf_index
                && c.mailbox_domain == message.origin
                && c.merkle_tree_hook_address == hook;
            if matches && signed.recover().ok() == Some(*validator) {
                valid.push(signed);
            }
        }
        // All signatures in one metadata must be over the same root.
        let mut by_root: Vec<(B256, Vec<[u8; 65]>)> = Vec::new();
        for signed in &valid {
            let root = signed.value.checkpoint.root;
            let signature = signed.signature_bytes()?;
            match by_root.iter_mut().find(|(r, _)| *r == root) {
                Some((_, signatures)) => signatures.push(signature),
                None => by_root.push((root, vec![signature])),
            }
        }
        match by_root.into_iter().find(|(_, signatures)| signatures.len() >= threshold) {
            Some((root, signatures)) => Ok(Ok(message_id_metadata(hook, root, leaf_index, &signatures[..threshold]))),
            None => Ok(Err(format!(
                "{} of the {threshold} checkpoint signatures needed for leaf {leaf_index} are available",
                valid.len()
            ))),
        }
    }

    /// Ticks every `interval` until `shutdown` completes; a failed tick is logged and retried. Returns the
    /// relayer.
    pub async fn run(mut self, interval: Duration, shutdown: impl Future<Output = ()>) -> Self {
        tokio::pin!(shutdown);
        loop {
            match self.tick().await {
                Ok(report) if report != RelayerReport::default() => {
                    tracing::debug!(?report, "hyperlane relayer tick");
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "hyperlane relayer tick failed"),
            }
            tokio::select! {
                () = &mut shutdown => return self,
                () = tokio::time::sleep(interval) => {}
            }
        }
    }
}

/// `Some(Delivered)` when the destination Mailbox has delivered `id`.
async fn delivered_status<C: ChainClient>(client: &C, mailbox: Address, id: B256) -> Result<Option<MessageStatus>> {
    if !client.call_sol(mailbox, &IMailbox::deliveredCall { messageId: id }).await? {
        return Ok(None);
    }
    let processor = client.call_sol(mailbox, &IMailbox::processorCall { messageId: id }).await?;
    Ok(Some(MessageStatus::Delivered { tx: None, gas_used: None, processor }))
}
