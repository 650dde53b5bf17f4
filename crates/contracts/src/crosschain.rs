//! Cross-chain purchases on chain: typed bindings of `CrossChainRouter`, the two transport adapters,
//! `TokenGateway` and `CrossChainCheckout`, deployment of the app on one chain once the protocols are there,
//! peer wiring between chains, and [`CrossChain`], a typed handle for the flows (buy, report, retry, bridge).
//!
//! The protocols themselves (LayerZero's endpoint and libraries, Hyperlane's mailbox and ISM) are deployed by
//! `automat-bridge` from their published artifacts; this module only needs their addresses.

use alloy_primitives::{Address, B256, Bytes, U256};
use alloy_sol_types::{SolConstructor, SolValue};
use automat_chain::{ChainClient, ChainClientExt, Receipt};

use crate::{
    register_all_errors,
    vending::{PaymentToken, Quote, ReceiptNFT, Result, VendingError, deploy_code},
};

/// `sol!` bindings generated from the committed artifacts (ABI and bytecode).
#[allow(missing_docs, clippy::too_many_arguments)]
mod bindings {
    use alloy_sol_types::sol;

    sol!(
        #[derive(Debug, PartialEq, Eq)]
        CrossChainRouter,
        "../../contracts/out/crosschain/CrossChainRouter.sol/CrossChainRouter.json"
    );
    sol!(
        #[derive(Debug, PartialEq, Eq)]
        LayerZeroAdapter,
        "../../contracts/out/crosschain/LayerZeroAdapter.sol/LayerZeroAdapter.json"
    );
    sol!(
        #[derive(Debug, PartialEq, Eq)]
        HyperlaneAdapter,
        "../../contracts/out/crosschain/HyperlaneAdapter.sol/HyperlaneAdapter.json"
    );
    sol!(
        #[derive(Debug, PartialEq, Eq)]
        TokenGateway,
        "../../contracts/out/crosschain/TokenGateway.sol/TokenGateway.json"
    );
    sol!(
        #[derive(Debug, PartialEq, Eq)]
        CrossChainCheckout,
        "../../contracts/out/crosschain/CrossChainCheckout.sol/CrossChainCheckout.json"
    );
    sol! {
        /// The router's envelope around every app message (as `CrossChainRouter.Envelope`).
        #[derive(Debug, PartialEq, Eq)]
        struct Envelope {
            uint64 srcChainId;
            address srcRouter;
            uint64 dstChainId;
            uint64 nonce;
            bytes32 app;
            bytes payload;
        }

        /// A quote as the checkout carries it (`Storefront.Quote`).
        #[derive(Debug, PartialEq, Eq)]
        struct CarriedQuote {
            uint64 machineId;
            uint16 slot;
            uint128 price;
            uint64 expiry;
            uint64 nonce;
        }

        /// An order as it travels from the buyer's chain (as `CrossChainCheckout.OrderMessage`).
        #[derive(Debug, PartialEq, Eq)]
        struct OrderMessage {
            uint64 purchaseId;
            address buyer;
            CarriedQuote quote;
            bytes quoteSignature;
            uint128 maxPrice;
            uint64 deliverBy;
            uint64 vendWindow;
            uint128 maxPremium;
        }
    }

    sol!(
        #[derive(Debug, PartialEq, Eq)]
        CompromisedTransport,
        "../../contracts/out/testing/CompromisedTransport.sol/CompromisedTransport.json"
    );
    sol!(
        #[derive(Debug, PartialEq, Eq)]
        FeeOnTransferToken,
        "../../contracts/out/testing/FeeOnTransferToken.sol/FeeOnTransferToken.json"
    );
}

pub use CrossChainCheckout::BuyRequest;
pub use bindings::{CarriedQuote, Envelope, OrderMessage};
pub use bindings::{
    CompromisedTransport, CrossChainCheckout, CrossChainRouter, FeeOnTransferToken, HyperlaneAdapter, LayerZeroAdapter,
    TokenGateway,
};

/// Transport id of LayerZero v2 on the router.
pub const TRANSPORT_LAYERZERO: u8 = 1;
/// Transport id of Hyperlane on the router.
pub const TRANSPORT_HYPERLANE: u8 = 2;

/// The two transports, by router id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Transport {
    /// LayerZero v2 (primary).
    LayerZero,
    /// Hyperlane (alternative, for retries).
    Hyperlane,
}

