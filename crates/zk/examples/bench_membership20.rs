//! Prints the `membership20` yardstick timings as one JSON object: medians of N runs (default 9) of wall time,
//! and the mean CPU time (all threads, from `/proc/self/stat` on Linux) per proof, which is less sensitive to
//! other load on a shared machine.
//!
//! `cargo run --release -p automat-zk --example bench_membership20 -- 9`

use std::time::Instant;

use automat_zk::ZkError;
use automat_zk::membership::{MEMBERSHIP20_DEPTH, MembershipKind, MembershipProver, sample_circuit};
use automat_zk::rand::{SeedableRng, rngs::StdRng};

/// Process CPU time (user + system, all threads) in ms, if /proc is there.
fn cpu_ms() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let after = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = after.split_whitespace().collect();
    // Fields 14 and 15 of stat (utime, stime) are at 11 and 12 after the command name; clock ticks of 10 ms.
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    Some(ticks * 10.0)
}

/// (median wall ms, mean CPU ms) of `samples` runs of `f`.
fn measure(samples: usize, mut f: impl FnMut() -> Result<(), ZkError>) -> Result<(f64, f64), ZkError> {
    let mut wall = Vec::with_capacity(samples);
    let cpu0 = cpu_ms().unwrap_or(f64::NAN);
    for _ in 0..samples {
        let t = Instant::now();
        f()?;
        wall.push(t.elapsed().as_secs_f64() * 1e3);
    }
    let cpu = (cpu_ms().unwrap_or(f64::NAN) - cpu0) / samples as f64;
    wall.sort_by(f64::total_cmp);
    Ok((wall[wall.len() / 2], cpu))
}

fn main() -> Result<(), ZkError> {
    let samples: usize = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(9).max(1);
    let mut rng = StdRng::seed_from_u64(20);
    let mut prover = MembershipProver::setup(MembershipKind::Bare, MEMBERSHIP20_DEPTH, &mut rng)?;
    let circuit = sample_circuit(MembershipKind::Bare, MEMBERSHIP20_DEPTH, 20)?;
    prover.prove(circuit.clone(), &mut rng)?;
    let default = measure(samples, || prover.prove_arkworks_default(circuit.clone(), &mut rng).map(drop))?;
    let cached = measure(samples, || prover.prove(circuit.clone(), &mut rng).map(drop))?;
    let t = Instant::now();
    prover.precompute();
    let precompute_ms = t.elapsed().as_secs_f64() * 1e3;
    prover.prove(circuit.clone(), &mut rng)?;
    let fast = measure(samples, || prover.prove(circuit.clone(), &mut rng).map(drop))?;
    let proof = prover.prove(circuit.clone(), &mut rng)?;
    let verify = measure(samples, || {
        prover.verify(&circuit.public, &proof)?.then_some(()).ok_or(ZkError::Unsatisfied("did not verify"))
    })?;
    println!(
        "{{\"samples\":{samples},\"threads\":{},\"constraints_membership20\":{},\
         \"prove_ms_membership20\":{:.1},\"prove_cpu_ms_membership20\":{:.0},\
         \"prove_ms_cached_matrices\":{:.1},\"prove_cpu_ms_cached_matrices\":{:.0},\
         \"prove_ms_arkworks_default\":{:.1},\"prove_cpu_ms_arkworks_default\":{:.0},\
         \"precompute_ms\":{precompute_ms:.0},\"verify_ms\":{:.2}}}",
        std::thread::available_parallelism().map_or(1, |n| n.get()),
        prover.num_constraints(),
        fast.0,
        fast.1,
        cached.0,
        cached.1,
        default.0,
        default.1,
        verify.0,
    );
    Ok(())
}
