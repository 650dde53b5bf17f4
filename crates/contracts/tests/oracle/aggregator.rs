//! OracleAggregator, function by function: deployment and digests, the committee, feeds and their parameters,
//! reports (median, bounds, outliers, deviation and supermajority, heartbeat, drift anchor, every refusal),
//! equivocation proofs, clearing a freeze, and the views.

use alloy_primitives::{Address, B256, I256, U256, keccak256};
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::SolStruct;
use automat_chain::{ChainClient, ChainClientExt};
use automat_contracts::oracle::{
    FeedConfig, FeedKind, FeedStatus, Latest, Observation, OracleAggregator,
    OracleAggregator::OracleAggregatorEvents as Ev, int,
};

use crate::common::*;

fn admin_role() -> B256 {
    keccak256("ORACLE_ADMIN_ROLE")
}

fn accepted(feed: B256, round: u64, value: i128, observations: u8, agreeing: u8) -> Ev {
    Ev::ReportAccepted(OracleAggregator::ReportAccepted {
        feedId: feed,
        round,
        value: int(value),
        observations,
        agreeing,
    })
}

fn anchor_moved(feed: B256, anchor: i128, at: u64) -> Ev {
    Ev::DriftAnchorMoved(OracleAggregator::DriftAnchorMoved { feedId: feed, anchor: int(anchor), at })
}

fn flagged(fx: &OracleFixture, round: u64, node: usize, value: i128, median: i128) -> Ev {
    Ev::ObservationFlagged(OracleAggregator::ObservationFlagged {
        feedId: fx.feed,
        round,
        signer: fx.node(node),
        value: int(value),
        median: int(median),
    })
}

// ---------------------------------------------------------------------- deployment and digests

#[tokio::test]
async fn deployment_state() {
    let fx = OracleFixture::new().await;
    let admin = fx.admin.sender();
    assert!(fx.view(&OracleAggregator::hasRoleCall { role: B256::ZERO, account: admin }).await);
    assert!(fx.view(&OracleAggregator::hasRoleCall { role: admin_role(), account: admin }).await);
    assert_eq!(fx.view(&OracleAggregator::ORACLE_ADMIN_ROLECall {}).await, admin_role());
    assert_eq!(fx.view(&OracleAggregator::MAX_NODESCall {}).await, 31);
    assert_eq!(fx.view(&OracleAggregator::MAX_CLOCK_SKEWCall {}).await, 60);
    assert_eq!(fx.view(&OracleAggregator::committeeSizeCall {}).await, NODES as u8);
    assert_eq!(fx.view(&OracleAggregator::faultToleranceCall {}).await, F);
    assert_eq!(fx.view(&OracleAggregator::quorumCall {}).await, U256::from(QUORUM));
    assert_eq!(fx.view(&OracleAggregator::supermajorityCall {}).await, U256::from(SUPERMAJORITY));
    let committee = fx.view(&OracleAggregator::committeeCall {}).await;
    assert_eq!(committee.signers, fx.nodes.iter().map(PrivateKeySigner::address).collect::<Vec<_>>());
    assert_eq!(committee.f, F);

    let domain = fx.view(&OracleAggregator::eip712DomainCall {}).await;
    assert_eq!(domain.name, "automat OracleAggregator");
    assert_eq!(domain.version, "1");
    assert_eq!(domain.chainId, U256::from(fx.chain_id));
    assert_eq!(domain.verifyingContract, fx.aggregator);
}

#[tokio::test]
async fn observation_digest_equals_the_contract_view() {
    let fx = OracleFixture::new().await;
    let observation = Observation { feedId: B256::ZERO, round: 0, value: I256::ZERO, observedAt: 0 };
    assert_eq!(fx.view(&OracleAggregator::OBSERVATION_TYPEHASHCall {}).await, observation.eip712_type_hash());
    assert_eq!(
        observation.eip712_type_hash(),
        keccak256("Observation(bytes32 feedId,uint64 round,int256 value,uint64 observedAt)")
    );
    let domain = fx.domain();
    for (round, value, at) in [(1u64, int(PRICE), 5u64), (u64::MAX, I256::MAX, u64::MAX), (7, I256::MIN, 0)] {
        let observation = Observation { feedId: fx.feed, round, value, observedAt: at };
        assert_eq!(
            fx.view(&OracleAggregator::observationDigestCall { observation: observation.clone() }).await,
            observation.eip712_signing_hash(&domain)
        );
    }
}

// ---------------------------------------------------------------------- setCommittee

