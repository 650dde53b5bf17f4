//! Depth-d Poseidon Merkle membership with a nullifier hash, proved with Groth16 over BN254.
//!
//! Public inputs, in this order: `root`, `nullifierHash`. Each level hashes `Poseidon(left, right)`, the
//! index bit choosing which side the running node is on (a boolean-constrained witness and two selections,
//! circomlib's `DualMux`: 3 constraints per level, plus 240 for the hash).
//!
//! Two statements share the circuit code and differ only in how the leaf is opened:
//! - [`MembershipKind::Bare`], **the `membership20` benchmark yardstick** of issue 6: "depth-20
//!   circomlib-Poseidon Merkle membership plus Poseidon(secret) nullifier hash". Private: `leaf`, `secret`,
//!   the path. It proves that `leaf` is in the tree and `nullifierHash = Poseidon(secret)`; it does not tie the
//!   leaf to the secret and so is a workload for comparing provers, not a spend authorisation. At depth 20:
//!   20·(240 + 3) + 213 + 2 = **5,075 constraints**, the figure the issue quotes.
//! - [`MembershipKind::Note`], the Tornado Cash binding the shielded pool builds on. Private: `nullifier`,
//!   `secret`, the path; `leaf = Poseidon(nullifier, secret)` and `nullifierHash = Poseidon(nullifier)`, so the
//!   nullifier hash is tied to the leaf and reveals nothing of it. At depth 20: 5,315 constraints.
//!
//! Proving reuses the constraint matrices computed once at setup and only re-runs witness generation per
//! proof (values flow through the gadgets natively once; no matrix building, no linear-combination
//! inlining), then runs `ark-groth16`'s prover on the cached matrices, or, after
//! [`Groth16Keys::precompute`](crate::keys::Groth16Keys::precompute), the same Groth16 equations with
//! fixed-base window tables of the proving key for the multi-scalar multiplications (about a quarter less CPU
//! per proof, for seconds of precomputation and ~50 MB at depth 20).

use std::time::Instant;

use ark_bn254::{Bn254, Fr};
use ark_ff::UniformRand;
use ark_groth16::{Groth16, PreparedVerifyingKey, Proof, VerifyingKey, prepare_verifying_key};
use ark_r1cs_std::fields::fp::FpVar;
use ark_r1cs_std::prelude::*;
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystemRef, SynthesisError};
use ark_std::rand::{CryptoRng, RngCore, SeedableRng, rngs::StdRng};

use crate::keys::Groth16Keys;
use crate::merkle::{MerklePath, MerkleTree};
use crate::prover;
use crate::{Result, ZkError, gadget, poseidon};

/// Depth of the `membership20` yardstick (and of the shielded pool's tree).
pub const MEMBERSHIP20_DEPTH: usize = 20;

/// Which statement a membership circuit proves (see the module documentation).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MembershipKind {
    /// The benchmark yardstick: private leaf, `nullifierHash = Poseidon(secret)`.
    Bare,
    /// Tornado-style note: `leaf = Poseidon(nullifier, secret)`, `nullifierHash = Poseidon(nullifier)`.
    Note,
}

/// The private opening of the leaf.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LeafOpening {
    /// [`MembershipKind::Bare`]: the leaf itself and the secret whose hash is the nullifier hash.
    Bare {
        /// the leaf in the tree
        leaf: Fr,
        /// preimage of the nullifier hash
        secret: Fr,
    },
    /// [`MembershipKind::Note`]: the note's nullifier and secret.
    Note {
        /// preimage of the nullifier hash, first input of the leaf hash
        nullifier: Fr,
        /// second input of the leaf hash
        secret: Fr,
    },
}

impl LeafOpening {
    /// The statement this opening belongs to.
    pub fn kind(&self) -> MembershipKind {
        match self {
            Self::Bare { .. } => MembershipKind::Bare,
            Self::Note { .. } => MembershipKind::Note,
        }
    }

    /// The leaf this opening stands for (native Poseidon).
    pub fn leaf(&self) -> Fr {
        match self {
            Self::Bare { leaf, .. } => *leaf,
            Self::Note { nullifier, secret } => poseidon::hash2(*nullifier, *secret),
        }
    }

