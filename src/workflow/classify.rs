//! `thermocad classify`: run a trained thermodynamic classifier (see [`crate::classifier`]) on
//! a data set — top-1/top-2 accuracy, confusion matrix, output trajectories, heat per
//! inference and the energy comparison with the digital teacher.

use crate::classifier::{classifier_inputs_of, infer, ClassifierInputs, Inference, TEACHER_NPZ};
use crate::config::TeachSpec;
use crate::data::load_mnist_dir;
use crate::energy::units::PAPER_KT_PER_PJ;
use crate::error::{io_err, Error, Result};
use crate::io::write_csv;
use crate::linalg::{gemm, Parallelism};
use crate::metrics::{mean_std, top_accuracy};
use crate::model::build::load_dir;
use crate::nn::{argmax, Mlp};
use crate::report::plot::{Colormap, Figure, Histogram, ImageGrid, LineChart, Series};
use ndarray::{Array2, Axis};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Energy of one digital multiply–accumulate in kT: 1 pJ at the paper's conversion
/// ([`PAPER_KT_PER_PJ`], kT = 4.14e-21 J at 300 K), as in its energy estimate.
pub const KT_PER_MAC: f64 = PAPER_KT_PER_PJ;

/// A classify job.
pub struct ClassifyJob {
    /// Trained classifier directory.
    pub model: PathBuf,
    /// Directory of the IDX files.
    pub data: PathBuf,
    /// Trajectories per image (outputs averaged).
    pub trajectories: usize,
    /// Images: the last `count` of the set (default: the model's held-out count).
    pub count: Option<usize>,
    /// Seed of the thermal noise.
    pub seed: u64,
    /// Output directory.
    pub out: PathBuf,
    /// Threads (0 = all).
    pub threads: usize,
    /// Overwrite an existing --out.
    pub force: bool,
}

/// What `classify` measured.
#[derive(Clone, Debug)]
pub struct ClassifySummary {
    /// Images classified.
    pub images: usize,
    /// Top-1 and top-2 accuracy.
    pub top1: f64,
    /// Top-2 accuracy.
    pub top2: f64,
    /// Mean and standard deviation of the heat per inference (one trajectory), kT.
    pub heat_mean: f64,
    /// Standard deviation of the heat.
    pub heat_std: f64,
    /// The energy ledger's core total per inference, ⟨Q⟩ + ⟨Q_reset⟩ (the reset discharges
    /// the evolving units back to 0), kT: the same figure as `thermocad energy` on the model.
    pub core_total_kt: f64,
    /// Mean reset heat per inference, kT.
    pub reset_mean: f64,
    /// Teacher multiply–accumulates per digit.
    pub teacher_macs: usize,
    /// Digital energy per inference, kT (MACs × [`KT_PER_MAC`]).
    pub digital_kt: f64,
    /// digital_kt / heat_mean.
    pub advantage: f64,
    /// Teacher top-1 accuracy on the same images (if teacher.npz is present).
    pub teacher_accuracy: Option<f64>,
    /// Wall time of the batched dynamics, seconds.
    pub seconds: f64,
    /// Dynamics GFLOP/s divided by that of a same-shape SGEMM.
    pub sgemm_ratio: f64,
    /// The reference SGEMM's shape, for the record.
    pub sgemm_shape: String,
}

