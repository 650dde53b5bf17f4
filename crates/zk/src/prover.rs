//! Groth16 proof assembly over precomputed proving-key tables: the same equations as `ark-groth16`'s prover
//! (`create_proof_with_assignment`), with the five multi-scalar multiplications done by [`FixedBaseMsm`] and
//! the QAP witness map (`ark-groth16`'s libsnark reduction) run alongside the MSMs that do not need it.

use ark_bn254::{Bn254, Fr, G1Projective, G2Projective};
use ark_ec::{AffineRepr, CurveGroup};
use ark_ff::PrimeField;
use ark_groth16::r1cs_to_qap::{LibsnarkReduction, R1CSToQAP};
use ark_groth16::{Proof, ProvingKey};
use ark_poly::GeneralEvaluationDomain;
use ark_relations::gr1cs::Matrix;
use rayon::prelude::*;

use crate::Result;
use crate::msm::FixedBaseMsm;

/// Window tables of every query vector of a proving key.
pub(crate) struct ProvingTables {
    a: FixedBaseMsm<G1Projective>,
    b_g1: FixedBaseMsm<G1Projective>,
    b_g2: FixedBaseMsm<G2Projective>,
    h: FixedBaseMsm<G1Projective>,
    l: FixedBaseMsm<G1Projective>,
}

impl ProvingTables {
    /// Precomputes the tables for `pk` (seconds of work and tens of megabytes for a 5,000-constraint circuit).
    pub(crate) fn new(pk: &ProvingKey<Bn254>) -> Self {
        let threads = rayon::current_num_threads();
        Self {
            a: FixedBaseMsm::new(&pk.a_query, threads),
            b_g1: FixedBaseMsm::new(&pk.b_g1_query, threads),
            b_g2: FixedBaseMsm::new(&pk.b_g2_query, threads),
            h: FixedBaseMsm::new(&pk.h_query, threads),
            l: FixedBaseMsm::new(&pk.l_query, threads),
        }
    }
}

/// A circuit's constraint matrices and sizes, fixed at setup.
pub(crate) struct R1cs {
    /// The A, B, C matrices (after linear-combination inlining).
    pub(crate) matrices: Vec<Matrix<Fr>>,
    /// Instance variables, including the constant 1.
    pub(crate) num_instance_variables: usize,
    /// Witness variables.
    pub(crate) num_witness_variables: usize,
    /// Constraints.
    pub(crate) num_constraints: usize,
}

/// A Groth16 proof for `r1cs` and the full assignment `[1, inputs…, witnesses…]`, blinded with `r` and `s`.
pub(crate) fn prove(
    pk: &ProvingKey<Bn254>,
    tables: &ProvingTables,
    r1cs: &R1cs,
    full: &[Fr],
    r: Fr,
    s: Fr,
) -> Result<Proof<Bn254>> {
    let num_inputs = r1cs.num_instance_variables;
    let (h_acc, rest) = rayon::join(
        || -> Result<G1Projective> {
            let h = LibsnarkReduction::witness_map_from_matrices::<Fr, GeneralEvaluationDomain<Fr>>(
                &r1cs.matrices,
                num_inputs,
                r1cs.num_constraints,
                full,
            )?;
            let h: Vec<_> = h.par_iter().map(|x| x.into_bigint()).collect();
            Ok(tables.h.msm(&h))
        },
        || {
            // Index 0 of the full assignment is the constant 1, matching query[0] in the a and b queries.
            let z: Vec<_> = full.par_iter().map(|x| x.into_bigint()).collect();
            let aux = z.get(num_inputs..).unwrap_or_default();
            let l = tables.l.msm(aux);
            let a = tables.a.msm(&z);
            let b1 = tables.b_g1.msm(&z);
            let b2 = tables.b_g2.msm(&z);
            (l, a, b1, b2)
        },
    );
    let h_acc = h_acc?;
    let (l_acc, a_acc, b1_acc, b2_acc) = rest;

    let delta_g1 = pk.delta_g1.into_group();
    let g_a = delta_g1 * r + a_acc + pk.vk.alpha_g1;
    let g1_b = delta_g1 * s + b1_acc + pk.beta_g1;
    let g2_b = pk.vk.delta_g2.into_group() * s + b2_acc + pk.vk.beta_g2;
    let g_c = g_a * s + g1_b * r - delta_g1 * (r * s) + l_acc + h_acc;
    Ok(Proof { a: g_a.into_affine(), b: g2_b.into_affine(), c: g_c.into_affine() })
}
