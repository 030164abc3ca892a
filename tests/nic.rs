//! The negative-conductance ground element (NIC) of resistive circuits: the node's restoring
//! conductance it leaves, the compensation bound it is limited by, its perturbation and power.

mod common;

use std::path::Path;
use thermocad::energy::circuit::static_power;
use thermocad::hardware::circuit::{build, Circuit, CircuitError, Component, NodeId, Terminal};
use thermocad::hardware::perturb::{perturb, Nonidealities};
use thermocad::hardware::profile::{parse_profile, Profile};
use thermocad::model::{Computer, Connectivity, Physics};

const NIC: &str = "\n[nic]\ntolerance = 0.012\nquiescent_current_a = 1.5e-3\nsupply_v = 10.0\n";

fn discrete_rc_text() -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(root.join("hardware/discrete-rc.toml")).unwrap()
}

/// hardware/discrete-rc.toml without `[nic]` and `max_compensation`, plus `extra` at the end
/// of `[coupling]` and `tail` at the end of the file.
fn discrete_rc(extra: &str, tail: &str) -> String {
    let text = discrete_rc_text();
    let end = text.find("\n[nic]").unwrap_or(text.len());
    let text: String = text[..end]
        .lines()
        .filter(|l| !l.starts_with("max_compensation"))
        .map(|l| format!("{l}\n"))
        .collect();
    format!(
        "{}{tail}",
        text.replacen("[coupling]\n", &format!("[coupling]\n{extra}"), 1)
    )
}

/// The discrete board without NICs (today's passive rule).
fn passive() -> Profile {
    parse_profile("passive", &discrete_rc("", "")).unwrap()
}

/// The discrete board with `[nic]` and, if given, `coupling.max_compensation = c`.
fn with_nic(c: Option<f64>) -> Profile {
    let extra = c.map_or(String::new(), |c| format!("max_compensation = {c}\n"));
    let p = parse_profile("nic", &discrete_rc(&extra, NIC)).unwrap();
    assert_eq!(p.max_compensation, c);
    p
}

/// 6 visible + 6 hidden units, couplings of rms `scale`: Σ_j |J_ij| ≈ 0.8·6·scale per unit.
fn computer(scale: f64) -> Computer<f32> {
    let vh = Connectivity::VisibleHiddenHiddenHidden;
    common::computer(6, 6, Physics::PAPER, vh, scale, 21)
}

/// Compensation ratio Σ_j |J_ij| / (2·J2) of every unit.
fn ratios(c: &Computer<f32>) -> Vec<f64> {
    (0..c.n())
        .map(|i| {
            let s: f64 = c.params.j.row(i).iter().map(|v| f64::from(v.abs())).sum();
            s / (2.0 * c.physics.j2)
        })
        .collect()
}

/// Total conductance every resistor, negative conductance and buffer-side resistor puts on
/// each unit node's diagonal [S].
fn diagonal(circuit: &Circuit) -> Vec<f64> {
    let mut g = vec![0.0; circuit.n_units()];
    let mut add = |t: Terminal, y: f64| {
        if let Terminal::Node(NodeId(k)) = t {
            if let Some(v) = g.get_mut(k as usize) {
                *v += y;
            }
        }
    };
    for comp in &circuit.components {
        match *comp {
            Component::Resistor { a, b, ohms } => {
                add(a, 1.0 / ohms);
                add(b, 1.0 / ohms);
            }
            Component::NegativeConductance { node, siemens } => add(Terminal::Node(node), -siemens),
            _ => {}
        }
    }
    g
}

fn nics(circuit: &Circuit) -> Vec<(usize, f64)> {
    circuit
        .components
        .iter()
        .filter_map(|c| match *c {
            Component::NegativeConductance { node, siemens } => Some((node.0 as usize, siemens)),
            _ => None,
        })
        .collect()
}

