//! Storefront, offline: the prepaid allowance (deposit, delayed withdrawal) and settling sales that machines made
//! against buyers' vouchers while partitioned, double spends included.

use alloy_primitives::{B256, U256};
use automat_chain::{ChainClient, ChainClientExt};
use automat_contracts::vending::{
    MachineRegistry, OfflineSale, PaymentToken, ReceiptNFT,
    Storefront::{self, StorefrontEvents as Ev},
};

use crate::common::*;

const DELAY: u64 = 86_400;

impl Fixture {
    async fn request_withdrawal(&self, amount: u128) -> Result<automat_chain::Receipt, automat_chain::ChainError> {
        self.buyer.send_sol(self.suite.storefront, &Storefront::requestPrepaidWithdrawalCall { amount }).await
    }

    async fn withdraw(&self) -> Result<automat_chain::Receipt, automat_chain::ChainError> {
        self.buyer.send_sol(self.suite.storefront, &Storefront::withdrawPrepaidCall {}).await
    }

    async fn voucher_spent_by(&self, nonce: u64) -> U256 {
        self.admin
            .call_sol(self.suite.storefront, &Storefront::voucherSpentByCall { buyer: self.buyer.sender(), nonce })
            .await
            .expect("voucherSpentBy")
    }
}

fn prepaid(balance: u128, pending: u128, at: u64) -> Storefront::Prepaid {
    Storefront::Prepaid { balance, pendingWithdrawal: pending, withdrawableAt: at }
}

// ---------------------------------------------------------------------- prepaid allowance

#[tokio::test]
async fn deposit_prepaid_adds_to_the_allowance() {
    let fx = Fixture::new().await;
    let buyer = fx.buyer.sender();
    let receipt = fx.deposit(10 * USD).await;
    assert_eq!(
        all_events::<Ev>(&receipt, fx.suite.storefront),
        vec![Ev::PrepaidDeposited(Storefront::PrepaidDeposited { buyer, amount: 10 * USD, balance: 10 * USD })]
    );
    assert_eq!(
        events_from::<PaymentToken::Transfer>(&receipt, fx.suite.token),
        vec![PaymentToken::Transfer { from: buyer, to: fx.suite.storefront, value: U256::from(10 * USD) }]
    );
    let receipt = fx.deposit(5 * USD).await;
    assert_eq!(
        all_events::<Ev>(&receipt, fx.suite.storefront),
        vec![Ev::PrepaidDeposited(Storefront::PrepaidDeposited { buyer, amount: 5 * USD, balance: 15 * USD })]
    );
    assert_eq!(fx.prepaid().await, prepaid(15 * USD, 0, 0));
    assert_eq!(fx.total_prepaid().await, U256::from(15 * USD));
    assert_eq!(fx.balance(fx.suite.storefront).await, U256::from(15 * USD));
    assert_eq!(fx.balance(buyer).await, U256::from(FUNDS - 15 * USD));
}

#[tokio::test]
async fn deposit_of_zero_reverts() {
    let fx = Fixture::new().await;
    assert_revert(
        fx.buyer.send_sol(fx.suite.storefront, &Storefront::depositPrepaidCall { amount: 0 }).await,
        Storefront::ZeroAmount {},
    );
}

#[tokio::test]
async fn withdrawal_waits_for_the_delay() {
    let fx = Fixture::new().await;
    let buyer = fx.buyer.sender();
    fx.deposit(10 * USD).await;
    let receipt = fx.request_withdrawal(4 * USD).await.expect("request");
    let due = fx.now().await + DELAY;
    assert_eq!(
        all_events::<Ev>(&receipt, fx.suite.storefront),
        vec![Ev::PrepaidWithdrawalRequested(Storefront::PrepaidWithdrawalRequested {
            buyer,
            amount: 4 * USD,
            withdrawableAt: due,
        })]
    );
    assert_eq!(fx.prepaid().await, prepaid(10 * USD, 4 * USD, due));
    assert_revert(fx.withdraw().await, Storefront::PrepaidWithdrawalNotReady { withdrawableAt: due });
    fx.mine_at(due - 2).await;
    assert_revert(fx.withdraw().await, Storefront::PrepaidWithdrawalNotReady { withdrawableAt: due });
    fx.mine_at(due - 1).await;

    let before = fx.balance(buyer).await;
    let receipt = fx.withdraw().await.expect("due now");
    assert_eq!(fx.now().await, due);
    assert_eq!(
        all_events::<Ev>(&receipt, fx.suite.storefront),
        vec![Ev::PrepaidWithdrawn(Storefront::PrepaidWithdrawn { buyer, amount: 4 * USD, balance: 6 * USD })]
    );
    assert_eq!(
        events_from::<PaymentToken::Transfer>(&receipt, fx.suite.token),
        vec![PaymentToken::Transfer { from: fx.suite.storefront, to: buyer, value: U256::from(4 * USD) }]
    );
    assert_eq!(fx.balance(buyer).await, before + U256::from(4 * USD));
    assert_eq!(fx.prepaid().await, prepaid(6 * USD, 0, 0));
    assert_eq!(fx.total_prepaid().await, U256::from(6 * USD));
    assert_eq!(fx.balance(fx.suite.storefront).await, U256::from(6 * USD));

    assert_revert(fx.withdraw().await, Storefront::PrepaidWithdrawalNotReady { withdrawableAt: 0 });
}

