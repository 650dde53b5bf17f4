//! MachineRegistry: operators and their stake, machines (signer, active, location, slots, stock, offline credit
//! cap), the Storefront's stock hooks (STOREFRONT_ROLE) and reputation (REPUTATION_ROLE).

use alloy_primitives::{Address, FixedBytes, U256};
use automat_chain::{ChainClient, ChainClientExt, ChainError, Receipt};
use automat_contracts::vending::{
    MachineRegistry::{self, MachineRegistryEvents as Ev},
    PaymentToken, Slot, fixed_ascii,
};
use automat_devnet::EmbeddedClient;

use crate::common::*;

fn geohash(text: &str) -> FixedBytes<8> {
    fixed_ascii::<8>(text).into()
}

fn jurisdiction(text: &str) -> FixedBytes<2> {
    fixed_ascii::<2>(text).into()
}

fn slot(item: u64, stock: u32, min: u128, max: u128) -> Slot {
    Slot { itemId: item, stock, minPrice: min, maxPrice: max }
}

impl Fixture {
    async fn registry_send<C: alloy_sol_types::SolCall + Sync>(
        &self,
        client: &EmbeddedClient,
        call: &C,
    ) -> Result<Receipt, ChainError> {
        client.send_sol(self.suite.registry, call).await
    }

    async fn operator_of(&self, who: Address) -> MachineRegistry::Operator {
        self.admin
            .call_sol(self.suite.registry, &MachineRegistry::operatorOfCall { operator: who })
            .await
            .expect("operatorOf")
    }

    async fn machine_of(&self, machine: u64) -> MachineRegistry::Machine {
        self.admin
            .call_sol(self.suite.registry, &MachineRegistry::machineCall { machineId: machine })
            .await
            .expect("machine")
    }

    async fn slot_of(&self, machine: u64, slot: u16) -> Slot {
        self.admin
            .call_sol(self.suite.registry, &MachineRegistry::slotOfCall { machineId: machine, slot })
            .await
            .expect("slotOf")
    }

    /// The admin takes STOREFRONT_ROLE to drive the stock hooks directly.
    async fn admin_as_storefront(&self) {
        self.grant(self.suite.registry, role("STOREFRONT_ROLE"), self.admin.sender()).await;
    }
}

fn reg_events(fx: &Fixture, receipt: &Receipt) -> Vec<Ev> {
    all_events::<Ev>(receipt, fx.suite.registry)
}

// ---------------------------------------------------------------------- deployment

#[tokio::test]
async fn deployment_state_and_roles() {
    let fx = Fixture::new().await;
    let registry = fx.suite.registry;
    let c = &fx.admin;
    assert_eq!(c.call_sol(registry, &MachineRegistry::stakeTokenCall {}).await.expect("view"), fx.suite.token);
    assert_eq!(
        c.call_sol(registry, &MachineRegistry::minOperatorStakeCall {}).await.expect("view"),
        U256::from(MIN_STAKE)
    );
    assert_eq!(c.call_sol(registry, &MachineRegistry::machineCountCall {}).await.expect("view"), 1);
    assert_eq!(c.call_sol(registry, &MachineRegistry::INITIAL_REPUTATIONCall {}).await.expect("view"), 500);
    assert_eq!(c.call_sol(registry, &MachineRegistry::MAX_REPUTATIONCall {}).await.expect("view"), 1000);
    assert_eq!(c.call_sol(registry, &MachineRegistry::MAX_SLOTSCall {}).await.expect("view"), 64);
    let storefront_role = c.call_sol(registry, &MachineRegistry::STOREFRONT_ROLECall {}).await.expect("view");
    assert_eq!(storefront_role, role("STOREFRONT_ROLE"));
    let reputation_role = c.call_sol(registry, &MachineRegistry::REPUTATION_ROLECall {}).await.expect("view");
    assert_eq!(reputation_role, role("REPUTATION_ROLE"));
    for (r, account, held) in [
        (DEFAULT_ADMIN_ROLE, fx.admin.sender(), true),
        (storefront_role, fx.suite.storefront, true),
        (storefront_role, fx.admin.sender(), false),
        (reputation_role, fx.admin.sender(), false),
    ] {
        let has = c.call_sol(registry, &MachineRegistry::hasRoleCall { role: r, account }).await.expect("hasRole");
        assert_eq!(has, held, "{account} holds {r}: {held}");
    }
}

// ---------------------------------------------------------------------- operators

