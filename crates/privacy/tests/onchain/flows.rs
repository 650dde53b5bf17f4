//! A private purchase end to end, through the buyer's [`ShieldedWallet`].

use alloy_primitives::U256;
use automat_chain::ChainClient;
use automat_contracts::vending::Outcome;
use automat_privacy::wallet::{PayStage, PrivatePurchase, ShieldedWallet, nullifier_hash};

use crate::common::*;

#[tokio::test]
async fn a_private_purchase_pays_a_fresh_address_and_the_change_pays_again() {
    let fx = Fixture::new().await;
    let mut rng = rng(1);
    let depositor = fx.privacy(&fx.depositor);
    let relayer = fx.privacy(&fx.relayer);
    let mut wallet = ShieldedWallet::new().expect("wallet");

    let deposited = wallet.deposit(&depositor, DEPOSIT, &mut rng).await.expect("deposit");
    assert_eq!(fx.pool_balance().await, U256::from(DEPOSIT));
    assert_eq!(fx.locked().await, U256::from(DEPOSIT));
    assert_eq!(fx.balance(fx.depositor.sender()).await, U256::from(FUNDS - DEPOSIT));

    // First payment: to a fresh address, submitted by the relayer.
    let buyer = fresh("flow 1");
    let (quote, signature) = fx.quote(0, PRICE, 1).await;
    let deadline = fx.deadline().await;
    let purchase =
        PrivatePurchase { quote, quote_signature: signature, deadline, buyer, disclosure: Default::default() };
    let mut stages = Vec::new();
    let paid = wallet
        .pay(&relayer, &keys().spend, &purchase, FEE, &mut rng, |s| stages.push(s))
        .await
        .expect("private payment");
    assert_eq!(stages, [PayStage::Syncing, PayStage::ProvingSpend, PayStage::Submitting]);
    assert_eq!(paid.receipt.from, fx.relayer.sender(), "the relayer sent it, not the depositor");

    let order = fx.order(paid.order_id).await;
    assert_eq!(order.status, status::OPEN);
    assert_eq!(order.buyer, buyer, "the order belongs to the fresh address");
    assert_eq!(order.price, PRICE);
    assert_eq!(fx.balance(fx.relayer.sender()).await, U256::from(FEE), "the relayer got its fee");
    let left = U256::from(DEPOSIT - PRICE - FEE);
    assert_eq!(fx.pool_balance().await, left);
    assert_eq!(fx.locked().await, left);
    assert_eq!(fx.escrow().await, U256::from(PRICE));
    assert_eq!(fx.balance(fx.depositor.sender()).await, U256::from(FUNDS - DEPOSIT), "the depositor paid nothing more");
    assert_eq!(fx.balance(buyer).await, U256::ZERO, "the fresh address holds no tokens");
    assert!(fx.note_spent(&deposited.note).await, "the deposited note is spent");
    assert_eq!(wallet.balance(), DEPOSIT - PRICE - FEE, "the wallet keeps the change");
    assert_eq!(paid.change.commitment, {
        let change = wallet.notes().iter().find(|n| !n.spent).expect("change note");
        automat_privacy::fr_to_u256(&change.note.commitment())
    });

    // The machine dispenses: the receipt goes to the fresh address.
    fx.attest(paid.order_id, Outcome::Dispensed).await;
    assert_eq!(fx.order(paid.order_id).await.status, status::DISPENSED);
    assert_eq!(fx.vending(&fx.admin).receipt_owner(paid.order_id).await.expect("receipt"), buyer);

    // Second payment from the change note (the wallet syncs the tree, which holds the change leaf now).
    let second_buyer = fresh("flow 2");
    let (quote, signature) = fx.quote(0, 3 * USD, 2).await;
    let deadline = fx.deadline().await;
    let purchase = PrivatePurchase {
        quote,
        quote_signature: signature,
        deadline,
        buyer: second_buyer,
        disclosure: Default::default(),
    };
    let change = *wallet.notes().iter().find(|n| !n.spent).expect("change note");
    let second = wallet.pay(&relayer, &keys().spend, &purchase, FEE, &mut rng, |_| {}).await.expect("second payment");
    assert_ne!(second.order_id, paid.order_id);
    let order = fx.order(second.order_id).await;
    assert_eq!((order.status, order.buyer, order.price), (status::OPEN, second_buyer, 3 * USD));
    assert!(fx.is_spent(nullifier_hash(&change.note)).await, "the change note is spent now");
    let left = U256::from(DEPOSIT - PRICE - FEE - 3 * USD - FEE);
    assert_eq!(fx.pool_balance().await, left);
    assert_eq!(fx.locked().await, left);
    assert_eq!(U256::from(wallet.balance()), left, "the wallet's unspent notes are what the pool holds");
    assert_eq!(fx.balance(fx.relayer.sender()).await, U256::from(2 * FEE));
    assert_eq!(fx.leaves().await, 3, "deposit and two change notes");
}
