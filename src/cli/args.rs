//! Raw command-line arguments (clap) and their one conversion into checked jobs.
//!
//! Every flag of every command is declared here and nowhere else; `check` turns the raw
//! arguments into the job a workflow runs, refusing bad values with an [`Error::Flag`] that
//! names the flag (exit code 2). The workflows never see clap.

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use thermocad::error::{Error, Result};
use thermocad::hardware::perturb::Spread;
use thermocad::hardware::quantize::{
    BitWidth, Granularity, QuantError, QuantSpec, MAX_BITS, MIN_BITS,
};
use thermocad::tolerance::dir::CLASSIFIER_NPZ;
use thermocad::tolerance::{inputs::ScoringSource, sweep::Sweep, Shard, StudyError};
use thermocad::workflow::{
    bench::BenchJob,
    classify::ClassifyJob,
    demo::DemoJob,
    design::{DesignJob, MergeJob},
    energy::EnergyJob,
    export::ExportJob,
    sample::{FrechetReference, Judge, SampleJob},
    tolerance::ToleranceJob,
    tolerance::MIN_RESAMPLES,
    train::TrainJob,
};

/// The `thermocad` command line.
#[derive(Parser)]
#[command(
    name = "thermocad",
    version,
    about = "Train Langevin (thermodynamic) computers and design the circuits that run them"
)]
pub struct Cli {
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Subcommand)]
pub enum Command {
    /// Generative training on noising trajectories of images (Whitelam 2025).
    Train(RunArgs),
    /// Write an untrained model directory from a config (couplings from model.init_scale).
    Init(InitArgs),
    /// Generate samples from a trained model.
    Sample(SampleArgs),
    /// Run the whole pipeline on the embedded synthetic digits (about a minute).
    Demo(DemoArgs),
    /// Quantize a trained model, map it to a circuit and write an ngspice netlist.
    Export(ExportArgs),
    /// Energy budgets per sample: ideal heat, digital alternatives, the circuit's own power.
    Energy(EnergyArgs),
    /// Run an ngspice netlist in batch and summarise its node voltages.
    Spice(SpiceArgs),
    /// Throughput of the sampling step and training gradient relative to a plain SGEMM.
    Bench(BenchArgs),
    /// Teacher–student training of a thermodynamic classifier (teacher MLP, then the computer;
    /// the config needs [[model.groups]] and [teach]).
    Teach(RunArgs),
    /// Classify digits with a trained thermodynamic classifier: accuracy, heat, energy.
    Classify(ClassifyArgs),
    /// Monte Carlo tolerance study: generation quality of perturbed chips (behavioral simulator).
    Tolerance(ToleranceArgs),
    /// Combine the shards of a tolerance study into one result.
    Merge(MergeArgs),
    /// Design-space search: the cheapest chip (profile values × bit width) that meets a yield
    /// target, with the Pareto front of energy per sample and area (docs/design.md).
    Design(DesignArgs),
}

/// An error naming `flag` unless `ok`.
fn require(ok: bool, flag: &'static str, why: &str) -> Result<()> {
    if ok {
        Ok(())
    } else {
        Err(Error::Flag {
            flag,
            why: why.into(),
        })
    }
}

/// The chip a command trains for or generates on: `--hardware FILE [--bits B]`.
#[derive(clap::Args)]
pub struct ChipArgs {
    /// Hardware profile of the chip (e.g. hardware/gm-c.toml): `train`/`teach` train for it
    /// (its realisability limits after every step), `sample` generates on its behavioral
    /// simulator instead of the ideal computer (docs/codesign.md).
    #[arg(long, value_name = "FILE")]
    pub hardware: Option<PathBuf>,
    /// Bit width of the chip's couplings and biases, 2..=32, quantized as `export --bits B`
    /// quantizes them (`sample`'s default: the model's [hardware] bits when it was trained
    /// for this profile, else full precision).
    #[arg(long, value_name = "B")]
    pub bits: Option<u32>,
}

impl ChipArgs {
    /// `--bits` checked.
    fn bits(&self) -> Result<Option<BitWidth>> {
        check_bits(self.bits)
    }
}