#[tokio::test]
async fn register_operator_pulls_the_stake() {
    let fx = Fixture::new().await;
    let who = fx.stranger.sender();
    let stake = 150 * USD;
    fx.approve(&fx.stranger, fx.suite.registry, stake).await;
    let receipt = fx
        .registry_send(&fx.stranger, &MachineRegistry::registerOperatorCall { stake: U256::from(stake) })
        .await
        .expect("registers");
    assert_eq!(
        reg_events(&fx, &receipt),
        vec![Ev::OperatorRegistered(MachineRegistry::OperatorRegistered { operator: who, stake: U256::from(stake) })]
    );
    assert_eq!(
        events_from::<PaymentToken::Transfer>(&receipt, fx.suite.token),
        vec![PaymentToken::Transfer { from: who, to: fx.suite.registry, value: U256::from(stake) }]
    );
    assert_eq!(
        fx.operator_of(who).await,
        MachineRegistry::Operator { stake: U256::from(stake), activeMachines: 0, registered: true }
    );
    assert_eq!(fx.balance(who).await, U256::from(FUNDS - stake));
    assert_eq!(fx.balance(fx.suite.registry).await, U256::from(OPERATOR_STAKE + stake));
}

#[tokio::test]
async fn register_operator_twice_reverts() {
    let fx = Fixture::new().await;
    fx.approve(&fx.operator, fx.suite.registry, MIN_STAKE).await;
    assert_revert(
        fx.registry_send(&fx.operator, &MachineRegistry::registerOperatorCall { stake: U256::from(MIN_STAKE) }).await,
        MachineRegistry::OperatorAlreadyRegistered { operator: fx.operator.sender() },
    );
}

#[tokio::test]
async fn register_operator_below_the_minimum_reverts() {
    let fx = Fixture::new().await;
    let stake = U256::from(MIN_STAKE - 1);
    fx.approve(&fx.stranger, fx.suite.registry, MIN_STAKE).await;
    assert_revert(
        fx.registry_send(&fx.stranger, &MachineRegistry::registerOperatorCall { stake }).await,
        MachineRegistry::StakeTooLow { stake, minStake: U256::from(MIN_STAKE) },
    );
}

#[tokio::test]
async fn add_stake_tops_up() {
    let fx = Fixture::new().await;
    let op = fx.operator.sender();
    fx.approve(&fx.operator, fx.suite.registry, 50 * USD).await;
    let receipt = fx
        .registry_send(&fx.operator, &MachineRegistry::addStakeCall { amount: U256::from(50 * USD) })
        .await
        .expect("adds stake");
    assert_eq!(
        reg_events(&fx, &receipt),
        vec![Ev::StakeAdded(MachineRegistry::StakeAdded {
            operator: op,
            amount: U256::from(50 * USD),
            stake: U256::from(OPERATOR_STAKE + 50 * USD),
        })]
    );
    assert_eq!(fx.operator_of(op).await.stake, U256::from(OPERATOR_STAKE + 50 * USD));
    assert_eq!(fx.balance(fx.suite.registry).await, U256::from(OPERATOR_STAKE + 50 * USD));
}

#[tokio::test]
async fn add_stake_of_an_unregistered_caller_reverts() {
    let fx = Fixture::new().await;
    fx.approve(&fx.stranger, fx.suite.registry, USD).await;
    assert_revert(
        fx.registry_send(&fx.stranger, &MachineRegistry::addStakeCall { amount: U256::from(USD) }).await,
        MachineRegistry::OperatorNotRegistered { operator: fx.stranger.sender() },
    );
}

#[tokio::test]
async fn withdraw_stake_keeps_the_minimum_while_a_machine_is_active() {
    let fx = Fixture::new().await;
    let op = fx.operator.sender();
    let withdraw = |amount: u128| MachineRegistry::withdrawStakeCall { amount: U256::from(amount) };

    let receipt = fx.registry_send(&fx.operator, &withdraw(100 * USD)).await.expect("down to the minimum");
    assert_eq!(
        reg_events(&fx, &receipt),
        vec![Ev::StakeWithdrawn(MachineRegistry::StakeWithdrawn {
            operator: op,
            amount: U256::from(100 * USD),
            stake: U256::from(100 * USD),
        })]
    );
    assert_eq!(
        events_from::<PaymentToken::Transfer>(&receipt, fx.suite.token),
        vec![PaymentToken::Transfer { from: fx.suite.registry, to: op, value: U256::from(100 * USD) }]
    );
    assert_eq!(fx.balance(op).await, U256::from(FUNDS - OPERATOR_STAKE + 100 * USD));

    assert_revert(
        fx.registry_send(&fx.operator, &withdraw(1)).await,
        MachineRegistry::StakeTooLow { stake: U256::from(100 * USD - 1), minStake: U256::from(MIN_STAKE) },
    );
    assert_revert(
        fx.registry_send(&fx.operator, &withdraw(100 * USD + 1)).await,
        MachineRegistry::StakeInsufficient { requested: U256::from(100 * USD + 1), stake: U256::from(100 * USD) },
    );

    // With its only machine switched off the operator may take everything out.
    fx.registry_send(&fx.operator, &MachineRegistry::setActiveCall { machineId: fx.machine, active: false })
        .await
        .expect("switch off");
    let receipt = fx.registry_send(&fx.operator, &withdraw(100 * USD)).await.expect("withdraws the rest");
    assert_eq!(
        reg_events(&fx, &receipt),
        vec![Ev::StakeWithdrawn(MachineRegistry::StakeWithdrawn {
            operator: op,
            amount: U256::from(100 * USD),
            stake: U256::ZERO,
        })]
    );
    assert_eq!(
        fx.operator_of(op).await,
        MachineRegistry::Operator { stake: U256::ZERO, activeMachines: 0, registered: true }
    );
}

