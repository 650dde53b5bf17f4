//! Storefront, online: EIP-712 digests, placing orders (escrow, stock, permit, every refusal), attestations
//! (dispensed, vend failed), refunds after the deadline, the per-machine rate limit, and the owner's setters.

use alloy_primitives::{
    Address, B256, Bytes, U256,
    aliases::{U48, U208},
    keccak256,
};
use alloy_sol_types::SolStruct;
use automat_chain::{ChainClient, ChainClientExt};
use automat_contracts::vending::{
    Attestation, MachineRegistry, OfflineSale, Outcome, PaymentToken, Quote, ReceiptNFT,
    Storefront::{self, StorefrontEvents as Ev},
    Voucher,
};

use crate::common::*;

async fn view<C: alloy_sol_types::SolCall + Sync>(fx: &Fixture, call: &C) -> C::Return {
    fx.admin.call_sol(fx.suite.storefront, call).await.expect("storefront view")
}

async fn orders_available(fx: &Fixture, machine: u64) -> U256 {
    view(fx, &Storefront::ordersAvailableCall { machineId: machine }).await
}

// ---------------------------------------------------------------------- deployment and digests

#[tokio::test]
async fn deployment_state() {
    let fx = Fixture::new().await;
    assert_eq!(view(&fx, &Storefront::tokenCall {}).await, fx.suite.token);
    assert_eq!(view(&fx, &Storefront::registryCall {}).await, fx.suite.registry);
    assert_eq!(view(&fx, &Storefront::receiptsCall {}).await, fx.suite.receipts);
    assert_eq!(view(&fx, &Storefront::ownerCall {}).await, fx.admin.sender());
    assert_eq!(view(&fx, &Storefront::feeBpsCall {}).await, FEE_BPS);
    assert_eq!(view(&fx, &Storefront::feeRecipientCall {}).await, FEE_RECIPIENT);
    assert_eq!(view(&fx, &Storefront::MAX_FEE_BPSCall {}).await, 1000);
    assert_eq!(view(&fx, &Storefront::minOrderWindowCall {}).await, 60);
    assert_eq!(view(&fx, &Storefront::maxOrderWindowCall {}).await, 86_400);
    assert_eq!(view(&fx, &Storefront::prepaidWithdrawDelayCall {}).await, 86_400);
    assert_eq!(view(&fx, &Storefront::orderCountCall {}).await, U256::ZERO);
    assert_eq!(fx.escrow().await, U256::ZERO);
    assert_eq!(fx.total_prepaid().await, U256::ZERO);
    assert_eq!(orders_available(&fx, fx.machine).await, U256::from(30), "30 orders per minute by default");

    let domain = view(&fx, &Storefront::eip712DomainCall {}).await;
    assert_eq!(domain.name, "automat Storefront");
    assert_eq!(domain.version, "1");
    assert_eq!(domain.chainId, U256::from(fx.suite.chain_id));
    assert_eq!(domain.verifyingContract, fx.suite.storefront);
    assert_eq!(fx.domain().chain_id, Some(U256::from(fx.suite.chain_id)));
}

#[tokio::test]
async fn type_hashes_match_the_rust_structs() {
    let fx = Fixture::new().await;
    let quote = Quote { machineId: 1, slot: 0, price: 1, expiry: 2, nonce: 3 };
    let attestation = Attestation { orderId: U256::from(1), outcome: 1, metadataDigest: B256::ZERO };
    let voucher = Voucher { buyer: Address::ZERO, maxAmount: 1, nonce: 2, expiry: 3 };
    let sale =
        OfflineSale { voucherHash: B256::ZERO, machineId: 1, slot: 0, price: 1, soldAt: 2, metadataDigest: B256::ZERO };
    assert_eq!(view(&fx, &Storefront::QUOTE_TYPEHASHCall {}).await, quote.eip712_type_hash());
    assert_eq!(view(&fx, &Storefront::ATTESTATION_TYPEHASHCall {}).await, attestation.eip712_type_hash());
    assert_eq!(view(&fx, &Storefront::VOUCHER_TYPEHASHCall {}).await, voucher.eip712_type_hash());
    assert_eq!(view(&fx, &Storefront::OFFLINE_SALE_TYPEHASHCall {}).await, sale.eip712_type_hash());
    assert_eq!(
        quote.eip712_type_hash(),
        keccak256("Quote(uint64 machineId,uint16 slot,uint128 price,uint64 expiry,uint64 nonce)")
    );
}

