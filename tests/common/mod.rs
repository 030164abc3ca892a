//! Helpers shared by the integration tests (each test file uses a subset).
#![allow(dead_code)]

use std::process::Command;
use thermocad::dynamics::rng::{stream, Purpose};
use thermocad::linalg::Real;
use thermocad::model::{Computer, Connectivity, Params, Physics, Topology};

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

/// The single `thermocad: error: …` line of `stderr`.
pub fn one_error_line(stderr: &str) -> &str {
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "exactly one line: {stderr:?}");
    assert!(lines[0].starts_with("thermocad: error: "), "{stderr}");
    lines[0]
}

/// A computer of `nv` visible and `nh` hidden units with Gaussian couplings of std `scale`
/// inside the mask of `conn` and biases of std 0.3, drawn from `seed`.
pub fn computer<R: Real>(
    nv: usize,
    nh: usize,
    physics: Physics,
    conn: Connectivity,
    scale: f64,
    seed: u64,
) -> Computer<R> {
    let topology = Topology::visible_hidden(nv, nh, &conn, &["hidden"]).unwrap();
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
