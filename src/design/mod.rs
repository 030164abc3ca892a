//! Design-space search: which chip (hardware profile values and bit width) meets a yield
//! target at the lowest energy per sample or area, and what the Pareto front around it is.
//!
//! A *design* is a point of a grid ([`space`]): values of numeric profile fields (dotted TOML
//! paths) and the bit width of the couplings and biases. Every design is evaluated as a
//! tolerance study with one condition: chip k of every design is chip k of
//! [`crate::tolerance::Study`] (the same (seed, k) deviation stream and the same sample and
//! noise streams: common random numbers), scored by the study's own metrics against the ideal
//! reference. The cost of a design ([`cost`]) is its area (Σ over the circuit IR's elements)
//! and its energy per sample (the circuit's energy ledger over the sample time). [`search`]
//! decides which designs get more chips (successive halving); [`dir`] stores the evaluations
//! (resume, shards, merge); [`report`] writes `designs.csv`, `pareto.png`, `best.toml` and
//! `summary.md`. The method and its correctness argument: docs/design.md.

pub mod cost;
pub mod dir;
pub mod report;
pub mod search;
pub mod space;
pub mod target;

/// Invalid design settings; each message names the flag.
#[derive(Debug, thiserror::Error)]
pub enum DesignError {
    /// A `--space` that cannot be run.
    #[error("--space {0}")]
    Space(String),
    /// A `--target` that cannot be parsed or does not fit the model.
    #[error("--target {0}")]
    Target(String),
    /// Another flag.
    #[error("{flag} {why}")]
    Flag {
        /// The flag.
        flag: &'static str,
        /// What is wrong.
        why: String,
    },
    /// A directory holds another design search, or shards disagree.
    #[error("{path}: {why}")]
    Mismatch {
        /// The directory or file.
        path: String,
        /// What differs.
        why: String,
    },
}
