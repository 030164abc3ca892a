//! `thermocad demo`: the whole pipeline on the embedded synthetic digits, a generative model
//! and a classifier, in one to two minutes.

use super::classify::{self, ClassifyJob};
use super::energy::{self, EnergyJob};
use super::export::{export, run_spice, ExportJob};
use super::sample::{self, SampleJob, SampleSummary};
use super::teach;
use super::tolerance::{self, ToleranceJob};
use super::train::{self, TrainJob, TrainSummary};
use crate::config::{check, parse};
use crate::data::idx::{write_idx_images, write_idx_labels};
use crate::energy::units::{Thermal, ROOM_TEMPERATURE_K};
use crate::error::{io_err, Result};
use crate::hardware::perturb::Spread;
use crate::hardware::quantize::{BitWidth, QuantSpec};
use crate::metrics::mean_std;
use crate::tolerance::{inputs::ScoringSource, sweep::Sweep, Shard};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The demo's configuration: a small computer on three synthetic digits.
pub const DEMO_CONFIG: &str = r#"# thermocad demo: a small Langevin computer on the embedded synthetic digits.
[model]
hidden = 256
trainable_biases = ["visible", "hidden"]
j2 = 1.0
j4 = 1.0
kt = 0.1
dt = 1e-3

[noising]
bias_scale = 2.0
hidden_projection = "random"
t_eq = 0.5
t_final = 2.5

[train]
trajectories = 300
batch = 3
optimizer = "adam"
learning_rate = 1e-2
checkpoint_every = 60
seed = 1

[data]
source = "synthetic"
digits = [0, 1, 2]
per_class = 1
"#;

/// The demo's classifier: teacher–student training on all ten synthetic digits (docs/classifier.md).
pub const DEMO_CLASSIFIER_CONFIG: &str = r#"# thermocad demo: a thermodynamic classifier of the embedded synthetic digits.
[model]
kt = 1.0
[[model.groups]]
name = "input"
size = 784
clamped = true
[[model.groups]]
name = "hidden"
size = 32
[[model.groups]]
name = "output"
size = 10
[[model.couplings]]
between = ["input", "hidden"]
[[model.couplings]]
between = ["hidden", "hidden"]
[[model.couplings]]
between = ["hidden", "output"]
[[model.couplings]]
between = ["output", "output"]
[[model.couplings]]
between = ["input", "output"]

[teach]
train_images = 800
test_images = 200
teacher_epochs = 20

[train]
trajectories = 4000
batch = 50
learning_rate = 5e-3
checkpoint_every = 1000

[data]
source = "synthetic"
digits = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]
per_class = 100
"#;

/// The ideal hardware profile, embedded so that the demo needs no files.
const IDEAL_PROFILE: &str = include_str!("../../hardware/ideal.toml");
/// The integrated gm-C profile of the demo's tolerance studies.
const GMC_PROFILE: &str = include_str!("../../hardware/gm-c.toml");

/// What the circuit stage of the demo produced.
pub struct CircuitSummary {
    /// Lines for the summary table.
    pub lines: Vec<String>,
}

/// A demo job.
pub struct DemoJob {
    /// Output directory.
    pub out: PathBuf,
    /// `--set` overrides of the demo config.
    pub overrides: Vec<String>,
    /// Samples to draw.
    pub samples: usize,
    /// Draw progress bars.
    pub progress: bool,
    /// Overwrite an existing --out.
    pub force: bool,
}

