//! The same suite against a Hardhat node (npm `hardhat`, pinned in contracts/package.json) started on a
//! free loopback port. Without node or the npm packages this fails with instructions; it never skips.

use alloy_signer_local::PrivateKeySigner;
use automat_chain::{ChainClient, DEFAULT_MNEMONIC, signer_from_mnemonic};
use automat_chain_rpc::RpcClient;
use automat_hardhat::HardhatNode;

use crate::scenarios;

async fn client(node: &HardhatNode, signer: PrivateKeySigner) -> RpcClient {
    RpcClient::connect(&node.url(), signer).await.expect("connects to the Hardhat node")
}

fn account(index: u32) -> PrivateKeySigner {
    signer_from_mnemonic(DEFAULT_MNEMONIC, index).expect("dev account")
}

/// One node for the whole suite (starting Hardhat takes seconds); scenarios run in order, each with
/// its own pair of accounts, so none depends on another's nonces or balances.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hardhat_node_passes_the_suite() {
    let node = HardhatNode::start().expect("Hardhat node starts (needs node and `npm ci --prefix contracts`)");
    assert_eq!(client(&node, account(0)).await.chain_id(), node.chain_id());

    scenarios::erc20_transfer_and_events(client(&node, account(0)).await, client(&node, account(1)).await).await;
    scenarios::custom_error_reverts_are_decoded(client(&node, account(2)).await).await;
    scenarios::time_travel_unlocks_the_vault(client(&node, account(3)).await).await;
    scenarios::snapshot_and_revert(client(&node, account(4)).await, client(&node, account(5)).await).await;
    scenarios::linked_library_from_artifact(client(&node, account(6)).await).await;
    scenarios::published_artifact_deploys(client(&node, account(7)).await).await;
    scenarios::mined_failures_report_their_cause(client(&node, account(8)).await).await;
    scenarios::raw_and_managed_sends_interleave(client(&node, account(9)).await, account(9)).await;
}
