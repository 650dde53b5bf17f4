//! LayerZero v2 from its published artifacts on the embedded devnet (two chains): deployment and wiring,
//! the DVN and executor daemons end to end, confirmations, crash/restart idempotency, and the attacks the
//! protocol must refuse.

use std::{path::PathBuf, time::Duration};

use alloy_dyn_abi::DynSolValue;
use alloy_primitives::{Address, Bytes, U256};
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::{SolCall, SolEvent, SolValue, sol};
use automat_bridge::{
    BridgeError, Progress,
    layerzero::{
        self, DvnSpec, DvnWorker, ExecuteParam, ExecutorWorker, LzChain, LzChainConfig, Packet, PacketStatus,
        PathwayConfig, PathwaySecurity, STEP_COMMIT, STEP_EXECUTE, STEP_VERIFY, UlnConfig, address_to_bytes32,
        bindings::{IDVN, IEndpointV2, IReceiveUln302, SetConfigParam, SetDefaultUlnConfigParam},
    },
};
use automat_chain::{
    ChainClient, ChainClientExt, DEFAULT_MNEMONIC, DevnetControl, Receipt,
    alloy::{Filter, Log},
};
use automat_contracts::{artifacts, deploy_artifact};
use automat_devnet::{Devnet, DevnetConfig, EmbeddedClient};

sol!(
    #[derive(Debug)]
    LzPing,
    "../../contracts/out/testing/LzPing.sol/LzPing.json"
);

type TestResult<T = ()> = Result<T, Box<dyn std::error::Error>>;

/// Four DVN operators per chain (3 signers, quorum 2 each); pathways need DVNs 0 and 1 plus one of 2 and 3.
const DVNS: u32 = 4;
const DEPLOYER: usize = 0;
const DVN_ADMIN_BASE: usize = 1; // accounts 1..=4 run the DVN operators
const EXECUTOR: usize = 5;
const ATTACKER: usize = 6;
const USER: usize = 7;

struct Net {
    devnet: Devnet,
    chain_ids: Vec<u64>,
    chains: Vec<LzChain>,
    pings: Vec<Address>,
    keys: Vec<Vec<PrivateKeySigner>>,
    pathways: PathwayConfig,
    dir: tempfile::TempDir,
}

fn security(confirmations: u64) -> PathwaySecurity {
    PathwaySecurity::required(confirmations, vec![0, 1]).with_optional(vec![2, 3], 1)
}

impl Net {
    async fn start(confirmations: u64) -> TestResult<Self> {
        let devnet = Devnet::start(DevnetConfig::with_chains(2))?;
        let chain_ids = devnet.chain_ids();
        let keys = (0..DVNS).map(|d| layerzero::dev_dvn_keys(DEFAULT_MNEMONIC, d, 3)).collect::<Result<Vec<_>, _>>()?;
        let admins: Vec<Address> = (0..=EXECUTOR).map(|i| devnet.signers()[i].address()).collect();
        let config = LzChainConfig::new(keys.iter().map(|k| DvnSpec::from_keys(k, 2)).collect()).with_admins(admins);
        let mut chains = Vec::new();
        let mut pairs = Vec::new();
        for (index, &id) in chain_ids.iter().enumerate() {
            let client = devnet.dev_client(id, DEPLOYER)?;
            let chain = layerzero::deploy_chain(&client, layerzero::local_eid(index as u32), &config).await?;
            pairs.push((client, chain.clone()));
            chains.push(chain);
        }
        let pathways = PathwayConfig::new(security(confirmations));
        let wired = layerzero::wire(&pairs, &pathways).await?;
        eprintln!(
            "deploy gas per chain: {:?}; wiring: {} transactions, {} gas",
            chains.iter().map(|c| c.deploy_gas).collect::<Vec<_>>(),
            wired.transactions,
            wired.gas_used
        );
        for (client, chain) in &pairs {
            let remotes: Vec<u32> = chains.iter().map(|c| c.eid).filter(|e| *e != chain.eid).collect();
            layerzero::check_chain(client, chain, &remotes, &[]).await?;
        }

        let mut pings = Vec::new();
        for (client, chain) in &pairs {
            let artifact = artifacts::get("LzPing")?;
            let args = [DynSolValue::Address(chain.endpoint), DynSolValue::Address(client.sender())];
            pings.push(deploy_artifact(client, &artifact, &args).await?.address);
        }
        for (i, (client, _)) in pairs.iter().enumerate() {
            for (j, chain) in chains.iter().enumerate() {
                if i != j {
                    let call = LzPing::setPeerCall { _eid: chain.eid, _peer: address_to_bytes32(pings[j]) };
                    client.send_sol(pings[i], &call).await?;
                }
            }
        }
        Ok(Self { devnet, chain_ids, chains, pings, keys, pathways, dir: tempfile::tempdir()? })
    }

    fn client(&self, chain: usize, account: usize) -> TestResult<EmbeddedClient> {
        Ok(self.devnet.dev_client(self.chain_ids[chain], account)?)
    }

