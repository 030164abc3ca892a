//! Hardware profiles (`hardware/*.toml`): the component technology a circuit is built from,
//! every field in SI units. Parsed once and validated into a [`Profile`].
//!
//! A profile file has the sections `[node]` (required), `[coupling]` (required), `[buffer]`
//! (required for resistive couplings), `[mismatch]`, `[power]`, `[nic]`, `[area]` and `[system]` (optional), plus an optional
//! top-level `description`. Unknown fields and sections are rejected by name. The mapping the
//! derived quantities implement is derived in docs/circuit-mapping.md.

use serde::{Deserialize, Serialize};
use std::path::Path;

use super::eseries::ResistorSeries;
use crate::config::{FieldError, Fields};
use crate::energy::units::BOLTZMANN;
use crate::model::Physics;
use crate::train::project::Constraints;

/// How couplings J_ij are realised.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CouplingStyle {
    /// A voltage-controlled current source of transconductance J_ij μ C per direction (gm-C).
    Vccs,
    /// A resistor R = 1/(|J_ij| μ C) from node i to a buffered copy of ±v_j, per direction;
    /// the diagonal loading it adds is compensated in the ground conductance.
    Resistive,
}

/// The op-amp buffers that drive resistive couplings with ±v_j.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BufferSpec {
    /// Gain error bound |gain − (±1)| [fraction of 1].
    pub gain_error: f64,
    /// Input offset voltage bound [V].
    pub offset: f64,
    /// Quiescent supply current per buffer [A].
    pub quiescent_current: f64,
    /// Total supply voltage across the op-amp (V+ − V−) [V].
    pub supply: f64,
    /// Gain–bandwidth product [Hz] (`inf` for an ideal buffer).
    pub gbw: f64,
    /// Maximum output current per buffer [A] (None: not limited).
    pub max_output_current: Option<f64>,
}

/// Random (local) mismatch of integrated transconductors, Pelgrom's law
/// σ(Δgm/gm) = A / √(W·L).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MismatchSpec {
    /// Pelgrom coefficient A of the relative transconductance mismatch [fraction·m]
    /// (1 %·µm = 1e-8).
    pub pelgrom_gm: f64,
    /// Gate area W·L of the input device of one unit transconductor [m²].
    pub unit_area: f64,
}

impl MismatchSpec {
    /// Relative 1σ transconductance mismatch of one unit transconductor, A/√(W·L) [fraction].
    pub fn sigma(&self) -> f64 {
        self.pelgrom_gm / self.unit_area.sqrt()
    }
}

/// Supply and bias of an integrated (gm-C) implementation.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PowerSpec {
    /// Supply voltage [V].
    pub supply: f64,
    /// Tail (bias) current of one unit transconductor [A].
    pub bias_current: f64,
    /// Transconductance efficiency gm/I_D of the input devices [1/V] (None: not given).
    pub gm_over_id: Option<f64>,
}

/// The negative-conductance ground element of resistive couplings: one negative-impedance
/// converter (NIC) per node whose coupling load Σ_j |J_ij|·g_u exceeds the restoring
/// conductance 2·J2·g_u, realising G = −(Σ_j |J_ij| − 2·J2)·g_u to ground (docs/codesign.md).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NicSpec {
    /// Tolerance bound of the realised conductance, |ΔG|/|G| [fraction, dimensionless].
    pub tolerance: f64,
    /// Quiescent supply current of the NIC's op-amp [A].
    pub quiescent_current: f64,
    /// Total supply voltage across the op-amp (V+ − V−) [V].
    pub supply: f64,
}

/// The area model of a chip (`[area]`, every field optional): what each element of the
/// circuit IR occupies on the die (or the board). Defaults are the gm-C values of
/// [`AreaSpec::DEFAULT`]; sources in hardware/README.md and docs/design.md.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AreaSpec {
    /// Capacitance per area of the node capacitors [F/m²] (MIM ≈ 2 fF/µm² = 2e-3 F/m²).
    pub capacitor_density: f64,
    /// Area of one transconductor per gate area W·L of its input device
    /// (`mismatch.unit_area_m2`) [dimensionless]: input pair, tail and mirrors, spacing.
    pub transconductor_layout_factor: f64,
    /// Fixed area of one transconductor besides its devices (bias, CMFB, wiring) [m²].
    pub transconductor_overhead: f64,
    /// Area of one op-amp (a ±v buffer or a NIC) [m²].
    pub opamp: f64,
    /// Area of one resistor that is a resistor (not an OTA) [m²].
    pub resistor: f64,
    /// Area of one bit of the programming of a coupling or bias value (register + DAC
    /// segment) [m²]; a B-bit design has B of them per programmable element.
    pub dac_bit: f64,
}