#[tokio::test]
async fn set_committee_replaces_the_signers() {
    let fx = OracleFixture::new().await;
    let fresh = node_keys("replacement", 4);
    let signers: Vec<Address> = fresh.iter().map(PrivateKeySigner::address).collect();
    let receipt = fx.oracle.set_committee(signers.clone(), 1).await.expect("committee set");
    assert_eq!(
        all_events::<Ev>(&receipt, fx.aggregator),
        vec![Ev::CommitteeChanged(OracleAggregator::CommitteeChanged { signers: signers.clone(), faultTolerance: 1 })]
    );
    let committee = fx.view(&OracleAggregator::committeeCall {}).await;
    assert_eq!((committee.signers, committee.f), (signers.clone(), 1));
    assert_eq!(fx.view(&OracleAggregator::quorumCall {}).await, U256::from(3));
    assert_eq!(fx.view(&OracleAggregator::supermajorityCall {}).await, U256::from(3));
    for node in &fx.nodes {
        assert!(!fx.view(&OracleAggregator::isNodeCall { signer: node.address() }).await, "old node removed");
    }
    for signer in signers {
        assert!(fx.view(&OracleAggregator::isNodeCall { signer }).await);
    }
}

#[tokio::test]
async fn set_committee_refusals() {
    let fx = OracleFixture::new().await;
    let addresses = |n: usize| -> Vec<Address> { node_keys("c", n).iter().map(PrivateKeySigner::address).collect() };
    // n >= 3f + 1, 1 <= n <= 31.
    let call = |signers: Vec<Address>, f: u8| OracleAggregator::setCommitteeCall { signers, f };
    assert_revert(
        fx.admin.send_sol(fx.aggregator, &call(addresses(6), 2)).await,
        OracleAggregator::InvalidCommittee { size: U256::from(6), faultTolerance: 2 },
    );
    assert_revert(
        fx.admin.send_sol(fx.aggregator, &call(vec![], 0)).await,
        OracleAggregator::InvalidCommittee { size: U256::ZERO, faultTolerance: 0 },
    );
    assert_revert(
        fx.admin.send_sol(fx.aggregator, &call(addresses(32), 2)).await,
        OracleAggregator::InvalidCommittee { size: U256::from(32), faultTolerance: 2 },
    );
    let mut with_zero = addresses(3);
    with_zero.push(Address::ZERO);
    assert_revert(fx.admin.send_sol(fx.aggregator, &call(with_zero, 1)).await, OracleAggregator::InvalidSigner {});
    let mut twice = addresses(3);
    twice.push(twice[1]);
    assert_revert(
        fx.admin.send_sol(fx.aggregator, &call(twice.clone(), 1)).await,
        OracleAggregator::DuplicateSigner { signer: twice[1] },
    );
    assert_revert(
        fx.stranger.send_sol(fx.aggregator, &call(addresses(4), 1)).await,
        OracleAggregator::AccessControlUnauthorizedAccount { account: fx.stranger.sender(), neededRole: admin_role() },
    );
    // Nothing changed.
    assert_eq!(fx.view(&OracleAggregator::committeeSizeCall {}).await, NODES as u8);
    assert!(fx.view(&OracleAggregator::isNodeCall { signer: fx.node(0) }).await);
}

// ---------------------------------------------------------------------- createFeed and setFeedConfig

#[tokio::test]
async fn create_feed_deploys_its_aggregator_v3() {
    let fx = OracleFixture::new().await;
    let feed = keccak256("demand forecast / machine 1");
    let config = FeedConfig { kind: FeedKind::Forecast as u8, decimals: 2, minValue: i192(0), ..feed_config() };
    let call = OracleAggregator::createFeedCall {
        feedId: feed,
        config: config.clone(),
        description: "forecast / machine 1".into(),
    };
    let proxy = fx.admin.call_sol(fx.aggregator, &call).await.expect("simulates");
    let receipt = fx.admin.send_sol(fx.aggregator, &call).await.expect("feed created");
    assert_eq!(
        all_events::<Ev>(&receipt, fx.aggregator),
        vec![
            Ev::FeedCreated(OracleAggregator::FeedCreated {
                feedId: feed,
                proxy,
                description: "forecast / machine 1".into()
            }),
            Ev::FeedConfigured(OracleAggregator::FeedConfigured { feedId: feed, config: config.clone() }),
        ]
    );
    assert_eq!(fx.view(&OracleAggregator::feedProxyCall { feedId: feed }).await, proxy);
    assert!(!fx.admin.code(proxy).await.expect("code").is_empty(), "the proxy is deployed");
    assert_eq!(fx.view(&OracleAggregator::feedConfigCall { feedId: feed }).await, config);
    let state = fx.view(&OracleAggregator::feedStateCall { feedId: feed }).await;
    assert_eq!((state.status, state.round, state.answerRound), (status::ACTIVE, 0, 0));
    assert_eq!(
        fx.oracle.latest(feed).await.expect("latest"),
        Latest { value: I256::ZERO, updated_at: 0, status: FeedStatus::Active, round: 0 }
    );
    assert!(!fx.oracle.is_fresh(feed, u64::MAX).await.expect("isFresh"), "no value yet");
}

