//! `thermocad export` and `thermocad spice`: quantize a trained model, build its circuit on a
//! hardware profile, stream the ngspice deck to disk, and optionally run it.

use crate::classifier::classifier_inputs_of;
use crate::config::TeachSpec;
use crate::dynamics::sampler::Batch;
use crate::error::{io_err, Error, Result};
use crate::hardware::circuit::{self, Circuit};
use crate::hardware::netlist::{self, Transient};
use crate::hardware::profile::load_profile;
use crate::hardware::quantize::{quantize_computer, QuantReport, QuantSpec};
use crate::hardware::spice::{self, Waveforms};
use crate::io::write_atomic;
use crate::model::build::{load_dir, ModelDir};
use crate::model::Computer;
use crate::rundir::claim_file;
use std::path::PathBuf;
use std::time::Instant;

/// An export job.
#[derive(Clone, Debug)]
pub struct ExportJob {
    /// Trained model directory.
    pub model: PathBuf,
    /// Hardware profile (e.g. hardware/ideal.toml).
    pub hardware: PathBuf,
    /// How couplings and biases are quantized (`--bits`, `--prune`, `--per-row`,
    /// `--clip-percentile`), validated.
    pub quant: QuantSpec,
    /// Output netlist (.cir).
    pub out: PathBuf,
    /// Include the thermal noise sources.
    pub noise: bool,
    /// Noise as ngspice TRNOISE sources (small deck, but ngspice's own random numbers: not
    /// reproducible run to run) instead of thermocad's per-node held-noise PWL sources.
    pub trnoise: bool,
    /// Seed of the initial state and of the deck's noise streams.
    pub seed: u64,
    /// Simulated duration in model time units (default: the model's t_f; a classifier's
    /// observation time `teach.t_final`).
    pub t_stop: Option<f64>,
    /// Classifier models: drive the inputs with image N (0-based) of the model's data set
    /// (default: its first held-out digit).
    pub image: Option<usize>,
    /// MNIST directory of a classifier trained on MNIST (default: the one in model.toml).
    pub data: Option<PathBuf>,
    /// Overwrite an existing deck at --out (never a file of the model or the profile).
    pub force: bool,
}

/// The digit a classifier deck's inputs are driven with.
#[derive(Clone, Debug, PartialEq)]
pub struct DrivenDigit {
    /// Index in the model's data set.
    pub index: usize,
    /// Its label.
    pub label: u8,
    /// Node names of the output units; the largest at t_f is the prediction.
    pub outputs: Vec<String>,
}

impl DrivenDigit {
    /// The class an ngspice run predicts: the output node with the largest final voltage.
    pub fn prediction(&self, w: &Waveforms) -> Option<usize> {
        let finals: Option<Vec<f64>> = self
            .outputs
            .iter()
            .map(|n| w.node(n).and_then(|v| v.last().copied()))
            .collect();
        let finals = finals?;
        (0..finals.len()).max_by(|&a, &b| finals[a].total_cmp(&finals[b]))
    }
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
    /// The digit driving a classifier's inputs (None for other models).
    pub digit: Option<DrivenDigit>,
}

