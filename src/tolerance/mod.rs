//! Monte Carlo tolerance studies: how generation or classification degrades on real hardware.
//!
//! A study sweeps one non-ideality (bits, resistor tolerance, mismatch, …) over a list of
//! values. Every (value, chip) pair is a *task*: quantize the model, build its circuit on the
//! hardware profile, draw the chip's component deviations ([`perturb`]), compile the circuit
//! into the behavioral simulator and run it. A generative model generates samples, scored by
//! [`quality`]; a classifier classifies held-out digits with its inputs clamped, scored by
//! top-1/top-2 accuracy ([`table::Workload`]). Task 0 is the ideal reference (the unquantized
//! model on an ideal circuit).
//!
//! Tasks are independent and deterministic: their randomness comes only from (seed, chip)
//! streams, and each runs single-threaded, so results do not depend on the thread count, on
//! the order tasks finish in, on resuming, or on how the tasks are sharded over machines.
//!
//! Modules: [`sweep`] (the `--sweep` grammar), [`table`] (`tolerance.csv` rows), [`quality`]
//! (the generation metrics), [`chip`] (sampling on a drawn chip), [`judge`] (the digit classifier behind them), [`dir`] (a study
//! directory: `study.toml`, scheduling of a shard's tasks, merge of shards), [`report`]
//! (plots and the design-answer summary).

pub mod chip;
pub mod dir;
pub mod inputs;
pub mod judge;
pub mod quality;
pub mod report;
pub mod sweep;
pub mod table;

use crate::dynamics::sampler::Batch;
use crate::hardware::behavioral::Behavioral;
use crate::hardware::circuit::{self, CircuitError};
use crate::hardware::perturb::{perturb, Nonidealities, Spread};
use crate::hardware::profile::Profile;
use crate::hardware::quantize::{quantize_computer, quantize_vector, BitWidth, QuantSpec};
use crate::linalg::Parallelism;
use crate::metrics::label_ranks;
use crate::model::Computer;
use ndarray::{s, Array2, ArrayView2};
use quality::{mean_estimate, Estimate, Reference};
use std::fmt;
use std::ops::Range;
use std::str::FromStr;
use sweep::Sweep;
use table::{Row, Workload, CLASSES};

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

impl StudyError {
    /// A bad setting `field` (a flag or option), with what is wrong.
    pub fn setting(field: &str, message: String) -> Self {
        StudyError::Setting {
            field: field.into(),
            message,
        }
    }
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
    /// What the chips do (absent in studies written before classifiers: generation).
    #[serde(default)]
    pub workload: Workload,
    /// Fingerprint (FNV-1a, hex) of the model's params.npz and model.toml.
    pub model_fingerprint: String,
    /// Hardware profile name and the fingerprint of its file.
    pub hardware: String,
    /// The sweep, canonical `key=v1,v2,…`.
    pub sweep: String,
    /// Chips per condition.
    pub chips: usize,
    /// Samples generated per chip (generation), or held-out digits classified per chip
    /// (classification).
    pub samples: usize,
    /// Seed of chips, samples and bootstraps.
    pub seed: u64,
    /// Bit width when bits are not swept (None: full precision).
    pub bits: Option<u32>,
    /// True: only the swept non-ideality; false: the profile's tolerances as well.
    pub isolate: bool,
    /// Distribution of toleranced values.
    pub spread: Spread,
    /// Held-out noising trajectories scoring −ln P̃ (generation; 0 for a classifier).
    pub heldout: usize,
    /// Bootstrap resamples per metric.
    pub resamples: usize,
    /// Whether the digit classifier scores the samples (generation; false for a classifier).
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
    /// Model time of a run t_f (a generation, or an inference).
    pub t_final: f64,
    /// The hardware profile.
    pub profile: &'a Profile,
    /// Non-idealities every chip has besides the swept one.
    pub base: Nonidealities,
    /// How a chip is run and scored.
    pub scoring: &'a Scoring<'a>,
}

/// How a study's chips are run and scored.
pub enum Scoring<'a> {
    /// Generate samples from thermal equilibrium and score them.
    Generation {
        /// Training digits, metrics references and classifier.
        reference: Reference<'a>,
        /// Held-out noising trajectories [T+1, N].
        heldout: &'a [Array2<f32>],
        /// Units scored by the image metrics (the visible group).
        visible: Range<usize>,
    },
    /// Classify held-out digits: every row of `states` starts a trajectory.
    Classification {
        /// Initial states [D, N]: inputs clamped to the normalised digit, 0 elsewhere.
        states: ArrayView2<'a, f32>,
        /// The digits' labels.
        labels: &'a [u8],
        /// Input (clamped) units.
        input: Range<usize>,
        /// Output units.
        output: Range<usize>,
    },
}

