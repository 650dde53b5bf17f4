//! Groth16 proof assembly over precomputed proving-key tables: the same equations as `ark-groth16`'s prover
//! (`create_proof_with_assignment`), giving the same proof for the same `r` and `s`, with the multi-scalar
//! multiplications done by [`FixedBaseMsm`] (the three that only feed `C` merged into one) and the QAP
//! witness map (`ark-groth16`'s libsnark reduction) run alongside the MSMs that do not need it.

use ark_bn254::{Bn254, Fr, G1Projective, G2Projective};
use ark_ec::CurveGroup;
use ark_ff::{FftField, Field, One, PrimeField, UniformRand, Zero};
use ark_groth16::{Groth16, PreparedVerifyingKey, Proof, ProvingKey, prepare_verifying_key};
use ark_poly::{EvaluationDomain, Radix2EvaluationDomain};
use ark_relations::gr1cs::{
    ConstraintSynthesizer, ConstraintSystem, Matrix, OptimizationGoal, R1CS_PREDICATE_LABEL, SynthesisError,
    SynthesisMode,
};
use ark_std::rand::{CryptoRng, RngCore};
use rayon::prelude::*;

use crate::msm::FixedBaseMsm;
use crate::{Result, ZkError};

/// Window tables of the proving key's query vectors: `A` and `B` (G2) on their own, and `C`'s three MSMs
/// (`B` in G1, `L` and `H`) merged into one over the concatenated bases, so they share one bucket reduction
/// and a wider window.
pub(crate) struct ProvingTables {
    a: FixedBaseMsm<G1Projective>,
    b_g2: FixedBaseMsm<G2Projective>,
    /// Over `b_g1_query ‖ l_query ‖ h_query`.
    c: FixedBaseMsm<G1Projective>,
    /// Lengths of `b_g1_query`, `l_query` and `h_query`.
    c_lens: [usize; 3],
}

