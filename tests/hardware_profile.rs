//! Hardware profiles: the shipped files load, the derived mapping constants match hand
//! calculations (docs/circuit-mapping.md), resistor series snap correctly and bad profiles
//! are rejected with the field named.

use std::path::{Path, PathBuf};
use thermocad::energy::units::BOLTZMANN;
use thermocad::hardware::eseries::ResistorSeries;
use thermocad::hardware::profile::{
    load_profile, parse_profile, resistive_margin, CouplingStyle, ProfileError,
};

fn shipped(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("hardware")
        .join(format!("{name}.toml"))
}

fn rel(a: f64, b: f64) -> f64 {
    ((a - b) / b).abs()
}

fn assert_close(a: f64, b: f64, tol: f64, what: &str) {
    assert!(rel(a, b) < tol, "{what}: {a} vs {b} (rel {})", rel(a, b));
}

/// A valid minimal profile with one line replaced (or appended to a section).
const BASE: &str = r#"
description = "test"

[node]
capacitance_f = 1e-9
capacitance_tolerance = 0.05
noise_temperature_k = 7.242970516e11
time_unit_s = 1e-6

[coupling]
style = "resistive"
resistor_series = "E96"
resistor_tolerance = 0.01

[buffer]
gain_error = 0.001
offset_v = 1e-4
quiescent_current_a = 1e-3
supply_v = 10.0
gbw_hz = 1e7
"#;

fn with(from: &str, to: &str) -> String {
    assert!(BASE.contains(from), "test bug: {from:?} not in BASE");
    BASE.replacen(from, to, 1)
}

fn reject(text: &str) -> ProfileError {
    match parse_profile("hardware/bad.toml", text) {
        Ok(p) => panic!("accepted a bad profile: {p:?}"),
        Err(e) => e,
    }
}

#[test]
fn shipped_profiles_load() {
    let ideal = load_profile(&shipped("ideal")).unwrap();
    assert_eq!(ideal.name, "ideal");
    assert_eq!(ideal.coupling, CouplingStyle::Vccs);
    assert_eq!(ideal.inductance, None);
    assert_eq!(ideal.capacitance_tolerance, 0.0);
    assert_eq!(ideal.resistor_tolerance, 0.0);
    assert_eq!(ideal.transconductance_tolerance, 0.0);
    assert_eq!(ideal.resistor_series, None);
    assert!(ideal.mismatch.is_none() && ideal.buffer.is_none());

    let rc = load_profile(&shipped("discrete-rc")).unwrap();
    assert_eq!(rc.name, "discrete-rc");
    assert_eq!(rc.coupling, CouplingStyle::Resistive);
    assert_eq!(rc.resistor_series, Some(ResistorSeries::E96));
    assert_eq!(rc.resistor_tolerance, 0.01);
    assert_eq!(rc.capacitance, 1e-9);
    assert_eq!(rc.capacitance_tolerance, 0.05);
    let buf = rc.buffer.expect("resistive profile has buffers");
    assert!(buf.gain_error > 0.0 && buf.offset > 0.0 && buf.quiescent_current > 0.0);
    assert!(buf.gbw.is_finite() && buf.supply > 2.0 * rc.v0());

    let gmc = load_profile(&shipped("gm-c")).unwrap();
    assert_eq!(gmc.name, "gm-c");
    assert_eq!(gmc.coupling, CouplingStyle::Vccs);
    assert_eq!(gmc.capacitance, 1e-12);
    let m = gmc.mismatch.expect("gm-C has a mismatch model");
    assert_close(m.sigma(), 1e-8 / 2e-6, 1e-12, "Pelgrom sigma");
    let p = gmc.power.expect("gm-C has a power section");
    assert!(p.supply > gmc.v0() && p.bias_current > 0.0);

    // Every shipped profile is volt-scale-ish with realistic node time constants C/g.
    for (prof, tau_lo, tau_hi) in [(&ideal, 1e-7, 1e-5), (&rc, 1e-7, 1e-5), (&gmc, 1e-9, 1e-6)] {
        let v0 = prof.v0();
        assert!((0.05..=0.5).contains(&v0), "{}: v0 = {v0}", prof.name);
        let tau = prof.capacitance / prof.ground_conductance(1.0, 1.0);
        assert!(
            (tau_lo..=tau_hi).contains(&tau),
            "{}: tau = {tau}",
            prof.name
        );
    }
}

