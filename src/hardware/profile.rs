//! Hardware profiles (`hardware/*.toml`): the component technology a circuit is built from,
//! every field in SI units. Parsed once and validated into a [`Profile`].

use serde::{Deserialize, Serialize};

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
}
