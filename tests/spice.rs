//! Cross-validation of the exported netlist against the model, through ngspice.

use ndarray::Array2;
use std::path::Path;
use thermocad::dynamics::rng::{stream, Purpose};
use thermocad::hardware::circuit::{build, K_B};
use thermocad::hardware::netlist::{write, Transient};
use thermocad::hardware::profile::{load_profile, CouplingStyle, Profile};
use thermocad::hardware::spice::{run, SpiceError};
use thermocad::linalg::{Parallelism, Real};
use thermocad::model::{Computer, Connectivity, Params, Physics, Topology};

fn have_ngspice() -> bool {
    let ok = std::process::Command::new("ngspice")
        .arg("--version")
        .output()
        .is_ok();
    if !ok {
        eprintln!("skipping: ngspice not installed (apt-get install ngspice)");
    }
    ok
}

fn profile(coupling: CouplingStyle) -> Profile {
    // C = 1 nF, v0 = 0.1 V (k_B T_noise = C v0² = 1e-11 J), one model time unit = 1 µs.
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut p = load_profile(&root.join("hardware/ideal.toml")).unwrap();
    p.capacitance = 1e-9;
    p.noise_temperature = 1e-11 / K_B;
    p.time_unit = 1e-6;
    p.coupling = coupling;
    p.inductance = None;
    p
}

fn computer(nv: usize, nh: usize, scale: f64) -> Computer<f32> {
    let topology = Topology::visible_hidden(
        nv,
        nh,
        &Connectivity::VisibleHiddenHiddenHidden,
        &["hidden"],
    )
    .unwrap();
    let n = topology.n();
    let mut rng = stream(21, Purpose::Init, 0);
    let mut params = Params::<f32>::zeros(n);
    for i in 0..n {
        for j in (i + 1)..n {
            if topology.mask()[[i, j]] != 0.0 {
                let v = (scale * f64::std_normal(&mut rng)) as f32;
                params.j[[i, j]] = v;
                params.j[[j, i]] = v;
            }
        }
        params.b[i] = (0.3 * f64::std_normal(&mut rng)) as f32;
    }
    Computer {
        physics: Physics::PAPER,
        topology,
        params,
    }
}

/// Noise-free model dynamics dx/dt = −μ∇V by RK4 with step h, sampled every `every` steps.
fn reference(c: &Computer<f32>, x0: &[f64], h: f64, steps: usize) -> Vec<Vec<f64>> {
    let c64 = Computer {
        physics: c.physics,
        topology: c.topology.clone(),
        params: c.params.cast::<f64>(),
    };
    let n = x0.len();
    let f = |x: &Array2<f64>| {
        let mut g = Array2::zeros((1, n));
        c64.grad_potential(x.view(), g.view_mut(), Parallelism::SEQUENTIAL);
        g * (-c64.physics.mu)
    };
    let mut x = Array2::from_shape_vec((1, n), x0.to_vec()).unwrap();
    let mut out = vec![x.row(0).to_vec()];
    for _ in 0..steps {
        let k1 = f(&x);
        let k2 = f(&(&x + &(&k1 * (h / 2.0))));
        let k3 = f(&(&x + &(&k2 * (h / 2.0))));
        let k4 = f(&(&x + &(&k3 * h)));
        x = &x + &((k1 + k2 * 2.0 + k3 * 2.0 + k4) * (h / 6.0));
        out.push(x.row(0).to_vec());
    }
    out
}

fn run_deck(
    dir: &Path,
    c: &Computer<f32>,
    p: &Profile,
    tran: &Transient,
) -> Result<thermocad::hardware::spice::Waveforms, SpiceError> {
    let circuit = build(c, p).unwrap();
    let deck = dir.join("deck.cir");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&deck).unwrap());
    write(&mut f, &circuit, "thermocad test deck", &[], tran).unwrap();
    drop(f);
    run(&deck, &tran.data_file)
}

#[test]
fn noise_free_transient_matches_the_model() {
    if !have_ngspice() {
        return;
    }
    // Resistive couplings need Σ_j |J_ij| < 2 J2 on every unit: strong couplings are refused.
    let strong = computer(8, 8, 0.3);
    let e = build(&strong, &profile(CouplingStyle::Resistive))
        .unwrap_err()
        .to_string();
    assert!(e.contains("too strong") && e.contains("margin"), "{e}");
    let mut rng = stream(5, Purpose::SampleInit, 0);
    let x0: Vec<f64> = (0..strong.n())
        .map(|_| 0.5 * f64::std_normal(&mut rng))
        .collect();
    let (h, steps) = (1e-4, 10_000); // model time 1.0
    for (style, scale) in [(CouplingStyle::Vccs, 0.3), (CouplingStyle::Resistive, 0.08)] {
        let c = computer(8, 8, scale);
        let refx = reference(&c, &x0, h, steps);
        let p = profile(style);
        let d = tempfile::tempdir().unwrap();
        let tran = Transient {
            t_stop: 1.0,
            step: 1e-3,
            max_step: 1e-3,
            noise: false,
            seed: 1,
            reltol: 1e-6,
            initial: Some(x0.clone()),
            data_file: "out.data".into(),
        };
        let w = run_deck(d.path(), &c, &p, &tran).unwrap();
        let names = thermocad::hardware::circuit::unit_names(&c);
        let v0 = 0.1;
        let scale = refx.iter().flatten().fold(0.0f64, |m, v| m.max(v.abs()));
        let mut worst = 0.0f64;
        for (u, name) in names.iter().enumerate() {
            let v = w.node(name).unwrap();
            for (t, &vt) in w.time.iter().zip(v) {
                let s = t / p.time_unit / h;
                let k = (s.floor() as usize).min(steps - 1);
                let a = s - k as f64;
                let xr = refx[k][u] * (1.0 - a) + refx[k + 1][u] * a;
                worst = worst.max((vt / v0 - xr).abs() / scale);
            }
        }
        eprintln!(
            "{style:?}: max |x_spice − x_model| / max|x| = {worst:.2e} over {} time points",
            w.time.len()
        );
        assert!(worst < 1e-3, "{style:?}: relative error {worst}");
    }
}
