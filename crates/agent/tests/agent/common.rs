//! The fixture every test starts from, and the chain-side assertions they share.
//!
//! [`World::new`] starts a one-chain embedded devnet and deploys the vending suite with dev account 0 (admin,
//! minter; fees go to [`FEE_RECIPIENT`], an address that never sends). Dev account 1 is the operator: it
//! registers with [`STAKE`] and registers machine 1, whose key is a fresh random key that never sends. Dev
//! accounts 2..=5 are the buyers, each funded with [`FUNDS`]. Agents submit their transactions from dev
//! account 9 (machine 1) or 8 (a second machine). Each [`Machine`] has its own agent data directory and a
//! [`SimulatedMachine`] whose audit journal lives in a separate directory: the physical machine, which
//! survives every agent restart.

use std::{collections::VecDeque, time::Duration};

use alloy_primitives::{Address, Bytes, U256};
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::SolEvent;
use automat_agent::{Agent, AgentConfig, Behaviour, SignedQuote, SimulatedMachine, sign_voucher};
use automat_chain::{
    ChainClient, ChainClientExt, DevnetControl, LinkSwitch, Partitionable, alloy::Filter, decode_events,
};
use automat_contracts::vending::{
    OrderStatus, Slot, Storefront, SuiteAddresses, SuiteConfig, Vending, Voucher, deploy_suite,
};
use automat_devnet::{Devnet, DevnetConfig, EmbeddedClient};
use tempfile::TempDir;

/// One payment-token unit (6 decimals).
pub(crate) const USD: u128 = 1_000_000;
/// Lowest price of every slot.
pub(crate) const MIN_PRICE: u128 = USD;
/// Highest price of every slot.
pub(crate) const MAX_PRICE: u128 = 3 * USD;
/// A price inside the band.
pub(crate) const PRICE: u128 = 2 * USD;
/// Offline credit cap of every machine.
pub(crate) const OFFLINE_CAP: u128 = 10 * USD;
/// What the operator stakes.
pub(crate) const STAKE: u128 = 200 * USD;
/// Payment tokens the operator and each buyer start with.
pub(crate) const FUNDS: u128 = 1_000 * USD;
/// Protocol fee of the default suite (1 %).
pub(crate) const FEE_BPS: u16 = 100;
/// Receives the protocol fees.
pub(crate) const FEE_RECIPIENT: Address = Address::repeat_byte(0xfe);
/// Deadline given to orders, in seconds from now.
pub(crate) const ORDER_WINDOW: u64 = 600;
/// Units per slot, on chain and in the simulated machine.
pub(crate) const STOCK: u32 = 20;
/// Items of slot 0 and slot 1.
pub(crate) const ITEMS: [u64; 2] = [101, 202];
/// Dev account that submits machine 1's transactions.
pub(crate) const AGENT_ACCOUNT: usize = 9;

/// An agent on the devnet directly.
pub(crate) type OnlineAgent = Agent<EmbeddedClient, SimulatedMachine>;
/// An agent behind a link that can be cut.
pub(crate) type LinkedAgent = Agent<Partitionable<EmbeddedClient>, SimulatedMachine>;

/// Fee the Storefront takes from `amount`.
pub(crate) fn fee(amount: u128) -> u128 {
    amount * u128::from(FEE_BPS) / 10_000
}

/// A buyer: its key (signs vouchers) and the suite acting as it.
pub(crate) struct Buyer {
    pub(crate) key: PrivateKeySigner,
    pub(crate) vending: Vending<EmbeddedClient>,
}

impl Buyer {
    pub(crate) fn address(&self) -> Address {
        self.key.address()
    }

    /// Approves and places an order from `quote`, due `window` seconds from now; returns its id.
    pub(crate) async fn order(&self, quote: &SignedQuote, window: u64) -> U256 {
        let deadline = self.vending.client().block_timestamp().await.expect("timestamp") + window;
        self.vending
            .place_order(&quote.quote, quote.signature.clone(), quote.quote.price, deadline, true)
            .await
            .expect("order placed")
            .order_id
    }

    /// Deposits `amount` into the prepaid allowance.
    pub(crate) async fn deposit(&self, amount: u128) {
        self.vending.deposit_prepaid(amount).await.expect("prepaid deposit");
    }

