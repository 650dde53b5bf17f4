//! Crowdfunded appeals.

use alloy_primitives::U256;
use automat_chain::ChainClient;
use automat_contracts::court::{CourtContract, Period};

use crate::{
    common::*,
    vending_common::{assert_revert, events_from},
};

const APPEAL_COST: u128 = 7 * FEE_PER_JUROR;

async fn staked_fixture(jurors: usize) -> CourtFixture {
    let fx = CourtFixture::new().await;
    for i in 0..jurors {
        fx.stake(i, MIN_STAKE).await;
    }
    for funder in [FUNDER_A, FUNDER_B] {
        fx.mint_fee(fx.client(funder).sender(), 100 * USD).await;
    }
    fx
}

#[tokio::test]
async fn both_sides_funded_start_a_round_of_seven() {
    let fx = staked_fixture(5).await;
    let court = fx.admin_court();
    let (a, b) = (fx.client(FUNDER_A), fx.client(FUNDER_B));
    let id = fx.create_dispute().await;
    let first = fx.draw_all(id).await;
    fx.to_commit(id).await;
    fx.vote_round(id, &all_vote(&first, YES)).await;
    assert_eq!(court.appeal_cost(id).await.expect("cost"), U256::from(APPEAL_COST));
    // NO is funded by one contributor who offers too much (only the cost is taken) ...
    let receipt = fx.court(&a).fund_appeal(id, NO, U256::from(100 * USD)).await.expect("fund NO");
    assert_eq!(
        events_from::<CourtContract::AppealContribution>(&receipt, fx.addresses.court),
        vec![CourtContract::AppealContribution {
            disputeId: id,
            round: U256::ZERO,
            choice: U256::from(NO),
            contributor: a.sender(),
            amount: U256::from(APPEAL_COST),
        }]
    );
    assert_eq!(
        events_from::<CourtContract::AppealSideFunded>(&receipt, fx.addresses.court),
        vec![CourtContract::AppealSideFunded { disputeId: id, round: U256::ZERO, choice: U256::from(NO) }]
    );
    assert_eq!(fx.fee_balance(a.sender()).await, U256::from(100 * USD - APPEAL_COST));
    assert_revert(
        fx.court(&b).fund_appeal(id, NO, U256::from(USD)).await,
        CourtContract::CourtSideFunded { disputeId: id, round: U256::ZERO, choice: U256::from(NO) },
    );
    assert_revert(
        fx.court(&b).fund_appeal(id, 0, U256::from(USD)).await,
        CourtContract::CourtInvalidChoice { disputeId: id, choice: U256::ZERO },
    );
    // ... YES in two contributions.
    fx.court(&b).fund_appeal(id, YES, U256::from(20 * USD)).await.expect("fund YES");
    fx.court(&b).fund_appeal(id, YES, U256::from(15 * USD)).await.expect("fund YES");
    let info = court.dispute(id).await.expect("dispute");
    fx.reach(info.last_period_change + PERIOD).await;
    let receipt = court.pass_period(id).await.expect("appeal ends");
    assert_eq!(
        events_from::<CourtContract::AppealDecided>(&receipt, fx.addresses.court),
        vec![CourtContract::AppealDecided {
            disputeId: id,
            round: U256::ZERO,
            fundedSides: U256::from(2),
            ruling: U256::from(YES)
        }]
    );
    let new_round = events_from::<CourtContract::NewRound>(&receipt, fx.addresses.court);
    assert_eq!((new_round[0].round, new_round[0].votes), (U256::from(1), U256::from(7)));
    let info = court.dispute(id).await.expect("dispute");
    assert_eq!((info.period, info.rounds), (Some(Period::Evidence), 2));
    let round = court.round(id, 1).await.expect("round 1");
    assert_eq!((round.votes, round.fees), (7, U256::from(APPEAL_COST)));
    assert!(round.beacon_round > court.round(id, 0).await.expect("round 0").beacon_round);

    let appeal = court.appeal(id, 0).await.expect("appeal of round 0");
    assert_eq!(
        (appeal.cost, appeal.funded_sides, appeal.total_funded, appeal.appealed, appeal.rewards_done),
        (U256::from(APPEAL_COST), 2, U256::from(2 * APPEAL_COST), true, false)
    );
    let second = fx.draw_all(id).await;
    assert_eq!(second.len(), 7);
    fx.to_commit(id).await;
    fx.vote_round(id, &all_vote(&second, NO)).await;
    assert_eq!(court.appeal_cost(id).await.expect("cost"), U256::from(15 * FEE_PER_JUROR));
    fx.end_appeal(id).await;
    let info = court.dispute(id).await.expect("dispute");
    assert_eq!((info.period, info.ruling), (Some(Period::Execution), U256::from(NO)));
    court.execute_ruling(id).await.expect("execute");
    assert_eq!(fx.arbitrable_ruling(id).await, (U256::from(NO), U256::from(1)));

    // Round 0 voted YES: everyone incoherent, fees and penalties to the treasury.
    let receipt = court.execute_rewards(id, 0, 10).await.expect("round 0 rewards");
    assert_eq!(
        events_from::<CourtContract::TreasuryCredited>(&receipt, fx.addresses.court),
        vec![CourtContract::TreasuryCredited {
            disputeId: id,
            round: U256::ZERO,
            fees: U256::from(3 * FEE_PER_JUROR),
            tokens: auto(300),
        }]
    );
    let receipt = court.execute_rewards(id, 1, 10).await.expect("round 1 rewards");
    let rewarded = events_from::<CourtContract::JurorRewarded>(&receipt, fx.addresses.court);
    let fees: U256 = rewarded.iter().map(|e| e.fees).sum();
    assert_eq!(fees, U256::from(APPEAL_COST));
    // The winning side's funder gets its contribution plus the losers' leftover share; the loser gets nothing.
    fx.court(&a).withdraw_appeal_contribution(id, 0, NO).await.expect("winner withdraws");
    assert_eq!(fx.fee_balance(a.sender()).await, U256::from(100 * USD));
    assert_revert(
        fx.court(&b).withdraw_appeal_contribution(id, 0, YES).await,
        CourtContract::CourtNothingToWithdraw { account: b.sender() },
    );
    // Everything paid in is accounted for.
    let treasury = fx.client(TREASURY);
    fx.court(&treasury).withdraw().await.expect("treasury withdraws");
    for juror in second.iter().chain(first.iter()) {
        let (f, t) = court.withdrawable(*juror).await.expect("withdrawable");
        if f > U256::ZERO || t > U256::ZERO {
            fx.court(&fx.client_of(*juror)).withdraw().await.expect("juror withdraws");
        }
    }
    assert_eq!(fx.fee_balance(fx.addresses.court).await, U256::ZERO);
}

