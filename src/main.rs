//! The `thermocad` command: a thin layer that parses arguments, runs a workflow and maps
//! errors to one line on stderr and an exit code (2: bad input or configuration, 1: failure).

use anyhow::Result;
use clap::{Parser, Subcommand};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use thermocad::metrics::mean_std;
use thermocad::workflow::{bench, demo, export, init, sample, train};

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

#[derive(Subcommand)]
enum Command {
    /// Generative training on noising trajectories of images (Whitelam 2025).
    Train {
        /// Configuration file (TOML with [model], [noising], [train], [data]).
        #[arg(long)]
        config: PathBuf,
        /// Output directory (model.toml, params.npz, loss.csv, loss.png, checkpoint.npz).
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
    },
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
        Command::Train {
            config,
            out,
            data,
            resume,
            set,
        } => {
            let config = thermocad::config::load_checked(&config, &set)?;
            let s = train::run(train::TrainJob {
                config,
                data_dir: data,
                out: out.clone(),
                resume,
                progress,
            })?;
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
        Command::Init { config, out, set } => {
            let config = thermocad::config::load_checked(&config, &set)?;
            let n = init::run(&config, &out)?;
            println!("wrote an untrained {n}-unit model to {}", out.display());
        }
        Command::Sample {
            model,
            n,
            seed,
            out,
            threads,
            data,
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
            })?;
            print_sample_summary(&s);
            println!("samples in {}", out.display());
        }
        Command::Demo { out, samples, set } => {
            let (t, s, c) = demo::run(demo::DemoJob {
                out: out.clone(),
                overrides: set,
                samples,
                progress,
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
            if run {
                print_waveforms(&export::run_spice(&out)?);
            }
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
            eprintln!("thermocad: error: {e:#}");
            let input = matches!(
                e.downcast_ref::<thermocad::Error>(),
                Some(
                    thermocad::Error::Config(_)
                        | thermocad::Error::Invalid(_)
                        | thermocad::Error::Data(_)
                        | thermocad::Error::Resume { .. }
                        | thermocad::Error::Profile(_)
                        | thermocad::Error::Quant(_)
                        | thermocad::Error::Circuit(_)
                )
            );
            ExitCode::from(if input { 2 } else { 1 })
        }
    }
}
