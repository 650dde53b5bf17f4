//! One test per external function: state, exact events, and each custom error.

use alloy_primitives::{Address, B256, Bytes, U256, keccak256};
use automat_chain::{ChainClient, ChainClientExt, DevnetControl};
use automat_contracts::court::{
    AUTO, CourtContract, NetworkToken, Period, RandomnessBeacon, beacon_commitment, commit_hash,
};

use crate::{
    common::*,
    vending_common::{all_events, assert_revert, events_from},
};

type E = CourtContract::CourtContractEvents;

#[tokio::test]
async fn network_token_is_capped_votes_and_permit() {
    let fx = CourtFixture::with(|c| c.token_cap = U256::from(10 * AUTO)).await;
    let token = fx.addresses.token;
    let admin = &fx.admin;
    assert_eq!(admin.call_sol(token, &NetworkToken::nameCall {}).await.expect("name"), "automat Network");
    assert_eq!(admin.call_sol(token, &NetworkToken::symbolCall {}).await.expect("symbol"), "AUTO");
    assert_eq!(admin.call_sol(token, &NetworkToken::decimalsCall {}).await.expect("decimals"), 18);
    assert_eq!(admin.call_sol(token, &NetworkToken::capCall {}).await.expect("cap"), U256::from(10 * AUTO));
    fx.mint_auto(fx.juror(0).sender(), 10 * AUTO).await;
    assert_revert(
        fx.admin_court().mint_network_token(fx.juror(0).sender(), U256::from(1)).await,
        NetworkToken::ERC20ExceededCap { increasedSupply: U256::from(10 * AUTO + 1), cap: U256::from(10 * AUTO) },
    );
    let stranger = fx.juror(1);
    let minter = admin.call_sol(token, &NetworkToken::MINTER_ROLECall {}).await.expect("role");
    assert_revert(
        fx.court(&stranger).mint_network_token(stranger.sender(), U256::from(1)).await,
        NetworkToken::AccessControlUnauthorizedAccount { account: stranger.sender(), neededRole: minter },
    );
    // ERC20Votes: delegating gives votes at the block-number clock.
    let juror = fx.juror(0);
    juror.send_sol(token, &NetworkToken::delegateCall { delegatee: juror.sender() }).await.expect("delegate");
    let votes = admin.call_sol(token, &NetworkToken::getVotesCall { account: juror.sender() }).await.expect("votes");
    assert_eq!(votes, U256::from(10 * AUTO));
    let nonce = admin.call_sol(token, &NetworkToken::noncesCall { owner: juror.sender() }).await.expect("nonces");
    assert_eq!(nonce, U256::ZERO);
}

#[tokio::test]
async fn commit_hash_matches_the_contract() {
    let fx = CourtFixture::new().await;
    let juror = fx.juror(0).sender();
    for (choice, round) in [(0u64, 0u64), (1, 0), (2, 3), (u64::MAX, u64::MAX)] {
        let salt = keccak256(format!("salt {choice}"));
        let dispute = U256::from(42u64.wrapping_add(round));
        let expected = fx
            .admin
            .call_sol(
                fx.addresses.court,
                &CourtContract::commitmentOfCall {
                    choice: U256::from(choice),
                    salt,
                    juror,
                    disputeId: dispute,
                    round: U256::from(round),
                },
            )
            .await
            .expect("commitmentOf");
        assert_eq!(commit_hash(choice, salt, juror, dispute, round), expected);
    }
    let secret = keccak256("secret");
    let expected = fx
        .admin
        .call_sol(fx.addresses.beacon, &RandomnessBeacon::commitmentOfCall { secret, contributor: juror })
        .await
        .expect("commitmentOf");
    assert_eq!(beacon_commitment(secret, juror), expected);
}