impl AreaSpec {
    /// The defaults: 2 fF/µm² MIM, 20 × W·L + 100 µm² per OTA, 2000 µm² per op-amp, 50 µm² per
    /// poly resistor, 10 µm² per programming bit.
    pub const DEFAULT: AreaSpec = AreaSpec {
        capacitor_density: 2e-3,
        transconductor_layout_factor: 20.0,
        transconductor_overhead: 100e-12,
        opamp: 2000e-12,
        resistor: 50e-12,
        dac_bit: 10e-12,
    };
}

/// The system around the core (`[system]`, every field optional): what reading a sample
/// out, driving clamped inputs, generating the injected noise and programming the couplings
/// cost. Defaults are the gm-C values of [`SystemSpec::DEFAULT`]; sources next to the values
/// in hardware/*.toml and in hardware/README.md.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SystemSpec {
    /// Walden figure of merit of the readout ADC, energy per conversion step [J]: one
    /// conversion of B bits costs FoM·2^B.
    pub adc_fom: f64,
    /// Resolution of the readout ADC [bits].
    pub adc_bits: u32,
    /// Energy of one input-DAC conversion (setting one clamped input) [J].
    pub dac_energy: f64,
    /// Power drawn by the noise generator of one node [W] (it delivers S/(2C) of it).
    pub noise_generator_power: f64,
    /// Energy of writing one bit of a coupling or bias value [J].
    pub programming_energy_per_bit: f64,
    /// Bits per programmed coupling or bias value [bits] (0: fixed parts, nothing programmed).
    pub programming_bits: u32,
}

impl SystemSpec {
    /// The defaults (a gm-C chip): 10 fJ per conversion step at 8 bits, 0.5 pJ per DAC
    /// conversion, 1.2 µW per noise generator, 0.16 pJ per programmed bit, 8 bits per value.
    pub const DEFAULT: SystemSpec = SystemSpec {
        adc_fom: 10e-15,
        adc_bits: 8,
        dac_energy: 0.5e-12,
        noise_generator_power: 1.2e-6,
        programming_energy_per_bit: 0.16e-12,
        programming_bits: 8,
    };

    /// Energy of one ADC conversion, FoM·2^bits [J].
    pub fn adc_conversion(&self) -> f64 {
        self.adc_fom * 2f64.powi(self.adc_bits as i32)
    }
}

/// A validated hardware profile.
#[derive(Clone, Debug, PartialEq)]
pub struct Profile {
    /// Profile name (from the file).
    pub name: String,
    /// Node capacitance C to ground [F].
    pub capacitance: f64,
    /// Noise temperature T_noise of the node noise sources [K]; k_B T_noise = C v0².
    pub noise_temperature: f64,
    /// Physical duration of one model time unit [s] (the node time constant scale 1/μ).
    pub time_unit: f64,
    /// How couplings are built.
    pub coupling: CouplingStyle,
    /// Inductance in series with each node's restoring branch [H] (None: RC node).
    pub inductance: Option<f64>,
    /// Free-text description (from the file's top-level `description`; may be empty).
    pub description: String,
    /// Tolerance bound of the node capacitance, |ΔC|/C [fraction, dimensionless].
    pub capacitance_tolerance: f64,
    /// Series resistor values are snapped to (None: exact values).
    pub resistor_series: Option<ResistorSeries>,
    /// Tolerance bound of every resistor, |ΔR|/R [fraction, dimensionless].
    pub resistor_tolerance: f64,
    /// Tolerance bound (global process spread) of every transconductance, |Δgm|/gm
    /// [fraction, dimensionless].
    pub transconductance_tolerance: f64,
    /// Op-amp buffers of resistive couplings (always Some for [`CouplingStyle::Resistive`]).
    pub buffer: Option<BufferSpec>,
    /// Local transconductor mismatch (None: no mismatch model).
    pub mismatch: Option<MismatchSpec>,
    /// Supply and bias of an integrated implementation (None: not given).
    pub power: Option<PowerSpec>,
    /// Largest compensation ratio Σ_j |J_ij| / (2·J2) a unit may carry [dimensionless]
    /// (`coupling.max_compensation`; None: the style's default, see [`Profile::constraints`]).
    pub max_compensation: Option<f64>,
    /// Largest number of couplings per unit (`coupling.max_fan_in`; None: unlimited).
    pub max_fan_in: Option<usize>,
    /// Largest realisable |J_ij| [model energy units] (`coupling.max_coupling`; None: unlimited).
    pub max_coupling: Option<f64>,
    /// Negative-conductance ground elements (`[nic]`; None: not available, a resistive unit
    /// with Σ_j |J_ij| > 2·J2 is refused).
    pub nic: Option<NicSpec>,
    /// The area model (`[area]`; [`AreaSpec::DEFAULT`] for absent fields).
    pub area: AreaSpec,
    /// The system around the core (`[system]`; [`SystemSpec::DEFAULT`] for absent fields).
    pub system: SystemSpec,
}

