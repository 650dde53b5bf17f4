//! The CLI's public output: the JSON field names of `automat bench chain --json` are an interface.

use std::process::Command;

fn automat() -> Command {
    Command::new(env!("CARGO_BIN_EXE_automat"))
}

#[test]
fn bench_chain_json_has_the_documented_fields() {
    let output = automat()
        .args(["bench", "chain", "--json", "--transfers", "300", "--rounds", "1"])
        .output()
        .expect("runs automat");
    assert!(output.status.success(), "stderr: {}", String::from_utf8_lossy(&output.stderr));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("stdout is one JSON object");
    for field in ["transfers", "rounds", "sign_us_per_tx", "embedded_tps", "raw_revm_tps", "ratio", "gas_per_transfer"]
    {
        assert!(report.get(field).is_some(), "missing {field} in {report}");
    }
    assert_eq!(report["transfers"], 300);
    let ratio = report["ratio"].as_f64().expect("number");
    let embedded = report["embedded_tps"].as_f64().expect("number");
    let raw = report["raw_revm_tps"].as_f64().expect("number");
    assert!((ratio - embedded / raw).abs() < 1e-9, "ratio is embedded / raw");
    assert!(report.get("hardhat_tps").is_none(), "hardhat fields only with --vs-hardhat");
}

#[test]
fn devnet_commands_persist_between_invocations() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data_dir = dir.path().to_str().expect("utf-8 path");
    let run = |args: &[&str]| {
        let output =
            automat().args(["devnet", "--data-dir", data_dir, "--chains", "1"]).args(args).output().expect("runs");
        assert!(output.status.success(), "stderr: {}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8(output.stdout).expect("utf-8")
    };
    run(&["send", "0x00000000000000000000000000000000000000b0", "12345"]);
    run(&["mine", "4"]);
    let status = run(&["status"]);
    assert!(status.contains("block 5 at"), "one transfer and four empty blocks survive restarts:\n{status}");
}

#[test]
fn bad_input_fails_with_a_clear_message() {
    let output = automat().args(["bench", "chain", "--transfers", "0"]).output().expect("runs");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("transfers and rounds must be positive"), "{stderr}");
}

#[test]
fn bench_purchase_json_has_the_documented_fields() {
    let output = automat().args(["bench", "purchase", "--json", "--purchases", "5"]).output().expect("runs automat");
    assert!(output.status.success(), "stderr: {}", String::from_utf8_lossy(&output.stderr));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("stdout is one JSON object");
    for field in ["gas_order", "gas_attest", "gas_refund", "gas_baseline", "ratio", "e2e_ms_p50"] {
        assert!(report.get(field).is_some_and(|v| v.is_number()), "missing {field} in {report}");
    }
    let gas = |f: &str| report[f].as_f64().expect("number");
    let ratio = (gas("gas_order") + gas("gas_attest")) / gas("gas_baseline");
    assert!((ratio - gas("ratio")).abs() < 1e-9, "ratio is (order + attest) / baseline");
}

#[test]
fn demo_json_reports_every_order_settled() {
    let output = automat().args(["demo", "--json"]).output().expect("runs automat");
    assert!(output.status.success(), "stderr: {}", String::from_utf8_lossy(&output.stderr));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("stdout is one JSON object");
    for field in [
        "orders",
        "dispensed",
        "refunded",
        "receipts_minted",
        "escrow_balance_after",
        "offline_sales",
        "offline_settled",
        "double_spends_rejected",
    ] {
        assert!(report.get(field).is_some_and(|v| v.is_u64()), "missing {field} in {report}");
    }
    assert_eq!(report["escrow_balance_after"], 0);
    assert_eq!(report["receipts_minted"], report["dispensed"]);
    assert_eq!(report["offline_settled"], report["offline_sales"]);
    assert!(report["double_spends_rejected"].as_u64().expect("number") >= 1);
    assert_eq!(report["orders"], report["dispensed"].as_u64().expect("n") + report["refunded"].as_u64().expect("n"));
}

#[test]
fn demo_json_reports_the_cross_chain_purchases() {
    let output = automat().args(["demo", "--json"]).output().expect("runs automat");
    assert!(output.status.success(), "stderr: {}", String::from_utf8_lossy(&output.stderr));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("stdout is one JSON object");
    for field in ["crosschain_orders", "crosschain_settled", "crosschain_refunded", "retries_via_alternate"] {
        assert!(report.get(field).is_some_and(|v| v.is_u64()), "missing {field} in {report}");
    }
    let n = |f: &str| report[f].as_u64().expect("number");
    assert!(n("crosschain_orders") >= 4, "purchases around the ring, a failure, an outage");
    assert_eq!(n("crosschain_orders"), n("crosschain_settled") + n("crosschain_refunded"));
    assert!(n("crosschain_refunded") >= 2, "a failed vend and a timeout are refunded");
    assert!(n("retries_via_alternate") >= 1, "the outage is retried through the other transport");
    let mml = report["minted_minus_locked"].as_i64().expect("minted_minus_locked is an integer");
    assert!(mml <= 0, "minted on other chains never exceeds locked at home: {mml}");
    assert_eq!(report["invariants_hold"], true);
}

