//! Multi-scalar multiplication over fixed bases with precomputed window multiples (the proving key's query
//! vectors never change, so each base `P` is stored once per window as `2^(c·k)·P`).
//!
//! Pippenger's bucket method then runs every window into one shared set of buckets: `n·⌈254/c⌉` bucket
//! additions and a single bucket reduction, instead of one reduction and `c` doublings per window as in the
//! variable-base MSM. All group arithmetic is arkworks' (`Bucket += Affine`, bucket additions, doubling, batch
//! normalisation); this module only organises it. Zero bases are dropped at precomputation.

use ark_ec::{AffineRepr, CurveGroup, VariableBaseMSM};
use ark_ff::{BigInteger, PrimeField};
use rayon::prelude::*;

/// Bits of a BN254 scalar.
const SCALAR_BITS: usize = 254;

/// Precomputed window multiples of a fixed vector of bases.
pub(crate) struct FixedBaseMsm<G: CurveGroup + VariableBaseMSM<MulBase = <G as CurveGroup>::Affine>> {
    /// Window width in bits.
    c: usize,
    /// Windows per scalar, ⌈254 / c⌉ (+1 for the carry of the signed-digit recoding).
    windows: usize,
    /// Positions (in the caller's base vector) of the non-zero bases.
    index: Vec<usize>,
    /// `table[j·windows + k] = 2^(c·k)·bases[index[j]]`.
    table: Vec<G::Affine>,
}

/// Bucket-addition cost model: the window width minimising `m·windows(c)·10 + 2^c·14` (bucket additions of
/// an affine point ≈ 10 multiplications, bucket reduction ≈ 2 · 2^(c-1) full additions ≈ 14 each) for `m`
/// bases per thread.
fn best_window(m: usize) -> usize {
    (6..=16)
        .min_by_key(|&c| {
            let windows = SCALAR_BITS.div_ceil(c) + 1;
            m.saturating_mul(windows).saturating_mul(10).saturating_add((1usize << c) * 14)
        })
        .unwrap_or(10)
}

/// Signed base-2^c digits of `scalar` (little-endian 64-bit limbs), each in [-2^(c-1), 2^(c-1)], `windows` of
/// them (the last absorbs the final carry).
fn signed_digits(scalar: &[u64], c: usize, windows: usize, out: &mut Vec<i32>) {
    out.clear();
    let mask = (1u64 << c) - 1;
    let mut carry = 0u64;
    for k in 0..windows {
        let bit = k * c;
        let limb = bit / 64;
        let shift = bit % 64;
        let mut bits = if limb < scalar.len() { scalar[limb] >> shift } else { 0 };
        if shift + c > 64 && limb + 1 < scalar.len() {
            bits |= scalar[limb + 1] << (64 - shift);
        }
        let value = (bits & mask) + carry;
        // Recentre [0, 2^c] to [-2^(c-1), 2^(c-1)].
        carry = (value + (1 << (c - 1))) >> c;
        out.push(value as i32 - (carry << c) as i32);
    }
}

impl<G: CurveGroup + VariableBaseMSM<MulBase = <G as CurveGroup>::Affine>> FixedBaseMsm<G> {
    /// Precomputes the window multiples of `bases` for MSMs spread over `threads` threads.
    pub(crate) fn new(bases: &[G::Affine], threads: usize) -> Self {
        let index: Vec<usize> = bases.iter().enumerate().filter(|(_, p)| !p.is_zero()).map(|(i, _)| i).collect();
        let c = best_window(index.len().div_ceil(threads.max(1)).max(1));
        let windows = SCALAR_BITS.div_ceil(c) + 1;
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

    /// `Σ scalars[i]·bases[i]` (missing scalars count as zero).
    pub(crate) fn msm(&self, scalars: &[<G::ScalarField as PrimeField>::BigInt]) -> G {
        let threads = rayon::current_num_threads().max(1);
        let chunk = self.index.len().div_ceil(threads).max(1);
        let buckets_len = 1usize << (self.c - 1);
        self.index
            .par_chunks(chunk)
            .enumerate()
            .map(|(n, positions)| {
                let mut buckets = vec![G::ZERO_BUCKET; buckets_len];
                let mut digits = Vec::with_capacity(self.windows);
                for (j, &i) in positions.iter().enumerate() {
                    let Some(scalar) = scalars.get(i) else { continue };
                    if scalar.is_zero() {
                        continue;
                    }
                    signed_digits(scalar.as_ref(), self.c, self.windows, &mut digits);
                    let row = &self.table[(n * chunk + j) * self.windows..][..self.windows];
                    for (d, point) in digits.iter().zip(row) {
                        match *d {
                            0 => {}
                            d if d > 0 => buckets[d as usize - 1] += point,
                            d => buckets[(-d) as usize - 1] -= point,
                        }
                    }
                }
                // Σ (i + 1)·buckets[i] by running sums.
                let mut running = G::ZERO_BUCKET;
                let mut sum = G::ZERO_BUCKET;
                for b in buckets.iter().rev() {
                    running += b;
                    sum += &running;
                }
                let sum: G = sum.into();
                sum
            })
            .reduce(G::zero, |a, b| a + b)
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
            for threads in [1, 2, 3] {
                let table = FixedBaseMsm::<G>::new(&bases, threads);
                assert_eq!(table.msm(&bigints), expected, "n = {n}, threads = {threads}, c = {}", table.c);
                // Shorter scalar vectors count the rest as zero.
                let half = n / 2;
                assert_eq!(table.msm(&bigints[..half]), G::msm_bigint(&bases[..half], &bigints[..half]));
            }
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
        let mut digits = Vec::new();
        for c in 6..=16 {
            let windows = SCALAR_BITS.div_ceil(c) + 1;
            for s in [Fr::from(0u64), -Fr::from(1u64), Fr::rand(&mut rng), Fr::rand(&mut rng)] {
                signed_digits(s.into_bigint().as_ref(), c, windows, &mut digits);
                let radix = Fr::from(1u64 << c);
                let back = digits.iter().rev().fold(Fr::from(0u64), |acc, d| {
                    acc * radix + if *d >= 0 { Fr::from(*d as u64) } else { -Fr::from((-*d) as u64) }
                });
                assert_eq!(back, s, "c = {c}");
                assert!(digits.iter().all(|d| d.unsigned_abs() <= 1 << (c - 1)));
            }
        }
    }
}
