//! Non-idealities of a built circuit. One *chip* is one random draw of every component's
//! deviation, applied to the circuit IR itself, so that the netlist of a perturbed chip and its
//! behavioral simulation are the same circuit.
//!
//! Each kind of deviation has its own random stream per chip (seed, chip, kind), and every
//! element consumes its variate whether or not that kind is switched on. A chip therefore keeps
//! its *pattern* of deviations when a sweep changes only their size (common random numbers):
//! curves over a sweep are smooth and differences between conditions are not sampling noise.

use super::circuit::{Circuit, Component, NodeRole, Terminal};
use super::profile::Profile;
use crate::dynamics::rng::{stream, Purpose};
use rand::RngExt;
use rand_pcg::Pcg64;

/// How a toleranced value is distributed within its bound ±tol.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Spread {
    /// Normal with σ = tol/3, truncated at ±tol (a ±tol part is a 3σ bound).
    Gaussian,
    /// Uniform in [−tol, +tol].
    Uniform,
}

/// Temperature coefficients of component values [1/K].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Tempco {
    /// Resistors (metal film: 25e-6 /K).
    pub resistor: f64,
    /// Capacitors (C0G/MIM: 30e-6 /K).
    pub capacitor: f64,
    /// Transconductors (bias-current tracking: −3e-3 /K, gm ∝ 1/T of a subthreshold pair).
    pub transconductance: f64,
}

impl Default for Tempco {
    fn default() -> Self {
        Tempco {
            resistor: 25e-6,
            capacitor: 30e-6,
            transconductance: -3e-3,
        }
    }
}

/// The non-idealities of one study condition. Bounds are fractions (0.01 = 1 %).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Nonidealities {
    /// Distribution of toleranced values within their bounds.
    pub spread: Spread,
    /// Bound of each resistor's deviation |ΔR|/R, drawn per resistor.
    pub resistor_tolerance: f64,
    /// Bound of each capacitor's deviation |ΔC|/C, drawn per capacitor.
    pub capacitor_tolerance: f64,
    /// Bound of the chip-wide (process) transconductance deviation |Δgm|/gm, one draw per chip.
    pub transconductance_tolerance: f64,
    /// Local 1σ relative transconductance mismatch, Pelgrom A/√(W·L), drawn per VCCS.
    pub mismatch: f64,
    /// Bound of each negative-conductance element's (NIC's) deviation |ΔG|/|G|, drawn per NIC.
    pub nic_tolerance: f64,
    /// Bound of each buffer's gain error |Δgain|/|gain|.
    pub buffer_gain_error: f64,
    /// Bound of each buffer's output offset [V].
    pub buffer_offset: f64,
    /// Relative error of the noise temperature: every noise PSD is scaled by (1 + this).
    pub noise_temperature_error: f64,
    /// Probability that a coupling element is faulty; half of the faults are stuck open
    /// (element removed), half shorted (element stuck at the largest coupling of the chip).
    pub fault_rate: f64,
    /// Operating temperature minus the temperature the values are specified at [K].
    pub temperature_offset: f64,
    /// Temperature coefficients used with `temperature_offset`.
    pub tempco: Tempco,
}

/// An invalid non-ideality setting; names the setting.
#[derive(Debug, thiserror::Error, PartialEq)]
#[error("{field}: {message}")]
pub struct NonidealError {
    /// The setting (`tolerance`, `fault_rate`, …).
    pub field: String,
    /// What is wrong.
    pub message: String,
}

impl Nonidealities {
    /// Everything ideal.
    pub fn none() -> Self {
        Nonidealities {
            spread: Spread::Gaussian,
            resistor_tolerance: 0.0,
            capacitor_tolerance: 0.0,
            transconductance_tolerance: 0.0,
            mismatch: 0.0,
            nic_tolerance: 0.0,
            buffer_gain_error: 0.0,
            buffer_offset: 0.0,
            noise_temperature_error: 0.0,
            fault_rate: 0.0,
            temperature_offset: 0.0,
            tempco: Tempco::default(),
        }
    }

