//! `thermocad energy`: the energy report of a trained model — ideal heat of generation and of
//! noising, digital budgets from an energy-per-operation table, and (with `--hardware`) the
//! cost of the circuit built on a profile. Formulas: docs/energy.md.

use crate::data::select::training_set;
use crate::energy::circuit as cost;
use crate::energy::digital::load_table;
use crate::energy::forward::{self, ForwardHeat};
use crate::energy::heat::{from_equilibrium, run_chunked, CHUNK};
use crate::energy::ledger::{self, CircuitRun, Ledger};
use crate::energy::report::{self, Report};
use crate::energy::units::Thermal;
use crate::energy::Budget;
use crate::error::{Error, Result};
use crate::hardware::circuit;
use crate::hardware::profile::load_profile;
use crate::linalg::Parallelism;
use crate::model::build::load_dir;
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
    /// Generated samples the heat statistics are taken over.
    pub samples: usize,
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
    let thermal = Thermal::new(job.temperature)?;
    let table = load_table(job.digital.as_deref(), job.precision.as_deref())?;
    crate::limits::threads("--threads", job.threads)?;
    let md = load_dir(&job.model)?;
    let c = &md.computer;
    let ph = c.physics;
    let t_f = md.config.noising.t_final;
    let steps = crate::limits::steps("noising.t_final", t_f, ph.dt)?;
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

    // Generation by the ideal computer: the heat per sample.
    let heat = par.install(|| {
        run_chunked(
            c,
            c,
            job.samples,
            CHUNK,
            steps,
            par,
            from_equilibrium(c, job.seed),
            |_, _, _| {},
            |_, _| {},
        )
    });
    crate::finite::check_slice(
        "energy",
        "heat",
        &heat,
        "the dynamics diverged (couplings too large for model.dt)",
    )?;
    // The circuit's own dissipation, measured along trajectories of its behavioral simulation
    // (the compiled circuit IR), started from the same noise as the first generations.
    let rows = CIRCUIT_ROWS.min(job.samples);
    let stride = (steps / CIRCUIT_SNAPSHOTS).max(1);
    let dissipation = match &hardware {
        Some((profile, ci)) => Some(cost::measure_dissipation(
            c, ci, profile, job.seed, rows, steps, stride, par,
        )?),
        None => None,
    };
    // The forward (noising) process on the training images.
    let forward: Result<Vec<ForwardHeat>, String> = if job.forward == 0 {
        Ok(Vec::new())
    } else {
        match training_set(&md.config.data, job.data.as_deref()) {
            Ok(digits) => Ok(forward::measure(
                c,
                &digits.standardised(),
                md.config.model.hidden,
                &md.config.noising,
                md.config.train.seed,
                job.forward,
                par,
            )),
            Err(e) if crate::data::select::is_absent(&e) => Err(format!(
                "forward process skipped: the training images could not be loaded ({}); pass --data DIR",
                crate::error::one_line(&e)
            )),
            Err(e) => return Err(e),
        }
    };
    let Ledger {
        budgets,
        entropy,
        advantages,
        notes,
    } = ledger::assemble(&ledger::Inputs {
        computer: c,
        noising: &md.config.noising,
        steps,
        thermal,
        table: &table,
        heat_kt: &heat,
        forward: forward.as_deref().map_err(Clone::clone),
        circuit: hardware.as_ref().zip(dissipation.as_ref()).map(
            |((profile, circuit), dissipation)| CircuitRun {
                profile,
                circuit,
                dissipation,
                rows,
                snapshots: steps.div_ceil(stride),
            },
        ),
    });
    let subject = format!(
        "Model `{}` ({} units), {} samples (seed {}), digital table {} ({}), precision {}{}.",
        job.model.display(),
        c.n(),
        heat.len(),
        job.seed,
        table.file,
        table.source,
        table.precision.name,
        hardware.as_ref().map_or(String::new(), |(p, _)| format!(
            ", hardware profile {}",
            p.name
        ))
    );
    report::write(
        &job.out,
        &Report {
            subject,
            thermal,
            heat_kt: &heat,
            budgets: &budgets,
            entropy: &entropy,
            advantages: &advantages,
            notes: &notes,
        },
    )?;
    Ok(EnergySummary {
        heat_kt: heat,
        budgets,
        advantages,
        notes,
    })
}
