//! Trainable parameters: the symmetric coupling matrix J and the bias vector b.

use crate::linalg::Real;
use ndarray::{Array1, Array2, Zip};

/// Couplings J [N, N] (symmetric, zero diagonal, zero outside the mask) and biases b [N],
/// in the same energy units as J2, J4 and kT.
#[derive(Clone, Debug, PartialEq)]
pub struct Params<R> {
    /// Coupling matrix; the potential holds Σ_(i<j) J_ij x_i x_j = ½ xᵀJx.
    pub j: Array2<R>,
    /// Biases; the potential holds Σ_i b_i x_i.
    pub b: Array1<R>,
}

impl<R: Real> Params<R> {
    /// All-zero parameters for N units (the paper's initial condition).
    pub fn zeros(n: usize) -> Self {
        Params {
            j: Array2::zeros((n, n)),
            b: Array1::zeros(n),
        }
    }

    /// Number of units.
    pub fn n(&self) -> usize {
        self.b.len()
    }

    /// True when every entry is finite.
    pub fn is_finite(&self) -> bool {
        self.j.iter().chain(self.b.iter()).all(|v| v.is_finite())
    }

    /// Convert to another precision.
    pub fn cast<S: Real>(&self) -> Params<S> {
        Params {
            j: self.j.mapv(|v| S::of(v.f64())),
            b: self.b.mapv(|v| S::of(v.f64())),
        }
    }

    /// Largest |J_ij − J_ji| (0 for a valid coupling matrix).
    pub fn asymmetry(&self) -> f64 {
        let mut worst = 0.0f64;
        Zip::from(&self.j)
            .and(&self.j.t())
            .for_each(|&a, &b| worst = worst.max((a - b).abs().f64()));
        worst
    }
}
