//! The devnet's own guarantees: persistence across restarts, isolated chains with distinct ids,
//! interval mining, nonce discipline, gas accounting, and a property test over random histories.

use std::time::Duration;

use alloy_consensus::{SignableTransaction, TxEip1559};
use alloy_eips::eip2718::Encodable2718;
use alloy_network::TxSignerSync;
use alloy_primitives::{Address, Bytes, TxKind, U256};
use alloy_rpc_types_eth::Filter;
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::{SolConstructor, SolEvent};
use automat_chain::{ChainClient, ChainClientExt, ChainError, DevnetControl, TxRequest};
use automat_contracts::fixtures::TestToken;
use automat_devnet::{COINBASE, DEVNET_CHAIN_ID_BASE, Devnet, DevnetConfig, EmbeddedClient, MiningMode};
use proptest::prelude::*;

fn raw_transfer(signer: &PrivateKeySigner, chain_id: u64, nonce: u64, to: Address, value: u64) -> Bytes {
    let mut tx = TxEip1559 {
        chain_id,
        nonce,
        gas_limit: 21_000,
        max_fee_per_gas: 10_000_000_000,
        max_priority_fee_per_gas: 1_000_000,
        to: TxKind::Call(to),
        value: U256::from(value),
        ..Default::default()
    };
    let signature = signer.sign_transaction_sync(&mut tx).expect("signs");
    let envelope: alloy_consensus::TxEnvelope = tx.into_signed(signature).into();
    envelope.encoded_2718().into()
}

async fn deploy_token(client: &EmbeddedClient) -> Address {
    let ctor = TestToken::constructorCall {
        name_: "Persisted".into(),
        symbol_: "PST".into(),
        holder: client.sender(),
        supply: U256::from(1_000_000u64),
    };
    let mut init = TestToken::BYTECODE.to_vec();
    init.extend(ctor.abi_encode());
    client.deploy(init.into()).await.expect("deploys").address
}

#[tokio::test]
async fn restart_on_the_data_directory_keeps_balances_contracts_and_height() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = DevnetConfig::with_chains(2).persist_to(dir.path());
    let chain_id = DEVNET_CHAIN_ID_BASE + 1;
    let bob = Address::repeat_byte(0xb0);

    let (token, height, alice_eth, head_time, transfer_hash) = {
        let devnet = Devnet::start(config.clone()).expect("starts");
        let alice = devnet.dev_client(chain_id, 0).expect("client");
        let token = deploy_token(&alice).await;
        let receipt = alice
            .send_sol(token, &TestToken::transferCall { to: bob, value: U256::from(250) })
            .await
            .expect("transfer");
        alice.send(TxRequest::transfer(bob, U256::from(10_000))).await.expect("eth");
        alice.increase_time(1_000).await.expect("time");
        alice.mine(3).await.expect("mine");
        (
            token,
            alice.block_number().await.expect("height"),
            alice.balance(alice.sender()).await.expect("balance"),
            alice.block_timestamp().await.expect("time"),
            receipt.transaction_hash,
        )
    };

    let devnet = Devnet::start(config).expect("restarts on the same directory");
    let alice = devnet.dev_client(chain_id, 0).expect("client");
    assert_eq!(alice.block_number().await.expect("height"), height, "block height survives");
    assert_eq!(alice.block_timestamp().await.expect("time"), head_time, "clock survives");
    assert_eq!(alice.balance(alice.sender()).await.expect("balance"), alice_eth, "balances survive");
    assert_eq!(alice.balance(bob).await.expect("balance"), U256::from(10_000));
    assert!(!alice.code(token).await.expect("code").is_empty(), "contracts survive");
    let bob_tokens = alice.call_sol(token, &TestToken::balanceOfCall { account: bob }).await.expect("call");
    assert_eq!(bob_tokens, U256::from(250), "contract storage survives");
    let receipt = alice.receipt(transfer_hash).await.expect("query").expect("receipts survive");
    assert_eq!(receipt.events::<TestToken::Transfer>()[0].value, U256::from(250));
    let logs = alice
        .logs(&Filter::new().address(token).event_signature(TestToken::Transfer::SIGNATURE_HASH).from_block(0u64))
        .await
        .expect("logs");
    assert_eq!(logs.len(), 2, "mint and transfer logs survive");

    // The chain continues: nonces pick up where they were, new blocks extend the old ones.
    alice.send_sol(token, &TestToken::transferCall { to: bob, value: U256::from(1) }).await.expect("continues");
    assert_eq!(alice.block_number().await.expect("height"), height + 1);
    // The other chain was persisted too, untouched.
    let other = devnet.dev_client(DEVNET_CHAIN_ID_BASE, 0).expect("client");
    assert_eq!(other.block_number().await.expect("height"), 0);
    assert!(other.code(token).await.expect("code").is_empty());
}

