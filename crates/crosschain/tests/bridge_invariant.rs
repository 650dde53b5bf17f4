//! The payment token across chains, as a property: the home chain locks, the other chains mint and burn, and
//! whatever happens in between (random sends between any two of three chains, retries of any transfer through
//! either transport, transports going down and coming back, deliveries in varying orders, destinations
//! refusing deliveries over their value limit) the other chains never hold more than home has locked.
//!
//! Everything is the real stack on the embedded devnet: LayerZero v2 and Hyperlane deployed from their published
//! artifacts, the router, adapters and gateways, and every off-chain role run by our daemons
//! ([`Relayers`]). Chain 0 is home; three users start with funds there only (an admin mint), so anything on
//! the other chains got there by bridging.
//!
//! After every step, with a Rust model of who holds what (a transfer is credited in the model when the
//! destination router records it delivered):
//! - every user's balance on every chain is the model's (so no transfer was credited twice or to anyone else);
//! - home `locked()` is the home gateway's token balance, and every other gateway's `minted()` is the token's
//!   total supply there (the gateway is the only minter), and home's supply is the initial funding;
//! - `minted_minus_locked <= 0`, and exactly: home locked minus minted elsewhere is the sum of the transfers
//!   still in flight.
//!
//! After every sequence, with both transports up, limits restored and the roles run until quiet: nothing is in
//! flight (`minted_minus_locked == 0`), the users' balances on all chains sum to the initial funding, every
//! gateway's `TransferSent` and `Credited` events are exactly the model's transfers (each credited once), and
//! every transfer has one `MessageDelivered` and one `DuplicateDropped` for each further copy sent.
//!
//! One devnet serves all cases: the network is deployed and funded once, and each case starts from a snapshot
//! of every chain with fresh relayers. `PROPTEST_CASES` (default 20) sets the number of cases.

use std::{cell::RefCell, fmt};

use alloy_primitives::{
    Address, B256, Bytes, U256,
    aliases::{U48, U208},
};
use alloy_sol_types::SolEvent;
use automat_chain::{ChainClient, ChainClientExt, DevnetControl, SnapshotId, alloy::Filter};
use automat_contracts::{
    crosschain::{CrossChain, CrossChainRouter, TokenGateway, Transport},
    vending::{PaymentToken, Vending},
};
use automat_crosschain::{
    KeeperConfig, minted_minus_locked,
    network::{self, Network, NetworkConfig, Relayers},
};
use automat_devnet::{Devnet, DevnetConfig, EmbeddedClient};
use proptest::{
    prelude::*,
    test_runner::{Config as ProptestConfig, TestCaseError, TestRunner},
};

const CHAINS: usize = 3;
/// Index of the token's home chain (`NetworkConfig::default().home`).
const HOME: usize = 0;
const AUSD: u128 = 1_000_000;
/// What each user is minted on home before any case.
const FUNDING: u128 = 1_000 * AUSD;
/// Prefunded accounts acting as users.
const USERS: [usize; 3] = [3, 4, 5];
const ADMIN: usize = 0;
const RELAYER: usize = 9;
/// The gateways' value limits as deployed (`AppConfig::new`).
const WINDOW: u64 = 3_600;
const OPEN_CAPACITY: u128 = 10_000_000 * AUSD;
/// Rounds the roles get to finish everything at the end of a sequence.
const SETTLE_ROUNDS: usize = 30;

type TestResult<T = ()> = Result<T, TestCaseError>;

/// Fails the case with a message (no panic, so the message reaches proptest's report intact).
macro_rules! check {
    ($cond:expr, $($fmt:tt)+) => {
        if !$cond {
            return Err(TestCaseError::fail(format!($($fmt)+)));
        }
    };
}

trait Context<T> {
    fn ctx(self, what: &str) -> TestResult<T>;
}

impl<T, E: Into<Box<dyn std::error::Error>>> Context<T> for Result<T, E> {
    fn ctx(self, what: &str) -> TestResult<T> {
        self.map_err(|e| TestCaseError::fail(format!("{what}: {}", e.into())))
    }
}

