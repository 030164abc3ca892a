//! Realisability constraints on the couplings, enforced exactly after every optimizer step.
//!
//! A chip can only realise some coupling matrices. The constraints that training must respect
//! (issue 12, docs/codesign.md) are, for every unit i and allowed pair (i, j):
//!
//! ```text
//! structure     J = Jᵀ, J_ii = 0, J_ij = 0 outside the 0/1 mask
//! range         |J_ij| ≤ j_max                       (largest realisable coupling)
//! fan-in        #{j : J_ij ≠ 0} ≤ k                   (couplings a unit can route)
//! load          Σ_j |J_ij| ≤ L                        (e.g. L = 2·J2·max_compensation)
//! ```
//!
//! [`Constraints::project`] maps any J onto a matrix that satisfies all of them, in one pass:
//!
//! 1. **structure**: J ← ½(J + Jᵀ) on allowed pairs, 0 elsewhere (the Euclidean projection onto
//!    symmetric masked matrices);
//! 2. **fan-in**: greedy magnitude pruning — pairs are visited by decreasing |J_ij| (ties by
//!    index, so the result is deterministic) and kept while both endpoints still have room; the
//!    others are set to 0. A matrix that already satisfies the fan-in bound is unchanged, and a
//!    pruned pair can grow back when a later optimizer step makes it larger than a kept one;
//! 3. **range**: J_ij ← clamp(J_ij, −j_max, j_max) (the Euclidean projection onto the box);
//! 4. **load**: with s_i = min(1, L / Σ_j |J_ij|), J_ij ← min(s_i, s_j)·J_ij. Then
//!    Σ_j |J_ij| min(s_i, s_j) ≤ s_i Σ_j |J_ij| ≤ L for every row, symmetry is kept, zeros stay
//!    zero and magnitudes only shrink, so steps 2 and 3 still hold.
//!
//! Each step leaves a matrix that satisfies the earlier steps unchanged, and a feasible matrix
//! passes every step unchanged, so the map is idempotent: projecting twice equals projecting
//! once. Steps 1 and 3 are exact Euclidean projections; steps 2 and 4 are feasibility maps (the
//! exact Euclidean projection onto a symmetric row-cardinality or row-ℓ1 set couples all rows
//! and costs far more than a training step), which is what "enforced exactly" needs: every
//! constraint holds to the last bit after every step.

use crate::linalg::Real;
use ndarray::{Array2, ArrayView2};

/// Validated realisability constraints (see the module docs). `None` means unconstrained.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Constraints {
    j_max: Option<f64>,
    max_fan_in: Option<usize>,
    max_load: Option<f64>,
}

/// Constraints that no coupling matrix can satisfy usefully.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ConstraintError {
    /// The largest coupling must be positive and finite.
    #[error("the largest realisable coupling must be positive and finite, not {0}")]
    Range(f64),
    /// The fan-in must allow at least one coupling.
    #[error("the fan-in limit must be at least 1 coupling per unit")]
    FanIn,
    /// The coupling load must be positive and finite.
    #[error("the coupling load limit Σ_j |J_ij| must be positive and finite, not {0}")]
    Load(f64),
}

impl Constraints {
    /// No constraint beyond structure (symmetric, zero diagonal, inside the mask).
    pub const STRUCTURE: Constraints = Constraints {
        j_max: None,
        max_fan_in: None,
        max_load: None,
    };

    /// Check and build constraints: `j_max` > 0, `max_fan_in` ≥ 1, `max_load` > 0.
    pub fn new(
        j_max: Option<f64>,
        max_fan_in: Option<usize>,
        max_load: Option<f64>,
    ) -> Result<Self, ConstraintError> {
        if let Some(v) = j_max.filter(|v| !(v.is_finite() && *v > 0.0)) {
            return Err(ConstraintError::Range(v));
        }
        if max_fan_in == Some(0) {
            return Err(ConstraintError::FanIn);
        }
        if let Some(v) = max_load.filter(|v| !(v.is_finite() && *v > 0.0)) {
            return Err(ConstraintError::Load(v));
        }
        Ok(Constraints {
            j_max,
            max_fan_in,
            max_load,
        })
    }

    /// Largest realisable |J_ij|.
    pub fn j_max(&self) -> Option<f64> {
        self.j_max
    }

    /// Largest number of couplings per unit.
    pub fn max_fan_in(&self) -> Option<usize> {
        self.max_fan_in
    }