impl Scoring<'_> {
    /// The workload this scoring belongs to.
    pub fn workload(&self) -> Workload {
        match self {
            Scoring::Generation { .. } => Workload::Generation,
            Scoring::Classification { .. } => Workload::Classification,
        }
    }
}

/// An error unless every value of `x` is finite.
fn finite(x: ArrayView2<'_, f32>, t: usize, task: Task) -> crate::Result<()> {
    if x.iter().all(|v| v.is_finite()) {
        return Ok(());
    }
    Err(crate::Error::ChipDiverged {
        task: format!("{t} ({task:?})"),
    })
}

/// What one chip is built and run with: its deviations, the bit width of its couplings and
/// biases, its parasitic inductance and the bit width of its input drives.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Condition {
    /// Component deviations drawn for the chip.
    pub nd: Nonidealities,
    /// Bit width of couplings and biases (None: full precision).
    pub bits: Option<u32>,
    /// Series inductance of every node's restoring branch [H] (None: RC nodes).
    pub inductance: Option<f64>,
    /// Bit width of the DACs driving clamped inputs (None: ideal drives).
    pub input_bits: Option<u32>,
}

/// Quantize input drive values in place, as DACs of `bits` bits sharing one full scale: the
/// largest |x| over all of them (every digit's drives), uniform and symmetric around 0.
fn quantize_drives(mut x: ndarray::ArrayViewMut2<'_, f32>, bits: BitWidth) -> crate::Result<()> {
    let flat = ndarray::Array1::from_iter(x.iter().copied());
    let (q, _) = quantize_vector(&flat, &QuantSpec::bits(bits))?;
    x.iter_mut().zip(q.iter()).for_each(|(v, &qv)| *v = qv);
    Ok(())
}

/// Top-1 and top-2 accuracy of classifier outputs [D, classes] on `labels`, each with its
/// bootstrap interval over the digits, and the top-1 accuracy on each class (None for a
/// class without digits).
fn accuracy(
    outputs: ArrayView2<'_, f32>,
    labels: &[u8],
    resamples: usize,
    seed: u64,
) -> (Vec<Option<Estimate>>, Vec<Option<f64>>) {
    let ranks = label_ranks(outputs, labels);
    let top = |k: usize, stream: u64| -> Estimate {
        let hit: Vec<f64> = ranks.iter().map(|&r| f64::from(u8::from(r < k))).collect();
        mean_estimate(&hit, resamples, seed + stream)
    };
    let recall = (0..CLASSES as u8)
        .map(|c| {
            let of_c: Vec<usize> = (0..labels.len()).filter(|&i| labels[i] == c).collect();
            (!of_c.is_empty())
                .then(|| of_c.iter().filter(|&&i| ranks[i] == 0).count() as f64 / of_c.len() as f64)
        })
        .collect();
    (vec![Some(top(1, 4)), Some(top(2, 5))], recall)
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

    /// The condition of a chip task (None for the ideal reference).
    pub fn condition(&self, task: Task) -> Option<Condition> {
        let Task::Chip { value, .. } = task else {
            return None;
        };
        let mut c = Condition {
            nd: self.base,
            bits: self.spec.bits,
            inductance: self.profile.inductance,
            input_bits: None,
        };
        self.sweep.key.apply(self.sweep.values[value], &mut c);
        Some(c)
    }

    /// The compiled circuit of a task.
    pub fn circuit(&self, task: Task) -> crate::Result<Behavioral<f32>> {
        let dt = self.model.physics.dt;
        // The ideal reference is built as designed; a chip gets its draw of deviations.
        let built = match (task, self.condition(task)) {
            (Task::Chip { chip, .. }, Some(c)) => chip_circuit(
                self.model,
                self.profile,
                &c,
                Some((self.spec.seed, chip as u64)),
            )?,
            _ => ideal_circuit(self.model, self.profile)?,
        };
        Behavioral::compile(&built, dt).map_err(|e| match e {
            CircuitError::Overloaded { .. } | CircuitError::OverCompensated { .. } => e.into(),
            other => CircuitError::InTask {
                task: format!("{task:?}"),
                source: Box::new(other),
            }
            .into(),
        })
    }

    /// Run task `t` single-threaded and score it.
    pub fn run_task(&self, t: usize) -> crate::Result<Row> {
        let task = self.task(t);
        let sim = self.circuit(task)?;
        let par = Parallelism::SEQUENTIAL;
        let steps = self.model.physics.steps(self.t_final);
        let (seed, resamples) = (self.spec.seed, self.spec.resamples);
        // Every chip starts from the same states with the same noise streams.
        let (metrics, classes) = match self.scoring {
            Scoring::Generation {
                reference,
                heldout,
                visible,
            } => {
                let mut batch = Batch::from_equilibrium(self.model, seed, 0, self.spec.samples);
                batch.run(&sim, steps, par, |_, _| {});
                let samples = batch.x.slice(s![.., visible.clone()]);
                finite(samples, t, task)?;
                let q = reference.quality(samples);
                let nll: Vec<f64> = heldout
                    .iter()
                    .map(|tr| sim.reverse_nll(tr.view(), par))
                    .collect();
                let nll = mean_estimate(&nll, resamples, seed + 3);
                (
                    vec![
                        Some(q.corr),
                        q.confident,
                        q.frechet,
                        Some(nll),
                        q.recognised,
                        Some(q.mixture),
                    ],
                    q.classes.into_iter().map(Some).collect(),
                )
            }
            Scoring::Classification {
                states,
                labels,
                input,
                output,
            } => {
                let mut x = states.to_owned();
                if let Some(b) = self.condition(task).and_then(|c| c.input_bits) {
                    quantize_drives(x.slice_mut(s![.., input.clone()]), BitWidth::new(b)?)?;
                }
                let mut batch = Batch::from_states(x, seed, 0);
                batch.run(&sim, steps, par, |_, _| {});
                let outputs = batch.x.slice(s![.., output.clone()]);
                finite(outputs, t, task)?;
                accuracy(outputs, labels, resamples, seed)
            }
        };
        let (value, chip) = match task {
            Task::Ideal => (None, 0),
            Task::Chip { value, chip } => (Some(self.sweep.values[value]), chip),
        };
        Ok(Row {
            task: t,
            value,
            chip,
            metrics,
            classes,
        })
    }
}