#[tokio::test]
async fn stake_applies_at_once_without_pending_draws() {
    let fx = CourtFixture::new().await;
    let juror = fx.juror(0);
    let court = fx.court(&juror);
    fx.mint_auto(juror.sender(), 3_000 * AUTO).await;
    assert_revert(court.stake(U256::ZERO).await, CourtContract::CourtZeroAmount {});
    assert_revert(
        court.stake(auto(999)).await,
        CourtContract::CourtBelowMinStake { stake: auto(999), minStake: auto(1_000) },
    );
    let receipt = court.stake(auto(1_000)).await.expect("stake");
    assert_eq!(
        all_events::<E>(&receipt, fx.addresses.court),
        vec![E::StakeSet(CourtContract::StakeSet { juror: juror.sender(), stake: auto(1_000) })]
    );
    court.stake(auto(500)).await.expect("top up below the minimum is fine once above it");
    let stake = court.juror(juror.sender()).await.expect("jurorOf");
    assert_eq!(
        (stake.staked, stake.locked, stake.target, stake.held),
        (auto(1_500), U256::ZERO, auto(1_500), auto(1_500))
    );
    assert_eq!(court.total_staked().await.expect("total"), auto(1_500));
    assert_eq!(fx.auto_balance(fx.addresses.court).await, auto(1_500));
}

#[tokio::test]
async fn unstake_pays_back_and_keeps_the_minimum() {
    let fx = CourtFixture::new().await;
    fx.stake(0, 1_500 * AUTO).await;
    let juror = fx.juror(0);
    let court = fx.court(&juror);
    assert_revert(court.unstake(U256::ZERO).await, CourtContract::CourtZeroAmount {});
    assert_revert(
        court.unstake(auto(1_501)).await,
        CourtContract::CourtInsufficientStake { stake: auto(1_500), amount: auto(1_501) },
    );
    assert_revert(
        court.unstake(auto(600)).await,
        CourtContract::CourtBelowMinStake { stake: auto(900), minStake: auto(1_000) },
    );
    let receipt = court.unstake(auto(500)).await.expect("unstake");
    assert_eq!(
        events_from::<CourtContract::StakeSet>(&receipt, fx.addresses.court),
        vec![CourtContract::StakeSet { juror: juror.sender(), stake: auto(1_000) }]
    );
    assert_eq!(fx.auto_balance(juror.sender()).await, auto(500));
    court.unstake(auto(1_000)).await.expect("leave entirely");
    assert_eq!(fx.auto_balance(juror.sender()).await, auto(1_500));
    assert_eq!(court.total_staked().await.expect("total"), U256::ZERO);
}

#[tokio::test]
async fn create_dispute_pulls_the_fee_and_fixes_a_future_beacon_round() {
    let fx = CourtFixture::new().await;
    let court = fx.admin_court();
    assert_eq!(court.arbitration_cost().await.expect("cost"), U256::from(3 * FEE_PER_JUROR));
    let next = court.beacon_next_round().await.expect("next round");
    let before = fx.fee_balance(fx.arbitrable).await;
    let id = fx.create_dispute().await;
    assert_eq!(id, U256::from(1));
    assert_eq!(before - fx.fee_balance(fx.arbitrable).await, U256::from(3 * FEE_PER_JUROR));
    let info = court.dispute(id).await.expect("dispute");
    assert_eq!(info.arbitrable, fx.arbitrable);
    assert_eq!(info.period, Some(Period::Evidence));
    assert_eq!((info.rounds, info.choices, info.ruling, info.ruled), (1, U256::from(2), U256::ZERO, false));
    let round = court.round(id, 0).await.expect("round");
    assert!(round.beacon_round >= next, "the beacon round is not in the past");
    let (start, _, _) = court.beacon_windows(round.beacon_round).await.expect("windows");
    assert!(start > fx.now().await, "its commit window opens after the dispute");
    assert_eq!((round.votes, round.drawn, round.fees, round.lock_per_draw), (3, 0, U256::from(15 * USD), auto(100)));
    assert_eq!(court.pending_draws().await.expect("pending"), U256::from(1));
    // Direct creation checks the options and pulls the fee from the caller.
    fx.mint_fee(fx.admin.sender(), 100 * USD).await;
    court.approve_fee(fx.addresses.court, U256::from(100 * USD)).await.expect("approve");
    let one = CourtContract::createDisputeCall { choices: U256::from(1), _1: Bytes::new() };
    assert_revert(
        fx.admin.send_sol(fx.addresses.court, &one).await,
        CourtContract::CourtInvalidChoices { choices: U256::from(1) },
    );
    let receipt = fx
        .admin
        .send_sol(fx.addresses.court, &CourtContract::createDisputeCall { choices: U256::from(3), _1: Bytes::new() })
        .await
        .expect("create");
    let events = all_events::<E>(&receipt, fx.addresses.court);
    assert_eq!(events.len(), 2);
    assert_eq!(
        events[0],
        E::DisputeCreation(CourtContract::DisputeCreation { disputeId: U256::from(2), arbitrable: fx.admin.sender() })
    );
    let E::NewRound(new_round) = &events[1] else { panic!("NewRound expected, got {:?}", events[1]) };
    assert_eq!((new_round.disputeId, new_round.round, new_round.votes), (U256::from(2), U256::ZERO, U256::from(3)));
    // The typed handle approves the fee itself.
    assert_eq!(court.create_dispute(2).await.expect("handle creates"), U256::from(3));
}

