//! The `thermocad` command: a thin layer that parses arguments, runs a workflow and maps
//! errors to one line on stderr and an exit code (2: bad input or configuration, 1: failure).

use anyhow::Result;
use clap::{Parser, Subcommand};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use thermocad::metrics::mean_std;
use thermocad::workflow::{bench, classify, demo, export, init, sample, teach, tolerance, train};

#[derive(Parser)]
#[command(
    name = "thermocad",
    version,
    about = "Train Langevin (thermodynamic) computers and design the circuits that run them"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Arguments of the training commands (`train`, `teach`).
#[derive(clap::Args)]
struct RunArgs {
    /// Configuration file (TOML; see docs/config.md).
    #[arg(long)]
    config: PathBuf,
    /// Output directory (model.toml, params.npz, curves, checkpoint.npz).
    #[arg(long)]
    out: PathBuf,
    /// Directory of the MNIST IDX files (overrides data.path).
    #[arg(long)]
    data: Option<PathBuf>,
    /// Continue the run in --out from its checkpoint.
    #[arg(long)]
    resume: bool,
    /// Override a config field: --set section.key=value (repeatable).
    #[arg(long = "set", value_name = "SECTION.KEY=VALUE")]
    set: Vec<String>,
    /// Start over in an --out that already holds a model or run (its checkpoint is removed).
    #[arg(long)]
    force: bool,
}

impl RunArgs {
    /// The validated configuration and the job it describes.
    fn job(self, progress: bool) -> Result<train::TrainJob> {
        Ok(train::TrainJob {
            config: thermocad::config::load_checked(&self.config, &self.set)?,
            data_dir: self.data,
            out: self.out,
            resume: self.resume,
            force: self.force,
            progress,
        })
    }
}

#[derive(Subcommand)]
enum Command {
    /// Generative training on noising trajectories of images (Whitelam 2025).
    Train(RunArgs),
    /// Write an untrained model directory from a config (couplings from model.init_scale).
    Init {
        /// Configuration file; model.visible must be set.
        #[arg(long)]
        config: PathBuf,
        /// Output model directory.
        #[arg(long)]
        out: PathBuf,
        /// Override a config field (repeatable).
        #[arg(long = "set", value_name = "SECTION.KEY=VALUE")]
        set: Vec<String>,
        /// Overwrite an existing output (model, run or results) at --out.
        #[arg(long)]
        force: bool,
    },
    /// Generate samples from a trained model.
    Sample {
        /// Trained model directory (model.toml + params.npz).
        #[arg(long)]
        model: PathBuf,
        /// Number of samples.
        #[arg(long, default_value_t = 25)]
        n: usize,
        /// Seed of the samples' noise.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Output directory.
        #[arg(long)]
        out: PathBuf,
        /// Threads (0 = all cores).
        #[arg(long, default_value_t = 0)]
        threads: usize,
        /// MNIST directory, to score samples against the training digits.
        #[arg(long)]
        data: Option<PathBuf>,
        /// Overwrite an existing output (model, run or results) at --out.
        #[arg(long)]
        force: bool,
    },
    /// Run the whole pipeline on the embedded synthetic digits (about a minute).
    Demo {
        /// Output directory.
        #[arg(long, default_value = "demo-out")]
        out: PathBuf,
        /// Samples to draw.
        #[arg(long, default_value_t = 100)]
        samples: usize,
        /// Override a field of the demo config (repeatable).
        #[arg(long = "set", value_name = "SECTION.KEY=VALUE")]
        set: Vec<String>,
        /// Overwrite an existing output (model, run or results) at --out.
        #[arg(long)]
        force: bool,
    },
    /// Quantize a trained model, map it to a circuit and write an ngspice netlist.
    Export {
        #[command(flatten)]
        job: export::ExportJob,
        /// Run the deck through ngspice afterwards.
        #[arg(long)]
        run: bool,
    },
    /// Energy budgets per sample: ideal heat, digital alternatives, the circuit's own power.
    Energy(thermocad::workflow::energy::EnergyJob),
    /// Run an ngspice netlist in batch and summarise its node voltages.
    Spice {
        /// The netlist.
        #[arg(long)]
        netlist: PathBuf,
    },
    /// Throughput of the sampling step and training gradient relative to a plain SGEMM.
    Bench(bench::BenchJob),
    /// Teacher–student training of a thermodynamic classifier (teacher MLP, then the computer;
    /// the config needs [[model.groups]] and [teach]).
    Teach(RunArgs),
    /// Classify digits with a trained thermodynamic classifier: accuracy, heat, energy.
    Classify {
        /// Trained classifier directory (from `thermocad teach`).
        #[arg(long)]
        model: PathBuf,
        /// Directory of the IDX files (images and labels).
        #[arg(long)]
        data: PathBuf,
        /// Trajectories per digit (outputs averaged).
        #[arg(long, default_value_t = 1)]
        trajectories: usize,
        /// Classify the last N images of the set (default: the model's teach.test_images).
        #[arg(long)]
        count: Option<usize>,
        /// Seed of the thermal noise.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Output directory.
        #[arg(long)]
        out: PathBuf,
        /// Threads (0 = all cores).
        #[arg(long, default_value_t = 0)]
        threads: usize,
        /// Overwrite an existing output (model, run or results) at --out.
        #[arg(long)]
        force: bool,
    },
    /// Monte Carlo tolerance study: generation quality of perturbed chips (behavioral simulator).
    Tolerance(tolerance::ToleranceJob),
    /// Combine the shards of a tolerance study into one result.
    Merge {
        /// Output directory (tolerance.csv, tolerance.png, yield.png, summary.md).
        #[arg(long)]
        out: PathBuf,
        /// The shards' study directories.
        #[arg(required = true)]
        inputs: Vec<PathBuf>,
        /// Overwrite an existing output (model, run or results) at --out.
        #[arg(long)]
        force: bool,
    },
}