#[tokio::test]
async fn withdraw_stake_of_an_unregistered_caller_reverts() {
    let fx = Fixture::new().await;
    assert_revert(
        fx.registry_send(&fx.stranger, &MachineRegistry::withdrawStakeCall { amount: U256::from(1) }).await,
        MachineRegistry::OperatorNotRegistered { operator: fx.stranger.sender() },
    );
}

#[tokio::test]
async fn set_min_operator_stake_is_admin_only() {
    let fx = Fixture::new().await;
    let call = MachineRegistry::setMinOperatorStakeCall { minStake: U256::from(300 * USD) };
    let receipt = fx.registry_send(&fx.admin, &call).await.expect("admin sets");
    assert_eq!(
        reg_events(&fx, &receipt),
        vec![Ev::MinOperatorStakeChanged(MachineRegistry::MinOperatorStakeChanged { minStake: U256::from(300 * USD) })]
    );
    let min = fx.admin.call_sol(fx.suite.registry, &MachineRegistry::minOperatorStakeCall {}).await.expect("view");
    assert_eq!(min, U256::from(300 * USD));
    assert_revert(
        fx.registry_send(&fx.stranger, &call).await,
        MachineRegistry::AccessControlUnauthorizedAccount {
            account: fx.stranger.sender(),
            neededRole: DEFAULT_ADMIN_ROLE,
        },
    );
}

// ---------------------------------------------------------------------- machines

#[tokio::test]
async fn register_machine_records_everything_and_emits_in_order() {
    let fx = Fixture::new().await;
    let op = fx.operator.sender();
    let signer = key("machine 2").address();
    let slots = vec![slot(7, 10, 2 * USD, 2 * USD), slot(8, 0, 1, 5 * USD), slot(9, u32::MAX, USD, 4 * USD)];
    let cap = 20 * USD;
    let call = fx.register_machine_call(signer, slots.clone(), cap);
    assert_eq!(fx.operator.call_sol(fx.suite.registry, &call).await.expect("simulates"), 2, "returns the new id");
    let receipt = fx.registry_send(&fx.operator, &call).await.expect("registers");

    let mut expected = vec![
        Ev::MachineRegistered(MachineRegistry::MachineRegistered {
            machineId: 2,
            operator: op,
            signer,
            geohash: geohash(GEOHASH),
            jurisdiction: jurisdiction(JURISDICTION),
        }),
        Ev::MachineActiveChanged(MachineRegistry::MachineActiveChanged { machineId: 2, active: true }),
        Ev::OfflineCreditCapChanged(MachineRegistry::OfflineCreditCapChanged { machineId: 2, cap }),
        Ev::ReputationChanged(MachineRegistry::ReputationChanged { machineId: 2, previous: 0, current: 500 }),
    ];
    for (i, s) in slots.iter().enumerate() {
        let index = u16::try_from(i).expect("few slots");
        expected.push(Ev::SlotConfigured(MachineRegistry::SlotConfigured {
            machineId: 2,
            slot: index,
            itemId: s.itemId,
            minPrice: s.minPrice,
            maxPrice: s.maxPrice,
        }));
        expected.push(Ev::StockChanged(MachineRegistry::StockChanged { machineId: 2, slot: index, stock: s.stock }));
    }
    assert_eq!(reg_events(&fx, &receipt), expected);

    assert_eq!(
        fx.machine_of(2).await,
        MachineRegistry::Machine {
            operator: op,
            signer,
            geohash: geohash(GEOHASH),
            jurisdiction: jurisdiction(JURISDICTION),
            active: true,
            reputation: 500,
            slotCount: 3,
            offlineCreditCap: cap,
        }
    );
    for (i, s) in slots.iter().enumerate() {
        assert_eq!(&fx.slot_of(2, u16::try_from(i).expect("few slots")).await, s);
    }
    let keys = fx
        .admin
        .call_sol(fx.suite.registry, &MachineRegistry::machineKeysCall { machineId: 2 })
        .await
        .expect("machineKeys");
    assert_eq!((keys.operator, keys.signer), (op, signer));
    assert_eq!(fx.operator_of(op).await.activeMachines, 2);
    assert_eq!(fx.admin.call_sol(fx.suite.registry, &MachineRegistry::machineCountCall {}).await.expect("view"), 2);
}

