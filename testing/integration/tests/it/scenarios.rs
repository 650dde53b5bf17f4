//! Backend-independent scenarios. Each takes clients for two funded accounts of one chain.

use std::path::PathBuf;

use alloy_dyn_abi::DynSolValue;
use alloy_eips::eip2718::Encodable2718;
use alloy_primitives::{Address, U256, utils::parse_ether};
use alloy_rpc_types_eth::Filter;
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::{SolCall, SolConstructor, SolEvent};
use automat_chain::{ChainClient, ChainClientExt, ChainError, DevnetControl, FeeQuote, TxRequest, sign_request};
use automat_contracts::{
    Artifact, artifacts, deploy_artifact,
    fixtures::{ILinkedMath, TestToken, TimeLockedVault},
};

/// 1,000,000 tokens with 18 decimals.
fn supply() -> U256 {
    parse_ether("1000000").expect("constant")
}

async fn deploy_token<C: ChainClient>(owner: &C) -> Address {
    owner.revert_decoder().register_abi(&artifacts::get("TestToken").expect("artifact").abi);
    let ctor = TestToken::constructorCall {
        name_: "Test USD".into(),
        symbol_: "TUSD".into(),
        holder: owner.sender(),
        supply: supply(),
    };
    let mut init = TestToken::BYTECODE.to_vec();
    init.extend(ctor.abi_encode());
    let deployment = owner.deploy(init.into()).await.expect("token deploys");
    assert!(deployment.receipt.status);
    assert!(!owner.code(deployment.address).await.expect("code").is_empty());
    deployment.address
}

async fn deploy_vault<C: ChainClient>(owner: &C, token: Address, max_deposit: U256) -> Address {
    let artifact = artifacts::get("TimeLockedVault").expect("artifact");
    let args = [DynSolValue::Address(token), DynSolValue::Uint(max_deposit, 256)];
    deploy_artifact(owner, &artifact, &args).await.expect("vault deploys").address
}

/// Deploys an OpenZeppelin ERC-20, transfers, and reads the `Transfer` events back through log filters;
/// checks the sender paid exactly `gas_used × effective_gas_price` for it.
pub(crate) async fn erc20_transfer_and_events<C: ChainClient>(alice: C, bob: C) {
    let token = deploy_token(&alice).await;
    let balance =
        alice.call_sol(token, &TestToken::balanceOfCall { account: alice.sender() }).await.expect("balanceOf");
    assert_eq!(balance, supply());

    let eth_before = alice.balance(alice.sender()).await.expect("eth balance");
    let amount = parse_ether("1234.5").expect("constant");
    let receipt = alice
        .send_sol(token, &TestToken::transferCall { to: bob.sender(), value: amount })
        .await
        .expect("transfer succeeds");
    assert!(receipt.status);
    assert_eq!(receipt.from, alice.sender());
    assert_eq!(receipt.to, Some(token));
    assert!(receipt.gas_used > 21_000 && receipt.gas_used < 100_000, "gas used {}", receipt.gas_used);
    let eth_after = alice.balance(alice.sender()).await.expect("eth balance");
    let fee = U256::from(receipt.gas_used) * U256::from(receipt.effective_gas_price);
    assert_eq!(eth_before - eth_after, fee, "the sender pays exactly gas used × effective gas price");

    let events = receipt.events::<TestToken::Transfer>();
    assert_eq!(events, vec![TestToken::Transfer { from: alice.sender(), to: bob.sender(), value: amount }]);
    assert_eq!(receipt.logs[0].transaction_hash, Some(receipt.transaction_hash));
    assert_eq!(receipt.logs[0].block_number, Some(receipt.block_number));

    // Bob sends some back; both transfers show up in a log query filtered by address and event.
    bob.send_sol(token, &TestToken::transferCall { to: alice.sender(), value: U256::from(5) })
        .await
        .expect("bob's transfer");
    let filter = Filter::new().address(token).event_signature(TestToken::Transfer::SIGNATURE_HASH).from_block(0u64);
    let logs = alice.logs(&filter).await.expect("logs");
    let transfers: Vec<_> =
        logs.iter().map(|l| TestToken::Transfer::decode_log(&l.inner).expect("decodes").data).collect();
    assert_eq!(transfers.len(), 3, "mint, alice→bob, bob→alice: {transfers:?}");
    assert_eq!(transfers[0].from, Address::ZERO);
    assert_eq!(transfers[2], TestToken::Transfer { from: bob.sender(), to: alice.sender(), value: U256::from(5) });

    // A filter on the second topic (indexed `from`) selects only Bob's transfer.
    let from_bob = filter.topic1(bob.sender().into_word());
    assert_eq!(alice.logs(&from_bob).await.expect("logs").len(), 1);

    let bob_balance =
        bob.call_sol(token, &TestToken::balanceOfCall { account: bob.sender() }).await.expect("balanceOf");
    assert_eq!(bob_balance, amount - U256::from(5));
}

