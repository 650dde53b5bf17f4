//! A cross-chain network in one call: on every chain the vending suite, LayerZero v2 and Hyperlane (from the
//! artifacts they publish) and the cross-chain app, wired pairwise; and [`Relayers`], every off-chain role
//! over it (LayerZero DVN operators and executor, Hyperlane validators and relayer, the checkout keeper).

use std::path::{Path, PathBuf};

use alloy_primitives::Address;
use alloy_signer_local::PrivateKeySigner;
use automat_bridge::{
    Progress,
    hyperlane::{self, HlChain, HlChainConfig, Relayer, RelayerConfig, Validator, ValidatorConfig},
    layerzero::{self, DvnSpec, DvnWorker, ExecutorWorker, LzChain, LzChainConfig, PathwayConfig, PathwaySecurity},
};
use automat_chain::{ChainClient, DEFAULT_MNEMONIC, signer_from_mnemonic};
use automat_contracts::{
    court::{CourtAddresses, CourtConfig, deploy_court},
    crosschain::{self, AppAddresses, AppConfig, CrossChain},
    insurance::{InsuranceConfig, deploy_insurance},
    vending::{self, SuiteAddresses, SuiteConfig},
};
use serde::{Deserialize, Serialize};

use crate::{CheckoutKeeper, CrossChainError, KeeperConfig, KeeperReport, Result};

/// What to deploy.
#[derive(Debug, Clone)]
pub struct NetworkConfig {
    /// Mnemonic the DVN signer and validator keys derive from (development only).
    pub mnemonic: String,
    /// DVN operators (each deploys a DVN contract on every chain).
    pub dvns: usize,
    /// Signers per DVN and the quorum of each.
    pub dvn_signers: u32,
    /// Signatures each DVN needs.
    pub dvn_quorum: u64,
    /// Required DVN operators per pathway (at least two) and optional ones with their threshold.
    pub required_dvns: Vec<usize>,
    /// Optional DVN operators.
    pub optional_dvns: Vec<usize>,
    /// How many optional DVNs must verify.
    pub optional_threshold: u8,
    /// Source-chain confirmations before verifying (both protocols).
    pub confirmations: u64,
    /// Hyperlane validators (one key each, validating every chain).
    pub validators: u32,
    /// Signatures the multisig ISM needs.
    pub validator_threshold: u8,
    /// Index (in the clients given) of the payment token's home chain.
    pub home: usize,
    /// Cover for orders on every chain (a court and an insurance pool next to each Storefront); `None`: none.
    pub cover: Option<CoverConfig>,
}

/// Cover on every chain of a network: a court (whose fees are paid in the payment token) and an insurance pool
/// set on the Storefront, deployed without capital (new cover stays paused until underwriters deposit).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoverConfig {
    /// The pools' parameters.
    pub pool: InsuranceConfig,
    /// The court's fee per juror vote, in payment-token base units.
    pub fee_per_juror: u128,
}

impl Default for CoverConfig {
    /// The default pool ([`InsuranceConfig::default`]) and 0.1 token per juror vote (a claim on a snack must
    /// not cost more than the snack).
    fn default() -> Self {
        Self { pool: InsuranceConfig::default(), fee_per_juror: 100_000 }
    }
}

impl Default for NetworkConfig {
    /// Three DVN operators (each 2-of-3 signers), two required plus one of one optional: a 3-of-3 set
    /// (X=2 required, 1 of the optional Y=1, N=3), one confirmation; three Hyperlane validators, two needed;
    /// the first chain is home; no cover.
    fn default() -> Self {
        Self {
            mnemonic: DEFAULT_MNEMONIC.to_string(),
            dvns: 3,
            dvn_signers: 3,
            dvn_quorum: 2,
            required_dvns: vec![0, 1],
            optional_dvns: vec![2],
            optional_threshold: 1,
            confirmations: 1,
            validators: 3,
            validator_threshold: 2,
            home: 0,
            cover: None,
        }
    }
}

