//! `thermocad export` and `thermocad spice`: quantize a trained model, build its circuit on a
//! hardware profile, stream the ngspice deck to disk, and optionally run it.

use crate::dynamics::sampler::Batch;
use crate::error::{io_err, Result};
use crate::hardware::circuit::{self, Circuit};
use crate::hardware::netlist::{self, Transient};
use crate::hardware::profile::load_profile;
use crate::hardware::quantize::{quantize_computer, BitWidth, Granularity, QuantReport, QuantSpec};
use crate::hardware::spice::{self, Waveforms};
use crate::model::build::load_dir;
use std::io::BufWriter;
use std::path::PathBuf;
use std::time::Instant;

/// An export job (also the `thermocad export` arguments).
#[derive(Clone, Debug, clap::Args)]
pub struct ExportJob {
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
    /// Seed of the initial state and of ngspice's noise.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Simulated duration in model time units (default: the model's t_f).
    #[arg(long = "t", value_name = "T")]
    pub t_stop: Option<f64>,
}

/// What an export produced.
pub struct ExportSummary {
    /// The circuit.
    pub circuit: Circuit,
    /// Coupling quantization report.
    pub couplings: QuantReport,
    /// Bias quantization report.
    pub biases: QuantReport,
    /// Deck size [bytes].
    pub bytes: u64,
    /// Wall time of building and writing [s].
    pub seconds: f64,
}

/// Quantize, build and write the deck.
pub fn export(job: &ExportJob) -> Result<ExportSummary> {
    let start = Instant::now();
    let md = load_dir(&job.model)?;
    let profile = load_profile(&job.hardware)?;
    let bits = job.bits.map(BitWidth::new).transpose()?;
    let spec = QuantSpec {
        bits,
        granularity: if job.per_row {
            Granularity::PerRow
        } else {
            Granularity::PerTensor
        },
        clip_percentile: job.clip_percentile,
        prune_threshold: job.prune,
    };
    let (computer, couplings, biases) = quantize_computer(&md.computer, &spec)?;
    let circuit = circuit::build(&computer, &profile)?;
    // Initial state: one exact sample of the coupling-free equilibrium (the noise a generation starts from).
    let x0 = Batch::from_equilibrium(&computer, job.seed, 0, 1)
        .x
        .row(0)
        .mapv(f64::from)
        .to_vec();
    let ph = computer.physics;
    let tran = Transient {
        t_stop: job.t_stop.unwrap_or(md.config.noising.t_final),
        step: ph.dt,
        max_step: ph.dt,
        noise: job.noise,
        seed: job.seed,
        reltol: 1e-4,
        initial: Some(x0),
        data_file: format!(
            "{}.data",
            job.out
                .file_stem()
                .map_or("out".into(), |s| s.to_string_lossy().into_owned())
        ),
    };
    let mut comments = vec![
        format!(
            "model {}: N = {} units ({}), {} couplings",
            job.model.display(),
            computer.n(),
            groups(&computer),
            computer.topology.n_couplings()
        ),
        format!(
            "J2 = {} J4 = {} mu = {} kT = {} dt = {} t_f = {} (model units)",
            ph.j2, ph.j4, ph.mu, ph.kt, ph.dt, md.config.noising.t_final
        ),
        format!(
            "hardware {} ({:?} couplings), bits {}, prune {}",
            profile.name,
            profile.coupling,
            job.bits.map_or("full".into(), |b| b.to_string()),
            job.prune
        ),
        format!(
            "quantization: couplings rel. Frobenius error {:.3e}, max abs {:.3e}, pruned {:.2} %",
            couplings.rel_frobenius,
            couplings.max_abs,
            100.0 * couplings.pruned_fraction
        ),
        "node voltage v = v0 * x; unit nodes v<k> (visible), h<k> (hidden)".into(),
    ];
    let clamped: Vec<&str> = computer
        .topology
        .groups()
        .iter()
        .filter(|g| g.clamped)
        .map(|g| g.name.as_str())
        .collect();
    if !clamped.is_empty() {
        comments.push(format!(
            "clamped units ({}): ideal DC sources V at v0 * x of the initial state (one image); set their values per input",
            clamped.join(", ")
        ));
    }
    let title = format!("thermocad netlist of {}", job.model.display());
    let file = std::fs::File::create(&job.out).map_err(io_err(&job.out))?;
    let mut w = BufWriter::new(file);
    netlist::write(&mut w, &circuit, &title, &comments, &tran).map_err(io_err(&job.out))?;
    drop(w);
    let bytes = std::fs::metadata(&job.out).map_err(io_err(&job.out))?.len();
    Ok(ExportSummary {
        circuit,
        couplings,
        biases,
        bytes,
        seconds: start.elapsed().as_secs_f64(),
    })
}

fn groups(c: &crate::model::Computer<f32>) -> String {
    c.topology
        .groups()
        .iter()
        .map(|g| format!("{} {}", g.len(), g.name))
        .collect::<Vec<_>>()
        .join(" + ")
}

/// Run a deck through ngspice and read its waveforms.
pub fn run_spice(deck: &std::path::Path) -> Result<Waveforms> {
    Ok(spice::run(deck)?)
}
