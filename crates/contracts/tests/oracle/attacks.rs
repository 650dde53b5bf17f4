//! Attacks on the aggregator, each of which must be refused or end in the consensus override (the feed frozen at
//! its last good value): stale and replayed reports, observations signed for another round, feed, chain or
//! aggregator, unregistered and duplicated signers, a node signing two values in one round, slow drift just
//! under the thresholds, prices <= 0, and liars (f of them, and more).

use alloy_primitives::{Address, I256, U256};
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::SolStruct;
use automat_contracts::oracle::{
    FeedStatus, Latest, Observation, OracleAggregator, OracleAggregator::OracleAggregatorEvents as Ev,
    SignedObservation, int, oracle_domain,
};

use crate::{common::*, vending_common::recover};

/// The address `observation`'s signature recovers to when read as an observation of `round` of the fixture feed
/// (what the aggregator sees).
fn recovered_as(fx: &OracleFixture, round: u64, observation: &SignedObservation) -> Address {
    let read_as = Observation { feedId: fx.feed, round, value: observation.value, observedAt: observation.observedAt };
    recover(&observation.signature, read_as.eip712_signing_hash(&fx.domain()))
}

/// |value - anchor| * 10000 <= bps * anchor.
fn within(value: I256, anchor: I256, bps: u16) -> bool {
    let diff = (value - anchor).unsigned_abs();
    diff * U256::from(10_000) <= U256::from(bps) * anchor.unsigned_abs()
}

// ---------------------------------------------------------------------- stale and replayed reports

#[tokio::test]
async fn a_stale_report_is_refused() {
    let fx = OracleFixture::new().await;
    fx.accept(PRICE).await;
    let before = fx.latest().await;
    // The nodes observe a move; the leader sits on the report past maxObservationAge.
    let report = fx.unanimous(2, NODES, PRICE * 103 / 100).await;
    let signed_at = report[0].observedAt;
    let at = signed_at + u64::from(MAX_OBSERVATION_AGE) + 1;
    fx.next_tx_at(at).await;
    assert_revert(
        fx.submit(2, report).await,
        OracleAggregator::ObservationTooOld { signer: fx.node(0), observedAt: signed_at, oldest: signed_at + 1 },
    );
    assert_eq!(fx.latest().await, before);
    assert_eq!(fx.next_round().await, 2, "the round is still open for a fresh report");
}

#[tokio::test]
async fn a_replayed_report_is_refused() {
    let fx = OracleFixture::new().await;
    let report = fx.unanimous(1, NODES, PRICE).await;
    fx.submit(1, report.clone()).await.expect("accepted once");
    let before = fx.latest().await;
    assert_revert(
        fx.submit(1, report.clone()).await,
        OracleAggregator::UnexpectedRound { feedId: fx.feed, round: 1, expected: 2 },
    );
    // The same signatures presented as the next round recover to some other key.
    let stranger = recovered_as(&fx, 2, &report[0]);
    assert!(!fx.nodes.iter().any(|n| n.address() == stranger));
    assert_revert(fx.submit(2, report).await, OracleAggregator::UnknownSigner { signer: stranger });
    assert_eq!(fx.latest().await, before);
}

#[tokio::test]
async fn observations_for_another_feed_chain_or_aggregator_are_refused() {
    let fx = OracleFixture::new().await;
    let now = fx.now().await;
    let other_feed = fx.create_feed("aUSD / item 202", feed_config()).await;
    let domains = [
        ("another chain", oracle_domain(fx.chain_id + 1, fx.aggregator)),
        ("another aggregator", oracle_domain(fx.chain_id, Address::repeat_byte(0xaa))),
        ("this aggregator", fx.domain()),
    ];
    for (what, domain) in domains {
        // "this aggregator" signs for the other feed.
        let feed = if what == "this aggregator" { other_feed } else { fx.feed };
        let mut report = fx.unanimous(1, NODES, PRICE).await;
        report[0] = fx.signed_by(&fx.nodes[0], &domain, feed, 1, int(PRICE), now);
        let seen = recovered_as(&fx, 1, &report[0]);
        assert_ne!(seen, fx.node(0), "{what}");
        assert_revert(fx.submit(1, report).await, OracleAggregator::UnknownSigner { signer: seen });
    }
    assert_eq!(fx.latest().await.round, 0);
}

