//! Hyperlane deployed from its published artifacts on two embedded devnet chains, 2-of-3 message-id multisig,
//! with this crate's validators and relayer carrying `HyperlanePing` messages — and the attacks the
//! protocol must refuse.

use std::{path::PathBuf, time::Duration};

use alloy_primitives::{Address, B256, Bytes, U256, uint};
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::{SolEvent, sol};
use automat_bridge::{
    BridgeError, Progress,
    hyperlane::{
        CheckpointStore, HlChain, HlChainConfig, HlMessage, MessageStatus, Relayer, RelayerConfig, RelayerCrashPoint,
        SignedCheckpoint, Validator, ValidatorConfig, address_to_bytes32, bindings::IMailbox, bindings::IMultisigIsm,
        bindings::IThresholdAddressFactory, bindings::IValidatorAnnounce, check_quorum, deploy_chain, deploy_ism,
        domain_of, message_id_metadata, rotate_validators,
    },
};
use automat_chain::{ChainClient, ChainClientExt, ChainError, DevnetControl, Receipt, alloy::Filter};
use automat_contracts::{artifacts, deploy_artifact};
use automat_devnet::{Devnet, DevnetConfig, EmbeddedClient};
use tempfile::TempDir;

sol!(
    #[derive(Debug, PartialEq, Eq)]
    HyperlanePing,
    "../../contracts/out/testing/HyperlanePing.sol/HyperlanePing.json"
);

const OWNER: usize = 0;
const ANNOUNCER: usize = 1;
const RELAYER: usize = 2;
const USER: usize = 3;
const ATTACKER: usize = 4;

/// Two chains with Hyperlane and a ping app on each, three validator keys, a scratch directory.
struct Net {
    devnet: Devnet,
    a: u64,
    b: u64,
    hl_a: HlChain,
    hl_b: HlChain,
    ping_a: Address,
    ping_b: Address,
    keys: Vec<PrivateKeySigner>,
    dir: TempDir,
}