#[tokio::test]
async fn withdrawal_request_refusals() {
    let fx = Fixture::new().await;
    assert_revert(fx.withdraw().await, Storefront::PrepaidWithdrawalNotReady { withdrawableAt: 0 });
    assert_revert(fx.request_withdrawal(1).await, Storefront::PrepaidInsufficient { requested: 1, balance: 0 });
    fx.deposit(10 * USD).await;
    assert_revert(fx.request_withdrawal(0).await, Storefront::ZeroAmount {});
    assert_revert(
        fx.request_withdrawal(10 * USD + 1).await,
        Storefront::PrepaidInsufficient { requested: 10 * USD + 1, balance: 10 * USD },
    );
}

#[tokio::test]
async fn a_later_request_replaces_the_earlier_one() {
    let fx = Fixture::new().await;
    fx.deposit(10 * USD).await;
    fx.request_withdrawal(4 * USD).await.expect("first");
    fx.advance(1_000).await;
    fx.request_withdrawal(2 * USD).await.expect("second");
    let due = fx.now().await + DELAY;
    assert_eq!(fx.prepaid().await, prepaid(10 * USD, 2 * USD, due), "amount and clock both restart");
}

/// Sales settled while a withdrawal waits are paid first; the withdrawal gets what is left.
#[tokio::test]
async fn withdrawal_gets_what_offline_sales_left() {
    let fx = Fixture::new().await;
    fx.deposit(10 * USD).await;
    fx.request_withdrawal(10 * USD).await.expect("request everything");
    let due = fx.now().await + DELAY;
    let (voucher, vsig) = fx.voucher(5 * USD, 1, due + DELAY);
    let (sale, ssig) = fx.sale(&voucher, 0, 3 * USD, fx.now().await);
    fx.settle(&fx.operator, &voucher, &vsig, &sale, &ssig).await.expect("settles during the delay");
    fx.mine_at(due).await;
    let receipt = fx.withdraw().await.expect("withdraw");
    assert_eq!(
        all_events::<Ev>(&receipt, fx.suite.storefront),
        vec![Ev::PrepaidWithdrawn(Storefront::PrepaidWithdrawn {
            buyer: fx.buyer.sender(),
            amount: 7 * USD,
            balance: 0,
        })]
    );
    assert_eq!(fx.total_prepaid().await, U256::ZERO);
    assert_eq!(fx.balance(fx.suite.storefront).await, U256::ZERO);
}

// ---------------------------------------------------------------------- settleOfflineSale