impl Transport {
    /// The router's id for this transport.
    pub fn id(self) -> u8 {
        match self {
            Self::LayerZero => TRANSPORT_LAYERZERO,
            Self::Hyperlane => TRANSPORT_HYPERLANE,
        }
    }

    /// The other transport.
    pub fn other(self) -> Self {
        match self {
            Self::LayerZero => Self::Hyperlane,
            Self::Hyperlane => Self::LayerZero,
        }
    }

    /// The transport with router id `id`.
    pub fn from_id(id: u8) -> Option<Self> {
        match id {
            TRANSPORT_LAYERZERO => Some(Self::LayerZero),
            TRANSPORT_HYPERLANE => Some(Self::Hyperlane),
            _ => None,
        }
    }

    /// Lower-case name (`layerzero`, `hyperlane`).
    pub fn name(self) -> &'static str {
        match self {
            Self::LayerZero => "layerzero",
            Self::Hyperlane => "hyperlane",
        }
    }
}

/// `CrossChainCheckout.PurchaseStatus`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PurchaseStatus {
    /// No such purchase.
    None,
    /// Waiting for the machine chain's outcome.
    Pending,
    /// Dispensed: receipt minted here, operator paid there.
    Settled,
    /// Refunded in full here.
    Refunded,
    /// A value this build does not know.
    Unknown(u8),
}

impl From<u8> for PurchaseStatus {
    fn from(v: u8) -> Self {
        match v {
            0 => Self::None,
            1 => Self::Pending,
            2 => Self::Settled,
            3 => Self::Refunded,
            other => Self::Unknown(other),
        }
    }
}

/// `CrossChainCheckout.Fulfilment`: an incoming order on the machine's chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fulfilment {
    /// Never seen.
    None,
    /// Placed on the Storefront.
    Accepted,
    /// Refused on arrival.
    Rejected,
    /// Its outcome went back.
    Reported,
    /// A value this build does not know.
    Unknown(u8),
}

impl From<u8> for Fulfilment {
    fn from(v: u8) -> Self {
        match v {
            0 => Self::None,
            1 => Self::Accepted,
            2 => Self::Rejected,
            3 => Self::Reported,
            other => Self::Unknown(other),
        }
    }
}

/// How the app is deployed on one chain.
#[derive(Debug, Clone)]
pub struct AppConfig {
    /// Admin of every contract (the deploying client's sender).
    pub admin: Address,
    /// May pause the router.
    pub guardian: Address,
    /// The vending suite on this chain.
    pub suite: crate::vending::SuiteAddresses,
    /// Whether this chain is the payment token's home (lock/unlock) or not (mint/burn).
    pub is_home: bool,
    /// LayerZero EndpointV2 here.
    pub lz_endpoint: Address,
    /// Hyperlane Mailbox here.
    pub hl_mailbox: Address,
    /// The multisig ISM the Hyperlane adapter names.
    pub hl_ism: Address,
    /// Gas the LayerZero executor gives `lzReceive` on destinations.
    pub lz_receive_gas: u128,
    /// Rate-limit window, seconds (messages and value).
    pub rate_window: u64,
    /// Messages per window per chain, each way.
    pub message_capacity: u64,
    /// Token units per window per chain, each way.
    pub value_capacity: u128,
    /// Longest delivery deadline a buyer may ask for, seconds.
    pub max_delivery_window: u64,
}

impl AppConfig {
    /// Defaults for a local network: 1M receive gas, 1-hour windows, 10 000 messages and 10M tokens (6 decimals)
    /// per chain per hour, deliveries within one hour.
    pub fn new(
        admin: Address,
        suite: crate::vending::SuiteAddresses,
        is_home: bool,
        lz_endpoint: Address,
        hl_mailbox: Address,
        hl_ism: Address,
    ) -> Self {
        Self {
            admin,
            guardian: admin,
            suite,
            is_home,
            lz_endpoint,
            hl_mailbox,
            hl_ism,
            lz_receive_gas: 1_000_000,
            rate_window: 3_600,
            message_capacity: 10_000,
            value_capacity: 10_000_000 * 1_000_000,
            max_delivery_window: 3_600,
        }
    }
}

