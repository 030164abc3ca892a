//! `thermocad bench`: throughput of the sampling step and the training gradient, as ratios
//! to a plain SGEMM measured in the same run on the same machine.
//!
//! Flop counts (multiply + add = 2 flops), with M = multiply–accumulates of one coupling-field
//! evaluation over the coupled blocks only (the paper's model: M = Nh·Nv + N·Nh = 1,064,960):
//! - sampling step of B samples: 2·B·M;
//! - training gradient of one trajectory of T steps: 2·T·M for the forces at the T later points
//!   plus 2·T·M for the coupling gradient Σ_k r_k x′_kᵀ over the coupled blocks = 4·T·M
//!   (≈ 10.6 GFLOP for T = 2,500).

use crate::dynamics::noise::Normals;
use crate::dynamics::noising::{HiddenProjection, Protocol, Schedule};
use crate::dynamics::rng::{normal_streams, Purpose};
use crate::dynamics::sampler::Batch;
use crate::dynamics::step::{Drive, EulerMaruyama};
use crate::hardware::behavioral::Behavioral;
use crate::hardware::circuit;
use crate::hardware::netlist::{self, Transient};
use crate::hardware::perturb::{perturb, Nonidealities};
use crate::hardware::profile::parse_profile;
use crate::linalg::{gemm, Parallelism, Real};
use crate::model::{Computer, Connectivity, FieldPart, Params, Physics, Sources, Topology};
use crate::train::reverse_nll::ReverseNll;
use ndarray::{s, Array1, Array2, Axis};
use rayon::prelude::*;
use std::time::Instant;

/// Sizes of a benchmark run.
#[derive(Clone, Debug)]
pub struct BenchJob {
    /// Visible units.
    pub visible: usize,
    /// Hidden units.
    pub hidden: usize,
    /// Batch of the sampling benchmark.
    pub batch: usize,
    /// Steps per training trajectory.
    pub steps: usize,
    /// Repeats (best of).
    pub repeats: usize,
    /// Rounds of the whole benchmark; every line keeps its best round.
    pub rounds: usize,
    /// Threads (0 = all cores).
    pub threads: usize,
    /// Also time ngspice against the behavioral simulator on the 16-unit reference circuit.
    pub spice: bool,
    /// Run the end-to-end lines (`train` of 20 trajectories and `sample --n 100` of the paper
    /// model, in process).
    pub end_to_end: bool,
    /// MNIST directory: time reading it, and train the end-to-end model on it (else on the
    /// embedded synthetic digits of the same size).
    pub data: Option<std::path::PathBuf>,
}

/// One measured line.
#[derive(Clone, Debug)]
pub struct BenchLine {
    /// What was measured.
    pub name: String,
    /// Flops of one call.
    pub flops: f64,
    /// Best wall time of one call, seconds.
    pub seconds: f64,
    /// Rate divided by the reference SGEMM's rate (None for the reference itself).
    pub ratio: Option<f64>,
}

impl BenchLine {
    /// A line that measures only a wall time (no flops, no ratio).
    pub fn time(name: impl Into<String>, seconds: f64) -> Self {
        BenchLine {
            name: name.into(),
            flops: 0.0,
            seconds,
            ratio: None,
        }
    }

    /// GFLOP/s.
    pub fn gflops(&self) -> f64 {
        self.flops / self.seconds / 1e9
    }
}

fn best_of(repeats: usize, mut f: impl FnMut()) -> f64 {
    f(); // warm-up
    (0..repeats.max(1))
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64()
        })
        .fold(f64::INFINITY, f64::min)
}

fn pseudo(shape: (usize, usize), k: usize) -> Array2<f32> {
    Array2::from_shape_fn(shape, |(i, j)| {
        (((i * 31 + j * 17 + k) % 97) as f32 / 97.0 - 0.5) * 0.1
    })
}

/// Run the benchmark `job.rounds` times and return its lines, each from its fastest round;
/// the first is the reference SGEMM, and the ratios are taken against its fastest round.
/// Spreading a line's repeats over rounds minutes apart keeps a burst of load on a shared
/// machine (other tenants, steal time) from spoiling it unless the burst lasts all rounds.
pub fn run(job: BenchJob) -> Vec<BenchLine> {
    let par = Parallelism::new(job.threads);
    par.install(|| {
        let mut best = measure(&job, par);
        for _ in 1..job.rounds {
            best = fastest(best, measure(&job, par));
        }
        best
    })
}

