//! Deploying Hyperlane on one chain from `@hyperlane-xyz/core`'s published artifacts, the way Hyperlane's
//! own core deployer does, and keeping its security module's quorum honest.

use alloy_dyn_abi::DynSolValue;
use alloy_primitives::{Address, Bytes, U256};
use automat_chain::{ChainClient, ChainClientExt};
use automat_contracts::{artifacts, deploy_artifact};
use serde::{Deserialize, Serialize};

use super::bindings::{IMailbox, IMultisigIsm, IThresholdAddressFactory, MODULE_TYPE_MESSAGE_ID_MULTISIG};
use crate::{BridgeError, Result};

/// The smallest quorum this module accepts: one compromised or mistaken key must never be enough.
pub const MIN_THRESHOLD: u8 = 2;

/// The default cap on the protocol fee, fixed at deployment (`ProtocolFee.MAX_PROTOCOL_FEE`): 1 ether.
pub const DEFAULT_MAX_PROTOCOL_FEE: U256 = U256::from_limbs([1_000_000_000_000_000_000, 0, 0, 0]);

/// What to deploy on one chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HlChainConfig {
    /// Owner of the Mailbox (may set its ISM and hooks) and of the ProtocolFee hook.
    pub owner: Address,
    /// Validators whose signatures the default ISM accepts (any order; deployed sorted ascending).
    pub validators: Vec<Address>,
    /// Signatures required, at least [`MIN_THRESHOLD`] and at most the number of validators.
    pub threshold: u8,
    /// Fee charged per dispatch by the required ProtocolFee hook, in wei (default 0).
    pub protocol_fee: U256,
    /// Upper bound on the protocol fee, fixed for the hook's lifetime.
    pub max_protocol_fee: U256,
    /// Receives collected protocol fees (`None`: the owner).
    pub fee_beneficiary: Option<Address>,
}

impl HlChainConfig {
    /// A configuration with no protocol fee.
    pub fn new(owner: Address, validators: Vec<Address>, threshold: u8) -> Self {
        Self {
            owner,
            validators,
            threshold,
            protocol_fee: U256::ZERO,
            max_protocol_fee: DEFAULT_MAX_PROTOCOL_FEE,
            fee_beneficiary: None,
        }
    }

    /// The same configuration charging `fee` wei per dispatch.
    pub fn with_protocol_fee(mut self, fee: U256) -> Self {
        self.protocol_fee = fee;
        self
    }

    /// Checks the configuration; returns the validators sorted ascending.
    pub fn validate(&self) -> Result<Vec<Address>> {
        if self.owner == Address::ZERO {
            return Err(BridgeError::Config("hyperlane owner is the zero address".into()));
        }
        if self.protocol_fee > self.max_protocol_fee {
            return Err(BridgeError::Config(format!(
                "protocol fee {} exceeds its maximum {}",
                self.protocol_fee, self.max_protocol_fee
            )));
        }
        validator_set(&self.validators, self.threshold)
    }
}

/// Checks a validator set and threshold — no zero address, no duplicate (a key listed twice would count
/// twice toward the quorum), `MIN_THRESHOLD <= threshold <= validators` — and returns the validators sorted
/// ascending, the order Hyperlane's deployer passes them to the ISM factory.
pub fn validator_set(validators: &[Address], threshold: u8) -> Result<Vec<Address>> {
    let mut sorted = validators.to_vec();
    sorted.sort();
    if sorted.contains(&Address::ZERO) {
        return Err(BridgeError::Config("a validator is the zero address".into()));
    }
    if sorted.windows(2).any(|w| w[0] == w[1]) {
        return Err(BridgeError::Config("a validator is listed twice".into()));
    }
    if threshold < MIN_THRESHOLD {
        return Err(BridgeError::Config(format!(
            "threshold {threshold} is below the minimum quorum of {MIN_THRESHOLD} signatures"
        )));
    }
    if usize::from(threshold) > sorted.len() {
        return Err(BridgeError::Config(format!("threshold {threshold} exceeds the {} validators", sorted.len())));
    }
    Ok(sorted)
}

