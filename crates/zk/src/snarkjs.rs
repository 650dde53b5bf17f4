//! Groth16 verifying keys, proofs and public signals in snarkjs' JSON format (`snarkjs groth16 verify
//! verification_key.json public.json proof.json`), for BN254 (`"curve": "bn128"`).
//!
//! Points are projective triples of decimal strings, normalised to z = 1: G1 `[x, y, "1"]`, G2
//! `[[x.c0, x.c1], [y.c0, y.c1], ["1", "0"]]` (each Fq2 element written `c0` first, the order snarkjs and
//! ffjavascript use; the Solidity verifiers snarkjs generates swap it to `c1, c0` for the precompile). The
//! point at infinity is `["0", "1", "0"]` / `[["0","0"], ["1","0"], ["0","0"]]`. Public signals are an array of
//! decimal strings in circuit order.
//!
//! Import is strict: canonical decimals below the field modulus, z = 1 (or the exact infinity encoding),
//! points on the curve and in the prime-order subgroup. `vk_alphabeta_12` is not written (no verifier needs
//! it: snarkjs recomputes the pairing from `vk_alpha_1` and `vk_beta_2`) and is ignored on import.

use ark_bn254::{Bn254, Fq, Fq2, Fr, G1Affine, G2Affine};
use ark_ec::AffineRepr;
use ark_ff::{One, PrimeField, Zero};
use ark_groth16::{Proof, VerifyingKey};
use serde_json::{Value, json};

use crate::poseidon::{field_from_decimal, fr_to_decimal};
use crate::{Result, ZkError};

fn decimal<F: PrimeField>(x: &F) -> String {
    x.to_string()
}

/// A G1 point as snarkjs writes it.
pub fn g1_json(p: &G1Affine) -> Value {
    match p.xy() {
        Some((x, y)) => json!([decimal(&x), decimal(&y), "1"]),
        None => json!(["0", "1", "0"]),
    }
}

fn fq2_json(x: &Fq2) -> Value {
    json!([decimal(&x.c0), decimal(&x.c1)])
}

/// A G2 point as snarkjs writes it (`c0` before `c1` in each coordinate).
pub fn g2_json(p: &G2Affine) -> Value {
    match p.xy() {
        Some((x, y)) => json!([fq2_json(&x), fq2_json(&y), ["1", "0"]]),
        None => json!([["0", "0"], ["1", "0"], ["0", "0"]]),
    }
}

/// The verifying key as snarkjs' `verification_key.json`.
pub fn verifying_key_json(vk: &VerifyingKey<Bn254>) -> Value {
    json!({
        "protocol": "groth16",
        "curve": "bn128",
        "nPublic": vk.gamma_abc_g1.len().saturating_sub(1),
        "vk_alpha_1": g1_json(&vk.alpha_g1),
        "vk_beta_2": g2_json(&vk.beta_g2),
        "vk_gamma_2": g2_json(&vk.gamma_g2),
        "vk_delta_2": g2_json(&vk.delta_g2),
        "IC": vk.gamma_abc_g1.iter().map(g1_json).collect::<Vec<_>>(),
    })
}

/// The proof as snarkjs' `proof.json`.
pub fn proof_json(proof: &Proof<Bn254>) -> Value {
    json!({
        "pi_a": g1_json(&proof.a),
        "pi_b": g2_json(&proof.b),
        "pi_c": g1_json(&proof.c),
        "protocol": "groth16",
        "curve": "bn128",
    })
}

/// Public signals as snarkjs' `public.json`: decimal strings in circuit order.
pub fn public_signals_json(inputs: &[Fr]) -> Value {
    Value::Array(inputs.iter().map(|x| Value::String(fr_to_decimal(x))).collect())
}

fn err(what: impl Into<String>) -> ZkError {
    ZkError::Snarkjs(what.into())
}

fn field<F: PrimeField>(v: &Value, what: &str) -> Result<F> {
    let s = v.as_str().ok_or_else(|| err(format!("{what}: expected a decimal string")))?;
    field_from_decimal(s).map_err(|_| err(format!("{what}: not a canonical field element below the modulus")))
}