// ---------------------------------------------------------------------- signers

#[tokio::test]
async fn a_report_from_an_unregistered_signer_is_refused() {
    let fx = OracleFixture::new().await;
    let outsider = key("outsider");
    let now = fx.now().await;
    let mut report = fx.unanimous(1, QUORUM, PRICE).await;
    report.push(fx.signed_by(&outsider, &fx.domain(), fx.feed, 1, int(PRICE), now));
    report.sort_by_key(|o| recovered_as(&fx, 1, o));
    assert_revert(fx.submit(1, report).await, OracleAggregator::UnknownSigner { signer: outsider.address() });

    // A node removed from the committee is an outsider from then on.
    let remaining: Vec<Address> = fx.nodes[1..].iter().map(PrivateKeySigner::address).collect();
    fx.oracle.set_committee(remaining, 1).await.expect("committee without node 0");
    let report = fx.unanimous(1, QUORUM, PRICE).await;
    assert_revert(fx.submit(1, report).await, OracleAggregator::UnknownSigner { signer: fx.node(0) });
    let report = fx.report(1, &[(1, PRICE), (2, PRICE), (3, PRICE)]).await;
    fx.submit(1, report).await.expect("a quorum of the new committee (2f + 1 = 3)");
}

#[tokio::test]
async fn a_duplicated_signer_cannot_make_up_the_quorum() {
    let fx = OracleFixture::new().await;
    // Three nodes and one of them twice more: five observations, three signers.
    let three = fx.unanimous(1, 3, PRICE).await;
    let padded = vec![three[0].clone(), three[1].clone(), three[1].clone(), three[1].clone(), three[2].clone()];
    assert_revert(fx.submit(1, padded).await, OracleAggregator::DuplicateSigner { signer: fx.node(1) });
    // The same node with two different values (two signatures) is a duplicate too.
    let now = fx.now().await;
    let mut two_values = fx.unanimous(1, QUORUM, PRICE).await;
    two_values.insert(2, fx.observation(1, 1, 3 * PRICE, now));
    assert_revert(fx.submit(1, two_values).await, OracleAggregator::DuplicateSigner { signer: fx.node(1) });
    assert_eq!(fx.latest().await.round, 0);
}

#[tokio::test]
async fn a_node_signing_two_values_in_a_round_freezes_the_feed() {
    let fx = OracleFixture::new().await;
    fx.accept(PRICE).await;
    // Node 3 tells one leader 2.00 and another 2.40 for round 2; the first report goes in.
    let now = fx.now().await;
    let honest = fx.observation(3, 2, PRICE, now);
    let other = fx.observation(3, 2, PRICE * 12 / 10, now);
    let up = PRICE * 101 / 100;
    let mut report = fx.report(2, &[(0, up), (1, up), (2, up), (4, up)]).await;
    report.insert(3, honest.clone());
    fx.submit(2, report).await.expect("round 2 accepted");
    let accepted = fx.latest().await;
    assert_eq!(accepted.value, int(up));

    // Anyone holding both signatures proves the equivocation: consensus override.
    let receipt = fx.oracle.with_client(fx.stranger.clone()).report_equivocation(fx.feed, 2, honest, other).await;
    let receipt = receipt.expect("proof accepted");
    assert_eq!(
        all_events::<Ev>(&receipt, fx.aggregator).last(),
        Some(&Ev::FeedFrozen(OracleAggregator::FeedFrozen {
            feedId: fx.feed,
            round: 2,
            reason: reason::EQUIVOCATION,
            value: accepted.value,
        }))
    );
    assert_eq!(fx.latest().await, Latest { status: FeedStatus::Frozen, ..accepted });
    assert_eq!(fx.oracle.misbehaviour(fx.node(3)).await.expect("misbehaviour"), 1);
    let report = fx.unanimous(3, NODES, PRICE).await;
    assert_revert(fx.submit(3, report).await, OracleAggregator::FeedIsFrozen { feedId: fx.feed });
}

