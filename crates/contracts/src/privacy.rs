//! Privacy on chain: typed bindings of the `ShieldedPool` (shielded payments of Storefront orders), the
//! `ComplianceRegistry` (issuer roots, blocked jurisdictions, minimum ages, disclosure checks) and the two
//! generated Groth16 verifiers, their deployment next to a vending suite, and [`Privacy`], a typed handle.
//!
//! Field elements cross this boundary as [`U256`] integers below the BN254 scalar field modulus; proofs as
//! [`Proof`] (`a`, `b` in EIP-197 order, `c`). Proving itself lives in `automat-zk` and `automat-privacy`.

use alloy_primitives::{Address, B256, Bytes, U256};
use alloy_sol_types::{SolConstructor, SolEvent, SolValue};
use automat_chain::{ChainClient, ChainClientExt, Receipt, alloy::Filter};

use crate::vending::{PaymentToken, Quote, Storefront, SuiteAddresses, VendingError, deploy_code};
use crate::{register_all_errors, vending::Result};

/// The pool's ABI names `Groth16.Proof` and `Storefront.Quote`, so its bindings get their own module (the
/// probe's too): `sol!` generates those struct modules once per invocation.
#[allow(missing_docs, clippy::too_many_arguments)]
mod pool {
    use alloy_sol_types::sol;

    sol!(
        #[derive(Debug, PartialEq, Eq)]
        ShieldedPool,
        "../../contracts/out/zk/ShieldedPool.sol/ShieldedPool.json"
    );
}

#[allow(missing_docs, clippy::too_many_arguments)]
mod probe {
    use alloy_sol_types::sol;

    sol!(
        #[derive(Debug, PartialEq, Eq)]
        ZkGasProbe,
        "../../contracts/out/testing/ZkGasProbe.sol/ZkGasProbe.json"
    );
}

#[allow(missing_docs, clippy::too_many_arguments)]
mod bindings {
    use alloy_sol_types::sol;

    sol!(
        #[derive(Debug, PartialEq, Eq)]
        ComplianceRegistry,
        "../../contracts/out/compliance/ComplianceRegistry.sol/ComplianceRegistry.json"
    );

    sol!(
        #[derive(Debug, PartialEq, Eq)]
        SpendVerifier,
        "../../contracts/out/zk/SpendVerifier.sol/SpendVerifier.json"
    );

    sol!(
        #[derive(Debug, PartialEq, Eq)]
        DisclosureVerifier,
        "../../contracts/out/zk/DisclosureVerifier.sol/DisclosureVerifier.json"
    );
}

pub use bindings::{ComplianceRegistry, DisclosureVerifier, SpendVerifier};
/// A Groth16 proof as the contracts take it.
pub use pool::Groth16::Proof;
pub use pool::ShieldedPool;
/// The public half of a spend, as `ShieldedPool.payOrder` and `withdraw` take it.
pub use pool::ShieldedPool::Spend;
pub use probe::ZkGasProbe;

impl Proof {
    /// The same proof in the gas probe's binding.
    pub fn to_probe(&self) -> probe::Groth16::Proof {
        probe::Groth16::Proof { a: self.a, b: self.b, c: self.c }
    }
}

fn pool_quote(q: &Quote) -> pool::Storefront::Quote {
    pool::Storefront::Quote { machineId: q.machineId, slot: q.slot, price: q.price, expiry: q.expiry, nonce: q.nonce }
}

/// Parameters of a privacy deployment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PrivacyConfig {
    /// Highest relayer fee per spend, in payment-token base units.
    pub max_relayer_fee: u128,
}

impl Default for PrivacyConfig {
    /// A relayer may take up to 0.50 tokens (6 decimals) per spend.
    fn default() -> Self {
        Self { max_relayer_fee: 500_000 }
    }
}

/// Addresses of the privacy contracts on one chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PrivacyAddresses {
    /// The spend-proof verifier.
    pub spend_verifier: Address,
    /// The disclosure-proof verifier.
    pub disclosure_verifier: Address,
    /// The shielded pool.
    pub pool: Address,
    /// The compliance registry (set on the Storefront).
    pub compliance: Address,
}

fn words(words: &[[u8; 32]]) -> Vec<u8> {
    words.iter().flatten().copied().collect()
}

/// The two verifiers' addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verifiers {
    /// The spend-proof verifier.
    pub spend_verifier: Address,
    /// The disclosure-proof verifier.
    pub disclosure_verifier: Address,
}

