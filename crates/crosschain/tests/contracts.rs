//! Unit tests of the cross-chain contracts, function by function, with exact custom errors (decoded with their
//! arguments) and exact events, on the real two-chain deployment (LayerZero v2 and Hyperlane from their
//! published artifacts, the app deployed and linked).
//!
//! Inbound paths are driven through a [`CompromisedTransport`] registered as transport 3: it hands the router
//! any envelope as if its protocol had authenticated it, so the router's and the apps' own checks run exactly
//! as for a real delivery, without waiting for the protocols' off-chain roles. The end-to-end flows through
//! the real transports and the attacks are in `flow.rs` and `attacks.rs`.

mod common;

use std::fmt;

use alloy_primitives::{Address, B256, Bytes, U256, Uint, aliases::U48, keccak256};
use alloy_sol_types::{SolConstructor, SolError, SolEvent, SolEventInterface, SolType, SolValue, sol, sol_data};
use automat_agent::SignedQuote;
use automat_chain::{ChainClient, ChainClientExt, ChainError, DevnetControl, Receipt};
use automat_contracts::{
    crosschain::{
        AppAddresses, BuyRequest, CarriedQuote, CompromisedTransport, CrossChain, CrossChainCheckout, CrossChainRouter,
        Envelope, HyperlaneAdapter, LayerZeroAdapter, OrderMessage, PurchaseStatus, TokenGateway, Transport,
        buy_request,
    },
    vending::{PaymentToken, ReceiptNFT, Storefront, VendingError},
};
use automat_crosschain::KeeperConfig;
use automat_devnet::EmbeddedClient;
use common::{AUSD, Fixture, TestResult, setup};

type U208 = Uint<208, 4>;
type RouterEvent = CrossChainRouter::CrossChainRouterEvents;
type GatewayEvent = TokenGateway::TokenGatewayEvents;
type CheckoutEvent = CrossChainCheckout::CrossChainCheckoutEvents;
/// A checkout payload, `abi.encode(uint8 kind, bytes body)`.
type CheckoutPayload = (sol_data::Uint<8>, sol_data::Bytes);

/// Router id of the injecting transport each test installs where it needs one.
const RAW: u8 = 3;
/// A funded account that holds no role anywhere.
const STRANGER: usize = 5;
/// A funded account made guardian where a test needs a guardian who is not the admin.
const GUARDIAN: usize = 6;
/// A funded account with no tokens, the recipient of bridge transfers.
const RECIPIENT: usize = 4;
/// A chain nobody linked.
const UNLINKED: u64 = 999;
/// `AccessControl`'s admin role.
const DEFAULT_ADMIN_ROLE: B256 = B256::ZERO;
/// `Storefront.Status.Dispensed`.
const DISPENSED: u8 = 2;

/// `CrossChainCheckout.RejectReason` values.
mod reason {
    pub(super) const NONE: u8 = 0;
    pub(super) const ARRIVED_LATE: u8 = 1;
    pub(super) const STOREFRONT_REFUSED: u8 = 2;
    pub(super) const PRICE_ABOVE_MAX: u8 = 3;
    pub(super) const VEND_FAILED_OR_EXPIRED: u8 = 5;
}

/// `CrossChainCheckout.Fulfilment` values.
mod fulfilment {
    pub(super) const ACCEPTED: u8 = 1;
    pub(super) const REJECTED: u8 = 2;
    pub(super) const REPORTED: u8 = 3;
}

/// Checkout message kinds.
const KIND_ORDER: u8 = 1;
const KIND_OUTCOME: u8 = 2;

sol! {
    /// An outcome as it travels back (`CrossChainCheckout.OutcomeMessage`).
    #[derive(Debug, PartialEq, Eq)]
    struct OutcomeMessage {
        uint64 purchaseId;
        bytes32 orderHash;
        bool dispensed;
        uint128 price;
        uint128 premium;
        uint256 remoteOrderId;
        bytes32 metadataDigest;
        uint8 reason;
    }

    /// Hyperlane's `ProtocolFee` hook (the Mailbox's required hook), as its owner configures it.
    #[derive(Debug, PartialEq, Eq)]
    interface IProtocolFee {
        function setProtocolFee(uint256 _protocolFee) external;
    }
}

// ------------------------------------------------------------------ assertions

/// Errors that carry a chain error (`send_sol` and the typed handles return them).
trait AsChainError: fmt::Display {
    fn chain_error(&self) -> &ChainError;
}

impl AsChainError for ChainError {
    fn chain_error(&self) -> &ChainError {
        self
    }
}

impl AsChainError for VendingError {
    fn chain_error(&self) -> &ChainError {
        match self {
            VendingError::Chain(e) => e,
            other => panic!("expected a chain error, got {other}"),
        }
    }
}

/// Asserts that `result` is a revert with exactly `expected`: the revert data decodes as `E` with equal
/// arguments, and the devnet's decoder names it the same.
#[track_caller]
fn assert_revert<E, T, X>(result: Result<T, X>, expected: E)
where
    E: SolError + PartialEq + fmt::Debug,
    T: fmt::Debug,
    X: AsChainError,
{
    let err = match result {
        Ok(value) => panic!("expected revert {}, but it succeeded: {value:?}", E::SIGNATURE),
        Err(err) => err,
    };
    let err = err.chain_error();
    let ChainError::Reverted { data, .. } = err else { panic!("expected revert {}, got {err}", E::SIGNATURE) };
    let decoded = E::abi_decode(data).unwrap_or_else(|e| panic!("expected {}, got {err} ({e})", E::SIGNATURE));
    assert_eq!(decoded, expected, "arguments of {}", E::SIGNATURE);
    assert_eq!(err.revert_name(), E::SIGNATURE.split('(').next(), "decoded name of {err}");
}

/// The `E` events that `emitter` logged in `receipt`.
fn events_from<E: SolEvent>(receipt: &Receipt, emitter: Address) -> Vec<E> {
    receipt
        .logs
        .iter()
        .filter(|log| log.inner.address == emitter)
        .filter_map(|log| E::decode_log(&log.inner).ok().map(|decoded| decoded.data))
        .collect()
}

/// Every event `emitter` logged in `receipt`, in order, decoded as one of the contract's events `E`.
fn all_events<E: SolEventInterface>(receipt: &Receipt, emitter: Address) -> Vec<E> {
    receipt
        .logs
        .iter()
        .filter(|log| log.inner.address == emitter)
        .map(|log| E::decode_log(&log.inner).expect("an event of the emitter's ABI").data)
        .collect()
}

// ---------------------------------------------------------------------- helpers

async fn fixture() -> Result<Fixture, Box<dyn std::error::Error>> {
    setup(KeeperConfig { primary: Transport::LayerZero, retry_after: None, confirmations: 1 }).await
}

fn client(f: &Fixture, chain: u64, index: usize) -> EmbeddedClient {
    f.devnet.dev_client(chain, index).expect("prefunded account")
}

fn app(f: &Fixture, chain: u64) -> AppAddresses {
    f.network.chain(chain).expect("deployed chain").app
}

fn u208(v: u128) -> U208 {
    U208::from(v)
}

/// `CrossChainRouter.messageId`.
fn message_id(src: u64, router: Address, nonce: u64) -> B256 {
    keccak256((src, router, nonce).abi_encode_params())
}

/// `CrossChainCheckout.incomingKey`.
fn incoming_key(src: u64, order_hash: B256) -> B256 {
    keccak256((src, order_hash).abi_encode_params())
}

fn envelope(src: u64, src_router: Address, dst: u64, nonce: u64, app: B256, payload: Vec<u8>) -> Bytes {
    Envelope { srcChainId: src, srcRouter: src_router, dstChainId: dst, nonce, app, payload: payload.into() }
        .abi_encode()
        .into()
}

fn decode_envelope(bytes: &Bytes) -> Envelope {
    <Envelope as SolValue>::abi_decode(bytes).expect("an envelope")
}

/// The gateway's transfer payload, `abi.encode(to, amount)`.
fn transfer_payload(to: Address, amount: u128) -> Vec<u8> {
    (to, U256::from(amount)).abi_encode_params()
}

/// A checkout payload, `abi.encode(kind, body)`.
fn checkout_payload(kind: u8, body: Vec<u8>) -> Vec<u8> {
    CheckoutPayload::abi_encode_params(&(kind, Bytes::from(body)))
}

/// The outcome a checkout payload carries.
fn decode_outcome(payload: &Bytes) -> OutcomeMessage {
    let (kind, body) = CheckoutPayload::abi_decode_params(payload).expect("a checkout payload");
    assert_eq!(kind, KIND_OUTCOME);
    <OutcomeMessage as SolValue>::abi_decode(&body).expect("an outcome")
}

/// Deploys a [`CompromisedTransport`] on `chain` (owned by the admin) and sets it as transport [`RAW`].
async fn install_raw(f: &Fixture, chain: u64) -> Result<Address, Box<dyn std::error::Error>> {
    let admin = client(f, chain, 0);
    let args = CompromisedTransport::constructorCall { router_: app(f, chain).router }.abi_encode();
    let raw = admin.deploy([CompromisedTransport::BYTECODE.to_vec(), args].concat().into()).await?.address;
    let receipt = admin
        .send_sol(app(f, chain).router, &CrossChainRouter::setAdapterCall { transport: RAW, adapter: raw })
        .await?;
    assert_eq!(
        all_events::<RouterEvent>(&receipt, app(f, chain).router),
        vec![RouterEvent::AdapterSet(CrossChainRouter::AdapterSet { transport: RAW, adapter: raw })]
    );
    Ok(raw)
}

/// Hands `envelope` to `chain`'s router through the injecting transport `raw`, as authenticated from `src`.
async fn inject(f: &Fixture, chain: u64, raw: Address, src: u64, envelope: &Bytes) -> Result<Receipt, ChainError> {
    client(f, chain, 0)
        .send_sol(raw, &CompromisedTransport::injectCall { srcChainId: src, envelope: envelope.clone() })
        .await
}

async fn approve(c: &EmbeddedClient, app: &AppAddresses, amount: u128) -> Result<Receipt, ChainError> {
    c.send_sol(app.token, &PaymentToken::approveCall { spender: app.gateway, value: U256::from(amount) }).await
}

/// `gateway.bridge` sent as is (no approval, `value` attached).
async fn bridge_tx(
    c: &EmbeddedClient,
    app: &AppAddresses,
    dst: u64,
    to: Address,
    amount: u128,
    transport: u8,
    value: U256,
) -> Result<Receipt, ChainError> {
    c.send_sol_with_value(
        app.gateway,
        &TokenGateway::bridgeCall { dstChainId: dst, to, amount: U256::from(amount), transport },
        value,
    )
    .await
}

/// The router fee of a gateway transfer of `amount` to `to` on `dst`.
async fn bridge_fee(
    c: &EmbeddedClient,
    app: &AppAddresses,
    dst: u64,
    to: Address,
    amount: u128,
    transport: u8,
) -> Result<U256, ChainError> {
    let app_id = c.call_sol(app.gateway, &TokenGateway::APP_IDCall {}).await?;
    c.call_sol(
        app.router,
        &CrossChainRouter::quoteCall {
            dstChainId: dst,
            transport,
            appId: app_id,
            payload: transfer_payload(to, amount).into(),
        },
    )
    .await
}

async fn balance(c: &EmbeddedClient, app: &AppAddresses, who: Address) -> Result<U256, ChainError> {
    c.call_sol(app.token, &PaymentToken::balanceOfCall { account: who }).await
}

/// The router fee of the buyer's buy of `request` through LayerZero.
async fn buy_fee(f: &Fixture, request: &BuyRequest) -> Result<U256, ChainError> {
    let req = request.clone();
    let transport = Transport::LayerZero.id();
    f.buyer.client().call_sol(app(f, f.a).checkout, &CrossChainCheckout::quoteBuyCall { req, transport }).await
}

/// The buyer's buy of `request` through LayerZero, `value` attached (no approval).
async fn buy_tx(f: &Fixture, request: &BuyRequest, value: U256) -> Result<Receipt, ChainError> {
    let call = CrossChainCheckout::buyCall { req: request.clone(), transport: Transport::LayerZero.id() };
    f.buyer.client().send_sol_with_value(app(f, f.a).checkout, &call, value).await
}

