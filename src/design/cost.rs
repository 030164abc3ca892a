//! The cost of a design from its circuit IR: chip area and energy per sample.
//!
//! **Area** [m²] = Σ over the circuit's elements ([`crate::hardware::profile::AreaSpec`]):
//! - a node capacitor of C farads: C / capacitor density;
//! - a transconductor: layout factor × W·L (`mismatch.unit_area_m2`, 0 without `[mismatch]`)
//!   plus the overhead. Transconductors are the VCCS couplings and the cubic elements, and,
//!   in a VCCS-style circuit with `[power]` where every conductance is an OTA (as
//!   [`crate::energy::circuit::static_power`] counts them), the resistors too;
//! - an op-amp (buffer, NIC): its area; a true resistor: its area;
//! - every programmable value — a VCCS coupling, a bias current source — `bits` programming
//!   bits of `dac_bit` each.
//!
//! Noise sources, input drives and inductors occupy no area in the model. Couplings pruned
//! by quantization (zero after rounding) or absent by a fan-in limit are not in the IR, so
//! they cost nothing.
//!
//! **Energy per sample** [J] = the circuit rows of the energy ledger
//! ([`crate::energy::circuit::static_power`]): the measured conductive dissipation plus every
//! static power (noise sources S/(2C), op-amps I_q·V, transconductor tails, bias sources)
//! over the sample time t_f·t_unit.

use crate::energy::circuit::static_power;
use crate::hardware::circuit::{Circuit, Component};
use crate::hardware::profile::{CouplingStyle, Profile};

/// Area of a circuit by kind of element [m²].
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Area {
    /// Node capacitors.
    pub capacitors: f64,
    /// Transconductors (couplings, cubic elements, OTA conductances).
    pub transconductors: f64,
    /// Op-amps (buffers, NICs).
    pub opamps: f64,
    /// True resistors.
    pub resistors: f64,
    /// Programming bits of couplings and biases.
    pub programming: f64,
}

impl Area {
    /// The chip area [m²].
    pub fn total(&self) -> f64 {
        self.capacitors + self.transconductors + self.opamps + self.resistors + self.programming
    }
}

/// The area of `circuit` built on `profile` with `bits`-bit programmable values.
pub fn area(circuit: &Circuit, profile: &Profile, bits: u32) -> Area {
    let a = profile.area;
    let wl = profile.mismatch.map_or(0.0, |m| m.unit_area);
    let ota = a.transconductor_layout_factor * wl + a.transconductor_overhead;
    let program = f64::from(bits) * a.dac_bit;
    let otas_everywhere = profile.power.is_some() && profile.coupling == CouplingStyle::Vccs;
    let mut s = Area::default();
    for c in &circuit.components {
        match *c {
            Component::Capacitor { farads, .. } => s.capacitors += farads / a.capacitor_density,
            Component::Vccs { .. } => {
                s.transconductors += ota;
                s.programming += program;
            }
            Component::Cubic { .. } => s.transconductors += ota,
            Component::Resistor { .. } if otas_everywhere => s.transconductors += ota,
            Component::Resistor { .. } => s.resistors += a.resistor,
            Component::Buffer { .. } | Component::NegativeConductance { .. } => s.opamps += a.opamp,
            Component::CurrentSource { .. } => s.programming += program,
            Component::Inductor { .. }
            | Component::NoiseCurrent { .. }
            | Component::Drive { .. } => {}
        }
    }
    s
}

/// Energy per sample [J]: measured conductive dissipation `dissipated` [J] plus the noise
/// sources' delivered power and the static powers over `seconds` = t_f·t_unit (the circuit
/// rows of the energy ledger before the system rows were added; docs/design.md).
pub fn energy_per_sample(
    circuit: &Circuit,
    profile: &Profile,
    dissipated: f64,
    seconds: f64,
) -> f64 {
    let p = static_power(circuit, profile);
    dissipated + (p.noise + p.buffers + p.nics + p.transconductors + p.bias_sources) * seconds
}