// ----------------------------------------------------------------------- operations

/// How much of the sender's balance a transfer asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Amount {
    /// This percentage of the balance (at least one unit: with nothing held, the send must fail).
    Percent(u8),
    /// All of it.
    All,
    /// One unit more than the balance (must fail).
    Overdraw,
}

/// Who sends a transfer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Holder {
    /// Of the (chain, user) pairs with a balance, in that order, number `pick` (modulo their count).
    Funded { pick: usize },
    /// `USERS[user]` on `chain`, funded or not.
    At { chain: usize, user: usize },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    /// Nothing.
    Skip,
    /// `sender` sends to `USERS[recipient]` on the chain `hop` after its own (of `CHAINS`, cyclically) through
    /// `via`.
    Bridge { sender: Holder, hop: usize, recipient: usize, amount: Amount, via: Transport },
    /// The source router sends transfer `pick` (modulo the transfers so far) again through `via`.
    Retry { pick: usize, via: Transport },
    /// `via`'s off-chain roles stop (an outage) or come back.
    SetUp { via: Transport, up: bool },
    /// Rounds of every running role.
    Deliver { rounds: u8 },
    /// Rounds of `via`'s roles alone (nothing if it is down).
    DeliverOnly { via: Transport, rounds: u8 },
    /// Chain `chain`'s gateway value limits drop to `capacity` aUSD per hour each way, so larger deliveries
    /// there are refused (and stay deliverable) and larger sends revert; `None` restores them.
    Throttle { chain: usize, capacity: Option<u16> },
}

fn transport() -> impl Strategy<Value = Transport> {
    prop_oneof![Just(Transport::LayerZero), Just(Transport::Hyperlane)]
}

fn amount() -> impl Strategy<Value = Amount> {
    prop_oneof![
        8 => (1u8..=100).prop_map(Amount::Percent),
        1 => Just(Amount::All),
        1 => Just(Amount::Overdraw),
    ]
}

fn holder() -> impl Strategy<Value = Holder> {
    prop_oneof![
        9 => (0usize..16).prop_map(|pick| Holder::Funded { pick }),
        1 => (0..CHAINS, 0..USERS.len()).prop_map(|(chain, user)| Holder::At { chain, user }),
    ]
}

/// One step; shrinking turns a step that does not matter into [`Op::Skip`] (first, so the simplest).
fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        1 => Just(Op::Skip),
        6 => (holder(), 1..CHAINS, 0..USERS.len(), amount(), transport())
            .prop_map(|(sender, hop, recipient, amount, via)| Op::Bridge { sender, hop, recipient, amount, via }),
        2 => (0usize..32, transport()).prop_map(|(pick, via)| Op::Retry { pick, via }),
        3 => (transport(), any::<bool>()).prop_map(|(via, up)| Op::SetUp { via, up }),
        3 => (1u8..=3).prop_map(|rounds| Op::Deliver { rounds }),
        2 => (transport(), 1u8..=2).prop_map(|(via, rounds)| Op::DeliverOnly { via, rounds }),
        1 => (0..CHAINS, prop_oneof![2 => (1u16..=300).prop_map(Some), 1 => Just(None)])
            .prop_map(|(chain, capacity)| Op::Throttle { chain, capacity }),
    ]
}

/// A sequence of steps, shown without its [`Op::Skip`]s (so a shrunk failure reads as the steps that matter,
/// numbered as in the failure's trace).
#[derive(Clone)]
struct Ops(Vec<Op>);

impl Ops {
    fn steps(&self) -> impl Iterator<Item = Op> + '_ {
        self.0.iter().copied().filter(|op| *op != Op::Skip)
    }
}

impl fmt::Debug for Ops {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.steps()).finish()
    }
}

fn ops() -> impl Strategy<Value = Ops> {
    proptest::collection::vec(op(), 10..=25).prop_map(Ops)
}

// --------------------------------------------------------------------------- world

