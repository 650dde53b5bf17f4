//! Solidity generated from the very constants the Rust side uses: a Groth16 verifier per circuit shape and
//! circomlib Poseidon libraries (`PoseidonT2`, `PoseidonT3`, `PoseidonT4`) from `light-poseidon`'s tables.
//!
//! A verifier depends only on the number of public inputs: the verifying key is passed to its constructor
//! ([`verifier_constructor_words`]) and kept in `immutable` variables, so the committed, compiled contracts
//! work with keys made later (`automat zk setup`, from OS randomness) without recompiling. The files committed
//! under `contracts/src/zk/` are listed by [`generated_files`] and written by `cargo run -p automat-zk
//! --example generate_solidity`; a test fails when they differ from the generator's output.
//!
//! The verifier uses the BN254 precompiles (0x06 add, 0x07 scalar multiplication, 0x08 pairing), checks every
//! public input is below the scalar field modulus r (reverting with `PublicInputNotInField(index)`, so no
//! input can alias another modulo r), returns false for a non-canonical coordinate of `a`, `b` or `c` (it
//! negates `a` itself; the pairing precompile checks the points are on the curve and in the subgroup) and
//! forwards a capped amount of gas to the pairing, so a malformed proof is answered `false` rather than running
//! the caller out of gas. Proof calldata is `a = [x, y]`, `b = [[x.c1, x.c0], [y.c1, y.c0]]` (EIP-197
//! order, imaginary part first; see [`proof_calldata`]), `c = [x, y]`.
//!
//! The Poseidon libraries are fully unrolled Yul: the state stays below 2^256 without intermediate reductions
//! (each product is `mulmod`, at most t + 1 terms below r are added), the MDS matrix sits in scratch memory, and
//! inputs ≥ r revert with `PoseidonInputNotInField()`.

use std::fmt::Write as _;

use ark_bn254::{Bn254, Fq, Fr, G1Affine, G2Affine};
use ark_ec::AffineRepr;
use ark_ff::PrimeField;
use ark_groth16::{Proof, VerifyingKey};

use crate::{Result, ZkError, poseidon};

fn dec<F: PrimeField>(x: &F) -> String {
    x.to_string()
}

fn g1_words(p: &G1Affine) -> [String; 2] {
    match p.xy() {
        Some((x, y)) => [dec(&x), dec(&y)],
        None => ["0".into(), "0".into()],
    }
}

/// A G2 point as the four words the pairing precompile takes: `x.c1, x.c0, y.c1, y.c0`.
fn g2_words(p: &G2Affine) -> [String; 4] {
    match p.xy() {
        Some((x, y)) => [dec(&x.c1), dec(&x.c0), dec(&y.c1), dec(&y.c0)],
        None => ["0".into(), "0".into(), "0".into(), "0".into()],
    }
}

/// The proof as the eight decimal words of `verifyProof(a, b, c, input)`: `a.x, a.y, b.x.c1, b.x.c0, b.y.c1,
/// b.y.c0, c.x, c.y`.
pub fn proof_calldata(proof: &Proof<Bn254>) -> [String; 8] {
    let [ax, ay] = g1_words(&proof.a);
    let [b0, b1, b2, b3] = g2_words(&proof.b);
    let [cx, cy] = g1_words(&proof.c);
    [ax, ay, b0, b1, b2, b3, cx, cy]
}

fn check_identifier(name: &str) -> Result<()> {
    let mut chars = name.chars();
    let ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if ok { Ok(()) } else { Err(ZkError::Shape(format!("not a Solidity identifier: {name:?}"))) }
}

