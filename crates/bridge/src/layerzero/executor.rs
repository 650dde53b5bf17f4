//! The executor role: once the receive ULN says a packet is verifiable, commit its verification to the
//! endpoint (`ReceiveUln302.commitVerification`), then deliver it through the `Executor` contract's
//! `execute302`, which calls `EndpointV2.lzReceive` with the gas the sender paid for.
//!
//! Delivery goes through `Executor.execute302` rather than straight to `EndpointV2.lzReceive` because that
//! is the path a real executor takes: the executor contract holds the role (`ADMIN_ROLE`), caps the gas to
//! the option the sender paid for, and turns a receiver's revert into `LzReceiveAlert` on the endpoint
//! instead of failing the transaction. So success is only a `PacketDelivered` event; an alert is recorded
//! as a failure with its decoded reason and retried on later ticks.

use std::{future::Future, time::Duration};

use alloy_primitives::{Address, B256, U256};
use alloy_sol_types::{SolCall, SolEvent};
use automat_chain::{ChainClient, ChainClientExt, Receipt, RevertDecoder, TxRequest};

use super::{
    LzChain, Packet,
    bindings::{ExecutionParams, IEndpointV2, IExecutor, IReceiveUln302},
    worker::{
        EndpointState, Lane, PacketRecord, PacketStatus, Role, Stream, Summary, TickReport, endpoint_state,
        lanes_and_streams, log_report, packet_key, receive_library_mismatch, scan_stream, summarize,
    },
};
use crate::{BridgeError, Progress, Result};

/// [`super::Submission::step`] of committing a verification.
pub const STEP_COMMIT: &str = "commitVerification";
/// [`super::Submission::step`] of a delivery.
pub const STEP_EXECUTE: &str = "Executor.execute302";

/// Gas `execute302` needs on top of the lzReceive gas it forwards (endpoint bookkeeping, the alert path,
/// and the 1/64 a call must leave behind).
pub const EXECUTE_OVERHEAD_GAS: u64 = 200_000;

/// The `ExecutionParams` that deliver `packet` with `gas_limit` for `lzReceive`.
pub fn execution_params(packet: &Packet, gas_limit: u128) -> ExecutionParams {
    ExecutionParams {
        receiver: packet.receiver,
        origin: packet.origin(),
        guid: packet.guid,
        message: packet.message.clone(),
        extraData: Default::default(),
        gasLimit: U256::from(gas_limit),
    }
}

/// Commits `packet`'s verification through the ULN at `receive_uln` (anyone may) and checks for the
/// endpoint's `PacketVerified`.
pub async fn commit_verification<C: ChainClient>(client: &C, chain: &LzChain, packet: &Packet) -> Result<Receipt> {
    let call = IReceiveUln302::commitVerificationCall {
        packetHeader: packet.header.clone(),
        payloadHash: packet.payload_hash(),
    };
    let receipt = client.send_sol(chain.receive_uln, &call).await?;
    let committed = receipt.logs.iter().any(|log| {
        log.address() == chain.endpoint
            && IEndpointV2::PacketVerified::decode_log(&log.inner)
                .is_ok_and(|e| e.data.origin == packet.origin() && e.data.receiver == packet.receiver)
    });
    if !committed {
        return Err(BridgeError::Refused {
            protocol: "LayerZero endpoint",
            what: format!("commitVerification of {}", packet.guid),
            reason: "no PacketVerified".into(),
        });
    }
    Ok(receipt)
}

/// Delivers `packet` through `Executor.execute302` from `client` (which must hold the executor's
/// `ADMIN_ROLE`), with the lzReceive gas and value of its options.
pub async fn execute<C: ChainClient>(client: &C, chain: &LzChain, packet: &Packet) -> Result<Receipt> {
    let option = packet.lz_receive_option()?;
    let params = execution_params(packet, option.gas);
    let gas = u64::try_from(option.gas).map_err(|_| BridgeError::Config(format!("lzReceive gas {}", option.gas)))?;
    let data = IExecutor::execute302Call { executionParams: params }.abi_encode();
    let gas_limit = gas + gas / 63 + EXECUTE_OVERHEAD_GAS + 16 * data.len() as u64;
    let tx = TxRequest::call(chain.executor, data).with_value(option.value_u256()).with_gas_limit(gas_limit);
    Ok(client.send(tx).await?)
}

/// Whether `receipt` (of an `execute302`) shows the endpoint's `PacketDelivered` for `packet`; an
/// `LzReceiveAlert` is returned as [`BridgeError::Refused`] with the receiver's decoded revert reason.
pub fn expect_delivered(receipt: &Receipt, endpoint: Address, packet: &Packet, decoder: &RevertDecoder) -> Result<()> {
    let mut alert = None;
    for log in receipt.logs.iter().filter(|l| l.address() == endpoint) {
        if let Ok(e) = IEndpointV2::PacketDelivered::decode_log(&log.inner)
            && e.data.origin == packet.origin()
            && e.data.receiver == packet.receiver
        {
            return Ok(());
        }
        if let Ok(e) = IEndpointV2::LzReceiveAlert::decode_log(&log.inner)
            && e.data.guid == packet.guid
        {
            alert = Some(format!("LzReceiveAlert: {}", decoder.decode(&e.data.reason)));
        }
    }
    Err(BridgeError::Refused {
        protocol: "LayerZero executor",
        what: format!("delivery of {}", packet.guid),
        reason: alert.unwrap_or_else(|| "no PacketDelivered".into()),
    })
}

