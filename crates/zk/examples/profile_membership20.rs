//! Proves the `membership20` yardstick `N` times (default 1) after setup, precomputation and one warm-up proof,
//! printing each proof's wall time: a small target for `valgrind --tool=callgrind` (collect only inside
//! `prove_circuit`) and for alternating old/new timing runs.
//!
//! `cargo run --release -p automat-zk --example profile_membership20 -- 1`

use std::time::Instant;

use automat_zk::ZkError;
use automat_zk::membership::{MEMBERSHIP20_DEPTH, MembershipKind, MembershipProver, sample_circuit};
use automat_zk::rand::{SeedableRng, rngs::StdRng};

fn main() -> Result<(), ZkError> {
    let proofs: usize = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(1);
    let mut rng = StdRng::seed_from_u64(20);
    let mut prover = MembershipProver::setup(MembershipKind::Bare, MEMBERSHIP20_DEPTH, &mut rng)?;
    prover.precompute();
    let circuit = sample_circuit(MembershipKind::Bare, MEMBERSHIP20_DEPTH, 20)?;
    let proof = prover.prove(circuit.clone(), &mut rng)?;
    if !prover.verify(&circuit.public, &proof)? {
        return Err(ZkError::Unsatisfied("warm-up proof did not verify"));
    }
    let mut times = Vec::with_capacity(proofs);
    for _ in 0..proofs {
        let t = Instant::now();
        prover.prove(circuit.clone(), &mut rng)?;
        times.push(t.elapsed().as_secs_f64() * 1e3);
    }
    let rendered: Vec<String> = times.iter().map(|t| format!("{t:.1}")).collect();
    println!("{}", rendered.join(" "));
    Ok(())
}
