//! Energy budgets: the paper's digital figures, heat accounting (potential drop vs
//! Stratonovich sum, Ornstein–Uhlenbeck relaxation, first law of the noising process),
//! circuit-level power on node-voltage snapshots, and digital-table validation.

mod common;
use common::computer;

use ndarray::{Array1, Array2};
use thermocad::dynamics::noising::{HiddenProjection, Protocol, Schedule};
use thermocad::dynamics::sampler::Batch;
use thermocad::energy::circuit::{static_power, Dissipation, NodeMap};
use thermocad::energy::digital::{
    mlp_macs, paper_digital_kt, parse_table, DEFAULT_TABLE, PAPER_HEAT_KT,
};
use thermocad::energy::forward::account;
use thermocad::energy::heat::{from_equilibrium, run_chunked, StratonovichHeat, CHUNK};
use thermocad::energy::units::{Thermal, PAPER_KT_PER_PJ};
use thermocad::hardware::circuit::build;
use thermocad::hardware::profile::load_profile;
use thermocad::linalg::Parallelism;
use thermocad::metrics::mean_std;
use thermocad::model::{Connectivity, Physics};

#[test]
fn paper_digital_figures_are_reproduced_to_the_digit() {
    // The paper's rounding: 2.2e5 MACs × 10 steps × 2.4e8 kT per pJ-MAC.
    let paper = paper_digital_kt();
    assert_eq!(format!("{paper:.2e}"), "5.28e14");
    assert!((paper / 5.28e14 - 1.0).abs() < 1e-12);
    assert!(paper >= 5e14);
    let advantage = paper / PAPER_HEAT_KT.0;
    assert_eq!(format!("{advantage:.3e}"), "1.821e11");
    assert!(advantage > 1e11);
    // The unrounded figure: 784→128→128→784 is 217,088 MACs; at 300 K, kT = 4.14e-21 J,
    // so 1 pJ = 2.41e8 kT (the paper's 2.4e8 implies T ≈ 302 K).
    // k_B·300 K = 1.380649e-23 J/K × 300 K = 4.141947e-21 J (k_B exact since SI 2019).
    let room = Thermal::new(300.0).unwrap();
    assert!((room.kt_joules() / 4.141947e-21 - 1.0).abs() < 1e-12);
    assert_eq!(format!("{:.3e}", room.kt(1e-12)), "2.414e8");
    // The paper's 1 pJ = 2.4e8 kT is kT at 1e-12 J / (2.4e8 · 1.380649e-23 J/K) = 301.8 K.
    let t_paper = 1e-12 / (PAPER_KT_PER_PJ * 1.380649e-23);
    assert!((t_paper - 301.79).abs() < 0.01, "{t_paper} K");
    assert_eq!(mlp_macs(&[784, 128, 128, 784]), 217_088);
    let table = parse_table("shipped", DEFAULT_TABLE, Some("paper")).unwrap();
    let mlp = table.mlp();
    assert!(
        (mlp.joules / 2.17088e-6 - 1.0).abs() < 1e-12,
        "{}",
        mlp.joules
    );
    assert_eq!(format!("{:.4e}", room.kt(mlp.joules)), "5.2412e14");
    assert_eq!(
        format!("{:.3e}", room.kt(mlp.joules) / PAPER_HEAT_KT.0),
        "1.807e11"
    );
    // A real precision: fp32 MAC = 3.7 + 0.9 pJ.
    let fp32 = parse_table("shipped", DEFAULT_TABLE, Some("fp32")).unwrap();
    assert!((fp32.mlp().joules / (217_088.0 * 10.0 * 4.6e-12) - 1.0).abs() < 1e-12);
}

