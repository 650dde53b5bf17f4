//! Whole disputes: three honest jurors; an incoherent juror and a non-revealer.

use std::collections::HashMap;

use alloy_primitives::{Address, U256};
use automat_chain::ChainClient;
use automat_contracts::court::{CourtContract, Period};

use crate::{
    common::*,
    vending_common::{assert_revert, events_from},
};

/// Each draw locks the whole minimum stake, so jurors staking the minimum are drawn at most once each.
async fn one_draw_each() -> CourtFixture {
    CourtFixture::with(|c| c.params.alphaBps = 10_000).await
}

#[tokio::test]
async fn three_honest_jurors_from_filing_to_withdrawal() {
    let fx = one_draw_each().await;
    for i in 0..3 {
        fx.stake(i, MIN_STAKE).await;
    }
    let court = fx.admin_court();
    let id = fx.create_dispute().await;
    let drawn = fx.draw_all(id).await;
    assert_eq!(drawn.len(), 3);
    let mut unique = drawn.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 3, "three different jurors");
    for juror in &drawn {
        assert_eq!(court.juror(*juror).await.expect("juror").locked, auto(1_000));
    }
    fx.court(&fx.client(FUNDER_A)).submit_evidence(id, alloy_primitives::B256::repeat_byte(1)).await.expect("evidence");
    fx.to_commit(id).await;
    fx.vote_round(id, &all_vote(&drawn, YES)).await;
    let info = court.dispute(id).await.expect("dispute");
    assert_eq!((info.period, info.ruling), (Some(Period::Appeal), U256::from(YES)));
    assert_eq!(court.votes_for(id, 0, YES).await.expect("votes"), U256::from(3));
    assert_eq!(court.current_ruling(id).await.expect("ruling"), (U256::from(YES), false));
    assert_eq!(court.appeal_cost(id).await.expect("appeal cost"), U256::from(7 * FEE_PER_JUROR));
    fx.end_appeal(id).await;
    assert_eq!(court.dispute(id).await.expect("dispute").period, Some(Period::Execution));

    let receipt = court.execute_ruling(id).await.expect("execute ruling");
    assert_eq!(
        events_from::<CourtContract::RulingExecuted>(&receipt, fx.addresses.court),
        vec![CourtContract::RulingExecuted { disputeId: id, arbitrable: fx.arbitrable, ruling: U256::from(YES) }]
    );
    assert_eq!(fx.arbitrable_ruling(id).await, (U256::from(YES), U256::from(1)));
    assert_revert(court.execute_ruling(id).await, CourtContract::CourtAlreadyExecuted { disputeId: id });
    assert_eq!(fx.arbitrable_ruling(id).await.1, U256::from(1), "rule() called exactly once");
    assert_eq!(court.current_ruling(id).await.expect("ruling"), (U256::from(YES), true));

    // Rewards in two batches.
    let first = court.execute_rewards(id, 0, 2).await.expect("first batch");
    assert_eq!(events_from::<CourtContract::JurorRewarded>(&first, fx.addresses.court).len(), 2);
    let second = court.execute_rewards(id, 0, 2).await.expect("second batch");
    let rewarded = events_from::<CourtContract::JurorRewarded>(&second, fx.addresses.court);
    assert_eq!(rewarded.len(), 1);
    assert_eq!((rewarded[0].fees, rewarded[0].tokens), (U256::from(FEE_PER_JUROR), U256::ZERO));
    assert_eq!(
        events_from::<CourtContract::TreasuryCredited>(&second, fx.addresses.court),
        vec![CourtContract::TreasuryCredited {
            disputeId: id,
            round: U256::ZERO,
            fees: U256::ZERO,
            tokens: U256::ZERO
        }]
    );
    assert_revert(
        court.execute_rewards(id, 0, 1).await,
        CourtContract::CourtRewardsDone { disputeId: id, round: U256::ZERO },
    );
    for juror in &drawn {
        let client = fx.client_of(*juror);
        assert_eq!(court.juror(*juror).await.expect("juror").locked, U256::ZERO, "lock released");
        let receipt = fx.court(&client).withdraw().await.expect("withdraw fees");
        assert_eq!(
            events_from::<CourtContract::Withdrawn>(&receipt, fx.addresses.court),
            vec![CourtContract::Withdrawn { account: *juror, fees: U256::from(FEE_PER_JUROR), tokens: U256::ZERO }]
        );
        assert_eq!(fx.fee_balance(*juror).await, U256::from(FEE_PER_JUROR));
        fx.court(&client).unstake(auto(1_000)).await.expect("leave");
        assert_eq!(fx.auto_balance(*juror).await, auto(1_000));
    }
    assert_eq!(fx.fee_balance(fx.addresses.court).await, U256::ZERO);
    assert_eq!(fx.auto_balance(fx.addresses.court).await, U256::ZERO);
}

