//! Attacks on the ShieldedPool, each of which must fail with its named error and move nothing: double spends,
//! aliased nullifiers, malleated proofs, proofs moved to another buyer, relayer, fee, root, pool or chain, zero
//! commitments, fees above the cap and values that do not match the quote.

use std::sync::Arc;

use alloy_primitives::{Address, U256, keccak256};
use alloy_sol_types::SolConstructor;
use automat_chain::{ChainClient, ChainClientExt};
use automat_contracts::privacy::{Privacy, PrivacyAddresses, ShieldedPool, SpendVerifier};
use automat_devnet::{Devnet, DevnetConfig};

use crate::common::*;

#[tokio::test]
async fn a_double_spend_is_refused() {
    let fx = Fixture::new().await;
    let mut rng = rng(2);
    let note = fx.deposit(DEPOSIT, &mut rng).await;
    let (quote, signature) = fx.quote(0, PRICE, 1).await;
    let deadline = fx.deadline().await;
    let buyer = fresh("double");
    let proved = fx.prove_order(note, &quote, deadline, buyer, fx.relayer.sender(), FEE, &mut rng).await;
    let paid = fx.pay(&fx.relayer, &proved, &quote, &signature, deadline, buyer).await.expect("first spend");
    assert_eq!(paid.change.commitment, automat_privacy::fr_to_u256(&proved.change.commitment()), "the change leaf");
    let after = fx.money().await;

    // The exact same proof and spend again, from the relayer and from anyone else.
    for client in [&fx.relayer, &fx.stranger] {
        assert_revert(
            fx.pay(client, &proved, &quote, &signature, deadline, buyer).await,
            ShieldedPool::NullifierSpent { nullifierHash: proved.spend.nullifierHash },
        );
    }
    assert_eq!(fx.money().await, after, "nothing moved");
    assert_eq!(after.pool, U256::from(DEPOSIT - PRICE - FEE));
}

#[tokio::test]
async fn an_aliased_nullifier_is_refused() {
    let fx = Fixture::new().await;
    assert_eq!(
        R,
        "21888242871839275222246405745257275088548364400416034343698204186575808495617"
            .parse::<U256>()
            .expect("succeeds")
    );
    let mut rng = rng(3);
    let note = fx.deposit(DEPOSIT, &mut rng).await;
    let (quote, signature) = fx.quote(0, PRICE, 1).await;
    let deadline = fx.deadline().await;
    let buyer = fresh("alias");
    let proved = fx.prove_order(note, &quote, deadline, buyer, fx.relayer.sender(), FEE, &mut rng).await;
    let before = fx.money().await;

    // nullifierHash + r is the same field element; the note is unspent, so only the >= r check refuses it.
    let mut aliased = proved.clone();
    aliased.spend.nullifierHash = proved.spend.nullifierHash + R;
    assert_revert(
        fx.pay(&fx.relayer, &aliased, &quote, &signature, deadline, buyer).await,
        ShieldedPool::NullifierSpent { nullifierHash: aliased.spend.nullifierHash },
    );
    assert_eq!(fx.money().await, before);
    assert!(!fx.note_spent(&note).await);

    // The verifier itself refuses any input >= r, whichever it is.
    let inputs = Fixture::inputs(&proved);
    assert!(fx.verify(&proved.proof, inputs).await.expect("verifies"), "the honest inputs verify");
    for index in 0..5 {
        let mut bad = inputs;
        bad[index] += R;
        assert_revert(
            fx.verify(&proved.proof, bad).await,
            SpendVerifier::PublicInputNotInField { index: U256::from(index) },
        );
    }

    // The honest spend still goes through, and then the alias is refused as spent too.
    fx.pay(&fx.relayer, &proved, &quote, &signature, deadline, buyer).await.expect("honest spend");
    let (quote2, signature2) = fx.quote(0, PRICE, 2).await;
    let deadline2 = fx.deadline().await;
    let mut aliased = fx.prove_order(note, &quote2, deadline2, buyer, fx.relayer.sender(), FEE, &mut rng).await;
    aliased.spend.nullifierHash += R;
    assert_revert(
        fx.pay(&fx.relayer, &aliased, &quote2, &signature2, deadline2, buyer).await,
        ShieldedPool::NullifierSpent { nullifierHash: aliased.spend.nullifierHash },
    );
}