#[tokio::test]
async fn create_feed_refusals() {
    let fx = OracleFixture::new().await;
    let feed = keccak256("new feed");
    let create =
        |config: FeedConfig| OracleAggregator::createFeedCall { feedId: feed, config, description: "new".into() };
    assert_revert(
        fx.admin
            .send_sol(
                fx.aggregator,
                &OracleAggregator::createFeedCall {
                    feedId: fx.feed,
                    config: feed_config(),
                    description: "again".into(),
                },
            )
            .await,
        OracleAggregator::FeedExists { feedId: fx.feed },
    );
    for (min, max) in [(10, 5), (0, 5), (-1, 5)] {
        assert_revert(
            fx.admin
                .send_sol(
                    fx.aggregator,
                    &create(FeedConfig { minValue: i192(min), maxValue: i192(max), ..feed_config() }),
                )
                .await,
            OracleAggregator::InvalidBounds { minValue: i192(min), maxValue: i192(max) },
        );
    }
    // A risk feed may go negative.
    let risk = FeedConfig { kind: FeedKind::Risk as u8, minValue: i192(-100), ..feed_config() };
    fx.admin.call_sol(fx.aggregator, &create(risk)).await.expect("negative bounds are fine for risk");
    for (threshold, deviation, outlier, drift) in
        [(600, 500, 200, 1_000), (50, 1_100, 200, 1_000), (50, 500, 200, 10_001), (50, 500, 10_001, 1_000)]
    {
        let config = FeedConfig {
            deviationThresholdBps: threshold,
            maxDeviationBps: deviation,
            outlierBps: outlier,
            maxDriftBps: drift,
            ..feed_config()
        };
        assert_revert(
            fx.admin.send_sol(fx.aggregator, &create(config)).await,
            OracleAggregator::InvalidThresholds {
                deviationThresholdBps: threshold,
                maxDeviationBps: deviation,
                outlierBps: outlier,
                maxDriftBps: drift,
            },
        );
    }
    for (heartbeat, age, window) in [(0, 300, 86_400), (3_600, 0, 86_400), (3_600, 300, 0)] {
        let config = FeedConfig { heartbeat, maxObservationAge: age, driftWindow: window, ..feed_config() };
        assert_revert(
            fx.admin.send_sol(fx.aggregator, &create(config)).await,
            OracleAggregator::InvalidTiming { heartbeat, maxObservationAge: age, driftWindow: window },
        );
    }
    assert_revert(
        fx.stranger.send_sol(fx.aggregator, &create(feed_config())).await,
        OracleAggregator::AccessControlUnauthorizedAccount { account: fx.stranger.sender(), neededRole: admin_role() },
    );
}

#[tokio::test]
async fn set_feed_config_changes_the_parameters_but_not_the_unit() {
    let fx = OracleFixture::new().await;
    let config = FeedConfig { heartbeat: 60, maxDeviationBps: 800, ..feed_config() };
    let receipt = fx.oracle.set_feed_config(fx.feed, config.clone()).await.expect("configured");
    assert_eq!(
        all_events::<Ev>(&receipt, fx.aggregator),
        vec![Ev::FeedConfigured(OracleAggregator::FeedConfigured { feedId: fx.feed, config: config.clone() })]
    );
    assert_eq!(fx.oracle.feed_config(fx.feed).await.expect("config"), config);

    for changed in
        [FeedConfig { decimals: 8, ..feed_config() }, FeedConfig { kind: FeedKind::Risk as u8, ..feed_config() }]
    {
        assert_revert(
            fx.oracle.set_feed_config(fx.feed, changed).await,
            OracleAggregator::FeedUnitChanged { feedId: fx.feed },
        );
    }
    assert_revert(
        fx.oracle.set_feed_config(fx.feed, FeedConfig { heartbeat: 0, ..feed_config() }).await,
        OracleAggregator::InvalidTiming {
            heartbeat: 0,
            maxObservationAge: MAX_OBSERVATION_AGE,
            driftWindow: DRIFT_WINDOW,
        },
    );
    let unknown = keccak256("unknown");
    assert_revert(
        fx.oracle.set_feed_config(unknown, feed_config()).await,
        OracleAggregator::FeedNotFound { feedId: unknown },
    );
    assert_revert(
        fx.oracle.with_client(fx.stranger.clone()).set_feed_config(fx.feed, feed_config()).await,
        OracleAggregator::AccessControlUnauthorizedAccount { account: fx.stranger.sender(), neededRole: admin_role() },
    );
}

// ---------------------------------------------------------------------- submitReport

