//! The fixture every test starts from, and the assertions they share.
//!
//! [`Fixture::new`] starts a one-chain devnet, deploys the suite with `deploy_suite` (admin = account 0, fees to
//! [`FEE_RECIPIENT`]), funds the operator (account 1), the buyer (account 2) and a stranger (account 3) with
//! [`FUNDS`] each, registers the operator with [`OPERATOR_STAKE`] and its machine with the two slots of
//! [`machine_slots`]. The machine signs with [`Fixture::machine_key`], a key that never sends transactions.

use std::{fmt, sync::Arc};

use alloy_primitives::{Address, B256, Bytes, Signature, U256, keccak256};
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::{Eip712Domain, SolError, SolEvent, SolEventInterface, SolStruct};
use automat_chain::{ChainClient, ChainClientExt, ChainError, DevnetControl, Receipt};
pub(crate) use automat_contracts::vending::Permit;
use automat_contracts::vending::{
    Attestation, MachineRegistry, OfflineSale, Order, Outcome, PaymentToken, Quote, ReceiptNFT, Slot, Storefront,
    SuiteAddresses, SuiteConfig, Vending, VendingError, Voucher, deploy_suite, fixed_ascii, sign_permit, sign_typed,
    token_domain,
};
use automat_devnet::{Devnet, DevnetConfig, EmbeddedClient};
use sha2::{Digest, Sha256};

/// One payment-token unit (6 decimals).
pub(crate) const USD: u128 = 1_000_000;
/// What the operator stakes (the minimum is 100 USD).
pub(crate) const OPERATOR_STAKE: u128 = 200 * USD;
/// Minimum operator stake of the default suite.
pub(crate) const MIN_STAKE: u128 = 100 * USD;
/// Offline credit cap of the fixture's machine.
pub(crate) const OFFLINE_CAP: u128 = 50 * USD;
/// Payment tokens each funded account starts with.
pub(crate) const FUNDS: u128 = 1_000 * USD;
/// Protocol fee of the default suite (1 %).
pub(crate) const FEE_BPS: u16 = 100;
/// Receives the protocol fees (an address that never sends, so its balance is only fees).
pub(crate) const FEE_RECIPIENT: Address = Address::repeat_byte(0xfe);
/// Deadline the fixture gives orders, after the block that places them.
pub(crate) const ORDER_WINDOW: u64 = 600;
/// Geohash of the fixture's machine.
pub(crate) const GEOHASH: &str = "u33dc0cp";
/// Jurisdiction of the fixture's machine.
pub(crate) const JURISDICTION: &str = "DE";

/// `Storefront.Status` values.
pub(crate) mod status {
    pub(crate) const OPEN: u8 = 1;
    pub(crate) const DISPENSED: u8 = 2;
    pub(crate) const REFUNDED: u8 = 3;
}

/// `Storefront.RefundReason` values.
pub(crate) mod reason {
    pub(crate) const VEND_FAILED: u8 = 1;
    pub(crate) const TIMEOUT: u8 = 2;
}

/// The fixture machine's slots: slot 0 holds 5 of item 101 at 1–3 USD, slot 1 holds 2 of item 202 at 0.5–2 USD.
pub(crate) fn machine_slots() -> Vec<Slot> {
    vec![
        Slot { itemId: 101, stock: 5, minPrice: USD, maxPrice: 3 * USD },
        Slot { itemId: 202, stock: 2, minPrice: USD / 2, maxPrice: 2 * USD },
    ]
}

/// A deterministic key that only signs (never funded, never sends).
pub(crate) fn key(label: &str) -> PrivateKeySigner {
    PrivateKeySigner::from_bytes(&keccak256(label.as_bytes())).expect("keccak output is a valid key")
}