#[tokio::test]
async fn register_machine_by_an_unregistered_caller_reverts() {
    let fx = Fixture::new().await;
    let call = fx.register_machine_call(key("m").address(), machine_slots(), 0);
    assert_revert(
        fx.registry_send(&fx.stranger, &call).await,
        MachineRegistry::OperatorNotRegistered { operator: fx.stranger.sender() },
    );
}

#[tokio::test]
async fn register_machine_below_the_minimum_stake_reverts() {
    let fx = Fixture::new().await;
    fx.registry_send(&fx.admin, &MachineRegistry::setMinOperatorStakeCall { minStake: U256::from(300 * USD) })
        .await
        .expect("raise the minimum");
    let call = fx.register_machine_call(key("m").address(), machine_slots(), 0);
    assert_revert(
        fx.registry_send(&fx.operator, &call).await,
        MachineRegistry::StakeTooLow { stake: U256::from(OPERATOR_STAKE), minStake: U256::from(300 * USD) },
    );
}

#[tokio::test]
async fn register_machine_with_the_zero_signer_reverts() {
    let fx = Fixture::new().await;
    let call = fx.register_machine_call(Address::ZERO, machine_slots(), 0);
    assert_revert(fx.registry_send(&fx.operator, &call).await, MachineRegistry::InvalidSigner {});
}

#[tokio::test]
async fn register_machine_with_too_many_slots_reverts() {
    let fx = Fixture::new().await;
    let call = fx.register_machine_call(key("m").address(), vec![slot(1, 1, 1, 1); 65], 0);
    assert_revert(
        fx.registry_send(&fx.operator, &call).await,
        MachineRegistry::TooManySlots { count: U256::from(65), max: 64 },
    );
    // Exactly MAX_SLOTS is fine.
    let call = fx.register_machine_call(key("m").address(), vec![slot(1, 1, 1, 1); 64], 0);
    fx.registry_send(&fx.operator, &call).await.expect("64 slots");
}

#[tokio::test]
async fn register_machine_with_a_credit_cap_above_the_stake_reverts() {
    let fx = Fixture::new().await;
    let call = fx.register_machine_call(key("m").address(), machine_slots(), OPERATOR_STAKE + 1);
    assert_revert(
        fx.registry_send(&fx.operator, &call).await,
        MachineRegistry::CreditCapAboveStake { cap: OPERATOR_STAKE + 1, stake: U256::from(OPERATOR_STAKE) },
    );
}

#[tokio::test]
async fn register_machine_with_an_invalid_price_band_reverts() {
    let fx = Fixture::new().await;
    for (min, max) in [(3 * USD, 2 * USD), (0, 0)] {
        let call = fx.register_machine_call(key("m").address(), vec![slot(1, 1, USD, USD), slot(2, 1, min, max)], 0);
        assert_revert(
            fx.registry_send(&fx.operator, &call).await,
            MachineRegistry::InvalidPriceBand { minPrice: min, maxPrice: max },
        );
    }
}

#[tokio::test]
async fn set_signer_replaces_the_key() {
    let fx = Fixture::new().await;
    let signer = key("new machine key").address();
    let call = MachineRegistry::setSignerCall { machineId: fx.machine, signer };
    let receipt = fx.registry_send(&fx.operator, &call).await.expect("sets");
    assert_eq!(
        reg_events(&fx, &receipt),
        vec![Ev::MachineSignerChanged(MachineRegistry::MachineSignerChanged { machineId: fx.machine, signer })]
    );
    assert_eq!(fx.machine_of(fx.machine).await.signer, signer);

    assert_revert(
        fx.registry_send(
            &fx.operator,
            &MachineRegistry::setSignerCall { machineId: fx.machine, signer: Address::ZERO },
        )
        .await,
        MachineRegistry::InvalidSigner {},
    );
    assert_revert(
        fx.registry_send(&fx.stranger, &call).await,
        MachineRegistry::NotMachineOperator { machineId: fx.machine, caller: fx.stranger.sender() },
    );
    assert_revert(
        fx.registry_send(&fx.operator, &MachineRegistry::setSignerCall { machineId: 7, signer }).await,
        MachineRegistry::MachineNotFound { machineId: 7 },
    );
}