// ---------------------------------------------------------------------- drift

/// A bare quorum for `value` without a supermajority: three nodes at `value`, two outliers on either side.
async fn bare_quorum(fx: &OracleFixture, round: u64, value: i128) -> Vec<SignedObservation> {
    fx.report(round, &[(0, value), (1, value), (2, value), (3, value / 2), (4, value * 2)]).await
}

#[tokio::test]
async fn drift_just_under_the_allowed_deviation_every_round_stays_bounded() {
    let fx = OracleFixture::new().await;
    fx.accept(PRICE).await;
    let anchor = fx.latest().await.value;
    let mut value = PRICE;
    let mut steps = 0;
    loop {
        // +4.99 % each round: under the 5 % allowed deviation, far above the update threshold.
        let next = value * 10_499 / 10_000;
        let round = fx.next_round().await;
        let report = bare_quorum(&fx, round, next).await;
        let receipt = fx.submit(round, report).await.expect("processed");
        if fx.latest().await.status == FeedStatus::Frozen {
            assert_eq!(
                all_events::<Ev>(&receipt, fx.aggregator).last(),
                Some(&Ev::FeedFrozen(OracleAggregator::FeedFrozen {
                    feedId: fx.feed,
                    round,
                    reason: reason::DRIFT,
                    value: int(value),
                }))
            );
            assert!(!within(int(next), anchor, MAX_DRIFT_BPS), "it froze because the next step left the bound");
            break;
        }
        value = next;
        steps += 1;
        assert!(within(fx.latest().await.value, anchor, MAX_DRIFT_BPS), "step {steps} stays within 10 %");
    }
    assert_eq!(steps, 1, "one step of 4.99 % fits in 10 %, a second one does not");
    assert_eq!(fx.latest().await.value, int(value), "frozen at the last good value");
}

#[tokio::test]
async fn drift_just_under_the_update_threshold_every_heartbeat_stays_bounded() {
    let fx = OracleFixture::new().await;
    fx.accept(PRICE).await;
    let anchor = fx.latest().await.value;
    let window_opened = u64::from(fx.state().await.anchorAt);
    let mut value = PRICE;
    let mut steps = 0;
    loop {
        // +0.49 %: under the 0.5 % threshold, so each step waits for the heartbeat.
        let next = value * 10_049 / 10_000;
        let round = fx.next_round().await;
        let updated = fx.latest().await.updated_at;
        let early = bare_quorum(&fx, round, next).await;
        if !within(int(next), anchor, MAX_DRIFT_BPS) {
            // The step that would leave the bound freezes the feed at once: the drift rule comes before the
            // heartbeat.
            let receipt = fx.submit(round, early).await.expect("processed");
            assert_eq!(
                all_events::<Ev>(&receipt, fx.aggregator).last(),
                Some(&Ev::FeedFrozen(OracleAggregator::FeedFrozen {
                    feedId: fx.feed,
                    round,
                    reason: reason::DRIFT,
                    value: int(value),
                }))
            );
            break;
        }
        assert_revert(
            fx.submit(round, early).await,
            OracleAggregator::UpdateNotDue {
                feedId: fx.feed,
                median: int(next),
                current: int(value),
                heartbeatAt: updated + u64::from(HEARTBEAT),
            },
        );
        fx.mine_at(updated + u64::from(HEARTBEAT) - 1).await;
        let report = bare_quorum(&fx, round, next).await;
        fx.submit(round, report).await.expect("accepted after the heartbeat");
        assert!(fx.now().await < window_opened + u64::from(DRIFT_WINDOW), "all within one drift window");
        value = next;
        steps += 1;
        assert_eq!(fx.latest().await.value, int(value));
        assert!(within(fx.latest().await.value, anchor, MAX_DRIFT_BPS), "step {steps} stays within 10 %");
    }
    // 1.0049^19 = 1.097, 1.0049^20 = 1.103.
    assert_eq!(steps, 19);
    let latest = fx.latest().await;
    assert_eq!((latest.value, latest.status), (int(value), FeedStatus::Frozen), "frozen at the last good value");
}

