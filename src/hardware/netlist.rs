//! ngspice netlist writer: turns a [`Circuit`] into a deck, streaming to any writer.
//!
//! The deck's first line is its title, the second the machine-readable mapping summary
//! `* thermocad-mapping: v0=<V> t_unit=<s> kT=<J> c=<F>`, followed by comments with the model
//! constants, the elements, `.ic v(NODE)=VALUE` initial conditions of the evolving unit nodes
//! (a clamped unit's node is a DC voltage source at v0·x of its initial value instead), a `.tran … uic` analysis and
//! a `.control` block that writes every unit node voltage with `wrdata`, and the checksum
//! footer `* thermocad-deck: fnv1a64=…` before `.end` ([`super::trust`]).

use super::circuit::{Circuit, Component, NodeRole, Terminal};
use crate::dynamics::noise::deck_stream;
use std::io::{self, Write};

/// What a deck simulates.
#[derive(Clone, Debug, PartialEq)]
pub struct Transient {
    /// Duration in model time units.
    pub t_stop: f64,
    /// Output / noise step in model time units (ngspice TRNOISE's NT is this × t_unit).
    pub step: f64,
    /// Maximum internal time step in model time units (accuracy of the integration).
    pub max_step: f64,
    /// Include the thermal noise sources.
    pub noise: bool,
    /// Noise sources as ngspice `TRNOISE` (ngspice's own random numbers: small decks, but not
    /// reproducible run to run) instead of thermocad's per-node PWL streams.
    pub trnoise: bool,
    /// Seed of the deck's noise streams ([`crate::dynamics::noise::deck_stream`]) and of
    /// ngspice's random numbers.
    pub seed: u64,
    /// ngspice's relative tolerance (`reltol`; its default is 1e-3).
    pub reltol: f64,
    /// Initial state in model units, one value per unit node (None: all zero). Clamped units
    /// keep theirs: it sets their drive voltage v0·x.
    pub initial: Option<Vec<f64>>,
    /// File the `.control` block writes the unit voltages to (relative to the deck).
    pub data_file: String,
}

