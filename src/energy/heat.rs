//! The ideal thermodynamic cost of generation.
//!
//! A sample starts in the coupling-free equilibrium and runs the trained dynamics for t_f at
//! constant parameters, so no work is done on it and the heat it emits to the bath is the
//! drop of its potential, Q = V(x(0)) − V(x(t_f)) (model energy units; divided by the
//! model's kT it is in kT). Along the path the same heat is the sum of Stratonovich
//! increments dQ = −∇V(x̄)·dx with x̄ the midpoint of each step, equal to Q up to the
//! discretisation error of the integrator ([`StratonovichHeat`]).

use crate::dynamics::sampler::{Batch, Dynamics};
use crate::linalg::{Parallelism, Real};
use crate::model::Computer;
use ndarray::{Array1, Array2, ArrayView2, Zip};

/// Trajectories run at once by `sample` and `energy` (bounds memory; results do not depend on
/// it).
pub const CHUNK: usize = 1000;

/// Run trajectories `0..n` in batches of at most `chunk` rows and return the heat of every
/// trajectory, Q = V(x(0)) − V(x(t_f)), in kT (the parameters are constant along the path,
/// so no work is done and the potential drop is the heat). `start(first, count)` builds the
/// batch of trajectories `first..first+count`; it then runs `steps` steps of `dynamics` (the
/// ideal computer `c` itself, or e.g. a chip's behavioral simulator), and the heat is measured
/// with the potential of `c`. `observe(first, k, x)` sees the batch's states after step k (k = 0: the initial states),
/// `finish(first, x)` its final states. Every row's arithmetic is independent of the batch
/// it runs in, so `chunk` bounds memory without changing any result.
#[allow(clippy::too_many_arguments)]
pub fn run_chunked<R: Real>(
    c: &Computer<R>,
    dynamics: &impl Dynamics<R>,
    n: usize,
    chunk: usize,
    steps: usize,
    par: Parallelism,
    mut start: impl FnMut(usize, usize) -> Batch<R>,
    mut observe: impl FnMut(usize, usize, ArrayView2<'_, R>),
    mut finish: impl FnMut(usize, ArrayView2<'_, R>),
) -> Vec<f64> {
    let mut heat = Vec::with_capacity(n);
    for first in (0..n).step_by(chunk.max(1)) {
        let mut batch = start(first, chunk.min(n - first));
        let e0 = c.energy(batch.x.view(), par);
        observe(first, 0, batch.x.view());
        batch.run(dynamics, steps, par, |k, x| observe(first, k, x));
        let e1 = c.energy(batch.x.view(), par);
        heat.extend(
            e0.iter()
                .zip(e1.iter())
                .map(|(a, b)| (a - b) / c.physics.kt),
        );
        finish(first, batch.x.view());
    }
    heat
}

/// The batches a generation starts from, for [`run_chunked`]: trajectories
/// `first..first+count` of run `seed`, each from an exact sample of the coupling-free
/// equilibrium of `c` ([`Batch::from_equilibrium`]). With [`CHUNK`] rows per batch this is how
/// `sample` and `energy` generate: samples `0..n` of run `seed`, their heat measured with the
/// potential of `c`.
pub fn from_equilibrium<R: Real>(
    c: &Computer<R>,
    seed: u64,
) -> impl FnMut(usize, usize) -> Batch<R> + '_ {
    move |first, count| Batch::from_equilibrium(c, seed, first as u64, count)
}

/// Running sum of Stratonovich heat increments, −∇V((x_prev + x)/2)·(x − x_prev) per row
/// (model energy units), for the potential of the computer passed at each step (which may
/// change between steps, e.g. a time-dependent bias).
pub struct StratonovichHeat<R> {
    prev: Array2<R>,
    mid: Array2<R>,
    grad: Array2<R>,
    /// Heat emitted so far by each row [model energy units].
    pub heat: Array1<f64>,
}

impl<R: Real> StratonovichHeat<R> {
    /// Start from the states `x0` [B, N].
    pub fn new(x0: ArrayView2<'_, R>) -> Self {
        StratonovichHeat {
            prev: x0.to_owned(),
            mid: Array2::zeros(x0.raw_dim()),
            grad: Array2::zeros(x0.raw_dim()),
            heat: Array1::zeros(x0.nrows()),
        }
    }

    /// Add the step from the previous states to `x` under the potential of `c`.
    pub fn step(&mut self, c: &Computer<R>, x: ArrayView2<'_, R>, par: Parallelism) {
        let half = R::of(0.5);
        Zip::from(&mut self.mid)
            .and(&self.prev)
            .and(&x)
            .for_each(|m, &a, &b| *m = (a + b) * half);
        c.grad_potential(self.mid.view(), self.grad.view_mut(), par);
        Zip::from(&mut self.heat)
            .and(self.grad.rows())
            .and(self.prev.rows())
            .and(x.rows())
            .for_each(|q, g, a, b| {
                let mut dq = 0.0f64;
                for ((&g, &a), &b) in g.iter().zip(a.iter()).zip(b.iter()) {
                    dq -= g.f64() * (b.f64() - a.f64());
                }
                *q += dq;
            });
        self.prev.assign(&x);
    }
}
