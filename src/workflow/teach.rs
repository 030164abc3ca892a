//! `thermocad teach`: teacher–student training of a thermodynamic classifier (Whitelam,
//! "Training thermodynamic computers by gradient descent"). A tanh MLP teacher is trained on
//! the training digits; its activations define idealised trajectories of the computer's
//! hidden and output units; the computer, inputs clamped to each digit, is trained from zero
//! parameters to minimise the forward Onsager–Machlup action of those trajectories. Progress,
//! checkpoints and `--resume` are the executor's; the teacher is saved once and reused on resume.

use crate::classifier::{check_fit, infer, TEACHER_NPZ};
use crate::data::normalise::{classifier_inputs, max_row_norm, mnist_standardised};
use crate::metrics::top_accuracy;
use crate::train::run::{
    claim_run, executor, fingerprint, initial_state, tail_mean, write_outputs, TrainJob,
};

use crate::error::{io_err, Error, Result};
use crate::io::write_csv;
use crate::linalg::Parallelism;
use crate::model::build::build;
use crate::nn::{self, Activation, Mlp, MlpTraining};
use crate::report::plot::{Figure, LineChart, Series};
use crate::train::checkpoint;
use crate::train::optim::Optimizer;
use crate::train::reverse_nll::Direction;
use crate::train::teacher_student::{IdealPaths, TeacherStudent};
use crate::train::{codesign, Executor, TrainState};
use ndarray::s;
use std::path::Path;
use std::time::Instant;

/// What a teach job reports.
#[derive(Clone, Debug)]
pub struct TeachSummary {
    /// Training and held-out images.
    pub images: (usize, usize),
    /// Teacher top-1 accuracy on the held-out images.
    pub teacher_accuracy: f64,
    /// Student top-1 and top-2 accuracy on the held-out images (one trajectory each).
    pub student: (f64, f64),
    /// Idealised trajectories trained on.
    pub trajectories: u64,
    /// Final action per evolving unit per step.
    pub final_loss: f64,
    /// Wall time of this invocation, seconds.
    pub seconds: f64,
}

/// File of the student's held-out accuracy curve.
const ACCURACY_CSV: &str = "accuracy.csv";

/// Run a teach job (the `[teach]` configuration in `job.config`; `job.resume` also reuses
/// `out/teacher.npz`).
pub fn run(job: &TrainJob) -> Result<TeachSummary> {
    let start = Instant::now();
    let cfg = &job.config;
    let (constraints, hw) = codesign::of_config(cfg)?;
    claim_run(job, "teach")?;
    let teach = cfg.teach.clone().ok_or_else(|| Error::Setting {
        field: "[teach]".into(),
        why: ": teach needs a [teach] section in the configuration".into(),
    })?;
    if cfg.model.layout.is_none() {
        return Err(Error::Setting {
            field: "model.groups".into(),
            why: ": teach needs [[model.groups]] input (clamped), hidden and output".into(),
        });
    }
    let computer = build(&cfg.model, 0, cfg.train.seed)?;
    let (inp, outp) = computer.topology.classifier_groups()?;
    let hidden = computer.topology.group("hidden").map_or(0, |g| g.len());
    let all = crate::data::select::load_digits(&cfg.data, job.data_dir.as_deref())?;
    check_fit(&inp, &outp, &all, "model.groups", "the data set")?;
    let first = cfg.data.offset;
    let test_start = all.len().saturating_sub(teach.test_images);
    if first + teach.train_images > test_start || teach.test_images > all.len() {
        return Err(Error::Setting {
            field: "teach.train_images".into(),
            why: format!(
                ": {} training images from data.offset = {first} and the last {} held-out images do not fit in a set of {}",
                teach.train_images,
                teach.test_images,
                all.len()
            ),
        });
    }
    let train = all.slice(first, first + teach.train_images)?;
    let test = all.slice(test_start, all.len())?;
    let norm = teach
        .input_norm
        .unwrap_or_else(|| max_row_norm(mnist_standardised(train.images.view()).view()));
    let (train_x, test_x) = (
        classifier_inputs(train.images.view(), norm),
        classifier_inputs(test.images.view(), norm),
    );
    let mut raw = cfg.raw.clone();
    if let Some(t) = raw.teach.as_mut() {
        t.input_norm = Some(norm);
    }
    if let Some(d) = &job.data_dir {
        raw.data.path = Some(d.clone());
    }
    std::fs::create_dir_all(&job.out).map_err(io_err(&job.out))?;
    let par = Parallelism::new(cfg.train.threads);

    // Teacher.
    let teacher_path = job.out.join(TEACHER_NPZ);
    let teacher = if job.resume && teacher_path.exists() {
        Mlp::load(&teacher_path)?
    } else {
        let mut net = Mlp::new(
            &[inp.len(), hidden, outp.len()],
            Activation::Tanh,
            cfg.train.seed,
        )?;
        let settings = MlpTraining {
            epochs: teach.teacher.epochs,
            batch: teach.teacher.batch,
            learning_rate: teach.teacher.learning_rate,
            shift: 0,
            seed: cfg.train.seed,
        };
        let records = par.install(|| {
            nn::train::train(
                &mut net,
                train_x.view(),
                &train.labels,
                Some((test_x.view(), &test.labels)),
                &settings,
                par,
                |r| {
                    if job.progress {
                        eprintln!(
                            "teacher epoch {}: loss {:.4}, held-out accuracy {:.4}",
                            r.epoch,
                            r.loss,
                            r.test_accuracy.unwrap_or(f64::NAN)
                        );
                    }
                },
            )
        });
        write_teacher_curves(&job.out, &records)?;
        net.save(&teacher_path)?;
        net
    };
    let teacher_accuracy = par.install(|| teacher.accuracy(test_x.view(), &test.labels, par));

    // Student.
    let outs = par.install(|| teacher.forward(train_x.view(), par));
    let probs = par.install(|| teacher.probabilities(train_x.view(), par));
    let steps = computer.physics.steps(teach.t_final);
    let paths = IdealPaths {
        hidden_scale: teach.hidden_scale,
        output_scale: teach.output_scale,
        map: teach.target,
        steps,
    };
    let physics = computer.physics;
    let inner = par.install(|| {
        TeacherStudent::new(
            &physics,
            train_x,
            outs[0].view(),
            probs.view(),
            &paths,
            cfg.train.seed,
        )
    });
    let mut objective = codesign::objective(inner, hw.clone(), Direction::Forward);
    let fp = checkpoint::fingerprint(&fingerprint(&raw), &train.images, &train.labels);
    let optimizer = Optimizer::new(cfg.train.optimizer, computer.n());
    let mut state = initial_state(&job.out, job.resume, computer, optimizer, &fp)?;
    let mut accuracy = if job.resume {
        read_accuracy(&job.out.join(ACCURACY_CSV), state.done)
    } else {
        Vec::new()
    };
    let exec = Executor {
        constraints,
        ..executor(cfg, par, job.progress)
    };
    let eval = teach.eval_images.min(test.len());
    let (eval_x, eval_labels) = (test_x.slice(s![..eval, ..]), &test.labels[..eval]);
    let out = job.out.clone();
    let ckpt = job.out.join(checkpoint::FILE);
    let n_train = train.len();
    let seed = cfg.train.seed;
    // The accuracy row of a checkpoint is a deterministic function of its state (fixed seed),
    // so a row lost to a kill between writing the checkpoint and the row is recomputed here.
    let row = |st: &TrainState| -> Result<(u64, f64)> {
        let inf = infer(&st.computer, eval_x, steps, 1, seed, 0, par)?;
        Ok((st.done, top_accuracy(inf.outputs.view(), eval_labels).0))
    };
    if eval > 0 && state.done > 0 && accuracy.last().map(|r| r.0) != Some(state.done) {
        let q = codesign::exported(hw.as_ref(), &state)?;
        accuracy.push(par.install(|| row(&q))?);
    }
    // The row is written before the checkpoint: a kill in between leaves a row beyond the
    // checkpoint, which the resume drops (read_accuracy keeps rows up to its trajectory count).
    let mut save = |st: &TrainState| -> Result<()> {
        let q = &*codesign::exported(hw.as_ref(), st)?;
        if eval > 0 {
            accuracy.push(row(q)?);
            write_accuracy(&out, &accuracy, eval)?;
        }
        checkpoint::save(&ckpt, st, &fp)?;
        write_outputs(&out, &raw, q, n_train, "Forward Onsager–Machlup action")
    };
    par.install(|| exec.run(objective.as_mut(), &mut state, &mut save))?;
    let trained = codesign::exported(hw.as_ref(), &state)?;
    let inf = par.install(|| infer(&trained.computer, test_x.view(), steps, 1, seed, 0, par))?;
    Ok(TeachSummary {
        images: (train.len(), test.len()),
        teacher_accuracy,
        student: top_accuracy(inf.outputs.view(), &test.labels),
        trajectories: state.done,
        final_loss: tail_mean(&state.history),
        seconds: start.elapsed().as_secs_f64(),
    })
}

