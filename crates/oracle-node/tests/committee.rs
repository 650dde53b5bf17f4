//! A committee of 7 oracle nodes (f = 2) reporting to the real OracleAggregator on the embedded devnet: honest
//! rounds, a manipulator flagged, an equivocator proven and the feed frozen (consensus override), and a node
//! that never signs two values for one round, even after a restart.

use alloy_primitives::I256;
use alloy_signer_local::PrivateKeySigner;
use automat_chain::{ChainClient, DEFAULT_MNEMONIC, DevnetControl, signer_from_mnemonic};
use automat_contracts::oracle::{FeedConfig, FeedStatus, Oracle, deploy_oracle};
use automat_devnet::{Devnet, DevnetConfig, EmbeddedClient};
use automat_oracle_node::{Behaviour, Committee, FeedSpec, Ledger, OracleNode};

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn keys() -> Result<Vec<PrivateKeySigner>, Box<dyn std::error::Error>> {
    (0..7).map(|i| Ok(signer_from_mnemonic(DEFAULT_MNEMONIC, 4_000 + i)?)).collect()
}

async fn committee(
    dir: &std::path::Path,
    behaviours: &[(usize, Behaviour)],
) -> Result<(Devnet, Committee<EmbeddedClient>, FeedSpec), Box<dyn std::error::Error>> {
    let devnet = Devnet::start(DevnetConfig::with_chains(1))?;
    let chain = devnet.chain_ids()[0];
    let admin = devnet.dev_client(chain, 0)?;
    let address = deploy_oracle(&admin, admin.sender()).await?;
    let oracle = Oracle::new(admin.clone(), address);
    let keys = keys()?;
    oracle.set_committee(keys.iter().map(|k| k.address()).collect(), 2).await?;
    let feed = FeedSpec::price(chain, 1, 0);
    oracle.create_feed(feed.id(), FeedConfig::price(6, 1, 1_000_000_000), &feed.name).await?;
    let nodes = keys
        .into_iter()
        .enumerate()
        .map(|(i, key)| {
            let behaviour = behaviours.iter().find(|(n, _)| *n == i).map_or(Behaviour::Honest, |(_, b)| *b);
            Ok(OracleNode::new(key, Ledger::open(dir.join(format!("node{i}.redb")))?, behaviour))
        })
        .collect::<Result<Vec<_>, Box<dyn std::error::Error>>>()?;
    Ok((devnet, Committee::new(nodes, oracle, 2), feed))
}

/// The one node that does not behave honestly.
fn odd_one(committee: &Committee<EmbeddedClient>) -> alloy_primitives::Address {
    committee.nodes().iter().find(|n| n.behaviour() != Behaviour::Honest).map(OracleNode::address).unwrap_or_default()
}

fn price(units: i64) -> I256 {
    I256::try_from(units).unwrap_or(I256::ZERO)
}

#[tokio::test]
async fn honest_rounds_are_accepted_at_the_median() -> TestResult {
    let dir = tempfile::tempdir()?;
    let (_devnet, committee, feed) = committee(dir.path(), &[]).await?;
    // Honest nodes see slightly different values (their own reads); the median is reported.
    let outcome = committee.run_round(&feed, |i| price(2_000_000 + i as i64 * 1_000)).await?;
    assert!(outcome.accepted);
    assert_eq!(outcome.round, 1);
    assert_eq!(outcome.observations, 7);
    assert_eq!(outcome.median, price(2_003_000));
    assert!(outcome.flagged.is_empty() && outcome.equivocators.is_empty());
    let latest = committee.oracle().latest(feed.id()).await?;
    assert_eq!(latest.value, price(2_003_000));
    assert_eq!(latest.status, FeedStatus::Active);
    // The leader rotates with the round.
    let second = committee.run_round(&feed, |_| price(2_100_000)).await?;
    assert_eq!(second.round, 2);
    assert_ne!(second.leader, outcome.leader);
    Ok(())
}

#[tokio::test]
async fn a_manipulator_is_flagged_and_cannot_move_the_median() -> TestResult {
    let dir = tempfile::tempdir()?;
    let (_devnet, committee, feed) = committee(dir.path(), &[(3, Behaviour::Skew { bps: 5_000 })]).await?;
    let liar = odd_one(&committee);
    let outcome = committee.run_round(&feed, |_| price(2_000_000)).await?;
    assert!(outcome.accepted);
    assert_eq!(outcome.median, price(2_000_000), "one liar of seven cannot move the median");
    assert_eq!(outcome.flagged, vec![liar]);
    assert_eq!(committee.oracle().misbehaviour(liar).await?, 1);
    Ok(())
}

#[tokio::test]
async fn an_equivocator_is_proven_and_the_feed_frozen_at_its_last_good_value() -> TestResult {
    let dir = tempfile::tempdir()?;
    let (_devnet, committee, feed) = committee(dir.path(), &[(5, Behaviour::Equivocate { bps: 300 })]).await?;
    let equivocator = odd_one(&committee);
    // Round 1: the equivocator shows two values; the leader proves it and the feed freezes before any value.
    let outcome = committee.run_round(&feed, |_| price(2_000_000)).await?;
    assert_eq!(outcome.equivocators, vec![equivocator]);
    assert!(!outcome.accepted);
    let latest = committee.oracle().latest(feed.id()).await?;
    assert_eq!(latest.status, FeedStatus::Frozen, "consensus override");
    assert_eq!(committee.oracle().misbehaviour(equivocator).await?, 1);
    Ok(())
}