/// A quote of the fixture's machine for slot 0 at 2 aUSD.
async fn quote(f: &Fixture) -> Result<SignedQuote, Box<dyn std::error::Error>> {
    Ok(f.agent.quote(0, 2 * AUSD).await?)
}

/// Polls the machine's agent until the Storefront order is dispensed.
async fn dispense(f: &mut Fixture, order_id: U256) -> TestResult {
    let c = client(f, f.b, 0);
    let storefront = app(f, f.b).storefront;
    for _ in 0..10 {
        f.agent.poll().await?;
        if c.call_sol(storefront, &Storefront::orderOfCall { orderId: order_id }).await?.status == DISPENSED {
            return Ok(());
        }
    }
    Err("the agent did not dispense the order".into())
}

// ====================================================================== router

/// `send`: only registered apps, only to peers, only through configured transports; each message gets the
/// next nonce, its envelope hash is kept for retries and `MessageSent` carries the exact envelope.
#[tokio::test]
async fn router_send_checks_app_peer_and_transport_and_numbers_messages() -> TestResult {
    let f = fixture().await?;
    let (a, b) = (f.a, f.b);
    let app_a = app(&f, a);
    let buyer = f.buyer.client().clone();
    let gateway_app = buyer.call_sol(app_a.gateway, &TokenGateway::APP_IDCall {}).await?;

    // An account that is not a registered app.
    let stranger = client(&f, a, STRANGER);
    let attempt = stranger
        .send_sol(
            app_a.router,
            &CrossChainRouter::sendCall {
                dstChainId: b,
                transport: Transport::Hyperlane.id(),
                payload: Bytes::new(),
                refundTo: stranger.sender(),
            },
        )
        .await;
    assert_revert(attempt, CrossChainRouter::NotAnApp { caller: stranger.sender() });

    // A registered app (the gateway) sending to a chain without a peer router, or through no transport.
    approve(&buyer, &app_a, 10 * AUSD).await?;
    let attempt = bridge_tx(&buyer, &app_a, UNLINKED, buyer.sender(), AUSD, 2, U256::ZERO).await;
    assert_revert(attempt, CrossChainRouter::UnknownPeer { chainId: UNLINKED, router: Address::ZERO });
    let attempt = bridge_tx(&buyer, &app_a, b, buyer.sender(), AUSD, 7, U256::ZERO).await;
    assert_revert(attempt, CrossChainRouter::UnknownTransport { transport: 7 });
    let attempt = buyer
        .call_sol(
            app_a.router,
            &CrossChainRouter::quoteCall { dstChainId: b, transport: 0, appId: gateway_app, payload: Bytes::new() },
        )
        .await;
    assert_revert(attempt, CrossChainRouter::UnknownTransport { transport: 0 });
    assert_eq!(buyer.call_sol(app_a.router, &CrossChainRouter::outboundNonceCall {}).await?, 0);

    // Two messages, one per transport: nonces 1 and 2.
    let to = Address::repeat_byte(0x44);
    for (nonce, transport) in [(1u64, Transport::Hyperlane), (2, Transport::LayerZero)] {
        let amount = u128::from(nonce) * AUSD;
        let fee = bridge_fee(&buyer, &app_a, b, to, amount, transport.id()).await?;
        let receipt = bridge_tx(&buyer, &app_a, b, to, amount, transport.id(), fee).await?;
        let expected = envelope(a, app_a.router, b, nonce, gateway_app, transfer_payload(to, amount));
        let id = message_id(a, app_a.router, nonce);
        assert_eq!(
            all_events::<RouterEvent>(&receipt, app_a.router),
            vec![RouterEvent::MessageSent(CrossChainRouter::MessageSent {
                messageId: id,
                dstChainId: b,
                nonce,
                app: gateway_app,
                transport: transport.id(),
                envelope: expected.clone(),
            })]
        );
        assert_eq!(
            buyer
                .call_sol(
                    app_a.router,
                    &CrossChainRouter::messageIdCall { srcChainId: a, srcRouter: app_a.router, nonce }
                )
                .await?,
            id
        );
        assert_eq!(
            buyer.call_sol(app_a.router, &CrossChainRouter::sentHashCall { nonce }).await?,
            keccak256(&expected)
        );
        assert_eq!(buyer.call_sol(app_a.router, &CrossChainRouter::outboundNonceCall {}).await?, nonce);
        // The gateway's transfer names the router nonce.
        assert_eq!(
            events_from::<TokenGateway::TransferSent>(&receipt, app_a.gateway),
            vec![TokenGateway::TransferSent {
                from: buyer.sender(),
                dstChainId: b,
                to,
                amount: U256::from(amount),
                nonce
            }]
        );
    }
    assert_eq!(buyer.call_sol(app_a.router, &CrossChainRouter::sentHashCall { nonce: 3 }).await?, B256::ZERO);
    Ok(())
}

/// `setRateLimits`: admin only; an outbound capacity of one message per window lets exactly one message per
/// destination chain through, per chain, and refills after the window.
#[tokio::test]
async fn router_outbound_rate_limit_allows_capacity_messages_per_chain() -> TestResult {
    let f = fixture().await?;
    let (a, b) = (f.a, f.b);
    let app_a = app(&f, a);
    let admin = client(&f, a, 0);
    let stranger = client(&f, a, STRANGER);
    let limits = CrossChainRouter::setRateLimitsCall {
        window: U48::from(3_600u64),
        outboundCapacity: u208(1),
        inboundCapacity: u208(10_000),
    };
    assert_revert(
        stranger.send_sol(app_a.router, &limits).await,
        CrossChainRouter::AccessControlUnauthorizedAccount {
            account: stranger.sender(),
            neededRole: DEFAULT_ADMIN_ROLE,
        },
    );
    let receipt = admin.send_sol(app_a.router, &limits).await?;
    assert_eq!(
        all_events::<RouterEvent>(&receipt, app_a.router),
        vec![RouterEvent::RateLimitsSet(CrossChainRouter::RateLimitsSet {
            window: U48::from(3_600u64),
            outboundCapacity: u208(1),
            inboundCapacity: u208(10_000),
        })]
    );
    let available = |chain: u64| {
        let admin = admin.clone();
        async move { admin.call_sol(app_a.router, &CrossChainRouter::outboundAvailableCall { chainId: chain }).await }
    };
    assert_eq!(available(b).await?, U256::from(1));

    let buyer = f.buyer.client().clone();
    approve(&buyer, &app_a, 10 * AUSD).await?;
    let hl = Transport::Hyperlane.id();
    bridge_tx(&buyer, &app_a, b, buyer.sender(), AUSD, hl, U256::ZERO).await?;
    assert_eq!(available(b).await?, U256::ZERO);
    assert_eq!(available(UNLINKED).await?, U256::from(1), "each chain has its own bucket");
    assert_revert(
        bridge_tx(&buyer, &app_a, b, buyer.sender(), AUSD, hl, U256::ZERO).await,
        CrossChainRouter::OutboundRateLimited { chainId: b },
    );
    f.advance_time(3_600).await?;
    assert_eq!(available(b).await?, U256::from(1), "refilled after the window");
    let receipt = bridge_tx(&buyer, &app_a, b, buyer.sender(), AUSD, hl, U256::ZERO).await?;
    assert_eq!(events_from::<CrossChainRouter::MessageSent>(&receipt, app_a.router)[0].nonce, 2);
    Ok(())
}

/// `retry`: resends exactly an envelope this router sent (any transport), emitting `MessageRetried`; a
/// tampered envelope, one for a nonce never used, one from another chain or another router is `NotSentHere`.
#[tokio::test]
async fn router_retry_resends_only_envelopes_it_sent() -> TestResult {
    let f = fixture().await?;
    let (a, b) = (f.a, f.b);
    let app_a = app(&f, a);
    let app_b = app(&f, b);
    let (_, sent, _) = f.buyer.bridge(b, f.buyer.client().sender(), AUSD, Transport::Hyperlane).await?;
    let env = decode_envelope(&sent);
    assert_eq!(env.nonce, 1);

    // Anyone may pay for a retry; through the other transport.
    let payer = f.buyer.with_client(client(&f, a, STRANGER));
    let receipt = payer.retry(&sent, Transport::LayerZero).await?;
    assert_eq!(
        all_events::<RouterEvent>(&receipt, app_a.router),
        vec![RouterEvent::MessageRetried(CrossChainRouter::MessageRetried {
            messageId: message_id(a, app_a.router, 1),
            dstChainId: b,
            nonce: 1,
            transport: Transport::LayerZero.id(),
        })]
    );
    assert_eq!(
        payer.client().call_sol(app_a.router, &CrossChainRouter::outboundNonceCall {}).await?,
        1,
        "a retry is not a new message"
    );

    let stranger = client(&f, a, STRANGER);
    let retry = |envelope: Bytes, transport: u8| {
        let stranger = stranger.clone();
        async move {
            stranger
                .send_sol(
                    app_a.router,
                    &CrossChainRouter::retryCall { envelope, transport, refundTo: stranger.sender() },
                )
                .await
        }
    };
    let hl = Transport::Hyperlane.id();
    // The same message with another payload (a bigger transfer).
    let tampered = envelope(a, app_a.router, b, 1, env.app, transfer_payload(stranger.sender(), 50 * AUSD));
    assert_revert(retry(tampered, hl).await, CrossChainRouter::NotSentHere { nonce: 1 });
    // A nonce this router never used.
    let unsent = envelope(a, app_a.router, b, 7, env.app, env.payload.to_vec());
    assert_revert(retry(unsent, hl).await, CrossChainRouter::NotSentHere { nonce: 7 });
    // What chain B's router would send, and what another router on chain A would. (The same deployer with the
    // same nonces put the routers at the same address on both devnet chains: only the chain id differs.)
    assert_eq!(app_b.router, app_a.router);
    let foreign = envelope(b, app_b.router, a, 1, env.app, env.payload.to_vec());
    assert_revert(retry(foreign, hl).await, CrossChainRouter::NotSentHere { nonce: 1 });
    let other_router = envelope(a, Address::repeat_byte(0x66), b, 1, env.app, env.payload.to_vec());
    assert_revert(retry(other_router, hl).await, CrossChainRouter::NotSentHere { nonce: 1 });
    // The genuine envelope through a transport that does not exist.
    assert_revert(retry(sent.clone(), 9).await, CrossChainRouter::UnknownTransport { transport: 9 });
    Ok(())
}