#[test]
fn digital_twin_and_weight_traffic_count_what_they_say() {
    let ph = Physics::PAPER;
    let c = computer::<f32>(
        784,
        512,
        ph,
        Connectivity::VisibleHiddenHiddenHidden,
        0.0,
        1,
    );
    let t = parse_table("shipped", DEFAULT_TABLE, Some("int8")).unwrap();
    let twin = t.twin(&c.topology, 2500);
    // Counted by hand: 784 visible units each read 512 hidden ones and 512 hidden units read
    // 784 + 512 units, M = 401,408 + 663,552 = 1,064,960 MACs at int8 0.2 + 0.03 pJ
    // = 244,940.8 pJ; 1296 units × 5 mult+add = 1,490.4 pJ; 1296 normals × 25 pJ
    // = 32,400 pJ: 278,831.2 pJ per step, 6.97078e-4 J for 2500 steps.
    assert!(
        (twin.joules / 6.97078e-4 - 1.0).abs() < 1e-9,
        "{}",
        twin.joules
    );
    // 217,088 int8 weights = 212 KB: the smallest level that holds them is the 1 MB SRAM.
    let tr = t.traffic("MLP", 217_088, 10).unwrap();
    assert!(tr.name.contains("sram-1mb"), "{}", tr.name);
    // 217,088 bytes = 27,136 64-bit reads per step, × 10 steps × 100 pJ = 2.7136e-5 J.
    assert!((tr.joules / 2.7136e-5 - 1.0).abs() < 1e-9, "{}", tr.joules);
}

fn bad_table(from: &str, to: &str) -> String {
    assert!(DEFAULT_TABLE.contains(from), "{from}");
    DEFAULT_TABLE.replacen(from, to, 1)
}

#[test]
fn bad_digital_tables_name_the_file_and_field() {
    // (text, --precision, field, the line that sets it: None for array-of-table entries).
    let cases = [
        (
            bad_table("mult_pj = 3.7", "mult_pj = -3.7"),
            None,
            "precision.fp32.mult_pj",
            Some("mult_pj = -3.7"),
        ),
        (
            bad_table("read_64bit_pj = 1300.0", "read_64bit_pj = -1"),
            None,
            "memory[3].read_64bit_pj",
            None,
        ),
        (
            DEFAULT_TABLE.to_string(),
            Some("fp64"),
            "budget.precision",
            Some("precision = "),
        ),
        (
            bad_table("layers = [784, 128, 128, 784]", "layers = []"),
            None,
            "mlp.layers",
            Some("layers = []"),
        ),
        (
            bad_table("normal_pj = 25.0", "normal_pj = nan"),
            None,
            "rng.normal_pj",
            Some("normal_pj = nan"),
        ),
    ];
    for (text, precision, field, setter) in cases {
        let e = parse_table("t.toml", &text, precision).unwrap_err();
        let msg = e.to_string();
        let at = setter.map_or(String::new(), |s| {
            let n = text.lines().position(|l| l.starts_with(s)).unwrap() + 1;
            format!(":{n}")
        });
        assert!(msg.starts_with(&format!("t.toml{at}: {field}: ")), "{msg}");
        assert_eq!(msg.lines().count(), 1, "{msg}");
    }
}

/// Run `rows` trajectories of `c` from `x0` for `steps` steps; the potential drop and the
/// Stratonovich sum of each row [model energy units].
fn heat_both_ways(
    c: &thermocad::model::Computer<f64>,
    x0: Array2<f64>,
    steps: usize,
) -> (Array1<f64>, Array1<f64>) {
    let par = Parallelism::SEQUENTIAL;
    let mut batch = Batch::from_states(x0.clone(), 3, 0);
    let mut strat = StratonovichHeat::new(x0.view());
    batch.run(c, steps, par, |_, x| strat.step(c, x, par));
    let q = c.energy(x0.view(), par) - c.energy(batch.x.view(), par);
    (q, strat.heat)
}

/// |Q − Σ Stratonovich increments| / |Q| along one coupled trajectory with time step `dt`.
fn heat_mismatch(dt: f64) -> f64 {
    let ph = Physics {
        dt,
        ..Physics::PAPER
    };
    let c = computer::<f64>(6, 4, ph, Connectivity::VisibleHiddenHiddenHidden, 0.3, 11);
    let x0 = Array2::from_elem((1, c.n()), 1.0); // away from equilibrium so that heat flows
    let (q, strat) = heat_both_ways(&c, x0, ph.steps(1.0));
    assert!(q[0] > 0.0, "relaxation from x = 1 releases heat");
    (q[0] - strat[0]).abs() / q[0].abs()
}

