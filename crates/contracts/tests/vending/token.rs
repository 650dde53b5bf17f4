//! PaymentToken: an OpenZeppelin ERC-20 with 6 decimals, minting by MINTER_ROLE, burning and ERC-2612 permit.

use alloy_primitives::{Address, U256};
use alloy_sol_types::SolStruct;
use automat_chain::{ChainClient, ChainClientExt};
use automat_contracts::vending::PaymentToken;

use crate::common::*;

async fn allowance(fx: &Fixture, owner: Address, spender: Address) -> U256 {
    fx.admin.call_sol(fx.suite.token, &PaymentToken::allowanceCall { owner, spender }).await.expect("allowance")
}

async fn nonce(fx: &Fixture, owner: Address) -> U256 {
    fx.admin.call_sol(fx.suite.token, &PaymentToken::noncesCall { owner }).await.expect("nonces")
}

async fn total_supply(fx: &Fixture) -> U256 {
    fx.admin.call_sol(fx.suite.token, &PaymentToken::totalSupplyCall {}).await.expect("totalSupply")
}

#[tokio::test]
async fn metadata_decimals_and_permit_domain() {
    let fx = Fixture::new().await;
    let token = fx.suite.token;
    assert_eq!(fx.admin.call_sol(token, &PaymentToken::decimalsCall {}).await.expect("decimals"), 6);
    assert_eq!(fx.admin.call_sol(token, &PaymentToken::nameCall {}).await.expect("name"), "automat USD");
    assert_eq!(fx.admin.call_sol(token, &PaymentToken::symbolCall {}).await.expect("symbol"), "aUSD");
    // Three accounts were funded; the operator's stake moved to the registry, which changes no supply.
    assert_eq!(total_supply(&fx).await, U256::from(3 * FUNDS));
    assert_eq!(fx.balance(fx.suite.registry).await, U256::from(OPERATOR_STAKE));
    let separator = fx.admin.call_sol(token, &PaymentToken::DOMAIN_SEPARATORCall {}).await.expect("separator");
    assert_eq!(separator, fx.token_domain().separator(), "permit domain: name \"automat USD\", version \"1\"");
    let minter = fx.admin.call_sol(token, &PaymentToken::MINTER_ROLECall {}).await.expect("role");
    assert_eq!(minter, role("MINTER_ROLE"));
    for r in [DEFAULT_ADMIN_ROLE, minter] {
        let held = fx
            .admin
            .call_sol(token, &PaymentToken::hasRoleCall { role: r, account: fx.admin.sender() })
            .await
            .expect("hasRole");
        assert!(held, "the admin holds {r}");
    }
}

#[tokio::test]
async fn minter_mints_with_a_transfer_from_zero() {
    let fx = Fixture::new().await;
    let to = Address::repeat_byte(0x42);
    let amount = U256::from(12_345_678u64);
    let receipt = fx
        .admin
        .send_sol(fx.suite.token, &PaymentToken::mintCall { to, amount })
        .await
        .expect("the admin holds MINTER_ROLE");
    assert_eq!(
        events_from::<PaymentToken::Transfer>(&receipt, fx.suite.token),
        vec![PaymentToken::Transfer { from: Address::ZERO, to, value: amount }]
    );
    assert_eq!(event_count(&receipt, fx.suite.token), 1);
    assert_eq!(fx.balance(to).await, amount);
    assert_eq!(total_supply(&fx).await, U256::from(3 * FUNDS) + amount);
}

#[tokio::test]
async fn mint_without_minter_role_reverts_until_granted() {
    let fx = Fixture::new().await;
    let minter = role("MINTER_ROLE");
    let call = PaymentToken::mintCall { to: fx.stranger.sender(), amount: U256::from(1) };
    assert_revert(
        fx.stranger.send_sol(fx.suite.token, &call).await,
        PaymentToken::AccessControlUnauthorizedAccount { account: fx.stranger.sender(), neededRole: minter },
    );

    let receipt = fx
        .admin
        .send_sol(fx.suite.token, &PaymentToken::grantRoleCall { role: minter, account: fx.stranger.sender() })
        .await
        .expect("grant");
    assert_eq!(
        receipt.events::<PaymentToken::RoleGranted>(),
        vec![PaymentToken::RoleGranted { role: minter, account: fx.stranger.sender(), sender: fx.admin.sender() }]
    );
    fx.stranger.send_sol(fx.suite.token, &call).await.expect("a granted minter mints");

    fx.admin
        .send_sol(fx.suite.token, &PaymentToken::revokeRoleCall { role: minter, account: fx.stranger.sender() })
        .await
        .expect("revoke");
    assert_revert(
        fx.stranger.send_sol(fx.suite.token, &call).await,
        PaymentToken::AccessControlUnauthorizedAccount { account: fx.stranger.sender(), neededRole: minter },
    );
}