#[tokio::test]
async fn the_first_report_sets_the_value_and_the_anchor() {
    let fx = OracleFixture::new().await;
    let report = fx.unanimous(1, NODES, PRICE).await;
    let oldest = report.iter().map(|o| o.observedAt).min().expect("observations");
    let call = OracleAggregator::submitReportCall { feedId: fx.feed, round: 1, observations: report.clone() };
    assert!(fx.stranger.call_sol(fx.aggregator, &call).await.expect("simulates"), "returns accepted");
    let receipt = fx.submit(1, report).await.expect("accepted");
    let at = fx.now().await;
    assert_eq!(
        all_events::<Ev>(&receipt, fx.aggregator),
        vec![accepted(fx.feed, 1, PRICE, NODES as u8, NODES as u8), anchor_moved(fx.feed, PRICE, at)]
    );
    assert_eq!(fx.latest().await, Latest { value: int(PRICE), updated_at: at, status: FeedStatus::Active, round: 1 });
    let state = fx.state().await;
    assert_eq!((state.status, state.round, state.answerRound), (status::ACTIVE, 1, 1));
    assert_eq!((state.anchor, u64::from(state.anchorAt)), (i192(PRICE), at));
    let round = fx.view(&OracleAggregator::roundDataCall { feedId: fx.feed, round: 1 }).await;
    assert_eq!(round, OracleAggregator::Round { answer: i192(PRICE), startedAt: oldest as u32, updatedAt: at as u32 });
    assert!(fx.oracle.is_fresh(fx.feed, 0).await.expect("isFresh"));
    fx.mine_at(at + 100).await;
    assert!(fx.oracle.is_fresh(fx.feed, 100).await.expect("isFresh"));
    assert!(!fx.oracle.is_fresh(fx.feed, 99).await.expect("isFresh"));
}

#[tokio::test]
async fn the_median_of_an_odd_count_is_the_middle_value() {
    let fx = OracleFixture::new().await;
    // Node order is address order; values in any order.
    let values = [(0, 2_010_000), (1, 1_990_000), (2, 2_000_000), (3, 2_030_000), (4, 1_980_000)];
    let report = fx.report(1, &values).await;
    let outcome = fx.oracle.with_client(fx.stranger.clone()).submit_report(fx.feed, 1, report).await.expect("ok");
    assert!(outcome.accepted);
    assert_eq!(outcome.median, int(2_000_000));
    assert_eq!(fx.latest().await.value, int(2_000_000));
}

#[tokio::test]
async fn the_median_of_an_even_count_is_the_floor_of_the_middle_mean() {
    let fx = OracleFixture::new().await;
    let values = [(0, 2_000_001), (1, 1_990_000), (2, 2_000_000), (3, 2_030_000), (4, 1_980_000), (5, 2_000_004)];
    let report = fx.report(1, &values).await;
    fx.submit(1, report).await.expect("accepted");
    // Middle values 2_000_000 and 2_000_001: mean 2_000_000.5, floored.
    assert_eq!(fx.latest().await.value, int(2_000_000));

    // Negative values (a risk feed) round towards negative infinity too.
    let risk_config = FeedConfig {
        kind: FeedKind::Risk as u8,
        minValue: i192(-1_000),
        maxDeviationBps: 10_000,
        outlierBps: 10_000,
        maxDriftBps: 10_000,
        ..feed_config()
    };
    let risk = fx.create_feed("risk", risk_config).await;
    let report = fx.report_for(risk, 1, &[(0, -7), (1, -4), (2, -100), (3, 50), (4, -3), (5, -6)]).await;
    fx.submit_to(risk, 1, report).await.expect("accepted");
    // Sorted: -100 -7 -6 -4 -3 50; middle -6 and -4: mean -5.
    assert_eq!(fx.oracle.latest(risk).await.expect("latest").value, int(-5));
    let report = fx.report_for(risk, 2, &[(0, -6), (1, -4), (2, -5), (3, -100), (4, -3), (5, -200)]).await;
    fx.submit_to(risk, 2, report).await.expect("accepted");
    // Sorted: -200 -100 -6 -5 -4 -3; middle -6 and -5: mean -5.5, floored to -6.
    assert_eq!(fx.oracle.latest(risk).await.expect("latest").value, int(-6));
}

#[tokio::test]
async fn outliers_are_flagged_and_counted() {
    let fx = OracleFixture::new().await;
    fx.accept(PRICE).await;
    let round = 2;
    // Median 2.02: node 1 is 2.5 % below it (flagged), node 5 far above (flagged), node 3 1.5 % above (agrees).
    let values =
        [(0, 2_020_000), (1, 1_969_000), (2, 2_020_000), (3, 2_050_300), (4, 2_020_000), (5, 9 * UNIT), (6, 2_010_000)];
    let report = fx.report(round, &values).await;
    let receipt = fx.submit(round, report).await.expect("accepted");
    assert_eq!(
        all_events::<Ev>(&receipt, fx.aggregator),
        vec![
            flagged(&fx, round, 1, 1_969_000, 2_020_000),
            flagged(&fx, round, 5, 9 * UNIT, 2_020_000),
            accepted(fx.feed, round, 2_020_000, 7, 5),
        ]
    );
    for (node, count) in [(0, 0), (1, 1), (3, 0), (5, 1)] {
        assert_eq!(fx.oracle.misbehaviour(fx.node(node)).await.expect("misbehaviour"), count);
    }
    // The count accumulates.
    let round = 3;
    let report = fx.report(round, &[(0, 2 * UNIT), (1, UNIT), (2, 2 * UNIT), (3, 2 * UNIT), (4, 2 * UNIT)]).await;
    fx.submit(round, report).await.expect("accepted");
    assert_eq!(fx.oracle.misbehaviour(fx.node(1)).await.expect("misbehaviour"), 2);
}