/// A custom-error revert is decoded into its name and arguments, on `send` and on `call`, and nothing
/// is mined for a send that would revert.
pub(crate) async fn custom_error_reverts_are_decoded<C: ChainClient>(alice: C) {
    let token = deploy_token(&alice).await;
    let max = U256::from(1_000);
    let vault = deploy_vault(&alice, token, max).await;
    let height = alice.block_number().await.expect("height");
    let nonce = alice.nonce(alice.sender()).await.expect("nonce");

    let err = alice
        .send_sol(vault, &TimeLockedVault::depositCall { amount: U256::from(5_000), duration: 60 })
        .await
        .expect_err("deposit above max reverts");
    let decoded = err.revert().unwrap_or_else(|| panic!("expected a revert, got {err}"));
    assert_eq!(decoded.name.as_deref(), Some("VaultAmountTooLarge"));
    assert_eq!(decoded.arg("amount"), Some("5000"));
    assert_eq!(decoded.arg("max"), Some("1000"));
    assert_eq!(err.to_string(), "execution reverted: VaultAmountTooLarge(amount: 5000, max: 1000)");
    assert_eq!(alice.block_number().await.expect("height"), height, "a reverting send is not mined");
    assert_eq!(alice.nonce(alice.sender()).await.expect("nonce"), nonce, "and consumes no nonce");

    let err = alice
        .call(vault, TimeLockedVault::withdrawCall {}.abi_encode().into())
        .await
        .expect_err("withdraw with nothing locked reverts");
    assert_eq!(err.revert_name(), Some("VaultNothingLocked"));
    assert_eq!(err.revert().and_then(|d| d.arg("owner")), Some(alice.sender().to_checksum(None).as_str()));

    // OpenZeppelin's own custom errors decode too (ERC20InsufficientBalance from the token's ABI).
    let err = alice
        .send_sol(token, &TestToken::transferCall { to: Address::repeat_byte(1), value: supply() + U256::from(1) })
        .await
        .expect_err("overdraft reverts");
    assert_eq!(err.revert_name(), Some("ERC20InsufficientBalance"), "{err}");

    // Plain value transfers still work after all those refusals: the nonce manager recovered.
    let receipt = alice.send(TxRequest::transfer(Address::repeat_byte(7), U256::from(1))).await.expect("transfer");
    assert!(receipt.status);
}

/// Time travel: a lock that refuses withdrawal until its time, then allows it after `increase_time`.
pub(crate) async fn time_travel_unlocks_the_vault<C: DevnetControl>(alice: C) {
    let token = deploy_token(&alice).await;
    let vault = deploy_vault(&alice, token, supply()).await;
    let amount = U256::from(777);
    alice.send_sol(token, &TestToken::approveCall { spender: vault, value: amount }).await.expect("approve");
    let receipt =
        alice.send_sol(vault, &TimeLockedVault::depositCall { amount, duration: 3_600 }).await.expect("deposit");
    let deposited = receipt.events::<TimeLockedVault::Deposited>();
    assert_eq!(deposited.len(), 1);
    let unlock_at = deposited[0].unlockAt;

    let err = alice.send_sol(vault, &TimeLockedVault::withdrawCall {}).await.expect_err("still locked");
    assert_eq!(err.revert_name(), Some("VaultStillLocked"), "{err}");

    let before = alice.block_timestamp().await.expect("time");
    alice.increase_time(3_600).await.expect("increase time");
    alice.mine(1).await.expect("mine");
    let after = alice.block_timestamp().await.expect("time");
    assert!(after >= before + 3_600, "time moved from {before} to {after}");
    assert!(after >= unlock_at);

    let receipt = alice.send_sol(vault, &TimeLockedVault::withdrawCall {}).await.expect("unlocked");
    assert_eq!(
        receipt.events::<TimeLockedVault::Withdrawn>(),
        vec![TimeLockedVault::Withdrawn { owner: alice.sender(), amount }]
    );

    // An exact next-block timestamp is honoured.
    let target = after + 10_000;
    alice.set_next_block_timestamp(target).await.expect("set timestamp");
    alice.mine(1).await.expect("mine");
    assert_eq!(alice.block_timestamp().await.expect("time"), target);
}

