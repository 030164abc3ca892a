//! Counter-based standard normals at memory speed: the thermal noise η of every trajectory.
//!
//! **Generator.** Philox4x32-10 (Salmon, Moraes, Dror, Shaw, "Parallel random numbers: as easy
//! as 1, 2, 3", SC 2011) maps a 128-bit counter and a 64-bit key to four 32-bit words through
//! ten rounds of 32×32→64-bit multiplications; it passes TestU01's BigCrush and is the
//! generator of cuRAND and TensorFlow. A stream is identified by its key (from the run seed and
//! the [`Purpose`]) and the upper half of its counter (the trajectory's global index); the lower
//! half counts blocks. Block k of a stream is therefore a pure function of (seed, purpose,
//! index, k): a trajectory's noise does not depend on its batch, on the thread that runs it, or
//! on how many normals a caller asks for at a time.
//!
//! **Normals.** Box–Muller on pairs of words: u₁ = (2⌊w₀/2⁹⌋ + 1)·2⁻²⁴ ∈ (0, 1) (exact in f32),
//! r = √(−2 ln u₁); the angle takes its quadrant from the top two bits of w₁ and its position
//! within the quadrant from the next 23 bits, θ = qπ/2 + a with a uniform on (−π/4, π/4) (a
//! fixed rotation of a uniform angle is uniform), and (z₀, z₁) = r(cos θ, sin θ). ln, sin and
//! cos are short polynomials accurate to about one f32 ulp on their reduced ranges, written so
//! that the compiler vectorises them; |z| ≤ √(48 ln 2) = 5.77, so the tail beyond 5.77σ
//! (probability 8·10⁻⁹ per draw) is not represented.
//!
//! **Order.** Normals come in groups of [`GROUP`] = 64 from 16 consecutive blocks: with
//! p = n mod 64, normal n of a stream comes from block 16⌊n/64⌋ + (p mod 16); p < 16 and
//! 16 ≤ p < 32 are the cosine and sine normals of its words (w₀, w₁), 32 ≤ p < 48 and p ≥ 48
//! those of (w₂, w₃) — see [`fill_groups`]. The layout is structure-of-arrays so that one SIMD
//! lane computes one block.
//!
//! **Speed.** The group kernel is compiled three times (AVX-512, AVX2, baseline SSE2) and the
//! fastest the CPU supports is chosen at run time. No step contracts a multiply and an add, so
//! every variant gives bitwise the same numbers.

use super::rng::Purpose;

/// Normals produced per group: 16 Philox blocks of four words.
pub const GROUP: usize = 64;
const LANES: usize = 16;

const M0: u32 = 0xD251_1F53;
const M1: u32 = 0xCD9E_8D57;
const W0: u32 = 0x9E37_79B9;
const W1: u32 = 0xBB67_AE85;

/// Philox4x32-10 of one counter under one key.
pub fn philox4x32(ctr: [u32; 4], key: [u32; 2]) -> [u32; 4] {
    let (mut c, mut k) = (ctr, key);
    for r in 0..10 {
        if r > 0 {
            k = [k[0].wrapping_add(W0), k[1].wrapping_add(W1)];
        }
        let p0 = u64::from(M0) * u64::from(c[0]);
        let p1 = u64::from(M1) * u64::from(c[2]);
        c = [
            (p1 >> 32) as u32 ^ c[1] ^ k[0],
            p1 as u32,
            (p0 >> 32) as u32 ^ c[3] ^ k[1],
            p0 as u32,
        ];
    }
    c
}

/// A stream of standard normals (f32) for one (seed, purpose, index).
#[derive(Clone, Debug)]
pub struct NormalStream {
    key: [u32; 2],
    index: [u32; 2],
    /// The next group to generate.
    group: u64,
    buf: [f32; GROUP],
    /// Next unread position in `buf` (GROUP: empty).
    pos: usize,
}

