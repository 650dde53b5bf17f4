//! The vending core on chain: typed bindings of `PaymentToken`, `MachineRegistry`, `Storefront` and
//! `ReceiptNFT`, EIP-712 signing of the Storefront's messages, deployment of the suite on one chain, and
//! [`Vending`], a typed handle that runs the Storefront's flows through any [`ChainClient`].
//!
//! The EIP-712 structs (`Quote`, `Attestation`, `Voucher`, `OfflineSale`) are generated from the compiled ABI,
//! so their type strings are the contract's by construction; a test checks the digests against the
//! contract's own `*Digest` views on every backend.

use alloy_primitives::{Address, B256, Bytes, U256};
use alloy_signer::SignerSync;
use alloy_sol_types::{Eip712Domain, SolConstructor, SolStruct, eip712_domain};
use automat_chain::{ChainClient, ChainClientExt, ChainError, Receipt};

use crate::{ArtifactError, register_all_errors};

/// `sol!` bindings generated from the committed artifacts (ABI and bytecode). `OfflineSaleSettled` has eight
/// fields, so its generated constructor takes eight arguments.
#[allow(missing_docs, clippy::too_many_arguments)]
mod bindings {
    use alloy_sol_types::sol;

    sol! {
        /// ERC-2612's signed approval, as the payment token's `permit` checks it (the type name is part of
        /// the type hash).
        #[derive(Debug, PartialEq, Eq)]
        struct Permit {
            address owner;
            address spender;
            uint256 value;
            uint256 nonce;
            uint256 deadline;
        }
    }

    sol!(
        #[derive(Debug, PartialEq, Eq)]
        PaymentToken,
        "../../contracts/out/vending/PaymentToken.sol/PaymentToken.json"
    );

    sol!(
        #[derive(Debug, PartialEq, Eq)]
        MachineRegistry,
        "../../contracts/out/vending/MachineRegistry.sol/MachineRegistry.json"
    );

    sol!(
        #[derive(Debug, PartialEq, Eq)]
        Storefront,
        "../../contracts/out/vending/Storefront.sol/Storefront.json"
    );

    sol!(
        #[derive(Debug, PartialEq, Eq)]
        ReceiptNFT,
        "../../contracts/out/vending/ReceiptNFT.sol/ReceiptNFT.json"
    );
}

pub use MachineRegistry::Slot;
pub use Storefront::{Attestation, OfflineSale, Order, Quote, Voucher};
pub use bindings::{MachineRegistry, PaymentToken, Permit, ReceiptNFT, Storefront};

/// EIP-712 domain name of the Storefront.
pub const STOREFRONT_DOMAIN_NAME: &str = "automat Storefront";
/// EIP-712 domain version of the Storefront.
pub const STOREFRONT_DOMAIN_VERSION: &str = "1";
/// Decimals of the payment token.
pub const PAYMENT_DECIMALS: u8 = 6;

/// `Storefront.Status` as Rust sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OrderStatus {
    /// No such order.
    None,
    /// Escrowed, waiting for the machine.
    Open,
    /// Dispensed and paid out.
    Dispensed,
    /// Refunded to the buyer.
    Refunded,
}

impl From<u8> for OrderStatus {
    fn from(v: u8) -> Self {
        match v {
            1 => Self::Open,
            2 => Self::Dispensed,
            3 => Self::Refunded,
            _ => Self::None,
        }
    }
}

/// What a machine attests about an order (`Storefront.Outcome`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Outcome {
    /// The item came out.
    Dispensed = 1,
    /// The vend failed; refund the buyer.
    VendFailed = 2,
}

/// Why an order was refunded (`Storefront.RefundReason`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RefundReason {
    /// The machine attested a failed vend.
    VendFailed,
    /// Nobody attested by the deadline.
    Timeout,
    /// A value this build does not know.
    Unknown(u8),
}

impl From<u8> for RefundReason {
    fn from(v: u8) -> Self {
        match v {
            1 => Self::VendFailed,
            2 => Self::Timeout,
            other => Self::Unknown(other),
        }
    }
}