#[tokio::test]
async fn only_the_admin_grants_roles() {
    let fx = Fixture::new().await;
    let call = PaymentToken::grantRoleCall { role: role("MINTER_ROLE"), account: fx.stranger.sender() };
    assert_revert(
        fx.stranger.send_sol(fx.suite.token, &call).await,
        PaymentToken::AccessControlUnauthorizedAccount {
            account: fx.stranger.sender(),
            neededRole: DEFAULT_ADMIN_ROLE,
        },
    );
}

#[tokio::test]
async fn renounce_role_needs_the_callers_confirmation() {
    let fx = Fixture::new().await;
    let minter = role("MINTER_ROLE");
    let admin = fx.admin.sender();
    assert_revert(
        fx.admin
            .send_sol(
                fx.suite.token,
                &PaymentToken::renounceRoleCall { role: minter, callerConfirmation: fx.buyer.sender() },
            )
            .await,
        PaymentToken::AccessControlBadConfirmation {},
    );
    let receipt = fx
        .admin
        .send_sol(fx.suite.token, &PaymentToken::renounceRoleCall { role: minter, callerConfirmation: admin })
        .await
        .expect("renounce");
    assert_eq!(
        receipt.events::<PaymentToken::RoleRevoked>(),
        vec![PaymentToken::RoleRevoked { role: minter, account: admin, sender: admin }]
    );
    assert_revert(
        fx.admin.send_sol(fx.suite.token, &PaymentToken::mintCall { to: admin, amount: U256::from(1) }).await,
        PaymentToken::AccessControlUnauthorizedAccount { account: admin, neededRole: minter },
    );
}

#[tokio::test]
async fn holders_burn_their_own_tokens() {
    let fx = Fixture::new().await;
    let buyer = fx.buyer.sender();
    let amount = U256::from(10 * USD);
    let receipt = fx.buyer.send_sol(fx.suite.token, &PaymentToken::burnCall { value: amount }).await.expect("burn");
    assert_eq!(
        receipt.events::<PaymentToken::Transfer>(),
        vec![PaymentToken::Transfer { from: buyer, to: Address::ZERO, value: amount }]
    );
    assert_eq!(fx.balance(buyer).await, U256::from(FUNDS) - amount);
    assert_eq!(total_supply(&fx).await, U256::from(3 * FUNDS) - amount);

    let balance = fx.balance(buyer).await;
    let too_much = balance + U256::from(1);
    assert_revert(
        fx.buyer.send_sol(fx.suite.token, &PaymentToken::burnCall { value: too_much }).await,
        PaymentToken::ERC20InsufficientBalance { sender: buyer, balance, needed: too_much },
    );
}

#[tokio::test]
async fn burn_from_needs_an_allowance() {
    let fx = Fixture::new().await;
    let buyer = fx.buyer.sender();
    let amount = U256::from(3 * USD);
    let call = PaymentToken::burnFromCall { account: buyer, value: amount };
    assert_revert(
        fx.stranger.send_sol(fx.suite.token, &call).await,
        PaymentToken::ERC20InsufficientAllowance {
            spender: fx.stranger.sender(),
            allowance: U256::ZERO,
            needed: amount,
        },
    );
    fx.approve(&fx.buyer, fx.stranger.sender(), 5 * USD).await;
    let receipt = fx.stranger.send_sol(fx.suite.token, &call).await.expect("burnFrom within the allowance");
    assert_eq!(
        receipt.events::<PaymentToken::Transfer>(),
        vec![PaymentToken::Transfer { from: buyer, to: Address::ZERO, value: amount }]
    );
    assert_eq!(allowance(&fx, buyer, fx.stranger.sender()).await, U256::from(2 * USD));
    assert_eq!(fx.balance(buyer).await, U256::from(FUNDS) - amount);
}