#[test]
fn bench_crosschain_json_has_the_documented_fields() {
    let output = automat().args(["bench", "crosschain", "--json", "--purchases", "3"]).output().expect("runs automat");
    assert!(output.status.success(), "stderr: {}", String::from_utf8_lossy(&output.stderr));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("stdout is one JSON object");
    for transport in ["layerzero", "hyperlane"] {
        let figures = &report[transport];
        for field in ["e2e_ms_p50", "e2e_ms_p99", "gas_src", "gas_dst", "gas_return"] {
            assert!(figures.get(field).is_some_and(|v| v.is_number()), "missing {transport}.{field} in {report}");
        }
        for field in ["gas_src", "gas_dst", "gas_return"] {
            assert!(figures[field].as_u64().expect("gas") > 21_000, "{transport}.{field} is a real transaction's gas");
        }
        let (p50, p99) = (figures["e2e_ms_p50"].as_f64().expect("ms"), figures["e2e_ms_p99"].as_f64().expect("ms"));
        assert!(p50 > 0.0 && p99 >= p50, "{transport}: p50 {p50} p99 {p99}");
        let ratio = figures["ratio"].as_f64().expect("ratio");
        let baseline = report["baseline_e2e_ms_p50"].as_f64().expect("baseline");
        assert!((ratio - p50 / baseline).abs() < 1e-9, "ratio is e2e p50 over the same-chain baseline");
    }
}

#[test]
fn forecast_reads_a_sales_csv_and_beats_seasonal_naive() {
    use automat_oracle::data::{DemandConfig, generate, write_csv};
    let dir = tempfile::tempdir().expect("temp dir");
    let csv = dir.path().join("sales.csv");
    let config = DemandConfig { machines: 2, slots_per_machine: 2, ..DemandConfig::default() };
    let dataset = generate(&config).expect("generates");
    write_csv(&dataset.to_records(), std::fs::File::create(&csv).expect("create")).expect("writes");
    let output = automat()
        .args(["forecast", "--input", csv.to_str().expect("utf-8"), "--horizon", "168", "--json"])
        .output()
        .expect("runs automat");
    assert!(output.status.success(), "stderr: {}", String::from_utf8_lossy(&output.stderr));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("stdout is one JSON object");
    for field in ["wape_model", "wape_seasonal_naive", "improvement"] {
        assert!(report.get(field).is_some_and(|v| v.is_number()), "missing {field} in {report}");
    }
    let n = |f: &str| report[f].as_f64().expect("number");
    assert!((n("improvement") - (1.0 - n("wape_model") / n("wape_seasonal_naive"))).abs() < 1e-9);
    assert!(n("improvement") > 0.0, "the model beats seasonal-naive on generated demand: {report}");
    assert_eq!(report["forecasts"].as_array().map(Vec::len), Some(4), "one forecast per slot");
    assert_eq!(report["forecasts"][0]["mean"].as_array().map(Vec::len), Some(168));

    // A bad row is reported with its line number.
    std::fs::write(&csv, "timestamp,machine,slot,units,price\n1700000000,1,0,2,1.5\n1700003600,1,zero,1,1.5\n")
        .expect("writes");
    let output = automat().args(["forecast", "--input", csv.to_str().expect("utf-8")]).output().expect("runs");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("line 3"), "{stderr}");
}

#[test]
fn demo_json_reports_the_oracle_and_the_manipulations_it_caught() {
    let output = automat().args(["demo", "--json"]).output().expect("runs automat");
    assert!(output.status.success(), "stderr: {}", String::from_utf8_lossy(&output.stderr));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("stdout is one JSON object");
    for field in ["oracle_reports", "manipulations_detected", "manual_fallbacks"] {
        assert!(report.get(field).is_some_and(|v| v.is_u64()), "missing {field} in {report}");
    }
    assert!(report["oracle_reports"].as_u64().expect("n") >= 2);
    assert!(report["manipulations_detected"].as_u64().expect("n") >= 2, "a liar flagged and an equivocator proven");
    assert_eq!(report["manual_fallbacks"], 1, "one sale at the manual price while the feed was frozen");
    assert_eq!(report["oracle"]["off_feed_quotes_refused"], 1);
    assert_eq!(report["invariants_hold"], true);
}