/// The digests Rust signs are the ones the contract checks: `eip712_signing_hash` under the suite's domain
/// equals the contract's `*Digest` views, for ordinary and extreme field values.
#[tokio::test]
async fn eip712_digests_equal_the_contract_views() {
    let fx = Fixture::new().await;
    let domain = fx.domain();
    for (small, big) in [(0u64, 0u128), (1, 1), (u64::MAX, u128::MAX), (123_456, 2_500_000)] {
        let quote = Quote { machineId: small, slot: 3, price: big, expiry: small, nonce: small / 2 };
        assert_eq!(
            view(&fx, &Storefront::quoteDigestCall { quote: quote.clone() }).await,
            quote.eip712_signing_hash(&domain)
        );

        let attestation =
            Attestation { orderId: U256::from(small), outcome: 2, metadataDigest: keccak256(small.to_be_bytes()) };
        assert_eq!(
            view(&fx, &Storefront::attestationDigestCall { attestation: attestation.clone() }).await,
            attestation.eip712_signing_hash(&domain)
        );

        let voucher = Voucher { buyer: fx.buyer.sender(), maxAmount: big, nonce: small, expiry: small };
        let voucher_hash = voucher.eip712_signing_hash(&domain);
        assert_eq!(view(&fx, &Storefront::voucherDigestCall { voucher: voucher.clone() }).await, voucher_hash);

        let sale = OfflineSale {
            voucherHash: voucher_hash,
            machineId: small,
            slot: u16::MAX,
            price: big,
            soldAt: small,
            metadataDigest: keccak256(big.to_be_bytes()),
        };
        assert_eq!(
            view(&fx, &Storefront::offlineSaleDigestCall { sale: sale.clone() }).await,
            sale.eip712_signing_hash(&domain)
        );
    }
}

// ---------------------------------------------------------------------- placeOrder

#[tokio::test]
async fn place_order_escrows_the_price_and_reserves_a_unit() {
    let fx = Fixture::new().await;
    let price = 2 * USD;
    let buyer = fx.buyer.sender();
    let before = fx.balances().await;
    fx.approve(&fx.buyer, fx.suite.storefront, price).await;
    let (quote, signature) = fx.quote(0, price, 7).await;
    let deadline = fx.now().await + 1 + ORDER_WINDOW;
    let call = Storefront::placeOrderCall {
        quote: quote.clone(),
        quoteSignature: signature.clone(),
        maxPrice: 3 * USD,
        deadline,
    };
    assert_eq!(
        fx.buyer.call_sol(fx.suite.storefront, &call).await.expect("simulates"),
        U256::from(1),
        "returns the id"
    );
    let receipt = fx.place_order(&quote, &signature, 3 * USD, deadline).await.expect("placed");
    let placed_at = fx.now().await;

    assert_eq!(
        all_events::<Ev>(&receipt, fx.suite.storefront),
        vec![Ev::OrderPlaced(Storefront::OrderPlaced {
            orderId: U256::from(1),
            machineId: fx.machine,
            buyer,
            slot: 0,
            price,
            deadline,
            quoteNonce: 7,
        })]
    );
    assert_eq!(
        events_from::<MachineRegistry::StockChanged>(&receipt, fx.suite.registry),
        vec![MachineRegistry::StockChanged { machineId: fx.machine, slot: 0, stock: 4 }]
    );
    assert_eq!(
        events_from::<PaymentToken::Transfer>(&receipt, fx.suite.token),
        vec![PaymentToken::Transfer { from: buyer, to: fx.suite.storefront, value: U256::from(price) }]
    );

    let order = fx.order(U256::from(1)).await;
    assert_eq!(
        order,
        Storefront::Order {
            buyer,
            machineId: fx.machine,
            slot: 0,
            status: status::OPEN,
            offline: false,
            price,
            deadline,
            createdAt: placed_at,
        }
    );
    let after = fx.balances().await;
    assert_eq!(after.buyer, before.buyer - U256::from(price));
    assert_eq!(after.storefront, U256::from(price));
    assert_eq!((after.operator, after.fees), (before.operator, before.fees));
    assert_eq!(fx.escrow().await, U256::from(price));
    assert_eq!(fx.stock(fx.machine, 0).await, 4);
    assert!(view(&fx, &Storefront::quoteUsedCall { machineId: fx.machine, nonce: 7 }).await);
    assert!(!view(&fx, &Storefront::quoteUsedCall { machineId: fx.machine, nonce: 8 }).await);
    assert_eq!(view(&fx, &Storefront::orderCountCall {}).await, U256::from(1));
    assert_eq!(orders_available(&fx, fx.machine).await, U256::from(29));
}

fn permit_call(
    quote: Quote,
    quote_signature: Bytes,
    max_price: u128,
    deadline: u64,
    value: U256,
    permit_deadline: U256,
    sig: PermitSignature,
) -> Storefront::placeOrderWithPermitCall {
    Storefront::placeOrderWithPermitCall {
        quote,
        quoteSignature: quote_signature,
        maxPrice: max_price,
        deadline,
        permit: Storefront::Permit { value, deadline: permit_deadline, v: sig.v, r: sig.r, s: sig.s },
    }
}

