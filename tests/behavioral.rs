//! The behavioral simulator against the ideal sampler, and the chip perturbations.

mod common;

use ndarray::Array2;
use std::path::Path;
use thermocad::dynamics::rng::{stream, Purpose};
use thermocad::dynamics::sampler::Batch;
use thermocad::hardware::behavioral::Behavioral;
use thermocad::hardware::circuit::{build, Circuit, Component};
use thermocad::hardware::perturb::{perturb, Nonidealities, Spread};
use thermocad::hardware::profile::{load_profile, CouplingStyle, Profile};
use thermocad::linalg::{Parallelism, Real};
use thermocad::model::{Computer, Connectivity, Physics};

fn profile(name: &str) -> Profile {
    load_profile(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("hardware")
            .join(name),
    )
    .unwrap()
}

fn computer(nv: usize, nh: usize, scale: f64, seed: u64) -> Computer<f32> {
    let vh = Connectivity::VisibleHiddenHiddenHidden;
    common::computer(nv, nh, Physics::PAPER, vh, scale, seed)
}

fn as_f64(c: &Computer<f32>) -> Computer<f64> {
    Computer {
        physics: c.physics,
        topology: c.topology.clone(),
        params: c.params.cast(),
    }
}

/// Fixed starting states of `rows` trajectories.
fn starting_states<R: Real>(n: usize, rows: usize) -> Array2<R> {
    let mut rng = stream(3, Purpose::SampleInit, 0);
    Array2::from_shape_fn((rows, n), |_| R::of(0.4 * f64::std_normal(&mut rng)))
}

/// Final states of `rows` trajectories of `steps` steps from [`starting_states`].
fn final_states<R: Real, D: thermocad::dynamics::sampler::Dynamics<R>>(
    d: &D,
    n: usize,
    rows: usize,
    steps: usize,
) -> Array2<R> {
    let mut b = Batch::from_states(starting_states(n, rows), 11, 0);
    b.run(d, steps, Parallelism::SEQUENTIAL, |_, _| {});
    b.x
}

#[test]
fn ideal_circuits_reproduce_the_ideal_sampler_step_for_step() {
    // Same noise streams: in f64 the compiled circuit must follow the model's own trajectories.
    for (file, scale) in [("ideal.toml", 0.3), ("ideal.toml", 0.05)] {
        for style in [CouplingStyle::Vccs, CouplingStyle::Resistive] {
            let mut p = profile(file);
            p.coupling = style;
            if style == CouplingStyle::Resistive {
                p.buffer = profile("discrete-rc.toml").buffer;
                if scale > 0.1 {
                    continue; // resistive couplings need Σ|J| < 2 J2
                }
            }
            let c = computer(10, 6, scale, 4);
            let circuit = build(&c, &p).unwrap();
            let sim = Behavioral::<f64>::compile(&circuit, c.physics.dt).unwrap();
            let ideal = as_f64(&c);
            let a = final_states(&ideal, c.n(), 4, 800);
            let b = final_states(&sim, c.n(), 4, 800);
            let worst = (&a - &b).iter().fold(0.0f64, |m, v| m.max(v.abs()));
            eprintln!("{style:?}, |J| scale {scale}: max |x_circuit − x_model| = {worst:.2e} after 800 steps");
            assert!(worst < 1e-9, "{style:?}: {worst}");
        }
    }
}