#[tokio::test]
async fn a_large_move_with_a_supermajority_is_accepted_and_becomes_the_anchor() {
    let fx = OracleFixture::new().await;
    fx.accept(PRICE).await;
    // +20 %: beyond the allowed 5 %, but 5 of 7 agree (n - f = 5).
    let value = PRICE * 12 / 10;
    let values = [(0, value), (1, value), (2, value), (3, value), (4, value), (5, PRICE), (6, PRICE)];
    let report = fx.report(2, &values).await;
    let receipt = fx.submit(2, report).await.expect("accepted");
    let at = fx.now().await;
    assert_eq!(
        all_events::<Ev>(&receipt, fx.aggregator),
        vec![
            flagged(&fx, 2, 5, PRICE, value),
            flagged(&fx, 2, 6, PRICE, value),
            accepted(fx.feed, 2, value, 7, 5),
            anchor_moved(fx.feed, value, at),
        ]
    );
    assert_eq!(fx.latest().await.value, int(value));
    assert_eq!(fx.state().await.anchor, i192(value));
}

#[tokio::test]
async fn a_large_move_without_a_supermajority_freezes_the_feed() {
    let fx = OracleFixture::new().await;
    fx.accept(PRICE).await;
    let before = fx.latest().await;
    // +6 % from a bare quorum in which two observations are outliers: only 3 agree.
    let value = PRICE * 106 / 100;
    let values = [(0, value), (1, value), (2, value), (3, PRICE), (4, 3 * PRICE)];
    let report = fx.report(2, &values).await;
    let call = OracleAggregator::submitReportCall { feedId: fx.feed, round: 2, observations: report.clone() };
    assert!(!fx.stranger.call_sol(fx.aggregator, &call).await.expect("simulates"), "returns not accepted");
    let receipt = fx.submit(2, report).await.expect("the report is processed");
    assert_eq!(
        all_events::<Ev>(&receipt, fx.aggregator),
        vec![
            flagged(&fx, 2, 3, PRICE, value),
            flagged(&fx, 2, 4, 3 * PRICE, value),
            Ev::ReportRejected(OracleAggregator::ReportRejected {
                feedId: fx.feed,
                round: 2,
                median: int(value),
                observations: 5,
                agreeing: 3,
            }),
            Ev::FeedFrozen(OracleAggregator::FeedFrozen {
                feedId: fx.feed,
                round: 2,
                reason: reason::DEVIATION,
                value: int(PRICE),
            }),
        ]
    );
    assert_eq!(fx.latest().await, Latest { status: FeedStatus::Frozen, ..before }, "frozen at the last good value");
    let state = fx.state().await;
    assert_eq!((state.round, state.answerRound), (2, 1), "round 2 is consumed without an answer");
    assert!(!fx.oracle.is_fresh(fx.feed, u64::MAX).await.expect("isFresh"), "a frozen feed is never fresh");
    let round = fx.view(&OracleAggregator::roundDataCall { feedId: fx.feed, round: 2 }).await;
    assert_eq!(round.updatedAt, 0, "no data for the rejected round");

    // Frozen: every report is refused until governance clears it.
    let report = fx.unanimous(3, NODES, PRICE).await;
    assert_revert(fx.submit(3, report).await, OracleAggregator::FeedIsFrozen { feedId: fx.feed });
}

#[tokio::test]
async fn a_small_move_waits_for_the_heartbeat() {
    let fx = OracleFixture::new().await;
    fx.accept(PRICE).await;
    let updated = fx.latest().await.updated_at;
    // +0.4 %: under the 0.5 % threshold.
    let small = PRICE * 1004 / 1000;
    let report = fx.unanimous(2, NODES, small).await;
    assert_revert(
        fx.submit(2, report).await,
        OracleAggregator::UpdateNotDue {
            feedId: fx.feed,
            median: int(small),
            current: int(PRICE),
            heartbeatAt: updated + u64::from(HEARTBEAT),
        },
    );
    // Exactly the threshold (+0.5 %) is due at once.
    let due = PRICE * 1005 / 1000;
    fx.accept(due).await;
    // An unchanged value is due once the heartbeat has passed, and not a second earlier.
    let updated = fx.latest().await.updated_at;
    fx.mine_at(updated + u64::from(HEARTBEAT) - 2).await;
    fx.next_tx_at(updated + u64::from(HEARTBEAT) - 1).await;
    let report = fx.unanimous(3, NODES, due).await;
    assert_revert(
        fx.submit(3, report.clone()).await,
        OracleAggregator::UpdateNotDue {
            feedId: fx.feed,
            median: int(due),
            current: int(due),
            heartbeatAt: updated + u64::from(HEARTBEAT),
        },
    );
    fx.next_tx_at(updated + u64::from(HEARTBEAT)).await;
    let report = fx.unanimous(3, NODES, due).await;
    fx.submit(3, report).await.expect("heartbeat update");
    assert_eq!(fx.latest().await.updated_at, updated + u64::from(HEARTBEAT));
}

