//! Attacks the court must withstand.

use alloy_primitives::{B256, U256, keccak256};
use automat_chain::ChainClient;
use automat_contracts::court::{CourtContract, RandomnessBeacon, commit_hash};

use crate::{
    common::*,
    vending_common::{assert_revert, events_from},
};

#[tokio::test]
async fn two_commitments_in_one_round_revert() {
    // One juror only: it gets all three votes, commits once, and its reveal carries three votes.
    let fx = CourtFixture::new().await;
    fx.stake(0, MIN_STAKE).await;
    let id = fx.create_dispute().await;
    let drawn = fx.draw_all(id).await;
    let juror = fx.juror(0);
    assert_eq!(drawn, vec![juror.sender(); 3]);
    fx.to_commit(id).await;
    let handle = fx.court(&juror);
    handle.commit_vote(id, 0, YES, salt(juror.sender())).await.expect("first commitment");
    for choice in [YES, NO] {
        assert_revert(
            handle.commit_vote(id, 0, choice, keccak256("another salt")).await,
            CourtContract::CourtAlreadyCommitted { disputeId: id, round: U256::ZERO, juror: juror.sender() },
        );
    }
    let court = fx.admin_court();
    court.pass_period(id).await.expect("every juror committed");
    let receipt = handle.reveal_vote(id, YES, salt(juror.sender())).await.expect("reveal");
    assert_eq!(events_from::<CourtContract::VoteRevealed>(&receipt, fx.addresses.court)[0].votes, U256::from(3));
    assert_eq!(court.round(id, 0).await.expect("round").commits, 1);
}

#[tokio::test]
async fn a_copied_commitment_cannot_be_revealed() {
    let fx = CourtFixture::with(|c| c.params.alphaBps = 10_000).await;
    for i in 0..3 {
        fx.stake(i, MIN_STAKE).await;
    }
    let id = fx.create_dispute().await;
    let drawn = fx.draw_all(id).await;
    let (honest, copier) = (fx.client_of(drawn[0]), fx.client_of(drawn[1]));
    fx.to_commit(id).await;
    let s = salt(honest.sender());
    let receipt = fx.court(&honest).commit_vote(id, 0, YES, s).await.expect("commit");
    let seen = events_from::<CourtContract::VoteCommitted>(&receipt, fx.addresses.court)[0].commitment;
    fx.court(&copier).commit_raw(id, seen).await.expect("the copy is accepted as an opaque hash");
    let court = fx.admin_court();
    let info = court.dispute(id).await.expect("dispute");
    fx.reach(info.last_period_change + PERIOD).await;
    court.pass_period(id).await.expect("to reveal");
    fx.court(&honest).reveal_vote(id, YES, s).await.expect("the honest juror reveals");
    // Even knowing the choice and salt (public after the honest reveal), the copier cannot open it.
    assert_revert(
        fx.court(&copier).reveal_vote(id, YES, s).await,
        CourtContract::CourtCommitmentMismatch { disputeId: id, round: U256::ZERO, juror: copier.sender() },
    );
    assert_ne!(commit_hash(YES, s, copier.sender(), id, 0), seen, "the hash binds the juror");
}

#[tokio::test]
async fn unstaking_during_a_dispute_fails() {
    let fx = CourtFixture::new().await;
    fx.stake(0, 2_000 * 1_000_000_000_000_000_000).await;
    let juror = fx.juror(0);
    let handle = fx.court(&juror);
    let id = fx.create_dispute().await;
    fx.draw_all(id).await;
    let locked = fx.admin_court().juror(juror.sender()).await.expect("juror").locked;
    assert_eq!(locked, auto(300), "three draws of 100");
    assert_revert(
        handle.unstake(auto(2_000)).await,
        CourtContract::CourtStakeLocked { juror: juror.sender(), locked: auto(300), remaining: U256::ZERO },
    );
    // What is not locked can leave (keeping the minimum).
    handle.unstake(auto(1_000)).await.expect("free stake leaves");
    assert_revert(
        handle.unstake(auto(1_000)).await,
        CourtContract::CourtStakeLocked { juror: juror.sender(), locked: auto(300), remaining: U256::ZERO },
    );
    // Once the dispute is over and rewards executed, the rest may leave.
    fx.to_commit(id).await;
    fx.vote_round(id, &all_vote(&[juror.sender()], YES)).await;
    fx.end_appeal(id).await;
    let court = fx.admin_court();
    court.execute_ruling(id).await.expect("execute");
    court.execute_rewards(id, 0, 10).await.expect("rewards");
    handle.unstake(auto(1_000)).await.expect("everything leaves");
}