/// `receiveMessage`: only adapters may call; the inbound rate limit holds a message back without losing it
/// (delivered once the bucket refills), and a duplicate is dropped before the limit is consulted.
#[tokio::test]
async fn router_receive_requires_an_adapter_and_respects_the_inbound_limit() -> TestResult {
    let f = fixture().await?;
    let (a, b) = (f.a, f.b);
    let app_a = app(&f, a);
    let app_b = app(&f, b);
    let admin_b = client(&f, b, 0);
    let gateway_app = admin_b.call_sol(app_b.gateway, &TokenGateway::APP_IDCall {}).await?;
    let recipient = client(&f, b, RECIPIENT).sender();
    let transfer = |nonce: u64| envelope(a, app_a.router, b, nonce, gateway_app, transfer_payload(recipient, AUSD));

    let stranger = client(&f, b, STRANGER);
    let attempt = stranger
        .send_sol(app_b.router, &CrossChainRouter::receiveMessageCall { srcChainId: a, envelope: transfer(1) })
        .await;
    assert_revert(attempt, CrossChainRouter::NotAnAdapter { caller: stranger.sender() });

    let raw = install_raw(&f, b).await?;
    assert_eq!(admin_b.call_sol(app_b.router, &CrossChainRouter::adapterOfCall { transport: RAW }).await?, raw);
    assert_eq!(admin_b.call_sol(app_b.router, &CrossChainRouter::transportOfCall { adapter: raw }).await?, RAW);
    admin_b
        .send_sol(
            app_b.router,
            &CrossChainRouter::setRateLimitsCall {
                window: U48::from(3_600u64),
                outboundCapacity: u208(10_000),
                inboundCapacity: u208(1),
            },
        )
        .await?;
    let inbound = || {
        let admin_b = admin_b.clone();
        async move { admin_b.call_sol(app_b.router, &CrossChainRouter::inboundAvailableCall { chainId: a }).await }
    };
    let delivered_via = |nonce: u64| {
        let admin_b = admin_b.clone();
        async move {
            admin_b
                .call_sol(
                    app_b.router,
                    &CrossChainRouter::deliveredViaCall { messageId: message_id(a, app_a.router, nonce) },
                )
                .await
        }
    };
    assert_eq!(inbound().await?, U256::from(1));

    let receipt = inject(&f, b, raw, a, &transfer(1)).await?;
    assert_eq!(
        all_events::<RouterEvent>(&receipt, app_b.router),
        vec![RouterEvent::MessageDelivered(CrossChainRouter::MessageDelivered {
            messageId: message_id(a, app_a.router, 1),
            srcChainId: a,
            nonce: 1,
            app: gateway_app,
            transport: RAW,
        })]
    );
    assert_eq!(delivered_via(1).await?, RAW);
    assert_eq!(inbound().await?, U256::ZERO);

    // The next message is held back, not lost.
    assert_revert(inject(&f, b, raw, a, &transfer(2)).await, CrossChainRouter::InboundRateLimited { chainId: a });
    assert_eq!(delivered_via(2).await?, 0);
    // A second copy of the delivered one is still recognised (and does not need capacity).
    let receipt = inject(&f, b, raw, a, &transfer(1)).await?;
    assert_eq!(
        all_events::<RouterEvent>(&receipt, app_b.router),
        vec![RouterEvent::DuplicateDropped(CrossChainRouter::DuplicateDropped {
            messageId: message_id(a, app_a.router, 1),
            transport: RAW,
            deliveredVia: RAW,
        })]
    );

    f.advance_time(3_600).await?;
    assert_eq!(inbound().await?, U256::from(1));
    let receipt = inject(&f, b, raw, a, &transfer(2)).await?;
    assert_eq!(events_from::<CrossChainRouter::MessageDelivered>(&receipt, app_b.router).len(), 1);
    assert_eq!(delivered_via(2).await?, RAW);
    assert_eq!(balance(&admin_b, &app_b, recipient).await?, U256::from(2 * AUSD), "each transfer credited once");
    Ok(())
}

/// `setAdapter`, `registerApp`, `setPeer`: admin only, transport 0 reserved, adapters and apps must be
/// contracts, a chain is not its own peer; replacing an adapter or an app unlinks the old one; events.
#[tokio::test]
async fn router_configuration_checks_and_events() -> TestResult {
    let f = fixture().await?;
    let a = f.a;
    let router = app(&f, a).router;
    let admin = client(&f, a, 0);
    let stranger = client(&f, a, STRANGER);
    let eoa = stranger.sender();
    let contract = install_raw(&f, a).await?; // any contract will do below

    // Access control.
    let unauthorized =
        CrossChainRouter::AccessControlUnauthorizedAccount { account: eoa, neededRole: DEFAULT_ADMIN_ROLE };
    assert_revert(
        stranger.send_sol(router, &CrossChainRouter::setAdapterCall { transport: 4, adapter: contract }).await,
        unauthorized.clone(),
    );
    assert_revert(
        stranger.send_sol(router, &CrossChainRouter::registerAppCall { appId: keccak256("x"), app: contract }).await,
        unauthorized.clone(),
    );
    assert_revert(
        stranger.send_sol(router, &CrossChainRouter::setPeerCall { chainId: UNLINKED, router: eoa }).await,
        unauthorized,
    );

    // setAdapter.
    assert_revert(
        admin.send_sol(router, &CrossChainRouter::setAdapterCall { transport: 0, adapter: contract }).await,
        CrossChainRouter::ReservedTransport {},
    );
    assert_revert(
        admin.send_sol(router, &CrossChainRouter::setAdapterCall { transport: 4, adapter: eoa }).await,
        CrossChainRouter::NotAContract { account: eoa },
    );
    let args = CompromisedTransport::constructorCall { router_: router }.abi_encode();
    let second = admin.deploy([CompromisedTransport::BYTECODE.to_vec(), args.clone()].concat().into()).await?.address;
    let receipt = admin.send_sol(router, &CrossChainRouter::setAdapterCall { transport: RAW, adapter: second }).await?;
    assert_eq!(
        all_events::<RouterEvent>(&receipt, router),
        vec![RouterEvent::AdapterSet(CrossChainRouter::AdapterSet { transport: RAW, adapter: second })]
    );
    assert_eq!(admin.call_sol(router, &CrossChainRouter::transportOfCall { adapter: contract }).await?, 0, "replaced");
    assert_eq!(admin.call_sol(router, &CrossChainRouter::transportOfCall { adapter: second }).await?, RAW);
    let receipt =
        admin.send_sol(router, &CrossChainRouter::setAdapterCall { transport: RAW, adapter: Address::ZERO }).await?;
    assert_eq!(
        all_events::<RouterEvent>(&receipt, router),
        vec![RouterEvent::AdapterSet(CrossChainRouter::AdapterSet { transport: RAW, adapter: Address::ZERO })]
    );
    assert_eq!(admin.call_sol(router, &CrossChainRouter::adapterOfCall { transport: RAW }).await?, Address::ZERO);
    assert_eq!(admin.call_sol(router, &CrossChainRouter::transportOfCall { adapter: second }).await?, 0, "removed");

    // registerApp.
    let app_id = keccak256("automat.test-app");
    assert_revert(
        admin.send_sol(router, &CrossChainRouter::registerAppCall { appId: app_id, app: eoa }).await,
        CrossChainRouter::NotAContract { account: eoa },
    );
    // `contract` and `second` are no longer adapters: they may be apps.
    let receipt = admin.send_sol(router, &CrossChainRouter::registerAppCall { appId: app_id, app: contract }).await?;
    assert_eq!(
        all_events::<RouterEvent>(&receipt, router),
        vec![RouterEvent::AppRegistered(CrossChainRouter::AppRegistered { appId: app_id, app: contract })]
    );
    assert_eq!(admin.call_sol(router, &CrossChainRouter::appOfCall { appId: app_id }).await?, contract);
    assert_eq!(admin.call_sol(router, &CrossChainRouter::appIdOfCall { app: contract }).await?, app_id);
    admin.send_sol(router, &CrossChainRouter::registerAppCall { appId: app_id, app: second }).await?;
    assert_eq!(admin.call_sol(router, &CrossChainRouter::appOfCall { appId: app_id }).await?, second);
    assert_eq!(admin.call_sol(router, &CrossChainRouter::appIdOfCall { app: contract }).await?, B256::ZERO, "replaced");
    assert_eq!(admin.call_sol(router, &CrossChainRouter::appIdOfCall { app: second }).await?, app_id);
    // The same app under a new id: the old id no longer reaches it.
    let new_id = keccak256("automat.test-app.v2");
    admin.send_sol(router, &CrossChainRouter::registerAppCall { appId: new_id, app: second }).await?;
    assert_eq!(admin.call_sol(router, &CrossChainRouter::appOfCall { appId: new_id }).await?, second);
    assert_eq!(
        admin.call_sol(router, &CrossChainRouter::appOfCall { appId: app_id }).await?,
        Address::ZERO,
        "old id retired"
    );
    assert_eq!(admin.call_sol(router, &CrossChainRouter::appIdOfCall { app: second }).await?, new_id);
    admin.send_sol(router, &CrossChainRouter::registerAppCall { appId: new_id, app: contract }).await?;
    // The same adapter moved to another transport id: the old id is removed (and says so).
    let third = admin.deploy([CompromisedTransport::BYTECODE.to_vec(), args.clone()].concat().into()).await?.address;
    admin.send_sol(router, &CrossChainRouter::setAdapterCall { transport: RAW, adapter: third }).await?;
    let receipt =
        admin.send_sol(router, &CrossChainRouter::setAdapterCall { transport: RAW + 1, adapter: third }).await?;
    assert_eq!(
        all_events::<RouterEvent>(&receipt, router),
        vec![
            RouterEvent::AdapterSet(CrossChainRouter::AdapterSet { transport: RAW, adapter: Address::ZERO }),
            RouterEvent::AdapterSet(CrossChainRouter::AdapterSet { transport: RAW + 1, adapter: third }),
        ]
    );
    assert_eq!(admin.call_sol(router, &CrossChainRouter::adapterOfCall { transport: RAW }).await?, Address::ZERO);
    assert_eq!(admin.call_sol(router, &CrossChainRouter::transportOfCall { adapter: third }).await?, RAW + 1);

    // setPeer.
    assert_revert(
        admin.send_sol(router, &CrossChainRouter::setPeerCall { chainId: a, router: eoa }).await,
        CrossChainRouter::SelfPeer {},
    );
    let peer = Address::repeat_byte(0x77);
    let receipt = admin.send_sol(router, &CrossChainRouter::setPeerCall { chainId: UNLINKED, router: peer }).await?;
    assert_eq!(
        all_events::<RouterEvent>(&receipt, router),
        vec![RouterEvent::PeerSet(CrossChainRouter::PeerSet { chainId: UNLINKED, router: peer })]
    );
    assert_eq!(admin.call_sol(router, &CrossChainRouter::peerOfCall { chainId: UNLINKED }).await?, peer);
    let receipt =
        admin.send_sol(router, &CrossChainRouter::setPeerCall { chainId: UNLINKED, router: Address::ZERO }).await?;
    assert_eq!(
        all_events::<RouterEvent>(&receipt, router),
        vec![RouterEvent::PeerSet(CrossChainRouter::PeerSet { chainId: UNLINKED, router: Address::ZERO })]
    );
    assert_eq!(admin.call_sol(router, &CrossChainRouter::peerOfCall { chainId: UNLINKED }).await?, Address::ZERO);
    Ok(())
}

/// `pause`/`unpause`: only the guardian pauses, only the admin unpauses; while paused `send`, `retry` and
/// `receiveMessage` revert with `EnforcedPause`; after unpausing, sending works again.
#[tokio::test]
async fn router_pause_is_guardian_only_and_stops_send_retry_and_receive() -> TestResult {
    let f = fixture().await?;
    let (a, b) = (f.a, f.b);
    let app_a = app(&f, a);
    let app_b = app(&f, b);
    let admin = client(&f, a, 0);
    let guardian = client(&f, a, GUARDIAN);
    let stranger = client(&f, a, STRANGER);
    let raw = install_raw(&f, a).await?;
    let (_, sent, _) = f.buyer.bridge(b, f.buyer.client().sender(), AUSD, Transport::Hyperlane).await?;

    let guardian_role = admin.call_sol(app_a.router, &CrossChainRouter::GUARDIAN_ROLECall {}).await?;
    assert_eq!(guardian_role, keccak256("GUARDIAN_ROLE"));
    admin
        .send_sol(app_a.router, &CrossChainRouter::grantRoleCall { role: guardian_role, account: guardian.sender() })
        .await?;
    assert_revert(
        stranger.send_sol(app_a.router, &CrossChainRouter::pauseCall {}).await,
        CrossChainRouter::AccessControlUnauthorizedAccount { account: stranger.sender(), neededRole: guardian_role },
    );
    let receipt = guardian.send_sol(app_a.router, &CrossChainRouter::pauseCall {}).await?;
    assert_eq!(
        all_events::<RouterEvent>(&receipt, app_a.router),
        vec![RouterEvent::Paused(CrossChainRouter::Paused { account: guardian.sender() })]
    );
    assert!(admin.call_sol(app_a.router, &CrossChainRouter::pausedCall {}).await?);
    assert_revert(
        guardian.send_sol(app_a.router, &CrossChainRouter::unpauseCall {}).await,
        CrossChainRouter::AccessControlUnauthorizedAccount {
            account: guardian.sender(),
            neededRole: DEFAULT_ADMIN_ROLE,
        },
    );
    assert_revert(
        guardian
            .send_sol(
                app_a.router,
                &CrossChainRouter::setRateLimitsCall {
                    window: U48::from(1u64),
                    outboundCapacity: u208(0),
                    inboundCapacity: u208(0),
                },
            )
            .await,
        CrossChainRouter::AccessControlUnauthorizedAccount {
            account: guardian.sender(),
            neededRole: DEFAULT_ADMIN_ROLE,
        },
    );

    // Sending, retrying and receiving are stopped.
    let buyer = f.buyer.client().clone();
    approve(&buyer, &app_a, AUSD).await?;
    let hl = Transport::Hyperlane.id();
    assert_revert(
        bridge_tx(&buyer, &app_a, b, buyer.sender(), AUSD, hl, U256::ZERO).await,
        CrossChainRouter::EnforcedPause {},
    );
    assert_revert(
        stranger
            .send_sol(
                app_a.router,
                &CrossChainRouter::retryCall { envelope: sent, transport: hl, refundTo: stranger.sender() },
            )
            .await,
        CrossChainRouter::EnforcedPause {},
    );
    let gateway_app = admin.call_sol(app_a.gateway, &TokenGateway::APP_IDCall {}).await?;
    let incoming = envelope(b, app_b.router, a, 1, gateway_app, transfer_payload(buyer.sender(), 0));
    assert_revert(inject(&f, a, raw, b, &incoming).await, CrossChainRouter::EnforcedPause {});

    let receipt = admin.send_sol(app_a.router, &CrossChainRouter::unpauseCall {}).await?;
    assert_eq!(
        all_events::<RouterEvent>(&receipt, app_a.router),
        vec![RouterEvent::Unpaused(CrossChainRouter::Unpaused { account: admin.sender() })]
    );
    let receipt = bridge_tx(&buyer, &app_a, b, buyer.sender(), AUSD, hl, U256::ZERO).await?;
    assert_eq!(events_from::<CrossChainRouter::MessageSent>(&receipt, app_a.router)[0].nonce, 2);
    Ok(())
}