#[tokio::test]
async fn the_drift_anchor_rolls_with_the_window() {
    let fx = OracleFixture::new().await;
    fx.accept(PRICE).await;
    let opened = fx.state().await.anchorAt;
    // Within the window the anchor stays.
    let up = PRICE * 104 / 100;
    let receipt = fx.accept(up).await;
    assert_eq!(all_events::<Ev>(&receipt, fx.aggregator).len(), 1, "no anchor move");
    assert_eq!((fx.state().await.anchor, fx.state().await.anchorAt), (i192(PRICE), opened));
    // The first report after the window opens a new one anchored at the value current then.
    fx.mine_at(u64::from(opened) + u64::from(DRIFT_WINDOW) - 1).await;
    fx.next_tx_at(u64::from(opened) + u64::from(DRIFT_WINDOW)).await;
    let next = PRICE * 107 / 100;
    let receipt = fx.accept(next).await;
    let at = fx.now().await;
    assert_eq!(at, u64::from(opened) + u64::from(DRIFT_WINDOW));
    assert_eq!(
        all_events::<Ev>(&receipt, fx.aggregator),
        vec![accepted(fx.feed, 3, next, 7, 7), anchor_moved(fx.feed, up, at)]
    );
}

#[tokio::test]
async fn drifting_too_far_from_the_anchor_without_a_supermajority_freezes() {
    let fx = OracleFixture::new().await;
    fx.accept(PRICE).await;
    // +4 % twice (each within the 5 % allowed), then +3 %: 11.5 % from the anchor, over the 10 % drift bound.
    let first = PRICE * 104 / 100;
    let second = first * 104 / 100;
    fx.accept(first).await;
    fx.accept(second).await;
    let third = second * 103 / 100;
    let values = [(0, third), (1, third), (2, third), (3, PRICE), (4, 3 * PRICE)];
    let report = fx.report(4, &values).await;
    let receipt = fx.submit(4, report).await.expect("processed");
    let events = all_events::<Ev>(&receipt, fx.aggregator);
    assert_eq!(
        events.last(),
        Some(&Ev::FeedFrozen(OracleAggregator::FeedFrozen {
            feedId: fx.feed,
            round: 4,
            reason: reason::DRIFT,
            value: int(second),
        }))
    );
    assert_eq!(fx.latest().await.value, int(second));
}

