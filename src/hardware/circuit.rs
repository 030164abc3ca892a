//! The circuit IR: a typed list of nodes and components, with values in SI units, built once
//! from a (quantized) model and a hardware profile. It is the single source of truth for the
//! netlist writer and the behavioral simulator; nothing else derives component values.
//!
//! Mapping (docs/circuit-mapping.md): unit i is node i with voltage v_i = v0·x_i and
//! capacitance C; G(v) = P0·V(v/v0) is realised by its gradient currents, so that
//! C dv_i/dt = −∂G/∂v_i + ξ_i reproduces the model with μ_phys = μ/t_unit = P0/(C v0²) and
//! k_B T_noise = C v0² ↔ the model's kT.
//!
//! A clamped unit (an input, e.g. a pixel) is not a capacitor node: an ideal voltage source
//! ([`Component::Drive`]) holds it at v0·x_input for the whole run, and only the coupling
//! elements whose output is an evolving node are built (input–input couplings are dropped).

use super::profile::{resistive_margin, CouplingStyle, Profile};
use crate::model::{Computer, Group};

/// Index of a node in [`Circuit::nodes`]; ground is not a node.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId(pub u32);

/// A terminal: a node or ground.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Terminal {
    /// Ground (0 V).
    Ground,
    /// A circuit node.
    Node(NodeId),
}

/// What a node is for.
#[derive(Clone, Debug, PartialEq)]
pub enum NodeRole {
    /// The node of model unit `unit` (v = v0·x).
    Unit { unit: usize },
    /// The output of a buffer copying `sign`·v of a unit node.
    Buffered { of: NodeId, sign: i8 },
    /// The midpoint between an RLC node's inductor and its conductance.
    Inductor { of: NodeId },
}

/// A circuit node.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    /// Netlist name (`v0`…, `h0`…, `vbp_h3`…).
    pub name: String,
    /// Its role.
    pub role: NodeRole,
}

/// A circuit element. Currents are defined as *leaving* the named node towards ground.
#[derive(Clone, Debug, PartialEq)]
pub enum Component {
    /// Capacitor from `node` to ground [F].
    Capacitor { node: NodeId, farads: f64 },
    /// Resistor between two terminals [Ω] (may be negative for a compensated ground branch).
    Resistor { a: Terminal, b: Terminal, ohms: f64 },
    /// Inductor between two terminals [H].
    Inductor {
        a: Terminal,
        b: Terminal,
        henries: f64,
    },
    /// Current gm·v(ctrl) leaving `out` [S].
    Vccs {
        out: NodeId,
        ctrl: NodeId,
        siemens: f64,
    },
    /// Voltage buffer: v(output) = gain·v(input) + offset [V].
    Buffer {
        input: NodeId,
        output: NodeId,
        gain: f64,
        offset: f64,
    },
    /// Cubic current k·v³ leaving `node` [A/V³].
    Cubic { node: NodeId, amps_per_volt3: f64 },
    /// Negative conductance −`siemens` from `node` to ground (current −siemens·v leaving the
    /// node), `siemens` > 0 its magnitude [S]: the negative-impedance converter (NIC) that
    /// compensates a resistive node whose coupling load exceeds its restoring conductance.
    NegativeConductance { node: NodeId, siemens: f64 },
    /// Constant current leaving `node` [A].
    CurrentSource { node: NodeId, amps: f64 },
    /// White noise current into `node` with two-sided PSD [A²/Hz].
    NoiseCurrent { node: NodeId, psd: f64 },
    /// Ideal voltage source holding the node of a clamped (input) unit at v0·x, where x is the
    /// unit's input value (per image, so not part of the circuit: the netlist takes it from the
    /// deck's initial state, the simulator from each row's starting state). Whatever current
    /// the couplings draw is supplied by the source.
    Drive { node: NodeId },
}

/// Constants of the model ↔ circuit mapping.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Mapping {
    /// Voltage of x = 1 [V].
    pub v0: f64,
    /// Seconds per model time unit.
    pub t_unit: f64,
    /// k_B T_noise = C v0², the physical energy of the model's kT [J].
    pub kt_joules: f64,
    /// Node capacitance [F].
    pub c: f64,
    /// Power scale P0 of G(v) = P0·V(v/v0) [W].
    pub p0: f64,
    /// The model's kT (model energy units).
    pub kt_model: f64,
}