/// Deploys both verifiers, their verifying keys as the ABI-encoded constructor words `automat-zk` produces.
pub async fn deploy_verifiers<C: ChainClient>(
    client: &C,
    spend_vk_words: &[[u8; 32]],
    disclosure_vk_words: &[[u8; 32]],
) -> Result<Verifiers> {
    register_all_errors(client)?;
    let spend_verifier = deploy_code(client, "SpendVerifier", &SpendVerifier::BYTECODE, words(spend_vk_words)).await?;
    let disclosure_verifier =
        deploy_code(client, "DisclosureVerifier", &DisclosureVerifier::BYTECODE, words(disclosure_vk_words)).await?;
    Ok(Verifiers { spend_verifier, disclosure_verifier })
}

/// Deploys the gas probe `automat bench zk` measures with (Poseidon, tree insert, verifier calls).
pub async fn deploy_gas_probe<C: ChainClient>(client: &C) -> Result<Address> {
    deploy_code(client, "ZkGasProbe", &ZkGasProbe::BYTECODE, Vec::new()).await
}

/// Deploys both verifiers ([`deploy_verifiers`]), the ShieldedPool and the ComplianceRegistry next to `suite`,
/// and sets the registry on the Storefront. `client`'s sender must own the Storefront; it becomes the
/// registry's admin.
pub async fn deploy_privacy<C: ChainClient>(
    client: &C,
    suite: &SuiteAddresses,
    spend_vk_words: &[[u8; 32]],
    disclosure_vk_words: &[[u8; 32]],
    config: PrivacyConfig,
) -> Result<PrivacyAddresses> {
    let Verifiers { spend_verifier, disclosure_verifier } =
        deploy_verifiers(client, spend_vk_words, disclosure_vk_words).await?;
    let pool = deploy_code(
        client,
        "ShieldedPool",
        &ShieldedPool::BYTECODE,
        ShieldedPool::constructorCall {
            token_: suite.token,
            verifier_: spend_verifier,
            storefront_: suite.storefront,
            maxRelayerFee_: config.max_relayer_fee,
        }
        .abi_encode(),
    )
    .await?;
    let compliance = deploy_code(
        client,
        "ComplianceRegistry",
        &ComplianceRegistry::BYTECODE,
        ComplianceRegistry::constructorCall {
            machines_: suite.registry,
            verifier_: disclosure_verifier,
            admin: client.sender(),
        }
        .abi_encode(),
    )
    .await?;
    client.send_sol(suite.storefront, &Storefront::setComplianceCall { compliance_: compliance }).await?;
    Ok(PrivacyAddresses { spend_verifier, disclosure_verifier, pool, compliance })
}

/// ABI encoding of a disclosure as `Storefront.placeOrderFor` and `ShieldedPool.payOrder` take it:
/// `(uint256 issuerRoot, Groth16.Proof proof)`.
pub fn encode_disclosure(issuer_root: U256, proof: &Proof) -> Bytes {
    (issuer_root, proof.clone()).abi_encode_params().into()
}

/// A leaf the pool added, from its `LeafInserted` event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolLeaf {
    /// The note commitment.
    pub commitment: U256,
    /// Its index.
    pub index: u32,
    /// The root after it.
    pub root: U256,
}

/// An order paid from the pool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrivateOrder {
    /// The Storefront order.
    pub order_id: U256,
    /// The change note's leaf.
    pub change: PoolLeaf,
    /// The transaction receipt.
    pub receipt: Receipt,
}

/// A typed handle on one chain's privacy contracts, acting as `client`'s sender.
#[derive(Debug, Clone)]
pub struct Privacy<C> {
    client: C,
    suite: SuiteAddresses,
    addresses: PrivacyAddresses,
}

impl<C: ChainClient> Privacy<C> {
    /// A handle on `addresses` (deployed next to `suite`) through `client`.
    pub fn new(client: C, suite: SuiteAddresses, addresses: PrivacyAddresses) -> Self {
        Self { client, suite, addresses }
    }

    /// The client.
    pub fn client(&self) -> &C {
        &self.client
    }

    /// The vending suite.
    pub fn suite(&self) -> &SuiteAddresses {
        &self.suite
    }

    /// The privacy contracts.
    pub fn addresses(&self) -> &PrivacyAddresses {
        &self.addresses
    }

    /// The same contracts through another client (another sender).
    pub fn with_client<D: ChainClient>(&self, client: D) -> Privacy<D> {
        Privacy { client, suite: self.suite, addresses: self.addresses }
    }

