//! Forecast error metrics: known values and properties.
#![allow(clippy::unwrap_used, missing_docs)]

use automat_oracle::metrics::{ErrorSums, MetricError, mase, mase_scale, smape, smape_term, wape};
use proptest::prelude::*;

#[test]
fn known_values() {
    let actual = [0.0, 2.0, 4.0, 0.0];
    let forecast = [1.0, 2.0, 2.0, 0.0];
    // Σ|e| = 1 + 0 + 2 + 0 = 3, Σa = 6.
    assert_eq!(wape(&actual, &forecast).unwrap(), 0.5);
    // Terms: 2·1/1 = 2, 0, 2·2/6 = 2/3, 0/0 → 0; mean (2 + 2/3) / 4.
    assert!((smape(&actual, &forecast).unwrap() - (2.0 + 2.0 / 3.0) / 4.0).abs() < 1e-12);
    // History 0,1,2,3,5 with season 2: |2−0| + |3−1| + |5−2| = 7 over 3 → q = 7/3; MAE = 3/4.
    let history = [0.0, 1.0, 2.0, 3.0, 5.0];
    assert!((mase_scale(&history, 2).unwrap() - 7.0 / 3.0).abs() < 1e-12);
    assert!((mase(&actual, &forecast, &history, 2).unwrap() - 0.75 / (7.0 / 3.0)).abs() < 1e-12);
    // Forecasting nothing against sales is a WAPE of exactly 1.
    assert_eq!(wape(&actual, &[0.0; 4]).unwrap(), 1.0);
}

#[test]
fn undefined_cases_are_errors() {
    assert_eq!(wape(&[0.0, 0.0], &[1.0, 0.0]), Err(MetricError::ZeroActuals));
    assert_eq!(wape(&[1.0], &[1.0, 2.0]), Err(MetricError::LengthMismatch { actual: 1, forecast: 2 }));
    assert_eq!(smape(&[], &[]), Err(MetricError::Empty));
    assert_eq!(smape(&[f64::NAN], &[1.0]), Err(MetricError::NonFinite));
    assert_eq!(smape_term(0.0, 0.0), 0.0);
    assert_eq!(smape_term(0.0, 3.0), 2.0);
    assert_eq!(mase_scale(&[1.0, 1.0, 1.0], 1), Err(MetricError::ZeroScale));
    assert_eq!(mase_scale(&[1.0, 2.0], 2), Err(MetricError::ZeroScale));
}

#[test]
fn sums_pool_windows() {
    let mut sums = ErrorSums::default();
    sums.add(&[1.0, 3.0], &[1.0, 1.0], &[0.0, 1.0, 0.0], 1).unwrap();
    sums.add(&[0.0, 4.0], &[2.0, 4.0], &[1.0, 1.0], 1).unwrap(); // zero MASE scale: left out of MASE only
    // Σ|e| = 0 + 2 + 2 + 0 = 4, Σa = 8.
    assert_eq!(sums.wape(), Some(0.5));
    assert_eq!(sums.hours, 4);
    assert_eq!(sums.mase_windows, 1);
    // First window: MAE 1, scale 1.
    assert_eq!(sums.mase(), Some(1.0));
    let mut merged = ErrorSums::default();
    merged.merge(&sums);
    merged.merge(&sums);
    assert_eq!(merged.wape(), sums.wape());
    assert_eq!(merged.hours, 8);
    assert_eq!(ErrorSums::default().wape(), None);
}

fn series() -> impl Strategy<Value = (Vec<f64>, Vec<f64>)> {
    (1usize..60).prop_flat_map(|n| {
        (proptest::collection::vec(0.0f64..50.0, n), proptest::collection::vec(0.0f64..50.0, n))
            .prop_filter("some sales", |(a, _)| a.iter().sum::<f64>() > 1e-6)
    })
}

proptest! {
    #[test]
    fn a_perfect_forecast_has_no_error((actual, _) in series()) {
        prop_assert_eq!(wape(&actual, &actual).unwrap(), 0.0);
        prop_assert_eq!(smape(&actual, &actual).unwrap(), 0.0);
        if let Ok(m) = mase(&actual, &actual, &[0.0, 1.0, 3.0], 1) {
            prop_assert_eq!(m, 0.0);
        }
    }

    #[test]
    fn wape_and_mase_are_scale_invariant((actual, forecast) in series(), k in 0.01f64..100.0) {
        let scaled = |v: &[f64]| v.iter().map(|x| x * k).collect::<Vec<_>>();
        let (w, ws) = (wape(&actual, &forecast).unwrap(), wape(&scaled(&actual), &scaled(&forecast)).unwrap());
        prop_assert!((w - ws).abs() <= 1e-9 * w.max(1.0));
        let (s, ss) = (smape(&actual, &forecast).unwrap(), smape(&scaled(&actual), &scaled(&forecast)).unwrap());
        prop_assert!((s - ss).abs() <= 1e-9);
        let history = [actual.clone(), forecast.clone()].concat();
        if let (Ok(m), Ok(ms)) = (mase(&actual, &forecast, &history, 3), mase(&scaled(&actual), &scaled(&forecast), &scaled(&history), 3)) {
            prop_assert!((m - ms).abs() <= 1e-9 * m.max(1.0));
        }
    }

    #[test]
    fn smape_is_bounded_and_symmetric((actual, forecast) in series()) {
        let s = smape(&actual, &forecast).unwrap();
        prop_assert!((0.0..=2.0).contains(&s));
        prop_assert!((s - smape(&forecast, &actual).unwrap()).abs() < 1e-12);
    }

    #[test]
    fn wape_is_mean_absolute_error_over_mean_actual((actual, forecast) in series()) {
        let n = actual.len() as f64;
        let mae = actual.iter().zip(&forecast).map(|(a, f)| (a - f).abs()).sum::<f64>() / n;
        let mean = actual.iter().sum::<f64>() / n;
        prop_assert!((wape(&actual, &forecast).unwrap() - mae / mean).abs() < 1e-9 * (mae / mean).max(1.0));
        // The zero forecast scores exactly 1, and so does its mirror 2a (for non-negative actuals).
        prop_assert!((wape(&actual, &vec![0.0; actual.len()]).unwrap() - 1.0).abs() < 1e-12);
        let doubled: Vec<f64> = actual.iter().map(|a| 2.0 * a).collect();
        prop_assert!((wape(&actual, &doubled).unwrap() - 1.0).abs() < 1e-12);
    }

    #[test]
    fn pooled_wape_is_a_weighted_mean_of_window_wapes((a1, f1) in series(), (a2, f2) in series()) {
        let mut sums = ErrorSums::default();
        sums.add(&a1, &f1, &[], 1).unwrap();
        sums.add(&a2, &f2, &[], 1).unwrap();
        let (s1, s2) = (a1.iter().sum::<f64>(), a2.iter().sum::<f64>());
        let expected = (wape(&a1, &f1).unwrap() * s1 + wape(&a2, &f2).unwrap() * s2) / (s1 + s2);
        prop_assert!((sums.wape().unwrap() - expected).abs() < 1e-9 * expected.max(1.0));
        prop_assert_eq!(sums.mase(), None);
    }
}
