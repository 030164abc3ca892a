//! `thermocad sample`: generate from a trained model, starting in the coupling-free
//! equilibrium (noise) and running the trained dynamics to t_f.

use crate::data::select::held_out_set;
use crate::data::select::training_set;
use crate::data::Digits;
use crate::energy::heat::{from_equilibrium, run_chunked, CHUNK};
use crate::error::Result;
use crate::io::{save_npy, write_csv};
use crate::linalg::Parallelism;
use crate::metrics::mean_std;
use crate::model::build::{load_dir, ModelDir};
use crate::report::plot::{Colormap, Figure, Histogram, ImageGrid};
use crate::tolerance::chip::{sampler, ChipChoice};
use crate::tolerance::judge::{classifier_data, load_or_train_on};
use crate::tolerance::quality::{Quality, Recognizer, Reference, REAL_PER_CLASS};
use indicatif::{ProgressBar, ProgressStyle};
use ndarray::{s, Array2, Axis};
use std::path::PathBuf;

/// A sampling job.
pub struct SampleJob {
    /// Trained model directory.
    pub model: PathBuf,
    /// Number of samples.
    pub n: usize,
    /// Seed of the samples' noise.
    pub seed: u64,
    /// Output directory.
    pub out: PathBuf,
    /// Threads (0 = all).
    pub threads: usize,
    /// `--data`: MNIST directory for the quality check against the training digits.
    pub data_dir: Option<PathBuf>,
    /// Draw a progress bar.
    pub progress: bool,
    /// Overwrite an existing --out.
    pub force: bool,
    /// `--hardware [--bits] [--chip]`: generate on a chip's behavioral simulator (None: the
    /// ideal computer, also for a model trained with `[hardware]`).
    pub chip: Option<ChipChoice>,
    /// Whether and with which digit classifier the samples are judged.
    pub judge: Judge,
    /// The real digits the Fréchet distance compares the samples with.
    pub reference: FrechetReference,
}

/// The real digits behind the Fréchet distance of the judge (docs/generation.md).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum FrechetReference {
    /// [`REAL_PER_CLASS`] images of each training class, the ones that follow the training
    /// images in the data set (never seen in training).
    #[default]
    HeldOut,
    /// The judge's own held-out images of these classes (MNIST test images 8000..10000, which
    /// neither the judge nor a model trained on images below 8000 has seen; for synthetic
    /// data the judge's test split): one reference for models trained on different classes
    /// (`sample --reference-digits`).
    JudgeTest(Vec<u8>),
}

impl FrechetReference {
    /// What the reference is, for the report.
    pub fn describe(&self) -> String {
        match self {
            FrechetReference::HeldOut => "held-out digits of the training classes".into(),
            FrechetReference::JudgeTest(d) => {
                let d: Vec<String> = d.iter().map(u8::to_string).collect();
                format!("the judge's held-out digits of classes {}", d.join(","))
            }
        }
    }
}

/// The digit classifier that judges a run's samples (docs/generation.md).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Judge {
    /// No classifier: only the correlations with the training digits.
    Off,
    /// The classifier in this `.npz` file; trained (seed [`JUDGE_SEED`]) and saved there when
    /// the file does not exist yet.
    At(PathBuf),
}

/// Seed of a judge `sample` trains, fixed so runs with different `--seed`s are judged alike.
pub const JUDGE_SEED: u64 = 1;

/// Bootstrap resamples of the quality report's intervals.
const RESAMPLES: usize = 200;

/// Results of sampling.
#[derive(Clone, Debug)]
pub struct SampleSummary {
    /// Heat per sample Q = V(x(0)) − V(x(t_f)), in kT.
    pub heat_kt: Vec<f64>,
    /// Mean over samples of the largest |correlation| with a training image (if available).
    pub mean_best_corr: Option<f64>,
    /// Number of samples closest to each training class (class, count), if available.
    pub class_counts: Vec<(u8, usize)>,
    /// Fraction of samples whose best match is sign-inverted.
    pub inverted_fraction: Option<f64>,
    /// Why there is no comparison with the training digits (their files are absent).
    pub quality_skipped: Option<String>,
    /// The quality report (with the judge's metrics when a classifier judged the samples).
    pub quality: Option<Quality>,
    /// The judge's accuracy on its own held-out digits.
    pub judge_accuracy: Option<f64>,
    /// Where the run's wall time went.
    pub timing: SampleTiming,
}

/// Wall time of the phases of a `sample` run, seconds (`thermocad bench` reports them).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct SampleTiming {
    /// Loading the model and building the dynamics.
    pub start_s: f64,
    /// The Langevin steps (and the heat of every sample).
    pub steps_s: f64,
    /// Writing samples.npy, heat.csv and the PNGs.
    pub write_s: f64,
    /// Reading the training digits and judging the samples.
    pub quality_s: f64,
}

/// Trajectories shown in trajectories.png.
const SHOWN: usize = 3;
/// Snapshot times in trajectories.png, as fractions of t_f.
const SNAPSHOTS: [f64; 7] = [0.0, 0.1, 0.2, 0.4, 0.6, 0.8, 1.0];