#[tokio::test]
async fn draw_needs_randomness_then_locks_stake() {
    let fx = CourtFixture::new().await;
    for i in 0..3 {
        fx.stake(i, MIN_STAKE).await;
    }
    let id = fx.create_dispute().await;
    let court = fx.admin_court();
    let beacon_round = court.round(id, 0).await.expect("round").beacon_round;
    assert_revert(
        court.draw(id, 10).await,
        CourtContract::CourtRandomnessNotReady { disputeId: id, beaconRound: U256::from(beacon_round) },
    );
    assert_revert(court.draw(U256::from(9), 10).await, CourtContract::CourtUnknownDispute { disputeId: U256::from(9) });
    fx.fulfil_beacon(beacon_round).await;
    let outcome = court.draw(id, 1).await.expect("draw one");
    assert_eq!(outcome.drawn.len(), 1);
    let draws = events_from::<CourtContract::Draw>(&outcome.receipt, fx.addresses.court);
    assert_eq!(draws[0].disputeId, id);
    assert_eq!((draws[0].round, draws[0].voteIndex), (U256::ZERO, U256::ZERO));
    let locked = court.juror(outcome.drawn[0]).await.expect("juror").locked;
    assert_eq!(locked, auto(100));
    let rest = court.draw(id, 64).await.expect("draw the rest");
    assert_eq!(rest.drawn.len(), 2);
    assert_eq!(court.pending_draws().await.expect("pending"), U256::ZERO);
    assert_revert(court.draw(id, 1).await, CourtContract::CourtDrawComplete { disputeId: id, round: U256::ZERO });
    let round = court.round(id, 0).await.expect("round");
    assert_eq!(round.drawn, 3);
    let mut total_draws = 0;
    for juror in &round.jurors {
        let vote = court.vote(id, 0, *juror).await.expect("vote");
        let stake = court.juror(*juror).await.expect("juror");
        assert_eq!(stake.locked, auto(100) * U256::from(vote.draws));
        total_draws += vote.draws;
    }
    assert_eq!(total_draws, 3);
}

#[tokio::test]
async fn draw_skips_jurors_without_free_stake() {
    // Each draw locks the whole minimum stake: a juror with the minimum is drawn at most once.
    let fx = CourtFixture::with(|c| c.params.alphaBps = 10_000).await;
    fx.stake(0, MIN_STAKE).await;
    fx.stake(1, MIN_STAKE).await;
    let id = fx.create_dispute().await;
    let court = fx.admin_court();
    fx.fulfil_beacon(court.round(id, 0).await.expect("round").beacon_round).await;
    let outcome = court.draw(id, 40).await.expect("draw");
    assert_eq!(outcome.drawn.len(), 2, "each juror once");
    assert!(!outcome.skipped.is_empty(), "the third vote finds no free stake");
    assert_eq!(court.round(id, 0).await.expect("round").drawn, 2);
    assert_revert(
        court.pass_period(id).await,
        CourtContract::CourtDrawIncomplete { disputeId: id, missing: U256::from(1) },
    );
}

