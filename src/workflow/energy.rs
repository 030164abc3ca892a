//! `thermocad energy`: the energy report of a trained model — ideal heat of generation and of
//! noising, digital budgets from an energy-per-operation table, and (with `--hardware`) the
//! cost of the circuit built on a profile. Formulas: docs/energy.md.

use crate::data::select::training_set;
use crate::dynamics::sampler::Batch;
use crate::energy::circuit::{self as cost, Dissipation, NodeMap};
use crate::energy::digital::{load_table, mlp_macs, paper_digital_kt, PAPER_HEAT_KT};
use crate::energy::forward::{account, ForwardHeat};
use crate::energy::heat::generate;
use crate::energy::report::{self, Report};
use crate::energy::units::Thermal;
use crate::energy::Budget;
use crate::error::{Error, Result};
use crate::hardware::behavioral::Behavioral;
use crate::hardware::circuit;
use crate::hardware::profile::load_profile;
use crate::linalg::Parallelism;
use crate::metrics::mean_std;
use crate::model::build::load_dir;
use crate::train::generative::Generative;
use rayon::prelude::*;
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
        return Err(Error::Invalid("--samples must be at least 1".into()));
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
        generate(
            c,
            job.samples,
            job.seed,
            steps,
            par,
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
        Some((profile, ci)) => {
            let sim = Behavioral::<f32>::compile(ci, ph.dt)?;
            let map = NodeMap::new(ci);
            let mut diss = Dissipation::new(ci, rows);
            let mut last = 0;
            let mut batch = Batch::from_equilibrium(c, job.seed, 0, rows);
            par.install(|| {
                batch.run(&sim, steps, par, |k, x| {
                    if k % stride == 0 || k == steps {
                        let held = (k - last) as f64 * ph.dt;
                        diss.add(map.voltages(x).view(), held * profile.time_unit);
                        last = k;
                    }
                })
            });
            Some(diss)
        }
        None => None,
    };
    let (qm, qs) = mean_std(&heat);
    let mut notes = Vec::new();
    let mut budgets = vec![Budget {
        name: "ideal: generation heat ⟨Q⟩".into(),
        joules: thermal.joules(qm),
        formula: "⟨V(x(0)) − V(x(t_f))⟩ / kT_model · k_B T".into(),
        inputs: format!(
            "{} samples, std {qs:.3e} kT, t_f = {t_f}, Δt = {}, N = {} units",
            heat.len(),
            ph.dt,
            c.n()
        ),
    }];
    let mut entropy = vec![(
        "generation: bath entropy ΔS_med".to_string(),
        qm,
        "⟨Q⟩ / kT".to_string(),
    )];

    // The forward (noising) process on the training images.
    let forward = if job.forward == 0 {
        None
    } else {
        match training_set(&md.config.data, job.data.as_deref()) {
            Ok(digits) => {
                let images = digits.standardised();
                let noising = &md.config.noising;
                let gen = Generative::new(
                    &images,
                    md.config.model.hidden,
                    noising.clone(),
                    md.config.train.seed,
                );
                let f: Vec<ForwardHeat> = par.install(|| {
                    (0..job.forward as u64)
                        .into_par_iter()
                        .map(|id| account(&ph, noising, gen.bias(id), gen.trajectory(c, id).view()))
                        .collect()
                });
                Some(f)
            }
            Err(e) => {
                notes.push(format!(
                    "forward process skipped: the training images could not be loaded ({e}); pass --data DIR"
                ));
                None
            }
        }
    };
    if let Some(f) = &forward {
        let in_kt = |g: fn(&ForwardHeat) -> f64| f.iter().map(|h| g(h) / ph.kt).collect::<Vec<_>>();
        let (fq, fqs) = mean_std(&in_kt(|h| h.heat));
        let (fw, fws) = mean_std(&in_kt(|h| h.work));
        let residual = f
            .iter()
            .map(|h| (h.delta_v - (h.work - h.heat)).abs() / ph.kt)
            .sum::<f64>()
            / f.len() as f64;
        let inputs = format!(
            "{} training trajectories, t_f = {t_f}, schedule {:?}, fade {}",
            f.len(),
            md.config.noising.schedule,
            md.config.noising.fade_fraction
        );
        budgets.push(Budget {
            name: "ideal: noising heat ⟨Q_fwd⟩".into(),
            joules: thermal.joules(fq),
            formula: "⟨Σ −∇V_λ(x̄)·Δx⟩ (Stratonovich)".into(),
            inputs: format!("{inputs}, std {fqs:.3e} kT"),
        });
        budgets.push(Budget {
            name: "ideal: noising work ⟨W_fwd⟩".into(),
            joules: thermal.joules(fw),
            formula: "⟨Σ (λ_k − λ_(k−1)) b·x_k⟩".into(),
            inputs: format!("{inputs}, std {fws:.3e} kT"),
        });
        entropy.push((
            "noising: bath entropy ΔS_med".into(),
            fq,
            "⟨Q_fwd⟩ / kT".into(),
        ));
        notes.push(format!(
            "first law of the noising process: ⟨|ΔV − (W − Q)|⟩ = {residual:.3e} kT (Stratonovich discretisation error)"
        ));
    }

    // Digital budgets.
    let paper_kt = paper_digital_kt();
    budgets.push(Budget {
        name: "paper: digital MLP estimate".into(),
        joules: thermal.joules(paper_kt),
        formula: "2.2e5 MACs × 10 steps × 2.4e8 kT/MAC".into(),
        inputs: "Whitelam 2025: 784→128→128→784, 1 pJ per MAC = 2.4e8 kT".into(),
    });
    let mlp = table.mlp();
    let twin = table.twin(&c.topology, steps);
    // An advantage over the ideal heat is defined only when generation emits heat.
    let per_q = |kt: f64| {
        if qm > 0.0 {
            format!("{:.3e}", kt / qm)
        } else {
            "undefined (⟨Q⟩ ≤ 0)".to_string()
        }
    };
    let mut advantages = vec![
        format!(
            "paper: {paper_kt:.3e} kT / {:.1e} kT = {:.3e} (its MLP rounded to 2.2e5 MACs, 10 steps, 1 pJ per MAC = 2.4e8 kT, heat {:.1e} ± {:.1e} kT)",
            PAPER_HEAT_KT.0,
            paper_kt / PAPER_HEAT_KT.0,
            PAPER_HEAT_KT.0,
            PAPER_HEAT_KT.1
        ),
        format!(
            "{} / ideal ⟨Q⟩ = {} ({}; ⟨Q⟩ = {qm:.4e} kT; kT at {} K; arithmetic only)",
            mlp.name,
            per_q(thermal.kt(mlp.joules)),
            mlp.inputs,
            thermal.temperature_k
        ),
        format!(
            "{} / ideal ⟨Q⟩ = {} ({}; arithmetic and random numbers only)",
            twin.name,
            per_q(thermal.kt(twin.joules)),
            twin.inputs
        ),
    ];
    let traffic = [
        table.traffic("MLP", mlp_macs(&table.mlp_layers), table.mlp_steps),
        table.traffic("twin", c.topology.macs_per_field() as u64, steps as u64),
    ];
    budgets.push(mlp);
    budgets.push(twin);
    budgets.extend(traffic.into_iter().flatten());

    // The circuit.
    if let Some((profile, built)) = &hardware {
        let seconds = t_f * profile.time_unit;
        let powers = cost::static_power(built, profile);
        let (dissipated, _) = dissipation
            .as_ref()
            .map_or((0.0, 0.0), |d| mean_std(d.joules.as_slice().unwrap_or(&[])));
        let rows_c = cost::budgets(profile, built, &powers, dissipated, seconds);
        let kt_noise = profile.kt_joules() / ph.kt;
        budgets.push(Budget {
            name: format!("circuit {}: ideal heat ⟨Q⟩ at T_noise", profile.name),
            joules: qm * profile.kt_joules(),
            formula: "⟨Q⟩ · k_B T_noise".into(),
            inputs: format!(
                "k_B T_noise = C v0² = {:.3e} J plays kT ({:.3e} J per model energy unit)",
                profile.kt_joules(),
                kt_noise
            ),
        });
        let drawn: f64 = rows_c.iter().skip(1).map(|b| b.joules).sum();
        let top = rows_c
            .iter()
            .max_by(|a, b| a.joules.total_cmp(&b.joules))
            .map(|b| b.name.rsplit(": ").next().unwrap_or(&b.name).to_string())
            .unwrap_or_default();
        notes.push(format!(
            "circuit {}: dominant term {top}; drawn from sources and supplies {drawn:.3e} J per sample = {} × the ideal heat at {} K; dissipation measured on {rows} behavioral-simulator trajectories × {} snapshots",
            profile.name,
            per_q(thermal.kt(drawn)),
            thermal.temperature_k,
            steps.div_ceil(stride)
        ));
        advantages.push(format!(
            "circuit {} (sources + supplies, {drawn:.3e} J) / ideal ⟨Q⟩ = {} (sample time t_f·t_unit = {seconds:.3e} s; kT at {} K)",
            profile.name,
            per_q(thermal.kt(drawn)),
            thermal.temperature_k
        ));
        budgets.extend(rows_c);
    }
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