#[test]
fn derived_quantities_match_hand_calculation() {
    // docs/circuit-mapping.md worked example: C = 1 nF, v0 = 0.1 V, t_unit = 1 µs,
    // J2 = J4 = 1, kT = 0.1, μ = 1, Δt = 1e-3.
    let p = load_profile(&shipped("ideal")).unwrap();
    let (mu, kt) = (1.0, 0.1);
    assert_close(p.v0(), 0.1, 1e-9, "v0");
    assert_close(p.kt_joules(), 1e-11, 1e-9, "k_B T_noise = C v0²");
    assert_close(
        p.kt_joules(),
        BOLTZMANN * 7.242970516e11,
        1e-15,
        "kt_joules",
    );
    assert_close(p.energy_unit_joules(kt), 1e-10, 1e-9, "model energy unit");
    assert_close(p.p0(mu), 1e-5, 1e-9, "P0 = μ C v0²/t_unit");
    assert_close(p.p0(2.0), 2e-5, 1e-9, "P0 ∝ μ");
    assert_close(p.mobility(mu), 1e6, 1e-12, "μ_phys");
    assert_close(
        p.unit_conductance(mu),
        p.p0(mu) / 0.01,
        1e-9,
        "μ_phys C = P0/v0²",
    );
    let g = p.ground_conductance(1.0, mu);
    assert_close(g, 2e-3, 1e-9, "g = 2 J2 μ_phys C");
    assert_close(1.0 / g, 500.0, 1e-9, "R_ground");
    assert_close(
        1.0 / p.coupling_conductance(0.05, mu),
        20e3,
        1e-9,
        "R for |J| = 0.05",
    );
    assert_close(p.coupling_conductance(-0.05, mu), -5e-5, 1e-9, "signed gm");
    assert_close(
        p.cubic_coefficient(1.0, mu),
        0.4,
        1e-9,
        "cubic coefficient [A/V³]",
    );
    assert_close(
        p.bias_current(1.0, mu),
        1e-4,
        1e-9,
        "bias current per unit b",
    );
    let s = p.noise_psd(kt, mu);
    assert_close(s, 2e-15, 1e-9, "two-sided noise PSD");
    // Same PSD as a resistor of conductance P0 kT/v0² at T_noise: 2 k_B T_noise g_ref.
    assert_close(
        s,
        2.0 * p.kt_joules() * p.p0(mu) * kt / 0.01,
        1e-9,
        "2 k_B T g",
    );
    let nt = p.time_unit * 1e-3 / 10.0;
    assert_close(nt, 1e-10, 1e-12, "NT");
    assert_close(
        p.trnoise_amplitude(kt, mu, nt),
        2e-5f64.sqrt(),
        1e-9,
        "TRNOISE NA",
    );
    // Resistive-coupling margin: 10 couplings of |J| = 0.05 on J2 = 1 leave 75 %.
    assert_close(resistive_margin(1.0, [0.05; 10]), 0.75, 1e-12, "margin");
    assert_close(
        resistive_margin(1.0, vec![0.05; 50]),
        -0.25,
        1e-12,
        "overload",
    );
    assert_eq!(p.rlc_epsilon(g), None);

    // Discrete board: v0 = 0.2 V, P0 = 40 µW; gm-C: v0 = 0.1 V, P0 = 0.1 µW, g = 20 µS.
    let rc = load_profile(&shipped("discrete-rc")).unwrap();
    assert_close(rc.v0(), 0.2, 1e-9, "discrete v0");
    assert_close(rc.p0(mu), 4e-5, 1e-9, "discrete P0");
    let gmc = load_profile(&shipped("gm-c")).unwrap();
    assert_close(gmc.v0(), 0.1, 1e-9, "gm-C v0");
    assert_close(gmc.p0(mu), 1e-7, 1e-9, "gm-C P0");
    assert_close(gmc.ground_conductance(1.0, mu), 2e-5, 1e-9, "gm-C g");
    assert_close(
        gmc.coupling_conductance(0.05, mu),
        5e-7,
        1e-9,
        "gm-C coupling gm",
    );
}

