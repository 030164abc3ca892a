//! Helpers shared by the integration tests (each test crate uses some of them).
#![allow(dead_code)]

use std::process::Command;
use thermocad::dynamics::rng::{stream, Purpose};
use thermocad::linalg::Real;
use thermocad::model::{Block, Computer, Connectivity, GroupSpec, Params, Physics, Topology};

/// Run the thermocad binary: (exit code, stdout, stderr).
pub fn thermocad(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_thermocad"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `thermocad init` of an untrained 784 + 16 unit model on the synthetic digits (t_f = 0.3,
/// couplings drawn at `init_scale`) in `dir/model`; returns that directory.
pub fn init_model(dir: &std::path::Path, init_scale: f64) -> String {
    let cfg = dir.join("m.toml");
    std::fs::write(
        &cfg,
        format!(
            "[model]\nvisible = 784\nhidden = 16\ninit_scale = {init_scale}\n[noising]\nt_final = 0.3\n[train]\nseed = 3\n"
        ),
    )
    .unwrap();
    let out = dir.join("model");
    let (code, _, err) = thermocad(&[
        "init",
        "--config",
        cfg.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    out.display().to_string()
}

/// The single `thermocad: error: …` line of `stderr`.
pub fn one_error_line(stderr: &str) -> &str {
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "exactly one line: {stderr:?}");
    assert!(lines[0].starts_with("thermocad: error: "), "{stderr}");
    lines[0]
}

/// A computer on `topology` with couplings of rms `scale` on the topology's mask and biases of
/// rms 0.3, drawn from stream (`seed`, Init, 0) in row-major pair order.
pub fn random_params<R: Real>(
    topology: Topology,
    physics: Physics,
    scale: f64,
    seed: u64,
) -> Computer<R> {
    let n = topology.n();
    let mut rng = stream(seed, Purpose::Init, 0);
    let mut params = Params::<R>::zeros(n);
    for i in 0..n {
        for j in (i + 1)..n {
            if topology.mask()[[i, j]] != 0.0 {
                let v = R::of(scale * f64::std_normal(&mut rng));
                params.j[[i, j]] = v;
                params.j[[j, i]] = v;
            }
        }
        params.b[i] = R::of(0.3 * f64::std_normal(&mut rng));
    }
    Computer {
        physics,
        topology,
        params,
    }
}

/// A computer of `nv` visible and `nh` hidden units connected by `conn` (see
/// [`random_params`]).
pub fn computer<R: Real>(
    nv: usize,
    nh: usize,
    physics: Physics,
    conn: Connectivity,
    scale: f64,
    seed: u64,
) -> Computer<R> {
    let topology = Topology::visible_hidden(nv, nh, &conn, &["hidden"]).unwrap();
    random_params(topology, physics, scale, seed)
}

/// An f32 computer with the paper's constants on `topology` (see [`random_params`]).
pub fn random_computer(topology: Topology, scale: f64, seed: u64) -> Computer<f32> {
    random_params(topology, Physics::PAPER, scale, seed)
}

/// A small clamped model: input (6, clamped) – hidden (4) – output (3), every block fully
/// coupled, input–input included (a circuit drops those); see [`random_params`].
pub fn clamped_computer(scale: f64, seed: u64) -> Computer<f32> {
    let group = |name: &str, size, clamped: bool| GroupSpec {
        name: name.into(),
        size,
        clamped,
        shape: None,
        trainable_bias: !clamped,
    };
    let mut blocks = Vec::new();
    for a in 0..3 {
        for b in a..3 {
            blocks.push((a, b, Block::Full));
        }
    }
    let topology = Topology::from_groups(
        &[
            group("input", 6, true),
            group("hidden", 4, false),
            group("output", 3, false),
        ],
        &blocks,
    )
    .unwrap();
    random_computer(topology, scale, seed)
}

/// Whether ngspice runs. Without it a test is skipped with a line written straight to the
/// terminal (not captured by the test harness), and fails under CI (env var `CI` set),
/// which installs ngspice.
pub fn have_ngspice() -> bool {
    let ok = std::process::Command::new("ngspice")
        .arg("--version")
        .output()
        .is_ok();
    if !ok {
        assert!(
            std::env::var_os("CI").is_none(),
            "ngspice not installed, but CI is set (CI installs ngspice)"
        );
        let _ = std::io::Write::write_all(
            &mut std::io::stderr(),
            b"skipped: ngspice not installed (apt-get install ngspice)\n",
        );
    }
    ok
}

/// A `train`/`teach` job on `config` writing into `out` (no --data, --force or progress bar).
pub fn train_job(
    config: thermocad::config::Config,
    out: &std::path::Path,
    resume: bool,
) -> thermocad::workflow::train::TrainJob {
    thermocad::workflow::train::TrainJob {
        config,
        data_dir: None,
        out: out.to_path_buf(),
        resume,
        force: false,
        progress: false,
    }
}

/// The `params.npz` a run wrote into `dir`, for a model of `n` units.
pub fn saved_params(dir: &std::path::Path, n: usize) -> Params<f32> {
    thermocad::io::load_params::<f32>(&dir.join("params.npz"), n).unwrap()
}
