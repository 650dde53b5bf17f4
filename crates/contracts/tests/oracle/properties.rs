//! Property tests on the aggregator, each against a Rust model of its rules.
//!
//! - Median: for random honest values in a range and up to f lying nodes with arbitrary values (any `int256`
//!   for a risk feed, positive and not for a price feed) at random positions, after an optional earlier report,
//!   the outcome is the model's (accepted, frozen, not due, or the exact refusal), the flagged signers are the
//!   model's, and an accepted median always lies within [lowest honest, highest honest].
//! - Drift: random walks of reports each moving just under `maxDeviationBps` (bare quorums without a
//!   supermajority, and now and then unanimous ones), with random pauses and governance clearing freezes, match
//!   the model step by step, and every value accepted without a supermajority lies within `maxDriftBps` of its
//!   window's anchor: the walk freezes instead of drifting further.
//!
//! One devnet serves all cases: each case starts from a snapshot.

use std::cell::Cell;

use alloy_primitives::{I256, U256};
use automat_chain::{ChainError, DevnetControl, Receipt};
use automat_contracts::oracle::{FeedConfig, FeedKind, FeedStatus, OracleAggregator, SignedObservation, int};
use proptest::{
    prelude::*,
    test_runner::{Config as ProptestConfig, TestRunner},
};

use crate::common::*;

// ---------------------------------------------------------------------- the rules, in Rust

/// |value - reference| * 10000 > bps * |reference|, for any `value` (as the contract computes it).
fn exceeds(value: I256, reference: I256, bps: u16) -> bool {
    let diff = if value >= reference {
        value.into_raw().wrapping_sub(reference.into_raw())
    } else {
        reference.into_raw().wrapping_sub(value.into_raw())
    };
    if diff > U256::MAX / U256::from(10_000) {
        return true;
    }
    diff * U256::from(10_000) > U256::from(bps) * reference.unsigned_abs()
}

/// |value - reference| * 10000 >= bps * |reference|.
fn reaches(value: I256, reference: I256, bps: u16) -> bool {
    let diff = (value - reference).unsigned_abs();
    diff * U256::from(10_000) >= U256::from(bps) * reference.unsigned_abs()
}

/// The middle value; for an even count the floor of the mean of the two middle ones.
fn median(values: &[I256]) -> I256 {
    let mut sorted = values.to_vec();
    sorted.sort();
    let mid = sorted.len() / 2;
    if sorted.len() % 2 == 1 {
        return sorted[mid];
    }
    let (lo, hi) = (sorted[mid - 1], sorted[mid]);
    (lo & hi) + (lo ^ hi).asr(1)
}

/// What a report should do.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Expected {
    Accepted,
    Frozen(u8),
    NotDue { heartbeat_at: u64 },
    NonPositive { node: usize, value: I256 },
    FeedIsFrozen,
}

// ---------------------------------------------------------------------- median property

#[derive(Debug, Clone)]
struct MedianCase {
    risk: bool,
    /// Honest values, as offsets from `base`.
    base: i128,
    honest: Vec<i128>,
    /// Liars' values and the report positions they take.
    lies: Vec<I256>,
    liar_positions: Vec<usize>,
    /// An earlier unanimous report at this offset from `base`, so the case faces the deviation rules.
    earlier: Option<i128>,
}

fn any_i256() -> impl Strategy<Value = I256> {
    any::<[u8; 32]>().prop_map(|bytes| I256::from_raw(U256::from_be_bytes(bytes)))
}

fn lie(risk: bool, base: i128) -> impl Strategy<Value = I256> {
    let near = (-400_000i128..=400_000).prop_map(move |d| int(base + d));
    let special = prop_oneof![
        Just(I256::MAX),
        Just(I256::MIN),
        Just(I256::ZERO),
        Just(I256::MINUS_ONE),
        Just(I256::ONE),
        Just(int(MAX_VALUE)),
    ];
    let positive = any_i256().prop_map(|v| if v > I256::ZERO { v } else { v.wrapping_neg().max(I256::ONE) });
    if risk {
        prop_oneof![3 => any_i256(), 2 => near, 1 => special].boxed()
    } else {
        // Mostly positive lies (the report then goes through), sometimes one <= 0 (refused).
        prop_oneof![4 => positive, 3 => near, 2 => special].boxed()
    }
}

