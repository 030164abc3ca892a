//! `thermocad bench`: throughput of the sampling step and the training gradient, as ratios
//! to a plain SGEMM measured in the same run on the same machine.
//!
//! Flop counts (multiply + add = 2 flops), with M = multiply–accumulates of one coupling-field
//! evaluation over the coupled blocks only (the paper's model: M = Nh·Nv + N·Nh = 1,064,960):
//! - sampling step of B samples: 2·B·M;
//! - training gradient of one trajectory of T steps: 2·T·M for the forces at the T later points
//!   plus 2·T·M for the coupling gradient Σ_k r_k x′_kᵀ over the coupled blocks = 4·T·M
//!   (≈ 10.6 GFLOP for T = 2,500).

use crate::dynamics::noising::{HiddenProjection, Protocol, Schedule};
use crate::dynamics::sampler::Batch;
use crate::linalg::{gemm, Parallelism};
use crate::model::{Computer, Connectivity, Params, Physics, Topology};
use crate::train::reverse_nll::ReverseNll;
use ndarray::{s, Array1, Array2};
use std::time::Instant;

/// Sizes of a benchmark run (also the `thermocad bench` arguments).
#[derive(Clone, Copy, Debug, clap::Args)]
pub struct BenchJob {
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
    /// Threads (0 = all cores).
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
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

/// Run the benchmark and return its lines; the first is the reference SGEMM.
pub fn run(job: BenchJob) -> Vec<BenchLine> {
    let par = Parallelism::new(job.threads);
    par.install(|| measure(job, par))
}

fn measure(job: BenchJob, par: Parallelism) -> Vec<BenchLine> {
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
    let mut push = |name: String, flops: f64, seconds: f64, reference: Option<f64>| {
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
        format!("SGEMM {}x{} . {}x{} (faer)", job.batch, n, n, n),
        2.0 * (job.batch * n * n) as f64,
        t,
        None,
    );

    // The coupling field alone (the block GEMMs of one step).
    let x = pseudo((job.batch, n), 4);
    let mut h = Array2::<f32>::zeros((job.batch, n));
    let t = best_of(job.repeats, || {
        computer.coupling_field(x.view(), h.view_mut(), false, par)
    });
    push(
        format!("coupling field x.J by blocks, batch {}", job.batch),
        2.0 * job.batch as f64 * macs,
        t,
        Some(reference),
    );

    // Sampling step (coupling field by blocks + Euler–Maruyama update with fresh noise).
    for batch in [job.batch, 25, 1] {
        let mut bt = Batch::from_equilibrium(&computer, 1, 0, batch);
        let reps = if batch == job.batch { 5 } else { 50 };
        let t = best_of(job.repeats, || bt.run(&computer, reps, par, |_, _| {})) / reps as f64;
        push(
            format!("sampling step, batch {batch}"),
            2.0 * batch as f64 * macs,
            t,
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
    };
    let img = Array1::from_shape_fn(nv, |i| ((i % 28) as f32 - 13.5) / 8.0);
    let bias = protocol.image_bias::<f32>(img.view(), nh, None);
    let gen = Instant::now();
    let traj = protocol.trajectory(&physics, &bias, 1, 0);
    let gen_s = gen.elapsed().as_secs_f64();
    let mut acc = ReverseNll::new(n);
    let t = best_of(job.repeats, || {
        acc.add(&computer, traj.view(), par);
    });
    push(
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
        "training gradient as per-step matrix-vector loop".into(),
        4.0 * job.steps as f64 * macs,
        t_loop,
        Some(reference),
    );
    lines.push(BenchLine {
        name: format!(
            "noising trajectory generation ({} steps, elementwise)",
            job.steps
        ),
        flops: 0.0,
        seconds: gen_s,
        ratio: None,
    });
    lines
}