fn write_teacher_curves(dir: &Path, records: &[nn::EpochRecord]) -> Result<()> {
    write_csv(
        &dir.join("teacher.csv"),
        &["epoch", "loss", "test_accuracy"],
        records.iter().map(|r| {
            vec![
                r.epoch.to_string(),
                format!("{:.6}", r.loss),
                format!("{:.4}", r.test_accuracy.unwrap_or(f64::NAN)),
            ]
        }),
    )?;
    let loss: Vec<(f64, f64)> = records.iter().map(|r| (r.epoch as f64, r.loss)).collect();
    let err: Vec<(f64, f64)> = records
        .iter()
        .map(|r| (r.epoch as f64, 1.0 - r.test_accuracy.unwrap_or(f64::NAN)))
        .collect();
    LineChart {
        title: "Teacher: training cross-entropy and held-out error",
        x_label: "epoch",
        y_label: "nats / error fraction",
        series: &[
            Series {
                label: "cross-entropy",
                points: &loss,
            },
            Series {
                label: "held-out error",
                points: &err,
            },
        ],
        log_y: true,
    }
    .save(&dir.join("teacher.png"))?;
    Ok(())
}

fn write_accuracy(dir: &Path, acc: &[(u64, f64)], eval: usize) -> Result<()> {
    write_csv(
        &dir.join(ACCURACY_CSV),
        &["trajectories", "top1"],
        acc.iter()
            .map(|(t, a)| vec![t.to_string(), format!("{a:.4}")]),
    )?;
    let pts: Vec<(f64, f64)> = acc.iter().map(|&(t, a)| (t as f64, a)).collect();
    LineChart {
        title: &format!("Student top-1 accuracy on {eval} held-out digits (one trajectory each)"),
        x_label: "trajectories",
        y_label: "accuracy",
        series: &[Series {
            label: "top-1",
            points: &pts,
        }],
        log_y: false,
    }
    .save(&dir.join("accuracy.png"))?;
    Ok(())
}

/// The accuracy curve recorded up to `done` trajectories (empty when unreadable).
fn read_accuracy(path: &Path, done: u64) -> Vec<(u64, f64)> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Vec::new();
    };
    text.lines()
        .skip(1)
        .filter_map(|l| {
            let (t, a) = l.split_once(',')?;
            Some((t.parse().ok()?, a.parse().ok()?))
        })
        .filter(|&(t, _)| t <= done)
        .collect()
}
