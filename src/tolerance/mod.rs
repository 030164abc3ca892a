//! Monte Carlo tolerance studies: how generation degrades on real hardware.
//!
//! A study sweeps one non-ideality (bits, resistor tolerance, mismatch, …) over a list of
//! values. Every (value, chip) pair is a *task*: quantize the model, build its circuit on the
//! hardware profile, draw the chip's component deviations ([`perturb`]), compile the circuit
//! into the behavioral simulator and generate samples from it; the samples are scored by
//! [`quality`]. Task 0 is the ideal reference (the unquantized model on an ideal circuit).
//!
//! Tasks are independent and deterministic: their randomness comes only from (seed, chip)
//! streams, and each runs single-threaded, so results do not depend on the thread count, on
//! the order tasks finish in, on resuming, or on how the tasks are sharded over machines.

pub mod quality;
pub mod report;
pub mod sweep;
pub mod table;

use crate::dynamics::sampler::Batch;
use crate::hardware::behavioral::Behavioral;
use crate::hardware::circuit::{self, CircuitError};
use crate::hardware::perturb::{perturb, Nonidealities, Spread};
use crate::hardware::profile::Profile;
use crate::hardware::quantize::{quantize_computer, BitWidth, QuantSpec};
use crate::linalg::Parallelism;
use crate::model::Computer;
use ndarray::{s, Array2};
use quality::{mean_estimate, Reference};
use std::fmt;
use std::str::FromStr;
use sweep::Sweep;
use table::Row;

/// Invalid study settings; each message names the setting.
#[derive(Debug, thiserror::Error)]
pub enum StudyError {
    /// A `--sweep` that cannot be run.
    #[error("--sweep {0}")]
    Sweep(String),
    /// A `--shard K/M` outside 1 ≤ K ≤ M.
    #[error("--shard {0}")]
    Shard(String),
    /// Another setting (chips, samples, threshold, …).
    #[error("{field}: {message}")]
    Setting {
        /// The option.
        field: String,
        /// What is wrong.
        message: String,
    },
    /// Results in a directory belong to another study.
    #[error("{path}: {why}")]
    Mismatch {
        /// The directory or file.
        path: String,
        /// What differs.
        why: String,
    },
}

/// The K-th of M deterministic slices of a study's tasks (1 ≤ K ≤ M).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    k: usize,
    m: usize,
}

impl Shard {
    /// The whole study.
    pub const ALL: Shard = Shard { k: 1, m: 1 };

    /// Shard `k` of `m`.
    pub fn new(k: usize, m: usize) -> Result<Shard, StudyError> {
        if m == 0 || k == 0 || k > m {
            return Err(StudyError::Shard(format!(
                "{k}/{m}: need 1 ≤ K ≤ M (K is 1-based, e.g. --shard 1/4 … 4/4)"
            )));
        }
        Ok(Shard { k, m })
    }

    /// Whether task `t` belongs to this shard (tasks are dealt round-robin).
    pub fn owns(&self, t: usize) -> bool {
        t % self.m == self.k - 1
    }

    /// True for the unsharded study.
    pub fn is_all(&self) -> bool {
        self.m == 1
    }
}

impl FromStr for Shard {
    type Err = StudyError;
    fn from_str(s: &str) -> Result<Shard, StudyError> {
        let parse = |x: &str| {
            x.trim()
                .parse::<usize>()
                .map_err(|_| StudyError::Shard(format!("`{s}`: expected K/M, e.g. 2/8")))
        };
        let (k, m) = s
            .split_once('/')
            .ok_or_else(|| StudyError::Shard(format!("`{s}`: expected K/M, e.g. 2/8")))?;
        Shard::new(parse(k)?, parse(m)?)
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.k, self.m)
    }
}

/// What defines a study's results; written to `study.toml`, and compared when a run resumes
/// or shards are merged.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StudySpec {
    /// Fingerprint (FNV-1a, hex) of the model's params.npz and model.toml.
    pub model_fingerprint: String,
    /// Hardware profile name and the fingerprint of its file.
    pub hardware: String,
    /// The sweep, canonical `key=v1,v2,…`.
    pub sweep: String,
    /// Chips per condition.
    pub chips: usize,
    /// Samples generated per chip.
    pub samples: usize,
    /// Seed of chips, samples and bootstraps.
    pub seed: u64,
    /// Bit width when bits are not swept (None: full precision).
    pub bits: Option<u32>,
    /// True: only the swept non-ideality; false: the profile's tolerances as well.
    pub isolate: bool,
    /// Distribution of toleranced values.
    pub spread: Spread,
    /// Held-out noising trajectories scoring −ln P̃.
    pub heldout: usize,
    /// Bootstrap resamples per metric.
    pub resamples: usize,
    /// Whether the digit classifier scores the samples.
    pub classifier: bool,
    /// A chip passes when a metric is within this fraction of the ideal.
    pub yield_threshold: f64,
}

