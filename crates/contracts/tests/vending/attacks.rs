//! Attacks, each of which must fail safely: the exact refusal, and not a token or a unit of stock moved.
//!
//! Replayed, forged, repurposed and cross-chain attestations; re-entry through a hooked payment token; quotes
//! that changed, expired or were used; double refunds and refunds out of turn; offline sales settled twice and
//! vouchers spent at two machines.

use std::sync::Arc;

use alloy_primitives::{Address, Bytes, U256};
use alloy_sol_types::{Eip712Domain, SolCall, SolConstructor, SolError, SolStruct};
use automat_chain::{ChainClient, ChainClientExt, Receipt};
use automat_contracts::{
    fixtures::ReentrantToken,
    vending::{Attestation, MachineRegistry, Outcome, Quote, ReceiptNFT, Storefront, storefront_domain},
};
use automat_devnet::{Devnet, DevnetConfig};

use crate::common::*;

// ---------------------------------------------------------------------- attestations

#[tokio::test]
async fn a_replayed_attestation_is_refused() {
    let fx = Fixture::new().await;
    let order = fx.place(0, 2 * USD, 1).await;
    let (attestation, signature) = fx.attestation(order.id, Outcome::Dispensed);
    fx.attest(&fx.stranger, &attestation, &signature).await.expect("first submission settles");
    let settled = fx.balances().await;

    assert_revert(
        fx.attest(&fx.stranger, &attestation, &signature).await,
        Storefront::OrderNotOpen { orderId: order.id, status: status::DISPENSED },
    );
    assert_eq!(fx.balances().await, settled, "the operator is not paid twice");
    assert_eq!(fx.minted().await, U256::from(1), "no second receipt");

    // A vend-failed attestation replayed after its refund is refused the same way.
    let order = fx.place(0, 2 * USD, 2).await;
    let (attestation, signature) = fx.attestation(order.id, Outcome::VendFailed);
    fx.attest(&fx.stranger, &attestation, &signature).await.expect("refunded");
    let refunded = fx.balances().await;
    assert_revert(
        fx.attest(&fx.stranger, &attestation, &signature).await,
        Storefront::OrderNotOpen { orderId: order.id, status: status::REFUNDED },
    );
    assert_eq!(fx.balances().await, refunded, "the buyer is not refunded twice");
    assert_eq!(fx.stock(fx.machine, 0).await, 4, "the unit was restored once");
}

#[tokio::test]
async fn an_attestation_signed_by_another_key_is_refused() {
    let fx = Fixture::new().await;
    let order = fx.place(0, 2 * USD, 1).await;
    let before = fx.balances().await;
    let (attestation, _) = fx.attestation(order.id, Outcome::Dispensed);
    // A stranger's key, and the operator's own account key: neither is the machine's signer.
    let operator_key = fx.devnet.signers()[1].clone();
    for signer in [key("attacker"), operator_key] {
        let forged = fx.sign(&signer, &attestation);
        assert_revert(
            fx.attest(&fx.operator, &attestation, &forged).await,
            Storefront::InvalidAttestationSigner { orderId: order.id, recovered: signer.address() },
        );
    }
    assert_eq!(fx.balances().await, before);
    assert_eq!(fx.order(order.id).await.status, status::OPEN);
}

/// A genuine signature cannot be moved to another order or flipped to another outcome.
#[tokio::test]
async fn an_attestation_cannot_be_repurposed() {
    let fx = Fixture::new().await;
    let first = fx.place(0, 2 * USD, 1).await;
    let second = fx.place(0, 2 * USD, 2).await;
    let before = fx.balances().await;
    let (genuine, signature) = fx.attestation(first.id, Outcome::VendFailed);
    let domain = fx.domain();

    let moved = Attestation { orderId: second.id, ..genuine.clone() };
    assert_revert(
        fx.attest(&fx.buyer, &moved, &signature).await,
        Storefront::InvalidAttestationSigner {
            orderId: second.id,
            recovered: recover(&signature, moved.eip712_signing_hash(&domain)),
        },
    );
    let flipped = Attestation { outcome: Outcome::Dispensed as u8, ..genuine };
    assert_revert(
        fx.attest(&fx.operator, &flipped, &signature).await,
        Storefront::InvalidAttestationSigner {
            orderId: first.id,
            recovered: recover(&signature, flipped.eip712_signing_hash(&domain)),
        },
    );
    assert_eq!(fx.balances().await, before);
}

