//! `automat bench zk`: what privacy costs. Proving times (median of `samples`) of the spend and disclosure
//! circuits with keys from OS randomness, the `membership20` yardstick against arkworks' own prover in the same
//! run, and on the embedded chain the gas of a Poseidon hash, of a note-tree insert and of each verifier call,
//! measured by `ZkGasProbe` around the very code the contracts run (every result is checked: the hash against
//! the native one, the tree's root against the native tree's, the proofs must verify).

use std::time::Instant;

use alloy_primitives::U256;
use automat_chain::ChainClientExt;
use automat_contracts::privacy::{ZkGasProbe, deploy_verifiers};
use automat_devnet::{Devnet, DevnetConfig};
use automat_privacy::keys::ZkKeys;
use automat_privacy::{fr_to_u256, proof_to_sol};
use automat_zk::disclosure::{Credential, DISCLOSURE_DEPTH, DisclosureCircuit, DisclosureRequest};
use automat_zk::membership::bench_membership20;
use automat_zk::merkle::MerkleTree;
use automat_zk::rand::{SeedableRng, rngs::StdRng};
use automat_zk::spend::{Note, SPEND_DEPTH, SpendCircuit, SpendRequest};
use automat_zk::{Fr, poseidon};
use serde::Serialize;

use crate::{BenchError, Result};

/// What to run.
#[derive(Clone, Copy, Debug)]
pub struct ZkBenchConfig {
    /// Proofs per timing (the median is reported).
    pub samples: usize,
}

impl Default for ZkBenchConfig {
    fn default() -> Self {
        Self { samples: 9 }
    }
}

/// The figures `automat bench zk --json` prints.
#[derive(Clone, Debug, Serialize)]
pub struct ZkBenchReport {
    /// Proofs per timing.
    pub samples: usize,
    /// R1CS constraints of the spend circuit (depth 20).
    pub constraints_spend: usize,
    /// Median ms to prove a spend (witness + Groth16, prepared prover).
    pub prove_ms_spend: f64,
    /// Gas of the pool's call to the spend verifier (5 public inputs).
    pub verify_gas_spend: u64,
    /// Gas of one circomlib Poseidon(2) hash in Solidity.
    pub poseidon_gas: u64,
    /// R1CS constraints of the disclosure circuit (depth 20).
    pub constraints_disclosure: usize,
    /// Median ms to prove a disclosure.
    pub prove_ms_disclosure: f64,
    /// Gas of the registry's call to the disclosure verifier (4 public inputs).
    pub verify_gas_disclosure: u64,
    /// Gas of one insert into the depth-20 note tree (steady state: the root ring already written once).
    pub insert_gas: u64,
    /// R1CS constraints of the `membership20` yardstick.
    pub constraints_membership20: usize,
    /// Median ms to prove the yardstick with our prover.
    pub prove_ms_membership20: f64,
    /// Median ms to prove the yardstick with arkworks' `Groth16::prove` (same keys, same run): the baseline.
    pub prove_ms_membership20_arkworks: f64,
    /// `prove_ms_membership20_arkworks / prove_ms_membership20`.
    pub membership20_speedup: f64,
    /// Median ms to verify a spend proof natively.
    pub verify_ms_spend: f64,
}

fn invalid(detail: impl ToString) -> BenchError {
    BenchError::Invalid(detail.to_string())
}

fn setup(detail: impl ToString) -> BenchError {
    BenchError::Setup(detail.to_string())
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs.get(xs.len() / 2).copied().unwrap_or(f64::NAN)
}

fn time_ms<T>(f: impl FnOnce() -> T) -> (T, f64) {
    let start = Instant::now();
    let out = f();
    (out, start.elapsed().as_secs_f64() * 1e3)
}

/// One warm-up proof, then `samples` timed ones: their median wall time (ms) and the last proof.
fn time_proofs<T>(samples: usize, mut prove: impl FnMut() -> automat_zk::Result<T>) -> Result<(f64, T)> {
    let mut last = prove().map_err(setup)?;
    let mut times = Vec::with_capacity(samples);
    for _ in 0..samples {
        let (proof, ms) = time_ms(&mut prove);
        last = proof.map_err(setup)?;
        times.push(ms);
    }
    Ok((median(times), last))
}

