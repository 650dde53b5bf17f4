//! The shielded-pool spend circuit (Privacy Pools / Tornado Nova style): spend part of a note in the pool's
//! depth-20 Poseidon Merkle tree, withdraw `withdrawn` from it and put the rest back into the pool as a
//! change note, proved with Groth16 over BN254.
//!
//! A note commits to its amount and two random field elements in two steps, so that a contract can compute
//! the leaf of a deposit on chain from the public amount and a precommitment the depositor sends:
//! - `precommitment = Poseidon(nullifier, secret)` (circomlib `Poseidon(2)`, [`Note::precommitment`]);
//! - `commitment = Poseidon(amount, precommitment)` (`Poseidon(2)`, [`Note::commitment`]), the leaf of the
//!   tree (on chain: `PoseidonT3.hash([amount, precommitment])` at deposit);
//! - `nullifierHash = Poseidon(nullifier)` (`Poseidon(1)`), revealed when the note is spent.
//!
//! **Public inputs, in this order** ([`SpendPublic::to_vec`], [`SPEND_PUBLIC_INPUTS`] = 5): `root`,
//! `nullifierHash`, `withdrawn`, `changeCommitment`, `context`.
//!
//! Every public input costs an elliptic-curve multiplication (about 6,200 gas) in the on-chain verifier, so
//! whatever else a spend must be bound to (recipient, relayer, fee, chain id, pool, order) is bound through
//! one hashed `context` input, as Privacy Pools does. This crate knows no chain and treats `context` as an
//! opaque field element: **the chain side** computes `context = keccak256(chainId, pool, order binding,
//! relayer, fee) >> 3` (below 2^253 < r, so always a field element), checks it equals the proof's input, and
//! checks that `withdrawn` splits into the value paid out and the relayer's `fee` (`value + fee =
//! withdrawn`). The circuit only knows `withdrawn`, everything that leaves the note.
//!
//! Private inputs: the note (`amount`, `nullifier`, `secret`), its authentication path (siblings and index
//! bits), and the change note's `changeNullifier` and `changeSecret`. The change amount is derived:
//! `change = amount − withdrawn`.
//!
//! Constraints:
//! - `Poseidon(amount, Poseidon(nullifier, secret))` is a leaf of the tree with root `root` (circomlib
//!   `DualMux` per level, the path gadget [`gadget::merkle_root`] shared with [`crate::membership`]);
//! - `nullifierHash = Poseidon(nullifier)`;
//! - `amount`, `withdrawn` and `change` are each below 2^128, each by a decomposition into 128 enforced bits,
//!   and `amount = withdrawn + change`. Since both summands are below 2^128 their integer sum is below
//!   2^129 < r, so the field equation is the integer equation: no note can go negative and nothing can wrap
//!   around the field. (`amount < 2^128` would follow for notes the pool created if deposits are
//!   range-checked, as change notes are here; it is checked anyway, for 129 constraints.)
//! - `changeCommitment = Poseidon(change, Poseidon(changeNullifier, changeSecret))`;
//! - `context` enters one constraint (`x · x = x²`, Tornado's trick), so a proof is bound to it and cannot be
//!   replayed with another context.
//!
//! At depth 20: [`SPEND20_CONSTRAINTS`] = 6,425 constraints: 20·(240 + 3) = 4,860 for the path, 4·240 for
//! the two two-step commitments, 213 for the nullifier hash, 3·129 for the range checks, 1 for the sum,
//! 3 equalities (root, nullifier hash, change commitment) and 1 binding.
//!
//! **Nullifier aliasing.** The nullifier is a field element: the integers `n` and `n + r` are the same
//! element and so have the same nullifier hash, and the proof's public inputs are field elements too. A
//! contract or ledger recording spent nullifier hashes must therefore key them by the canonical element
//! (the integer below r) and refuse any public input ≥ r, as the generated Solidity verifier
//! ([`crate::solidity`]) and the snarkjs import ([`crate::snarkjs::public_signals_from_json`]) do; otherwise
//! `nullifierHash + r` would pass as an unspent nullifier for an already spent note.

use ark_bn254::Fr;
use ark_r1cs_std::fields::fp::FpVar;
use ark_r1cs_std::prelude::*;
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystemRef, SynthesisError};