    /// Largest Σ_j |J_ij| per unit.
    pub fn max_load(&self) -> Option<f64> {
        self.max_load
    }

    /// Map `j` [N, N] onto the constraint set in place (`mask` [N, N], 0/1, symmetric).
    pub fn project<R: Real>(&self, j: &mut Array2<R>, mask: ArrayView2<'_, f32>) {
        let n = j.nrows();
        assert_eq!(j.dim(), (n, n), "coupling matrix must be square");
        assert_eq!(mask.dim(), (n, n), "mask shape must match the couplings");
        let half = R::of(0.5);
        for a in 0..n {
            j[[a, a]] = R::of(0.0);
            for b in a + 1..n {
                let v = if mask[[a, b]] != 0.0 && mask[[b, a]] != 0.0 {
                    half * (j[[a, b]] + j[[b, a]])
                } else {
                    R::of(0.0)
                };
                j[[a, b]] = v;
                j[[b, a]] = v;
            }
        }
        if let Some(k) = self.max_fan_in {
            prune_fan_in(j, k);
        }
        if let Some(m) = self.j_max {
            // Values above m go to an R just below m (rounding m itself to R may land just
            // above it); values within the range are left as they are.
            let safe = R::of(m * (1.0 - 2.0 * <R as num_traits::Float>::epsilon().f64()));
            j.mapv_inplace(|v| {
                if v.f64().abs() > m {
                    if v > R::of(0.0) {
                        safe
                    } else {
                        -safe
                    }
                } else {
                    v
                }
            });
        }
        if let Some(load) = self.max_load {
            let scale: Vec<f64> = j
                .rows()
                .into_iter()
                .map(|row| {
                    let l1: f64 = row.iter().map(|v| v.f64().abs()).sum();
                    if l1 > load {
                        // Shrink a hair more than load/l1 so that rounding to R cannot leave
                        // the row sum above the bound.
                        load / l1
                            * (1.0 - 4.0 * <R as num_traits::Float>::epsilon().f64() * n as f64)
                    } else {
                        1.0
                    }
                })
                .collect();
            if scale.iter().any(|&s| s < 1.0) {
                for ((a, b), v) in j.indexed_iter_mut() {
                    let s = scale[a].min(scale[b]);
                    if s < 1.0 {
                        *v = R::of(v.f64() * s);
                    }
                }
            }
        }
    }

    /// The worst violation of the constraints by `j` (0 when every constraint holds): the
    /// largest of |J_ij − J_ji|, |J_ii|, |J_ij| outside the mask, |J_ij| − j_max,
    /// fan-in − k (as a count) and Σ_j |J_ij| − L.
    pub fn violation<R: Real>(&self, j: ArrayView2<'_, R>, mask: ArrayView2<'_, f32>) -> f64 {
        let mut worst = 0.0f64;
        for ((a, b), &v) in j.indexed_iter() {
            let v = v.f64();
            worst = worst.max((v - j[[b, a]].f64()).abs());
            if a == b || mask[[a, b]] == 0.0 {
                worst = worst.max(v.abs());
            }
            if let Some(m) = self.j_max {
                worst = worst.max(v.abs() - m);
            }
        }
        for row in j.rows() {
            if let Some(k) = self.max_fan_in {
                let nz = row.iter().filter(|v| v.f64() != 0.0).count();
                worst = worst.max(nz as f64 - k as f64);
            }
            if let Some(load) = self.max_load {
                let l1: f64 = row.iter().map(|v| v.f64().abs()).sum();
                worst = worst.max(l1 - load);
            }
        }
        worst
    }
}