/// SplitMix64's finaliser: a bijective mix of 64 bits.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl NormalStream {
    /// The stream of trajectory `index` for `seed` and `purpose`.
    pub fn new(seed: u64, purpose: Purpose, index: u64) -> Self {
        let k = mix(seed.wrapping_add(mix(0x9E37_79B9_7F4A_7C15 ^ purpose as u64)));
        NormalStream {
            key: [k as u32, (k >> 32) as u32],
            index: [index as u32, (index >> 32) as u32],
            group: 0,
            buf: [0.0; GROUP],
            pos: GROUP,
        }
    }

    /// The next normal.
    #[inline]
    pub fn next_normal(&mut self) -> f32 {
        if self.pos == GROUP {
            self.refill();
        }
        let v = self.buf[self.pos];
        self.pos += 1;
        v
    }

    fn refill(&mut self) {
        fill_groups(self.key, self.index, self.group, &mut self.buf);
        self.group += 1;
        self.pos = 0;
    }

    /// Move to normal number `pos` of the stream (the next one read): a counter-based stream
    /// reads any position directly, e.g. one slice of units of every step.
    pub fn seek(&mut self, pos: u64) {
        let (group, within) = (pos / GROUP as u64, (pos % GROUP as u64) as usize);
        let here = if self.pos == GROUP {
            self.group * GROUP as u64
        } else {
            (self.group - 1) * GROUP as u64 + self.pos as u64
        };
        if here == pos {
            return;
        }
        self.group = group;
        self.pos = GROUP;
        if within > 0 {
            self.refill();
            self.pos = within;
        }
    }

    /// Fill `out` with the next `out.len()` normals of the stream.
    pub fn fill(&mut self, mut out: &mut [f32]) {
        // Leftovers of the current group first.
        let take = out.len().min(GROUP - self.pos);
        out[..take].copy_from_slice(&self.buf[self.pos..self.pos + take]);
        self.pos += take;
        out = &mut out[take..];
        // Whole groups straight into the output.
        let whole = out.len() / GROUP;
        if whole > 0 {
            fill_groups(self.key, self.index, self.group, &mut out[..whole * GROUP]);
            self.group += whole as u64;
            out = &mut out[whole * GROUP..];
        }
        if !out.is_empty() {
            self.refill();
            let n = out.len();
            out.copy_from_slice(&self.buf[..n]);
            self.pos = n;
        }
    }
}

/// Groups `first, first + 1, …` of stream (key, index) into `out` (a multiple of [`GROUP`]
/// long). Within group g, block b = 16g + j (lane j) gives words w₀…w₃; the pair (w₀, w₁)
/// becomes out[j] and out[16 + j], the pair (w₂, w₃) out[32 + j] and out[48 + j].
pub fn fill_groups(key: [u32; 2], index: [u32; 2], first: u64, out: &mut [f32]) {
    assert_eq!(out.len() % GROUP, 0, "whole groups only");
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f")
            && std::arch::is_x86_feature_detected!("avx512dq")
            && std::arch::is_x86_feature_detected!("avx512vl")
            && std::arch::is_x86_feature_detected!("avx512bw")
        {
            // SAFETY: the CPU supports every feature the function is compiled for.
            return unsafe { groups_avx512(key, index, first, out) };
        }
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: as above.
            return unsafe { groups_avx2(key, index, first, out) };
        }
    }
    groups_generic(key, index, first, out)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512dq,avx512vl,avx512bw,avx2")]
