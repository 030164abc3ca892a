//! The configuration file as written by users: TOML sections `[model]`, `[noising]`,
//! `[train]`, `[data]`, every field optional with the default documented in docs/config.md.
//! Unknown fields are rejected. [`super::check`] turns it into a validated [`super::Config`].

use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// `[model]`: the computer.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct ModelSection {
    /// Visible units Nv (default: the data set's pixel count).
    pub visible: Option<usize>,
    /// Hidden units Nh.
    pub hidden: usize,
    /// Quadratic on-site coefficient J2 (energy).
    pub j2: f64,
    /// Quartic on-site coefficient J4 (energy), ≥ 0.
    pub j4: f64,
    /// Mobility μ (1 / (energy · time)).
    pub mu: f64,
    /// Thermal energy kT (energy).
    pub kt: f64,
    /// Euler–Maruyama time step Δt (time).
    pub dt: f64,
    /// `"vh-hh"` (visible–hidden + hidden–hidden), `"full"`, or `"custom"` (with `mask`).
    pub connectivity: String,
    /// Path of a symmetric 0/1 [N, N] .npy mask, for `connectivity = "custom"`.
    pub mask: Option<PathBuf>,
    /// Groups whose biases are trained: any of `"visible"`, `"hidden"`.
    pub trainable_biases: Vec<String>,
    /// Standard deviation of the initial couplings (energy); 0 starts from J = 0 as the paper.
    pub init_scale: f64,
}

impl Default for ModelSection {
    fn default() -> Self {
        ModelSection {
            visible: None,
            hidden: 512,
            j2: 1.0,
            j4: 1.0,
            mu: 1.0,
            kt: 0.1,
            dt: 1e-3,
            connectivity: "vh-hh".into(),
            mask: None,
            trainable_biases: vec!["hidden".into()],
            init_scale: 0.0,
        }
    }
}

/// `[noising]`: the protocol that turns training images into noise.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct NoisingSection {
    /// Bias scale s: visible bias b_i = −s·λ·P_i (energy per standardised pixel).
    pub bias_scale: f64,
    /// Multiplier of the hidden units' projected bias relative to s.
    pub hidden_scale: f64,
    /// `"copy"` (hidden unit a sees pixel a), `"random"` (Gaussian projection), `"none"`.
    pub hidden_projection: String,
    /// Equilibration time with the full image bias before the fade (time).
    pub t_eq: f64,
    /// Duration t_f of the noising trajectory and of generation (time).
    pub t_final: f64,
    /// Fraction of t_f over which λ fades from 1 to 0.
    pub fade_fraction: f64,
    /// `"linear"`, `"cosine"` or `"exponential"`.
    pub schedule: String,
}

impl Default for NoisingSection {
    fn default() -> Self {
        NoisingSection {
            bias_scale: 2.0,
            hidden_scale: 1.0,
            hidden_projection: "random".into(),
            t_eq: 2.5,
            t_final: 2.5,
            fade_fraction: 0.75,
            schedule: "linear".into(),
        }
    }
}

/// `[train]`: gradient descent on the reverse-trajectory likelihood.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct TrainSection {
    /// Number of noising trajectories to train on.
    pub trajectories: u64,
    /// Trajectories per optimizer step.
    pub batch: usize,
    /// `"adam"` or `"sgd"`.
    pub optimizer: String,
    /// Step size η (energy per unit gradient; the gradient is summed over a trajectory's steps
    /// and averaged over the batch).
    pub learning_rate: f64,
    /// SGD momentum in [0, 1).
    pub momentum: f64,
    /// Adam β1 in [0, 1).
    pub beta1: f64,
    /// Adam β2 in [0, 1).
    pub beta2: f64,
    /// Adam ε.
    pub eps: f64,
    /// Write a checkpoint every this many trajectories.
    pub checkpoint_every: u64,
    /// Seed of every random stream of the run.
    pub seed: u64,
    /// Threads (0 = all cores).
    pub threads: usize,
}

impl Default for TrainSection {
    fn default() -> Self {
        TrainSection {
            trajectories: 300,
            batch: 1,
            optimizer: "adam".into(),
            learning_rate: 2e-3,
            momentum: 0.0,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            checkpoint_every: 50,
            seed: 1,
            threads: 0,
        }
    }
}

/// `[data]`: which images to train on.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct DataSection {
    /// `"synthetic"` (embedded, no files) or `"mnist"` (IDX files under `path`).
    pub source: String,
    /// Directory of the IDX files (overridden by `--data`; default `../shared/data/mnist` or
    /// the THERMOCAD_MNIST environment variable).
    pub path: Option<PathBuf>,
    /// Digit classes to train on.
    pub digits: Vec<u8>,
    /// Images per class (the first ones at or after `offset`).
    pub per_class: usize,
    /// Index of the first image considered.
    pub offset: usize,
    /// Seed of the synthetic data set.
    pub synthetic_seed: u64,
}

impl Default for DataSection {
    fn default() -> Self {
        DataSection {
            source: "synthetic".into(),
            path: None,
            digits: vec![0, 1, 2],
            per_class: 1,
            offset: 0,
            synthetic_seed: 7,
        }
    }
}

/// A whole configuration file.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct RawConfig {
    /// `[model]`
    pub model: ModelSection,
    /// `[noising]`
    pub noising: NoisingSection,
    /// `[train]`
    pub train: TrainSection,
    /// `[data]`
    pub data: DataSection,
}