/// The app's addresses on one chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AppAddresses {
    /// The chain.
    pub chain_id: u64,
    /// The router.
    pub router: Address,
    /// The LayerZero OApp adapter.
    pub lz_adapter: Address,
    /// The Hyperlane adapter.
    pub hl_adapter: Address,
    /// The token gateway.
    pub gateway: Address,
    /// The checkout.
    pub checkout: Address,
    /// Receipts of cross-chain purchases made on this chain.
    pub receipts: Address,
    /// The payment token here.
    pub token: Address,
    /// The Storefront here.
    pub storefront: Address,
    /// Whether this chain is the token's home.
    pub is_home: bool,
}

fn capacity(v: u128) -> alloy_primitives::Uint<208, 4> {
    alloy_primitives::Uint::<208, 4>::from(v)
}

/// Deploys the router, both adapters, the token gateway, the checkout and its receipt collection on one chain,
/// registers the apps and grants the roles (the gateway mints the payment token where it is not home). The
/// protocols must already be deployed here. Peers are wired separately ([`link`]).
pub async fn deploy_app<C: ChainClient>(client: &C, config: &AppConfig) -> Result<AppAddresses> {
    register_all_errors(client)?;
    let window = u64_to_u48(config.rate_window);
    let router = deploy_code(
        client,
        "CrossChainRouter",
        &CrossChainRouter::BYTECODE,
        CrossChainRouter::constructorCall {
            admin: config.admin,
            guardian: config.guardian,
            window,
            outboundCapacity: capacity(config.message_capacity.into()),
            inboundCapacity: capacity(config.message_capacity.into()),
        }
        .abi_encode(),
    )
    .await?;
    let lz_adapter = deploy_code(
        client,
        "LayerZeroAdapter",
        &LayerZeroAdapter::BYTECODE,
        LayerZeroAdapter::constructorCall {
            endpoint_: config.lz_endpoint,
            owner_: config.admin,
            router_: router,
            receiveGas_: config.lz_receive_gas,
        }
        .abi_encode(),
    )
    .await?;
    let hl_adapter = deploy_code(
        client,
        "HyperlaneAdapter",
        &HyperlaneAdapter::BYTECODE,
        HyperlaneAdapter::constructorCall {
            mailbox_: config.hl_mailbox,
            owner_: config.admin,
            router_: router,
            ism: config.hl_ism,
        }
        .abi_encode(),
    )
    .await?;
    let gateway = deploy_code(
        client,
        "TokenGateway",
        &TokenGateway::BYTECODE,
        TokenGateway::constructorCall {
            admin: config.admin,
            token_: config.suite.token,
            isHome_: config.is_home,
            router_: router,
            window,
            outboundCapacity: capacity(config.value_capacity),
            inboundCapacity: capacity(config.value_capacity),
        }
        .abi_encode(),
    )
    .await?;
    let receipts = deploy_code(
        client,
        "ReceiptNFT",
        &ReceiptNFT::BYTECODE,
        ReceiptNFT::constructorCall { admin: config.admin }.abi_encode(),
    )
    .await?;
    let checkout = deploy_code(
        client,
        "CrossChainCheckout",
        &CrossChainCheckout::BYTECODE,
        CrossChainCheckout::constructorCall {
            owner_: config.admin,
            router_: router,
            gateway_: gateway,
            storefront_: config.suite.storefront,
            receipts_: receipts,
            maxDeliveryWindow_: config.max_delivery_window,
        }
        .abi_encode(),
    )
    .await?;
    client
        .send_sol(router, &CrossChainRouter::setAdapterCall { transport: TRANSPORT_LAYERZERO, adapter: lz_adapter })
        .await?;
    client
        .send_sol(router, &CrossChainRouter::setAdapterCall { transport: TRANSPORT_HYPERLANE, adapter: hl_adapter })
        .await?;
    let gateway_app = client.call_sol(gateway, &TokenGateway::APP_IDCall {}).await?;
    client.send_sol(router, &CrossChainRouter::registerAppCall { appId: gateway_app, app: gateway }).await?;
    let checkout_app = client.call_sol(checkout, &CrossChainCheckout::APP_IDCall {}).await?;
    client.send_sol(router, &CrossChainRouter::registerAppCall { appId: checkout_app, app: checkout }).await?;
    let spender = client.call_sol(gateway, &TokenGateway::SPENDER_ROLECall {}).await?;
    client.send_sol(gateway, &TokenGateway::grantRoleCall { role: spender, account: checkout }).await?;
    let minter = client.call_sol(receipts, &ReceiptNFT::MINTER_ROLECall {}).await?;
    client.send_sol(receipts, &ReceiptNFT::grantRoleCall { role: minter, account: checkout }).await?;
    if !config.is_home {
        let token_minter = client.call_sol(config.suite.token, &PaymentToken::MINTER_ROLECall {}).await?;
        client
            .send_sol(config.suite.token, &PaymentToken::grantRoleCall { role: token_minter, account: gateway })
            .await?;
    }
    Ok(AppAddresses {
        chain_id: client.chain_id(),
        router,
        lz_adapter,
        hl_adapter,
        gateway,
        checkout,
        receipts,
        token: config.suite.token,
        storefront: config.suite.storefront,
        is_home: config.is_home,
    })
}