/// The deployed network, shared by every case.
struct World {
    _devnet: Devnet,
    network: Network,
    config: NetworkConfig,
    ids: Vec<u64>,
    /// The app on each chain, as its admin.
    admins: Vec<CrossChain<EmbeddedClient>>,
    /// `users[chain][user]`: the app on `chain` as `USERS[user]`.
    users: Vec<Vec<CrossChain<EmbeddedClient>>>,
    relayer_clients: Vec<EmbeddedClient>,
    /// Snapshots of the funded network, one per chain.
    base: RefCell<Vec<SnapshotId>>,
}

impl World {
    async fn new() -> Result<Self, Box<dyn std::error::Error>> {
        let devnet = Devnet::start(DevnetConfig::with_chains(CHAINS as u32))?;
        let ids = devnet.chain_ids();
        let admin_clients = ids.iter().map(|id| devnet.dev_client(*id, ADMIN)).collect::<Result<Vec<_>, _>>()?;
        let relayer_clients = ids.iter().map(|id| devnet.dev_client(*id, RELAYER)).collect::<Result<Vec<_>, _>>()?;
        let config = NetworkConfig::default();
        assert_eq!(config.home, HOME);
        let network = network::deploy(&admin_clients, devnet.signers()[RELAYER].address(), &config).await?;
        let admins = network.apps(&admin_clients)?;
        let mut users = Vec::new();
        for (c, id) in ids.iter().enumerate() {
            let mut on_chain = Vec::new();
            for account in USERS {
                on_chain.push(admins[c].with_client(devnet.dev_client(*id, account)?));
            }
            users.push(on_chain);
        }
        let home = Vending::new(admin_clients[HOME].clone(), network.chains[HOME].suite);
        for user in &users[HOME] {
            home.mint(user.client().sender(), U256::from(FUNDING)).await?;
        }
        let mut base = Vec::new();
        for admin in &admins {
            base.push(admin.client().snapshot().await?);
        }
        Ok(Self { _devnet: devnet, network, config, ids, admins, users, relayer_clients, base: RefCell::new(base) })
    }

    /// Every chain back to the funded network (and a new snapshot of it for the next case).
    async fn reset(&self) -> TestResult {
        let old = self.base.take();
        let mut base = Vec::new();
        for (admin, id) in self.admins.iter().zip(old) {
            admin.client().revert(id).await.ctx("revert")?;
            base.push(admin.client().snapshot().await.ctx("snapshot")?);
        }
        self.base.replace(base);
        Ok(())
    }

    fn user(&self, user: usize) -> Address {
        self.users[HOME][user].client().sender()
    }

    async fn events<E: SolEvent>(&self, chain: usize, address: Address) -> TestResult<Vec<E>> {
        let filter = Filter::new().address(address).event_signature(E::SIGNATURE_HASH).from_block(0);
        let logs = self.admins[chain].client().logs(&filter).await.ctx("logs")?;
        logs.iter().map(|l| E::decode_log(&l.inner).map(|d| d.data).ctx("decode event")).collect()
    }

    async fn set_value_limits(&self, chain: usize, capacity: u128) -> TestResult {
        let app = self.admins[chain].app();
        let call = TokenGateway::setRateLimitsCall {
            window: U48::from(WINDOW),
            outboundCapacity: U208::from(capacity),
            inboundCapacity: U208::from(capacity),
        };
        self.admins[chain].client().send_sol(app.gateway, &call).await.ctx("setRateLimits")?;
        Ok(())
    }
}

// --------------------------------------------------------------------------- model

/// A transfer that left its source chain.
#[derive(Debug, Clone)]
struct Sent {
    from: usize,
    to: usize,
    sender: usize,
    recipient: usize,
    amount: u128,
    nonce: u64,
    id: B256,
    envelope: Bytes,
    /// Copies sent (the first send and every retry).
    copies: usize,
    /// The transport whose copy the destination router delivered, once it did.
    delivered_via: Option<u8>,
    /// Order in which deliveries were observed.
    delivered_seq: Option<usize>,
}

#[derive(Debug, Default, Clone)]
struct Stats {
    cases: usize,
    ops: usize,
    sends: usize,
    refused_sends: usize,
    rate_limited_sends: usize,
    retries: usize,
    dropped: usize,
    delivered_lz: usize,
    delivered_hl: usize,
    reordered: usize,
    max_in_flight: usize,
    outages: usize,
    throttles: usize,
}

