//! The circuit's own cost, from the circuit IR (`hardware::circuit`) and its profile.
//!
//! - Conductive dissipation, measured on node-voltage snapshots:
//!   P(t) = Σ_R (v_a − v_b)²/R + Σ_cubic k v⁴ [W] (resistors and cubic elements; a resistor
//!   to ground has v_b = 0),
//!   integrated over the sample's duration. The snapshots are an array [rows, nodes] per
//!   time point, from any simulator of the same IR; [`NodeMap`] derives them from the ideal
//!   sampler's unit states (v = v0·x on unit nodes, gain·v(input) on buffer outputs, the
//!   unit's voltage on an inductor midpoint — the RC limit, exact to O(ε)); it maps the ideal
//!   circuit, so component perturbations (e.g. buffer offsets) are left to the simulator that
//!   produces the snapshots.
//! - Noise sources: a white current of two-sided PSD S into a node of capacitance C delivers
//!   S/(2C) [W] (Itô: d(½Cv²) = v·ξ dt + S/(2C) dt).
//! - Static power of active elements: op-amp buffers and the op-amps of negative-conductance
//!   elements (NICs, `[nic]`) draw I_q·V_supply each (a NIC is not counted as a conductive
//!   dissipator: the power −|G|·v² it returns to its node comes from its supply and is
//!   dissipated in the coupling resistors, which the conductive term counts); a
//!   transconductor of transconductance gm draws a tail current I = 2|gm|/(gm/I_D) (or
//!   I_bias·|gm|/g_u without gm/I_D) from V_supply — in a VCCS-style circuit with a `[power]`
//!   section every conductance, ground branches included, is such a transconductor; bias
//!   current sources draw |I_b|·V_supply.
//!
//! Energies per sample multiply powers by the sample's duration t_f·t_unit [s].

use super::{Budget, Evidence, Part};
use crate::hardware::circuit::{Circuit, Component, NodeId, NodeRole, Terminal};
use crate::hardware::profile::{CouplingStyle, Profile};
use crate::linalg::Real;
use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis, Zip};
use rayon::prelude::*;
use std::collections::HashMap;

/// Every node's voltage as a multiple of one unit's state: v_node = volts_per_x · x_unit.
#[derive(Clone, Debug)]
pub struct NodeMap {
    unit: Vec<usize>,
    volts_per_x: Vec<f64>,
}

impl NodeMap {
    /// The map of `circuit`'s nodes.
    pub fn new(circuit: &Circuit) -> Self {
        let buffers: HashMap<NodeId, (NodeId, f64)> = circuit
            .components
            .iter()
            .filter_map(|c| match *c {
                Component::Buffer {
                    input,
                    output,
                    gain,
                    ..
                } => Some((output, (input, gain))),
                _ => None,
            })
            .collect();
        let v0 = circuit.mapping.v0;
        let resolve = |mut id: NodeId| {
            let mut factor = v0;
            loop {
                match &circuit.nodes[id.0 as usize].role {
                    NodeRole::Unit { unit } => return (*unit, factor),
                    NodeRole::Buffered { of, sign } => {
                        let (input, gain) =
                            buffers.get(&id).copied().unwrap_or((*of, f64::from(*sign)));
                        factor *= gain;
                        id = input;
                    }
                    NodeRole::Inductor { of } => id = *of,
                }
            }
        };
        let (unit, volts_per_x) = (0..circuit.nodes.len())
            .map(|i| resolve(NodeId(i as u32)))
            .unzip();
        NodeMap { unit, volts_per_x }
    }

    /// Number of nodes.
    pub fn nodes(&self) -> usize {
        self.unit.len()
    }

    /// Node voltages [rows, nodes] (V) of unit states `x` [rows, N].
    pub fn voltages<R: Real>(&self, x: ArrayView2<'_, R>) -> Array2<f64> {
        let mut v = Array2::zeros((x.nrows(), self.nodes()));
        Zip::from(v.rows_mut())
            .and(x.rows())
            .par_for_each(|mut v, x| {
                for ((v, &u), &f) in v.iter_mut().zip(&self.unit).zip(&self.volts_per_x) {
                    *v = f * x[u].f64();
                }
            });
        v
    }
}