/// sha2-256 of the receipt metadata document of `order`.
pub(crate) fn metadata_digest(order: U256) -> B256 {
    B256::from_slice(&Sha256::digest(format!(r#"{{"order":"{order}","item":"automat"}}"#)))
}

/// The address that `signature` recovers to for `digest` (what the contracts' `ECDSA.recover` sees).
pub(crate) fn recover(signature: &Bytes, digest: B256) -> Address {
    Signature::from_raw(signature)
        .expect("65-byte signature")
        .recover_address_from_prehash(&digest)
        .expect("recoverable signature")
}

/// `AccessControl`'s admin role.
pub(crate) const DEFAULT_ADMIN_ROLE: B256 = B256::ZERO;

/// keccak256 of a role name, as the contracts define their roles.
pub(crate) fn role(name: &str) -> B256 {
    keccak256(name.as_bytes())
}

/// An ERC-2612 signature split the way `permit` takes it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PermitSignature {
    pub(crate) v: u8,
    pub(crate) r: B256,
    pub(crate) s: B256,
}

/// A placed order as the fixture placed it.
#[derive(Debug, Clone)]
pub(crate) struct Placed {
    pub(crate) id: U256,
    pub(crate) price: u128,
    pub(crate) deadline: u64,
}

/// Payment-token balances of everyone a settlement touches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Balances {
    pub(crate) buyer: U256,
    pub(crate) operator: U256,
    pub(crate) fees: U256,
    pub(crate) storefront: U256,
}

/// The suite on one chain with an operator, its machine and a funded buyer.
pub(crate) struct Fixture {
    pub(crate) devnet: Arc<Devnet>,
    pub(crate) suite: SuiteAddresses,
    /// Account 0: deployer, admin of every contract, owner of the Storefront, minter of the token.
    pub(crate) admin: EmbeddedClient,
    /// Account 1: the registered operator of [`Fixture::machine`].
    pub(crate) operator: EmbeddedClient,
    /// Account 2: the buyer.
    pub(crate) buyer: EmbeddedClient,
    /// Account 3: funded, registered nowhere; submits attestations and refunds ("anyone").
    pub(crate) stranger: EmbeddedClient,
    /// The buyer's key (signs vouchers and permits).
    pub(crate) buyer_key: PrivateKeySigner,
    /// The machine's signing key.
    pub(crate) machine_key: PrivateKeySigner,
    /// The machine's id (1).
    pub(crate) machine: u64,
}

impl Fixture {
    /// The fixture on a fresh one-chain devnet.
    pub(crate) async fn new() -> Self {
        let devnet = Devnet::start(DevnetConfig::with_chains(1)).expect("devnet starts");
        let chain_id = devnet.chain_ids()[0];
        Self::on(Arc::new(devnet), chain_id).await
    }

    /// The fixture on chain `chain_id` of `devnet`.
    pub(crate) async fn on(devnet: Arc<Devnet>, chain_id: u64) -> Self {
        let client = |index: usize| devnet.dev_client(chain_id, index).expect("prefunded account");
        let (admin, operator, buyer, stranger) = (client(0), client(1), client(2), client(3));
        let config = SuiteConfig { fee_recipient: FEE_RECIPIENT, ..SuiteConfig::new(admin.sender()) };
        let suite = deploy_suite(&admin, &config).await.expect("suite deploys");
        let buyer_key = devnet.signers()[2].clone();
        let machine_key = key("automat machine 1");
        let mut fixture = Self {
            devnet: Arc::clone(&devnet),
            suite,
            admin,
            operator,
            buyer,
            stranger,
            buyer_key,
            machine_key,
            machine: 0,
        };
        for who in [fixture.operator.sender(), fixture.buyer.sender(), fixture.stranger.sender()] {
            fixture.mint(who, FUNDS).await;
        }
        let operator = fixture.operator.clone();
        fixture.register_operator(&operator, OPERATOR_STAKE).await;
        fixture.machine = fixture.add_machine(&operator, fixture.machine_key.address(), machine_slots()).await;
        assert_eq!(fixture.machine, 1);
        fixture
    }

    /// A client of this chain signing with prefunded account `index`.
    pub(crate) fn client(&self, index: usize) -> EmbeddedClient {
        self.devnet.dev_client(self.suite.chain_id, index).expect("prefunded account")
    }

    /// The typed handle, acting as `client`.
    pub(crate) fn vending(&self, client: &EmbeddedClient) -> Vending<EmbeddedClient> {
        Vending::new(client.clone(), self.suite)
    }

    /// The Storefront's EIP-712 domain.
    pub(crate) fn domain(&self) -> Eip712Domain {
        self.suite.domain()
    }

    // ------------------------------------------------------------------ chain

    /// Timestamp of the latest block (a transaction sent now runs at this + 1).
    pub(crate) async fn now(&self) -> u64 {
        self.admin.block_timestamp().await.expect("timestamp")
    }

    /// Moves time forward by `secs` and mines a block there.
    pub(crate) async fn advance(&self, secs: u64) {
        self.admin.increase_time(secs).await.expect("increase time");
        self.admin.mine(1).await.expect("mine");
    }

    /// Mines a block at exactly `timestamp` (later than the latest block).
    pub(crate) async fn mine_at(&self, timestamp: u64) {
        self.admin.set_next_block_timestamp(timestamp).await.expect("set timestamp");
        self.admin.mine(1).await.expect("mine");
    }

    /// Makes the next transaction run at exactly `timestamp`.
    pub(crate) async fn next_tx_at(&self, timestamp: u64) {
        self.admin.set_next_block_timestamp(timestamp).await.expect("set timestamp");
    }

    // ------------------------------------------------------------------ token

    /// Mints `amount` payment tokens to `to`.
    pub(crate) async fn mint(&self, to: Address, amount: u128) {
        self.admin
            .send_sol(self.suite.token, &PaymentToken::mintCall { to, amount: U256::from(amount) })
            .await
            .expect("admin mints");
    }

    /// `client` approves `spender` for `amount`.
    pub(crate) async fn approve(&self, client: &EmbeddedClient, spender: Address, amount: u128) {
        client
            .send_sol(self.suite.token, &PaymentToken::approveCall { spender, value: U256::from(amount) })
            .await
            .expect("approve");
    }

    /// Payment-token balance of `who`.
    pub(crate) async fn balance(&self, who: Address) -> U256 {
        self.admin.call_sol(self.suite.token, &PaymentToken::balanceOfCall { account: who }).await.expect("balanceOf")
    }

    /// Balances of the buyer, the operator, the fee recipient and the Storefront.
    pub(crate) async fn balances(&self) -> Balances {
        Balances {
            buyer: self.balance(self.buyer.sender()).await,
            operator: self.balance(self.operator.sender()).await,
            fees: self.balance(FEE_RECIPIENT).await,
            storefront: self.balance(self.suite.storefront).await,
        }
    }

    // ------------------------------------------------------------------ registry

    /// Funds `client` with `stake` (minting it) and registers it as an operator.
    pub(crate) async fn register_operator(&self, client: &EmbeddedClient, stake: u128) {
        if self.balance(client.sender()).await < U256::from(stake) {
            self.mint(client.sender(), stake).await;
        }
        self.vending(client).register_operator(U256::from(stake)).await.expect("operator registers");
    }

    /// Registers a machine of `operator` signing with `signer`; returns its id.
    pub(crate) async fn add_machine(&self, operator: &EmbeddedClient, signer: Address, slots: Vec<Slot>) -> u64 {
        self.vending(operator)
            .register_machine(signer, GEOHASH, JURISDICTION, slots, OFFLINE_CAP)
            .await
            .expect("machine registers")
    }

    /// A second operator (account 4) with its own machine and key; returns (operator, key, machine id).
    pub(crate) async fn second_machine(&self) -> (EmbeddedClient, PrivateKeySigner, u64) {
        let operator = self.client(4);
        self.register_operator(&operator, OPERATOR_STAKE).await;
        let machine_key = key("automat machine 2");
        let machine = self.add_machine(&operator, machine_key.address(), machine_slots()).await;
        (operator, machine_key, machine)
    }

    /// The registry's stock of `slot` of `machine`.
    pub(crate) async fn stock(&self, machine: u64, slot: u16) -> u32 {
        self.vending(&self.admin).slot(machine, slot).await.expect("slotOf").stock
    }

    /// `registerMachine` arguments with the fixture's location.
    pub(crate) fn register_machine_call(
        &self,
        signer: Address,
        slots: Vec<Slot>,
        cap: u128,
    ) -> MachineRegistry::registerMachineCall {
        MachineRegistry::registerMachineCall {
            signer,
            geohash: fixed_ascii::<8>(GEOHASH).into(),
            jurisdiction: fixed_ascii::<2>(JURISDICTION).into(),
            slots,
            offlineCreditCap: cap,
        }
    }

    /// The admin grants `role` of `contract` (registry or receipts: both AccessControl) to `account`.
    pub(crate) async fn grant(&self, contract: Address, role: B256, account: Address) -> Receipt {
        self.admin
            .send_sol(contract, &MachineRegistry::grantRoleCall { role, account })
            .await
            .expect("admin grants role")
    }

    // ------------------------------------------------------------------ signing

    /// `message` signed by `signer` under the Storefront's domain.
    pub(crate) fn sign<T: SolStruct>(&self, signer: &PrivateKeySigner, message: &T) -> Bytes {
        sign_typed(signer, &self.domain(), message).expect("signs")
    }

    /// A quote of the fixture's machine for `slot` at `price`, valid for five minutes, signed by the machine.
    pub(crate) async fn quote(&self, slot: u16, price: u128, nonce: u64) -> (Quote, Bytes) {
        let expiry = self.now().await + 300;
        self.quote_for(self.machine, slot, price, nonce, expiry)
    }

    /// A quote with every field given, signed by the machine key.
    pub(crate) fn quote_for(&self, machine: u64, slot: u16, price: u128, nonce: u64, expiry: u64) -> (Quote, Bytes) {
        let quote = Quote { machineId: machine, slot, price, expiry, nonce };
        let signature = self.sign(&self.machine_key, &quote);
        (quote, signature)
    }

    /// The machine's attestation of `outcome` for `order`, naming [`metadata_digest`] of the order.
    pub(crate) fn attestation(&self, order: U256, outcome: Outcome) -> (Attestation, Bytes) {
        let attestation =
            Attestation { orderId: order, outcome: outcome as u8, metadataDigest: metadata_digest(order) };
        let signature = self.sign(&self.machine_key, &attestation);
        (attestation, signature)
    }

    /// A voucher of the buyer's, signed by the buyer.
    pub(crate) fn voucher(&self, max_amount: u128, nonce: u64, expiry: u64) -> (Voucher, Bytes) {
        let voucher = Voucher { buyer: self.buyer.sender(), maxAmount: max_amount, nonce, expiry };
        let signature = self.sign(&self.buyer_key, &voucher);
        (voucher, signature)
    }

    /// The voucher's EIP-712 digest: its identity in an offline sale.
    pub(crate) fn voucher_hash(&self, voucher: &Voucher) -> B256 {
        voucher.eip712_signing_hash(&self.domain())
    }

    /// A machine's record of an offline sale against `voucher`, signed by `key`.
    pub(crate) fn sale_by(
        &self,
        key: &PrivateKeySigner,
        voucher: &Voucher,
        machine: u64,
        slot: u16,
        price: u128,
        sold_at: u64,
    ) -> (OfflineSale, Bytes) {
        let sale = OfflineSale {
            voucherHash: self.voucher_hash(voucher),
            machineId: machine,
            slot,
            price,
            soldAt: sold_at,
            metadataDigest: keccak256(format!("offline sale {machine}/{slot} at {sold_at}")),
        };
        let signature = self.sign(key, &sale);
        (sale, signature)
    }

    /// [`Fixture::sale_by`] the fixture's machine.
    pub(crate) fn sale(&self, voucher: &Voucher, slot: u16, price: u128, sold_at: u64) -> (OfflineSale, Bytes) {
        self.sale_by(&self.machine_key, voucher, self.machine, slot, price, sold_at)
    }

    /// The payment token's EIP-712 domain (its name, version "1").
    pub(crate) fn token_domain(&self) -> Eip712Domain {
        token_domain("automat USD", self.suite.chain_id, self.suite.token)
    }

    /// `owner_key`'s ERC-2612 permit for `spender` to take `value`.
    pub(crate) fn sign_permit(&self, owner_key: &PrivateKeySigner, permit: &Permit) -> PermitSignature {
        let signed = sign_permit(owner_key, &self.token_domain(), permit).expect("signs permit");
        PermitSignature { v: signed.v, r: signed.r, s: signed.s }
    }

    // ------------------------------------------------------------------ storefront

    /// The buyer places an order from `quote` (no approval here).
    pub(crate) async fn place_order(
        &self,
        quote: &Quote,
        signature: &Bytes,
        max_price: u128,
        deadline: u64,
    ) -> Result<Receipt, ChainError> {
        self.buyer
            .send_sol(
                self.suite.storefront,
                &Storefront::placeOrderCall {
                    quote: quote.clone(),
                    quoteSignature: signature.clone(),
                    maxPrice: max_price,
                    deadline,
                },
            )
            .await
    }

    /// The buyer approves and places an order for `slot` at `price` with quote nonce `nonce`, due
    /// [`ORDER_WINDOW`] seconds after it is placed.
    pub(crate) async fn place(&self, slot: u16, price: u128, nonce: u64) -> Placed {
        self.approve(&self.buyer, self.suite.storefront, price).await;
        let (quote, signature) = self.quote(slot, price, nonce).await;
        let deadline = self.now().await + 1 + ORDER_WINDOW;
        let receipt = self.place_order(&quote, &signature, price, deadline).await.expect("order placed");
        let placed = receipt.events::<Storefront::OrderPlaced>();
        assert_eq!(placed.len(), 1, "one OrderPlaced");
        Placed { id: placed[0].orderId, price, deadline }
    }

    /// `client` submits an attestation.
    pub(crate) async fn attest(
        &self,
        client: &EmbeddedClient,
        attestation: &Attestation,
        signature: &Bytes,
    ) -> Result<Receipt, ChainError> {
        client
            .send_sol(
                self.suite.storefront,
                &Storefront::attestCall { attestation: attestation.clone(), signature: signature.clone() },
            )
            .await
    }

    /// The stranger asks for the refund of an expired order.
    pub(crate) async fn refund(&self, order: U256) -> Result<Receipt, ChainError> {
        self.stranger.send_sol(self.suite.storefront, &Storefront::refundExpiredCall { orderId: order }).await
    }

    /// The buyer approves and deposits `amount` into its prepaid allowance.
    pub(crate) async fn deposit(&self, amount: u128) -> Receipt {
        self.approve(&self.buyer, self.suite.storefront, amount).await;
        self.buyer.send_sol(self.suite.storefront, &Storefront::depositPrepaidCall { amount }).await.expect("deposit")
    }

    /// `client` settles an offline sale.
    pub(crate) async fn settle(
        &self,
        client: &EmbeddedClient,
        voucher: &Voucher,
        voucher_signature: &Bytes,
        sale: &OfflineSale,
        sale_signature: &Bytes,
    ) -> Result<Receipt, ChainError> {
        client.send_sol(self.suite.storefront, &settle_call(voucher, voucher_signature, sale, sale_signature)).await
    }

    /// An order's record.
    pub(crate) async fn order(&self, order: U256) -> Order {
        self.admin.call_sol(self.suite.storefront, &Storefront::orderOfCall { orderId: order }).await.expect("orderOf")
    }

    /// `Storefront.escrowBalance`.
    pub(crate) async fn escrow(&self) -> U256 {
        self.admin.call_sol(self.suite.storefront, &Storefront::escrowBalanceCall {}).await.expect("escrowBalance")
    }

    /// `Storefront.totalPrepaid`.
    pub(crate) async fn total_prepaid(&self) -> U256 {
        self.admin.call_sol(self.suite.storefront, &Storefront::totalPrepaidCall {}).await.expect("totalPrepaid")
    }

    /// The buyer's prepaid allowance.
    pub(crate) async fn prepaid(&self) -> Storefront::Prepaid {
        self.admin
            .call_sol(self.suite.storefront, &Storefront::prepaidOfCall { buyer: self.buyer.sender() })
            .await
            .expect("prepaidOf")
    }

    /// `ReceiptNFT.totalMinted`.
    pub(crate) async fn minted(&self) -> U256 {
        self.admin.call_sol(self.suite.receipts, &ReceiptNFT::totalMintedCall {}).await.expect("totalMinted")
    }

    /// Owner of receipt `token`.
    pub(crate) async fn receipt_owner(&self, token: U256) -> Address {
        self.admin.call_sol(self.suite.receipts, &ReceiptNFT::ownerOfCall { tokenId: token }).await.expect("ownerOf")
    }

    /// Fee the Storefront takes from `amount` at the default rate.
    pub(crate) fn fee(amount: u128) -> u128 {
        amount * u128::from(FEE_BPS) / 10_000
    }
}

/// `settleOfflineSale` call data.
pub(crate) fn settle_call(
    voucher: &Voucher,
    voucher_signature: &Bytes,
    sale: &OfflineSale,
    sale_signature: &Bytes,
) -> Storefront::settleOfflineSaleCall {
    Storefront::settleOfflineSaleCall {
        voucher: voucher.clone(),
        voucherSignature: voucher_signature.clone(),
        sale: sale.clone(),
        saleSignature: sale_signature.clone(),
    }
}

// ---------------------------------------------------------------------- assertions

/// Errors that carry a chain error (what `send_sol` and the `Vending` handle return).
pub(crate) trait AsChainError: fmt::Display {
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
pub(crate) fn assert_revert<E, T, X>(result: Result<T, X>, expected: E)
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
pub(crate) fn events_from<E: SolEvent>(receipt: &Receipt, emitter: Address) -> Vec<E> {
    receipt
        .logs
        .iter()
        .filter(|log| log.inner.address == emitter)
        .filter_map(|log| E::decode_log(&log.inner).ok().map(|decoded| decoded.data))
        .collect()
}

/// Every event `emitter` logged in `receipt`, in order, decoded as one of the contract's events `E` (for
/// asserting the exact sequence and that nothing else was emitted).
pub(crate) fn all_events<E: SolEventInterface>(receipt: &Receipt, emitter: Address) -> Vec<E> {
    receipt
        .logs
        .iter()
        .filter(|log| log.inner.address == emitter)
        .map(|log| E::decode_log(&log.inner).expect("an event of the emitter's ABI").data)
        .collect()
}

/// Number of logs `emitter` logged in `receipt`.
pub(crate) fn event_count(receipt: &Receipt, emitter: Address) -> usize {
    receipt.logs.iter().filter(|log| log.inner.address == emitter).count()
}
