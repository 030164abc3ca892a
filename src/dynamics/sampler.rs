//! Batched Langevin dynamics: the generative sampler of the ideal computer and of any other
//! [`Dynamics`] (the behavioral circuit simulator).
//!
//! Each step evaluates the coupling field as one matrix product per coupled block (the
//! dominant cost), then advances every row with its own noise stream. With more than one
//! thread the batch is cut into one contiguous slice of rows per thread, and each thread runs
//! the whole step on its slice — its products single-threaded, then its rows' updates — so a
//! step synchronises once, not once per product and once per update, and the coupling
//! matrix is read while the slice's states are still in cache. faer gives every row of a
//! product the same summation order whatever the number of rows (`linalg`), so a
//! trajectory's numbers do not depend on the thread count or on the batch.

use super::equilibrium::OnsiteEquilibrium;
use super::noise::Normals;
use super::philox::NormalStream;
use super::rng::{normal_streams, streams, Purpose};
use super::step::{Drive, EulerMaruyama};
use crate::linalg::{Parallelism, Real};
use crate::model::{Computer, FieldPart, Sources};
use ndarray::{s, Array2, ArrayView2, ArrayViewMut2, Axis};
use rayon::prelude::*;

/// A stochastic system the batched sampler integrates: a non-local field computed for the
/// whole batch at once (matrix products), and a per-row update that uses it.
pub trait Dynamics<R: Real>: Sync {
    /// Number of state variables per row (units).
    fn n(&self) -> usize;

    /// Number of auxiliary state variables per row (e.g. inductor currents), 0 by default.
    fn aux_len(&self) -> usize {
        0
    }

    /// A per-run constant [B, N] added to the field, computed once from the starting states
    /// (e.g. biases plus the field of clamped units); [B, 0] (the default) for none.
    fn offset(&self, x: ArrayView2<'_, R>, _par: Parallelism) -> Array2<R> {
        Array2::zeros((x.nrows(), 0))
    }

    /// The non-local field of each row of `x` [B, N] into `out` [B, N].
    fn field(&self, x: ArrayView2<'_, R>, out: ArrayViewMut2<'_, R>, par: Parallelism);

    /// Advance one row (its state and auxiliary state) by one step, given the row's field at
    /// the start of the step and its offset row. Draws one normal per evolving unit from
    /// `noise`, in unit order.
    fn advance<N: Normals>(&self, row: RowStep<'_, R>, noise: &mut N);
}

/// One row of a batch during one step, as [`Dynamics::advance`] sees it.
pub struct RowStep<'a, R> {
    /// The row's state [N], advanced in place.
    pub x: &'a mut [R],
    /// Its auxiliary state [A] (e.g. inductor currents), advanced in place.
    pub aux: &'a mut [R],
    /// Its non-local field at the start of the step [N].
    pub field: &'a [R],
    /// Its row of [`Dynamics::offset`] ([N], or empty for none).
    pub offset: &'a [R],
}

impl<R: Real> Dynamics<R> for Computer<R> {
    fn n(&self) -> usize {
        Computer::n(self)
    }

    /// b plus the field of the clamped units, which never move.
    fn offset(&self, x: ArrayView2<'_, R>, par: Parallelism) -> Array2<R> {
        self.clamped_offset(x, par)
    }

    fn field(&self, x: ArrayView2<'_, R>, out: ArrayViewMut2<'_, R>, par: Parallelism) {
        self.coupling_field(x, out, FieldPart::of(Sources::Evolving), par);
    }

    fn advance<N: Normals>(&self, row: RowStep<'_, R>, noise: &mut N) {
        let RowStep {
            x, field, offset, ..
        } = row;
        let em = EulerMaruyama::<R>::new(&self.physics);
        for g in self.topology.groups().iter().filter(|g| !g.clamped) {
            let r = g.range.clone();
            em.advance(
                &mut x[r.clone()],
                Drive::Sum(&field[r.clone()], &offset[r]),
                noise,
            );
        }
    }
}

