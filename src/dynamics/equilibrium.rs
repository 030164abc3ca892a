//! Exact samples of the coupling-free equilibrium p(x) ∝ exp(−(J2 x² + J4 x⁴)/kT) of one unit,
//! and its moments by quadrature (the reference for tests and for the sampler's initial noise).

use crate::linalg::Real;
use crate::model::Physics;
use rand::{Rng, RngExt};

/// Rejection sampler for the single-unit quartic Boltzmann distribution, from a Gaussian
/// proposal N(0, σ²): accept with exp(a x² − c x⁴ − max), where a = 1/(2σ²) − J2/kT and
/// c = J4/kT. Exact for any J2 when J4 > 0, and for J2 > 0 when J4 = 0.
#[derive(Clone, Copy, Debug)]
pub struct OnsiteEquilibrium {
    sigma: f64,
    a: f64,
    c: f64,
    log_max: f64,
}

impl OnsiteEquilibrium {
    /// The sampler for these constants. Requires a normalisable density (checked by the config).
    pub fn new(ph: &Physics) -> Self {
        let (k2, c) = (ph.j2 / ph.kt, ph.j4 / ph.kt);
        let sigma2 = if k2 > 0.0 {
            1.0 / (2.0 * k2)
        } else {
            // Double well (J2 ≤ 0): a proposal as wide as the wells.
            (-k2 / (2.0 * c)).max(0.0) + 1.0 / (2.0 * c).sqrt()
        };
        let a = 1.0 / (2.0 * sigma2) - k2;
        let log_max = if a > 0.0 && c > 0.0 {
            a * a / (4.0 * c)
        } else {
            0.0
        };
        OnsiteEquilibrium {
            sigma: sigma2.sqrt(),
            a,
            c,
            log_max,
        }
    }

    /// One exact sample.
    pub fn sample<R: Real, G: Rng + ?Sized>(&self, rng: &mut G) -> R {
        loop {
            let x = self.sigma * f64::std_normal(rng);
            let x2 = x * x;
            let log_acc = self.a * x2 - self.c * x2 * x2 - self.log_max;
            if rng.random::<f64>().ln() < log_acc {
                return R::of(x);
            }
        }
    }
}

/// ⟨f(x)⟩ under exp(−(J2 x² + J4 x⁴)/kT) by trapezoidal quadrature on a fine grid.
pub fn onsite_average(ph: &Physics, f: impl Fn(f64) -> f64) -> f64 {
    // The density is negligible beyond where V/kT exceeds ~60.
    let mut lim = 1.0;
    while ph.onsite_energy(lim) / ph.kt < 60.0 {
        lim *= 1.5;
    }
    let n = 200_000;
    let h = 2.0 * lim / n as f64;
    let (mut z, mut s) = (0.0, 0.0);
    for k in 0..=n {
        let x = -lim + k as f64 * h;
        let w = if k == 0 || k == n { 0.5 } else { 1.0 };
        let p = w * (-ph.onsite_energy(x) / ph.kt).exp();
        z += p;
        s += p * f(x);
    }
    s / z
}