#[tokio::test]
async fn a_node_never_signs_two_values_for_one_round_even_after_a_restart() -> TestResult {
    let dir = tempfile::tempdir()?;
    let key = keys()?.remove(0);
    let domain = automat_contracts::oracle::oracle_domain(1, alloy_primitives::Address::repeat_byte(1));
    let feed = FeedSpec::price(1, 1, 0);
    let first = {
        let node = OracleNode::new(key.clone(), Ledger::open(dir.path().join("n.redb"))?, Behaviour::Honest);
        node.observe(&domain, feed.id(), 7, price(100), 1_000, 0)?
    };
    let node = OracleNode::new(key, Ledger::open(dir.path().join("n.redb"))?, Behaviour::Honest);
    let again = node.observe(&domain, feed.id(), 7, price(250), 2_000, 3)?;
    assert_eq!(again, first, "the standing observation, not a second value");
    let next_round = node.observe(&domain, feed.id(), 8, price(250), 2_000, 0)?;
    assert_eq!(next_round.value, price(250));
    Ok(())
}

/// Seven daemons serve their observations over HTTP on loopback; the round's leader collects them with the
/// peer client and submits the report.
#[tokio::test]
async fn daemons_exchange_observations_over_http_and_the_leader_reports() -> TestResult {
    use std::sync::Arc;

    use automat_oracle_node::{PeerClient, exchange::ServeState};

    let dir = tempfile::tempdir()?;
    let devnet = Devnet::start(DevnetConfig::with_chains(1))?;
    let chain = devnet.chain_ids()[0];
    let admin = devnet.dev_client(chain, 0)?;
    let address = deploy_oracle(&admin, admin.sender()).await?;
    let oracle = Oracle::new(admin.clone(), address);
    let mut keys = keys()?;
    keys.sort_by_key(|k| k.address());
    oracle.set_committee(keys.iter().map(|k| k.address()).collect(), 2).await?;
    let feed = FeedSpec::price(chain, 1, 0);
    oracle.create_feed(feed.id(), FeedConfig::price(6, 1, 1_000_000_000), &feed.name).await?;
    let round = oracle.next_round(feed.id()).await?;
    let leader = usize::try_from(round % 7)?;
    let observed_at = admin.block_timestamp().await?;
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let mut states = Vec::new();
    let mut urls = Vec::new();
    for (i, key) in keys.into_iter().enumerate() {
        let state = Arc::new(ServeState {
            node: OracleNode::new(key, Ledger::open(dir.path().join(format!("n{i}.redb")))?, Behaviour::Honest),
            domain: oracle.domain(),
            observe: Box::new(move |_feed| Ok((price(3_000_000 + i as i64 * 500), observed_at))),
        });
        let mut stopped = stopped.clone();
        let shutdown = async move {
            let _ = stopped.changed().await;
        };
        let addr = automat_oracle_node::serve(state.clone(), "127.0.0.1:0".parse()?, shutdown).await?;
        urls.push(format!("http://{addr}"));
        states.push(state);
    }
    let peers: Vec<String> = urls.iter().enumerate().filter(|(i, _)| *i != leader).map(|(_, u)| u.clone()).collect();
    let outcome = PeerClient::new().lead_round(&oracle, &states[leader], &peers, &feed, round, 2).await?;
    assert!(outcome.accepted);
    assert_eq!(outcome.observations, 7);
    assert_eq!(outcome.median, price(3_001_500));
    assert_eq!(oracle.latest(feed.id()).await?.value, price(3_001_500));
    let _ = stop.send(true);
    Ok(())
}

/// After an equivocation froze the feed mid-round and governance cleared it, the committee reports again in a
/// fresh round: the stalled round, which every honest node already signed, is skipped.
#[tokio::test]
async fn after_a_freeze_the_committee_moves_past_the_stalled_round() -> TestResult {
    let dir = tempfile::tempdir()?;
    let (devnet, committee, feed) = committee(dir.path(), &[(5, Behaviour::Equivocate { bps: 300 })]).await?;
    let stalled = committee.run_round(&feed, |_| price(2_000_000)).await?;
    assert!(!stalled.equivocators.is_empty());
    committee.oracle().clear_freeze(feed.id()).await?;
    let aggregator = committee.oracle().address();
    drop(committee);
    let admin = devnet.dev_client(devnet.chain_ids()[0], 0)?;
    admin.increase_time(3_601).await?;
    admin.mine(1).await?;
    let oracle = Oracle::new(admin, aggregator);
    let nodes = keys()?
        .into_iter()
        .enumerate()
        .map(|(i, key)| {
            Ok(OracleNode::new(key, Ledger::open(dir.path().join(format!("node{i}.redb")))?, Behaviour::Honest))
        })
        .collect::<Result<Vec<_>, Box<dyn std::error::Error>>>()?;
    let honest = Committee::new(nodes, oracle, 2);
    let outcome = honest.run_round(&feed, |_| price(2_000_000)).await?;
    assert!(outcome.accepted);
    assert_eq!(outcome.round, stalled.round + 1);
    Ok(())
}
