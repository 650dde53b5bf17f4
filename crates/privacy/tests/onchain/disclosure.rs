//! Selective disclosure at a geo-fenced machine (blocked jurisdictions 408 and 364, set by its operator) selling
//! an item with a minimum age of 18 (set by a compliance officer), with credentials from an issuer whose root is
//! published on the registry.

use alloy_primitives::{Bytes, U256};
use alloy_sol_types::SolValue;
use automat_chain::{ChainClient, ChainClientExt};
use automat_contracts::privacy::{ComplianceRegistry, Proof, encode_disclosure};
use automat_contracts::vending::{Quote, Storefront};
use automat_devnet::EmbeddedClient;
use automat_privacy::PrivacyError;
use automat_privacy::issuer::{CredentialIssuer, Holder};
use automat_privacy::wallet::{PrivatePurchase, ShieldedWallet};
use automat_zk::rand::rngs::StdRng;

use crate::common::*;

const BLOCKED: [u16; 2] = [408, 364];
const MINIMUM_AGE: u8 = 18;
const RESTRICTED_PRICE: u128 = 3 * USD;

/// The fixture with the machine's rules in place and three credential holders.
struct Rules {
    fx: Fixture,
    /// Jurisdiction 276, born 1990-05-17.
    alice: Holder,
    /// Jurisdiction 408 (blocked), born 1985-01-01.
    bob: Holder,
    /// Jurisdiction 276, born 2015-01-01 (too young).
    kid: Holder,
    /// The published issuer root.
    root: U256,
    rng: StdRng,
}

impl Rules {
    async fn new(seed: u64) -> Self {
        let fx = Fixture::new().await;
        let mut rng = rng(seed);
        fx.privacy(&fx.operator).set_blocked_jurisdictions(fx.machine, BLOCKED.to_vec()).await.expect("operator");
        fx.privacy(&fx.officer).set_minimum_age(RESTRICTED_ITEM, MINIMUM_AGE).await.expect("officer");
        let mut issuer = CredentialIssuer::new().expect("issuer");
        let (mut alice, mut bob, mut kid) =
            (Holder::random(&mut rng), Holder::random(&mut rng), Holder::random(&mut rng));
        let issued = [
            issuer.issue(alice.commitment(), 276, 1990_05_17).expect("succeeds"),
            issuer.issue(bob.commitment(), 408, 1985_01_01).expect("succeeds"),
            issuer.issue(kid.commitment(), 276, 2015_01_01).expect("succeeds"),
        ];
        let root = issuer.publish(&fx.privacy(&fx.issuer)).await.expect("publish");
        for (holder, issued) in [&mut alice, &mut bob, &mut kid].into_iter().zip(&issued) {
            holder.receive(issuer.reissue(issued).expect("succeeds"));
        }
        let privacy = fx.privacy(&fx.admin);
        assert_eq!(privacy.blocked_jurisdictions(fx.machine).await.expect("succeeds").0, BLOCKED.to_vec());
        assert!(privacy.requires_disclosure(fx.machine, RESTRICTED_ITEM).await.expect("succeeds"));
        Self { fx, alice, bob, kid, root, rng }
    }

    /// A quote for the restricted item.
    async fn quote(&self, nonce: u64) -> (Quote, Bytes) {
        self.fx.quote(RESTRICTED_SLOT, RESTRICTED_PRICE, nonce).await
    }

    /// `holder`'s disclosure for an order of `buyer`'s on `quote`.
    async fn disclose(
        &mut self,
        holder: &Holder,
        buyer: alloy_primitives::Address,
        quote: &Quote,
        deadline: u64,
    ) -> Result<Bytes, PrivacyError> {
        let privacy = self.fx.privacy(&self.fx.admin);
        let binding = privacy.order_binding(buyer, quote, deadline).await.expect("succeeds");
        holder.disclose(&privacy, &keys().disclosure, self.fx.machine, RESTRICTED_ITEM, binding, &mut self.rng).await
    }

