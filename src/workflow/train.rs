//! `thermocad train`: generative training with checkpoints and resume.

use crate::config::Init;
use crate::data::select::training_set;
use crate::error::{Error, Result};
use crate::linalg::Parallelism;
use crate::model::{build, prototypes};
use crate::train::checkpoint;
use crate::train::generative::Generative;
use crate::train::optim::Optimizer;
use crate::train::reverse_nll::Direction;
use crate::train::run::{
    claim_run, executor, fingerprint, initial_state, tail_mean, write_outputs, LOSS_TITLE,
};
use crate::train::{balance, codesign, Executor, TrainState};
use std::time::Instant;

pub use crate::train::run::TrainJob;

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

/// Run a training job.
pub fn run(job: &TrainJob) -> Result<TrainSummary> {
    let start = Instant::now();
    let cfg = &job.config;
    let (constraints, hw) = codesign::of_config(cfg)?;
    claim_run(job, "train")?;
    let digits = training_set(&cfg.data, job.data_dir.as_deref())?;
    let visible = cfg.model.visible.unwrap_or(digits.pixels());
    if visible != digits.pixels() {
        return Err(Error::Mismatch {
            what: format!("model.visible = {visible}"),
            why: format!("the training images have {} pixels", digits.pixels()),
        });
    }
    let mut raw = cfg.raw.clone();
    raw.model.visible = Some(visible);
    if let Some(d) = &job.data_dir {
        raw.data.path = Some(d.clone());
    }
    std::fs::create_dir_all(&job.out).map_err(crate::error::io_err(&job.out))?;
    let ckpt = job.out.join(checkpoint::FILE);
    let mut computer = build::build(&cfg.model, visible, cfg.train.seed)?;
    if computer.n() != visible + cfg.model.hidden || cfg.teach.is_some() {
        return Err(Error::Setting {
            field: "model.groups".into(),
            why: format!(
                ": the model has N = {} units ([[model.groups]] or [teach]), but generative training needs the {visible} pixels plus model.hidden = {} units; train a classifier with `thermocad teach`",
                computer.n(),
                cfg.model.hidden
            ),
        });
    }
    let images = digits.standardised();
    if let Init::Prototypes(init) = cfg.model.init {
        let (protos, _) = prototypes::prototypes(
            images.view(),
            &digits.labels,
            &cfg.data.digits,
            init.per_class,
            init.medoid,
        )?;
        computer.params = prototypes::params(
            &computer.physics,
            &computer.topology,
            visible,
            protos.view(),
            init,
            cfg.noising.bias_scale,
        )?;
    }
    let computer_physics = computer.physics;
    let optimizer = Optimizer::new(cfg.train.optimizer, computer.n());
    let fp = checkpoint::fingerprint(&fingerprint(&raw), &digits.images, &digits.labels);
    let mut state = initial_state(&job.out, job.resume, computer, optimizer, &fp)?;
    let code = prototypes::noising_code(cfg, &computer_physics, images.view(), &digits.labels)?;
    let inner = Generative::with_code(
        &images,
        &digits.labels,
        cfg.model.hidden,
        cfg.noising.clone(),
        cfg.train.seed,
        code.as_ref(),
    );
    let mut objective = codesign::objective(inner, hw.clone(), Direction::Reverse);
    let par = Parallelism::new(cfg.train.threads);
    let exec = Executor {
        constraints,
        ..executor(cfg, par, job.progress)
    };
    let out = job.out.clone();
    let n_images = digits.len();
    let mut save = |s: &TrainState| -> Result<()> {
        checkpoint::save(&ckpt, s, &fp)?;
        let s = codesign::exported(hw.as_ref(), s)?;
        write_outputs(&out, &raw, &s, n_images, LOSS_TITLE)
    };
    let done_before = state.done;
    par.install(|| exec.run(objective.as_mut(), &mut state, &mut save))?;
    if let (Init::Prototypes(init), Some(code)) = (cfg.model.init, code.as_ref()) {
        // Mode weights after the last trajectory (train::balance); a resumed run that had
        // already finished trains nothing and is not balanced again.
        if init.balance_rounds > 0 && state.done > done_before {
            let n = code.len();
            let mut share = vec![0.0; n];
            for (img, &l) in images.rows().into_iter().zip(&digits.labels) {
                if let Some(q) = code.assign(img, l) {
                    share[q] += 1.0 / n_images as f64;
                }
            }
            let groups = balance::Groups {
                units: prototypes::group_units(visible, cfg.model.hidden, n),
                targets: share,
            };
            let step = (balance::STEP_FRACTION
                * prototypes::hidden_bias(&computer_physics, cfg.model.hidden, n, init.gap).abs())
            .max(0.05);
            let steps = computer_physics.steps(cfg.noising.t_final);
            let history = balance::balance(
                &mut state.computer,
                &groups,
                init.balance_rounds,
                step,
                steps,
                cfg.train.seed,
                par,
            );
            if let Some(last) = history.last() {
                eprintln!(
                    "balanced the prototype groups in {} rounds; wins before the last: {}",
                    history.len(),
                    last.iter()
                        .map(|f| format!("{:.2}", f))
                        .collect::<Vec<_>>()
                        .join(" ")
                );
            }
            save(&state)?;
        }
    }
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