#[test]
fn heat_equals_sum_of_stratonovich_increments() {
    let coarse = heat_mismatch(1e-3);
    let fine = heat_mismatch(1e-5);
    assert!(fine < 2e-3, "Δt = 1e-5: relative mismatch {fine}");
    assert!(
        fine < coarse / 3.0,
        "mismatch must shrink with Δt: {coarse} -> {fine}"
    );
}

#[test]
fn generated_heat_is_the_potential_drop_of_each_sample() {
    // The shared generator (also behind `thermocad sample`) reports V(x(0)) − V(x(t_f)) in kT;
    // the Stratonovich sum along the same paths agrees to discretisation error.
    let ph = Physics {
        dt: 1e-4,
        ..Physics::PAPER
    };
    let c = computer::<f64>(8, 4, ph, Connectivity::VisibleHiddenHiddenHidden, 0.3, 5);
    let par = Parallelism::SEQUENTIAL;
    let mut strat: Option<StratonovichHeat<f64>> = None;
    let heat = run_chunked(
        &c,
        &c,
        6,
        CHUNK,
        ph.steps(0.5),
        par,
        from_equilibrium(&c, 9),
        |_, k, x| match (k, strat.as_mut()) {
            (0, _) => strat = Some(StratonovichHeat::new(x)),
            (_, Some(s)) => s.step(&c, x, par),
            _ => unreachable!("step 0 comes first"),
        },
        |_, _| {},
    );
    let sum = strat.unwrap().heat;
    assert_eq!(heat.len(), 6);
    let scale = heat.iter().map(|q| q.abs()).fold(1.0, f64::max);
    for (q, s) in heat.iter().zip(sum.iter()) {
        let s = s / ph.kt;
        assert!((q - s).abs() < 0.02 * scale, "Q = {q} kT vs Σ dQ = {s} kT");
    }
}

#[test]
fn ornstein_uhlenbeck_relaxation_heat_matches_the_analytic_mean() {
    // V = J2 x², x(0) = x0: ⟨Q(t)⟩ = J2 [x0² − ⟨x_t²⟩],
    // ⟨x_t²⟩ = x0² e^(−4μJ2 t) + (kT/2J2)(1 − e^(−4μJ2 t)).
    let ph = Physics {
        j2: 1.0,
        j4: 0.0,
        mu: 1.0,
        kt: 1.0,
        dt: 1e-3,
    };
    let mut c = computer::<f64>(1, 0, ph, Connectivity::Full, 0.0, 1);
    c.params.b.fill(0.0);
    let (x0, rows) = (2.0, 20_000);
    let par = Parallelism::new(0);
    let mut batch = Batch::from_states(Array2::from_elem((rows, 1), x0), 7, 0);
    let mut checked = 0;
    let e0 = ph.j2 * x0 * x0;
    batch.run(&c, ph.steps(1.0), par, |k, x| {
        if k % 250 != 0 {
            return;
        }
        let t = k as f64 * ph.dt;
        let decay = (-4.0 * ph.mu * ph.j2 * t).exp();
        let x2 = x0 * x0 * decay + ph.kt / (2.0 * ph.j2) * (1.0 - decay);
        let exact = ph.j2 * (x0 * x0 - x2);
        let q: Vec<f64> = c.energy(x, par).iter().map(|e| e0 - e).collect();
        let (m, sd) = mean_std(&q);
        let err = sd / (rows as f64).sqrt();
        assert!(
            (m - exact).abs() < 4.0 * err + 0.01 * exact,
            "t = {t}: ⟨Q⟩ = {m} ± {err} vs {exact}"
        );
        checked += 1;
    });
    assert_eq!(checked, 4);
}

/// ΔV − (W − Q) and W of one noising trajectory of 12 visible and 4 hidden units at step
/// `dt`, the hidden biases held at full strength with `hold` (they then do no work).
fn forward_residual(dt: f64, hold: bool) -> (f64, f64) {
    let ph = Physics {
        dt,
        ..Physics::PAPER
    };
    let protocol = Protocol {
        bias_scale: 3.0,
        hidden_scale: 1.0,
        hidden_projection: HiddenProjection::Copy,
        t_eq: 0.5,
        t_final: 1.0,
        fade_fraction: 0.75,
        schedule: Schedule::Linear,
        hold_hidden: hold,
    };
    let image = Array1::from_shape_fn(12, |i| if i % 3 == 0 { 1.5f32 } else { -0.7 });
    let b: Array1<f32> = protocol.image_bias(image.view(), 4, None);
    let held = protocol.held_from(12, b.len());
    let traj = protocol.trajectory(&ph, (&b, held), 4, 0, Parallelism::SEQUENTIAL);
    let f = account(&ph, &protocol, (&b, held), traj.view());
    assert!(
        f.work > 0.0,
        "removing the bias that holds x does work: {f:?}"
    );
    ((f.delta_v - (f.work - f.heat)).abs(), f.work)
}