#[tokio::test]
async fn set_active_switches_and_counts_active_machines() {
    let fx = Fixture::new().await;
    let op = fx.operator.sender();
    let set = |active: bool| MachineRegistry::setActiveCall { machineId: fx.machine, active };

    let receipt = fx.registry_send(&fx.operator, &set(false)).await.expect("off");
    assert_eq!(
        reg_events(&fx, &receipt),
        vec![Ev::MachineActiveChanged(MachineRegistry::MachineActiveChanged { machineId: fx.machine, active: false })]
    );
    assert!(!fx.machine_of(fx.machine).await.active);
    assert_eq!(fx.operator_of(op).await.activeMachines, 0);

    let receipt = fx.registry_send(&fx.operator, &set(false)).await.expect("off again is a no-op");
    assert!(receipt.logs.is_empty(), "no event for a no-op");
    assert_eq!(fx.operator_of(op).await.activeMachines, 0);

    let receipt = fx.registry_send(&fx.operator, &set(true)).await.expect("on");
    assert_eq!(
        reg_events(&fx, &receipt),
        vec![Ev::MachineActiveChanged(MachineRegistry::MachineActiveChanged { machineId: fx.machine, active: true })]
    );
    assert_eq!(fx.operator_of(op).await.activeMachines, 1);

    assert_revert(
        fx.registry_send(&fx.stranger, &set(false)).await,
        MachineRegistry::NotMachineOperator { machineId: fx.machine, caller: fx.stranger.sender() },
    );
}

#[tokio::test]
async fn reactivating_below_the_minimum_stake_reverts() {
    let fx = Fixture::new().await;
    fx.registry_send(&fx.operator, &MachineRegistry::setActiveCall { machineId: fx.machine, active: false })
        .await
        .expect("off");
    fx.registry_send(&fx.operator, &MachineRegistry::withdrawStakeCall { amount: U256::from(150 * USD) })
        .await
        .expect("withdraw below the minimum while nothing runs");
    assert_revert(
        fx.registry_send(&fx.operator, &MachineRegistry::setActiveCall { machineId: fx.machine, active: true }).await,
        MachineRegistry::StakeTooLow { stake: U256::from(50 * USD), minStake: U256::from(MIN_STAKE) },
    );
    assert!(!fx.machine_of(fx.machine).await.active);
}

#[tokio::test]
async fn set_location_moves_the_machine() {
    let fx = Fixture::new().await;
    let call = MachineRegistry::setLocationCall {
        machineId: fx.machine,
        geohash: geohash("u6sce"),
        jurisdiction: jurisdiction("SE"),
    };
    let receipt = fx.registry_send(&fx.operator, &call).await.expect("moves");
    assert_eq!(
        reg_events(&fx, &receipt),
        vec![Ev::MachineLocationChanged(MachineRegistry::MachineLocationChanged {
            machineId: fx.machine,
            geohash: geohash("u6sce"),
            jurisdiction: jurisdiction("SE"),
        })]
    );
    let m = fx.machine_of(fx.machine).await;
    assert_eq!((m.geohash, m.jurisdiction), (geohash("u6sce"), jurisdiction("SE")));
    assert_revert(
        fx.registry_send(&fx.stranger, &call).await,
        MachineRegistry::NotMachineOperator { machineId: fx.machine, caller: fx.stranger.sender() },
    );
}

#[tokio::test]
async fn set_offline_credit_cap_is_bounded_by_the_stake() {
    let fx = Fixture::new().await;
    let call = MachineRegistry::setOfflineCreditCapCall { machineId: fx.machine, cap: OPERATOR_STAKE };
    let receipt = fx.registry_send(&fx.operator, &call).await.expect("cap = stake is allowed");
    assert_eq!(
        reg_events(&fx, &receipt),
        vec![Ev::OfflineCreditCapChanged(MachineRegistry::OfflineCreditCapChanged {
            machineId: fx.machine,
            cap: OPERATOR_STAKE,
        })]
    );
    assert_eq!(fx.machine_of(fx.machine).await.offlineCreditCap, OPERATOR_STAKE);
    assert_revert(
        fx.registry_send(
            &fx.operator,
            &MachineRegistry::setOfflineCreditCapCall { machineId: fx.machine, cap: OPERATOR_STAKE + 1 },
        )
        .await,
        MachineRegistry::CreditCapAboveStake { cap: OPERATOR_STAKE + 1, stake: U256::from(OPERATOR_STAKE) },
    );
    assert_revert(
        fx.registry_send(&fx.stranger, &call).await,
        MachineRegistry::NotMachineOperator { machineId: fx.machine, caller: fx.stranger.sender() },
    );
}

