//! Time to stock-out and reorder points.
#![allow(clippy::unwrap_used, missing_docs)]

use automat_oracle::data::{DemandConfig, HOURS_PER_DAY, HOURS_PER_WEEK, generate};
use automat_oracle::forecast::{MstlEts, SeasonalNaive};
use automat_oracle::inventory::{
    InventoryError, InventoryPolicy, hours_to_stockout, lead_time_error, plan_slot, reorder_point,
};

#[test]
fn stockout_is_the_first_hour_cumulative_demand_exceeds_stock() {
    let forecast = [1.0; 48];
    // Σ_{1..10} = 10 is not more than 10 units; the 11th hour is.
    assert_eq!(hours_to_stockout(&forecast, 10.0), Some(11));
    assert_eq!(hours_to_stockout(&forecast, 0.0), Some(1));
    assert_eq!(hours_to_stockout(&forecast, 48.0), None);
    assert_eq!(hours_to_stockout(&[0.0, 0.5, 0.0, 2.0], 1.0), Some(4));
    assert_eq!(hours_to_stockout(&[], 0.0), None);
}

#[test]
fn reorder_point_known_case() {
    // 24 hours of 1 unit, σ_L = 5, 95 % service: z = 1.6449, SS = 8.22, ROP = ⌈32.22⌉ = 33.
    let rop = reorder_point(&[1.0; 48], 24, 5.0, 0.95).unwrap();
    assert_eq!(rop.lead_time_demand, 24.0);
    assert!((rop.z - 1.644_853_626_951_472).abs() < 1e-9, "{}", rop.z);
    assert!((rop.safety_stock - 8.224_268_134_757_36).abs() < 1e-6);
    assert_eq!(rop.units, 33);
    // At 50 % service there is no safety stock; below, it is negative.
    assert_eq!(reorder_point(&[0.5; 10], 10, 3.0, 0.5).unwrap().units, 5);
    assert_eq!(reorder_point(&[0.5; 10], 10, 3.0, 0.1).unwrap().units, 2);
    // No error spread: the lead-time demand.
    assert_eq!(reorder_point(&[0.3; 10], 10, 0.0, 0.99).unwrap().units, 3);
}

#[test]
fn reorder_point_rejects_bad_inputs() {
    assert!(matches!(reorder_point(&[1.0; 5], 3, 1.0, 1.0), Err(InventoryError::ServiceLevel(_))));
    assert!(matches!(reorder_point(&[1.0; 5], 3, 1.0, 0.0), Err(InventoryError::ServiceLevel(_))));
    assert!(matches!(
        reorder_point(&[1.0; 5], 6, 1.0, 0.9),
        Err(InventoryError::LeadTime { lead_time: 6, horizon: 5 })
    ));
    assert!(matches!(reorder_point(&[1.0; 5], 0, 1.0, 0.9), Err(InventoryError::LeadTime { .. })));
    assert!(matches!(reorder_point(&[1.0; 5], 3, -1.0, 0.9), Err(InventoryError::BadValue(_))));
    assert!(matches!(reorder_point(&[1.0, f64::NAN], 2, 1.0, 0.9), Err(InventoryError::BadValue(_))));
}

#[test]
fn lead_time_error_is_the_rms_of_window_errors() {
    // Seasonal-naive with period 2 on 1,3,1,3,…,1,5: the windows [1,3] are forecast exactly, the last [1,5]
    // misses by 2, so with 2 windows σ = √((0² + 2²) / 2) = √2.
    let mut history: Vec<f64> = [1.0, 3.0].repeat(5);
    history.extend([1.0, 5.0]);
    let sigma = lead_time_error(&history, &SeasonalNaive { period: 2 }, 2, 2).unwrap();
    assert!((sigma - 2f64.sqrt()).abs() < 1e-12, "{sigma}");
    assert!(matches!(
        lead_time_error(&history, &SeasonalNaive { period: 2 }, 0, 2),
        Err(InventoryError::LeadTime { .. })
    ));
    assert!(matches!(lead_time_error(&history, &SeasonalNaive { period: 2 }, 6, 2), Err(InventoryError::Forecast(_))));
}

#[test]
fn plans_a_slot_and_meets_its_service_level_on_held_out_days() {
    // For each slot and each of two held-out days: plan with the history before that day, then check whether
    // the units sold in the next 24 hours stayed within the reorder point. At 90 % service the coverage over
    // 24 (slot, day) cases must be well above the 50 % a no-safety-stock plan would give.
    let config = DemandConfig {
        seed: 21,
        machines: 4,
        slots_per_machine: 3,
        hours: 6 * HOURS_PER_WEEK,
        capacity_cover: (5.0, 5.0), // big slots: sales are demand, so the check is about the forecast
        ..DemandConfig::default()
    };
    let data = generate(&config).unwrap();
    let model = MstlEts::default();
    let policy = InventoryPolicy { lead_time_hours: 24, service_level: 0.9, horizon: 48, error_origins: 4 };
    let (mut covered, mut cases) = (0, 0);
    for series in &data.series {
        for day in [2, 1] {
            let (history, future) = series.split_at(series.len() - day * HOURS_PER_DAY);
            let plan = plan_slot(&history, 10, &model, &policy).unwrap();
            assert_eq!((plan.machine, plan.slot, plan.stock), (series.machine, series.slot, 10));
            assert_eq!(plan.reorder_now, 10 <= plan.reorder_point.units);
            let sold: u32 = future.hours[..24].iter().map(|h| h.units_sold).sum();
            covered += usize::from(sold <= plan.reorder_point.units);
            cases += 1;
            let last = history.hours.last().unwrap().t;
            assert_eq!(plan.stockout_hour, plan.hours_to_stockout.map(|h| last + h as u64));
        }
    }
    println!("reorder point covered the next day's sales in {covered} of {cases} cases");
    assert!(covered * 100 >= cases * 75, "covered {covered} of {cases}");
}
