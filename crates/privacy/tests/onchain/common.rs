//! The fixture every test starts from, and the assertions they share.
//!
//! [`Fixture::new`] starts a one-chain embedded devnet, deploys the vending suite (`deploy_suite`) and the privacy
//! contracts (`deploy_privacy`, the devnet's seeded keys) from the admin (account 0), registers the operator
//! (account 1) with one machine signing with [`Fixture::machine_key`] (a key that never sends), grants
//! COMPLIANCE_ROLE to the officer (account 5) and ISSUER_ROLE to the issuer (account 4), and mints
//! [`FUNDS`] to the depositor (account 2) and the public buyer (account 7). The relayer (account 3) starts
//! without tokens, so its token balance is exactly the fees it earned.

use std::{
    fmt,
    sync::{Arc, OnceLock},
};

use alloy_primitives::{Address, B256, Bytes, U256, keccak256};
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::SolError;
use automat_chain::{ChainClient, ChainClientExt, ChainError, Receipt};
use automat_contracts::privacy::{
    Privacy, PrivacyAddresses, PrivacyConfig, PrivateOrder, Proof, Spend, SpendVerifier, deploy_privacy,
};
use automat_contracts::vending::{
    Attestation, Order, Outcome, PaymentToken, Quote, Slot, Storefront, SuiteAddresses, SuiteConfig, Vending,
    VendingError, deploy_suite, sign_typed,
};
use automat_devnet::{Devnet, DevnetConfig, EmbeddedClient};
use automat_privacy::keys::ZkKeys;
use automat_privacy::{PrivacyError, fr_to_u256, proof_to_sol, u256_to_fr};
use automat_zk::Fr;
use automat_zk::merkle::MerkleTree;
use automat_zk::rand::{SeedableRng, rngs::StdRng};
use automat_zk::spend::{Note, SPEND_DEPTH, SpendCircuit, SpendPublic, SpendRequest};

/// One payment-token unit (6 decimals).
pub(crate) const USD: u128 = 1_000_000;
/// Tokens minted to the depositor and the public buyer.
pub(crate) const FUNDS: u128 = 1_000 * USD;
/// The fixture's usual deposit.
pub(crate) const DEPOSIT: u128 = 20 * USD;
/// The fixture's usual price (slot 0's band is 1–3 USD).
pub(crate) const PRICE: u128 = 2 * USD;
/// The fixture's usual relayer fee.
pub(crate) const FEE: u128 = 100_000;
/// The pool's relayer-fee cap (`PrivacyConfig::default`).
pub(crate) const MAX_FEE: u128 = 500_000;
/// Item of slot 0 (no rule).
pub(crate) const ITEM: u64 = 101;
/// Item of slot 1, the one the disclosure tests restrict.
pub(crate) const RESTRICTED_ITEM: u64 = 18;
/// Slot of [`RESTRICTED_ITEM`].
pub(crate) const RESTRICTED_SLOT: u16 = 1;
/// Receives the Storefront's protocol fees.
pub(crate) const FEE_RECIPIENT: Address = Address::repeat_byte(0xfe);
/// Seconds an order may wait for its attestation.
pub(crate) const ORDER_WINDOW: u64 = 600;

/// BN254 scalar field modulus r (`Groth16.SCALAR_FIELD`).
pub(crate) const R: U256 =
    U256::from_limbs([0x43e1f593f0000001, 0x2833e84879b97091, 0xb85045b68181585d, 0x30644e72e131a029]);
/// BN254 base field modulus q.
pub(crate) const Q: U256 =
    U256::from_limbs([0x3c208c16d87cfd47, 0x97816a916871ca8d, 0xb85045b68181585d, 0x30644e72e131a029]);

/// `Storefront.Status` values.
pub(crate) mod status {
    pub(crate) const OPEN: u8 = 1;
    pub(crate) const DISPENSED: u8 = 2;
}

static KEYS: OnceLock<ZkKeys> = OnceLock::new();

/// The devnet's seeded keys, set up once for the whole test binary.
pub(crate) fn keys() -> &'static ZkKeys {
    KEYS.get_or_init(|| ZkKeys::devnet_seeded().expect("seeded keys"))
}