#[tokio::test]
async fn draw_moves_on_when_the_beacon_round_fails() {
    let fx = CourtFixture::new().await;
    fx.stake(0, MIN_STAKE).await;
    let id = fx.create_dispute().await;
    let court = fx.admin_court();
    let beacon_round = court.round(id, 0).await.expect("round").beacon_round;
    let (_, _, reveal_end) = court.beacon_windows(beacon_round).await.expect("windows");
    fx.reach(reveal_end).await;
    let outcome = court.draw(id, 10).await.expect("draw");
    assert!(outcome.drawn.is_empty());
    let next = court.beacon_next_round().await.expect("next");
    assert_eq!(outcome.moved_to, Some(next));
    assert_eq!(
        events_from::<CourtContract::BeaconRoundMoved>(&outcome.receipt, fx.addresses.court),
        vec![CourtContract::BeaconRoundMoved {
            disputeId: id,
            round: U256::ZERO,
            oldBeaconRound: U256::from(beacon_round),
            newBeaconRound: U256::from(next),
        }]
    );
    fx.fulfil_beacon(next).await;
    assert_eq!(court.draw(id, 64).await.expect("draw").drawn.len(), 3);
}

#[tokio::test]
async fn pass_period_and_evidence() {
    let fx = CourtFixture::new().await;
    fx.stake(0, MIN_STAKE).await;
    let id = fx.create_dispute().await;
    let court = fx.admin_court();
    assert_revert(
        court.pass_period(id).await,
        CourtContract::CourtDrawIncomplete { disputeId: id, missing: U256::from(3) },
    );
    let digest = B256::repeat_byte(0xab);
    let receipt = fx.court(&fx.juror(0)).submit_evidence(id, digest).await.expect("evidence");
    assert_eq!(
        all_events::<E>(&receipt, fx.addresses.court),
        vec![E::EvidenceSubmitted(CourtContract::EvidenceSubmitted {
            disputeId: id,
            party: fx.juror(0).sender(),
            cidDigest: digest
        })]
    );
    fx.draw_all(id).await;
    let info = court.dispute(id).await.expect("dispute");
    if fx.now().await + 1 < info.last_period_change + PERIOD {
        assert_revert(court.pass_period(id).await, CourtContract::CourtPeriodNotOver { disputeId: id, period: 0 });
    }
    fx.reach(info.last_period_change + PERIOD).await;
    let receipt = court.pass_period(id).await.expect("to commit");
    assert_eq!(
        all_events::<E>(&receipt, fx.addresses.court),
        vec![E::NewPeriod(CourtContract::NewPeriod { disputeId: id, period: Period::Commit as u8 })]
    );
    assert_revert(court.pass_period(id).await, CourtContract::CourtPeriodNotOver { disputeId: id, period: 1 });
    // Commit ends early once every drawn juror committed.
    let juror = fx.juror(0);
    fx.court(&juror).commit_vote(id, 0, YES, salt(juror.sender())).await.expect("commit");
    court.pass_period(id).await.expect("every juror committed");
    assert_eq!(court.dispute(id).await.expect("dispute").period, Some(Period::Reveal));
}