/// The circuit of a study's ideal reference: `model` unquantized on `profile` without
/// resistor-series snapping or inductance, and without deviations.
pub fn ideal_circuit(model: &Computer<f32>, profile: &Profile) -> crate::Result<circuit::Circuit> {
    let p = Profile {
        resistor_series: None,
        inductance: None,
        ..profile.clone()
    };
    Ok(circuit::build(model, &p)?)
}

/// The circuit of one chip: `model` quantized to `c.bits` (per tensor, as `export --bits`),
/// built on `profile` with `c.inductance`, and, with `draw = Some((seed, chip))`, the
/// deviations `c.nd` of chip `chip` of a study seeded `seed` ([`perturb`]); None: the nominal
/// chip (as designed). This is the one place a chip is drawn: tolerance studies, `sample
/// --hardware --chip K` and perturbation-aware training all call it.
pub fn chip_circuit(
    model: &Computer<f32>,
    profile: &Profile,
    c: &Condition,
    draw: Option<(u64, u64)>,
) -> crate::Result<circuit::Circuit> {
    let quantized;
    let computer = match c.bits {
        Some(b) => {
            quantized = quantize_computer(model, &QuantSpec::bits(BitWidth::new(b)?))?.0;
            &quantized
        }
        None => model,
    };
    let p = Profile {
        inductance: c.inductance,
        ..profile.clone()
    };
    let built = circuit::build(computer, &p)?;
    Ok(match draw {
        Some((seed, chip)) => perturb(&built, &c.nd, seed, chip),
        None => built,
    })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accuracy_counts_ranks_and_recall() {
        // Digit 0 right, digit 1 second-ranked, digit 1 right; no digit of classes 2…9.
        let out = ndarray::arr2(&[[0.9f32, 0.1, 0.0], [0.8, 0.5, 0.1], [0.0, 0.7, 0.2]]);
        let (m, recall) = accuracy(out.view(), &[0, 1, 1], 0, 1);
        let (top1, top2) = (m[0].unwrap(), m[1].unwrap());
        assert!((top1.value - 2.0 / 3.0).abs() < 1e-12 && top2.value == 1.0);
        assert_eq!(recall[..3], [Some(1.0), Some(0.5), None]);
        assert_eq!(recall.len(), CLASSES);
    }

    #[test]
    fn drives_share_one_full_scale() {
        // Full scale 1 (the largest |x| over all digits): 2 bits give {−1, 0, 1}, 3 bits
        // steps of 1/3.
        let x = ndarray::arr2(&[[-1.0f32, 0.2], [0.5, 0.9]]);
        let q = |b: u32| {
            let mut y = x.clone();
            quantize_drives(y.view_mut(), BitWidth::new(b).unwrap()).unwrap();
            y
        };
        assert_eq!(q(2), ndarray::arr2(&[[-1.0, 0.0], [1.0, 1.0]]));
        let third = 1.0f32 / 3.0;
        let q3 = q(3);
        for (v, e) in q3.iter().zip([-1.0, third, 2.0 * third, 1.0]) {
            assert!((v - e).abs() < 1e-6, "{q3}");
        }
    }
}