#[tokio::test]
async fn transfers_and_transfer_from() {
    let fx = Fixture::new().await;
    let (buyer, stranger) = (fx.buyer.sender(), fx.stranger.sender());
    let amount = U256::from(7 * USD);
    let receipt = fx
        .buyer
        .send_sol(fx.suite.token, &PaymentToken::transferCall { to: stranger, value: amount })
        .await
        .expect("transfer");
    assert_eq!(
        receipt.events::<PaymentToken::Transfer>(),
        vec![PaymentToken::Transfer { from: buyer, to: stranger, value: amount }]
    );
    assert_revert(
        fx.buyer.send_sol(fx.suite.token, &PaymentToken::transferCall { to: Address::ZERO, value: amount }).await,
        PaymentToken::ERC20InvalidReceiver { receiver: Address::ZERO },
    );

    assert_revert(
        fx.buyer.send_sol(fx.suite.token, &PaymentToken::approveCall { spender: Address::ZERO, value: amount }).await,
        PaymentToken::ERC20InvalidSpender { spender: Address::ZERO },
    );
    let receipt = fx
        .buyer
        .send_sol(fx.suite.token, &PaymentToken::approveCall { spender: stranger, value: amount })
        .await
        .expect("approve");
    assert_eq!(
        receipt.events::<PaymentToken::Approval>(),
        vec![PaymentToken::Approval { owner: buyer, spender: stranger, value: amount }]
    );
    let to = Address::repeat_byte(9);
    fx.stranger
        .send_sol(fx.suite.token, &PaymentToken::transferFromCall { from: buyer, to, value: amount })
        .await
        .expect("transferFrom");
    assert_eq!(fx.balance(to).await, amount);
    assert_revert(
        fx.stranger
            .send_sol(fx.suite.token, &PaymentToken::transferFromCall { from: buyer, to, value: U256::from(1) })
            .await,
        PaymentToken::ERC20InsufficientAllowance { spender: stranger, allowance: U256::ZERO, needed: U256::from(1) },
    );
}

/// A permit signed off chain by the buyer, submitted by someone else, sets the allowance and uses a nonce.
#[tokio::test]
async fn permit_sets_the_allowance() {
    let fx = Fixture::new().await;
    let (buyer, spender) = (fx.buyer.sender(), fx.suite.storefront);
    let value = U256::from(25 * USD);
    let deadline = U256::from(fx.now().await + 3_600);
    let permit = Permit { owner: buyer, spender, value, nonce: U256::ZERO, deadline };
    let sig = fx.sign_permit(&fx.buyer_key, &permit);
    let call = PaymentToken::permitCall { owner: buyer, spender, value, deadline, v: sig.v, r: sig.r, s: sig.s };
    let receipt = fx.stranger.send_sol(fx.suite.token, &call).await.expect("permit");
    assert_eq!(
        receipt.events::<PaymentToken::Approval>(),
        vec![PaymentToken::Approval { owner: buyer, spender, value }]
    );
    assert_eq!(allowance(&fx, buyer, spender).await, value);
    assert_eq!(nonce(&fx, buyer).await, U256::from(1));

    // Replayed, it is checked against nonce 1 and recovers to some other address.
    let replay_digest = Permit { nonce: U256::from(1), ..permit.clone() }.eip712_signing_hash(&fx.token_domain());
    let mut raw = sig.r.to_vec();
    raw.extend_from_slice(sig.s.as_slice());
    raw.push(sig.v);
    let recovered = recover(&raw.into(), replay_digest);
    assert_revert(
        fx.stranger.send_sol(fx.suite.token, &call).await,
        PaymentToken::ERC2612InvalidSigner { signer: recovered, owner: buyer },
    );
}

#[tokio::test]
async fn permit_past_its_deadline_reverts() {
    let fx = Fixture::new().await;
    let (buyer, spender) = (fx.buyer.sender(), fx.suite.storefront);
    let value = U256::from(USD);
    // The next block is one second after the latest one, so a deadline at the latest block has passed.
    let deadline = U256::from(fx.now().await);
    let sig = fx.sign_permit(&fx.buyer_key, &Permit { owner: buyer, spender, value, nonce: U256::ZERO, deadline });
    let call = PaymentToken::permitCall { owner: buyer, spender, value, deadline, v: sig.v, r: sig.r, s: sig.s };
    assert_revert(
        fx.stranger.send_sol(fx.suite.token, &call).await,
        PaymentToken::ERC2612ExpiredSignature { deadline },
    );
}

#[tokio::test]
async fn permit_signed_by_another_key_reverts() {
    let fx = Fixture::new().await;
    let (buyer, spender) = (fx.buyer.sender(), fx.suite.storefront);
    let value = U256::from(USD);
    let deadline = U256::from(fx.now().await + 3_600);
    let thief = key("thief");
    let sig = fx.sign_permit(&thief, &Permit { owner: buyer, spender, value, nonce: U256::ZERO, deadline });
    let call = PaymentToken::permitCall { owner: buyer, spender, value, deadline, v: sig.v, r: sig.r, s: sig.s };
    assert_revert(
        fx.stranger.send_sol(fx.suite.token, &call).await,
        PaymentToken::ERC2612InvalidSigner { signer: thief.address(), owner: buyer },
    );
    assert_eq!(allowance(&fx, buyer, spender).await, U256::ZERO);
    assert_eq!(nonce(&fx, buyer).await, U256::ZERO);
}