impl Profile {
    /// Signal scale v0 = √(k_B T_noise / C) [V]: the node voltage of x = 1.
    pub fn v0(&self) -> f64 {
        (self.kt_joules() / self.capacitance).sqrt()
    }

    /// k_B T_noise = C v0² [J]: the physical energy of the model's kT.
    pub fn kt_joules(&self) -> f64 {
        BOLTZMANN * self.noise_temperature
    }

    /// One model energy unit in joules, k_B T_noise / kT [J], for a model with thermal
    /// energy `kt` (model energy units).
    pub fn energy_unit_joules(&self, kt: f64) -> f64 {
        self.kt_joules() / kt
    }

    /// Physical mobility μ_phys = μ / t_unit [1/s per model energy unit] for the model
    /// mobility `mu` (per model energy and time unit).
    pub fn mobility(&self, mu: f64) -> f64 {
        mu / self.time_unit
    }

    /// Power scale P0 = μ C v0² / t_unit = μ k_B T_noise / t_unit [W] of G(v) = P0·V(v/v0).
    pub fn p0(&self, mu: f64) -> f64 {
        mu * self.kt_joules() / self.time_unit
    }

    /// Conductance of one model energy unit of stiffness, μ_phys C = P0/v0² [S].
    pub fn unit_conductance(&self, mu: f64) -> f64 {
        self.mobility(mu) * self.capacitance
    }

    /// Ground conductance of the J2 term, g = 2 J2 μ_phys C [S] (before any compensation).
    pub fn ground_conductance(&self, j2: f64, mu: f64) -> f64 {
        2.0 * j2 * self.unit_conductance(mu)
    }

    /// Signed coupling transconductance J μ_phys C [S] (current leaving node i per volt of
    /// v_j); a resistive coupling uses R = 1/|this|.
    pub fn coupling_conductance(&self, j: f64, mu: f64) -> f64 {
        j * self.unit_conductance(mu)
    }

    /// Coefficient of the cubic current 4 J4 P0/v0⁴ [A/V³].
    pub fn cubic_coefficient(&self, j4: f64, mu: f64) -> f64 {
        4.0 * j4 * self.p0(mu) / self.v0().powi(4)
    }

    /// Current b P0/v0 leaving the node for a bias `b` (model energy units) [A].
    pub fn bias_current(&self, b: f64, mu: f64) -> f64 {
        b * self.p0(mu) / self.v0()
    }

    /// Two-sided PSD of each node's noise current, S = 2 P0 C kT [A²/Hz], for the model's
    /// thermal energy `kt`.
    pub fn noise_psd(&self, kt: f64, mu: f64) -> f64 {
        2.0 * self.p0(mu) * self.capacitance * kt
    }

    /// ngspice TRNOISE rms amplitude NA = √(S/NT) [A] for the sample interval `nt` [s].
    pub fn trnoise_amplitude(&self, kt: f64, mu: f64, nt: f64) -> f64 {
        (self.noise_psd(kt, mu) / nt).sqrt()
    }

    /// RLC parameter ε = L g² / C [dimensionless] of a node whose restoring branch has
    /// conductance `g` [S] (None for an RC node). The node is RC-like for ε ≪ 1 and
    /// underdamped for ε > 1/4.
    pub fn rlc_epsilon(&self, g: f64) -> Option<f64> {
        self.inductance.map(|l| l * g * g / self.capacitance)
    }