/// A malleated copy of a genuine signature (s → n − s, parity flipped) and a degenerate one (r = 0) are refused
/// by OpenZeppelin's ECDSA before any signer comparison.
#[tokio::test]
async fn malleated_and_degenerate_signatures_are_refused() {
    let fx = Fixture::new().await;
    let order = fx.place(0, 2 * USD, 1).await;
    let (attestation, signature) = fx.attestation(order.id, Outcome::Dispensed);
    let genuine = alloy_primitives::Signature::from_raw(&signature).expect("65 bytes");
    let n = U256::from_be_bytes(SECP256K1_N);
    let high_s = n - genuine.s();
    let mut malleated = genuine.r().to_be_bytes::<32>().to_vec();
    malleated.extend_from_slice(&high_s.to_be_bytes::<32>());
    malleated.push(if genuine.v() { 27 } else { 28 });
    assert_revert(
        fx.attest(&fx.stranger, &attestation, &malleated.into()).await,
        Storefront::ECDSAInvalidSignatureS { s: high_s.into() },
    );
    let mut degenerate = vec![0u8; 64];
    degenerate[63] = 1;
    degenerate.push(27);
    assert_revert(
        fx.attest(&fx.stranger, &attestation, &degenerate.into()).await,
        Storefront::ECDSAInvalidSignature {},
    );
    assert_eq!(fx.order(order.id).await.status, status::OPEN);
}

/// The order of the secp256k1 group.
const SECP256K1_N: [u8; 32] =
    alloy_primitives::hex!("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141");

/// After the operator rotates a (compromised) machine key, attestations by the old key are refused.
#[tokio::test]
async fn an_attestation_by_a_rotated_out_key_is_refused() {
    let fx = Fixture::new().await;
    let order = fx.place(0, 2 * USD, 1).await;
    let fresh = key("rotated-in machine key");
    fx.operator
        .send_sol(fx.suite.registry, &MachineRegistry::setSignerCall { machineId: fx.machine, signer: fresh.address() })
        .await
        .expect("rotate");
    let (attestation, old_signature) = fx.attestation(order.id, Outcome::Dispensed);
    assert_revert(
        fx.attest(&fx.stranger, &attestation, &old_signature).await,
        Storefront::InvalidAttestationSigner { orderId: order.id, recovered: fx.machine_key.address() },
    );
    let new_signature = fx.sign(&fresh, &attestation);
    fx.attest(&fx.stranger, &attestation, &new_signature).await.expect("the new key attests");
}

/// The suite on two chains at the same addresses (same deployer, same nonces): an attestation signed under
/// chain B's domain is refused on chain A although machine, key, order id and contract address all match.
#[tokio::test]
async fn an_attestation_for_another_chain_is_refused() {
    let devnet = Arc::new(Devnet::start(DevnetConfig::with_chains(2)).expect("devnet starts"));
    let ids = devnet.chain_ids();
    let a = Fixture::on(Arc::clone(&devnet), ids[0]).await;
    let b = Fixture::on(Arc::clone(&devnet), ids[1]).await;
    assert_eq!(a.suite.storefront, b.suite.storefront, "same verifying contract; only the chain id differs");
    assert_eq!(a.machine_key.address(), b.machine_key.address());

    let on_a = a.place(0, 2 * USD, 1).await;
    let on_b = b.place(0, 2 * USD, 1).await;
    assert_eq!(on_a.id, on_b.id);
    let before = a.balances().await;

    let (attestation, signed_for_b) = b.attestation(on_b.id, Outcome::Dispensed);
    assert_revert(
        a.attest(&a.stranger, &attestation, &signed_for_b).await,
        Storefront::InvalidAttestationSigner {
            orderId: on_a.id,
            recovered: recover(&signed_for_b, attestation.eip712_signing_hash(&a.domain())),
        },
    );
    assert_eq!(a.balances().await, before);
    assert_eq!(a.order(on_a.id).await.status, status::OPEN);

    // The signature itself is genuine: on chain B it settles.
    b.attest(&b.stranger, &attestation, &signed_for_b).await.expect("valid on its own chain");
    assert_eq!(b.order(on_b.id).await.status, status::DISPENSED);
}

