//! What every training run shares, generative or teacher–student: the checked job, its run
//! directory (claimed before anything is written, resumed from its checkpoint), the executor
//! of `[train]`, and the files written at every checkpoint (model.toml, params.npz, loss.csv,
//! loss.png).

use super::checkpoint;
use super::optim::Optimizer;
use super::{Executor, TrainState};
use crate::config::{Config, RawConfig};
use crate::error::{Error, Result};
use crate::io::write_csv;
use crate::linalg::Parallelism;
use crate::model::build::{self, RunResult};
use crate::model::Computer;
use crate::report::plot::{Figure, LineChart, Series};
use std::path::{Path, PathBuf};

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

/// Settings that a checkpoint must share with the run that resumes it.
pub fn fingerprint(raw: &RawConfig) -> String {
    let mut r = raw.clone();
    r.train.trajectories = 0;
    r.train.checkpoint_every = 0;
    r.train.threads = 0;
    r.data.path = None;
    toml::to_string(&r).unwrap_or_default()
}

/// Claim `job.out` for a new run (nothing to do when resuming): a directory holding a
/// checkpoint is refused with advice to `--resume`, any other non-empty one unless `--force`;
/// with `--force` a stale checkpoint is removed so that the run starts over.
pub fn claim_run(job: &TrainJob, command: &str) -> Result<()> {
    if job.resume {
        return Ok(());
    }
    let ckpt = job.out.join(checkpoint::FILE);
    if job.force {
        // A start over also drops the old run's saved noising code.
        let code = job.out.join(crate::model::prototypes::CODE_NPY);
        for f in [&ckpt, &code] {
            if f.exists() {
                std::fs::remove_file(f).map_err(crate::error::io_err(f))?;
            }
        }
    } else if ckpt.exists() {
        return Err(Error::Exists(format!(
            "{} already holds a run ({}); pass --resume to continue it, --force to start over, or choose another --out",
            job.out.display(),
            checkpoint::FILE
        )));
    }
    crate::rundir::claim_dir(&job.out, job.force, command)
}

/// The executor of `[train]`.
pub fn executor(cfg: &Config, par: Parallelism, progress: bool) -> Executor {
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
pub fn initial_state(
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
            return Err(Error::Exists(format!(
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

/// Mean loss of the last 10 % of the history (at least one entry).
pub fn tail_mean(h: &[(u64, f64)]) -> f64 {
    let k = (h.len() / 10).max(1).min(h.len());
    h[h.len() - k..].iter().map(|x| x.1).sum::<f64>() / k as f64
}

pub const LOSS_TITLE: &str = "Reverse-trajectory negative log-likelihood";

/// model.toml, params.npz, loss.csv and loss.png (titled `title`) for the current state.
pub fn write_outputs(
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
