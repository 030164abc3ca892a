//! `thermocad train`: generative training with checkpoints and resume.

use super::training_set;
use crate::config::{Config, RawConfig};
use crate::error::{Error, Result};
use crate::io::write_csv;
use crate::linalg::Parallelism;
use crate::model::build::{self, RunResult};
use crate::model::Computer;
use crate::report::plot::{Figure, LineChart, Series};
use crate::train::checkpoint;
use crate::train::codesign;
use crate::train::generative::Generative;
use crate::train::optim::Optimizer;
use crate::train::{Executor, TrainState};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// A training job.
pub struct TrainJob {
    /// Validated configuration (with `--set` overrides applied).
    pub config: Config,
    /// `--data`: directory of the MNIST files.
    pub data_dir: Option<PathBuf>,
    /// Output directory.
    pub out: PathBuf,
    /// Continue from `out/checkpoint.npz`.
    pub resume: bool,
    /// Start over in an `out` that already holds a model or run (removes its checkpoint).
    pub force: bool,
    /// Draw a progress bar.
    pub progress: bool,
}

/// What a finished training job reports.
#[derive(Clone, Debug)]
pub struct TrainSummary {
    /// Trajectories trained in total.
    pub trajectories: u64,
    /// Final loss (mean of the last 10 % of steps), per unit per step.
    pub final_loss: f64,
    /// First recorded loss.
    pub first_loss: f64,
    /// Wall time of this invocation, seconds.
    pub seconds: f64,
    /// Number of training images.
    pub images: usize,
}

/// Settings that a checkpoint must share with the run that resumes it.
pub(super) fn fingerprint(raw: &RawConfig) -> String {
    let mut r = raw.clone();
    r.train.trajectories = 0;
    r.train.checkpoint_every = 0;
    r.train.threads = 0;
    r.data.path = None;
    toml::to_string(&r).unwrap_or_default()
}

/// Run a training job.
pub fn run(job: TrainJob) -> Result<TrainSummary> {
    let start = Instant::now();
    let cfg = &job.config;
    let constraints = codesign::constraints(cfg.hardware.as_ref(), &cfg.model.physics)?;
    claim_run(&job)?;
    let digits = training_set(&cfg.data, job.data_dir.as_deref())?;
    let visible = cfg.model.visible.unwrap_or(digits.pixels());
    if visible != digits.pixels() {
        return Err(Error::Invalid(format!(
            "model.visible = {visible} but the training images have {} pixels",
            digits.pixels()
        )));
    }
    let mut raw = cfg.raw.clone();
    raw.model.visible = Some(visible);
    if let Some(d) = &job.data_dir {
        raw.data.path = Some(d.clone());
    }
    std::fs::create_dir_all(&job.out).map_err(crate::error::io_err(&job.out))?;
    let ckpt = job.out.join(checkpoint::FILE);
    let computer = build::build(&cfg.model, visible, cfg.train.seed)?;
    if computer.n() != visible + cfg.model.hidden || cfg.teach.is_some() {
        return Err(Error::Invalid(format!(
            "train: the model has N = {} units ([[model.groups]] or [teach]), but generative training needs the {visible} pixels plus model.hidden = {} units; train a classifier with `thermocad teach`",
            computer.n(),
            cfg.model.hidden
        )));
    }
    let optimizer = Optimizer::new(cfg.train.optimizer, computer.n());
    let fp = checkpoint::fingerprint(&fingerprint(&raw), &digits.images, &digits.labels);
    let mut state = initial_state(&job.out, job.resume, computer, optimizer, &fp)?;
    let images = digits.standardised();
    let mut objective = Generative::new(
        &images,
        cfg.model.hidden,
        cfg.noising.clone(),
        cfg.train.seed,
    );
    let par = Parallelism::new(cfg.train.threads);
    let exec = Executor {
        constraints,
        ..executor(cfg, par, job.progress)
    };
    let out = job.out.clone();
    let n_images = digits.len();
    let mut save = |s: &TrainState| -> Result<()> {
        checkpoint::save(&ckpt, s, &fp)?;
        write_outputs(&out, &raw, s, n_images, LOSS_TITLE)
    };
    par.install(|| exec.run(&mut objective, &mut state, &mut save))?;
    let (first_loss, final_loss) = (
        state.history.first().map_or(f64::NAN, |h| h.1),
        tail_mean(&state.history),
    );
    Ok(TrainSummary {
        trajectories: state.done,
        final_loss,
        first_loss,
        seconds: start.elapsed().as_secs_f64(),
        images: n_images,
    })
}