#[tokio::test]
async fn place_order_with_permit_needs_no_prior_approval() {
    let fx = Fixture::new().await;
    let (buyer, storefront) = (fx.buyer.sender(), fx.suite.storefront);
    let price = 3 * USD / 2;
    let allowance = PaymentToken::allowanceCall { owner: buyer, spender: storefront };
    assert_eq!(fx.admin.call_sol(fx.suite.token, &allowance).await.expect("allowance"), U256::ZERO);

    let (quote, quote_signature) = fx.quote(0, price, 1).await;
    let now = fx.now().await;
    let permit_deadline = U256::from(now + 600);
    let value = U256::from(price);
    let sig = fx.sign_permit(
        &fx.buyer_key,
        &Permit { owner: buyer, spender: storefront, value, nonce: U256::ZERO, deadline: permit_deadline },
    );
    let deadline = now + 1 + ORDER_WINDOW;
    let receipt = fx
        .buyer
        .send_sol(storefront, &permit_call(quote, quote_signature, price, deadline, value, permit_deadline, sig))
        .await
        .expect("ordered with a permit, no approve transaction");
    assert_eq!(receipt.events::<Storefront::OrderPlaced>().len(), 1);
    assert_eq!(
        all_events::<PaymentToken::PaymentTokenEvents>(&receipt, fx.suite.token),
        vec![
            PaymentToken::PaymentTokenEvents::Approval(PaymentToken::Approval {
                owner: buyer,
                spender: storefront,
                value
            }),
            PaymentToken::PaymentTokenEvents::Transfer(PaymentToken::Transfer { from: buyer, to: storefront, value }),
        ]
    );
    assert_eq!(fx.admin.call_sol(fx.suite.token, &allowance).await.expect("allowance"), U256::ZERO, "fully used");
    let nonces = fx.admin.call_sol(fx.suite.token, &PaymentToken::noncesCall { owner: buyer }).await.expect("nonces");
    assert_eq!(nonces, U256::from(1));
    assert_eq!(fx.escrow().await, value);
    assert_eq!(fx.balance(buyer).await, U256::from(FUNDS - price));
}

/// Someone submits the buyer's permit first (front-running): the order still goes through on the allowance.
#[tokio::test]
async fn place_order_with_a_front_run_permit_still_succeeds() {
    let fx = Fixture::new().await;
    let (buyer, storefront) = (fx.buyer.sender(), fx.suite.storefront);
    let price = 2 * USD;
    let value = U256::from(price);
    let (quote, quote_signature) = fx.quote(0, price, 1).await;
    let permit_deadline = U256::from(fx.now().await + 600);
    let sig = fx.sign_permit(
        &fx.buyer_key,
        &Permit { owner: buyer, spender: storefront, value, nonce: U256::ZERO, deadline: permit_deadline },
    );
    fx.stranger
        .send_sol(
            fx.suite.token,
            &PaymentToken::permitCall {
                owner: buyer,
                spender: storefront,
                value,
                deadline: permit_deadline,
                v: sig.v,
                r: sig.r,
                s: sig.s,
            },
        )
        .await
        .expect("the front-runner uses the permit");
    let deadline = fx.now().await + 1 + ORDER_WINDOW;
    let receipt = fx
        .buyer
        .send_sol(storefront, &permit_call(quote, quote_signature, price, deadline, value, permit_deadline, sig))
        .await
        .expect("the failed permit is ignored");
    assert_eq!(receipt.events::<Storefront::OrderPlaced>().len(), 1);
    assert!(events_from::<PaymentToken::Approval>(&receipt, fx.suite.token).is_empty());
    assert_eq!(fx.escrow().await, value);
}

#[tokio::test]
async fn place_order_with_a_bad_permit_and_no_allowance_reverts() {
    let fx = Fixture::new().await;
    let (buyer, storefront) = (fx.buyer.sender(), fx.suite.storefront);
    let price = 2 * USD;
    let value = U256::from(price);
    let (quote, quote_signature) = fx.quote(0, price, 1).await;
    let permit_deadline = U256::from(fx.now().await + 600);
    let sig = fx.sign_permit(
        &key("not the buyer"),
        &Permit { owner: buyer, spender: storefront, value, nonce: U256::ZERO, deadline: permit_deadline },
    );
    let deadline = fx.now().await + 1 + ORDER_WINDOW;
    assert_revert(
        fx.buyer
            .send_sol(storefront, &permit_call(quote, quote_signature, price, deadline, value, permit_deadline, sig))
            .await,
        PaymentToken::ERC20InsufficientAllowance { spender: storefront, allowance: U256::ZERO, needed: value },
    );
    assert_eq!(fx.stock(fx.machine, 0).await, 5);
}