// ---------------------------------------------------------------------- re-entrancy

/// Registry, receipts and Storefront deployed on a `ReentrantToken`, wired like `deploy_suite`, with the
/// fixture's operator (staked in that token), its machine and a buyer who approved the Storefront.
struct Hostile {
    token: Address,
    registry: Address,
    storefront: Address,
    domain: Eip712Domain,
    machine: u64,
}

impl Hostile {
    async fn deploy(fx: &Fixture) -> Self {
        async fn deploy(fx: &Fixture, bytecode: &Bytes, args: Vec<u8>) -> Address {
            let mut init = bytecode.to_vec();
            init.extend(args);
            fx.admin.deploy(init.into()).await.expect("deploys").address
        }
        let admin = fx.admin.sender();
        let supply = U256::from(10_000 * USD);
        let token = deploy(
            fx,
            &ReentrantToken::BYTECODE,
            ReentrantToken::constructorCall { holder: admin, supply }.abi_encode(),
        )
        .await;
        let registry = deploy(
            fx,
            &MachineRegistry::BYTECODE,
            MachineRegistry::constructorCall { stakeToken_: token, minOperatorStake_: U256::from(MIN_STAKE), admin }
                .abi_encode(),
        )
        .await;
        let receipts = deploy(fx, &ReceiptNFT::BYTECODE, ReceiptNFT::constructorCall { admin }.abi_encode()).await;
        let storefront = deploy(
            fx,
            &Storefront::BYTECODE,
            Storefront::constructorCall {
                token_: token,
                registry_: registry,
                receipts_: receipts,
                owner_: admin,
                feeRecipient_: FEE_RECIPIENT,
                feeBps_: FEE_BPS,
            }
            .abi_encode(),
        )
        .await;
        fx.admin
            .send_sol(registry, &MachineRegistry::grantRoleCall { role: role("STOREFRONT_ROLE"), account: storefront })
            .await
            .expect("storefront role");
        fx.admin
            .send_sol(receipts, &ReceiptNFT::grantRoleCall { role: role("MINTER_ROLE"), account: storefront })
            .await
            .expect("minter role");

        for to in [fx.operator.sender(), fx.buyer.sender()] {
            fx.admin
                .send_sol(token, &ReentrantToken::transferCall { to, value: U256::from(1_000 * USD) })
                .await
                .expect("fund");
        }
        fx.operator
            .send_sol(token, &ReentrantToken::approveCall { spender: registry, value: U256::from(OPERATOR_STAKE) })
            .await
            .expect("approve stake");
        fx.operator
            .send_sol(registry, &MachineRegistry::registerOperatorCall { stake: U256::from(OPERATOR_STAKE) })
            .await
            .expect("operator registers");
        let machine = fx
            .operator
            .send_sol(registry, &fx.register_machine_call(fx.machine_key.address(), machine_slots(), 0))
            .await
            .expect("machine registers")
            .events::<MachineRegistry::MachineRegistered>()[0]
            .machineId;
        fx.buyer
            .send_sol(token, &ReentrantToken::approveCall { spender: storefront, value: U256::from(1_000 * USD) })
            .await
            .expect("buyer approves");
        let domain = storefront_domain(fx.suite.chain_id, storefront);
        Self { token, registry, storefront, domain, machine }
    }