/// Quantize, build and write the deck.
pub fn export(job: &ExportJob) -> Result<ExportSummary> {
    let start = Instant::now();
    let data_file = data_file_name(&job.out)?;
    let inputs: Vec<PathBuf> = ["model.toml", "params.npz", "checkpoint.npz", "teacher.npz"]
        .iter()
        .map(|f| job.model.join(f))
        .chain([job.hardware.clone()])
        .collect();
    let md = load_dir(&job.model)?;
    let profile = load_profile(&job.hardware)?;
    let (computer, couplings, biases) = quantize_computer(&md.computer, &job.quant)?;
    let circuit = circuit::build(&computer, &profile)?;
    // Initial state: for a generative model one exact sample of the coupling-free equilibrium
    // (the noise a generation starts from); for a classifier a digit on the inputs and 0
    // elsewhere.
    let (x0, digit, t_final) = match &md.config.teach {
        None if job.image.is_some() => {
            return Err(Error::Flag {
                flag: "--image",
                why: format!(
                    "{} is not a classifier (its model.toml has no [teach] section)",
                    job.model.display()
                ),
            })
        }
        None => {
            let x0 = Batch::from_equilibrium(&computer, job.seed, 0, 1)
                .x
                .row(0)
                .to_vec();
            (x0, None, md.config.noising.t_final)
        }
        Some(teach) => {
            let (x0, digit) = classifier_state(job, &md, &computer, teach)?;
            (x0, Some(digit), teach.t_final)
        }
    };
    let x0: Vec<f64> = x0.into_iter().map(f64::from).collect();
    let ph = computer.physics;
    let t_stop = job.t_stop.unwrap_or(t_final);
    crate::limits::steps("export --t", t_stop, ph.dt)?;
    let tran = Transient {
        t_stop,
        step: ph.dt,
        max_step: ph.dt,
        noise: job.noise,
        trnoise: job.trnoise,
        seed: job.seed,
        reltol: 1e-4,
        initial: Some(x0),
        data_file,
    };
    check_deck_size(&circuit, &tran)?;
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
            ph.j2, ph.j4, ph.mu, ph.kt, ph.dt, t_final
        ),
        format!(
            "hardware {} ({:?} couplings), bits {}, prune {}",
            profile.name,
            profile.coupling,
            job.quant
                .bits
                .map_or("full".into(), |b| b.get().to_string()),
            job.quant.prune_threshold
        ),
        format!(
            "quantization: couplings rel. Frobenius error {:.3e}, max abs {:.3e}, pruned {:.2} %",
            couplings.rel_frobenius,
            couplings.max_abs,
            100.0 * couplings.pruned_fraction
        ),
        format!(
            "node voltage v = v0 * x; unit nodes {}",
            computer
                .topology
                .groups()
                .iter()
                .zip(circuit::node_prefixes(computer.topology.groups()))
                .map(|(g, p)| format!("{p}<k> ({})", g.name))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    ];
    let clamped: Vec<&str> = computer
        .topology
        .groups()
        .iter()
        .filter(|g| g.clamped)
        .map(|g| g.name.as_str())
        .collect();
    if let Some(d) = &digit {
        comments.push(format!(
            "clamped units ({}): ideal DC sources V at v0 * x, x = image {} of the data set (digit {}), normalised; other units start at 0",
            clamped.join(", "),
            d.index,
            d.label
        ));
        comments.push(format!(
            "prediction: the largest of {} .. {} at t_f",
            d.outputs.first().map_or("", String::as_str),
            d.outputs.last().map_or("", String::as_str)
        ));
    }
    let title = format!("thermocad netlist of {}", job.model.display());
    // Claimed after every input check, before the first byte is written.
    claim_file(&job.out, job.force, "export", &inputs)?;
    write_atomic(&job.out, |w| {
        netlist::write(w, &circuit, &title, &comments, &tran).map_err(io_err(&job.out))
    })?;
    let bytes = std::fs::metadata(&job.out).map_err(io_err(&job.out))?.len();
    Ok(ExportSummary {
        circuit,
        couplings,
        biases,
        bytes,
        seconds: start.elapsed().as_secs_f64(),
        digit,
    })
}

/// The file the deck's `wrdata` writes: `--out`'s stem + `.data`, refused unless it is a plain
/// file name ([`netlist::is_safe_file_name`]), since it is written into the deck's `.control`.
fn data_file_name(out: &std::path::Path) -> Result<String> {
    let stem = out.file_stem().map(|s| s.to_string_lossy().into_owned());
    match stem.map(|s| format!("{s}.data")) {
        Some(f) if netlist::is_safe_file_name(&f) => Ok(f),
        _ => Err(Error::Flag {
            flag: "--out",
            why: format!(
                "{}: the deck's file name must be letters, digits, '.', '_' or '-' (it is written into the deck's wrdata line)",
                out.display().to_string().escape_debug()
            ),
        }),
    }
}

