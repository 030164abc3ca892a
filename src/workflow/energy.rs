//! `thermocad energy`: the energy ledger of a trained model — the whole cycle of a sample
//! (generation) or an inference (a `teach` classifier, on held-out digits at teach.t_final):
//! core heat, switching work and reset heat, the noising process, digital alternatives from an
//! energy-per-operation table, and (with `--hardware`) the circuit built on a profile and the
//! system around it. Formulas: docs/energy.md.

use crate::classifier::{classifier_inputs_of, infer, TEACHER_NPZ};
use crate::data::select::{load_digits, training_set};
use crate::dynamics::sampler::Batch;
use crate::energy::circuit as cost;
use crate::energy::cycle::{CycleRecorder, ResetTo};
use crate::energy::digital::load_table;
use crate::energy::forward::{self, ForwardHeat};
use crate::energy::heat::{from_equilibrium, run_chunked, CHUNK};
use crate::energy::ledger::{self, CircuitRun, Ledger, Total, Workload};
use crate::energy::report::{self, Report};
use crate::energy::units::Thermal;
use crate::energy::Budget;
use crate::error::{Error, Result};
use crate::hardware::circuit;
use crate::hardware::profile::load_profile;
use crate::linalg::Parallelism;
use crate::model::build::load_dir;
use crate::model::prototypes::noising_code;
use crate::train::generative::Generative;
use std::path::PathBuf;

/// An energy job.
#[derive(Clone, Debug)]
pub struct EnergyJob {
    /// Trained model directory.
    pub model: PathBuf,
    /// Hardware profile for the circuit-level budgets (e.g. hardware/gm-c.toml).
    pub hardware: Option<PathBuf>,
    /// Digital energy table (default: the shipped hardware/digital-energy.toml).
    pub digital: Option<PathBuf>,
    /// Precision of the digital budgets, a [precision.*] name of the table (overrides budget.precision).
    pub precision: Option<String>,
    /// Generated samples (for a classifier: inferences, one per held-out digit, the last
    /// `samples` of the set) the heat statistics are taken over.
    pub samples: usize,
    /// Samples between two reprogrammings of the couplings (shares the programming energy).
    pub samples_per_program: u64,
    /// Noising (forward) trajectories the forward-process heat is taken over (0: skip).
    pub forward: usize,
    /// Temperature of the heat bath [K] that converts kT to joules.
    pub temperature: f64,
    /// Seed of the samples' noise.
    pub seed: u64,
    /// MNIST directory, for the forward process on the training images.
    pub data: Option<PathBuf>,
    /// Threads (0 = all cores).
    pub threads: usize,
    /// Output directory (energy.md, energy.csv, energy.png).
    pub out: PathBuf,
    /// Overwrite an existing --out.
    pub force: bool,
}

/// What the report found.
pub struct EnergySummary {
    /// Heat of every generated sample [kT].
    pub heat_kt: Vec<f64>,
    /// Every budget, per sample.
    pub budgets: Vec<Budget>,
    /// Per-sample totals (core, circuit, system, chip, digital alternatives).
    pub totals: Vec<Total>,
    /// True for a classifier (per inference).
    pub classifier: bool,
    /// Advantage ratios with their assumptions.
    pub advantages: Vec<String>,
    /// What dominates, what was skipped.
    pub notes: Vec<String>,
}

/// Trajectories whose node voltages the circuit dissipation is measured on.
const CIRCUIT_ROWS: usize = 100;
/// Node-voltage snapshots per trajectory for the circuit dissipation.
const CIRCUIT_SNAPSHOTS: usize = 100;