/// Run a sampling job.
pub fn run(job: &SampleJob) -> Result<SampleSummary> {
    let clock = std::time::Instant::now();
    let mut timing = SampleTiming::default();
    crate::limits::count("--n", job.n as f64, f64::INFINITY)?;
    let md = load_dir(&job.model)?;
    let c = &md.computer;
    let nv = md.config.model.visible.unwrap_or(0);
    let steps = crate::limits::steps("noising.t_final", md.config.noising.t_final, c.physics.dt)?;
    crate::limits::threads("--threads", job.threads)?;
    let n = c.n() as f64;
    crate::limits::memory(
        &format!("--n {} samples of a {n:.0}-unit model", job.n),
        job.n as f64 * (nv as f64 + 3.0 * n) * 4.0,
    )?;
    crate::limits::work(&format!("--n {}", job.n), job.n as f64 * steps as f64 * n)?;
    let dynamics = sampler(&md, job.chip.as_ref(), job.seed)?;
    crate::rundir::claim_dir(&job.out, job.force, "sample")?;
    let par = Parallelism::new(job.threads);
    timing.start_s = clock.elapsed().as_secs_f64();
    let snap_steps: Vec<usize> = SNAPSHOTS
        .iter()
        .map(|f| (f * steps as f64).round() as usize)
        .collect();
    let mut samples = Array2::<f32>::zeros((job.n, nv));
    let mut frames = Array2::<f32>::zeros((SHOWN * snap_steps.len(), nv));
    let bar = if job.progress {
        ProgressBar::new((job.n * steps) as u64)
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template(
            "{elapsed_precise} [{bar:30}] {percent}% of sample-steps, eta {eta}",
        )
        .expect("static template")
        .progress_chars("=> "),
    );
    let heat = par.install(|| {
        run_chunked(
            c,
            &dynamics,
            job.n,
            CHUNK,
            steps,
            par,
            from_equilibrium(c, job.seed),
            |start, k, x| {
                if k > 0 {
                    bar.inc(x.nrows() as u64);
                }
                if start > 0 {
                    return;
                }
                for (col, _) in snap_steps.iter().enumerate().filter(|(_, &s)| s == k) {
                    for r in 0..SHOWN.min(x.nrows()) {
                        frames
                            .row_mut(r * snap_steps.len() + col)
                            .assign(&x.slice(s![r, ..nv]));
                    }
                }
            },
            |start, x| {
                samples
                    .slice_mut(s![start..start + x.nrows(), ..])
                    .assign(&x.slice(s![.., ..nv]));
            },
        )
    });
    bar.finish_and_clear();
    timing.steps_s = clock.elapsed().as_secs_f64() - timing.start_s;
    let hint = "the dynamics diverged (couplings too large for model.dt); nothing was written";
    crate::finite::check("sample", "samples", &samples, hint)?;
    crate::finite::check_slice("sample", "heat", &heat, hint)?;
    write_files(job, &md, &samples, &heat, &frames, &snap_steps)?;
    timing.write_s = clock.elapsed().as_secs_f64() - timing.start_s - timing.steps_s;
    let mut summary = SampleSummary {
        heat_kt: heat,
        mean_best_corr: None,
        class_counts: Vec::new(),
        inverted_fraction: None,
        quality_skipped: None,
        quality: None,
        judge_accuracy: None,
        timing,
    };
    // Quality against the training digits when their files exist; any other failure to read
    // them (a corrupt file, too few images) is an error.
    let train = match training_set(&md.config.data, job.data_dir.as_deref()) {
        Ok(t) => Some(t),
        Err(e) if crate::data::select::is_absent(&e) => {
            summary.quality_skipped = Some(crate::error::one_line(&e));
            None
        }
        Err(e) => return Err(e),
    };
    if let Some(train) = train {
        judge_samples(job, &md, &train, &samples, par, &mut summary)?;
    }
    let t = &mut summary.timing;
    t.quality_s = clock.elapsed().as_secs_f64() - t.start_s - t.steps_s - t.write_s;
    Ok(summary)
}

