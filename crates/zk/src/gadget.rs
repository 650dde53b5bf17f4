//! Poseidon as an R1CS gadget over `ark-r1cs-std` field variables, the exact permutation of
//! [`crate::poseidon`] (same `light-poseidon` constant tables, same round order: add round constants, S-box,
//! MDS).
//!
//! Cost: three constraints per non-constant S-box (x², x⁴, x⁵); linear layers are free. The domain tag is the
//! constant 0, so its first S-box folds into a constant, exactly as in circom: 240 constraints for two inputs
//! (circomlib `Poseidon(2)`), 213 for one.

use ark_bn254::Fr;
use ark_ff::{Field, PrimeField, Zero};
use ark_r1cs_std::fields::fp::{AllocatedFp, FpVar};
use ark_r1cs_std::prelude::*;
use ark_relations::gr1cs::{ConstraintSystemRef, SynthesisError};

use crate::merkle::MerklePath;
use crate::poseidon;

/// x⁵, three constraints for a variable, none for a constant.
fn sbox(x: &FpVar<Fr>) -> Result<FpVar<Fr>, SynthesisError> {
    match x {
        FpVar::Constant(c) => Ok(FpVar::Constant(c.square().square() * c)),
        FpVar::Var(_) => {
            let x2 = x.square()?;
            let x4 = x2.square()?;
            Ok(x4 * x)
        }
    }
}

/// `constant + Σ coefficient·state[j]` as one symbolic linear combination (no constraint).
fn affine(coefficients: &[Fr], state: &[FpVar<Fr>], constant: Fr) -> FpVar<Fr> {
    let mut sum = constant;
    let mut coeffs = Vec::with_capacity(state.len());
    let mut vars: Vec<&AllocatedFp<Fr>> = Vec::with_capacity(state.len());
    for (c, s) in coefficients.iter().zip(state) {
        match s {
            FpVar::Constant(v) => sum += *c * v,
            FpVar::Var(v) => {
                coeffs.push(*c);
                vars.push(v);
            }
        }
    }
    match AllocatedFp::linear_combination(coeffs, &vars) {
        None => FpVar::Constant(sum),
        Some(lc) if sum.is_zero() => FpVar::Var(lc),
        Some(lc) => FpVar::Var(lc.add_constant(sum)),
    }
}

/// circomlib Poseidon of 1 to [`poseidon::MAX_INPUTS`] field variables, in-circuit.
///
/// Fails with [`SynthesisError::ArityMismatch`] for an unsupported number of inputs.
pub fn hash(inputs: &[FpVar<Fr>]) -> Result<FpVar<Fr>, SynthesisError> {
    let params = poseidon::parameters(inputs.len()).map_err(|_| SynthesisError::ArityMismatch)?;
    let width = params.width;
    let half_full = params.full_rounds / 2;
    let rounds = params.full_rounds + params.partial_rounds;

    let mut state: Vec<FpVar<Fr>> = Vec::with_capacity(width);
    state.push(FpVar::Constant(Fr::zero()));
    state.extend(inputs.iter().cloned());

    // Round constants of round r are folded into the linear layer that precedes it (the input for r = 0, the
    // MDS of round r - 1 otherwise), so each state element is one linear combination per round.
    let constants = |round: usize| &params.ark[round * width..(round + 1) * width];
    let first = constants(0);
    state = state.iter().zip(first).map(|(s, c)| affine(&[Fr::from(1u64)], std::slice::from_ref(s), *c)).collect();
    for round in 0..rounds {
        // S-box on the whole state in full rounds, on the first element in partial rounds.
        let full = round < half_full || round >= half_full + params.partial_rounds;
        for (i, s) in state.iter_mut().enumerate() {
            if full || i == 0 {
                *s = sbox(s)?;
            }
        }
        // MDS, new[i] = Σ_j mds[i][j]·state[j] (light-poseidon's orientation), plus the next round's constants.
        let next = if round + 1 < rounds { Some(constants(round + 1)) } else { None };
        state = (0..width).map(|i| affine(&params.mds[i], &state, next.map_or(Fr::zero(), |c| c[i]))).collect();
    }
    state.into_iter().next().ok_or(SynthesisError::ArityMismatch)
}

/// The Merkle root reached from `leaf` along `path`, in-circuit: per level a sibling witness, a
/// boolean-constrained index bit and circomlib's `DualMux` (two selections), then `Poseidon(left, right)`:
/// 3 + 240 constraints per level. The caller enforces the result equal to the claimed root.
///
/// Fails with [`SynthesisError::ArityMismatch`] when the path's siblings and bits differ in length.
pub fn merkle_root(
    cs: &ConstraintSystemRef<Fr>,
    leaf: FpVar<Fr>,
    path: &MerklePath,
) -> Result<FpVar<Fr>, SynthesisError> {
    if path.siblings.len() != path.index_bits.len() {
        return Err(SynthesisError::ArityMismatch);
    }
    let mut node = leaf;
    for (sibling, right) in path.siblings.iter().zip(&path.index_bits) {
        let sibling = FpVar::new_witness(cs.clone(), || Ok(*sibling))?;
        let is_right = Boolean::new_witness(cs.clone(), || Ok(*right))?;
        let left = FpVar::conditionally_select(&is_right, &sibling, &node)?;
        let right = FpVar::conditionally_select(&is_right, &node, &sibling)?;
        node = hash(&[left, right])?;
    }
    Ok(node)
}