#[tokio::test]
async fn a_malleated_proof_verifies_but_cannot_replay_a_spend() {
    let fx = Fixture::new().await;
    let mut rng = rng(4);
    let note = fx.deposit(DEPOSIT, &mut rng).await;
    let (quote, signature) = fx.quote(0, PRICE, 1).await;
    let deadline = fx.deadline().await;
    let buyer = fresh("malleate");
    let proved = fx.prove_order(note, &quote, deadline, buyer, fx.relayer.sender(), FEE, &mut rng).await;
    let malleated = malleate(&proved.proof);
    assert_ne!(malleated, proved.proof, "other proof bytes");
    let inputs = Fixture::inputs(&proved);
    assert!(fx.verify(&proved.proof, inputs).await.expect("verify"));
    assert!(fx.verify(&malleated, inputs).await.expect("verify"), "(-A, -B, C) verifies for the same inputs");
    // Negating only A (or only B) does not.
    let half = automat_contracts::privacy::Proof { a: malleated.a, ..proved.proof.clone() };
    assert!(!fx.verify(&half, inputs).await.expect("verify"));

    fx.pay(&fx.relayer, &proved, &quote, &signature, deadline, buyer).await.expect("spend");
    let after = fx.money().await;
    let replay = Proved { proof: malleated, ..proved.clone() };
    assert_revert(
        fx.pay(&fx.stranger, &replay, &quote, &signature, deadline, buyer).await,
        ShieldedPool::NullifierSpent { nullifierHash: proved.spend.nullifierHash },
    );
    assert_eq!(fx.money().await, after, "replay protection is the nullifier, not the proof bytes");
}

#[tokio::test]
async fn a_proof_cannot_be_moved_to_another_buyer_relayer_or_fee() {
    let fx = Fixture::new().await;
    let mut rng = rng(5);
    let note = fx.deposit(DEPOSIT, &mut rng).await;
    let (quote, signature) = fx.quote(0, PRICE, 1).await;
    let deadline = fx.deadline().await;
    let buyer = fresh("bound");
    let proved = fx.prove_order(note, &quote, deadline, buyer, fx.relayer.sender(), FEE, &mut rng).await;
    let before = fx.money().await;

    // Another buyer (a front-runner wanting the receipt and refund).
    assert_revert(
        fx.pay(&fx.stranger, &proved, &quote, &signature, deadline, fx.stranger.sender()).await,
        ShieldedPool::InvalidSpendProof {},
    );
    // Another relayer (a front-runner wanting the fee), submitting itself.
    let mut moved = proved.clone();
    moved.spend.relayer = fx.stranger.sender();
    assert_revert(
        fx.pay(&fx.stranger, &moved, &quote, &signature, deadline, buyer).await,
        ShieldedPool::InvalidSpendProof {},
    );
    // Another fee, up or down (withdrawn unchanged, and with it).
    for (fee, withdrawn) in [(FEE + 1, PRICE + FEE), (FEE - 1, PRICE + FEE), (FEE + 1, PRICE + FEE + 1)] {
        let mut moved = proved.clone();
        moved.spend.fee = fee;
        moved.spend.withdrawn = withdrawn;
        assert_revert(
            fx.pay(&fx.relayer, &moved, &quote, &signature, deadline, buyer).await,
            ShieldedPool::InvalidSpendProof {},
        );
    }
    assert_eq!(fx.money().await, before, "nothing moved");
    assert!(!fx.note_spent(&note).await);
    assert_eq!(fx.balance(fx.stranger.sender()).await, U256::ZERO);

    // The proof as made still pays.
    fx.pay(&fx.relayer, &proved, &quote, &signature, deadline, buyer).await.expect("honest spend");
    assert_eq!(fx.balance(fx.relayer.sender()).await, U256::from(FEE));
}

