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

use crate::linalg::{gemm, Parallelism, Real};
use crate::model::{Computer, Params};
use ndarray::{s, Array2, ArrayView2, Axis, Zip};

/// Accumulates −ln P̃ and its gradient over trajectories. The coupling gradient is gathered
/// raw (upper blocks only, diagonal blocks unsymmetrised) and completed by [`Self::finish`].
pub struct ReverseNll<R> {
    raw: Params<R>,
    resid: Array2<R>,
    loss: f64,
    steps: usize,
}

impl<R: Real> ReverseNll<R> {
    /// An empty accumulator for N units.
    pub fn new(n: usize) -> Self {
        ReverseNll {
            raw: Params::zeros(n),
            resid: Array2::zeros((0, n)),
            loss: 0.0,
            steps: 0,
        }
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
        // r = (x − x′) + μΔt ∂V(x′)
        computer.grad_potential(later, self.resid.view_mut(), par);
        let ph = computer.physics;
        let mu_dt = R::of(ph.mu * ph.dt);
        Zip::from(&mut self.resid)
            .and(&earlier)
            .and(&later)
            .par_for_each(|r, &x, &xp| *r = (x - xp) + mu_dt * *r);
        let loss = self
            .resid
            .axis_iter(Axis(0))
            .map(|row| row.iter().map(|v| v.f64() * v.f64()).sum::<f64>())
            .sum::<f64>()
            / (4.0 * ph.mu * ph.kt * ph.dt);

        let c = R::of(1.0 / (2.0 * ph.kt));
        for (i, &rsum) in self
            .raw
            .b
            .iter_mut()
            .zip(self.resid.sum_axis(Axis(0)).iter())
        {
            *i += c * rsum;
        }
        let groups = computer.topology.groups();
        for &(a, b) in computer.topology.coupled_blocks() {
            let (ra, rb) = (groups[a].range.clone(), groups[b].range.clone());
            let mut g = self.raw.j.slice_mut(s![ra.clone(), rb.clone()]);
            // G_ab += R_aᵀ X′_b (the diagonal block is symmetrised in `finish`).
            gemm(
                g.view_mut(),
                true,
                self.resid.slice(s![.., ra.clone()]).t(),
                later.slice(s![.., rb.clone()]),
                c,
                par,
            );
            if a != b {
                // … + (R_bᵀ X′_a)ᵀ = X′_aᵀ R_b
                gemm(
                    g,
                    true,
                    later.slice(s![.., ra]).t(),
                    self.resid.slice(s![.., rb]),
                    c,
                    par,
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
        let mask = computer.topology.mask();
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
