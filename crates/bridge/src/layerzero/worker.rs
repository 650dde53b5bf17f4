//! What the DVN and executor roles share: the streams they follow (one per pathway), the per-packet record
//! they persist, and the report of one tick.

use std::future::Future;

use alloy_primitives::{Address, B256};
use alloy_sol_types::SolEvent;
use automat_chain::{ChainClient, ChainClientExt, ChainError};
use serde::{Deserialize, Serialize};

use super::{LzChain, Packet, bindings::IEndpointV2, deploy::register_errors};
use crate::{BridgeError, LogFollower, Progress, Result};

/// Where a packet stands for one role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum PacketStatus {
    /// Not done yet: waiting (confirmations, other DVNs, an earlier nonce) or failed last time (see
    /// [`PacketRecord::last_error`]); handled again on the next tick.
    Pending,
    /// DVN role done: the ULN holds this DVN's verification (or the packet is already past it).
    Verified,
    /// Executor role: verification committed to the endpoint, delivery pending.
    Committed,
    /// Executor role done: `PacketDelivered` seen (or the endpoint shows the nonce consumed).
    Delivered,
    /// Not this role's job (another receive library, this DVN not in the config, nilified ...).
    Skipped(String),
}

/// One packet as a role has recorded it, keyed by guid in its [`Progress`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PacketRecord {
    /// The packet's guid.
    pub guid: B256,
    /// Source endpoint id.
    pub src_eid: u32,
    /// Destination endpoint id.
    pub dst_eid: u32,
    /// Nonce on its pathway.
    pub nonce: u64,
    /// The sending OApp.
    pub sender: B256,
    /// The receiving OApp.
    pub receiver: Address,
    /// Source block of its `PacketSent`.
    pub block: u64,
    /// Where it stands.
    pub status: PacketStatus,
    /// Submissions this role made for it.
    pub attempts: u32,
    /// Why the last attempt failed, if it did.
    pub last_error: Option<String>,
    /// What the packet waits for, if it waits (confirmations, other DVNs, an earlier nonce).
    pub waiting: Option<String>,
    /// The last transaction this role submitted for it.
    pub last_tx: Option<B256>,
    /// Gas of every transaction this role submitted for it.
    pub gas_used: u64,
    /// Whether this role's own transaction completed it (false: found already done on chain).
    pub by_us: bool,
    /// Every transaction this role submitted for it, in order.
    pub submissions: Vec<Submission>,
}

/// One transaction a role submitted for a packet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Submission {
    /// What it was (`"DVN.execute(verify)"`, `"commitVerification"`, `"Executor.execute302"`).
    pub step: String,
    /// The transaction.
    pub tx: B256,
    /// Gas it used.
    pub gas: u64,
    /// `None` when it did what it was for, else why not.
    pub refused: Option<String>,
}

impl PacketRecord {
    pub(crate) fn wait(&mut self, why: impl Into<String>) {
        self.waiting = Some(why.into());
    }

    /// Records a mined submission and its outcome (`Err` keeps the outcome as the refusal reason).
    pub(crate) fn submitted(&mut self, step: &str, receipt: &automat_chain::Receipt, outcome: &Result<()>) {
        self.attempts += 1;
        self.last_tx = Some(receipt.transaction_hash);
        self.gas_used += receipt.gas_used;
        self.submissions.push(Submission {
            step: step.to_string(),
            tx: receipt.transaction_hash,
            gas: receipt.gas_used,
            refused: outcome.as_ref().err().map(reason),
        });
    }

    /// The gas of the first successful submission of `step`, if any.
    pub fn gas_of(&self, step: &str) -> Option<u64> {
        self.submissions.iter().find(|s| s.step == step && s.refused.is_none()).map(|s| s.gas)
    }

    pub(crate) fn finish(&mut self, status: PacketStatus) {
        self.status = status;
        self.waiting = None;
        self.last_error = None;
    }