impl fmt::Display for Stats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} cases, {} ops: {} transfers ({} refused for lack of funds, {} over a value limit), {} retries, \
             {} duplicates dropped, delivered {} via LayerZero and {} via Hyperlane, {} delivered out of send order, \
             at most {} in flight at once, {} outages, {} throttles",
            self.cases,
            self.ops,
            self.sends,
            self.refused_sends,
            self.rate_limited_sends,
            self.retries,
            self.dropped,
            self.delivered_lz,
            self.delivered_hl,
            self.reordered,
            self.max_in_flight,
            self.outages,
            self.throttles,
        )
    }
}

#[derive(Debug)]
struct Model {
    /// `balances[chain][user]`.
    balances: [[u128; USERS.len()]; CHAINS],
    sent: Vec<Sent>,
    throttled: [bool; CHAINS],
    deliveries: usize,
    stats: Stats,
    /// What each step did, resolved (for failure reports).
    trace: Vec<String>,
}

impl Model {
    fn new() -> Self {
        let mut balances = [[0; USERS.len()]; CHAINS];
        balances[HOME] = [FUNDING; USERS.len()];
        Self {
            balances,
            sent: Vec::new(),
            throttled: [false; CHAINS],
            deliveries: 0,
            stats: Stats::default(),
            trace: Vec::new(),
        }
    }

    fn in_flight(&self) -> u128 {
        self.sent.iter().filter(|s| s.delivered_via.is_none()).map(|s| s.amount).sum()
    }

    async fn apply(&mut self, world: &World, relayers: &mut Relayers<EmbeddedClient>, op: Op) -> TestResult {
        match op {
            Op::Bridge { sender, hop, recipient, amount, via } => {
                let (from, user) = match sender {
                    Holder::At { chain, user } => (chain, user),
                    Holder::Funded { pick } => {
                        let funded: Vec<_> = (0..CHAINS)
                            .flat_map(|c| (0..USERS.len()).map(move |u| (c, u)))
                            .filter(|&(c, u)| self.balances[c][u] > 0)
                            .collect();
                        if funded.is_empty() {
                            self.trace.push("nobody holds anything: no transfer".into());
                            return Ok(());
                        }
                        funded[pick % funded.len()]
                    }
                };
                let to = (from + hop) % CHAINS;
                let balance = self.balances[from][user];
                let amount = match amount {
                    Amount::Percent(p) => (balance * u128::from(p) / 100).max(1),
                    Amount::All => balance.max(1),
                    Amount::Overdraw => balance + 1,
                };
                let app = world.admins[from].app();
                let available: U256 = world.admins[from]
                    .client()
                    .call_sol(app.gateway, &TokenGateway::outboundAvailableCall { chainId: world.ids[to] })
                    .await
                    .ctx("outboundAvailable")?;
                let funded = amount <= balance;
                let within_limit = U256::from(amount) <= available;
                let handle = &world.users[from][user];
                match handle.bridge(world.ids[to], world.user(recipient), amount, via).await {
                    Ok((nonce, envelope, receipt)) => {
                        check!(funded, "a transfer of {amount} with a balance of {balance} went through");
                        let sent = receipt.events::<TokenGateway::TransferSent>();
                        check!(
                            sent.len() == 1
                                && sent[0].from == handle.client().sender()
                                && sent[0].dstChainId == world.ids[to]
                                && sent[0].to == world.user(recipient)
                                && sent[0].amount == U256::from(amount)
                                && sent[0].nonce == nonce,
                            "TransferSent {sent:?}"
                        );
                        let message = receipt.events::<CrossChainRouter::MessageSent>();
                        check!(message.len() == 1, "MessageSent {message:?}");
                        self.balances[from][user] -= amount;
                        self.sent.push(Sent {
                            from,
                            to,
                            sender: user,
                            recipient,
                            amount,
                            nonce,
                            id: message[0].messageId,
                            envelope,
                            copies: 1,
                            delivered_via: None,
                            delivered_seq: None,
                        });
                        self.stats.sends += 1;
                        self.trace.push(format!(
                            "transfer {}: user {user} on chain {from} sends {amount} to user {recipient} on chain \
                             {to} via {} (nonce {nonce})",
                            self.sent.len() - 1,
                            via.name()
                        ));
                    }
                    Err(e) => {
                        self.trace.push(format!(
                            "user {user} on chain {from} fails to send {amount} (holds {balance}, limit {available}) \
                             to chain {to}"
                        ));
                        check!(!(funded && within_limit), "a funded transfer of {amount} within limits failed: {e}");
                        if funded {
                            self.stats.rate_limited_sends += 1;
                        } else {
                            self.stats.refused_sends += 1;
                        }
                    }
                }
            }
            Op::Retry { pick, via } => {
                if !self.sent.is_empty() {
                    let index = pick % self.sent.len();
                    let s = &mut self.sent[index];
                    world.users[s.from][s.sender].retry(&s.envelope, via).await.ctx("retry")?;
                    s.copies += 1;
                    self.stats.retries += 1;
                    self.trace.push(format!("transfer {index} sent again via {}", via.name()));
                } else {
                    self.trace.push("nothing to retry".into());
                }
            }
            Op::SetUp { via, up } => {
                match via {
                    Transport::LayerZero => relayers.up.layerzero = up,
                    Transport::Hyperlane => relayers.up.hyperlane = up,
                }
                if !up {
                    self.stats.outages += 1;
                }
            }
            Op::Skip => {}
            Op::Deliver { rounds } => self.deliver(world, relayers, rounds).await?,
            Op::DeliverOnly { via, rounds } => {
                let saved = relayers.up;
                match via {
                    Transport::LayerZero => relayers.up.hyperlane = false,
                    Transport::Hyperlane => relayers.up.layerzero = false,
                }
                let result = self.deliver(world, relayers, rounds).await;
                relayers.up = saved;
                result?;
            }
            Op::Throttle { chain, capacity } => {
                world.set_value_limits(chain, capacity.map_or(OPEN_CAPACITY, |c| u128::from(c) * AUSD)).await?;
                self.throttled[chain] = capacity.is_some();
                if capacity.is_some() {
                    self.stats.throttles += 1;
                }
            }
        }
        Ok(())
    }

