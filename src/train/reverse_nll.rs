//! Reverse-step negative log-likelihood of a trajectory and its exact gradient
//! (Whitelam 2025, eqs. 7 and 10–12).
//!
//! For a recorded trajectory x_0 … x_T (forward in time) the computer's probability of
//! generating the reverse step x_{k+1} → x_k is Gaussian, and
//! −ln P̃ = Σ_k Σ_i r_{k,i}² / (4 μ kT Δt),  r_{k,i} = −(x_{k+1,i} − x_{k,i}) + μ Δt ∂_iV(x_{k+1}),
//! with the force evaluated at the *later* point x′ = x_{k+1}. Its gradient is
//! ∂/∂J_ij = Σ_k (r_{k,i} x′_{k,j} + r_{k,j} x′_{k,i}) / (2 kT)   (one parameter per pair i<j),
//! ∂/∂b_i  = Σ_k r_{k,i} / (2 kT).
//! All steps of a trajectory are known in advance, so the forces and the gradient are
//! matrix–matrix products over the T steps, block by block over the coupled groups.
//!
//! The same accumulator scores *forward* trajectories (Whitelam, "Training thermodynamic
//! computers by gradient descent"): the Onsager–Machlup action of x_0 → … → x_T is
//! S = Σ_k Σ_i r_{k,i}² / (4 μ kT Δt),  r_{k,i} = (x_{k+1,i} − x_{k,i}) + μ Δt ∂_iV(x_k),
//! force at the *earlier* point, with the same gradient formulas where x′ is replaced by the
//! point p_k at which the force is evaluated: ∂S/∂θ = Σ_k Σ_i r_{k,i} ∂(∂_iV(p_k))/∂θ / (2 kT).
//! Clamped units do not evolve: their residuals are zero (they are not part of the path's
//! probability), and since they are constant along a trajectory their couplings' gradient
//! x_a ⊗ Σ_k r_k is a rank-one product.

use super::executor::Evaluation;
use crate::linalg::{gemm, Parallelism, Real};
use crate::model::{Computer, Params};
use ndarray::{s, Array2, ArrayView2, ArrayViewMut2, Axis, Zip};
use rayon::prelude::*;
use std::ops::Range;

/// Which path probability is scored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// The time reverse of a recorded trajectory (generative training; force at x_{k+1}).
    Reverse,
    /// The trajectory itself (teacher–student training; force at x_k).
    Forward,
}

/// Accumulates −ln P̃ and its gradient over trajectories. The coupling gradient is gathered
/// raw (upper blocks only, diagonal blocks unsymmetrised) and completed by [`Self::finish`].
pub struct ReverseNll<R> {
    direction: Direction,
    /// Evolving units whose steps are not scored ([`ReverseNll::unscore`]).
    unscored: Vec<Range<usize>>,
    raw: Params<R>,
    resid: Array2<R>,
    loss: f64,
    steps: usize,
}

impl<R: Real> ReverseNll<R> {
    /// An empty accumulator of reverse-path likelihoods for N units.
    pub fn new(n: usize) -> Self {
        Self::with_direction(n, Direction::Reverse)
    }

    /// An empty accumulator for N units scoring paths in `direction`.
    pub fn with_direction(n: usize, direction: Direction) -> Self {
        ReverseNll {
            direction,
            unscored: Vec::new(),
            raw: Params::zeros(n),
            resid: Array2::zeros((0, n)),
            loss: 0.0,
            steps: 0,
        }
    }

    /// Leave the steps of `units` out of the score: their residuals are zero, as those of
    /// clamped units, but they move along the trajectory as recorded. What is scored is then
    /// the probability of the other units' path given theirs (the Gaussian steps of different
    /// units are independent given the state, so it is the same sum without their terms).
    pub fn unscore(&mut self, units: Range<usize>) {
        self.unscored.push(units);
    }

