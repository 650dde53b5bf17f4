//! What every prover of this crate shares: [`Groth16Keys`] (setup, keys from a file, proving, verifying and
//! the accessors), which [`crate::membership::MembershipProver`] and every [`TreeProver`] dereference to, so
//! `prover.verifying_key()`, `prover.precompute()` and the rest are written once; and [`TreeProver`], the one
//! prover of the circuits proved over a Merkle path of a given depth ([`crate::spend::SpendProver`],
//! [`crate::disclosure::DisclosureProver`]).

use ark_bn254::{Bn254, Fr};
use ark_groth16::{Groth16, Proof, ProvingKey, VerifyingKey};
use ark_relations::gr1cs::ConstraintSynthesizer;
use ark_std::rand::{CryptoRng, RngCore};

use crate::prover::CircuitKeys;
use crate::{Result, ZkError};

/// Groth16 keys of one circuit shape: the proving key, the prepared verifying key, the constraint matrices
/// fixed at setup (so a proof only computes the witness) and, once [`precompute`](Self::precompute)d, window
/// tables of the proving key.
pub struct Groth16Keys {
    pub(crate) inner: CircuitKeys,
}

impl std::fmt::Debug for Groth16Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Groth16Keys")
            .field("num_constraints", &self.num_constraints())
            .field("public_inputs", &self.public_inputs())
            .field("precomputed", &self.is_precomputed())
            .finish_non_exhaustive()
    }
}

impl Groth16Keys {
    /// Circuit-specific setup from `blank()` (a circuit of the right shape), the toxic waste drawn from `rng`.
    pub(crate) fn setup<C: ConstraintSynthesizer<Fr>, R: RngCore + CryptoRng>(
        blank: impl Fn() -> C,
        rng: &mut R,
    ) -> Result<Self> {
        Ok(Self { inner: CircuitKeys::setup(blank, rng)? })
    }

    /// Keys from a proving key made earlier for the shape of `blank()` (e.g. read from a key file): the
    /// constraint matrices are derived again and the key's sizes checked against them.
    pub(crate) fn from_proving_key<C: ConstraintSynthesizer<Fr>>(
        blank: impl Fn() -> C,
        pk: ProvingKey<Bn254>,
    ) -> Result<Self> {
        Ok(Self { inner: CircuitKeys::from_proving_key(blank, pk)? })
    }

    /// Generates the full assignment of `circuit` (which the caller has checked natively) and proves it, the
    /// zero-knowledge blinding drawn from `rng`.
    pub(crate) fn prove_circuit<C: ConstraintSynthesizer<Fr>, R: RngCore + CryptoRng>(
        &self,
        circuit: C,
        rng: &mut R,
    ) -> Result<Proof<Bn254>> {
        let full = self.inner.assignment(circuit)?;
        self.inner.prove_assignment(&full, rng)
    }

    /// Verifies `proof` for `public_inputs` (in circuit order) against these keys.
    pub(crate) fn verify_inputs(&self, public_inputs: &[Fr], proof: &Proof<Bn254>) -> Result<bool> {
        let expected = self.public_inputs();
        if public_inputs.len() != expected {
            return Err(crate::ZkError::PublicInputs { expected, got: public_inputs.len() });
        }
        Ok(Groth16::<Bn254>::verify_proof(&self.inner.pvk, proof, public_inputs)?)
    }

    /// Precomputes window tables of the proving key (seconds of work, tens of megabytes at depth 20) so that
    /// every later proof is faster; worth it for a long-lived prover, not for a single proof. Idempotent.
    pub fn precompute(&mut self) {
        self.inner.precompute();
    }

    /// Whether [`precompute`](Self::precompute) has run.
    pub fn is_precomputed(&self) -> bool {
        self.inner.tables.is_some()
    }

    /// Number of R1CS constraints of the circuit.
    pub fn num_constraints(&self) -> usize {
        self.inner.r1cs.num_constraints
    }

