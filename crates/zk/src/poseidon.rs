//! Poseidon over the BN254 scalar field with circomlib's parameters (`circomlib/circuits/poseidon.circom`,
//! `circomlibjs` `buildPoseidon`): state width t = inputs + 1, the first state element is the domain tag 0,
//! x⁵ S-box, 8 full rounds and the circomlib partial round counts (56, 57, 56, 60, … for t = 2, 3, 4, 5, …).
//!
//! The native hash is `light-poseidon` (audited, circomlib-compatible); its parameter tables (round constants
//! and MDS matrices, generated with the Poseidon reference script) are also the single source of the constants
//! the R1CS gadget ([`crate::gadget`]) uses, so the two cannot drift apart.

use std::cell::RefCell;
use std::sync::OnceLock;

use ark_bn254::Fr;
use ark_ff::PrimeField;
use light_poseidon::{Poseidon, PoseidonHasher, PoseidonParameters};

use crate::{Result, ZkError};

/// Largest number of inputs supported (state width 13, the largest table `light-poseidon` ships).
pub const MAX_INPUTS: usize = light_poseidon::MAX_X5_LEN - 1;

/// Round constants, MDS matrix and round counts for `inputs` inputs (state width `inputs + 1`), loaded once
/// per process from `light-poseidon`'s tables.
pub fn parameters(inputs: usize) -> Result<&'static PoseidonParameters<Fr>> {
    static TABLES: [OnceLock<PoseidonParameters<Fr>>; MAX_INPUTS] = [const { OnceLock::new() }; MAX_INPUTS];
    let slot = inputs
        .checked_sub(1)
        .and_then(|i| TABLES.get(i))
        .ok_or(ZkError::PoseidonArity { got: inputs, max: MAX_INPUTS })?;
    if let Some(params) = slot.get() {
        return Ok(params);
    }
    let width = u8::try_from(inputs + 1).map_err(|_| ZkError::PoseidonArity { got: inputs, max: MAX_INPUTS })?;
    let params = light_poseidon::parameters::bn254_x5::get_poseidon_parameters::<Fr>(width)
        .map_err(|_| ZkError::PoseidonArity { got: inputs, max: MAX_INPUTS })?;
    Ok(slot.get_or_init(|| params))
}

thread_local! {
    /// One `light-poseidon` hasher per arity, built on first use in each thread (building one parses its
    /// constant table).
    static HASHERS: RefCell<Vec<Option<Poseidon<Fr>>>> = RefCell::new((0..MAX_INPUTS).map(|_| None).collect());
}

/// circomlib Poseidon of 1 to [`MAX_INPUTS`] field elements.
pub fn hash(inputs: &[Fr]) -> Result<Fr> {
    let arity_error = || ZkError::PoseidonArity { got: inputs.len(), max: MAX_INPUTS };
    if inputs.is_empty() || inputs.len() > MAX_INPUTS {
        return Err(arity_error());
    }
    HASHERS.with(|cell| {
        let mut hashers = cell.borrow_mut();
        let slot = hashers.get_mut(inputs.len() - 1).ok_or_else(arity_error)?;
        if slot.is_none() {
            *slot = Some(Poseidon::<Fr>::new_circom(inputs.len()).map_err(|_| arity_error())?);
        }
        slot.as_mut().ok_or_else(arity_error)?.hash(inputs).map_err(|_| arity_error())
    })
}

/// circomlib `Poseidon(1)`: the hash of one field element (the nullifier hash).
pub fn hash1(a: Fr) -> Fr {
    hash(&[a]).expect("arity 1 is supported")
}

/// circomlib `Poseidon(2)`: the hash of two field elements (Merkle nodes, note commitments).
pub fn hash2(a: Fr, b: Fr) -> Fr {
    hash(&[a, b]).expect("arity 2 is supported")
}

/// Parses a field element from its decimal form, strictly: digits only, no sign, no superfluous leading
/// zeros, and the value must be below the BN254 scalar field modulus r (no silent reduction, which would
/// let two different strings alias one element).
pub fn fr_from_decimal(s: &str) -> Result<Fr> {
    field_from_decimal(s)
}

/// [`fr_from_decimal`] for any prime field (e.g. the base field of curve coordinates): canonical decimal below
/// the modulus, or an error.
pub fn field_from_decimal<F: PrimeField>(s: &str) -> Result<F> {
    let bad = || ZkError::FieldElement(s.chars().take(100).collect());
    if s.is_empty() || s.len() > 100 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let value = F::from_str(s).map_err(|_| bad())?;
    // `from_str` reduces modulo the field's modulus; the canonical decimal of the result equals the input
    // only when the input was already canonical and below the modulus.
    if value.to_string() != s {
        return Err(bad());
    }
    Ok(value)
}

/// The canonical decimal form of a field element (what circomlibjs and snarkjs print).
pub fn fr_to_decimal(x: &Fr) -> String {
    x.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ff::{One, Zero};

    #[test]
    fn known_circomlib_vectors() {
        // Published circomlib/circomlibjs test vectors (poseidon.js tests, Tornado/Semaphore docs).
        assert_eq!(
            fr_to_decimal(&hash2(Fr::from(1u64), Fr::from(2u64))),
            "7853200120776062878684798364095072458815029376092732009249414926327459813530"
        );
        assert_eq!(
            fr_to_decimal(&hash1(Fr::from(1u64))),
            "18586133768512220936620570745912940619677854269274689475585506675881198879027"
        );
        assert_eq!(
            fr_to_decimal(&hash2(Fr::zero(), Fr::zero())),
            "14744269619966411208579211824598458697587494354926760081771325075741142829156"
        );
    }

    #[test]
    fn arity_limits() {
        assert!(matches!(hash(&[]), Err(ZkError::PoseidonArity { got: 0, .. })));
        assert!(hash(&vec![Fr::one(); MAX_INPUTS]).is_ok());
        assert!(matches!(hash(&vec![Fr::one(); MAX_INPUTS + 1]), Err(ZkError::PoseidonArity { .. })));
        assert!(parameters(0).is_err());
        assert!(parameters(MAX_INPUTS + 1).is_err());
        let p = parameters(2).expect("t=3");
        assert_eq!((p.width, p.full_rounds, p.partial_rounds, p.alpha), (3, 8, 57, 5));
        assert_eq!(p.ark.len(), (8 + 57) * 3);
    }

    #[test]
    fn decimal_parsing_is_strict() {
        let r_minus_1 = fr_to_decimal(&-Fr::one());
        assert_eq!(fr_from_decimal(&r_minus_1).expect("r-1"), -Fr::one());
        let r = Fr::MODULUS.to_string();
        for bad in [r.as_str(), "", "-1", "01", "+1", " 1", "1e3", "0x10"] {
            assert!(fr_from_decimal(bad).is_err(), "{bad:?} must be rejected");
        }
        assert_eq!(fr_from_decimal("0").expect("0"), Fr::zero());
    }
}
