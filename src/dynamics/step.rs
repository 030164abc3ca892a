//! The Euler–Maruyama update of one trajectory's state (eq. 3 of Whitelam 2025):
//! x_i ← x_i − μ Δt (2 J2 x_i + 4 J4 x_i³ + g_i) + √(2 μ kT Δt) η_i,
//! where g_i is the non-local part of ∂_iV ([`Drive`]) supplied by the caller.
//!
//! One fused pass per row: the normals of a chunk of [`CHUNK`] units are drawn into a buffer
//! that stays in L1 (a vectorised Philox fill, `dynamics::philox`), then the on-site force, the
//! drive, the noise and the update of the chunk run in one loop the compiler vectorises.

use super::noise::Normals;
use crate::linalg::Real;
use crate::model::Physics;

/// Units per fused chunk (the normals buffer: 1 KiB in f32).
pub const CHUNK: usize = 256;

/// Visit `units` in chunks of at most [`CHUNK`], drawing each chunk's normals from `noise`
/// first (one vectorised fill, in unit order): `update(start, eta)` then updates units
/// `start..start + eta.len()` with them.
#[inline]
pub fn with_normals<R: Real, N: Normals + ?Sized>(
    units: std::ops::Range<usize>,
    noise: &mut N,
    mut update: impl FnMut(usize, &[R]),
) {
    let mut eta = [R::zero(); CHUNK];
    let mut start = units.start;
    while start < units.end {
        let end = (start + CHUNK).min(units.end);
        let eta = &mut eta[..end - start];
        noise.fill(eta);
        update(start, eta);
        start = end;
    }
}

/// The non-local gradient g_i of a step.
#[derive(Clone, Copy, Debug)]
pub enum Drive<'a, R> {
    /// g_i = field_i + offset_i (couplings plus biases and clamped sources).
    Sum(&'a [R], &'a [R]),
    /// g_i = λ·b_i for i < `held`, b_i from `held` on (a fading bias of the noising
    /// protocol, whose units from `held` on keep it at full strength).
    Scaled(R, &'a [R], usize),
}

/// Precomputed constants of one Euler–Maruyama step.
#[derive(Clone, Copy, Debug)]
pub struct EulerMaruyama<R> {
    mu_dt: R,
    two_j2: R,
    four_j4: R,
    sigma: R,
}

impl<R: Real> EulerMaruyama<R> {
    /// Constants for `ph`.
    pub fn new(ph: &Physics) -> Self {
        EulerMaruyama {
            mu_dt: R::of(ph.mu * ph.dt),
            two_j2: R::of(2.0 * ph.j2),
            four_j4: R::of(4.0 * ph.j4),
            sigma: R::of(ph.noise_amplitude()),
        }
    }

    /// Advance one row `x` by one step under `drive` (slices as long as `x`). Draws exactly
    /// `x.len()` normals from `noise`, in unit order.
    #[inline]
    pub fn advance<N: Normals + ?Sized>(&self, x: &mut [R], drive: Drive<'_, R>, noise: &mut N) {
        with_normals(0..x.len(), noise, |start, eta| {
            let end = start + eta.len();
            let xs = &mut x[start..end];
            match drive {
                Drive::Sum(field, offset) => {
                    let (f, o) = (&field[start..end], &offset[start..end]);
                    for (((xi, &e), &fi), &oi) in xs.iter_mut().zip(eta.iter()).zip(f).zip(o) {
                        *xi = self.update(*xi, fi + oi, e);
                    }
                }
                Drive::Scaled(lambda, b, held) => {
                    // Units [start, cut) fade, [cut, end) hold their bias.
                    let cut = held.clamp(start, end);
                    let (xf, xh) = xs.split_at_mut(cut - start);
                    let (ef, eh) = eta.split_at(cut - start);
                    for ((xi, &e), &bi) in xf.iter_mut().zip(ef).zip(&b[start..cut]) {
                        *xi = self.update(*xi, lambda * bi, e);
                    }
                    for ((xi, &e), &bi) in xh.iter_mut().zip(eh).zip(&b[cut..end]) {
                        *xi = self.update(*xi, bi, e);
                    }
                }
            }
        });
    }

    /// x − μΔt (2 J2 x + 4 J4 x³ + g) + σ η.
    #[inline(always)]
    fn update(&self, v: R, g: R, eta: R) -> R {
        let grad = v * (self.two_j2 + self.four_j4 * v * v) + g;
        v - self.mu_dt * grad + self.sigma * eta
    }
}