/// The generated Solidity files committed in the repository, as (path from the workspace root, contents):
/// `contracts/src/zk/PoseidonT3.sol`, `contracts/src/zk/SpendVerifier.sol` (contract `SpendVerifier`,
/// [`crate::spend::SPEND_PUBLIC_INPUTS`] inputs) and `contracts/src/zk/DisclosureVerifier.sol` (contract
/// `DisclosureVerifier`, [`crate::disclosure::DISCLOSURE_PUBLIC_INPUTS`] inputs).
pub fn generated_files() -> Result<Vec<(&'static str, String)>> {
    Ok(vec![
        ("contracts/src/zk/PoseidonT3.sol", poseidon_library(2)?),
        ("contracts/src/zk/SpendVerifier.sol", groth16_verifier(crate::spend::SPEND_PUBLIC_INPUTS, "SpendVerifier")?),
        (
            "contracts/src/zk/DisclosureVerifier.sol",
            groth16_verifier(crate::disclosure::DISCLOSURE_PUBLIC_INPUTS, "DisclosureVerifier")?,
        ),
    ])
}

/// Number of 32-byte words of a verifier's constructor arguments for `public_inputs` inputs: alpha (2),
/// beta, gamma, delta (4 each) and `public_inputs + 1` IC points (2 each).
pub fn verifier_constructor_word_count(public_inputs: usize) -> usize {
    2 + 3 * 4 + 2 * (public_inputs + 1)
}