    /// Rounds of the running roles, observing deliveries after each.
    async fn deliver(&mut self, world: &World, relayers: &mut Relayers<EmbeddedClient>, rounds: u8) -> TestResult {
        for _ in 0..rounds {
            let report = relayers.tick().await.ctx("relayers tick")?;
            check!(report.errors.is_empty(), "relayer errors: {:?}", report.errors);
            self.observe(world).await?;
        }
        Ok(())
    }

    /// Credits, in the model, the transfers the destination routers now record as delivered.
    async fn observe(&mut self, world: &World) -> TestResult {
        let Self { balances, sent, deliveries, trace, .. } = self;
        for (index, s) in sent.iter_mut().enumerate() {
            let router = world.admins[s.to].app().router;
            let via = world.admins[s.to]
                .client()
                .call_sol(router, &CrossChainRouter::deliveredViaCall { messageId: s.id })
                .await
                .ctx("deliveredVia")?;
            match s.delivered_via {
                None if via != 0 => {
                    s.delivered_via = Some(via);
                    s.delivered_seq = Some(*deliveries);
                    *deliveries += 1;
                    balances[s.to][s.recipient] += s.amount;
                    trace.push(format!(
                        "  transfer {index} delivered via {}",
                        Transport::from_id(via).map_or("?", Transport::name)
                    ));
                }
                None => {}
                Some(first) => check!(via == first, "transfer {} delivered via {first}, now says {via}", s.nonce),
            }
        }
        Ok(())
    }