/// Runs the benchmark.
pub async fn run(config: &ZkBenchConfig) -> Result<ZkBenchReport> {
    let samples = config.samples.max(1);
    let yardstick = bench_membership20(samples).map_err(setup)?;
    let mut keys = ZkKeys::setup().map_err(setup)?;
    keys.precompute();
    let mut rng = StdRng::seed_from_u64(6);

    // A spend of a note in a tree of a few notes.
    let mut tree = MerkleTree::new(SPEND_DEPTH).map_err(setup)?;
    let note = Note { amount: 20_000_000, nullifier: Fr::from(11u64), secret: Fr::from(12u64) };
    for i in 0..4u64 {
        tree.insert(poseidon::hash2(Fr::from(100 + i), Fr::from(i))).map_err(setup)?;
    }
    tree.insert(note.commitment()).map_err(setup)?;
    let request = SpendRequest {
        withdrawn: 3_600_000,
        context: Fr::from(0xc0_47e7u64),
        change_nullifier: Fr::from(13u64),
        change_secret: Fr::from(14u64),
    };
    let spend = SpendCircuit::new(note, &tree, &request).map_err(setup)?;
    let (prove_ms_spend, spend_proof) = time_proofs(samples, || keys.spend.prove(spend.clone(), &mut rng))?;
    let mut verify_times = Vec::new();
    for _ in 0..samples {
        let (ok, ms) = time_ms(|| keys.spend.verify(&spend.public, &spend_proof));
        if !ok.map_err(setup)? {
            return Err(invalid("spend proof does not verify natively"));
        }
        verify_times.push(ms);
    }

    // A disclosure for a credential in an issuer tree.
    let mut issuer = MerkleTree::new(DISCLOSURE_DEPTH).map_err(setup)?;
    let credential = Credential { holder_secret: Fr::from(21u64), jurisdiction: 276, birth_date: 19900517 };
    issuer.insert(credential.leaf()).map_err(setup)?;
    let request = DisclosureRequest {
        blocked: vec![408, 364, 192, 760],
        max_birth_date: 20081126,
        order_binding: Fr::from(77u64),
    };
    let disclosure = DisclosureCircuit::new(credential, &issuer, &request).map_err(setup)?;
    let (prove_ms_disclosure, disclosure_proof) =
        time_proofs(samples, || keys.disclosure.prove(disclosure.clone(), &mut rng))?;

    // Gas, on the embedded chain.
    let devnet = Devnet::start(DevnetConfig::with_chains(1))?;
    let client = devnet.dev_client(devnet.chain_ids()[0], 0)?;
    let verifiers = deploy_verifiers(
        &client,
        &keys.spend_verifier_words().map_err(setup)?,
        &keys.disclosure_verifier_words().map_err(setup)?,
    )
    .await?;
    let probe = automat_contracts::privacy::deploy_gas_probe(&client).await?;

    let h = client.call_sol(probe, &ZkGasProbe::poseidonCall { a: U256::from(1), b: U256::from(2) }).await?;
    if h.h != fr_to_u256(&poseidon::hash2(Fr::from(1u64), Fr::from(2u64))) {
        return Err(invalid("Solidity Poseidon disagrees with the native hash"));
    }
    let poseidon_gas = u64::try_from(h.gasUsed).map_err(invalid)?;

    let mut native = MerkleTree::new(SPEND_DEPTH).map_err(setup)?;
    let mut insert_gas = Vec::new();
    for i in 0..40u64 {
        let leaf = poseidon::hash2(Fr::from(i), Fr::from(i + 1));
        native.insert(leaf).map_err(setup)?;
        let receipt = client.send_sol(probe, &ZkGasProbe::insertCall { leaf: fr_to_u256(&leaf) }).await?;
        if i >= 32 {
            for e in receipt.events::<ZkGasProbe::Inserted>() {
                insert_gas.push(u64::try_from(e.gasUsed).map_err(invalid)? as f64);
            }
        }
    }
    if client.call_sol(probe, &ZkGasProbe::rootCall {}).await? != fr_to_u256(&native.root()) {
        return Err(invalid("Solidity tree root disagrees with the native tree"));
    }

    let inputs: Vec<U256> = spend.public.to_vec().iter().map(fr_to_u256).collect();
    let input: [U256; 5] = inputs.try_into().map_err(|_| invalid("spend has 5 public inputs"))?;
    let v = client
        .call_sol(
            probe,
            &ZkGasProbe::verifySpendCall {
                verifier: verifiers.spend_verifier,
                proof: proof_to_sol(&spend_proof).to_probe(),
                input,
            },
        )
        .await?;
    if !v.ok {
        return Err(invalid("the spend verifier rejected a valid proof"));
    }
    let verify_gas_spend = u64::try_from(v.gasUsed).map_err(invalid)?;
    let inputs: Vec<U256> = disclosure.public.to_vec().iter().map(fr_to_u256).collect();
    let input: [U256; 4] = inputs.try_into().map_err(|_| invalid("disclosure has 4 public inputs"))?;
    let v = client
        .call_sol(
            probe,
            &ZkGasProbe::verifyDisclosureCall {
                verifier: verifiers.disclosure_verifier,
                proof: proof_to_sol(&disclosure_proof).to_probe(),
                input,
            },
        )
        .await?;
    if !v.ok {
        return Err(invalid("the disclosure verifier rejected a valid proof"));
    }
    let verify_gas_disclosure = u64::try_from(v.gasUsed).map_err(invalid)?;

    Ok(ZkBenchReport {
        samples,
        constraints_spend: keys.spend.num_constraints(),
        prove_ms_spend,
        verify_gas_spend,
        poseidon_gas,
        constraints_disclosure: keys.disclosure.num_constraints(),
        prove_ms_disclosure,
        verify_gas_disclosure,
        insert_gas: median(insert_gas) as u64,
        constraints_membership20: yardstick.constraints,
        prove_ms_membership20: yardstick.prove_ms,
        prove_ms_membership20_arkworks: yardstick.prove_ms_arkworks_default,
        membership20_speedup: yardstick.prove_ms_arkworks_default / yardstick.prove_ms,
        verify_ms_spend: median(verify_times),
    })
}