#[test]
fn rlc_epsilon_and_underdamping() {
    let text = with(
        "time_unit_s = 1e-6",
        "time_unit_s = 1e-6\ninductance_h = 1e-6",
    );
    let p = parse_profile("rlc", &text).unwrap();
    assert_eq!(p.inductance, Some(1e-6));
    let g = p.ground_conductance(1.0, 1.0);
    // ε = L g²/C = 1e-6 · 4e-6 / 1e-9 = 4e-3: RC-like (L/R = 2 ns ≪ RC = 500 ns).
    assert_close(p.rlc_epsilon(g).unwrap(), 4e-3, 1e-9, "epsilon");
    // Underdamped above ε = 1/4, i.e. L > C/(4 g²) = 62.5 µH.
    let text = with(
        "time_unit_s = 1e-6",
        "time_unit_s = 1e-6\ninductance_h = 62.5e-6",
    );
    let p = parse_profile("rlc", &text).unwrap();
    assert_close(p.rlc_epsilon(g).unwrap(), 0.25, 1e-9, "critical epsilon");
}

#[test]
fn series_values_are_the_standard_lists() {
    for (s, n) in [
        (ResistorSeries::E24, 24),
        (ResistorSeries::E96, 96),
        (ResistorSeries::E192, 192),
    ] {
        let v = s.values();
        assert_eq!(v.len(), n, "{s}");
        assert_eq!(v[0], 1.0);
        assert!(v.windows(2).all(|w| w[0] < w[1]), "{s} ascending");
        assert!(*v.last().unwrap() < 10.0);
    }
    // E96 and E192 are 10^(k/N) rounded to 3 digits (E192 has the one classic exception
    // 9.20 where the formula gives 9.19); E96 is every other E192 value.
    for (s, n) in [(ResistorSeries::E96, 96), (ResistorSeries::E192, 192)] {
        for (k, &v) in s.values().iter().enumerate() {
            let ideal = (10f64.powf(k as f64 / n as f64) * 100.0).round() / 100.0;
            let exception = n == 192 && (v - 9.20).abs() < 1e-9;
            assert!(
                (v - ideal).abs() < 1e-9 || exception,
                "{s}[{k}] = {v}, formula {ideal}"
            );
        }
    }
    let e192 = ResistorSeries::E192.values();
    let every_other: Vec<f64> = e192.iter().step_by(2).copied().collect();
    assert_eq!(every_other, ResistorSeries::E96.values());
    // E24 is the familiar list.
    assert_eq!(
        &ResistorSeries::E24.values()[..8],
        &[1.0, 1.1, 1.2, 1.3, 1.5, 1.6, 1.8, 2.0]
    );
}