#[tokio::test]
async fn configure_slot_updates_and_appends() {
    let fx = Fixture::new().await;
    let m = fx.machine;
    let configure = |slot: u16, item: u64, min: u128, max: u128| MachineRegistry::configureSlotCall {
        machineId: m,
        slot,
        itemId: item,
        minPrice: min,
        maxPrice: max,
    };

    let receipt = fx.registry_send(&fx.operator, &configure(0, 999, 2 * USD, 4 * USD)).await.expect("update");
    assert_eq!(
        reg_events(&fx, &receipt),
        vec![Ev::SlotConfigured(MachineRegistry::SlotConfigured {
            machineId: m,
            slot: 0,
            itemId: 999,
            minPrice: 2 * USD,
            maxPrice: 4 * USD,
        })]
    );
    assert_eq!(fx.slot_of(m, 0).await, slot(999, 5, 2 * USD, 4 * USD), "stock is kept");

    let receipt = fx.registry_send(&fx.operator, &configure(2, 3, 1, 1)).await.expect("append slot 2");
    assert_eq!(
        reg_events(&fx, &receipt),
        vec![Ev::SlotConfigured(MachineRegistry::SlotConfigured {
            machineId: m,
            slot: 2,
            itemId: 3,
            minPrice: 1,
            maxPrice: 1,
        })]
    );
    assert_eq!(fx.machine_of(m).await.slotCount, 3);
    assert_eq!(fx.slot_of(m, 2).await, slot(3, 0, 1, 1), "a new slot starts empty");

    assert_revert(
        fx.registry_send(&fx.operator, &configure(4, 3, 1, 1)).await,
        MachineRegistry::SlotNotFound { machineId: m, slot: 4 },
    );
    for (min, max) in [(5, 4), (0, 0)] {
        assert_revert(
            fx.registry_send(&fx.operator, &configure(0, 1, min, max)).await,
            MachineRegistry::InvalidPriceBand { minPrice: min, maxPrice: max },
        );
    }
    assert_revert(
        fx.registry_send(&fx.stranger, &configure(0, 1, 1, 1)).await,
        MachineRegistry::NotMachineOperator { machineId: m, caller: fx.stranger.sender() },
    );
    assert_revert(
        fx.registry_send(
            &fx.operator,
            &MachineRegistry::configureSlotCall { machineId: 9, slot: 0, itemId: 1, minPrice: 1, maxPrice: 1 },
        )
        .await,
        MachineRegistry::MachineNotFound { machineId: 9 },
    );
}

#[tokio::test]
async fn configure_slot_beyond_max_slots_reverts() {
    let fx = Fixture::new().await;
    let call = fx.register_machine_call(key("m").address(), vec![slot(1, 1, 1, 1); 64], 0);
    fx.registry_send(&fx.operator, &call).await.expect("64 slots");
    assert_revert(
        fx.registry_send(
            &fx.operator,
            &MachineRegistry::configureSlotCall { machineId: 2, slot: 64, itemId: 1, minPrice: 1, maxPrice: 1 },
        )
        .await,
        MachineRegistry::TooManySlots { count: U256::from(65), max: 64 },
    );
}

#[tokio::test]
async fn restock_sets_the_stock() {
    let fx = Fixture::new().await;
    let m = fx.machine;
    let receipt = fx
        .registry_send(&fx.operator, &MachineRegistry::restockCall { machineId: m, slot: 1, stock: 40 })
        .await
        .expect("restock");
    assert_eq!(
        reg_events(&fx, &receipt),
        vec![Ev::StockChanged(MachineRegistry::StockChanged { machineId: m, slot: 1, stock: 40 })]
    );
    assert_eq!(fx.stock(m, 1).await, 40);
    assert_revert(
        fx.registry_send(&fx.operator, &MachineRegistry::restockCall { machineId: m, slot: 2, stock: 1 }).await,
        MachineRegistry::SlotNotFound { machineId: m, slot: 2 },
    );
    assert_revert(
        fx.registry_send(&fx.stranger, &MachineRegistry::restockCall { machineId: m, slot: 0, stock: 1 }).await,
        MachineRegistry::NotMachineOperator { machineId: m, caller: fx.stranger.sender() },
    );
}

// ---------------------------------------------------------------------- storefront hooks

