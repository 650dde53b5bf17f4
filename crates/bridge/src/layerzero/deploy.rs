//! Deploying LayerZero v2 on one chain from the published artifacts, wiring pathways between chains, and
//! the quorum invariant.

use std::collections::BTreeMap;

use alloy_dyn_abi::DynSolValue;
use alloy_primitives::{Address, U256, keccak256};
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::SolCall;
use automat_chain::{ChainClient, ChainClientExt, Receipt, signer_from_mnemonic};
use automat_contracts::{artifacts, deploy_artifact};
use serde::{Deserialize, Serialize};

use super::bindings::{
    DvnDstConfigParam, ExecutorConfig, ExecutorDstConfigParam, IDVN, IEndpointV2, IExecutor, IPriceFeed,
    IReceiveUln302, ISendUln302, Price, SetDefaultExecutorConfigParam, SetDefaultUlnConfigParam, UlnConfig,
    UpdatePrice,
};
use crate::{BridgeError, Result};

/// The published LayerZero artifacts this module deploys, by name under `contracts/out/protocols/layerzero/`.
pub const ARTIFACTS: [&str; 9] = [
    "EndpointV2",
    "SendUln302",
    "ReceiveUln302",
    "PriceFeed",
    "Treasury",
    "Executor",
    "ExecutorFeeLib",
    "DVN",
    "DVNFeeLib",
];

/// Endpoint ids below this are LayerZero v1 ids to `ExecutorFeeLib`; local deployments use ids above it.
pub const EID_V2_BASE: u32 = 30_000;

/// Price feeds and DVN ids key a remote chain by `eid % 30_000`.
pub const fn eid_key(eid: u32) -> u32 {
    eid % EID_V2_BASE
}

/// A local endpoint id for the chain at `index` of a deployment (`30_001`, `30_002`, ...). Ids whose key
/// (`eid % 30_000`) is 110 or 111 would select the Arbitrum or Optimism fee model, so keep `index` small.
pub const fn local_eid(index: u32) -> u32 {
    EID_V2_BASE + 1 + index
}

/// `keccak256("ADMIN_ROLE")`, the role of the workers' (DVN, executor) administrators.
pub fn admin_role() -> alloy_primitives::B256 {
    keccak256("ADMIN_ROLE")
}

/// `SendUln302`/`ReceiveUln302` config type of the ULN config in `EndpointV2.setConfig`/`getConfig`.
pub const CONFIG_TYPE_ULN: u32 = 2;
/// `SendUln302` config type of the executor config.
pub const CONFIG_TYPE_EXECUTOR: u32 = 1;

/// One DVN to deploy: its multisig signers and quorum.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DvnSpec {
    /// The signer addresses (keys stay with the DVN operator).
    pub signers: Vec<Address>,
    /// Signatures needed on every instruction.
    pub quorum: u64,
}

impl DvnSpec {
    /// A DVN whose signers are `keys`.
    pub fn from_keys(keys: &[PrivateKeySigner], quorum: u64) -> Self {
        Self { signers: keys.iter().map(PrivateKeySigner::address).collect(), quorum }
    }
}

/// Deterministic development keys for DVN operator `dvn`: `count` accounts of `mnemonic` starting at index
/// `1000 + 10 * dvn` (far from the prefunded accounts; signers never pay gas). Never for a public network.
pub fn dev_dvn_keys(mnemonic: &str, dvn: u32, count: u32) -> Result<Vec<PrivateKeySigner>> {
    (0..count).map(|k| Ok(signer_from_mnemonic(mnemonic, 1000 + 10 * dvn + k)?)).collect()
}

/// What to deploy on one chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LzChainConfig {
    /// The DVNs, in operator order (index `i` on every chain belongs to operator `i`).
    pub dvns: Vec<DvnSpec>,
    /// Accounts granted the executor's and every DVN's `ADMIN_ROLE` besides the deployer (the accounts the
    /// off-chain roles submit from).
    pub admins: Vec<Address>,
    /// `SendUln302`'s gas limit for the treasury call.
    pub treasury_gas_limit: U256,
    /// `SendUln302`'s cap on the treasury's native fee.
    pub treasury_native_fee_cap: U256,
}

