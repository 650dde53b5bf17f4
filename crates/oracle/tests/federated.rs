//! Federated learning: the FedAvg model forecasts held-out hours about as well as the centrally trained one,
//! and FedAvg weights updates by their sample counts.

use automat_oracle::data::{DemandConfig, HOURS_PER_WEEK, generate};
use automat_oracle::federated::{
    FederatedConfig, FederatedError, LocalUpdate, WEIGHTS, central_fit, compare, fedavg, fit_local, forecast,
};
use proptest::prelude::*;

const HELD_OUT: usize = 2 * HOURS_PER_WEEK;

#[test]
fn fedavg_is_within_ten_percent_of_central() {
    // Goal: fedavg_wape ≤ 1.1 × central_wape on held-out hours.
    for machines in [4, 12] {
        for seed in [0, 1, 2, 3] {
            let data = generate(&DemandConfig { seed, machines, ..DemandConfig::default() }).expect("generate");
            let c = compare(&data, HELD_OUT, FederatedConfig::default()).expect("compare");
            println!(
                "machines {machines:>2}, seed {seed}: central WAPE {:.4}, FedAvg {:.4} (×{:.4}), local-only {:.4}, \
                 hour-of-week-mean baseline {:.4}, {} held-out hours",
                c.central_wape,
                c.fedavg_wape,
                c.fedavg_wape / c.central_wape,
                c.local_wape,
                c.baseline_wape,
                c.scored_hours
            );
            assert!(c.fedavg_wape <= 1.1 * c.central_wape, "{c:?}");
            // Both learn something beyond the unfitted baseline.
            assert!(c.central_wape < c.baseline_wape && c.fedavg_wape < c.baseline_wape, "{c:?}");
            assert_eq!(c.updates.len(), machines as usize);
            assert_eq!(c.federated.machines, machines as usize);
            assert_eq!(c.federated.samples, c.central.samples);
            assert_eq!(c.federated.samples, c.updates.iter().map(|u| u.samples).sum::<usize>());
        }
    }
}

#[test]
fn local_updates_see_only_their_own_machine() {
    let data = generate(&DemandConfig { seed: 5, machines: 6, ..DemandConfig::default() }).expect("generate");
    let (history, _) = data.split(HELD_OUT).expect("split");
    let c = compare(&data, HELD_OUT, FederatedConfig::default()).expect("compare");
    for update in &c.updates {
        let own: Vec<_> = history.series.iter().filter(|s| s.machine == update.machine).cloned().collect();
        assert_eq!(&fit_local(&own, FederatedConfig::default()).expect("local"), update);
        // The central fit of one machine's data is its local fit.
        let central = central_fit(&own, FederatedConfig::default()).expect("central");
        assert_eq!(
            (central.weights.as_slice(), central.samples, central.machines),
            (update.weights.as_slice(), update.samples, 1)
        );
    }
    assert!(matches!(fit_local(&history.series, FederatedConfig::default()), Err(FederatedError::MixedMachines(0, 1))));
    assert!(matches!(fit_local(&[], FederatedConfig::default()), Err(FederatedError::NoData(_))));
    assert!(matches!(
        fit_local(&history.series[..1], FederatedConfig { window_weeks: 0 }),
        Err(FederatedError::BadWindow)
    ));
    // A history shorter than the window plus a week has no training rows.
    let (short, _) = data.split(data.series[0].len() - 3 * HOURS_PER_WEEK).expect("split");
    assert!(matches!(fit_local(&short.series[..1], FederatedConfig::default()), Err(FederatedError::NoData(_))));
}

