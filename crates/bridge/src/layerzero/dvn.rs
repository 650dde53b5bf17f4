//! The DVN role: watch `PacketSent` on every source chain, and on the destination have the DVN's signers
//! quorum-sign `ReceiveUln302.verify(header, payloadHash, confirmations)` for the DVN contract to execute.

use std::{future::Future, time::Duration};

use alloy_primitives::{Address, B256, Bytes, U256, keccak256};
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::{SolCall, SolEvent};
use automat_chain::{ChainClient, ChainClientExt, Receipt, RevertDecoder};

use super::{
    LzChain, Packet, PathwayConfig,
    bindings::{ExecuteParam, IDVN, IReceiveUln302},
    worker::{
        EndpointState, Lane, PacketRecord, PacketStatus, Role, Stream, Summary, TickReport, endpoint_state,
        lanes_and_streams, log_report, packet_key, receive_library_mismatch, scan_stream, summarize,
    },
};
use crate::{BridgeError, Progress, Result};

/// [`super::Submission::step`] of a DVN's verification.
pub const STEP_VERIFY: &str = "DVN.execute(verify)";

/// `ReceiveUln302.verify(header, payloadHash, confirmations)` calldata: what a DVN's signers sign for.
pub fn verify_call_data(packet: &Packet, confirmations: u64) -> Bytes {
    IReceiveUln302::verifyCall {
        packetHeader: packet.header.clone(),
        payloadHash: packet.payload_hash(),
        confirmations,
    }
    .abi_encode()
    .into()
}

/// `DVN.hashCallData`: `keccak256(abi.encodePacked(uint32 vid, address target, uint256 expiration,
/// callData))`.
pub fn instruction_hash(vid: u32, target: Address, expiration: U256, call_data: &[u8]) -> B256 {
    let mut packed = Vec::with_capacity(4 + 20 + 32 + call_data.len());
    packed.extend_from_slice(&vid.to_be_bytes());
    packed.extend_from_slice(target.as_slice());
    packed.extend_from_slice(&expiration.to_be_bytes::<32>());
    packed.extend_from_slice(call_data);
    keccak256(packed)
}

/// One EIP-191 (`"\x19Ethereum Signed Message:\n32" ‖ hash`) signature of `hash`, 65 bytes `r ‖ s ‖ v`.
pub fn sign_hash(key: &PrivateKeySigner, hash: B256) -> Result<[u8; 65]> {
    let signature = key.sign_message_sync(hash.as_slice()).map_err(|e| BridgeError::Signing(e.to_string()))?;
    Ok(signature.as_bytes())
}

/// The `signatures` field `MultiSig.verifySignatures` takes: one signature of `hash` per key, ordered by
/// ascending signer address, concatenated.
pub fn sign_instruction(keys: &[PrivateKeySigner], hash: B256) -> Result<Bytes> {
    let mut sorted: Vec<&PrivateKeySigner> = keys.iter().collect();
    sorted.sort_by_key(|k| k.address());
    let mut out = Vec::with_capacity(65 * sorted.len());
    for key in sorted {
        out.extend_from_slice(&sign_hash(key, hash)?);
    }
    Ok(out.into())
}

/// An instruction for `DVN.execute`, signed by `keys` (exactly the keys whose signatures to include).
pub fn signed_instruction(
    keys: &[PrivateKeySigner],
    vid: u32,
    target: Address,
    call_data: Bytes,
    expiration: U256,
) -> Result<ExecuteParam> {
    let hash = instruction_hash(vid, target, expiration, &call_data);
    Ok(ExecuteParam { vid, target, callData: call_data, expiration, signatures: sign_instruction(keys, hash)? })
}

/// Submits `DVN.execute(params)` from `client` (which must hold the DVN's `ADMIN_ROLE`).
pub async fn submit_execute<C: ChainClient>(client: &C, dvn: Address, params: Vec<ExecuteParam>) -> Result<Receipt> {
    Ok(client.send_sol(dvn, &IDVN::executeCall { params }).await?)
}

