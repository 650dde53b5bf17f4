//! The validator role: one validator key watching one origin chain.
//!
//! Like Hyperlane's validator agent, it rebuilds the origin MerkleTreeHook's incremental tree from
//! `InsertedIntoTree` events (confirmed ones only), and for every leaf signs the checkpoint
//! `(origin, merkleTreeHook, root after that leaf, leaf index, message id)` — the message-id multisig ISM
//! recovers signers from exactly that digest and does not otherwise check the root. Before signing anything
//! it passes the same correctness gate as Hyperlane's agent: its tree, extended with any not yet confirmed
//! insertions, must have the root the hook itself reports in `latestCheckpoint()`; a mismatch (a reorg, a
//! missed event) stops it signing. Signed checkpoints go to a local directory laid out like Hyperlane's
//! `file://` checkpoint syncer, whose location the validator announces once in the origin's
//! `ValidatorAnnounce`, where relayers look it up.
//!
//! The tree and the last block handled are one record in the validator's [`Progress`], written after the
//! checkpoint files: a crash in between re-signs the same leaves (deterministic signatures, same files).

use std::{future::Future, time::Duration};

use alloy_primitives::{Address, B256};
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::SolEvent;
use automat_chain::{ChainClient, ChainClientExt, alloy::Filter};
use serde::{Deserialize, Serialize};

use super::{
    bindings::{IMerkleTreeHook, IValidatorAnnounce},
    deploy::HlChain,
    message::{
        Checkpoint, CheckpointWithMessageId, MerkleTree, SignedCheckpoint, address_to_bytes32, sign_announcement,
    },
    storage::{Announcement, CheckpointStore},
};
use crate::{BridgeError, LogFollower, Progress, Result};

/// How a validator runs.
#[derive(Debug, Clone)]
pub struct ValidatorConfig {
    /// The origin chain it validates.
    pub origin: HlChain,
    /// Where it writes signed checkpoints (announced as `file://<absolute dir>`).
    pub checkpoint_dir: std::path::PathBuf,
    /// Confirmations an insertion needs before it is signed (at least 1).
    pub confirmations: u64,
}

/// What one validator tick did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ValidatorReport {
    /// The storage location was announced on chain during this tick.
    pub announced: bool,
    /// Checkpoints signed and written.
    pub signed: u32,
    /// Highest leaf index signed so far.
    pub latest_index: Option<u32>,
    /// Last origin block handled so far.
    pub block: Option<u64>,
    /// New insertions were seen but the correctness checkpoint moved meanwhile; retried next tick.
    pub deferred: bool,
}

/// The validator's durable state.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct ValidatorState {
    tree: MerkleTree,
    block: Option<u64>,
    announced: Option<String>,
}

/// A validator daemon for one origin chain.
#[derive(Debug)]
pub struct Validator<C> {
    client: C,
    signer: PrivateKeySigner,
    origin: HlChain,
    store: CheckpointStore,
    progress: Progress,
    follower: LogFollower,
    key: String,
}

enum Gate {
    Passed,
    Moved,
}

impl<C: ChainClient> Validator<C> {
    /// A validator signing with `signer`, reading the origin (and sending its announcement) through
    /// `client`, which may sign transactions with another, funded account.
    pub fn new(client: C, signer: PrivateKeySigner, config: ValidatorConfig, progress: Progress) -> Result<Self> {
        if client.chain_id() != config.origin.chain_id {
            return Err(BridgeError::Config(format!(
                "validator client is on chain {}, the origin is chain {}",
                client.chain_id(),
                config.origin.chain_id
            )));
        }
        let store = CheckpointStore::create(&config.checkpoint_dir)?;
        let follower = LogFollower::new(
            config.origin.merkle_tree_hook,
            IMerkleTreeHook::InsertedIntoTree::SIGNATURE_HASH,
            config.confirmations,
        );
        let key = format!("hl/validator/{}/{}", config.origin.domain, signer.address());
        Ok(Self { client, signer, origin: config.origin, store, progress, follower, key })
    }

    /// The validator's address.
    pub fn address(&self) -> Address {
        self.signer.address()
    }

    /// Its checkpoint store.
    pub fn store(&self) -> &CheckpointStore {
        &self.store
    }

    fn state(&self) -> Result<ValidatorState> {
        Ok(self.progress.get(&self.key)?.unwrap_or_default())
    }

    /// Announces the checkpoint location in the origin's ValidatorAnnounce unless it is already announced
    /// there. Returns whether a transaction was sent.
    pub async fn announce(&self) -> Result<bool> {
        let location = self.store.location();
        let va = self.origin.validator_announce;
        let known = self
            .client
            .call_sol(va, &IValidatorAnnounce::getAnnouncedStorageLocationsCall { validators: vec![self.address()] })
            .await?;
        if known.first().is_some_and(|locations| locations.contains(&location)) {
            return Ok(false);
        }
        let signature = sign_announcement(&self.signer, self.origin.domain, self.origin.mailbox, &location)?;
        self.store.write_announcement(&Announcement {
            validator: self.address(),
            mailbox_address: address_to_bytes32(self.origin.mailbox),
            mailbox_domain: self.origin.domain,
            storage_location: location.clone(),
            serialized_signature: signature.clone(),
        })?;
        self.client
            .send_sol(
                va,
                &IValidatorAnnounce::announceCall { validator: self.address(), storageLocation: location, signature },
            )
            .await?;
        Ok(true)
    }