#[tokio::test]
async fn settle_offline_sale_pays_the_operator_from_the_allowance_and_mints() {
    let fx = Fixture::new().await;
    let buyer = fx.buyer.sender();
    fx.deposit(10 * USD).await;
    let before = fx.balances().await;
    let now = fx.now().await;
    let (voucher, vsig) = fx.voucher(5 * USD, 1, now + 3_600);
    let price = 2 * USD;
    let (sale, ssig) = fx.sale(&voucher, 0, price, now - 30);
    let fee = Fixture::fee(price);

    let call = settle_call(&voucher, &vsig, &sale, &ssig);
    let simulated = fx.operator.call_sol(fx.suite.storefront, &call).await.expect("simulates");
    assert_eq!((simulated.orderId, simulated.doubleSpend), (U256::from(1), false));

    let receipt = fx.settle(&fx.operator, &voucher, &vsig, &sale, &ssig).await.expect("settles");
    let settled_at = fx.now().await;
    assert_eq!(
        all_events::<Ev>(&receipt, fx.suite.storefront),
        vec![Ev::OfflineSaleSettled(Storefront::OfflineSaleSettled {
            orderId: U256::from(1),
            machineId: fx.machine,
            buyer,
            voucherHash: fx.voucher_hash(&voucher),
            voucherNonce: 1,
            price,
            charged: price,
            fee,
        })]
    );
    assert_eq!(
        events_from::<ReceiptNFT::ReceiptMinted>(&receipt, fx.suite.receipts),
        vec![ReceiptNFT::ReceiptMinted { tokenId: U256::from(1), owner: buyer, metadataDigest: sale.metadataDigest }]
    );
    assert_eq!(
        events_from::<PaymentToken::Transfer>(&receipt, fx.suite.token),
        vec![
            PaymentToken::Transfer {
                from: fx.suite.storefront,
                to: fx.operator.sender(),
                value: U256::from(price - fee),
            },
            PaymentToken::Transfer { from: fx.suite.storefront, to: FEE_RECIPIENT, value: U256::from(fee) },
        ]
    );
    assert_eq!(
        events_from::<MachineRegistry::StockChanged>(&receipt, fx.suite.registry),
        vec![MachineRegistry::StockChanged { machineId: fx.machine, slot: 0, stock: 4 }]
    );

    assert_eq!(
        fx.order(U256::from(1)).await,
        Storefront::Order {
            buyer,
            machineId: fx.machine,
            slot: 0,
            status: status::DISPENSED,
            offline: true,
            price,
            deadline: now - 30,
            createdAt: settled_at,
        }
    );
    let after = fx.balances().await;
    assert_eq!(after.operator, before.operator + U256::from(price - fee));
    assert_eq!(after.fees, before.fees + U256::from(fee));
    assert_eq!(after.buyer, before.buyer, "paid from the allowance, not the wallet");
    assert_eq!(after.storefront, U256::from(8 * USD));
    assert_eq!(fx.prepaid().await, prepaid(8 * USD, 0, 0));
    assert_eq!(fx.total_prepaid().await, U256::from(8 * USD));
    assert_eq!(fx.escrow().await, U256::ZERO);
    assert_eq!(fx.voucher_spent_by(1).await, U256::from(1));
    assert_eq!(fx.receipt_owner(U256::from(1)).await, buyer);
    assert_eq!(fx.minted().await, U256::from(1));
}

/// The same voucher presented by a second machine is a double spend: recorded (order, receipt, event naming the
/// buyer) but not paid. The buyer authorised one payment; a machine's word alone never moves more of the buyer's
/// allowance, so the loss is the second operator's.
#[tokio::test]
async fn the_same_voucher_at_a_second_machine_is_a_double_spend() {
    let fx = Fixture::new().await;
    let buyer = fx.buyer.sender();
    let (operator2, key2, machine2) = fx.second_machine().await;
    fx.deposit(10 * USD).await;
    let now = fx.now().await;
    let (voucher, vsig) = fx.voucher(2 * USD, 9, now + 3_600);
    let voucher_hash = fx.voucher_hash(&voucher);

    let (sale_a, sig_a) = fx.sale(&voucher, 0, 2 * USD, now - 20);
    let first = fx.settle(&fx.operator, &voucher, &vsig, &sale_a, &sig_a).await.expect("first use pays");
    assert!(first.events::<Storefront::VoucherDoubleSpent>().is_empty());
    assert_eq!(fx.prepaid().await.balance, 8 * USD);

    let op2_before = fx.balance(operator2.sender()).await;
    let (sale_b, sig_b) = fx.sale_by(&key2, &voucher, machine2, 1, 2 * USD, now - 10);
    let call = settle_call(&voucher, &vsig, &sale_b, &sig_b);
    let simulated = operator2.call_sol(fx.suite.storefront, &call).await.expect("simulates");
    assert_eq!((simulated.orderId, simulated.doubleSpend), (U256::from(2), true));
    let receipt = fx.settle(&operator2, &voucher, &vsig, &sale_b, &sig_b).await.expect("recorded, not refused");
    assert_eq!(
        all_events::<Ev>(&receipt, fx.suite.storefront),
        vec![
            Ev::OfflineSaleSettled(Storefront::OfflineSaleSettled {
                orderId: U256::from(2),
                machineId: machine2,
                buyer,
                voucherHash: voucher_hash,
                voucherNonce: 9,
                price: 2 * USD,
                charged: 0,
                fee: 0,
            }),
            Ev::VoucherDoubleSpent(Storefront::VoucherDoubleSpent {
                buyer,
                voucherNonce: 9,
                firstOrderId: U256::from(1),
                orderId: U256::from(2),
                unpaid: 2 * USD,
            }),
        ]
    );
    assert!(events_from::<PaymentToken::Transfer>(&receipt, fx.suite.token).is_empty(), "nothing moves");
    assert_eq!(fx.balance(operator2.sender()).await, op2_before, "the second operator bears it");
    assert_eq!(fx.prepaid().await.balance, 8 * USD, "the rest of the allowance is untouched");

    // The same machine inventing yet another sale on the voucher gets nothing either.
    let (sale_c, sig_c) = fx.sale_by(&key2, &voucher, machine2, 0, USD, now - 5);
    let receipt = fx.settle(&fx.stranger, &voucher, &vsig, &sale_c, &sig_c).await.expect("recorded");
    assert_eq!(receipt.events::<Storefront::OfflineSaleSettled>()[0].charged, 0);
    assert_eq!(receipt.events::<Storefront::VoucherDoubleSpent>()[0].orderId, U256::from(3));
    assert_eq!(fx.prepaid().await.balance, 8 * USD);
    assert_eq!(fx.balance(operator2.sender()).await, op2_before);
    assert_eq!(fx.voucher_spent_by(9).await, U256::from(1), "the voucher stays with the sale it paid for");
    assert_eq!(fx.minted().await, U256::from(3));
    assert_eq!(fx.total_prepaid().await, U256::from(8 * USD));
    assert_eq!(fx.balance(fx.suite.storefront).await, U256::from(8 * USD));
}