use crate::keys::{TreeCircuit, TreeProver};
use crate::merkle::{MerklePath, MerkleTree};
use crate::{Result, ZkError, gadget, poseidon, prover};

/// Depth of the shielded pool's tree.
pub const SPEND_DEPTH: usize = crate::membership::MEMBERSHIP20_DEPTH;

/// Number of public inputs of the spend circuit.
pub const SPEND_PUBLIC_INPUTS: usize = 5;

/// Number of R1CS constraints of the spend circuit at depth 20.
pub const SPEND20_CONSTRAINTS: usize = 6_425;

/// Bits of every amount: amounts, withdrawals and changes are below 2^128.
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
    /// The precommitment a depositor sends, hiding the nullifier and secret: `Poseidon(nullifier, secret)`.
    pub fn precommitment(&self) -> Fr {
        poseidon::hash2(self.nullifier, self.secret)
    }

    /// The note's commitment, the leaf it occupies in the tree: `Poseidon(amount, precommitment)`.
    pub fn commitment(&self) -> Fr {
        poseidon::hash2(Fr::from(self.amount), self.precommitment())
    }

    /// The nullifier hash revealed on spending: `Poseidon(nullifier)`.
    pub fn nullifier_hash(&self) -> Fr {
        poseidon::hash1(self.nullifier)
    }
}

/// What the spender asks for: the public part of a spend and the randomness of the change note.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SpendRequest {
    /// Everything that leaves the note: the value paid out plus the relayer's fee (the chain side checks the
    /// split).
    pub withdrawn: u128,
    /// The hashed context the proof is bound to (the chain side computes it from chain id, pool, order
    /// binding, relayer and fee; see the module documentation). Opaque here.
    pub context: Fr,
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
    /// What leaves the note (value + fee).
    pub withdrawn: Fr,
    /// Commitment of the change note, inserted into the tree.
    pub change_commitment: Fr,
    /// The hashed context (recipient, relayer, fee, chain, pool) the proof is bound to.
    pub context: Fr,
}