/// Every refusal of `placeOrder` that is the Storefront's or the registry's, with the exact arguments; nothing
/// moves.
#[tokio::test]
async fn place_order_refusals() {
    let fx = Fixture::new().await;
    let m = fx.machine;
    fx.approve(&fx.buyer, fx.suite.storefront, 100 * USD).await;
    let before = fx.balances().await;
    let now = fx.now().await;
    let t = now + 1; // the block a transaction sent now runs in
    let ok_deadline = t + ORDER_WINDOW;

    // The quote expired.
    let (quote, sig) = fx.quote_for(m, 0, USD, 1, now);
    assert_revert(
        fx.place_order(&quote, &sig, USD, ok_deadline).await,
        Storefront::QuoteExpired { expiry: now, now_: U256::from(t) },
    );
    // The price is above what the buyer accepts.
    let (quote, sig) = fx.quote(0, 2 * USD, 1).await;
    assert_revert(
        fx.place_order(&quote, &sig, 2 * USD - 1, ok_deadline).await,
        Storefront::PriceAboveMax { price: 2 * USD, maxPrice: 2 * USD - 1 },
    );
    // The deadline is too close or too far.
    for deadline in [t + 59, t + 86_401, 0] {
        assert_revert(
            fx.place_order(&quote, &sig, 2 * USD, deadline).await,
            Storefront::InvalidDeadline { deadline, earliest: t + 60, latest: t + 86_400 },
        );
    }
    // Signed by another key.
    let impostor = key("impostor");
    let forged = fx.sign(&impostor, &quote);
    assert_revert(
        fx.place_order(&quote, &forged, 2 * USD, ok_deadline).await,
        Storefront::InvalidQuoteSignature { machineId: m, recovered: impostor.address() },
    );
    // A signature that is not 65 bytes.
    assert_revert(
        fx.place_order(&quote, &Bytes::from(vec![1u8; 10]), 2 * USD, ok_deadline).await,
        Storefront::ECDSAInvalidSignatureLength { length: U256::from(10) },
    );
    // Outside the slot's band, below and above (signed correctly: the band is the registry's).
    for price in [USD - 1, 3 * USD + 1] {
        let (quote, sig) = fx.quote(0, price, 2).await;
        assert_revert(
            fx.place_order(&quote, &sig, price, ok_deadline).await,
            Storefront::PriceOutOfBand { price, minPrice: USD, maxPrice: 3 * USD },
        );
    }
    // The registry's refusals come through unchanged.
    let (quote, sig) = fx.quote(2, USD, 3).await;
    assert_revert(
        fx.place_order(&quote, &sig, USD, ok_deadline).await,
        MachineRegistry::SlotNotFound { machineId: m, slot: 2 },
    );
    let (quote, sig) = fx.quote_for(9, 0, USD, 3, now + 300);
    assert_revert(
        fx.place_order(&quote, &sig, USD, ok_deadline).await,
        MachineRegistry::MachineNotFound { machineId: 9 },
    );

    assert_eq!(fx.balances().await, before, "no refusal moved a token");
    assert_eq!(fx.stock(m, 0).await, 5);
    assert_eq!(view(&fx, &Storefront::orderCountCall {}).await, U256::ZERO);
    assert!(!view(&fx, &Storefront::quoteUsedCall { machineId: m, nonce: 1 }).await, "a refused quote stays unused");
    assert_eq!(orders_available(&fx, m).await, U256::from(30), "refusals use no capacity");
}

#[tokio::test]
async fn place_order_on_a_sold_out_slot_reverts() {
    let fx = Fixture::new().await;
    fx.place(1, USD, 1).await;
    fx.place(1, USD, 2).await;
    assert_eq!(fx.stock(fx.machine, 1).await, 0);
    fx.approve(&fx.buyer, fx.suite.storefront, USD).await;
    let (quote, sig) = fx.quote(1, USD, 3).await;
    let deadline = fx.now().await + 1 + ORDER_WINDOW;
    assert_revert(
        fx.place_order(&quote, &sig, USD, deadline).await,
        MachineRegistry::SoldOut { machineId: fx.machine, slot: 1 },
    );
    assert_eq!(fx.escrow().await, U256::from(2 * USD));
}

#[tokio::test]
async fn place_order_at_an_inactive_machine_reverts() {
    let fx = Fixture::new().await;
    fx.operator
        .send_sol(fx.suite.registry, &MachineRegistry::setActiveCall { machineId: fx.machine, active: false })
        .await
        .expect("off");
    fx.approve(&fx.buyer, fx.suite.storefront, USD).await;
    let (quote, sig) = fx.quote(0, USD, 1).await;
    let deadline = fx.now().await + 1 + ORDER_WINDOW;
    assert_revert(
        fx.place_order(&quote, &sig, USD, deadline).await,
        MachineRegistry::MachineInactive { machineId: fx.machine },
    );
    assert_eq!(fx.escrow().await, U256::ZERO);
}

