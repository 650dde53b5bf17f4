//! The selective-disclosure circuit: a holder proves, with Groth16 over BN254, that a compliance issuer
//! credentialed them, that their jurisdiction is outside a blocked set and that they were born on or before a
//! date, revealing nothing else (not the credential, the jurisdiction or the birth date), bound to one order.
//!
//! The issuer keeps an off-chain Poseidon Merkle tree of depth [`DISCLOSURE_DEPTH`] ([`crate::merkle`]) of
//! credentials and publishes its roots on chain. A credential is
//! - `holderCommitment = Poseidon(holderSecret)` (circomlib `Poseidon(1)`), the holder's public handle;
//! - `leaf = Poseidon(holderCommitment, jurisdiction, birthDate)` (`Poseidon(3)`, [`Credential::leaf`]), where
//!   `jurisdiction` is an ISO 3166-1 numeric code (nonzero `u16`) and `birthDate` the calendar date as the
//!   integer `YYYYMMDD` (`u32`).
//!
//! The blocked set is [`BLOCKED_SET_SIZE`] = 8 codes, padded with 0, hashed as a chain ([`blocked_set_hash`]):
//! `h = 0; for each code in order: h = Poseidon(h, code)` (`Poseidon(2)`; on chain the same chain with
//! `PoseidonT3`).
//!
//! **Public inputs, in this order** ([`DisclosurePublic::to_vec`], [`DISCLOSURE_PUBLIC_INPUTS`] = 4):
//! `issuerRoot`, `blockedSetHash`, `maxBirthDate`, `orderBinding`.
//!
//! Constraints:
//! - the leaf is in the tree with root `issuerRoot` (the path gadget [`gadget::merkle_root`] shared with the
//!   membership and spend circuits);
//! - `blockedSetHash` is the chain hash of the 8 private codes (they need no range check: the hash binds them
//!   to the codes the contract hashed);
//! - `jurisdiction < 2^16` (16 enforced bits), and `jurisdiction · Π (jurisdiction − code_i)` has an inverse
//!   (an inverse witness `w` with `product · w = 1`), so the jurisdiction is nonzero and none of the codes;
//! - `birthDate`, `maxBirthDate` and `maxBirthDate − birthDate` are each below 2^32 (32 enforced bits each):
//!   with both dates below 2^32 a "negative" difference would be at least r − 2^32, so this is
//!   `birthDate ≤ maxBirthDate` as integers;
//! - `orderBinding` enters one constraint (`x · x = x²`), so a proof cannot be replayed for another order.
//!
//! At depth 20: [`DISCLOSURE20_CONSTRAINTS`] = 7,379 constraints: 213 + 261 for the holder commitment and
//! the leaf, 20·(240 + 3) = 4,860 for the path, 237 + 7·240 = 1,917 for the blocked-set chain (its first hash
//! has a constant input), 17 for the jurisdiction's range, 8 + 1 for the product and its inverse, 3·33 for the
//! dates, 2 equalities (root, blocked-set hash) and 1 binding.
//!
//! Dates: [`yyyymmdd_from_unix`] and [`max_birth_date`] are the conventions the CLI and the contracts share
//! (a holder born on 29 February becomes of age on 1 March in common years).

use ark_bn254::Fr;
use ark_ff::Zero;
use ark_r1cs_std::fields::fp::FpVar;
use ark_r1cs_std::prelude::*;
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystemRef, SynthesisError};

use crate::keys::{TreeCircuit, TreeProver};
use crate::merkle::{MerklePath, MerkleTree};
use crate::{Result, ZkError, gadget, poseidon, prover};

/// Depth of the issuer's credential tree.
pub const DISCLOSURE_DEPTH: usize = 20;

/// Number of public inputs of the disclosure circuit.
pub const DISCLOSURE_PUBLIC_INPUTS: usize = 4;

/// Number of R1CS constraints of the disclosure circuit at depth 20.
pub const DISCLOSURE20_CONSTRAINTS: usize = 7_379;

/// Number of codes in a blocked set (shorter sets are padded with 0).
pub const BLOCKED_SET_SIZE: usize = 8;

/// Bits of a jurisdiction code.
pub const JURISDICTION_BITS: usize = 16;

/// Bits of a date (`YYYYMMDD`) and of the difference of two dates.
pub const DATE_BITS: usize = 32;