    /// The nullifier hash this opening reveals (native Poseidon).
    pub fn nullifier_hash(&self) -> Fr {
        match self {
            Self::Bare { secret, .. } => poseidon::hash1(*secret),
            Self::Note { nullifier, .. } => poseidon::hash1(*nullifier),
        }
    }
}

/// The public inputs of a membership proof.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MembershipPublic {
    /// Merkle root the leaf is proved against.
    pub root: Fr,
    /// Hash of the nullifier (Bare: of the secret), to be recorded against double use.
    pub nullifier_hash: Fr,
}

impl MembershipPublic {
    /// The public inputs in circuit order: `[root, nullifierHash]`.
    pub fn to_vec(&self) -> Vec<Fr> {
        vec![self.root, self.nullifier_hash]
    }
}

/// A membership statement with its witness (public inputs may be set to anything, e.g. to test that a wrong
/// claim cannot be proved).
#[derive(Clone, Debug)]
pub struct MembershipCircuit {
    /// The claimed public inputs.
    pub public: MembershipPublic,
    /// The leaf opening (private).
    pub opening: LeafOpening,
    /// The authentication path (private).
    pub path: MerklePath,
}

impl MembershipCircuit {
    /// The honest statement for `opening` at `path`: public inputs computed natively.
    pub fn new(opening: LeafOpening, path: MerklePath) -> Self {
        let public = MembershipPublic { root: path.root(opening.leaf()), nullifier_hash: opening.nullifier_hash() };
        Self { public, opening, path }
    }

    /// A placeholder of the right shape (all zeros) for key generation, where only the shape matters.
    pub fn blank(kind: MembershipKind, depth: usize) -> Self {
        let zero = Fr::from(0u64);
        let opening = match kind {
            MembershipKind::Bare => LeafOpening::Bare { leaf: zero, secret: zero },
            MembershipKind::Note => LeafOpening::Note { nullifier: zero, secret: zero },
        };
        let path = MerklePath { siblings: vec![zero; depth], index_bits: vec![false; depth] };
        Self::new(opening, path)
    }

    /// Depth of the path.
    pub fn depth(&self) -> usize {
        self.path.depth()
    }

    /// Checks natively (about 22 hashes) that the witness satisfies the claimed public inputs.
    pub fn check(&self) -> Result<()> {
        if self.path.siblings.len() != self.path.index_bits.len() {
            return Err(ZkError::Shape("path siblings and index bits differ in length".into()));
        }
        if self.path.root(self.opening.leaf()) != self.public.root {
            return Err(ZkError::Unsatisfied("the path does not lead to the claimed root"));
        }
        if self.opening.nullifier_hash() != self.public.nullifier_hash {
            return Err(ZkError::Unsatisfied("the nullifier hash does not match the opening"));
        }
        Ok(())
    }
}

impl ConstraintSynthesizer<Fr> for MembershipCircuit {
    fn generate_constraints(self, cs: ConstraintSystemRef<Fr>) -> Result<(), SynthesisError> {
        if self.path.siblings.len() != self.path.index_bits.len() {
            return Err(SynthesisError::ArityMismatch);
        }
        let root = FpVar::new_input(cs.clone(), || Ok(self.public.root))?;
        let nullifier_hash = FpVar::new_input(cs.clone(), || Ok(self.public.nullifier_hash))?;

        let (leaf, computed_nullifier_hash) = match self.opening {
            LeafOpening::Bare { leaf, secret } => {
                let leaf = FpVar::new_witness(cs.clone(), || Ok(leaf))?;
                let secret = FpVar::new_witness(cs.clone(), || Ok(secret))?;
                (leaf, gadget::hash(&[secret])?)
            }
            LeafOpening::Note { nullifier, secret } => {
                let nullifier = FpVar::new_witness(cs.clone(), || Ok(nullifier))?;
                let secret = FpVar::new_witness(cs.clone(), || Ok(secret))?;
                (gadget::hash(&[nullifier.clone(), secret])?, gadget::hash(&[nullifier])?)
            }
        };

        gadget::merkle_root(&cs, leaf, &self.path)?.enforce_equal(&root)?;
        computed_nullifier_hash.enforce_equal(&nullifier_hash)?;
        Ok(())
    }
}