#[tokio::test]
async fn unknown_zero_and_evicted_roots_are_refused() {
    let fx = Fixture::new().await;
    let mut rng = rng(6);
    let note = fx.deposit(DEPOSIT, &mut rng).await;
    let (quote, signature) = fx.quote(0, PRICE, 1).await;
    let deadline = fx.deadline().await;
    let buyer = fresh("roots");
    let old_tree = fx.tree().await;
    let proved = fx.prove_order_in(&old_tree, note, &quote, deadline, buyer, fx.relayer.sender(), FEE, &mut rng).await;
    let before = fx.money().await;

    let random = U256::from_be_bytes(keccak256("a root nobody saw").0) % R;
    for root in [random, U256::ZERO] {
        let mut moved = proved.clone();
        moved.spend.root = root;
        assert_revert(
            fx.pay(&fx.relayer, &moved, &quote, &signature, deadline, buyer).await,
            ShieldedPool::UnknownRoot { root },
        );
    }
    assert_eq!(fx.money().await, before);

    // ROOT_HISTORY_SIZE more deposits push the proof's root out of the ring: after 31 it is still known.
    let history =
        fx.admin.call_sol(fx.addresses.pool, &ShieldedPool::ROOT_HISTORY_SIZECall {}).await.expect("ROOT_HISTORY_SIZE");
    assert_eq!(history, 32);
    let privacy = fx.privacy(&fx.admin);
    for _ in 0..history - 1 {
        fx.deposit(USD, &mut rng).await;
    }
    assert!(privacy.is_known_root(proved.spend.root).await.expect("succeeds"), "still among the last 32 roots");
    fx.deposit(USD, &mut rng).await;
    assert!(!privacy.is_known_root(proved.spend.root).await.expect("succeeds"), "evicted by the 32nd deposit");
    let before = fx.money().await;
    assert_revert(
        fx.pay(&fx.relayer, &proved, &quote, &signature, deadline, buyer).await,
        ShieldedPool::UnknownRoot { root: proved.spend.root },
    );
    assert_eq!(fx.money().await, before);
    assert!(!fx.note_spent(&note).await);

    // The same note proved against the current root pays.
    let fresh_proof = fx.prove_order(note, &quote, deadline, buyer, fx.relayer.sender(), FEE, &mut rng).await;
    assert_ne!(fresh_proof.spend.root, proved.spend.root);
    fx.pay(&fx.relayer, &fresh_proof, &quote, &signature, deadline, buyer).await.expect("current root");
    assert!(fx.note_spent(&note).await);
}

#[tokio::test]
async fn zero_and_out_of_field_commitments_are_refused() {
    let fx = Fixture::new().await;
    let mut rng = rng(7);
    let depositor = fx.privacy(&fx.depositor);
    let before = fx.money().await;
    for precommitment in [U256::ZERO, R, R + U256::from(5), U256::MAX] {
        assert_revert(
            depositor.deposit(USD, precommitment).await,
            ShieldedPool::InvalidCommitment { commitment: precommitment },
        );
    }
    assert_eq!(fx.money().await, before, "no deposit went in");

    // A spend claiming the empty leaf as its change.
    let note = fx.deposit(DEPOSIT, &mut rng).await;
    let (quote, signature) = fx.quote(0, PRICE, 1).await;
    let deadline = fx.deadline().await;
    let buyer = fresh("zero change");
    let proved = fx.prove_order(note, &quote, deadline, buyer, fx.relayer.sender(), FEE, &mut rng).await;
    let before = fx.money().await;
    for change in [U256::ZERO, proved.spend.changeCommitment + R] {
        let mut zero = proved.clone();
        zero.spend.changeCommitment = change;
        assert_revert(
            fx.pay(&fx.relayer, &zero, &quote, &signature, deadline, buyer).await,
            ShieldedPool::InvalidCommitment { commitment: change },
        );
    }
    assert_eq!(fx.money().await, before);
    assert!(!fx.note_spent(&note).await);
}