impl NetworkConfig {
    /// The LayerZero pathway security this config means.
    pub fn pathways(&self) -> PathwayConfig {
        let mut security = PathwaySecurity::required(self.confirmations, self.required_dvns.clone());
        if !self.optional_dvns.is_empty() {
            security = security.with_optional(self.optional_dvns.clone(), self.optional_threshold);
        }
        PathwayConfig::new(security)
    }

    /// Signer keys of DVN operator `dvn`.
    pub fn dvn_keys(&self, dvn: usize) -> Result<Vec<PrivateKeySigner>> {
        let dvn = u32::try_from(dvn).map_err(|_| CrossChainError::Decode("DVN index".into()))?;
        Ok(layerzero::dev_dvn_keys(&self.mnemonic, dvn, self.dvn_signers)?)
    }

    /// Hyperlane validator keys (accounts 2000.. of the mnemonic).
    pub fn validator_keys(&self) -> Result<Vec<PrivateKeySigner>> {
        (0..self.validators)
            .map(|i| signer_from_mnemonic(&self.mnemonic, 2000 + i).map_err(CrossChainError::from))
            .collect()
    }
}

/// Everything deployed on one chain.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ChainDeployment {
    /// The chain.
    pub chain_id: u64,
    /// The vending suite.
    pub suite: SuiteAddresses,
    /// LayerZero v2.
    pub lz: LzChain,
    /// Hyperlane.
    pub hl: HlChain,
    /// The cross-chain app.
    pub app: AppAddresses,
    /// The court and insurance pool, when the network was deployed with cover.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cover: Option<ChainCover>,
}

/// The cover deployed on one chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainCover {
    /// The court deciding claims (with its network token and beacon).
    pub court: CourtAddresses,
    /// The insurance pool set on the chain's Storefront.
    pub pool: Address,
}

/// A deployed network.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Network {
    /// Per chain, in the order of the clients given.
    pub chains: Vec<ChainDeployment>,
    /// The LayerZero pathway security in force.
    pub pathways: PathwayConfig,
    /// Gas used by the whole deployment.
    pub deploy_gas: u64,
}

impl Network {
    /// The deployment on `chain_id`.
    pub fn chain(&self, chain_id: u64) -> Result<&ChainDeployment> {
        self.chains.iter().find(|c| c.chain_id == chain_id).ok_or(CrossChainError::UnknownChain(chain_id))
    }

    /// The app handles on every chain, through `clients` (one per chain, any order).
    pub fn apps<C: ChainClient + Clone>(&self, clients: &[C]) -> Result<Vec<CrossChain<C>>> {
        self.chains
            .iter()
            .map(|c| {
                let client = clients
                    .iter()
                    .find(|k| k.chain_id() == c.chain_id)
                    .ok_or(CrossChainError::UnknownChain(c.chain_id))?;
                Ok(CrossChain::new(client.clone(), c.app))
            })
            .collect()
    }
}

