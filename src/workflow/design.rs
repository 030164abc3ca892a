//! `thermocad design`: the cheapest chip that meets a yield target. Loads what the chips are
//! scored against (as `tolerance` does, [`crate::tolerance::inputs`]), builds every design's
//! profile and cost, runs the chip evaluations the search asks for — each a tolerance-study
//! task ([`Study::run_task`]) — with progress, resume and shards, and writes the outputs
//! ([`crate::design::report`]). Method: docs/design.md.

use crate::design::cost;
use crate::design::dir::{
    self, DesignSpec, Evaluations, Key, Metrics, DESIGN_TOML, EVALUATIONS_CSV,
};
use crate::design::report::{self, Outcome};
use crate::design::search::{self, Status};
use crate::design::space::Space;
use crate::design::target::{Minimize, Target};
use crate::design::DesignError;
use crate::energy::circuit::measure_dissipation;
use crate::error::{io_err, Error, Result};
use crate::hardware::perturb::Nonidealities;
use crate::hardware::profile::{load_profile, Profile};
use crate::linalg::Parallelism;
use crate::model::build::load_dir;
use crate::model::Computer;
use crate::tolerance::dir::CLASSIFIER_NPZ;
use crate::tolerance::inputs::{self, Inputs, ScoringSource};
use crate::tolerance::report::within;
use crate::tolerance::sweep::{Sweep, SweepKey};
use crate::tolerance::table::Workload;
use crate::tolerance::{chip_circuit, fingerprint, Condition, Shard, Study, StudySpec};
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// A design search.
#[derive(Clone, Debug)]
pub struct DesignJob {
    /// Trained model directory.
    pub model: PathBuf,
    /// Base hardware profile.
    pub hardware: PathBuf,
    /// The grid of designs.
    pub space: Space,
    /// The yield target.
    pub target: Target,
    /// What to minimise among feasible designs.
    pub minimize: Minimize,
    /// Chips of the last level (every chip for `--grid`).
    pub chips: usize,
    /// Seed of chips, samples and bootstraps.
    pub seed: u64,
    /// Bit width of designs whose space has no `bits`.
    pub bits: u32,
    /// Samples (generation) or held-out digits (classifier) per chip (None: the default).
    pub samples: Option<usize>,
    /// Bootstrap resamples per metric.
    pub resamples: usize,
    /// A chip passes when the target metric is within this fraction of the ideal.
    pub yield_threshold: f64,
    /// MNIST directory, digit classifier and held-out trajectories that score the chips.
    pub source: ScoringSource,
    /// Every design on every chip (no successive halving).
    pub grid: bool,
    /// This run's slice of the first level's evaluations.
    pub shard: Shard,
    /// Threads (0 = all cores); chip evaluations run in parallel, each single-threaded.
    pub threads: usize,
    /// Output directory (resumes the search already in it).
    pub out: PathBuf,
    /// Show a progress bar.
    pub progress: bool,
    /// Write into an --out that holds other files.
    pub force: bool,
}

/// What a run did.
pub struct DesignSummary {
    /// Chip evaluations of the search so far (ideal reference included).
    pub evaluations: usize,
    /// Of which were already stored (resumed or merged).
    pub resumed: usize,
    /// Chip evaluations of the exhaustive grid.
    pub grid_evaluations: usize,
    /// The summary (None for a shard: merge the shards to finish the search).
    pub summary: Option<String>,
    /// One line: the chosen design, or that none meets the target.
    pub answer: Option<String>,
}

/// Nominal-chip trajectories the conductive dissipation of a design is measured on.
const DISSIPATION_ROWS: usize = 4;
/// Node-voltage snapshots per trajectory for the dissipation.
const DISSIPATION_SNAPSHOTS: usize = 20;

/// The cost of design `profile` at `bits`: (energy per sample [J], area [m²]), both NaN when
/// its nominal circuit cannot be built.
fn design_cost(
    model: &Computer<f32>,
    profile: &Profile,
    bits: u32,
    t_final: f64,
    seed: u64,
) -> Result<(f64, f64)> {
    let nominal = Condition {
        nd: Nonidealities::none(),
        bits: Some(bits),
        inductance: profile.inductance,
        input_bits: None,
    };
    let circuit = match chip_circuit(model, profile, &nominal, None) {
        Ok(c) => c,
        Err(Error::Circuit(_)) => return Ok((f64::NAN, f64::NAN)),
        Err(e) => return Err(e),
    };
    let steps = model.physics.steps(t_final);
    let stride = (steps / DISSIPATION_SNAPSHOTS).max(1);
    let diss = measure_dissipation(
        model,
        &circuit,
        profile,
        seed,
        DISSIPATION_ROWS,
        steps,
        stride,
        Parallelism::SEQUENTIAL,
    )?;
    let dissipated = diss.joules.mean().unwrap_or(0.0);
    let seconds = t_final * profile.time_unit;
    Ok((
        cost::energy_per_sample(&circuit, profile, dissipated, seconds),
        cost::area(&circuit, profile, bits).total(),
    ))
}