#[test]
fn ideal_circuit_of_a_clamped_model_reproduces_the_ideal_sampler_step_for_step() {
    // 6 clamped inputs, 4 hidden, 3 output units: the inputs are driven nodes, their couplings
    // a per-run offset, and both dynamics draw noise for the evolving units only.
    for (style, scale) in [(CouplingStyle::Vccs, 0.3), (CouplingStyle::Resistive, 0.05)] {
        let mut p = profile("ideal.toml");
        p.coupling = style;
        if style == CouplingStyle::Resistive {
            p.buffer = profile("discrete-rc.toml").buffer;
        }
        let c = common::clamped_computer(scale, 5);
        let circuit = build(&c, &p).unwrap();
        let drives = count(&circuit, |k| matches!(k, Component::Drive { .. }));
        let caps = count(&circuit, |k| matches!(k, Component::Capacitor { .. }));
        assert_eq!((drives, caps), (6, 7), "{style:?}");
        let sim = Behavioral::<f64>::compile(&circuit, c.physics.dt).unwrap();
        let (rows, steps) = (4, 400);
        let x0 = starting_states::<f64>(c.n(), rows);
        let a = final_states(&as_f64(&c), c.n(), rows, steps);
        let b = final_states(&sim, c.n(), rows, steps);
        let worst = (&a - &b).iter().fold(0.0f64, |m, v| m.max(v.abs()));
        let inputs = ndarray::s![.., 0..6];
        assert_eq!(b.slice(inputs), x0.slice(inputs), "{style:?}: inputs moved");
        assert_eq!(a.slice(inputs), x0.slice(inputs));
        let moved = (&b - &x0)
            .slice(ndarray::s![.., 6..])
            .iter()
            .fold(0.0f64, |m, v| m.max(v.abs()));
        eprintln!("clamped model, {style:?}: max |x_circuit − x_model| = {worst:.2e} after {steps} steps (evolving units moved up to {moved:.2})");
        assert!(worst < 1e-9, "{style:?}: {worst}");
        assert!(moved > 0.1, "{style:?}: the evolving units do move");
        // A perturbed chip (faults and mismatch on the remaining couplings) still compiles and
        // keeps its inputs.
        let mut nd = Nonidealities::none();
        nd.mismatch = 0.05;
        nd.resistor_tolerance = 0.05;
        nd.buffer_gain_error = 0.01;
        nd.buffer_offset = 2e-3;
        nd.fault_rate = 0.2;
        let chip = perturb(&circuit, &nd, 3, 1);
        assert_eq!(chip.clamped_units(), circuit.clamped_units());
        let sim = Behavioral::<f64>::compile(&chip, c.physics.dt).unwrap();
        let b = final_states(&sim, c.n(), rows, steps);
        assert_eq!(
            b.slice(inputs),
            x0.slice(inputs),
            "{style:?}: chip inputs moved"
        );
        assert!(b.iter().all(|v| v.is_finite()));
    }
}

#[test]
fn ideal_circuit_in_f32_has_the_ideal_statistics() {
    let c = computer(12, 8, 0.3, 9);
    let circuit = build(&c, &profile("ideal.toml")).unwrap();
    let sim = Behavioral::<f32>::compile(&circuit, c.physics.dt).unwrap();
    let second_moment =
        |x: &Array2<f32>| x.iter().map(|v| (v * v) as f64).sum::<f64>() / x.len() as f64;
    let a = second_moment(&final_states(&c, c.n(), 300, 1500));
    let b = second_moment(&final_states(&sim, c.n(), 300, 1500));
    eprintln!("<x²>: ideal sampler {a:.5}, behavioral {b:.5}");
    assert!((a / b - 1.0).abs() < 1e-3, "{a} vs {b}");
}

#[test]
fn small_parasitic_inductance_leaves_the_statistics_and_large_one_changes_them() {
    let c = computer(12, 8, 0.3, 2);
    let second_moment = |l: Option<f64>| {
        let mut p = profile("ideal.toml");
        p.inductance = l;
        let circuit = build(&c, &p).unwrap();
        let sim = Behavioral::<f64>::compile(&circuit, c.physics.dt).unwrap();
        let x = final_states(&sim, c.n(), 400, 2000);
        x.iter().map(|v| v * v).sum::<f64>() / x.len() as f64
    };
    let rc = second_moment(None);
    // ε = L g²/C: 1 nH → 4e-6 (RC-like); 50 µH → 0.2.
    let small = second_moment(Some(1e-9));
    eprintln!("<x²>: RC {rc:.4}, L = 1 nH {small:.4}");
    assert!((small / rc - 1.0).abs() < 0.03, "{small} vs {rc}");
    // ε = 0.2 and 2: the restoring branch lags, the node is no longer the model's.
    let mid = second_moment(Some(5e-5));
    let big = second_moment(Some(5e-4));
    eprintln!("<x²>: L = 50 µH {mid:.4}, L = 500 µH {big:.4}");
    assert!((big / rc - 1.0).abs() > 0.1, "{big} vs {rc}");
    // The departure from the RC statistics grows with ε: 4e-6 < 0.2 < 2.
    // Measured: 0.0705 (RC), 0.0705 (1 nH), 0.0787 (50 µH, +12 %), 0.1454 (500 µH, +106 %).
    let off = |v: f64| (v / rc - 1.0).abs();
    assert!(off(mid) > 0.05, "ε = 0.2 shows: {mid} vs {rc}");
    assert!(
        off(small) < off(mid) && off(mid) < off(big),
        "not monotonic in L: {small} {mid} {big} vs {rc}"
    );
}