/// Deploys and wires the whole network. `admins` (one client per chain) deploy and own everything; `relayer`
/// is the account the off-chain roles submit from (granted the DVNs' and executor's admin role).
pub async fn deploy<C: ChainClient + Clone>(admins: &[C], relayer: Address, config: &NetworkConfig) -> Result<Network> {
    if config.home >= admins.len() {
        return Err(CrossChainError::Decode(format!("home index {} out of {} chains", config.home, admins.len())));
    }
    let dvn_specs = (0..config.dvns)
        .map(|d| Ok(DvnSpec::from_keys(&config.dvn_keys(d)?, config.dvn_quorum)))
        .collect::<Result<Vec<_>>>()?;
    let validators: Vec<Address> = config.validator_keys()?.iter().map(PrivateKeySigner::address).collect();
    let mut partial = Vec::new();
    let mut gas = 0;
    for (index, client) in admins.iter().enumerate() {
        let admin = client.sender();
        let suite = vending::deploy_suite(client, &SuiteConfig::new(admin)).await?;
        let cover = match &config.cover {
            Some(cover) => Some(deploy_cover(client, &suite, cover).await?),
            None => None,
        };
        let eid =
            layerzero::local_eid(u32::try_from(index).map_err(|_| CrossChainError::Decode("chain index".into()))?);
        let lz =
            layerzero::deploy_chain(client, eid, &LzChainConfig::new(dvn_specs.clone()).with_admins([relayer])).await?;
        let hl = hyperlane::deploy_chain(
            client,
            hyperlane::domain_of(client.chain_id())?,
            &HlChainConfig::new(admin, validators.clone(), config.validator_threshold),
        )
        .await?;
        gas += lz.deploy_gas + hl.deploy_gas;
        partial.push((suite, cover, lz, hl));
    }
    let pathways = config.pathways();
    let pairs: Vec<(C, LzChain)> = admins.iter().cloned().zip(partial.iter().map(|(_, _, lz, _)| lz.clone())).collect();
    gas += layerzero::wire(&pairs, &pathways).await?.gas_used;
    let mut chains = Vec::new();
    for (index, (client, (suite, cover, lz, hl))) in admins.iter().zip(partial).enumerate() {
        let app_config = AppConfig::new(client.sender(), suite, index == config.home, lz.endpoint, hl.mailbox, hl.ism);
        let app = crosschain::deploy_app(client, &app_config).await?;
        chains.push(ChainDeployment { chain_id: client.chain_id(), suite, lz, hl, app, cover });
    }
    for (client, local) in admins.iter().zip(&chains) {
        for remote in chains.iter().filter(|r| r.chain_id != local.chain_id) {
            crosschain::link(client, &local.app, &remote.app, remote.lz.eid).await?;
        }
    }
    Ok(Network { chains, pathways, deploy_gas: gas })
}

/// Deploys a court over `suite`'s payment token and an insurance pool deciding claims through it, set on the
/// Storefront; `client` administers both.
async fn deploy_cover<C: ChainClient>(client: &C, suite: &SuiteAddresses, config: &CoverConfig) -> Result<ChainCover> {
    let mut court_config = CourtConfig::new(client.sender(), suite.token);
    court_config.params.feePerJuror = alloy_primitives::U256::from(config.fee_per_juror);
    let court = deploy_court(client, &court_config).await?;
    let pool = deploy_insurance(client, suite, court.court, &config.pool).await?;
    Ok(ChainCover { court, pool })
}

/// Which transports' off-chain roles are running (an outage stops one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TransportsUp {
    /// LayerZero's DVNs and executor.
    pub layerzero: bool,
    /// Hyperlane's validators and relayer.
    pub hyperlane: bool,
}

/// What one round of every role did.
#[derive(Debug, Clone, Default)]
pub struct RelayersReport {
    /// LayerZero verifications (`PayloadVerified`).
    pub lz_verified: usize,
    /// LayerZero deliveries (`PacketDelivered`).
    pub lz_delivered: usize,
    /// Hyperlane checkpoints signed.
    pub hl_signed: usize,
    /// Hyperlane deliveries (`Process`).
    pub hl_delivered: usize,
    /// The keeper's tick.
    pub keeper: KeeperReport,
    /// Errors from the protocol roles (each retried next round).
    pub errors: Vec<String>,
}

impl RelayersReport {
    /// Whether this round moved anything.
    pub fn progressed(&self) -> bool {
        self.lz_verified + self.lz_delivered + self.hl_signed + self.hl_delivered > 0
            || self.keeper.discovered
                + self.keeper.reported
                + self.keeper.expired
                + self.keeper.retried
                + self.keeper.ended
                > 0
    }
}

/// Every off-chain role of the network, each with its own progress database under one directory.
#[derive(Debug)]
pub struct Relayers<C> {
    dvns: Vec<DvnWorker<C>>,
    executor: ExecutorWorker<C>,
    validators: Vec<Validator<C>>,
    relayer: Relayer<C>,
    keeper: CheckoutKeeper<C>,
    /// Which transports are running.
    pub up: TransportsUp,
}