    // ------------------------------------------------------------ pool

    /// Locks `amount` in a new note `Poseidon(amount, precommitment)` (approving the pool first); returns its
    /// leaf.
    pub async fn deposit(&self, amount: u128, precommitment: U256) -> Result<PoolLeaf> {
        self.client
            .send_sol(
                self.suite.token,
                &PaymentToken::approveCall { spender: self.addresses.pool, value: U256::from(amount) },
            )
            .await?;
        let receipt =
            self.client.send_sol(self.addresses.pool, &ShieldedPool::depositCall { amount, precommitment }).await?;
        leaf_of(&receipt)
    }

    /// Pays an order from a note (see `ShieldedPool.payOrder`).
    #[allow(clippy::too_many_arguments)]
    pub async fn pay_order(
        &self,
        proof: &Proof,
        spend: &Spend,
        quote: &Quote,
        quote_signature: Bytes,
        deadline: u64,
        buyer: Address,
        disclosure: Bytes,
    ) -> Result<PrivateOrder> {
        let receipt = self
            .client
            .send_sol(
                self.addresses.pool,
                &ShieldedPool::payOrderCall {
                    proof: proof.clone(),
                    spend: spend.clone(),
                    quote: pool_quote(quote),
                    quoteSignature: quote_signature,
                    deadline,
                    buyer,
                    disclosure,
                },
            )
            .await?;
        let order_id = receipt
            .events::<ShieldedPool::OrderPaid>()
            .first()
            .map(|e| e.orderId)
            .ok_or(VendingError::MissingEvent { event: "OrderPaid", tx: receipt.transaction_hash })?;
        let change = leaf_of(&receipt)?;
        Ok(PrivateOrder { order_id, change, receipt })
    }

    /// Takes a note's value out to `recipient` (see `ShieldedPool.withdraw`); returns the change leaf.
    pub async fn withdraw(&self, proof: &Proof, spend: &Spend, recipient: Address) -> Result<(PoolLeaf, Receipt)> {
        let receipt = self
            .client
            .send_sol(
                self.addresses.pool,
                &ShieldedPool::withdrawCall { proof: proof.clone(), spend: spend.clone(), recipient },
            )
            .await?;
        Ok((leaf_of(&receipt)?, receipt))
    }

    /// Every leaf the pool added from block `from_block` on, in index order.
    pub async fn leaves(&self, from_block: u64) -> Result<Vec<PoolLeaf>> {
        let filter = Filter::new()
            .address(self.addresses.pool)
            .event_signature(ShieldedPool::LeafInserted::SIGNATURE_HASH)
            .from_block(from_block);
        let logs = self.client.logs(&filter).await?;
        let mut leaves: Vec<PoolLeaf> = automat_chain::decode_events::<ShieldedPool::LeafInserted>(&logs)
            .into_iter()
            .map(|e| PoolLeaf { commitment: e.commitment, index: e.leafIndex, root: e.root })
            .collect();
        leaves.sort_by_key(|l| l.index);
        Ok(leaves)
    }

    /// The pool's current root.
    pub async fn current_root(&self) -> Result<U256> {
        Ok(self.client.call_sol(self.addresses.pool, &ShieldedPool::currentRootCall {}).await?)
    }

    /// Whether `root` is among the pool's recent roots.
    pub async fn is_known_root(&self, root: U256) -> Result<bool> {
        Ok(self.client.call_sol(self.addresses.pool, &ShieldedPool::isKnownRootCall { root }).await?)
    }

    /// Whether the note behind `nullifier_hash` was spent.
    pub async fn is_spent(&self, nullifier_hash: U256) -> Result<bool> {
        Ok(self
            .client
            .call_sol(self.addresses.pool, &ShieldedPool::isSpentCall { nullifierHash: nullifier_hash })
            .await?)
    }

    /// What all notes are worth together.
    pub async fn total_locked(&self) -> Result<U256> {
        Ok(self.client.call_sol(self.addresses.pool, &ShieldedPool::totalLockedCall {}).await?)
    }

    /// The spend proof's `context` input for `binding`, `relayer` and `fee` on this pool.
    pub async fn spend_context(&self, binding: U256, relayer: Address, fee: u128) -> Result<U256> {
        Ok(self.client.call_sol(self.addresses.pool, &ShieldedPool::spendContextCall { binding, relayer, fee }).await?)
    }

