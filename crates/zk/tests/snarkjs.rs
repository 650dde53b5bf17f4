//! Our Groth16 proofs checked by snarkjs (npm), an independent verifier: the exported verifying key, proof and
//! public signals verify with `snarkjs groth16 verify`, and tampered ones do not (also with our own verifier
//! after a strict re-import).

mod common;

use std::ffi::OsStr;

use ark_ff::{One, PrimeField};
use automat_zk::Fr;
use automat_zk::membership::{MEMBERSHIP20_DEPTH, MembershipKind, MembershipProver, sample_circuit, verify};
use automat_zk::rand::{SeedableRng, rngs::StdRng};
use automat_zk::snarkjs::{
    g1_json, proof_from_json, proof_json, public_signals_from_json, public_signals_json, verifying_key_from_json,
    verifying_key_json,
};
use serde_json::{Value, json};

/// Runs snarkjs' JS API over (vk, public, proof) cases; one boolean per case.
fn snarkjs_verify(cases: &[(Value, Value, Value)]) -> Vec<bool> {
    let input: Vec<Value> =
        cases.iter().map(|(vk, public, proof)| json!({"vk": vk, "public": public, "proof": proof})).collect();
    let script = common::script("groth16_verify.js");
    let modules = common::node_modules();
    let out = common::node(&[script.as_os_str(), modules.as_os_str()], &Value::Array(input).to_string());
    assert!(out.status.success(), "groth16_verify.js failed: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("a JSON array of booleans")
}

#[test]
fn membership20_proofs_verify_with_snarkjs() {
    common::require_package("snarkjs");
    let mut rng = StdRng::seed_from_u64(66);
    let prover = MembershipProver::setup(MembershipKind::Bare, MEMBERSHIP20_DEPTH, &mut rng).expect("setup");
    let circuit = sample_circuit(MembershipKind::Bare, MEMBERSHIP20_DEPTH, 9).expect("sample");
    let proof = prover.prove(circuit.clone(), &mut rng).expect("prove");
    let public = circuit.public.to_vec();

    let vk = verifying_key_json(prover.verifying_key());
    let proof_v = proof_json(&proof);
    let public_v = public_signals_json(&public);
    assert_eq!(vk["nPublic"], json!(2));

    // 1. The snarkjs CLI, exactly as a user would run it, on files.
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, v) in [("verification_key.json", &vk), ("public.json", &public_v), ("proof.json", &proof_v)] {
        std::fs::write(dir.path().join(name), serde_json::to_vec_pretty(v).expect("json")).expect("write");
    }
    let cli = common::node_modules().join("snarkjs/build/cli.cjs");
    let mut cmd_args: Vec<&OsStr> = vec![cli.as_os_str(), OsStr::new("groth16"), OsStr::new("verify")];
    let paths: Vec<_> =
        ["verification_key.json", "public.json", "proof.json"].iter().map(|n| dir.path().join(n)).collect();
    cmd_args.extend(paths.iter().map(|p| p.as_os_str()));
    let out = common::node(&cmd_args, "");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("OK"),
        "snarkjs CLI refused our proof: {stdout} {}",
        String::from_utf8_lossy(&out.stderr)
    );

    // The CLI also refuses a tampered public signal.
    let mut tampered = public.clone();
    tampered[1] += Fr::one();
    std::fs::write(&paths[1], public_signals_json(&tampered).to_string()).expect("write");
    let out = common::node(&cmd_args, "");
    assert!(
        !out.status.success(),
        "snarkjs CLI accepted a tampered public signal: {}",
        String::from_utf8_lossy(&out.stdout)
    );

    // 2. Many cases through the JS API in one node process.
    let r = Fr::MODULUS;
    let mut aliased = public_v.clone();
    // root + r: the same residue, but not a field element; snarkjs (and we) must refuse it.
    let root_plus_r = {
        let mut b = circuit.public.root.into_bigint();
        let carry = ark_ff::BigInteger::add_with_carry(&mut b, &r);
        assert!(!carry);
        b.to_string()
    };
    aliased[0] = json!(root_plus_r);
    let mut pi_a_swapped = proof_v.clone();
    pi_a_swapped["pi_a"] = proof_v["pi_c"].clone();
    let mut pi_a_generator = proof_v.clone();
    pi_a_generator["pi_a"] = g1_json(&ark_ec::AffineRepr::generator());
    let other =
        prover.prove(sample_circuit(MembershipKind::Bare, MEMBERSHIP20_DEPTH, 10).expect("s"), &mut rng).expect("p");
    let swapped_signals = json!([public_v[1], public_v[0]]);
    let cases = [
        ("valid", (vk.clone(), public_v.clone(), proof_v.clone()), true),
        ("root + 1", (vk.clone(), public_signals_json(&[public[0] + Fr::one(), public[1]]), proof_v.clone()), false),
        ("nullifierHash + 1", (vk.clone(), public_signals_json(&tampered), proof_v.clone()), false),
        ("root + r (aliasing)", (vk.clone(), aliased.clone(), proof_v.clone()), false),
        ("signals swapped", (vk.clone(), swapped_signals, proof_v.clone()), false),
        ("pi_a replaced by pi_c", (vk.clone(), public_v.clone(), pi_a_swapped), false),
        ("pi_a replaced by the generator", (vk.clone(), public_v.clone(), pi_a_generator), false),
        ("proof of another statement", (vk.clone(), public_v.clone(), proof_json(&other)), false),
    ];
    let results = snarkjs_verify(&cases.iter().map(|(_, c, _)| c.clone()).collect::<Vec<_>>());
    for ((what, _, want), got) in cases.iter().zip(&results) {
        assert_eq!(got, want, "snarkjs on {what}");
    }

    // 3. Strict re-import: what we exported reads back to the same objects and verifies with our verifier;
    //    the aliased signal is refused at import.
    let vk_back = verifying_key_from_json(&vk).expect("vk import");
    assert_eq!(&vk_back, prover.verifying_key());
    let proof_back = proof_from_json(&proof_v).expect("proof import");
    assert_eq!(proof_back, proof);
    let public_back = public_signals_from_json(&public_v).expect("public import");
    assert!(verify(&vk_back, &public_back, &proof_back).expect("verify"));
    assert!(public_signals_from_json(&aliased).is_err());
}

