//! `thermocad tolerance` and `thermocad merge`: load what a study scores against, run (a shard
//! of) its tasks with progress and resume ([`crate::tolerance::dir`] owns the study directory,
//! the scheduling and the merge), and write the report.

use crate::classifier::classifier_inputs_of;
use crate::config::TeachSpec;
use crate::error::{io_err, Error, Result};
use crate::hardware::perturb::{Nonidealities, Spread};
use crate::hardware::profile::load_profile;
use crate::linalg::Parallelism;
use crate::model::build::{load_dir, ModelDir};
use crate::nn::Mlp;
use crate::tolerance::dir::{self, CLASSIFIER_NPZ, STUDY_TOML, TOLERANCE_CSV};
use crate::tolerance::judge;
use crate::tolerance::quality::{Recognizer, Reference};
use crate::tolerance::sweep::{Sweep, SweepKey};
use crate::tolerance::table::{self, Workload};
use crate::tolerance::{fingerprint, report, Scoring, Shard, Study, StudyError, StudySpec};
use crate::train::generative::Generative;
use indicatif::{ProgressBar, ProgressStyle};
use ndarray::{s, Array2, Axis};
use rayon::prelude::*;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// A tolerance study.
#[derive(Clone, Debug)]
pub struct ToleranceJob {
    /// Trained model directory.
    pub model: PathBuf,
    /// Hardware profile (e.g. hardware/gm-c.toml).
    pub hardware: PathBuf,
    /// What to sweep (`--sweep`, parsed).
    pub sweep: Sweep,
    /// Chips (independent draws of the deviations) per swept value.
    pub chips: usize,
    /// Samples generated per chip (default 100); for a classifier, held-out digits classified
    /// per chip (default: all of its held-out digits, `teach.test_images`).
    pub samples: Option<usize>,
    /// Seed of chips, samples and bootstraps.
    pub seed: u64,
    /// MNIST directory (for models trained on MNIST).
    pub data: Option<PathBuf>,
    /// Output directory (resumes the study already in it).
    pub out: PathBuf,
    /// The slice of the tasks this run owns (`--shard K/M`; [`Shard::ALL`] for the whole
    /// study); combine shards with `thermocad merge`.
    pub shard: Shard,
    /// Threads (0 = all cores); chips run in parallel, each single-threaded.
    pub threads: usize,
    /// Bit width of couplings and biases when bits are not swept (default: full precision).
    pub bits: Option<u32>,
    /// Only the swept non-ideality (default: the profile's tolerances, buffer errors and
    /// mismatch apply as well).
    pub isolate: bool,
    /// Distribution of toleranced values within ±tol.
    pub spread: Spread,
    /// Held-out noising trajectories that score each chip's −ln P̃.
    pub heldout: usize,
    /// Bootstrap resamples per metric.
    pub resamples: usize,
    /// A chip passes when every metric is within this fraction of the ideal.
    pub yield_threshold: f64,
    /// Digit classifier scoring the samples (`.npz` written by an earlier study); default: the
    /// one cached in --out, else trained there (MNIST test images 0..8000 for MNIST models,
    /// synthetic digits 0–9 otherwise).
    pub classifier: Option<PathBuf>,
    /// Score without a digit classifier (only |corr| and −ln P).
    pub no_classifier: bool,
    /// Show a progress bar.
    pub progress: bool,
    /// Write into an --out that already holds files other than this study's.
    pub force: bool,
}

/// Fewest bootstrap resamples that give a confidence interval.
pub const MIN_RESAMPLES: usize = 10;

/// Samples generated per chip of a generative study unless `--samples` says otherwise.
const DEFAULT_SAMPLES: usize = 100;

/// Held-out real digits per class that the Fréchet distance compares samples with.
const REAL_PER_CLASS: usize = 100;

/// What a run of (a shard of) a study did.
pub struct ToleranceSummary {
    /// Tasks this shard owns.
    pub owned: usize,
    /// Of which already done before this run (resumed).
    pub resumed: usize,
    /// The design-answer summary (None for a shard of a larger study).
    pub summary: Option<String>,
    /// Accuracy of the digit classifier on its held-out images (None without one).
    pub classifier_accuracy: Option<f64>,
}

fn setting(field: &str, message: String) -> Error {
    StudyError::setting(field, message).into()
}

/// What a generative study scores samples against, loaded once.
struct GenerationInputs {
    /// The digit classifier and its held-out accuracy.
    net: Option<(Mlp, f64)>,
    /// Training digits (standardised).
    train: Array2<f32>,
    /// Held-out real digits of the training classes (standardised).
    real: Array2<f32>,
    /// Held-out noising trajectories.
    heldout: Vec<Array2<f32>>,
    /// The visible units.
    visible: Range<usize>,
    /// Generation time t_f.
    t_final: f64,
}