/// A batch of trajectories in flight: states [B, N] and one noise source per row (a Philox
/// stream by default; [`crate::dynamics::noise::HeldNormals`] replays a deck's noise).
pub struct Batch<R, N = NormalStream> {
    /// Current states, one row per trajectory.
    pub x: Array2<R>,
    /// Auxiliary states [B, A] of the dynamics (empty for the ideal computer).
    pub aux: Array2<R>,
    rngs: Vec<N>,
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
        let rngs = normal_streams(seed, Purpose::SampleNoise, first, x.nrows());
        let field = Array2::zeros(x.raw_dim());
        let aux = Array2::zeros((x.nrows(), 0));
        Batch {
            x,
            aux,
            rngs,
            field,
        }
    }
}

impl<R: Real, N: Normals> Batch<R, N> {
    /// Trajectories starting from given states [B, N], row r drawing its normals from
    /// `noise[r]`.
    pub fn with_noise(x: Array2<R>, noise: Vec<N>) -> Self {
        assert_eq!(x.nrows(), noise.len(), "one noise source per row");
        let field = Array2::zeros(x.raw_dim());
        let aux = Array2::zeros((x.nrows(), 0));
        Batch {
            x,
            aux,
            rngs: noise,
            field,
        }
    }

    /// Run `steps` Euler–Maruyama steps of `dynamics`; `observe(k, x)` sees the state after
    /// step k (1-based) and is called after every step. Auxiliary states start at zero.
    pub fn run<D: Dynamics<R>>(
        &mut self,
        dynamics: &D,
        steps: usize,
        par: Parallelism,
        mut observe: impl FnMut(usize, ArrayView2<'_, R>),
    ) {
        if self.aux.ncols() != dynamics.aux_len() {
            self.aux = Array2::zeros((self.x.nrows(), dynamics.aux_len()));
        }
        let offset = dynamics.offset(self.x.view(), par);
        let rows = self.x.nrows();
        // One contiguous slice of rows per thread (at least one row each).
        let slice = rows.div_ceil(par.threads().max(1)).max(1);
        let seq = Parallelism::SEQUENTIAL;
        let step = |mut x: ArrayViewMut2<'_, R>,
                    mut aux: ArrayViewMut2<'_, R>,
                    mut h: ArrayViewMut2<'_, R>,
                    off: ArrayView2<'_, R>,
                    rngs: &mut [N]| {
            dynamics.field(x.view(), h.view_mut(), seq);
            let has_offset = off.ncols() > 0;
            for (r, ((mut row, mut a), rng)) in x
                .axis_iter_mut(Axis(0))
                .zip(aux.axis_iter_mut(Axis(0)))
                .zip(rngs.iter_mut())
                .enumerate()
            {
                let step = RowStep {
                    x: row.as_slice_mut().expect("contiguous rows"),
                    aux: a.as_slice_mut().expect("contiguous rows"),
                    field: h.row(r).to_slice().expect("contiguous rows"),
                    offset: if has_offset {
                        off.row(r).to_slice().expect("contiguous rows")
                    } else {
                        &[]
                    },
                };
                dynamics.advance(step, rng);
            }
        };
        for k in 1..=steps {
            let (x, aux, h, off) = (&mut self.x, &mut self.aux, &mut self.field, &offset);
            let parts = x
                .axis_chunks_iter_mut(Axis(0), slice)
                .zip(aux.axis_chunks_iter_mut(Axis(0), slice))
                .zip(h.axis_chunks_iter_mut(Axis(0), slice))
                .zip(self.rngs.chunks_mut(slice))
                .enumerate();
            // The offset's rows of slice i ([B, 0] offsets have none to slice).
            let off_of = |i: usize| {
                if off.ncols() > 0 {
                    off.slice(s![i * slice..((i + 1) * slice).min(rows), ..])
                } else {
                    off.view()
                }
            };
            if par.threads() > 1 && rows > 1 {
                parts
                    .collect::<Vec<_>>()
                    .into_par_iter()
                    .for_each(|(i, (((x, a), h), r))| step(x, a, h, off_of(i), r));
            } else {
                parts.for_each(|(i, (((x, a), h), r))| step(x, a, h, off_of(i), r));
            }
            observe(k, self.x.view());
        }
    }
}