/// A buyer whose vouchers at different machines exceed the allowance: the sale settled last is paid what is left,
/// the shortfall (price - charged) is the operator's.
#[tokio::test]
async fn a_sale_beyond_the_allowance_is_paid_what_is_left() {
    let fx = Fixture::new().await;
    let (operator2, key2, machine2) = fx.second_machine().await;
    fx.deposit(3 * USD).await;
    let now = fx.now().await;
    let (v1, s1) = fx.voucher(2 * USD, 1, now + 3_600);
    let (v2, s2) = fx.voucher(2 * USD, 2, now + 3_600);
    let (sale1, sig1) = fx.sale(&v1, 0, 2 * USD, now - 20);
    let (sale2, sig2) = fx.sale_by(&key2, &v2, machine2, 0, 2 * USD, now - 10);
    fx.settle(&fx.operator, &v1, &s1, &sale1, &sig1).await.expect("paid in full");
    let op2_before = fx.balance(operator2.sender()).await;
    let receipt = fx.settle(&operator2, &v2, &s2, &sale2, &sig2).await.expect("paid what is left");
    let settled = &receipt.events::<Storefront::OfflineSaleSettled>()[0];
    assert_eq!((settled.price, settled.charged, settled.fee), (2 * USD, USD, Fixture::fee(USD)));
    assert!(receipt.events::<Storefront::VoucherDoubleSpent>().is_empty(), "not a double spend");
    assert_eq!(fx.balance(operator2.sender()).await, op2_before + U256::from(USD - Fixture::fee(USD)));
    assert_eq!(fx.prepaid().await.balance, 0);
    assert_eq!(fx.balance(fx.suite.storefront).await, U256::ZERO);
}

/// With nothing prepaid even the first use of a voucher charges nothing: the sale is recorded, the operator
/// is not paid.
#[tokio::test]
async fn a_voucher_without_allowance_records_the_sale_unpaid() {
    let fx = Fixture::new().await;
    let now = fx.now().await;
    let (voucher, vsig) = fx.voucher(2 * USD, 1, now + 60);
    let (sale, ssig) = fx.sale(&voucher, 1, USD, now);
    let before = fx.balances().await;
    let receipt = fx.settle(&fx.operator, &voucher, &vsig, &sale, &ssig).await.expect("recorded");
    let settled = receipt.events::<Storefront::OfflineSaleSettled>();
    assert_eq!((settled[0].price, settled[0].charged, settled[0].fee), (USD, 0, 0));
    assert!(receipt.events::<Storefront::VoucherDoubleSpent>().is_empty());
    assert_eq!(fx.balances().await, before);
    assert_eq!(fx.voucher_spent_by(1).await, U256::from(1));
}

