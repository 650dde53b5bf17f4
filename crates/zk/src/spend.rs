//! The shielded-pool spend circuit (Privacy Pools / Tornado Nova style): spend part of a note in the pool's
//! depth-20 Poseidon Merkle tree, pay `value` to a recipient and `fee` to a relayer, and put the rest back
//! into the pool as a change note, proved with Groth16 over BN254.
//!
//! A note commits to its amount and two random field elements:
//! `commitment = Poseidon(amount, nullifier, secret)` (circomlib `Poseidon(3)`), the leaf of the tree.
//!
//! **Public inputs, in this order** ([`SpendPublic::to_vec`]): `root`, `nullifierHash`, `value`, `fee`,
//! `changeCommitment`, `recipient`, `relayer`, `chainId`, `pool`.
//!
//! Private inputs: the note (`amount`, `nullifier`, `secret`), its authentication path (siblings and index
//! bits), and the change note's `changeNullifier` and `changeSecret`. The change amount is derived:
//! `change = amount − value − fee`.
//!
//! Constraints:
//! - `Poseidon(amount, nullifier, secret)` is a leaf of the tree with root `root` (circomlib `DualMux` per
//!   level, as in [`crate::membership`]);
//! - `nullifierHash = Poseidon(nullifier)`;
//! - `amount`, `value`, `fee` and `change` are each below 2^128, each by a decomposition into 128 enforced
//!   bits, and `amount = value + fee + change`. Since the three summands are below 2^128 their integer sum is
//!   below 3·2^128 < r, so the field equation is the integer equation: no note can go negative and nothing
//!   can wrap around the field. (`amount < 2^128` would follow for notes the pool created if deposits are
//!   range-checked, as change notes are here; it is checked anyway, for 129 constraints.)
//! - `changeCommitment = Poseidon(change, changeNullifier, changeSecret)`;
//! - `recipient`, `relayer`, `chainId` and `pool` each enter one constraint (`x · x = x²`, Tornado's trick),
//!   so a proof is bound to them and cannot be replayed with any of them changed.
//!
//! At depth 20: [`SPEND20_CONSTRAINTS`] = 6,119 constraints: 20·(240 + 3)
//! for the path, 2·261 for the two `Poseidon(3)` commitments, 213 for the nullifier hash, 4·129 for the range
//! checks, 1 for the sum, 3 equalities (root, nullifier hash, change commitment) and 4 bindings.
//!
//! **Nullifier aliasing.** The nullifier is a field element: the integers `n` and `n + r` are the same
//! element and so have the same nullifier hash, and the proof's public inputs are field elements too. A
//! contract or ledger recording spent nullifier hashes must therefore key them by the canonical element
//! (the integer below r) and refuse any public input ≥ r, as the generated Solidity verifier
//! ([`crate::solidity`]) and the snarkjs import ([`crate::snarkjs::public_signals_from_json`]) do; otherwise
//! `nullifierHash + r` would pass as an unspent nullifier for an already spent note.

use ark_bn254::{Bn254, Fr};
use ark_ff::{BigInteger, PrimeField};
use ark_groth16::{Groth16, Proof, ProvingKey, VerifyingKey};
use ark_r1cs_std::fields::fp::FpVar;
use ark_r1cs_std::prelude::*;
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystemRef, SynthesisError};
use ark_std::rand::{CryptoRng, RngCore};

use crate::merkle::{MerklePath, MerkleTree};
use crate::prover::{self, CircuitKeys};
use crate::{Result, ZkError, gadget, poseidon};

/// Depth of the shielded pool's tree.
pub const SPEND_DEPTH: usize = crate::membership::MEMBERSHIP20_DEPTH;

/// Number of public inputs of the spend circuit.
pub const SPEND_PUBLIC_INPUTS: usize = 9;

/// Number of R1CS constraints of the spend circuit at depth 20.
pub const SPEND20_CONSTRAINTS: usize = 6_119;

/// Bits of every amount: amounts, values, fees and changes are below 2^128.
pub const AMOUNT_BITS: usize = 128;