/// Solidity source of a Groth16 verifier contract (BN254) named `contract_name` for circuits with
/// `public_inputs` public inputs, with `function verifyProof(uint256[2] a, uint256[2][2] b, uint256[2] c,
/// uint256[N] input) external view returns (bool)` and `function publicInputCount() external pure returns
/// (uint256)`.
///
/// The verifying key is not part of the source: it is passed to the constructor, `constructor(uint256[2]
/// alpha, uint256[4] beta, uint256[4] gamma, uint256[4] delta, uint256[2][N + 1] ic)` (G2 points in EIP-197
/// order `x.c1, x.c0, y.c1, y.c0`; see [`verifier_constructor_words`]), and kept in `immutable` variables
/// (read from code like constants), so one compiled contract serves any key of that shape.
pub fn groth16_verifier(public_inputs: usize, contract_name: &str) -> Result<String> {
    check_identifier(contract_name)?;
    let n = public_inputs;
    if n == 0 {
        return Err(ZkError::Shape("a verifier needs at least one public input".into()));
    }
    let r = Fr::MODULUS.to_string();
    let q = Fq::MODULUS.to_string();
    let mut s = String::new();
    let w = &mut s;
    // `write!` into a String cannot fail.
    let _ = writeln!(w, "// SPDX-License-Identifier: MIT");
    let _ =
        writeln!(w, "// Generated by automat-zk (`cargo run -p automat-zk --example generate_solidity`). Do not edit.");
    let _ = writeln!(w, "pragma solidity ^0.8.24;\n");
    let _ = writeln!(w, "/// @title {contract_name}");
    let _ = writeln!(
        w,
        "/// @notice Verifies Groth16 proofs (BN254) of one circuit with {n} public inputs. The verifying key"
    );
    let _ =
        writeln!(w, "///         is given to the constructor and kept in immutables, so any key of that shape deploys");
    let _ = writeln!(w, "///         without recompiling.");
    let _ = writeln!(w, "contract {contract_name} {{");
    let _ = writeln!(w, "    /// @notice Public input `index` is not a scalar field element (it is >= r).");
    let _ = writeln!(w, "    error PublicInputNotInField(uint256 index);");
    let _ = writeln!(
        w,
        "    /// @notice Word `index` of the constructor's verifying key is not a base field element (>= q)."
    );
    let _ = writeln!(w, "    error KeyNotInField(uint256 index);\n");
    let _ = writeln!(w, "    /// @dev BN254 scalar field modulus r.");
    let _ = writeln!(w, "    uint256 internal constant R = {r};");
    let _ = writeln!(w, "    /// @dev BN254 base field modulus q.");
    let _ = writeln!(w, "    uint256 internal constant Q = {q};");
    let _ = writeln!(w, "    /// @dev Number of public inputs.");
    let _ = writeln!(w, "    uint256 internal constant N = {n};");
    let _ = writeln!(
        w,
        "    /// @dev Gas forwarded to the pairing precompile: its pre-EIP-1108 price for 4 pairs (100,000 + 4 x 80,000), \
         an upper\n    ///      bound of every pricing in use. A malformed proof (a point off the curve) makes the precompile \
         fail and\n    ///      burn what it was given: capped, the verifier still returns false instead of running the \
         caller out of gas.\n    uint256 internal constant PAIRING_GAS_CAP = 420_000;\n"
    );
    let _ = writeln!(w, "    // The verifying key, one immutable per word (read from code, no storage access).");
    let mut names: Vec<String> = vec!["ALPHA_X".into(), "ALPHA_Y".into()];
    for g2 in ["BETA", "GAMMA", "DELTA"] {
        for part in ["X1", "X0", "Y1", "Y0"] {
            names.push(format!("{g2}_{part}"));
        }
    }
    for i in 0..=n {
        names.push(format!("IC{i}_X"));
        names.push(format!("IC{i}_Y"));
    }
    for name in &names {
        let _ = writeln!(w, "    uint256 private immutable {name};");
    }
    let _ = writeln!(
        w,
        r#"
    /// @notice Deploys the verifier for one verifying key (from `automat zk setup`). Every word must be below q.
    /// @param alpha alpha (G1) `[x, y]`
    /// @param beta beta (G2) `[x.c1, x.c0, y.c1, y.c0]` (EIP-197 order)
    /// @param gamma gamma (G2), same order
    /// @param delta delta (G2), same order
    /// @param ic the {m} IC points (G1) `[x, y]`: IC[0] and one per public input, in circuit order
    constructor(
        uint256[2] memory alpha,
        uint256[4] memory beta,
        uint256[4] memory gamma,
        uint256[4] memory delta,
        uint256[2][{m}] memory ic
    ) {{
        for (uint256 i = 0; i < 2; ++i) {{
            if (alpha[i] >= Q) revert KeyNotInField(i);
        }}
        for (uint256 i = 0; i < 4; ++i) {{
            if (beta[i] >= Q) revert KeyNotInField(2 + i);
            if (gamma[i] >= Q) revert KeyNotInField(6 + i);
            if (delta[i] >= Q) revert KeyNotInField(10 + i);
        }}
        for (uint256 i = 0; i < {m}; ++i) {{
            if (ic[i][0] >= Q) revert KeyNotInField(14 + 2 * i);
            if (ic[i][1] >= Q) revert KeyNotInField(15 + 2 * i);
        }}
        ALPHA_X = alpha[0];
        ALPHA_Y = alpha[1];"#,
        m = n + 1
    );
    for (g2, arg) in [("BETA", "beta"), ("GAMMA", "gamma"), ("DELTA", "delta")] {
        for (k, part) in ["X1", "X0", "Y1", "Y0"].iter().enumerate() {
            let _ = writeln!(w, "        {g2}_{part} = {arg}[{k}];");
        }
    }
    for i in 0..=n {
        let _ = writeln!(w, "        IC{i}_X = ic[{i}][0];");
        let _ = writeln!(w, "        IC{i}_Y = ic[{i}][1];");
    }
    let _ = writeln!(
        w,
        r#"    }}

    /// @notice Number of public inputs `verifyProof` takes.
    /// @return the number of public inputs
    function publicInputCount() external pure returns (uint256) {{
        return N;
    }}

    /// @notice True when `(a, b, c)` is a valid proof for the public inputs `input`; reverts with
    ///         `PublicInputNotInField` when an input is >= r.
    /// @param a proof point A, `[x, y]`
    /// @param b proof point B, `[[x.c1, x.c0], [y.c1, y.c0]]`
    /// @param c proof point C, `[x, y]`
    /// @param input the public inputs, in circuit order
    /// @return whether the proof verifies
    function verifyProof(
        uint256[2] calldata a,
        uint256[2][2] calldata b,
        uint256[2] calldata c,
        uint256[{n}] calldata input
    ) external view returns (bool) {{
        for (uint256 i = 0; i < {n}; ++i) {{
            if (input[i] >= R) revert PublicInputNotInField(i);
        }}
        if (a[0] >= Q || a[1] >= Q || c[0] >= Q || c[1] >= Q) return false;
        if (b[0][0] >= Q || b[0][1] >= Q || b[1][0] >= Q || b[1][1] >= Q) return false;

        // vk_x = IC0 + sum(input[i] * IC[i + 1]): acc holds (x, y) and, right after it, the term to add.
        uint256[4] memory acc;
        uint256[3] memory term;
        acc[0] = IC0_X;
        acc[1] = IC0_Y;
        bool ok = true;"#
    );
    for i in 0..n {
        let _ = writeln!(
            w,
            r#"        term[0] = IC{k}_X;
        term[1] = IC{k}_Y;
        term[2] = input[{i}];
        assembly ("memory-safe") {{
            ok := and(ok, staticcall(gas(), 0x07, term, 0x60, add(acc, 0x40), 0x40))
            ok := and(ok, staticcall(gas(), 0x06, acc, 0x80, acc, 0x40))
        }}"#,
            k = i + 1
        );
    }
    let _ = writeln!(
        w,
        r#"        if (!ok) return false;

        // e(-A, B) * e(alpha, beta) * e(vk_x, gamma) * e(C, delta) == 1
        uint256[24] memory p = [
            a[0], (Q - a[1]) % Q, b[0][0], b[0][1], b[1][0], b[1][1],
            ALPHA_X, ALPHA_Y, BETA_X1, BETA_X0, BETA_Y1, BETA_Y0,
            acc[0], acc[1], GAMMA_X1, GAMMA_X0, GAMMA_Y1, GAMMA_Y0,
            c[0], c[1], DELTA_X1, DELTA_X0, DELTA_Y1, DELTA_Y0
        ];
        uint256[1] memory out;
        assembly ("memory-safe") {{
            ok := staticcall(PAIRING_GAS_CAP, 0x08, p, 0x300, out, 0x20)
        }}
        return ok && out[0] == 1;
    }}
}}"#
    );
    Ok(s)
}