/// Makes `remote` (with LayerZero endpoint id `remote_eid`) a peer of `local` on every layer: router peer,
/// LayerZero route (which checks the pathway's DVN quorum) and Hyperlane peer. `client` acts on `local`'s chain
/// as its admin. Call it both ways.
pub async fn link<C: ChainClient>(
    client: &C,
    local: &AppAddresses,
    remote: &AppAddresses,
    remote_eid: u32,
) -> Result<()> {
    client
        .send_sol(local.router, &CrossChainRouter::setPeerCall { chainId: remote.chain_id, router: remote.router })
        .await?;
    client
        .send_sol(
            local.lz_adapter,
            &LayerZeroAdapter::setRouteCall {
                chainId: remote.chain_id,
                eid: remote_eid,
                peer: remote.lz_adapter.into_word(),
            },
        )
        .await?;
    client
        .send_sol(
            local.hl_adapter,
            &HyperlaneAdapter::setPeerCall { chainId: remote.chain_id, peer: remote.hl_adapter.into_word() },
        )
        .await?;
    Ok(())
}

fn u64_to_u48(v: u64) -> alloy_primitives::aliases::U48 {
    alloy_primitives::aliases::U48::saturating_from(v)
}

/// A purchase opened on the buyer's chain.
#[derive(Debug, Clone)]
pub struct OpenedPurchase {
    /// The purchase id (also the receipt's token id here).
    pub purchase_id: u64,
    /// The router nonce of the order message.
    pub router_nonce: u64,
    /// keccak256 of `order`.
    pub order_hash: B256,
    /// The order message exactly as sent (what `report` on the machine's chain takes).
    pub order: Bytes,
    /// The router envelope as sent (what `retry` takes).
    pub envelope: Bytes,
    /// The transaction.
    pub receipt: Receipt,
}

/// A typed handle on one chain's cross-chain app, acting as `client`'s sender.
#[derive(Debug, Clone)]
pub struct CrossChain<C> {
    client: C,
    app: AppAddresses,
}

impl<C: ChainClient> CrossChain<C> {
    /// A handle on `app` through `client`.
    pub fn new(client: C, app: AppAddresses) -> Self {
        Self { client, app }
    }

    /// The client.
    pub fn client(&self) -> &C {
        &self.client
    }

    /// The addresses.
    pub fn app(&self) -> &AppAddresses {
        &self.app
    }

    /// The same app through another client (e.g. another account).
    pub fn with_client<D: ChainClient>(&self, client: D) -> CrossChain<D> {
        CrossChain { client, app: self.app }
    }

    /// The router fee for buying with `request` through `transport`.
    pub async fn quote_buy(&self, request: &BuyRequest, transport: Transport) -> Result<U256> {
        Ok(self
            .client
            .call_sol(
                self.app.checkout,
                &CrossChainCheckout::quoteBuyCall { req: request.clone(), transport: transport.id() },
            )
            .await?)
    }

