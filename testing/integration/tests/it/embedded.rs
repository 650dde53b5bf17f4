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

/// One `#[tokio::test]` per scenario, named after it; `1` or `2` says how many accounts it
/// takes, `signer` that it takes one account and its key.
macro_rules! on_devnet {
    (@run $scenario:ident 1) => {{
        let (_devnet, alice, _) = clients();
        scenarios::$scenario(alice).await;
    }};
    (@run $scenario:ident signer) => {{
        let (devnet, alice, _) = clients();
        let signer = devnet.signers()[0].clone();
        scenarios::$scenario(alice, signer).await;
    }};
    (@run $scenario:ident 2) => {{
        let (_devnet, alice, bob) = clients();
        scenarios::$scenario(alice, bob).await;
    }};
    ($($scenario:ident: $accounts:tt;)+) => {$(
        #[tokio::test]
        async fn $scenario() {
            on_devnet!(@run $scenario $accounts)
        }
    )+};
}

on_devnet! {
    erc20_transfer_and_events: 2;
    custom_error_reverts_are_decoded: 1;
    time_travel_unlocks_the_vault: 1;
    snapshot_and_revert: 2;
    linked_library_from_artifact: 1;
    published_artifact_deploys: 1;
    mined_failures_report_their_cause: 1;
    raw_and_managed_sends_interleave: signer;
}