/// Snapshot and revert restore balances, contract state and height.
pub(crate) async fn snapshot_and_revert<C: DevnetControl>(alice: C, bob: C) {
    let token = deploy_token(&alice).await;
    let snapshot = alice.snapshot().await.expect("snapshot");
    let height = alice.block_number().await.expect("height");
    let bob_eth = alice.balance(bob.sender()).await.expect("balance");

    alice
        .send_sol(token, &TestToken::transferCall { to: bob.sender(), value: U256::from(99) })
        .await
        .expect("transfer");
    alice.send(TxRequest::transfer(bob.sender(), U256::from(12_345))).await.expect("eth transfer");
    assert_eq!(alice.balance(bob.sender()).await.expect("balance"), bob_eth + U256::from(12_345));

    alice.revert(snapshot).await.expect("revert");
    assert_eq!(alice.block_number().await.expect("height"), height);
    assert_eq!(alice.balance(bob.sender()).await.expect("balance"), bob_eth);
    let bob_tokens =
        alice.call_sol(token, &TestToken::balanceOfCall { account: bob.sender() }).await.expect("balanceOf");
    assert_eq!(bob_tokens, U256::ZERO);
    // Sending still works after the revert (nonces re-read from the chain).
    alice.send(TxRequest::transfer(bob.sender(), U256::from(1))).await.expect("send after revert");

    let err = alice.revert(snapshot).await.expect_err("a snapshot is consumed by revert");
    assert!(matches!(err, ChainError::UnknownSnapshot(_)), "{err}");
}

/// Our own artifact with an external library: deploy the library, link, deploy, call.
pub(crate) async fn linked_library_from_artifact<C: ChainClient>(alice: C) {
    let library = artifacts::get("ScaleLib").expect("artifact");
    let lib = deploy_artifact(&alice, &library, &[]).await.expect("library deploys").address;
    let math = artifacts::get("LinkedMath").expect("artifact");
    assert_eq!(math.unlinked_libraries(), vec!["src/testing/LinkedMath.sol:ScaleLib".to_string()]);
    let linked = math.link("ScaleLib", lib).expect("links");
    let address = deploy_artifact(&alice, &linked, &[]).await.expect("linked contract deploys").address;
    let tripled = alice.call_sol(address, &ILinkedMath::tripleCall { x: U256::from(14) }).await.expect("call");
    assert_eq!(tripled, U256::from(42));
}