#[tokio::test]
async fn revert_is_persisted_too() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = DevnetConfig::with_chains(1).persist_to(dir.path());
    let bob = Address::repeat_byte(0xb1);
    {
        let devnet = Devnet::start(config.clone()).expect("starts");
        let alice = devnet.dev_client(DEVNET_CHAIN_ID_BASE, 0).expect("client");
        alice.send(TxRequest::transfer(bob, U256::from(1))).await.expect("eth");
        let snapshot = alice.snapshot().await.expect("snapshot");
        alice.send(TxRequest::transfer(bob, U256::from(2))).await.expect("eth");
        alice.revert(snapshot).await.expect("revert");
    }
    let devnet = Devnet::start(config).expect("restarts");
    let alice = devnet.dev_client(DEVNET_CHAIN_ID_BASE, 0).expect("client");
    assert_eq!(alice.block_number().await.expect("height"), 1);
    assert_eq!(alice.balance(bob).await.expect("balance"), U256::from(1));
}

#[tokio::test]
async fn chains_are_isolated_and_refuse_foreign_transactions() {
    let devnet = Devnet::start(DevnetConfig::with_chains(3)).expect("starts");
    assert_eq!(devnet.chain_ids(), vec![DEVNET_CHAIN_ID_BASE, DEVNET_CHAIN_ID_BASE + 1, DEVNET_CHAIN_ID_BASE + 2]);
    let signer = devnet.signers()[0].clone();
    let on_a = devnet.client(DEVNET_CHAIN_ID_BASE, signer.clone()).expect("client");
    let on_b = devnet.client(DEVNET_CHAIN_ID_BASE + 1, signer.clone()).expect("client");
    let to = Address::repeat_byte(0x42);

    let raw = raw_transfer(&signer, DEVNET_CHAIN_ID_BASE, 0, to, 5);
    let err = on_b.send_raw(raw.clone()).await.expect_err("signed for chain A");
    assert!(matches!(err, ChainError::WrongChainId { .. }), "{err}");
    let receipt = on_a.send_raw(raw).await.expect("accepted on its own chain");
    assert!(receipt.status);
    assert_eq!(on_a.balance(to).await.expect("balance"), U256::from(5));
    assert_eq!(on_b.balance(to).await.expect("balance"), U256::ZERO);
    assert_eq!(on_b.block_number().await.expect("height"), 0);
}

#[tokio::test]
async fn nonce_gaps_and_replays_are_refused() {
    let devnet = Devnet::start(DevnetConfig::with_chains(1)).expect("starts");
    let signer = devnet.signers()[2].clone();
    let client = devnet.client(DEVNET_CHAIN_ID_BASE, signer.clone()).expect("client");
    let to = Address::repeat_byte(0x43);
    let gap = raw_transfer(&signer, DEVNET_CHAIN_ID_BASE, 1, to, 1);
    let err = client.send_raw(gap).await.expect_err("nonce 1 before 0");
    assert!(matches!(err, ChainError::NonceMismatch { expected: 0, got: 1, .. }), "{err}");
    let first = raw_transfer(&signer, DEVNET_CHAIN_ID_BASE, 0, to, 1);
    client.send_raw(first.clone()).await.expect("nonce 0");
    let err = client.send_raw(first).await.expect_err("replay");
    assert!(matches!(err, ChainError::NonceMismatch { expected: 1, got: 0, .. }), "{err}");
    assert_eq!(client.balance(to).await.expect("balance"), U256::from(1));
}

