//! The generated Solidity, compiled by the pinned solc-js and run on Hardhat's EVM (npm): the Poseidon
//! libraries return our native hashes and refuse inputs >= r; the committed Groth16 verifiers (spend, 5 inputs;
//! disclosure, 4 inputs), deployed with a verifying key as constructor arguments, accept our proofs and nothing
//! else, refuse another key's proofs, and revert on a public input >= r. Prints the gas figures.

mod common;

use ark_ff::{BigInteger, One, PrimeField, UniformRand, Zero};
use automat_zk::disclosure::{
    Credential, DISCLOSURE_DEPTH, DISCLOSURE_PUBLIC_INPUTS, DisclosureCircuit, DisclosureProver, DisclosureRequest,
    max_birth_date,
};
use automat_zk::merkle::MerkleTree;
use automat_zk::rand::{SeedableRng, rngs::StdRng};
use automat_zk::solidity::{
    generated_files, poseidon_library, proof_calldata, verifier_constructor_words, verifier_constructor_words_for,
};
use automat_zk::spend::{Note, SPEND_DEPTH, SPEND_PUBLIC_INPUTS, SpendCircuit, SpendProver, SpendRequest};
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
    intrinsic: Option<u64>,
}

/// Compiles `sources`, deploys `deploy` (names or `{"contract", "args", "as", "mayFail"}` objects, see
/// tests/js/evm.js) and runs `calls`; returns the outcomes, the code sizes and which deployments succeeded.
fn run(sources: &[(String, String)], deploy: &[Value], calls: &[Call]) -> (Vec<Outcome>, Value, Value) {
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
            intrinsic: r["intrinsic"].as_u64(),
        })
        .collect();
    (outcomes, v["sizes"].clone(), v["deployed"].clone())
}

/// Constructor words as 0x-hex strings for evm.js.
fn hex_words(words: &[[u8; 32]]) -> Vec<String> {
    words.iter().map(|w| format!("0x{}", w.iter().map(|b| format!("{b:02x}")).collect::<String>())).collect()
}

/// The committed file `name` under contracts/src/zk, as the generator makes it.
fn committed(name: &str) -> String {
    let path = format!("contracts/src/zk/{name}");
    generated_files().expect("generate").into_iter().find(|(p, _)| *p == path).expect("generated file").1
}

/// Verifier call cases for one honest proof: the honest call, each input + 1, each input + r (reverts with
/// its index), and proof encodings that must be refused.
fn verifier_cases(words: &[String; 8], public: &[Fr], proof_a_y_plus_q: String) -> Vec<(String, Vec<String>)> {
    let with = |w: &[String], inputs: Vec<String>| -> Vec<String> { w.iter().cloned().chain(inputs).collect() };
    let honest: Vec<String> = public.iter().map(dec).collect();
    let mut cases = vec![("honest".to_string(), with(words, honest.clone()))];
    for i in 0..public.len() {
        let mut inputs = honest.clone();
        inputs[i] = dec(&(public[i] + Fr::one()));
        cases.push((format!("input {i} + 1"), with(words, inputs)));
        let mut inputs = honest.clone();
        inputs[i] = plus_r(&public[i]);
        cases.push((format!("input {i} + r"), with(words, inputs)));
    }
    let mut a_noncanonical = words.clone();
    a_noncanonical[1] = proof_a_y_plus_q;
    cases.push(("a.y + q (non-canonical)".into(), with(&a_noncanonical, honest.clone())));
    let mut b_swapped = words.clone();
    b_swapped.swap(2, 3);
    b_swapped.swap(4, 5);
    cases.push(("b in snarkjs JSON order".into(), with(&b_swapped, honest)));
    cases
}