/// The verifier's constructor arguments for `vk` (see [`groth16_verifier`]), ABI-encoded as big-endian
/// 32-byte words in order: `alpha.x, alpha.y`, then beta, gamma and delta each as `x.c1, x.c0, y.c1, y.c0`,
/// then `ic[i].x, ic[i].y` for every IC point. All arguments are static arrays, so the encoding is this flat
/// concatenation (append it to the creation code). Points at infinity encode as zeros.
pub fn verifier_constructor_words(vk: &VerifyingKey<Bn254>) -> Result<Vec<[u8; 32]>> {
    let n = vk.gamma_abc_g1.len().checked_sub(1).ok_or_else(|| ZkError::Shape("verifying key without IC".into()))?;
    if n == 0 {
        return Err(ZkError::Shape("a verifier needs at least one public input".into()));
    }
    let zero = Fq::from(0u64);
    let g1 = |p: &G1Affine| p.xy().map_or([zero; 2], |(x, y)| [x, y]);
    let g2 = |p: &G2Affine| p.xy().map_or([zero; 4], |(x, y)| [x.c1, x.c0, y.c1, y.c0]);
    let mut coordinates: Vec<Fq> = Vec::with_capacity(verifier_constructor_word_count(n));
    coordinates.extend(g1(&vk.alpha_g1));
    for p in [&vk.beta_g2, &vk.gamma_g2, &vk.delta_g2] {
        coordinates.extend(g2(p));
    }
    for p in &vk.gamma_abc_g1 {
        coordinates.extend(g1(p));
    }
    let words = coordinates.iter().map(be_word).collect();
    Ok(words)
}