/// What a study's chips are run on, loaded once per run.
enum Inputs {
    /// A generative model's references.
    Generation(GenerationInputs),
    /// A classifier's held-out digits.
    Classification {
        /// Initial states [D, N], inputs clamped to the digits.
        states: Array2<f32>,
        /// The digits' labels.
        labels: Vec<u8>,
        /// Input (clamped) units.
        input: Range<usize>,
        /// Output units.
        output: Range<usize>,
        /// Observation time t_f.
        t_final: f64,
    },
}

impl Inputs {
    /// How the chips are scored, and the model time of one run.
    fn scoring(&self, job: &ToleranceJob) -> (Scoring<'_>, f64) {
        match self {
            Inputs::Generation(g) => (g.scoring(job), g.t_final),
            Inputs::Classification {
                states,
                labels,
                input,
                output,
                t_final,
            } => (
                Scoring::Classification {
                    states: states.view(),
                    labels,
                    input: input.clone(),
                    output: output.clone(),
                },
                *t_final,
            ),
        }
    }
}

impl GenerationInputs {
    fn load(job: &ToleranceJob, md: &ModelDir) -> Result<GenerationInputs> {
        let net = if job.no_classifier {
            None
        } else {
            let cached = job
                .classifier
                .clone()
                .unwrap_or_else(|| job.out.join(CLASSIFIER_NPZ));
            Some(judge::load_or_train(
                &md.config,
                job.data.as_deref(),
                &cached,
                job.seed,
                Parallelism::new(job.threads),
            )?)
        };
        let cfg = &md.config;
        let visible = md
            .computer
            .topology
            .group("visible")
            .map(|g| g.range.clone())
            .ok_or_else(|| Error::Model {
                path: job.model.clone(),
                why: "the model has no `visible` group".into(),
            })?;
        let train =
            crate::data::select::training_set(&cfg.data, job.data.as_deref())?.standardised();
        if train.ncols() != visible.len() {
            return Err(Error::Mismatch {
                what: job.model.display().to_string(),
                why: format!(
                    "the model has {} visible units but its training images have {} pixels",
                    visible.len(),
                    train.ncols()
                ),
            });
        }
        // Real digits never trained on: the first ones score −ln P, all of them are the
        // Fréchet reference.
        let per_class = job
            .heldout
            .div_ceil(cfg.data.digits.len().max(1))
            .max(REAL_PER_CLASS);
        let real = crate::data::select::held_out_set(&cfg.data, job.data.as_deref(), per_class)?
            .standardised();
        let classes = cfg.data.digits.len().max(1);
        let rows: Vec<usize> = (0..job.heldout)
            .map(|i| (i % classes) * per_class + i / classes)
            .collect();
        let held = real.select(Axis(0), &rows);
        let noising = Generative::new(&held, cfg.model.hidden, cfg.noising.clone(), cfg.train.seed);
        // Trajectory ids far beyond any training run's: their noise streams were never
        // trained on.
        let heldout: Vec<_> = (0..job.heldout as u64)
            .into_par_iter()
            .map(|k| noising.trajectory(&md.computer, (1 << 40) + k))
            .collect();
        Ok(GenerationInputs {
            net,
            train,
            real,
            heldout,
            visible,
            t_final: cfg.noising.t_final,
        })
    }

    fn scoring(&self, job: &ToleranceJob) -> Scoring<'_> {
        Scoring::Generation {
            reference: Reference::new(
                self.train.view(),
                self.real.view(),
                self.net.as_ref().map(|(n, _)| n as &dyn Recognizer),
                job.resamples,
                job.seed,
            ),
            heldout: &self.heldout,
            visible: self.visible.clone(),
        }
    }
}

/// The held-out digits a classifier study classifies: the last `count` images of the model's
/// data set (inside its `teach.test_images` held-out block), as clamped initial states.
fn classification_inputs(
    job: &ToleranceJob,
    md: &ModelDir,
    teach: &TeachSpec,
    count: usize,
) -> Result<Inputs> {
    let all = crate::data::select::load_digits(&md.config.data, job.data.as_deref())?;
    let set = all.slice(all.len().saturating_sub(count), all.len())?;
    let c = classifier_inputs_of(&job.model, &md.computer, teach, &set, "its data set")?;
    let mut states = Array2::<f32>::zeros((set.len(), md.computer.n()));
    states.slice_mut(s![.., c.input.clone()]).assign(&c.inputs);
    Ok(Inputs::Classification {
        states,
        labels: set.labels,
        input: c.input,
        output: c.output,
        t_final: teach.t_final,
    })
}

