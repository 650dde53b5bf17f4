//! The demo run end to end on three embedded chains: every figure `automat demo --json` promises.

use automat_sim::demo::{DemoConfig, run};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_settles_everything_on_three_chains() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = DemoConfig { chains: 3, data_dir: Some(dir.path().to_path_buf()), progress: false };
    let report = run(&config).await.expect("demo runs");
    println!("{}", serde_json::to_string_pretty(&report).expect("json"));

    assert_eq!(report.chains.len(), 3);
    assert!(report.invariants_hold, "{report:#?}");
    // Per chain: 3 sales + vend failure + jam + timeout online, 3 offline sales (one a double spend).
    assert_eq!(report.orders, 3 * 9);
    assert_eq!(report.dispensed, 3 * 6);
    assert_eq!(report.refunded, 3 * 3);
    assert_eq!(report.refunded_vend_failed, 3 * 2);
    assert_eq!(report.refunded_timeout, 3);
    assert_eq!(report.receipts_minted, report.dispensed);
    assert_eq!(report.escrow_balance_after, 0);
    assert_eq!(report.offline_sales, 3 * 3);
    assert_eq!(report.offline_settled, report.offline_sales);
    assert_eq!(report.double_spends_rejected, 3);
    assert_eq!(report.offline_refused, 3);
    assert!(report.sample_receipt_uri.starts_with("ipfs://bafkrei"), "{}", report.sample_receipt_uri);

    // Insurance: 3 + 4 + 1 insured orders; claims: one paid and one rejected by an honest majority, then four paid
    // pro rata by the drained pool, which paused once.
    assert_eq!(report.insured_orders, 8);
    assert_eq!(report.claims_filed, 6);
    assert_eq!(report.claims_paid, 5);
    assert_eq!(report.claims_rejected, 1);
    assert_eq!(report.pool_paused_episodes, 1);
    assert_eq!(report.pro_rata_payouts, 4);

    // The JSON carries the public field names.
    let json = serde_json::to_value(&report).expect("json");
    for field in [
        "orders",
        "dispensed",
        "refunded",
        "receipts_minted",
        "escrow_balance_after",
        "offline_sales",
        "offline_settled",
        "double_spends_rejected",
        "insured_orders",
        "claims_filed",
        "claims_paid",
        "claims_rejected",
        "pool_paused_episodes",
        "pro_rata_payouts",
    ] {
        assert!(json.get(field).is_some_and(|v| v.is_u64()), "missing numeric field {field}");
    }
}