fn count(c: &Circuit, f: impl Fn(&Component) -> bool) -> usize {
    c.components.iter().filter(|x| f(x)).count()
}

#[test]
fn chips_are_reproducible_and_keep_their_pattern_across_a_sweep() {
    let c = computer(30, 20, 0.02, 1);
    let circuit = build(&c, &profile("discrete-rc.toml")).unwrap();
    let mut nd = Nonidealities::none();
    nd.resistor_tolerance = 0.01;
    let a = perturb(&circuit, &nd, 5, 3);
    assert_eq!(a, perturb(&circuit, &nd, 5, 3), "same chip, same circuit");
    assert_ne!(a, perturb(&circuit, &nd, 5, 4), "another chip differs");
    nd.resistor_tolerance = 0.04;
    let b = perturb(&circuit, &nd, 5, 3);
    // Common random numbers: the relative deviation scales with the tolerance.
    let dev = |x: &Circuit| -> Vec<f64> {
        x.components
            .iter()
            .zip(&circuit.components)
            .filter_map(|(p, o)| match (p, o) {
                (Component::Resistor { ohms: r, .. }, Component::Resistor { ohms: r0, .. }) => {
                    Some(r / r0 - 1.0)
                }
                _ => None,
            })
            .collect()
    };
    let (da, db) = (dev(&a), dev(&b));
    assert!(da.iter().any(|v| v.abs() > 1e-3));
    for (x, y) in da.iter().zip(&db) {
        assert!((4.0 * x - y).abs() < 1e-12, "{x} {y}");
        assert!(
            x.abs() <= 0.01 + 1e-15,
            "Gaussian draws are truncated at the bound"
        );
    }
    // σ = tol/3: the sample spread of the Gaussian deviations.
    let sd = (da.iter().map(|v| v * v).sum::<f64>() / da.len() as f64).sqrt();
    assert!((sd / (0.01 / 3.0) - 1.0).abs() < 0.15, "spread {sd}");
    nd.spread = Spread::Uniform;
    let u = dev(&perturb(&circuit, &nd, 5, 3));
    let max = u.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    assert!(max > 0.035 && max <= 0.04, "uniform within ±tol: {max}");
}

#[test]
fn faults_open_and_short_couplings_at_their_rate() {
    let c = computer(40, 30, 0.3, 1);
    let circuit = build(&c, &profile("gm-c.toml")).unwrap();
    let vccs = |x: &Component| matches!(x, Component::Vccs { .. });
    let total = count(&circuit, vccs);
    let mut nd = Nonidealities::none();
    nd.fault_rate = 0.2;
    let chip = perturb(&circuit, &nd, 1, 0);
    let left = count(&chip, vccs);
    let open = (total - left) as f64 / total as f64;
    let full = chip
        .components
        .iter()
        .filter_map(|x| match x {
            Component::Vccs { siemens, .. } => Some(siemens.abs()),
            _ => None,
        })
        .fold(0.0f64, f64::max);
    let shorted = chip
        .components
        .iter()
        .filter(|x| matches!(x, Component::Vccs { siemens, .. } if siemens.abs() == full))
        .count() as f64
        / total as f64;
    eprintln!("{total} couplings: {open:.3} open, {shorted:.3} at full scale");
    assert!((open - 0.1).abs() < 0.015 && (shorted - 0.1).abs() < 0.015);
    nd.fault_rate = 1.5;
    assert_eq!(nd.check().unwrap_err().field, "fault_rate");
}