/// Run the demo; returns the training, sampling and circuit summaries.
pub fn run(job: &DemoJob) -> Result<(TrainSummary, SampleSummary, CircuitSummary)> {
    let raw = parse("demo config", DEMO_CONFIG, &job.overrides, &[])?;
    let config = check(raw, "demo config", DEMO_CONFIG)?;
    crate::config::limits::check(&config, "demo config")?;
    crate::rundir::claim_dir(&job.out, job.force, "demo")?;
    let cfg_path = job.out.join("demo.toml");
    std::fs::write(&cfg_path, DEMO_CONFIG).map_err(io_err(&cfg_path))?;
    let threads = config.train.threads;
    let model_dir = job.out.join("model");
    if model_dir.join(crate::train::checkpoint::FILE).exists() {
        std::fs::remove_file(model_dir.join(crate::train::checkpoint::FILE))
            .map_err(io_err(&model_dir))?;
    }
    let t = train::run(&TrainJob {
        config,
        data_dir: None,
        out: model_dir.clone(),
        resume: false,
        force: true,
        progress: job.progress,
    })?;
    let s = sample::run(&SampleJob {
        model: model_dir.clone(),
        n: job.samples,
        seed: 1,
        out: job.out.join("samples"),
        threads,
        data_dir: None,
        progress: job.progress,
        force: true,
        chip: None,
        judge: sample::Judge::Off,
        reference: Default::default(),
    })?;
    let mut c = circuit_stage(job, &model_dir)?;
    c.lines.extend(tolerance_stage(job, &model_dir)?);
    c.lines.push(energy_stage(job, &model_dir)?);
    c.lines.extend(classifier_stage(job)?);
    write_summary(job, &t, &s, &c)?;
    Ok((t, s, c))
}

/// Export the demo model's netlist on the ideal profile (8-bit couplings) and, when ngspice
/// is installed, run a pruned, noise-free deck of it for 0.1 model time units.
fn circuit_stage(job: &DemoJob, model: &std::path::Path) -> Result<CircuitSummary> {
    let profile = job.out.join("ideal.toml");
    std::fs::write(&profile, IDEAL_PROFILE).map_err(io_err(&profile))?;
    let eight = QuantSpec::bits(BitWidth::new(8)?);
    let deck = |name: &str, prune: f64, noise: bool, t_stop: Option<f64>| ExportJob {
        model: model.to_path_buf(),
        hardware: profile.clone(),
        quant: QuantSpec {
            prune_threshold: prune,
            ..eight
        },
        out: job.out.join(name),
        noise,
        // The full deck stays small with ngspice's own noise (held-noise PWL: ~190 MB).
        trnoise: true,
        seed: 1,
        t_stop,
        image: None,
        data: None,
        force: true,
    };
    let full = export(&deck("netlist.cir", 0.0, true, None))?;
    let mut lines = vec![format!(
        "| netlist | `netlist.cir`: {} nodes, {} components, {:.1} MB, 8-bit couplings (rel. error {:.2e}) |",
        full.circuit.nodes.len(),
        full.circuit.components.len(),
        full.bytes as f64 / 1e6,
        full.couplings.rel_frobenius
    )];
    let pruned_job = deck("netlist-pruned.cir", 0.1, false, Some(0.1));
    let pruned = export(&pruned_job)?;
    match run_spice(&pruned_job.out) {
        Ok(w) => lines.push(format!(
            "| ngspice | `netlist-pruned.cir` ({:.1} % of couplings pruned, no noise): {} node voltages at {} time points |",
            100.0 * pruned.couplings.pruned_fraction,
            w.names.len(),
            w.time.len()
        )),
        Err(crate::Error::Spice(crate::hardware::spice::SpiceError::Missing)) => {
            lines.push("| ngspice | not installed: decks written but not run |".into())
        }
        Err(e) => return Err(e),
    }
    Ok(CircuitSummary { lines })
}

/// Two small tolerance studies of the demo model on the gm-C profile: a bit-width sweep
/// (quantization only) and a transconductor-mismatch sweep over a few chips.
fn tolerance_stage(job: &DemoJob, model: &Path) -> Result<Vec<String>> {
    let bits = study(
        job,
        model,
        "tolerance-bits",
        "bits=3,4,6,8",
        1,
        Some(30),
        None,
    )?;
    let cached = bits.out.join(crate::tolerance::dir::CLASSIFIER_NPZ);
    let mut lines = Vec::new();
    for s in [
        bits,
        study(
            job,
            model,
            "tolerance-mismatch",
            "mismatch=0.05,0.2",
            3,
            Some(30),
            Some(cached),
        )?,
    ] {
        lines.push(run_study(
            &s,
            "confident",
            "fraction recognised with p > 0.9",
        )?);
    }
    Ok(lines)
}