/// Why a vending call failed.
#[derive(Debug, thiserror::Error)]
pub enum VendingError {
    /// The chain refused or could not be reached.
    #[error(transparent)]
    Chain(#[from] ChainError),
    /// An artifact could not be used.
    #[error(transparent)]
    Artifact(#[from] ArtifactError),
    /// Signing failed.
    #[error("signing {what}: {reason}")]
    Signing {
        /// What was being signed.
        what: &'static str,
        /// The signer's complaint.
        reason: String,
    },
    /// A transaction succeeded but lacked the event that reports its result.
    #[error("transaction {tx} emitted no {event} event")]
    MissingEvent {
        /// The event expected.
        event: &'static str,
        /// The transaction.
        tx: B256,
    },
}

/// Result alias for vending calls.
pub type Result<T, E = VendingError> = std::result::Result<T, E>;

/// The Storefront's EIP-712 domain on `chain_id` at `storefront`.
pub fn storefront_domain(chain_id: u64, storefront: Address) -> Eip712Domain {
    eip712_domain! {
        name: STOREFRONT_DOMAIN_NAME,
        version: STOREFRONT_DOMAIN_VERSION,
        chain_id: chain_id,
        verifying_contract: storefront,
    }
}

/// Signs `message` under `domain`: a 65-byte `r || s || v` signature as OpenZeppelin's `ECDSA.recover` takes it.
pub fn sign_typed<T: SolStruct, S: SignerSync>(signer: &S, domain: &Eip712Domain, message: &T) -> Result<Bytes> {
    let hash = message.eip712_signing_hash(domain);
    let signature =
        signer.sign_hash_sync(&hash).map_err(|e| VendingError::Signing { what: T::NAME, reason: e.to_string() })?;
    Ok(Bytes::from(signature.as_bytes().to_vec()))
}

/// The payment token's ERC-2612 domain: the token's name as deployed (`SuiteConfig::token_name`), version "1".
pub fn token_domain(token_name: &str, chain_id: u64, token: Address) -> Eip712Domain {
    eip712_domain! {
        name: token_name.to_owned(),
        version: "1",
        chain_id: chain_id,
        verifying_contract: token,
    }
}

/// Signs an ERC-2612 `permit` and splits the signature into the `v`, `r`, `s` that `permit` and
/// `Storefront.placeOrderWithPermit` take.
pub fn sign_permit<S: SignerSync>(
    owner: &S,
    token_domain: &Eip712Domain,
    permit: &Permit,
) -> Result<Storefront::Permit> {
    let signature = owner
        .sign_hash_sync(&permit.eip712_signing_hash(token_domain))
        .map_err(|e| VendingError::Signing { what: "Permit", reason: e.to_string() })?;
    Ok(Storefront::Permit {
        value: permit.value,
        deadline: permit.deadline,
        v: 27 + u8::from(signature.v()),
        r: signature.r().into(),
        s: signature.s().into(),
    })
}

/// Parameters of a suite deployment.
#[derive(Debug, Clone)]
pub struct SuiteConfig {
    /// Admin of every contract (and owner of the Storefront); holds the payment token's mint right.
    pub admin: Address,
    /// Receives protocol fees.
    pub fee_recipient: Address,
    /// Protocol fee in basis points.
    pub fee_bps: u16,
    /// Stake an operator needs, in payment-token base units.
    pub min_operator_stake: U256,
    /// Payment token name (also its permit domain name).
    pub token_name: String,
    /// Payment token symbol.
    pub token_symbol: String,
}

impl SuiteConfig {
    /// Defaults for `admin`: 1 % fee to the admin, 100 tokens operator stake, "automat USD" (aUSD).
    pub fn new(admin: Address) -> Self {
        Self {
            admin,
            fee_recipient: admin,
            fee_bps: 100,
            min_operator_stake: U256::from(100_000_000u64),
            token_name: "automat USD".into(),
            token_symbol: "aUSD".into(),
        }
    }
}

/// Addresses of the vending suite on one chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SuiteAddresses {
    /// Chain id.
    pub chain_id: u64,
    /// PaymentToken.
    pub token: Address,
    /// MachineRegistry.
    pub registry: Address,
    /// Storefront.
    pub storefront: Address,
    /// ReceiptNFT.
    pub receipts: Address,
}

impl SuiteAddresses {
    /// The Storefront's EIP-712 domain.
    pub fn domain(&self) -> Eip712Domain {
        storefront_domain(self.chain_id, self.storefront)
    }
}

pub(crate) async fn deploy_code<C: ChainClient>(
    client: &C,
    name: &'static str,
    bytecode: &Bytes,
    args: Vec<u8>,
) -> Result<Address> {
    Ok(crate::deploy_code(client, name, bytecode, args).await?)
}

/// Deploys PaymentToken, MachineRegistry, ReceiptNFT and Storefront with `client` (whose sender must be
/// `config.admin`) and wires their roles: the Storefront reserves stock and mints receipts.
pub async fn deploy_suite<C: ChainClient>(client: &C, config: &SuiteConfig) -> Result<SuiteAddresses> {
    register_all_errors(client)?;
    let token = deploy_code(
        client,
        "PaymentToken",
        &PaymentToken::BYTECODE,
        PaymentToken::constructorCall {
            name_: config.token_name.clone(),
            symbol_: config.token_symbol.clone(),
            admin: config.admin,
        }
        .abi_encode(),
    )
    .await?;
    let registry = deploy_code(
        client,
        "MachineRegistry",
        &MachineRegistry::BYTECODE,
        MachineRegistry::constructorCall {
            stakeToken_: token,
            minOperatorStake_: config.min_operator_stake,
            admin: config.admin,
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
    let storefront = deploy_code(
        client,
        "Storefront",
        &Storefront::BYTECODE,
        Storefront::constructorCall {
            token_: token,
            registry_: registry,
            receipts_: receipts,
            owner_: config.admin,
            feeRecipient_: config.fee_recipient,
            feeBps_: config.fee_bps,
        }
        .abi_encode(),
    )
    .await?;
    let storefront_role = client.call_sol(registry, &MachineRegistry::STOREFRONT_ROLECall {}).await?;
    client.send_sol(registry, &MachineRegistry::grantRoleCall { role: storefront_role, account: storefront }).await?;
    let minter_role = client.call_sol(receipts, &ReceiptNFT::MINTER_ROLECall {}).await?;
    client.send_sol(receipts, &ReceiptNFT::grantRoleCall { role: minter_role, account: storefront }).await?;
    Ok(SuiteAddresses { chain_id: client.chain_id(), token, registry, storefront, receipts })
}

/// A typed handle on one chain's vending suite, acting as `client`'s sender.
#[derive(Debug, Clone)]
pub struct Vending<C> {
    client: C,
    suite: SuiteAddresses,
}

/// A placed order, as its `OrderPlaced` event reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlacedOrder {
    /// The order id.
    pub order_id: U256,
    /// The transaction receipt.
    pub receipt: Receipt,
}

/// What settling an offline sale did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfflineSettlement {
    /// The order recording the sale.
    pub order_id: U256,
    /// What the buyer's allowance paid (below the price when it ran short).
    pub charged: u128,
    /// Whether the voucher had already paid for another sale.
    pub double_spend: bool,
    /// The transaction receipt.
    pub receipt: Receipt,
}

impl<C: ChainClient> Vending<C> {
    /// A handle on `suite` through `client`.
    pub fn new(client: C, suite: SuiteAddresses) -> Self {
        Self { client, suite }
    }