fn median_case() -> impl Strategy<Value = MedianCase> {
    (any::<bool>(), 5usize..=NODES, 0usize..=usize::from(F))
        .prop_flat_map(|(risk, count, liars)| {
            let base = if risk { -3_000_000i128..=3_000_000 } else { 1_000_000i128..=5_000_000 };
            (Just(risk), Just(count), Just(liars), base, 0i128..=600_000)
        })
        .prop_flat_map(|(risk, count, liars, base, spread)| {
            let honest = proptest::collection::vec(0..=spread, count - liars);
            let lies = proptest::collection::vec(lie(risk, base), liars);
            let positions = proptest::sample::subsequence((0..count).collect::<Vec<_>>(), liars);
            let earlier = proptest::option::of(-200_000i128..=800_000);
            (Just(risk), Just(base), honest, lies, positions, earlier)
        })
        .prop_map(|(risk, base, honest, lies, liar_positions, earlier)| MedianCase {
            risk,
            base,
            honest: honest.into_iter().map(|h| base + h).collect(),
            lies,
            liar_positions,
            earlier,
        })
}

struct MedianWorld {
    fx: OracleFixture,
    risk: alloy_primitives::B256,
}

impl MedianWorld {
    async fn new() -> Self {
        let fx = OracleFixture::new().await;
        let config = FeedConfig {
            kind: FeedKind::Risk as u8,
            minValue: i192(-1_000 * UNIT),
            maxValue: i192(MAX_VALUE),
            ..feed_config()
        };
        let risk = fx.create_feed("risk / property", config).await;
        Self { fx, risk }
    }

    async fn run(&self, case: &MedianCase) {
        let fx = &self.fx;
        let feed = if case.risk { self.risk } else { fx.feed };
        let mut last = None;
        let mut round = 1;
        if let Some(offset) = case.earlier {
            let value = case.base + offset;
            let values: Vec<_> = (0..NODES).map(|i| (i, value)).collect();
            let report = fx.report_for(feed, 1, &values).await;
            fx.submit_to(feed, 1, report).await.expect("earlier report accepted");
            last = Some(int(value));
            round = 2;
        }

        // Node i reports: liars at their positions, honest values elsewhere (in order).
        let count = case.honest.len() + case.lies.len();
        let mut honest = case.honest.iter();
        let mut lies = case.lies.iter();
        let values: Vec<I256> = (0..count)
            .map(|i| {
                if case.liar_positions.contains(&i) {
                    *lies.next().expect("a lie per position")
                } else {
                    int(*honest.next().expect("an honest value per position"))
                }
            })
            .collect();
        let now = fx.now().await;
        let domain = fx.domain();
        let report: Vec<SignedObservation> =
            values.iter().enumerate().map(|(i, v)| fx.signed_by(&fx.nodes[i], &domain, feed, round, *v, now)).collect();

        // The model.
        let m = median(&values);
        let flagged: Vec<usize> = (0..count).filter(|&i| exceeds(values[i], m, OUTLIER_BPS)).collect();
        let supermajority = count - flagged.len() >= SUPERMAJORITY;
        let (lowest, highest) = (
            int(*case.honest.iter().min().expect("honest values")),
            int(*case.honest.iter().max().expect("honest values")),
        );
        assert!(lowest <= m && m <= highest, "the model's median {m} is outside [{lowest}, {highest}]");
        let expected = if let Some(i) = (0..count).find(|&i| !case.risk && values[i] <= I256::ZERO) {
            Expected::NonPositive { node: i, value: values[i] }
        } else {
            match last {
                None => Expected::Accepted,
                Some(last) if exceeds(m, last, MAX_DEVIATION_BPS) => {
                    if supermajority {
                        Expected::Accepted
                    } else {
                        Expected::Frozen(reason::DEVIATION)
                    }
                }
                Some(last) if !reaches(m, last, THRESHOLD_BPS) => {
                    let updated = fx.oracle.latest(feed).await.expect("latest").updated_at;
                    Expected::NotDue { heartbeat_at: updated + u64::from(HEARTBEAT) }
                }
                Some(_) => Expected::Accepted,
            }
        };

        let result = fx.submit_to(feed, round, report).await;
        let latest = fx.oracle.latest(feed).await.expect("latest");
        match expected {
            Expected::NonPositive { node, value } => {
                assert_revert(result, OracleAggregator::NonPositiveValue { signer: fx.node(node), value });
            }
            Expected::NotDue { heartbeat_at } => assert_revert(
                result,
                OracleAggregator::UpdateNotDue {
                    feedId: feed,
                    median: m,
                    current: last.expect("an earlier value"),
                    heartbeatAt: heartbeat_at,
                },
            ),
            Expected::Frozen(_) | Expected::FeedIsFrozen => {
                let receipt = result.expect("processed");
                assert_flagged(fx, &receipt, &flagged);
                assert_eq!(latest.status, FeedStatus::Frozen);
                assert_eq!(Some(latest.value), last, "frozen at the earlier value");
            }
            Expected::Accepted => {
                let receipt = result.expect("accepted");
                assert_flagged(fx, &receipt, &flagged);
                assert_eq!((latest.status, latest.value), (FeedStatus::Active, m));
                // The property: f liars cannot move the accepted median outside the honest range.
                assert!(lowest <= latest.value && latest.value <= highest, "{} outside the honest range", latest.value);
            }
        }
    }
}