/// `snarkjs groth16 verify` (the CLI, on files) of one (vk, public, proof); true when it prints OK.
fn snarkjs_cli_verify(vk: &Value, public: &Value, proof: &Value) -> bool {
    let dir = tempfile::tempdir().expect("tempdir");
    let paths: Vec<_> = [("verification_key.json", vk), ("public.json", public), ("proof.json", proof)]
        .iter()
        .map(|(name, v)| {
            let path = dir.path().join(name);
            std::fs::write(&path, serde_json::to_vec_pretty(v).expect("json")).expect("write");
            path
        })
        .collect();
    let cli = common::node_modules().join("snarkjs/build/cli.cjs");
    let mut args: Vec<&OsStr> = vec![cli.as_os_str(), OsStr::new("groth16"), OsStr::new("verify")];
    args.extend(paths.iter().map(|p| p.as_os_str()));
    let out = common::node(&args, "");
    out.status.success() && String::from_utf8_lossy(&out.stdout).contains("OK")
}

#[test]
fn spend20_proofs_verify_with_snarkjs() {
    use automat_zk::merkle::MerkleTree;
    use automat_zk::spend::{Note, SPEND_DEPTH, SPEND_PUBLIC_INPUTS, SpendCircuit, SpendProver, SpendRequest};

    common::require_package("snarkjs");
    let mut rng = StdRng::seed_from_u64(67);
    let prover = SpendProver::setup(SPEND_DEPTH, &mut rng).expect("setup");
    let mut tree = MerkleTree::new(SPEND_DEPTH).expect("tree");
    let note = Note { amount: 5_000, nullifier: Fr::from(1_234u64), secret: Fr::from(5_678u64) };
    tree.insert(Fr::from(42u64)).expect("insert");
    tree.insert(note.commitment()).expect("insert");
    let request = SpendRequest {
        withdrawn: 1_250,
        context: Fr::from(0xc0ffee_u64),
        change_nullifier: Fr::from(9u64),
        change_secret: Fr::from(10u64),
    };
    let circuit = SpendCircuit::new(note, &tree, &request).expect("spend");
    let proof = prover.prove(circuit.clone(), &mut rng).expect("prove");
    let public = circuit.public.to_vec();

    let vk = verifying_key_json(prover.verifying_key());
    assert_eq!(vk["nPublic"], json!(SPEND_PUBLIC_INPUTS));
    let proof_v = proof_json(&proof);
    assert!(snarkjs_cli_verify(&vk, &public_signals_json(&public), &proof_v), "snarkjs CLI refused the spend");
    // Another context (recipient, relayer, fee, chain or pool) or withdrawal: refused.
    for (i, what) in [(2, "withdrawn"), (4, "context")] {
        let mut tampered = public.clone();
        tampered[i] += Fr::one();
        assert!(!snarkjs_cli_verify(&vk, &public_signals_json(&tampered), &proof_v), "snarkjs accepted {what} + 1");
    }
}

#[test]
fn disclosure20_proofs_verify_with_snarkjs() {
    use automat_zk::disclosure::{
        Credential, DISCLOSURE_DEPTH, DISCLOSURE_PUBLIC_INPUTS, DisclosureCircuit, DisclosureProver, DisclosureRequest,
        blocked_set_hash, max_birth_date,
    };
    use automat_zk::merkle::MerkleTree;

    common::require_package("snarkjs");
    let mut rng = StdRng::seed_from_u64(68);
    let prover = DisclosureProver::setup(DISCLOSURE_DEPTH, &mut rng).expect("setup");
    let mut tree = MerkleTree::new(DISCLOSURE_DEPTH).expect("tree");
    let credential = Credential { holder_secret: Fr::from(777u64), jurisdiction: 250, birth_date: 19_900_517 };
    tree.insert(Fr::from(42u64)).expect("insert");
    tree.insert(credential.leaf()).expect("insert");
    let request = DisclosureRequest {
        blocked: vec![408, 364, 760, 192],
        max_birth_date: max_birth_date(20_261_126, 18),
        order_binding: Fr::from(0xbeef_u64),
    };
    let circuit = DisclosureCircuit::new(credential, &tree, &request).expect("disclose");
    let proof = prover.prove(circuit.clone(), &mut rng).expect("prove");
    let public = circuit.public.to_vec();

    let vk = verifying_key_json(prover.verifying_key());
    assert_eq!(vk["nPublic"], json!(DISCLOSURE_PUBLIC_INPUTS));
    let proof_v = proof_json(&proof);
    assert!(snarkjs_cli_verify(&vk, &public_signals_json(&public), &proof_v), "snarkjs CLI refused the disclosure");
    let tampered = [
        ("another blocked set", 1, blocked_set_hash(&[408, 364, 760]).expect("hash")),
        ("another maxBirthDate", 2, Fr::from(20_091_126u64)),
        ("another order binding", 3, public[3] + Fr::one()),
    ];
    for (what, i, value) in tampered {
        let mut signals = public.clone();
        signals[i] = value;
        assert!(!snarkjs_cli_verify(&vk, &public_signals_json(&signals), &proof_v), "snarkjs accepted {what}");
    }
}