fn array<'a>(v: &'a Value, len: usize, what: &str) -> Result<&'a [Value]> {
    match v.as_array() {
        Some(a) if a.len() == len => Ok(a),
        _ => Err(err(format!("{what}: expected an array of {len}"))),
    }
}

/// Parses a G1 point: `[x, y, "1"]` on the curve, or exactly `["0", "1", "0"]` for infinity.
pub fn g1_from_json(v: &Value, what: &str) -> Result<G1Affine> {
    let a = array(v, 3, what)?;
    let (x, y, z): (Fq, Fq, Fq) = (field(&a[0], what)?, field(&a[1], what)?, field(&a[2], what)?);
    if z.is_zero() {
        return if x.is_zero() && y.is_one() {
            Ok(G1Affine::zero())
        } else {
            Err(err(format!("{what}: bad infinity")))
        };
    }
    if !z.is_one() {
        return Err(err(format!("{what}: z must be 1 (normalised affine)")));
    }
    let p = G1Affine::new_unchecked(x, y);
    if !p.is_on_curve() || !p.is_in_correct_subgroup_assuming_on_curve() {
        return Err(err(format!("{what}: not a point of the G1 group")));
    }
    Ok(p)
}

fn fq2(v: &Value, what: &str) -> Result<Fq2> {
    let a = array(v, 2, what)?;
    Ok(Fq2::new(field(&a[0], what)?, field(&a[1], what)?))
}

/// Parses a G2 point: `[[x0, x1], [y0, y1], ["1", "0"]]` on the twist and in the prime-order subgroup, or
/// exactly `[["0","0"], ["1","0"], ["0","0"]]` for infinity.
pub fn g2_from_json(v: &Value, what: &str) -> Result<G2Affine> {
    let a = array(v, 3, what)?;
    let (x, y, z) = (fq2(&a[0], what)?, fq2(&a[1], what)?, fq2(&a[2], what)?);
    if z.is_zero() {
        return if x.is_zero() && y.is_one() {
            Ok(G2Affine::zero())
        } else {
            Err(err(format!("{what}: bad infinity")))
        };
    }
    if !z.is_one() {
        return Err(err(format!("{what}: z must be [\"1\", \"0\"] (normalised affine)")));
    }
    let p = G2Affine::new_unchecked(x, y);
    if !p.is_on_curve() || !p.is_in_correct_subgroup_assuming_on_curve() {
        return Err(err(format!("{what}: not a point of the G2 subgroup")));
    }
    Ok(p)
}

fn member<'a>(v: &'a Value, key: &str) -> Result<&'a Value> {
    v.get(key).ok_or_else(|| err(format!("missing {key}")))
}

fn check_protocol(v: &Value) -> Result<()> {
    if let Some(p) = v.get("protocol")
        && p != "groth16"
    {
        return Err(err(format!("protocol {p}, expected groth16")));
    }
    if let Some(c) = v.get("curve")
        && c != "bn128"
    {
        return Err(err(format!("curve {c}, expected bn128")));
    }
    Ok(())
}

/// Parses snarkjs' `proof.json` (strictly, see the module documentation).
pub fn proof_from_json(v: &Value) -> Result<Proof<Bn254>> {
    check_protocol(v)?;
    Ok(Proof {
        a: g1_from_json(member(v, "pi_a")?, "pi_a")?,
        b: g2_from_json(member(v, "pi_b")?, "pi_b")?,
        c: g1_from_json(member(v, "pi_c")?, "pi_c")?,
    })
}

/// Parses snarkjs' `verification_key.json` (strictly; `nPublic`, when present, must match `IC`).
pub fn verifying_key_from_json(v: &Value) -> Result<VerifyingKey<Bn254>> {
    check_protocol(v)?;
    let ic = member(v, "IC")?.as_array().ok_or_else(|| err("IC: expected an array"))?;
    if ic.is_empty() {
        return Err(err("IC: empty"));
    }
    if let Some(n) = v.get("nPublic")
        && n.as_u64() != Some(ic.len() as u64 - 1)
    {
        return Err(err("nPublic does not match the length of IC"));
    }
    Ok(VerifyingKey {
        alpha_g1: g1_from_json(member(v, "vk_alpha_1")?, "vk_alpha_1")?,
        beta_g2: g2_from_json(member(v, "vk_beta_2")?, "vk_beta_2")?,
        gamma_g2: g2_from_json(member(v, "vk_gamma_2")?, "vk_gamma_2")?,
        delta_g2: g2_from_json(member(v, "vk_delta_2")?, "vk_delta_2")?,
        gamma_abc_g1: ic.iter().map(|p| g1_from_json(p, "IC")).collect::<Result<_>>()?,
    })
}