impl Mapping {
    /// μ_phys·C = P0/v0² [S]: the conductance of one unit of coupling or on-site stiffness.
    pub fn g_unit(&self) -> f64 {
        self.p0 / (self.v0 * self.v0)
    }
}

/// A circuit and the constants it was built with.
#[derive(Clone, Debug, PartialEq)]
pub struct Circuit {
    /// Nodes; unit nodes first, in unit order.
    pub nodes: Vec<Node>,
    /// Elements.
    pub components: Vec<Component>,
    /// Mapping constants.
    pub mapping: Mapping,
    /// Resistive-coupling margin per unit: (2 J2 − Σ_j |J_ij|)/(2 J2) (+∞ for clamped units,
    /// which have no ground branch to compensate); None for VCCS couplings.
    pub margins: Option<Vec<f64>>,
    /// The model's unit groups (name and unit range), in unit order.
    pub groups: Vec<(String, std::ops::Range<usize>)>,
}

impl Circuit {
    /// Number of negative-conductance ground elements (NICs).
    pub fn nic_count(&self) -> usize {
        self.components
            .iter()
            .filter(|k| matches!(k, Component::NegativeConductance { .. }))
            .count()
    }

    /// Number of unit nodes (model units); they are the first nodes.
    pub fn n_units(&self) -> usize {
        self.groups.last().map_or(0, |(_, r)| r.end)
    }

    /// Per unit node, true when it is clamped (held by a [`Component::Drive`]).
    pub fn clamped_units(&self) -> Vec<bool> {
        let mut clamped = vec![false; self.n_units()];
        for comp in &self.components {
            if let Component::Drive { node } = *comp {
                if let Some(c) = clamped.get_mut(node.0 as usize) {
                    *c = true;
                }
            }
        }
        clamped
    }
}

/// Why a circuit cannot be built.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum CircuitError {
    /// Resistive couplings load a node more than its ground conductance can compensate.
    #[error("resistive couplings of unit {name} are too strong: Σ|J| = {sum:.4} exceeds 2·J2 = {limit:.4} (margin {margin:.3}); {count} unit(s) affected — use VCCS couplings or scale J down")]
    Overloaded {
        name: String,
        sum: f64,
        limit: f64,
        margin: f64,
        count: usize,
    },
    /// A unit whose compensation ratio exceeds what the profile's NIC tolerances allow (worded
    /// like [`CircuitError::Overloaded`], with the ratio and the bound).
    #[error("resistive couplings of unit {name} are too strong: Σ|J| = {sum:.4} exceeds 2·J2·max_compensation = {limit:.4}, a compensation ratio Σ|J|/(2·J2) = {ratio:.4} above the profile's bound {bound:.4} (margin {margin:.3}); {count} unit(s) affected — train with --hardware on this profile (docs/codesign.md)")]
    OverCompensated {
        name: String,
        sum: f64,
        limit: f64,
        ratio: f64,
        bound: f64,
        margin: f64,
        count: usize,
    },
    /// A node name that is not a SPICE identifier.
    #[error(
        "node name \"{0}\" is not a SPICE identifier (letters, digits, _; starting with a letter)"
    )]
    NodeName(String),
    /// Two node names that ngspice would treat as one.
    #[error("node names \"{first}\" and \"{second}\" collide (ngspice ignores case): rename a group in model.groups")]
    NodeClash { first: String, second: String },
    /// A profile whose signal scale v0 or noise power P0 no circuit can realise.
    #[error("profile {profile} gives {why}")]
    Scale { profile: String, why: String },
    /// A circuit the behavioral simulator cannot compile (a structure it does not model).
    #[error("behavioral simulator: {0}")]
    Unsupported(String),
    /// A node that relaxes too fast for the integration step.
    #[error("node {node}: relaxation rate {rate:.3e} per model time unit is too fast for dt = {dt} (a·dt must stay below {limit}); the circuit is stiff or unstable")]
    Stiff {
        node: String,
        rate: f64,
        dt: f64,
        limit: f64,
    },
    /// A circuit error within a tolerance-study task (the task names the chip and condition).
    #[error("{source} (task {task})")]
    InTask {
        task: String,
        source: Box<CircuitError>,
    },
}

