//! Batched Langevin dynamics of a coupled computer: the generative sampler.
//!
//! Each step evaluates the coupling field of the whole batch as one matrix product per coupled
//! block (the dominant cost), then advances every row with its own noise stream in parallel.

use super::equilibrium::OnsiteEquilibrium;
use super::rng::{streams, Purpose};
use super::step::EulerMaruyama;
use crate::linalg::{Parallelism, Real};
use crate::model::{Computer, Sources};
use ndarray::{Array2, ArrayView2, Axis};
use rand_pcg::Pcg64;
use rayon::prelude::*;

/// A batch of trajectories in flight: states [B, N] and one noise stream per row.
pub struct Batch<R> {
    /// Current states, one row per trajectory.
    pub x: Array2<R>,
    rngs: Vec<Pcg64>,
    field: Array2<R>,
}

impl<R: Real> Batch<R> {
    /// Trajectories `first..first+count` of run `seed`, started from exact samples of the
    /// coupling-free, bias-free equilibrium (the "noise" a generation starts from).
    pub fn from_equilibrium(computer: &Computer<R>, seed: u64, first: u64, count: usize) -> Self {
        let n = computer.n();
        let eq = OnsiteEquilibrium::new(&computer.physics);
        let mut init = streams(seed, Purpose::SampleInit, first, count);
        let mut x = Array2::zeros((count, n));
        x.axis_iter_mut(Axis(0))
            .into_par_iter()
            .zip(init.par_iter_mut())
            .for_each(|(mut row, rng)| row.iter_mut().for_each(|v| *v = eq.sample(rng)));
        Self::from_states(x, seed, first)
    }

    /// Trajectories starting from given states [B, N], noise streams `first..first+B` of `seed`.
    pub fn from_states(x: Array2<R>, seed: u64, first: u64) -> Self {
        let rngs = streams(seed, Purpose::SampleNoise, first, x.nrows());
        let field = Array2::zeros(x.raw_dim());
        Batch { x, rngs, field }
    }

    /// Run `steps` Euler–Maruyama steps of `computer`; `observe(k, x)` sees the state after
    /// step k (1-based) and is called after every step.
    pub fn run(
        &mut self,
        computer: &Computer<R>,
        steps: usize,
        par: Parallelism,
        mut observe: impl FnMut(usize, ArrayView2<'_, R>),
    ) {
        let em = EulerMaruyama::<R>::new(&computer.physics);
        // b plus the field of the clamped units, which never move: computed once.
        let offset = computer.clamped_offset(self.x.view(), par);
        let evolving: Vec<std::ops::Range<usize>> = computer
            .topology
            .groups()
            .iter()
            .filter(|g| !g.clamped)
            .map(|g| g.range.clone())
            .collect();
        for k in 1..=steps {
            computer.coupling_field_from(
                self.x.view(),
                self.field.view_mut(),
                false,
                Sources::Evolving,
                par,
            );
            self.x
                .axis_iter_mut(Axis(0))
                .into_par_iter()
                .zip(self.field.axis_iter(Axis(0)))
                .zip(offset.axis_iter(Axis(0)))
                .zip(self.rngs.par_iter_mut())
                .for_each(|(((mut row, h), off), rng)| {
                    let xs = row.as_slice_mut().expect("contiguous rows");
                    for r in &evolving {
                        let o = r.start;
                        em.advance(&mut xs[r.clone()], |i| h[o + i] + off[o + i], rng);
                    }
                });
            observe(k, self.x.view());
        }
    }
}
