//! The generated Solidity, compiled by the pinned solc-js and run on Hardhat's EVM (npm): the Poseidon
//! libraries return our native hashes and refuse inputs >= r; the Groth16 verifier accepts our proof and
//! nothing else, and reverts on a public input >= r. Prints the gas figures.

mod common;

use ark_ff::{BigInteger, One, PrimeField, UniformRand, Zero};
use automat_zk::membership::{MembershipKind, MembershipProver, sample_circuit};
use automat_zk::rand::{SeedableRng, rngs::StdRng};
use automat_zk::solidity::{groth16_verifier, poseidon_library, proof_calldata};
use automat_zk::{Fr, poseidon};
use serde_json::{Value, json};

struct Call {
    contract: &'static str,
    sig: &'static str,
    args: Vec<String>,
}

#[derive(Debug)]
struct Outcome {
    ok: bool,
    words: Vec<String>,
    revert: Option<String>,
    gas: Option<u64>,
}

fn run(sources: &[(String, String)], deploy: &[&str], calls: &[Call]) -> (Vec<Outcome>, Value) {
    common::require_package("solc");
    common::require_package("hardhat");
    let job = json!({
        "sources": sources.iter().map(|(k, v)| (k.clone(), json!(v))).collect::<serde_json::Map<_, _>>(),
        "deploy": deploy,
        "calls": calls.iter().map(|c| json!({"contract": c.contract, "sig": c.sig, "args": c.args})).collect::<Vec<_>>(),
    });
    let script = common::script("evm.js");
    let modules = common::node_modules();
    let out = common::node_in(&modules.join(".."), &[script.as_os_str(), modules.as_os_str()], &job.to_string());
    assert!(out.status.success(), "evm.js failed: {}", String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).expect("evm.js prints JSON");
    let errors = v["errors"].as_array().expect("errors");
    assert!(
        errors.is_empty(),
        "solc errors:\n{}",
        errors.iter().filter_map(Value::as_str).collect::<Vec<_>>().join("\n")
    );
    let outcomes = v["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| Outcome {
            ok: r["ok"].as_bool().expect("ok"),
            words: r["words"]
                .as_array()
                .map(|w| w.iter().filter_map(|x| x.as_str().map(String::from)).collect())
                .unwrap_or_default(),
            revert: r["revert"].as_str().map(String::from),
            gas: r["gas"].as_u64(),
        })
        .collect();
    (outcomes, v["sizes"].clone())
}

fn dec(x: &Fr) -> String {
    poseidon::fr_to_decimal(x)
}

/// r + x as a decimal string (a value >= r congruent to x).
fn plus_r(x: &Fr) -> String {
    let mut b = x.into_bigint();
    assert!(!b.add_with_carry(&Fr::MODULUS));
    b.to_string()
}

/// The 4-byte selector a `bytes4`-returning call put left-aligned in its word, as 0x-hex.
fn selector_of(word: &str) -> String {
    let v = num_hex(word);
    format!("0x{}", &v[..8])
}

fn num_hex(decimal: &str) -> String {
    // 256-bit decimal to 64 hex digits, via Fr-free long division on u32 limbs.
    let mut digits: Vec<u32> = decimal.bytes().map(|b| u32::from(b - b'0')).collect();
    let mut hex = Vec::new();
    while !(digits.is_empty() || digits.iter().all(|d| *d == 0)) {
        let mut rem = 0u32;
        let mut next = Vec::with_capacity(digits.len());
        for d in &digits {
            let cur = rem * 10 + d;
            let q = cur / 16;
            rem = cur % 16;
            if !(next.is_empty() && q == 0) {
                next.push(q);
            }
        }
        hex.push(char::from_digit(rem, 16).expect("hex digit"));
        digits = next;
    }
    while hex.len() < 64 {
        hex.push('0');
    }
    hex.iter().rev().collect()
}