    async fn balance(&self, fx: &Fixture, who: Address) -> U256 {
        fx.admin.call_sol(self.token, &ReentrantToken::balanceOfCall { account: who }).await.expect("balanceOf")
    }

    async fn place(&self, fx: &Fixture, price: u128, nonce: u64) -> (U256, u64) {
        let now = fx.now().await;
        let quote = Quote { machineId: self.machine, slot: 0, price, expiry: now + 300, nonce };
        let signature = automat_contracts::vending::sign_typed(&fx.machine_key, &self.domain, &quote).expect("sign");
        let deadline = now + 1 + ORDER_WINDOW;
        let receipt = fx
            .buyer
            .send_sol(
                self.storefront,
                &Storefront::placeOrderCall { quote, quoteSignature: signature, maxPrice: price, deadline },
            )
            .await
            .expect("order placed");
        (receipt.events::<Storefront::OrderPlaced>()[0].orderId, deadline)
    }

    fn attestation(&self, fx: &Fixture, order: U256, outcome: Outcome) -> Storefront::attestCall {
        let attestation =
            Attestation { orderId: order, outcome: outcome as u8, metadataDigest: metadata_digest(order) };
        let signature =
            automat_contracts::vending::sign_typed(&fx.machine_key, &self.domain, &attestation).expect("sign");
        Storefront::attestCall { attestation, signature }
    }

    /// Arms the token: its next transfer calls `target` with `call`.
    async fn arm<C: SolCall>(&self, fx: &Fixture, target: Address, call: &C) {
        fx.stranger
            .send_sol(self.token, &ReentrantToken::armCall { target_: target, payload_: call.abi_encode().into() })
            .await
            .expect("arm");
    }

    /// (attempts, lastSucceeded, lastReturn) of the hook.
    async fn hook(&self, fx: &Fixture) -> (U256, bool, Bytes) {
        let t = self.token;
        (
            fx.admin.call_sol(t, &ReentrantToken::attemptsCall {}).await.expect("attempts"),
            fx.admin.call_sol(t, &ReentrantToken::lastSucceededCall {}).await.expect("lastSucceeded"),
            fx.admin.call_sol(t, &ReentrantToken::lastReturnCall {}).await.expect("lastReturn"),
        )
    }

    async fn escrow(&self, fx: &Fixture) -> U256 {
        fx.admin.call_sol(self.storefront, &Storefront::escrowBalanceCall {}).await.expect("escrowBalance")
    }

    async fn status(&self, fx: &Fixture, order: U256) -> u8 {
        fx.admin.call_sol(self.storefront, &Storefront::orderOfCall { orderId: order }).await.expect("orderOf").status
    }

    async fn stock(&self, fx: &Fixture) -> u32 {
        fx.admin
            .call_sol(self.registry, &MachineRegistry::slotOfCall { machineId: self.machine, slot: 0 })
            .await
            .expect("slotOf")
            .stock
    }
}

/// What ReentrancyGuard reverts a nested call with: the bare selector, no arguments.
fn reentrancy_error() -> Bytes {
    Bytes::from(Storefront::ReentrancyGuardReentrantCall::SELECTOR.to_vec())
}

/// The re-entry the token reported in `receipt`.
fn reentry(receipt: &Receipt, token: Address) -> Vec<ReentrantToken::ReentryAttempted> {
    events_from::<ReentrantToken::ReentryAttempted>(receipt, token)
}

