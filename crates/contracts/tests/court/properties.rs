//! Property test: network tokens are conserved whatever the jurors do.
//!
//! proptest draws 1 to 6 jurors with stakes of one to four times the minimum and what each does in each round
//! (vote YES, vote NO, vote 0, commit without revealing, stay silent), and whether both sides fund an appeal.
//! The embedded devnet runs the whole dispute (draws, periods, appeal round, ruling, rewards in batches of two),
//! then every juror withdraws and leaves and the treasury withdraws. Checked: during the dispute the court holds
//! exactly the stakes plus the credited balances; the ruling is the plurality of revealed votes weighted by draws
//! (a tie rules 0); at the end the court holds no network or payment token and the network tokens staked equal
//! those withdrawn by jurors plus those received by the treasury.
//!
//! One devnet serves all cases: the court is deployed once, and each case starts from a snapshot of it.

use std::{cell::Cell, collections::BTreeMap};

use alloy_primitives::{Address, U256};
use automat_chain::{ChainClient, ChainClientExt, DevnetControl};
use automat_contracts::court::{CourtContract, Period};
use proptest::{
    prelude::*,
    test_runner::{Config as ProptestConfig, TestRunner},
};

use crate::{common::*, vending_common::AsChainError};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Act {
    Vote(u64),
    CommitOnly,
    Silent,
}

fn act() -> impl Strategy<Value = Act> {
    prop_oneof![
        3 => Just(Act::Vote(YES)),
        3 => Just(Act::Vote(NO)),
        1 => Just(Act::Vote(0)),
        1 => Just(Act::CommitOnly),
        1 => Just(Act::Silent),
    ]
}

#[derive(Debug, Clone)]
struct Case {
    /// Per juror: stake multiple (1..=4 minimum stakes), act in round 0, act in round 1.
    jurors: Vec<(u8, Act, Act)>,
    appeal: bool,
}

fn case() -> impl Strategy<Value = Case> {
    (proptest::collection::vec((1u8..=4, act(), act()), 1..=6), any::<bool>())
        .prop_map(|(jurors, appeal)| Case { jurors, appeal })
}

/// The plurality of revealed votes, weighted by draws; 0 on a tie or without votes.
fn plurality(tally: &BTreeMap<u64, u64>) -> u64 {
    let best = tally.values().copied().max().unwrap_or(0);
    let winners: Vec<_> = tally.iter().filter(|(_, v)| **v == best && best > 0).map(|(c, _)| *c).collect();
    if winners.len() == 1 { winners[0] } else { 0 }
}

async fn play_round(fx: &CourtFixture, id: U256, round: usize, acts: &BTreeMap<Address, (Act, Act)>) -> u64 {
    let court = fx.admin_court();
    fx.draw_all(id).await;
    fx.to_commit(id).await;
    let info = court.round(id, round as u64).await.expect("round");
    let mut tally = BTreeMap::new();
    for juror in &info.jurors {
        let act = if round == 0 { acts[juror].0 } else { acts[juror].1 };
        let handle = fx.court(&fx.client_of(*juror));
        match act {
            Act::Vote(choice) => {
                handle.commit_vote(id, round as u64, choice, salt(*juror)).await.expect("commit");
                let draws = court.vote(id, round as u64, *juror).await.expect("vote").draws;
                *tally.entry(choice).or_insert(0) += draws;
            }
            Act::CommitOnly => {
                handle.commit_vote(id, round as u64, YES, salt(*juror)).await.expect("commit");
            }
            Act::Silent => {}
        }
    }
    if court.dispute(id).await.expect("dispute").period == Some(Period::Commit) {
        let info = court.dispute(id).await.expect("dispute");
        fx.reach(info.last_period_change + PERIOD).await;
        court.pass_period(id).await.expect("commit → reveal");
    }
    for juror in &info.jurors {
        let act = if round == 0 { acts[juror].0 } else { acts[juror].1 };
        if let Act::Vote(choice) = act {
            fx.court(&fx.client_of(*juror)).reveal_vote(id, choice, salt(*juror)).await.expect("reveal");
        }
    }
    let info = court.dispute(id).await.expect("dispute");
    if info.period == Some(Period::Reveal) {
        fx.reach(info.last_period_change + PERIOD).await;
        court.pass_period(id).await.expect("reveal → appeal");
    }
    let ruling = plurality(&tally);
    assert_eq!(court.dispute(id).await.expect("dispute").ruling, U256::from(ruling), "plurality of {tally:?}");
    ruling
}

/// The court's network-token balance equals the stakes it holds plus what it credited.
async fn assert_court_holds_exactly(fx: &CourtFixture, accounts: &[Address]) {
    let court = fx.admin_court();
    let mut owed = U256::ZERO;
    for account in accounts {
        owed += court.juror(*account).await.expect("juror").held;
        owed += court.withdrawable(*account).await.expect("withdrawable").1;
    }
    assert_eq!(fx.auto_balance(fx.addresses.court).await, owed, "court balance = stakes + credits");
}