/// A deterministic key that only signs (never funded, never sends): machine keys and fresh buyer addresses.
pub(crate) fn key(label: &str) -> PrivateKeySigner {
    PrivateKeySigner::from_bytes(&keccak256(label.as_bytes())).expect("keccak output is a valid key")
}

/// A fresh one-time buyer address.
pub(crate) fn fresh(label: &str) -> Address {
    key(&format!("fresh buyer {label}")).address()
}

/// A seeded RNG.
pub(crate) fn rng(seed: u64) -> StdRng {
    StdRng::seed_from_u64(seed)
}

/// A note with random secrets.
pub(crate) fn random_note(amount: u128, rng: &mut StdRng) -> Note {
    use ark_ff::UniformRand;
    Note { amount, nullifier: Fr::rand(rng), secret: Fr::rand(rng) }
}

/// The machine's slots: slot 0 holds item 101 at 1–3 USD, slot 1 the restricted item 18 at 1–5 USD; plenty of
/// stock in both.
pub(crate) fn machine_slots() -> Vec<Slot> {
    vec![
        Slot { itemId: ITEM, stock: 1_000, minPrice: USD, maxPrice: 3 * USD },
        Slot { itemId: RESTRICTED_ITEM, stock: 1_000, minPrice: USD, maxPrice: 5 * USD },
    ]
}

/// A spend proved for explicit public inputs.
#[derive(Debug, Clone)]
pub(crate) struct Proved {
    pub(crate) proof: Proof,
    pub(crate) spend: Spend,
    pub(crate) public: SpendPublic,
    /// The change note (its commitment is `spend.changeCommitment`).
    pub(crate) change: Note,
}

/// Everything a refused transaction must leave as it was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Money {
    pub(crate) pool: U256,
    pub(crate) locked: U256,
    pub(crate) relayer: U256,
    pub(crate) depositor: U256,
    pub(crate) public_buyer: U256,
    pub(crate) storefront: U256,
    pub(crate) escrow: U256,
    pub(crate) orders: U256,
    pub(crate) leaves: u32,
}

/// The suite and the privacy contracts on one chain, with an operator's machine and funded accounts.
pub(crate) struct Fixture {
    /// Keeps the devnet (and its chains) alive as long as the fixture.
    #[allow(dead_code)]
    pub(crate) devnet: Arc<Devnet>,
    pub(crate) suite: SuiteAddresses,
    pub(crate) addresses: PrivacyAddresses,
    /// Account 0: deployer, admin of every contract, owner of the Storefront.
    pub(crate) admin: EmbeddedClient,
    /// Account 1: operates [`Fixture::machine`].
    pub(crate) operator: EmbeddedClient,
    /// Account 2: deposits into the pool.
    pub(crate) depositor: EmbeddedClient,
    /// Account 3: relays spends (starts without tokens).
    pub(crate) relayer: EmbeddedClient,
    /// Account 4: holds ISSUER_ROLE.
    pub(crate) issuer: EmbeddedClient,
    /// Account 5: holds COMPLIANCE_ROLE.
    pub(crate) officer: EmbeddedClient,
    /// Account 6: holds nothing; submits attestations.
    pub(crate) stranger: EmbeddedClient,
    /// Account 7: buys publicly.
    pub(crate) public_buyer: EmbeddedClient,
    pub(crate) machine_key: PrivateKeySigner,
    pub(crate) machine: u64,
}

impl Fixture {
    /// The fixture on a fresh one-chain devnet.
    pub(crate) async fn new() -> Self {
        let devnet = Devnet::start(DevnetConfig::with_chains(1)).expect("devnet starts");
        let chain_id = devnet.chain_ids()[0];
        Self::on(Arc::new(devnet), chain_id).await
    }