    /// The invariants that hold after every step.
    async fn check(&mut self, world: &World) -> TestResult {
        self.observe(world).await?;
        for (c, chain) in world.users.iter().enumerate() {
            for (u, user) in chain.iter().enumerate() {
                let balance = user.token_balance(user.client().sender()).await.ctx("balance")?;
                check!(
                    balance == U256::from(self.balances[c][u]),
                    "user {u} on chain {c} holds {balance}, the model says {}",
                    self.balances[c][u]
                );
            }
        }
        let mut minted_total = U256::ZERO;
        let mut locked = U256::ZERO;
        for (c, admin) in world.admins.iter().enumerate() {
            let app = admin.app();
            let supply = admin.client().call_sol(app.token, &PaymentToken::totalSupplyCall {}).await.ctx("supply")?;
            if c == HOME {
                locked = admin.locked().await.ctx("locked")?;
                let held = admin.token_balance(app.gateway).await.ctx("gateway balance")?;
                check!(locked == held, "home gateway: locked {locked}, holds {held}");
                let funded = U256::from(FUNDING * USERS.len() as u128);
                check!(supply == funded, "home supply {supply}, funded {funded}");
            } else {
                let minted = admin.minted().await.ctx("minted")?;
                check!(minted == supply, "chain {c}: gateway minted {minted}, token supply {supply}");
                minted_total += minted;
            }
        }
        let difference = minted_minus_locked(&world.admins).await.ctx("minted_minus_locked")?;
        check!(difference <= 0, "INVARIANT BROKEN: minted elsewhere exceeds locked at home by {difference}");
        let in_flight = self.in_flight();
        check!(
            locked - minted_total == U256::from(in_flight),
            "locked {locked} - minted {minted_total} should be the {in_flight} in flight"
        );
        let flying = self.sent.iter().filter(|s| s.delivered_via.is_none()).count();
        self.stats.max_in_flight = self.stats.max_in_flight.max(flying);
        Ok(())
    }

    /// Restores limits and transports, runs the roles until everything has arrived and they are quiet.
    async fn settle(&mut self, world: &World, relayers: &mut Relayers<EmbeddedClient>) -> TestResult {
        for chain in 0..CHAINS {
            if self.throttled[chain] {
                world.set_value_limits(chain, OPEN_CAPACITY).await?;
                self.throttled[chain] = false;
            }
        }
        relayers.up.layerzero = true;
        relayers.up.hyperlane = true;
        let mut quiet = 0;
        for _ in 0..SETTLE_ROUNDS {
            let report = relayers.tick().await.ctx("relayers tick")?;
            check!(report.errors.is_empty(), "relayer errors: {:?}", report.errors);
            self.observe(world).await?;
            quiet = if report.progressed() { 0 } else { quiet + 1 };
            if quiet >= 2 && self.in_flight() == 0 {
                return Ok(());
            }
        }
        let stuck: Vec<_> = self.sent.iter().filter(|s| s.delivered_via.is_none()).collect();
        Err(TestCaseError::fail(format!("not settled after {SETTLE_ROUNDS} rounds; in flight: {stuck:?}")))
    }