/// Hyperlane as deployed on one chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HlChain {
    /// The chain id.
    pub chain_id: u64,
    /// The Hyperlane domain (the chain id).
    pub domain: u32,
    /// Owner of the Mailbox and the ProtocolFee hook.
    pub owner: Address,
    /// The Mailbox.
    pub mailbox: Address,
    /// The MerkleTreeHook (the Mailbox's default hook; validators checkpoint its tree).
    pub merkle_tree_hook: Address,
    /// The ProtocolFee hook (the Mailbox's required hook).
    pub protocol_fee: Address,
    /// The StaticMessageIdMultisigIsmFactory.
    pub ism_factory: Address,
    /// The Mailbox's default ISM as last set by this module.
    pub ism: Address,
    /// The ValidatorAnnounce (where this chain's validators announce their checkpoint storage).
    pub validator_announce: Address,
    /// The default ISM's validators, ascending.
    pub validators: Vec<Address>,
    /// The default ISM's threshold.
    pub threshold: u8,
    /// Gas used by every transaction of the deployment.
    pub deploy_gas: u64,
}

/// A chain id as a Hyperlane domain (this module uses the chain id as the domain).
pub fn domain_of(chain_id: u64) -> Result<u32> {
    u32::try_from(chain_id)
        .map_err(|_| BridgeError::Config(format!("chain id {chain_id} does not fit a 32-bit Hyperlane domain")))
}

/// Deploys Hyperlane on the chain behind `client` with domain `domain`, following Hyperlane's core deployer:
///
/// 1. `StaticMessageIdMultisigIsmFactory()`, then the default ISM through `deploy(validators, threshold)`
///    (address read first with `getAddress`; validators sorted ascending);
/// 2. `Mailbox(domain)`;
/// 3. `MerkleTreeHook(mailbox)` as the default hook and `ProtocolFee(maxFee, fee, beneficiary, owner)` as the
///    required hook (a second MerkleTreeHook there would insert every message twice);
/// 4. `mailbox.initialize(owner, ism, merkleTreeHook, protocolFee)`;
/// 5. `ValidatorAnnounce(mailbox)`.
///
/// The Mailbox is deployed bare, not behind the `TransparentUpgradeableProxy` Hyperlane's deployer puts it
/// behind: the contract works the same, it simply cannot be upgraded. Its `initialize` is open to whoever
/// calls it first, so it is called right after deployment by the same account; on a public network deploy
/// and initialize atomically (the proxy's constructor does) instead.
pub async fn deploy_chain<C: ChainClient>(client: &C, domain: u32, config: &HlChainConfig) -> Result<HlChain> {
    let validators = config.validate()?;
    let mut gas = 0u64;

    let factory = deploy_artifact(client, &artifacts::get("StaticMessageIdMultisigIsmFactory")?, &[]).await?;
    gas += factory.receipt.gas_used;
    // The ISM implementation's ABI (the factory deploys it in its constructor) names nothing new, but register
    // it so any custom error of the ISM decodes.
    client.revert_decoder().register_abi(&artifacts::get("StaticMessageIdMultisigIsm")?.abi);
    let (ism, ism_gas) = deploy_ism(client, factory.address, &validators, config.threshold).await?;
    gas += ism_gas;

    let mailbox =
        deploy_artifact(client, &artifacts::get("Mailbox")?, &[DynSolValue::Uint(U256::from(domain), 32)]).await?;
    gas += mailbox.receipt.gas_used;
    let mailbox = mailbox.address;

    let merkle = deploy_artifact(client, &artifacts::get("MerkleTreeHook")?, &[DynSolValue::Address(mailbox)]).await?;
    gas += merkle.receipt.gas_used;

    let beneficiary = config.fee_beneficiary.unwrap_or(config.owner);
    let fee = deploy_artifact(
        client,
        &artifacts::get("ProtocolFee")?,
        &[
            DynSolValue::Uint(config.max_protocol_fee, 256),
            DynSolValue::Uint(config.protocol_fee, 256),
            DynSolValue::Address(beneficiary),
            DynSolValue::Address(config.owner),
        ],
    )
    .await?;
    gas += fee.receipt.gas_used;

    let init = client
        .send_sol(
            mailbox,
            &IMailbox::initializeCall {
                _owner: config.owner,
                _defaultIsm: ism,
                _defaultHook: merkle.address,
                _requiredHook: fee.address,
            },
        )
        .await?;
    gas += init.gas_used;

    let announce =
        deploy_artifact(client, &artifacts::get("ValidatorAnnounce")?, &[DynSolValue::Address(mailbox)]).await?;
    gas += announce.receipt.gas_used;

    let chain = HlChain {
        chain_id: client.chain_id(),
        domain,
        owner: config.owner,
        mailbox,
        merkle_tree_hook: merkle.address,
        protocol_fee: fee.address,
        ism_factory: factory.address,
        ism,
        validator_announce: announce.address,
        validators,
        threshold: config.threshold,
        deploy_gas: gas,
    };
    let quorum = check_quorum(client, &chain).await?;
    if quorum.ism != ism {
        return Err(BridgeError::Config(format!("mailbox default ISM is {}, expected {ism}", quorum.ism)));
    }
    Ok(chain)
}