#[test]
fn noising_obeys_the_first_law() {
    for hold in [false, true] {
        let (coarse, w) = forward_residual(1e-3, hold);
        let (fine, _) = forward_residual(1e-5, hold);
        assert!(
            coarse < 0.02 * w,
            "hold {hold}: ΔV − (W − Q) = {coarse} with W = {w}"
        );
        assert!(
            fine < coarse / 3.0,
            "hold {hold}: residual must shrink with Δt: {coarse} -> {fine}"
        );
    }
}

#[test]
fn conductive_power_of_snapshots_follows_the_circuit_ir() {
    let root = env!("CARGO_MANIFEST_DIR");
    let profile = load_profile(std::path::Path::new(&format!(
        "{root}/hardware/discrete-rc.toml"
    )))
    .unwrap();
    let ph = Physics::PAPER;
    let mut c = computer::<f32>(1, 1, ph, Connectivity::Full, 0.0, 1);
    c.params.j[[0, 1]] = 0.2;
    c.params.j[[1, 0]] = 0.2;
    c.params.b.fill(0.0);
    let circuit = build(&c, &profile).unwrap();
    let map = NodeMap::new(&circuit);
    let x = Array2::from_shape_vec((1, 2), vec![0.5f32, -0.25]).unwrap();
    let v = map.voltages(x.view());
    let v0 = profile.v0();
    let (v1, v2) = (0.5 * v0, -0.25 * v0);
    // Ground branches (2 J2 − |J|) g_u, couplings |J| g_u to the buffered −sign(J)·v, cubic k v⁴.
    let gu = profile.unit_conductance(ph.mu);
    let k3 = profile.cubic_coefficient(ph.j4, ph.mu);
    let g = (2.0 - 0.2) * gu;
    let expect = g * (v1 * v1 + v2 * v2)
        + 0.2 * gu * ((v1 + v2).powi(2) * 2.0)
        + k3 * (v1.powi(4) + v2.powi(4));
    let p = Dissipation::new(&circuit, 1).power(v.row(0));
    // E96 snapping moves resistor values by up to ±1 %.
    assert!((p / expect - 1.0).abs() < 0.02, "P = {p} W vs {expect} W");
    let s = static_power(&circuit, &profile);
    assert_eq!(s.buffer_count, 2, "one −v buffer per unit");
    assert!((s.buffers - 2.0 * 1.5e-3 * 10.0).abs() < 1e-12);
    let noise = 2.0 * profile.noise_psd(ph.kt, ph.mu) / (2.0 * profile.capacitance);
    assert!((s.noise / noise - 1.0).abs() < 1e-12);
}

#[test]
fn equilibrium_dissipation_balances_the_noise_power() {
    // A linear RC node in equilibrium dissipates on average exactly what its noise source
    // delivers: g⟨v²⟩ = g v0² kT/(2 J2) = S/(2C).
    let root = env!("CARGO_MANIFEST_DIR");
    let profile =
        load_profile(std::path::Path::new(&format!("{root}/hardware/ideal.toml"))).unwrap();
    let ph = Physics {
        j4: 0.0,
        ..Physics::PAPER
    };
    let mut c = computer::<f32>(1, 0, ph, Connectivity::Full, 0.0, 1);
    c.params.b.fill(0.0);
    let circuit = build(&c, &profile).unwrap();
    let rows = 40_000;
    let x = Batch::from_equilibrium(&c, 3, 0, rows).x;
    let v = NodeMap::new(&circuit).voltages(x.view());
    let mut d = Dissipation::new(&circuit, rows);
    d.add(v.view(), 1.0);
    let (p, _) = mean_std(d.joules.as_slice().unwrap());
    let noise = static_power(&circuit, &profile).noise;
    assert!(
        (p / noise - 1.0).abs() < 0.03,
        "⟨P⟩ = {p} W vs S/(2C) = {noise} W"
    );
}