    /// Number of public inputs of the circuit (without the constant 1).
    pub fn public_inputs(&self) -> usize {
        self.inner.pk.vk.gamma_abc_g1.len().saturating_sub(1)
    }

    /// The proving key.
    pub fn proving_key(&self) -> &ProvingKey<Bn254> {
        &self.inner.pk
    }

    /// The verifying key.
    pub fn verifying_key(&self) -> &VerifyingKey<Bn254> {
        &self.inner.pk.vk
    }
}

/// A circuit proved over a Merkle path of some depth, as a [`TreeProver`] handles it.
pub trait TreeCircuit: ConstraintSynthesizer<Fr> + Sized {
    /// The circuit's public inputs.
    type Public;
    /// A placeholder of the right shape at `depth`, for key generation.
    fn blank(depth: usize) -> Self;
    /// Depth of the witness' path.
    fn depth(&self) -> usize;
    /// Checks natively that the witness satisfies the claimed public inputs.
    fn check(&self) -> Result<()>;
    /// The public inputs in circuit order.
    fn public_inputs(public: &Self::Public) -> Vec<Fr>;
}

/// Groth16 keys of a [`TreeCircuit`] at one depth, with the constraint matrices cached for proving (and, once
/// [`precompute`](Groth16Keys::precompute)d, window tables of the proving key). The shared accessors come from
/// [`Groth16Keys`], which the prover dereferences to.
pub struct TreeProver<C> {
    depth: usize,
    pub(crate) keys: Groth16Keys,
    circuit: std::marker::PhantomData<fn() -> C>,
}

impl<C> std::fmt::Debug for TreeProver<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct(std::any::type_name::<Self>())
            .field("depth", &self.depth)
            .field("keys", &self.keys)
            .finish_non_exhaustive()
    }
}

impl<C> std::ops::Deref for TreeProver<C> {
    type Target = Groth16Keys;
    fn deref(&self) -> &Groth16Keys {
        &self.keys
    }
}

impl<C> std::ops::DerefMut for TreeProver<C> {
    fn deref_mut(&mut self) -> &mut Groth16Keys {
        &mut self.keys
    }
}

impl<C: TreeCircuit> TreeProver<C> {
    /// Circuit-specific Groth16 setup at `depth`, the toxic waste drawn from `rng` (OS randomness for real
    /// keys; a seeded generator gives reproducible, insecure keys for tests).
    pub fn setup<R: RngCore + CryptoRng>(depth: usize, rng: &mut R) -> Result<Self> {
        let keys = Groth16Keys::setup(|| C::blank(depth), rng)?;
        Ok(Self { depth, keys, circuit: std::marker::PhantomData })
    }

    /// A prover from a proving key made earlier for this circuit at `depth` (read back from a key file);
    /// refused when the key is for another circuit shape.
    pub fn from_proving_key(depth: usize, pk: ProvingKey<Bn254>) -> Result<Self> {
        let keys = Groth16Keys::from_proving_key(|| C::blank(depth), pk)?;
        Ok(Self { depth, keys, circuit: std::marker::PhantomData })
    }

    /// Tree depth these keys prove paths in.
    pub fn depth(&self) -> usize {
        self.depth
    }

    /// Proves `circuit` (checked natively first: an unsatisfied witness is an error, never a bogus proof),
    /// with the zero-knowledge blinding drawn from `rng`.
    pub fn prove<R: RngCore + CryptoRng>(&self, circuit: C, rng: &mut R) -> Result<Proof<Bn254>> {
        if circuit.depth() != self.depth {
            return Err(ZkError::Shape(format!(
                "keys are for depth {}, witness is at depth {}",
                self.depth,
                circuit.depth()
            )));
        }
        circuit.check()?;
        self.keys.prove_circuit(circuit, rng)
    }

    /// Verifies a proof against these keys.
    pub fn verify(&self, public: &C::Public, proof: &Proof<Bn254>) -> Result<bool> {
        self.keys.verify_inputs(&C::public_inputs(public), proof)
    }
}