fn print_study(summary: Option<&str>) {
    if let Some(md) = summary {
        for line in md
            .lines()
            .filter(|l| l.starts_with("## ") || l.starts_with("**"))
        {
            println!("{}", line.trim_start_matches("## ").trim_matches('*'));
        }
    }
}

fn print_sample_summary(s: &sample::SampleSummary) {
    let (m, sd) = mean_std(&s.heat_kt);
    println!(
        "heat Q: mean {m:.4e} kT, std {sd:.3e} kT over {} samples",
        s.heat_kt.len()
    );
    if let Some(c) = s.mean_best_corr {
        let classes: Vec<String> = s
            .class_counts
            .iter()
            .map(|(d, k)| format!("{d}: {k}"))
            .collect();
        println!("mean largest |correlation| with a training digit: {c:.3}");
        println!("closest training class: {}", classes.join(", "));
        if let Some(f) = s.inverted_fraction {
            println!("sign-inverted samples: {:.1} %", 100.0 * f);
        }
    } else {
        println!(
            "no comparison with the training digits: their files were not found (pass --data DIR)"
        );
    }
}

fn print_waveforms(w: &thermocad::hardware::spice::Waveforms) {
    let t_end = w.time.last().copied().unwrap_or(0.0);
    println!(
        "ngspice: {} node voltages at {} time points up to {:.4e} s",
        w.names.len(),
        w.time.len(),
        t_end
    );
    let finals: Vec<f64> = w.values.iter().filter_map(|v| v.last().copied()).collect();
    let (m, sd) = mean_std(&finals);
    println!("final node voltages: mean {m:.4e} V, std {sd:.4e} V");
}

fn print_energy(s: &thermocad::workflow::energy::EnergySummary, out: &std::path::Path) {
    let (m, sd) = mean_std(&s.heat_kt);
    println!(
        "heat Q: mean {m:.4e} kT, std {sd:.3e} kT over {} samples",
        s.heat_kt.len()
    );
    for b in &s.budgets {
        println!("{:<52} {:.3e} J", b.name, b.joules);
    }
    println!("advantage ratios (with their assumptions) and notes:");
    for a in s.advantages.iter().chain(&s.notes) {
        println!("  {a}");
    }
    println!(
        "report in {} (energy.md, energy.csv, energy.png)",
        out.display()
    );
}