/// Whether `receipt` (of a `DVN.execute` with one verify instruction) shows the ULN at `receive_uln`
/// recording `dvn`'s verification of `payload_hash`. `DVN.execute` does not revert on a bad instruction: it
/// emits `VerifySignaturesFailed`, `ExecuteFailed` or `HashAlreadyUsed`, or silently skips a wrong `vid` or an
/// expired instruction, so only `PayloadVerified` counts.
pub fn expect_payload_verified(
    receipt: &Receipt,
    receive_uln: Address,
    dvn: Address,
    payload_hash: B256,
    decoder: &RevertDecoder,
) -> Result<()> {
    let verified = receipt.logs.iter().any(|log| {
        log.address() == receive_uln
            && IReceiveUln302::PayloadVerified::decode_log(&log.inner)
                .is_ok_and(|e| e.data.dvn == dvn && e.data.proofHash == payload_hash)
    });
    if verified {
        return Ok(());
    }
    let from_dvn = |log: &&automat_chain::alloy::Log| log.address() == dvn;
    let mut reasons = Vec::new();
    for log in receipt.logs.iter().filter(from_dvn) {
        if let Ok(e) = IDVN::VerifySignaturesFailed::decode_log(&log.inner) {
            reasons.push(format!("VerifySignaturesFailed(idx: {})", e.data.idx));
        } else if let Ok(e) = IDVN::ExecuteFailed::decode_log(&log.inner) {
            reasons.push(format!("ExecuteFailed(index: {}, reason: {})", e.data._index, decoder.decode(&e.data._data)));
        } else if let Ok(e) = IDVN::HashAlreadyUsed::decode_log(&log.inner) {
            reasons.push(format!("HashAlreadyUsed(hash: {})", e.data._hash));
        }
    }
    if reasons.is_empty() {
        reasons.push("no PayloadVerified: instruction skipped (wrong vid or expired)".into());
    }
    Err(BridgeError::Refused {
        protocol: "LayerZero DVN",
        what: format!("verify of payload {payload_hash}"),
        reason: reasons.join("; "),
    })
}

/// The DVN role for one DVN operator: its DVN contract on every chain (operator index `dvn_index` of each
/// [`LzChain`]), its signer keys, and a client per chain whose account holds the DVN's `ADMIN_ROLE` there.
#[derive(Debug)]
pub struct DvnWorker<C> {
    lanes: Vec<Lane<C>>,
    streams: Vec<Stream>,
    dvn_index: usize,
    keys: Vec<PrivateKeySigner>,
    progress: Progress,
    expiry: Duration,
}

impl<C: ChainClient> DvnWorker<C> {
    /// A worker for DVN operator `dvn_index` on `chains` (each a client and its deployment), signing with
    /// `keys`, following each pathway with its confirmations from `pathways`, recording in `progress`.
    pub fn new(
        chains: Vec<(C, LzChain)>,
        dvn_index: usize,
        keys: Vec<PrivateKeySigner>,
        pathways: &PathwayConfig,
        progress: Progress,
    ) -> Result<Self> {
        let (lanes, streams) =
            lanes_and_streams(&format!("dvn{dvn_index}"), chains, |s, d| pathways.security(s, d).confirmations)?;
        for lane in &lanes {
            lane.chain.dvn(dvn_index)?;
        }
        Ok(Self { lanes, streams, dvn_index, keys, progress, expiry: Duration::from_secs(600) })
    }

    /// Signed instructions expire this long after the destination's latest block (default 10 minutes).
    pub fn with_expiry(mut self, expiry: Duration) -> Self {
        self.expiry = expiry;
        self
    }

    /// The recorded state of packet `guid`.
    pub fn packet(&self, guid: B256) -> Result<Option<PacketRecord>> {
        self.progress.get(&packet_key(guid))
    }

    /// Every recorded packet, by guid.
    pub fn packets(&self) -> Result<Vec<PacketRecord>> {
        Ok(self.progress.scan(super::worker::PACKET_PREFIX)?.into_iter().map(|(_, r)| r).collect())
    }

    /// Totals over the records (how many verified, pending, failing ...).
    pub fn summary(&self) -> Result<Summary> {
        summarize(&self.progress)
    }

    /// Hands the progress database back (e.g. to reopen it elsewhere).
    pub fn into_progress(self) -> Progress {
        self.progress
    }

    /// Verifies every packet that is ready now, on every pathway.
    pub async fn tick(&mut self) -> Result<TickReport> {
        let mut report = TickReport::default();
        for index in 0..self.streams.len() {
            if let Err(e) = self.tick_stream(index, &mut report).await {
                if matches!(e, BridgeError::Progress(_)) {
                    return Err(e);
                }
                report.stream_errors.push(format!("{}: {e}", self.streams[index].key));
            }
        }
        Ok(report)
    }

    /// Ticks every `interval` until `shutdown` completes, logging (not returning) errors; returns the worker.
    pub async fn run(mut self, interval: Duration, shutdown: impl Future<Output = ()>) -> Self {
        tokio::pin!(shutdown);
        loop {
            match self.tick().await {
                Ok(report) => log_report("dvn", &report),
                Err(e) => tracing::warn!(error = %e, "DVN tick failed"),
            }
            tokio::select! {
                () = &mut shutdown => return self,
                () = tokio::time::sleep(interval) => {}
            }
        }
    }