#[tokio::test]
async fn incoherent_and_silent_jurors_pay_the_coherent_ones() {
    let fx = one_draw_each().await;
    for i in 0..5 {
        fx.stake(i, MIN_STAKE).await;
    }
    let court = fx.admin_court();
    let id = fx.create_dispute().await;
    let drawn = fx.draw_all(id).await;
    let (coherent, incoherent, silent) = (drawn[0], drawn[1], drawn[2]);
    fx.to_commit(id).await;
    // The silent juror commits but never reveals.
    fx.court(&fx.client_of(silent)).commit_vote(id, 0, NO, salt(silent)).await.expect("commit");
    let votes: HashMap<Address, Option<u64>> = [(coherent, Some(YES)), (incoherent, Some(NO))].into_iter().collect();
    fx.vote_round(id, &votes).await;
    // One vote each: a tie, ruling 0 (refused).
    assert_eq!(court.dispute(id).await.expect("dispute").ruling, U256::ZERO);
    // Appeal for YES alone: YES wins outright.
    let funder = fx.client(FUNDER_A);
    fx.mint_fee(funder.sender(), 100 * USD).await;
    fx.court(&funder).fund_appeal(id, YES, U256::from(100 * USD)).await.expect("fund YES");
    fx.end_appeal(id).await;
    assert_eq!(court.dispute(id).await.expect("dispute").ruling, U256::from(YES));
    court.execute_ruling(id).await.expect("execute");
    assert_eq!(fx.arbitrable_ruling(id).await, (U256::from(YES), U256::from(1)));
    let receipt = court.execute_rewards(id, 0, 10).await.expect("rewards");
    let penalized = events_from::<CourtContract::JurorPenalized>(&receipt, fx.addresses.court);
    let mut slashed: Vec<_> = penalized.iter().map(|e| (e.juror, e.amount)).collect();
    slashed.sort();
    let mut expected = vec![(incoherent, auto(1_000)), (silent, auto(1_000))];
    expected.sort();
    assert_eq!(slashed, expected);
    assert_eq!(
        events_from::<CourtContract::JurorRewarded>(&receipt, fx.addresses.court),
        vec![CourtContract::JurorRewarded {
            disputeId: id,
            round: U256::ZERO,
            juror: coherent,
            fees: U256::from(3 * FEE_PER_JUROR),
            tokens: auto(2_000),
        }]
    );
    let coherent_client = fx.client_of(coherent);
    fx.court(&coherent_client).withdraw().await.expect("withdraw");
    assert_eq!(fx.auto_balance(coherent).await, auto(2_000));
    assert_eq!(fx.fee_balance(coherent).await, U256::from(3 * FEE_PER_JUROR));
    for loser in [incoherent, silent] {
        let stake = court.juror(loser).await.expect("juror");
        assert_eq!((stake.staked, stake.locked, stake.held), (U256::ZERO, U256::ZERO, U256::ZERO));
        assert_revert(
            fx.court(&fx.client_of(loser)).unstake(auto(1)).await,
            CourtContract::CourtInsufficientStake { stake: U256::ZERO, amount: auto(1) },
        );
    }
    // The YES funder is refunded in full (no new round was paid for).
    let receipt = fx.court(&funder).withdraw_appeal_contribution(id, 0, YES).await.expect("refund");
    assert_eq!(
        events_from::<CourtContract::AppealContributionWithdrawn>(&receipt, fx.addresses.court),
        vec![CourtContract::AppealContributionWithdrawn {
            disputeId: id,
            round: U256::ZERO,
            choice: U256::from(YES),
            contributor: funder.sender(),
            amount: U256::from(7 * FEE_PER_JUROR),
        }]
    );
    assert_eq!(fx.fee_balance(funder.sender()).await, U256::from(100 * USD));
}