#[tokio::test]
async fn gas_is_paid_base_fee_burned_and_tip_to_coinbase() {
    let devnet = Devnet::start(DevnetConfig::with_chains(1)).expect("starts");
    let alice = devnet.dev_client(DEVNET_CHAIN_ID_BASE, 0).expect("client");
    let to = Address::repeat_byte(0x44);
    let sender_before = alice.balance(alice.sender()).await.expect("balance");
    let coinbase_before = alice.balance(COINBASE).await.expect("balance");
    let value = U256::from(1_000_000_000u64);
    let receipt = alice.send(TxRequest::transfer(to, value)).await.expect("transfer");
    assert_eq!(receipt.gas_used, 21_000, "a plain transfer costs exactly 21000 gas");
    let paid = U256::from(receipt.gas_used) * U256::from(receipt.effective_gas_price);
    assert_eq!(sender_before - alice.balance(alice.sender()).await.expect("balance"), value + paid);
    let tip = U256::from(receipt.gas_used) * U256::from(1_000_000u64);
    assert_eq!(alice.balance(COINBASE).await.expect("balance") - coinbase_before, tip, "the tip goes to the coinbase");
    assert!(receipt.effective_gas_price > 1_000_000, "the base fee is charged on top of the tip");
}

#[tokio::test]
async fn interval_mining_collects_pooled_transactions_into_blocks() {
    let config =
        DevnetConfig { mining: MiningMode::Interval(Duration::from_millis(250)), ..DevnetConfig::with_chains(1) };
    let devnet = Devnet::start(config).expect("starts");
    let clients: Vec<_> = (0..4).map(|i| devnet.dev_client(DEVNET_CHAIN_ID_BASE, i).expect("client")).collect();
    let to = Address::repeat_byte(0x45);
    let mut sends = tokio::task::JoinSet::new();
    for client in clients.clone() {
        sends.spawn(async move { client.send(TxRequest::transfer(to, U256::from(1))).await });
    }
    let mut blocks = std::collections::BTreeSet::new();
    while let Some(result) = sends.join_next().await {
        let receipt = result.expect("task").expect("mined");
        assert!(receipt.status);
        blocks.insert(receipt.block_number);
    }
    assert!(blocks.len() < 4, "concurrent sends share interval blocks: {blocks:?}");
    assert_eq!(clients[0].balance(to).await.expect("balance"), U256::from(4));
    // Blocks keep coming without transactions.
    let height = clients[0].block_number().await.expect("height");
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert!(clients[0].block_number().await.expect("height") > height);
}

#[derive(Clone, Debug)]
enum Op {
    Transfer { from: usize, to: usize, value: u128 },
    Snapshot,
    Revert,
    Mine(u8),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (0..4usize, 0..5usize, 0..20_000_000_000_000_000_000_000u128).prop_map(|(from, to, value)| Op::Transfer { from, to, value }),
        1 => Just(Op::Snapshot),
        1 => Just(Op::Revert),
        1 => (1..3u8).prop_map(Op::Mine),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// Over any history of transfers (some overdrawn), snapshots, reverts and empty blocks: ether is
    /// conserved (balances + burned base fee = initial supply), and a devnet restarted on its data
    /// directory holds exactly the state, height and time it had.
    #[test]
    fn ether_is_conserved_and_restarts_are_exact(ops in proptest::collection::vec(op(), 1..24)) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        runtime.block_on(async {
            let dir = tempfile::tempdir().expect("temp dir");
            let config = DevnetConfig { accounts: 4, ..DevnetConfig::with_chains(1).persist_to(dir.path()) };
            let initial = config.balance * U256::from(4);
            let devnet = Devnet::start(config.clone()).expect("starts");
            let clients: Vec<_> = (0..4).map(|i| devnet.dev_client(DEVNET_CHAIN_ID_BASE, i).expect("client")).collect();
            let mut watched: Vec<Address> = clients.iter().map(|c| c.sender()).collect();
            watched.push(Address::repeat_byte(0x99));
            watched.push(COINBASE);
            let mut snapshots = Vec::new();
            let mut burned = U256::ZERO;
            let mut burned_at_snapshot = Vec::new();
            for op in ops {
                match op {
                    Op::Transfer { from, to, value } => {
                        let before = clients[from].block_number().await.expect("height");
                        match clients[from].send(TxRequest::transfer(watched[to], U256::from(value))).await {
                            Ok(receipt) => {
                                let tip = 1_000_000u128;
                                burned += U256::from(receipt.gas_used) * U256::from(receipt.effective_gas_price - tip);
                            }
                            Err(ChainError::InsufficientFunds { .. }) => {
                                prop_assert_eq!(clients[from].block_number().await.expect("height"), before);
                            }
                            Err(other) => prop_assert!(false, "unexpected error {}", other),
                        }
                    }
                    Op::Snapshot => {
                        snapshots.push(clients[0].snapshot().await.expect("snapshot"));
                        burned_at_snapshot.push(burned);
                    }
                    Op::Revert => {
                        if let (Some(id), Some(b)) = (snapshots.pop(), burned_at_snapshot.pop()) {
                            clients[0].revert(id).await.expect("revert");
                            burned = b;
                        }
                    }
                    Op::Mine(n) => clients[0].mine(u64::from(n)).await.expect("mine"),
                }
                let mut total = burned;
                for address in &watched {
                    total += clients[0].balance(*address).await.expect("balance");
                }
                prop_assert_eq!(total, initial, "ether conserved");
            }
            let height = clients[0].block_number().await.expect("height");
            let time = clients[0].block_timestamp().await.expect("time");
            let mut balances = Vec::new();
            for address in &watched {
                balances.push(clients[0].balance(*address).await.expect("balance"));
            }
            drop(clients);
            drop(devnet);

            let devnet = Devnet::start(config).expect("restarts");
            let client = devnet.dev_client(DEVNET_CHAIN_ID_BASE, 0).expect("client");
            prop_assert_eq!(client.block_number().await.expect("height"), height);
            prop_assert_eq!(client.block_timestamp().await.expect("time"), time);
            for (address, balance) in watched.iter().zip(balances) {
                prop_assert_eq!(client.balance(*address).await.expect("balance"), balance);
            }
            Ok(())
        })?;
    }
}

