//! Property test: random sequences of deposits, private payments (price within the slot's band, fee up to the
//! cap; a payment no note covers is refused off chain) and dispenses keep the books: the pool's token balance
//! equals `totalLocked` equals the wallet's unspent notes; every nullifier is spent at most once and exactly the
//! wallet's spent notes are spent on chain; the Storefront's escrow equals the open orders' prices; the relayer
//! holds exactly its fees. Few cases: every payment is a Groth16 proof.

use std::collections::BTreeSet;

use alloy_primitives::U256;
use automat_chain::ChainClient;
use automat_contracts::vending::Outcome;
use automat_privacy::PrivacyError;
use automat_privacy::wallet::{PrivatePurchase, ShieldedWallet, nullifier_hash};
use proptest::prelude::*;
use proptest::test_runner::{Config as ProptestConfig, TestRunner};

use crate::common::*;

#[derive(Debug, Clone)]
enum Action {
    Deposit { amount: u128 },
    Pay { price_permille: u128, fee: u128 },
    Dispense { pick: usize },
}

fn action() -> impl Strategy<Value = Action> {
    prop_oneof![
        3 => (1u128..=40).prop_map(|quarters| Action::Deposit { amount: quarters * USD / 4 }),
        4 => (0u128..=1000, prop_oneof![Just(0), 0..=MAX_FEE, Just(MAX_FEE)])
            .prop_map(|(price_permille, fee)| Action::Pay { price_permille, fee }),
        1 => (0usize..16).prop_map(|pick| Action::Dispense { pick }),
    ]
}

struct Model {
    open: Vec<(U256, u128)>,
    spent: BTreeSet<U256>,
    deposited: u128,
    fees: u128,
    nonce: u64,
}

async fn check(fx: &Fixture, wallet: &ShieldedWallet, model: &Model) {
    let pool = fx.pool_balance().await;
    assert_eq!(pool, fx.locked().await, "pool balance = totalLocked");
    assert_eq!(pool, U256::from(wallet.balance()), "pool balance = the wallet's unspent notes");
    let open: u128 = model.open.iter().map(|(_, price)| price).sum();
    assert_eq!(fx.escrow().await, U256::from(open), "escrow = open orders");
    assert_eq!(fx.balance(fx.relayer.sender()).await, U256::from(model.fees), "the relayer holds its fees");
    assert_eq!(fx.balance(fx.depositor.sender()).await, U256::from(FUNDS - model.deposited));
    for owned in wallet.notes() {
        assert_eq!(fx.note_spent(&owned.note).await, owned.spent, "on-chain spent flag of {owned:?}");
    }
    for (id, price) in &model.open {
        let order = fx.order(*id).await;
        assert_eq!((order.status, order.price), (status::OPEN, *price));
    }
}

async fn run(actions: &[Action], case: u64) {
    let fx = Fixture::new().await;
    let relayer = fx.privacy(&fx.relayer);
    let depositor = fx.privacy(&fx.depositor);
    let mut rng = rng(case);
    let mut wallet = ShieldedWallet::new().expect("succeeds");
    let mut model = Model { open: Vec::new(), spent: BTreeSet::new(), deposited: 0, fees: 0, nonce: 0 };
    for (step, action) in actions.iter().enumerate() {
        match *action {
            Action::Deposit { amount } => {
                wallet.deposit(&depositor, amount, &mut rng).await.expect("deposit");
                model.deposited += amount;
            }
            Action::Pay { price_permille, fee } => {
                let price = USD + 2 * USD * price_permille / 1000;
                model.nonce += 1;
                let (quote, quote_signature) = fx.quote(0, price, model.nonce).await;
                let deadline = fx.deadline().await;
                let buyer = fresh(&format!("property {case} {step}"));
                let purchase =
                    PrivatePurchase { quote, quote_signature, deadline, buyer, disclosure: Default::default() };
                let covered = wallet.notes().iter().any(|n| !n.spent && n.note.amount >= price + fee);
                let unspent: Vec<_> = wallet.notes().iter().filter(|n| !n.spent).map(|n| n.note).collect();
                let before = fx.money().await;
                match wallet.pay(&relayer, &keys().spend, &purchase, fee, &mut rng, |_| {}).await {
                    Ok(paid) => {
                        assert!(covered, "paid without a covering note");
                        let spent: Vec<_> = unspent
                            .iter()
                            .filter(|n| wallet.notes().iter().any(|o| o.note == **n && o.spent))
                            .collect();
                        assert_eq!(spent.len(), 1, "one note spent per payment");
                        let nullifier = nullifier_hash(spent[0]);
                        assert!(model.spent.insert(nullifier), "nullifier {nullifier} spent twice");
                        let order = fx.order(paid.order_id).await;
                        assert_eq!((order.buyer, order.price), (buyer, price));
                        model.open.push((paid.order_id, price));
                        model.fees += fee;
                    }
                    Err(PrivacyError::InsufficientNotes { needed, .. }) => {
                        assert!(!covered, "refused though a note covers it");
                        assert_eq!(needed, price + fee);
                        assert_eq!(fx.money().await, before, "nothing moved");
                    }
                    Err(other) => panic!("payment failed: {other}"),
                }
            }
            Action::Dispense { pick } => {
                if model.open.is_empty() {
                    continue;
                }
                let (id, _) = model.open.remove(pick % model.open.len());
                fx.attest(id, Outcome::Dispensed).await;
                assert_eq!(fx.order(id).await.status, status::DISPENSED);
            }
        }
        check(&fx, &wallet, &model).await;
    }
}

#[test]
fn random_deposits_and_payments_keep_the_books() {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let config =
        ProptestConfig { cases: 6, max_shrink_iters: 8, failure_persistence: None, ..ProptestConfig::default() };
    let case = std::cell::Cell::new(0u64);
    let result = TestRunner::new(config).run(&proptest::collection::vec(action(), 3..=10), |actions| {
        case.set(case.get() + 1);
        rt.block_on(run(&actions, case.get()));
        Ok(())
    });
    if let Err(failure) = result {
        panic!("{failure}");
    }
}