/// Number of constraints of the membership circuit of `kind` and `depth`.
pub fn constraint_count(kind: MembershipKind, depth: usize) -> Result<usize> {
    prover::count_constraints(MembershipCircuit::blank(kind, depth))
}

/// Groth16 keys for one membership statement, with the constraint matrices cached for fast proving. The
/// shared accessors (`precompute`, `is_precomputed`, `num_constraints`, `proving_key`, `verifying_key`) come
/// from [`Groth16Keys`], which the prover dereferences to.
pub struct MembershipProver {
    kind: MembershipKind,
    depth: usize,
    keys: Groth16Keys,
}

impl std::fmt::Debug for MembershipProver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MembershipProver")
            .field("kind", &self.kind)
            .field("depth", &self.depth)
            .field("keys", &self.keys)
            .finish_non_exhaustive()
    }
}

impl std::ops::Deref for MembershipProver {
    type Target = Groth16Keys;
    fn deref(&self) -> &Groth16Keys {
        &self.keys
    }
}

impl std::ops::DerefMut for MembershipProver {
    fn deref_mut(&mut self) -> &mut Groth16Keys {
        &mut self.keys
    }
}

impl MembershipProver {
    /// Circuit-specific Groth16 setup for `kind` at `depth`, the toxic waste drawn from `rng` (use OS randomness
    /// for real keys; a seeded generator gives reproducible, insecure keys for tests and benchmarks).
    pub fn setup<R: RngCore + CryptoRng>(kind: MembershipKind, depth: usize, rng: &mut R) -> Result<Self> {
        Ok(Self { kind, depth, keys: Groth16Keys::setup(|| MembershipCircuit::blank(kind, depth), rng)? })
    }

    /// The statement these keys prove.
    pub fn kind(&self) -> MembershipKind {
        self.kind
    }

    /// Tree depth these keys prove membership in.
    pub fn depth(&self) -> usize {
        self.depth
    }

    /// Proves `circuit` (checked natively first: an unsatisfied witness is an error, never a bogus proof),
    /// with the zero-knowledge blinding drawn from `rng`.
    pub fn prove<R: RngCore + CryptoRng>(&self, circuit: MembershipCircuit, rng: &mut R) -> Result<Proof<Bn254>> {
        if circuit.opening.kind() != self.kind || circuit.depth() != self.depth {
            return Err(ZkError::Shape(format!(
                "keys are for {:?} at depth {}, witness is {:?} at depth {}",
                self.kind,
                self.depth,
                circuit.opening.kind(),
                circuit.depth()
            )));
        }
        circuit.check()?;
        self.keys.prove_circuit(circuit, rng)
    }

    /// Proves `circuit` through `ark-groth16`'s own entry point (synthesis with matrix construction and
    /// linear-combination inlining on every proof): the arkworks default, kept for comparison.
    pub fn prove_arkworks_default<R: RngCore + CryptoRng>(
        &self,
        circuit: MembershipCircuit,
        rng: &mut R,
    ) -> Result<Proof<Bn254>> {
        if circuit.opening.kind() != self.kind || circuit.depth() != self.depth {
            return Err(ZkError::Shape("witness of another statement than the keys".into()));
        }
        circuit.check()?;
        Ok(Groth16::<Bn254>::create_random_proof_with_reduction(circuit, &self.keys.inner.pk, rng)?)
    }

    /// Verifies a proof against these keys.
    pub fn verify(&self, public: &MembershipPublic, proof: &Proof<Bn254>) -> Result<bool> {
        verify_prepared(&self.keys.inner.pvk, &public.to_vec(), proof)
    }
}

/// Verifies a Groth16 proof over BN254 against a verifying key; the number of public inputs must match the key.
pub fn verify(vk: &VerifyingKey<Bn254>, public_inputs: &[Fr], proof: &Proof<Bn254>) -> Result<bool> {
    verify_prepared(&prepare_verifying_key(vk), public_inputs, proof)
}

fn verify_prepared(pvk: &PreparedVerifyingKey<Bn254>, public_inputs: &[Fr], proof: &Proof<Bn254>) -> Result<bool> {
    let expected = pvk.vk.gamma_abc_g1.len().saturating_sub(1);
    if public_inputs.len() != expected {
        return Err(ZkError::PublicInputs { expected, got: public_inputs.len() });
    }
    Ok(Groth16::<Bn254>::verify_proof(pvk, proof, public_inputs)?)
}