/// Run a classify job.
pub fn run(job: &ClassifyJob) -> Result<ClassifySummary> {
    let md = load_dir(&job.model)?;
    let teach = md.config.teach.clone().ok_or_else(|| Error::Model {
        path: job.model.clone(),
        why: "not a classifier (its model.toml has no [teach] section)".into(),
    })?;
    let c = &md.computer;
    crate::limits::threads("--threads", job.threads)?;
    let steps = crate::limits::steps("teach.t_final", teach.t_final, c.physics.dt)?;
    let k = job.trajectories.max(1);
    let planned = job.count.unwrap_or(teach.test_images);
    let n = c.n() as f64;
    crate::limits::memory(
        &format!("{planned} digits × --trajectories {k} of a {n:.0}-unit classifier"),
        planned as f64 * k as f64 * 3.0 * n * 4.0,
    )?;
    crate::limits::work(
        &format!("{planned} digits × --trajectories {k}"),
        planned as f64 * k as f64 * steps as f64 * n,
    )?;
    let digits = load_mnist_dir(&job.data)?;
    // The training images are only in the way when --data is the set the model trained on.
    let own_set = match &md.config.data.source {
        crate::config::DataSource::Mnist { dir } => {
            crate::data::select::mnist_dir(None, dir.as_ref())
                .is_ok_and(|d| crate::rundir::same_path(&d, &job.data))
        }
        crate::config::DataSource::Synthetic { .. } => false,
    };
    let training = own_set.then_some(&md.config.data);
    let count = check_count(job.count, &teach, training, digits.len())?;
    let set = digits.slice(digits.len() - count, digits.len())?;
    let ClassifierInputs {
        inputs: x,
        input: inp,
        output: outp,
    } = classifier_inputs_of(&job.model, c, &teach, &set, &job.data.display().to_string())?;
    let par = Parallelism::new(job.threads);
    crate::rundir::claim_dir(&job.out, job.force, "classify")?;
    let (inf, seconds, sgemm_ratio, sgemm_shape) = par.install(|| -> Result<_> {
        let t = Instant::now();
        let inf = infer(c, x.view(), steps, k, job.seed, 4, par)?;
        let seconds = t.elapsed().as_secs_f64();
        let flops = 2.0
            * (count * k) as f64
            * (steps as f64 * c.topology.macs_from(|g| !g.clamped) as f64
                + c.topology.macs_from(|g| g.clamped) as f64);
        let (rate, shape) = sgemm_rate(count * k, c.topology.n_evolving(), par);
        Ok((inf, seconds, flops / seconds / rate, shape))
    })?;
    let hint = "the dynamics diverged (couplings too large for model.dt)";
    crate::finite::check("classify", "outputs", &inf.outputs, hint)?;
    crate::finite::check_slice("classify", "heat", &inf.heat_kt, hint)?;
    let (top1, top2) = top_accuracy(inf.outputs.view(), &set.labels);
    let (heat_mean, heat_std) = mean_std(&inf.heat_kt);
    // A classifier without its teacher (e.g. copied without teacher.npz) still classifies;
    // a teacher.npz that is there but unreadable is an error, not a silent omission.
    let teacher_path = job.model.join(TEACHER_NPZ);
    let teacher = if teacher_path.exists() {
        Some(Mlp::load(&teacher_path)?)
    } else {
        None
    };
    let teacher_macs = teacher.as_ref().map_or(
        inp.len() * c.topology.group("hidden").map_or(0, |g| g.len())
            + c.topology.group("hidden").map_or(0, |g| g.len()) * outp.len(),
        Mlp::macs,
    );
    let teacher_accuracy = teacher.map(|t| t.accuracy(x.view(), &set.labels, par));
    let digital_kt = teacher_macs as f64 * KT_PER_MAC;
    let summary = ClassifySummary {
        images: count,
        top1,
        top2,
        heat_mean,
        heat_std,
        core_total_kt: crate::energy::ledger::core_total_kt(&inf.heat_kt, &inf.cycle),
        reset_mean: mean_std(&inf.cycle.reset_kt).0,
        teacher_macs,
        digital_kt,
        advantage: digital_kt / heat_mean,
        teacher_accuracy,
        seconds,
        sgemm_ratio,
        sgemm_shape,
    };
    write_files(&job.out, &set.labels, &inf, &summary, teach.t_final)?;
    Ok(summary)
}

/// GFLOP rate (flop/s) of a faer SGEMM [rows, n]·[n, n] — the shape of one step's field
/// product among the evolving units — and its description.
fn sgemm_rate(rows: usize, n: usize, par: Parallelism) -> (f64, String) {
    let a = Array2::from_shape_fn((rows, n), |(i, j)| ((i * 7 + j) % 13) as f32 * 0.01);
    let b = Array2::from_shape_fn((n, n), |(i, j)| ((i + 3 * j) % 11) as f32 * 0.01);
    let mut o = Array2::<f32>::zeros((rows, n));
    let reps = 20;
    let mut best = f64::INFINITY;
    for _ in 0..3 {
        let t = Instant::now();
        for _ in 0..reps {
            gemm(o.view_mut(), false, a.view(), b.view(), 1.0, par);
        }
        best = best.min(t.elapsed().as_secs_f64() / reps as f64);
    }
    let flops = 2.0 * (rows * n * n) as f64;
    (flops / best, format!("[{rows}x{n}].[{n}x{n}]"))
}