    /// The deviations a profile specifies: its tolerances, buffer errors and mismatch.
    pub fn from_profile(p: &Profile) -> Self {
        Nonidealities {
            resistor_tolerance: p.resistor_tolerance,
            capacitor_tolerance: p.capacitance_tolerance,
            transconductance_tolerance: p.transconductance_tolerance,
            mismatch: p.mismatch.map_or(0.0, |m| m.sigma()),
            nic_tolerance: p.nic.map_or(0.0, |n| n.tolerance),
            buffer_gain_error: p.buffer.map_or(0.0, |b| b.gain_error),
            buffer_offset: p.buffer.map_or(0.0, |b| b.offset),
            ..Self::none()
        }
    }

    /// Check every setting's range.
    pub fn check(&self) -> Result<(), NonidealError> {
        let bad = |field: &str, message: String| {
            Err(NonidealError {
                field: field.into(),
                message,
            })
        };
        for (field, v) in [
            ("resistor_tolerance", self.resistor_tolerance),
            ("capacitor_tolerance", self.capacitor_tolerance),
            (
                "transconductance_tolerance",
                self.transconductance_tolerance,
            ),
            ("buffer_gain_error", self.buffer_gain_error),
            ("mismatch", self.mismatch),
            ("nic_tolerance", self.nic_tolerance),
        ] {
            if !(0.0..1.0).contains(&v) {
                return bad(
                    field,
                    format!("must be a fraction in [0, 1) (0.01 = 1 %), got {v}"),
                );
            }
        }
        if !(self.buffer_offset.is_finite() && self.buffer_offset >= 0.0) {
            return bad(
                "buffer_offset",
                format!("must be non-negative volts, got {}", self.buffer_offset),
            );
        }
        if !(self.noise_temperature_error > -1.0 && self.noise_temperature_error.is_finite()) {
            return bad(
                "noise_temperature_error",
                format!(
                    "must be above −1 (T_noise·(1 + error) > 0), got {}",
                    self.noise_temperature_error
                ),
            );
        }
        if !(0.0..=1.0).contains(&self.fault_rate) {
            return bad(
                "fault_rate",
                format!("must be a probability in [0, 1], got {}", self.fault_rate),
            );
        }
        if !self.temperature_offset.is_finite() {
            return bad(
                "temperature_offset",
                format!("must be finite, got {}", self.temperature_offset),
            );
        }
        Ok(())
    }
}

/// The random streams of one chip, one per kind of deviation.
#[derive(Clone, Copy)]
#[repr(u64)]
enum Kind {
    Resistor = 0,
    Capacitor = 1,
    Process = 2,
    Mismatch = 3,
    BufferGain = 4,
    BufferOffset = 5,
    Fault = 6,
    /// Appended last: stream 7 was reserved (KINDS = 8) and never drawn from, so chips
    /// without NICs draw exactly as before.
    Nic = 7,
}

const KINDS: u64 = 8;

struct Draws {
    spread: Spread,
    rngs: Vec<Pcg64>,
}

impl Draws {
    fn new(seed: u64, chip: u64, spread: Spread) -> Self {
        Draws {
            spread,
            rngs: (0..KINDS)
                .map(|k| stream(seed, Purpose::Chip, chip * KINDS + k))
                .collect(),
        }
    }

    /// A deviation within ±`bound` (always consumes the variate).
    fn toleranced(&mut self, kind: Kind, bound: f64) -> f64 {
        let rng = &mut self.rngs[kind as usize];
        let unit = match self.spread {
            Spread::Uniform => 2.0 * rng.random::<f64>() - 1.0,
            Spread::Gaussian => loop {
                let z: f64 = <f64 as crate::linalg::Real>::std_normal(rng);
                if z.abs() <= 3.0 {
                    break z / 3.0;
                }
            },
        };
        bound * unit
    }

    fn normal(&mut self, kind: Kind) -> f64 {
        <f64 as crate::linalg::Real>::std_normal(&mut self.rngs[kind as usize])
    }

    fn uniform(&mut self, kind: Kind) -> f64 {
        self.rngs[kind as usize].random::<f64>()
    }
}