    /// The public buyer's disclosure (as Alice) for its own order on `quote`.
    async fn public_disclosure(&mut self, quote: &Quote, deadline: u64) -> Bytes {
        let alice = self.alice.clone();
        let buyer = self.fx.public_buyer.sender();
        self.disclose(&alice, buyer, quote, deadline).await.expect("alice discloses")
    }

    fn public_buyer(&self) -> EmbeddedClient {
        self.fx.public_buyer.clone()
    }
}

#[tokio::test]
async fn an_eligible_holder_pays_privately_and_nobody_buys_without_a_disclosure() {
    let mut rules = Rules::new(20).await;
    let mut wallet = ShieldedWallet::new().expect("succeeds");
    let depositor = rules.fx.privacy(&rules.fx.depositor);
    wallet.deposit(&depositor, DEPOSIT, &mut rules.rng).await.expect("deposit");

    let buyer = fresh("eligible");
    let (quote, signature) = rules.quote(1).await;
    let deadline = rules.fx.deadline().await;
    let alice = rules.alice.clone();
    let disclosure = rules.disclose(&alice, buyer, &quote, deadline).await.expect("alice discloses");
    assert!(!disclosure.is_empty());
    let purchase = PrivatePurchase { quote, quote_signature: signature, deadline, buyer, disclosure };
    let relayer = rules.fx.privacy(&rules.fx.relayer);
    let paid =
        wallet.pay(&relayer, &keys().spend, &purchase, FEE, &mut rules.rng, |_| {}).await.expect("private payment");
    let order = rules.fx.order(paid.order_id).await;
    assert_eq!((order.status, order.buyer, order.price), (status::OPEN, buyer, RESTRICTED_PRICE));
    assert_eq!(rules.fx.locked().await, U256::from(DEPOSIT - RESTRICTED_PRICE - FEE));

    // Publicly, without a disclosure: placeOrder and placeOrderFor with an empty one. Nothing charged.
    let fx = &rules.fx;
    let (quote, signature) = rules.quote(2).await;
    let deadline = fx.deadline().await;
    let before = fx.money().await;
    let required = ComplianceRegistry::DisclosureRequired { machineId: fx.machine, itemId: RESTRICTED_ITEM };
    assert_revert(
        fx.vending(&fx.public_buyer).place_order(&quote, signature.clone(), quote.price, deadline, true).await,
        required.clone(),
    );
    assert_revert(fx.place_public(&fx.public_buyer, &quote, &signature, deadline, Bytes::new()).await, required);
    // The unrestricted item at this machine needs one too: the machine is geo-fenced.
    let (plain, plain_signature) = fx.quote(0, PRICE, 3).await;
    assert_revert(
        fx.place_public(&fx.public_buyer, &plain, &plain_signature, deadline, Bytes::new()).await,
        ComplianceRegistry::DisclosureRequired { machineId: fx.machine, itemId: ITEM },
    );
    assert_eq!(fx.money().await, before, "nothing charged");
}