    /// One pass: announce if not done yet, ingest newly confirmed insertions, pass the correctness gate, sign
    /// and write their checkpoints, record progress.
    pub async fn tick(&mut self) -> Result<ValidatorReport> {
        let mut state = self.state()?;
        let mut report = ValidatorReport {
            latest_index: state.tree.count().checked_sub(1),
            block: state.block,
            ..ValidatorReport::default()
        };
        let location = self.store.location();
        if state.announced.as_deref() != Some(location.as_str()) {
            report.announced = self.announce().await?;
            state.announced = Some(location);
            self.progress.put(&self.key, &state)?;
        }

        let Some(batch) = self.follower.next(&self.client, state.block).await? else {
            return Ok(report);
        };
        let mut tree = state.tree.clone();
        let mut queue = Vec::new();
        for log in &batch.logs {
            let inserted = decode_insertion(log)?;
            if inserted.index < tree.count() {
                continue;
            }
            if inserted.index > tree.count() {
                return Err(BridgeError::Config(format!(
                    "InsertedIntoTree at index {} but {} leaves are known: an insertion is missing",
                    inserted.index,
                    tree.count()
                )));
            }
            tree.insert(inserted.messageId)?;
            queue.push((tree.root(), inserted.index, inserted.messageId));
        }

        if !queue.is_empty() {
            if let Gate::Moved = self.correctness_gate(&tree, batch.to_block).await? {
                report.deferred = true;
                return Ok(report);
            }
            let hook = address_to_bytes32(self.origin.merkle_tree_hook);
            for (root, index, message_id) in &queue {
                let value = CheckpointWithMessageId {
                    checkpoint: Checkpoint {
                        merkle_tree_hook_address: hook,
                        mailbox_domain: self.origin.domain,
                        root: *root,
                        index: *index,
                    },
                    message_id: *message_id,
                };
                self.store.write_checkpoint(&SignedCheckpoint::sign(&self.signer, value)?)?;
                report.signed += 1;
            }
            if let Some((_, index, _)) = queue.last() {
                self.store.write_latest_index(*index)?;
            }
        }

        state.tree = tree;
        state.block = Some(batch.to_block);
        self.progress.put(&self.key, &state)?;
        report.latest_index = state.tree.count().checked_sub(1);
        report.block = state.block;
        Ok(report)
    }

    /// Hyperlane's correctness gate: the confirmed tree, extended with the insertions after `to_block`, must
    /// have the root the hook reports now. `Moved` when more leaves arrived between the reads.
    async fn correctness_gate(&self, tree: &MerkleTree, to_block: u64) -> Result<Gate> {
        let head = self.client.block_number().await?;
        let mut full = tree.clone();
        if head > to_block {
            let filter = Filter::new()
                .address(self.origin.merkle_tree_hook)
                .event_signature(IMerkleTreeHook::InsertedIntoTree::SIGNATURE_HASH)
                .from_block(to_block + 1)
                .to_block(head);
            let mut logs = self.client.logs(&filter).await?;
            logs.sort_by_key(|l| (l.block_number, l.log_index));
            for log in &logs {
                let inserted = decode_insertion(log)?;
                if inserted.index == full.count() {
                    full.insert(inserted.messageId)?;
                } else if inserted.index > full.count() {
                    return Ok(Gate::Moved);
                }
            }
        }
        let checkpoint =
            self.client.call_sol(self.origin.merkle_tree_hook, &IMerkleTreeHook::latestCheckpointCall {}).await?;
        let (root, index): (B256, u32) = (checkpoint._0, checkpoint._1);
        let on_chain = u64::from(index) + 1;
        if on_chain < u64::from(tree.count()) {
            return Err(BridgeError::Config(format!(
                "origin tree has {on_chain} leaves, fewer than the {} confirmed ones: reorg? refusing to sign",
                tree.count()
            )));
        }
        if on_chain != u64::from(full.count()) {
            return Ok(Gate::Moved);
        }
        if root != full.root() {
            return Err(BridgeError::Config(format!(
                "tree root at index {index} is {} locally but {root} on chain: reorg or missed insertion, refusing to sign",
                full.root()
            )));
        }
        Ok(Gate::Passed)
    }

    /// Ticks every `interval` until `shutdown` completes; a failed tick is logged and retried. Returns the
    /// validator.
    pub async fn run(mut self, interval: Duration, shutdown: impl Future<Output = ()>) -> Self {
        tokio::pin!(shutdown);
        loop {
            match self.tick().await {
                Ok(report) if report.signed > 0 || report.announced => {
                    tracing::debug!(validator = %self.address(), domain = self.origin.domain, ?report, "hyperlane validator tick");
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(validator = %self.address(), domain = self.origin.domain, error = %e, "hyperlane validator tick failed");
                }
            }
            tokio::select! {
                () = &mut shutdown => return self,
                () = tokio::time::sleep(interval) => {}
            }
        }
    }
}

fn decode_insertion(log: &automat_chain::alloy::Log) -> Result<IMerkleTreeHook::InsertedIntoTree> {
    IMerkleTreeHook::InsertedIntoTree::decode_log(&log.inner)
        .map(|decoded| decoded.data)
        .map_err(|e| BridgeError::Chain(automat_chain::ChainError::Decode(format!("InsertedIntoTree: {e}"))))
}