/// Range of the signal scale v0 (the voltage of x = 1) that a circuit can realise [V]: below
/// 1 nV no amplifier resolves it, above 1 kV no integrated or discrete part holds it.
pub const V0_RANGE: (f64, f64) = (1e-9, 1e3);

/// The node-name prefix of every group, unique by construction (compared case-insensitively,
/// as ngspice does) and a valid SPICE identifier start: the group name's first letter (`v`/`h`
/// for visible/hidden, `i`/`h`/`o` for a classifier) when no earlier group took it, else the
/// group name in identifier characters followed by `_` (`hub_0`…; a name that does not start
/// with a letter gets a leading `u`), with a counter before the `_` if even that is taken.
/// A single-letter prefix is followed by digits only and a longer one ends in `_`, so distinct
/// prefixes give distinct unit node names.
pub fn node_prefixes(groups: &[Group]) -> Vec<String> {
    let mut taken: Vec<String> = Vec::with_capacity(groups.len());
    for g in groups {
        let letter = g
            .name
            .chars()
            .find(|c| c.is_ascii_alphabetic())
            .unwrap_or('u')
            .to_string();
        let free = |p: &str, taken: &[String]| !taken.iter().any(|t| t.eq_ignore_ascii_case(p));
        if free(&letter, &taken) {
            taken.push(letter);
            continue;
        }
        let mut base: String = g
            .name
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        if !base.starts_with(|c: char| c.is_ascii_alphabetic()) {
            base.insert(0, 'u');
        }
        let mut prefix = format!("{base}_");
        let mut k = 2;
        while !free(&prefix, &taken) {
            prefix = format!("{base}{k}_");
            k += 1;
        }
        taken.push(prefix);
    }
    taken
}

/// Node names of the units: the group's prefix from [`node_prefixes`] and the index in the
/// group (`v0`…`v783` for visible units, `h0`…`h511` for hidden ones).
pub fn unit_names(computer: &Computer<f32>) -> Vec<String> {
    let groups = computer.topology.groups();
    let mut names = Vec::with_capacity(computer.n());
    for (g, prefix) in groups.iter().zip(node_prefixes(groups)) {
        names.extend((0..g.len()).map(|k| format!("{prefix}{k}")));
    }
    names
}

/// Refuse a circuit whose node names are not unique SPICE identifiers (compared
/// case-insensitively): ngspice would silently join such nodes into one.
fn check_node_names(nodes: &[Node]) -> Result<(), CircuitError> {
    let mut seen = std::collections::HashMap::with_capacity(nodes.len());
    for n in nodes {
        let ok = n.name.starts_with(|c: char| c.is_ascii_alphabetic())
            && n.name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !ok {
            return Err(CircuitError::NodeName(n.name.escape_debug().to_string()));
        }
        if let Some(first) = seen.insert(n.name.to_ascii_lowercase(), &n.name) {
            return Err(CircuitError::NodeClash {
                first: first.to_string(),
                second: n.name.clone(),
            });
        }
    }
    Ok(())
}