    /// The client.
    pub fn client(&self) -> &C {
        &self.client
    }

    /// The suite's addresses.
    pub fn suite(&self) -> &SuiteAddresses {
        &self.suite
    }

    /// The same suite through another client (another sender).
    pub fn with_client<D: ChainClient>(&self, client: D) -> Vending<D> {
        Vending { client, suite: self.suite }
    }

    /// Payment-token balance of `who`.
    pub async fn token_balance(&self, who: Address) -> Result<U256> {
        Ok(self.client.call_sol(self.suite.token, &PaymentToken::balanceOfCall { account: who }).await?)
    }

    /// Mints `amount` payment tokens to `to` (the sender must hold MINTER_ROLE).
    pub async fn mint(&self, to: Address, amount: U256) -> Result<Receipt> {
        Ok(self.client.send_sol(self.suite.token, &PaymentToken::mintCall { to, amount }).await?)
    }

    /// Approves `spender` for `amount` payment tokens.
    pub async fn approve(&self, spender: Address, amount: U256) -> Result<Receipt> {
        Ok(self.client.send_sol(self.suite.token, &PaymentToken::approveCall { spender, value: amount }).await?)
    }

    /// Registers the sender as an operator with `stake` (approving the registry first).
    pub async fn register_operator(&self, stake: U256) -> Result<Receipt> {
        self.approve(self.suite.registry, stake).await?;
        Ok(self.client.send_sol(self.suite.registry, &MachineRegistry::registerOperatorCall { stake }).await?)
    }