#[tokio::test]
async fn a_proof_for_another_pool_is_refused() {
    let fx = Fixture::new().await;
    let mut rng = rng(8);
    // A second pool: same token, verifier and storefront.
    let init = [
        ShieldedPool::BYTECODE.to_vec(),
        ShieldedPool::constructorCall {
            token_: fx.suite.token,
            verifier_: fx.addresses.spend_verifier,
            storefront_: fx.suite.storefront,
            maxRelayerFee_: MAX_FEE,
        }
        .abi_encode(),
    ]
    .concat();
    let pool2 = fx.admin.deploy(init.into()).await.expect("second pool").address;
    let other = Privacy::new(fx.depositor.clone(), fx.suite, PrivacyAddresses { pool: pool2, ..fx.addresses });

    // Identical trees: the same notes in the same order.
    let decoy = random_note(3 * USD, &mut rng);
    let note = random_note(DEPOSIT, &mut rng);
    for n in [decoy, note] {
        fx.privacy(&fx.depositor)
            .deposit(n.amount, automat_privacy::fr_to_u256(&n.precommitment()))
            .await
            .expect("succeeds");
        other.deposit(n.amount, automat_privacy::fr_to_u256(&n.precommitment())).await.expect("succeeds");
    }
    let root = fx.privacy(&fx.admin).current_root().await.expect("succeeds");
    assert_eq!(other.current_root().await.expect("succeeds"), root, "same leaves, same root");

    let (quote, signature) = fx.quote(0, PRICE, 1).await;
    let deadline = fx.deadline().await;
    let buyer = fresh("pool");
    let proved = fx.prove_order(note, &quote, deadline, buyer, fx.relayer.sender(), FEE, &mut rng).await;
    assert_eq!(proved.spend.root, root);
    let pool2_before = fx.balance(pool2).await;
    let before = fx.money().await;
    assert_revert(
        other
            .with_client(fx.relayer.clone())
            .pay_order(&proved.proof, &proved.spend, &quote, signature.clone(), deadline, buyer, Default::default())
            .await,
        ShieldedPool::InvalidSpendProof {},
    );
    assert_eq!(fx.balance(pool2).await, pool2_before);
    assert_eq!(fx.money().await, before);
    assert!(!other.is_spent(proved.spend.nullifierHash).await.expect("succeeds"));

    // The proof is good for the pool it was made for.
    fx.pay(&fx.relayer, &proved, &quote, &signature, deadline, buyer).await.expect("pool 1 spend");

    // A wallet belongs to the pool its notes are in: syncing it against another pool is refused.
    let mut wallet = automat_privacy::wallet::ShieldedWallet::new().expect("wallet");
    wallet.sync(&fx.privacy(&fx.depositor)).await.expect("first pool");
    match wallet.sync(&other).await {
        Err(automat_privacy::PrivacyError::TreeMismatch(reason)) => assert!(reason.contains("not pool"), "{reason}"),
        other => panic!("expected the other pool refused, got {other:?}"),
    }
}

