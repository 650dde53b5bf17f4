//! Our Poseidon against circomlibjs' `buildPoseidon` (npm), an implementation we did not write: native hashes
//! for every supported arity and for edge values (0, 1, r − 1, random), and the R1CS gadget's output for the
//! arities the circuits use.

mod common;

use ark_ff::{One, UniformRand, Zero};
use ark_r1cs_std::{GR1CSVar, alloc::AllocVar, fields::fp::FpVar};
use ark_relations::gr1cs::ConstraintSystem;
use automat_zk::rand::{SeedableRng, rngs::StdRng};
use automat_zk::{Fr, gadget, poseidon};

/// circomlibjs hashes of `inputs`, decimal strings.
fn circomlibjs(inputs: &[Vec<Fr>]) -> Vec<String> {
    common::require_package("circomlibjs");
    let json: Vec<Vec<String>> = inputs.iter().map(|v| v.iter().map(poseidon::fr_to_decimal).collect()).collect();
    let script = common::script("poseidon.js");
    let modules = common::node_modules();
    let out = common::node(&[script.as_os_str(), modules.as_os_str()], &serde_json::to_string(&json).expect("json"));
    assert!(out.status.success(), "poseidon.js failed: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("poseidon.js prints a JSON array")
}

#[test]
fn native_poseidon_matches_circomlibjs() {
    let mut rng = StdRng::seed_from_u64(0xC1C0);
    let edge = [Fr::zero(), Fr::one(), -Fr::one(), Fr::from(2u64), -Fr::from(2u64)];
    let mut cases: Vec<Vec<Fr>> = Vec::new();
    for arity in 1..=poseidon::MAX_INPUTS {
        for e in edge {
            cases.push(vec![e; arity]);
        }
        // Edge values mixed with random ones, in every position.
        for pos in 0..arity {
            let mut v: Vec<Fr> = (0..arity).map(|_| Fr::rand(&mut rng)).collect();
            v[pos] = edge[pos % edge.len()];
            cases.push(v);
        }
        for _ in 0..8 {
            cases.push((0..arity).map(|_| Fr::rand(&mut rng)).collect());
        }
    }
    let expected = circomlibjs(&cases);
    assert_eq!(expected.len(), cases.len());
    for (inputs, want) in cases.iter().zip(&expected) {
        let got = poseidon::fr_to_decimal(&poseidon::hash(inputs).expect("native"));
        assert_eq!(&got, want, "Poseidon({:?})", inputs.iter().map(poseidon::fr_to_decimal).collect::<Vec<_>>());
    }
    // Round trip of circomlibjs output through the strict parser.
    for want in &expected {
        assert_eq!(&poseidon::fr_to_decimal(&poseidon::fr_from_decimal(want).expect("canonical")), want);
    }
}

#[test]
fn gadget_poseidon_matches_circomlibjs() {
    let mut rng = StdRng::seed_from_u64(0x6AD6);
    let mut cases: Vec<Vec<Fr>> = Vec::new();
    for arity in 1..=3 {
        cases.push(vec![Fr::zero(); arity]);
        cases.push(vec![-Fr::one(); arity]);
        for _ in 0..4 {
            cases.push((0..arity).map(|_| Fr::rand(&mut rng)).collect());
        }
    }
    let expected = circomlibjs(&cases);
    for (inputs, want) in cases.iter().zip(&expected) {
        let cs = ConstraintSystem::<Fr>::new_ref();
        let vars: Vec<FpVar<Fr>> =
            inputs.iter().map(|x| FpVar::new_witness(cs.clone(), || Ok(*x)).expect("witness")).collect();
        let out = gadget::hash(&vars).expect("gadget");
        assert!(cs.is_satisfied().expect("satisfied?"));
        assert_eq!(&poseidon::fr_to_decimal(&out.value().expect("value")), want);
    }
}

#[test]
fn zero_chain_matches_circomlibjs() {
    let zeros = automat_zk::merkle::zero_values(20);
    let cases: Vec<Vec<Fr>> = zeros[..20].iter().map(|z| vec![*z, *z]).collect();
    let expected = circomlibjs(&cases);
    for (h, want) in expected.iter().enumerate() {
        assert_eq!(&poseidon::fr_to_decimal(&zeros[h + 1]), want, "zeros[{}]", h + 1);
    }
}