/// A plain file name ngspice's `wrdata` may write: 1–128 ASCII letters, digits, `.`, `_` or
/// `-`, not starting with `.` or `-` (no directory, no spaces, nothing SPICE would parse).
pub fn is_safe_file_name(name: &str) -> bool {
    (1..=128).contains(&name.len())
        && !name.starts_with(['.', '-'])
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

/// A title or comment text that cannot break a deck line: control characters (newlines,
/// carriage returns, tabs, …) become spaces.
pub fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

fn term(c: &Circuit, t: Terminal) -> &str {
    match t {
        Terminal::Ground => "0",
        Terminal::Node(n) => &c.nodes[n.0 as usize].name,
    }
}

/// Relative width of the linear ramp between two held noise values (centred on the step
/// boundary, so the charge each step delivers is exact).
const RAMP: f64 = 1e-3;

/// A held-noise current into `node`: a PWL source holding I_k = η_k·√(S/h) over noise step k
/// (h = `tran.step`·t_unit), η_k from the node's [`deck_stream`]. Held white noise of rms
/// √(S/h) over steps h has two-sided PSD S, like the circuit's thermal noise. Size: about
/// 70 bytes per node and noise step.
fn write_held_noise(
    w: &mut impl Write,
    k: usize,
    node: &str,
    unit: usize,
    psd: f64,
    tran: &Transient,
    m: &super::circuit::Mapping,
) -> io::Result<()> {
    let h = tran.step * m.t_unit;
    let amp = (psd / h).sqrt();
    let steps = noise_steps(tran);
    let mut eta = deck_stream(tran.seed, unit);
    let mut prev = amp * eta.next().unwrap_or(0.0);
    // Current source I n+ n- drives its current out of n+ into n-: ground → node.
    write!(w, "I{k} 0 {node} PWL(0 {prev:.9e}")?;
    for s in 1..steps {
        let next = amp * eta.next().unwrap_or(0.0);
        let t = s as f64 * h;
        let d = 0.5 * RAMP * h;
        write!(w, "\n+ {:.12e} {prev:.9e} {:.12e} {next:.9e}", t - d, t + d)?;
        prev = next;
    }
    writeln!(w, "\n+ {:.12e} {prev:.9e} )", steps as f64 * h)
}

/// Noise steps a deck holds: ⌈t_stop / step⌉.
pub fn noise_steps(tran: &Transient) -> usize {
    ((tran.t_stop / tran.step) * (1.0 - 1e-12)).ceil().max(1.0) as usize
}

/// Write the deck for `circuit`. `comments` are extra header lines (model constants).
pub fn write(
    out: &mut impl Write,
    circuit: &Circuit,
    title: &str,
    comments: &[String],
    tran: &Transient,
) -> io::Result<()> {
    let m = &circuit.mapping;
    if !is_safe_file_name(&tran.data_file) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "data file name \"{}\" is not a plain file name (letters, digits, . _ -)",
                tran.data_file.escape_debug()
            ),
        ));
    }
    let mut w = super::trust::Hashing::new(out);
    let w = &mut w;
    writeln!(w, "{}", one_line(title))?;
    writeln!(
        w,
        "* thermocad-mapping: v0={:.9e} t_unit={:.9e} kT={:.9e} c={:.9e}",
        m.v0, m.t_unit, m.kt_joules, m.c
    )?;
    writeln!(
        w,
        "* P0 = {:.6e} W, mu_phys*C = P0/v0^2 = {:.6e} S, model kT = {}",
        m.p0,
        m.g_unit(),
        m.kt_model
    )?;
    for line in comments {
        writeln!(w, "* {}", one_line(line))?;
    }
    writeln!(w, ".options seed={} reltol={:e}", tran.seed, tran.reltol)?;
    let nt = tran.step * m.t_unit;
    let name = |i: usize| &circuit.nodes[i].name;
    let initial = |unit: usize| tran.initial.as_ref().and_then(|x| x.get(unit).copied());
    for (k, comp) in circuit.components.iter().enumerate() {
        match *comp {
            Component::Capacitor { node, farads } => {
                writeln!(w, "C{k} {} 0 {farads:.9e}", name(node.0 as usize))?
            }
            Component::Resistor { a, b, ohms } => writeln!(
                w,
                "R{k} {} {} {ohms:.9e}",
                term(circuit, a),
                term(circuit, b)
            )?,
            Component::Inductor { a, b, henries } => writeln!(
                w,
                "L{k} {} {} {henries:.9e}",
                term(circuit, a),
                term(circuit, b)
            )?,
            Component::Vccs { out, ctrl, siemens } => writeln!(
                w,
                "G{k} {} 0 {} 0 {siemens:.9e}",
                name(out.0 as usize),
                name(ctrl.0 as usize)
            )?,
            Component::NegativeConductance { node, siemens } => {
                // A self-controlled VCCS: current −g·v(n) from n to ground, i.e. the ideal
                // element a NIC realises (ngspice also accepts a negative R; the VCCS keeps
                // the sign in one place and needs no resistor model).
                let n = name(node.0 as usize);
                writeln!(w, "G{k} {n} 0 {n} 0 {:.9e}", -siemens)?
            }
            Component::Buffer {
                input,
                output,
                gain,
                offset,
            } => {
                let (out, inp) = (name(output.0 as usize), name(input.0 as usize));
                if offset == 0.0 {
                    writeln!(w, "E{k} {out} 0 {inp} 0 {gain:.9e}")?
                } else {
                    // v(out) − v(out_os) = gain·v(in) on top of a DC offset source.
                    writeln!(w, "E{k} {out} {out}_os {inp} 0 {gain:.9e}")?;
                    writeln!(w, "V{k}os {out}_os 0 DC {offset:.9e}")?
                }
            }
            Component::Cubic {
                node,
                amps_per_volt3,
            } => {
                let n = name(node.0 as usize);
                writeln!(
                    w,
                    "B{k} {n} 0 I = {amps_per_volt3:.9e} * v({n}) * v({n}) * v({n})"
                )?
            }
            Component::CurrentSource { node, amps } => {
                writeln!(w, "I{k} {} 0 DC {amps:.9e}", name(node.0 as usize))?
            }
            Component::NoiseCurrent { node, psd } if tran.noise && !tran.trnoise => {
                write_held_noise(w, k, name(node.0 as usize), node.0 as usize, psd, tran, m)?
            }
            Component::NoiseCurrent { node, psd } => {
                if tran.noise {
                    // Held white noise of rms NA over steps NT has two-sided PSD NA²·NT.
                    let na = (psd / nt).sqrt();
                    writeln!(
                        w,
                        "I{k} {} 0 DC 0 TRNOISE({na:.9e} {nt:.9e} 0 0)",
                        name(node.0 as usize)
                    )?
                }
            }
            Component::Drive { node } => {
                let volts = initial(node.0 as usize).unwrap_or(0.0) * m.v0;
                writeln!(w, "V{k} {} 0 DC {volts:.9e}", name(node.0 as usize))?
            }
        }
    }
    if tran.initial.is_some() {
        let clamped = circuit.clamped_units();
        for (i, node) in circuit.nodes.iter().enumerate() {
            if let NodeRole::Unit { unit } = node.role {
                if !clamped.get(unit).copied().unwrap_or(false) {
                    let x = initial(unit).unwrap_or(0.0);
                    writeln!(w, ".ic v({})={:.9e}", name(i), x * m.v0)?;
                }
            }
        }
    }
    writeln!(
        w,
        ".tran {:.9e} {:.9e} 0 {:.9e} uic",
        nt,
        tran.t_stop * m.t_unit,
        tran.max_step * m.t_unit
    )?;
    writeln!(
        w,
        ".control\nset rndseed={}\nset wr_singlescale\nset wr_vecnames\noption numdgt=10\nrun",
        tran.seed
    )?;
    let units: Vec<String> = circuit
        .nodes
        .iter()
        .filter(|n| matches!(n.role, NodeRole::Unit { .. }))
        .map(|n| format!("v({})", n.name))
        .collect();
    // wrdata in chunks keeps lines short for large decks.
    for (k, chunk) in units.chunks(64).enumerate() {
        let file = if units.len() > 64 {
            format!("{}.{k}", tran.data_file)
        } else {
            tran.data_file.clone()
        };
        writeln!(w, "wrdata {file} {}", chunk.join(" "))?;
    }
    writeln!(w, "quit\n.endc")?;
    let hash = w.hash.value();
    writeln!(w, "{}{hash:016x}\n.end", super::trust::FOOTER)?;
    Ok(())
}