#[test]
fn generated_solidity_runs_on_the_evm() {
    let mut rng = StdRng::seed_from_u64(77);

    // Groth16: keys, one honest proof, the verifier contract.
    let prover = MembershipProver::setup(MembershipKind::Bare, 4, &mut rng).expect("setup");
    let circuit = sample_circuit(MembershipKind::Bare, 4, 3).expect("sample");
    let proof = prover.prove(circuit.clone(), &mut rng).expect("prove");
    let public = circuit.public.to_vec();
    let verifier = groth16_verifier(prover.verifying_key(), "MembershipVerifier").expect("verifier");

    let harness = r#"// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;
import "./PoseidonT2.sol";
import "./PoseidonT3.sol";
import "./PoseidonT4.sol";
import "./MembershipVerifier.sol";
contract HarnessT2 {
    function t2(uint256 a) external view returns (uint256 h, uint256 gasUsed) {
        uint256 g = gasleft(); h = PoseidonT2.hash([a]); gasUsed = g - gasleft();
    }
}
contract HarnessT3 {
    function t3(uint256 a, uint256 b) external view returns (uint256 h, uint256 gasUsed) {
        uint256 g = gasleft(); h = PoseidonT3.hash([a, b]); gasUsed = g - gasleft();
    }
    function selectors() external pure returns (bytes4, bytes4) {
        return (MembershipVerifier.PublicInputNotInField.selector, PoseidonT3.PoseidonInputNotInField.selector);
    }
}
contract HarnessT4 {
    function t4(uint256 a, uint256 b, uint256 c) external view returns (uint256 h, uint256 gasUsed) {
        uint256 g = gasleft(); h = PoseidonT4.hash([a, b, c]); gasUsed = g - gasleft();
    }
}
"#;
    let sources = vec![
        ("PoseidonT2.sol".to_string(), poseidon_library(1).expect("T2")),
        ("PoseidonT3.sol".to_string(), poseidon_library(2).expect("T3")),
        ("PoseidonT4.sol".to_string(), poseidon_library(3).expect("T4")),
        ("MembershipVerifier.sol".to_string(), verifier),
        ("Harness.sol".to_string(), harness.to_string()),
    ];

    // Poseidon cases: edges and random.
    let mut cases: Vec<Vec<Fr>> = Vec::new();
    for arity in 1..=3usize {
        cases.push(vec![Fr::zero(); arity]);
        cases.push(vec![Fr::one(); arity]);
        cases.push(vec![-Fr::one(); arity]);
        for _ in 0..3 {
            cases.push((0..arity).map(|_| Fr::rand(&mut rng)).collect());
        }
    }
    let target = |arity: usize| match arity {
        1 => ("HarnessT2", "t2(uint256)"),
        2 => ("HarnessT3", "t3(uint256,uint256)"),
        _ => ("HarnessT4", "t4(uint256,uint256,uint256)"),
    };
    let mut calls: Vec<Call> = cases
        .iter()
        .map(|c| {
            let (contract, sig) = target(c.len());
            Call { contract, sig, args: c.iter().map(dec).collect() }
        })
        .collect();
    let n_hash = calls.len();
    calls.push(Call { contract: "HarnessT3", sig: "t3(uint256,uint256)", args: vec!["1".into(), plus_r(&Fr::zero())] });
    calls.push(Call { contract: "HarnessT2", sig: "t2(uint256)", args: vec![plus_r(&Fr::one())] });
    calls.push(Call { contract: "HarnessT3", sig: "selectors()", args: vec![] });

    // Verifier cases.
    let verify_sig = "verifyProof(uint256[2],uint256[2][2],uint256[2],uint256[2])";
    let words = proof_calldata(&proof);
    let with = |w: &[String; 8], inputs: [String; 2]| -> Vec<String> { w.iter().cloned().chain(inputs).collect() };
    let honest_inputs = [dec(&public[0]), dec(&public[1])];
    let q = ark_bn254::Fq::MODULUS;
    let mut a_noncanonical = words.clone();
    a_noncanonical[1] = {
        let (_, ay) = ark_ec::AffineRepr::xy(&proof.a).expect("finite");
        let mut y = ay.into_bigint();
        assert!(!y.add_with_carry(&q));
        y.to_string()
    };
    let mut b_swapped = words.clone();
    b_swapped.swap(2, 3);
    b_swapped.swap(4, 5);
    let verifier_cases: Vec<(&str, Vec<String>)> = vec![
        ("honest", with(&words, honest_inputs.clone())),
        ("root + 1", with(&words, [dec(&(public[0] + Fr::one())), honest_inputs[1].clone()])),
        ("nullifierHash + 1", with(&words, [honest_inputs[0].clone(), dec(&(public[1] + Fr::one()))])),
        ("a.y + q (non-canonical)", with(&a_noncanonical, honest_inputs.clone())),
        ("b in snarkjs JSON order", with(&b_swapped, honest_inputs.clone())),
        ("root + r", with(&words, [plus_r(&public[0]), honest_inputs[1].clone()])),
        ("nullifierHash + r", with(&words, [honest_inputs[0].clone(), plus_r(&public[1])])),
    ];
    let first_verify = calls.len();
    for (_, args) in &verifier_cases {
        calls.push(Call { contract: "MembershipVerifier", sig: verify_sig, args: args.clone() });
    }

    let (out, sizes) = run(&sources, &["HarnessT2", "HarnessT3", "HarnessT4", "MembershipVerifier"], &calls);
    assert_eq!(out.len(), calls.len());

    // Poseidon: equal to the native hash, gas reported.
    let mut gas = std::collections::BTreeMap::<usize, u64>::new();
    for (c, o) in cases.iter().zip(&out[..n_hash]) {
        assert!(o.ok, "Poseidon call reverted: {o:?}");
        assert_eq!(o.words[0], dec(&poseidon::hash(c).expect("native")), "PoseidonT{}({c:?})", c.len() + 1);
        let g: u64 = o.words[1].parse().expect("gas");
        gas.entry(c.len()).and_modify(|m| *m = (*m).max(g)).or_insert(g);
    }
    let selectors = &out[n_hash + 2];
    assert!(selectors.ok);
    let (public_input_sel, poseidon_sel) = (selector_of(&selectors.words[0]), selector_of(&selectors.words[1]));
    for o in &out[n_hash..n_hash + 2] {
        assert!(!o.ok, "Poseidon accepted an input >= r");
        assert_eq!(o.revert.as_deref().map(|r| &r[..10]), Some(poseidon_sel.as_str()), "{o:?}");
    }

    // Verifier.
    for ((what, _), o) in verifier_cases.iter().zip(&out[first_verify..]) {
        match *what {
            "honest" => assert!(o.ok && o.words == ["1"], "honest proof refused: {o:?}"),
            "root + r" | "nullifierHash + r" => {
                assert!(!o.ok, "{what} did not revert");
                let revert = o.revert.as_deref().expect("revert data");
                assert_eq!(&revert[..10], public_input_sel, "{what}");
                let index = if *what == "root + r" { 0 } else { 1 };
                assert_eq!(u64::from_str_radix(&revert[10..], 16).expect("index"), index, "{what}");
            }
            _ => assert!(o.ok && o.words == ["0"], "{what} accepted: {o:?}"),
        }
    }
    let verify_gas = out[first_verify].gas.expect("gas");
    println!(
        "poseidon_gas T2 {} T3 {} T4 {}; verify_gas (transaction, 2 public inputs) {verify_gas}; code sizes {sizes}",
        gas[&1], gas[&2], gas[&3]
    );
    assert!(verify_gas < 260_000, "verify gas {verify_gas}");
}