/// A credential the issuer put in its tree.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Credential {
    /// The holder's secret; `Poseidon(holderSecret)` is the holder commitment.
    pub holder_secret: Fr,
    /// ISO 3166-1 numeric code of the holder's jurisdiction (nonzero).
    pub jurisdiction: u16,
    /// The holder's birth date as the integer `YYYYMMDD`.
    pub birth_date: u32,
}

impl Credential {
    /// `Poseidon(holderSecret)`, the holder's public handle.
    pub fn holder_commitment(&self) -> Fr {
        poseidon::hash1(self.holder_secret)
    }

    /// The leaf of the issuer's tree: `Poseidon(holderCommitment, jurisdiction, birthDate)`.
    pub fn leaf(&self) -> Fr {
        leaf_field(self.holder_commitment(), Fr::from(self.jurisdiction), Fr::from(self.birth_date))
    }
}

fn leaf_field(holder_commitment: Fr, jurisdiction: Fr, birth_date: Fr) -> Fr {
    // Arity 3 always has parameters; the fallback is unreachable.
    poseidon::hash(&[holder_commitment, jurisdiction, birth_date]).unwrap_or_default()
}

/// The blocked codes padded with 0 to [`BLOCKED_SET_SIZE`]; more than that is [`ZkError::BlockedSetSize`].
pub fn padded_blocked_set(codes: &[u16]) -> Result<[u16; BLOCKED_SET_SIZE]> {
    if codes.len() > BLOCKED_SET_SIZE {
        return Err(ZkError::BlockedSetSize { got: codes.len(), max: BLOCKED_SET_SIZE });
    }
    let mut padded = [0u16; BLOCKED_SET_SIZE];
    padded[..codes.len()].copy_from_slice(codes);
    Ok(padded)
}

/// The hash of a blocked set, `h = 0; for each of the 8 codes (padded with 0) in the given order:
/// h = Poseidon(h, code)`; more than [`BLOCKED_SET_SIZE`] codes is [`ZkError::BlockedSetSize`].
pub fn blocked_set_hash(codes: &[u16]) -> Result<Fr> {
    Ok(padded_blocked_set(codes)?.iter().fold(Fr::zero(), |h, code| poseidon::hash2(h, Fr::from(*code))))
}

/// The UTC calendar date of a Unix time, as the integer `YYYYMMDD` (Howard Hinnant's `civil_from_days`).
/// Saturates at `u32::MAX` past the year 429,496.
pub fn yyyymmdd_from_unix(seconds: u64) -> u32 {
    let z = seconds / 86_400 + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097; // [0, 146096]
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365; // [0, 399]
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // [0, 365]
    let mp = (5 * doy + 2) / 153; // [0, 11], March first
    let day = doy - (153 * mp + 2) / 5 + 1; // [1, 31]
    let month = if mp < 10 { mp + 3 } else { mp - 9 }; // [1, 12]
    let year = yoe + era * 400 + u64::from(month <= 2);
    year.checked_mul(10_000)
        .and_then(|y| y.checked_add(month * 100 + day))
        .and_then(|d| u32::try_from(d).ok())
        .unwrap_or(u32::MAX)
}

/// The latest birth date (`YYYYMMDD`) of someone at least `min_age_years` old on `today_yyyymmdd`:
/// `today − min_age_years · 10000`, saturating at 0.
pub fn max_birth_date(today_yyyymmdd: u32, min_age_years: u8) -> u32 {
    today_yyyymmdd.saturating_sub(u32::from(min_age_years) * 10_000)
}

/// What a disclosure is asked to show: the blocked set, the latest allowed birth date and the order the proof
/// is bound to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DisclosureRequest {
    /// Blocked jurisdiction codes, at most [`BLOCKED_SET_SIZE`] (padded with 0).
    pub blocked: Vec<u16>,
    /// The latest allowed birth date, `YYYYMMDD` (see [`max_birth_date`]).
    pub max_birth_date: u32,
    /// The order binding the proof is for (computed on the chain side; opaque here).
    pub order_binding: Fr,
}

/// The public inputs of a disclosure proof (see the module documentation for their order).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DisclosurePublic {
    /// Root of the issuer's credential tree.
    pub issuer_root: Fr,
    /// [`blocked_set_hash`] of the blocked set.
    pub blocked_set_hash: Fr,
    /// The latest allowed birth date, `YYYYMMDD`.
    pub max_birth_date: Fr,
    /// The order the proof is bound to.
    pub order_binding: Fr,
}