/// The hook really calls out: armed with a harmless call it reports success, so the refusals below are the
/// victims' guards at work, not a dead hook.
#[tokio::test]
async fn the_reentrant_token_hook_fires() {
    let fx = Fixture::new().await;
    let hostile = Hostile::deploy(&fx).await;
    let probe = ReentrantToken::balanceOfCall { account: fx.buyer.sender() };
    hostile.arm(&fx, hostile.token, &probe).await;
    let receipt = fx
        .buyer
        .send_sol(hostile.token, &ReentrantToken::transferCall { to: fx.stranger.sender(), value: U256::from(1) })
        .await
        .expect("transfer");
    let attempts = reentry(&receipt, hostile.token);
    assert_eq!(attempts.len(), 1);
    assert!(attempts[0].success);
    let (count, ok, _) = hostile.hook(&fx).await;
    assert_eq!((count, ok), (U256::from(1), true));
}

/// The refund's transfer re-enters `refundExpired` for the same order: the nested call is refused by the
/// guard, the order is refunded exactly once.
#[tokio::test]
async fn reentering_refund_expired_during_the_refund_fails() {
    let fx = Fixture::new().await;
    let hostile = Hostile::deploy(&fx).await;
    let price = 2 * USD;
    let (order, deadline) = hostile.place(&fx, price, 1).await;
    let buyer_before = hostile.balance(&fx, fx.buyer.sender()).await;
    assert_eq!(hostile.stock(&fx).await, 4);

    let refund = Storefront::refundExpiredCall { orderId: order };
    hostile.arm(&fx, hostile.storefront, &refund).await;
    fx.mine_at(deadline + 1).await;
    let receipt = fx.stranger.send_sol(hostile.storefront, &refund).await.expect("the outer refund succeeds");

    assert_eq!(
        reentry(&receipt, hostile.token),
        vec![ReentrantToken::ReentryAttempted {
            target: hostile.storefront,
            success: false,
            returnData: reentrancy_error(),
        }]
    );
    assert_eq!(hostile.hook(&fx).await, (U256::from(1), false, reentrancy_error()));
    assert_eq!(receipt.events::<Storefront::OrderRefunded>().len(), 1, "refunded once");
    assert_eq!(hostile.status(&fx, order).await, status::REFUNDED);
    assert_eq!(hostile.balance(&fx, fx.buyer.sender()).await, buyer_before + U256::from(price));
    assert_eq!(hostile.balance(&fx, hostile.storefront).await, U256::ZERO);
    assert_eq!(hostile.escrow(&fx).await, U256::ZERO);
    assert_eq!(hostile.stock(&fx).await, 5, "the unit was restored once");
    assert_revert(
        fx.stranger.send_sol(hostile.storefront, &refund).await,
        Storefront::OrderNotOpen { orderId: order, status: status::REFUNDED },
    );
}

/// The payout's transfer to the operator re-enters `attest` (a replay of the same attestation) and, for a
/// second order, `refundExpired`: both nested calls are refused, each order settles exactly once.
#[tokio::test]
async fn reentering_during_the_payout_fails() {
    let fx = Fixture::new().await;
    let hostile = Hostile::deploy(&fx).await;
    let price = 3 * USD;
    let fee = Fixture::fee(price);
    let operator_before = hostile.balance(&fx, fx.operator.sender()).await;

    let (first, _) = hostile.place(&fx, price, 1).await;
    let attest = hostile.attestation(&fx, first, Outcome::Dispensed);
    hostile.arm(&fx, hostile.storefront, &attest).await;
    let receipt = fx.stranger.send_sol(hostile.storefront, &attest).await.expect("the outer attestation settles");
    assert_eq!(
        reentry(&receipt, hostile.token),
        vec![ReentrantToken::ReentryAttempted {
            target: hostile.storefront,
            success: false,
            returnData: reentrancy_error(),
        }]
    );
    assert_eq!(receipt.events::<Storefront::OrderDispensed>().len(), 1);

    let (second, _) = hostile.place(&fx, price, 2).await;
    let attest = hostile.attestation(&fx, second, Outcome::Dispensed);
    hostile.arm(&fx, hostile.storefront, &Storefront::refundExpiredCall { orderId: second }).await;
    let receipt = fx.stranger.send_sol(hostile.storefront, &attest).await.expect("settles");
    assert!(!reentry(&receipt, hostile.token)[0].success);
    assert_eq!(hostile.hook(&fx).await, (U256::from(2), false, reentrancy_error()));

    for order in [first, second] {
        assert_eq!(hostile.status(&fx, order).await, status::DISPENSED);
    }
    assert_eq!(hostile.balance(&fx, fx.operator.sender()).await, operator_before + U256::from(2 * (price - fee)));
    assert_eq!(hostile.balance(&fx, FEE_RECIPIENT).await, U256::from(2 * fee));
    assert_eq!(hostile.balance(&fx, hostile.storefront).await, U256::ZERO);
    assert_eq!(hostile.escrow(&fx).await, U256::ZERO);
}