impl Net {
    async fn start(protocol_fee: U256) -> Self {
        let devnet = Devnet::start(DevnetConfig::with_chains(2)).expect("devnet starts");
        let ids = devnet.chain_ids();
        let (a, b) = (ids[0], ids[1]);
        let keys: Vec<PrivateKeySigner> = (0..3).map(|_| PrivateKeySigner::random()).collect();
        let mut deployed = Vec::new();
        let mut pings = Vec::new();
        for id in [a, b] {
            let owner = devnet.dev_client(id, OWNER).expect("owner");
            let config = HlChainConfig::new(owner.sender(), keys.iter().map(|k| k.address()).collect(), 2)
                .with_protocol_fee(protocol_fee);
            let chain = deploy_chain(&owner, domain_of(id).expect("domain"), &config).await.expect("hyperlane deploys");
            let ping = deploy_artifact(
                &owner,
                &artifacts::get("HyperlanePing").expect("artifact"),
                &[alloy_dyn_abi::DynSolValue::Address(chain.mailbox)],
            )
            .await
            .expect("ping deploys");
            deployed.push(chain);
            pings.push(ping.address);
        }
        let hl_b = deployed.pop().expect("b");
        let hl_a = deployed.pop().expect("a");
        Self {
            devnet,
            a,
            b,
            hl_a,
            hl_b,
            ping_a: pings[0],
            ping_b: pings[1],
            keys,
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }

    fn client(&self, chain: u64, account: usize) -> EmbeddedClient {
        self.devnet.dev_client(chain, account).expect("dev client")
    }

    fn hl(&self, chain: u64) -> &HlChain {
        if chain == self.a { &self.hl_a } else { &self.hl_b }
    }

    fn ping(&self, chain: u64) -> Address {
        if chain == self.a { self.ping_a } else { self.ping_b }
    }

    fn checkpoint_dir(&self, origin: u64, key: &PrivateKeySigner) -> PathBuf {
        self.dir.path().join(format!("checkpoints-{origin}-{}", key.address()))
    }

    fn validator(&self, origin: u64, key: &PrivateKeySigner, confirmations: u64) -> Validator<EmbeddedClient> {
        let progress = Progress::open(self.dir.path().join(format!("validator-{origin}-{}.redb", key.address())))
            .expect("progress opens");
        let config = ValidatorConfig {
            origin: self.hl(origin).clone(),
            checkpoint_dir: self.checkpoint_dir(origin, key),
            confirmations,
        };
        Validator::new(self.client(origin, ANNOUNCER), key.clone(), config, progress).expect("validator")
    }

    fn validators(&self, origin: u64, confirmations: u64) -> Vec<Validator<EmbeddedClient>> {
        self.keys.iter().map(|k| self.validator(origin, k, confirmations)).collect()
    }

    fn relayer_path(&self) -> PathBuf {
        self.dir.path().join("relayer.redb")
    }

    fn relayer(&self, confirmations: u64) -> Relayer<EmbeddedClient> {
        let progress = Progress::open(self.relayer_path()).expect("progress opens");
        Relayer::new(
            vec![(self.client(self.a, RELAYER), self.hl_a.clone()), (self.client(self.b, RELAYER), self.hl_b.clone())],
            progress,
            RelayerConfig { confirmations },
        )
        .expect("relayer")
    }

    /// The user's ping on `from` sends `body` to the ping on `to`; returns the message and the receipt.
    async fn send(&self, from: u64, to: u64, body: &[u8]) -> (HlMessage, Receipt) {
        self.send_from(self.client(from, USER), self.ping(from), to, body).await
    }

    async fn send_from(&self, client: EmbeddedClient, ping: Address, to: u64, body: &[u8]) -> (HlMessage, Receipt) {
        let call = HyperlanePing::sendCall {
            destination: domain_of(to).expect("domain"),
            recipient: address_to_bytes32(self.ping(to)),
            body: Bytes::copy_from_slice(body),
        };
        let fee = client
            .call_sol(
                self.hl(client.chain_id()).mailbox,
                &IMailbox::quoteDispatchCall {
                    destinationDomain: call.destination,
                    recipientAddress: call.recipient,
                    messageBody: call.body.clone(),
                },
            )
            .await
            .expect("quote");
        let receipt = client.send_sol_with_value(ping, &call, fee).await.expect("ping sends");
        let dispatch = receipt.events::<IMailbox::Dispatch>();
        assert_eq!(dispatch.len(), 1, "one Dispatch");
        (HlMessage::decode(&dispatch[0].message).expect("message decodes"), receipt)
    }

    async fn received(&self, chain: u64) -> U256 {
        self.client(chain, USER).call_sol(self.ping(chain), &HyperlanePing::receivedCall {}).await.expect("received")
    }

    async fn delivered(&self, chain: u64, id: B256) -> bool {
        self.client(chain, USER)
            .call_sol(self.hl(chain).mailbox, &IMailbox::deliveredCall { messageId: id })
            .await
            .expect("delivered")
    }

    /// `ProcessId` events for `id` on `chain`.
    async fn process_events(&self, chain: u64, id: B256) -> usize {
        let filter = Filter::new()
            .address(self.hl(chain).mailbox)
            .event_signature(IMailbox::ProcessId::SIGNATURE_HASH)
            .topic1(id)
            .from_block(0u64);
        self.client(chain, USER).logs(&filter).await.expect("logs").len()
    }

    /// The checkpoint validator `key` signed for leaf `index` of `origin`.
    fn signed(&self, origin: u64, key: &PrivateKeySigner, index: u32) -> SignedCheckpoint {
        CheckpointStore::create(self.checkpoint_dir(origin, key))
            .expect("store")
            .fetch_checkpoint(index)
            .expect("checkpoint written")
    }

    /// Submits `process(metadata, message)` on the message's destination from the attacker's account.
    async fn process(&self, on: u64, metadata: Bytes, message: &HlMessage) -> Result<Receipt, ChainError> {
        self.client(on, ATTACKER)
            .send_sol(self.hl(on).mailbox, &IMailbox::processCall { metadata, message: message.encode() })
            .await
    }
}

async fn tick_all(validators: &mut [Validator<EmbeddedClient>]) -> u32 {
    let mut signed = 0;
    for v in validators.iter_mut() {
        signed += v.tick().await.expect("validator tick").signed;
    }
    signed
}

fn sig(checkpoint: &SignedCheckpoint) -> [u8; 65] {
    checkpoint.signature_bytes().expect("65 bytes")
}

/// Metadata from `checkpoints` as given (no reordering: attacks choose their own order).
fn metadata(hl_origin: &HlChain, checkpoints: &[&SignedCheckpoint], signatures: &[[u8; 65]]) -> Bytes {
    let c = &checkpoints[0].value.checkpoint;
    assert_eq!(c.merkle_tree_hook_address, address_to_bytes32(hl_origin.merkle_tree_hook));
    message_id_metadata(c.merkle_tree_hook_address, c.root, c.index, signatures)
}

/// The validator keys of `net` in ISM (ascending address) order.
fn ordered(keys: &[PrivateKeySigner]) -> Vec<PrivateKeySigner> {
    let mut keys = keys.to_vec();
    keys.sort_by_key(|k| k.address());
    keys
}

fn assert_revert(result: Result<Receipt, ChainError>, needle: &str) {
    match result {
        Err(e @ ChainError::Reverted { .. }) => {
            assert!(e.to_string().contains(needle), "expected a revert with {needle:?}, got {e}")
        }
        Err(e) => panic!("expected a revert with {needle:?}, got another error: {e}"),
        Ok(r) => panic!("expected a revert with {needle:?}, but {} succeeded", r.transaction_hash),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn round_trip_by_validator_and_relayer_daemons() {
    let fee = U256::from(1_000u64);
    let net = Net::start(fee).await;
    assert!(net.hl_a.deploy_gas > 0);
    eprintln!("deploy gas per chain: {}", net.hl_a.deploy_gas);
    for chain in [net.a, net.b] {
        let quorum = check_quorum(&net.client(chain, USER), net.hl(chain)).await.expect("quorum holds");
        assert_eq!(quorum.threshold, 2);
        assert_eq!(quorum.validators, ordered(&net.keys).iter().map(|k| k.address()).collect::<Vec<_>>());
    }

    let (stop, stopped) = tokio::sync::watch::channel(false);
    let shutdown = || {
        let mut rx = stopped.clone();
        async move {
            let _ = rx.changed().await;
        }
    };
    let interval = Duration::from_millis(20);
    let mut tasks = Vec::new();
    for origin in [net.a, net.b] {
        for v in net.validators(origin, 1) {
            tasks.push(tokio::spawn({
                let s = shutdown();
                async move {
                    v.run(interval, s).await;
                }
            }));
        }
    }
    let relayer = tokio::spawn(net.relayer(1).run(interval, shutdown()));

    // A → B, then B answers A.
    let (ping, dispatch_receipt) = net.send(net.a, net.b, b"ping").await;
    let wait = async |chain: u64, count: u64| {
        for _ in 0..500 {
            if net.received(chain).await == U256::from(count) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("chain {chain} never received message {count}");
    };
    wait(net.b, 1).await;
    let (pong, _) = net.send(net.b, net.a, b"pong").await;
    wait(net.a, 1).await;
    let (ping2, dispatch2_receipt) = net.send(net.a, net.b, b"ping again").await;
    wait(net.b, 2).await;
    // The relayer delivers on a quorum (2 of 3): let the slowest validator sign the second leaf before stopping.
    for _ in 0..500 {
        let announced = net
            .client(net.a, USER)
            .call_sol(
                net.hl_a.validator_announce,
                &IValidatorAnnounce::getAnnouncedStorageLocationsCall {
                    validators: net.keys.iter().map(|k| k.address()).collect(),
                },
            )
            .await
            .expect("locations");
        let signed_both = announced.iter().all(|locations| {
            locations.first().and_then(|l| CheckpointStore::from_location(l).ok()).and_then(|s| s.latest_index())
                == Some(1)
        });
        if signed_both {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    stop.send(true).expect("stop");
    let relayer = relayer.await.expect("relayer task");
    for task in tasks {
        task.await.expect("validator task");
    }

    let b_user = net.client(net.b, USER);
    let last = b_user.call_sol(net.ping_b, &HyperlanePing::lastBodyCall {}).await.expect("lastBody");
    assert_eq!(last.as_ref(), b"ping again");
    let origin = b_user.call_sol(net.ping_b, &HyperlanePing::lastOriginCall {}).await.expect("lastOrigin");
    assert_eq!(origin, net.hl_a.domain);
    let sender = b_user.call_sol(net.ping_b, &HyperlanePing::lastSenderCall {}).await.expect("lastSender");
    assert_eq!(sender, address_to_bytes32(net.ping_a));
    assert_eq!(
        net.client(net.a, USER).call_sol(net.ping_a, &HyperlanePing::lastBodyCall {}).await.expect("lastBody").as_ref(),
        b"pong"
    );
    // The protocol fee was paid to the required hook.
    assert_eq!(net.client(net.a, USER).balance(net.hl_a.protocol_fee).await.expect("balance"), fee * U256::from(2));

    // Every validator announced its file:// location on the origin and wrote a checkpoint per leaf.
    let announced = net
        .client(net.a, USER)
        .call_sol(
            net.hl_a.validator_announce,
            &IValidatorAnnounce::getAnnouncedStorageLocationsCall {
                validators: net.keys.iter().map(|k| k.address()).collect(),
            },
        )
        .await
        .expect("locations");
    for (key, locations) in net.keys.iter().zip(&announced) {
        assert_eq!(locations.len(), 1, "announced once");
        assert!(locations[0].starts_with("file://"));
        let store = CheckpointStore::from_location(&locations[0]).expect("location");
        assert_eq!(store.latest_index(), Some(1), "two leaves on A");
        for (index, message) in [(0u32, &ping), (1, &ping2)] {
            let signed = store.fetch_checkpoint(index).expect("checkpoint file");
            assert_eq!(signed.value.message_id, message.id());
            assert_eq!(signed.recover().expect("recovers"), key.address());
        }
    }
    // The signed roots are the tree's roots at each index: the latest equals the hook's own checkpoint.
    let (root, index) = {
        let r = net
            .client(net.a, USER)
            .call_sol(
                net.hl_a.merkle_tree_hook,
                &automat_bridge::hyperlane::bindings::IMerkleTreeHook::latestCheckpointCall {},
            )
            .await
            .expect("latestCheckpoint");
        (r._0, r._1)
    };
    assert_eq!(index, 1);
    assert_eq!(net.signed(net.a, &net.keys[0], 1).value.checkpoint.root, root);

    let records = relayer.messages().expect("records");
    assert_eq!(records.len(), 3);
    let mut process_gas = Vec::new();
    for record in &records {
        match &record.status {
            MessageStatus::Delivered { tx: Some(_), gas_used: Some(gas), processor } => {
                assert_eq!(*processor, net.client(net.a, RELAYER).sender());
                process_gas.push(*gas);
            }
            other => panic!("message {} not delivered by the relayer: {other:?}", record.nonce),
        }
    }
    assert_eq!(net.process_events(net.b, ping.id()).await, 1);
    assert_eq!(net.process_events(net.a, pong.id()).await, 1);
    eprintln!(
        "gas: HyperlanePing.send (dispatch, ProtocolFee {fee} wei) first {} / second {}; Mailbox.process (2-of-3 \
         message-id) {process_gas:?}",
        dispatch_receipt.gas_used, dispatch2_receipt.gas_used
    );

    // Mailbox.dispatch straight from an account, for the bare cost.
    let user = net.client(net.a, USER);
    let direct = IMailbox::dispatchCall {
        destinationDomain: net.hl_b.domain,
        recipientAddress: address_to_bytes32(net.ping_b),
        messageBody: Bytes::from_static(b"direct"),
    };
    let receipt = user.send_sol_with_value(net.hl_a.mailbox, &direct, fee).await.expect("dispatch");
    eprintln!("gas: Mailbox.dispatch from an account (third message) {}", receipt.gas_used);
}

#[tokio::test]
async fn confirmations_are_honoured() {
    let net = Net::start(U256::ZERO).await;
    let mut validators = net.validators(net.a, 3);
    let mut relayer = net.relayer(3);
    tick_all(&mut validators).await; // announce
    let (message, _) = net.send(net.a, net.b, b"slow").await;
    let a = net.client(net.a, USER);

    // One confirmation (the dispatch block is the head): nobody acts.
    assert_eq!(tick_all(&mut validators).await, 0);
    assert_eq!(relayer.tick().await.expect("tick").seen, 0);
    assert!(
        CheckpointStore::create(net.checkpoint_dir(net.a, &net.keys[0])).expect("store").fetch_checkpoint(0).is_none()
    );
    a.mine(1).await.expect("mine");
    // Two confirmations: still nothing.
    assert_eq!(tick_all(&mut validators).await, 0);
    assert_eq!(relayer.tick().await.expect("tick").seen, 0);
    a.mine(1).await.expect("mine");
    // Three: validators sign, the relayer picks it up and delivers.
    assert_eq!(tick_all(&mut validators).await, 3);
    let report = relayer.tick().await.expect("tick");
    assert_eq!((report.seen, report.delivered), (1, 1), "{report:?}");
    assert!(net.delivered(net.b, message.id()).await);
}

#[tokio::test]
async fn relayer_crash_and_restart_never_delivers_twice_nor_skips() {
    let net = Net::start(U256::ZERO).await;
    let mut validators = net.validators(net.a, 1);
    let relayer_account = net.client(net.b, RELAYER).sender();

    // Crash after `process` is mined, before the delivery is recorded.
    let (first, _) = net.send(net.a, net.b, b"one").await;
    tick_all(&mut validators).await;
    let mut relayer = net.relayer(1);
    relayer.inject_crash(RelayerCrashPoint::AfterSubmit);
    let crash = relayer.tick().await.expect_err("simulated crash");
    assert!(matches!(crash, BridgeError::Progress(ref m) if m.contains("AfterSubmit")), "{crash}");
    assert_eq!(relayer.message(net.hl_a.domain, 0).expect("read").expect("recorded").status, MessageStatus::Pending);
    drop(relayer);
    assert!(net.delivered(net.b, first.id()).await);

    let mut relayer = net.relayer(1);
    let report = relayer.tick().await.expect("tick after restart");
    assert_eq!((report.delivered, report.already_delivered), (0, 1), "{report:?}");
    assert_eq!(
        relayer.message(net.hl_a.domain, 0).expect("read").expect("recorded").status,
        MessageStatus::Delivered { tx: None, gas_used: None, processor: relayer_account }
    );
    assert_eq!(net.process_events(net.b, first.id()).await, 1);
    assert_eq!(net.received(net.b).await, U256::from(1));

    // Crash after recording new messages, before the cursor moves.
    let (second, _) = net.send(net.a, net.b, b"two").await;
    tick_all(&mut validators).await;
    relayer.inject_crash(RelayerCrashPoint::AfterRecord);
    relayer.tick().await.expect_err("simulated crash");
    drop(relayer);
    // A third message while the relayer is down.
    let (third, _) = net.send(net.a, net.b, b"three").await;
    tick_all(&mut validators).await;

    let mut relayer = net.relayer(1);
    let report = relayer.tick().await.expect("tick after restart");
    assert_eq!(report.delivered, 2, "{report:?}");
    for message in [&first, &second, &third] {
        assert_eq!(net.process_events(net.b, message.id()).await, 1, "nonce {} delivered exactly once", message.nonce);
    }
    assert_eq!(net.received(net.b).await, U256::from(3));
    assert_eq!(relayer.messages().expect("records").len(), 3);
    let idle = relayer.tick().await.expect("idle tick");
    assert_eq!((idle.seen, idle.delivered, idle.already_delivered), (0, 0, 0));
}

#[tokio::test]
async fn replays_are_refused() {
    let net = Net::start(U256::ZERO).await;
    let mut validators = net.validators(net.a, 1);
    let (message, _) = net.send(net.a, net.b, b"once").await;
    tick_all(&mut validators).await;
    let keys = ordered(&net.keys);
    let (c0, c1) = (net.signed(net.a, &keys[0], 0), net.signed(net.a, &keys[1], 0));
    let good = metadata(&net.hl_a, &[&c0, &c1], &[sig(&c0), sig(&c1)]);

    // A valid metadata delivers once; the same message again is refused by the Mailbox.
    let receipt = net.process(net.b, good.clone(), &message).await.expect("delivers");
    eprintln!("gas: Mailbox.process (2-of-3 message-id, attacker-submitted) {}", receipt.gas_used);
    assert_revert(net.process(net.b, good.clone(), &message).await, "Mailbox: already delivered");

    // The same message replayed onto another chain (here its origin) is refused: wrong destination.
    assert_revert(net.process(net.a, good.clone(), &message).await, "Mailbox: unexpected destination");
    // Rewriting its destination (and recipient) changes its id, so the validators' signatures no longer match.
    let mut redirected = message.clone();
    redirected.destination = net.hl_a.domain;
    redirected.recipient = address_to_bytes32(net.ping_a);
    assert_revert(net.process(net.a, good, &redirected).await, "!threshold");
    assert_eq!(net.received(net.a).await, U256::ZERO);
    assert_eq!(net.received(net.b).await, U256::from(1));

    // The relayer finds it delivered and does not try again.
    let report = net.relayer(1).tick().await.expect("tick");
    assert_eq!((report.delivered, report.already_delivered), (0, 1), "{report:?}");
}

#[tokio::test]
async fn forged_signatures_are_refused() {
    let net = Net::start(U256::ZERO).await;
    let mut validators = net.validators(net.a, 1);
    let (message, _) = net.send(net.a, net.b, b"guarded").await;
    tick_all(&mut validators).await;
    let keys = ordered(&net.keys);
    let (c0, c1, c2) = (net.signed(net.a, &keys[0], 0), net.signed(net.a, &keys[1], 0), net.signed(net.a, &keys[2], 0));

    // One validator's signature counted twice.
    assert_revert(net.process(net.b, metadata(&net.hl_a, &[&c0], &[sig(&c0), sig(&c0)]), &message).await, "!threshold");
    // Valid signatures out of validator order.
    assert_revert(net.process(net.b, metadata(&net.hl_a, &[&c1], &[sig(&c1), sig(&c0)]), &message).await, "!threshold");
    // One signature short (the ISM reads `threshold` signatures: the slice runs past the end).
    let short = metadata(&net.hl_a, &[&c0], &[sig(&c0)]);
    match net.process(net.b, short, &message).await {
        Err(ChainError::Reverted { data, .. }) => assert!(data.is_empty(), "reverts without data"),
        other => panic!("expected a revert without data, got {other:?}"),
    }

    // A high-s twin of a valid signature (same signer, malleated) is rejected by ECDSA.recover.
    let n = uint!(0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141_U256);
    let mut high = sig(&c0);
    let s = U256::from_be_slice(&high[32..64]);
    high[32..64].copy_from_slice(&(n - s).to_be_bytes::<32>());
    high[64] = if high[64] == 27 { 28 } else { 27 };
    assert_revert(
        net.process(net.b, metadata(&net.hl_a, &[&c0], &[high, sig(&c2)]), &message).await,
        "invalid signature 's' value",
    );
    // Garbage that recovers to no address.
    let mut zero = [0u8; 65];
    zero[64] = 27;
    assert_revert(
        net.process(net.b, metadata(&net.hl_a, &[&c0], &[zero, sig(&c2)]), &message).await,
        "ECDSA: invalid signature",
    );
    // A well-formed signature by a key that is not a validator recovers to another address.
    let outsider = PrivateKeySigner::random();
    let forged = SignedCheckpoint::sign(&outsider, c0.value).expect("signs");
    assert_revert(
        net.process(net.b, metadata(&net.hl_a, &[&c0], &[sig(&forged), sig(&c2)]), &message).await,
        "!threshold",
    );
    // Validators' signatures over another message id (the previous tests' metadata bound to a different body).
    let mut altered = message.clone();
    altered.body = Bytes::from_static(b"altered");
    assert_revert(net.process(net.b, metadata(&net.hl_a, &[&c0], &[sig(&c0), sig(&c2)]), &altered).await, "!threshold");

    // The ISM's own view agrees, and the genuine message still goes through afterwards.
    let verify = net
        .client(net.b, USER)
        .call_sol(
            net.hl_b.ism,
            &IMultisigIsm::verifyCall {
                metadata: metadata(&net.hl_a, &[&c0], &[sig(&c0), sig(&c2)]),
                message: message.encode(),
            },
        )
        .await
        .expect("verify");
    assert!(verify);
    assert!(!net.delivered(net.b, message.id()).await);
    let report = net.relayer(1).tick().await.expect("tick");
    assert_eq!(report.delivered, 1, "{report:?}");
}

#[tokio::test]
async fn rotated_out_validators_no_longer_count() {
    let mut net = Net::start(U256::ZERO).await;
    let mut old = net.validators(net.a, 1);
    let (message, _) = net.send(net.a, net.b, b"after rotation").await;
    tick_all(&mut old).await;
    let keys = ordered(&net.keys);
    let (c0, c1) = (net.signed(net.a, &keys[0], 0), net.signed(net.a, &keys[1], 0));
    let old_metadata = metadata(&net.hl_a, &[&c0, &c1], &[sig(&c0), sig(&c1)]);

    // B's owner rotates to three new keys.
    let new_keys: Vec<PrivateKeySigner> = (0..3).map(|_| PrivateKeySigner::random()).collect();
    let previous_ism = net.hl_b.ism;
    let owner = net.client(net.b, OWNER);
    let mut hl_b = net.hl_b.clone();
    let quorum = rotate_validators(&owner, &mut hl_b, &new_keys.iter().map(|k| k.address()).collect::<Vec<_>>(), 2)
        .await
        .expect("rotates");
    assert_ne!(quorum.ism, previous_ism);
    assert_eq!(quorum.threshold, 2);
    net.hl_b = hl_b;

    // The old set's signatures no longer verify, and the relayer cannot find a quorum of the new set.
    assert_revert(net.process(net.b, old_metadata, &message).await, "!threshold");
    let mut relayer = net.relayer(1);
    let report = relayer.tick().await.expect("tick");
    assert_eq!((report.delivered, report.waiting_for_signatures), (0, 1), "{report:?}");
    let record = relayer.message(net.hl_a.domain, 0).expect("read").expect("recorded");
    assert!(record.last_error.as_deref().is_some_and(|e| e.contains("0 of the 2")), "{record:?}");

    // Only a non-owner cannot rotate.
    let stranger = net.client(net.b, ATTACKER);
    let mut copy = net.hl_b.clone();
    assert!(
        rotate_validators(&stranger, &mut copy, &net.keys.iter().map(|k| k.address()).collect::<Vec<_>>(), 2)
            .await
            .is_err()
    );

    // The new validators come up on A and the message is delivered.
    let mut new = new_keys.iter().map(|k| net.validator(net.a, k, 1)).collect::<Vec<_>>();
    assert_eq!(tick_all(&mut new).await, 3);
    let report = relayer.tick().await.expect("tick");
    assert_eq!(report.delivered, 1, "{report:?}");
    assert!(net.delivered(net.b, message.id()).await);
}

#[tokio::test]
async fn quorum_below_two_is_refused() {
    let net = Net::start(U256::ZERO).await;
    let owner = net.client(net.b, OWNER);
    let addrs: Vec<Address> = net.keys.iter().map(|k| k.address()).collect();

    // Configuration mistakes are refused before anything is sent.
    for (validators, threshold) in
        [(addrs.clone(), 1u8), (addrs.clone(), 0), (addrs.clone(), 4), (vec![addrs[0], addrs[0], addrs[1]], 2)]
    {
        let config = HlChainConfig::new(owner.sender(), validators.clone(), threshold);
        assert!(matches!(config.validate(), Err(BridgeError::Config(_))), "{validators:?}/{threshold}");
        assert!(matches!(deploy_chain(&owner, net.hl_b.domain, &config).await, Err(BridgeError::Config(_))));
        assert!(matches!(
            deploy_ism(&owner, net.hl_b.ism_factory, &validators, threshold).await,
            Err(BridgeError::Config(_))
        ));
        let mut copy = net.hl_b.clone();
        assert!(matches!(
            rotate_validators(&owner, &mut copy, &validators, threshold).await,
            Err(BridgeError::Config(_))
        ));
    }
    assert_eq!(owner.call_sol(net.hl_b.mailbox, &IMailbox::defaultIsmCall {}).await.expect("ism"), net.hl_b.ism);

    // An admin mistake made around this module (a 1-of-3 ISM straight from the factory, set as default)
    // is caught by the on-chain check.
    let mut sorted = addrs.clone();
    sorted.sort();
    let weak = owner
        .call_sol(
            net.hl_b.ism_factory,
            &IThresholdAddressFactory::getAddressCall { values: sorted.clone(), threshold: 1 },
        )
        .await
        .expect("address");
    owner
        .send_sol(net.hl_b.ism_factory, &IThresholdAddressFactory::deployCall { values: sorted, threshold: 1 })
        .await
        .expect("factory deploys");
    owner.send_sol(net.hl_b.mailbox, &IMailbox::setDefaultIsmCall { module: weak }).await.expect("set");
    match check_quorum(&owner, &net.hl_b).await {
        Err(BridgeError::Config(reason)) => assert!(reason.contains("below the minimum"), "{reason}"),
        other => panic!("expected a config error, got {other:?}"),
    }
    // Rotating back to a proper quorum restores the invariant.
    let mut hl_b = net.hl_b.clone();
    rotate_validators(&owner, &mut hl_b, &addrs, 2).await.expect("rotates back");
    assert_eq!(check_quorum(&owner, &hl_b).await.expect("holds").threshold, 2);
}

#[tokio::test]
async fn recipient_refusals_are_retried_with_the_reason_recorded() {
    let net = Net::start(U256::ZERO).await;
    let mut validators = net.validators(net.a, 1);
    let owner_b = net.client(net.b, OWNER);
    owner_b.send_sol(net.ping_b, &HyperlanePing::setAllowlistEnabledCall { enabled: true }).await.expect("allowlist");
    owner_b
        .send_sol(
            net.ping_b,
            &HyperlanePing::setAllowedSenderCall {
                origin: net.hl_a.domain,
                sender: address_to_bytes32(net.ping_a),
                allowed: true,
            },
        )
        .await
        .expect("allow ping A");
    let mut relayer = net.relayer(1);

    // A genuine message from the allowlisted app is delivered.
    let (genuine, _) = net.send(net.a, net.b, b"from the app").await;
    tick_all(&mut validators).await;
    assert_eq!(relayer.tick().await.expect("tick").delivered, 1);
    assert!(net.delivered(net.b, genuine.id()).await);

    // A forged message: the attacker's own ping on A sends to B's ping. The validators sign it (it was really
    // dispatched), but the recipient refuses the sender, every time the relayer tries.
    let attacker = net.client(net.a, ATTACKER);
    let fake = deploy_artifact(
        &attacker,
        &artifacts::get("HyperlanePing").expect("artifact"),
        &[alloy_dyn_abi::DynSolValue::Address(net.hl_a.mailbox)],
    )
    .await
    .expect("attacker deploys");
    let (forged, _) = net.send_from(attacker, fake.address, net.b, b"mint me money").await;
    tick_all(&mut validators).await;
    for attempt in 1..=2 {
        let report = relayer.tick().await.expect("tick");
        assert_eq!((report.delivered, report.reverted), (0, 1), "{report:?}");
        let record = relayer.message(net.hl_a.domain, forged.nonce).expect("read").expect("recorded");
        assert_eq!(record.status, MessageStatus::Pending);
        assert_eq!(record.attempts, attempt);
        assert!(record.last_error.as_deref().is_some_and(|e| e.contains("SenderNotAllowed")), "{record:?}");
    }
    assert!(!net.delivered(net.b, forged.id()).await);
    assert_eq!(net.received(net.b).await, U256::from(1));

    // A recipient that fails for a while: the error is recorded, and the message goes through once it recovers.
    owner_b.send_sol(net.ping_b, &HyperlanePing::setFailCall { fail_: true }).await.expect("fail on");
    let (later, _) = net.send(net.a, net.b, b"later").await;
    tick_all(&mut validators).await;
    let report = relayer.tick().await.expect("tick");
    assert_eq!((report.delivered, report.reverted), (0, 2), "{report:?}");
    let record = relayer.message(net.hl_a.domain, later.nonce).expect("read").expect("recorded");
    assert!(record.last_error.as_deref().is_some_and(|e| e.contains("Failing")), "{record:?}");
    owner_b.send_sol(net.ping_b, &HyperlanePing::setFailCall { fail_: false }).await.expect("fail off");
    let report = relayer.tick().await.expect("tick");
    assert_eq!((report.delivered, report.reverted), (1, 1), "{report:?}");
    assert!(net.delivered(net.b, later.id()).await);
    assert_eq!(net.received(net.b).await, U256::from(2));
}

/// The same roles over JSON-RPC against a Hardhat node (npm `hardhat`, pinned in contracts/package.json): one
/// chain, so the ping sends to itself (origin = destination = 31337, which Hyperlane allows). Without Node.js or
/// the npm packages this fails with instructions; it never skips.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hardhat_node_runs_the_same_roles_over_json_rpc() {
    use automat_chain::{DEFAULT_MNEMONIC, signer_from_mnemonic};
    use automat_chain_rpc::RpcClient;

    let node = automat_hardhat::HardhatNode::start()
        .expect("Hardhat node starts (needs node and `npm ci --prefix contracts`)");
    let client = async |index: u32| {
        let signer = signer_from_mnemonic(DEFAULT_MNEMONIC, index).expect("dev account");
        RpcClient::connect(&node.url(), signer).await.expect("connects to the Hardhat node")
    };
    let owner = client(OWNER as u32).await;
    let keys: Vec<PrivateKeySigner> = (0..3).map(|_| PrivateKeySigner::random()).collect();
    let domain = domain_of(owner.chain_id()).expect("domain");
    let config = HlChainConfig::new(owner.sender(), keys.iter().map(|k| k.address()).collect(), 2);
    let hl = deploy_chain(&owner, domain, &config).await.expect("hyperlane deploys on Hardhat");
    let ping = deploy_artifact(
        &owner,
        &artifacts::get("HyperlanePing").expect("artifact"),
        &[alloy_dyn_abi::DynSolValue::Address(hl.mailbox)],
    )
    .await
    .expect("ping deploys")
    .address;

    let dir = tempfile::tempdir().expect("tempdir");
    let mut validators = Vec::new();
    for key in &keys {
        let progress = Progress::open(dir.path().join(format!("v-{}.redb", key.address()))).expect("progress");
        let config = ValidatorConfig {
            origin: hl.clone(),
            checkpoint_dir: dir.path().join(format!("cp-{}", key.address())),
            confirmations: 1,
        };
        validators
            .push(Validator::new(client(ANNOUNCER as u32).await, key.clone(), config, progress).expect("validator"));
    }
    let progress = Progress::open(dir.path().join("relayer.redb")).expect("progress");
    let mut relayer =
        Relayer::new(vec![(client(RELAYER as u32).await, hl.clone())], progress, RelayerConfig::default())
            .expect("relayer");

    let user = client(USER as u32).await;
    for (n, body) in [b"hardhat one".as_slice(), b"hardhat two"].into_iter().enumerate() {
        let call = HyperlanePing::sendCall {
            destination: domain,
            recipient: address_to_bytes32(ping),
            body: Bytes::copy_from_slice(body),
        };
        let receipt = user.send_sol(ping, &call).await.expect("ping sends");
        let message = HlMessage::decode(&receipt.events::<IMailbox::Dispatch>()[0].message).expect("message");
        for v in validators.iter_mut() {
            assert_eq!(v.tick().await.expect("validator tick").signed, 1);
        }
        let report = relayer.tick().await.expect("relayer tick");
        assert_eq!((report.seen, report.delivered), (1, 1), "{report:?}");
        let delivered =
            user.call_sol(hl.mailbox, &IMailbox::deliveredCall { messageId: message.id() }).await.expect("delivered");
        assert!(delivered);
        let received = user.call_sol(ping, &HyperlanePing::receivedCall {}).await.expect("received");
        assert_eq!(received, U256::from(n + 1));
        if let MessageStatus::Delivered { gas_used: Some(gas), .. } =
            relayer.message(domain, message.nonce).expect("read").expect("recorded").status
        {
            eprintln!("hardhat gas: send {} / process {gas}", receipt.gas_used);
        }
    }
    let idle = relayer.tick().await.expect("idle tick");
    assert_eq!((idle.seen, idle.delivered, idle.already_delivered), (0, 0, 0));
}