    /// What holds once nothing is in flight.
    async fn check_settled(&mut self, world: &World) -> TestResult {
        self.check(world).await?;
        let difference = minted_minus_locked(&world.admins).await.ctx("minted_minus_locked")?;
        check!(difference == 0, "settled, yet minted - locked = {difference}");
        let total: u128 = self.balances.iter().flatten().sum();
        check!(total == FUNDING * USERS.len() as u128, "users hold {total} across chains");

        for c in 0..CHAINS {
            let app = *world.admins[c].app();
            // Every send is one TransferSent on its source gateway.
            let mut sent: Vec<_> = world
                .events::<TokenGateway::TransferSent>(c, app.gateway)
                .await?
                .into_iter()
                .map(|e| (e.nonce, e.from, e.dstChainId, e.to, e.amount))
                .collect();
            let mut expected: Vec<_> = self
                .sent
                .iter()
                .filter(|s| s.from == c)
                .map(|s| {
                    (s.nonce, world.user(s.sender), world.ids[s.to], world.user(s.recipient), U256::from(s.amount))
                })
                .collect();
            sent.sort();
            expected.sort();
            check!(sent == expected, "chain {c}: TransferSent {sent:?}, expected {expected:?}");

            // Every transfer to this chain is credited once, to its recipient.
            let mut credited: Vec<_> = world
                .events::<TokenGateway::Credited>(c, app.gateway)
                .await?
                .into_iter()
                .map(|e| (e.srcChainId, e.to, e.amount))
                .collect();
            let mut expected: Vec<_> = self
                .sent
                .iter()
                .filter(|s| s.to == c)
                .map(|s| (world.ids[s.from], world.user(s.recipient), U256::from(s.amount)))
                .collect();
            credited.sort();
            expected.sort();
            check!(credited == expected, "chain {c}: Credited {credited:?}, expected {expected:?}");

            // One delivery per transfer; every further copy dropped as a duplicate.
            let delivered = world.events::<CrossChainRouter::MessageDelivered>(c, app.router).await?;
            let dropped = world.events::<CrossChainRouter::DuplicateDropped>(c, app.router).await?;
            let incoming = self.sent.iter().filter(|s| s.to == c).count();
            check!(delivered.len() == incoming, "chain {c}: {} deliveries for {incoming} transfers", delivered.len());
            for s in self.sent.iter().filter(|s| s.to == c) {
                let first = s.delivered_via;
                let ones: Vec<_> = delivered.iter().filter(|d| d.messageId == s.id).collect();
                check!(ones.len() == 1 && Some(ones[0].transport) == first, "transfer {s:?}: deliveries {ones:?}");
                let copies: Vec<_> = dropped.iter().filter(|d| d.messageId == s.id).collect();
                check!(
                    copies.len() == s.copies - 1 && copies.iter().all(|d| Some(d.deliveredVia) == first),
                    "transfer {s:?}: {} copies sent, duplicates dropped {copies:?}",
                    s.copies
                );
            }
            self.stats.dropped += dropped.len();
        }
        for s in &self.sent {
            match s.delivered_via.and_then(Transport::from_id) {
                Some(Transport::LayerZero) => self.stats.delivered_lz += 1,
                Some(Transport::Hyperlane) => self.stats.delivered_hl += 1,
                None => {}
            }
        }
        // Deliveries observed in an order other than the sends'.
        for (i, a) in self.sent.iter().enumerate() {
            if self.sent[i + 1..].iter().any(|b| b.delivered_seq < a.delivered_seq) {
                self.stats.reordered += 1;
            }
        }
        Ok(())
    }
}

/// Runs `ops` from the funded network with fresh relayers, checking after every step and at the end.
async fn run(world: &World, ops: &Ops) -> TestResult<Model> {
    world.reset().await?;
    let dir = tempfile::tempdir().ctx("tempdir")?;
    let keeper = KeeperConfig { primary: Transport::LayerZero, retry_after: None, confirmations: 1 };
    let mut relayers =
        Relayers::new(&world.network, &world.config, &world.relayer_clients, dir.path(), keeper).ctx("relayers")?;
    let mut model = Model::new();
    model.check(world).await?;
    for (step, op) in ops.steps().enumerate() {
        model.trace.push(format!("step {step}: {op:?}"));
        let result = match model.apply(world, &mut relayers, op).await {
            Ok(()) => model.check(world).await,
            Err(e) => Err(e),
        };
        if let Err(e) = result {
            return Err(TestCaseError::fail(format!("step {step} {op:?}: {e}\n{}", model.trace.join("\n"))));
        }
    }
    model.trace.push("settling: limits restored, both transports up".into());
    let result = match model.settle(world, &mut relayers).await {
        Ok(()) => model.check_settled(world).await,
        Err(e) => Err(e),
    };
    if let Err(e) = result {
        return Err(TestCaseError::fail(format!("after the sequence: {e}\n{}", model.trace.join("\n"))));
    }
    model.stats.cases = 1;
    model.stats.ops = ops.steps().count();
    Ok(model)
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime")
}

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