fn assert_flagged(fx: &OracleFixture, receipt: &Receipt, nodes: &[usize]) {
    let flagged: Vec<_> =
        receipt.events::<OracleAggregator::ObservationFlagged>().into_iter().map(|e| e.signer).collect();
    assert_eq!(flagged, nodes.iter().map(|&i| fx.node(i)).collect::<Vec<_>>(), "flagged signers");
}

#[test]
fn f_liars_cannot_move_the_median_outside_the_honest_range() {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let world = rt.block_on(MedianWorld::new());
    let base = Cell::new(rt.block_on(world.fx.admin.snapshot()).expect("snapshot"));
    let config =
        ProptestConfig { cases: 128, max_shrink_iters: 256, failure_persistence: None, ..ProptestConfig::default() };
    let mut runner = TestRunner::new(config);
    let result = runner.run(&median_case(), |case| {
        rt.block_on(async {
            world.fx.admin.revert(base.get()).await.expect("revert to the fresh feeds");
            base.set(world.fx.admin.snapshot().await.expect("snapshot"));
            world.run(&case).await;
        });
        Ok(())
    });
    if let Err(failure) = result {
        panic!("{failure}");
    }
}

// ---------------------------------------------------------------------- drift property

#[derive(Debug, Clone)]
enum Step {
    /// Wait `wait` seconds, then report the value moved by `bps` (|bps| < maxDeviationBps), with a bare quorum
    /// (no supermajority) or unanimously.
    Report { wait: u64, bps: i128, unanimous: bool },
    /// Governance clears a freeze (or is refused: not frozen).
    Clear,
}

fn step() -> impl Strategy<Value = Step> {
    let wait = prop_oneof![6 => 1u64..=600, 3 => 3_000u64..=4_000, 1 => 20_000u64..=90_000];
    let bps = prop_oneof![
        6 => prop_oneof![(MAX_DEVIATION_BPS as i128 - 30)..=(MAX_DEVIATION_BPS as i128 - 1)],
        2 => prop_oneof![(-(MAX_DEVIATION_BPS as i128) + 1)..=(-(MAX_DEVIATION_BPS as i128) + 30)],
        2 => -60i128..=60,
    ];
    prop_oneof![
        10 => (wait, bps, proptest::bool::weighted(0.1)).prop_map(|(wait, bps, unanimous)| Step::Report {
            wait,
            bps,
            unanimous
        }),
        3 => Just(Step::Clear),
    ]
}

/// The feed as the contract should hold it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Model {
    value: i128,
    updated_at: u64,
    anchor: i128,
    anchor_at: u64,
    frozen: bool,
    round: u64,
    answer_round: u64,
}

impl Model {
    /// Applies a report of `median` at `t`; returns what it should do.
    fn report(&mut self, median: i128, supermajority: bool, t: u64) -> Expected {
        let (m, current) = (int(median), int(self.value));
        let mut anchor = (self.anchor, self.anchor_at);
        if t >= self.anchor_at + u64::from(DRIFT_WINDOW) {
            anchor = (self.value, t);
        }
        let deviates = exceeds(m, current, MAX_DEVIATION_BPS);
        if deviates || exceeds(m, int(anchor.0), MAX_DRIFT_BPS) {
            if !supermajority {
                self.frozen = true;
                self.round += 1;
                return Expected::Frozen(if deviates { reason::DEVIATION } else { reason::DRIFT });
            }
            anchor = (median, t);
        } else if !reaches(m, current, THRESHOLD_BPS) && t < self.updated_at + u64::from(HEARTBEAT) {
            return Expected::NotDue { heartbeat_at: self.updated_at + u64::from(HEARTBEAT) };
        }
        self.round += 1;
        self.answer_round = self.round;
        self.value = median;
        self.updated_at = t;
        (self.anchor, self.anchor_at) = anchor;
        Expected::Accepted
    }
}

struct DriftWorld {
    fx: OracleFixture,
    start: Model,
}

