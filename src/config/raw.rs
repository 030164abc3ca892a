//! The configuration file as written by users: TOML sections `[model]`, `[noising]`,
//! `[train]`, `[data]` (and `[teach]` for classifiers, `[hardware]` for hardware-aware training), every field optional with the default documented in docs/config.md.
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
    /// How couplings and biases start: `"random"` (J ~ N(0, init_scale²), zero biases; the
    /// paper's J = 0 when init_scale = 0) or `"prototypes"` (a winner-take-all potential whose
    /// minima are class prototypes of the training images; docs/generation.md).
    #[serde(skip_serializing_if = "is_random")]
    pub init: String,
    /// Prototypes per class for `init = "prototypes"` (default 1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prototypes_per_class: Option<usize>,
    /// Coupling energy between two prototype groups for `init = "prototypes"` (energy;
    /// default 3000).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prototype_gap: Option<f64>,
    /// What a prototype is for `init = "prototypes"`: `"mean"` (the standardised mean of its
    /// chunk of training images, the default) or `"medoid"` (the chunk's image closest to it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prototype_kind: Option<String>,
    /// Rounds of mode-weight balancing after training for `init = "prototypes"` (default 0;
    /// `train::balance`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prototype_balance_rounds: Option<usize>,
    /// Balance the prototype potential as built too, before training (default false).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prototype_balance_before: Option<bool>,
    /// Coupling blocks that training leaves where they start, as `"a-b"` group-name pairs
    /// (e.g. `"hidden-hidden"`; default none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub frozen_couplings: Vec<String>,
    /// A general layout (`[[model.groups]]`, in unit order); when given, it replaces
    /// `visible`, `hidden`, `connectivity`, `mask` and `trainable_biases`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<GroupSection>,
    /// Blocks of couplings between the groups of `groups` (`[[model.couplings]]`); pairs not
    /// listed are uncoupled.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub couplings: Vec<CouplingSection>,
}

/// `[[model.groups]]`: one group of units.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct GroupSection {
    /// Unique name (`teach` needs `input`, `hidden` and `output`).
    pub name: String,
    /// Number of units.
    pub size: usize,
    /// Clamped units hold their input values and never move (default false).
    #[serde(default)]
    pub clamped: bool,
    /// `[rows, cols]` of an image-shaped group (needed by `kind = "grid"` couplings).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shape: Option<[usize; 2]>,
    /// Whether the group's biases are trained (default: true for evolving groups, false for
    /// clamped ones, whose biases do not affect the dynamics).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trainable_bias: Option<bool>,
}

/// `[[model.couplings]]`: the couplings of one pair of groups (or of a group with itself).
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CouplingSection {
    /// The two group names (equal for couplings within a group).
    pub between: [String; 2],
    /// `"full"` (every pair, the default), `"grid"` (nearest neighbours of an image-shaped
    /// group with itself) or `"none"`.
    #[serde(default = "full")]
    pub kind: String,
}

fn is_random(s: &str) -> bool {
    s == "random"
}

fn full() -> String {
    "full".into()
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
            init: "random".into(),
            prototypes_per_class: None,
            prototype_gap: None,
            prototype_kind: None,
            prototype_balance_rounds: None,
            prototype_balance_before: None,
            frozen_couplings: Vec::new(),
            groups: Vec::new(),
            couplings: Vec::new(),
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
    /// `"copy"` (hidden unit a sees pixel a), `"random"` (Gaussian projection), `"none"`, or
    /// `"prototypes"` (the group code of `model.init = "prototypes"`).
    pub hidden_projection: String,
    /// Equilibration time with the full image bias before the fade (time).
    pub t_eq: f64,
    /// Duration t_f of the noising trajectory and of generation (time).
    pub t_final: f64,
    /// Fraction of t_f over which λ fades from 1 to 0.
    pub fade_fraction: f64,
    /// `"linear"`, `"cosine"` or `"exponential"`.
    pub schedule: String,
    /// The hidden biases keep their full strength for the whole trajectory (default false).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub hold_hidden: bool,
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
            hold_hidden: false,
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
    /// Which units' reverse steps the likelihood scores: `"all"` (the paper) or `"visible"`
    /// (the visible units' path given the hidden units'; docs/generation.md).
    #[serde(skip_serializing_if = "is_all")]
    pub scored: String,
}

fn is_all(s: &str) -> bool {
    s == "all"
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
            scored: "all".into(),
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

/// `[teach]`: teacher–student training of a classifier (`thermocad teach` / `classify`).
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct TeachSection {
    /// Training images: the first ones of the data set, from `data.offset`.
    pub train_images: usize,
    /// Held-out images: the last ones of the data set.
    pub test_images: usize,
    /// Observation time t_f (time); the prediction is the argmax of the outputs at t_f.
    pub t_final: f64,
    /// Teacher (tanh MLP, input → `hidden` group size → output group size) training epochs.
    pub teacher_epochs: usize,
    /// Teacher minibatch size.
    pub teacher_batch: usize,
    /// Teacher initial Adam step size (decays linearly to 0).
    pub teacher_learning_rate: f64,
    /// How a target sets the idealised bias: `"endpoint"` (path ends at the target at t_f) or
    /// `"bias"` (bias b⁰ = −target, the paper's proportional bias).
    pub target: String,
    /// Hidden target = hidden_scale · tanh activation.
    pub hidden_scale: f64,
    /// Output target = output_scale · (2p − 1), p the teacher's softmax probability.
    pub output_scale: f64,
    /// Common L2 norm of every standardised input image (default: the largest norm over the
    /// training images; recorded in the model).
    pub input_norm: Option<f64>,
    /// Held-out images scored (one trajectory each) at every checkpoint for the accuracy curve.
    pub eval_images: usize,
}

impl Default for TeachSection {
    fn default() -> Self {
        TeachSection {
            train_images: 8000,
            test_images: 2000,
            t_final: 0.2,
            teacher_epochs: 30,
            teacher_batch: 64,
            teacher_learning_rate: 1e-3,
            target: "endpoint".into(),
            hidden_scale: 3.0,
            output_scale: 2.0,
            input_norm: None,
            eval_images: 500,
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
    /// `[teach]` (classifier runs only)
    #[serde(skip_serializing_if = "Option::is_none")]
    pub teach: Option<TeachSection>,
    /// `[hardware]` (hardware-aware training only)
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hardware: Option<HardwareSection>,
}

/// `[hardware]`: the chip a model is trained for (`--hardware`, `--bits`; docs/codesign.md).
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct HardwareSection {
    /// Hardware profile (`hardware/*.toml`) whose realisability limits training enforces.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile: Option<PathBuf>,
    /// Bit width of couplings and biases on the chip (2..=32): training evaluates its loss on
    /// the parameters quantized as `export --bits` quantizes them (docs/codesign.md).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bits: Option<u32>,
    /// Evaluate every training trajectory on its own chip drawn from the profile's deviations
    /// (`--perturb`; default false).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub perturb: Option<bool>,
}
