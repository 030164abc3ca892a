//! The Euler–Maruyama update of one trajectory's state (eq. 3 of Whitelam 2025):
//! x_i ← x_i − μ Δt (2 J2 x_i + 4 J4 x_i³ + g_i) + √(2 μ kT Δt) η_i,
//! where g_i = b_i + Σ_j J_ij x_j is the non-local part of ∂_iV supplied by the caller.

use super::noise::Normals;
use crate::linalg::Real;
use crate::model::Physics;

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

    /// Advance one row `x` by one step; `g(i)` is the non-local gradient on unit i at the
    /// start of the step. Draws exactly `x.len()` normals from `noise`, in unit order.
    #[inline]
    pub fn advance<N: Normals + ?Sized>(&self, x: &mut [R], g: impl Fn(usize) -> R, noise: &mut N) {
        for (i, xi) in x.iter_mut().enumerate() {
            let v = *xi;
            let grad = v * (self.two_j2 + self.four_j4 * v * v) + g(i);
            *xi = v - self.mu_dt * grad + self.sigma * noise.normal::<R>();
        }
    }
}