/// Accumulated dissipation of a batch of trajectories: conductive (resistors and cubic
/// elements) and the net power absorbed by the transconductor couplings (VCCS).
///
/// An element that sinks current I from a node at voltage v absorbs P = v·I: a resistor
/// (v_a − v_b)²/R, a cubic element k v⁴, a VCCS whose current gm·v_ctrl leaves `out`
/// gm·v_ctrl·v_out (of either sign: a VCCS returns power from its supply when it is
/// negative). With the bias current sources' delivered power −v·I_b and the noise sources,
/// the node energy ½Cv² obeys supplied = conductive + VCCS + d(½Σ C v²)/dt
/// (tests/energy.rs, `vccs_coupling_power_closes_the_energy_balance`).
#[derive(Clone, Debug)]
pub struct Dissipation {
    resistors: Vec<(Option<usize>, Option<usize>, f64)>,
    cubics: Vec<(usize, f64)>,
    vccs: Vec<(usize, usize, f64)>,
    sources: Vec<(usize, f64)>,
    /// Conductive energy dissipated so far by each row [J].
    pub joules: Array1<f64>,
    /// Energy absorbed so far by the VCCS couplings of each row [J] (net, may be negative).
    pub coupling_joules: Array1<f64>,
}

fn node_of(t: Terminal) -> Option<usize> {
    match t {
        Terminal::Ground => None,
        Terminal::Node(n) => Some(n.0 as usize),
    }
}

impl Dissipation {
    /// An accumulator for `rows` trajectories of `circuit`.
    pub fn new(circuit: &Circuit, rows: usize) -> Self {
        let mut d = Dissipation {
            resistors: Vec::new(),
            cubics: Vec::new(),
            vccs: Vec::new(),
            sources: Vec::new(),
            joules: Array1::zeros(rows),
            coupling_joules: Array1::zeros(rows),
        };
        for c in &circuit.components {
            match *c {
                Component::Resistor { a, b, ohms } => {
                    d.resistors.push((node_of(a), node_of(b), 1.0 / ohms))
                }
                Component::Cubic {
                    node,
                    amps_per_volt3,
                } => d.cubics.push((node.0 as usize, amps_per_volt3)),
                Component::Vccs { out, ctrl, siemens } => {
                    d.vccs.push((out.0 as usize, ctrl.0 as usize, siemens))
                }
                Component::CurrentSource { node, amps } => d.sources.push((node.0 as usize, amps)),
                _ => {}
            }
        }
        d
    }

    /// True when the circuit has VCCS couplings.
    pub fn has_vccs(&self) -> bool {
        !self.vccs.is_empty()
    }

    /// Instantaneous conductive power of one snapshot of node voltages [W].
    pub fn power(&self, v: ArrayView1<'_, f64>) -> f64 {
        let at = |n: Option<usize>| n.map_or(0.0, |i| v[i]);
        let r: f64 = self
            .resistors
            .iter()
            .map(|&(a, b, g)| {
                let d = at(a) - at(b);
                g * d * d
            })
            .sum();
        let c: f64 = self.cubics.iter().map(|&(n, k)| k * v[n].powi(4)).sum();
        r + c
    }

    /// Net power absorbed by the VCCS couplings, Σ gm·v_ctrl·v_out [W].
    pub fn coupling_power(&self, v: ArrayView1<'_, f64>) -> f64 {
        self.vccs.iter().map(|&(o, c, g)| g * v[c] * v[o]).sum()
    }

    /// Power the bias current sources deliver to their nodes, Σ −v·I_b [W].
    pub fn supplied_power(&self, v: ArrayView1<'_, f64>) -> f64 {
        self.sources.iter().map(|&(n, i)| -v[n] * i).sum()
    }

    /// Add snapshots `v` [rows, nodes], each held for `seconds`.
    pub fn add(&mut self, v: ArrayView2<'_, f64>, seconds: f64) {
        let this = &*self;
        let p: Vec<(f64, f64)> = v
            .axis_iter(Axis(0))
            .into_par_iter()
            .map(|row| (this.power(row), this.coupling_power(row)))
            .collect();
        for ((j, c), (p, pc)) in self
            .joules
            .iter_mut()
            .zip(self.coupling_joules.iter_mut())
            .zip(p)
        {
            *j += p * seconds;
            *c += pc * seconds;
        }
    }
}

/// Powers drawn by the circuit's sources and active elements [W].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StaticPower {
    /// Noise current sources, Σ S/(2C): the power they deliver to the nodes.
    pub noise: f64,
    /// Number of noise current sources (one generator each).
    pub noise_count: usize,
    /// Op-amp buffers, count × I_q × V_supply.
    pub buffers: f64,
    /// Number of buffers.
    pub buffer_count: usize,
    /// Negative-conductance elements (NIC op-amps), count × I_q × V_supply.
    pub nics: f64,
    /// Number of NICs.
    pub nic_count: usize,
    /// Transconductors, Σ I_tail × V_supply.
    pub transconductors: f64,
    /// Number of transconductors.
    pub transconductor_count: usize,
    /// Bias current sources, Σ |I_b| × V_supply.
    pub bias_sources: f64,
}