// ---------------------------------------------------------------------- values

#[tokio::test]
async fn a_price_at_or_below_zero_is_refused() {
    let fx = OracleFixture::new().await;
    fx.accept(PRICE).await;
    let before = fx.latest().await;
    for bad in [I256::ZERO, I256::MINUS_ONE, I256::MIN] {
        // One lying node among honest ones...
        let now = fx.now().await;
        let mut report = fx.unanimous(2, QUORUM, PRICE * 102 / 100).await;
        report[1] = fx.signed_by(&fx.nodes[1], &fx.domain(), fx.feed, 2, bad, now);
        assert_revert(
            fx.submit(2, report).await,
            OracleAggregator::NonPositiveValue { signer: fx.node(1), value: bad },
        );
        // ...or all of them.
        let domain = fx.domain();
        let all: Vec<_> = (0..NODES).map(|i| fx.signed_by(&fx.nodes[i], &domain, fx.feed, 2, bad, now)).collect();
        assert_revert(fx.submit(2, all).await, OracleAggregator::NonPositiveValue { signer: fx.node(0), value: bad });
    }
    assert_eq!(fx.latest().await, before);
}

#[tokio::test]
async fn f_liars_cannot_move_the_median() {
    let fx = OracleFixture::new().await;
    fx.accept(PRICE).await;
    // Two liars (f = 2) at the extremes, three honest nodes at 2.00–2.02: a bare quorum.
    let now = fx.now().await;
    let domain = fx.domain();
    let liar_high = fx.signed_by(&fx.nodes[0], &domain, fx.feed, 2, I256::MAX, now);
    let liar_low = fx.signed_by(&fx.nodes[4], &domain, fx.feed, 2, I256::ONE, now);
    let honest = fx.report(2, &[(1, PRICE), (2, PRICE * 101 / 100), (3, PRICE * 102 / 100)]).await;
    let report = vec![liar_high, honest[0].clone(), honest[1].clone(), honest[2].clone(), liar_low];
    let receipt = fx.submit(2, report).await.expect("processed");
    assert_eq!(fx.latest().await.value, int(PRICE * 101 / 100), "the honest middle");
    let flagged: Vec<_> =
        receipt.events::<OracleAggregator::ObservationFlagged>().into_iter().map(|e| e.signer).collect();
    assert_eq!(flagged, vec![fx.node(0), fx.node(4)]);
}

#[tokio::test]
async fn more_than_f_liars_moving_the_price_freeze_the_feed() {
    let fx = OracleFixture::new().await;
    fx.accept(PRICE).await;
    let before = fx.latest().await;
    // Three colluding nodes (f + 1) claim +30 % and the leader includes only two honest ones.
    let lie = PRICE * 13 / 10;
    let report = fx.report(2, &[(0, lie), (1, PRICE), (2, lie), (3, PRICE), (4, lie)]).await;
    let receipt = fx.submit(2, report).await.expect("processed");
    assert_eq!(
        all_events::<Ev>(&receipt, fx.aggregator).last(),
        Some(&Ev::FeedFrozen(OracleAggregator::FeedFrozen {
            feedId: fx.feed,
            round: 2,
            reason: reason::DEVIATION,
            value: int(PRICE),
        }))
    );
    assert_eq!(fx.latest().await, Latest { status: FeedStatus::Frozen, ..before }, "the lie never became the value");
}