    /// Registers a machine of the sender's and returns its id.
    pub async fn register_machine(
        &self,
        signer: Address,
        geohash: &str,
        jurisdiction: &str,
        slots: Vec<Slot>,
        offline_credit_cap: u128,
    ) -> Result<u64> {
        let receipt = self
            .client
            .send_sol(
                self.suite.registry,
                &MachineRegistry::registerMachineCall {
                    signer,
                    geohash: fixed_ascii::<8>(geohash).into(),
                    jurisdiction: fixed_ascii::<2>(jurisdiction).into(),
                    slots,
                    offlineCreditCap: offline_credit_cap,
                },
            )
            .await?;
        receipt
            .events::<MachineRegistry::MachineRegistered>()
            .first()
            .map(|e| e.machineId)
            .ok_or(VendingError::MissingEvent { event: "MachineRegistered", tx: receipt.transaction_hash })
    }

    /// A machine's record.
    pub async fn machine(&self, machine_id: u64) -> Result<MachineRegistry::Machine> {
        Ok(self.client.call_sol(self.suite.registry, &MachineRegistry::machineCall { machineId: machine_id }).await?)
    }

    /// A slot's record.
    pub async fn slot(&self, machine_id: u64, slot: u16) -> Result<Slot> {
        Ok(self
            .client
            .call_sol(self.suite.registry, &MachineRegistry::slotOfCall { machineId: machine_id, slot })
            .await?)
    }

    /// Sets a slot's stock (the sender must operate the machine).
    pub async fn restock(&self, machine_id: u64, slot: u16, stock: u32) -> Result<Receipt> {
        Ok(self
            .client
            .send_sol(self.suite.registry, &MachineRegistry::restockCall { machineId: machine_id, slot, stock })
            .await?)
    }

    /// Places an order from a signed quote (approving the Storefront for the price first when
    /// `approve` is set) and returns its id.
    pub async fn place_order(
        &self,
        quote: &Quote,
        quote_signature: Bytes,
        max_price: u128,
        deadline: u64,
        approve: bool,
    ) -> Result<PlacedOrder> {
        if approve {
            self.approve(self.suite.storefront, U256::from(quote.price)).await?;
        }
        let receipt = self
            .client
            .send_sol(
                self.suite.storefront,
                &Storefront::placeOrderCall {
                    quote: quote.clone(),
                    quoteSignature: quote_signature,
                    maxPrice: max_price,
                    deadline,
                },
            )
            .await?;
        let order_id = receipt
            .events::<Storefront::OrderPlaced>()
            .first()
            .map(|e| e.orderId)
            .ok_or(VendingError::MissingEvent { event: "OrderPlaced", tx: receipt.transaction_hash })?;
        Ok(PlacedOrder { order_id, receipt })
    }

    /// Submits a machine's signed attestation.
    pub async fn attest(&self, attestation: &Attestation, signature: Bytes) -> Result<Receipt> {
        Ok(self
            .client
            .send_sol(self.suite.storefront, &Storefront::attestCall { attestation: attestation.clone(), signature })
            .await?)
    }

    /// Refunds an order whose deadline passed.
    pub async fn refund_expired(&self, order_id: U256) -> Result<Receipt> {
        Ok(self.client.send_sol(self.suite.storefront, &Storefront::refundExpiredCall { orderId: order_id }).await?)
    }