    fn lanes(&self, account: usize) -> TestResult<Vec<(EmbeddedClient, LzChain)>> {
        (0..self.chains.len()).map(|i| Ok((self.client(i, account)?, self.chains[i].clone()))).collect()
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(format!("{name}.redb"))
    }

    fn dvn_with_keys(
        &self,
        dvn: usize,
        keys: Vec<PrivateKeySigner>,
        db: &str,
    ) -> TestResult<DvnWorker<EmbeddedClient>> {
        let progress = Progress::open(self.path(db))?;
        Ok(DvnWorker::new(self.lanes(DVN_ADMIN_BASE + dvn)?, dvn, keys, &self.pathways, progress)?)
    }

    fn dvn(&self, dvn: usize) -> TestResult<DvnWorker<EmbeddedClient>> {
        self.dvn_with_keys(dvn, self.keys[dvn].clone(), &format!("dvn{dvn}"))
    }

    fn executor(&self, db: &str) -> TestResult<ExecutorWorker<EmbeddedClient>> {
        Ok(ExecutorWorker::new(self.lanes(EXECUTOR)?, Progress::open(self.path(db))?)?)
    }

    /// Sends `payload` from the ping on chain `from` to the one on chain `to`, as account `USER`.
    async fn send(&self, from: usize, to: usize, payload: &[u8]) -> TestResult<(Receipt, Packet)> {
        self.send_from(self.pings[from], from, to, USER, payload).await
    }

    async fn send_from(
        &self,
        ping: Address,
        from: usize,
        to: usize,
        account: usize,
        payload: &[u8],
    ) -> TestResult<(Receipt, Packet)> {
        let client = self.client(from, account)?;
        let payload = Bytes::copy_from_slice(payload);
        let dst = self.chains[to].eid;
        let fee = client.call_sol(ping, &LzPing::quoteCall { dstEid: dst, payload: payload.clone() }).await?;
        assert!(fee > U256::ZERO, "sending costs a fee");
        let receipt = client.send_sol_with_value(ping, &LzPing::sendCall { dstEid: dst, payload }, fee).await?;
        let log = receipt
            .logs
            .iter()
            .find(|l| l.topic0() == Some(&IEndpointV2::PacketSent::SIGNATURE_HASH))
            .ok_or("no PacketSent")?;
        let packet = Packet::from_log(log)?;
        Ok((receipt, packet))
    }

    async fn received(&self, chain: usize) -> TestResult<u64> {
        let client = self.client(chain, USER)?;
        Ok(client.call_sol(self.pings[chain], &LzPing::receivedCountCall {}).await?.to::<u64>())
    }

    /// Every `E` event `address` emitted on chain `chain`.
    async fn events<E: SolEvent>(&self, chain: usize, address: Address) -> TestResult<Vec<Log>> {
        let client = self.client(chain, USER)?;
        let filter = Filter::new().address(address).event_signature(E::SIGNATURE_HASH).from_block(0u64);
        Ok(client.logs(&filter).await?)
    }

    /// Whether DVN `dvn` of chain `chain` has verified `packet` in the receive ULN.
    async fn dvn_verified(&self, chain: usize, dvn: usize, packet: &Packet) -> TestResult<bool> {
        let client = self.client(chain, USER)?;
        let call = IReceiveUln302::hashLookupCall {
            headerHash: packet.header_hash(),
            payloadHash: packet.payload_hash(),
            dvn: self.chains[chain].dvns[dvn].address,
        };
        Ok(client.call_sol(self.chains[chain].receive_uln, &call).await?.submitted)
    }

    /// A verify instruction for `packet` on chain `chain`'s DVN `dvn` with the given signatures.
    async fn instruction(
        &self,
        chain: usize,
        dvn: usize,
        packet: &Packet,
        signatures: Bytes,
    ) -> TestResult<ExecuteParam> {
        let client = self.client(chain, USER)?;
        let lz = &self.chains[chain];
        Ok(ExecuteParam {
            vid: lz.dvns[dvn].vid,
            target: lz.receive_uln,
            callData: layerzero::verify_call_data(packet, self.pathways.default.confirmations),
            expiration: U256::from(client.block_timestamp().await? + 600),
            signatures,
        })
    }
}

async fn tick_dvns<C: ChainClient>(workers: &mut [DvnWorker<C>]) -> TestResult<usize> {
    let mut verified = 0;
    for worker in workers {
        let report = worker.tick().await?;
        assert!(report.stream_errors.is_empty(), "{:?}", report.stream_errors);
        assert!(report.failed.is_empty(), "{:?}", report.failed);
        verified += report.verified;
    }
    Ok(verified)
}