/// A note of the shielded pool: an amount and the two random field elements that hide it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Note {
    /// The amount the note holds.
    pub amount: u128,
    /// Revealed (hashed) when the note is spent.
    pub nullifier: Fr,
    /// Never revealed.
    pub secret: Fr,
}

impl Note {
    /// The note's commitment, the leaf it occupies in the tree: `Poseidon(amount, nullifier, secret)`.
    pub fn commitment(&self) -> Fr {
        poseidon::hash(&[Fr::from(self.amount), self.nullifier, self.secret]).expect("arity 3 is supported")
    }

    /// The nullifier hash revealed on spending: `Poseidon(nullifier)`.
    pub fn nullifier_hash(&self) -> Fr {
        poseidon::hash1(self.nullifier)
    }
}

/// What the spender asks for: the public part of a spend and the randomness of the change note.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SpendRequest {
    /// Paid to the recipient.
    pub value: u128,
    /// Paid to the relayer.
    pub fee: u128,
    /// Recipient, as a field element (e.g. an address as an integer).
    pub recipient: Fr,
    /// Relayer, as a field element.
    pub relayer: Fr,
    /// Chain id.
    pub chain_id: Fr,
    /// The pool (contract) the proof is for, as a field element.
    pub pool: Fr,
    /// Nullifier of the change note.
    pub change_nullifier: Fr,
    /// Secret of the change note.
    pub change_secret: Fr,
}

/// The public inputs of a spend proof (see the module documentation for their order).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SpendPublic {
    /// Merkle root the note is proved against.
    pub root: Fr,
    /// `Poseidon(nullifier)`, recorded against double spending.
    pub nullifier_hash: Fr,
    /// Paid to the recipient.
    pub value: Fr,
    /// Paid to the relayer.
    pub fee: Fr,
    /// Commitment of the change note, inserted into the tree.
    pub change_commitment: Fr,
    /// Recipient.
    pub recipient: Fr,
    /// Relayer.
    pub relayer: Fr,
    /// Chain id.
    pub chain_id: Fr,
    /// Pool.
    pub pool: Fr,
}

impl SpendPublic {
    /// The public inputs in circuit order: `[root, nullifierHash, value, fee, changeCommitment, recipient,
    /// relayer, chainId, pool]`.
    pub fn to_vec(&self) -> Vec<Fr> {
        vec![
            self.root,
            self.nullifier_hash,
            self.value,
            self.fee,
            self.change_commitment,
            self.recipient,
            self.relayer,
            self.chain_id,
            self.pool,
        ]
    }
}

/// The private inputs of a spend.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpendWitness {
    /// The note spent.
    pub note: Note,
    /// Authentication path of the note's commitment.
    pub path: MerklePath,
    /// Nullifier of the change note.
    pub change_nullifier: Fr,
    /// Secret of the change note.
    pub change_secret: Fr,
}

/// A spend statement with its witness (public inputs may be set to anything, e.g. to test that a wrong claim
/// cannot be proved).
#[derive(Clone, Debug)]
pub struct SpendCircuit {
    /// The claimed public inputs.
    pub public: SpendPublic,
    /// The private inputs.
    pub witness: SpendWitness,
}

/// The change amount as a field element: `amount − value − fee` (wraps modulo r on overdraw, which the
/// circuit's range check then refuses).
fn change_field(amount: Fr, value: Fr, fee: Fr) -> Fr {
    amount - value - fee
}

impl SpendCircuit {
    /// The honest spend of `note`, found in `tree`, for `request`: the public inputs computed natively.
    ///
    /// Refuses a request that overdraws the note ([`ZkError::Overdraw`]) and a note whose commitment is not
    /// a leaf of the tree ([`ZkError::NoteNotInTree`]; the leaves are searched linearly).
    pub fn new(note: Note, tree: &MerkleTree, request: &SpendRequest) -> Result<Self> {
        let change = request
            .value
            .checked_add(request.fee)
            .and_then(|spent| note.amount.checked_sub(spent))
            .ok_or(ZkError::Overdraw { amount: note.amount, value: request.value, fee: request.fee })?;
        let commitment = note.commitment();
        let index = (0..tree.len()).find(|i| tree.leaf(*i).ok() == Some(commitment)).ok_or(ZkError::NoteNotInTree)?;
        let path = tree.path(index)?;
        let change_note = Note { amount: change, nullifier: request.change_nullifier, secret: request.change_secret };
        let public = SpendPublic {
            root: tree.root(),
            nullifier_hash: note.nullifier_hash(),
            value: Fr::from(request.value),
            fee: Fr::from(request.fee),
            change_commitment: change_note.commitment(),
            recipient: request.recipient,
            relayer: request.relayer,
            chain_id: request.chain_id,
            pool: request.pool,
        };
        let witness = SpendWitness {
            note,
            path,
            change_nullifier: request.change_nullifier,
            change_secret: request.change_secret,
        };
        Ok(Self { public, witness })
    }

