//! Paid insurance claims reach the risk model: the history reads the pool's `IncidentRecorded` events, counts
//! the order as a failure (still a sale for demand), and ignores the same event from anyone but the order's
//! insurer.

use alloy_primitives::{U256, keccak256};
use automat_chain::{ChainClient, ChainClientExt};
use automat_claims::{
    Complaint, DevnetClock, DispenseRecord, DisputeKeeper, DriveOptions, Evidence, Honest, JurorAgent, JurorConfig,
    KeeperConfig, VotingPolicy, drive_to_final, file_claim,
    world::{USD, World, WorldConfig},
};
use automat_contracts::court::AUTO;
use automat_contracts::{artifacts, deploy_artifact};
use automat_devnet::{Devnet, DevnetConfig};
use automat_oracle_node::ChainHistory;
use automat_oracle_node::history::{Outcome, failure_rate};
use automat_store::BlobStore;

alloy_sol_types::sol! {
    function forge(uint64 machineId, uint256 orderId) external;
}

#[tokio::test]
async fn a_paid_claim_counts_as_a_failure_and_forgeries_do_not() {
    let devnet = Devnet::start(DevnetConfig::with_chains(1)).expect("devnet");
    let chain = devnet.chain_ids()[0];
    let client = |i: usize| devnet.dev_client(chain, i).expect("account");
    let (admin, buyer, keeper_client) = (client(0), client(2), client(3));
    let world = World::deploy(&admin, &client(1), &client(4), &WorldConfig::default()).await.expect("world");
    world.mint(&admin, buyer.sender(), 100 * USD).await.expect("funds");
    world.fund_keeper(&admin, keeper_client.sender(), 100).await.expect("bonds");
    let dir = tempfile::tempdir().expect("dir");
    let store = BlobStore::open(dir.path()).expect("store");
    let mut jurors = Vec::new();
    for i in 5..8 {
        let juror = client(i);
        world.enlist_juror(&admin, &juror, U256::from(2_000 * AUTO)).await.expect("juror");
        let policy: Box<dyn VotingPolicy> = Box::new(Honest::new(store.clone()));
        let seed = keccak256(format!("juror {i}"));
        jurors.push(JurorAgent::open(world.court_as(juror), policy, JurorConfig::new(seed)).expect("agent"));
    }
    let mut keeper =
        DisputeKeeper::open(world.court_as(keeper_client), KeeperConfig::new(keccak256("keeper"))).expect("keeper");

    let submitter = client(8);
    let claimed = world.insured_purchase(&buyer, &submitter, 2 * USD, 1).await.expect("purchase");
    let other = world.insured_purchase(&buyer, &submitter, 2 * USD, 2).await.expect("purchase");
    let evidence = Evidence::new(claimed, Complaint::GoodsNotReceived, "nothing fell").with_record(DispenseRecord {
        machine_id: world.machine_id,
        order_id: claimed,
        drop_detected: false,
        fault: None,
        reading: "drop detected: false".into(),
    });
    let pool = world.insurance_as(buyer.clone());
    let (filed, _) = file_claim(&pool, claimed, &evidence.to_json_bytes(), &store).await.expect("filed");
    let clock = DevnetClock(admin.clone());
    let decided = drive_to_final(&mut keeper, &mut jurors, filed.dispute_id, &clock, &DriveOptions::default())
        .await
        .expect("decided");
    assert_eq!(decided.ruling, U256::from(1u64), "paid");

    // Someone else emits the pool's event about the other order.
    let forger = deploy_artifact(&admin, &artifacts::get("ForgedIncident").expect("artifact"), &[])
        .await
        .expect("forger")
        .address;
    admin.send_sol(forger, &forgeCall { machineId: world.machine_id, orderId: other }).await.expect("forged");

    let mut history = ChainHistory::new(world.suite, 6);
    history.sync(&admin).await.expect("sync");
    let outcome = |id: U256| history.orders().find(|o| o.order_id == id).map(|o| o.outcome);
    assert_eq!(outcome(claimed), Some(Outcome::ClaimPaid));
    assert_eq!(outcome(other), Some(Outcome::Dispensed), "a forged incident is ignored");
    assert_eq!(history.sales().len(), 2, "both units left the machine: demand counts them");
    assert_eq!(history.outcomes_of(world.machine_id), (1, 2));
    let features = history.risk_features_now(world.machine_id, 2 * USD);
    assert_eq!(features.failure_rate, failure_rate(1, 2));
    let labels: Vec<bool> = history.risk_samples().iter().map(|s| s.failed).collect();
    assert_eq!(labels, vec![true, false]);
}