// ===================================================================== gateway

/// `bridge` and `onRouterMessage`: zero amount or recipient refused; home locks (Debited, TransferSent), the
/// remote mints on delivery (Credited); bridging back burns there and unlocks at home; a remote gateway never
/// burns more than it minted (`InsufficientMinted`), even for a holder of tokens minted otherwise.
#[tokio::test]
async fn gateway_locks_at_home_mints_remote_and_burns_back() -> TestResult {
    let f = fixture().await?;
    let (a, b) = (f.a, f.b);
    let (app_a, app_b) = (app(&f, a), app(&f, b));
    let buyer = f.buyer.client().clone();
    let remote = client(&f, b, RECIPIENT);
    let hl = Transport::Hyperlane.id();

    approve(&buyer, &app_a, 100 * AUSD).await?;
    assert_revert(
        bridge_tx(&buyer, &app_a, b, remote.sender(), 0, hl, U256::ZERO).await,
        TokenGateway::InvalidTransfer {},
    );
    assert_revert(
        bridge_tx(&buyer, &app_a, b, Address::ZERO, AUSD, hl, U256::ZERO).await,
        TokenGateway::InvalidTransfer {},
    );

    // Out from home: locked.
    let receipt = bridge_tx(&buyer, &app_a, b, remote.sender(), 10 * AUSD, hl, U256::ZERO).await?;
    assert_eq!(
        all_events::<GatewayEvent>(&receipt, app_a.gateway),
        vec![
            GatewayEvent::Debited(TokenGateway::Debited {
                from: buyer.sender(),
                dstChainId: b,
                amount: U256::from(10 * AUSD)
            }),
            GatewayEvent::TransferSent(TokenGateway::TransferSent {
                from: buyer.sender(),
                dstChainId: b,
                to: remote.sender(),
                amount: U256::from(10 * AUSD),
                nonce: 1,
            }),
        ]
    );
    assert_eq!(f.buyer.locked().await?, U256::from(10 * AUSD));
    assert_eq!(balance(&buyer, &app_a, buyer.sender()).await?, U256::from(90 * AUSD));
    assert_eq!(balance(&buyer, &app_a, app_a.gateway).await?, U256::from(10 * AUSD));
    let sent = events_from::<CrossChainRouter::MessageSent>(&receipt, app_a.router).remove(0).envelope;

    // In on the remote chain: minted.
    let apps = f.apps()?;
    let raw_b = install_raw(&f, b).await?;
    let receipt = inject(&f, b, raw_b, a, &sent).await?;
    assert_eq!(
        all_events::<GatewayEvent>(&receipt, app_b.gateway),
        vec![GatewayEvent::Credited(TokenGateway::Credited {
            to: remote.sender(),
            srcChainId: a,
            amount: U256::from(10 * AUSD)
        })]
    );
    assert_eq!(apps[1].minted().await?, U256::from(10 * AUSD));
    assert_eq!(balance(&remote, &app_b, remote.sender()).await?, U256::from(10 * AUSD));

    // Back home: burned on the remote chain, unlocked at home.
    let back = CrossChain::new(remote.clone(), app_b);
    let supply_before = remote.call_sol(app_b.token, &PaymentToken::totalSupplyCall {}).await?;
    let (nonce, sent, receipt) = back.bridge(a, buyer.sender(), 4 * AUSD, Transport::Hyperlane).await?;
    assert_eq!(nonce, 1, "chain B's first message");
    assert_eq!(
        all_events::<GatewayEvent>(&receipt, app_b.gateway),
        vec![
            GatewayEvent::Debited(TokenGateway::Debited {
                from: remote.sender(),
                dstChainId: a,
                amount: U256::from(4 * AUSD)
            }),
            GatewayEvent::TransferSent(TokenGateway::TransferSent {
                from: remote.sender(),
                dstChainId: a,
                to: buyer.sender(),
                amount: U256::from(4 * AUSD),
                nonce: 1,
            }),
        ]
    );
    assert_eq!(apps[1].minted().await?, U256::from(6 * AUSD));
    assert_eq!(balance(&remote, &app_b, remote.sender()).await?, U256::from(6 * AUSD));
    assert_eq!(
        remote.call_sol(app_b.token, &PaymentToken::totalSupplyCall {}).await?,
        supply_before - U256::from(4 * AUSD),
        "burned, not parked"
    );
    let raw_a = install_raw(&f, a).await?;
    let receipt = inject(&f, a, raw_a, b, &sent).await?;
    assert_eq!(
        all_events::<GatewayEvent>(&receipt, app_a.gateway),
        vec![GatewayEvent::Credited(TokenGateway::Credited {
            to: buyer.sender(),
            srcChainId: b,
            amount: U256::from(4 * AUSD)
        })]
    );
    assert_eq!(f.buyer.locked().await?, U256::from(6 * AUSD));
    assert_eq!(balance(&buyer, &app_a, buyer.sender()).await?, U256::from(94 * AUSD));
    assert_eq!(balance(&buyer, &app_a, app_a.gateway).await?, U256::from(6 * AUSD));

    // Tokens minted on chain B by other means cannot be burned through the gateway beyond what it minted.
    let admin_b = client(&f, b, 0);
    admin_b
        .send_sol(app_b.token, &PaymentToken::mintCall { to: remote.sender(), amount: U256::from(5 * AUSD) })
        .await?;
    approve(&remote, &app_b, 7 * AUSD).await?;
    assert_revert(
        bridge_tx(&remote, &app_b, a, buyer.sender(), 7 * AUSD, hl, U256::ZERO).await,
        TokenGateway::InsufficientMinted { requested: U256::from(7 * AUSD), minted: U256::from(6 * AUSD) },
    );
    Ok(())
}

/// `setRateLimits` (admin only) caps value per chain: `OutboundValueLimited` names the exact amount still
/// available. `debit`/`credit` need the spender role (and work for a holder of it); `onRouterMessage` only
/// from the router.
#[tokio::test]
async fn gateway_value_limit_spender_role_and_router_only_delivery() -> TestResult {
    let f = fixture().await?;
    let (a, b) = (f.a, f.b);
    let app_a = app(&f, a);
    let admin = client(&f, a, 0);
    let stranger = client(&f, a, STRANGER);
    let buyer = f.buyer.client().clone();
    let hl = Transport::Hyperlane.id();

    // A window so long that nothing refills during the test: availability is exact.
    let window = U48::MAX;
    let limits =
        TokenGateway::setRateLimitsCall { window, outboundCapacity: u208(5 * AUSD), inboundCapacity: u208(7 * AUSD) };
    assert_revert(
        stranger.send_sol(app_a.gateway, &limits).await,
        TokenGateway::AccessControlUnauthorizedAccount { account: stranger.sender(), neededRole: DEFAULT_ADMIN_ROLE },
    );
    let receipt = admin.send_sol(app_a.gateway, &limits).await?;
    assert_eq!(
        all_events::<GatewayEvent>(&receipt, app_a.gateway),
        vec![GatewayEvent::RateLimitsSet(TokenGateway::RateLimitsSet {
            window,
            outboundCapacity: u208(5 * AUSD),
            inboundCapacity: u208(7 * AUSD),
        })]
    );
    let outbound = |chain: u64| {
        let admin = admin.clone();
        async move { admin.call_sol(app_a.gateway, &TokenGateway::outboundAvailableCall { chainId: chain }).await }
    };
    assert_eq!(
        admin.call_sol(app_a.gateway, &TokenGateway::inboundAvailableCall { chainId: b }).await?,
        U256::from(7 * AUSD)
    );
    approve(&buyer, &app_a, 100 * AUSD).await?;
    bridge_tx(&buyer, &app_a, b, buyer.sender(), 3 * AUSD, hl, U256::ZERO).await?;
    assert_eq!(outbound(b).await?, U256::from(2 * AUSD));
    assert_eq!(outbound(UNLINKED).await?, U256::from(5 * AUSD), "each chain has its own bucket");
    assert_revert(
        bridge_tx(&buyer, &app_a, b, buyer.sender(), 3 * AUSD, hl, U256::ZERO).await,
        TokenGateway::OutboundValueLimited {
            chainId: b,
            amount: U256::from(3 * AUSD),
            available: U256::from(2 * AUSD),
        },
    );
    bridge_tx(&buyer, &app_a, b, buyer.sender(), 2 * AUSD, hl, U256::ZERO).await?;
    assert_eq!(outbound(b).await?, U256::ZERO);

    // debit / credit: the spender role.
    let spender_role = admin.call_sol(app_a.gateway, &TokenGateway::SPENDER_ROLECall {}).await?;
    assert_eq!(spender_role, keccak256("SPENDER_ROLE"));
    let unauthorized =
        TokenGateway::AccessControlUnauthorizedAccount { account: stranger.sender(), neededRole: spender_role };
    assert_revert(
        stranger
            .send_sol(
                app_a.gateway,
                &TokenGateway::debitCall { from: buyer.sender(), amount: U256::from(AUSD), dstChainId: UNLINKED },
            )
            .await,
        unauthorized.clone(),
    );
    assert_revert(
        stranger
            .send_sol(
                app_a.gateway,
                &TokenGateway::creditCall { to: stranger.sender(), amount: U256::from(AUSD), srcChainId: b },
            )
            .await,
        unauthorized,
    );
    admin
        .send_sol(app_a.gateway, &TokenGateway::grantRoleCall { role: spender_role, account: stranger.sender() })
        .await?;
    let receipt = stranger
        .send_sol(
            app_a.gateway,
            &TokenGateway::debitCall { from: buyer.sender(), amount: U256::from(AUSD), dstChainId: UNLINKED },
        )
        .await?;
    assert_eq!(
        all_events::<GatewayEvent>(&receipt, app_a.gateway),
        vec![GatewayEvent::Debited(TokenGateway::Debited {
            from: buyer.sender(),
            dstChainId: UNLINKED,
            amount: U256::from(AUSD)
        })]
    );
    assert_eq!(f.buyer.locked().await?, U256::from(6 * AUSD));
    let receipt = stranger
        .send_sol(
            app_a.gateway,
            &TokenGateway::creditCall { to: stranger.sender(), amount: U256::from(AUSD), srcChainId: b },
        )
        .await?;
    assert_eq!(
        all_events::<GatewayEvent>(&receipt, app_a.gateway),
        vec![GatewayEvent::Credited(TokenGateway::Credited {
            to: stranger.sender(),
            srcChainId: b,
            amount: U256::from(AUSD)
        })]
    );
    assert_eq!(f.buyer.locked().await?, U256::from(5 * AUSD));
    assert_eq!(balance(&admin, &app_a, stranger.sender()).await?, U256::from(AUSD));

    // Deliveries come from the router only.
    assert_revert(
        stranger
            .send_sol(
                app_a.gateway,
                &TokenGateway::onRouterMessageCall {
                    srcChainId: b,
                    _1: 1,
                    payload: transfer_payload(stranger.sender(), AUSD).into(),
                },
            )
            .await,
        TokenGateway::OnlyRouter { caller: stranger.sender() },
    );
    Ok(())
}