impl ProvingTables {
    /// Precomputes the tables for `pk` (seconds of work and tens of megabytes for a 5,000-constraint circuit).
    pub(crate) fn new(pk: &ProvingKey<Bn254>) -> Self {
        let c_bases: Vec<_> = [&pk.b_g1_query, &pk.l_query, &pk.h_query].into_iter().flatten().copied().collect();
        Self {
            a: FixedBaseMsm::new(&pk.a_query),
            b_g2: FixedBaseMsm::new(&pk.b_g2_query),
            c: FixedBaseMsm::new(&c_bases),
            c_lens: [pk.b_g1_query.len(), pk.l_query.len(), pk.h_query.len()],
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

impl R1cs {
    /// The constraint matrices and sizes of `blank` (synthesised in setup mode).
    fn of<C: ConstraintSynthesizer<Fr>>(blank: C) -> Result<Self> {
        let cs = ConstraintSystem::<Fr>::new_ref();
        cs.set_optimization_goal(OptimizationGoal::Constraints);
        cs.set_mode(SynthesisMode::Setup);
        blank.generate_constraints(cs.clone())?;
        cs.finalize();
        let mut all = cs.to_matrices()?;
        let matrices = all
            .remove(R1CS_PREDICATE_LABEL)
            .ok_or_else(|| ZkError::Shape("no R1CS predicate in the constraint system".into()))?;
        Ok(Self {
            matrices,
            num_instance_variables: cs.num_instance_variables(),
            num_witness_variables: cs.num_witness_variables(),
            num_constraints: cs.num_constraints(),
        })
    }
}

/// A Groth16 proof for `r1cs` and the full assignment `z = [1, inputs…, witnesses…]`, blinded with `r` and `s`:
/// `ark-groth16`'s equations
///
/// `A = α + Σ zᵢ·Aᵢ + r·δ`, `B = β + Σ zᵢ·Bᵢ + s·δ` (in G2, and in G1 for `C`),
/// `C = s·A + r·B₁ - r·s·δ + Σ wᵢ·Lᵢ + Σ hⱼ·Hⱼ`,
///
/// with `C` rearranged as `s·A + r·β + Σ (r·zᵢ)·B₁ᵢ + Σ wᵢ·Lᵢ + Σ hⱼ·Hⱼ` (one MSM, no G1 `B` of its own).
pub(crate) fn prove(
    pk: &ProvingKey<Bn254>,
    tables: &ProvingTables,
    r1cs: &R1cs,
    full: &[Fr],
    r: Fr,
    s: Fr,
) -> Result<Proof<Bn254>> {
    let num_inputs = r1cs.num_instance_variables;
    // Index 0 of the full assignment is the constant 1, matching query[0] in the a and b queries.
    let z: Vec<_> = full.par_iter().map(|x| x.into_bigint()).collect();
    // The QAP witness map feeds only the C MSM; the G2 MSM (the largest) and A's run alongside it, and every
    // MSM splits into bucket ranges that idle threads pick up.
    let (c_acc, (g_a, g2_b)) = rayon::join(
        || -> Result<G1Projective> {
            let h = witness_map(r1cs, full)?;
            Ok(tables.c.msm(&c_scalars(tables, full, &z, num_inputs, &h, r)) + pk.beta_g1 * r)
        },
        || {
            let g2_b = tables.b_g2.msm(&z) + pk.vk.delta_g2 * s + pk.vk.beta_g2;
            let g_a = tables.a.msm(&z) + pk.delta_g1 * r + pk.vk.alpha_g1;
            (g_a, g2_b)
        },
    );
    let g_c = g_a * s + c_acc?;
    let ac = G1Projective::normalize_batch(&[g_a, g_c]);
    Ok(Proof { a: ac[0], b: g2_b.into_affine(), c: ac[1] })
}

/// The scalars of the merged `C` MSM: `r·z` for `b_g1_query`, the witness part of `z` for `l_query`, `h` for
/// `h_query` (each cut or zero-padded to its query's length).
fn c_scalars(
    tables: &ProvingTables,
    full: &[Fr],
    z: &[<Fr as PrimeField>::BigInt],
    num_inputs: usize,
    h: &[Fr],
    r: Fr,
) -> Vec<<Fr as PrimeField>::BigInt> {
    let [b_len, l_len, h_len] = tables.c_lens;
    let zero = <Fr as PrimeField>::BigInt::default();
    let mut scalars = vec![zero; b_len + l_len + h_len];
    let (b, rest) = scalars.split_at_mut(b_len);
    let (l, hs) = rest.split_at_mut(l_len);
    b.par_iter_mut().zip(full).with_min_len(512).for_each(|(out, x)| *out = (r * x).into_bigint());
    for (out, x) in l.iter_mut().zip(z.get(num_inputs..).unwrap_or_default()) {
        *out = *x;
    }
    hs.par_iter_mut().zip(h).with_min_len(512).for_each(|(out, x)| *out = x.into_bigint());
    scalars
}

/// `Σ coefficient·full[index]` over one constraint row.
fn evaluate_row(row: &[(Fr, usize)], full: &[Fr]) -> Fr {
    row.iter().map(|(coefficient, i)| if coefficient.is_one() { full[*i] } else { full[*i] * coefficient }).sum()
}

/// The QAP witness map of `ark-groth16`'s [`LibsnarkReduction`] (`witness_map_from_matrices`), the same
/// coefficients of `h = (A·B - C)/Z` computed with the three polynomials interpolated concurrently and the
/// scalings folded together: each inverse FFT's `1/size` goes with the coset's powers `gⁱ` into one pass (an
/// inverse FFT over the domain "offset by g⁻¹" scales coefficient `i` by `gⁱ/size`, so a plain FFT then
/// evaluates on the coset), and `1/Z(g)` goes into the final coset inverse FFT's `1/size`.
fn witness_map(r1cs: &R1cs, full: &[Fr]) -> Result<Vec<Fr>> {
    let n = r1cs.num_constraints;
    let inputs = r1cs.num_instance_variables;
    let domain = Radix2EvaluationDomain::<Fr>::new(n + inputs).ok_or(SynthesisError::PolynomialDegreeTooLarge)?;
    let g = Fr::GENERATOR;
    let coset = domain.get_coset(g).ok_or(SynthesisError::PolynomialDegreeTooLarge)?;
    let to_coset = domain
        .get_coset(g.inverse().ok_or(SynthesisError::PolynomialDegreeTooLarge)?)
        .ok_or(SynthesisError::PolynomialDegreeTooLarge)?;
    let z_inverse = domain.evaluate_vanishing_polynomial(g).inverse().ok_or(SynthesisError::Unsatisfiable)?;
    let from_coset = Radix2EvaluationDomain { size_inv: coset.size_inv * z_inverse, ..coset };
    let size = domain.size();
    let [ma, mb, mc] = r1cs.matrices.as_slice() else {
        return Err(ZkError::Shape("an R1CS has three matrices".into()));
    };
    // Evaluations of a matrix's polynomial on the domain, moved to the coset.
    let on_coset = |m: &Matrix<Fr>, with_inputs: bool| {
        let mut v = vec![Fr::zero(); size];
        v[..n].par_iter_mut().zip(m).with_min_len(512).for_each(|(v, row)| *v = evaluate_row(row, full));
        if with_inputs {
            // The libsnark reduction's extra constraints `input_i · 0 = 0` keep the inputs independent.
            v[n..n + inputs].copy_from_slice(&full[..inputs]);
        }
        to_coset.ifft_in_place(&mut v);
        domain.fft_in_place(&mut v);
        v
    };
    let (mut a, (b, c)) =
        rayon::join(|| on_coset(ma, true), || rayon::join(|| on_coset(mb, false), || on_coset(mc, false)));
    a.par_iter_mut().zip(&b).zip(&c).with_min_len(1024).for_each(|((a, b), c)| *a = *a * b - c);
    from_coset.ifft_in_place(&mut a);
    Ok(a)
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
        let r1cs = R1cs::of(blank())?;
        let pk = Groth16::<Bn254>::generate_random_parameters_with_reduction(blank(), rng)?;
        let pvk = prepare_verifying_key(&pk.vk);
        Ok(Self { pk, pvk, r1cs, tables: None })
    }

    /// Keys from a proving key made earlier for the shape of `blank()` (e.g. read from a key file): the
    /// constraint matrices are derived again and the key's query lengths checked against them.
    pub(crate) fn from_proving_key<C: ConstraintSynthesizer<Fr>>(
        blank: impl Fn() -> C,
        pk: ProvingKey<Bn254>,
    ) -> Result<Self> {
        let r1cs = R1cs::of(blank())?;
        let variables = r1cs.num_instance_variables + r1cs.num_witness_variables;
        let domain =
            Radix2EvaluationDomain::<Fr>::compute_size_of_domain(r1cs.num_constraints + r1cs.num_instance_variables)
                .ok_or(SynthesisError::PolynomialDegreeTooLarge)?;
        let fits = pk.vk.gamma_abc_g1.len() == r1cs.num_instance_variables
            && pk.a_query.len() == variables
            && pk.b_g1_query.len() == variables
            && pk.b_g2_query.len() == variables
            && pk.l_query.len() == r1cs.num_witness_variables
            && pk.h_query.len() == domain - 1;
        if !fits {
            return Err(ZkError::Shape("the proving key was made for another circuit shape".into()));
        }
        let pvk = prepare_verifying_key(&pk.vk);
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