    /// The fixture on chain `chain_id` of `devnet` (the same transactions from the same accounts on every chain,
    /// so the addresses coincide across chains).
    pub(crate) async fn on(devnet: Arc<Devnet>, chain_id: u64) -> Self {
        let client = |index: usize| devnet.dev_client(chain_id, index).expect("prefunded account");
        let admin = client(0);
        let config = SuiteConfig { fee_recipient: FEE_RECIPIENT, ..SuiteConfig::new(admin.sender()) };
        let suite = deploy_suite(&admin, &config).await.expect("suite deploys");
        let keys = keys();
        let addresses = deploy_privacy(
            &admin,
            &suite,
            &keys.spend_verifier_words().expect("spend vk"),
            &keys.disclosure_verifier_words().expect("disclosure vk"),
            PrivacyConfig { max_relayer_fee: MAX_FEE },
        )
        .await
        .expect("privacy deploys");
        let mut fx = Self {
            devnet: Arc::clone(&devnet),
            suite,
            addresses,
            admin,
            operator: client(1),
            depositor: client(2),
            relayer: client(3),
            issuer: client(4),
            officer: client(5),
            stranger: client(6),
            public_buyer: client(7),
            machine_key: key("automat private machine"),
            machine: 0,
        };
        let vending = fx.vending(&fx.admin);
        for who in [fx.operator.sender(), fx.depositor.sender(), fx.public_buyer.sender()] {
            vending.mint(who, U256::from(FUNDS)).await.expect("mint");
        }
        let operator = fx.vending(&fx.operator);
        operator.register_operator(U256::from(200 * USD)).await.expect("operator registers");
        fx.machine = operator
            .register_machine(fx.machine_key.address(), "u33dc0cp", "DE", machine_slots(), 50 * USD)
            .await
            .expect("machine registers");
        let privacy = fx.privacy(&fx.admin);
        privacy
            .grant_compliance_role(privacy.compliance_role().await.expect("role"), fx.officer.sender())
            .await
            .expect("grant COMPLIANCE_ROLE");
        privacy
            .grant_compliance_role(privacy.issuer_role().await.expect("role"), fx.issuer.sender())
            .await
            .expect("grant ISSUER_ROLE");
        fx
    }

    /// The privacy handle acting as `client`.
    pub(crate) fn privacy(&self, client: &EmbeddedClient) -> Privacy<EmbeddedClient> {
        Privacy::new(client.clone(), self.suite, self.addresses)
    }

    /// The vending handle acting as `client`.
    pub(crate) fn vending(&self, client: &EmbeddedClient) -> Vending<EmbeddedClient> {
        Vending::new(client.clone(), self.suite)
    }

    /// Timestamp of the latest block.
    pub(crate) async fn now(&self) -> u64 {
        self.admin.block_timestamp().await.expect("timestamp")
    }

    /// A deadline [`ORDER_WINDOW`] after the next block.
    pub(crate) async fn deadline(&self) -> u64 {
        self.now().await + 1 + ORDER_WINDOW
    }

    /// A quote of the machine for `slot` at `price` with `nonce`, valid for five minutes, signed by the machine
    /// key under the Storefront's domain.
    pub(crate) async fn quote(&self, slot: u16, price: u128, nonce: u64) -> (Quote, Bytes) {
        let quote = Quote { machineId: self.machine, slot, price, expiry: self.now().await + 300, nonce };
        let signature = sign_typed(&self.machine_key, &self.suite.domain(), &quote).expect("signs");
        (quote, signature)
    }

    /// The machine attests `outcome` for `order` (submitted by the stranger).
    pub(crate) async fn attest(&self, order: U256, outcome: Outcome) -> Receipt {
        let attestation =
            Attestation { orderId: order, outcome: outcome as u8, metadataDigest: B256::repeat_byte(0x11) };
        let signature = sign_typed(&self.machine_key, &self.suite.domain(), &attestation).expect("signs");
        self.vending(&self.stranger).attest(&attestation, signature).await.expect("attested")
    }

    /// Payment-token balance of `who`.
    pub(crate) async fn balance(&self, who: Address) -> U256 {
        self.admin.call_sol(self.suite.token, &PaymentToken::balanceOfCall { account: who }).await.expect("balance")
    }

    /// The pool's token balance.
    pub(crate) async fn pool_balance(&self) -> U256 {
        self.balance(self.addresses.pool).await
    }

    /// The pool's `totalLocked`.
    pub(crate) async fn locked(&self) -> U256 {
        self.privacy(&self.admin).total_locked().await.expect("totalLocked")
    }

