//! The ComplianceRegistry's rules (who may set what, which sets and roots it refuses) and its hash and date
//! helpers against automat-zk's, which the disclosure circuit uses.

use alloy_primitives::{Address, U256, keccak256};
use automat_chain::{ChainClient, ChainClientExt};
use automat_contracts::privacy::ComplianceRegistry;
use automat_privacy::fr_to_u256;
use automat_zk::disclosure::{blocked_set_hash, yyyymmdd_from_unix};
use proptest::test_runner::{Config as ProptestConfig, TestRunner};

use crate::common::*;

/// OpenZeppelin's `AccessControlUnauthorizedAccount`.
#[allow(unreachable_pub, missing_docs)]
mod oz {
    alloy_sol_types::sol! {
        #[derive(Debug, PartialEq, Eq)]
        error AccessControlUnauthorizedAccount(address account, bytes32 neededRole);
    }
}

#[tokio::test]
async fn blocked_sets_are_checked_and_only_the_operator_or_an_officer_sets_them() {
    let fx = Fixture::new().await;
    let machine = fx.machine;
    let operator = fx.privacy(&fx.operator);
    for codes in [vec![1, 2, 3, 4, 5, 6, 7, 8, 9], vec![408, 0], vec![0], vec![408, 364, 408], vec![5, 5]] {
        assert_revert(
            operator.set_blocked_jurisdictions(machine, codes).await,
            ComplianceRegistry::InvalidJurisdictions {},
        );
    }
    for client in [&fx.stranger, &fx.issuer, &fx.admin] {
        assert_revert(
            fx.privacy(client).set_blocked_jurisdictions(machine, vec![408]).await,
            ComplianceRegistry::NotOperatorOrOfficer { machineId: machine, caller: client.sender() },
        );
    }
    let privacy = fx.privacy(&fx.admin);
    let (codes, hash) = privacy.blocked_jurisdictions(machine).await.expect("succeeds");
    assert!(codes.is_empty(), "nothing refused was stored");
    assert_eq!(hash, fr_to_u256(&blocked_set_hash(&[]).expect("succeeds")), "the empty set's hash");
    assert!(!privacy.requires_disclosure(machine, ITEM).await.expect("succeeds"));

    // Eight distinct codes from the operator, then a new set from the officer, then lifted.
    let eight = vec![408, 364, 192, 760, 4, 8, 12, 16];
    operator.set_blocked_jurisdictions(machine, eight.clone()).await.expect("eight codes");
    assert_eq!(
        privacy.blocked_jurisdictions(machine).await.expect("succeeds"),
        (eight.clone(), fr_to_u256(&blocked_set_hash(&eight).expect("succeeds")))
    );
    assert!(privacy.requires_disclosure(machine, ITEM).await.expect("succeeds"));
    fx.privacy(&fx.officer).set_blocked_jurisdictions(machine, vec![364]).await.expect("officer");
    assert_eq!(privacy.blocked_jurisdictions(machine).await.expect("succeeds").0, vec![364]);
    operator.set_blocked_jurisdictions(machine, vec![]).await.expect("lifted");
    assert!(!privacy.requires_disclosure(machine, ITEM).await.expect("succeeds"));

    // Minimum ages: officers only.
    let role = privacy.compliance_role().await.expect("succeeds");
    for client in [&fx.operator, &fx.admin] {
        assert_revert(
            fx.privacy(client).set_minimum_age(ITEM, 18).await,
            oz::AccessControlUnauthorizedAccount { account: client.sender(), neededRole: role },
        );
    }
    fx.privacy(&fx.officer).set_minimum_age(ITEM, 21).await.expect("officer");
    assert!(privacy.requires_disclosure(machine, ITEM).await.expect("succeeds"));
}