/// The metrics of one evaluation: a chip that diverges or cannot be compiled fails every
/// metric (None).
fn evaluate(study: &Study<'_>, t: usize, metrics: usize) -> Result<Metrics> {
    match study.run_task(t) {
        Ok(row) => Ok(row.metrics.iter().map(|m| m.map(|e| e.value)).collect()),
        Err(Error::ChipDiverged { .. } | Error::Circuit(_)) if t > 0 => Ok(vec![None; metrics]),
        Err(e) => Err(e),
    }
}

/// The global number of an evaluation (shards own them round-robin).
fn key_number(k: Key, chips: usize) -> usize {
    k.design.map_or(0, |d| 1 + d * chips + k.chip)
}

/// Per-design yield tallies from the chips `reached` of each design.
struct Tally {
    status: Vec<Status>,
    medians: Vec<f64>,
}

fn tally(
    evals: &Evaluations,
    reached: &[usize],
    costs: &[(f64, f64)],
    metric: usize,
    pass: impl Fn(Option<f64>) -> bool,
) -> Tally {
    let mut status = Vec::with_capacity(reached.len());
    let mut medians = Vec::with_capacity(reached.len());
    for (d, &n) in reached.iter().enumerate() {
        let vals: Vec<Option<f64>> = (0..n)
            .map(|chip| {
                evals
                    .get(&Key {
                        design: Some(d),
                        chip,
                    })
                    .and_then(|m| m[metric])
            })
            .collect();
        let passes = vals.iter().filter(|v| pass(**v)).count();
        let mut v: Vec<f64> = vals.into_iter().flatten().collect();
        v.sort_by(f64::total_cmp);
        medians.push(match v.len() {
            0 => f64::NAN,
            k if k % 2 == 1 => v[k / 2],
            k => 0.5 * (v[k / 2 - 1] + v[k / 2]),
        });
        status.push(Status {
            chips: n,
            passes,
            energy: costs[d].0,
            area: costs[d].1,
        });
    }
    Tally { status, medians }
}

/// Run (a shard of) a design search, resuming what `job.out` holds.
pub fn run(job: &DesignJob) -> Result<DesignSummary> {
    run_checked(job, None)
}

/// Shards' evaluations to start from, and where their cached digit classifier is.
struct Merged {
    evals: Evaluations,
    classifier: Option<PathBuf>,
}

/// Whether the nominal circuit of `profile` at `bits` can be built.
fn buildable(model: &Computer<f32>, profile: &Profile, bits: u32) -> Result<bool> {
    let nominal = Condition {
        nd: Nonidealities::none(),
        bits: Some(bits),
        inductance: profile.inductance,
        input_bits: None,
    };
    match chip_circuit(model, profile, &nominal, None) {
        Ok(_) => Ok(true),
        Err(Error::Circuit(_)) => Ok(false),
        Err(e) => Err(e),
    }
}