    /// A placeholder of the right shape (all zeros) for key generation, where only the shape matters.
    pub fn blank(depth: usize) -> Self {
        let zero = Fr::from(0u64);
        let note = Note { amount: 0, nullifier: zero, secret: zero };
        let path = MerklePath { siblings: vec![zero; depth], index_bits: vec![false; depth] };
        let public = SpendPublic {
            root: path.root(note.commitment()),
            nullifier_hash: note.nullifier_hash(),
            value: zero,
            fee: zero,
            change_commitment: note.commitment(),
            recipient: zero,
            relayer: zero,
            chain_id: zero,
            pool: zero,
        };
        Self { public, witness: SpendWitness { note, path, change_nullifier: zero, change_secret: zero } }
    }

    /// Depth of the path.
    pub fn depth(&self) -> usize {
        self.witness.path.depth()
    }

    /// Checks natively that the witness satisfies the claimed public inputs (the same statement as the
    /// constraints).
    pub fn check(&self) -> Result<()> {
        let (w, p) = (&self.witness, &self.public);
        if w.path.siblings.len() != w.path.index_bits.len() {
            return Err(ZkError::Shape("path siblings and index bits differ in length".into()));
        }
        if w.path.root(w.note.commitment()) != p.root {
            return Err(ZkError::Unsatisfied("the path does not lead to the claimed root"));
        }
        if w.note.nullifier_hash() != p.nullifier_hash {
            return Err(ZkError::Unsatisfied("the nullifier hash does not match the note"));
        }
        let change = change_field(Fr::from(w.note.amount), p.value, p.fee);
        if ![p.value, p.fee, change].iter().all(below_2_128) {
            return Err(ZkError::Unsatisfied("value, fee or change is not below 2^128 (overdraw)"));
        }
        let change_commitment =
            poseidon::hash(&[change, w.change_nullifier, w.change_secret]).expect("arity 3 is supported");
        if change_commitment != p.change_commitment {
            return Err(ZkError::Unsatisfied("the change commitment does not match"));
        }
        Ok(())
    }
}

fn below_2_128(x: &Fr) -> bool {
    x.into_bigint().num_bits() as usize <= AMOUNT_BITS
}