impl StudySpec {
    /// Number of tasks: the ideal reference plus values × chips.
    pub fn tasks(&self, sweep: &Sweep) -> usize {
        1 + sweep.values.len() * self.chips
    }
}

/// Everything a study needs, loaded and validated.
pub struct Study<'a> {
    /// The defining settings.
    pub spec: StudySpec,
    /// The swept parameter.
    pub sweep: Sweep,
    /// The trained model (full precision).
    pub model: &'a Computer<f32>,
    /// Model time of a generation t_f.
    pub t_final: f64,
    /// The hardware profile.
    pub profile: &'a Profile,
    /// Non-idealities every chip has besides the swept one.
    pub base: Nonidealities,
    /// Training digits, metrics references and classifier.
    pub reference: Reference<'a>,
    /// Held-out noising trajectories [T+1, N].
    pub heldout: &'a [Array2<f32>],
    /// Units scored by the image metrics (the visible group).
    pub visible: std::ops::Range<usize>,
}

/// What a task is.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Task {
    /// The unquantized model on an ideal circuit.
    Ideal,
    /// Chip `chip` at the sweep's value number `value`.
    Chip { value: usize, chip: usize },
}

impl Study<'_> {
    /// Task number `t`.
    pub fn task(&self, t: usize) -> Task {
        if t == 0 {
            Task::Ideal
        } else {
            Task::Chip {
                value: (t - 1) / self.spec.chips,
                chip: (t - 1) % self.spec.chips,
            }
        }
    }

    /// The compiled circuit of a task.
    pub fn circuit(&self, task: Task) -> crate::Result<Behavioral<f32>> {
        let dt = self.model.physics.dt;
        // The ideal reference is built as designed; a chip gets its draw of deviations.
        let (computer, profile, draw) = match task {
            Task::Ideal => {
                let p = Profile {
                    resistor_series: None,
                    inductance: None,
                    ..self.profile.clone()
                };
                (self.model.clone(), p, None)
            }
            Task::Chip { value, chip } => {
                let mut nd = self.base;
                let mut bits = self.spec.bits;
                let mut inductance = self.profile.inductance;
                self.sweep.key.apply(
                    self.sweep.values[value],
                    &mut nd,
                    &mut bits,
                    &mut inductance,
                );
                let computer = match bits {
                    Some(b) => {
                        quantize_computer(self.model, &QuantSpec::bits(BitWidth::new(b)?))?.0
                    }
                    None => self.model.clone(),
                };
                let p = Profile {
                    inductance,
                    ..self.profile.clone()
                };
                (computer, p, Some((nd, chip)))
            }
        };
        let mut built = circuit::build(&computer, &profile)?;
        if let Some((nd, chip)) = draw {
            built = perturb(&built, &nd, self.spec.seed, chip as u64);
        }
        Behavioral::compile(&built, dt).map_err(|e| match e {
            CircuitError::Invalid(m) => {
                CircuitError::Invalid(format!("{m} (task {task:?})")).into()
            }
            other => other.into(),
        })
    }

    /// Run task `t` single-threaded and score it.
    pub fn run_task(&self, t: usize) -> crate::Result<Row> {
        let task = self.task(t);
        let sim = self.circuit(task)?;
        let par = Parallelism::SEQUENTIAL;
        // Every chip starts from the same thermal noise with the same noise streams.
        let mut batch = Batch::from_equilibrium(self.model, self.spec.seed, 0, self.spec.samples);
        let steps = self.model.physics.steps(self.t_final);
        batch.run(&sim, steps, par, |_, _| {});
        let samples = batch.x.slice(s![.., self.visible.clone()]);
        if samples.iter().any(|v| !v.is_finite()) {
            return Err(crate::Error::Invalid(format!(
                "task {t} ({task:?}): the simulated circuit diverged (non-finite node voltages)"
            )));
        }
        let q = self.reference.quality(samples);
        let nll: Vec<f64> = self
            .heldout
            .iter()
            .map(|tr| sim.reverse_nll(tr.view(), par))
            .collect();
        let nll = mean_estimate(&nll, self.spec.resamples, self.spec.seed + 3);
        let (value, chip) = match task {
            Task::Ideal => (None, 0),
            Task::Chip { value, chip } => (Some(self.sweep.values[value]), chip),
        };
        Ok(Row {
            task: t,
            value,
            chip,
            corr: q.corr,
            confident: q.confident,
            frechet: q.frechet,
            nll,
            classes: q.classes,
        })
    }
}

/// FNV-1a 64-bit hash of some byte strings, as 16 hex digits: a file fingerprint.
pub fn fingerprint<'b>(parts: impl IntoIterator<Item = &'b [u8]>) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for &b in part {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    format!("{h:016x}")
}