/// Deploys (or finds, the factory's addresses being deterministic) the message-id multisig ISM for
/// `validators` and `threshold` through `factory`, the way Hyperlane's deployer does: checked with
/// [`validator_set`], sorted, address read with `getAddress`, deployed only when no code is there yet.
/// Returns the ISM and the gas spent (0 when it already existed).
pub async fn deploy_ism<C: ChainClient>(
    client: &C,
    factory: Address,
    validators: &[Address],
    threshold: u8,
) -> Result<(Address, u64)> {
    let sorted = validator_set(validators, threshold)?;
    let address = client
        .call_sol(factory, &IThresholdAddressFactory::getAddressCall { values: sorted.clone(), threshold })
        .await?;
    if !client.code(address).await?.is_empty() {
        return Ok((address, 0));
    }
    let receipt = client.send_sol(factory, &IThresholdAddressFactory::deployCall { values: sorted, threshold }).await?;
    if client.code(address).await?.is_empty() {
        return Err(BridgeError::Config(format!("ISM factory deployed nothing at its predicted address {address}")));
    }
    Ok((address, receipt.gas_used))
}

/// A multisig ISM's quorum as read on chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IsmQuorum {
    /// The ISM.
    pub ism: Address,
    /// Its `moduleType()`.
    pub module_type: u8,
    /// Its validators, in the order signatures must follow.
    pub validators: Vec<Address>,
    /// Its threshold.
    pub threshold: u8,
}

/// Reads a multisig ISM's `moduleType` and `validatorsAndThreshold` (the static ISMs ignore the message).
pub async fn read_quorum<C: ChainClient>(client: &C, ism: Address) -> Result<IsmQuorum> {
    read_quorum_for(client, ism, Bytes::new()).await
}

/// Reads an ISM's `moduleType` and, when it is a message-id multisig, its `validatorsAndThreshold(message)`
/// (an ISM may choose its validators per message); other module types come back with no validators.
pub async fn read_quorum_for<C: ChainClient>(client: &C, ism: Address, message: Bytes) -> Result<IsmQuorum> {
    let module_type = client.call_sol(ism, &IMultisigIsm::moduleTypeCall {}).await?;
    if module_type != MODULE_TYPE_MESSAGE_ID_MULTISIG {
        return Ok(IsmQuorum { ism, module_type, validators: Vec::new(), threshold: 0 });
    }
    let set = client.call_sol(ism, &IMultisigIsm::validatorsAndThresholdCall { message }).await?;
    Ok(IsmQuorum { ism, module_type, validators: set._0, threshold: set._1 })
}