impl SpendPublic {
    /// The public inputs in circuit order: `[root, nullifierHash, withdrawn, changeCommitment, context]`.
    pub fn to_vec(&self) -> Vec<Fr> {
        vec![self.root, self.nullifier_hash, self.withdrawn, self.change_commitment, self.context]
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

/// The change amount as a field element: `amount − withdrawn` (wraps modulo r on overdraw, which the
/// circuit's range check then refuses).
fn change_field(amount: Fr, withdrawn: Fr) -> Fr {
    amount - withdrawn
}

/// `Poseidon(amount, Poseidon(nullifier, secret))` over field elements (the change amount may be any).
fn commitment_field(amount: Fr, nullifier: Fr, secret: Fr) -> Fr {
    poseidon::hash2(amount, poseidon::hash2(nullifier, secret))
}

impl SpendCircuit {
    /// The honest spend of `note`, found in `tree`, for `request`: the public inputs computed natively.
    ///
    /// Refuses a request that overdraws the note ([`ZkError::Overdraw`]) and a note whose commitment is not
    /// a leaf of the tree ([`ZkError::NoteNotInTree`]; the leaves are searched linearly).
    pub fn new(note: Note, tree: &MerkleTree, request: &SpendRequest) -> Result<Self> {
        let change = note
            .amount
            .checked_sub(request.withdrawn)
            .ok_or(ZkError::Overdraw { amount: note.amount, withdrawn: request.withdrawn })?;
        let commitment = note.commitment();
        let index = (0..tree.len()).find(|i| tree.leaf(*i).ok() == Some(commitment)).ok_or(ZkError::NoteNotInTree)?;
        let path = tree.path(index)?;
        let change_note = Note { amount: change, nullifier: request.change_nullifier, secret: request.change_secret };
        let public = SpendPublic {
            root: tree.root(),
            nullifier_hash: note.nullifier_hash(),
            withdrawn: Fr::from(request.withdrawn),
            change_commitment: change_note.commitment(),
            context: request.context,
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
            withdrawn: zero,
            change_commitment: note.commitment(),
            context: zero,
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
        let change = change_field(Fr::from(w.note.amount), p.withdrawn);
        if ![p.withdrawn, change].iter().all(|x| gadget::fits_bits(x, AMOUNT_BITS)) {
            return Err(ZkError::Unsatisfied("withdrawn or change is not below 2^128 (overdraw)"));
        }
        if commitment_field(change, w.change_nullifier, w.change_secret) != p.change_commitment {
            return Err(ZkError::Unsatisfied("the change commitment does not match"));
        }
        Ok(())
    }
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
        let withdrawn = input(p.withdrawn)?;
        let change_commitment = input(p.change_commitment)?;
        let context = input(p.context)?;

        let witness = |x: Fr| FpVar::new_witness(cs.clone(), || Ok(x));
        let amount = witness(Fr::from(w.note.amount))?;
        let nullifier = witness(w.note.nullifier)?;
        let secret = witness(w.note.secret)?;
        let change = witness(change_field(Fr::from(w.note.amount), p.withdrawn))?;
        let change_nullifier = witness(w.change_nullifier)?;
        let change_secret = witness(w.change_secret)?;

        // Amounts: all below 2^128 and amount = withdrawn + change (no wrap, see the module docs).
        for x in [&amount, &withdrawn, &change] {
            gadget::enforce_bits(&cs, x, AMOUNT_BITS)?;
        }
        (&withdrawn + &change).enforce_equal(&amount)?;

        // Membership of the note's commitment Poseidon(amount, Poseidon(nullifier, secret)).
        let precommitment = gadget::hash(&[nullifier.clone(), secret])?;
        let leaf = gadget::hash(&[amount, precommitment])?;
        gadget::merkle_root(&cs, leaf, &w.path)?.enforce_equal(&root)?;
        gadget::hash(&[nullifier])?.enforce_equal(&nullifier_hash)?;
        let change_precommitment = gadget::hash(&[change_nullifier, change_secret])?;
        gadget::hash(&[change, change_precommitment])?.enforce_equal(&change_commitment)?;

        // Bind the context: one constraint (x · x = x²); the square is not used further.
        let _square = context.square()?;
        Ok(())
    }
}

/// Number of constraints of the spend circuit at `depth`.
pub fn constraint_count(depth: usize) -> Result<usize> {
    prover::count_constraints(SpendCircuit::blank(depth))
}

/// Groth16 keys for the spend circuit: setup, keys from a file, proving and verifying ([`TreeProver`]).
pub type SpendProver = TreeProver<SpendCircuit>;

impl TreeCircuit for SpendCircuit {
    type Public = SpendPublic;

    fn blank(depth: usize) -> Self {
        SpendCircuit::blank(depth)
    }

    fn depth(&self) -> usize {
        SpendCircuit::depth(self)
    }

    fn check(&self) -> Result<()> {
        SpendCircuit::check(self)
    }

    fn public_inputs(public: &SpendPublic) -> Vec<Fr> {
        public.to_vec()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_bn254::Bn254;
    use ark_ff::UniformRand;
    use ark_ff::{BigInteger, Field, One, PrimeField};
    use ark_groth16::Groth16;
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

    /// A depth-`depth` tree of a few notes, the one at index 2 holding 1,000, and a request withdrawing 625.
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
            withdrawn: 625,
            context: Fr::from(0x00de_adbe_ef00_feedu64) * Fr::from(8453u64),
            change_nullifier: Fr::rand(&mut rng),
            change_secret: Fr::rand(&mut rng),
        };
        (chosen.expect("note"), tree, request)
    }

    /// An overdrawing circuit forced past the native builder: `withdrawn = amount + excess`, so the derived
    /// change is `r − excess` ("negative"), with the public inputs otherwise consistent.
    fn overdrawn(honest: &SpendCircuit, excess: u64) -> SpendCircuit {
        let mut c = honest.clone();
        let amount = Fr::from(c.witness.note.amount);
        c.public.withdrawn = amount + Fr::from(excess);
        let change = change_field(amount, c.public.withdrawn);
        assert_eq!(change, -Fr::from(excess));
        c.public.change_commitment = commitment_field(change, c.witness.change_nullifier, c.witness.change_secret);
        c
    }

    #[test]
    fn spend20_constraint_count() {
        assert_eq!(constraint_count(SPEND_DEPTH).expect("count"), SPEND20_CONSTRAINTS);
    }

    #[test]
    fn commitment_is_two_step() {
        let note = Note { amount: 7, nullifier: Fr::from(11u64), secret: Fr::from(13u64) };
        let pre = poseidon::hash2(Fr::from(11u64), Fr::from(13u64));
        assert_eq!(note.precommitment(), pre);
        assert_eq!(note.commitment(), poseidon::hash2(Fr::from(7u64), pre));
        assert_eq!(note.commitment(), commitment_field(Fr::from(7u64), note.nullifier, note.secret));
        assert_eq!(note.nullifier_hash(), poseidon::hash1(Fr::from(11u64)));
    }

    #[test]
    fn honest_spend_satisfies_and_lies_do_not() {
        let (note, tree, request) = sample(SPEND_DEPTH, 1);
        let honest = SpendCircuit::new(note, &tree, &request).expect("spend");
        assert_eq!(honest.public.withdrawn, Fr::from(625u64));
        assert_eq!(honest.public.context, request.context);
        honest.check().expect("native check");
        assert!(satisfied(honest.clone()), "honest spend unsatisfied");

        // Withdrawing everything (change 0) and nothing are fine.
        let all = SpendRequest { withdrawn: 1_000, ..request };
        assert!(satisfied(SpendCircuit::new(note, &tree, &all).expect("spend all")));
        let none = SpendRequest { withdrawn: 0, ..request };
        assert!(satisfied(SpendCircuit::new(note, &tree, &none).expect("spend nothing")));

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
        c.public.withdrawn += Fr::one();
        lies.push(("withdrawn changed (change commitment then wrong)", c));
        let mut c = honest.clone();
        c.witness.note.amount += 1;
        lies.push(("amount changed (commitment not in the tree)", c));
        let mut c = honest.clone();
        c.witness.note.secret += Fr::one();
        lies.push(("secret changed (precommitment then wrong)", c));
        lies.push(("overdraw by 1 (change r - 1)", overdrawn(&honest, 1)));
        lies.push(("overdraw by 1,000", overdrawn(&honest, 1_000)));
        // Wrapping the other way: withdrawn = r - 1 ("negative"), change = amount + 1, the sum still holds in
        // the field; only the range check on withdrawn refuses it.
        let mut c = honest.clone();
        c.public.withdrawn = -Fr::one();
        let change = change_field(Fr::from(c.witness.note.amount), c.public.withdrawn);
        c.public.change_commitment = commitment_field(change, c.witness.change_nullifier, c.witness.change_secret);
        lies.push(("withdrawn r - 1", c));
        // withdrawn = 2^128 + 625 with change = amount - withdrawn: refused by the range checks.
        let mut c = honest;
        c.public.withdrawn = Fr::from(2u64).pow([128]) + Fr::from(625u64);
        let change = change_field(Fr::from(c.witness.note.amount), c.public.withdrawn);
        c.public.change_commitment = commitment_field(change, c.witness.change_nullifier, c.witness.change_secret);
        lies.push(("withdrawn 2^128 + 625", c));
        for (what, circuit) in lies {
            assert!(circuit.check().is_err(), "native check accepted {what}");
            assert!(!satisfied(circuit), "constraints accepted {what}");
        }
    }

    #[test]
    fn range_check_alone_refuses_negative_change() {
        // A forced overdraw (change = r - 1) satisfies every equation of the statement except the range check:
        // the commitment is in the tree, the nullifier hash is right, amount = withdrawn + change holds in the
        // field and the change commitment opens. Only the bit decomposition of change refuses it.
        let (note, tree, request) = sample(3, 2);
        let honest = SpendCircuit::new(note, &tree, &request).expect("spend");
        let forced = overdrawn(&honest, 1);
        let (w, p) = (&forced.witness, &forced.public);
        let change = -Fr::one();
        assert_eq!(w.path.root(w.note.commitment()), p.root);
        assert_eq!(w.note.nullifier_hash(), p.nullifier_hash);
        assert_eq!(p.withdrawn + change, Fr::from(w.note.amount));
        assert!(gadget::fits_bits(&p.withdrawn, AMOUNT_BITS) && !gadget::fits_bits(&change, AMOUNT_BITS));
        assert_eq!(commitment_field(change, w.change_nullifier, w.change_secret), p.change_commitment);
        assert!(matches!(forced.check(), Err(ZkError::Unsatisfied(m)) if m.contains("2^128")));
        assert!(!satisfied(forced));
    }

    #[test]
    fn builder_refuses_overdraw_and_foreign_notes() {
        let (note, tree, request) = sample(4, 3);
        let over = SpendRequest { withdrawn: 1_001, ..request };
        assert!(matches!(
            SpendCircuit::new(note, &tree, &over),
            Err(ZkError::Overdraw { amount: 1_000, withdrawn: 1_001 })
        ));
        let huge = SpendRequest { withdrawn: u128::MAX, ..request };
        assert!(matches!(SpendCircuit::new(note, &tree, &huge), Err(ZkError::Overdraw { .. })));
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
        assert_eq!(prover.public_inputs(), SPEND_PUBLIC_INPUTS);
        assert_eq!(prover.verifying_key().gamma_abc_g1.len(), SPEND_PUBLIC_INPUTS + 1);
        let (note, tree, request) = sample(SPEND_DEPTH, 8);
        let honest = SpendCircuit::new(note, &tree, &request).expect("spend");
        let proof = prover.prove(honest.clone(), &mut rng).expect("prove");
        assert!(prover.verify(&honest.public, &proof).expect("verify"));
        assert!(crate::membership::verify(prover.verifying_key(), &honest.public.to_vec(), &proof).expect("verify"));
        // The prover over precomputed tables gives proofs the same keys accept.
        let mut fast = SpendProver::setup(SPEND_DEPTH, &mut StdRng::seed_from_u64(7)).expect("setup");
        fast.precompute();
        assert!(fast.is_precomputed());
        let fast_proof = fast.prove(honest.clone(), &mut rng).expect("prove over tables");
        assert!(prover.verify(&honest.public, &fast_proof).expect("verify"));

        // Every public input is bound: changing any one of them breaks verification.
        let changes: [(&str, Tamper); SPEND_PUBLIC_INPUTS] = [
            ("root", |p| p.root += Fr::one()),
            ("nullifierHash", |p| p.nullifier_hash += Fr::one()),
            ("withdrawn", |p| p.withdrawn += Fr::one()),
            ("changeCommitment", |p| p.change_commitment += Fr::one()),
            ("context", |p| p.context += Fr::one()),
        ];
        for (what, change) in changes {
            let mut public = honest.public;
            change(&mut public);
            assert!(!prover.verify(&public, &proof).expect("verify"), "proof verified with {what} changed");
        }
        // A proof made for another context (e.g. another relayer or fee) does not verify for this one.
        let other = SpendRequest { context: request.context + Fr::one(), ..request };
        let other = SpendCircuit::new(note, &tree, &other).expect("spend");
        let other_proof = prover.prove(other.clone(), &mut rng).expect("prove");
        assert!(prover.verify(&other.public, &other_proof).expect("verify"));
        assert!(!prover.verify(&honest.public, &other_proof).expect("verify"));

        // Lying witnesses are refused before proving.
        let forced = overdrawn(&honest, 1);
        assert!(matches!(prover.prove(forced.clone(), &mut rng), Err(ZkError::Unsatisfied(_))));
        // Even bypassing that check, a proof from the overdrawing assignment (change r - 1) does not verify.
        let keys = &prover.keys.inner;
        let full = keys.assignment(forced.clone()).expect("assignment");
        let forged = Groth16::<Bn254>::create_proof_with_reduction_and_matrices(
            &keys.pk,
            Fr::rand(&mut rng),
            Fr::rand(&mut rng),
            &keys.r1cs.matrices,
            keys.r1cs.num_instance_variables,
            keys.r1cs.num_constraints,
            &full,
        )
        .expect("forged proof");
        assert!(!prover.verify(&forced.public, &forged).expect("verify"));
        let shallow = SpendCircuit::blank(4);
        assert!(matches!(prover.prove(shallow, &mut rng), Err(ZkError::Shape(_))));
    }
}