fn run_checked(job: &DesignJob, merged: Option<Merged>) -> Result<DesignSummary> {
    let md = load_dir(&job.model)?;
    let base = load_profile(&job.hardware)?;
    let base_text = std::fs::read_to_string(&job.hardware).map_err(io_err(&job.hardware))?;
    let n = job.space.len();
    let designs: Vec<(String, Profile)> = (0..n)
        .map(|i| job.space.profile(&base_text, &base.name, i))
        .collect::<std::result::Result<_, _>>()?;
    let workload = inputs::workload_of(&md);
    let metric = job.target.metric_index(workload)?;
    let generation = workload == Workload::Generation;
    if generation
        && job.source.no_classifier
        && matches!(job.target.metric.as_str(), "confident" | "frechet")
    {
        return Err(DesignError::Target(format!(
            "\"{}\": {} needs the digit classifier; drop --no-classifier",
            job.target, job.target.metric
        ))
        .into());
    }
    let samples = inputs::samples_per_chip(&md, &job.model, job.samples)?;
    let units = md.computer.n() as f64;
    let threads = std::thread::available_parallelism().map_or(2, |p| p.get()) as f64;
    crate::limits::memory(
        &format!("--samples {samples} of a {units:.0}-unit chip"),
        samples as f64 * units * 4.0 * 4.0 * threads,
    )?;
    let spec = DesignSpec {
        workload,
        model: job.model.display().to_string(),
        model_fingerprint: crate::tolerance::dir::model_fingerprint(&job.model)?,
        hardware: job.hardware.display().to_string(),
        hardware_fingerprint: fingerprint([base_text.as_bytes()]),
        space: job.space.to_string(),
        target: job.target.to_string(),
        minimize: job.minimize,
        chips: job.chips,
        seed: job.seed,
        bits: job.bits,
        samples,
        heldout: if generation { job.source.heldout } else { 0 },
        resamples: job.resamples,
        yield_threshold: job.yield_threshold,
        classifier: generation && !job.source.no_classifier,
        grid: job.grid,
    };
    let levels = search::levels(job.chips, job.grid);
    let built: Vec<bool> = (0..n)
        .into_par_iter()
        .map(|d| buildable(&md.computer, &designs[d].1, job.space.bits(d, job.bits)))
        .collect::<Result<_>>()?;
    let buildable: Vec<usize> = (0..n).filter(|&d| built[d]).collect();
    let mut first = vec![Key {
        design: None,
        chip: 0,
    }];
    for &d in &buildable {
        first.extend((0..levels[0]).map(|chip| Key {
            design: Some(d),
            chip,
        }));
    }
    if let Some(m) = &merged {
        let missing = first.iter().filter(|k| !m.evals.contains_key(k)).count();
        if missing > 0 {
            return Err(DesignError::Flag {
                flag: "--merge",
                why: format!(
                    "{missing} of the {} first-level evaluations are missing; run the remaining shards",
                    first.len()
                ),
            }
            .into());
        }
    }
    if !job.out.join(DESIGN_TOML).exists() {
        crate::rundir::claim_dir(&job.out, job.force, "design")?;
    }
    std::fs::create_dir_all(&job.out).map_err(io_err(&job.out))?;
    dir::claim(&job.out, &spec)?;
    let csv = job.out.join(EVALUATIONS_CSV);
    if let Some(m) = merged {
        let mut stored = dir::read(&csv, workload)?;
        stored.extend(m.evals);
        dir::write(&csv, workload, &stored)?;
        let to = job.out.join(CLASSIFIER_NPZ);
        if let Some(from) = m.classifier.filter(|_| !to.exists()) {
            std::fs::copy(&from, &to).map_err(io_err(&to))?;
        }
    }

    let opts = job
        .source
        .options(&job.model, &job.out, job.seed, job.threads);
    let inputs = Inputs::load(&opts, &md, samples)?;
    let (scoring, t_final) = inputs.scoring(job.resamples, job.seed);
    let par = Parallelism::new(job.threads);
    let study_of = |profile: &'_ Profile, bits: u32, label: String| StudySpec {
        workload,
        model_fingerprint: spec.model_fingerprint.clone(),
        hardware: label,
        sweep: format!("bits={bits}"),
        chips: job.chips,
        samples,
        seed: job.seed,
        bits: Some(bits),
        isolate: false,
        spread: Nonidealities::from_profile(profile).spread,
        heldout: spec.heldout,
        resamples: job.resamples,
        classifier: spec.classifier,
        yield_threshold: job.yield_threshold,
    };
    let mut members: Vec<(&Profile, u32, String)> = designs
        .iter()
        .enumerate()
        .map(|(d, (_, p))| {
            (
                p,
                job.space.bits(d, job.bits),
                format!("{} design {d}", p.name),
            )
        })
        .collect();
    members.push((&base, job.bits, format!("{} ideal", base.name)));
    let studies: Vec<Study<'_>> = members
        .into_iter()
        .map(|(profile, bits, label)| Study {
            spec: study_of(profile, bits, label),
            sweep: Sweep {
                key: SweepKey::Bits,
                values: vec![f64::from(bits)],
            },
            model: &md.computer,
            t_final,
            profile,
            base: Nonidealities::from_profile(profile),
            scoring: &scoring,
        })
        .collect();

    let stored = dir::read(&csv, workload)?;
    let resumed = stored.len();
    let n_metrics = workload.metrics().len();
    let bar = if job.progress {
        ProgressBar::new(0)
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template(
            "{elapsed_precise} [{bar:30}] {pos}/{len} chip evaluations, eta {eta}",
        )
        .expect("static template")
        .progress_chars("=> "),
    );
    let evals = Mutex::new(stored);
    // Run the evaluations `keys` not stored yet, in parallel, saving after each.
    let run_keys = |keys: Vec<Key>| -> Result<()> {
        let todo: Vec<Key> = {
            let e = evals.lock().expect("no evaluation panics holding the lock");
            keys.into_iter().filter(|k| !e.contains_key(k)).collect()
        };
        bar.inc_length(todo.len() as u64);
        par.install(|| {
            todo.par_iter().try_for_each(|&k| -> Result<()> {
                let (s, t) = match k.design {
                    Some(d) => (&studies[d], 1 + k.chip),
                    None => (&studies[n], 0),
                };
                let m = evaluate(s, t, n_metrics)?;
                let mut e = evals.lock().expect("no evaluation panics holding the lock");
                e.insert(k, m);
                dir::write(&csv, workload, &e)?;
                bar.inc(1);
                Ok(())
            })
        })
    };

    let first: Vec<Key> = first
        .into_iter()
        .filter(|&k| job.shard.owns(key_number(k, job.chips)))
        .collect();
    eprintln!(
        "design: level 1: {} designs × {} chips{}",
        buildable.len(),
        levels[0],
        if job.shard.is_all() {
            String::new()
        } else {
            format!(" (shard {})", job.shard)
        }
    );
    run_keys(first)?;
    if !job.shard.is_all() {
        bar.finish_and_clear();
        let e = evals.into_inner().expect("unlocked");
        return Ok(DesignSummary {
            evaluations: e.len(),
            resumed,
            grid_evaluations: n * job.chips + 1,
            summary: None,
            answer: None,
        });
    }

    eprintln!("design: {n} designs; costing their nominal circuits (area, energy per sample)");
    let costs: Vec<(f64, f64)> = par.install(|| {
        (0..n)
            .into_par_iter()
            .map(|d| match built[d] {
                true => design_cost(
                    &md.computer,
                    &designs[d].1,
                    job.space.bits(d, job.bits),
                    t_final,
                    job.seed,
                ),
                false => Ok((f64::NAN, f64::NAN)),
            })
            .collect::<Result<Vec<_>>>()
    })?;
    let ideal_metrics = evals
        .lock()
        .expect("unlocked")
        .get(&Key {
            design: None,
            chip: 0,
        })
        .cloned()
        .unwrap_or_default();
    let ideal = ideal_metrics
        .get(metric)
        .copied()
        .flatten()
        .ok_or_else(|| {
            DesignError::Target(format!(
                "\"{}\": the ideal reference has no {} (not scored)",
                job.target, job.target.metric
            ))
        })?;
    let higher = workload.metrics()[metric].higher_better;
    let pass = |v: Option<f64>| v.is_some_and(|v| within(v, ideal, higher, job.yield_threshold));
    let mut reached = vec![0; n];
    for &d in &buildable {
        reached[d] = levels[0];
    }
    let mut level = 0;
    loop {
        let t = tally(
            &evals.lock().expect("unlocked"),
            &reached,
            &costs,
            metric,
            pass,
        );
        let todo = search::next(&t.status, &levels, &mut level, job.target.yield_);
        if todo.is_empty() {
            break;
        }
        eprintln!(
            "design: level {}: {} designs to {} chips",
            level + 1,
            todo.len(),
            levels[level]
        );
        let mut keys = Vec::new();
        for &(d, want) in &todo {
            keys.extend((reached[d]..want).map(|chip| Key {
                design: Some(d),
                chip,
            }));
        }
        run_keys(keys)?;
        for (d, want) in todo {
            reached[d] = want;
        }
    }
    bar.finish_and_clear();
    let evals = evals.into_inner().expect("unlocked");
    let t = tally(&evals, &reached, &costs, metric, pass);
    let evaluations = 1 + reached.iter().sum::<usize>();
    let outcome = Outcome {
        profile: &base.name,
        space: &job.space,
        target: &job.target,
        minimize: job.minimize,
        chips: job.chips,
        bits: job.bits,
        ideal: (ideal, higher),
        threshold: job.yield_threshold,
        status: &t.status,
        medians: &t.medians,
        evaluations,
        grid: job.grid,
    };
    write_outputs(&job.out, &outcome, &designs)?;
    let answer = match outcome.chosen() {
        Some(c) => format!(
            "chosen design {c}: {} (yield {}/{}, {:.3e} J per sample, {:.3e} m²); best.toml",
            outcome.describe(c),
            t.status[c].passes,
            t.status[c].chips,
            t.status[c].energy,
            t.status[c].area
        ),
        None => format!("no design meets {}; see summary.md for the best achieved yield and the limiting dimension", job.target),
    };
    Ok(DesignSummary {
        evaluations,
        resumed,
        grid_evaluations: outcome.grid_evaluations(),
        summary: Some(report::summary(&outcome)),
        answer: Some(answer),
    })
}