#[tokio::test]
async fn commit_and_reveal_check_everything() {
    let fx = CourtFixture::with(|c| c.params.alphaBps = 10_000).await;
    for i in 0..3 {
        fx.stake(i, MIN_STAKE).await;
    }
    let stranger = fx.juror(5);
    let id = fx.create_dispute().await;
    let court = fx.admin_court();
    let early = fx.court(&fx.juror(0)).commit_vote(id, 0, YES, B256::ZERO).await;
    assert_revert(early, CourtContract::CourtWrongPeriod { disputeId: id, period: 0 });
    let drawn = fx.draw_all(id).await;
    fx.to_commit(id).await;
    let juror = fx.client_of(drawn[0]);
    let handle = fx.court(&juror);
    assert_revert(
        fx.court(&stranger).commit_vote(id, 0, YES, B256::ZERO).await,
        CourtContract::CourtNotDrawn { disputeId: id, round: U256::ZERO, juror: stranger.sender() },
    );
    assert_revert(handle.commit_raw(id, B256::ZERO).await, CourtContract::CourtZeroCommitment {});
    let s = salt(juror.sender());
    let receipt = handle.commit_vote(id, 0, YES, s).await.expect("commit");
    assert_eq!(
        all_events::<E>(&receipt, fx.addresses.court),
        vec![E::VoteCommitted(CourtContract::VoteCommitted {
            disputeId: id,
            round: U256::ZERO,
            juror: juror.sender(),
            commitment: commit_hash(YES, s, juror.sender(), id, 0),
        })]
    );
    assert_revert(handle.reveal_vote(id, YES, s).await, CourtContract::CourtWrongPeriod { disputeId: id, period: 1 });
    let info = court.dispute(id).await.expect("dispute");
    fx.reach(info.last_period_change + PERIOD).await;
    court.pass_period(id).await.expect("to reveal");
    assert_revert(
        handle.reveal_vote(id, 3, s).await,
        CourtContract::CourtInvalidChoice { disputeId: id, choice: U256::from(3) },
    );
    assert_revert(
        handle.reveal_vote(id, NO, s).await,
        CourtContract::CourtCommitmentMismatch { disputeId: id, round: U256::ZERO, juror: juror.sender() },
    );
    let silent = fx.client_of(drawn[1]);
    assert_revert(
        fx.court(&silent).reveal_vote(id, YES, s).await,
        CourtContract::CourtNotCommitted { disputeId: id, round: U256::ZERO, juror: silent.sender() },
    );
    let receipt = handle.reveal_vote(id, YES, s).await.expect("reveal");
    assert_eq!(
        all_events::<E>(&receipt, fx.addresses.court),
        vec![E::VoteRevealed(CourtContract::VoteRevealed {
            disputeId: id,
            round: U256::ZERO,
            juror: juror.sender(),
            choice: U256::from(YES),
            votes: U256::from(1),
        })]
    );
    assert_revert(
        handle.reveal_vote(id, YES, s).await,
        CourtContract::CourtAlreadyRevealed { disputeId: id, round: U256::ZERO, juror: juror.sender() },
    );
    let vote = court.vote(id, 0, juror.sender()).await.expect("vote");
    assert_eq!((vote.draws, vote.revealed, vote.choice), (1, true, U256::from(YES)));
    let info = court.dispute(id).await.expect("dispute");
    fx.reach(info.last_period_change + PERIOD).await;
    let receipt = court.pass_period(id).await.expect("to appeal");
    assert_eq!(
        all_events::<E>(&receipt, fx.addresses.court),
        vec![
            E::RoundRuling(CourtContract::RoundRuling { disputeId: id, round: U256::ZERO, ruling: U256::from(YES) }),
            E::NewPeriod(CourtContract::NewPeriod { disputeId: id, period: Period::Appeal as u8 }),
        ]
    );
}

#[tokio::test]
async fn beacon_admin_changes_the_schedule_from_the_next_round() {
    let fx = CourtFixture::new().await;
    let court = fx.admin_court();
    let beacon = fx.addresses.beacon;
    let next = court.beacon_next_round().await.expect("next");
    let (start, _, _) = court.beacon_windows(next).await.expect("windows");
    let stranger = fx.juror(0);
    let call = RandomnessBeacon::setDurationsCall { commitDuration_: 60, revealDuration_: 120 };
    assert_revert(
        stranger.send_sol(beacon, &call).await,
        RandomnessBeacon::AccessControlUnauthorizedAccount { account: stranger.sender(), neededRole: B256::ZERO },
    );
    assert_revert(
        fx.admin.send_sol(beacon, &RandomnessBeacon::setDurationsCall { commitDuration_: 0, revealDuration_: 1 }).await,
        RandomnessBeacon::BeaconZeroDuration {},
    );
    let receipt = fx.admin.send_sol(beacon, &call).await.expect("admin sets");
    assert_eq!(
        events_from::<RandomnessBeacon::ScheduleChanged>(&receipt, beacon),
        vec![RandomnessBeacon::ScheduleChanged {
            fromRound: U256::from(next),
            fromTime: start,
            commitDuration: 60,
            revealDuration: 120
        }]
    );
    // The next round opens when it would have; later rounds follow the new lengths.
    assert_eq!(court.beacon_windows(next).await.expect("windows"), (start, start + 60, start + 180));
    assert_eq!(court.beacon_windows(next + 1).await.expect("windows"), (start + 180, start + 240, start + 360));
    let receipt = fx.admin.send_sol(beacon, &RandomnessBeacon::setBondCall { bond_: U256::ZERO }).await.expect("bond");
    assert_eq!(
        events_from::<RandomnessBeacon::BondChanged>(&receipt, beacon),
        vec![RandomnessBeacon::BondChanged { bond: U256::ZERO }]
    );
    let receipt = fx
        .admin
        .send_sol(beacon, &RandomnessBeacon::setTreasuryCall { treasury_: stranger.sender() })
        .await
        .expect("treasury");
    assert_eq!(
        events_from::<RandomnessBeacon::TreasuryChanged>(&receipt, beacon),
        vec![RandomnessBeacon::TreasuryChanged { treasury: stranger.sender() }]
    );
    // With no bond, a commitment costs nothing.
    fx.reach(start).await;
    let contributor = fx.client(CONTRIBUTOR);
    fx.court(&contributor).beacon_commit(next, B256::repeat_byte(3)).await.expect("free commitment");
    assert_eq!(fx.auto_balance(beacon).await, U256::ZERO);
}

