//! Groth16 proof assembly over precomputed proving-key tables: the same equations as `ark-groth16`'s prover
//! (`create_proof_with_assignment`), with the five multi-scalar multiplications done by [`FixedBaseMsm`] and
//! the QAP witness map (`ark-groth16`'s libsnark reduction) run alongside the MSMs that do not need it.

use ark_bn254::{Bn254, Fr, G1Projective, G2Projective};
use ark_ec::{AffineRepr, CurveGroup};
use ark_ff::PrimeField;
use ark_ff::UniformRand;
use ark_groth16::r1cs_to_qap::{LibsnarkReduction, R1CSToQAP};
use ark_groth16::{Groth16, PreparedVerifyingKey, Proof, ProvingKey, prepare_verifying_key};
use ark_poly::GeneralEvaluationDomain;
use ark_relations::gr1cs::{
    ConstraintSynthesizer, ConstraintSystem, Matrix, OptimizationGoal, R1CS_PREDICATE_LABEL, SynthesisMode,
};
use ark_std::rand::{CryptoRng, RngCore};
use rayon::prelude::*;

use crate::msm::FixedBaseMsm;
use crate::{Result, ZkError};

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

/// Number of constraints of a circuit (synthesised in setup mode).
pub(crate) fn count_constraints<C: ConstraintSynthesizer<Fr>>(blank: C) -> Result<usize> {
    let cs = ConstraintSystem::<Fr>::new_ref();
    cs.set_optimization_goal(OptimizationGoal::Constraints);
    cs.set_mode(SynthesisMode::Setup);
    blank.generate_constraints(cs.clone())?;
    Ok(cs.num_constraints())
}

/// Groth16 keys of one circuit shape: the proving key, the prepared verifying key, the constraint matrices
/// fixed at setup (so a proof only computes the witness) and, once precomputed, window tables of the proving
/// key.
pub(crate) struct CircuitKeys {
    pub(crate) pk: ProvingKey<Bn254>,
    pub(crate) pvk: PreparedVerifyingKey<Bn254>,
    pub(crate) r1cs: R1cs,
    pub(crate) tables: Option<ProvingTables>,
}

impl CircuitKeys {
    /// Circuit-specific setup from `blank()` (a circuit of the right shape, any values), the toxic waste drawn
    /// from `rng`.
    pub(crate) fn setup<C: ConstraintSynthesizer<Fr>, R: RngCore + CryptoRng>(
        blank: impl Fn() -> C,
        rng: &mut R,
    ) -> Result<Self> {
        let cs = ConstraintSystem::<Fr>::new_ref();
        cs.set_optimization_goal(OptimizationGoal::Constraints);
        cs.set_mode(SynthesisMode::Setup);
        blank().generate_constraints(cs.clone())?;
        cs.finalize();
        let mut all = cs.to_matrices()?;
        let matrices = all
            .remove(R1CS_PREDICATE_LABEL)
            .ok_or_else(|| ZkError::Shape("no R1CS predicate in the constraint system".into()))?;
        let pk = Groth16::<Bn254>::generate_random_parameters_with_reduction(blank(), rng)?;
        let pvk = prepare_verifying_key(&pk.vk);
        let r1cs = R1cs {
            matrices,
            num_instance_variables: cs.num_instance_variables(),
            num_witness_variables: cs.num_witness_variables(),
            num_constraints: cs.num_constraints(),
        };
        Ok(Self { pk, pvk, r1cs, tables: None })
    }

    /// Precomputes the proving key's window tables (idempotent).
    pub(crate) fn precompute(&mut self) {
        if self.tables.is_none() {
            self.tables = Some(ProvingTables::new(&self.pk));
        }
    }

    /// Generates the full R1CS assignment `[1, public inputs…, witness…]` of `circuit` (values only, no
    /// matrices); a circuit allocating other variables than the keys' is refused.
    pub(crate) fn assignment<C: ConstraintSynthesizer<Fr>>(&self, circuit: C) -> Result<Vec<Fr>> {
        let cs = ConstraintSystem::<Fr>::new_ref();
        cs.set_optimization_goal(OptimizationGoal::Constraints);
        cs.set_mode(SynthesisMode::Prove { construct_matrices: false, generate_lc_assignments: false });
        circuit.generate_constraints(cs.clone())?;
        if cs.num_instance_variables() != self.r1cs.num_instance_variables
            || cs.num_witness_variables() != self.r1cs.num_witness_variables
        {
            return Err(ZkError::Shape("witness generation allocated a different number of variables".into()));
        }
        let mut full = cs.instance_assignment()?;
        full.extend(cs.witness_assignment()?);
        Ok(full)
    }

    /// A proof of the full assignment, blinded with randomness from `rng`: over the precomputed tables when
    /// there are some, else through `ark-groth16` with the cached matrices.
    pub(crate) fn prove_assignment<R: RngCore + CryptoRng>(&self, full: &[Fr], rng: &mut R) -> Result<Proof<Bn254>> {
        let r = Fr::rand(rng);
        let s = Fr::rand(rng);
        match &self.tables {
            Some(tables) => prove(&self.pk, tables, &self.r1cs, full, r, s),
            None => Ok(Groth16::<Bn254>::create_proof_with_reduction_and_matrices(
                &self.pk,
                r,
                s,
                &self.r1cs.matrices,
                self.r1cs.num_instance_variables,
                self.r1cs.num_constraints,
                full,
            )?),
        }
    }
}
