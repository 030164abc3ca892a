//! Hardware profiles (`hardware/*.toml`): the component technology a circuit is built from,
//! every field in SI units. Parsed once and validated into a [`Profile`].
//!
//! A profile file has the sections `[node]` (required), `[coupling]` (required), `[buffer]`
//! (required for resistive couplings), `[mismatch]` and `[power]` (optional), plus an optional
//! top-level `description`. Unknown fields and sections are rejected by name. The mapping the
//! derived quantities implement is derived in docs/circuit-mapping.md.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::Path;

/// Boltzmann's constant k_B [J/K] (exact, SI 2019).
pub const BOLTZMANN: f64 = 1.380649e-23;

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

/// A preferred-number series of resistor values (IEC 60063).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize, Serialize)]
pub enum ResistorSeries {
    /// 24 values per decade (±5 % parts).
    #[serde(alias = "e24")]
    E24,
    /// 96 values per decade (±1 % parts).
    #[serde(alias = "e96")]
    E96,
    /// 192 values per decade (±0.5 % and tighter parts).
    #[serde(alias = "e192")]
    E192,
}

const E24: [f64; 24] = [
    1.0, 1.1, 1.2, 1.3, 1.5, 1.6, 1.8, 2.0, 2.2, 2.4, 2.7, 3.0, 3.3, 3.6, 3.9, 4.3, 4.7, 5.1, 5.6,
    6.2, 6.8, 7.5, 8.2, 9.1,
];

const E96: [f64; 96] = [
    1.00, 1.02, 1.05, 1.07, 1.10, 1.13, 1.15, 1.18, 1.21, 1.24, 1.27, 1.30, 1.33, 1.37, 1.40, 1.43,
    1.47, 1.50, 1.54, 1.58, 1.62, 1.65, 1.69, 1.74, 1.78, 1.82, 1.87, 1.91, 1.96, 2.00, 2.05, 2.10,
    2.15, 2.21, 2.26, 2.32, 2.37, 2.43, 2.49, 2.55, 2.61, 2.67, 2.74, 2.80, 2.87, 2.94, 3.01, 3.09,
    3.16, 3.24, 3.32, 3.40, 3.48, 3.57, 3.65, 3.74, 3.83, 3.92, 4.02, 4.12, 4.22, 4.32, 4.42, 4.53,
    4.64, 4.75, 4.87, 4.99, 5.11, 5.23, 5.36, 5.49, 5.62, 5.76, 5.90, 6.04, 6.19, 6.34, 6.49, 6.65,
    6.81, 6.98, 7.15, 7.32, 7.50, 7.68, 7.87, 8.06, 8.25, 8.45, 8.66, 8.87, 9.09, 9.31, 9.53, 9.76,
];

const E192: [f64; 192] = [
    1.00, 1.01, 1.02, 1.04, 1.05, 1.06, 1.07, 1.09, 1.10, 1.11, 1.13, 1.14, 1.15, 1.17, 1.18, 1.20,
    1.21, 1.23, 1.24, 1.26, 1.27, 1.29, 1.30, 1.32, 1.33, 1.35, 1.37, 1.38, 1.40, 1.42, 1.43, 1.45,
    1.47, 1.49, 1.50, 1.52, 1.54, 1.56, 1.58, 1.60, 1.62, 1.64, 1.65, 1.67, 1.69, 1.72, 1.74, 1.76,
    1.78, 1.80, 1.82, 1.84, 1.87, 1.89, 1.91, 1.93, 1.96, 1.98, 2.00, 2.03, 2.05, 2.08, 2.10, 2.13,
    2.15, 2.18, 2.21, 2.23, 2.26, 2.29, 2.32, 2.34, 2.37, 2.40, 2.43, 2.46, 2.49, 2.52, 2.55, 2.58,
    2.61, 2.64, 2.67, 2.71, 2.74, 2.77, 2.80, 2.84, 2.87, 2.91, 2.94, 2.98, 3.01, 3.05, 3.09, 3.12,
    3.16, 3.20, 3.24, 3.28, 3.32, 3.36, 3.40, 3.44, 3.48, 3.52, 3.57, 3.61, 3.65, 3.70, 3.74, 3.79,
    3.83, 3.88, 3.92, 3.97, 4.02, 4.07, 4.12, 4.17, 4.22, 4.27, 4.32, 4.37, 4.42, 4.48, 4.53, 4.59,
    4.64, 4.70, 4.75, 4.81, 4.87, 4.93, 4.99, 5.05, 5.11, 5.17, 5.23, 5.30, 5.36, 5.42, 5.49, 5.56,
    5.62, 5.69, 5.76, 5.83, 5.90, 5.97, 6.04, 6.12, 6.19, 6.26, 6.34, 6.42, 6.49, 6.57, 6.65, 6.73,
    6.81, 6.90, 6.98, 7.06, 7.15, 7.23, 7.32, 7.41, 7.50, 7.59, 7.68, 7.77, 7.87, 7.96, 8.06, 8.16,
    8.25, 8.35, 8.45, 8.56, 8.66, 8.76, 8.87, 8.98, 9.09, 9.20, 9.31, 9.42, 9.53, 9.65, 9.76, 9.88,
];