/// Claim `job.out` for a new run (nothing to do when resuming): a directory holding a
/// checkpoint is refused with advice to `--resume`, any other non-empty one unless `--force`;
/// with `--force` a stale checkpoint is removed so that the run starts over.
pub(super) fn claim_run(job: &TrainJob) -> Result<()> {
    if job.resume {
        return Ok(());
    }
    let ckpt = job.out.join(checkpoint::FILE);
    if job.force {
        if ckpt.exists() {
            std::fs::remove_file(&ckpt).map_err(crate::error::io_err(&ckpt))?;
        }
    } else if ckpt.exists() {
        return Err(Error::Exists(format!(
            "{} already holds a run ({}); pass --resume to continue it, --force to start over, or choose another --out",
            job.out.display(),
            checkpoint::FILE
        )));
    }
    crate::rundir::claim_dir(&job.out, job.force, "train")
}

/// The executor of `[train]`.
pub(super) fn executor(cfg: &Config, par: Parallelism, progress: bool) -> Executor {
    Executor {
        total: cfg.train.trajectories,
        batch: cfg.train.batch,
        checkpoint_every: cfg.train.checkpoint_every,
        par,
        progress,
        constraints: None,
    }
}

/// The state a run starts from: its checkpoint in `out` with `resume`, else a fresh state
/// (refusing to overwrite an existing run).
pub(super) fn initial_state(
    out: &Path,
    resume: bool,
    computer: Computer<f32>,
    optimizer: Optimizer<f32>,
    fp: &str,
) -> Result<TrainState> {
    let ckpt = out.join(checkpoint::FILE);
    if resume {
        if !ckpt.exists() {
            return Err(Error::Resume {
                path: ckpt,
                why: "no checkpoint there (run without --resume to start)".into(),
            });
        }
        checkpoint::load(&ckpt, computer, optimizer, fp)
    } else {
        if ckpt.exists() {
            return Err(Error::Invalid(format!(
                "{} already holds a run ({}); pass --resume to continue it or choose another --out",
                out.display(),
                checkpoint::FILE
            )));
        }
        Ok(TrainState {
            computer,
            optimizer,
            done: 0,
            history: Vec::new(),
        })
    }
}

pub(super) fn tail_mean(h: &[(u64, f64)]) -> f64 {
    let k = (h.len() / 10).max(1).min(h.len());
    h[h.len() - k..].iter().map(|x| x.1).sum::<f64>() / k as f64
}

const LOSS_TITLE: &str = "Reverse-trajectory negative log-likelihood";

/// model.toml, params.npz, loss.csv and loss.png (titled `title`) for the current state.
pub(super) fn write_outputs(
    dir: &Path,
    raw: &RawConfig,
    s: &TrainState,
    images: usize,
    title: &str,
) -> Result<()> {
    let result = RunResult {
        trajectories_trained: s.done,
        final_loss: tail_mean(&s.history),
        training_images: images,
    };
    build::save_dir(dir, raw, &result, &s.computer.params)?;
    write_csv(
        &dir.join("loss.csv"),
        &["trajectories", "loss"],
        s.history
            .iter()
            .map(|(t, l)| vec![t.to_string(), format!("{l:.6}")]),
    )?;
    let raw_pts: Vec<(f64, f64)> = s.history.iter().map(|&(t, l)| (t as f64, l)).collect();
    let w = (raw_pts.len() / 20).max(1);
    let smooth: Vec<(f64, f64)> = raw_pts
        .windows(w)
        .map(|win| {
            (
                win[w - 1].0,
                win.iter().map(|p| p.1).sum::<f64>() / w as f64,
            )
        })
        .collect();
    LineChart {
        title,
        x_label: "trajectories",
        y_label: "−ln P per unit per step",
        series: &[
            Series {
                label: "batch",
                points: &raw_pts,
            },
            Series {
                label: "moving average",
                points: &smooth,
            },
        ],
        log_y: false,
    }
    .save(&dir.join("loss.png"))?;
    Ok(())
}