    /// An order's record.
    pub(crate) async fn order(&self, id: U256) -> Order {
        self.vending(&self.admin).order(id).await.expect("orderOf")
    }

    /// The Storefront's escrow.
    pub(crate) async fn escrow(&self) -> U256 {
        self.vending(&self.admin).escrow_balance().await.expect("escrow")
    }

    /// Whether `nullifier_hash` is spent.
    pub(crate) async fn is_spent(&self, nullifier_hash: U256) -> bool {
        self.privacy(&self.admin).is_spent(nullifier_hash).await.expect("isSpent")
    }

    /// Whether `note` is spent.
    pub(crate) async fn note_spent(&self, note: &Note) -> bool {
        self.is_spent(fr_to_u256(&note.nullifier_hash())).await
    }

    /// The pool's leaf count.
    pub(crate) async fn leaves(&self) -> u32 {
        self.admin
            .call_sol(self.addresses.pool, &automat_contracts::privacy::ShieldedPool::nextIndexCall {})
            .await
            .expect("nextIndex")
    }

    /// Everything a refused transaction must leave untouched.
    pub(crate) async fn money(&self) -> Money {
        Money {
            pool: self.pool_balance().await,
            locked: self.locked().await,
            relayer: self.balance(self.relayer.sender()).await,
            depositor: self.balance(self.depositor.sender()).await,
            public_buyer: self.balance(self.public_buyer.sender()).await,
            storefront: self.balance(self.suite.storefront).await,
            escrow: self.escrow().await,
            orders: self.vending(&self.admin).order_count().await.expect("orderCount"),
            leaves: self.leaves().await,
        }
    }

    /// The depositor locks `amount` in a new random note; returns it.
    pub(crate) async fn deposit(&self, amount: u128, rng: &mut StdRng) -> Note {
        let note = random_note(amount, rng);
        let leaf =
            self.privacy(&self.depositor).deposit(amount, fr_to_u256(&note.precommitment())).await.expect("deposit");
        assert_eq!(leaf.commitment, fr_to_u256(&note.commitment()), "the pool commits Poseidon(amount, precommitment)");
        note
    }

    /// A mirror of the pool's tree, rebuilt from its `LeafInserted` logs (checked against its current root).
    pub(crate) async fn tree(&self) -> MerkleTree {
        let privacy = self.privacy(&self.admin);
        let mut tree = MerkleTree::new(SPEND_DEPTH).expect("tree");
        for leaf in privacy.leaves(0).await.expect("leaves") {
            assert_eq!(u64::from(leaf.index), tree.len());
            tree.insert(u256_to_fr(leaf.commitment).expect("field element")).expect("insert");
        }
        assert_eq!(fr_to_u256(&tree.root()), privacy.current_root().await.expect("root"), "mirror root");
        tree
    }