/// The ground conductance of every unit of a resistive circuit [S], written into `ground`
/// (which holds 2·J2·g_u on entry), and the margins (2·J2 − Σ_j |J_ij|)/(2·J2).
///
/// Without `[nic]` a unit with Σ_j |J_ij| > 2·J2 (margin < 0) is refused
/// ([`CircuitError::Overloaded`]) and the ground resistor carries (2·J2 − Σ_j |J_ij|)·g_u.
/// With `[nic]` (J2 > 0) a unit with compensation ratio c = Σ_j |J_ij| / (2·J2) above
/// [`Profile::compensation_bound`] is refused ([`CircuitError::OverCompensated`]), and a unit
/// with c > 1 gets a NIC of conductance −(Σ_j 1/R_ij − 2·J2·g_u), computed from the coupling
/// resistors R_ij as built (snapped to the profile's series), so that the node's restoring
/// conductance Σ_j 1/R_ij + G_NIC is exactly 2·J2·g_u on the nominal chip.
fn resistive_ground(
    computer: &Computer<f32>,
    profile: &Profile,
    clamped: &[bool],
    names: &[String],
    ground: &mut [f64],
) -> Result<Vec<f64>, CircuitError> {
    let ph = computer.physics;
    let gu = profile.unit_conductance(ph.mu);
    let snap = |ohms: f64| profile.resistor_series.map_or(ohms, |s| s.snap(ohms));
    let j = &computer.params.j;
    let n = computer.n();
    let m: Vec<f64> = (0..n)
        .map(|i| {
            if clamped[i] {
                return f64::INFINITY;
            }
            let row = j.row(i);
            ground[i] -= row.iter().map(|v| f64::from(v.abs())).sum::<f64>() * gu;
            resistive_margin(ph.j2, row.iter().map(|&v| f64::from(v)))
        })
        .collect();
    let worst = |bad: &[usize]| bad.iter().copied().min_by(|&a, &b| m[a].total_cmp(&m[b]));
    if profile.nic.is_none() {
        let bad: Vec<usize> = (0..n).filter(|&i| m[i] < 0.0).collect();
        if let Some(w) = worst(&bad) {
            return Err(CircuitError::Overloaded {
                name: names[w].clone(),
                sum: 2.0 * ph.j2 * (1.0 - m[w]),
                limit: 2.0 * ph.j2,
                margin: m[w],
                count: bad.len(),
            });
        }
        return Ok(m);
    }
    if ph.j2 > 0.0 {
        let bound = profile.compensation_bound().unwrap_or(f64::INFINITY);
        // c = 1 − margin.
        let bad: Vec<usize> = (0..n).filter(|&i| 1.0 - m[i] > bound).collect();
        if let Some(w) = worst(&bad) {
            return Err(CircuitError::OverCompensated {
                name: names[w].clone(),
                sum: 2.0 * ph.j2 * (1.0 - m[w]),
                limit: 2.0 * ph.j2 * bound,
                ratio: 1.0 - m[w],
                bound,
                margin: m[w],
                count: bad.len(),
            });
        }
    }
    let compensated: Vec<usize> = (0..n).filter(|&i| !clamped[i] && ground[i] < 0.0).collect();
    for i in compensated {
        let load: f64 = j
            .row(i)
            .iter()
            .enumerate()
            .filter(|&(k, &v)| k != i && v != 0.0)
            .map(|(_, &v)| 1.0 / snap(1.0 / (f64::from(v.abs()) * gu)))
            .sum();
        ground[i] = profile.ground_conductance(ph.j2, ph.mu) - load;
    }
    Ok(m)
}