/// With a NIC, a node's restoring conductance Σ_j 1/R_ij + G_NIC is 2·J2·g_u exactly on the
/// nominal chip, although the coupling resistors are snapped to E96: the NIC compensates the
/// snapped values. Units with c ≤ 1 keep their (snapped) positive ground resistor.
#[test]
fn nic_leaves_the_restoring_conductance_2_j2_gu() {
    let c = computer(0.5);
    let r = ratios(&c);
    let over = r.iter().filter(|&&x| x > 1.0).count();
    assert!(over >= 6, "the test needs overloaded units: {r:?}");
    let p = with_nic(Some(8.0));
    let circuit = build(&c, &p).unwrap();
    let gu = p.unit_conductance(c.physics.mu);
    let target = 2.0 * c.physics.j2 * gu;
    let g = diagonal(&circuit);
    let nic = nics(&circuit);
    assert_eq!(nic.len(), over, "one NIC per unit with c > 1");
    for &(i, siemens) in &nic {
        assert!(r[i] > 1.0, "NIC on unit {i} with c = {}", r[i]);
        // The NIC carries (c − 1)·2·J2·g_u up to the E96 snapping of the couplings (≤ 1.5 %).
        let ideal = (r[i] - 1.0) * target;
        assert!(
            (siemens - ideal).abs() <= 0.016 * r[i] * target,
            "unit {i}: {siemens} vs {ideal}"
        );
        assert!(
            ((g[i] - target) / target).abs() < 1e-12,
            "unit {i}: restoring conductance {} S, want {target} S",
            g[i]
        );
    }
    // A passive node's ground resistor is snapped: within half an E96 step of its value.
    for i in (0..c.n()).filter(|&i| r[i] < 1.0) {
        assert!(
            ((g[i] - target) / target).abs() < 0.016 * (1.0 + r[i]),
            "unit {i}"
        );
    }
    // The behavioral simulator sees the same node equation (its stiffness check passes and
    // a constant-state relaxation rate would be 2·μ·J2): compile succeeds at the model's dt.
    thermocad::hardware::behavioral::Behavioral::<f64>::compile(&circuit, c.physics.dt).unwrap();
}

/// Without `[nic]` the old refusal stays, word for word; with it, units beyond the bound are
/// refused by name with their ratio and the bound, and the bound is training's load bound.
#[test]
fn compensation_beyond_the_bound_or_without_nic_is_refused() {
    let c = computer(0.5);
    let r = ratios(&c);
    let (worst, &cmax) = r
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(b.1))
        .unwrap();
    let over = r.iter().filter(|&&x| x > 1.0).count();
    let names = thermocad::hardware::circuit::unit_names(&c);

    let e = build(&c, &passive()).unwrap_err();
    match &e {
        CircuitError::Overloaded { name, count, .. } => {
            assert_eq!((name, *count), (&names[worst], over))
        }
        other => panic!("{other}"),
    }
    let msg = e.to_string();
    assert!(
        msg.starts_with(&format!(
            "resistive couplings of unit {} are too strong: Σ|J| = {:.4} exceeds 2·J2 = 2.0000",
            names[worst],
            2.0 * cmax
        )),
        "{msg}"
    );

    let bound = 0.5 * (1.0 + cmax);
    let beyond = r.iter().filter(|&&x| x > bound).count();
    let e = build(&c, &with_nic(Some(bound))).unwrap_err();
    let margin = (2.0 - 2.0 * cmax) / 2.0;
    assert_eq!(
        e,
        CircuitError::OverCompensated {
            name: names[worst].clone(),
            sum: 2.0 * (1.0 - margin),
            limit: 2.0 * bound,
            ratio: 1.0 - margin,
            bound,
            margin,
            count: beyond,
        }
    );
    let msg = e.to_string();
    assert!(
        msg.starts_with(&format!(
            "resistive couplings of unit {} are too strong: Σ|J| = {:.4} exceeds 2·J2·max_compensation = {:.4}, a compensation ratio Σ|J|/(2·J2) = {cmax:.4} above the profile's bound {bound:.4} (margin {margin:.3}); {beyond} unit(s) affected",
            names[worst],
            2.0 * cmax,
            2.0 * bound
        )),
        "{msg}"
    );
    // At the bound itself the unit is built.
    assert!(build(&c, &with_nic(Some(cmax + 1e-9))).is_ok());

    // Training's load bound is the same number: L = 2·J2·c.
    let limits = with_nic(Some(bound)).constraints(&c.physics).unwrap();
    assert_eq!(limits.max_load(), Some(2.0 * c.physics.j2 * bound));
    // Without the field, [nic] gives the worst-case stability bound (1 + δ)/(ε + δ).
    let p = with_nic(None);
    let b = p.compensation_bound().unwrap();
    assert!((b - 1.012 / (0.01 + 0.012)).abs() < 1e-12, "{b}");
    assert!((b - 46.0).abs() < 1e-9, "{b}");
}

