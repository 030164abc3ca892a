//! What a study's chips are scored against, loaded once per run: a generative model's
//! training digits, held-out real digits, held-out noising trajectories and digit classifier,
//! or a classifier's held-out digits as clamped initial states. Shared by `tolerance` and
//! `design` (both score chips through [`super::Study::run_task`]).

use super::judge;
use super::quality::{Recognizer, Reference, REAL_PER_CLASS};
use super::table::Workload;
use super::{Scoring, StudyError};
use crate::classifier::classifier_inputs_of;
use crate::config::TeachSpec;
use crate::error::{Error, Result};
use crate::linalg::Parallelism;
use crate::model::build::ModelDir;
use crate::nn::Mlp;
use crate::train::generative::Generative;
use ndarray::{s, Array2, Axis};
use rayon::prelude::*;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// Samples generated per chip of a generative study unless `--samples` says otherwise.
pub const DEFAULT_SAMPLES: usize = 100;

/// Where the inputs come from.
#[derive(Clone, Debug)]
pub struct InputOptions<'a> {
    /// The model directory (named in errors).
    pub model: &'a Path,
    /// MNIST directory (for models trained on MNIST).
    pub data: Option<&'a Path>,
    /// The digit classifier's `.npz`: loaded when it exists, else trained and saved there.
    pub classifier: PathBuf,
    /// Score without a digit classifier (only |corr| and −ln P).
    pub no_classifier: bool,
    /// Seed of the digit classifier's training.
    pub seed: u64,
    /// Threads (0 = all cores) for loading.
    pub threads: usize,
    /// Held-out noising trajectories (generation).
    pub heldout: usize,
}

/// Where a run's scoring references come from: the flags `tolerance` and `design` share.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ScoringSource {
    /// MNIST directory (for models trained on MNIST).
    pub data: Option<PathBuf>,
    /// Digit classifier `.npz` scoring generated samples (None: the one cached in the run's
    /// directory as [`super::dir::CLASSIFIER_NPZ`], else trained there).
    pub classifier: Option<PathBuf>,
    /// Score generated samples without a digit classifier (only |corr|, mixtures and −ln P).
    pub no_classifier: bool,
    /// Held-out noising trajectories that score each chip's −ln P̃ (generation).
    pub heldout: usize,
}

impl ScoringSource {
    /// The input options of a run of `model` writing to `out`, seeded `seed`.
    pub fn options<'a>(
        &'a self,
        model: &'a Path,
        out: &Path,
        seed: u64,
        threads: usize,
    ) -> InputOptions<'a> {
        InputOptions {
            model,
            data: self.data.as_deref(),
            classifier: self
                .classifier
                .clone()
                .unwrap_or_else(|| out.join(super::dir::CLASSIFIER_NPZ)),
            no_classifier: self.no_classifier,
            seed,
            threads,
            heldout: self.heldout,
        }
    }
}

/// The workload of a model: a classifier (a `[teach]` section) or a generative model.
pub fn workload_of(md: &ModelDir) -> Workload {
    match md.config.teach {
        Some(_) => Workload::Classification,
        None => Workload::Generation,
    }
}

/// Samples (generation) or held-out digits (classifier) per chip: `samples`, else the default
/// (100, or all of a classifier's held-out digits); checked against what the model holds out.
pub fn samples_per_chip(md: &ModelDir, model: &Path, samples: Option<usize>) -> Result<usize> {
    let teach = md.config.teach.as_ref();
    let samples = match (samples, teach) {
        (Some(n), _) => n,
        (None, Some(t)) => t.test_images,
        (None, None) => DEFAULT_SAMPLES,
    };
    if samples < 2 {
        return Err(
            StudyError::setting("--samples", format!("must be at least 2, got {samples}")).into(),
        );
    }
    if let Some(t) = teach.filter(|t| samples > t.test_images) {
        return Err(StudyError::setting(
            "--samples",
            format!(
                "{samples} digits, but {} holds out only the last {} (teach.test_images)",
                model.display(),
                t.test_images
            ),
        )
        .into());
    }
    Ok(samples)
}