/// Build the circuit of `computer` (parameters already quantized) on `profile`.
pub fn build(computer: &Computer<f32>, profile: &Profile) -> Result<Circuit, CircuitError> {
    let ph = computer.physics;
    let c = profile.capacitance;
    let v0 = profile.v0();
    let p0 = profile.p0(ph.mu);
    let mapping = Mapping {
        v0,
        t_unit: profile.time_unit,
        kt_joules: profile.kt_joules(),
        c,
        p0,
        kt_model: ph.kt,
    };
    if !(v0.is_finite() && v0 > 0.0 && p0.is_finite() && p0 > 0.0) {
        return Err(CircuitError::Scale {
            profile: profile.name.clone(),
            why: format!("v0 = {v0} V and P0 = {p0} W"),
        });
    }
    if !(V0_RANGE.0..=V0_RANGE.1).contains(&v0) {
        return Err(CircuitError::Scale {
            profile: profile.name.clone(),
            why: format!(
                "v0 = √(kT/C) = {v0:.3e} V (capacitance {c:.3e} F): outside {:.0e}..{:.0e} V, no circuit can hold that signal",
                V0_RANGE.0, V0_RANGE.1
            ),
        });
    }
    let gu = profile.unit_conductance(ph.mu);
    // Discrete resistors take the nearest value of the profile's series (E24/E96/E192).
    let snap = |ohms: f64| profile.resistor_series.map_or(ohms, |s| s.snap(ohms));
    let n = computer.n();
    let names = unit_names(computer);
    let mut nodes: Vec<Node> = names
        .iter()
        .enumerate()
        .map(|(unit, name)| Node {
            name: name.clone(),
            role: NodeRole::Unit { unit },
        })
        .collect();
    let id = |i: usize| NodeId(i as u32);
    let j = &computer.params.j;
    let mut clamped = vec![false; n];
    for g in computer.topology.groups().iter().filter(|g| g.clamped) {
        clamped[g.range.clone()].fill(true);
    }
    let mut components = Vec::new();

    // Ground conductance per unit, reduced by the loading of resistive couplings.
    let mut ground = vec![profile.ground_conductance(ph.j2, ph.mu); n];
    let margins = match profile.coupling {
        CouplingStyle::Vccs => None,
        CouplingStyle::Resistive => {
            let m = resistive_ground(computer, profile, &clamped, &names, &mut ground)?;
            Some(m)
        }
    };
    let noise_psd = profile.noise_psd(ph.kt, ph.mu);
    for i in 0..n {
        let node = id(i);
        if clamped[i] {
            components.push(Component::Drive { node });
            continue;
        }
        components.push(Component::Capacitor { node, farads: c });
        if ground[i] < 0.0 && profile.nic.is_some() {
            components.push(Component::NegativeConductance {
                node,
                siemens: -ground[i],
            });
        } else if ground[i] != 0.0 {
            let ohms = snap(1.0 / ground[i]);
            match profile.inductance {
                Some(l) => {
                    let mid = NodeId(nodes.len() as u32);
                    nodes.push(Node {
                        name: format!("m_{}", names[i]),
                        role: NodeRole::Inductor { of: node },
                    });
                    components.push(Component::Inductor {
                        a: Terminal::Node(node),
                        b: Terminal::Node(mid),
                        henries: l,
                    });
                    components.push(Component::Resistor {
                        a: Terminal::Node(mid),
                        b: Terminal::Ground,
                        ohms,
                    });
                }
                None => components.push(Component::Resistor {
                    a: Terminal::Node(node),
                    b: Terminal::Ground,
                    ohms,
                }),
            }
        }
        if ph.j4 != 0.0 {
            components.push(Component::Cubic {
                node,
                amps_per_volt3: profile.cubic_coefficient(ph.j4, ph.mu),
            });
        }
        let b = f64::from(computer.params.b[i]);
        if b != 0.0 {
            components.push(Component::CurrentSource {
                node,
                amps: profile.bias_current(b, ph.mu),
            });
        }
        components.push(Component::NoiseCurrent {
            node,
            psd: noise_psd,
        });
    }

    // Couplings, one element per direction so that each node's current is local; a clamped
    // node's current is supplied by its drive, so only directions into evolving nodes are built.
    let mut buffers: std::collections::HashMap<(usize, i8), NodeId> = Default::default();
    for i in (0..n).filter(|&i| !clamped[i]) {
        for (k, &jv) in j.row(i).iter().enumerate() {
            if jv == 0.0 || k == i {
                continue;
            }
            let jv = f64::from(jv);
            match profile.coupling {
                CouplingStyle::Vccs => components.push(Component::Vccs {
                    out: id(i),
                    ctrl: id(k),
                    siemens: profile.coupling_conductance(jv, ph.mu),
                }),
                CouplingStyle::Resistive => {
                    // Current (v_i − u)/R with u = −sign(J)·v_k gives |J|gu·v_i + J gu·v_k.
                    let sign: i8 = if jv > 0.0 { -1 } else { 1 };
                    let buf = *buffers.entry((k, sign)).or_insert_with(|| {
                        let out = NodeId(nodes.len() as u32);
                        nodes.push(Node {
                            name: format!("vb{}_{}", if sign > 0 { "p" } else { "n" }, names[k]),
                            role: NodeRole::Buffered { of: id(k), sign },
                        });
                        components.push(Component::Buffer {
                            input: id(k),
                            output: out,
                            gain: f64::from(sign),
                            offset: 0.0,
                        });
                        out
                    });
                    components.push(Component::Resistor {
                        a: Terminal::Node(id(i)),
                        b: Terminal::Node(buf),
                        ohms: snap(1.0 / (jv.abs() * gu)),
                    });
                }
            }
        }
    }
    check_node_names(&nodes)?;
    let groups = computer
        .topology
        .groups()
        .iter()
        .map(|g| (g.name.clone(), g.range.clone()))
        .collect();
    Ok(Circuit {
        nodes,
        components,
        mapping,
        margins,
        groups,
    })
}