#[tokio::test]
async fn submit_report_refusals() {
    let fx = OracleFixture::new().await;
    let unknown = keccak256("unknown");
    let report = fx.unanimous(1, NODES, PRICE).await;
    assert_revert(fx.submit_to(unknown, 1, report.clone()).await, OracleAggregator::FeedNotFound { feedId: unknown });
    assert_revert(
        fx.submit(18, report.clone()).await,
        OracleAggregator::UnexpectedRound { feedId: fx.feed, round: 18, expected: 1 },
    );
    assert_revert(
        fx.submit(0, report.clone()).await,
        OracleAggregator::UnexpectedRound { feedId: fx.feed, round: 0, expected: 1 },
    );
    let four = fx.unanimous(1, QUORUM - 1, PRICE).await;
    assert_revert(
        fx.submit(1, four).await,
        OracleAggregator::InsufficientObservations { count: U256::from(4), quorum: U256::from(QUORUM) },
    );
    // Signers out of order, and twice.
    let mut swapped = fx.unanimous(1, QUORUM, PRICE).await;
    swapped.swap(1, 2);
    assert_revert(
        fx.submit(1, swapped).await,
        OracleAggregator::SignersNotAscending { previous: fx.node(2), signer: fx.node(1) },
    );
    let mut doubled = fx.unanimous(1, QUORUM, PRICE).await;
    doubled[2] = doubled[1].clone();
    assert_revert(fx.submit(1, doubled).await, OracleAggregator::DuplicateSigner { signer: fx.node(1) });
    // A signer outside the committee.
    let outsider = key("outsider");
    let mut foreign = fx.unanimous(1, QUORUM, PRICE).await;
    let now = fx.now().await;
    foreign[4] = fx.signed_by(&outsider, &fx.domain(), fx.feed, 1, int(PRICE), now);
    assert_revert(fx.submit(1, foreign).await, OracleAggregator::UnknownSigner { signer: outsider.address() });

    // Observation times: older than maxObservationAge, or beyond the clock skew.
    let at = fx.now().await + 1_000;
    fx.mine_at(at - 1).await;
    fx.next_tx_at(at).await;
    let mut old = fx.unanimous(1, QUORUM, PRICE).await;
    let oldest = at - u64::from(MAX_OBSERVATION_AGE);
    old[3] = fx.observation(3, 1, PRICE, oldest - 1);
    assert_revert(
        fx.submit(1, old).await,
        OracleAggregator::ObservationTooOld { signer: fx.node(3), observedAt: oldest - 1, oldest },
    );
    let mut edge = fx.unanimous(1, QUORUM, PRICE).await;
    edge[3] = fx.observation(3, 1, PRICE, oldest);
    edge[4] = fx.observation(4, 1, PRICE, at + 61);
    assert_revert(
        fx.submit(1, edge.clone()).await,
        OracleAggregator::ObservationFromFuture { signer: fx.node(4), observedAt: at + 61, latest: at + 60 },
    );
    // Prices must be positive.
    for bad in [0, -1] {
        let mut nonpositive = fx.unanimous(1, QUORUM, PRICE).await;
        nonpositive[0] = fx.observation(0, 1, bad, at - 1);
        assert_revert(
            fx.submit(1, nonpositive).await,
            OracleAggregator::NonPositiveValue { signer: fx.node(0), value: int(bad) },
        );
    }
    // The median must lie within the bounds.
    for (value, _) in [(MAX_VALUE + 1, ()), (MIN_VALUE - 1, ())] {
        let report = fx.unanimous(1, QUORUM, value).await;
        assert_revert(
            fx.submit(1, report).await,
            OracleAggregator::ValueOutOfBounds {
                median: int(value),
                minValue: i192(MIN_VALUE),
                maxValue: i192(MAX_VALUE),
            },
        );
    }
    // The edges are fine (at `at`, as pinned above).
    edge[4] = fx.observation(4, 1, PRICE, at + 60);
    fx.submit(1, edge).await.expect("oldest and newest allowed times are accepted");
    assert_eq!(fx.now().await, at);
}

// ---------------------------------------------------------------------- reportEquivocation

#[tokio::test]
async fn report_equivocation_freezes_the_feed_and_records_the_signer() {
    let fx = OracleFixture::new().await;
    fx.accept(PRICE).await;
    let now = fx.now().await;
    let a = fx.observation(2, 2, PRICE, now);
    let b = fx.observation(2, 2, PRICE + 1, now);
    let receipt =
        fx.oracle.with_client(fx.stranger.clone()).report_equivocation(fx.feed, 2, a.clone(), b.clone()).await;
    let receipt = receipt.expect("reported");
    assert_eq!(
        all_events::<Ev>(&receipt, fx.aggregator),
        vec![
            Ev::EquivocationReported(OracleAggregator::EquivocationReported {
                feedId: fx.feed,
                round: 2,
                signer: fx.node(2),
                valueA: int(PRICE),
                valueB: int(PRICE + 1),
            }),
            Ev::FeedFrozen(OracleAggregator::FeedFrozen {
                feedId: fx.feed,
                round: 2,
                reason: reason::EQUIVOCATION,
                value: int(PRICE),
            }),
        ]
    );
    assert_eq!(fx.latest().await.status, FeedStatus::Frozen);
    assert_eq!(fx.oracle.misbehaviour(fx.node(2)).await.expect("misbehaviour"), 1);
    assert!(
        fx.view(&OracleAggregator::equivocationReportedCall { feedId: fx.feed, round: 2, signer: fx.node(2) }).await
    );
    assert_revert(
        fx.oracle.report_equivocation(fx.feed, 2, b.clone(), a.clone()).await,
        OracleAggregator::EquivocationAlreadyReported { feedId: fx.feed, round: 2, signer: fx.node(2) },
    );
    // Another node's equivocation on the frozen feed is recorded without a second freeze.
    let c = fx.observation(4, 2, PRICE, now);
    let d = fx.observation(4, 2, 3 * PRICE, now);
    let receipt = fx.oracle.report_equivocation(fx.feed, 2, c, d).await.expect("reported");
    let events = all_events::<Ev>(&receipt, fx.aggregator);
    assert_eq!(events.len(), 1);
    assert!(matches!(events[0], Ev::EquivocationReported(_)));
    assert_eq!(fx.oracle.misbehaviour(fx.node(4)).await.expect("misbehaviour"), 1);
}