/// The registry's stake transfer re-enters `withdrawStake`: refused, the stake is paid out once.
#[tokio::test]
async fn reentering_the_registry_during_a_stake_withdrawal_fails() {
    let fx = Fixture::new().await;
    let hostile = Hostile::deploy(&fx).await;
    let withdraw = MachineRegistry::withdrawStakeCall { amount: U256::from(50 * USD) };
    let before = hostile.balance(&fx, fx.operator.sender()).await;
    hostile.arm(&fx, hostile.registry, &withdraw).await;
    let receipt = fx.operator.send_sol(hostile.registry, &withdraw).await.expect("the outer withdrawal succeeds");
    assert_eq!(
        reentry(&receipt, hostile.token),
        vec![ReentrantToken::ReentryAttempted {
            target: hostile.registry,
            success: false,
            returnData: Bytes::from(MachineRegistry::ReentrancyGuardReentrantCall::SELECTOR.to_vec()),
        }]
    );
    assert_eq!(hostile.balance(&fx, fx.operator.sender()).await, before + U256::from(50 * USD));
    let stake = fx
        .admin
        .call_sol(hostile.registry, &MachineRegistry::operatorOfCall { operator: fx.operator.sender() })
        .await
        .expect("operatorOf")
        .stake;
    assert_eq!(stake, U256::from(OPERATOR_STAKE - 50 * USD));
    assert_eq!(hostile.balance(&fx, hostile.registry).await, stake);
}

// ---------------------------------------------------------------------- quotes

/// The buyer agreed to 1.5 USD; a quote raised to 2.5 USD (by the machine, or swapped in by a front end) is
/// refused although the buyer's allowance would cover it.
#[tokio::test]
async fn a_price_raised_between_quote_and_order_is_refused() {
    let fx = Fixture::new().await;
    fx.approve(&fx.buyer, fx.suite.storefront, 100 * USD).await;
    let before = fx.balances().await;
    let agreed = 3 * USD / 2;
    let (_seen, _) = fx.quote(0, agreed, 1).await;
    let (raised, raised_sig) = fx.quote(0, 5 * USD / 2, 1).await;
    let deadline = fx.now().await + 1 + ORDER_WINDOW;
    assert_revert(
        fx.place_order(&raised, &raised_sig, agreed, deadline).await,
        Storefront::PriceAboveMax { price: 5 * USD / 2, maxPrice: agreed },
    );
    assert_eq!(fx.balances().await, before);
    assert_eq!(fx.stock(fx.machine, 0).await, 5);
}

#[tokio::test]
async fn an_expired_quote_is_refused() {
    let fx = Fixture::new().await;
    fx.approve(&fx.buyer, fx.suite.storefront, USD).await;
    let (quote, signature) = fx.quote(0, USD, 1).await;
    fx.mine_at(quote.expiry).await;
    let deadline = fx.now().await + 1 + ORDER_WINDOW;
    assert_revert(
        fx.place_order(&quote, &signature, USD, deadline).await,
        Storefront::QuoteExpired { expiry: quote.expiry, now_: U256::from(quote.expiry + 1) },
    );
    assert_eq!(fx.escrow().await, U256::ZERO);
}

