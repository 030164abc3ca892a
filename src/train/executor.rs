//! The training executor: runs an [`Objective`] batch by batch, owns the optimizer, the
//! progress bar, divergence checks and checkpoint cadence. Objectives only say how to get a
//! loss and gradient for a range of trajectory indices.

use super::optim::Optimizer;
use crate::error::{Error, Result};
use crate::linalg::Parallelism;
use crate::model::{Computer, Params};
use indicatif::{ProgressBar, ProgressStyle};
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
}