/// A `--bits` value checked.
fn check_bits(bits: Option<u32>) -> Result<Option<BitWidth>> {
    bits.map(|b| {
        BitWidth::new(b).map_err(|_| Error::Flag {
            flag: "--bits",
            why: format!(
                "must be in {MIN_BITS}..={MAX_BITS}, got {b} (1 bit leaves only the level 0)"
            ),
        })
    })
    .transpose()
}

/// What the commands that run noisy trajectories into a results directory share (`sample`,
/// `classify`, `energy`).
#[derive(clap::Args)]
pub struct RunOutArgs {
    /// Seed of the thermal noise: the same seed gives the same results whatever --threads.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Output directory.
    #[arg(long)]
    pub out: PathBuf,
    /// Threads (0 = all cores).
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
    /// Overwrite an existing output at --out.
    #[arg(long)]
    pub force: bool,
}

/// Arguments of the training commands (`train`, `teach`).
#[derive(clap::Args)]
pub struct RunArgs {
    /// Configuration file (TOML; see docs/config.md).
    #[arg(long)]
    pub config: PathBuf,
    /// Output directory (model.toml, params.npz, curves, checkpoint.npz).
    #[arg(long)]
    pub out: PathBuf,
    /// Directory of the MNIST IDX files (overrides data.path).
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Continue the run in --out from its checkpoint.
    #[arg(long)]
    pub resume: bool,
    /// Override a config field: --set section.key=value (repeatable).
    #[arg(long = "set", value_name = "SECTION.KEY=VALUE")]
    pub set: Vec<String>,
    /// Start over in an --out that already holds a model or run (its checkpoint is removed).
    #[arg(long)]
    pub force: bool,
    /// The chip to train for (`--hardware`, `--bits`; they override hardware.profile and
    /// hardware.bits).
    #[command(flatten)]
    pub chip: ChipArgs,
    /// Perturbation-aware training: every trajectory is scored on its own chip drawn from the
    /// profile's tolerances and mismatch (sets hardware.perturb = true; needs a profile).
    #[arg(long)]
    pub perturb: bool,
}

impl RunArgs {
    /// The validated configuration and the job it describes.
    pub fn check(self, progress: bool) -> Result<TrainJob> {
        let mut set = self.set;
        if let Some(b) = self.chip.bits()? {
            set.push(format!("hardware.bits={}", b.get()));
        }
        if let Some(p) = &self.chip.hardware {
            let path = toml::Value::String(p.display().to_string());
            set.push(format!("hardware.profile={path}"));
        }
        if self.perturb {
            set.push("hardware.perturb=true".into());
        }
        Ok(TrainJob {
            config: thermocad::config::load_checked(&self.config, &set)?,
            data_dir: self.data,
            out: self.out,
            resume: self.resume,
            force: self.force,
            progress,
        })
    }
}

/// `thermocad init`.
#[derive(clap::Args)]
pub struct InitArgs {
    /// Configuration file; model.visible must be set.
    #[arg(long)]
    pub config: PathBuf,
    /// Output model directory.
    #[arg(long)]
    pub out: PathBuf,
    /// Override a config field (repeatable).
    #[arg(long = "set", value_name = "SECTION.KEY=VALUE")]
    pub set: Vec<String>,
    /// Overwrite an existing output (model, run or results) at --out.
    #[arg(long)]
    pub force: bool,
}

