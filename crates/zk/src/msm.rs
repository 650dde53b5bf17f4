//! Multi-scalar multiplication over fixed bases with precomputed window multiples (the proving key's query
//! vectors never change, so each base `P` is stored once per window as `2^(c·k)·P`).
//!
//! Pippenger's bucket method then runs every window into one shared set of buckets: `n·⌈255/c⌉` bucket
//! additions and a single bucket reduction, instead of one reduction and `c` doublings per window as in the
//! variable-base MSM. The work is split between threads by bucket range rather than by base, so that the
//! bucket reduction is done once in total (not once per thread) and an MSM splits into as many independent
//! parts as load balancing wants. All group arithmetic is arkworks' (`Bucket += Affine`, bucket additions,
//! small scalar multiplication, batch normalisation); this module only organises it. Zero bases are dropped at
//! precomputation.

use ark_ec::{AffineRepr, CurveGroup, VariableBaseMSM};
use ark_ff::{BigInteger, PrimeField};
use rayon::prelude::*;

/// Bits of a (canonical) BN254 scalar.
const SCALAR_BITS: usize = 254;

/// Bucket ranges an MSM is split into per thread (for load balancing across the MSMs of a proof).
const PARTS_PER_THREAD: usize = 2;

/// Fewest buckets in one part.
const MIN_PART_BUCKETS: usize = 64;

/// Signed-digit windows of width `c` for a canonical scalar: `⌈(254 + 1)/c⌉`, the extra bit holding the carry
/// of the recoding.
fn windows(c: usize) -> usize {
    (SCALAR_BITS + 1).div_ceil(c)
}

/// Bucket-addition cost model: the window width minimising `n·windows(c)·10 + 2^(c-1)·28` for `n` bases
/// (mixed addition of an affine point to an XYZZ bucket ≈ 10 multiplications, the bucket reduction two XYZZ
/// additions of ≈ 14 per bucket).
fn best_window(n: usize) -> usize {
    (4..=16)
        .min_by_key(|&c| n.saturating_mul(windows(c)).saturating_mul(10).saturating_add((1usize << (c - 1)) * 28))
        .unwrap_or(10)
}

/// Signed base-2^c digits of the canonical `scalar` (little-endian 64-bit limbs, below 2^254), `windows(c)` of
/// them, each in [-2^(c-1), 2^(c-1)] (the last one non-negative, it absorbs the final carry), written to `out`.
fn signed_digits(scalar: &[u64], c: usize, out: &mut [i32]) {
    let mask = (1u64 << c) - 1;
    let last = out.len() - 1;
    let mut carry = 0u64;
    for (k, digit) in out.iter_mut().enumerate() {
        let bit = k * c;
        let limb = bit / 64;
        let shift = bit % 64;
        let mut bits = if limb < scalar.len() { scalar[limb] >> shift } else { 0 };
        if shift + c > 64 && limb + 1 < scalar.len() {
            bits |= scalar[limb + 1] << (64 - shift);
        }
        let value = (bits & mask) + carry;
        if k == last {
            // value ≤ 2^(254 - c·last) ≤ 2^(c-1) since c·windows ≥ 255: no recentring needed.
            *digit = value as i32;
        } else {
            // Recentre [0, 2^c] to [-2^(c-1), 2^(c-1)].
            carry = (value + (1 << (c - 1))) >> c;
            *digit = value as i32 - (carry << c) as i32;
        }
    }
}

/// Precomputed window multiples of a fixed vector of bases.
pub(crate) struct FixedBaseMsm<G: CurveGroup + VariableBaseMSM<MulBase = <G as CurveGroup>::Affine>> {
    /// Window width in bits.
    c: usize,
    /// Windows per scalar, `windows(c)`.
    windows: usize,
    /// Positions (in the caller's base vector) of the non-zero bases.
    index: Vec<usize>,
    /// `table[j·windows + k] = 2^(c·k)·bases[index[j]]`.
    table: Vec<G::Affine>,
}

impl<G: CurveGroup + VariableBaseMSM<MulBase = <G as CurveGroup>::Affine>> FixedBaseMsm<G> {
    /// Precomputes the window multiples of `bases`.
    pub(crate) fn new(bases: &[G::Affine]) -> Self {
        let index: Vec<usize> = bases.iter().enumerate().filter(|(_, p)| !p.is_zero()).map(|(i, _)| i).collect();
        let c = best_window(index.len().max(1));
        Self::with_window(bases, index, c)
    }

    fn with_window(bases: &[G::Affine], index: Vec<usize>, c: usize) -> Self {
        let windows = windows(c);
        let projective: Vec<G> = index
            .par_iter()
            .flat_map_iter(|&i| {
                let mut p: G = bases[i].into();
                (0..windows).map(move |_| {
                    let here = p;
                    for _ in 0..c {
                        p.double_in_place();
                    }
                    here
                })
            })
            .collect();
        let table = projective.par_chunks(4096).flat_map_iter(G::normalize_batch).collect();
        Self { c, windows, index, table }
    }

    /// The signed digits of the scalars of the non-zero bases, `windows` per base (missing scalars count as
    /// zero). Scalars must be canonical (below the field modulus).
    pub(crate) fn digits(&self, scalars: &[<G::ScalarField as PrimeField>::BigInt]) -> Vec<i32> {
        let mut digits = vec![0i32; self.index.len() * self.windows];
        digits.par_chunks_mut(self.windows).zip(self.index.par_iter()).with_min_len(256).for_each(|(out, &i)| {
            if let Some(scalar) = scalars.get(i).filter(|s| !s.is_zero()) {
                signed_digits(scalar.as_ref(), self.c, out);
            }
        });
        digits
    }