    /// A spend of `note` (in `tree`) taking `withdrawn`, bound to `context`, naming `relayer` and `fee`.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn prove(
        &self,
        note: Note,
        tree: &MerkleTree,
        withdrawn: u128,
        context: U256,
        relayer: Address,
        fee: u128,
        rng: &mut StdRng,
    ) -> Proved {
        let change = random_note(note.amount - withdrawn, rng);
        let request = SpendRequest {
            withdrawn,
            context: u256_to_fr(context).expect("context is a field element"),
            change_nullifier: change.nullifier,
            change_secret: change.secret,
        };
        let circuit = SpendCircuit::new(note, tree, &request).expect("honest spend");
        let public = circuit.public;
        let proof = keys().spend.prove(circuit, rng).expect("proves");
        assert!(keys().spend.verify(&public, &proof).expect("verifies natively"));
        let spend = Spend {
            root: fr_to_u256(&public.root),
            nullifierHash: fr_to_u256(&public.nullifier_hash),
            withdrawn,
            changeCommitment: fr_to_u256(&public.change_commitment),
            relayer,
            fee,
        };
        assert_eq!(spend.changeCommitment, fr_to_u256(&change.commitment()));
        Proved { proof: proof_to_sol(&proof), spend, public, change }
    }

    /// An honest spend of `note` paying `quote` for `buyer` through `relayer` with `fee` (withdrawn = price + fee),
    /// against the pool's current tree.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn prove_order(
        &self,
        note: Note,
        quote: &Quote,
        deadline: u64,
        buyer: Address,
        relayer: Address,
        fee: u128,
        rng: &mut StdRng,
    ) -> Proved {
        let tree = self.tree().await;
        self.prove_order_in(&tree, note, quote, deadline, buyer, relayer, fee, rng).await
    }

    /// [`Fixture::prove_order`] against `tree` (a root the pool may have seen).
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn prove_order_in(
        &self,
        tree: &MerkleTree,
        note: Note,
        quote: &Quote,
        deadline: u64,
        buyer: Address,
        relayer: Address,
        fee: u128,
        rng: &mut StdRng,
    ) -> Proved {
        let privacy = self.privacy(&self.admin);
        let binding = privacy.order_binding(buyer, quote, deadline).await.expect("orderBinding");
        let context = privacy.spend_context(binding, relayer, fee).await.expect("spendContext");
        self.prove(note, tree, quote.price + fee, context, relayer, fee, rng)
    }

    /// `client` submits `proved` to pay `quote` for `buyer` (no disclosure).
    pub(crate) async fn pay(
        &self,
        client: &EmbeddedClient,
        proved: &Proved,
        quote: &Quote,
        signature: &Bytes,
        deadline: u64,
        buyer: Address,
    ) -> Result<PrivateOrder, VendingError> {
        self.privacy(client)
            .pay_order(&proved.proof, &proved.spend, quote, signature.clone(), deadline, buyer, Bytes::new())
            .await
    }

    /// `SpendVerifier.verifyProof` called directly.
    pub(crate) async fn verify(&self, proof: &Proof, input: [U256; 5]) -> Result<bool, ChainError> {
        self.admin
            .call_sol(
                self.addresses.spend_verifier,
                &SpendVerifier::verifyProofCall { a: proof.a, b: proof.b, c: proof.c, input },
            )
            .await
    }

    /// The public inputs the pool hands the verifier for `proved`.
    pub(crate) fn inputs(proved: &Proved) -> [U256; 5] {
        let p = &proved.public;
        [
            fr_to_u256(&p.root),
            fr_to_u256(&p.nullifier_hash),
            fr_to_u256(&p.withdrawn),
            fr_to_u256(&p.change_commitment),
            fr_to_u256(&p.context),
        ]
    }

    /// `buyer` places an order publicly for itself with `Storefront.placeOrderFor` and `disclosure` (approving
    /// the price first).
    pub(crate) async fn place_public(
        &self,
        buyer: &EmbeddedClient,
        quote: &Quote,
        signature: &Bytes,
        deadline: u64,
        disclosure: Bytes,
    ) -> Result<Receipt, ChainError> {
        buyer
            .send_sol(
                self.suite.token,
                &PaymentToken::approveCall { spender: self.suite.storefront, value: U256::from(quote.price) },
            )
            .await?;
        buyer
            .send_sol(
                self.suite.storefront,
                &Storefront::placeOrderForCall {
                    buyer: buyer.sender(),
                    quote: quote.clone(),
                    quoteSignature: signature.clone(),
                    maxPrice: quote.price,
                    deadline,
                    disclosure,
                },
            )
            .await
    }
}

/// Groth16 malleability: `(−A, −B, C)` verifies for the same inputs (y coordinates negated mod q).
pub(crate) fn malleate(proof: &Proof) -> Proof {
    let neg = |y: U256| (Q - y) % Q;
    Proof { a: [proof.a[0], neg(proof.a[1])], b: [proof.b[0], [neg(proof.b[1][0]), neg(proof.b[1][1])]], c: proof.c }
}

// ---------------------------------------------------------------------- assertions

/// Errors that carry a chain error.
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

impl AsChainError for PrivacyError {
    fn chain_error(&self) -> &ChainError {
        match self {
            PrivacyError::Chain(e) => e.chain_error(),
            other => panic!("expected a chain error, got {other}"),
        }
    }
}

/// Asserts that `result` is a revert with exactly `expected`: the data decodes as `E` with equal arguments, and
/// the devnet's decoder names it the same.
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