    /// A voucher of this buyer's, signed by it.
    pub(crate) fn voucher(
        &self,
        suite: &SuiteAddresses,
        max_amount: u128,
        nonce: u64,
        expiry: u64,
    ) -> (Voucher, Bytes) {
        let voucher = Voucher { buyer: self.address(), maxAmount: max_amount, nonce, expiry };
        let signature = sign_voucher(&self.key, suite, &voucher).expect("buyer signs voucher");
        (voucher, signature)
    }
}

/// A registered machine: its key, the simulated hardware, the agent's data directory.
pub(crate) struct Machine {
    pub(crate) id: u64,
    pub(crate) key: PrivateKeySigner,
    /// The hardware (clones share it; it outlives every agent).
    pub(crate) sim: SimulatedMachine,
    /// The agent's outbox and blobs.
    pub(crate) data: TempDir,
    /// Dev account the agent sends from.
    pub(crate) account: usize,
    _journal: TempDir,
}

impl Machine {
    /// How many vend sessions the machine ran for order `id`.
    pub(crate) fn order_sessions(&self, id: U256) -> usize {
        self.sim.sessions(&format!("order:{id}"))
    }
}

/// The suite on one chain, an operator with machine 1, four funded buyers.
pub(crate) struct World {
    pub(crate) devnet: Devnet,
    pub(crate) suite: SuiteAddresses,
    /// Account 0.
    pub(crate) admin: Vending<EmbeddedClient>,
    /// Account 1.
    pub(crate) operator: Vending<EmbeddedClient>,
    /// Accounts 2..=5.
    pub(crate) buyers: Vec<Buyer>,
    /// Machine 1.
    pub(crate) machine: Machine,
}

impl World {
    pub(crate) async fn new() -> Self {
        let devnet = Devnet::start(DevnetConfig::with_chains(1)).expect("devnet starts");
        let chain_id = devnet.chain_ids()[0];
        let client = |index: usize| devnet.dev_client(chain_id, index).expect("prefunded account");
        let admin_client = client(0);
        let config = SuiteConfig { fee_recipient: FEE_RECIPIENT, ..SuiteConfig::new(admin_client.sender()) };
        let suite = deploy_suite(&admin_client, &config).await.expect("suite deploys");
        let admin = Vending::new(admin_client, suite);
        let operator = Vending::new(client(1), suite);
        let buyers: Vec<Buyer> = (2..=5)
            .map(|index| Buyer { key: devnet.signers()[index].clone(), vending: Vending::new(client(index), suite) })
            .collect();
        admin.mint(operator.client().sender(), U256::from(FUNDS + STAKE)).await.expect("mint to operator");
        for buyer in &buyers {
            admin.mint(buyer.address(), U256::from(FUNDS)).await.expect("mint to buyer");
        }
        operator.register_operator(U256::from(STAKE)).await.expect("operator registers");
        let machine = Self::register(&operator, AGENT_ACCOUNT).await;
        assert_eq!(machine.id, 1);
        Self { devnet, suite, admin, operator, buyers, machine }
    }

    async fn register(operator: &Vending<EmbeddedClient>, account: usize) -> Machine {
        let key = PrivateKeySigner::random();
        let slots = ITEMS
            .iter()
            .map(|&item| Slot { itemId: item, stock: STOCK, minPrice: MIN_PRICE, maxPrice: MAX_PRICE })
            .collect();
        let id = operator
            .register_machine(key.address(), "u33dc0cp", "DE", slots, OFFLINE_CAP)
            .await
            .expect("machine registers");
        let journal = TempDir::new().expect("journal dir");
        let sim = SimulatedMachine::new([(0, STOCK), (1, STOCK)], Behaviour::Scripted(VecDeque::new()))
            .with_journal(journal.path().join("audit.jsonl"))
            .expect("journal opens");
        Machine { id, key, sim, data: TempDir::new().expect("data dir"), account, _journal: journal }
    }

    /// Registers another machine of the operator's; its agent sends from dev account `account`.
    pub(crate) async fn add_machine(&self, account: usize) -> Machine {
        Self::register(&self.operator, account).await
    }

    pub(crate) fn client(&self, index: usize) -> EmbeddedClient {
        self.devnet.dev_client(self.suite.chain_id, index).expect("prefunded account")
    }

    /// The default configuration of `machine`'s agent.
    pub(crate) fn config(&self, machine: &Machine) -> AgentConfig {
        AgentConfig::new(machine.id, self.suite, machine.data.path())
    }