/// A deterministic sample statement for benchmarks: a depth-`depth` tree holding a few leaves and the opening of
/// one of them.
pub fn sample_circuit(kind: MembershipKind, depth: usize, seed: u64) -> Result<MembershipCircuit> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut tree = MerkleTree::new(depth)?;
    let mut chosen = None;
    for i in 0..5u64 {
        let secret = Fr::rand(&mut rng);
        let opening = match kind {
            MembershipKind::Bare => LeafOpening::Bare { leaf: Fr::rand(&mut rng), secret },
            MembershipKind::Note => LeafOpening::Note { nullifier: Fr::rand(&mut rng), secret },
        };
        let index = tree.insert(opening.leaf())?;
        if i == 3 {
            chosen = Some((opening, index));
        }
    }
    let (opening, index) = chosen.ok_or(ZkError::Unsatisfied("no sample leaf"))?;
    Ok(MembershipCircuit::new(opening, tree.path(index)?))
}

/// Median of `samples` timings, in milliseconds, of `prove` (witness generation and proof) for one fixed
/// statement.
fn median_ms(samples: usize, mut prove: impl FnMut() -> Result<()>) -> Result<f64> {
    let mut times = Vec::with_capacity(samples.max(1));
    for _ in 0..samples.max(1) {
        let start = Instant::now();
        prove()?;
        times.push(start.elapsed().as_secs_f64() * 1e3);
    }
    times.sort_by(f64::total_cmp);
    Ok(times[times.len() / 2])
}

/// Seed of the benchmark's (insecure, reproducible) keys and blinding.
const BENCH_SEED: u64 = 20;

/// Timings of the `membership20` yardstick, see [`bench_membership20`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Membership20Bench {
    /// R1CS constraints of the yardstick circuit.
    pub constraints: usize,
    /// Median proving time with cached matrices and precomputed key tables ([`MembershipProver::prove`] after
    /// [`Groth16Keys::precompute`](crate::keys::Groth16Keys::precompute)), ms: `prove_ms_membership20`.
    pub prove_ms: f64,
    /// Median proving time with cached matrices, without precomputed tables, ms.
    pub prove_ms_cached_matrices: f64,
    /// Median proving time through `ark-groth16`'s own entry point (synthesis and matrices on every proof), ms.
    pub prove_ms_arkworks_default: f64,
    /// One-off time of [`Groth16Keys::precompute`](crate::keys::Groth16Keys::precompute), ms.
    pub precompute_ms: f64,
    /// Median verification time, ms.
    pub verify_ms: f64,
}

/// Benchmarks the `membership20` yardstick ([`MembershipKind::Bare`] at depth 20) with seeded, insecure keys:
/// medians of `samples` runs (at least one) of proving (witness generation + Groth16) three ways, and of
/// verifying.
pub fn bench_membership20(samples: usize) -> Result<Membership20Bench> {
    let mut rng = StdRng::seed_from_u64(BENCH_SEED);
    let mut prover = MembershipProver::setup(MembershipKind::Bare, MEMBERSHIP20_DEPTH, &mut rng)?;
    let circuit = sample_circuit(MembershipKind::Bare, MEMBERSHIP20_DEPTH, 20)?;
    // One warm-up proof (thread pool start-up, page faults on the proving key).
    let proof = prover.prove(circuit.clone(), &mut rng)?;
    let prove_ms_arkworks_default =
        median_ms(samples, || prover.prove_arkworks_default(circuit.clone(), &mut rng).map(drop))?;
    let prove_ms_cached_matrices = median_ms(samples, || prover.prove(circuit.clone(), &mut rng).map(drop))?;
    let start = Instant::now();
    prover.precompute();
    let precompute_ms = start.elapsed().as_secs_f64() * 1e3;
    prover.prove(circuit.clone(), &mut rng)?;
    let prove_ms = median_ms(samples, || prover.prove(circuit.clone(), &mut rng).map(drop))?;
    let verify_ms = median_ms(samples, || {
        if prover.verify(&circuit.public, &proof)? {
            Ok(())
        } else {
            Err(ZkError::Unsatisfied("benchmark proof did not verify"))
        }
    })?;
    Ok(Membership20Bench {
        constraints: prover.num_constraints(),
        prove_ms,
        prove_ms_cached_matrices,
        prove_ms_arkworks_default,
        precompute_ms,
        verify_ms,
    })
}