    /// Worst-case relative error ε of one resistive conductance on the board: the resistor
    /// tolerance plus half a step of the preferred-value series the values are snapped to
    /// [fraction, dimensionless].
    pub fn conductance_error(&self) -> f64 {
        let half_step = match self.resistor_series {
            Some(series) => {
                let v = series.values();
                let ratio = v.windows(2).map(|w| w[1] / w[0]).fold(1.0, f64::max);
                (ratio - 1.0) / 2.0
            }
            None => 0.0,
        };
        self.resistor_tolerance + half_step
    }

    /// The compensation bound training uses and the circuit build enforces:
    /// `coupling.max_compensation` if given. For the resistive style without it:
    /// - without `[nic]`, the largest c whose positive ground resistor stays positive when every
    ///   conductance is off by ε = [`Profile::conductance_error`] in the worst direction: the
    ///   element carries g·(2·J2 − Σ|J|) with Σ|J| = c·2·J2, its worst-case error is
    ///   ε·g·2·J2·(1 + c), so c < (1 − ε)/(1 + ε) (0.951 for 1 % E96 parts, whose largest step
    ///   is 3.0 %);
    /// - with `[nic]`, the largest c at which the node's restoring conductance stays positive in
    ///   the worst case: the couplings' loading c·2·J2·g off by ε = `coupling.resistor_tolerance`
    ///   (the NIC compensates the snapped values) and the NIC's (c − 1)·2·J2·g off by
    ///   δ = `nic.tolerance` leave 2·J2·g·(1 − ε·c − δ·(c − 1)) > 0, so c < (1 + δ)/(ε + δ).
    ///
    /// None (no load bound) for transconductor couplings without the field.
    pub fn compensation_bound(&self) -> Option<f64> {
        match (self.max_compensation, self.coupling) {
            (Some(c), _) => Some(c),
            (None, CouplingStyle::Resistive) => Some(match self.nic {
                Some(nic) => nic_stability_bound(self.resistor_tolerance, nic.tolerance),
                None => {
                    let e = self.conductance_error();
                    (1.0 - e) / (1.0 + e)
                }
            }),
            (None, CouplingStyle::Vccs) => None,
        }
    }

    /// The realisability constraints training must respect for a model of `physics`:
    /// range |J_ij| ≤ `max_coupling`, fan-in ≤ `max_fan_in`, and coupling load
    /// Σ_j |J_ij| ≤ L = 2·J2·c with c from [`Profile::compensation_bound`].
    /// Fails when the limits cannot be met (a load bound with J2 ≤ 0).
    pub fn constraints(&self, physics: &Physics) -> Result<Constraints, ProfileError> {
        let load = match self.compensation_bound() {
            Some(c) => {
                let load = 2.0 * physics.j2 * c;
                if load.is_nan() || load <= 0.0 {
                    return Err(ProfileError::Unrealisable {
                        profile: self.name.clone(),
                        why: format!(
                            "the coupling load bound 2·J2·max_compensation = 2·({})·{c:.4} = {load:.4} is not positive; a unit with j2 ≤ 0 has no restoring conductance to bound the load by (docs/codesign.md)",
                            physics.j2
                        ),
                    });
                }
                Some(load)
            }
            None => None,
        };
        Constraints::new(self.max_coupling, self.max_fan_in, load).map_err(|e| {
            ProfileError::Unrealisable {
                profile: self.name.clone(),
                why: e.to_string(),
            }
        })
    }
}

/// The largest compensation ratio c = Σ_j |J_ij| / (2·J2) at which a node compensated by a
/// NIC keeps a positive restoring conductance when the coupling conductances are off by a
/// relative `eps` and the NIC by `delta`, all in the worst direction:
/// 1 − eps·c − delta·(c − 1) > 0 ⇔ c < (1 + delta)/(eps + delta) [dimensionless].
pub fn nic_stability_bound(eps: f64, delta: f64) -> f64 {
    (1.0 + delta) / (eps + delta)
}

/// Resistive-coupling margin of one unit, (2 J2 − Σ_j |J_ij|)/(2 J2) [dimensionless]: the
/// fraction of the ground conductance left after compensating the couplings' loading.
/// Negative means the unit cannot be built with resistive couplings.
pub fn resistive_margin(j2: f64, row: impl IntoIterator<Item = f64>) -> f64 {
    let s: f64 = row.into_iter().map(f64::abs).sum();
    (2.0 * j2 - s) / (2.0 * j2)
}