/// Line by line the faster of two rounds, with the ratios recomputed against the faster
/// reference (line 0). Rounds that differ in their lines (a data read failed in one) are not
/// merged: the first is kept.
fn fastest(a: Vec<BenchLine>, b: Vec<BenchLine>) -> Vec<BenchLine> {
    if a.len() != b.len() || a.is_empty() {
        return a;
    }
    let mut lines: Vec<BenchLine> = a
        .into_iter()
        .zip(b)
        .map(|(x, y)| if y.seconds < x.seconds { y } else { x })
        .collect();
    let reference = lines[0].flops / lines[0].seconds;
    for l in &mut lines {
        if l.ratio.is_some() {
            l.ratio = Some(l.flops / l.seconds / reference);
        }
    }
    lines
}

fn measure(job: &BenchJob, par: Parallelism) -> Vec<BenchLine> {
    let (nv, nh) = (job.visible, job.hidden);
    let n = nv + nh;
    let topology = Topology::visible_hidden(
        nv,
        nh,
        &Connectivity::VisibleHiddenHiddenHidden,
        &["hidden"],
    )
    .expect("benchmark topology");
    let macs = topology.macs_per_field() as f64;
    let mut params = Params::<f32>::zeros(n);
    params.j = pseudo((n, n), 3) * topology.mask();
    params.j = (&params.j + &params.j.t()) * 0.5;
    params.j.diag_mut().fill(0.0);
    let physics = Physics::PAPER;
    let computer = Computer {
        physics,
        topology,
        params,
    };
    let mut lines = Vec::new();
    let push = |lines: &mut Vec<BenchLine>,
                name: String,
                flops: f64,
                seconds: f64,
                reference: Option<f64>| {
        let rate = flops / seconds;
        lines.push(BenchLine {
            name,
            flops,
            seconds,
            ratio: reference.map(|r| rate / r),
        });
        rate
    };

    // Reference: plain dense SGEMM B×N · N×N.
    let a = pseudo((job.batch, n), 1);
    let b = pseudo((n, n), 2);
    let mut c = Array2::<f32>::zeros((job.batch, n));
    let t = best_of(job.repeats, || {
        gemm(c.view_mut(), false, a.view(), b.view(), 1.0, par)
    });
    let reference = push(
        &mut lines,
        format!("SGEMM {}x{} . {}x{} (faer)", job.batch, n, n, n),
        2.0 * (job.batch * n * n) as f64,
        t,
        None,
    );

    // The coupling field alone (the block GEMMs of one step).
    let x = pseudo((job.batch, n), 4);
    let mut h = Array2::<f32>::zeros((job.batch, n));
    let t = best_of(job.repeats, || {
        computer.coupling_field(x.view(), h.view_mut(), FieldPart::of(Sources::All), par)
    });
    push(
        &mut lines,
        format!("coupling field x.J by blocks, batch {}", job.batch),
        2.0 * job.batch as f64 * macs,
        t,
        Some(reference),
    );

    // Sampling step (coupling field by blocks + Euler–Maruyama update with fresh noise).
    let mut step_100 = f64::NAN;
    for batch in [job.batch, 100, 25, 1] {
        let mut bt = Batch::from_equilibrium(&computer, 1, 0, batch);
        let reps = if batch == job.batch { 5 } else { 50 };
        let t = best_of(job.repeats, || bt.run(&computer, reps, par, |_, _| {})) / reps as f64;
        push(
            &mut lines,
            format!("sampling step, batch {batch}"),
            2.0 * batch as f64 * macs,
            t,
            Some(reference),
        );
        if batch == 100 {
            step_100 = t;
        }
    }
    lines.extend(elementwise(&computer, job.batch, job.repeats));

    // The behavioral simulator of the same computer built on the gm-C profile, one chip with
    // the profile's tolerances, against the ideal sampler at the same batch.
    let profile = parse_profile("gm-c", include_str!("../../hardware/gm-c.toml"))
        .expect("the bundled gm-C profile is valid");
    let circuit = circuit::build(&computer, &profile).expect("benchmark circuit");
    let chip = perturb(&circuit, &Nonidealities::from_profile(&profile), 1, 0);
    let sim = Behavioral::<f32>::compile(&chip, physics.dt).expect("benchmark chip compiles");
    for batch in [job.batch, 100] {
        let reps = if batch == job.batch { 5 } else { 20 };
        let mut ideal = Batch::from_equilibrium(&computer, 1, 0, batch);
        let t_ideal =
            best_of(job.repeats, || ideal.run(&computer, reps, par, |_, _| {})) / reps as f64;
        let mut chip = Batch::from_equilibrium(&computer, 1, 0, batch);
        let t_chip = best_of(job.repeats, || chip.run(&sim, reps, par, |_, _| {})) / reps as f64;
        push(
            &mut lines,
            format!(
                "behavioral chip step, batch {batch} ({:.2}x the ideal step)",
                t_ideal / t_chip
            ),
            2.0 * batch as f64 * sim.coupling().macs() as f64,
            t_chip,
            Some(reference),
        );
    }
    // Training gradient of one trajectory: forces at T later points + coupling gradient.
    let protocol = Protocol {
        bias_scale: 2.0,
        hidden_scale: 1.0,
        hidden_projection: HiddenProjection::Copy,
        t_eq: 0.0,
        t_final: job.steps as f64 * physics.dt,
        fade_fraction: 0.75,
        schedule: Schedule::Linear,
        hold_hidden: false,
    };
    let img = Array1::from_shape_fn(nv, |i| ((i % 28) as f32 - 13.5) / 8.0);
    let bias = protocol.image_bias::<f32>(img.view(), nh, None);
    let gen = Instant::now();
    let traj = protocol.trajectory(&physics, (&bias, n), 1, 0, Parallelism::SEQUENTIAL);
    let gen_s = gen.elapsed().as_secs_f64();
    let mut acc = ReverseNll::new(n);
    let t = best_of(job.repeats, || {
        acc.add(&computer, traj.view(), par);
    });
    push(
        &mut lines,
        format!("training gradient, 1 trajectory of {} steps", job.steps),
        4.0 * job.steps as f64 * macs,
        t,
        Some(reference),
    );
    let _ = acc.finish(&computer);
    // The same gradient as a loop of per-step matrix–vector products (what batching avoids).
    let loop_steps = (job.steps / 10).max(1);
    let t_loop = best_of(1, || {
        let mut acc = ReverseNll::new(n);
        for k in 0..loop_steps {
            acc.add(&computer, traj.slice(s![k..k + 2, ..]), par);
        }
    }) * (job.steps as f64 / loop_steps as f64);
    push(
        &mut lines,
        "training gradient as per-step matrix-vector loop".into(),
        4.0 * job.steps as f64 * macs,
        t_loop,
        Some(reference),
    );
    lines.push(BenchLine::time(
        format!(
            "noising trajectory generation ({} steps, 1 thread)",
            job.steps
        ),
        gen_s,
    ));
    push(
        &mut lines,
        format!(
            "training trajectory, generation + gradient ({:.2}x the gradient)",
            (gen_s + t) / t
        ),
        4.0 * job.steps as f64 * macs,
        gen_s + t,
        Some(reference),
    );
    if let Some(dir) = &job.data {
        let t = Instant::now();
        let spec = crate::config::DataSpec {
            source: crate::config::DataSource::Mnist {
                dir: Some(dir.clone()),
            },
            digits: (0..10).collect(),
            per_class: 100,
            offset: 0,
        };
        match crate::data::select::training_set(&spec, Some(dir)) {
            Ok(d) => lines.push(BenchLine::time(
                format!("start-up: reading MNIST ({} images kept)", d.images.nrows()),
                t.elapsed().as_secs_f64(),
            )),
            Err(e) => eprintln!("bench: MNIST not read: {}", crate::error::one_line(&e)),
        }
    }
    if job.end_to_end {
        match end_to_end(job, step_100) {
            Ok(l) => lines.extend(l),
            Err(e) => eprintln!(
                "bench: end-to-end lines skipped: {}",
                crate::error::one_line(&e)
            ),
        }
    }
    if job.spice {
        lines.extend(spice_comparison(job.repeats));
    }
    lines
}