/// The powers of `circuit` built on `profile`.
pub fn static_power(circuit: &Circuit, profile: &Profile) -> StaticPower {
    let m = &circuit.mapping;
    let supply = profile
        .power
        .map(|p| p.supply)
        .or(profile.buffer.map(|b| b.supply));
    let tail = |gm: f64| {
        profile.power.map_or(0.0, |p| match p.gm_over_id {
            Some(r) => 2.0 * gm.abs() / r,
            None => p.bias_current * gm.abs() / m.g_unit(),
        })
    };
    let otas_everywhere = profile.power.is_some() && profile.coupling == CouplingStyle::Vccs;
    let mut s = StaticPower {
        noise: 0.0,
        noise_count: 0,
        buffers: 0.0,
        buffer_count: 0,
        nics: 0.0,
        nic_count: 0,
        transconductors: 0.0,
        transconductor_count: 0,
        bias_sources: 0.0,
    };
    let mut tail_current = 0.0;
    let mut bias_current = 0.0;
    for c in &circuit.components {
        match *c {
            Component::NoiseCurrent { psd, .. } => {
                s.noise += psd / (2.0 * m.c);
                s.noise_count += 1;
            }
            Component::Buffer { .. } => s.buffer_count += 1,
            Component::NegativeConductance { .. } => s.nic_count += 1,
            Component::Vccs { siemens, .. } if profile.power.is_some() => {
                tail_current += tail(siemens);
                s.transconductor_count += 1;
            }
            Component::Resistor { ohms, .. } if otas_everywhere => {
                tail_current += tail(1.0 / ohms);
                s.transconductor_count += 1;
            }
            Component::CurrentSource { amps, .. } => bias_current += amps.abs(),
            _ => {}
        }
    }
    if let Some(b) = profile.buffer {
        s.buffers = s.buffer_count as f64 * b.quiescent_current * b.supply;
    }
    if let Some(nic) = profile.nic {
        s.nics = s.nic_count as f64 * nic.quiescent_current * nic.supply;
    }
    if let Some(v) = supply {
        s.transconductors = tail_current * v;
        s.bias_sources = bias_current * v;
    }
    s
}

/// What was measured on the circuit's trajectories, per sample [J].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Measured {
    /// Conductive dissipation (resistors, cubic elements).
    pub conductive: f64,
    /// Net power absorbed by the VCCS couplings, integrated (None: no VCCS in the circuit).
    pub coupling: Option<f64>,
}

/// The circuit budgets per sample: the measured dissipation `m` (components of the energy
/// drawn, not added to the total) and the powers `p` over `seconds` of sample duration. The
/// rows that add into the circuit's total are the energy drawn from supplies: static bias of
/// op-amps, transconductors and bias sources, and the noise generators' supply power.
pub fn budgets(
    profile: &Profile,
    circuit: &Circuit,
    p: &StaticPower,
    m: Measured,
    seconds: f64,
) -> Vec<Budget> {
    let name = &profile.name;
    let dur = format!("t = t_f·t_unit = {seconds:.3e} s");
    let row = |what: String, joules, formula: String, inputs: String, evidence, total| Budget {
        name: format!("circuit {name}: {what}"),
        joules,
        formula,
        inputs,
        part: Part::Circuit,
        evidence,
        total,
    };
    let mut rows = vec![row(
        "conductive dissipation".into(),
        m.conductive,
        "∫ [Σ_R (v_a − v_b)²/R + Σ k v⁴] dt".into(),
        format!(
            "{} nodes, behavioral-simulator trajectories, v0 = {:.3e} V, {dur}; part of the energy drawn",
            circuit.nodes.len(),
            circuit.mapping.v0
        ),
        Evidence::Simulated,
        false,
    )];
    if let Some(c) = m.coupling {
        rows.push(row(
            "VCCS coupling power (net)".into(),
            c,
            "∫ Σ gm·v_ctrl·v_out dt".into(),
            format!(
                "power absorbed by the transconductor couplings, {dur}; part of the energy drawn"
            ),
            Evidence::Simulated,
            false,
        ));
    }
    rows.push(row(
        "noise sources".into(),
        p.noise * seconds,
        "Σ_nodes S/(2C) · t".into(),
        format!(
            "power delivered to the nodes, S = 2 P0 C kT, C = {:.3e} F, T_noise = {:.4e} K, {dur}; part of the generators' draw",
            circuit.mapping.c, profile.noise_temperature
        ),
        Evidence::Derived,
        false,
    ));
    let sys = profile.system;
    rows.push(row(
        "noise generators (drawn)".into(),
        p.noise_count as f64 * sys.noise_generator_power * seconds,
        "n_noise · P_gen · t".into(),
        format!(
            "n_noise = {}, P_gen = {:.3e} W (system.noise_generator_power_w), {dur}",
            p.noise_count, sys.noise_generator_power
        ),
        Evidence::Assumed,
        true,
    ));
    // Op-amps (the ±v buffers of resistive couplings, the NICs) draw their quiescent current
    // from their supply for the whole sample: n · I_q · V_supply · t.
    let op_amps = |what: &str, n_sym: &str, n: usize, i_q: f64, supply: f64, joules: f64| {
        row(
            format!("{what} (static)"),
            joules,
            format!("{n_sym} · I_q · V_supply · t"),
            format!("{n_sym} = {n}, I_q = {i_q:.3e} A, V_supply = {supply} V, {dur}"),
            Evidence::Derived,
            true,
        )
    };
    if let Some(b) = profile.buffer {
        let (i_q, v) = (b.quiescent_current, b.supply);
        rows.push(op_amps(
            "buffers",
            "n_buf",
            p.buffer_count,
            i_q,
            v,
            p.buffers * seconds,
        ));
    }
    if let (Some(nic), true) = (profile.nic, p.nic_count > 0) {
        let (i_q, v) = (nic.quiescent_current, nic.supply);
        rows.push(op_amps(
            "NICs",
            "n_nic",
            p.nic_count,
            i_q,
            v,
            p.nics * seconds,
        ));
    }
    if let Some(pw) = profile.power {
        rows.push(row(
            "transconductors (static)".into(),
            p.transconductors * seconds,
            match pw.gm_over_id {
                Some(_) => "Σ 2|gm|/(gm/I_D) · V_supply · t".into(),
                None => "Σ I_bias·|gm|/g_u · V_supply · t".into(),
            },
            format!(
                "{} transconductors, gm/I_D = {}, V_supply = {} V, {dur}",
                p.transconductor_count,
                pw.gm_over_id.map_or("-".into(), |r| r.to_string()),
                pw.supply
            ),
            Evidence::Derived,
            true,
        ));
    }
    if p.bias_sources > 0.0 {
        rows.push(row(
            "bias sources (static)".into(),
            p.bias_sources * seconds,
            "Σ |I_b| · V_supply · t".into(),
            dur.clone(),
            Evidence::Derived,
            true,
        ));
    }
    rows
}