/// Run an energy job and write its report.
pub fn run(job: &EnergyJob) -> Result<EnergySummary> {
    if job.samples == 0 {
        return Err(Error::Flag {
            flag: "--samples",
            why: "must be at least 1".into(),
        });
    }
    if job.samples_per_program == 0 {
        return Err(Error::Flag {
            flag: "--samples-per-program",
            why: "must be at least 1".into(),
        });
    }
    let thermal = Thermal::new(job.temperature)?;
    let table = load_table(job.digital.as_deref(), job.precision.as_deref())?;
    crate::limits::threads("--threads", job.threads)?;
    let md = load_dir(&job.model)?;
    let c = &md.computer;
    let ph = c.physics;
    let teach = md.config.teach.clone();
    let (t_f, t_field) = match &teach {
        Some(t) => (t.t_final, "teach.t_final"),
        None => (md.config.noising.t_final, "noising.t_final"),
    };
    let steps = crate::limits::steps(t_field, t_f, ph.dt)?;
    let n = c.n() as f64;
    let count = job.samples.max(job.forward) as f64;
    crate::limits::memory(
        &format!("--samples {} of a {n:.0}-unit model", job.samples),
        count * 3.0 * n * 4.0,
    )?;
    crate::limits::work(
        &format!("--samples {} and --forward {}", job.samples, job.forward),
        (job.samples + job.forward) as f64 * steps as f64 * n,
    )?;
    // A classifier's inputs: the last --samples held-out digits of its data set.
    let inputs = match &teach {
        Some(t) => {
            if job.samples > t.test_images {
                return Err(Error::Flag {
                    flag: "--samples",
                    why: format!(
                        "{}: a classifier's inferences use its held-out digits, the last teach.test_images = {} of the set",
                        job.samples, t.test_images
                    ),
                });
            }
            // As `classify`: --data is a directory of IDX files; without it, the model's [data].
            let all = match &job.data {
                Some(d) => crate::data::load_mnist_dir(d)?,
                None => load_digits(&md.config.data, None)?,
            };
            let len = all.len();
            if job.samples > len {
                return Err(Error::Flag {
                    flag: "--samples",
                    why: format!("{}: the data set holds only {len} digits", job.samples),
                });
            }
            let set = all.slice(len - job.samples, len)?;
            let source = job
                .data
                .as_ref()
                .map_or("the model's [data]".to_string(), |d| {
                    d.display().to_string()
                });
            Some(classifier_inputs_of(&job.model, c, t, &set, &source)?)
        }
        None => None,
    };
    crate::rundir::claim_dir(&job.out, job.force, "energy")?;
    let par = Parallelism::new(job.threads);
    let hardware = match &job.hardware {
        Some(p) => {
            let profile = load_profile(p)?;
            let built = circuit::build(c, &profile)?;
            Some((profile, built))
        }
        None => None,
    };

    // The model's cycle: heat, switching work and reset heat per sample.
    let (heat, cycle) = match &inputs {
        Some(ci) => {
            let inf = par.install(|| infer(c, ci.inputs.view(), steps, 1, job.seed, 0, par))?;
            (inf.heat_kt, inf.cycle)
        }
        None => {
            // A Mutex, not a RefCell: the closures run inside the thread pool's `install`.
            let rec = std::sync::Mutex::new(CycleRecorder::default());
            let heat = par.install(|| {
                run_chunked(
                    c,
                    c,
                    job.samples,
                    CHUNK,
                    steps,
                    par,
                    from_equilibrium(c, job.seed),
                    |_, k, x| {
                        if k == 0 {
                            rec.lock().expect("one recorder").start(c, x, par);
                        }
                    },
                    |_, x| rec.lock().expect("one recorder").finish(c, x, par),
                )
            });
            let rec = rec.into_inner().expect("one recorder");
            (heat, rec.cycle(c, ResetTo::Equilibrium))
        }
    };
    crate::finite::check_slice(
        "energy",
        "heat",
        &heat,
        "the dynamics diverged (couplings too large for model.dt)",
    )?;
    // The circuit's own dissipation and cycle, measured along trajectories of its behavioral
    // simulation (the compiled circuit IR), from the same start states and noise as the first
    // samples.
    let rows = CIRCUIT_ROWS.min(job.samples);
    let stride = (steps / CIRCUIT_SNAPSHOTS).max(1);
    let chip = match &hardware {
        Some((profile, ci)) => {
            let batch = match &inputs {
                Some(inp) => {
                    let mut x = ndarray::Array2::<f32>::zeros((rows, c.n()));
                    x.slice_mut(ndarray::s![.., inp.input.clone()])
                        .assign(&inp.inputs.slice(ndarray::s![..rows, ..]));
                    Batch::from_states(x, job.seed, 0)
                }
                None => Batch::from_equilibrium(c, job.seed, 0, rows),
            };
            let run = cost::measure_chip(c, ci, profile, batch, steps, stride, par)?;
            let mut rec = CycleRecorder::default();
            rec.start(c, run.start.view(), par);
            rec.finish(c, run.end.view(), par);
            let to = if inputs.is_some() {
                ResetTo::Start
            } else {
                ResetTo::Equilibrium
            };
            Some((run, rec.heat_kt(c), rec.cycle(c, to)))
        }
        None => None,
    };
    // The forward (noising) process on the training images (generation models).
    let forward: Result<Vec<ForwardHeat>, String> = if job.forward == 0 {
        Ok(Vec::new())
    } else if teach.is_some() {
        Err("forward process skipped: a classifier has no noising process".into())
    } else {
        match training_set(&md.config.data, job.data.as_deref()) {
            Ok(digits) => {
                let images = digits.standardised();
                let (cfg, labels) = (&md.config, &digits.labels);
                let code = noising_code(cfg, (c, &job.model), images.view(), labels)?;
                let gen = Generative::with_code(&images, labels, cfg, code.as_ref());
                Ok(forward::measure(c, &gen, &cfg.noising, job.forward, par))
            }
            Err(e) if crate::data::select::is_absent(&e) => Err(format!(
                "forward process skipped: the training images could not be loaded ({}); pass --data DIR",
                crate::error::one_line(&e)
            )),
            Err(e) => return Err(e),
        }
    };
    let workload = match &inputs {
        Some(ci) => Workload::Classification {
            inputs: ci.input.len(),
            outputs: ci.output.len(),
            teacher: teacher_widths(&job.model, c, ci)?,
        },
        None => Workload::Generation {
            readout: c
                .topology
                .group("visible")
                .map_or(c.topology.n_evolving(), |g| g.len()),
        },
    };
    let classifier = inputs.is_some();
    let Ledger {
        budgets,
        totals,
        entropy,
        advantages,
        notes,
    } = ledger::assemble(&ledger::Inputs {
        computer: c,
        workload,
        t_final: t_f,
        noising: &md.config.noising,
        steps,
        thermal,
        table: &table,
        heat_kt: &heat,
        cycle: &cycle,
        forward: forward.as_deref().map_err(Clone::clone),
        circuit: hardware.as_ref().zip(chip.as_ref()).map(
            |((profile, circuit), (run, chip_heat, chip_cycle))| CircuitRun {
                profile,
                circuit,
                chip: run,
                chip_heat_kt: chip_heat,
                chip_cycle,
                rows,
                snapshots: steps.div_ceil(stride),
            },
        ),
        samples_per_program: job.samples_per_program,
    });
    let subject = format!(
        "Model `{}` ({} units{}), {} {} (seed {}), t_f = {t_f} ({t_field}), digital table {} ({}), precision {}{}, {} samples per programming.",
        job.model.display(),
        c.n(),
        if classifier { ", a classifier" } else { "" },
        heat.len(),
        if classifier { "inferences on held-out digits" } else { "samples" },
        job.seed,
        table.file,
        table.source,
        table.precision.name,
        hardware.as_ref().map_or(String::new(), |(p, _)| format!(
            ", hardware profile {}",
            p.name
        )),
        job.samples_per_program
    );
    report::write(
        &job.out,
        &Report {
            subject,
            thermal,
            per: if classifier { "inference" } else { "sample" },
            heat_kt: &heat,
            budgets: &budgets,
            totals: &totals,
            entropy: &entropy,
            advantages: &advantages,
            notes: &notes,
        },
    )?;
    Ok(EnergySummary {
        heat_kt: heat,
        budgets,
        totals,
        classifier,
        advantages,
        notes,
    })
}

/// The teacher's layer widths, input first: from `teacher.npz` when present, else the
/// classifier's own input → hidden → output shape.
fn teacher_widths(
    model: &std::path::Path,
    c: &crate::model::Computer<f32>,
    ci: &crate::classifier::ClassifierInputs,
) -> Result<Vec<u64>> {
    let path = model.join(TEACHER_NPZ);
    if path.exists() {
        let mlp = crate::nn::Mlp::load(&path)?;
        let mut w: Vec<u64> = mlp
            .layers
            .first()
            .map_or(vec![], |l| vec![l.w.nrows() as u64]);
        w.extend(mlp.layers.iter().map(|l| l.w.ncols() as u64));
        Ok(w)
    } else {
        let hidden = c.topology.group("hidden").map_or(0, |g| g.len()) as u64;
        Ok(vec![ci.input.len() as u64, hidden, ci.output.len() as u64])
    }
}