/// A noise source of zeros: the update's cost without the normals.
struct Silent;

impl Normals for Silent {
    fn normal<R: Real>(&mut self) -> R {
        R::zero()
    }

    fn fill<R: Real>(&mut self, out: &mut [R]) {
        out.fill(R::zero());
    }
}

/// The element-wise part of a sampling step of `batch` rows, in two lines: the B·N normals
/// alone (Philox + Box–Muller), and the fused on-site + drive + update pass alone (its
/// normals zeros), both over `par`'s threads.
fn elementwise(computer: &Computer<f32>, batch: usize, repeats: usize) -> Vec<BenchLine> {
    let n = computer.n();
    let elems = (batch * n) as f64;
    let mut buf = Array2::<f32>::zeros((batch, n));
    let mut streams = normal_streams(1, Purpose::SampleNoise, 0, batch);
    let t_normals = best_of(repeats, || {
        buf.axis_iter_mut(Axis(0))
            .into_par_iter()
            .zip(streams.par_iter_mut())
            .for_each(|(mut row, s)| s.fill(row.as_slice_mut().expect("contiguous")));
    });
    let em = EulerMaruyama::<f32>::new(&computer.physics);
    let field = pseudo((batch, n), 5);
    let offset = pseudo((batch, n), 6);
    let mut x = pseudo((batch, n), 7);
    let t_update = best_of(repeats, || {
        x.axis_iter_mut(Axis(0))
            .into_par_iter()
            .zip(field.axis_iter(Axis(0)).into_par_iter())
            .zip(offset.axis_iter(Axis(0)).into_par_iter())
            .for_each(|((mut row, f), o)| {
                let drive = Drive::Sum(
                    f.to_slice().expect("contiguous"),
                    o.to_slice().expect("contiguous"),
                );
                em.advance(row.as_slice_mut().expect("contiguous"), drive, &mut Silent);
            });
    });
    vec![
        BenchLine::time(
            format!(
                "  of a step: {batch}x{n} normals ({:.2} ns each)",
                t_normals / elems * 1e9
            ),
            t_normals,
        ),
        BenchLine::time(
            format!(
                "  of a step: on-site + update, fused ({:.2} ns/unit)",
                t_update / elems * 1e9
            ),
            t_update,
        ),
    ]
}