/// What a run of the behavioral chip measured: its dissipation and its start and final
/// unit states (for the chip's switching work and reset heat, [`super::cycle`]).
pub struct ChipRun {
    /// Dissipation per trajectory.
    pub dissipation: Dissipation,
    /// Start states [rows, N].
    pub start: Array2<f32>,
    /// Final states [rows, N].
    pub end: Array2<f32>,
}

/// The conductive dissipation of `circuit` (built from `computer` on `profile`) measured along
/// `rows` trajectories of its behavioral simulation, started from the same coupling-free noise
/// as the first generations of stream `seed` ([`measure_chip`]).
#[allow(clippy::too_many_arguments)]
pub fn measure_dissipation(
    computer: &crate::model::Computer<f32>,
    circuit: &Circuit,
    profile: &crate::hardware::profile::Profile,
    seed: u64,
    rows: usize,
    steps: usize,
    stride: usize,
    par: crate::linalg::Parallelism,
) -> crate::Result<Dissipation> {
    let batch = crate::dynamics::sampler::Batch::from_equilibrium(computer, seed, 0, rows);
    Ok(measure_chip(computer, circuit, profile, batch, steps, stride, par)?.dissipation)
}

/// The dissipation of `circuit` (built from `computer` on `profile`) measured along the
/// trajectories of its behavioral simulation (the compiled circuit IR) from `batch` (the same
/// start states and noise as the first generations or inferences), over `steps` steps with a
/// node-voltage snapshot every `stride` steps (each held for the time since the last one).
pub fn measure_chip(
    computer: &crate::model::Computer<f32>,
    circuit: &Circuit,
    profile: &crate::hardware::profile::Profile,
    mut batch: crate::dynamics::sampler::Batch<f32>,
    steps: usize,
    stride: usize,
    par: crate::linalg::Parallelism,
) -> crate::Result<ChipRun> {
    let dt = computer.physics.dt;
    let sim = crate::hardware::behavioral::Behavioral::<f32>::compile(circuit, dt)?;
    let map = NodeMap::new(circuit);
    let mut diss = Dissipation::new(circuit, batch.x.nrows());
    let mut last = 0;
    let start = batch.x.clone();
    par.install(|| {
        batch.run(&sim, steps, par, |k, x| {
            if k % stride == 0 || k == steps {
                let held = (k - last) as f64 * dt;
                diss.add(map.voltages(x).view(), held * profile.time_unit);
                last = k;
            }
        })
    });
    Ok(ChipRun {
        dissipation: diss,
        start,
        end: batch.x,
    })
}