/// A NIC draws from its own stream (kind 7, reserved before NICs existed): every other
/// component of a chip is drawn bit for bit as without NICs, and a chip of a profile
/// without `[nic]` is the same draw whether or not the profile offers it.
#[test]
fn nic_draws_leave_every_other_component_as_before() {
    let mut nd = Nonidealities::from_profile(&with_nic(Some(8.0)));
    assert_eq!(nd.nic_tolerance, 0.012);
    nd.temperature_offset = 10.0;
    nd.fault_rate = 0.05;
    // Passive model (c < 1 everywhere): [nic] changes nothing, not even the draws.
    let small = computer(0.1);
    assert!(ratios(&small).iter().all(|&x| x < 1.0));
    let a = perturb(&build(&small, &passive()).unwrap(), &nd, 5, 3);
    let b = perturb(&build(&small, &with_nic(Some(8.0))).unwrap(), &nd, 5, 3);
    assert_eq!(a, b);

    // Overloaded model: removing the NICs before or after the draw gives the same chip.
    let big = computer(0.5);
    let built = build(&big, &with_nic(Some(8.0))).unwrap();
    let strip = |c: &Circuit| {
        let mut c = c.clone();
        c.components
            .retain(|k| !matches!(k, Component::NegativeConductance { .. }));
        c
    };
    let chip = perturb(&built, &nd, 5, 3);
    assert_eq!(strip(&chip), perturb(&strip(&built), &nd, 5, 3));
    // The NICs themselves deviate within ±δ (and the resistor drift of 10 K · 25 ppm/K).
    let (nominal, drawn) = (nics(&built), nics(&chip));
    let mut moved = 0;
    for ((_, g0), (_, g)) in nominal.iter().zip(&drawn) {
        let rel = g / g0 * (1.0 + 25e-6 * 10.0) - 1.0;
        assert!(rel.abs() <= 0.012 + 1e-12, "{rel}");
        moved += usize::from(rel.abs() > 1e-6);
    }
    assert_eq!(moved, nominal.len());
}

/// Each NIC's op-amp draws I_q·V_supply of static power, as a buffer does.
#[test]
fn nic_static_power_is_counted() {
    let c = computer(0.5);
    let p = with_nic(Some(8.0));
    let circuit = build(&c, &p).unwrap();
    let s = static_power(&circuit, &p);
    let n = nics(&circuit).len();
    assert_eq!(s.nic_count, n);
    assert!((s.nics - n as f64 * 1.5e-3 * 10.0).abs() < 1e-15);
    let passive = build(&computer(0.1), &passive()).unwrap();
    let s = static_power(&passive, &self::passive());
    assert_eq!((s.nic_count, s.nics), (0, 0.0));
}

/// `[nic]` fields are validated with file:line: field errors; a gm-C profile cannot have one.
#[test]
fn bad_nic_sections_name_the_field() {
    let text = discrete_rc("", NIC);
    for (from, to, field) in [
        ("tolerance = 0.012", "tolerance = 1.5", "nic.tolerance"),
        ("supply_v = 10.0\n", "supply_v = 0.0\n", "nic.supply_v"),
        (
            "quiescent_current_a = 1.5e-3\nsupply",
            "quiescent_current_a = -1.0\nsupply",
            "nic.quiescent_current_a",
        ),
    ] {
        let at = text.rfind(from).unwrap();
        let bad = format!("{}{to}{}", &text[..at], &text[at + from.len()..]);
        let e = parse_profile("z", &bad).unwrap_err().to_string();
        assert!(e.starts_with("z:") && e.contains(field), "{e}");
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let gm = std::fs::read_to_string(root.join("hardware/gm-c.toml")).unwrap();
    let e = parse_profile("g", &format!("{gm}{NIC}"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("nic") && e.contains("resistive"), "{e}");
}