#[test]
fn resistor_snapping() {
    use ResistorSeries::*;
    // Exact series values stay put (and come back as the exact decimal double).
    assert_eq!(E96.snap(4.99e3), 4.99e3);
    assert_eq!(E96.snap(4990.0), 4990.0);
    assert_eq!(E192.snap(9.20e3), 9.20e3);
    assert_eq!(E24.snap(47.0), 47.0);
    assert_eq!(E24.snap(0.47), 0.47);
    assert_eq!(E96.snap(1.0), 1.0);
    assert_eq!(E96.snap(1e6), 1e6);
    // Nearest in log distance.
    assert_eq!(E96.snap(1234.0), 1.24e3);
    assert_eq!(E24.snap(1234.0), 1.2e3);
    assert_eq!(E192.snap(1234.0), 1.23e3);
    assert_eq!(E24.snap(20e3), 20e3);
    assert_eq!(E96.snap(500.0), 499.0);
    // Across the decade boundary, both ways.
    assert_eq!(E96.snap(9.95e3), 10e3);
    assert_eq!(E24.snap(9.8e3), 10e3);
    assert_eq!(E96.snap(10.05e3), 10.0e3);
    assert_eq!(E96.snap(9.7e3), 9.76e3);
    assert_eq!(E192.snap(9.95), 10.0);
    // Log (not linear) distance: between 9.1 and 10 the log midpoint is √91 ≈ 9.539.
    assert_eq!(E24.snap(9.53), 9.1);
    assert_eq!(E24.snap(9.55), 10.0);
    // Snapped values are never further than half a series step (in log).
    for s in [E24, E96, E192] {
        let n = s.values().len() as f64;
        let mut r = 0.3;
        while r < 3e7 {
            let snapped = s.snap(r);
            // E24's irregular steps reach ≈ 1.6× the nominal half step (2.7 → 3.0).
            assert!(
                (snapped / r).log10().abs() <= 0.8 / n,
                "{s}: {r} → {snapped}"
            );
            assert!(s.snap(snapped) == snapped, "{s}: idempotent at {snapped}");
            r *= 1.0137;
        }
    }
    // Non-physical inputs pass through.
    assert!(E96.snap(f64::NAN).is_nan());
    assert_eq!(E96.snap(0.0), 0.0);
    assert_eq!(E96.snap(-5.0), -5.0);
}

#[test]
fn negative_capacitance_is_rejected() {
    let e = reject(&with("capacitance_f = 1e-9", "capacitance_f = -1"));
    assert_eq!(e.field(), Some("node.capacitance_f"));
    assert_eq!(
        e.to_string(),
        "hardware/bad.toml:5: node.capacitance_f: must be positive, got -1"
    );
    let e = reject(&with("capacitance_f = 1e-9", "capacitance_f = nan"));
    assert_eq!(e.field(), Some("node.capacitance_f"));
}

#[test]
fn unknown_field_is_rejected_by_name() {
    let e = reject(&with(
        "capacitance_f = 1e-9",
        "capacitance_f = 1e-9\ncapacitance = 1e-9",
    ));
    assert_eq!(e.field(), Some("node.capacitance"), "{e}");
    let msg = e.to_string();
    assert!(
        msg.starts_with("hardware/bad.toml:6: node.capacitance: "),
        "{msg}"
    );
    assert!(msg.contains("unknown field `capacitance`"), "{msg}");

    // Unknown section.
    let e = reject(&format!("{BASE}\n[thermal]\nambient_k = 300\n"));
    assert_eq!(e.field(), Some("thermal"), "{e}");
    assert!(e.to_string().contains("unknown field `thermal`"), "{e}");

    // Unknown field in an optional section.
    let e = reject(&with("gbw_hz = 1e7", "gbw_hz = 1e7\nslew_v_per_s = 1e7"));
    assert_eq!(e.field(), Some("buffer.slew_v_per_s"), "{e}");
}