impl DisclosurePublic {
    /// The public inputs in circuit order: `[issuerRoot, blockedSetHash, maxBirthDate, orderBinding]`.
    pub fn to_vec(&self) -> Vec<Fr> {
        vec![self.issuer_root, self.blocked_set_hash, self.max_birth_date, self.order_binding]
    }
}

/// The private inputs of a disclosure.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DisclosureWitness {
    /// The credential.
    pub credential: Credential,
    /// Authentication path of the credential's leaf.
    pub path: MerklePath,
    /// The blocked set, padded with 0.
    pub blocked: [u16; BLOCKED_SET_SIZE],
}

/// A disclosure statement with its witness (public inputs and witness may be set to anything, e.g. to test
/// that a false claim cannot be proved).
#[derive(Clone, Debug)]
pub struct DisclosureCircuit {
    /// The claimed public inputs.
    pub public: DisclosurePublic,
    /// The private inputs.
    pub witness: DisclosureWitness,
}

impl DisclosureCircuit {
    /// The honest disclosure of `credential`, found in `tree`, for `request`: the public inputs computed
    /// natively.
    ///
    /// Refuses, before any proving: a jurisdiction that is 0 or in the blocked set
    /// ([`ZkError::JurisdictionBlocked`]), a birth date after `request.max_birth_date` ([`ZkError::TooYoung`]),
    /// a blocked set of more than 8 codes ([`ZkError::BlockedSetSize`]) and a credential that is not a leaf of
    /// the tree ([`ZkError::CredentialNotInTree`]; the leaves are searched linearly).
    pub fn new(credential: Credential, tree: &MerkleTree, request: &DisclosureRequest) -> Result<Self> {
        let leaf = credential.leaf();
        let index = (0..tree.len()).find(|i| tree.leaf(*i).ok() == Some(leaf)).ok_or(ZkError::CredentialNotInTree)?;
        Self::from_path(credential, tree.path(index)?, request)
    }

    /// The honest disclosure of `credential` whose leaf `path` opens (what a holder has: the issuer hands out
    /// paths, not its tree): the issuer root is the one the path leads to. Refuses a blocked jurisdiction, a
    /// holder too young and an oversized blocked set as [`new`](Self::new) does.
    pub fn from_path(credential: Credential, path: MerklePath, request: &DisclosureRequest) -> Result<Self> {
        let blocked = padded_blocked_set(&request.blocked)?;
        if credential.jurisdiction == 0 || blocked.contains(&credential.jurisdiction) {
            return Err(ZkError::JurisdictionBlocked { jurisdiction: credential.jurisdiction });
        }
        if credential.birth_date > request.max_birth_date {
            return Err(ZkError::TooYoung {
                birth_date: credential.birth_date,
                max_birth_date: request.max_birth_date,
            });
        }
        let public = DisclosurePublic {
            issuer_root: path.root(credential.leaf()),
            blocked_set_hash: blocked_set_hash(&blocked)?,
            max_birth_date: Fr::from(request.max_birth_date),
            order_binding: request.order_binding,
        };
        Ok(Self { public, witness: DisclosureWitness { credential, path, blocked } })
    }

    /// A placeholder of the right shape for key generation, where only the shape matters.
    pub fn blank(depth: usize) -> Self {
        let zero = Fr::zero();
        let credential = Credential { holder_secret: zero, jurisdiction: 1, birth_date: 0 };
        let path = MerklePath { siblings: vec![zero; depth], index_bits: vec![false; depth] };
        let blocked = [0u16; BLOCKED_SET_SIZE];
        let public = DisclosurePublic {
            issuer_root: path.root(credential.leaf()),
            blocked_set_hash: blocked.iter().fold(zero, |h, c| poseidon::hash2(h, Fr::from(*c))),
            max_birth_date: zero,
            order_binding: zero,
        };
        Self { public, witness: DisclosureWitness { credential, path, blocked } }
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
        if w.path.root(w.credential.leaf()) != p.issuer_root {
            return Err(ZkError::Unsatisfied("the path does not lead to the claimed issuer root"));
        }
        if blocked_set_hash(&w.blocked)? != p.blocked_set_hash {
            return Err(ZkError::Unsatisfied("the blocked set does not match the claimed hash"));
        }
        let jurisdiction = w.credential.jurisdiction;
        if jurisdiction == 0 || w.blocked.contains(&jurisdiction) {
            return Err(ZkError::JurisdictionBlocked { jurisdiction });
        }
        if !gadget::fits_bits(&p.max_birth_date, DATE_BITS) {
            return Err(ZkError::Unsatisfied("the latest birth date is not below 2^32"));
        }
        let max = u32::try_from(low_u64(&p.max_birth_date))
            .map_err(|_| ZkError::Unsatisfied("the latest birth date is not below 2^32"))?;
        if w.credential.birth_date > max {
            return Err(ZkError::TooYoung { birth_date: w.credential.birth_date, max_birth_date: max });
        }
        Ok(())
    }
}