    /// Buys through `transport`: approves the gateway for what the purchase takes (`maxPrice + maxPremium`)
    /// when `approve`, pays the quoted fee. With `maxPremium` > 0 the order is insured on the machine's chain
    /// (see [`CrossChain::buy_insured`]).
    pub async fn buy(&self, request: &BuyRequest, transport: Transport, approve: bool) -> Result<OpenedPurchase> {
        if approve {
            let amount = U256::from(request.maxPrice) + U256::from(request.maxPremium);
            self.client
                .send_sol(self.app.token, &PaymentToken::approveCall { spender: self.app.gateway, value: amount })
                .await?;
        }
        let fee = self.quote_buy(request, transport).await?;
        let receipt = self
            .client
            .send_sol_with_value(
                self.app.checkout,
                &CrossChainCheckout::buyCall { req: request.clone(), transport: transport.id() },
                fee,
            )
            .await?;
        let opened = receipt
            .events::<CrossChainCheckout::PurchaseOpened>()
            .into_iter()
            .next()
            .ok_or(VendingError::MissingEvent { event: "PurchaseOpened", tx: receipt.transaction_hash })?;
        let envelope = receipt
            .events::<CrossChainRouter::MessageSent>()
            .into_iter()
            .next()
            .map(|e| e.envelope)
            .ok_or(VendingError::MissingEvent { event: "MessageSent", tx: receipt.transaction_hash })?;
        Ok(OpenedPurchase {
            purchase_id: opened.purchaseId.saturating_to(),
            router_nonce: opened.routerNonce,
            order_hash: opened.orderHash,
            order: opened.order,
            envelope,
            receipt,
        })
    }

    /// Buys `request` with cover: on the machine's chain the order is insured by its Storefront's pool for at
    /// most `max_premium` (quote it there with [`crate::insurance::Insurance::quote_premium`], leaving room for
    /// the order's Storefront deadline, set on arrival), the policy held by this client's address (the same key
    /// files claims there). This chain takes `maxPrice + max_premium` and returns what the price and the premium
    /// paid did not use; refused cover rejects the order and returns everything. Approves the gateway when
    /// `approve`.
    pub async fn buy_insured(
        &self,
        request: &BuyRequest,
        max_premium: u128,
        transport: Transport,
        approve: bool,
    ) -> Result<OpenedPurchase> {
        let request = BuyRequest { maxPremium: max_premium, ..request.clone() };
        self.buy(&request, transport, approve).await
    }

    /// Reports the outcome of `order` from `src_chain_id` back through `transport`, paying the quoted fee.
    /// Returns the router nonce and envelope of the outcome message.
    pub async fn report(
        &self,
        src_chain_id: u64,
        order: &Bytes,
        transport: Transport,
    ) -> Result<(u64, Bytes, Receipt)> {
        let fee = self
            .client
            .call_sol(
                self.app.checkout,
                &CrossChainCheckout::quoteReportCall {
                    srcChainId: src_chain_id,
                    order: order.clone(),
                    transport: transport.id(),
                },
            )
            .await?;
        let receipt = self
            .client
            .send_sol_with_value(
                self.app.checkout,
                &CrossChainCheckout::reportCall {
                    srcChainId: src_chain_id,
                    order: order.clone(),
                    transport: transport.id(),
                },
                fee,
            )
            .await?;
        let sent = receipt
            .events::<CrossChainRouter::MessageSent>()
            .into_iter()
            .next()
            .ok_or(VendingError::MissingEvent { event: "MessageSent", tx: receipt.transaction_hash })?;
        Ok((sent.nonce, sent.envelope, receipt))
    }

    /// Sends an envelope this chain's router sent before again, through `transport`.
    pub async fn retry(&self, envelope: &Bytes, transport: Transport) -> Result<Receipt> {
        let env = <Envelope as SolValue>::abi_decode(envelope)
            .map_err(|e| VendingError::Signing { what: "envelope", reason: e.to_string() })?;
        let fee = self
            .client
            .call_sol(
                self.app.router,
                &CrossChainRouter::quoteCall {
                    dstChainId: env.dstChainId,
                    transport: transport.id(),
                    appId: env.app,
                    payload: env.payload.clone(),
                },
            )
            .await?;
        Ok(self
            .client
            .send_sol_with_value(
                self.app.router,
                &CrossChainRouter::retryCall {
                    envelope: envelope.clone(),
                    transport: transport.id(),
                    refundTo: self.client.sender(),
                },
                fee,
            )
            .await?)
    }