#[tokio::test]
async fn a_disclosure_proves_nothing_for_another_order_set_or_revoked_root() {
    let mut rules = Rules::new(21).await;
    let buyer = rules.public_buyer();
    let machine = rules.fx.machine;
    let invalid = ComplianceRegistry::DisclosureProofInvalid { machineId: machine, itemId: RESTRICTED_ITEM };

    // Made for the order on quote 1, offered for the order on quote 2.
    let (quote1, signature1) = rules.quote(1).await;
    let (quote2, signature2) = rules.quote(2).await;
    let deadline = rules.fx.deadline().await;
    let disclosure = rules.public_disclosure(&quote1, deadline).await;
    let before = rules.fx.money().await;
    assert_revert(
        rules.fx.place_public(&buyer, &quote2, &signature2, deadline, disclosure.clone()).await,
        invalid.clone(),
    );
    assert_eq!(rules.fx.money().await, before);
    // For its own order it works.
    let receipt = rules.fx.place_public(&buyer, &quote1, &signature1, deadline, disclosure).await.expect("placed");
    let placed = receipt.events::<Storefront::OrderPlaced>();
    assert_eq!(placed.len(), 1);
    assert_eq!(placed[0].buyer, buyer.sender());
    assert_eq!(
        rules.fx.balance(buyer.sender()).await,
        before.public_buyer - U256::from(RESTRICTED_PRICE),
        "charged once, for the order it was made for"
    );

    // Made before the machine changed its blocked set.
    let (quote3, signature3) = rules.quote(3).await;
    let deadline = rules.fx.deadline().await;
    let stale = rules.public_disclosure(&quote3, deadline).await;
    rules
        .fx
        .privacy(&rules.fx.operator)
        .set_blocked_jurisdictions(machine, vec![408, 364, 192])
        .await
        .expect("succeeds");
    let before = rules.fx.money().await;
    assert_revert(rules.fx.place_public(&buyer, &quote3, &signature3, deadline, stale).await, invalid.clone());
    assert_eq!(rules.fx.money().await, before);
    let current = rules.public_disclosure(&quote3, deadline).await;
    rules.fx.place_public(&buyer, &quote3, &signature3, deadline, current).await.expect("proved for the new set");

    // Against a root its issuer revoked.
    let (quote4, signature4) = rules.quote(4).await;
    let deadline = rules.fx.deadline().await;
    let revoked = rules.public_disclosure(&quote4, deadline).await;
    rules.fx.privacy(&rules.fx.issuer).revoke_issuer_root(rules.root).await.expect("revoke");
    let before = rules.fx.money().await;
    assert_revert(
        rules.fx.place_public(&buyer, &quote4, &signature4, deadline, revoked).await,
        ComplianceRegistry::UnknownIssuerRoot { root: rules.root },
    );
    assert_eq!(rules.fx.money().await, before);
}

#[tokio::test]
async fn blocked_and_underage_holders_are_refused_before_anything_is_sent() {
    let mut rules = Rules::new(22).await;
    let buyer = rules.public_buyer();
    let (quote, _) = rules.quote(1).await;
    let deadline = rules.fx.deadline().await;
    let block = rules.fx.admin.block_number().await.expect("succeeds");
    let nonce = rules.fx.admin.nonce(buyer.sender()).await.expect("succeeds");
    let before = rules.fx.money().await;

    let bob = rules.bob.clone();
    match rules.disclose(&bob, buyer.sender(), &quote, deadline).await {
        Err(PrivacyError::RegulatoryBlock { machine_id, jurisdiction, blocked }) => {
            assert_eq!((machine_id, jurisdiction, blocked), (rules.fx.machine, 408, BLOCKED.to_vec()));
        }
        other => panic!("expected a regulatory block, got {other:?}"),
    }
    let kid = rules.kid.clone();
    let max_birth_date = rules.fx.privacy(&rules.fx.admin).max_birth_date(RESTRICTED_ITEM).await.expect("succeeds");
    let today = automat_zk::disclosure::yyyymmdd_from_unix(rules.fx.now().await);
    assert_eq!(max_birth_date, automat_zk::disclosure::max_birth_date(today, MINIMUM_AGE));
    match rules.disclose(&kid, buyer.sender(), &quote, deadline).await {
        Err(PrivacyError::TooYoung { item_id, max_birth_date: max, birth_date }) => {
            assert_eq!((item_id, max, birth_date), (RESTRICTED_ITEM, max_birth_date, 2015_01_01));
        }
        other => panic!("expected too young, got {other:?}"),
    }

    assert_eq!(rules.fx.admin.block_number().await.expect("succeeds"), block, "no transaction was sent");
    assert_eq!(rules.fx.admin.nonce(buyer.sender()).await.expect("succeeds"), nonce);
    assert_eq!(rules.fx.money().await, before, "nothing charged");
}