fn refused_reason(result: Result<(), BridgeError>) -> String {
    match result {
        Err(BridgeError::Refused { reason, .. }) => reason,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

/// The same signature with `s` replaced by `n - s` (and `v` flipped): it recovers the same signer, and
/// OpenZeppelin's `ECDSA.tryRecover` must refuse it as malleable.
fn high_s(signature: [u8; 65]) -> [u8; 65] {
    let n = U256::from_be_slice(&alloy_primitives::hex!(
        "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141"
    ));
    let s = U256::from_be_slice(&signature[32..64]);
    let mut out = signature;
    out[32..64].copy_from_slice(&(n - s).to_be_bytes::<32>());
    out[64] = if signature[64] == 27 { 28 } else { 27 };
    out
}

#[tokio::test]
async fn round_trip_both_ways_delivered_by_the_daemons() -> TestResult {
    let net = Net::start(1).await?;
    let (sent_ab, packet_ab) = net.send(0, 1, b"hello B").await?;
    let (_, packet_ba) = net.send(1, 0, b"hello A").await?;
    assert_eq!((packet_ab.nonce, packet_ab.src_eid, packet_ab.dst_eid), (1, net.chains[0].eid, net.chains[1].eid));

    // DVNs 0, 1 (required) and 2 (one of the optional two) run as daemons; DVN 3 stays down.
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mut handles = Vec::new();
    for dvn in 0..3 {
        let worker = net.dvn(dvn)?;
        let mut stop = stop_rx.clone();
        handles.push(tokio::spawn(async move {
            worker
                .run(Duration::from_millis(20), async move { while stop.changed().await.is_ok() && !*stop.borrow() {} })
                .await
        }));
    }
    let executor = net.executor("executor")?;
    let mut stop = stop_rx.clone();
    let executor = tokio::spawn(async move {
        executor
            .run(Duration::from_millis(20), async move { while stop.changed().await.is_ok() && !*stop.borrow() {} })
            .await
    });
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while net.received(1).await? < 1 || net.received(0).await? < 1 {
        assert!(tokio::time::Instant::now() < deadline, "not delivered within 60 s");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    stop_tx.send(true)?;
    let mut dvns = Vec::new();
    for handle in handles {
        dvns.push(handle.await?);
    }
    let executor = executor.await?;

    let client_b = net.client(1, USER)?;
    let first = client_b.call_sol(net.pings[1], &LzPing::receivedCall(U256::ZERO)).await?;
    assert_eq!(first.as_ref(), b"hello B");
    let pinged = net.events::<LzPing::Pinged>(1, net.pings[1]).await?;
    assert_eq!(pinged.len(), 1);
    let delivered = net.events::<IEndpointV2::PacketDelivered>(1, net.chains[1].endpoint).await?;
    assert_eq!(delivered.len(), 1, "PacketDelivered once on B");

    for (dvn, worker) in dvns.iter().enumerate() {
        let summary = worker.summary()?;
        assert_eq!(summary.verified, 2, "DVN {dvn} verified both packets: {summary:?}");
        assert!(net.chains.iter().all(|c| !c.dvns[dvn].signers.is_empty()));
    }
    let summary = executor.summary()?;
    assert_eq!((summary.delivered, summary.pending), (2, 0), "{summary:?}");

    let dvn_record = dvns[0].packet(packet_ab.guid)?.ok_or("DVN record")?;
    let exec_record = executor.packet(packet_ab.guid)?.ok_or("executor record")?;
    assert_eq!(exec_record.status, PacketStatus::Delivered);
    assert!(exec_record.by_us);
    let _ = packet_ba;
    eprintln!(
        "gas: send {} | DVN verify {} | commitVerification {} | execute302 {}",
        sent_ab.gas_used,
        dvn_record.gas_of(STEP_VERIFY).ok_or("verify gas")?,
        exec_record.gas_of(STEP_COMMIT).ok_or("commit gas")?,
        exec_record.gas_of(STEP_EXECUTE).ok_or("execute gas")?,
    );
    Ok(())
}

#[tokio::test]
async fn confirmations_are_honoured() -> TestResult {
    let net = Net::start(2).await?;
    let mut dvns = vec![net.dvn(0)?, net.dvn(1)?, net.dvn(2)?];
    let mut executor = net.executor("executor")?;
    let (_, packet) = net.send(0, 1, b"wait for it").await?;

    // One confirmation only (the block holding PacketSent): nobody may verify yet.
    assert_eq!(tick_dvns(&mut dvns).await?, 0);
    assert!(!net.dvn_verified(1, 0, &packet).await?);
    let report = executor.tick().await?;
    assert_eq!((report.committed, report.delivered, report.waiting), (0, 0, 1));

    net.client(0, USER)?.mine(1).await?;
    assert_eq!(tick_dvns(&mut dvns).await?, 3);
    for dvn in 0..3 {
        assert!(net.dvn_verified(1, dvn, &packet).await?);
    }
    let record = dvns[0].packet(packet.guid)?.ok_or("record")?;
    let receipt = net.client(1, USER)?.receipt(record.last_tx.ok_or("tx")?).await?.ok_or("receipt")?;
    let verified = receipt.events::<IReceiveUln302::PayloadVerified>();
    assert_eq!(verified.len(), 1);
    assert_eq!(verified[0].confirmations, U256::from(2));

    let report = executor.tick().await?;
    assert_eq!((report.committed, report.delivered), (1, 1), "{report:?}");
    assert_eq!(net.received(1).await?, 1);
    Ok(())
}

#[tokio::test]
async fn restart_after_submit_neither_repeats_nor_skips() -> TestResult {
    let net = Net::start(1).await?;
    let (_, first) = net.send(0, 1, b"one").await?;

    // DVN 0: keep a copy of its database from before the tick that verifies, then lose the newer one.
    let before = net.path("dvn0-before");
    drop(net.dvn(0)?);
    std::fs::copy(net.path("dvn0"), &before)?;
    let mut dvn0 = net.dvn(0)?;
    assert_eq!(dvn0.tick().await?.verified, 1);
    drop(dvn0);
    std::fs::copy(&before, net.path("dvn0"))?;
    let mut dvn0 = net.dvn(0)?;
    assert_eq!(dvn0.packet(first.guid)?, None, "the restored database has never seen the packet");
    let report = dvn0.tick().await?;
    assert_eq!((report.verified, report.already_done), (0, 1), "checked on chain, not submitted again");
    let verified = net.events::<IReceiveUln302::PayloadVerified>(1, net.chains[1].receive_uln).await?;
    assert_eq!(verified.len(), 1, "one PayloadVerified so far");

    let mut dvns = vec![dvn0, net.dvn(1)?, net.dvn(2)?];
    tick_dvns(&mut dvns).await?;

    // Executor: crash between commitVerification and its record — commit by hand, then start the worker.
    let committed = layerzero::commit_verification(&net.client(1, USER)?, &net.chains[1], &first).await?;
    assert_eq!(committed.events::<IEndpointV2::PacketVerified>().len(), 1);
    let mut executor = net.executor("executor")?;
    let report = executor.tick().await?;
    assert_eq!((report.committed, report.delivered), (0, 1), "{report:?}");
    assert_eq!(net.received(1).await?, 1);

    // Crash after the delivery was mined but before it was recorded: start again from an empty database,
    // while a second packet went out in the meantime.
    drop(executor);
    std::fs::remove_file(net.path("executor"))?;
    let (_, second) = net.send(0, 1, b"two").await?;
    tick_dvns(&mut dvns).await?;
    let mut executor = net.executor("executor")?;
    let report = executor.tick().await?;
    assert_eq!((report.already_done, report.delivered), (1, 1), "first found delivered, second delivered: {report:?}");
    assert!(!executor.packet(first.guid)?.ok_or("first")?.by_us);
    assert_eq!(executor.packet(second.guid)?.ok_or("second")?.status, PacketStatus::Delivered);
    assert_eq!(net.received(1).await?, 2, "no double delivery, no skip");
    let delivered = net.events::<IEndpointV2::PacketDelivered>(1, net.chains[1].endpoint).await?;
    assert_eq!(delivered.len(), 2);

    // Nothing left: further ticks submit nothing.
    let report = executor.tick().await?;
    assert_eq!((report.seen, report.gas_used), (0, 0));
    Ok(())
}

#[tokio::test]
async fn receiver_revert_is_recorded_and_retried() -> TestResult {
    let net = Net::start(1).await?;
    let owner_b = net.client(1, DEPLOYER)?;
    owner_b.send_sol(net.pings[1], &LzPing::setFailCall { fail_: true }).await?;
    let (_, packet) = net.send(0, 1, b"bounce").await?;
    let mut dvns = vec![net.dvn(0)?, net.dvn(1)?, net.dvn(2)?];
    tick_dvns(&mut dvns).await?;
    let mut executor = net.executor("executor")?;
    for attempt in 1..=2 {
        let report = executor.tick().await?;
        assert_eq!(report.delivered, 0);
        assert_eq!(report.failed.len(), 1);
        assert!(report.failed[0].reason.starts_with("LzReceiveAlert: PingRefused"), "{:?}", report.failed);
        let record = executor.packet(packet.guid)?.ok_or("record")?;
        assert_eq!(record.status, PacketStatus::Committed, "committed, delivery failing");
        assert!(record.last_error.as_deref().is_some_and(|e| e.contains("PingRefused")));
        assert_eq!(record.submissions.iter().filter(|s| s.step == STEP_EXECUTE).count(), attempt);
    }
    let alerts = net.events::<IEndpointV2::LzReceiveAlert>(1, net.chains[1].endpoint).await?;
    assert_eq!(alerts.len(), 2);
    owner_b.send_sol(net.pings[1], &LzPing::setFailCall { fail_: false }).await?;
    assert_eq!(executor.tick().await?.delivered, 1);
    assert_eq!(net.received(1).await?, 1);
    Ok(())
}

#[tokio::test]
async fn replayed_packet_is_refused() -> TestResult {
    let net = Net::start(1).await?;
    let (_, packet) = net.send(0, 1, b"once").await?;
    let mut dvns = vec![net.dvn(0)?, net.dvn(1)?, net.dvn(2)?];
    tick_dvns(&mut dvns).await?;
    let mut executor = net.executor("executor")?;
    assert_eq!(executor.tick().await?.delivered, 1);

    // Re-executing through the executor: the endpoint has cleared the payload hash.
    let admin_b = net.client(1, EXECUTOR)?;
    let receipt = layerzero::execute(&admin_b, &net.chains[1], &packet).await?;
    let refused = layerzero::expect_delivered(&receipt, net.chains[1].endpoint, &packet, admin_b.revert_decoder());
    assert!(refused_reason(refused).starts_with("LzReceiveAlert: LZ_PayloadHashNotFound"));

    // Straight to the endpoint.
    let call = IEndpointV2::lzReceiveCall {
        origin: packet.origin(),
        receiver: packet.receiver,
        guid: packet.guid,
        message: packet.message.clone(),
        extraData: Bytes::new(),
    };
    let err = admin_b.send_sol(net.chains[1].endpoint, &call).await.expect_err("replay must revert");
    assert_eq!(err.revert_name(), Some("LZ_PayloadHashNotFound"));

    // Even re-verified by a full quorum of DVNs, the consumed nonce cannot be committed again.
    for dvn in 0..3 {
        let keys = &net.keys[dvn][..2];
        let params = net.instruction(1, dvn, &packet, Bytes::new()).await?;
        let hash = layerzero::instruction_hash(params.vid, params.target, params.expiration, &params.callData);
        let params = ExecuteParam { signatures: layerzero::sign_instruction(keys, hash)?, ..params };
        let client = net.client(1, DVN_ADMIN_BASE + dvn)?;
        let dvn_address = net.chains[1].dvns[dvn].address;
        let receipt = layerzero::submit_execute(&client, dvn_address, vec![params]).await?;
        layerzero::expect_payload_verified(
            &receipt,
            net.chains[1].receive_uln,
            dvn_address,
            packet.payload_hash(),
            client.revert_decoder(),
        )?;
    }
    let err = layerzero::commit_verification(&admin_b, &net.chains[1], &packet).await.expect_err("replay commit");
    assert!(matches!(&err, BridgeError::Chain(e) if e.revert_name() == Some("LZ_PathNotVerifiable")), "{err}");
    assert_eq!(net.received(1).await?, 1);
    Ok(())
}

#[tokio::test]
async fn bad_signatures_are_not_counted() -> TestResult {
    let net = Net::start(1).await?;
    let (_, packet) = net.send(0, 1, b"sign me").await?;
    let lz = &net.chains[1];
    let dvn = lz.dvns[0].address;
    let client = net.client(1, DVN_ADMIN_BASE)?;
    let keys = &net.keys[0];
    let unsigned = net.instruction(1, 0, &packet, Bytes::new()).await?;
    let hash = layerzero::instruction_hash(unsigned.vid, unsigned.target, unsigned.expiration, &unsigned.callData);
    assert_eq!(
        client
            .call_sol(
                dvn,
                &IDVN::hashCallDataCall {
                    vid: unsigned.vid,
                    target: unsigned.target,
                    callData: unsigned.callData.clone(),
                    expiration: unsigned.expiration,
                }
            )
            .await?,
        hash,
        "our instruction hash is the DVN's"
    );
    let mut sorted = keys.clone();
    sorted.sort_by_key(|k| k.address());
    let sig = |i: usize| layerzero::sign_hash(&sorted[i], hash);

    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("one verifier's signature counted twice", [sig(0)?, sig(0)?].concat()),
        ("high-s twin of a valid signature", [high_s(sig(0)?), sig(1)?].concat()),
        ("signature recovering to address zero", [[0u8; 65].to_vec(), sig(1)?.to_vec()].concat()),
        ("garbage v", {
            let mut bad = sig(0)?;
            bad[64] = 31;
            [bad, sig(1)?].concat()
        }),
        ("signers out of order", [sig(1)?, sig(0)?].concat()),
        ("fewer signatures than the quorum", sig(0)?.to_vec()),
    ];
    for (case, signatures) in cases {
        let params = ExecuteParam { signatures: signatures.into(), ..unsigned.clone() };
        let receipt = layerzero::submit_execute(&client, dvn, vec![params]).await?;
        assert_eq!(receipt.events::<IDVN::VerifySignaturesFailed>().len(), 1, "{case}");
        let reason = refused_reason(layerzero::expect_payload_verified(
            &receipt,
            lz.receive_uln,
            dvn,
            packet.payload_hash(),
            client.revert_decoder(),
        ));
        assert!(reason.starts_with("VerifySignaturesFailed"), "{case}: {reason}");
        assert!(!net.dvn_verified(1, 0, &packet).await?, "{case}");
    }

    // The same instruction correctly signed goes through.
    let good = ExecuteParam { signatures: layerzero::sign_instruction(&sorted[..2], hash)?, ..unsigned };
    let receipt = layerzero::submit_execute(&client, dvn, vec![good]).await?;
    layerzero::expect_payload_verified(&receipt, lz.receive_uln, dvn, packet.payload_hash(), client.revert_decoder())?;
    assert!(net.dvn_verified(1, 0, &packet).await?);
    Ok(())
}

#[tokio::test]
async fn rotated_out_signers_cannot_verify() -> TestResult {
    let net = Net::start(1).await?;
    let lz = &net.chains[1];
    let dvn = lz.dvns[0].address;
    let client = net.client(1, DVN_ADMIN_BASE)?;
    let old = net.keys[0].clone();
    let new = layerzero::dev_dvn_keys(DEFAULT_MNEMONIC, 9, 3)?;

    // DVN.setSigner is onlySelf: the quorum signs instructions targeting the DVN itself.
    let expiration = U256::from(client.block_timestamp().await? + 600);
    let self_call = |keys: &[PrivateKeySigner], call: Bytes| {
        layerzero::signed_instruction(&keys[..2], lz.dvns[0].vid, dvn, call, expiration)
    };
    let adds = new
        .iter()
        .map(|k| self_call(&old, IDVN::setSignerCall { signer: k.address(), active: true }.abi_encode().into()))
        .collect::<Result<Vec<_>, _>>()?;
    let receipt = layerzero::submit_execute(&client, dvn, adds).await?;
    assert_eq!(receipt.events::<IDVN::UpdateSigner>().len(), 3);
    let removals = old
        .iter()
        .map(|k| self_call(&new, IDVN::setSignerCall { signer: k.address(), active: false }.abi_encode().into()))
        .collect::<Result<Vec<_>, _>>()?;
    let receipt = layerzero::submit_execute(&client, dvn, removals).await?;
    assert_eq!(receipt.events::<IDVN::UpdateSigner>().len(), 3);
    let mut signers = client.call_sol(dvn, &IDVN::getSignersCall {}).await?;
    signers.sort();
    let mut expected: Vec<Address> = new.iter().map(|k| k.address()).collect();
    expected.sort();
    assert_eq!(signers, expected);

    // The operator's daemon still holding the old keys is refused on B...
    let (_, packet) = net.send(0, 1, b"rotated").await?;
    let mut stale = net.dvn_with_keys(0, old, "dvn0-stale")?;
    let report = stale.tick().await?;
    assert_eq!(report.verified, 0);
    assert_eq!(report.failed.len(), 1);
    assert!(report.failed[0].reason.contains("VerifySignaturesFailed"), "{:?}", report.failed);
    let record = stale.packet(packet.guid)?.ok_or("record")?;
    assert_eq!(record.status, PacketStatus::Pending);
    assert!(!net.dvn_verified(1, 0, &packet).await?);

    // ...and verifies with the new ones.
    drop(stale);
    let mut fresh = net.dvn_with_keys(0, new, "dvn0-stale")?;
    let report = fresh.tick().await?;
    assert_eq!(report.verified, 1, "{report:?}");
    assert!(net.dvn_verified(1, 0, &packet).await?);
    Ok(())
}

#[tokio::test]
async fn quorum_below_two_is_caught() -> TestResult {
    let net = Net::start(1).await?;
    let owner_b = net.client(1, DEPLOYER)?;
    let lz = &net.chains[1];
    let remote = net.chains[0].eid;
    let one_dvn = UlnConfig {
        confirmations: 1,
        requiredDVNCount: 1,
        optionalDVNCount: 0,
        optionalDVNThreshold: 0,
        requiredDVNs: vec![lz.dvns[0].address],
        optionalDVNs: vec![],
    };

    // Through this crate: refused before anything is sent.
    let err = layerzero::set_default_uln_config(&owner_b, lz.receive_uln, remote, one_dvn.clone())
        .await
        .expect_err("one required DVN");
    assert!(matches!(err, BridgeError::Config(_)), "{err}");
    layerzero::check_chain(&owner_b, lz, &[remote], &[]).await?;

    // One required plus a threshold of one optional still leaves a single required DVN: refused too.
    let mut pair = lz.dvns[..2].iter().map(|d| d.address).collect::<Vec<_>>();
    pair.sort();
    let one_plus_one = UlnConfig {
        optionalDVNCount: 1,
        optionalDVNThreshold: 1,
        optionalDVNs: vec![pair[1]],
        requiredDVNs: vec![pair[0]],
        ..one_dvn.clone()
    };
    assert!(matches!(layerzero::check_uln_config(&one_plus_one), Err(BridgeError::Config(_))));

    // An admin going around it: the ULN accepts one DVN (it only needs one), the invariant check does not.
    let params = vec![SetDefaultUlnConfigParam { eid: remote, config: one_dvn.clone() }];
    owner_b.send_sol(lz.receive_uln, &IReceiveUln302::setDefaultUlnConfigsCall { params }).await?;
    let err = layerzero::check_chain(&owner_b, lz, &[remote], &[]).await.expect_err("quorum of one");
    assert!(matches!(&err, BridgeError::Config(m) if m.contains("quorum too low")), "{err}");
    let err = layerzero::check_quorum(&owner_b, lz.receive_uln, Address::ZERO, remote).await.expect_err("default");
    assert!(matches!(err, BridgeError::Config(_)));

    // The same through an OApp's own config (its delegate calls EndpointV2.setConfig).
    let owner_a = net.client(0, DEPLOYER)?;
    let a = &net.chains[0];
    let config = UlnConfig { requiredDVNs: vec![a.dvns[1].address], ..one_dvn };
    let call = IEndpointV2::setConfigCall {
        oapp: net.pings[0],
        lib: a.send_uln,
        params: vec![SetConfigParam {
            eid: lz.eid,
            configType: layerzero::CONFIG_TYPE_ULN,
            config: config.abi_encode().into(),
        }],
    };
    owner_a.send_sol(a.endpoint, &call).await?;
    layerzero::check_chain(&owner_a, a, &[lz.eid], &[]).await?;
    let err = layerzero::check_chain(&owner_a, a, &[lz.eid], &[net.pings[0]]).await.expect_err("OApp config");
    assert!(matches!(err, BridgeError::Config(_)), "{err}");
    Ok(())
}

#[tokio::test]
async fn forged_message_from_a_non_peer_is_refused() -> TestResult {
    let net = Net::start(1).await?;
    // The attacker deploys the same OApp on A and points it at B's ping; B's ping does not know it.
    let attacker_a = net.client(0, ATTACKER)?;
    let artifact = artifacts::get("LzPing")?;
    let args = [DynSolValue::Address(net.chains[0].endpoint), DynSolValue::Address(attacker_a.sender())];
    let forger = deploy_artifact(&attacker_a, &artifact, &args).await?.address;
    let peer = LzPing::setPeerCall { _eid: net.chains[1].eid, _peer: address_to_bytes32(net.pings[1]) };
    attacker_a.send_sol(forger, &peer).await?;
    let (_, packet) = net.send_from(forger, 0, 1, ATTACKER, b"mint me a million").await?;
    assert_eq!(packet.receiver, net.pings[1]);

    // DVNs attest what happened on A (a packet was sent); the receiving OApp decides whom it listens to.
    let mut dvns = vec![net.dvn(0)?, net.dvn(1)?, net.dvn(2)?];
    assert_eq!(tick_dvns(&mut dvns).await?, 3);
    let mut executor = net.executor("executor")?;
    for _ in 0..2 {
        let report = executor.tick().await?;
        assert_eq!((report.committed, report.delivered), (0, 0));
        assert_eq!(report.failed.len(), 1);
        assert!(report.failed[0].reason.starts_with("LZ_PathNotInitializable"), "{:?}", report.failed);
    }
    let record = executor.packet(packet.guid)?.ok_or("record")?;
    assert_eq!(record.status, PacketStatus::Pending);

    // The stuck forgery holds nobody up: a genuine message sent after it is delivered.
    net.send(0, 1, b"genuine").await?;
    tick_dvns(&mut dvns).await?;
    let report = executor.tick().await?;
    assert_eq!((report.delivered, report.failed.len()), (1, 1), "{report:?}");
    assert_eq!(net.received(1).await?, 1);
    let client_b = net.client(1, ATTACKER)?;
    let peer_of_a = client_b.call_sol(net.pings[1], &LzPing::peersCall { eid: net.chains[0].eid }).await?;
    assert_eq!(peer_of_a, address_to_bytes32(net.pings[0]));
    assert_ne!(peer_of_a, packet.sender);
    let allowed = client_b
        .call_sol(
            net.pings[1],
            &LzPing::allowInitializePathCall {
                origin: LzPing::Origin { srcEid: packet.src_eid, sender: packet.sender, nonce: packet.nonce },
            },
        )
        .await?;
    assert!(!allowed, "the OApp's peer check refuses the path");

    // Calling the OApp directly is refused too.
    let direct = LzPing::lzReceiveCall {
        _origin: LzPing::Origin { srcEid: packet.src_eid, sender: address_to_bytes32(net.pings[0]), nonce: 1 },
        _guid: packet.guid,
        _message: packet.message.clone(),
        _executor: client_b.sender(),
        _extraData: Bytes::new(),
    };
    let err = client_b.send_sol(net.pings[1], &direct).await.expect_err("not the endpoint");
    assert_eq!(err.revert_name(), Some("OnlyEndpoint"));
    let genuine = client_b.call_sol(net.pings[1], &LzPing::receivedCall(U256::ZERO)).await?;
    assert_eq!(genuine.as_ref(), b"genuine", "only the genuine message arrived");
    Ok(())
}

/// The same deployment and daemons over JSON-RPC against two Hardhat nodes (npm `hardhat`, pinned in
/// contracts/package.json; both are chain 31337, told apart by their endpoint ids). Without Node.js or the npm
/// packages this fails with instructions; it never skips.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hardhat_nodes_run_the_same_daemons_over_json_rpc() -> TestResult {
    use automat_chain::signer_from_mnemonic;
    use automat_chain_rpc::RpcClient;
    use automat_hardhat::HardhatNode;

    let nodes = [HardhatNode::start()?, HardhatNode::start()?];
    let client = async |node: &HardhatNode, account: usize| -> TestResult<RpcClient> {
        Ok(RpcClient::connect(&node.url(), signer_from_mnemonic(DEFAULT_MNEMONIC, account as u32)?).await?)
    };
    let keys = (0..2).map(|d| layerzero::dev_dvn_keys(DEFAULT_MNEMONIC, d, 3)).collect::<Result<Vec<_>, _>>()?;
    let admins =
        [DVN_ADMIN_BASE, DVN_ADMIN_BASE + 1, EXECUTOR].map(|i| signer_from_mnemonic(DEFAULT_MNEMONIC, i as u32));
    let admins = admins.into_iter().map(|s| s.map(|s| s.address())).collect::<Result<Vec<_>, _>>()?;
    let config = LzChainConfig::new(keys.iter().map(|k| DvnSpec::from_keys(k, 2)).collect()).with_admins(admins);
    let pathways = PathwayConfig::new(PathwaySecurity::required(1, vec![0, 1]));

    let mut pairs = Vec::new();
    for (index, node) in nodes.iter().enumerate() {
        let owner = client(node, DEPLOYER).await?;
        let chain = layerzero::deploy_chain(&owner, layerzero::local_eid(index as u32), &config).await?;
        pairs.push((owner, chain));
    }
    layerzero::wire(&pairs, &pathways).await?;
    let mut pings = Vec::new();
    for (owner, chain) in &pairs {
        let args = [DynSolValue::Address(chain.endpoint), DynSolValue::Address(owner.sender())];
        pings.push(deploy_artifact(owner, &artifacts::get("LzPing")?, &args).await?.address);
    }
    for (i, (owner, _)) in pairs.iter().enumerate() {
        let j = 1 - i;
        owner
            .send_sol(pings[i], &LzPing::setPeerCall { _eid: pairs[j].1.eid, _peer: address_to_bytes32(pings[j]) })
            .await?;
    }

    let dir = tempfile::tempdir()?;
    let mut dvns = Vec::new();
    for (dvn, keys) in keys.iter().enumerate() {
        let mut lanes = Vec::new();
        for (node, (_, chain)) in nodes.iter().zip(&pairs) {
            lanes.push((client(node, DVN_ADMIN_BASE + dvn).await?, chain.clone()));
        }
        let progress = Progress::open(dir.path().join(format!("dvn{dvn}.redb")))?;
        dvns.push(DvnWorker::new(lanes, dvn, keys.clone(), &pathways, progress)?);
    }
    let mut lanes = Vec::new();
    for (node, (_, chain)) in nodes.iter().zip(&pairs) {
        lanes.push((client(node, EXECUTOR).await?, chain.clone()));
    }
    let mut executor = ExecutorWorker::new(lanes, Progress::open(dir.path().join("executor.redb"))?)?;

    let user = client(&nodes[0], USER).await?;
    let dst = pairs[1].1.eid;
    let payload = Bytes::from_static(b"over json-rpc");
    let fee = user.call_sol(pings[0], &LzPing::quoteCall { dstEid: dst, payload: payload.clone() }).await?;
    let sent = user.send_sol_with_value(pings[0], &LzPing::sendCall { dstEid: dst, payload }, fee).await?;
    assert_eq!(tick_dvns(&mut dvns).await?, 2);
    let report = executor.tick().await?;
    assert_eq!((report.committed, report.delivered), (1, 1), "{report:?}");
    let guid = sent.events::<LzPing::PingSent>()[0].guid;
    let (dvn_record, exec_record) = (dvns[0].packet(guid)?.ok_or("dvn")?, executor.packet(guid)?.ok_or("exec")?);
    eprintln!(
        "Hardhat gas (2 DVNs): send {} | DVN verify {} | commitVerification {} | execute302 {}",
        sent.gas_used,
        dvn_record.gas_of(STEP_VERIFY).ok_or("verify gas")?,
        exec_record.gas_of(STEP_COMMIT).ok_or("commit gas")?,
        exec_record.gas_of(STEP_EXECUTE).ok_or("execute gas")?,
    );
    let reader = client(&nodes[1], USER).await?;
    assert_eq!(reader.call_sol(pings[1], &LzPing::receivedCountCall {}).await?, U256::from(1));
    assert_eq!(executor.tick().await?.seen, 0, "nothing left to do");
    Ok(())
}