#[test]
fn twin_traffic_reads_each_distinct_weight_once() {
    use thermocad::model::Topology;
    // The paper's 784 + 512: visible–hidden 784·512 = 401,408 plus the symmetric
    // hidden–hidden block 512·511/2 = 130,816 distinct weights = 532,224, not the
    // 1,064,960 MACs of one field.
    let vh =
        Topology::visible_hidden(784, 512, &Connectivity::VisibleHiddenHiddenHidden, &[]).unwrap();
    assert_eq!(vh.distinct_weights(), 532_224);
    assert_eq!(vh.macs_per_field(), 1_064_960);
    // Full: every unordered pair once, N(N−1)/2.
    let full = Topology::visible_hidden(30, 20, &Connectivity::Full, &[]).unwrap();
    assert_eq!(full.distinct_weights(), 50 * 49 / 2);
    // Custom: a ring of 7 units has 7 distinct couplings (14 mask entries).
    let mut ring = Array2::<f32>::zeros((7, 7));
    for i in 0..7 {
        ring[[i, (i + 1) % 7]] = 1.0;
        ring[[(i + 1) % 7, i]] = 1.0;
    }
    let custom = Topology::visible_hidden(4, 3, &Connectivity::Custom(ring), &[]).unwrap();
    assert_eq!(custom.distinct_weights(), 7);
    // The twin's traffic row reads W = 532,224 fp32 weights per step: 266,112 64-bit reads
    // from DRAM (2.1 MB does not fit the 1 MB SRAM) at 1.3 nJ, 2500 steps.
    let t = parse_table("shipped", DEFAULT_TABLE, Some("fp32")).unwrap();
    let tr = t
        .traffic("twin", vh.distinct_weights() as u64, 2500)
        .unwrap();
    assert!(tr.name.contains("dram"), "{}", tr.name);
    let expect = 2500.0 * 266_112.0 * 1300e-12;
    assert!((tr.joules / expect - 1.0).abs() < 1e-12, "{}", tr.joules);
}

/// ⟨f(x)⟩ under exp(−(J2 x² + J4 x⁴ + b x)/kT) by the trapezoidal rule.
fn tilted_average(ph: &Physics, b: f64, f: impl Fn(f64) -> f64) -> f64 {
    let (n, lim) = (200_000, 4.0);
    let h = 2.0 * lim / n as f64;
    let (mut z, mut s) = (0.0, 0.0);
    for k in 0..=n {
        let x = -lim + k as f64 * h;
        let w = if k == 0 || k == n { 0.5 } else { 1.0 };
        let p = w * (-(ph.onsite_energy(x) + b * x) / ph.kt).exp();
        z += p;
        s += p * f(x);
    }
    s / z
}