/// Why a profile could not be loaded. Every message names the file and the field.
#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    /// The file could not be read.
    #[error("{file}: cannot read: {source}")]
    Io {
        /// The file.
        file: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The file is not valid TOML, or a field is unknown, missing or of the wrong type.
    #[error(transparent)]
    Syntax(FieldError),
    /// A field has an invalid value.
    #[error(transparent)]
    Invalid(#[from] FieldError),
    /// The profile's limits cannot be met by the model (e.g. a load bound with J2 ≤ 0).
    #[error("hardware profile {profile}: {why}")]
    Unrealisable {
        /// The profile name.
        profile: String,
        /// What cannot be met.
        why: String,
    },
}

impl ProfileError {
    /// The file (or profile name) the error concerns.
    pub fn file(&self) -> &str {
        match self {
            ProfileError::Io { file, .. } => file,
            ProfileError::Unrealisable { profile, .. } => profile,
            ProfileError::Syntax(e) | ProfileError::Invalid(e) => &e.file,
        }
    }

    /// Dotted path of the offending field, if the error concerns one.
    pub fn field(&self) -> Option<&str> {
        match self {
            ProfileError::Io { .. } | ProfileError::Unrealisable { .. } => None,
            ProfileError::Syntax(e) | ProfileError::Invalid(e) => Some(&e.field),
        }
    }
}

/// Raw profile file, as written (see the module documentation).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProfile {
    description: Option<String>,
    node: RawNode,
    coupling: RawCoupling,
    buffer: Option<RawBuffer>,
    mismatch: Option<RawMismatch>,
    power: Option<RawPower>,
    nic: Option<RawNic>,
    area: Option<RawArea>,
    system: Option<RawSystem>,
}

/// `[system]`; absent fields take [`SystemSpec::DEFAULT`].
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSystem {
    /// [J per conversion step]
    adc_fom_j_per_step: Option<f64>,
    /// [bits]
    adc_bits: Option<u32>,
    /// [J]
    dac_energy_j: Option<f64>,
    /// [W]
    noise_generator_power_w: Option<f64>,
    /// [J]
    programming_energy_j_per_bit: Option<f64>,
    /// [bits]
    programming_bits: Option<u32>,
}

/// `[area]`; absent fields take [`AreaSpec::DEFAULT`].
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawArea {
    /// [F/m²]
    capacitor_density_f_per_m2: Option<f64>,
    /// [dimensionless]
    transconductor_layout_factor: Option<f64>,
    /// [m²]
    transconductor_overhead_m2: Option<f64>,
    /// [m²]
    opamp_m2: Option<f64>,
    /// [m²]
    resistor_m2: Option<f64>,
    /// [m²]
    dac_bit_m2: Option<f64>,
}

/// `[node]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNode {
    /// [F]
    capacitance_f: f64,
    /// [fraction]
    capacitance_tolerance: f64,
    /// [K]
    noise_temperature_k: f64,
    /// [s]
    time_unit_s: f64,
    /// [H]
    inductance_h: Option<f64>,
}

/// `[coupling]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCoupling {
    style: CouplingStyle,
    resistor_series: Option<ResistorSeries>,
    /// [fraction], default 0
    #[serde(default)]
    resistor_tolerance: f64,
    /// [fraction], default 0
    #[serde(default)]
    transconductance_tolerance: f64,
    /// [dimensionless], > 0
    max_compensation: Option<f64>,
    /// [couplings per unit], ≥ 1
    max_fan_in: Option<usize>,
    /// [model energy units], > 0
    max_coupling: Option<f64>,
}

/// `[buffer]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBuffer {
    /// [fraction]
    gain_error: f64,
    /// [V]
    offset_v: f64,
    /// [A]
    quiescent_current_a: f64,
    /// [V]
    supply_v: f64,
    /// [Hz]
    gbw_hz: f64,
    /// [A]
    max_output_current_a: Option<f64>,
}

/// `[mismatch]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMismatch {
    /// [fraction·m]
    pelgrom_a_gm_m: f64,
    /// [m²]
    unit_area_m2: f64,
}

/// `[power]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPower {
    /// [V]
    supply_v: f64,
    /// [A]
    bias_current_a: f64,
    /// [1/V]
    gm_over_id_per_v: Option<f64>,
}