#[tokio::test]
async fn one_side_funded_alone_wins() {
    let fx = staked_fixture(3).await;
    let court = fx.admin_court();
    let (a, b) = (fx.client(FUNDER_A), fx.client(FUNDER_B));
    let id = fx.create_dispute().await;
    let drawn = fx.draw_all(id).await;
    fx.to_commit(id).await;
    fx.vote_round(id, &all_vote(&drawn, YES)).await;
    fx.court(&b).fund_appeal(id, NO, U256::from(APPEAL_COST)).await.expect("fund NO");
    fx.court(&a).fund_appeal(id, YES, U256::from(10 * USD)).await.expect("YES partly");
    let info = court.dispute(id).await.expect("dispute");
    fx.reach(info.last_period_change + PERIOD).await;
    assert_revert(
        fx.court(&a).fund_appeal(id, YES, U256::from(USD)).await,
        CourtContract::CourtAppealPeriodOver { disputeId: id },
    );
    let receipt = court.pass_period(id).await.expect("appeal ends");
    assert_eq!(
        events_from::<CourtContract::AppealDecided>(&receipt, fx.addresses.court),
        vec![CourtContract::AppealDecided {
            disputeId: id,
            round: U256::ZERO,
            fundedSides: U256::from(1),
            ruling: U256::from(NO)
        }]
    );
    let info = court.dispute(id).await.expect("dispute");
    assert_eq!((info.period, info.ruling, info.rounds), (Some(Period::Execution), U256::from(NO), 1));
    court.execute_ruling(id).await.expect("execute");
    assert_eq!(fx.arbitrable_ruling(id).await, (U256::from(NO), U256::from(1)));
    // No new round was paid for: both are refunded in full.
    fx.court(&b).withdraw_appeal_contribution(id, 0, NO).await.expect("refund NO");
    fx.court(&a).withdraw_appeal_contribution(id, 0, YES).await.expect("refund YES");
    assert_eq!(fx.fee_balance(a.sender()).await, U256::from(100 * USD));
    assert_eq!(fx.fee_balance(b.sender()).await, U256::from(100 * USD));
    assert_revert(
        fx.court(&a).withdraw_appeal_contribution(id, 0, YES).await,
        CourtContract::CourtNothingToWithdraw { account: a.sender() },
    );
    // The jurors voted YES and the final ruling is NO: they are slashed.
    let receipt = court.execute_rewards(id, 0, 10).await.expect("rewards");
    assert_eq!(events_from::<CourtContract::JurorPenalized>(&receipt, fx.addresses.court).len(), {
        let mut unique = drawn.clone();
        unique.sort();
        unique.dedup();
        unique.len()
    });
}

#[tokio::test]
async fn no_funding_keeps_the_ruling_and_rounds_are_limited() {
    let fx = CourtFixture::with(|c| c.params.maxRounds = 1).await;
    fx.stake(0, MIN_STAKE).await;
    let court = fx.admin_court();
    let id = fx.create_dispute().await;
    let drawn = fx.draw_all(id).await;
    fx.to_commit(id).await;
    fx.vote_round(id, &all_vote(&drawn, NO)).await;
    let funder = fx.client(FUNDER_A);
    fx.mint_fee(funder.sender(), 100 * USD).await;
    assert_revert(
        fx.court(&funder).fund_appeal(id, YES, U256::from(USD)).await,
        CourtContract::CourtMaxRoundsReached { disputeId: id, maxRounds: U256::from(1) },
    );
    fx.end_appeal(id).await;
    let info = court.dispute(id).await.expect("dispute");
    assert_eq!((info.period, info.ruling), (Some(Period::Execution), U256::from(NO)));
    assert_revert(court.pass_period(id).await, CourtContract::CourtWrongPeriod { disputeId: id, period: 4 });
}
