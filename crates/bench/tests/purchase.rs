//! The purchase benchmark runs end to end on a few purchases and reports plausible figures.

use automat_bench::purchase::{PurchaseBenchConfig, run};

#[tokio::test]
async fn small_run_reports_plausible_figures() {
    let config = PurchaseBenchConfig { purchases: 5, progress: false };
    let report = run(&config).await.expect("benchmark runs");
    println!("{report}");
    assert_eq!(report.purchases, 5);

    // A plain OpenZeppelin transfer to a holder is ~35k gas, a mint to a holder ~50k.
    assert!((30_000..45_000).contains(&report.gas_baseline_transfer), "{}", report.gas_baseline_transfer);
    assert!((40_000..70_000).contains(&report.gas_baseline_mint), "{}", report.gas_baseline_mint);
    assert_eq!(report.gas_baseline, report.gas_baseline_transfer + report.gas_baseline_mint);

    for (name, gas) in [
        ("order", report.gas_order),
        ("attest", report.gas_attest),
        ("refund", report.gas_refund),
        ("permit order", report.gas_place_order_with_permit),
    ] {
        assert!((21_000..500_000).contains(&gas), "{name}: {gas}");
    }
    assert!(report.gas_order > report.gas_baseline_transfer, "{report:?}");
    assert!(report.gas_attest > report.gas_baseline_mint, "{report:?}");
    assert!(report.gas_place_order_with_permit > report.gas_order, "{report:?}");
    assert!(report.gas_order_first >= report.gas_order && report.gas_attest_first >= report.gas_attest, "{report:?}");

    let expected = (report.gas_order + report.gas_attest) as f64 / report.gas_baseline as f64;
    assert!(report.ratio.is_finite() && report.ratio > 0.0 && (report.ratio - expected).abs() < 1e-12);

    assert!(report.e2e_ms_p50 > 0.0 && report.e2e_ms_p90 >= report.e2e_ms_p50, "{report:?}");
    let json = serde_json::to_value(&report).expect("serializes");
    for field in ["gas_order", "gas_attest", "gas_refund", "gas_baseline", "ratio", "e2e_ms_p50"] {
        assert!(json.get(field).is_some(), "JSON lacks {field}");
    }
}

#[tokio::test]
async fn too_few_purchases_is_refused() {
    let config = PurchaseBenchConfig { purchases: 1, progress: false };
    assert!(run(&config).await.is_err());
}