    /// The binding of a withdrawal to `recipient`.
    pub async fn withdrawal_binding(&self, recipient: Address) -> Result<U256> {
        Ok(self.client.call_sol(self.addresses.pool, &ShieldedPool::withdrawalBindingCall { recipient }).await?)
    }

    /// The Storefront's binding of an order by `buyer` on `quote` with `deadline`.
    pub async fn order_binding(&self, buyer: Address, quote: &Quote, deadline: u64) -> Result<U256> {
        Ok(self
            .client
            .call_sol(self.suite.storefront, &Storefront::orderBindingCall { buyer, quote: quote.clone(), deadline })
            .await?)
    }

    // ------------------------------------------------------------ compliance

    /// Grants `role` of the compliance registry to `account` (the sender must be its admin).
    pub async fn grant_compliance_role(&self, role: B256, account: Address) -> Result<Receipt> {
        Ok(self
            .client
            .send_sol(self.addresses.compliance, &ComplianceRegistry::grantRoleCall { role, account })
            .await?)
    }

    /// The registry's ISSUER_ROLE.
    pub async fn issuer_role(&self) -> Result<B256> {
        Ok(self.client.call_sol(self.addresses.compliance, &ComplianceRegistry::ISSUER_ROLECall {}).await?)
    }

    /// The registry's COMPLIANCE_ROLE.
    pub async fn compliance_role(&self) -> Result<B256> {
        Ok(self.client.call_sol(self.addresses.compliance, &ComplianceRegistry::COMPLIANCE_ROLECall {}).await?)
    }

    /// Publishes a credential tree root (the sender must hold ISSUER_ROLE).
    pub async fn publish_issuer_root(&self, root: U256) -> Result<Receipt> {
        Ok(self.client.send_sol(self.addresses.compliance, &ComplianceRegistry::publishIssuerRootCall { root }).await?)
    }

    /// Revokes a credential tree root.
    pub async fn revoke_issuer_root(&self, root: U256) -> Result<Receipt> {
        Ok(self.client.send_sol(self.addresses.compliance, &ComplianceRegistry::revokeIssuerRootCall { root }).await?)
    }

    /// Sets a machine's blocked jurisdictions (the sender operates it or holds COMPLIANCE_ROLE).
    pub async fn set_blocked_jurisdictions(&self, machine_id: u64, codes: Vec<u16>) -> Result<Receipt> {
        Ok(self
            .client
            .send_sol(
                self.addresses.compliance,
                &ComplianceRegistry::setBlockedJurisdictionsCall { machineId: machine_id, codes },
            )
            .await?)
    }

    /// Sets an item's minimum buyer age (the sender holds COMPLIANCE_ROLE).
    pub async fn set_minimum_age(&self, item_id: u64, years: u8) -> Result<Receipt> {
        Ok(self
            .client
            .send_sol(
                self.addresses.compliance,
                &ComplianceRegistry::setMinimumAgeCall { itemId: item_id, years_: years },
            )
            .await?)
    }

    /// A machine's blocked jurisdictions and the hash proofs must name.
    pub async fn blocked_jurisdictions(&self, machine_id: u64) -> Result<(Vec<u16>, U256)> {
        let r = self
            .client
            .call_sol(
                self.addresses.compliance,
                &ComplianceRegistry::blockedJurisdictionsCall { machineId: machine_id },
            )
            .await?;
        Ok((r.codes, r.setHash))
    }

    /// Whether orders for `item_id` at `machine_id` need a disclosure proof.
    pub async fn requires_disclosure(&self, machine_id: u64, item_id: u64) -> Result<bool> {
        Ok(self
            .client
            .call_sol(
                self.addresses.compliance,
                &ComplianceRegistry::requiresDisclosureCall { machineId: machine_id, itemId: item_id },
            )
            .await?)
    }

    /// The latest birth date (YYYYMMDD) old enough for `item_id` at the chain's current time.
    pub async fn max_birth_date(&self, item_id: u64) -> Result<u32> {
        let date = self
            .client
            .call_sol(self.addresses.compliance, &ComplianceRegistry::maxBirthDateCall { itemId: item_id })
            .await?;
        Ok(u32::try_from(date).unwrap_or(u32::MAX))
    }
}

fn leaf_of(receipt: &Receipt) -> Result<PoolLeaf> {
    receipt
        .events::<ShieldedPool::LeafInserted>()
        .first()
        .map(|e| PoolLeaf { commitment: e.commitment, index: e.leafIndex, root: e.root })
        .ok_or(VendingError::MissingEvent { event: "LeafInserted", tx: receipt.transaction_hash })
}