// ==================================================================== checkout

/// `buy`: another chain only, the quote's price within the maximum, the delivery deadline in
/// `(now, now + maxDeliveryWindow]`; `PurchaseOpened` carries the exact order (whose keccak256 is `orderHash`),
/// the purchase is recorded and the maximum price taken. `setMaxDeliveryWindow` is the owner's.
#[tokio::test]
async fn checkout_buy_validates_the_request_and_opens_the_purchase() -> TestResult {
    let f = fixture().await?;
    let (a, b) = (f.a, f.b);
    let app_a = app(&f, a);
    let buyer = f.buyer.client().clone();
    let admin = client(&f, a, 0);
    let q = quote(&f).await?;
    let max = 3 * AUSD;
    approve(&buyer, &app_a, 10 * AUSD).await?;

    let request = |dst: u64, max_price: u128, deliver_by: u64| {
        buy_request(dst, &q.quote, q.signature.clone(), max_price, deliver_by, 600)
    };
    let t = buyer.block_timestamp().await? + 10;
    let fee = buy_fee(&f, &request(b, max, t + 60)).await?;
    admin.set_next_block_timestamp(t).await?;
    assert_revert(buy_tx(&f, &request(a, max, t + 60), fee).await, CrossChainCheckout::SameChain {});
    assert_revert(
        buy_tx(&f, &request(b, 2 * AUSD - 1, t + 60), fee).await,
        CrossChainCheckout::PriceAboveMax { price: 2 * AUSD, maxPrice: 2 * AUSD - 1 },
    );
    // The deadline must be after the block's time and at most the window ahead of it.
    assert_revert(
        buy_tx(&f, &request(b, max, t), fee).await,
        CrossChainCheckout::InvalidDeliveryDeadline { deliverBy: t, latest: t + 3_600 },
    );
    assert_revert(
        buy_tx(&f, &request(b, max, t - 5), fee).await,
        CrossChainCheckout::InvalidDeliveryDeadline { deliverBy: t - 5, latest: t + 3_600 },
    );
    assert_revert(
        buy_tx(&f, &request(b, max, t + 3_601), fee).await,
        CrossChainCheckout::InvalidDeliveryDeadline { deliverBy: t + 3_601, latest: t + 3_600 },
    );

    // The latest allowed deadline.
    let req = request(b, max, t + 3_600);
    let receipt = buy_tx(&f, &req, fee).await?;
    let block_time = buyer.block_timestamp().await?;
    assert_eq!(block_time, t);
    let checkout_app = buyer.call_sol(app_a.checkout, &CrossChainCheckout::APP_IDCall {}).await?;
    let expected_order = OrderMessage {
        purchaseId: 1,
        buyer: buyer.sender(),
        quote: CarriedQuote {
            machineId: q.quote.machineId,
            slot: q.quote.slot,
            price: q.quote.price,
            expiry: q.quote.expiry,
            nonce: q.quote.nonce,
        },
        quoteSignature: q.signature.clone(),
        maxPrice: max,
        deliverBy: t + 3_600,
        vendWindow: 600,
        maxPremium: 0,
    };
    let order: Bytes = expected_order.abi_encode().into();
    let order_hash = keccak256(&order);
    assert_eq!(
        all_events::<CheckoutEvent>(&receipt, app_a.checkout),
        vec![CheckoutEvent::PurchaseOpened(CrossChainCheckout::PurchaseOpened {
            purchaseId: U256::from(1),
            buyer: buyer.sender(),
            dstChainId: b,
            amount: max,
            deliverBy: t + 3_600,
            routerNonce: 1,
            orderHash: order_hash,
            order: order.clone(),
        })]
    );
    assert_eq!(
        all_events::<GatewayEvent>(&receipt, app_a.gateway),
        vec![GatewayEvent::Debited(TokenGateway::Debited {
            from: buyer.sender(),
            dstChainId: b,
            amount: U256::from(max)
        })]
    );
    let sent = events_from::<CrossChainRouter::MessageSent>(&receipt, app_a.router);
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].app, checkout_app);
    assert_eq!(sent[0].transport, Transport::LayerZero.id());
    assert_eq!(decode_envelope(&sent[0].envelope).payload, Bytes::from(checkout_payload(KIND_ORDER, order.to_vec())));
    let purchase = f.buyer.purchase(1).await?;
    assert_eq!(
        purchase,
        CrossChainCheckout::Purchase {
            buyer: buyer.sender(),
            dstChainId: b,
            deliverBy: t + 3_600,
            status: 1,
            amount: max,
            routerNonce: 1,
            orderHash: order_hash,
        }
    );
    assert_eq!(buyer.call_sol(app_a.checkout, &CrossChainCheckout::purchaseCountCall {}).await?, 1);
    assert_eq!(balance(&buyer, &app_a, buyer.sender()).await?, U256::from(97 * AUSD));
    assert_eq!(f.buyer.locked().await?, U256::from(max));

    // setMaxDeliveryWindow.
    let stranger = client(&f, a, STRANGER);
    assert_revert(
        stranger.send_sol(app_a.checkout, &CrossChainCheckout::setMaxDeliveryWindowCall { window: 60 }).await,
        CrossChainCheckout::OwnableUnauthorizedAccount { account: stranger.sender() },
    );
    let receipt = admin.send_sol(app_a.checkout, &CrossChainCheckout::setMaxDeliveryWindowCall { window: 60 }).await?;
    assert_eq!(
        all_events::<CheckoutEvent>(&receipt, app_a.checkout),
        vec![CheckoutEvent::MaxDeliveryWindowSet(CrossChainCheckout::MaxDeliveryWindowSet { window: 60 })]
    );
    assert_eq!(admin.call_sol(app_a.checkout, &CrossChainCheckout::maxDeliveryWindowCall {}).await?, 60);
    let t = buyer.block_timestamp().await? + 5;
    admin.set_next_block_timestamp(t).await?;
    assert_revert(
        buy_tx(&f, &request(b, max, t + 61), fee).await,
        CrossChainCheckout::InvalidDeliveryDeadline { deliverBy: t + 61, latest: t + 60 },
    );

    // Deliveries come from the router only.
    assert_revert(
        stranger
            .send_sol(
                app_a.checkout,
                &CrossChainCheckout::onRouterMessageCall {
                    srcChainId: b,
                    _1: 1,
                    payload: checkout_payload(KIND_ORDER, order.to_vec()).into(),
                },
            )
            .await,
        CrossChainCheckout::OnlyRouter { caller: stranger.sender() },
    );
    Ok(())
}

/// The machine side of an order that is accepted and dispensed: `report` refuses an order it has not seen
/// before its deadline (`DeadlineNotPassed`), an open one (`NotFinished`) and a second report
/// (`AlreadyReported`); the outcome (`OutcomeReported`, the exact outcome message) settles the purchase with
/// the change returned and a receipt.
#[tokio::test]
async fn checkout_report_waits_for_the_order_to_finish_and_reports_once() -> TestResult {
    let mut f = fixture().await?;
    let (a, b) = (f.a, f.b);
    let (app_a, app_b) = (app(&f, a), app(&f, b));
    let reporter = CrossChain::new(client(&f, b, STRANGER), app_b);
    let admin_b = client(&f, b, 0);
    let opened = f.buy(Transport::LayerZero, 900).await?;
    let order = <OrderMessage as SolValue>::abi_decode(&opened.order)?;
    let key = incoming_key(a, opened.order_hash);
    assert_eq!(
        admin_b
            .call_sol(
                app_b.checkout,
                &CrossChainCheckout::incomingKeyCall { srcChainId: a, orderHash: opened.order_hash }
            )
            .await?,
        key
    );

    // Not arrived yet, deadline not passed on chain B.
    let t = admin_b.block_timestamp().await? + 1;
    assert!(t <= order.deliverBy, "chain B's clock is behind the deadline");
    admin_b.set_next_block_timestamp(t).await?;
    assert_revert(
        reporter.report(a, &opened.order, Transport::LayerZero).await,
        CrossChainCheckout::DeadlineNotPassed { deliverBy: order.deliverBy, now_: U256::from(t) },
    );

    // Arrives: accepted, credited with the price, placed on the Storefront.
    let raw_b = install_raw(&f, b).await?;
    let receipt = inject(&f, b, raw_b, a, &opened.envelope).await?;
    let placed = events_from::<Storefront::OrderPlaced>(&receipt, app_b.storefront);
    assert_eq!(placed.len(), 1);
    let order_id = placed[0].orderId;
    assert_eq!(placed[0].buyer, app_b.checkout, "the checkout is the Storefront buyer");
    assert_eq!(placed[0].price, 2 * AUSD);
    assert_eq!(
        all_events::<CheckoutEvent>(&receipt, app_b.checkout),
        vec![CheckoutEvent::OrderAccepted(CrossChainCheckout::OrderAccepted {
            key,
            srcChainId: a,
            purchaseId: 1,
            orderId: order_id,
            price: 2 * AUSD,
            premium: 0,
        })]
    );
    assert_eq!(
        all_events::<GatewayEvent>(&receipt, app_b.gateway),
        vec![GatewayEvent::Credited(TokenGateway::Credited {
            to: app_b.checkout,
            srcChainId: a,
            amount: U256::from(2 * AUSD)
        })]
    );
    let incoming = reporter.incoming(a, opened.order_hash).await?;
    assert_eq!(
        incoming,
        CrossChainCheckout::Incoming {
            state: fulfilment::ACCEPTED,
            reason: reason::NONE,
            price: 2 * AUSD,
            premium: 0,
            orderId: order_id
        }
    );
    assert_eq!(
        admin_b.call_sol(app_b.checkout, &CrossChainCheckout::incomingKeyOfCall { orderId: order_id }).await?,
        key
    );

    // Open on the Storefront: not finished.
    assert_revert(
        reporter.report(a, &opened.order, Transport::LayerZero).await,
        CrossChainCheckout::NotFinished { key },
    );

    // Dispensed: reported once, with the exact outcome.
    dispense(&mut f, order_id).await?;
    let digest = admin_b
        .call_sol(f.network.chain(b)?.suite.receipts, &ReceiptNFT::metadataDigestCall { tokenId: order_id })
        .await?;
    let (nonce, outcome_envelope, receipt) = reporter.report(a, &opened.order, Transport::Hyperlane).await?;
    assert_eq!(
        all_events::<CheckoutEvent>(&receipt, app_b.checkout),
        vec![CheckoutEvent::OutcomeReported(CrossChainCheckout::OutcomeReported {
            key,
            srcChainId: a,
            purchaseId: 1,
            dispensed: true,
            reason: reason::NONE,
            routerNonce: nonce,
        })]
    );
    assert!(all_events::<GatewayEvent>(&receipt, app_b.gateway).is_empty(), "the price stays with the operator");
    let outcome = decode_outcome(&decode_envelope(&outcome_envelope).payload);
    assert_eq!(
        outcome,
        OutcomeMessage {
            purchaseId: 1,
            orderHash: opened.order_hash,
            dispensed: true,
            price: 2 * AUSD,
            premium: 0,
            remoteOrderId: order_id,
            metadataDigest: digest,
            reason: reason::NONE,
        }
    );
    assert_eq!(reporter.incoming(a, opened.order_hash).await?.state, fulfilment::REPORTED);
    assert_revert(
        reporter.report(a, &opened.order, Transport::LayerZero).await,
        CrossChainCheckout::AlreadyReported { key },
    );

    // Back on the buyer's chain: settled, change returned, receipt minted.
    let raw_a = install_raw(&f, a).await?;
    let receipt = inject(&f, a, raw_a, b, &outcome_envelope).await?;
    let buyer = f.buyer.client().sender();
    assert_eq!(
        all_events::<CheckoutEvent>(&receipt, app_a.checkout),
        vec![CheckoutEvent::PurchaseSettled(CrossChainCheckout::PurchaseSettled {
            purchaseId: U256::from(1),
            buyer,
            price: 2 * AUSD,
            premium: 0,
            refund: AUSD,
            remoteOrderId: order_id,
        })]
    );
    assert_eq!(
        all_events::<GatewayEvent>(&receipt, app_a.gateway),
        vec![GatewayEvent::Credited(TokenGateway::Credited { to: buyer, srcChainId: b, amount: U256::from(AUSD) })]
    );
    assert_eq!(
        all_events::<ReceiptNFT::ReceiptNFTEvents>(&receipt, app_a.receipts),
        vec![
            ReceiptNFT::ReceiptNFTEvents::Transfer(ReceiptNFT::Transfer {
                from: Address::ZERO,
                to: buyer,
                tokenId: U256::from(1)
            }),
            ReceiptNFT::ReceiptNFTEvents::ReceiptMinted(ReceiptNFT::ReceiptMinted {
                tokenId: U256::from(1),
                owner: buyer,
                metadataDigest: digest,
            }),
        ]
    );
    assert_eq!(f.buyer.purchase_status(1).await?, PurchaseStatus::Settled);
    assert_eq!(f.buyer.token_balance(buyer).await?, U256::from(98 * AUSD));
    Ok(())
}