impl ResistorSeries {
    /// The decade mantissas of the series, ascending in [1, 10).
    pub fn values(self) -> &'static [f64] {
        match self {
            ResistorSeries::E24 => &E24,
            ResistorSeries::E96 => &E96,
            ResistorSeries::E192 => &E192,
        }
    }

    /// The series value nearest to `ohms` in log distance |ln(R/ohms)|, across decades
    /// (9.95 kΩ snaps to 10 kΩ in E96). The result is the double nearest to the exact
    /// decimal value (1234 Ω → exactly 1240.0 in E96). Inputs that are not positive and
    /// finite are returned unchanged.
    pub fn snap(self, ohms: f64) -> f64 {
        if !(ohms.is_finite() && ohms > 0.0) {
            return ohms;
        }
        let decade = ohms.log10().floor() as i32;
        let mut best = ohms;
        let mut best_dist = f64::INFINITY;
        for exp in decade - 1..=decade + 1 {
            for &m in self.values() {
                // Mantissa in hundredths times 10^(exp−2), rounded once.
                let candidate = scale_pow10((m * 100.0).round(), exp - 2);
                let dist = (candidate / ohms).ln().abs();
                if dist < best_dist {
                    best_dist = dist;
                    best = candidate;
                }
            }
        }
        best
    }
}

/// `x · 10^e`, correctly rounded for integer `x` below 2^53 and moderate `e`.
fn scale_pow10(x: f64, e: i32) -> f64 {
    if e >= 0 {
        x * 10f64.powi(e)
    } else {
        x / 10f64.powi(-e)
    }
}

impl fmt::Display for ResistorSeries {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ResistorSeries::E24 => "E24",
            ResistorSeries::E96 => "E96",
            ResistorSeries::E192 => "E192",
        })
    }
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
    #[error("{file}: {field}: {message}")]
    Syntax {
        /// The file.
        file: String,
        /// Dotted path of the field (`node.capacitance_f`), else `line N` or `(file)`.
        field: String,
        /// What is wrong.
        message: String,
    },
    /// A field has an invalid value.
    #[error("{file}: {field}: {message}")]
    Invalid {
        /// The file.
        file: String,
        /// Dotted path of the field (`node.capacitance_f`).
        field: String,
        /// What is wrong.
        message: String,
    },
}

impl ProfileError {
    /// The file (or profile name) the error concerns.
    pub fn file(&self) -> &str {
        match self {
            ProfileError::Io { file, .. }
            | ProfileError::Syntax { file, .. }
            | ProfileError::Invalid { file, .. } => file,
        }
    }

