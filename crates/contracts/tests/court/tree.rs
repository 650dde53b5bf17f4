//! The sortition tree against a model: after random sequences of weight changes (new jurors, raises, cuts,
//! zeros), the total is the sum of weights and `draw(r)` is the juror whose cumulative range contains `r`, at
//! every range boundary and at random points; `r` at or past the total reverts.

use std::cell::Cell;

use alloy_primitives::{Address, U256};
use alloy_sol_types::sol;
use automat_chain::{ChainClient, ChainClientExt, DevnetControl};
use automat_devnet::{Devnet, DevnetConfig, EmbeddedClient};
use proptest::{
    prelude::*,
    test_runner::{Config as ProptestConfig, TestRunner},
};

use crate::vending_common::assert_revert;

sol!(
    #[derive(Debug, PartialEq, Eq)]
    #[allow(missing_docs)]
    SortitionTreeHarness,
    "../../contracts/out/testing/SortitionTreeHarness.sol/SortitionTreeHarness.json"
);

/// Juror `k`'s address.
fn juror(k: u8) -> Address {
    Address::repeat_byte(k + 1)
}

/// The model: weights by juror, in indexing order (first non-zero set).
#[derive(Debug, Default)]
struct Model {
    order: Vec<Address>,
    weights: Vec<u128>,
}

impl Model {
    fn set(&mut self, who: Address, value: u128) {
        match self.order.iter().position(|a| *a == who) {
            Some(i) => self.weights[i] = value,
            None if value > 0 => {
                self.order.push(who);
                self.weights.push(value);
            }
            None => {}
        }
    }

    fn total(&self) -> u128 {
        self.weights.iter().sum()
    }

    fn draw(&self, r: u128) -> Address {
        let mut acc = 0;
        for (who, w) in self.order.iter().zip(&self.weights) {
            acc += w;
            if r < acc {
                return *who;
            }
        }
        panic!("r past the total");
    }
}

async fn check(client: &EmbeddedClient, harness: Address, ops: &[(u8, u128)], probes: &[u128]) {
    let mut model = Model::default();
    // Apply in batches so a case costs a few transactions.
    for chunk in ops.chunks(8) {
        let jurors = chunk.iter().map(|(k, _)| juror(*k)).collect();
        let values = chunk.iter().map(|(_, v)| U256::from(*v)).collect();
        client.send_sol(harness, &SortitionTreeHarness::setManyCall { jurors, values }).await.expect("setMany");
        for (k, v) in chunk {
            model.set(juror(*k), *v);
        }
    }
    let total = model.total();
    let on_chain = client.call_sol(harness, &SortitionTreeHarness::totalCall {}).await.expect("total");
    assert_eq!(on_chain, U256::from(total));
    let size = client.call_sol(harness, &SortitionTreeHarness::sizeCall {}).await.expect("size");
    assert_eq!(size, U256::from(model.order.len()));
    for who in &model.order {
        let v = client.call_sol(harness, &SortitionTreeHarness::valueOfCall { juror: *who }).await.expect("valueOf");
        let i = model.order.iter().position(|a| a == who).expect("indexed");
        assert_eq!(v, U256::from(model.weights[i]));
    }
    if total == 0 {
        return;
    }
    let mut points: Vec<u128> = probes.iter().map(|p| p % total).collect();
    let mut acc = 0;
    for w in &model.weights {
        if *w > 0 {
            points.push(acc);
            points.push(acc + w - 1);
        }
        acc += w;
    }
    for r in points {
        let drawn = client
            .call_sol(harness, &SortitionTreeHarness::drawCall { r: U256::from(r) })
            .await
            .expect("draw below the total");
        assert_eq!(drawn, model.draw(r), "draw({r}) of {model:?}");
    }
    assert_revert(
        client.call_sol(harness, &SortitionTreeHarness::drawCall { r: U256::from(total) }).await,
        SortitionTreeHarness::SortitionTreeOutOfRange { r: U256::from(total), total: U256::from(total) },
    );
}

#[test]
fn draws_match_the_cumulative_model() {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let devnet = Devnet::start(DevnetConfig::with_chains(1)).expect("devnet");
    let client = devnet.dev_client(devnet.chain_ids()[0], 0).expect("account 0");
    client
        .revert_decoder()
        .register_abi(&automat_contracts::artifacts::get("SortitionTreeHarness").expect("artifact").abi);
    let harness = rt.block_on(client.deploy(SortitionTreeHarness::BYTECODE.clone())).expect("harness deploys").address;
    let base = Cell::new(rt.block_on(client.snapshot()).expect("snapshot"));
    let ops = proptest::collection::vec(
        (0u8..40, prop_oneof![1 => Just(0u128), 6 => 1u128..1_000, 1 => 1u128..u128::from(u64::MAX)]),
        1..=80,
    );
    let probes = proptest::collection::vec(any::<u128>(), 0..16);
    let config =
        ProptestConfig { cases: 48, max_shrink_iters: 256, failure_persistence: None, ..ProptestConfig::default() };
    let mut runner = TestRunner::new(config);
    let result = runner.run(&(ops, probes), |(ops, probes)| {
        rt.block_on(async {
            client.revert(base.get()).await.expect("revert");
            base.set(client.snapshot().await.expect("snapshot"));
            check(&client, harness, &ops, &probes).await;
        });
        Ok(())
    });
    if let Err(failure) = result {
        panic!("{failure}");
    }
}