    async fn tick_stream(&self, index: usize, report: &mut TickReport) -> Result<()> {
        let stream = &self.streams[index];
        let (src, dst) = (&self.lanes[stream.src].client, self.lanes[stream.dst].chain.eid);
        scan_stream(self, &self.progress, stream, src, dst, report).await
    }

    async fn handle_packet(
        &self,
        stream: &Stream,
        packet: &Packet,
        src_head: u64,
        record: &mut PacketRecord,
        report: &mut TickReport,
    ) -> Result<()> {
        let dst = &self.lanes[stream.dst];
        let (client, chain) = (&dst.client, &dst.chain);
        let dvn = chain.dvn(self.dvn_index)?.address;

        if let Some(why) = receive_library_mismatch(client, chain, packet).await? {
            record.finish(PacketStatus::Skipped(why));
            report.skipped += 1;
            return Ok(());
        }
        let config = client
            .call_sol(
                chain.receive_uln,
                &IReceiveUln302::getUlnConfigCall { oapp: packet.receiver, remoteEid: packet.src_eid },
            )
            .await?;
        if !config.requiredDVNs.contains(&dvn) && !config.optionalDVNs.contains(&dvn) {
            record.finish(PacketStatus::Skipped(format!("DVN {dvn} is not in the receiver's ULN config")));
            report.skipped += 1;
            return Ok(());
        }
        let have = src_head.saturating_sub(packet.block) + 1;
        if have < config.confirmations {
            record.wait(format!("{have} of {} confirmations", config.confirmations));
            report.waiting += 1;
            return Ok(());
        }

        // Idempotence: the chain, not the record, says whether there is anything left to do.
        match endpoint_state(client, chain.endpoint, packet).await? {
            EndpointState::Committed | EndpointState::Consumed => {
                record.finish(PacketStatus::Verified);
                report.already_done += 1;
                return Ok(());
            }
            EndpointState::Nilified => {
                record.finish(PacketStatus::Skipped("nilified by the receiver".into()));
                report.skipped += 1;
                return Ok(());
            }
            EndpointState::Open => {}
        }
        let lookup = client
            .call_sol(
                chain.receive_uln,
                &IReceiveUln302::hashLookupCall {
                    headerHash: packet.header_hash(),
                    payloadHash: packet.payload_hash(),
                    dvn,
                },
            )
            .await?;
        if lookup.submitted && lookup.confirmations >= config.confirmations {
            record.finish(PacketStatus::Verified);
            report.already_done += 1;
            return Ok(());
        }

        let quorum = client.call_sol(dvn, &IDVN::quorumCall {}).await?;
        let quorum = usize::try_from(quorum).map_err(|_| BridgeError::Config(format!("quorum {quorum}")))?;
        if self.keys.len() < quorum {
            return Err(BridgeError::Config(format!(
                "DVN {dvn} needs {quorum} signatures, this worker holds {} keys",
                self.keys.len()
            )));
        }
        let mut keys = self.keys.clone();
        keys.sort_by_key(|k| k.address());
        keys.truncate(quorum);
        let vid = client.call_sol(dvn, &IDVN::vidCall {}).await?;
        let expiration = U256::from(client.block_timestamp().await? + self.expiry.as_secs());
        let call_data = verify_call_data(packet, config.confirmations);
        let instruction = signed_instruction(&keys, vid, chain.receive_uln, call_data, expiration)?;

        let receipt = submit_execute(client, dvn, vec![instruction]).await?;
        report.gas_used += receipt.gas_used;
        let outcome =
            expect_payload_verified(&receipt, chain.receive_uln, dvn, packet.payload_hash(), client.revert_decoder());
        record.submitted(STEP_VERIFY, &receipt, &outcome);
        outcome?;
        record.finish(PacketStatus::Verified);
        record.by_us = true;
        report.verified += 1;
        tracing::info!(guid = %packet.guid, src = packet.src_eid, dst = packet.dst_eid, nonce = packet.nonce, gas = receipt.gas_used, "DVN verified packet");
        Ok(())
    }
}

impl<C: ChainClient> Role for DvnWorker<C> {
    fn done(record: &PacketRecord) -> bool {
        record.dvn_done()
    }

    fn handle(
        &self,
        stream: &Stream,
        packet: &Packet,
        src_head: u64,
        record: &mut PacketRecord,
        report: &mut TickReport,
    ) -> impl Future<Output = Result<()>> + Send {
        self.handle_packet(stream, packet, src_head, record, report)
    }
}