    /// Deposits `amount` into the sender's prepaid allowance (approving first).
    pub async fn deposit_prepaid(&self, amount: u128) -> Result<Receipt> {
        self.approve(self.suite.storefront, U256::from(amount)).await?;
        Ok(self.client.send_sol(self.suite.storefront, &Storefront::depositPrepaidCall { amount }).await?)
    }

    /// A buyer's prepaid allowance.
    pub async fn prepaid(&self, buyer: Address) -> Result<Storefront::Prepaid> {
        Ok(self.client.call_sol(self.suite.storefront, &Storefront::prepaidOfCall { buyer }).await?)
    }

    /// Settles an offline sale.
    pub async fn settle_offline_sale(
        &self,
        voucher: &Voucher,
        voucher_signature: Bytes,
        sale: &OfflineSale,
        sale_signature: Bytes,
    ) -> Result<OfflineSettlement> {
        let receipt = self
            .client
            .send_sol(
                self.suite.storefront,
                &Storefront::settleOfflineSaleCall {
                    voucher: voucher.clone(),
                    voucherSignature: voucher_signature,
                    sale: sale.clone(),
                    saleSignature: sale_signature,
                },
            )
            .await?;
        let settled = receipt
            .events::<Storefront::OfflineSaleSettled>()
            .into_iter()
            .next()
            .ok_or(VendingError::MissingEvent { event: "OfflineSaleSettled", tx: receipt.transaction_hash })?;
        let double_spend = !receipt.events::<Storefront::VoucherDoubleSpent>().is_empty();
        Ok(OfflineSettlement { order_id: settled.orderId, charged: settled.charged, double_spend, receipt })
    }

    /// An order's record.
    pub async fn order(&self, order_id: U256) -> Result<Order> {
        Ok(self.client.call_sol(self.suite.storefront, &Storefront::orderOfCall { orderId: order_id }).await?)
    }

    /// An order's status.
    pub async fn order_status(&self, order_id: U256) -> Result<OrderStatus> {
        Ok(OrderStatus::from(self.order(order_id).await?.status))
    }

    /// Number of orders ever created.
    pub async fn order_count(&self) -> Result<U256> {
        Ok(self.client.call_sol(self.suite.storefront, &Storefront::orderCountCall {}).await?)
    }

    /// Sum of the prices of all open orders.
    pub async fn escrow_balance(&self) -> Result<U256> {
        Ok(self.client.call_sol(self.suite.storefront, &Storefront::escrowBalanceCall {}).await?)
    }

    /// Sum of all prepaid allowances.
    pub async fn total_prepaid(&self) -> Result<U256> {
        Ok(self.client.call_sol(self.suite.storefront, &Storefront::totalPrepaidCall {}).await?)
    }

    /// Number of receipts ever minted.
    pub async fn receipts_minted(&self) -> Result<U256> {
        Ok(self.client.call_sol(self.suite.receipts, &ReceiptNFT::totalMintedCall {}).await?)
    }

    /// Owner of the receipt of order `order_id` (receipts carry their order's id).
    pub async fn receipt_owner(&self, order_id: U256) -> Result<Address> {
        Ok(self.client.call_sol(self.suite.receipts, &ReceiptNFT::ownerOfCall { tokenId: order_id }).await?)
    }

    /// `tokenURI` of receipt `token_id`.
    pub async fn token_uri(&self, token_id: U256) -> Result<String> {
        Ok(self.client.call_sol(self.suite.receipts, &ReceiptNFT::tokenURICall { tokenId: token_id }).await?)
    }
}

/// `text` as a left-aligned, zero-padded fixed-size ASCII field (longer text is cut).
pub fn fixed_ascii<const N: usize>(text: &str) -> [u8; N] {
    let mut out = [0u8; N];
    for (slot, byte) in out.iter_mut().zip(text.bytes()) {
        *slot = byte;
    }
    out
}

/// The text of a fixed-size ASCII field, without its zero padding.
pub fn ascii_field(bytes: &[u8]) -> String {
    let end = bytes.iter().position(|b| *b == 0).unwrap_or(bytes.len());
    String::from_utf8_lossy(&bytes[..end]).into_owned()
}