#[tokio::test]
async fn beacon_windows_bonds_and_forfeits() {
    let fx = CourtFixture::new().await;
    let court = fx.admin_court();
    let contributor = fx.client(CONTRIBUTOR);
    let c = fx.court(&contributor);
    fx.mint_auto(contributor.sender(), 10 * BOND).await;
    let round = court.beacon_next_round().await.expect("next");
    let secret = keccak256("s");
    assert_revert(
        c.beacon_commit(round, secret).await,
        RandomnessBeacon::BeaconNotCommitWindow { round: U256::from(round) },
    );
    let (start, commit_end, reveal_end) = court.beacon_windows(round).await.expect("windows");
    assert_eq!((commit_end - start, reveal_end - commit_end), (600, 600));
    fx.reach(start).await;
    let receipt = c.beacon_commit(round, secret).await.expect("commit");
    assert_eq!(
        events_from::<RandomnessBeacon::Committed>(&receipt, fx.addresses.beacon),
        vec![RandomnessBeacon::Committed {
            round: U256::from(round),
            contributor: contributor.sender(),
            commitment: beacon_commitment(secret, contributor.sender()),
            bond: U256::from(BOND),
        }]
    );
    assert_revert(
        c.beacon_commit(round, secret).await,
        RandomnessBeacon::BeaconAlreadyCommitted { round: U256::from(round), contributor: contributor.sender() },
    );
    // A second contributor commits and never reveals.
    let withholder = fx.client(CONTRIBUTOR + 1);
    fx.mint_auto(withholder.sender(), BOND).await;
    fx.court(&withholder).beacon_commit(round, keccak256("w")).await.expect("commit");
    assert_revert(
        c.beacon_reveal(round, secret).await,
        RandomnessBeacon::BeaconNotRevealWindow { round: U256::from(round) },
    );
    fx.reach(commit_end).await;
    assert_revert(
        c.beacon_reveal(round, keccak256("wrong")).await,
        RandomnessBeacon::BeaconWrongSecret { round: U256::from(round), contributor: contributor.sender() },
    );
    let before = fx.auto_balance(contributor.sender()).await;
    c.beacon_reveal(round, secret).await.expect("reveal");
    assert_eq!(fx.auto_balance(contributor.sender()).await - before, U256::from(BOND), "bond returned");
    assert_revert(
        court.beacon_forfeit(round, withholder.sender()).await,
        RandomnessBeacon::BeaconRoundNotOver { round: U256::from(round) },
    );
    assert_revert(
        court.randomness(round).await,
        RandomnessBeacon::BeaconRandomnessUnavailable { round: U256::from(round) },
    );
    // Seal mixes the first reveal block's hash in, from a later block.
    fx.admin.mine(1).await.expect("mine");
    let sealed = fx
        .admin
        .send_sol(fx.addresses.beacon, &RandomnessBeacon::sealCall { round: U256::from(round) })
        .await
        .expect("seal");
    assert_eq!(events_from::<RandomnessBeacon::Sealed>(&sealed, fx.addresses.beacon).len(), 1);
    fx.reach(reveal_end).await;
    let value = court.randomness(round).await.expect("randomness");
    assert_ne!(value, B256::ZERO);
    let treasury_before = fx.auto_balance(fx.treasury).await;
    let receipt = court.beacon_forfeit(round, withholder.sender()).await.expect("forfeit");
    assert_eq!(
        events_from::<RandomnessBeacon::BondForfeited>(&receipt, fx.addresses.beacon),
        vec![RandomnessBeacon::BondForfeited {
            round: U256::from(round),
            contributor: withholder.sender(),
            treasury: fx.treasury,
            bond: U256::from(BOND),
        }]
    );
    assert_eq!(fx.auto_balance(fx.treasury).await - treasury_before, U256::from(BOND));
    assert_revert(
        court.beacon_forfeit(round, contributor.sender()).await,
        RandomnessBeacon::BeaconAlreadyRevealed { round: U256::from(round), contributor: contributor.sender() },
    );
    assert_eq!(court.randomness(round).await.expect("stable"), value, "the value never changes afterwards");
}