unsafe fn groups_avx512(key: [u32; 2], index: [u32; 2], first: u64, out: &mut [f32]) {
    groups_generic(key, index, first, out)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn groups_avx2(key: [u32; 2], index: [u32; 2], first: u64, out: &mut [f32]) {
    groups_generic(key, index, first, out)
}

#[inline(always)]
fn groups_generic(key: [u32; 2], index: [u32; 2], first: u64, out: &mut [f32]) {
    for (g, chunk) in out.chunks_exact_mut(GROUP).enumerate() {
        let block0 = (first + g as u64) * LANES as u64;
        // The four words of each lane's counter, each held in the low half of a u64 so that
        // the 32×32→64-bit products and their halves need no packing between rounds.
        const LO: u64 = 0xFFFF_FFFF;
        let mut c0 = [0u64; LANES];
        let mut c1 = [0u64; LANES];
        for j in 0..LANES {
            let b = block0 + j as u64;
            c0[j] = b & LO;
            c1[j] = b >> 32;
        }
        let mut c2 = [u64::from(index[0]); LANES];
        let mut c3 = [u64::from(index[1]); LANES];
        let (mut k0, mut k1) = (u64::from(key[0]), u64::from(key[1]));
        for r in 0..10 {
            if r > 0 {
                k0 = (k0 + u64::from(W0)) & LO;
                k1 = (k1 + u64::from(W1)) & LO;
            }
            for j in 0..LANES {
                let p0 = u64::from(M0) * (c0[j] & LO);
                let p1 = u64::from(M1) * (c2[j] & LO);
                let n0 = (p1 >> 32) ^ c1[j] ^ k0;
                let n2 = (p0 >> 32) ^ c3[j] ^ k1;
                c0[j] = n0;
                c1[j] = p1 & LO;
                c2[j] = n2;
                c3[j] = p0 & LO;
            }
        }
        let word = |c: &[u64; LANES]| -> [u32; LANES] { std::array::from_fn(|j| c[j] as u32) };
        let (c0, c1, c2, c3) = (word(&c0), word(&c1), word(&c2), word(&c3));
        let (lo, hi) = chunk.split_at_mut(2 * LANES);
        let (z0, z1) = lo.split_at_mut(LANES);
        let (z2, z3) = hi.split_at_mut(LANES);
        box_muller(&c0, &c1, z0, z1);
        box_muller(&c2, &c3, z2, z3);
    }
}

/// Box–Muller on LANES pairs of words (see the module documentation).
#[inline(always)]
fn box_muller(w0: &[u32; LANES], w1: &[u32; LANES], z0: &mut [f32], z1: &mut [f32]) {
    const TWO_M24: f32 = 1.0 / 16_777_216.0;
    const TWO_M23: f32 = 1.0 / 8_388_608.0;
    const QUARTER_PI: f32 = std::f32::consts::FRAC_PI_4;
    let (z0, z1) = (&mut z0[..LANES], &mut z1[..LANES]);
    for j in 0..LANES {
        let u = (((w0[j] >> 9) << 1) | 1) as i32 as f32 * TWO_M24;
        let r = (-2.0 * ln_unit(u)).sqrt();
        let q = w1[j] >> 30;
        let f = ((w1[j] >> 7) & 0x7F_FFFF) as i32 as f32;
        let a = ((f + 0.5) * TWO_M23 - 0.5) * (2.0 * QUARTER_PI);
        let (s, c) = sin_cos_quarter(a);
        // (cos, sin)(qπ/2 + a): q = 0 (c, s), 1 (−s, c), 2 (−c, −s), 3 (s, −c).
        let swap = q & 1 == 1;
        let (p, t) = if swap { (s, c) } else { (c, s) };
        let flip_c = ((q + 1) >> 1) & 1;
        let flip_s = q >> 1;
        let cos_t = f32::from_bits(p.to_bits() ^ (flip_c << 31));
        let sin_t = f32::from_bits(t.to_bits() ^ (flip_s << 31));
        z0[j] = r * cos_t;
        z1[j] = r * sin_t;
    }
}

/// ln u for u in (0, 1): u = 2ᵉ·m with m in [√½, √2), ln m = 2 atanh s, s = (m − 1)/(m + 1),
/// by its series to s⁹ (|s| ≤ 0.172: truncation below 10⁻⁹).
#[inline(always)]
fn ln_unit(u: f32) -> f32 {
    let bits = u.to_bits();
    let mut e = ((bits >> 23) & 0xFF) as i32 - 127;
    let mut m = f32::from_bits((bits & 0x7F_FFFF) | 0x3F80_0000);
    if m > std::f32::consts::SQRT_2 {
        m *= 0.5;
        e += 1;
    }
    let s = (m - 1.0) / (m + 1.0);
    let s2 = s * s;
    let series = 1.0 + s2 * (1.0 / 3.0 + s2 * (1.0 / 5.0 + s2 * (1.0 / 7.0 + s2 * (1.0 / 9.0))));
    e as f32 * std::f32::consts::LN_2 + 2.0 * s * series
}

/// (sin a, cos a) for |a| ≤ π/4 by Taylor polynomials to a⁹ and a¹⁰ (errors below 2·10⁻⁹).
#[inline(always)]
fn sin_cos_quarter(a: f32) -> (f32, f32) {
    let a2 = a * a;
    let s = a
        * (1.0
            + a2 * (-1.0 / 6.0
                + a2 * (1.0 / 120.0 + a2 * (-1.0 / 5040.0 + a2 * (1.0 / 362_880.0)))));
    let c = 1.0
        + a2 * (-0.5
            + a2 * (1.0 / 24.0
                + a2 * (-1.0 / 720.0 + a2 * (1.0 / 40_320.0 + a2 * (-1.0 / 3_628_800.0)))));
    (s, c)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Known-answer vectors of Philox4x32-10 (Random123's kat_vectors).
    #[test]
    fn philox_matches_the_reference_vectors() {
        assert_eq!(
            philox4x32([0; 4], [0; 2]),
            [0x6627_e8d5, 0xe169_c58d, 0xbc57_ac4c, 0x9b00_dbd8]
        );
        assert_eq!(
            philox4x32([u32::MAX; 4], [u32::MAX; 2]),
            [0x408f_276d, 0x41c8_3b0e, 0xa20b_c7c6, 0x6d54_51fd]
        );
        assert_eq!(
            philox4x32(
                [0x243f_6a88, 0x85a3_08d3, 0x1319_8a2e, 0x0370_7344],
                [0xa409_3822, 0x299f_31d0]
            ),
            [0xd16c_fe09, 0x94fd_cceb, 0x5001_e420, 0x2412_6ea1]
        );
    }

    #[test]
    fn vector_kernel_equals_the_scalar_definition() {
        let key = [0x1234_5678, 0x9abc_def0];
        let index = [7, 1];
        let mut out = vec![0.0f32; 3 * GROUP];
        fill_groups(key, index, 5, &mut out);
        let mut generic = vec![0.0f32; 3 * GROUP];
        groups_generic(key, index, 5, &mut generic);
        assert_eq!(out, generic, "dispatched kernel = baseline kernel, bitwise");
        for g in 0..3u64 {
            for j in 0..LANES {
                let b = (5 + g) * LANES as u64 + j as u64;
                let w = philox4x32([b as u32, (b >> 32) as u32, 7, 1], key);
                let mut z = [0.0f32; 2 * LANES];
                let (a, c) = z.split_at_mut(LANES);
                let mut p = [0u32; LANES];
                let mut q = [0u32; LANES];
                p[j] = w[0];
                q[j] = w[1];
                box_muller(&p, &q, a, c);
                let o = g as usize * GROUP;
                assert_eq!(out[o + j], z[j]);
                assert_eq!(out[o + LANES + j], z[LANES + j]);
            }
        }
    }

    #[test]
    fn reading_in_pieces_gives_the_same_stream() {
        let mut whole = vec![0.0f32; 1000];
        NormalStream::new(3, Purpose::SampleNoise, 11).fill(&mut whole);
        let mut s = NormalStream::new(3, Purpose::SampleNoise, 11);
        let mut pieces = Vec::new();
        for len in [1, 63, 2, 130, 64, 5, 300, 435] {
            let mut p = vec![0.0f32; len];
            s.fill(&mut p);
            pieces.extend(p);
        }
        assert_eq!(pieces.len(), 1000);
        assert_eq!(pieces, whole);
        let mut s = NormalStream::new(3, Purpose::SampleNoise, 11);
        assert!(whole.iter().all(|&v| v == s.next_normal()));
        for at in [0usize, 64, 65, 300, 999] {
            s.seek(at as u64);
            let mut rest = vec![0.0f32; 1000 - at];
            s.fill(&mut rest);
            assert_eq!(rest, whole[at..], "seek to {at}");
        }
        let mut other = vec![0.0f32; 1000];
        NormalStream::new(3, Purpose::SampleNoise, 12).fill(&mut other);
        assert!(other.iter().zip(&whole).all(|(a, b)| a != b));
    }

    #[test]
    fn polynomials_are_accurate() {
        for k in 1..2000 {
            let u = k as f32 / 2000.0;
            let err = (ln_unit(u) as f64 - (u as f64).ln()).abs();
            assert!(
                err <= 2e-7 * (u as f64).ln().abs().max(1.0),
                "ln {u}: {err}"
            );
        }
        for k in -1000..=1000 {
            let a = k as f32 / 1000.0 * std::f32::consts::FRAC_PI_4;
            let (s, c) = sin_cos_quarter(a);
            assert!((s as f64 - (a as f64).sin()).abs() < 2e-7, "sin {a}");
            assert!((c as f64 - (a as f64).cos()).abs() < 2e-7, "cos {a}");
        }
    }
}