impl LzChainConfig {
    /// A chain with these DVNs, no extra admins, and LayerZero's test-helper treasury settings.
    pub fn new(dvns: Vec<DvnSpec>) -> Self {
        Self {
            dvns,
            admins: Vec::new(),
            treasury_gas_limit: U256::from(100_000u64),
            treasury_native_fee_cap: U256::from(1_000_000_000_000u64),
        }
    }

    /// Also grants `ADMIN_ROLE` on the executor and the DVNs to `admins`.
    pub fn with_admins(mut self, admins: impl IntoIterator<Item = Address>) -> Self {
        self.admins.extend(admins);
        self
    }
}

/// One deployed DVN.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LzDvn {
    /// The `DVN` contract (the address the ULN configs list).
    pub address: Address,
    /// Its `vid` (`eid % 30_000`), part of every signed instruction.
    pub vid: u32,
    /// Signer addresses at deployment.
    pub signers: Vec<Address>,
    /// Quorum at deployment.
    pub quorum: u64,
}

/// LayerZero v2 as deployed on one chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LzChain {
    /// EIP-155 chain id.
    pub chain_id: u64,
    /// LayerZero endpoint id.
    pub eid: u32,
    /// Owner of the endpoint, libraries, price feed and treasury; role admin of the executor.
    pub owner: Address,
    /// `EndpointV2`.
    pub endpoint: Address,
    /// `SendUln302`.
    pub send_uln: Address,
    /// `ReceiveUln302`.
    pub receive_uln: Address,
    /// `PriceFeed`.
    pub price_feed: Address,
    /// `Treasury`.
    pub treasury: Address,
    /// `ExecutorFeeLib`.
    pub executor_fee_lib: Address,
    /// `Executor`.
    pub executor: Address,
    /// `DVNFeeLib`.
    pub dvn_fee_lib: Address,
    /// The DVNs, in operator order.
    pub dvns: Vec<LzDvn>,
    /// Gas used by every deployment and initialisation transaction.
    pub deploy_gas: u64,
}

impl LzChain {
    /// The DVN of operator `index`.
    pub fn dvn(&self, index: usize) -> Result<&LzDvn> {
        self.dvns.get(index).ok_or_else(|| BridgeError::Config(format!("chain {} has no DVN #{index}", self.eid)))
    }
}

/// Registers the custom errors of every LayerZero artifact with `client`'s revert decoder, so reverts and
/// `LzReceiveAlert`/`ExecuteFailed` reasons read by name.
pub fn register_errors<C: ChainClient>(client: &C) -> Result<()> {
    for name in ARTIFACTS {
        client.revert_decoder().register_abi(&artifacts::get(name)?.abi);
    }
    Ok(())
}

async fn deploy<C: ChainClient>(client: &C, name: &str, args: &[DynSolValue], gas: &mut u64) -> Result<Address> {
    let artifact = artifacts::get(name)?;
    let deployment = deploy_artifact(client, &artifact, args).await?;
    *gas += deployment.receipt.gas_used;
    tracing::debug!(contract = name, address = %deployment.address, gas = deployment.receipt.gas_used, "deployed");
    Ok(deployment.address)
}

async fn send<C: ChainClient, T: SolCall + Sync>(client: &C, to: Address, call: &T, gas: &mut u64) -> Result<Receipt> {
    let receipt = client.send_sol(to, call).await?;
    *gas += receipt.gas_used;
    Ok(receipt)
}

fn addresses(list: &[Address]) -> DynSolValue {
    DynSolValue::Array(list.iter().map(|a| DynSolValue::Address(*a)).collect())
}