/// A third party's published Hardhat artifact (OpenZeppelin's `TimelockController` from the npm
/// package's `build/contracts`) deploys with constructor arguments and answers calls.
pub(crate) async fn published_artifact_deploys<C: ChainClient>(alice: C) {
    let path = published_artifact("TimelockController");
    let artifact = Artifact::from_file(&path).expect("published artifact parses");
    let admin = alice.sender();
    let args = [
        DynSolValue::Uint(U256::from(86_400), 256),
        DynSolValue::Array(vec![DynSolValue::Address(admin)]),
        DynSolValue::Array(vec![DynSolValue::Address(Address::ZERO)]),
        DynSolValue::Address(admin),
    ];
    let timelock = deploy_artifact(&alice, &artifact, &args).await.expect("timelock deploys").address;
    alloy_sol_types::sol! {
        interface ITimelock {
            function getMinDelay() external view returns (uint256);
            function schedule(address target, uint256 value, bytes data, bytes32 predecessor, bytes32 salt, uint256 delay) external;
        }
    }
    let delay = alice.call_sol(timelock, &ITimelock::getMinDelayCall {}).await.expect("getMinDelay");
    assert_eq!(delay, U256::from(86_400));
    // Its custom errors were registered from the published ABI, so a short delay is refused by name.
    let err = alice
        .send_sol(
            timelock,
            &ITimelock::scheduleCall {
                target: admin,
                value: U256::ZERO,
                data: Default::default(),
                predecessor: Default::default(),
                salt: Default::default(),
                delay: U256::from(1),
            },
        )
        .await
        .expect_err("delay below minimum");
    assert_eq!(err.revert_name(), Some("TimelockInsufficientDelay"), "{err}");
}

fn published_artifact(name: &str) -> PathBuf {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../contracts/node_modules/@openzeppelin/contracts/build/contracts")
        .join(format!("{name}.json"));
    assert!(
        path.is_file(),
        "{} is missing: install the pinned npm packages with `npm ci --prefix contracts`",
        path.display()
    );
    path
}

/// A transaction that fails on chain (an explicit gas limit skips the simulation that would refuse it)
/// is mined, consumes its nonce, and reports why: the decoded revert, or the halt.
pub(crate) async fn mined_failures_report_their_cause<C: ChainClient>(alice: C) {
    let token = deploy_token(&alice).await;
    let vault = deploy_vault(&alice, token, U256::from(10)).await;

    let nonce = alice.nonce(alice.sender()).await.expect("nonce");
    let call = TimeLockedVault::depositCall { amount: U256::from(11), duration: 1 };
    let err = alice
        .send(TxRequest::call(vault, call.abi_encode()).with_gas_limit(200_000))
        .await
        .expect_err("reverts on chain");
    match &err {
        ChainError::Reverted { decoded, tx_hash, .. } => {
            assert_eq!(decoded.name.as_deref(), Some("VaultAmountTooLarge"), "{err}");
            let hash = tx_hash.expect("a mined revert names its transaction");
            let receipt = alice.receipt(hash).await.expect("query").expect("mined");
            assert!(!receipt.status);
        }
        other => panic!("expected a mined revert, got {other}"),
    }
    assert_eq!(alice.nonce(alice.sender()).await.expect("nonce"), nonce + 1, "the failed transaction used its nonce");

    let transfer = TestToken::transferCall { to: Address::repeat_byte(2), value: U256::from(1) };
    let err = alice
        .send(TxRequest::call(token, transfer.abi_encode()).with_gas_limit(23_000))
        .await
        .expect_err("runs out of gas");
    assert!(matches!(err, ChainError::Halted { .. }), "expected a halt, got {err}");
    assert_eq!(alice.nonce(alice.sender()).await.expect("nonce"), nonce + 2);
}

/// Transactions signed elsewhere (`send_raw`) and managed sends interleave without nonce trouble.
pub(crate) async fn raw_and_managed_sends_interleave<C: ChainClient>(alice: C, signer: PrivateKeySigner) {
    let to = Address::repeat_byte(0x33);
    alice.send(TxRequest::transfer(to, U256::from(1))).await.expect("managed send");
    let nonce = alice.nonce(alice.sender()).await.expect("nonce");
    let fees = FeeQuote { max_fee_per_gas: 100_000_000_000, max_priority_fee_per_gas: 1_000_000_000 };
    let raw = sign_request(&signer, alice.chain_id(), nonce, 21_000, fees, &TxRequest::transfer(to, U256::from(2)))
        .expect("signs");
    let receipt = alice.send_raw(raw.encoded_2718().into()).await.expect("raw send");
    assert!(receipt.status);
    alice.send(TxRequest::transfer(to, U256::from(3))).await.expect("managed send after a raw one");
    assert_eq!(alice.balance(to).await.expect("balance"), U256::from(6));
    assert_eq!(alice.nonce(alice.sender()).await.expect("nonce"), nonce + 2);
}