/// Enforces `x < 2^bits` (`bits` ≤ 250, so the weighted sum cannot wrap): `bits` boolean-constrained bit
/// witnesses whose weighted sum equals `x`, `bits + 1` constraints. For `x ≥ 2^bits` the witnesses hold the
/// low bits of `x` and the final equation is unsatisfied.
pub fn enforce_bits(cs: &ConstraintSystemRef<Fr>, x: &FpVar<Fr>, bits: usize) -> Result<(), SynthesisError> {
    if bits == 0 || bits >= Fr::MODULUS_BIT_SIZE as usize {
        return Err(SynthesisError::Unsatisfiable);
    }
    let limbs = x.value().ok().map(|v| v.into_bigint());
    let bits = (0..bits)
        .map(|i| {
            Boolean::new_witness(cs.clone(), || {
                limbs.map(|l| (l.0[i / 64] >> (i % 64)) & 1 == 1).ok_or(SynthesisError::AssignmentMissing)
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Boolean::le_bits_to_fp(&bits)?.enforce_equal(x)
}

/// Whether the canonical integer of `x` is below 2^`bits` (the native counterpart of [`enforce_bits`]).
pub fn fits_bits(x: &Fr, bits: usize) -> bool {
    use ark_ff::BigInteger;
    x.into_bigint().num_bits() as usize <= bits
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ff::{One, UniformRand};
    use ark_relations::gr1cs::ConstraintSystem;
    use ark_std::rand::{SeedableRng, rngs::StdRng};

    /// Hashes `inputs` in a fresh constraint system (inputs as witnesses) and returns the output value, whether
    /// the system is satisfied, and its number of constraints.
    fn in_circuit(inputs: &[Fr]) -> (Fr, bool, usize) {
        let cs = ConstraintSystem::<Fr>::new_ref();
        let vars: Vec<FpVar<Fr>> =
            inputs.iter().map(|x| FpVar::new_witness(cs.clone(), || Ok(*x)).expect("witness")).collect();
        let out = hash(&vars).expect("gadget");
        let value = out.value().expect("value");
        // The output must also be bound: enforce it equal to a fresh witness holding the native value.
        let expected = FpVar::new_witness(cs.clone(), || Ok(poseidon::hash(inputs).expect("native"))).expect("w");
        out.enforce_equal(&expected).expect("eq");
        cs.finalize();
        (value, cs.is_satisfied().expect("satisfied?"), cs.num_constraints() - 1)
    }

    #[test]
    fn gadget_matches_native_for_every_arity() {
        let mut rng = StdRng::seed_from_u64(6);
        for arity in 1..=poseidon::MAX_INPUTS {
            for round in 0..3 {
                let inputs: Vec<Fr> = match round {
                    0 => vec![Fr::zero(); arity],
                    1 => vec![-Fr::one(); arity],
                    _ => (0..arity).map(|_| Fr::rand(&mut rng)).collect(),
                };
                let (value, ok, _) = in_circuit(&inputs);
                assert!(ok, "arity {arity}: constraints unsatisfied");
                assert_eq!(value, poseidon::hash(&inputs).expect("native"), "arity {arity}");
            }
        }
    }

    #[test]
    fn constraint_counts_match_circomlib() {
        // 3 per S-box: (8 full rounds · t + partial rounds − the constant first S-box) · 3, which is circom's
        // count for circomlib Poseidon(1) = 213 and Poseidon(2) = 240.
        for (arity, expected) in [(1, 213), (2, 240), (3, 261)] {
            let (_, ok, n) = in_circuit(&vec![Fr::from(7u64); arity]);
            assert!(ok);
            assert_eq!(n, expected, "arity {arity}");
        }
    }

    #[test]
    fn wrong_output_is_unsatisfied() {
        let cs = ConstraintSystem::<Fr>::new_ref();
        let a = FpVar::new_witness(cs.clone(), || Ok(Fr::from(1u64))).expect("a");
        let b = FpVar::new_witness(cs.clone(), || Ok(Fr::from(2u64))).expect("b");
        let out = hash(&[a, b]).expect("gadget");
        let claimed = FpVar::new_input(cs.clone(), || Ok(Fr::from(3u64))).expect("claimed");
        out.enforce_equal(&claimed).expect("eq");
        assert!(!cs.is_satisfied().expect("satisfied?"));
    }

    #[test]
    fn constant_inputs_fold_without_constraints() {
        let out = hash(&[FpVar::Constant(Fr::from(1u64)), FpVar::Constant(Fr::from(2u64))]).expect("gadget");
        assert!(matches!(out, FpVar::Constant(_)));
        assert_eq!(out.value().expect("v"), poseidon::hash2(Fr::from(1u64), Fr::from(2u64)));
    }
}