/// The main jobs end to end, in process, on the paper model (examples/mnist3.toml):
/// `train` of 20 trajectories, then `sample --n 100` of the model it wrote, with the sample
/// run's phases (`SampleTiming`: loading, steps, writing, quality); its steps are compared
/// with 2,500 times `step_100`, the step at batch 100 measured above.
fn end_to_end(job: &BenchJob, step_100: f64) -> crate::Result<Vec<BenchLine>> {
    let dir = tempfile_dir().map_err(crate::error::io_err(std::env::temp_dir()))?;
    let mut overrides = vec![
        "train.trajectories=20".to_string(),
        format!("train.threads={}", job.threads),
    ];
    if job.data.is_none() {
        overrides.push("data.source=\"synthetic\"".into());
    }
    let text = include_str!("../../examples/mnist3.toml");
    let raw = crate::config::parse("examples/mnist3.toml", text, &overrides, &[])?;
    let config = crate::config::check(raw, "examples/mnist3.toml", text)?;
    let model = dir.join("model");
    let train = crate::train::run::TrainJob {
        config,
        data_dir: job.data.clone(),
        out: model.clone(),
        resume: false,
        force: true,
        progress: false,
    };
    let t = Instant::now();
    crate::workflow::train::run(&train)?;
    let t_train = t.elapsed().as_secs_f64();
    let sample = crate::workflow::sample::SampleJob {
        model,
        n: 100,
        seed: 1,
        out: dir.join("samples"),
        threads: job.threads,
        data_dir: job.data.clone(),
        progress: false,
        force: true,
        chip: None,
        judge: crate::workflow::sample::Judge::Off,
        reference: Default::default(),
    };
    let t = Instant::now();
    let summary = crate::workflow::sample::run(&sample)?;
    let t_sample = t.elapsed().as_secs_f64();
    let _ = std::fs::remove_dir_all(&dir);
    let phases = summary.timing;
    let line = BenchLine::time;
    let data = if job.data.is_some() {
        ""
    } else {
        " (synthetic digits)"
    };
    let lines = vec![
        line(
            format!("end to end: train, 20 trajectories of the paper model{data}"),
            t_train,
        ),
        line(
            "end to end: sample --n 100 of the paper model".into(),
            t_sample,
        ),
        line("  of which loading the model".into(), phases.start_s),
        line(
            format!(
                "  of which the 2,500 steps ({:.2}x the step at batch 100 above)",
                phases.steps_s / (2500.0 * step_100)
            ),
            phases.steps_s,
        ),
        line(
            "  of which writing samples.npy, heat.csv, PNGs".into(),
            phases.write_s,
        ),
        line(
            "  of which reading MNIST and the quality report".into(),
            phases.quality_s,
        ),
    ];
    Ok(lines)
}