/// An accepted order the machine never vends: once the Storefront refunded it, `report` burns the price on
/// the machine's chain and reports `VendFailedOrExpired`; the buyer gets the maximum price back.
#[tokio::test]
async fn checkout_report_of_an_expired_order_returns_the_price_and_refunds_in_full() -> TestResult {
    let f = fixture().await?;
    let (a, b) = (f.a, f.b);
    let (app_a, app_b) = (app(&f, a), app(&f, b));
    let stranger_b = client(&f, b, STRANGER);
    let reporter = CrossChain::new(stranger_b.clone(), app_b);
    let opened = f.buy(Transport::LayerZero, 900).await?;
    let raw_b = install_raw(&f, b).await?;
    let receipt = inject(&f, b, raw_b, a, &opened.envelope).await?;
    let order_id = events_from::<Storefront::OrderPlaced>(&receipt, app_b.storefront)[0].orderId;
    let apps = f.apps()?;
    assert_eq!(apps[1].minted().await?, U256::from(2 * AUSD));

    // The vend window (600 s) passes; anyone refunds the Storefront order to the checkout.
    f.advance_time(601).await?;
    stranger_b.send_sol(app_b.storefront, &Storefront::refundExpiredCall { orderId: order_id }).await?;
    assert_eq!(balance(&stranger_b, &app_b, app_b.checkout).await?, U256::from(2 * AUSD));
    let (nonce, outcome_envelope, receipt) = reporter.report(a, &opened.order, Transport::LayerZero).await?;
    let key = incoming_key(a, opened.order_hash);
    assert_eq!(
        all_events::<CheckoutEvent>(&receipt, app_b.checkout),
        vec![CheckoutEvent::OutcomeReported(CrossChainCheckout::OutcomeReported {
            key,
            srcChainId: a,
            purchaseId: 1,
            dispensed: false,
            reason: reason::VEND_FAILED_OR_EXPIRED,
            routerNonce: nonce,
        })]
    );
    assert_eq!(
        all_events::<GatewayEvent>(&receipt, app_b.gateway),
        vec![GatewayEvent::Debited(TokenGateway::Debited {
            from: app_b.checkout,
            dstChainId: a,
            amount: U256::from(2 * AUSD)
        })]
    );
    assert_eq!(apps[1].minted().await?, U256::ZERO, "the price was burned");
    assert_eq!(balance(&stranger_b, &app_b, app_b.checkout).await?, U256::ZERO);
    let incoming = reporter.incoming(a, opened.order_hash).await?;
    assert_eq!(
        incoming,
        CrossChainCheckout::Incoming {
            state: fulfilment::REPORTED,
            reason: reason::VEND_FAILED_OR_EXPIRED,
            price: 2 * AUSD,
            premium: 0,
            orderId: order_id,
        }
    );
    let outcome = decode_outcome(&decode_envelope(&outcome_envelope).payload);
    assert_eq!(
        outcome,
        OutcomeMessage {
            purchaseId: 1,
            orderHash: opened.order_hash,
            dispensed: false,
            price: 0,
            premium: 0,
            remoteOrderId: order_id,
            metadataDigest: B256::ZERO,
            reason: reason::VEND_FAILED_OR_EXPIRED,
        }
    );

    let raw_a = install_raw(&f, a).await?;
    let receipt = inject(&f, a, raw_a, b, &outcome_envelope).await?;
    let buyer = f.buyer.client().sender();
    assert_eq!(
        all_events::<CheckoutEvent>(&receipt, app_a.checkout),
        vec![CheckoutEvent::PurchaseRefunded(CrossChainCheckout::PurchaseRefunded {
            purchaseId: U256::from(1),
            buyer,
            amount: 3 * AUSD,
            reason: reason::VEND_FAILED_OR_EXPIRED,
        })]
    );
    assert_eq!(f.buyer.token_balance(buyer).await?, U256::from(100 * AUSD));
    assert_eq!(apps[0].locked().await?, U256::ZERO);
    Ok(())
}

/// An order the Storefront refuses on arrival (its quote nonce was already used by an earlier order) is
/// rejected with the Storefront's exact revert data, nothing kept (the credited price is debited again), and
/// its report refunds the buyer in full.
#[tokio::test]
async fn checkout_order_refused_by_the_storefront_is_rejected_and_refunded_in_full() -> TestResult {
    let f = fixture().await?;
    let (a, b) = (f.a, f.b);
    let (app_a, app_b) = (app(&f, a), app(&f, b));
    let q = quote(&f).await?;
    let deliver_by = f.buyer.client().block_timestamp().await? + 900;
    let request = buy_request(b, &q.quote, q.signature.clone(), 3 * AUSD, deliver_by, 600);
    let first = f.buyer.buy(&request, Transport::LayerZero, true).await?;
    let second = f.buyer.buy(&request, Transport::LayerZero, true).await?;
    assert_ne!(first.order_hash, second.order_hash, "two purchases, two orders");
    let raw_b = install_raw(&f, b).await?;
    let receipt = inject(&f, b, raw_b, a, &first.envelope).await?;
    assert_eq!(events_from::<CrossChainCheckout::OrderAccepted>(&receipt, app_b.checkout).len(), 1);
    let apps = f.apps()?;
    assert_eq!(apps[1].minted().await?, U256::from(2 * AUSD));

    // The same quote again: the Storefront refuses it.
    let receipt = inject(&f, b, raw_b, a, &second.envelope).await?;
    let key = incoming_key(a, second.order_hash);
    let refusal = Storefront::QuoteAlreadyUsed { machineId: q.quote.machineId, nonce: q.quote.nonce };
    assert_eq!(
        all_events::<CheckoutEvent>(&receipt, app_b.checkout),
        vec![CheckoutEvent::OrderRejected(CrossChainCheckout::OrderRejected {
            key,
            srcChainId: a,
            purchaseId: 2,
            reason: reason::STOREFRONT_REFUSED,
            detail: refusal.abi_encode().into(),
        })]
    );
    assert_eq!(
        all_events::<GatewayEvent>(&receipt, app_b.gateway),
        vec![
            GatewayEvent::Credited(TokenGateway::Credited {
                to: app_b.checkout,
                srcChainId: a,
                amount: U256::from(2 * AUSD)
            }),
            GatewayEvent::Debited(TokenGateway::Debited {
                from: app_b.checkout,
                dstChainId: a,
                amount: U256::from(2 * AUSD)
            }),
        ]
    );
    assert!(events_from::<Storefront::OrderPlaced>(&receipt, app_b.storefront).is_empty());
    assert_eq!(apps[1].minted().await?, U256::from(2 * AUSD), "only the first order's price is minted");
    assert_eq!(balance(&client(&f, b, 0), &app_b, app_b.checkout).await?, U256::ZERO);
    let token_allowance = client(&f, b, 0)
        .call_sol(app_b.token, &PaymentToken::allowanceCall { owner: app_b.checkout, spender: app_b.storefront })
        .await?;
    assert_eq!(token_allowance, U256::ZERO, "no allowance left to the Storefront");
    let reporter = CrossChain::new(client(&f, b, STRANGER), app_b);
    assert_eq!(
        reporter.incoming(a, second.order_hash).await?,
        CrossChainCheckout::Incoming {
            state: fulfilment::REJECTED,
            reason: reason::STOREFRONT_REFUSED,
            price: 0,
            premium: 0,
            orderId: U256::ZERO,
        }
    );

    // Reported (nothing to return on this chain), then refunded in full on the buyer's chain.
    let (nonce, outcome_envelope, receipt) = reporter.report(a, &second.order, Transport::LayerZero).await?;
    assert_eq!(
        all_events::<CheckoutEvent>(&receipt, app_b.checkout),
        vec![CheckoutEvent::OutcomeReported(CrossChainCheckout::OutcomeReported {
            key,
            srcChainId: a,
            purchaseId: 2,
            dispensed: false,
            reason: reason::STOREFRONT_REFUSED,
            routerNonce: nonce,
        })]
    );
    assert!(all_events::<GatewayEvent>(&receipt, app_b.gateway).is_empty());
    assert_eq!(decode_outcome(&decode_envelope(&outcome_envelope).payload).reason, reason::STOREFRONT_REFUSED);
    let buyer = f.buyer.client().sender();
    assert_eq!(f.buyer.token_balance(buyer).await?, U256::from(94 * AUSD));
    let raw_a = install_raw(&f, a).await?;
    let receipt = inject(&f, a, raw_a, b, &outcome_envelope).await?;
    assert_eq!(
        all_events::<CheckoutEvent>(&receipt, app_a.checkout),
        vec![CheckoutEvent::PurchaseRefunded(CrossChainCheckout::PurchaseRefunded {
            purchaseId: U256::from(2),
            buyer,
            amount: 3 * AUSD,
            reason: reason::STOREFRONT_REFUSED,
        })]
    );
    assert_eq!(
        all_events::<GatewayEvent>(&receipt, app_a.gateway),
        vec![GatewayEvent::Credited(TokenGateway::Credited { to: buyer, srcChainId: b, amount: U256::from(3 * AUSD) })]
    );
    assert_eq!(f.buyer.token_balance(buyer).await?, U256::from(97 * AUSD), "refunded in full");
    assert_eq!(f.buyer.purchase_status(2).await?, PurchaseStatus::Refunded);
    assert_eq!(f.buyer.purchase_status(1).await?, PurchaseStatus::Pending);
    assert_eq!(apps[0].locked().await?, U256::from(3 * AUSD));
    Ok(())
}