#[tokio::test]
async fn report_equivocation_refusals() {
    let fx = OracleFixture::new().await;
    let now = fx.now().await;
    let a = fx.observation(1, 1, PRICE, now);
    let other = fx.observation(2, 1, PRICE + 1, now);
    assert_revert(
        fx.oracle.report_equivocation(fx.feed, 1, a.clone(), other).await,
        OracleAggregator::SignersDiffer { signerA: fx.node(1), signerB: fx.node(2) },
    );
    let same = fx.observation(1, 1, PRICE, now + 5);
    assert_revert(
        fx.oracle.report_equivocation(fx.feed, 1, a.clone(), same).await,
        OracleAggregator::SameValue { value: int(PRICE) },
    );
    let outsider = key("outsider");
    let domain = fx.domain();
    let x = fx.signed_by(&outsider, &domain, fx.feed, 1, int(PRICE), now);
    let y = fx.signed_by(&outsider, &domain, fx.feed, 1, int(PRICE + 1), now);
    assert_revert(
        fx.oracle.report_equivocation(fx.feed, 1, x, y).await,
        OracleAggregator::UnknownSigner { signer: outsider.address() },
    );
    let unknown = keccak256("unknown");
    let b = fx.observation(1, 1, PRICE + 1, now);
    assert_revert(
        fx.oracle.report_equivocation(unknown, 1, a, b).await,
        OracleAggregator::FeedNotFound { feedId: unknown },
    );
    assert_eq!(fx.latest().await.status, FeedStatus::Active);
}

// ---------------------------------------------------------------------- clearFreeze

#[tokio::test]
async fn clear_freeze_reactivates_the_feed_at_its_last_good_value() {
    let fx = OracleFixture::new().await;
    fx.accept(PRICE).await;
    let now = fx.now().await;
    let (a, b) = (fx.observation(0, 2, PRICE, now), fx.observation(0, 2, 1, now));
    fx.oracle.report_equivocation(fx.feed, 2, a, b).await.expect("frozen");
    let receipt = fx.oracle.clear_freeze(fx.feed).await.expect("cleared");
    let at = fx.now().await;
    assert_eq!(
        all_events::<Ev>(&receipt, fx.aggregator),
        vec![
            Ev::FeedUnfrozen(OracleAggregator::FeedUnfrozen {
                feedId: fx.feed,
                by: fx.admin.sender(),
                value: int(PRICE)
            }),
            anchor_moved(fx.feed, PRICE, at),
        ]
    );
    assert_eq!(fx.latest().await.status, FeedStatus::Active);
    // Reports resume with the next round (the equivocation consumed none).
    assert_eq!(fx.next_round().await, 2);
    fx.accept(PRICE * 102 / 100).await;

    assert_revert(fx.oracle.clear_freeze(fx.feed).await, OracleAggregator::FeedNotFrozen { feedId: fx.feed });
    let unknown = keccak256("unknown");
    assert_revert(fx.oracle.clear_freeze(unknown).await, OracleAggregator::FeedNotFound { feedId: unknown });
    let (a, b) = (fx.observation(0, 3, PRICE, now), fx.observation(0, 3, 1, now));
    fx.oracle.report_equivocation(fx.feed, 3, a, b).await.expect("frozen again");
    assert_revert(
        fx.oracle.with_client(fx.stranger.clone()).clear_freeze(fx.feed).await,
        OracleAggregator::AccessControlUnauthorizedAccount { account: fx.stranger.sender(), neededRole: admin_role() },
    );
}

// ---------------------------------------------------------------------- views

#[tokio::test]
async fn views_of_an_unknown_feed_revert() {
    let fx = OracleFixture::new().await;
    let unknown = keccak256("unknown");
    let expected = OracleAggregator::FeedNotFound { feedId: unknown };
    assert_revert(fx.oracle.latest(unknown).await, expected.clone());
    assert_revert(fx.oracle.is_fresh(unknown, 1).await, expected.clone());
    assert_revert(fx.oracle.feed_state(unknown).await, expected.clone());
    assert_revert(fx.oracle.feed_config(unknown).await, expected.clone());
    assert_revert(fx.oracle.feed_proxy(unknown).await, expected.clone());
    assert_revert(
        fx.admin.call_sol(fx.aggregator, &OracleAggregator::roundDataCall { feedId: unknown, round: 1 }).await,
        expected,
    );
    assert_eq!(fx.oracle.feed_proxy(fx.feed).await.expect("proxy"), fx.proxy);
    assert_eq!(fx.oracle.misbehaviour(Address::ZERO).await.expect("misbehaviour"), 0);
}

/// A round whose observations aged out before anyone reported it is skipped: the next report may name a later
/// round (honest nodes never sign a second value for the stalled one), within MAX_ROUND_SKIP; an earlier round
/// stays refused.
#[tokio::test]
async fn a_stalled_round_is_skipped_within_the_bound() {
    let fx = OracleFixture::new().await;
    let report = fx.unanimous(3, NODES, PRICE).await;
    fx.submit(3, report).await.expect("round 3 skips the stalled rounds 1 and 2");
    assert_eq!(fx.latest().await.value, int(PRICE));
    let late = fx.unanimous(2, NODES, PRICE).await;
    assert_revert(
        fx.submit(2, late).await,
        OracleAggregator::UnexpectedRound { feedId: fx.feed, round: 2, expected: 4 },
    );
}