/// Run (the shard's part of) a study, resuming what `job.out` already holds. A model with a
/// `[teach]` section is a classifier: its chips classify held-out digits; any other model
/// generates samples.
pub fn run(job: &ToleranceJob) -> Result<ToleranceSummary> {
    let (sweep, shard) = (&job.sweep, job.shard);
    let md = load_dir(&job.model)?;
    let profile = load_profile(&job.hardware)?;
    let teach = md.config.teach.clone();
    let workload = match teach {
        Some(_) => Workload::Classification,
        None => Workload::Generation,
    };
    let samples = match (job.samples, &teach) {
        (Some(n), _) => n,
        (None, Some(t)) => t.test_images,
        (None, None) => DEFAULT_SAMPLES,
    };
    if samples < 2 {
        return Err(setting(
            "--samples",
            format!("must be at least 2, got {samples}"),
        ));
    }
    if let Some(t) = teach.as_ref().filter(|t| samples > t.test_images) {
        return Err(setting(
            "--samples",
            format!(
                "{samples} digits, but {} holds out only the last {} (teach.test_images)",
                job.model.display(),
                t.test_images
            ),
        ));
    }
    let n = md.computer.n() as f64;
    let threads = std::thread::available_parallelism().map_or(2, |p| p.get()) as f64;
    crate::limits::memory(
        &format!("--samples {samples} of a {n:.0}-unit chip"),
        samples as f64 * n * 4.0 * 4.0 * threads,
    )?;
    let generation = workload == Workload::Generation;
    if generation && sweep.key == SweepKey::InputBits {
        return Err(StudyError::Sweep(format!(
            "input_bits: {} has no clamped inputs (input_bits applies to classifiers)",
            job.model.display()
        ))
        .into());
    }
    let spec = StudySpec {
        workload,
        model_fingerprint: fingerprint([
            dir::read_bytes(&job.model.join("params.npz"))?.as_slice(),
            dir::read_bytes(&job.model.join("model.toml"))?.as_slice(),
        ]),
        hardware: format!(
            "{} {}",
            profile.name,
            fingerprint([dir::read_bytes(&job.hardware)?.as_slice()])
        ),
        sweep: sweep.to_string(),
        chips: job.chips,
        samples,
        seed: job.seed,
        bits: job.bits,
        isolate: job.isolate,
        spread: job.spread,
        heldout: if generation { job.heldout } else { 0 },
        resamples: job.resamples,
        classifier: generation && !job.no_classifier,
        yield_threshold: job.yield_threshold,
    };
    // Refuse another study's directory before any expensive work (the classifier).
    if !job.out.join(STUDY_TOML).exists() {
        crate::rundir::claim_dir(&job.out, job.force, "tolerance")?;
    }
    std::fs::create_dir_all(&job.out).map_err(io_err(&job.out))?;
    dir::claim(&job.out, &spec)?;

    let inputs = match &teach {
        None => Inputs::Generation(GenerationInputs::load(job, &md)?),
        Some(t) => classification_inputs(job, &md, t, samples)?,
    };
    let (scoring, t_final) = inputs.scoring(job);
    let base = if job.isolate {
        Nonidealities::none()
    } else {
        Nonidealities::from_profile(&profile)
    };
    let base = Nonidealities {
        spread: job.spread,
        ..base
    };
    let study = Study {
        spec: spec.clone(),
        sweep: sweep.clone(),
        model: &md.computer,
        t_final,
        profile: &profile,
        base,
        scoring,
    };

    let csv = job.out.join(TOLERANCE_CSV);
    let done = table::read(&csv, workload)?;
    let (owned, todo) = dir::pending(&spec, sweep, shard, &done);
    let resumed = owned.len() - todo.len();
    let bar = if job.progress {
        ProgressBar::new(owned.len() as u64)
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template("{elapsed_precise} [{bar:30}] {pos}/{len} chips, eta {eta}")
            .expect("static template")
            .progress_chars("=> "),
    );
    bar.set_position(resumed as u64);
    let rows = dir::run_tasks(
        &study,
        &todo,
        done,
        &csv,
        Parallelism::new(job.threads),
        || bar.inc(1),
    )?;
    bar.finish_and_clear();
    let summary = if shard.is_all() {
        Some(report::write(
            &job.out,
            sweep,
            workload,
            &rows,
            spec.yield_threshold,
            &dir::title(&spec),
        )?)
    } else {
        None
    };
    Ok(ToleranceSummary {
        owned: owned.len(),
        resumed,
        summary,
        classifier_accuracy: match &inputs {
            Inputs::Generation(g) => g.net.as_ref().map(|(_, a)| *a),
            Inputs::Classification { .. } => None,
        },
    })
}

/// `thermocad merge`: combine the shards `inputs` into `out` (see [`dir::merge`]).
pub fn merge(inputs: &[PathBuf], out: &Path, force: bool) -> Result<String> {
    dir::merge(inputs, out, force)
}