/// Parses snarkjs' `public.json`: every signal a canonical decimal below r (a value ≥ r is refused, never
/// reduced).
pub fn public_signals_from_json(v: &Value) -> Result<Vec<Fr>> {
    v.as_array()
        .ok_or_else(|| err("public signals: expected an array"))?
        .iter()
        .map(|s| field::<Fr>(s, "public signal"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ec::{AffineRepr, CurveGroup};
    use ark_ff::UniformRand;
    use ark_std::rand::{SeedableRng, rngs::StdRng};

    #[test]
    fn points_round_trip_and_bad_points_are_refused() {
        let mut rng = StdRng::seed_from_u64(7);
        for _ in 0..4 {
            let g1 = ark_bn254::G1Projective::rand(&mut rng).into_affine();
            let g2 = ark_bn254::G2Projective::rand(&mut rng).into_affine();
            assert_eq!(g1_from_json(&g1_json(&g1), "g1").expect("g1"), g1);
            assert_eq!(g2_from_json(&g2_json(&g2), "g2").expect("g2"), g2);
        }
        assert_eq!(g1_from_json(&g1_json(&G1Affine::zero()), "g1").expect("inf"), G1Affine::zero());
        assert_eq!(g2_from_json(&g2_json(&G2Affine::zero()), "g2").expect("inf"), G2Affine::zero());
        // The generator's coordinates are known: G1 = (1, 2).
        assert_eq!(g1_json(&G1Affine::generator()), json!(["1", "2", "1"]));

        let g1 = G1Affine::generator();
        assert!(g1_from_json(&json!(["1", "3", "1"]), "g1").is_err(), "off curve");
        assert!(g1_from_json(&json!(["1", "2", "2"]), "g1").is_err(), "z != 1");
        assert!(g1_from_json(&json!(["1", "2"]), "g1").is_err(), "short");
        assert!(g1_from_json(&json!([1, 2, 1]), "g1").is_err(), "numbers, not strings");
        let q = Fq::MODULUS.to_string();
        assert!(g1_from_json(&json!([q, "2", "1"]), "g1").is_err(), "x = q");
        assert_eq!(g1_from_json(&g1_json(&g1), "g1").expect("g"), g1);
        // x with y not on the twist.
        let mut bad = g2_json(&G2Affine::generator());
        bad[1][0] = json!("5");
        assert!(g2_from_json(&bad, "g2").is_err());
    }

    #[test]
    fn twist_points_outside_the_subgroup_are_refused() {
        // Find a point on the BN254 twist that is not in the r-torsion subgroup (the twist has a large cofactor).
        let mut rng = StdRng::seed_from_u64(8);
        let found = (0..200).find_map(|_| {
            let x = Fq2::rand(&mut rng);
            G2Affine::get_point_from_x_unchecked(x, false)
                .filter(|p| p.is_on_curve() && !p.is_in_correct_subgroup_assuming_on_curve())
        });
        let p = found.expect("a non-subgroup twist point");
        assert!(g2_from_json(&g2_json(&p), "g2").is_err());
    }

    #[test]
    fn public_signals_must_be_below_r() {
        let r = Fr::MODULUS.to_string();
        assert!(public_signals_from_json(&json!(["1", r])).is_err());
        assert!(public_signals_from_json(&json!(["1", "-1"])).is_err());
        assert!(public_signals_from_json(&json!([1])).is_err());
        let ok = public_signals_from_json(&public_signals_json(&[Fr::from(5u64), -Fr::from(1u64)])).expect("ok");
        assert_eq!(ok, vec![Fr::from(5u64), -Fr::from(1u64)]);
    }
}