#[tokio::test]
async fn a_reused_quote_nonce_is_refused() {
    let fx = Fixture::new().await;
    let placed = fx.place(0, USD, 5).await;
    fx.approve(&fx.buyer, fx.suite.storefront, 10 * USD).await;
    let before = fx.balances().await;
    let deadline = fx.now().await + 1 + ORDER_WINDOW;
    // The very same quote again, and a different quote (other slot and price) under the same nonce.
    let (same, same_sig) = fx.quote(0, USD, 5).await;
    let (other, other_sig) = fx.quote(1, 2 * USD, 5).await;
    for (quote, signature) in [(same, same_sig), (other, other_sig)] {
        assert_revert(
            fx.place_order(&quote, &signature, quote.price, deadline).await,
            Storefront::QuoteAlreadyUsed { machineId: fx.machine, nonce: 5 },
        );
    }
    assert_eq!(fx.balances().await, before);
    assert_eq!(fx.escrow().await, U256::from(placed.price));
    assert_eq!((fx.stock(fx.machine, 0).await, fx.stock(fx.machine, 1).await), (4, 2));
}

// ---------------------------------------------------------------------- refunds

#[tokio::test]
async fn a_double_refund_is_refused() {
    let fx = Fixture::new().await;
    let order = fx.place(0, 2 * USD, 1).await;
    fx.mine_at(order.deadline + 1).await;
    fx.refund(order.id).await.expect("first refund");
    let refunded = fx.balances().await;
    assert_revert(fx.refund(order.id).await, Storefront::OrderNotOpen { orderId: order.id, status: status::REFUNDED });
    assert_eq!(fx.balances().await, refunded);
    assert_eq!(refunded.buyer, U256::from(FUNDS), "the buyer got exactly the price back");
    assert_eq!(fx.stock(fx.machine, 0).await, 5);

    // The machine's late vend-failed attestation cannot refund it again either.
    let (attestation, signature) = fx.attestation(order.id, Outcome::VendFailed);
    assert_revert(
        fx.attest(&fx.stranger, &attestation, &signature).await,
        Storefront::OrderNotOpen { orderId: order.id, status: status::REFUNDED },
    );
}

#[tokio::test]
async fn a_refund_after_dispense_is_refused() {
    let fx = Fixture::new().await;
    let order = fx.place(0, 2 * USD, 1).await;
    let (attestation, signature) = fx.attestation(order.id, Outcome::Dispensed);
    fx.attest(&fx.stranger, &attestation, &signature).await.expect("dispensed");
    let paid = fx.balances().await;
    fx.mine_at(order.deadline + 1).await;
    assert_revert(fx.refund(order.id).await, Storefront::OrderNotOpen { orderId: order.id, status: status::DISPENSED });
    assert_eq!(fx.balances().await, paid, "the operator keeps its pay, the buyer gets nothing back");
}

#[tokio::test]
async fn a_refund_before_the_deadline_is_refused() {
    let fx = Fixture::new().await;
    let order = fx.place(0, 2 * USD, 1).await;
    let before = fx.balances().await;
    assert_revert(
        fx.refund(order.id).await,
        Storefront::OrderNotExpired { orderId: order.id, deadline: order.deadline },
    );
    assert_eq!(fx.balances().await, before);
    assert_eq!(fx.order(order.id).await.status, status::OPEN);
}

/// Every refund puts the reserved unit back through `MachineRegistry.releaseStock`. An operator who restocks a slot
/// to `type(uint32).max` while an order on it is open (or uses the maximum as an "unlimited" sentinel) must not be
/// able to block the buyer's refund that way: the count saturates instead of reverting.
#[tokio::test]
async fn an_operator_cannot_block_a_refund_by_filling_the_slot_to_the_maximum() {
    let fx = Fixture::new().await;
    let order = fx.place(0, 2 * USD, 1).await;
    fx.operator
        .send_sol(fx.suite.registry, &MachineRegistry::restockCall { machineId: fx.machine, slot: 0, stock: u32::MAX })
        .await
        .expect("restock");
    let (attestation, signature) = fx.attestation(order.id, Outcome::VendFailed);
    fx.attest(&fx.stranger, &attestation, &signature).await.expect("a failed vend is refunded whatever the stock");
    assert_eq!(fx.order(order.id).await.status, status::REFUNDED);
    assert_eq!(fx.stock(fx.machine, 0).await, u32::MAX);
}