    /// Dotted path of the offending field, if the error concerns one.
    pub fn field(&self) -> Option<&str> {
        match self {
            ProfileError::Io { .. } => None,
            ProfileError::Syntax { field, .. } | ProfileError::Invalid { field, .. } => Some(field),
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
    let raw: RawProfile = toml::from_str(text).map_err(|e| syntax_error(file, text, &e))?;
    let v = Validator { file };

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
        return Err(v.invalid(
            "buffer",
            "section [buffer] is required when coupling.style = \"resistive\"".into(),
        ));
    }

    let mismatch = match &raw.mismatch {
        Some(m) => {
            let spec = MismatchSpec {
                pelgrom_gm: v.non_negative("mismatch.pelgrom_a_gm_m", m.pelgrom_a_gm_m)?,
                unit_area: v.positive("mismatch.unit_area_m2", m.unit_area_m2)?,
            };
            if spec.sigma() >= 1.0 {
                return Err(v.invalid(
                    "mismatch.unit_area_m2",
                    format!(
                        "relative mismatch pelgrom_a_gm_m/√(unit_area_m2) = {} must be below 1",
                        spec.sigma()
                    ),
                ));
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
    };

    // The signal scale must fit in the supplies the profile names.
    let v0 = profile.v0();
    let supplies = [
        profile.buffer.map(|b| ("buffer.supply_v", b.supply)),
        profile.power.map(|p| ("power.supply_v", p.supply)),
    ];
    for (field, supply) in supplies.into_iter().flatten() {
        if v0 >= supply {
            return Err(v.invalid(
                "node.noise_temperature_k",
                format!(
                    "signal scale v0 = √(k_B T_noise / C) = {v0} V does not fit in \
                     {field} = {supply} V; lower the noise temperature"
                ),
            ));
        }
    }
    Ok(profile)
}

/// Field checks that produce [`ProfileError::Invalid`] (shared with other hardware tables,
/// e.g. `energy::digital`).
pub(crate) struct Validator<'a> {
    pub(crate) file: &'a str,
}

impl Validator<'_> {
    pub(crate) fn invalid(&self, field: &str, message: String) -> ProfileError {
        ProfileError::Invalid {
            file: self.file.to_string(),
            field: field.to_string(),
            message,
        }
    }

    pub(crate) fn positive(&self, field: &str, x: f64) -> Result<f64, ProfileError> {
        if x.is_nan() || x <= 0.0 {
            Err(self.invalid(field, format!("must be positive, got {x}")))
        } else if !x.is_finite() {
            Err(self.invalid(field, format!("must be finite, got {x}")))
        } else {
            Ok(x)
        }
    }

    fn positive_or_inf(&self, field: &str, x: f64) -> Result<f64, ProfileError> {
        if x > 0.0 {
            Ok(x)
        } else {
            Err(self.invalid(field, format!("must be positive (or inf), got {x}")))
        }
    }

    pub(crate) fn non_negative(&self, field: &str, x: f64) -> Result<f64, ProfileError> {
        if x.is_finite() && x >= 0.0 {
            Ok(x)
        } else {
            Err(self.invalid(field, format!("must be non-negative and finite, got {x}")))
        }
    }

    fn fraction(&self, field: &str, x: f64) -> Result<f64, ProfileError> {
        if (0.0..1.0).contains(&x) {
            Ok(x)
        } else {
            Err(self.invalid(
                field,
                format!("must be a fraction in [0, 1) (0.01 = 1 %), got {x}"),
            ))
        }
    }
}

/// Turn a TOML/serde error into a [`ProfileError::Syntax`] naming the field it points at.
pub(crate) fn syntax_error(file: &str, text: &str, e: &toml::de::Error) -> ProfileError {
    let message = e.message().trim().to_string();
    let located = e.span().map(|span| locate(text, span.start));
    let mut field = match backticked(&message, "missing field `") {
        // A missing field is reported at its table: append the missing key to the table.
        Some(missing) => match located.as_ref().map(|l| l.table.as_str()) {
            Some(table) if !table.is_empty() => format!("{table}.{missing}"),
            _ => missing.to_string(),
        },
        None => located
            .as_ref()
            .map(|l| match (&l.key, l.table.is_empty()) {
                (Some(key), true) => key.clone(),
                (Some(key), false) => format!("{}.{key}", l.table),
                (None, _) => l.table.clone(),
            })
            .unwrap_or_default(),
    };
    if field.is_empty() {
        field = match &located {
            Some(l) => format!("line {}", l.line),
            None => "(file)".to_string(),
        };
    }
    ProfileError::Syntax {
        file: file.to_string(),
        field,
        message,
    }
}

/// The text between `prefix` and the next backtick in `message`.
fn backticked<'m>(message: &'m str, prefix: &str) -> Option<&'m str> {
    let rest = &message[message.find(prefix)? + prefix.len()..];
    Some(&rest[..rest.find('`')?])
}

/// Where a byte offset lies in the profile text.
struct Location {
    /// 1-based line number.
    line: usize,
    /// Dotted name of the last `[table]` header at or before the line ("" at top level).
    table: String,
    /// The key before `=` on the line (None on a header or blank line).
    key: Option<String>,
}

fn locate(text: &str, pos: usize) -> Location {
    let pos = pos.min(text.len());
    let mut table = String::new();
    let mut line_start = 0;
    let mut line_no = 0;
    for line in text.split_inclusive('\n') {
        line_no += 1;
        let trimmed = line.trim();
        let is_header = trimmed.starts_with('[');
        if is_header {
            let inner = trimmed.trim_start_matches('[');
            table = match inner.find(']') {
                Some(end) => clean_key(&inner[..end]),
                None => String::new(),
            };
        }
        let line_end = line_start + line.len();
        if pos < line_end || line_end == text.len() {
            let key = match line.split_once('=') {
                Some((key, _)) if !is_header && !trimmed.starts_with('#') => Some(clean_key(key)),
                _ => None,
            };
            return Location {
                line: line_no,
                table,
                key,
            };
        }
        line_start = line_end;
    }
    Location {
        line: line_no.max(1),
        table,
        key: None,
    }
}

fn clean_key(key: &str) -> String {
    key.split('.')
        .map(|part| part.trim().trim_matches(|c| c == '"' || c == '\''))
        .collect::<Vec<_>>()
        .join(".")
}