#[test]
fn forecasts_are_non_negative_and_follow_the_planned_price() {
    let data = generate(&DemandConfig { seed: 6, ..DemandConfig::default() }).expect("generate");
    let (history, held_out) = data.split(HELD_OUT).expect("split");
    let model = central_fit(&history.series, FederatedConfig::default()).expect("central");
    for (past, future) in history.series.iter().zip(&held_out.series) {
        let f = forecast(&model.weights, past, &future.hours, FederatedConfig::default());
        assert_eq!(f.len(), future.len());
        assert!(f.iter().all(|v| v.is_finite() && *v >= 0.0));
    }
    // The learnt price effect is negative: a dearer planned price forecasts fewer sales.
    assert!(model.weights[4] < 0.0, "{:?}", model.weights);
    let (past, future) = (&history.series[0], &held_out.series[0]);
    let dear: Vec<_> =
        future.hours.iter().map(|h| automat_oracle::data::HourObs { price: h.price * 1.3, ..*h }).collect();
    let base_total: f64 = forecast(&model.weights, past, &future.hours, FederatedConfig::default()).iter().sum();
    let dear_total: f64 = forecast(&model.weights, past, &dear, FederatedConfig::default()).iter().sum();
    assert!(dear_total < base_total, "{dear_total} vs {base_total}");
}

fn update(machine: u64, weights: Vec<f64>, samples: usize) -> LocalUpdate {
    LocalUpdate { machine, weights, samples }
}

#[test]
fn fedavg_weights_by_sample_counts() {
    let a = update(1, vec![1.0, 0.0, -2.0], 1);
    let b = update(2, vec![3.0, 4.0, 2.0], 3);
    let g = fedavg(&[a.clone(), b.clone()]).expect("fedavg");
    assert_eq!(g.weights, vec![2.5, 3.0, 1.0]);
    assert_eq!((g.samples, g.machines), (4, 2));
    // An update without samples carries no weight.
    let idle = update(3, vec![100.0, 100.0, 100.0], 0);
    assert_eq!(fedavg(&[a.clone(), b, idle.clone()]).expect("fedavg").weights, g.weights);
    assert!(matches!(fedavg(&[]), Err(FederatedError::NoUpdates)));
    assert!(matches!(fedavg(&[idle]), Err(FederatedError::NoUpdates)));
    let short = update(4, vec![1.0], 5);
    assert!(matches!(fedavg(&[a, short]), Err(FederatedError::WeightMismatch { machine: 4, got: 1, expected: 3 })));
}

proptest! {
    #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn fedavg_of_identical_updates_is_the_update(
        weights in proptest::collection::vec(-10.0f64..10.0, WEIGHTS),
        counts in proptest::collection::vec(1usize..10_000, 1..8),
    ) {
        let updates: Vec<_> = counts.iter().enumerate().map(|(i, &n)| update(i as u64, weights.clone(), n)).collect();
        let g = fedavg(&updates).expect("fedavg");
        for (w, v) in g.weights.iter().zip(&weights) {
            prop_assert!((w - v).abs() <= 1e-12 * (1.0 + v.abs()));
        }
        prop_assert_eq!(g.samples, counts.iter().sum::<usize>());
    }

    #[test]
    fn fedavg_is_a_weighted_mean(
        updates in proptest::collection::vec((proptest::collection::vec(-10.0f64..10.0, 3), 1usize..1000), 1..8),
    ) {
        let list: Vec<_> = updates.iter().enumerate().map(|(i, (w, n))| update(i as u64, w.clone(), *n)).collect();
        let g = fedavg(&list).expect("fedavg");
        let mut reversed = list.clone();
        reversed.reverse();
        let r = fedavg(&reversed).expect("fedavg");
        for j in 0..3 {
            let lo = list.iter().map(|u| u.weights[j]).fold(f64::INFINITY, f64::min);
            let hi = list.iter().map(|u| u.weights[j]).fold(f64::NEG_INFINITY, f64::max);
            prop_assert!(g.weights[j] >= lo - 1e-9 && g.weights[j] <= hi + 1e-9);
            prop_assert!((g.weights[j] - r.weights[j]).abs() < 1e-9);
            // Doubling one update's samples moves the mean towards it.
            let mut doubled = list.clone();
            doubled[0].samples *= 2;
            let d = fedavg(&doubled).expect("fedavg");
            prop_assert!((d.weights[j] - list[0].weights[j]).abs() <= (g.weights[j] - list[0].weights[j]).abs() + 1e-9);
        }
    }
}