#[test]
fn unknown_coupling_style_is_rejected() {
    let e = reject(&with(r#"style = "resistive""#, r#"style = "optical""#));
    assert_eq!(e.field(), Some("coupling.style"), "{e}");
    let msg = e.to_string();
    assert!(msg.contains("optical") && msg.contains("vccs"), "{msg}");

    let e = reject(&with(
        r#"resistor_series = "E96""#,
        r#"resistor_series = "E48""#,
    ));
    assert_eq!(e.field(), Some("coupling.resistor_series"), "{e}");
}

#[test]
fn tolerance_of_one_or_more_is_rejected() {
    for (from, to, field) in [
        (
            "capacitance_tolerance = 0.05",
            "capacitance_tolerance = 1.0",
            "node.capacitance_tolerance",
        ),
        (
            "resistor_tolerance = 0.01",
            "resistor_tolerance = 5",
            "coupling.resistor_tolerance",
        ),
        (
            "resistor_tolerance = 0.01",
            "resistor_tolerance = -0.01",
            "coupling.resistor_tolerance",
        ),
        (
            "resistor_tolerance = 0.01",
            "resistor_tolerance = 0.01\ntransconductance_tolerance = 1.5",
            "coupling.transconductance_tolerance",
        ),
        ("gain_error = 0.001", "gain_error = 1", "buffer.gain_error"),
    ] {
        let e = reject(&with(from, to));
        assert_eq!(e.field(), Some(field), "{e}");
        assert!(e.to_string().contains("[0, 1)"), "{e}");
    }
}

#[test]
fn other_invalid_profiles_are_rejected() {
    // Missing required field and section.
    let e = reject(&with("time_unit_s = 1e-6", ""));
    assert_eq!(e.field(), Some("node.time_unit_s"), "{e}");
    let e = reject(&BASE.replace("[buffer]", "[power]").replace(
        "gain_error = 0.001\noffset_v = 1e-4\nquiescent_current_a = 1e-3\nsupply_v = 10.0\ngbw_hz = 1e7",
        "supply_v = 10.0\nbias_current_a = 1e-6",
    ));
    assert_eq!(e.field(), Some("buffer"), "{e}");
    let e = reject("description = 'x'\n[coupling]\nstyle = 'vccs'\n");
    assert_eq!(e.field(), Some("node"), "{e}");
    // Misspelt section.
    let e = reject(&BASE.replace("[node]", "[nodes]"));
    assert_eq!(e.field(), Some("nodes"), "{e}");
    // Wrong type.
    let e = reject(&with("time_unit_s = 1e-6", r#"time_unit_s = "1 us""#));
    assert_eq!(e.field(), Some("node.time_unit_s"), "{e}");
    // Zero inductance.
    let e = reject(&with(
        "time_unit_s = 1e-6",
        "time_unit_s = 1e-6\ninductance_h = 0",
    ));
    assert_eq!(e.field(), Some("node.inductance_h"), "{e}");
    // v0 = √(k_B T/C) larger than the buffer supply.
    let e = reject(&with(
        "noise_temperature_k = 7.242970516e11",
        "noise_temperature_k = 1e16",
    ));
    assert_eq!(e.field(), Some("node.noise_temperature_k"), "{e}");
    // Mismatch larger than 100 %.
    let e = reject(&format!(
        "{BASE}\n[mismatch]\npelgrom_a_gm_m = 1e-8\nunit_area_m2 = 1e-17\n"
    ));
    assert_eq!(e.field(), Some("mismatch.unit_area_m2"), "{e}");
    // Not TOML at all.
    let e = reject("[node\ncapacitance_f = 1");
    assert!(
        e.to_string()
            .starts_with("hardware/bad.toml:1: unclosed table"),
        "{e}"
    );
    // Missing file.
    let e = load_profile(Path::new("hardware/does-not-exist.toml")).unwrap_err();
    assert!(matches!(e, ProfileError::Io { .. }));
    assert!(
        e.to_string()
            .starts_with("hardware/does-not-exist.toml: cannot read"),
        "{e}"
    );
}

#[test]
fn optional_fields_default_and_parse() {
    // Ideal-style VCCS profile without buffers, series or tolerances beyond node ones.
    let text = with(r#"style = "resistive""#, r#"style = "vccs""#)
        .replace("resistor_series = \"E96\"\n", "")
        .replace("resistor_tolerance = 0.01\n", "");
    let text = text[..text.find("[buffer]").unwrap()].to_string();
    let p = parse_profile("vccs-min", &text).unwrap();
    assert_eq!(p.name, "vccs-min");
    assert_eq!(p.description, "test");
    assert_eq!(p.resistor_series, None);
    assert_eq!(p.resistor_tolerance, 0.0);
    assert_eq!(p.transconductance_tolerance, 0.0);
    assert!(p.buffer.is_none() && p.power.is_none() && p.mismatch.is_none());
    // Lower-case series names and an ideal (infinite) GBW are accepted.
    let text = with(r#"resistor_series = "E96""#, r#"resistor_series = "e24""#)
        .replace("gbw_hz = 1e7", "gbw_hz = inf");
    let p = parse_profile("lower", &text).unwrap();
    assert_eq!(p.resistor_series, Some(ResistorSeries::E24));
    assert_eq!(p.buffer.unwrap().gbw, f64::INFINITY);
}
