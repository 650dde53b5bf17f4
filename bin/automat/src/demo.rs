//! `automat demo`: runs the demo scenario of `automat-sim` and prints its report.

use std::path::PathBuf;

use clap::Args;
use eyre::{Result, WrapErr, bail};

/// Arguments of `automat demo`.
#[derive(Debug, Args)]
pub(crate) struct DemoArgs {
    /// Chains to start in-process.
    #[arg(long, default_value_t = 3)]
    chains: u32,
    /// Keep the agents' outboxes and receipt metadata here (a temporary directory otherwise).
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Print one JSON object instead of a report.
    #[arg(long)]
    json: bool,
}

pub(crate) async fn run(args: DemoArgs) -> Result<()> {
    if args.chains == 0 {
        bail!("--chains must be at least 1");
    }
    let config = automat_sim::demo::DemoConfig { chains: args.chains, data_dir: args.data_dir, progress: !args.json };
    let report = automat_sim::demo::run(&config).await.wrap_err("demo failed")?;
    if args.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        print_report(&report);
    }
    if !report.invariants_hold {
        bail!("an invariant did not hold (see the per-chain figures)");
    }
    Ok(())
}

fn units(amount: u128) -> String {
    format!("{}.{:06}", amount / 1_000_000, amount % 1_000_000)
}

fn print_report(r: &automat_sim::demo::DemoReport) {
    println!("automat demo: {} chains, {} ms", r.chains.len(), r.duration_ms);
    println!();
    println!("  orders               {:>6}", r.orders);
    println!("  dispensed            {:>6}   receipts minted {}", r.dispensed, r.receipts_minted);
    println!(
        "  refunded             {:>6}   ({} failed vend or jam, {} after the deadline)",
        r.refunded, r.refunded_vend_failed, r.refunded_timeout
    );
    println!(
        "  offline sales        {:>6}   settled {}, vouchers spent twice (paid once) {}, refused {}",
        r.offline_sales, r.offline_settled, r.double_spends_rejected, r.offline_refused
    );
    println!("  escrow left          {:>6}", units(r.escrow_balance_after));
    let x = &r.crosschain;
    println!(
        "  cross-chain orders   {:>6}   settled {}, refunded {} ({} failed vend, {} timed out), receipts on buyer chains {}",
        r.crosschain_orders,
        r.crosschain_settled,
        r.crosschain_refunded,
        x.refunded_vend_failed,
        x.refunded_timeout,
        x.receipts_minted
    );
    println!(
        "  transports                    LayerZero {} deliveries, Hyperlane {}; retries via the other {}; \
         late orders rejected {}, duplicate copies dropped {}",
        x.delivered_layerzero,
        x.delivered_hyperlane,
        r.retries_via_alternate,
        x.late_orders_rejected,
        x.duplicates_dropped
    );
    println!(
        "  bridged from home    {:>6}   minted − locked (max over the run) {}",
        x.bridge_transfers, r.minted_minus_locked
    );
    let o = &r.oracle;
    println!(
        "  oracle reports       {:>6}   price {} (manual {}); manipulations caught {}, sales at the manual price {}, \
         off-feed quotes refused {}",
        r.oracle_reports,
        units(o.oracle_price),
        units(o.manual_price),
        r.manipulations_detected,
        r.manual_fallbacks,
        o.off_feed_quotes_refused
    );
    let p = &r.privacy;
    println!(
        "  private orders       {:>6}   geo-fenced refusals {}; proofs: spend {} ms, disclosure {} ms; pool holds {} \
         ({})",
        r.private_orders,
        r.geofenced_refusals,
        p.prove_ms_spend,
        p.prove_ms_disclosure,
        units(p.pool_locked_after),
        p.keys
    );
    println!("  invariants           {:>6}", if r.invariants_hold { "hold" } else { "BROKEN" });
    println!("  first receipt        {}", r.sample_receipt_uri);
    println!();
    println!("  chain        orders disp. refund offline dbl-spend  operator paid       fees  escrow");
    for c in &r.chains {
        println!(
            "  {:#x} {:>6} {:>5} {:>6} {:>7} {:>9} {:>14} {:>10} {:>7}",
            c.chain_id,
            c.orders,
            c.dispensed,
            c.refunded,
            c.offline_settled,
            c.double_spends_rejected,
            units(c.operator_revenue),
            units(c.fees),
            units(c.escrow_balance_after)
        );
    }
}
