//! A two-chain network for the cross-chain tests: both protocols and the app deployed, every off-chain role,
//! a machine with its agent on chain B and a funded buyer on chain A (the token's home).
#![allow(dead_code, unreachable_pub)]

use alloy_primitives::{Address, U256};
use alloy_sol_types::SolEvent;
use automat_agent::{Agent, AgentConfig, Behaviour, SimulatedMachine, VendOdds};
use automat_chain::{ChainClient, DEFAULT_MNEMONIC, DevnetControl, alloy::Filter, signer_from_mnemonic};
use automat_contracts::{
    crosschain::{CrossChain, OpenedPurchase, PurchaseStatus, Transport, buy_request},
    vending::{Slot, Vending},
};
use automat_crosschain::{
    KeeperConfig,
    network::{self, Network, NetworkConfig, Relayers},
};
use automat_devnet::{Devnet, DevnetConfig, EmbeddedClient};

pub type TestResult = Result<(), Box<dyn std::error::Error>>;

pub const AUSD: u128 = 1_000_000;
pub const BUYER: usize = 3;
pub const OPERATOR: usize = 1;
pub const RELAYER: usize = 9;

pub struct Fixture {
    pub _dir: tempfile::TempDir,
    pub devnet: Devnet,
    pub network: Network,
    pub relayers: Relayers<EmbeddedClient>,
    pub agent: Agent<EmbeddedClient, SimulatedMachine>,
    pub buyer: CrossChain<EmbeddedClient>,
    pub a: u64,
    pub b: u64,
    pub operator: Address,
}

pub async fn setup(keeper: KeeperConfig) -> Result<Fixture, Box<dyn std::error::Error>> {
    setup_with(keeper, NetworkConfig::default()).await
}

/// [`setup`] with the network deployed from `config` (e.g. with cover on every chain).
pub async fn setup_with(keeper: KeeperConfig, config: NetworkConfig) -> Result<Fixture, Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let devnet = Devnet::start(DevnetConfig::with_chains(2))?;
    let ids = devnet.chain_ids();
    let (a, b) = (ids[0], ids[1]);
    let admins = ids.iter().map(|id| devnet.dev_client(*id, 0)).collect::<Result<Vec<_>, _>>()?;
    let relayer_clients = ids.iter().map(|id| devnet.dev_client(*id, RELAYER)).collect::<Result<Vec<_>, _>>()?;
    let network = network::deploy(&admins, devnet.signers()[RELAYER].address(), &config).await?;

    // The machine on chain B.
    let suite_b = network.chain(b)?.suite;
    let admin_b = Vending::new(admins[1].clone(), suite_b);
    let operator = admin_b.with_client(devnet.dev_client(b, OPERATOR)?);
    admin_b.mint(operator.client().sender(), U256::from(1_000 * AUSD)).await?;
    operator.register_operator(U256::from(100 * AUSD)).await?;
    let key = signer_from_mnemonic(DEFAULT_MNEMONIC, 3_000)?;
    let slots = vec![Slot { itemId: 7, stock: 10, minPrice: AUSD, maxPrice: 3 * AUSD }];
    let machine_id = operator.register_machine(key.address(), "u33dc0", "DE", slots, 20 * AUSD).await?;
    let sim = SimulatedMachine::new([(0, 10)], Behaviour::Random { odds: VendOdds::RELIABLE, seed: 1 });
    let agent = Agent::open(
        devnet.dev_client(b, 8)?,
        sim,
        key,
        AgentConfig::new(machine_id, suite_b, dir.path().join("agent")),
    )?;

    // The buyer on chain A (home).
    let admin_a = Vending::new(admins[0].clone(), network.chain(a)?.suite);
    let buyer_client = devnet.dev_client(a, BUYER)?;
    admin_a.mint(buyer_client.sender(), U256::from(100 * AUSD)).await?;
    let buyer = CrossChain::new(buyer_client, network.chain(a)?.app);

    let relayers = Relayers::new(&network, &config, &relayer_clients, &dir.path().join("relayers"), keeper)?;
    Ok(Fixture { _dir: dir, devnet, network, relayers, agent, buyer, a, b, operator: operator.client().sender() })
}

impl Fixture {
    pub async fn buy(
        &self,
        transport: Transport,
        deliver_within: u64,
    ) -> Result<OpenedPurchase, Box<dyn std::error::Error>> {
        let quote = self.agent.quote(0, 2 * AUSD).await?;
        let deliver_by = self.buyer.client().block_timestamp().await? + deliver_within;
        let request = buy_request(self.b, &quote.quote, quote.signature, 3 * AUSD, deliver_by, 600);
        Ok(self.buyer.buy(&request, transport, true).await?)
    }

    /// Rounds of every role and the machine agent until the purchase leaves Pending (or `rounds` run out).
    pub async fn drive(
        &mut self,
        purchase_id: u64,
        rounds: usize,
    ) -> Result<PurchaseStatus, Box<dyn std::error::Error>> {
        for _ in 0..rounds {
            let report = self.relayers.tick().await?;
            assert!(report.errors.is_empty(), "relayer errors: {:?}", report.errors);
            assert!(report.keeper.errors.is_empty(), "keeper errors: {:?}", report.keeper.errors);
            self.agent.poll().await?;
            let status = self.buyer.purchase_status(purchase_id).await?;
            if status != PurchaseStatus::Pending {
                return Ok(status);
            }
        }
        Ok(self.buyer.purchase_status(purchase_id).await?)
    }

    pub async fn advance_time(&self, seconds: u64) -> TestResult {
        for id in [self.a, self.b] {
            let c = self.devnet.dev_client(id, 0)?;
            c.increase_time(seconds).await?;
            c.mine(1).await?;
        }
        Ok(())
    }

    pub fn apps(&self) -> Result<Vec<CrossChain<EmbeddedClient>>, Box<dyn std::error::Error>> {
        let clients = [self.devnet.dev_client(self.a, 0)?, self.devnet.dev_client(self.b, 0)?];
        Ok(self.network.apps(&clients)?)
    }

    pub async fn router_events<E: SolEvent>(&self, chain_id: u64) -> Result<Vec<E>, Box<dyn std::error::Error>> {
        let client = self.devnet.dev_client(chain_id, 0)?;
        let router = self.network.chain(chain_id)?.app.router;
        let logs = client.logs(&Filter::new().address(router).event_signature(E::SIGNATURE_HASH).from_block(0)).await?;
        Ok(logs.iter().filter_map(|l| E::decode_log(&l.inner).ok().map(|d| d.data)).collect())
    }
}