/// A small isolated tolerance study of `model` on the gm-C profile, into `out/name`, with
/// `samples` per chip (None: the workload's default, e.g. all held-out digits of a classifier).
fn study(
    job: &DemoJob,
    model: &Path,
    name: &str,
    sweep: &str,
    chips: usize,
    samples: Option<usize>,
    classifier: Option<PathBuf>,
) -> Result<ToleranceJob> {
    let profile = job.out.join("gm-c.toml");
    std::fs::write(&profile, GMC_PROFILE).map_err(io_err(&profile))?;
    Ok(ToleranceJob {
        model: model.to_path_buf(),
        hardware: profile,
        sweep: Sweep::parse(sweep)?,
        chips,
        samples,
        seed: 1,
        source: ScoringSource {
            data: None,
            classifier,
            no_classifier: false,
            heldout: 3,
        },
        out: job.out.join(name),
        shard: Shard::ALL,
        threads: 0,
        bits: None,
        isolate: true,
        spread: Spread::Gaussian,
        resamples: 100,
        yield_threshold: 0.05,
        force: true,
        progress: job.progress,
    })
}

/// Run a study and describe it in a summary line with the design answer for `metric`.
fn run_study(s: &ToleranceJob, metric: &str, what: &str) -> Result<String> {
    let r = tolerance::run(s)?;
    // The design answer: the bold line of the metric's section.
    let answer = r
        .summary
        .as_deref()
        .and_then(|md| md.split(&format!("## {metric} ")).nth(1))
        .and_then(|sec| sec.lines().find(|l| l.starts_with("**")))
        .unwrap_or("")
        .trim_matches('*')
        .to_string();
    Ok(format!(
        "| tolerance | `{}/` ({}, {} chips), {what}: {answer} |",
        s.out
            .file_name()
            .map_or(String::new(), |n| n.to_string_lossy().into_owned()),
        s.sweep,
        s.chips
    ))
}

/// Teacher–student training of a classifier of the ten synthetic digits, its held-out
/// accuracy, heat and energy comparison (`classify` on the digits written as IDX files), and
/// its accuracy against the bit width of couplings and of the input drives.
fn classifier_stage(job: &DemoJob) -> Result<Vec<String>> {
    let raw = parse("demo classifier config", DEMO_CLASSIFIER_CONFIG, &[], &[])?;
    let config = check(raw, "demo classifier config", DEMO_CLASSIFIER_CONFIG)?;
    let model = job.out.join("classifier");
    let digits = crate::data::select::load_digits(&config.data, None)?;
    let t = teach::run(&TrainJob {
        config,
        data_dir: None,
        out: model.clone(),
        resume: false,
        force: true,
        progress: job.progress,
    })?;
    let idx = job.out.join("classifier-data");
    std::fs::create_dir_all(&idx).map_err(io_err(&idx))?;
    let images = digits
        .images
        .mapv(|v| v.round().clamp(0.0, 255.0) as u8)
        .into_shape_with_order((digits.len(), 28, 28))
        .map_err(|e| crate::Error::Serialize {
            what: "synthetic digits as IDX".into(),
            why: e.to_string(),
        })?;
    write_idx_images(&idx.join("t10k-images-idx3-ubyte"), &images)?;
    write_idx_labels(&idx.join("t10k-labels-idx1-ubyte"), &digits.labels)?;
    let c = classify::run(&ClassifyJob {
        model: model.clone(),
        data: idx,
        trajectories: 1,
        count: None,
        seed: 1,
        out: job.out.join("classify"),
        threads: 0,
        force: true,
    })?;
    let mut lines = vec![format!(
        "| classifier | `classifier/`, `classify/`: teacher {:.1} %, thermodynamic student top-1 {:.1} %, top-2 {:.1} % on {} held-out digits; heat {:.3e} kT per inference vs {:.3e} kT for the teacher's {} MACs (advantage {:.2e}) |",
        100.0 * t.teacher_accuracy,
        100.0 * c.top1,
        100.0 * c.top2,
        c.images,
        c.heat_mean,
        c.digital_kt,
        c.teacher_macs,
        c.advantage
    )];
    for (name, sweep) in [
        ("classifier-bits", "bits=2,3,4,6"),
        ("classifier-input-bits", "input_bits=2,3,4,6"),
    ] {
        let s = study(job, &model, name, sweep, 1, None, None)?;
        lines.push(run_study(&s, "top1", "top-1 accuracy")?);
    }
    Ok(lines)
}