fn a_y_plus_q(proof: &ark_groth16::Proof<ark_bn254::Bn254>) -> String {
    let (_, ay) = ark_ec::AffineRepr::xy(&proof.a).expect("finite");
    let mut y = ay.into_bigint();
    assert!(!y.add_with_carry(&ark_bn254::Fq::MODULUS));
    y.to_string()
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

    // Spend: keys, one honest proof (depth 20).
    let spend = SpendProver::setup(SPEND_DEPTH, &mut rng).expect("spend setup");
    let mut tree = MerkleTree::new(SPEND_DEPTH).expect("tree");
    let note = Note { amount: 1_000, nullifier: Fr::rand(&mut rng), secret: Fr::rand(&mut rng) };
    tree.insert(Fr::rand(&mut rng)).expect("insert");
    tree.insert(note.commitment()).expect("insert");
    let request = SpendRequest {
        withdrawn: 625,
        context: Fr::rand(&mut rng),
        change_nullifier: Fr::rand(&mut rng),
        change_secret: Fr::rand(&mut rng),
    };
    let spend_circuit = SpendCircuit::new(note, &tree, &request).expect("spend");
    let spend_proof = spend.prove(spend_circuit.clone(), &mut rng).expect("prove spend");
    let spend_public = spend_circuit.public.to_vec();
    // Another spend key: the same proof must not verify under it.
    let other_spend = SpendProver::setup(SPEND_DEPTH, &mut rng).expect("other setup");

    // Disclosure: keys, one honest proof (depth 20).
    let disclosure = DisclosureProver::setup(DISCLOSURE_DEPTH, &mut rng).expect("disclosure setup");
    let mut issuer = MerkleTree::new(DISCLOSURE_DEPTH).expect("tree");
    let credential = Credential { holder_secret: Fr::rand(&mut rng), jurisdiction: 250, birth_date: 19_900_517 };
    issuer.insert(credential.leaf()).expect("insert");
    let disclosure_request = DisclosureRequest {
        blocked: vec![408, 364, 760, 192],
        max_birth_date: max_birth_date(20_261_126, 18),
        order_binding: Fr::rand(&mut rng),
    };
    let disclosure_circuit = DisclosureCircuit::new(credential, &issuer, &disclosure_request).expect("disclose");
    let disclosure_proof = disclosure.prove(disclosure_circuit.clone(), &mut rng).expect("prove disclosure");
    let disclosure_public = disclosure_circuit.public.to_vec();

    let spend_words =
        hex_words(&verifier_constructor_words_for(spend.verifying_key(), SPEND_PUBLIC_INPUTS).expect("words"));
    let other_words = hex_words(&verifier_constructor_words(other_spend.verifying_key()).expect("words"));
    let disclosure_words = hex_words(
        &verifier_constructor_words_for(disclosure.verifying_key(), DISCLOSURE_PUBLIC_INPUTS).expect("words"),
    );
    assert!(verifier_constructor_words_for(disclosure.verifying_key(), SPEND_PUBLIC_INPUTS).is_err());
    // A key word >= q is refused by the constructor.
    let mut bad_words = spend_words.clone();
    bad_words[3] = format!("0x{}", num_hex(&ark_bn254::Fq::MODULUS.to_string()));

    let harness = r#"// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;
import "./PoseidonT2.sol";
import "./PoseidonT3.sol";
import "./PoseidonT4.sol";
import "./SpendVerifier.sol";
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
        return (SpendVerifier.PublicInputNotInField.selector, PoseidonT3.PoseidonInputNotInField.selector);
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
        ("PoseidonT3.sol".to_string(), committed("PoseidonT3.sol")),
        ("PoseidonT4.sol".to_string(), poseidon_library(3).expect("T4")),
        ("SpendVerifier.sol".to_string(), committed("SpendVerifier.sol")),
        ("DisclosureVerifier.sol".to_string(), committed("DisclosureVerifier.sol")),
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
    calls.push(Call { contract: "SpendVerifier", sig: "publicInputCount()", args: vec![] });
    calls.push(Call { contract: "DisclosureVerifier", sig: "publicInputCount()", args: vec![] });

    // Verifier cases.
    let spend_sig = "verifyProof(uint256[2],uint256[2][2],uint256[2],uint256[5])";
    let disclosure_sig = "verifyProof(uint256[2],uint256[2][2],uint256[2],uint256[4])";
    let spend_cases = verifier_cases(&proof_calldata(&spend_proof), &spend_public, a_y_plus_q(&spend_proof));
    let disclosure_cases =
        verifier_cases(&proof_calldata(&disclosure_proof), &disclosure_public, a_y_plus_q(&disclosure_proof));
    let first_spend = calls.len();
    for (_, args) in &spend_cases {
        calls.push(Call { contract: "SpendVerifier", sig: spend_sig, args: args.clone() });
    }
    let first_disclosure = calls.len();
    for (_, args) in &disclosure_cases {
        calls.push(Call { contract: "DisclosureVerifier", sig: disclosure_sig, args: args.clone() });
    }
    let other_key = calls.len();
    calls.push(Call { contract: "SpendVerifierOtherKey", sig: spend_sig, args: spend_cases[0].1.clone() });

    let deploy = vec![
        json!("HarnessT2"),
        json!("HarnessT3"),
        json!("HarnessT4"),
        json!({"contract": "SpendVerifier", "args": spend_words}),
        json!({"contract": "SpendVerifier", "args": other_words, "as": "SpendVerifierOtherKey"}),
        json!({"contract": "DisclosureVerifier", "args": disclosure_words}),
        json!({"contract": "SpendVerifier", "args": bad_words, "as": "SpendVerifierBadKey", "mayFail": true}),
    ];
    let (out, sizes, deployed) = run(&sources, &deploy, &calls);
    assert_eq!(out.len(), calls.len());
    assert_eq!(deployed["SpendVerifier"], json!(true));
    assert_eq!(deployed["SpendVerifierBadKey"], json!(false), "a key word >= q was accepted");

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
    assert_eq!(out[n_hash + 3].words, [SPEND_PUBLIC_INPUTS.to_string()]);
    assert_eq!(out[n_hash + 4].words, [DISCLOSURE_PUBLIC_INPUTS.to_string()]);

    // Verifiers.
    for (cases, first, name) in
        [(&spend_cases, first_spend, "spend"), (&disclosure_cases, first_disclosure, "disclosure")]
    {
        for ((what, _), o) in cases.iter().zip(&out[first..]) {
            if what == "honest" {
                assert!(o.ok && o.words == ["1"], "{name}: honest proof refused: {o:?}");
            } else if let Some(index) = what.strip_prefix("input ").and_then(|w| w.strip_suffix(" + r")) {
                assert!(!o.ok, "{name}: {what} did not revert");
                let revert = o.revert.as_deref().expect("revert data");
                assert_eq!(&revert[..10], public_input_sel, "{name}: {what}");
                assert_eq!(u64::from_str_radix(&revert[10..], 16).expect("index").to_string(), index, "{what}");
            } else {
                assert!(o.ok && o.words == ["0"], "{name}: {what} accepted: {o:?}");
            }
        }
    }
    let refused = &out[other_key];
    assert!(refused.ok && refused.words == ["0"], "a proof verified under another key: {refused:?}");

    let execution = |o: &Outcome| o.gas.expect("gas") - o.intrinsic.expect("intrinsic");
    let (spend_o, disclosure_o) = (&out[first_spend], &out[first_disclosure]);
    eprintln!(
        "gas: PoseidonT2 {} PoseidonT3 {} PoseidonT4 {} (library call, gasleft difference)",
        gas[&1], gas[&2], gas[&3]
    );
    eprintln!(
        "gas: SpendVerifier.verifyProof (5 inputs) transaction {} = intrinsic {} + execution {}",
        spend_o.gas.expect("gas"),
        spend_o.intrinsic.expect("intrinsic"),
        execution(spend_o)
    );
    eprintln!(
        "gas: DisclosureVerifier.verifyProof (4 inputs) transaction {} = intrinsic {} + execution {}",
        disclosure_o.gas.expect("gas"),
        disclosure_o.intrinsic.expect("intrinsic"),
        execution(disclosure_o)
    );
    eprintln!("code sizes: {sizes}");
    assert!(execution(spend_o) <= 230_000, "spend verify execution gas {}", execution(spend_o));
    assert!(execution(disclosure_o) < execution(spend_o), "a public input fewer costs less");
}