/// A machine that is switched off, or whose on-chain count is already zero, still settles what it sold offline;
/// the count stays at zero.
#[tokio::test]
async fn offline_sales_settle_at_an_empty_or_switched_off_machine() {
    let fx = Fixture::new().await;
    fx.deposit(5 * USD).await;
    fx.operator
        .send_sol(fx.suite.registry, &MachineRegistry::restockCall { machineId: fx.machine, slot: 1, stock: 0 })
        .await
        .expect("empty");
    fx.operator
        .send_sol(fx.suite.registry, &MachineRegistry::setActiveCall { machineId: fx.machine, active: false })
        .await
        .expect("off");
    let now = fx.now().await;
    let (voucher, vsig) = fx.voucher(USD, 1, now);
    let (sale, ssig) = fx.sale(&voucher, 1, USD, now);
    let receipt = fx.settle(&fx.operator, &voucher, &vsig, &sale, &ssig).await.expect("settles");
    assert!(events_from::<MachineRegistry::StockChanged>(&receipt, fx.suite.registry).is_empty());
    assert_eq!(fx.stock(fx.machine, 1).await, 0);
    assert_eq!(receipt.events::<Storefront::OfflineSaleSettled>()[0].charged, USD);
}

#[tokio::test]
async fn settle_offline_sale_refusals() {
    let fx = Fixture::new().await;
    let buyer = fx.buyer.sender();
    fx.deposit(10 * USD).await;
    let before = fx.balances().await;
    let now = fx.now().await;
    let t = now + 1;
    let (voucher, vsig) = fx.voucher(2 * USD, 1, now + 100);
    let (sale, ssig) = fx.sale(&voucher, 0, USD, now);

    // The voucher is not the buyer's signature.
    let forged = fx.sign(&key("not the buyer"), &voucher);
    assert_revert(
        fx.settle(&fx.operator, &voucher, &forged, &sale, &ssig).await,
        Storefront::InvalidVoucherSignature { buyer },
    );
    // The sale names another voucher.
    let (other, _) = fx.voucher(2 * USD, 2, now + 100);
    let (foreign, foreign_sig) = fx.sale(&other, 0, USD, now);
    assert_revert(
        fx.settle(&fx.operator, &voucher, &vsig, &foreign, &foreign_sig).await,
        Storefront::VoucherMismatch { expected: fx.voucher_hash(&voucher), named: fx.voucher_hash(&other) },
    );
    // Above the voucher's maximum.
    let (dear, dear_sig) = fx.sale(&voucher, 0, 2 * USD + 1, now);
    assert_revert(
        fx.settle(&fx.operator, &voucher, &vsig, &dear, &dear_sig).await,
        Storefront::VoucherAmountExceeded { price: 2 * USD + 1, maxAmount: 2 * USD },
    );
    // Sold after the voucher expired, and "sold" in the future.
    for sold_at in [now + 101, t + 1] {
        let (late, late_sig) = fx.sale(&voucher, 0, USD, sold_at);
        assert_revert(
            fx.settle(&fx.operator, &voucher, &vsig, &late, &late_sig).await,
            Storefront::VoucherExpired { soldAt: sold_at, expiry: now + 100 },
        );
    }
    // No receipt metadata.
    let bare = OfflineSale { metadataDigest: B256::ZERO, ..sale.clone() };
    let bare_sig = fx.sign(&fx.machine_key, &bare);
    assert_revert(
        fx.settle(&fx.operator, &voucher, &vsig, &bare, &bare_sig).await,
        Storefront::MissingMetadata { orderId: U256::ZERO },
    );
    // Not signed by the machine's key.
    let impostor = key("impostor");
    let forged_sale = fx.sign(&impostor, &sale);
    assert_revert(
        fx.settle(&fx.operator, &voucher, &vsig, &sale, &forged_sale).await,
        Storefront::InvalidSaleSignature { machineId: fx.machine, recovered: impostor.address() },
    );
    // Unknown machine or slot (the registry's refusals).
    let (ghost, ghost_sig) = fx.sale_by(&fx.machine_key, &voucher, 9, 0, USD, now);
    assert_revert(
        fx.settle(&fx.operator, &voucher, &vsig, &ghost, &ghost_sig).await,
        MachineRegistry::MachineNotFound { machineId: 9 },
    );
    let (ghost, ghost_sig) = fx.sale(&voucher, 5, USD, now);
    assert_revert(
        fx.settle(&fx.operator, &voucher, &vsig, &ghost, &ghost_sig).await,
        MachineRegistry::SlotNotFound { machineId: fx.machine, slot: 5 },
    );

    assert_eq!(fx.balances().await, before);
    assert_eq!(fx.prepaid().await.balance, 10 * USD);
    assert_eq!(fx.voucher_spent_by(1).await, U256::ZERO);
    assert_eq!(fx.minted().await, U256::ZERO);
    // And the untouched sale still settles afterwards: refusals marked nothing as settled.
    fx.settle(&fx.operator, &voucher, &vsig, &sale, &ssig).await.expect("the real sale settles");
}