/// `[nic]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNic {
    /// [fraction]
    tolerance: f64,
    /// [A]
    quiescent_current_a: f64,
    /// [V]
    supply_v: f64,
}

/// Load and validate a profile file; its name is the file stem (`hardware/gm-c.toml` →
/// `gm-c`) and errors name the path as given.
pub fn load_profile(path: &Path) -> Result<Profile, ProfileError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| ProfileError::Io {
        file: file.clone(),
        source,
    })?;
    let name = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| file.clone());
    parse_in(&name, &file, &text)
}

/// Parse and validate profile text; `name` becomes [`Profile::name`] and labels the errors.
pub fn parse_profile(name: &str, text: &str) -> Result<Profile, ProfileError> {
    parse_in(name, name, text)
}

fn parse_in(name: &str, file: &str, text: &str) -> Result<Profile, ProfileError> {
    let v = Fields::new(file, text);
    let raw: RawProfile = toml::from_str(text).map_err(|e| ProfileError::Syntax(v.syntax(&e)))?;

    let node = &raw.node;
    let capacitance = v.positive("node.capacitance_f", node.capacitance_f)?;
    let capacitance_tolerance =
        v.fraction("node.capacitance_tolerance", node.capacitance_tolerance)?;
    let noise_temperature = v.positive("node.noise_temperature_k", node.noise_temperature_k)?;
    let time_unit = v.positive("node.time_unit_s", node.time_unit_s)?;
    let inductance = node
        .inductance_h
        .map(|l| v.positive("node.inductance_h", l))
        .transpose()?;

    let c = &raw.coupling;
    let resistor_tolerance = v.fraction("coupling.resistor_tolerance", c.resistor_tolerance)?;
    let transconductance_tolerance = v.fraction(
        "coupling.transconductance_tolerance",
        c.transconductance_tolerance,
    )?;

    let max_compensation = c
        .max_compensation
        .map(|x| v.positive("coupling.max_compensation", x))
        .transpose()?;
    if c.max_fan_in == Some(0) {
        return Err(v
            .err(
                "coupling.max_fan_in",
                "must be at least 1 coupling per unit",
            )
            .into());
    }
    let max_coupling = c
        .max_coupling
        .map(|x| v.positive("coupling.max_coupling", x))
        .transpose()?;

    let buffer = match &raw.buffer {
        Some(b) => Some(BufferSpec {
            gain_error: v.fraction("buffer.gain_error", b.gain_error)?,
            offset: v.non_negative("buffer.offset_v", b.offset_v)?,
            quiescent_current: v
                .non_negative("buffer.quiescent_current_a", b.quiescent_current_a)?,
            supply: v.positive("buffer.supply_v", b.supply_v)?,
            gbw: v.positive_or_inf("buffer.gbw_hz", b.gbw_hz)?,
            max_output_current: b
                .max_output_current_a
                .map(|i| v.positive_or_inf("buffer.max_output_current_a", i))
                .transpose()?,
        }),
        None => None,
    };
    if c.style == CouplingStyle::Resistive && buffer.is_none() {
        return Err(v
            .err(
                "buffer",
                "section [buffer] is required when coupling.style = \"resistive\"",
            )
            .into());
    }

    let mismatch = match &raw.mismatch {
        Some(m) => {
            let spec = MismatchSpec {
                pelgrom_gm: v.non_negative("mismatch.pelgrom_a_gm_m", m.pelgrom_a_gm_m)?,
                unit_area: v.positive("mismatch.unit_area_m2", m.unit_area_m2)?,
            };
            if spec.sigma() >= 1.0 {
                return Err(v
                    .err(
                        "mismatch.unit_area_m2",
                        format!(
                            "relative mismatch pelgrom_a_gm_m/√(unit_area_m2) = {} must be below 1",
                            spec.sigma()
                        ),
                    )
                    .into());
            }
            Some(spec)
        }
        None => None,
    };

    let power = match &raw.power {
        Some(p) => Some(PowerSpec {
            supply: v.positive("power.supply_v", p.supply_v)?,
            bias_current: v.positive("power.bias_current_a", p.bias_current_a)?,
            gm_over_id: p
                .gm_over_id_per_v
                .map(|g| v.positive("power.gm_over_id_per_v", g))
                .transpose()?,
        }),
        None => None,
    };

    let nic = match &raw.nic {
        Some(n) => {
            if c.style != CouplingStyle::Resistive {
                return Err(v
                    .err(
                        "nic",
                        "section [nic] needs coupling.style = \"resistive\" (a gm-C node has no coupling load to compensate)",
                    )
                    .into());
            }
            Some(NicSpec {
                tolerance: v.fraction("nic.tolerance", n.tolerance)?,
                quiescent_current: v
                    .non_negative("nic.quiescent_current_a", n.quiescent_current_a)?,
                supply: v.positive("nic.supply_v", n.supply_v)?,
            })
        }
        None => None,
    };

    let a = raw.area.unwrap_or_default();
    let d = AreaSpec::DEFAULT;
    let area = AreaSpec {
        capacitor_density: v.positive(
            "area.capacitor_density_f_per_m2",
            a.capacitor_density_f_per_m2.unwrap_or(d.capacitor_density),
        )?,
        transconductor_layout_factor: v.non_negative(
            "area.transconductor_layout_factor",
            a.transconductor_layout_factor
                .unwrap_or(d.transconductor_layout_factor),
        )?,
        transconductor_overhead: v.non_negative(
            "area.transconductor_overhead_m2",
            a.transconductor_overhead_m2
                .unwrap_or(d.transconductor_overhead),
        )?,
        opamp: v.non_negative("area.opamp_m2", a.opamp_m2.unwrap_or(d.opamp))?,
        resistor: v.non_negative("area.resistor_m2", a.resistor_m2.unwrap_or(d.resistor))?,
        dac_bit: v.non_negative("area.dac_bit_m2", a.dac_bit_m2.unwrap_or(d.dac_bit))?,
    };

    let sy = raw.system.unwrap_or_default();
    let ds = SystemSpec::DEFAULT;
    let adc_bits = sy.adc_bits.unwrap_or(ds.adc_bits);
    if !(1..=24).contains(&adc_bits) {
        return Err(v
            .err(
                "system.adc_bits",
                format!("must be 1 to 24 bits, got {adc_bits}"),
            )
            .into());
    }
    let programming_bits = sy.programming_bits.unwrap_or(ds.programming_bits);
    if programming_bits > 32 {
        return Err(v
            .err(
                "system.programming_bits",
                format!("must be 0 to 32 bits, got {programming_bits}"),
            )
            .into());
    }
    let system = SystemSpec {
        adc_fom: v.non_negative(
            "system.adc_fom_j_per_step",
            sy.adc_fom_j_per_step.unwrap_or(ds.adc_fom),
        )?,
        adc_bits,
        dac_energy: v.non_negative(
            "system.dac_energy_j",
            sy.dac_energy_j.unwrap_or(ds.dac_energy),
        )?,
        noise_generator_power: v.non_negative(
            "system.noise_generator_power_w",
            sy.noise_generator_power_w
                .unwrap_or(ds.noise_generator_power),
        )?,
        programming_energy_per_bit: v.non_negative(
            "system.programming_energy_j_per_bit",
            sy.programming_energy_j_per_bit
                .unwrap_or(ds.programming_energy_per_bit),
        )?,
        programming_bits,
    };

    let profile = Profile {
        name: name.to_string(),
        capacitance,
        noise_temperature,
        time_unit,
        coupling: c.style,
        inductance,
        description: raw.description.clone().unwrap_or_default(),
        capacitance_tolerance,
        resistor_series: c.resistor_series,
        resistor_tolerance,
        transconductance_tolerance,
        buffer,
        mismatch,
        power,
        max_compensation,
        max_fan_in: c.max_fan_in,
        max_coupling,
        nic,
        area,
        system,
    };

    // The signal scale must fit in the supplies the profile names.
    let v0 = profile.v0();
    let supplies = [
        profile.buffer.map(|b| ("buffer.supply_v", b.supply)),
        profile.power.map(|p| ("power.supply_v", p.supply)),
        profile.nic.map(|n| ("nic.supply_v", n.supply)),
    ];
    for (field, supply) in supplies.into_iter().flatten() {
        if v0 >= supply {
            return Err(v
                .err(
                    "node.noise_temperature_k",
                    format!(
                        "signal scale v0 = √(k_B T_noise / C) = {v0} V does not fit in \
                     {field} = {supply} V; lower the noise temperature"
                    ),
                )
                .into());
        }
    }
    Ok(profile)
}