#[tokio::test]
async fn stock_hooks_need_the_storefront_role() {
    let fx = Fixture::new().await;
    let m = fx.machine;
    let denied = || MachineRegistry::AccessControlUnauthorizedAccount {
        account: fx.stranger.sender(),
        neededRole: role("STOREFRONT_ROLE"),
    };
    assert_revert(
        fx.registry_send(&fx.stranger, &MachineRegistry::reserveStockCall { machineId: m, slot: 0 }).await,
        denied(),
    );
    assert_revert(
        fx.registry_send(&fx.stranger, &MachineRegistry::releaseStockCall { machineId: m, slot: 0 }).await,
        denied(),
    );
    assert_revert(
        fx.registry_send(&fx.stranger, &MachineRegistry::consumeOfflineStockCall { machineId: m, slot: 0 }).await,
        denied(),
    );
    // Nor does the machine's own operator hold it.
    assert_revert(
        fx.registry_send(&fx.operator, &MachineRegistry::reserveStockCall { machineId: m, slot: 0 }).await,
        MachineRegistry::AccessControlUnauthorizedAccount {
            account: fx.operator.sender(),
            neededRole: role("STOREFRONT_ROLE"),
        },
    );
    assert_eq!(fx.stock(m, 0).await, 5);
}

#[tokio::test]
async fn reserve_stock_takes_one_unit_and_reports_the_slot() {
    let fx = Fixture::new().await;
    fx.admin_as_storefront().await;
    let m = fx.machine;
    let call = MachineRegistry::reserveStockCall { machineId: m, slot: 0 };
    let reservation = fx.admin.call_sol(fx.suite.registry, &call).await.expect("simulates");
    assert_eq!(
        reservation,
        MachineRegistry::Reservation {
            operator: fx.operator.sender(),
            signer: fx.machine_key.address(),
            itemId: 101,
            minPrice: USD,
            maxPrice: 3 * USD,
        }
    );
    let receipt = fx.registry_send(&fx.admin, &call).await.expect("reserves");
    assert_eq!(
        reg_events(&fx, &receipt),
        vec![Ev::StockChanged(MachineRegistry::StockChanged { machineId: m, slot: 0, stock: 4 })]
    );
    assert_eq!(fx.stock(m, 0).await, 4);
}

#[tokio::test]
async fn reserve_stock_errors() {
    let fx = Fixture::new().await;
    fx.admin_as_storefront().await;
    let m = fx.machine;
    let reserve = |machine: u64, slot: u16| MachineRegistry::reserveStockCall { machineId: machine, slot };
    assert_revert(fx.registry_send(&fx.admin, &reserve(9, 0)).await, MachineRegistry::MachineNotFound { machineId: 9 });
    assert_revert(
        fx.registry_send(&fx.admin, &reserve(m, 2)).await,
        MachineRegistry::SlotNotFound { machineId: m, slot: 2 },
    );
    fx.registry_send(&fx.operator, &MachineRegistry::restockCall { machineId: m, slot: 1, stock: 0 })
        .await
        .expect("empty slot 1");
    assert_revert(
        fx.registry_send(&fx.admin, &reserve(m, 1)).await,
        MachineRegistry::SoldOut { machineId: m, slot: 1 },
    );
    fx.registry_send(&fx.operator, &MachineRegistry::setActiveCall { machineId: m, active: false }).await.expect("off");
    assert_revert(fx.registry_send(&fx.admin, &reserve(m, 0)).await, MachineRegistry::MachineInactive { machineId: m });
}

#[tokio::test]
async fn release_stock_puts_one_unit_back() {
    let fx = Fixture::new().await;
    fx.admin_as_storefront().await;
    let m = fx.machine;
    let release = |machine: u64, slot: u16| MachineRegistry::releaseStockCall { machineId: machine, slot };
    let receipt = fx.registry_send(&fx.admin, &release(m, 0)).await.expect("releases");
    assert_eq!(
        reg_events(&fx, &receipt),
        vec![Ev::StockChanged(MachineRegistry::StockChanged { machineId: m, slot: 0, stock: 6 })]
    );
    assert_revert(
        fx.registry_send(&fx.admin, &release(m, 2)).await,
        MachineRegistry::SlotNotFound { machineId: m, slot: 2 },
    );
    assert_revert(fx.registry_send(&fx.admin, &release(9, 0)).await, MachineRegistry::MachineNotFound { machineId: 9 });
    fx.registry_send(&fx.operator, &MachineRegistry::restockCall { machineId: m, slot: 0, stock: u32::MAX })
        .await
        .expect("fill to the brim");
    // Saturates at the maximum (no event: nothing changed) rather than reverting, so no refund can be blocked.
    let receipt = fx.registry_send(&fx.admin, &release(m, 0)).await.expect("saturates");
    assert!(reg_events(&fx, &receipt).is_empty());
}