/// What a generative study scores samples against, loaded once.
pub struct GenerationInputs {
    /// The digit classifier and its held-out accuracy.
    net: Option<(Mlp, f64)>,
    /// Training digits (standardised).
    train: Array2<f32>,
    /// Their classes.
    labels: Vec<u8>,
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
pub enum Inputs {
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
    pub fn scoring(&self, resamples: usize, seed: u64) -> (Scoring<'_>, f64) {
        match self {
            Inputs::Generation(g) => (g.scoring(resamples, seed), g.t_final),
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
    fn load(job: &InputOptions<'_>, md: &ModelDir) -> Result<GenerationInputs> {
        let net = if job.no_classifier {
            None
        } else {
            Some(judge::load_or_train(
                &md.config,
                job.data,
                &job.classifier,
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
                path: job.model.to_path_buf(),
                why: "the model has no `visible` group".into(),
            })?;
        let train_set = crate::data::select::training_set(&cfg.data, job.data)?;
        let train = train_set.standardised();
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
        let real_set = crate::data::select::held_out_set(&cfg.data, job.data, per_class)?;
        let (real, real_labels) = (real_set.standardised(), real_set.labels);
        let classes = cfg.data.digits.len().max(1);
        let rows: Vec<usize> = (0..job.heldout)
            .map(|i| (i % classes) * per_class + i / classes)
            .collect();
        let held = real.select(Axis(0), &rows);
        let code = crate::model::prototypes::noising_code(
            cfg,
            (&md.computer, job.model),
            train.view(),
            &train_set.labels,
        )?;
        let held_labels: Vec<u8> = rows.iter().map(|&r| real_labels[r]).collect();
        let noising = Generative::with_code(&held, &held_labels, cfg, code.as_ref());
        // Trajectory ids far beyond any training run's: their noise streams were never
        // trained on.
        let heldout: Vec<_> = (0..job.heldout as u64)
            .into_par_iter()
            .map(|k| noising.trajectory(&md.computer, (1 << 40) + k, Parallelism::SEQUENTIAL))
            .collect();
        Ok(GenerationInputs {
            net,
            train,
            labels: train_set.labels,
            real,
            heldout,
            visible,
            t_final: cfg.noising.t_final,
        })
    }

    fn scoring(&self, resamples: usize, seed: u64) -> Scoring<'_> {
        Scoring::Generation {
            reference: Reference::new(
                self.train.view(),
                &self.labels,
                self.real.view(),
                self.net.as_ref().map(|(n, _)| n as &dyn Recognizer),
                resamples,
                seed,
            ),
            heldout: &self.heldout,
            visible: self.visible.clone(),
        }
    }
}

/// The held-out digits a classifier study classifies: the last `count` images of the model's
/// data set (inside its `teach.test_images` held-out block), as clamped initial states.
fn classification_inputs(
    job: &InputOptions<'_>,
    md: &ModelDir,
    teach: &TeachSpec,
    count: usize,
) -> Result<Inputs> {
    let all = crate::data::select::load_digits(&md.config.data, job.data)?;
    let set = all.slice(all.len().saturating_sub(count), all.len())?;
    let c = classifier_inputs_of(job.model, &md.computer, teach, &set, "its data set")?;
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

impl Inputs {
    /// Load the inputs of the model in `md` for `samples` per chip (generation: samples are
    /// generated, so only the references are loaded; classifier: the last `samples` digits).
    pub fn load(opts: &InputOptions<'_>, md: &ModelDir, samples: usize) -> Result<Inputs> {
        match &md.config.teach {
            None => Ok(Inputs::Generation(GenerationInputs::load(opts, md)?)),
            Some(t) => classification_inputs(opts, md, t, samples),
        }
    }

    /// Accuracy of the digit classifier on its held-out images (None without one).
    pub fn classifier_accuracy(&self) -> Option<f64> {
        match self {
            Inputs::Generation(g) => g.net.as_ref().map(|(_, a)| *a),
            Inputs::Classification { .. } => None,
        }
    }
}