/// `capacity` orders within the window, then MachineRateLimited; other machines are not affected; the bucket
/// refills with time.
#[tokio::test]
async fn rate_limit_blocks_a_burst_per_machine_and_refills() {
    let fx = Fixture::new().await;
    let window = U48::from(60);
    let capacity = U208::from(2);
    let receipt = fx
        .admin
        .send_sol(fx.suite.storefront, &Storefront::setRateLimitCall { window, capacity })
        .await
        .expect("owner sets");
    assert_eq!(
        all_events::<Ev>(&receipt, fx.suite.storefront),
        vec![Ev::RateLimitChanged(Storefront::RateLimitChanged { window, capacity })]
    );
    assert_eq!(orders_available(&fx, fx.machine).await, U256::from(2));

    fx.place(0, USD, 1).await;
    fx.place(0, USD, 2).await;
    assert_eq!(orders_available(&fx, fx.machine).await, U256::ZERO);
    fx.approve(&fx.buyer, fx.suite.storefront, USD).await;
    let (quote, sig) = fx.quote(0, USD, 3).await;
    let deadline = fx.now().await + 1 + ORDER_WINDOW;
    assert_revert(
        fx.place_order(&quote, &sig, USD, deadline).await,
        Storefront::MachineRateLimited { machineId: fx.machine },
    );

    // A second machine has its own bucket.
    let second = fx.add_machine(&fx.operator, fx.machine_key.address(), machine_slots()).await;
    let (quote2, sig2) = fx.quote_for(second, 0, USD, 1, fx.now().await + 300);
    fx.place_order(&quote2, &sig2, USD, fx.now().await + 1 + ORDER_WINDOW).await.expect("the other machine takes it");

    fx.advance(60).await;
    assert_eq!(orders_available(&fx, fx.machine).await, U256::from(2), "refilled after the window");
    fx.approve(&fx.buyer, fx.suite.storefront, USD).await;
    let (quote, sig) = fx.quote(0, USD, 3).await;
    fx.place_order(&quote, &sig, USD, fx.now().await + 1 + ORDER_WINDOW).await.expect("capacity is back");
}

// ---------------------------------------------------------------------- attest

