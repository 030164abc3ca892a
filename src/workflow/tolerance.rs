//! `thermocad tolerance` and `thermocad merge`: load what a study scores against, run (a shard
//! of) its tasks with progress and resume ([`crate::tolerance::dir`] owns the study directory,
//! the scheduling and the merge), and write the report.

use crate::error::{io_err, Result};
use crate::hardware::perturb::{Nonidealities, Spread};
use crate::hardware::profile::load_profile;
use crate::linalg::Parallelism;
use crate::model::build::load_dir;
use crate::tolerance::dir::{self, STUDY_TOML, TOLERANCE_CSV};
use crate::tolerance::inputs::{self, Inputs, ScoringSource};
use crate::tolerance::sweep::{Sweep, SweepKey};
use crate::tolerance::table::{self, Workload};
use crate::tolerance::{fingerprint, report, Shard, Study, StudyError, StudySpec};
use indicatif::{ProgressBar, ProgressStyle};
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
    /// MNIST directory, digit classifier and held-out trajectories that score the chips.
    pub source: ScoringSource,
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
    /// Bootstrap resamples per metric.
    pub resamples: usize,
    /// A chip passes when every metric is within this fraction of the ideal.
    pub yield_threshold: f64,
    /// Show a progress bar.
    pub progress: bool,
    /// Write into an --out that already holds files other than this study's.
    pub force: bool,
}

/// Fewest bootstrap resamples that give a confidence interval.
pub const MIN_RESAMPLES: usize = 10;

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

/// Run (the shard's part of) a study, resuming what `job.out` already holds. A model with a
/// `[teach]` section is a classifier: its chips classify held-out digits; any other model
/// generates samples.
pub fn run(job: &ToleranceJob) -> Result<ToleranceSummary> {
    let (sweep, shard) = (&job.sweep, job.shard);
    let md = load_dir(&job.model)?;
    let profile = load_profile(&job.hardware)?;
    let workload = inputs::workload_of(&md);
    let samples = inputs::samples_per_chip(&md, &job.model, job.samples)?;
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
        model_fingerprint: dir::model_fingerprint(&job.model)?,
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
        heldout: if generation { job.source.heldout } else { 0 },
        resamples: job.resamples,
        classifier: generation && !job.source.no_classifier,
        yield_threshold: job.yield_threshold,
    };
    // Refuse another study's directory before any expensive work (the classifier).
    if !job.out.join(STUDY_TOML).exists() {
        crate::rundir::claim_dir(&job.out, job.force, "tolerance")?;
    }
    std::fs::create_dir_all(&job.out).map_err(io_err(&job.out))?;
    dir::claim(&job.out, &spec)?;

    let opts = job
        .source
        .options(&job.model, &job.out, job.seed, job.threads);
    let inputs = Inputs::load(&opts, &md, samples)?;
    let (scoring, t_final) = inputs.scoring(job.resamples, job.seed);
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
        scoring: &scoring,
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
        classifier_accuracy: inputs.classifier_accuracy(),
    })
}

/// `thermocad merge`: combine the shards `inputs` into `out` (see [`dir::merge`]).
pub fn merge(inputs: &[PathBuf], out: &Path, force: bool) -> Result<String> {
    dir::merge(inputs, out, force)
}