/// Largest deck [bytes] `export` writes with held-noise PWL sources.
const MAX_PWL_DECK_BYTES: f64 = 1e9;

/// Refuse a held-noise deck that would exceed [`MAX_PWL_DECK_BYTES`] (about 70 bytes per
/// noisy node and noise step), pointing at `--trnoise`, `--t` or `--no-noise`.
fn check_deck_size(circuit: &Circuit, tran: &Transient) -> Result<()> {
    if !tran.noise || tran.trnoise {
        return Ok(());
    }
    let nodes = circuit
        .components
        .iter()
        .filter(|c| matches!(c, circuit::Component::NoiseCurrent { .. }))
        .count();
    let bytes = 70.0 * nodes as f64 * netlist::noise_steps(tran) as f64;
    if bytes > MAX_PWL_DECK_BYTES {
        return Err(Error::TooLarge(format!(
            "the held-noise deck would be about {:.1e} bytes ({nodes} noisy nodes × {} noise steps); use --trnoise (ngspice's own noise, not reproducible), a shorter --t, or --no-noise",
            bytes,
            netlist::noise_steps(tran)
        )));
    }
    Ok(())
}

/// A classifier's initial state: image `--image` (default: the first held-out digit) of the
/// model's data set, normalised as in training, on the input units; 0 elsewhere.
fn classifier_state(
    job: &ExportJob,
    md: &ModelDir,
    computer: &Computer<f32>,
    teach: &TeachSpec,
) -> Result<(Vec<f32>, DrivenDigit)> {
    let all = crate::data::select::load_digits(&md.config.data, job.data.as_deref())?;
    let index = job
        .image
        .unwrap_or_else(|| all.len().saturating_sub(teach.test_images));
    if index >= all.len() {
        return Err(Error::Flag {
            flag: "--image",
            why: format!(
                "{index}: the data set of {} has {} images (0..{})",
                job.model.display(),
                all.len(),
                all.len()
            ),
        });
    }
    let digit = all.slice(index, index + 1)?;
    let c = classifier_inputs_of(&job.model, computer, teach, &digit, "its data set")?;
    let mut x0 = vec![0.0f32; computer.n()];
    x0[c.input].copy_from_slice(c.inputs.as_slice().expect("a fresh standard-layout array"));
    let names = circuit::unit_names(computer);
    Ok((
        x0,
        DrivenDigit {
            index,
            label: digit.labels[0],
            outputs: names[c.output].to_vec(),
        },
    ))
}

fn groups(c: &crate::model::Computer<f32>) -> String {
    c.topology
        .groups()
        .iter()
        .map(|g| format!("{} {}", g.len(), g.name))
        .collect::<Vec<_>>()
        .join(" + ")
}

/// Run a deck through ngspice and read its waveforms: checked by [`spice::check_deck`] and
/// stopped after [`spice::DEFAULT_TIMEOUT`] seconds (`export --run` runs thermocad's own deck).
pub fn run_spice(deck: &std::path::Path) -> Result<Waveforms> {
    Ok(spice::run(deck)?)
}

/// `thermocad spice`: run a deck, refusing lines thermocad does not write unless `trust`, and
/// stopping ngspice after `timeout` seconds.
pub fn run_spice_with(deck: &std::path::Path, trust: bool, timeout: f64) -> Result<Waveforms> {
    if !(timeout.is_finite() && timeout > 0.0) {
        return Err(Error::Flag {
            flag: "--timeout",
            why: format!("{timeout}: must be a positive number of seconds"),
        });
    }
    Ok(spice::run_with(deck, spice::RunOptions { trust, timeout })?)
}