impl<C: ChainClient + Clone> Relayers<C> {
    /// Every role over `network`, submitting through `clients` (one per chain, the `relayer` account given to
    /// [`deploy`]), keeping progress and checkpoints under `dir`.
    pub fn new(
        network: &Network,
        config: &NetworkConfig,
        clients: &[C],
        dir: &Path,
        keeper: KeeperConfig,
    ) -> Result<Self> {
        std::fs::create_dir_all(dir).map_err(|e| CrossChainError::Decode(format!("create {}: {e}", dir.display())))?;
        let client_of = |chain_id: u64| -> Result<C> {
            clients.iter().find(|c| c.chain_id() == chain_id).cloned().ok_or(CrossChainError::UnknownChain(chain_id))
        };
        let lz_pairs =
            network.chains.iter().map(|c| Ok((client_of(c.chain_id)?, c.lz.clone()))).collect::<Result<Vec<_>>>()?;
        let hl_pairs =
            network.chains.iter().map(|c| Ok((client_of(c.chain_id)?, c.hl.clone()))).collect::<Result<Vec<_>>>()?;
        let mut dvns = Vec::new();
        for d in 0..config.dvns {
            let progress = Progress::open(dir.join(format!("lz-dvn{d}.redb")))?;
            dvns.push(DvnWorker::new(lz_pairs.clone(), d, config.dvn_keys(d)?, &network.pathways, progress)?);
        }
        let executor = ExecutorWorker::new(lz_pairs, Progress::open(dir.join("lz-executor.redb"))?)?;
        let mut validators = Vec::new();
        for key in config.validator_keys()? {
            for chain in &network.chains {
                let name = format!("{}-{}", key.address(), chain.chain_id);
                let progress = Progress::open(dir.join(format!("hl-validator-{name}.redb")))?;
                let checkpoint_dir: PathBuf = dir.join("checkpoints").join(&name);
                let vc =
                    ValidatorConfig { origin: chain.hl.clone(), checkpoint_dir, confirmations: config.confirmations };
                validators.push(Validator::new(client_of(chain.chain_id)?, key.clone(), vc, progress)?);
            }
        }
        let relayer = Relayer::new(
            hl_pairs,
            Progress::open(dir.join("hl-relayer.redb"))?,
            RelayerConfig { confirmations: config.confirmations },
        )?;
        let keeper = CheckoutKeeper::new(network.apps(clients)?, Progress::open(dir.join("keeper.redb"))?, keeper);
        Ok(Self { dvns, executor, validators, relayer, keeper, up: TransportsUp { layerzero: true, hyperlane: true } })
    }

    /// The keeper.
    pub fn keeper(&self) -> &CheckoutKeeper<C> {
        &self.keeper
    }

    /// The LayerZero executor role (its packet records tell what was delivered and what was refused).
    pub fn executor(&self) -> &ExecutorWorker<C> {
        &self.executor
    }

    /// The Hyperlane relayer role (its message records tell what was delivered and what was refused).
    pub fn relayer(&self) -> &Relayer<C> {
        &self.relayer
    }

    /// The LayerZero DVN operators' roles, in operator order.
    pub fn dvns(&self) -> &[DvnWorker<C>] {
        &self.dvns
    }

    /// One round of every running role: Hyperlane validators and relayer, LayerZero DVNs and executor, then the
    /// keeper.
    pub async fn tick(&mut self) -> Result<RelayersReport> {
        let mut report = RelayersReport::default();
        if self.up.hyperlane {
            for v in &mut self.validators {
                match v.tick().await {
                    Ok(r) => report.hl_signed += r.signed as usize,
                    Err(e) => report.errors.push(format!("hyperlane validator: {e}")),
                }
            }
            match self.relayer.tick().await {
                Ok(r) => report.hl_delivered += r.delivered as usize,
                Err(e) => report.errors.push(format!("hyperlane relayer: {e}")),
            }
        }
        if self.up.layerzero {
            for d in &mut self.dvns {
                match d.tick().await {
                    Ok(r) => report.lz_verified += r.verified,
                    Err(e) => report.errors.push(format!("layerzero dvn: {e}")),
                }
            }
            match self.executor.tick().await {
                Ok(r) => report.lz_delivered += r.delivered,
                Err(e) => report.errors.push(format!("layerzero executor: {e}")),
            }
        }
        report.keeper = self.keeper.tick().await?;
        Ok(report)
    }
}