/// A7: the chain rejects a tampered disclosure; the note stays unspent and the buyer pays publicly instead.
#[tokio::test]
async fn a_rejected_private_payment_leaves_the_note_and_the_public_flow_works() {
    let mut rules = Rules::new(23).await;
    let mut wallet = ShieldedWallet::new().expect("succeeds");
    let depositor = rules.fx.privacy(&rules.fx.depositor);
    let note = wallet.deposit(&depositor, DEPOSIT, &mut rules.rng).await.expect("deposit").note;

    let fresh_buyer = fresh("tampered");
    let (quote, signature) = rules.quote(1).await;
    let deadline = rules.fx.deadline().await;
    let alice = rules.alice.clone();
    let disclosure = rules.disclose(&alice, fresh_buyer, &quote, deadline).await.expect("alice discloses");
    // Flip a proof word: C's y coordinate negated (still a curve point, so the pairing runs and fails).
    let (issuer_root, mut proof) = <(U256, Proof)>::abi_decode_params(&disclosure).expect("disclosure decodes");
    assert_eq!(issuer_root, rules.root);
    proof.c[1] = Q - proof.c[1];
    let tampered = encode_disclosure(issuer_root, &proof);
    assert_ne!(tampered, disclosure);

    let before = rules.fx.money().await;
    let purchase = PrivatePurchase {
        quote: quote.clone(),
        quote_signature: signature.clone(),
        deadline,
        buyer: fresh_buyer,
        disclosure: tampered,
    };
    let relayer = rules.fx.privacy(&rules.fx.relayer);
    match wallet.pay(&relayer, &keys().spend, &purchase, FEE, &mut rules.rng, |_| {}).await {
        Err(PrivacyError::ProofRejected { reason }) => {
            assert!(reason.starts_with("DisclosureProofInvalid("), "{reason}");
        }
        other => panic!("expected ProofRejected, got {other:?}"),
    }
    // Malformed proofs get the same named error, not an out-of-gas: a point off the curve (the pairing
    // precompile fails on it, and the verifier caps the gas it forwards) and a coordinate >= q.
    for malformed in [[U256::from(1), U256::from(1)], [proof.c[0], Q + U256::from(1)]] {
        let mut bad = proof.clone();
        bad.c = malformed;
        let purchase = PrivatePurchase { disclosure: encode_disclosure(issuer_root, &bad), ..purchase.clone() };
        match wallet.pay(&relayer, &keys().spend, &purchase, FEE, &mut rules.rng, |_| {}).await {
            Err(PrivacyError::ProofRejected { reason }) => {
                assert!(reason.starts_with("DisclosureProofInvalid("), "{reason}");
            }
            other => panic!("expected ProofRejected for a malformed proof, got {other:?}"),
        }
    }
    assert!(!rules.fx.note_spent(&note).await, "the note is not spent on chain");
    assert!(wallet.notes().iter().all(|n| !n.spent), "nor in the wallet");
    assert_eq!(wallet.balance(), DEPOSIT);
    assert_eq!(rules.fx.money().await, before, "nothing charged");
    assert!(
        !rules
            .fx
            .admin
            .call_sol(rules.fx.suite.storefront, &Storefront::quoteUsedCall { machineId: rules.fx.machine, nonce: 1 })
            .await
            .expect("succeeds"),
        "the quote is still unused"
    );

    // The public flow: the depositor buys for itself with a valid disclosure for that order.
    let depositor_client = rules.fx.depositor.clone();
    let disclosure = rules.disclose(&alice, depositor_client.sender(), &quote, deadline).await.expect("discloses");
    let receipt =
        rules.fx.place_public(&depositor_client, &quote, &signature, deadline, disclosure).await.expect("public order");
    let placed = receipt.events::<Storefront::OrderPlaced>();
    assert_eq!(placed.len(), 1);
    let order = rules.fx.order(placed[0].orderId).await;
    assert_eq!((order.status, order.buyer), (status::OPEN, depositor_client.sender()));
    assert_eq!(rules.fx.balance(depositor_client.sender()).await, before.depositor - U256::from(RESTRICTED_PRICE));
    // And the untouched note still pays privately later.
    let (quote, signature) = rules.quote(2).await;
    let deadline = rules.fx.deadline().await;
    let disclosure = rules.disclose(&alice, fresh_buyer, &quote, deadline).await.expect("succeeds");
    let purchase = PrivatePurchase { quote, quote_signature: signature, deadline, buyer: fresh_buyer, disclosure };
    wallet.pay(&relayer, &keys().spend, &purchase, FEE, &mut rules.rng, |_| {}).await.expect("private payment");
    assert!(rules.fx.note_spent(&note).await);
}