fn run(cli: Cli) -> Result<()> {
    let progress = std::io::stderr().is_terminal();
    match cli.command {
        Command::Train(args) => {
            let job = args.job(progress)?;
            let out = job.out.clone();
            let s = train::run(job)?;
            println!(
                "trained {} trajectories on {} images in {:.1} s; loss per unit per step {:.4} -> {:.4}; model in {}",
                s.trajectories,
                s.images,
                s.seconds,
                s.first_loss,
                s.final_loss,
                out.display()
            );
        }
        Command::Init {
            config,
            out,
            set,
            force,
        } => {
            let config = thermocad::config::load_checked(&config, &set)?;
            let n = init::run(&config, &out, force)?;
            println!("wrote an untrained {n}-unit model to {}", out.display());
        }
        Command::Sample {
            model,
            n,
            seed,
            out,
            threads,
            data,
            force,
        } => {
            if n == 0 {
                anyhow::bail!(thermocad::Error::Invalid("--n must be at least 1".into()));
            }
            let s = sample::run(sample::SampleJob {
                model,
                n,
                seed,
                out: out.clone(),
                threads,
                data_dir: data,
                progress,
                force,
            })?;
            print_sample_summary(&s);
            println!("samples in {}", out.display());
        }
        Command::Demo {
            out,
            samples,
            set,
            force,
        } => {
            let (t, s, c) = demo::run(demo::DemoJob {
                out: out.clone(),
                overrides: set,
                samples,
                progress,
                force,
            })?;
            println!(
                "demo: trained {} trajectories in {:.1} s, loss {:.4} -> {:.4}",
                t.trajectories, t.seconds, t.first_loss, t.final_loss
            );
            print_sample_summary(&s);
            for line in &c.lines {
                println!("{}", line.trim_matches('|').trim());
            }
            println!("results in {} (summary.md)", out.display());
        }
        Command::Energy(job) => print_energy(&thermocad::workflow::energy::run(&job)?, &job.out),
        Command::Export { job, run } => {
            let s = export::export(&job)?;
            let out = job.out;
            let c = &s.circuit;
            println!(
                "wrote {} ({:.1} MB) in {:.2} s: {} nodes, {} components; v0 = {:.4e} V, t_unit = {:.3e} s, kT = {:.4e} J, C = {:.3e} F",
                out.display(),
                s.bytes as f64 / 1e6,
                s.seconds,
                c.nodes.len(),
                c.components.len(),
                c.mapping.v0,
                c.mapping.t_unit,
                c.mapping.kt_joules,
                c.mapping.c
            );
            println!(
                "quantization: couplings rel. Frobenius error {:.3e}, max abs {:.3e}, pruned {:.2} %; biases rel. error {:.3e}",
                s.couplings.rel_frobenius,
                s.couplings.max_abs,
                100.0 * s.couplings.pruned_fraction,
                s.biases.rel_frobenius
            );
            if let Some(m) = &c.margins {
                let worst = m.iter().cloned().fold(f64::INFINITY, f64::min);
                println!("resistive couplings: smallest ground-conductance margin {worst:.3}");
            }
            if let Some(d) = &s.digit {
                println!(
                    "inputs driven by image {} of the data set (digit {})",
                    d.index, d.label
                );
            }
            if run {
                let w = export::run_spice(&out)?;
                print_waveforms(&w);
                if let Some(p) = s.digit.as_ref().and_then(|d| d.prediction(&w)) {
                    println!("ngspice prediction: digit {p}");
                }
            }
        }
        Command::Tolerance(mut job) => {
            job.progress = progress;
            let s = tolerance::run(&job)?;
            if let Some(a) = s.classifier_accuracy {
                println!(
                    "digit classifier: {:.1} % on its held-out digits",
                    100.0 * a
                );
            }
            println!(
                "tolerance: {} tasks in this run ({} resumed) in {}",
                s.owned,
                s.resumed,
                job.out.display()
            );
            match &s.summary {
                Some(md) => print_study(Some(md)),
                None => {
                    println!("a shard of a larger study: combine the shards with `thermocad merge`")
                }
            }
        }
        Command::Merge { out, inputs, force } => {
            let md = tolerance::merge(&inputs, &out, force)?;
            print_study(Some(&md));
            println!("merged {} shards into {}", inputs.len(), out.display());
        }
        Command::Teach(args) => {
            let job = args.job(progress)?;
            let out = job.out.clone();
            let s = teach::run(job)?;
            println!(
                "teacher: held-out accuracy {:.4} ({} training, {} held-out images)",
                s.teacher_accuracy, s.images.0, s.images.1
            );
            println!(
                "student: {} idealised trajectories, action per unit per step {:.4}; held-out top-1 {:.4}, top-2 {:.4} (one trajectory); {:.1} s; model in {}",
                s.trajectories,
                s.final_loss,
                s.student.0,
                s.student.1,
                s.seconds,
                out.display()
            );
        }
        Command::Classify {
            model,
            data,
            trajectories,
            count,
            seed,
            out,
            threads,
            force,
        } => {
            if trajectories == 0 {
                anyhow::bail!(thermocad::Error::Invalid(
                    "--trajectories must be at least 1".into()
                ));
            }
            let s = classify::run(classify::ClassifyJob {
                model,
                data,
                trajectories,
                count,
                seed,
                out: out.clone(),
                threads,
                force,
            })?;
            println!("top-1 accuracy: {:.3}", s.top1);
            println!("top-2 accuracy: {:.3}", s.top2);
            if let Some(t) = s.teacher_accuracy {
                println!("teacher top-1 accuracy: {t:.3}");
            }
            println!(
                "heat per inference: mean {:.4e} kT, std {:.3e} kT ({} digits, {trajectories} trajectories each)",
                s.heat_mean, s.heat_std, s.images
            );
            println!(
                "digital teacher: {} MACs x {:.1e} kT/MAC (1 pJ) = {:.3e} kT; thermodynamic advantage {:.3e}",
                s.teacher_macs,
                classify::KT_PER_MAC,
                s.digital_kt,
                s.advantage
            );
            println!(
                "classified in {:.3} s; {:.2} x the rate of a same-shape SGEMM {}; results in {}",
                s.seconds,
                s.sgemm_ratio,
                s.sgemm_shape,
                out.display()
            );
        }
        Command::Spice { netlist } => print_waveforms(&export::run_spice(&netlist)?),
        Command::Bench(job) => {
            if job.batch == 0 || job.steps == 0 || job.visible + job.hidden == 0 {
                anyhow::bail!(thermocad::Error::Invalid(
                    "--batch, --steps and the unit counts must be positive".into()
                ));
            }
            let lines = bench::run(job);
            println!(
                "{:<58} {:>12} {:>11} {:>10} {:>9}",
                "measurement", "GFLOP", "time (ms)", "GFLOP/s", "vs SGEMM"
            );
            for l in &lines {
                println!(
                    "{:<58} {:>12.3} {:>11.3} {:>10} {:>9}",
                    l.name,
                    l.flops / 1e9,
                    l.seconds * 1e3,
                    if l.flops > 0.0 {
                        format!("{:.1}", l.gflops())
                    } else {
                        "-".into()
                    },
                    l.ratio.map_or("-".into(), |r| format!("{r:.2}"))
                );
            }
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!(
                "thermocad: error: {}",
                thermocad::error::one_line(e.as_ref())
            );
            let input = e
                .downcast_ref::<thermocad::Error>()
                .is_some_and(thermocad::Error::is_user_input);
            ExitCode::from(if input { 2 } else { 1 })
        }
    }
}
