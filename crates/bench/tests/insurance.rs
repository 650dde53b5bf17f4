//! The insurance benchmark runs on a few claims per juror mix and reports plausible figures.

use automat_bench::insurance::{InsuranceBenchConfig, run};

#[tokio::test]
async fn small_run_reports_plausible_figures() {
    let config = InsuranceBenchConfig { disputes: 8, jurors: 5, orders: 3, progress: false };
    let report = run(&config).await.expect("benchmark runs");
    println!("{report}");
    assert_eq!((report.disputes, report.jurors), (8, 5));
    // Cover adds the policy record, the premium transfer and the pool's bookkeeping to an order.
    assert!(report.gas_order_with_cover > report.gas_order_without_cover, "{report:?}");
    assert!((21_000..600_000).contains(&report.gas_order_with_cover), "{report:?}");
    let ratio = report.gas_order_with_cover as f64 / report.gas_order_without_cover as f64;
    assert!((report.cover_gas_ratio - ratio).abs() < 1e-12);
    // Three votes in a first round; the whole life of a claim is several transactions per vote.
    assert_eq!(report.votes_per_claim, 3);
    assert_eq!(report.gas_claim_per_juror, report.gas_claim_lifecycle / 3);
    assert!(report.gas_claim_per_juror > 100_000, "{report:?}");
    // Honest jurors decide every claim right; random ones can only make it worse.
    assert_eq!(report.honest_rate_p0, 1.0, "{report:?}");
    for rate in [report.honest_rate_p20, report.honest_rate_p40] {
        assert!((0.0..=1.0).contains(&rate), "{report:?}");
    }
    assert!((report.honest_rate_p20_binomial - 0.972).abs() < 1e-9);
    assert!((report.honest_rate_p40_binomial - 0.896).abs() < 1e-9);
    let json = serde_json::to_value(&report).expect("serializes");
    for field in
        ["gas_order_with_cover", "gas_order_without_cover", "gas_claim_per_juror", "honest_rate_p20", "honest_rate_p40"]
    {
        assert!(json.get(field).is_some(), "JSON lacks {field}");
    }
}

#[tokio::test]
async fn a_court_too_small_is_refused() {
    let config = InsuranceBenchConfig { jurors: 3, ..InsuranceBenchConfig::default() };
    assert!(run(&config).await.is_err());
}
