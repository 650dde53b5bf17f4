//! The bench figure `report_verify_gas`: gas of verifying and applying one report of a committee of 7 nodes with
//! f = 2, measured with `automat_contracts::oracle::report_verify_gas` (the helper the bench calls).

use automat_contracts::oracle::report_verify_gas;
use automat_devnet::{Devnet, DevnetConfig};

use crate::common::{F, NODES, QUORUM, node_keys};

#[tokio::test]
async fn report_verify_gas_for_7_nodes_f_2() {
    let devnet = Devnet::start(DevnetConfig::with_chains(1)).expect("devnet starts");
    let client = devnet.dev_client(devnet.chain_ids()[0], 0).expect("account 0");
    let keys = node_keys("bench", NODES);
    let all = report_verify_gas(&client, &keys, F, NODES).await.expect("measured");
    let quorum = report_verify_gas(&client, &keys, F, QUORUM).await.expect("measured");
    println!("report_verify_gas n={NODES} f={F}: {all} gas with {NODES} observations, {quorum} with {QUORUM} (quorum)");
    assert!(quorum < all, "every observation costs");
    let per_observation = (all - quorum) / (NODES - QUORUM) as u64;
    println!("report_verify_gas: {per_observation} gas per extra observation");
    assert!(all < 200_000, "a 7-node report stays well under 200k gas: {all}");
    assert!((5_000..15_000).contains(&per_observation), "one observation: ecrecover, a node lookup, calldata");
}