#[tokio::test]
async fn a_proof_for_another_chain_is_refused() {
    let devnet = Arc::new(Devnet::start(DevnetConfig::with_chains(2)).expect("devnet"));
    let ids = devnet.chain_ids();
    let one = Fixture::on(Arc::clone(&devnet), ids[0]).await;
    let two = Fixture::on(Arc::clone(&devnet), ids[1]).await;
    assert_ne!(one.suite.chain_id, two.suite.chain_id);
    assert_eq!(
        (one.suite.token, one.suite.registry, one.suite.storefront, one.suite.receipts),
        (two.suite.token, two.suite.registry, two.suite.storefront, two.suite.receipts),
        "the same deployment from the same admin lands on the same addresses"
    );
    assert_eq!(one.addresses, two.addresses);
    assert_eq!(one.machine, two.machine);

    let mut rng = rng(9);
    let note = random_note(DEPOSIT, &mut rng);
    for fx in [&one, &two] {
        fx.privacy(&fx.depositor)
            .deposit(note.amount, automat_privacy::fr_to_u256(&note.precommitment()))
            .await
            .expect("succeeds");
    }
    let root = one.privacy(&one.admin).current_root().await.expect("succeeds");
    assert_eq!(two.privacy(&two.admin).current_root().await.expect("succeeds"), root);

    // Quote and deadline identical on both chains (the chains' clocks agree).
    let expiry = one.now().await.max(two.now().await) + 300;
    let deadline = expiry + 300;
    let quote = automat_contracts::vending::Quote { machineId: one.machine, slot: 0, price: PRICE, expiry, nonce: 1 };
    let sign = |fx: &Fixture| {
        automat_contracts::vending::sign_typed(&fx.machine_key, &fx.suite.domain(), &quote).expect("signs")
    };
    let buyer = fresh("chain");
    let proved = one.prove_order(note, &quote, deadline, buyer, one.relayer.sender(), FEE, &mut rng).await;
    let before = two.money().await;
    assert_revert(
        two.pay(&two.relayer, &proved, &quote, &sign(&two), deadline, buyer).await,
        ShieldedPool::InvalidSpendProof {},
    );
    assert_eq!(two.money().await, before);
    assert!(!two.note_spent(&note).await);

    // Made for chain 2, the same spend pays there; chain 1's proof still pays on chain 1.
    let proved2 = two.prove_order(note, &quote, deadline, buyer, two.relayer.sender(), FEE, &mut rng).await;
    assert_ne!(Fixture::inputs(&proved2)[4], Fixture::inputs(&proved)[4], "the context names the chain");
    two.pay(&two.relayer, &proved2, &quote, &sign(&two), deadline, buyer).await.expect("chain 2 spend");
    one.pay(&one.relayer, &proved, &quote, &sign(&one), deadline, buyer).await.expect("chain 1 spend");
}

#[tokio::test]
async fn a_fee_above_the_cap_and_a_value_off_the_price_are_refused() {
    let fx = Fixture::new().await;
    let mut rng = rng(10);
    let note = fx.deposit(DEPOSIT, &mut rng).await;
    let (quote, signature) = fx.quote(0, PRICE, 1).await;
    let deadline = fx.deadline().await;
    let buyer = fresh("fees");
    let relayer = fx.relayer.sender();
    let before = fx.money().await;

    // Valid proofs, each for exactly what it claims.
    let greedy = fx.prove_order(note, &quote, deadline, buyer, relayer, MAX_FEE + 1, &mut rng).await;
    assert_revert(
        fx.pay(&fx.relayer, &greedy, &quote, &signature, deadline, buyer).await,
        ShieldedPool::RelayerFeeTooHigh { fee: MAX_FEE + 1, cap: MAX_FEE },
    );
    // A fee without a relayer.
    let nobody = fx.prove_order(note, &quote, deadline, buyer, Address::ZERO, FEE, &mut rng).await;
    assert_revert(
        fx.pay(&fx.relayer, &nobody, &quote, &signature, deadline, buyer).await,
        ShieldedPool::RelayerFeeTooHigh { fee: FEE, cap: MAX_FEE },
    );

    let privacy = fx.privacy(&fx.admin);
    let binding = privacy.order_binding(buyer, &quote, deadline).await.expect("succeeds");
    let context = privacy.spend_context(binding, relayer, FEE).await.expect("succeeds");
    let tree = fx.tree().await;
    for withdrawn in [PRICE + FEE + 1, PRICE + FEE - 1] {
        let off = fx.prove(note, &tree, withdrawn, context, relayer, FEE, &mut rng);
        assert_revert(
            fx.pay(&fx.relayer, &off, &quote, &signature, deadline, buyer).await,
            ShieldedPool::ValueMismatch { value: withdrawn - FEE, price: PRICE },
        );
    }
    assert_eq!(fx.money().await, before, "nothing moved");
    assert!(!fx.note_spent(&note).await);

    // At the cap exactly, it pays.
    let capped = fx.prove_order(note, &quote, deadline, buyer, relayer, MAX_FEE, &mut rng).await;
    fx.pay(&fx.relayer, &capped, &quote, &signature, deadline, buyer).await.expect("fee at the cap");
    assert_eq!(fx.balance(relayer).await, U256::from(MAX_FEE));
}