    pub(crate) fn new(packet: &Packet) -> Self {
        Self {
            guid: packet.guid,
            src_eid: packet.src_eid,
            dst_eid: packet.dst_eid,
            nonce: packet.nonce,
            sender: packet.sender,
            receiver: packet.receiver,
            block: packet.block,
            status: PacketStatus::Pending,
            attempts: 0,
            last_error: None,
            waiting: None,
            last_tx: None,
            gas_used: 0,
            by_us: false,
            submissions: Vec::new(),
        }
    }

    /// Whether the DVN role has nothing left to do.
    pub fn dvn_done(&self) -> bool {
        matches!(self.status, PacketStatus::Verified | PacketStatus::Delivered | PacketStatus::Skipped(_))
    }

    /// Whether the executor role has nothing left to do.
    pub fn executor_done(&self) -> bool {
        matches!(self.status, PacketStatus::Delivered | PacketStatus::Skipped(_))
    }
}

/// Key of a packet's record.
pub(crate) fn packet_key(guid: B256) -> String {
    format!("lz/packet/{guid}")
}

/// Prefix of every packet record.
pub(crate) const PACKET_PREFIX: &str = "lz/packet/";

/// A packet that failed this tick.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PacketFailure {
    /// The packet.
    pub guid: B256,
    /// What went wrong (the protocol's error or event, decoded).
    pub reason: String,
}

/// What one tick did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TickReport {
    /// Packets handled this tick (records not already done).
    pub seen: usize,
    /// DVN: verifications this tick's transactions made (`PayloadVerified` seen).
    pub verified: usize,
    /// Executor: verifications committed (`PacketVerified` seen).
    pub committed: usize,
    /// Executor: deliveries (`PacketDelivered` seen).
    pub delivered: usize,
    /// Found already done on chain, nothing submitted.
    pub already_done: usize,
    /// Not ready yet (confirmations, other DVNs, an earlier nonce).
    pub waiting: usize,
    /// Not this role's job.
    pub skipped: usize,
    /// Packets whose attempt failed (retried next tick).
    pub failed: Vec<PacketFailure>,
    /// Pathways that could not be read (e.g. an unreachable chain), with the error.
    pub stream_errors: Vec<String>,
    /// Gas of every transaction submitted.
    pub gas_used: u64,
}

/// Totals over a role's records.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    /// Records in total.
    pub packets: usize,
    /// Verified (DVN done).
    pub verified: usize,
    /// Committed, not yet delivered.
    pub committed: usize,
    /// Delivered.
    pub delivered: usize,
    /// Pending (waiting or failed).
    pub pending: usize,
    /// Pending with a recorded error.
    pub failing: usize,
    /// Skipped.
    pub skipped: usize,
}

/// Totals over the records in `progress`.
pub(crate) fn summarize(progress: &Progress) -> Result<Summary> {
    let mut summary = Summary::default();
    for (_, record) in progress.scan::<PacketRecord>(PACKET_PREFIX)? {
        summary.packets += 1;
        match record.status {
            PacketStatus::Pending => {
                summary.pending += 1;
                if record.last_error.is_some() {
                    summary.failing += 1;
                }
            }
            PacketStatus::Verified => summary.verified += 1,
            PacketStatus::Committed => summary.committed += 1,
            PacketStatus::Delivered => summary.delivered += 1,
            PacketStatus::Skipped(_) => summary.skipped += 1,
        }
    }
    Ok(summary)
}

/// A chain a role works on: its client (submitting as the role's account) and the deployment.
#[derive(Debug)]
pub(crate) struct Lane<C> {
    pub(crate) client: C,
    pub(crate) chain: LzChain,
}

/// One pathway a role follows: `PacketSent` on the source endpoint, filtered to one destination.
#[derive(Debug, Clone)]
pub(crate) struct Stream {
    pub(crate) src: usize,
    pub(crate) dst: usize,
    pub(crate) follower: LogFollower,
    pub(crate) key: String,
}