#[test]
fn minted_elsewhere_never_exceeds_locked_at_home() {
    let rt = runtime();
    let world = rt.block_on(World::new()).expect("deploy the network");
    let config = ProptestConfig {
        cases: env_or("PROPTEST_CASES", 20),
        max_shrink_iters: env_or("PROPTEST_MAX_SHRINK_ITERS", 128),
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    let mut runner = TestRunner::new(config);
    let totals = RefCell::new(Stats::default());
    let result = runner.run(&ops(), |ops| {
        let model = rt.block_on(run(&world, &ops))?;
        let mut t = totals.borrow_mut();
        let s = &model.stats;
        t.cases += s.cases;
        t.ops += s.ops;
        t.sends += s.sends;
        t.refused_sends += s.refused_sends;
        t.rate_limited_sends += s.rate_limited_sends;
        t.retries += s.retries;
        t.dropped += s.dropped;
        t.delivered_lz += s.delivered_lz;
        t.delivered_hl += s.delivered_hl;
        t.reordered += s.reordered;
        t.max_in_flight = t.max_in_flight.max(s.max_in_flight);
        t.outages += s.outages;
        t.throttles += s.throttles;
        Ok(())
    });
    eprintln!("bridge invariant: {}", totals.borrow());
    if let Err(failure) = result {
        panic!("{failure}");
    }
}

/// The nastiest interleavings, pinned: a transfer stuck in a LayerZero outage is retried through Hyperlane and
/// credited, and LayerZero's stale copy is dropped when it comes back; a transfer between two minting chains is
/// refused at its destination (value limit) through both transports, then both copies arrive in one round once
/// the limit is lifted, and only the first counts; a transfer home sent three times arrives once.
#[test]
fn retried_and_refused_transfers_are_credited_once() {
    use Transport::{Hyperlane, LayerZero};
    let rt = runtime();
    let world = rt.block_on(World::new()).expect("deploy the network");
    let (a, b, c) = (0, 1, 2);
    let at = |chain, user| Holder::At { chain, user };
    let ops = [
        Op::SetUp { via: LayerZero, up: false },
        Op::Bridge { sender: at(a, 0), hop: 1, recipient: 1, amount: Amount::Percent(40), via: LayerZero },
        Op::Deliver { rounds: 2 },
        Op::Retry { pick: 0, via: Hyperlane },
        Op::Deliver { rounds: 2 },
        Op::SetUp { via: LayerZero, up: true },
        Op::Deliver { rounds: 2 },
        Op::Throttle { chain: c, capacity: Some(10) },
        Op::Bridge { sender: at(b, 1), hop: 1, recipient: 2, amount: Amount::All, via: LayerZero },
        Op::Retry { pick: 1, via: Hyperlane },
        Op::Deliver { rounds: 3 },
        Op::Throttle { chain: c, capacity: None },
        // One round: Hyperlane's roles run first in a round, so its copy is credited and LayerZero's dropped.
        Op::Deliver { rounds: 1 },
        Op::Bridge { sender: at(c, 2), hop: 1, recipient: 0, amount: Amount::All, via: Hyperlane },
        Op::Retry { pick: 2, via: LayerZero },
        Op::Retry { pick: 2, via: Hyperlane },
        Op::DeliverOnly { via: LayerZero, rounds: 2 },
        Op::Deliver { rounds: 2 },
    ];
    let model = rt.block_on(run(&world, &Ops(ops.to_vec()))).unwrap_or_else(|e| panic!("{e}"));
    let expected = 400 * AUSD;
    let hl = Some(Hyperlane.id());
    let lz = Some(LayerZero.id());
    let summary: Vec<_> = model.sent.iter().map(|s| (s.from, s.to, s.amount, s.copies, s.delivered_via)).collect();
    assert_eq!(
        summary,
        [(a, b, expected, 2, hl), (b, c, expected, 2, hl), (c, a, expected, 3, lz)],
        "who carried what: {:?}",
        model.sent
    );
    assert_eq!(model.stats.dropped, 4, "one stale copy of the first two transfers, two of the third");
    assert_eq!(model.balances[a], [FUNDING, FUNDING, FUNDING], "the 400 aUSD went round and came back");
    assert_eq!(model.balances[b], [0; 3]);
    assert_eq!(model.balances[c], [0; 3]);
}