/// Deploys LayerZero v2 on the chain behind `client` with endpoint id `eid`, in the order the protocol's
/// own deployment uses: `EndpointV2`, `SendUln302`, `ReceiveUln302`, `PriceFeed` (+ `initialize`),
/// `Treasury`, `ExecutorFeeLib`, `Executor` (+ `initialize`, `setWorkerFeeLib`), `DVNFeeLib`, then each DVN
/// (+ `setWorkerFeeLib`). The client's account owns everything and administers the workers.
pub async fn deploy_chain<C: ChainClient>(client: &C, eid: u32, config: &LzChainConfig) -> Result<LzChain> {
    if eid <= EID_V2_BASE {
        return Err(BridgeError::Config(format!("endpoint id {eid} must be above {EID_V2_BASE} (v2 ids)")));
    }
    if config.dvns.len() < 2 {
        return Err(BridgeError::Config("at least two DVNs are needed for a quorum of two".into()));
    }
    register_errors(client)?;
    let owner = client.sender();
    let mut gas = 0;
    let eid_value = || DynSolValue::Uint(U256::from(eid), 32);
    let endpoint = deploy(client, "EndpointV2", &[eid_value(), DynSolValue::Address(owner)], &mut gas).await?;
    let send_uln = deploy(
        client,
        "SendUln302",
        &[
            DynSolValue::Address(endpoint),
            DynSolValue::Uint(config.treasury_gas_limit, 256),
            DynSolValue::Uint(config.treasury_native_fee_cap, 256),
        ],
        &mut gas,
    )
    .await?;
    let receive_uln = deploy(client, "ReceiveUln302", &[DynSolValue::Address(endpoint)], &mut gas).await?;
    let price_feed = deploy(client, "PriceFeed", &[], &mut gas).await?;
    send(client, price_feed, &IPriceFeed::initializeCall { priceUpdater: owner }, &mut gas).await?;
    let treasury = deploy(client, "Treasury", &[], &mut gas).await?;
    let native_decimals_rate = DynSolValue::Uint(U256::from(10u64).pow(U256::from(18u64)), 256);
    let executor_fee_lib =
        deploy(client, "ExecutorFeeLib", &[eid_value(), native_decimals_rate.clone()], &mut gas).await?;
    let executor = deploy(client, "Executor", &[], &mut gas).await?;
    let mut admins = vec![owner];
    admins.extend(config.admins.iter().copied().filter(|a| *a != owner));
    send(
        client,
        executor,
        &IExecutor::initializeCall {
            endpoint,
            receiveUln301: Address::ZERO,
            messageLibs: vec![send_uln, receive_uln],
            priceFeed: price_feed,
            roleAdmin: owner,
            admins: admins.clone(),
        },
        &mut gas,
    )
    .await?;
    send(client, executor, &IExecutor::setWorkerFeeLibCall { workerFeeLib: executor_fee_lib }, &mut gas).await?;
    let dvn_fee_lib = deploy(client, "DVNFeeLib", &[eid_value(), native_decimals_rate], &mut gas).await?;

    let vid = eid_key(eid);
    let mut dvns = Vec::with_capacity(config.dvns.len());
    for spec in &config.dvns {
        if spec.quorum == 0 || (spec.signers.len() as u64) < spec.quorum {
            return Err(BridgeError::Config(format!(
                "DVN quorum {} with {} signers is not satisfiable",
                spec.quorum,
                spec.signers.len()
            )));
        }
        let address = deploy(
            client,
            "DVN",
            &[
                eid_value(),
                DynSolValue::Uint(U256::from(vid), 32),
                addresses(&[send_uln, receive_uln]),
                DynSolValue::Address(price_feed),
                addresses(&spec.signers),
                DynSolValue::Uint(U256::from(spec.quorum), 64),
                addresses(&admins),
            ],
            &mut gas,
        )
        .await?;
        send(client, address, &IDVN::setWorkerFeeLibCall { workerFeeLib: dvn_fee_lib }, &mut gas).await?;
        dvns.push(LzDvn { address, vid, signers: spec.signers.clone(), quorum: spec.quorum });
    }
    Ok(LzChain {
        chain_id: client.chain_id(),
        eid,
        owner,
        endpoint,
        send_uln,
        receive_uln,
        price_feed,
        treasury,
        executor_fee_lib,
        executor,
        dvn_fee_lib,
        dvns,
        deploy_gas: gas,
    })
}

/// The DVN set and confirmations of one pathway (source → destination), by DVN operator index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PathwaySecurity {
    /// Source-chain blocks a packet must have (counting its own) before DVNs verify it.
    pub confirmations: u64,
    /// DVN operators that must all verify (at least two).
    pub required_dvns: Vec<usize>,
    /// DVN operators of which `optional_threshold` must verify.
    pub optional_dvns: Vec<usize>,
    /// How many optional DVNs must verify (0 when there are none).
    pub optional_threshold: u8,
}

impl PathwaySecurity {
    /// `required` DVNs, no optional ones, `confirmations` confirmations.
    pub fn required(confirmations: u64, required: impl Into<Vec<usize>>) -> Self {
        Self { confirmations, required_dvns: required.into(), optional_dvns: Vec::new(), optional_threshold: 0 }
    }

