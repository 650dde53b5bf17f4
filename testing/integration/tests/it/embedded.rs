//! The suite on the embedded devnet (each scenario on a fresh devnet), plus what only it offers.

use automat_devnet::{Devnet, DevnetConfig, EmbeddedClient};

use crate::scenarios;

fn clients() -> (Devnet, EmbeddedClient, EmbeddedClient) {
    let devnet = Devnet::start(DevnetConfig::with_chains(2)).expect("devnet starts");
    let chain = devnet.chain_ids()[1];
    let alice = devnet.dev_client(chain, 0).expect("account 0");
    let bob = devnet.dev_client(chain, 1).expect("account 1");
    (devnet, alice, bob)
}

#[tokio::test]
async fn erc20_transfer_and_events() {
    let (_devnet, alice, bob) = clients();
    scenarios::erc20_transfer_and_events(alice, bob).await;
}

#[tokio::test]
async fn custom_error_reverts_are_decoded() {
    let (_devnet, alice, _) = clients();
    scenarios::custom_error_reverts_are_decoded(alice).await;
}

#[tokio::test]
async fn time_travel_unlocks_the_vault() {
    let (_devnet, alice, _) = clients();
    scenarios::time_travel_unlocks_the_vault(alice).await;
}

#[tokio::test]
async fn snapshot_and_revert() {
    let (_devnet, alice, bob) = clients();
    scenarios::snapshot_and_revert(alice, bob).await;
}

#[tokio::test]
async fn linked_library_from_artifact() {
    let (_devnet, alice, _) = clients();
    scenarios::linked_library_from_artifact(alice).await;
}

#[tokio::test]
async fn published_artifact_deploys() {
    let (_devnet, alice, _) = clients();
    scenarios::published_artifact_deploys(alice).await;
}

#[tokio::test]
async fn mined_failures_report_their_cause() {
    let (_devnet, alice, _) = clients();
    scenarios::mined_failures_report_their_cause(alice).await;
}