#[test]
fn demo_json_reports_the_private_purchase_and_the_geofenced_refusal() {
    let output = automat().args(["demo", "--json"]).output().expect("runs automat");
    assert!(output.status.success(), "stderr: {}", String::from_utf8_lossy(&output.stderr));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("stdout is one JSON object");
    assert_eq!(report["private_orders"], 1, "one order paid from the shielded pool and dispensed: {report}");
    assert_eq!(report["geofenced_refusals"], 1, "the buyer from a blocked jurisdiction refused: {report}");
    assert_eq!(report["privacy"]["invariants_hold"], true);
    assert_eq!(report["privacy"]["pool_locked_after"], 16_400_000, "deposit − price − relayer fee stays in the pool");
    // The devnet's seeded keys are announced as insecure, in the report and on stderr.
    assert!(report["privacy"]["keys"].as_str().is_some_and(|k| k.contains("INSECURE")), "{report}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("INSECURE devnet ZK keys"), "stderr: {stderr}");
}

#[test]
fn bench_zk_json_reports_every_field_within_the_gas_goals() {
    let output = automat().args(["bench", "zk", "--json", "--samples", "1"]).output().expect("runs automat");
    assert!(output.status.success(), "stderr: {}", String::from_utf8_lossy(&output.stderr));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("stdout is one JSON object");
    let n = |f: &str| report[f].as_f64().unwrap_or_else(|| panic!("missing {f} in {report}"));
    for field in ["prove_ms_spend", "prove_ms_disclosure", "prove_ms_membership20", "prove_ms_membership20_arkworks"] {
        assert!(n(field) > 0.0, "{field}: {report}");
    }
    assert_eq!(report["constraints_membership20"], 5_075, "the fixed yardstick");
    assert!(n("constraints_spend") > 5_075.0 && n("constraints_disclosure") > 5_075.0, "{report}");
    assert!(n("verify_gas_spend") <= 230_000.0, "spend verifier gas goal: {report}");
    assert!(n("verify_gas_disclosure") <= 230_000.0, "{report}");
    assert!(n("poseidon_gas") <= 25_000.0, "Poseidon gas goal: {report}");
    // An insert hashes 20 levels: at least 20 Poseidon hashes.
    assert!(n("insert_gas") >= 20.0 * n("poseidon_gas"), "{report}");
}

#[test]
fn bench_oracle_json_meets_the_goals() {
    let output = automat().args(["bench", "oracle", "--json", "--seeds", "3"]).output().expect("runs automat");
    assert!(output.status.success(), "stderr: {}", String::from_utf8_lossy(&output.stderr));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("stdout is one JSON object");
    let n = |f: &str| report[f].as_f64().unwrap_or_else(|| panic!("missing {f} in {report}"));
    for field in ["wape_model", "wape_seasonal_naive", "improvement", "fedavg_wape", "central_wape", "revenue_uplift"] {
        n(field);
    }
    assert!(n("improvement") >= 0.20, "forecast goal: {report}");
    assert!(n("fedavg_wape") <= 1.1 * n("central_wape"), "federated goal: {report}");
    assert!((n("unit_cost_ratio") - 1.0 / 3.0).abs() < 1e-12, "the cost the pricing figures assume: {report}");
    assert!(n("profit_uplift") > 0.0 && n("revenue_uplift") > 0.0, "pricing gains over the list price: {report}");
    assert!(report["report_verify_gas"].as_u64().expect("gas") > 21_000);
}

#[test]
fn demo_json_reports_the_insured_purchases_claims_and_the_drained_pool() {
    let output = automat().args(["demo", "--json"]).output().expect("runs automat");
    assert!(output.status.success(), "demo failed: {}", String::from_utf8_lossy(&output.stderr));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("one JSON object");
    assert_eq!(json["insured_orders"], 8);
    assert_eq!(json["claims_filed"], 6);
    assert_eq!(json["claims_paid"], 5);
    assert_eq!(json["claims_rejected"], 1);
    assert_eq!(json["pool_paused_episodes"], 1);
    assert_eq!(json["pro_rata_payouts"], 4);
    assert_eq!(json["insurance"]["invariants_hold"], true);
    assert_eq!(json["insurance"]["cover_refused"], 1);
}

#[test]
fn bench_insurance_json_has_the_documented_fields() {
    let output = automat()
        .args(["bench", "insurance", "--json", "--disputes", "6", "--jurors", "5"])
        .output()
        .expect("runs automat");
    assert!(output.status.success(), "bench failed: {}", String::from_utf8_lossy(&output.stderr));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("one JSON object");
    for field in ["gas_order_with_cover", "gas_order_without_cover", "gas_claim_per_juror"] {
        assert!(json[field].as_u64().is_some_and(|gas| gas > 21_000), "{field}: {}", json[field]);
    }
    for field in ["honest_rate_p20", "honest_rate_p40"] {
        assert!(json[field].as_f64().is_some_and(|r| (0.0..=1.0).contains(&r)), "{field}: {}", json[field]);
    }
    assert_eq!(json["honest_rate_p0"], 1.0);
    assert!(json["gas_order_with_cover"].as_u64() > json["gas_order_without_cover"].as_u64());
}