#[tokio::test]
async fn parameters_are_the_admins() {
    let fx = CourtFixture::new().await;
    let stranger = fx.juror(0);
    let mut params = fx.admin_court().parameters().await.expect("params");
    assert_eq!(params.minStake, auto(1_000));
    params.minStake = auto(10);
    assert_revert(
        fx.court(&stranger).set_parameters(params.clone()).await,
        CourtContract::AccessControlUnauthorizedAccount { account: stranger.sender(), neededRole: B256::ZERO },
    );
    let receipt = fx.admin_court().set_parameters(params.clone()).await.expect("admin sets");
    assert_eq!(events_from::<CourtContract::ParametersChanged>(&receipt, fx.addresses.court).len(), 1);
    assert_eq!(fx.admin_court().parameters().await.expect("params").minStake, auto(10));
    let mut bad = params;
    bad.alphaBps = 10_001;
    assert_revert(fx.admin_court().set_parameters(bad).await, CourtContract::CourtInvalidParameters {});
    let set_treasury = CourtContract::setTreasuryCall { treasury_: Address::ZERO };
    assert_revert(fx.admin.send_sol(fx.addresses.court, &set_treasury).await, CourtContract::CourtZeroAddress {});
}

#[tokio::test]
async fn withdraw_and_execute_guard_their_preconditions() {
    let fx = CourtFixture::new().await;
    let juror = fx.juror(0);
    assert_revert(fx.court(&juror).withdraw().await, CourtContract::CourtNothingToWithdraw { account: juror.sender() });
    fx.stake(0, MIN_STAKE).await;
    let id = fx.create_dispute().await;
    let court = fx.admin_court();
    assert_revert(court.execute_ruling(id).await, CourtContract::CourtWrongPeriod { disputeId: id, period: 0 });
    assert_revert(court.execute_rewards(id, 0, 10).await, CourtContract::CourtWrongPeriod { disputeId: id, period: 0 });
    assert_revert(
        court.execute_delayed_stakes(10).await,
        CourtContract::CourtDrawsPending { pendingDraws: U256::from(1) },
    );
    assert_revert(
        court.fund_appeal(id, YES, U256::from(USD)).await,
        CourtContract::CourtWrongPeriod { disputeId: id, period: 0 },
    );
    assert_revert(
        court.withdraw_appeal_contribution(id, 0, YES).await,
        CourtContract::CourtWrongPeriod { disputeId: id, period: 0 },
    );
}

#[tokio::test]
async fn contracts_fit_eip170_and_deploy_with_code() {
    let fx = CourtFixture::new().await;
    for (name, address) in [
        ("court/Court.sol/Court", fx.addresses.court),
        ("court/RandomnessBeacon.sol/RandomnessBeacon", fx.addresses.beacon),
        ("governance/NetworkToken.sol/NetworkToken", fx.addresses.token),
    ] {
        let artifact = automat_contracts::artifacts::get(name).expect("artifact");
        let size = (artifact.deployed_bytecode.trim_start_matches("0x").len()) / 2;
        assert!(size > 0 && size <= 24_576, "{name} runtime is {size} bytes");
        let code = fx.admin.code(address).await.expect("code");
        assert_eq!(code.len(), size, "{name} deployed as compiled");
    }
}
