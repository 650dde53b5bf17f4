//! Claims resolved by agents.

use std::collections::BTreeMap;

use alloy_primitives::{Address, U256};
use automat_chain::ChainClient;
use automat_claims::{
    Clock, Dishonest, DriveOptions, FixedVote, Honest, RandomVote, VotingPolicy, drive_to_final,
    policy::{PAY, REJECT},
};
use automat_contracts::{court::Period, insurance::ClaimStatus};
use automat_devnet::EmbeddedClient;

use crate::fixture::{Fx, not_received};

fn honest(fx: &Fx) -> Box<dyn VotingPolicy> {
    Box::new(Honest::new(fx.store.clone()))
}

/// Ticks the keeper alone until the dispute's current round is drawn.
async fn until_drawn(fx: &Fx, keeper: &mut automat_claims::DisputeKeeper<EmbeddedClient>, dispute: U256) {
    let clock = fx.clock();
    for _ in 0..50 {
        let now = clock.now().await.expect("now");
        let report = keeper.tick_dispute(dispute, now).await.expect("keeper tick");
        let info = keeper.court().dispute(dispute).await.expect("dispute");
        let round = keeper.court().round(dispute, info.current_round()).await.expect("round");
        if round.drawn == round.votes {
            return;
        }
        if !report.acted() {
            clock.wait_until(report.next_due.unwrap_or(now + 1)).await.expect("time passes");
        }
    }
    panic!("dispute {dispute} never drawn");
}

#[tokio::test]
async fn honest_jurors_pay_a_claim_the_machine_record_supports_and_reject_one_without() {
    let mut fx = Fx::new(4).await;
    let mut keeper = fx.keeper();
    let mut jurors: Vec<_> = (0..4).map(|i| fx.juror(i, honest(&fx))).collect();

    let order = fx.purchase().await;
    let (claim_id, dispute) = fx.claim(order, &not_received(order, Some(false))).await;
    let insurance = fx.world.insurance_as(fx.admin.clone());
    let amount = insurance.claim(claim_id).await.expect("claim").amount;
    let before = fx.fee_balance(fx.buyer.sender()).await;
    let report = drive_to_final(&mut keeper, &mut jurors, dispute, &fx.clock(), &DriveOptions::default())
        .await
        .expect("dispute final");
    assert_eq!(report.ruling, U256::from(PAY), "{report:?}");
    assert_eq!(report.rounds, 1);
    assert!(report.revealed.iter().all(|&(_, _, c)| c == PAY), "{report:?}");
    let claim = insurance.claim(claim_id).await.expect("claim");
    assert_eq!(ClaimStatus::from(claim.status), ClaimStatus::Paid);
    assert_eq!(fx.fee_balance(fx.buyer.sender()).await, before + U256::from(amount), "cover paid to the buyer");
    // Every drawn juror was coherent and withdrew its share of the fees.
    let court = fx.world.court_as(fx.admin.clone());
    let round = court.round(dispute, 0).await.expect("round");
    for juror in &round.jurors {
        assert_eq!(court.withdrawable(*juror).await.expect("balance"), (U256::ZERO, U256::ZERO), "withdrawn");
        assert!(fx.fee_balance(*juror).await > U256::ZERO, "juror {juror} earned fees");
    }

    // A claim without the machine's record is rejected.
    let order = fx.purchase().await;
    let (claim_id, dispute) = fx.claim(order, &not_received(order, None)).await;
    let report = drive_to_final(&mut keeper, &mut jurors, dispute, &fx.clock(), &DriveOptions::default())
        .await
        .expect("dispute final");
    assert_eq!(report.ruling, U256::from(REJECT), "{report:?}");
    assert_eq!(ClaimStatus::from(insurance.claim(claim_id).await.expect("claim").status), ClaimStatus::Rejected);
}

#[tokio::test]
async fn a_dishonest_minority_does_not_stop_a_payout_and_pays_for_it() {
    let mut fx = Fx::new(4).await;
    let mut keeper = fx.keeper();
    let order = fx.purchase().await;
    let (claim_id, dispute) = fx.claim(order, &not_received(order, Some(false))).await;
    until_drawn(&fx, &mut keeper, dispute).await;

    // Make the juror drawn least often (less than half the votes) the dishonest one.
    let court = fx.world.court_as(fx.admin.clone());
    let round = court.round(dispute, 0).await.expect("round");
    let mut draws = BTreeMap::new();
    for juror in &round.jurors {
        draws.insert(*juror, court.vote(dispute, 0, *juror).await.expect("vote").draws);
    }
    let (liar, liar_votes) = draws.iter().min_by_key(|(_, d)| **d).map(|(a, d)| (*a, *d)).expect("someone drawn");
    assert!(liar_votes * 2 < round.votes, "a minority exists in this deterministic draw: {draws:?}");
    let mut jurors: Vec<_> = (0..4)
        .map(|i| {
            let policy: Box<dyn VotingPolicy> = if fx.jurors[i].sender() == liar {
                Box::new(Dishonest(Honest::new(fx.store.clone())))
            } else {
                honest(&fx)
            };
            fx.juror(i, policy)
        })
        .collect();
    let stake_before = court.juror(liar).await.expect("stake").staked;
    let report = drive_to_final(&mut keeper, &mut jurors, dispute, &fx.clock(), &DriveOptions::default())
        .await
        .expect("dispute final");
    assert_eq!(report.ruling, U256::from(PAY), "{report:?}");
    assert!(report.revealed.iter().any(|&(_, _, c)| c == REJECT), "the liar voted: {report:?}");
    assert_eq!(
        ClaimStatus::from(fx.world.insurance_as(fx.admin.clone()).claim(claim_id).await.expect("c").status),
        ClaimStatus::Paid
    );
    let stake_after = court.juror(liar).await.expect("stake").staked;
    assert_eq!(stake_before - stake_after, round.lock_per_draw * U256::from(liar_votes), "the liar lost its locks");
    assert_eq!(fx.fee_balance(liar).await, U256::ZERO, "the liar earned nothing");
}