/// An EIP-7702 delegation gives an EOA code without a creation; it must survive a restart too.
#[tokio::test]
async fn eip7702_delegation_is_executed_and_persisted() {
    use alloy_consensus::TxEip7702;
    use alloy_eips::eip7702::Authorization;
    use alloy_signer::SignerSync;

    let dir = tempfile::tempdir().expect("temp dir");
    let config = DevnetConfig::with_chains(1).persist_to(dir.path());
    let devnet = Devnet::start(config.clone()).expect("starts");
    let deployer = devnet.dev_client(DEVNET_CHAIN_ID_BASE, 0).expect("client");
    let token = deploy_token(&deployer).await;
    let eoa = devnet.signers()[3].clone();
    let client = devnet.client(DEVNET_CHAIN_ID_BASE, eoa.clone()).expect("client");

    // The EOA delegates to the token's code, authorising with its next nonce + 1 (it also sends the tx).
    let nonce = client.nonce(eoa.address()).await.expect("nonce");
    let authorization = Authorization { chain_id: U256::from(DEVNET_CHAIN_ID_BASE), address: token, nonce: nonce + 1 };
    let signature = eoa.sign_hash_sync(&authorization.signature_hash()).expect("signs");
    let mut tx = TxEip7702 {
        chain_id: DEVNET_CHAIN_ID_BASE,
        nonce,
        gas_limit: 100_000,
        max_fee_per_gas: 10_000_000_000,
        max_priority_fee_per_gas: 1_000_000,
        to: eoa.address(),
        // Calls the EOA itself, which now runs the token's code.
        input: alloy_sol_types::SolCall::abi_encode(&TestToken::balanceOfCall { account: eoa.address() }).into(),
        authorization_list: vec![authorization.into_signed(signature)],
        ..Default::default()
    };
    let tx_signature = eoa.sign_transaction_sync(&mut tx).expect("signs");
    let envelope: alloy_consensus::TxEnvelope = tx.into_signed(tx_signature).into();
    let receipt = client.send_raw(envelope.encoded_2718().into()).await.expect("mined");
    assert!(receipt.status);
    let code = client.code(eoa.address()).await.expect("code");
    assert_eq!(&code[..3], &[0xef, 0x01, 0x00], "delegation designator set");
    assert_eq!(&code[3..], token.as_slice());
    drop((client, deployer, devnet));

    let devnet = Devnet::start(config).expect("restarts");
    let client = devnet.dev_client(DEVNET_CHAIN_ID_BASE, 3).expect("client");
    assert_eq!(client.code(eoa.address()).await.expect("code"), code, "delegation survives the restart");
}