    /// Add one trajectory `traj` [T+1, N] under `computer`; returns its −ln P̃.
    pub fn add(
        &mut self,
        computer: &Computer<R>,
        traj: ArrayView2<'_, R>,
        par: Parallelism,
    ) -> f64 {
        let t = traj.nrows() - 1;
        let later = traj.slice(s![1.., ..]);
        let earlier = traj.slice(s![..t, ..]);
        if self.resid.nrows() != t {
            self.resid = Array2::zeros((t, computer.n()));
        }
        // Reverse: r = (x − x′) + μΔt ∂V(x′); forward: r = (x′ − x) + μΔt ∂V(x).
        let (point, sign) = match self.direction {
            Direction::Reverse => (later, R::one()),
            Direction::Forward => (earlier, -R::one()),
        };
        computer.grad_potential_path(point, self.resid.view_mut(), par);
        let ph = computer.physics;
        let mu_dt = R::of(ph.mu * ph.dt);
        // One pass per step (row, in parallel): the residual, zero on clamped units, and the
        // row's Σ r² in f64; the rows' sums are then added in order, so the loss is the same
        // whatever the thread count.
        let groups = computer.topology.groups();
        let clamped: Vec<Range<usize>> = groups
            .iter()
            .filter(|g| g.clamped)
            .map(|g| g.range.clone())
            .chain(self.unscored.iter().cloned())
            .collect();
        let row_sums: Vec<f64> = self
            .resid
            .axis_iter_mut(Axis(0))
            .into_par_iter()
            .zip(earlier.axis_iter(Axis(0)).into_par_iter())
            .zip(later.axis_iter(Axis(0)).into_par_iter())
            .map(|((mut r, x), xp)| {
                Zip::from(&mut r)
                    .and(&x)
                    .and(&xp)
                    .for_each(|r, &x, &xp| *r = sign * (x - xp) + mu_dt * *r);
                for c in &clamped {
                    r.slice_mut(s![c.clone()]).fill(R::zero());
                }
                r.iter().map(|v| v.f64() * v.f64()).sum::<f64>()
            })
            .collect();
        let loss = row_sums.iter().sum::<f64>() / (4.0 * ph.mu * ph.kt * ph.dt);

        let c = R::of(1.0 / (2.0 * ph.kt));
        let rsum = self.resid.sum_axis(Axis(0));
        for (i, &r) in self.raw.b.iter_mut().zip(rsum.iter()) {
            *i += c * r;
        }
        let rsum = rsum.insert_axis(Axis(0));
        let first = point.slice(s![..1, ..]);
        // G_ab += c R_aᵀ P_b, as a rank-one product when group b is clamped (constant).
        let cross = |g: ArrayViewMut2<'_, R>, ra: Range<usize>, rb: Range<usize>, b_clamped| {
            if b_clamped {
                let (r, p) = (rsum.slice(s![.., ra]), first.slice(s![.., rb]));
                gemm(g, true, r.t(), p, c, par);
            } else {
                let (r, p) = (self.resid.slice(s![.., ra]), point.slice(s![.., rb]));
                gemm(g, true, r.t(), p, c, par);
            }
        };
        // A group whose residuals are all zero (clamped or unscored) adds nothing as output.
        let silent = |g: &crate::model::Group| {
            g.clamped
                || self
                    .unscored
                    .iter()
                    .any(|u| u.start <= g.range.start && g.range.end <= u.end)
        };
        for &(a, b) in computer.topology.coupled_blocks() {
            let (ga, gb) = (&groups[a], &groups[b]);
            let (silent_a, silent_b) = (silent(ga), silent(gb));
            let mut g = self.raw.j.slice_mut(s![ga.range.clone(), gb.range.clone()]);
            // R_aᵀ P_b (the diagonal block is symmetrised in `finish`); zero when a is silent.
            if !silent_a {
                cross(g.view_mut(), ga.range.clone(), gb.range.clone(), gb.clamped);
            }
            if a != b && !silent_b {
                // … + (R_bᵀ P_a)ᵀ
                cross(
                    g.reversed_axes(),
                    gb.range.clone(),
                    ga.range.clone(),
                    ga.clamped,
                );
            }
        }
        self.loss += loss;
        self.steps += t;
        loss
    }

    /// Total −ln P̃ added so far and the number of steps it covers.
    pub fn loss(&self) -> (f64, usize) {
        (self.loss, self.steps)
    }

    /// The gradient: symmetric, zero outside the mask and on the diagonal, bias gradient
    /// zero where biases are not trainable. Resets the accumulator.
    pub fn finish(&mut self, computer: &Computer<R>) -> Params<R> {
        let n = computer.n();
        let mut g = std::mem::replace(&mut self.raw, Params::zeros(n));
        self.loss = 0.0;
        self.steps = 0;
        let groups = computer.topology.groups();
        for &(a, b) in computer.topology.coupled_blocks() {
            let (ra, rb) = (groups[a].range.clone(), groups[b].range.clone());
            if a == b {
                let blk = g.j.slice(s![ra.clone(), ra.clone()]).to_owned();
                let mut dst = g.j.slice_mut(s![ra.clone(), ra]);
                dst.assign(&(&blk + &blk.t()));
            } else {
                let blk = g.j.slice(s![ra.clone(), rb.clone()]).to_owned();
                g.j.slice_mut(s![rb, ra]).assign(&blk.t());
            }
        }
        let mask = computer.topology.trainable_mask();
        Zip::from(&mut g.j).and(mask).par_for_each(|v, &m| {
            if m == 0.0 {
                *v = R::zero();
            }
        });
        Zip::from(&mut g.b)
            .and(computer.topology.bias_trainable())
            .for_each(|v, &t| {
                if !t {
                    *v = R::zero();
                }
            });
        g
    }
}

impl ReverseNll<f32> {
    /// Loss and gradient of a batch of trajectories: the gradient of the batch-mean loss,
    /// and the loss per scored unit (`units`) per step.
    pub fn batch(
        &mut self,
        computer: &Computer<f32>,
        trajs: &[Array2<f32>],
        units: usize,
        par: Parallelism,
    ) -> Evaluation {
        for t in trajs {
            self.add(computer, t.view(), par);
        }
        let (loss, steps) = self.loss();
        let mut grad = self.finish(computer);
        let inv = 1.0 / trajs.len().max(1) as f32;
        grad.j *= inv;
        grad.b *= inv;
        Evaluation {
            loss: loss / (steps as f64 * units.max(1) as f64),
            grad,
        }
    }
}
