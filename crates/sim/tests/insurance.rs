//! The demo's insurance part on its own: insured purchases, a claim paid and one rejected by the court, and the
//! drained pool (A3) that pauses, pays pro rata and recovers.

use automat_devnet::{Devnet, DevnetConfig};
use indicatif::ProgressBar;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn insured_purchases_claims_and_a_drained_pool() {
    let dir = tempfile::tempdir().expect("temp dir");
    let devnet = Devnet::start(DevnetConfig::with_chains(1)).expect("devnet");
    let report = automat_sim::insurance::run(&devnet, dir.path(), &ProgressBar::hidden()).await.expect("runs");
    println!("{}", serde_json::to_string_pretty(&report).expect("json"));
    assert!(report.invariants_hold, "{report:#?}");
    assert_eq!(report.insured_orders, 8);
    assert_eq!((report.claims_filed, report.claims_paid, report.claims_rejected), (6, 5, 1));
    assert_eq!(report.rulings, vec![1, 2, 1, 1, 1, 1], "an honest majority decides every claim by its evidence");
    assert_eq!(report.pool_paused_episodes, 1);
    assert_eq!(report.pro_rata_payouts, 4);
    assert_eq!(report.cover_refused, 1);
    assert!(report.iou_paid > 0);
    assert_eq!(report.paid_out, 5 * 2_000_000, "every paid claim ends with exactly its amount");
    assert_eq!(report.incidents, 5);
}