    /// Number of bucket ranges [`part`](Self::part) splits the MSM into.
    pub(crate) fn parts(&self) -> usize {
        let buckets = 1usize << (self.c - 1);
        (rayon::current_num_threads().max(1) * PARTS_PER_THREAD).min(buckets / MIN_PART_BUCKETS).max(1)
    }

    /// The share of the MSM of bucket range `part` of [`parts`](Self::parts), over [`digits`](Self::digits).
    pub(crate) fn part(&self, digits: &[i32], part: usize) -> G {
        let buckets_len = 1usize << (self.c - 1);
        let parts = self.parts();
        let lo = buckets_len * part / parts;
        let hi = buckets_len * (part + 1) / parts;
        let len = hi - lo;
        let mut buckets = vec![G::ZERO_BUCKET; len];
        // Digit d ≠ 0 goes to bucket |d| - 1; this part keeps |d| - 1 in [lo, hi).
        for (d, point) in digits.iter().zip(&self.table) {
            let b = (d.unsigned_abs() as usize).wrapping_sub(1 + lo);
            if b < len {
                if *d > 0 {
                    buckets[b] += point;
                } else {
                    buckets[b] -= point;
                }
            }
        }
        // Σ (lo + i + 1)·buckets[i] = Σ (i + 1)·buckets[i] (running sums) + lo·Σ buckets[i].
        let mut running = G::ZERO_BUCKET;
        let mut sum = G::ZERO_BUCKET;
        for b in buckets.iter().rev() {
            running += b;
            sum += &running;
        }
        let sum: G = sum.into();
        let running: G = running.into();
        if lo == 0 { sum } else { sum + running.mul_bigint([lo as u64]) }
    }

    /// `Σ scalars[i]·bases[i]` (missing scalars count as zero; scalars canonical).
    pub(crate) fn msm(&self, scalars: &[<G::ScalarField as PrimeField>::BigInt]) -> G {
        let digits = self.digits(scalars);
        (0..self.parts()).into_par_iter().map(|p| self.part(&digits, p)).reduce(G::zero, |a, b| a + b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_bn254::{Fr, G1Projective, G2Projective};
    use ark_ff::UniformRand;
    use ark_std::rand::{SeedableRng, rngs::StdRng};

    fn check<G: CurveGroup + VariableBaseMSM<MulBase = <G as CurveGroup>::Affine, ScalarField = Fr>>(seed: u64) {
        let mut rng = StdRng::seed_from_u64(seed);
        for n in [1usize, 2, 7, 64, 300] {
            let mut bases: Vec<G::Affine> = (0..n).map(|_| G::rand(&mut rng).into_affine()).collect();
            if n > 2 {
                bases[1] = G::Affine::zero();
            }
            let mut scalars: Vec<Fr> = (0..n).map(|_| Fr::rand(&mut rng)).collect();
            // Edge scalars: 0, 1, -1, small, 2^k boundaries.
            let edges = [Fr::from(0u64), Fr::from(1u64), -Fr::from(1u64), Fr::from(4096u64), Fr::from(u64::MAX)];
            for (s, e) in scalars.iter_mut().zip(edges) {
                *s = e;
            }
            let bigints: Vec<_> = scalars.iter().map(|s| s.into_bigint()).collect();
            let expected = G::msm_bigint(&bases, &bigints);
            let index: Vec<usize> = (0..n).filter(|&i| !bases[i].is_zero()).collect();
            for c in [4, 7, 8, 13] {
                let table = FixedBaseMsm::<G>::with_window(&bases, index.clone(), c);
                assert_eq!(table.msm(&bigints), expected, "n = {n}, c = {c}");
                // Shorter scalar vectors count the rest as zero.
                let half = n / 2;
                assert_eq!(table.msm(&bigints[..half]), G::msm_bigint(&bases[..half], &bigints[..half]));
            }
            assert_eq!(FixedBaseMsm::<G>::new(&bases).msm(&bigints), expected);
        }
    }

    #[test]
    fn matches_arkworks_msm_on_g1_and_g2() {
        check::<G1Projective>(1);
        check::<G2Projective>(2);
    }

    #[test]
    fn signed_digits_recompose_every_window_width() {
        let mut rng = StdRng::seed_from_u64(3);
        // The largest canonical scalar, r - 1, and scalars with all low bits set stress the final carry.
        let mut scalars = vec![Fr::from(0u64), -Fr::from(1u64), -Fr::from(2u64), Fr::from(u64::MAX)];
        scalars.extend((0..20).map(|_| Fr::rand(&mut rng)));
        for c in 4..=16 {
            let mut digits = vec![0; windows(c)];
            for s in &scalars {
                signed_digits(s.into_bigint().as_ref(), c, &mut digits);
                let radix = Fr::from(1u64 << c);
                let back = digits.iter().rev().fold(Fr::from(0u64), |acc, d| {
                    acc * radix + if *d >= 0 { Fr::from(*d as u64) } else { -Fr::from((-*d) as u64) }
                });
                assert_eq!(back, *s, "c = {c}");
                assert!(digits.iter().all(|d| d.unsigned_abs() <= 1 << (c - 1)), "c = {c}");
            }
        }
    }
}