/// On arrival, an order past its deadline is rejected `ArrivedLate` and one whose quote price exceeds its
/// maximum (only a forged one can) `PriceAboveMax`, without crediting anything; a second copy of a handled
/// order is `OrderIgnored`; an unknown message kind reverts (`UnknownKind`), leaving the message undelivered.
#[tokio::test]
async fn checkout_rejects_late_and_overpriced_orders_and_unknown_kinds_on_arrival() -> TestResult {
    let f = fixture().await?;
    let (a, b) = (f.a, f.b);
    let (app_a, app_b) = (app(&f, a), app(&f, b));
    let admin_b = client(&f, b, 0);
    let raw_b = install_raw(&f, b).await?;
    let checkout_app = admin_b.call_sol(app_b.checkout, &CrossChainCheckout::APP_IDCall {}).await?;

    // Late.
    let opened = f.buy(Transport::LayerZero, 60).await?;
    let order = <OrderMessage as SolValue>::abi_decode(&opened.order)?;
    let now_b = admin_b.block_timestamp().await?;
    f.advance_time(order.deliverBy.saturating_sub(now_b) + 1).await?;
    assert!(admin_b.block_timestamp().await? > order.deliverBy);
    let receipt = inject(&f, b, raw_b, a, &opened.envelope).await?;
    let late_key = incoming_key(a, opened.order_hash);
    assert_eq!(
        all_events::<CheckoutEvent>(&receipt, app_b.checkout),
        vec![CheckoutEvent::OrderRejected(CrossChainCheckout::OrderRejected {
            key: late_key,
            srcChainId: a,
            purchaseId: 1,
            reason: reason::ARRIVED_LATE,
            detail: Bytes::new(),
        })]
    );
    assert!(all_events::<GatewayEvent>(&receipt, app_b.gateway).is_empty(), "nothing credited");
    let reporter = CrossChain::new(client(&f, b, STRANGER), app_b);
    let (nonce, outcome_envelope, receipt) = reporter.report(a, &opened.order, Transport::LayerZero).await?;
    assert_eq!(
        all_events::<CheckoutEvent>(&receipt, app_b.checkout),
        vec![CheckoutEvent::OutcomeReported(CrossChainCheckout::OutcomeReported {
            key: late_key,
            srcChainId: a,
            purchaseId: 1,
            dispensed: false,
            reason: reason::ARRIVED_LATE,
            routerNonce: nonce,
        })]
    );
    assert_eq!(decode_outcome(&decode_envelope(&outcome_envelope).payload).reason, reason::ARRIVED_LATE);

    // Overpriced: a well-formed order no honest checkout sends.
    let deliver_by = admin_b.block_timestamp().await? + 600;
    let forged = OrderMessage {
        purchaseId: 77,
        buyer: Address::repeat_byte(0x55),
        quote: CarriedQuote { machineId: 1, slot: 0, price: 3 * AUSD, expiry: deliver_by, nonce: 999 },
        quoteSignature: Bytes::new(),
        maxPrice: 2 * AUSD,
        deliverBy: deliver_by,
        vendWindow: 600,
        maxPremium: 0,
    }
    .abi_encode();
    let forged_key = incoming_key(a, keccak256(&forged));
    let payload = checkout_payload(KIND_ORDER, forged.clone());
    let receipt = inject(&f, b, raw_b, a, &envelope(a, app_a.router, b, 1_001, checkout_app, payload.clone())).await?;
    assert_eq!(
        all_events::<CheckoutEvent>(&receipt, app_b.checkout),
        vec![CheckoutEvent::OrderRejected(CrossChainCheckout::OrderRejected {
            key: forged_key,
            srcChainId: a,
            purchaseId: 77,
            reason: reason::PRICE_ABOVE_MAX,
            detail: Bytes::new(),
        })]
    );
    assert!(all_events::<GatewayEvent>(&receipt, app_b.gateway).is_empty(), "nothing credited");
    // The same order in another message: ignored.
    let receipt = inject(&f, b, raw_b, a, &envelope(a, app_a.router, b, 1_002, checkout_app, payload)).await?;
    assert_eq!(
        all_events::<CheckoutEvent>(&receipt, app_b.checkout),
        vec![CheckoutEvent::OrderIgnored(CrossChainCheckout::OrderIgnored {
            key: forged_key,
            srcChainId: a,
            purchaseId: 77,
            state: fulfilment::REJECTED,
        })]
    );

    // An unknown kind.
    let unknown = envelope(a, app_a.router, b, 1_003, checkout_app, checkout_payload(3, vec![]));
    assert_revert(inject(&f, b, raw_b, a, &unknown).await, CrossChainCheckout::UnknownKind { kind: 3 });
    let id = message_id(a, app_a.router, 1_003);
    assert_eq!(admin_b.call_sol(app_b.router, &CrossChainRouter::deliveredViaCall { messageId: id }).await?, 0);
    Ok(())
}

/// An outcome that does not match a pending purchase (wrong order hash, unknown purchase, from a chain the
/// purchase did not go to, or for a purchase already refunded) is `OutcomeIgnored` and changes nothing.
#[tokio::test]
async fn checkout_ignores_outcomes_that_do_not_match_a_pending_purchase() -> TestResult {
    let f = fixture().await?;
    let (a, b) = (f.a, f.b);
    let (app_a, app_b) = (app(&f, a), app(&f, b));
    let admin_a = client(&f, a, 0);
    let opened = f.buy(Transport::LayerZero, 900).await?;
    let raw_a = install_raw(&f, a).await?;
    let checkout_app = admin_a.call_sol(app_a.checkout, &CrossChainCheckout::APP_IDCall {}).await?;
    let buyer = f.buyer.client().sender();
    let deliver = |nonce: u64, src: u64, src_router: Address, outcome: &OutcomeMessage| {
        let payload = checkout_payload(KIND_OUTCOME, outcome.abi_encode());
        let env = envelope(src, src_router, a, nonce, checkout_app, payload);
        let f = &f;
        async move { inject(f, a, raw_a, src, &env).await }
    };
    let genuine = OutcomeMessage {
        purchaseId: 1,
        orderHash: opened.order_hash,
        dispensed: true,
        price: AUSD,
        premium: 0,
        remoteOrderId: U256::from(1),
        metadataDigest: keccak256("receipt"),
        reason: reason::NONE,
    };
    let handle = &f.buyer;
    let unchanged = move || async move {
        assert_eq!(handle.purchase_status(1).await.expect("purchase"), PurchaseStatus::Pending);
        assert_eq!(handle.token_balance(buyer).await.expect("balance"), U256::from(97 * AUSD));
        assert_eq!(handle.locked().await.expect("locked"), U256::from(3 * AUSD));
        assert_eq!(handle.receipts_minted().await.expect("receipts"), U256::ZERO);
    };

    let wrong_hash = OutcomeMessage { orderHash: keccak256("another order"), ..genuine.clone() };
    let receipt = deliver(1_001, b, app_b.router, &wrong_hash).await?;
    assert_eq!(
        all_events::<CheckoutEvent>(&receipt, app_a.checkout),
        vec![CheckoutEvent::OutcomeIgnored(CrossChainCheckout::OutcomeIgnored {
            purchaseId: U256::from(1),
            srcChainId: b,
            orderHash: wrong_hash.orderHash,
        })]
    );
    assert!(all_events::<GatewayEvent>(&receipt, app_a.gateway).is_empty());
    unchanged().await;

    let unknown_purchase = OutcomeMessage { purchaseId: 42, ..genuine.clone() };
    let receipt = deliver(1_002, b, app_b.router, &unknown_purchase).await?;
    assert_eq!(
        all_events::<CheckoutEvent>(&receipt, app_a.checkout),
        vec![CheckoutEvent::OutcomeIgnored(CrossChainCheckout::OutcomeIgnored {
            purchaseId: U256::from(42),
            srcChainId: b,
            orderHash: opened.order_hash,
        })]
    );
    unchanged().await;

    // The right purchase and hash, from a peer chain the purchase did not go to.
    let third_router = Address::repeat_byte(0x33);
    admin_a.send_sol(app_a.router, &CrossChainRouter::setPeerCall { chainId: UNLINKED, router: third_router }).await?;
    let receipt = deliver(1, UNLINKED, third_router, &genuine).await?;
    assert_eq!(
        all_events::<CheckoutEvent>(&receipt, app_a.checkout),
        vec![CheckoutEvent::OutcomeIgnored(CrossChainCheckout::OutcomeIgnored {
            purchaseId: U256::from(1),
            srcChainId: UNLINKED,
            orderHash: opened.order_hash,
        })]
    );
    unchanged().await;

    // A "dispensed" outcome whose price exceeds what the buyer paid refunds in full instead of settling.
    let overpriced = OutcomeMessage { price: 3 * AUSD + 1, ..genuine.clone() };
    let receipt = deliver(1_003, b, app_b.router, &overpriced).await?;
    assert_eq!(
        all_events::<CheckoutEvent>(&receipt, app_a.checkout),
        vec![CheckoutEvent::PurchaseRefunded(CrossChainCheckout::PurchaseRefunded {
            purchaseId: U256::from(1),
            buyer,
            amount: 3 * AUSD,
            reason: reason::NONE,
        })]
    );
    assert_eq!(f.buyer.token_balance(buyer).await?, U256::from(100 * AUSD));

    // Once refunded, even the genuine outcome changes nothing.
    let receipt = deliver(1_004, b, app_b.router, &genuine).await?;
    assert_eq!(
        all_events::<CheckoutEvent>(&receipt, app_a.checkout),
        vec![CheckoutEvent::OutcomeIgnored(CrossChainCheckout::OutcomeIgnored {
            purchaseId: U256::from(1),
            srcChainId: b,
            orderHash: opened.order_hash,
        })]
    );
    assert!(all_events::<GatewayEvent>(&receipt, app_a.gateway).is_empty());
    assert_eq!(f.buyer.purchase_status(1).await?, PurchaseStatus::Refunded);
    assert_eq!(f.buyer.token_balance(buyer).await?, U256::from(100 * AUSD));
    assert_eq!(f.buyer.receipts_minted().await?, U256::ZERO);
    Ok(())
}

// ==================================================================== adapters

/// Pays `fee + extra` for a bridge through `transport` and checks the sender paid exactly the fee plus gas:
/// the excess came back to it (the refund address).
async fn excess_fee_is_refunded(f: &Fixture, transport: Transport, extra: U256) -> TestResult {
    let (a, b) = (f.a, f.b);
    let app_a = app(f, a);
    let buyer = f.buyer.client().clone();
    approve(&buyer, &app_a, AUSD).await?;
    let fee = bridge_fee(&buyer, &app_a, b, buyer.sender(), AUSD, transport.id()).await?;
    let before = buyer.balance(buyer.sender()).await?;
    let receipt = bridge_tx(&buyer, &app_a, b, buyer.sender(), AUSD, transport.id(), fee + extra).await?;
    let after = buyer.balance(buyer.sender()).await?;
    let gas = U256::from(receipt.gas_used) * U256::from(receipt.effective_gas_price);
    assert_eq!(before - after, fee + gas, "{}: only the fee was kept", transport.name());
    Ok(())
}