#[test]
fn reset_heat_of_a_quartic_unit_matches_quadrature() {
    use thermocad::energy::cycle::{CycleRecorder, ResetTo};
    // One quartic unit (J2 = J4 = 1, kT = 0.1) with a bias b = 1 switched on: after t = 2
    // (≫ the relaxation time 1/(4 μ J2) = 0.25) its states follow exp(−(V₀ + b x)/kT). Switching
    // the bias off and relaxing back costs ⟨V₀⟩_final − ⟨V₀⟩_eq, both by quadrature here.
    let ph = Physics::PAPER;
    let mut c = computer::<f64>(1, 0, ph, Connectivity::Full, 0.0, 1);
    let b = 1.0;
    c.params.b.fill(b);
    let rows = 20_000;
    let par = Parallelism::new(0);
    let rec = std::sync::Mutex::new(CycleRecorder::default());
    let heat = run_chunked(
        &c,
        &c,
        rows,
        CHUNK,
        ph.steps(2.0),
        par,
        from_equilibrium(&c, 4),
        |_, k, x| {
            if k == 0 {
                rec.lock().unwrap().start(&c, x, par);
            }
        },
        |_, x| rec.lock().unwrap().finish(&c, x, par),
    );
    let cycle = rec.into_inner().unwrap().cycle(&c, ResetTo::Equilibrium);
    let v0 = |x: f64| ph.onsite_energy(x);
    let exact = (tilted_average(&ph, b, v0) - tilted_average(&ph, 0.0, v0)) / ph.kt;
    let (m, sd) = mean_std(&cycle.reset_kt);
    let err = sd / (rows as f64).sqrt();
    assert!(
        exact > 1.0,
        "a bias of 10 kT stretches the unit: {exact} kT"
    );
    assert!(
        (m - exact).abs() < 4.0 * err + 0.02 * exact,
        "⟨Q_reset⟩ = {m} ± {err} kT vs quadrature {exact} kT"
    );
    // First law over the cycle: ⟨W_on + W_off⟩ = ⟨Q⟩ + ⟨Q_reset⟩; here W_on = b x₀ (mean 0)
    // and W_off = −b x_f = −b ⟨x⟩_b by quadrature.
    let (w_on, _) = mean_std(&cycle.w_on_kt);
    let (w_off, _) = mean_std(&cycle.w_off_kt);
    let w_off_exact = -b * tilted_average(&ph, b, |x| x) / ph.kt;
    assert!(
        (w_off / w_off_exact - 1.0).abs() < 0.02,
        "{w_off} vs {w_off_exact}"
    );
    let (q, q_sd) = mean_std(&heat);
    let budget = 4.0 * (q_sd + sd) / (rows as f64).sqrt() + 0.02 * (q + m).abs();
    assert!(
        ((w_on + w_off) - (q + m)).abs() < budget,
        "W_on + W_off = {} vs Q + Q_reset = {}",
        w_on + w_off,
        q + m
    );
}