    /// Adds optional DVNs with a threshold.
    pub fn with_optional(mut self, optional: impl Into<Vec<usize>>, threshold: u8) -> Self {
        self.optional_dvns = optional.into();
        self.optional_threshold = threshold;
        self
    }

    /// The `UlnConfig` this security means on `chain` (whose DVNs verify there), required and optional DVNs
    /// sorted ascending as `UlnBase` demands.
    pub fn uln_config(&self, chain: &LzChain) -> Result<UlnConfig> {
        let pick = |indices: &[usize]| -> Result<Vec<Address>> {
            let mut list = indices.iter().map(|i| chain.dvn(*i).map(|d| d.address)).collect::<Result<Vec<_>>>()?;
            list.sort();
            if list.windows(2).any(|w| w[0] == w[1]) {
                return Err(BridgeError::Config(format!("DVN listed twice in {indices:?}")));
            }
            Ok(list)
        };
        let required = pick(&self.required_dvns)?;
        let optional = pick(&self.optional_dvns)?;
        let count =
            |list: &[Address]| u8::try_from(list.len()).map_err(|_| BridgeError::Config("more than 127 DVNs".into()));
        if optional.is_empty() != (self.optional_threshold == 0)
            || usize::from(self.optional_threshold) > optional.len()
        {
            return Err(BridgeError::Config(format!(
                "optional threshold {} does not fit {} optional DVNs",
                self.optional_threshold,
                optional.len()
            )));
        }
        let config = UlnConfig {
            confirmations: self.confirmations,
            requiredDVNCount: count(&required)?,
            optionalDVNCount: count(&optional)?,
            optionalDVNThreshold: self.optional_threshold,
            requiredDVNs: required,
            optionalDVNs: optional,
        };
        check_uln_config(&config)?;
        Ok(config)
    }
}

/// Security of every pathway: a default and per-pathway overrides keyed by `(source eid, destination eid)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PathwayConfig {
    /// Security of pathways without an override.
    pub default: PathwaySecurity,
    /// Overrides by `(source eid, destination eid)`.
    pub pathways: BTreeMap<(u32, u32), PathwaySecurity>,
    /// Worker pricing and limits written on every chain.
    pub pricing: Pricing,
}

impl PathwayConfig {
    /// Every pathway with `security`.
    pub fn new(security: PathwaySecurity) -> Self {
        Self { default: security, pathways: BTreeMap::new(), pricing: Pricing::default() }
    }

    /// Overrides the pathway `src → dst`.
    pub fn with_pathway(mut self, src: u32, dst: u32, security: PathwaySecurity) -> Self {
        self.pathways.insert((src, dst), security);
        self
    }

    /// The security of `src → dst`.
    pub fn security(&self, src: u32, dst: u32) -> &PathwaySecurity {
        self.pathways.get(&(src, dst)).unwrap_or(&self.default)
    }
}

/// Prices and worker settings written by [`wire`] (fees are real but small; nothing is free, so
/// `quote`/`send` exercise the whole fee path).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pricing {
    /// `PriceFeed` ratio of the remote native token to the local one, scaled by 1e20.
    pub price_ratio: u128,
    /// Remote gas price in wei.
    pub gas_price_in_unit: u64,
    /// Remote calldata gas per byte.
    pub gas_per_byte: u32,
    /// Largest message the executor accepts.
    pub max_message_size: u32,
    /// Executor overhead gas on top of the lzReceive option.
    pub executor_base_gas: u64,
    /// Largest native value the executor carries.
    pub executor_native_cap: u128,
    /// Gas a DVN's verification costs on the destination.
    pub dvn_gas: u64,
    /// Fee multiplier of the workers, in basis points.
    pub multiplier_bps: u16,
}

impl Default for Pricing {
    fn default() -> Self {
        Self {
            price_ratio: 100_000_000_000_000_000_000,
            gas_price_in_unit: 1_000_000_000,
            gas_per_byte: 16,
            max_message_size: 10_000,
            executor_base_gas: 50_000,
            executor_native_cap: 1_000_000_000_000_000_000,
            dvn_gas: 100_000,
            multiplier_bps: 10_000,
        }
    }
}

/// Gas used by [`wire`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WireReport {
    /// Transactions sent.
    pub transactions: usize,
    /// Gas they used.
    pub gas_used: u64,
}