/// LayerZero adapter: `send` only from the router and only on a route (`NoRoute`, also for `quote`), the fee
/// must be covered (`InsufficientFee`) and the excess is refunded; `lzReceive` only from the endpoint;
/// `setReceiveGas` and `setRoute` are the owner's (events `ReceiveGasSet`, `PeerSet` + `RouteSet`).
#[tokio::test]
async fn layerzero_adapter_send_routes_fees_and_owner_config() -> TestResult {
    let f = fixture().await?;
    let (a, b) = (f.a, f.b);
    let app_a = app(&f, a);
    let adapter = app_a.lz_adapter;
    let admin = client(&f, a, 0);
    let stranger = client(&f, a, STRANGER);
    let lz = Transport::LayerZero.id();
    let env = envelope(a, app_a.router, b, 1, keccak256("app"), vec![1, 2, 3]);

    assert_revert(
        stranger
            .send_sol(
                adapter,
                &LayerZeroAdapter::sendCall { dstChainId: b, envelope: env.clone(), refundTo: stranger.sender() },
            )
            .await,
        LayerZeroAdapter::OnlyRouter { caller: stranger.sender() },
    );
    assert_revert(
        admin.call_sol(adapter, &LayerZeroAdapter::quoteCall { dstChainId: UNLINKED, envelope: env.clone() }).await,
        LayerZeroAdapter::NoRoute { chainId: UNLINKED },
    );
    // A chain the router has a peer on but LayerZero no route to.
    admin
        .send_sol(app_a.router, &CrossChainRouter::setPeerCall { chainId: UNLINKED, router: Address::repeat_byte(9) })
        .await?;
    let buyer = f.buyer.client().clone();
    approve(&buyer, &app_a, 10 * AUSD).await?;
    assert_revert(
        bridge_tx(&buyer, &app_a, UNLINKED, buyer.sender(), AUSD, lz, U256::ZERO).await,
        LayerZeroAdapter::NoRoute { chainId: UNLINKED },
    );
    // Paying one wei less than the quote.
    let fee = bridge_fee(&buyer, &app_a, b, buyer.sender(), AUSD, lz).await?;
    assert!(fee > U256::ZERO, "LayerZero charges a fee here");
    assert_revert(
        bridge_tx(&buyer, &app_a, b, buyer.sender(), AUSD, lz, fee - U256::from(1)).await,
        LayerZeroAdapter::InsufficientFee { paid: fee - U256::from(1), required: fee },
    );
    // Paying more: the endpoint returns the excess to the refund address.
    excess_fee_is_refunded(&f, Transport::LayerZero, U256::from(10u64).pow(U256::from(16))).await?;

    // lzReceive only from the endpoint.
    let origin = LayerZeroAdapter::Origin {
        srcEid: f.network.chain(b)?.lz.eid,
        sender: app(&f, b).lz_adapter.into_word(),
        nonce: 1,
    };
    assert_revert(
        stranger
            .send_sol(
                adapter,
                &LayerZeroAdapter::lzReceiveCall {
                    _origin: origin,
                    _guid: B256::ZERO,
                    _message: env.clone(),
                    _executor: stranger.sender(),
                    _extraData: Bytes::new(),
                },
            )
            .await,
        LayerZeroAdapter::OnlyEndpoint { addr: stranger.sender() },
    );

    // setReceiveGas.
    assert_revert(
        stranger.send_sol(adapter, &LayerZeroAdapter::setReceiveGasCall { gas: 2_000_000 }).await,
        LayerZeroAdapter::OwnableUnauthorizedAccount { account: stranger.sender() },
    );
    let quote_before =
        admin.call_sol(adapter, &LayerZeroAdapter::quoteCall { dstChainId: b, envelope: env.clone() }).await?;
    let receipt = admin.send_sol(adapter, &LayerZeroAdapter::setReceiveGasCall { gas: 2_000_000 }).await?;
    assert_eq!(
        all_events::<LayerZeroAdapter::LayerZeroAdapterEvents>(&receipt, adapter),
        vec![LayerZeroAdapter::LayerZeroAdapterEvents::ReceiveGasSet(LayerZeroAdapter::ReceiveGasSet {
            gas: 2_000_000
        })]
    );
    assert_eq!(admin.call_sol(adapter, &LayerZeroAdapter::receiveGasCall {}).await?, 2_000_000);
    let quote_after = admin.call_sol(adapter, &LayerZeroAdapter::quoteCall { dstChainId: b, envelope: env }).await?;
    assert!(quote_after > quote_before, "more destination gas costs more ({quote_before} -> {quote_after})");

    // setRoute.
    let eid_b = f.network.chain(b)?.lz.eid;
    let peer = app(&f, b).lz_adapter.into_word();
    assert_revert(
        stranger.send_sol(adapter, &LayerZeroAdapter::setRouteCall { chainId: b, eid: eid_b, peer }).await,
        LayerZeroAdapter::OwnableUnauthorizedAccount { account: stranger.sender() },
    );
    let receipt = admin.send_sol(adapter, &LayerZeroAdapter::setRouteCall { chainId: b, eid: eid_b, peer }).await?;
    assert_eq!(
        all_events::<LayerZeroAdapter::LayerZeroAdapterEvents>(&receipt, adapter),
        vec![
            LayerZeroAdapter::LayerZeroAdapterEvents::PeerSet(LayerZeroAdapter::PeerSet { eid: eid_b, peer }),
            LayerZeroAdapter::LayerZeroAdapterEvents::RouteSet(LayerZeroAdapter::RouteSet {
                chainId: b,
                eid: eid_b,
                peer
            }),
        ]
    );
    assert_eq!(admin.call_sol(adapter, &LayerZeroAdapter::eidOfCall { chainId: b }).await?, eid_b);
    assert_eq!(admin.call_sol(adapter, &LayerZeroAdapter::chainIdOfCall { eid: eid_b }).await?, b);
    Ok(())
}

/// Hyperlane adapter: `send` only from the router and only to a peer (`NoRoute`), the fee must be covered
/// (`InsufficientFee`) and the excess goes back to the refund address; `handle` only from the Mailbox;
/// `setPeer` refuses chain ids beyond 32 bits; `setPeer`/`setIsm` are the owner's.
#[tokio::test]
async fn hyperlane_adapter_send_fees_mailbox_only_and_owner_config() -> TestResult {
    let f = fixture().await?;
    let (a, b) = (f.a, f.b);
    let app_a = app(&f, a);
    let hl_a = f.network.chain(a)?.hl.clone();
    let adapter = app_a.hl_adapter;
    let admin = client(&f, a, 0);
    let stranger = client(&f, a, STRANGER);
    let hl = Transport::Hyperlane.id();
    let env = envelope(a, app_a.router, b, 1, keccak256("app"), vec![1, 2, 3]);

    assert_revert(
        stranger
            .send_sol(
                adapter,
                &HyperlaneAdapter::sendCall { dstChainId: b, envelope: env.clone(), refundTo: stranger.sender() },
            )
            .await,
        HyperlaneAdapter::OnlyRouter { caller: stranger.sender() },
    );
    let origin = u32::try_from(b)?;
    assert_revert(
        stranger
            .send_sol(
                adapter,
                &HyperlaneAdapter::handleCall { origin, sender: app(&f, b).hl_adapter.into_word(), body: env.clone() },
            )
            .await,
        HyperlaneAdapter::OnlyMailbox { caller: stranger.sender() },
    );
    assert_revert(
        admin.call_sol(adapter, &HyperlaneAdapter::quoteCall { dstChainId: UNLINKED, envelope: env.clone() }).await,
        HyperlaneAdapter::NoRoute { chainId: UNLINKED },
    );
    admin
        .send_sol(app_a.router, &CrossChainRouter::setPeerCall { chainId: UNLINKED, router: Address::repeat_byte(9) })
        .await?;
    let buyer = f.buyer.client().clone();
    approve(&buyer, &app_a, 10 * AUSD).await?;
    assert_revert(
        bridge_tx(&buyer, &app_a, UNLINKED, buyer.sender(), AUSD, hl, U256::ZERO).await,
        HyperlaneAdapter::NoRoute { chainId: UNLINKED },
    );

    // With a protocol fee on the Mailbox: one wei short is refused, the excess is returned.
    let protocol_fee = U256::from(10u64).pow(U256::from(15));
    admin.send_sol(hl_a.protocol_fee, &IProtocolFee::setProtocolFeeCall { _protocolFee: protocol_fee }).await?;
    let fee = bridge_fee(&buyer, &app_a, b, buyer.sender(), AUSD, hl).await?;
    assert_eq!(fee, protocol_fee);
    assert_revert(
        bridge_tx(&buyer, &app_a, b, buyer.sender(), AUSD, hl, fee - U256::from(1)).await,
        HyperlaneAdapter::InsufficientFee { paid: fee - U256::from(1), required: fee },
    );
    let hook_before = admin.balance(hl_a.protocol_fee).await?;
    excess_fee_is_refunded(&f, Transport::Hyperlane, U256::from(7) * protocol_fee).await?;
    assert_eq!(admin.balance(hl_a.protocol_fee).await? - hook_before, protocol_fee, "the hook got the fee");
    assert_eq!(admin.balance(adapter).await?, U256::ZERO, "the adapter keeps nothing");

    // setPeer.
    let too_large = u64::from(u32::MAX) + 1;
    assert_revert(
        admin
            .send_sol(adapter, &HyperlaneAdapter::setPeerCall { chainId: too_large, peer: B256::repeat_byte(1) })
            .await,
        HyperlaneAdapter::DomainTooLarge { chainId: too_large },
    );
    let peer = app(&f, b).hl_adapter.into_word();
    assert_revert(
        stranger.send_sol(adapter, &HyperlaneAdapter::setPeerCall { chainId: b, peer }).await,
        HyperlaneAdapter::OwnableUnauthorizedAccount { account: stranger.sender() },
    );
    let new_peer = B256::repeat_byte(0x42);
    let receipt = admin.send_sol(adapter, &HyperlaneAdapter::setPeerCall { chainId: UNLINKED, peer: new_peer }).await?;
    assert_eq!(
        all_events::<HyperlaneAdapter::HyperlaneAdapterEvents>(&receipt, adapter),
        vec![HyperlaneAdapter::HyperlaneAdapterEvents::PeerSet(HyperlaneAdapter::PeerSet {
            chainId: UNLINKED,
            peer: new_peer
        })]
    );
    assert_eq!(admin.call_sol(adapter, &HyperlaneAdapter::peerOfCall { chainId: UNLINKED }).await?, new_peer);
    assert_eq!(
        admin.call_sol(adapter, &HyperlaneAdapter::quoteCall { dstChainId: UNLINKED, envelope: env }).await?,
        protocol_fee,
        "a route once the peer is set"
    );

    // setIsm.
    assert_revert(
        stranger.send_sol(adapter, &HyperlaneAdapter::setIsmCall { ism: hl_a.ism }).await,
        HyperlaneAdapter::OwnableUnauthorizedAccount { account: stranger.sender() },
    );
    let receipt = admin.send_sol(adapter, &HyperlaneAdapter::setIsmCall { ism: hl_a.ism }).await?;
    assert_eq!(
        all_events::<HyperlaneAdapter::HyperlaneAdapterEvents>(&receipt, adapter),
        vec![HyperlaneAdapter::HyperlaneAdapterEvents::IsmSet(HyperlaneAdapter::IsmSet { ism: hl_a.ism })]
    );
    Ok(())
}

/// Expiries of never-seen orders (which cannot be told from fabricated ones) draw from their own per-chain
/// bucket: a flood of fabricated expiries is refused with `ExpiryRateLimited` before it can use up the router's
/// outbound capacity that real outcomes and transfers need. The limit is the owner's to set.
#[tokio::test]
async fn expiries_of_unseen_orders_are_rate_limited_apart_from_other_traffic() -> TestResult {
    let f = fixture().await?;
    let (a, b) = (f.a, f.b);
    let app_b = app(&f, b);
    let admin_b = client(&f, b, 0);
    let stranger = client(&f, b, STRANGER);
    assert_revert(
        stranger
            .send_sol(
                app_b.checkout,
                &CrossChainCheckout::setExpiryRateLimitCall { window: U48::from(3_600u64), capacity: u208(1) },
            )
            .await,
        CrossChainCheckout::OwnableUnauthorizedAccount { account: stranger.sender() },
    );
    let receipt = admin_b
        .send_sol(
            app_b.checkout,
            &CrossChainCheckout::setExpiryRateLimitCall { window: U48::from(3_600u64), capacity: u208(1) },
        )
        .await?;
    assert_eq!(
        events_from::<CrossChainCheckout::ExpiryRateLimitSet>(&receipt, app_b.checkout),
        vec![CrossChainCheckout::ExpiryRateLimitSet { window: U48::from(3_600u64), capacity: u208(1) }]
    );
    let now = admin_b.block_timestamp().await?;
    let fabricated = |purchase_id: u64| -> Bytes {
        OrderMessage {
            purchaseId: purchase_id,
            buyer: Address::repeat_byte(0x55),
            quote: CarriedQuote { machineId: 1, slot: 0, price: AUSD, expiry: now, nonce: purchase_id },
            quoteSignature: Bytes::new(),
            maxPrice: AUSD,
            deliverBy: now - 1,
            vendWindow: 600,
            maxPremium: 0,
        }
        .abi_encode()
        .into()
    };
    let report = |order: Bytes| {
        let stranger = stranger.clone();
        async move {
            let fee = stranger
                .call_sol(
                    app_b.checkout,
                    &CrossChainCheckout::quoteReportCall {
                        srcChainId: a,
                        order: order.clone(),
                        transport: Transport::Hyperlane.id(),
                    },
                )
                .await?;
            stranger
                .send_sol_with_value(
                    app_b.checkout,
                    &CrossChainCheckout::reportCall { srcChainId: a, order, transport: Transport::Hyperlane.id() },
                    fee,
                )
                .await
        }
    };
    let router_capacity =
        admin_b.call_sol(app_b.router, &CrossChainRouter::outboundAvailableCall { chainId: a }).await?;
    report(fabricated(1)).await?;
    assert_revert(report(fabricated(2)).await, CrossChainCheckout::ExpiryRateLimited { srcChainId: a });
    assert_eq!(
        admin_b.call_sol(app_b.router, &CrossChainRouter::outboundAvailableCall { chainId: a }).await?,
        router_capacity - U256::from(1),
        "only the one accepted expiry used router capacity"
    );
    Ok(())
}