#[test]
fn vccs_coupling_power_closes_the_energy_balance() {
    // A gm-C circuit of four coupled quartic units with biases, integrated deterministically
    // (RK4, noise off) from the circuit IR: the energy the bias sources supply equals the
    // conductive dissipation plus the VCCS couplings' absorbed power plus the change of the
    // stored ½ Σ C v², to integrator accuracy — and without the VCCS term it does not close.
    use thermocad::hardware::circuit::{Component, NodeRole, Terminal};
    let root = env!("CARGO_MANIFEST_DIR");
    let profile =
        load_profile(std::path::Path::new(&format!("{root}/hardware/gm-c.toml"))).unwrap();
    let mut c = computer::<f32>(2, 2, Physics::PAPER, Connectivity::Full, 0.5, 3);
    c.params
        .b
        .assign(&Array1::from(vec![0.4f32, -0.3, 0.2, -0.5]));
    let circuit = build(&c, &profile).unwrap();
    let n = circuit.nodes.len();
    assert!(circuit
        .nodes
        .iter()
        .all(|nd| matches!(nd.role, NodeRole::Unit { .. })));
    let mut cap = vec![0.0; n];
    for comp in &circuit.components {
        if let Component::Capacitor { node, farads } = *comp {
            cap[node.0 as usize] += farads;
        }
    }
    let at = |v: &[f64], t: Terminal| match t {
        Terminal::Ground => 0.0,
        Terminal::Node(id) => v[id.0 as usize],
    };
    // dv/dt = −(currents leaving each node)/C.
    let deriv = |v: &[f64]| -> Vec<f64> {
        let mut leave = vec![0.0; n];
        for comp in &circuit.components {
            match *comp {
                Component::Resistor { a, b, ohms } => {
                    let i = (at(v, a) - at(v, b)) / ohms;
                    if let Terminal::Node(id) = a {
                        leave[id.0 as usize] += i;
                    }
                    if let Terminal::Node(id) = b {
                        leave[id.0 as usize] -= i;
                    }
                }
                Component::Vccs { out, ctrl, siemens } => {
                    leave[out.0 as usize] += siemens * v[ctrl.0 as usize]
                }
                Component::Cubic {
                    node,
                    amps_per_volt3,
                } => leave[node.0 as usize] += amps_per_volt3 * v[node.0 as usize].powi(3),
                Component::CurrentSource { node, amps } => leave[node.0 as usize] += amps,
                Component::NegativeConductance { node, siemens } => {
                    leave[node.0 as usize] -= siemens * v[node.0 as usize]
                }
                _ => {}
            }
        }
        (0..n).map(|i| -leave[i] / cap[i]).collect()
    };
    let d = Dissipation::new(&circuit, 1);
    assert!(d.has_vccs());
    let stored = |v: &[f64]| (0..n).map(|i| 0.5 * cap[i] * v[i] * v[i]).sum::<f64>();
    let powers = |v: &[f64]| {
        let a = ndarray::ArrayView1::from(v);
        (d.supplied_power(a), d.power(a), d.coupling_power(a))
    };
    let v0 = profile.v0();
    // Integrate over 2 model time units with `steps` steps: (residual, scale, VCCS energy).
    let run = |steps: usize| {
        let mut v: Vec<f64> = [1.2, -0.8, 0.5, 1.0].iter().map(|x| x * v0).collect();
        let e_start = stored(&v);
        let h = 2.0 * profile.time_unit / steps as f64;
        let (mut supplied, mut conductive, mut coupling) = (0.0, 0.0, 0.0);
        let mut p_prev = powers(&v);
        for _ in 0..steps {
            let k1 = deriv(&v);
            let shift = |k: &[f64], f: f64| -> Vec<f64> {
                v.iter().zip(k).map(|(a, b)| a + f * h * b).collect()
            };
            let k2 = deriv(&shift(&k1, 0.5));
            let k3 = deriv(&shift(&k2, 0.5));
            let k4 = deriv(&shift(&k3, 1.0));
            for i in 0..n {
                v[i] += h / 6.0 * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i]);
            }
            let p = powers(&v);
            supplied += 0.5 * h * (p.0 + p_prev.0);
            conductive += 0.5 * h * (p.1 + p_prev.1);
            coupling += 0.5 * h * (p.2 + p_prev.2);
            p_prev = p;
        }
        let stored_change = stored(&v) - e_start;
        let residual = supplied - (conductive + coupling + stored_change);
        (
            residual,
            conductive.abs() + coupling.abs() + supplied.abs(),
            coupling,
        )
    };
    let (coarse, _, _) = run(500);
    let (residual, scale, coupling) = run(2000);
    assert!(
        residual.abs() < 1e-4 * scale && residual.abs() < coarse.abs() / 8.0,
        "residual {residual:e} J of {scale:e} J (coarse {coarse:e} J): the balance must close as Δt²"
    );
    assert!(
        coupling.abs() > 1e-2 * scale,
        "the couplings' own power must matter here: {coupling:e} J of {scale:e} J"
    );
}

#[test]
fn system_fields_default_and_are_checked_by_name() {
    use thermocad::hardware::profile::{parse_profile, SystemSpec};
    let root = env!("CARGO_MANIFEST_DIR");
    let read = |f: &str| std::fs::read_to_string(format!("{root}/hardware/{f}")).unwrap();
    // ideal.toml has no [system]: the gm-C defaults; gm-c.toml states them explicitly.
    let ideal = parse_profile("ideal", &read("ideal.toml")).unwrap();
    assert_eq!(ideal.system, SystemSpec::DEFAULT);
    let gmc = parse_profile("gm-c", &read("gm-c.toml")).unwrap();
    assert_eq!(gmc.system, SystemSpec::DEFAULT);
    // One 8-bit conversion at 10 fJ per step: 256 × 1e-14 J = 2.56 pJ.
    assert!((gmc.system.adc_conversion() / 2.56e-12 - 1.0).abs() < 1e-12);
    let rc = parse_profile("rc", &read("discrete-rc.toml")).unwrap();
    assert_eq!(rc.system.programming_bits, 0);
    for (from, to, field) in [
        ("adc_bits = 8", "adc_bits = 0", "system.adc_bits"),
        (
            "dac_energy_j = 5e-13",
            "dac_energy_j = -1.0",
            "system.dac_energy_j",
        ),
    ] {
        let text = read("gm-c.toml").replacen(from, to, 1);
        let msg = parse_profile("t.toml", &text).unwrap_err().to_string();
        assert!(msg.contains(field), "{msg}");
        assert_eq!(msg.lines().count(), 1, "{msg}");
    }
}