/// Write `designs.csv`, `pareto.png`, `summary.md` and (when a design is chosen) `best.toml`
/// (checked to load as a profile).
fn write_outputs(out: &Path, o: &Outcome<'_>, designs: &[(String, Profile)]) -> Result<()> {
    dir::write_text(&out.join("designs.csv"), &report::designs_csv(o))?;
    report::pareto(o, &out.join("pareto.png"))?;
    dir::write_text(&out.join("summary.md"), &report::summary(o))?;
    if let Some(c) = o.chosen() {
        let text = report::best_toml(o, c, &designs[c].0);
        crate::hardware::profile::parse_profile(o.profile, &text)?;
        dir::write_text(&out.join("best.toml"), &text)?;
    }
    Ok(())
}

/// Where a merge's search finishes.
pub struct MergeJob {
    /// The shards' directories.
    pub inputs: Vec<PathBuf>,
    /// Output directory.
    pub out: PathBuf,
    /// MNIST directory.
    pub data: Option<PathBuf>,
    /// Digit classifier (default: the first shard's cached one).
    pub classifier: Option<PathBuf>,
    /// Threads.
    pub threads: usize,
    /// Show a progress bar.
    pub progress: bool,
    /// Overwrite an existing --out.
    pub force: bool,
}

/// `thermocad design --merge`: combine the shards' first-level evaluations into `out` and
/// finish the search there (byte-identical to an unsharded run).
pub fn merge(m: &MergeJob) -> Result<DesignSummary> {
    let first = m.inputs.first().ok_or(DesignError::Flag {
        flag: "--merge",
        why: "give at least one shard directory".into(),
    })?;
    let spec = dir::read_spec(&first.join(DESIGN_TOML))?;
    let mut evals = Evaluations::new();
    for d in &m.inputs {
        let path = d.join(DESIGN_TOML);
        if dir::read_spec(&path)? != spec {
            return Err(DesignError::Mismatch {
                path: path.display().to_string(),
                why: format!(
                    "is another design search than {}",
                    first.join(DESIGN_TOML).display()
                ),
            }
            .into());
        }
        for (k, v) in dir::read(&d.join(EVALUATIONS_CSV), spec.workload)? {
            if evals.get(&k).is_some_and(|old| old != &v) {
                return Err(DesignError::Mismatch {
                    path: d.join(EVALUATIONS_CSV).display().to_string(),
                    why: format!("evaluation {k:?} differs from another shard's"),
                }
                .into());
            }
            evals.insert(k, v);
        }
    }
    if let Some(d) = m
        .inputs
        .iter()
        .find(|d| crate::rundir::same_path(d, &m.out))
    {
        return Err(Error::Exists(format!(
            "design --out {}: is one of the shards ({}); choose another --out",
            m.out.display(),
            d.display()
        )));
    }
    let cached = first.join(CLASSIFIER_NPZ);
    let merged = Merged {
        evals,
        classifier: (m.classifier.is_none() && cached.exists()).then_some(cached),
    };
    let job = DesignJob {
        model: PathBuf::from(&spec.model),
        hardware: PathBuf::from(&spec.hardware),
        space: Space::parse(&spec.space)?,
        target: spec.target.parse()?,
        minimize: spec.minimize,
        chips: spec.chips,
        seed: spec.seed,
        bits: spec.bits,
        samples: Some(spec.samples),
        source: ScoringSource {
            data: m.data.clone(),
            classifier: m.classifier.clone(),
            no_classifier: spec.workload == Workload::Generation && !spec.classifier,
            heldout: if spec.workload == Workload::Generation {
                spec.heldout
            } else {
                6
            },
        },
        resamples: spec.resamples,
        yield_threshold: spec.yield_threshold,
        grid: spec.grid,
        shard: Shard::ALL,
        threads: m.threads,
        out: m.out.clone(),
        progress: m.progress,
        force: m.force,
    };
    run_checked(&job, Some(merged))
}