/// The energy report of the demo model on the ideal profile, over at most 25 samples (a few
/// seconds; `thermocad energy` takes 1000 by default).
fn energy_stage(job: &DemoJob, model: &std::path::Path) -> Result<String> {
    let out = job.out.join("energy");
    let e = energy::run(&EnergyJob {
        model: model.to_path_buf(),
        hardware: Some(job.out.join("ideal.toml")),
        digital: None,
        precision: None,
        samples: job.samples.clamp(1, 25),
        samples_per_program: 1000,
        forward: 5,
        temperature: ROOM_TEMPERATURE_K,
        seed: 1,
        data: None,
        threads: 0,
        out,
        force: true,
    })?;
    let room = Thermal {
        temperature_k: ROOM_TEMPERATURE_K,
    };
    let kt = |name: &str| {
        e.budgets
            .iter()
            .find(|b| b.name.starts_with(name))
            .map_or(f64::NAN, |b| room.kt(b.joules))
    };
    Ok(format!(
        "| energy | `energy/energy.md`: ideal heat {:.3e} kT vs digital twin {:.3e} kT and MLP denoiser {:.3e} kT per sample (1 pJ per MAC, 300 K) |",
        kt("ideal: generation heat"),
        kt("digital Langevin twin"),
        kt("digital MLP denoiser")
    ))
}

fn write_summary(
    job: &DemoJob,
    t: &TrainSummary,
    s: &SampleSummary,
    c: &CircuitSummary,
) -> Result<()> {
    let (qm, qs) = mean_std(&s.heat_kt);
    let path = job.out.join("summary.md");
    let mut f = std::fs::File::create(&path).map_err(io_err(&path))?;
    let classes: Vec<String> = s
        .class_counts
        .iter()
        .map(|(d, k)| format!("{d}: {k}"))
        .collect();
    let text = format!(
        "# thermocad demo\n\n\
         Pipeline: synthetic digits → Langevin computer (visible–hidden + hidden–hidden) → \
         generative training → sampling → 8-bit circuit → ngspice netlist → tolerance → energy; \
         then a thermodynamic classifier of the ten digits (teacher–student) → classify → \
         accuracy tolerance.\n\n\
         | stage | result |\n|---|---|\n\
         | training | {} trajectories on {} images, loss {:.4} → {:.4} per unit per step, {:.1} s |\n\
         | samples | {} generated, mean best \\|correlation\\| with a training digit {:.3} |\n\
         | classes | {} |\n\
         | heat | ⟨Q⟩ = {:.4e} kT, std {:.3e} kT |\n{}\n\n\
         Files: `model/` (model.toml, params.npz, loss.csv, loss.png), `samples/` (samples.npy, \
         heat.csv, samples.png, trajectories.png, receptive_fields.png, heat.png, quality.csv), \
         `netlist.cir`, `netlist-pruned.cir` (ngspice decks on `ideal.toml`), `energy/` (energy.md, \
         energy.csv, energy.png), `tolerance-bits/`, `tolerance-mismatch/` (tolerance.csv, \
         tolerance.png, yield.png, summary.md on `gm-c.toml`), `classifier/` (teacher.npz, \
         accuracy.png, the student model), `classify/` (confusion.png, trajectory_0.png, heat.png), \
         `classifier-bits/`, `classifier-input-bits/` (accuracy tolerance studies).\n",
        t.trajectories,
        t.images,
        t.first_loss,
        t.final_loss,
        t.seconds,
        s.heat_kt.len(),
        s.mean_best_corr.unwrap_or(f64::NAN),
        classes.join(", "),
        qm,
        qs,
        c.lines.join("\n")
    );
    f.write_all(text.as_bytes()).map_err(io_err(&path))
}