#[test]
fn energy_on_a_classifier_agrees_with_classify() {
    use common::thermocad;
    use thermocad::workflow::demo::DEMO_CLASSIFIER_CONFIG;
    let d = tempfile::tempdir().unwrap();
    let dir = |name: &str| d.path().join(name).display().to_string();
    // An untrained demo classifier (784 clamped inputs, 16 hidden, 10 outputs) with couplings
    // large enough to move its outputs, and 60 synthetic digits as IDX files.
    let cfg = DEMO_CLASSIFIER_CONFIG
        .replacen("size = 32", "size = 16", 1)
        .replacen(
            "teacher_epochs = 20",
            "teacher_epochs = 20\ninput_norm = 30.0",
            1,
        );
    std::fs::write(d.path().join("c.toml"), cfg).unwrap();
    let (code, _, err) = thermocad(&[
        "init",
        "--config",
        &dir("c.toml"),
        "--set",
        "model.init_scale=0.05",
        "--out",
        &dir("m"),
    ]);
    assert_eq!(code, 0, "{err}");
    let digits =
        thermocad::data::synthetic::synthetic_digits(&[0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 6, 2);
    std::fs::create_dir_all(dir("idx")).unwrap();
    let images = digits
        .images
        .mapv(|v| v as u8)
        .into_shape_with_order((60, 28, 28))
        .unwrap();
    thermocad::data::idx::write_idx_images(&d.path().join("idx/t10k-images-idx3-ubyte"), &images)
        .unwrap();
    thermocad::data::idx::write_idx_labels(
        &d.path().join("idx/t10k-labels-idx1-ubyte"),
        &digits.labels,
    )
    .unwrap();
    let common = ["--model", &dir("m"), "--data", &dir("idx"), "--seed", "5"];
    let (code, so, err) = thermocad(
        &[
            &[
                "classify",
                "--count",
                "20",
                "--trajectories",
                "1",
                "--out",
                &dir("c"),
            ][..],
            &common,
        ]
        .concat(),
    );
    assert_eq!(code, 0, "{err}");
    assert!(so.contains("core total per inference"), "{so}");
    let (code, so, err) = thermocad(
        &[
            &["energy", "--samples", "20", "--hardware"][..],
            &[&format!(
                "{}/hardware/gm-c.toml",
                env!("CARGO_MANIFEST_DIR")
            )],
            &["--out", &dir("e")],
            &common,
        ]
        .concat(),
    );
    assert_eq!(code, 0, "{err}");
    assert!(so.contains("system gm-c: input DACs"), "{so}");
    let summary = std::fs::read_to_string(d.path().join("c/summary.txt")).unwrap();
    let field = |k: &str| -> f64 {
        summary
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{k} = ")))
            .unwrap_or_else(|| panic!("{k} in {summary}"))
            .parse()
            .unwrap()
    };
    let csv = std::fs::read_to_string(d.path().join("e/energy.csv")).unwrap();
    let kt_of = |name: &str| -> f64 {
        csv.lines()
            .find(|l| l.starts_with(name))
            .unwrap_or_else(|| panic!("{name} in {csv}"))
            .split(',')
            .nth(1)
            .unwrap()
            .parse()
            .unwrap()
    };
    // The same digits, noise streams and t_f: the same heat per inference, and the same core
    // total ⟨Q⟩ + ⟨Q_reset⟩ (to the printed four digits).
    let (q, total) = (field("heat_mean_kt"), field("core_total_kt"));
    assert!(q.abs() > 0.1 && total > 0.1, "{summary}");
    let q_e = kt_of("ideal: inference heat");
    let total_e = q_e + kt_of("core: reset heat");
    assert!(
        (q_e / q - 1.0).abs() < 1e-3,
        "energy {q_e} kT vs classify {q} kT"
    );
    assert!(
        (total_e / total - 1.0).abs() < 1e-3,
        "energy {total_e} kT vs classify {total} kT"
    );
    // The cycle closes per inference when the reset discharges to 0: W_on + W_off = Q + Q_reset.
    let w = kt_of("core: switch-on work") + kt_of("core: switch-off work");
    assert!((w / total_e - 1.0).abs() < 1e-3, "{w} vs {total_e}");
}
