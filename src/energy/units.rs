//! Thermal energy scales. The model's energies are in units of its kT; a budget in joules
//! needs a physical temperature T, with kT = k_B·T (300 K by default: 4.14e-21 J).

/// Boltzmann's constant k_B [J/K] (exact, SI 2019): the one definition in the crate.
pub const BOLTZMANN: f64 = 1.380649e-23;

/// Default temperature of the heat bath [K].
pub const ROOM_TEMPERATURE_K: f64 = 300.0;

/// The paper's conversion, 1 pJ = 2.4e8 kT [kT/pJ] (with 1 pJ per digital MAC, also the
/// cost of one MAC in kT). It implies kT = 4.17e-21 J, i.e.
/// T ≈ 302 K; at exactly 300 K, kT = 4.14e-21 J and 1 pJ = 2.41e8 kT.
pub const PAPER_KT_PER_PJ: f64 = 2.4e8;

/// A heat bath at temperature T.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Thermal {
    /// Temperature T [K].
    pub temperature_k: f64,
}

impl Thermal {
    /// The bath at `temperature_k` [K], which must be positive and finite.
    pub fn new(temperature_k: f64) -> crate::Result<Self> {
        if temperature_k.is_finite() && temperature_k > 0.0 {
            Ok(Thermal { temperature_k })
        } else {
            Err(crate::Error::Flag {
                flag: "--temperature",
                why: format!("must be a positive number of kelvin, got {temperature_k}"),
            })
        }
    }

    /// kT = k_B·T [J].
    pub fn kt_joules(&self) -> f64 {
        BOLTZMANN * self.temperature_k
    }

    /// An energy in kT expressed in joules.
    pub fn joules(&self, kt: f64) -> f64 {
        kt * self.kt_joules()
    }

    /// An energy in joules expressed in kT.
    pub fn kt(&self, joules: f64) -> f64 {
        joules / self.kt_joules()
    }
}