// ---------------------------------------------------------------------- offline

#[tokio::test]
async fn settling_the_same_sale_twice_is_refused() {
    let fx = Fixture::new().await;
    fx.deposit(10 * USD).await;
    let now = fx.now().await;
    let (voucher, vsig) = fx.voucher(2 * USD, 1, now + 600);
    let (sale, ssig) = fx.sale(&voucher, 0, 2 * USD, now);
    fx.settle(&fx.operator, &voucher, &vsig, &sale, &ssig).await.expect("first settlement");
    let settled = fx.balances().await;
    let prepaid = fx.prepaid().await;

    // Resubmitted by anyone: the machine, or someone replaying its transaction.
    for client in [&fx.operator, &fx.stranger] {
        assert_revert(
            fx.settle(client, &voucher, &vsig, &sale, &ssig).await,
            Storefront::OfflineSaleAlreadySettled { saleDigest: sale.eip712_signing_hash(&fx.domain()) },
        );
    }
    assert_eq!(fx.balances().await, settled);
    assert_eq!(fx.prepaid().await, prepaid);
    assert_eq!(fx.minted().await, U256::from(1));
    assert_eq!(fx.stock(fx.machine, 0).await, 4);
}

/// The buyer prepaid exactly one purchase and spent the voucher at two machines during a partition: both sales
/// are recorded, the second as a double spend, and the buyer pays once.
#[tokio::test]
async fn a_voucher_spent_at_two_machines_pays_once() {
    let fx = Fixture::new().await;
    let (operator2, key2, machine2) = fx.second_machine().await;
    let price = 2 * USD;
    fx.deposit(price).await;
    let wallet = fx.balance(fx.buyer.sender()).await;
    let op1 = fx.balance(fx.operator.sender()).await;
    let op2 = fx.balance(operator2.sender()).await;
    let now = fx.now().await;
    let (voucher, vsig) = fx.voucher(price, 3, now + 600);

    let (sale1, sig1) = fx.sale(&voucher, 0, price, now - 60);
    let (sale2, sig2) = fx.sale_by(&key2, &voucher, machine2, 0, price, now - 30);
    fx.settle(&fx.operator, &voucher, &vsig, &sale1, &sig1).await.expect("first machine");
    let receipt = fx.settle(&operator2, &voucher, &vsig, &sale2, &sig2).await.expect("second machine");
    assert_eq!(
        receipt.events::<Storefront::VoucherDoubleSpent>(),
        vec![Storefront::VoucherDoubleSpent {
            buyer: fx.buyer.sender(),
            voucherNonce: 3,
            firstOrderId: U256::from(1),
            orderId: U256::from(2),
            unpaid: price,
        }]
    );

    assert_eq!(fx.balance(fx.buyer.sender()).await, wallet, "nothing taken from the wallet");
    assert_eq!(fx.prepaid().await.balance, 0, "the allowance paid once");
    assert_eq!(fx.balance(fx.operator.sender()).await, op1 + U256::from(price - Fixture::fee(price)));
    assert_eq!(fx.balance(operator2.sender()).await, op2, "the second machine bears the double spend");
    for order in [U256::from(1), U256::from(2)] {
        let o = fx.order(order).await;
        assert!(o.offline && o.status == status::DISPENSED, "both sales are on record: {o:?}");
    }
    assert_eq!(fx.minted().await, U256::from(2));
    assert_eq!(fx.balance(fx.suite.storefront).await, U256::ZERO);
}