/// `thermocad sample`.
#[derive(clap::Args)]
pub struct SampleArgs {
    /// Trained model directory (model.toml + params.npz).
    #[arg(long)]
    pub model: PathBuf,
    /// Number of samples.
    #[arg(long, default_value_t = 25)]
    pub n: usize,
    /// MNIST directory, to score samples against the training digits; also turns on the
    /// digit-classifier judge (trained into --out/classifier.npz unless --classifier is given).
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Digit classifier judging the samples (`.npz`, e.g. a tolerance study's
    /// classifier.npz): loaded when it exists, else trained and saved there.
    #[arg(long, conflicts_with = "no_classifier")]
    pub classifier: Option<PathBuf>,
    /// Judge the samples only by their correlations with the training digits.
    #[arg(long)]
    pub no_classifier: bool,
    /// `--seed`, `--out`, `--threads`, `--force`.
    #[command(flatten)]
    pub run: RunOutArgs,
    /// The chip to generate on (`--hardware`, `--bits`); without `--hardware` the ideal computer.
    #[command(flatten)]
    pub hw: ChipArgs,
    /// 0: the nominal chip; K ≥ 1: chip K of a tolerance study with the same --seed (its
    /// tolerance.csv row chip = K); needs --hardware.
    #[arg(long, value_name = "K")]
    pub chip: Option<u64>,
    /// Compare the samples (Fréchet distance) with the judge's held-out digits of these classes
    /// (MNIST test images 8000..10000) instead of held-out digits of the training classes: one
    /// reference for models trained on different classes, e.g. `--reference-digits 0-9`.
    #[arg(long, value_name = "DIGITS")]
    pub reference_digits: Option<String>,
}

impl SampleArgs {
    /// The sampling job.
    pub fn check(self, progress: bool) -> Result<SampleJob> {
        require(self.n >= 1, "--n", "must be at least 1")?;
        if self.hw.hardware.is_none() {
            let why = "needs --hardware FILE (the chip's profile)";
            require(self.chip.is_none(), "--chip", why)?;
            require(self.hw.bits.is_none(), "--bits", why)?;
        }
        let bits = self.hw.bits()?.map(|b| b.get());
        let chip = self
            .hw
            .hardware
            .map(|profile| thermocad::tolerance::chip::ChipChoice {
                profile,
                bits,
                chip: self.chip.unwrap_or(0),
            });
        let judge = match (self.no_classifier, self.classifier, &self.data) {
            (true, _, _) | (false, None, None) => Judge::Off,
            (false, Some(path), _) => Judge::At(path),
            (false, None, Some(_)) => Judge::At(self.run.out.join(CLASSIFIER_NPZ)),
        };
        let reference = match &self.reference_digits {
            None => FrechetReference::HeldOut,
            Some(list) => {
                let why = "needs the digit-classifier judge (--data DIR or --classifier FILE)";
                require(judge != Judge::Off, "--reference-digits", why)?;
                FrechetReference::JudgeTest(digit_list(list, "--reference-digits")?)
            }
        };
        Ok(SampleJob {
            model: self.model,
            n: self.n,
            seed: self.run.seed,
            out: self.run.out,
            threads: self.run.threads,
            data_dir: self.data,
            progress,
            force: self.run.force,
            chip,
            judge,
            reference,
        })
    }
}

/// Digits 0–9 given as a comma-separated list of digits and ranges (`0-9`, `0,1,2`, `0-2,7`),
/// sorted and without repeats.
fn digit_list(list: &str, flag: &'static str) -> Result<Vec<u8>> {
    let bad = || Error::Flag {
        flag,
        why: format!("= {list:?}: expected digits 0-9 as a list such as 0-9 or 0,1,2"),
    };
    let mut digits = Vec::new();
    for part in list.split(',').map(str::trim) {
        let (a, b) = part.split_once('-').unwrap_or((part, part));
        let (a, b): (u8, u8) = (
            a.trim().parse().map_err(|_| bad())?,
            b.trim().parse().map_err(|_| bad())?,
        );
        if a > b || b > 9 {
            return Err(bad());
        }
        digits.extend(a..=b);
    }
    digits.sort_unstable();
    digits.dedup();
    Ok(digits)
}

/// `thermocad demo`.
#[derive(clap::Args)]
pub struct DemoArgs {
    /// Output directory.
    #[arg(long, default_value = "demo-out")]
    pub out: PathBuf,
    /// Samples to draw.
    #[arg(long, default_value_t = 100)]
    pub samples: usize,
    /// Override a field of the demo config (repeatable).
    #[arg(long = "set", value_name = "SECTION.KEY=VALUE")]
    pub set: Vec<String>,
    /// Overwrite an existing output (model, run or results) at --out.
    #[arg(long)]
    pub force: bool,
}

impl DemoArgs {
    /// The demo job.
    pub fn check(self, progress: bool) -> Result<DemoJob> {
        Ok(DemoJob {
            out: self.out,
            overrides: self.set,
            samples: self.samples,
            progress,
            force: self.force,
        })
    }
}

/// `thermocad export`.
#[derive(clap::Args)]
pub struct ExportArgs {
    /// Trained model directory.
    #[arg(long)]
    pub model: PathBuf,
    /// Hardware profile (e.g. hardware/ideal.toml).
    #[arg(long)]
    pub hardware: PathBuf,
    /// Bit width of couplings and biases (2..=32; default: full precision).
    #[arg(long)]
    pub bits: Option<u32>,
    /// Prune couplings with |J| below this (model energy units).
    #[arg(long, default_value_t = 0.0)]
    pub prune: f64,
    /// Quantize with one scale per row (unit) instead of one per tensor.
    #[arg(long)]
    pub per_row: bool,
    /// Set the quantization scale at this percentile of |J| (0 < P ≤ 100), clipping above.
    #[arg(long, value_name = "P")]
    pub clip_percentile: Option<f64>,
    /// Output netlist (.cir).
    #[arg(long)]
    pub out: PathBuf,
    /// Include the thermal noise sources.
    #[arg(long = "no-noise", action = clap::ArgAction::SetFalse, help = "Leave out the thermal noise sources")]
    pub noise: bool,
    /// Noise as ngspice TRNOISE sources (small deck, but ngspice's own random numbers: not
    /// reproducible run to run) instead of thermocad's per-node held-noise PWL sources.
    #[arg(long)]
    pub trnoise: bool,
    /// Seed of the initial state and of the deck's noise streams.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Simulated duration in model time units (default: the model's t_f; a classifier's
    /// observation time `teach.t_final`).
    #[arg(long = "t", value_name = "T")]
    pub t_stop: Option<f64>,
    /// Classifier models: drive the inputs with image N (0-based) of the model's data set
    /// (default: its first held-out digit).
    #[arg(long, value_name = "N")]
    pub image: Option<usize>,
    /// MNIST directory of a classifier trained on MNIST (default: the one in model.toml).
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Run the deck through ngspice afterwards.
    #[arg(long)]
    pub run: bool,
    /// Overwrite an existing deck at --out (never a file of the model or the profile).
    #[arg(long)]
    pub force: bool,
}

impl ExportArgs {
    /// The export job and whether to run the deck.
    pub fn check(self) -> Result<(ExportJob, bool)> {
        let quant = QuantSpec {
            bits: check_bits(self.bits)?,
            granularity: if self.per_row {
                Granularity::PerRow
            } else {
                Granularity::PerTensor
            },
            clip_percentile: self.clip_percentile,
            prune_threshold: self.prune,
        };
        quant.validate().map_err(|e| Error::Flag {
            flag: match e {
                QuantError::Percentile { .. } => "--clip-percentile",
                _ => "--prune",
            },
            why: e.to_string(),
        })?;
        Ok((
            ExportJob {
                model: self.model,
                hardware: self.hardware,
                quant,
                out: self.out,
                noise: self.noise,
                trnoise: self.trnoise,
                seed: self.seed,
                t_stop: self.t_stop,
                image: self.image,
                data: self.data,
                force: self.force,
            },
            self.run,
        ))
    }
}

/// `thermocad energy`.
#[derive(clap::Args)]
pub struct EnergyArgs {
    /// Trained model directory.
    #[arg(long)]
    pub model: PathBuf,
    /// Hardware profile for the circuit-level budgets (e.g. hardware/gm-c.toml).
    #[arg(long)]
    pub hardware: Option<PathBuf>,
    /// Digital energy table (default: the shipped hardware/digital-energy.toml).
    #[arg(long)]
    pub digital: Option<PathBuf>,
    /// Precision of the digital budgets, a [precision.*] name of the table (overrides budget.precision).
    #[arg(long)]
    pub precision: Option<String>,
    /// Generated samples the heat statistics are taken over (for a classifier: inferences on
    /// the last N held-out digits).
    #[arg(long, default_value_t = 1000)]
    pub samples: usize,
    /// Samples between two reprogrammings of the couplings: the programming energy is shared
    /// by them.
    #[arg(long, default_value_t = 1000)]
    pub samples_per_program: u64,
    /// Noising (forward) trajectories the forward-process heat is taken over (0: skip).
    #[arg(long, default_value_t = 100)]
    pub forward: usize,
    /// Temperature of the heat bath [K] that converts kT to joules.
    #[arg(long, default_value_t = thermocad::energy::units::ROOM_TEMPERATURE_K)]
    pub temperature: f64,
    /// MNIST directory, for the forward process on the training images.
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// `--seed`, `--out` (energy.md, energy.csv, energy.png), `--threads`, `--force`.
    #[command(flatten)]
    pub run: RunOutArgs,
}

impl EnergyArgs {
    /// The energy job.
    pub fn check(self) -> Result<EnergyJob> {
        Ok(EnergyJob {
            model: self.model,
            hardware: self.hardware,
            digital: self.digital,
            precision: self.precision,
            samples: self.samples,
            samples_per_program: self.samples_per_program,
            forward: self.forward,
            temperature: self.temperature,
            seed: self.run.seed,
            data: self.data,
            threads: self.run.threads,
            out: self.run.out,
            force: self.run.force,
        })
    }
}

/// `thermocad spice`.
#[derive(clap::Args)]
pub struct SpiceArgs {
    /// The netlist.
    #[arg(long)]
    pub netlist: PathBuf,
    /// Run a deck even if it has lines thermocad does not write (`shell`, `.include`, …).
    #[arg(long)]
    pub trust_deck: bool,
    /// Stop ngspice after this many seconds (exit code 1).
    #[arg(long, value_name = "SECONDS", default_value_t = thermocad::hardware::spice::DEFAULT_TIMEOUT)]
    pub timeout: f64,
}

/// `thermocad bench`.
#[derive(clap::Args)]
pub struct BenchArgs {
    /// Visible units.
    #[arg(long, default_value_t = 784)]
    pub visible: usize,
    /// Hidden units.
    #[arg(long, default_value_t = 512)]
    pub hidden: usize,
    /// Batch of the sampling benchmark.
    #[arg(long, default_value_t = 1000)]
    pub batch: usize,
    /// Steps per training trajectory.
    #[arg(long, default_value_t = 2500)]
    pub steps: usize,
    /// Repeats (best of).
    #[arg(long, default_value_t = 3)]
    pub repeats: usize,
    /// Rounds: the whole benchmark runs this many times and every line keeps its best round,
    /// so that a burst of load on a shared machine spoils a line only if it lasts all rounds.
    #[arg(long, default_value_t = 3)]
    pub rounds: usize,
    /// Threads (0 = all cores).
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
    /// Also time ngspice against the behavioral simulator on the 16-unit reference circuit.
    #[arg(long)]
    pub spice: bool,
    /// Skip the end-to-end lines (train 20 trajectories, sample --n 100 of the paper model).
    #[arg(long)]
    pub no_end_to_end: bool,
    /// MNIST directory: time reading it and train the end-to-end model on it (default: the
    /// embedded synthetic digits).
    #[arg(long, value_name = "DIR")]
    pub data: Option<PathBuf>,
}

impl BenchArgs {
    /// The benchmark sizes.
    pub fn check(self) -> Result<BenchJob> {
        require(
            self.batch > 0 && self.steps > 0 && self.visible + self.hidden > 0,
            "--batch",
            "must be positive, and so must --steps and --visible + --hidden",
        )?;
        require(
            (1..=100).contains(&self.rounds),
            "--rounds",
            "must be 1 to 100",
        )?;
        Ok(BenchJob {
            visible: self.visible,
            hidden: self.hidden,
            batch: self.batch,
            steps: self.steps,
            repeats: self.repeats,
            rounds: self.rounds,
            threads: self.threads,
            spice: self.spice,
            end_to_end: !self.no_end_to_end,
            data: self.data,
        })
    }
}

/// `thermocad classify`.
#[derive(clap::Args)]
pub struct ClassifyArgs {
    /// Trained classifier directory (from `thermocad teach`).
    #[arg(long)]
    pub model: PathBuf,
    /// Directory of the IDX files (images and labels).
    #[arg(long)]
    pub data: PathBuf,
    /// Trajectories per digit (outputs averaged).
    #[arg(long, default_value_t = 1)]
    pub trajectories: usize,
    /// Classify the last N images of the set (default: the model's teach.test_images).
    #[arg(long)]
    pub count: Option<usize>,
    /// `--seed`, `--out`, `--threads`, `--force`.
    #[command(flatten)]
    pub run: RunOutArgs,
}

impl ClassifyArgs {
    /// The classification job.
    pub fn check(self) -> Result<ClassifyJob> {
        require(
            self.trajectories >= 1,
            "--trajectories",
            "must be at least 1",
        )?;
        Ok(ClassifyJob {
            model: self.model,
            data: self.data,
            trajectories: self.trajectories,
            count: self.count,
            seed: self.run.seed,
            out: self.run.out,
            threads: self.run.threads,
            force: self.run.force,
        })
    }
}

/// How a study's or a design search's chips are scored (`tolerance`, `design`).
#[derive(clap::Args)]
pub struct ScoringArgs {
    /// Held-out noising trajectories that score each chip's −ln P̃.
    #[arg(long, default_value_t = 6)]
    pub heldout: usize,
    /// Bootstrap resamples per metric.
    #[arg(long, default_value_t = 200)]
    pub resamples: usize,
    /// A chip passes a metric when it is within this fraction of the ideal.
    #[arg(long, default_value_t = 0.05)]
    pub yield_threshold: f64,
    /// Digit classifier scoring generated samples (`.npz` written by an earlier study or
    /// search); default: the one cached in --out, else trained there (MNIST test images
    /// 0..8000 for MNIST models, synthetic digits 0–9 otherwise).
    #[arg(long)]
    pub classifier: Option<PathBuf>,
    /// Score generated samples without a digit classifier (only |corr| and −ln P).
    #[arg(long)]
    pub no_classifier: bool,
}

impl ScoringArgs {
    /// Where the scoring references come from, with the MNIST directory `data`.
    fn source(&self, data: Option<PathBuf>) -> ScoringSource {
        ScoringSource {
            data,
            classifier: self.classifier.clone(),
            no_classifier: self.no_classifier,
            heldout: self.heldout,
        }
    }