async fn run(fx: &CourtFixture, case: &Case) {
    let court = fx.admin_court();
    let mut acts = BTreeMap::new();
    let mut staked_in = U256::ZERO;
    for (i, (multiple, first, second)) in case.jurors.iter().enumerate() {
        let amount = u128::from(*multiple) * MIN_STAKE;
        fx.stake(i, amount).await;
        staked_in += U256::from(amount);
        acts.insert(fx.juror(i).sender(), (*first, *second));
    }
    let mut accounts: Vec<Address> = acts.keys().copied().collect();
    accounts.push(fx.treasury);
    let id = fx.create_dispute().await;
    let mut ruling = play_round(fx, id, 0, &acts).await;
    let funders = [fx.client(FUNDER_A), fx.client(FUNDER_B)];
    if case.appeal {
        let cost = court.appeal_cost(id).await.expect("cost");
        for (funder, side) in funders.iter().zip([YES, NO]) {
            fx.mint_fee(funder.sender(), cost.to::<u128>()).await;
            fx.court(funder).fund_appeal(id, side, cost).await.expect("fund");
        }
    }
    fx.end_appeal(id).await;
    assert_court_holds_exactly(fx, &accounts).await;
    if case.appeal {
        ruling = play_round(fx, id, 1, &acts).await;
        fx.end_appeal(id).await;
    }
    let info = court.dispute(id).await.expect("dispute");
    assert_eq!((info.period, info.ruling), (Some(Period::Execution), U256::from(ruling)));
    court.execute_ruling(id).await.expect("execute ruling");
    assert_eq!(fx.arbitrable_ruling(id).await, (U256::from(ruling), U256::from(1)));
    for round in 0..info.rounds {
        // Batches of two until the round is done. Between batches, slashed stake waiting to be shared is in
        // flight; once the round is done it is all credited.
        loop {
            match court.execute_rewards(id, round, 2).await {
                Ok(_) => {}
                Err(e) => {
                    assert_eq!(e.chain_error().revert_name(), Some("CourtRewardsDone"), "{e}");
                    break;
                }
            }
        }
        assert_court_holds_exactly(fx, &accounts).await;
    }
    for account in &accounts {
        let client = fx.client_of(*account);
        let handle = fx.court(&client);
        let stake = court.juror(*account).await.expect("juror");
        assert_eq!(stake.locked, U256::ZERO, "every lock released");
        if stake.target > U256::ZERO {
            handle.unstake(stake.target).await.expect("leave");
        }
        let (fees, tokens) = court.withdrawable(*account).await.expect("withdrawable");
        if fees > U256::ZERO || tokens > U256::ZERO {
            handle.withdraw().await.expect("withdraw");
        }
    }
    if case.appeal {
        for funder in &funders {
            for side in [YES, NO] {
                let due = fx
                    .admin
                    .call_sol(
                        fx.addresses.court,
                        &CourtContract::appealRefundOfCall {
                            disputeId: id,
                            round: U256::ZERO,
                            choice: U256::from(side),
                            contributor: funder.sender(),
                        },
                    )
                    .await
                    .expect("appealRefundOf");
                if due > U256::ZERO {
                    let before = fx.fee_balance(funder.sender()).await;
                    fx.court(funder).withdraw_appeal_contribution(id, 0, side).await.expect("withdraw contribution");
                    assert_eq!(fx.fee_balance(funder.sender()).await - before, due);
                }
            }
        }
    }
    assert_eq!(fx.auto_balance(fx.addresses.court).await, U256::ZERO, "the court keeps no network token");
    assert_eq!(fx.fee_balance(fx.addresses.court).await, U256::ZERO, "the court keeps no payment token");
    let mut out = U256::ZERO;
    for account in &accounts {
        out += fx.auto_balance(*account).await;
    }
    assert_eq!(out, staked_in, "staked in = withdrawn by jurors + sent to the treasury");
}

#[test]
fn network_tokens_are_conserved() {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let fx = rt.block_on(CourtFixture::new());
    let base = Cell::new(rt.block_on(fx.admin.snapshot()).expect("snapshot"));
    let config =
        ProptestConfig { cases: 32, max_shrink_iters: 32, failure_persistence: None, ..ProptestConfig::default() };
    let mut runner = TestRunner::new(config);
    let result = runner.run(&case(), |case| {
        rt.block_on(async {
            fx.admin.revert(base.get()).await.expect("revert to the deployed court");
            base.set(fx.admin.snapshot().await.expect("snapshot"));
            run(&fx, &case).await;
        });
        Ok(())
    });
    if let Err(failure) = result {
        panic!("{failure}");
    }
}