/// Lanes from `(client, deployment)` pairs (checking that they match) and one stream per ordered pair.
pub(crate) fn lanes_and_streams<C: ChainClient>(
    role: &str,
    chains: Vec<(C, LzChain)>,
    confirmations: impl Fn(u32, u32) -> u64,
) -> Result<(Vec<Lane<C>>, Vec<Stream>)> {
    let mut lanes = Vec::with_capacity(chains.len());
    for (client, chain) in chains {
        if client.chain_id() != chain.chain_id {
            return Err(BridgeError::Config(format!(
                "client of chain {} paired with the deployment on chain {}",
                client.chain_id(),
                chain.chain_id
            )));
        }
        register_errors(&client)?;
        lanes.push(Lane { client, chain });
    }
    let mut streams = Vec::new();
    for (src, s) in lanes.iter().enumerate() {
        for (dst, d) in lanes.iter().enumerate() {
            if src == dst {
                continue;
            }
            let follower = LogFollower::new(
                s.chain.endpoint,
                IEndpointV2::PacketSent::SIGNATURE_HASH,
                confirmations(s.chain.eid, d.chain.eid),
            );
            let key = format!("lz/{role}/{}->{}", s.chain.eid, d.chain.eid);
            streams.push(Stream { src, dst, follower, key });
        }
    }
    Ok((lanes, streams))
}

/// The endpoint's view of a packet on its destination.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EndpointState {
    /// The nonce is consumed and its payload hash cleared: delivered (or burnt).
    Consumed,
    /// The payload hash is stored: verified and committed, not yet delivered.
    Committed,
    /// The OApp nilified the nonce.
    Nilified,
    /// Nothing (or another payload) is stored for the nonce.
    Open,
}

/// `NIL_PAYLOAD_HASH` of `MessagingChannel`.
const NIL_PAYLOAD_HASH: B256 = B256::repeat_byte(0xff);

pub(crate) async fn endpoint_state<C: ChainClient>(
    client: &C,
    endpoint: Address,
    packet: &Packet,
) -> Result<EndpointState> {
    let hash = client
        .call_sol(
            endpoint,
            &IEndpointV2::inboundPayloadHashCall {
                receiver: packet.receiver,
                srcEid: packet.src_eid,
                sender: packet.sender,
                nonce: packet.nonce,
            },
        )
        .await?;
    if hash == packet.payload_hash() {
        return Ok(EndpointState::Committed);
    }
    if hash == NIL_PAYLOAD_HASH {
        return Ok(EndpointState::Nilified);
    }
    let lazy = client
        .call_sol(
            endpoint,
            &IEndpointV2::lazyInboundNonceCall {
                receiver: packet.receiver,
                srcEid: packet.src_eid,
                sender: packet.sender,
            },
        )
        .await?;
    if hash == B256::ZERO && packet.nonce <= lazy {
        return Ok(EndpointState::Consumed);
    }
    Ok(EndpointState::Open)
}

/// Whether `packet`'s receiver takes it through `receive_uln` on its destination (`None`), or why not.
pub(crate) async fn receive_library_mismatch<C: ChainClient>(
    client: &C,
    chain: &LzChain,
    packet: &Packet,
) -> Result<Option<String>> {
    match client
        .call_sol(
            chain.endpoint,
            &IEndpointV2::getReceiveLibraryCall { receiver: packet.receiver, eid: packet.src_eid },
        )
        .await
    {
        Ok(lib) if lib.lib == chain.receive_uln => Ok(None),
        Ok(lib) => Ok(Some(format!("receive library is {}, not ReceiveUln302 {}", lib.lib, chain.receive_uln))),
        Err(e @ ChainError::Reverted { .. }) => Ok(Some(format!("no receive library: {e}"))),
        Err(e) => Err(e.into()),
    }
}