/// Judge the samples against the training digits `train` (and, with a classifier, against
/// held-out real digits of the training classes): fill the summary and write quality.csv.
fn judge_samples(
    job: &SampleJob,
    md: &ModelDir,
    train: &Digits,
    samples: &Array2<f32>,
    par: Parallelism,
    summary: &mut SampleSummary,
) -> Result<()> {
    let dir = job.data_dir.as_deref();
    // The judge's images, read once: its training and held-out splits.
    let judge_data = match &job.judge {
        Judge::Off => None,
        Judge::At(_) => Some(classifier_data(&md.config, dir)?),
    };
    let net = match (&job.judge, &judge_data) {
        (Judge::At(path), Some(data)) => Some(load_or_train_on(data, path, JUDGE_SEED, par)?),
        _ => None,
    };
    let real = match (&judge_data, &job.reference) {
        (None, _) => Array2::zeros((0, samples.ncols())),
        (Some(_), FrechetReference::HeldOut) => {
            held_out_set(&md.config.data, dir, REAL_PER_CLASS)?.standardised()
        }
        (Some((_, test)), FrechetReference::JudgeTest(digits)) => {
            test.filter_classes(digits).standardised()
        }
    };
    let train_z = train.standardised();
    let reference = Reference::new(
        train_z.view(),
        &train.labels,
        real.view(),
        net.as_ref().map(|(n, _)| n as &dyn Recognizer),
        RESAMPLES,
        job.seed,
    );
    let (judged, feats) = reference.judge(samples.view());
    let q = reference.quality_of(&judged, feats);
    let n = judged.len().max(1) as f64;
    summary.mean_best_corr = Some(q.corr.value);
    summary.inverted_fraction =
        Some(judged.iter().filter(|j| j.best.correlation < 0.0).count() as f64 / n);
    for &d in &md.config.data.digits {
        let k = judged.iter().filter(|j| j.best_class == d).count();
        summary.class_counts.push((d, k));
    }
    summary.judge_accuracy = net.as_ref().map(|(_, a)| *a);
    summary.quality = Some(q);
    let opt = |v: Option<String>| v.unwrap_or_default();
    write_csv(
        &job.out.join("quality.csv"),
        &[
            "index",
            "closest_class",
            "correlation",
            "other_class",
            "other_correlation",
            "mixture",
            "judged_class",
            "judged_p",
        ],
        judged.iter().enumerate().map(|(i, j)| {
            vec![
                i.to_string(),
                j.best_class.to_string(),
                format!("{:.4}", j.best.correlation),
                opt(j.other.1.map(|c| c.to_string())),
                format!("{:.4}", j.other.0),
                u8::from(j.is_mixture()).to_string(),
                opt(j.judged.map(|(c, _)| c.to_string())),
                opt(j.judged.map(|(_, p)| format!("{p:.4}"))),
            ]
        }),
    )
}

fn write_files(
    job: &SampleJob,
    md: &ModelDir,
    samples: &Array2<f32>,
    heat: &[f64],
    frames: &Array2<f32>,
    snap_steps: &[usize],
) -> Result<()> {
    let out = &job.out;
    let c = &md.computer;
    let side = (samples.ncols() as f64).sqrt() as usize;
    save_npy(&out.join("samples.npy"), samples)?;
    write_csv(
        &out.join("heat.csv"),
        &["index", "q_kt"],
        heat.iter()
            .enumerate()
            .map(|(i, q)| vec![i.to_string(), format!("{q:.3}")]),
    )?;
    let (m, sd) = mean_std(heat);
    Histogram {
        title: &format!("Heat per sample: mean {m:.4e} kT, std {sd:.3e} kT"),
        x_label: "Q = V(x(0)) − V(x(t_f))  [kT]",
        values: heat,
        bins: 30,
        markers: &[],
    }
    .save(&out.join("heat.png"))?;
    if side * side != samples.ncols() {
        return Ok(()); // not square images: no picture grids
    }
    let shown = samples.nrows().min(25);
    ImageGrid {
        images: samples.slice(s![..shown, ..]),
        h: side,
        w: side,
        rows: 5,
        cols: 5,
        colormap: Colormap::BlueWhite,
        scale: None,
        title: "Generated samples (visible units at t_f)",
        row_labels: vec![],
        col_labels: vec![],
        cell_px: 84,
    }
    .save(&out.join("samples.png"))?;
    let t_f = md.config.noising.t_final;
    let total = *snap_steps.last().unwrap_or(&1) as f64;
    let rows = samples.nrows().min(SHOWN);
    ImageGrid {
        images: frames.slice(s![..rows * snap_steps.len(), ..]),
        h: side,
        w: side,
        rows,
        cols: snap_steps.len(),
        colormap: Colormap::BlueWhite,
        scale: None,
        title: "Generation: noise to digit",
        row_labels: (0..rows).map(|r| format!("#{r}")).collect(),
        col_labels: snap_steps
            .iter()
            .map(|&k| format!("t={:.2}", t_f * k as f64 / total))
            .collect(),
        cell_px: 84,
    }
    .save(&out.join("trajectories.png"))?;
    // Receptive fields: couplings of the 16 most strongly coupled hidden units to the visible ones.
    let nv = samples.ncols();
    let jvh = c.params.j.slice(s![..nv, nv..]);
    let mut order: Vec<usize> = (0..jvh.ncols()).collect();
    let norm = |h: usize| jvh.column(h).iter().map(|v| v * v).sum::<f32>();
    order.sort_by(|&a, &b| norm(b).total_cmp(&norm(a)));
    order.truncate(16);
    let fields = jvh.t().select(Axis(0), &order);
    if !order.is_empty() {
        ImageGrid {
            images: fields.view(),
            h: side,
            w: side,
            rows: 4,
            cols: 4,
            colormap: Colormap::RedWhiteBlue,
            scale: None,
            title: "Couplings of 16 hidden units to the visible units",
            row_labels: vec![],
            col_labels: vec![],
            cell_px: 84,
        }
        .save(&out.join("receptive_fields.png"))?;
    }
    Ok(())
}