    /// Opens an agent for `machine` on `client` with `config`.
    pub(crate) fn open_with<C: ChainClient>(
        &self,
        client: C,
        machine: &Machine,
        config: AgentConfig,
    ) -> Agent<C, SimulatedMachine> {
        Agent::open(client, machine.sim.clone(), machine.key.clone(), config).expect("agent opens")
    }

    /// Opens (or reopens) `machine`'s agent, directly on the chain.
    pub(crate) fn agent(&self, machine: &Machine) -> OnlineAgent {
        self.open_with(self.client(machine.account), machine, self.config(machine))
    }

    /// Opens (or reopens) `machine`'s agent behind `switch`.
    pub(crate) fn linked_agent(&self, machine: &Machine, switch: &LinkSwitch) -> LinkedAgent {
        let client = Partitionable::new(self.client(machine.account), switch.clone());
        self.open_with(client, machine, self.config(machine))
    }

    // ------------------------------------------------------------------ chain

    /// Timestamp of the latest block.
    pub(crate) async fn now(&self) -> u64 {
        self.admin.client().block_timestamp().await.expect("timestamp")
    }

    /// Moves chain time forward by `secs` and mines a block there.
    pub(crate) async fn advance(&self, secs: u64) {
        self.admin.client().increase_time(secs).await.expect("increase time");
        self.admin.client().mine(1).await.expect("mine");
    }

    pub(crate) async fn balance(&self, who: Address) -> u128 {
        let balance = self.admin.token_balance(who).await.expect("balanceOf");
        u128::try_from(balance).expect("balance fits u128")
    }

    pub(crate) fn operator_address(&self) -> Address {
        self.operator.client().sender()
    }

    pub(crate) async fn order(&self, id: U256) -> Storefront::Order {
        self.admin.order(id).await.expect("orderOf")
    }

    pub(crate) async fn status(&self, id: U256) -> OrderStatus {
        self.admin.order_status(id).await.expect("order status")
    }

    pub(crate) async fn minted(&self) -> u64 {
        u64::try_from(self.admin.receipts_minted().await.expect("totalMinted")).expect("fits u64")
    }

    pub(crate) async fn order_count(&self) -> u64 {
        u64::try_from(self.admin.order_count().await.expect("orderCount")).expect("fits u64")
    }

    pub(crate) async fn stock(&self, machine: u64, slot: u16) -> u32 {
        self.admin.slot(machine, slot).await.expect("slotOf").stock
    }

    /// What is left of `buyer`'s prepaid allowance.
    pub(crate) async fn prepaid(&self, buyer: Address) -> u128 {
        self.admin.prepaid(buyer).await.expect("prepaidOf").balance
    }

    pub(crate) async fn receipt_owner(&self, id: U256) -> Address {
        self.admin
            .client()
            .call_sol(self.suite.receipts, &automat_contracts::vending::ReceiptNFT::ownerOfCall { tokenId: id })
            .await
            .expect("ownerOf")
    }

    /// The order a voucher (buyer, nonce) paid for, or zero.
    pub(crate) async fn voucher_spent_by(&self, buyer: Address, nonce: u64) -> U256 {
        self.admin
            .client()
            .call_sol(self.suite.storefront, &Storefront::voucherSpentByCall { buyer, nonce })
            .await
            .expect("voucherSpentBy")
    }

    /// Every `E` the Storefront ever emitted.
    pub(crate) async fn events<E: SolEvent>(&self) -> Vec<E> {
        let filter = Filter::new()
            .address(self.suite.storefront)
            .event_signature(E::SIGNATURE_HASH)
            .from_block(0u64)
            .to_block(u64::MAX);
        decode_events(&self.admin.client().logs(&filter).await.expect("logs"))
    }

    /// The Storefront holds exactly the open escrow plus every prepaid allowance.
    pub(crate) async fn assert_escrow_invariant(&self) {
        let held = self.admin.token_balance(self.suite.storefront).await.expect("balanceOf");
        let escrow = self.admin.escrow_balance().await.expect("escrowBalance");
        let prepaid = self.admin.total_prepaid().await.expect("totalPrepaid");
        assert_eq!(held, escrow + prepaid, "Storefront balance == escrowBalance + totalPrepaid");
    }

    /// Waits (up to `timeout`) until `done` holds for the chain.
    pub(crate) async fn wait_for<F, Fut>(&self, timeout: Duration, mut done: F) -> bool
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = bool>,
    {
        let start = std::time::Instant::now();
        while start.elapsed() < timeout {
            if done().await {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        done().await
    }
}