#[tokio::test]
async fn a_juror_restarted_between_commit_and_reveal_still_reveals() {
    let mut fx = Fx::new(4).await;
    let mut keeper = fx.keeper();
    let order = fx.purchase().await;
    let (_, dispute) = fx.claim(order, &not_received(order, Some(false))).await;
    let clock = fx.clock();
    let court = fx.world.court_as(fx.admin.clone());
    {
        let mut jurors: Vec<_> = (0..4).map(|i| fx.juror(i, honest(&fx))).collect();
        let mut committed = false;
        for _ in 0..100 {
            let now = clock.now().await.expect("now");
            let k = keeper.tick_dispute(dispute, now).await.expect("keeper");
            if court.dispute(dispute).await.expect("dispute").period == Some(Period::Reveal) {
                committed = true;
                break;
            }
            let mut acted = k.acted();
            for juror in &mut jurors {
                acted |= juror.tick_dispute(dispute).await.acted();
            }
            if !acted {
                clock.wait_until(k.next_due.unwrap_or(now + 1)).await.expect("time");
            }
        }
        assert!(committed, "every drawn juror committed and the court moved to reveal");
    } // every agent stops here (a crash between commit and reveal)

    // Restarted with a policy that would now vote the other way: the stored vote is revealed, not a new one.
    // The first drawn juror also lost its state file: its seed recovers the salt and the commitment names the
    // choice.
    let first = court.round(dispute, 0).await.expect("round").jurors[0];
    let lost = fx.dir.path().join(format!("juror-{first}.json"));
    std::fs::remove_file(&lost).expect("state file existed");
    let mut jurors: Vec<_> = (0..4).map(|i| fx.juror(i, Box::new(FixedVote(REJECT)))).collect();
    let report = drive_to_final(&mut keeper, &mut jurors, dispute, &clock, &DriveOptions::default())
        .await
        .expect("dispute final");
    assert!(report.committed.is_empty(), "nothing committed twice");
    let round = court.round(dispute, 0).await.expect("round");
    assert_eq!(report.revealed.len(), round.jurors.len(), "every drawn juror revealed after the restart");
    assert!(report.revealed.iter().all(|&(_, _, c)| c == PAY), "{report:?}");
    assert_eq!(report.ruling, U256::from(PAY));
}

#[tokio::test]
async fn random_voters_split_about_evenly_and_honest_ones_stay_coherent() {
    const CLAIMS: usize = 6;
    let mut fx = Fx::new(6).await;
    let mut keeper = fx.keeper();
    // Jurors 0 and 1 honest, 2 to 5 random with fixed seeds (so the test replays exactly).
    let mut jurors: Vec<_> = (0..6)
        .map(|i| {
            let policy: Box<dyn VotingPolicy> =
                if i < 2 { honest(&fx) } else { Box::new(RandomVote::new(1_000 + i as u64)) };
            fx.juror(i, policy)
        })
        .collect();
    let honest_addresses: Vec<Address> = fx.jurors[..2].iter().map(ChainClient::sender).collect();
    let mut disputes = Vec::new();
    for _ in 0..CLAIMS {
        let order = fx.purchase().await;
        disputes.push(fx.claim(order, &not_received(order, Some(false))).await.1);
    }
    let court = fx.world.court_as(fx.admin.clone());
    let (mut random_pay, mut random_votes, mut paid) = (0usize, 0usize, 0usize);
    for dispute in disputes {
        let report = drive_to_final(&mut keeper, &mut jurors, dispute, &fx.clock(), &DriveOptions::default())
            .await
            .expect("dispute final");
        assert!(report.ruling <= U256::from(2));
        paid += usize::from(report.ruling == U256::from(PAY));
        let round = court.round(dispute, 0).await.expect("round");
        for juror in round.jurors {
            let vote = court.vote(dispute, 0, juror).await.expect("vote");
            assert!(vote.revealed, "every drawn agent revealed");
            let choice = vote.choice.to::<u64>();
            if honest_addresses.contains(&juror) {
                assert_eq!(choice, PAY, "honest jurors rule on the facts");
            } else {
                assert!(choice == PAY || choice == REJECT, "random votes are options");
                random_votes += vote.draws as usize;
                random_pay += if choice == PAY { vote.draws as usize } else { 0 };
            }
        }
    }
    // Bounds far from the fixed seeds' outcome: at least a fifth of the random votes each way.
    assert!(random_votes >= 6, "random voters were drawn: {random_votes}");
    let share = random_pay as f64 / random_votes as f64;
    assert!((0.2..=0.8).contains(&share), "random voters paid {random_pay} of {random_votes}");
    assert!(paid >= 1, "honest votes carried at least one claim");
}
