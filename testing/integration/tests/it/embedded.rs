//! The suite on the embedded devnet: each scenario on a fresh two-chain devnet, on its second chain.

use automat_devnet::{Devnet, DevnetConfig, EmbeddedClient};

use crate::scenarios;

fn clients() -> (Devnet, EmbeddedClient, EmbeddedClient) {
    let devnet = Devnet::start(DevnetConfig::with_chains(2)).expect("devnet starts");
    let chain = devnet.chain_ids()[1];
    let alice = devnet.dev_client(chain, 0).expect("account 0");
    let bob = devnet.dev_client(chain, 1).expect("account 1");
    (devnet, alice, bob)
}

/// One `#[tokio::test]` per scenario, named after it, given the accounts it asks for.
macro_rules! on_devnet {
    ($($scenario:ident($($account:ident),+);)+) => {$(
        #[tokio::test]
        async fn $scenario() {
            let (_devnet, alice, bob) = clients();
            let _ = (&alice, &bob);
            scenarios::$scenario($($account),+).await;
        }
    )+};
}

on_devnet! {
    erc20_transfer_and_events(alice, bob);
    custom_error_reverts_are_decoded(alice);
    time_travel_unlocks_the_vault(alice);
    snapshot_and_revert(alice, bob);
    linked_library_from_artifact(alice);
    published_artifact_deploys(alice);
    mined_failures_report_their_cause(alice);
}
