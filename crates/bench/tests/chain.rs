//! The chain benchmark runs end to end on a small load and reports consistent figures.

use automat_bench::chain::{ChainBenchConfig, run};

#[tokio::test]
async fn small_run_reports_consistent_figures() {
    let config = ChainBenchConfig { transfers: 200, rounds: 1, progress: false, ..ChainBenchConfig::default() };
    let report = run(&config).await.expect("benchmark runs");
    assert_eq!(report.transfers, 200);
    assert!(report.embedded_tps > 0.0 && report.raw_revm_tps > 0.0 && report.sign_us_per_tx > 0.0);
    assert!((report.ratio - report.embedded_tps / report.raw_revm_tps).abs() < 1e-12);
    assert!(report.gas_per_transfer > 21_000 && report.gas_per_transfer < 80_000, "{}", report.gas_per_transfer);
    assert!(report.hardhat_tps.is_none() && report.speedup_vs_hardhat.is_none());
}