    /// Bridges `amount` of the sender's tokens to `to` on `dst_chain_id` (approves the gateway first).
    pub async fn bridge(
        &self,
        dst_chain_id: u64,
        to: Address,
        amount: u128,
        transport: Transport,
    ) -> Result<(u64, Bytes, Receipt)> {
        self.client
            .send_sol(
                self.app.token,
                &PaymentToken::approveCall { spender: self.app.gateway, value: U256::from(amount) },
            )
            .await?;
        let payload = (to, U256::from(amount)).abi_encode_params();
        let app_id = self.client.call_sol(self.app.gateway, &TokenGateway::APP_IDCall {}).await?;
        let fee = self
            .client
            .call_sol(
                self.app.router,
                &CrossChainRouter::quoteCall {
                    dstChainId: dst_chain_id,
                    transport: transport.id(),
                    appId: app_id,
                    payload: payload.into(),
                },
            )
            .await?;
        let receipt = self
            .client
            .send_sol_with_value(
                self.app.gateway,
                &TokenGateway::bridgeCall {
                    dstChainId: dst_chain_id,
                    to,
                    amount: U256::from(amount),
                    transport: transport.id(),
                },
                fee,
            )
            .await?;
        let sent = receipt
            .events::<CrossChainRouter::MessageSent>()
            .into_iter()
            .next()
            .ok_or(VendingError::MissingEvent { event: "MessageSent", tx: receipt.transaction_hash })?;
        Ok((sent.nonce, sent.envelope, receipt))
    }

    /// A purchase made here.
    pub async fn purchase(&self, purchase_id: u64) -> Result<CrossChainCheckout::Purchase> {
        Ok(self
            .client
            .call_sol(self.app.checkout, &CrossChainCheckout::purchaseOfCall { purchaseId: U256::from(purchase_id) })
            .await?)
    }

    /// A purchase's status.
    pub async fn purchase_status(&self, purchase_id: u64) -> Result<PurchaseStatus> {
        Ok(PurchaseStatus::from(self.purchase(purchase_id).await?.status))
    }

    /// An incoming order's state here.
    pub async fn incoming(&self, src_chain_id: u64, order_hash: B256) -> Result<CrossChainCheckout::Incoming> {
        let key = self
            .client
            .call_sol(
                self.app.checkout,
                &CrossChainCheckout::incomingKeyCall { srcChainId: src_chain_id, orderHash: order_hash },
            )
            .await?;
        Ok(self.client.call_sol(self.app.checkout, &CrossChainCheckout::incomingOfCall { key }).await?)
    }

    /// Tokens the gateway holds locked (home chain).
    pub async fn locked(&self) -> Result<U256> {
        Ok(self.client.call_sol(self.app.gateway, &TokenGateway::lockedCall {}).await?)
    }

    /// Tokens the gateway minted and not yet burned (other chains).
    pub async fn minted(&self) -> Result<U256> {
        Ok(self.client.call_sol(self.app.gateway, &TokenGateway::mintedCall {}).await?)
    }

    /// Cross-chain receipts minted here.
    pub async fn receipts_minted(&self) -> Result<U256> {
        Ok(self.client.call_sol(self.app.receipts, &ReceiptNFT::totalMintedCall {}).await?)
    }

    /// The owner of cross-chain receipt `purchase_id` here.
    pub async fn receipt_owner(&self, purchase_id: u64) -> Result<Address> {
        Ok(self
            .client
            .call_sol(self.app.receipts, &ReceiptNFT::ownerOfCall { tokenId: U256::from(purchase_id) })
            .await?)
    }

    /// The payment token balance of `owner` here.
    pub async fn token_balance(&self, owner: Address) -> Result<U256> {
        Ok(self.client.call_sol(self.app.token, &PaymentToken::balanceOfCall { account: owner }).await?)
    }
}

/// A checkout `BuyRequest` from a vending quote, without cover (`maxPremium` 0; see [`CrossChain::buy_insured`]).
pub fn buy_request(
    dst_chain_id: u64,
    quote: &Quote,
    quote_signature: Bytes,
    max_price: u128,
    deliver_by: u64,
    vend_window: u64,
) -> BuyRequest {
    BuyRequest {
        dstChainId: dst_chain_id,
        quote: bindings::Storefront::Quote {
            machineId: quote.machineId,
            slot: quote.slot,
            price: quote.price,
            expiry: quote.expiry,
            nonce: quote.nonce,
        },
        quoteSignature: quote_signature,
        maxPrice: max_price,
        deliverBy: deliver_by,
        vendWindow: vend_window,
        maxPremium: 0,
    }
}