/// ngspice and the behavioral simulator on the same noisy 16-unit circuit (8 + 8 units,
/// couplings of std 0.3, the reference netlist's shape) for one generation (t_f = 2.5,
/// Δt = 1e-3): wall time of each. Skipped (no lines) when ngspice is not installed.
fn spice_comparison(repeats: usize) -> Vec<BenchLine> {
    let topology =
        Topology::visible_hidden(8, 8, &Connectivity::VisibleHiddenHiddenHidden, &["hidden"])
            .expect("reference topology");
    let mut params = Params::<f32>::zeros(16);
    params.j = pseudo((16, 16), 5) * 6.0 * topology.mask();
    params.j = (&params.j + &params.j.t()) * 0.5;
    let computer = Computer {
        physics: Physics::PAPER,
        topology,
        params,
    };
    let profile = parse_profile("ideal", include_str!("../../hardware/ideal.toml"))
        .expect("the bundled ideal profile is valid");
    let circuit = circuit::build(&computer, &profile).expect("reference circuit");
    let Ok(dir) = tempfile_dir() else {
        return Vec::new();
    };
    let deck = dir.join("bench16.cir");
    let steps = computer.physics.steps(2.5);
    let tran = Transient {
        t_stop: 2.5,
        step: computer.physics.dt,
        max_step: computer.physics.dt,
        noise: true,
        trnoise: true,
        seed: 1,
        reltol: 1e-4,
        initial: None,
        data_file: "bench16.data".into(),
    };
    let written = std::fs::File::create(&deck).and_then(|f| {
        let mut w = std::io::BufWriter::new(f);
        netlist::write(&mut w, &circuit, "thermocad bench", &[], &tran)
    });
    if written.is_err() {
        return Vec::new();
    }
    let mut spice_ok = true;
    let t_spice = best_of(repeats, || {
        spice_ok &= crate::hardware::spice::run(&deck).is_ok()
    });
    let _ = std::fs::remove_dir_all(&dir);
    if !spice_ok {
        return Vec::new();
    }
    let sim = Behavioral::<f32>::compile(&circuit, computer.physics.dt).expect("compiles");
    let mut b = Batch::from_equilibrium(&computer, 1, 0, 1);
    let t_sim = best_of(repeats, || {
        b.run(&sim, steps, Parallelism::SEQUENTIAL, |_, _| {})
    });
    vec![
        BenchLine::time(
            format!("ngspice, noisy 16-unit circuit, {steps} steps"),
            t_spice,
        ),
        BenchLine::time(
            format!(
                "behavioral, same circuit and steps ({:.0}x faster)",
                t_spice / t_sim
            ),
            t_sim,
        ),
    ]
}

/// A fresh private directory under the system's temporary directory.
fn tempfile_dir() -> std::io::Result<std::path::PathBuf> {
    let d = std::env::temp_dir().join(format!("thermocad-bench-{}", std::process::id()));
    std::fs::create_dir_all(&d)?;
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::{fastest, BenchLine};

    fn line(seconds: f64, ratio: Option<f64>) -> BenchLine {
        BenchLine {
            name: "l".into(),
            flops: 10.0,
            seconds,
            ratio,
        }
    }

    #[test]
    fn each_line_keeps_its_fastest_round_and_ratios_follow_the_fastest_reference() {
        let a = vec![
            line(2.0, None),
            line(4.0, Some(0.5)),
            BenchLine::time("t", 3.0),
        ];
        let b = vec![
            line(1.0, None),
            line(5.0, Some(0.2)),
            BenchLine::time("t", 1.5),
        ];
        let m = fastest(a, b);
        assert_eq!(
            m.iter().map(|l| l.seconds).collect::<Vec<_>>(),
            vec![1.0, 4.0, 1.5]
        );
        // Rate 10/4 against the reference's 10/1.
        assert!((m[1].ratio.unwrap() - 0.25).abs() < 1e-12);
        assert_eq!(m[0].ratio, None);
        assert_eq!(m[2].ratio, None);
    }
}