/// The low 64 bits of `x`'s canonical integer.
fn low_u64(x: &Fr) -> u64 {
    use ark_ff::PrimeField;
    x.into_bigint().0[0]
}

impl ConstraintSynthesizer<Fr> for DisclosureCircuit {
    fn generate_constraints(self, cs: ConstraintSystemRef<Fr>) -> Result<(), SynthesisError> {
        let (w, p) = (self.witness, self.public);
        if w.path.siblings.len() != w.path.index_bits.len() {
            return Err(SynthesisError::ArityMismatch);
        }
        let input = |x: Fr| FpVar::new_input(cs.clone(), || Ok(x));
        let issuer_root = input(p.issuer_root)?;
        let blocked_hash = input(p.blocked_set_hash)?;
        let max_birth_date = input(p.max_birth_date)?;
        let order_binding = input(p.order_binding)?;

        let witness = |x: Fr| FpVar::new_witness(cs.clone(), || Ok(x));
        let holder_secret = witness(w.credential.holder_secret)?;
        let jurisdiction = witness(Fr::from(w.credential.jurisdiction))?;
        let birth_date = witness(Fr::from(w.credential.birth_date))?;
        let codes = w.blocked.iter().map(|c| witness(Fr::from(*c))).collect::<Result<Vec<_>, _>>()?;

        // The credential is a leaf of the issuer's tree.
        let holder_commitment = gadget::hash(&[holder_secret])?;
        let leaf = gadget::hash(&[holder_commitment, jurisdiction.clone(), birth_date.clone()])?;
        gadget::merkle_root(&cs, leaf, &w.path)?.enforce_equal(&issuer_root)?;

        // The private codes are the blocked set: h = 0; h = Poseidon(h, code).
        let mut h = FpVar::Constant(Fr::zero());
        for code in &codes {
            h = gadget::hash(&[h, code.clone()])?;
        }
        h.enforce_equal(&blocked_hash)?;

        // The jurisdiction is a 16-bit code, nonzero and none of the codes: j · Π (j − code) is invertible.
        gadget::enforce_bits(&cs, &jurisdiction, JURISDICTION_BITS)?;
        let mut product = jurisdiction.clone();
        for code in &codes {
            product = &product * &(&jurisdiction - code);
        }
        // One witness and `product · inverse = 1` (an unsatisfiable constraint when product = 0).
        let _inverse = product.inverse()?;

        // birthDate ≤ maxBirthDate: both dates and their difference below 2^32.
        gadget::enforce_bits(&cs, &birth_date, DATE_BITS)?;
        gadget::enforce_bits(&cs, &max_birth_date, DATE_BITS)?;
        gadget::enforce_bits(&cs, &(&max_birth_date - &birth_date), DATE_BITS)?;

        // Bind the order: one constraint (x · x = x²); the square is not used further.
        let _square = order_binding.square()?;
        Ok(())
    }
}

/// Number of constraints of the disclosure circuit at `depth`.
pub fn constraint_count(depth: usize) -> Result<usize> {
    prover::count_constraints(DisclosureCircuit::blank(depth))
}

/// Groth16 keys for the disclosure circuit: setup, keys from a file, proving and verifying ([`TreeProver`]).
pub type DisclosureProver = TreeProver<DisclosureCircuit>;

impl TreeCircuit for DisclosureCircuit {
    type Public = DisclosurePublic;

    fn blank(depth: usize) -> Self {
        DisclosureCircuit::blank(depth)
    }