/// `prove_ms_membership20`: median milliseconds to prove the `membership20` yardstick (witness generation and
/// Groth16, with a prepared prover: cached matrices, precomputed key tables) over `samples` runs.
pub fn prove_ms_membership20(samples: usize) -> Result<f64> {
    let mut rng = StdRng::seed_from_u64(BENCH_SEED);
    let mut prover = MembershipProver::setup(MembershipKind::Bare, MEMBERSHIP20_DEPTH, &mut rng)?;
    prover.precompute();
    let circuit = sample_circuit(MembershipKind::Bare, MEMBERSHIP20_DEPTH, 20)?;
    prover.prove(circuit.clone(), &mut rng)?;
    median_ms(samples, || prover.prove(circuit.clone(), &mut rng).map(drop))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ff::One;
    use ark_relations::gr1cs::{ConstraintSystem, OptimizationGoal};

    fn satisfied(circuit: MembershipCircuit) -> bool {
        let cs = ConstraintSystem::<Fr>::new_ref();
        cs.set_optimization_goal(OptimizationGoal::Constraints);
        circuit.generate_constraints(cs.clone()).expect("synthesis");
        cs.finalize();
        cs.is_satisfied().expect("is_satisfied")
    }

    /// Every way of lying about a valid statement, as (what, circuit).
    fn tampered(honest: &MembershipCircuit) -> Vec<(&'static str, MembershipCircuit)> {
        let mut out = Vec::new();
        let mut c = honest.clone();
        c.public.root += Fr::one();
        out.push(("wrong root", c));
        let mut c = honest.clone();
        c.public.nullifier_hash += Fr::one();
        out.push(("wrong nullifier hash", c));
        let mut c = honest.clone();
        c.path.siblings[7] += Fr::one();
        out.push(("tampered sibling", c));
        let mut c = honest.clone();
        c.path.index_bits[0] = !c.path.index_bits[0];
        out.push(("flipped index bit", c));
        let mut c = honest.clone();
        c.opening = match c.opening {
            LeafOpening::Bare { leaf, secret } => LeafOpening::Bare { leaf, secret: secret + Fr::one() },
            LeafOpening::Note { nullifier, secret } => LeafOpening::Note { nullifier, secret: secret + Fr::one() },
        };
        out.push(("wrong secret", c));
        let mut c = honest.clone();
        c.opening = match c.opening {
            LeafOpening::Bare { leaf, secret } => LeafOpening::Bare { leaf: leaf + Fr::one(), secret },
            LeafOpening::Note { nullifier, secret } => LeafOpening::Note { nullifier: nullifier + Fr::one(), secret },
        };
        out.push(("wrong leaf / nullifier", c));
        out
    }

    #[test]
    fn membership20_constraint_counts() {
        assert_eq!(constraint_count(MembershipKind::Bare, MEMBERSHIP20_DEPTH).expect("count"), 5_075);
        assert_eq!(constraint_count(MembershipKind::Note, MEMBERSHIP20_DEPTH).expect("count"), 5_315);
    }

    #[test]
    fn honest_witnesses_satisfy_and_every_tampering_does_not() {
        for kind in [MembershipKind::Bare, MembershipKind::Note] {
            let honest = sample_circuit(kind, MEMBERSHIP20_DEPTH, 1).expect("sample");
            honest.check().expect("native check");
            assert!(satisfied(honest.clone()), "{kind:?}: honest witness unsatisfied");
            for (what, circuit) in tampered(&honest) {
                assert!(circuit.check().is_err(), "{kind:?}: native check accepted {what}");
                assert!(!satisfied(circuit), "{kind:?}: constraints accepted {what}");
            }
        }
    }

    #[test]
    fn prove_and_verify_membership20() {
        let mut rng = StdRng::seed_from_u64(4);
        let prover = MembershipProver::setup(MembershipKind::Bare, MEMBERSHIP20_DEPTH, &mut rng).expect("setup");
        assert_eq!(prover.num_constraints(), 5_075);
        let honest = sample_circuit(MembershipKind::Bare, MEMBERSHIP20_DEPTH, 3).expect("sample");
        let proof = prover.prove(honest.clone(), &mut rng).expect("prove");
        assert!(prover.verify(&honest.public, &proof).expect("verify"));
        assert!(verify(prover.verifying_key(), &honest.public.to_vec(), &proof).expect("verify"));

        // The same proof does not verify for other public inputs.
        let mut other = honest.public;
        other.root += Fr::one();
        assert!(!prover.verify(&other, &proof).expect("verify"));
        let mut other = honest.public;
        other.nullifier_hash += Fr::one();
        assert!(!prover.verify(&other, &proof).expect("verify"));
        let swapped = MembershipPublic { root: honest.public.nullifier_hash, nullifier_hash: honest.public.root };
        assert!(!prover.verify(&swapped, &proof).expect("verify"));
        assert!(matches!(
            verify(prover.verifying_key(), &[honest.public.root], &proof),
            Err(ZkError::PublicInputs { expected: 2, got: 1 })
        ));

        // Lying witnesses are refused before proving.
        for (what, circuit) in tampered(&honest) {
            assert!(matches!(prover.prove(circuit, &mut rng), Err(ZkError::Unsatisfied(_))), "{what}");
        }
        // Even bypassing that check, a proof from a lying assignment does not verify.
        let mut lying = honest.clone();
        lying.public.root += Fr::one();
        let full = prover.keys.inner.assignment(lying.clone()).expect("assignment");
        let forged = Groth16::<Bn254>::create_proof_with_reduction_and_matrices(
            &prover.keys.inner.pk,
            Fr::rand(&mut rng),
            Fr::rand(&mut rng),
            &prover.keys.inner.r1cs.matrices,
            prover.keys.inner.r1cs.num_instance_variables,
            prover.keys.inner.r1cs.num_constraints,
            &full,
        )
        .expect("forged proof");
        assert!(!prover.verify(&lying.public, &forged).expect("verify"));

        // arkworks' own prover (matrices rebuilt per proof) agrees with the cached-matrix prover.
        let default = prover.prove_arkworks_default(honest.clone(), &mut rng).expect("prove");
        assert!(prover.verify(&honest.public, &default).expect("verify"));

        // With precomputed tables, proofs still verify, and only for their own statement; with the same
        // blinding they are the very proofs arkworks' prover makes.
        let (r, s) = (Fr::rand(&mut rng), Fr::rand(&mut rng));
        let full = prover.keys.inner.assignment(honest.clone()).expect("assignment");
        let reference = Groth16::<Bn254>::create_proof_with_reduction_and_matrices(
            &prover.keys.inner.pk,
            r,
            s,
            &prover.keys.inner.r1cs.matrices,
            prover.keys.inner.r1cs.num_instance_variables,
            prover.keys.inner.r1cs.num_constraints,
            &full,
        )
        .expect("reference proof");
        let mut fast = prover;
        fast.precompute();
        assert!(fast.is_precomputed());
        let tables = fast.keys.inner.tables.as_ref().expect("tables");
        assert_eq!(
            prover::prove(&fast.keys.inner.pk, tables, &fast.keys.inner.r1cs, &full, r, s).expect("fast proof"),
            reference
        );
        let proof = fast.prove(honest.clone(), &mut rng).expect("prove");
        assert!(fast.verify(&honest.public, &proof).expect("verify"));
        assert!(!fast.verify(&other, &proof).expect("verify"));
    }

    #[test]
    fn note_membership_proves_and_keys_refuse_other_shapes() {
        let mut rng = StdRng::seed_from_u64(5);
        let prover = MembershipProver::setup(MembershipKind::Note, 4, &mut rng).expect("setup");
        let honest = sample_circuit(MembershipKind::Note, 4, 6).expect("sample");
        let proof = prover.prove(honest.clone(), &mut rng).expect("prove");
        assert!(prover.verify(&honest.public, &proof).expect("verify"));
        let bare = sample_circuit(MembershipKind::Bare, 4, 6).expect("sample");
        assert!(matches!(prover.prove(bare, &mut rng), Err(ZkError::Shape(_))));
        let deeper = sample_circuit(MembershipKind::Note, 5, 6).expect("sample");
        assert!(matches!(prover.prove(deeper, &mut rng), Err(ZkError::Shape(_))));
    }
}