/// Enforces `x < 2^128`: 128 boolean-constrained bit witnesses whose weighted sum equals `x` (129
/// constraints). For `x ≥ 2^128` the bits hold its low 128 bits and the equation is unsatisfied.
fn enforce_below_2_128(cs: &ConstraintSystemRef<Fr>, x: &FpVar<Fr>) -> Result<(), SynthesisError> {
    let limbs = x.value().ok().map(|v| v.into_bigint());
    let bits = (0..AMOUNT_BITS)
        .map(|i| {
            Boolean::new_witness(cs.clone(), || {
                limbs.map(|l| (l.0[i / 64] >> (i % 64)) & 1 == 1).ok_or(SynthesisError::AssignmentMissing)
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Boolean::le_bits_to_fp(&bits)?.enforce_equal(x)
}

impl ConstraintSynthesizer<Fr> for SpendCircuit {
    fn generate_constraints(self, cs: ConstraintSystemRef<Fr>) -> Result<(), SynthesisError> {
        let (w, p) = (self.witness, self.public);
        if w.path.siblings.len() != w.path.index_bits.len() {
            return Err(SynthesisError::ArityMismatch);
        }
        let input = |x: Fr| FpVar::new_input(cs.clone(), || Ok(x));
        let root = input(p.root)?;
        let nullifier_hash = input(p.nullifier_hash)?;
        let value = input(p.value)?;
        let fee = input(p.fee)?;
        let change_commitment = input(p.change_commitment)?;
        let bound = [input(p.recipient)?, input(p.relayer)?, input(p.chain_id)?, input(p.pool)?];

        let witness = |x: Fr| FpVar::new_witness(cs.clone(), || Ok(x));
        let amount = witness(Fr::from(w.note.amount))?;
        let nullifier = witness(w.note.nullifier)?;
        let secret = witness(w.note.secret)?;
        let change = witness(change_field(Fr::from(w.note.amount), p.value, p.fee))?;
        let change_nullifier = witness(w.change_nullifier)?;
        let change_secret = witness(w.change_secret)?;

        // Amounts: all below 2^128 and amount = value + fee + change (no wrap, see the module docs).
        for x in [&amount, &value, &fee, &change] {
            enforce_below_2_128(&cs, x)?;
        }
        (&value + &fee + &change).enforce_equal(&amount)?;

        // Membership of the note's commitment.
        let mut node = gadget::hash(&[amount, nullifier.clone(), secret])?;
        for (sibling, right) in w.path.siblings.iter().zip(&w.path.index_bits) {
            let sibling = witness(*sibling)?;
            let is_right = Boolean::new_witness(cs.clone(), || Ok(*right))?;
            let left = FpVar::conditionally_select(&is_right, &sibling, &node)?;
            let right = FpVar::conditionally_select(&is_right, &node, &sibling)?;
            node = gadget::hash(&[left, right])?;
        }
        node.enforce_equal(&root)?;
        gadget::hash(&[nullifier])?.enforce_equal(&nullifier_hash)?;
        gadget::hash(&[change, change_nullifier, change_secret])?.enforce_equal(&change_commitment)?;

        // Bind recipient, relayer, chain id and pool: one constraint each (x · x = x²).
        for x in &bound {
            // The square is not used further; the constraint `x · x = x²` is what binds x.
            let _square = x.square()?;
        }
        Ok(())
    }
}

/// Number of constraints of the spend circuit at `depth`.
pub fn constraint_count(depth: usize) -> Result<usize> {
    prover::count_constraints(SpendCircuit::blank(depth))
}

/// Groth16 keys for the spend circuit, with the constraint matrices cached for proving (and, once
/// [`precompute`](SpendProver::precompute)d, window tables of the proving key).
pub struct SpendProver {
    depth: usize,
    keys: CircuitKeys,
}

impl std::fmt::Debug for SpendProver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SpendProver")
            .field("depth", &self.depth)
            .field("num_constraints", &self.keys.r1cs.num_constraints)
            .field("precomputed", &self.keys.tables.is_some())
            .finish_non_exhaustive()
    }
}

impl SpendProver {
    /// Circuit-specific Groth16 setup at `depth`, the toxic waste drawn from `rng` (OS randomness for real
    /// keys; a seeded generator gives reproducible, insecure keys for tests).
    pub fn setup<R: RngCore + CryptoRng>(depth: usize, rng: &mut R) -> Result<Self> {
        Ok(Self { depth, keys: CircuitKeys::setup(|| SpendCircuit::blank(depth), rng)? })
    }

    /// Precomputes window tables of the proving key (seconds, tens of megabytes at depth 20) so that every
    /// later [`prove`](Self::prove) is faster. Idempotent.
    pub fn precompute(&mut self) {
        self.keys.precompute();
    }

    /// Tree depth these keys prove spends in.
    pub fn depth(&self) -> usize {
        self.depth
    }

    /// Number of R1CS constraints of the circuit.
    pub fn num_constraints(&self) -> usize {
        self.keys.r1cs.num_constraints
    }

    /// The proving key.
    pub fn proving_key(&self) -> &ProvingKey<Bn254> {
        &self.keys.pk
    }

    /// The verifying key.
    pub fn verifying_key(&self) -> &VerifyingKey<Bn254> {
        &self.keys.pk.vk
    }

    /// Proves `circuit` (checked natively first: an unsatisfied witness is an error, never a bogus proof),
    /// with the zero-knowledge blinding drawn from `rng`.
    pub fn prove<R: RngCore + CryptoRng>(&self, circuit: SpendCircuit, rng: &mut R) -> Result<Proof<Bn254>> {
        if circuit.depth() != self.depth {
            return Err(ZkError::Shape(format!(
                "keys are for depth {}, witness is at depth {}",
                self.depth,
                circuit.depth()
            )));
        }
        circuit.check()?;
        let full = self.keys.assignment(circuit)?;
        self.keys.prove_assignment(&full, rng)
    }

    /// Verifies a proof against these keys.
    pub fn verify(&self, public: &SpendPublic, proof: &Proof<Bn254>) -> Result<bool> {
        Ok(Groth16::<Bn254>::verify_proof(&self.keys.pvk, proof, &public.to_vec())?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ff::UniformRand;
    use ark_ff::{Field, One};
    use ark_relations::gr1cs::{ConstraintSystem, OptimizationGoal};
    use ark_std::rand::{SeedableRng, rngs::StdRng};

    /// A change to one public input.
    type Tamper = fn(&mut SpendPublic);

    fn satisfied(circuit: SpendCircuit) -> bool {
        let cs = ConstraintSystem::<Fr>::new_ref();
        cs.set_optimization_goal(OptimizationGoal::Constraints);
        circuit.generate_constraints(cs.clone()).expect("synthesis");
        cs.finalize();
        cs.is_satisfied().expect("is_satisfied")
    }

    /// A depth-`depth` tree of a few notes, the one at index 2 holding 1,000, and a request for 600 + 25.
    fn sample(depth: usize, seed: u64) -> (Note, MerkleTree, SpendRequest) {
        let mut rng = StdRng::seed_from_u64(seed);
        let mut tree = MerkleTree::new(depth).expect("tree");
        let mut chosen = None;
        for (i, amount) in [500u128, 2_000, 1_000, 4_000].into_iter().enumerate() {
            let note = Note { amount, nullifier: Fr::rand(&mut rng), secret: Fr::rand(&mut rng) };
            tree.insert(note.commitment()).expect("insert");
            if i == 2 {
                chosen = Some(note);
            }
        }
        let request = SpendRequest {
            value: 600,
            fee: 25,
            recipient: Fr::from(0xdead_beefu64),
            relayer: Fr::from(0xfeedu64),
            chain_id: Fr::from(8453u64),
            pool: Fr::from(0x9001u64),
            change_nullifier: Fr::rand(&mut rng),
            change_secret: Fr::rand(&mut rng),
        };
        (chosen.expect("note"), tree, request)
    }

    /// An overdrawing circuit forced past the native builder: `value + fee = amount + excess`, so the derived
    /// change is `r − excess` ("negative"), with the public inputs otherwise consistent.
    fn overdrawn(honest: &SpendCircuit, excess: u64) -> SpendCircuit {
        let mut c = honest.clone();
        let amount = Fr::from(c.witness.note.amount);
        c.public.value = amount - c.public.fee + Fr::from(excess);
        let change = change_field(amount, c.public.value, c.public.fee);
        assert_eq!(change, -Fr::from(excess));
        c.public.change_commitment =
            poseidon::hash(&[change, c.witness.change_nullifier, c.witness.change_secret]).expect("hash");
        c
    }

    #[test]
    fn spend20_constraint_count() {
        assert_eq!(constraint_count(SPEND_DEPTH).expect("count"), SPEND20_CONSTRAINTS);
    }

    #[test]
    fn honest_spend_satisfies_and_lies_do_not() {
        let (note, tree, request) = sample(SPEND_DEPTH, 1);
        let honest = SpendCircuit::new(note, &tree, &request).expect("spend");
        assert_eq!(honest.public.value, Fr::from(600u64));
        honest.check().expect("native check");
        assert!(satisfied(honest.clone()), "honest spend unsatisfied");

        // Spending everything (change 0) and the largest amounts are fine.
        let all = SpendRequest { value: 975, ..request };
        assert!(satisfied(SpendCircuit::new(note, &tree, &all).expect("spend all")));

        let mut lies: Vec<(&str, SpendCircuit)> = Vec::new();
        let mut c = honest.clone();
        c.public.root += Fr::one();
        lies.push(("wrong root", c));
        let mut c = honest.clone();
        c.public.nullifier_hash += Fr::one();
        lies.push(("wrong nullifier hash", c));
        let mut c = honest.clone();
        c.public.change_commitment += Fr::one();
        lies.push(("wrong change commitment", c));
        let mut c = honest.clone();
        c.public.value += Fr::one();
        lies.push(("value changed (change commitment then wrong)", c));
        let mut c = honest.clone();
        c.witness.note.amount += 1;
        lies.push(("amount changed (commitment not in the tree)", c));
        lies.push(("overdraw by 1 (change r - 1)", overdrawn(&honest, 1)));
        lies.push(("overdraw by 1,000", overdrawn(&honest, 1_000)));
        // Wrapping the other way: value = r - 1 ("negative"), change = amount - fee + 1, the sum still holds
        // in the field; only the range check on value refuses it.
        let mut c = honest.clone();
        c.public.value = -Fr::one();
        let change = change_field(Fr::from(c.witness.note.amount), c.public.value, c.public.fee);
        c.public.change_commitment =
            poseidon::hash(&[change, c.witness.change_nullifier, c.witness.change_secret]).expect("hash");
        lies.push(("value r - 1", c));
        let mut c = honest;
        c.public.fee = Fr::from(2u64).pow([128]);
        lies.push(("fee 2^128", c));
        for (what, circuit) in lies {
            assert!(circuit.check().is_err(), "native check accepted {what}");
            assert!(!satisfied(circuit), "constraints accepted {what}");
        }
    }

    #[test]
    fn range_check_alone_refuses_negative_change() {
        // A forced overdraw (change = r - 1) satisfies every equation of the statement except the range check:
        // the commitment is in the tree, the nullifier hash is right, amount = value + fee + change holds in
        // the field and the change commitment opens. Only the bit decomposition of change refuses it.
        let (note, tree, request) = sample(3, 2);
        let honest = SpendCircuit::new(note, &tree, &request).expect("spend");
        let forced = overdrawn(&honest, 1);
        let (w, p) = (&forced.witness, &forced.public);
        let change = -Fr::one();
        assert_eq!(w.path.root(w.note.commitment()), p.root);
        assert_eq!(w.note.nullifier_hash(), p.nullifier_hash);
        assert_eq!(p.value + p.fee + change, Fr::from(w.note.amount));
        assert!(below_2_128(&p.value) && below_2_128(&p.fee) && !below_2_128(&change));
        assert_eq!(poseidon::hash(&[change, w.change_nullifier, w.change_secret]).expect("hash"), p.change_commitment);
        assert!(matches!(forced.check(), Err(ZkError::Unsatisfied(m)) if m.contains("2^128")));
        assert!(!satisfied(forced));
    }

    #[test]
    fn builder_refuses_overdraw_and_foreign_notes() {
        let (note, tree, request) = sample(4, 3);
        let over = SpendRequest { value: 976, ..request };
        assert!(matches!(
            SpendCircuit::new(note, &tree, &over),
            Err(ZkError::Overdraw { amount: 1_000, value: 976, fee: 25 })
        ));
        let wrapping = SpendRequest { value: u128::MAX, fee: 2, ..request };
        assert!(matches!(SpendCircuit::new(note, &tree, &wrapping), Err(ZkError::Overdraw { .. })));
        let foreign = Note { amount: 1_001, ..note };
        assert!(matches!(SpendCircuit::new(foreign, &tree, &request), Err(ZkError::NoteNotInTree)));
    }

    #[test]
    fn public_inputs_at_or_above_r_are_refused_on_import() {
        // nullifierHash + r is the same field element as nullifierHash: the snarkjs import refuses its
        // (non-canonical) decimal rather than reducing it, so a ledger keyed by the canonical element cannot be
        // handed an alias. (`Fr` values, as [`SpendProver::verify`] takes, are canonical by construction.)
        let (note, tree, request) = sample(2, 4);
        let public = SpendCircuit::new(note, &tree, &request).expect("spend").public;
        let signals: Vec<String> = public.to_vec().iter().map(poseidon::fr_to_decimal).collect();
        let parsed = crate::snarkjs::public_signals_from_json(&serde_json::json!(signals)).expect("canonical");
        assert_eq!(parsed, public.to_vec());
        let mut aliased = public.nullifier_hash.into_bigint();
        assert!(!aliased.add_with_carry(&Fr::MODULUS), "nh + r fits in 256 bits");
        let mut signals = signals;
        signals[1] = aliased.to_string();
        assert_ne!(signals[1], poseidon::fr_to_decimal(&public.nullifier_hash));
        assert!(matches!(
            crate::snarkjs::public_signals_from_json(&serde_json::json!(signals)),
            Err(ZkError::FieldElement(_) | ZkError::Snarkjs(_))
        ));
    }

    #[test]
    fn prove_and_verify_spend20() {
        let mut rng = StdRng::seed_from_u64(7);
        let prover = SpendProver::setup(SPEND_DEPTH, &mut rng).expect("setup");
        assert_eq!(prover.num_constraints(), SPEND20_CONSTRAINTS);
        assert_eq!(prover.verifying_key().gamma_abc_g1.len(), SPEND_PUBLIC_INPUTS + 1);
        let (note, tree, request) = sample(SPEND_DEPTH, 8);
        let honest = SpendCircuit::new(note, &tree, &request).expect("spend");
        let proof = prover.prove(honest.clone(), &mut rng).expect("prove");
        assert!(prover.verify(&honest.public, &proof).expect("verify"));
        assert!(crate::membership::verify(prover.verifying_key(), &honest.public.to_vec(), &proof).expect("verify"));
        // The prover over precomputed tables gives proofs the same keys accept.
        let mut fast = SpendProver::setup(SPEND_DEPTH, &mut StdRng::seed_from_u64(7)).expect("setup");
        fast.precompute();
        let fast_proof = fast.prove(honest.clone(), &mut rng).expect("prove over tables");
        assert!(prover.verify(&honest.public, &fast_proof).expect("verify"));

        // Every public input is bound: changing any one of them breaks verification.
        let changes: [(&str, Tamper); SPEND_PUBLIC_INPUTS] = [
            ("root", |p| p.root += Fr::one()),
            ("nullifierHash", |p| p.nullifier_hash += Fr::one()),
            ("value", |p| p.value += Fr::one()),
            ("fee", |p| p.fee += Fr::one()),
            ("changeCommitment", |p| p.change_commitment += Fr::one()),
            ("recipient", |p| p.recipient += Fr::one()),
            ("relayer", |p| p.relayer += Fr::one()),
            ("chainId", |p| p.chain_id += Fr::one()),
            ("pool", |p| p.pool += Fr::one()),
        ];
        for (what, change) in changes {
            let mut public = honest.public;
            change(&mut public);
            assert!(!prover.verify(&public, &proof).expect("verify"), "proof verified with {what} changed");
        }

        // Lying witnesses are refused before proving.
        let forced = overdrawn(&honest, 1);
        assert!(matches!(prover.prove(forced.clone(), &mut rng), Err(ZkError::Unsatisfied(_))));
        // Even bypassing that check, a proof from the overdrawing assignment (change r - 1) does not verify.
        let full = prover.keys.assignment(forced.clone()).expect("assignment");
        let forged = Groth16::<Bn254>::create_proof_with_reduction_and_matrices(
            &prover.keys.pk,
            Fr::rand(&mut rng),
            Fr::rand(&mut rng),
            &prover.keys.r1cs.matrices,
            prover.keys.r1cs.num_instance_variables,
            prover.keys.r1cs.num_constraints,
            &full,
        )
        .expect("forged proof");
        assert!(!prover.verify(&forced.public, &forged).expect("verify"));
        let shallow = SpendCircuit::blank(4);
        assert!(matches!(prover.prove(shallow, &mut rng), Err(ZkError::Shape(_))));
    }
}