/// Fails with [`BridgeError::Config`] unless `quorum` is a message-id multisig whose threshold is at least
/// [`MIN_THRESHOLD`] and at most its number of distinct, non-zero validators.
pub fn assert_quorum(quorum: &IsmQuorum) -> Result<()> {
    if quorum.module_type != MODULE_TYPE_MESSAGE_ID_MULTISIG {
        return Err(BridgeError::Config(format!(
            "ISM {} has module type {}, not message-id multisig ({MODULE_TYPE_MESSAGE_ID_MULTISIG})",
            quorum.ism, quorum.module_type
        )));
    }
    validator_set(&quorum.validators, quorum.threshold)
        .map(drop)
        .map_err(|e| BridgeError::Config(format!("ISM {}: {e}", quorum.ism)))
}

/// Re-reads the Mailbox's default ISM and its quorum on chain and checks the invariant "the quorum is never
/// reduced below [`MIN_THRESHOLD`] signatures, by an admin mistake or otherwise" ([`assert_quorum`]).
pub async fn check_quorum<C: ChainClient>(client: &C, chain: &HlChain) -> Result<IsmQuorum> {
    let ism = client.call_sol(chain.mailbox, &IMailbox::defaultIsmCall {}).await?;
    let quorum = read_quorum(client, ism).await?;
    assert_quorum(&quorum)?;
    Ok(quorum)
}

/// Rotates the default ISM to a new validator set: deploys the ISM for `validators`/`threshold` through the
/// chain's factory, points the Mailbox at it with `setDefaultIsm` (`owner` must be the Mailbox owner's
/// client), then re-checks the quorum invariant and records the new set in `chain`. Messages still in flight
/// must then be signed by the new set; signatures of the old set no longer verify.
pub async fn rotate_validators<C: ChainClient>(
    owner: &C,
    chain: &mut HlChain,
    validators: &[Address],
    threshold: u8,
) -> Result<IsmQuorum> {
    let (ism, _) = deploy_ism(owner, chain.ism_factory, validators, threshold).await?;
    owner.send_sol(chain.mailbox, &IMailbox::setDefaultIsmCall { module: ism }).await?;
    let quorum = check_quorum(owner, chain).await?;
    if quorum.ism != ism {
        return Err(BridgeError::Config(format!("mailbox default ISM is {}, expected {ism}", quorum.ism)));
    }
    chain.ism = ism;
    chain.validators = quorum.validators.clone();
    chain.threshold = quorum.threshold;
    Ok(quorum)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(n: u8) -> Address {
        Address::repeat_byte(n)
    }

    #[test]
    fn validator_sets_are_checked_and_sorted() {
        assert_eq!(validator_set(&[addr(3), addr(1), addr(2)], 2).expect("valid"), vec![addr(1), addr(2), addr(3)]);
        assert!(matches!(validator_set(&[addr(1), addr(2)], 1), Err(BridgeError::Config(_))));
        assert!(matches!(validator_set(&[addr(1), addr(2)], 0), Err(BridgeError::Config(_))));
        assert!(matches!(validator_set(&[addr(1), addr(2)], 3), Err(BridgeError::Config(_))));
        assert!(matches!(validator_set(&[addr(1), addr(1), addr(2)], 2), Err(BridgeError::Config(_))));
        assert!(matches!(validator_set(&[Address::ZERO, addr(1), addr(2)], 2), Err(BridgeError::Config(_))));
    }

    #[test]
    fn default_max_fee_is_one_ether() {
        assert_eq!(DEFAULT_MAX_PROTOCOL_FEE, U256::from(10u64).pow(U256::from(18)));
    }
}