    fn depth(&self) -> usize {
        DisclosureCircuit::depth(self)
    }

    fn check(&self) -> Result<()> {
        DisclosureCircuit::check(self)
    }

    fn public_inputs(public: &DisclosurePublic) -> Vec<Fr> {
        public.to_vec()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_bn254::Bn254;
    use ark_ff::{One, UniformRand};
    use ark_groth16::Groth16;
    use ark_relations::gr1cs::{ConstraintSystem, OptimizationGoal};
    use ark_std::rand::{SeedableRng, rngs::StdRng};

    /// A change to one public input.
    type Tamper = fn(&mut DisclosurePublic);

    const FRANCE: u16 = 250;
    /// A blocked set: North Korea, Iran, Syria, Cuba.
    const BLOCKED: [u16; 4] = [408, 364, 760, 192];
    /// 26 November 2026 minus 18 years.
    const ADULT: u32 = 20_081_126;

    fn satisfied(circuit: DisclosureCircuit) -> bool {
        let cs = ConstraintSystem::<Fr>::new_ref();
        cs.set_optimization_goal(OptimizationGoal::Constraints);
        circuit.generate_constraints(cs.clone()).expect("synthesis");
        cs.finalize();
        cs.is_satisfied().expect("is_satisfied")
    }

    /// A depth-`depth` issuer tree of a few credentials; the one at index 1 is French, born 1990-05-17, and
    /// a request for "not blocked, 18 or older on 2026-11-26".
    fn sample(depth: usize, seed: u64) -> (Credential, MerkleTree, DisclosureRequest) {
        let mut rng = StdRng::seed_from_u64(seed);
        let mut tree = MerkleTree::new(depth).expect("tree");
        let mut chosen = None;
        for (i, (jurisdiction, birth_date)) in
            [(276u16, 19_800_101u32), (FRANCE, 19_900_517), (408, 19_700_101), (840, 20_100_101)]
                .into_iter()
                .enumerate()
        {
            let credential = Credential { holder_secret: Fr::rand(&mut rng), jurisdiction, birth_date };
            tree.insert(credential.leaf()).expect("insert");
            if i == 1 {
                chosen = Some(credential);
            }
        }
        let request = DisclosureRequest {
            blocked: BLOCKED.to_vec(),
            max_birth_date: max_birth_date(20_261_126, 18),
            order_binding: Fr::rand(&mut rng),
        };
        (chosen.expect("credential"), tree, request)
    }

    /// The statement for `credential` in `tree` with the public inputs computed honestly, bypassing the
    /// refusals of [`DisclosureCircuit::new`].
    fn forged(credential: Credential, tree: &MerkleTree, request: &DisclosureRequest) -> DisclosureCircuit {
        let index = (0..tree.len()).find(|i| tree.leaf(*i).ok() == Some(credential.leaf())).expect("in the tree");
        let blocked = padded_blocked_set(&request.blocked).expect("blocked");
        DisclosureCircuit {
            public: DisclosurePublic {
                issuer_root: tree.root(),
                blocked_set_hash: blocked_set_hash(&blocked).expect("hash"),
                max_birth_date: Fr::from(request.max_birth_date),
                order_binding: request.order_binding,
            },
            witness: DisclosureWitness { credential, path: tree.path(index).expect("path"), blocked },
        }
    }

    #[test]
    fn disclosure20_constraint_count() {
        assert_eq!(constraint_count(DISCLOSURE_DEPTH).expect("count"), DISCLOSURE20_CONSTRAINTS);
    }

    #[test]
    fn dates_follow_the_civil_calendar() {
        for (seconds, date) in [
            (0, 19_700_101),
            (86_399, 19_700_101),
            (86_400, 19_700_102),
            (951_782_400, 20_000_229),
            (951_868_800, 20_000_301),
            (1_709_164_800, 20_240_229),
            (1_764_115_200, 20_251_126),
            (1_795_737_599, 20_261_126),
            (4_107_456_000, 21_000_228),
            (4_107_542_400, 21_000_301),
            (253_402_300_799, 99_991_231),
        ] {
            assert_eq!(yyyymmdd_from_unix(seconds), date, "{seconds}");
        }
        assert_eq!(yyyymmdd_from_unix(u64::MAX), u32::MAX);
        assert_eq!(max_birth_date(20_261_126, 18), 20_081_126);
        // Born on a leap day: of age on 1 March in a common year, on 29 February in a leap year.
        assert!(20_080_229 > max_birth_date(20_260_228, 18));
        assert!(20_080_229 <= max_birth_date(20_260_301, 18));
        assert!(20_080_229 <= max_birth_date(20_280_229, 20));
        assert_eq!(max_birth_date(10_000, 18), 0);
        assert_eq!(max_birth_date(20_261_126, 0), 20_261_126);
    }

    #[test]
    fn blocked_set_hash_is_the_padded_chain() {
        let mut h = Fr::zero();
        for code in [408u16, 364, 760, 192, 0, 0, 0, 0] {
            h = poseidon::hash2(h, Fr::from(code));
        }
        assert_eq!(blocked_set_hash(&BLOCKED).expect("hash"), h);
        assert_eq!(blocked_set_hash(&[408, 364, 760, 192, 0]).expect("hash"), h);
        assert_ne!(blocked_set_hash(&[364, 408, 760, 192]).expect("hash"), h, "order matters");
        assert!(blocked_set_hash(&[0; 8]).is_ok());
        assert!(matches!(blocked_set_hash(&[1; 9]), Err(ZkError::BlockedSetSize { got: 9, max: 8 })));
    }

    #[test]
    fn honest_disclosure_satisfies_and_refusals_are_typed() {
        let (credential, tree, request) = sample(DISCLOSURE_DEPTH, 1);
        let honest = DisclosureCircuit::new(credential, &tree, &request).expect("disclose");
        honest.check().expect("native check");
        assert!(satisfied(honest.clone()), "honest disclosure unsatisfied");

        // Exactly 18 today passes; one day younger does not.
        let mut tree2 = tree.clone();
        let exactly = Credential { birth_date: ADULT, ..credential };
        tree2.insert(exactly.leaf()).expect("insert");
        let circuit = DisclosureCircuit::new(exactly, &tree2, &request).expect("exactly 18");
        assert!(satisfied(circuit));
        let younger = Credential { birth_date: ADULT + 1, ..credential };
        tree2.insert(younger.leaf()).expect("insert");
        assert!(matches!(
            DisclosureCircuit::new(younger, &tree2, &request),
            Err(ZkError::TooYoung { birth_date: 20_081_127, max_birth_date: ADULT })
        ));
        let forged_young = forged(younger, &tree2, &request);
        assert!(matches!(forged_young.check(), Err(ZkError::TooYoung { .. })));
        assert!(!satisfied(forged_young), "constraints accepted a holder one day too young");

        // Blocked jurisdictions, at every position of the set, are refused natively and by the constraints.
        let mut tree3 = tree.clone();
        for (i, code) in BLOCKED.iter().enumerate() {
            let blocked = Credential { jurisdiction: *code, ..credential };
            tree3.insert(blocked.leaf()).expect("insert");
            assert!(matches!(
                DisclosureCircuit::new(blocked, &tree3, &request),
                Err(ZkError::JurisdictionBlocked { jurisdiction }) if jurisdiction == *code
            ));
            let forged_blocked = forged(blocked, &tree3, &request);
            assert!(matches!(forged_blocked.check(), Err(ZkError::JurisdictionBlocked { .. })), "position {i}");
            assert!(!satisfied(forged_blocked), "constraints accepted blocked code {code}");
        }
        // Jurisdiction 0 is refused even when the set has no padding (8 nonzero codes).
        let full_set = DisclosureRequest { blocked: vec![1, 2, 3, 4, 5, 6, 7, 8], ..request };
        let nowhere = Credential { jurisdiction: 0, ..credential };
        tree3.insert(nowhere.leaf()).expect("insert");
        assert!(matches!(
            DisclosureCircuit::new(nowhere, &tree3, &full_set),
            Err(ZkError::JurisdictionBlocked { jurisdiction: 0 })
        ));
        assert!(!satisfied(forged(nowhere, &tree3, &full_set)), "constraints accepted jurisdiction 0");
        // A full set that does not contain the jurisdiction is fine.
        assert!(satisfied(DisclosureCircuit::new(credential, &tree, &full_set).expect("full set")));

        // Not in the tree; too many codes.
        let stranger = Credential { holder_secret: Fr::one(), ..credential };
        assert!(matches!(DisclosureCircuit::new(stranger, &tree, &request), Err(ZkError::CredentialNotInTree)));
        let nine = DisclosureRequest { blocked: vec![1; 9], ..request };
        assert!(matches!(DisclosureCircuit::new(credential, &tree, &nine), Err(ZkError::BlockedSetSize { .. })));

        // Lies about the public inputs or the witness.
        let mut lies: Vec<(&str, DisclosureCircuit)> = Vec::new();
        let mut c = honest.clone();
        c.public.issuer_root += Fr::one();
        lies.push(("wrong root", c));
        let mut c = honest.clone();
        c.public.blocked_set_hash = blocked_set_hash(&[408, 364, 760]).expect("hash");
        lies.push(("another blocked set hash", c));
        let mut c = honest.clone();
        c.witness.blocked[3] = 0;
        lies.push(("a code dropped from the private set", c));
        let mut c = honest.clone();
        c.witness.credential.birth_date -= 1;
        lies.push(("another birth date (leaf then not in the tree)", c));
        let mut c = honest.clone();
        c.witness.credential.jurisdiction = 276;
        lies.push(("another jurisdiction (leaf then not in the tree)", c));
        let mut c = honest.clone();
        c.public.max_birth_date = -Fr::one();
        lies.push(("maxBirthDate r - 1", c));
        let mut c = honest;
        c.public.max_birth_date = Fr::from(1u64 << 32) + Fr::from(ADULT);
        lies.push(("maxBirthDate 2^32 + date", c));
        for (what, circuit) in lies {
            assert!(circuit.check().is_err(), "native check accepted {what}");
            assert!(!satisfied(circuit), "constraints accepted {what}");
        }
    }

    #[test]
    fn prove_and_verify_disclosure20() {
        let mut rng = StdRng::seed_from_u64(11);
        let prover = DisclosureProver::setup(DISCLOSURE_DEPTH, &mut rng).expect("setup");
        assert_eq!(prover.num_constraints(), DISCLOSURE20_CONSTRAINTS);
        assert_eq!(prover.public_inputs(), DISCLOSURE_PUBLIC_INPUTS);
        let (credential, mut tree, request) = sample(DISCLOSURE_DEPTH, 12);
        let honest = DisclosureCircuit::new(credential, &tree, &request).expect("disclose");
        let proof = prover.prove(honest.clone(), &mut rng).expect("prove");
        assert!(prover.verify(&honest.public, &proof).expect("verify"));

        let changes: [(&str, Tamper); DISCLOSURE_PUBLIC_INPUTS] = [
            ("issuerRoot", |p| p.issuer_root += Fr::one()),
            ("blockedSetHash", |p| p.blocked_set_hash = blocked_set_hash(&[408, 364, 760]).expect("hash")),
            ("maxBirthDate", |p| p.max_birth_date = Fr::from(20_091_126u64)),
            ("orderBinding", |p| p.order_binding += Fr::one()),
        ];
        for (what, change) in changes {
            let mut public = honest.public;
            change(&mut public);
            assert!(!prover.verify(&public, &proof).expect("verify"), "proof verified with {what} changed");
        }

        // A blocked holder cannot get a proof: refused before proving, and a proof forced from the
        // unsatisfied assignment does not verify.
        let blocked = Credential { jurisdiction: BLOCKED[2], ..credential };
        tree.insert(blocked.leaf()).expect("insert");
        let forced = forged(blocked, &tree, &request);
        assert!(matches!(prover.prove(forced.clone(), &mut rng), Err(ZkError::JurisdictionBlocked { .. })));
        let keys = &prover.keys.inner;
        let full = keys.assignment(forced.clone()).expect("assignment");
        let forged_proof = Groth16::<Bn254>::create_proof_with_reduction_and_matrices(
            &keys.pk,
            Fr::rand(&mut rng),
            Fr::rand(&mut rng),
            &keys.r1cs.matrices,
            keys.r1cs.num_instance_variables,
            keys.r1cs.num_constraints,
            &full,
        )
        .expect("forged proof");
        assert!(!prover.verify(&forced.public, &forged_proof).expect("verify"));
        assert!(matches!(prover.prove(DisclosureCircuit::blank(4), &mut rng), Err(ZkError::Shape(_))));
    }
}