/// An error as a packet's failure reason: the decoded custom error of a revert, the protocol's own account
/// of a refusal, else the error's text.
pub(crate) fn reason(e: &BridgeError) -> String {
    match e {
        BridgeError::Chain(ChainError::Reverted { decoded, .. }) => decoded.to_string(),
        BridgeError::Refused { reason, .. } => reason.clone(),
        other => other.to_string(),
    }
}

/// What a role does with one packet.
pub(crate) trait Role: Sync {
    /// Whether the role has nothing left to do for `record`.
    fn done(record: &PacketRecord) -> bool;

    /// Checks and, if ready, submits for one packet of `stream`; `src_head` is the source chain's head. `Ok`
    /// leaves `record` updated (done or waiting); `Err` is a failed attempt.
    fn handle(
        &self,
        stream: &Stream,
        packet: &Packet,
        src_head: u64,
        record: &mut PacketRecord,
        report: &mut TickReport,
    ) -> impl Future<Output = Result<()>> + Send;
}

/// Scans one stream from its durable cursor to the confirmed head, handing every packet for the stream's
/// destination that `done` does not already show finished to `handle`, and recording the result.
///
/// The durable cursor advances only over the longest prefix of blocks whose packets are all finished; the
/// scan itself goes on past an unfinished packet, so one stuck packet delays none after it (it is only
/// re-read on every tick). A failed attempt (`handle` returning an error other than the progress store's)
/// is recorded as the packet's `last_error` and reported, and the packet stays unfinished.
pub(crate) async fn scan_stream<C: ChainClient, R: Role>(
    role: &R,
    progress: &Progress,
    stream: &Stream,
    src: &C,
    dst_eid: u32,
    report: &mut TickReport,
) -> Result<()> {
    let done = R::done;
    let cursor = progress.cursor(&stream.key)?;
    let mut position = cursor;
    let mut blocked = false;
    while let Some(batch) = stream.follower.next(src, position).await? {
        let src_head = src.block_number().await?;
        let mut first_unfinished = None;
        for log in &batch.logs {
            let packet = Packet::from_log(log)?;
            if packet.dst_eid != dst_eid {
                continue;
            }
            let key = packet_key(packet.guid);
            let mut record = progress.get::<PacketRecord>(&key)?.unwrap_or_else(|| PacketRecord::new(&packet));
            if done(&record) {
                continue;
            }
            report.seen += 1;
            if let Err(e) = role.handle(stream, &packet, src_head, &mut record, report).await {
                if matches!(e, BridgeError::Progress(_)) {
                    return Err(e);
                }
                let why = reason(&e);
                record.waiting = None;
                record.last_error = Some(why.clone());
                report.failed.push(PacketFailure { guid: packet.guid, reason: why });
            }
            progress.put(&key, &record)?;
            if !done(&record) && first_unfinished.is_none() {
                first_unfinished = Some(packet.block);
            }
        }
        if !blocked {
            let target = match first_unfinished {
                None => Some(batch.to_block),
                Some(block) => block.checked_sub(1),
            };
            if let Some(target) = target
                && cursor.is_none_or(|c| target > c)
            {
                progress.set_cursor(&stream.key, target)?;
            }
            blocked = first_unfinished.is_some();
        }
        position = Some(batch.to_block);
    }
    Ok(())
}

/// Logs what a tick did.
pub(crate) fn log_report(role: &str, report: &TickReport) {
    if report.seen > 0 || !report.stream_errors.is_empty() {
        tracing::debug!(
            role,
            seen = report.seen,
            verified = report.verified,
            committed = report.committed,
            delivered = report.delivered,
            waiting = report.waiting,
            failed = report.failed.len(),
            "tick"
        );
    }
    for failure in &report.failed {
        tracing::warn!(role, guid = %failure.guid, reason = %failure.reason, "packet attempt failed");
    }
    for error in &report.stream_errors {
        tracing::warn!(role, error = %error, "pathway unreadable");
    }
}
