//! Training: the reverse-trajectory likelihood, optimizers, and the executor that runs a
//! training objective with checkpoints, progress and divergence checks.

pub mod aware;
pub mod balance;
pub mod checkpoint;
pub mod chip_nll;
pub mod codesign;
pub mod executor;
pub mod generative;
pub mod optim;
pub mod project;
pub mod reverse_nll;
pub mod run;
pub mod teacher_student;

pub use executor::{Evaluation, Executor, Objective, TrainState};