#[tokio::test]
async fn attest_dispensed_pays_the_operator_and_mints_the_receipt() {
    let fx = Fixture::new().await;
    let price = 5 * USD / 2;
    let order = fx.place(0, price, 1).await;
    let before = fx.balances().await;
    let (attestation, signature) = fx.attestation(order.id, Outcome::Dispensed);
    let digest = attestation.metadataDigest;
    let fee = Fixture::fee(price);
    assert_eq!(fee, 25_000, "1 % of 2.5 USD");

    // Anyone may submit it.
    let receipt = fx.attest(&fx.stranger, &attestation, &signature).await.expect("dispensed");
    assert_eq!(
        all_events::<Ev>(&receipt, fx.suite.storefront),
        vec![Ev::OrderDispensed(Storefront::OrderDispensed {
            orderId: order.id,
            machineId: fx.machine,
            buyer: fx.buyer.sender(),
            price,
            fee,
            metadataDigest: digest,
        })]
    );
    assert_eq!(
        all_events::<ReceiptNFT::ReceiptNFTEvents>(&receipt, fx.suite.receipts),
        vec![
            ReceiptNFT::ReceiptNFTEvents::Transfer(ReceiptNFT::Transfer {
                from: Address::ZERO,
                to: fx.buyer.sender(),
                tokenId: order.id,
            }),
            ReceiptNFT::ReceiptNFTEvents::ReceiptMinted(ReceiptNFT::ReceiptMinted {
                tokenId: order.id,
                owner: fx.buyer.sender(),
                metadataDigest: digest,
            }),
        ]
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
    assert!(events_from::<MachineRegistry::StockChanged>(&receipt, fx.suite.registry).is_empty());

    let after = fx.balances().await;
    assert_eq!(after.operator, before.operator + U256::from(price - fee));
    assert_eq!(after.fees, before.fees + U256::from(fee));
    assert_eq!(after.buyer, before.buyer);
    assert_eq!(after.storefront, U256::ZERO);
    assert_eq!(fx.escrow().await, U256::ZERO);
    assert_eq!(fx.order(order.id).await.status, status::DISPENSED);
    assert_eq!(fx.receipt_owner(order.id).await, fx.buyer.sender(), "receipt id = order id");
    assert_eq!(fx.minted().await, U256::from(1));
    assert_eq!(fx.stock(fx.machine, 0).await, 4, "the unit is gone");
}

#[tokio::test]
async fn attest_vend_failed_refunds_in_full_and_restores_the_stock() {
    let fx = Fixture::new().await;
    let price = 2 * USD;
    let order = fx.place(1, price, 1).await;
    assert_eq!(fx.stock(fx.machine, 1).await, 1);
    let before = fx.balances().await;
    let (attestation, signature) = fx.attestation(order.id, Outcome::VendFailed);
    let receipt = fx.attest(&fx.operator, &attestation, &signature).await.expect("refunded");
    assert_eq!(
        all_events::<Ev>(&receipt, fx.suite.storefront),
        vec![Ev::OrderRefunded(Storefront::OrderRefunded {
            orderId: order.id,
            machineId: fx.machine,
            buyer: fx.buyer.sender(),
            price,
            reason: reason::VEND_FAILED,
        })]
    );
    assert_eq!(
        events_from::<MachineRegistry::StockChanged>(&receipt, fx.suite.registry),
        vec![MachineRegistry::StockChanged { machineId: fx.machine, slot: 1, stock: 2 }]
    );
    assert_eq!(
        events_from::<PaymentToken::Transfer>(&receipt, fx.suite.token),
        vec![PaymentToken::Transfer { from: fx.suite.storefront, to: fx.buyer.sender(), value: U256::from(price) }]
    );
    assert_eq!(event_count(&receipt, fx.suite.receipts), 0, "no receipt for a failed vend");
    let after = fx.balances().await;
    assert_eq!(after.buyer, before.buyer + U256::from(price));
    assert_eq!((after.operator, after.fees), (before.operator, before.fees), "no fee on a refund");
    assert_eq!(after.storefront, U256::ZERO);
    assert_eq!(fx.order(order.id).await.status, status::REFUNDED);
    assert_eq!(fx.stock(fx.machine, 1).await, 2);
    assert_eq!(fx.minted().await, U256::ZERO);
}

#[tokio::test]
async fn attest_exactly_at_the_deadline_is_in_time() {
    let fx = Fixture::new().await;
    let order = fx.place(0, USD, 1).await;
    let (attestation, signature) = fx.attestation(order.id, Outcome::Dispensed);
    fx.next_tx_at(order.deadline).await;
    let receipt = fx.attest(&fx.stranger, &attestation, &signature).await.expect("at the deadline");
    assert_eq!(fx.order(order.id).await.status, status::DISPENSED);
    assert_eq!(receipt.block_number, fx.admin.block_number().await.expect("height"));
    assert_eq!(fx.now().await, order.deadline);
}

#[tokio::test]
async fn attest_refusals() {
    let fx = Fixture::new().await;
    let order = fx.place(0, USD, 1).await;
    let id = order.id;
    let before = fx.balances().await;

    // No such order.
    let (ghost, ghost_sig) = fx.attestation(U256::from(42), Outcome::Dispensed);
    assert_revert(
        fx.attest(&fx.stranger, &ghost, &ghost_sig).await,
        Storefront::OrderNotFound { orderId: U256::from(42) },
    );
    // Signed by a key that is not the machine's.
    let impostor = key("impostor");
    let (attestation, _) = fx.attestation(id, Outcome::Dispensed);
    let forged = fx.sign(&impostor, &attestation);
    assert_revert(
        fx.attest(&fx.stranger, &attestation, &forged).await,
        Storefront::InvalidAttestationSigner { orderId: id, recovered: impostor.address() },
    );
    // Outcomes other than Dispensed (1) and VendFailed (2), correctly signed.
    for outcome in [0u8, 3, 255] {
        let bogus = Attestation { orderId: id, outcome, metadataDigest: metadata_digest(id) };
        let sig = fx.sign(&fx.machine_key, &bogus);
        assert_revert(fx.attest(&fx.stranger, &bogus, &sig).await, Storefront::InvalidOutcome { outcome });
    }
    // Dispensed without receipt metadata.
    let bare = Attestation { orderId: id, outcome: Outcome::Dispensed as u8, metadataDigest: B256::ZERO };
    let sig = fx.sign(&fx.machine_key, &bare);
    assert_revert(fx.attest(&fx.stranger, &bare, &sig).await, Storefront::MissingMetadata { orderId: id });
    // After the deadline only a refund is possible.
    let (attestation, signature) = fx.attestation(id, Outcome::Dispensed);
    fx.mine_at(order.deadline).await;
    assert_revert(
        fx.attest(&fx.stranger, &attestation, &signature).await,
        Storefront::OrderExpired { orderId: id, deadline: order.deadline },
    );

    assert_eq!(fx.balances().await, before);
    assert_eq!(fx.order(id).await.status, status::OPEN);
    assert_eq!(fx.minted().await, U256::ZERO);
}

// ---------------------------------------------------------------------- refundExpired

#[tokio::test]
async fn refund_expired_after_the_deadline_refunds_in_full() {
    let fx = Fixture::new().await;
    let price = 3 * USD;
    let order = fx.place(0, price, 1).await;
    let before = fx.balances().await;

    // At the deadline itself the machine may still attest.
    fx.next_tx_at(order.deadline).await;
    assert_revert(
        fx.refund(order.id).await,
        Storefront::OrderNotExpired { orderId: order.id, deadline: order.deadline },
    );
    fx.mine_at(order.deadline).await;

    let receipt = fx.refund(order.id).await.expect("refunded one second later, by anyone");
    assert_eq!(fx.now().await, order.deadline + 1);
    assert_eq!(
        all_events::<Ev>(&receipt, fx.suite.storefront),
        vec![Ev::OrderRefunded(Storefront::OrderRefunded {
            orderId: order.id,
            machineId: fx.machine,
            buyer: fx.buyer.sender(),
            price,
            reason: reason::TIMEOUT,
        })]
    );
    assert_eq!(
        events_from::<MachineRegistry::StockChanged>(&receipt, fx.suite.registry),
        vec![MachineRegistry::StockChanged { machineId: fx.machine, slot: 0, stock: 5 }]
    );
    let after = fx.balances().await;
    assert_eq!(after.buyer, before.buyer + U256::from(price));
    assert_eq!(after.storefront, U256::ZERO);
    assert_eq!((after.operator, after.fees), (before.operator, before.fees));
    assert_eq!(fx.escrow().await, U256::ZERO);
    assert_eq!(fx.order(order.id).await.status, status::REFUNDED);
    assert_eq!(fx.stock(fx.machine, 0).await, 5);
}

#[tokio::test]
async fn refund_of_an_unknown_order_reverts() {
    let fx = Fixture::new().await;
    assert_revert(fx.refund(U256::from(7)).await, Storefront::OrderNotFound { orderId: U256::from(7) });
    assert_revert(fx.refund(U256::ZERO).await, Storefront::OrderNotFound { orderId: U256::ZERO });
}

// ---------------------------------------------------------------------- owner

#[tokio::test]
async fn set_fee_changes_the_cut_of_later_sales() {
    let fx = Fixture::new().await;
    let recipient = Address::repeat_byte(0xfd);
    let receipt = fx
        .admin
        .send_sol(fx.suite.storefront, &Storefront::setFeeCall { feeBps_: 1000, recipient })
        .await
        .expect("owner sets the maximum fee");
    assert_eq!(
        all_events::<Ev>(&receipt, fx.suite.storefront),
        vec![Ev::FeeChanged(Storefront::FeeChanged { feeBps: 1000, feeRecipient: recipient })]
    );
    assert_eq!(view(&fx, &Storefront::feeBpsCall {}).await, 1000);
    assert_eq!(view(&fx, &Storefront::feeRecipientCall {}).await, recipient);

    let order = fx.place(0, 2 * USD, 1).await;
    let (attestation, signature) = fx.attestation(order.id, Outcome::Dispensed);
    let operator_before = fx.balance(fx.operator.sender()).await;
    fx.attest(&fx.stranger, &attestation, &signature).await.expect("dispensed");
    assert_eq!(fx.balance(recipient).await, U256::from(USD / 5), "10 % of 2 USD");
    assert_eq!(fx.balance(fx.operator.sender()).await, operator_before + U256::from(2 * USD - USD / 5));

    for (bps, to) in [(1001, recipient), (100, Address::ZERO)] {
        assert_revert(
            fx.admin.send_sol(fx.suite.storefront, &Storefront::setFeeCall { feeBps_: bps, recipient: to }).await,
            Storefront::InvalidFee { feeBps: bps, recipient: to },
        );
    }
    assert_revert(
        fx.stranger.send_sol(fx.suite.storefront, &Storefront::setFeeCall { feeBps_: 0, recipient }).await,
        Storefront::OwnableUnauthorizedAccount { account: fx.stranger.sender() },
    );
}

#[tokio::test]
async fn set_order_window_bounds_deadlines() {
    let fx = Fixture::new().await;
    let receipt = fx
        .admin
        .send_sol(fx.suite.storefront, &Storefront::setOrderWindowCall { minWindow: 10, maxWindow: 100 })
        .await
        .expect("owner sets");
    assert_eq!(
        all_events::<Ev>(&receipt, fx.suite.storefront),
        vec![Ev::OrderWindowChanged(Storefront::OrderWindowChanged { minWindow: 10, maxWindow: 100 })]
    );
    fx.approve(&fx.buyer, fx.suite.storefront, USD).await;
    let (quote, sig) = fx.quote(0, USD, 1).await;
    let t = fx.now().await + 1;
    assert_revert(
        fx.place_order(&quote, &sig, USD, t + 101).await,
        Storefront::InvalidDeadline { deadline: t + 101, earliest: t + 10, latest: t + 100 },
    );
    fx.place_order(&quote, &sig, USD, t + 10).await.expect("the new shortest window");

    for (min, max) in [(100, 10), (0, 0)] {
        assert_revert(
            fx.admin
                .send_sol(fx.suite.storefront, &Storefront::setOrderWindowCall { minWindow: min, maxWindow: max })
                .await,
            Storefront::InvalidOrderWindow { minWindow: min, maxWindow: max },
        );
    }
    assert_revert(
        fx.stranger.send_sol(fx.suite.storefront, &Storefront::setOrderWindowCall { minWindow: 1, maxWindow: 2 }).await,
        Storefront::OwnableUnauthorizedAccount { account: fx.stranger.sender() },
    );
}

#[tokio::test]
async fn set_prepaid_withdraw_delay() {
    let fx = Fixture::new().await;
    let receipt = fx
        .admin
        .send_sol(fx.suite.storefront, &Storefront::setPrepaidWithdrawDelayCall { delay: 3_600 })
        .await
        .expect("owner sets");
    assert_eq!(
        all_events::<Ev>(&receipt, fx.suite.storefront),
        vec![Ev::PrepaidWithdrawDelayChanged(Storefront::PrepaidWithdrawDelayChanged { delay: 3_600 })]
    );
    assert_eq!(view(&fx, &Storefront::prepaidWithdrawDelayCall {}).await, 3_600);
    assert_revert(
        fx.stranger.send_sol(fx.suite.storefront, &Storefront::setPrepaidWithdrawDelayCall { delay: 0 }).await,
        Storefront::OwnableUnauthorizedAccount { account: fx.stranger.sender() },
    );
}

#[tokio::test]
async fn set_rate_limit_refusals() {
    let fx = Fixture::new().await;
    assert_revert(
        fx.admin
            .send_sol(
                fx.suite.storefront,
                &Storefront::setRateLimitCall { window: U48::from(60), capacity: U208::ZERO },
            )
            .await,
        Storefront::InvalidRateLimit { window: U48::from(60), capacity: U208::ZERO },
    );
    assert_revert(
        fx.stranger
            .send_sol(
                fx.suite.storefront,
                &Storefront::setRateLimitCall { window: U48::from(1), capacity: U208::from(1) },
            )
            .await,
        Storefront::OwnableUnauthorizedAccount { account: fx.stranger.sender() },
    );
}

#[tokio::test]
async fn ownership_moves_in_two_steps() {
    let fx = Fixture::new().await;
    let (admin, next) = (fx.admin.sender(), fx.stranger.sender());
    let receipt = fx
        .admin
        .send_sol(fx.suite.storefront, &Storefront::transferOwnershipCall { newOwner: next })
        .await
        .expect("offer");
    assert_eq!(
        all_events::<Ev>(&receipt, fx.suite.storefront),
        vec![Ev::OwnershipTransferStarted(Storefront::OwnershipTransferStarted {
            previousOwner: admin,
            newOwner: next
        })]
    );
    assert_eq!(view(&fx, &Storefront::ownerCall {}).await, admin, "not yet");
    assert_eq!(view(&fx, &Storefront::pendingOwnerCall {}).await, next);
    assert_revert(
        fx.operator.send_sol(fx.suite.storefront, &Storefront::acceptOwnershipCall {}).await,
        Storefront::OwnableUnauthorizedAccount { account: fx.operator.sender() },
    );
    let receipt = fx.stranger.send_sol(fx.suite.storefront, &Storefront::acceptOwnershipCall {}).await.expect("accept");
    assert_eq!(
        all_events::<Ev>(&receipt, fx.suite.storefront),
        vec![Ev::OwnershipTransferred(Storefront::OwnershipTransferred { previousOwner: admin, newOwner: next })]
    );
    assert_eq!(view(&fx, &Storefront::ownerCall {}).await, next);
    assert_revert(
        fx.admin.send_sol(fx.suite.storefront, &Storefront::setPrepaidWithdrawDelayCall { delay: 1 }).await,
        Storefront::OwnableUnauthorizedAccount { account: admin },
    );
    fx.stranger.send_sol(fx.suite.storefront, &Storefront::renounceOwnershipCall {}).await.expect("renounce");
    assert_eq!(view(&fx, &Storefront::ownerCall {}).await, Address::ZERO);
}