/// The executor role on `chains`: a client per chain whose account holds the `Executor`'s `ADMIN_ROLE` there
/// (and pays the lzReceive value the senders asked for).
#[derive(Debug)]
pub struct ExecutorWorker<C> {
    lanes: Vec<Lane<C>>,
    streams: Vec<Stream>,
    progress: Progress,
}

impl<C: ChainClient> ExecutorWorker<C> {
    /// A worker on `chains` (each a client and its deployment), recording in `progress`. It follows
    /// `PacketSent` with one confirmation: the receive ULN, not the executor, decides when a packet is
    /// verified.
    pub fn new(chains: Vec<(C, LzChain)>, progress: Progress) -> Result<Self> {
        let (lanes, streams) = lanes_and_streams("executor", chains, |_, _| 1)?;
        Ok(Self { lanes, streams, progress })
    }

    /// The recorded state of packet `guid`.
    pub fn packet(&self, guid: B256) -> Result<Option<PacketRecord>> {
        self.progress.get(&packet_key(guid))
    }

    /// Every recorded packet, by guid.
    pub fn packets(&self) -> Result<Vec<PacketRecord>> {
        Ok(self.progress.scan(super::worker::PACKET_PREFIX)?.into_iter().map(|(_, r)| r).collect())
    }

    /// Totals over the records (how many delivered, pending, failing ...).
    pub fn summary(&self) -> Result<Summary> {
        summarize(&self.progress)
    }

    /// Hands the progress database back.
    pub fn into_progress(self) -> Progress {
        self.progress
    }

    /// Commits and delivers every packet that is ready now, on every pathway.
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
                Ok(report) => log_report("executor", &report),
                Err(e) => tracing::warn!(error = %e, "executor tick failed"),
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
        record: &mut PacketRecord,
        report: &mut TickReport,
    ) -> Result<()> {
        let dst = &self.lanes[stream.dst];
        let (client, chain) = (&dst.client, &dst.chain);

        // The chain decides what is left to do, whatever the record says (a crash may have come between
        // a submission and its record).
        match endpoint_state(client, chain.endpoint, packet).await? {
            EndpointState::Consumed => {
                record.finish(PacketStatus::Delivered);
                report.already_done += 1;
                return Ok(());
            }
            EndpointState::Nilified => {
                record.finish(PacketStatus::Skipped("nilified by the receiver".into()));
                report.skipped += 1;
                return Ok(());
            }
            EndpointState::Committed => {}
            EndpointState::Open => {
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
                let verifiable = client
                    .call_sol(
                        chain.receive_uln,
                        &IReceiveUln302::verifiableCall {
                            config,
                            headerHash: packet.header_hash(),
                            payloadHash: packet.payload_hash(),
                        },
                    )
                    .await?;
                if !verifiable {
                    record.wait("DVN verifications");
                    report.waiting += 1;
                    return Ok(());
                }
                let receipt = commit_verification(client, chain, packet).await?;
                record.submitted(STEP_COMMIT, &receipt, &Ok(()));
                report.gas_used += receipt.gas_used;
                record.finish(PacketStatus::Committed);
                report.committed += 1;
                tracing::info!(guid = %packet.guid, gas = receipt.gas_used, "committed verification");
            }
        }

        // lzReceive of nonce n needs every nonce after the last consumed one up to n verified.
        let inbound = client
            .call_sol(
                chain.endpoint,
                &IEndpointV2::inboundNonceCall {
                    receiver: packet.receiver,
                    srcEid: packet.src_eid,
                    sender: packet.sender,
                },
            )
            .await?;
        let lazy = client
            .call_sol(
                chain.endpoint,
                &IEndpointV2::lazyInboundNonceCall {
                    receiver: packet.receiver,
                    srcEid: packet.src_eid,
                    sender: packet.sender,
                },
            )
            .await?;
        if packet.nonce > lazy && inbound < packet.nonce {
            record.wait(format!("nonce {} waits for nonce {} to be verified", packet.nonce, inbound + 1));
            report.waiting += 1;
            return Ok(());
        }

        let receipt = execute(client, chain, packet).await?;
        report.gas_used += receipt.gas_used;
        let outcome = expect_delivered(&receipt, chain.endpoint, packet, client.revert_decoder());
        record.submitted(STEP_EXECUTE, &receipt, &outcome);
        outcome?;
        record.finish(PacketStatus::Delivered);
        record.by_us = true;
        report.delivered += 1;
        tracing::info!(guid = %packet.guid, gas = receipt.gas_used, "delivered packet");
        Ok(())
    }
}

impl<C: ChainClient> Role for ExecutorWorker<C> {
    fn done(record: &PacketRecord) -> bool {
        record.executor_done()
    }

    fn handle(
        &self,
        stream: &Stream,
        packet: &Packet,
        _src_head: u64,
        record: &mut PacketRecord,
        report: &mut TickReport,
    ) -> impl Future<Output = Result<()>> + Send {
        self.handle_packet(stream, packet, record, report)
    }
}