/// Wires every ordered pair of `chains`: on each chain, registers both libraries, sets the treasury, the
/// default ULN configs of the send library (its pathways out) and of the receive library (its pathways in),
/// the default executor configs, and only then the endpoint's default libraries (the endpoint checks
/// `isSupportedEid`), the price feed's prices, and the executor's and every DVN's destination configs.
/// Settings already in place are left alone, so wiring again after adding a chain is safe. After every ULN
/// change the on-chain configs are read back through [`check_quorum`].
pub async fn wire<C: ChainClient>(chains: &[(C, LzChain)], config: &PathwayConfig) -> Result<WireReport> {
    let mut report = WireReport::default();
    let mut gas = 0;
    for (client, local) in chains {
        if client.chain_id() != local.chain_id {
            return Err(BridgeError::Config(format!(
                "client of chain {} paired with the deployment on chain {}",
                client.chain_id(),
                local.chain_id
            )));
        }
        let remotes: Vec<&LzChain> = chains.iter().map(|(_, c)| c).filter(|c| c.eid != local.eid).collect();
        let mut sent = 0usize;

        for lib in [local.send_uln, local.receive_uln] {
            if !client.call_sol(local.endpoint, &IEndpointV2::isRegisteredLibraryCall { lib }).await? {
                send(client, local.endpoint, &IEndpointV2::registerLibraryCall { lib }, &mut gas).await?;
                sent += 1;
            }
        }
        if client.call_sol(local.send_uln, &ISendUln302::treasuryCall {}).await? != local.treasury {
            send(client, local.send_uln, &ISendUln302::setTreasuryCall { treasury: local.treasury }, &mut gas).await?;
            sent += 1;
        }

        let outbound = remotes
            .iter()
            .map(|r| {
                Ok(SetDefaultUlnConfigParam {
                    eid: r.eid,
                    config: config.security(local.eid, r.eid).uln_config(local)?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let inbound = remotes
            .iter()
            .map(|r| {
                Ok(SetDefaultUlnConfigParam {
                    eid: r.eid,
                    config: config.security(r.eid, local.eid).uln_config(local)?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        if !remotes.is_empty() {
            send(client, local.send_uln, &ISendUln302::setDefaultUlnConfigsCall { params: outbound }, &mut gas).await?;
            send(client, local.receive_uln, &IReceiveUln302::setDefaultUlnConfigsCall { params: inbound }, &mut gas)
                .await?;
            sent += 2;
            for remote in &remotes {
                check_quorum(client, local.send_uln, Address::ZERO, remote.eid).await?;
                check_quorum(client, local.receive_uln, Address::ZERO, remote.eid).await?;
            }
            let executor_configs = remotes
                .iter()
                .map(|r| SetDefaultExecutorConfigParam {
                    eid: r.eid,
                    config: ExecutorConfig {
                        maxMessageSize: config.pricing.max_message_size,
                        executor: local.executor,
                    },
                })
                .collect();
            send(
                client,
                local.send_uln,
                &ISendUln302::setDefaultExecutorConfigsCall { params: executor_configs },
                &mut gas,
            )
            .await?;
            sent += 1;
        }

        for remote in &remotes {
            let eid = remote.eid;
            if client.call_sol(local.endpoint, &IEndpointV2::defaultSendLibraryCall { eid }).await? != local.send_uln {
                let call = IEndpointV2::setDefaultSendLibraryCall { eid, newLib: local.send_uln };
                send(client, local.endpoint, &call, &mut gas).await?;
                sent += 1;
            }
            if client.call_sol(local.endpoint, &IEndpointV2::defaultReceiveLibraryCall { eid }).await?
                != local.receive_uln
            {
                let call = IEndpointV2::setDefaultReceiveLibraryCall {
                    eid,
                    newLib: local.receive_uln,
                    gracePeriod: U256::ZERO,
                };
                send(client, local.endpoint, &call, &mut gas).await?;
                sent += 1;
            }
        }

        if !remotes.is_empty() {
            let pricing = &config.pricing;
            let prices = remotes
                .iter()
                .map(|r| UpdatePrice {
                    eid: eid_key(r.eid),
                    price: Price {
                        priceRatio: pricing.price_ratio,
                        gasPriceInUnit: pricing.gas_price_in_unit,
                        gasPerByte: pricing.gas_per_byte,
                    },
                })
                .collect();
            send(client, local.price_feed, &IPriceFeed::setPriceCall { price: prices }, &mut gas).await?;
            let executor_dst = remotes
                .iter()
                .map(|r| ExecutorDstConfigParam {
                    dstEid: r.eid,
                    lzReceiveBaseGas: pricing.executor_base_gas,
                    lzComposeBaseGas: 0,
                    multiplierBps: pricing.multiplier_bps,
                    floorMarginUSD: 0,
                    nativeCap: pricing.executor_native_cap,
                })
                .collect();
            send(client, local.executor, &IExecutor::setDstConfigCall { params: executor_dst }, &mut gas).await?;
            sent += 2;
            for dvn in &local.dvns {
                let dvn_dst = remotes
                    .iter()
                    .map(|r| DvnDstConfigParam {
                        dstEid: r.eid,
                        gas: pricing.dvn_gas,
                        multiplierBps: pricing.multiplier_bps,
                        floorMarginUSD: 0,
                    })
                    .collect();
                send(client, dvn.address, &IDVN::setDstConfigCall { params: dvn_dst }, &mut gas).await?;
                sent += 1;
            }
        }
        report.transactions += sent;
    }
    report.gas_used = gas;
    Ok(report)
}

/// The invariant every ULN config must keep: at least two required DVNs, and at least two verifications
/// in all (`requiredDVNCount + optionalDVNThreshold ≥ 2`), so no single DVN, and no admin mistake, can
/// bring a pathway's quorum to one or zero.
pub fn check_uln_config(config: &UlnConfig) -> Result<()> {
    let required = config.requiredDVNs.len();
    let total = usize::from(config.requiredDVNCount) + usize::from(config.optionalDVNThreshold);
    if required < 2 || usize::from(config.requiredDVNCount) != required || total < 2 {
        return Err(BridgeError::Config(format!(
            "ULN quorum too low: {} required DVNs (count {}), optional threshold {} (need ≥ 2 required and ≥ 2 in all)",
            required, config.requiredDVNCount, config.optionalDVNThreshold
        )));
    }
    Ok(())
}

/// Reads the effective ULN config of `oapp` (`Address::ZERO`: the default) for `remote_eid` from the ULN at
/// `lib` (send or receive) and checks [`check_uln_config`] on it. A config the ULN itself refuses to
/// resolve (`LZ_ULN_AtLeastOneDVN`) fails the same way.
pub async fn check_quorum<C: ChainClient>(
    client: &C,
    lib: Address,
    oapp: Address,
    remote_eid: u32,
) -> Result<UlnConfig> {
    let config = client
        .call_sol(lib, &IReceiveUln302::getUlnConfigCall { oapp, remoteEid: remote_eid })
        .await
        .map_err(|e| BridgeError::Config(format!("ULN {lib} config of {oapp} for eid {remote_eid}: {e}")))?;
    check_uln_config(&config)
        .map_err(|e| BridgeError::Config(format!("ULN {lib}, oapp {oapp}, remote eid {remote_eid}: {e}")))?;
    Ok(config)
}

/// Re-runs [`check_quorum`] on both libraries of `chain` for every remote in `remote_eids`, for the defaults
/// and for each of `oapps` (which may have their own config through `EndpointV2.setConfig`).
pub async fn check_chain<C: ChainClient>(
    client: &C,
    chain: &LzChain,
    remote_eids: &[u32],
    oapps: &[Address],
) -> Result<()> {
    for &remote in remote_eids {
        for lib in [chain.send_uln, chain.receive_uln] {
            check_quorum(client, lib, Address::ZERO, remote).await?;
            for &oapp in oapps {
                check_quorum(client, lib, oapp, remote).await?;
            }
        }
    }
    Ok(())
}

/// Sets the default ULN config of the library `lib` (send or receive) for `remote_eid`, refusing a config
/// that breaks [`check_uln_config`] before sending, and reading the result back after.
pub async fn set_default_uln_config<C: ChainClient>(
    client: &C,
    lib: Address,
    remote_eid: u32,
    config: UlnConfig,
) -> Result<Receipt> {
    check_uln_config(&config)?;
    let params = vec![SetDefaultUlnConfigParam { eid: remote_eid, config }];
    let receipt = client.send_sol(lib, &IReceiveUln302::setDefaultUlnConfigsCall { params }).await?;
    check_quorum(client, lib, Address::ZERO, remote_eid).await?;
    Ok(receipt)
}
