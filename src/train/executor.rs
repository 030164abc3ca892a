//! The training executor: runs an [`Objective`] batch by batch, owns the optimizer, the
//! progress bar, divergence checks and checkpoint cadence. Objectives only say how to get a
//! loss and gradient for a range of trajectory indices.

use super::optim::Optimizer;
use super::project::Constraints;
use super::reverse_nll::ReverseNll;
use crate::error::{Error, Result};
use crate::linalg::Parallelism;
use crate::model::{Computer, Params};
use indicatif::{ProgressBar, ProgressStyle};
use ndarray::Array2;
use rayon::prelude::*;
use std::ops::Range;

/// Loss and gradient of one batch.
pub struct Evaluation {
    /// Mean loss per unit and per step (dimensionless, in units of −ln P).
    pub loss: f64,
    /// Gradient of the batch-mean per-trajectory loss with respect to J and b.
    pub grad: Params<f32>,
}

/// A training problem.
pub trait Objective {
    /// Loss and gradient of trajectories `ids` (global indices: the same index always means
    /// the same data and the same noise, whatever the batch or a resume).
    fn evaluate(
        &mut self,
        computer: &Computer<f32>,
        ids: Range<u64>,
        par: Parallelism,
    ) -> Result<Evaluation>;
}

/// An objective whose data are trajectories scored by an Onsager–Machlup action
/// ([`ReverseNll`]): generative training and teacher–student training differ only in how
/// the trajectory of a global index is built and which units are scored.
pub trait TrajectoryObjective: Sync {
    /// The trajectory [T+1, N] of global index `id`, generated on `par`'s threads (the same
    /// numbers whatever their count).
    fn trajectory_of(&self, computer: &Computer<f32>, id: u64, par: Parallelism) -> Array2<f32>;
    /// Number of units whose action is scored (the loss is per scored unit and step).
    fn scored_units(&self, computer: &Computer<f32>) -> usize;
    /// The loss and gradient accumulator.
    fn action(&mut self) -> &mut ReverseNll<f32>;
}

impl<T: TrajectoryObjective> Objective for T {
    fn evaluate(
        &mut self,
        computer: &Computer<f32>,
        ids: Range<u64>,
        par: Parallelism,
    ) -> Result<Evaluation> {
        let this = &*self;
        let trajs: Vec<Array2<f32>> = if par.threads() > 1 {
            ids.into_par_iter()
                .map(|id| this.trajectory_of(computer, id, par))
                .collect()
        } else {
            ids.map(|id| this.trajectory_of(computer, id, par))
                .collect()
        };
        let units = self.scored_units(computer);
        Ok(self.action().batch(computer, &trajs, units, par))
    }
}

/// Everything a run needs to continue: model, optimizer state, progress and loss history.
#[derive(Clone, Debug)]
pub struct TrainState {
    /// The computer being trained.
    pub computer: Computer<f32>,
    /// Optimizer and its moments.
    pub optimizer: Optimizer<f32>,
    /// Trajectories consumed so far.
    pub done: u64,
    /// (trajectories done, batch loss per unit per step) after every optimizer step.
    pub history: Vec<(u64, f64)>,
}

/// How a run proceeds.
#[derive(Clone, Copy, Debug)]
pub struct Executor {
    /// Total trajectories.
    pub total: u64,
    /// Trajectories per optimizer step.
    pub batch: usize,
    /// Checkpoint period (trajectories).
    pub checkpoint_every: u64,
    /// Threads.
    pub par: Parallelism,
    /// Draw a progress bar (on a terminal).
    pub progress: bool,
    /// Realisability constraints projected onto J (within the topology's mask) before the
    /// first step and after every optimizer step; None trains exactly as without them.
    pub constraints: Option<Constraints>,
}

/// A loss this many times the best one so far counts as a divergence.
const BLOW_UP: f64 = 1e3;

impl Executor {
    /// Train until `state.done == total`. `checkpoint` is called every `checkpoint_every`
    /// trajectories and at the end, only with finite, non-diverged states.
    pub fn run(
        &self,
        objective: &mut dyn Objective,
        state: &mut TrainState,
        checkpoint: &mut dyn FnMut(&TrainState) -> Result<()>,
    ) -> Result<()> {
        let bar = if self.progress {
            ProgressBar::new(self.total)
        } else {
            ProgressBar::hidden()
        };
        bar.set_style(
            ProgressStyle::with_template(
                "{elapsed_precise} [{bar:30}] {pos}/{len} trajectories, eta {eta} {msg}",
            )
            .expect("static template")
            .progress_chars("=> "),
        );
        bar.set_position(state.done);
        self.project(state);
        let mut best = state
            .history
            .iter()
            .map(|h| h.1)
            .fold(f64::INFINITY, f64::min);
        while state.done < self.total {
            let end = (state.done + self.batch as u64).min(self.total);
            let ids = state.done..end;
            let ev = objective.evaluate(&state.computer, ids.clone(), self.par)?;
            let diverged = |what: String| Error::Diverged {
                trajectory: ids.start,
                what,
            };
            if !ev.loss.is_finite() || !ev.grad.is_finite() {
                return Err(diverged(format!("loss = {}", ev.loss)));
            }
            if ev.loss > BLOW_UP * best {
                return Err(diverged(format!(
                    "loss grew from {best:.4} to {:.4e}",
                    ev.loss
                )));
            }
            best = best.min(ev.loss);
            state.optimizer.step(&mut state.computer.params, &ev.grad);
            self.project(state);
            if !state.computer.params.is_finite() {
                return Err(diverged("a parameter became non-finite".into()));
            }
            let before = state.done;
            state.done = end;
            state.history.push((end, ev.loss));
            bar.set_position(end);
            bar.set_message(format!("loss {:.4}", ev.loss));
            let period = self.checkpoint_every;
            if end / period != before / period || end == self.total {
                checkpoint(state)?;
            }
        }
        bar.finish_and_clear();
        Ok(())
    }

    /// Apply the constraints, if any, to the couplings of `state` (idempotent).
    fn project(&self, state: &mut TrainState) {
        if let Some(c) = &self.constraints {
            let computer = &mut state.computer;
            c.project(&mut computer.params.j, computer.topology.mask().view());
        }
    }
}