impl DriftWorld {
    async fn new() -> Self {
        let fx = OracleFixture::new().await;
        fx.accept(PRICE).await;
        let at = fx.now().await;
        let start = Model {
            value: PRICE,
            updated_at: at,
            anchor: PRICE,
            anchor_at: at,
            frozen: false,
            round: 1,
            answer_round: 1,
        };
        Self { fx, start }
    }

    async fn check(&self, model: &Model) {
        let state = self.fx.state().await;
        let latest = self.fx.latest().await;
        let seen = Model {
            value: i128::try_from(latest.value).expect("fits i128"),
            updated_at: latest.updated_at,
            anchor: i128::try_from(state.anchor).expect("fits i128"),
            anchor_at: u64::from(state.anchorAt),
            frozen: latest.status == FeedStatus::Frozen,
            round: state.round,
            answer_round: state.answerRound,
        };
        assert_eq!(&seen, model);
    }

    async fn run(&self, steps: &[Step]) {
        let fx = &self.fx;
        let mut model = self.start.clone();
        for step in steps {
            match *step {
                Step::Report { wait, bps, unanimous } => {
                    fx.mine_at(fx.now().await + wait).await;
                    let next = model.value * (10_000 + bps) / 10_000;
                    let round = model.round + 1;
                    let report = if unanimous {
                        fx.unanimous(round, NODES, next).await
                    } else {
                        // Three at the value, two outliers: 3 agree, short of the supermajority (5).
                        fx.report(round, &[(0, next), (1, next), (2, next), (3, next / 2), (4, next * 2)]).await
                    };
                    let t = fx.now().await + 1;
                    fx.next_tx_at(t).await;
                    let before = model.clone();
                    let expected = if model.frozen { Expected::FeedIsFrozen } else { model.report(next, unanimous, t) };
                    let result = fx.submit(round, report).await;
                    self.expect(result, &expected, &before, next);
                    if expected == Expected::Accepted && !unanimous {
                        // The property: without a supermajority the value stays within maxDriftBps of the anchor.
                        let (value, anchor) = (int(model.value), int(model.anchor));
                        let diff = (value - anchor).unsigned_abs();
                        assert!(
                            diff * U256::from(10_000) <= U256::from(MAX_DRIFT_BPS) * anchor.unsigned_abs(),
                            "{value} drifted beyond {MAX_DRIFT_BPS} bps of the anchor {anchor}"
                        );
                    }
                }
                Step::Clear => {
                    let result = fx.oracle.clear_freeze(fx.feed).await;
                    if model.frozen {
                        result.expect("cleared");
                        model.frozen = false;
                        model.anchor = model.value;
                        model.anchor_at = fx.now().await;
                    } else {
                        assert_revert(result, OracleAggregator::FeedNotFrozen { feedId: fx.feed });
                    }
                }
            }
            self.check(&model).await;
        }
    }

    fn expect(&self, result: Result<Receipt, ChainError>, expected: &Expected, before: &Model, median: i128) {
        let feed = self.fx.feed;
        match *expected {
            Expected::FeedIsFrozen => assert_revert(result, OracleAggregator::FeedIsFrozen { feedId: feed }),
            Expected::Accepted => {
                result.expect("accepted");
            }
            Expected::Frozen(why) => {
                let receipt = result.expect("processed");
                let frozen = receipt.events::<OracleAggregator::FeedFrozen>();
                assert_eq!(
                    frozen,
                    vec![OracleAggregator::FeedFrozen {
                        feedId: feed,
                        round: before.round + 1,
                        reason: why,
                        value: int(before.value),
                    }]
                );
            }
            Expected::NotDue { heartbeat_at } => assert_revert(
                result,
                OracleAggregator::UpdateNotDue {
                    feedId: feed,
                    median: int(median),
                    current: int(before.value),
                    heartbeatAt: heartbeat_at,
                },
            ),
            Expected::NonPositive { .. } => panic!("the walk stays positive"),
        }
    }
}

#[test]
fn drift_just_under_the_allowed_deviation_stays_within_the_bound() {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let world = rt.block_on(DriftWorld::new());
    let base = Cell::new(rt.block_on(world.fx.admin.snapshot()).expect("snapshot"));
    let config =
        ProptestConfig { cases: 48, max_shrink_iters: 256, failure_persistence: None, ..ProptestConfig::default() };
    let mut runner = TestRunner::new(config);
    let result = runner.run(&proptest::collection::vec(step(), 1..=40), |steps| {
        rt.block_on(async {
            world.fx.admin.revert(base.get()).await.expect("revert to the first report");
            base.set(world.fx.admin.snapshot().await.expect("snapshot"));
            world.run(&steps).await;
        });
        Ok(())
    });
    if let Err(failure) = result {
        panic!("{failure}");
    }
}