/// What became of a coupling element.
enum Fault {
    None,
    Open,
    Short,
}

/// Chip `chip` of study `seed`: `circuit` with every deviation of `nonideal` drawn and applied.
/// The mapping constants are left as designed (they describe the intended circuit).
pub fn perturb(circuit: &Circuit, nonideal: &Nonidealities, seed: u64, chip: u64) -> Circuit {
    let nd = nonideal;
    let mut draws = Draws::new(seed, chip, nd.spread);
    let dt = nd.temperature_offset;
    let drift_r = 1.0 + nd.tempco.resistor * dt;
    let drift_c = 1.0 + nd.tempco.capacitor * dt;
    let process = 1.0 + draws.toleranced(Kind::Process, nd.transconductance_tolerance);
    let drift_gm = (1.0 + nd.tempco.transconductance * dt) * process;
    let is_buffered = |t: Terminal| match t {
        Terminal::Node(id) => {
            matches!(circuit.nodes[id.0 as usize].role, NodeRole::Buffered { .. })
        }
        Terminal::Ground => false,
    };
    // Full-scale couplings of this chip, for shorted elements.
    let mut max_gm = 0.0f64;
    let mut min_r = f64::INFINITY;
    for comp in &circuit.components {
        match *comp {
            Component::Vccs { out, ctrl, siemens } if out != ctrl => {
                max_gm = max_gm.max(siemens.abs())
            }
            Component::Resistor { a, b, ohms } if is_buffered(a) || is_buffered(b) => {
                min_r = min_r.min(ohms.abs())
            }
            _ => {}
        }
    }
    let fault = |draws: &mut Draws| {
        let u = draws.uniform(Kind::Fault);
        if u < 0.5 * nd.fault_rate {
            Fault::Open
        } else if u < nd.fault_rate {
            Fault::Short
        } else {
            Fault::None
        }
    };

    let mut components = Vec::with_capacity(circuit.components.len());
    for comp in &circuit.components {
        let mut c = comp.clone();
        match &mut c {
            Component::Capacitor { farads, .. } => {
                *farads *=
                    drift_c * (1.0 + draws.toleranced(Kind::Capacitor, nd.capacitor_tolerance))
            }
            Component::Resistor { a, b, ohms } => {
                let coupling = is_buffered(*a) || is_buffered(*b);
                *ohms *= drift_r * (1.0 + draws.toleranced(Kind::Resistor, nd.resistor_tolerance));
                if coupling {
                    match fault(&mut draws) {
                        Fault::Open => continue,
                        Fault::Short => *ohms = min_r * drift_r,
                        Fault::None => {}
                    }
                }
            }
            Component::Vccs { out, ctrl, siemens } => {
                let local = 1.0 + nd.mismatch * draws.normal(Kind::Mismatch);
                *siemens *= drift_gm * local;
                if out != ctrl {
                    match fault(&mut draws) {
                        Fault::Open => continue,
                        Fault::Short => *siemens = max_gm.copysign(*siemens) * drift_gm,
                        Fault::None => {}
                    }
                }
            }
            Component::NegativeConductance { siemens, .. } => {
                // Set by the NIC's resistors: it drifts with their temperature coefficient.
                *siemens *= (1.0 + draws.toleranced(Kind::Nic, nd.nic_tolerance)) / drift_r;
            }
            Component::Buffer { gain, offset, .. } => {
                *gain *= 1.0 + draws.toleranced(Kind::BufferGain, nd.buffer_gain_error);
                *offset += draws.toleranced(Kind::BufferOffset, nd.buffer_offset);
            }
            Component::NoiseCurrent { psd, .. } => *psd *= 1.0 + nd.noise_temperature_error,
            Component::Inductor { .. }
            | Component::Cubic { .. }
            | Component::CurrentSource { .. }
            | Component::Drive { .. } => {}
        }
        components.push(c);
    }
    Circuit {
        nodes: circuit.nodes.clone(),
        components,
        mapping: circuit.mapping,
        margins: circuit.margins.clone(),
        groups: circuit.groups.clone(),
    }
}