#[tokio::test]
async fn issuer_roots_need_the_role_a_field_element_and_no_duplicate() {
    let fx = Fixture::new().await;
    let privacy = fx.privacy(&fx.admin);
    let issuer = fx.privacy(&fx.issuer);
    let role = privacy.issuer_role().await.expect("succeeds");
    assert_eq!(role, keccak256("ISSUER_ROLE"));
    let root = U256::from_be_bytes(keccak256("an issuer root").0) % R;

    for client in [&fx.admin, &fx.officer, &fx.stranger] {
        assert_revert(
            fx.privacy(client).publish_issuer_root(root).await,
            oz::AccessControlUnauthorizedAccount { account: client.sender(), neededRole: role },
        );
    }
    for bad in [U256::ZERO, R, R + U256::from(1), U256::MAX] {
        assert_revert(issuer.publish_issuer_root(bad).await, ComplianceRegistry::InvalidIssuerRoot { root: bad });
    }
    assert_eq!(issuer_of(&fx, root).await, Address::ZERO);
    issuer.publish_issuer_root(root).await.expect("published");
    assert_eq!(issuer_of(&fx, root).await, fx.issuer.sender());
    issuer.publish_issuer_root(R - U256::from(1)).await.expect("the largest field element");
    assert_revert(issuer.publish_issuer_root(root).await, ComplianceRegistry::InvalidIssuerRoot { root });

    // A second issuer cannot take it over either, nor revoke it; the admin can.
    privacy.grant_compliance_role(role, fx.stranger.sender()).await.expect("succeeds");
    let second = fx.privacy(&fx.stranger);
    assert_revert(second.publish_issuer_root(root).await, ComplianceRegistry::InvalidIssuerRoot { root });
    assert_revert(
        second.revoke_issuer_root(root).await,
        oz::AccessControlUnauthorizedAccount {
            account: fx.stranger.sender(),
            neededRole: alloy_primitives::B256::ZERO,
        },
    );
    privacy.revoke_issuer_root(root).await.expect("the admin revokes");
    assert_eq!(issuer_of(&fx, root).await, Address::ZERO);
    assert_revert(issuer.revoke_issuer_root(root).await, ComplianceRegistry::UnknownIssuerRoot { root });
}

async fn issuer_of(fx: &Fixture, root: U256) -> Address {
    fx.admin.call_sol(fx.addresses.compliance, &ComplianceRegistry::issuerOfCall { root }).await.expect("issuerOf")
}

#[tokio::test]
async fn blocked_set_hash_matches_automat_zk() {
    let fx = Fixture::new().await;
    let sets: [&[u16]; 7] =
        [&[], &[408], &[408, 364], &[364, 408], &[408, 364, 192, 760], &[1, 2, 3, 4, 5, 6, 7, 8], &[u16::MAX, 1, 999]];
    let mut seen = Vec::new();
    for codes in sets {
        let onchain = fx
            .admin
            .call_sol(fx.addresses.compliance, &ComplianceRegistry::blockedSetHashCall { codes: codes.to_vec() })
            .await
            .expect("succeeds");
        assert_eq!(onchain, fr_to_u256(&blocked_set_hash(codes).expect("succeeds")), "{codes:?}");
        assert!(!seen.contains(&onchain), "distinct sets hash apart (order matters)");
        seen.push(onchain);
    }
    let empty =
        fx.admin.call_sol(fx.addresses.compliance, &ComplianceRegistry::emptySetHashCall {}).await.expect("succeeds");
    assert_eq!(empty, seen[0]);
    assert_revert(
        fx.admin.call_sol(fx.addresses.compliance, &ComplianceRegistry::blockedSetHashCall { codes: vec![1; 9] }).await,
        ComplianceRegistry::InvalidJurisdictions {},
    );
}

#[test]
fn yyyymmdd_matches_automat_zk() {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let fx = rt.block_on(Fixture::new());
    let onchain = |ts: u64| -> u32 {
        let date = rt
            .block_on(
                fx.admin
                    .call_sol(fx.addresses.compliance, &ComplianceRegistry::yyyymmddCall { timestamp: U256::from(ts) }),
            )
            .expect("yyyymmdd");
        u32::try_from(date).expect("a date")
    };
    let known = [
        (0, 1970_01_01),
        (86_399, 1970_01_01),
        (86_400, 1970_01_02),
        (951_782_400, 2000_02_29),
        (951_868_800, 2000_03_01),
        (1_709_164_800, 2024_02_29),
        (1_709_251_199, 2024_02_29),
        (1_709_251_200, 2024_03_01),
        (4_102_444_800, 2100_01_01),
    ];
    for (ts, date) in known {
        assert_eq!(yyyymmdd_from_unix(ts), date, "native {ts}");
        assert_eq!(onchain(ts), date, "on chain {ts}");
    }
    let config = ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() };
    let result = TestRunner::new(config).run(&(0u64..=4_102_444_800), |ts| {
        proptest::prop_assert_eq!(onchain(ts), yyyymmdd_from_unix(ts), "timestamp {}", ts);
        Ok(())
    });
    if let Err(failure) = result {
        panic!("{failure}");
    }
}