/// Keep at most `k` non-zero couplings per unit: pairs by decreasing |J| (ties: lower index
/// first), kept while both units have room.
fn prune_fan_in<R: Real>(j: &mut Array2<R>, k: usize) {
    let n = j.nrows();
    let mut pairs: Vec<(usize, usize)> = Vec::new();
    let mut any_over = false;
    for a in 0..n {
        let mut count = 0;
        for b in 0..n {
            if j[[a, b]] != R::of(0.0) {
                count += 1;
                if a < b {
                    pairs.push((a, b));
                }
            }
        }
        any_over |= count > k;
    }
    if !any_over {
        return;
    }
    pairs.sort_by(|&(a, b), &(c, d)| {
        j[[c, d]]
            .f64()
            .abs()
            .total_cmp(&j[[a, b]].f64().abs())
            .then((a, b).cmp(&(c, d)))
    });
    let mut room = vec![k; n];
    for (a, b) in pairs {
        if room[a] > 0 && room[b] > 0 {
            room[a] -= 1;
            room[b] -= 1;
        } else {
            j[[a, b]] = R::of(0.0);
            j[[b, a]] = R::of(0.0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{RngExt, SeedableRng};
    use rand_pcg::Pcg64;

    fn random(n: usize, seed: u64) -> (Array2<f32>, Array2<f32>) {
        let mut rng = Pcg64::seed_from_u64(seed);
        let j = Array2::from_shape_fn((n, n), |_| rng.random_range(-3.0f32..3.0));
        let mut mask = Array2::zeros((n, n));
        for a in 0..n {
            for b in a + 1..n {
                if rng.random_range(0.0..1.0) < 0.7 {
                    mask[[a, b]] = 1.0;
                    mask[[b, a]] = 1.0;
                }
            }
        }
        (j, mask)
    }

    /// Property: over random J, masks and limits, the projection satisfies every constraint
    /// exactly and is idempotent.
    #[test]
    fn projection_satisfies_every_constraint_and_is_idempotent() {
        let mut rng = Pcg64::seed_from_u64(7);
        for case in 0..300u64 {
            let n = rng.random_range(2..24usize);
            let (mut j, mask) = random(n, case);
            let c = Constraints::new(
                rng.random_bool(0.7).then(|| rng.random_range(0.05..2.0)),
                rng.random_bool(0.7).then(|| rng.random_range(1..n + 1)),
                rng.random_bool(0.7).then(|| rng.random_range(0.1..10.0)),
            )
            .unwrap();
            c.project(&mut j, mask.view());
            assert_eq!(
                c.violation(j.view(), mask.view()),
                0.0,
                "case {case}: {c:?}"
            );
            let once = j.clone();
            c.project(&mut j, mask.view());
            assert_eq!(j, once, "case {case}: not idempotent");
        }
    }

    /// A feasible matrix is left unchanged; an infeasible one is changed only where it must be.
    #[test]
    fn feasible_couplings_are_unchanged() {
        let mask = Array2::from_shape_fn((3, 3), |(a, b)| if a == b { 0.0 } else { 1.0 });
        let mut j = Array2::from_shape_vec(
            (3, 3),
            vec![0.0, 0.5, -0.25, 0.5, 0.0, 0.1, -0.25, 0.1, 0.0],
        )
        .unwrap();
        let c = Constraints::new(Some(0.5), Some(2), Some(0.75)).unwrap();
        let before = j.clone();
        c.project(&mut j, mask.view());
        assert_eq!(j, before);
        // Fan-in 1: the largest pair (0,1) survives, (0,2) and (1,2) lose their room.
        Constraints::new(None, Some(1), None)
            .unwrap()
            .project(&mut j, mask.view());
        assert_eq!(j[[0, 1]], 0.5);
        assert_eq!(j[[0, 2]], 0.0);
        assert_eq!(j[[1, 2]], 0.0);
    }

    /// Load: row 0 carries |2| + |2| = 4 > L = 1, so its pairs shrink by ¼ (to 0.5 each);
    /// row 1's pair with row 0 takes the smaller scale.
    #[test]
    fn load_scaling_uses_the_smaller_row_scale() {
        let mask = Array2::from_shape_fn((3, 3), |(a, b)| if a == b { 0.0 } else { 1.0 });
        let mut j: Array2<f64> =
            Array2::from_shape_vec((3, 3), vec![0.0, 2.0, 2.0, 2.0, 0.0, 0.0, 2.0, 0.0, 0.0])
                .unwrap();
        Constraints::new(None, None, Some(1.0))
            .unwrap()
            .project(&mut j, mask.view());
        assert!((j[[0, 1]] - 0.5).abs() < 1e-12, "{}", j[[0, 1]]);
        assert!((j[[2, 0]] - 0.5).abs() < 1e-12);
        assert!(j.row(0).iter().map(|v| v.abs()).sum::<f64>() <= 1.0);
    }

    #[test]
    fn nonsense_limits_are_refused() {
        assert_eq!(
            Constraints::new(Some(0.0), None, None),
            Err(ConstraintError::Range(0.0))
        );
        assert_eq!(
            Constraints::new(None, Some(0), None),
            Err(ConstraintError::FanIn)
        );
        assert!(Constraints::new(None, None, Some(f64::NAN)).is_err());
    }
}