#[tokio::test]
async fn consume_offline_stock_lowers_the_count_but_never_below_zero() {
    let fx = Fixture::new().await;
    fx.admin_as_storefront().await;
    let m = fx.machine;
    let consume = |machine: u64, slot: u16| MachineRegistry::consumeOfflineStockCall { machineId: machine, slot };
    // It works on a machine that is switched off: the sale already happened.
    fx.registry_send(&fx.operator, &MachineRegistry::setActiveCall { machineId: m, active: false }).await.expect("off");
    let reservation = fx.admin.call_sol(fx.suite.registry, &consume(m, 1)).await.expect("simulates");
    assert_eq!(
        reservation,
        MachineRegistry::Reservation {
            operator: fx.operator.sender(),
            signer: fx.machine_key.address(),
            itemId: 202,
            minPrice: USD / 2,
            maxPrice: 2 * USD,
        }
    );
    for expected in [1, 0] {
        let receipt = fx.registry_send(&fx.admin, &consume(m, 1)).await.expect("consumes");
        assert_eq!(
            reg_events(&fx, &receipt),
            vec![Ev::StockChanged(MachineRegistry::StockChanged { machineId: m, slot: 1, stock: expected })]
        );
    }
    let receipt = fx.registry_send(&fx.admin, &consume(m, 1)).await.expect("an empty slot still records the sale");
    assert!(receipt.logs.is_empty(), "no StockChanged when nothing changed");
    assert_eq!(fx.stock(m, 1).await, 0);

    assert_revert(fx.registry_send(&fx.admin, &consume(9, 0)).await, MachineRegistry::MachineNotFound { machineId: 9 });
    assert_revert(
        fx.registry_send(&fx.admin, &consume(m, 5)).await,
        MachineRegistry::SlotNotFound { machineId: m, slot: 5 },
    );
}

// ---------------------------------------------------------------------- reputation

#[tokio::test]
async fn adjust_reputation_clamps_to_zero_and_the_maximum() {
    let fx = Fixture::new().await;
    let m = fx.machine;
    let adjust = |delta: i32| MachineRegistry::adjustReputationCall { machineId: m, delta };
    assert_revert(
        fx.registry_send(&fx.admin, &adjust(1)).await,
        MachineRegistry::AccessControlUnauthorizedAccount {
            account: fx.admin.sender(),
            neededRole: role("REPUTATION_ROLE"),
        },
    );
    let court = fx.client(4);
    fx.grant(fx.suite.registry, role("REPUTATION_ROLE"), court.sender()).await;

    for (delta, previous, current) in [
        (100, 500, 600),
        (10_000, 600, 1000),
        (-1, 1000, 999),
        (-5_000, 999, 0),
        (-1, 0, 0),
        (i32::MAX, 0, 1000),
        (i32::MIN, 1000, 0),
    ] {
        let receipt = fx.registry_send(&court, &adjust(delta)).await.expect("adjusts");
        assert_eq!(
            reg_events(&fx, &receipt),
            vec![Ev::ReputationChanged(MachineRegistry::ReputationChanged { machineId: m, previous, current })],
            "delta {delta}"
        );
        assert_eq!(fx.machine_of(m).await.reputation, current);
    }
    assert_revert(
        fx.registry_send(&court, &MachineRegistry::adjustReputationCall { machineId: 9, delta: 1 }).await,
        MachineRegistry::MachineNotFound { machineId: 9 },
    );
}

// ---------------------------------------------------------------------- views

#[tokio::test]
async fn views_of_unknown_machines_and_slots_revert() {
    let fx = Fixture::new().await;
    let r = fx.suite.registry;
    assert_revert(
        fx.admin.call_sol(r, &MachineRegistry::machineCall { machineId: 0 }).await,
        MachineRegistry::MachineNotFound { machineId: 0 },
    );
    assert_revert(
        fx.admin.call_sol(r, &MachineRegistry::machineKeysCall { machineId: 5 }).await,
        MachineRegistry::MachineNotFound { machineId: 5 },
    );
    assert_revert(
        fx.admin.call_sol(r, &MachineRegistry::slotOfCall { machineId: fx.machine, slot: 2 }).await,
        MachineRegistry::SlotNotFound { machineId: fx.machine, slot: 2 },
    );
    assert_eq!(
        fx.operator_of(fx.stranger.sender()).await,
        MachineRegistry::Operator { stake: U256::ZERO, activeMachines: 0, registered: false }
    );
}