/// [`verifier_constructor_words`] for a verifier of `public_inputs` inputs: [`ZkError::PublicInputs`] when
/// `vk` takes another number.
pub fn verifier_constructor_words_for(vk: &VerifyingKey<Bn254>, public_inputs: usize) -> Result<Vec<[u8; 32]>> {
    let got = vk.gamma_abc_g1.len().saturating_sub(1);
    if got != public_inputs {
        return Err(ZkError::PublicInputs { expected: public_inputs, got });
    }
    verifier_constructor_words(vk)
}

fn be_word(x: &Fq) -> [u8; 32] {
    use ark_ff::BigInteger;
    let bytes = x.into_bigint().to_bytes_be();
    let mut word = [0u8; 32];
    word[32 - bytes.len()..].copy_from_slice(&bytes);
    word
}

/// Solidity source of `library PoseidonT{t}` (t = `inputs` + 1, 1 ≤ `inputs` ≤ 3) with
/// `function hash(uint256[inputs] memory inputs) internal pure returns (uint256)`: circomlib Poseidon, the same
/// constants as [`poseidon::hash`].
pub fn poseidon_library(inputs: usize) -> Result<String> {
    if !(1..=3).contains(&inputs) {
        // (t + 1)·r must stay below 2^256 for the unreduced sums; r ≈ 2^253.6 allows t ≤ 4.
        return Err(ZkError::PoseidonArity { got: inputs, max: 3 });
    }
    let params = poseidon::parameters(inputs)?;
    let t = params.width;
    let rounds = params.full_rounds + params.partial_rounds;
    let half = params.full_rounds / 2;
    let ark = |round: usize, i: usize| dec(&params.ark[round * t + i]);
    let r = Fr::MODULUS.to_string();

    let mut s = String::new();
    let w = &mut s;
    let _ = writeln!(w, "// SPDX-License-Identifier: MIT");
    let _ = writeln!(
        w,
        "// Generated by automat-zk from light-poseidon's circomlib constants (BN254, x^5, t = {t}). Do not edit."
    );
    let _ = writeln!(w, "pragma solidity ^0.8.24;\n");
    let _ = writeln!(w, "/// @title PoseidonT{t}");
    let _ = writeln!(w, "/// @notice circomlib Poseidon of {inputs} field element(s) (circomlibjs `poseidon([...])`).");
    let _ = writeln!(w, "library PoseidonT{t} {{");
    let _ = writeln!(w, "    /// @notice An input is not a scalar field element (it is >= r).");
    let _ = writeln!(w, "    error PoseidonInputNotInField();\n");
    let _ = writeln!(w, "    /// @dev BN254 scalar field modulus r.");
    let _ = writeln!(w, "    uint256 internal constant F = {r};\n");
    let _ = writeln!(
        w,
        "    /// @notice Poseidon of `inputs`, each < r; reverts with `PoseidonInputNotInField` otherwise."
    );
    let _ = writeln!(w, "    /// @param inputs the field elements to hash");
    let _ = writeln!(w, "    /// @return out the hash, < r");
    let _ = writeln!(w, "    function hash(uint256[{inputs}] memory inputs) internal pure returns (uint256 out) {{");
    let _ = writeln!(w, "        for (uint256 i = 0; i < {inputs}; ++i) {{");
    let _ = writeln!(w, "            if (inputs[i] >= F) revert PoseidonInputNotInField();");
    let _ = writeln!(w, "        }}");
    let _ = writeln!(w, "        assembly (\"memory-safe\") {{");
    let _ = writeln!(w, "            let f := F");
    for i in 1..t {
        let _ = writeln!(w, "            let s{i} := mload(add(inputs, {}))", (i - 1) * 32);
    }
    // The MDS matrix in scratch memory above the free memory pointer (not allocated: nothing else runs here).
    let _ = writeln!(w, "            let m := mload(0x40)");
    for i in 0..t {
        for j in 0..t {
            let _ = writeln!(w, "            mstore(add(m, {}), {})", (i * t + j) * 32, dec(&params.mds[i][j]));
        }
    }
    // Round 0's constants; the domain tag s0 = 0.
    let _ = writeln!(w, "            let s0 := {}", ark(0, 0));
    for i in 1..t {
        let _ = writeln!(w, "            s{i} := add(s{i}, {})", ark(0, i));
    }
    for round in 0..rounds {
        let full = round < half || round >= half + params.partial_rounds;
        let _ = writeln!(w, "            // round {round} ({})", if full { "full" } else { "partial" });
        for i in 0..t {
            if full || i == 0 {
                let _ = writeln!(w, "            {{");
                let _ = writeln!(w, "                let x2 := mulmod(s{i}, s{i}, f)");
                let _ = writeln!(w, "                s{i} := mulmod(mulmod(x2, x2, f), s{i}, f)");
                let _ = writeln!(w, "            }}");
            }
        }
        // new_i = Σ_j mds[i][j]·s_j (+ next round's constant), each term < r: the sum stays < (t + 1)·r.
        let _ = writeln!(w, "            {{");
        for i in 0..t {
            let terms: Vec<String> =
                (0..t).map(|j| format!("mulmod(s{j}, mload(add(m, {})), f)", (i * t + j) * 32)).collect();
            let mut sum = terms[0].clone();
            for term in &terms[1..] {
                sum = format!("add({sum}, {term})");
            }
            if round + 1 < rounds {
                sum = format!("add({sum}, {})", ark(round + 1, i));
            }
            let _ = writeln!(w, "                let n{i} := {sum}");
        }
        for i in 0..t {
            let _ = writeln!(w, "                s{i} := n{i}");
        }
        let _ = writeln!(w, "            }}");
    }
    let _ = writeln!(w, "            out := mod(s0, f)");
    let _ = writeln!(w, "        }}");
    let _ = writeln!(w, "    }}");
    let _ = writeln!(w, "}}");
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ec::CurveGroup;
    use ark_ff::UniformRand;
    use ark_std::rand::{SeedableRng, rngs::StdRng};

    fn sample_vk(n: usize) -> VerifyingKey<Bn254> {
        let mut rng = StdRng::seed_from_u64(9);
        VerifyingKey {
            alpha_g1: ark_bn254::G1Projective::rand(&mut rng).into_affine(),
            beta_g2: ark_bn254::G2Projective::rand(&mut rng).into_affine(),
            gamma_g2: ark_bn254::G2Projective::rand(&mut rng).into_affine(),
            delta_g2: ark_bn254::G2Projective::rand(&mut rng).into_affine(),
            gamma_abc_g1: (0..=n).map(|_| ark_bn254::G1Projective::rand(&mut rng).into_affine()).collect(),
        }
    }

    #[test]
    fn verifier_takes_the_key_in_its_constructor() {
        let src = groth16_verifier(2, "MembershipVerifier").expect("generate");
        assert!(src.contains("contract MembershipVerifier {"));
        assert!(src.contains("uint256[2] calldata input"));
        assert!(src.contains("uint256[2][3] memory ic"));
        assert!(src.contains("error PublicInputNotInField(uint256 index);"));
        assert!(src.contains("function publicInputCount() external pure returns (uint256)"));
        assert!(src.contains(&format!("uint256 internal constant R = {};", Fr::MODULUS)));
        assert!(src.contains(&format!("uint256 internal constant Q = {};", Fq::MODULUS)));
        // One immutable per key word, none in storage.
        assert_eq!(src.matches("uint256 private immutable ").count(), verifier_constructor_word_count(2));
        assert!(src.contains("uint256 private immutable IC2_Y;") && !src.contains("IC3_X"));
        assert!(src.contains("BETA_X1 = beta[0];") && src.contains("BETA_Y0 = beta[3];"));
        for precompile in ["0x06", "0x07", "0x08"] {
            assert!(src.contains(precompile));
        }
        // The source depends on the shape only.
        assert_eq!(src, groth16_verifier(2, "MembershipVerifier").expect("generate"));
        assert!(groth16_verifier(2, "1Bad").is_err());
        assert!(groth16_verifier(2, "bad name").is_err());
        assert!(groth16_verifier(0, "NoInputs").is_err());
    }

    #[test]
    fn constructor_words_are_the_key_in_precompile_order() {
        let vk = sample_vk(5);
        let words = verifier_constructor_words(&vk).expect("words");
        assert_eq!(words.len(), verifier_constructor_word_count(5));
        assert_eq!(words.len(), 26);
        let fq = |w: &[u8; 32]| Fq::from_be_bytes_mod_order(w);
        let (ax, ay) = vk.alpha_g1.xy().expect("finite");
        assert_eq!((fq(&words[0]), fq(&words[1])), (ax, ay));
        for (k, p) in [&vk.beta_g2, &vk.gamma_g2, &vk.delta_g2].into_iter().enumerate() {
            let (x, y) = p.xy().expect("finite");
            // Imaginary part first (EIP-197).
            let at = 2 + 4 * k;
            assert_eq!(
                [fq(&words[at]), fq(&words[at + 1]), fq(&words[at + 2]), fq(&words[at + 3])],
                [x.c1, x.c0, y.c1, y.c0]
            );
        }
        for (i, p) in vk.gamma_abc_g1.iter().enumerate() {
            let (x, y) = p.xy().expect("finite");
            assert_eq!((fq(&words[14 + 2 * i]), fq(&words[15 + 2 * i])), (x, y));
        }
        assert!(words.iter().all(|w| w.len() == 32));
        assert!(verifier_constructor_words_for(&vk, 5).is_ok());
        assert!(matches!(verifier_constructor_words_for(&vk, 4), Err(ZkError::PublicInputs { expected: 4, got: 5 })));
        assert!(verifier_constructor_words(&sample_vk(0)).is_err());
    }

    #[test]
    fn poseidon_libraries_embed_every_constant() {
        for inputs in 1..=3 {
            let src = poseidon_library(inputs).expect("generate");
            let params = poseidon::parameters(inputs).expect("params");
            let t = inputs + 1;
            assert!(src.contains(&format!("library PoseidonT{t} {{")));
            assert!(src.contains(&format!("function hash(uint256[{inputs}] memory inputs)")));
            for c in &params.ark {
                assert!(src.contains(&c.to_string()), "round constant missing");
            }
            for row in &params.mds {
                for c in row {
                    assert!(src.contains(&format!(", {c})")), "MDS entry missing");
                }
            }
            let rounds = params.full_rounds + params.partial_rounds;
            assert_eq!(src.matches("// round ").count(), rounds);
            // x^5 S-boxes: t per full round, one per partial round.
            assert_eq!(src.matches("let x2 := ").count(), params.full_rounds * t + params.partial_rounds);
        }
        assert!(poseidon_library(0).is_err());
        assert!(poseidon_library(4).is_err());
    }

    #[test]
    fn calldata_orders_g2_imaginary_first() {
        let mut rng = StdRng::seed_from_u64(10);
        let proof = Proof::<Bn254> {
            a: ark_bn254::G1Projective::rand(&mut rng).into_affine(),
            b: ark_bn254::G2Projective::rand(&mut rng).into_affine(),
            c: ark_bn254::G1Projective::rand(&mut rng).into_affine(),
        };
        let words = proof_calldata(&proof);
        let (bx, by) = proof.b.xy().expect("finite");
        assert_eq!(words[2], bx.c1.to_string());
        assert_eq!(words[3], bx.c0.to_string());
        assert_eq!(words[4], by.c1.to_string());
        assert_eq!(words[5], by.c0.to_string());
    }
}
