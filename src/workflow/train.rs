//! `thermocad train`: generative training with checkpoints and resume.

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
    // The prototype potential replaces the initial couplings; its code imprints the images.
    let mut code = match prototypes::start(
        cfg,
        &computer.physics,
        &computer.topology,
        images.view(),
        &digits.labels,
    )? {
        Some(proto) => {
            computer.params = proto.params;
            proto.code
        }
        None => None,
    };
    let optimizer = Optimizer::new(cfg.train.optimizer, computer.n());
    let fp = checkpoint::fingerprint(&fingerprint(&raw), &digits.images, &digits.labels);
    let mut state = initial_state(&job.out, job.resume, computer, optimizer, &fp)?;
    let par = Parallelism::new(cfg.train.threads);
    let data = (images.view(), digits.labels.as_slice());
    // With model.prototype_balance_before, a fresh run balances the potential as built (a
    // resumed one has it balanced in its checkpoint already). The balanced potential holds
    // the prototypes in other hidden states than the one as built, so the noising code is
    // refitted to it and saved with the run; a resumed run reads it back, and so do
    // `tolerance` and `energy` (prototypes::noising_code).
    let before = balance::Moment::BeforeTraining;
    if let Some(code) = code.as_mut().filter(|_| balance::runs(cfg, before)) {
        if state.done == 0 {
            let moment = (before, par);
            let balanced =
                balance::balance_prototypes(&mut state.computer, code, data, cfg, moment, report);
            summarise(&balanced, " before training");
            let computer = &state.computer;
            code.refit(&computer.physics, &computer.params, cfg.noising.bias_scale);
            code.save(&job.out)?;
        } else {
            code.load_saved(&job.out)?;
        }
    }
    let inner = Generative::with_code(&images, &digits.labels, cfg, code.as_ref());
    let mut objective = codesign::objective(inner, hw.clone(), Direction::Reverse);
    let exec = Executor {
        constraints,
        ..executor(cfg, par, job.progress)
    };
    let out = job.out.clone();
    let n_images = digits.len();
    // A run that balances after training saves its last state only once balanced: a kill
    // during the balancing then resumes from the checkpoint before, retrains the last
    // trajectories bit for bit and balances, instead of finding a finished, unbalanced run.
    let balances_after = code.is_some() && balance::runs(cfg, balance::Moment::AfterTraining);
    let total = exec.total;
    let persist = |s: &TrainState| -> Result<()> {
        checkpoint::save(&ckpt, s, &fp)?;
        let s = codesign::exported(hw.as_ref(), s)?;
        write_outputs(&out, &raw, &s, n_images, LOSS_TITLE)
    };
    let mut save = |s: &TrainState| -> Result<()> {
        if balances_after && s.done == total {
            return Ok(());
        }
        persist(s)
    };
    let done_before = state.done;
    par.install(|| exec.run(objective.as_mut(), &mut state, &mut save))?;
    // Mode weights after the last trajectory (train::balance); a resumed run that had already
    // finished trains nothing and is not balanced again.
    if let Some(code) = code
        .as_ref()
        .filter(|_| balances_after && state.done > done_before)
    {
        let moment = (balance::Moment::AfterTraining, par);
        let balanced =
            balance::balance_prototypes(&mut state.computer, code, data, cfg, moment, report);
        summarise(&balanced, "");
        persist(&state)?;
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

/// The progress line of one measurement of the balancing.
fn report(stage: balance::Stage, out: &balance::Outcome) {
    let what = match stage {
        balance::Stage::Offset(d) => format!("hidden-bias offset {d:.4e}"),
        balance::Stage::Round(r) => format!("balancing round {}", r + 1),
    };
    eprintln!(
        "{what}: {:.2} groups on per sample, one winner in {:.0} %; on: {}",
        out.winners(),
        100.0 * out.one_hot,
        fractions(&out.on)
    );
}

/// Print what a balancing did (`when`: " before training", or "" after it), if anything.
fn summarise(balanced: &balance::Balanced, when: &str) {
    let Some(last) = balanced.history.last() else {
        return;
    };
    eprintln!(
        "balanced the prototype groups{when}: common hidden-bias offset {:.4e}, then {} rounds; groups on before the last: {}",
        balanced.offset,
        balanced.history.len(),
        fractions(last)
    );
}

/// Fractions as a space-separated list with two decimals (the balancing's progress lines).
fn fractions(f: &[f64]) -> String {
    f.iter()
        .map(|v| format!("{v:.2}"))
        .collect::<Vec<_>>()
        .join(" ")
}