#[tokio::test]
async fn weight_bought_after_filing_is_not_drawable() {
    let fx = CourtFixture::new().await;
    fx.stake(0, MIN_STAKE).await;
    let court = fx.admin_court();
    let id = fx.create_dispute().await;
    // A whale stakes a thousand times more after the filing.
    let whale = fx.juror(1);
    fx.mint_auto(whale.sender(), 1_000_000 * 1_000_000_000_000_000_000).await;
    let receipt = fx.court(&whale).stake(auto(1_000_000)).await.expect("stake is accepted, delayed");
    assert_eq!(
        events_from::<CourtContract::StakeDelayed>(&receipt, fx.addresses.court),
        vec![CourtContract::StakeDelayed { juror: whale.sender(), target: auto(1_000_000) }]
    );
    assert!(events_from::<CourtContract::StakeSet>(&receipt, fx.addresses.court).is_empty());
    let stake = court.juror(whale.sender()).await.expect("juror");
    assert_eq!((stake.staked, stake.target, stake.held), (U256::ZERO, auto(1_000_000), auto(1_000_000)));
    assert_eq!(court.total_staked().await.expect("total"), auto(1_000));
    assert_eq!(court.delayed_stakes_pending().await.expect("queued"), U256::from(1));
    assert_revert(
        court.execute_delayed_stakes(10).await,
        CourtContract::CourtDrawsPending { pendingDraws: U256::from(1) },
    );
    let drawn = fx.draw_all(id).await;
    assert_eq!(drawn, vec![fx.juror(0).sender(); 3], "only weight staked before filing is drawn");
    // The last pending draw applied the delayed stake.
    assert_eq!(court.juror(whale.sender()).await.expect("juror").staked, auto(1_000_000));
    assert_eq!(court.total_staked().await.expect("total"), auto(1_001_000));
    assert_eq!(court.delayed_stakes_pending().await.expect("queued"), U256::ZERO);
}

#[tokio::test]
async fn delayed_unstakes_apply_later_and_are_withdrawn() {
    let fx = CourtFixture::with(|c| c.params.delayedBatch = 0).await;
    fx.stake(0, MIN_STAKE).await;
    fx.stake(1, 2 * MIN_STAKE).await;
    let court = fx.admin_court();
    let id = fx.create_dispute().await;
    let leaver = fx.juror(1);
    fx.court(&leaver).unstake(auto(1_000)).await.expect("delayed unstake");
    assert_eq!(court.juror(leaver.sender()).await.expect("juror").staked, auto(2_000), "still drawable");
    fx.draw_all(id).await;
    // delayedBatch = 0: nothing applied automatically; anyone applies it now.
    assert_eq!(court.delayed_stakes_pending().await.expect("queued"), U256::from(1));
    let receipt = court.execute_delayed_stakes(10).await.expect("apply");
    assert_eq!(
        events_from::<CourtContract::DelayedStakesExecuted>(&receipt, fx.addresses.court),
        vec![CourtContract::DelayedStakesExecuted { count: U256::from(1) }]
    );
    let stake = court.juror(leaver.sender()).await.expect("juror");
    assert!(stake.staked >= auto(1_000) && stake.staked == stake.target);
    let (_, tokens) = court.withdrawable(leaver.sender()).await.expect("withdrawable");
    assert_eq!(tokens, auto(1_000));
    fx.court(&leaver).withdraw().await.expect("withdraw");
    assert_eq!(fx.auto_balance(leaver.sender()).await, auto(1_000));
}

#[tokio::test]
async fn same_block_randomness_is_impossible() {
    let fx = CourtFixture::new().await;
    fx.stake(0, MIN_STAKE).await;
    let court = fx.admin_court();
    let id = fx.create_dispute().await;
    let round = court.round(id, 0).await.expect("round").beacon_round;
    // The dispute's beacon round has not even opened for commitments.
    let (start, commit_end, reveal_end) = court.beacon_windows(round).await.expect("windows");
    assert!(start > fx.now().await);
    assert_revert(
        court.randomness(round).await,
        RandomnessBeacon::BeaconRandomnessUnavailable { round: U256::from(round) },
    );
    assert_revert(
        court.draw(id, 3).await,
        CourtContract::CourtRandomnessNotReady { disputeId: id, beaconRound: U256::from(round) },
    );
    // Nor is the value available during its reveal window, after reveals.
    fx.reach(start).await;
    let contributor = fx.client(CONTRIBUTOR);
    fx.mint_auto(contributor.sender(), BOND).await;
    let secret = B256::repeat_byte(7);
    fx.court(&contributor).beacon_commit(round, secret).await.expect("commit");
    fx.reach(commit_end).await;
    fx.court(&contributor).beacon_reveal(round, secret).await.expect("reveal");
    assert_revert(
        court.randomness(round).await,
        RandomnessBeacon::BeaconRandomnessUnavailable { round: U256::from(round) },
    );
    assert_revert(
        court.draw(id, 3).await,
        CourtContract::CourtRandomnessNotReady { disputeId: id, beaconRound: U256::from(round) },
    );
    assert!(!court.randomness_available(round).await.expect("available"));
    fx.reach(reveal_end).await;
    assert!(court.randomness_available(round).await.expect("available"));
    assert_eq!(court.draw(id, 10).await.expect("draw").drawn.len(), 3);
}