fn write_files(
    out: &Path,
    labels: &[u8],
    inf: &Inference,
    s: &ClassifySummary,
    t_final: f64,
) -> Result<()> {
    let classes = inf.outputs.ncols();
    let mut confusion = Array2::<f32>::zeros((classes, classes));
    let preds: Vec<usize> = inf
        .outputs
        .axis_iter(Axis(0))
        .map(|r| argmax(r.iter()))
        .collect();
    for (&p, &l) in preds.iter().zip(labels) {
        confusion[[l as usize, p]] += 1.0;
    }
    write_csv(
        &out.join("confusion.csv"),
        &std::iter::once("true\\predicted".to_string())
            .chain((0..classes).map(|c| c.to_string()))
            .collect::<Vec<_>>()
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
        confusion.axis_iter(Axis(0)).enumerate().map(|(l, r)| {
            std::iter::once(l.to_string())
                .chain(r.iter().map(|v| format!("{v}")))
                .collect()
        }),
    )?;
    let mut rate = confusion.clone();
    for mut r in rate.axis_iter_mut(Axis(0)) {
        let t = r.sum().max(1.0);
        r /= t;
    }
    let flat = rate
        .into_shape_with_order((1, classes * classes))
        .expect("square");
    ImageGrid {
        images: flat.view(),
        h: classes,
        w: classes,
        rows: 1,
        cols: 1,
        colormap: Colormap::BlueWhite,
        scale: Some(1.0),
        title: "Confusion (row: true digit 0-9 top to bottom; column: predicted 0-9)",
        row_labels: vec![],
        col_labels: vec![],
        cell_px: 400,
    }
    .save(&out.join("confusion.png"))?;
    write_csv(
        &out.join("predictions.csv"),
        &["index", "label", "predicted"],
        preds
            .iter()
            .zip(labels)
            .enumerate()
            .map(|(i, (p, l))| vec![i.to_string(), l.to_string(), p.to_string()]),
    )?;
    write_csv(
        &out.join("heat.csv"),
        &["trajectory", "q_kt"],
        inf.heat_kt
            .iter()
            .enumerate()
            .map(|(i, q)| vec![i.to_string(), format!("{q:.3}")]),
    )?;
    Histogram {
        title: &format!(
            "Heat per inference: mean {:.4e} kT, std {:.3e} kT",
            s.heat_mean, s.heat_std
        ),
        x_label: "Q = V(x(0)) − V(x(t_f))  [kT]",
        values: &inf.heat_kt,
        bins: 30,
        markers: &[],
    }
    .save(&out.join("heat.png"))?;
    let steps = inf.traces.first().map_or(1, |t| t.nrows() - 1).max(1);
    for (i, t) in inf.traces.iter().enumerate() {
        let pts: Vec<Vec<(f64, f64)>> = (0..classes)
            .map(|c| {
                t.column(c)
                    .iter()
                    .enumerate()
                    .map(|(k, &v)| (t_final * k as f64 / steps as f64, v as f64))
                    .collect()
            })
            .collect();
        let names: Vec<String> = (0..classes).map(|c| format!("output {c}")).collect();
        let series: Vec<Series> = pts
            .iter()
            .zip(&names)
            .map(|(p, n)| Series {
                label: n,
                points: p,
            })
            .collect();
        LineChart {
            title: &format!("Output units, held-out digit #{i} (label {})", labels[i]),
            x_label: "time",
            y_label: "x",
            series: &series,
            log_y: false,
        }
        .save(&out.join(format!("trajectory_{i}.png")))?;
    }
    let teacher = s.teacher_accuracy.map_or("-".into(), |a| format!("{a:.4}"));
    let text = format!(
        "images = {}\ntop1 = {:.4}\ntop2 = {:.4}\nteacher_top1 = {teacher}\nheat_mean_kt = {:.4e}\nheat_std_kt = {:.4e}\nreset_mean_kt = {:.4e}\ncore_total_kt = {:.4e}\nteacher_macs = {}\nkt_per_mac = {KT_PER_MAC:e}\ndigital_kt = {:.4e}\nadvantage = {:.4e}\nseconds = {:.3}\nsgemm_ratio = {:.3}\n",
        s.images, s.top1, s.top2, s.heat_mean, s.heat_std, s.reset_mean, s.core_total_kt, s.teacher_macs, s.digital_kt, s.advantage, s.seconds, s.sgemm_ratio
    );
    crate::io::write_atomic(&out.join("summary.txt"), |w| {
        use std::io::Write;
        w.write_all(text.as_bytes()).map_err(io_err(out))
    })
}

/// The number of digits to classify: `--count` (default `teach.test_images`, at most the
/// set), at least 1, at most the set's size and, when the set is the one the classifier was
/// trained on (`training`, its `[data]`), never reaching into its training images
/// (`data.offset` .. `data.offset + teach.train_images`).
fn check_count(
    count: Option<usize>,
    teach: &TeachSpec,
    training: Option<&crate::config::DataSpec>,
    len: usize,
) -> Result<usize> {
    let n = count.unwrap_or(teach.test_images.min(len));
    if n == 0 {
        return Err(Error::Flag {
            flag: "--count",
            why: "must be at least 1".into(),
        });
    }
    if n > len {
        return Err(Error::Flag {
            flag: "--count",
            why: format!("{n}: the set holds only {len} digits"),
        });
    }
    if let Some(data) = training {
        let held_out = len.saturating_sub(data.offset + teach.train_images);
        if n > held_out {
            return Err(Error::Flag {
                flag: "--count",
                why: format!(
                    "{n}: the set holds {len} digits, of which only the last {held_out} follow the {} training images (data.offset = {}); the last {n} would include training digits",
                    teach.train_images, data.offset
                ),
            });
        }
    }
    Ok(n)
}