    /// Each value checked, an error naming its flag.
    fn check(&self) -> Result<()> {
        let setting =
            |field: &str, message: String| -> Error { StudyError::setting(field, message).into() };
        if self.resamples < MIN_RESAMPLES {
            return Err(setting(
                "--resamples",
                format!(
                    "must be at least {MIN_RESAMPLES} for a bootstrap interval, got {}",
                    self.resamples
                ),
            ));
        }
        if self.heldout == 0 {
            return Err(setting("--heldout", "must be at least 1".into()));
        }
        if !(self.yield_threshold > 0.0 && self.yield_threshold < 1.0) {
            return Err(setting(
                "--yield-threshold",
                format!("must be a fraction in (0, 1), got {}", self.yield_threshold),
            ));
        }
        Ok(())
    }
}

/// `thermocad tolerance`.
#[derive(clap::Args)]
pub struct ToleranceArgs {
    /// Trained model directory.
    #[arg(long)]
    pub model: PathBuf,
    /// Hardware profile (e.g. hardware/gm-c.toml).
    #[arg(long)]
    pub hardware: PathBuf,
    /// What to sweep: KEY=A..B (bits), KEY=A..B/N, KEY=A..B/Nlog or KEY=V1,V2,… with KEY one of
    /// bits, tolerance, capacitor_tolerance, gm_tolerance, mismatch, faults, noise, inductance,
    /// temperature, and for classifiers input_bits (resolution of the input drives).
    #[arg(long)]
    pub sweep: String,
    /// Chips (independent draws of the deviations) per swept value.
    #[arg(long, default_value_t = 20)]
    pub chips: usize,
    /// Samples generated per chip (default 100); for a classifier, held-out digits classified
    /// per chip (default: all of its held-out digits, `teach.test_images`).
    #[arg(long)]
    pub samples: Option<usize>,
    /// Seed of chips, samples and bootstraps.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// MNIST directory (for models trained on MNIST).
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Output directory (resumes the study already in it).
    #[arg(long)]
    pub out: PathBuf,
    /// Run only the K-th of M slices of the tasks (1 ≤ K ≤ M); combine with `thermocad merge`.
    #[arg(long, value_name = "K/M")]
    pub shard: Option<String>,
    /// Threads (0 = all cores); chips run in parallel, each single-threaded.
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
    /// Bit width of couplings and biases when bits are not swept (default: full precision).
    #[arg(long)]
    pub bits: Option<u32>,
    /// Only the swept non-ideality (default: the profile's tolerances, buffer errors and
    /// mismatch apply as well).
    #[arg(long)]
    pub isolate: bool,
    /// Distribution of toleranced values within ±tol: gaussian (σ = tol/3, truncated) or uniform.
    #[arg(long, default_value = "gaussian", value_parser = parse_spread)]
    pub spread: Spread,
    /// Write into an --out that already holds files other than this study's.
    #[arg(long)]
    pub force: bool,
    /// `--heldout`, `--resamples`, `--yield-threshold`, `--classifier`, `--no-classifier`.
    #[command(flatten)]
    pub scoring: ScoringArgs,
}

/// `--spread gaussian|uniform`.
fn parse_spread(s: &str) -> std::result::Result<Spread, String> {
    match s {
        "gaussian" => Ok(Spread::Gaussian),
        "uniform" => Ok(Spread::Uniform),
        _ => Err(format!("'{s}' is not gaussian or uniform")),
    }
}

impl ToleranceArgs {
    /// The study.
    pub fn check(self, progress: bool) -> Result<ToleranceJob> {
        let sweep = Sweep::parse(&self.sweep)?;
        let shard = match &self.shard {
            Some(s) => s.parse::<Shard>()?,
            None => Shard::ALL,
        };
        let setting =
            |field: &str, message: String| -> Error { StudyError::setting(field, message).into() };
        if self.chips == 0 {
            return Err(setting("--chips", "must be at least 1".into()));
        }
        thermocad::limits::count("--chips", self.chips as f64, thermocad::limits::MAX_TASKS)?;
        thermocad::limits::count(
            "tasks (sweep points × --chips)",
            (sweep.values.len() * self.chips) as f64,
            thermocad::limits::MAX_TASKS,
        )?;
        thermocad::limits::threads("--threads", self.threads)?;
        self.scoring.check()?;
        check_bits(self.bits)?;
        Ok(ToleranceJob {
            model: self.model,
            hardware: self.hardware,
            sweep,
            chips: self.chips,
            samples: self.samples,
            seed: self.seed,
            source: self.scoring.source(self.data),
            out: self.out,
            shard,
            threads: self.threads,
            bits: self.bits,
            isolate: self.isolate,
            spread: self.spread,
            resamples: self.scoring.resamples,
            yield_threshold: self.scoring.yield_threshold,
            progress,
            force: self.force,
        })
    }
}

/// `thermocad merge`.
#[derive(clap::Args)]
pub struct MergeArgs {
    /// Output directory (tolerance.csv, tolerance.png, yield.png, summary.md).
    #[arg(long)]
    pub out: PathBuf,
    /// The shards' study directories.
    #[arg(required = true)]
    pub inputs: Vec<PathBuf>,
    /// Overwrite an existing output (model, run or results) at --out.
    #[arg(long)]
    pub force: bool,
}

/// `thermocad design`.
#[derive(clap::Args)]
pub struct DesignArgs {
    /// Trained model directory (a generative model or a classifier).
    #[arg(long)]
    pub model: Option<PathBuf>,
    /// Base hardware profile whose fields the space varies (e.g. hardware/gm-c.toml).
    #[arg(long)]
    pub hardware: Option<PathBuf>,
    /// The design space: "KEY=RANGE; KEY=RANGE; …" with KEY `bits` or a numeric profile field
    /// by its dotted path (node.capacitance_f, mismatch.unit_area_m2, node.time_unit_s, …) and
    /// RANGE as in --sweep: A..B (bits), A..B/N, A..B/Nlog or V1,V2,….
    #[arg(long)]
    pub space: Option<String>,
    /// The yield target, "yield(METRIC) >= Y": METRIC corr, confident, frechet or nll for a
    /// generative model, top1 or top2 for a classifier.
    #[arg(long)]
    pub target: Option<String>,
    /// What to minimise among designs that meet the target: energy (per sample) or area.
    #[arg(long, default_value = "energy")]
    pub minimize: String,
    /// Chips per design at the last level of the search (every chip with --grid).
    #[arg(long, default_value_t = 20)]
    pub chips: usize,
    /// Seed of chips, samples and bootstraps (chip k is the same draw stream in every design).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Bit width of couplings and biases when `bits` is not a dimension of --space.
    #[arg(long, default_value_t = 8)]
    pub bits: u32,
    /// Samples generated per chip (default 100); for a classifier, held-out digits per chip
    /// (default: all of them).
    #[arg(long)]
    pub samples: Option<usize>,
    /// MNIST directory (for models trained on MNIST).
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Evaluate every design on every chip (the exhaustive grid) instead of successive halving.
    #[arg(long, alias = "exhaustive")]
    pub grid: bool,
    /// Run only the K-th of M slices of the first level's evaluations (all of them with
    /// --grid); finish with `thermocad design --merge SHARD… --out DIR`.
    #[arg(long, value_name = "K/M")]
    pub shard: Option<String>,
    /// Merge these shard directories into --out and finish the search there (the search's
    /// settings come from the shards' design.toml).
    #[arg(long, num_args = 1.., value_name = "DIR")]
    pub merge: Vec<PathBuf>,
    /// Threads (0 = all cores); chip evaluations run in parallel, each single-threaded.
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
    /// Output directory (resumes the search already in it).
    #[arg(long)]
    pub out: PathBuf,
    /// Write into an --out that already holds other files.
    #[arg(long)]
    pub force: bool,
    /// `--heldout`, `--resamples`, `--yield-threshold`, `--classifier`, `--no-classifier`.
    #[command(flatten)]
    pub scoring: ScoringArgs,
}

/// What `design` runs: a search, or the merge of shards.
pub enum DesignRun {
    /// A search (or a shard of one).
    Search(DesignJob),
    /// Merge shards and finish the search.
    Merge(MergeJob),
}

impl DesignArgs {
    /// The search or merge.
    pub fn check(self, progress: bool) -> Result<DesignRun> {
        use thermocad::design::{space::Space, target::Minimize, target::Target, DesignError};
        thermocad::limits::threads("--threads", self.threads)?;
        if !self.merge.is_empty() {
            return Ok(DesignRun::Merge(MergeJob {
                inputs: self.merge,
                out: self.out,
                data: self.data,
                classifier: self.scoring.classifier,
                threads: self.threads,
                progress,
                force: self.force,
            }));
        }
        fn need<T>(v: Option<T>, flag: &'static str) -> Result<T> {
            v.ok_or_else(|| {
                DesignError::Flag {
                    flag,
                    why: "is required (unless --merge)".into(),
                }
                .into()
            })
        }
        let model = need(self.model, "--model")?;
        let hardware = need(self.hardware, "--hardware")?;
        let space = Space::parse(&need(self.space, "--space")?)?;
        let target: Target = need(self.target, "--target")?.parse()?;
        let minimize: Minimize = self.minimize.parse()?;
        let shard = match &self.shard {
            Some(s) => s.parse::<Shard>()?,
            None => Shard::ALL,
        };
        let setting =
            |field: &str, message: String| -> Error { StudyError::setting(field, message).into() };
        if self.chips == 0 {
            return Err(setting("--chips", "must be at least 1".into()));
        }
        thermocad::limits::count(
            "chip evaluations (designs × --chips)",
            (space.len() * self.chips) as f64,
            thermocad::limits::MAX_TASKS,
        )?;
        self.scoring.check()?;
        check_bits(Some(self.bits))?;
        Ok(DesignRun::Search(DesignJob {
            model,
            hardware,
            space,
            target,
            minimize,
            chips: self.chips,
            seed: self.seed,
            bits: self.bits,
            samples: self.samples,
            resamples: self.scoring.resamples,
            yield_threshold: self.scoring.yield_threshold,
            source: self.scoring.source(self.data),
            grid: self.grid,
            shard,
            threads: self.threads,
            out: self.out,
            progress,
            force: self.force,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::digit_list;

    #[test]
    fn digit_lists_expand_ranges_sorted_without_repeats() {
        assert_eq!(
            digit_list("0-9", "--d").unwrap(),
            (0..10).collect::<Vec<u8>>()
        );
        assert_eq!(digit_list("7, 0-2,1", "--d").unwrap(), vec![0, 1, 2, 7]);
        for bad in ["", "0-10", "3-1", "x", "1-", "-1"] {
            assert!(digit_list(bad, "--d").is_err(), "{bad:?}");
        }
    }
}
